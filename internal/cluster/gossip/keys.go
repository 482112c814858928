package gossip

import (
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/hashicorp/memberlist"
)

// MinSecretLen is the shortest cluster secret accepted (as in the config).
const MinSecretLen = 16

// gossipKeyInfo separates the gossip key from other keys derived from the
// same cluster secret; bump the version to change the derivation.
const gossipKeyInfo = "custodes gossip v1"

// ErrKeyMismatch is matched (errors.Is) by the error of a join that failed
// because the peer encrypts gossip with another key.
var ErrKeyMismatch = errors.New("gossip: peer uses another encryption key (is cluster.secret the same on every node?)")

// GossipKey derives the 32-byte AES-256-GCM gossip key from the cluster
// secret: HKDF-SHA256, no salt, info "custodes gossip v1".
func GossipKey(secret []byte) ([]byte, error) {
	return deriveKey("Secret", secret)
}

func deriveKey(field string, secret []byte) ([]byte, error) {
	if len(secret) < MinSecretLen {
		return nil, fmt.Errorf("gossip: %s must be at least %d bytes, got %d", field, MinSecretLen, len(secret))
	}
	key, err := hkdf.Key(sha256.New, secret, nil, gossipKeyInfo, 32)
	if err != nil {
		return nil, fmt.Errorf("gossip: derive key: %w", err)
	}
	return key, nil
}

// keyring builds memberlist's keyring: messages are encrypted with the key
// of secret, and accepted when encrypted with it or with the key of any of
// extra (a rolling change of cluster.secret).
func keyring(secret []byte, extra [][]byte) (*memberlist.Keyring, error) {
	primary, err := deriveKey("Secret", secret)
	if err != nil {
		return nil, err
	}
	var others [][]byte
	for i, s := range extra {
		k, err := deriveKey(fmt.Sprintf("ExtraSecrets[%d]", i), s)
		if err != nil {
			return nil, err
		}
		others = append(others, k)
	}
	kr, err := memberlist.NewKeyring(others, primary)
	if err != nil {
		return nil, fmt.Errorf("gossip: keyring: %w", err)
	}
	return kr, nil
}
