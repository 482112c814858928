package config

import (
	"strings"
	"testing"
	"time"

	"github.com/custodes/custodes/internal/monitor"
)

func TestParseEndpoint(t *testing.T) {
	cfg, _ := mustLoad(t, `alerting:
  webhook:
    url: http://127.0.0.1:9/hook
    default-alert:
      failure-threshold: 5
      send-on-resolved: true
endpoints:
  - name: a
    url: http://127.0.0.1/
    conditions: ["[STATUS] == 200"]
`)
	spec, err := ParseEndpoint([]byte(`{"name":"api","group":"core","url":"https://127.0.0.1:8443/health",
  "interval":"30s","conditions":["[STATUS] == 200","[BODY].ok == true"],"alerts":[{"type":"webhook"}]}`), "request body", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if spec.Key != "core_api" || spec.Kind != monitor.KindHTTP || spec.Interval != 30*time.Second || spec.Origin != "api" {
		t.Fatalf("spec %+v", spec)
	}
	if len(spec.Conditions) != 2 || spec.Conditions[1].String() != "[BODY].ok == true" {
		t.Fatalf("conditions %v", spec.Conditions)
	}
	if a := spec.Alerts[0]; !a.Enabled || a.FailureThreshold != 5 || !a.SendOnResolved {
		t.Fatalf("default-alert not merged: %+v", a)
	}

	for _, tc := range []struct{ body, want string }{
		{`{"name":"x","url":"http://h/","conditions":["[STATUS] == 200"],"intervall":"1m"}`, `request body:1: endpoint.intervall: unknown key`},
		{`{"name":"x","url":"http://h/","conditions":["[STATUS]==200"]}`, `request body:1: endpoint.conditions[0]`},
		{"name: x\nurl: http://h/\ninterval: 5x\nconditions: ['[STATUS] == 200']\n", `request body:3: endpoint.interval`},
		{`[1,2]`, `request body: want an endpoint object`},
		{``, `request body: empty`},
		{`{"name":`, `request body`},
		{`{"name":"x","url":"http://h/","conditions":["[STATUS] == 200"],"body":"${HOME}"}`, ""},
	} {
		spec, err := ParseEndpoint([]byte(tc.body), "request body", cfg)
		if tc.want == "" {
			if err != nil || spec.Body != "${HOME}" {
				t.Errorf("%s: ${ENV} must not be expanded in API bodies: %v %q", tc.body, err, spec.Body)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to contain %q", tc.body, err, tc.want)
		}
	}
}
