/*
 * elector — what vipd needs from any election backend (Lease or etcd), so the daemon and
 * `vipd elect` drive both the same way:
 *
 *   callbacks  started leading / stopped leading / new leader observed / released
 *   query      elector_is_leader(): leader *as of now*, by the boot clock — call it
 *              before every announcement; it turns false the instant the renew deadline
 *              passes, even if the event loop has not run since
 *   renewals   the `renewed` callback and elector_renewed_at(): the send time of the last
 *              write naming us that is known to have taken effect. No other candidate may
 *              take the lock before that time + leaseDuration (their wait starts when they
 *              see the write), so the daemon sizes the VIP's kernel lifetime from it
 *   hand-over  handover_requested() while leading (the Lease backend: an annotation, see
 *              lease_record.h; etcd: a request in the holder's key, etcd_gw.h);
 *              elector_handover() is a shutdown whose release names the next holder
 *   shutdown   elector_shutdown() stops campaigning and fires stopped-leading at once; the
 *              caller undoes its duties (removes the VIP) and then calls
 *              elector_duties_undone(), which releases the lock (like client-go's
 *              ReleaseOnCancel) and ends with the `released` callback
 *   loop       both backends run on a kc_client: its fds and kc_client_timeout_ms() cover
 *              the elector's own timers too
 *   clock      every decision is taken on clock_boot_ns() (base/clock.h, CLOCK_BOOTTIME: it
 *              keeps counting while the machine is suspended, as the other candidates' clocks
 *              do); the wall clock only goes into records written for people
 *
 * For the backends (bottom of this file): the stepper — a re-entrancy-guarded step() and its
 * wake-up timer — and the request timeout, which both backends share rather than copy.
 *
 * Owns: the backend-neutral interface and what the backends share. Must not touch: backend
 * internals (their state machines stay in lease_elector.c / le_decide.c and etcd_elector.c).
 */
#ifndef VIPD_ELECTOR_H
#define VIPD_ELECTOR_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kc_client.h"
#include "le_config.h"

struct elector_callbacks {
	void (*started_leading)(void *arg);
	void (*stopped_leading)(void *arg, const char *reason);
	void (*new_leader)(void *arg, const char *identity); /* "" = nobody holds it */
	void (*released)(void *arg); /* after shutdown: the lock is released (or was not ours) */
	/* optional: another process wrote our identity into the lock (after stopped_leading) */
	void (*identity_collision)(void *arg);
	/* optional: a renewal (or the acquisition) sent at `sent_ns` took effect at `now_ns` */
	void (*renewed)(void *arg, int64_t sent_ns, int64_t now_ns);
	/* optional: while we lead, someone asked us to hand the lock to `to` (an identity, or
	 * "*" for any candidate). The caller answers with elector_handover() or ignores it. */
	void (*handover_requested)(void *arg, const char *to);
	void *arg;
};

/* Request counters, for "how many API requests per second does a follower make". */
struct elector_stats {
	uint64_t reads, writes, conflicts, errors, watch_events;
	uint64_t acquisitions, step_downs;
	/* etcd: times the key vanished while its holder might still act (deleted by hand, lease
	 * revoked early, or no telling) and followers waited its leaseDuration */
	uint64_t vacancy_waits;
};

struct elector_ops {
	bool (*is_leader)(void *impl);
	void (*shutdown)(void *impl);
	void (*duties_undone)(void *impl);
	void (*stats)(void *impl, struct elector_stats *out);
	int64_t (*renewed_at)(void *impl);
	void (*free)(void *impl);
	void (*handover)(void *impl, const char *to); /* NULL: the backend cannot */
};

struct elector {
	const struct elector_ops *ops;
	void *impl;
};

static inline bool elector_is_leader(const struct elector *e)
{
	return e->ops->is_leader(e->impl);
}

static inline void elector_shutdown(struct elector *e)
{
	e->ops->shutdown(e->impl);
}

/* Like elector_shutdown(), but the release hands the lock to `to` (an identity, or "*"): the
 * caller undoes its duties, calls elector_duties_undone(), and the write that follows names the
 * next holder. -EOPNOTSUPP when the backend has no hand-over (nothing changes then). */
static inline int elector_handover(struct elector *e, const char *to)
{
	if (!e->ops->handover)
		return -EOPNOTSUPP;
	e->ops->handover(e->impl, to);
	return 0;
}

static inline void elector_duties_undone(struct elector *e)
{
	e->ops->duties_undone(e->impl);
}

/* CLOCK_BOOTTIME ns: send time of the last renewal known to have taken effect while we lead;
 * INT64_MIN when not leading. */
static inline int64_t elector_renewed_at(const struct elector *e)
{
	return e->ops->renewed_at(e->impl);
}

static inline void elector_stats(const struct elector *e, struct elector_stats *out)
{
	e->ops->stats(e->impl, out);
}

static inline void elector_free(struct elector *e)
{
	if (e->ops)
		e->ops->free(e->impl);
	e->ops = NULL;
	e->impl = NULL;
}

/* ---- for the backends --------------------------------------------------------------------- */

#define ELECTOR_NEVER INT64_MAX /* a pass that needs no wake-up */

/* One pass of a backend's state machine at `now_ns` (clock_boot_ns()): act on what is known,
 * start at most the requests it needs, and return when to run again (clock_boot_ns()), or
 * ELECTOR_NEVER. */
typedef int64_t (*elector_pass_fn)(void *impl, int64_t now_ns);

/* Runs a backend's passes. Callbacks fired from a pass may re-enter the backend (a callback
 * that asks elector_is_leader() or shuts down): such a step is not nested but runs as one
 * more pass once the current one returns. After each pass the wake-up timer (a kc_timer on
 * the backend's client) is armed for the time it asked for. */
struct elector_stepper {
	struct kc_client *kc;
	elector_pass_fn pass;
	void *impl;
	struct kc_timer timer;
	bool in_step, again;
};

void elector_stepper_init(struct elector_stepper *s, struct kc_client *kc, elector_pass_fn pass,
			  void *impl);
/* Runs passes until none was asked for from inside one (see above). */
void elector_step(struct elector_stepper *s);
/* Disarms the wake-up timer: call before freeing the backend. */
void elector_stepper_stop(struct elector_stepper *s);

/* The timeout of one request: long enough for a slow server, short enough for two tries within
 * renewDeadline (renewDeadline / 2, at least retryPeriod). */
long elector_request_timeout_ms(const struct le_timing *t);

#endif
