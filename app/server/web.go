package server

import (
	"context"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/argonautdeploy/argonaut/app/auth"
	"github.com/argonautdeploy/argonaut/app/web"
)

// webRoutes mounts the HTML portal (/app, /setup, /assets, and / → /app).
func (s *Server) webRoutes(secure bool) {
	s.web = web.New(s.log, web.Services{
		Environments: s.DB, ProjectGroups: s.DB, Lifecycles: s.DB, Projects: s.DB, Channels: s.DB, Variables: s.DB, Machines: s.DB,
		Users: s.DB, Auth: s.Auth, Setup: setupGate{s},
		Processes: s.DB, Releases: s.DB, ReleaseCreator: s.releaseService(),
		Tasks: s.Tasks, TaskLogs: s.DB, TaskFollow: s.Tasks, StreamTiming: s.StreamTiming,
		Deployments: s.Deployments, Interruptions: s.Interruptions, Artifacts: s.DB, Dashboard: s.DB,
		Packages: s.Feed,
	}, secure)
	s.web.Register(s.fib)
}

// setupGate implements web.Setup over Server.SetupToken. Once the server
// is serving, SetupToken is only read or written under setupMu.
type setupGate struct{ s *Server }

// SetupTokenValid implements web.Setup.
func (g setupGate) SetupTokenValid(token string) bool {
	g.s.setupMu.Lock()
	defer g.s.setupMu.Unlock()
	return g.s.SetupToken != "" && auth.EqualTokens(token, g.s.SetupToken)
}

// CompleteSetup implements web.Setup: the token is checked, the user
// created and the token voided under one lock, so it works exactly once.
func (g setupGate) CompleteSetup(ctx context.Context, token string, u *app.User) error {
	g.s.setupMu.Lock()
	defer g.s.setupMu.Unlock()
	if g.s.SetupToken == "" || !auth.EqualTokens(token, g.s.SetupToken) {
		return app.Errorf(app.EFORBIDDEN, "This setup link is no longer valid.")
	}
	// An administrator may have been created another way meanwhile (the API
	// is not open to anonymous callers, but a restart with ARGONAUT_ADMIN_* is).
	if n, err := g.s.DB.CountUsers(ctx); err != nil {
		return err
	} else if n > 0 {
		g.s.SetupToken = ""
		return app.Errorf(app.EFORBIDDEN, "Argonaut has already been set up.")
	}
	if err := g.s.DB.CreateUser(ctx, u); err != nil {
		return err
	}
	g.s.SetupToken = ""
	g.s.log.Info("first administrator created through the setup link", "username", u.Username)
	return nil
}
