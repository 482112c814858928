package transport

import (
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"strings"
	"time"
)

// Cluster PKI without certificate management.
//
// Every node derives the same CA key from cluster.secret (HKDF-SHA256 with
// a fixed salt and info, giving an ed25519 seed) and the same self-signed
// CA certificate from it (fixed subject, serial and validity; ed25519
// signatures are deterministic, so the bytes are identical everywhere).
// At start each process makes a fresh ed25519 key and a certificate for
// its node id signed by that CA. Peers must present a certificate chaining
// to the derived CA, in both directions, over TLS 1.3.
//
// Why this is sound: the CA key never leaves memory and can only be
// computed from the secret, so a valid certificate proves its holder knows
// the secret (or was given a certificate by someone who does). Knowing the
// secret is exactly what membership means, as with Consul's or Serf's
// shared gossip key; TLS then gives confidentiality, integrity and mutual
// authentication per connection with forward secrecy (ephemeral ECDHE),
// so a recorded session stays private even if the secret leaks later.
//
// Limits: every member can mint a certificate for any node id, so a node
// id in a certificate is a claim made by a member, not proof of which
// machine holds it; one member cannot be revoked alone; and rotating the
// secret means restarting every node with the new one (nodes with
// different secrets cannot talk, so a rolling change splits the cluster
// until all nodes have it). The secret's strength bounds everything: use
// at least 32 random bytes. Hostnames are not checked: addresses change
// and the secret, not DNS, is the root of trust.

var (
	caSalt = []byte("custodes cluster CA salt v1")
	caInfo = "custodes cluster CA v1"

	// caNotBefore and caNotAfter bound every certificate: a fixed window
	// so the CA is deterministic and node certificates keep working across
	// wall-clock skew between machines (a fresh certificate whose
	// NotBefore is in a peer's future would otherwise be refused).
	caNotBefore = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	caNotAfter  = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

// caSubject names the derived CA.
const caSubject = "custodes cluster CA"

// ErrSecretMismatch is wrapped by handshake errors caused by a peer that
// was not configured with this cluster's secret.
var ErrSecretMismatch = errors.New("does not share this cluster's secret")

// SecretMismatchError reports a peer whose certificate does not chain to
// the CA derived from our secret, or who refused ours.
type SecretMismatchError struct {
	Peer   string // address (and node id, when known)
	Detail string
}

func (e *SecretMismatchError) Error() string {
	return fmt.Sprintf("peer %s %s (%s)", e.Peer, ErrSecretMismatch, e.Detail)
}

// Unwrap makes errors.Is(err, ErrSecretMismatch) true.
func (e *SecretMismatchError) Unwrap() error { return ErrSecretMismatch }

// Identity is a node's TLS identity in a cluster.
type Identity struct {
	NodeID string
	CA     *x509.Certificate
	CADER  []byte
	cert   tls.Certificate
	roots  *x509.CertPool
}

// DeriveCA returns the cluster CA's key and self-signed certificate (DER),
// identical for every caller with the same secret.
func DeriveCA(secret []byte) (ed25519.PrivateKey, []byte, error) {
	if len(secret) == 0 {
		return nil, nil, errors.New("transport: cluster secret is empty")
	}
	seed, err := hkdf.Key(sha256.New, secret, caSalt, caInfo, ed25519.SeedSize)
	if err != nil {
		return nil, nil, fmt.Errorf("transport: deriving the cluster CA key: %w", err)
	}
	key := ed25519.NewKeyFromSeed(seed)
	pub := key.Public().(ed25519.PublicKey)
	skid := sha256.Sum256(pub)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: caSubject},
		NotBefore:             caNotBefore,
		NotAfter:              caNotAfter,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
		SubjectKeyId:          skid[:20],
	}
	// ed25519 signs deterministically: the reader is never used.
	der, err := x509.CreateCertificate(noRandom{}, tmpl, tmpl, pub, key)
	if err != nil {
		return nil, nil, fmt.Errorf("transport: making the cluster CA certificate: %w", err)
	}
	return key, der, nil
}

// noRandom fails any read, proving the CA uses no randomness.
type noRandom struct{}

func (noRandom) Read([]byte) (int, error) {
	return 0, errors.New("transport: the cluster CA must be deterministic")
}

