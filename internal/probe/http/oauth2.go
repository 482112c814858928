package http

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	nethttp "net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/custodes/custodes/internal/monitor"
)

// expiryMargin renews a token this long before the server says it expires,
// so a check never starts with a token about to lapse.
const expiryMargin = 10 * time.Second

// maxTokenResponse bounds the token endpoint's response.
const maxTokenResponse = 1 << 20

// Client authentication styles of the token request (RFC 6749 §2.3.1).
const (
	styleUnknown = iota // try the header, then the body, keep what works
	styleHeader         // HTTP Basic authentication
	styleParams         // client_id and client_secret in the form body
)

// tokenSource gets an OAuth2 client-credentials token and keeps it until it
// expires. Concurrent checks share one token and one request for it.
type tokenSource struct {
	conf   monitor.OAuth2
	client *nethttp.Client // the monitor's client, without the token
	now    func() time.Time

	sem    chan struct{} // held while reading or renewing the token
	value  string        // Authorization header value, "Bearer …"
	expiry time.Time     // zero: does not expire
	style  int
}

func newTokenSource(conf monitor.OAuth2, client *nethttp.Client, now func() time.Time) *tokenSource {
	conf.Scopes = append([]string(nil), conf.Scopes...)
	return &tokenSource{conf: conf, client: client, now: now, sem: make(chan struct{}, 1)}
}

// authorization returns the Authorization header value, fetching a token
// when there is none or it is about to expire.
func (s *tokenSource) authorization(ctx context.Context) (string, error) {
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return "", fmt.Errorf("oauth2: waiting for a token from %s: %w", s.conf.TokenURL, ctx.Err())
	}
	defer func() { <-s.sem }()
	if s.value != "" && (s.expiry.IsZero() || s.now().Before(s.expiry.Add(-expiryMargin))) {
		return s.value, nil
	}
	var err error
	switch s.style {
	case styleUnknown:
		if err = s.fetch(ctx, styleHeader); err == nil {
			s.style = styleHeader
			break
		}
		if ctx.Err() != nil {
			break
		}
		if err2 := s.fetch(ctx, styleParams); err2 == nil {
			s.style, err = styleParams, nil
		}
	default:
		err = s.fetch(ctx, s.style)
	}
	if err != nil {
		return "", err
	}
	return s.value, nil
}

// fetch asks the token endpoint for a token, authenticating with style.
func (s *tokenSource) fetch(ctx context.Context, style int) error {
	form := url.Values{"grant_type": {"client_credentials"}}
	if len(s.conf.Scopes) > 0 {
		form.Set("scope", strings.Join(s.conf.Scopes, " "))
	}
	if style == styleParams {
		form.Set("client_id", s.conf.ClientID)
		form.Set("client_secret", s.conf.ClientSecret)
	}
	req, err := nethttp.NewRequestWithContext(ctx, nethttp.MethodPost, s.conf.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("oauth2: invalid token-url: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if style == styleHeader {
		req.SetBasicAuth(url.QueryEscape(s.conf.ClientID), url.QueryEscape(s.conf.ClientSecret))
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("oauth2: cannot fetch token: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenResponse+1))
	if err != nil {
		return fmt.Errorf("oauth2: cannot fetch token from %s: reading response: %w", s.conf.TokenURL, err)
	}
	if len(body) > maxTokenResponse {
		return fmt.Errorf("oauth2: cannot fetch token from %s: response exceeds %d bytes", s.conf.TokenURL, maxTokenResponse)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("oauth2: cannot fetch token from %s: %s: %s", s.conf.TokenURL, resp.Status, excerpt(body))
	}
	tok, err := parseToken(resp.Header.Get("Content-Type"), body)
	if err != nil {
		return fmt.Errorf("oauth2: cannot fetch token from %s: %w", s.conf.TokenURL, err)
	}
	s.value = tok.kind + " " + tok.access
	s.expiry = time.Time{}
	if tok.expiresIn > 0 {
		s.expiry = s.now().Add(time.Duration(tok.expiresIn) * time.Second)
	}
	return nil
}

type token struct {
	access    string
	kind      string // Authorization scheme: Bearer, MAC, ...
	expiresIn int64  // seconds; 0 when not given
}

// parseToken reads a token response: JSON (RFC 6749 §5.1), or the form
// encoding some providers still send.
func parseToken(contentType string, body []byte) (token, error) {
	var t token
	var rawExpires string
	if ct, _, _ := strings.Cut(contentType, ";"); strings.TrimSpace(ct) == "application/x-www-form-urlencoded" || strings.TrimSpace(ct) == "text/plain" {
		v, err := url.ParseQuery(string(body))
		if err != nil {
			return t, fmt.Errorf("invalid token response: %w", err)
		}
		t.access, t.kind, rawExpires = v.Get("access_token"), v.Get("token_type"), v.Get("expires_in")
	} else {
		var j struct {
			AccessToken string          `json:"access_token"`
			TokenType   string          `json:"token_type"`
			ExpiresIn   json.RawMessage `json:"expires_in"`
		}
		if err := json.Unmarshal(body, &j); err != nil {
			return t, fmt.Errorf("invalid token response: %w: %s", err, excerpt(body))
		}
		t.access, t.kind = j.AccessToken, j.TokenType
		rawExpires = string(bytes.Trim(j.ExpiresIn, `"`))
	}
	if t.access == "" {
		return t, errors.New("token response has no access_token")
	}
	if rawExpires != "" && rawExpires != "null" {
		n, err := strconv.ParseInt(rawExpires, 10, 64)
		if err != nil {
			return t, fmt.Errorf("invalid expires_in %q in token response", rawExpires)
		}
		t.expiresIn = n
	}
	t.kind = tokenType(t.kind)
	return t, nil
}

// tokenType returns the Authorization scheme for a token_type, with the
// customary capitalisation.
func tokenType(s string) string {
	switch strings.ToLower(s) {
	case "", "bearer":
		return "Bearer"
	case "mac":
		return "MAC"
	case "basic":
		return "Basic"
	}
	return s
}

// excerpt returns the start of a response body for an error message.
func excerpt(b []byte) string {
	const max = 200
	s := strings.TrimSpace(string(b))
	if len(s) > max {
		s = s[:max] + "…"
	}
	if s == "" {
		return "(empty body)"
	}
	return s
}
