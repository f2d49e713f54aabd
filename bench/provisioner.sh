#!/usr/bin/env bash
# bench-provisioner: how long `provisioner start --ha` takes to a HAppy cluster, `node add
# --control-plane` back to HAppy, and `node delete` of a control plane — RUNS times each (3 by
# default), median and max — and the memory of each node by component (RSS of every process
# in the node's cgroups, summed by program name), with vipd (and with kube-vip when
# PROVIDERS includes it and the provisioner supports it). Runs inside a private network + mount
# namespace it makes, like the tests; prints figures, asserts nothing.
#
#   PROVISIONER=build/provisioner/cli/provisioner bash bench/provisioner.sh
#   RUNS=3 PROVIDERS="vipd kube-vip"
set -euo pipefail
: "${PROVISIONER:?PROVISIONER is not set (cmake --build build --target bench-provisioner)}"
RUNS=${RUNS:-3}
PROVIDERS=${PROVIDERS:-vipd}
if [ -z "${BENCH_INNER:-}" ]; then
	exec env BENCH_INNER=1 unshare --net --mount --propagation private -- bash "$0" "$@"
fi
ip link set lo up
WORK=$(mktemp -d /tmp/vipd-bench-prov.XXXXXX)
export PROVISIONER_HOME=$WORK/home KUBECONFIG=$WORK/kubeconfig
cleanup() {
	for p in $("$PROVISIONER" profile list -o json 2>/dev/null | grep -o '"Name":"b[0-9a-z-]*"' | cut -d'"' -f4 | sort -u); do
		"$PROVISIONER" delete -p "$p" >/dev/null 2>&1 || true
	done
	rm -rf "$WORK"
}
trap cleanup EXIT
now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc; }
happy() { "$PROVISIONER" profile list | grep "| $1 " | grep -q HAppy; }
wait_happy() {
	local until=$(($(date +%s) + 300))
	until happy "$1"; do
		[ "$(date +%s)" -lt "$until" ] || { echo "bench: $1 not HAppy in 300 s" >&2; exit 1; }
		sleep 0.5
	done
}
stats() { # "median max" of the numbers on stdin
	sort -n | awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.1f %.1f\n", m, a[NR] }'
}

# RSS in MiB by program over every process in the node's cgroups (memory hierarchy).
node_memory() {
	local root=$1 pid comm kib
	find "/sys/fs/cgroup/memory$root" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -u |
		while read -r pid; do
			comm=$(cat "/proc/$pid/comm" 2>/dev/null) || continue
			kib=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null) || continue
			echo "$comm ${kib:-0}"
		done | awk '{ s[$1] += $2; t += $2 } END { for (c in s) printf "%s=%.1f ", c, s[c] / 1024; printf "TOTAL=%.1f\n", t / 1024 }'
}

for provider in $PROVIDERS; do
	: >"$WORK/start.$provider" >"$WORK/add.$provider" >"$WORK/del.$provider"
	for run in $(seq 1 "$RUNS"); do
		p="b$run-${provider//-/}"
		t0=$(now)
		"$PROVISIONER" start --ha -p "$p" --vip-provider "$provider" >"$WORK/start.log" 2>&1 ||
			{ cat "$WORK/start.log"; exit 1; }
		wait_happy "$p"
		since "$t0" >>"$WORK/start.$provider"
		if [ "$run" = 1 ]; then
			bridge=$(sed -n 's/.*"bridge": *"\([^"]*\)".*/\1/p' "$PROVISIONER_HOME/profiles/$p/config.json")
			echo "memory per node, MiB RSS by program ($provider, 3 control planes, idle):"
			for id in 01 02 03; do
				echo "  node m$id: $(node_memory "/$bridge-m$id")"
			done
		fi
		t0=$(now)
		"$PROVISIONER" node add --control-plane -p "$p" >/dev/null
		wait_happy "$p"
		since "$t0" >>"$WORK/add.$provider"
		t0=$(now)
		"$PROVISIONER" node delete m04 -p "$p" >/dev/null
		since "$t0" >>"$WORK/del.$provider"
		"$PROVISIONER" delete -p "$p" >/dev/null
		echo "run $run ($provider): start $(tail -n1 "$WORK/start.$provider") s, add $(tail -n1 "$WORK/add.$provider") s, delete $(tail -n1 "$WORK/del.$provider") s"
	done
	read -r sm sx < <(stats <"$WORK/start.$provider")
	read -r am ax < <(stats <"$WORK/add.$provider")
	read -r dm dx < <(stats <"$WORK/del.$provider")
	printf '%-9s start --ha to HAppy: median %s s, max %s | node add --control-plane to HAppy: median %s s, max %s | node delete: median %s s, max %s  (%d runs)\n' \
		"$provider" "$sm" "$sx" "$am" "$ax" "$dm" "$dx" "$RUNS"
done
