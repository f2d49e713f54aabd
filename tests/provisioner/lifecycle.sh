#!/usr/bin/env bash
# The provisioner's answers to mistakes, and a profile's life: bad flags, an unknown profile,
# deleting a missing node, `--ha` with fewer than 3 control planes, not root — each one line
# and the right exit code; then `start --ha`, starting it again (already running), a workload,
# `stop` (every node down, status exit code says so), `start` again (every node at once, back to
# HAppy with the workload still there), refusing to break etcd quorum, a volume claim provisioned
# after the primary node is deleted, and `delete --all`.
. "$(dirname "$0")/lib.sh"
P=$PROFILE

# expect CODE PATTERN COMMAND…: exit code CODE and one line on stderr matching PATTERN.
expect() {
	local code=$1 pattern=$2 out rc=0
	shift 2
	out=$("$@" 2>&1 >/dev/null) || rc=$?
	[ "$rc" = "$code" ] || fail "\`$*\` exited $rc, want $code (stderr: $out)"
	grep -q -- "$pattern" <<<"$out" || fail "\`$*\` said \"$out\", want /$pattern/"
	[ "$(wc -l <<<"$out")" -le 2 ] || fail "\`$*\` said more than one line: $out"
}
expect 64 'unknown command "frobnicate"' prov frobnicate
expect 64 '"--nodes 2": \|--nodes 2: HA (multi-control plane) clusters require 3 or more control-plane nodes' prov start --ha --nodes 2 -p "$P"
expect 64 '\-\-nodes "zero": want a whole number' prov start --nodes zero -p "$P"
expect 64 '\-\-vip-provider "keepalived": want vipd or kube-vip' prov start --vip-provider keepalived -p "$P"
expect 64 '\-\-vip-election "raft": want lease or etcd' prov start --vip-election raft -p "$P"
expect 64 '\-\-vip-election "etcd": only with --vip-provider vipd' prov start --vip-provider kube-vip --vip-election etcd -p "$P"
expect 64 'profile name "Bad_Name"' prov start -p Bad_Name
expect 64 'subnet "10.0.0.0/33"' prov start --ha --subnet 10.0.0.0/33 -p "$P"
expect 85 "profile \"nope$$\" not found" prov status -p "nope$$"
expect 85 "profile \"nope$$\" not found" prov node delete m02 -p "nope$$"
[ ! -e "$PROVISIONER_HOME/profiles/$P" ] || fail "a refused start left a profile behind"
nobody_out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$PROVISIONER" status -p "$P" 2>&1) && fail "status as nobody succeeded"
grep -q "must run as root" <<<"$nobody_out" || fail "not-root message: $nobody_out"
step "bad flags, unknown profile, not root: one line each, exit 64/85/77"

prov start --ha -p "$P" >/dev/null
remember_bridge
expect 85 "node \"m09\" not found in profile \"$P\"" prov node delete m09 -p "$P"
out=$(prov start --ha -p "$P") || fail "start of a running profile exited $?"
grep -q "is already running" <<<"$out" || fail "start of a running profile said: $out"
step "started; a second start says it is already running (exit 0); deleting a missing node: exit 85"

# A second profile beside the first: the next free subnet (minikube's 49, 58, …), its own row.
prov start -p "${P}b" --wait=false >/dev/null
grep -q '"subnet": "192.168.58.0/24"' "$PROVISIONER_HOME/profiles/${P}b/config.json" ||
	fail "the second profile did not get 192.168.58.0/24"
[ "$(prov profile list | grep -c "| $P")" = 2 ] || fail "profile list: $(prov profile list)"
kc config use-context "$P" >/dev/null
prov delete -p "${P}b" >/dev/null
step "a second profile got the next free subnet 192.168.58.0/24 and went away with delete"

kc apply -f - >/dev/null <<YAML
apiVersion: apps/v1
kind: Deployment
metadata: {name: keep}
spec:
  replicas: 2
  selector: {matchLabels: {app: keep}}
  template:
    metadata: {labels: {app: keep}}
    spec:
      containers:
      - {name: hello, image: "localhost/hello-from:latest", imagePullPolicy: Never}
YAML
kc rollout status deploy/keep --timeout=180s >/dev/null
uid=$(kc get deploy keep -o jsonpath='{.metadata.uid}')

