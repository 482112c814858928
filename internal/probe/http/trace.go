package http

import (
	"crypto/tls"
	"net"
	"net/http/httptrace"
	"sync"
	"time"

	"github.com/custodes/custodes/internal/monitor"
)

// trace collects the phases of one check (DNS, connect, TLS, first byte)
// through net/http/httptrace. Hooks may run on the transport's dialing
// goroutines, even after the request gave up, hence the lock.
type trace struct {
	mu           sync.Mutex
	dnsStart     time.Time
	connectStart time.Time
	tlsStart     time.Time
	gotConn      time.Time
	timings      monitor.Timings
	remote       net.Addr
	client       httptrace.ClientTrace
}

// newTrace returns a trace whose hooks are ready to attach to a context.
func newTrace() *trace {
	t := &trace{}
	t.client = httptrace.ClientTrace{
		DNSStart: func(httptrace.DNSStartInfo) {
			t.mu.Lock()
			t.dnsStart = time.Now()
			t.mu.Unlock()
		},
		DNSDone: func(httptrace.DNSDoneInfo) {
			t.mu.Lock()
			t.timings.DNS += since(t.dnsStart)
			t.mu.Unlock()
		},
		ConnectStart: func(string, string) {
			t.mu.Lock()
			if t.connectStart.IsZero() {
				t.connectStart = time.Now()
			}
			t.mu.Unlock()
		},
		ConnectDone: func(_, _ string, err error) {
			t.mu.Lock()
			if err == nil && !t.connectStart.IsZero() {
				t.timings.Connect += since(t.connectStart)
				t.connectStart = time.Time{}
			}
			t.mu.Unlock()
		},
		TLSHandshakeStart: func() {
			t.mu.Lock()
			t.tlsStart = time.Now()
			t.mu.Unlock()
		},
		TLSHandshakeDone: func(tls.ConnectionState, error) {
			t.mu.Lock()
			t.timings.TLS += since(t.tlsStart)
			t.mu.Unlock()
		},
		GotConn: func(info httptrace.GotConnInfo) {
			t.mu.Lock()
			t.gotConn = time.Now()
			t.remote = info.Conn.RemoteAddr()
			t.mu.Unlock()
		},
		GotFirstResponseByte: func() {
			t.mu.Lock()
			t.timings.FirstByte += since(t.gotConn)
			t.mu.Unlock()
		},
	}
	return t
}

// since is time.Since of a time that may not have been set.
func since(t time.Time) time.Duration {
	if t.IsZero() {
		return 0
	}
	return time.Since(t)
}

// result returns the timings and the remote IP of the last connection.
func (t *trace) result() (monitor.Timings, string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	ip := ""
	if a, ok := t.remote.(*net.TCPAddr); ok {
		ip = a.IP.String()
	}
	return t.timings, ip
}
