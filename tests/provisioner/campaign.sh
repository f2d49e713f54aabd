#!/usr/bin/env bash
# The split-brain fault campaign (issue 17): random faults, from a printed seed, on provisioner
# clusters (vipd as the static pod on every control plane), while vip_watch — the oracle —
# samples every 2 ms which nodes hold the VIP, which node's MAC this namespace's neighbour
# entry for the VIP names, and whether https://VIP:8443/readyz answers (a probe every 10 ms).
#
# A split-brain instant is two nodes holding the VIP, or the client's MAC naming a non-holder
# for longer than one announcement interval (3 s) while one node holds it. Any one, during a
# fault or between faults, fails the run and prints the seed; replay with CAMPAIGN_SEED=….
#
# Per trial: the time the VIP went without answering (http_gap_ms, from the last answer before
# the fault to the first after it), the time with no holder (no_holder_ms), split-brain
# instants. Before each fault the cluster must be steady: every node's vipd, apiserver and etcd
# up, every apiserver ready, one VIP holder that the lock names, the VIP answering.
#
# Faults (CAMPAIGN_FAULTS, all by default; each says what it does in f_<name>):
#   kill9 sigstop apicut kill_apiserver kill_etcd quorum delete_lock blank_lock twin skew
#   follower_restart node_stop node_delete mixed
# Clusters (CAMPAIGN_CLUSTERS): "NODES:BACKEND …", backend lease or etcd; CAMPAIGN_TRIALS per
# cluster. CAMPAIGN_RESULTS: a TSV of every trial (kept; bench/campaign.sh summarises it).
# CAMPAIGN_TRACE=FILE: a shell trace. The CI run (ctest provisioner_campaign) is 11 trials on
# 3:lease and 11 on 5:etcd; in the sanitizer build, 10 on 3:etcd. A cluster of more than 3
# control planes is grown as minikube's users grow one: `start --ha`, then `node add
# --control-plane`.
. "$(dirname "$0")/lib.sh"
set -E # the ERR trap's line names a failing command inside a function too
: "${VIPD:?VIPD is not set (run through ctest)}"
: "${VIP_WATCH:?VIP_WATCH is not set (run through ctest)}"
for t in nft faketime nsenter pgrep; do
	command -v "$t" >/dev/null || fail "$t is not installed (bash .ci/install-deps)"
done
[ -x "$BINDIR/kube-vip" ] || fail "$BINDIR/kube-vip is not built (upstream/build.sh)"
if [ -n "${CAMPAIGN_TRACE:-}" ]; then # a shell trace of the campaign into that file
	exec {BASH_XTRACEFD}>>"$CAMPAIGN_TRACE"
	set -x
fi

SEED=${CAMPAIGN_SEED:-$(( $(date +%s%N) % 1000000 ))}
CLUSTERS=${CAMPAIGN_CLUSTERS:-3:lease 5:etcd}
TRIALS=${CAMPAIGN_TRIALS:-11}
ALL_FAULTS="kill9 sigstop apicut kill_apiserver kill_etcd quorum delete_lock blank_lock twin skew follower_restart node_stop node_delete mixed"
read -r -a FAULTS <<<"${CAMPAIGN_FAULTS:-$ALL_FAULTS}"
for f in "${FAULTS[@]}"; do grep -qw -- "$f" <<<"$ALL_FAULTS" || fail "CAMPAIGN_FAULTS: \"$f\": want some of: $ALL_FAULTS"; done
RESULTS=${CAMPAIGN_RESULTS:-$WORK/results.tsv}
LEASE_S=5 # the provisioner's timings: minikube's 5/3/1
PORT=8443
STEADY_S=${CAMPAIGN_STEADY_S:-240}
RANDOM=$SEED
echo "campaign: seed $SEED (replay: CAMPAIGN_SEED=$SEED), clusters: $CLUSTERS, $TRIALS trials each, faults: ${FAULTS[*]}"
printf 'seed\tcluster\ttrial\tfault\ttarget\thttp_gap_ms\tno_holder_ms\toverlap_samples\tmac_violations\tseconds\n' >"$RESULTS"

