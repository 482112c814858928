package dns_test

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	mdns "github.com/miekg/dns"
	"go.uber.org/goleak"

	"github.com/custodes/custodes/internal/monitor"
	"github.com/custodes/custodes/internal/probe/dns"
	"github.com/custodes/custodes/internal/probe/internal/probetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var zone = []string{
	"a.custodes.test. 60 IN A 127.0.0.10",
	"aaaa.custodes.test. 60 IN AAAA 2001:db8::10",
	"alias.custodes.test. 60 IN CNAME a.custodes.test.",
	"custodes.test. 60 IN MX 10 mail.custodes.test.",
	"custodes.test. 60 IN NS ns1.custodes.test.",
	`txt.custodes.test. 60 IN TXT "v=spf1 " "-all"`,
	"_sip._tcp.custodes.test. 60 IN SRV 10 5 5060 sip.custodes.test.",
	"10.0.0.127.in-addr.arpa. 60 IN PTR a.custodes.test.",
	"custodes.test. 60 IN SOA ns1.custodes.test. hostmaster.custodes.test. 2024010101 7200 3600 1209600 300",
	`custodes.test. 60 IN CAA 0 issue "letsencrypt.org"`,
	"multi.custodes.test. 60 IN A 127.0.0.1",
	"multi.custodes.test. 60 IN A 127.0.0.2",
	"any.custodes.test. 60 IN A 127.0.0.3",
	`any.custodes.test. 60 IN TXT "last"`,
}

func spec(t *testing.T, url, qtype, qname string, conditions ...string) *monitor.Spec {
	s := probetest.Spec(t, monitor.KindDNS, url, conditions...)
	s.DNS = &monitor.DNSQuery{QueryType: qtype, QueryName: qname}
	return s
}

func probe(t *testing.T, s *monitor.Spec) monitor.Observation {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return dns.New().Probe(ctx, s)
}

func TestRecordTypes(t *testing.T) {
	srv := probetest.StartDNS(t, zone...)
	tests := []struct {
		qtype, qname, body, rcode string
	}{
		{"A", "a.custodes.test", "127.0.0.10", "NOERROR"},
		{"a", "a.custodes.test.", "127.0.0.10", "NOERROR"},
		{"AAAA", "aaaa.custodes.test", "2001:db8::10", "NOERROR"},
		{"CNAME", "alias.custodes.test", "a.custodes.test.", "NOERROR"},
		{"MX", "custodes.test", "mail.custodes.test.", "NOERROR"},
		{"NS", "custodes.test", "ns1.custodes.test.", "NOERROR"},
		{"TXT", "txt.custodes.test", "v=spf1 -all", "NOERROR"},
		{"SRV", "_sip._tcp.custodes.test", "sip.custodes.test.:5060", "NOERROR"},
		{"PTR", "127.0.0.10", "a.custodes.test.", "NOERROR"},
		{"PTR", "10.0.0.127.in-addr.arpa", "a.custodes.test.", "NOERROR"},
		{"SOA", "custodes.test", "ns1.custodes.test. hostmaster.custodes.test. 2024010101 7200 3600 1209600 300", "NOERROR"},
		{"CAA", "custodes.test", `0 issue "letsencrypt.org"`, "NOERROR"},
		{"A", "multi.custodes.test", "127.0.0.2", "NOERROR"}, // the last answer, as Gatus
		{"ANY", "any.custodes.test", "last", "NOERROR"},
		{"AAAA", "a.custodes.test", "", "NOERROR"},
		{"A", "missing.custodes.test", "", "NXDOMAIN"},
	}
	for _, tt := range tests {
		obs := probe(t, spec(t, srv.Addr, tt.qtype, tt.qname, "[BODY] == x", "[DNS_RCODE] == NOERROR"))
		if !obs.Connected || string(obs.Body) != tt.body || obs.DNSRCode != tt.rcode || len(obs.Errors) != 0 {
			t.Errorf("%s %s: Connected = %v, Body = %q, DNSRCode = %q, Errors = %q; want body %q, rcode %s",
				tt.qtype, tt.qname, obs.Connected, obs.Body, obs.DNSRCode, obs.Errors, tt.body, tt.rcode)
		}
	}
}

