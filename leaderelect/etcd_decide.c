/*
 * etcd_decide.c — the etcd follower's read schedule, the meaning of a read, and when a vanished
 * key may be taken (see etcd_decide.h). Pure.
 */
#include "etcd_decide.h"

#include <string.h>

/* etcd's own ceiling is 9e9 s; this keeps `sent + ttl` far from overflowing (~3 years). */
#define TTL_MAX_S 100000000LL

struct etcd_follow_out etcd_follow_decide(const struct etcd_follow_in *in, int64_t now)
{
	struct etcd_follow_out out = {.read = ETCD_READ_NONE, .wake = INT64_MAX};
	if (in->gone_ask)
		out.read = ETCD_READ_LEASE; /* first: it decides when we may campaign */
	else if (in->campaign_at && now >= in->campaign_at)
		out.read = ETCD_READ_CAMPAIGN;
	else if (in->need_range)
		out.read = ETCD_READ_RANGE;
	else if (in->lease_due)
		out.read = ETCD_READ_LEASE;
	if (out.read != ETCD_READ_NONE)
		return out;
	int64_t due = in->last_read + in->retry_ns;
	if (now < due) {
		out.wake = in->campaign_at && in->campaign_at < due ? in->campaign_at : due;
		return out;
	}
	out.read = in->watch_live ? ETCD_READ_CHECK : ETCD_READ_RANGE;
	return out;
}

enum etcd_read_verdict etcd_read_verdict(const struct etcd_kv *kv, int64_t watch_next_rev)
{
	if (!kv->present)
		return ETCD_KEY_GONE;
	if (watch_next_rev > 0 && kv->mod_rev >= watch_next_rev)
		return ETCD_REWATCH;
	return ETCD_KEEP_FOLLOWING;
}

void etcd_holder_lease_set(struct etcd_holder_lease *hl, int64_t id)
{
	if (hl->id == id)
		return;
	hl->id = id;
	hl->expires_min = 0;
	hl->granted_ns = 0;
}

static int64_t clamp_s(int64_t s)
{
	return s > TTL_MAX_S ? TTL_MAX_S : s;
}

void etcd_holder_lease_timed(struct etcd_holder_lease *hl, int64_t sent, int64_t ttl_s,
			     int64_t granted_s)
{
	if (ttl_s < 0)
		return; /* gone: what we knew of it stands */
	int64_t expires = sent + clamp_s(ttl_s) * ETCD_NS_PER_S;
	if (expires > hl->expires_min)
		hl->expires_min = expires;
	if (granted_s > 0)
		hl->granted_ns = clamp_s(granted_s) * ETCD_NS_PER_S;
}

/* The holder's leaseDuration: its lease's granted TTL when we timed it, else ours. */
static int64_t holder_wait(const struct etcd_gone_in *in)
{
	const struct etcd_holder_lease *hl = in->hl;
	if (hl && hl->id == in->last->lease && hl->granted_ns > 0)
		return hl->granted_ns;
	return in->lease_ns;
}

/* The holder's lease is gone: expired (at once) or revoked early (wait)? */
static enum etcd_gone_why lease_gone_why(const struct etcd_gone_in *in)
{
	const struct etcd_holder_lease *hl = in->hl;
	if (!hl || hl->id != in->last->lease || !hl->expires_min)
		return ETCD_GONE_UNKNOWN; /* never timed: cannot tell */
	if (in->seen + in->retry_ns < hl->expires_min)
		return ETCD_GONE_REVOKED;
	return ETCD_GONE_EXPIRED;
}

struct etcd_gone_out etcd_gone_decide(const struct etcd_gone_in *in)
{
	struct etcd_gone_out out = {.why = ETCD_GONE_UNHELD, .campaign_at = in->seen};
	const struct etcd_kv *last = in->last;
	if (!last->present || !strcmp(last->value, in->identity))
		return out;
	if (etcd_kv_released(last)) {
		if (!last->handover_to[0])
			out.why = ETCD_GONE_RELEASED;
		else if (!strcmp(last->handover_to, in->identity))
			out.why = ETCD_GONE_HANDED_TO_US;
		else { /* the named one campaigns; the others wait */
			out.why = ETCD_GONE_HANDED_OVER;
			out.campaign_at = in->seen + in->lease_ns;
		}
		return out;
	}
	if (!last->lease) {
		out.why = ETCD_GONE_BY_HAND; /* no lease to expire: someone deleted it */
	} else {
		switch (in->answer) {
		case ETCD_LEASE_UNASKED:
			out.ask = true;
			return out;
		case ETCD_LEASE_FAILED:
			out.why = ETCD_GONE_UNKNOWN;
			break;
		case ETCD_LEASE_ALIVE:
			out.why = ETCD_GONE_BY_HAND;
			break;
		case ETCD_LEASE_GONE:
			out.why = lease_gone_why(in);
			if (out.why == ETCD_GONE_EXPIRED)
				return out;
			break;
		}
	}
	out.campaign_at = in->seen + holder_wait(in);
	return out;
}

const char *etcd_gone_name(enum etcd_gone_why why)
{
	switch (why) {
	case ETCD_GONE_RELEASED:
		return "released";
	case ETCD_GONE_UNHELD:
		return "no other holder";
	case ETCD_GONE_HANDED_TO_US:
		return "handed over to us";
	case ETCD_GONE_HANDED_OVER:
		return "handed over to another candidate";
	case ETCD_GONE_EXPIRED:
		return "its lease expired";
	case ETCD_GONE_BY_HAND:
		return "deleted while its lease lives";
	case ETCD_GONE_REVOKED:
		return "its lease was revoked before it could expire";
	case ETCD_GONE_UNKNOWN:
		return "cannot tell expiry from an early revoke";
	}
	return "?";
}
