package bootstrap

import (
	"encoding/base64"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// PowerShell cannot be installed on this project's machines or CI (it is
// not in Debian), so the program handed to it is checked as text: a golden
// file of the whole bootstrap, plus the properties that keep secrets safe.
func TestPowerShellGolden(t *testing.T) {
	vars := []Variable{
		{Name: "Octopus.Environment.Name", Value: "Production"},
		{Name: "Password", Value: "p'a\"s$s`\u2019w\u201cord\n#{x}"},
		{Name: "Octopus.Action[Step 1].Output.Name", Value: ""},
		{Name: "password", Value: "shadowed by the first"},
	}
	body := "Write-Host \"Hello $($OctopusParameters['Octopus.Environment.Name'])\"\nSet-OctopusVariable -Name Out -Value 1 -Sensitive"
	got := PowerShell(vars, body)
	golden := filepath.Join("testdata", "powershell.golden.ps1")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("PowerShell bootstrap differs from %s (run with -update if intended):\n%s", golden, got)
	}

	text := string(got)
	// No value appears in the clear: each is base64, which has no quote of
	// any kind, so no value can end its string literal early.
	for _, v := range vars {
		if v.Value != "" && strings.Contains(text, v.Value) {
			t.Errorf("value %q appears in the clear", v.Value)
		}
		enc := base64.StdEncoding.EncodeToString([]byte(v.Value))
		if !strings.Contains(text, "'"+enc+"'") {
			t.Errorf("value %q is not passed base64-encoded", v.Value)
		}
	}
	for _, helper := range []string{"function Get-OctopusVariable", "function Set-OctopusVariable", "[switch]$Sensitive",
		"function New-OctopusArtifact", "function Fail-Step", "function Update-Progress", "function Write-Verbose",
		"function Write-Highlight", "function Write-Warning", "function Write-Wait", "$OctopusParameters = New-Object",
		"[StringComparer]::OrdinalIgnoreCase", "##octopus[setVariable name='{0}' value='{1}' sensitive='{2}']",
		"##octopus[createArtifact path='{0}' name='{1}' length='{2}']", "##octopus[resultMessage message='{0}']",
		"##octopus[progress percentage='{0}' message='{1}']", "$ErrorActionPreference = 'Stop'"} {
		if !strings.Contains(text, helper) {
			t.Errorf("bootstrap lacks %s", helper)
		}
	}
	// The user's script comes after every helper and variable, and the
	// last native exit code decides the outcome.
	if i, j := strings.Index(text, "Remove-Item -Path Function:\\__Octopus-Add"), strings.Index(text, body); i < 0 || j < i {
		t.Errorf("body at %d, variables end at %d", j, i)
	}
	if !strings.HasSuffix(text, "if ($null -ne $LASTEXITCODE -and $LASTEXITCODE -ne 0) { exit $LASTEXITCODE }\nexit 0\n") {
		t.Error("no exit code check at the end")
	}
	var code strings.Builder // the helpers without their comments
	for _, l := range strings.Split(psHelpers, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			code.WriteString(l + "\n")
		}
	}
	for _, bad := range []string{"Set-PSDebug", "Start-Transcript", "Out-File", "Set-Content", "$env:"} {
		if strings.Contains(code.String(), bad) {
			t.Errorf("bootstrap uses %s", bad)
		}
	}
}

func TestPowerShellArgsCarryNoVariables(t *testing.T) {
	args := strings.Join(PowerShellArgs(), " ")
	for _, want := range []string{"-NoProfile", "-NonInteractive", "-Command", "OpenStandardInput", "[ScriptBlock]::Create"} {
		if !strings.Contains(args, want) {
			t.Errorf("args lack %s: %s", want, args)
		}
	}
	// The loader is a constant: nothing of a plan can reach the command line.
	if strings.Contains(args, "#{") || strings.Contains(args, "Octopus.") {
		t.Errorf("args: %s", args)
	}
}
