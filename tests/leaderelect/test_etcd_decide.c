/*
 * test_etcd_decide.c — the etcd follower's rules on a fake clock: a follower whose watch is
 * open but stalled (its member hung or in a minority) still reads the key every retryPeriod and
 * campaigns once a read shows the key gone (issue 17, defect 4); a key that vanishes is taken at
 * once only after a release or the holder's lease expiring, and after the holder's leaseDuration
 * when it was deleted by hand or its lease revoked early (issue 17, defect 1).
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
			if (v == ETCD_KEY_GONE)
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
	cr_assert_eq(etcd_read_verdict(&gone, 10), ETCD_KEY_GONE);
	struct etcd_kv kv = {.present = true, .mod_rev = 9};
	cr_assert_eq(etcd_read_verdict(&kv, 10), ETCD_KEEP_FOLLOWING);
	/* Changed at a revision the watch should have delivered: it is behind. */
	kv.mod_rev = 10;
	cr_assert_eq(etcd_read_verdict(&kv, 10), ETCD_REWATCH);
	cr_assert_eq(etcd_read_verdict(&kv, 0), ETCD_KEEP_FOLLOWING, "no watch yet");
}

/* ---- a vanished key (issue 17, defect 1) ---- */

#define LEASE (5000 * MS)
#define S     (1000 * MS)

enum vanish { V_DEL_BY_HAND, V_REVOKE, V_HOLDER_KILLED, V_RELEASE };

/* A fake etcd with one holder "cp-1" renewing its lease (TTL 5 s) every retryPeriod, and one
 * follower with a live watch running etcd_follow_decide, timing the holder's lease after each
 * read, and judging the key's disappearance with etcd_gone_decide. At `at` the key vanishes
 * the way `how` says. Returns when the follower campaigns; *seen: when it saw the key go. */
struct sim {
	int64_t now, expiry; /* etcd's expiry of the holder's lease */
	bool lease_alive, key_present, holder_alive, ttl_fails;
	struct etcd_kv kv;
};

/* The holder renews every retryPeriod while alive; etcd deletes the key when the lease expires. */
static void sim_etcd(struct sim *s, int64_t *last_ka)
{
	if (s->holder_alive && s->lease_alive && s->now >= *last_ka + RETRY) {
		*last_ka = s->now;
		s->expiry = s->now + LEASE;
	}
	if (s->lease_alive && s->now >= s->expiry) {
		s->lease_alive = false;
		s->key_present = false;
	}
}

static enum etcd_lease_answer sim_ttl(const struct sim *s, int64_t *ttl_s)
{
	*ttl_s = s->lease_alive ? (s->expiry - s->now) / S : -1;
	if (s->ttl_fails)
		return ETCD_LEASE_FAILED;
	return s->lease_alive ? ETCD_LEASE_ALIVE : ETCD_LEASE_GONE;
}

static void sim_vanish(struct sim *s, enum vanish how)
{
	switch (how) {
	case V_DEL_BY_HAND:
		s->key_present = false;
		break;
	case V_REVOKE:
		s->key_present = s->lease_alive = false;
		break;
	case V_HOLDER_KILLED:
		s->holder_alive = false; /* the key goes when the lease expires */
		break;
	case V_RELEASE:
		snprintf(s->kv.value, sizeof(s->kv.value), "%s", ""); /* the marker, then revoke */
		s->holder_alive = s->key_present = s->lease_alive = false;
		break;
	}
}

