/*
 * test_schedule.c — the announcement timetable on a fake clock.
 */
#include <criterion/criterion.h>
#include <errno.h>

#include "schedule.h"

Test(schedule, rejects_bad_periods)
{
	struct announce_schedule s;
	cr_assert_eq(announce_schedule_init(&s, 499, 50), -EINVAL);
	cr_assert_eq(announce_schedule_init(&s, 500, 0), -EINVAL);
	cr_assert_eq(announce_schedule_init(&s, 500, 500), -EINVAL);
	cr_assert_eq(announce_schedule_init(&s, 500, 50), 0);
}

Test(schedule, idle_until_started)
{
	struct announce_schedule s;
	announce_schedule_init(&s, 3000, 50);
	cr_assert_not(announce_schedule_due(&s, 0));
	cr_assert_eq(announce_schedule_timeout_ms(&s, 0), -1);
}

Test(schedule, burst_then_periodic)
{
	struct announce_schedule s;
	announce_schedule_init(&s, 3000, 50);
	uint64_t now = 10000;
	announce_schedule_start(&s, now, 3);
	/* The first frame is due the moment leadership is taken. */
	cr_assert(announce_schedule_due(&s, now));
	cr_assert_eq(announce_schedule_timeout_ms(&s, now), 0);
	uint64_t sent_at[6];
	for (int i = 0; i < 6; i++) {
		int64_t wait = announce_schedule_timeout_ms(&s, now);
		cr_assert_geq(wait, 0);
		now += (uint64_t)wait;
		cr_assert(announce_schedule_due(&s, now));
		sent_at[i] = now;
		announce_schedule_sent(&s, now);
	}
	cr_assert_eq(sent_at[0], 10000);
	cr_assert_eq(sent_at[1], 10050);
	cr_assert_eq(sent_at[2], 10100);
	cr_assert_eq(sent_at[3], 13100);
	cr_assert_eq(sent_at[4], 16100);
	cr_assert_eq(sent_at[5], 19100);
}

Test(schedule, late_loop_keeps_spacing)
{
	struct announce_schedule s;
	announce_schedule_init(&s, 1000, 50);
	announce_schedule_start(&s, 0, 3);
	announce_schedule_sent(&s, 0);
	/* The loop woke 200 ms late: the next frame goes now, the one after 50 ms later. */
	cr_assert(announce_schedule_due(&s, 250));
	announce_schedule_sent(&s, 250);
	cr_assert_not(announce_schedule_due(&s, 299));
	cr_assert(announce_schedule_due(&s, 300));
}

Test(schedule, stop_and_restart)
{
	struct announce_schedule s;
	announce_schedule_init(&s, 3000, 50);
	announce_schedule_start(&s, 0, 3);
	announce_schedule_sent(&s, 0);
	announce_schedule_stop(&s);
	cr_assert_not(announce_schedule_due(&s, 100000));
	announce_schedule_sent(&s, 100000); /* ignored while stopped */
	cr_assert_not(announce_schedule_due(&s, 200000));
	announce_schedule_start(&s, 200000, 2);
	cr_assert(announce_schedule_due(&s, 200000));
}
