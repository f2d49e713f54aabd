#!/usr/bin/env bash
# The kubeadm >= 1.29 bootstrap problem (kube-vip #684) and vipd's answer, on a real control
# plane: during `kubeadm init`, admin.conf is refused (its group has no RBAC binding yet) while
# super-admin.conf works. Here admin.conf is played by a real client certificate the apiserver
# authenticates but RBAC refuses (403), and super-admin.conf by a cluster-admin kubeconfig.
#
# Checked: vipd, given both, takes the lease through super-admin.conf and holds the VIP; once
# the refused identity is granted RBAC (as kubeadm does at the end of init) vipd switches back to
# it by itself, without losing leadership or the VIP, and keeps renewing through it.
. "$(dirname "$0")/lib.sh"
: "${VIPD:?VIPD is not set (run through ctest)}"
command -v openssl >/dev/null || fail "openssl is not installed (bash .ci/install-deps)"

fixture_up --nodes 1
NODE=$(nodes)
K=$WORK/kube
mkdir -p "$K"

# A client certificate from the cluster CA for a user RBAC knows nothing of.
on "$NODE" sh -c "cd /etc/kubernetes/pki &&
	openssl req -new -newkey rsa:2048 -nodes -keyout '$K/refused.key' -subj '/CN=vipd-bootstrap' \
		-out '$K/refused.csr' 2>/dev/null &&
	openssl x509 -req -in '$K/refused.csr' -CA ca.crt -CAkey ca.key -CAcreateserial \
		-out '$K/refused.crt' -days 1 2>/dev/null"
server=$(kc "$NODE" config view -o 'jsonpath={.clusters[0].cluster.server}')
kcfg() { on "$NODE" kubectl --kubeconfig "$K/refused.conf" "$@"; }
kcfg config set-cluster c --server="$server" --certificate-authority=/etc/kubernetes/pki/ca.crt \
	--embed-certs=true >/dev/null
kcfg config set-credentials u --client-certificate="$K/refused.crt" \
	--client-key="$K/refused.key" --embed-certs=true >/dev/null
kcfg config set-context x --cluster=c --user=u >/dev/null
kcfg config use-context x >/dev/null
out=$(kcfg -n kube-system get lease plndr-cp-lock 2>&1 || true)
echo "$out" | grep -q Forbidden || fail "the refused kubeconfig is not refused: $out"
step "admin.conf stand-in is refused by RBAC (403), as during kubeadm init"

"$CPFIXTURE" exec --dir "$D" --node "$NODE" -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	vip_interface=eth0 address="$VIP" port=6443 vip_arp=true cp_enable=true \
	vip_leaderelection=true vip_leaseduration=5 vip_renewdeadline=3 vip_retryperiod=1 \
	vip_nodename="$NODE" prometheus_server=127.0.0.1:2112 \
	k8s_config_file="$K/refused.conf" vipd_super_admin_kubeconfig=/etc/kubernetes/admin.conf \
	"$VIPD" manager >"$WORK/vipd.log" 2>&1 &
VPID=$!
test_cleanup() {
	kill "$VPID" 2>/dev/null && wait "$VPID" 2>/dev/null
	[ "${rc:-1}" = 0 ] || tail -n 40 "$WORK/vipd.log"
	return 0
}
has_vip() { on "$NODE" ip -4 -o addr show dev eth0 | grep -q " $VIP/"; }
holder() { kc "$NODE" -n kube-system get lease plndr-cp-lock -o 'jsonpath={.spec.holderIdentity}' 2>/dev/null; }
renew_time() { kc "$NODE" -n kube-system get lease plndr-cp-lock -o 'jsonpath={.spec.renewTime}'; }
metric() { on "$NODE" curl -s --max-time 2 http://127.0.0.1:2112/metrics | awk -v m="$1" '$1 == m { print $2 }'; }

retry 30 grep -q 'msg="admin.conf is refused' "$WORK/vipd.log" || fail "vipd did not notice the refusal"
retry 30 has_vip || fail "vipd did not take the VIP through super-admin.conf"
[ "$(holder)" = "$NODE" ] || fail "the Lease names \"$(holder)\""
step "vipd fell back to super-admin.conf, took the lease and holds the VIP"

transitions=$(metric kube_vip_leader_election_transitions_total)
kc "$NODE" create clusterrolebinding vipd-bootstrap --clusterrole=cluster-admin --user=vipd-bootstrap >/dev/null
step "RBAC granted to the refused identity (what kubeadm does at the end of init)"
retry 30 grep -q "msg=\"now using kubeconfig\" file=$K/refused.conf" "$WORK/vipd.log" ||
	fail "vipd did not switch back to the admin kubeconfig"
r1=$(renew_time)
retry 10 eval '[ "$(renew_time)" != "$r1" ]' || fail "the Lease is not renewed after the switch"
has_vip || fail "the VIP was lost in the switch"
[ "$(metric kube_vip_leader_election_transitions_total)" = "$transitions" ] ||
	fail "leadership changed during the switch"
grep -q 'msg="stopped leading"' "$WORK/vipd.log" && fail "vipd stopped leading during the switch"
step "vipd switched back to admin.conf by itself, kept the lease (renewed) and the VIP"
rc=0
