/*
 * kc_loop.c — kc_client ↔ loop glue (see kc_loop.h).
 */
#include "kc_loop.h"

#include <poll.h>

static void on_ready(struct loop *l, int fd, unsigned events, void *arg)
{
	(void)l;
	struct kc_loop *a = arg;
	short rev =
	    (short)((events & LOOP_READ ? POLLIN : 0) | (events & LOOP_WRITE ? POLLOUT : 0) |
		    (events & LOOP_ERROR ? POLLERR : 0));
	if (a->kc)
		kc_client_on_fd(a->kc, fd, rev);
}

void kc_loop_on_fd(void *arg, int fd, short events)
{
	struct kc_loop *a = arg;
	unsigned ev = (events & POLLIN ? LOOP_READ : 0) | (events & POLLOUT ? LOOP_WRITE : 0);
	loop_fd_set(a->loop, fd, ev, on_ready, a);
}

static void on_timeout(struct loop *l, void *arg)
{
	(void)l;
	struct kc_loop *a = arg;
	if (a->kc)
		kc_client_on_timeout(a->kc);
}

void kc_loop_rearm(struct kc_loop *a)
{
	if (!a->kc)
		return;
	int t = kc_client_timeout_ms(a->kc);
	if (t < 0)
		loop_timer_disarm(a->loop, &a->timer);
	else
		loop_timer_arm_in(a->loop, &a->timer, t, on_timeout, a);
}

void kc_loop_detach(struct kc_loop *a)
{
	loop_timer_disarm(a->loop, &a->timer);
	a->kc = NULL;
}

void kc_loop_log(void *logger, enum kc_log_level level, const char *msg, const char *kv)
{
	static const enum log_level map[] = {LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR};
	if (*kv)
		log_at(logger, map[level], msg, "%s", kv);
	else
		log_at(logger, map[level], msg, NULL);
}
