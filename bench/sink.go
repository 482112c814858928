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

// delivery is one webhook request the sink received.
type delivery struct {
	At       time.Time // when the body had been read
	Event    string
	Key      string // idempotency key
	SentBy   string
	Monitor  string
	Accepted bool // answered 200 (false: held and never answered to a live sender)
}

// sink is the webhook receiver. In hold mode it reads a delivery, records
// it, and does not answer until released, as a receiver that hangs while
// the sender dies would.
type sink struct {
	srv  *http.Server
	addr string
	wg   sync.WaitGroup

	mu       sync.Mutex
	log      []delivery
	hold     chan struct{} // non-nil: hold requests until it is closed
	arrivals chan struct{} // signalled (non-blocking) on every delivery
}

const maxWebhookBody = 1 << 20

func startSink() (*sink, error) {
	s := &sink{arrivals: make(chan struct{}, 1)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s.addr = ln.Addr().String()
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	s.wg.Add(1)
	go func() { defer s.wg.Done(); s.srv.Serve(ln) }()
	return s, nil
}

func (s *sink) url() string { return "http://" + s.addr + "/hook" }

func (s *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxWebhookBody))
	if err != nil {
		http.Error(w, "reading body: "+err.Error(), http.StatusBadRequest)
		return
	}
	var p struct {
		Event   string `json:"event"`
		Key     string `json:"idempotency_key"`
		SentBy  string `json:"sent_by"`
		Monitor struct {
			Key string `json:"key"`
		} `json:"monitor"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		http.Error(w, "body is not the webhook JSON: "+err.Error(), http.StatusBadRequest)
		return
	}
	if h := r.Header.Get("Idempotency-Key"); p.Key == "" {
		p.Key = h
	}
	d := delivery{At: time.Now(), Event: p.Event, Key: p.Key, SentBy: p.SentBy, Monitor: p.Monitor.Key}
	s.mu.Lock()
	hold := s.hold
	d.Accepted = hold == nil
	s.log = append(s.log, d)
	s.mu.Unlock()
	select {
	case s.arrivals <- struct{}{}:
	default:
	}
	if hold != nil {
		select {
		case <-hold:
		case <-r.Context().Done():
		case <-time.After(time.Minute):
		}
		http.Error(w, "held", http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// setHold makes the sink hold (true) or accept (false) deliveries;
// releasing answers the held requests with 503.
func (s *sink) setHold(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case on && s.hold == nil:
		s.hold = make(chan struct{})
	case !on && s.hold != nil:
		close(s.hold)
		s.hold = nil
	}
}

// mark is the number of deliveries so far: await(ctx, mark(), ...) looks
// only at what arrives later (idempotency keys repeat across runs: every
// fresh data dir numbers its incidents from 1 again).
func (s *sink) mark() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.log)
}

// deliveries returns a copy of what arrived so far.
func (s *sink) deliveries() []delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]delivery(nil), s.log...)
}

// await polls until match finds a delivery among those from the from-th
// on (returning it) or ctx ends.
func (s *sink) await(ctx context.Context, from int, match func(delivery) bool) (delivery, bool) {
	for {
		ds := s.deliveries()
		for _, d := range ds[min(from, len(ds)):] {
			if match(d) {
				return d, true
			}
		}
		select {
		case <-ctx.Done():
			return delivery{}, false
		case <-s.arrivals:
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (s *sink) close() {
	s.setHold(false)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.srv.Shutdown(ctx)
	s.wg.Wait()
}
