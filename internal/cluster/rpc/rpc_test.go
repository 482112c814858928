package rpc

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/custodes/custodes/internal/cluster"
	"github.com/custodes/custodes/internal/cluster/fsm"
	"github.com/custodes/custodes/internal/cluster/transport"
)

type echoReq struct {
	Text string `json:"text"`
	N    int    `json:"n"`
}

type echoResp struct {
	Text string `json:"text"`
	N    int    `json:"n"`
	Peer string `json:"peer"`
}

func echoHandler(_ context.Context, peer string, r echoReq) (echoResp, error) {
	return echoResp{Text: r.Text, N: r.N, Peer: peer}, nil
}

func TestRoundTripCarriesThePeerID(t *testing.T) {
	srv := newTransport(t, "srv", nil)
	serve(t, srv, ServerConfig{}, func(s *Server) { Handle(s, "echo", echoHandler) })
	c := newClient(t, newTransport(t, "cli", nil), ClientConfig{})

	var got echoResp
	if err := c.Call(ctxT(t), srv.Advertise(), "echo", echoReq{Text: "héllo", N: 7}, &got); err != nil {
		t.Fatal(err)
	}
	if want := (echoResp{Text: "héllo", N: 7, Peer: "cli"}); got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	// A nil resp discards the reply; a raw body is sent as is.
	if err := c.Call(ctxT(t), srv.Advertise(), "echo", json.RawMessage(`{"text":"raw"}`), nil); err != nil {
		t.Fatal(err)
	}
}

func TestErrorsCarryTheirCode(t *testing.T) {
	srv := newTransport(t, "srv", nil)
	_, logs := serve(t, srv, ServerConfig{}, func(s *Server) {
		Handle(s, "fail", func(_ context.Context, _ string, kind string) (struct{}, error) {
			switch kind {
			case "not-found":
				return struct{}{}, fmt.Errorf("incident %q: %w", "i-1", fsm.ErrNotFound)
			case "conflict":
				return struct{}{}, fmt.Errorf("monitor exists: %w", fsm.ErrConflict)
			case "not-leader":
				return struct{}{}, fmt.Errorf("%w: %w", cluster.ErrNotLeader, errors.New("leadership lost"))
			case "custom":
				return struct{}{}, Errorf("quota", "over quota by %d", 3)
			case "panic":
				panic("boom")
			}
			return struct{}{}, errors.New("plain failure")
		})
		Handle(s, "typed", func(_ context.Context, _ string, r echoReq) (echoResp, error) { return echoResp{}, nil })
	})
	c := newClient(t, newTransport(t, "cli", nil), ClientConfig{})
	cases := []struct {
		method string
		req    any
		code   string
		text   string
		is     error
	}{
		{"fail", "not-found", CodeNotFound, `incident "i-1": not found`, fsm.ErrNotFound},
		{"fail", "conflict", CodeConflict, "monitor exists: conflict", fsm.ErrConflict},
		{"fail", "not-leader", CodeNotLeader, "cluster: no leader to take the command: leadership lost", cluster.ErrNotLeader},
		{"fail", "custom", "quota", "over quota by 3", &Error{Code: "quota"}},
		{"fail", "other", CodeInternal, "plain failure", nil},
		{"fail", "panic", CodeInternal, "rpc: the fail handler failed on the peer", nil},
		{"nope", nil, CodeUnknownMethod, `rpc: unknown method "nope"`, ErrUnknownMethod},
		{"typed", []int{1}, CodeBadRequest, "rpc: decoding the typed request: json: cannot unmarshal array", nil},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s/%v", tc.method, tc.req), func(t *testing.T) {
			err := c.Call(ctxT(t), srv.Advertise(), tc.method, tc.req, nil)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want an *Error", err)
			}
			if e.Code != tc.code || !strings.HasPrefix(e.Message, tc.text) {
				t.Fatalf("got code %q message %q, want %q %q", e.Code, e.Message, tc.code, tc.text)
			}
			if want := "rpc: " + tc.method + " on " + srv.Advertise() + ": " + e.Message; err.Error() != want {
				t.Fatalf("error text %q, want %q", err, want)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Fatalf("errors.Is(%v, %v) is false", err, tc.is)
			}
			if errors.Is(err, fsm.ErrInvalid) {
				t.Fatal("error matches an unrelated sentinel")
			}
		})
	}
	logs.waitLog(t, "rpc: handler panicked method=fail peer=cli panic=boom")
}

