#!/usr/bin/env bash
# One control-plane node: the pinned apiserver answers, is ready, and enforces optimistic
# concurrency on a Lease (the property our leader election relies on).
. "$(dirname "$0")/lib.sh"

fixture_up --nodes 1
n=$(nodes)

out=$(kc "$n" version)
echo "$out"
grep -qx "Server Version: $VERSION" <<<"$out" || fail "server version is not $VERSION"
step "kubectl version: server $VERSION"

[ "$(kc "$n" get --raw /readyz)" = ok ] || fail "/readyz is not ok"
step "/readyz ok"

lease() { # lease NAME HOLDER [RESOURCEVERSION]
	printf '{"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"%s","namespace":"kube-system"%s},"spec":{"holderIdentity":"%s","leaseDurationSeconds":15}}\n' \
		"$1" "${3:+,\"resourceVersion\":\"$3\"}" "$2"
}
url=/apis/coordination.k8s.io/v1/namespaces/kube-system/leases
lease vipd-test a >"$WORK/l1.json"
kc "$n" create --raw "$url" -f - <"$WORK/l1.json" >"$WORK/created.json"
rv1=$(sed -n 's/.*"resourceVersion":"\([0-9]*\)".*/\1/p' "$WORK/created.json")
[ -n "$rv1" ] || fail "no resourceVersion in $(cat "$WORK/created.json")"
step "lease created, resourceVersion $rv1"

lease vipd-test b "$rv1" | kc "$n" replace --raw "$url/vipd-test" -f - >"$WORK/updated.json"
rv2=$(sed -n 's/.*"resourceVersion":"\([0-9]*\)".*/\1/p' "$WORK/updated.json")
[ -n "$rv2" ] && [ "$rv2" != "$rv1" ] || fail "update did not change resourceVersion ($rv1 → $rv2)"
step "lease updated, resourceVersion $rv1 → $rv2"

if lease vipd-test c "$rv1" | kc "$n" replace -v=6 --raw "$url/vipd-test" -f - >"$WORK/stale.out" 2>&1; then
	fail "update with the stale resourceVersion $rv1 succeeded"
fi
grep -E 'verb="PUT" url="https://[^"]*/leases/vipd-test" status="409 Conflict"' "$WORK/stale.out" ||
	{ cat "$WORK/stale.out"; fail "stale update did not get 409 Conflict"; }
grep -o 'Error from server (Conflict).*' "$WORK/stale.out"
[ "$(kc "$n" get lease -n kube-system vipd-test -o 'jsonpath={.spec.holderIdentity}')" = b ] ||
	fail "the stale update changed the lease"
step "stale update → 409 Conflict, lease unchanged"
echo "RESULT: 1-node control plane up in ${CP_SECONDS}s"
