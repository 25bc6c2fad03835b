package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// listValue is a repeatable string flag (--environment A --environment B);
// its environment fallback is a comma-separated list.
type listValue []string

func (l *listValue) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

func (l *listValue) String() string { return strings.Join(*l, ",") }

// list defines a repeatable flag.
func list(f *flags, p *[]string, name, meta, usage string) {
	f.add(&option{name: name, meta: meta, usage: usage, value: (*listValue)(p)})
}

// serverFlags are the connection flags of the commands that call the API.
type serverFlags struct {
	server, apiKey, space string
}

func (s *serverFlags) define(f *flags) {
	f.String(&s.server, "server", "URL", "", "the Argonaut server's URL (also OCTOPUS_URL)")
	f.Secret(&s.apiKey, "api-key", "an API key (API-…) (also OCTOPUS_API_KEY)")
	f.String(&s.space, "space", "ID", "Spaces-1", "the space")
}

// client returns the API client, with the Octopus CLI's environment
// variables as the last fallback.
func (s *serverFlags) client(e *env) (*deployAPI, error) {
	if s.server == "" {
		s.server = e.getenv("OCTOPUS_URL")
	}
	if s.apiKey == "" {
		s.apiKey = e.getenv("OCTOPUS_API_KEY")
	}
	if s.server == "" {
		return nil, errors.New("no server: give --server or set ARGONAUT_SERVER (or OCTOPUS_URL)")
	}
	if s.apiKey == "" {
		return nil, errors.New("no API key: give --api-key or set ARGONAUT_API_KEY (or OCTOPUS_API_KEY)")
	}
	return &deployAPI{base: strings.TrimRight(s.server, "/"), key: s.apiKey, space: s.space,
		hc: &http.Client{Timeout: 60 * time.Second}}, nil
}

// deployAPI is the small HTTP client of `release` and `deploy`: the same
// Octopus-compatible endpoints the octopus CLI calls, nothing else.
type deployAPI struct {
	base, key, space string
	hc               *http.Client
}

// apiError is the server's error body.
type apiError struct {
	Status       int
	ErrorMessage string
	Errors       []string
}

func (e *apiError) Error() string {
	msg := e.ErrorMessage
	for _, x := range e.Errors {
		if x != e.ErrorMessage {
			msg += "\n  " + x
		}
	}
	return fmt.Sprintf("%s (HTTP %d)", msg, e.Status)
}

func (c *deployAPI) call(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("X-Octopus-ApiKey", c.key)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		e := &apiError{Status: resp.StatusCode}
		if json.Unmarshal(b, e) != nil || e.ErrorMessage == "" {
			e.ErrorMessage = strings.TrimSpace(string(b))
		}
		return e
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%s %s: decode the answer: %w", method, path, err)
		}
	}
	return nil
}

// runRelease is `argonaut release create`.
func runRelease(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 || args[0] != "create" {
		fmt.Fprintln(e.stderr, "usage: argonaut release create --project P [--version V] [--package-version V] [--package Step:V] [--channel C] [--release-notes T]")
		return 2
	}
	var (
		conn                                         serverFlags
		project, version, pkgVersion, channel, notes string
		packages                                     []string
		ignoreExisting                               bool
	)
	f := newFlags("argonaut release create", "Create a release of a project (POST releases/create/v1).", e.getenv)
	conn.define(f)
	f.String(&project, "project", "NAME", "", "the project (name, slug or ID)")
	f.String(&version, "version", "VERSION", "", "the release version; empty = the project's versioning rule")
	f.String(&pkgVersion, "package-version", "VERSION", "", "the version of every package without a more specific choice")
	list(f, &packages, "package", "STEP:VERSION", "a package version for one step (repeatable)")
	f.String(&channel, "channel", "NAME", "", "the channel; empty = the default channel")
	f.String(&notes, "release-notes", "TEXT", "", "release notes")
	f.Bool(&ignoreExisting, "ignore-existing", false, "succeed with the existing release when the version exists")
	if _, code, done := parseFlags(e, f, args[1:]); done {
		return code
	}
	if project == "" {
		fmt.Fprintln(e.stderr, "argonaut release create: --project is required")
		return 2
	}
	c, err := conn.client(e)
	if err != nil {
		fmt.Fprintln(e.stderr, "argonaut release create:", err)
		return 2
	}
	var out struct{ ReleaseId, ReleaseVersion string }
	err = c.call(ctx, "POST", "/api/"+c.space+"/releases/create/v1", map[string]any{"spaceId": c.space, "spaceIdOrName": c.space,
		"projectName": project, "releaseVersion": version, "packageVersion": pkgVersion, "packages": packages,
		"channelName": channel, "releaseNotes": notes, "ignoreIfAlreadyExists": ignoreExisting}, &out)
	if err != nil {
		fmt.Fprintln(e.stderr, "argonaut release create:", err)
		return 1
	}
	fmt.Fprintf(e.stdout, "Release %s of %s created (%s)\n", out.ReleaseVersion, project, out.ReleaseId)
	return 0
}
