# common.sh — what every cluster test script shares, whichever fixture it runs on (cpfixture's
# control plane: tests/controlplane/lib.sh; the provisioner's clusters: tests/provisioner/lib.sh):
# strict mode with a named failing command, one-line failures, timed step lines, and waiting for
# a condition instead of sleeping. Sourced, not run.
set -euo pipefail
# A top-level command that fails outside a condition ends the test: say which (a function call
# is named by its call), so no failure is silent.
trap 'echo "ERROR: ${BASH_SOURCE[0]##*/}:$LINENO: \"$BASH_COMMAND\" exited $?" >&2' ERR

fail() {
	echo "FAIL: $*" >&2
	exit 1
}
# `cmd | quiet_grep PATTERN`: grep -q that reads all its input. Under pipefail a plain grep -q
# that stops at its first match can leave the writer dead of SIGPIPE, failing the pipeline.
quiet_grep() { grep "$@" >/dev/null; }
now() { date +%s.%N; }
elapsed() { echo "$(now) - $1" | bc; }
step() { printf -- '-- [%6.1fs] %s\n' "$(elapsed "$T_START")" "$*"; }
T_START=$(now)

# retry SECONDS CMD… — runs CMD until it succeeds or SECONDS pass (0.2 s apart).
retry() {
	local limit=$1 t0
	shift
	t0=$(now)
	until "$@"; do
		[ "$(echo "$(elapsed "$t0") > $limit" | bc)" = 1 ] && return 1
		sleep 0.2
	done
}
