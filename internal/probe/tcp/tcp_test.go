package tcp_test

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"github.com/custodes/custodes/internal/monitor"
	"github.com/custodes/custodes/internal/probe/internal/probetest"
	"github.com/custodes/custodes/internal/probe/payload"
	"github.com/custodes/custodes/internal/probe/target"
	"github.com/custodes/custodes/internal/probe/tcp"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// serve accepts connections until the test ends and hands each to handle.
func serve(t *testing.T, handle func(net.Conn)) string {
	t.Helper()
	ln := probetest.Listen(t)
	done := make(chan struct{})
	t.Cleanup(func() { _ = ln.Close(); <-done })
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			handle(c)
			_ = c.Close()
		}
	}()
	return ln.Addr().String()
}

func probe(t *testing.T, spec *monitor.Spec) monitor.Observation {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return tcp.New().Probe(ctx, spec)
}

// ignore compares observations without the measured response time.
var ignoreTime = cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".ResponseTime" }, cmp.Ignore())

func TestConnects(t *testing.T) {
	addr := serve(t, func(net.Conn) {})
	_, port, _ := net.SplitHostPort(addr)
	obs := probe(t, probetest.Spec(t, monitor.KindTCP, "tcp://"+addr, "[CONNECTED] == true"))
	want := monitor.Observation{Hostname: "127.0.0.1", Port: port}
	want.Connected = true
	want.IP = "127.0.0.1"
	if diff := cmp.Diff(want, obs, ignoreTime); diff != "" {
		t.Errorf("observation (-want +got):\n%s", diff)
	}
	if obs.ResponseTime <= 0 {
		t.Errorf("ResponseTime = %v", obs.ResponseTime)
	}
}

func TestClosedPortIsNotConnectedWithoutError(t *testing.T) {
	addr := probetest.ClosedPort(t)
	_, port, _ := net.SplitHostPort(addr)
	obs := probe(t, probetest.Spec(t, monitor.KindTCP, "tcp://"+addr, "[CONNECTED] == false"))
	want := monitor.Observation{Hostname: "127.0.0.1", Port: port}
	if diff := cmp.Diff(want, obs, ignoreTime); diff != "" {
		t.Errorf("observation (-want +got):\n%s", diff)
	}
}

func TestBodyIsSentAndTheReplyRead(t *testing.T) {
	received := make(chan string, 1)
	addr := serve(t, func(c net.Conn) {
		buf := make([]byte, 256)
		n, _ := c.Read(buf)
		received <- string(buf[:n])
		_, _ = c.Write([]byte("+PONG\r\n"))
	})
	spec := probetest.Spec(t, monitor.KindTCP, "tcp://"+addr, "[BODY] == +PONG")
	spec.Body = "PING [ENDPOINT_NAME] from [LOCAL_ADDRESS]\r\n"
	obs := probe(t, spec)
	if !obs.Connected || len(obs.Errors) != 0 {
		t.Fatalf("Connected = %v, errors %q", obs.Connected, obs.Errors)
	}
	got := <-received
	if host, _, _ := net.SplitHostPort(got[len("PING m from ") : len(got)-2]); host != "127.0.0.1" {
		t.Errorf("server received %q", got)
	}
	if string(obs.Body) != "+PONG\r\n" {
		t.Errorf("Body = %q, want the reply (needs [BODY])", obs.Body)
	}
}

func TestBodyIsOnlyKeptWhenAConditionReadsIt(t *testing.T) {
	addr := serve(t, func(c net.Conn) {
		_, _ = c.Read(make([]byte, 16))
		_, _ = c.Write([]byte("pong"))
	})
	spec := probetest.Spec(t, monitor.KindTCP, "tcp://"+addr, "[CONNECTED] == true")
	spec.Body = "ping"
	obs := probe(t, spec)
	if !obs.Connected || obs.Body != nil {
		t.Errorf("Connected = %v, Body = %q; want true, nil", obs.Connected, obs.Body)
	}
}

