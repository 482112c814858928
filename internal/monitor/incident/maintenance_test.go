package incident

import (
	"fmt"
	"testing"
	"time"
)

// between is a maintenance window [from, to) in minutes after t0.
func between(from, to int) func(time.Time) bool {
	return func(now time.Time) bool {
		return !now.Before(t0.Add(time.Duration(from)*time.Minute)) && now.Before(t0.Add(time.Duration(to)*time.Minute))
	}
}

func TestMaintenance(t *testing.T) {
	alert := AlertPolicy{Type: "slack", Enabled: true, FailureThreshold: 1, SuccessThreshold: 1, SendOnResolved: true,
		MinimumReminderInterval: 2 * time.Minute}
	const (
		trig = "web#1/triggered/slack"
		res  = "web#1/resolved/slack"
	)
	// Each script line is "minute event" with event F (failure), S
	// (success) or T (tick); want is what the line must notify.
	tests := []struct {
		name   string
		window func(time.Time) bool
		script []string
		want   []string
	}{
		{
			name:   "triggered withheld during the window is sent once when it ends",
			window: between(0, 10),
			script: []string{"1 F", "3 T", "5 F", "9 T", "10 T", "11 T", "12 F", "13 S"},
			want:   []string{"", "", "", "", trig, "", "web#1/reminder-1/slack", res},
		},
		{
			name:   "the end of the window is seen on the next Observed too",
			window: between(0, 10),
			script: []string{"1 F", "15 F", "16 T"},
			want:   []string{"", trig, ""},
		},
		{
			name:   "an incident entirely inside a window sends nothing",
			window: between(0, 10),
			script: []string{"1 F", "4 T", "5 S", "10 T", "11 T"},
			want:   []string{"", "", "", "", ""},
		},
		{
			name:   "resolved inside a window after a triggered before it waits for the end",
			window: between(5, 10),
			script: []string{"1 F", "6 S", "7 T", "10 T", "11 T"},
			want:   []string{trig, "", "", res, ""},
		},
		{
			name:   "reminders are withheld during a window and resume after",
			window: between(3, 10),
			script: []string{"1 F", "3 T", "5 T", "8 T", "10 T", "11 T", "12 T"},
			want:   []string{trig, "", "", "", "web#1/reminder-1/slack", "", "web#1/reminder-2/slack"},
		},
		{
			name:   "after the window: old incident's resolved before the new one's triggered",
			window: between(5, 10),
			script: []string{"1 F", "6 S", "7 F", "10 T"},
			want:   []string{trig, "", "", res + ",web#2/triggered/slack"},
		},
		{
			name:   "recovered inside the window after it began there: nothing at the end",
			window: between(0, 10),
			script: []string{"1 F", "2 S", "3 F", "4 S", "12 T"},
			want:   []string{"", "", "", "", ""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, PolicyMap{"web": {Alerts: []AlertPolicy{alert}, InMaintenance: tt.window}})
			for i, line := range tt.script {
				var minute int
				var ev string
				if _, err := fmt.Sscan(line, &minute, &ev); err != nil {
					t.Fatalf("bad script line %q: %v", line, err)
				}
				h.now = t0.Add(time.Duration(minute) * time.Minute)
				var acts []Action
				switch ev {
				case "F":
					acts = h.observe("web", "n1", false, 1, 1)
				case "S":
					acts = h.observe("web", "n1", true, 1, 1)
				case "T":
					acts = h.step(Tick{})
				}
				got := joined(acts)
				if got != tt.want[i] {
					t.Errorf("line %q: notifications %q, want %q", line, got, tt.want[i])
				}
				if got != "" && tt.window(h.now) {
					t.Errorf("line %q: notified inside the window", line)
				}
			}
		})
	}
}

// TestDeferredResolvedKeepsCloseTime: the resolved sent after a window says
// when the incident actually ended.
func TestDeferredResolvedKeepsCloseTime(t *testing.T) {
	alert := AlertPolicy{Type: "slack", Enabled: true, FailureThreshold: 1, SuccessThreshold: 1, SendOnResolved: true}
	h := newHarness(t, PolicyMap{"web": {Alerts: []AlertPolicy{alert}, InMaintenance: between(5, 10)}})
	h.observe("web", "n1", false, 1, 1)
	h.now = t0.Add(6 * time.Minute)
	h.observe("web", "n1", true, 1, 1)
	h.now = t0.Add(12 * time.Minute)
	acts := h.step(Tick{})
	if len(acts) != 1 {
		t.Fatalf("after the window: %+v", acts)
	}
	n := acts[0].(Notify)
	if n.Event != Resolved || !n.At.Equal(t0.Add(6*time.Minute)) || !n.IncidentStarted.Equal(t0) {
		t.Errorf("deferred resolved: %+v", n)
	}
}
