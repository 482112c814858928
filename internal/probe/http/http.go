// Package http probes http:// and https:// monitors as Gatus does: one
// request with the monitor's method, headers and body; [STATUS], [BODY],
// [CERTIFICATE_EXPIRATION], [RESPONSE_TIME] (until the response headers)
// and [CONNECTED] (a response came back) from the response. Redirects are
// followed unless client.ignore-redirect is set.
//
// Clients are shared: monitors with the same client options use one
// keep-alive transport, so checking many monitors on one host reuses
// connections instead of opening one per check.
package http

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	nethttp "net/http"
	"net/http/httptrace"
	"strings"
	"sync"
	"time"

	"github.com/custodes/custodes/internal/monitor"
	"github.com/custodes/custodes/internal/monitor/condition"
	"github.com/custodes/custodes/internal/probe/payload"
	"github.com/custodes/custodes/internal/probe/target"
)

// DefaultUserAgent is sent when a monitor sets no User-Agent header.
const DefaultUserAgent = "custodes/1.0"

// DefaultMaxBodyBytes is how much of a response body is read for [BODY].
const DefaultMaxBodyBytes = 1 << 20

// drainBytes is how much of an unneeded body is read so that the
// connection can be reused; a longer body closes the connection instead.
const drainBytes = 64 << 10

// drainTime bounds the time spent draining an unneeded body: a server that
// sends its body slowly loses its connection rather than holding the check.
const drainTime = 100 * time.Millisecond

var errClosed = errors.New("http prober is closed")

// Options configure the HTTP prober. Zero values take the defaults.
type Options struct {
	// MaxBodyBytes is how much of a body is read for [BODY]; a longer body
	// is an error of the check. Default 1 MiB.
	MaxBodyBytes int64
	// UserAgent is sent when a monitor sets none. Default DefaultUserAgent.
	UserAgent string
	// MaxIdleConnsPerHost is how many idle keep-alive connections a shared
	// client keeps per target host. Default 64.
	MaxIdleConnsPerHost int
	// MaxIdleConns is how many idle connections a shared client keeps in
	// all. Default 1024.
	MaxIdleConns int

	now       func() time.Time
	drainTime time.Duration
}

// Prober checks HTTP monitors. It is safe for concurrent use.
type Prober struct {
	opts    Options
	mu      sync.RWMutex
	clients map[clientKey]*client
	closed  bool
}

// New returns an HTTP prober.
func New(opts Options) *Prober {
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.UserAgent == "" {
		opts.UserAgent = DefaultUserAgent
	}
	if opts.MaxIdleConnsPerHost <= 0 {
		opts.MaxIdleConnsPerHost = 64
	}
	if opts.MaxIdleConns <= 0 {
		opts.MaxIdleConns = 1024
	}
	if opts.now == nil {
		opts.now = time.Now
	}
	if opts.drainTime <= 0 {
		opts.drainTime = drainTime
	}
	return &Prober{opts: opts, clients: make(map[clientKey]*client)}
}

// Close closes the idle connections of every shared client and makes
// further checks fail.
func (p *Prober) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for k, c := range p.clients {
		c.transport.CloseIdleConnections()
		delete(p.clients, k)
	}
}

// Probe sends the monitor's request and reports the response.
func (p *Prober) Probe(ctx context.Context, spec *monitor.Spec) monitor.Observation {
	return p.probe(ctx, spec, spec.Needs())
}

func (p *Prober) probe(ctx context.Context, spec *monitor.Spec, needs condition.Needs) (obs monitor.Observation) {
	// cancel also lets drain abandon a slow body.
	ctx, cancel := target.WithTimeout(ctx, spec)
	defer cancel()
	tr := newTrace()
	req, err := p.request(httptrace.WithClientTrace(ctx, &tr.client), spec)
	if err != nil {
		obs.AddError(err.Error())
		return obs
	}
	obs.Hostname, obs.Port = req.URL.Hostname(), req.URL.Port()
	c, err := p.clientFor(&spec.Client)
	if err != nil {
		obs.AddError(err.Error())
		return obs
	}
	if needs.IP {
		start := time.Now()
		if obs.IP, err = target.LookupIP(ctx, c.resolver, c.ipNetwork, obs.Hostname); err != nil {
			obs.AddError(target.Explain(ctx, start, err))
			return obs
		}
	}
	if c.token != nil {
		start := time.Now()
		auth, err := c.token.authorization(ctx)
		if err != nil {
			obs.AddError(target.Explain(ctx, start, err))
			return obs
		}
		req.Header.Set("Authorization", auth)
	}

	start := time.Now()
	resp, err := c.http.Do(req)
	obs.ResponseTime = time.Since(start)
	if err != nil {
		obs.Timings, _ = tr.result()
		obs.AddError(target.Explain(ctx, start, err))
		return obs
	}
	defer resp.Body.Close()
	obs.Status = resp.StatusCode
	obs.Connected = resp.StatusCode > 0
	if resp.TLS != nil && len(resp.TLS.PeerCertificates) > 0 {
		obs.CertificateExpiration = resp.TLS.PeerCertificates[0].NotAfter.Sub(p.opts.now())
	}
	var ip string
	obs.Timings, ip = tr.result()
	if obs.IP == "" && !c.proxied(req) {
		obs.IP = ip
	}
	if needs.Body {
		body, err := readBody(resp, p.opts.MaxBodyBytes)
		obs.Body = body
		if err != nil {
			obs.AddError(target.Explain(ctx, start, err))
		}
		return obs
	}
	drain(resp, p.opts.drainTime, cancel)
	return obs
}

// request builds the monitor's request: method (GET by default), body with
// its placeholders (wrapped as {"query": body} for GraphQL), headers (Host
// sets the request's host), a default User-Agent, and Content-Type for
// GraphQL.
func (p *Prober) request(ctx context.Context, spec *monitor.Spec) (*nethttp.Request, error) {
	method := spec.Method
	if method == "" {
		method = nethttp.MethodGet
	}
	body := payload.Body(spec)
	if spec.GraphQL {
		b, err := json.Marshal(map[string]string{"query": body})
		if err != nil {
			return nil, err
		}
		body = string(b)
	}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := nethttp.NewRequestWithContext(ctx, method, spec.URL, rd)
	if err != nil {
		return nil, err
	}
	for _, h := range spec.Headers {
		if strings.EqualFold(h.Name, "Host") {
			req.Host = h.Value
			continue
		}
		req.Header.Set(h.Name, h.Value)
	}
	if _, ok := req.Header["User-Agent"]; !ok {
		req.Header.Set("User-Agent", p.opts.UserAgent)
	}
	if spec.GraphQL {
		if _, ok := req.Header["Content-Type"]; !ok {
			req.Header.Set("Content-Type", "application/json")
		}
	}
	return req, nil
}
