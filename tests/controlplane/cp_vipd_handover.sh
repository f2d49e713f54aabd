#!/usr/bin/env bash
# Planned hand-over: `vipd handover` on a real 3-node control plane with `vipd manager` on every
# node (minikube's 5/3/1 timings). While a prober in the client namespace requests
# https://VIP:6443/readyz every 10 ms and vip_watch samples every node's addresses every 2 ms,
# the VIP is handed over HANDOVERS (10) times, alternately to a named node and to anyone.
#
# Checked: each hand-over ends with one VIP holder, the Lease holder, the named node when one was
# named, and the client's neighbour entry pointing at it; no instant with two holders; no stretch
# without a holder longer than 1 s (bench-failover's `handover` kind measures the real figure,
# tens of ms); the client never goes a leaseDuration (5 s) without an answer, which a hand-over
# that fell back to a lease timeout would cost (a tighter bound on the client would time the
# apiservers of a loaded ASan machine, not vipd); `--to` the holder is a no-op; a request addressed to
# a node that does not hold the Lease is ignored and dropped at the holder's next renewal; a
# malformed request is ignored. Prints every hand-over's time without a holder. The health gate
# is off: an apiserver slow to answer its /readyz on a loaded machine must not move the VIP
# between two hand-overs (cp_vipd tests the gate).
#
# VIPD_BACKEND=etcd (ctest cp_vipd_handover_etcd): the same on vipd's etcd election, where the
# request goes into the holder's etcd key (manifests/README.md); the Lease's annotations are not
# involved, and the malformed request is written into the key with etcdctl.
. "$(dirname "$0")/lib.sh"
: "${VIPD:?VIPD is not set (run through ctest)}"
: "${VIP_WATCH:?VIP_WATCH is not set (run through ctest)}"
HANDOVERS=${HANDOVERS:-10}
POLL_MS=10
fixture_up --nodes 3
mapfile -t N < <(nodes)
. "$(dirname "$0")/vipd_lib.sh"
WATCH_PID= PROBE_PID=

test_cleanup() {
	local n
	[ -n "$PROBE_PID" ] && stop_prober
	if [ -n "$WATCH_PID" ]; then
		kill "$WATCH_PID" 2>/dev/null
		wait "$WATCH_PID" 2>/dev/null
	fi
	for n in "${!VPID[@]}"; do stop_vipd "$n" KILL; done
	if [ "${rc:-1}" != 0 ]; then
		for n in "${!VPID[@]}"; do
			echo "==== vipd on $n (last 30 lines) ===="
			tail -n 30 "$WORK/vipd-$n.log" 2>/dev/null
		done
		echo "==== vip_watch (last 30 lines) ===="
		tail -n 30 "$WORK/watch.log" 2>/dev/null
	fi
	return 0
}

