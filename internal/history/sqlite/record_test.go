package sqlite

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/custodes/custodes/internal/monitor"
	"github.com/custodes/custodes/internal/monitor/condition"
)

var recordCases = []struct {
	name string
	rec  record
	size int // encoded bytes
}{
	{"empty", record{}, 1},
	{"typical https", record{status: 200, success: true, connected: true, ip: "192.0.2.10",
		conditions: []condition.Result{{Condition: "[STATUS] == 200", Success: true}},
		certAt:     1717243200, hasCert: true}, 43},
	{"failure", record{status: 503, connected: true,
		errors:     []string{"unexpected status", ""},
		conditions: []condition.Result{{Condition: "[STATUS] (503) == 200", Success: false}}}, 51},
	{"everything", record{status: -1, success: true, connected: true, ip: "::1", dnsRCode: "NXDOMAIN",
		errors: []string{"ünïcødé"}, conditions: []condition.Result{{Condition: "", Success: true}},
		certAt: -5, hasCert: true, domainAt: 0, hasDomain: true, node: "n9"}, 46},
	{"node only", record{node: emptyNode}, 4},
}

func TestRecordRoundTrip(t *testing.T) {
	for _, c := range recordCases {
		t.Run(c.name, func(t *testing.T) {
			b := appendRecord(nil, &c.rec)
			if len(b) != c.size {
				t.Errorf("encoded size %d, want %d", len(b), c.size)
			}
			got, err := decodeRecord(b)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(c.rec, got, cmp.AllowUnexported(record{}), cmpopts.EquateEmpty()); d != "" {
				t.Fatalf("round trip (-want +got):\n%s", d)
			}
			// Canonical: the same fields give the same bytes.
			if again := appendRecord(nil, &got); !bytes.Equal(again, b) {
				t.Fatalf("re-encoding differs: %x vs %x", again, b)
			}
		})
	}
}

func TestDecodeRecordErrors(t *testing.T) {
	cases := []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "corrupt result record: empty"},
		{"version", []byte{2}, "corrupt result record: unknown version 2"},
		{"unknown tag", []byte{1, 99}, "corrupt result record: unknown tag 99 at offset 1"},
		{"out of order", []byte{1, tagSuccess, tagStatus, 2}, "corrupt result record: tag 1 at offset 2 out of order"},
		{"repeated tag", []byte{1, tagSuccess, tagSuccess}, "corrupt result record: tag 2 at offset 2 out of order"},
		{"truncated string", []byte{1, tagIP, 5, 'a'}, "corrupt result record: string of 5 bytes past the end at offset 3"},
		{"truncated varint", []byte{1, tagStatus, 0x80}, "corrupt result record: bad varint at offset 2"},
		{"huge count", []byte{1, tagErrors, 0xff, 0xff, 0x03}, "corrupt result record: count 65535 too large at offset 5"},
		{"bad flag", []byte{1, tagConditions, 1, 7, 0}, "corrupt result record: condition success flag 7 at offset 4"},
		{"status range", []byte{1, tagStatus, 0x80, 0x80, 0x80, 0x80, 0x40}, "corrupt result record: status 8589934592 at offset 1 out of range"},
		{"missing condition", []byte{1, tagConditions, 2, 1, 0}, "corrupt result record: truncated at offset 5"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := decodeRecord(c.in)
			if err == nil || err.Error() != c.want || !errors.Is(err, errRecord) {
				t.Fatalf("decodeRecord(%x) error = %v, want %q", c.in, err, c.want)
			}
		})
	}
}

func FuzzDecodeRecord(f *testing.F) {
	for _, c := range recordCases {
		f.Add(appendRecord(nil, &c.rec))
	}
	f.Add([]byte{1, tagErrors, 3, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		rec, err := decodeRecord(b)
		if err != nil {
			return
		}
		// What decodes re-encodes canonically to something that decodes the
		// same, and applying it to a result never panics.
		again, err := decodeRecord(appendRecord(nil, &rec))
		if err != nil {
			t.Fatalf("re-encoded record does not decode: %v", err)
		}
		if d := cmp.Diff(rec, again, cmp.AllowUnexported(record{}), cmpopts.EquateEmpty()); d != "" {
			t.Fatalf("decode(encode(decode(b))) differs:\n%s", d)
		}
		var r monitor.Result
		rec.apply(&r, 1_700_000_000_000)
	})
}

func TestExpiryInstant(t *testing.T) {
	base := time.Date(2024, 3, 10, 10, 0, 0, 123_000_000, time.UTC)
	cases := []struct {
		d    time.Duration
		want int64
	}{
		{0, base.Unix()}, // .123 rounds down
		{377 * time.Millisecond, base.Unix() + 1}, // .500 rounds up
		{376 * time.Millisecond, base.Unix()},
		{-124 * time.Millisecond, base.Unix()},     // -0.001 s rounds to 0
		{-624 * time.Millisecond, base.Unix() - 1}, // -0.501 s rounds to -1
		{-2 * time.Second, base.Unix() - 2},
	}
	for _, c := range cases {
		if got := expiryInstant(base, c.d); got != c.want {
			t.Errorf("expiryInstant(%v) = %d, want %d", c.d, got, c.want)
		}
	}
}
