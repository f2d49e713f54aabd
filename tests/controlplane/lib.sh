# lib.sh — shared by the control-plane tests: start a real control plane with cpfixture, tear
# it down on every exit path (printing every process log when the test failed), and small
# helpers to run commands inside a node. Sourced, not run.
#
# Tests that need their own cleanup define a function `test_cleanup` (run first, on every exit)
# rather than setting their own EXIT trap, which would replace the teardown here.
#
# Needs: CPFIXTURE (path of the cpfixture program) and UPSTREAM_BUILD (upstream/build.sh), both
# set by CMake. Exit code 77 = skipped (ctest SKIP_RETURN_CODE), with the reason printed.
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

skip() { # in CI (CI set; .ci/run sets it) nothing may be skipped: a missing need fails the test
	[ -z "${CI:-}" ] || fail "CI: this test cannot run here (it would be skipped elsewhere): $*"
	echo "SKIPPED: $*"
	exit 77
}

[ "$(id -u)" = 0 ] || skip "needs root (network and mount namespaces)"
: "${CPFIXTURE:?CPFIXTURE is not set (run through ctest)}"
: "${UPSTREAM_BUILD:?UPSTREAM_BUILD is not set (run through ctest)}"
BINDIR=${VIPD_UPSTREAM_BIN:-$("$UPSTREAM_BUILD" --print-bindir)}
for p in kube-apiserver etcd etcdctl kubeadm kubectl kube-vip; do
	[ -x "$BINDIR/$p" ] || skip "upstream program $BINDIR/$p is not built: run 'cmake --build build --target upstream' (or upstream/build.sh)"
done
command -v curl >/dev/null || skip "curl is not installed"

WORK=$(mktemp -d /tmp/vipd-cptest.XXXXXX)
D="$WORK/cp"
CP_PID=

teardown() {
	local rc=$?
	trap - EXIT INT TERM
	if declare -F test_cleanup >/dev/null; then test_cleanup || true; fi
	if [ "$rc" != 0 ] && [ "$rc" != 77 ]; then
		echo "==== test failed (exit $rc): cpfixture output ===="
		cat "$WORK/cpfixture.log" 2>/dev/null || true
		if [ -d "$D" ]; then
			echo "==== process logs ===="
			"$CPFIXTURE" logs --dir "$D" --lines 60 || true
		fi
	fi
	if [ -n "$CP_PID" ]; then
		"$CPFIXTURE" down --dir "$D" || true
		wait "$CP_PID" 2>/dev/null || true
	fi
	rm -rf "$WORK"
	exit "$rc"
}
trap teardown EXIT
trap 'exit 130' INT TERM

# fixture_up ARGS… — starts `cpfixture up` in the background and waits until it is ready.
fixture_up() {
	local t0
	t0=$(now)
	"$CPFIXTURE" up --dir "$D" --bindir "$BINDIR" "$@" >"$WORK/cpfixture.log" 2>&1 &
	CP_PID=$!
	while [ ! -f "$D/ready" ]; do
		kill -0 "$CP_PID" 2>/dev/null || fail "cpfixture up exited before the control plane was ready"
		[ "$(echo "$(elapsed "$t0") > 600" | bc)" = 1 ] && fail "control plane not ready after 600 s"
		sleep 0.2
	done
	CP_SECONDS=$(printf %.1f "$(elapsed "$t0")")
	step "control plane up ($*) in ${CP_SECONDS}s: $(grep 'msg="control plane ready"' "$WORK/cpfixture.log")"
	VERSION=$(state version)
	VIP=$(state vip)
}