# image load: an archive (exported from one node under a new name) lands in every node.
ctr_in() { prov ssh -p "$P" -n "$1" -- ctr --address /run/containerd/containerd.sock -n k8s.io "${@:2}"; }
ctr_in "$P" images tag localhost/hello-from:latest localhost/loaded:v1 >/dev/null
ctr_in "$P" images export "$WORK/loaded.tar" localhost/loaded:v1
ctr_in "$P" images rm localhost/loaded:v1 >/dev/null
out=$(prov image load "$WORK/loaded.tar" -p "$P") || fail "image load: $out"
for n in "$P" "$P-m02" "$P-m03"; do
	ctr_in "$n" images ls -q | quiet_grep -x localhost/loaded:v1 || fail "image load: not in $n"
done
expect 64 'image load "/nonexistent.tar"' prov image load /nonexistent.tar -p "$P"
step "image load put the archive's image into every node"

prov stop -p "$P"
rc=0
prov status -p "$P" >/dev/null || rc=$?
[ $((rc & 1)) = 1 ] || fail "status of a stopped profile exited $rc (want the host bit 1)"
prov profile list | grep "| $P " | quiet_grep Stopped || fail "profile list is not Stopped: $(prov profile list)"
step "stop: every node down; status exit $rc; profile list says Stopped"

t0=$(now)
prov start -p "$P"
step "start of the stopped profile took $(elapsed "$t0") s"
retry 120 bash -c "'$PROVISIONER' profile list | grep '| $P ' | grep -q HAppy" || fail "not HAppy after restart: $(prov status -p "$P")"
[ "$(kc get deploy keep -o jsonpath='{.metadata.uid}')" = "$uid" ] || fail "the workload is gone"
kc rollout status deploy/keep --timeout=180s >/dev/null || fail "the workload did not come back"
step "restarted every node at once: HAppy, the workload still there and running"

# A planned stop of the VIP holder hands the VIP over first (vipd handover): no lease timeout.
VIP=$(sed -n 's/.*"vip": *"\([0-9.]*\)".*/\1/p' "$PROVISIONER_HOME/profiles/$P/config.json")
[ -n "$VIP" ] || fail "no vip in the profile: $(cat "$PROVISIONER_HOME/profiles/$P/config.json")"
holder=$(vip_holders "$VIP")
[ "$(wc -w <<<"$holder")" = 1 ] || fail "VIP holders before the stop: '$holder'"
out=$(prov node stop "$holder" -p "$P") || fail "node stop $holder: $out"
grep -q "VIP handed over from \"$holder\" to " <<<"$out" || fail "node stop of the holder did not hand the VIP over: $out"
now_holder=$(vip_holders "$VIP")
[ "$(wc -w <<<"$now_holder")" = 1 ] && [ "$now_holder" != "$holder" ] || fail "VIP holders after the stop: '$now_holder'"
kc get nodes >/dev/null || fail "kubectl through the VIP fails after the hand-over"
prov node start "$holder" -p "$P"
step "node stop of the VIP holder $holder: VIP handed over to $now_holder first, in $(grep -o "([0-9.]*s)" <<<"$out" | head -1 | tr -d "()")"

# Quorum: with one control plane stopped, deleting another would leave 1 of 2 members.
prov node stop m03 -p "$P"
expect 80 "no quorum" prov node delete m02 -p "$P"
kc get node "$P-m02" >/dev/null || fail "a refused delete removed the node"
prov node start m03 -p "$P"
step "node delete that would break etcd quorum is refused (exit 80)"

# Storage outlives the primary node (minikube's provisioner dies with it).
kc get storageclass standard -o jsonpath='{.metadata.annotations.storageclass\.kubernetes\.io/is-default-class}' | quiet_grep -x true ||
	fail "no default StorageClass \"standard\""
prov node delete "$P" -p "$P"
kc apply -f - >/dev/null <<YAML
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 64Mi}}
---
apiVersion: v1
kind: Pod
metadata: {name: writer}
spec:
  containers:
  - name: w
    image: localhost/busybox:stable
    imagePullPolicy: Never
    command: [sh, -c, "echo kept > /data/f && sleep 3600"]
    volumeMounts: [{name: d, mountPath: /data}]
  volumes: [{name: d, persistentVolumeClaim: {claimName: data}}]
YAML
retry 240 bash -c "[ \"\$('$BINDIR/kubectl' get pvc data -o jsonpath='{.status.phase}')\" = Bound ]" ||
	fail "the claim was not provisioned after the primary was deleted: $(kc get pvc data; kc -n local-path-storage get pods -o wide)"
kc wait pod/writer --for=condition=Ready --timeout=120s >/dev/null || fail "the pod using the claim did not start"
step "primary node deleted: a new claim was still provisioned (Bound) and mounted"

prov delete --all
left=$(leftovers)
[ -z "$left" ] || fail "delete --all left:$left"
step "delete --all removed everything"
echo PASS
