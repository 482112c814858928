package probetest

import (
	"net"
	"sync"
	"testing"

	mdns "github.com/miekg/dns"
)

// DNSServer answers DNS queries on 127.0.0.1 over UDP and TCP (same port)
// from a fixed zone, and counts queries.
type DNSServer struct {
	Addr string // host:port

	mu      sync.Mutex
	zone    []mdns.RR // in the order added
	queries int
	udp     *mdns.Server
	tcp     *mdns.Server
}

// StartDNS starts a server answering from records (zone-file lines such as
// "a.test. 60 IN A 127.0.0.1"). Names without records get NXDOMAIN. The
// server stops when the test ends.
func StartDNS(t testing.TB, records ...string) *DNSServer {
	t.Helper()
	s := &DNSServer{}
	for _, r := range records {
		s.Add(t, r)
	}
	pc, ln := listenUDPAndTCP(t)
	s.Addr = pc.LocalAddr().String()
	started := make(chan struct{}, 2)
	notify := func() { started <- struct{}{} }
	s.udp = &mdns.Server{PacketConn: pc, Handler: s, NotifyStartedFunc: notify}
	s.tcp = &mdns.Server{Listener: ln, Handler: s, NotifyStartedFunc: notify}
	var wg sync.WaitGroup
	for _, srv := range []*mdns.Server{s.udp, s.tcp} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = srv.ActivateAndServe()
		}()
	}
	<-started
	<-started
	t.Cleanup(func() {
		_ = s.udp.Shutdown()
		_ = s.tcp.Shutdown()
		wg.Wait()
	})
	return s
}

// Add adds one record to the zone.
func (s *DNSServer) Add(t testing.TB, record string) {
	t.Helper()
	rr, err := mdns.NewRR(record)
	if err != nil {
		t.Fatalf("bad test record %q: %v", record, err)
	}
	s.mu.Lock()
	s.zone = append(s.zone, rr)
	s.mu.Unlock()
}

// Queries returns how many queries the server answered.
func (s *DNSServer) Queries() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queries
}

// ServeDNS answers one query: the records of the name and type (every type
// for ANY), NOERROR with no answer for a known name without that type,
// NXDOMAIN for an unknown name. A UDP answer larger than 512 bytes is
// truncated, as a real server does.
func (s *DNSServer) ServeDNS(w mdns.ResponseWriter, req *mdns.Msg) {
	m := new(mdns.Msg)
	m.SetReply(req)
	s.mu.Lock()
	s.queries++
	known := false
	for _, q := range req.Question {
		name := mdns.CanonicalName(q.Name)
		for _, rr := range s.zone {
			if mdns.CanonicalName(rr.Header().Name) != name {
				continue
			}
			known = true
			if q.Qtype == mdns.TypeANY || rr.Header().Rrtype == q.Qtype {
				m.Answer = append(m.Answer, rr)
			}
		}
	}
	s.mu.Unlock()
	if !known {
		m.Rcode = mdns.RcodeNameError
	}
	if _, udp := w.RemoteAddr().(*net.UDPAddr); udp {
		m.Truncate(mdns.MinMsgSize)
	}
	_ = w.WriteMsg(m)
}

// listenUDPAndTCP listens on one free port of 127.0.0.1 over UDP and TCP,
// trying a few ports since the TCP one may be taken.
func listenUDPAndTCP(t testing.TB) (net.PacketConn, net.Listener) {
	t.Helper()
	var lastErr error
	for range 20 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			return pc, ln
		}
		_ = pc.Close()
		lastErr = err
	}
	t.Fatalf("no port free for both UDP and TCP: %v", lastErr)
	return nil, nil
}
