/*
 * actions — cluster actions (kind's split): each command's work as a list of small named steps,
 * each printed as one status line with its duration, built only from the provider (nodes) and
 * the bootstrapper (kubeadm, etcd). The caller holds the profile's lock and saves the profile
 * after every step that changed it, so an interrupted command leaves a state the next one reads.
 *
 * Owns: the order of steps and the user-facing step lines. Must not touch: flags and output
 * formats of commands (cli/), the profile file's format (profile.c).
 *
 * The calls that matter: action_start(), action_node_add(), action_node_delete(),
 * action_stop(), action_delete().
 */
#ifndef VIPD_ACTIONS_H
#define VIPD_ACTIONS_H

#include <stdbool.h>
#include <stdio.h>

#include "profile.h"
#include "provider.h"

struct action_ctx {
	struct provider *pv;
	struct profile *p;
	const char *home;
	FILE *out;    /* step lines */
	int wait_s;   /* per wait (node Ready, HAppy) */
	bool no_wait; /* --wait=false: return once kubeadm is done, without waiting for Ready */
	/* Called after every change to *p; returns 0 or -errno (the profile is saved). */
	int (*save)(struct action_ctx *a);
	const char *kubeconfig; /* the user's kubeconfig file to merge into */
};

/* A new profile: bridge, the first control plane (kubeadm init), the other nodes (join) one
 * after another, pod routes, the user's kubeconfig. The profile's nodes are already listed
 * (profile_node_add) and none runs. */
int action_start(struct action_ctx *a);
/* An existing stopped profile: every node started at once (so etcd regains quorum), then waits
 * for every apiserver. */
int action_restart(struct action_ctx *a);
/* Adds one node (already in p, not running) and joins it. */
int action_node_add(struct action_ctx *a, struct profile_node *n);
/* Removes a node: its etcd member first (control planes), then the Kubernetes Node, then the
 * node itself; refuses to break etcd quorum or remove the last control plane unless force. */
int action_node_delete(struct action_ctx *a, struct profile_node *n, bool force);
int action_node_stop(struct action_ctx *a, struct profile_node *n);
int action_node_start(struct action_ctx *a, struct profile_node *n);
int action_stop(struct action_ctx *a);
/* Stops every node, removes the bridge, the kubeconfig entries and the profile directory. */
int action_delete(struct action_ctx *a);

/* A running control plane other than `except` (NULL: any); NULL when none runs. */
struct profile_node *action_running_cp(struct profile *p, const struct profile_node *except);

#endif