# --- the cluster's nodes, from the outside -----------------------------------------------------
node_pid() { pgrep -of "__node-init --name $1 " || true; }
node_dir() { echo "$PROVISIONER_HOME/profiles/$P/nodes/$1"; }
node_ip() { prov node list -p "$P" | awk -v n="$1" '$1 == n { print $2 }'; }
refresh_nodes() { mapfile -t NODES < <(prov node list -p "$P" | cut -f1); }
# procs NODE COMM — PIDs of the processes named COMM in NODE's network namespace.
procs() {
	local pid ns p
	pid=$(node_pid "$1")
	[ -n "$pid" ] || return 0
	ns=$(readlink "/proc/$pid/ns/net")
	for p in $(pgrep -x "$2"); do
		[ "$(readlink "/proc/$p/ns/net" 2>/dev/null)" = "$ns" ] && echo "$p"
	done
	return 0
}
in_node() { # NODE COMMAND… — in NODE's network namespace only (host files, host binaries)
	local pid
	pid=$(node_pid "$1")
	shift
	nsenter -t "$pid" -n -- "$@"
}
etcdctl_on() { # NODE ARGS…
	local d
	d=$(node_dir "$1")/etc/kubernetes/pki/etcd
	in_node "$1" "$BINDIR/etcdctl" --endpoints https://127.0.0.1:2379 --cacert "$d/ca.crt" \
		--cert "$d/healthcheck-client.crt" --key "$d/healthcheck-client.key" --command-timeout=3s "${@:2}"
}
ETCD_KEY=kube-system-plndr-cp-lock
lock_holder() {
	if [ "$BACKEND" = lease ]; then
		kc -n kube-system get lease plndr-cp-lock --request-timeout=3s -o 'jsonpath={.spec.holderIdentity}' 2>/dev/null
	else
		etcdctl_on "$1" get "$ETCD_KEY" --print-value-only 2>/dev/null
	fi
}

