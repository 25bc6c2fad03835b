// Package api serves the Octopus-compatible REST API under /api. DTOs (the
// PascalCase wire shapes) live here, not on domain types, so that renaming
// a Go field never changes the API.
package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/argonautdeploy/argonaut/app"
	"github.com/argonautdeploy/argonaut/app/auth"
	"github.com/argonautdeploy/argonaut/app/releases"
	"github.com/gofiber/fiber/v2"
)

// Services are what the API needs from the rest of the server.
type Services struct {
	Spaces        app.SpaceService
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
	Events         app.EventService
	Packages       app.PackageService
	Auth           *auth.Authenticator
	Tasks          app.TaskService
	TaskLogs       app.TaskLogService
	Deployments    app.DeploymentService
	Interruptions  app.InterruptionService
	Artifacts      app.ArtifactStore
	Blobs          BlobOpener
}

// Handler serves the API.
type Handler struct {
	Services
	log            *slog.Logger
	version        string
	installationID string
	secureCookies  bool
}

// New returns an API handler. installationID identifies this install to clients.
func New(log *slog.Logger, svc Services, version, installationID string, secureCookies bool) *Handler {
	return &Handler{Services: svc, log: log, version: version, installationID: installationID, secureCookies: secureCookies}
}

// route is one API endpoint. Space-scoped routes are served both under
// /api/{spaceId}/… and /api/… (the default space).
type route struct {
	method  string
	path    string
	perm    app.Permission // "" = any signed-in user; see anonymous
	spaced  bool
	handler fiber.Handler
	// anonymous routes need no sign-in (root document, login).
	anonymous bool
}

// Register mounts every API route on r. All routes are listed in routes().
func (h *Handler) Register(r fiber.Router) {
	api := r.Group("/api")
	for _, m := range h.mounts() {
		handlers := []fiber.Handler{h.authenticate(m.anonymous), h.authorize(m.perm), m.handler}
		if m.space != nil {
			handlers = append([]fiber.Handler{m.space}, handlers...)
		}
		api.Add(m.method, m.path, handlers...)
	}
	api.Use(func(c *fiber.Ctx) error {
		return app.Errorf(app.ENOTFOUND, "The API endpoint '%s %s' does not exist.", c.Method(), c.Path())
	})
}

// mount is a route as Register mounts it: a space-scoped route is mounted
// twice, under /{spaceId} (space resolves it) and without (the default space).
type mount struct {
	route
	space fiber.Handler // nil for routes that are not space-scoped
}

// mounts expands routes() into what Register mounts; Routes lists the same.
func (h *Handler) mounts() []mount {
	var out []mount
	for _, rt := range h.routes() {
		if !rt.spaced {
			out = append(out, mount{route: rt})
			continue
		}
		spaced, unspaced := rt, rt
		spaced.path = spaceSegment + rt.path
		out = append(out, mount{route: spaced, space: h.resolveSpace}, mount{route: unspaced, space: h.defaultSpace})
	}
	return out
}

// Route describes one mounted API endpoint, without its handler, for
// checks that walk the whole table (the permission walk in app/server).
type Route struct {
	Method string
	// Path is the fiber pattern below /api, as mounted: "/environments/:id",
	// or with the space segment (SpaceSegment) in front.
	Path string
	// Permission is what the caller must hold; "" = any signed-in caller
	// (the handler may check more, e.g. that a user edits only itself).
	Permission app.Permission
	// Anonymous routes need no sign-in.
	Anonymous bool
}

// SpaceSegment is the pattern of the {spaceId} path segment in Route.Path.
const SpaceSegment = spaceSegment

// Routes lists every route Register mounts, in mounting order. The result
// is a copy: changing it changes nothing that is served.
func (h *Handler) Routes() []Route {
	ms := h.mounts()
	out := make([]Route, 0, len(ms))
	for _, m := range ms {
		out = append(out, Route{Method: m.method, Path: m.path, Permission: m.perm, Anonymous: m.anonymous})
	}
	return out
}

