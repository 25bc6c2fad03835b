# Argonaut script bootstrap (PowerShell: pwsh, or Windows PowerShell 5.1).
#
# This text, the generated $OctopusParameters and the user's script reach
# PowerShell on its standard input, read once by a fixed loader given as
# -Command: nothing is written to disk, put on a command line or exported to
# the environment. Rules for anyone editing this file: never trace
# (Set-PSDebug), never print $OctopusParameters, and keep every value in the
# generated part base64-encoded (PowerShell treats several Unicode quote
# characters as quotes, so quoting alone is not safe).

$ErrorActionPreference = 'Stop'

function __Octopus-Encode([string]$value) {
	if ($null -eq $value) { $value = '' }
	return [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($value))
}

function __Octopus-Decode([string]$value) {
	return [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($value))
}

$OctopusParameters = New-Object 'System.Collections.Generic.Dictionary[string,string]' ([StringComparer]::OrdinalIgnoreCase)

function __Octopus-Add([string]$name, [string]$value) {
	$n = __Octopus-Decode $name
	if (-not $OctopusParameters.ContainsKey($n)) {
		$OctopusParameters[$n] = __Octopus-Decode $value
	}
}

# Get-OctopusVariable NAME returns the value of a variable ($null if unset).
function Get-OctopusVariable([string]$Name) {
	$value = $null
	if ($OctopusParameters.TryGetValue($Name, [ref]$value)) { return $value }
	return $null
}

# Set-OctopusVariable -Name N -Value V [-Sensitive] publishes an output
# variable, Octopus.Action[<this step>].Output.N for later steps.
function Set-OctopusVariable {
	param([Parameter(Mandatory = $true)][string]$Name, [string]$Value, [switch]$Sensitive)
	$s = 'False'
	if ($Sensitive) { $s = 'True' }
	Write-Host ("##octopus[setVariable name='{0}' value='{1}' sensitive='{2}']" -f (__Octopus-Encode $Name), (__Octopus-Encode $Value), (__Octopus-Encode $s))
}

# New-OctopusArtifact PATH [NAME] attaches a file to the deployment.
function New-OctopusArtifact {
	param([Parameter(Mandatory = $true)][string]$Path, [string]$Name)
	$full = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($Path)
	if ([string]::IsNullOrEmpty($Name)) { $Name = [IO.Path]::GetFileName($full) }
	$length = 0
	if (Test-Path -LiteralPath $full -PathType Leaf) { $length = (Get-Item -LiteralPath $full).Length }
	Write-Host ("##octopus[createArtifact path='{0}' name='{1}' length='{2}']" -f (__Octopus-Encode $full), (__Octopus-Encode $Name), (__Octopus-Encode ([string]$length)))
}

# Fail-Step MESSAGE fails the step with MESSAGE as its reason.
function Fail-Step([string]$Message) {
	if (-not [string]::IsNullOrEmpty($Message)) {
		Write-Host ("##octopus[resultMessage message='{0}']" -f (__Octopus-Encode $Message))
	}
	exit -1
}

# Update-Progress PERCENT [MESSAGE]
function Update-Progress([int]$Percentage, [string]$Message = '') {
	Write-Host ("##octopus[progress percentage='{0}' message='{1}']" -f (__Octopus-Encode ([string]$Percentage)), (__Octopus-Encode $Message))
}

function __Octopus-WriteAs([string]$stream, [string]$Message) {
	Write-Host "##octopus[stdout-$stream]"
	Write-Host $Message
	Write-Host '##octopus[stdout-default]'
}

# These replace the cmdlets of the same names, as Octopus's do: their text
# goes to the task log at the matching level instead of PowerShell's
# verbose and warning streams (which are not shown by default).
function Write-Verbose([string]$Message) { __Octopus-WriteAs 'verbose' $Message }
function Write-Warning([string]$Message) { __Octopus-WriteAs 'warning' $Message }
function Write-Highlight([string]$Message) { __Octopus-WriteAs 'highlight' $Message }
function Write-Wait([string]$Message) { __Octopus-WriteAs 'wait' $Message }
