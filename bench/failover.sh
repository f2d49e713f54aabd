#!/usr/bin/env bash
# bench-failover: `vipd manager` against the real kube-vip v1.2.2 and keepalived, side by side on ONE real 3-node
# control plane (cpfixture), with equal timings. Prints figures; asserts nothing about time.
#
# For each system (SYSTEMS: vipd; vipd-etcd, the same on its etcd backend; kube-vip; keepalived,
# Debian's VRRP daemon between the node namespaces, advert 1 s, equal priorities, nopreempt —
# it has no lease, the timing sets do not apply to it) and each timing set (TIMINGS, default "5/3/1 15/10/2" =
# leaseDuration/renewDeadline/retryPeriod in seconds) the three daemons are started (vipd as in
# tests/controlplane/cp_vipd.sh, kube-vip from the env its own `kube-vip manifest pod` writes, with
# the timings overridden), then RUNS times each (default 10):
#   hard      kill -9 of the leader's daemon;
#   graceful  SIGTERM of the leader's daemon;
#   handover  (vipd and vipd-etcd only) `vipd handover` asked from another node (through its
#             apiserver, or its etcd member); kube-vip has none, its graceful restart is the
#             reference;
# and after each run the daemon is restarted and the bench waits for a stable single holder
# (one VIP holder = the Lease holder, every daemon naming it as leader, the client answered by it).
#
# Figures, per run (raw numbers in $FAILOVER_CSV, default ./bench-failover.csv):
#   answer_s      signal → the first successful `curl -sk https://VIP:6443/readyz` from the
#                 client's namespace answered by another node's apiserver. A prober in the client
#                 namespace starts a fresh curl every POLL_MS (20) ms; the time is the completion
#                 time of the earliest such answer. Which node answered = the serial number of the
#                 apiserver serving certificate curl received (%{certs}), mapped to nodes by
#                 asking each node's address directly: exact, no race with the neighbour table.
#   outage_s      the longest stretch in [signal, answer] with no successful answer from any node
#                 (what a client saw; kube-vip's dead-daemon node keeps the VIP and keeps
#                 answering until the new holder's ARP moves the client).
#   acq_to_answer_s   the new leader's acquisition log line ("started leading" for vipd, client-go's
#                 "Successfully acquired lease" for kube-vip) → answer: what is ours beyond the
#                 election protocol. Unknown for keepalived (its log has whole seconds only).
#   expiry_to_answer_s (hard only) the moment a follower may take the lease — the killed leader's
#                 last renewTime (from a Lease watch) + leaseDuration — → answer. Includes how
#                 late the follower acquires after expiry (client-go polls every retryPeriod).
#   overlap_ms    from vip_watch (every node's addresses sampled every WATCH_MS (5) ms): time with
#                 two or more VIP holders in [signal, restart of the daemon]; overlap_from_s = when
#                 it began (s after the signal); two_at_restart = still two holders when the daemon
#                 was restarted (kube-vip's dead leader keeps the VIP until its restart deletes
#                 it). After kill -9 the daemon stays down until one leaseDuration after the answer
#                 (HOLD), so a VIP left behind shows; after SIGTERM it is restarted at once.
# Footprint (first timing set, after FOOTPRINT_SECONDS (300) of steady state, for the leader and one
# follower): RSS, PSS, private (Private_Clean + Private_Dirty) from /proc/PID/smaps_rollup; CPU
# seconds (utime + stime from /proc/PID/stat) used over the window; API requests per second by role:
# vipd's Lease reads + writes from its SIGUSR1 state dump at both ends of the window (its health
# gate's 1/s /readyz probe of the local apiserver comes on top); kube-vip exposes no client
# metrics: unknown.
# Printed: RESULT lines (median, p99 (nearest rank: = max below 100 runs), max, and the ratio of
# each system's median to the first system's, vipd by default) and a final markdown table.
#
#   no_holder_ms  from vip_watch: time with no VIP holder in [signal, answer].
# Env: RUNS (10), KINDS ("hard graceful handover"), TIMINGS ("5/3/1 15/10/2"), FOOTPRINT_SECONDS (300), SYSTEMS ("vipd kube-vip"),
# POLL_MS (20), WATCH_MS (5), FAILOVER_CSV. Needs CPFIXTURE, UPSTREAM_BUILD, VIPD, VIP_WATCH (CMake).
. "$(dirname "$0")/../tests/controlplane/lib.sh"
: "${VIPD:?VIPD is not set (run through cmake --build … --target bench-failover)}"
: "${VIP_WATCH:?VIP_WATCH is not set (run through cmake --build … --target bench-failover)}"
RUNS=${RUNS:-10}
read -ra TIMING_SETS <<<"${TIMINGS:-5/3/1 15/10/2}"
read -ra SYS_LIST <<<"${SYSTEMS:-vipd vipd-etcd kube-vip keepalived}"
read -ra KIND_LIST <<<"${KINDS:-hard graceful handover}"
FOOTPRINT_SECONDS=${FOOTPRINT_SECONDS:-300}
POLL_MS=${POLL_MS:-20}
WATCH_MS=${WATCH_MS:-5}
CSV=${FAILOVER_CSV:-$PWD/bench-failover.csv}
FP_CSV=${CSV%.csv}-footprint.csv
for t in "${TIMING_SETS[@]}"; do
	[[ $t =~ ^[0-9]+/[0-9]+/[0-9]+$ ]] || fail "TIMINGS: \"$t\" is not leaseDuration/renewDeadline/retryPeriod"
