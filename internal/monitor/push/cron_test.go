package push_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
	_ "time/tzdata" // hermetic zones: the tests do not depend on the host's tz database

	"github.com/custodes/custodes/internal/monitor/push"
)

func mustLoad(tb testing.TB, name string) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		tb.Fatalf("load %s: %v", name, err)
	}
	return loc
}

func mustTime(tb testing.TB, s string) time.Time {
	tb.Helper()
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		tb.Fatalf("parse %s: %v", s, err)
	}
	return t
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		expr, field, want string
	}{
		{"", "", `cron "": want 5 fields (minute hour day-of-month month day-of-week), got 0`},
		{"* * * *", "", `cron "* * * *": want 5 fields (minute hour day-of-month month day-of-week), got 4`},
		{"* * * * * *", "", `cron "* * * * * *": want 5 fields (minute hour day-of-month month day-of-week), got 6`},
		{"@daily", "", `cron "@daily": want 5 fields (minute hour day-of-month month day-of-week), got 1`},
		{"60 * * * *", "minute", `cron "60 * * * *": minute field "60": 60 is out of range 0-59`},
		{"99999 * * * *", "minute", `cron "99999 * * * *": minute field "99999": 99999 is out of range 0-59`},
		{"* 24 * * *", "hour", `cron "* 24 * * *": hour field "24": 24 is out of range 0-23`},
		{"* * 0 * *", "day-of-month", `cron "* * 0 * *": day-of-month field "0": 0 is out of range 1-31`},
		{"* * 32 * *", "day-of-month", `cron "* * 32 * *": day-of-month field "32": 32 is out of range 1-31`},
		{"* * * 13 *", "month", `cron "* * * 13 *": month field "13": 13 is out of range 1-12`},
		{"* * * 0 *", "month", `cron "* * * 0 *": month field "0": 0 is out of range 1-12`},
		{"* * * * 8", "day-of-week", `cron "* * * * 8": day-of-week field "8": 8 is out of range 0-7`},
		{"*/0 * * * *", "minute", `cron "*/0 * * * *": minute field "*/0": step must be a positive number`},
		{"*/x * * * *", "minute", `cron "*/x * * * *": minute field "*/x": step must be a positive number`},
		{"5-1 * * * *", "minute", `cron "5-1 * * * *": minute field "5-1": range end 1 is before its start 5`},
		{"-1 * * * *", "minute", `cron "-1 * * * *": minute field "-1": missing number`},
		{"1-2-3 * * * *", "minute", `cron "1-2-3 * * * *": minute field "1-2-3": "2-3" is not a number`},
		{"1,,2 * * * *", "minute", `cron "1,,2 * * * *": minute field "1,,2": empty list element`},
		{"1,2,70 * * * *", "minute", `cron "1,2,70 * * * *": minute field "1,2,70": "70": 70 is out of range 0-59`},
		{"* * * * MON,FRI#9", "day-of-week", `cron "* * * * MON,FRI#9": day-of-week field "MON,FRI#9": "FRI#9": the week after # must be 1 to 5`},
		{"a * * * *", "minute", `cron "a * * * *": minute field "a": "a" is not a number`},
		{"* * * JAN-FOO *", "month", `cron "* * * JAN-FOO *": month field "JAN-FOO": "FOO" is not a number`},
		{"* * * MON *", "month", `cron "* * * MON *": month field "MON": "MON" is not a number`},
		{"* * * * JAN", "day-of-week", `cron "* * * * JAN": day-of-week field "JAN": "JAN" is not a number`},
		{"* * 30 2 *", "day-of-month", `cron "* * 30 2 *": day-of-month field "30": day 30 never occurs in the selected months`},
		{"* * 31 4,6,9,11 MON", "day-of-month", `cron "* * 31 4,6,9,11 MON": day-of-month field "31": day 31 never occurs in the selected months`},
		{"* * L * L", "day-of-week", `cron "* * L * L": day-of-week field "L": missing weekday`},
		{"* * * * MON#6", "day-of-week", `cron "* * * * MON#6": day-of-week field "MON#6": the week after # must be 1 to 5`},
		{"* * * * MON#0", "day-of-week", `cron "* * * * MON#0": day-of-week field "MON#0": the week after # must be 1 to 5`},
		{"* * * * 8#1", "day-of-week", `cron "* * * * 8#1": day-of-week field "8#1": 8 is out of range 0-7`},
		{"* * * * 9L", "day-of-week", `cron "* * * * 9L": day-of-week field "9L": 9 is out of range 0-7`},
		{"L * * * *", "minute", `cron "L * * * *": minute field "L": "L" is not a number`},
		{"* * L/2 * *", "day-of-month", `cron "* * L/2 * *": day-of-month field "L/2": "L" is not a number`},
		{"* * ? * *", "day-of-month", `cron "* * ? * *": day-of-month field "?": "?" is not a number`},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			_, err := push.Parse(tt.expr)
			if err == nil {
				t.Fatalf("Parse(%q) = nil error, want %q", tt.expr, tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("Parse(%q) error\n got %q\nwant %q", tt.expr, err, tt.want)
			}
			var pe *push.ParseError
			if !errors.As(err, &pe) || pe.Field != tt.field {
				t.Errorf("Parse(%q): error %T with field %q, want *ParseError with field %q", tt.expr, err, fieldOf(pe), tt.field)
			}
		})
	}
}

