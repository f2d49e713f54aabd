# lib.sh — shared by the node tests: a real 1-node control plane (cpfixture, with
# controller-manager and scheduler) plus real nodes joined to it (nodefixture), both torn down
# on every exit path, nodes first; on failure every log is printed. Sourced, not run.
#
# Needs (set by CMake): CPFIXTURE, NODEFIXTURE, PAUSE_BIN, HTTPD_BIN, UPSTREAM_BUILD.
# Exit code 77 = skipped, with the reason printed.
set -euo pipefail

skip() {
	echo "SKIPPED: $*"
	exit 77
}
fail() {
	echo "FAIL: $*" >&2
	exit 1
}
now() { date +%s.%N; }
elapsed() { echo "$(now) - $1" | bc; }
T_START=$(now)
step() { printf -- '-- [%6.1fs] %s\n' "$(elapsed "$T_START")" "$*"; }

[ "$(id -u)" = 0 ] || skip "needs root (namespaces, mounts, cgroups)"
: "${CPFIXTURE:?CPFIXTURE is not set (run through ctest)}"
: "${NODEFIXTURE:?NODEFIXTURE is not set (run through ctest)}"
: "${PAUSE_BIN:?PAUSE_BIN is not set (run through ctest)}"
: "${HTTPD_BIN:?HTTPD_BIN is not set (run through ctest)}"
: "${UPSTREAM_BUILD:?UPSTREAM_BUILD is not set (run through ctest)}"
BINDIR=${VIPD_UPSTREAM_BIN:-$("$UPSTREAM_BUILD" --print-bindir)}
for p in kube-apiserver kube-controller-manager kube-scheduler etcd kubeadm kubectl kubelet; do
	[ -x "$BINDIR/$p" ] || skip "upstream program $BINDIR/$p is not built (upstream/build.sh)"
done
for p in containerd ctr runc umoci skopeo curl bc; do
	command -v "$p" >/dev/null || skip "$p is not installed"
done
[ -x /usr/lib/cni/bridge ] && [ -x /usr/lib/cni/host-local ] ||
	skip "CNI plugins are not installed (Debian: containernetworking-plugins)"

WORK=$(mktemp -d /tmp/vipd-nodetest.XXXXXX)
D="$WORK/cp"
W="$WORK/nodes"
CP_PID=
NF_PID=
NODE_UP_ARGS=()

# Last resort when nodefixture could not stop its nodes (e.g. it was SIGKILLed): kill what is
# left in each node's cgroup root and remove the root from every hierarchy.
sweep_cgroups() {
	[ -f "$W/state" ] || return 0
	local root h
	for root in $(awk '$1 == "node" { print $6 }' "$W/state"); do
		for h in /sys/fs/cgroup/*/; do
			[ -d "$h${root#/}" ] || continue
			find "$h${root#/}" -name cgroup.procs -exec cat {} + 2>/dev/null | xargs -r kill -9 2>/dev/null || true
		done
		sleep 0.5
		for h in /sys/fs/cgroup/*/; do
			[ -d "$h${root#/}" ] && find "$h${root#/}" -depth -type d -exec rmdir {} + 2>/dev/null
		done
	done
	return 0
}

