package faultnet

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// echo serves node b on loopback: every accepted conn echoes what it reads.
func echo(t *testing.T, n *Network, node string) string {
	t.Helper()
	ln, err := n.Listen(node, "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				io.Copy(c, c)
				c.Close()
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

func dial(t *testing.T, n *Network, from, addr string) net.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := n.Dial(ctx, from, "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func roundTrip(t *testing.T, c net.Conn, msg string) {
	t.Helper()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte(msg)); err != nil {
		t.Fatalf("write: %v", err)
	}
	buf := make([]byte, len(msg))
	if _, err := io.ReadFull(c, buf); err != nil {
		t.Fatalf("read: %v", err)
	}
	if string(buf) != msg {
		t.Fatalf("echo = %q, want %q", buf, msg)
	}
	c.SetDeadline(time.Time{})
}

func TestStreamPassesThroughWithoutRules(t *testing.T) {
	n := New()
	addr := echo(t, n, "b")
	c := dial(t, n, "a", addr)
	roundTrip(t, c, "hello")
	if got := n.NodeOf(addr); got != "b" {
		t.Fatalf("NodeOf(%s) = %q, want b", addr, got)
	}
	if got := n.NodeOf(c.LocalAddr().String()); got != "a" {
		t.Fatalf("NodeOf(dialer's address) = %q, want a", got)
	}
}

func TestBlockedWriteHonoursDeadlineAndResumesOnHeal(t *testing.T) {
	n := New()
	addr := echo(t, n, "b")
	c := dial(t, n, "a", addr)
	roundTrip(t, c, "before")

	n.Partition([]string{"a"}, []string{"b"})
	if !n.Blocked("a", "b") || !n.Blocked("b", "a") {
		t.Fatal("partition is not symmetric")
	}
	c.SetWriteDeadline(time.Now().Add(20 * time.Millisecond))
	_, err := c.Write([]byte("x"))
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("blocked write with a deadline: err = %v, want a timeout", err)
	}

	// A held write without deadline completes after the heal, intact.
	c.SetWriteDeadline(time.Time{})
	done := make(chan error, 1)
	go func() {
		_, err := c.Write([]byte("held"))
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("write crossed a partition: %v", err)
	case <-time.After(30 * time.Millisecond):
	}
	n.Heal()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "held" {
		t.Fatalf("after heal read %q, %v; want held", buf, err)
	}
}

func TestBlockedWriteReleasedByClose(t *testing.T) {
	n := New()
	addr := echo(t, n, "b")
	c := dial(t, n, "a", addr)
	n.Isolate("b")
	done := make(chan error, 1)
	go func() {
		_, err := c.Write([]byte("x"))
		done <- err
	}()
	c.Close()
	if err := <-done; !errors.Is(err, net.ErrClosed) {
		t.Fatalf("write on a closed held conn: %v, want net.ErrClosed", err)
	}
}

func TestDialAcrossPartitionWaits(t *testing.T) {
	n := New()
	addr := echo(t, n, "b")
	n.Isolate("a")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := n.Dial(ctx, "a", "tcp", addr); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("dial across partition: %v, want deadline exceeded", err)
	}

	// A waiting dial goes through once healed.
	type result struct {
		c   net.Conn
		err error
	}
	res := make(chan result, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := n.Dial(ctx, "a", "tcp", addr)
		res <- result{c, err}
	}()
	n.Heal()
	r := <-res
	if r.err != nil {
		t.Fatal(r.err)
	}
	defer r.c.Close()
	roundTrip(t, r.c, "after")
}

func TestLossRefusesDials(t *testing.T) {
	n := New()
	addr := echo(t, n, "b")
	n.SetLoss("a", "b", 1)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := n.Dial(ctx, "a", "tcp", addr); !errors.Is(err, ErrRefused) {
		t.Fatalf("dial with loss 1: %v, want ErrRefused", err)
	}
	// Other pairs are unaffected.
	c := dial(t, n, "c", addr)
	roundTrip(t, c, "ok")
}

func TestCutClosesBothEnds(t *testing.T) {
	n := New()
	addr := echo(t, n, "b")
	c := dial(t, n, "a", addr)
	roundTrip(t, c, "x")
	other := dial(t, n, "c", addr)
	roundTrip(t, other, "y")

	if got := n.Cut("b", "a"); got != 2 {
		t.Fatalf("Cut closed %d conn ends, want 2 (dialer and accepted)", got)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("read on a cut conn succeeded")
	}
	roundTrip(t, other, "still up")
}

