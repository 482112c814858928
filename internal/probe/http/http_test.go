package http_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	nethttp "net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"github.com/custodes/custodes/internal/monitor"
	probehttp "github.com/custodes/custodes/internal/probe/http"
	"github.com/custodes/custodes/internal/probe/internal/probetest"
)

func TestMain(m *testing.M) {
	if serveTargetIfAsked() {
		return
	}
	goleak.VerifyTestMain(m)
}

// newProber returns a prober closed when the test ends.
func newProber(t testing.TB, opts probehttp.Options) *probehttp.Prober {
	p := probehttp.New(opts)
	t.Cleanup(p.Close)
	return p
}

// server starts an httptest server closed when the test ends.
func server(t testing.TB, h nethttp.HandlerFunc) *httptest.Server {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func probe(t testing.TB, p *probehttp.Prober, spec *monitor.Spec) monitor.Observation {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return p.Probe(ctx, spec)
}

func TestGet(t *testing.T) {
	srv := server(t, func(w nethttp.ResponseWriter, r *nethttp.Request) {
		w.WriteHeader(nethttp.StatusTeapot)
		_, _ = io.WriteString(w, "short and stout")
	})
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	obs := probe(t, newProber(t, probehttp.Options{}), probetest.Spec(t, monitor.KindHTTP, srv.URL+"/health", "[STATUS] == 418"))
	want := monitor.Observation{Hostname: "127.0.0.1", Port: port}
	want.Status = 418
	want.Connected = true
	want.IP = "127.0.0.1" // for free, from the connection
	ignore := cmp.FilterPath(func(p cmp.Path) bool {
		s := p.String()
		return s == "Input.ResponseTime" || strings.HasPrefix(s, "Timings")
	}, cmp.Ignore())
	if diff := cmp.Diff(want, obs, ignore); diff != "" {
		t.Errorf("observation (-want +got):\n%s", diff)
	}
	if obs.ResponseTime <= 0 || obs.Timings.Connect <= 0 || obs.Timings.FirstByte <= 0 || obs.Timings.DNS != 0 || obs.Timings.TLS != 0 {
		t.Errorf("ResponseTime = %v, Timings = %+v", obs.ResponseTime, obs.Timings)
	}
}

// request is what the server saw of a request.
type request struct {
	Method, Host, Path, Body string
	Header                   nethttp.Header
}

// recorder answers 200 and reports each request it gets.
func recorder(t testing.TB) (*httptest.Server, <-chan request) {
	got := make(chan request, 16)
	srv := server(t, func(w nethttp.ResponseWriter, r *nethttp.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- request{Method: r.Method, Host: r.Host, Path: r.URL.Path, Body: string(b), Header: r.Header}
	})
	return srv, got
}

func TestRequest(t *testing.T) {
	srv, got := recorder(t)
	p := newProber(t, probehttp.Options{})
	tests := []struct {
		name string
		edit func(*monitor.Spec)
		want request
	}{
		{
			name: "defaults",
			edit: func(*monitor.Spec) {},
			want: request{Method: "GET", Host: srv.Listener.Addr().String(), Path: "/x",
				Header: nethttp.Header{"User-Agent": {"custodes/1.0"}}},
		},
		{
			name: "method, headers, body placeholders",
			edit: func(s *monitor.Spec) {
				s.Method = "POST"
				s.Body = `{"name":"[ENDPOINT_NAME]","group":"[ENDPOINT_GROUP]","url":"[ENDPOINT_URL]"}`
				s.Headers = []monitor.Header{{Name: "Content-Type", Value: "application/json"}, {Name: "host", Value: "api.custodes.test"}, {Name: "user-agent", Value: "Gatus/1.0"}, {Name: "X-Token", Value: "t0k"}}
			},
			want: request{Method: "POST", Host: "api.custodes.test", Path: "/x",
				Body:   `{"name":"m","group":"probes","url":"` + srv.URL + `/x"}`,
				Header: nethttp.Header{"Content-Type": {"application/json"}, "User-Agent": {"Gatus/1.0"}, "X-Token": {"t0k"}}},
		},
		{
			name: "graphql",
			edit: func(s *monitor.Spec) {
				s.Method = "POST"
				s.GraphQL = true
				s.Body = "{\n  user(id: \"[ENDPOINT_NAME]\") { name }\n}"
			},
			want: request{Method: "POST", Host: srv.Listener.Addr().String(), Path: "/x",
				Body:   `{"query":"{\n  user(id: \"m\") { name }\n}"}`,
				Header: nethttp.Header{"Content-Type": {"application/json"}, "User-Agent": {"custodes/1.0"}}},
		},
	}
	for _, tt := range tests {
		spec := probetest.Spec(t, monitor.KindHTTP, srv.URL+"/x", "[STATUS] == 200")
		tt.edit(spec)
		obs := probe(t, p, spec)
		if obs.Status != 200 || len(obs.Errors) != 0 {
			t.Fatalf("%s: Status = %d, Errors = %q", tt.name, obs.Status, obs.Errors)
		}
		r := <-got
		for _, h := range []string{"Accept-Encoding", "Content-Length"} {
			r.Header.Del(h)
		}
		if diff := cmp.Diff(tt.want, r); diff != "" {
			t.Errorf("%s: request (-want +got):\n%s", tt.name, diff)
		}
		if tt.name == "graphql" {
			var q map[string]string
			if err := json.Unmarshal([]byte(r.Body), &q); err != nil || len(q) != 1 {
				t.Errorf("graphql body is not {\"query\": ...}: %q", r.Body)
			}
		}
	}
}

func TestRedirects(t *testing.T) {
	srv := server(t, func(w nethttp.ResponseWriter, r *nethttp.Request) {
		switch r.URL.Path {
		case "/old":
			nethttp.Redirect(w, r, "/new", nethttp.StatusFound)
		case "/loop":
			nethttp.Redirect(w, r, "/loop", nethttp.StatusFound)
		default:
			w.WriteHeader(nethttp.StatusAccepted)
		}
	})
	p := newProber(t, probehttp.Options{})
	obs := probe(t, p, probetest.Spec(t, monitor.KindHTTP, srv.URL+"/old", "[STATUS] == 202"))
	if obs.Status != 202 || len(obs.Errors) != 0 {
		t.Errorf("followed: Status = %d, Errors = %q", obs.Status, obs.Errors)
	}
	spec := probetest.Spec(t, monitor.KindHTTP, srv.URL+"/old", "[STATUS] == 302")
	spec.Client.IgnoreRedirect = true
	obs = probe(t, p, spec)
	if obs.Status != 302 || len(obs.Errors) != 0 {
		t.Errorf("ignored: Status = %d, Errors = %q", obs.Status, obs.Errors)
	}
	obs = probe(t, p, probetest.Spec(t, monitor.KindHTTP, srv.URL+"/loop", "[STATUS] == 200"))
	if obs.Connected || len(obs.Errors) != 1 || !strings.HasSuffix(obs.Errors[0], "stopped after 10 redirects") {
		t.Errorf("loop: Connected = %v, Errors = %q", obs.Connected, obs.Errors)
	}
	if p.Clients() != 2 {
		t.Errorf("%d shared clients, want 2 (following and ignoring redirects)", p.Clients())
	}
}

func TestClientsAreSharedPerOptions(t *testing.T) {
	srv := server(t, func(nethttp.ResponseWriter, *nethttp.Request) {})
	p := newProber(t, probehttp.Options{})
	a := probetest.Spec(t, monitor.KindHTTP, srv.URL+"/a")
	a.Client.Timeout = 20 * time.Second
	b := probetest.Spec(t, monitor.KindHTTP, srv.URL+"/b")
	b.Client.Timeout = 25 * time.Second // the timeout is per check, not per client
	c := probetest.Spec(t, monitor.KindHTTP, srv.URL+"/c")
	c.Client.Insecure = true
	for _, s := range []*monitor.Spec{a, b, a, c} {
		if obs := probe(t, p, s); obs.Status != 200 {
			t.Fatalf("%s: Status = %d, Errors = %q", s.URL, obs.Status, obs.Errors)
		}
	}
	if p.Clients() != 2 {
		t.Errorf("%d shared clients, want 2", p.Clients())
	}
}

func TestConnectionsAreReused(t *testing.T) {
	srv := httptest.NewUnstartedServer(nethttp.HandlerFunc(func(w nethttp.ResponseWriter, r *nethttp.Request) {
		if r.URL.Path == "/chunked" {
			w.(nethttp.Flusher).Flush()
		}
		_, _ = io.WriteString(w, strings.Repeat("ok", 1000))
	}))
	var newConns atomic.Int32
	srv.Config.ConnState = func(_ net.Conn, s nethttp.ConnState) {
		if s == nethttp.StateNew {
			newConns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	// A generous drain time: a slow machine must not make this test flaky.
	p := probehttp.NewWithDrainTime(probehttp.Options{}, time.Minute)
	defer p.Close()
	for _, path := range []string{"/length", "/chunked"} {
		for range 5 {
			obs := probe(t, p, probetest.Spec(t, monitor.KindHTTP, srv.URL+path, "[STATUS] == 200"))
			if obs.Status != 200 || obs.Body != nil || len(obs.Errors) != 0 {
				t.Fatalf("Status = %d, Body of %d bytes, Errors = %q", obs.Status, len(obs.Body), obs.Errors)
			}
		}
	}
	if n := newConns.Load(); n != 1 {
		t.Errorf("%d connections for 10 sequential checks, want 1 (bodies drained, connection kept alive)", n)
	}
}

func TestMalformedResponses(t *testing.T) {
	tests := map[string]func(net.Conn){
		"garbage": func(c net.Conn) {
			_, _ = c.Read(make([]byte, 4096))
			_, _ = io.WriteString(c, "\x00\x01garbage\x7f\r\n\r\n")
		},
		"closes": func(c net.Conn) { _, _ = c.Read(make([]byte, 4096)) },
		"huge header": func(c net.Conn) {
			_, _ = c.Read(make([]byte, 4096))
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nX-Big: ")
			chunk := strings.Repeat("a", 64<<10)
			for range 64 {
				if _, err := io.WriteString(c, chunk); err != nil {
					return
				}
			}
		},
	}
	want := map[string]string{
		"garbage":     "malformed HTTP response",
		"closes":      "EOF",
		"huge header": "server response headers exceeded",
	}
	for name, handle := range tests {
		t.Run(name, func(t *testing.T) {
			ln := probetest.Listen(t)
			done := make(chan struct{})
			go func() {
				defer close(done)
				c, err := ln.Accept()
				if err != nil {
					return
				}
				handle(c)
				_ = c.Close()
			}()
			obs := probe(t, newProber(t, probehttp.Options{}), probetest.Spec(t, monitor.KindHTTP, "http://"+ln.Addr().String()+"/", "[STATUS] == 200"))
			<-done
			if obs.Connected || obs.Status != 0 || len(obs.Errors) != 1 || !strings.Contains(obs.Errors[0], want[name]) {
				t.Errorf("Connected = %v, Status = %d, Errors = %q; want an error with %q", obs.Connected, obs.Status, obs.Errors, want[name])
			}
		})
	}
}

func TestHangingServerTimesOut(t *testing.T) {
	release := make(chan struct{})
	srv := server(t, func(w nethttp.ResponseWriter, r *nethttp.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	defer close(release)
	spec := probetest.Spec(t, monitor.KindHTTP, srv.URL, "[STATUS] == 200")
	spec.Client.Timeout = 200 * time.Millisecond
	obs := newProber(t, probehttp.Options{}).Probe(context.Background(), spec)
	want := `Get "` + srv.URL + `": context deadline exceeded (timed out after `
	if obs.Connected || len(obs.Errors) != 1 || !strings.HasPrefix(obs.Errors[0], want) {
		t.Errorf("Connected = %v, Errors = %q; want %q…", obs.Connected, obs.Errors, want)
	}
}

func TestClosedPort(t *testing.T) {
	addr := probetest.ClosedPort(t)
	obs := probe(t, newProber(t, probehttp.Options{}), probetest.Spec(t, monitor.KindHTTP, "http://"+addr+"/", "[CONNECTED] == false"))
	if obs.Connected || len(obs.Errors) != 1 || !strings.Contains(obs.Errors[0], "connection refused") {
		t.Errorf("Connected = %v, Errors = %q", obs.Connected, obs.Errors)
	}
}

func TestBadRequests(t *testing.T) {
	p := newProber(t, probehttp.Options{})
	tests := []struct {
		url, method, err string
	}{
		{url: "http://exa mple.org/", err: `parse "http://exa mple.org/": invalid character " " in host name`},
		{url: "http://127.0.0.1:1/", method: "BAD METHOD", err: `net/http: invalid method "BAD METHOD"`},
	}
	for _, tt := range tests {
		spec := probetest.Spec(t, monitor.KindHTTP, tt.url)
		spec.Method = tt.method
		obs := probe(t, p, spec)
		if len(obs.Errors) != 1 || obs.Errors[0] != tt.err {
			t.Errorf("%s %s: Errors = %q, want %q", tt.method, tt.url, obs.Errors, tt.err)
		}
	}
}

func TestCancelledCheck(t *testing.T) {
	srv := server(t, func(w nethttp.ResponseWriter, r *nethttp.Request) { <-r.Context().Done() })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	time.AfterFunc(30*time.Millisecond, cancel)
	obs := newProber(t, probehttp.Options{}).Probe(ctx, probetest.Spec(t, monitor.KindHTTP, srv.URL))
	if obs.Connected || len(obs.Errors) != 1 || !strings.HasSuffix(obs.Errors[0], "context canceled (check cancelled)") {
		t.Errorf("Connected = %v, Errors = %q", obs.Connected, obs.Errors)
	}
}

func TestClosedProber(t *testing.T) {
	srv := server(t, func(nethttp.ResponseWriter, *nethttp.Request) {})
	p := probehttp.New(probehttp.Options{})
	p.Close()
	obs := probe(t, p, probetest.Spec(t, monitor.KindHTTP, srv.URL))
	if len(obs.Errors) != 1 || obs.Errors[0] != "http prober is closed" {
		t.Errorf("Errors = %q", obs.Errors)
	}
}
