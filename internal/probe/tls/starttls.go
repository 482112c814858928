package tls

import (
	"context"
	cryptotls "crypto/tls"
	"errors"
	"fmt"
	"net/textproto"

	"github.com/custodes/custodes/internal/probe/target"
)

// ehloName is the name the probe gives itself in EHLO, as net/smtp does.
const ehloName = "localhost"

// startTLS dials an SMTP server at addr, reads its greeting, says EHLO (or
// HELO when EHLO is refused), asks for STARTTLS and performs the TLS
// handshake, all bounded by ctx.
func startTLS(ctx context.Context, d *target.Dialer, addr string, conf *cryptotls.Config) (*cryptotls.Conn, error) {
	raw, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	stop := target.InterruptOnDone(ctx, raw)
	ok := false
	defer func() {
		stop()
		if !ok {
			_ = raw.Close()
		}
	}()
	text := textproto.NewConn(raw)
	if _, _, err := text.ReadResponse(220); err != nil {
		return nil, fmt.Errorf("smtp greeting from %s: %w", addr, plain(err))
	}
	if err := hello(text); err != nil {
		return nil, fmt.Errorf("smtp hello to %s: %w", addr, err)
	}
	if err := command(text, 220, "STARTTLS"); err != nil {
		return nil, fmt.Errorf("smtp STARTTLS with %s: %w", addr, err)
	}
	stop()
	conn := cryptotls.Client(raw, conf)
	if err := conn.HandshakeContext(ctx); err != nil {
		return nil, fmt.Errorf("tls handshake with %s after STARTTLS: %w", addr, err)
	}
	ok = true
	return conn, nil
}

// hello says EHLO, falling back to HELO for servers that refuse it.
func hello(text *textproto.Conn) error {
	if err := command(text, 250, "EHLO "+ehloName); err == nil {
		return nil
	}
	return command(text, 250, "HELO "+ehloName)
}

// command sends one SMTP command and reads its (possibly multi-line)
// response, which must have the expected code.
func command(text *textproto.Conn, code int, line string) error {
	id, err := text.Cmd("%s", line)
	if err != nil {
		return err
	}
	text.StartResponse(id)
	defer text.EndResponse(id)
	_, _, err = text.ReadResponse(code)
	return plain(err)
}

// plain spells an SMTP error reply as the server sent it: "454 4.7.0 TLS
// not available".
func plain(err error) error {
	var te *textproto.Error
	if errors.As(err, &te) {
		return fmt.Errorf("server replied %03d %s", te.Code, te.Msg)
	}
	return err
}
