// Package payload builds what a probe sends (a monitor's body with Gatus's
// placeholders filled in) and reads what a stream target answers.
package payload

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/custodes/custodes/internal/monitor"
	"github.com/custodes/custodes/internal/probe/target"
)

// MaxRandomString caps [RANDOM_STRING_n], as Gatus does, so a typo such as
// [RANDOM_STRING_99999999] cannot exhaust memory.
const MaxRandomString = 8192

// MaxReply is how much of a TCP, UDP or TLS target's answer is kept in
// [BODY] (Gatus reads one message of at most 1024 bytes).
const MaxReply = 1024

const randomPrefix = "[RANDOM_STRING_"

const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// Body returns the monitor's body with [ENDPOINT_NAME], [ENDPOINT_GROUP],
// [ENDPOINT_URL] and [RANDOM_STRING_n] replaced, as Gatus does.
func Body(spec *monitor.Spec) string {
	b := spec.Body
	if !strings.Contains(b, "[") {
		return b
	}
	b = strings.ReplaceAll(b, "[ENDPOINT_NAME]", spec.Name)
	b = strings.ReplaceAll(b, "[ENDPOINT_GROUP]", spec.Group)
	b = strings.ReplaceAll(b, "[ENDPOINT_URL]", spec.URL)
	return randomStrings(b)
}

// randomStrings replaces every [RANDOM_STRING_n] (n decimal digits) by n
// random letters and digits, n capped at MaxRandomString.
func randomStrings(s string) string {
	i := strings.Index(s, randomPrefix)
	if i < 0 {
		return s
	}
	var out strings.Builder
	for i >= 0 {
		j := i + len(randomPrefix)
		k := j
		for k < len(s) && s[k] >= '0' && s[k] <= '9' {
			k++
		}
		if k == j || k >= len(s) || s[k] != ']' {
			// Not a placeholder: keep "[" and look further.
			out.WriteString(s[:i+1])
			s = s[i+1:]
			i = strings.Index(s, randomPrefix)
			continue
		}
		out.WriteString(s[:i])
		n := MaxRandomString
		if len(s[j:k]) <= 5 {
			if v, err := strconv.Atoi(s[j:k]); err == nil && v < n {
				n = v
			}
		}
		out.Grow(n)
		for range n {
			out.WriteByte(alphabet[rand.IntN(len(alphabet))])
		}
		s = s[k+1:]
		i = strings.Index(s, randomPrefix)
	}
	out.WriteString(s)
	return out.String()
}

// WithLocalAddress replaces [LOCAL_ADDRESS] by the connection's local
// address (host:port), as Gatus does for TCP, UDP and TLS bodies.
func WithLocalAddress(body string, local net.Addr) string {
	if local == nil || !strings.Contains(body, "[LOCAL_ADDRESS]") {
		return body
	}
	return strings.ReplaceAll(body, "[LOCAL_ADDRESS]", local.String())
}

// Exchange writes body to c and reads the reply: one read of at most
// MaxReply bytes, as Gatus does. Reads and writes stop at ctx's deadline or
// cancellation.
func Exchange(ctx context.Context, c net.Conn, body string) ([]byte, error) {
	stop := context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if d, ok := ctx.Deadline(); ok {
		if err := c.SetDeadline(d); err != nil {
			return nil, fmt.Errorf("setting deadline: %w", err)
		}
	}
	if _, err := io.WriteString(c, WithLocalAddress(body, c.LocalAddr())); err != nil {
		return nil, fmt.Errorf("sending body: %w", deadlineCause(ctx, err))
	}
	buf := make([]byte, MaxReply)
	n, err := c.Read(buf)
	if n > 0 {
		// A reply is a reply even when the peer closed right after it.
		return buf[:n], nil
	}
	if errors.Is(err, io.EOF) {
		return nil, errors.New("reading reply: connection closed without a reply")
	}
	return nil, fmt.Errorf("reading reply: %w", deadlineCause(ctx, err))
}

// deadlineCause replaces the i/o timeout a forced deadline causes by the
// context's own error when ctx ended.
func deadlineCause(ctx context.Context, err error) error {
	if cause := target.Ended(ctx); cause != nil && isTimeout(err) {
		return fmt.Errorf("%w (%w)", cause, err)
	}
	return err
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
