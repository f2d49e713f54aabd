/*
 * le_decide.c — the Lease election state machine (see le_decide.h for the rules). Every
 * function here is deterministic in its arguments; the I/O layer (lease_elector.c) only
 * carries out what le_decide() returns and reports results back.
 */
#include "le_decide.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NS_PER_MS 1000000LL

static int64_t ms_ns(int64_t ms)
{
	return ms * NS_PER_MS;
}

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

void le_state_init(struct le_state *st)
{
	memset(st, 0, sizeof(*st));
	st->lease = LE_LEASE_UNKNOWN;
	st->vacancy_wait_ns = -1;
}

const char *le_act_name(enum le_act act)
{
	static const char *const names[] = {"wait",  "read",	"create", "acquire",
					    "renew", "release", "done"};
	return (unsigned)act < sizeof(names) / sizeof(names[0]) ? names[act] : "?";
}

bool le_is_leader(const struct le_config *cfg, const struct le_state *st, int64_t now)
{
	return st->leading && !st->shutting_down && now < st->renewed_at + ms_ns(cfg->t.renew_ms);
}

#define RING_LEN (sizeof(((struct le_state *)0)->our_renew_us) / sizeof(int64_t))

/* `rec`'s renewTime is one we wrote. */
static bool renew_is_ours(const struct le_state *st, const struct lease_record *rec)
{
	if (!rec->has_renew)
		return false;
	if (st->our_acked_us && rec->renew_us == st->our_acked_us)
		return true;
	for (size_t i = 0; i < RING_LEN; i++)
		if (st->our_renew_us[i] && st->our_renew_us[i] == rec->renew_us)
			return true;
	return false;
}

/* The observed record is the hand-over record addressed to us, not yet renewed by anyone: the
 * old holder writes it with acquireTime = renewTime; a renewal keeps acquireTime. */
static bool handed_to_us(const struct le_state *st)
{
	const struct lease_record *r = &st->observed;
	return st->observed_handed_to_us && r->has_acquire && r->has_renew &&
	       r->acquire_us == r->renew_us;
}

/* The observed record is ours to renew or release: it names us and we wrote it (or lead with
 * it: a record naming us we did not write ends our leadership in le_observe), or it is a
 * hand-over addressed to us. Another record naming us is a twin's: waited for like any. */
static bool is_ours(const struct le_config *cfg, const struct le_state *st)
{
	if (st->lease != LE_LEASE_PRESENT || strcmp(st->observed.holder, cfg->identity))
		return false;
	return st->leading || renew_is_ours(st, &st->observed) || handed_to_us(st);
}

/* The record we write to take or keep the Lease, as client-go builds it. */
static void build_claim(const struct le_config *cfg, const struct le_state *st, bool keep,
			int64_t wall_us, struct lease_record *w)
{
	memset(w, 0, sizeof(*w));
	strcpy(w->holder, cfg->identity); /* LE_IDENTITY_MAX < LEASE_HOLDER_MAX */
	w->duration_s = (int32_t)(cfg->t.lease_ms / 1000);
	w->has_renew = true;
	w->renew_us = wall_us;
	if (keep) {
		/* Renewal: acquireTime and leaseTransitions are carried over. */
		w->has_acquire = st->observed.has_acquire;
		w->acquire_us = st->observed.acquire_us;
		w->transitions = st->observed.transitions;
	} else {
		w->has_acquire = true;
		w->acquire_us = wall_us;
		w->transitions = st->lease == LE_LEASE_PRESENT ? st->observed.transitions + 1 : 0;
	}
}

/* What we wait for a silent holder: its own leaseDurationSeconds (as client-go does), or ours
 * when the record gives none (client-go would take such a record at once; waiting is safer). */
static int64_t holder_wait_ns(const struct le_config *cfg, const struct lease_record *rec)
{
	return rec->duration_s > 0 ? (int64_t)rec->duration_s * 1000 * NS_PER_MS
				   : ms_ns(cfg->t.lease_ms);
}

