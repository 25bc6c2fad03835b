package server_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/argonautdeploy/argonaut/app/api"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// testPackagesFlow uploads a zip through Library › Packages (script: XHR
// with a progress bar), finds it listed with its version and hash,
// downloads it with the browser's session, is refused deleting it while a
// release uses it, and deletes it once the release is gone. The form
// without script (a plain multipart post to the portal) is checked too.
func testPackagesFlow(t *testing.T, ctx context.Context) {
	s := startPortalServer(t, true)
	content := zipOf(t, map[string]string{"index.html": "<h1>hello</h1>"})
	want := sha(content)
	file := filepath.Join(t.TempDir(), "Acme.Browser.1.2.3.zip")
	if err := os.WriteFile(file, content, 0o600); err != nil {
		t.Fatal(err)
	}

	do(t, ctx, "sign in and open Library › Packages",
		chromedp.Navigate(s.URL+"/app/library"),
		chromedp.WaitVisible(testid("login-form")),
		chromedp.SendKeys(testid("login-username"), "admin"),
		chromedp.SendKeys(testid("login-password"), "correct-horse-battery"),
		chromedp.Click(testid("login-submit")),
		chromedp.Click(testid("library-packages")),
		waitText("page-title", "Packages"),
		chromedp.WaitVisible(testid("packages-empty")),
	)
	// Record what the page's script does: sessionStorage outlives the
	// navigation that follows a successful upload.
	run(t, ctx, "watch uploads", chromedp.Evaluate[bool](`(() => {
		const send = XMLHttpRequest.prototype.send;
		XMLHttpRequest.prototype.send = function (body) {
			this.upload.addEventListener("progress", e => sessionStorage.setItem("upload-progress", e.loaded + "/" + e.total));
			this.addEventListener("load", () => sessionStorage.setItem("upload-status", String(this.status)));
			return send.call(this, body);
		};
		return true;
	})()`))
	do(t, ctx, "upload a zip",
		chromedp.SetUploadFiles(testid("package-upload-file"), []string{file}),
		chromedp.Click(testid("package-upload-submit")),
		waitText("page-title", "Acme.Browser"),
		waitText("package-version", "1.2.3"),
		waitText("package-hash", want),
		waitText("package-pushed-by", "admin"),
	)
	if st := run(t, ctx, "read the upload record", chromedp.Evaluate[string](`sessionStorage.getItem("upload-status") + " " + sessionStorage.getItem("upload-progress")`)); !strings.HasPrefix(st, "201 ") || strings.HasSuffix(st, "null") {
		t.Errorf("the upload did not go through the script's XHR with progress events: %q", st)
	}
	do(t, ctx, "the same version again is refused, in the page",
		chromedp.SetUploadFiles(testid("package-upload-file"), []string{file}),
		chromedp.Click(testid("package-upload-submit")),
		waitText("package-upload-status", "already exists"),
	)
	do(t, ctx, "see it in the list, and filter",
		chromedp.Click(testid("packages-back")),
		waitText("package-link", "Acme.Browser"),
		waitText("package-latest", "1.2.3"),
		chromedp.SendKeys(testid("packages-filter"), "nothing-like-it\n"),
		chromedp.WaitVisible(testid("packages-empty")),
		chromedp.Navigate(s.URL+"/app/library/packages?filter=browser"),
		waitText("package-latest", "1.2.3"),
		chromedp.Click(testid("package-link")),
		waitText("package-hash", want),
	)

	// Download with the browser's session cookie.
	href := run(t, ctx, "read the download link", chromedp.Evaluate[string](`document.querySelector('[data-testid="package-download"]').href`))
	cookies, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{s.URL}})
	if err != nil {
		t.Fatal(err)
	}
	var session string
	for _, c := range cookies.Cookies {
		if c.Name == api.SessionCookie {
			session = c.Value
		}
	}
	req, _ := http.NewRequest("GET", href, nil)
	req.AddCookie(&http.Cookie{Name: api.SessionCookie, Value: session})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || sha(got) != want {
		t.Fatalf("download %s: status %d, sha256 %s, want %s (%v)", href, resp.StatusCode, sha(got), want, err)
	}

	// A release that uses the version keeps it.
	rel := releaseOfPackage(t, s.DB, "Acme.Browser", "1.2.3")
	do(t, ctx, "delete refused while a release uses it",
		chromedp.Click(testid("package-delete")),
		waitText("form-error", "release 1.0.0"),
		waitText("package-version", "1.2.3"),
	)
	if err := s.DB.DeleteRelease(context.Background(), "", rel.ID); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, "delete once the release is gone",
		chromedp.Click(testid("package-delete")),
		waitText("flash", "Deleted Acme.Browser version 1.2.3."),
		waitText("page-title", "Packages"),
		chromedp.WaitVisible(testid("packages-empty")),
	)

	// Without script the form posts multipart to the portal, which streams
	// it to the feed; the CSRF token is the form's first field.
	csrf := run(t, ctx, "read the form's token", chromedp.Evaluate[string](`document.querySelector('[data-testid="package-upload-form"] input[name="csrf_token"]').value`))
	form := func(fields ...string) (*bytes.Buffer, string) {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		for _, f := range fields {
			if f == "file" {
				fw, _ := mw.CreateFormFile("file", "Acme.NoScript.2.0.0.zip")
				fw.Write(content)
			} else {
				mw.WriteField("csrf_token", f)
			}
		}
		mw.Close()
		return &body, mw.FormDataContentType()
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	post := func(query string, body io.Reader, contentType string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("POST", s.URL+"/app/library/packages/upload"+query, body)
		req.Header.Set("Content-Type", contentType)
		req.AddCookie(&http.Cookie{Name: api.SessionCookie, Value: session})
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	// Refused, and nothing stored: no token, a wrong one, the token only in
	// the URL, or the token after the file.
	for name, tc := range map[string]struct {
		query  string
		fields []string
	}{
		"no token":         {fields: []string{"file"}},
		"wrong token":      {fields: []string{strings.Repeat("x", len(csrf)), "file"}},
		"token in the URL": {query: "?csrf_token=" + csrf, fields: []string{"file"}},
		"token after file": {fields: []string{"file", csrf}},
	} {
		body, ct := form(tc.fields...)
		if resp := post(tc.query, body, ct); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("upload without script, %s: %d, want 403", name, resp.StatusCode)
		}
		if _, err := s.Feed.FindPackageByID(context.Background(), app.DefaultSpaceID, app.PackageRecordID("Acme.NoScript", "2.0.0")); app.ErrorCode(err) != app.ENOTFOUND {
			t.Fatalf("upload without script, %s: stored anyway (%v)", name, err)
		}
	}
	body, ct := form(csrf, "file")
	resp = post("", body, ct)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/app/library/packages/Acme.NoScript" {
		t.Fatalf("upload without script: %d → %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if p, err := s.Feed.FindPackageByID(context.Background(), app.DefaultSpaceID, app.PackageRecordID("Acme.NoScript", "2.0.0")); err != nil || p.Hash != want {
		t.Fatalf("package uploaded without script: %v %+v", err, p)
	}
}

