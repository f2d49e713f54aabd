/*
 * lb — the leader's load balancer (kube-vip's `lb_enable`): one IPVS virtual service
 * VIP:lb_port/TCP, scheduler rr, whose real servers are the Ready control-plane nodes at their
 * InternalIP and the apiserver `port`, learned from a watch of Node objects (not polling), each
 * health-checked on its own reused connection every backend_health_check_interval. A failing
 * backend leaves the service (its conntrack entries are flushed, so clients reconnect at once);
 * a recovered one comes back (kube-vip #875 forgets to). Without ip_vs in the kernel: one log
 * line, a metric, and the VIP keeps working (kube-vip crash-loops: #1448).
 *
 * The daemon calls lb_set_leading() on every leadership change: the service exists only while
 * we lead (followers watch and check, so a new leader starts with a warm backend list).
 *
 * Owns: the node watch, the backend checks, the IPVS handle and the one service. Must not touch:
 * the VIP, the election.
 * The calls that matter: lb_open(), lb_set_leading().
 */
#ifndef VIPD_LB_H
#define VIPD_LB_H

#include <stdbool.h>

#include "backends.h"
#include "kc_client.h"
#include "kc_config.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "mgr_config.h"

struct lb;

struct lb_opts {
	struct loop *loop;
	const struct mgr_config *cfg; /* vip, port, lb_port, lb_fwd, backend_hc_interval_s */
	struct kc_client *kc;	      /* borrowed: the node watch runs on it */
	const struct kc_config *kcfg; /* borrowed: CA and credentials for the backend checks */
	struct metrics *m;	      /* ipvs_available, backends_*, backend_check_failures,
					 conntrack_flushed */
	const struct logger *lg;
};

/* Opens IPVS (unavailable: logs once, m->ipvs_available = false, still returns 0), starts the
 * node watch and the backend checks. 0 or -errno (only for what makes the daemon unusable). */
int lb_open(const struct lb_opts *o, struct lb **out);
/* Leading: create the service and keep its destinations = Ready and healthy backends.
 * Not leading: delete the service. Idempotent. */
void lb_set_leading(struct lb *lb, bool leading);
/* The backend table (read only; NULL when lb is NULL), for the daemon's /status. */
const struct backends *lb_backends(const struct lb *lb);
/* Before every wait of the loop (re-arms the backend check clients' timers). */
void lb_before_sleep(struct lb *lb);
/* Deletes the service if we made it, stops everything. NULL is fine. */
void lb_close(struct lb *lb);

#endif
