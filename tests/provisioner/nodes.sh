#!/usr/bin/env bash
# The node provider's nodes, one control plane and one worker (`start --nodes 2`), looked at as
# nodes: both Ready with the profile's address and the pinned kubelet; every image kubeadm names
# is in each node's containerd under that exact name; a static pod written into the worker's
# manifests directory runs as a mirror pod; pods on one node reach pods on the other across the
# nodes' pod CIDRs; the two containerds share no container; kubelet killed with -9 is restarted
# by the node's init and the pods keep running (same containers, no restarts); `delete` leaves
# nothing behind (lib.sh). Prints start→Ready and the memory of each node's containerd and
# kubelet. (This replaced tests/node and its nodefixture: the provider is the one way to make a
# node.)
. "$(dirname "$0")/lib.sh"
P=$PROFILE
W=$P-m02

t0=$(now)
out=$(prov start --nodes 2 -p "$P" 2>&1) || { echo "$out"; fail "start --nodes 2 failed"; }
START_S=$(printf %.1f "$(elapsed "$t0")")
remember_bridge
VERSION=$("$BINDIR/kubelet" --version | awk '{ print $2 }')
for n in "$P" "$W"; do
	read -r status ip version <<<"$(kc get node "$n" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status} {.status.addresses[?(@.type=="InternalIP")].address} {.status.nodeInfo.kubeletVersion}')"
	[ "$status" = True ] || fail "node $n is not Ready ($status)"
	[ "$ip" = "$(prov ip -p "$P" -n "$n")" ] || fail "node $n: InternalIP $ip, the profile says $(prov ip -p "$P" -n "$n")"
	[ "$version" = "$VERSION" ] || fail "node $n: kubelet $version, want $VERSION"
done
step "start --nodes 2 in ${START_S}s: $P (control plane) and $W (worker) Ready, their profile addresses, kubelet $VERSION"

# kubeadm's images, under their exact names, in every node's containerd.
ctr_in() { prov ssh -p "$P" -n "$1" -- ctr --address /run/containerd/containerd.sock -n k8s.io "${@:2}"; }
mapfile -t want < <("$BINDIR/kubeadm" config images list --kubernetes-version "$VERSION" 2>/dev/null)
[ "${#want[@]}" -ge 5 ] || fail "kubeadm config images list: ${want[*]}"
for n in "$P" "$W"; do
	have=$(ctr_in "$n" images ls -q)
	for i in "${want[@]}"; do quiet_grep -x "$i" <<<"$have" || fail "$n's containerd lacks $i"; done
done
step "every image kubeadm names (${#want[@]}) is in both containerds"

# A static pod on the worker, from its own manifests directory.
prov ssh -p "$P" -n "$W" -- sh -c 'cat > /etc/kubernetes/manifests/static-web.yaml' <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: static-web, namespace: default}
spec:
  containers:
  - {name: hello, image: "localhost/hello-from:latest", imagePullPolicy: Never}
YAML
retry 120 bash -c "[ \"\$('$BINDIR/kubectl' get pod static-web-$W -o jsonpath='{.status.phase}' 2>/dev/null)\" = Running ]" ||
	fail "static pod static-web-$W is not Running: $(kc get pods -o wide 2>&1)"
mirror=$(kc get pod "static-web-$W" -o 'jsonpath={.metadata.annotations.kubernetes\.io/config\.mirror}')
[ -n "$mirror" ] || fail "static-web-$W is not a mirror pod"
step "static pod from $W's manifests directory: Running, mirror pod (config.mirror=$mirror)"

# One web pod per node; each reaches the other node's (with its image's own client, /httpd get).
for n in "$P" "$W"; do
	kc apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata: {name: web-$n, labels: {app: web}}
spec:
  nodeName: $n
  containers: [{name: hello, image: "localhost/hello-from:latest", imagePullPolicy: Never}]
