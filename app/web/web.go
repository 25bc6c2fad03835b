// Package web serves the HTML portal under /app: server-rendered templ pages,
// plain HTML forms (POST, then redirect), a session cookie and a CSRF token
// in every form. All routes are listed in one place, routes(); each page
// family has its own file.
package web

import (
	"context"
	"log/slog"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/argonautdeploy/argonaut/app/auth"
	"github.com/argonautdeploy/argonaut/app/releases"
	"github.com/gofiber/fiber/v2"
)

// Services are what the portal needs from the rest of the server.
type Services struct {
	Environments  app.EnvironmentService
	ProjectGroups app.ProjectGroupService
	Lifecycles    app.LifecycleService
	Projects      app.ProjectService
	Channels      app.ChannelService
	Processes     app.ProcessService
	Releases      app.ReleaseService
	// ReleaseCreator generates versions and picks package versions.
	ReleaseCreator *releases.Service
	Variables      app.VariableService
	Machines       app.MachineService
	Users          app.UserService
	Packages       app.PackageService
	Auth           *auth.Authenticator
	Tasks          app.TaskService
	TaskLogs       app.TaskLogService
	TaskFollow     TaskFollower
	StreamTiming   StreamTiming
	Deployments    app.DeploymentService
	Interruptions  app.InterruptionService
	Artifacts      app.ArtifactStore
	Dashboard      app.DashboardService
	// Setup creates the first administrator; nil when setup is not offered.
	Setup Setup
}

// Setup guards the one-time link that creates the first administrator.
// Implementations serialise CompleteSetup so that a token works exactly once.
type Setup interface {
	// SetupTokenValid reports whether token is the pending setup token.
	SetupTokenValid(token string) bool
	// CompleteSetup creates u as the first administrator if token is still
	// valid, and voids the token. It fails with EFORBIDDEN otherwise.
	CompleteSetup(ctx context.Context, token string, u *app.User) error
}

// Handler serves the portal.
type Handler struct {
	Services
	log           *slog.Logger
	secureCookies bool
	// closing ends the live streams when the portal closes.
	closing context.Context
	close   context.CancelFunc
}

// New returns a portal handler. secureCookies marks cookies Secure (TLS).
func New(log *slog.Logger, svc Services, secureCookies bool) *Handler {
	closing, close := context.WithCancel(context.Background())
	return &Handler{Services: svc, log: log, secureCookies: secureCookies, closing: closing, close: close}
}

// Close ends the live log streams, so that the server's graceful shutdown
// does not wait for tasks to complete. Call it before shutting down.
func (h *Handler) Close() { h.close() }

// access says who may reach a route.
type access int

const (
	signedIn  access = iota // any signed-in user, further limited by perm
	anonymous               // sign-in and setup pages
)

// route is one portal endpoint.
type route struct {
	method  string
	path    string
	access  access
	perm    app.Permission // "" = no permission beyond being signed in
	handler fiber.Handler
	// csrfInBody marks a streamed multipart form whose handler checks the
	// CSRF token itself, from the form's first part, before reading the
	// rest (so the middleware need not buffer a large body to find it).
	csrfInBody bool
}

