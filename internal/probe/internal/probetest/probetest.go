// Package probetest holds what the probe tests share: monitor specs built
// with real conditions, self-signed certificates, and a DNS server on
// loopback.
package probetest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/custodes/custodes/internal/monitor"
	"github.com/custodes/custodes/internal/monitor/condition"
)

// Spec returns a monitor of the given kind and URL with the conditions
// parsed by the condition package, so Spec.Needs reflects them, and a
// 30s timeout.
func Spec(t testing.TB, kind monitor.Kind, url string, conditions ...string) *monitor.Spec {
	t.Helper()
	s := &monitor.Spec{Key: monitor.Key("probes", "m"), Name: "m", Group: "probes", Kind: kind, URL: url, Enabled: true}
	// Generous: a loaded test machine must not turn a check into a
	// timeout. Tests of timeouts set their own.
	s.Client.Timeout = 30 * time.Second
	for _, c := range conditions {
		parsed, err := condition.Parse(c)
		if err != nil {
			t.Fatalf("condition.Parse(%q): %v", c, err)
		}
		s.Conditions = append(s.Conditions, parsed)
	}
	return s
}

// Cert is a self-signed certificate authority that is also a server and
// client certificate for 127.0.0.1, ::1 and localhost.
type Cert struct {
	TLS      tls.Certificate
	Leaf     *x509.Certificate
	Pool     *x509.CertPool
	CertFile string // PEM files, written to a test's temporary directory
	KeyFile  string
}

// NewCert makes a certificate valid until notAfter and writes it as PEM
// files in a temporary directory of t.
func NewCert(t testing.TB, notAfter time.Time) *Cert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "custodes probe test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost", "custodes.test"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	c := &Cert{
		TLS:      tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf},
		Leaf:     leaf,
		Pool:     x509.NewCertPool(),
		CertFile: filepath.Join(dir, "cert.pem"),
		KeyFile:  filepath.Join(dir, "key.pem"),
	}
	c.Pool.AddCert(leaf)
	writePEM(t, c.CertFile, "CERTIFICATE", der)
	writePEM(t, c.KeyFile, "EC PRIVATE KEY", keyDER)
	return c
}

func writePEM(t testing.TB, path, kind string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// Listen listens on a free TCP port of 127.0.0.1 and closes the listener
// when the test ends.
func Listen(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	return ln
}

// ClosedPort returns a 127.0.0.1 address nothing listens on (a port just
// released).
func ClosedPort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}
