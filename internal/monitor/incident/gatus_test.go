package incident

import (
	"fmt"
	"testing"
	"time"
)

// TestSingleObserverMirrorsGatus replays the scenarios of Gatus's
// watchdog/alerting_test.go (plus a few more) with one observer and confirm
// 1, results one minute apart: the notifications must be Gatus's.
func TestSingleObserverMirrorsGatus(t *testing.T) {
	custom := func(f, s int, onResolved bool) AlertPolicy {
		return AlertPolicy{Type: "custom", Enabled: true, FailureThreshold: f, SuccessThreshold: s, SendOnResolved: onResolved}
	}
	const (
		trig = "core_api#1/triggered/custom"
		res  = "core_api#1/resolved/custom"
	)
	tests := []struct {
		name    string
		alerts  []AlertPolicy
		results string   // F: failure, S: success, one per minute
		want    []string // the Notify keys after each result, comma-joined
	}{
		{
			name:    "HandleAlerting: failure-threshold 2, success-threshold 3",
			alerts:  []AlertPolicy{custom(2, 3, true)},
			results: "FFFFSSSS",
			want:    []string{"", trig, "", "", "", "", res, ""},
		},
		{
			name:    "almost resolved, then failing again: stays triggered, one incident",
			alerts:  []AlertPolicy{custom(2, 3, true)},
			results: "FFSSFFSSS",
			want:    []string{"", trig, "", "", "", "", "", "", res},
		},
		{
			name:    "send-on-resolved false: resolves silently, next outage is a new incident",
			alerts:  []AlertPolicy{custom(1, 1, false)},
			results: "FSF",
			want:    []string{trig, "", "core_api#2/triggered/custom"},
		},
		{
			name:    "thresholds 1/1 (PagerDuty, Pushover scenarios)",
			alerts:  []AlertPolicy{custom(1, 1, true)},
			results: "FS",
			want:    []string{trig, res},
		},
		{
			name:    "rough patch then normal operation",
			alerts:  []AlertPolicy{custom(2, 2, true)},
			results: "FFFFFSSFFSS",
			want:    []string{"", trig, "", "", "", "", res, "", "core_api#2/triggered/custom", "", "core_api#2/resolved/custom"},
		},
		{
			name:    "disabled alert never notifies",
			alerts:  []AlertPolicy{{Type: "custom", Enabled: false, FailureThreshold: 1, SuccessThreshold: 1, SendOnResolved: true}},
			results: "FFFFSS",
			want:    []string{"", "", "", "", "", ""},
		},
		{
			name:    "thresholds not set use Gatus defaults 3 and 2",
			alerts:  []AlertPolicy{custom(0, 0, true)},
			results: "FFFSS",
			want:    []string{"", "", trig, "", res},
		},
		{
			name:    "failures below the threshold never notify, however many",
			alerts:  []AlertPolicy{custom(3, 2, true)},
			results: "FFSFFSFFSFF",
			want:    []string{"", "", "", "", "", "", "", "", "", "", ""},
		},
		{
			name: "minimum-reminder-interval 5m while failing, none after resolving",
			alerts: []AlertPolicy{{Type: "custom", Enabled: true, FailureThreshold: 2, SuccessThreshold: 3,
				SendOnResolved: true, MinimumReminderInterval: 5 * time.Minute}},
			results: "FFFFFFFFFFFFSSS",
			want: []string{"", trig, "", "", "", "", "core_api#1/reminder-1/custom", "", "", "", "",
				"core_api#1/reminder-2/custom", "", "", res},
		},
		{
			name: "two alerts of one type get distinct keys",
			alerts: []AlertPolicy{
				{Type: "slack", Enabled: true, FailureThreshold: 1, SuccessThreshold: 1, SendOnResolved: true},
				{Type: "slack", Enabled: true, FailureThreshold: 2, SuccessThreshold: 1, SendOnResolved: true},
			},
			results: "FFS",
			want: []string{"core_api#1/triggered/slack-0", "core_api#1/triggered/slack-1",
				"core_api#1/resolved/slack-0,core_api#1/resolved/slack-1"},
		},
		{
			// Deliberate difference from Gatus (see package doc): the
			// faster alert (success-threshold 1) is not resolved while the
			// incident is still open for the slower one; one resolved each
			// at the close, never resolved/triggered pairs mid-outage.
			name: "alerts with different thresholds share one incident",
			alerts: []AlertPolicy{
				{Type: "slack", Enabled: true, FailureThreshold: 1, SuccessThreshold: 1, SendOnResolved: true},
				{Type: "pagerduty", Enabled: true, FailureThreshold: 3, SuccessThreshold: 2, SendOnResolved: true},
			},
			results: "FFFSFSS",
			want: []string{"core_api#1/triggered/slack", "", "core_api#1/triggered/pagerduty", "", "", "",
				"core_api#1/resolved/slack,core_api#1/resolved/pagerduty"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.want) != len(tt.results) {
				t.Fatalf("bad test: %d results, %d expectations", len(tt.results), len(tt.want))
			}
			run := newSingle(t, Policy{Alerts: tt.alerts})
			for i, c := range tt.results {
				got := joined(run.result(c == 'S', t0.Add(time.Duration(i)*time.Minute)))
				if got != tt.want[i] {
					t.Errorf("after result %d (%c): notifications %q, want %q", i+1, c, got, tt.want[i])
				}
			}
		})
	}
}

