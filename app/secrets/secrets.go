// Package secrets encrypts sensitive values at rest with AES-256-GCM under
// the server's master key. It uses only the standard library.
//
// Every value gets its own random 96-bit nonce and is bound to associated
// data chosen by the caller (the variable's ID), so a ciphertext copied onto
// another record does not decrypt. A sealed value is the text
// "v1:" + base64(nonce || ciphertext || tag); the version prefix leaves room
// for another scheme later.
package secrets

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the master key length in bytes (AES-256).
const KeySize = 32

// KeyFileName is the master key file in the data directory.
const KeyFileName = "master.key"

const prefix = "v1:"

// ErrDecrypt is returned when a value does not decrypt: wrong key, wrong
// associated data, or a damaged value.
var ErrDecrypt = errors.New("secrets: value does not decrypt with this master key")

// Key is a master key.
type Key [KeySize]byte

// String never reveals the key.
func (Key) String() string { return "********" }

// Encode returns the key as standard base64, the form key files and
// ARGONAUT_MASTER_KEY hold.
func (k Key) Encode() string { return base64.StdEncoding.EncodeToString(k[:]) }

// GenerateKey returns a new random key.
func GenerateKey() (Key, error) {
	var k Key
	if _, err := rand.Read(k[:]); err != nil {
		return k, fmt.Errorf("secrets: generate key: %w", err)
	}
	return k, nil
}

// ParseKey reads a key written as base64 (standard or URL alphabet) or as
// 64 hex digits; surrounding white space is ignored.
func ParseKey(s string) (Key, error) {
	var k Key
	s = strings.TrimSpace(s)
	for _, dec := range []func(string) ([]byte, error){
		base64.StdEncoding.DecodeString, base64.URLEncoding.DecodeString,
		base64.RawStdEncoding.DecodeString, base64.RawURLEncoding.DecodeString, hex.DecodeString,
	} {
		if b, err := dec(s); err == nil && len(b) == KeySize {
			copy(k[:], b)
			return k, nil
		}
	}
	return k, fmt.Errorf("secrets: the master key must be %d bytes written as base64 or hex", KeySize)
}

// ReadKeyFile reads a key file.
func ReadKeyFile(path string) (Key, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Key{}, fmt.Errorf("secrets: read master key: %w", err)
	}
	k, err := ParseKey(string(b))
	if err != nil {
		return Key{}, fmt.Errorf("%w (in %s)", err, path)
	}
	return k, nil
}

// WriteKeyFile writes k to path with mode 0600, durably: a temporary file
// is written and synced, then renamed into place.
func WriteKeyFile(path string, k Key) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".master.key-*")
	if err != nil {
		return fmt.Errorf("secrets: write master key: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("secrets: write master key: %w", err)
	}
	if _, err := tmp.WriteString(k.Encode() + "\n"); err != nil {
		tmp.Close()
		return fmt.Errorf("secrets: write master key: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("secrets: write master key: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("secrets: write master key: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("secrets: write master key: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// KeySource says where LoadKey found the key.
type KeySource int

// Key sources.
const (
	KeyFromConfig    KeySource = iota // given explicitly (flag or ARGONAUT_MASTER_KEY[_FILE])
	KeyFromFile                       // <data dir>/master.key
	KeyGeneratedHere                  // no key anywhere: a new one, not yet written
)

// LoadKey returns the configured key if configured is not empty, otherwise
// the key in dataDir/master.key, otherwise a freshly generated key that the
// caller must persist with WriteKeyFile once the store has accepted it.
func LoadKey(dataDir, configured string) (Key, KeySource, error) {
	if strings.TrimSpace(configured) != "" {
		k, err := ParseKey(configured)
		return k, KeyFromConfig, err
	}
	path := filepath.Join(dataDir, KeyFileName)
	k, err := ReadKeyFile(path)
	if err == nil {
		return k, KeyFromFile, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return Key{}, 0, err
	}
	k, err = GenerateKey()
	return k, KeyGeneratedHere, err
}

// Cipher seals and opens values under one key. It is safe for concurrent use.
type Cipher struct {
	aead cipher.AEAD
}

// NewCipher returns a Cipher for k.
func NewCipher(k Key) (*Cipher, error) {
	block, err := aes.NewCipher(k[:])
	if err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	return &Cipher{aead: aead}, nil
}

// Seal encrypts plaintext bound to ad with a fresh random nonce.
func (c *Cipher) Seal(plaintext, ad []byte) (string, error) {
	nonce := make([]byte, c.aead.NonceSize(), c.aead.NonceSize()+len(plaintext)+c.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("secrets: nonce: %w", err)
	}
	out := c.aead.Seal(nonce, nonce, plaintext, ad)
	return prefix + base64.StdEncoding.EncodeToString(out), nil
}

// Open decrypts a value sealed with the same key and ad; ErrDecrypt otherwise.
func (c *Cipher) Open(sealed string, ad []byte) ([]byte, error) {
	rest, ok := strings.CutPrefix(sealed, prefix)
	if !ok {
		return nil, ErrDecrypt
	}
	b, err := base64.StdEncoding.DecodeString(rest)
	if err != nil || len(b) < c.aead.NonceSize()+c.aead.Overhead() {
		return nil, ErrDecrypt
	}
	n := c.aead.NonceSize()
	pt, err := c.aead.Open(nil, b[:n], b[n:], ad)
	if err != nil {
		return nil, ErrDecrypt
	}
	return pt, nil
}

// checkPlaintext is what the key check value decrypts to.
var checkPlaintext = []byte("argonaut master key check v1")

var checkAD = []byte("argonaut/master-key-check")

// CheckValue returns a value the store keeps so that a later start can tell
// whether it was given the same key.
func (c *Cipher) CheckValue() (string, error) { return c.Seal(checkPlaintext, checkAD) }

// Verify reports whether check was made by CheckValue under this key.
func (c *Cipher) Verify(check string) bool {
	pt, err := c.Open(check, checkAD)
	return err == nil && bytes.Equal(pt, checkPlaintext)
}
