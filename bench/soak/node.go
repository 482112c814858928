package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// node is one custodes process and what is needed to restart it.
type node struct {
	name   string // n1, n2, ...
	idx    int    // 1-based
	ip     string
	web    int
	ns     string // network namespace ("" on loopback)
	bin    string
	dir    string // data dir, config and log live here
	config string
	log    string

	mu     sync.Mutex
	cmd    *exec.Cmd
	done   chan struct{}
	offset time.Duration // CUSTODES_TEST_CLOCK_OFFSET
	frozen bool
}

func (n *node) apiURL(path string) string { return fmt.Sprintf("http://%s:%d%s", n.ip, n.web, path) }

// start launches the process (again) on its data dir.
func (n *node) start() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd != nil && !closed(n.done) {
		return fmt.Errorf("%s: already running", n.name)
	}
	args := []string{n.bin, "serve", "-c", n.config}
	if n.ns != "" {
		// ip netns exec execs the binary in place: signals reach custodes.
		args = append([]string{"ip", "netns", "exec", n.ns}, args...)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir = n.dir
	// The target and sink are not on loopback in netns mode, so a proxy
	// from the environment would take the checks and webhooks elsewhere.
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); !strings.HasSuffix(strings.ToUpper(k), "_PROXY") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	if n.offset != 0 {
		cmd.Env = append(cmd.Env, "CUSTODES_TEST_CLOCK_OFFSET="+n.offset.String())
	}
	logf, err := os.OpenFile(n.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	fmt.Fprintf(logf, "==== %s start %s (clock offset %s)\n", time.Now().Format(time.RFC3339Nano), strings.Join(args, " "), n.offset)
	cmd.Stdout, cmd.Stderr = logf, logf
	// The process dies with the soak, even if the soak is killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("%s: start: %w", n.name, err)
	}
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		logf.Close()
		close(done)
	}()
	n.cmd, n.done, n.frozen = cmd, done, false
	return nil
}

func closed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// alive reports whether the process runs (frozen counts as alive).
func (n *node) alive() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.cmd != nil && !closed(n.done)
}

func (n *node) isFrozen() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.frozen
}

func (n *node) signal(sig syscall.Signal) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd == nil || closed(n.done) {
		return fmt.Errorf("%s: not running", n.name)
	}
	if err := n.cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("%s: %s: %w", n.name, sig, err)
	}
	switch sig {
	case syscall.SIGSTOP:
		n.frozen = true
	case syscall.SIGCONT:
		n.frozen = false
	}
	return nil
}

// kill sends SIGCONT and SIGKILL and waits (bounded) for the exit.
func (n *node) kill() error {
	n.mu.Lock()
	cmd, done := n.cmd, n.done
	n.frozen = false
	n.mu.Unlock()
	if cmd == nil || closed(done) {
		return nil
	}
	cmd.Process.Signal(syscall.SIGCONT)
	cmd.Process.Kill()
	select {
	case <-done:
		return nil
	case <-time.After(10 * time.Second):
		return fmt.Errorf("%s: still running 10s after SIGKILL", n.name)
	}
}

// terminate asks for a clean exit (SIGTERM), killing after timeout.
func (n *node) terminate(timeout time.Duration) error {
	n.mu.Lock()
	cmd, done := n.cmd, n.done
	n.mu.Unlock()
	if cmd == nil || closed(done) {
		return nil
	}
	cmd.Process.Signal(syscall.SIGCONT)
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
		return nil
	case <-time.After(timeout):
		n.kill()
		return fmt.Errorf("%s: did not exit %s after SIGTERM; killed", n.name, timeout)
	}
}

// controlClient is for the soak's own look-ups (status, readiness): short
// timeouts, since a frozen node never answers.
var controlClient = &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

// get fetches path from the node's API with a body size limit.
func (n *node) get(ctx context.Context, c *http.Client, path string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, n.apiURL(path), nil)
	if err != nil {
		return 0, nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	return resp.StatusCode, b, err
}

// clusterStatus is the part of GET /api/v1/cluster the soak reads.
type clusterStatus struct {
	Node    string `json:"node"`
	Leader  string `json:"leader"`
	State   string `json:"state"`
	Term    string `json:"term"`
	Applied uint64 `json:"applied_index"`
	Quorum  struct {
		Voters      int  `json:"voters"`
		VotersAlive int  `json:"voters_alive"`
		Healthy     bool `json:"healthy"`
	} `json:"quorum"`
}

func (n *node) status(ctx context.Context) (clusterStatus, error) {
	var st clusterStatus
	code, body, err := n.get(ctx, controlClient, "/api/v1/cluster")
	if err != nil {
		return st, err
	}
	if code != http.StatusOK {
		return st, fmt.Errorf("%s: /api/v1/cluster: %d", n.name, code)
	}
	if err := json.Unmarshal(body, &st); err != nil {
		return st, fmt.Errorf("%s: /api/v1/cluster: %w", n.name, err)
	}
	return st, nil
}

// ready reports whether /readyz answers 200.
func (n *node) ready(ctx context.Context) bool {
	code, _, err := n.get(ctx, controlClient, "/readyz")
	return err == nil && code == http.StatusOK
}

// waitReady polls /readyz until it answers 200, the process exits, or
// timeout passes.
func (n *node) waitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for i := 0; i < 100000; i++ {
		if n.ready(ctx) {
			return nil
		}
		if !n.alive() {
			return fmt.Errorf("%s exited (see %s)", n.name, n.log)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after %s", n.name, timeout)
		}
		if err := sleep(ctx, 100*time.Millisecond); err != nil {
			return err
		}
	}
	return errors.New("unreachable")
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// tail returns the last n lines of the node's log.
func (n *node) tail(lines int) string {
	b, err := os.ReadFile(n.log)
	if err != nil {
		return err.Error()
	}
	all := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}

// saveLog copies the node's log into dir.
func (n *node) saveLog(dir string) error {
	b, err := os.ReadFile(n.log)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, n.name+".log"), b, 0o644)
}