func TestAckStopsReminders(t *testing.T) {
	run := newSingle(t, Policy{Alerts: []AlertPolicy{{Type: "custom", Enabled: true, FailureThreshold: 1,
		SuccessThreshold: 1, SendOnResolved: true, MinimumReminderInterval: time.Minute}}})
	if got := joined(run.result(false, t0)); got != "core_api#1/triggered/custom" {
		t.Fatalf("first failure: %q", got)
	}
	if got := joined(run.result(false, t0.Add(time.Minute))); got != "core_api#1/reminder-1/custom" {
		t.Fatalf("a minute later: %q, want the first reminder", got)
	}
	acts := run.h.step(Ack{Incident: "core_api#1", By: "alice"})
	want := IncidentAcked{Incident: "core_api#1", By: "alice", At: t0.Add(time.Minute)}
	if len(acts) != 1 || acts[0] != want {
		t.Fatalf("ack: %#v, want %#v", acts, want)
	}
	if acts := run.h.step(Ack{Incident: "core_api#1", By: "bob"}); acts != nil {
		t.Errorf("second ack: %#v, want nothing", acts)
	}
	if acts := run.h.step(Ack{Incident: "core_api#9", By: "bob"}); acts != nil {
		t.Errorf("ack of unknown incident: %#v, want nothing", acts)
	}
	for i := 2; i < 10; i++ {
		if got := joined(run.result(false, t0.Add(time.Duration(i)*time.Minute))); got != "" {
			t.Fatalf("minute %d after ack: %q, want no reminder", i, got)
		}
	}
	if got := joined(run.result(true, t0.Add(10*time.Minute))); got != "core_api#1/resolved/custom" {
		t.Fatalf("recovery: %q, want resolved despite the ack", got)
	}
	inc, ok := run.h.s.Incident("core_api#1")
	if !ok || !inc.Acked || inc.AckedBy != "alice" || inc.IsOpen() || !inc.Ended.Equal(t0.Add(10*time.Minute)) {
		t.Errorf("closed incident: %+v", inc)
	}
}

func TestNotifyContent(t *testing.T) {
	pol := Policy{Alerts: []AlertPolicy{{Type: "webhook", Enabled: true, FailureThreshold: 2, SuccessThreshold: 1,
		SendOnResolved: true, Description: "api is down"}}}
	h := newHarness(t, PolicyMap{"core_api": pol})
	h.observe("core_api", "n2", true, 1, 2)
	h.now = t0.Add(time.Minute)
	h.step(Observed{Monitor: "core_api", Node: "n1", Success: false, Streak: 2, Confirm: 2,
		Errors: []string{"HTTP 503", "HTTP 503", "", "[STATUS] (503) == 200"}})
	acts := h.step(Observed{Monitor: "core_api", Node: "n3", Success: false, Streak: 3, Confirm: 2,
		Errors: []string{"HTTP 503"}})
	wantInc := Incident{
		ID: "core_api#1", Monitor: "core_api", Started: t0.Add(time.Minute),
		Opening: []ObserverView{
			{Node: "n1", Streak: 2, Error: "HTTP 503; [STATUS] (503) == 200"},
			{Node: "n2", Success: true, Streak: 1},
			{Node: "n3", Streak: 3, Error: "HTTP 503"},
		},
		Errors: []string{"HTTP 503", "[STATUS] (503) == 200"},
	}
	want := []Action{
		IncidentOpened{Incident: wantInc},
		Notify{
			Monitor: "core_api", AlertIndex: 0, AlertType: "webhook", Event: Triggered,
			Incident: "core_api#1", IncidentStarted: t0.Add(time.Minute), At: t0.Add(time.Minute),
			Description: "api is down", Errors: wantInc.Errors, Observers: wantInc.Opening,
			Key: "core_api#1/triggered/webhook",
		},
		StatusChanged{Monitor: "core_api", Status: StatusDown, Previous: StatusDegraded},
	}
	if diff := diffActions(acts, want); diff != "" {
		t.Fatal(diff)
	}
	all := h.s.Incidents()
	if len(all) != 1 || all[0].ID != "core_api#1" || !all[0].IsOpen() {
		t.Errorf("Incidents() = %+v", all)
	}
}

// diffActions compares action lists by their printed form, which shows
// every field.
func diffActions(got, want []Action) string {
	g, w := fmt.Sprintf("%+v", got), fmt.Sprintf("%+v", want)
	if g != w {
		return fmt.Sprintf("actions:\n got %s\nwant %s", g, w)
	}
	return ""
}
