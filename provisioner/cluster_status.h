/*
 * cluster_status — what `provisioner status` and `provisioner profile list` decide and print.
 * The caller probes each node (its init process, kubelet, apiserver /livez, etcd member health,
 * `etcdctl member list`, the kubeconfig, the VIP holder) and hands the results here as plain
 * values; this module only decides and formats, so every rule is a unit test.
 *
 * The verdict is quorum-aware where minikube counts healthy control planes (HAppy ≥ 3,
 * Degraded 2, Stopped below; 5 control planes with 2 down still say HAppy there). Ours, in order:
 *  - Error: no control plane, or no control-plane host runs while not all are stopped.
 *  - Stopped: every control-plane host is stopped.
 *  - NoQuorum: healthy etcd members ≤ members / 2, or no apiserver answers.
 *  - HAppy: every control plane healthy and at least 3 of them; Running: the same with 1 or 2
 *    (a cluster, not an HA one).
 *  - Degraded: anything else — some control plane unhealthy, quorum held, an apiserver answers.
 * A control plane is healthy when its host, kubelet, apiserver and etcd run and it is listed as an
 * etcd member. Members are the control planes marked etcd_member; when none is (the member list
 * could not be read) every control plane is taken as a member and the reason says so. Workers
 * never change the verdict. A leaked member (listed, but no node of ours) can be passed as a
 * control-plane entry with host COMP_NONEXISTENT and etcd_member set: it counts against quorum,
 * as it does in etcd.
 *
 * Output follows minikube: `status` text blocks, its exit-code bitmask and JSON field names;
 * `profile list` as a tablewriter-style box and {"invalid":[…],"valid":[…]}.
 *
 * Owns: the status rules and their wording. Must not touch: probes, files, the network — the
 * only I/O is writing to the FILE * given.
 *
 * The calls that matter: cluster_decide(), status_exit_code(), status_print_text().
 */
#ifndef VIPD_CLUSTER_STATUS_H
#define VIPD_CLUSTER_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum comp_state { COMP_RUNNING, COMP_STOPPED, COMP_ERROR, COMP_NONEXISTENT, COMP_IRRELEVANT };

struct node_health {
	const char *name;
	bool control_plane;
	enum comp_state host; /* the node's init process */
	enum comp_state kubelet;
	enum comp_state apiserver; /* /livez of the node's own apiserver; IRRELEVANT for workers */
	enum comp_state etcd;	   /* the node's etcd member healthy; IRRELEVANT for workers */
	bool etcd_member;	   /* listed in `etcdctl member list` (control planes) */
	bool kubeconfig_ok; /* the user's kubeconfig has this profile's context pointing at the VIP
			     */
	const char *vip_role; /* "leader" | "follower" | "out:<reason>" | "down" | "" unknown;
				 control planes */
	const char *ip;
};

enum cluster_state {
	CLUSTER_HAPPY,
	CLUSTER_DEGRADED,
	CLUSTER_NOQUORUM,
	CLUSTER_STOPPED,
	CLUSTER_RUNNING, /* non-HA: 1 or 2 control planes, all fine */
	CLUSTER_ERROR,
};

struct cluster_verdict {
	enum cluster_state state;
	char reason[256]; /* one sentence, e.g. "2 of 3 control planes healthy; etcd quorum held
			     (2 of 3 members); unhealthy: ha-demo-m03 (host Stopped)" */
	unsigned cp_total, cp_healthy, etcd_members, etcd_healthy;
};

/* The rules above. Never fails; n may be 0 (→ Error). */
void cluster_decide(const struct node_health *nodes, size_t n, struct cluster_verdict *out);
/* An HA profile (made with --ha) promised at least 3 control planes: a Running verdict (all
 * healthy, but fewer than 3) is Degraded for it, with the reason saying so. */
void cluster_apply_ha(struct cluster_verdict *v, bool ha);
/* "HAppy", "Degraded", "NoQuorum", "Stopped", "Running", "Error" */
const char *cluster_state_name(enum cluster_state s);
/* "Running", "Stopped", "Error", "Nonexistent", "Irrelevant" */
const char *comp_state_name(enum comp_state s);

#define STATUS_EXIT_HOST       1 /* a host not running */
#define STATUS_EXIT_CLUSTER    2 /* a kubelet, or a control plane's apiserver, not running */
#define STATUS_EXIT_KUBECONFIG 4 /* a control plane's kubeconfig misconfigured */
/* minikube's `status` exit code: the bits above OR-ed over the nodes shown. */
int status_exit_code(const struct node_health *nodes, size_t n);

/* minikube's `status` text, one block per node, each followed by a blank line (as minikube's
 * template does):
 *   <name>
 *   type: Control Plane|Worker
 *   host: Running
 *   kubelet: Running
 *   apiserver: Running                     (control planes only)
 *   etcd: Running                          (control planes only; ours)
 *   vip: leader|follower|unhealthy|unknown (control planes only; ours)
 *   kubeconfig: Configured|Misconfigured   (control planes only)
 * Returns 0 or -EIO when the stream reports an error. */
int status_print_text(FILE *out, const struct node_health *nodes, size_t n);

/* `status -o json`, one line. With v NULL: minikube's node layout, an array (always, even for
 * one node) of {"Name","Host","Kubelet","APIServer","Kubeconfig","Worker"} plus ours "Etcd",
 * "VIP", "IP" — workers say "Irrelevant" for APIServer, Kubeconfig, Etcd and VIP. With v: the
 * cluster layout {"Name": profile, "State", "Reason", "Nodes": [that array]}.
 * Returns 0, -ENOMEM or -EIO. */
int status_print_json(FILE *out, const char *profile, const struct cluster_verdict *v,
		      const struct node_health *nodes, size_t n);

/* One node of a profile, for `profile list -o json`. */
struct profile_row_node {
	const char *name, *ip;
	bool control_plane;
};

struct profile_row {
	const char *profile, *driver, *runtime, *ip; /* ip: the VIP for HA profiles */
	unsigned port;
	const char *version;
	const char *status; /* cluster_state_name() of the verdict, or "Unknown" */
	unsigned nodes;
	bool active;
	const struct profile_row_node *node_list; /* `nodes` entries for JSON; NULL: "Nodes": [] */
};

/* minikube's `profile list` table: columns Profile, Driver, Runtime, IP, Port, Version, Status,
 * Nodes, Active ("*" on the active profile), boxed with | and - as tablewriter draws it: border,
 * header (centred), border, one row per profile (numbers right-aligned, text left), border.
 * Every column is as wide as its widest cell. Returns 0 or -EIO. */
int profile_list_print_table(FILE *out, const struct profile_row *rows, size_t n);

/* `profile list -o json`, one line:
 *   {"invalid": [{"Name": …}…],
 *    "valid": [{"Name", "Status", "Active",
 *               "Config": {"Name", "Driver", "Runtime" (ours),
 *                          "KubernetesConfig": {"KubernetesVersion", "ContainerRuntime"},
 *                          "Nodes": [{"Name", "IP", "Port", "ControlPlane", "Worker"}…]}}…]}
 * invalid names the profiles whose config could not be read, as minikube's objects (only "Name"
 * filled). A node's Port is the row's port; Worker is !ControlPlane. Returns 0, -ENOMEM or
 * -EIO. */
int profile_list_print_json(FILE *out, const struct profile_row *rows, size_t n,
			    const char *const *invalid, size_t n_invalid);

#endif
