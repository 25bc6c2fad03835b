package server_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/argonautdeploy/argonaut/app/server"
)

// TestDeleteReferencedPackageOverHTTP: DELETE of a version a release uses
// answers 409 naming the release, retention keeps it, and once the
// release is deleted the version can go.
func TestDeleteReferencedPackageOverHTTP(t *testing.T) {
	s := startFeedServer(t, server.Config{})
	for _, v := range []string{"1.0.0", "1.1.0", "1.2.0"} {
		if r := s.push(t, "", "Acme.Ref."+v+".zip", bytes.NewReader(zipOf(t, map[string]string{"v": v})), ""); r.status != 201 {
			t.Fatalf("push %s: %d %s", v, r.status, r.body)
		}
	}
	rel := releaseOfPackage(t, s.DB, "Acme.Ref", "1.0")

	r := s.do(t, "DELETE", "/api/Spaces-1/packages/packages-Acme.Ref.1.0.0", nil, nil)
	if r.status != 409 || !strings.Contains(r.errorMessage(), "release 1.0.0") || !strings.Contains(r.errorMessage(), "Uses Acme.Ref") {
		t.Fatalf("delete of a referenced version: %d %q, want 409 naming the release", r.status, r.errorMessage())
	}
	if r := s.do(t, "PUT", "/api/feeds/feeds-builtin", strings.NewReader(`{"PackageRetentionVersionsToKeep":1}`), nil); r.status != 200 {
		t.Fatalf("put feed: %d %s", r.status, r.body)
	}
	var run struct {
		Removed        []packageDTO
		KeptReferenced int
	}
	r = s.do(t, "POST", "/api/feeds/feeds-builtin/retention/run", nil, nil)
	r.decode(t, &run)
	if len(run.Removed) != 1 || run.Removed[0].Version != "1.1.0" || run.KeptReferenced != 1 {
		t.Fatalf("retention: %d %s, want 1.1.0 removed and one version kept for the release", r.status, r.body)
	}
	if r := s.do(t, "GET", "/api/Spaces-1/packages/packages-Acme.Ref.1.0.0", nil, nil); r.status != 200 {
		t.Fatalf("referenced version after retention: %d", r.status)
	}

	if err := s.DB.DeleteRelease(context.Background(), "", rel.ID); err != nil {
		t.Fatal(err)
	}
	if r := s.do(t, "DELETE", "/api/Spaces-1/packages/packages-Acme.Ref.1.0.0", nil, nil); r.status != 200 {
		t.Fatalf("delete after the release is gone: %d %s", r.status, r.body)
	}
}