func (h *Handler) routes() []route {
	// Special routes of a collection come before its standard ones, so that
	// "/environments/sortorder" is not taken for an environment ID.
	rs := []route{
		{method: "GET", path: "", handler: h.root, anonymous: true},
		{method: "GET", path: "/", handler: h.root, anonymous: true},
		{method: "GET", path: "/capabilities", handler: h.capabilities, anonymous: true},
		{method: "POST", path: "/users/login", handler: h.login, anonymous: true},
		{method: "POST", path: "/users/logout", handler: h.logout, anonymous: true},
		{method: "GET", path: "/users/me", handler: h.me},
		{method: "GET", path: "/users", handler: h.listUsers, perm: app.PermUserView},
		{method: "GET", path: "/users/all", handler: h.allUsers, perm: app.PermUserView},
		{method: "POST", path: "/users", handler: h.createUser, perm: app.PermUserEdit},
		{method: "GET", path: "/users/:id", handler: h.getUser},
		{method: "GET", path: "/users/:id/apikeys", handler: h.listAPIKeys},
		{method: "POST", path: "/users/:id/apikeys", handler: h.createAPIKey},
		{method: "GET", path: "/users/:id/apikeys/:keyId", handler: h.getAPIKey},
		{method: "DELETE", path: "/users/:id/apikeys/:keyId", handler: h.deleteAPIKey},

		{method: "GET", path: "/spaces", handler: h.listSpaces, perm: app.PermSpaceView},
		{method: "GET", path: "/spaces/all", handler: h.allSpaces, perm: app.PermSpaceView},
		{method: "GET", path: "/spaces/:id", handler: h.getSpace, perm: app.PermSpaceView},
		{method: "GET", path: spaceSegment, handler: h.spaceRoot, perm: app.PermSpaceView},
		{method: "GET", path: spaceSegment + "/", handler: h.spaceRoot, perm: app.PermSpaceView},

		{method: "PUT", path: "/environments/sortorder", spaced: true, handler: h.sortEnvironments, perm: app.PermEnvironmentEdit},
		{method: "GET", path: "/environments/:id/machines", spaced: true, handler: h.environmentMachines, perm: app.PermMachineView},

		{method: "GET", path: "/projectgroups/:id/projects", spaced: true, handler: h.projectGroupProjects, perm: app.PermProjectView},
	}
	rs = append(rs, h.environmentResource().crudRoutes("/environments",
		app.PermEnvironmentView, app.PermEnvironmentCreate, app.PermEnvironmentEdit, app.PermEnvironmentDelete)...)
	rs = append(rs, h.projectGroupResource().crudRoutes("/projectgroups",
		app.PermProjectGroupView, app.PermProjectGroupEdit, app.PermProjectGroupEdit, app.PermProjectGroupEdit)...)
	rs = append(rs, h.lifecycleResource().crudRoutes("/lifecycles",
		app.PermLifecycleView, app.PermLifecycleEdit, app.PermLifecycleEdit, app.PermLifecycleEdit)...)
	return append(rs, []route{
		{method: "GET", path: "/projects", spaced: true, handler: h.listProjects, perm: app.PermProjectView},
		{method: "GET", path: "/projects/all", spaced: true, handler: h.allProjects, perm: app.PermProjectView},
		{method: "POST", path: "/projects", spaced: true, handler: h.createProject, perm: app.PermProjectCreate},
		{method: "GET", path: "/projects/:id", spaced: true, handler: h.getProject, perm: app.PermProjectView},
		{method: "GET", path: "/projects/:id/channels", spaced: true, handler: h.projectChannels, perm: app.PermProjectView},
		{method: "GET", path: "/projects/:id/deploymentsettings", spaced: true, handler: h.projectDeploymentSettings, perm: app.PermProjectView},
		{method: "PUT", path: "/projects/:id", spaced: true, handler: h.updateProject, perm: app.PermProjectEdit},
		{method: "DELETE", path: "/projects/:id", spaced: true, handler: h.deleteProject, perm: app.PermProjectDelete},
		{method: "GET", path: "/channels", spaced: true, handler: h.listChannels, perm: app.PermProjectView},
		{method: "GET", path: "/channels/:id", spaced: true, handler: h.getChannel, perm: app.PermProjectView},
		{method: "GET", path: "/channels/:id/releases", spaced: true, handler: h.channelReleases, perm: app.PermReleaseView},
		{method: "GET", path: "/deploymentprocesses/:id", spaced: true, handler: h.getDeploymentProcess, perm: app.PermProjectView},
		{method: "PUT", path: "/deploymentprocesses/:id", spaced: true, handler: h.updateDeploymentProcess, perm: app.PermProcessEdit},
		{method: "GET", path: "/deploymentprocesses/:id/template", spaced: true, handler: h.processTemplate, perm: app.PermReleaseView},
		{method: "GET", path: "/projects/:id/deploymentprocesses", spaced: true, handler: h.projectDeploymentProcess, perm: app.PermProjectView},
		{method: "GET", path: "/projects/:id/deploymentprocesses/template", spaced: true, handler: h.projectProcessTemplate, perm: app.PermReleaseView},
		{method: "GET", path: "/projects/:id/releases", spaced: true, handler: h.projectReleases, perm: app.PermReleaseView},
		{method: "GET", path: "/projects/:id/releases/:version", spaced: true, handler: h.projectReleaseByVersion, perm: app.PermReleaseView},
		{method: "GET", path: "/releases", spaced: true, handler: h.listReleases, perm: app.PermReleaseView},
		{method: "POST", path: "/releases", spaced: true, handler: h.createRelease, perm: app.PermReleaseCreate},
		{method: "POST", path: "/releases/create/v1", spaced: true, handler: h.createReleaseV1, perm: app.PermReleaseCreate},
		{method: "GET", path: "/releases/:id", spaced: true, handler: h.getRelease, perm: app.PermReleaseView},
		{method: "GET", path: "/releases/:id/deploymentprocess", spaced: true, handler: h.releaseProcessSnapshot, perm: app.PermReleaseView},
		{method: "POST", path: "/releases/:id/snapshot-variables", spaced: true, handler: h.snapshotReleaseVariables, perm: app.PermReleaseCreate},
		{method: "DELETE", path: "/releases/:id", spaced: true, handler: h.deleteRelease, perm: app.PermReleaseDelete},
		{method: "GET", path: "/releases/:id/deployments", spaced: true, handler: h.releaseDeployments, perm: app.PermDeploymentView},
		{method: "GET", path: "/releases/:id/deployments/template", spaced: true, handler: h.releaseDeploymentTemplate, perm: app.PermDeploymentView},
		{method: "GET", path: "/releases/:id/progression", spaced: true, handler: h.releaseProgression, perm: app.PermReleaseView},
		{method: "GET", path: "/deployments", spaced: true, handler: h.listDeployments, perm: app.PermDeploymentView},
		{method: "POST", path: "/deployments", spaced: true, handler: h.createDeployment, perm: app.PermDeploymentCreate},
		{method: "POST", path: "/deployments/create/untenanted/v1", spaced: true, handler: h.createDeploymentUntenantedV1, perm: app.PermDeploymentCreate},
		{method: "GET", path: "/deployments/:id", spaced: true, handler: h.getDeployment, perm: app.PermDeploymentView},
		{method: "GET", path: "/interruptions", spaced: true, handler: h.listInterruptions, perm: app.PermInterruptionView},
		{method: "GET", path: "/interruptions/:id", spaced: true, handler: h.getInterruption, perm: app.PermInterruptionView},
		{method: "GET", path: "/interruptions/:id/responsible", spaced: true, handler: h.responsibleUser, perm: app.PermInterruptionView},
		{method: "PUT", path: "/interruptions/:id/responsible", spaced: true, handler: h.takeResponsibility, perm: app.PermInterruptionSubmit},
		{method: "POST", path: "/interruptions/:id/responsible", spaced: true, handler: h.takeResponsibility, perm: app.PermInterruptionSubmit},
		{method: "POST", path: "/interruptions/:id/submit", spaced: true, handler: h.submitInterruption, perm: app.PermInterruptionSubmit},
		{method: "GET", path: "/artifacts", spaced: true, handler: h.listArtifacts, perm: app.PermArtifactView},
		{method: "GET", path: "/artifacts/:id", spaced: true, handler: h.getArtifact, perm: app.PermArtifactView},
		{method: "GET", path: "/artifacts/:id/content", spaced: true, handler: h.artifactContent, perm: app.PermArtifactView},
		{method: "GET", path: "/variables/preview", spaced: true, handler: h.previewVariables, perm: app.PermVariableView},
		{method: "GET", path: "/variables/:id", spaced: true, handler: h.getVariableSet, perm: app.PermVariableView},
		{method: "PUT", path: "/variables/:id", spaced: true, handler: h.updateVariableSet, perm: app.PermVariableEdit},
		{method: "GET", path: "/libraryvariablesets", spaced: true, handler: h.listLibraryVariableSets, perm: app.PermLibraryVariableSetView},
		{method: "GET", path: "/libraryvariablesets/all", spaced: true, handler: h.allLibraryVariableSets, perm: app.PermLibraryVariableSetView},
		{method: "POST", path: "/libraryvariablesets", spaced: true, handler: h.createLibraryVariableSet, perm: app.PermLibraryVariableSetEdit},
		{method: "GET", path: "/libraryvariablesets/:id", spaced: true, handler: h.getLibraryVariableSet, perm: app.PermLibraryVariableSetView},
		{method: "PUT", path: "/libraryvariablesets/:id", spaced: true, handler: h.updateLibraryVariableSet, perm: app.PermLibraryVariableSetEdit},
		{method: "DELETE", path: "/libraryvariablesets/:id", spaced: true, handler: h.deleteLibraryVariableSet, perm: app.PermLibraryVariableSetEdit},

		{method: "GET", path: "/machines", spaced: true, handler: h.listMachines, perm: app.PermMachineView},
		{method: "GET", path: "/machines/all", spaced: true, handler: h.allMachines, perm: app.PermMachineView},
		{method: "POST", path: "/machines", spaced: true, handler: h.createMachine, perm: app.PermMachineCreate},
		{method: "GET", path: "/machines/:id", spaced: true, handler: h.getMachine, perm: app.PermMachineView},
		{method: "PUT", path: "/machines/:id", spaced: true, handler: h.updateMachine, perm: app.PermMachineEdit},
		{method: "DELETE", path: "/machines/:id", spaced: true, handler: h.deleteMachine, perm: app.PermMachineDelete},
		{method: "GET", path: "/machineroles/all", spaced: true, handler: h.machineRoles, perm: app.PermMachineView},

		{method: "GET", path: "/events", handler: h.listEvents, perm: app.PermEventView},
		{method: "GET", path: "/events/:id", handler: h.getEvent, perm: app.PermEventView},

		{method: "POST", path: "/packages/raw", spaced: true, handler: h.pushPackage, perm: app.PermBuiltInFeedPush},
		{method: "GET", path: "/packages", spaced: true, handler: h.listPackages, perm: app.PermBuiltInFeedView},
		{method: "GET", path: "/packages/versions", spaced: true, handler: h.packageVersions, perm: app.PermBuiltInFeedView},
		{method: "GET", path: "/packages/:id", spaced: true, handler: h.getPackage, perm: app.PermBuiltInFeedView},
		{method: "GET", path: "/packages/:id/raw", spaced: true, handler: h.downloadPackage, perm: app.PermBuiltInFeedView},
		{method: "GET", path: "/packages/:id/:version/delta-signature", spaced: true, handler: h.deltaSignature, perm: app.PermBuiltInFeedView},
		{method: "DELETE", path: "/packages/:id", spaced: true, handler: h.deletePackage, perm: app.PermBuiltInFeedAdminister},
		{method: "GET", path: "/feeds", spaced: true, handler: h.listFeeds, perm: app.PermBuiltInFeedView},
		{method: "GET", path: "/feeds/all", spaced: true, handler: h.allFeeds, perm: app.PermBuiltInFeedView},
		{method: "GET", path: "/feeds/:id", spaced: true, handler: h.getFeed, perm: app.PermBuiltInFeedView},
		{method: "PUT", path: "/feeds/:id", spaced: true, handler: h.updateFeed, perm: app.PermBuiltInFeedAdminister},
		{method: "GET", path: "/feeds/:id/packages/versions", spaced: true, handler: h.feedPackageVersions, perm: app.PermBuiltInFeedView},
		{method: "POST", path: "/feeds/:id/retention/run", spaced: true, handler: h.runRetention, perm: app.PermBuiltInFeedAdminister},
		// Tasks live across spaces: /api/tasks lists every space's, the
		// /api/{spaceId}/tasks forms only that space's.
		{method: "GET", path: "/tasks", handler: h.listTasks, perm: app.PermTaskView},
		{method: "POST", path: "/tasks/rerun/:id", handler: h.rerunTask, perm: app.PermTaskCreate},
		{method: "GET", path: "/tasks/:id", handler: h.getTask, perm: app.PermTaskView},
		{method: "GET", path: "/tasks/:id/details", handler: h.taskDetails, perm: app.PermTaskView},
		{method: "GET", path: "/tasks/:id/raw", handler: h.taskRaw, perm: app.PermTaskView},
		{method: "POST", path: "/tasks/:id/cancel", handler: h.cancelTask, perm: app.PermTaskCancel},
		{method: "POST", path: "/spaces" + spaceSegment + "/tasks/:id/cancel", handler: h.cancelTask, perm: app.PermTaskCancel},
		{method: "GET", path: spaceSegment + "/tasks", handler: h.listTasks, perm: app.PermTaskView},
		{method: "POST", path: spaceSegment + "/tasks/rerun/:id", handler: h.rerunTask, perm: app.PermTaskCreate},
		{method: "GET", path: spaceSegment + "/tasks/:id", handler: h.getTask, perm: app.PermTaskView},
		{method: "GET", path: spaceSegment + "/tasks/:id/details", handler: h.taskDetails, perm: app.PermTaskView},
		{method: "GET", path: spaceSegment + "/tasks/:id/raw", handler: h.taskRaw, perm: app.PermTaskView},
		{method: "POST", path: spaceSegment + "/tasks/:id/cancel", handler: h.cancelTask, perm: app.PermTaskCancel},
	}...)
}

