#!/usr/bin/env bash
# Lease election against the real control plane (3 nodes; each elector talks to its own
# node's apiserver): exactly one leader at every instant; kill -9 → new leader within
# leaseDuration + retryPeriod; graceful stop → new leader at once, through the release and the
# followers' watch (within 1 s: a missed release would cost the 5 s leaseDuration; bench-election
# has the real figure, tens of ms); SIGSTOP past the
# lease → the stopped leader learns it lost and never acts after the takeover; a third party
# replacing the Lease is respected; the leader's apiserver killed → it steps down within
# renewDeadline and a leader on another node takes over; an etcd compaction past a watch's
# resourceVersion → 410 handled by re-listing.
. "$(dirname "$0")/../controlplane/lib.sh"
. "$(dirname "$0")/lib_elect.sh"

fixture_up --nodes "${NODES:-3}"
mapfile -t N < <(nodes)
ids=(a b c)
for i in 0 1 2; do start_elector "${ids[$i]}" "${N[$((i % ${#N[@]}))]}"; done
leader=$(wait_leader 15) || fail "no leader within 15 s"
step "leader: $leader (on ${ENODE[$leader]})"
sleep 2
[ "$(lease_get "${N[0]}" '{.spec.holderIdentity}')" = "$leader" ] || fail "Lease holder is not $leader"
[ "$(lease_get "${N[0]}" '{.spec.leaseDurationSeconds}')" = "$LEASE_S" ] || fail "leaseDurationSeconds is not $LEASE_S"

# --- kill -9 the leader ---------------------------------------------------------------------
t0=$(now)
stop_elector "$leader" KILL
new=$(wait_leader $((LEASE_S + RETRY_S + 3)) "$leader") || fail "no new leader after kill -9 of $leader"
dt=$(echo "$(last_field "$new" "started leading" at) - $t0" | bc)
step "kill -9 $leader → $new leads after ${dt}s"
[ "$(echo "$dt <= $LEASE_S + $RETRY_S + 0.3" | bc)" = 1 ] || fail "takeover after kill -9 took ${dt}s (> leaseDuration + retryPeriod)"
[ "$(echo "$dt >= $LEASE_S - $RETRY_S - 0.1" | bc)" = 1 ] || fail "takeover after ${dt}s: earlier than the lease allows"
t_kill=$dt
start_elector "$leader" "${ENODE[$leader]}"
leader=$new

# --- graceful stop --------------------------------------------------------------------------
sleep 2
t0=$(now)
stop_elector "$leader" TERM
new=$(wait_leader 5 "$leader") || fail "no new leader after SIGTERM of $leader"
dt=$(echo "$(last_field "$new" "started leading" at) - $t0" | bc)
released=$(last_field "$leader" released at)
[ -n "$released" ] || fail "$leader did not report the release"
step "SIGTERM $leader → released after $(echo "$released - $t0" | bc)s, $new leads after ${dt}s"
[ "$(echo "$dt < 1" | bc)" = 1 ] || fail "graceful handover took ${dt}s: not the release's at-once takeover"
t_graceful=$dt
start_elector "$leader" "${ENODE[$leader]}"
leader=$new

# --- SIGSTOP the leader past the lease, then SIGCONT ----------------------------------------
sleep 2
t0=$(now)
kill -STOP "${EPID[$leader]}"
new=$(wait_leader $((LEASE_S + RETRY_S + 3)) "$leader") || fail "no takeover while $leader is stopped"
sleep 1
kill -CONT "${EPID[$leader]}"
t_cont=$(now)
retry 3 seen "$leader" 'msg="stopped leading".*reason="no successful renewal within renewDeadline"' ||
	fail "$leader did not report stopped-leading (renewDeadline) after SIGCONT"
dt=$(echo "$(last_field "$leader" "stopped leading" at) - $t_cont" | bc)
step "SIGSTOP $leader → $new took over; after SIGCONT $leader stepped down in ${dt}s (renewDeadline long past)"
[ "$(echo "$dt < 0.5" | bc)" = 1 ] || fail "$leader took ${dt}s to notice it lost"
n=$(check_exclusive) || fail "two electors acted as leader at once (SIGSTOP)"
leader=$new

# --- a third party replaces the Lease ---------------------------------------------------------
sleep 2
# The leader renews every retryPeriod, so a read-modify-replace can lose the race and get 409
# Conflict (optimistic concurrency doing its job); like any client, re-read and try again.
replaced=
for attempt in 1 2 3 4 5; do
	json=$(kc "${N[0]}" get lease -n "$LEASE_NS" "$LEASE_NAME" -o json)
	json=$(sed -e 's/"holderIdentity": "[^"]*"/"holderIdentity": "intruder"/' <<<"$json")
	t0=$(now)
	if kc "${N[0]}" replace -f - <<<"$json" >/dev/null 2>"$WORK/replace.err"; then
		replaced=1
		break
	fi
	grep -q Conflict "$WORK/replace.err" || break
