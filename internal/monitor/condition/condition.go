// Package condition is Gatus's condition language: "[STATUS] == 200",
// "len([BODY].data) > 0", "[CERTIFICATE_EXPIRATION] > 48h" and the rest.
//
// The semantics are Gatus's (v5, the language documented in its README:
// placeholders [STATUS] [RESPONSE_TIME] [IP] [BODY] [CONNECTED]
// [CERTIFICATE_EXPIRATION] [DNS_RCODE] [DOMAIN_EXPIRATION], functions len()
// has() pat() any()), including its quirks:
//
//   - The comparator is the first of " == ", " != ", " <= ", " >= ", " > ",
//     " < " found anywhere in the text (spaces required); the text is split
//     on it and only the first two pieces are used.
//   - Placeholder names are case-insensitive; anything not recognised is a
//     literal string (len() of it is "(INVALID)", has() of it is false).
//   - == and != compare as integers (any Go base prefix) when both sides
//     are integers, with pat() and any() on either side, and as strings
//     otherwise. The ordering comparators turn each side into a number:
//     a non-zero Go duration in milliseconds, else an integer, else a float
//     truncated to an integer, else 0.
//   - The display of a failed condition shows resolved values in
//     parentheses, numbers shown as durations where the operand is written
//     as one (Gatus's duration formatting, trailing-zero trimming included).
//
// Where Gatus itself would panic (a negative array index in a JSON path, or
// an indexed key applied to something that is not a JSON object) the path
// is treated as missing instead.
//
// Parse does the work that does not depend on the input (splitting, placeholder
// recognition, JSON path splitting, literal numbers), so Evaluate is cheap;
// EvaluateAll parses a JSON body once for all the conditions of a check.
package condition

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Condition is one parsed condition. It is immutable and safe for concurrent
// use.
type Condition struct {
	text  string
	cmp   comparator
	left  operand
	right operand
	needs Needs
}

// comparator is one of the six comparison operators.
type comparator uint8

const (
	cmpEqual comparator = iota
	cmpNotEqual
	cmpLessOrEqual
	cmpGreaterOrEqual
	cmpGreater
	cmpLess
)

// comparators in the order Gatus looks for them. The order matters: the text
// "a == b < c" compares "a" with "b < c".
var comparators = [...]struct {
	sep    string // what the text is split on
	symbol string // what a resolved display shows
	cmp    comparator
}{
	{" == ", "==", cmpEqual},
	{" != ", "!=", cmpNotEqual},
	{" <= ", "<=", cmpLessOrEqual},
	{" >= ", ">=", cmpGreaterOrEqual},
	{" > ", ">", cmpGreater},
	{" < ", "<", cmpLess},
}

func (c comparator) symbol() string { return comparators[c].symbol }

// ErrInvalid is wrapped by every error Parse returns.
var ErrInvalid = errors.New("invalid condition")

// Parse parses one condition. The error says what is wrong with it. Parse
// accepts exactly the conditions Gatus accepts at load time: any text that
// contains a comparator with a space on each side.
func Parse(s string) (*Condition, error) {
	for _, k := range comparators {
		i := strings.Index(s, k.sep)
		if i < 0 {
			continue
		}
		leftText := s[:i]
		rightText := s[i+len(k.sep):]
		// Only the first two pieces of the split count: "a == b == c"
		// compares "a" with "b".
		if j := strings.Index(rightText, k.sep); j >= 0 {
			rightText = rightText[:j]
		}
		c := &Condition{
			text:  s,
			cmp:   k.cmp,
			left:  parseOperand(leftText),
			right: parseOperand(rightText),
		}
		c.needs = needsOf(s, &c.left, &c.right)
		return c, nil
	}
	return nil, invalidError(s)
}

// invalidError explains why s has no comparator.
func invalidError(s string) error {
	const format = `expected "<value> <comparator> <value>", with comparator ==, !=, <=, >=, > or <`
	if strings.TrimSpace(s) == "" {
		return fmt.Errorf("%w: empty condition: %s", ErrInvalid, format)
	}
	for _, symbol := range []string{"==", "!=", "<=", ">=", ">", "<"} {
		if strings.Contains(s, symbol) {
			return fmt.Errorf("%w %q: comparator %q must have a space on each side, as in \"[STATUS] %s 200\"",
				ErrInvalid, s, symbol, symbol)
		}
	}
	return fmt.Errorf("%w %q: no comparator: %s", ErrInvalid, s, format)
}