// ErrorHandler renders every error as Octopus's {ErrorMessage, Errors} body
// with the status its code maps to. Internal details are logged, not sent.
func ErrorHandler(log *slog.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		status, body := ErrorBody(err)
		if status >= 500 {
			log.Error("request failed", "method", c.Method(), "path", c.Path(), "err", err)
		}
		return c.Status(status).JSON(body)
	}
}

// ErrorResponse is the error body Octopus clients decode.
type ErrorResponse struct {
	ErrorMessage string
	Errors       []string
}

// ErrorBody maps err to an HTTP status and the error body.
func ErrorBody(err error) (int, ErrorResponse) {
	var fe *fiber.Error
	if errors.As(err, &fe) {
		msg := fe.Message
		if fe.Code == fiber.StatusRequestEntityTooLarge {
			msg = "The request body is too large."
		}
		return fe.Code, ErrorResponse{ErrorMessage: msg, Errors: []string{msg}}
	}
	msg := app.ErrorMessage(err)
	details := app.ErrorDetails(err)
	if len(details) == 0 {
		details = []string{msg}
	}
	return StatusOf(app.ErrorCode(err)), ErrorResponse{ErrorMessage: msg, Errors: details}
}

// StatusOf maps an app error code to its HTTP status; the one place this happens.
func StatusOf(code string) int {
	switch code {
	case app.EINVALID:
		return http.StatusBadRequest
	case app.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case app.EFORBIDDEN:
		return http.StatusForbidden
	case app.ENOTFOUND:
		return http.StatusNotFound
	case app.ECONFLICT:
		return http.StatusConflict
	case app.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case app.ETOOMANY:
		return http.StatusTooManyRequests
	default:
		return http.StatusInternalServerError
	}
}