done
for s in "${SYS_LIST[@]}"; do
	case $s in
	vipd | vipd-etcd | kube-vip) ;;
	keepalived) command -v keepalived >/dev/null || fail "keepalived is not installed (bash .ci/install-deps)" ;;
	*) fail "SYSTEMS: \"$s\" is not one of vipd, vipd-etcd, kube-vip, keepalived" ;;
	esac
done
command -v gawk >/dev/null && AWK=gawk || AWK=awk
CLK_TCK=$(getconf CLK_TCK)

declare -A DPID DSTART SERIAL
SYS= LEASE_S= RENEW_S= RETRY_S= BLOCK= BID=
WATCH_PID= LW_PID= PROBE_PID=

test_cleanup() {
	local n p
	for p in $PROBE_PID $WATCH_PID $LW_PID; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	for n in "${!DPID[@]}"; do
		kill -CONT "${DPID[$n]}" 2>/dev/null
		kill -KILL "${DPID[$n]}" 2>/dev/null
		wait "${DPID[$n]}" 2>/dev/null
	done
	if [ "${rc:-1}" != 0 ]; then
		for p in "$WORK"/d-*.log; do
			[ -f "$p" ] || continue
			echo "==== $(basename "$p") (last 30 lines) ===="
			tail -n 30 "$p"
		done
		for p in "$WORK"/watch-*.log; do
			[ -f "$p" ] || continue
			echo "==== $(basename "$p") (last 10 lines) ===="
			tail -n 10 "$p"
		done
	fi
	return 0
}

fixture_up --nodes 3
mapfile -t N < <(nodes)
next_node() {
	local i
	for i in "${!N[@]}"; do [ "${N[$i]}" = "$1" ] && echo "${N[$(((i + 1) % ${#N[@]}))]}"; done
	return 0
}
lt() { [ "$(echo "$1 < $2" | bc)" = 1 ]; }
iso_epoch() { date -d "$1" +%s.%N; }

# The apiserver serving certificate's serial number identifies the node that answered.
serial_of_answer() { # URL — run from the client namespace
	{ on client curl -sk --max-time 2 -o /dev/null -w '%{certs}' "$1" 2>/dev/null || true; } |
		sed -n 's/^Serial Number:\([0-9a-fA-F:]*\).*/\1/p;T;q'
}
for n in "${N[@]}"; do
	s=$(serial_of_answer "https://$(addr_of "$n"):6443/readyz")
	[ -n "$s" ] || fail "no certificate serial from $n's apiserver"
	SERIAL[$s]=$n
