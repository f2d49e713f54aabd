#!/usr/bin/env bash
# `vipd manager` on every node of a real 3-node control plane, configured through kube-vip's
# environment variables (minikube's 5/3/1 timings). Each vipd talks to the *next* node's
# apiserver (kubernetes_addr), so losing its own apiserver only the health gate can notice.
# VIPD_BACKEND=etcd runs the same story on the etcd backend (each vipd on its local member).
#
# Checked, with vip_watch sampling every node's addresses every 2 ms throughout (any instant
# with two holders fails the test), and the client reaching https://VIP:6443/readyz and its
# neighbour entry pointing at the holder after every move:
#   one holder = the Lease holder; the VIP deleted by hand is put back; a follower restarted
#   leaves the leader alone; SIGTERM (exit 0 within 1 s, VIP elsewhere); kill -9 and SIGSTOP
#   beyond leaseDuration (the kernel removes the VIP before another node adds it); a real
#   Prometheus scrapes all three (sum(kube_vip_is_leader) = 1, promtool clean); the leader's
#   local apiserver killed (the health gate moves the VIP).
. "$(dirname "$0")/lib.sh"
: "${VIPD:?VIPD is not set (run through ctest)}"
: "${VIP_WATCH:?VIP_WATCH is not set (run through ctest)}"
for p in prometheus promtool; do
	command -v $p >/dev/null || fail "$p is not installed (Debian package prometheus: bash .ci/install-deps)"
done
fixture_up --nodes 3
mapfile -t N < <(nodes)
. "$(dirname "$0")/vipd_lib.sh"

test_cleanup() {
	local n p
	for p in ${WATCH_PID:-} ${PROM_PID:-}; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	for n in "${!VPID[@]}"; do
		kill -CONT "${VPID[$n]}" 2>/dev/null
		stop_vipd "$n" KILL
	done
	if [ "${rc:-1}" != 0 ]; then
		for n in "${!VPID[@]}"; do
			echo "==== vipd on $n (last 40 lines) ===="
			tail -n 40 "$WORK/vipd-$n.log" 2>/dev/null
		done
		echo "==== vip_watch ===="
		cat "$WORK/watch.log" 2>/dev/null
	fi
	return 0 # the fixture's own process is waited for by lib.sh's teardown
}

# --- start --------------------------------------------------------------------------------
for n in "${N[@]}"; do start_vipd "$n"; done
ns_args=()
for n in "${N[@]}"; do ns_args+=("$n=/proc/$(holder_pid "$n")/ns/net"); done
"$VIP_WATCH" --address "$VIP" --interval-ms 2 "${ns_args[@]}" >"$WORK/watch.log" 2>&1 &
WATCH_PID=$!
wait_for_holder
step "VIP $VIP on $LEADER ($BACKEND lock holder) after ${MOVE_S}s; client reaches the apiserver; its neighbour entry is $LEADER's MAC"
for n in "${N[@]}"; do
	[ "$n" = "$LEADER" ] && continue
	retry 10 grep -q 'msg="new leader".*holder="'"$LEADER"'"' "$WORK/vipd-$n.log" ||
		fail "$n does not report $LEADER as leader"
done

# --- the VIP deleted by hand is put back --------------------------------------------------
on "$LEADER" ip addr del "$VIP/32" dev eth0
retry 5 has_vip "$LEADER" || fail "VIP deleted on $LEADER was not put back"
[ "$(metric "$LEADER" vipd_vip_readds_total)" = 1 ] || fail "vipd_vip_readds_total is not 1"
step "VIP deleted by hand on $LEADER: put back, counted"

# --- a follower restarted: the leader is undisturbed --------------------------------------
for n in "${N[@]}"; do [ "$n" != "$LEADER" ] && F=$n; done
before=$(metric "$LEADER" kube_vip_leader_election_transitions_total)
stop_vipd "$F" TERM
lines=$(wc -l <"$WORK/vipd-$F.log")
start_vipd "$F"
since_restart() { tail -n +"$((lines + 1))" "$WORK/vipd-$F.log"; }
retry 20 eval 'since_restart | grep -q "msg=\"new leader\".*holder=\"$LEADER\""' ||
	fail "$F did not see $LEADER as leader after its restart"
[ "$(vip_holders)" = "$LEADER" ] || fail "restarting follower $F disturbed the VIP: [$(vip_holders | xargs)]"
[ "$(metric "$LEADER" kube_vip_leader_election_transitions_total)" = "$before" ] ||
	fail "restarting follower $F changed the leader's transitions"
step "follower $F restarted; $LEADER kept the VIP and the lease"

# --- SIGTERM: released at once, exit 0 within 1 s ------------------------------------------
OLD=$LEADER
t0=$(now)
kill -TERM "${VPID[$OLD]}"
wait "${VPID[$OLD]}"
code=$?
exit_s=$(elapsed "$t0")
[ "$code" = 0 ] || fail "vipd on $OLD exited $code after SIGTERM"
[ "$(echo "$exit_s < 1.5" | bc)" = 1 ] || fail "vipd on $OLD took ${exit_s}s to exit after SIGTERM"
has_vip "$OLD" && fail "VIP still on $OLD after its vipd stopped"
wait_for_holder "$OLD"
step "SIGTERM on $OLD: exit 0 in $(printf %.2f "$exit_s")s, VIP on $LEADER after ${MOVE_S}s"
start_vipd "$OLD"

