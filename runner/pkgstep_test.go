package runner

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/argonautdeploy/argonaut/runner/substitute"
)

type pkgEntry struct {
	name, body string
	link       string // symlink target, if set
	mode       int64
}

var appPackage = []pkgEntry{
	{name: "PreDeploy.sh", body: "echo \"pre in $PWD\"\n", mode: 0o755},
	{name: "Deploy.sh", body: "echo deploying\ncat conf/app.conf\necho \"install dir $(get_octopusvariable Octopus.Action.Package.InstallationDirectoryPath)\"\n", mode: 0o644},
	{name: "PostDeploy.sh", body: "echo post\nset_octopusvariable Deployed yes\n", mode: 0o644},
	{name: "DeployFailed.sh", body: "echo cleaning up after failure\n", mode: 0o644},
	{name: "conf/app.conf", body: "host=#{DbHost}\npassword=#{Password}\nliteral=##{NotAVariable}\n", mode: 0o644},
	{name: "conf/untouched.txt", body: "#{DbHost}\n", mode: 0o644},
	{name: "appsettings.json", mode: 0o644, body: `{
  "Logging": {"LogLevel": {"Default": "Warning", "Other": "Info"}},
  "Port": 80,
  "Enabled": false,
  "Endpoints": [{"Url": "http://old"}, {"Url": "http://old2"}],
  "Octopus.Action.Name": "key with dots",
  "Extra": {"a": 1}
}`},
}

