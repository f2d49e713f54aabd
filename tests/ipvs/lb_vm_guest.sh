#!/bin/bash
# lb_vm_guest.sh — the inside of the lb_vm test (lb_vm.sh starts it): runs in the test VM, whose
# kernel has ip_vs, and whose eth0 (qemu user networking) reaches a real kube-apiserver at
# $APISERVER. The host has created the Node objects be1..be5 (lb_vm.sh says which are what).
#
#   client ns "cl" 10.97.0.2 ─veth─ [VM: vipd manager, VIP on vip0, IPVS VIP:LB_PORT] ─veth─
#   10.98.N.2:6443 backend ns "beN" (N = 1..3): a relay to the real apiserver (busybox nc), so
#   both the health checks (GET /livez, TLS name "kubernetes") and the clients' requests through
#   the VIP are answered by kube-apiserver itself.
#
# Checked, each with its own FAIL line: the service gets exactly the Ready control-plane nodes;
# a client's requests through the VIP reach the apiserver over every backend; a backend whose
# /livez stops answering (its namespace drops every packet) leaves the service and the
# conntrack entries of clients through the VIP to it are flushed (others stay), counted in the
# metrics; it comes back when it answers again; node status and deletion made through the API
# move the service; SIGTERM deletes the service; with ip_vs unloaded, vipd logs it once, says so
# in its metrics and /readyz, and still holds the VIP. Then how late this kernel removes an
# address whose valid_lft ran out. Prints RESULT lines.
#
# Usage: lb_vm_guest.sh APISERVER_URL LIFETIME_MAX_MS
set -euo pipefail
F=/vm/files
VIP=10.99.0.1
LB_PORT=7443
APISERVER=$1        # https://ADDR:PORT, reached through eth0
LIFETIME_MAX_MS=$2 # MGR_KERNEL_LIFETIME_GRANULARITY_MS
VIPD_LOG=/tmp/vipd.log
T0=$EPOCHREALTIME

elapsed() { echo "$EPOCHREALTIME - ${1:-$T0}" | bc; }
step() { printf -- '-- [%6.1fs] %s\n' "$(elapsed)" "$*"; }
dump() {
	echo "==== vipd log (last 60 lines) ===="
	grep -v "VIP lifetime extended" "$VIPD_LOG" 2>/dev/null | tail -n 60 || true
	echo "==== ipvsadm -Ln ===="
	ipvsadm -Ln 2>&1 || true
}
fail() {
	echo "FAIL: $*"
	dump
	exit 1
}
# retry SECONDS CMD… — runs CMD until it succeeds or SECONDS pass.
retry() {
	local limit=$1 t0=$EPOCHREALTIME
	shift
	until "$@"; do
		[ "$(echo "$(elapsed "$t0") > $limit" | bc)" = 1 ] && return 1
		sleep 0.1
	done
}

