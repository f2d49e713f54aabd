#!/usr/bin/env bash
# Images without a registry: every image the pinned kubeadm names (`kubeadm config images
# list`) is built from the pinned upstream programs, imported into a node's containerd under
# exactly that name, reported by the kubelet, and runs: a static pod of kubeadm's etcd image
# serves, checked with the etcdctl inside the same image.
. "$(dirname "$0")/lib.sh"
[ -x "$BINDIR/coredns" ] || skip "upstream program $BINDIR/coredns is not built (upstream/build.sh)"

# Upstream images are cached next to nothing else, keyed by the programs' directory.
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/vipd/node-images/$(basename "$(dirname "$BINDIR")")
mkdir -p "$CACHE"
cp_up
NODE_UP_ARGS=(--kubeadm-images --image-cache "$CACHE")
nodes_up w1:10:10.244.1.0/24
grep -E 'msg="image (built|reused)"' "$WORK/nodefixture.log" | sed 's/^/  /'

want=$("$BINDIR/kubeadm" config images list --kubernetes-version "$VERSION")
have=$(on_node w1 ctr -n k8s.io images ls -q)
reported=$(kc get node w1 -o 'jsonpath={range .status.images[*]}{.names[*]}{"\n"}{end}' | tr ' ' '\n')
for img in $want; do
	grep -qx "$img" <<<"$have" || fail "$img is not in w1's containerd"
	grep -qx "$img" <<<"$reported" || fail "kubelet does not report $img"
	echo "  $img: in containerd, reported by kubelet"
done
step "all $(echo "$want" | wc -l) kubeadm images present under their names"

etcd_img=$(grep '/etcd:' <<<"$want")
on_node w1 sh -c 'cat > /etc/kubernetes/manifests/etcd-test.yaml' <<YAML
apiVersion: v1
kind: Pod
metadata: {name: etcd-test, namespace: kube-system, labels: {app: etcd-test}}
spec:
  containers:
  - name: etcd
    image: $etcd_img
    imagePullPolicy: Never
    command: [etcd, --data-dir=/tmp/etcd, --listen-client-urls=http://127.0.0.1:2379,
              --advertise-client-urls=http://127.0.0.1:2379]
YAML
wait_running kube-system etcd-test 1
retry 60 kc -n kube-system exec etcd-test-w1 -- etcdctl endpoint health >"$WORK/health" 2>&1 ||
	{ cat "$WORK/health"; fail "etcd from $etcd_img is not healthy"; }
step "static pod from $etcd_img: $(cat "$WORK/health")"
