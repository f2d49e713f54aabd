/*
 * schedule.c — the announcement timetable (see schedule.h).
 */
#include "schedule.h"

#include <errno.h>

int announce_schedule_init(struct announce_schedule *s, uint64_t period_ms, uint64_t spacing_ms)
{
	if (period_ms < ANNOUNCE_PERIOD_MIN_MS || spacing_ms == 0 || spacing_ms >= period_ms)
		return -EINVAL;
	*s = (struct announce_schedule){.period_ms = period_ms, .spacing_ms = spacing_ms};
	return 0;
}

void announce_schedule_start(struct announce_schedule *s, uint64_t now_ms, unsigned burst)
{
	s->active = true;
	s->burst_left = burst ? burst : 1;
	s->next_ms = now_ms;
}

void announce_schedule_stop(struct announce_schedule *s)
{
	s->active = false;
	s->burst_left = 0;
}

bool announce_schedule_due(const struct announce_schedule *s, uint64_t now_ms)
{
	return s->active && now_ms >= s->next_ms;
}

void announce_schedule_sent(struct announce_schedule *s, uint64_t now_ms)
{
	if (!s->active)
		return;
	if (s->burst_left > 0)
		s->burst_left--;
	/* Spacing is counted from when a frame actually went out, so a late loop never sends
	 * two frames back to back. */
	s->next_ms = now_ms + (s->burst_left > 0 ? s->spacing_ms : s->period_ms);
}

int64_t announce_schedule_timeout_ms(const struct announce_schedule *s, uint64_t now_ms)
{
	if (!s->active)
		return -1;
	return s->next_ms > now_ms ? (int64_t)(s->next_ms - now_ms) : 0;
}