done
[ "${#SERIAL[@]}" = 3 ] || fail "the three apiservers do not have distinct certificate serials"
node_of_serial() { if [ -n "$1" ]; then echo "${SERIAL[$1]:--}"; else echo -; fi; }
answered_by() { node_of_serial "$(serial_of_answer "https://$VIP:6443/readyz")"; }
step "answering node told by apiserver certificate serial: $(for s in "${!SERIAL[@]}"; do printf '%s=%s ' "${SERIAL[$s]}" "$s"; done)"

# kube-vip's environment, as its own `manifest pod` writes it (and a kubelet would set it).
"$BINDIR/kube-vip" manifest pod --interface eth0 --address "$VIP" --port 6443 --controlplane \
	--arp --leaderElection >"$WORK/kube-vip.yaml" || fail "kube-vip manifest pod failed"
mapfile -t KV_ENV < <(manifest_env "$WORK/kube-vip.yaml")
[ "${#KV_ENV[@]}" -gt 5 ] || fail "no env in kube-vip's manifest"

# ---- the daemons ---------------------------------------------------------------------------
log_of() { echo "$WORK/d-$SYS-$1.log"; }
start_daemon() { # NODE — the current system's daemon on NODE, with the current timings
	local n=$1 log
	log=$(log_of "$n")
	touch "$log"
	DSTART[$n]=$(wc -l <"$log")
	case $SYS in
	vipd | vipd-etcd)
		"$CPFIXTURE" exec --dir "$D" --node "$n" -- env -i \
			PATH=/usr/sbin:/usr/bin:/sbin:/bin "${ETCD_ENV[@]}" \
			vip_interface=eth0 address="$VIP" port=6443 vip_arp=true cp_enable=true \
			vip_leaderelection=true vip_leasename=plndr-cp-lock vip_leaseduration="$LEASE_S" \
			vip_renewdeadline="$RENEW_S" vip_retryperiod="$RETRY_S" vip_nodename="$n" \
			prometheus_server=:2112 k8s_config_file=/etc/kubernetes/admin.conf \
			kubernetes_addr="https://$(addr_of "$(next_node "$n")"):6443" \
			"$VIPD" manager >>"$log" 2>&1 &
		;;
	keepalived)
		keepalived_conf "$n" >"$WORK/keepalived-$n.conf"
		"$CPFIXTURE" exec --dir "$D" --node "$n" -- keepalived --dont-fork --log-console \
			--log-detail --vrrp --use-file="$WORK/keepalived-$n.conf" \
			--pid="$WORK/keepalived-$n.pid" --vrrp_pid="$WORK/keepalived-$n-vrrp.pid" >>"$log" 2>&1 &
		;;
	kube-vip)
		# env(1): later assignments win — our timings over the manifest's.
		"$CPFIXTURE" exec --dir "$D" --node "$n" -- env -i "${KV_ENV[@]/=NODENAME/=$n}" \
			vip_leaseduration="$LEASE_S" vip_renewdeadline="$RENEW_S" vip_retryperiod="$RETRY_S" \
			PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			"$BINDIR/kube-vip" manager >>"$log" 2>&1 &
		;;
	esac
	DPID[$n]=$!
}
# keepalived_conf NODE — VRRP as keepalived's users run it for a control-plane VIP: one instance,
# advert 1 s, equal priorities, no preemption (a node coming back does not take the VIP back).
keepalived_conf() {
	printf 'global_defs {\n\trouter_id %s\n}\n' "$1"
	printf 'vrrp_instance cp {\n\tstate BACKUP\n\tinterface eth0\n\tvirtual_router_id 51\n'
	printf '\tpriority 100\n\tadvert_int 1\n\tnopreempt\n'
	printf '\tvirtual_ipaddress {\n\t\t%s/32 dev eth0\n\t}\n}\n' "$VIP"
}
# What points vipd-etcd at its node's etcd member (as tests/controlplane/vipd_lib.sh does).
etcd_env() {
	ETCD_ENV=()
	[ "$SYS" = vipd-etcd ] && ETCD_ENV=(vipd_etcd_endpoints=https://127.0.0.1:2379
		vipd_etcd_cacert=/etc/kubernetes/pki/etcd/ca.crt
		vipd_etcd_cert=/etc/kubernetes/pki/etcd/healthcheck-client.crt
		vipd_etcd_key=/etc/kubernetes/pki/etcd/healthcheck-client.key)
	return 0
}
stop_daemon() { # NODE SIGNAL
	# keepalived's VRRP work is done by a child: kill -9 means every process of it, children
	# first (they would otherwise be told by the parent's death to shut down cleanly).
	if [ "$SYS" = keepalived ] && [ "$2" = KILL ]; then pkill -KILL -P "${DPID[$1]}" 2>/dev/null || true; fi
	kill -s "$2" "${DPID[$1]}" 2>/dev/null || true
	wait "${DPID[$1]}" 2>/dev/null || true
	unset "DPID[$1]"
}
since_start() { tail -n +"$((DSTART[$1] + 1))" "$(log_of "$1")"; }
# last_seen_leader NODE — the leader NODE's daemon last reported (since its start).
last_seen_leader() {
	if [[ $SYS == vipd* ]]; then
		since_start "$1" | sed -n 's/.*msg="new leader".* holder="\([^"]*\)".*/\1/p' | tail -n 1
	elif [ "$SYS" = keepalived ]; then
		: # VRRP backups do not name the master
	else
		since_start "$1" | sed -n 's/.* INFO New leader leader=\([^ ]*\).*/\1/p' | tail -n 1
	fi
}
# acquired_at NODE FROM_LINE — epoch of NODE's first acquisition log line after line FROM_LINE.
acquired_at() {
	local log line
	log=$(log_of "$1")
	if [[ $SYS == vipd* ]]; then
		line=$(awk -v f="$2" 'NR > f && /msg="started leading"/ { print; exit }' "$log")
		[ -n "$line" ] || return 0
		iso_epoch "$(sed -n 's/^ts=\([^ ]*\) .*/\1/p' <<<"$line")"
	elif [ "$SYS" = keepalived ]; then
		# Its log says when it entered MASTER state only to the second ("Mon Nov 30 05:50:01
		# 2026: (cp) Entering MASTER STATE"): too coarse for this column, left unknown.
		return 0
	else
		# klog: I1129 23:51:19.360548 <pid> leaderelection.go:NNN] "Successfully acquired lease"
		line=$(awk -v f="$2" 'NR > f && /"Successfully acquired lease"/ { print; exit }' "$log")
		[ -n "$line" ] || return 0
		local md=${line:1:4} hms
		hms=$(awk '{ print $2 }' <<<"$line")
		iso_epoch "$(date +%Y)-${md:0:2}-${md:2:2} $hms"
	fi
}

