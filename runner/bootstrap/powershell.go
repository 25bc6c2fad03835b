package bootstrap

import (
	_ "embed"
	"encoding/base64"
	"strings"
)

//go:embed bootstrap.ps1
var psHelpers string

// PowerShellArgs are the arguments PowerShell (pwsh or powershell.exe) is
// started with. The -Command text is a fixed loader, the same for every
// script: it reads the program PowerShell returns from standard input as
// UTF-8 bytes (independent of the console's code page) and dot-sources it.
// So the command line never carries a variable, and no file is written.
func PowerShellArgs() []string {
	return []string{"-NoLogo", "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Unrestricted", "-Command", powerShellLoader}
}

// powerShellLoader must stay free of anything variable: it is visible in
// the process listing.
const powerShellLoader = "$ErrorActionPreference='Stop';" +
	"try{[Console]::OutputEncoding=New-Object Text.UTF8Encoding $false}catch{};" +
	"$__octopusIn=New-Object IO.MemoryStream;[Console]::OpenStandardInput().CopyTo($__octopusIn);" +
	". ([ScriptBlock]::Create([Text.Encoding]::UTF8.GetString($__octopusIn.ToArray())))"

// PowerShell returns the program a PowerShell script step runs: the helpers
// of bootstrap.ps1 (Get-OctopusVariable, Set-OctopusVariable [-Sensitive],
// New-OctopusArtifact, Fail-Step, Update-Progress, Write-Verbose,
// Write-Highlight, Write-Warning, Write-Wait and the $OctopusParameters
// dictionary, case-insensitive), one line per variable filling that
// dictionary with base64-encoded names and values, then body, then the exit
// code check Octopus makes ($LASTEXITCODE of the last native command).
// Like Script, when a name appears twice the first one wins.
//
// It is meant for PowerShell's standard input (see PowerShellArgs), never a
// file: it contains every variable value, sensitive ones included.
func PowerShell(vars []Variable, body string) []byte {
	var b strings.Builder
	b.Grow(len(psHelpers) + len(body) + 96*len(vars) + 256)
	b.WriteString("Remove-Variable -Name __octopusIn -Scope Global -ErrorAction SilentlyContinue\n")
	b.WriteString(psHelpers)
	b.WriteString("\n")
	enc := base64.StdEncoding
	for _, v := range vars {
		b.WriteString("__Octopus-Add '")
		b.WriteString(enc.EncodeToString([]byte(v.Name)))
		b.WriteString("' '")
		b.WriteString(enc.EncodeToString([]byte(v.Value)))
		b.WriteString("'\n")
	}
	b.WriteString("Remove-Item -Path Function:\\__Octopus-Add\n\n")
	b.WriteString(body)
	if !strings.HasSuffix(body, "\n") {
		b.WriteString("\n")
	}
	b.WriteString("\nif ($null -ne $LASTEXITCODE -and $LASTEXITCODE -ne 0) { exit $LASTEXITCODE }\nexit 0\n")
	return []byte(b.String())
}
