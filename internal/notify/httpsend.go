package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits of the HTTP send helper.
const (
	// MaxErrorBody is how much of a failed response is read for the error.
	MaxErrorBody = 2 << 10
	// maxDrain is how much of a successful response is read (and dropped)
	// so its connection can be reused; the rest is abandoned with the
	// connection.
	maxDrain = 4 << 10
	// maxErrorText is how many characters of the body an error shows.
	maxErrorText = 512
)

// NewHTTPClient returns the shared client for HTTP notifiers: bounded
// dial, TLS handshake and response-header times, an overall limit per
// request (a ctx deadline may cut it shorter), and at most 5 redirects.
func NewHTTPClient() *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           dialer.DialContext,
			ForceAttemptHTTP2:     true,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: 20 * time.Second,
			ExpectContinueTimeout: time.Second,
			IdleConnTimeout:       90 * time.Second,
			MaxIdleConns:          100,
			MaxIdleConnsPerHost:   4,
		},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("stopped after 5 redirects")
			}
			return nil
		},
	}
}

// HTTPRequest is one call to a receiver.
type HTTPRequest struct {
	Method string // "" means POST
	URL    string
	Header http.Header
	Body   []byte
}

// SendError is a send that reached the receiver and was refused, or could
// not be made. It says whether trying again may help and how long the
// receiver asked to wait.
type SendError struct {
	Method string
	Target string // scheme://host of the URL: paths and queries often hold secrets
	Status int    // the HTTP status; 0 when no response came
	Body   string // the start of the response body, cleaned for display
	// RetryAfter is the receiver's Retry-After (0: none).
	RetryAfter time.Duration
	Retryable  bool
	Err        error // the transport error when no response came
}

// Error reads "POST https://host: unexpected status 503 Service
// Unavailable: <body> (retry after 30s)" or "POST https://host: <cause>".
func (e *SendError) Error() string {
	var b strings.Builder
	b.WriteString(e.Method)
	b.WriteByte(' ')
	b.WriteString(e.Target)
	b.WriteString(": ")
	if e.Status == 0 {
		if e.Err != nil {
			b.WriteString(e.Err.Error())
		} else {
			b.WriteString("no response")
		}
		return b.String()
	}
	b.WriteString("unexpected status ")
	b.WriteString(statusText(e.Status))
	if e.Body != "" {
		b.WriteString(": ")
		b.WriteString(e.Body)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	return b.String()
}

// Unwrap returns the transport error, if any.
func (e *SendError) Unwrap() error { return e.Err }

func statusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return fmt.Sprintf("%d %s", code, t)
	}
	return fmt.Sprint(code)
}

// Send makes the request with client under ctx and classifies the outcome:
// a 2xx status is success; anything else is a *SendError whose Retryable
// follows RetryableStatus (and Retry-After is honoured), and a transport
// failure is a *SendError whose Retryable follows Retryable. The response
// body is always closed; at most MaxErrorBody bytes of it are read.
// Errors never show the URL's path or query, which often hold tokens.
func Send(ctx context.Context, client *http.Client, r HTTPRequest) (retryable bool, err error) {
	method := r.Method
	if method == "" {
		method = http.MethodPost
	}
	target := redactURL(r.URL)
	var body io.Reader
	if r.Body != nil {
		body = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, method, r.URL, body)
	if err != nil {
		// Only a bad method or URL gets here; config validation rejects both.
		return false, &SendError{Method: method, Target: target, Err: errors.New("invalid request: bad method or URL")}
	}
	for k, vs := range r.Header {
		req.Header[k] = append([]string(nil), vs...)
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "custodes")
	}
	resp, err := client.Do(req)
	if err != nil {
		cause := err
		var ue *url.Error
		if errors.As(err, &ue) {
			cause = ue.Err // url.Error repeats the full URL
		}
		if ctx.Err() != nil && !errors.Is(cause, ctx.Err()) {
			cause = fmt.Errorf("%w (%v)", ctx.Err(), cause)
		}
		se := &SendError{Method: method, Target: target, Err: cause}
		se.Retryable = Retryable(cause)
		return se.Retryable, se
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrain))
		return false, nil
	}
	text, _ := io.ReadAll(io.LimitReader(resp.Body, MaxErrorBody))
	se := &SendError{
		Method:    method,
		Target:    target,
		Status:    resp.StatusCode,
		Body:      cleanText(text, maxErrorText),
		Retryable: RetryableStatus(resp.StatusCode),
	}
	if se.Retryable {
		if d, ok := ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			se.RetryAfter = d
		}
	}
	return se.Retryable, se
}

