#!/usr/bin/env bash
# bench-safe-floor: the shortest election timings at which a daemon keeps, on a loaded machine,
# 0 split-brain instants and 0 spurious leader changes — vipd manager and the real kube-vip
# v1.2.2, each in turn on ONE real 3-node control plane (cpfixture). For each system and each
# timing set (TIMINGS, leaseDuration/renewDeadline/retryPeriod in seconds, tried shortest first;
# 3/2/1 is the shortest client-go accepts: renewDeadline > 1.2 × retryPeriod; vipd refuses a set
# whose leaseDuration - renewDeadline is under 2 s — the VIP's kernel lifetime must run out before
# another node may take the Lease — so 4/2/1 is its shortest; a refused set is recorded as
# such, from `vipd manager --check`, and the next one tried) the daemons run
# FLOOR_SECONDS (600) with nothing wrong but the load: stress-ng (STRESS, default two CPU
# hogs, one I/O and one 1 GiB memory worker: more work than the machine's 2 cores) while
# vip_watch samples every 2 ms the VIP's holders and the client's MAC for it and probes
# https://VIP:6443/readyz every 10 ms. A leader change is any change of the holder after the
# first, seen in the Lease (its leaseTransitions) or in the VIP's holder; a split-brain instant
# is two holders, or the client's MAC on a non-holder beyond 3 s.
# The floor of a system is the first timing set with 0 and 0; longer sets are not tried.
# Prints figures; asserts nothing.
#
#   cmake --build build --target upstream bench-safe-floor      (SYSTEMS="vipd kube-vip")
# Needs CPFIXTURE, UPSTREAM_BUILD, VIPD, VIP_WATCH (CMake) and stress-ng.
. "$(dirname "$0")/../tests/controlplane/lib.sh"
: "${VIPD:?VIPD is not set (run through cmake --build … --target bench-safe-floor)}"
: "${VIP_WATCH:?VIP_WATCH is not set (run through cmake --build … --target bench-safe-floor)}"
command -v stress-ng >/dev/null || fail "stress-ng is not installed (bash .ci/install-deps)"
read -ra TIMING_SETS <<<"${TIMINGS:-3/2/1 4/2/1 5/3/1 15/10/2}"
read -ra SYS_LIST <<<"${SYSTEMS:-vipd kube-vip}"
FLOOR_SECONDS=${FLOOR_SECONDS:-600}
read -ra STRESS <<<"${STRESS:---cpu 2 --io 1 --vm 1 --vm-bytes 1G}"
for t in "${TIMING_SETS[@]}"; do
	[[ $t =~ ^[0-9]+/[0-9]+/[0-9]+$ ]] || fail "TIMINGS: \"$t\" is not leaseDuration/renewDeadline/retryPeriod"
done
for s in "${SYS_LIST[@]}"; do
	[ "$s" = vipd ] || [ "$s" = kube-vip ] || fail "SYSTEMS: \"$s\" is not vipd or kube-vip"
done
declare -A DPID
WATCH_PID= STRESS_PID=

test_cleanup() {
	local k p
	for p in $STRESS_PID $WATCH_PID; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	for k in "${!DPID[@]}"; do kill -KILL "${DPID[$k]}" 2>/dev/null; wait "${DPID[$k]}" 2>/dev/null; done
	return 0
}

fixture_up --nodes 3
mapfile -t N < <(nodes)
"$BINDIR/kube-vip" manifest pod --interface eth0 --address "$VIP" --port 6443 --controlplane \
	--arp --leaderElection >"$WORK/kube-vip.yaml" || fail "kube-vip manifest pod failed"
mapfile -t KV_ENV < <(manifest_env "$WORK/kube-vip.yaml")

