package incident

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestStateJSONIsCanonical: the same instants given in other time zones
// give byte-identical snapshots, with times in UTC, and a restored State
// carries on exactly like the original.
func TestStateJSONIsCanonical(t *testing.T) {
	alert := AlertPolicy{Type: "slack", Enabled: true, FailureThreshold: 1, SuccessThreshold: 1, SendOnResolved: true,
		MinimumReminderInterval: time.Minute}
	p := PolicyMap{"web": {Alerts: []AlertPolicy{alert}}, "db": {Alerts: []AlertPolicy{alert}}}
	events := []Event{
		Observed{Monitor: "web", Node: "n2", Streak: 1, Confirm: 1, Errors: []string{"refused"}},
		Observed{Monitor: "db", Node: "n1", Success: true, Streak: 4, Confirm: 1},
		Observed{Monitor: "web", Node: "n1", Streak: 2, Confirm: 1},
		Ack{Incident: "web#1", By: "alice"},
	}
	paris := time.FixedZone("CET", 3600)
	var utc, local State
	for i, e := range events {
		at := t0.Add(time.Duration(i) * time.Minute)
		Step(&utc, p, e, at)
		Step(&local, p, e, at.In(paris))
	}
	a, err := json.Marshal(&utc)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(&local)
	if err != nil {
		t.Fatal(err)
	}
	if string(a) != string(b) {
		t.Fatalf("snapshots differ by time zone:\n%s\n%s", a, b)
	}
	if strings.Contains(string(a), "+01:00") || !strings.Contains(string(a), `"started":"2025-03-01T12:00:00Z"`) {
		t.Errorf("snapshot times are not UTC: %s", a)
	}
	var restored State
	if err := json.Unmarshal(a, &restored); err != nil {
		t.Fatal(err)
	}
	for _, e := range []Event{Tick{}, Observed{Monitor: "web", Node: "n1", Success: true, Streak: 1, Confirm: 1},
		Observed{Monitor: "web", Node: "n2", Success: true, Streak: 1, Confirm: 1}} {
		at := t0.Add(10 * time.Minute)
		want, got := Step(&utc, p, e, at), Step(&restored, p, e, at)
		if d := diffActions(got, want); d != "" {
			t.Fatalf("after %+v: %s", e, d)
		}
	}
	if got := joined(Step(&local, p, Observed{Monitor: "web", Node: "n2", Success: true, Streak: 1, Confirm: 1}, t0.Add(11*time.Minute))); got != "" {
		t.Errorf("acked incident, one observer still failing: %q", got)
	}
}