// releaseOfPackage creates a project whose process deploys packageID and
// a release 1.0.0 of it that selects version.
func releaseOfPackage(t *testing.T, db interface {
	app.ProjectService
	app.ProcessService
	app.ReleaseService
}, packageID, version string) *app.Release {
	t.Helper()
	ctx := context.Background()
	p := &app.Project{SpaceID: app.DefaultSpaceID, Name: "Uses " + packageID, LifecycleID: app.DefaultLifecycleID, ProjectGroupID: app.DefaultProjectGroupID}
	if err := db.CreateProject(ctx, p); err != nil {
		t.Fatal(err)
	}
	dp, err := db.FindDeploymentProcessByID(ctx, app.DefaultSpaceID, p.DeploymentProcessID)
	if err != nil {
		t.Fatal(err)
	}
	dp.Steps = []app.Step{{Name: "Deploy", Properties: map[string]string{app.PropTargetRoles: "web"},
		Actions: []app.Action{{Name: "Deploy", ActionType: app.ActionTypePackage,
			Properties: map[string]string{app.PropPackageID: packageID}}}}}
	if err := db.UpdateDeploymentProcess(ctx, dp); err != nil {
		t.Fatal(err)
	}
	r := &app.Release{SpaceID: app.DefaultSpaceID, ProjectID: p.ID, Version: "1.0.0",
		SelectedPackages: []app.SelectedPackage{{ActionName: "Deploy", StepName: "Deploy", Version: version}}}
	if err := db.CreateRelease(ctx, r); err != nil {
		t.Fatal(fmt.Errorf("create release: %w", err))
	}
	return r
}
