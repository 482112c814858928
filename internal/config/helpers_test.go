package config

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/custodes/custodes/internal/monitor/condition"
)

// envOf returns a lookup over m.
func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

// noEnv has no variables at all.
var noEnv = envOf(nil)

// writeTree writes files (name -> content) under a new temporary directory
// and returns it.
func writeTree(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// loadString loads content as custodes.yaml in a fresh directory. Paths in
// the returned error text and warnings are relative to that directory.
func loadString(t *testing.T, content string, env func(string) (string, bool)) (*Config, []string, error) {
	t.Helper()
	dir := writeTree(t, map[string]string{"custodes.yaml": content})
	cfg, err := Load(context.Background(), filepath.Join(dir, "custodes.yaml"), env)
	var warns []string
	if cfg != nil {
		for _, w := range cfg.Warnings {
			warns = append(warns, relative(dir, w.String()))
		}
	}
	return cfg, warns, err
}

// mustLoad loads content and fails the test on any error.
func mustLoad(t *testing.T, content string) (*Config, []string) {
	t.Helper()
	cfg, warns, err := loadString(t, content, noEnv)
	if err != nil {
		t.Fatalf("Load: unexpected error:\n%v", err)
	}
	return cfg, warns
}

// loadErrors loads content, which must fail, and returns the error lines
// with the directory stripped.
func loadErrors(t *testing.T, content string, env func(string) (string, bool)) []string {
	t.Helper()
	dir := writeTree(t, map[string]string{"custodes.yaml": content})
	cfg, err := Load(context.Background(), filepath.Join(dir, "custodes.yaml"), env)
	if err == nil {
		t.Fatalf("Load succeeded, want an error; monitors: %d, warnings: %v", len(cfg.Monitors), cfg.Warnings)
	}
	return errorLines(t, dir, err)
}

func errorLines(t *testing.T, dir string, err error) []string {
	t.Helper()
	var list *Errors
	if !errors.As(err, &list) {
		t.Fatalf("error is %T, want *Errors: %v", err, err)
	}
	return strings.Split(relative(dir, list.Error()), "\n")
}

func relative(dir, s string) string { return strings.ReplaceAll(s, dir+string(filepath.Separator), "") }

// specOptions compare monitor specs, conditions by their text.
var specOptions = cmp.Options{
	cmp.Comparer(func(a, b *condition.Condition) bool { return a.String() == b.String() }),
	cmpopts.EquateEmpty(),
}

// writeKeyPair writes a self-signed ECDSA certificate and its key as PEM
// files in dir and returns their paths.
func writeKeyPair(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "custodes test"},
		NotBefore:    time.Unix(0, 0),
		NotAfter:     time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}
