/*
 * test_duties.c — the leader-duty rules on a fake clock: the VIP's kernel lifetime always ends
 * (with the kernel's lateness) before another node may take the lease, renewals push it out,
 * losing leadership deletes it, announcements follow the VIP.
 */
#include <criterion/criterion.h>

#include "duties.h"

#define GRAN 1000

static struct duty_inputs leader_at(int64_t now, int64_t renewed_at)
{
	return (struct duty_inputs){.now_ms = now,
				    .leading = true,
				    .renewed_at_ms = renewed_at,
				    .lease_ms = 5000,
				    .granularity_ms = GRAN,
				    .link_up = true,
				    .arp = true};
}

Test(duties, lifetime_never_outlives_the_lease)
{
	/* Every (renewal age, lease) pair: expiry + lateness <= renewed_at + lease. */
	for (int64_t lease = 2000; lease <= 30000; lease += 1000)
		for (int64_t age = 0; age <= lease; age += 7) {
			int64_t renewed = 100000, now = renewed + age;
			uint32_t v = duty_vip_lifetime_s(now, renewed, lease, GRAN);
			if (v == 0)
				continue;
			int64_t gone_by = now + DUTY_REQUEST_SLACK_MS + (int64_t)v * 1000 + GRAN;
			cr_assert_leq(gone_by, renewed + lease, "lease %lld age %lld valid %u",
				      (long long)lease, (long long)age, v);
		}
}

Test(duties, lifetime_figures_at_minikube_and_default_timings)
{
	/* 5/3/1 just after a renewal: 3 s; at the renew deadline (3 s old): still 0 < x. */
	cr_assert_eq(duty_vip_lifetime_s(10, 0, 5000, GRAN), 3);
	cr_assert_eq(duty_vip_lifetime_s(2900, 0, 5000, GRAN), 1);
	cr_assert_eq(duty_vip_lifetime_s(3950, 0, 5000, GRAN), 0);
	/* 15/10/2 */
	cr_assert_eq(duty_vip_lifetime_s(10, 0, 15000, GRAN), 13);
	cr_assert_eq(duty_vip_lifetime_s(9999, 0, 15000, GRAN), 3);
}

Test(duties, taking_over_sets_the_vip_and_bursts)
{
	struct duty_inputs in = leader_at(1000, 990);
	struct duty_plan p;
	duty_plan(&in, &p);
	cr_assert_eq(p.vip, DUTY_VIP_SET);
	cr_assert_eq(p.valid_s, 3);
	cr_assert_eq(p.announce, DUTY_ANNOUNCE_START);
}

Test(duties, a_renewal_pushes_the_expiry_out_and_nothing_else)
{
	struct duty_inputs in = leader_at(2000, 1990);
	in.vip_on = true;
	in.vip_expires_ms = 1000 + 3000; /* set at 1000 with 3 s */
	in.announcing = true;
	struct duty_plan p;
	duty_plan(&in, &p);
	cr_assert_eq(p.vip, DUTY_VIP_SET);
	cr_assert_eq(p.valid_s, 3);
	cr_assert_eq(p.announce, DUTY_ANNOUNCE_KEEP);

	/* Same instant again (no new renewal): nothing to do. */
	in.vip_expires_ms = 2000 + 3000;
	duty_plan(&in, &p);
	cr_assert_eq(p.vip, DUTY_VIP_KEEP);
	cr_assert_eq(p.announce, DUTY_ANNOUNCE_KEEP);
}

Test(duties, a_vip_removed_behind_our_back_is_put_back_and_announced)
{
	struct duty_inputs in = leader_at(5000, 4800);
	in.vip_on = false; /* the monitor saw it go */
	in.announcing = true;
	struct duty_plan p;
	duty_plan(&in, &p);
	cr_assert_eq(p.vip, DUTY_VIP_SET);
	cr_assert_eq(p.announce, DUTY_ANNOUNCE_START);
}

Test(duties, late_renewals_leave_no_safe_lifetime)
{
	struct duty_inputs in = leader_at(4000, 0); /* still "leading" by a long renewDeadline */
	in.vip_on = true;
	in.vip_expires_ms = 4500;
	in.announcing = true;
	struct duty_plan p;
	duty_plan(&in, &p);
	cr_assert_eq(p.vip, DUTY_VIP_DELETE);
	cr_assert_eq(p.announce, DUTY_ANNOUNCE_STOP);
}

Test(duties, losing_leadership_deletes_unless_preserved)
{
	struct duty_inputs in = {.now_ms = 1, .vip_on = true, .announcing = true, .arp = true};
	struct duty_plan p;
	duty_plan(&in, &p);
	cr_assert_eq(p.vip, DUTY_VIP_DELETE);
	cr_assert_eq(p.announce, DUTY_ANNOUNCE_STOP);
	in.preserve = true;
	duty_plan(&in, &p);
	cr_assert_eq(p.vip, DUTY_VIP_KEEP);
	cr_assert_eq(p.announce, DUTY_ANNOUNCE_STOP);
}

Test(duties, no_announcements_without_arp_or_link)
{
	struct duty_inputs in = leader_at(1000, 990);
	in.arp = false;
	struct duty_plan p;
	duty_plan(&in, &p);
	cr_assert_eq(p.vip, DUTY_VIP_SET);
	cr_assert_eq(p.announce, DUTY_ANNOUNCE_KEEP);
	in.arp = true;
	in.link_up = false;
	in.announcing = true;
	in.vip_on = true;
	in.vip_expires_ms = 0;
	duty_plan(&in, &p);
	cr_assert_eq(p.announce, DUTY_ANNOUNCE_STOP);
}