func TestDelayIsAtLeastTheLatency(t *testing.T) {
	n := New()
	addr := echo(t, n, "b")
	c := dial(t, n, "a", addr)
	roundTrip(t, c, "warm")
	const d = 15 * time.Millisecond
	n.SetDelay("a", "b", d)
	start := time.Now()
	roundTrip(t, c, "slow")
	// Each end delays its own write: at least 2*d for a round trip. A
	// lower bound only: timers never fire early.
	if got := time.Since(start); got < 2*d {
		t.Fatalf("round trip took %v, want at least %v", got, 2*d)
	}
}

func TestPackets(t *testing.T) {
	n := New()
	a, err := n.ListenPacket("a", "udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := n.ListenPacket("b", "udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	recv := func(want string) {
		t.Helper()
		b.SetReadDeadline(time.Now().Add(10 * time.Second))
		buf := make([]byte, 64)
		k, from, err := b.ReadFrom(buf)
		if err != nil {
			t.Fatalf("waiting for %q: %v", want, err)
		}
		if string(buf[:k]) != want || from.String() != a.LocalAddr().String() {
			t.Fatalf("got %q from %s, want %q from %s", buf[:k], from, want, a.LocalAddr())
		}
	}
	send := func(msg string) {
		t.Helper()
		if k, err := a.WriteTo([]byte(msg), b.LocalAddr()); err != nil || k != len(msg) {
			t.Fatalf("WriteTo = %d, %v", k, err)
		}
	}

	send("one")
	recv("one")

	n.Block("a", "b")
	send("dropped by partition")
	n.Heal()
	n.SetLoss("a", "b", 1)
	send("dropped by loss")
	n.Heal()
	n.SetDelay("a", "b", 10*time.Millisecond)
	send("late")
	n.Heal()
	send("two")
	// Only the delayed and the healed packets arrive, the delayed first
	// or second depending on scheduling; both must come, nothing else.
	got := map[string]bool{}
	for range 2 {
		b.SetReadDeadline(time.Now().Add(10 * time.Second))
		buf := make([]byte, 64)
		k, _, err := b.ReadFrom(buf)
		if err != nil {
			t.Fatal(err)
		}
		got[string(buf[:k])] = true
	}
	if !got["late"] || !got["two"] {
		t.Fatalf("received %v, want late and two", got)
	}
	b.SetReadDeadline(time.Now().Add(30 * time.Millisecond))
	if k, _, err := b.ReadFrom(make([]byte, 64)); err == nil {
		t.Fatalf("a dropped packet arrived (%d bytes)", k)
	}
	recvAfterBlock := func() {
		// The receiving side drops packets from a blocked sender even if
		// the sender is not wrapped.
		raw, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		n.Register("raw", raw.LocalAddr().String())
		n.Block("raw", "b")
		raw.WriteTo([]byte("from raw"), b.LocalAddr())
		b.SetReadDeadline(time.Now().Add(30 * time.Millisecond))
		if k, _, err := b.ReadFrom(make([]byte, 64)); err == nil {
			t.Fatalf("packet from a blocked unwrapped sender arrived (%d bytes)", k)
		}
		n.Heal()
		raw.WriteTo([]byte("healed"), b.LocalAddr())
		b.SetReadDeadline(time.Now().Add(10 * time.Second))
		buf := make([]byte, 64)
		k, _, err := b.ReadFrom(buf)
		if err != nil || string(buf[:k]) != "healed" {
			t.Fatalf("after heal got %q, %v", buf[:k], err)
		}
	}
	recvAfterBlock()
}

func TestClosePacketConnDropsPendingDelayed(t *testing.T) {
	n := New()
	a, err := n.ListenPacket("a", "udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b, err := n.ListenPacket("b", "udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	n.SetDelay("a", "b", time.Hour)
	for range 10 {
		a.WriteTo([]byte("never"), b.LocalAddr())
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := a.WriteTo([]byte("x"), b.LocalAddr()); err == nil {
		t.Fatal("write after close succeeded")
	}
	if got := n.NodeOf(a.LocalAddr().String()); got != "" {
		t.Fatalf("closed conn's address still registered to %q", got)
	}
}
