package e2e

import (
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// target is a loopback HTTP server the checks look at. Each path answers
// 200 "ok" until the test flips it to fail (with a status), optionally only
// for requests from one source IP.
type target struct {
	addr string
	mu   sync.Mutex
	fail map[string]int            // path -> status, for every source
	from map[string]map[string]int // path -> source IP -> status
	hits map[string]int            // path -> requests served
	log  []hit
}

// hit is one request: which path, from which source IP, when.
type hit struct {
	path, ip string
	at       time.Time
}

func newTarget(t *testing.T) *target {
	tg := &target{fail: map[string]int{}, from: map[string]map[string]int{}, hits: map[string]int{}}
	tg.addr = serve(t, "127.0.0.1", tg)
	return tg
}

func (tg *target) url(path string) string { return "http://" + tg.addr + path }

// setFail makes path answer status (0 restores 200).
func (tg *target) setFail(path string, status int) {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	if status == 0 {
		delete(tg.fail, path)
	} else {
		tg.fail[path] = status
	}
}

// setFailFrom makes path answer status to requests from source ip only.
func (tg *target) setFailFrom(path, ip string, status int) {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	if tg.from[path] == nil {
		tg.from[path] = map[string]int{}
	}
	if status == 0 {
		delete(tg.from[path], ip)
	} else {
		tg.from[path][ip] = status
	}
}

func (tg *target) hitCount(path string) int {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return tg.hits[path]
}

func (tg *target) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ip, _, _ := net.SplitHostPort(r.RemoteAddr)
	tg.mu.Lock()
	tg.hits[r.URL.Path]++
	tg.log = append(tg.log, hit{r.URL.Path, ip, time.Now()})
	status := tg.fail[r.URL.Path]
	if s, ok := tg.from[r.URL.Path][ip]; ok {
		status = s
	}
	tg.mu.Unlock()
	if status != 0 {
		w.WriteHeader(status)
		w.Write([]byte(strings.Repeat("x", 3)))
		return
	}
	w.Write([]byte("ok"))
}

// hitsOf returns the requests for path, in arrival order.
func (tg *target) hitsOf(path string) []hit {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	var out []hit
	for _, h := range tg.log {
		if h.path == path {
			out = append(out, h)
		}
	}
	return out
}
