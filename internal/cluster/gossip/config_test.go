package gossip

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestStartRejectsBadConfig(t *testing.T) {
	good := func() Config {
		return Config{NodeID: "n1", Bind: "127.0.0.1:0", Secret: testSecret, ClusterID: "c", BootstrapExpect: 3}
	}
	tests := []struct {
		name   string
		modify func(*Config)
		want   string
	}{
		{"no id", func(c *Config) { c.NodeID = "" }, "gossip: NodeID is empty"},
		{"short secret", func(c *Config) { c.Secret = []byte("short") }, "gossip: Secret must be at least 16 bytes, got 5"},
		{"no secret", func(c *Config) { c.Secret = nil }, "gossip: Secret must be at least 16 bytes, got 0"},
		{"short extra secret", func(c *Config) { c.ExtraSecrets = [][]byte{testSecret, []byte("x")} }, "gossip: ExtraSecrets[1] must be at least 16 bytes, got 1"},
		{"negative expect", func(c *Config) { c.BootstrapExpect = -1 }, "gossip: BootstrapExpect must not be negative, got -1"},
		{"reserved tag", func(c *Config) { c.Tags = map[string]string{"cluster": "x"} }, `gossip: tag "cluster" is reserved (set Config.ClusterID / Config.BootstrapExpect instead)`},
		{"empty tag key", func(c *Config) { c.Tags = map[string]string{"": "x"} }, "gossip: tag with an empty key"},
		{"bind without port", func(c *Config) { c.Bind = "127.0.0.1" }, `gossip: Bind "127.0.0.1": want host:port: address 127.0.0.1: missing port in address`},
		{"bind bad port", func(c *Config) { c.Bind = "127.0.0.1:99999" }, `gossip: Bind "127.0.0.1:99999": invalid port "99999"`},
		{"bind host name", func(c *Config) { c.Bind = "localhost:0" }, `gossip: Bind "localhost:0": host must be an IP address (0.0.0.0 for all interfaces)`},
		{"bind empty host", func(c *Config) { c.Bind = ":7946" }, `gossip: Bind ":7946": host is empty`},
		{"advertise port 0", func(c *Config) { c.Advertise = "10.0.0.1:0" }, `gossip: Advertise "10.0.0.1:0": invalid port "0"`},
		{"negative timing", func(c *Config) { c.Timing.ReapInterval = -time.Second }, "gossip: Timing.ReapInterval must not be negative, got -1s"},
		{"probe timeout too long", func(c *Config) { c.Timing.ProbeTimeout = time.Second }, "gossip: Timing.ProbeTimeout (1s) must be shorter than Timing.ProbeInterval (500ms)"},
		{"tags too large", func(c *Config) { c.Tags = map[string]string{"big": string(make([]byte, 600))} }, `gossip: start node "n1": Encoded length of tags exceeds limit of 512 bytes`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good()
			tt.modify(&cfg)
			g, err := Start(context.Background(), cfg)
			if err == nil {
				_ = g.Close()
				t.Fatalf("Start succeeded, want %q", tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("err = %q\nwant  %q", err, tt.want)
			}
		})
	}
}

func TestStartHonoursCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Start(ctx, Config{NodeID: "n1", Bind: "127.0.0.1:0", Secret: testSecret})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestClosedGossipRefusesCalls(t *testing.T) {
	g, err := Start(context.Background(), Config{NodeID: "n1", Bind: "127.0.0.1:0", Secret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	if err := g.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	ctx := context.Background()
	if _, err := g.Join(ctx, []string{"127.0.0.1:1"}); !errors.Is(err, ErrClosed) {
		t.Errorf("Join after Close: %v, want ErrClosed", err)
	}
	if err := g.SetTags(ctx, nil); !errors.Is(err, ErrClosed) {
		t.Errorf("SetTags after Close: %v, want ErrClosed", err)
	}
	if err := g.Leave(ctx); !errors.Is(err, ErrClosed) {
		t.Errorf("Leave after Close: %v, want ErrClosed", err)
	}
	// Events is closed: draining ends (the own join event may be buffered).
	for range g.Events() {
	}
}

func TestStartWithUnreachableJoinStillRuns(t *testing.T) {
	// A port nobody listens on: the first node of a cluster starts before
	// its peers, so Start succeeds and the caller retries Join.
	g, err := Start(context.Background(), Config{NodeID: "first", Bind: "127.0.0.1:0", Secret: testSecret, Join: []string{"127.0.0.1:1"}})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer func() { _ = g.Close() }()
	if got := len(g.Members()); got != 1 {
		t.Errorf("members = %d, want 1", got)
	}
	_, err = g.Join(context.Background(), nil)
	if err == nil || err.Error() != "gossip: join: no addresses given" {
		t.Errorf("Join(nil) = %v", err)
	}
}

// hkdfSHA256 is RFC 5869 written out with HMAC, as an independent check
// of the standard library's crypto/hkdf use.
func hkdfSHA256(secret, salt, info []byte, n int) []byte {
	if salt == nil {
		salt = make([]byte, sha256.Size)
	}
	ext := hmac.New(sha256.New, salt)
	ext.Write(secret)
	prk := ext.Sum(nil)
	var out, prev []byte
	for i := byte(1); len(out) < n; i++ {
		h := hmac.New(sha256.New, prk)
		h.Write(prev)
		h.Write(info)
		h.Write([]byte{i})
		prev = h.Sum(nil)
		out = append(out, prev...)
	}
	return out[:n]
}

func TestHKDFReferenceMatchesRFC5869(t *testing.T) {
	// RFC 5869 appendix A.1.
	ikm, _ := hex.DecodeString("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b")
	salt, _ := hex.DecodeString("000102030405060708090a0b0c")
	info, _ := hex.DecodeString("f0f1f2f3f4f5f6f7f8f9")
	want := "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
	if got := hex.EncodeToString(hkdfSHA256(ikm, salt, info, 42)); got != want {
		t.Fatalf("reference HKDF = %s, want %s", got, want)
	}
}

func TestGossipKey(t *testing.T) {
	key, err := GossipKey(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	want := hkdfSHA256(testSecret, nil, []byte("custodes gossip v1"), 32)
	if !cmp.Equal(key, want) {
		t.Errorf("GossipKey = %x, want %x", key, want)
	}
	other, _ := GossipKey([]byte("correct horse battery staplf"))
	if cmp.Equal(key, other) {
		t.Error("different secrets gave the same key")
	}
	if _, err := GossipKey([]byte("0123456789abcde")); err == nil || err.Error() != "gossip: Secret must be at least 16 bytes, got 15" {
		t.Errorf("15-byte secret: err = %v", err)
	}
}

func TestTimingDefaults(t *testing.T) {
	got, err := Timing{ProbeInterval: time.Second, SuspicionMult: 5}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultTiming()
	want.ProbeInterval = time.Second
	want.SuspicionMult = 5
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("withDefaults (-want +got):\n%s", diff)
	}
	if _, err := (Timing{SuspicionMaxTimeoutMult: -1}).withDefaults(); err == nil || err.Error() != "gossip: Timing.SuspicionMaxTimeoutMult must not be negative, got -1" {
		t.Errorf("negative multiplier: err = %v", err)
	}
}

func TestNames(t *testing.T) {
	statuses := map[Status]string{StatusUnknown: "unknown", StatusAlive: "alive", StatusLeaving: "leaving", StatusLeft: "left", StatusFailed: "failed", Status(99): "unknown"}
	for s, want := range statuses {
		if got := s.String(); got != want {
			t.Errorf("Status(%d) = %q, want %q", s, got, want)
		}
	}
	kinds := map[EventKind]string{EventJoin: "join", EventUpdate: "update", EventFail: "fail", EventLeave: "leave", EventReap: "reap", EventKind(0): "unknown"}
	for k, want := range kinds {
		if got := k.String(); got != want {
			t.Errorf("EventKind(%d) = %q, want %q", k, got, want)
		}
	}
}
