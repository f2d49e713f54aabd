/*
 * kc_backoff — the retry schedule of a long-lived stream (a watch), pure: no clock reads, no
 * randomness of its own, so it is tested on a fake clock (tests/leaderelect/test_kc_watch.c).
 *
 *   kc_backoff_delay()   the wait before the next attempt: jittered in [b/2, b], then b doubles
 *                        up to max_ms
 *   kc_backoff_opened()  the stream opened (its reply headers arrived) — that alone proves
 *                        nothing: a server that accepts and then drops opens every time
 *   kc_backoff_closed()  the stream ended. It was *healthy* if it stayed open for healthy_ms;
 *                        only then is the schedule reset to min_ms and the owner may go again
 *                        at once (continue the watch, list after 410 or a bad event). Any
 *                        other ending waits kc_backoff_delay(), so a server that accepts and
 *                        drops, or sends a bad line each time, sees a bounded request rate.
 *
 * Times are milliseconds of the caller's clock (CLOCK_BOOTTIME in kc_watch).
 *
 * Owns: the schedule. Must not touch: timers, sockets.
 */
#ifndef VIPD_KC_BACKOFF_H
#define VIPD_KC_BACKOFF_H

#include <stdbool.h>
#include <stdint.h>

struct kc_backoff {
	int64_t min_ms, max_ms, healthy_ms;
	int64_t cur_ms;	   /* the next delay's upper bound */
	int64_t opened_at; /* when the running stream opened */
	bool open;
};

void kc_backoff_init(struct kc_backoff *b, int64_t min_ms, int64_t max_ms, int64_t healthy_ms);
/* `rnd` is any random number (kc_client_rand()); returns the delay in ms. */
int64_t kc_backoff_delay(struct kc_backoff *b, uint32_t rnd);
void kc_backoff_opened(struct kc_backoff *b, int64_t now_ms);
/* true: the stream that just ended was healthy (the schedule is reset). */
bool kc_backoff_closed(struct kc_backoff *b, int64_t now_ms);

#endif
