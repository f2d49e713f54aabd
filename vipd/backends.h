/*
 * backends — the load balancer's backend table, pure (no I/O, no clock): Node objects in (the
 * node watch's LIST and ADDED / MODIFIED / DELETED events), health-check results in, the
 * desired IPVS destinations out. Everything lb.c decides is decided here, so it is unit-tested
 * and fuzzed on kubelet-shaped Node JSON.
 *
 * A node is parsed into {name, InternalIP of the VIP's family, Ready, control-plane}. Any
 * malformed field leaves the node out (the `ignored` hook says which field and value; a node
 * already in the table leaves it), never a crash. At most BACKENDS_MAX nodes (the daemon's loop has
 * 64 fds, and each checked backend holds one); more are ignored.
 *
 * A backend is a *candidate* when its node is Ready and labelled control-plane; candidates are
 * health-checked (by lb.c) and are in the service unless their checks failed:
 *
 *   new candidate ── health UNKNOWN: in the service at once
 *   BACKENDS_FALL failed checks in a row ─→ UNHEALTHY: out
 *   BACKENDS_RISE passed checks in a row ─→ HEALTHY: in again
 *   every candidate UNHEALTHY ─→ all of them in (fail open) until one passes
 *
 * Why a new candidate goes in before its first check (as kube-vip does): its kubelet has just
 * said the node is Ready, and the first check starts at once, so a wrong guess lasts one check
 * round trip; waiting instead would leave a new leader's service empty (every connection to the
 * VIP refused) for up to one interval at each takeover and start-up. A candidate that stops
 * being one (NotReady, label gone, address changed) forgets its health: when it returns it is
 * a new candidate.
 *
 * Why fail open: when every check fails, the checker is more likely wrong than every apiserver
 * dead — this node cut off or starved of CPU, or a certificate that lacks the name the check asks
 * for — and an empty IPVS service answers every client with "port unreachable", while the
 * candidates may well answer (Envoy's panic threshold, nginx's "all upstreams down" rule).
 *
 * Every entry into or exit from the service is reported through the `changed` hook with its
 * reason, when it happens, so the caller logs exactly one line per change.
 *
 * Owns: the table and its rules. Must not touch: sockets, IPVS, the clock.
 * The calls that matter: backends_list(), backends_event(), backends_health(),
 * backends_desired().
 */
#ifndef VIPD_BACKENDS_H
#define VIPD_BACKENDS_H

#include <jansson.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "ipvs.h"
#include "kc_stream.h"

#define BACKENDS_MAX		    32 /* control planes have 3 to 7; each checked backend holds a loop fd */
#define BACKEND_NAME_MAX	    254 /* a DNS subdomain (253) and its NUL */
#define BACKENDS_FALL		    1	/* failed checks in a row that take a backend out */
#define BACKENDS_RISE		    1	/* passed checks in a row that bring it back */
#define BACKENDS_WHY_MAX	    384
#define BACKEND_CONTROL_PLANE_LABEL "node-role.kubernetes.io/control-plane"

/* What the table keeps of a Node object. */
struct backend_node {
	char name[BACKEND_NAME_MAX];
	int af; /* AF_INET or AF_INET6: the VIP's */
	union ipvs_addr addr;
	char addr_text[INET6_ADDRSTRLEN];
	bool ready;	    /* status.conditions[type=Ready].status == "True" */
	bool control_plane; /* has the label BACKEND_CONTROL_PLANE_LABEL */
};

enum backend_health { BACKEND_UNKNOWN, BACKEND_HEALTHY, BACKEND_UNHEALTHY };

struct backend {
	struct backend_node node;
	enum backend_health health;
	unsigned fails, passes; /* checks in a row */
	bool in_service;	/* among backends_desired() */
};

struct backends_hooks {
	/* A node left out of the table: `name` ("" when it has none) and why. May be NULL. */
	void (*ignored)(void *arg, const char *name, const char *why);
	/* A backend joined (in = true) or left the service, and why. May be NULL. */
	void (*changed)(void *arg, const struct backend *b, bool in, const char *reason);
	void *arg;
};

struct backends {
	int af;	       /* the VIP's family: nodes are reached at their InternalIP of it */
	uint16_t port; /* the apiserver port of every backend */
	uint32_t fwd;  /* IP_VS_CONN_F_* */
	struct backends_hooks hooks;
	size_t n;
	struct backend b[BACKENDS_MAX];
};

/* An empty table for a VIP of family `af`; `hooks` is copied (may be NULL). */
void backends_init(struct backends *t, int af, uint16_t port, uint32_t fwd,
		   const struct backends_hooks *hooks);

/* Parses a Node object. 0, or -EINVAL with one line in `err` naming the field and value (and
 * the node, when its name could be read). */
int backend_node_parse(const json_t *node, int af, struct backend_node *out, struct nl_error *err);

/* LIST: the table becomes exactly these nodes (`items` a JSON array; health is kept for
 * backends that stay the same). Returns the number of service changes reported. */
unsigned backends_list(struct backends *t, const json_t *items);
/* One watch event (ADDED, MODIFIED, DELETED; others are ignored). Returns the number of
 * service changes reported. */
unsigned backends_event(struct backends *t, enum kc_event_type type, const json_t *node);
/* A health check of backend `name` at `addr_text` passed or failed (`detail` says why; may be
 * NULL). Results for a backend that is gone, moved or no longer a candidate are ignored.
 * Returns the number of service changes reported. */
unsigned backends_health(struct backends *t, const char *name, const char *addr_text, bool ok,
			 const char *detail);

bool backend_is_candidate(const struct backend *b); /* Ready control-plane node */
/* Whether b belongs in the service: a candidate, not UNHEALTHY unless every candidate is. */
bool backends_wants(const struct backends *t, const struct backend *b);
const struct backend *backends_find(const struct backends *t, const char *name);

/* The destinations the service should have: every backend in it, at its address and the
 * table's port, forwarding method `fwd`, weight 1, sorted by address, one per address (two nodes
 * claiming one address make one destination: IPVS refuses duplicates). Returns the count. */
size_t backends_desired(const struct backends *t, struct ipvs_dest *out, size_t max);

/* Candidates, and candidates whose last check passed. */
void backends_count(const struct backends *t, size_t *candidates, size_t *healthy);

#endif
