#!/usr/bin/env bash
# Lease election on a 1-node control plane: three electors on the one apiserver; one leader
# at every instant; kill -9 → takeover within leaseDuration + retryPeriod; graceful → within
# 100 ms; a follower polling without a watch (--no-watch, client-go's way) still takes over.
. "$(dirname "$0")/../controlplane/lib.sh"
. "$(dirname "$0")/lib_elect.sh"

fixture_up --nodes 1
node=$(nodes)
start_elector a "$node"
start_elector b "$node"
start_elector c "$node" --no-watch
leader=$(wait_leader 15) || fail "no leader within 15 s"
step "leader: $leader"
sleep 2
t0=$(now)
stop_elector "$leader" KILL
new=$(wait_leader $((LEASE_S + RETRY_S + 3)) "$leader") || fail "no leader after kill -9"
dt=$(echo "$(last_field "$new" "started leading" at) - $t0" | bc)
step "kill -9 $leader → $new after ${dt}s"
[ "$(echo "$dt <= $LEASE_S + $RETRY_S + 0.3 && $dt >= $LEASE_S - $RETRY_S - 0.1" | bc)" = 1 ] ||
	fail "takeover after ${dt}s is outside [leaseDuration - retryPeriod, leaseDuration + retryPeriod]"
start_elector "$leader" "$node"
leader=$new
sleep 2
t0=$(now)
stop_elector "$leader" TERM
new=$(wait_leader 5 "$leader") || fail "no leader after SIGTERM"
dt=$(echo "$(last_field "$new" "started leading" at) - $t0" | bc)
step "SIGTERM $leader → $new after ${dt}s"
if [ "$new" = c ]; then
	limit=$(echo "$RETRY_S + 0.2" | bc) # c polls every retryPeriod
else
	limit=0.1
fi
[ "$(echo "$dt <= $limit" | bc)" = 1 ] || fail "graceful handover took ${dt}s (> ${limit}s)"
# Make sure the polling elector (c) can win: stop the others.
for id in a b; do [ "$id" = "$new" ] || stop_elector "$id" TERM; done
if [ "$new" != c ]; then
	stop_elector "$new" TERM
	retry $((RETRY_S * 3)) seen c 'msg="started leading"' || fail "the polling elector never took over"
	step "polling elector c took over"
fi
n=$(check_exclusive) || fail "two electors acted as leader at once"
finish_electors
echo "RESULT: 1-node Lease election ok ($n leadership intervals, no overlap)"
