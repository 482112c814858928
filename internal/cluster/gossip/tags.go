package gossip

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"sync"

	"github.com/hashicorp/serf/serf"
)

// Reserved tags: Start sets them from Config.ClusterID and
// Config.BootstrapExpect, and a node whose values differ is refused.
const (
	TagClusterID       = "cluster"
	TagBootstrapExpect = "expect"
)

// Conventional tags the rest of custodes publishes through Config.Tags.
// Tags travel in every alive message and must fit, encoded, in 512 bytes
// together with the reserved ones, so keys are short.
const (
	TagRPCAddr    = "rpc"     // host:port of the node's Raft/RPC listener
	TagRole       = "role"    // RoleVoter or RoleNonVoter
	TagVersion    = "version" // custodes version
	TagConfigHash = "config"  // hash of the replicated-config inputs
	LabelPrefix   = "l:"      // node labels: "l:region" = "eu"
)

// Values of TagRole.
const (
	RoleVoter    = "voter"
	RoleNonVoter = "nonvoter"
)

// ErrRefused is matched (errors.Is) by the error of a join refused because
// the other side belongs to another cluster; see MismatchError.
var ErrRefused = errors.New("gossip: node of another cluster refused")

// MismatchError says which identity tag differs between this node and a
// node it refused.
type MismatchError struct {
	Node   string         // the refused node's id
	Addr   netip.AddrPort // its gossip address
	Field  string         // "cluster id" or "bootstrap-expect"
	Theirs string         // its value ("" when it has none)
	Ours   string         // our value
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("gossip: refusing node %q at %s: its %s is %q but ours is %q (every node of a cluster needs the same cluster id and bootstrap-expect)",
		e.Node, e.Addr, e.Field, e.Theirs, e.Ours)
}

// Is makes errors.Is(err, ErrRefused) true.
func (e *MismatchError) Is(target error) bool { return target == ErrRefused }

// publicTags returns a copy of tags without the reserved keys.
func publicTags(tags map[string]string) map[string]string {
	out := make(map[string]string, len(tags))
	for k, v := range tags {
		if k != TagClusterID && k != TagBootstrapExpect {
			out[k] = v
		}
	}
	return out
}

// checkTags rejects tags a caller may not set.
func checkTags(tags map[string]string) error {
	for k := range tags {
		switch {
		case k == "":
			return errors.New("gossip: tag with an empty key")
		case k == TagClusterID || k == TagBootstrapExpect:
			return fmt.Errorf("gossip: tag %q is reserved (set Config.ClusterID / Config.BootstrapExpect instead)", k)
		}
	}
	return nil
}

// identity is the part of the tags every member must share.
type identity struct {
	clusterID string
	expect    string
}

func newIdentity(clusterID string, bootstrapExpect int) identity {
	return identity{clusterID: clusterID, expect: strconv.Itoa(bootstrapExpect)}
}

// tags returns user tags plus the reserved identity tags.
func (id identity) tags(user map[string]string) map[string]string {
	out := make(map[string]string, len(user)+2)
	for k, v := range user {
		out[k] = v
	}
	out[TagClusterID] = id.clusterID
	out[TagBootstrapExpect] = id.expect
	return out
}

// check returns a *MismatchError when m does not share our identity.
func (id identity) check(m *serf.Member) error {
	ip, _ := netip.AddrFromSlice(m.Addr)
	mismatch := func(field, theirs, ours string) error {
		return &MismatchError{Node: m.Name, Addr: netip.AddrPortFrom(ip.Unmap(), m.Port), Field: field, Theirs: theirs, Ours: ours}
	}
	if v := m.Tags[TagClusterID]; v != id.clusterID {
		return mismatch("cluster id", v, id.clusterID)
	}
	if v := m.Tags[TagBootstrapExpect]; v != id.expect {
		return mismatch("bootstrap-expect", v, id.expect)
	}
	return nil
}

// admission is serf's merge delegate: it runs on both sides of a join
// (over the whole member list the other side sends) and on every alive
// message, so a node of another cluster never enters either member list.
type admission struct {
	self string
	id   identity

	mu     sync.Mutex
	recent []*MismatchError // last refusals, newest last, so Join can return the typed error
}

const recentRefusals = 8

// NotifyMerge implements serf.MergeDelegate.
func (a *admission) NotifyMerge(members []*serf.Member) error {
	for _, m := range members {
		// Our own entry in a peer's list may predate our restart with new
		// tags, and a node that left is gone; neither decides the merge.
		if m.Name == a.self || m.Status == serf.StatusLeft {
			continue
		}
		if err := a.id.check(m); err != nil {
			a.remember(err.(*MismatchError))
			return err
		}
	}
	return nil
}

func (a *admission) remember(e *MismatchError) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.recent) == recentRefusals {
		a.recent = append(a.recent[:0], a.recent[1:]...)
	}
	a.recent = append(a.recent, e)
}

// refusalIn returns the newest remembered refusal whose text appears in
// msg: memberlist flattens delegate errors into strings, so this recovers
// the typed error for the caller of Join.
func (a *admission) refusalIn(msg string) *MismatchError {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := len(a.recent) - 1; i >= 0; i-- {
		if strings.Contains(msg, a.recent[i].Error()) {
			return a.recent[i]
		}
	}
	return nil
}
