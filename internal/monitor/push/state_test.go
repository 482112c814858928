package push_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/custodes/custodes/internal/monitor"
	"github.com/custodes/custodes/internal/monitor/push"
)

const (
	ridA = "aaaaaaaa-0000-4000-8000-000000000001"
	ridB = "bbbbbbbb-0000-4000-8000-000000000002"
)

// at is 2024-01-10 hh:mm[:ss] UTC.
func at(clock string) time.Time {
	t, err := time.Parse("2006-01-02 15:04:05", "2024-01-10 "+clock)
	if err != nil {
		t, err = time.Parse("2006-01-02 15:04", "2024-01-10 "+clock)
	}
	if err != nil {
		panic(err)
	}
	return t
}

func ping(kind push.Kind, clock string) push.Ping { return push.Ping{Kind: kind, At: at(clock)} }

func withRID(p push.Ping, rid string) push.Ping { p.RID = rid; return p }

func exit(code int, clock string) push.Ping {
	return push.Ping{Kind: push.ExitStatus, ExitCode: code, At: at(clock)}
}

var hourly = push.Config{Period: time.Hour, Grace: 10 * time.Minute}

func TestStateTable(t *testing.T) {
	tests := []struct {
		name     string
		cfg      push.Config
		pings    []push.Ping
		phase    push.Status
		deadline string                 // clock, "" for none
		statuses map[string]push.Status // clock -> status
		duration time.Duration
		openRuns int
	}{
		{name: "new check has no deadline", cfg: hourly,
			phase: "", statuses: map[string]push.Status{"10:00": push.StatusNew, "23:59": push.StatusNew}},
		{name: "success: up, then grace, then down", cfg: hourly,
			pings: []push.Ping{ping(push.Success, "10:00")},
			phase: push.StatusUp, deadline: "11:10",
			statuses: map[string]push.Status{"10:00": push.StatusUp, "10:59:59": push.StatusUp,
				"11:00": push.StatusGrace, "11:09:59": push.StatusGrace, "11:10": push.StatusDown}},
		{name: "fail: down without a deadline", cfg: hourly,
			pings: []push.Ping{ping(push.Success, "09:00"), ping(push.Fail, "10:00")},
			phase: push.StatusDown, statuses: map[string]push.Status{"10:00": push.StatusDown, "23:00": push.StatusDown}},
		{name: "exit status 0 is a success", cfg: hourly,
			pings: []push.Ping{exit(0, "10:00")},
			phase: push.StatusUp, deadline: "11:10", statuses: map[string]push.Status{"10:00": push.StatusUp}},
		{name: "exit status 3 is a failure", cfg: hourly,
			pings: []push.Ping{exit(3, "10:00")},
			phase: push.StatusDown, statuses: map[string]push.Status{"10:00": push.StatusDown}},
		{name: "start on a new check must finish within grace", cfg: hourly,
			pings: []push.Ping{ping(push.Start, "10:00")},
			phase: "", deadline: "10:10", openRuns: 1,
			statuses: map[string]push.Status{"10:05": push.StatusStarted, "10:10": push.StatusDown}},
		{name: "start before the period is due", cfg: hourly,
			pings: []push.Ping{ping(push.Success, "10:00"), ping(push.Start, "10:30")},
			phase: push.StatusUp, deadline: "10:40", openRuns: 1,
			statuses: map[string]push.Status{"10:35": push.StatusStarted, "10:40": push.StatusDown}},
		// Late start, within grace: overdue by the schedule at 11:10 but
		// shown as started until its own grace is over (Healthchecks v1).
		{name: "late start shows started until its grace is over", cfg: hourly,
			pings: []push.Ping{ping(push.Success, "10:00"), ping(push.Start, "11:05")},
			phase: push.StatusUp, deadline: "11:10", openRuns: 1,
			statuses: map[string]push.Status{"11:06": push.StatusStarted, "11:12": push.StatusStarted, "11:15": push.StatusDown}},
		{name: "start on a down check", cfg: hourly,
			pings: []push.Ping{ping(push.Fail, "10:00"), ping(push.Start, "10:30")},
			phase: push.StatusDown, openRuns: 1,
			statuses: map[string]push.Status{"10:31": push.StatusStarted, "10:40": push.StatusDown}},
		{name: "start then success measures the run", cfg: hourly,
			pings: []push.Ping{ping(push.Start, "10:00"), ping(push.Success, "10:07")},
			phase: push.StatusUp, deadline: "11:17", duration: 7 * time.Minute,
			statuses: map[string]push.Status{"10:08": push.StatusUp}},
		{name: "rids pair overlapping runs", cfg: hourly,
			pings: []push.Ping{withRID(ping(push.Start, "10:00"), ridA), withRID(ping(push.Start, "10:05"), ridB),
				withRID(ping(push.Success, "10:20"), ridA)},
			phase: push.StatusUp, deadline: "11:30", duration: 20 * time.Minute, openRuns: 1,
			statuses: map[string]push.Status{"10:21": push.StatusUp}},
		{name: "second overlapping run finishes", cfg: hourly,
			pings: []push.Ping{withRID(ping(push.Start, "10:00"), ridA), withRID(ping(push.Start, "10:05"), ridB),
				withRID(ping(push.Success, "10:20"), ridA), withRID(ping(push.Fail, "10:30"), ridB)},
			phase: push.StatusDown, duration: 25 * time.Minute,
			statuses: map[string]push.Status{"10:31": push.StatusDown}},
		{name: "finish without rid does not pair with a rid start", cfg: hourly,
			pings: []push.Ping{withRID(ping(push.Start, "10:00"), ridA), ping(push.Success, "10:20")},
			phase: push.StatusUp, deadline: "11:30", openRuns: 1,
			statuses: map[string]push.Status{"10:21": push.StatusUp}},
		{name: "log pings change nothing", cfg: hourly,
			pings: []push.Ping{ping(push.Success, "10:00"), ping(push.Log, "10:30"), ping(push.Log, "12:00")},
			phase: push.StatusUp, deadline: "11:10", statuses: map[string]push.Status{"11:10": push.StatusDown}},
		{name: "invalid pings are ignored", cfg: hourly,
			pings: []push.Ping{ping(push.Success, "10:00"), exit(256, "10:30"), {Kind: "pause", At: at("10:40")}},
			phase: push.StatusUp, deadline: "11:10", statuses: map[string]push.Status{"10:45": push.StatusUp}},
		{name: "a ping stamped in the past counts at the last ping", cfg: hourly,
			pings: []push.Ping{ping(push.Success, "10:00"), ping(push.Start, "09:59"), ping(push.Success, "09:58")},
			phase: push.StatusUp, deadline: "11:10", statuses: map[string]push.Status{"10:00": push.StatusUp}},
		{name: "zero grace", cfg: push.Config{Period: time.Hour},
			pings: []push.Ping{ping(push.Success, "10:00")},
			phase: push.StatusUp, deadline: "11:00",
			statuses: map[string]push.Status{"10:59:59": push.StatusUp, "11:00": push.StatusDown}},
		{name: "cron: next run after the success plus grace",
			cfg:   push.Config{Grace: 5 * time.Minute, Cron: ptr(push.MustParse("0 * * * *"))},
			pings: []push.Ping{ping(push.Success, "10:20")},
			phase: push.StatusUp, deadline: "11:05",
			statuses: map[string]push.Status{"10:59": push.StatusUp, "11:00": push.StatusGrace, "11:05": push.StatusDown}},
		{name: "cron: success on the scheduled minute expects the next run",
			cfg:   push.Config{Grace: 5 * time.Minute, Cron: ptr(push.MustParse("0 * * * *"))},
			pings: []push.Ping{ping(push.Success, "11:00:40")},
			phase: push.StatusUp, deadline: "12:05", statuses: map[string]push.Status{"11:01": push.StatusUp}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s push.State
			for _, p := range tt.pings {
				s.Ping(p)
			}
			if s.Phase != tt.phase {
				t.Errorf("Phase = %q, want %q", s.Phase, tt.phase)
			}
			d, ok := s.Deadline(tt.cfg)
			switch {
			case tt.deadline == "" && ok:
				t.Errorf("Deadline = %s, want none", d)
			case tt.deadline != "" && (!ok || !d.Equal(at(tt.deadline))):
				t.Errorf("Deadline = %s, %v; want %s", d, ok, at(tt.deadline))
			}
			for clock, want := range tt.statuses {
				if got := s.Status(tt.cfg, at(clock)); got != want {
					t.Errorf("Status at %s = %q, want %q", clock, got, want)
				}
			}
			if s.LastDuration != tt.duration {
				t.Errorf("LastDuration = %s, want %s", s.LastDuration, tt.duration)
			}
			if len(s.OpenRuns) != tt.openRuns {
				t.Errorf("OpenRuns = %v, want %d", s.OpenRuns, tt.openRuns)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestCronDeadlineAcrossDST(t *testing.T) {
	ams := mustLoad(t, "Europe/Amsterdam")
	cfg := push.Config{Grace: time.Hour, Cron: ptr(push.MustParse("30 2 * * *")), Location: ams}
	var s push.State
	s.Ping(push.Ping{Kind: push.Success, At: mustTime(t, "2024-03-30T01:31:00Z")}) // 02:31 CET
	// 02:30 does not exist on 2024-03-31: the run is due at the 03:00 CEST
	// transition (01:00Z), down an hour later.
	d, ok := s.Deadline(cfg)
	if want := mustTime(t, "2024-03-31T02:00:00Z"); !ok || !d.Equal(want) {
		t.Errorf("Deadline = %s, %v; want %s", d, ok, want)
	}
	if got := s.Status(cfg, mustTime(t, "2024-03-31T01:00:00Z")); got != push.StatusGrace {
		t.Errorf("Status at the transition = %q, want grace", got)
	}
}

func TestExpire(t *testing.T) {
	var s push.State
	if s.Expire(hourly, at("23:00")) {
		t.Error("Expire on a new check reported a change")
	}
	s.Ping(ping(push.Success, "10:00"))
	if s.Expire(hourly, at("11:09:59")) || s.Phase != push.StatusUp {
		t.Fatalf("Expire before the deadline changed the state: %+v", s)
	}
	if !s.Expire(hourly, at("11:10")) || s.Phase != push.StatusDown || !s.DownSince.Equal(at("11:10")) {
		t.Fatalf("Expire at the deadline: %+v, want down since 11:10", s)
	}
	if _, ok := s.Deadline(hourly); ok {
		t.Error("a down check still has a deadline")
	}
	if s.Expire(hourly, at("12:00")) {
		t.Error("second Expire reported a change")
	}
	s.Ping(ping(push.Success, "12:00"))
	if s.Phase != push.StatusUp || !s.DownSince.IsZero() || s.Status(hourly, at("12:00")) != push.StatusUp {
		t.Errorf("success after expiry: %+v, want up", s)
	}
}

func TestOpenRunsAreBounded(t *testing.T) {
	var s push.State
	for i := range push.MaxOpenRuns + 1 {
		s.Ping(push.Ping{Kind: push.Start, RID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), At: at("10:00").Add(time.Duration(i) * time.Minute)})
	}
	if len(s.OpenRuns) != push.MaxOpenRuns {
		t.Fatalf("%d open runs, want %d", len(s.OpenRuns), push.MaxOpenRuns)
	}
	if got := s.OpenRuns[0].RID; got != "00000000-0000-4000-8000-000000000001" {
		t.Errorf("oldest kept run %s, want the second one started", got)
	}
	// The forgotten first run has no duration; the last one has.
	s.Ping(push.Ping{Kind: push.Success, RID: "00000000-0000-4000-8000-000000000000", At: at("11:00")})
	if s.LastDuration != 0 {
		t.Errorf("forgotten run measured %s", s.LastDuration)
	}
	s.Ping(push.Ping{Kind: push.Success, RID: fmt.Sprintf("00000000-0000-4000-8000-%012d", push.MaxOpenRuns), At: at("11:00")})
	if s.LastDuration != 44*time.Minute {
		t.Errorf("LastDuration = %s, want 44m", s.LastDuration)
	}
}

func TestOpenRunsExpireAfterMaxRunDuration(t *testing.T) {
	var s push.State
	s.Ping(withRID(ping(push.Start, "10:00"), ridA))
	s.Ping(push.Ping{Kind: push.Success, RID: ridA, At: at("10:00").Add(push.MaxRunDuration + time.Minute)})
	if s.LastDuration != 0 || len(s.OpenRuns) != 0 {
		t.Errorf("a run finished after %s: duration %s, open %v; want unpaired", push.MaxRunDuration, s.LastDuration, s.OpenRuns)
	}
	s = push.State{}
	s.Ping(withRID(ping(push.Start, "10:00"), ridB))
	s.Ping(push.Ping{Kind: push.Success, RID: ridB, At: at("10:00").Add(push.MaxRunDuration)})
	if s.LastDuration != push.MaxRunDuration {
		t.Errorf("run of exactly %s measured %s", push.MaxRunDuration, s.LastDuration)
	}
}

func TestRestartingARunKeepsOneEntry(t *testing.T) {
	var s push.State
	s.Ping(withRID(ping(push.Start, "10:00"), ridA))
	s.Ping(withRID(ping(push.Start, "10:10"), ridA))
	if len(s.OpenRuns) != 1 || !s.OpenRuns[0].Start.Equal(at("10:10")) {
		t.Fatalf("OpenRuns = %v, want one run started 10:10", s.OpenRuns)
	}
	s.Ping(withRID(ping(push.Success, "10:15"), ridA))
	if s.LastDuration != 5*time.Minute {
		t.Errorf("LastDuration = %s, want 5m", s.LastDuration)
	}
}

func TestBodyExcerpt(t *testing.T) {
	var s push.State
	s.Ping(push.Ping{Kind: push.Fail, At: at("10:00"), Body: strings.Repeat("é", push.MaxBodyExcerpt)}) // 2 bytes each
	if len(s.LastBody) != push.MaxBodyExcerpt || s.LastBody != strings.Repeat("é", push.MaxBodyExcerpt/2) {
		t.Errorf("LastBody has %d bytes, want %d whole runes", len(s.LastBody), push.MaxBodyExcerpt)
	}
	s.Ping(push.Ping{Kind: push.Fail, At: at("10:01"), Body: "x" + strings.Repeat("é", push.MaxBodyExcerpt)})
	if len(s.LastBody) != push.MaxBodyExcerpt-1 || !strings.HasPrefix(s.LastBody, "xé") {
		t.Errorf("LastBody has %d bytes, want %d (cut before a split rune)", len(s.LastBody), push.MaxBodyExcerpt-1)
	}
	s.Ping(push.Ping{Kind: push.Start, At: at("10:02"), Body: "starting"})
	if s.LastBody == "starting" {
		t.Error("a start ping's body replaced the last finish's")
	}
	if s.LastKind != push.Fail || s.Pings != 3 {
		t.Errorf("LastKind %q, Pings %d; want fail, 3", s.LastKind, s.Pings)
	}
}

func TestStateJSON(t *testing.T) {
	var fresh push.State
	if b, err := json.Marshal(fresh); err != nil || string(b) != "{}" {
		t.Errorf("new state JSON = %s, %v; want {}", b, err)
	}
	var s push.State
	s.Ping(withRID(ping(push.Start, "10:00"), ridA))
	s.Ping(withRID(ping(push.Start, "10:01"), ridB))
	s.Ping(push.Ping{Kind: push.ExitStatus, ExitCode: 2, RID: ridA, At: at("10:05"), Body: "boom"})
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"phase":"down","last_ping":"2024-01-10T10:05:00Z","last_kind":"exit-status","last_exit_code":2,` +
		`"last_body":"boom","last_duration":300000000000,"open_runs":[{"rid":"` + ridB + `","start":"2024-01-10T10:01:00Z"}],"pings":3}`
	if string(b) != want {
		t.Errorf("JSON\n got %s\nwant %s", b, want)
	}
	var back push.State
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, s) {
		t.Errorf("round trip\n got %+v\nwant %+v", back, s)
	}
}

func TestNewConfig(t *testing.T) {
	ams := mustLoad(t, "Europe/Amsterdam")
	c, err := push.NewConfig(monitor.PushSchedule{}, nil)
	if err != nil || c.Period != push.DefaultPeriod || c.Grace != push.DefaultGrace || c.Cron != nil {
		t.Errorf("defaults: %+v, %v", c, err)
	}
	c, err = push.NewConfig(monitor.PushSchedule{Cron: "0 3 * * *", Timezone: "Europe/Amsterdam", Grace: time.Minute}, ams)
	if err != nil || c.Cron == nil || c.Cron.String() != "0 3 * * *" || c.Location != ams || c.Grace != time.Minute || c.Period != 0 {
		t.Errorf("cron: %+v, %v", c, err)
	}
	for _, tt := range []struct {
		p    monitor.PushSchedule
		loc  *time.Location
		want string
	}{
		{monitor.PushSchedule{Period: -time.Second}, nil, "push: period -1s: must be positive"},
		{monitor.PushSchedule{Grace: -time.Second}, nil, "push: grace -1s: must not be negative"},
		{monitor.PushSchedule{Cron: "0 3 * * *", Period: time.Hour}, nil, "push: a check has a period or a cron schedule, not both"},
		{monitor.PushSchedule{Cron: "0 3 * *"}, nil, `cron "0 3 * *": want 5 fields (minute hour day-of-month month day-of-week), got 4`},
		{monitor.PushSchedule{Cron: "0 3 * * *", Timezone: "Europe/Amsterdam"}, nil, `push: timezone "Europe/Amsterdam": no location given for it`},
	} {
		if _, err := push.NewConfig(tt.p, tt.loc); err == nil || err.Error() != tt.want {
			t.Errorf("NewConfig(%+v) error = %v, want %q", tt.p, err, tt.want)
		}
	}
	if err := (push.Config{Cron: &push.Schedule{}}).Validate(); err == nil || err.Error() != "push: empty cron schedule" {
		t.Errorf("zero schedule: %v", err)
	}
}

func BenchmarkStatus(b *testing.B) {
	ams := mustLoad(b, "Europe/Amsterdam")
	configs := map[string]push.Config{
		"simple": hourly,
		"cron":   {Grace: time.Hour, Cron: ptr(push.MustParse("30 2 * * *")), Location: ams},
	}
	for name, cfg := range configs {
		var s push.State
		s.Ping(ping(push.Success, "10:00"))
		now := at("10:30")
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s.Status(cfg, now)
			}
		})
	}
}
