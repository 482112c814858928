package main

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// target is the loopback HTTP server custodes checks. Monitor i asks for
// /m/<i>; the target remembers when each path was first asked for, so the
// harness knows when every monitor was checked once without asking
// custodes (which would cost custodes CPU). /flip answers 200 or 500 as the
// harness decides, for the detection and failover trials.
type target struct {
	srv   *http.Server
	addrs []string // host:port of each listener
	wg    sync.WaitGroup
	hits  atomic.Int64 // requests for /m/<i>
	conns atomic.Int64 // TCP connections accepted
	// received counts the bytes read from clients: on loopback, exactly
	// what custodes wrote to its sockets for the checks.
	received atomic.Int64
	flipFail atomic.Bool
	flipHits atomic.Int64

	mu    sync.RWMutex // guards the fields below (replaced by reset)
	first []atomic.Int64
	seen  *atomic.Int64
	done  *atomic.Int64 // UnixNano when the last path was first asked for
}

var okBody = []byte("ok\n")

// startTarget listens on a fresh port on each of hosts.
func startTarget(hosts []string, keepAlive bool) (*target, error) {
	t := &target{seen: new(atomic.Int64), done: new(atomic.Int64)}
	t.srv = &http.Server{
		Handler:           t,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       5 * time.Minute,
		ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				t.conns.Add(1)
			}
		},
	}
	t.srv.SetKeepAlivesEnabled(keepAlive)
	for _, h := range hosts {
		ln, err := net.Listen("tcp", net.JoinHostPort(h, "0"))
		if err != nil {
			t.close()
			return nil, err
		}
		t.addrs = append(t.addrs, ln.Addr().String())
		t.wg.Add(1)
		go func() { defer t.wg.Done(); t.srv.Serve(countingListener{ln, &t.received}) }()
	}
	return t, nil
}

// reset starts a new run of n monitors: no path has been asked for yet.
func (t *target) reset(n int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.first = make([]atomic.Int64, n)
	t.seen, t.done = new(atomic.Int64), new(atomic.Int64)
}

// url is the address monitor i checks; monitors are spread over the
// listeners round robin.
func (t *target) url(i int) string {
	return "http://" + t.addrs[i%len(t.addrs)] + "/m/" + strconv.Itoa(i)
}

func (t *target) flipURL() string { return "http://" + t.addrs[0] + "/flip" }

func (t *target) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if rest, ok := strings.CutPrefix(r.URL.Path, "/m/"); ok {
		t.hits.Add(1)
		if i, err := strconv.Atoi(rest); err == nil && i >= 0 {
			t.markFirst(i)
		}
		w.Write(okBody)
		return
	}
	if r.URL.Path == "/flip" {
		t.flipHits.Add(1)
		if t.flipFail.Load() {
			w.WriteHeader(http.StatusInternalServerError)
		}
		w.Write(okBody)
		return
	}
	http.NotFound(w, r)
}

func (t *target) markFirst(i int) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if i >= len(t.first) {
		return
	}
	now := time.Now().UnixNano()
	if t.first[i].CompareAndSwap(0, now) && t.seen.Add(1) == int64(len(t.first)) {
		t.done.Store(now)
	}
}

// progress says how many monitors have been checked at least once, and
// when the last of all n was (zero time until then).
func (t *target) progress() (seen int64, all time.Time) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if d := t.done.Load(); d != 0 {
		return t.seen.Load(), time.Unix(0, d)
	}
	return t.seen.Load(), time.Time{}
}

func (t *target) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	t.srv.Shutdown(ctx)
	t.wg.Wait()
}

// countingListener counts the bytes read from the connections it accepts.
type countingListener struct {
	net.Listener
	n *atomic.Int64
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return countingConn{c, l.n}, nil
}

type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.n.Add(int64(n))
	return n, err
}
