// Package e2e tests the real custodes binary: real processes on loopback,
// real signals (SIGKILL, SIGSTOP), a target server whose answers the test
// flips, and a webhook sink that counts deliveries per idempotency key.
package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binary is the custodes binary built once by TestMain.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "custodes-e2e-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "custodes")
	build := exec.Command("go", "build", "-o", binary, "../cmd/custodes")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: building custodes:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// freePort returns a TCP port free on ip at the time of the call.
func freePort(t *testing.T, ip string) int {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatalf("free port on %s: %v", ip, err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// node is one running custodes process.
type node struct {
	t       *testing.T
	name    string
	dir     string // data dir and config live here
	config  string
	apiAddr string // host:port of the HTTP API
	cmd     *exec.Cmd
	netns   string   // run inside this network namespace ("" for none)
	env     []string // extra environment
	logMu   sync.Mutex
	log     bytes.Buffer
	done    chan struct{}
}

// startNode writes cfg to a fresh directory (or reuses dir when non-empty)
// and starts custodes serve on it.
func startNode(t *testing.T, name, dir, apiAddr, cfg string, env ...string) *node {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	n := &node{t: t, name: name, dir: dir, apiAddr: apiAddr, config: filepath.Join(dir, "custodes.yaml"), env: env}
	if err := os.WriteFile(n.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	n.start()
	t.Cleanup(func() { n.kill() })
	return n
}

func (n *node) start() {
	n.t.Helper()
	n.cmd = exec.Command(binary, "serve", "-c", n.config)
	if n.netns != "" {
		// ip netns exec execs the binary itself: signals reach custodes.
		n.cmd = exec.Command("ip", "netns", "exec", n.netns, binary, "serve", "-c", n.config)
	}
	n.cmd.Dir = n.dir
	if len(n.env) > 0 {
		n.cmd.Env = append(os.Environ(), n.env...)
	}
	w := &lockedWriter{mu: &n.logMu, w: &n.log}
	n.cmd.Stdout, n.cmd.Stderr = w, w
	if err := n.cmd.Start(); err != nil {
		n.t.Fatalf("%s: start: %v", n.name, err)
	}
	n.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { cmd.Wait(); close(done) }(n.cmd, n.done)
}

// restart starts the node again on the same data dir and config.
func (n *node) restart() { n.t.Helper(); n.start() }

func (n *node) signal(sig syscall.Signal) {
	if n.cmd != nil && n.cmd.Process != nil {
		n.cmd.Process.Signal(sig)
	}
}

// kill sends SIGKILL (after SIGCONT, in case it was stopped) and waits.
func (n *node) kill() {
	if n.cmd == nil || n.cmd.Process == nil {
		return
	}
	n.cmd.Process.Signal(syscall.SIGCONT)
	n.cmd.Process.Kill()
	select {
	case <-n.done:
	case <-time.After(10 * time.Second):
		n.t.Errorf("%s: did not exit 10s after SIGKILL", n.name)
	}
}

// stop sends SIGTERM and waits for a clean exit, returning its error.
func (n *node) stop() error {
	n.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-n.done:
		if code := n.cmd.ProcessState.ExitCode(); code != 0 {
			return fmt.Errorf("%s: exit code %d after SIGTERM", n.name, code)
		}
		return nil
	case <-time.After(30 * time.Second):
		n.cmd.Process.Kill()
		return fmt.Errorf("%s: did not exit 30s after SIGTERM", n.name)
	}
}

func (n *node) logs() string {
	n.logMu.Lock()
	defer n.logMu.Unlock()
	return n.log.String()
}

// dumpOnFailure prints the node's log if the test failed.
func (n *node) dumpOnFailure() {
	if n.t.Failed() {
		n.t.Logf("---- log of %s ----\n%s", n.name, n.logs())
	}
}

// waitReady polls /readyz until 200 or the deadline.
func (n *node) waitReady(timeout time.Duration) {
	n.t.Helper()
	deadline := time.Now().Add(timeout)
	for i := 0; time.Now().Before(deadline) && i < 10000; i++ {
		resp, err := http.Get("http://" + n.apiAddr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		select {
		case <-n.done:
			n.t.Fatalf("%s exited while waiting for readiness:\n%s", n.name, n.logs())
		case <-time.After(50 * time.Millisecond):
		}
	}
	n.t.Fatalf("%s not ready after %s:\n%s", n.name, timeout, n.logs())
}

// alive reports whether the process is running.
func (n *node) alive() bool {
	select {
	case <-n.done:
		return false
	default:
		return n.cmd != nil
	}
}

// tryGet is get without failing the test.
func (n *node) tryGet(path string) (int, []byte, error) {
	c := &http.Client{Timeout: 3 * time.Second}
	resp, err := c.Get("http://" + n.apiAddr + path)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	return resp.StatusCode, b, nil
}

// do sends a request with an optional body and bearer token.
func (n *node) do(method, path, body, token string) (int, []byte) {
	n.t.Helper()
	req, err := http.NewRequest(method, "http://"+n.apiAddr+path, strings.NewReader(body))
	if err != nil {
		n.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		n.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	return resp.StatusCode, b
}

// gossipAddr reads cluster.gossip-bind from the node's config.
func (n *node) gossipAddr() string {
	b, _ := os.ReadFile(n.config)
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "gossip-bind: "); ok {
			return v
		}
	}
	return ""
}

func (n *node) get(path string) (int, []byte) {
	n.t.Helper()
	resp, err := http.Get("http://" + n.apiAddr + path)
	if err != nil {
		n.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	return resp.StatusCode, b
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// eventually polls cond every 50ms until it is true or timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for i := 0; i < 100000; i++ {
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// serve runs h on a fresh loopback listener on ip until the test ends.
func serve(t *testing.T, ip string, h http.Handler) string {
	t.Helper()
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(l)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	return l.Addr().String()
}
