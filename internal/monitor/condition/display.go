package condition

import (
	"strings"
	"time"
)

// patternTruncation is how many characters of a value compared with a
// pat() a display shows. It changes only the display, never the result.
const patternTruncation = 25

// display is a resolved condition as Gatus shows it: each operand whose
// value differs from its text is followed by the value in parentheses
// ("[STATUS] (500) == 200"); an operand that could not be resolved shows as
// "text (INVALID)".
func display(lo *operand, l string, ro *operand, r string, symbol string) string {
	if lo.isPattern && len(r) > patternTruncation {
		r = truncate(r)
	}
	if ro.isPattern && len(l) > patternTruncation {
		l = truncate(l)
	}
	return displayOperand(lo, l) + " " + symbol + " " + displayOperand(ro, r)
}

func displayOperand(o *operand, resolved string) string {
	switch resolved {
	case o.invalid:
		return resolved
	case o.text:
		return o.text
	}
	return o.text + " (" + resolved + ")"
}

// truncate keeps the first patternTruncation characters (runes; each byte of
// invalid UTF-8 counting as one) and says it cut the rest. The length test
// before it counts bytes, as Gatus's does.
func truncate(s string) string {
	n := 0
	for i := range s {
		if n == patternTruncation {
			return s[:i] + "...(truncated)"
		}
		n++
	}
	return s + "...(truncated)"
}

// formatDuration is Gatus's display of a duration: whole seconds, with a
// trailing "0s" and then a trailing "0m" removed. The trimming is textual,
// so 10s shows as "1" and 20m as "2"; that is how Gatus shows them.
func formatDuration(d time.Duration) string {
	s := d.Truncate(time.Second).String()
	if s == "0s" {
		return s
	}
	if strings.HasSuffix(s, "0s") {
		s = strings.TrimSuffix(strings.TrimSuffix(s, "0s"), "0m")
	}
	return s
}
