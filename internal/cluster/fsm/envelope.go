package fsm

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"time"
)

// Type identifies a command. A type with the Optional bit set may be
// skipped by a node that does not know it (a newer node's optional
// command during a rolling upgrade); an unknown type without it stops the
// state machine, since applying the rest of the log without it would make
// this node's state diverge.
type Type uint8

// Optional marks a command older nodes may skip.
const Optional Type = 0x80

// Commands. Never renumber; add new ones at the end.
const (
	TypeDeclareConfig  Type = 1  // a node's config file: monitors, providers, maintenance
	TypePutMonitor     Type = 2  // API: create or replace a monitor
	TypeDeleteMonitor  Type = 3  // API: delete a monitor
	TypeObserve        Type = 4  // observers' state changes, batched
	TypeTick           Type = 5  // reminders, end of maintenance windows
	TypeAck            Type = 6  // acknowledge an incident
	TypeNodeEvent      Type = 7  // a node failed or came back (gossip)
	TypeDelivered      Type = 8  // an outbox entry was delivered
	TypeAttempted      Type = 9  // a delivery attempt failed
	TypePing           Type = 10 // a push-check ping
	TypePushOverdue    Type = 11 // a push check missed its deadline
	TypeNotifierHealth Type = 12 // a notifier has been failing too long / recovered
	TypeMerge          Type = 13 // deliveries made in fallback mode, merged on heal
)

var typeNames = map[Type]string{
	TypeDeclareConfig: "declare-config", TypePutMonitor: "put-monitor",
	TypeDeleteMonitor: "delete-monitor", TypeObserve: "observe", TypeTick: "tick",
	TypeAck: "ack", TypeNodeEvent: "node-event", TypeDelivered: "delivered",
	TypeAttempted: "attempted", TypePing: "ping", TypePushOverdue: "push-overdue",
	TypeNotifierHealth: "notifier-health", TypeMerge: "merge",
}

func (t Type) String() string {
	if n, ok := typeNames[t&^Optional]; ok {
		return n
	}
	return fmt.Sprintf("type-%d", uint8(t))
}

// Envelope layout:
//
//	[0]     type
//	[1]     version of the body's schema
//	[2:10]  at: the leader's wall clock, unix nanoseconds, big endian
//	[10:14] CRC-32C over [0:10] and the body
//	[14:]   body (JSON)
const headerLen = 14

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrCorrupt is returned for a command whose checksum or framing is wrong.
var ErrCorrupt = errors.New("fsm: corrupt command")

// Encode frames body as a command of type t and schema version v. The time
// is left zero; the leader stamps it (Stamp) just before proposing.
func Encode(t Type, v uint8, body any) ([]byte, error) {
	js, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("fsm: encoding %s: %w", t, err)
	}
	b := make([]byte, headerLen+len(js))
	b[0], b[1] = byte(t), v
	copy(b[headerLen:], js)
	seal(b)
	return b, nil
}

// Stamp sets the command's time (the leader's clock) and re-seals it.
func Stamp(b []byte, at time.Time) error {
	if len(b) < headerLen {
		return ErrCorrupt
	}
	binary.BigEndian.PutUint64(b[2:10], uint64(at.UnixNano()))
	seal(b)
	return nil
}

func seal(b []byte) {
	sum := crc32.Update(crc32.Checksum(b[:10], castagnoli), castagnoli, b[headerLen:])
	binary.BigEndian.PutUint32(b[10:14], sum)
}

// Command is a decoded envelope.
type Command struct {
	Type    Type
	Version uint8
	At      time.Time // leader-stamped, UTC
	Body    []byte
}

// Decode checks the framing and checksum of a command.
func Decode(b []byte) (Command, error) {
	if len(b) < headerLen {
		return Command{}, fmt.Errorf("%w: %d bytes, shorter than the %d-byte header", ErrCorrupt, len(b), headerLen)
	}
	want := binary.BigEndian.Uint32(b[10:14])
	if got := crc32.Update(crc32.Checksum(b[:10], castagnoli), castagnoli, b[headerLen:]); got != want {
		return Command{}, fmt.Errorf("%w: checksum %08x, want %08x", ErrCorrupt, got, want)
	}
	at := int64(binary.BigEndian.Uint64(b[2:10]))
	return Command{
		Type:    Type(b[0]),
		Version: b[1],
		At:      time.Unix(0, at).UTC(),
		Body:    b[headerLen:],
	}, nil
}
