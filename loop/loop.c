/*
 * loop.c — epoll for fds, a sorted list for timers, a signalfd for signals. A vipd process has
 * a handful of fds and timers, so a sorted singly linked list beats a heap on clarity.
 */
#include "loop.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "clock.h"

#define LOOP_MAX_FDS	 64
#define LOOP_MAX_SIGNALS 8
#define LOOP_BATCH	 32

struct loop_file {
	int fd; /* -1: free slot */
	unsigned events;
	loop_fd_fn fn;
	void *arg;
};

struct loop_sig {
	int sig;
	loop_signal_fn fn;
	void *arg;
};

struct loop {
	int epfd;
	int sigfd;
	sigset_t sigmask;
	struct loop_file files[LOOP_MAX_FDS];
	struct loop_sig sigs[LOOP_MAX_SIGNALS];
	size_t n_sigs;
	struct loop_timer *timers; /* sorted by at_ms, FIFO among equals */
	loop_hook_fn before_sleep;
	void *before_sleep_arg;
	bool fake;
	int64_t fake_now;
	bool stop;
};

int64_t loop_now_ms(const struct loop *l)
{
	return l->fake ? l->fake_now : clock_boot_ms();
}

static int loop_alloc(struct loop **out)
{
	struct loop *l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->sigfd = -1;
	for (size_t i = 0; i < LOOP_MAX_FDS; i++)
		l->files[i].fd = -1;
	sigemptyset(&l->sigmask);
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		int r = -errno;
		free(l);
		return r;
	}
	*out = l;
	return 0;
}

int loop_new(struct loop **out)
{
	return loop_alloc(out);
}

int loop_new_fake(struct loop **out, int64_t start_ms)
{
	int r = loop_alloc(out);
	if (r == 0) {
		(*out)->fake = true;
		(*out)->fake_now = start_ms;
	}
	return r;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	if (l->sigfd >= 0)
		close(l->sigfd);
	close(l->epfd);
	free(l);
}

static struct loop_file *file_find(struct loop *l, int fd)
{
	for (size_t i = 0; i < LOOP_MAX_FDS; i++)
		if (l->files[i].fd == fd)
			return &l->files[i];
	return NULL;
}

static uint32_t epoll_mask(unsigned events)
{
	return (events & LOOP_READ ? EPOLLIN : 0) | (events & LOOP_WRITE ? EPOLLOUT : 0);
}

static int fd_remove(struct loop *l, int fd)
{
	struct loop_file *f = file_find(l, fd);
	if (!f)
		return 0;
	f->fd = -1;
	/* The fd may already be closed (the kernel then dropped it from the set). */
	if (epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL) < 0 && errno != EBADF && errno != ENOENT)
		return -errno;
	return 0;
}

int loop_fd_set(struct loop *l, int fd, unsigned events, loop_fd_fn fn, void *arg)
{
	if (fd < 0)
		return -EBADF;
	if (!(events & (LOOP_READ | LOOP_WRITE)))
		return fd_remove(l, fd);
	struct loop_file *f = file_find(l, fd);
	int op = f ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
	if (!f)
		f = file_find(l, -1);
	if (!f)
		return -ENOSPC;
	struct epoll_event ev = {.events = epoll_mask(events), .data.fd = fd};
	if (epoll_ctl(l->epfd, op, fd, &ev) < 0)
		return -errno;
	*f = (struct loop_file){.fd = fd, .events = events, .fn = fn, .arg = arg};
	return 0;
}

void loop_timer_disarm(struct loop *l, struct loop_timer *t)
{
	if (!t->armed)
		return;
	for (struct loop_timer **p = &l->timers; *p; p = &(*p)->next) {
		if (*p == t) {
			*p = t->next;
			break;
		}
	}
	t->armed = false;
	t->next = NULL;
}

void loop_timer_arm(struct loop *l, struct loop_timer *t, int64_t at_ms, loop_timer_fn fn,
		    void *arg)
{
	loop_timer_disarm(l, t);
	t->at_ms = at_ms;
	t->fn = fn;
	t->arg = arg;
	t->armed = true;
	struct loop_timer **p = &l->timers;
	while (*p && (*p)->at_ms <= at_ms)
		p = &(*p)->next;
	t->next = *p;
	*p = t;
}

void loop_timer_arm_in(struct loop *l, struct loop_timer *t, int64_t delay_ms, loop_timer_fn fn,
		       void *arg)
{
	loop_timer_arm(l, t, loop_now_ms(l) + (delay_ms > 0 ? delay_ms : 0), fn, arg);
}