# state KEY [NODE] — a value of the running fixture (cpfixture state: its profile).
state() { "$CPFIXTURE" state --dir "$D" "$@"; }
# nodes — the control-plane node names, in order.
nodes() { state nodes; }
# addr_of NODE / holder_pid NODE — a node's address, the PID holding its namespaces ("client"
# works too).
addr_of() { state ip "$1"; }
holder_pid() { state pid "$1"; }
# on NODE CMD… — runs CMD in the node's namespaces (its /etc/kubernetes is the node's).
on() {
	local node=$1
	shift
	"$CPFIXTURE" exec --dir "$D" --node "$node" -- "$@"
}
# kc NODE ARGS… — kubectl against that node's own apiserver.
kc() {
	local node=$1
	shift
	on "$node" kubectl --kubeconfig /etc/kubernetes/admin.conf "$@"
}
pid_of() { cat "$D/nodes/$1/run/$2.pid"; }
# has_vip NODE / vip_holders — whether NODE has the VIP on eth0; every node that has (needs N,
# the node names, and VIP).
has_vip() { on "$1" ip -4 -o addr show dev eth0 | grep -q " $VIP/"; }
vip_holders() {
	local n
	for n in "${N[@]}"; do has_vip "$n" && echo "$n"; done
	return 0
}
# manifest_env FILE — the env of a static pod manifest's container as NAME=VALUE lines, the way a
# kubelet would set it (fieldRef spec.nodeName comes out as NAME=NODENAME for the caller).
manifest_env() {
	awk '
		/^ *env:/ { on = 1; next }
		on && /^ *- name:/ { name = $3; next }
		on && /^ *value:/ && name != "" { v = $0; sub(/^ *value: */, "", v); gsub(/^"|"$/, "", v); print name "=" v; name = "" }
		on && /fieldPath: spec.nodeName/ && name != "" { print name "=NODENAME"; name = "" }
		on && /^ *image:/ { exit }' "$1"
}

# The prober: in the client namespace, a fresh curl of https://VIP:6443/readyz every POLL_MS ms,
# each printing "start end http_code serial" (the serial of the apiserver certificate that
# answered). start_prober FILE / stop_prober; needs VIP and POLL_MS.
PROBER=$(
	cat <<'EOF'
VIP=$1 MS=$2
trap 'kill $(jobs -p) 2>/dev/null; exit 0' TERM INT
probe() {
	local s=$EPOCHREALTIME out code ser=-
	out=$(curl -sk --max-time 1 -o /dev/null -w '%{http_code}\n%{certs}' "https://$VIP:6443/readyz" 2>/dev/null)
	code=${out%%$'\n'*}
	[[ $out =~ Serial\ Number:([0-9a-fA-F:]+) ]] && ser=${BASH_REMATCH[1]}
	printf '%s %s %s %s\n' "$s" "$EPOCHREALTIME" "${code:-000}" "$ser"
}
exec {never}<> <(:)
tick=$(printf '%d.%03d' $((MS / 1000)) $((MS % 1000)))
while :; do
	probe &
	read -rt "$tick" -u "$never" || true
done
EOF
)
start_prober() { # FILE
	: >"$1"
	"$CPFIXTURE" exec --dir "$D" --node client -- bash -c "$PROBER" prober "$VIP" "$POLL_MS" >>"$1" 2>/dev/null &
	PROBE_PID=$!
}
# running PID — PID exists and is not a zombie.
running() { [ -r "/proc/$1/stat" ] && [ "$(sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f1)" != Z ]; }
stop_prober() { # TERM (its curls are stopped too), KILL if it lingers (a TERM was once lost)
	kill "$PROBE_PID" 2>/dev/null || true
	retry 3 eval '! running "$PROBE_PID"' || kill -KILL "$PROBE_PID" 2>/dev/null || true
	wait "$PROBE_PID" 2>/dev/null || true
	PROBE_PID=
}
# outage FILE T0 T1 — longest stretch in [T0, T1] without a completed 200 (seconds).
outage() {
	${AWK:-awk} -v a="$2" -v b="$3" '$3 == 200 && $2 > a && $2 <= b { print $2 }' "$1" | sort -g |
		${AWK:-awk} -v a="$2" -v b="$3" 'BEGIN { p = a } { if ($1 - p > m) m = $1 - p; p = $1 } END { if (b - p > m) m = b - p; printf "%.3f\n", m }'
}