func buildTarGz(t *testing.T, entries []pkgEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: e.mode, Size: int64(len(e.body)), Typeflag: tar.TypeReg}
		if e.link != "" {
			h = &tar.Header{Name: e.name, Mode: 0o777, Typeflag: tar.TypeSymlink, Linkname: e.link}
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if e.link == "" {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func buildZip(t *testing.T, entries []pkgEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		w, err := zw.Create(e.name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// packageFixture writes data as a package file and returns the runner and a
// package step deploying it.
func packageFixture(t *testing.T, fileName string, data []byte) (*Runner, Step) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, fileName), data, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	r := testRunner(t)
	r.Packages = DirSource{Dir: dir}
	step := Step{ID: "pkg", Name: "Deploy app", Kind: KindPackage, Condition: Condition{Kind: ConditionSuccess},
		Package: &PackageRef{ID: "Acme.Web", Version: "1.2.3", SHA256: hex.EncodeToString(sum[:]), Size: int64(len(data)), FileName: fileName},
		Properties: StepProperties{
			SubstituteInFiles:     []string{"conf/*.conf", "nothing/**"},
			StructuredConfigFiles: []string{"*.json"},
		}}
	return r, step
}

func packagePlan(step Step, more ...Step) *Plan {
	p := plan(append([]Step{step}, more...)...)
	p.Variables = []Variable{
		{Name: "DbHost", Value: "db.internal"},
		{Name: "Password", Value: "pkg-S3cret", Sensitive: true},
		{Name: "Logging:LogLevel:Default", Value: "Debug"},
		{Name: "Port", Value: "8080"},
		{Name: "Enabled", Value: "true"},
		{Name: "Endpoints:1:Url", Value: "https://new<2>"},
		{Name: "Extra", Value: `{"b": [1, 2]}`},
	}
	return p
}

func TestPackageStepEndToEnd(t *testing.T) {
	for _, format := range []struct {
		file  string
		build func(*testing.T, []pkgEntry) []byte
	}{{"Acme.Web.1.2.3.tar.gz", buildTarGz}, {"Acme.Web.1.2.3.zip", buildZip}} {
		t.Run(format.file, func(t *testing.T) {
			r, step := packageFixture(t, format.file, format.build(t, appPackage))
			after := scriptStepOf("After", `echo "installed at #{Octopus.Action[Deploy app].Output.Package.InstallationDirectoryPath} deployed=#{Octopus.Action[Deploy app].Output.Deployed}"`)
			wantDir := filepath.Join(r.ApplicationsDir, "Production", "Acme.Web", "1.2.3")

			res, rec := runPlan(t, r, packagePlan(step, after))
			if res.Outcome != Succeeded {
				t.Fatalf("outcome %s %+v\n%s", res.Outcome, res.Steps, strings.Join(rec.logs(""), "\n"))
			}
			logs := rec.logs("Deploy app")
			for _, want := range []string{"pre in " + wantDir, "deploying", "host=db.internal", "password=********",
				"install dir " + wantDir, "post", `No files matched the substitution pattern "nothing/**"`} {
				if !slices.Contains(logs, want) && !containsLine(logs, want) {
					t.Errorf("logs lack %q:\n%s", want, strings.Join(logs, "\n"))
				}
			}
			if slices.Contains(logs, "cleaning up after failure") {
				t.Error("DeployFailed.sh ran after a success")
			}
			if got := rec.logs("After"); !slices.Equal(got, []string{"installed at " + wantDir + " deployed=yes"}) {
				t.Errorf("After logs %q", got)
			}
			conf, _ := os.ReadFile(filepath.Join(wantDir, "conf/app.conf"))
			if string(conf) != "host=db.internal\npassword=pkg-S3cret\nliteral=#{NotAVariable}\n" {
				t.Errorf("app.conf = %q", conf)
			}
			if b, _ := os.ReadFile(filepath.Join(wantDir, "conf/untouched.txt")); string(b) != "#{DbHost}\n" {
				t.Errorf("untouched.txt = %q", b)
			}
			wantJSON := `{
  "Logging": {
    "LogLevel": {
      "Default": "Debug",
      "Other": "Info"
    }
  },
  "Port": 8080,
  "Enabled": true,
  "Endpoints": [
    {
      "Url": "http://old"
    },
    {
      "Url": "https://new<2>"
    }
  ],
  "Octopus.Action.Name": "Deploy app",
  "Extra": {
    "b": [
      1,
      2
    ]
  }
}
`
			if b, _ := os.ReadFile(filepath.Join(wantDir, "appsettings.json")); string(b) != wantJSON {
				t.Errorf("appsettings.json:\n%s", b)
			}

			// A second deployment of the same version gets a new directory.
			res, rec = runPlan(t, r, packagePlan(step))
			if res.Outcome != Succeeded || !containsLine(rec.logs(""), "install dir "+wantDir+"_1") {
				t.Errorf("second deployment: %s %q", res.Outcome, rec.logs(""))
			}
		})
	}
}

func TestPackageStepFailures(t *testing.T) {
	withEntries := func(extra ...pkgEntry) []pkgEntry {
		return append(slices.Clone(appPackage), extra...)
	}
	replace := func(name, body string) []pkgEntry {
		out := slices.Clone(appPackage)
		for i := range out {
			if out[i].name == name {
				out[i].body = body
			}
		}
		return out
	}
	tests := []struct {
		name        string
		entries     []pkgEntry
		modify      func(*Step)
		wantMessage string
		wantLog     string
		check       func(t *testing.T, r *Runner)
	}{
		{
			name:        "sha256 mismatch",
			entries:     appPackage,
			modify:      func(s *Step) { s.Package.SHA256 = strings.Repeat("0", 64) },
			wantMessage: "the plan says 0000",
			check: func(t *testing.T, r *Runner) {
				if _, err := os.Stat(filepath.Join(r.ApplicationsDir, "Production")); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("something was extracted: %v", err)
				}
			},
		},
		{
			name:        "size mismatch",
			entries:     appPackage,
			modify:      func(s *Step) { s.Package.Size++ },
			wantMessage: "bytes, the plan says",
		},
		{
			name:        "Deploy.sh fails: DeployFailed.sh runs",
			entries:     replace("Deploy.sh", "echo broken; exit 4\n"),
			wantMessage: "Deploy.sh: the script failed with exit code 4",
			wantLog:     "cleaning up after failure",
		},
		{
			name:        "unresolved token",
			entries:     replace("conf/app.conf", "x=#{Missing}\n"),
			wantMessage: "The following tokens were unable to be evaluated: '#{Missing}'",
			wantLog:     "cleaning up after failure",
		},
		{
			name:        "invalid JSON",
			entries:     replace("appsettings.json", "{nope"),
			wantMessage: "appsettings.json: not valid JSON",
		},
		{
			name:        "package with a symlink to /etc/passwd is refused at extraction",
			entries:     withEntries(pkgEntry{name: "conf/evil.conf", link: "/etc/passwd"}),
			wantMessage: "extract package",
		},
		{
			name:        "PreDeploy.sh plants a symlink to /etc/passwd: substitution refuses it",
			entries:     replace("PreDeploy.sh", "ln -s /etc/passwd conf/evil.conf\n"),
			wantMessage: "refusing conf/evil.conf: it is a symbolic link",
			check: func(t *testing.T, r *Runner) {
				b, err := os.ReadFile("/etc/passwd")
				if err != nil || strings.Contains(string(b), "db.internal") {
					t.Errorf("/etc/passwd was touched (%v)", err)
				}
			},
		},
		{
			name:    "PreDeploy.sh plants a symlinked directory: files behind it are not visited",
			entries: replace("PreDeploy.sh", "mkdir -p ../outside && echo '#{DbHost}' > ../outside/x.conf && ln -s ../outside conf/sub\n"),
			modify:  func(s *Step) { s.Properties.SubstituteInFiles = []string{"conf/**/*.conf", "conf/*.conf"} },
			check: func(t *testing.T, r *Runner) {
				b, err := os.ReadFile(filepath.Join(r.ApplicationsDir, "Production", "Acme.Web", "outside", "x.conf"))
				if err != nil || string(b) != "#{DbHost}\n" {
					t.Errorf("file behind a linked directory = %q, %v", b, err)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, step := packageFixture(t, "Acme.Web.1.2.3.tar.gz", buildTarGz(t, tt.entries))
			if tt.modify != nil {
				tt.modify(&step)
			}
			res, rec := runPlan(t, r, packagePlan(step))
			s := res.Steps[0]
			if tt.wantMessage == "" {
				if s.Outcome != Succeeded {
					t.Errorf("step %s %q, want Succeeded", s.Outcome, s.Message)
				}
			} else if s.Outcome != Failed || !strings.Contains(s.Message, tt.wantMessage) {
				t.Errorf("step %s %q, want Failed containing %q\n%s", s.Outcome, s.Message, tt.wantMessage, strings.Join(rec.logs(""), "\n"))
			}
			if tt.wantLog != "" && !slices.Contains(rec.logs(""), tt.wantLog) {
				t.Errorf("logs lack %q: %q", tt.wantLog, rec.logs(""))
			}
			if tt.check != nil {
				tt.check(t, r)
			}
		})
	}
}

func TestExtractionErrorIsTyped(t *testing.T) {
	r, step := packageFixture(t, "Acme.Web.1.2.3.tar.gz", buildTarGz(t, []pkgEntry{{name: "../x", body: "x"}}))
	res, _ := runPlan(t, r, packagePlan(step))
	if !strings.Contains(res.Steps[0].Message, "extract package") {
		t.Errorf("message %q", res.Steps[0].Message)
	}
}

// TestPackageStepEncodingsAndFormats runs a package step whose files are
// UTF-16 and UTF-8-with-BOM templates, a YAML file and a .properties file:
// substitution keeps each file's encoding, structured configuration picks
// the format by extension, and an unresolved token is only a warning when
// the step says to ignore replacement errors.
func TestPackageStepEncodingsAndFormats(t *testing.T) {
	utf16le := substitute.Encode("host=#{DbHost} ü\r\n", substitute.UTF16LE)
	entries := append(slices.Clone(appPackage),
		pkgEntry{name: "conf/wide.conf", body: string(utf16le), mode: 0o644},
		pkgEntry{name: "conf/bom.conf", body: "\xef\xbb\xbfport=#{Port} #{Missing}\n", mode: 0o644},
		pkgEntry{name: "config/app.yaml", body: "# settings\nlogging:\n  logLevel:\n    default: Warning # keep\nport: 80\n", mode: 0o644},
		pkgEntry{name: "config/db.properties", body: "# db\ndbhost = old\nport=80\n", mode: 0o644},
	)
	r, step := packageFixture(t, "Acme.Web.1.2.3.tar.gz", buildTarGz(t, entries))
	step.Properties.StructuredConfigFiles = []string{"*.json", "config/*"}
	step.Properties.IgnoreVariableReplacementErrors = true
	res, rec := runPlan(t, r, packagePlan(step))
	if res.Outcome != Succeeded {
		t.Fatalf("outcome %s %+v\n%s", res.Outcome, res.Steps, strings.Join(rec.logs(""), "\n"))
	}
	dir := filepath.Join(r.ApplicationsDir, "Production", "Acme.Web", "1.2.3")
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if got, want := read("conf/wide.conf"), string(substitute.Encode("host=db.internal ü\r\n", substitute.UTF16LE)); got != want {
		t.Errorf("UTF-16 file = %q, want %q", got, want)
	}
	if got := read("conf/bom.conf"); got != "\xef\xbb\xbfport=8080 #{Missing}\n" {
		t.Errorf("BOM file = %q", got)
	}
	if got := read("config/app.yaml"); got != "# settings\nlogging:\n  logLevel:\n    default: Debug # keep\nport: 8080\n" {
		t.Errorf("YAML = %q", got)
	}
	if got := read("config/db.properties"); got != "# db\ndbhost = db.internal\nport=8080\n" {
		t.Errorf("properties = %q", got)
	}
	if !containsLine(rec.logs(""), "conf/bom.conf: The following tokens were unable to be evaluated: '#{Missing}'") {
		t.Errorf("no warning for the unresolved token:\n%s", strings.Join(rec.logs(""), "\n"))
	}
}

func TestSkipIfAlreadyInstalled(t *testing.T) {
	r, step := packageFixture(t, "Acme.Web.1.2.3.tar.gz", buildTarGz(t, appPackage))
	step.Properties.SkipIfAlreadyInstalled = true
	report := scriptStepOf("Report", `echo "dir=#{Octopus.Action[Deploy app].Output.Package.InstallationDirectoryPath}"`)
	first := filepath.Join(r.ApplicationsDir, "Production", "Acme.Web", "1.2.3")
	run := func(p *Plan) string {
		t.Helper()
		res, rec := runPlan(t, r, p)
		logs := strings.Join(rec.logs(""), "\n")
		if res.Outcome != Succeeded {
			t.Fatalf("%s %+v\n%s", res.Outcome, res.Steps, logs)
		}
		return logs
	}

	if logs := run(packagePlan(step, report)); !strings.Contains(logs, "deploying") || !strings.Contains(logs, "dir="+first) {
		t.Fatalf("first deployment:\n%s", logs)
	}
	// Same version, same target: skipped, and the output names the first installation.
	logs := run(packagePlan(step, report))
	if strings.Contains(logs, "deploying") || !strings.Contains(logs, "is already installed at "+first) || !strings.Contains(logs, "dir="+first) {
		t.Fatalf("second deployment:\n%s", logs)
	}
	if _, err := os.Stat(first + "_1"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a skipped installation extracted again: %v", err)
	}
	// Another target sharing the Applications directory installs its own copy.
	other := packagePlan(step, report)
	other.Target.ID = "Machines-2"
	if logs := run(other); !strings.Contains(logs, "deploying") || !strings.Contains(logs, "dir="+first+"_1") {
		t.Fatalf("other target:\n%s", logs)
	}
	// Without the property (as ForcePackageRedeployment plans it), it installs again.
	forced := step
	forced.Properties.SkipIfAlreadyInstalled = false
	if logs := run(packagePlan(forced, report)); !strings.Contains(logs, "deploying") || !strings.Contains(logs, "dir="+first+"_2") {
		t.Fatalf("forced:\n%s", logs)
	}
	// An installation removed from disk is installed again.
	if err := os.RemoveAll(first + "_2"); err != nil {
		t.Fatal(err)
	}
	if logs := run(packagePlan(step, report)); !strings.Contains(logs, "deploying") || !strings.Contains(logs, "dir="+first+"_2") {
		t.Fatalf("after removal:\n%s", logs)
	}
	// A failed installation is not recorded.
	entries := slices.Clone(appPackage)
	for i := range entries {
		if entries[i].name == "Deploy.sh" {
			entries[i].body = "exit 3\n"
		}
	}
	r2, broken := packageFixture(t, "Acme.Web.1.2.3.tar.gz", buildTarGz(t, entries))
	broken.Properties.SkipIfAlreadyInstalled = true
	if res, _ := runPlan(t, r2, packagePlan(broken)); res.Outcome != Failed {
		t.Fatalf("broken: %s", res.Outcome)
	}
	if _, err := os.Stat(filepath.Join(r2.ApplicationsDir, ".journal")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed installation was journaled: %v", err)
	}
}
