#!/usr/bin/env bash
# Measures handover times on the real control plane (3 nodes, timings 5/3/1): kill -9 of the
# leader and graceful stop, RUNS times each (default 10), for the Lease and the etcd backend and
# between vipd and the real kube-vip on plndr-cp-lock (both directions);
# then the API requests per second a follower and a leader make in a steady RATE_SECONDS run.
# MEASURE="lease etcd mixed rates" chooses the parts (default all); RUNS=0 skips the handovers.
# Times are from the signal to the new leader's "started leading". Prints RESULT lines.
. "$(dirname "$0")/../controlplane/lib.sh"
. "$(dirname "$0")/lib_elect.sh"
RUNS=${RUNS:-10}
RATE_SECONDS=${RATE_SECONDS:-60}

fixture_up --nodes 3
mapfile -t N < <(nodes)

# measure BACKEND — fills KILLS and GRACEFULS (seconds).
measure() {
	local backend=$1 start=start_elector i leader new t0 dt
	[ "$backend" = etcd ] && start=start_etcd_elector
	LEASE=kube-system/vipd-measure-$backend-$$
	LEASE_NS=${LEASE%%/*}
	LEASE_NAME=${LEASE#*/}
	for i in 0 1 2; do $start "$backend$i" "${N[$i]}"; done
	leader=$(wait_leader 15) || fail "$backend: no leader"
	KILLS=() GRACEFULS=()
	for i in $(seq "$RUNS"); do
		sleep 1.5
		leader=$(wait_leader 10) || fail "$backend: no leader before kill run $i"
		t0=$(now)
		stop_elector "$leader" KILL
		new=$(wait_leader $((LEASE_S + RETRY_S + 3)) "$leader") || fail "$backend: no leader after kill -9 (run $i)"
		dt=$(echo "$(last_field "$new" "started leading" at) - $t0" | bc)
		KILLS+=("$dt")
		$start "$leader" "${ENODE[$leader]}"
	done
	for i in $(seq "$RUNS"); do
		sleep 1.5
		leader=$(wait_leader 10) || fail "$backend: no leader before graceful run $i"
		t0=$(now)
		stop_elector "$leader" TERM
		new=$(wait_leader 5 "$leader") || fail "$backend: no leader after SIGTERM (run $i)"
		dt=$(echo "$(last_field "$new" "started leading" at) - $t0" | bc)
		GRACEFULS+=("$dt")
		$start "$leader" "${ENODE[$leader]}"
	done
	check_exclusive >/dev/null || fail "$backend: two leaders at once during the measurement"
	stop_all_electors
	printf 'RESULT: %s kill -9 → new leader: %s\n' "$backend" "$(median_max "${KILLS[@]}")"
	printf 'RESULT: %s graceful → new leader: %s\n' "$backend" "$(median_max "${GRACEFULS[@]}")"
	echo "  kill -9 runs: ${KILLS[*]}"
	echo "  graceful runs: ${GRACEFULS[*]}"
}

