# shellcheck shell=bash
# Shared by the hack/ scripts: progress messages and a dry-run aware command runner.
# Source it after `set -euo pipefail`; set DRY_RUN=1 to print commands instead of running them.

DRY_RUN="${DRY_RUN:-0}"

# log prints a progress step.
log() { printf '==> %s\n' "$*"; }

# warn prints a warning to stderr.
warn() { printf 'warning: %s\n' "$*" >&2; }

# die prints an error to stderr and exits.
die() {
	printf 'error: %s\n' "$*" >&2
	exit 1
}

# show prints a command the way a shell would read it back.
show() {
	printf '+'
	printf ' %q' "$@"
	printf '\n'
}

# run prints a command and runs it, unless this is a dry run.
run() {
	show "$@"
	if [[ "${DRY_RUN}" == 1 ]]; then
		return 0
	fi
	"$@"
}

# need fails unless every named tool is on PATH (a dry run only warns: it runs none of them).
need() {
	local tool missing=()
	for tool in "$@"; do
		command -v "${tool}" >/dev/null 2>&1 || missing+=("${tool}")
	done
	if ((${#missing[@]} > 0)); then
		if [[ "${DRY_RUN}" == 1 ]]; then
			warn "not on PATH (fine for --dry-run): ${missing[*]}"
		else
			die "not on PATH: ${missing[*]}"
		fi
	fi
}
