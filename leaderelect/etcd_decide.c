/*
 * etcd_decide.c — the etcd follower's read schedule and the meaning of a read (see
 * etcd_decide.h). Pure.
 */
#include "etcd_decide.h"

struct etcd_follow_out etcd_follow_decide(const struct etcd_follow_in *in, int64_t now)
{
	struct etcd_follow_out out = {.read = ETCD_READ_NONE, .wake = INT64_MAX};
	if (in->need_range) {
		out.read = ETCD_READ_RANGE;
		return out;
	}
	int64_t due = in->last_read + in->retry_ns;
	if (now < due) {
		out.wake = due;
		return out;
	}
	out.read = in->watch_live ? ETCD_READ_CHECK : ETCD_READ_RANGE;
	return out;
}

enum etcd_read_verdict etcd_read_verdict(const struct etcd_kv *kv, int64_t watch_next_rev)
{
	if (!kv->present)
		return ETCD_CAMPAIGN;
	if (watch_next_rev > 0 && kv->mod_rev >= watch_next_rev)
		return ETCD_REWATCH;
	return ETCD_KEEP_FOLLOWING;
}
