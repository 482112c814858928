package monitor

import (
	"testing"
	"time"

	"github.com/custodes/custodes/internal/monitor/condition"
)

func TestKey(t *testing.T) {
	for _, tc := range []struct{ group, name, want string }{
		{"core", "frontend", "core_frontend"},
		{"", "api", "_api"},
		{"Core Services", "Front End", "core-services_front-end"},
		{" a/b ", "c_d.e,f#g", "a-b_c-d-e-f-g"},
		{"R&D", "a+b", "r-d_a-b"},
		{"UPPER", "MiXeD", "upper_mixed"},
	} {
		if got := Key(tc.group, tc.name); got != tc.want {
			t.Errorf("Key(%q, %q) = %q, want %q", tc.group, tc.name, got, tc.want)
		}
	}
}

func TestKindOf(t *testing.T) {
	dns := &DNSQuery{QueryType: "A", QueryName: "example.org"}
	for _, tc := range []struct {
		url  string
		dns  *DNSQuery
		want Kind
	}{
		{"https://example.org", nil, KindHTTP},
		{"http://127.0.0.1:8080/healthz", nil, KindHTTP},
		{"tcp://127.0.0.1:22", nil, KindTCP},
		{"udp://127.0.0.1:53", nil, KindUDP},
		{"icmp://127.0.0.1", nil, KindICMP},
		{"tls://example.org:443", nil, KindTLS},
		{"starttls://smtp.example.org:587", nil, KindSTARTTLS},
		{"8.8.8.8", dns, KindDNS},
		{"ssh://example.org:22", nil, ""},
		{"ftp://example.org", nil, ""},
	} {
		if got := KindOf(tc.url, tc.dns); got != tc.want {
			t.Errorf("KindOf(%q) = %q, want %q", tc.url, got, tc.want)
		}
	}
}

func mustConditions(t *testing.T, texts ...string) []*condition.Condition {
	t.Helper()
	var cs []*condition.Condition
	for _, s := range texts {
		c, err := condition.Parse(s)
		if err != nil {
			t.Fatalf("Parse(%q): %v", s, err)
		}
		cs = append(cs, c)
	}
	return cs
}

func TestEvaluateProbeErrorFails(t *testing.T) {
	spec := &Spec{Key: "_a", URL: "http://127.0.0.1:1/"}
	obs := &Observation{Hostname: "127.0.0.1", Errors: []string{"dial tcp 127.0.0.1:1: connection refused"}}
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	r := Evaluate(spec, obs, "n1", at)
	if r.Success {
		t.Fatal("a probe error must fail the result")
	}
	if r.Monitor != "_a" || r.Node != "n1" || !r.Time.Equal(at) || r.Hostname != "127.0.0.1" {
		t.Fatalf("identity fields not copied: %+v", r)
	}
	if len(r.Errors) != 1 || r.Errors[0] != obs.Errors[0] {
		t.Fatalf("errors = %q", r.Errors)
	}
	r.Errors[0] = "changed"
	if obs.Errors[0] == "changed" {
		t.Fatal("result shares its error slice with the observation")
	}
}

func TestEvaluateRedaction(t *testing.T) {
	spec := &Spec{
		Key: "_a", URL: "http://secret.example:8443/token=abc",
		UI: UIOptions{HideURL: true, HideHostname: true, HidePort: true},
	}
	obs := &Observation{Hostname: "secret.example", Port: "8443",
		Errors: []string{`Get "http://secret.example:8443/token=abc": timeout`, "dial secret.example:8443 failed"}}
	r := Evaluate(spec, obs, "n1", time.Unix(0, 0))
	want := []string{`Get "<redacted>": timeout`, "dial <redacted>:<redacted> failed"}
	for i := range want {
		if r.Errors[i] != want[i] {
			t.Errorf("error %d = %q, want %q", i, r.Errors[i], want[i])
		}
	}
	if r.Hostname != "" {
		t.Errorf("hostname not hidden: %q", r.Hostname)
	}

	spec.UI = UIOptions{HideErrors: true, HideConditions: true}
	spec.Conditions = mustConditions(t, "[STATUS] == 200")
	r = Evaluate(spec, &Observation{Errors: []string{"x"}}, "n1", time.Unix(0, 0))
	if r.Errors != nil || r.Conditions != nil {
		t.Errorf("hide-errors/hide-conditions not applied: %+v", r)
	}
}

func TestObservationAddErrorDeduplicates(t *testing.T) {
	var o Observation
	o.AddError("a")
	o.AddError("b")
	o.AddError("a")
	if len(o.Errors) != 2 {
		t.Fatalf("errors = %q, want [a b]", o.Errors)
	}
}

func TestEvaluateConditions(t *testing.T) {
	spec := &Spec{Key: "core_api", URL: "http://x/", Conditions: mustConditions(t, "[STATUS] == 200", "[BODY].ok == true")}
	obs := &Observation{Input: condition.Input{Status: 500, Body: []byte(`{"ok":true}`), ResponseTime: 12 * time.Millisecond}}
	r := Evaluate(spec, obs, "n1", time.Unix(0, 0))
	if r.Success {
		t.Fatal("status 500 must fail [STATUS] == 200")
	}
	want := []condition.Result{{Condition: "[STATUS] (500) == 200", Success: false}, {Condition: "[BODY].ok == true", Success: true}}
	if len(r.Conditions) != 2 || r.Conditions[0] != want[0] || r.Conditions[1] != want[1] {
		t.Fatalf("conditions = %+v, want %+v", r.Conditions, want)
	}
	if r.Duration != 12*time.Millisecond || r.Status != 500 {
		t.Fatalf("duration/status not carried: %+v", r)
	}
	obs.Status = 200
	if r := Evaluate(spec, obs, "n1", time.Unix(0, 0)); !r.Success {
		t.Fatalf("all conditions hold but result failed: %+v", r)
	}
}
