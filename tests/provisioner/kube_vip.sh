#!/usr/bin/env bash
# `--vip-provider kube-vip`: the same cluster with the real pinned kube-vip (v1.2.2) as the
# static pod instead of vipd, so the two can be compared on identical clusters: three Ready
# control planes, HAppy, exactly one node holding the VIP, kubectl through it, status showing
# the Lease holder as leader (kube-vip v1.2.2's kube_vip_is_leader is never 1 while it leads:
# it is set after its leading callback returns), and the VIP moving after the leader's whole node is killed.
. "$(dirname "$0")/lib.sh"
VIP=192.168.49.254
P=$PROFILE

prov start --ha -p "$P" --vip-provider kube-vip
remember_bridge
[ "$(kc get nodes --no-headers | grep -c ' Ready  *control-plane ')" = 3 ] || fail "nodes: $(kc get nodes)"
kc -n kube-system get pods -o name | quiet_grep "pod/kube-vip-$P" || fail "no kube-vip static pod"
! kc -n kube-system get pods -o name | quiet_grep "pod/vipd-" || fail "vipd runs with --vip-provider kube-vip"
retry 60 bash -c "'$PROVISIONER' profile list | grep '| $P ' | grep -q HAppy" || fail "not HAppy: $(prov status -p "$P")"
holders=$(vip_holders "$VIP")
[ "$(wc -w <<<"$holders")" = 1 ] || fail "VIP holders: '$holders'"
st=$(prov status -p "$P")
[ "$(grep -c '^vip: leader' <<<"$st")" = 1 ] && [ "$(grep -c '^vip: follower' <<<"$st")" = 2 ] ||
	fail "status vip roles from the Lease: $st"
step "kube-vip: 3 control planes, HAppy, $holders holds the VIP, status names the Lease holder leader"

pid=$(sed -n "/\"name\": \"$holders\"/,/}/s/.*\"init_pid\": \([0-9]*\).*/\1/p" "$PROVISIONER_HOME/profiles/$P/config.json")
t0=$(now)
kill -9 "$pid"
until kc get --raw /readyz --request-timeout=1s >/dev/null 2>&1; do
	[ "$(echo "$(elapsed "$t0") > 60" | bc)" = 1 ] && fail "kubectl through the VIP did not recover in 60 s"
	sleep 0.1
done
step "leader $holders killed: kubectl through the VIP answered again after $(elapsed "$t0") s (kube-vip)"
prov delete -p "$P"
left=$(leftovers)
[ -z "$left" ] || fail "delete left:$left"
echo PASS
