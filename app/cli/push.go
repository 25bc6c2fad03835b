package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"time"
)

const pushSummary = "Pushes package files to the built-in package repository of an Argonaut (or Octopus) server."

// overwriteModes maps --overwrite-mode to the API's overwriteMode.
var overwriteModes = map[string]string{"fail": "FailIfExists", "overwrite": "OverwriteExisting", "ignore": "IgnoreIfExists"}

var spaceIDPattern = regexp.MustCompile(`(?i)^spaces-[0-9]+$`)

// pushOptions are the flags of `argonaut push`.
type pushOptions struct {
	server, apiKey, space, mode string
}

// runPush is `argonaut push FILE... --server URL --api-key KEY`. Each file is
// streamed as multipart/form-data (part "file", never read into memory)
// like `octopus package upload`, but with a Content-Length rather than
// chunked and with the file sent by sendfile (see multipartFile). The exit
// code is 0 when every file was stored or ignored, 1 when any push failed,
// 2 on a usage error. OCTOPUS_URL and OCTOPUS_API_KEY are read when the ARGONAUT_*
// variables and the flags are unset, so existing CI settings work.
func runPush(ctx context.Context, e *env, args []string) int {
	var o pushOptions
	f := newFlags("argonaut push", pushSummary+"\n\nUsage: argonaut push FILE... [flags]", e.getenv)
	f.String(&o.server, "server", "URL", "", "Server URL, such as https://deploy.example.com (env OCTOPUS_URL also works).")
	f.Secret(&o.apiKey, "api-key", "API key (API-…) to push with (env OCTOPUS_API_KEY also works).")
	f.String(&o.space, "space", "ID", "Spaces-1", "Space ID to push into.")
	f.Choice(&o.mode, "overwrite-mode", []string{"fail", "overwrite", "ignore"}, "fail", "What to do when the version exists: fail, overwrite or ignore.")
	flagArgs, files := splitPushArgs(f.fs, args)
	if _, code, done := parseFlags(e, f, flagArgs); done {
		return code
	}
	if o.server == "" {
		o.server = e.getenv("OCTOPUS_URL")
	}
	if o.apiKey == "" {
		o.apiKey = e.getenv("OCTOPUS_API_KEY")
	}
	usageErr := func(msg string) int {
		fmt.Fprintf(e.stderr, "argonaut push: %s\n", msg)
		return 2
	}
	switch {
	case len(files) == 0:
		return usageErr("name at least one package file")
	case o.server == "":
		return usageErr("--server (or ARGONAUT_SERVER / OCTOPUS_URL) is required")
	case o.apiKey == "":
		return usageErr("--api-key (or ARGONAUT_API_KEY[_FILE] / OCTOPUS_API_KEY) is required")
	case !spaceIDPattern.MatchString(o.space):
		return usageErr(fmt.Sprintf("--space %q is not a space ID such as Spaces-1", o.space))
	}
	base, err := url.Parse(strings.TrimRight(o.server, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return usageErr(fmt.Sprintf("--server %q is not an http(s) URL", o.server))
	}
	endpoint := base.String() + "/api/" + o.space + "/packages/raw?overwriteMode=" + overwriteModes[o.mode]
	failed := 0
	for _, file := range files {
		if err := pushFile(ctx, e, endpoint, o.apiKey, file); err != nil {
			fmt.Fprintf(e.stderr, "argonaut push: %s: %v\n", filepath.Base(file), err)
			failed++
		}
	}
	if failed > 0 {
		fmt.Fprintf(e.stderr, "argonaut push: %d of %d package(s) failed\n", failed, len(files))
		return 1
	}
	return 0
}

// splitPushArgs separates flags from file names so that flags may follow
// the files (`argonaut push a.zip b.zip --server …`), which the flag
// package alone does not allow. Everything after "--" is a file.
func splitPushArgs(fs *flag.FlagSet, args []string) (flagArgs, files []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return flagArgs, append(files, args[i+1:]...)
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			files = append(files, a)
			continue
		}
		flagArgs = append(flagArgs, a)
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		fl := fs.Lookup(name)
		if hasValue || fl == nil {
			continue
		}
		if b, ok := fl.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			continue
		}
		if i+1 < len(args) {
			i++
			flagArgs = append(flagArgs, args[i])
		}
	}
	return flagArgs, files
}

