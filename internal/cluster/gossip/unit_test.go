package gossip

import (
	"errors"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/hashicorp/serf/serf"
)

func TestAdmission(t *testing.T) {
	member := func(name, cluster, expect string, st serf.MemberStatus) *serf.Member {
		tags := map[string]string{TagRole: RoleVoter}
		if cluster != "-" {
			tags[TagClusterID] = cluster
		}
		if expect != "-" {
			tags[TagBootstrapExpect] = expect
		}
		return &serf.Member{Name: name, Addr: net.IPv4(10, 0, 0, 2), Port: 7946, Tags: tags, Status: st}
	}
	tests := []struct {
		name    string
		members []*serf.Member
		want    string // "" for admitted
	}{
		{"same identity", []*serf.Member{member("n2", "red", "3", serf.StatusNone), member("n3", "red", "3", serf.StatusNone)}, ""},
		{"other cluster", []*serf.Member{member("n2", "red", "3", serf.StatusNone), member("n3", "blue", "3", serf.StatusNone)},
			`gossip: refusing node "n3" at 10.0.0.2:7946: its cluster id is "blue" but ours is "red" (every node of a cluster needs the same cluster id and bootstrap-expect)`},
		{"other bootstrap-expect", []*serf.Member{member("n2", "red", "5", serf.StatusNone)},
			`gossip: refusing node "n2" at 10.0.0.2:7946: its bootstrap-expect is "5" but ours is "3" (every node of a cluster needs the same cluster id and bootstrap-expect)`},
		{"no identity tags", []*serf.Member{member("n2", "-", "-", serf.StatusNone)},
			`gossip: refusing node "n2" at 10.0.0.2:7946: its cluster id is "" but ours is "red" (every node of a cluster needs the same cluster id and bootstrap-expect)`},
		{"own stale entry ignored", []*serf.Member{member("n1", "old", "1", serf.StatusNone)}, ""},
		{"left node ignored", []*serf.Member{member("n9", "blue", "1", serf.StatusLeft)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &admission{self: "n1", id: newIdentity("red", 3)}
			err := a.NotifyMerge(tt.members)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || err.Error() != tt.want {
				t.Fatalf("err = %v\nwant  %s", err, tt.want)
			}
			if !errors.Is(err, ErrRefused) {
				t.Error("error does not match ErrRefused")
			}
			if got := a.refusalIn("1 error occurred: failed to join x: " + tt.want); got == nil || got.Error() != tt.want {
				t.Errorf("refusalIn = %v, want the refusal", got)
			}
		})
	}
}

func TestRefusalMemoryIsBounded(t *testing.T) {
	a := &admission{self: "n1", id: newIdentity("red", 3)}
	for i := range 3 * recentRefusals {
		_ = a.NotifyMerge([]*serf.Member{{Name: string(rune('a' + i)), Tags: map[string]string{TagClusterID: "blue"}}})
	}
	if got := len(a.recent); got != recentRefusals {
		t.Errorf("remembered %d refusals, want %d", got, recentRefusals)
	}
	if got := a.refusalIn("unrelated"); got != nil {
		t.Errorf("refusalIn(unrelated) = %v, want nil", got)
	}
}

func TestIdentityTags(t *testing.T) {
	id := newIdentity("red", 3)
	got := id.tags(map[string]string{TagRole: RoleVoter})
	want := map[string]string{TagRole: RoleVoter, TagClusterID: "red", TagBootstrapExpect: "3"}
	if len(got) != len(want) {
		t.Fatalf("tags = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("tags[%q] = %q, want %q", k, got[k], v)
		}
	}
	if pub := publicTags(got); len(pub) != 1 || pub[TagRole] != RoleVoter {
		t.Errorf("publicTags = %v, want only the role", pub)
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		line    string
		level   slog.Level
		class   logClass
		counted bool
	}{
		{"[ERR] memberlist: Decrypt packet failed: no installed keys could decrypt the message from=127.0.0.1:5", slog.LevelError, classKeyMismatch, true},
		{"[ERR] memberlist: failed to receive: no installed keys could decrypt the message from=127.0.0.1:5", slog.LevelError, classKeyMismatch, true},
		{"[ERR] memberlist: failed to receive: encryption is configured but remote state is not encrypted from=x", slog.LevelError, classKeyMismatch, true},
		{"[ERR] memberlist: failed to receive: EOF from=x", slog.LevelError, classPlain, false},
		{"[ERR] memberlist: Failed push/pull merge: gossip: refusing node from=x", slog.LevelError, classRefused, true},
		{"[WARN] memberlist: ignoring alive message for 'x': gossip: refusing", slog.LevelWarn, classRefused, true},
		{"[ERR] memberlist: Conflicting address for n2. Mine: a Theirs: b", slog.LevelError, classNameConflict, true},
		{"[WARN] serf: Name conflict for 'n2' both a and b are claiming", slog.LevelWarn, classNameConflict, false},
		{"[ERR] serf: Node name conflicts with another node at 1.2.3.4:5.", slog.LevelError, classNameConflict, false},
		{"[DEBUG] memberlist: failed to join 127.0.0.1:5: no installed keys could decrypt", slog.LevelDebug, classPlain, false},
		{"[INFO] serf: EventMemberJoin: n2 127.0.0.1", slog.LevelInfo, classPlain, false},
		{"no level at all", slog.LevelInfo, classPlain, false},
	}
	for _, tt := range tests {
		level, msg := splitLevel(tt.line)
		class, counted := classify(msg)
		if level != tt.level || class != tt.class || counted != tt.counted {
			t.Errorf("%q: level %v class %d counted %v, want %v %d %v", tt.line, level, class, counted, tt.level, tt.class, tt.counted)
		}
	}
}

func TestLogBridgeRateLimits(t *testing.T) {
	rec := &recordingHandler{}
	b := newLogBridge(slog.New(rec), time.Minute)
	clock := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	b.now = func() time.Time { return clock }
	line := []byte("[ERR] memberlist: Decrypt packet failed: no installed keys could decrypt the message from=127.0.0.1:5\n")
	for range 4 {
		if n, err := b.Write(line); n != len(line) || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	clock = clock.Add(time.Minute)
	_, _ = b.Write(line)
	_, _ = b.Write([]byte("[INFO] serf: EventMemberJoin: n2 127.0.0.1\n"))

	if got := b.stats().KeyMismatches; got != 5 {
		t.Errorf("KeyMismatches = %d, want 5", got)
	}
	type rec2 struct {
		level      slog.Level
		msg        string
		suppressed int64
	}
	var got []rec2
	for _, r := range rec.records {
		g := rec2{level: r.Level, msg: r.Message, suppressed: -1}
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "suppressed" {
				g.suppressed = int64(a.Value.Uint64())
			}
			return true
		})
		got = append(got, g)
	}
	want := []rec2{
		{slog.LevelWarn, classMessage[classKeyMismatch], 0},
		{slog.LevelWarn, classMessage[classKeyMismatch], 3},
		{slog.LevelInfo, "serf: EventMemberJoin: n2 127.0.0.1", -1},
	}
	if len(got) != len(want) {
		t.Fatalf("records = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("record %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func FuzzLogBridge(f *testing.F) {
	f.Add([]byte("[ERR] memberlist: Decrypt packet failed: x\n"))
	f.Add([]byte("[WARN] memberlist: ignoring alive message for 'x'"))
	f.Add([]byte("[\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, line []byte) {
		b := newLogBridge(slog.New(slog.DiscardHandler), time.Minute)
		if n, err := b.Write(line); n != len(line) || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	})
}