/* The record client-go's release writes. */
static bool is_release(const struct lease_record *rec)
{
	return rec->holder[0] == '\0' && rec->duration_s == 1;
}

/* Remembers what a later deletion or blanking of `rec` must wait (`ours`: rec is our record). */
static void note_holder(const struct le_config *cfg, struct le_state *st,
			const struct lease_record *rec, bool ours)
{
	if (rec->holder[0])
		st->vacancy_wait_ns = ours ? 0 : holder_wait_ns(cfg, rec);
	else if (is_release(rec))
		st->vacancy_wait_ns = 0;
}

/* The instant a follower may create or take the Lease (our clock). */
static int64_t takeover_at(const struct le_config *cfg, const struct le_state *st)
{
	if (st->lease == LE_LEASE_ABSENT)
		return st->observed_at + (st->vacancy_wait_ns > 0 ? st->vacancy_wait_ns : 0);
	if (st->observed.holder[0])
		return st->observed_at + holder_wait_ns(cfg, &st->observed);
	if (is_release(&st->observed))
		return INT64_MIN;
	return st->observed_at + (st->vacancy_wait_ns >= 0 ? st->vacancy_wait_ns
							   : holder_wait_ns(cfg, &st->observed));
}

/* client-go's release (holder "", leaseDurationSeconds 1), or a hand-over: the next holder
 * named, with our full duration, as a takeover would write it (transitions + 1). */
static void build_release(const struct le_config *cfg, const struct le_state *st, int64_t wall_us,
			  struct lease_record *w)
{
	memset(w, 0, sizeof(*w));
	w->has_acquire = w->has_renew = true;
	w->acquire_us = w->renew_us = wall_us;
	w->transitions = st->observed.transitions;
	if (!st->handover_to[0] || !strcmp(st->handover_to, LEASE_HANDOVER_ANY)) {
		w->duration_s = 1;
		return;
	}
	strcpy(w->holder, st->handover_to);
	w->duration_s = (int32_t)((cfg->t.lease_ms + 999) / 1000);
	w->transitions = st->observed.transitions + 1;
}

static void decide_read(const struct le_state *st, int64_t now, struct le_decision *d)
{
	if (now >= st->read_not_before)
		d->act = LE_ACT_READ;
	else
		d->wake_at = min64(d->wake_at, st->read_not_before);
}

void le_decide(const struct le_config *cfg, const struct le_state *st, int64_t now, int64_t wall_us,
	       struct le_decision *d)
{
	memset(d, 0, sizeof(*d));
	d->act = LE_ACT_WAIT;
	d->wake_at = LE_NEVER;

	int64_t renew_ns = ms_ns(cfg->t.renew_ms), retry_ns = ms_ns(cfg->t.retry_ms);
	if (st->leading && now >= st->renewed_at + renew_ns)
		d->step_down = true;
	bool leading = st->leading && !d->step_down;
	if (leading)
		d->wake_at = st->renewed_at + renew_ns; /* the instant we must stop */

	if (st->done) {
		d->act = LE_ACT_DONE;
		return;
	}
	if (st->shutting_down) {
		if (!st->duties_undone)
			return; /* the caller confirms first; then we are called again */
		if (st->lease == LE_LEASE_UNKNOWN) {
			d->act =
			    LE_ACT_DONE; /* never seen: never ours (client-go's release agrees) */
		} else if (st->stale) {
			decide_read(st, now, d);
		} else if (is_ours(cfg, st)) {
			build_release(cfg, st, wall_us, &d->write);
			d->act = LE_ACT_RELEASE;
		} else {
			d->act = LE_ACT_DONE;
		}
		return;
	}
	if (st->lease == LE_LEASE_UNKNOWN || st->stale) {
		decide_read(st, now, d);
		return;
	}
	if (is_ours(cfg, st)) {
		/* Ours: renew every retryPeriod while leading; at once when we are not leading (we
		 * stepped down while the API was unreachable, or it is a hand-over to us). */
		int64_t next = leading && st->wrote_once ? st->last_write_at + retry_ns : now;
		if (now >= next) {
			d->act = LE_ACT_RENEW;
			build_claim(cfg, st, true, wall_us, &d->write);
		} else {
			d->wake_at = min64(d->wake_at, next);
		}
		return;
	}
	int64_t expiry = takeover_at(cfg, st);
	if (now >= expiry) {
		d->act = st->lease == LE_LEASE_ABSENT ? LE_ACT_CREATE : LE_ACT_ACQUIRE;
		build_claim(cfg, st, false, wall_us, &d->write);
		return;
	}
	d->wake_at = min64(d->wake_at, expiry);
	if (!st->watching) {
		/* No watch: poll like client-go, every retryPeriod. */
		int64_t poll = st->last_read_at + retry_ns;
		if (now >= poll)
			d->act = LE_ACT_READ;
		else
			d->wake_at = min64(d->wake_at, poll);
	}
}

