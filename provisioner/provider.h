/*
 * provider — the node provider (kind's split): it only makes, finds, runs commands in and
 * removes nodes. A node is a detached init process (node_init, PID 1 of its own PID namespace)
 * holding network, UTS and mount namespaces, with a veth on the profile's bridge in the
 * caller's network namespace (the machine's, or a test's private one), its own /etc/hosts, and
 * routes to every other node's pod CIDR.
 *
 * Owns: the profile's bridge, node veths and addresses, node /etc/hosts, pod routes, node init
 * processes and their cgroup roots. Must not touch: Kubernetes (the bootstrapper), the profile
 * file (the caller saves what this changes in struct profile_node), the machine's other links.
 *
 * The calls that matter: provider_node_create(), provider_node_stop(), provider_exec().
 */
#ifndef VIPD_PROVIDER_H
#define VIPD_PROVIDER_H

#include <stdbool.h>
#include <stddef.h>

#include "log.h"
#include "profile.h"

#define PROVIDER_MAX_IMAGES 16
#define PROVIDER_ENDPOINT   "control-plane.minikube.internal"
#define PROVIDER_HOST_NAME  "host.minikube.internal"

struct provider {
	const struct profile *p;
	char pdir[4096];    /* the profile's directory */
	const char *bindir; /* upstream programs; on PATH inside nodes */
	const char *self;   /* this program, run as `self __node-init …` */
	const char *vipd;   /* the vipd program (its CLI runs inside nodes: vipd handover) */
	const char *sandbox_image;
	const char *images[PROVIDER_MAX_IMAGES]; /* archives every node imports; NULL-terminated */
	const struct logger *log;
};

/* The bridge with the gateway address, up (idempotent). */
int provider_bridge_up(const struct provider *pv);
/* Removes the bridge (its veths go with their nodes). */
int provider_bridge_down(const struct provider *pv);

/* <pdir>/nodes/<name> */
int provider_node_dir(const struct provider *pv, const struct profile_node *n, char *buf,
		      size_t len);
/* The node's cgroup root, "/<bridge>-m<id>". */
void provider_cgroup_root(const struct provider *pv, const struct profile_node *n, char *buf,
			  size_t len);

/* Starts the node's init process, wires it to the bridge, waits until containerd runs and the
 * images are in. Sets n->init_pid and n->init_start. On failure the node is stopped again. */
int provider_node_create(const struct provider *pv, struct profile_node *n, int timeout_s);

/* The same in two halves, so several nodes import their images at once: begin returns once the
 * node is wired and told to go on; finish waits for its runtime and images. */
struct provider_pending {
	struct profile_node *n;
	int status_fd;
	char dir[4096];
};
int provider_node_begin(const struct provider *pv, struct profile_node *n,
			struct provider_pending *pp);
int provider_node_finish(const struct provider *pv, struct provider_pending *pp, int timeout_s);
/* SIGTERM to its init (which stops kubelet, containers and containerd), SIGKILL after
 * grace_ms, then its leftover cgroup directories are removed. Clears init_pid. */
int provider_node_stop(const struct provider *pv, struct profile_node *n, int grace_ms);
/* The init process recorded for n is alive (same PID and start time). */
bool provider_node_running(const struct profile_node *n);
/* Removes the node's directory (the node must be stopped). */
int provider_node_remove_files(const struct provider *pv, const struct profile_node *n);

/* Rewrites every node's /etc/hosts (localhost, the endpoint name → VIP, the host name → gateway,
 * each node's name → its IP). */
int provider_hosts_sync(const struct provider *pv);
/* In every running node: a route to every other node's pod CIDR via its IP, none to pod CIDRs
 * of nodes that are gone. */
int provider_routes_sync(const struct provider *pv);

/* Runs argv inside node n (its network, UTS and mount namespaces) with PATH including bindir;
 * stdout+stderr are appended to out_path (NULL: the node's log/commands.log). n NULL: in the
 * caller's namespaces, where every node's address is reachable over the bridge (NULL out_path:
 * commands.log in the profile's directory). Returns 0 or -EIO (non-zero exit) / -ETIMEDOUT. */
int provider_exec(const struct provider *pv, const struct profile_node *n, char *const *argv,
		  const char *out_path, int timeout_ms);
/* As provider_exec, capturing up to len-1 bytes of stdout+stderr into out. */
int provider_exec_capture(const struct provider *pv, const struct profile_node *n,
			  char *const *argv, char *out, size_t len, int timeout_ms);

#endif
