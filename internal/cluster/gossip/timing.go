package gossip

import (
	"fmt"
	"time"

	"github.com/hashicorp/memberlist"
	"github.com/hashicorp/serf/serf"
)

// Timing holds the failure-detection and bookkeeping intervals of the
// gossip layer. A zero field takes its value from DefaultTiming.
//
// Failure detection (memberlist's SWIM with Lifeguard) works in rounds:
// every ProbeInterval a node pings one peer (round robin over a shuffled
// list); without an ack within ProbeTimeout it asks other peers to ping it
// (indirect probes) and falls back to TCP, and if nothing answers before the
// round ends the peer becomes suspect. Suspicion lasts between
//
//	min = SuspicionMult × max(1, log10(n)) × ProbeInterval
//	max = SuspicionMaxTimeoutMult × min
//
// starting at max and shrinking towards min as other members independently
// confirm the suspicion (SuspicionMult-2 confirmations are wanted; with
// fewer members than that, min is used at once). A suspect that is alive
// hears the rumour through gossip and refutes it; otherwise it is declared
// failed.
//
// The defaults are tuned for a LAN of 3-10 nodes: minimum suspicion 1.5 s,
// maximum 3 s. On loopback a member that dies is listed as failed by every
// survivor 2.4-3.0 s later (mean 2.5 s with 3 nodes, 2.7 s with 5; see
// BenchmarkFailureDetection). A node cut off alone has nobody to confirm
// its suspicions, so it waits the maximum and sees the others failed after
// about 5 s; after the network heals, members are alive again within about
// 1-1.5 s (ReconnectInterval and gossip to the dead).
//
// The trade-off is false positives: a node that cannot answer or refute
// for about the minimum suspicion time (a long stop-the-world pause, a CPU
// starved VM, heavy packet loss) is declared failed, and comes back alive
// once it answers again. memberlist's LAN defaults (1 s probes, suspicion
// 4-24 s) are far more patient; custodes prefers reassigning monitors
// early, because a brief double check costs little while a gap in checking
// is what users notice. Slower networks should raise ProbeTimeout,
// ProbeInterval or SuspicionMult together. Lifeguard's awareness still
// stretches the probe timeout of a node that notices it is itself slow.
type Timing struct {
	// ProbeInterval is how often each node probes one peer (default 500ms).
	ProbeInterval time.Duration
	// ProbeTimeout is how long to wait for a direct ack before indirect
	// probes (default 200ms); keep it above the network's worst RTT.
	ProbeTimeout time.Duration
	// SuspicionMult scales the minimum suspicion time (default 3).
	SuspicionMult int
	// SuspicionMaxTimeoutMult bounds the unconfirmed suspicion time as a
	// multiple of the minimum (default 2).
	SuspicionMaxTimeoutMult int
	// GossipInterval is how often queued rumours are sent (default 100ms).
	GossipInterval time.Duration
	// PushPullInterval is how often a node exchanges its full state with a
	// random peer: anti-entropy, and what lets a node restarted on a new
	// address replace its old entry (default 2s).
	PushPullInterval time.Duration
	// TCPTimeout bounds joins, push/pull and stream exchanges (default 3s).
	TCPTimeout time.Duration
	// DeadNodeReclaimTime is how long a failed node's name stays bound to
	// its old address; after it, a node restarted with the same id on
	// another address takes the name over (default 1s).
	DeadNodeReclaimTime time.Duration
	// ReconnectInterval is how often failed members are retried; this is
	// what heals a partition (default 2s).
	ReconnectInterval time.Duration
	// ReconnectTimeout is how long a failed member is kept (status failed,
	// shown in cluster status, retried every ReconnectInterval) before it
	// is reaped (default 72h): long enough that a partition or a machine
	// down over a weekend heals without an operator re-joining it. It
	// never delays a restart: a node restarted with the same id refutes
	// its failure at once (same address), or takes its name over after
	// DeadNodeReclaimTime (new address).
	ReconnectTimeout time.Duration
	// TombstoneTimeout is how long a member that left gracefully is kept
	// (status left) before it is reaped (default 1h): enough for the leave
	// to reach every node and show in the cluster status, short because a
	// node that left on purpose needs no reconnection.
	TombstoneTimeout time.Duration
	// ReapInterval is how often failed and left members are checked against
	// the two timeouts above (default 15s).
	ReapInterval time.Duration
	// LeavePropagateDelay is how long Leave keeps answering probes after
	// announcing the leave, so the rumour spreads before the node goes
	// quiet (default 1s).
	LeavePropagateDelay time.Duration
	// BroadcastTimeout bounds the wait for a leave or tag update to be sent
	// (default 5s).
	BroadcastTimeout time.Duration
}