func TestTruncatedAnswerIsRetriedOverTCP(t *testing.T) {
	var records []string
	for i := range 40 {
		records = append(records, "big.custodes.test. 60 IN TXT \""+strings.Repeat("x", 30)+string(rune('a'+i%26))+"\"")
	}
	srv := probetest.StartDNS(t, records...)
	obs := probe(t, spec(t, srv.Addr, "TXT", "big.custodes.test", "[BODY] == x"))
	if want := strings.Repeat("x", 30) + "n"; !obs.Connected || string(obs.Body) != want || len(obs.Errors) != 0 {
		t.Errorf("Connected = %v, Body = %q, Errors = %q; want the 40th record %q", obs.Connected, obs.Body, obs.Errors, want)
	}
	if srv.Queries() != 2 {
		t.Errorf("server saw %d queries, want 2 (UDP, then TCP)", srv.Queries())
	}
}

func TestServerURLForms(t *testing.T) {
	srv := probetest.StartDNS(t, zone...)
	_, port, _ := net.SplitHostPort(srv.Addr)
	for _, url := range []string{srv.Addr, "udp://" + srv.Addr, "tcp://" + srv.Addr} {
		obs := probe(t, spec(t, url, "A", "a.custodes.test", "[BODY] == 127.0.0.10"))
		if !obs.Connected || string(obs.Body) != "127.0.0.10" || obs.Hostname != "127.0.0.1:"+port {
			t.Errorf("%s: Connected = %v, Body = %q, Hostname = %q, Errors = %q", url, obs.Connected, obs.Body, obs.Hostname, obs.Errors)
		}
	}
	tests := []struct{ url, addr, network, host string }{
		{"8.8.8.8", "8.8.8.8:53", "udp", "8.8.8.8"},
		{"8.8.8.8:53", "8.8.8.8:53", "udp", "8.8.8.8"},
		{"tcp://1.1.1.1", "1.1.1.1:53", "tcp", "1.1.1.1"},
		{"2001:4860:4860::8888", "[2001:4860:4860::8888]:53", "udp", "2001:4860:4860::8888"},
		{"[2001:4860:4860::8888]:5353", "[2001:4860:4860::8888]:5353", "udp", "2001:4860:4860::8888"},
	}
	for _, tt := range tests {
		addr, network, host, err := dns.Server(tt.url)
		if addr != tt.addr || network != tt.network || host != tt.host || err != nil {
			t.Errorf("Server(%q) = %q, %q, %q, %v; want %q, %q, %q", tt.url, addr, network, host, err, tt.addr, tt.network, tt.host)
		}
	}
	for _, url := range []string{"", "tcp://", "8.8.8.8:0", "8.8.8.8:x", "0[", "a b"} {
		if _, _, _, err := dns.Server(url); err == nil || err.Error() != "invalid dns server url "+strconv.Quote(url)+": want host, host:port, or tcp://host:port" {
			t.Errorf("Server(%q) error = %v", url, err)
		}
	}
}

func TestSilentServerTimesOut(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	s := spec(t, pc.LocalAddr().String(), "A", "a.custodes.test", "[DNS_RCODE] == NOERROR")
	s.Client.Timeout = 200 * time.Millisecond
	obs := dns.New().Probe(context.Background(), s)
	if obs.Connected || len(obs.Errors) != 1 {
		t.Fatalf("Connected = %v, Errors = %q", obs.Connected, obs.Errors)
	}
	want := "dns query A a.custodes.test. to " + pc.LocalAddr().String() + ": context deadline exceeded"
	if !strings.HasPrefix(obs.Errors[0], want) || !strings.Contains(obs.Errors[0], "timed out after") {
		t.Errorf("error = %q, want it to start with %q and say it timed out", obs.Errors[0], want)
	}
}

