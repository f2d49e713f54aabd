/*
 * controlplane — a real Kubernetes control plane of N nodes in a lab: per node an etcd member
 * (peer and client TLS; members 2..N join the first with `etcdctl member add`), a
 * kube-apiserver on its local member (client-certificate auth, RBAC), optionally
 * kube-controller-manager and kube-scheduler, and optionally kube-vip configured exactly as
 * its own `kube-vip manifest pod` output sets it. Waits for each to be ready and logs how long
 * it took.
 *
 * Owns: the order things start in, their command lines, readiness checks. Must not touch:
 * namespaces and links (lab.c), certificates (pki.c, i.e. kubeadm).
 *
 * Files (D = dir): D/config.json (the control plane as a profile, profile.h: what `cpfixture`
 * reads back), D/nodes/<name>/log/<process>.log,
 * D/nodes/<name>/run/<process>.pid, D/nodes/<name>/etc/kubernetes (the node's /etc/kubernetes),
 * D/nodes/<name>/etcd-data, D/vip/admin.conf.
 */
#ifndef VIPD_CONTROLPLANE_H
#define VIPD_CONTROLPLANE_H

#include <stdbool.h>

#include "lab.h"
#include "supervise.h"

enum cp_role { CP_ETCD, CP_APISERVER, CP_CONTROLLER_MANAGER, CP_SCHEDULER, CP_KUBE_VIP, CP_ROLES };

struct cp_options {
	unsigned nodes;		   /* 1..LAB_MAX_NODES-1 */
	const char *dir;	   /* exists and is empty */
	const char *bindir;	   /* the upstream programs */
	const char *subnet;	   /* "192.0.2.0/24" */
	const char *name;	   /* first node's name; the others are <name>-m02, -m03, … */
	unsigned port;		   /* apiserver port */
	bool controllers;	   /* also kube-controller-manager and kube-scheduler */
	bool kube_vip;		   /* also kube-vip on every node */
	char *const *kube_vip_env; /* "k=v" overrides of the manifest's env, NULL-terminated */
	int timeout_s;		   /* per readiness wait */
	/* Polled while waiting; returns true when the caller wants to give up (a signal). */
	bool (*interrupted)(void *ctx);
	void *ctx;
};

struct cp_node {
	struct lab_node *node;
	struct sv_proc *procs[CP_ROLES];
};

struct controlplane {
	struct cp_options opt;
	struct supervisor sv;
	struct lab lab;
	struct cp_node nodes[LAB_MAX_NODES];
	struct lab_node *client; /* a namespace on the bridge that runs nothing: for tests */
	char k8s_version[32];
	const struct logger *log;
};

extern const char *const cp_role_names[CP_ROLES];

/* Brings the whole control plane up (moves the caller into the lab's namespaces). Returns 0 or
 * a negative errno; on failure the caller still calls cp_down(). */
int cp_up(struct controlplane *cp, const struct cp_options *opt, const struct logger *log);

/* Reaps exited processes (logging unexpected exits). */
void cp_poll(struct controlplane *cp);

/* Prints the last `lines` lines of every process log to out. */
void cp_print_logs(const char *dir, unsigned lines, FILE *out);

/* Stops every process and namespace holder it started, by PID. */
void cp_down(struct controlplane *cp);

#endif