unsigned le_step_down(struct le_state *st)
{
	if (!st->leading)
		return 0;
	st->leading = false;
	return LE_EV_STOPPED;
}

/* resourceVersions are opaque to clients, but the apiserver's are etcd revisions: decimal
 * integers that only grow. When both are integers, a smaller one is an older event (a watch
 * event that arrives after the reply to our own later write). */
static bool rv_older(const char *a, const char *b)
{
	char *ea, *eb;
	if (!a || !*a || !b || !*b || *a == '-' || *b == '-')
		return false;
	unsigned long long na = strtoull(a, &ea, 10), nb = strtoull(b, &eb, 10);
	if (*ea || *eb)
		return false;
	return na < nb;
}

void le_write_started(const struct le_config *cfg, struct le_state *st,
		      const struct lease_record *w)
{
	if (strcmp(w->holder, cfg->identity))
		return;
	st->our_renew_us[st->our_next] = w->renew_us;
	st->our_next = (st->our_next + 1) % RING_LEN;
}

/* A record naming us that we did not write. */
static bool written_by_another(const struct le_config *cfg, const struct le_state *st,
			       const struct lease_record *rec)
{
	return st->leading && !strcmp(rec->holder, cfg->identity) && !renew_is_ours(st, rec);
}

unsigned le_observe(const struct le_config *cfg, struct le_state *st, enum le_source src,
		    bool exists, const struct lease_record *rec, const char *handed_to,
		    const char *rv, int64_t now)
{
	if (src == LE_SRC_EVENT && st->lease != LE_LEASE_UNKNOWN && rv_older(rv, st->rv))
		return 0;
	unsigned ev = 0;
	bool was_present = st->lease == LE_LEASE_PRESENT;
	char old_holder[LEASE_HOLDER_MAX];
	strcpy(old_holder, was_present ? st->observed.holder : "");
	bool first = st->lease == LE_LEASE_UNKNOWN;

	st->observed_handed_to_us = exists && handed_to && !strcmp(handed_to, cfg->identity);
	if (!exists) {
		if (st->lease != LE_LEASE_ABSENT) {
			memset(&st->observed, 0, sizeof(st->observed));
			st->observed_at = now;
		}
		st->lease = LE_LEASE_ABSENT;
		st->rv[0] = '\0';
		if (rv && strlen(rv) < LEASE_RV_MAX)
			strcpy(st->rv, rv);
	} else {
		if (written_by_another(cfg, st, rec))
			ev |= LE_EV_COLLISION | le_step_down(st);
		if (!was_present || !lease_record_equal(&st->observed, rec)) {
			st->observed = *rec;
			st->observed_at = now;
		}
		st->lease = LE_LEASE_PRESENT;
		note_holder(cfg, st, rec, is_ours(cfg, st));
		st->rv[0] = '\0';
		if (rv && strlen(rv) < LEASE_RV_MAX)
			strcpy(st->rv, rv);
	}
	st->rv_from_event = src == LE_SRC_EVENT;
	st->stale = false;
	const char *holder = exists ? st->observed.holder : "";
	if (strcmp(old_holder, holder) || (first && holder[0]))
		ev |= LE_EV_NEW_LEADER;
	if (st->leading && strcmp(holder, cfg->identity))
		ev |= le_step_down(st);
	return ev;
}

