#!/usr/bin/env bash
# The real kube-vip (control-plane ARP mode, configured by the env its own `manifest pod`
# writes, each on its local apiserver) on 3 nodes: exactly one holds plndr-cp-lock and the VIP,
# a client on the bridge reaches the apiserver through the VIP, and after kill -9 of that
# kube-vip another node takes the VIP. Prints the takeover time: the anchor vipd is measured
# against.
. "$(dirname "$0")/lib.sh"
KUBE_VIP_ENV=(${KUBE_VIP_ENV:-})

fixture_up --nodes 3 --kube-vip "${KUBE_VIP_ENV[@]/#/--kube-vip-env=}"
mapfile -t N < <(nodes)
step "kube-vip timings (manifest defaults unless KUBE_VIP_ENV overrides): $(tr '\0' '\n' <"/proc/$(pid_of "${N[0]}" kube-vip)/environ" |
	grep -E '^vip_(leaseduration|renewdeadline|retryperiod)=' | xargs)"

lease_holder() {
	kc "$1" get lease -n kube-system plndr-cp-lock -o 'jsonpath={.spec.holderIdentity}' 2>/dev/null
}
# one_vip_holder — exactly one holder on ONE sample of all nodes; sets leader.
one_vip_holder() {
	local h
	h=$(vip_holders)
	[ -n "$h" ] && [ "$(wc -l <<<"$h")" = 1 ] || return 1
	leader=$h
}

retry 120 one_vip_holder || fail "no single VIP holder after 120 s: [$(vip_holders | xargs)]"
holder=$(lease_holder "${N[0]}")
[ "$holder" = "$leader" ] || fail "lease holder \"$holder\" but VIP on \"$leader\""
step "VIP $VIP on $leader, which holds plndr-cp-lock"

out=$(on client curl -sk --max-time 3 "https://$VIP:6443/readyz") || fail "client: curl https://$VIP:6443/readyz failed"
[ "$out" = ok ] || fail "client: /readyz through the VIP said \"$out\""
step "client → https://$VIP:6443/readyz: ok"

pid=$(pid_of "$leader" kube-vip)
others=()
for n in "${N[@]}"; do [ "$n" = "$leader" ] || others+=("$n"); done
t0=$(now)
kill -9 "$pid"
step "kill -9 kube-vip on $leader (pid $pid)"
new_holder() {
	local n
	for n in "${others[@]}"; do
		if has_vip "$n"; then
			NEW=$n
			return 0
		fi
	done
	return 1
}
retry 120 new_holder || fail "no other node took the VIP within 120 s"
t_vip=$(elapsed "$t0")

h=$(lease_holder "$NEW")
[ "$h" = "$NEW" ] || fail "VIP on $NEW but lease holder is \"$h\""
retry 30 on client curl -sfk --max-time 2 -o /dev/null "https://$VIP:6443/readyz" ||
	fail "client cannot reach the VIP after takeover"
t_client=$(elapsed "$t0")
step "VIP moved $leader → $NEW"
printf 'RESULT: kube-vip takeover after kill -9: VIP on new leader after %.2f s, client ok after %.2f s (control plane up in %.1f s)\n' \
	"$t_vip" "$t_client" "$CP_SECONDS"
