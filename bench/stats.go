package main

import (
	"math"
	"slices"
	"time"
)

// median is the middle value of ds (the mean of the two middle values for
// an even count); 0 for none. ds is not modified.
func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return s[m-1] + (s[m]-s[m-1])/2
}

// maxOf is the largest value of ds; 0 for none.
func maxOf(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	return slices.Max(ds)
}

// ratio is a/b, or 0 when b is 0 (a figure that cannot be computed is
// printed as "-", never as a division by zero).
func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// secondsDur converts seconds (as stored in the JSON) back to a Duration.
func secondsDur(s float64) time.Duration {
	return time.Duration(math.Round(s * float64(time.Second)))
}
