#!/usr/bin/env bash
# Installs dependencies, builds, and runs every test (ctest: unit, integration, VM, control
# plane). `--sanitize` does the same in an AddressSanitizer + UndefinedBehaviorSanitizer build.
# A skipped test fails the run: every test here must really run.
# Run as root: the integration tests make network namespaces.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="$root/build"
flags=()
ctest_args=(-j2 --output-on-failure)
if [ "${1:-}" = "--sanitize" ]; then
	build="$root/build-asan"
	flags+=(-DVIPD_SANITIZE=ON)
	# The provisioner's C paths run sanitized in provisioner_lifecycle (every command, refusal,
	# stop/start, node add/delete, storage); the tutorial and the kube-vip comparison add only
	# Kubernetes' own behaviour and ~7 minutes, so they run in the plain build alone (CI's
	# 60-minute budget for a cold run).
	ctest_args+=(-E '^provisioner_(tutorial|kube_vip)$')
fi

start=$(date +%s)
bash "$root/.ci/install-deps"
cmake -S "$root" -B "$build" -G Ninja "${flags[@]}" >/dev/null
cmake --build "$build"
cmake --build "$build" --target format-check
cd "$build"
log=$(mktemp /tmp/vipd-run-all.XXXXXX)
trap 'rm -f "$log"' EXIT
ctest "${ctest_args[@]}" 2>&1 | tee "$log"
# A skipped test is untested code: the suite fails and names each one with its reason.
if grep -qE '\*\*\*Skipped|Not Run' "$log"; then
	echo "run-all: tests were skipped (a skip is a failure here):" >&2
	grep -E '\*\*\*Skipped|Not Run|SKIP' "$log" >&2
	exit 1
fi
echo "run-all: $(basename "$build") finished in $(( $(date +%s) - start )) s"
