package api

import "net/http"

// healthz answers 200 "ok" while the process serves HTTP.
func (s *server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeBody(w, "text/plain; charset=utf-8", http.StatusOK, []byte("ok"))
}

// readyz answers 200 "ok" when Options.Ready accepts, else 503 with its
// error.
func (s *server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.ready != nil {
		if err := s.ready(r.Context()); err != nil {
			textError(w, http.StatusServiceUnavailable, "not ready: "+err.Error())
			return
		}
	}
	writeBody(w, "text/plain; charset=utf-8", http.StatusOK, []byte("ok"))
}

// gatusHealth is Gatus's /health: {"status":"UP"} while the process serves.
func (s *server) gatusHealth(w http.ResponseWriter, _ *http.Request) {
	writeBody(w, "application/json", http.StatusOK, []byte(`{"status":"UP"}`))
}
