package udp_test

import (
	"context"
	"net"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/custodes/custodes/internal/monitor"
	"github.com/custodes/custodes/internal/probe/internal/probetest"
	"github.com/custodes/custodes/internal/probe/udp"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// echo answers every datagram with reply(datagram) until the test ends.
func echo(t *testing.T, reply func([]byte) []byte) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { _ = pc.Close(); <-done })
	go func() {
		defer close(done)
		buf := make([]byte, 2048)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if r := reply(buf[:n]); r != nil {
				_, _ = pc.WriteTo(r, from)
			}
		}
	}()
	return pc.LocalAddr().String()
}

func probe(t *testing.T, spec *monitor.Spec) monitor.Observation {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return udp.New().Probe(ctx, spec)
}

func TestEcho(t *testing.T) {
	addr := echo(t, func(b []byte) []byte { return append([]byte("echo:"), b...) })
	_, port, _ := net.SplitHostPort(addr)
	spec := probetest.Spec(t, monitor.KindUDP, "udp://"+addr, "[BODY] == echo:hello m")
	spec.Body = "hello [ENDPOINT_NAME]"
	obs := probe(t, spec)
	if !obs.Connected || string(obs.Body) != "echo:hello m" || obs.IP != "127.0.0.1" || obs.Hostname != "127.0.0.1" || obs.Port != port || len(obs.Errors) != 0 {
		t.Errorf("Connected = %v, Body = %q, IP = %q, Hostname = %q, Port = %q, Errors = %q", obs.Connected, obs.Body, obs.IP, obs.Hostname, obs.Port, obs.Errors)
	}
}

func TestNoReplyIsNotConnected(t *testing.T) {
	addr := echo(t, func([]byte) []byte { return nil })
	spec := probetest.Spec(t, monitor.KindUDP, "udp://"+addr, "[CONNECTED] == true")
	spec.Body = "hello"
	spec.Client.Timeout = 150 * time.Millisecond
	obs := udp.New().Probe(context.Background(), spec)
	if obs.Connected || len(obs.Errors) != 0 {
		t.Errorf("Connected = %v, Errors = %q", obs.Connected, obs.Errors)
	}
}

func TestClosedPortWithBodyIsNotConnected(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	_ = pc.Close()
	spec := probetest.Spec(t, monitor.KindUDP, "udp://"+addr, "[CONNECTED] == true")
	spec.Body = "hello"
	// The kernel's port-unreachable answer ends the check before the
	// deadline.
	obs := probe(t, spec)
	if obs.Connected || len(obs.Errors) != 0 {
		t.Errorf("Connected = %v, Errors = %q", obs.Connected, obs.Errors)
	}
}

func TestWithoutBodyOnlyTheAddressIsChecked(t *testing.T) {
	// As in Gatus: UDP has no handshake, so without a body there is
	// nothing to wait for and the check counts as connected.
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	_ = pc.Close()
	obs := probe(t, probetest.Spec(t, monitor.KindUDP, "udp://"+addr, "[CONNECTED] == true"))
	if !obs.Connected || len(obs.Errors) != 0 {
		t.Errorf("Connected = %v, Errors = %q", obs.Connected, obs.Errors)
	}
	obs = probe(t, probetest.Spec(t, monitor.KindUDP, "udp://127.0.0.1", "[CONNECTED] == true"))
	if obs.Connected || len(obs.Errors) != 1 {
		t.Errorf("missing port: Connected = %v, Errors = %q", obs.Connected, obs.Errors)
	}
}
