package incident

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/custodes/custodes/internal/monitor"
	"github.com/custodes/custodes/internal/monitor/condition"
)

// sample is one result for observer tables: s/f (success/failure), with an
// optional HTTP status; at is seconds after t0.
type sample struct {
	at      int
	success bool
	status  int
}

// report renders what Record returned: "-" for nothing, else
// "S2" / "F3" (outcome and streak) with "+rate" when the rule holds.
func report(e Observed, ok bool) string {
	if !ok {
		return "-"
	}
	s := fmt.Sprintf("F%d", e.Streak)
	if e.Success {
		s = fmt.Sprintf("S%d", e.Streak)
	}
	if e.RateTripped {
		s += "+rate"
	}
	return s
}

func TestObserverReportsOnlyChanges(t *testing.T) {
	alert := func(f, s int) AlertPolicy {
		return AlertPolicy{Type: "x", Enabled: true, FailureThreshold: f, SuccessThreshold: s}
	}
	tests := []struct {
		name    string
		alerts  []AlertPolicy
		rate    *RateRule
		results string // s: success, f: failure, one per 10 seconds
		want    string // report per result, space-separated
	}{
		{
			name:    "no alerts: defaults 3 and 2",
			results: "sssfffffss",
			want:    "S1 S2 - F1 - F3 - - S1 S2",
		},
		{
			name:    "every threshold of every alert, each once",
			alerts:  []AlertPolicy{alert(3, 2), alert(5, 4), alert(5, 1)},
			results: "ffffffsssss",
			want:    "F1 - F3 - F5 - S1 S2 - S4 -",
		},
		{
			name:    "disabled alerts do not count",
			alerts:  []AlertPolicy{alert(3, 2), {Type: "y", FailureThreshold: 1, SuccessThreshold: 1}},
			results: "fffss",
			want:    "F1 - F3 S1 S2",
		},
		{
			name:    "flapping below the thresholds is silent",
			alerts:  []AlertPolicy{alert(3, 2)},
			results: "ssfsfsfsfsfs",
			want:    "S1 S2 F1 - - - - - - - - -",
		},
		{
			name:    "rate rule: more than 2 failures within 60s",
			alerts:  []AlertPolicy{alert(10, 10)},
			rate:    &RateRule{MaxFailures: 2, Window: time.Minute},
			results: "fsfsfsssss",
			// failures at 0, 20, 40s: the third trips the rule; at 60s the
			// one at 0s is exactly 60s old, outside the window.
			want: "F1 - - - F1+rate - S2 - - -",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := NewObserver(ObserverConfig{Monitor: "web", Node: "n1", Alerts: tt.alerts, Rate: tt.rate})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for i, c := range tt.results {
				r := monitor.Result{Time: t0.Add(time.Duration(i) * 10 * time.Second), Success: c == 's'}
				e, ok := o.Record(&r)
				if ok && (e.Monitor != "web" || e.Node != "n1" || e.Confirm != 0) {
					t.Fatalf("result %d: report %+v, want monitor web, node n1, confirm 0", i, e)
				}
				got = append(got, report(e, ok))
			}
			if g := strings.Join(got, " "); g != tt.want {
				t.Errorf("reports\n got %s\nwant %s", g, tt.want)
			}
		})
	}
}

func TestObserverFailing(t *testing.T) {
	tests := []struct {
		name    string
		alerts  []AlertPolicy
		rate    *RateRule
		results string // s: success, f: failure, one per 10 seconds
		want    string // Failing after each result: x true, . false
	}{
		{"defaults: from the third failure on", nil, nil, "sffffsfff", "...xx...x"},
		{"the lowest threshold of the enabled alerts", []AlertPolicy{
			{Type: "a", Enabled: true, FailureThreshold: 4, SuccessThreshold: 1},
			{Type: "b", Enabled: true, FailureThreshold: 2, SuccessThreshold: 1},
			{Type: "c", FailureThreshold: 1, SuccessThreshold: 1},
		}, nil, "fffs", ".xx."},
		{"a tripped rate rule fails whatever the streak", []AlertPolicy{{Type: "a", Enabled: true, FailureThreshold: 9, SuccessThreshold: 9}},
			&RateRule{MaxFailures: 1, Window: time.Minute}, "fsfsssss", "..xxxx.."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := NewObserver(ObserverConfig{Monitor: "web", Node: "n1", Alerts: tt.alerts, Rate: tt.rate})
			if err != nil {
				t.Fatal(err)
			}
			var got strings.Builder
			for i, c := range tt.results {
				r := monitor.Result{Time: t0.Add(time.Duration(i) * 10 * time.Second), Success: c == 's'}
				o.Record(&r)
				if o.Failing() {
					got.WriteByte('x')
				} else {
					got.WriteByte('.')
				}
			}
			if got.String() != tt.want {
				t.Errorf("Failing after %s: got %s, want %s", tt.results, got.String(), tt.want)
			}
		})
	}
}

