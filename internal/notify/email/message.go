package email

import (
	"bytes"
	"mime"
	"mime/quotedprintable"
	"strings"
	"time"

	"github.com/custodes/custodes/internal/notify"
)

// Subject is the subject line of m, Gatus's "[core/api] Alert triggered".
func Subject(m *notify.Message) string {
	name := m.DisplayName()
	var what string
	switch m.Event {
	case notify.EventNodeDown:
		return "[custodes] Cluster node down"
	case notify.EventNodeUp:
		return "[custodes] Cluster node back up"
	case notify.EventNotifierDown:
		return "[custodes] Notifier failing"
	case notify.EventTest:
		return "[custodes] Test notification"
	case notify.EventReminder:
		what = "Alert still triggered"
	default:
		what = "Alert triggered"
		if m.Recovery() {
			what = "Alert resolved"
		}
	}
	if m.IsDegraded() {
		what += " (degraded mode)"
	}
	if name == "" {
		name = notify.Title
	}
	return "[" + name + "] " + what
}

// Body is the plain-text body of m, Gatus's layout.
func Body(m *notify.Message) string {
	s := notify.Headline(m, nil)
	if m.Description != "" {
		s += "\n\nAlert description: " + m.Description
	}
	if m.IsDegraded() {
		s += "\n\n" + notify.DegradedNote
	}
	if len(m.Errors) > 0 {
		s += "\n\nErrors:"
		for _, e := range m.Errors {
			s += "\n❌ " + e
		}
	}
	return s + "\n"
}

// oneLine keeps a header value on one line (no header injection).
var oneLine = strings.NewReplacer("\r\n", " ", "\r", " ", "\n", " ")

// Compose returns the whole message: headers and a quoted-printable UTF-8
// body. Lines end in "\n"; the SMTP DATA writer sends them as CRLF.
func Compose(from string, to []string, m *notify.Message, now time.Time) []byte {
	var b bytes.Buffer
	header := func(k, v string) { b.WriteString(k + ": " + v + "\n") }
	header("From", oneLine.Replace(from))
	header("To", strings.Join(to, ", "))
	header("Subject", mime.QEncoding.Encode("utf-8", oneLine.Replace(Subject(m))))
	header("Date", now.Format(time.RFC1123Z))
	header("Message-ID", MessageID(m))
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=UTF-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\n")
	qp := quotedprintable.NewWriter(&b)
	_, _ = qp.Write([]byte(Body(m))) // writes to a buffer cannot fail
	_ = qp.Close()
	return b.Bytes()
}