static int64_t vanish_campaigns_at(enum vanish how, int64_t at, bool ttl_fails, bool timed,
				   int64_t *seen)
{
	struct sim s = {.lease_alive = true,
			.key_present = true,
			.holder_alive = true,
			.ttl_fails = ttl_fails,
			.expiry = LEASE,
			.kv = {.present = true, .lease = 42, .mod_rev = 3}};
	snprintf(s.kv.value, sizeof(s.kv.value), "cp-1");
	struct etcd_holder_lease hl = {0};
	etcd_holder_lease_set(&hl, 42);
	struct etcd_follow_in in = {.watch_live = true, .lease_due = timed, .retry_ns = RETRY};
	int64_t last_ka = 0;
	bool vanished = false;
	*seen = INT64_MAX;
	for (s.now = 0; s.now < 60 * S; s.now += 10 * MS) {
		if (!vanished && s.now >= at) {
			sim_vanish(&s, how);
			vanished = true;
		}
		sim_etcd(&s, &last_ka);
		if (!s.key_present && *seen == INT64_MAX) {
			/* The watch's DELETE, with the key as it was (prev_kv). */
			*seen = s.now;
			struct etcd_gone_in g = {.last = &s.kv,
						 .identity = "cp-2",
						 .hl = &hl,
						 .answer = ETCD_LEASE_UNASKED,
						 .seen = s.now,
						 .lease_ns = LEASE,
						 .retry_ns = RETRY};
			struct etcd_gone_out o = etcd_gone_decide(&g);
			if (o.ask) {
				int64_t ttl;
				g.answer = sim_ttl(&s, &ttl);
				o = etcd_gone_decide(&g);
				cr_assert_not(o.ask);
			}
			in.lease_due = false;
			in.campaign_at = o.campaign_at;
			if (o.campaign_at <= s.now)
				return s.now;
		}
		struct etcd_follow_out o = etcd_follow_decide(&in, s.now);
		if (o.read == ETCD_READ_CAMPAIGN)
			return s.now;
		if (o.read == ETCD_READ_CHECK) {
			in.last_read = s.now;
			in.lease_due = timed && s.key_present;
		} else if (o.read == ETCD_READ_LEASE) {
			int64_t ttl;
			if (sim_ttl(&s, &ttl) != ETCD_LEASE_FAILED)
				etcd_holder_lease_timed(&hl, s.now, ttl, 5);
			in.lease_due = false;
		}
	}
	return INT64_MAX;
}

Test(etcd_decide, a_key_deleted_by_hand_is_waited_for)
{
	int64_t seen, at = vanish_campaigns_at(V_DEL_BY_HAND, 10300 * MS, false, true, &seen);
	cr_assert_eq(seen, 10300 * MS);
	cr_assert_geq(at, seen + LEASE, "campaigned %lld ms after the deletion",
		      (long long)((at - seen) / MS));
	cr_assert_leq(at, seen + LEASE + 20 * MS);
}

Test(etcd_decide, a_lease_revoked_early_is_waited_for)
{
	int64_t seen, at = vanish_campaigns_at(V_REVOKE, 10300 * MS, false, true, &seen);
	cr_assert_eq(seen, 10300 * MS);
	cr_assert_geq(at, seen + LEASE, "campaigned %lld ms after the revoke",
		      (long long)((at - seen) / MS));
}

Test(etcd_decide, an_expired_lease_is_taken_at_once)
{
	/* Killed at 10.3 s: its last keep-alive (10 s) keeps the key until 15 s. */
	int64_t seen, at = vanish_campaigns_at(V_HOLDER_KILLED, 10300 * MS, false, true, &seen);
	cr_assert_eq(seen, 15000 * MS);
	cr_assert_eq(at, seen, "the hard-failover path must not wait (waited %lld ms)",
		     (long long)((at - seen) / MS));
}

Test(etcd_decide, a_release_is_taken_at_once)
{
	int64_t seen, at = vanish_campaigns_at(V_RELEASE, 10300 * MS, false, true, &seen);
	cr_assert_eq(seen, 10300 * MS);
	cr_assert_eq(at, seen);
}

Test(etcd_decide, a_hand_over_is_taken_at_once_by_the_one_named_only)
{
	struct etcd_kv kv = {.present = true, .lease = 42};
	snprintf(kv.handover_to, sizeof(kv.handover_to), "me"); /* the marker: value "" */
	struct etcd_gone_in in = {.last = &kv,
				  .identity = "me",
				  .answer = ETCD_LEASE_UNASKED,
				  .seen = 101 * S,
				  .lease_ns = LEASE,
				  .retry_ns = RETRY};
	struct etcd_gone_out o = etcd_gone_decide(&in);
	cr_assert_eq(o.why, ETCD_GONE_HANDED_TO_US);
	cr_assert_eq(o.campaign_at, in.seen);
	cr_assert_not(o.ask);
	in.identity = "cp-3";
	o = etcd_gone_decide(&in);
	cr_assert_eq(o.why, ETCD_GONE_HANDED_OVER);
	cr_assert_eq(o.campaign_at, in.seen + LEASE,
		     "the others give the named one a leaseDuration");
	cr_assert_not(o.ask);
	/* A request still in a holder's key when its lease went is not a release. */
	snprintf(kv.value, sizeof(kv.value), "cp-1");
	cr_assert(etcd_gone_decide(&in).ask, "the holder's lease must be asked about as before");
}

Test(etcd_decide, when_etcd_cannot_say_the_follower_waits)
{
	int64_t seen, at = vanish_campaigns_at(V_REVOKE, 10300 * MS, true, true, &seen);
	cr_assert_geq(at, seen + LEASE, "time-to-live failed: wait");
	at = vanish_campaigns_at(V_REVOKE, 10300 * MS, false, false, &seen);
	cr_assert_geq(at, seen + LEASE, "the lease was never timed: wait");
}

