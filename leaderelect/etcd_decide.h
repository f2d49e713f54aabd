/*
 * etcd_decide — the etcd backend's follower rules as pure functions (no I/O, no clock reads),
 * so they are tested on a fake clock (tests/leaderelect/test_etcd_decide.c).
 *
 *   read schedule  a follower reads the election key with a linearizable range (which needs a
 *                  quorum) every retryPeriod, whether or not its watch is up: a watch can be
 *                  open and silent because its member hung or sits in a minority, and then it
 *                  never shows the key expire. Without a live watch the read also (re)starts
 *                  the watch; with one it only checks the key (the watch is kept).
 *   read verdict   the key gone → what its disappearance means (below; the read is
 *                  authoritative); the key changed at or after the revision the watch should
 *                  deliver next → the watch is behind: range again and restart it; otherwise keep
 *                  following.
 *   lease timing   while another holds the key, each follower read is followed by a
 *                  LeaseTimeToLive of the holder's etcd lease: sent at t with TTL T left, the lease
 *                  cannot expire before t + T (etcd only ever extends a lease), the holder's
 *                  "expected expiry".
 *   key gone       (a watch DELETE, or a read finding no key) — only a proper release, or the
 *                  holder's lease expiring, lets followers campaign at once; anything else may
 *                  leave the old holder acting until its own watch or renewal tells it, so the
 *                  followers wait the holder's leaseDuration (its lease's granted TTL, else
 *                  ours) counted from when the disappearance was seen:
 *                    released   the key last held the release marker (etcd_gw.h)    → at once
 *                    handed     the marker named the next holder: that one          → at once
 *                               every other candidate, so that one wins: our
 *                               leaseDuration (unless the key is put again)          → wait
 *                    unheld     no holder seen, or the holder was us                 → at once
 *                    then LeaseTimeToLive of the holder's lease, asked after it vanished:
 *                    by hand    the lease still lives: `etcdctl del`                 → wait
 *                    expired    the lease is gone, seen no earlier than retryPeriod
 *                               before its expected expiry: the hard-failover path   → at once
 *                    revoked    the lease is gone earlier than that: revoked early
 *                               by someone else (`etcdctl lease revoke`)             → wait
 *                    unknown    the question failed, or the lease was never timed    → wait
 *                  A key put again (by anyone) ends the wait: the follower follows it.
 *                  The expected expiry is a lower bound (TTL in whole seconds, timed after a
 *                  keep-alive up to retryPeriod old), so a real expiry is never taken for a
 *                  revoke; an early revoke is recognised when leaseDuration exceeds about
 *                  2 × retryPeriod + 1 s (5/3/1 does), else it is taken for an expiry, as before.
 *
 * `now` and times are nanoseconds of CLOCK_BOOTTIME (or a fake clock).
 *
 * Owns: when a follower reads, what a read means, when a vanished key may be taken. Must not touch:
 * HTTP, JSON, clocks.
 */
#ifndef VIPD_ETCD_DECIDE_H
#define VIPD_ETCD_DECIDE_H

#include <stdbool.h>
#include <stdint.h>

#include "etcd_gw.h"

#define ETCD_NS_PER_S 1000000000LL

enum etcd_follow_read {
	ETCD_READ_NONE,	    /* nothing to send now */
	ETCD_READ_RANGE,    /* range the key, then (re)start the watch from it */
	ETCD_READ_CHECK,    /* linearizable range of the key only; the watch is kept */
	ETCD_READ_LEASE,    /* LeaseTimeToLive of the holder's (or vanished holder's) lease */
	ETCD_READ_CAMPAIGN, /* a vacancy has been waited out: campaign now */
};

struct etcd_follow_in {
	bool need_range;     /* the watch must be (re)started from a fresh range */
	bool watch_live;     /* the watch stream is open */
	bool gone_ask;	     /* the key vanished: ask whether its holder's lease lives */
	bool lease_due;	     /* the holder's lease has not been timed since the last read */
	int64_t campaign_at; /* waiting out a vacancy: campaign then (0: not waiting) */
	int64_t last_read;   /* send time of the last follower read (range or check) */
	int64_t retry_ns;    /* retryPeriod */
};

struct etcd_follow_out {
	enum etcd_follow_read read;
	int64_t wake; /* when to look again if nothing is sent now (INT64_MAX: never) */
};

struct etcd_follow_out etcd_follow_decide(const struct etcd_follow_in *in, int64_t now);

enum etcd_read_verdict {
	ETCD_KEEP_FOLLOWING,
	ETCD_KEY_GONE, /* the key is gone: see etcd_gone_decide */
	ETCD_REWATCH,  /* the watch missed a change: range again and restart it */
};

/* What a successful follower read of the key means. `watch_next_rev` is the revision the watch
 * delivers next (0: no watch). */
enum etcd_read_verdict etcd_read_verdict(const struct etcd_kv *kv, int64_t watch_next_rev);

/* What a follower knows of the holder's etcd lease from its LeaseTimeToLive answers. */
struct etcd_holder_lease {
	int64_t id;	     /* the lease timed (0: none) */
	int64_t expires_min; /* it cannot expire before this, our clock (0: not timed yet) */
	int64_t granted_ns;  /* its granted TTL (0: not known) */
};

/* The holder's key names lease `id` (resets the timing when it is another lease). */
void etcd_holder_lease_set(struct etcd_holder_lease *hl, int64_t id);
/* A LeaseTimeToLive of hl->id sent at `sent` answered `ttl_s` left of `granted_s`. */
void etcd_holder_lease_timed(struct etcd_holder_lease *hl, int64_t sent, int64_t ttl_s,
			     int64_t granted_s);

enum etcd_lease_answer {
	ETCD_LEASE_UNASKED, /* not asked yet */
	ETCD_LEASE_FAILED,  /* the LeaseTimeToLive failed (error, timeout, bad reply) */
	ETCD_LEASE_ALIVE,   /* TTL >= 0 */
	ETCD_LEASE_GONE,    /* TTL -1: expired or revoked */
};

enum etcd_gone_why {
	ETCD_GONE_RELEASED,
	ETCD_GONE_HANDED_TO_US, /* released naming us (vipd handover --to) */
	ETCD_GONE_HANDED_OVER,	/* released naming another candidate */
	ETCD_GONE_UNHELD,
	ETCD_GONE_EXPIRED,
	ETCD_GONE_BY_HAND,
	ETCD_GONE_REVOKED,
	ETCD_GONE_UNKNOWN,
};

struct etcd_gone_in {
	const struct etcd_kv *last; /* the key as last seen (present=false: no holder seen) */
	const char *identity;	    /* ours */
	const struct etcd_holder_lease *hl; /* timing of the holder's lease (any id) */
	enum etcd_lease_answer answer;	    /* LeaseTimeToLive of last->lease, asked after */
	int64_t seen;			    /* when the disappearance was seen */
	int64_t lease_ns;		    /* our leaseDuration: the wait if the TTL is unknown */
	int64_t retry_ns;		    /* retryPeriod: the margin before the expected expiry */
};

struct etcd_gone_out {
	enum etcd_gone_why why;
	bool ask; /* ask LeaseTimeToLive(last->lease), then decide again with the answer */
	int64_t campaign_at; /* when to campaign (`seen`: at once); unset while `ask` */
};

/* The key vanished: when may we campaign? (the rules above) */
struct etcd_gone_out etcd_gone_decide(const struct etcd_gone_in *in);

/* "released", "expired", "deleted by hand", ... for logs. */
const char *etcd_gone_name(enum etcd_gone_why why);

#endif
