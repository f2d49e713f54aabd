/*
 * manager — `vipd manager`, the daemon: one process, one loop (loop/), one state struct.
 *
 * Data flows one way: configuration → election (leaderelect/) → leader duties (duties.c decides;
 * manager_net.c carries out: the VIP over netlink with a kernel lifetime, announcements, the
 * netlink monitor) → metrics and probes (metrics.c, http_endpoint.c).
 *
 *   manager.c      start-up, the loop's callbacks, signals, duty execution, shutdown, state dump
 *   manager_net.c  the interface, the VIP, the announcer (and its watch for other hosts
 *                  claiming the VIP) and the monitor
 *   manager_api.c  the API client(s), the elector, the local control-plane health gate, and
 *                  the kubeconfig fallback for kubeadm >= 1.29 bootstrap (super-admin.conf)
 *   manager_http.c what /metrics, /healthz, /readyz, /livez and /status answer
 *
 * Owns: the daemon's state. Must not touch: other modules' internals (it calls their APIs).
 */
#ifndef VIPD_MANAGER_H
#define VIPD_MANAGER_H

#include <stdbool.h>
#include <stdint.h>

#include "announcer.h"
#include "conflicts.h"
#include "elector.h"
#include "http_endpoint.h"
#include "kc_client.h"
#include "kc_config.h"
#include "kc_loop.h"
#include "kc_probe.h"
#include "lb.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "mgr_config.h"
#include "nl_link.h"
#include "nl_monitor.h"
#include "nl_sock.h"
#include "schedule.h"

/* Why we are not a candidate right now (0: we are one). */
enum mgr_out_reason {
	MGR_IN = 0,
	MGR_OUT_HEALTH = 1 << 0,    /* the local control plane failed its health gate */
	MGR_OUT_COLLISION = 1 << 1, /* another process wrote our identity into the Lease */
	MGR_OUT_LINK = 1 << 2,	    /* vip_loseleadership: the interface was down too long */
	MGR_OUT_STOPPING = 1 << 3,
	MGR_OUT_HANDOVER = 1 << 4, /* handing the lease over on request; rejoins after release */
};

struct manager {
	struct logger lg;
	struct mgr_config cfg;
	struct loop *loop;
	struct metrics m;
	int64_t started_ms;

	/* The interface and the VIP (manager_net.c). */
	struct nl_sock nl;
	struct nl_link link;
	bool link_up;
	int64_t link_down_since_ms;
	struct nl_monitor mon;
	bool mon_open;
	struct announcer ann;
	bool ann_open;
	struct announce_schedule sched;
	struct loop_timer announce_timer;
	struct conflict_watch conflicts; /* claims of the VIP heard on the announcer's socket */
	bool vip_on;			 /* on the interface, as far as we know */
	int64_t vip_expires_ms;		 /* when the kernel removes it unless we refresh it */
	bool leftover; /* found at start-up: kept until we know who holds the lease */

	/* The election (manager_api.c). */
	struct kc_config kcfg;	       /* admin.conf (k8s_config_file), or etcd's endpoint */
	struct kc_config scfg;	       /* super-admin.conf, when given and readable */
	const char *kubeconfig_in_use; /* cfg.kubeconfig or cfg.super_admin_kubeconfig */
	struct kc_client *kc;	       /* the elector's */
	struct kc_loop kcl;
	struct kc_client *pc; /* probes admin.conf while super-admin.conf is in use */
	struct kc_loop pcl;
	struct elector el;
	bool el_live;		   /* an elector exists (campaigning or releasing) */
	struct elector_stats past; /* counters of electors already freed */
	bool el_releasing;	   /* shut down, waiting for `released` */
	unsigned out;		   /* enum mgr_out_reason bits */
	bool leading;		   /* as the callbacks last said */
	bool observed;		   /* the lock has been read once */
	char holder[LE_IDENTITY_MAX];
	int64_t renewed_at_ms; /* send time of the last renewal that took effect */
	struct loop_timer duty_timer;
	struct loop_timer rejoin_timer;
	struct loop_timer collision_timer;
	struct loop_timer handover_timer;
	bool handover_any; /* to "*", or on etcd: rejoin a retryPeriod (at most 250 ms) late */
	struct loop_timer link_timer;	     /* vip_loseleadership */
	struct loop_timer admin_probe_timer; /* super-admin fallback: is admin.conf accepted? */
	struct kc_call *admin_probe;

	/* The local control-plane health gate. */
	struct kc_config hcfg;
	struct kc_client *hc;
	struct kc_loop hcl;
	struct loop_timer health_timer;
	struct kc_probe health_probe;
	unsigned health_fails; /* in a row */

	/* The load balancer (lb_enable). */
	struct lb *lb;

	/* Endpoints. */
	struct http_endpoint *http;
	struct http_endpoint *healthz; /* health_check_port */
	struct loop_timer http_timer[2];

	/* Shutdown. */
	bool stopping;
	struct loop_timer stop_timer;
};

/* Runs the daemon until SIGTERM/SIGINT. `cfg` is copied. Returns the exit code. */
int manager_run(const struct mgr_config *cfg, const struct logger *lg);

/* manager.c: re-plans the VIP and announcements now (after any change of input). */
void manager_duties(struct manager *mg);
/* manager.c: leadership callbacks, shared by every elector. */
void manager_started_leading(struct manager *mg);
void manager_stopped_leading(struct manager *mg, const char *reason);
void manager_released(struct manager *mg);
/* manager.c: the link went down or came up (mg->link_up already updated). */
void manager_link_changed(struct manager *mg);

/* manager_net.c */
int manager_net_open(struct manager *mg);
void manager_net_close(struct manager *mg);
int manager_vip_set(struct manager *mg, uint32_t valid_s);
int manager_vip_delete(struct manager *mg, const char *why);
void manager_announce_start(struct manager *mg);
void manager_announce_stop(struct manager *mg);

/* manager_api.c */
int manager_api_open(struct manager *mg);
void manager_api_close(struct manager *mg);
int manager_join(struct manager *mg); /* create an elector and campaign */
void manager_resign(struct manager *mg, unsigned reason, const char *why);
void manager_health_start(struct manager *mg);
void manager_api_before_sleep(struct manager *mg);

/* manager_http.c */
int manager_http_open(struct manager *mg);
void manager_http_close(struct manager *mg);
void manager_http_before_sleep(struct manager *mg);

#endif
