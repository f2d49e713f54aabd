/*
 * le_decide — the Lease election's decisions as pure functions: (what we observed of the
 * Lease, our monotonic clock, our own state) → what to do next. No I/O, no clock reads, so the
 * whole of client-go's rulebook is tested with a fake clock (tests/leaderelect/).
 *
 * The rules (client-go's, with two safe speed-ups):
 *  - A candidate takes the Lease when it was released (the record client-go's release writes:
 *    holderIdentity "" and leaseDurationSeconds 1) or when its record has not changed for the
 *    holder's leaseDurationSeconds *on our clock since we saw it change*. The remote renewTime
 *    is never compared with our clock.
 *  - Deleted, or holder blanked by anything but a release: the last holder we saw may still
 *    act until its own watch or renewal tells it, so we wait its leaseDuration from when we saw
 *    the deletion/blanking (none when that holder was us or the Lease was released; a blanked
 *    record's own duration when we never saw a holder).
 *  - Missing (and nobody to wait for) → create it. Every write carries the resourceVersion we
 * observed, so a stale observation only ever costs a 409 (after which we re-read), never a double
 * holder.
 *  - The holder renews every retryPeriod and stops leading when no renewal *sent* within the
 *    last renewDeadline has succeeded. Measuring from the send time (not the reply) means the
 *    leader always stops before any follower's leaseDuration wait — which starts no earlier than
 *    the write itself — can end.
 *  - Speed-up 1: followers are fed by a watch, so a release is taken the moment it is seen, and
 *    the expiry of a silent holder is acted on at that instant instead of at the next poll.
 *    A watch event only ever *restarts* the leaseDuration wait; it never shortens it.
 *  - Speed-up 2: a leader that sees another holder (a third party replaced the Lease, or our
 *    renewals were lost) stops at once rather than after renewDeadline.
 *  - One identity, two processes: a record naming us is ours only if we wrote it (its renewTime
 *    is one of our writes': our_renew_us, our_acked_us), or while we lead, or if it is a
 *    hand-over addressed to us (below). Ours: renewed every retryPeriod while leading, at once
 *    when not (we stepped down while the API was unreachable), released on shutdown. Any other
 *    record naming us is another process's — a node given our name, or our predecessor after a
 *    restart, which may still be alive — and is treated like any holder's: waited for its
 *    leaseDuration from when we saw it change, then acquired (transitions + 1), never released.
 *    So a duplicate whose twin keeps renewing never leads, and a restarted vipd waits the Lease
 *    out like everyone else. (client-go renews any record naming it at once; two such nodes
 *    would both hold the VIP until one saw the other's write.)
 *  - Identity collision: while we lead, a record naming us whose renewTime is none of the ones
 *    we wrote means another process uses our identity (a kube-vip twin renews at once): we stop
 *    leading at once and say so (LE_EV_COLLISION); the caller stays out.
 *  - Planned hand-over (lease_record.h): a shutdown whose release names the next holder, with
 *    a full leaseDuration and acquireTime = renewTime = now, so every other candidate waits
 *    while the named one takes it at once (renews it) — recognised by the object's handed-over
 *    note naming us (le_observe's `handed_to`) on a record that is still the hand-over itself
 *    (acquireTime = renewTime: once renewed, by us or by a twin, it is spent; our own takeovers
 *    drop a note naming us, lease_takeover_note). "*" releases as client-go does, for whoever is
 *    first.
 *  - Records are written as client-go writes them: acquireTime and leaseTransitions kept on
 *    renewal, transitions + 1 and acquireTime = now on takeover; release = holder "",
 *    leaseDurationSeconds 1, acquireTime = renewTime = now.
 *
 * All `now` values are nanoseconds of CLOCK_BOOTTIME (or a fake clock); `wall_us` is the
 * wall clock, used only for the MicroTime fields written into the Lease.
 *
 * Owns: the election state machine. Must not touch: HTTP, JSON, clocks, callbacks.
 */
#ifndef VIPD_LE_DECIDE_H
#define VIPD_LE_DECIDE_H

#include <stdbool.h>
#include <stdint.h>

#include "le_config.h"
#include "lease_record.h"

#define LE_NEVER INT64_MAX

enum le_lease_state {
	LE_LEASE_UNKNOWN, /* not read yet */
	LE_LEASE_ABSENT,  /* read: 404 */
	LE_LEASE_PRESENT,
};

struct le_state {
	/* What we observed of the Lease. */
	enum le_lease_state lease;
	struct lease_record observed;
	char rv[LEASE_RV_MAX];
	bool
	    rv_from_event; /* `rv` came from a watch event (a write reply older than it is stale) */
	int64_t observed_at; /* when `observed` last changed, our clock */
	/* What a deletion or blanking waits: the last holder's leaseDuration (0: it was us or the
	 * Lease was released; -1: no holder seen yet). */
	int64_t vacancy_wait_ns;
	bool stale; /* re-read before the next write (after a 409, 404 or error) */
	int64_t read_not_before;
	int64_t last_read_at;
	bool watching; /* a live watch reports every change: followers need not poll */

