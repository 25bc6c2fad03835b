package server_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/argonautdeploy/argonaut/app/server"
)

func openServer(t *testing.T) *server.Server {
	t.Helper()
	s := server.New(server.Config{DataDir: t.TempDir(), Listen: "127.0.0.1:0"})
	if err := s.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func get(t *testing.T, url string, header ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// TestMetrics checks that requests are counted by route pattern (never by
// raw path), that the store size and runtime collectors are exported, and
// that two servers in one process each have their own registry.
func TestMetrics(t *testing.T) {
	a, b := openServer(t), openServer(t)
	get(t, a.URL+"/livez")
	get(t, a.URL+"/api/")
	get(t, a.URL+"/api/Spaces-1/environments/Environments-42")
	for _, p := range []string{"/no/such/page-1", "/no/such/page-2"} {
		if resp, _ := get(t, a.URL+p); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", p, resp.StatusCode)
		}
	}
	resp, body := get(t, a.URL+"/metrics")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: status %d", resp.StatusCode)
	}
	for _, want := range []string{
		`argonaut_http_requests_total{method="GET",route="/livez",status="200"} 1`,
		`argonaut_http_requests_total{method="GET",route="/api",status="200"} 1`,
		`argonaut_http_requests_total{method="GET",route="unmatched",status="404"} 2`,
		`argonaut_http_request_duration_seconds_bucket{method="GET",route="/livez",le="+Inf"} 1`,
		`argonaut_store_size_bytes{part="lsm"}`,
		`argonaut_store_size_bytes{part="vlog"}`,
		`argonaut_build_info{`,
		`go_goroutines `,
		`process_resident_memory_bytes `,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	for _, raw := range []string{"Environments-42", "page-1"} {
		if strings.Contains(body, raw) {
			t.Errorf("/metrics has a raw path segment %q as a label", raw)
		}
	}
	if !strings.Contains(body, `/environments/:id",status="401"} 1`) {
		t.Errorf("/metrics lacks the environment route pattern:\n%s", grep(body, "argonaut_http_requests_total"))
	}

	_, other := get(t, b.URL+"/metrics")
	if strings.Contains(other, `route="/livez"`) || strings.Contains(other, `route="unmatched"`) {
		t.Errorf("second server's metrics count the first server's requests:\n%s", grep(other, "argonaut_http_requests_total"))
	}
}

func TestRequestID(t *testing.T) {
	s := openServer(t)
	tests := []struct {
		name, sent string
		keep       bool
	}{
		{"none", "", false},
		{"well-formed kept", "trace-01.abc_DEF", true},
		{"spaces replaced", "two words", false},
		{"too long replaced", strings.Repeat("a", 65), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var hdr []string
			if tc.sent != "" {
				hdr = []string{server.RequestIDHeader, tc.sent}
			}
			resp, _ := get(t, s.URL+"/livez", hdr...)
			got := resp.Header.Get(server.RequestIDHeader)
			switch {
			case tc.keep && got != tc.sent:
				t.Errorf("request id = %q, want %q kept", got, tc.sent)
			case !tc.keep && (got == "" || got == tc.sent):
				t.Errorf("request id = %q, want a fresh one", got)
			}
		})
	}
}

func grep(s, prefix string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
