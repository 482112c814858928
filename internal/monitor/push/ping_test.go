package push_test

import (
	"strings"
	"testing"
	"time"

	"github.com/custodes/custodes/internal/monitor/push"
)

func TestParseExitCode(t *testing.T) {
	valid := map[string]int{"0": 0, "1": 1, "000": 0, "42": 42, "255": 255, "007": 7}
	for s, want := range valid {
		if got, err := push.ParseExitCode(s); err != nil || got != want {
			t.Errorf("ParseExitCode(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"", "256", "999", "-1", "+1", "1.0", "0x1", "1000", " 1", "abc"} {
		_, err := push.ParseExitCode(s)
		want := `push: exit status "` + s + `": must be a number from 0 to 255`
		if err == nil || err.Error() != want {
			t.Errorf("ParseExitCode(%q) error = %v, want %q", s, err, want)
		}
	}
}

func TestParseRID(t *testing.T) {
	const canonical = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
	for _, s := range []string{canonical, "3F2504E0-4F89-11D3-9A0C-0305E82C3301", "3f2504e04f8911d39a0c0305e82c3301"} {
		if got, err := push.ParseRID(s); err != nil || got != canonical {
			t.Errorf("ParseRID(%q) = %q, %v; want %q", s, got, err, canonical)
		}
	}
	for _, s := range []string{
		"", "abc", "3f2504e0-4f89-11d3-9a0c-0305e82c330", "3f2504e0-4f89-11d3-9a0c-0305e82c33011",
		"3f2504e04-f89-11d3-9a0c-0305e82c3301", "3f2504e0-4f89-11d3-9a0c-0305e82c330g",
		"{3f2504e0-4f89-11d3-9a0c-0305e82c3301}", "3f2504e0-4f89-11d3-9a0c-0305e82c3301-", "--------------------------------",
		"3f2504e0-4f89-11d3-9a0c-0305e82c33-1",
	} {
		if got, err := push.ParseRID(s); err == nil {
			t.Errorf("ParseRID(%q) = %q, want an error", s, got)
		} else if want := `push: rid "` + s + `": not a UUID`; err.Error() != want {
			t.Errorf("ParseRID(%q) error %q, want %q", s, err, want)
		}
	}
}

func TestPingValidate(t *testing.T) {
	at := time.Date(2024, 1, 10, 10, 0, 0, 0, time.UTC)
	const rid = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
	tests := []struct {
		p    push.Ping
		want string // "" for valid
	}{
		{push.Ping{Kind: push.Success, At: at}, ""},
		{push.Ping{Kind: push.Start, RID: rid, At: at}, ""},
		{push.Ping{Kind: push.Fail, At: at, Body: strings.Repeat("x", 5000)}, ""},
		{push.Ping{Kind: push.Log, At: at}, ""},
		{push.Ping{Kind: push.ExitStatus, ExitCode: 0, At: at}, ""},
		{push.Ping{Kind: push.ExitStatus, ExitCode: 255, At: at}, ""},
		{push.Ping{Kind: push.ExitStatus, ExitCode: 256, At: at}, "push: exit-status ping: exit code 256 is outside 0-255"},
		{push.Ping{Kind: push.ExitStatus, ExitCode: -1, At: at}, "push: exit-status ping: exit code -1 is outside 0-255"},
		{push.Ping{Kind: push.Fail, ExitCode: 1, At: at}, "push: fail ping: exit code 1 is only for exit-status pings"},
		{push.Ping{Kind: "pause", At: at}, `push: unknown ping kind "pause"`},
		{push.Ping{Kind: "", At: at}, `push: unknown ping kind ""`},
		{push.Ping{Kind: push.Start, RID: "3F2504E0-4F89-11D3-9A0C-0305E82C3301", At: at},
			`push: rid "3F2504E0-4F89-11D3-9A0C-0305E82C3301": not a canonical lower-case UUID (use ParseRID)`},
		{push.Ping{Kind: push.Start, RID: "run-1", At: at}, `push: rid "run-1": not a canonical lower-case UUID (use ParseRID)`},
		{push.Ping{Kind: push.Success}, "push: success ping without a time"},
	}
	for _, tt := range tests {
		err := tt.p.Validate()
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("Validate(%+v) = %v, want nil", tt.p, err)
		case tt.want != "" && (err == nil || err.Error() != tt.want):
			t.Errorf("Validate(%+v) = %v, want %q", tt.p, err, tt.want)
		}
	}
}

func TestPingFailed(t *testing.T) {
	tests := []struct {
		p    push.Ping
		want bool
	}{
		{push.Ping{Kind: push.Success}, false},
		{push.Ping{Kind: push.Fail}, true},
		{push.Ping{Kind: push.ExitStatus, ExitCode: 0}, false},
		{push.Ping{Kind: push.ExitStatus, ExitCode: 1}, true},
		{push.Ping{Kind: push.ExitStatus, ExitCode: 255}, true},
		{push.Ping{Kind: push.Start}, false},
		{push.Ping{Kind: push.Log}, false},
	}
	for _, tt := range tests {
		if got := tt.p.Failed(); got != tt.want {
			t.Errorf("%+v.Failed() = %v, want %v", tt.p, got, tt.want)
		}
	}
}