# --- steady state --------------------------------------------------------------------------
node_ready() { # every static pod's process runs, its apiserver says ready
	local n=$1 c
	for c in "${DAEMON[$n]:-vipd}" kube-apiserver etcd; do [ -n "$(procs "$n" "$c")" ] || return 1; done
	[ "$(curl -sk --max-time 2 "https://$(node_ip "$n"):$PORT/readyz")" = ok ]
}
steady() {
	local n h
	for n in "${NODES[@]}"; do node_ready "$n" || { WHY="$n not ready"; return 1; }; done
	h=$(vip_holders "$VIP")
	[ -n "$h" ] && [ "$(wc -l <<<"$h")" = 1 ] || { WHY="holders [$(xargs <<<"$h")]"; return 1; }
	[ "$(lock_holder "$h")" = "$h" ] || { WHY="VIP on $h, lock names \"$(lock_holder "$h")\""; return 1; }
	curl -sfk --max-time 2 -o /dev/null "https://$VIP:$PORT/readyz" || { WHY="VIP does not answer"; return 1; }
	[ "$(vip_holders "$VIP")" = "$h" ] || { WHY="holder moved"; return 1; }
	LEADER=$h
}
wait_steady() {
	local t0
	t0=$(now)
	WHY=
	retry "$STEADY_S" steady || fail "seed $SEED: not steady ${STEADY_S}s after $1: $WHY"
	STEADY_IN=$(printf %.1f "$(elapsed "$t0")")
}
# node_fs NODE COMMAND… — in NODE's mount namespace: its /etc is an overlay whose upper layer
# (the node directory) must not be changed from outside. Its /proc is its PID namespace's.
node_fs() {
	local pid
	pid=$(node_pid "$1")
	shift
	nsenter -t "$pid" -m -- "$@"
}
MANIFESTS=/etc/kubernetes/manifests
# respawn NODE POD — a fresh pod from the node's manifest (a new annotation: a new pod UID, so
# the kubelet starts it now instead of after its crash-loop back-off), swapped in atomically.
respawn() {
	node_fs "$1" sh -c 'awk -v v="$1" '\''
		/^    campaign\.vipd\.io\/respawn: / { next }
		{ print }
		/^metadata:$/ && !done { print "  annotations:"; print "    campaign.vipd.io/respawn: \"" v "\""; done = 1 }
		'\'' "$2" | awk '\''/^  annotations:$/ { if (seen++) next } { print }'\'' >/etc/kubernetes/.respawn.yaml &&
		mv /etc/kubernetes/.respawn.yaml "$2"' sh "$RANDOM$RANDOM" "$MANIFESTS/$2.yaml"
}
# revive NODE COMM POD — after a kill: the process back (a respawn if it is not back in 5 s).
revive() {
	local node=$1 comm=$2
	retry 5 eval '[ -n "$(procs "$node" "$comm")" ]' && return 0
	respawn "$node" "$3"
	retry 90 eval '[ -n "$(procs "$node" "$comm")" ]' || fail "seed $SEED: $comm on $node did not come back"
}
pick_other() { # NODE — a random node other than NODE; sets PICK
	local others=() n
	for n in "${NODES[@]}"; do [ "$n" != "$1" ] && others+=("$n"); done
	PICK=${others[$((RANDOM % ${#others[@]}))]}
}

# --- the oracle --------------------------------------------------------------------------------
WATCH_PID= PROBE_FIFO=$WORK/oracle.ctl
start_oracle() {
	local args=() n
	for n in "${NODES[@]}"; do args+=("$n=/proc/$(node_pid "$n")/ns/net"); done
	[ -p "$PROBE_FIFO" ] || mkfifo "$PROBE_FIFO"
	"$VIP_WATCH" --address "$VIP" --interval-ms 2 --neigh --url "https://$VIP:$PORT/readyz" \
		--control "$PROBE_FIFO" "${args[@]}" >>"$WORK/oracle.log" 2>&1 &
	WATCH_PID=$!
	exec 3>"$PROBE_FIFO"
}
stop_oracle() {
	[ -n "$WATCH_PID" ] || return 0
	exec 3>&-
	kill "$WATCH_PID" 2>/dev/null || true
	wait "$WATCH_PID" 2>/dev/null || true
	WATCH_PID=
}
ctl() { echo "$*" >&3; }
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }
# mark NAME — the oracle's figures since the last mark; fails on a split-brain instant.
mark() {
	local line name=$1
	ctl "mark $name"
	retry 10 eval 'grep -q "^trial name=$name " "$WORK/oracle.log"' || fail "the oracle did not answer mark $name"
	line=$(grep "^trial name=$name " "$WORK/oracle.log")
	MARK=$line
	local o m
	o=$(field overlap_samples "$line") m=$(field mac_violations "$line")
	if [ "$o" != 0 ] || [ "$m" != 0 ]; then
		grep -E 'count=[2-9]' "$WORK/oracle.log" | tail -5
		fail "SPLIT BRAIN in $1 (seed $SEED, cluster $CLUSTER): overlap_samples=$o mac_violations=$m: $line"
	fi
}

# --- hand-run daemons (twin, skew, mixed): the node's static pod moved aside, a process started
# in the node's network namespace with the manifest's environment -------------------------------
declare -A DAEMON HANDPID
NODES=()
manifest_env() { # NODE — NAME=VALUE lines of vipd.yaml, paths under /etc/kubernetes made host
	# paths (the overlay's upper layer: kubeadm's files, read only)
	node_fs "$1" cat "$MANIFESTS/vipd.yaml" | awk -v root="$(node_dir "$1")" '
		/^    - name: / { n = $3; next }
		/^      value: / && n != "" { v = $0; sub(/^      value: "?/, "", v); sub(/"$/, "", v)
			if (v ~ /^\/etc\/kubernetes\//) v = root v
			print n "=" v; n = "" }'
}
hand_run() { # NODE DAEMON(vipd|kube-vip) IDENTITY [PREFIX…] — replaces NODE's vipd pod
	local n=$1 daemon=$2 id=$3 env
	shift 3
	mapfile -t env < <(manifest_env "$n")
	node_fs "$n" mv "$MANIFESTS/vipd.yaml" /etc/kubernetes/vipd.yaml.campaign
	retry 60 eval '[ -z "$(procs "$n" vipd)" ]' || fail "the kubelet on $n did not stop vipd"
	local bin=$VIPD
	[ "$daemon" = kube-vip ] && bin=$BINDIR/kube-vip
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "${SAN_ENV[@]}" "${env[@]}" vip_nodename="$id" \
		nsenter -t "$(node_pid "$n")" -n -- "$@" "$bin" manager >>"$WORK/hand-$n.log" 2>&1 &
	HANDPID[$n]=$!
	DAEMON[$n]=$daemon
	retry 10 eval '[ -n "$(procs "$n" "$daemon")" ]' || fail "hand-run $daemon on $n did not start: $(tail -3 "$WORK/hand-$n.log")"
}
hand_back() { # NODE — the hand-run daemon stopped (SIGTERM: a release), the static pod back
	local n=$1
	[ -n "${HANDPID[$n]:-}" ] || return 0
	# The daemon itself: a wrapper (faketime) may run it as its child.
	kill -TERM $(procs "$n" "${DAEMON[$n]}") 2>/dev/null || true
	wait "${HANDPID[$n]}" 2>/dev/null || true
	retry 30 eval '[ -z "$(procs "$n" "${DAEMON[$n]}")" ]' || fail "the hand-run ${DAEMON[$n]} on $n did not stop"
	unset "HANDPID[$n]" "DAEMON[$n]"
	node_fs "$n" mv /etc/kubernetes/vipd.yaml.campaign "$MANIFESTS/vipd.yaml"
	respawn "$n" vipd
	retry 60 eval '[ -n "$(procs "$n" vipd)" ]' || fail "vipd on $n did not come back after the hand-run"
}
# The sanitizer build's settings reach hand-run daemons through `env -i`; faketime preloads its
# library ahead of ASan's runtime, which ASan accepts only when told to.
SAN_ENV=()
for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do [ -n "${!v:-}" ] && SAN_ENV+=("$v=${!v}"); done
[ -n "${ASAN_OPTIONS:-}" ] && SAN_ENV+=("ASAN_OPTIONS=$ASAN_OPTIONS:verify_asan_link_order=0")

# --- the faults (LEADER is the VIP holder; each sets TARGET) --------------------------------
hold() { sleep "$1"; } # a fault's length (not a settle time: the fault lasts this long)
f_kill9() { # kill -9 the leader's vipd; the kubelet restarts it
	TARGET=$LEADER
	ctl "fault kill9 $TARGET"
	kill -9 $(procs "$LEADER" vipd)
	revive "$LEADER" vipd vipd
}
f_sigstop() { # SIGSTOP the leader's vipd beyond leaseDuration, then SIGCONT
	TARGET=$LEADER
	local p
	p=$(procs "$LEADER" vipd)
	ctl "fault sigstop $TARGET"
	kill -STOP $p
	hold $((LEASE_S + 2))
	kill -CONT $p
}
f_apicut() { # the leader cut off its lock store by nftables in its namespace, then healed
	TARGET=$LEADER
	local rules
	if [ "$BACKEND" = lease ]; then # vipd speaks to its node's apiserver at the node address
		rules="ip daddr != 127.0.0.0/8 tcp dport $PORT drop"
	else # its etcd member partitioned from its peers
		rules="tcp dport 2380 drop; tcp sport 2380 drop"
	fi
	ctl "fault apicut $TARGET"
	in_node "$LEADER" nft -f - <<-EOF
		table inet campaign {
			chain out { type filter hook output priority 0; $rules; }
			chain in { type filter hook input priority 0; $([ "$BACKEND" = etcd ] && echo "$rules;") }
		}
	EOF
	hold $((LEASE_S + 3))
	in_node "$TARGET" nft delete table inet campaign
}
f_kill_apiserver() { # kill -9 the leader's apiserver (its health gate should move the VIP)
	TARGET=$LEADER
	ctl "fault kill_apiserver $TARGET"
	kill -9 $(procs "$LEADER" kube-apiserver)
	revive "$TARGET" kube-apiserver kube-apiserver
}
f_kill_etcd() { # kill -9 one etcd member, the leader's half of the time
	if ((RANDOM % 2)); then TARGET=$LEADER; else pick_other "$LEADER"; TARGET=$PICK; fi
	ctl "fault kill_etcd $TARGET"
	kill -9 $(procs "$TARGET" etcd)
	revive "$TARGET" etcd etcd
}
f_quorum() { # SIGSTOP a majority of etcd members beyond leaseDuration, then SIGCONT
	local order=("${NODES[@]}") i j t stopped=() p
	for ((i = ${#order[@]} - 1; i > 0; i--)); do j=$((RANDOM % (i + 1))); t=${order[$i]}; order[$i]=${order[$j]}; order[$j]=$t; done
	local need=$((${#NODES[@]} / 2 + 1))
	TARGET=$(IFS=,; echo "${order[*]:0:$need}")
	ctl "fault quorum $TARGET"
	for n in "${order[@]:0:$need}"; do p=$(procs "$n" etcd); kill -STOP $p; stopped+=($p); done
	hold $((LEASE_S + 3))
	kill -CONT "${stopped[@]}"
}
f_delete_lock() { # the Lease deleted with kubectl (the etcd key with etcdctl)
	TARGET=$LEADER
	ctl "fault delete_lock $TARGET"
	if [ "$BACKEND" = lease ]; then
		kc -n kube-system delete lease plndr-cp-lock --request-timeout=5s >/dev/null
	else
		etcdctl_on "$LEADER" del "$ETCD_KEY" >/dev/null
	fi
}
f_blank_lock() { # the Lease's holder blanked with kubectl (the holder's etcd lease revoked early)
	TARGET=$LEADER
	if [ "$BACKEND" = lease ]; then
		ctl "fault blank_lock $TARGET"
		kc -n kube-system patch lease plndr-cp-lock --type merge --request-timeout=5s \
			-p '{"spec":{"holderIdentity":""}}' >/dev/null
	else
		local id
		id=$(etcdctl_on "$LEADER" get "$ETCD_KEY" -w json | grep -o '"lease":[0-9]*' | cut -d: -f2)
		[ -n "$id" ] || fail "no etcd lease on $ETCD_KEY"
		ctl "fault blank_lock $TARGET"
		etcdctl_on "$LEADER" lease revoke "$(printf %x "$id")" >/dev/null
	fi
}
f_twin() { # a follower restarted with the leader's identity for 2 leaseDurations, then back
	pick_other "$LEADER"
	TARGET=$PICK
	ctl "fault twin $TARGET"
	hand_run "$TARGET" vipd "$LEADER"
	hold $((2 * LEASE_S))
	hand_back "$TARGET"
}
f_skew() { # one vipd's wall clock skewed by ±30..300 s (faketime); the leader killed if another
	local n off
	n=${NODES[$((RANDOM % ${#NODES[@]}))]}
	off=$(printf %+d $(((RANDOM % 271 + 30) * (RANDOM % 2 ? 1 : -1))))
	TARGET="$n(${off}s)"
	ctl "fault skew $TARGET"
	# Only the wall clock: the daemon's timers run on the kernel's monotonic clocks.
	hand_run "$n" vipd "$n" env DONT_FAKE_MONOTONIC=1 faketime -f "$off"
	if [ "$n" != "$LEADER" ]; then
		kill -9 $(procs "$LEADER" vipd)
		revive "$LEADER" vipd vipd
	fi
	wait_steady "skew of $n"
	hand_back "$n"
}
f_follower_restart() { # a follower's vipd stopped (SIGTERM); the kubelet starts it again
	pick_other "$LEADER"
	TARGET=$PICK
	ctl "fault follower_restart $TARGET"
	kill -TERM $(procs "$TARGET" vipd)
	revive "$TARGET" vipd vipd
}
f_node_stop() { # `node stop` of the leader's node, then `node start`
	TARGET=$LEADER
	ctl "fault node_stop $TARGET"
	prov node stop "$TARGET" -p "$P" >/dev/null || fail "node stop $TARGET failed"
	prov node start "$TARGET" -p "$P" >/dev/null || fail "node start $TARGET failed"
	NODES_CHANGED=1
}
f_node_delete() { # `node delete` of the leader's node, then `node add --control-plane`
	TARGET=$LEADER
	ctl "fault node_delete $TARGET"
	prov node delete "$TARGET" -p "$P" >/dev/null || fail "node delete $TARGET failed"
	prov node add --control-plane -p "$P" >/dev/null || fail "node add after deleting $TARGET failed"
	NODES_CHANGED=1
}
f_mixed() { # a follower runs the real kube-vip v1.2.2 instead of vipd; the leader's vipd killed
	# (Lease clusters only: a migration from kube-vip shares its Lease)
	pick_other "$LEADER"
	TARGET=$PICK
	ctl "fault mixed $TARGET"
	hand_run "$TARGET" kube-vip "$TARGET"
	kill -9 $(procs "$LEADER" vipd)
	revive "$LEADER" vipd vipd
	wait_steady "mixed fleet with kube-vip on $TARGET"
	hand_back "$TARGET"
}

campaign_cleanup() {
	set +e
	trap - ERR
	local n
	for n in "${!HANDPID[@]}"; do
		kill -KILL $(procs "$n" "${DAEMON[$n]}") "${HANDPID[$n]}" 2>/dev/null
	done
	stop_oracle
	for n in "${NODES[@]}"; do kill -CONT $(procs "$n" etcd) $(procs "$n" vipd) 2>/dev/null; done
	if [ "${rc:-1}" != 0 ] && [ -f "$WORK/oracle.log" ]; then
		echo "==== oracle (last 20 lines) ===="
		tail -n 20 "$WORK/oracle.log"
		for f in "$WORK"/hand-*.log; do [ -f "$f" ] && { echo "==== $f"; tail -n 10 "$f"; }; done
	fi
	return 0
}
trap 'rc=$?; campaign_cleanup; (exit $rc); teardown' EXIT
trap 'exit 143' TERM INT # ctest's timeout and ^C: the cleanup runs too

# --- the campaign ------------------------------------------------------------------------------
run_cluster() { # NODES:BACKEND
	local nodes=${1%%:*} i f t0
	BACKEND=${1##*:}
	CLUSTER=$1
	P=c$$-$nodes$BACKEND
	PROFILE=$P
	local start_args=(--ha)
	[ "$BACKEND" = etcd ] && start_args+=(--vip-election etcd)
	t0=$(now)
	prov start -p "$P" "${start_args[@]}" >/dev/null || fail "start $CLUSTER failed"
	for ((i = 3; i < nodes; i++)); do # as minikube's users grow an HA cluster: more control planes
		prov node add --control-plane -p "$P" >/dev/null || fail "node add --control-plane ($CLUSTER) failed"
	done
	remember_bridge
	refresh_nodes
	VIP=$(node_ip "${NODES[0]}")
	VIP=${VIP%.*}.254 # the provisioner's VIP: .254 of the profile's subnet
	step "cluster $CLUSTER up in $(printf %.0f "$(elapsed "$t0")") s: ${NODES[*]}, VIP $VIP"
	wait_steady "start"
	start_oracle
	mark "settle-$CLUSTER"
	local order=() k=0 faults=()
	for f in "${FAULTS[@]}"; do # kube-vip elects through a Lease: beside vipd's etcd backend it
		[ "$f" = mixed ] && [ "$BACKEND" = etcd ] && continue # is a separate election, not a fleet
		faults+=("$f")
	done
	[ ${#faults[@]} -gt 0 ] || fail "no fault of CAMPAIGN_FAULTS applies to $CLUSTER"
	for ((i = 1; i <= TRIALS; i++)); do
		if ((k == ${#order[@]})); then # a new round: the faults in a seeded random order
			order=("${faults[@]}")
			local a b x
			for ((a = ${#order[@]} - 1; a > 0; a--)); do b=$((RANDOM % (a + 1))); x=${order[$a]}; order[$a]=${order[$b]}; order[$b]=$x; done
			k=0
		fi
		f=${order[$k]}
		k=$((k + 1))
		wait_steady "trial $((i - 1))"
		mark "between-$CLUSTER-$i"
		NODES_CHANGED=0
		t0=$(now)
		"f_$f"
		if [ "$NODES_CHANGED" = 1 ]; then # the oracle watches namespaces that are gone now
			refresh_nodes
			wait_steady "$f"
			mark "trial-$CLUSTER-$i-$f"
			stop_oracle
			start_oracle
		else
			wait_steady "$f"
			mark "trial-$CLUSTER-$i-$f"
		fi
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.1f\n' "$SEED" "$CLUSTER" "$i" "$f" "$TARGET" \
			"$(field http_gap_ms "$MARK")" "$(field no_holder_ms "$MARK")" \
			"$(field overlap_samples "$MARK")" "$(field mac_violations "$MARK")" "$(elapsed "$t0")" >>"$RESULTS"
		step "$CLUSTER trial $i: $f on $TARGET: VIP silent $(field http_gap_ms "$MARK") ms, no holder $(field no_holder_ms "$MARK") ms, steady again in ${STEADY_IN}s; leader $LEADER"
	done
	stop_oracle
	prov delete -p "$P" >/dev/null || fail "delete $CLUSTER failed"
}

for c in $CLUSTERS; do
	[[ $c =~ ^([3-9]|1[0-9]):(lease|etcd)$ ]] || fail "CAMPAIGN_CLUSTERS: \"$c\": want NODES:lease or NODES:etcd, 3 to 19 control planes"
	run_cluster "$c"
done
n=$(($(wc -l <"$RESULTS") - 1))
[ "$n" -ge 1 ] || fail "no trial ran"
echo "RESULT: campaign seed $SEED: $n trials, 0 split-brain instants"
column -t -s $'\t' "$RESULTS"
rc=0
