#!/usr/bin/env bash
# bench-campaign: the long fault campaign (issue 17) — tests/provisioner/campaign.sh with many
# trials on provisioner clusters of 3 and 5 control planes, Lease and etcd backends, then the
# figures per fault kind: trials, p50 / p99 / max of the time the VIP went without answering
# HTTPS (http_gap_ms) and of the time with no holder (no_holder_ms), and split-brain instants
# (two holders, or the client's MAC on a non-holder past one announcement interval). Any
# split-brain instant fails the campaign itself, with the seed to replay.
#
#   CAMPAIGN_TRIALS=50 CAMPAIGN_CLUSTERS="3:lease 3:etcd 5:lease 5:etcd" bash bench/campaign.sh
#   (or: cmake --build build --target upstream bench-campaign). Needs what the ctest run needs:
#   PROVISIONER, UPSTREAM_BUILD, VIPD, VIP_WATCH (the CMake target sets them). The raw trials go
#   to CAMPAIGN_RESULTS (default ./bench-campaign.tsv); re-summarise a file with --summary FILE.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

summary() { # FILE — one row per fault kind (and one for all), percentiles by nearest rank
	awk -F'\t' 'NR > 1 { k = $4; n[k]++; g[k, n[k]] = $6; h[k, n[k]] = $7; s[k] += $8 + $9
		n["all"]++; g["all", n["all"]] = $6; h["all", n["all"]] = $7; s["all"] += $8 + $9 }
	function sortk(a, k, m,   i, j, t) { for (i = 1; i <= m; i++) v[i] = a[k, i]
		for (i = 2; i <= m; i++) { t = v[i]; for (j = i - 1; j >= 1 && v[j] + 0 > t + 0; j--) v[j + 1] = v[j]; v[j + 1] = t } }
	function pct(p, m,   r) { r = int(p * m + 0.999999); if (r < 1) r = 1; return v[r] }
	END { printf "%-17s %6s %10s %10s %10s %10s %10s %10s %6s\n", "fault", "trials", "gap_p50", "gap_p99",
			"gap_max", "nohold_p50", "nohold_p99", "nohold_max", "split"
		for (k in n) if (k != "all") order[++c] = k
		for (i = 2; i <= c; i++) { t = order[i]; for (j = i - 1; j >= 1 && order[j] > t; j--) order[j + 1] = order[j]; order[j + 1] = t }
		order[++c] = "all"
		for (i = 1; i <= c; i++) { k = order[i]; m = n[k]
			sortk(g, k, m); g50 = pct(0.5, m); g99 = pct(0.99, m); gmax = v[m]
			sortk(h, k, m); h50 = pct(0.5, m); h99 = pct(0.99, m); hmax = v[m]
			printf "%-17s %6d %10.0f %10.0f %10.0f %10.0f %10.0f %10.0f %6d\n", k, m, g50, g99, gmax, h50, h99, hmax, s[k] } }' "$1"
}
if [ "${1:-}" = --summary ]; then
	summary "$2"
	exit 0
fi
export CAMPAIGN_RESULTS=${CAMPAIGN_RESULTS:-$PWD/bench-campaign.tsv}
export CAMPAIGN_TRIALS=${CAMPAIGN_TRIALS:-50}
export CAMPAIGN_CLUSTERS=${CAMPAIGN_CLUSTERS:-3:lease 3:etcd 5:lease 5:etcd}
t0=$(date +%s)
bash "$here/../tests/provisioner/campaign.sh"
echo "bench-campaign: $(($(wc -l <"$CAMPAIGN_RESULTS") - 1)) trials in $(($(date +%s) - t0)) s on $(nproc) CPUs, $(free -g | awk '/Mem:/ { print $2 }') GiB; times in ms"
summary "$CAMPAIGN_RESULTS"