func TestObserverRateRule(t *testing.T) {
	tests := []struct {
		name    string
		rule    RateRule
		samples []sample
		want    string
	}{
		{
			name: "max 0: the first counted failure trips it, until it ages out",
			rule: RateRule{MaxFailures: 0, Window: 30 * time.Second},
			samples: []sample{
				{at: 0, success: true}, {at: 10}, {at: 20, success: true}, {at: 39, success: true}, {at: 40, success: true},
			},
			want: "S1 F1+rate - - S3",
		},
		{
			name: "only 5xx: other failures do not count",
			rule: RateRule{MaxFailures: 1, Window: time.Minute, Only5xx: true},
			samples: []sample{
				{at: 0, status: 404}, {at: 1, status: 0}, {at: 2, status: 503}, {at: 3, status: 599}, {at: 4, status: 600},
				{at: 61, success: true, status: 200}, {at: 64, success: true, status: 500},
			},
			want: "F1 - - F4+rate - - S2",
		},
		{
			name: "successes in between do not reset the count",
			rule: RateRule{MaxFailures: 2, Window: time.Minute},
			samples: []sample{
				{at: 0}, {at: 5, success: true}, {at: 10}, {at: 15, success: true}, {at: 20, success: true}, {at: 25},
			},
			want: "F1 - - - S2 F1+rate",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rule := tt.rule
			o, err := NewObserver(ObserverConfig{Monitor: "web", Node: "n1",
				Alerts: []AlertPolicy{{Type: "x", Enabled: true, FailureThreshold: 50, SuccessThreshold: 2}}, Rate: &rule})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range tt.samples {
				r := monitor.Result{Time: t0.Add(time.Duration(s.at) * time.Second), Success: s.success, Status: s.status}
				got = append(got, report(o.Record(&r)))
			}
			if g := strings.Join(got, " "); g != tt.want {
				t.Errorf("reports\n got %s\nwant %s", g, tt.want)
			}
			if len(o.recent) > rule.MaxFailures+1 {
				t.Errorf("kept %d failure times, want at most %d", len(o.recent), rule.MaxFailures+1)
			}
		})
	}
}

