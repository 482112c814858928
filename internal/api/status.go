package api

import (
	"encoding/json"
	"net/http"
	"net/url"
	"time"

	"github.com/custodes/custodes/internal/history"
	"github.com/custodes/custodes/internal/monitor"
)

// The JSON shapes of Gatus's endpoint.Status, endpoint.Result,
// endpoint.ConditionResult and endpoint.Event, field for field and in
// Gatus's order: durations in nanoseconds, timestamps RFC 3339 (UTC).

type statusJSON struct {
	Name    string       `json:"name,omitempty"`
	Group   string       `json:"group,omitempty"`
	Key     string       `json:"key"`
	Results []resultJSON `json:"results"`
	Events  []eventJSON  `json:"events,omitempty"`
}

type resultJSON struct {
	Status           int             `json:"status,omitempty"`
	Hostname         string          `json:"hostname,omitempty"`
	Duration         time.Duration   `json:"duration"`
	Errors           []string        `json:"errors,omitempty"`
	ConditionResults []conditionJSON `json:"conditionResults,omitempty"`
	Success          bool            `json:"success"`
	Timestamp        time.Time       `json:"timestamp"`
}

type conditionJSON struct {
	Condition string `json:"condition"`
	Success   bool   `json:"success"`
}

type eventJSON struct {
	Type      history.EventType `json:"type"`
	Timestamp time.Time         `json:"timestamp"`
}

// statuses is GET /api/v1/endpoints/statuses: every monitor with one page
// of its results (no events), as Gatus.
func (s *server) statuses(w http.ResponseWriter, r *http.Request) {
	p, err := parsePaging(r.URL.Query(), s.maxResults)
	if err != nil {
		textError(w, http.StatusBadRequest, err.Error())
		return
	}
	specs := s.monitors.Monitors()
	out := make([]statusJSON, 0, len(specs))
	for _, spec := range specs {
		results, err := s.resultsPage(r.Context(), spec.Key, p)
		if err != nil {
			s.internalError(w, r, "read statuses", err)
			return
		}
		out = append(out, newStatus(spec, results, nil))
	}
	s.writeJSON(w, r, out)
}

// status is GET /api/v1/endpoints/{key}/statuses: one monitor with one
// page of results and its most recent events.
func (s *server) status(w http.ResponseWriter, r *http.Request) {
	p, err := parsePaging(r.URL.Query(), s.maxResults)
	if err != nil {
		textError(w, http.StatusBadRequest, err.Error())
		return
	}
	spec, ok := s.lookup(r)
	if !ok {
		textError(w, http.StatusNotFound, errEndpointNotFound)
		return
	}
	results, err := s.resultsPage(r.Context(), spec.Key, p)
	if err != nil {
		s.internalError(w, r, "read status", err)
		return
	}
	events, err := s.history.Events(r.Context(), spec.Key, 1, s.maxEvents)
	if err != nil {
		s.internalError(w, r, "read status", err)
		return
	}
	s.writeJSON(w, r, newStatus(spec, results, events))
}

func (s *server) writeJSON(w http.ResponseWriter, r *http.Request, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		s.internalError(w, r, "encode JSON", err)
		return
	}
	writeBody(w, "application/json", http.StatusOK, body)
}

func newStatus(spec *monitor.Spec, results []monitor.Result, events []history.Event) statusJSON {
	st := statusJSON{
		Name:    spec.Name,
		Group:   spec.Group,
		Key:     spec.Key,
		Results: make([]resultJSON, len(results)),
	}
	fallbackHost := ""
	if !spec.UI.HideHostname {
		fallbackHost = hostnameOf(spec.URL)
	}
	for i := range results {
		st.Results[i] = newResult(spec, &results[i], fallbackHost)
	}
	if len(events) > 0 {
		st.Events = make([]eventJSON, len(events))
		for i, e := range events {
			st.Events[i] = eventJSON{Type: e.Type, Timestamp: e.Time.UTC()}
		}
	}
	return st
}

// newResult shapes one result, applying the monitor's current ui.hide-*
// options again (the stored result was redacted under the options of its
// time, which a reload may have tightened).
func newResult(spec *monitor.Spec, r *monitor.Result, fallbackHost string) resultJSON {
	out := resultJSON{
		Status:    r.Status,
		Hostname:  r.Hostname,
		Duration:  r.Duration,
		Success:   r.Success,
		Timestamp: r.Time.UTC(),
	}
	switch {
	case spec.UI.HideHostname:
		out.Hostname = ""
	case out.Hostname == "":
		out.Hostname = fallbackHost
	}
	if !spec.UI.HideErrors && len(r.Errors) > 0 {
		out.Errors = r.Errors
	}
	if !spec.UI.HideConditions && len(r.Conditions) > 0 {
		out.ConditionResults = make([]conditionJSON, len(r.Conditions))
		for i, c := range r.Conditions {
			out.ConditionResults[i] = conditionJSON{Condition: c.Condition, Success: c.Success}
		}
	}
	return out
}

// hostnameOf is the host part of a monitor URL ("" when it has none, e.g.
// an external endpoint).
func hostnameOf(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Hostname()
}
