#!/usr/bin/env bash
# etcd backend against the fixture's real etcd cluster (3 members; each elector talks to its
# own node's member through the v3 JSON gateway with client certificates): one leader at every
# instant; kill -9 → new leader within leaseDuration + retryPeriod; graceful stop (lease
# revoked) → new leader at once, by the release marker (within 1 s: a lost marker would cost the
# 5 s leaseDuration; bench-election has the real figure, tens of ms); SIGSTOP past the TTL → the stopped leader steps down on
# SIGCONT and never acts after the takeover; `etcdctl del` of the key while its holder lives →
# the holder stops at once and no follower takes the key before leaseDuration; quorum lost (two members killed) → the leader steps
# down within renewDeadline (keep-alives count only when a quorum read confirms them), and
# nobody leads.
. "$(dirname "$0")/../controlplane/lib.sh"
. "$(dirname "$0")/lib_elect.sh"

fixture_up --nodes 3
mapfile -t N < <(nodes)
ids=(a b c)
for i in 0 1 2; do start_etcd_elector "${ids[$i]}" "${N[$i]}"; done
leader=$(wait_leader 15) || fail "no leader within 15 s"
step "leader: $leader (on ${ENODE[$leader]})"
etcdctl_on() {
	on "$1" etcdctl --endpoints=https://127.0.0.1:2379 --cacert=/etc/kubernetes/pki/etcd/ca.crt \
		--cert=/etc/kubernetes/pki/etcd/healthcheck-client.crt \
		--key=/etc/kubernetes/pki/etcd/healthcheck-client.key "${@:2}"
}
key="$LEASE_NS-$LEASE_NAME"
[ "$(etcdctl_on "${N[0]}" get "$key" --print-value-only)" = "$leader" ] || fail "etcd key $key does not name $leader"

# --- kill -9 ----------------------------------------------------------------------------------
sleep 2
t0=$(now)
stop_elector "$leader" KILL
new=$(wait_leader $((LEASE_S + RETRY_S + 3)) "$leader") || fail "no new leader after kill -9 of $leader"
t_kill=$(echo "$(last_field "$new" "started leading" at) - $t0" | bc)
step "kill -9 $leader → $new leads after ${t_kill}s"
[ "$(echo "$t_kill <= $LEASE_S + $RETRY_S + 0.3" | bc)" = 1 ] || fail "takeover took ${t_kill}s"
[ "$(echo "$t_kill >= $LEASE_S - $RETRY_S - 0.1" | bc)" = 1 ] || fail "takeover after ${t_kill}s: before the TTL"
start_etcd_elector "$leader" "${ENODE[$leader]}"
leader=$new

# --- graceful ---------------------------------------------------------------------------------
sleep 2
t0=$(now)
stop_elector "$leader" TERM
new=$(wait_leader 5 "$leader") || fail "no new leader after SIGTERM of $leader"
t_graceful=$(echo "$(last_field "$new" "started leading" at) - $t0" | bc)
step "SIGTERM $leader (lease revoked) → $new leads after ${t_graceful}s"
[ "$(echo "$t_graceful < 1" | bc)" = 1 ] ||
	fail "graceful handover took ${t_graceful}s: not the release marker's at-once takeover"
start_etcd_elector "$leader" "${ENODE[$leader]}"
leader=$new

# --- SIGSTOP ----------------------------------------------------------------------------------
sleep 2
kill -STOP "${EPID[$leader]}"
new=$(wait_leader $((LEASE_S + RETRY_S + 3)) "$leader") || fail "no takeover while $leader is stopped"
sleep 1
kill -CONT "${EPID[$leader]}"
t_cont=$(now)
retry 3 seen "$leader" 'msg="stopped leading".*renewDeadline' ||
	fail "$leader did not report stopped-leading after SIGCONT"
step "SIGSTOP $leader → $new took over; $leader stepped down $(echo "$(last_field "$leader" "stopped leading" at) - $t_cont" | bc)s after SIGCONT"
leader=$new
check_exclusive >/dev/null || fail "two electors acted as leader at once"

# --- the key deleted by hand while its holder lives ------------------------------------------
# The holder may act until its own watch tells it, so followers wait its leaseDuration from when
# they saw the deletion; the holder itself (it knows it stopped) may take the key again at once.
sleep 2
t0=$(now)
etcdctl_on "${N[0]}" del "$key" >/dev/null || fail "etcdctl del $key failed"
retry 2 seen "$leader" 'msg="stopped leading".*deleted' || fail "$leader kept leading after its key was deleted"
t_del_stop=$(echo "$(last_field "$leader" "stopped leading" at) - $t0" | bc)
sleep $((LEASE_S + 1))
waits=0
for id in "${ids[@]}"; do
	[ "$id" = "$leader" ] && continue
	seen "$id" 'waiting its leaseDuration' && waits=$((waits + 1))
	s=$(last_field "$id" "started leading" at)
	[ -n "$s" ] && [ "$(echo "$s >= $t0 && $s < $t0 + $LEASE_S - 0.3" | bc)" = 1 ] &&
		fail "$id took the deleted key $(echo "$s - $t0" | bc)s after the deletion, before leaseDuration"
done
[ "$waits" -ge 1 ] || fail "no follower waited out the key deleted by hand"
new=$(wait_leader 3) || fail "nobody leads after the key was deleted by hand"
t_del=$(echo "$(last_field "$new" "started leading" at) - $t0" | bc)
step "etcdctl del → $leader stopped after ${t_del_stop}s; $waits follower(s) waited; $new leads after ${t_del}s"
[ "$new" = "$leader" ] || [ "$(echo "$t_del >= $LEASE_S - 0.3" | bc)" = 1 ] ||
	fail "$new took the deleted key after ${t_del}s, before leaseDuration"
leader=$new

# --- quorum lost ------------------------------------------------------------------------------
sleep 2
lnode=${ENODE[$leader]}
t0=$(now)
for n in "${N[@]}"; do
	[ "$n" = "$lnode" ] && continue
	kill -9 "$(pid_of "$n" etcd)"
done
step "killed the etcd members on the two nodes other than $lnode"
retry $((RENEW_S + 2)) seen "$leader" 'msg="stopped leading".*renewDeadline' ||
	fail "$leader kept leading without an etcd quorum"
t_quorum=$(echo "$(last_field "$leader" "stopped leading" at) - $t0" | bc)
step "$leader stepped down ${t_quorum}s after quorum was lost"
[ "$(echo "$t_quorum <= $RENEW_S + 0.2" | bc)" = 1 ] || fail "step-down took ${t_quorum}s (> renewDeadline)"
sleep $((LEASE_S + 2))
[ -z "$(current_leader)" ] || fail "$(current_leader) leads without an etcd quorum"
n=$(check_exclusive) || fail "two electors acted as leader at once"
step "no overlap among $n leadership intervals; nobody leads without quorum"
finish_electors
printf 'RESULT: etcd election: kill -9 → %.3f s, graceful → %.3f s, etcdctl del → leader again after %.3f s, quorum loss → step-down %.3f s\n' \
	"$t_kill" "$t_graceful" "$t_del" "$t_quorum"
