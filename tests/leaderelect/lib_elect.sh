# lib_elect.sh — shared by the leader-election tests against the real control plane: start
# `vipd elect` (and kube-vip) inside the fixture's nodes, read their transition lines, check that
# no two electors acted as leader at the same instant, and compute handover times.
# Sourced after tests/controlplane/lib.sh (fixture_up, on, kc, state, nodes, pid_of, retry...).
#
# Needs VIPD (the vipd program). Timings default to minikube's 5/3/1 so the runs stay short.

: "${VIPD:?VIPD is not set (run through ctest)}"
LEASE=${LEASE:-kube-system/vipd-test-$$}
LEASE_NS=${LEASE%%/*}
LEASE_NAME=${LEASE#*/}
TIMINGS=(--lease-duration 5 --renew-deadline 3 --retry-period 1)
LEASE_S=5
RENEW_S=3
RETRY_S=1
HB=0.05 # --heartbeat period, seconds
declare -A EPID ENODE

# start_elector ID NODE [extra args…] — `vipd elect` as ID inside NODE against its local
# apiserver; output in $WORK/el-ID.log. Lines carry at=<epoch seconds>.
start_elector() {
	local id=$1 node=$2
	shift 2
	"$CPFIXTURE" exec --dir "$D" --node "$node" -- "$VIPD" elect \
		--kubeconfig /etc/kubernetes/admin.conf --lease "$LEASE" --identity "$id" \
		"${TIMINGS[@]}" --heartbeat "${HB}s" "$@" >>"$WORK/el-$id.log" 2>&1 &
	EPID[$id]=$!
	ENODE[$id]=$node
}

# start_etcd_elector ID NODE [extra args…] — the same on the etcd backend (local member).
start_etcd_elector() {
	local id=$1 node=$2
	shift 2
	"$CPFIXTURE" exec --dir "$D" --node "$node" -- "$VIPD" elect --backend etcd \
		--etcd-endpoints https://127.0.0.1:2379 \
		--etcd-cacert /etc/kubernetes/pki/etcd/ca.crt \
		--etcd-cert /etc/kubernetes/pki/etcd/healthcheck-client.crt \
		--etcd-key /etc/kubernetes/pki/etcd/healthcheck-client.key \
		--lease "$LEASE" --identity "$id" "${TIMINGS[@]}" --heartbeat "${HB}s" "$@" \
		>>"$WORK/el-$id.log" 2>&1 &
	EPID[$id]=$!
	ENODE[$id]=$node
}

alive() { kill -0 "${EPID[$1]}" 2>/dev/null; }

# stop_elector ID [SIGNAL] — signal it (default TERM) and wait for it to exit.
stop_elector() {
	local id=$1 sig=${2:-TERM}
	[ -n "${EPID[$id]:-}" ] || return 0
	kill -s "$sig" "${EPID[$id]}" 2>/dev/null || true
	wait "${EPID[$id]}" 2>/dev/null || true
	unset "EPID[$id]"
}

stop_all_electors() {
	local id
	for id in "${!EPID[@]}"; do
		kill -CONT "${EPID[$id]}" 2>/dev/null || true
		stop_elector "$id" TERM
	done
}

# current_run ID — ID's log lines since its last "joined election" (a restarted elector
# appends to the same log).
current_run() {
	awk '/msg="joined election"/ { n = 0 } { l[++n] = $0 } END { for (i = 1; i <= n; i++) print l[i] }' \
		"$WORK/el-$1.log" 2>/dev/null
}
# seen ID REGEX — ID's current run has a line matching REGEX (use with retry).
seen() { current_run "$1" | grep -q -- "$2"; }

# The value of key K (at=, leader=…) on the last line matching msg="MSG" of ID's current run.
last_field() {
	local id=$1 msg=$2 key=$3
	current_run "$id" | grep "msg=\"$msg\"" | tail -n 1 |
		sed -n "s/.* $key=\"\{0,1\}\([^\" ]*\)\"\{0,1\}.*/\1/p" || true
}
# count_lines ID MSG — how many MSG lines ID printed.
count_lines() { grep -c "msg=\"$1\"" "$WORK/el-$2.log" 2>/dev/null || true; }

