/*
 * kc_loop — plugs a kc_client (libcurl multi-socket) into the daemon's loop: the sockets curl
 * announces become loop fds, and curl's next timeout (which also covers the kc_timers of the
 * client's users: the elector and the watch) becomes one loop timer, re-armed before every wait.
 * Also the client's log events into vipd's logger (kc_loop_log).
 *
 * Owns: that glue. Must not touch: the client's calls or the loop's other fds.
 */
#ifndef VIPD_KC_LOOP_H
#define VIPD_KC_LOOP_H

#include "kc_client.h"
#include "log.h"
#include "loop.h"

struct kc_loop {
	struct loop *loop;
	struct kc_client *kc; /* set after kc_client_new */
	struct loop_timer timer;
};

/* For kc_client_opts: .on_fd = kc_loop_on_fd, .loop_arg = the kc_loop. */
void kc_loop_on_fd(void *arg, int fd, short events);
/* Call before every wait (from the loop's before-sleep hook). */
void kc_loop_rearm(struct kc_loop *a);
/* For kc_client_opts: .log = kc_loop_log, .log_arg = a struct logger. */
void kc_loop_log(void *logger, enum kc_log_level level, const char *msg, const char *kv);

/* Forgets the client's timer (before kc_client_free). */
void kc_loop_detach(struct kc_loop *a);

#endif
