/*
 * loop — the one event loop of a vipd process, in the spirit of Redis's ae.c: file events
 * (epoll), timers, and signals (a signalfd), one struct, one `loop_run()`.
 *
 *   file events  loop_fd_set(fd, LOOP_READ|LOOP_WRITE, fn, arg); 0 events removes the fd
 *   timers       loop_timer_arm(timer, at_ms, fn, arg) on the loop's clock: CLOCK_BOOTTIME
 *                milliseconds (the elector's clock: it keeps counting through a suspend), or a
 *                fake clock for tests (loop_new_fake + loop_fake_advance)
 *   signals      loop_signal(sig, fn, arg): blocked and delivered through one signalfd
 *   before-sleep a hook run before every wait (kubeclient uses it to re-arm curl's timer)
 *
 * Timers are caller-owned structs (no allocation, re-armable, disarm is O(n) on a short list).
 * Callbacks may add and remove fds and timers, including their own.
 *
 * Owns: the epoll fd, the signalfd, the timer list. Must not touch: what the callbacks do.
 * The calls that matter: loop_new(), loop_run().
 */
#ifndef VIPD_LOOP_H
#define VIPD_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#define LOOP_READ  1u
#define LOOP_WRITE 2u
#define LOOP_ERROR 4u /* reported only: EPOLLERR / EPOLLHUP */

struct loop;
typedef void (*loop_fd_fn)(struct loop *l, int fd, unsigned events, void *arg);
typedef void (*loop_timer_fn)(struct loop *l, void *arg);
typedef void (*loop_signal_fn)(struct loop *l, int sig, void *arg);
typedef void (*loop_hook_fn)(struct loop *l, void *arg);

struct loop_timer {
	int64_t at_ms;
	loop_timer_fn fn;
	void *arg;
	bool armed;
	struct loop_timer *next;
};

/* A real loop on CLOCK_BOOTTIME. 0 or -errno. */
int loop_new(struct loop **out);
/* A loop whose clock only moves by loop_fake_advance(); loop_run_once never sleeps on it. */
int loop_new_fake(struct loop **out, int64_t start_ms);
void loop_free(struct loop *l);

/* The loop's clock, milliseconds: clock_boot_ms() (base/clock.h), or the fake clock. */
int64_t loop_now_ms(const struct loop *l);

/* Watches `fd` for `events` (LOOP_READ|LOOP_WRITE), replacing what was set; 0 stops watching.
 * 0 or -errno. */
int loop_fd_set(struct loop *l, int fd, unsigned events, loop_fd_fn fn, void *arg);

/* Arms `t` to fire at `at_ms` on the loop's clock (re-arming moves it). */
void loop_timer_arm(struct loop *l, struct loop_timer *t, int64_t at_ms, loop_timer_fn fn,
		    void *arg);
void loop_timer_arm_in(struct loop *l, struct loop_timer *t, int64_t delay_ms, loop_timer_fn fn,
		       void *arg);
void loop_timer_disarm(struct loop *l, struct loop_timer *t);

/* Delivers `sig` through the loop's signalfd (the signal is blocked for the process). 0 or
 * -errno. */
int loop_signal(struct loop *l, int sig, loop_signal_fn fn, void *arg);

void loop_set_before_sleep(struct loop *l, loop_hook_fn fn, void *arg);

/* One pass: before-sleep hook, wait for at most `max_wait_ms` (-1: until the next timer or
 * event; ignored on a fake clock), dispatch ready fds, then due timers. 0 or -errno. */
int loop_run_once(struct loop *l, int max_wait_ms);
/* Runs passes until loop_stop(). 0 or -errno. */
int loop_run(struct loop *l);
void loop_stop(struct loop *l);

/* Fake clock: moves time on and fires the timers that became due, in order. */
void loop_fake_advance(struct loop *l, int64_t ms);

#endif