func (h *Handler) routes() []route {
	return []route{
		{method: "GET", path: "/app/login", access: anonymous, handler: h.loginPage},
		{method: "POST", path: "/app/login", access: anonymous, handler: h.login},
		{method: "POST", path: "/app/logout", handler: h.logout},
		{method: "GET", path: "/setup", access: anonymous, handler: h.setupPage},
		{method: "POST", path: "/setup", access: anonymous, handler: h.setup},

		{method: "GET", path: "/app", perm: app.PermSpaceView, handler: h.dashboard},
		{method: "GET", path: "/app/tasks", perm: app.PermTaskView, handler: h.tasks},
		{method: "GET", path: "/app/tasks/:id", perm: app.PermTaskView, handler: h.task},
		{method: "GET", path: "/app/tasks/:id/events", perm: app.PermTaskView, handler: h.taskEvents},
		{method: "GET", path: "/app/tasks/:id/lines", perm: app.PermTaskView, handler: h.taskLines},
		{method: "GET", path: "/app/tasks/:id/interruption", perm: app.PermTaskView, handler: h.taskInterruption},
		{method: "POST", path: "/app/tasks/:id/cancel", perm: app.PermTaskCancel, handler: h.taskCancel},
		{method: "POST", path: "/app/tasks/:id/interruptions/:iid/responsible", perm: app.PermInterruptionSubmit, handler: h.taskInterruptionTake},
		{method: "POST", path: "/app/tasks/:id/interruptions/:iid/submit", perm: app.PermInterruptionSubmit, handler: h.taskInterruptionSubmit},
		{method: "GET", path: "/app/library", perm: app.PermSpaceView, handler: h.library},
		{method: "GET", path: "/app/library/variables", perm: app.PermLibraryVariableSetView, handler: h.librarySets},
		{method: "GET", path: "/app/library/variables/new", perm: app.PermLibraryVariableSetEdit, handler: h.librarySetNew},
		{method: "POST", path: "/app/library/variables", perm: app.PermLibraryVariableSetEdit, handler: h.librarySetCreate},
		{method: "GET", path: "/app/library/variables/:lib", perm: app.PermLibraryVariableSetView, handler: h.variableEditor},
		{method: "GET", path: "/app/library/variables/:lib/new", perm: app.PermLibraryVariableSetEdit, handler: h.variableNew},
		{method: "POST", path: "/app/library/variables/:lib/new", perm: app.PermLibraryVariableSetEdit, handler: h.variableCreate},
		{method: "GET", path: "/app/library/variables/:lib/:vid/edit", perm: app.PermLibraryVariableSetEdit, handler: h.variableEdit},
		{method: "POST", path: "/app/library/variables/:lib/:vid/edit", perm: app.PermLibraryVariableSetEdit, handler: h.variableUpdate},
		{method: "POST", path: "/app/library/variables/:lib/:vid/delete", perm: app.PermLibraryVariableSetEdit, handler: h.variableDelete},
		{method: "GET", path: "/app/library/packages", perm: app.PermBuiltInFeedView, handler: h.packages},
		{method: "POST", path: "/app/library/packages/upload", perm: app.PermBuiltInFeedPush, handler: h.packageUpload, csrfInBody: true},
		{method: "GET", path: "/app/library/packages/:pkg", perm: app.PermBuiltInFeedView, handler: h.packagePage},
		{method: "POST", path: "/app/library/packages/:pkg/versions/:vid/delete", perm: app.PermBuiltInFeedAdminister, handler: h.packageDelete},

		{method: "GET", path: "/app/infrastructure", perm: app.PermEnvironmentView, handler: redirectTo("/app/infrastructure/environments")},
		{method: "GET", path: "/app/infrastructure/environments", perm: app.PermEnvironmentView, handler: h.environments},
		{method: "GET", path: "/app/infrastructure/environments/new", perm: app.PermEnvironmentCreate, handler: h.environmentNew},
		{method: "POST", path: "/app/infrastructure/environments", perm: app.PermEnvironmentCreate, handler: h.environmentCreate},
		{method: "GET", path: "/app/infrastructure/environments/:id/edit", perm: app.PermEnvironmentEdit, handler: h.environmentEdit},
		{method: "POST", path: "/app/infrastructure/environments/:id/edit", perm: app.PermEnvironmentEdit, handler: h.environmentUpdate},
		{method: "POST", path: "/app/infrastructure/environments/:id/move", perm: app.PermEnvironmentEdit, handler: h.environmentMove},
		{method: "GET", path: "/app/infrastructure/environments/:id/delete", perm: app.PermEnvironmentDelete, handler: h.environmentDeletePage},
		{method: "POST", path: "/app/infrastructure/environments/:id/delete", perm: app.PermEnvironmentDelete, handler: h.environmentDelete},

		{method: "GET", path: "/app/infrastructure/machines", perm: app.PermMachineView, handler: h.machines},
		{method: "GET", path: "/app/infrastructure/machines/new", perm: app.PermMachineCreate, handler: h.machineNew},
		{method: "POST", path: "/app/infrastructure/machines", perm: app.PermMachineCreate, handler: h.machineCreate},
		{method: "GET", path: "/app/infrastructure/machines/:id/edit", perm: app.PermMachineEdit, handler: h.machineEdit},
		{method: "POST", path: "/app/infrastructure/machines/:id/edit", perm: app.PermMachineEdit, handler: h.machineUpdate},
		{method: "GET", path: "/app/infrastructure/machines/:id/delete", perm: app.PermMachineDelete, handler: h.machineDeletePage},
		{method: "POST", path: "/app/infrastructure/machines/:id/delete", perm: app.PermMachineDelete, handler: h.machineDelete},

		{method: "GET", path: "/app/projects", perm: app.PermProjectView, handler: h.projects},
		{method: "GET", path: "/app/projects/new", perm: app.PermProjectCreate, handler: h.projectNew},
		{method: "POST", path: "/app/projects", perm: app.PermProjectCreate, handler: h.projectCreate},
		{method: "GET", path: "/app/projects/:slug", perm: app.PermProjectView, handler: h.project},
		{method: "GET", path: "/app/projects/:slug/variables", perm: app.PermVariableView, handler: h.variableEditor},
		{method: "GET", path: "/app/projects/:slug/variables/preview", perm: app.PermVariableView, handler: h.projectVariablesPreview},
		{method: "GET", path: "/app/projects/:slug/process", perm: app.PermProjectView, handler: h.process},
		{method: "GET", path: "/app/projects/:slug/process/steps/new", perm: app.PermProcessEdit, handler: h.stepNew},
		{method: "POST", path: "/app/projects/:slug/process/steps", perm: app.PermProcessEdit, handler: h.stepCreate},
		{method: "GET", path: "/app/projects/:slug/process/steps/:step", perm: app.PermProcessEdit, handler: h.stepEdit},
		{method: "POST", path: "/app/projects/:slug/process/steps/:step", perm: app.PermProcessEdit, handler: h.stepUpdate},
		{method: "POST", path: "/app/projects/:slug/process/steps/:step/:action", perm: app.PermProcessEdit, handler: h.stepChange},
		{method: "GET", path: "/app/projects/:slug/releases/new", perm: app.PermReleaseCreate, handler: h.releaseNew},
		{method: "POST", path: "/app/projects/:slug/releases", perm: app.PermReleaseCreate, handler: h.releaseCreate},
		{method: "GET", path: "/app/releases/:id", perm: app.PermReleaseView, handler: h.release},
		{method: "POST", path: "/app/releases/:id/deployments", perm: app.PermDeploymentCreate, handler: h.deploy},
		{method: "GET", path: "/app/projects/:slug/variables/libraries", perm: app.PermProjectEdit, handler: h.projectLibraries},
		{method: "POST", path: "/app/projects/:slug/variables/libraries", perm: app.PermProjectEdit, handler: h.projectLibrariesUpdate},
		{method: "GET", path: "/app/projects/:slug/variables/new", perm: app.PermVariableEdit, handler: h.variableNew},
		{method: "POST", path: "/app/projects/:slug/variables/new", perm: app.PermVariableEdit, handler: h.variableCreate},
		{method: "GET", path: "/app/projects/:slug/variables/:vid/edit", perm: app.PermVariableEdit, handler: h.variableEdit},
		{method: "POST", path: "/app/projects/:slug/variables/:vid/edit", perm: app.PermVariableEdit, handler: h.variableUpdate},
		{method: "POST", path: "/app/projects/:slug/variables/:vid/delete", perm: app.PermVariableEdit, handler: h.variableDelete},
		{method: "GET", path: "/app/projects/:slug/settings", perm: app.PermProjectEdit, handler: h.projectSettings},
		{method: "POST", path: "/app/projects/:slug/settings", perm: app.PermProjectEdit, handler: h.projectUpdate},
		{method: "GET", path: "/app/projects/:slug/delete", perm: app.PermProjectDelete, handler: h.projectDeletePage},
		{method: "POST", path: "/app/projects/:slug/delete", perm: app.PermProjectDelete, handler: h.projectDelete},

		{method: "GET", path: "/app/profile", handler: h.profile},
		{method: "GET", path: "/app/profile/apikeys", handler: h.apiKeys},
		{method: "POST", path: "/app/profile/apikeys", handler: h.apiKeyCreate},
		{method: "GET", path: "/app/profile/apikeys/:id/revoke", handler: h.apiKeyRevokePage},
		{method: "POST", path: "/app/profile/apikeys/:id/revoke", handler: h.apiKeyRevoke},
	}
}

