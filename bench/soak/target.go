package main

import (
	"context"
	"net"
	"net/http"
	"sync"
	"time"
)

// target is the HTTP server the monitors check. Every path answers 200
// until it is flipped to fail (500) for every source or for one source
// address; it counts checks per path and source.
type target struct {
	addr string
	srv  *http.Server
	log  *eventLog // for the time of each check

	mu       sync.Mutex
	failAll  map[string]bool            // path -> failing for everyone
	failFrom map[string]map[string]bool // path -> source IP -> failing
	checks   map[string]map[string]int  // path -> source IP -> requests
	failures map[string]int             // path -> failing answers
	hits     []hit                      // every check, in arrival order
}

// hit is one check the target answered.
type hit struct {
	At      time.Duration
	Path    string
	IP      string
	Failing bool
}

// newTarget listens on ip:0 and serves until close.
func newTarget(ip string, log *eventLog) (*target, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		return nil, err
	}
	t := &target{addr: ln.Addr().String(), log: log, failAll: map[string]bool{}, failFrom: map[string]map[string]bool{},
		checks: map[string]map[string]int{}, failures: map[string]int{}}
	t.srv = &http.Server{Handler: t, ReadHeaderTimeout: 5 * time.Second}
	go t.srv.Serve(ln)
	return t, nil
}

func (t *target) url(path string) string { return "http://" + t.addr + path }

// set makes path fail (or recover) for every source when ip is "", else
// only for requests from ip.
func (t *target) set(path, ip string, failing bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if ip == "" {
		t.failAll[path] = failing
		return
	}
	if t.failFrom[path] == nil {
		t.failFrom[path] = map[string]bool{}
	}
	t.failFrom[path][ip] = failing
}

func (t *target) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ip, _, _ := net.SplitHostPort(r.RemoteAddr)
	p := r.URL.Path
	t.mu.Lock()
	if t.checks[p] == nil {
		t.checks[p] = map[string]int{}
	}
	t.checks[p][ip]++
	failing := t.failAll[p] || t.failFrom[p][ip]
	if failing {
		t.failures[p]++
	}
	t.hits = append(t.hits, hit{t.log.since(), p, ip, failing})
	t.mu.Unlock()
	if failing {
		http.Error(w, "soak: failing on purpose", http.StatusInternalServerError)
		return
	}
	w.Write([]byte("ok"))
}

// checksOf returns the requests for path per source address.
func (t *target) checksOf(path string) map[string]int {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := map[string]int{}
	for ip, n := range t.checks[path] {
		out[ip] = n
	}
	return out
}

// checksSince returns the requests for path per source address from the
// event log's time from on (the schedule's time zero: checks made before
// it, while the harness waited for coverage, do not count).
func (t *target) checksSince(path string, from time.Duration) map[string]int {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := map[string]int{}
	for _, h := range t.hits {
		if h.Path == path && h.At >= from {
			out[h.IP]++
		}
	}
	return out
}

// hitsOf returns the checks of path between from and to.
func (t *target) hitsOf(path string, from, to time.Duration) []hit {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []hit
	for _, h := range t.hits {
		if h.Path == path && h.At >= from && h.At <= to {
			out = append(out, h)
		}
	}
	return out
}

// restartClock runs restart (which moves the event log's time zero and
// returns by how much) with no check being recorded meanwhile, and shifts
// the recorded checks' times likewise.
func (t *target) restartClock(restart func() time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	d := restart()
	for i := range t.hits {
		t.hits[i].At -= d
	}
}

func (t *target) failuresOf(path string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.failures[path]
}

func (t *target) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	t.srv.Shutdown(ctx)
}
