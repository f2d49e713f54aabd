#!/usr/bin/env bash
# One real node joins the fixture's 1-node control plane: Ready with its InternalIP and the
# pinned kubelet version; a static pod from its manifests directory runs (mirror pod); a
# Deployment of two replicas of our HTTP image runs and answers from another namespace (the
# control plane's client network namespace, and a pod in another Kubernetes namespace);
# kubelet is restarted when it dies; stopping leaves nothing behind. Prints start→Ready time
# and the memory of the node's containerd and kubelet.
. "$(dirname "$0")/lib.sh"

cp_up
nodes_up w1:10:10.244.1.0/24
IP=$(node_field w1 3)

read -r name status ip version <<<"$(kc get node w1 -o 'jsonpath={.metadata.name} {.status.conditions[?(@.type=="Ready")].status} {.status.addresses[?(@.type=="InternalIP")].address} {.status.nodeInfo.kubeletVersion}')"
kc get nodes -o wide
[ "$status" = True ] || fail "node w1 is not Ready ($status)"
[ "$ip" = "$IP" ] || fail "InternalIP is $ip, want $IP"
[ "$version" = "$VERSION" ] || fail "kubelet version is $version, want $VERSION"
step "kubectl get nodes: w1 Ready, InternalIP $ip, kubelet $version"

# A static pod: written into the node's /etc/kubernetes/manifests from inside the node.
on_node w1 sh -c 'cat > /etc/kubernetes/manifests/static-web.yaml' <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: static-web, namespace: default, labels: {app: static-web}}
spec:
  containers:
  - {name: httpd, image: vipd.local/httpd:v1, imagePullPolicy: Never}
YAML
wait_running default static-web 1
mirror=$(kc get pod static-web-w1 -o 'jsonpath={.metadata.annotations.kubernetes\.io/config\.mirror}')
[ -n "$mirror" ] || fail "static-web-w1 is not a mirror pod"
step "static pod running, mirror pod static-web-w1 (config.mirror=$mirror)"

# A Deployment of two replicas; the client namespace reaches its pods over the node network.
deploy web web 2 w1
wait_running web web 2
on_client ip route add 10.244.1.0/24 via "$IP"
for pip in $(running_ips web web); do
	out=$(on_client curl -fsS -m 5 "http://$pip:8080/") || fail "no answer from $pip"
	echo "  client → $pip: $out"
	[[ $out == "Hello from web-"* ]] || fail "unexpected answer from $pip: $out"
done
# …and a pod in another Kubernetes namespace reaches them too (pod to pod on the node's bridge).
deploy probe probe 1 w1
wait_running probe probe 1
probe=$(kc -n probe get pods -l app=probe -o 'jsonpath={.items[0].metadata.name}')
for pip in $(running_ips web web); do
	out=$(kc -n probe exec "$probe" -- /httpd get "$pip" 8080) || fail "pod $probe cannot reach $pip"
	echo "  probe/$probe → $pip: $out"
done
step "deployment web: 2 replicas answer from the client namespace and from namespace probe"

# Memory once the workload runs (the stats file is rewritten every 2 s).
sleep 2
read -r _ _ _ c_kib _ k_kib _ _ <<<"$(grep '^node w1 ' "$W/stats")"

# kubelet dies → restarted, node stays Ready and pods keep running.
kill -9 "$(cat "$W/nodes/w1/run/kubelet.pid")"
retry 30 grep -q 'msg="kubelet started" node=w1 pid=[0-9]* restarts=1' "$WORK/nodefixture.log" ||
	fail "kubelet was not restarted"
sleep 3
retry 60 node_is_ready w1 || fail "w1 is not Ready after the kubelet restart"
check_running web web 2 || fail "web pods are not Running after the kubelet restart"
step "kubelet killed: restarted, web pods still Running"

READY_S=$(node_field w1 7)

ROOT=$(node_field w1 6)
HOLDER=$(node_field w1 4)
PROCS=$(node_procs w1)
"$NODEFIXTURE" down --dir "$W"
wait "$NF_PID" || fail "nodefixture exited with $?"
NF_PID=
assert_node_gone w1 "$ROOT" "$HOLDER" 10 "$PROCS"
step "node stopped: no process, cgroup, mount, namespace or link left"
echo "RESULT: node start→Ready ${READY_S}s; containerd RSS $((c_kib / 1024)) MiB, kubelet RSS $((k_kib / 1024)) MiB (2 web pods + static pod + probe running)"
