package api

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"sync"

	"golang.org/x/crypto/bcrypt"
)

// maxRememberedPasswords bounds the cache of verified passwords.
const maxRememberedPasswords = 16

// basicChecker verifies security.basic credentials. bcrypt is deliberately
// slow (tens of milliseconds), so a password that verified once is
// remembered as an HMAC under a per-process random key: later requests
// with it cost a hash, not a bcrypt. Failures are never remembered, so
// guessing always pays the full bcrypt price.
type basicChecker struct {
	username []byte
	hash     []byte
	macKey   [32]byte

	mu       sync.Mutex
	verified map[[sha256.Size]byte]struct{}
}

func newBasicChecker(b BasicAuth) *basicChecker {
	c := &basicChecker{
		username: []byte(b.Username),
		hash:     append([]byte(nil), b.PasswordHash...),
		verified: make(map[[sha256.Size]byte]struct{}),
	}
	_, _ = rand.Read(c.macKey[:]) // crypto/rand.Read never fails (Go 1.24+)
	return c
}

// check reports whether username and password are the configured ones.
// The username is compared in constant time.
func (c *basicChecker) check(username, password string) bool {
	userOK := subtle.ConstantTimeCompare([]byte(username), c.username) == 1
	mac := hmac.New(sha256.New, c.macKey[:])
	mac.Write([]byte(password))
	var sum [sha256.Size]byte
	mac.Sum(sum[:0])

	c.mu.Lock()
	_, known := c.verified[sum]
	c.mu.Unlock()
	if known {
		return userOK
	}
	if bcrypt.CompareHashAndPassword(c.hash, []byte(password)) != nil {
		return false
	}
	c.mu.Lock()
	if len(c.verified) >= maxRememberedPasswords {
		clear(c.verified)
	}
	c.verified[sum] = struct{}{}
	c.mu.Unlock()
	return userOK
}

// protect requires security.basic credentials when they are configured,
// answering as Gatus does: 401, "WWW-Authenticate: Basic", "Unauthorized".
func (s *server) protect(next http.Handler) http.Handler {
	if s.basic == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		if !ok || !s.basic.check(user, pass) {
			w.Header().Set("WWW-Authenticate", "Basic")
			textError(w, http.StatusUnauthorized, "Unauthorized")
			return
		}
		next.ServeHTTP(w, r)
	})
}
