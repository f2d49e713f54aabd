/*
 * kc_backoff.c — a stream's retry schedule: jittered exponential delays, reset only by a
 * stream that stayed up (see kc_backoff.h). Pure.
 */
#include "kc_backoff.h"

void kc_backoff_init(struct kc_backoff *b, int64_t min_ms, int64_t max_ms, int64_t healthy_ms)
{
	b->min_ms = min_ms > 0 ? min_ms : 1;
	b->max_ms = max_ms > b->min_ms ? max_ms : b->min_ms;
	b->healthy_ms = healthy_ms;
	b->cur_ms = b->min_ms;
	b->opened_at = 0;
	b->open = false;
}

int64_t kc_backoff_delay(struct kc_backoff *b, uint32_t rnd)
{
	int64_t c = b->cur_ms;
	/* Jitter in [c/2, c]: clients that failed together do not retry together. */
	int64_t delay = c / 2 + (int64_t)(rnd % (uint64_t)(c / 2 + 1));
	b->cur_ms = c > b->max_ms / 2 ? b->max_ms : c * 2;
	return delay;
}

void kc_backoff_opened(struct kc_backoff *b, int64_t now_ms)
{
	b->open = true;
	b->opened_at = now_ms;
}

bool kc_backoff_closed(struct kc_backoff *b, int64_t now_ms)
{
	bool healthy = b->open && now_ms - b->opened_at >= b->healthy_ms;
	b->open = false;
	if (healthy)
		b->cur_ms = b->min_ms;
	return healthy;
}