// decode reads a JSON body strictly enough to give clear errors: malformed
// JSON and wrongly typed fields are 400s naming the problem. Unknown fields
// are ignored, because Octopus clients send many we do not model.
func decode(c *fiber.Ctx, v any) error {
	body, err := readBody(c)
	if err != nil {
		return err
	}
	return decodeBytes(body, v)
}

// decodeBytes is decode after the body was read (and size-limited).
func decodeBytes(body []byte, v any) error {
	if len(strings.TrimSpace(string(body))) == 0 {
		return app.Invalid("The request body is empty; a JSON document is required.")
	}
	if err := json.Unmarshal(body, v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return app.Invalid(fmt.Sprintf("The request body is not valid JSON: %s (at byte %d).", se.Error(), se.Offset))
		case errors.As(err, &te):
			return app.Invalid(fmt.Sprintf("The field '%s' must be a JSON %s, not %s.", te.Field, jsonKind(te.Type.Kind().String()), te.Value))
		default:
			return app.Invalid("The request body could not be read: " + err.Error())
		}
	}
	return nil
}

// maxDrain is how much of an unread request body FinishBody reads to keep a
// connection usable; beyond it the connection is closed instead.
const maxDrain = 64 << 10

// FinishBody makes sure no unread request body stays on a kept-alive
// connection. With streamed request bodies fasthttp leaves whatever a handler
// did not read (a 401 before an upload was read, a 413 after the limit) in
// the connection and parses it as the next request: a desync that turns a
// body into a smuggled request behind a proxy. Small leftovers are drained;
// otherwise the connection is closed after the response. Mount it before any
// handler that may leave a body unread (the portal needs it too).
func FinishBody(c *fiber.Ctx) error {
	err := c.Next()
	if c.Context().RequestBodyStream() == nil {
		return err // c.Body() has read it all
	}
	n, derr := io.Copy(io.Discard, io.LimitReader(BodyStream(c), maxDrain))
	if derr != nil || n == maxDrain {
		c.Context().SetConnectionClose()
	}
	return err
}

