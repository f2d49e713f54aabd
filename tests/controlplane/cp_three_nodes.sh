#!/usr/bin/env bash
# Three control-plane nodes: every apiserver answers, etcd has three started members, losing
# one node's etcd and apiserver (kill -9) leaves the other two accepting writes, and teardown
# leaves no process, namespace or file behind.
. "$(dirname "$0")/lib.sh"

fixture_up --nodes 3
mapfile -t N < <(nodes)
[ "${#N[@]}" = 3 ] || fail "expected 3 nodes, state has ${#N[@]}"

for n in "${N[@]}"; do
	[ "$(kc "$n" get --raw /readyz)" = ok ] || fail "apiserver on $n is not ready"
done
step "all 3 apiservers ready"

etcdctl_on() {
	local n=$1
	shift
	on "$n" etcdctl --endpoints=https://127.0.0.1:2379 --cacert=/etc/kubernetes/pki/etcd/ca.crt \
		--cert=/etc/kubernetes/pki/etcd/healthcheck-client.crt \
		--key=/etc/kubernetes/pki/etcd/healthcheck-client.key "$@"
}
members=$(etcdctl_on "${N[0]}" member list)
echo "$members"
[ "$(grep -c ', started, ' <<<"$members")" = 3 ] || fail "etcd does not have 3 started members"
step "etcd: 3 started members"

# The victim is the etcd leader's node: the hardest single loss (a new leader must be elected).
leader_ep=$(etcdctl_on "${N[0]}" endpoint status --cluster -w fields |
	awk -F' : ' '/"MemberID"/ { m = $2 } /"Leader"/ { l = $2 } /"Endpoint"/ { if (m == l) { gsub(/"/, "", $2); print $2 } }')
victim=
for n in "${N[@]}"; do
	grep -q "//$(addr_of "$n"):" <<<"$leader_ep" && victim=$n
done
[ -n "$victim" ] || fail "cannot tell the etcd leader (endpoint status said \"$leader_ep\")"
step "etcd leader is on $victim"
for p in etcd kube-apiserver; do
	pid=$(pid_of "$victim" "$p")
	kill -9 "$pid"
	step "kill -9 $p on $victim (pid $pid)"
done
write_via() { # a create that was accepted, even if an earlier attempt's answer was lost
	kc "$1" create configmap "written-via-$1" -n default --from-literal=at=x >/dev/null 2>&1 ||
		kc "$1" get configmap "written-via-$1" -n default >/dev/null 2>&1
}
survivors=()
for n in "${N[@]}"; do [ "$n" = "$victim" ] || survivors+=("$n"); done
for n in "${survivors[@]}"; do
	t0=$(now)
	retry 30 write_via "$n" || fail "apiserver on $n did not accept a write after $victim was lost"
	step "write through $n accepted ($(elapsed "$t0")s)"
done
got=$(kc "${survivors[0]}" get configmap -n default -o name | grep -c written-via-)
[ "$got" = 2 ] || fail "expected 2 configmaps, found $got"

# Teardown by the fixture itself; then nothing it started may remain.
pids=$(cat "$D"/nodes/*/run/*.pid "$D"/nodes/*/holder.pid; state supervisor)
"$CPFIXTURE" down --dir "$D"
wait "$CP_PID" || fail "cpfixture up exited non-zero on teardown: $(tail -n 3 "$WORK/cpfixture.log")"
CP_PID=
grep 'msg="torn down"' "$WORK/cpfixture.log"
for pid in $pids; do
	if [ -d "/proc/$pid" ] && ! grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null; then
		fail "pid $pid ($(tr '\0' ' ' <"/proc/$pid/cmdline" | cut -c1-80)) still running after teardown"
	fi
done
[ ! -e "$D" ] || fail "$D still exists after teardown"
step "teardown left no process and no files"
echo "RESULT: 3-node control plane up in ${CP_SECONDS}s"
