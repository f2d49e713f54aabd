#!/usr/bin/env bash
# run.sh — runs each libFuzzer harness for a while (default 20 s each) on a copy of its seed
# corpus; fails if any harness finds a crash, leak or hang, leaving the input under
# $OUT/<harness>/ (add it to tests/fuzz/regressions/<harness>/ once fixed: the replay tests then
# keep it fixed).
#
#   tests/fuzz/run.sh [--seconds N] [--build DIR]
#
# Without --build it configures and builds build-fuzz/ with clang and -DVIPD_FUZZ=ON.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
seconds=20
build=
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) seconds=$2; shift 2 ;;
	--build) build=$2; shift 2 ;;
	*) echo "usage: $0 [--seconds N] [--build DIR]" >&2; exit 2 ;;
	esac
done
work=$(mktemp -d /tmp/vipd-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT

# run_step WHAT CMD… — runs a build step quietly; on failure prints the tool's own last lines
# and exits 1, so CI always says which step broke and why.
run_step() {
	local what=$1
	shift
	if ! "$@" >"$work/step.log" 2>&1; then
		echo "fuzz: $what failed: $*" >&2
		tail -n 40 "$work/step.log" >&2
		exit 1
	fi
}

if [ -z "$build" ]; then
	build=$top/build-fuzz
	command -v clang >/dev/null || { echo "fuzz: clang is not installed (bash .ci/install-deps)" >&2; exit 1; }
	run_step "configure ($build)" env CC=clang cmake -S "$top" -B "$build" -G Ninja \
		-DVIPD_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi
harnesses=()
for f in "$here"/fuzz_*.c; do
	harnesses+=("$(basename "$f" .c | sed 's/^fuzz_//')")
done
for name in "${harnesses[@]}"; do
	run_step "build of harness $name" nice cmake --build "$build" --target "fuzz_$name"
done
OUT=${OUT:-$top/build-fuzz-findings}
failed=0
for name in "${harnesses[@]}"; do
	mkdir -p "$work/$name" "$OUT/$name"
	cp "$here/corpus/$name/"* "$work/$name/" 2>/dev/null || true
	cp "$here/regressions/$name/"* "$work/$name/" 2>/dev/null || true
	log=$work/$name.log
	if "$build/tests/fuzz/fuzz_$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=1024 \
		-max_len=65536 -print_final_stats=1 -artifact_prefix="$OUT/$name/" \
		"$work/$name" >"$log" 2>&1; then
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		echo "fuzz $name: ok (${seconds}s, ${execs:-?} runs, corpus $(ls "$work/$name" | wc -l) inputs)"
	else
		failed=1
		echo "fuzz $name: FAILED — findings in $OUT/$name/:"
		ls "$OUT/$name"
		if grep -qE "ERROR|SUMMARY" "$log"; then
			grep -E "ERROR|SUMMARY" "$log" | head -5
		else
			tail -n 20 "$log" # the harness did not start: show why
		fi
	fi
done
exit $failed
