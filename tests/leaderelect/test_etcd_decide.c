/*
 * test_etcd_decide.c — the etcd follower's rules on a fake clock: a follower whose watch is
 * open but stalled (its member hung or in a minority) still reads the key every retryPeriod and
 * campaigns once a read shows the key gone (issue 17, defect 4).
 */
#include <criterion/criterion.h>

#include "etcd_decide.h"

#define MS    1000000LL
#define RETRY (2000 * MS)

/* A follower on a fake clock against a fake store: the key expires at `expires_at`; the watch
 * is open and never delivers anything. Returns when the follower decided to campaign (or
 * INT64_MAX if it never did before `until`). */
static int64_t stalled_watch_campaigns_at(int64_t expires_at, int64_t until, int *reads)
{
	struct etcd_follow_in in = {.watch_live = true, .last_read = 0, .retry_ns = RETRY};
	int64_t now = 0;
	*reads = 0;
	while (now < until) {
		struct etcd_follow_out o = etcd_follow_decide(&in, now);
		if (o.read != ETCD_READ_NONE) {
			(*reads)++;
			in.last_read = now;
			struct etcd_kv kv = {.present = now < expires_at, .mod_rev = 3};
			if (kv.present)
				snprintf(kv.value, sizeof(kv.value), "cp-1");
			enum etcd_read_verdict v = etcd_read_verdict(&kv, 4);
			if (v == ETCD_CAMPAIGN)
				return now;
			cr_assert_eq(v, ETCD_KEEP_FOLLOWING);
			continue;
		}
		cr_assert_gt(o.wake, now, "a follower that sends nothing must wake later");
		now = o.wake == INT64_MAX ? until : o.wake;
	}
	return INT64_MAX;
}

Test(etcd_decide, a_stalled_watch_does_not_keep_a_follower_from_campaigning)
{
	int reads;
	int64_t expiry = 5000 * MS;
	int64_t at = stalled_watch_campaigns_at(expiry, 60000 * MS, &reads);
	cr_assert_neq(at, INT64_MAX, "the follower never campaigned (%d reads)", reads);
	cr_assert_geq(at, expiry);
	cr_assert_leq(at, expiry + RETRY, "campaigned %lld ms after expiry",
		      (long long)((at - expiry) / MS));
}

Test(etcd_decide, a_live_watch_is_checked_once_per_retry_period)
{
	struct etcd_follow_in in = {.watch_live = true, .last_read = 10 * MS, .retry_ns = RETRY};
	struct etcd_follow_out o = etcd_follow_decide(&in, 11 * MS);
	cr_assert_eq(o.read, ETCD_READ_NONE);
	cr_assert_eq(o.wake, 10 * MS + RETRY);
	o = etcd_follow_decide(&in, 10 * MS + RETRY);
	cr_assert_eq(o.read, ETCD_READ_CHECK, "the check keeps the watch (no restart)");
}

Test(etcd_decide, without_a_watch_the_read_restarts_it)
{
	struct etcd_follow_in in = {.watch_live = false, .last_read = 0, .retry_ns = RETRY};
	cr_assert_eq(etcd_follow_decide(&in, RETRY - 1).read, ETCD_READ_NONE);
	cr_assert_eq(etcd_follow_decide(&in, RETRY).read, ETCD_READ_RANGE);
	in.need_range = true;
	cr_assert_eq(etcd_follow_decide(&in, 1).read, ETCD_READ_RANGE, "need_range: at once");
}

Test(etcd_decide, read_verdicts)
{
	struct etcd_kv gone = {.present = false};
	cr_assert_eq(etcd_read_verdict(&gone, 10), ETCD_CAMPAIGN);
	struct etcd_kv kv = {.present = true, .mod_rev = 9};
	cr_assert_eq(etcd_read_verdict(&kv, 10), ETCD_KEEP_FOLLOWING);
	/* Changed at a revision the watch should have delivered: it is behind. */
	kv.mod_rev = 10;
	cr_assert_eq(etcd_read_verdict(&kv, 10), ETCD_REWATCH);
	cr_assert_eq(etcd_read_verdict(&kv, 0), ETCD_KEEP_FOLLOWING, "no watch yet");
}
