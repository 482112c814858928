package http_test

import (
	"context"
	cryptotls "crypto/tls"
	"io"
	"log"
	"net"
	nethttp "net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/custodes/custodes/internal/monitor"
	probehttp "github.com/custodes/custodes/internal/probe/http"
	"github.com/custodes/custodes/internal/probe/internal/probetest"
)

var notAfter = time.Date(2032, 1, 2, 3, 4, 5, 0, time.UTC)

// tlsServer starts an HTTPS server with cert, configured by configure.
func tlsServer(t *testing.T, cert *probetest.Cert, configure func(*cryptotls.Config)) *httptest.Server {
	srv := httptest.NewUnstartedServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		_, _ = io.WriteString(w, "secure")
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are expected
	srv.TLS = &cryptotls.Config{Certificates: []cryptotls.Certificate{cert.TLS}}
	if configure != nil {
		configure(srv.TLS)
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

func TestHTTPSCertificateExpiration(t *testing.T) {
	cert := probetest.NewCert(t, notAfter)
	srv := tlsServer(t, cert, nil)
	p := probehttp.NewWithClock(probehttp.Options{}, func() time.Time { return notAfter.Add(-30 * 24 * time.Hour) })
	defer p.Close()

	spec := probetest.Spec(t, monitor.KindHTTP, srv.URL, "[CERTIFICATE_EXPIRATION] > 48h")
	obs := probe(t, p, spec)
	if obs.Connected || len(obs.Errors) != 1 || !strings.Contains(obs.Errors[0], "certificate signed by unknown authority") {
		t.Errorf("verified: Connected = %v, Errors = %q", obs.Connected, obs.Errors)
	}

	spec.Client.Insecure = true
	obs = probe(t, p, spec)
	if obs.Status != 200 || len(obs.Errors) != 0 || obs.CertificateExpiration != 30*24*time.Hour {
		t.Errorf("insecure: Status = %d, CertificateExpiration = %v, Errors = %q", obs.Status, obs.CertificateExpiration, obs.Errors)
	}
	if obs.Timings.TLS <= 0 || obs.Timings.Connect <= 0 {
		t.Errorf("Timings = %+v, want TLS and connect times", obs.Timings)
	}
}

func TestHTTPSClientCertificate(t *testing.T) {
	serverCert := probetest.NewCert(t, notAfter)
	clientCert := probetest.NewCert(t, notAfter)
	srv := tlsServer(t, serverCert, func(c *cryptotls.Config) {
		c.ClientAuth = cryptotls.RequireAndVerifyClientCert
		c.ClientCAs = clientCert.Pool
	})
	p := newProber(t, probehttp.Options{})
	spec := probetest.Spec(t, monitor.KindHTTP, srv.URL, "[STATUS] == 200")
	spec.Client.Insecure = true
	obs := probe(t, p, spec)
	if obs.Status != 0 || len(obs.Errors) != 1 || !strings.Contains(obs.Errors[0], "certificate required") {
		t.Errorf("without client cert: Status = %d, Errors = %q", obs.Status, obs.Errors)
	}
	spec.Client.TLS = &monitor.ClientTLS{CertificateFile: clientCert.CertFile, PrivateKeyFile: clientCert.KeyFile, Renegotiation: "once"}
	obs = probe(t, p, spec)
	if obs.Status != 200 || len(obs.Errors) != 0 {
		t.Errorf("with client cert: Status = %d, Errors = %q", obs.Status, obs.Errors)
	}
	spec.Client.TLS = &monitor.ClientTLS{CertificateFile: clientCert.CertFile + ".missing", PrivateKeyFile: clientCert.KeyFile}
	obs = probe(t, p, spec)
	if len(obs.Errors) != 1 || !strings.HasPrefix(obs.Errors[0], "loading client certificate: open ") {
		t.Errorf("missing certificate file: Errors = %q", obs.Errors)
	}
	if p.Clients() != 2 {
		t.Errorf("%d clients cached, want 2 (a client that fails to build is not cached)", p.Clients())
	}
}

func TestDNSResolverOption(t *testing.T) {
	srv, got := recorder(t)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	dns := probetest.StartDNS(t, "api.custodes.test. 60 IN A 127.0.0.1")
	p := newProber(t, probehttp.Options{})
	spec := probetest.Spec(t, monitor.KindHTTP, "http://api.custodes.test:"+port+"/v1", "[STATUS] == 200")
	spec.Client.DNSResolver = "tcp://" + dns.Addr
	spec.Client.Network = "ip4"
	obs := probe(t, p, spec)
	if obs.Status != 200 || obs.Hostname != "api.custodes.test" || obs.IP != "127.0.0.1" || len(obs.Errors) != 0 {
		t.Fatalf("Status = %d, Hostname = %q, IP = %q, Errors = %q", obs.Status, obs.Hostname, obs.IP, obs.Errors)
	}
	if r := <-got; r.Host != "api.custodes.test:"+port || r.Path != "/v1" {
		t.Errorf("server saw host %q path %q", r.Host, r.Path)
	}
	if obs.Timings.DNS <= 0 {
		t.Errorf("Timings.DNS = %v", obs.Timings.DNS)
	}

	spec.URL = "http://nowhere.custodes.test:" + port + "/v1"
	obs = probe(t, p, spec)
	if obs.Connected || len(obs.Errors) != 1 || !strings.Contains(obs.Errors[0], "no such host") {
		t.Errorf("unknown name: Connected = %v, Errors = %q", obs.Connected, obs.Errors)
	}

	spec.Client.DNSResolver = "1.1.1.1"
	obs = probe(t, p, spec)
	if len(obs.Errors) != 1 || obs.Errors[0] != `invalid dns-resolver "1.1.1.1": format must be {proto}://{host}:{port}` {
		t.Errorf("bad resolver: Errors = %q", obs.Errors)
	}
}

func TestIPIsResolvedFirstWhenAConditionReadsIt(t *testing.T) {
	srv, got := recorder(t)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	dns := probetest.StartDNS(t, "api.custodes.test. 60 IN A 127.0.0.1")
	p := newProber(t, probehttp.Options{})
	spec := probetest.Spec(t, monitor.KindHTTP, "http://api.custodes.test:"+port+"/", "[IP] == 127.0.0.1")
	spec.Client.DNSResolver = "udp://" + dns.Addr
	obs := probe(t, p, spec)
	if obs.IP != "127.0.0.1" || obs.Status != 200 || len(obs.Errors) != 0 {
		t.Errorf("IP = %q, Status = %d, Errors = %q", obs.IP, obs.Status, obs.Errors)
	}
	<-got
	// As in Gatus, a failed lookup ends the check before any request.
	spec.URL = "http://nowhere.custodes.test:" + port + "/"
	before := dns.Queries()
	obs = probe(t, p, spec)
	if obs.Connected || len(obs.Errors) != 1 || !strings.Contains(obs.Errors[0], "lookup nowhere.custodes.test") {
		t.Errorf("unresolvable: Connected = %v, Errors = %q", obs.Connected, obs.Errors)
	}
	if dns.Queries() == before {
		t.Error("no lookup reached the configured resolver")
	}
	select {
	case r := <-got:
		t.Errorf("a request reached the server: %+v", r)
	default:
	}
}

func TestProxyURL(t *testing.T) {
	target, got := recorder(t)
	proxied := make(chan string, 4)
	proxy := server(t, func(w nethttp.ResponseWriter, r *nethttp.Request) {
		proxied <- r.Method + " " + r.URL.String()
		resp, err := nethttp.DefaultTransport.RoundTrip(r.Clone(context.Background()))
		if err != nil {
			w.WriteHeader(nethttp.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	})
	defer nethttp.DefaultTransport.(*nethttp.Transport).CloseIdleConnections()
	p := newProber(t, probehttp.Options{})
	spec := probetest.Spec(t, monitor.KindHTTP, target.URL+"/via-proxy", "[STATUS] == 200")
	spec.Client.ProxyURL = proxy.URL
	obs := probe(t, p, spec)
	if obs.Status != 200 || len(obs.Errors) != 0 {
		t.Fatalf("Status = %d, Errors = %q", obs.Status, obs.Errors)
	}
	if want := "GET " + target.URL + "/via-proxy"; <-proxied != want {
		t.Errorf("proxy did not see %q", want)
	}
	if r := <-got; r.Path != "/via-proxy" {
		t.Errorf("target saw %q", r.Path)
	}
	if obs.IP != "" {
		t.Errorf("IP = %q: the connection's address is the proxy's, not the target's", obs.IP)
	}
	spec.Client.ProxyURL = "::not a url"
	if obs := probe(t, p, spec); len(obs.Errors) != 1 || obs.Errors[0] != `invalid client proxy-url "::not a url"` {
		t.Errorf("bad proxy-url: Errors = %q", obs.Errors)
	}
}

func TestNetworkOption(t *testing.T) {
	srv := server(t, func(nethttp.ResponseWriter, *nethttp.Request) {})
	p := newProber(t, probehttp.Options{})
	spec := probetest.Spec(t, monitor.KindHTTP, srv.URL)
	spec.Client.Network = "ip6"
	obs := probe(t, p, spec)
	if obs.Connected || len(obs.Errors) != 1 {
		t.Errorf("ip6 to an IPv4 target: Connected = %v, Errors = %q", obs.Connected, obs.Errors)
	}
	spec.Client.Network = "ip5"
	obs = probe(t, p, spec)
	if len(obs.Errors) != 1 || obs.Errors[0] != `invalid client network "ip5": must be ip, ip4 or ip6` {
		t.Errorf("bad network: Errors = %q", obs.Errors)
	}
}
