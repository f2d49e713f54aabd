#!/usr/bin/env bash
# status_cli.sh — `vipd status` against two real `vipd manager` daemons (a and b) sharing one
# Lease on a small fake Kubernetes API (fake_lease_api.py: Lease GET/POST/PUT with 404/409, and a
# /readyz per node for the health gate), all inside a private network + PID namespace this
# script makes (everything in it dies with the script). Each daemon has its own veth.
#
# Checked: a's status names it leader (exit 0) with the VIP present on its interface, a kernel
# lifetime within the lease, a last renewal dated and aged, -o json the same snapshot; b is a
# follower (exit 3) that names a as holder and finds its endpoint through `prometheus_server`
# as the daemon does; a's local control plane made to fail its health gate → a is out
# (reason health_gate, exit 4), b leads (exit 0) and holds the VIP; the errors: nothing
# listening (exit 1, naming the endpoint), an endpoint that is not vipd (exit 1, HTTP 404),
# bad flags (exit 2, naming the flag).
set -euo pipefail
: "${VIPD:?VIPD is not set (run through ctest)}"
here=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" != 0 ]; then
	echo "FAIL: status_cli needs root (it makes network namespaces)" >&2
	exit 1
fi
if [ -z "${STATUS_CLI_INNER:-}" ]; then
	# --kill-child: the namespace's PID 1 (this script, again) dies with us; with it, the kernel
	# kills every process in the PID namespace, and the network namespace goes with them.
	exec env STATUS_CLI_INNER=1 unshare --net --pid --mount --fork --kill-child --mount-proc \
		bash "$0" "$@"
fi