// pushFile streams one file and reports the outcome on stdout.
func pushFile(ctx context.Context, e *env, endpoint, apiKey, path string) error {
	file, err := os.Open(path)
	if err != nil {
		return err
	}
	defer file.Close()
	st, err := file.Stat()
	if err != nil {
		return err
	}
	if st.IsDir() {
		return errors.New("is a directory")
	}
	name := filepath.Base(path)
	prog := newProgress(e.stderr, name, st.Size())
	body, err := newMultipartFile(file, st.Size(), name, &prog.done)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, body)
	if err != nil {
		return err
	}
	req.ContentLength = body.Len()
	req.Header.Set("Content-Type", body.contentType)
	req.Header.Set("X-Octopus-ApiKey", apiKey)
	req.Header.Set("User-Agent", "argonaut-push")

	if !prog.tty {
		fmt.Fprintf(e.stdout, "Pushing %s (%s)\n", name, humanBytes(st.Size()))
	}
	stop := prog.start()
	resp, err := pushClient.Do(req)
	stop()
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var out struct {
		PackageId, Version, Hash, ErrorMessage string
		Errors                                 []string
	}
	json.Unmarshal(b, &out)
	elapsed := prog.elapsed()
	switch resp.StatusCode {
	case http.StatusCreated:
		fmt.Fprintf(e.stdout, "Pushed %s %s (%s in %s, %s/s, sha256 %s)\n", out.PackageId, out.Version,
			humanBytes(st.Size()), elapsed.Round(time.Millisecond), humanBytes(rate(st.Size(), elapsed)), out.Hash)
		return nil
	case http.StatusOK:
		fmt.Fprintf(e.stdout, "Ignored %s %s: that version already exists\n", out.PackageId, out.Version)
		return nil
	}
	msg := out.ErrorMessage
	if msg == "" {
		msg = strings.TrimSpace(string(b))
	}
	if msg == "" {
		msg = resp.Status
	}
	return fmt.Errorf("%s (HTTP %d)", msg, resp.StatusCode)
}

func escapeQuotes(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s)
}

// progress draws a bar with bytes/s on a terminal and nothing otherwise
// (plain mode prints one line before and one after each file).
type progress struct {
	w       io.Writer
	name    string
	total   int64
	tty     bool
	done    atomic.Int64
	started time.Time
	ended   time.Time
}

func newProgress(w io.Writer, name string, total int64) *progress {
	return &progress{w: w, name: name, total: total, tty: isTerminal(w)}
}

// isTerminal reports whether w is a character device (a terminal), with
// the standard library alone.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// start begins timing (and drawing, on a terminal); the returned function
// stops both.
func (p *progress) start() func() {
	p.started = time.Now()
	if !p.tty {
		return func() { p.ended = time.Now() }
	}
	stop := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				p.draw()
				fmt.Fprintln(p.w)
				return
			case <-t.C:
				p.draw()
			}
		}
	}()
	return func() {
		p.ended = time.Now()
		close(stop)
		<-finished
	}
}

func (p *progress) draw() {
	done := p.done.Load()
	frac := 1.0
	if p.total > 0 {
		frac = float64(done) / float64(p.total)
	}
	const width = 30
	filled := int(frac * width)
	if filled > width {
		filled = width
	}
	bar := strings.Repeat("=", filled) + strings.Repeat(" ", width-filled)
	fmt.Fprintf(p.w, "\r%s [%s] %3.0f%% %s/%s %s/s ", p.name, bar, frac*100, humanBytes(done), humanBytes(p.total),
		humanBytes(rate(done, time.Since(p.started))))
}

func (p *progress) elapsed() time.Duration { return p.ended.Sub(p.started) }

func rate(n int64, d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64(float64(n) / d.Seconds())
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