// BodyStream returns the request body as a stream. Handlers that stream a
// body (uploads) must read it through this reader, never through
// c.Context().RequestBodyStream() directly: a chunked stream read again after
// its end blocks on the connection, so FinishBody must know whether the end
// was reached.
//
// The server's ReadTimeout bounds how long a client may take to send its
// headers; a streamed body may take as long as it needs (a 10 GiB package on
// a slow link takes many minutes) as long as it keeps moving: every read
// pushes the connection's read deadline ReadTimeout ahead, so only a body
// that stalls for that long is cut off.
func BodyStream(c *fiber.Ctx) io.Reader {
	if t, ok := c.Locals(bodyKey).(*bodyTracker); ok {
		return t
	}
	stream := c.Context().RequestBodyStream()
	if stream == nil {
		return bytes.NewReader(c.Body())
	}
	t := &bodyTracker{r: stream, conn: c.Context().Conn(), stall: c.App().Server().ReadTimeout}
	c.Locals(bodyKey, t)
	return t
}

// bodyTracker remembers that its stream ended, and then stays at EOF (or at
// the error that ended it: after a stalled or cut connection, a drain must
// not wait out another timeout). While the body flows it keeps the
// connection's read deadline stall ahead.
type bodyTracker struct {
	r     io.Reader
	end   error // io.EOF or what broke the stream
	conn  interface{ SetReadDeadline(time.Time) error }
	stall time.Duration
	moved time.Time // when the deadline was last pushed
}