# current_leader — the one elector acting as leader now: its last transition is "started
# leading" and it printed a heartbeat in the last 0.3 s (a stopped or killed one does not).
current_leader() {
	local id best="" n=0 t_now
	t_now=$(now)
	for id in "${!EPID[@]}"; do
		local s t h
		s=$(last_field "$id" "started leading" at)
		[ -n "$s" ] || continue
		t=$(last_field "$id" "stopped leading" at)
		h=$(last_field "$id" "leading" at)
		[ -n "$h" ] || h=$s
		if { [ -z "$t" ] || [ "$(echo "$s > $t" | bc)" = 1 ]; } &&
			[ "$(echo "$h > $t_now - 0.3" | bc)" = 1 ]; then
			best=$id
			n=$((n + 1))
		fi
	done
	[ "$n" = 1 ] && echo "$best"
}

# wait_leader SECONDS [NOT_ID] — waits for exactly one leader (other than NOT_ID); prints it.
wait_leader() {
	local limit=$1 not=${2:-} t0 l
	t0=$(now)
	while :; do
		l=$(current_leader)
		if [ -n "$l" ] && [ "$l" != "$not" ]; then
			echo "$l"
			return 0
		fi
		[ "$(echo "$(elapsed "$t0") > $limit" | bc)" = 1 ] && return 1
		sleep 0.05
	done
}

# check_exclusive — from every log: each elector acted as leader from its "started leading"
# until its last heartbeat before the next "stopped leading" (plus one heartbeat period); no
# two of these intervals may overlap. Prints the number of intervals checked.
check_exclusive() {
	local f id
	for f in "$WORK"/el-*.log; do
		id=$(basename "$f" .log)
		id=${id#el-}
		awk -v id="$id" -v hb="$HB" '
			function at() { for (i = 1; i <= NF; i++) if ($i ~ /^at=/) return substr($i, 4) + 0; return -1 }
			/msg="joined election"/ && open { print id, s, (last > s ? last : s) + hb; open = 0 }
			/msg="started leading"/ { if (open) print id, s, (last > s ? last : s) + hb; open = 1; s = at(); last = s }
			/msg="leading"/ && open { last = at() }
			/msg="stopped leading"/ && open { print id, s, (last > s ? last : s) + hb; open = 0 }
			END { if (open) print id, s, (last > s ? last : s) + hb }' "$f"
	done | sort -k2,2g | awk '
		{ n++ }
		n > 1 && $1 != pid && $2 < pend { printf "OVERLAP: %s from %.6f overlaps %s until %.6f\n", $1, $2, pid, pend; bad = 1 }
		{ if ($3 > pend || n == 1) { pend = $3; pid = $1 } }
		END { if (bad) exit 1; print n }'
}

# median_max V… — "median X max Y" of the numbers given.
median_max() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "median %.3f s, max %.3f s (n=%d)", m, v[NR], NR }'
}

# requests_per_second ID — from the "election finished" line.
requests_per_second() { last_field "$1" "election finished" requests_per_second; }

# lease_json NODE — the Lease as the apiserver on NODE has it.
lease_get() { kc "$1" get lease -n "$LEASE_NS" "$LEASE_NAME" -o "jsonpath=$2" 2>/dev/null; }

# ---- the real kube-vip (client-go's elector) on plndr-cp-lock ----------------------------------

