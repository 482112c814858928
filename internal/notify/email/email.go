// Package email sends messages by SMTP (alerting.email), as Gatus does:
// implicit TLS on port 465, STARTTLS elsewhere when the server offers it,
// authentication when a password is set, a plain-text body.
package email

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/smtp"
	"strconv"
	"strings"
	"time"

	"github.com/custodes/custodes/internal/notify"
)

// Config is the alerting.email section.
type Config struct {
	From     string `yaml:"from"`
	Username string `yaml:"username"` // default: from
	Password string `yaml:"password"` // no authentication when empty
	Host     string `yaml:"host"`
	Port     int    `yaml:"port"`
	To       string `yaml:"to"` // comma-separated addresses
	// Client: insecure skips certificate verification; timeout bounds the
	// whole SMTP session.
	Client notify.ClientConfig `yaml:"client"`
}

// Validate implements notify.Config.
func (c Config) Validate(v *notify.Validation) {
	switch _, err := mail.ParseAddress(c.From); {
	case c.From == "":
		v.Errorf("from", "is required")
	case err != nil:
		v.Errorf("from", "is not an e-mail address: %v", err)
	}
	if c.To == "" {
		v.Errorf("to", "is required")
	} else if _, err := recipients(c.To); err != nil {
		v.Errorf("to", "%v", err)
	}
	switch {
	case c.Host == "":
		v.Errorf("host", "is required")
	case strings.ContainsAny(c.Host, " /\r\n"):
		v.Errorf("host", "is not a host name or address")
	}
	if c.Port < 1 || c.Port > 65535 {
		v.Errorf("port", "must be between 1 and 65535, got %d", c.Port)
	}
	c.Client.Validate(v, "client")
}

// recipients parses the comma-separated `to`.
func recipients(to string) ([]string, error) {
	var out []string
	for i, part := range strings.Split(to, ",") {
		part = strings.TrimSpace(part)
		a, err := mail.ParseAddress(part)
		if err != nil {
			return nil, fmt.Errorf("address %d (%q) is not an e-mail address: %v", i+1, part, err)
		}
		out = append(out, a.Address)
	}
	return out, nil
}

// Provider is the email provider: implicit TLS on port 465.
var Provider = newProvider(465, time.Now)

// newProvider lets tests pick the implicit-TLS port (a loopback listener's)
// and the clock used for the Date header.
func newProvider(implicitTLSPort int, now func() time.Time) notify.Provider {
	return notify.NewProvider("email", func(cfg Config, env notify.Env) (notify.Notifier, error) {
		from, _ := mail.ParseAddress(cfg.From) // validated
		to, _ := recipients(cfg.To)
		return &Notifier{cfg: cfg, from: from.Address, to: to, implicitTLS: cfg.Port == implicitTLSPort, now: now}, nil
	})
}

// defaultTimeout bounds an SMTP session when neither ctx nor client.timeout does.
const defaultTimeout = 30 * time.Second

// Notifier sends mail through one SMTP server.
type Notifier struct {
	cfg         Config
	from        string // the bare address of cfg.From
	to          []string
	implicitTLS bool
	now         func() time.Time
}

// Notify implements notify.Notifier. SMTP 4xx replies and network
// failures are retryable; 5xx replies (unknown user, refused
// authentication) are not.
func (n *Notifier) Notify(ctx context.Context, m *notify.Message) (bool, error) {
	timeout := n.cfg.Client.Timeout
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err := n.send(ctx, Compose(n.cfg.From, n.to, m, n.now()))
	if err == nil {
		return false, nil
	}
	if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
		err = fmt.Errorf("%w (%v)", ctx.Err(), err) // the connection was cut by ctx
	}
	return notify.Retryable(err), fmt.Errorf("email: %s: %w", net.JoinHostPort(n.cfg.Host, strconv.Itoa(n.cfg.Port)), err)
}

func (n *Notifier) send(ctx context.Context, msg []byte) error {
	addr := net.JoinHostPort(n.cfg.Host, strconv.Itoa(n.cfg.Port))
	tlsConfig := &tls.Config{ServerName: n.cfg.Host, InsecureSkipVerify: n.cfg.Client.Insecure, MinVersion: tls.VersionTLS12}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	// Every read and write of the session is cut off when ctx ends (Notify
	// always gives ctx a deadline); the error then wraps ctx.Err().
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if n.implicitTLS {
		tc := tls.Client(conn, tlsConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return err
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, n.cfg.Host)
	if err != nil {
		conn.Close()
		return err
	}
	defer c.Close()
	if err := c.Hello(localName(n.from)); err != nil {
		return err
	}
	if ok, _ := c.Extension("STARTTLS"); ok && !n.implicitTLS {
		if err := c.StartTLS(tlsConfig); err != nil {
			return err
		}
	}
	if n.cfg.Password != "" {
		if err := c.Auth(n.auth(c)); err != nil {
			return err
		}
	}
	if err := c.Mail(n.from); err != nil {
		return err
	}
	for _, to := range n.to {
		if err := c.Rcpt(to); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// auth picks a mechanism the server offers: PLAIN, else LOGIN, else
// CRAM-MD5; PLAIN when it says nothing. PLAIN and LOGIN refuse to send the
// password over a connection that is neither TLS nor to localhost.
func (n *Notifier) auth(c *smtp.Client) smtp.Auth {
	user := n.cfg.Username
	if user == "" {
		user = n.from
	}
	_, offered := c.Extension("AUTH")
	mechanisms := " " + strings.ToUpper(offered) + " "
	switch {
	case strings.Contains(mechanisms, " PLAIN "):
	case strings.Contains(mechanisms, " LOGIN "):
		return &loginAuth{user: user, password: n.cfg.Password, host: n.cfg.Host}
	case strings.Contains(mechanisms, " CRAM-MD5 "):
		return smtp.CRAMMD5Auth(user, n.cfg.Password)
	}
	return smtp.PlainAuth("", user, n.cfg.Password, n.cfg.Host)
}

// localName is what the client calls itself in EHLO: the domain of the
// sender address, as Gatus, or "localhost".
func localName(from string) string {
	if _, domain, ok := strings.Cut(from, "@"); ok && domain != "" {
		return domain
	}
	return "localhost"
}

// loginAuth is the LOGIN mechanism (Office 365 and others offer only it).
type loginAuth struct {
	user, password, host string
}

func (a *loginAuth) Start(server *smtp.ServerInfo) (string, []byte, error) {
	if !server.TLS && !isLocalhost(server.Name) {
		return "", nil, errors.New("unencrypted connection: refusing to send the password")
	}
	if server.Name != a.host {
		return "", nil, errors.New("wrong host name")
	}
	return "LOGIN", nil, nil
}

func (a *loginAuth) Next(fromServer []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	switch strings.ToLower(strings.TrimSpace(string(fromServer))) {
	case "username:":
		return []byte(a.user), nil
	case "password:":
		return []byte(a.password), nil
	}
	return nil, fmt.Errorf("unexpected LOGIN challenge %q", fromServer)
}

func isLocalhost(name string) bool {
	return name == "localhost" || name == "127.0.0.1" || name == "::1"
}

// MessageID is the Message-ID of m: the same for every attempt at one
// outbox entry, so mail tools can drop a re-sent copy.
func MessageID(m *notify.Message) string {
	sum := sha256.Sum256([]byte(m.IdempotencyKey))
	return "<" + hex.EncodeToString(sum[:16]) + "@custodes>"
}