# --- kill -9: the kernel removes the VIP before anyone else may add it --------------------
OLD=$LEADER
stop_vipd "$OLD" KILL
wait_for_holder "$OLD"
has_vip "$OLD" && fail "VIP still on $OLD after kill -9"
step "kill -9 on $OLD: VIP on $LEADER after ${MOVE_S}s"
start_vipd "$OLD"

# --- SIGSTOP beyond leaseDuration, then SIGCONT --------------------------------------------
OLD=$LEADER
kill -STOP "${VPID[$OLD]}"
wait_for_holder "$OLD"
step "SIGSTOP on $OLD: VIP on $LEADER after ${MOVE_S}s"
sleep_until=$(echo "$(now) + $LEASE_S" | bc)
retry 30 eval '[ "$(echo "$(now) > $sleep_until" | bc)" = 1 ]'
kill -CONT "${VPID[$OLD]}"
retry 15 grep -q 'msg="stopped leading"' "$WORK/vipd-$OLD.log" || fail "$OLD did not notice it lost the lease"
retry 5 eval '[ "$(vip_holders)" = "$LEADER" ]' || fail "after SIGCONT the holders are [$(vip_holders | xargs)]"
step "SIGCONT on $OLD after leaseDuration more: it stepped down; $LEADER keeps the VIP"

# --- vip_loseleadership: the leader's interface down for longer than the timeout -----------
OLD=$LEADER
on "$OLD" ip link set eth0 down
retry 10 grep -q 'msg="interface down longer than vip_loseleadership_timeout_seconds"' "$WORK/vipd-$OLD.log" ||
	fail "$OLD did not give up leadership with its interface down"
has_vip "$OLD" && fail "VIP still on $OLD after it gave up leadership"
wait_for_holder "$OLD"
on "$OLD" ip link set eth0 up
retry 10 grep -q 'msg="interface up again; rejoining"' "$WORK/vipd-$OLD.log" || fail "$OLD did not rejoin"
step "eth0 down on $OLD: it gave the lease up after 1 s; VIP on $LEADER after ${MOVE_S}s; $OLD rejoined when eth0 came back"

# --- a real Prometheus scrapes all three ---------------------------------------------------
targets=$(for n in "${N[@]}"; do printf "'%s:2112'," "$(addr_of "$n")"; done)
cat >"$WORK/prometheus.yml" <<EOF
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: vipd
    static_configs: [{targets: [${targets%,}]}]
EOF
"$CPFIXTURE" exec --dir "$D" --node hub -- prometheus --config.file="$WORK/prometheus.yml" \
	--storage.tsdb.path="$WORK/prom" --web.listen-address=127.0.0.1:19090 >"$WORK/prom.log" 2>&1 &
PROM_PID=$!
query() {
	"$CPFIXTURE" exec --dir "$D" --node hub -- curl -s --max-time 2 \
		"http://127.0.0.1:19090/api/v1/query" --data-urlencode "query=$1" |
		sed -n 's/.*"value":\[[^,]*,"\([^"]*\)"\].*/\1/p'
}
retry 60 eval '[ "$(query "count(up{job=\"vipd\"} == 1)")" = 3 ] && [ "$(query "sum(kube_vip_is_leader)")" = 1 ]' ||
	fail "Prometheus: up=$(query 'count(up{job="vipd"} == 1)') sum(kube_vip_is_leader)=$(query 'sum(kube_vip_is_leader)')"
for n in "${N[@]}"; do
	out=$(on "$n" curl -s --max-time 2 http://127.0.0.1:2112/metrics | promtool check metrics 2>&1) ||
		fail "promtool check metrics on $n's scrape: $out"
	[ -z "$out" ] || fail "promtool check metrics on $n's scrape: $out"
done
step "Prometheus scrapes 3 vipd: sum(kube_vip_is_leader) = 1; promtool check metrics clean"

# --- the leader's local apiserver dies: the health gate moves the VIP -----------------------
OLD=$LEADER
kill -9 "$(pid_of "$OLD" kube-apiserver)"
wait_for_holder "$OLD"
retry 10 grep -q 'msg="local control plane failed its health checks' "$WORK/vipd-$OLD.log" ||
	fail "$OLD gave up the VIP but not through its health gate"
step "kube-apiserver killed on $OLD: health gate gave the VIP to $LEADER after ${MOVE_S}s"

# --- the oracle -----------------------------------------------------------------------------
kill "$WATCH_PID"
wait "$WATCH_PID" 2>/dev/null || true
WATCH_PID=
summary=$(grep '^summary' "$WORK/watch.log") || fail "vip_watch printed no summary"
step "vip_watch: $summary"
echo "$summary" | grep -q ' overlap_samples=0 ' ||
	fail "the VIP was on two nodes at once: $(grep 'count=[2-9]' "$WORK/watch.log" | head -5)"
echo "RESULT: vipd manager: no instant with two VIP holders; $summary"

# --- every vipd still running stops cleanly: exit 0, no sanitizer report in any run's log ---
stop_all_vipd_cleanly
step "every vipd exited 0 on SIGTERM; no sanitizer report"
rc=0
