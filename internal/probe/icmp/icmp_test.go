package icmp_test

import (
	"context"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/custodes/custodes/internal/monitor"
	"github.com/custodes/custodes/internal/probe/icmp"
	"github.com/custodes/custodes/internal/probe/internal/probetest"
	"github.com/custodes/custodes/internal/probe/target"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func probe(t *testing.T, mode icmp.Mode, spec *monitor.Spec) monitor.Observation {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return icmp.New(icmp.Options{Mode: mode}).Probe(ctx, spec)
}

// unprivilegedAllowed reports whether net.ipv4.ping_group_range lets this
// process's group open unprivileged ICMP sockets.
func unprivilegedAllowed(t *testing.T) bool {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ping_group_range")
	if err != nil {
		t.Fatalf("reading ping_group_range: %v", err)
	}
	f := strings.Fields(string(b))
	lo, _ := strconv.Atoi(f[0])
	hi, _ := strconv.Atoi(f[1])
	gid := os.Getegid()
	return lo <= gid && gid <= hi
}

func TestPingLoopback(t *testing.T) {
	if os.Geteuid() != 0 && !unprivilegedAllowed(t) {
		t.Fatal("this test needs root or net.ipv4.ping_group_range covering the test's group")
	}
	obs := probe(t, icmp.Auto, probetest.Spec(t, monitor.KindICMP, "icmp://127.0.0.1", "[CONNECTED] == true"))
	if !obs.Connected || len(obs.Errors) != 0 {
		t.Fatalf("Connected = %v, Errors = %q", obs.Connected, obs.Errors)
	}
	if obs.Hostname != "127.0.0.1" || obs.IP != "127.0.0.1" || obs.ResponseTime <= 0 || obs.Port != "" {
		t.Errorf("Hostname = %q, IP = %q, Port = %q, ResponseTime = %v", obs.Hostname, obs.IP, obs.Port, obs.ResponseTime)
	}
}

func TestPingByNameThroughTheConfiguredResolver(t *testing.T) {
	if os.Geteuid() != 0 && !unprivilegedAllowed(t) {
		t.Fatal("this test needs root or net.ipv4.ping_group_range covering the test's group")
	}
	dns := probetest.StartDNS(t, "box.custodes.test. 60 IN A 127.0.0.1")
	spec := probetest.Spec(t, monitor.KindICMP, "icmp://box.custodes.test", "[CONNECTED] == true")
	spec.Client.DNSResolver = "udp://" + dns.Addr
	spec.Client.Network = "ip4"
	obs := probe(t, icmp.Auto, spec)
	if !obs.Connected || obs.Hostname != "box.custodes.test" || obs.IP != "127.0.0.1" || len(obs.Errors) != 0 {
		t.Errorf("Connected = %v, Hostname = %q, IP = %q, Errors = %q", obs.Connected, obs.Hostname, obs.IP, obs.Errors)
	}
	spec = probetest.Spec(t, monitor.KindICMP, "icmp://nowhere.custodes.test")
	spec.Client.DNSResolver = "udp://" + dns.Addr
	obs = probe(t, icmp.Auto, spec)
	if obs.Connected || len(obs.Errors) != 1 || !strings.Contains(obs.Errors[0], "no such host") {
		t.Errorf("unresolvable: Connected = %v, Errors = %q", obs.Connected, obs.Errors)
	}
}

func TestPrivilegedMode(t *testing.T) {
	obs := probe(t, icmp.Privileged, probetest.Spec(t, monitor.KindICMP, "icmp://127.0.0.1"))
	if os.Geteuid() == 0 {
		if !obs.Connected || len(obs.Errors) != 0 {
			t.Errorf("as root: Connected = %v, Errors = %q", obs.Connected, obs.Errors)
		}
		return
	}
	// Without CAP_NET_RAW the raw socket is refused with a clear error.
	if obs.Connected || len(obs.Errors) != 1 || !strings.Contains(obs.Errors[0], "raw ICMP sockets need root or CAP_NET_RAW") {
		t.Errorf("not root: Connected = %v, Errors = %q", obs.Connected, obs.Errors)
	}
}

func TestUnprivilegedMode(t *testing.T) {
	obs := probe(t, icmp.Unprivileged, probetest.Spec(t, monitor.KindICMP, "icmp://127.0.0.1"))
	if unprivilegedAllowed(t) {
		if !obs.Connected || len(obs.Errors) != 0 {
			t.Errorf("allowed by ping_group_range: Connected = %v, Errors = %q", obs.Connected, obs.Errors)
		}
		return
	}
	want := "icmp: cannot open an ICMP socket: unprivileged ICMP sockets are not allowed for group " + strconv.Itoa(os.Getegid()) + ", see sysctl net.ipv4.ping_group_range"
	if obs.Connected || len(obs.Errors) != 1 || !strings.HasPrefix(obs.Errors[0], want) {
		t.Errorf("refused by ping_group_range: Connected = %v, Errors = %q; want %q…", obs.Connected, obs.Errors, want)
	}
}

func TestOrder(t *testing.T) {
	tests := []struct {
		mode icmp.Mode
		euid int
		want []bool
	}{
		{icmp.Auto, 0, []bool{true, false}},
		{icmp.Auto, 1000, []bool{false, true}},
		{icmp.Privileged, 1000, []bool{true}},
		{icmp.Unprivileged, 0, []bool{false}},
	}
	for _, tt := range tests {
		if got := icmp.Order(tt.mode, tt.euid); !slices.Equal(got, tt.want) {
			t.Errorf("Order(%v, %d) = %v, want %v", tt.mode, tt.euid, got, tt.want)
		}
	}
}

func TestExpiredDeadlineIsNotConnected(t *testing.T) {
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	obs := icmp.New(icmp.Options{}).Probe(ctx, probetest.Spec(t, monitor.KindICMP, "icmp://127.0.0.1"))
	if obs.Connected {
		t.Errorf("Connected after the deadline: %+v", obs)
	}
}

func TestCancelledPingSaysSo(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	obs := icmp.New(icmp.Options{}).Probe(ctx, probetest.Spec(t, monitor.KindICMP, "icmp://127.0.0.1"))
	if obs.Connected || !slices.Equal(obs.Errors, []string{target.CancelledError}) {
		t.Errorf("Connected = %v, Errors = %q", obs.Connected, obs.Errors)
	}
}

func TestModeString(t *testing.T) {
	for m, want := range map[icmp.Mode]string{icmp.Auto: "auto", icmp.Privileged: "privileged", icmp.Unprivileged: "unprivileged"} {
		if m.String() != want {
			t.Errorf("%d.String() = %q", m, m.String())
		}
	}
}
