/*
 * schedule — when the next announcement is due. A pure state machine over a caller's
 * monotonic milliseconds, so fake clocks test it.
 *
 * On takeover: a burst (default 3 frames, 50 ms apart), the first at once — kube-vip sends
 * nothing for up to one period after winning, keepalived bursts immediately; we burst. Then one
 * frame every period (kube-vip's vip_arpRate, default 3000 ms, minimum 500).
 */
#ifndef VIPD_SCHEDULE_H
#define VIPD_SCHEDULE_H

#include <stdbool.h>
#include <stdint.h>

#define ANNOUNCE_PERIOD_DEFAULT_MS  3000
#define ANNOUNCE_PERIOD_MIN_MS	    500
#define ANNOUNCE_BURST_DEFAULT	    3
#define ANNOUNCE_SPACING_DEFAULT_MS 50

struct announce_schedule {
	uint64_t period_ms;
	uint64_t spacing_ms;
	unsigned burst_left; /* frames of the current burst still to send */
	uint64_t next_ms;    /* when the next frame is due */
	bool active;
};

/* -EINVAL when period < ANNOUNCE_PERIOD_MIN_MS or spacing is 0 or >= period. */
int announce_schedule_init(struct announce_schedule *s, uint64_t period_ms, uint64_t spacing_ms);

/* Starts (or restarts) announcing: `burst` frames from now, then periodic. */
void announce_schedule_start(struct announce_schedule *s, uint64_t now_ms, unsigned burst);
void announce_schedule_stop(struct announce_schedule *s);

bool announce_schedule_due(const struct announce_schedule *s, uint64_t now_ms);

/* Records that a frame was sent at `now_ms` and moves `next_ms` on. */
void announce_schedule_sent(struct announce_schedule *s, uint64_t now_ms);

/* Milliseconds until the next frame (0 when due), or -1 when stopped: a poll() timeout. */
int64_t announce_schedule_timeout_ms(const struct announce_schedule *s, uint64_t now_ms);

#endif
