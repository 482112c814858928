package push

import (
	"errors"
	"fmt"
	"math/bits"
	"strconv"
	"strings"
	"time"
)

// Schedule is a parsed five-field cron expression, evaluated as Debian cron
// (and cronsim, which Healthchecks uses) does:
//
//	minute hour day-of-month month day-of-week
//
// Each field is "*" or a comma-separated list of values, ranges "a-b" and
// steps ("*/n", "a-b/n", "a/n" meaning a to the field's maximum); months
// and weekdays also take names (JAN-DEC, SUN-SAT, any case), and weekday 7
// is Sunday like 0. Extensions, as in cronsim: "L" in the day-of-month
// field is the month's last day, "5L" in the day-of-week field the month's
// last Friday, and "MON#2" its second Monday (#1 to #5).
//
// The day fields combine as in Debian cron: if either day-of-month or
// day-of-week starts with "*", a day must match both; otherwise it must
// match either (so "0 0 1 * MON" runs on the 1st and on every Monday).
//
// The zero Schedule never runs.
type Schedule struct {
	expr        string
	minutes     uint64 // bit m: minute m (0-59)
	hours       uint32 // bit h: hour h (0-23)
	days        uint32 // bit d: day of month d (1-31)
	lastDay     bool   // "L": the last day of the month
	months      uint16 // bit m: month m (1-12)
	weekdays    uint8  // bit w: time.Weekday w
	lastWeekday uint8  // bit w: the last weekday w of the month ("wL")
	nthWeekday  [7]uint8
	dayAnd      bool // both day fields must match (one of them starts with "*")
	// wallClock marks a job at fixed times (neither the minute nor the hour
	// field starts with "*"): it runs by the local wall clock, once per wall
	// time, across DST changes. See Next.
	wallClock bool
}

// ParseError says which field of which cron expression is wrong, and why.
type ParseError struct {
	Expr   string // the whole expression
	Field  string // "minute", "hour", "day-of-month", "month", "day-of-week"; "" for the expression as a whole
	Value  string // the offending field text
	Reason string
}

func (e *ParseError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("cron %q: %s", e.Expr, e.Reason)
	}
	return fmt.Sprintf("cron %q: %s field %q: %s", e.Expr, e.Field, e.Value, e.Reason)
}

// maxExprLen bounds the input; real expressions are a few dozen bytes.
const maxExprLen = 1024

type fieldKind int

const (
	fieldMinute fieldKind = iota
	fieldHour
	fieldDay
	fieldMonth
	fieldWeekday
)

var fieldSpecs = [...]struct {
	name     string
	min, max int
	names    []string // names[i] stands for the value min+i
}{
	fieldMinute:  {name: "minute", min: 0, max: 59},
	fieldHour:    {name: "hour", min: 0, max: 23},
	fieldDay:     {name: "day-of-month", min: 1, max: 31},
	fieldMonth:   {name: "month", min: 1, max: 12, names: []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}},
	fieldWeekday: {name: "day-of-week", min: 0, max: 7, names: []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}},
}

