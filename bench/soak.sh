#!/usr/bin/env bash
# bench-soak: memory over a long steady run — vipd manager and the real kube-vip v1.2.2 side by
# side on ONE real 3-node control plane (cpfixture), each on every node with its own VIP and
# Lease (vipd: .254 and plndr-cp-lock; kube-vip: .253 and kube-vip-soak), minikube's 5/3/1
# timings. Every SAMPLE_SECONDS (60) it reads each daemon's RSS and private memory
# (/proc/PID/smaps_rollup); at the end it prints, per system and role (leader, follower), the
# first and last sample and the growth, absolute and per hour. Prints figures; asserts nothing.
#
#   SOAK_SECONDS=3600 bash bench/soak.sh     (or: cmake --build build --target bench-soak)
# Raw samples: SOAK_CSV (default ./bench-soak.csv). Needs CPFIXTURE, UPSTREAM_BUILD, VIPD (CMake).
. "$(dirname "$0")/../tests/controlplane/lib.sh"
: "${VIPD:?VIPD is not set (run through cmake --build … --target bench-soak)}"
SOAK_SECONDS=${SOAK_SECONDS:-3600}
SAMPLE_SECONDS=${SAMPLE_SECONDS:-60}
CSV=${SOAK_CSV:-$PWD/bench-soak.csv}
declare -A DPID

test_cleanup() {
	local k
	for k in "${!DPID[@]}"; do kill -KILL "${DPID[$k]}" 2>/dev/null; wait "${DPID[$k]}" 2>/dev/null; done
	return 0
}

fixture_up --nodes 3
mapfile -t N < <(nodes)
VIP2=${VIP%.*}.253
"$BINDIR/kube-vip" manifest pod --interface eth0 --address "$VIP2" --port 6443 --controlplane \
	--arp --leaderElection >"$WORK/kube-vip.yaml" || fail "kube-vip manifest pod failed"
mapfile -t KV_ENV < <(manifest_env "$WORK/kube-vip.yaml")
[ "${#KV_ENV[@]}" -gt 5 ] || fail "no env in kube-vip's manifest"

for n in "${N[@]}"; do
	"$CPFIXTURE" exec --dir "$D" --node "$n" -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		vip_interface=eth0 address="$VIP" port=6443 vip_arp=true cp_enable=true \
		vip_leaderelection=true vip_leasename=plndr-cp-lock vip_leaseduration=5 \
		vip_renewdeadline=3 vip_retryperiod=1 vip_nodename="$n" prometheus_server=:2112 \
		k8s_config_file=/etc/kubernetes/admin.conf "$VIPD" manager >>"$WORK/vipd-$n.log" 2>&1 &
	DPID[vipd-$n]=$!
	"$CPFIXTURE" exec --dir "$D" --node "$n" -- env -i "${KV_ENV[@]/=NODENAME/=$n}" \
		vip_leasename=kube-vip-soak vip_leaseduration=5 vip_renewdeadline=3 vip_retryperiod=1 \
		prometheus_server=:2113 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		"$BINDIR/kube-vip" manager >>"$WORK/kube-vip-$n.log" 2>&1 &
	DPID[kube-vip-$n]=$!
done
lease_holder() { kc "${N[0]}" get lease -n kube-system "$1" -o 'jsonpath={.spec.holderIdentity}' 2>/dev/null; }
retry 60 eval '[ -n "$(lease_holder plndr-cp-lock)" ] && [ -n "$(lease_holder kube-vip-soak)" ]' ||
	fail "no leader: vipd \"$(lease_holder plndr-cp-lock)\", kube-vip \"$(lease_holder kube-vip-soak)\""
step "vipd leads plndr-cp-lock on $(lease_holder plndr-cp-lock) ($VIP), kube-vip leads kube-vip-soak on $(lease_holder kube-vip-soak) ($VIP2); soaking ${SOAK_SECONDS}s"

kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/smaps_rollup" 2>/dev/null; }
echo "t_s,system,node,role,rss_kb,private_kb" >"$CSV"
sample() { # T
	local k sys n role holder
	for k in "${!DPID[@]}"; do
		case $k in kube-vip-*) sys=kube-vip ;; *) sys=vipd ;; esac
		n=${k#"$sys"-}
		[ "$sys" = vipd ] && holder=$(lease_holder plndr-cp-lock) || holder=$(lease_holder kube-vip-soak)
		[ "$holder" = "$n" ] && role=leader || role=follower
		running "${DPID[$k]}" || fail "$k exited during the soak"
		echo "$1,$sys,$n,$role,$(kb "${DPID[$k]}" Rss),$(($(kb "${DPID[$k]}" Private_Clean) + $(kb "${DPID[$k]}" Private_Dirty)))" >>"$CSV"
	done
}
T0=$(now)
while :; do
	t=$(printf %.0f "$(elapsed "$T0")")
	sample "$t"
	[ "$t" -ge "$SOAK_SECONDS" ] && break
	sleep "$SAMPLE_SECONDS" # the sampling period (nothing waits on a condition here)
done
echo "RESULT: soak of ${t}s on $(nproc) CPUs; RSS in KiB (first → last sample of each daemon)"
awk -F, 'NR > 1 { k = $2 "," $3; if (!(k in first)) { first[k] = $5; t0[k] = $1 } last[k] = $5; t1[k] = $1; role[k] = $4 }
	END { printf "%-9s %-8s %-9s %9s %9s %8s %9s\n", "system", "node", "role", "first", "last", "growth", "per_hour"
		for (k in first) { split(k, a, ","); h = (t1[k] - t0[k]) / 3600
			printf "%-9s %-8s %-9s %9d %9d %8d %9.0f\n", a[1], a[2], role[k], first[k], last[k], last[k] - first[k], (h > 0 ? (last[k] - first[k]) / h : 0) } }' "$CSV" | sort
rc=0