// String returns the condition as written.
func (c *Condition) String() string { return c.text }

// Needs says which optional inputs the condition reads.
func (c *Condition) Needs() Needs { return c.needs }

// Needs lists inputs that are expensive to gather, so probes gather them
// only when a condition reads them.
//
// A need is set when an operand resolves from the input (placeholder names
// are case-insensitive) and also wherever Gatus would gather the input: its
// test is the upper-case placeholder appearing anywhere in the text, so
// "[BODY]" inside a pat() argument counts too.
type Needs struct {
	Body             bool // [BODY]
	IP               bool // [IP]
	DomainExpiration bool // [DOMAIN_EXPIRATION]
}

// Union returns the needs of both.
func (n Needs) Union(o Needs) Needs {
	return Needs{Body: n.Body || o.Body, IP: n.IP || o.IP, DomainExpiration: n.DomainExpiration || o.DomainExpiration}
}

func needsOf(text string, operands ...*operand) Needs {
	n := Needs{
		Body:             strings.Contains(text, "[BODY]"),
		IP:               strings.Contains(text, "[IP]"),
		DomainExpiration: strings.Contains(text, "[DOMAIN_EXPIRATION]"),
	}
	for _, o := range operands {
		switch o.source {
		case srcBody, srcBodyPath:
			n.Body = true
		case srcIP:
			n.IP = true
		case srcDomainExpiration:
			n.DomainExpiration = true
		}
	}
	return n
}

// Input is what the placeholders resolve to.
type Input struct {
	Status                int           // [STATUS]
	ResponseTime          time.Duration // [RESPONSE_TIME], compared in milliseconds
	IP                    string        // [IP]
	Body                  []byte        // [BODY]
	Connected             bool          // [CONNECTED]
	CertificateExpiration time.Duration // [CERTIFICATE_EXPIRATION]
	DNSRCode              string        // [DNS_RCODE]
	DomainExpiration      time.Duration // [DOMAIN_EXPIRATION]
}

// Options are the endpoint ui options that change how results display.
type Options struct {
	DontResolveFailed bool // ui.dont-resolve-failed-conditions
	ResolveSuccessful bool // ui.resolve-successful-conditions
}

// Result is one evaluated condition, as Gatus shows it:
// {"condition":"[STATUS] (500) == 200","success":false}.
type Result struct {
	Condition string `json:"condition"`
	Success   bool   `json:"success"`
}

// Evaluate evaluates the condition against in. A nil in evaluates against
// the zero Input. To evaluate several conditions against one input, use
// EvaluateAll, which parses a JSON body only once.
func (c *Condition) Evaluate(in *Input, opts Options) Result {
	st := newState(in)
	return c.evaluate(&st, opts)
}

// EvaluateAll evaluates every condition against in and appends the results,
// in order, to dst. A JSON body is parsed at most once for all of them.
func EvaluateAll(dst []Result, conds []*Condition, in *Input, opts Options) []Result {
	st := newState(in)
	for _, c := range conds {
		dst = append(dst, c.evaluate(&st, opts))
	}
	return dst
}

func (c *Condition) evaluate(st *state, opts Options) Result {
	l := c.left.resolve(st)
	r := c.right.resolve(st)
	var success bool
	var ln, rn int64
	switch c.cmp {
	case cmpEqual:
		success = equal(&c.left, &l, &c.right, &r)
	case cmpNotEqual:
		success = !equal(&c.left, &l, &c.right, &r)
	default:
		ln, rn = l.number(&c.left), r.number(&c.right)
		switch c.cmp {
		case cmpLessOrEqual:
			success = ln <= rn
		case cmpGreaterOrEqual:
			success = ln >= rn
		case cmpGreater:
			success = ln > rn
		case cmpLess:
			success = ln < rn
		}
	}
	show := c.text
	if (success && opts.ResolveSuccessful) || (!success && !opts.DontResolveFailed) {
		if c.cmp == cmpEqual || c.cmp == cmpNotEqual {
			show = display(&c.left, l.String(), &c.right, r.String(), c.cmp.symbol())
		} else {
			show = display(&c.left, c.left.showNumber(ln), &c.right, c.right.showNumber(rn), c.cmp.symbol())
		}
	}
	return Result{Condition: show, Success: success}
}