# kube_vip_prepare NODE — kube-vip's environment for NODE, as its own `manifest pod` writes it
# (and a kubelet would set it), with our timings.
kube_vip_prepare() {
	KV_NODE=$1
	"$BINDIR/kube-vip" manifest pod --interface eth0 --address "$VIP" --port 6443 --controlplane \
		--arp --leaderElection >"$WORK/kube-vip.yaml" || fail "kube-vip manifest pod failed"
	mapfile -t KV_ENV < <(manifest_env "$WORK/kube-vip.yaml")
	[ "${#KV_ENV[@]}" -gt 5 ] || fail "no env in kube-vip's manifest"
	KV_ENV=("${KV_ENV[@]/=NODENAME/=$KV_NODE}")
	# env(1) lets later assignments win: our timings.
	KV_ENV+=("vip_leaseduration=$LEASE_S" "vip_renewdeadline=$RENEW_S" "vip_retryperiod=$RETRY_S")
	KV_PID=
}
start_kube_vip() {
	"$CPFIXTURE" exec --dir "$D" --node "$KV_NODE" -- env -i "${KV_ENV[@]}" \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		"$BINDIR/kube-vip" manager >>"$WORK/kube-vip.log" 2>&1 &
	KV_PID=$!
}
stop_kube_vip() {
	[ -n "${KV_PID:-}" ] || return 0
	kill -s "${1:-TERM}" "$KV_PID" 2>/dev/null || true
	wait "$KV_PID" 2>/dev/null || true
	KV_PID=
}
# start_holder_watch NODE — every change of the Lease as kubectl's watch delivers it, stamped:
# "<epoch> <holder> <renewTime>" lines in $WORK/holders.log.
start_holder_watch() {
	kc "$1" get lease -n "$LEASE_NS" "$LEASE_NAME" --watch --output-watch-events=false \
		-o 'jsonpath={.spec.holderIdentity} {.spec.renewTime}{"\n"}' 2>/dev/null |
		while read -r h r; do echo "$(date +%s.%N) ${h:-<none>} $r"; done >"$WORK/holders.log" &
	WATCH_PID=$!
}
# holder_is NAME — the last change the watch saw names NAME.
holder_is() { [ "$(tail -n 1 "$WORK/holders.log" 2>/dev/null | cut -d' ' -f2)" = "$1" ]; }
# holder_since NAME T — when the watch first saw NAME hold the Lease after time T.
holder_since() { awk -v n="$1" -v t="$2" '$2 == n && $1 >= t { print $1; exit }' "$WORK/holders.log"; }
# last_renewal_before NAME T — the last renewal by NAME the watch saw before T.
last_renewal_before() { awk -v n="$1" -v t="$2" '$2 == n && $1 < t { l = $1 } END { print l }' "$WORK/holders.log"; }

# check_sanitizers — fails when an elector's log holds a sanitizer report (ASan builds).
check_sanitizers() {
	local f bad=0
	for f in "$WORK"/el-*.log; do
		[ -f "$f" ] || continue
		if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$f"; then
			echo "FAIL: sanitizer report in $(basename "$f"):"
			grep -A20 -E 'AddressSanitizer|LeakSanitizer|runtime error:' "$f" | head -40
			bad=1
		fi
	done
	return $bad
}

# finish_electors — stops every elector (leak reports appear at exit) and fails on any
# sanitizer report. Each test calls it before its RESULT line.
finish_electors() {
	stop_kube_vip TERM
	stop_all_electors
	check_sanitizers || fail "sanitizer reports (above)"
}

# teardown_electors RC — stops every elector; prints their logs when RC != 0 (or
# KEEP_ELECTOR_LOGS is set). Returns 1 when a sanitizer reported anything (ASan builds).
teardown_electors() {
	local f bad=0
	stop_kube_vip KILL
	[ -z "${WATCH_PID:-}" ] || kill "$WATCH_PID" 2>/dev/null || true
	stop_all_electors
	if [ "${KEEP_ELECTOR_LOGS:-}" ] || [ "${1:-0}" != 0 ]; then
		for f in "$WORK"/el-*.log; do
			[ -f "$f" ] || continue
			echo "==== $(basename "$f") (last 25 lines) ===="
			tail -n 25 "$f"
		done
	fi
	check_sanitizers || bad=1
	if [ "${1:-0}" != 0 ] && [ -f "$WORK/kube-vip.log" ]; then
		echo "==== kube-vip.log (last 40 lines) ===="
		tail -n 40 "$WORK/kube-vip.log"
	fi
	return $bad
}
# lib.sh's teardown calls test_cleanup first (before the fixture goes); it cannot change the
# exit code, so a sanitizer report is turned into a failure by check_sanitizers at the end of
# each test instead.
test_cleanup() { teardown_electors "${rc:-1}" || true; }
