#!/usr/bin/env bash
# Two real nodes at once on one kernel: both Ready; pods on node A reach pods on node B and back
# (routes between the nodes' pod CIDRs); deleting A's workload leaves B's pods and containers
# untouched (each kubelet sees only its own containerd); stopping leaves nothing behind.
. "$(dirname "$0")/lib.sh"

cp_up
nodes_up a:10:10.244.1.0/24 b:11:10.244.2.0/24
kc get nodes -o wide
for n in a b; do node_is_ready "$n" || fail "node $n is not Ready"; done
step "both nodes Ready (a: $(node_field a 7)s, b: $(node_field b 7)s from start)"

deploy wa web 2 a
deploy wb web 2 b
wait_running wa web 2
wait_running wb web 2
pod_a=$(kc -n wa get pods -l app=web -o 'jsonpath={.items[0].metadata.name}')
pod_b=$(kc -n wb get pods -l app=web -o 'jsonpath={.items[0].metadata.name}')
for pip in $(running_ips wb web); do
	[[ $pip == 10.244.2.* ]] || fail "pod of wb has address $pip, outside b's pod CIDR"
	out=$(kc -n wa exec "$pod_a" -- /httpd get "$pip" 8080) || fail "$pod_a on a cannot reach $pip on b"
	echo "  a: $pod_a → $pip: $out"
done
for pip in $(running_ips wa web); do
	[[ $pip == 10.244.1.* ]] || fail "pod of wa has address $pip, outside a's pod CIDR"
	out=$(kc -n wb exec "$pod_b" -- /httpd get "$pip" 8080) || fail "$pod_b on b cannot reach $pip on a"
	echo "  b: $pod_b → $pip: $out"
done
step "pods on a reach pods on b and back"

# Each node's containerd holds only its own node's containers.
ctrs() { on_node "$1" ctr -n k8s.io containers ls -q | sort; }
ctr_a=$(ctrs a)
ctr_b=$(ctrs b)
[ -n "$ctr_a" ] && [ -n "$ctr_b" ] || fail "a node's containerd has no containers"
[ -z "$(comm -12 <(echo "$ctr_a") <(echo "$ctr_b"))" ] || fail "the two containerds share containers"
step "containerd a: $(echo "$ctr_a" | wc -l) containers, b: $(echo "$ctr_b" | wc -l), none shared"

snapshot_b() { kc -n wb get pods -o 'jsonpath={range .items[*]}{.metadata.uid} {.status.phase} {.status.containerStatuses[0].restartCount} {.status.containerStatuses[0].containerID}{"\n"}{end}' | sort; }
before=$(snapshot_b)
kc -n wa delete deployment web --wait=true >/dev/null
wait_gone() { [ -z "$(kc -n wa get pods -o name)" ]; }
retry 120 wait_gone || fail "wa pods still exist"
# a's web containers go too (its probe-free node keeps only what is left of other pods).
a_web_gone() { [ "$(ctrs a | grep -c .)" -lt "$(echo "$ctr_a" | grep -c .)" ]; }
retry 60 a_web_gone || fail "a's containerd still holds all its containers"
after=$(snapshot_b)
[ "$before" = "$after" ] || fail "b's pods changed: before
$before
after
$after"
[ "$(ctrs b)" = "$ctr_b" ] || fail "b's containerd containers changed"
for pip in $(running_ips wb web); do
	on_client ip route replace 10.244.2.0/24 via "$(node_field b 3)"
	on_client curl -fsS -m 5 "http://$pip:8080/" >/dev/null || fail "b's pod $pip stopped answering"
done
step "a's workload deleted: b's pods (uids, restarts, container ids) and containers unchanged, still answering"

declare -A ROOT HOLDER PROCS
for n in a b; do
	ROOT[$n]=$(node_field "$n" 6)
	HOLDER[$n]=$(node_field "$n" 4)
	PROCS[$n]=$(node_procs "$n")
done
"$NODEFIXTURE" down --dir "$W"
wait "$NF_PID" || fail "nodefixture exited with $?"
NF_PID=
assert_node_gone a "${ROOT[a]}" "${HOLDER[a]}" 10 "${PROCS[a]}"
assert_node_gone b "${ROOT[b]}" "${HOLDER[b]}" 11 "${PROCS[b]}"
step "both nodes stopped: no process, cgroup, mount, namespace or link left"
read -r _ _ _ ca _ ka _ _ <<<"$(grep '^node a ' "$W/stats")"
read -r _ _ _ cb _ kb _ _ <<<"$(grep '^node b ' "$W/stats")"
echo "RESULT: two nodes Ready in $(node_field a 7)s and $(node_field b 7)s from start; RSS a: containerd $((ca / 1024)) MiB + kubelet $((ka / 1024)) MiB, b: containerd $((cb / 1024)) MiB + kubelet $((kb / 1024)) MiB"
