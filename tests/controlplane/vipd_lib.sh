# vipd_lib.sh — vipd manager on a cpfixture control plane, shared by the tests (and benches)
# that run it: start/stop it per node with kube-vip's environment, and look at the nodes: who has
# the VIP, who holds the lock, what the client sees. Sourced after lib.sh, once `fixture_up` has
# run; needs VIPD and N (the node names, in order).
LEASE_S=${LEASE_S:-5}
BACKEND=${VIPD_BACKEND:-lease}
declare -A VPID
# The sanitizer build's settings reach vipd through `env -i` (CI runs this test under ASan).
SAN_ENV=()
for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
	[ -n "${!v:-}" ] && SAN_ENV+=("$v=${!v}")
done

mac_of() { on "$1" cat /sys/class/net/eth0/address; }
next_node() {
	local i
	for i in "${!N[@]}"; do [ "${N[$i]}" = "$1" ] && echo "${N[$(((i + 1) % ${#N[@]}))]}"; done
	return 0
}

ETCD_ENV=()
if [ "$BACKEND" = etcd ]; then
	ETCD_ENV=(vipd_etcd_endpoints=https://127.0.0.1:2379
		vipd_etcd_cacert=/etc/kubernetes/pki/etcd/ca.crt
		vipd_etcd_cert=/etc/kubernetes/pki/etcd/healthcheck-client.crt
		vipd_etcd_key=/etc/kubernetes/pki/etcd/healthcheck-client.key)
fi

# start_vipd NODE [NAME=VALUE…] — vipd manager in NODE, configured as minikube configures
# kube-vip (extra settings last: they win), talking to the next node's apiserver.
start_vipd() {
	local n=$1
	shift
	"$CPFIXTURE" exec --dir "$D" --node "$n" -- env -i \
		PATH=/usr/sbin:/usr/bin:/sbin:/bin "${SAN_ENV[@]}" \
		vip_interface=eth0 address="$VIP" port=6443 vip_arp=true cp_enable=true \
		vip_leaderelection=true vip_leasename=plndr-cp-lock vip_leaseduration=$LEASE_S \
		vip_renewdeadline=3 vip_retryperiod=1 vip_nodename="$n" prometheus_server=:2112 \
		vip_loseleadership=true vip_loseleadership_timeout_seconds=1 \
		k8s_config_file=/etc/kubernetes/admin.conf \
		kubernetes_addr="https://$(addr_of "$(next_node "$n")"):6443" "${ETCD_ENV[@]}" "$@" \
		"$VIPD" manager >>"$WORK/vipd-$n.log" 2>&1 &
	VPID[$n]=$!
}
stop_vipd() { # NODE [SIGNAL]
	kill -s "${2:-TERM}" "${VPID[$1]}" 2>/dev/null || true
	wait "${VPID[$1]}" 2>/dev/null || true
}
# stop_all_vipd_cleanly — SIGTERM to every vipd still running: each must exit 0, and no run's
# log may hold a sanitizer report (CI runs these tests under ASan + UBSan).
stop_all_vipd_cleanly() {
	local n code
	for n in "${!VPID[@]}"; do
		kill -TERM "${VPID[$n]}"
		code=0
		wait "${VPID[$n]}" || code=$?
		[ "$code" = 0 ] || fail "vipd on $n exited $code on SIGTERM"
	done
	VPID=()
	if grep -lE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$WORK"/vipd-*.log; then
		fail "a sanitizer reported an error in a vipd log"
	fi
	return 0
}
# new_single_holder EXCEPT — one node (not EXCEPT) holds the VIP, decided on ONE sample of all
# nodes (sampling twice could see the old holder, then none); sets HOLDER.
new_single_holder() {
	local h
	h=$(vip_holders)
	[ -n "$h" ] && [ "$(wc -l <<<"$h")" = 1 ] && [ "$h" != "$1" ] || return 1
	HOLDER=$h
}
# lock_holder NODE — who holds the lock: the Lease's holder, or with etcd the node whose vipd
# says (kube_vip_is_leader) it leads. The Lease is read through NODE's apiserver, or the next
# node's when that one does not answer within 3 s (a loaded machine stalls one now and then).
lock_holder() {
	if [ "$BACKEND" = lease ]; then
		local via=$1 i
		for i in "${!N[@]}"; do
			kc "$via" get lease -n kube-system plndr-cp-lock --request-timeout=3s \
				-o 'jsonpath={.spec.holderIdentity}' 2>/dev/null && return 0
			via=$(next_node "$via")
		done
		return 1
	fi
	local n
	for n in "${N[@]}"; do [ "$(metric "$n" kube_vip_is_leader 2>/dev/null)" = 1 ] && echo "$n"; done
	return 0
}
client_ok() { on client curl -sfk --max-time 2 -o /dev/null "https://$VIP:6443/readyz"; }
client_mac_is() { on client ip neigh show "$VIP" | grep -qi "lladdr $1"; }
metric() { # NODE NAME — a metric's value from that node's vipd (kube_vip_is_leader: any labels)
	on "$1" curl -s --max-time 2 http://127.0.0.1:2112/metrics |
		awk -v m="$2" '$1 == m || index($1, m "{") == 1 { print $2 }'
}

# holder_agrees EXCEPT — the lock names the one VIP holder, and it still is the one holder
# afterwards (the leader may have changed for its own reasons since the last sample: the health
# gate of a stalled apiserver); sets LEADER to it.
holder_agrees() {
	local lock
	new_single_holder "$1" || return 1
	lock=$(lock_holder "$HOLDER") && [ "$lock" = "$HOLDER" ] && new_single_holder "$1" &&
		[ "$HOLDER" = "$lock" ] || return 1
	LEADER=$HOLDER
}
# wait_for_holder [EXCEPT] — one node (not EXCEPT) holds the VIP and the Lease; sets LEADER.
wait_for_holder() {
	local except=${1:-} t0
	t0=$(now)
	retry 60 new_single_holder "$except" ||
		fail "no single VIP holder (other than \"$except\") after 60 s: [$(vip_holders | xargs)]"
	LEADER=$HOLDER
	MOVE_S=$(printf %.2f "$(elapsed "$t0")")
	retry 10 holder_agrees "$except" ||
		fail "VIP on [$(vip_holders | xargs)] but the lock names \"$(lock_holder "$LEADER")\""
	retry 10 client_ok || fail "client cannot reach https://$VIP:6443/readyz through $LEADER"
	local mac
	mac=$(mac_of "$LEADER")
	retry 5 client_mac_is "$mac" ||
		fail "client's neighbour entry for $VIP is not $LEADER's MAC $mac: $(on client ip neigh show "$VIP")"
}

