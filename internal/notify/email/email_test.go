package email

import (
	"context"
	"errors"
	"io"
	"mime/quotedprintable"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"github.com/custodes/custodes/internal/notify"
	"github.com/custodes/custodes/internal/notify/notifytest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var sendTime = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

func clock() time.Time { return sendTime }

// load builds a notifier; implicitPort is the port to treat as 465.
func load(t *testing.T, implicitPort int, section, group string, override map[string]any) notify.Notifier {
	t.Helper()
	c := notifytest.Load(t, newProvider(implicitPort, clock), "email", section, notify.Env{})
	return notifytest.Notifier(t, c, group, override)
}

func section(s *smtpServer, extra string) string {
	return "from: custodes <alerts@example.com>\nhost: 127.0.0.1\nport: " + strconv.Itoa(s.Port) + "\nto: ops@example.com, dev@example.com\n" + extra
}

// split returns the headers and the decoded body of a message.
func split(t *testing.T, data string) (string, string) {
	t.Helper()
	head, raw, ok := strings.Cut(data, "\n\n")
	if !ok {
		t.Fatalf("no header/body separator in %q", data)
	}
	for _, line := range strings.Split(raw, "\n") {
		if len(line) > 76 {
			t.Errorf("body line of %d characters (quoted-printable allows 76): %q", len(line), line)
		}
	}
	body, err := io.ReadAll(quotedprintable.NewReader(strings.NewReader(raw)))
	if err != nil {
		t.Fatalf("quoted-printable: %v", err)
	}
	return head + "\n", strings.ReplaceAll(string(body), "\r\n", "\n")
}

func headers(subject string, m *notify.Message) string {
	return "From: custodes <alerts@example.com>\nTo: ops@example.com, dev@example.com\nSubject: " + subject +
		"\nDate: Tue, 04 Mar 2025 05:06:07 +0000\nMessage-ID: " + MessageID(m) +
		"\nMIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: quoted-printable\n"
}

const triggeredBody = "An alert for core/api has been triggered due to having failed 3 time(s) in a row\n\n" +
	"Alert description: API health\n\nErrors:\n❌ [STATUS] (503) == 200\n❌ [BODY].status (DOWN) == \"UP\"\n"

func TestTriggeredPlainAuth(t *testing.T) {
	s := newSMTPServer(t, func(s *smtpServer) { s.auth = "PLAIN LOGIN" })
	m := notifytest.Triggered()
	if _, err := load(t, 465, section(s, "password: hunter2\n"), "core", nil).Notify(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	sessions := s.Sessions()
	if len(sessions) != 1 {
		t.Fatalf("%d sessions", len(sessions))
	}
	got := sessions[0]
	head, body := split(t, got.Data)
	got.Data = ""
	want := session{EHLO: "example.com", AuthMech: "PLAIN", User: "alerts@example.com", Password: "hunter2",
		From: "alerts@example.com", To: []string{"ops@example.com", "dev@example.com"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("session (-want +got):\n%s", diff)
	}
	if want := headers("[core/api] Alert triggered", m); head != want {
		t.Errorf("headers:\n%s\nwant:\n%s", head, want)
	}
	if body != triggeredBody {
		t.Errorf("body:\n%q\nwant:\n%q", body, triggeredBody)
	}
}

func TestResolvedSTARTTLSLogin(t *testing.T) {
	s := newSMTPServer(t, func(s *smtpServer) { s.startTLS, s.auth = true, "LOGIN" })
	m := notifytest.Resolved()
	n := load(t, 465, section(s, "username: bot\npassword: pw\nclient:\n  insecure: true\n"), "core", nil)
	if _, err := n.Notify(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	got := s.Sessions()[0]
	head, body := split(t, got.Data)
	if !got.TLS || got.AuthMech != "LOGIN" || got.User != "bot" || got.Password != "pw" {
		t.Errorf("session: %+v", got)
	}
	if want := headers("[core/api] Alert resolved", m); head != want {
		t.Errorf("headers:\n%s\nwant:\n%s", head, want)
	}
	if want := "An alert for core/api has been resolved after passing successfully 2 time(s) in a row\n\nAlert description: API health\n"; body != want {
		t.Errorf("body:\n%q\nwant:\n%q", body, want)
	}
}

func TestImplicitTLS(t *testing.T) {
	s := newSMTPServer(t, func(s *smtpServer) { s.implicit = true })
	n := load(t, s.Port, section(s, "client: {insecure: true}\n"), "", nil)
	if _, err := n.Notify(context.Background(), notifytest.Triggered()); err != nil {
		t.Fatal(err)
	}
	if got := s.Sessions()[0]; !got.TLS || got.AuthMech != "" || got.From != "alerts@example.com" {
		t.Errorf("session: %+v", got)
	}
}

func TestUnverifiedCertificateIsPermanent(t *testing.T) {
	s := newSMTPServer(t, func(s *smtpServer) { s.startTLS = true })
	retry, err := load(t, 465, section(s, ""), "", nil).Notify(context.Background(), notifytest.Triggered())
	if err == nil || retry {
		t.Fatalf("Notify = %v, %v; want a permanent certificate error", retry, err)
	}
}

func TestRetries(t *testing.T) {
	cases := []struct {
		name      string
		configure func(*smtpServer)
		extra     string
		retryable bool
		contains  string
	}{
		{"RCPT 451 is retryable", func(s *smtpServer) { s.rcpt = "451 4.3.0 try again later" }, "", true, "4.3.0 try again later"},
		{"RCPT 550 is permanent", func(s *smtpServer) { s.rcpt = "550 5.1.1 no such user" }, "", false, "5.1.1 no such user"},
		{"AUTH 535 is permanent", func(s *smtpServer) { s.auth = "PLAIN" }, "password: wrong\n", false, "5.7.8 authentication failed"},
		{"no password over plain SMTP to another host", func(s *smtpServer) { s.auth, s.host = "PLAIN", "127.0.0.2" }, "password: pw\n", false, "unencrypted connection"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newSMTPServer(t, c.configure)
			sec := strings.Replace(section(s, c.extra), "host: 127.0.0.1", "host: "+s.host, 1)
			retry, err := load(t, 465, sec, "", nil).Notify(context.Background(), notifytest.Triggered())
			if err == nil {
				t.Fatal("Notify succeeded")
			}
			if retry != c.retryable || !strings.Contains(err.Error(), c.contains) {
				t.Errorf("Notify = %v, %v; want retryable %v and %q", retry, err, c.retryable, c.contains)
			}
			if !strings.HasPrefix(err.Error(), "email: "+s.Addr+": ") {
				t.Errorf("error %q does not name the server", err)
			}
		})
	}
	t.Run("hanging server cut off by the deadline", func(t *testing.T) {
		s := newSMTPServer(t, func(s *smtpServer) { s.hang = true })
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		retry, err := load(t, 465, section(s, ""), "", nil).Notify(ctx, notifytest.Triggered())
		if !retry || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Notify = %v, %v; want retryable deadline", retry, err)
		}
	})
	t.Run("client timeout bounds the session", func(t *testing.T) {
		s := newSMTPServer(t, func(s *smtpServer) { s.hang = true })
		retry, err := load(t, 465, section(s, "client: {timeout: 50ms}\n"), "", nil).Notify(context.Background(), notifytest.Triggered())
		if !retry || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Notify = %v, %v; want retryable deadline", retry, err)
		}
	})
	t.Run("refused connection is retryable", func(t *testing.T) {
		s := newSMTPServer(t, nil)
		n := load(t, 465, section(s, ""), "", nil)
		s.close()
		retry, err := n.Notify(context.Background(), notifytest.Triggered())
		if err == nil || !retry {
			t.Fatalf("Notify = %v, %v", retry, err)
		}
	})
}

func TestAllEvents(t *testing.T) {
	subjects := map[string]string{
		"triggered":     "[core/api] Alert triggered",
		"resolved":      "[core/api] Alert resolved",
		"reminder":      "[core/api] Alert still triggered",
		"degraded-down": "[core/api] Alert triggered (degraded mode)",
		"degraded-up":   "[core/api] Alert resolved (degraded mode)",
		"node-down":     "[custodes] Cluster node down",
		"node-up":       "[custodes] Cluster node back up",
		"notifier-down": "[custodes] Notifier failing",
		"test":          "[custodes] Test notification",
	}
	s := newSMTPServer(t, nil)
	n := load(t, 465, section(s, ""), "", nil)
	for i, m := range notifytest.AllEvents() {
		name := string(m.Event)
		if m.Event == notify.EventDegraded {
			name += "-" + m.State
		}
		if _, err := n.Notify(context.Background(), m); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		head, body := split(t, s.Sessions()[i].Data)
		if want := headers(subjects[name], m); head != want {
			t.Errorf("%s headers:\n%s\nwant:\n%s", name, head, want)
		}
		if !strings.HasPrefix(body, notify.Headline(m, nil)) || strings.Contains(body, "degraded mode") != m.IsDegraded() {
			t.Errorf("%s body: %q", name, body)
		}
	}
}

func TestHeaderInjection(t *testing.T) {
	m := notifytest.Triggered()
	m.Monitor.Name = "api\r\nBcc: victim@example.com"
	msg := string(Compose("a@example.com", []string{"b@example.com"}, m, sendTime))
	if head, _, _ := strings.Cut(msg, "\n\n"); strings.Contains(head, "\nBcc:") {
		t.Errorf("header injected:\n%s", msg)
	}
	m.Monitor.Name = "café"
	if msg := string(Compose("a@example.com", []string{"b@example.com"}, m, sendTime)); !strings.Contains(msg, "Subject: =?utf-8?q?[core/caf=C3=A9]_Alert_triggered?=\n") {
		t.Errorf("non-ASCII subject not encoded:\n%s", msg)
	}
}

func TestOverrides(t *testing.T) {
	s := newSMTPServer(t, nil)
	sec := section(s, "overrides:\n  - group: core\n    to: core@example.com\n")
	cases := []struct {
		group    string
		override map[string]any
		to       []string
	}{
		{"edge", nil, []string{"ops@example.com", "dev@example.com"}},
		{"core", nil, []string{"core@example.com"}},
		{"core", map[string]any{"to": "pager@example.com,boss@example.com"}, []string{"pager@example.com", "boss@example.com"}},
	}
	for i, c := range cases {
		if _, err := load(t, 465, sec, c.group, c.override).Notify(context.Background(), notifytest.Resolved()); err != nil {
			t.Fatal(err)
		}
		if got := s.Sessions()[i].To; !cmp.Equal(got, c.to) {
			t.Errorf("case %d: sent to %v, want %v", i, got, c.to)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	cases := []struct{ name, section, want string }{
		{"missing everything", "username: x\n", "alerting.email.from: is required\nalerting.email.to: is required\nalerting.email.host: is required\nalerting.email.port: must be between 1 and 65535, got 0"},
		{"bad from", "from: not-an-address\nto: a@example.com\nhost: smtp.example.com\nport: 587\n", "alerting.email.from: is not an e-mail address: mail: missing '@' or angle-addr"},
		{"bad to", "from: a@example.com\nto: b@example.com, nope\nhost: smtp.example.com\nport: 587\n", `alerting.email.to: address 2 ("nope") is not an e-mail address: mail: missing '@' or angle-addr`},
		{"bad port", "from: a@example.com\nto: b@example.com\nhost: smtp.example.com\nport: 70000\n", "alerting.email.port: must be between 1 and 65535, got 70000"},
		{"bad host", "from: a@example.com\nto: b@example.com\nhost: smtp.example.com/x\nport: 25\n", "alerting.email.host: is not a host name or address"},
		{"port type", "from: a@example.com\nto: b@example.com\nhost: h\nport: smtp\n", `custodes.yaml:4: alerting.email.port: invalid integer "smtp"`},
		{"unknown client key", "from: a@example.com\nto: b@example.com\nhost: h\nport: 25\nclient: {tls: {}}\n", "custodes.yaml:5: alerting.email.client.tls: unknown key"},
		{"bad override", "from: a@example.com\nto: b@example.com\nhost: h\nport: 25\noverrides:\n  - group: g\n    to: x\n", `alerting.email.overrides[0].to: address 1 ("x") is not an e-mail address: mail: missing '@' or angle-addr`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := notifytest.LoadError(t, Provider, "email", c.section); got != c.want {
				t.Errorf("error:\n%s\nwant:\n%s", got, c.want)
			}
		})
	}
	c := notifytest.Load(t, Provider, "email", "from: a@example.com\nto: b@example.com\nhost: h\nport: 25\n", notify.Env{})
	if _, err := c.Notifier("", map[string]any{"port": 0.5}); err == nil ||
		err.Error() != "alerting.email: provider-override.port: expected an integer, got number 0.5" {
		t.Errorf("provider-override error = %v", err)
	}
	n := notifytest.Notifier(t, c, "", nil).(*Notifier)
	if !(n.cfg.Port == 25 && !n.implicitTLS) {
		t.Errorf("port 25 must not use implicit TLS")
	}
	n465 := notifytest.Notifier(t, c, "", map[string]any{"port": 465}).(*Notifier)
	if !n465.implicitTLS {
		t.Errorf("port 465 must use implicit TLS")
	}
}
