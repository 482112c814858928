package providers_test

import (
	"go.uber.org/goleak"

	"strings"
	"testing"

	"github.com/custodes/custodes/internal/notify"
	"github.com/custodes/custodes/internal/notify/notifytest"
	"github.com/custodes/custodes/internal/notify/providers"
)

// Every registered provider reports its problems under its own key, so the
// registry key and the provider's name agree.
func TestRegistryKeysMatchProviders(t *testing.T) {
	want := []string{"custom", "discord", "email", "googlechat", "gotify", "matrix", "mattermost", "ntfy",
		"opsgenie", "pagerduty", "pushover", "slack", "teams-workflows", "telegram", "webhook"}
	if got := providers.Names(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("Names() = %v, want %v", got, want)
	}
	for _, name := range want {
		if !providers.Known(name) {
			t.Errorf("Known(%q) = false", name)
		}
		_, err := providers.Registry[name].Load(notifytest.Section(t, name, "{}"), notify.Env{})
		if err == nil || !strings.HasPrefix(err.Error(), "alerting."+name+".") {
			t.Errorf("%s: empty section error = %v, want one under alerting.%s", name, err, name)
		}
	}
}

func TestWarning(t *testing.T) {
	cases := map[string]string{
		"slack":   "",
		"webhook": "",
		"teams":   `"teams" is not supported by custodes; alerts of type teams are not sent`,
		"twilio":  `"twilio" is not supported by custodes; alerts of type twilio are not sent`,
		"slak": `unknown alerting provider "slak" (custodes has: custom, discord, email, googlechat, gotify, matrix, mattermost, ` +
			`ntfy, opsgenie, pagerduty, pushover, slack, teams-workflows, telegram, webhook); alerts of type slak are not sent`,
	}
	for name, want := range cases {
		if got := providers.Warning(name); got != want {
			t.Errorf("Warning(%q) = %q, want %q", name, got, want)
		}
		if providers.Known(name) != (want == "") {
			t.Errorf("Known(%q) = %v", name, providers.Known(name))
		}
	}
}

func TestLoadAll(t *testing.T) {
	sections := map[string]notify.Decoder{
		"slack":     notifytest.Section(t, "slack", "webhook-url: https://hooks.slack.com/services/x\n"),
		"webhook":   notifytest.Section(t, "webhook", "url: https://example.com/hook\n"),
		"discord":   notifytest.Section(t, "discord", "webhook-url: nope\n"),
		"pagerduty": notifytest.Section(t, "pagerduty", "integration-key: short\n"),
		"zulip":     notifytest.Section(t, "zulip", "bot-email: x\n"),
		"slakc":     notifytest.Section(t, "slakc", "webhook-url: x\n"),
	}
	loaded, warnings, err := providers.LoadAll(sections, notify.Env{})
	if len(loaded) != 2 || loaded["slack"] == nil || loaded["webhook"] == nil {
		t.Errorf("loaded %v", loaded)
	}
	wantErr := "alerting.discord.webhook-url: must be an absolute http(s) URL\nalerting.pagerduty.integration-key: must have exactly 32 characters"
	if err == nil || err.Error() != wantErr {
		t.Errorf("error:\n%v\nwant:\n%s", err, wantErr)
	}
	if len(warnings) != 2 || !strings.HasPrefix(warnings[0], `alerting.slakc: unknown alerting provider "slakc"`) ||
		warnings[1] != `alerting.zulip: "zulip" is not supported by custodes; alerts of type zulip are not sent` {
		t.Errorf("warnings: %q", warnings)
	}
	if _, err := loaded["slack"].Notifier("core", nil); err != nil {
		t.Errorf("Notifier: %v", err)
	}
}

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
