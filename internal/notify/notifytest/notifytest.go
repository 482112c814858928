// Package notifytest is the test kit of the notifier providers: a loopback
// HTTP receiver that records requests and answers as told, sample
// messages of every event, a strict section decoder backed by the real
// config loader, and the retry-classification checks every HTTP provider
// must pass.
package notifytest

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/custodes/custodes/internal/config"
	"github.com/custodes/custodes/internal/notify"
)

// File is the file name test sections claim to come from.
const File = "custodes.yaml"

// Section returns a decoder for a provider section written in YAML (the
// body of `alerting.<provider>`, lines counted from 1), decoding exactly
// as the config loader does.
func Section(t testing.TB, provider, body string) notify.Decoder {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatalf("bad test YAML: %v", err)
	}
	if len(doc.Content) != 1 {
		t.Fatalf("test YAML must hold one mapping")
	}
	return &config.Section{Name: provider, File: File, Node: doc.Content[0]}
}

// Load decodes and validates a section with p, failing the test on error.
func Load(t testing.TB, p notify.Provider, provider, body string, env notify.Env) notify.Configured {
	t.Helper()
	c, err := p.Load(Section(t, provider, body), env)
	if err != nil {
		t.Fatalf("Load(%s): %v", provider, err)
	}
	return c
}

// LoadError returns the error of loading a section that must be refused.
func LoadError(t testing.TB, p notify.Provider, provider, body string) string {
	t.Helper()
	_, err := p.Load(Section(t, provider, body), notify.Env{})
	if err == nil {
		t.Fatalf("Load(%s) succeeded, want an error; section:\n%s", provider, body)
	}
	return err.Error()
}

// Notifier builds the notifier of group with override, failing on error.
func Notifier(t testing.TB, c notify.Configured, group string, override map[string]any) notify.Notifier {
	t.Helper()
	n, err := c.Notifier(group, override)
	if err != nil {
		t.Fatalf("Notifier(%q, %v): %v", group, override, err)
	}
	return n
}

// Client returns an HTTP client for one test, with its idle connections
// closed at the end (so goleak sees no connection goroutines).
func Client(t testing.TB) *http.Client {
	t.Helper()
	tr := &http.Transport{MaxIdleConnsPerHost: 2}
	c := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	t.Cleanup(tr.CloseIdleConnections)
	return c
}

// Env returns an Env whose HTTP client is Client(t).
func Env(t testing.TB) notify.Env { return notify.Env{HTTP: Client(t)} }

// Request is one request a Receiver got.
type Request struct {
	Method string
	Path   string // escaped path
	Query  string // raw query
	Header http.Header
	Body   string
}

// Receiver is a loopback HTTP server recording requests.
type Receiver struct {
	URL string

	srv    *httptest.Server
	closed chan struct{}

	mu      sync.Mutex
	reqs    []Request
	status  int
	headers map[string]string
	body    string
	hang    bool
}

// NewReceiver starts a receiver answering 200 with an empty body. It is
// closed at the end of the test.
func NewReceiver(t testing.TB) *Receiver {
	t.Helper()
	r := &Receiver{status: http.StatusOK, closed: make(chan struct{})}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	r.URL = r.srv.URL
	t.Cleanup(func() {
		close(r.closed)
		r.srv.Close()
	})
	return r
}

// Reply sets the answer to the next requests.
func (r *Receiver) Reply(status int, headers map[string]string, body string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.status, r.headers, r.body, r.hang = status, headers, body, false
}

// Hang makes the receiver accept requests and never answer (until the
// client gives up or the test ends).
func (r *Receiver) Hang() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.hang = true
}

// Requests returns what was received so far.
func (r *Receiver) Requests() []Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.reqs)
}

// Only returns the single request received, failing the test otherwise.
func (r *Receiver) Only(t testing.TB) Request {
	t.Helper()
	reqs := r.Requests()
	if len(reqs) != 1 {
		t.Fatalf("receiver got %d requests, want 1: %+v", len(reqs), reqs)
	}
	return reqs[0]
}

func (r *Receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	r.mu.Lock()
	r.reqs = append(r.reqs, Request{
		Method: req.Method,
		Path:   req.URL.EscapedPath(),
		Query:  req.URL.RawQuery,
		Header: req.Header.Clone(),
		Body:   string(body),
	})
	status, headers, answer, hang := r.status, r.headers, r.body, r.hang
	r.mu.Unlock()
	if hang {
		select {
		case <-req.Context().Done():
		case <-r.closed:
		}
		return
	}
	for k, v := range headers {
		w.Header().Set(k, v)
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, answer)
}

// Header returns h's single value of key, failing when it has several.
func Header(t testing.TB, h http.Header, key string) string {
	t.Helper()
	vs := h.Values(key)
	if len(vs) > 1 {
		t.Fatalf("header %s sent %d times: %q", key, len(vs), vs)
	}
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}

