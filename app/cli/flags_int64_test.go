package cli

import "testing"

func TestInt64FlagFromEnvAndCommandLine(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		args []string
		want int64
	}{
		{nil, nil, 0},
		{map[string]string{"ARGONAUT_MAX_PACKAGE_BYTES": "21474836480"}, nil, 20 << 30},
		{map[string]string{"ARGONAUT_MAX_PACKAGE_BYTES": "5"}, []string{"--max-package-bytes", "7"}, 7},
	} {
		var got int64
		f := newFlags("argonaut test", "Test.", func(k string) string { return c.env[k] })
		f.Int64(&got, "max-package-bytes", "N", 0, "Max.")
		if _, err := f.parse(c.args); err != nil {
			t.Fatalf("parse %v: %v", c.args, err)
		}
		if got != c.want {
			t.Errorf("env %v args %v: got %d, want %d", c.env, c.args, got, c.want)
		}
	}
	var v int64
	f := newFlags("argonaut test", "Test.", func(string) string { return "" })
	f.Int64(&v, "max-package-bytes", "N", 0, "Max.")
	if _, err := f.parse([]string{"--max-package-bytes", "-1"}); err == nil {
		t.Error("a negative size was accepted")
	}
}
