#!/usr/bin/env bash
# storage_addon_kubectl — the pinned kubectl reads every object of the storage addon's stream,
# offline, and the pinned local-path-provisioner names the version the stream tags its image
# with. `kubectl create --dry-run=client` needs a server even with --validate=false (REST
# mapping), so, as manifest_kubectl.sh does:
#   kubectl annotate --local -o name   reads every document (the list must be the expected one);
#   a typed re-reading of each object kubectl has a local typed command for, compared with its
#   unstructured reading: `set env --local` for the Deployment and the helper pod inside the
#   ConfigMap, `set subject --local` for the two bindings. Any difference is a field kubectl did
#   not understand. Known-bad copies must fail the same check, so it cannot pass vacuously.
#   (Namespace, ServiceAccount, roles, ConfigMap and StorageClass have no such command; the
#   unit test test_storage_addon reads their fields.)
#
# Environment: UPSTREAM_BUILD (upstream/build.sh; kubectl and local-path-provisioner are in
# `$UPSTREAM_BUILD --print-bindir`), STORAGE_ADDON_PRINT (the storage-addon-print program).
set -euo pipefail

fail() {
	echo "storage_addon_kubectl: FAIL: $*" >&2
	exit 1
}

[ -n "${UPSTREAM_BUILD:-}" ] || fail "UPSTREAM_BUILD is not set (the path of upstream/build.sh)"
[ -x "${STORAGE_ADDON_PRINT:-}" ] || fail "STORAGE_ADDON_PRINT is not the storage-addon-print program"
bindir=$("$UPSTREAM_BUILD" --print-bindir)
kubectl="$bindir/kubectl"
lpp="$bindir/local-path-provisioner"
[ -x "$kubectl" ] || fail "no kubectl at $kubectl (the upstream_build fixture did not build it)"
[ -x "$lpp" ] || fail "no local-path-provisioner at $lpp (the upstream_build fixture did not build it)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# No cluster is ever contacted; an empty kubeconfig makes sure none is found by accident.
: >"$work/kubeconfig"
export KUBECONFIG="$work/kubeconfig"

# --- the version: go.mod's pin, stamped into the program by build.sh -----------------------
gomod="$(dirname "$UPSTREAM_BUILD")/go.mod"
pin=$(sed -n 's#^[[:space:]]*github.com/rancher/local-path-provisioner => github.com/rancher/local-path-provisioner \(v[^ ]*\)$#\1#p' "$gomod")
[ -n "$pin" ] || fail "$gomod has no local-path-provisioner pin"
said=$("$lpp" --version) || fail "$lpp --version failed"
[ "${said##* }" = "$pin" ] || fail "$lpp --version says \"$said\", go.mod pins $pin"
echo "storage_addon_kubectl: ok local-path-provisioner --version: $said"

"$STORAGE_ADDON_PRINT" "$pin" >"$work/addon.yaml" || fail "storage-addon-print $pin failed"

# --- every document, in apply order -------------------------------------------------------
expected="namespace/local-path-storage
serviceaccount/local-path-provisioner-service-account
role.rbac.authorization.k8s.io/local-path-provisioner-role
clusterrole.rbac.authorization.k8s.io/local-path-provisioner-role
rolebinding.rbac.authorization.k8s.io/local-path-provisioner-bind
clusterrolebinding.rbac.authorization.k8s.io/local-path-provisioner-bind
configmap/local-path-config
deployment.apps/local-path-provisioner
storageclass.storage.k8s.io/standard"
names=$("$kubectl" annotate --local -f "$work/addon.yaml" vipd-kubectl-check=1 -o name) ||
	fail "kubectl cannot read the stream"
[ "$names" = "$expected" ] || fail "kubectl read these objects:
$names"
echo "storage_addon_kubectl: ok $(wc -l <<<"$names") objects read"

# --- typed readings -----------------------------------------------------------------------
# One file per document (the generator separates them with "---" lines).
awk -v dir="$work" 'BEGIN { n = 0 } /^---$/ { n++; next } { print > sprintf("%s/doc%02d.yaml", dir, n) }' \
	"$work/addon.yaml"
"$kubectl" annotate --local -f "$work/doc06.yaml" x=1 -o jsonpath='{.data.helperPod\.yaml}' \
	>"$work/helper.yaml" || fail "kubectl cannot read the ConfigMap"

# typed_loss FILE — the differences between kubectl's unstructured and typed readings of FILE
# (nothing when it read every field); non-zero when kubectl refuses it outright.
typed_loss() {
	local file=$1 kind
	kind=$(sed -n 's/^kind: //p' "$file")
	"$kubectl" annotate --local -f "$file" vipd-kubectl-check=1 -o yaml >"$file.u" || return 1
	grep -v -x -e '  annotations:' -e '    vipd-kubectl-check: "1"' "$file.u" >"$file.u2" || true
	case $kind in
	Deployment | Pod)
		# What `set env` adds: the env entry (and an `env:` key, first in a container that
		# had none), `resources: {}`, `status: {}`.
		"$kubectl" set env --local -f "$file" VIPD_KUBECTL_CHECK=1 -o yaml >"$file.t" || return 1
		sed -e '/^ *- name: VIPD_KUBECTL_CHECK$/,+1d' -e '/^ *resources: {}$/d' \
			-e '/^status: {}$/d' "$file.t" |
			sed -e '/^ *- env:$/{N;/\n *- /!s/- env:\n */- /}' >"$file.t2"
		;;
	RoleBinding | ClusterRoleBinding)
		# What `set subject` adds: the user subject.
		"$kubectl" set subject --local -f "$file" --user=vipd-kubectl-check -o yaml >"$file.t" ||
			return 1
		sed -e '/^- apiGroup: rbac.authorization.k8s.io$/{N;N;/name: vipd-kubectl-check$/d}' \
			"$file.t" >"$file.t2"
		;;
	*) return 1 ;;
	esac
	diff "$file.u2" "$file.t2"
}

for f in doc04 doc05 doc07 helper; do
	typed_loss "$work/$f.yaml" >"$work/loss" || fail "$f ($(sed -n 's/^kind: //p' "$work/$f.yaml")): fields kubectl dropped:
$(cat "$work/loss")"
	echo "storage_addon_kubectl: ok $(sed -n 's/^kind: //p' "$work/$f.yaml") read typed with every field kept"
done

# --- the check has teeth: misspelt fields are caught ---------------------------------------
# bad_copy FROM SED-EXPR — FROM with one field misspelt; the copy must fail typed_loss.
bad_copy() {
	sed -e "$2" "$work/$1.yaml" >"$work/bad-$1.yaml"
	! cmp -s "$work/$1.yaml" "$work/bad-$1.yaml" || fail "bad copy of $1: the edit changed nothing"
	! typed_loss "$work/bad-$1.yaml" >/dev/null || fail "$1 with a misspelt field passed the check"
}
bad_copy doc07 's/^\( *\)imagePullPolicy:/\1imagePulPolicy:/'
bad_copy doc04 's/^  kind: Role$/  kinds: Role/'
bad_copy helper 's/^\( *\)priorityClassName:/\1priorityClass:/'
echo "storage_addon_kubectl: the storage addon ($pin) read by kubectl with every checked field kept"
