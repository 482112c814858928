package webhook_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"go.uber.org/goleak"

	"github.com/custodes/custodes/internal/notify"
	"github.com/custodes/custodes/internal/notify/notifytest"
	"github.com/custodes/custodes/internal/notify/webhook"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const triggeredJSON = `{"event":"triggered","idempotency_key":"inc-1/triggered/test",` +
	`"monitor":{"key":"core_api","name":"api","group":"core","url":"https://api.example.com/health"},` +
	`"incident":{"id":"inc-1","started_at":"2025-03-04T05:06:07Z"},"state":"down","description":"API health",` +
	`"errors":["[STATUS] (503) == 200","[BODY].status (DOWN) == \"UP\""],` +
	`"observers":[{"node":"n1","success":false,"error":"[STATUS] (503) == 200"},{"node":"n2","success":false,"error":"[STATUS] (503) == 200"}],` +
	`"sent_by":"n1","degraded":false}`

const resolvedJSON = `{"event":"resolved","idempotency_key":"inc-1/resolved/test",` +
	`"monitor":{"key":"core_api","name":"api","group":"core","url":"https://api.example.com/health"},` +
	`"incident":{"id":"inc-1","started_at":"2025-03-04T05:06:07Z"},"state":"up","description":"API health",` +
	`"errors":null,"observers":[{"node":"n1","success":true},{"node":"n2","success":true}],` +
	`"sent_by":"n1","degraded":false}`

// hmacHex computes the expected signature independently of the package.
func hmacHex(secret, body string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(body))
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

func send(t *testing.T, section string, m *notify.Message) (bool, error) {
	t.Helper()
	c := notifytest.Load(t, webhook.Provider, "webhook", section, notifytest.Env(t))
	return notifytest.Notifier(t, c, m.Monitor.Group, nil).Notify(context.Background(), m)
}

func TestTriggeredSignedPost(t *testing.T) {
	rec := notifytest.NewReceiver(t)
	if _, err := send(t, "url: "+rec.URL+"/hooks/custodes\nsecret: s3cret\nheaders:\n  X-Team: ops\n", notifytest.Triggered()); err != nil {
		t.Fatal(err)
	}
	got := rec.Only(t)
	notifytest.Expect(t, got, "POST", "/hooks/custodes", map[string]string{
		"Content-Type":         "application/json",
		"Idempotency-Key":      "inc-1/triggered/test",
		"X-Team":               "ops",
		"X-Custodes-Signature": hmacHex("s3cret", triggeredJSON),
	}, triggeredJSON)
	// The receiver's own check: HMAC over the raw body it got.
	mac := hmac.New(sha256.New, []byte("s3cret"))
	mac.Write([]byte(got.Body))
	sig, err := hex.DecodeString(got.Header.Get("X-Custodes-Signature")[len("sha256="):])
	if err != nil || !hmac.Equal(sig, mac.Sum(nil)) {
		t.Errorf("signature does not verify: %v", err)
	}
}

func TestResolvedUnsignedPut(t *testing.T) {
	rec := notifytest.NewReceiver(t)
	if _, err := send(t, "url: "+rec.URL+"/in\nmethod: put\n", notifytest.Resolved()); err != nil {
		t.Fatal(err)
	}
	notifytest.Expect(t, rec.Only(t), "PUT", "/in", map[string]string{
		"Content-Type":         "application/json",
		"Idempotency-Key":      "inc-1/resolved/test",
		"X-Custodes-Signature": "",
	}, resolvedJSON)
}

func TestSign(t *testing.T) {
	if got, want := webhook.Sign("k", []byte("body")), hmacHex("k", "body"); got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}

func TestRetries(t *testing.T) {
	notifytest.CheckRetries(t, notifytest.Triggered(), func(t *testing.T, base string) notify.Notifier {
		c := notifytest.Load(t, webhook.Provider, "webhook", "url: "+base+"/hook\n", notifytest.Env(t))
		return notifytest.Notifier(t, c, "", nil)
	})
}

func TestConfiguredTimeout(t *testing.T) {
	rec := notifytest.NewReceiver(t)
	rec.Hang()
	retry, err := send(t, "url: "+rec.URL+"\ntimeout: 50ms\n", notifytest.Triggered())
	if !retry || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Notify = %v, %v; want retryable deadline", retry, err)
	}
}

func TestAllEvents(t *testing.T) {
	notifytest.CheckAllEvents(t, func(t *testing.T, base string) notify.Notifier {
		c := notifytest.Load(t, webhook.Provider, "webhook", "url: "+base+"\nsecret: x\n", notifytest.Env(t))
		return notifytest.Notifier(t, c, "", nil)
	}, func(t *testing.T, m *notify.Message, reqs []notifytest.Request) {
		var got notify.Message
		if err := json.Unmarshal([]byte(reqs[0].Body), &got); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(*m, got, cmpopts.IgnoreFields(notify.Message{}, "Alert"), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("payload (-sent +decoded):\n%s", diff)
		}
		if reqs[0].Header.Get("Idempotency-Key") != m.IdempotencyKey {
			t.Errorf("Idempotency-Key = %q", reqs[0].Header.Get("Idempotency-Key"))
		}
		if reqs[0].Header.Get("X-Custodes-Signature") != hmacHex("x", reqs[0].Body) {
			t.Error("bad signature")
		}
	})
}

