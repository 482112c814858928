package rpc

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/custodes/custodes/internal/cluster/faultnet"
	"github.com/custodes/custodes/internal/cluster/transport"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var testSecret = []byte("0123456789abcdef0123456789abcdef")

// logSink records log lines.
type logSink struct {
	mu    sync.Mutex
	lines []string
}

func (s *logSink) Enabled(context.Context, slog.Level) bool { return true }
func (s *logSink) WithAttrs([]slog.Attr) slog.Handler       { return s }
func (s *logSink) WithGroup(string) slog.Handler            { return s }
func (s *logSink) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		b.WriteString(" " + a.Key + "=" + a.Value.String())
		return true
	})
	s.mu.Lock()
	s.lines = append(s.lines, b.String())
	s.mu.Unlock()
	return nil
}

func (s *logSink) waitLog(t testing.TB, want string) string {
	t.Helper()
	for range 1000 {
		s.mu.Lock()
		for _, l := range s.lines {
			if strings.Contains(l, want) {
				s.mu.Unlock()
				return l
			}
		}
		s.mu.Unlock()
		time.Sleep(10 * time.Millisecond)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t.Fatalf("no log line contains %q; got %q", want, s.lines)
	return ""
}

// newTransport listens on loopback (through netw when non-nil).
func newTransport(t testing.TB, id string, netw *faultnet.Network) *transport.Transport {
	t.Helper()
	cfg := transport.Config{NodeID: id, Secret: testSecret, Bind: "127.0.0.1:0"}
	if netw != nil {
		ln, err := netw.Listen(id, "tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		cfg.Listener = ln
		cfg.Dial = netw.Dialer(id)
	}
	tr, err := transport.Listen(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr
}

// serve starts a Server on tr's RPC service.
func serve(t testing.TB, tr *transport.Transport, cfg ServerConfig, register func(*Server)) (*Server, *logSink) {
	t.Helper()
	sink := &logSink{}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(sink)
	}
	s := NewServer(cfg)
	register(s)
	ln, err := tr.Listen(transport.KindRPC)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	t.Cleanup(func() {
		s.Close()
		if err := <-done; !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve returned %v, want ErrServerClosed", err)
		}
	})
	return s, sink
}

// newClient returns a client dialing through tr.
func newClient(t testing.TB, tr *transport.Transport, cfg ClientConfig) *Client {
	t.Helper()
	cfg.Dial = tr.Dialer(transport.KindRPC)
	c := NewClient(cfg)
	t.Cleanup(func() { c.Close() })
	return c
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}
