package matrix_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/custodes/custodes/internal/notify"
	"github.com/custodes/custodes/internal/notify/matrix"
	"github.com/custodes/custodes/internal/notify/notifytest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func notifier(t *testing.T, section, group string, override map[string]any) notify.Notifier {
	t.Helper()
	c := notifytest.Load(t, matrix.Provider, "matrix", section, notifytest.Env(t))
	return notifytest.Notifier(t, c, group, override)
}

const room = "!abc:matrix.example"

var escapedRoom = url.PathEscape(room)

func TestTransactionID(t *testing.T) {
	a, b := matrix.TransactionID(notifytest.Triggered()), matrix.TransactionID(notifytest.Resolved())
	sum := sha256.Sum256([]byte("inc-1/triggered/test"))
	if want := "custodes-" + hex.EncodeToString(sum[:])[:32]; a != want {
		t.Errorf("TransactionID = %q, want %q", a, want)
	}
	if a == b {
		t.Error("two entries share a transaction id")
	}
	if a != matrix.TransactionID(notifytest.Triggered()) {
		t.Error("the transaction id of one entry changes between attempts")
	}
}

func TestTriggered(t *testing.T) {
	rec := notifytest.NewReceiver(t)
	n := notifier(t, "server-url: "+rec.URL+"\naccess-token: syt_tok\ninternal-room-id: '"+room+"'\n", "core", nil)
	m := notifytest.Triggered()
	if _, err := n.Notify(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	notifytest.Expect(t, rec.Only(t), "PUT", "/_matrix/client/v3/rooms/"+escapedRoom+"/send/m.room.message/"+matrix.TransactionID(m),
		map[string]string{"Content-Type": "application/json", "Authorization": "Bearer syt_tok"},
		`{"msgtype":"m.text","format":"org.matrix.custom.html",`+
			"\"body\":\"An alert for `core/api` has been triggered due to having failed 3 time(s) in a row\\nAPI health\\n\\n✕ - [STATUS] (503) == 200\\n✕ - [BODY].status (DOWN) == \\\"UP\\\"\","+
			`"formatted_body":"<h3>An alert for <code>core/api</code> has been triggered due to having failed 3 time(s) in a row</h3>\n<blockquote>API health</blockquote>`+
			`\n<h5>Errors</h5><ul><li>❌ - <code>[STATUS] (503) == 200</code></li><li>❌ - <code>[BODY].status (DOWN) == &quot;UP&quot;</code></li></ul>"}`)
}

func TestResolved(t *testing.T) {
	rec := notifytest.NewReceiver(t)
	n := notifier(t, "server-url: "+rec.URL+"/\naccess-token: syt_tok\ninternal-room-id: '"+room+"'\n", "core", nil)
	m := notifytest.Resolved()
	if _, err := n.Notify(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	notifytest.Expect(t, rec.Only(t), "PUT", "/_matrix/client/v3/rooms/"+escapedRoom+"/send/m.room.message/"+matrix.TransactionID(m),
		map[string]string{"Content-Type": "application/json", "Authorization": "Bearer syt_tok"},
		`{"msgtype":"m.text","format":"org.matrix.custom.html",`+
			"\"body\":\"An alert for `core/api` has been resolved after passing successfully 2 time(s) in a row\\nAPI health\","+
			`"formatted_body":"<h3>An alert for <code>core/api</code> has been resolved after passing successfully 2 time(s) in a row</h3>\n<blockquote>API health</blockquote>"}`)
}

func TestRetries(t *testing.T) {
	notifytest.CheckRetries(t, notifytest.Triggered(), func(t *testing.T, base string) notify.Notifier {
		return notifier(t, "server-url: "+base+"\naccess-token: t\ninternal-room-id: '"+room+"'\n", "", nil)
	})
}

func TestAllEvents(t *testing.T) {
	notifytest.CheckAllEvents(t, func(t *testing.T, base string) notify.Notifier {
		return notifier(t, "server-url: "+base+"\naccess-token: t\ninternal-room-id: '"+room+"'\n", "", nil)
	}, func(t *testing.T, m *notify.Message, reqs []notifytest.Request) {
		if !strings.HasSuffix(reqs[0].Path, "/"+matrix.TransactionID(m)) {
			t.Errorf("path = %s", reqs[0].Path)
		}
		if strings.Contains(reqs[0].Body, "degraded mode") != m.IsDegraded() {
			t.Errorf("degraded note wrong: %s", reqs[0].Body)
		}
	})
}

func TestOverrides(t *testing.T) {
	rec := notifytest.NewReceiver(t)
	section := "server-url: " + rec.URL + "\naccess-token: all\ninternal-room-id: '!all:x'\noverrides:\n  - group: core\n    internal-room-id: '!core:x'\n"
	cases := []struct {
		group    string
		override map[string]any
		room     string
		token    string
	}{
		{"edge", nil, "!all:x", "all"},
		{"core", nil, "!core:x", "all"},
		{"core", map[string]any{"access-token": "alert"}, "!core:x", "alert"},
	}
	for i, c := range cases {
		if _, err := notifier(t, section, c.group, c.override).Notify(context.Background(), notifytest.Resolved()); err != nil {
			t.Fatal(err)
		}
		got := rec.Requests()[i]
		if !strings.Contains(got.Path, "/rooms/"+url.PathEscape(c.room)+"/") || got.Header.Get("Authorization") != "Bearer "+c.token {
			t.Errorf("case %d: sent %s %v", i, got.Path, got.Header)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	cases := []struct{ name, section, want string }{
		{"missing", "server-url: https://m.example\n", "alerting.matrix.access-token: is required\nalerting.matrix.internal-room-id: is required"},
		{"bad server", "server-url: matrix.org\naccess-token: t\ninternal-room-id: r\n", "alerting.matrix.server-url: must be an absolute http(s) URL"},
		{"unknown key", "access-token: t\ninternal-room-id: r\nroom: x\n", "custodes.yaml:3: alerting.matrix.room: unknown key"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := notifytest.LoadError(t, matrix.Provider, "matrix", c.section); got != c.want {
				t.Errorf("error:\n%s\nwant:\n%s", got, c.want)
			}
		})
	}
	c := notifytest.Load(t, matrix.Provider, "matrix", "access-token: t\ninternal-room-id: r\n", notify.Env{})
	if _, err := c.Notifier("", map[string]any{"server-url": "nope"}); err == nil ||
		err.Error() != "alerting.matrix: provider-override.server-url: must be an absolute http(s) URL" {
		t.Errorf("provider-override error = %v", err)
	}
}