func (b *bodyTracker) Read(p []byte) (int, error) {
	if b.end != nil {
		return 0, b.end
	}
	// Pushed again once a quarter of it has passed, so a read always starts
	// with at least ¾ of stall to go, and a loop of 1 MiB reads does not pay
	// a timer reset for each.
	if now := time.Now(); b.conn != nil && b.stall > 0 && now.Sub(b.moved) >= b.stall/4 {
		if err := b.conn.SetReadDeadline(now.Add(b.stall)); err != nil {
			return 0, err
		}
		b.moved = now
	}
	n, err := b.r.Read(p)
	if err != nil {
		b.end = err
	}
	return n, err
}

// readBody reads the request body, refusing more than the app's BodyLimit.
// Fiber enforces that limit itself only for bodies it buffers: with
// StreamRequestBody (which the server needs for uploads) fasthttp hands over
// a stream of any length once a body is over the limit or chunked, and
// c.Body() would read all of it into memory.
func readBody(c *fiber.Ctx) ([]byte, error) {
	limit := c.App().Config().BodyLimit
	b, err := io.ReadAll(io.LimitReader(BodyStream(c), int64(limit)+1))
	if err != nil {
		return nil, app.Invalid("The request body could not be read: " + err.Error())
	}
	if len(b) > limit {
		return nil, app.Errorf(app.ETOOLARGE, "The request body is too large; the limit is %d bytes.", limit)
	}
	return b, nil
}

