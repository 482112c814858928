package api

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/custodes/custodes/internal/monitor"
)

// maxPushedErrorBytes bounds the error text of a pushed result.
const maxPushedErrorBytes = 1024

// push is a parsed external-endpoint push.
type push struct {
	token    string
	success  bool
	duration time.Duration
	err      string
}

// pushError is a refused push: the status to answer and why.
type pushError struct {
	code int
	msg  string
}

// parsePushAuth reads the success parameter (400 when missing or not
// "true"/"false") and the bearer token (401 when missing), in Gatus's order.
func parsePushAuth(query url.Values, authorization string) (push, *pushError) {
	var p push
	switch query.Get("success") {
	case "true":
		p.success = true
	case "false":
	default:
		return push{}, &pushError{http.StatusBadRequest, "missing or invalid success query parameter"}
	}
	token, found := strings.CutPrefix(authorization, "Bearer ")
	if !found {
		return push{}, &pushError{http.StatusUnauthorized, "invalid Authorization header"}
	}
	if p.token = strings.TrimSpace(token); p.token == "" {
		return push{}, &pushError{http.StatusUnauthorized, "bearer token must not be empty"}
	}
	return p, nil
}

// parsePushResult reads the optional duration (a Go duration, e.g. "1.5s";
// 400 when malformed or negative) and, for a failure, the error text.
func parsePushResult(p push, query url.Values) (push, *pushError) {
	if raw := query.Get("duration"); raw != "" {
		d, err := time.ParseDuration(raw)
		if err != nil {
			return push{}, &pushError{http.StatusBadRequest, "invalid duration: " + err.Error()}
		}
		if d < 0 {
			return push{}, &pushError{http.StatusBadRequest, fmt.Sprintf("invalid duration: %q is negative", raw)}
		}
		p.duration = d
	}
	if !p.success {
		p.err = truncate(query.Get("error"), maxPushedErrorBytes)
	}
	return p, nil
}

// pushExternal is POST /api/v1/endpoints/{key}/external?success=&error=&
// duration=, authenticated by the external endpoint's bearer token. Status
// codes are Gatus's: 400 bad parameters, 401 bad token, 404 unknown (or
// not external) key, 500 when the result cannot be recorded, 200 with an
// empty body on success.
func (s *server) pushExternal(w http.ResponseWriter, r *http.Request) {
	// No body is expected; reading it (bounded) refuses oversized ones.
	if _, err := io.Copy(io.Discard, r.Body); err != nil {
		if maxErr := (*http.MaxBytesError)(nil); errors.As(err, &maxErr) {
			textError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body too large: limit %d bytes", maxErr.Limit))
			return
		}
		textError(w, http.StatusBadRequest, "read request body: "+err.Error())
		return
	}
	query := r.URL.Query()
	p, perr := parsePushAuth(query, r.Header.Get("Authorization"))
	if perr != nil {
		textError(w, perr.code, perr.msg)
		return
	}
	spec, found := s.lookup(r)
	if !found || spec.Kind != monitor.KindExternal || s.external == nil {
		textError(w, http.StatusNotFound, "not found")
		return
	}
	if spec.ExternalToken == "" || subtle.ConstantTimeCompare([]byte(p.token), []byte(spec.ExternalToken)) != 1 {
		textError(w, http.StatusUnauthorized, "invalid token")
		return
	}
	if p, perr = parsePushResult(p, query); perr != nil {
		textError(w, perr.code, perr.msg)
		return
	}
	result := monitor.Result{
		Monitor:  spec.Key,
		Node:     s.node,
		Time:     s.now(),
		Success:  p.success,
		Duration: p.duration,
	}
	if p.err != "" {
		result.Errors = []string{p.err}
	}
	if err := s.external.PushExternal(r.Context(), result); err != nil {
		s.internalError(w, r, "record pushed result of "+spec.Key, err)
		return
	}
	w.WriteHeader(http.StatusOK)
}