// NewIdentity derives the CA from secret and makes a fresh key and
// certificate for nodeID signed by it.
func NewIdentity(secret []byte, nodeID string) (*Identity, error) {
	if err := checkNodeID(nodeID); err != nil {
		return nil, err
	}
	caKey, caDER, err := DeriveCA(secret)
	if err != nil {
		return nil, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, fmt.Errorf("transport: parsing the cluster CA: %w", err)
	}
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("transport: node key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("transport: node certificate serial: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: nodeID},
		DNSNames:     []string{nodeID},
		NotBefore:    caNotBefore,
		NotAfter:     caNotAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, pub, caKey)
	if err != nil {
		return nil, fmt.Errorf("transport: node certificate for %q: %w", nodeID, err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("transport: parsing the node certificate: %w", err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	return &Identity{
		NodeID: nodeID,
		CA:     ca,
		CADER:  caDER,
		cert:   tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf},
		roots:  roots,
	}, nil
}

// checkNodeID accepts what the config accepts: 1-128 letters, digits, '.',
// '_' or '-'.
func checkNodeID(id string) error {
	if id == "" || len(id) > 128 {
		return fmt.Errorf("transport: invalid node id %q: use 1 to 128 letters, digits, '.', '_' or '-'", id)
	}
	for _, r := range id {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-'
		if !ok {
			return fmt.Errorf("transport: invalid node id %q: use 1 to 128 letters, digits, '.', '_' or '-'", id)
		}
	}
	return nil
}

// verifyPeer checks a peer's chain against the derived CA and returns the
// node id it claims.
func (id *Identity) verifyPeer(certs []*x509.Certificate, peerAddr string) (string, error) {
	if len(certs) == 0 {
		return "", fmt.Errorf("peer %s presented no certificate (not a custodes node?)", peerAddr)
	}
	leaf := certs[0]
	_, err := leaf.Verify(x509.VerifyOptions{
		Roots:       id.roots,
		CurrentTime: caNotBefore.Add(time.Hour), // inside the fixed window: clocks do not matter
		KeyUsages:   []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if err != nil {
		var ua x509.UnknownAuthorityError
		if errors.As(err, &ua) {
			return "", &SecretMismatchError{Peer: describe(peerAddr, leaf.Subject.CommonName),
				Detail: "its certificate is not signed by the CA derived from cluster.secret"}
		}
		return "", fmt.Errorf("peer %s: certificate refused: %w", describe(peerAddr, leaf.Subject.CommonName), err)
	}
	if err := checkNodeID(leaf.Subject.CommonName); err != nil {
		return "", fmt.Errorf("peer %s: certificate names no valid node id: %w", peerAddr, err)
	}
	return leaf.Subject.CommonName, nil
}

func describe(addr, nodeID string) string {
	if nodeID == "" {
		return addr
	}
	return fmt.Sprintf("%s (claims node %q)", addr, nodeID)
}

// serverConfig is the TLS config for accepted connections from addr.
func (id *Identity) serverConfig(remote net.Addr) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{id.cert},
		ClientAuth:   tls.RequireAnyClientCert,
		VerifyConnection: func(cs tls.ConnectionState) error {
			_, err := id.verifyPeer(cs.PeerCertificates, remote.String())
			return err
		},
	}
}

// clientConfig is the TLS config for dialing addr. The chain is checked by
// VerifyConnection against the derived CA; no hostname is checked.
func (id *Identity) clientConfig(addr string) *tls.Config {
	return &tls.Config{
		MinVersion:         tls.VersionTLS13,
		Certificates:       []tls.Certificate{id.cert},
		InsecureSkipVerify: true, // replaced by VerifyConnection below
		VerifyConnection: func(cs tls.ConnectionState) error {
			_, err := id.verifyPeer(cs.PeerCertificates, addr)
			return err
		},
	}
}

// classifyHandshake turns a failed handshake into a clear error: a peer
// that rejected our certificate with a TLS alert is one that does not
// share the secret (our certificate is valid for whoever does).
func classifyHandshake(err error, peerAddr string) error {
	var sm *SecretMismatchError
	if errors.As(err, &sm) {
		return err
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "remote error" && strings.Contains(op.Err.Error(), "certificate") {
		return &SecretMismatchError{Peer: peerAddr, Detail: "it rejected our certificate: " + op.Err.Error()}
	}
	return err
}
