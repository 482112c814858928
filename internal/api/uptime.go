package api

import (
	"net/http"
	"strconv"

	"github.com/custodes/custodes/internal/history"
	"github.com/custodes/custodes/internal/monitor"
)

// windowStats resolves the {duration} and {key} of a stats route and reads
// the monitor's stats over that window. On failure it has answered and
// returns ok=false. Like Gatus it checks the duration before the key.
func (s *server) windowStats(w http.ResponseWriter, r *http.Request) (spec *monitor.Spec, win window, st history.Stats, ok bool) {
	win, err := parseWindow(r.PathValue("duration"), statWindows)
	if err != nil {
		textError(w, http.StatusBadRequest, err.Error())
		return nil, window{}, st, false
	}
	spec, found := s.lookup(r)
	if !found {
		textError(w, http.StatusNotFound, errEndpointNotFound)
		return nil, window{}, st, false
	}
	from, to := statsRange(s.now(), win)
	st, err = s.history.Stats(r.Context(), spec.Key, from, to)
	if err != nil {
		s.internalError(w, r, "read stats of "+spec.Key, err)
		return nil, window{}, st, false
	}
	return spec, win, st, true
}

// meanMilliseconds is the average response time Gatus reports: whole
// milliseconds.
func meanMilliseconds(st history.Stats) int {
	return int(st.MeanDuration().Milliseconds())
}

// uptimeRaw is GET .../uptimes/{duration}: the uptime as a fraction,
// printed with %f ("0.975000"), as Gatus.
func (s *server) uptimeRaw(w http.ResponseWriter, r *http.Request) {
	_, _, st, ok := s.windowStats(w, r)
	if !ok {
		return
	}
	noCache(w.Header())
	writeBody(w, "text/plain", http.StatusOK, strconv.AppendFloat(nil, st.Uptime(), 'f', 6, 64))
}

// responseTimeRaw is GET .../response-times/{duration}: the average
// response time in whole milliseconds.
func (s *server) responseTimeRaw(w http.ResponseWriter, r *http.Request) {
	_, _, st, ok := s.windowStats(w, r)
	if !ok {
		return
	}
	noCache(w.Header())
	writeBody(w, "text/plain", http.StatusOK, strconv.AppendInt(nil, int64(meanMilliseconds(st)), 10))
}

// uptimeBadge is GET .../uptimes/{duration}/badge.svg.
func (s *server) uptimeBadge(w http.ResponseWriter, r *http.Request) {
	_, win, st, ok := s.windowStats(w, r)
	if !ok {
		return
	}
	noCache(w.Header())
	writeBody(w, "image/svg+xml", http.StatusOK, uptimeBadgeSVG(win.name, st.Uptime()))
}

// responseTimeBadge is GET .../response-times/{duration}/badge.svg,
// coloured by the monitor's ui.badge.response-time thresholds.
func (s *server) responseTimeBadge(w http.ResponseWriter, r *http.Request) {
	spec, win, st, ok := s.windowStats(w, r)
	if !ok {
		return
	}
	noCache(w.Header())
	writeBody(w, "image/svg+xml", http.StatusOK,
		responseTimeBadgeSVG(win.name, meanMilliseconds(st), spec.UI.ResponseTimeBadgeThresholds))
}

// health is the state a health badge shows.
type health string

// Gatus's health badge values.
const (
	healthUp      health = "up"
	healthDown    health = "down"
	healthUnknown health = "?"
)

// currentHealth reads the monitor's latest result. On failure it has
// answered and returns ok=false.
func (s *server) currentHealth(w http.ResponseWriter, r *http.Request) (health, bool) {
	spec, found := s.lookup(r)
	if !found {
		textError(w, http.StatusNotFound, errEndpointNotFound)
		return "", false
	}
	latest, err := s.history.Results(r.Context(), spec.Key, 1, 1)
	if err != nil {
		s.internalError(w, r, "read latest result of "+spec.Key, err)
		return "", false
	}
	switch {
	case len(latest) == 0:
		return healthUnknown, true
	case latest[len(latest)-1].Success:
		return healthUp, true
	}
	return healthDown, true
}

// healthBadge is GET .../health/badge.svg.
func (s *server) healthBadge(w http.ResponseWriter, r *http.Request) {
	h, ok := s.currentHealth(w, r)
	if !ok {
		return
	}
	noCache(w.Header())
	writeBody(w, "image/svg+xml", http.StatusOK, healthBadgeSVG(h))
}

// healthBadgeShields is GET .../health/badge.shields: the JSON endpoint
// format of shields.io.
func (s *server) healthBadgeShields(w http.ResponseWriter, r *http.Request) {
	h, ok := s.currentHealth(w, r)
	if !ok {
		return
	}
	noCache(w.Header())
	writeBody(w, "application/json", http.StatusOK, healthShieldsJSON(h))
}