static void signals_read(struct loop *l, int fd, unsigned events, void *arg)
{
	(void)events;
	(void)arg;
	struct signalfd_siginfo si;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		for (size_t i = 0; i < l->n_sigs; i++)
			if (l->sigs[i].sig == (int)si.ssi_signo)
				l->sigs[i].fn(l, l->sigs[i].sig, l->sigs[i].arg);
	}
}

int loop_signal(struct loop *l, int sig, loop_signal_fn fn, void *arg)
{
	if (l->n_sigs == LOOP_MAX_SIGNALS)
		return -ENOSPC;
	sigaddset(&l->sigmask, sig);
	if (sigprocmask(SIG_BLOCK, &l->sigmask, NULL) < 0)
		return -errno;
	int fd = signalfd(l->sigfd, &l->sigmask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (l->sigfd < 0) {
		l->sigfd = fd;
		int r = loop_fd_set(l, fd, LOOP_READ, signals_read, NULL);
		if (r < 0)
			return r;
	}
	l->sigs[l->n_sigs++] = (struct loop_sig){.sig = sig, .fn = fn, .arg = arg};
	return 0;
}

void loop_set_before_sleep(struct loop *l, loop_hook_fn fn, void *arg)
{
	l->before_sleep = fn;
	l->before_sleep_arg = arg;
}

/* Fires every timer due at `now`. A timer re-armed for `now` by its own callback waits for
 * the next pass, so a zero-delay re-arm cannot starve the fds. */
static void timers_fire(struct loop *l, int64_t now)
{
	struct loop_timer *due = NULL, **tail = &due;
	while (l->timers && l->timers->at_ms <= now) {
		struct loop_timer *t = l->timers;
		l->timers = t->next;
		t->next = NULL;
		*tail = t;
		tail = &t->next;
	}
	/* Detached list: each one is still "armed" until its turn, so a callback may disarm a
	 * later one (it is then skipped). */
	while (due) {
		struct loop_timer *t = due;
		due = t->next;
		t->next = NULL;
		if (!t->armed)
			continue;
		t->armed = false;
		t->fn(l, t->arg);
	}
}

static int wait_ms(const struct loop *l, int max_wait_ms)
{
	if (l->fake)
		return 0;
	int wait = max_wait_ms;
	if (l->timers) {
		int64_t left = l->timers->at_ms - loop_now_ms(l);
		if (left < 0)
			left = 0;
		if (wait < 0 || left < wait)
			wait = left > 1000000 ? 1000000 : (int)left;
	}
	return wait;
}

static void dispatch_ready(struct loop *l, const struct epoll_event *evs, int n)
{
	for (int i = 0; i < n; i++) {
		/* Looked up at dispatch: an earlier callback may have removed or replaced it. */
		struct loop_file *f = file_find(l, evs[i].data.fd);
		if (!f)
			continue;
		unsigned ev = (evs[i].events & EPOLLIN ? LOOP_READ : 0) |
			      (evs[i].events & EPOLLOUT ? LOOP_WRITE : 0) |
			      (evs[i].events & (EPOLLERR | EPOLLHUP) ? LOOP_ERROR : 0);
		f->fn(l, f->fd, ev, f->arg);
	}
}

int loop_run_once(struct loop *l, int max_wait_ms)
{
	if (l->before_sleep)
		l->before_sleep(l, l->before_sleep_arg);
	struct epoll_event evs[LOOP_BATCH];
	int n = epoll_wait(l->epfd, evs, LOOP_BATCH, wait_ms(l, max_wait_ms));
	if (n < 0 && errno != EINTR)
		return -errno;
	if (n > 0)
		dispatch_ready(l, evs, n);
	timers_fire(l, loop_now_ms(l));
	return 0;
}

int loop_run(struct loop *l)
{
	l->stop = false;
	while (!l->stop) {
		int r = loop_run_once(l, -1);
		if (r < 0)
			return r;
	}
	return 0;
}

void loop_stop(struct loop *l)
{
	l->stop = true;
}

void loop_fake_advance(struct loop *l, int64_t ms)
{
	int64_t end = l->fake_now + ms;
	/* Step timer by timer so each fires with the clock at its own time. */
	while (l->timers && l->timers->at_ms <= end) {
		if (l->timers->at_ms > l->fake_now)
			l->fake_now = l->timers->at_ms;
		timers_fire(l, l->fake_now);
	}
	l->fake_now = end;
}
