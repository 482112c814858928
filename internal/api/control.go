package api

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/custodes/custodes/internal/cluster/fsm"
	"github.com/custodes/custodes/internal/config"
	"github.com/custodes/custodes/internal/monitor"
	"github.com/custodes/custodes/internal/monitor/incident"
	pushcheck "github.com/custodes/custodes/internal/monitor/push"
)

// Control is custodes' own API beyond Gatus's: monitors as the cluster
// decided them, incidents, notifications, push pings, and writes. Writes
// are committed through the cluster leader before they are acknowledged.
type Control interface {
	// Sync waits until this node holds every write acknowledged before the
	// call, so the reads after it are linearizable; an error wrapping
	// ErrUnavailable when that cannot be confirmed (no quorum).
	Sync(ctx context.Context) error
	MonitorStates() map[string]MonitorState
	Incidents() []incident.Incident
	Ack(ctx context.Context, id, by string) error
	Notifications(limit int) (pending, delivered []fsm.Entry)
	TestNotifier(ctx context.Context, name string) error
	// Ping records a ping of the push monitor with this token.
	Ping(ctx context.Context, token string, p pushcheck.Ping) error
	// ParseMonitor decodes a monitor from a request body.
	ParseMonitor(body []byte) (*monitor.Spec, error)
	PutMonitor(ctx context.Context, s *monitor.Spec, create bool) error
	DeleteMonitor(ctx context.Context, key string) error
	// Cluster describes the cluster as this node sees it.
	Cluster(ctx context.Context) any
	// RemoveNode removes a node from the Raft configuration.
	RemoveNode(ctx context.Context, id string) error
	// Leave makes this node leave the cluster and stop.
	Leave(ctx context.Context) error
}

// MonitorState is a monitor's decided status and its observers' views.
type MonitorState struct {
	Status    incident.Status         `json:"status"`
	Incident  string                  `json:"incident,omitempty"`
	Observers []incident.ObserverView `json:"observers,omitempty"`
}

// maxMonitorBody bounds a monitor definition in a request.
const maxMonitorBody = 64 << 10

func (s *server) routeControl(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/monitors", s.listMonitors)
	mux.HandleFunc("GET /api/v1/monitors/{key}", s.getMonitor)
	mux.Handle("POST /api/v1/monitors", s.admin(s.createMonitor))
	mux.Handle("PUT /api/v1/monitors/{key}", s.admin(s.replaceMonitor))
	mux.Handle("DELETE /api/v1/monitors/{key}", s.admin(s.deleteMonitor))
	mux.HandleFunc("GET /api/v1/incidents", s.listIncidents)
	mux.Handle("POST /api/v1/incidents/{id}/ack", s.admin(s.ackIncident))
	mux.HandleFunc("GET /api/v1/notifications", s.listNotifications)
	mux.Handle("POST /api/v1/notifiers/{name}/test", s.admin(s.testNotifier))
	mux.HandleFunc("GET /api/v1/cluster", s.clusterStatus)
	mux.Handle("POST /api/v1/cluster/remove/{node}", s.admin(s.removeNode))
	mux.Handle("POST /api/v1/cluster/leave", s.admin(s.leaveCluster))
	// Healthchecks-style pings: the token is the secret, as in Healthchecks.
	for _, m := range []string{"GET", "POST", "HEAD"} {
		mux.HandleFunc(m+" /ping/{token}", s.ping)
		mux.HandleFunc(m+" /ping/{token}/{kind}", s.ping)
	}
}

