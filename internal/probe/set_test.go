package probe_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/custodes/custodes/internal/monitor"
	"github.com/custodes/custodes/internal/probe"
	"github.com/custodes/custodes/internal/probe/internal/probetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestSetDispatchesOnKind(t *testing.T) {
	ln := probetest.Listen(t)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.Close()
		}
	}()
	dns := probetest.StartDNS(t, "a.custodes.test. 60 IN A 127.0.0.9")
	set := probe.NewSet(probe.Options{})
	defer set.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	tcp := probetest.Spec(t, monitor.KindTCP, "tcp://"+ln.Addr().String(), "[CONNECTED] == true")
	if obs := set.Probe(ctx, tcp); !obs.Connected || len(obs.Errors) != 0 {
		t.Errorf("tcp: Connected = %v, Errors = %q", obs.Connected, obs.Errors)
	}
	d := probetest.Spec(t, monitor.KindDNS, dns.Addr, "[BODY] == 127.0.0.9")
	d.DNS = &monitor.DNSQuery{QueryType: "A", QueryName: "a.custodes.test"}
	if obs := set.Probe(ctx, d); obs.DNSRCode != "NOERROR" || string(obs.Body) != "127.0.0.9" {
		t.Errorf("dns: DNSRCode = %q, Body = %q, Errors = %q", obs.DNSRCode, obs.Body, obs.Errors)
	}
	// The same URL as a TLS monitor fails the handshake: proof of dispatch.
	tlsSpec := probetest.Spec(t, monitor.KindTLS, "tls://"+ln.Addr().String())
	if obs := set.Probe(ctx, tlsSpec); obs.Connected || len(obs.Errors) != 1 || !strings.HasPrefix(obs.Errors[0], "tls handshake with ") {
		t.Errorf("tls: Connected = %v, Errors = %q", obs.Connected, obs.Errors)
	}
	httpSpec := probetest.Spec(t, monitor.KindHTTP, "http://"+ln.Addr().String()+"/")
	if obs := set.Probe(ctx, httpSpec); obs.Connected || len(obs.Errors) != 1 || !strings.HasPrefix(obs.Errors[0], `Get "http://`) {
		t.Errorf("http: Connected = %v, Errors = %q", obs.Connected, obs.Errors)
	}
}

func TestSetRejectsKindsItCannotProbe(t *testing.T) {
	set := probe.NewSet(probe.Options{})
	defer set.Close()
	for _, kind := range []monitor.Kind{monitor.KindExternal, monitor.KindPush, "", "SSH"} {
		spec := probetest.Spec(t, kind, "ssh://example.org")
		obs := set.Probe(context.Background(), spec)
		want := `monitor probes/m: kind "` + string(kind) + `" cannot be probed`
		if len(obs.Errors) != 1 || obs.Errors[0] != want || obs.Connected {
			t.Errorf("kind %q: Errors = %q, want %q", kind, obs.Errors, want)
		}
	}
}

func TestSetReportsDomainExpirationAsUnsupported(t *testing.T) {
	ln := probetest.Listen(t)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.Close()
		}
	}()
	set := probe.NewSet(probe.Options{})
	defer set.Close()
	spec := probetest.Spec(t, monitor.KindTCP, "tcp://"+ln.Addr().String(), "[CONNECTED] == true", "[DOMAIN_EXPIRATION] > 720h")
	obs := set.Probe(context.Background(), spec)
	if !obs.Connected || len(obs.Errors) != 1 || obs.Errors[0] != probe.DomainExpirationUnsupported {
		t.Errorf("Connected = %v, Errors = %q", obs.Connected, obs.Errors)
	}
	if !strings.Contains(probe.DomainExpirationUnsupported, "[DOMAIN_EXPIRATION] is not supported yet") {
		t.Errorf("message %q", probe.DomainExpirationUnsupported)
	}
}

func TestSetCloseEndsHTTPChecks(t *testing.T) {
	set := probe.NewSet(probe.Options{})
	set.Close()
	addr := probetest.ClosedPort(t)
	_, port, _ := net.SplitHostPort(addr)
	obs := set.Probe(context.Background(), probetest.Spec(t, monitor.KindHTTP, "http://127.0.0.1:"+port+"/"))
	if len(obs.Errors) != 1 || obs.Errors[0] != "http prober is closed" {
		t.Errorf("Errors = %q", obs.Errors)
	}
}
