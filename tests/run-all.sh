#!/usr/bin/env bash
# Installs dependencies, builds, and runs every test (ctest: unit, integration, VM, control
# plane). `--sanitize` does the same in an AddressSanitizer + UndefinedBehaviorSanitizer build.
# A skipped test fails the run: every test here must really run.
# Run as root: the integration tests make network namespaces.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="$root/build"
flags=()
if [ "${1:-}" = "--sanitize" ]; then
	build="$root/build-asan"
	flags+=(-DVIPD_SANITIZE=ON)
fi

start=$(date +%s)
bash "$root/.ci/install-deps"
cmake -S "$root" -B "$build" -G Ninja "${flags[@]}" >/dev/null
cmake --build "$build"
cmake --build "$build" --target format-check
cd "$build"
log=$(mktemp /tmp/vipd-run-all.XXXXXX)
trap 'rm -f "$log"' EXIT
ctest -j2 --output-on-failure 2>&1 | tee "$log"
# A skipped test is untested code: the suite fails and names each one with its reason.
if grep -qE '\*\*\*Skipped|Not Run' "$log"; then
	echo "run-all: tests were skipped (a skip is a failure here):" >&2
	grep -E '\*\*\*Skipped|Not Run|SKIP' "$log" >&2
	exit 1
fi
echo "run-all: $(basename "$build") finished in $(( $(date +%s) - start )) s"
