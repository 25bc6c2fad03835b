package runner

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// PowerShell is not installable on this project's machines or CI (not in
// Debian), so no test here runs a real pwsh. These tests cover what can be
// checked without it: the clear failure when it is missing, and how the
// runner hands a script to it (arguments, environment, standard input),
// observed by a stand-in named pwsh. The program itself is checked as text
// in runner/bootstrap.

// pathWith points PATH at a fresh directory holding bash and sh (so package
// .sh scripts still run) and the given extra executables, and nothing else:
// no pwsh or powershell, whatever the machine has installed.
func pathWith(t *testing.T, extra map[string]string) {
	t.Helper()
	dir := t.TempDir()
	for _, sh := range []string{"bash", "sh"} {
		p, err := exec.LookPath(sh)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(p, filepath.Join(dir, sh)); err != nil {
			t.Fatal(err)
		}
	}
	for name, body := range extra {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", dir)
}

func TestPowerShellWithoutPwshFailsClearly(t *testing.T) {
	pathWith(t, nil)
	s := scriptStepOf("PS", "Write-Host hi")
	s.Syntax = PowerShell
	res, _ := runPlan(t, testRunner(t), plan(s))
	if res.Steps[0].Outcome != Failed || !strings.Contains(res.Steps[0].Message, "pwsh or powershell") ||
		!strings.Contains(res.Steps[0].Message, "not found in PATH") {
		t.Errorf("step %+v", res.Steps[0])
	}
}

// fakePwsh stands in for PowerShell: it reports its arguments, whether the
// secret reached its environment or command line, and the helper functions
// and user lines of the program on its standard input.
const fakePwsh = `#!/bin/sh
i=0
for a in "$@"; do
	i=$((i+1))
	case $a in -NoProfile|-NonInteractive|-Command) echo "arg $a" ;; esac
	case $a in *pwsh-S3cret*) echo "SECRET IN ARGV" ;; esac
done
echo "argc $i"
case "$(export -p)" in *pwsh-S3cret*) echo "SECRET IN ENV" ;; esac
case "$(export -p)" in *PATH=*) echo "env seen" ;; esac
while IFS= read -r line; do
	case $line in
	"function "*) echo "helper ${line#function }" ;;
	"__Octopus-Add "*) echo "variable line" ;;
	"Write-Host "*) echo "user: $line" ;;
	*pwsh-S3cret*) echo "SECRET IN CLEAR ON STDIN" ;;
	esac
done
`

func TestPowerShellScriptReachesPwshOnStdin(t *testing.T) {
	pathWith(t, map[string]string{"pwsh": fakePwsh})
	s := scriptStepOf("PS", "Write-Host \"the end\"")
	s.Syntax = PowerShell
	p := plan(s)
	p.Variables = []Variable{{Name: "Password", Value: "pwsh-S3cret", Sensitive: true}}
	res, rec := runPlan(t, testRunner(t), p)
	logs := strings.Join(rec.logs("PS"), "\n")
	if res.Outcome != Succeeded {
		t.Fatalf("%+v\n%s", res.Steps, logs)
	}
	for _, want := range []string{"arg -NoProfile", "arg -NonInteractive", "arg -Command", "argc 7", "variable line",
		"helper Get-OctopusVariable", "helper Set-OctopusVariable", "helper New-OctopusArtifact", "helper Fail-Step",
		"helper Update-Progress", "helper Write-Highlight", `user: Write-Host "the end"`, "env seen"} {
		if !strings.Contains(logs, want) {
			t.Errorf("pwsh saw no %q:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, "SECRET") {
		t.Errorf("the secret reached pwsh outside its program's base64:\n%s", logs)
	}
}

func TestPackagePowerShellScripts(t *testing.T) {
	entries := []pkgEntry{
		{name: "PreDeploy.sh", body: "echo pre from bash\n", mode: 0o644},
		{name: "Deploy.ps1", body: "Write-Host \"deploy from powershell\"\n", mode: 0o644},
		{name: "DeployFailed.sh", body: "echo deploy failed ran\n", mode: 0o644},
	}
	t.Run("without PowerShell the .ps1 stage fails naming the shell", func(t *testing.T) {
		pathWith(t, nil)
		r, step := packageFixture(t, "Acme.Web.1.2.3.tar.gz", buildTarGz(t, entries))
		res, rec := runPlan(t, r, packagePlan(step))
		logs := strings.Join(rec.logs(""), "\n")
		msg := res.Steps[0].Message
		if res.Outcome != Failed || !strings.Contains(msg, "Deploy.ps1") || !strings.Contains(msg, "pwsh or powershell") {
			t.Fatalf("%s %q\n%s", res.Outcome, msg, logs)
		}
		if !strings.Contains(logs, "pre from bash") || !strings.Contains(logs, "deploy failed ran") {
			t.Errorf("PreDeploy.sh and DeployFailed.sh should run around the failure:\n%s", logs)
		}
	})
	t.Run("with PowerShell the .ps1 runs through it", func(t *testing.T) {
		pathWith(t, map[string]string{"pwsh": fakePwsh})
		r, step := packageFixture(t, "Acme.Web.1.2.3.tar.gz", buildTarGz(t, entries))
		res, rec := runPlan(t, r, packagePlan(step))
		logs := strings.Join(rec.logs(""), "\n")
		if res.Outcome != Succeeded || !strings.Contains(logs, "Running Deploy.ps1") ||
			!strings.Contains(logs, `user: Write-Host "deploy from powershell"`) || strings.Contains(logs, "deploy failed ran") {
			t.Fatalf("%s %+v\n%s", res.Outcome, res.Steps, logs)
		}
	})
	t.Run("a stage with both runs the .sh here", func(t *testing.T) {
		pathWith(t, map[string]string{"pwsh": fakePwsh})
		both := append(entries, pkgEntry{name: "Deploy.sh", body: "echo deploy from bash\n", mode: 0o644})
		r, step := packageFixture(t, "Acme.Web.1.2.3.tar.gz", buildTarGz(t, both))
		res, rec := runPlan(t, r, packagePlan(step))
		logs := strings.Join(rec.logs(""), "\n")
		if res.Outcome != Succeeded || !strings.Contains(logs, "deploy from bash") || strings.Contains(logs, "Deploy.ps1") {
			t.Fatalf("%s\n%s", res.Outcome, logs)
		}
	})
}

func TestPackageScriptChoice(t *testing.T) {
	tests := []struct {
		files    []string
		goos     string
		wantName string
		wantSyn  Syntax
	}{
		{[]string{"Deploy.sh", "Deploy.ps1"}, "linux", "Deploy.sh", Bash},
		{[]string{"Deploy.sh", "Deploy.ps1"}, "windows", "Deploy.ps1", PowerShell},
		{[]string{"Deploy.ps1"}, "linux", "Deploy.ps1", PowerShell},
		{[]string{"Deploy.sh"}, "windows", "Deploy.sh", Bash},
		{[]string{"PreDeploy.sh", "Deploy.txt"}, "linux", "", ""},
	}
	for _, tt := range tests {
		dir := t.TempDir()
		for _, f := range tt.files {
			if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		root, err := os.OpenRoot(dir)
		if err != nil {
			t.Fatal(err)
		}
		name, syn, err := packageScript(root, "Deploy", tt.goos)
		root.Close()
		if err != nil || name != tt.wantName || syn != tt.wantSyn {
			t.Errorf("%v on %s: got %q %q %v, want %q %q", tt.files, tt.goos, name, syn, err, tt.wantName, tt.wantSyn)
		}
	}
}
