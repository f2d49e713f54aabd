/*
 * health — what `status` and `profile list` report about each node, asked of the real parts:
 * the node's init process, kubelet's /healthz and etcd's /health on the node's loopback (from
 * inside its network namespace), the node's apiserver /livez over TLS with the cluster CA, the
 * VIP daemon's role (vipd: its own /status; kube-vip: the Lease holder), etcd membership and
 * the user's kubeconfig.
 *
 * Owns: the probes and their timeouts. Must not touch: anything it probes (read only).
 *
 * The call that matters: health_probe().
 */
#ifndef VIPD_HEALTH_H
#define VIPD_HEALTH_H

#include "cluster_status.h"
#include "provider.h"

struct health_report {
	struct node_health nodes[PROFILE_MAX_NODES];
	char roles[PROFILE_MAX_NODES][32]; /* "out:identity_collision" fits */
	size_t n;
	struct cluster_verdict verdict;
};

/* Probes every node of pv->p (kubeconfig_file: the user's kubeconfig to check). */
void health_probe(const struct provider *pv, const char *kubeconfig_file,
		  struct health_report *out);

/* GET http://127.0.0.1:port/path inside the network namespace of pid; the body (up to len-1
 * bytes) in body. Returns the HTTP status or -errno. */
int health_netns_get(pid_t pid, unsigned port, const char *path, char *body, size_t len,
		     int timeout_ms);

#endif
