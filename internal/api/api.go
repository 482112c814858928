// Package api serves custodes' HTTP API on a standard net/http ServeMux:
// Gatus's read routes (statuses, uptimes, response times, badges, charts)
// with Gatus's JSON shapes, status codes, query parameters and headers, so
// Gatus tooling keeps working; Gatus's external-endpoint push; and the
// process probes /healthz, /readyz and /metrics.
//
// Security follows Gatus: with security.basic set, only the two statuses
// routes need credentials; badges, uptimes, response times, charts,
// /metrics and Gatus's /health stay public (they are meant to be embedded
// in READMEs and scraped), the external push is guarded by the endpoint's
// own bearer token, and /healthz and /readyz are always public.
package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/custodes/custodes/internal/history"
	"github.com/custodes/custodes/internal/monitor"
)

// Monitors gives the current set of monitors.
type Monitors interface {
	// Monitors returns every monitor, sorted by key.
	Monitors() []*monitor.Spec
	// Monitor returns the monitor with this key.
	Monitor(key string) (*monitor.Spec, bool)
}

// ExternalSink accepts results pushed to external endpoints (POST
// /api/v1/endpoints/{key}/external). It records them as if a probe had
// produced them: history, metrics, alerting.
type ExternalSink interface {
	PushExternal(ctx context.Context, r monitor.Result) error
}

// BasicAuth is Gatus's security.basic: one user whose password is checked
// against a bcrypt hash.
type BasicAuth struct {
	Username     string
	PasswordHash []byte // bcrypt
}

// Options are the parts the API serves from. Monitors and History are
// required; the rest is optional.
type Options struct {
	Monitors Monitors
	History  history.Store
	// External receives pushed results; nil refuses every push (404).
	External ExternalSink
	// Basic protects the statuses routes; nil: no authentication.
	Basic *BasicAuth
	// Metrics serves /metrics; nil: no /metrics (Gatus `metrics: false`).
	Metrics http.Handler
	// Ready reports whether the node can serve; nil: always ready.
	Ready func(ctx context.Context) error
	// MaxResults and MaxEvents are storage.maximum-number-of-results and
	// -events: the most results and events shown per monitor (defaults 100
	// and 50, as Gatus).
	MaxResults, MaxEvents int
	// Node is the node id stamped on pushed results.
	Node string
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger receives server-side failures (default: discarded).
	Logger *slog.Logger
	// Control serves custodes' own routes (monitors, incidents,
	// notifications, pings, cluster); nil leaves them out.
	Control Control
	// AdminToken authorizes the write routes; empty disables them.
	AdminToken string
}

// Gatus's defaults for storage.maximum-number-of-results and -events.
const (
	DefaultMaxResults = 100
	DefaultMaxEvents  = 50
)

// maxBodyBytes bounds every request body; no route needs one.
const maxBodyBytes = 64 << 10

// server holds the options with defaults applied.
type server struct {
	monitors   Monitors
	history    history.Store
	external   ExternalSink
	basic      *basicChecker
	ready      func(ctx context.Context) error
	maxResults int
	maxEvents  int
	node       string
	now        func() time.Time
	log        *slog.Logger
	control    Control
	adminToken string
}

