package main

import (
	"testing"
	"time"
)

func TestMedianAndMax(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	tests := []struct {
		in       []time.Duration
		med, max time.Duration
	}{
		{nil, 0, 0},
		{ms(7), 7 * time.Millisecond, 7 * time.Millisecond},
		{ms(5, 1, 3), 3 * time.Millisecond, 5 * time.Millisecond},
		{ms(4, 1, 3, 2), 2500 * time.Microsecond, 4 * time.Millisecond},
		{ms(900, 1200, 600, 1800, 1000), time.Second, 1800 * time.Millisecond},
		{ms(2, 2, 2, 9), 2 * time.Millisecond, 9 * time.Millisecond},
	}
	for _, tt := range tests {
		orig := append([]time.Duration(nil), tt.in...)
		if got := median(tt.in); got != tt.med {
			t.Errorf("median(%v) = %v, want %v", tt.in, got, tt.med)
		}
		if got := maxOf(tt.in); got != tt.max {
			t.Errorf("maxOf(%v) = %v, want %v", tt.in, got, tt.max)
		}
		for i := range orig {
			if orig[i] != tt.in[i] {
				t.Fatalf("median reordered its input: %v", tt.in)
			}
		}
	}
}

func TestRatio(t *testing.T) {
	if got := ratio(3, 0); got != 0 {
		t.Errorf("ratio(3, 0) = %v, want 0", got)
	}
	if got := ratio(3, 4); got != 0.75 {
		t.Errorf("ratio(3, 4) = %v, want 0.75", got)
	}
}