func TestCancelledQuery(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	time.AfterFunc(30*time.Millisecond, cancel)
	obs := dns.New().Probe(ctx, spec(t, pc.LocalAddr().String(), "A", "a.custodes.test"))
	if obs.Connected || len(obs.Errors) != 1 || !strings.Contains(obs.Errors[0], "context canceled") {
		t.Errorf("Connected = %v, Errors = %q", obs.Connected, obs.Errors)
	}
}

func TestBadConfiguration(t *testing.T) {
	srv := probetest.StartDNS(t, zone...)
	tests := []struct {
		qtype, qname, err string
	}{
		{"BOGUS", "a.custodes.test", `invalid dns query-type "BOGUS"`},
		{"A", "", "dns query-name is empty"},
		{"A", "a..custodes.test", `invalid dns query-name "a..custodes.test"`},
	}
	for _, tt := range tests {
		obs := probe(t, spec(t, srv.Addr, tt.qtype, tt.qname))
		if obs.Connected || len(obs.Errors) != 1 || obs.Errors[0] != tt.err {
			t.Errorf("%q %q: Errors = %q, want %q", tt.qtype, tt.qname, obs.Errors, tt.err)
		}
	}
	s := probetest.Spec(t, monitor.KindDNS, srv.Addr)
	if obs := probe(t, s); len(obs.Errors) != 1 || !strings.HasPrefix(obs.Errors[0], "dns monitor has no dns section") {
		t.Errorf("no dns section: Errors = %q", obs.Errors)
	}
	if srv.Queries() != 0 {
		t.Errorf("bad configurations sent %d queries", srv.Queries())
	}
}

func TestBodyOnlyWhenAConditionReadsIt(t *testing.T) {
	srv := probetest.StartDNS(t, zone...)
	obs := probe(t, spec(t, srv.Addr, "A", "a.custodes.test", "[DNS_RCODE] == NOERROR"))
	if !obs.Connected || obs.Body != nil || obs.DNSRCode != "NOERROR" {
		t.Errorf("Connected = %v, Body = %q, DNSRCode = %q", obs.Connected, obs.Body, obs.DNSRCode)
	}
}

func TestIPOfTheServer(t *testing.T) {
	srv := probetest.StartDNS(t, zone...)
	obs := probe(t, spec(t, srv.Addr, "A", "a.custodes.test", "[IP] == 127.0.0.1"))
	if obs.IP != "127.0.0.1" || !obs.Connected {
		t.Errorf("IP = %q, Connected = %v, Errors = %q", obs.IP, obs.Connected, obs.Errors)
	}
}

func TestRcodeName(t *testing.T) {
	for code, want := range map[int]string{0: "NOERROR", 2: "SERVFAIL", 3: "NXDOMAIN", 5: "REFUSED", 3841: "RCODE3841"} {
		if got := dns.RcodeName(code); got != want {
			t.Errorf("RcodeName(%d) = %q, want %q", code, got, want)
		}
	}
}

func TestServerFailureRcode(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &mdns.Server{PacketConn: pc, Handler: mdns.HandlerFunc(func(w mdns.ResponseWriter, r *mdns.Msg) {
		m := new(mdns.Msg)
		m.SetRcode(r, mdns.RcodeServerFailure)
		_ = w.WriteMsg(m)
	})}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.ActivateAndServe() }()
	<-started
	defer func() { _ = srv.Shutdown(); <-done }()
	obs := probe(t, spec(t, pc.LocalAddr().String(), "A", "a.custodes.test", "[DNS_RCODE] == NOERROR"))
	if !obs.Connected || obs.DNSRCode != "SERVFAIL" || obs.Body != nil || len(obs.Errors) != 0 {
		t.Errorf("Connected = %v, DNSRCode = %q, Body = %q, Errors = %q", obs.Connected, obs.DNSRCode, obs.Body, obs.Errors)
	}
}
