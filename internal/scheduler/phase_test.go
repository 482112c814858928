package scheduler

import (
	"fmt"
	"hash/fnv"
	"testing"
	"time"
)

func TestKeyHashIsFNV1aThenMix(t *testing.T) {
	for _, key := range []string{"", "a", "core_api", "_no-group", "ünïcode/key"} {
		h := fnv.New64a()
		h.Write([]byte(key))
		if got, want := keyHash(key), mix64(h.Sum64()); got != want {
			t.Errorf("keyHash(%q) = %#x, want %#x", key, got, want)
		}
	}
}

// The phase of a key must be the same in every process, on every machine
// and in every version of custodes that shares a cluster: nodes of a
// rolling upgrade compute each other's offsets from it. These values are
// pinned; changing them is a compatibility break.
func TestPhaseIsPinned(t *testing.T) {
	tests := []struct {
		key      string
		interval time.Duration
		offset   time.Duration
		want     time.Duration
	}{
		{"core_api", time.Minute, 0, 12684252457},
		{"core_api", time.Minute, 20 * time.Second, 32684252457},
		{"core_api", time.Minute, -40 * time.Second, 32684252457},
		{"core_api", time.Minute, 80 * time.Second, 32684252457},
		{"_homepage", 5 * time.Minute, 0, 113335726547},
		{"", time.Second, 0, 936769448},
	}
	for _, tt := range tests {
		got := time.Duration(phaseOf(keyHash(tt.key), int64(tt.interval), int64(tt.offset)))
		if got != tt.want {
			t.Errorf("phase(%q, %v, offset %v) = %d, want %d", tt.key, tt.interval, tt.offset, got, tt.want)
		}
	}
}

func TestPhaseInRange(t *testing.T) {
	intervals := []time.Duration{1, 7, time.Second, time.Minute, MaxInterval}
	offsets := []time.Duration{0, 1, -1, time.Hour, -time.Hour, MaxInterval, -MaxInterval}
	for i := range 1000 {
		h := keyHash(fmt.Sprint("k", i))
		for _, iv := range intervals {
			for _, off := range offsets {
				p := phaseOf(h, int64(iv), int64(off))
				if p < 0 || p >= int64(iv) {
					t.Fatalf("phaseOf(%#x, %v, %v) = %d, outside [0, interval)", h, iv, off, p)
				}
			}
		}
	}
}

func TestFirstDue(t *testing.T) {
	const iv = int64(60 * time.Second)
	tests := []struct {
		name             string
		now, wall, phase int64
		want             int64
	}{
		{"exactly on phase", 100, 60e9*10 + 5e9, 5e9, 100},
		{"just after phase waits a whole interval", 100, 60e9*10 + 5e9 + 1, 5e9, 100 + iv - 1},
		{"before phase", 100, 60e9 * 10, 5e9, 100 + 5e9},
		{"phase zero", 0, 60e9*10 + 1, 0, iv - 1},
		{"negative wall (before 1970)", 0, -1, 0, 1},
	}
	for _, tt := range tests {
		if got := firstDue(tt.now, tt.wall, iv, tt.phase); got != tt.want {
			t.Errorf("%s: firstDue = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestJitterBound(t *testing.T) {
	tests := []struct {
		opt, interval, want time.Duration
	}{
		{0, time.Minute, 600 * time.Millisecond},
		{0, 10 * time.Minute, time.Second},
		{0, 10 * time.Second, 100 * time.Millisecond},
		{0, 50 * time.Nanosecond, 0},
		{NoJitter, time.Minute, 0},
		{-time.Hour, time.Minute, 0},
		{5 * time.Second, time.Minute, 5 * time.Second},
		{5 * time.Second, 10 * time.Second, 2500 * time.Millisecond},
		{time.Hour, time.Second, 250 * time.Millisecond},
	}
	for _, tt := range tests {
		if got := jitterBound(tt.opt, tt.interval); got != tt.want {
			t.Errorf("jitterBound(%v, %v) = %v, want %v", tt.opt, tt.interval, got, tt.want)
		}
	}
}

func TestJitterOfStaysInBoundAndSpreads(t *testing.T) {
	for _, bound := range []int64{1, 2, 1000, int64(time.Second)} {
		var lo, hi int64
		counts := make(map[int64]int)
		for i := range 20000 {
			h := keyHash(fmt.Sprint("job-", i%50))
			j := jitterOf(h, int64(i)*int64(time.Minute), bound)
			if j < -bound || j > bound {
				t.Fatalf("bound %d: jitter %d out of range", bound, j)
			}
			lo, hi = min(lo, j), max(hi, j)
			if bound <= 2 {
				counts[j]++
			}
		}
		// Over 20000 draws the extremes are approached closely.
		if lo > -bound*9/10 || hi < bound*9/10 {
			t.Errorf("bound %d: jitter only spans [%d, %d]", bound, lo, hi)
		}
		if bound <= 2 && len(counts) != int(2*bound+1) {
			t.Errorf("bound %d: %d distinct values, want %d: %v", bound, len(counts), 2*bound+1, counts)
		}
	}
	if j := jitterOf(keyHash("x"), 12345, 0); j != 0 {
		t.Errorf("bound 0: jitter %d, want 0", j)
	}
}