unsigned le_read_done(const struct le_config *cfg, struct le_state *st, enum le_result res,
		      int64_t now)
{
	st->last_read_at = now;
	if (res == LE_RES_OK || res == LE_RES_NOT_FOUND) {
		st->stale = false;
		st->read_not_before = now;
		return 0;
	}
	st->read_not_before = now + ms_ns(cfg->t.retry_ms);
	return 0;
}

/* The reply to our write is older than the watch event we already applied. */
static bool reply_is_stale(const struct le_state *st, const char *new_rv)
{
	return st->lease != LE_LEASE_UNKNOWN && st->rv_from_event && rv_older(new_rv, st->rv);
}

/* A successful write's reply becomes the observation. */
static unsigned apply_reply(const struct le_config *cfg, struct le_state *st,
			    const struct lease_record *written, const char *new_rv, int64_t now)
{
	bool ours = !strcmp(written->holder, cfg->identity);
	note_holder(cfg, st, written, ours);
	if (ours)
		st->our_acked_us = written->has_renew ? written->renew_us : 0;
	st->observed_handed_to_us = false; /* a hand-over to us is spent once we write */
	unsigned ev = 0;
	const char *old_holder = st->lease == LE_LEASE_PRESENT ? st->observed.holder : "";
	if (strcmp(old_holder, written->holder))
		ev |= LE_EV_NEW_LEADER;
	st->observed = *written;
	st->observed_at = now;
	st->lease = LE_LEASE_PRESENT;
	st->stale = false;
	st->rv[0] = '\0';
	st->rv_from_event = false;
	if (new_rv && strlen(new_rv) < LEASE_RV_MAX)
		strcpy(st->rv, new_rv);
	return ev;
}

unsigned le_write_done(const struct le_config *cfg, struct le_state *st, enum le_act act,
		       const struct lease_record *written, enum le_result res, const char *new_rv,
		       int64_t sent_at, int64_t now)
{
	unsigned ev = 0;
	st->last_write_at = sent_at;
	st->wrote_once = true;
	if (res != LE_RES_OK) {
		st->stale = true;
		/* A conflict means the record moved: re-read now, write again at the next tick. An
		 * error is retried at the next tick. */
		st->read_not_before = res == LE_RES_ERROR ? sent_at + ms_ns(cfg->t.retry_ms) : now;
		if (st->read_not_before < now)
			st->read_not_before = now;
		return 0;
	}
	if (reply_is_stale(st, new_rv)) {
		/* A newer event was applied: it stands. Leading only if it still shows our write.
		 */
		if (act == LE_ACT_RELEASE)
			st->done = true;
		if (act == LE_ACT_RELEASE || st->lease != LE_LEASE_PRESENT ||
		    !lease_record_equal(&st->observed, written))
			return 0;
	} else {
		ev |= apply_reply(cfg, st, written, new_rv, now);
	}
	if (act == LE_ACT_RELEASE) {
		st->done = true;
		return ev;
	}
	if (strcmp(written->holder, cfg->identity))
		return ev;
	/* Leading from the send time on, and only if that is still within renewDeadline (a reply
	 * that arrives late — say after SIGSTOP — does not make us leader). */
	if (sent_at > st->renewed_at)
		st->renewed_at = sent_at;
	if (!st->shutting_down && now < st->renewed_at + ms_ns(cfg->t.renew_ms) && !st->leading) {
		st->leading = true;
		ev |= LE_EV_STARTED;
	}
	return ev;
}

unsigned le_shutdown(struct le_state *st)
{
	st->shutting_down = true;
	return le_step_down(st);
}

unsigned le_handover(struct le_state *st, const char *to)
{
	snprintf(st->handover_to, sizeof(st->handover_to), "%s", to);
	return le_shutdown(st);
}

void le_duties_undone(struct le_state *st)
{
	st->duties_undone = true;
}