# measure_mixed — vipd (on node 1) and kube-vip (node 2) on plndr-cp-lock: kube-vip killed -9
# or stopped while holding → vipd; vipd killed -9 or stopped while holding → kube-vip.
kv_holds_since() { [ -n "$(holder_since "$KV_NODE" "$1")" ]; }
measure_mixed() {
	local i t0 took
	LEASE=kube-system/plndr-cp-lock
	LEASE_NS=kube-system
	LEASE_NAME=plndr-cp-lock
	kube_vip_prepare "${N[1]}"
	start_holder_watch "${N[0]}"
	local kv_kill=() kv_term=() vd_kill=() vd_term=()
	for i in $(seq "$RUNS"); do
		for sig in KILL TERM; do
			# kube-vip holds; vipd waits; kube-vip goes.
			t0=$(now)
			start_kube_vip
			retry $((LEASE_S * 3)) kv_holds_since "$t0" || fail "mixed: kube-vip did not take the Lease"
			start_elector vipd "${N[0]}"
			sleep 2
			t0=$(now)
			stop_kube_vip "$sig"
			retry $((LEASE_S + RETRY_S + 3)) seen vipd 'msg="started leading"' || fail "mixed: vipd did not take over (SIG$sig)"
			took=$(echo "$(last_field vipd "started leading" at) - $t0" | bc)
			if [ "$sig" = KILL ]; then kv_kill+=("$took"); else kv_term+=("$took"); fi
			# vipd holds; kube-vip waits; vipd goes.
			start_kube_vip
			sleep 2
			t0=$(now)
			stop_elector vipd "$sig"
			retry $((LEASE_S + RETRY_S * 3 + 3)) holder_is "$KV_NODE" || fail "mixed: kube-vip did not take over (SIG$sig)"
			took=$(echo "$(holder_since "$KV_NODE" "$t0") - $t0" | bc)
			if [ "$sig" = KILL ]; then vd_kill+=("$took"); else vd_term+=("$took"); fi
			stop_kube_vip TERM
		done
	done
	kill "$WATCH_PID" 2>/dev/null || true
	WATCH_PID=
	printf 'RESULT: mixed kube-vip kill -9 → vipd leads: %s\n' "$(median_max "${kv_kill[@]}")"
	printf 'RESULT: mixed kube-vip SIGTERM (release) → vipd leads: %s\n' "$(median_max "${kv_term[@]}")"
	printf 'RESULT: mixed vipd kill -9 → kube-vip holds: %s\n' "$(median_max "${vd_kill[@]}")"
	printf 'RESULT: mixed vipd SIGTERM (release) → kube-vip holds: %s\n' "$(median_max "${vd_term[@]}")"
	echo "  kube-vip kill -9 → vipd: ${kv_kill[*]}"
	echo "  kube-vip release → vipd: ${kv_term[*]}"
	echo "  vipd kill -9 → kube-vip: ${vd_kill[*]}"
	echo "  vipd release → kube-vip: ${vd_term[*]}"
}

MEASURE=${MEASURE:-lease etcd mixed rates}
if [ "$RUNS" -gt 0 ]; then
	case " $MEASURE " in *" lease "*) measure lease ;; esac
	case " $MEASURE " in *" etcd "*) measure etcd ;; esac
	case " $MEASURE " in *" mixed "*) measure_mixed ;; esac
fi
case " $MEASURE " in *" rates "*) ;; *) exit 0 ;; esac

# Steady state: who sends how many requests per second (start-up included).
LEASE=kube-system/vipd-rate-$$
LEASE_NS=${LEASE%%/*}
LEASE_NAME=${LEASE#*/}
for i in 0 1 2; do start_elector "rate$i" "${N[$i]}"; done
LEASE=kube-system/vipd-rate-etcd-$$
for i in 0 1 2; do start_etcd_elector "erate$i" "${N[$i]}"; done
sleep "$RATE_SECONDS"
# Roles as they are now; followers are stopped first so no takeover changes a role.
declare -A ROLE
for id in rate0 rate1 rate2 erate0 erate1 erate2; do
	ROLE[$id]=follower
	s=$(last_field "$id" "started leading" at)
	t=$(last_field "$id" "stopped leading" at)
	[ -n "$s" ] && { [ -z "$t" ] || [ "$(echo "$s > $t" | bc)" = 1 ]; } && ROLE[$id]=leader
done
for role in follower leader; do
	for id in rate0 rate1 rate2 erate0 erate1 erate2; do
		[ "${ROLE[$id]}" = "$role" ] || continue
		stop_elector "$id" TERM
		backend=lease
		[ "${id#e}" = "$id" ] || backend=etcd
		printf 'RESULT: %s %s: %s requests/s over %s s, start-up and release included (%s)\n' \
			"$backend" "$role" "$(requests_per_second "$id")" "$RATE_SECONDS" \
			"$(current_run "$id" | grep 'msg="election finished"' | sed 's/.*requests=\([0-9]*\).*reads=\([0-9]*\) writes=\([0-9]*\).*/requests=\1 reads=\2 writes=\3/')"
	done
done
finish_electors
