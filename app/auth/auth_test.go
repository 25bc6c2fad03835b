package auth

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

func TestPasswordHashRoundTrip(t *testing.T) {
	h, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$") {
		t.Fatalf("hash %q is not argon2id PHC", h)
	}
	if !CheckPassword(h, "correct horse") {
		t.Fatal("right password refused")
	}
	for _, wrong := range []string{"", "correct horse ", "Correct horse"} {
		if CheckPassword(h, wrong) {
			t.Fatalf("wrong password %q accepted", wrong)
		}
	}
	h2, _ := HashPassword("correct horse")
	if h == h2 {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	for _, bad := range []string{"", "plain", "$argon2id$v=19$m=1,t=1,p=0$AAAA$AAAA", "$argon2i$v=19$m=65536,t=3,p=2$AAAA$AAAA",
		"$argon2id$v=19$m=99999999,t=3,p=2$AAAA$AAAA"} {
		if CheckPassword(bad, "x") {
			t.Fatalf("malformed hash %q accepted", bad)
		}
	}
}

func TestAPIKeys(t *testing.T) {
	key, hash, err := NewAPIKey()
	if err != nil {
		t.Fatal(err)
	}
	// The Octopus clients refuse any other shape before sending.
	if !regexp.MustCompile(`^API-[A-Z0-9]{26,}$`).MatchString(key) {
		t.Fatalf("key %q has the wrong shape", key)
	}
	if got, err := APIKeyHash(key); err != nil || got != hash {
		t.Fatalf("APIKeyHash = %q, %v; want %q", got, err, hash)
	}
	if strings.Contains(hash, key[4:]) {
		t.Fatal("hash contains the key")
	}
	other, _, _ := NewAPIKey()
	if other == key {
		t.Fatal("two keys are equal")
	}
	for _, bad := range []string{"", "API-", "API-ABC", "api-" + key[4:], key + "!", "API-" + strings.ToLower(key[4:]), " " + key,
		"API-" + strings.Repeat("A", 65)} {
		if _, err := APIKeyHash(bad); !errors.Is(err, ErrMalformedKey) {
			t.Errorf("APIKeyHash(%q) err = %v, want ErrMalformedKey", bad, err)
		}
	}
}

func TestTokens(t *testing.T) {
	a, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewToken()
	if a == b || len(a) < 43 {
		t.Fatalf("tokens %q %q", a, b)
	}
	if !EqualTokens(a, a) || EqualTokens(a, b) || EqualTokens(a, "") {
		t.Fatal("EqualTokens is wrong")
	}
}