teardown() {
	local rc=$?
	trap - EXIT INT TERM
	if [ "$rc" != 0 ] && [ "$rc" != 77 ]; then
		echo "==== test failed (exit $rc): fixture output ===="
		tail -n 40 "$WORK/nodefixture.log" 2>/dev/null || true
		tail -n 20 "$WORK/cpfixture.log" 2>/dev/null || true
		for f in "$W"/nodes/*/log/*.log; do
			[ -f "$f" ] || continue
			echo "==> $f (last 25 lines) <=="
			tail -n 25 "$f" | cut -c1-400
		done
		[ -d "$D" ] && "$CPFIXTURE" logs --dir "$D" --lines 20 2>/dev/null || true
	fi
	if [ -n "$NF_PID" ]; then
		"$NODEFIXTURE" down --dir "$W" || true
		wait "$NF_PID" 2>/dev/null || true
	fi
	sweep_cgroups
	if [ -n "$CP_PID" ]; then
		"$CPFIXTURE" down --dir "$D" || true
		wait "$CP_PID" 2>/dev/null || true
	fi
	rm -rf "$WORK"
	exit "$rc"
}
trap teardown EXIT
trap 'exit 130' INT TERM

# retry SECONDS CMD… — runs CMD until it succeeds or SECONDS pass.
retry() {
	local limit=$1 t0
	shift
	t0=$(now)
	until "$@"; do
		[ "$(echo "$(elapsed "$t0") > $limit" | bc)" = 1 ] && return 1
		sleep 0.5
	done
}

cp_up() {
	"$CPFIXTURE" up --dir "$D" --bindir "$BINDIR" --controllers >"$WORK/cpfixture.log" 2>&1 &
	CP_PID=$!
	local t0
	t0=$(now)
	while [ ! -f "$D/ready" ]; do
		kill -0 "$CP_PID" 2>/dev/null || fail "cpfixture up exited before the control plane was ready"
		[ "$(echo "$(elapsed "$t0") > 600" | bc)" = 1 ] && fail "control plane not ready after 600 s"
		sleep 0.2
	done
	VERSION=$(awk '$1 == "version" { print $2; exit }' "$D/state")
	CP_NAME=$(awk '$1 == "node" { print $2; exit }' "$D/state")
	step "control plane up in $(elapsed "$t0")s (version $VERSION)"
}

# nodes_up NAME:INDEX:POD_CIDR… — starts the nodes and waits until all are Ready.
nodes_up() {
	local args=() n
	for n in "$@"; do args+=(--node "$n"); done
	local t0
	t0=$(now)
	"$NODEFIXTURE" up --cp "$D" --dir "$W" "${args[@]}" "${NODE_UP_ARGS[@]}" --pause-bin "$PAUSE_BIN" \
		--httpd-bin "$HTTPD_BIN" --timeout 300 >"$WORK/nodefixture.log" 2>&1 &
	NF_PID=$!
	while [ ! -f "$W/ready" ]; do
		kill -0 "$NF_PID" 2>/dev/null || fail "nodefixture up exited before the nodes were Ready"
		[ "$(echo "$(elapsed "$t0") > 400" | bc)" = 1 ] && fail "nodes not Ready after 400 s"
		sleep 0.2
	done
	step "nodes Ready: $(grep -o 'msg="node Ready".*' "$WORK/nodefixture.log" | tr '\n' ' ')"
}

# node_field NAME COLUMN — from nodefixture's state: 3 ip, 4 holder, 5 pod cidr, 6 cgroup root,
# 7 seconds from start to Ready.
node_field() { awk -v n="$1" -v c="$2" '$1 == "node" && $2 == n { print $c }' "$W/state"; }
# kc ARGS… — kubectl as cluster admin, run in the hub (it reaches the apiserver on the bridge).
kc() { "$CPFIXTURE" exec --dir "$D" --node hub -- "$BINDIR/kubectl" --kubeconfig "$D/nodes/$CP_NAME/etc/kubernetes/admin.conf" "$@"; }
node_is_ready() { [ "$(kc get node "$1" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}')" = True ]; }
# on_node NAME CMD… — CMD in that node's namespaces (its own /etc, /var/lib, /run, cgroups).
on_node() {
	local n=$1
	shift
	"$NODEFIXTURE" exec --dir "$W" --node "$n" -- "$@"
}
# on_client CMD… — CMD in the control plane's client namespace (on the bridge, runs nothing).
on_client() { "$CPFIXTURE" exec --dir "$D" --node client -- "$@"; }

# deploy NAMESPACE NAME REPLICAS NODE — a Deployment of our HTTP image pinned to NODE.
deploy() {
	kc create namespace "$1" >/dev/null 2>&1 || true
	kc apply -f - >/dev/null <<YAML
apiVersion: apps/v1
kind: Deployment
metadata: {name: $2, namespace: $1}
spec:
  replicas: $3
  selector: {matchLabels: {app: $2}}
  template:
    metadata: {labels: {app: $2}}
    spec:
      nodeName: $4
      containers:
      - {name: httpd, image: vipd.local/httpd:v1, imagePullPolicy: Never, ports: [{containerPort: 8080}]}
YAML
}
# running_ips NAMESPACE APP — pod IPs of Running pods of that app.
running_ips() {
	kc -n "$1" get pods -l "app=$2" --field-selector=status.phase=Running \
		-o 'jsonpath={range .items[*]}{.status.podIP}{"\n"}{end}'
}
# wait_running NAMESPACE APP COUNT
check_running() { [ "$(running_ips "$1" "$2" | grep -c .)" -ge "$3" ]; }
wait_running() {
	retry 180 check_running "$1" "$2" "$3" ||
		{ kc -n "$1" get pods -o wide; fail "$3 pods of $1/$2 not Running"; }
}

# starttime PID — when the process started (field 22 of /proc/PID/stat), to tell a pid reused.
starttime() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $20 }'; }

# node_procs NAME — "pid:starttime" of every process in the node's network or mount namespace
# (record them before stopping it: namespace ids are reused as soon as one is freed).
node_procs() {
	local holder net mnt p
	holder=$(node_field "$1" 4)
	net=$(readlink "/proc/$holder/ns/net")
	mnt=$(readlink "/proc/$holder/ns/mnt")
	for p in /proc/[0-9]*; do
		if [ "$(readlink "$p/ns/net" 2>/dev/null)" = "$net" ] ||
			[ "$(readlink "$p/ns/mnt" 2>/dev/null)" = "$mnt" ]; then
			echo "${p#/proc/}:$(starttime "${p#/proc/}")"
		fi
	done
}

# assert_node_gone NAME ROOT HOLDER INDEX "PROCS" — nothing of the node is left on the
# machine: none of the processes that were in its namespaces (so the namespaces are gone), no
# process in its cgroups, no cgroup directory, no mount of its directories, no veth in the hub.
assert_node_gone() {
	local name=$1 root=$2 holder=$3 index=$4 procs=$5 h pp
	for h in /sys/fs/cgroup/*/; do
		[ ! -e "$h${root#/}" ] || fail "cgroup $h${root#/} is left"
	done
	! kill -0 "$holder" 2>/dev/null || fail "namespace holder $holder of $name still runs"
	[ -n "$procs" ] || fail "no process was recorded in $name's namespaces"
	for pp in $procs; do
		if [ "$(starttime "${pp%%:*}")" = "${pp#*:}" ]; then
			fail "process ${pp%%:*} ($(cat "/proc/${pp%%:*}/comm" 2>/dev/null)) of $name is still running"
		fi
	done
	if grep -q "$root" /proc/[0-9]*/cgroup 2>/dev/null; then
		fail "a process is still in cgroup $root"
	fi
	if grep -l "$W/nodes/$name" /proc/[0-9]*/mountinfo 2>/dev/null | grep -q .; then
		fail "a mount of $W/nodes/$name is left"
	fi
	local left
	left=$(ps -eo pid=,args= | grep -F "$W/nodes/$name/" | grep -v grep || true)
	[ -z "$left" ] || fail "processes left: $left"
	if "$CPFIXTURE" exec --dir "$D" --node hub -- ip link show "veth$index" >/dev/null 2>&1; then
		fail "link veth$index of $name is left in the hub (nodefixture down waits for it)"
	fi
}
