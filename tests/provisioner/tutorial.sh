#!/usr/bin/env bash
# The tutorial (shared/TUTORIAL.md), every step with its expected result, through the real
# kubectl, etcdctl and HTTP requests: `start --ha`, nodes, profile list, status, kubeconfig,
# the VIP daemon's logs, etcd members, node delete / add (control plane and worker), a
# Deployment with required anti-affinity behind a NodePort, `service list` and requests to it;
# then the leader's whole node killed (kubectl through the VIP must recover within
# leaseDuration + 2 s), and `delete` leaving nothing behind.
. "$(dirname "$0")/lib.sh"

VIP=192.168.49.254
P=$PROFILE

# 0 + 1: start --ha
out=$(prov start --ha -p "$P" 2>&1) || { echo "$out"; fail "start --ha failed"; }
echo "$out"
remember_bridge
grep -q "IPVS control-plane load balancing: \(on\|off\)" <<<"$out" || fail "no IPVS line"
for n in "\"$P\" primary control-plane" "\"$P-m02\" control-plane" "\"$P-m03\" control-plane"; do
	grep -q "Starting $n node in \"$P\" cluster" <<<"$out" || fail "no step line for $n"
done
grep -q "Done! kubectl is now configured to use \"$P\" cluster" <<<"$out" || fail "no Done line"
step "1: start --ha made three control planes"

