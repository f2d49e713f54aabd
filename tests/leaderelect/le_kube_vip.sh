#!/usr/bin/env bash
# vipd's Lease elector and the real kube-vip (client-go's elector) on one Lease,
# kube-system/plndr-cp-lock, with the same timings (5/3/1):
#   vipd holds it          → kube-vip waits and never takes it while vipd renews
#   vipd releases          → kube-vip takes it
#   kube-vip killed -9     → vipd takes it after leaseDuration (from kube-vip's last renewal
#                            as seen on the Lease), not before
#   kube-vip releases      → vipd takes it at once (its watch sees the release)
# and neither side logs an error about the other's Lease records.
. "$(dirname "$0")/../controlplane/lib.sh"
LEASE=kube-system/plndr-cp-lock
. "$(dirname "$0")/lib_elect.sh"

fixture_up --nodes 3
mapfile -t N < <(nodes)
KV_NODE=${N[1]}

kube_vip_prepare "$KV_NODE"
start_holder_watch "${N[0]}"
holder() { lease_get "${N[0]}" '{.spec.holderIdentity}'; }

# --- vipd holds, kube-vip waits -------------------------------------------------------------
start_elector vipd "${N[0]}"
retry 15 seen vipd 'msg="started leading"' || fail "vipd did not take the free Lease"
start_kube_vip
sleep $((3 * LEASE_S))
[ "$(holder)" = vipd ] || fail "kube-vip took the Lease while vipd renewed it (holder: $(holder))"
grep -q "successfully acquired lease" "$WORK/kube-vip.log" && fail "kube-vip says it acquired the Lease"
step "vipd renews; kube-vip waited $((3 * LEASE_S)) s without taking it"

# --- vipd releases → kube-vip takes it ------------------------------------------------------
t0=$(now)
stop_elector vipd TERM
retry $((LEASE_S + 3)) holder_is "$KV_NODE" || fail "kube-vip did not take the released Lease"
t_kv_takes=$(echo "$(holder_since "$KV_NODE" "$t0") - $t0" | bc)
step "vipd released → kube-vip ($KV_NODE) holds it after ${t_kv_takes}s"

# --- kube-vip killed -9 → vipd after leaseDuration, not before --------------------------------
start_elector vipd "${N[0]}"
sleep 3
t0=$(now)
stop_kube_vip KILL
retry $((LEASE_S + RETRY_S + 3)) seen vipd 'msg="started leading"' || fail "vipd did not take over from the dead kube-vip"
took=$(last_field vipd "started leading" at)
last_renew=$(last_renewal_before "$KV_NODE" "$took")
t_after_kill=$(echo "$took - $t0" | bc)
t_after_renew=$(echo "$took - $last_renew" | bc)
step "kube-vip killed -9 → vipd leads after ${t_after_kill}s (${t_after_renew}s after kube-vip's last renewal was seen)"
[ "$(echo "$t_after_renew >= $LEASE_S - 0.05" | bc)" = 1 ] || fail "vipd took the Lease ${t_after_renew}s after kube-vip's last renewal: before leaseDuration"
[ "$(echo "$t_after_kill <= $LEASE_S + $RETRY_S + 0.3" | bc)" = 1 ] || fail "takeover took ${t_after_kill}s"

# --- kube-vip releases → vipd at once ---------------------------------------------------------
stop_elector vipd TERM
start_kube_vip
retry $((LEASE_S + 5)) holder_is "$KV_NODE" || fail "kube-vip did not take the Lease back"
start_elector vipd "${N[0]}"
sleep 3
t0=$(now)
stop_kube_vip TERM
retry 5 seen vipd 'msg="started leading"' || fail "vipd did not take the Lease kube-vip released"
t_release=$(echo "$(last_field vipd "started leading" at) - $t0" | bc)
step "kube-vip SIGTERM (releases) → vipd leads after ${t_release}s"

# --- neither side complains about the other's records -----------------------------------------
# client-go's complaints about a lock it cannot use (kube-vip's own "lost leadership,
# restarting kube-vip" on SIGTERM is its normal exit, not about our records).
if grep -iE 'error retrieving resource lock|failed to update lock|error initially creating|failed to release lock|unmarshal|cannot decode|invalid' \
	"$WORK/kube-vip.log"; then
	fail "kube-vip could not use the Lease records vipd wrote (above)"
fi
grep -h 'cannot use the Lease' "$WORK"/el-*.log && fail "vipd could not decode a Lease kube-vip wrote"
finish_electors
printf 'RESULT: mixed vipd/kube-vip: vipd release → kube-vip %.3f s; kube-vip kill -9 → vipd %.3f s (%.3f s after its last renewal); kube-vip release → vipd %.3f s\n' \
	"$t_kv_takes" "$t_after_kill" "$t_after_renew" "$t_release"
