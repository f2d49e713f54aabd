#!/usr/bin/env bash
# A mixed fleet during a migration: the real kube-vip v1.2.2 on one node, vipd manager on the
# other two, all configured by the same kube-vip environment variables and sharing the Lease
# kube-system/plndr-cp-lock. Checked: exactly one VIP holder, the Lease holder; the client reaches
# the apiserver through the VIP; the VIP moves kube-vip → vipd (kube-vip stopped gracefully) and
# vipd → another node (vipd killed -9), each time reaching the client again.
# Two-holder instants are printed (vip_watch), not asserted: kube-vip's side is not ours.
. "$(dirname "$0")/lib.sh"
: "${VIPD:?VIPD is not set (run through ctest)}"
: "${VIP_WATCH:?VIP_WATCH is not set (run through ctest)}"
declare -A DPID

fixture_up --nodes 3
mapfile -t N < <(nodes)
KV_NODE=${N[0]}
common_env() {
	echo PATH=/usr/sbin:/usr/bin:/sbin:/bin vip_interface=eth0 address="$VIP" port=6443 \
		vip_arp=true cp_enable=true vip_leaderelection=true vip_leasename=plndr-cp-lock \
		vip_leaseduration=5 vip_renewdeadline=3 vip_retryperiod=1 vip_nodename="$1"
}
start_daemon() { # NODE
	local n=$1
	if [ "$n" = "$KV_NODE" ]; then
		# shellcheck disable=SC2046
		"$CPFIXTURE" exec --dir "$D" --node "$n" -- env -i $(common_env "$n") \
			prometheus_server=:2112 "$BINDIR/kube-vip" manager >>"$WORK/d-$n.log" 2>&1 &
	else
		# shellcheck disable=SC2046
		"$CPFIXTURE" exec --dir "$D" --node "$n" -- env -i $(common_env "$n") \
			prometheus_server=:2112 k8s_config_file=/etc/kubernetes/admin.conf \
			"$VIPD" manager >>"$WORK/d-$n.log" 2>&1 &
	fi
	DPID[$n]=$!
}
stop_daemon() { # NODE SIGNAL
	kill -s "$2" "${DPID[$1]}" 2>/dev/null || true
	wait "${DPID[$1]}" 2>/dev/null || true
}
test_cleanup() {
	local n
	[ -n "${WATCH_PID:-}" ] && kill "$WATCH_PID" 2>/dev/null && wait "$WATCH_PID" 2>/dev/null
	for n in "${!DPID[@]}"; do stop_daemon "$n" KILL; done
	if [ "${rc:-1}" != 0 ]; then
		for n in "${!DPID[@]}"; do
			echo "==== $n (last 30 lines) ===="
			tail -n 30 "$WORK/d-$n.log"
		done
		cat "$WORK/watch.log" 2>/dev/null
	fi
	return 0
}
lease_holder() { kc "$1" -n kube-system get lease plndr-cp-lock -o 'jsonpath={.spec.holderIdentity}' 2>/dev/null; }
client_ok() { on client curl -sfk --max-time 2 -o /dev/null "https://$VIP:6443/readyz"; }
# single_holder_matching_lease EXCEPT — on ONE sample of all nodes: one VIP holder, not EXCEPT,
# and the Lease names it; sets HOLDER.
single_holder_matching_lease() {
	local h
	h=$(vip_holders)
	[ -n "$h" ] && [ "$(wc -l <<<"$h")" = 1 ] && [ "$h" != "$1" ] &&
		[ "$(lease_holder "$h")" = "$h" ] || return 1
	HOLDER=$h
}
# stable_holder [EXCEPT] — one VIP holder other than EXCEPT, which the Lease names; sets LEADER.
stable_holder() {
	local except=${1:-}
	retry 90 single_holder_matching_lease "$except" ||
		fail "no single VIP holder matching the Lease (except \"$except\"): VIP on [$(vip_holders | xargs)], Lease \"$(lease_holder "${N[1]}")\""
	LEADER=$HOLDER
	retry 15 client_ok || fail "client cannot reach the apiserver through $LEADER"
}
kind() { [ "$1" = "$KV_NODE" ] && echo kube-vip || echo vipd; }

ns_args=()
for n in "${N[@]}"; do ns_args+=("$n=/proc/$(holder_pid "$n")/ns/net"); done
"$VIP_WATCH" --address "$VIP" --interval-ms 2 "${ns_args[@]}" >"$WORK/watch.log" 2>&1 &
WATCH_PID=$!

# kube-vip first, so it is the one that leads; then vipd joins on the other two nodes.
start_daemon "$KV_NODE"
retry 60 eval '[ "$(lease_holder "$KV_NODE")" = "$KV_NODE" ]' || fail "kube-vip did not take the lease"
start_daemon "${N[1]}"
start_daemon "${N[2]}"
stable_holder
[ "$LEADER" = "$KV_NODE" ] || fail "expected kube-vip ($KV_NODE) to lead, not $LEADER"
for n in "${N[1]}" "${N[2]}"; do
	retry 15 grep -q "msg=\"new leader\".*holder=\"$KV_NODE\"" "$WORK/d-$n.log" ||
		fail "vipd on $n does not follow kube-vip"
done
step "kube-vip on $KV_NODE leads; vipd on ${N[1]} and ${N[2]} follow; the client reaches the apiserver"

stop_daemon "$KV_NODE" TERM
stable_holder "$KV_NODE"
step "kube-vip stopped (SIGTERM): VIP and Lease on vipd ($LEADER)"
start_daemon "$KV_NODE"

OLD=$LEADER
stop_daemon "$OLD" KILL
stable_holder "$OLD"
step "vipd on $OLD killed -9: VIP and Lease on $(kind "$LEADER") ($LEADER)"

kill "$WATCH_PID"
wait "$WATCH_PID" 2>/dev/null || true
WATCH_PID=
summary=$(grep '^summary' "$WORK/watch.log") || fail "vip_watch printed no summary"
echo "RESULT: mixed kube-vip/vipd fleet: $summary"
rc=0
