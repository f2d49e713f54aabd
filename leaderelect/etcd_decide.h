/*
 * etcd_decide — the etcd backend's follower rules as pure functions (no I/O, no clock reads),
 * so they are tested on a fake clock (tests/leaderelect/test_etcd_decide.c).
 *
 *   read schedule  a follower reads the election key with a linearizable range (which needs a
 *                  quorum) every retryPeriod, whether or not its watch is up: a watch can be
 *                  open and silent because its member hung or sits in a minority, and then it
 *                  never shows the key expire. Without a live watch the read also (re)starts
 *                  the watch; with one it only checks the key (the watch is kept).
 *   read verdict   the key gone → campaign now (the read is authoritative); the key changed at
 *                  or after the revision the watch should deliver next → the watch is behind:
 *                  range again and restart it; otherwise keep following.
 *
 * `now` and times are nanoseconds of CLOCK_BOOTTIME (or a fake clock).
 *
 * Owns: when a follower reads and what a read means. Must not touch: HTTP, JSON, clocks.
 */
#ifndef VIPD_ETCD_DECIDE_H
#define VIPD_ETCD_DECIDE_H

#include <stdbool.h>
#include <stdint.h>

#include "etcd_gw.h"

enum etcd_follow_read {
	ETCD_READ_NONE,	 /* nothing to send now */
	ETCD_READ_RANGE, /* range the key, then (re)start the watch from it */
	ETCD_READ_CHECK, /* linearizable range of the key only; the watch is kept */
};

struct etcd_follow_in {
	bool need_range;   /* the watch must be (re)started from a fresh range */
	bool watch_live;   /* the watch stream is open */
	int64_t last_read; /* send time of the last follower read (range or check) */
	int64_t retry_ns;  /* retryPeriod */
};

struct etcd_follow_out {
	enum etcd_follow_read read;
	int64_t wake; /* when to look again if nothing is sent now (INT64_MAX: never) */
};

struct etcd_follow_out etcd_follow_decide(const struct etcd_follow_in *in, int64_t now);

enum etcd_read_verdict {
	ETCD_KEEP_FOLLOWING,
	ETCD_CAMPAIGN, /* the key is gone: campaign at once */
	ETCD_REWATCH,  /* the watch missed a change: range again and restart it */
};

/* What a successful follower read of the key means. `watch_next_rev` is the revision the watch
 * delivers next (0: no watch). */
enum etcd_read_verdict etcd_read_verdict(const struct etcd_kv *kv, int64_t watch_next_rev);

#endif
