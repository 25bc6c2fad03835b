package server_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/argonautdeploy/argonaut/app"
)

// TestPortalPackagesPaging: Library › Packages shows one row per package
// ID (its newest version), 30 to a page, and filters by ID.
func TestPortalPackagesPaging(t *testing.T) {
	s := startPortalServer(t, true)
	ctx := context.Background()
	for i := 0; i < 35; i++ {
		for _, v := range []string{"1.0.0", "1.10.0", "1.9.0"} {
			name := fmt.Sprintf("Acme.Pkg%02d.%s.zip", i, v)
			if _, _, err := s.Feed.PushPackage(ctx, app.DefaultSpaceID, name, bytes.NewReader(zipOf(t, map[string]string{"f": name})), app.FailIfExists); err != nil {
				t.Fatal(err)
			}
		}
	}
	c := portalClient()
	token := formToken(t, c, s.URL+"/app/login")
	if resp, _ := postForm(t, c, s.URL+"/app/login", url.Values{"csrf_token": {token}, "username": {"admin"},
		"password": {"correct-horse-battery"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %d", resp.StatusCode)
	}
	page := func(query string) string {
		t.Helper()
		req, _ := http.NewRequest("GET", s.URL+"/app/library/packages"+query, nil)
		status, body := send(t, c, req)
		if status != 200 {
			t.Fatalf("GET packages%s: %d", query, status)
		}
		return body
	}
	first := page("")
	if n := strings.Count(first, `data-testid="package-row"`); n != 30 {
		t.Errorf("first page: %d rows, want 30", n)
	}
	if strings.Count(first, `data-testid="package-latest">1.10.0<`) != 30 {
		t.Errorf("the rows do not all show the newest version 1.10.0")
	}
	if !strings.Contains(first, `data-testid="packages-next"`) || strings.Contains(first, `data-testid="packages-prev"`) {
		t.Errorf("first page: wrong pager links")
	}
	second := page("?skip=30")
	if n := strings.Count(second, `data-testid="package-row"`); n != 5 || !strings.Contains(second, `data-testid="packages-prev"`) || strings.Contains(second, `data-testid="packages-next"`) {
		t.Errorf("second page: %d rows, want 5 and only a previous link", n)
	}
	if n := strings.Count(page("?filter=pkg0"), `data-testid="package-row"`); n != 10 {
		t.Errorf("filter pkg0: %d rows, want 10", n)
	}
	versions := page("/Acme.Pkg07")
	if n := strings.Count(versions, `data-testid="package-version-row"`); n != 3 {
		t.Errorf("package page: %d versions, want 3", n)
	}
	// A filter is shown back escaped.
	if body := page("?filter=" + url.QueryEscape(`"><script>x</script>`)); strings.Contains(body, "<script>x</script>") {
		t.Error("the filter was echoed unescaped")
	}
}
