package push

import (
	"fmt"
	"time"
	"unicode/utf8"
)

// Kind is what a ping reports, after the Healthchecks ping URLs:
// /ping/{token} (Success), /start, /fail, /log and /{exit-status}.
type Kind string

const (
	// Success: the job finished and succeeded.
	Success Kind = "success"
	// Start: the job started; a Success, Fail or ExitStatus ping ends it.
	Start Kind = "start"
	// Fail: the job finished and failed.
	Fail Kind = "fail"
	// Log: a message for the event log; it changes nothing.
	Log Kind = "log"
	// ExitStatus: the job finished with ExitCode: 0 succeeded, 1-255 failed.
	ExitStatus Kind = "exit-status"
)

// MaxExitCode is the largest exit status a ping may carry (Healthchecks
// answers 400 to larger ones).
const MaxExitCode = 255

// MaxBodyExcerpt is how many bytes of a ping's body the state keeps.
const MaxBodyExcerpt = 1024

// Ping is one ping of a push check, as carried in a replicated command.
type Ping struct {
	Kind     Kind      `json:"kind"`
	ExitCode int       `json:"exit_code,omitempty"` // ExitStatus pings only
	RID      string    `json:"rid,omitempty"`       // run id pairing a start with its finish; see ParseRID
	At       time.Time `json:"at"`                  // stamped by the leader
	Body     string    `json:"body,omitempty"`      // the request body; the state keeps an excerpt
}

// Validate reports whether p can be applied: a known kind, an exit code
// within 0-255 on ExitStatus pings (and none on others), a run id in
// ParseRID's canonical form, and a time.
func (p Ping) Validate() error {
	switch p.Kind {
	case Success, Start, Fail, Log:
		if p.ExitCode != 0 {
			return fmt.Errorf("push: %s ping: exit code %d is only for exit-status pings", p.Kind, p.ExitCode)
		}
	case ExitStatus:
		if p.ExitCode < 0 || p.ExitCode > MaxExitCode {
			return fmt.Errorf("push: exit-status ping: exit code %d is outside 0-%d", p.ExitCode, MaxExitCode)
		}
	default:
		return fmt.Errorf("push: unknown ping kind %q", p.Kind)
	}
	if p.RID != "" {
		if rid, err := ParseRID(p.RID); err != nil || rid != p.RID {
			return fmt.Errorf("push: rid %q: not a canonical lower-case UUID (use ParseRID)", p.RID)
		}
	}
	if p.At.IsZero() {
		return fmt.Errorf("push: %s ping without a time", p.Kind)
	}
	return nil
}

// Failed reports whether a finishing ping reports a failure: Fail, or
// ExitStatus with a non-zero code.
func (p Ping) Failed() bool {
	return p.Kind == Fail || (p.Kind == ExitStatus && p.ExitCode != 0)
}

// ParseExitCode reads the exit-status element of a ping URL
// (/ping/{token}/{code}): a decimal 0-255. Anything else is an error the
// API answers with 400, as Healthchecks does.
func ParseExitCode(s string) (int, error) {
	if s == "" || len(s) > 3 {
		return 0, fmt.Errorf("push: exit status %q: must be a number from 0 to %d", s, MaxExitCode)
	}
	code := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("push: exit status %q: must be a number from 0 to %d", s, MaxExitCode)
		}
		code = code*10 + int(s[i]-'0')
	}
	if code > MaxExitCode {
		return 0, fmt.Errorf("push: exit status %q: must be a number from 0 to %d", s, MaxExitCode)
	}
	return code, nil
}

// ParseRID reads the rid query parameter, a UUID as Healthchecks requires,
// with or without hyphens, any case, and returns it in canonical form
// (lower-case 8-4-4-4-12) so equal ids compare equal.
func ParseRID(s string) (string, error) {
	var hex [32]byte
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '-' && len(s) == 36 && (i == 8 || i == 13 || i == 18 || i == 23):
			continue
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f':
		case c >= 'A' && c <= 'F':
			c += 'a' - 'A'
		default:
			return "", fmt.Errorf("push: rid %q: not a UUID", s)
		}
		if n == len(hex) {
			return "", fmt.Errorf("push: rid %q: not a UUID", s)
		}
		hex[n] = c
		n++
	}
	if n != len(hex) || (len(s) != 32 && len(s) != 36) {
		return "", fmt.Errorf("push: rid %q: not a UUID", s)
	}
	h := string(hex[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32], nil
}

// excerpt cuts body to at most MaxBodyExcerpt bytes, at a UTF-8 boundary.
func excerpt(body string) string {
	if len(body) <= MaxBodyExcerpt {
		return body
	}
	cut := MaxBodyExcerpt
	for cut > 0 && !utf8.RuneStart(body[cut]) {
		cut--
	}
	return body[:cut]
}