// Route describes one portal route, without its handler, for checks that
// walk the whole table (the permission walk in app/server).
type Route struct {
	Method string
	Path   string // the fiber pattern, as mounted
	// Permission is what the signed-in user must hold; "" = being signed in
	// is enough (the handler may check more).
	Permission app.Permission
	// Anonymous routes (sign-in, setup) need no sign-in.
	Anonymous bool
	// CSRFInBody marks a streamed multipart form whose CSRF token must be
	// its first part (see route.csrfInBody).
	CSRFInBody bool
}

// Routes lists every route of routes() that Register mounts (the / redirect
// and the assets are not in it: they are public and have no handler state).
// The result is a copy: changing it changes nothing that is served.
func (h *Handler) Routes() []Route {
	rs := h.routes()
	out := make([]Route, 0, len(rs))
	for _, rt := range rs {
		out = append(out, Route{Method: rt.method, Path: rt.path, Permission: rt.perm,
			Anonymous: rt.access == anonymous, CSRFInBody: rt.csrfInBody})
	}
	return out
}

// Register mounts the portal, its assets and the / redirect on r.
func (h *Handler) Register(r fiber.Router) {
	r.Get("/", redirectTo("/app"))
	r.Get("/assets/:name", serveAsset)
	for _, rt := range h.routes() {
		r.Add(rt.method, rt.path, h.wrap(rt))
	}
	// Anything else under /app is a 404 page, not the API's JSON body.
	r.Use("/app", h.wrap(route{access: anonymous, handler: func(*fiber.Ctx) error {
		return app.Errorf(app.ENOTFOUND, "There is no page at this address.")
	}}))
}

func redirectTo(path string) fiber.Handler {
	return func(c *fiber.Ctx) error { return c.Redirect(path, fiber.StatusFound) }
}
