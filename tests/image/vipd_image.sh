#!/usr/bin/env bash
# vipd's container image, end to end: vipd-image-build writes the archive; skopeo (an
# independent reader) reports both names on one manifest and the entrypoint; a private
# containerd imports it, its unpacked rootfs holds /vipd and every library ldd names, byte for
# byte, and it runs: `/vipd version`, the bare entrypoint (usage, exit 2), and `vipd elect`
# against a TLS server named `kubernetes` through an /etc/hosts given as kubelet gives one for
# hostAliases — so libcurl's resolver, TLS with the kubeconfig's CA and HTTP work inside the
# image. Prints the sizes as `RESULT: vipd image …`.
#
# containerd, its shims, runc and the containers run in private mount, network and PID
# namespaces (tmpfs on /run, everything else under one /tmp directory): the machine's
# /run/containerd, /var/lib/containerd and interfaces are never touched, and everything dies
# with the namespace. The containers' cgroups live under /vipd-image-test-<pid>, removed at exit.
#
# Needs (set by CMake): VIPD_IMAGE_BUILD, VIPD_BIN, VIPD_VERSION. Root; a missing tool fails.
set -euo pipefail

fail() {
	echo "FAIL: $*" >&2
	exit 1
}
NS=vipd-image-test
NAME=localhost/vipd:latest

# ---- inside the namespaces (the script runs itself there with "inner") ----
if [ "${1:-}" = inner ]; then
	mount -t tmpfs -o mode=0755 tmpfs /run
	ip link set lo up
	C=$W/containerd
	mkdir -p "$C"
	cat >"$C/config.toml" <<EOF
version = 2
root = "$C/root"
state = "$C/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.internal.v1.opt"]
[grpc]
  address = "$C/sock"
