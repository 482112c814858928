package main

import (
	"context"
	"encoding/json"

	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// node is one custodes serve process.
type node struct {
	name    string
	dir     string // working directory: config, log and data/ live here
	web     string // host:port of its HTTP API
	bin     string
	cmd     *exec.Cmd
	log     *os.File
	done    chan struct{}
	started time.Time
}

// apiClient talks to custodes on loopback: no proxy, bounded answers.
var apiClient = &http.Client{
	Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 4, IdleConnTimeout: 30 * time.Second},
	Timeout:   2 * time.Minute,
}

// freePort returns a port free on host right now (listen on :0, read the
// port back, close).
func freePort(host string) (int, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// newNode prepares dir with cfg; start runs it.
func newNode(bin, name, dir, web, cfg string) (*node, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "custodes.yaml"), []byte(cfg), 0o644); err != nil {
		return nil, err
	}
	return &node{name: name, dir: dir, web: web, bin: bin}, nil
}

func (n *node) pid() int { return n.cmd.Process.Pid }

// start launches the process. It is stopped by the caller's defers (also
// on Ctrl-C, which cancels the run's context). No Pdeathsig: Linux sends
// it when the forking thread exits, which a Go program does not control
// (go.dev/issue/27505).
func (n *node) start() error {
	f, err := os.OpenFile(filepath.Join(n.dir, "custodes.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	n.log = f
	n.cmd = exec.Command(n.bin, "serve", "-c", "custodes.yaml")
	n.cmd.Dir = n.dir
	n.cmd.Stdout, n.cmd.Stderr = f, f
	n.started = time.Now()
	if err := n.cmd.Start(); err != nil {
		f.Close()
		return fmt.Errorf("%s: starting %s: %w", n.name, n.bin, err)
	}
	n.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}, log *os.File) {
		cmd.Wait()
		log.Close()
		close(done)
	}(n.cmd, n.done, f)
	return nil
}

func (n *node) running() bool {
	if n.done == nil {
		return false
	}
	select {
	case <-n.done:
		return false
	default:
		return true
	}
}

// waitReady polls /readyz until it answers 200.
func (n *node) waitReady(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		code, _, err := n.get(ctx, "/readyz", 1<<10)
		if err == nil && code == http.StatusOK {
			return nil
		}
		select {
		case <-n.done:
			return fmt.Errorf("%s exited before it was ready; log:\n%s", n.name, n.tail())
		case <-ctx.Done():
			return fmt.Errorf("%s not ready after %s (last: %d %v); log:\n%s", n.name, timeout, code, err, n.tail())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// get fetches path from the node's API, reading at most limit bytes.
func (n *node) get(ctx context.Context, path string, limit int64) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+n.web+path, nil)
	if err != nil {
		return 0, nil, err
	}
	resp, err := apiClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	return resp.StatusCode, body, err
}

// getJSON fetches path and decodes its JSON answer into v.
func (n *node) getJSON(ctx context.Context, path string, v any) error {
	code, body, err := n.get(ctx, path, 32<<20)
	if err != nil {
		return fmt.Errorf("%s GET %s: %w", n.name, path, err)
	}
	if code != http.StatusOK {
		return fmt.Errorf("%s GET %s: status %d: %s", n.name, path, code, clip(string(body)))
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("%s GET %s: %w", n.name, path, err)
	}
	return nil
}

// scrape reads the named metric families from /metrics (name[] filter:
// custodes still gathers every family, but only these are encoded).
func (n *node) scrape(ctx context.Context, names ...string) ([]promSample, error) {
	q := url.Values{}
	for _, name := range names {
		q.Add("name[]", name)
	}
	code, body, err := n.get(ctx, "/metrics?"+q.Encode(), 64<<20)
	if err != nil {
		return nil, fmt.Errorf("%s: scraping /metrics: %w", n.name, err)
	}
	if code != http.StatusOK {
		return nil, fmt.Errorf("%s: /metrics: status %d (is metrics: true?)", n.name, code)
	}
	s, err := parseProm(strings.NewReader(string(body)))
	if err != nil {
		return nil, fmt.Errorf("%s: /metrics: %w", n.name, err)
	}
	return s, nil
}

// stop asks for a clean shutdown (SIGTERM: flush history, close the
// database) and kills the process if it has not exited within timeout.
func (n *node) stop(timeout time.Duration) error {
	if !n.running() {
		return nil
	}
	n.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-n.done:
		if code := n.cmd.ProcessState.ExitCode(); code != 0 {
			return fmt.Errorf("%s: exit code %d after SIGTERM; log:\n%s", n.name, code, n.tail())
		}
		return nil
	case <-time.After(timeout):
		n.kill()
		return fmt.Errorf("%s: still running %s after SIGTERM, killed", n.name, timeout)
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (n *node) kill() {
	if !n.running() {
		return
	}
	n.cmd.Process.Kill()
	select {
	case <-n.done:
	case <-time.After(10 * time.Second):
	}
}

// dumpStacks makes a stuck node print every goroutine's stack to its log
// (Go's SIGQUIT handler) and exit, for the report.
func (n *node) dumpStacks() {
	if !n.running() {
		return
	}
	n.cmd.Process.Signal(syscall.SIGQUIT)
	select {
	case <-n.done:
	case <-time.After(10 * time.Second):
		n.kill()
	}
}

// saveLog copies the node's log into dir as <name>.log.
func (n *node) saveLog(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(n.dir, "custodes.log"))
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	p := filepath.Join(dir, strings.NewReplacer(" ", "_", "/", "_", "@", "_").Replace(n.name)+".log")
	return p, os.WriteFile(p, b, 0o644)
}

// postMortem dumps a stuck node's goroutines and keeps its log in
// <out>/logs, returning a note saying where.
func (h *harness) postMortem(n *node) string {
	if n == nil || n.cmd == nil {
		return ""
	}
	if !n.running() {
		return fmt.Sprintf(" (%s had exited: %s)", n.name, n.cmd.ProcessState)
	}
	n.dumpStacks()
	p, err := n.saveLog(filepath.Join(h.opts.out, "logs"))
	if err != nil {
		return fmt.Sprintf(" (log not saved: %v)", err)
	}
	return fmt.Sprintf(" (log and goroutine dump: %s)", p)
}

// tail is the end of the node's log, for error messages.
func (n *node) tail() string {
	b, err := os.ReadFile(filepath.Join(n.dir, "custodes.log"))
	if err != nil {
		return err.Error()
	}
	const keep = 3000
	if len(b) > keep {
		b = b[len(b)-keep:]
	}
	return string(b)
}