# --- network -----------------------------------------------------------------------------------
setup_network() {
	local hostport=${APISERVER#https://}
	printf '#!/bin/sh\nexec nsenter --net=/proc/1/ns/net nc %s %s\n' "${hostport%:*}" "${hostport##*:}" >/tmp/relay
	chmod +x /tmp/relay
	ip link set eth0 up
	ip addr add 10.0.2.15/24 dev eth0
	ip route add default via 10.0.2.2
	ip link add vip0 type dummy
	ip link set vip0 up
	sysctl -qw net.ipv4.ip_forward=1
	sysctl -qw net.ipv4.vs.conntrack=1
	# Conntrack tracks a namespace only once a rule needs it (kube-proxy's do on a node).
	iptables-legacy -A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
	ip netns add cl
	ip link add vc type veth peer name eth0 netns cl
	ip addr add 10.97.0.1/24 dev vc
	ip link set vc up
	ip -n cl addr add 10.97.0.2/24 dev eth0
	ip -n cl link set eth0 up
	ip -n cl link set lo up
	ip -n cl route add default via 10.97.0.1
	local n
	for n in 1 2 3; do
		ip netns add be$n
		ip link add vb$n type veth peer name eth0 netns be$n
		ip addr add 10.98.$n.1/24 dev vb$n
		ip link set vb$n up
		ip -n be$n addr add 10.98.$n.2/24 dev eth0
		ip -n be$n link set eth0 up
		ip -n be$n link set lo up
		ip -n be$n route add default via 10.98.$n.1
		# Each connection to 10.98.N.2:6443 gets its own relay to the apiserver, dialled from
		# the VM's own namespace (the one with eth0).
		ip netns exec be$n nc -ll -p 6443 -e /tmp/relay &
	done
}

# --- observations ------------------------------------------------------------------------------
# The service's destinations, "ADDR:PORT FWD" per line, sorted.
dests() {
	ipvsadm -Ln -t "$VIP:$LB_PORT" 2>/dev/null | awk '$1 == "->" && $2 != "RemoteAddress:Port" { print $2, $3 }' | sort
}
dests_are() { # ADDR… — exactly these backends, masqueraded, at port 6443
	local want="" a
	for a in "$@"; do want+="$a:6443 Masq"$'\n'; done
	[ "$(dests)" = "$(printf %s "$want" | sort)" ]
}
# conns_given — the cumulative connection count of each backend, in order be1..be3.
conns_given() {
	ipvsadm -Ln --stats -t "$VIP:$LB_PORT" | awk '$1 == "->" && $2 ~ /^10\.98/ { print $2, $3 }' | sort | awk '{ print $2 }' | xargs
}
service_exists() { [[ $(ipvsadm -Ln) == *"TCP  $VIP:$LB_PORT"* ]]; }
metric() { wget -qO- http://127.0.0.1:2112/metrics | awk -v m="$1" '$1 == m { print $2 }'; }
logged() { grep -q "$1" "$VIPD_LOG"; }
# Conntrack entries of clients through the VIP to backend ADDR.
ct_through_vip() {
	conntrack -L -p tcp --orig-dst "$VIP" --reply-src "$1" 2>/dev/null | grep -c "dport=$LB_PORT " || true
}
# The established ones among them: the held connections, which cannot expire on their own while
# the test runs (closed ones can: IPVS drops a closed connection's entry about 10 s after it ends).
ct_held_through_vip() {
	conntrack -L -p tcp --state ESTABLISHED --orig-dst "$VIP" --reply-src "$1" 2>/dev/null |
		grep -c "dport=$LB_PORT " || true
}
client_get() { # PATH — through the VIP, from the client namespace, verifying the apiserver
	ip netns exec cl curl -sS --max-time 10 --cacert $F/ca.crt \
		--resolve "kubernetes:$LB_PORT:$VIP" "https://kubernetes:$LB_PORT$1"
}
api() { # METHOD PATH [JSON] — straight to the apiserver, as the cluster admin
	local args=(-sS --max-time 10 --cacert $F/ca.crt --cert $F/client.crt --key $F/client.key
		-X "$1" -o /dev/null -w '%{http_code}')
	[ $# -ge 3 ] && args+=(-H 'Content-Type: application/merge-patch+json' -d "$3")
	local code
	code=$(curl "${args[@]}" "$APISERVER$2") || fail "curl $1 $2 failed"
	[ "$code" = 200 ] || fail "$1 $2: HTTP $code"
}
set_ready() { # NODE True|False
	api PATCH "/api/v1/nodes/$1/status" \
		"{\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"$2\",\"reason\":\"Test\",\"message\":\"lb_vm\"}]}}"
}

# --- vipd --------------------------------------------------------------------------------------
start_vipd() {
	env -i PATH="$PATH" ASAN_OPTIONS="${ASAN_OPTIONS:-}" UBSAN_OPTIONS="${UBSAN_OPTIONS:-}" \
		vip_interface=vip0 address=$VIP port=6443 vip_arp=false cp_enable=true \
		vip_leaderelection=true vip_leasename=plndr-cp-lock vip_nodename=vm \
		vip_leaseduration=15 vip_renewdeadline=10 vip_retryperiod=2 \
		k8s_config_file=$F/admin.conf vipd_health_gate=false prometheus_server=127.0.0.1:2112 \
		lb_enable=true lb_port=$LB_PORT lb_fwdmethod=masquerade backend_health_check_interval=1 \
		vip_loglevel=debug \
		$F/vipd manager >"$VIPD_LOG" 2>&1 &
	VIPD_PID=$!
}

vip_on_vip0() { [[ $(ip -o addr show dev vip0) == *" $VIP/32 "* ]]; }

phase_backends() {
	local t0=$EPOCHREALTIME
	start_vipd
	retry 90 dests_are 10.98.1.2 10.98.2.2 10.98.3.2 ||
		fail "the service's backends are [$(dests | xargs)], want be1..be3 (Ready control-plane)"
	step "vipd leads; IPVS $VIP:$LB_PORT has be1..be3 (not the NotReady be4, not the worker be5) after $(printf %.1f "$(elapsed "$t0")")s"
	# The VIP is held only while a renewal is recent enough (its kernel lifetime): under TCG a
	# late renewal can withhold it for a moment, so wait for it rather than sample once.
	retry 15 vip_on_vip0 || fail "VIP $VIP is not on vip0"
	for n in 1 2 3; do
		logged "msg=\"backend added\" node=be$n address=10.98.$n.2" || fail "no 'backend added' line for be$n"
	done
	[ "$(metric vipd_ipvs_available)" = 1 ] || fail "vipd_ipvs_available is not 1"
	retry 10 eval '[ "$(metric vipd_backends_healthy)" = 3 ]' ||
		fail "vipd_backends_healthy is $(metric vipd_backends_healthy), want 3"
	[ "$(metric vipd_backends)" = 3 ] || fail "vipd_backends is $(metric vipd_backends), want 3"
}

phase_clients() {
	local i out
	for i in 1 2 3 4 5 6; do
		out=$(client_get /livez) || fail "client request $i through $VIP:$LB_PORT failed"
		[ "$out" = ok ] || fail "client request $i through the VIP: /livez said \"$out\""
	done
	# The connections each backend was given since the service was made (--stats "Conns"). Not
	# the live ActiveConn + InActConn: a connection IPVS saw end in CLOSE leaves its table ~10 s
	# later, which six TLS requests under TCG can outlast. The stats are refreshed every 2 s.
	retry 10 eval '[ "$(conns_given | awk "{ print \$1 + \$2 + \$3 }")" -ge 6 ]' ||
		fail "the backends were given [$(conns_given)] connections after 6 requests, want 6 in all"
	[ "$(conns_given)" = "2 2 2" ] || fail "connections per backend after 6 requests: [$(conns_given)], want 2 2 2 (rr)"
	step "6 client requests through the VIP answered by the apiserver, 2 over each backend (rr)"
}

# Opens connections through the VIP from the client namespace and leaves them open.
hold_connections() {
	local i
	for i in 1 2 3 4 5 6; do
		sleep 30 | ip netns exec cl nc "$VIP" "$LB_PORT" >/dev/null 2>&1 &
	done
	retry 10 eval '[ "$(ct_held_through_vip 10.98.2.2)" -ge 1 ] && [ "$(ct_held_through_vip 10.98.1.2)" -ge 1 ]' ||
		fail "no established conntrack entries through the VIP: be1 $(ct_held_through_vip 10.98.1.2), be2 $(ct_held_through_vip 10.98.2.2)"
}

phase_unhealthy() {
	hold_connections
	local be2=$(ct_held_through_vip 10.98.2.2) flushed
	flushed=$(metric vipd_conntrack_entries_flushed_total)
	local t0=$EPOCHREALTIME
	ip netns exec be2 iptables-legacy -I INPUT -j DROP
	retry 30 dests_are 10.98.1.2 10.98.3.2 || fail "be2 stopped answering but the backends are [$(dests | xargs)]"
	local gone_s
	gone_s=$(printf %.1f "$(elapsed "$t0")")
	logged 'msg="backend removed" node=be2 address=10.98.2.2 reason="health check failed' ||
		fail "no 'backend removed ... health check failed' line for be2"
	retry 5 eval '[ "$(ct_through_vip 10.98.2.2)" = 0 ]' ||
		fail "$(ct_through_vip 10.98.2.2) conntrack entries through the VIP to be2 remain"
	[ "$(ct_through_vip 10.98.1.2)" -ge 1 ] || fail "be1's conntrack entries went too"
	local now
	now=$(metric vipd_conntrack_entries_flushed_total)
	[ "$((now - flushed))" -ge "$be2" ] ||
		fail "vipd_conntrack_entries_flushed_total went $flushed -> $now; at least be2's $be2 established entries were to be flushed"
	[ "$(metric vipd_backends_healthy)" = 2 ] || fail "vipd_backends_healthy is not 2"
	[ "$(metric vipd_backend_check_failures_total)" -ge 1 ] || fail "no check failures counted"
	step "be2 stopped answering: out of the service after ${gone_s}s; its conntrack entries through the VIP flushed ($((now - flushed)), $be2 of them held open) (be1 keeps $(ct_through_vip 10.98.1.2))"
	echo "RESULT: lb backend removed ${gone_s}s after its /livez stopped answering (interval 1s); conntrack entries flushed: $((now - flushed))"

	t0=$EPOCHREALTIME
	ip netns exec be2 iptables-legacy -D INPUT -j DROP
	retry 30 dests_are 10.98.1.2 10.98.2.2 10.98.3.2 || fail "be2 answers again but the backends are [$(dests | xargs)]"
	local back_s
	back_s=$(printf %.1f "$(elapsed "$t0")")
	logged 'msg="backend added" node=be2 address=10.98.2.2 reason="health check passed"' ||
		fail "no 'backend added ... health check passed' line for be2"
	step "be2 answers again: back in the service after ${back_s}s"
	echo "RESULT: lb backend re-added ${back_s}s after its /livez answered again"
}

phase_api_events() {
	local t0=$EPOCHREALTIME
	set_ready be3 False
	retry 30 dests_are 10.98.1.2 10.98.2.2 || fail "be3 NotReady but the backends are [$(dests | xargs)]"
	logged 'msg="backend removed" node=be3 address=10.98.3.2 reason="node is not Ready"' ||
		fail "no 'backend removed ... node is not Ready' line for be3"
	step "be3 set NotReady through the API: out after $(printf %.2f "$(elapsed "$t0")")s"
	t0=$EPOCHREALTIME
	set_ready be3 True
	retry 30 dests_are 10.98.1.2 10.98.2.2 10.98.3.2 || fail "be3 Ready again but the backends are [$(dests | xargs)]"
	step "be3 Ready again: back after $(printf %.2f "$(elapsed "$t0")")s"
	t0=$EPOCHREALTIME
	api DELETE /api/v1/nodes/be1
	retry 30 dests_are 10.98.2.2 10.98.3.2 || fail "be1 deleted but the backends are [$(dests | xargs)]"
	logged 'msg="backend removed" node=be1 address=10.98.1.2 reason="node deleted"' ||
		fail "no 'backend removed ... node deleted' line for be1"
	step "node be1 deleted through the API: out after $(printf %.2f "$(elapsed "$t0")")s"
	echo "RESULT: lb node events from the apiserver move IPVS (NotReady, Ready, deleted)"
}

phase_stop() {
	kill -TERM "$VIPD_PID"
	local code=0
	wait "$VIPD_PID" || code=$?
	[ "$code" = 0 ] || fail "vipd exited $code after SIGTERM"
	service_exists && fail "the IPVS service outlived vipd"
	logged 'msg="ipvs service deleted"' || fail "no 'ipvs service deleted' line"
	step "SIGTERM: vipd exited 0 and deleted the service"
}

# kube-vip crash-loops without ip_vs (#1448); vipd must say so once and keep the VIP working.
phase_no_ipvs() {
	rmmod ip_vs_rr ip_vs || fail "cannot unload ip_vs"
	VIPD_LOG=/tmp/vipd-no-ipvs.log
	start_vipd
	retry 60 eval '[[ $(ip -o addr show dev vip0) == *" $VIP/32 "* ]]' ||
		fail "without ip_vs, vipd did not put the VIP on vip0"
	local n
	n=$(grep -c 'level=warn msg="ip_vs is not in this kernel: load balancing is off; the VIP keeps working"' "$VIPD_LOG" || true)
	[ "$n" = 1 ] || fail "the 'ip_vs is not in this kernel' line was logged $n times, want once"
	[ "$(metric vipd_ipvs_available)" = 0 ] || fail "vipd_ipvs_available is not 0 without ip_vs"
	local ready
	ready=$(curl -s --max-time 5 http://127.0.0.1:2112/readyz)
	[[ $ready == *"no ip_vs"* ]] || fail "without ip_vs /readyz says \"$ready\""
	grep -Eq 'msg="(load balancer on|backend|node|ipvs)' "$VIPD_LOG" && fail "without ip_vs the load balancer still did something"
	kill -TERM "$VIPD_PID"
	wait "$VIPD_PID" || fail "vipd without ip_vs exited $? after SIGTERM"
	step "without ip_vs: one warning, vipd_ipvs_available 0, /readyz says why, the VIP was up"
}

# --- the kernel's address lifetime -------------------------------------------------------------
# Whether ADDR (IPv4 or IPv6) is on this machine, read from /proc without forking.
addr_present() {
	local line
	if [[ $1 == *:* ]]; then
		while read -r line; do [[ ${line%% *} == "$2" ]] && return 0; done </proc/net/if_inet6
	else
		while read -r line; do [[ $line == "|-- $1" ]] && return 0; done </proc/net/fib_trie
	fi
	return 1
}

# lateness ADDR VALID_S — sets LATE: ms between the end of ADDR's valid_lft and its removal.
# Polls every ~2 ms without forking.
lateness() {
	local addr=$1 valid=$2 hex=""
	if [[ $addr == *:* ]]; then
		hex=20010db800000000000000000000abcd # 2001:db8::abcd as /proc/net/if_inet6 writes it
		ip -6 addr add "$addr/128" dev lt0 valid_lft "$valid" preferred_lft 0 nodad
	else
		ip addr add "$addr/32" dev lt0 valid_lft "$valid" preferred_lft 0
	fi
	local set_us=${EPOCHREALTIME/./} now_us
	while addr_present "$addr" "$hex"; do
		read -r -t 0.002 -u "$PAUSE_FD" _ || true
		now_us=${EPOCHREALTIME/./}
		((now_us - set_us < (valid + 10) * 1000000)) || fail "$addr still there ${valid}s + 10s after it was set"
	done
	now_us=${EPOCHREALTIME/./}
	LATE=$(((now_us - set_us) / 1000 - valid * 1000))
}

phase_lifetime() {
	mkfifo /tmp/pause
	exec {PAUSE_FD}<>/tmp/pause
	ip link add lt0 type dummy
	ip link set lt0 up
	local a b c
	lateness 10.5.0.1 1
	a=$LATE
	lateness 10.5.0.2 2
	b=$LATE
	lateness 2001:db8::abcd 2
	c=$LATE
	echo "RESULT: vm kernel lifetime lateness ipv4_valid1_ms=$a ipv4_valid2_ms=$b ipv6_valid2_ms=$c (the daemon assumes <= $LIFETIME_MAX_MS)"
	local v
	for v in "$a" "$b" "$c"; do
		[ "$v" -ge -50 ] || fail "the kernel removed an address ${v#-} ms before its lifetime ended"
		[ "$v" -le "$LIFETIME_MAX_MS" ] ||
			fail "the kernel removed an address $v ms late; the daemon assumes at most $LIFETIME_MAX_MS (MGR_KERNEL_LIFETIME_GRANULARITY_MS)"
	done
}

setup_network
step "network: eth0 to the apiserver at $APISERVER, client and 3 backend namespaces"
phase_backends
phase_clients
phase_unhealthy
phase_api_events
phase_stop
phase_no_ipvs
phase_lifetime
echo "==== vipd's load-balancer lines ===="
grep -E 'backend|ipvs|load balancer|node ignored|conntrack|level=(warn|error)' /tmp/vipd.log /tmp/vipd-no-ipvs.log | grep -v 'msg="backend health check failed"' || true
echo "lb_vm: all checks passed"
