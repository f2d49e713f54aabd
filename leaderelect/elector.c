/*
 * elector.c — what the Lease and etcd backends share: the stepper (a re-entrancy guard around
 * their step(), and its wake-up timer) and the request timeout.
 */
#include "elector.h"

#include "clock.h"

#define NS_PER_MS 1000000LL

void elector_stepper_init(struct elector_stepper *s, struct kc_client *kc, elector_pass_fn pass,
			  void *impl)
{
	*s = (struct elector_stepper){.kc = kc, .pass = pass, .impl = impl};
}

static void timer_fired(void *arg)
{
	elector_step(arg);
}

void elector_step(struct elector_stepper *s)
{
	if (s->in_step) {
		s->again = true;
		return;
	}
	s->in_step = true;
	do {
		s->again = false;
		int64_t now = clock_boot_ns();
		int64_t wake = s->pass(s->impl, now);
		if (wake == ELECTOR_NEVER) {
			kc_timer_disarm(s->kc, &s->timer);
		} else {
			/* Rounded up: woken early, a pass would find nothing due and sleep again.
			 */
			int64_t ms = (wake - now + NS_PER_MS - 1) / NS_PER_MS;
			kc_timer_arm(s->kc, &s->timer, ms < 0 ? 0 : ms, timer_fired, s);
		}
	} while (s->again);
	s->in_step = false;
}

void elector_stepper_stop(struct elector_stepper *s)
{
	kc_timer_disarm(s->kc, &s->timer);
}

long elector_request_timeout_ms(const struct le_timing *t)
{
	int64_t half = t->renew_ms / 2;
	return (long)(half > t->retry_ms ? half : t->retry_ms);
}
