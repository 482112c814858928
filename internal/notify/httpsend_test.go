package notify_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/custodes/custodes/internal/notify"
	"github.com/custodes/custodes/internal/notify/notifytest"
)

func TestSendRequest(t *testing.T) {
	rec := notifytest.NewReceiver(t)
	retry, err := notify.Send(context.Background(), notifytest.Client(t), notify.HTTPRequest{
		Method: http.MethodPut,
		URL:    rec.URL + "/hooks/T0/B1?token=s3cret",
		Header: http.Header{"X-One": {"1"}, "Content-Type": {"text/plain"}},
		Body:   []byte("hello"),
	})
	if err != nil || retry {
		t.Fatalf("Send = %v, %v", retry, err)
	}
	notifytest.Expect(t, rec.Only(t), "PUT", "/hooks/T0/B1?token=s3cret",
		map[string]string{"X-One": "1", "Content-Type": "text/plain", "User-Agent": "custodes"}, "hello")
}

func TestSendDefaultsToPost(t *testing.T) {
	rec := notifytest.NewReceiver(t)
	if _, err := notify.Send(context.Background(), notifytest.Client(t), notify.HTTPRequest{URL: rec.URL}); err != nil {
		t.Fatal(err)
	}
	notifytest.Expect(t, rec.Only(t), "POST", "/", map[string]string{"User-Agent": "custodes"}, "")
}

func TestPostJSON(t *testing.T) {
	rec := notifytest.NewReceiver(t)
	v := map[string]any{"text": "<b>a & b</b>", "n": 1}
	if _, err := notify.PostJSON(context.Background(), notifytest.Client(t), rec.URL+"/x", http.Header{"Authorization": {"Bearer t"}}, v); err != nil {
		t.Fatal(err)
	}
	notifytest.Expect(t, rec.Only(t), "POST", "/x",
		map[string]string{"Content-Type": "application/json", "Authorization": "Bearer t"},
		`{"n":1,"text":"<b>a & b</b>"}`)
}

func TestPostJSONUnencodable(t *testing.T) {
	retry, err := notify.PostJSON(context.Background(), http.DefaultClient, "http://127.0.0.1:1/", nil, map[string]any{"f": func() {}})
	if err == nil || retry {
		t.Fatalf("PostJSON = %v, %v; want a permanent error", retry, err)
	}
}

func TestSendErrors(t *testing.T) {
	cases := []struct {
		name    string
		status  int
		headers map[string]string
		body    string
		want    string
		retry   bool
	}{
		{"500 with body", 500, nil, "internal\r\n\terror  here", "POST http://HOST: unexpected status 500 Internal Server Error: internal error here", true},
		{"429 with Retry-After", 429, map[string]string{"Retry-After": "30"}, "slow down", "POST http://HOST: unexpected status 429 Too Many Requests: slow down (retry after 30s)", true},
		{"400 ignores Retry-After", 400, map[string]string{"Retry-After": "30"}, `{"error":"invalid_payload"}`, `POST http://HOST: unexpected status 400 Bad Request: {"error":"invalid_payload"}`, false},
		{"302 not followed is refused", 302, nil, "", "POST http://HOST: unexpected status 302 Found", false},
		{"unknown status", 599, nil, "", "POST http://HOST: unexpected status 599", true},
		{"invalid UTF-8 and controls", 500, nil, "a\x00b\xffc\x1b[31m", "POST http://HOST: unexpected status 500 Internal Server Error: a b c [31m", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := notifytest.NewReceiver(t)
			rec.Reply(c.status, c.headers, c.body)
			retry, err := notify.Send(context.Background(), notifytest.Client(t), notify.HTTPRequest{URL: rec.URL + "/secret/path?key=k"})
			if err == nil {
				t.Fatal("Send succeeded")
			}
			want := strings.ReplaceAll(c.want, "HOST", strings.TrimPrefix(rec.URL, "http://"))
			if err.Error() != want {
				t.Errorf("error = %q\n want %q", err, want)
			}
			if retry != c.retry {
				t.Errorf("retryable = %v, want %v", retry, c.retry)
			}
		})
	}
}

func TestSendLongErrorBodyIsCut(t *testing.T) {
	rec := notifytest.NewReceiver(t)
	rec.Reply(500, nil, strings.Repeat("x", 10000))
	_, err := notify.Send(context.Background(), notifytest.Client(t), notify.HTTPRequest{URL: rec.URL})
	var se *notify.SendError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v", err)
	}
	if want := strings.Repeat("x", 512) + "…"; se.Body != want {
		t.Errorf("body = %d chars, want 512 and an ellipsis", len(se.Body))
	}
}

func TestSendInvalidRequest(t *testing.T) {
	retry, err := notify.Send(context.Background(), http.DefaultClient, notify.HTTPRequest{Method: "BAD METHOD", URL: "http://127.0.0.1:1/"})
	if err == nil || retry {
		t.Fatalf("Send = %v, %v", retry, err)
	}
	if want := "BAD METHOD http://127.0.0.1:1: invalid request: bad method or URL"; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	_, err = notify.Send(context.Background(), http.DefaultClient, notify.HTTPRequest{URL: "://nope/token"})
	if want := "POST <invalid URL>: invalid request: bad method or URL"; err == nil || err.Error() != want {
		t.Errorf("error = %v, want %q", err, want)
	}
}

