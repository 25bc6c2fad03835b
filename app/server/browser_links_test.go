package server_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// testOctopusLinks: the links Octopus clients print point into Octopus's
// one-page app (/app#/Spaces-1/projects/Projects-1, the octopus CLI's "View
// this project on Octopus Deploy"). Opened signed out they lead through the
// sign-in form to the page; opened signed in, straight to it.
func testOctopusLinks(t *testing.T, ctx context.Context) {
	s := startPortalServer(t, true)
	c := newClient(t, s).login("admin", "correct-horse-battery")
	p := createProject(t, c, "Linked")
	link := s.URL + "/app#/Spaces-1/projects/" + p.Id

	do(t, ctx, "open an Octopus project link signed out, then sign in",
		chromedp.Navigate(link),
		chromedp.WaitVisible(testid("login-form")),
		chromedp.SendKeys(testid("login-username"), "admin"),
		chromedp.SendKeys(testid("login-password"), "correct-horse-battery"),
		chromedp.Click(testid("login-submit")),
		waitText("page-title", "Linked"),
	)
	if loc := run(t, ctx, "location", chromedp.Location()); !strings.HasSuffix(loc, "/app/projects/"+p.Id) {
		t.Fatalf("after sign-in the link led to %s", loc)
	}
	do(t, ctx, "open it again signed in",
		chromedp.Navigate(s.URL+"/app/tasks"),
		chromedp.WaitVisible(testid("page-title")),
		chromedp.Navigate(link),
		waitText("page-title", "Linked"),
	)
	if loc := run(t, ctx, "location", chromedp.Location()); !strings.HasSuffix(loc, "/app/projects/"+p.Id) {
		t.Fatalf("signed in, the link led to %s", loc)
	}
}
