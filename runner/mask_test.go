package runner

import (
	"sync"
	"testing"
)

func TestLineMasker(t *testing.T) {
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
			m := NewLineMasker(tt.secrets...)
			if got := m.MaskLine(tt.line); got != tt.want {
				t.Errorf("MaskLine(%q) = %q, want %q", tt.line, got, tt.want)
			}
		})
	}
}

func TestLineMaskerConcurrent(t *testing.T) {
	var m LineMasker
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(2)
		go func() { defer wg.Done(); m.Add(string(rune('a'+i)) + "secret") }()
		go func() { defer wg.Done(); _ = m.MaskLine("asecret bsecret") }()
	}
	wg.Wait()
	if got := m.MaskLine("asecret dsecret"); got != "******** ********" {
		t.Errorf("got %q", got)
	}
}
