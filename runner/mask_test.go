package runner

import (
	"sync"
	"testing"
)

func TestMasker(t *testing.T) {
	tests := []struct {
		name    string
		secrets []string
		line    string
		want    string
	}{
		{"no secrets", nil, "hello", "hello"},
		{"one", []string{"hunter2"}, "pw=hunter2!", "pw=********!"},
		{"every occurrence", []string{"abcd"}, "abcd abcd", "******** ********"},
		{"too short is ignored", []string{"abc"}, "abc", "abc"},
		{"overlapping secrets merge", []string{"abcdef", "defghi"}, "xabcdefghix", "x********x"},
		{"contained secret", []string{"password123", "word"}, "password123 word", "******** ********"},
		{"self-overlap", []string{"aaaa"}, "aaaaaa", "********"},
		{"multi-line secret masked per line", []string{"line-one\nline-two"}, "line-two", "********"},
		{"unicode", []string{"pässwörd"}, "« pässwörd »", "« ******** »"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := NewMasker(tt.secrets...)
			if got := m.String(tt.line); got != tt.want {
				t.Errorf("String(%q) = %q, want %q", tt.line, got, tt.want)
			}
		})
	}
}

func TestMaskerConcurrent(t *testing.T) {
	m := NewMasker()
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(2)
		go func() { defer wg.Done(); m.Add(string(rune('a'+i)) + "secret") }()
		go func() { defer wg.Done(); _ = m.String("asecret bsecret") }()
	}
	wg.Wait()
	if got := m.String("asecret dsecret"); got != "******** ********" {
		t.Errorf("got %q", got)
	}
}
