// Package tls probes tls:// and starttls:// monitors as Gatus does: a TLS
// handshake (directly, or after SMTP's STARTTLS) sets [CONNECTED] and
// [CERTIFICATE_EXPIRATION]; for tls:// a body is then sent and one reply
// read into [BODY].
//
// Unlike a refused TCP connection, a failed handshake is an error of the
// check, as in Gatus.
package tls

import (
	"context"
	cryptotls "crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/custodes/custodes/internal/monitor"
	"github.com/custodes/custodes/internal/probe/payload"
	"github.com/custodes/custodes/internal/probe/target"
)

// Prober checks tls:// monitors, and starttls:// ones when built with
// NewSTARTTLS.
type Prober struct {
	starttls bool
	now      func() time.Time
}

// New returns a prober for tls:// monitors.
func New() *Prober { return &Prober{now: time.Now} }

// NewSTARTTLS returns a prober for starttls:// (SMTP) monitors.
func NewSTARTTLS() *Prober { return &Prober{starttls: true, now: time.Now} }

// Probe performs the handshake and, for tls:// with a body, one exchange.
func (p *Prober) Probe(ctx context.Context, spec *monitor.Spec) (obs monitor.Observation) {
	ctx, cancel := target.WithTimeout(ctx, spec)
	defer cancel()
	addr, d, err := target.Prepare(ctx, spec, &obs)
	if err != nil {
		return obs
	}
	conf, err := ClientConfig(&spec.Client, obs.Hostname)
	if err != nil {
		obs.AddError(err.Error())
		return obs
	}
	start := time.Now()
	var conn *cryptotls.Conn
	if p.starttls {
		conn, err = startTLS(ctx, d, addr, conf)
	} else {
		conn, err = handshake(ctx, d, addr, conf)
	}
	obs.ResponseTime = time.Since(start)
	if err != nil {
		obs.AddError(target.Explain(ctx, start, err))
		return obs
	}
	defer conn.Close()
	obs.Connected = true
	if obs.IP == "" {
		obs.IP = target.RemoteIP(conn)
	}
	if cert := leaf(conn.ConnectionState()); cert != nil {
		obs.CertificateExpiration = cert.NotAfter.Sub(p.now())
	}
	if p.starttls || spec.Body == "" {
		return obs
	}
	reply, err := payload.Exchange(ctx, conn, payload.Body(spec))
	obs.ResponseTime = time.Since(start)
	if err != nil {
		obs.AddError(target.Explain(ctx, start, err))
		return obs
	}
	if spec.Needs().Body {
		obs.Body = reply
	}
	return obs
}

// handshake dials addr and performs a TLS handshake, both bounded by ctx.
func handshake(ctx context.Context, d *target.Dialer, addr string, conf *cryptotls.Config) (*cryptotls.Conn, error) {
	raw, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	conn := cryptotls.Client(raw, conf)
	if err := conn.HandshakeContext(ctx); err != nil {
		_ = raw.Close()
		return nil, fmt.Errorf("tls handshake with %s: %w", addr, err)
	}
	return conn, nil
}

// leaf returns the peer's certificate: the first of the verified chain, or
// of what the peer sent when verification was skipped (client.insecure).
func leaf(st cryptotls.ConnectionState) *x509.Certificate {
	if len(st.VerifiedChains) > 0 && len(st.VerifiedChains[0]) > 0 {
		return st.VerifiedChains[0][0]
	}
	if len(st.PeerCertificates) > 0 {
		return st.PeerCertificates[0]
	}
	return nil
}

// ClientConfig returns the TLS client configuration of the client options
// for serverName: certificate verification unless client.insecure, and the
// client certificate of client.tls with its renegotiation setting.
func ClientConfig(opts *monitor.ClientOptions, serverName string) (*cryptotls.Config, error) {
	conf := &cryptotls.Config{
		ServerName:         serverName,
		InsecureSkipVerify: opts.Insecure,
	}
	if opts.TLS == nil || (opts.TLS.CertificateFile == "" && opts.TLS.PrivateKeyFile == "") {
		return conf, nil
	}
	if opts.TLS.CertificateFile == "" || opts.TLS.PrivateKeyFile == "" {
		return nil, errors.New("invalid client tls: certificate-file and private-key-file must both be set")
	}
	cert, err := cryptotls.LoadX509KeyPair(opts.TLS.CertificateFile, opts.TLS.PrivateKeyFile)
	if err != nil {
		return nil, fmt.Errorf("loading client certificate: %w", err)
	}
	conf.Certificates = []cryptotls.Certificate{cert}
	switch opts.TLS.Renegotiation {
	case "", "never":
		conf.Renegotiation = cryptotls.RenegotiateNever
	case "once":
		conf.Renegotiation = cryptotls.RenegotiateOnceAsClient
	case "freely":
		conf.Renegotiation = cryptotls.RenegotiateFreelyAsClient
	default:
		return nil, fmt.Errorf("invalid client tls renegotiation %q: must be never, once or freely", opts.TLS.Renegotiation)
	}
	return conf, nil
}