func fieldOf(pe *push.ParseError) string {
	if pe == nil {
		return "<nil>"
	}
	return pe.Field
}

// TestNextUTC pins runs of many syntaxes. 2024-01-10 is a Wednesday; 2024
// is a leap year.
func TestNextUTC(t *testing.T) {
	tests := []struct {
		expr, after, want string
	}{
		{"* * * * *", "2024-01-10T10:00:30Z", "2024-01-10T10:01:00Z"},
		{"* * * * *", "2024-01-10T10:00:00Z", "2024-01-10T10:01:00Z"},
		{"0 * * * *", "2024-01-10T10:00:00Z", "2024-01-10T11:00:00Z"},
		{"*/15 * * * *", "2024-01-10T10:14:59.999Z", "2024-01-10T10:15:00Z"},
		{"*/15 * * * *", "2024-01-10T10:15:00Z", "2024-01-10T10:30:00Z"},
		{"*/15 * * * *", "2024-01-10T23:50:00Z", "2024-01-11T00:00:00Z"},
		{"5/20 * * * *", "2024-01-10T10:26:00Z", "2024-01-10T10:45:00Z"},
		{"5/20 * * * *", "2024-01-10T10:45:00Z", "2024-01-10T11:05:00Z"},
		{"10-20/5 * * * *", "2024-01-10T10:16:00Z", "2024-01-10T10:20:00Z"},
		{"0 9-17/4 * * *", "2024-01-10T13:00:00Z", "2024-01-10T17:00:00Z"},
		{"0 9-17/4 * * *", "2024-01-10T17:00:00Z", "2024-01-11T09:00:00Z"},
		{"30 2 * * *", "2024-01-10T02:30:00Z", "2024-01-11T02:30:00Z"},
		{"1,2,59 23 * * *", "2024-01-10T23:02:00Z", "2024-01-10T23:59:00Z"},
		{"0 0 1 1 *", "2024-12-31T23:59:59Z", "2025-01-01T00:00:00Z"},
		// Day fields: OR unless one starts with "*".
		{"0 0 1 * MON", "2024-01-10T00:00:00Z", "2024-01-15T00:00:00Z"},
		{"0 0 1 * MON", "2024-01-29T00:00:00Z", "2024-02-01T00:00:00Z"},
		{"0 0 1-7 * MON", "2024-01-10T00:00:00Z", "2024-01-15T00:00:00Z"},
		{"0 0 * * MON", "2024-01-10T00:00:00Z", "2024-01-15T00:00:00Z"},
		{"0 0 */2 * MON", "2024-01-16T00:00:00Z", "2024-01-29T00:00:00Z"},
		// A step led by "*" counts as a star: day-of-month AND day-of-week.
		{"0 0 1 * */7", "2024-01-10T00:00:00Z", "2024-09-01T00:00:00Z"},
		// Weekdays: 0 and 7 are Sunday; names in any case; ranges of names.
		{"0 0 * * 7", "2024-01-10T00:00:00Z", "2024-01-14T00:00:00Z"},
		{"0 0 * * 0", "2024-01-10T00:00:00Z", "2024-01-14T00:00:00Z"},
		{"0 0 * * 5-7", "2024-01-13T00:00:00Z", "2024-01-14T00:00:00Z"},
		{"0 8 * * MON-FRI", "2024-01-12T08:00:00Z", "2024-01-15T08:00:00Z"},
		{"0 8 * * mon-fri", "2024-01-12T07:59:00Z", "2024-01-12T08:00:00Z"},
		{"0 12 * JAN,jul SUN", "2024-01-28T12:00:00Z", "2024-07-07T12:00:00Z"},
		{"0 0 1 JAN-DEC/3 *", "2024-01-01T00:00:00Z", "2024-04-01T00:00:00Z"},
		// Extensions: L, wL, w#n.
		{"0 0 L * *", "2024-01-10T00:00:00Z", "2024-01-31T00:00:00Z"},
		{"0 0 L * *", "2024-01-31T00:00:00Z", "2024-02-29T00:00:00Z"},
		{"0 0 L * *", "2024-02-29T00:00:00Z", "2024-03-31T00:00:00Z"},
		{"0 0 L 2 *", "2024-03-01T00:00:00Z", "2025-02-28T00:00:00Z"},
		{"0 0 15,L * *", "2024-02-15T00:00:00Z", "2024-02-29T00:00:00Z"},
		{"0 0 * * 5L", "2024-01-10T00:00:00Z", "2024-01-26T00:00:00Z"},
		{"0 0 * * FRIL", "2024-01-26T00:00:00Z", "2024-02-23T00:00:00Z"},
		{"0 0 * * 0L", "2024-03-01T00:00:00Z", "2024-03-31T00:00:00Z"},
		{"0 0 * * FRI#2", "2024-01-10T00:00:00Z", "2024-01-12T00:00:00Z"},
		{"0 0 * * FRI#2", "2024-01-12T00:00:00Z", "2024-02-09T00:00:00Z"},
		{"0 0 * * 1#1,5#5", "2024-03-05T00:00:00Z", "2024-03-29T00:00:00Z"},
		// Rare calendars.
		{"0 0 29 2 *", "2024-03-01T00:00:00Z", "2028-02-29T00:00:00Z"},
		{"0 0 * 2 MON#5", "2024-01-01T00:00:00Z", "2044-02-29T00:00:00Z"},
		{"0 0 31 * *", "2024-04-01T00:00:00Z", "2024-05-31T00:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.expr+" after "+tt.after, func(t *testing.T) {
			s, err := push.Parse(tt.expr)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.expr, err)
			}
			got := s.Next(mustTime(t, tt.after))
			if want := mustTime(t, tt.want); !got.Equal(want) {
				t.Errorf("Next(%s) = %s, want %s", tt.after, got.Format(time.RFC3339), tt.want)
			}
		})
	}
}

