package web

import "testing"

func TestSafeNext(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "/app"},
		{"/app", "/app"},
		{"/app/projects?x=1", "/app/projects?x=1"},
		{"https://evil.example/app", "/app"},
		{"//evil.example/app", "/app"},
		{"/\\evil.example", "/app"},
		{"/app\\..\\x", "/app"},
		{"/app\r\nSet-Cookie: x=1", "/app"},
		{"javascript:alert(1)", "/app"},
		{"/api/users/me", "/app"},
		{"/app//evil.example", "/app//evil.example"},
	}
	for _, tt := range tests {
		if got := safeNext(tt.in); got != tt.want {
			t.Errorf("safeNext(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
