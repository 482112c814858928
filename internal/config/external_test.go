package config

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/custodes/custodes/internal/monitor"
)

func TestExternalAndPushEndpoints(t *testing.T) {
	cfg, warns := mustLoad(t, `external-endpoints:
  - name: ext-ep-test
    group: core
    token: potato
    heartbeat:
      interval: 30m
    maintenance-windows:
      - {start: "02:00", duration: 1h}
  - name: quiet
    enabled: false
    token: t
push-endpoints:
  - name: backup
    group: jobs
    token: 5f1a9c3e-8b2d-4c6e-9f0a-1b2c3d4e5f60
    period: 1d
    grace: 2h
  - name: report
    token: nightly_report
    cron: "0 3 * * 1-5"
    timezone: Europe/Paris
  - name: utc
    token: utc-cron-check
    cron: "*/5 * * * *"
`)
	if len(warns) != 0 {
		t.Errorf("warnings: %q", warns)
	}
	file := cfg.Files[0]
	want := []*monitor.Spec{
		{Key: "core_ext-ep-test", Name: "ext-ep-test", Group: "core", Kind: monitor.KindExternal, Enabled: true,
			ExternalToken: "potato", Heartbeat: 30 * time.Minute, Origin: "file", Source: file + ":2",
			MaintenanceWindows: []monitor.MaintenanceWindow{{Enabled: true, Start: "02:00", Duration: time.Hour, Timezone: "UTC"}}},
		{Key: "_quiet", Name: "quiet", Kind: monitor.KindExternal, ExternalToken: "t", Origin: "file", Source: file + ":9"},
		{Key: "jobs_backup", Name: "backup", Group: "jobs", Kind: monitor.KindPush, Enabled: true, Origin: "file", Source: file + ":13",
			Push: &monitor.PushSchedule{Token: "5f1a9c3e-8b2d-4c6e-9f0a-1b2c3d4e5f60", Period: 24 * time.Hour, Grace: 2 * time.Hour}},
		{Key: "_report", Name: "report", Kind: monitor.KindPush, Enabled: true, Origin: "file", Source: file + ":18",
			Push: &monitor.PushSchedule{Token: "nightly_report", Cron: "0 3 * * 1-5", Timezone: "Europe/Paris", Grace: time.Hour}},
		{Key: "_utc", Name: "utc", Kind: monitor.KindPush, Enabled: true, Origin: "file", Source: file + ":22",
			Push: &monitor.PushSchedule{Token: "utc-cron-check", Cron: "*/5 * * * *", Timezone: "UTC", Grace: time.Hour}},
	}
	if diff := cmp.Diff(want, cfg.Monitors, specOptions); diff != "" {
		t.Errorf("monitors (-want +got):\n%s", diff)
	}
}

func TestExternalAndPushErrors(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       []string
	}{
		{"external", `external-endpoints:
  - group: core
    heartbeat: {interval: 5s}
    conditions: ["[STATUS] == 200"]
  - name: b
    token: t
    heartbeat: {interval: -1m}
`, []string{
			"custodes.yaml:2: external-endpoints[0].name: is required",
			"custodes.yaml:2: external-endpoints[0].token: is required (the bearer token pushes must present)",
			"custodes.yaml:3: external-endpoints[0].heartbeat.interval: must be 0 (disabled) or at least 10s, got 5s",
			"custodes.yaml:4: external-endpoints[0].conditions: unknown key",
			"custodes.yaml:7: external-endpoints[1].heartbeat.interval: must be 0 (disabled) or at least 10s, got -1m0s",
		}},
		{"push", `push-endpoints:
  - name: a
  - name: b
    token: short
    period: 1h
    cron: "0 * * * *"
  - name: c
    token: has/slash/in/it
    cron: "0 3 * *"
    timezone: Mars/Base
    grace: -5m
  - name: d
    token: abcdefgh
    period: 0s
    timezone: UTC
  - name: e
    token: abcdefgh
    period: 1h
`, []string{
			"custodes.yaml:2: push-endpoints[0].token: is required (the /ping/{token} path element: a UUID or a slug of 8 to 128 letters, digits, '-' or '_')",
			`custodes.yaml:2: push-endpoints[0]: needs a schedule: period (e.g. 1d) or cron (e.g. "0 3 * * *")`,
			"custodes.yaml:4: push-endpoints[1].token: must be a UUID or a slug of 8 to 128 letters, digits, '-' or '_'",
			"custodes.yaml:6: push-endpoints[1].cron: set either period or cron, not both",
			"custodes.yaml:8: push-endpoints[2].token: must be a UUID or a slug of 8 to 128 letters, digits, '-' or '_'",
			`custodes.yaml:9: push-endpoints[2].cron: invalid cron expression "0 3 * *": want 5 fields (minute hour day-of-month month day-of-week), got 4`,
			`custodes.yaml:10: push-endpoints[2].timezone: invalid timezone "Mars/Base": use an IANA name (e.g. America/Sao_Paulo)`,
			"custodes.yaml:11: push-endpoints[2].grace: must not be negative, got -5m0s",
			"custodes.yaml:14: push-endpoints[3].period: must be positive, got 0s",
			"custodes.yaml:15: push-endpoints[3].timezone: only applies to cron schedules",
			"custodes.yaml:17: push-endpoints[4].token: already used by the push check at custodes.yaml:12: each needs its own token",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, loadErrors(t, tc.yaml, noEnv)); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}
