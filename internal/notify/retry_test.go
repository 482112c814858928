package notify_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/textproto"
	"net/url"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/custodes/custodes/internal/notify"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fixed returns a random source that always yields r.
func fixed(r float64) func() float64 { return func() float64 { return r } }

func TestRetryPolicyDelay(t *testing.T) {
	noJitter := notify.RetryPolicy{Base: time.Second, Max: 30 * time.Second, Factor: 2}
	half := notify.RetryPolicy{Base: time.Second, Max: 30 * time.Second, Factor: 2, Jitter: 0.5, Random: fixed(0.5)}
	cases := []struct {
		name    string
		p       notify.RetryPolicy
		attempt int
		want    time.Duration
	}{
		{"attempt 0 counts as 1", noJitter, 0, time.Second},
		{"negative attempt counts as 1", noJitter, -5, time.Second},
		{"first", noJitter, 1, time.Second},
		{"second", noJitter, 2, 2 * time.Second},
		{"third", noJitter, 3, 4 * time.Second},
		{"fifth", noJitter, 5, 16 * time.Second},
		{"capped at max", noJitter, 6, 30 * time.Second},
		{"huge attempt stays at max", noJitter, 1 << 30, 30 * time.Second},
		{"max int attempt", noJitter, math.MaxInt, 30 * time.Second},
		{"jitter 0.5, r 0.5", half, 3, 3 * time.Second},
		{"jitter 0.5, r 0", notify.RetryPolicy{Base: time.Second, Max: time.Minute, Factor: 2, Jitter: 0.5, Random: fixed(0)}, 3, 2 * time.Second},
		{"jitter 0.5, r 1", notify.RetryPolicy{Base: time.Second, Max: time.Minute, Factor: 2, Jitter: 0.5, Random: fixed(1)}, 3, 4 * time.Second},
		{"full jitter, r 0.25", notify.RetryPolicy{Base: 4 * time.Second, Max: time.Minute, Factor: 3, Jitter: 1, Random: fixed(0.25)}, 2, 3 * time.Second},
		{"jitter of a capped delay", notify.RetryPolicy{Base: time.Second, Max: 10 * time.Second, Factor: 10, Jitter: 0.5, Random: fixed(0)}, 4, 5 * time.Second},
		{"factor 1 is constant", notify.RetryPolicy{Base: 3 * time.Second, Max: time.Minute, Factor: 1}, 9, 3 * time.Second},
		{"zero value uses defaults, no jitter", notify.RetryPolicy{Random: fixed(0)}, 1, 2 * time.Second},
		{"zero value, third attempt", notify.RetryPolicy{Random: fixed(1)}, 3, 8 * time.Second},
		{"zero value, capped at 5m", notify.RetryPolicy{Random: fixed(1)}, 20, 5 * time.Minute},
		{"base above max is max", notify.RetryPolicy{Base: time.Hour, Max: time.Minute, Factor: 2}, 1, time.Minute},
		{"negative base is the default", notify.RetryPolicy{Base: -time.Second, Max: time.Minute, Factor: 2}, 1, 2 * time.Second},
		{"NaN factor is the default", notify.RetryPolicy{Base: time.Second, Max: time.Minute, Factor: math.NaN()}, 3, 4 * time.Second},
		{"factor below 1 is the default", notify.RetryPolicy{Base: time.Second, Max: time.Minute, Factor: 0.5}, 2, 2 * time.Second},
		{"infinite factor is the default", notify.RetryPolicy{Base: time.Second, Max: time.Minute, Factor: math.Inf(1)}, 2, 2 * time.Second},
		{"jitter above 1 is 1", notify.RetryPolicy{Base: 2 * time.Second, Max: time.Minute, Factor: 2, Jitter: 7, Random: fixed(0.5)}, 1, time.Second},
		{"negative jitter is none", notify.RetryPolicy{Base: 2 * time.Second, Max: time.Minute, Factor: 2, Jitter: -1, Random: fixed(0)}, 1, 2 * time.Second},
		{"NaN random is 0", notify.RetryPolicy{Base: 2 * time.Second, Max: time.Minute, Factor: 2, Jitter: 1, Random: fixed(math.NaN())}, 1, 0},
		{"random above 1 is 1", notify.RetryPolicy{Base: 2 * time.Second, Max: time.Minute, Factor: 2, Jitter: 1, Random: fixed(9)}, 1, 2 * time.Second},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.p.Delay(c.attempt); got != c.want {
				t.Errorf("Delay(%d) = %v, want %v", c.attempt, got, c.want)
			}
		})
	}
}

func TestRetryPolicyDelaySequence(t *testing.T) {
	// An injected sequence makes the jittered delays reproducible.
	seq := []float64{0, 0.5, 1, 0.25}
	i := 0
	p := notify.RetryPolicy{Base: time.Second, Max: time.Minute, Factor: 2, Jitter: 0.2, Random: func() float64 {
		r := seq[i%len(seq)]
		i++
		return r
	}}
	want := []time.Duration{800 * time.Millisecond, 1800 * time.Millisecond, 4 * time.Second, 6800 * time.Millisecond}
	for attempt, w := range want {
		if got := p.Delay(attempt + 1); got != w {
			t.Errorf("Delay(%d) = %v, want %v", attempt+1, got, w)
		}
	}
}

func TestRetryPolicyDefaultRandomStaysInRange(t *testing.T) {
	p := notify.DefaultRetryPolicy()
	for attempt := 1; attempt <= 200; attempt++ {
		d := p.Delay(attempt)
		raw := time.Duration(min(float64(notify.DefaultRetryBase)*math.Pow(2, float64(attempt-1)), float64(notify.DefaultRetryMax)))
		low := time.Duration(float64(raw) * (1 - notify.DefaultRetryJitter))
		if d < low || d > raw {
			t.Fatalf("Delay(%d) = %v, want within [%v, %v]", attempt, d, low, raw)
		}
	}
}

