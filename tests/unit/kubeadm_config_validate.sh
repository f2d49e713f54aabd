#!/usr/bin/env bash
# kubeadm_config_validate — the pinned kubeadm reads the files provisioner/kubeadm_config.c
# writes (init, control-plane join, worker join; printed by kubeadm-config-print for sample
# parameters) with `kubeadm config validate`, offline. kubeadm decodes every document strictly
# (kubeadm's own kinds, KubeletConfiguration, KubeProxyConfiguration), so a misspelt, unknown,
# duplicate or wrongly typed field is an error; any warning about fields counts as a failure
# too. Each file must also hold the kinds it should. A copy with a misspelt field and one with a
# duplicate key must fail the same check, so it cannot pass vacuously.
#
# Environment: UPSTREAM_BUILD (upstream/build.sh; kubeadm is in `$UPSTREAM_BUILD --print-bindir`),
# KUBEADM_CONFIG_PRINT (the kubeadm-config-print program).
set -euo pipefail

fail() {
	echo "kubeadm_config_validate: FAIL: $*" >&2
	exit 1
}

[ -n "${UPSTREAM_BUILD:-}" ] || fail "UPSTREAM_BUILD is not set (the path of upstream/build.sh)"
[ -x "${KUBEADM_CONFIG_PRINT:-}" ] || fail "KUBEADM_CONFIG_PRINT is not an executable: \"${KUBEADM_CONFIG_PRINT:-}\""
kubeadm="$("$UPSTREAM_BUILD" --print-bindir)/kubeadm"
[ -x "$kubeadm" ] || fail "no kubeadm at $kubeadm (the upstream_build fixture did not build it)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Nothing is contacted; an empty kubeconfig makes sure no cluster is found by accident.
: >"$work/kubeconfig"
export KUBECONFIG="$work/kubeconfig"

# Runs kubeadm config validate on $1; succeeds only with exit 0, "ok" and no warning about
# fields. kubeadm's output is in $work/out.
validates() {
	local rc=0
	"$kubeadm" config validate --config "$1" >"$work/out" 2>&1 || rc=$?
	[ "$rc" -eq 0 ] || return 1
	! grep -q -i -E 'unknown field|duplicate|already set|strict decoding|warning|^W[0-9]{4} ' \
		"$work/out" || return 1
	grep -q -x ok "$work/out"
}

# $1 = mode, then the kinds its file must hold.
check_one() {
	local mode=$1 file="$work/$1.yaml" kind
	shift
	"$KUBEADM_CONFIG_PRINT" "$mode" >"$file" || fail "kubeadm-config-print $mode failed"
	for kind in "$@"; do
		grep -q -x "kind: $kind" "$file" || fail "$mode: no $kind in:
$(cat "$file")"
	done
	validates "$file" || fail "$mode: kubeadm config validate:
$(cat "$work/out")
--- the file:
$(cat "$file")"
	echo "kubeadm_config_validate: ok $mode ($*)"
}

check_one init InitConfiguration ClusterConfiguration KubeletConfiguration KubeProxyConfiguration
check_one join-cp JoinConfiguration
check_one join-worker JoinConfiguration
grep -q -x 'controlPlane:' "$work/join-cp.yaml" || fail "join-cp: no controlPlane section"
! grep -q 'controlPlane' "$work/join-worker.yaml" || fail "join-worker: has a controlPlane section"

# The check has teeth: a misspelt field (in kubeadm's, kubelet's and kube-proxy's documents)
# and a duplicate key are each caught.
teeth() {
	local name=$1 expr=$2 from=$3
	sed -e "$expr" "$work/$from.yaml" >"$work/$name.yaml"
	cmp -s "$work/$name.yaml" "$work/$from.yaml" && fail "teeth $name: the sed changed nothing"
	if validates "$work/$name.yaml"; then
		fail "teeth $name: a broken file passed the check"
	fi
}
teeth misspelt-kubeadm 's/^  imagePullPolicy:/  imagePulPolicy:/' init
teeth misspelt-kubelet 's/^failSwapOn:/failSwapOnn:/' init
teeth misspelt-proxy 's/^  maxPerCore:/  maxPercore:/' init
teeth misspelt-join 's/^    caCertHashes:/    caCertHash:/' join-worker
teeth duplicate 's/^  bindPort: \(.*\)$/&\n  bindPort: \1/' init
echo "kubeadm_config_validate: 3 files read by kubeadm $("$kubeadm" version -o short) with every field known"