func TestObserverReconfigure(t *testing.T) {
	o, err := NewObserver(ObserverConfig{Monitor: "web", Node: "n1", Rate: &RateRule{MaxFailures: 3, Window: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	record := func(success bool) {
		r := monitor.Result{Time: t0, Success: success}
		got = append(got, report(o.Record(&r)))
	}
	for range 4 {
		record(false)
	}
	// New thresholds and a tighter rule: report at once, keep the streak,
	// keep only the failure times the new rule needs.
	if err := o.Reconfigure(ObserverConfig{Monitor: "web", Node: "n1", Rate: &RateRule{MaxFailures: 1, Window: time.Hour},
		Alerts: []AlertPolicy{{Type: "x", Enabled: true, FailureThreshold: 10, SuccessThreshold: 1}}}); err != nil {
		t.Fatal(err)
	}
	if len(o.recent) != 2 {
		t.Errorf("after tightening the rule: %d failure times kept, want 2", len(o.recent))
	}
	record(false)
	record(false)
	if err := o.Reconfigure(ObserverConfig{Monitor: "web", Node: "n1"}); err != nil {
		t.Fatal(err)
	}
	record(false)
	record(true)
	want := []string{"F1", "-", "F3", "F4+rate", "F5+rate", "-", "F7", "S1"}
	if !slices.Equal(got, want) {
		t.Errorf("reports %q, want %q", got, want)
	}
}

func TestObserverConfigErrors(t *testing.T) {
	tests := []struct {
		cfg  ObserverConfig
		want string
	}{
		{ObserverConfig{Node: "n1"}, "observer: monitor and node must not be empty"},
		{ObserverConfig{Monitor: "web"}, "observer: monitor and node must not be empty"},
		{ObserverConfig{Monitor: "web", Node: "n1", Rate: &RateRule{MaxFailures: -1, Window: time.Minute}},
			"observer for web: rate rule: max failures -1: must be between 0 and 10000"},
		{ObserverConfig{Monitor: "web", Node: "n1", Rate: &RateRule{MaxFailures: 10001, Window: time.Minute}},
			"observer for web: rate rule: max failures 10001: must be between 0 and 10000"},
		{ObserverConfig{Monitor: "web", Node: "n1", Rate: &RateRule{MaxFailures: 1}},
			"observer for web: rate rule: window 0s: must be positive"},
	}
	for _, tt := range tests {
		o, err := NewObserver(tt.cfg)
		if err == nil || err.Error() != tt.want {
			t.Errorf("NewObserver(%+v) = %v, %v; want error %q", tt.cfg, o, err, tt.want)
		}
	}
}

func TestObserverErrors(t *testing.T) {
	o, err := NewObserver(ObserverConfig{Monitor: "web", Node: "n1",
		Alerts: []AlertPolicy{{Type: "x", Enabled: true, FailureThreshold: 1, SuccessThreshold: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("é", MaxErrorLen) // 2 bytes each
	r := monitor.Result{Time: t0, Errors: []string{"dial: refused", long, "dial: refused"},
		Conditions: []condition.Result{{Condition: "[STATUS] (503) == 200"}, {Condition: "[CONNECTED] == true", Success: true}}}
	e, ok := o.Record(&r)
	if !ok {
		t.Fatal("no report for the first failure at threshold 1")
	}
	want := []string{"dial: refused", long[:MaxErrorLen], "[STATUS] (503) == 200"}
	if !slices.Equal(e.Errors, want) {
		t.Errorf("errors %q, want %q", e.Errors, want)
	}
	r.Errors = r.Errors[:0]
	for i := range 3 * MaxErrors {
		r.Errors = append(r.Errors, fmt.Sprint("error ", i))
	}
	o2, _ := NewObserver(ObserverConfig{Monitor: "web", Node: "n1"})
	for range 2 {
		o2.Record(&r)
	}
	e, ok = o2.Record(&r)
	if !ok || len(e.Errors) != MaxErrors || e.Errors[MaxErrors-1] != fmt.Sprint("error ", MaxErrors-1) {
		t.Errorf("report %v of a result with %d errors: %q", ok, len(r.Errors), e.Errors)
	}
}

func TestTruncateKeepsRunes(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"abc", 5, "abc"},
		{"abc", 2, "ab"},
		{"aé", 2, "a"},
		{"éé", 3, "é"},
		{"日本", 4, "日"},
		{"", 0, ""},
	}
	for _, tt := range tests {
		if got := truncate(tt.in, tt.n); got != tt.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

func TestAlertPoliciesFrom(t *testing.T) {
	got := AlertPoliciesFrom([]monitor.Alert{{Type: "slack", Enabled: true, FailureThreshold: 4, SuccessThreshold: 3,
		SendOnResolved: true, Description: "d", MinimumReminderInterval: time.Hour, Source: "x.yaml:3"}})
	want := []AlertPolicy{{Type: "slack", Enabled: true, FailureThreshold: 4, SuccessThreshold: 3,
		SendOnResolved: true, Description: "d", MinimumReminderInterval: time.Hour}}
	if !slices.Equal(got, want) {
		t.Errorf("AlertPoliciesFrom = %+v, want %+v", got, want)
	}
	if AlertPoliciesFrom(nil) != nil {
		t.Error("AlertPoliciesFrom(nil) is not nil")
	}
}

// TestNewObserverReplacesStaleView: a node that restarts (or takes a
// monitor back) reports its first result, so the engine drops the view it
// kept from before, even when later results never reach a threshold.
func TestNewObserverReplacesStaleView(t *testing.T) {
	h := newHarness(t, PolicyMap{"web": pagerPolicy})
	h.observe("web", "n2", true, 2, 2)
	if got := statuses(h.observe("web", "n1", false, 3, 2)); !slices.Equal(got, []string{"web:degraded"}) {
		t.Fatalf("stale failing view: %q", got)
	}
	o, err := NewObserver(ObserverConfig{Monitor: "web", Node: "n1", Alerts: pagerPolicy.Alerts})
	if err != nil {
		t.Fatal(err)
	}
	r := monitor.Result{Time: t0, Success: true}
	e, ok := o.Record(&r)
	if !ok {
		t.Fatal("the first result after a restart was not reported")
	}
	e.Confirm = 2
	if got := statuses(h.step(e)); !slices.Equal(got, []string{"web:up"}) {
		t.Errorf("after the restarted observer's first report: %q, want web:up", got)
	}
}
