package transport

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var testSecret = []byte("0123456789abcdef0123456789abcdef")

// logSink records log records' messages and attributes as text lines.
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

func (s *logSink) snapshot() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.lines...)
}

// waitLog polls until a line containing want is logged (bounded).
func (s *logSink) waitLog(t *testing.T, want string) string {
	t.Helper()
	for range 1000 {
		for _, l := range s.snapshot() {
			if strings.Contains(l, want) {
				return l
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no log line contains %q; got %q", want, s.snapshot())
	return ""
}

type testNode struct {
	*Transport
	logs *logSink
}

// listenNode starts a transport on loopback; mod adjusts its config.
func listenNode(t *testing.T, id string, secret []byte, mod func(*Config)) *testNode {
	t.Helper()
	sink := &logSink{}
	cfg := Config{NodeID: id, Secret: secret, Bind: "127.0.0.1:0", Logger: slog.New(sink)}
	if mod != nil {
		mod(&cfg)
	}
	tr, err := Listen(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return &testNode{Transport: tr, logs: sink}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}