# ---- observers -----------------------------------------------------------------------------
start_watchers() {
	local n ns_args=()
	for n in "${N[@]}"; do ns_args+=("$n=/proc/$(holder_pid "$n")/ns/net"); done
	"$VIP_WATCH" --address "$VIP" --interval-ms "$WATCH_MS" "${ns_args[@]}" >"$WORK/watch-$BID.log" 2>&1 &
	WATCH_PID=$!
	lease_watch_loop >"$WORK/lease-$BID.log" 2>/dev/null &
	LW_PID=$!
}
stop_watchers() {
	local p
	for p in $WATCH_PID $LW_PID; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	WATCH_PID= LW_PID=
}
# Every change of plndr-cp-lock: "holder renewTime" lines (the watch is restarted if it ends).
lease_watch_loop() {
	local kp=
	trap '[ -z "$kp" ] || kill "$kp" 2>/dev/null; exit 0' TERM
	while :; do
		kc "${N[0]}" get lease -n kube-system plndr-cp-lock --watch --output-watch-events=false \
			-o 'jsonpath={.spec.holderIdentity} {.spec.renewTime}{"\n"}' &
		kp=$!
		wait "$kp" || true
	done
}
# holders_now — "COUNT NODES" from vip_watch's last line.
holders_now() {
	grep '^holders ' "$WORK/watch-$BID.log" 2>/dev/null | tail -n 1 |
		sed -n 's/.* count=\([0-9]*\) nodes=\(.*\)/\1 \2/p'
}
# overlap FROM TO — "ms_with_two_or_more from_s_after_FROM two_at_TO" from vip_watch's changes.
overlap() {
	grep '^holders ' "$WORK/watch-$BID.log" | sed 's/.* at=\([0-9.]*\) count=\([0-9]*\).*/\1 \2/' |
		$AWK -v a="$1" -v b="$2" '
			$1 > b { exit }
			function add(s, e) { if (s < a) s = a; if (e > b) e = b; if (e > s) { ms += (e - s) * 1000; if (first == "") first = s - a } }
			{ if (pc >= 2) add(pt, $1); pt = $1; pc = $2 }
			END { if (pc >= 2) add(pt, b); if (first == "") first = "-"; else first = sprintf("%.3f", first)
			      printf "%.0f %s %d\n", ms, first, (pc >= 2 && pt <= b) }'
}

