#!/usr/bin/env bash
# manifest_kubectl — the pinned kubectl reads every golden manifest as a v1 Pod, with no field
# lost. `kubectl create --dry-run=client` needs a server even with --validate=false (REST
# mapping), so this uses two offline reads and compares them:
#   kubectl annotate --local  keeps the document as it is (unstructured);
#   kubectl set env --local   decodes it into a typed Pod (a wrongly typed field fails) and
#                             writes it back, dropping every field a Pod does not have.
# Both are printed by kubectl's own YAML printer, so after removing what each command added,
# any difference is a field kubectl did not understand. A known-bad copy must fail the same
# check, so it cannot pass vacuously.
#
# Environment: UPSTREAM_BUILD (upstream/build.sh); kubectl is in `$UPSTREAM_BUILD --print-bindir`.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
golden_dir="$here/golden"

fail() {
	echo "manifest_kubectl: FAIL: $*" >&2
	exit 1
}

[ -n "${UPSTREAM_BUILD:-}" ] || fail "UPSTREAM_BUILD is not set (the path of upstream/build.sh)"
kubectl="$("$UPSTREAM_BUILD" --print-bindir)/kubectl"
[ -x "$kubectl" ] || fail "no kubectl at $kubectl (the upstream_build fixture did not build it)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# No cluster is ever contacted; an empty kubeconfig makes sure none is found by accident.
: >"$work/kubeconfig"
export KUBECONFIG="$work/kubeconfig"

# Prints the differences between kubectl's unstructured and typed readings of $1 (nothing when
# it read every field); non-zero when kubectl refuses the file outright.
typed_loss() {
	local file=$1 name
	name=$(basename "$file")
	"$kubectl" annotate --local -f "$file" vipd-kubectl-check=1 -o yaml >"$work/$name.u" ||
		return 1
	"$kubectl" set env --local -f "$file" VIPD_KUBECTL_CHECK=1 -o yaml >"$work/$name.t" ||
		return 1
	# What the two commands add: the annotation; the env entry, `resources: {}`, `status: {}`.
	grep -v -x -e '  annotations:' -e '    vipd-kubectl-check: "1"' "$work/$name.u" \
		>"$work/$name.u2" || true
	sed -e '/^    - name: VIPD_KUBECTL_CHECK$/,+1d' -e '/^    resources: {}$/d' \
		-e '/^status: {}$/d' "$work/$name.t" >"$work/$name.t2"
	diff "$work/$name.u2" "$work/$name.t2"
}

check_one() {
	local file=$1 list
	list=$("$kubectl" set env --local -f "$file" --list) || fail "$file: kubectl cannot read it"
	[ "${list%%$'\n'*}" = "# Pod vipd, container vipd" ] ||
		fail "$file: read as \"${list%%$'\n'*}\""
	typed_loss "$file" >"$work/loss" || fail "$file: fields kubectl dropped:
$(cat "$work/loss")"
	echo "manifest_kubectl: ok $(basename "$file")"
}

shopt -s nullglob
files=("$golden_dir"/manifest_*.yaml)
[ ${#files[@]} -gt 0 ] || fail "no golden manifests in $golden_dir"
for f in "${files[@]}"; do
	check_one "$f"
done

# The check has teeth: a misspelt field and an unknown one are caught.
sed -e 's/^    imagePullPolicy:/    imagePulPolicy:/' -e 's/^  hostNetwork: true$/&\n  hostNetworks: true/' \
	"${files[0]}" >"$work/bad.yaml"
if typed_loss "$work/bad.yaml" >/dev/null; then
	fail "a manifest with misspelt fields passed the check"
fi
echo "manifest_kubectl: ${#files[@]} manifests read as v1 Pods with every field kept"