# 2: kubectl get nodes -o wide
nodes=$(kc get nodes -o wide --no-headers)
echo "$nodes"
[ "$(wc -l <<<"$nodes")" = 3 ] || fail "want 3 nodes"
i=2
for n in "$P" "$P-m02" "$P-m03"; do
	line=$(grep "^$n " <<<"$nodes") || fail "node $n missing"
	read -r name status roles _ version ip _ <<<"$line"
	[ "$status" = Ready ] && [ "$roles" = control-plane ] && [ "$ip" = "192.168.49.$i" ] &&
		[[ $version == v1.34.* ]] && [[ $line == *containerd://* ]] ||
		fail "node $n: $line"
	i=$((i + 1))
done
step "2: three Ready control planes at .2/.3/.4 on containerd"

# 3: profile list
pl=$(prov profile list)
echo "$pl"
row=$(grep "| $P " <<<"$pl") || fail "no row for $P"
for want in namespaces containerd "$VIP" 8443 v1.34 HAppy " 3 "; do
	[[ $row == *"$want"* ]] || fail "profile list row lacks \"$want\": $row"
done
step "3: profile list says HAppy, 3 nodes, IP = VIP"

# 4: status
st=$(prov status -p "$P") || fail "status exit $?: $st"
[ "$(grep -c '^type: Control Plane' <<<"$st")" = 3 ] || fail "status: $st"
for f in host kubelet apiserver; do
	[ "$(grep -c "^$f: Running" <<<"$st")" = 3 ] || fail "status $f: $st"
done
[ "$(grep -c '^kubeconfig: Configured' <<<"$st")" = 3 ] || fail "status kubeconfig: $st"
# The roles come from each vipd's own /status.
[ "$(grep -c '^vip: leader$' <<<"$st")" = 1 ] && [ "$(grep -c '^vip: follower$' <<<"$st")" = 2 ] ||
	fail "status vip roles (want 1 leader, 2 followers): $st"
step "4: status: every node Running, kubeconfig Configured, 1 vipd leader + 2 followers (exit 0)"

# 5: kubectl config view
[ "$(kc config view -o jsonpath="{.clusters[?(@.name==\"$P\")].cluster.server}")" = "https://$VIP:8443" ] ||
	fail "kubeconfig server is not the VIP"
[ "$(kc config current-context)" = "$P" ] || fail "current-context is not $P"
step "5: kubeconfig server https://$VIP:8443"

# 6: the VIP daemon's logs: one leader holding the VIP, the others following it.
holders=$(vip_holders "$VIP")
[ "$(wc -w <<<"$holders")" = 1 ] || fail "VIP holders: '$holders'"
leader=$holders
prov logs -p "$P" -n "$leader" vipd | quiet_grep 'msg="started leading" lease=kube-system/plndr-cp-lock' ||
	fail "the holder's vipd log does not show it took the lease"
for n in "$P" "$P-m02" "$P-m03"; do
	[ "$n" = "$leader" ] && continue
	prov logs -p "$P" -n "$n" vipd | quiet_grep "msg=\"new leader\" lease=kube-system/plndr-cp-lock holder=\"$leader\"" ||
		fail "$n's vipd log does not follow $leader"
done
step "6: $leader took kube-system/plndr-cp-lock and holds the VIP; the others follow it"

# 7: etcd members
etcd_members() {
	prov ssh -p "$P" -n "$1" -- etcdctl --endpoints=https://127.0.0.1:2379 \
		--cacert=/etc/kubernetes/pki/etcd/ca.crt \
		--cert=/etc/kubernetes/pki/etcd/healthcheck-client.crt \
		--key=/etc/kubernetes/pki/etcd/healthcheck-client.key member list
}
m=$(etcd_members "$P-m03")
echo "$m"
[ "$(grep -c ', started, ' <<<"$m")" = 3 ] && ! grep -q ', true$' <<<"$m" || fail "etcd members: $m"
step "7: three started etcd members, no learner"

# 8: node delete m02
prov node delete m02 -p "$P"
[ "$(kc get nodes --no-headers | wc -l)" = 2 ] || fail "want 2 nodes after delete"
prov profile list | grep "| $P " | quiet_grep Degraded || fail "profile list is not Degraded: $(prov profile list)"
m=$(etcd_members "$P-m03")
[ "$(grep -c ', started, ' <<<"$m")" = 2 ] && ! grep -q "$P-m02" <<<"$m" || fail "etcd after delete: $m"
step "8: m02 gone: 2 nodes, Degraded, kubectl through the VIP works, 2 etcd members"

# 9 + 10: node add --control-plane, node add
prov node add --control-plane -p "$P"
kc get node "$P-m04" --no-headers | quiet_grep " Ready  *control-plane " || fail "m04: $(kc get node "$P-m04")"
retry 30 bash -c "'$PROVISIONER' profile list | grep '| $P ' | grep -q HAppy" || fail "not HAppy after adding m04"
[ "$(etcd_members "$P-m04" | grep -c ', started, ')" = 3 ] || fail "etcd members after m04"
step "9: $P-m04 joined as a control plane; HAppy; three etcd members"
prov node add -p "$P"
kc get node "$P-m05" --no-headers | quiet_grep " Ready  *<none> " || fail "m05: $(kc get node "$P-m05")"
step "10: $P-m05 joined as a worker"

# 11: the Deployment
kc apply -f - <<YAML
apiVersion: apps/v1
kind: Deployment
metadata: {name: hello}
spec:
  replicas: 3
  selector: {matchLabels: {app: hello}}
  template:
    metadata: {labels: {app: hello}}
    spec:
      affinity:
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
          - labelSelector: {matchLabels: {app: hello}}
            topologyKey: kubernetes.io/hostname
      containers:
      - name: hello
        image: localhost/hello-from:latest
        imagePullPolicy: Never
        ports: [{containerPort: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: hello}
spec:
  type: NodePort
  selector: {app: hello}
  ports: [{port: 80, targetPort: 80, nodePort: 31000}]
YAML
kc rollout status deploy/hello --timeout=180s
pods=$(kc get pods -l app=hello -o jsonpath='{range .items[*]}{.metadata.name} {.status.podIP} {.spec.nodeName}{"\n"}{end}')
echo "$pods"
[ "$(awk '{print $3}' <<<"$pods" | sort -u | wc -l)" = 3 ] || fail "pods not on three nodes"
step "11: three hello pods on three different nodes"

# 12: service list
sl=$(prov service list -p "$P")
echo "$sl"
url=$(awk '$2 == "hello" { print $4 }' <<<"$sl")
[[ $url =~ ^http://192\.168\.49\.[0-9]+:31000$ ]] || fail "service list URL: '$url'"
step "12: service list: $url"

# 13: answers from all three pods, each naming itself
# (kube-proxy may program the NodePort a moment after the pods run: a refused request is retried.)
answers=""
all_answered() {
	while read -r name ip _; do grep -qx "Hello from $name ($ip)" <<<"$answers" || return 1; done <<<"$pods"
}
for _ in $(seq 1 300); do
	answers+=$(curl -s --max-time 3 "$url" || true)$'\n'
	all_answered && break
	sleep 0.1
done
while read -r name ip _; do
	grep -qx "Hello from $name ($ip)" <<<"$answers" || fail "no answer from $name ($ip): $(sort -u <<<"$answers")"
done <<<"$pods"
step "13: all three pods answered through $url"

# The leader's whole node killed: kubectl through the VIP recovers within leaseDuration + 2 s.
leader=$(vip_holders "$VIP")
[ "$(wc -w <<<"$leader")" = 1 ] || fail "VIP holders before the kill: '$leader'"
pid=$(sed -n "/\"name\": \"$leader\"/,/}/s/.*\"init_pid\": \([0-9]*\).*/\1/p" "$PROVISIONER_HOME/profiles/$P/config.json")
[ -n "$pid" ] || fail "no init pid for $leader"
t0=$(now)
kill -9 "$pid"
ok() { kc get --raw /readyz --request-timeout=1s >/dev/null 2>&1; }
until ok; do
	[ "$(echo "$(elapsed "$t0") > 30" | bc)" = 1 ] && fail "kubectl through the VIP did not recover in 30 s"
	sleep 0.1
done
took=$(elapsed "$t0")
step "leader $leader killed (kill -9 of its init): kubectl through the VIP answered again after ${took}s"
[ "$(echo "$took <= 7" | bc)" = 1 ] || fail "recovery took ${took}s > leaseDuration 5 s + 2 s"
new=$(vip_holders "$VIP")
[ "$(wc -w <<<"$new")" = 1 ] && [ "$new" != "$leader" ] || fail "VIP holders after the kill: '$new'"
st=$(prov status -p "$P" -n "$leader") && fail "status of a killed node exited 0"
grep -q '^host: Stopped' <<<"$st" || fail "status of the killed node: $st"

# delete leaves nothing
prov delete -p "$P"
left=$(leftovers)
[ -z "$left" ] || fail "delete left:$left"
step "delete removed the profile, nodes, cgroups, bridge and kubeconfig entries"
echo PASS
