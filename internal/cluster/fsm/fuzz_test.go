package fsm

import (
	"testing"
	"time"
)

// FuzzApply feeds arbitrary bytes, framed or not, to the state machine as
// a peer's committed command: it must never panic, and must either apply
// the command or halt with an error, never half-apply it silently.
func FuzzApply(f *testing.F) {
	for _, body := range []struct {
		t    Type
		body any
	}{
		{TypeObserve, Observe{}},
		{TypeTick, Tick{}},
		{TypeAck, Ack{Incident: "k#1", By: "a"}},
		{TypeDelivered, Delivered{Key: "x", By: "n1"}},
		{TypeDeclareConfig, DeclareConfig{Node: "n1", Hash: "h", HashOnly: true}},
	} {
		b, _ := Encode(body.t, 1, body.body)
		Stamp(b, time.Unix(1e9, 0))
		f.Add(b, true)
	}
	f.Add([]byte("garbage"), false)
	f.Add([]byte{}, false)
	f.Fuzz(func(t *testing.T, data []byte, reseal bool) {
		if reseal && len(data) >= headerLen {
			seal(data) // get past the checksum to reach the decoders
		}
		m := New(nil)
		res := m.Apply(1, data)
		if res.Err != nil && m.Err() == nil {
			// A refused command changes nothing but the applied index: the
			// state equals that after a no-op at the same index.
			ref := New(nil)
			noop, _ := Encode(Optional|0x7f, 1, struct{}{})
			ref.Apply(1, noop)
			want, _ := ref.Snapshot()
			got, _ := m.Snapshot()
			if string(want) != string(got) {
				t.Fatalf("a refused command changed the state: %v", res.Err)
			}
		}
		if _, err := m.Snapshot(); err != nil {
			t.Fatalf("snapshot after a fuzzed command: %v", err)
		}
	})
}

// FuzzRestore feeds arbitrary snapshots: refused or restored, never a panic.
func FuzzRestore(f *testing.F) {
	m := New(nil)
	snap, _ := m.Snapshot()
	f.Add(snap)
	f.Add([]byte("custodes-fsm-1\n{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m := New(nil)
		_ = m.Restore(data)
		if _, err := m.Snapshot(); err != nil {
			t.Fatalf("snapshot after restore: %v", err)
		}
	})
}