# no_holder T0 T1 — ms in [T0, T1] during which no node held the VIP (vip_watch).
no_holder() {
	grep '^holders ' "$WORK/watch-$BID.log" | sed 's/.* at=\([0-9.]*\) count=\([0-9]*\).*/\1 \2/' |
		$AWK -v a="$1" -v b="$2" '
			$1 > b { exit }
			function add(s, e) { if (s < a) s = a; if (e > b) e = b; if (e > s) ms += (e - s) * 1000 }
			{ if (seen && pc == 0) add(pt, $1); pt = $1; pc = $2; seen = 1 }
			END { if (seen && pc == 0) add(pt, b); printf "%.1f\n", ms }'
}

# first_answer FILE T0 OLD_SERIAL — "end_time serial" of the earliest 200 after T0 not from OLD.
first_answer() {
	$AWK -v t0="$2" -v old="$3" '$3 == 200 && $4 != old && $4 != "-" && $2 >= t0 && (best == "" || $2 < best) { best = $2; s = $4 }
		END { if (best != "") print best, s }' "$1"
}
prober_saw() { $AWK -v s="$2" '$3 == 200 && $4 == s { f = 1 } END { exit !f }' "$1"; }

# ---- steady state --------------------------------------------------------------------------
lease_holder() { kc "${N[0]}" get lease -n kube-system plndr-cp-lock -o 'jsonpath={.spec.holderIdentity}' 2>/dev/null; }
# stable — one VIP holder H (vip_watch), the Lease names H, every daemon alive and naming H as
# leader, the client answered by H's apiserver through the VIP. Sets LEADER.
stable() {
	local h c n
	read -r c h <<<"$(holders_now)"
	[ "${c:-0}" = 1 ] || return 1
	case $SYS in vipd | kube-vip) [ "$(lease_holder)" = "$h" ] || return 1 ;; esac
	for n in "${N[@]}"; do
		[ -n "${DPID[$n]:-}" ] && kill -0 "${DPID[$n]}" 2>/dev/null || return 1
		[ "$SYS" = keepalived ] || [ "$n" = "$h" ] || [ "$(last_seen_leader "$n")" = "$h" ] || return 1
	done
	[ "$(answered_by)" = "$h" ] || return 1
	LEADER=$h
}
settle() { retry 120 stable || fail "$SYS $BLOCK: no stable single holder after 120 s: vip_watch [$(holders_now)], Lease \"$(lease_holder)\", seen: $(for n in "${N[@]}"; do printf '%s→%s ' "$n" "$(last_seen_leader "$n")"; done)"; }

# ---- one failover run ----------------------------------------------------------------------
echo "system,timings,kind,run,old_leader,new_leader,answer_s,outage_s,acq_to_answer_s,expiry_to_answer_s,overlap_ms,overlap_from_s,two_at_restart,no_holder_ms" >"$CSV"
run_once() { # KIND RUN
	local kind=$1 i=$2 old=$LEADER old_ser p f sig_at ans ser new acq exp renew ov ovf ov2 n
	declare -A from
	for n in "${N[@]}"; do from[$n]=$(wc -l <"$(log_of "$n")"); done
	for p in "${!SERIAL[@]}"; do [ "${SERIAL[$p]}" = "$old" ] && old_ser=$p; done
	f="$WORK/probe-$BID-$kind-$i.log"
	start_prober "$f"
	retry 10 prober_saw "$f" "$old_ser" || fail "$SYS $BLOCK: the prober is not answered by $old before the run"
	sig_at=$(now)
	case $kind in
	hard) stop_daemon "$old" KILL ;;
	graceful) stop_daemon "$old" TERM ;;
	handover) # asked from the next node, through its own apiserver (or etcd member); the
		# daemons keep running
		local via lock
		via=$(next_node "$old")
		lock=(--kubeconfig /etc/kubernetes/admin.conf --server "https://$(addr_of "$via"):6443")
		[ "$SYS" = vipd-etcd ] && lock=(--etcd-endpoints "https://$(addr_of "$via"):2379"
			--etcd-cacert /etc/kubernetes/pki/etcd/ca.crt
			--etcd-cert /etc/kubernetes/pki/etcd/healthcheck-client.crt
			--etcd-key /etc/kubernetes/pki/etcd/healthcheck-client.key)
		on "$via" "$VIPD" handover "${lock[@]}" >>"$WORK/handover.log" 2>&1 ||
			fail "$SYS $BLOCK: vipd handover failed: $(tail -n 2 "$WORK/handover.log")" ;;
	esac
	retry $((2 * LEASE_S + 30)) eval '[ -n "$(first_answer "$f" "$sig_at" "$old_ser")" ]' ||
		fail "$SYS $BLOCK $kind run $i: nobody but $old answered within $((2 * LEASE_S + 30)) s"
	read -r ans ser <<<"$(first_answer "$f" "$sig_at" "$old_ser")"
	stop_prober
	new=$(node_of_serial "$ser")
	acq=$(acquired_at "$new" "${from[$new]}")
	exp=-
	if [ "$kind" = hard ]; then
		renew=$(awk -v o="$old" '$1 == o { r = $2 } END { print r }' "$WORK/lease-$BID.log")
		[ -z "$renew" ] || exp=$(printf %.3f "$(echo "$ans - ($(iso_epoch "$renew") + $LEASE_S)" | bc)")
		# Stay down one leaseDuration after the answer, so a VIP left behind shows as overlap.
		retry $((LEASE_S + 5)) eval 'lt "$(echo "$ans + $LEASE_S" | bc)" "$(now)"' || true
	fi
	local t_end
	t_end=$(now)
	read -r ov ovf ov2 <<<"$(overlap "$sig_at" "$t_end")"
	[ "$kind" = handover ] || start_daemon "$old"
	printf '%s,%s,%s,%s,%s,%s,%.3f,%s,%s,%s,%s,%s,%s,%s\n' "$SYS" "$BLOCK" "$kind" "$i" "$old" "$new" \
		"$(echo "$ans - $sig_at" | bc)" "$(outage "$f" "$sig_at" "$ans")" \
		"$([ -n "$acq" ] && printf %.3f "$(echo "$ans - $acq" | bc)" || echo -)" "$exp" \
		"$ov" "$ovf" "$ov2" "$(no_holder "$sig_at" "$t_end")" >>"$CSV"
	settle
	step "$SYS $BLOCK $kind $i: $(tail -n 1 "$CSV" | cut -d, -f5-)"
}

