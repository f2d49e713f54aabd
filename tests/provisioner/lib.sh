# lib.sh — shared by the provisioner's end-to-end tests: re-runs the test inside a private
# network + mount namespace it makes (the profile's bridge lives there; the machine's own
# interfaces are never touched), gives it a private PROVISIONER_HOME and KUBECONFIG, and on
# every exit deletes the profile and checks that nothing is left behind. Sourced, not run.
#
# Needs (set by CMake): PROVISIONER, UPSTREAM_BUILD. A missing requirement fails the test with
# the reason (no test is skipped in CI).
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

[ "$(id -u)" = 0 ] || fail "needs root (network and mount namespaces, cgroups)"
: "${PROVISIONER:?PROVISIONER is not set (run through ctest)}"
: "${UPSTREAM_BUILD:?UPSTREAM_BUILD is not set (run through ctest)}"
for t in curl unshare bc; do command -v "$t" >/dev/null || fail "$t is not installed (bash .ci/install-deps)"; done

# Into a private network + mount namespace, once.
if [ -z "${PROV_TEST_INNER:-}" ]; then
	exec env PROV_TEST_INNER=1 unshare --net --mount --propagation private -- bash "$0" "$@"
fi
ip link set lo up

BINDIR=${VIPD_UPSTREAM_BIN:-$("$UPSTREAM_BUILD" --print-bindir)}
for p in kubeadm kubectl kubelet etcd etcdctl; do
	[ -x "$BINDIR/$p" ] || fail "upstream program $BINDIR/$p is not built (the upstream_build test, or upstream/build.sh)"
done
export VIPD_UPSTREAM_BIN=$BINDIR
WORK=$(mktemp -d /tmp/vipd-prov.XXXXXX)
export PROVISIONER_HOME=$WORK/home KUBECONFIG=$WORK/kubeconfig
PROFILE=${PROFILE:-tut$$}
BRIDGE=vp-none # set by remember_bridge once the profile exists
remember_bridge() {
	BRIDGE=$(sed -n 's/.*"bridge": *"\([^"]*\)".*/\1/p' "$PROVISIONER_HOME/profiles/$PROFILE/config.json")
	[ -n "$BRIDGE" ] || fail "no bridge in the profile"
}
prov() { "$PROVISIONER" "$@"; }
kc() { "$BINDIR/kubectl" "$@"; }

# Everything `delete` must remove, checked after it ran.
leftovers() {
	local out=""
	[ -e "$PROVISIONER_HOME/profiles/$PROFILE" ] && out+=" profile-dir"
	pgrep -f "__node-init --name $PROFILE(-m[0-9]+)? " >/dev/null && out+=" node-processes"
	ls -d /sys/fs/cgroup/*/"$BRIDGE"-* 2>/dev/null | quiet_grep . && out+=" cgroups"
	ip -o link show type bridge | quiet_grep "vp-" && out+=" bridge"
	grep -q "name: $PROFILE" "$KUBECONFIG" 2>/dev/null && out+=" kubeconfig-entries"
	awk -v d="$PROVISIONER_HOME" '$2 ~ d { f = 1 } END { exit !f }' /proc/mounts && out+=" mounts"
	echo "$out"
}

teardown() {
	local rc=$?
	set +e
	if [ "$rc" != 0 ]; then
		echo "---- test failed (rc=$rc); provisioner.log tail:"
		tail -n 30 "$PROVISIONER_HOME/profiles/$PROFILE/provisioner.log" 2>/dev/null
		for f in "$PROVISIONER_HOME/profiles/$PROFILE"/nodes/*/log/init.log; do
			[ -f "$f" ] && { echo "---- $f"; tail -n 10 "$f"; }
		done
	fi
	if [ -d "$PROVISIONER_HOME/profiles" ]; then # every profile of this test's private home
		prov delete --all >/dev/null 2>&1 || echo "teardown: delete --all failed"
	fi
	local left
	left=$(leftovers)
	if [ -n "$left" ]; then
		echo "teardown: left behind:$left" >&2
		# Last resort, so the machine stays clean: kill by profile, remove cgroups.
		pkill -9 -f "__node-init --name $PROFILE(-m[0-9]+)? " 2>/dev/null
		sleep 1
		for d in /sys/fs/cgroup/*/"$BRIDGE"-*; do
			[ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
		done
		[ "$rc" = 0 ] && rc=1
	fi
	rm -rf "$WORK"
	exit "$rc"
}
trap teardown EXIT

# Which nodes hold the VIP now (one sample of each).
vip_holders() {
	local vip=$1 n
	for n in $(prov node list -p "$PROFILE" | cut -f1); do
		prov ssh -p "$PROFILE" -n "$n" -- ip -4 -o addr show dev eth0 2>/dev/null | quiet_grep " $vip/" && echo "$n"
	done
	return 0
}