func TestRetryPolicyWait(t *testing.T) {
	p := notify.RetryPolicy{Base: 10 * time.Second, Max: time.Minute, Factor: 2}
	cases := []struct {
		name string
		err  error
		want time.Duration
	}{
		{"no error", nil, 10 * time.Second},
		{"plain error", errors.New("boom"), 10 * time.Second},
		{"shorter Retry-After", &notify.SendError{Status: 429, Retryable: true, RetryAfter: 3 * time.Second}, 10 * time.Second},
		{"longer Retry-After wins", &notify.SendError{Status: 429, Retryable: true, RetryAfter: 5 * time.Minute}, 5 * time.Minute},
		{"wrapped", fmt.Errorf("slack: %w", &notify.SendError{Status: 503, Retryable: true, RetryAfter: 20 * time.Second}), 20 * time.Second},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := p.Wait(1, c.err); got != c.want {
				t.Errorf("Wait = %v, want %v", got, c.want)
			}
		})
	}
}

func TestRetryableStatus(t *testing.T) {
	for code := 100; code <= 599; code++ {
		want := code >= 500 || code == 408 || code == 429
		if got := notify.RetryableStatus(code); got != want {
			t.Errorf("RetryableStatus(%d) = %v, want %v", code, got, want)
		}
	}
	for _, code := range []int{0, -1, 600, 999} {
		if notify.RetryableStatus(code) {
			t.Errorf("RetryableStatus(%d) = true", code)
		}
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestRetryable(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"deadline", context.DeadlineExceeded, true},
		{"wrapped deadline", fmt.Errorf("post: %w", context.DeadlineExceeded), true},
		{"cancelled: not refused, stays pending", context.Canceled, true},
		{"connection refused", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, true},
		{"connection reset", fmt.Errorf("read: %w", syscall.ECONNRESET), true},
		{"broken pipe", syscall.EPIPE, true},
		{"unexpected EOF", io.ErrUnexpectedEOF, true},
		{"EOF", fmt.Errorf("smtp: %w", io.EOF), true},
		{"net timeout", timeoutErr{}, true},
		{"DNS failure", &net.DNSError{Err: "no such host", Name: "hooks.example", IsNotFound: true}, true},
		{"transport error", &url.Error{Op: "Post", URL: "https://x", Err: errors.New("http2: server sent GOAWAY")}, true},
		{"unknown authority", &url.Error{Op: "Post", URL: "https://x", Err: x509.UnknownAuthorityError{}}, false},
		{"hostname mismatch", x509.HostnameError{Host: "x"}, false},
		{"expired certificate", x509.CertificateInvalidError{Reason: x509.Expired}, false},
		{"TLS verification", &tls.CertificateVerificationError{Err: errors.New("bad")}, false},
		{"SMTP 451", &textproto.Error{Code: 451, Msg: "try later"}, true},
		{"SMTP 421", fmt.Errorf("rcpt: %w", &textproto.Error{Code: 421, Msg: "closing"}), true},
		{"SMTP 550", &textproto.Error{Code: 550, Msg: "no such user"}, false},
		{"SMTP 535", &textproto.Error{Code: 535, Msg: "auth failed"}, false},
		{"retryable send error", &notify.SendError{Status: 503, Retryable: true}, true},
		{"refused send error", &notify.SendError{Status: 400}, false},
		{"send error wins over its cause", &notify.SendError{Err: context.DeadlineExceeded, Retryable: false}, false},
		{"unknown error", errors.New("template: bad"), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := notify.Retryable(c.err); got != c.want {
				t.Errorf("Retryable(%v) = %v, want %v", c.err, got, c.want)
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	cases := []struct {
		value string
		want  time.Duration
		ok    bool
	}{
		{"", 0, false},
		{"   ", 0, false},
		{"0", 0, false},
		{"7", 7 * time.Second, true},
		{" 120 ", 2 * time.Minute, true},
		{"3600", time.Hour, true},
		{"3601", notify.MaxRetryAfter, true},
		{"18446744073709551615", notify.MaxRetryAfter, true},
		{"99999999999999999999999", 0, false},
		{"-1", 0, false},
		{"1.5", 0, false},
		{"soon", 0, false},
		{"Tue, 04 Mar 2025 05:07:37 GMT", 90 * time.Second, true},
		{"Tuesday, 04-Mar-25 05:07:37 GMT", 90 * time.Second, true},
		{"Tue, 04 Mar 2025 05:06:07 GMT", 0, false},
		{"Mon, 03 Mar 2025 05:06:07 GMT", 0, false},
		{"Wed, 05 Mar 2025 05:06:07 GMT", notify.MaxRetryAfter, true},
	}
	for _, c := range cases {
		got, ok := notify.ParseRetryAfter(c.value, now)
		if got != c.want || ok != c.ok {
			t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v, %v", c.value, got, ok, c.want, c.ok)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	if d, ok := notify.RetryAfter(nil); ok || d != 0 {
		t.Errorf("RetryAfter(nil) = %v, %v", d, ok)
	}
	if d, ok := notify.RetryAfter(errors.New("x")); ok || d != 0 {
		t.Errorf("RetryAfter(plain) = %v, %v", d, ok)
	}
	err := fmt.Errorf("pagerduty: %w", &notify.SendError{Status: 429, RetryAfter: 9 * time.Second, Retryable: true})
	if d, ok := notify.RetryAfter(err); !ok || d != 9*time.Second {
		t.Errorf("RetryAfter(wrapped) = %v, %v", d, ok)
	}
}