ETCD_PKI=/etc/kubernetes/pki/etcd
ETCD_TLS=(--cacert "$ETCD_PKI/ca.crt" --cert "$ETCD_PKI/healthcheck-client.crt" --key "$ETCD_PKI/healthcheck-client.key")
# handover ARGS… — `vipd handover` run in a follower, against that follower's own apiserver (or
# its etcd member).
handover() {
	local via
	via=$(next_node "$LEADER")
	if [ "$BACKEND" = etcd ]; then
		on "$via" "$VIPD" handover --etcd-endpoints "https://$(addr_of "$via"):2379" \
			"${ETCD_TLS[@]/#--/--etcd-}" --timeout 20s "$@"
		return
	fi
	on "$via" "$VIPD" handover --kubeconfig /etc/kubernetes/admin.conf \
		--server "https://$(addr_of "$via"):6443" --timeout 20s "$@"
}
etcdctl_on() { on "$1" etcdctl --endpoints https://127.0.0.1:2379 "${ETCD_TLS[@]}" "${@:2}"; }
annotation() { kc "${N[0]}" get lease -n kube-system plndr-cp-lock -o "jsonpath={.metadata.annotations.vipd\.io/$1}"; }

for n in "${N[@]}"; do start_vipd "$n" vipd_health_gate=false; done
wait_for_holder
ns_args=()
for n in "${N[@]}"; do ns_args+=("$n=/proc/$(holder_pid "$n")/ns/net"); done
"$VIP_WATCH" --address "$VIP" --interval-ms 2 "${ns_args[@]}" >"$WORK/watch.log" 2>&1 &
WATCH_PID=$!
step "VIP on $LEADER; vip_watch sampling every 2 ms"

# --- bad input: one line naming the bad value, exit 2 -----------------------------------------
expect_usage() { # TEXT ARGS…
	local text=$1 out code=0
	shift
	out=$("$VIPD" handover "$@" 2>&1) || code=$?
	[ "$code" = 2 ] && grep -qF -- "$text" <<<"$out" || fail "vipd handover $*: exit $code, \"$out\" (want 2 and \"$text\")"
}
expect_usage '--to "a b": not a node name' --to "a b"
expect_usage '--timeout "soon"' --timeout soon
expect_usage '/nonexistent.conf' --kubeconfig /nonexistent.conf
expect_usage 'unexpected argument "extra"' extra
expect_usage '--etcd-endpoints "ftp://x": must start with https:// or http://' --etcd-endpoints ftp://x
expect_usage '--etcd-cert and --etcd-key go together' --etcd-endpoints https://127.0.0.1:1 --etcd-cert x
expect_usage '--etcd-cacert "/nonexistent.crt"' --etcd-endpoints https://127.0.0.1:1 --etcd-cacert /nonexistent.crt
step "bad flags: one line naming the value, exit 2"

# --- requests that must change nothing --------------------------------------------------------
out=$(handover --to "$LEADER") || fail "vipd handover --to the holder exited $?: $out"
grep -q 'msg="already holds the lease"' <<<"$out" || fail "handover --to the holder: $out"
F=$(next_node "$LEADER")
if [ "$BACKEND" = etcd ]; then
	# The holder's own key, kept on its etcd lease, with an empty hand-over target.
	etcdctl_on "$F" put --ignore-lease kube-system-plndr-cp-lock "$(printf '%s\nhandover-to=' "$LEADER")" >/dev/null ||
		fail "etcdctl put of a malformed request failed"
	retry 10 grep -q 'msg="ignoring a malformed hand-over request"' "$WORK/vipd-$LEADER.log" ||
		fail "$LEADER did not report the malformed request"
	[ "$(vip_holders)" = "$LEADER" ] || fail "a malformed request moved the VIP: [$(vip_holders | xargs)]"
	step "--to the holder: no-op; a malformed request in the key: ignored, VIP stays on $LEADER"
else
	kc "$F" annotate --overwrite lease -n kube-system plndr-cp-lock "vipd.io/handover=from=$F,to=*" >/dev/null
	retry 10 eval '[ -z "$(annotation handover)" ]' ||
		fail "a request addressed to $F (not the holder) was not dropped: \"$(annotation handover)\""
	kc "$F" annotate --overwrite lease -n kube-system plndr-cp-lock "vipd.io/handover=from=$LEADER,to=a b" >/dev/null
	retry 10 eval '[ -z "$(annotation handover)" ]' || true
	[ "$(vip_holders)" = "$LEADER" ] || fail "requests not for the holder moved the VIP: [$(vip_holders | xargs)]"
	retry 10 grep -q 'msg="ignoring a malformed hand-over request"' "$WORK/vipd-$LEADER.log" ||
		fail "$LEADER did not report the malformed request"
	step "--to the holder: no-op; a request addressed to $F and a malformed one: ignored, VIP stays on $LEADER"
fi

# --- the hand-overs ---------------------------------------------------------------------------
start_prober "$WORK/probe.log"
retry 10 eval '[ "$(awk '\''$3 == 200'\'' "$WORK/probe.log" | wc -l)" -gt 0 ]' || fail "the prober gets no answer"
P_T0=$(now)
for i in $(seq "$HANDOVERS"); do
	OLD=$LEADER
	if ((i % 2)); then want=$(next_node "$OLD"); else want='*'; fi
	out=$(handover --to "$want") || fail "hand-over $i ($OLD → $want) exited $?: $out"
	wait_for_holder "$OLD"
	[ "$want" = '*' ] || [ "$LEADER" = "$want" ] || fail "hand-over $i: asked for $want, $LEADER holds the VIP"
	[ "$BACKEND" = etcd ] || [ "$(annotation handed-over)" = "from=$OLD,to=$want" ] ||
		fail "hand-over $i: the Lease says handed-over=\"$(annotation handed-over)\""
	step "hand-over $i: $OLD → $LEADER (asked: $want): ${out##*msg=}"
done
P_T1=$(now)
stop_prober
worst=$(outage "$WORK/probe.log" "$P_T0" "$P_T1")
answers=$(awk -v a="$P_T0" -v b="$P_T1" '$1 >= a && $1 <= b && $3 == 200' "$WORK/probe.log" | wc -l)
step "prober: $answers answers in $(printf %.1f "$(echo "$P_T1 - $P_T0" | bc)") s; longest stretch without one: ${worst}s"
[ "$(echo "$worst < $LEASE_S" | bc)" = 1 ] ||
	fail "the client went ${worst}s without an answer during the hand-overs (a lease timeout)"

# --- the oracle -------------------------------------------------------------------------------
kill "$WATCH_PID"
wait "$WATCH_PID" 2>/dev/null || true
WATCH_PID=
summary=$(grep '^summary' "$WORK/watch.log") || fail "vip_watch printed no summary"
# Time without a holder per hand-over: from each "nodes=" (empty) line to the next holder.
gaps=$(awk '/^holders / { split($2, a, "="); t = a[2]; e = ($3 == "count=0")
		if (e) g = t; else if (g != "") { printf "%.1f ", (t - g) * 1000; g = "" } }' "$WORK/watch.log")
step "vip_watch: $summary; per hand-over without a holder (ms): $gaps"
grep -q ' overlap_samples=0 ' <<<"$summary" ||
	fail "the VIP was on two nodes at once: $(grep 'count=[2-9]' "$WORK/watch.log" | head -5)"
longest=$(sed -n 's/.* longest_gap_ms=\([0-9.]*\).*/\1/p' <<<"$summary")
[ -n "$longest" ] && [ "$(echo "$longest < 1000" | bc)" = 1 ] ||
	fail "a hand-over left the VIP without a holder for ${longest:-?} ms"
echo "RESULT: vipd handover ($BACKEND) x$HANDOVERS: no instant with two holders; without a holder (ms): $gaps; client's longest gap ${worst}s"

stop_all_vipd_cleanly
rc=0
