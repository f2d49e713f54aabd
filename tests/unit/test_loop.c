/*
 * test_loop.c — the event loop: timers on a fake clock (order, re-arm, disarm from a callback),
 * fd events on a pipe, signals through the signalfd, the before-sleep hook.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <unistd.h>

#include "loop.h"

struct rec {
	int64_t fired_at[8];
	int order[8];
	int n;
};

struct tctx {
	struct rec *rec;
	int id;
	struct loop_timer *victim; /* disarmed by this timer's callback */
	int64_t rearm_in;	   /* >0: re-arm itself once */
	struct loop_timer *self;
};

static void on_timer(struct loop *l, void *arg)
{
	struct tctx *c = arg;
	c->rec->fired_at[c->rec->n] = loop_now_ms(l);
	c->rec->order[c->rec->n++] = c->id;
	if (c->victim)
		loop_timer_disarm(l, c->victim);
	if (c->rearm_in > 0) {
		int64_t d = c->rearm_in;
		c->rearm_in = 0;
		loop_timer_arm_in(l, c->self, d, on_timer, c);
	}
}

Test(loop, timers_fire_in_order_at_their_time)
{
	struct loop *l;
	cr_assert_eq(loop_new_fake(&l, 1000), 0);
	struct rec rec = {0};
	struct loop_timer t[3] = {0};
	struct tctx c[3] = {
	    {&rec, 0, NULL, 0, &t[0]}, {&rec, 1, NULL, 0, &t[1]}, {&rec, 2, NULL, 0, &t[2]}};
	loop_timer_arm_in(l, &t[0], 300, on_timer, &c[0]);
	loop_timer_arm_in(l, &t[1], 100, on_timer, &c[1]);
	loop_timer_arm_in(l, &t[2], 200, on_timer, &c[2]);
	loop_fake_advance(l, 250);
	cr_assert_eq(rec.n, 2);
	cr_assert_eq(rec.order[0], 1);
	cr_assert_eq(rec.fired_at[0], 1100);
	cr_assert_eq(rec.order[1], 2);
	cr_assert_eq(rec.fired_at[1], 1200);
	cr_assert_eq(loop_now_ms(l), 1250);
	loop_fake_advance(l, 50);
	cr_assert_eq(rec.n, 3);
	cr_assert_eq(rec.fired_at[2], 1300);
	loop_free(l);
}

Test(loop, rearm_moves_and_disarm_from_a_callback_skips)
{
	struct loop *l;
	cr_assert_eq(loop_new_fake(&l, 0), 0);
	struct rec rec = {0};
	struct loop_timer t[2] = {0};
	struct tctx c1 = {&rec, 1, &t[1], 0, &t[0]};
	struct tctx c2 = {&rec, 2, NULL, 0, &t[1]};
	loop_timer_arm(l, &t[0], 10, on_timer, &c1);
	loop_timer_arm(l, &t[1], 10, on_timer, &c2); /* due together, disarmed by t[0] */
	loop_fake_advance(l, 20);
	cr_assert_eq(rec.n, 1);
	cr_assert_eq(rec.order[0], 1);
	cr_assert_not(t[1].armed);

	/* Re-arming moves a timer rather than duplicating it. */
	loop_timer_arm(l, &t[1], 50, on_timer, &c2);
	loop_timer_arm(l, &t[1], 70, on_timer, &c2);
	loop_fake_advance(l, 100);
	cr_assert_eq(rec.n, 2);
	cr_assert_eq(rec.fired_at[1], 70);
	loop_free(l);
}

Test(loop, a_timer_rearming_itself_fires_again_later)
{
	struct loop *l;
	cr_assert_eq(loop_new_fake(&l, 0), 0);
	struct rec rec = {0};
	struct loop_timer t = {0};
	struct tctx c = {&rec, 7, NULL, 40, &t};
	loop_timer_arm_in(l, &t, 10, on_timer, &c);
	loop_fake_advance(l, 100);
	cr_assert_eq(rec.n, 2);
	cr_assert_eq(rec.fired_at[0], 10);
	cr_assert_eq(rec.fired_at[1], 50);
	loop_free(l);
}

struct io {
	int reads;
	char got[8];
	int hooks;
	int sig;
};

static void on_read(struct loop *l, int fd, unsigned events, void *arg)
{
	struct io *io = arg;
	cr_assert(events & LOOP_READ);
	cr_assert_eq(read(fd, io->got, sizeof(io->got)), 2);
	io->reads++;
	loop_fd_set(l, fd, 0, NULL, NULL);
	loop_stop(l);
}

static void hook(struct loop *l, void *arg)
{
	(void)l;
	((struct io *)arg)->hooks++;
}

Test(loop, fd_events_and_the_before_sleep_hook)
{
	struct loop *l;
	cr_assert_eq(loop_new(&l), 0);
	int p[2];
	cr_assert_eq(pipe(p), 0);
	struct io io = {0};
	cr_assert_eq(loop_fd_set(l, p[0], LOOP_READ, on_read, &io), 0);
	loop_set_before_sleep(l, hook, &io);
	cr_assert_eq(write(p[1], "hi", 2), 2);
	cr_assert_eq(loop_run(l), 0);
	cr_assert_eq(io.reads, 1);
	cr_assert_str_eq(io.got, "hi");
	cr_assert_geq(io.hooks, 1);
	cr_assert_eq(loop_fd_set(l, -1, LOOP_READ, on_read, &io), -EBADF);
	close(p[0]);
	close(p[1]);
	loop_free(l);
}

static void on_sig(struct loop *l, int sig, void *arg)
{
	((struct io *)arg)->sig = sig;
	loop_stop(l);
}

static void on_deadline(struct loop *l, void *arg)
{
	(void)arg;
	loop_stop(l);
}

Test(loop, signals_arrive_through_the_loop)
{
	struct loop *l;
	cr_assert_eq(loop_new(&l), 0);
	struct io io = {0};
	cr_assert_eq(loop_signal(l, SIGUSR1, on_sig, &io), 0);
	cr_assert_eq(loop_signal(l, SIGUSR2, on_sig, &io), 0);
	struct loop_timer deadline = {0};
	loop_timer_arm_in(l, &deadline, 10000, on_deadline, NULL);
	raise(SIGUSR2);
	cr_assert_eq(loop_run(l), 0);
	cr_assert_eq(io.sig, SIGUSR2);
	loop_free(l);
}

Test(loop, real_timers_wait_for_their_time)
{
	struct loop *l;
	cr_assert_eq(loop_new(&l), 0);
	struct loop_timer t = {0};
	int64_t t0 = loop_now_ms(l);
	loop_timer_arm_in(l, &t, 30, on_deadline, NULL);
	cr_assert_eq(loop_run(l), 0);
	cr_assert_geq(loop_now_ms(l) - t0, 30);
	loop_free(l);
}