	/* Our leadership. */
	bool leading;
	int64_t renewed_at;	 /* send time of the last successful write naming us */
	int64_t our_renew_us[4]; /* renewTimes of our latest writes naming us (ring) */
	unsigned our_next;
	int64_t our_acked_us;	    /* renewTime of our last accepted write naming us (0: none) */
	bool observed_handed_to_us; /* the object's hand-over note names us (le_observe) */
	int64_t last_write_at;	    /* send time of the last write attempt: the renew tick's base */
	bool wrote_once;

	/* Shutdown: stop campaigning, then release once the caller's duties are undone. */
	bool shutting_down;
	bool duties_undone;
	bool done;
	/* Planned hand-over (le_handover): the release names this identity ("*": client-go's
	 * release, for anyone); "" for a plain shutdown. */
	char handover_to[LEASE_HOLDER_MAX];
};

enum le_act {
	LE_ACT_WAIT,	/* nothing until `wake_at` */
	LE_ACT_READ,	/* GET the Lease */
	LE_ACT_CREATE,	/* POST a Lease with `write` */
	LE_ACT_ACQUIRE, /* PUT `write` (taking over) with the observed resourceVersion */
	LE_ACT_RENEW,	/* PUT `write` (keeping it) */
	LE_ACT_RELEASE, /* PUT the release record */
	LE_ACT_DONE,	/* shut down and released (or nothing to release) */
};

struct le_decision {
	bool step_down; /* stop leading now, before anything else (le_step_down) */
	enum le_act act;
	int64_t wake_at; /* call le_decide again at this time at the latest */
	struct lease_record write;
};

/* Events for the caller's callbacks, returned by the mutators below (bitmask). */
enum {
	LE_EV_STARTED = 1 << 0,	   /* we became leader */
	LE_EV_STOPPED = 1 << 1,	   /* we stopped being leader */
	LE_EV_NEW_LEADER = 1 << 2, /* the observed holder changed (may be "" = none) */
	LE_EV_COLLISION = 1 << 3,  /* someone else wrote a record naming us (with STOPPED) */
};

/* Result of one request, as the decisions need it. */
enum le_result {
	LE_RES_OK,
	LE_RES_CONFLICT,  /* 409: Conflict or AlreadyExists */
	LE_RES_NOT_FOUND, /* 404 */
	LE_RES_ERROR,	  /* anything else: network, timeout, 5xx, 401/403, bad body */
};

void le_state_init(struct le_state *st);

/* The next action. Pure. */
void le_decide(const struct le_config *cfg, const struct le_state *st, int64_t now, int64_t wall_us,
	       struct le_decision *d);

/* Is the leadership still valid at `now`? The answer vipd asks before every announcement:
 * leading, and a renewal sent less than renewDeadline ago has succeeded. */
bool le_is_leader(const struct le_config *cfg, const struct le_state *st, int64_t now);

/* Applies a decision's step_down. Returns LE_EV_STOPPED (or 0 if not leading). */
unsigned le_step_down(struct le_state *st);

/* Where an observation comes from. */
enum le_source {
	LE_SRC_READ,  /* a GET or LIST: authoritative, applied whatever its resourceVersion */
	LE_SRC_EVENT, /* a watch event: may arrive after a newer reply, so it is ordered */
};

/* A Lease seen by a GET/LIST or a watch event (exists=false: 404 or DELETED). `handed_to` is
 * the `to` of the object's hand-over note (lease_handed_over_to; NULL or "" when none). Watch
 * events older than what we already hold (by resourceVersion, when both are integers as etcd's
 * are) are ignored; reads are never ignored (after an etcd restore versions go backwards).
 * Returns LE_EV_* bits. */
unsigned le_observe(const struct le_config *cfg, struct le_state *st, enum le_source src,
		    bool exists, const struct lease_record *rec, const char *handed_to,
		    const char *rv, int64_t now);

/* A write of `w` is being sent: if it names us, its renewTime is ours (a watch event may
 * show it before the reply arrives). */
void le_write_started(const struct le_config *cfg, struct le_state *st,
		      const struct lease_record *w);

/* A GET finished with `res` (on LE_RES_OK / LE_RES_NOT_FOUND call le_observe first). */
unsigned le_read_done(const struct le_config *cfg, struct le_state *st, enum le_result res,
		      int64_t now);

/* A write (`act` CREATE/ACQUIRE/RENEW/RELEASE, record `written`) sent at `sent_at` finished at
 * `now` with `res`; `new_rv` is the resourceVersion of the reply on success. A reply older (by
 * integer resourceVersion) than a watch event already applied is stale: it neither replaces
 * that observation nor makes us leader, unless the newer record is still the one we wrote. */
unsigned le_write_done(const struct le_config *cfg, struct le_state *st, enum le_act act,
		       const struct lease_record *written, enum le_result res, const char *new_rv,
		       int64_t sent_at, int64_t now);

/* The caller is stopping: no more campaigning; stops leading at once (returns LE_EV_STOPPED).
 * The release follows only after le_duties_undone(). */
unsigned le_shutdown(struct le_state *st);
/* A shutdown that hands the Lease to `to` (an identity, or "*" for anyone) once the caller's
 * duties are undone; the caller rejoins afterwards as a new candidate. */
unsigned le_handover(struct le_state *st, const char *to);
void le_duties_undone(struct le_state *st);

const char *le_act_name(enum le_act act);

#endif