func jsonKind(goKind string) string {
	switch {
	case strings.HasPrefix(goKind, "int"), strings.HasPrefix(goKind, "uint"), strings.HasPrefix(goKind, "float"):
		return "number"
	case goKind == "bool":
		return "boolean"
	case goKind == "slice", goKind == "array":
		return "array"
	case goKind == "struct", goKind == "map":
		return "object"
	}
	return goKind
}

// Time is a timestamp rendered as RFC 3339 with its zone, as clients expect.
type Time struct{ time.Time }

// MarshalJSON renders the zero time as null.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(t.UTC().Format("2006-01-02T15:04:05.000Z07:00"))
}

// UnmarshalJSON accepts RFC 3339 or null; clients echo what we sent.
func (t *Time) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		t.Time = time.Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	if s == "" {
		return nil
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return err
	}
	t.Time = v
	return nil
}

func queryInt(c *fiber.Ctx, name string, def int) (int, error) {
	s := c.Query(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, app.Invalid(fmt.Sprintf("The query parameter '%s' must be a non-negative whole number.", name))
	}
	return n, nil
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return app.NormalizeList(strings.Split(s, ","))
}

// param returns the route parameter name, percent-decoded. Fiber hands out
// the raw path segment, and clients look projects up by name
// ("/projects/Acme%20Web"), so the decoding must not be left to each handler.
func param(c *fiber.Ctx, name string) string {
	v := c.Params(name)
	if u, err := url.PathUnescape(v); err == nil {
		return u
	}
	return v
}

// deleted answers a successful DELETE: 200 with an empty body. The Octopus
// clients decode any non-empty body as JSON, so fiber's default status text
// ("OK") made every delete fail in go-octopusdeploy.
func deleted(c *fiber.Ctx) error {
	c.Status(fiber.StatusOK)
	return nil
}
