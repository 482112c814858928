package gossip

import (
	"net/netip"

	"github.com/hashicorp/serf/serf"
)

// Status is what the gossip layer knows about a member.
//
// There is no "suspect": memberlist keeps suspicion in unexported state
// (the State field of the nodes it returns is never updated), so a suspect
// member reads as alive until it is declared failed or refutes.
type Status uint8

// Member statuses.
const (
	StatusUnknown Status = iota // serf has heard of the node but not from it yet
	StatusAlive
	StatusLeaving // announced a graceful leave that is still spreading
	StatusLeft    // left gracefully; kept for Timing.TombstoneTimeout
	StatusFailed  // stopped answering; retried for Timing.ReconnectTimeout
)

// String returns the lower-case status name.
func (s Status) String() string {
	switch s {
	case StatusAlive:
		return "alive"
	case StatusLeaving:
		return "leaving"
	case StatusLeft:
		return "left"
	case StatusFailed:
		return "failed"
	default:
		return "unknown"
	}
}

func statusFrom(s serf.MemberStatus) Status {
	switch s {
	case serf.StatusAlive:
		return StatusAlive
	case serf.StatusLeaving:
		return StatusLeaving
	case serf.StatusLeft:
		return StatusLeft
	case serf.StatusFailed:
		return StatusFailed
	default:
		return StatusUnknown
	}
}

// Member is one node as seen by this node's gossip layer.
type Member struct {
	ID     string
	Addr   netip.AddrPort // gossip address
	Status Status
	// Tags are the node's published tags, without the reserved identity
	// tags (cluster id and bootstrap-expect are equal to ours on every
	// member, or the member would have been refused).
	Tags map[string]string
}

func memberFrom(m serf.Member) Member {
	ip, _ := netip.AddrFromSlice(m.Addr)
	return Member{
		ID:     m.Name,
		Addr:   netip.AddrPortFrom(ip.Unmap(), m.Port),
		Status: statusFrom(m.Status),
		Tags:   publicTags(m.Tags),
	}
}

// EventKind says what happened to a member.
type EventKind uint8

// Event kinds.
const (
	EventJoin   EventKind = iota + 1 // a node joined, or came back after failing or leaving
	EventUpdate                      // a node changed its tags
	EventFail                        // a node stopped answering
	EventLeave                       // a node left gracefully
	EventReap                        // a failed or left node was forgotten
)

// String returns the lower-case kind name.
func (k EventKind) String() string {
	switch k {
	case EventJoin:
		return "join"
	case EventUpdate:
		return "update"
	case EventFail:
		return "fail"
	case EventLeave:
		return "leave"
	case EventReap:
		return "reap"
	default:
		return "unknown"
	}
}

func eventKindFrom(t serf.EventType) (EventKind, bool) {
	switch t {
	case serf.EventMemberJoin:
		return EventJoin, true
	case serf.EventMemberUpdate:
		return EventUpdate, true
	case serf.EventMemberFailed:
		return EventFail, true
	case serf.EventMemberLeave:
		return EventLeave, true
	case serf.EventMemberReap:
		return EventReap, true
	default:
		return 0, false
	}
}

// Event is a change of one member, with the member as it was right after
// the change.
type Event struct {
	Kind   EventKind
	Member Member
}
