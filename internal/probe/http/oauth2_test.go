package http_test

import (
	"io"
	nethttp "net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/custodes/custodes/internal/monitor"
	probehttp "github.com/custodes/custodes/internal/probe/http"
	"github.com/custodes/custodes/internal/probe/internal/probetest"
)

// tokenServer issues client-credentials tokens "tok1", "tok2"... valid for
// expiresIn seconds. basic says whether it accepts credentials in the
// Authorization header (otherwise only in the form).
type tokenServer struct {
	url      string
	issued   atomic.Int32
	requests atomic.Int32
	mu       sync.Mutex
	forms    []url.Values
}

func newTokenServer(t *testing.T, basic bool, expiresIn string) *tokenServer {
	ts := &tokenServer{}
	srv := server(t, func(w nethttp.ResponseWriter, r *nethttp.Request) {
		ts.requests.Add(1)
		_ = r.ParseForm()
		ts.mu.Lock()
		ts.forms = append(ts.forms, r.PostForm)
		ts.mu.Unlock()
		id, secret, ok := r.BasicAuth()
		if !ok || !basic {
			id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
		}
		if r.Method != "POST" || r.PostForm.Get("grant_type") != "client_credentials" || id != "custodes" || secret != "s3cret&=" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(nethttp.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"error":"invalid_client"}`)
			return
		}
		n := ts.issued.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"access_token":"tok`+string(rune('0'+n))+`","token_type":"bearer","expires_in":`+expiresIn+`}`)
	})
	ts.url = srv.URL + "/token"
	return ts
}

// protected answers 200 to "Bearer tok<n>" and reports the token it got.
func protected(t *testing.T) (string, <-chan string) {
	got := make(chan string, 16)
	srv := server(t, func(w nethttp.ResponseWriter, r *nethttp.Request) {
		auth := r.Header.Get("Authorization")
		got <- auth
		if !strings.HasPrefix(auth, "Bearer tok") {
			w.WriteHeader(nethttp.StatusUnauthorized)
		}
	})
	return srv.URL, got
}

func oauthSpec(t *testing.T, url, tokenURL string) *monitor.Spec {
	spec := probetest.Spec(t, monitor.KindHTTP, url, "[STATUS] == 200")
	spec.Client.OAuth2 = &monitor.OAuth2{TokenURL: tokenURL, ClientID: "custodes", ClientSecret: "s3cret&=", Scopes: []string{"read", "health"}}
	return spec
}

func TestOAuth2TokenIsFetchedOnceAndReused(t *testing.T) {
	ts := newTokenServer(t, true, "3600")
	url, got := protected(t)
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	var clock atomic.Int64
	clock.Store(now.UnixNano())
	p := probehttp.NewWithClock(probehttp.Options{}, func() time.Time { return time.Unix(0, clock.Load()) })
	defer p.Close()
	spec := oauthSpec(t, url, ts.url)
	for i := range 3 {
		obs := probe(t, p, spec)
		if obs.Status != 200 || len(obs.Errors) != 0 {
			t.Fatalf("check %d: Status = %d, Errors = %q", i, obs.Status, obs.Errors)
		}
		if auth := <-got; auth != "Bearer tok1" {
			t.Errorf("check %d sent %q", i, auth)
		}
	}
	if n := ts.issued.Load(); n != 1 {
		t.Errorf("%d tokens issued for 3 checks, want 1", n)
	}
	if f := ts.forms[0]; f.Get("scope") != "read health" || f.Get("client_secret") != "" {
		t.Errorf("token request form = %v; want scope \"read health\" and the secret in the header", f)
	}

	// Ten seconds before expiry the token is renewed.
	clock.Store(now.Add(3590 * time.Second).UnixNano())
	if obs := probe(t, p, spec); obs.Status != 200 || <-got != "Bearer tok2" {
		t.Errorf("after expiry: Status = %d, Errors = %q", obs.Status, obs.Errors)
	}
}

