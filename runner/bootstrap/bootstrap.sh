# Argonaut script bootstrap (POSIX sh and bash).
#
# This text, the generated variable lookup and the user's script reach the
# shell through an inherited pipe (/dev/fd/3): nothing is written to disk,
# put on a command line or exported to the environment. Rules for anyone
# editing this file: never enable tracing (set -x), never print the variable
# store, and keep every helper silent under a user's own `set -x` (each one
# turns tracing off first, with the `set +x` itself hidden, and restores it).

# The shell has its own descriptor on the pipe; close ours so that the
# processes the script starts do not inherit it.
exec 3<&-

__octopus_b64() {
	printf '%s' "$1" | base64 | tr -d '\n'
}

__octopus_restore_xtrace() {
	case $__octopus_xtrace in *x*) set -x ;; esac
}

# get_octopusvariable NAME prints the value of a variable ("" if unset).
get_octopusvariable() {
	{ __octopus_xtrace=$-; set +x; } 2>/dev/null
	if __octopus_lookup "$1"; then
		printf '%s' "$__octopus_value"
	fi
	__octopus_value=
	__octopus_restore_xtrace
}

# set_octopusvariable NAME VALUE [-sensitive] publishes an output variable,
# Octopus.Action[<this step>].Output.NAME for later steps.
set_octopusvariable() {
	{ __octopus_xtrace=$-; set +x; } 2>/dev/null
	__octopus_sensitive=False
	if [ "${3:-}" = "-sensitive" ]; then __octopus_sensitive=True; fi
	printf "##octopus[setVariable name='%s' value='%s' sensitive='%s']\n" \
		"$(__octopus_b64 "$1")" "$(__octopus_b64 "$2")" "$(__octopus_b64 "$__octopus_sensitive")"
	__octopus_restore_xtrace
}

# new_octopusartifact PATH [NAME] attaches a file to the deployment.
new_octopusartifact() {
	{ __octopus_xtrace=$-; set +x; } 2>/dev/null
	case $1 in
	/*) __octopus_path=$1 ;;
	*) __octopus_path=$PWD/$1 ;;
	esac
	__octopus_name=${2:-${1##*/}}
	printf "##octopus[createArtifact path='%s' name='%s']\n" \
		"$(__octopus_b64 "$__octopus_path")" "$(__octopus_b64 "$__octopus_name")"
	__octopus_restore_xtrace
}

# fail_step MESSAGE fails the step with MESSAGE as its reason.
fail_step() {
	{ set +x; } 2>/dev/null
	printf "##octopus[resultMessage message='%s']\n" "$(__octopus_b64 "$1")"
	exit 255
}

write_verbose() {
	printf '##octopus[stdout-verbose]\n%s\n##octopus[stdout-default]\n' "$1"
}

write_highlight() {
	printf '##octopus[stdout-highlight]\n%s\n##octopus[stdout-default]\n' "$1"
}

write_warning() {
	printf '##octopus[stdout-warning]\n%s\n##octopus[stdout-default]\n' "$1"
}

write_wait() {
	printf '##octopus[stdout-wait]\n%s\n##octopus[stdout-default]\n' "$1"
}

# update_progress PERCENT [MESSAGE]
update_progress() {
	{ __octopus_xtrace=$-; set +x; } 2>/dev/null
	printf "##octopus[progress percentage='%s' message='%s']\n" \
		"$(__octopus_b64 "$1")" "$(__octopus_b64 "${2:-}")"
	__octopus_restore_xtrace
}