done
[ -n "$replaced" ] || fail "kubectl replace failed: $(cat "$WORK/replace.err")"
retry 2 seen "$leader" 'msg="stopped leading".*another holder' ||
	fail "$leader kept leading after the Lease was given to \"intruder\""
dt_stop=$(echo "$(last_field "$leader" "stopped leading" at) - $t0" | bc)
new=$(wait_leader $((LEASE_S + RETRY_S + 3))) || fail "nobody took over from the silent intruder"
dt=$(echo "$(last_field "$new" "started leading" at) - $t0" | bc)
step "kubectl replace → $leader stopped after ${dt_stop}s; $new took over after ${dt}s"
[ "$(echo "$dt >= $LEASE_S - 0.3" | bc)" = 1 ] || fail "intruder's lease taken after ${dt}s, before leaseDuration"
for id in a b c; do
	grep -q 'msg="new leader".*leader="intruder"' "$WORK/el-$id.log" || fail "$id never saw the intruder"
done
leader=$new

# --- the leader's apiserver dies ----------------------------------------------------------
sleep 2
lnode=${ENODE[$leader]}
apid=$(pid_of "$lnode" kube-apiserver)
mapfile -d '' acmd <"/proc/$apid/cmdline"
t0=$(now)
kill -9 "$apid"
retry $((RENEW_S + 2)) seen "$leader" 'msg="stopped leading".*renewDeadline' ||
	fail "$leader did not step down after its apiserver died"
dt_stop=$(echo "$(last_field "$leader" "stopped leading" at) - $t0" | bc)
new=$(wait_leader $((LEASE_S + RETRY_S + 3)) "$leader") || fail "no leader on another node"
dt=$(echo "$(last_field "$new" "started leading" at) - $t0" | bc)
step "apiserver on $lnode killed → $leader stepped down after ${dt_stop}s, $new (on ${ENODE[$new]}) leads after ${dt}s"
[ "$(echo "$dt_stop <= $RENEW_S + 0.2" | bc)" = 1 ] || fail "step-down took ${dt_stop}s (> renewDeadline)"
[ "${ENODE[$new]}" != "$lnode" ] || fail "new leader $new is on the node without apiserver"

# --- etcd compaction past the stranded watch's resourceVersion → 410 → re-list ---------------
sleep 3 # the new leader renews a few times: the stranded watch's RV falls behind
rev=$(on "${N[0]}" etcdctl --endpoints=https://127.0.0.1:2379 --cacert=/etc/kubernetes/pki/etcd/ca.crt \
	--cert=/etc/kubernetes/pki/etcd/healthcheck-client.crt --key=/etc/kubernetes/pki/etcd/healthcheck-client.key \
	put vipd-compact-marker x -w json | sed -n 's/.*"revision":\([0-9]*\).*/\1/p')
on "${N[0]}" etcdctl --endpoints=https://127.0.0.1:2379 --cacert=/etc/kubernetes/pki/etcd/ca.crt \
	--cert=/etc/kubernetes/pki/etcd/healthcheck-client.crt --key=/etc/kubernetes/pki/etcd/healthcheck-client.key \
	compact "$rev" >/dev/null || fail "etcd compaction failed"
step "etcd compacted at revision $rev"
"$CPFIXTURE" exec --dir "$D" --node "$lnode" -- "${acmd[@]}" >"$WORK/apiserver-restarted.log" 2>&1 &
APISERVER_PID=$!
test_cleanup() {
	kill -9 "$APISERVER_PID" 2>/dev/null || true
	teardown_electors 1 || true
}
retry 60 kc "$lnode" get --raw /readyz >/dev/null 2>&1 || fail "restarted apiserver on $lnode not ready"
retry 15 seen "$leader" '410 Gone' || fail "$leader never re-listed after the compaction"
step "$leader's watch got 410 Gone after the compaction and re-listed"
retry 5 seen "$leader" "msg=\"new leader\".*leader=\"$new\"" || fail "$leader does not see $new"

n=$(check_exclusive) || fail "two electors acted as leader at the same instant"
step "no overlap among $n leadership intervals"
finish_electors
kill -9 $APISERVER_PID 2>/dev/null || true
printf 'RESULT: lease election, %d nodes: kill -9 → %.3f s, graceful → %.3f s, apiserver loss → step-down %.3f s\n' \
	"${#N[@]}" "$t_kill" "$t_graceful" "$dt_stop"