func TestSendCancelledBeforeStart(t *testing.T) {
	rec := notifytest.NewReceiver(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	retry, err := notify.Send(ctx, notifytest.Client(t), notify.HTTPRequest{URL: rec.URL})
	if !errors.Is(err, context.Canceled) || !retry {
		t.Fatalf("Send = %v, %v; want retryable context.Canceled", retry, err)
	}
	if n := len(rec.Requests()); n != 0 {
		t.Errorf("receiver got %d requests", n)
	}
}

// countingBody is a response body that records how much was read and
// whether it was closed.
type countingBody struct {
	r      io.Reader
	read   atomic.Int64
	closed atomic.Bool
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.read.Add(int64(n))
	return n, err
}

func (b *countingBody) Close() error { b.closed.Store(true); return nil }

type fixedTransport struct {
	status int
	body   *countingBody
}

func (f fixedTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: f.status, Header: http.Header{}, Body: f.body}, nil
}

func TestSendNeverLeaksBodies(t *testing.T) {
	for _, status := range []int{200, 204, 302, 400, 500} {
		body := &countingBody{r: bytes.NewReader(make([]byte, 1<<20))}
		client := &http.Client{Transport: fixedTransport{status: status, body: body}}
		_, _ = notify.Send(context.Background(), client, notify.HTTPRequest{URL: "http://receiver.test/"})
		if !body.closed.Load() {
			t.Errorf("status %d: body not closed", status)
		}
		if n := body.read.Load(); n > 4<<10 {
			t.Errorf("status %d: read %d bytes of the body, want at most 4 KiB", status, n)
		}
	}
}

func TestClientConfigHTTPClient(t *testing.T) {
	base := notifytest.Client(t)
	if got := (notify.ClientConfig{}).HTTPClient(base); got != base {
		t.Error("an empty client section must keep the shared client")
	}

	tlsSrv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
	tlsSrv.StartTLS()
	defer tlsSrv.Close()
	retry, err := notify.Send(context.Background(), base, notify.HTTPRequest{URL: tlsSrv.URL})
	if err == nil || retry {
		t.Fatalf("self-signed certificate: Send = %v, %v; want a permanent error", retry, err)
	}
	insecure := notify.ClientConfig{Insecure: true}.HTTPClient(base)
	defer insecure.CloseIdleConnections()
	if again := (notify.ClientConfig{Insecure: true, Timeout: time.Second}).HTTPClient(base); again.Transport != insecure.Transport {
		t.Error("a second insecure client got its own transport")
	}
	if _, err := notify.Send(context.Background(), insecure, notify.HTTPRequest{URL: tlsSrv.URL}); err != nil {
		t.Fatalf("insecure: %v", err)
	}
	if tc := base.Transport.(*http.Transport).TLSClientConfig; tc != nil && tc.InsecureSkipVerify {
		t.Error("insecure changed the shared transport")
	}

	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/from" {
			http.Redirect(w, r, "/to", http.StatusFound)
		}
	}))
	defer redirect.Close()
	if _, err := notify.Send(context.Background(), base, notify.HTTPRequest{Method: "GET", URL: redirect.URL + "/from"}); err != nil {
		t.Fatalf("redirect followed: %v", err)
	}
	noRedirect := notify.ClientConfig{IgnoreRedirect: true}.HTTPClient(base)
	_, err = notify.Send(context.Background(), noRedirect, notify.HTTPRequest{Method: "GET", URL: redirect.URL + "/from"})
	var se *notify.SendError
	if !errors.As(err, &se) || se.Status != http.StatusFound {
		t.Fatalf("ignore-redirect: err = %v, want status 302", err)
	}

	timed := notify.ClientConfig{Timeout: 3 * time.Second}.HTTPClient(base)
	if timed.Timeout != 3*time.Second || base.Timeout != 10*time.Second {
		t.Errorf("timeout: got %v (base %v)", timed.Timeout, base.Timeout)
	}
}

func TestNewHTTPClient(t *testing.T) {
	c := notify.NewHTTPClient()
	defer c.CloseIdleConnections()
	if c.Timeout <= 0 {
		t.Error("no overall timeout")
	}
	tr, ok := c.Transport.(*http.Transport)
	if !ok || tr.TLSHandshakeTimeout <= 0 || tr.ResponseHeaderTimeout <= 0 {
		t.Fatalf("transport lacks timeouts: %+v", c.Transport)
	}
	hops := 0
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hops++
		http.Redirect(w, r, srv.URL+"/again", http.StatusFound)
	}))
	defer srv.Close()
	retry, err := notify.Send(context.Background(), c, notify.HTTPRequest{Method: "GET", URL: srv.URL})
	if err == nil || !strings.Contains(err.Error(), "stopped after 5 redirects") {
		t.Fatalf("endless redirects: %v, %v", retry, err)
	}
	if hops != 5 { // as net/http counts: 5 redirect answers, then stop
		t.Errorf("made %d requests, want 5", hops)
	}
}

func TestJSON(t *testing.T) {
	b, err := notify.JSON(map[string]string{"a": "<&>"})
	if err != nil || string(b) != `{"a":"<&>"}` {
		t.Errorf("JSON = %s, %v", b, err)
	}
}