func TestNoReplyIsNotConnected(t *testing.T) {
	tests := map[string]func(net.Conn){
		"closes after reading": func(c net.Conn) { _, _ = c.Read(make([]byte, 16)) },
		"never answers":        func(c net.Conn) { _, _ = io.Copy(io.Discard, c) },
	}
	for name, handle := range tests {
		t.Run(name, func(t *testing.T) {
			addr := serve(t, handle)
			spec := probetest.Spec(t, monitor.KindTCP, "tcp://"+addr, "[CONNECTED] == true")
			spec.Body = "ping"
			spec.Client.Timeout = 200 * time.Millisecond
			// No deadline from the caller: the monitor's timeout applies.
			obs := tcp.New().Probe(context.Background(), spec)
			if obs.Connected || len(obs.Errors) != 0 || obs.Body != nil {
				t.Errorf("Connected = %v, Errors = %q, Body = %q", obs.Connected, obs.Errors, obs.Body)
			}
		})
	}
}

func TestCancelledCheckSaysSo(t *testing.T) {
	addr := serve(t, func(c net.Conn) { _, _ = io.Copy(io.Discard, c) })
	spec := probetest.Spec(t, monitor.KindTCP, "tcp://"+addr, "[CONNECTED] == true")
	spec.Body = "ping"
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	obs := tcp.New().Probe(ctx, spec)
	if obs.Connected || len(obs.Errors) != 1 || obs.Errors[0] != target.CancelledError {
		t.Errorf("Connected = %v, Errors = %q", obs.Connected, obs.Errors)
	}
}

func TestBadURLs(t *testing.T) {
	tests := map[string]string{
		"tcp://127.0.0.1":       `invalid url "tcp://127.0.0.1": missing port, want tcp://host:port`,
		"tcp://127.0.0.1:1/x/y": `invalid url "tcp://127.0.0.1:1/x/y": want tcp://host:port and nothing else`,
	}
	for url, want := range tests {
		obs := probe(t, probetest.Spec(t, monitor.KindTCP, url))
		if obs.Connected || len(obs.Errors) != 1 || obs.Errors[0] != want {
			t.Errorf("%s: Connected = %v, Errors = %q; want %q", url, obs.Connected, obs.Errors, want)
		}
	}
	spec := probetest.Spec(t, monitor.KindTCP, "tcp://127.0.0.1:1")
	spec.Client.DNSResolver = "8.8.8.8"
	if obs := probe(t, spec); len(obs.Errors) != 1 || obs.Errors[0] != `invalid dns-resolver "8.8.8.8": format must be {proto}://{host}:{port}` {
		t.Errorf("bad dns-resolver: Errors = %q", obs.Errors)
	}
}

func TestIPIsResolvedWhenAConditionReadsIt(t *testing.T) {
	dns := probetest.StartDNS(t, "db.custodes.test. 60 IN A 127.0.0.1")
	addr := serve(t, func(net.Conn) {})
	_, port, _ := net.SplitHostPort(addr)
	spec := probetest.Spec(t, monitor.KindTCP, "tcp://db.custodes.test:"+port, "[IP] == 127.0.0.1")
	spec.Client.DNSResolver = "udp://" + dns.Addr
	spec.Client.Network = "ip4"
	obs := probe(t, spec)
	if !obs.Connected || obs.IP != "127.0.0.1" || obs.Hostname != "db.custodes.test" || len(obs.Errors) != 0 {
		t.Errorf("Connected = %v, IP = %q, Hostname = %q, Errors = %q", obs.Connected, obs.IP, obs.Hostname, obs.Errors)
	}

	// A name that does not resolve is an error when [IP] is needed; the
	// connection is then not attempted (as Gatus).
	spec = probetest.Spec(t, monitor.KindTCP, "tcp://nowhere.custodes.test:"+port, "[IP] == 127.0.0.1")
	spec.Client.DNSResolver = "udp://" + dns.Addr
	obs = probe(t, spec)
	if obs.Connected || len(obs.Errors) != 1 {
		t.Errorf("unresolvable: Connected = %v, Errors = %q", obs.Connected, obs.Errors)
	}
}

func TestMaxReplyIsKept(t *testing.T) {
	big := make([]byte, 3*payload.MaxReply)
	for i := range big {
		big[i] = 'a' + byte(i%26)
	}
	addr := serve(t, func(c net.Conn) {
		_, _ = c.Read(make([]byte, 16))
		_, _ = c.Write(big)
	})
	spec := probetest.Spec(t, monitor.KindTCP, "tcp://"+addr, "[BODY] == x")
	spec.Body = "ping"
	obs := probe(t, spec)
	if !obs.Connected || len(obs.Body) == 0 || len(obs.Body) > payload.MaxReply || string(obs.Body) != string(big[:len(obs.Body)]) {
		t.Errorf("Connected = %v, Body of %d bytes", obs.Connected, len(obs.Body))
	}
}