func TestOverrides(t *testing.T) {
	rec := notifytest.NewReceiver(t)
	section := "url: " + rec.URL + "/default\nheaders: {X-A: a}\noverrides:\n  - group: core\n    url: " + rec.URL + "/core\n    secret: g\n"
	c := notifytest.Load(t, webhook.Provider, "webhook", section, notifytest.Env(t))
	cases := []struct {
		group    string
		override map[string]any
		path     string
		method   string
		sig      string // secret used, "" for none
		header   string // X-A
	}{
		{"other", nil, "/default", "POST", "", "a"},
		{"core", nil, "/core", "POST", "g", "a"},
		{"core", map[string]any{"url": rec.URL + "/alert", "method": "PATCH", "headers": map[string]any{"X-A": "b"}}, "/alert", "PATCH", "g", "b"},
		{"other", map[string]any{"secret": "p"}, "/default", "POST", "p", "a"},
	}
	for i, tc := range cases {
		n := notifytest.Notifier(t, c, tc.group, tc.override)
		if _, err := n.Notify(context.Background(), notifytest.Triggered()); err != nil {
			t.Fatal(err)
		}
		got := rec.Requests()[i]
		want := ""
		if tc.sig != "" {
			want = hmacHex(tc.sig, triggeredJSON)
		}
		notifytest.Expect(t, got, tc.method, tc.path, map[string]string{"X-Custodes-Signature": want, "X-A": tc.header}, triggeredJSON)
	}
}

func TestConfigErrors(t *testing.T) {
	cases := []struct{ name, section, want string }{
		{"missing url", "method: POST\n", "alerting.webhook.url: is required"},
		{"bad url", "url: example.com/hook\n", "alerting.webhook.url: must be an absolute http(s) URL"},
		{"bad method", "url: https://x.example\nmethod: GET\n", `alerting.webhook.method: must be POST, PUT or PATCH, got "GET"`},
		{"negative timeout", "url: https://x.example\ntimeout: -1s\n", "alerting.webhook.timeout: must not be negative"},
		{"reserved header", "url: https://x.example\nheaders: {idempotency-key: x}\n", "alerting.webhook.headers.idempotency-key: is set by custodes and cannot be configured"},
		{"bad header name", "url: https://x.example\nheaders: {\"X A\": x}\n", "alerting.webhook.headers.X A: is not a valid header name"},
		{"header injection", "url: https://x.example\nheaders: {X-A: \"a\\r\\nX-B: b\"}\n", "alerting.webhook.headers.X-A: must not contain line breaks"},
		{"unknown key", "url: https://x.example\nsecrett: x\n", `custodes.yaml:2: alerting.webhook.secrett: unknown key (did you mean "secret"?)`},
		{"bad duration", "url: https://x.example\ntimeout: 10\n", `custodes.yaml:2: alerting.webhook.timeout: invalid duration "10" (missing unit, e.g. "10s")`},
		{"bad override", "url: https://x.example\noverrides:\n  - group: a\n    method: DELETE\n", `alerting.webhook.overrides[0].method: must be POST, PUT or PATCH, got "DELETE"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := notifytest.LoadError(t, webhook.Provider, "webhook", c.section); got != c.want {
				t.Errorf("error:\n%s\nwant:\n%s", got, c.want)
			}
		})
	}
}

func TestProviderOverrideErrors(t *testing.T) {
	c := notifytest.Load(t, webhook.Provider, "webhook", "url: https://x.example\n", notify.Env{})
	for want, override := range map[string]map[string]any{
		"alerting.webhook: provider-override.url: must be an absolute http(s) URL": {"url": "nope"},
		"alerting.webhook: provider-override.urls: unknown key":                    {"urls": "https://y"},
		"alerting.webhook: provider-override.timeout: invalid duration \"x\"":      {"timeout": "x"},
	} {
		if _, err := c.Notifier("", override); err == nil || err.Error() != want {
			t.Errorf("Notifier(%v) error = %v, want %q", override, err, want)
		}
	}
}

// One notifier is shared by the dispatcher's workers.
func TestConcurrentUse(t *testing.T) {
	rec := notifytest.NewReceiver(t)
	c := notifytest.Load(t, webhook.Provider, "webhook", "url: "+rec.URL+"\nsecret: s\n", notifytest.Env(t))
	n := notifytest.Notifier(t, c, "", nil)
	errs := make(chan error, 16)
	for range 16 {
		go func() {
			_, err := n.Notify(context.Background(), notifytest.Triggered())
			errs <- err
		}()
	}
	for range 16 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	for _, r := range rec.Requests() {
		if r.Body != triggeredJSON || r.Header.Get("X-Custodes-Signature") != hmacHex("s", triggeredJSON) {
			t.Errorf("bad request: %+v", r)
		}
	}
	if got := len(rec.Requests()); got != 16 {
		t.Errorf("receiver got %d requests, want 16", got)
	}
}