// admin guards a write route with security.admin-token.
func (s *server) admin(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.adminToken == "" {
			textError(w, http.StatusForbidden, "writes are disabled: set security.admin-token in the config")
			return
		}
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(s.adminToken)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="custodes"`)
			textError(w, http.StatusUnauthorized, "a valid admin token is required (Authorization: Bearer <security.admin-token>)")
			return
		}
		h(w, r)
	})
}

// writeError maps a refused or failed write to its status code.
func (s *server) writeError(w http.ResponseWriter, r *http.Request, what string, err error) {
	var cerr *config.Errors
	switch {
	case errors.As(err, &cerr), errors.Is(err, fsm.ErrInvalid):
		textError(w, http.StatusBadRequest, err.Error())
	case errors.Is(err, fsm.ErrNotFound):
		textError(w, http.StatusNotFound, err.Error())
	case errors.Is(err, fsm.ErrConflict):
		textError(w, http.StatusConflict, err.Error())
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, ErrUnavailable):
		textError(w, http.StatusServiceUnavailable, fmt.Sprintf("%s: %v", what, err))
	default:
		s.internalError(w, r, what, err)
	}
}

// ErrUnavailable is wrapped by Control errors meaning "no leader could
// take the write now"; the API answers 503.
var ErrUnavailable = errors.New("the cluster cannot take writes now")

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		textError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeBody(w, "application/json", code, append(b, '\n'))
}

// monitorView is a monitor as GET /api/v1/monitors shows it.
type monitorView struct {
	Key      string            `json:"key"`
	Name     string            `json:"name"`
	Group    string            `json:"group,omitempty"`
	Kind     monitor.Kind      `json:"type"`
	URL      string            `json:"url,omitempty"`
	Interval string            `json:"interval,omitempty"`
	Enabled  bool              `json:"enabled"`
	Origin   string            `json:"origin"`
	Vantage  int               `json:"vantage,omitempty"`
	Confirm  int               `json:"confirm,omitempty"`
	State    MonitorState      `json:"state"`
	Alerts   []string          `json:"alerts,omitempty"`
	Labels   map[string]string `json:"node_labels,omitempty"`
}

func view(m *monitor.Spec, st MonitorState) monitorView {
	v := monitorView{Key: m.Key, Name: m.Name, Group: m.Group, Kind: m.Kind, Enabled: m.Enabled, Origin: m.Origin,
		Vantage: m.Vantage, Confirm: m.Confirm, State: st, Labels: m.NodeLabels}
	if !m.UI.HideURL {
		v.URL = m.URL
	}
	if m.Interval > 0 {
		v.Interval = m.Interval.String()
	}
	if v.State.Status == "" {
		v.State.Status = incident.StatusUp
	}
	for _, a := range m.Alerts {
		v.Alerts = append(v.Alerts, a.Type)
	}
	return v
}

// consistent waits, unless the request asks for ?stale, until this node
// holds every write acknowledged before the request, and answers 503 itself
// when that cannot be confirmed. Without it a read through one node could
// miss a write just acknowledged through another.
func (s *server) consistent(w http.ResponseWriter, r *http.Request) bool {
	if _, stale := r.URL.Query()["stale"]; stale {
		return true
	}
	if err := s.control.Sync(r.Context()); err != nil {
		textError(w, http.StatusServiceUnavailable, fmt.Sprintf(
			"cannot confirm this node is up to date (%v); add ?stale to read its copy as it is", err))
		return false
	}
	return true
}

func (s *server) listMonitors(w http.ResponseWriter, r *http.Request) {
	if s.control == nil {
		http.NotFound(w, r)
		return
	}
	if !s.consistent(w, r) {
		return
	}
	states := s.control.MonitorStates()
	out := []monitorView{}
	for _, m := range s.monitors.Monitors() {
		out = append(out, view(m, states[m.Key]))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *server) getMonitor(w http.ResponseWriter, r *http.Request) {
	if s.control == nil {
		http.NotFound(w, r)
		return
	}
	if !s.consistent(w, r) {
		return
	}
	m, ok := s.lookup(r)
	if !ok {
		textError(w, http.StatusNotFound, "monitor not found")
		return
	}
	writeJSON(w, http.StatusOK, view(m, s.control.MonitorStates()[m.Key]))
}

func (s *server) readMonitor(w http.ResponseWriter, r *http.Request) (*monitor.Spec, bool) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxMonitorBody+1))
	if err != nil {
		textError(w, http.StatusBadRequest, "reading the request body: "+err.Error())
		return nil, false
	}
	if len(body) > maxMonitorBody {
		textError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("a monitor definition is limited to %d bytes", maxMonitorBody))
		return nil, false
	}
	spec, err := s.control.ParseMonitor(body)
	if err != nil {
		textError(w, http.StatusBadRequest, err.Error())
		return nil, false
	}
	return spec, true
}

func (s *server) createMonitor(w http.ResponseWriter, r *http.Request) {
	spec, ok := s.readMonitor(w, r)
	if !ok {
		return
	}
	if err := s.control.PutMonitor(r.Context(), spec, true); err != nil {
		s.writeError(w, r, "creating the monitor", err)
		return
	}
	w.Header().Set("Location", "/api/v1/monitors/"+spec.Key)
	writeJSON(w, http.StatusCreated, view(spec, MonitorState{}))
}

func (s *server) replaceMonitor(w http.ResponseWriter, r *http.Request) {
	spec, ok := s.readMonitor(w, r)
	if !ok {
		return
	}
	if key := strings.ToLower(r.PathValue("key")); spec.Key != key {
		textError(w, http.StatusBadRequest, fmt.Sprintf("the body defines monitor %q but the path names %q (the key is group_name)", spec.Key, key))
		return
	}
	if err := s.control.PutMonitor(r.Context(), spec, false); err != nil {
		s.writeError(w, r, "replacing the monitor", err)
		return
	}
	writeJSON(w, http.StatusOK, view(spec, s.control.MonitorStates()[spec.Key]))
}

func (s *server) deleteMonitor(w http.ResponseWriter, r *http.Request) {
	if err := s.control.DeleteMonitor(r.Context(), strings.ToLower(r.PathValue("key"))); err != nil {
		s.writeError(w, r, "deleting the monitor", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *server) listIncidents(w http.ResponseWriter, r *http.Request) {
	if s.control == nil {
		http.NotFound(w, r)
		return
	}
	if !s.consistent(w, r) {
		return
	}
	out := s.control.Incidents()
	if out == nil {
		out = []incident.Incident{}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *server) ackIncident(w http.ResponseWriter, r *http.Request) {
	var body struct {
		By string `json:"by"`
	}
	if r.ContentLength != 0 {
		if err := json.NewDecoder(io.LimitReader(r.Body, 4096)).Decode(&body); err != nil && !errors.Is(err, io.EOF) {
			textError(w, http.StatusBadRequest, "request body: want {\"by\": \"name\"}: "+err.Error())
			return
		}
	}
	if body.By == "" {
		body.By = "api"
	}
	if err := s.control.Ack(r.Context(), r.PathValue("id"), body.By); err != nil {
		s.writeError(w, r, "acknowledging the incident", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"incident": r.PathValue("id"), "acked_by": body.By})
}

func (s *server) listNotifications(w http.ResponseWriter, r *http.Request) {
	if s.control == nil {
		http.NotFound(w, r)
		return
	}
	if !s.consistent(w, r) {
		return
	}
	limit := 100
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			textError(w, http.StatusBadRequest, "limit: want a whole number from 1 to 1000")
			return
		}
		limit = n
	}
	pending, delivered := s.control.Notifications(limit)
	if pending == nil {
		pending = []fsm.Entry{}
	}
	if delivered == nil {
		delivered = []fsm.Entry{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"pending": pending, "delivered": delivered})
}

func (s *server) testNotifier(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if err := s.control.TestNotifier(r.Context(), name); err != nil {
		textError(w, http.StatusBadGateway, fmt.Sprintf("test notification through %s failed: %v", name, err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"notifier": name, "result": "sent"})
}

func (s *server) clusterStatus(w http.ResponseWriter, r *http.Request) {
	if s.control == nil {
		http.NotFound(w, r)
		return
	}
	writeJSON(w, http.StatusOK, s.control.Cluster(r.Context()))
}

// maxPingBody is how much of a ping's body is read (Healthchecks keeps
// 100 kB; the state keeps an excerpt).
const maxPingBody = 10 << 10

// ping handles /ping/{token}[/start|/fail|/log|/{exit-status}], answering
// as Healthchecks does: 200 "OK", 404 for an unknown token, 400 for a bad
// exit status or rid.
func (s *server) ping(w http.ResponseWriter, r *http.Request) {
	if s.control == nil {
		http.NotFound(w, r)
		return
	}
	p := pushcheck.Ping{Kind: pushcheck.Success}
	switch kind := r.PathValue("kind"); kind {
	case "":
	case "start":
		p.Kind = pushcheck.Start
	case "fail":
		p.Kind = pushcheck.Fail
	case "log":
		p.Kind = pushcheck.Log
	default:
		code, err := pushcheck.ParseExitCode(kind)
		if err != nil {
			textError(w, http.StatusBadRequest, fmt.Sprintf("invalid ping %q: want start, fail, log or an exit status 0-255", kind))
			return
		}
		p.Kind, p.ExitCode = pushcheck.ExitStatus, code
	}
	if rid := r.URL.Query().Get("rid"); rid != "" {
		canon, err := pushcheck.ParseRID(rid)
		if err != nil {
			textError(w, http.StatusBadRequest, "invalid rid: want a UUID")
			return
		}
		p.RID = canon
	}
	if r.Method == http.MethodPost {
		b, _ := io.ReadAll(io.LimitReader(r.Body, maxPingBody))
		p.Body = string(b)
	}
	err := s.control.Ping(r.Context(), r.PathValue("token"), p)
	switch {
	case err == nil:
		writeBody(w, "text/plain; charset=utf-8", http.StatusOK, []byte("OK"))
	case errors.Is(err, fsm.ErrNotFound):
		textError(w, http.StatusNotFound, "not found")
	case errors.Is(err, fsm.ErrInvalid):
		textError(w, http.StatusBadRequest, err.Error())
	default:
		s.writeError(w, r, "recording the ping", err)
	}
}

func (s *server) removeNode(w http.ResponseWriter, r *http.Request) {
	if err := s.control.RemoveNode(r.Context(), r.PathValue("node")); err != nil {
		s.writeError(w, r, "removing the node", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"removed": r.PathValue("node")})
}

func (s *server) leaveCluster(w http.ResponseWriter, r *http.Request) {
	if err := s.control.Leave(r.Context()); err != nil {
		s.writeError(w, r, "leaving the cluster", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"left": s.node})
}
