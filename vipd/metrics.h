/*
 * metrics — the daemon's figures and their Prometheus text exposition (format 0.0.4).
 *
 * kube-vip's names, done right: kube_vip_build_info = 1 (kube-vip leaves it 0),
 * kube_vip_is_leader and kube_vip_leader_election_transitions_total for the control-plane lease
 * (kube-vip never sets them for it), client-go's leader_election_master_status; then vipd's own
 * (vipd_ prefix). The daemon updates the struct in place; rendering is pure, so unit tests and
 * `promtool check metrics` read exactly what a scrape returns.
 *
 * Owns: the figures' names, help texts, types and rendering. Must not touch: sockets (the HTTP
 * side is http_endpoint), the daemon's decisions.
 */
#ifndef VIPD_METRICS_H
#define VIPD_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Renewal latency buckets, seconds (upper bounds; +Inf is implied). */
#define METRICS_RENEW_BUCKETS 10
extern const double metrics_renew_bucket_bounds[METRICS_RENEW_BUCKETS];

enum metrics_announce_kind {
	METRICS_GARP_REQUEST,
	METRICS_GARP_REPLY,
	METRICS_NA,
	METRICS_ANNOUNCE_KINDS
};
enum metrics_renew_failure {
	METRICS_RENEW_CONFLICT, /* 409 */
	METRICS_RENEW_ERROR,	/* network, timeout, 5xx, 401/403, bad body */
	METRICS_RENEW_FAILURE_KINDS,
};

struct metrics {
	/* Labels. */
	char version[32], build[64], node[256], lease_name[320]; /* lease_name = "ns/name" */

	/* Election. */
	bool is_leader;
	uint64_t transitions;	 /* leadership changes of this node (became or stopped) */
	uint64_t become_leader;	 /* vipd_become_leader_total */
	uint64_t release_leader; /* vipd_release_leader_total: stopped leading, any reason */
	uint64_t identity_collisions;
	uint64_t handovers; /* vipd_handovers_total: the lease handed over on request */
	uint64_t renew_failures[METRICS_RENEW_FAILURE_KINDS];
	uint64_t renew_buckets[METRICS_RENEW_BUCKETS]; /* non-cumulative counts per bucket */
	uint64_t renew_count;			       /* includes those above the last bound */
	double renew_sum_s;

	/* The VIP. */
	bool vip_present;
	uint64_t vip_readds; /* removed behind our back while leading, put back */
	uint64_t announcements[METRICS_ANNOUNCE_KINDS];
	uint64_t announce_errors;
	uint64_t vip_conflicts; /* claims of the VIP by another MAC (vipd/conflicts.h) */

	/* Local control-plane health gate. */
	bool health_gate_enabled;
	bool health_gate_engaged; /* the local apiserver has been ready once */
	bool health_gate_healthy;
	uint64_t health_gate_failures; /* probes that failed */
	uint64_t health_gate_releases; /* leadership given up because of it */

	/* IPVS. */
	bool ipvs_enabled;   /* lb_enable */
	bool ipvs_available; /* the kernel has ip_vs */
	uint64_t backends_total, backends_healthy;
	uint64_t backend_check_failures;
	uint64_t conntrack_flushed;
};

/* Records one renewal round trip (seconds) in the histogram. */
void metrics_observe_renew(struct metrics *m, double seconds);

/* Renders every figure as Prometheus text into a malloc'd NUL-terminated buffer (*out, length
 * *len). Returns 0 or -ENOMEM. Label values are escaped (\\, \", \n). */
int metrics_render(const struct metrics *m, char **out, size_t *len);

#endif
