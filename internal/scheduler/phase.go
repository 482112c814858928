package scheduler

import (
	"math/bits"
	"time"
)

// keyHash is FNV-1a 64 of key followed by the murmur3 finaliser, so keys
// that differ in one trailing character still land far apart. It is the
// same in every process and on every machine.
func keyHash(key string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(key); i++ {
		h ^= uint64(key[i])
		h *= 1099511628211
	}
	return mix64(h)
}

// mix64 is the murmur3 64-bit finaliser: every input bit affects every
// output bit.
func mix64(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

// scale maps a uniform 64-bit value onto [0, n) without modulo bias worth
// the name (Lemire's multiply-shift).
func scale(x, n uint64) uint64 {
	hi, _ := bits.Mul64(x, n)
	return hi
}

// phaseOf is where, within each interval, a job's runs fall due: a
// nanosecond count in [0, interval) to be matched against Unix time.
func phaseOf(hash uint64, interval, offset int64) int64 {
	n := uint64(interval)
	off := uint64(offset % interval)
	if offset < 0 {
		off = uint64(offset%interval + interval)
	}
	return int64((scale(hash, n) + off) % n)
}

// firstDue is the earliest tick at or after now at which a job with the
// given phase falls due; wall is the Unix time in nanoseconds at tick now.
func firstDue(now, wall, interval, phase int64) int64 {
	r := (wall - phase) % interval
	if r < 0 {
		r += interval
	}
	if r == 0 {
		return now
	}
	return now + interval - r
}

// jitterBound is the per-job bound on |start - due| for Options.Jitter
// opt (see there).
func jitterBound(opt, interval time.Duration) time.Duration {
	switch {
	case opt < 0:
		return 0
	case opt == 0:
		return min(interval/100, time.Second)
	default:
		return min(opt, interval/4)
	}
}

// jitterOf is a pseudo-random offset in [-bound, bound] fixed by the job
// and the due time, so it needs no random state and repeats in tests.
func jitterOf(hash uint64, due, bound int64) int64 {
	if bound <= 0 {
		return 0
	}
	return int64(scale(mix64(hash^uint64(due)), uint64(2*bound+1))) - bound
}
