#!/usr/bin/env bash
# Installs dependencies, builds, and runs every test (ctest: unit, integration, VM, control
# plane). `--sanitize` does the same in an AddressSanitizer + UndefinedBehaviorSanitizer build.
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
ctest -j2 --output-on-failure
echo "run-all: $(basename "$build") finished in $(( $(date +%s) - start )) s"
