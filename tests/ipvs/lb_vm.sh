#!/usr/bin/env bash
# lb_vm.sh — vipd's load balancer for real: `vipd manager` with lb_enable=true inside the test VM
# (this machine's kernel has no ip_vs; the VM's has), its backends learned from a real
# kube-apiserver and health-checked against it. lb_vm_guest.sh (run in the VM) says what is
# checked; this side makes the world it runs in:
#
#   1. a 1-node control plane (cpfixture: etcd + kube-apiserver in namespaces of their own);
#   2. Node objects made with the pinned kubectl, as a kubelet would leave them (labels, then
#      status with conditions and addresses through the status subresource):
#        be1..be3  Ready, control-plane, InternalIP 10.98.N.2  → the service's backends
#        be4       NotReady, control-plane                     → left out
#        be5       Ready, no control-plane label (a worker)     → never seen (label selector)
#      The 10.98.N.2 addresses live inside the VM, each in a namespace whose port 6443 is relayed
#      to the real apiserver: its answers are the apiserver's own, certificate included.
#   3. the VM, booted with qemu running in the fixture's hub network namespace (which holds only
#      the bridge to the fixture's nodes): its user-mode NIC reaches the apiserver at its real
#      address and nothing of this machine's network.
#
# Never skipped: whatever is missing (root, upstream programs, qemu, a kernel) fails the test
# with the reason. Prints the VM's RESULT lines.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
: "${VIPD:?VIPD is not set (run through ctest)}"
: "${VM_RUN:?VM_RUN is not set (run through ctest)}"
: "${VM_WORK:?VM_WORK is not set (run through ctest)}"
: "${VM_CACHE:?VM_CACHE is not set (run through ctest)}"
: "${LIFETIME_MAX_MS:?LIFETIME_MAX_MS is not set (run through ctest)}"

# lib.sh reports a missing prerequisite as skipped (exit 77); here it is a failure.
trap 'rc=$?; if [ $rc = 77 ]; then echo "FAIL: a prerequisite is missing (above); lb_vm is never skipped"; exit 1; fi' EXIT
. "$HERE/../controlplane/lib.sh"
for p in qemu-system-x86_64 nsenter base64; do
	command -v $p >/dev/null || fail "$p is not installed (bash .ci/install-deps)"
done

fixture_up --nodes 1
NODE_IP=$(addr_of "$(nodes | head -n 1)")
APISERVER="https://$NODE_IP:$(state port)"

# --- Node objects, as a kubelet and kubeadm leave them ------------------------------------------
make_node() { # NAME ADDRESS READY CONTROL_PLANE(yes|no)
	local labels="\"kubernetes.io/hostname\":\"$1\",\"kubernetes.io/os\":\"linux\""
	[ "$4" = yes ] && labels+=",\"node-role.kubernetes.io/control-plane\":\"\""
	echo "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"$1\",\"labels\":{$labels}}}" |
		kc "${NODES[0]}" create -f - >/dev/null || fail "kubectl create node $1"
	local status="{\"conditions\":[{\"type\":\"Ready\",\"status\":\"$3\",\"reason\":\"KubeletReady\","
	status+="\"message\":\"kubelet is posting ready status\"}],\"addresses\":["
	status+="{\"type\":\"InternalIP\",\"address\":\"$2\"},{\"type\":\"Hostname\",\"address\":\"$1\"}]}"
	kc "${NODES[0]}" patch node "$1" --subresource=status --type=merge -p "{\"status\":$status}" \
		>/dev/null || fail "kubectl patch node $1 status"
}
mapfile -t NODES < <(nodes)
for n in 1 2 3; do make_node be$n 10.98.$n.2 True yes; done
make_node be4 10.98.4.2 False yes
make_node be5 10.98.5.2 True no
step "nodes: $(kc "${NODES[0]}" get nodes --no-headers -o custom-columns=N:.metadata.name,IP:.status.addresses[0].address,R:.status.conditions[0].status | xargs)"

# --- What the VM gets ----------------------------------------------------------------------------
KCONF=$D/nodes/${NODES[0]}/etc/kubernetes/admin.conf # server: the node's apiserver, $APISERVER
grep -q "server: $APISERVER\$" "$KCONF" || fail "$KCONF does not name $APISERVER"
mkdir -p "$WORK/files"
pem() { awk -v k="$1:" '$1 == k { print $2; exit }' "$KCONF" | base64 -d >"$WORK/files/$2"; }
pem certificate-authority-data ca.crt
pem client-certificate-data client.crt
pem client-key-data client.key
cp "$KCONF" "$WORK/files/admin.conf"
files=()
for f in ca.crt client.crt client.key admin.conf; do files+=(--file "$WORK/files/$f"); done
files+=(--file "$VIPD")
# iptables loads its match extensions with dlopen: ldd does not find them.
xt=$(dirname "$(find /usr/lib/x86_64-linux-gnu/xtables /usr/lib/xtables /usr/lib64/xtables \
	-name libxt_conntrack.so 2>/dev/null | head -1)")
[ -f "$xt/libxt_standard.so" ] || fail "iptables' libxt_conntrack.so / libxt_standard.so not found (Debian package iptables)"
files+=(--file "$xt/libxt_conntrack.so:$xt/libxt_conntrack.so" --file "$xt/libxt_standard.so:$xt/libxt_standard.so")

# --- The VM ----------------------------------------------------------------------------------------
step "booting the VM in the fixture's network namespace; apiserver $APISERVER"
hub_net=/proc/$(state supervisor)/ns/net
set +e
nsenter --net="$hub_net" bash "$VM_RUN" --workdir "$VM_WORK" --cache "$VM_CACHE" \
	--net restrict=off --memory 768 --timeout 240 \
	--modules "nfnetlink nf_conntrack_netlink veth x_tables ip_tables iptable_filter xt_conntrack" \
	--program bash --program ip --program ipvsadm --program iptables-legacy --program conntrack \
	--program curl --program bc "${files[@]}" \
	-- "$HERE/lb_vm_guest.sh" "$APISERVER" "$LIFETIME_MAX_MS"
vm=$?
set -e
[ "$vm" = 77 ] && fail "the VM cannot run on this machine (the reason is above); lb_vm is never skipped"
[ "$vm" = 0 ] || fail "the VM test failed (exit $vm)"
step "lb_vm passed"
