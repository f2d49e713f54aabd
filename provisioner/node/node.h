/*
 * node — a real Kubernetes node inside a lab node's namespaces: a private view of the
 * directories a node owns (/var/lib, /var/log and /run bind-mounted from the node's directory;
 * /etc is already the lab's per-node overlay), the cgroup v1 hierarchies mounted where the
 * runtime expects them, a per-node cgroup root in every hierarchy, its own containerd (own
 * socket, root and state; cgroupfs; overlayfs; sandbox image = our pause image) with our images
 * imported, the CNI bridge plugin with host-local IPAM on the node's pod CIDR, and its own
 * kubelet (kind's settings for many kubelets on one kernel), restarted when it dies.
 *
 * Owns: the node's mounts (made inside its mount namespace), its cgroup root in every host
 * hierarchy, containerd, kubelet and everything they start (shims, containers).
 * Must not touch: the node's namespaces, links and addresses (lab.c), certificates (kubeadm, the
 * caller's kubeconfig), the machine's own cgroups outside the node's root.
 *
 * Files (N = the lab node's dir): N/rootfs/{var-lib,var-log,run} (the node's /var/lib, /var/log,
 * /run), N/conf/containerd.toml, N/log/{containerd,kubelet,ctr,import}.log,
 * N/run/{containerd,kubelet}.pid; N/etc/kubernetes (its /etc/kubernetes: kubelet.conf, pki/ca.crt,
 * manifests/) and N/etc/cni/net.d through the lab's /etc overlay.
 *
 * The calls that matter: node_start(), node_poll() (restarts kubelet), node_stop().
 */
#ifndef VIPD_NODE_H
#define VIPD_NODE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "lab.h"
#include "supervise.h"

#define NODE_MAX_IMAGES 16

struct node_config {
	struct lab_node *ln;  /* namespaces, address, directory */
	const char *bindir;   /* kubelet lives here */
	const char *pod_cidr; /* "10.244.1.0/24": the CNI bridge's range */
	const char
	    *sandbox_image; /* kubeadm's pause image name, e.g. registry.k8s.io/pause:3.10.1 */
	const char *images[NODE_MAX_IMAGES]; /* OCI archives to import; NULL-terminated */
	const char *cgroup_root; /* "/vipd-<unique>": made in every hierarchy, removed at stop */
	int timeout_s;		 /* containerd readiness */
	/* kubeadm writes the kubelet's files (kubelet.conf, pki, config.yaml, kubeadm-flags.env);
	 * kubelet starts — as kubeadm's systemd unit would — once /var/lib/kubelet/config.yaml
	 * exists, with the flags kubeadm left in kubeadm-flags.env. */
};

struct node {
	struct node_config cfg;
	struct supervisor *sv;
	const struct logger *log;
	struct sv_proc *containerd;
	struct sv_proc *kubelet;
	unsigned kubelet_restarts;
	unsigned kubelet_quick_deaths; /* restarts since it last ran > 60 s: the back-off */
	int64_t kubelet_died;	       /* clock_boot_ns() the current kubelet was found dead */
	bool cgroups_made;
	bool mounted;
	char dir[PATH_MAX];
};

/* Starts everything above; returns once containerd answers and kubelet runs (not yet Ready:
 * the caller polls the apiserver; in kubeadm mode kubelet waits for kubeadm's files). On failure
 * the caller still calls node_stop(). */
int node_start(struct node *n, struct supervisor *sv, const struct node_config *cfg,
	       const struct logger *log);

/* Call after sv_reap(): starts kubelet once kubeadm wrote its files (kubeadm mode), restarts it
 * as a service manager would (1 s after it died, backing off to 10 s when it keeps dying).
 * Returns -ECHILD when containerd itself died. */
int node_poll(struct node *n);

/* Stops kubelet, kills every process under the node's cgroup root (containerd, shims,
 * containers), waits until the cgroups are empty and removes them, then detaches every mount
 * it made in the node's mount namespace (and all below them), so the lab node is as before
 * node_start(). Returns 0 or the first error. */
int node_stop(struct node *n);

/* Removes cgroup root `root` ("/name") and everything below it in every hierarchy (after the
 * processes in it are gone). Returns 0 or the first error. */
int node_cgroups_remove(const char *root);

/* Resident memory of containerd and kubelet in KiB (0 when not running). */
void node_rss(const struct node *n, long *containerd_kib, long *kubelet_kib);

/* The cgroup v1 hierarchies a node mounts and gets a root in (NULL-terminated). */
extern const char *const node_cgroup_hierarchies[];

#endif
