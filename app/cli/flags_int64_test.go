package cli

import (
	"testing"
	"time"
)

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

func TestDurationFlag(t *testing.T) {
	for _, c := range []struct {
		env     map[string]string
		args    []string
		want    time.Duration
		wantErr bool
	}{
		{nil, nil, time.Minute, false},
		{map[string]string{"ARGONAUT_READ_TIMEOUT": "90s"}, nil, 90 * time.Second, false},
		{map[string]string{"ARGONAUT_READ_TIMEOUT": "90s"}, []string{"--read-timeout", "5m"}, 5 * time.Minute, false},
		{nil, []string{"--read-timeout", "0s"}, 0, true},
		{nil, []string{"--read-timeout", "-1m"}, 0, true},
		{nil, []string{"--read-timeout", "60"}, 0, true}, // a unit is required
	} {
		var got time.Duration
		f := newFlags("argonaut test", "Test.", func(k string) string { return c.env[k] })
		f.Duration(&got, "read-timeout", "DURATION", time.Minute, "Timeout.")
		_, err := f.parse(c.args)
		if (err != nil) != c.wantErr {
			t.Fatalf("env %v args %v: err = %v, want error %v", c.env, c.args, err, c.wantErr)
		}
		if err == nil && got != c.want {
			t.Errorf("env %v args %v: got %v, want %v", c.env, c.args, got, c.want)
		}
	}
}