# ---- footprint -----------------------------------------------------------------------------
echo "system,timings,role,node,window_s,rss_kib,pss_kib,private_kib,cpu_s,api_requests_per_s" >"$FP_CSV"
# A daemon's processes: itself and its children (keepalived's VRRP work is in a child).
procs_of() { echo "$1"; pgrep -P "$1" || true; }
cpu_ticks() { # utime + stime
	local p
	for p in $(procs_of "$1"); do sed 's/.*) //' "/proc/$p/stat" 2>/dev/null; done | awk '{ s += $12 + $13 } END { print s + 0 }'
}
smaps() {
	local p
	for p in $(procs_of "$1"); do cat "/proc/$p/smaps_rollup"; done | awk -v k="$2:" '$1 == k { s += $2 } END { print s + 0 }'
}
vipd_requests() { # NODE — reads + writes from a fresh SIGUSR1 state dump
	local node=$1 lines
	lines=$(wc -l <"$(log_of "$node")")
	kill -USR1 "${DPID[$node]}"
	state_dump() { awk -v f="$lines" 'NR > f && /msg="state: election"/ { print; exit }' "$(log_of "$node")"; }
	retry 5 eval '[ -n "$(state_dump)" ]' || fail "vipd on $node printed no state dump"
	state_dump | sed 's/.* reads=\([0-9]*\) writes=\([0-9]*\).*/\1 \2/' | awk '{ print $1 + $2 }'
}
footprint() {
	local n f roles=() fp_from fp_to w pid cpu1 rq1 rps
	declare -A c0 q0
	f=
	for n in "${N[@]}"; do [ "$n" != "$LEADER" ] && [ -z "$f" ] && f=$n; done
	roles=("leader:$LEADER" "follower:$f")
	local changes
	changes=$(grep -c '^holders ' "$WORK/watch-$BID.log")
	fp_from=$(now)
	for n in "$LEADER" "$f"; do
		c0[$n]=$(cpu_ticks "${DPID[$n]}")
		[[ $SYS == vipd* ]] && q0[$n]=$(vipd_requests "$n")
	done
	step "$SYS footprint: steady state for ${FOOTPRINT_SECONDS}s (leader $LEADER, follower $f)"
	retry $((FOOTPRINT_SECONDS + 10)) eval 'lt "$(echo "$fp_from + $FOOTPRINT_SECONDS" | bc)" "$(now)"' || true
	fp_to=$(now)
	w=$(echo "$fp_to - $fp_from" | bc)
	[ "$(grep -c '^holders ' "$WORK/watch-$BID.log")" = "$changes" ] ||
		fail "$SYS: the VIP moved during the footprint window"
	for r in "${roles[@]}"; do
		n=${r#*:}
		pid=${DPID[$n]}
		cpu1=$(cpu_ticks "$pid")
		rps=unknown
		if [[ $SYS == vipd* ]]; then
			rq1=$(vipd_requests "$n")
			rps=$(printf %.3f "$(echo "($rq1 - ${q0[$n]}) / $w" | bc -l)")
		fi
		printf '%s,%s,%s,%s,%.1f,%s,%s,%s,%.2f,%s\n' "$SYS" "$BLOCK" "${r%%:*}" "$n" "$w" \
			"$(smaps "$pid" Rss)" "$(smaps "$pid" Pss)" \
			"$(($(smaps "$pid" Private_Clean) + $(smaps "$pid" Private_Dirty)))" \
			"$(echo "($cpu1 - ${c0[$n]}) / $CLK_TCK" | bc -l)" "$rps" >>"$FP_CSV"
	done
}

# ---- the blocks ----------------------------------------------------------------------------
for SYS in "${SYS_LIST[@]}"; do
	first=1
	for BLOCK in "${TIMING_SETS[@]}"; do
		IFS=/ read -r LEASE_S RENEW_S RETRY_S <<<"$BLOCK"
		BID=$SYS-${BLOCK//\//-} # for file names
		etcd_env
		start_watchers
		for n in "${N[@]}"; do start_daemon "$n"; done
		settle
		step "$SYS $BLOCK: three daemons up; $LEADER holds the VIP$(case $SYS in vipd | kube-vip) echo " and the Lease" ;; esac)"
		if [ "$first" = 1 ]; then
			footprint
			first=0
		fi
		for kind in "${KIND_LIST[@]}"; do
			# kube-vip has no planned hand-over: its graceful restart is the reference.
			[ "$kind" = handover ] && [ "${SYS%-etcd}" != vipd ] && continue
			for i in $(seq "$RUNS"); do run_once "$kind" "$i"; done
		done
		for n in "${N[@]}"; do [ "$n" = "$LEADER" ] || stop_daemon "$n" TERM; done
		stop_daemon "$LEADER" TERM
		stop_watchers
		for n in "${N[@]}"; do
			if on "$n" ip -4 -o addr show dev eth0 | grep -q " $VIP/"; then
				echo "NOTE: $SYS left the VIP on $n after SIGTERM; removed by hand"
				on "$n" ip addr del "$VIP/32" dev eth0
			fi
		done
	done
done

# ---- figures -------------------------------------------------------------------------------
# stats COLUMN SYSTEM TIMINGS KIND — "median p99 max n" of a CSV column ("-" values skipped).
stats() {
	awk -F, -v c="$1" -v s="$2" -v t="$3" -v k="$4" 'NR > 1 && $1 == s && $2 == t && $3 == k && $c != "-" { print $c }' "$CSV" |
		sort -g | awk '{ v[NR] = $1 } END {
			if (NR == 0) { print "- - - 0"; exit }
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			r = int(0.99 * NR); if (r < 0.99 * NR) r++
			printf "%.3f %.3f %.3f %d\n", m, v[r], v[NR], NR }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "n/a"; else printf "%.2f\n", a / b }'; }
col() { head -n 1 "$CSV" | tr , '\n' | grep -nx "$1" | cut -d: -f1; }
MEASURES=(
	"hard answer_s|kill -9 → VIP answers elsewhere (s)"
	"hard outage_s|kill -9: longest client gap (s)"
	"hard acq_to_answer_s|kill -9: lease acquired → answering (s)"
	"hard expiry_to_answer_s|kill -9: lease expiry → answering (s)"
	"hard overlap_ms|kill -9: two VIP holders (ms)"
	"graceful answer_s|SIGTERM → VIP answers elsewhere (s)"
	"graceful outage_s|SIGTERM: longest client gap (s)"
	"graceful acq_to_answer_s|SIGTERM: lease acquired → answering (s)"
	"graceful overlap_ms|SIGTERM: two VIP holders (ms)"
	"graceful no_holder_ms|SIGTERM: no VIP holder (ms)"
)
# One table row per measure: "median / p99 / max (n)" per system, and each system's median as a
# ratio to vipd's (the first system listed is the reference column: vipd when it is listed).
REF=${SYS_LIST[0]}
TABLE="| timings | measure |"
SEP="|---|---|"
for sy in "${SYS_LIST[@]}"; do TABLE+=" $sy median / p99 / max (n) |"; SEP+="---|"; done
for sy in "${SYS_LIST[@]:1}"; do TABLE+=" $sy/$REF |"; SEP+="---|"; done
TABLE+=$'\n'"$SEP"
row() { # BLOCK LABEL then "SYSTEM COLUMN KIND" triples
	local block=$1 label=$2 line cells="" ratios="" refm="" sy c k m p x n
	shift 2
	line="RESULT: $block $label:"
	while [ $# -ge 3 ]; do
		sy=$1 c=$2 k=$3
		shift 3
		read -r m p x n <<<"$(stats "$c" "$sy" "$block" "$k")"
		[ -z "$refm" ] && refm=$m
		line+=" $sy median $m p99 $p max $x (n=$n);"
		cells+=" $m / $p / $x ($n) |"
		[ "$sy" = "$REF" ] || { ratios+=" $(ratio "$m" "$refm") |"; line+=" $sy/$REF $(ratio "$m" "$refm");"; }
	done
	echo "$line"
	TABLE+=$'\n'"| $block | $label |$cells$ratios"
}
echo
for BLOCK in "${TIMING_SETS[@]}"; do
	for m in "${MEASURES[@]}"; do
		key=${m%%|*} label=${m#*|}
		kind=${key% *} c=$(col "${key#* }")
		args=()
		for sy in "${SYS_LIST[@]}"; do args+=("$sy" "$c" "$kind"); done
		row "$BLOCK" "$label" "${args[@]}"
	done
	# The planned hand-over (vipd only) against everyone's graceful stop.
	c=$(col no_holder_ms)
	args=()
	for sy in "${SYS_LIST[@]}"; do
		if [ "${sy%-etcd}" = vipd ]; then args+=("$sy" "$c" handover); else args+=("$sy" "$c" graceful); fi
	done
	row "$BLOCK" "no VIP holder (ms): vipd handover vs the others' SIGTERM" "${args[@]}"
	c=$(col outage_s)
	args=()
	for sy in "${SYS_LIST[@]}"; do args+=("$sy" "$c" handover); done
	row "$BLOCK" "vipd handover: client's longest gap (s)" "${args[@]}"
	for s in "${SYS_LIST[@]}"; do
		two=$(awk -F, -v s="$s" -v t="$BLOCK" 'NR > 1 && $1 == s && $2 == t && $3 == "hard" { n++; x += $13 } END { printf "%d/%d", x, n }' "$CSV")
		ovs=$(awk -F, -v s="$s" -v t="$BLOCK" 'NR > 1 && $1 == s && $2 == t { printf "%s%s:%s", sep, $3, $11; sep = " " }' "$CSV")
		echo "RESULT: $BLOCK $s overlap ms per run: $ovs; kill -9 runs still with two holders at restart: $two"
	done
done
FP_TABLE="| system | role | RSS MiB | PSS MiB | private MiB | CPU s over window (%) | API requests/s |
|---|---|---|---|---|---|---|"
while IFS=, read -r s t role n w rss pss priv cpu rps; do
	[ "$s" = system ] && continue
	line=$(awk -v w="$w" -v rss="$rss" -v pss="$pss" -v p="$priv" -v c="$cpu" \
		'BEGIN { printf "RSS %.1f MiB, PSS %.1f MiB, private %.1f MiB, CPU %.2f s over %.0f s (%.3f%%)", rss / 1024, pss / 1024, p / 1024, c, w, 100 * c / w }')
	echo "RESULT: footprint $s $role ($t): $line, API requests/s $rps"
	FP_TABLE+=$'\n'"$(awk -v s="$s" -v r="$role" -v w="$w" -v rss="$rss" -v pss="$pss" -v p="$priv" -v c="$cpu" -v q="$rps" \
		'BEGIN { printf "| %s | %s | %.1f | %.1f | %.1f | %.2f / %.0f s (%.3f%%) | %s |", s, r, rss / 1024, pss / 1024, p / 1024, c, w, 100 * c / w, q }')"
done <"$FP_CSV"
echo
echo "$TABLE"
echo
echo "$FP_TABLE"
echo
echo "raw runs: $CSV; footprint: $FP_CSV"
rc=0