// DefaultTiming returns the LAN defaults described on Timing.
func DefaultTiming() Timing {
	return Timing{
		ProbeInterval:           500 * time.Millisecond,
		ProbeTimeout:            200 * time.Millisecond,
		SuspicionMult:           3,
		SuspicionMaxTimeoutMult: 2,
		GossipInterval:          100 * time.Millisecond,
		PushPullInterval:        2 * time.Second,
		TCPTimeout:              3 * time.Second,
		DeadNodeReclaimTime:     time.Second,
		ReconnectInterval:       2 * time.Second,
		ReconnectTimeout:        72 * time.Hour,
		TombstoneTimeout:        time.Hour,
		ReapInterval:            15 * time.Second,
		LeavePropagateDelay:     time.Second,
		BroadcastTimeout:        5 * time.Second,
	}
}

// withDefaults fills zero fields from DefaultTiming and rejects negative
// ones and a probe timeout that does not fit in the probe interval.
func (t Timing) withDefaults() (Timing, error) {
	d := DefaultTiming()
	durations := []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{
		{"ProbeInterval", &t.ProbeInterval, d.ProbeInterval},
		{"ProbeTimeout", &t.ProbeTimeout, d.ProbeTimeout},
		{"GossipInterval", &t.GossipInterval, d.GossipInterval},
		{"PushPullInterval", &t.PushPullInterval, d.PushPullInterval},
		{"TCPTimeout", &t.TCPTimeout, d.TCPTimeout},
		{"DeadNodeReclaimTime", &t.DeadNodeReclaimTime, d.DeadNodeReclaimTime},
		{"ReconnectInterval", &t.ReconnectInterval, d.ReconnectInterval},
		{"ReconnectTimeout", &t.ReconnectTimeout, d.ReconnectTimeout},
		{"TombstoneTimeout", &t.TombstoneTimeout, d.TombstoneTimeout},
		{"ReapInterval", &t.ReapInterval, d.ReapInterval},
		{"LeavePropagateDelay", &t.LeavePropagateDelay, d.LeavePropagateDelay},
		{"BroadcastTimeout", &t.BroadcastTimeout, d.BroadcastTimeout},
	}
	for _, f := range durations {
		switch {
		case *f.v < 0:
			return t, fmt.Errorf("gossip: Timing.%s must not be negative, got %s", f.name, *f.v)
		case *f.v == 0:
			*f.v = f.def
		}
	}
	ints := []struct {
		name string
		v    *int
		def  int
	}{
		{"SuspicionMult", &t.SuspicionMult, d.SuspicionMult},
		{"SuspicionMaxTimeoutMult", &t.SuspicionMaxTimeoutMult, d.SuspicionMaxTimeoutMult},
	}
	for _, f := range ints {
		switch {
		case *f.v < 0:
			return t, fmt.Errorf("gossip: Timing.%s must not be negative, got %d", f.name, *f.v)
		case *f.v == 0:
			*f.v = f.def
		}
	}
	if t.ProbeTimeout >= t.ProbeInterval {
		return t, fmt.Errorf("gossip: Timing.ProbeTimeout (%s) must be shorter than Timing.ProbeInterval (%s)", t.ProbeTimeout, t.ProbeInterval)
	}
	return t, nil
}

// applyMemberlist sets the memberlist fields that Timing governs.
func (t Timing) applyMemberlist(c *memberlist.Config) {
	c.ProbeInterval = t.ProbeInterval
	c.ProbeTimeout = t.ProbeTimeout
	c.SuspicionMult = t.SuspicionMult
	c.SuspicionMaxTimeoutMult = t.SuspicionMaxTimeoutMult
	c.GossipInterval = t.GossipInterval
	c.PushPullInterval = t.PushPullInterval
	c.TCPTimeout = t.TCPTimeout
	c.DeadNodeReclaimTime = t.DeadNodeReclaimTime
	// Keep gossiping to a node declared dead for a while: if it was only
	// cut off, it hears that and refutes as soon as the network heals.
	c.GossipToTheDeadTime = 30 * time.Second
}

// applySerf sets the serf fields that Timing governs.
func (t Timing) applySerf(c *serf.Config) {
	c.ReconnectInterval = t.ReconnectInterval
	c.ReconnectTimeout = t.ReconnectTimeout
	c.TombstoneTimeout = t.TombstoneTimeout
	c.ReapInterval = t.ReapInterval
	c.LeavePropagateDelay = t.LeavePropagateDelay
	c.BroadcastTimeout = t.BroadcastTimeout
}
