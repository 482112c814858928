package notify

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// RetryPolicy spaces the attempts of one failing send: exponential backoff
// with jitter, as Alertmanager's retry stage. A zero Base, Max or Factor
// means the default; a zero Jitter means none.
type RetryPolicy struct {
	// Base is the delay after the first failed attempt (before jitter).
	Base time.Duration
	// Max caps every delay computed from Base and Factor.
	Max time.Duration
	// Factor multiplies the delay after each further failure (>= 1).
	Factor float64
	// Jitter is the fraction (0..1) of each delay that is random: the delay
	// is d*(1-Jitter) + d*Jitter*r with r drawn from Random, so retries of
	// many entries spread out instead of hammering a receiver together.
	Jitter float64
	// Random returns a number in [0, 1). nil means math/rand/v2's Float64.
	// Tests inject a fixed sequence to make Delay deterministic.
	Random func() float64
}

// Default retry numbers: 2s, 4s, 8s, ... up to 5 minutes, 20% jitter.
const (
	DefaultRetryBase   = 2 * time.Second
	DefaultRetryMax    = 5 * time.Minute
	DefaultRetryFactor = 2.0
	DefaultRetryJitter = 0.2
	// MaxRetryAfter bounds how long a receiver's Retry-After may hold a
	// send back: a receiver asking for a day is treated as asking for this.
	MaxRetryAfter = time.Hour
)

// DefaultRetryPolicy returns the policy the dispatcher uses unless told
// otherwise.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{Base: DefaultRetryBase, Max: DefaultRetryMax, Factor: DefaultRetryFactor, Jitter: DefaultRetryJitter}
}

// Delay returns how long to wait after the attempt-th failed attempt
// (attempt 1 is the first failure; smaller values count as 1). It never
// exceeds Max and never returns a negative duration, whatever the fields.
func (p RetryPolicy) Delay(attempt int) time.Duration {
	base, maxD, factor, jitter := p.Base, p.Max, p.Factor, p.Jitter
	if base <= 0 {
		base = DefaultRetryBase
	}
	if maxD <= 0 {
		maxD = DefaultRetryMax
	}
	if base > maxD {
		base = maxD
	}
	if !(factor >= 1) || math.IsInf(factor, 0) { // also catches NaN
		factor = DefaultRetryFactor
	}
	if !(jitter >= 0) {
		jitter = 0
	}
	jitter = min(jitter, 1)
	attempt = max(attempt, 1)

	// base * factor^(attempt-1), computed in float64 and capped before it
	// can overflow a Duration.
	d := float64(base) * math.Pow(factor, float64(attempt-1))
	if !(d <= float64(maxD)) { // +Inf and NaN included
		d = float64(maxD)
	}
	if jitter > 0 {
		r := p.random()
		d = d*(1-jitter) + d*jitter*r
	}
	return time.Duration(max(d, 0))
}

// Wait returns how long to wait after the attempt-th failure that returned
// err: Delay(attempt), or the receiver's Retry-After when that is longer.
func (p RetryPolicy) Wait(attempt int, err error) time.Duration {
	d := p.Delay(attempt)
	if ra, ok := RetryAfter(err); ok && ra > d {
		return ra
	}
	return d
}

func (p RetryPolicy) random() float64 {
	var r float64
	if p.Random != nil {
		r = p.Random()
	} else {
		r = rand.Float64()
	}
	if !(r >= 0) { // NaN or negative
		return 0
	}
	return min(r, 1)
}

// RetryableStatus reports whether an HTTP response status is worth
// retrying: 5xx, 408 Request Timeout and 429 Too Many Requests. Every other
// 4xx means the request itself is wrong (bad key, bad payload, gone) and
// sending it again cannot help.
func RetryableStatus(code int) bool {
	switch {
	case code >= 500 && code <= 599:
		return true
	case code == http.StatusRequestTimeout, code == http.StatusTooManyRequests:
		return true
	}
	return false
}

// Retryable classifies an error returned by a send: true for network
// errors, timeouts (a receiver cut off by the ctx deadline included), an
// interrupted send (ctx cancelled: the send was not refused, so it stays
// pending), a *SendError that says so and SMTP 4xx replies; false for
// certificate problems, SMTP 5xx replies, other *SendError and anything not
// recognised as transient.
func Retryable(err error) bool {
	if err == nil {
		return false
	}
	var se *SendError
	if errors.As(err, &se) {
		return se.Retryable
	}
	var (
		unknownAuthority x509.UnknownAuthorityError
		hostname         x509.HostnameError
		invalidCert      x509.CertificateInvalidError
		verification     *tls.CertificateVerificationError
		smtpReply        *textproto.Error
	)
	switch {
	case errors.As(err, &unknownAuthority), errors.As(err, &hostname),
		errors.As(err, &invalidCert), errors.As(err, &verification):
		return false // a configuration problem: retrying shows the same certificate
	case errors.As(err, &smtpReply):
		return smtpReply.Code >= 400 && smtpReply.Code < 500
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return true
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return true // dial, DNS, read and write failures, timeouts
	}
	var urlErr *url.Error
	return errors.As(err, &urlErr) // the transport failed before any response
}

// RetryAfter returns the wait a receiver asked for (Retry-After) when err
// carries one.
func RetryAfter(err error) (time.Duration, bool) {
	var se *SendError
	if errors.As(err, &se) && se.RetryAfter > 0 {
		return se.RetryAfter, true
	}
	return 0, false
}

// ParseRetryAfter reads a Retry-After header value: delay-seconds or an
// HTTP date (relative to now). It returns false for an empty or malformed
// value and for a date already past; the result is capped at MaxRetryAfter.
func ParseRetryAfter(value string, now time.Time) (time.Duration, bool) {
	value = strings.TrimSpace(value)
	if value == "" {
		return 0, false
	}
	if secs, err := strconv.ParseUint(value, 10, 64); err == nil {
		if secs == 0 {
			return 0, false
		}
		if secs > uint64(MaxRetryAfter/time.Second) {
			return MaxRetryAfter, true
		}
		return time.Duration(secs) * time.Second, true
	}
	at, err := http.ParseTime(value)
	if err != nil {
		return 0, false
	}
	d := at.Sub(now)
	if d <= 0 {
		return 0, false
	}
	return min(d, MaxRetryAfter), true
}
