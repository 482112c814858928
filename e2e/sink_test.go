package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"
)

// delivery is one request received by the webhook sink.
type delivery struct {
	At      time.Time
	Key     string // Idempotency-Key header
	Event   string `json:"event"`
	Monitor struct {
		Key string `json:"key"`
	} `json:"monitor"`
	Incident struct {
		ID string `json:"id"`
	} `json:"incident"`
	SentBy   string `json:"sent_by"`
	Degraded bool   `json:"degraded"`
	Status   int    // what the sink answered
}

// sink is a webhook receiver that records every delivery. It answers
// `status` (200 by default), and can be told to answer 500 for a while or
// to run a hook after accepting a request (e.g. to SIGKILL the sender).
type sink struct {
	addr     string
	mu       sync.Mutex
	got      []delivery
	status   int
	onAccept func(d delivery)
}

func newSink(t *testing.T) *sink {
	s := &sink{status: 200}
	s.addr = serve(t, "127.0.0.1", s)
	return s
}

func (s *sink) url() string { return "http://" + s.addr + "/hook" }

func (s *sink) setStatus(code int) {
	s.mu.Lock()
	s.status = code
	s.mu.Unlock()
}

func (s *sink) setOnAccept(f func(d delivery)) {
	s.mu.Lock()
	s.onAccept = f
	s.mu.Unlock()
}

func (s *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	var d delivery
	json.Unmarshal(body, &d)
	d.At = time.Now()
	d.Key = r.Header.Get("Idempotency-Key")
	s.mu.Lock()
	d.Status = s.status
	s.got = append(s.got, d)
	hook := s.onAccept
	s.mu.Unlock()
	w.WriteHeader(d.Status)
	if hook != nil && d.Status < 300 {
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		hook(d)
	}
}

// accepted returns the deliveries answered with 2xx, optionally of one event.
func (s *sink) accepted(event string) []delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []delivery
	for _, d := range s.got {
		if d.Status < 300 && (event == "" || d.Event == event) {
			out = append(out, d)
		}
	}
	return out
}

// perKey counts accepted deliveries per idempotency key.
func (s *sink) perKey() map[string]int {
	m := map[string]int{}
	for _, d := range s.accepted("") {
		m[d.Key]++
	}
	return m
}

// received counts every request, accepted or not.
func (s *sink) received() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.got)
}
