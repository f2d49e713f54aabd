/*
 * profile — the profile store: the one reader and writer of a profile's state. A profile is a
 * directory <home>/profiles/<name>/ (mode 0700) holding config.json (mode 0600, written
 * atomically: temporary file, fsync, rename) and a lock file; node directories live under it
 * (<dir>/nodes/<node>/, owned by the node provider). Two commands on one profile never
 * interleave: every command that changes a profile holds its lock from load to save.
 *
 * Owns: config.json, the lock, the directory's creation and removal. Must not touch: what is
 * inside node directories while nodes run (the provider stops them first), the kubeconfig.
 *
 * The calls that matter: profile_lock(), profile_load(), profile_save(), profile_node_add().
 */
#ifndef VIPD_PROFILE_H
#define VIPD_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PROFILE_MAX_NODES 16
#define PROFILE_NAME_MAX  40 /* + "-m99" stays a DNS label; the bridge name is derived */
#define PROFILE_MAX_ID	  99

struct profile_node {
	char name[64];	     /* "<profile>" for id 1, else "<profile>-m<id:02>" */
	unsigned id;	     /* 1, 2, …; never reused within a profile */
	bool control_plane;  /* false: a worker */
	char ip[16];	     /* gateway + id: "192.168.49.2" for id 1 */
	char pod_cidr[32];   /* "10.244.<id>.0/24" */
	pid_t init_pid;	     /* the node's init process; 0 when the node is stopped */
	uint64_t init_start; /* its start time (/proc/PID/stat field 22): guards PID reuse */
};

/* A profile whose nodes are held by one foreground process rather than by detached node init
 * processes: cpfixture's control plane (etcd and kube-apiserver run directly in each node's
 * namespaces, runtime "none"). Its nodes' init_pid/init_start are their namespace holders. The
 * client is a namespace on the bridge that runs nothing (tests send their traffic from it). */
struct profile_holder {
	pid_t pid; /* 0: no holder (the provisioner's profiles) */
	uint64_t start;
	char bindir[1024]; /* the upstream programs it runs */
	char client_ip[16];
	pid_t client_pid;
};

struct profile {
	char name[PROFILE_NAME_MAX + 1];
	char driver[16];	 /* "namespaces" */
	char runtime[16];	 /* "containerd"; "none" when a holder runs processes directly */
	char subnet[32];	 /* "192.168.49.0/24" */
	char gateway[16];	 /* subnet + 1, the bridge's address */
	char vip[16];		 /* last usable address of the subnet */
	unsigned apiserver_port; /* 8443 */
	char k8s_version[32];	 /* "v1.34.4" */
	char vip_provider[16];	 /* "vipd" | "kube-vip" | "none" (the tests start one) */
	char vip_election[16];	 /* "lease" | "etcd" (vipd only); absent in JSON: "lease" */
	char bridge[16];	 /* the profile's bridge in the caller's network namespace */
	bool lb_enable;		 /* IPVS control-plane load balancing (the kernel has ip_vs) */
	bool ha;	  /* made with --ha: fewer than 3 healthy control planes is Degraded */
	unsigned last_id; /* highest node id ever used */
	int64_t created;  /* unix seconds */
	size_t n_nodes;
	struct profile_node nodes[PROFILE_MAX_NODES];
	struct profile_holder holder; /* optional ("holder" in JSON) */
};

/* <home>: $PROVISIONER_HOME, else $HOME/.provisioner. */
int profile_home(char *buf, size_t len);
/* <home>/profiles/<name> */
int profile_dir(const char *home, const char *name, char *buf, size_t len);

/* A profile name: 1..PROFILE_NAME_MAX of [a-z0-9-], starting with a letter, not ending in '-'.
 * Returns 0 or -EINVAL with why = "profile name \"X\": <rule broken>". */
int profile_name_check(const char *name, char *why, size_t why_len);

/* Pure: JSON text → profile, every field checked (types, ranges, addresses, node names
 * matching ids, no duplicate ids, ids ≤ last_id). Returns 0 or -EINVAL with why naming the bad
 * field and value. Never reads past len; text need not be NUL-terminated. */
int profile_parse(const char *text, size_t len, struct profile *p, char *why, size_t why_len);
/* Pure: profile → JSON text (malloc'd, caller frees). NULL on ENOMEM. */
char *profile_format(const struct profile *p);

/* The same for a profile kept in any directory (cpfixture's): dir/config.json. */
int profile_save_dir(const char *dir, const struct profile *p);
int profile_load_dir(const char *dir, struct profile *p, char *why, size_t why_len);

/* Reads <home>/profiles/<name>/config.json. -ENOENT when the profile does not exist; -EINVAL
 * (why set) when it is unreadable as a profile. */
int profile_load(const char *home, const char *name, struct profile *p, char *why, size_t why_len);
/* Writes config.json atomically (0600), making <home>/profiles/<name> (0700) if needed.
 * -EINVAL (nothing written) when p would not pass profile_parse. */
int profile_save(const char *home, const struct profile *p);
/* Removes the profile's directory and everything in it (nothing may be mounted there: the
 * removal stays on one filesystem and fails, -ENOTEMPTY or -EBUSY, if anything is left).
 * -ENOENT when there is no such directory. */
int profile_remove(const char *home, const char *name);
/* Names of every profile directory under <home>/profiles, sorted (entries that are not
 * directories or fail profile_name_check are skipped; no profiles directory: *n = 0).
 * -ENOBUFS when there are more than max. */
int profile_list(const char *home, char (*names)[PROFILE_NAME_MAX + 1], size_t max, size_t *n);

/* Takes the profile's exclusive lock (flock on <dir>/lock; makes the directory). When another
 * command holds it, calls waiting(ctx) once, then blocks (if that command removed the profile
 * meanwhile, the lock is taken afresh on a new directory). Returns the lock fd (≥ 0) or -errno. */
int profile_lock(const char *home, const char *name, void (*waiting)(void *ctx), void *ctx);
void profile_unlock(int fd);

/* Fills a new profile's fixed fields: name, driver, runtime, subnet (gateway, vip derived),
 * port, version, provider, election "lease" (set vip_election after for etcd), bridge ("vp-" + a
 * hash of the name, ≤ 15 chars). Returns 0 or -EINVAL with why. */
int profile_init(struct profile *p, const char *name, const char *subnet, unsigned port,
		 const char *k8s_version, const char *vip_provider, char *why, size_t why_len);

/* Adds a node with id last_id + 1 (name, ip, pod CIDR derived). -ENOSPC when full or ids or
 * addresses are exhausted. */
int profile_node_add(struct profile *p, bool control_plane, struct profile_node **out);
/* Finds a node by full name or by its suffix ("m02"); NULL when absent. */
struct profile_node *profile_node_find(struct profile *p, const char *name);
/* Removes a node from the list (its id stays used). */
void profile_node_remove(struct profile *p, struct profile_node *n);
/* The node with the lowest id that is a control plane (the one `kubeadm init` ran on, unless it
 * was deleted); NULL when none. */
struct profile_node *profile_primary(struct profile *p);
size_t profile_control_planes(const struct profile *p);

#endif
