package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// sink is the webhook receiver: it accepts (200) and records every
// delivery, and logs it in the timeline.
type sink struct {
	addr string
	srv  *http.Server
	log  *eventLog

	mu  sync.Mutex
	got []delivery
	bad int // requests whose body was not a webhook payload
}

// webhookPayload is the part of custodes' webhook body the soak reads.
type webhookPayload struct {
	Event   string `json:"event"`
	Key     string `json:"idempotency_key"`
	Monitor struct {
		Key string `json:"key"`
	} `json:"monitor"`
	Incident struct {
		ID string `json:"id"`
	} `json:"incident"`
	SentBy   string `json:"sent_by"`
	Degraded bool   `json:"degraded"`
}

func newSink(ip string, log *eventLog) (*sink, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		return nil, err
	}
	s := &sink{addr: ln.Addr().String(), log: log}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 5 * time.Second}
	go s.srv.Serve(ln)
	return s, nil
}

// malformed is the number of webhooks whose body did not parse.
func (s *sink) malformed() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bad
}

func (s *sink) url() string { return "http://" + s.addr + "/hook" }

func (s *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	var p webhookPayload
	if err == nil {
		err = json.Unmarshal(body, &p)
	}
	if err != nil {
		s.mu.Lock()
		s.bad++
		s.mu.Unlock()
		s.log.add(evNote, "sink: unreadable webhook body: %v", err)
		http.Error(w, "bad payload", http.StatusBadRequest)
		return
	}
	d := delivery{Key: r.Header.Get("Idempotency-Key"), Event: p.Event, Monitor: p.Monitor.Key,
		Incident: p.Incident.ID, SentBy: p.SentBy, Degraded: p.Degraded}
	d.PayloadKey = p.Key
	// Recorded before answering: the sender may die right after.
	s.mu.Lock()
	d.At = s.log.add(evDelivery, "%s %s key=%s by %s%s", d.Event, d.Monitor, d.Key, d.SentBy, degradedMark(d.Degraded))
	s.got = append(s.got, d)
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func degradedMark(b bool) string {
	if b {
		return " DEGRADED"
	}
	return ""
}

// restartClock makes now the schedule's time zero for the event log and
// the deliveries recorded so far, atomically with respect to deliveries.
func (s *sink) restartClock(now time.Time) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.log.restart(now)
	for i := range s.got {
		s.got[i].At -= d
	}
	return d
}

func (s *sink) deliveries() []delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]delivery(nil), s.got...)
}

func (s *sink) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.srv.Shutdown(ctx)
}
