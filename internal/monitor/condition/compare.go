package condition

import (
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// equal is == on two resolved operands. The integer shortcuts give the same
// answers as equalText on the texts, without formatting them.
func equal(lo *operand, l *value, ro *operand, r *value) bool {
	switch {
	case l.isInt && r.isInt:
		return l.num == r.num
	case l.isInt:
		if eq, ok := intEqualsText(l.num, ro, r); ok {
			return eq
		}
	case r.isInt:
		if eq, ok := intEqualsText(r.num, lo, l); ok {
			return eq
		}
	}
	return equalText(l.String(), r.String())
}

// intEqualsText compares the decimal integer n with the text of v. ok is
// false when v is a function (ends with ")") and equalText must decide.
func intEqualsText(n int64, o *operand, v *value) (eq, ok bool) {
	if o.source == srcLiteral {
		if strings.HasSuffix(o.literal, ")") {
			return false, false
		}
		return o.literalIsInt && o.literalInt == n, true
	}
	if strings.HasSuffix(v.text, ")") {
		return false, false
	}
	// Both sides are compared as integers when both are; otherwise as
	// strings, and a text equal to n's decimal form would be an integer.
	m, isInt := parseInt(v.text)
	return isInt && m == n, true
}

// equalText is Gatus's equality of two resolved texts: a pat() on one side
// is a glob pattern the other side must match, an any() on one side a
// comma-separated list the other side must be in; otherwise integers
// compare as integers and anything else as strings.
func equalText(a, b string) bool {
	aIsFunction := strings.HasSuffix(a, ")")
	bIsFunction := strings.HasSuffix(b, ")")
	if aIsFunction || bIsFunction {
		aIsPattern := aIsFunction && strings.HasPrefix(a, "pat(")
		bIsPattern := bIsFunction && strings.HasPrefix(b, "pat(")
		if aIsPattern {
			a = unwrap(a, "pat(")
		}
		if bIsPattern {
			b = unwrap(b, "pat(")
		}
		switch {
		case aIsPattern && !bIsPattern:
			return matchPattern(a, b)
		case bIsPattern && !aIsPattern:
			return matchPattern(b, a)
		}
		// Two patterns are unwrapped and compared as below. Whether a side
		// is a function was decided before unwrapping.
		aIsAny := aIsFunction && strings.HasPrefix(a, "any(")
		bIsAny := bIsFunction && strings.HasPrefix(b, "any(")
		if aIsAny {
			a = unwrap(a, "any(")
		}
		if bIsAny {
			b = unwrap(b, "any(")
		}
		switch {
		case aIsAny && !bIsAny:
			return inList(a, b)
		case bIsAny && !aIsAny:
			return inList(b, a)
		}
	}
	if x, ok := parseInt(a); ok {
		if y, ok := parseInt(b); ok {
			return x == y
		}
	}
	return a == b
}

// unwrap removes the function prefix and, if there, the closing ")".
func unwrap(s, prefix string) string {
	return strings.TrimSuffix(strings.TrimPrefix(s, prefix), ")")
}

// inList reports whether s is one of the comma-separated options (each
// trimmed of spaces; s is not).
func inList(options, s string) bool {
	for {
		option, rest, more := strings.Cut(options, ",")
		if strings.TrimSpace(option) == s {
			return true
		}
		if !more {
			return false
		}
		options = rest
	}
}

// matchPattern is Gatus's pat(): "*" matches everything; otherwise path
// separators are removed from both and the rest is a filepath.Match glob
// (a malformed pattern matches nothing).
func matchPattern(pattern, s string) bool {
	if pattern == "*" {
		return true
	}
	sep := string(filepath.Separator)
	matched, _ := filepath.Match(strings.ReplaceAll(pattern, sep, ""), strings.ReplaceAll(s, sep, ""))
	return matched
}

// parseInt is strconv.ParseInt(s, 0, 64) without the cost of an error for
// texts that cannot be integers.
func parseInt(s string) (int64, bool) {
	if !startsLikeNumber(s, false) {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 0, 64)
	return n, err == nil
}

// toNumber is how the ordering comparators read a resolved text: a
// non-zero Go duration in milliseconds, else an integer (any Go base
// prefix), else a float truncated toward zero, else 0.
func toNumber(s string) int64 {
	if mayBeDuration(s) {
		if d, err := time.ParseDuration(s); err == nil && d != 0 {
			return d.Milliseconds()
		}
	}
	if n, ok := parseInt(s); ok {
		return n
	}
	if startsLikeNumber(s, true) {
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			// Out-of-range and NaN conversions behave as in Gatus on the
			// same architecture.
			return int64(f)
		}
	}
	return 0
}

// mayBeDuration is false for texts time.ParseDuration would reject or read
// as zero: every other duration ends with a unit (ns, us, µs, ms, s, m, h).
func mayBeDuration(s string) bool {
	if s == "" {
		return false
	}
	switch s[len(s)-1] {
	case 's', 'm', 'h':
		return true
	}
	return false
}

// startsLikeNumber is false for texts strconv.ParseInt (or, with float,
// strconv.ParseFloat) certainly rejects, judging by their first character
// after an optional sign.
func startsLikeNumber(s string, float bool) bool {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	if s == "" {
		return false
	}
	c := s[0]
	if '0' <= c && c <= '9' {
		return true
	}
	// ".5", "Inf", "infinity", "NaN"
	return float && (c == '.' || c == 'i' || c == 'I' || c == 'n' || c == 'N')
}
