package gossip

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/memberlist"
)

func withLogWindow(d time.Duration) nodeOpt { return func(c *Config) { c.logWindow = d } }

func memberIDs(g *Gossip) []string {
	var out []string
	for _, m := range g.Members() {
		out = append(out, m.ID)
	}
	return out
}

func TestWrongKeyIsDroppedAndLoggedOnce(t *testing.T) {
	c := newTestCluster(t)
	rec := &recordingHandler{}
	c.start("n1", withLogger(slog.New(rec)), withLogWindow(time.Hour))
	c.start("n2")
	c.join("n2", "n1")
	c.waitView(c.ids(), c.allAlive())

	w := c.start("w", withSecret("a different cluster secret"))
	_, err := w.g.Join(context.Background(), []string{c.nodes["n1"].g.Addr().String()})
	if !errors.Is(err, ErrKeyMismatch) {
		t.Fatalf("join with another key: err = %v, want ErrKeyMismatch", err)
	}
	n1 := c.nodes["n1"].g
	waitFor(t, "n1 to count the undecryptable join", func() bool { return n1.Stats().KeyMismatches >= 1 })
	if got := n1.Stats().KeyMismatches; got != 1 {
		t.Fatalf("KeyMismatches after one join attempt = %d, want 1", got)
	}

	// Now a burst of UDP messages encrypted with the other key.
	const burst = 50
	to := &memberlist.Node{Name: "n1", Addr: net.IP(n1.Addr().Addr().AsSlice()), Port: n1.Addr().Port()}
	for i := range burst {
		if err := w.g.serf.Memberlist().SendBestEffort(to, []byte{byte(i)}); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	waitFor(t, "n1 to drop the whole burst", func() bool { return n1.Stats().KeyMismatches == 1+burst })

	if got := rec.count(classMessage[classKeyMismatch]); got != 1 {
		t.Errorf("key-mismatch warnings logged = %d, want 1 (rate-limited)", got)
	}
	if got, want := memberIDs(n1), []string{"n1", "n2"}; !slices.Equal(got, want) {
		t.Errorf("n1 members = %v, want %v", got, want)
	}
	if got, want := memberIDs(w.g), []string{"w"}; !slices.Equal(got, want) {
		t.Errorf("w members = %v, want %v", got, want)
	}
	if got := c.nodes["n2"].status("n1"); got != "alive" {
		t.Errorf("n2 sees n1 %s, want alive", got)
	}
}

func TestExtraSecretsAllowRollingChange(t *testing.T) {
	// Changing cluster.secret from A to B takes three rolling steps; nodes
	// one step apart must understand each other, nodes two apart need not.
	const a, b = "the old cluster secret", "the new cluster secret"
	steps := map[string][]nodeOpt{
		"on A":          {withSecret(a)},
		"on A, takes B": {withSecret(a), withExtra(b)},
		"on B, takes A": {withSecret(b), withExtra(a)},
		"on B":          {withSecret(b)},
	}
	tests := []struct {
		joiner, joined string
		ok             bool
	}{
		{"on A, takes B", "on A", true},
		{"on B, takes A", "on A, takes B", true},
		{"on B", "on B, takes A", true},
		{"on B", "on A", false},
		{"on B, takes A", "on A", false},
	}
	for _, tt := range tests {
		t.Run(tt.joiner+" joins "+tt.joined, func(t *testing.T) {
			c := newTestCluster(t)
			c.start("x", steps[tt.joined]...)
			y := c.start("y", steps[tt.joiner]...)
			_, err := y.g.Join(context.Background(), []string{c.nodes["x"].g.Addr().String()})
			if !tt.ok {
				if !errors.Is(err, ErrKeyMismatch) {
					t.Fatalf("err = %v, want ErrKeyMismatch", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c.waitView(c.ids(), c.allAlive())
		})
	}
}

func withExtra(s string) nodeOpt {
	return func(cfg *Config) { cfg.ExtraSecrets = append(cfg.ExtraSecrets, []byte(s)) }
}

func TestIdentityMismatchRefused(t *testing.T) {
	tests := []struct {
		name   string
		opt    nodeOpt
		field  string
		inside string // the cluster's value
		out    string // the outsider's value
	}{
		{"cluster id", withClusterID("blue"), "cluster id", "test", "blue"},
		{"bootstrap-expect", withExpect(5), "bootstrap-expect", "3", "5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := threeNodes(t)
			out := c.start("x", tt.opt)
			n1 := c.nodes["n1"].g

			// The outsider joins the cluster.
			_, err := out.g.Join(context.Background(), []string{n1.Addr().String()})
			checkRefusal(t, err, tt.field, tt.inside, tt.out, []string{"n1", "n2", "n3"})
			waitFor(t, "n1 to count the refusal", func() bool { return n1.Stats().Refused >= 1 })

			// A cluster member joins the outsider.
			_, err = c.nodes["n2"].g.Join(context.Background(), []string{out.g.Addr().String()})
			checkRefusal(t, err, tt.field, tt.out, tt.inside, []string{"x"})
			waitFor(t, "x to count the refusal", func() bool { return out.g.Stats().Refused >= 1 })

			// Start with Join fails the same way.
			tr, err := newFaultTransport(c.net, "y", 0)
			if err != nil {
				t.Fatal(err)
			}
			cfg := Config{NodeID: "y", Secret: testSecret, ClusterID: "test", BootstrapExpect: 3, Transport: tr, Join: []string{n1.Addr().String()}}
			tt.opt(&cfg)
			if g, err := Start(context.Background(), cfg); !errors.Is(err, ErrRefused) {
				if g != nil {
					_ = g.Close()
				}
				t.Errorf("Start with a mismatched Join: err = %v, want ErrRefused", err)
			}

			for _, id := range []string{"n1", "n2", "n3"} {
				if got, want := memberIDs(c.nodes[id].g), []string{"n1", "n2", "n3"}; !slices.Equal(got, want) {
					t.Errorf("%s members = %v, want %v", id, got, want)
				}
			}
			if got, want := memberIDs(out.g), []string{"x"}; !slices.Equal(got, want) {
				t.Errorf("x members = %v, want %v", got, want)
			}
			// x's join and y's Start, each refused once on n1's side.
			waitFor(t, "n1 to count y's refusal", func() bool { return n1.Stats().Refused >= 2 })
			if got := n1.Stats().Refused; got != 2 {
				t.Errorf("n1 Refused = %d, want 2", got)
			}
		})
	}
}

// checkRefusal checks a join error: ErrRefused, with a MismatchError that
// names the field and both values, about one of the expected nodes.
func checkRefusal(t *testing.T, err error, field, theirs, ours string, nodes []string) {
	t.Helper()
	if !errors.Is(err, ErrRefused) {
		t.Fatalf("err = %v, want ErrRefused", err)
	}
	var me *MismatchError
	if !errors.As(err, &me) {
		t.Fatalf("err = %v, want a *MismatchError", err)
	}
	if me.Field != field || me.Theirs != theirs || me.Ours != ours || !slices.Contains(nodes, me.Node) {
		t.Errorf("mismatch = %+v, want field %q theirs %q ours %q node in %v", *me, field, theirs, ours, nodes)
	}
	for _, v := range []string{`"` + theirs + `"`, `"` + ours + `"`, field} {
		if !strings.Contains(err.Error(), v) {
			t.Errorf("error %q does not name %s", err, v)
		}
	}
}
