package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// lab is where the nodes live on the network.
//
// As root, each node runs in its own network namespace on a bridge (like
// e2e/partition_test.go); the soak itself (target, sink, API clients) is on
// the bridge's address. A partition is a pair of blackhole routes between
// node addresses, so a cut-off node still reaches the target and the sink,
// and the clients still reach it.
//
// Otherwise the nodes share the loopback interface on 127.0.0.1-N, each
// checking from its own address (node.source-address), and partitions are
// not possible.
type lab struct {
	netns  bool
	hostIP string   // where the target, the sink and the clients are
	ips    []string // node i+1's address
	ns     []string // node i+1's namespace ("" on loopback)
	bridge string

	mu   sync.Mutex
	cuts map[int]bool // 1-based node -> cut off
}

// labNames are this process's interface and namespace names, unique per
// process id so concurrent runs (and e2e's cun*/cub* ones) do not meet.
func labNames(pid int) (prefix, bridge, nsPrefix string) {
	id := pid % 1000
	return fmt.Sprintf("10.%d.%d.", 150+id/250, id%250), fmt.Sprintf("csob%d", id), fmt.Sprintf("cso%d-", id)
}

// newLab prepares the network for nodes. With netns false, or when the
// namespaces cannot be made, it falls back to loopback and says why in
// note.
func newLab(ctx context.Context, nodes int, netns bool) (l *lab, note string, err error) {
	if !netns {
		return loopbackLab(nodes), "", nil
	}
	if os.Geteuid() != 0 {
		return loopbackLab(nodes), "not root: no network namespaces, so the partition fault is SKIPPED (run as root for it)", nil
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return loopbackLab(nodes), "the ip command (iproute2) is missing: the partition fault is SKIPPED", nil
	}
	prefix, bridge, nsPrefix := labNames(os.Getpid())
	l = &lab{netns: true, hostIP: prefix + "254", bridge: bridge, cuts: map[int]bool{}}
	l.removeStale(ctx, nsPrefix)
	fail := func(err error) (*lab, string, error) {
		l.close()
		return nil, "", err
	}
	if err := ipCmd(ctx, "link", "add", bridge, "type", "bridge"); err != nil {
		return fail(err)
	}
	if err := ipCmd(ctx, "addr", "add", l.hostIP+"/24", "dev", bridge); err != nil {
		return fail(err)
	}
	if err := ipCmd(ctx, "link", "set", bridge, "up"); err != nil {
		return fail(err)
	}
	id := strings.TrimPrefix(bridge, "csob")
	for i := 1; i <= nodes; i++ {
		ns := fmt.Sprintf("%s%d", nsPrefix, i)
		veth, peer := fmt.Sprintf("csov%s-%d", id, i), fmt.Sprintf("csop%s-%d", id, i)
		ip := fmt.Sprintf("%s%d", prefix, i)
		if err := ipCmd(ctx, "netns", "add", ns); err != nil {
			return fail(err)
		}
		l.ns = append(l.ns, ns)
		l.ips = append(l.ips, ip)
		for _, args := range [][]string{
			{"link", "add", veth, "type", "veth", "peer", "name", peer},
			{"link", "set", veth, "netns", ns},
			{"link", "set", peer, "master", bridge},
			{"link", "set", peer, "up"},
			{"netns", "exec", ns, "ip", "addr", "add", ip + "/24", "dev", veth},
			{"netns", "exec", ns, "ip", "link", "set", veth, "up"},
			{"netns", "exec", ns, "ip", "link", "set", "lo", "up"},
		} {
			if err := ipCmd(ctx, args...); err != nil {
				return fail(err)
			}
		}
	}
	return l, "", nil
}

func loopbackLab(nodes int) *lab {
	l := &lab{hostIP: "127.0.0.1", cuts: map[int]bool{}}
	for i := 1; i <= nodes; i++ {
		l.ips = append(l.ips, fmt.Sprintf("127.0.0.%d", i))
		l.ns = append(l.ns, "")
	}
	return l
}

// removeStale deletes namespaces and the bridge left by an earlier run
// that had this process id and was killed before it could clean up.
func (l *lab) removeStale(ctx context.Context, nsPrefix string) {
	out, err := exec.CommandContext(ctx, "ip", "netns", "list").Output()
	if err == nil {
		for _, line := range strings.Split(string(out), "\n") {
			if f := strings.Fields(line); len(f) > 0 && strings.HasPrefix(f[0], nsPrefix) {
				exec.CommandContext(ctx, "ip", "netns", "del", f[0]).Run()
			}
		}
	}
	exec.CommandContext(ctx, "ip", "link", "del", l.bridge).Run()
}

func ipCmd(ctx context.Context, args ...string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// cut isolates node i (1-based) from every other node, both ways, or
// heals it.
func (l *lab) cut(ctx context.Context, i int, on bool) error {
	if !l.netns {
		return errors.New("partitions need network namespaces")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cuts[i] == on {
		return nil
	}
	op := "add"
	if !on {
		op = "del"
	}
	var errs []error
	for j := 1; j <= len(l.ns); j++ {
		if j == i {
			continue
		}
		errs = append(errs,
			ipCmd(ctx, "netns", "exec", l.ns[i-1], "ip", "route", op, "blackhole", l.ips[j-1]+"/32"),
			ipCmd(ctx, "netns", "exec", l.ns[j-1], "ip", "route", op, "blackhole", l.ips[i-1]+"/32"))
	}
	l.cuts[i] = on
	return errors.Join(errs...)
}

// close heals every cut and removes the namespaces and the bridge.
func (l *lab) close() {
	if !l.netns {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, ns := range l.ns {
		exec.CommandContext(ctx, "ip", "netns", "del", ns).Run()
	}
	exec.CommandContext(ctx, "ip", "link", "del", l.bridge).Run()
}

// ports returns the web, Raft and gossip ports of node i (1-based). In a
// namespace of its own a node's address is private to this run, so fixed
// ports cannot collide; on loopback they are free ports read back from
// the kernel.
func (l *lab) ports(i int) (web, bind, gossip int, err error) {
	if l.netns {
		return 8080, 7380, 7946, nil
	}
	var ps [3]int
	for k := range ps {
		if ps[k], err = freePort(l.ips[i-1]); err != nil {
			return 0, 0, 0, err
		}
	}
	return ps[0], ps[1], ps[2], nil
}

// freePort returns a TCP port free on ip at the time of the call.
func freePort(ip string) (int, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		return 0, fmt.Errorf("a free port on %s: %w", ip, err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// nodeOf maps a source address to the node name using it ("" if none).
func (l *lab) nodeOf(ip string) string {
	for i, a := range l.ips {
		if a == ip {
			return fmt.Sprintf("n%d", i+1)
		}
	}
	return ""
}