// Expect checks method, path (with query when it has one), the given
// headers (a "" value means absent) and the exact body of got.
func Expect(t testing.TB, got Request, method, path string, headers map[string]string, body string) {
	t.Helper()
	if got.Method != method {
		t.Errorf("method = %s, want %s", got.Method, method)
	}
	gotPath := got.Path
	if got.Query != "" {
		gotPath += "?" + got.Query
	}
	if gotPath != path {
		t.Errorf("path = %s, want %s", gotPath, path)
	}
	for k, want := range headers {
		if v := Header(t, got.Header, k); v != want {
			t.Errorf("header %s = %q, want %q", k, v, want)
		}
	}
	if got.Body != body {
		t.Errorf("body mismatch\n got: %s\nwant: %s", got.Body, body)
	}
}

// CheckRetries runs the retry classification every HTTP provider must
// pass. build returns a notifier sending to the receiver at base (the
// receiver's URL; providers append their own paths).
func CheckRetries(t *testing.T, m *notify.Message, build func(t *testing.T, base string) notify.Notifier) {
	t.Run("2xx is success", func(t *testing.T) {
		rec := NewReceiver(t)
		rec.Reply(http.StatusAccepted, nil, `{"status":"success"}`)
		retry, err := build(t, rec.URL).Notify(context.Background(), m)
		if err != nil || retry {
			t.Fatalf("Notify = %v, %v; want false, nil", retry, err)
		}
	})
	cases := []struct {
		name       string
		status     int
		headers    map[string]string
		retryable  bool
		retryAfter time.Duration
	}{
		{"500 is retryable", 500, nil, true, 0},
		{"503 with Retry-After", 503, map[string]string{"Retry-After": "120"}, true, 2 * time.Minute},
		{"429 with Retry-After", 429, map[string]string{"Retry-After": "7"}, true, 7 * time.Second},
		{"408 is retryable", 408, nil, true, 0},
		{"400 is not retryable", 400, nil, false, 0},
		{"401 is not retryable", 401, nil, false, 0},
		{"404 is not retryable", 404, nil, false, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := NewReceiver(t)
			rec.Reply(c.status, c.headers, "receiver says\nno")
			retry, err := build(t, rec.URL).Notify(context.Background(), m)
			if err == nil {
				t.Fatalf("Notify succeeded on status %d", c.status)
			}
			if retry != c.retryable || notify.Retryable(err) != c.retryable {
				t.Errorf("retryable = %v (Retryable(err) = %v), want %v; err: %v", retry, notify.Retryable(err), c.retryable, err)
			}
			var se *notify.SendError
			if !errors.As(err, &se) || se.Status != c.status {
				t.Fatalf("err = %v, want a *notify.SendError with status %d", err, c.status)
			}
			if se.Body != "receiver says no" {
				t.Errorf("error body = %q, want %q", se.Body, "receiver says no")
			}
			if !strings.Contains(err.Error(), "receiver says no") {
				t.Errorf("error %q does not show the receiver's answer", err)
			}
			ra, ok := notify.RetryAfter(err)
			if ra != c.retryAfter || ok != (c.retryAfter > 0) {
				t.Errorf("RetryAfter = %v, %v; want %v", ra, ok, c.retryAfter)
			}
			if strings.Contains(err.Error(), rec.URL+"/") {
				t.Errorf("error %q shows the URL path (may hold secrets)", err)
			}
		})
	}
	t.Run("hanging receiver cut off by the deadline", func(t *testing.T) {
		rec := NewReceiver(t)
		rec.Hang()
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		retry, err := build(t, rec.URL).Notify(ctx, m)
		if err == nil || !retry {
			t.Fatalf("Notify = %v, %v; want retryable error", retry, err)
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want it to wrap context.DeadlineExceeded", err)
		}
	})
	t.Run("refused connection is retryable", func(t *testing.T) {
		rec := NewReceiver(t)
		n := build(t, rec.URL)
		rec.srv.Close() // nothing listens any more
		retry, err := n.Notify(context.Background(), m)
		if err == nil || !retry {
			t.Fatalf("Notify = %v, %v; want retryable error", retry, err)
		}
	})
}

// CheckAllEvents sends a message of every event kind to a receiver
// answering 200 and checks each one is sent (at least one request, no
// error); check, if not nil, inspects the requests of each.
func CheckAllEvents(t *testing.T, build func(t *testing.T, base string) notify.Notifier, check func(t *testing.T, m *notify.Message, reqs []Request)) {
	for _, m := range AllEvents() {
		t.Run(string(m.Event)+degradedSuffix(m), func(t *testing.T) {
			rec := NewReceiver(t)
			if retry, err := build(t, rec.URL).Notify(context.Background(), m); err != nil {
				t.Fatalf("Notify(%s) = %v, %v", m.Event, retry, err)
			}
			reqs := rec.Requests()
			if len(reqs) == 0 {
				t.Fatalf("Notify(%s) sent nothing", m.Event)
			}
			if check != nil {
				check(t, m, reqs)
			}
		})
	}
}

func degradedSuffix(m *notify.Message) string {
	if m.Event == notify.EventDegraded {
		return "-" + m.State
	}
	return ""
}
