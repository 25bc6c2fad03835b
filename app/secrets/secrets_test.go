package secrets

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func mustCipher(t *testing.T) (*Cipher, Key) {
	t.Helper()
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewCipher(k)
	if err != nil {
		t.Fatal(err)
	}
	return c, k
}

func TestSealOpenRoundTrip(t *testing.T) {
	c, _ := mustCipher(t)
	for _, pt := range []string{"", "x", "p@ss w0rd\nline two", strings.Repeat("é", 10000)} {
		sealed, err := c.Seal([]byte(pt), []byte("var-1"))
		if err != nil {
			t.Fatal(err)
		}
		if len(pt) >= 4 && strings.Contains(sealed, pt) { // a 1-char text can occur in base64 by chance
			t.Fatalf("sealed value contains the plaintext")
		}
		got, err := c.Open(sealed, []byte("var-1"))
		if err != nil || string(got) != pt {
			t.Fatalf("Open = %q, %v; want %q", got, err, pt)
		}
	}
}

func TestSealUsesFreshNonces(t *testing.T) {
	c, _ := mustCipher(t)
	a, _ := c.Seal([]byte("same"), []byte("id"))
	b, _ := c.Seal([]byte("same"), []byte("id"))
	if a == b {
		t.Fatal("two seals of the same value are identical: nonce reused")
	}
}

func TestOpenFailsClosed(t *testing.T) {
	c, _ := mustCipher(t)
	other, _ := mustCipher(t)
	sealed, _ := c.Seal([]byte("secret"), []byte("var-1"))
	flipped := []byte(sealed)
	flipped[len(flipped)-3] ^= 1
	tests := []struct {
		name   string
		c      *Cipher
		sealed string
		ad     string
	}{
		{"wrong key", other, sealed, "var-1"},
		{"wrong associated data (value moved to another variable)", c, sealed, "var-2"},
		{"tampered", c, string(flipped), "var-1"},
		{"no prefix", c, strings.TrimPrefix(sealed, "v1:"), "var-1"},
		{"truncated", c, sealed[:10], "var-1"},
		{"not base64", c, "v1:!!!", "var-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.c.Open(tt.sealed, []byte(tt.ad)); !errors.Is(err, ErrDecrypt) {
				t.Fatalf("got %v, want ErrDecrypt", err)
			}
		})
	}
}

func TestCheckValue(t *testing.T) {
	c, _ := mustCipher(t)
	other, _ := mustCipher(t)
	check, err := c.CheckValue()
	if err != nil {
		t.Fatal(err)
	}
	if !c.Verify(check) {
		t.Error("the key does not verify its own check value")
	}
	if other.Verify(check) {
		t.Error("another key verifies the check value")
	}
}

func TestParseKey(t *testing.T) {
	k, _ := GenerateKey()
	for _, s := range []string{k.Encode(), " " + k.Encode() + "\n", hex.EncodeToString(k[:])} {
		got, err := ParseKey(s)
		if err != nil || got != k {
			t.Errorf("ParseKey(%q) = %v", s, err)
		}
	}
	for _, s := range []string{"", "short", strings.Repeat("a", 63)} {
		if _, err := ParseKey(s); err == nil {
			t.Errorf("ParseKey(%q) accepted", s)
		}
	}
	if k.String() != "********" || strings.Contains(k.String(), k.Encode()) {
		t.Error("Key.String reveals the key")
	}
}

func TestLoadKeyAndKeyFile(t *testing.T) {
	dir := t.TempDir()
	k, src, err := LoadKey(dir, "")
	if err != nil || src != KeyGeneratedHere {
		t.Fatalf("LoadKey on empty dir = %v, %v", src, err)
	}
	if _, err := os.Stat(filepath.Join(dir, KeyFileName)); !os.IsNotExist(err) {
		t.Fatal("LoadKey wrote the key file before the caller accepted it")
	}
	if err := WriteKeyFile(filepath.Join(dir, KeyFileName), k); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, KeyFileName))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode = %v, %v; want 0600", fi.Mode(), err)
	}
	again, src, err := LoadKey(dir, "")
	if err != nil || src != KeyFromFile || again != k {
		t.Fatalf("reload = %v, %v", src, err)
	}
	other, _ := GenerateKey()
	got, src, err := LoadKey(dir, other.Encode())
	if err != nil || src != KeyFromConfig || got != other {
		t.Fatalf("configured key = %v, %v", src, err)
	}
	if _, _, err := LoadKey(dir, "garbage"); err == nil {
		t.Fatal("a malformed configured key was accepted")
	}
	os.WriteFile(filepath.Join(dir, KeyFileName), []byte("garbage"), 0o600)
	if _, _, err := LoadKey(dir, ""); err == nil || !strings.Contains(err.Error(), KeyFileName) {
		t.Fatalf("a malformed key file: %v", err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, KeyFileName))
	if !bytes.Equal(b, []byte("garbage")) {
		t.Fatal("LoadKey overwrote a malformed key file")
	}
}