Test(etcd_decide, gone_rules_table)
{
	struct etcd_kv kv = {.present = true, .lease = 42};
	struct etcd_holder_lease hl = {0};
	etcd_holder_lease_set(&hl, 42);
	etcd_holder_lease_timed(&hl, 100 * S, 4, 7);
	struct etcd_gone_in in = {.last = &kv,
				  .identity = "me",
				  .hl = &hl,
				  .answer = ETCD_LEASE_GONE,
				  .seen = 101 * S,
				  .lease_ns = LEASE,
				  .retry_ns = RETRY};
	/* The release marker, ourselves, nobody: at once, without asking. */
	struct etcd_gone_out o = etcd_gone_decide(&in);
	cr_assert_eq(o.why, ETCD_GONE_RELEASED);
	cr_assert_eq(o.campaign_at, in.seen);
	snprintf(kv.value, sizeof(kv.value), "me");
	o = etcd_gone_decide(&in);
	cr_assert_eq(o.why, ETCD_GONE_UNHELD);
	cr_assert_eq(o.campaign_at, in.seen);
	kv.present = false;
	cr_assert_eq(etcd_gone_decide(&in).why, ETCD_GONE_UNHELD);
	kv.present = true;
	snprintf(kv.value, sizeof(kv.value), "cp-1");
	/* Another holder: ask first. */
	in.answer = ETCD_LEASE_UNASKED;
	cr_assert(etcd_gone_decide(&in).ask);
	/* Gone at 101 s, expected no earlier than 104 s: revoked early; the wait is its granted
	 * TTL (7 s), not ours. */
	in.answer = ETCD_LEASE_GONE;
	o = etcd_gone_decide(&in);
	cr_assert_eq(o.why, ETCD_GONE_REVOKED);
	cr_assert_eq(o.campaign_at, 108 * S);
	/* Within retryPeriod of the expected expiry: expired. */
	in.seen = 103 * S;
	o = etcd_gone_decide(&in);
	cr_assert_eq(o.why, ETCD_GONE_EXPIRED);
	cr_assert_eq(o.campaign_at, in.seen);
	/* Timing of another lease does not count. */
	kv.lease = 43;
	cr_assert_eq(etcd_gone_decide(&in).why, ETCD_GONE_UNKNOWN);
	cr_assert_eq(etcd_gone_decide(&in).campaign_at, in.seen + LEASE);
	/* A key without a lease can only have been deleted. */
	kv.lease = 0;
	cr_assert_eq(etcd_gone_decide(&in).why, ETCD_GONE_BY_HAND);
}

Test(etcd_decide, lease_timing_only_grows_and_resets_on_a_new_lease)
{
	struct etcd_holder_lease hl = {0};
	etcd_holder_lease_set(&hl, 42);
	etcd_holder_lease_timed(&hl, 10 * S, 4, 5);
	cr_assert_eq(hl.expires_min, 14 * S);
	etcd_holder_lease_timed(&hl, 11 * S, 2, 5); /* an older view: not shortened */
	cr_assert_eq(hl.expires_min, 14 * S);
	etcd_holder_lease_timed(&hl, 12 * S, -1, 0); /* gone: kept */
	cr_assert_eq(hl.expires_min, 14 * S);
	etcd_holder_lease_timed(&hl, 12 * S, INT64_MAX, INT64_MAX); /* hostile: no overflow */
	cr_assert_gt(hl.expires_min, 12 * S);
	cr_assert_gt(hl.granted_ns, 0);
	etcd_holder_lease_set(&hl, 42);
	cr_assert_gt(hl.expires_min, 14 * S, "same lease: kept");
	etcd_holder_lease_set(&hl, 43);
	cr_assert_eq(hl.expires_min, 0);
	cr_assert_eq(hl.granted_ns, 0);
}

Test(etcd_decide, a_vacancy_wait_wakes_the_follower_and_ends_in_a_campaign)
{
	struct etcd_follow_in in = {
	    .watch_live = true, .last_read = 0, .retry_ns = RETRY, .campaign_at = 500 * MS};
	struct etcd_follow_out o = etcd_follow_decide(&in, 100 * MS);
	cr_assert_eq(o.read, ETCD_READ_NONE);
	cr_assert_eq(o.wake, 500 * MS);
	cr_assert_eq(etcd_follow_decide(&in, 500 * MS).read, ETCD_READ_CAMPAIGN);
	in.gone_ask = true;
	cr_assert_eq(etcd_follow_decide(&in, 100 * MS).read, ETCD_READ_LEASE, "ask first");
}