# vipd_refuses LEASE RENEW RETRY — vipd's own check of these timings: its one-line reason, or
# nothing (and false) when it accepts them.
vipd_refuses() {
	local why
	why=$(env -i vip_interface=eth0 address="$VIP" port=6443 cp_enable=true vip_leaderelection=true \
		vip_leaseduration="$1" vip_renewdeadline="$2" vip_retryperiod="$3" vip_nodename=check \
		"$VIPD" manager --check 2>&1 >/dev/null) && return 1
	echo "${why#vipd: }"
}
start_daemons() { # SYSTEM LEASE RENEW RETRY
	local n
	for n in "${N[@]}"; do
		if [ "$1" = vipd ]; then
			"$CPFIXTURE" exec --dir "$D" --node "$n" -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
				vip_interface=eth0 address="$VIP" port=6443 vip_arp=true cp_enable=true \
				vip_leaderelection=true vip_leasename=plndr-cp-lock vip_leaseduration="$2" \
				vip_renewdeadline="$3" vip_retryperiod="$4" vip_nodename="$n" \
				prometheus_server=:2112 k8s_config_file=/etc/kubernetes/admin.conf \
				"$VIPD" manager >>"$WORK/$1-$n.log" 2>&1 &
		else
			"$CPFIXTURE" exec --dir "$D" --node "$n" -- env -i "${KV_ENV[@]/=NODENAME/=$n}" \
				vip_leaseduration="$2" vip_renewdeadline="$3" vip_retryperiod="$4" \
				PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
				"$BINDIR/kube-vip" manager >>"$WORK/$1-$n.log" 2>&1 &
		fi
		DPID[$n]=$!
	done
}
stop_daemons() {
	local n
	for n in "${!DPID[@]}"; do kill -TERM "${DPID[$n]}" 2>/dev/null; wait "${DPID[$n]}" 2>/dev/null; done
	DPID=()
	# kube-vip may leave the VIP behind on exit: every node starts the next run without it.
	for n in "${N[@]}"; do on "$n" ip addr del "$VIP/32" dev eth0 2>/dev/null || true; done
}
one_holder() { [ "$(vip_holders | wc -l)" = 1 ]; }
# The Lease's spec.leaseTransitions (client-go adds one on every change of holder), through the
# first apiserver that answers.
lease_transitions() {
	local n t
	for n in "${N[@]}"; do
		t=$(kc "$n" -n kube-system get lease plndr-cp-lock --request-timeout=5s \
			-o jsonpath='{.spec.leaseTransitions}' 2>/dev/null) && [ -n "$t" ] && echo "$t" && return 0
	done
	return 1
}
# holder_changes WATCH_LOG — changes of the single VIP holder after the first (a leader that
# loses the VIP for a moment and gets it back is not a change; the gap shows in longest_no_holder).
holder_changes() {
	awk '$1 == "holders" && $3 == "count=1" { sub(/^nodes=/, "", $4)
		if (last != "" && $4 != last) c++; last = $4 } END { print c + 0 }' "$1"
}

echo "system,timings,seconds,leader_changes,lease_transitions,vip_holder_changes,split_instants,overlap_ms,mac_violations,longest_no_holder_ms,http_gap_ms" >"$WORK/floor.csv"
declare -A FLOOR
ns_args=()
for n in "${N[@]}"; do ns_args+=("$n=/proc/$(holder_pid "$n")/ns/net"); done
for sys in "${SYS_LIST[@]}"; do
	FLOOR[$sys]="none of ${TIMING_SETS[*]}"
	for t in "${TIMING_SETS[@]}"; do
		IFS=/ read -r l r p <<<"$t"
		if [ "$sys" = vipd ] && why=$(vipd_refuses "$l" "$r" "$p"); then
			echo "$sys,$t,0,refused,,,,,,," >>"$WORK/floor.csv"
			step "$sys $t: refused by vipd's configuration check: $why"
			continue
		fi
		start_daemons "$sys" "$l" "$r" "$p"
		retry 60 one_holder || fail "$sys $t: no single VIP holder after 60 s: [$(vip_holders | xargs)]"
		lt0=$(lease_transitions) || fail "$sys $t: cannot read the Lease plndr-cp-lock"
		"$VIP_WATCH" --address "$VIP" --interval-ms 2 --client "/proc/$(holder_pid client)/ns/net" \
			--url "https://$VIP:6443/readyz" "${ns_args[@]}" >"$WORK/watch-$sys-$l.log" 2>&1 &
		WATCH_PID=$!
		stress-ng "${STRESS[@]}" --timeout "${FLOOR_SECONDS}s" >"$WORK/stress.log" 2>&1 &
		STRESS_PID=$!
		step "$sys $t: loaded for ${FLOOR_SECONDS}s (stress-ng ${STRESS[*]})"
		wait "$STRESS_PID" || true # the run lasts as long as the load
		STRESS_PID=
		lt1=$(lease_transitions) || fail "$sys $t: cannot read the Lease plndr-cp-lock after the load"
		kill "$WATCH_PID"
		wait "$WATCH_PID" || true
		WATCH_PID=
		stop_daemons
		w=$WORK/watch-$sys-$l.log
		s=$(grep '^summary' "$w") || fail "$sys $t: vip_watch printed no summary"
		f() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$s"; }
		vip_changes=$(holder_changes "$w")
		lease_changes=$((lt1 - lt0))
		changes=$((vip_changes > lease_changes ? vip_changes : lease_changes))
		split=$(($(f overlap_samples) + $(f mac_violations)))
		echo "$sys,$t,$FLOOR_SECONDS,$changes,$lease_changes,$vip_changes,$split,$(f overlap_ms),$(f mac_violations),$(f longest_gap_ms),$(f http_gap_ms)" >>"$WORK/floor.csv"
		step "$sys $t: $changes leader changes, $split split-brain instants, longest without a holder $(f longest_gap_ms) ms, longest without an answer $(f http_gap_ms) ms"
		if [ "$changes" = 0 ] && [ "$split" = 0 ]; then
			FLOOR[$sys]=$t
			break
		fi
	done
done
echo "RESULT: safe floor under load (${FLOOR_SECONDS}s per timing set, stress-ng ${STRESS[*]}, $(nproc) CPUs):"
for sys in "${SYS_LIST[@]}"; do echo "RESULT:   $sys: ${FLOOR[$sys]}"; done
column -t -s, "$WORK/floor.csv"
cp "$WORK/floor.csv" "${FLOOR_CSV:-$PWD/bench-safe-floor.csv}"
rc=0