// TestNextDST pins the documented DST rule. Europe/Amsterdam: 2024-03-31
// 02:00 CET -> 03:00 CEST, 2024-10-27 03:00 CEST -> 02:00 CET.
// America/New_York: 2024-03-10 02:00 -> 03:00, 2024-11-03 02:00 -> 01:00.
// Australia/Lord_Howe (30-minute shifts): 2024-10-06 02:00 -> 02:30,
// 2024-04-07 02:00 -> 01:30.
func TestNextDST(t *testing.T) {
	tests := []struct {
		name, zone, expr, after, want string
	}{
		// Fixed-time jobs follow the wall clock, once per wall time.
		{"ams skipped time runs at the transition", "Europe/Amsterdam", "30 2 * * *", "2024-03-30T12:00:00Z", "2024-03-31T01:00:00Z"},
		{"ams day after spring-forward", "Europe/Amsterdam", "30 2 * * *", "2024-03-31T01:00:00Z", "2024-04-01T00:30:00Z"},
		{"ams skipped times collapse into one run", "Europe/Amsterdam", "0,30 2 * * *", "2024-03-31T00:30:00Z", "2024-03-31T01:00:00Z"},
		{"ams after the collapsed run", "Europe/Amsterdam", "0,30 2 * * *", "2024-03-31T01:00:00Z", "2024-04-01T00:00:00Z"},
		{"ams skipped and later time", "Europe/Amsterdam", "30 2,3 * * *", "2024-03-31T01:00:00Z", "2024-03-31T01:30:00Z"},
		{"ams repeated time runs at first occurrence", "Europe/Amsterdam", "30 2 * * *", "2024-10-26T12:00:00Z", "2024-10-27T00:30:00Z"},
		{"ams repeated time does not run twice", "Europe/Amsterdam", "30 2 * * *", "2024-10-27T00:30:00Z", "2024-10-28T01:30:00Z"},
		{"ams from inside the second pass", "Europe/Amsterdam", "30 2 * * *", "2024-10-27T01:15:00Z", "2024-10-28T01:30:00Z"},
		{"ams midnight job across the change", "Europe/Amsterdam", "0 0 * * *", "2024-03-30T23:30:00Z", "2024-03-31T22:00:00Z"},
		// Other jobs run at every real instant whose wall time matches.
		{"ams hourly skips the missing hour", "Europe/Amsterdam", "0 * * * *", "2024-03-31T00:30:00Z", "2024-03-31T01:00:00Z"},
		{"ams hourly runs twice at the repeated hour", "Europe/Amsterdam", "0 * * * *", "2024-10-27T00:00:00Z", "2024-10-27T01:00:00Z"},
		{"ams half-hourly in the repeated hour", "Europe/Amsterdam", "*/30 2 * * *", "2024-10-27T00:30:00Z", "2024-10-27T01:00:00Z"},
		{"ams half-hourly second pass continues", "Europe/Amsterdam", "*/30 2 * * *", "2024-10-27T01:00:00Z", "2024-10-27T01:30:00Z"},
		{"ams wildcard hour has no 02:xx on the short day", "Europe/Amsterdam", "*/30 2 * * *", "2024-03-30T23:59:00Z", "2024-04-01T00:00:00Z"},
		{"nyc skipped time", "America/New_York", "15 2 * * *", "2024-03-10T05:00:00Z", "2024-03-10T07:00:00Z"},
		{"nyc repeated time first occurrence", "America/New_York", "30 1 * * *", "2024-11-03T05:00:00Z", "2024-11-03T05:30:00Z"},
		{"nyc repeated time once", "America/New_York", "30 1 * * *", "2024-11-03T05:30:00Z", "2024-11-04T06:30:00Z"},
		{"nyc hourly at the repeated hour", "America/New_York", "30 * * * *", "2024-11-03T05:30:00Z", "2024-11-03T06:30:00Z"},
		{"lhi skipped time runs at the transition", "Australia/Lord_Howe", "15 2 * * *", "2024-10-05T12:00:00Z", "2024-10-05T15:30:00Z"},
		{"lhi repeated time first occurrence", "Australia/Lord_Howe", "45 1 * * *", "2024-04-06T12:00:00Z", "2024-04-06T14:45:00Z"},
		{"lhi repeated time once", "Australia/Lord_Howe", "45 1 * * *", "2024-04-06T14:45:00Z", "2024-04-07T15:15:00Z"},
		{"lhi hourly across the 30-minute gap", "Australia/Lord_Howe", "0 * * * *", "2024-10-05T14:30:00Z", "2024-10-05T16:00:00Z"},
		{"lhi hourly across the 30-minute overlap", "Australia/Lord_Howe", "0 * * * *", "2024-04-06T14:00:00Z", "2024-04-06T15:30:00Z"},
		{"lhi half past across the overlap", "Australia/Lord_Howe", "30 * * * *", "2024-04-06T14:30:00Z", "2024-04-06T15:00:00Z"},
		{"kathmandu +05:45", "Asia/Kathmandu", "0 * * * *", "2024-01-10T00:00:00Z", "2024-01-10T00:15:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc := mustLoad(t, tt.zone)
			s := push.MustParse(tt.expr)
			got := s.Next(mustTime(t, tt.after).In(loc))
			if want := mustTime(t, tt.want); !got.Equal(want) {
				t.Errorf("%s: Next(%s) = %s, want %s", tt.expr, mustTime(t, tt.after).In(loc), got.In(loc), want.In(loc))
			}
			if got.Location() != loc {
				t.Errorf("Next returned a time in %s, want %s", got.Location(), loc)
			}
		})
	}
}