YAML
done
kc wait pod -l app=web --for=condition=Ready --timeout=180s >/dev/null || fail "web pods not Ready: $(kc get pods -o wide)"
pod_ip() { kc get pod "$1" -o jsonpath='{.status.podIP}'; }
for pair in "$P:$W" "$W:$P"; do
	from=${pair%%:*} to=${pair#*:}
	ip=$(pod_ip "web-$to")
	answer=$(kc exec "web-$from" -- /httpd get "$ip" 80) || fail "web-$from cannot reach web-$to at $ip"
	[[ $answer == "Hello from web-$to ($ip)"* ]] || fail "web-$to answered \"$answer\""
	echo "  $from → web-$to ($ip): $answer"
done
step "pods on each node reach the other node's pod (pod CIDR routes between nodes)"

# Each containerd holds only its own node's containers.
ctrs() { ctr_in "$1" containers ls -q | sort; }
ctr_p=$(ctrs "$P")
ctr_w=$(ctrs "$W")
[ -n "$ctr_p" ] && [ -n "$ctr_w" ] || fail "a containerd has no containers"
[ -z "$(comm -12 <(echo "$ctr_p") <(echo "$ctr_w"))" ] || fail "the two containerds share containers"
step "containerd of $P: $(wc -l <<<"$ctr_p") containers, of $W: $(wc -l <<<"$ctr_w"), none shared"

# kubelet -9 on the worker: its init restarts it; the pods keep running untouched.
cgroot="/$BRIDGE-m02"
kubelet_pid() {
	local p
	for p in $(pgrep -x kubelet); do grep -q ":$cgroot\(/\|$\)" "/proc/$p/cgroup" 2>/dev/null && echo "$p"; done
	return 0
}
pid=$(kubelet_pid)
[ "$(wc -w <<<"$pid")" = 1 ] || fail "want one kubelet in cgroup $cgroot, found '$pid'"
snapshot() { kc get pod "web-$W" "static-web-$W" -o 'jsonpath={range .items[*]}{.metadata.uid} {.status.containerStatuses[0].restartCount} {.status.containerStatuses[0].containerID}{"\n"}{end}'; }
before=$(snapshot)
kill -9 "$pid"
retry 60 bash -c "p=\$(for q in \$(pgrep -x kubelet); do grep -q ':$cgroot\(/\|\$\)' /proc/\$q/cgroup 2>/dev/null && echo \$q; done); [ -n \"\$p\" ] && [ \"\$p\" != $pid ]" ||
	fail "kubelet of $W was not restarted"
retry 120 bash -c "[ \"\$('$BINDIR/kubectl' get node $W -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}')\" = True ]" ||
	fail "$W is not Ready after its kubelet restarted"
quiet_grep 'msg="kubelet started" node='"$W"' pid=[0-9]* restarts=1' "$PROVISIONER_HOME/profiles/$P/nodes/$W/log/init.log" ||
	fail "the init log does not show kubelet restarted once: $(grep 'kubelet started' "$PROVISIONER_HOME/profiles/$P/nodes/$W/log/init.log")"
[ "$(snapshot)" = "$before" ] || fail "the pods on $W changed when its kubelet restarted: $before → $(snapshot)"
ip=$(pod_ip "web-$W")
kc exec "web-$P" -- /httpd get "$ip" 80 >/dev/null || fail "web-$W stopped answering"
step "kubelet -9 on $W: restarted by the node's init; pods kept (uids, restarts, container ids), still answering"

# Memory per node: containerd and kubelet.
rss_of() { # CGROUP_ROOT NAME — RSS in MiB of the process NAME in that node
	local p
	for p in $(pgrep -x "$2"); do
		grep -q ":$1\(/\|$\)" "/proc/$p/cgroup" 2>/dev/null && awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$p/status" && return
	done
	echo "?"
}
mem=""
for n in "$P" "$W"; do
	root="/$BRIDGE-m0$([ "$n" = "$P" ] && echo 1 || echo 2)"
	mem+="$n: containerd $(rss_of "$root" containerd) MiB, kubelet $(rss_of "$root" kubelet) MiB; "
done
echo "RESULT: start --nodes 2 → both Ready ${START_S}s; $mem"

prov delete -p "$P" >/dev/null
left=$(leftovers)
[ -z "$left" ] || fail "delete left:$left"
step "delete: nothing left"
