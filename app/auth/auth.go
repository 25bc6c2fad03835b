// Package auth hashes passwords, mints and checks API keys and session
// tokens, and throttles failed sign-ins. It holds no state of its own beyond
// the throttle; users, keys and sessions live behind app.UserService.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters (RFC 9106's second recommended option, lighter memory).
const (
	argonTime    = 3
	argonMemory  = 64 * 1024 // KiB
	argonThreads = 2
	argonKeyLen  = 32
	argonSaltLen = 16
)

// HashPassword returns an argon2id hash in the PHC string format.
func HashPassword(password string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("auth: salt: %w", err)
	}
	sum := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(sum)), nil
}

// CheckPassword reports whether password matches a hash from HashPassword,
// comparing in constant time.
func CheckPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var version int
	var mem uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &t, &p); err != nil || mem > 1<<22 || t > 100 || p == 0 {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, mem, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// apiKeyAlphabet is what Octopus clients accept after "API-": ^API-[A-Z0-9]+$.
const apiKeyAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// apiKeyLength is the number of random characters after "API-" (≈160 bits).
const apiKeyLength = 31

var apiKeyRe = regexp.MustCompile(`^API-[A-Z0-9]{26,64}$`)

// NewAPIKey returns a fresh key "API-…" and the hash to store for it.
func NewAPIKey() (key, hash string, err error) {
	buf := make([]byte, apiKeyLength)
	if _, err := rand.Read(buf); err != nil {
		return "", "", fmt.Errorf("auth: api key: %w", err)
	}
	var b strings.Builder
	b.WriteString("API-")
	for _, c := range buf {
		// 256 % 36 = 4: the bias is under 2 % per character and irrelevant at this length.
		b.WriteByte(apiKeyAlphabet[int(c)%len(apiKeyAlphabet)])
	}
	key = b.String()
	return key, HashToken(key), nil
}

// ErrMalformedKey is returned for strings that cannot be API keys.
var ErrMalformedKey = errors.New("auth: malformed API key")

// APIKeyHash validates the shape of a presented key and returns its hash.
// Keys carry enough entropy that a plain SHA-256 is the right stored form:
// a slow hash would only slow down every API call.
func APIKeyHash(key string) (string, error) {
	if !apiKeyRe.MatchString(key) {
		return "", ErrMalformedKey
	}
	return HashToken(key), nil
}

// HashToken returns the hex SHA-256 of a random token (API key, session).
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// NewToken returns a random URL-safe token with 256 bits of entropy.
func NewToken() (string, error) {
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("auth: token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(buf), nil
}

// EqualTokens compares two secrets in constant time.
func EqualTokens(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