// daysInMonthMax is the most days month m can have (February: 29).
var daysInMonthMax = [13]int{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

// parsedField is one field's values plus the day extensions.
type parsedField struct {
	bits        uint64
	lastDay     bool
	lastWeekday uint8
	nthWeekday  [7]uint8
}

// Parse reads a five-field cron expression. Errors are *ParseError values
// naming the field.
func Parse(expr string) (Schedule, error) {
	if len(expr) > maxExprLen {
		return Schedule{}, &ParseError{Expr: expr[:32] + "...", Reason: fmt.Sprintf("longer than %d bytes", maxExprLen)}
	}
	parts := strings.Fields(expr)
	if len(parts) != 5 {
		return Schedule{}, &ParseError{Expr: expr, Reason: fmt.Sprintf("want 5 fields (minute hour day-of-month month day-of-week), got %d", len(parts))}
	}
	var f [5]parsedField
	for k := range f {
		var err error
		if f[k], err = parseField(fieldKind(k), parts[k]); err != nil {
			return Schedule{}, &ParseError{Expr: expr, Field: fieldSpecs[k].name, Value: parts[k], Reason: err.Error()}
		}
	}
	s := Schedule{
		expr:        strings.Join(parts, " "),
		minutes:     f[fieldMinute].bits,
		hours:       uint32(f[fieldHour].bits),
		days:        uint32(f[fieldDay].bits),
		lastDay:     f[fieldDay].lastDay,
		months:      uint16(f[fieldMonth].bits),
		lastWeekday: f[fieldWeekday].lastWeekday,
		nthWeekday:  f[fieldWeekday].nthWeekday,
		dayAnd:      strings.HasPrefix(parts[fieldDay], "*") || strings.HasPrefix(parts[fieldWeekday], "*"),
		wallClock:   !strings.HasPrefix(parts[fieldMinute], "*") && !strings.HasPrefix(parts[fieldHour], "*"),
	}
	// Weekday 7 is Sunday.
	wd := f[fieldWeekday].bits
	s.weekdays = uint8(wd&0x7f) | uint8(wd>>7&1)
	// Like cronsim: a day-of-month that no selected month has is an error,
	// not a schedule that never runs.
	if s.days != 0 && !s.lastDay {
		first := bits.TrailingZeros32(s.days)
		longest := 0
		for m := 1; m <= 12; m++ {
			if s.months&(1<<m) != 0 {
				longest = max(longest, daysInMonthMax[m])
			}
		}
		if first > longest {
			return Schedule{}, &ParseError{Expr: expr, Field: fieldSpecs[fieldDay].name, Value: parts[fieldDay],
				Reason: fmt.Sprintf("day %d never occurs in the selected months", first)}
		}
	}
	return s, nil
}

// MustParse is Parse for expressions known to be valid (tests, constants);
// it panics on error.
func MustParse(expr string) Schedule {
	s, err := Parse(expr)
	if err != nil {
		panic(err)
	}
	return s
}

func parseField(k fieldKind, text string) (parsedField, error) {
	var f parsedField
	list := strings.Contains(text, ",")
	for term := range strings.SplitSeq(text, ",") {
		if err := parseTerm(k, term, &f); err != nil {
			if list && term != "" {
				err = fmt.Errorf("%q: %w", term, err)
			}
			return parsedField{}, err
		}
	}
	return f, nil
}

func parseTerm(k fieldKind, term string, f *parsedField) error {
	spec := fieldSpecs[k]
	switch {
	case term == "":
		return errors.New("empty list element")
	case k == fieldDay && (term == "L" || term == "l"):
		f.lastDay = true
		return nil
	case k == fieldWeekday && (strings.HasSuffix(term, "L") || strings.HasSuffix(term, "l")):
		wd, err := value(k, term[:len(term)-1])
		if err != nil {
			return err
		}
		f.lastWeekday |= 1 << (wd % 7)
		return nil
	case k == fieldWeekday && strings.Contains(term, "#"):
		wdText, nthText, _ := strings.Cut(term, "#")
		wd, err := value(k, wdText)
		if err != nil {
			return err
		}
		nth, err := number(nthText)
		if err != nil || nth < 1 || nth > 5 {
			return errors.New("the week after # must be 1 to 5")
		}
		f.nthWeekday[wd%7] |= 1 << nth
		return nil
	}
	rangeText, stepText, hasStep := strings.Cut(term, "/")
	step := 1
	if hasStep {
		var err error
		if step, err = number(stepText); err != nil || step < 1 {
			return errors.New("step must be a positive number")
		}
	}
	lo, hi := spec.min, spec.max
	switch loText, hiText, isRange := strings.Cut(rangeText, "-"); {
	case rangeText == "*":
	case isRange:
		var err error
		if lo, err = value(k, loText); err != nil {
			return err
		}
		if hi, err = value(k, hiText); err != nil {
			return err
		}
		if hi < lo {
			return fmt.Errorf("range end %d is before its start %d", hi, lo)
		}
	default:
		v, err := value(k, rangeText)
		if err != nil {
			return err
		}
		lo = v
		if !hasStep {
			hi = v
		}
	}
	for v := lo; v <= hi; v += step {
		f.bits |= 1 << v
	}
	return nil
}

// value reads one field value: a number within the field's range or, for
// months and weekdays, a three-letter name.
func value(k fieldKind, s string) (int, error) {
	spec := fieldSpecs[k]
	for i, name := range spec.names {
		if strings.EqualFold(s, name) {
			return spec.min + i, nil
		}
	}
	if k == fieldWeekday && s == "" {
		return 0, errors.New("missing weekday")
	}
	v, err := number(s)
	if err != nil {
		return 0, err
	}
	if v < spec.min || v > spec.max {
		return 0, fmt.Errorf("%d is out of range %d-%d", v, spec.min, spec.max)
	}
	return v, nil
}

// number reads a non-negative decimal of at most 9 digits.
func number(s string) (int, error) {
	if s == "" {
		return 0, errors.New("missing number")
	}
	if len(s) > 9 {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("%q is not a number", s)
		}
	}
	return strconv.Atoi(s)
}

// String returns the expression as parsed (fields separated by one space).
func (s Schedule) String() string { return s.expr }

// IsZero reports whether s is the zero Schedule, which never runs.
func (s Schedule) IsZero() bool { return s.months == 0 }

// MarshalText returns the expression, so a Schedule can travel in JSON.
func (s Schedule) MarshalText() ([]byte, error) { return []byte(s.expr), nil }

// UnmarshalText parses an expression; empty text gives the zero Schedule.
func (s *Schedule) UnmarshalText(text []byte) error {
	if len(text) == 0 {
		*s = Schedule{}
		return nil
	}
	p, err := Parse(string(text))
	if err != nil {
		return err
	}
	*s = p
	return nil
}

// matchDay reports whether the calendar date y-m-d (weekday wd) is a day on
// which the schedule runs.
func (s *Schedule) matchDay(y int, m time.Month, d int, wd time.Weekday) bool {
	last := daysIn(y, m)
	dom := s.days&(1<<d) != 0 || (s.lastDay && d == last)
	dow := s.weekdays&(1<<wd) != 0 ||
		(s.lastWeekday&(1<<wd) != 0 && d+7 > last) ||
		s.nthWeekday[wd]&(1<<((d-1)/7+1)) != 0
	if s.dayAnd {
		return dom && dow
	}
	return dom || dow
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