// New returns the API handler. It panics if o.Monitors or o.History is nil:
// that is a wiring mistake, not bad input.
func New(o Options) http.Handler {
	if o.Monitors == nil || o.History == nil {
		panic("api.New: Options.Monitors and Options.History are required")
	}
	s := &server{
		monitors:   o.Monitors,
		history:    o.History,
		external:   o.External,
		ready:      o.Ready,
		maxResults: o.MaxResults,
		maxEvents:  o.MaxEvents,
		node:       o.Node,
		now:        o.Now,
		log:        o.Logger,
		control:    o.Control,
		adminToken: o.AdminToken,
	}
	if s.maxResults <= 0 {
		s.maxResults = DefaultMaxResults
	}
	if s.maxEvents <= 0 {
		s.maxEvents = DefaultMaxEvents
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if o.Basic != nil {
		s.basic = newBasicChecker(*o.Basic)
	}

	mux := http.NewServeMux()
	// Always public.
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.HandleFunc("GET /health", s.gatusHealth)
	if o.Metrics != nil {
		mux.Handle("GET /metrics", o.Metrics)
	}
	// Public in Gatus too.
	const ep = "/api/v1/endpoints/{key}"
	mux.HandleFunc("GET "+ep+"/health/badge.svg", s.healthBadge)
	mux.HandleFunc("GET "+ep+"/health/badge.shields", s.healthBadgeShields)
	mux.HandleFunc("GET "+ep+"/uptimes/{duration}", s.uptimeRaw)
	mux.HandleFunc("GET "+ep+"/uptimes/{duration}/badge.svg", s.uptimeBadge)
	mux.HandleFunc("GET "+ep+"/response-times/{duration}", s.responseTimeRaw)
	mux.HandleFunc("GET "+ep+"/response-times/{duration}/badge.svg", s.responseTimeBadge)
	mux.HandleFunc("GET "+ep+"/response-times/{duration}/chart.svg", s.responseTimeChart)
	mux.HandleFunc("GET "+ep+"/response-times/{duration}/history", s.responseTimeHistory)
	// Guarded by the external endpoint's own bearer token.
	mux.HandleFunc("POST "+ep+"/external", s.pushExternal)
	// Protected by security.basic.
	mux.Handle("GET /api/v1/endpoints/statuses", s.protect(http.HandlerFunc(s.statuses)))
	mux.Handle("GET "+ep+"/statuses", s.protect(http.HandlerFunc(s.status)))
	if s.control != nil {
		s.routeControl(mux)
	}

	return s.recoverPanics(limitBodies(mux))
}

// lookup finds the monitor named by the {key} path value. Keys are
// lower-case; Gatus matches them case-insensitively.
func (s *server) lookup(r *http.Request) (*monitor.Spec, bool) {
	return s.monitors.Monitor(strings.ToLower(r.PathValue("key")))
}

// errEndpointNotFound is Gatus's text for an unknown key.
const errEndpointNotFound = "endpoint not found"

// Response helpers. Errors are text/plain, as Gatus sends them.

func textError(w http.ResponseWriter, code int, msg string) {
	http.Error(w, msg, code)
}

// internalError answers 500 for a failure of a dependency (the store, the
// sink) and logs it; the handler is the boundary, nothing returns it.
func (s *server) internalError(w http.ResponseWriter, r *http.Request, what string, err error) {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		return // the client went away; nobody reads the answer
	}
	s.log.Error("api: "+what, "path", r.URL.Path, "err", err)
	textError(w, http.StatusInternalServerError, fmt.Sprintf("%s: %v", what, err))
}

func noCache(h http.Header) {
	h.Set("Cache-Control", "no-cache, no-store, must-revalidate")
	h.Set("Expires", "0")
}

func writeBody(w http.ResponseWriter, contentType string, code int, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(code)
	_, _ = w.Write(body) // a failed write means the client is gone
}

// limitBodies refuses declared bodies over maxBodyBytes and caps the rest.
func limitBodies(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > maxBodyBytes {
			textError(w, http.StatusRequestEntityTooLarge,
				fmt.Sprintf("request body too large: %d bytes, limit %d", r.ContentLength, maxBodyBytes))
			return
		}
		if r.Body == nil { // requests built for tests and in-process callers
			r.Body = http.NoBody
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
		next.ServeHTTP(w, r)
	})
}

// recoverPanics turns a handler panic into a 500 instead of a dropped
// connection, and logs it.
func (s *server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("api: handler panic", "path", r.URL.Path, "panic", v)
			textError(w, http.StatusInternalServerError, "internal error")
		}()
		next.ServeHTTP(w, r)
	})
}