// PostJSON sends v as a JSON body with Content-Type: application/json.
func PostJSON(ctx context.Context, client *http.Client, rawURL string, header http.Header, v any) (retryable bool, err error) {
	body, err := JSON(v)
	if err != nil {
		return false, err
	}
	h := http.Header{}
	for k, vs := range header {
		h[k] = vs
	}
	h.Set("Content-Type", "application/json")
	return Send(ctx, client, HTTPRequest{Method: http.MethodPost, URL: rawURL, Header: h, Body: body})
}

// JSON encodes v compactly without escaping <, > and & (receivers render
// HTML and Markdown themselves), and without a trailing newline.
func JSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode JSON body: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// redactURL keeps scheme and host: webhook paths and query strings are
// secrets (Slack, Discord, Teams, Telegram bot tokens).
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "<invalid URL>"
	}
	return u.Scheme + "://" + u.Host
}

// cleanText makes a response body printable on one line: invalid UTF-8 and
// control characters become spaces, runs of spaces shrink, and the result
// is cut at limit runes.
func cleanText(b []byte, limit int) string {
	var out strings.Builder
	n := 0
	space := false
	for len(b) > 0 && n < limit {
		r, size := utf8.DecodeRune(b)
		b = b[size:]
		if r == utf8.RuneError || unicode.IsControl(r) || unicode.IsSpace(r) {
			space = out.Len() > 0
			continue
		}
		if space {
			out.WriteByte(' ')
			n++
			space = false
		}
		out.WriteRune(r)
		n++
	}
	if len(b) > 0 && n >= limit {
		out.WriteString("…")
	}
	return out.String()
}

// ClientConfig is the part of Gatus's `client` section that applies to a
// notifier's connection (custom, telegram, email, googlechat, mattermost).
type ClientConfig struct {
	Insecure       bool          `yaml:"insecure"`        // skip TLS certificate verification
	IgnoreRedirect bool          `yaml:"ignore-redirect"` // do not follow redirects
	Timeout        time.Duration `yaml:"timeout"`         // per-request limit; 0: the shared client's
}

// Validate checks the section at field (e.g. "client").
func (c ClientConfig) Validate(v *Validation, field string) {
	if c.Timeout < 0 {
		v.Errorf(field+".timeout", "must not be negative")
	}
}

// HTTPClient returns base when c changes nothing, else a copy of base with
// c applied. An insecure copy uses a clone of base's transport (made once
// per base transport) that skips certificate verification.
func (c ClientConfig) HTTPClient(base *http.Client) *http.Client {
	if c == (ClientConfig{}) {
		return base
	}
	cl := *base
	if c.Timeout > 0 {
		cl.Timeout = c.Timeout
	}
	if c.IgnoreRedirect {
		cl.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	if c.Insecure {
		cl.Transport = insecureTransport(base.Transport)
	}
	return &cl
}

// insecureTransports holds one certificate-ignoring clone per base
// transport, so building notifiers over and over does not multiply
// connection pools.
var insecureTransports sync.Map // http.RoundTripper -> *http.Transport

func insecureTransport(base http.RoundTripper) *http.Transport {
	if t, ok := insecureTransports.Load(base); ok {
		return t.(*http.Transport)
	}
	bt, ok := base.(*http.Transport)
	if !ok {
		bt = http.DefaultTransport.(*http.Transport)
	}
	t := bt.Clone()
	if t.TLSClientConfig == nil {
		t.TLSClientConfig = &tls.Config{}
	}
	t.TLSClientConfig.InsecureSkipVerify = true
	actual, _ := insecureTransports.LoadOrStore(base, t)
	return actual.(*http.Transport)
}