func TestCodeOf(t *testing.T) {
	cases := []struct {
		err  error
		want string
	}{
		{nil, ""},
		{fsm.ErrInvalid, CodeInvalid},
		{fmt.Errorf("x: %w", fsm.ErrHalted), CodeHalted},
		{fmt.Errorf("%w: %w", cluster.ErrNotLeader, context.DeadlineExceeded), CodeNotLeader},
		{context.Canceled, CodeCanceled},
		{fmt.Errorf("wrapped: %w", Errorf("x", "y")), "x"},
		{errors.New("other"), CodeInternal},
	}
	for _, tc := range cases {
		if got := CodeOf(tc.err); got != tc.want {
			t.Errorf("CodeOf(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

func TestDeadlineIsHonouredAgainstAHangingHandler(t *testing.T) {
	srv := newTransport(t, "srv", nil)
	seen := make(chan error, 1)
	hadDeadline := make(chan bool, 1)
	serve(t, srv, ServerConfig{}, func(s *Server) {
		Handle(s, "hang", func(ctx context.Context, _ string, _ struct{}) (struct{}, error) {
			_, ok := ctx.Deadline()
			hadDeadline <- ok
			<-ctx.Done()
			seen <- ctx.Err()
			return struct{}{}, ctx.Err()
		})
		Handle(s, "echo", echoHandler)
	})
	c := newClient(t, newTransport(t, "cli", nil), ClientConfig{})

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := c.Call(ctx, srv.Advertise(), "hang", struct{}{}, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("call to a hanging handler: %v, want deadline exceeded", err)
	}
	if !<-hadDeadline {
		t.Fatal("the handler's context had no deadline")
	}
	if got := <-seen; !errors.Is(got, context.DeadlineExceeded) {
		t.Fatalf("handler context ended with %v, want the propagated deadline", got)
	}
	// The connection is still good for other calls.
	var r echoResp
	if err := c.Call(ctxT(t), srv.Advertise(), "echo", echoReq{N: 1}, &r); err != nil || r.N != 1 {
		t.Fatalf("call after a timeout: %+v, %v", r, err)
	}
	// An expired context fails before sending anything.
	expired, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	if err := c.Call(expired, srv.Advertise(), "echo", echoReq{}, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("expired context: %v", err)
	}
}

func TestCancelReachesTheHandler(t *testing.T) {
	srv := newTransport(t, "srv", nil)
	started := make(chan struct{})
	seen := make(chan error, 1)
	serve(t, srv, ServerConfig{}, func(s *Server) {
		Handle(s, "hang", func(ctx context.Context, _ string, _ struct{}) (struct{}, error) {
			close(started)
			<-ctx.Done()
			seen <- ctx.Err()
			return struct{}{}, nil
		})
	})
	c := newClient(t, newTransport(t, "cli", nil), ClientConfig{})
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- c.Call(ctx, srv.Advertise(), "hang", struct{}{}, nil) }()
	<-started
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled call: %v", err)
	}
	if got := <-seen; !errors.Is(got, context.Canceled) {
		t.Fatalf("handler context ended with %v, want canceled by the cancel frame", got)
	}
}

func TestConcurrentCalls(t *testing.T) {
	srv := newTransport(t, "srv", nil)
	serve(t, srv, ServerConfig{MaxInFlight: 8}, func(s *Server) {
		Handle(s, "echo", func(ctx context.Context, peer string, r echoReq) (echoResp, error) {
			if r.N%7 == 0 {
				time.Sleep(time.Millisecond) // replies come back out of order
			}
			return echoHandler(ctx, peer, r)
		})
	})
	c := newClient(t, newTransport(t, "cli", nil), ClientConfig{})
	const workers, calls = 32, 40
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range calls {
				n := w*calls + i
				want := echoResp{Text: strings.Repeat("x", n%50), N: n, Peer: "cli"}
				var got echoResp
				if err := c.Call(ctxT(t), srv.Advertise(), "echo", echoReq{Text: want.Text, N: n}, &got); err != nil {
					errs <- err
					return
				}
				if got != want {
					errs <- fmt.Errorf("call %d got %+v", n, got)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	c.mu.Lock()
	peers := len(c.peers)
	c.mu.Unlock()
	if peers != 1 {
		t.Fatalf("client holds %d peers, want 1 multiplexed connection", peers)
	}
}

func TestFrameLimits(t *testing.T) {
	srv := newTransport(t, "srv", nil)
	_, logs := serve(t, srv, ServerConfig{MaxFrame: 1024}, func(s *Server) {
		Handle(s, "big", func(_ context.Context, _ string, n int) (string, error) { return strings.Repeat("b", n), nil })
	})
	cli := newTransport(t, "cli", nil)
	c := newClient(t, cli, ClientConfig{MaxFrame: 1024})

	t.Run("request above the limit is refused before sending", func(t *testing.T) {
		err := c.Call(ctxT(t), srv.Advertise(), "big", strings.Repeat("a", 2000), nil)
		if !errors.Is(err, ErrFrameTooLarge) || !strings.Contains(err.Error(), "exceeds the 1024-byte limit") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("reply above the server's limit becomes an error", func(t *testing.T) {
		err := c.Call(ctxT(t), srv.Advertise(), "big", 2000, nil)
		if !errors.Is(err, ErrFrameTooLarge) || CodeOf(err) != CodeTooLarge {
			t.Fatalf("err = %v", err)
		}
		var s string
		if err := c.Call(ctxT(t), srv.Advertise(), "big", 10, &s); err != nil || s != "bbbbbbbbbb" {
			t.Fatalf("small reply after: %q, %v", s, err)
		}
	})
	t.Run("huge announced length closes the connection", func(t *testing.T) {
		for _, n := range []uint32{0xFFFFFFFF, 1025, 3} {
			conn, err := cli.Dial(ctxT(t), srv.Advertise(), transport.KindRPC)
			if err != nil {
				t.Fatal(err)
			}
			var hdr [4]byte
			binary.BigEndian.PutUint32(hdr[:], n)
			conn.Write(hdr[:])
			conn.Write([]byte("QQQ"))
			conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			b, err := io.ReadAll(conn)
			var ne net.Error
			if len(b) != 0 || errors.As(err, &ne) && ne.Timeout() {
				t.Fatalf("length %d: read %q, %v; want the server to close (EOF or reset)", n, b, err)
			}
			conn.Close()
		}
		logs.waitLog(t, "rpc: frame too large: 4294967295 bytes announced, the limit is 1024")
		logs.waitLog(t, "rpc: malformed frame: 3-byte payload")
		var s string
		if err := c.Call(ctxT(t), srv.Advertise(), "big", 1, &s); err != nil || s != "b" {
			t.Fatalf("server after bad peers: %q, %v", s, err)
		}
	})
	t.Run("huge reply length fails the client's call", func(t *testing.T) {
		fake := newTransport(t, "fake", nil)
		ln, err := fake.Listen(transport.KindRPC)
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			defer conn.Close()
			var hdr [4]byte
			io.ReadFull(conn, hdr[:])
			io.CopyN(io.Discard, conn, int64(binary.BigEndian.Uint32(hdr[:])))
			binary.BigEndian.PutUint32(hdr[:], 0xFFFFFFF0)
			conn.Write(hdr[:])
			io.Copy(io.Discard, conn)
		}()
		err = c.Call(ctxT(t), fake.Advertise(), "big", 1, nil)
		if !errors.Is(err, ErrFrameTooLarge) || !strings.Contains(err.Error(), "connection lost") {
			t.Fatalf("err = %v", err)
		}
		ln.Close()
		<-done
	})
}

func TestLostConnectionFailsCallsAndRedials(t *testing.T) {
	srv := newTransport(t, "srv", nil)
	started := make(chan struct{}, 1)
	register := func(s *Server) {
		Handle(s, "hang", func(ctx context.Context, _ string, _ struct{}) (struct{}, error) {
			started <- struct{}{}
			<-ctx.Done()
			return struct{}{}, ctx.Err()
		})
		Handle(s, "echo", echoHandler)
	}
	first, _ := serve(t, srv, ServerConfig{}, register)
	c := newClient(t, newTransport(t, "cli", nil), ClientConfig{})
	errc := make(chan error, 1)
	go func() { errc <- c.Call(ctxT(t), srv.Advertise(), "hang", struct{}{}, nil) }()
	<-started
	first.Close()
	err := <-errc
	if err == nil || !(errors.Is(err, ErrUnavailable) || strings.Contains(err.Error(), "connection lost")) {
		t.Fatalf("call when the server closed: %v", err)
	}

	// A new server on the same transport: the client redials.
	serve(t, srv, ServerConfig{}, register)
	var r echoResp
	for i := 0; ; i++ {
		err := c.Call(ctxT(t), srv.Advertise(), "echo", echoReq{N: 5}, &r)
		if err == nil {
			break
		}
		// The first call may still find the dead connection's failure.
		if i > 100 {
			t.Fatalf("no call succeeded after the server came back: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if r.N != 5 {
		t.Fatalf("reply %+v", r)
	}
}

func TestClientClose(t *testing.T) {
	srv := newTransport(t, "srv", nil)
	started := make(chan struct{})
	serve(t, srv, ServerConfig{}, func(s *Server) {
		Handle(s, "hang", func(ctx context.Context, _ string, _ struct{}) (struct{}, error) {
			close(started)
			<-ctx.Done()
			return struct{}{}, nil
		})
	})
	c := newClient(t, newTransport(t, "cli", nil), ClientConfig{})
	errc := make(chan error, 1)
	go func() { errc <- c.Call(ctxT(t), srv.Advertise(), "hang", struct{}{}, nil) }()
	<-started
	c.Close()
	if err := <-errc; !errors.Is(err, ErrClientClosed) {
		t.Fatalf("in-flight call on Close: %v", err)
	}
	if err := c.Call(ctxT(t), srv.Advertise(), "hang", struct{}{}, nil); !errors.Is(err, ErrClientClosed) {
		t.Fatalf("call after Close: %v", err)
	}
}

func TestDialFailures(t *testing.T) {
	cli := newTransport(t, "cli", nil)
	c := newClient(t, cli, ClientConfig{})
	// A transport with another secret.
	other, err := transport.Listen(transport.Config{NodeID: "other", Secret: []byte("a different secret of 32 bytes.."), Bind: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	err = c.Call(ctxT(t), other.Advertise(), "echo", echoReq{}, nil)
	if !errors.Is(err, transport.ErrSecretMismatch) || !strings.Contains(err.Error(), "does not share this cluster's secret") {
		t.Fatalf("call to a foreign node: %v", err)
	}
	// Nothing listening.
	addr := other.Advertise()
	other.Close()
	if err := c.Call(ctxT(t), addr, "echo", echoReq{}, nil); err == nil || !strings.Contains(err.Error(), "connecting") {
		t.Fatalf("call to a closed port: %v", err)
	}
	if err := c.Call(ctxT(t), addr, "", nil, nil); err == nil {
		t.Fatal("empty method accepted")
	}
}

func TestBusyServerStillReadsCancelsAndRefusesOverflow(t *testing.T) {
	srv := newTransport(t, "srv", nil)
	started := make(chan int, 4)
	srvObj, _ := serve(t, srv, ServerConfig{MaxInFlight: 1, MaxQueued: 2}, func(s *Server) {
		Handle(s, "hang", func(ctx context.Context, _ string, n int) (int, error) {
			started <- n
			<-ctx.Done()
			return n, ctx.Err()
		})
	})
	c := newClient(t, newTransport(t, "cli", nil), ClientConfig{})
	call := func(ctx context.Context, n int) chan error {
		errc := make(chan error, 1)
		go func() { errc <- c.Call(ctx, srv.Advertise(), "hang", n, nil) }()
		return errc
	}
	ctx1, cancel1 := context.WithCancel(context.Background())
	defer cancel1()
	first := call(ctx1, 1)
	if n := <-started; n != 1 {
		t.Fatalf("started %d", n)
	}
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	second := call(ctx2, 2) // waits for the only slot

	for i := 0; srvObj.calls() != 2; i++ {
		if i > 1000 {
			t.Fatalf("server holds %d calls, want 2", srvObj.calls())
		}
		time.Sleep(5 * time.Millisecond)
	}
	// With one running and one queued, a third is refused at once.
	err := c.Call(ctxT(t), srv.Advertise(), "hang", 3, nil)
	if CodeOf(err) != CodeUnavailable || !strings.Contains(err.Error(), "2 calls from this node queued already") {
		t.Fatalf("call beyond MaxQueued: %v", err)
	}
	// The read loop is not blocked by the busy slot: a cancel frame for
	// the queued call is read and ends it.
	cancel2()
	if err := <-second; !errors.Is(err, context.Canceled) {
		t.Fatalf("queued call: %v", err)
	}
	cancel1()
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Fatalf("running call: %v", err)
	}
	select {
	case n := <-started:
		t.Fatalf("call %d ran although it was cancelled or refused", n)
	default:
	}
}