W=$(mktemp -d /tmp/vipd-status-cli.XXXXXX)
API_PORT=8080
VIP=192.0.2.254
declare -A VPID PORT IFACE
rc=1
cleanup() {
	local p
	for p in "${VPID[@]}" ${API_PID:-}; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	if [ "$rc" != 0 ]; then
		for f in "$W"/*.log; do
			[ -f "$f" ] || continue
			echo "==== $(basename "$f") (last 30 lines) ===="
			tail -n 30 "$f"
		done
	fi
	rm -rf "$W"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*" >&2
	exit 1
}
step() { echo "ok: $*"; }
# retry SECONDS CMD… — until CMD succeeds, every 0.1 s.
retry() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.1
	done
}

ip link set lo up
for n in a b; do
	IFACE[$n]=vip-$n
	ip link add "${IFACE[$n]}" type veth peer name "peer-$n"
	ip link set "peer-$n" up
	ip link set "${IFACE[$n]}" up
done
PORT[a]=2112
PORT[b]=2199
cat >"$W/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster:
    server: http://127.0.0.1:$API_PORT
users:
- name: nobody
  user: {}
contexts:
- name: fake
  context:
    cluster: fake
    user: nobody
current-context: fake
EOF
python3 "$here/fake_lease_api.py" "$API_PORT" "$W" 2>"$W/fake-api.log" &
API_PID=$!
retry 10 curl -sf -o /dev/null "http://127.0.0.1:$API_PORT/readyz" || fail "the fake API did not start"

# The sanitizer build's settings reach vipd through `env -i`.
SAN_ENV=()
for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
	[ -n "${!v:-}" ] && SAN_ENV+=("$v=${!v}")
done
start_vipd() { # NAME
	local n=$1
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "${SAN_ENV[@]}" \
		vip_interface="${IFACE[$n]}" address=$VIP port=6443 vip_arp=true cp_enable=true \
		vip_leaderelection=true vip_leasename=plndr-cp-lock vip_leaseduration=5 \
		vip_renewdeadline=3 vip_retryperiod=1 vip_nodename="$n" \
		prometheus_server="127.0.0.1:${PORT[$n]}" k8s_config_file="$W/kubeconfig" \
		vipd_health_gate=true vipd_health_gate_interval=200ms vipd_health_gate_failures=2 \
		vipd_health_gate_url="http://127.0.0.1:$API_PORT/readyz?node=$n" \
		"$VIPD" manager >>"$W/vipd-$n.log" 2>&1 &
	VPID[$n]=$!
}
# status NAME [ARGS…] — `vipd status` for that daemon by --endpoint; sets OUT and CODE.
status() {
	local n=$1
	shift
	CODE=0
	OUT=$("$VIPD" status --endpoint "127.0.0.1:${PORT[$n]}" "$@" 2>&1) || CODE=$?
}
status_is() { # NAME CODE
	status "$1"
	[ "$CODE" = "$2" ]
}
has_vip() { ip -4 -o addr show dev "${IFACE[$1]}" | grep -q " $VIP/32 "; }
json_field() { # JSON PATH (jq-less: python reads it)
	python3 -c 'import json,sys; v=json.load(sys.stdin)
for k in sys.argv[1].split("."): v=v[k]
print(json.dumps(v))' "$2" <<<"$1"
}

# --- a leads ------------------------------------------------------------------------------
start_vipd a
retry 15 status_is a 0 || fail "vipd status of a: exit $CODE (want 0, leader): $OUT"
grep -q '^role         leader$' <<<"$OUT" || fail "a's table does not say leader: $OUT"
grep -q '^ready        yes$' <<<"$OUT" || fail "a's table does not say ready: $OUT"
grep -q "^vip          $VIP/32 on vip-a: present, kernel lifetime [0-5] s;" <<<"$OUT" ||
	fail "a's table: VIP line: $OUT"
has_vip a || fail "a says leader but $VIP is not on vip-a: $(ip -o addr)"
status a -o json
[ "$CODE" = 0 ] || fail "vipd status -o json of a: exit $CODE: $OUT"
[ "$(json_field "$OUT" role)" = '"leader"' ] || fail "a's JSON role: $OUT"
[ "$(json_field "$OUT" election.holder)" = '"a"' ] || fail "a's JSON holder: $OUT"
[ "$(json_field "$OUT" election.backend)" = '"lease"' ] || fail "a's JSON backend: $OUT"
[ "$(json_field "$OUT" vip.present)" = true ] || fail "a's JSON vip.present: $OUT"
life=$(json_field "$OUT" vip.valid_lifetime_s)
[ "$life" -ge 0 ] && [ "$life" -le 5 ] || fail "a's VIP lifetime $life s is not within the 5 s lease"
age=$(json_field "$OUT" election.last_renewal_age_ms)
[ "$age" -ge 0 ] && [ "$age" -le 3000 ] || fail "a's last renewal is ${age} ms old (renewDeadline 3 s)"
json_field "$OUT" election.last_renewal | grep -Eq '^"20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{3}Z"$' ||
	fail "a's last_renewal is not RFC 3339: $OUT"
[ "$(json_field "$OUT" health_gate.passing)" = true ] || fail "a's gate is not passing: $OUT"
curl -sf "http://127.0.0.1:${PORT[a]}/status" | python3 -c 'import json,sys; json.load(sys.stdin)' ||
	fail "/status is not JSON"
step "a leads: vipd status exit 0, VIP on vip-a (lifetime ${life}s), last renewal ${age} ms ago"

# --- b follows; found through prometheus_server as the daemon is --------------------------
start_vipd b
follower() {
	CODE=0
	OUT=$(prometheus_server=":${PORT[b]}" "$VIPD" status 2>&1) || CODE=$?
	[ "$CODE" = 3 ]
}
retry 15 follower || fail "vipd status of b (prometheus_server=:${PORT[b]}): exit $CODE (want 3): $OUT"
grep -q '^role         follower$' <<<"$OUT" || fail "b's table: $OUT"
grep -q '^election     lease kube-system/plndr-cp-lock, holder a,' <<<"$OUT" ||
	fail "b does not name a as holder: $OUT"
has_vip b && fail "follower b holds the VIP"
step "b follows a: vipd status exit 3 (endpoint from prometheus_server)"

# --- a's control plane fails its health gate: a is out, b leads ----------------------------
touch "$W/sick-a"
retry 10 status_is a 4 || fail "a with a failing gate: exit $CODE (want 4): $OUT"
grep -q '^role         out (health_gate)$' <<<"$OUT" || fail "a's table does not say out (health_gate): $OUT"
status a -o json
[ "$(json_field "$OUT" out_reasons)" = '["health_gate"]' ] || fail "a's out_reasons: $OUT"
[ "$(json_field "$OUT" health_gate.passing)" = false ] || fail "a's gate still passing: $OUT"
retry 10 status_is b 0 || fail "b after a left: exit $CODE (want 0): $OUT"
retry 5 has_vip b || fail "b leads but $VIP is not on vip-b"
has_vip a && fail "a is out but still holds the VIP"
step "a's gate fails: a out (exit 4, health_gate), b leads (exit 0) with the VIP"
rm -f "$W/sick-a"
retry 10 status_is a 3 || fail "a healthy again: exit $CODE (want 3, follower): $OUT"
step "a healthy again: follower (exit 3)"

# --- errors ------------------------------------------------------------------------------
CODE=0
OUT=$("$VIPD" status --endpoint 127.0.0.1:1 --timeout 500 2>&1) || CODE=$?
[ "$CODE" = 1 ] && grep -q 'http://127.0.0.1:1/status' <<<"$OUT" ||
	fail "nothing listening: exit $CODE (want 1, naming the endpoint): $OUT"
CODE=0
OUT=$("$VIPD" status --endpoint "127.0.0.1:$API_PORT" 2>&1) || CODE=$?
[ "$CODE" = 1 ] && grep -q 'bad reply: HTTP 404' <<<"$OUT" ||
	fail "not a vipd: exit $CODE (want 1, HTTP 404): $OUT"
for bad in "--timeout x" "-o yaml" "--endpoint nohost" "--what"; do
	CODE=0
	# shellcheck disable=SC2086 # the flag and its value are two words
	OUT=$("$VIPD" status $bad 2>&1) || CODE=$?
	[ "$CODE" = 2 ] && grep -q -- "${bad%% *}" <<<"$OUT" ||
		fail "vipd status $bad: exit $CODE (want 2, naming the flag): $OUT"
done
step "errors: unreachable and not-vipd exit 1 naming the endpoint; bad flags exit 2"

# --- SIGTERM: both exit 0 ------------------------------------------------------------------
for n in a b; do
	kill -TERM "${VPID[$n]}"
	code=0
	wait "${VPID[$n]}" || code=$?
	[ "$code" = 0 ] || fail "vipd manager $n exited $code after SIGTERM"
	unset "VPID[$n]"
done
rc=0
echo "PASS: status_cli"
