/*
 * duties.c — the leader-duty rules (see duties.h): hold the VIP with a kernel lifetime that
 * cannot outlive the lease, announce while holding it, drop both the moment leadership ends.
 */
#include "duties.h"

uint32_t duty_vip_lifetime_s(int64_t now_ms, int64_t renewed_at_ms, int64_t lease_ms,
			     int64_t granularity_ms)
{
	int64_t must_be_gone = renewed_at_ms + lease_ms;
	int64_t room = must_be_gone - granularity_ms - DUTY_REQUEST_SLACK_MS - now_ms;
	if (room < 1000)
		return 0;
	int64_t s = room / 1000; /* whole seconds, rounded down: the safe side */
	return s > 0xfffffffeLL ? 0xfffffffeU : (uint32_t)s;
}

/* Leading: (re)set the VIP when it is missing or when a renewal lets its expiry move later. */
static void plan_leader(const struct duty_inputs *in, struct duty_plan *out)
{
	uint32_t valid =
	    duty_vip_lifetime_s(in->now_ms, in->renewed_at_ms, in->lease_ms, in->granularity_ms);
	if (valid == 0) {
		/* No lifetime is safe (renewals are late): hold nothing until the next one. */
		out->vip = in->vip_on ? DUTY_VIP_DELETE : DUTY_VIP_KEEP;
		out->announce = in->announcing ? DUTY_ANNOUNCE_STOP : DUTY_ANNOUNCE_KEEP;
		return;
	}
	int64_t new_expiry = in->now_ms + (int64_t)valid * 1000;
	if (!in->vip_on || new_expiry > in->vip_expires_ms) {
		out->vip = DUTY_VIP_SET;
		out->valid_s = valid;
	}
	/* A fresh VIP (or one put back) is announced at once, with a burst. */
	if (in->arp && in->link_up && (!in->vip_on || !in->announcing))
		out->announce = DUTY_ANNOUNCE_START;
	else if ((!in->arp || !in->link_up) && in->announcing)
		out->announce = DUTY_ANNOUNCE_STOP;
}

void duty_plan(const struct duty_inputs *in, struct duty_plan *out)
{
	*out = (struct duty_plan){.vip = DUTY_VIP_KEEP, .announce = DUTY_ANNOUNCE_KEEP};
	if (in->leading) {
		plan_leader(in, out);
		return;
	}
	/* Not leading: delete first, then stop announcing. */
	if (in->vip_on && !in->preserve)
		out->vip = DUTY_VIP_DELETE;
	if (in->announcing)
		out->announce = DUTY_ANNOUNCE_STOP;
}

const char *duty_vip_name(enum duty_vip v)
{
	switch (v) {
	case DUTY_VIP_SET:
		return "set";
	case DUTY_VIP_DELETE:
		return "delete";
	default:
		return "keep";
	}
}