EOF
	containerd --config "$C/config.toml" >"$C/log" 2>&1 &
	ctr() { command ctr -a "$C/sock" -n "$NS" "$@"; }
	for _ in $(seq 100); do ctr version >/dev/null 2>&1 && break || sleep 0.1; done
	ctr version >/dev/null 2>&1 || { tail -n 20 "$C/log"; fail "containerd did not start"; }

	ctr images import "$ARCHIVE" >/dev/null || { tail -n 20 "$C/log"; fail "ctr images import"; }
	names=$(ctr images ls -q)
	for n in $NAME localhost/vipd:$VIPD_VERSION; do
		grep -qx "$n" <<<"$names" || fail "containerd has no $n (it has: $names)"
	done
	echo "-- containerd imported: $(echo $names)"

	# The rootfs as containerd unpacked it (the only committed snapshot): /vipd and every library
	# ldd names, byte for byte, at their paths; /etc; /tmp 1777. (Debian's umoci 0.4.7 leaves the
	# tar footer off an inserted layer — umoci#436, fixed in PR #534 — so GNU tar cannot list
	# the layer; containerd's reader accepts it, and this proves nothing was lost.)
	snaps=("$C"/root/io.containerd.snapshotter.v1.overlayfs/snapshots/*/fs)
	[ "${#snaps[@]}" = 1 ] || fail "want one unpacked snapshot, have: ${snaps[*]}"
	R=${snaps[0]}
	cmp "$VIPD_BIN" "$R/vipd" || fail "/vipd in the unpacked image differs from $VIPD_BIN"
	for lib in $LIBS; do
		cmp "$lib" "$R$lib" || fail "$lib in the unpacked image differs from the machine's"
	done
	grep -qx 'hosts: files dns' "$R/etc/nsswitch.conf" ||
		fail "/etc/nsswitch.conf: $(cat "$R/etc/nsswitch.conf")"
	[ -f "$R/etc/hosts" ] || fail "no /etc/hosts"
	[ "$(stat -c %a "$R/tmp")" = 1777 ] || fail "/tmp is mode $(stat -c %a "$R/tmp"), want 1777"
	echo "-- unpacked rootfs: /vipd and $(wc -w <<<"$LIBS") libraries identical to the machine's," \
		"/etc/nsswitch.conf, /etc/hosts, /tmp 1777"
	(cd "$R" && find . -type f -printf '     %10s  /%P\n' | sort -k2)
	echo "$(du -sb "$R" | cut -f1) $(find "$R" | wc -l)" >"$W/usage"

	out=$(ctr run --rm --cgroup "/$CG/version" "localhost/vipd:$VIPD_VERSION" v1 \
		/vipd version 2>&1 </dev/null) ||
		fail "ctr run … /vipd version: $out"
	[ "$out" = "vipd $VIPD_VERSION" ] ||
		fail "/vipd version printed \"$out\", want \"vipd $VIPD_VERSION\""
	echo "-- ctr run localhost/vipd:$VIPD_VERSION /vipd version: $out"

	rc=0
	out=$(ctr run --rm --cgroup "/$CG/entry" "$NAME" v2 2>&1 </dev/null) || rc=$?
	[ "$rc" = 2 ] && grep -q '^usage: vipd <command>' <<<"$out" ||
		fail "the entrypoint alone: exit $rc, output: $out (want vipd's usage, exit 2)"
	echo "-- ctr run $NAME (entrypoint, no arguments): exit 2, $(head -n1 <<<"$out")"

	openssl s_server -quiet -accept 127.0.0.1:6443 -cert "$W/kube/server.crt" \
		-key "$W/kube/server.key" -www >/dev/null 2>&1 &
	for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/6443) 2>/dev/null && break || sleep 0.1; done
	# ctr --net-host gives the container the namespace's /etc/hosts, as kubelet gives a
	# hostNetwork pod the node's hosts file plus its hostAliases: here, kubernetes → 127.0.0.1.
	mount --bind "$W/kube/hosts" /etc/hosts
	ctr run --rm --net-host --cgroup "/$CG/elect" \
		--mount "type=bind,src=$W/kube,dst=/kube,options=rbind:ro" \
		"$NAME" v3 /vipd elect --kubeconfig /kube/kubeconfig --lease default/image-test \
		--identity image-test >"$W/elect.log" 2>&1 </dev/null &
	run_pid=$!
	for _ in $(seq 100); do grep -q 'error=' "$W/elect.log" && break || sleep 0.1; done
	ctr tasks kill v3 >/dev/null 2>&1 || true # SIGTERM: vipd stops, ctr run removes it
	for _ in $(seq 100); do kill -0 "$run_pid" 2>/dev/null && sleep 0.1 || break; done
	if kill -0 "$run_pid" 2>/dev/null; then
		echo "vipd did not stop on SIGTERM within 10 s" >>"$W/elect.log"
		ctr tasks kill -s SIGKILL v3 >/dev/null 2>&1 || true
		sleep 1
		kill -9 "$run_pid" 2>/dev/null || true
	fi
	rc=0
	wait "$run_pid" || rc=$?
	echo "ctr run exit $rc" >>"$W/elect.log"
	grep -qi "json" "$W/elect.log" ||
		{ cat "$W/elect.log"; fail "vipd elect in the image did not reach https://kubernetes:6443"; }
	echo "-- ctr run $NAME /vipd elect → https://kubernetes:6443 (name from /etc/hosts, TLS" \
		"verified with the kubeconfig's CA): $(grep -o 'error="[^"]*"' "$W/elect.log" | head -n1)"

	exit 0
fi

# ---- outside: checks, build, read back, then the namespaces ----
if [ "$(id -u)" != 0 ]; then
	if [ -n "${CI:-}" ]; then # in CI nothing may be skipped
		echo "FAIL: CI: needs root (mount, network and PID namespaces; containerd)" >&2
		exit 1
	fi
	echo "SKIPPED: needs root (mount, network and PID namespaces; containerd)"
	exit 77
fi
: "${VIPD_IMAGE_BUILD:?VIPD_IMAGE_BUILD is not set (run through ctest)}"
: "${VIPD_BIN:?VIPD_BIN is not set (run through ctest)}"
: "${VIPD_VERSION:?VIPD_VERSION is not set (run through ctest)}"
for p in containerd containerd-shim-runc-v2 ctr runc umoci skopeo tar ldd unshare ip cmp \
	openssl jq base64 bc; do
	command -v "$p" >/dev/null || fail "$p is not installed (needed to build, read or run the image)"
done

W=$(mktemp -d /tmp/vipd-image-test.XXXXXX)
CG=vipd-image-test-$$
ARCHIVE=$W/vipd-image.tar
export W CG ARCHIVE VIPD_VERSION VIPD_BIN
# The namespaces end with their first process (everything in them is killed); then the test's
# cgroup parent (runc removes each container's own) and the work directory go.
cleanup() {
	local rc=$? h left
	set +e
	trap - EXIT INT TERM
	[ -n "${NS_PID:-}" ] && kill -9 "$NS_PID" 2>/dev/null
	wait 2>/dev/null
	for _ in $(seq 50); do
		left=
		for h in /sys/fs/cgroup/*/; do
			[ -d "$h$CG" ] || continue
			find "$h$CG" -depth -type d -exec rmdir {} + 2>/dev/null
			[ -d "$h$CG" ] && left+=" $h$CG"
		done
		[ -z "$left" ] && break
		sleep 0.1
	done
	[ -z "$left" ] || { echo "FAIL: cgroups left:$left" >&2; rc=1; }
	rm -rf "$W" || rc=1
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

t0=$(date +%s.%N)
built=$("$VIPD_IMAGE_BUILD" --vipd "$VIPD_BIN" --version "$VIPD_VERSION" --out "$ARCHIVE") ||
	fail "vipd-image-build failed (its error is above)"
echo "-- $built ($(echo "$(date +%s.%N) - $t0" | bc 2>/dev/null || echo ?) s)"

# skopeo: the names, the entrypoint, one layer.
cfg=$(skopeo inspect --config "oci-archive:$ARCHIVE:$NAME") || fail "skopeo inspect --config"
entry=$(jq -c '.config.Entrypoint' <<<"$cfg")
[ "$entry" = '["/vipd"]' ] || fail "entrypoint is $entry, want [\"/vipd\"]"
d1=$(skopeo inspect "oci-archive:$ARCHIVE:$NAME" | jq -r .Digest)
d2=$(skopeo inspect "oci-archive:$ARCHIVE:localhost/vipd:$VIPD_VERSION" | jq -r .Digest)
[ "$d1" = "$d2" ] || fail "$NAME is $d1 but localhost/vipd:$VIPD_VERSION is $d2"
manifest=$(skopeo inspect --raw "oci-archive:$ARCHIVE:$NAME")
[ "$(jq '.layers | length' <<<"$manifest")" = 1 ] || fail "want one layer: $manifest"
layer_bytes=$(jq -r '.layers[0].size' <<<"$manifest")
echo "-- skopeo: $NAME = localhost/vipd:$VIPD_VERSION = $d1, entrypoint $entry"

libs=$(ldd "$VIPD_BIN" | grep -o '/[^ ]*' | sort -u)

# What `vipd elect` will reach inside the container: a TLS server named kubernetes.
mkdir -p "$W/kube"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-keyout "$W/kube/server.key" -out "$W/kube/server.crt" -subj /CN=kubernetes \
	-addext subjectAltName=DNS:kubernetes 2>/dev/null || fail "openssl req"
cat >"$W/kube/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: test
  cluster:
    server: https://kubernetes:6443
    certificate-authority-data: $(base64 -w0 "$W/kube/server.crt")
users:
- name: test
  user: {token: image-test}
contexts:
- name: test
  context: {cluster: test, user: test}
current-context: test
EOF
printf '127.0.0.1\tlocalhost\n127.0.0.1\tkubernetes\n' >"$W/kube/hosts"

export LIBS=$libs
unshare --mount --propagation private --net --pid --fork --kill-child --mount-proc \
	bash "$0" inner &
NS_PID=$!
wait "$NS_PID" || fail "in the private containerd (above)"
NS_PID=

archive_bytes=$(stat -c %s "$ARCHIVE")
read -r rootfs_bytes entries <"$W/usage"
mib() { echo "scale=1; $1 / 1048576" | bc; }
echo "RESULT: vipd image $NAME (= localhost/vipd:$VIPD_VERSION): archive $archive_bytes bytes" \
	"($(mib "$archive_bytes") MiB; its gzip layer $layer_bytes bytes)," \
	"unpacked rootfs $rootfs_bytes bytes ($(mib "$rootfs_bytes") MiB, $entries entries," \
	"du -sb of containerd's snapshot);" \
	"vipd $(stat -c %s "$VIPD_BIN") bytes + $(wc -w <<<"$libs") shared libraries"