func TestOAuth2CredentialsInTheBody(t *testing.T) {
	ts := newTokenServer(t, false, `"60"`)
	url, got := protected(t)
	p := newProber(t, probehttp.Options{})
	spec := oauthSpec(t, url, ts.url)
	for range 2 {
		if obs := probe(t, p, spec); obs.Status != 200 || len(obs.Errors) != 0 || <-got != "Bearer tok1" {
			t.Fatalf("Status = %d, Errors = %q", obs.Status, obs.Errors)
		}
	}
	// The header was tried once, then the body; the body is kept.
	if n := ts.requests.Load(); n != 2 {
		t.Errorf("%d token requests, want 2", n)
	}
}

func TestOAuth2Failure(t *testing.T) {
	ts := newTokenServer(t, true, "3600")
	url, got := protected(t)
	p := newProber(t, probehttp.Options{})
	spec := oauthSpec(t, url, ts.url)
	spec.Client.OAuth2.ClientSecret = "wrong"
	obs := probe(t, p, spec)
	want := "oauth2: cannot fetch token from " + ts.url + `: 401 Unauthorized: {"error":"invalid_client"}`
	if obs.Connected || len(obs.Errors) != 1 || obs.Errors[0] != want {
		t.Errorf("Connected = %v, Errors = %q; want %q", obs.Connected, obs.Errors, want)
	}
	select {
	case auth := <-got:
		t.Errorf("the monitored URL was requested (with %q) without a token", auth)
	default:
	}
	spec.Client.OAuth2 = &monitor.OAuth2{TokenURL: ts.url}
	if obs := probe(t, p, spec); len(obs.Errors) != 1 || obs.Errors[0] != "invalid client oauth2: token-url, client-id and client-secret must be set" {
		t.Errorf("incomplete oauth2: Errors = %q", obs.Errors)
	}
}

func TestParseToken(t *testing.T) {
	tests := []struct {
		name, contentType, body string
		access, kind            string
		expiresIn               int64
		err                     string
	}{
		{name: "json", contentType: "application/json", body: `{"access_token":"a","token_type":"bearer","expires_in":3600}`, access: "a", kind: "Bearer", expiresIn: 3600},
		{name: "string expiry", contentType: "application/json; charset=utf-8", body: `{"access_token":"a","expires_in":"60"}`, access: "a", kind: "Bearer", expiresIn: 60},
		{name: "no expiry", contentType: "", body: `{"access_token":"a","token_type":"MAC"}`, access: "a", kind: "MAC"},
		{name: "custom type", contentType: "application/json", body: `{"access_token":"a","token_type":"DPoP","expires_in":null}`, access: "a", kind: "DPoP"},
		{name: "form", contentType: "application/x-www-form-urlencoded", body: "access_token=f&token_type=bearer&expires_in=30", access: "f", kind: "Bearer", expiresIn: 30},
		{name: "no token", contentType: "application/json", body: `{"token_type":"bearer"}`, err: "token response has no access_token"},
		{name: "bad expiry", contentType: "application/json", body: `{"access_token":"a","expires_in":"soon"}`, err: `invalid expires_in "soon" in token response`},
		{name: "not json", contentType: "application/json", body: `<html>`, err: "invalid token response: invalid character '<' looking for beginning of value: <html>"},
	}
	for _, tt := range tests {
		access, kind, exp, err := probehttp.ParseToken(tt.contentType, []byte(tt.body))
		gotErr := ""
		if err != nil {
			gotErr = err.Error()
		}
		if gotErr != tt.err || (err == nil && (access != tt.access || kind != tt.kind || exp != tt.expiresIn)) {
			t.Errorf("%s: got %q %q %d %q; want %q %q %d %q", tt.name, access, kind, exp, gotErr, tt.access, tt.kind, tt.expiresIn, tt.err)
		}
	}
}

func FuzzParseToken(f *testing.F) {
	f.Add("application/json", `{"access_token":"a","expires_in":"60"}`)
	f.Add("application/x-www-form-urlencoded", "access_token=f&expires_in=30")
	f.Add("text/plain", "%zz")
	f.Fuzz(func(t *testing.T, contentType, body string) {
		access, kind, _, err := probehttp.ParseToken(contentType, []byte(body))
		if err == nil && (access == "" || kind == "") {
			t.Fatalf("accepted a token without access token or type: %q %q", access, kind)
		}
	})
}