func TestScheduleText(t *testing.T) {
	s := push.MustParse("  0  9-17/4\t*  * mon-FRI ")
	if got, want := s.String(), "0 9-17/4 * * mon-FRI"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	b, err := json.Marshal(struct{ S push.Schedule }{s})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"S":"0 9-17/4 * * mon-FRI"}`; got != want {
		t.Errorf("JSON = %s, want %s", got, want)
	}
	var back struct{ S push.Schedule }
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	after := mustTime(t, "2024-01-12T14:00:00Z")
	if got, want := back.S.Next(after), s.Next(after); !got.Equal(want) {
		t.Errorf("round-tripped schedule runs at %s, original at %s", got, want)
	}
	if err := json.Unmarshal([]byte(`{"S":"61 * * * *"}`), &back); err == nil {
		t.Error("unmarshal of an invalid expression succeeded")
	}
	var zero push.Schedule
	if !zero.IsZero() || !zero.Next(after).IsZero() {
		t.Error("zero Schedule: want IsZero and no next run")
	}
	if err := json.Unmarshal([]byte(`{"S":""}`), &back); err != nil || !back.S.IsZero() {
		t.Errorf("empty text: err %v, zero %v; want the zero Schedule", err, back.S.IsZero())
	}
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := push.Parse("*/5 9-17 * JAN-NOV MON-FRI"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNext(b *testing.B) {
	ams := mustLoad(b, "Europe/Amsterdam")
	after := mustTime(b, "2024-10-26T12:00:00Z").In(ams)
	for _, expr := range []string{"*/5 * * * *", "30 2 * * *", "0 0 L * *", "0 9 * * MON#1", "0 0 * 2 MON#5"} {
		s := push.MustParse(expr)
		b.Run(expr, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s.Next(after)
			}
		})
	}
}
