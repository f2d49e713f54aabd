/*
 * ipvs — the kernel's IP Virtual Server tables, spoken to over generic netlink.
 *
 * vipd's load balancer is one IPVS virtual service (VIP:lb_port/TCP) whose real servers are the
 * healthy control-plane nodes. This module adds, edits, deletes and lists services and
 * destinations, and reconciles one service's destinations against a desired set with the fewest
 * kernel calls. When a destination goes, the conntrack entries that still point at it (for that
 * VIP:port) are deleted too, so its clients reconnect at once instead of hanging.
 *
 * Owns: one generic-netlink socket (netlink/nl_sock), the "IPVS" family id, the IPVS commands,
 *       and a conntrack handle opened on the first cleanup.
 * Must not touch: addresses, links, routes or sysctls (the VIP is netlink/'s business), and any
 *       IPVS service the caller did not name.
 *
 * Errors: every call returns 0 or a negative errno with a one-line message in `struct nl_error`.
 * The kernel's errno reaches the caller as is: EEXIST (already there), ESRCH (no such service),
 * ENOENT (no such destination, or unknown scheduler), EINVAL (a malformed request).
 * IPVS_ERR_UNAVAILABLE (-EPROTONOSUPPORT) means "IPVS is not in this kernel": resolving the
 * generic-netlink family "IPVS" answered ENOENT. Callers log it once and carry on without load
 * balancing; no socket is left open when ipvs_open() fails.
 *
 * IPVS state is per network namespace: a handle sees the namespace it was opened in.
 *
 * The calls that matter: ipvs_open() and ipvs_reconcile().
 */
#ifndef VIPD_IPVS_H
#define VIPD_IPVS_H

#include <errno.h>
#include <linux/ip_vs.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ipvs_text.h" /* ipvs_service_str(), ipvs_dest_str(), ipvs_addr_parse() ... */
#include "nl_sock.h"

/* "IPVS is not in this kernel" (the family lookup failed with ENOENT). Returned negated. */
#define IPVS_ERR_UNAVAILABLE EPROTONOSUPPORT

union ipvs_addr {
	struct in_addr v4;
	struct in6_addr v6;
	uint8_t bytes[16]; /* the kernel's nf_inet_addr: IPv4 in the first 4 bytes */
};

/* A virtual service. Identified by (af, protocol, addr, port), or by (af, fwmark) when fwmark is
 * nonzero. */
struct ipvs_service {
	int af;		   /* AF_INET or AF_INET6 */
	uint16_t protocol; /* IPPROTO_TCP, IPPROTO_UDP or IPPROTO_SCTP; unused with fwmark */
	union ipvs_addr addr;
	uint16_t port;			    /* host byte order */
	uint32_t fwmark;		    /* nonzero: a firewall-mark service */
	char sched[IP_VS_SCHEDNAME_MAXLEN]; /* "rr", "wrr", "sh", ... (required on add) */
	uint32_t flags;			    /* IP_VS_SVC_F_PERSISTENT, _ONEPACKET, ... */
	uint32_t timeout;		    /* persistence timeout, seconds */
	uint8_t netmask; /* persistence granularity as a prefix length; 0 = whole address */
};

/* A destination (real server) of a service. Identified by (af, addr, port). */
struct ipvs_dest {
	int af; /* 0 = the service's family */
	union ipvs_addr addr;
	uint16_t port; /* host byte order */
	uint32_t fwd;  /* IP_VS_CONN_F_MASQ, _LOCALNODE, _TUNNEL or _DROUTE */
	int32_t weight;
	uint32_t u_thresh; /* upper connection threshold, 0 = none */
	uint32_t l_thresh; /* lower threshold; the kernel wants l_thresh <= u_thresh */
	/* Filled by dumps only. */
	uint32_t active_conns;
	uint32_t inact_conns;
	uint32_t persist_conns;
};

struct ipvs_info {
	uint32_t version;	/* e.g. 0x010201 for 1.2.1 */
	uint32_t conn_tab_size; /* connection hash table size */
};

struct nfct_handle;

struct ipvs {
	struct nl_sock sock;
	uint16_t family_id;	/* 0 = resolve before the next request */
	uint64_t requests;	/* IPVS commands sent (family look-ups not counted) */
	uint64_t lookups;	/* family look-ups sent */
	struct nfct_handle *ct; /* conntrack, opened on first use */
};

/* Options of the add and delete calls. */
enum ipvs_option {
	/* "Already so" counts as success: EEXIST on add; ESRCH and ENOENT on delete. */
	IPVS_IDEMPOTENT = 1 << 0,
};

/* Opens the socket and resolves the family. -IPVS_ERR_UNAVAILABLE without IPVS; on any error
 * nothing stays open. */
int ipvs_open(struct ipvs *h, struct nl_error *err);
/* Closes everything ipvs_open() and the calls opened; safe on a closed or failed handle. */
void ipvs_close(struct ipvs *h);

int ipvs_get_info(struct ipvs *h, struct ipvs_info *info, struct nl_error *err);
/* Deletes every service and destination in this network namespace. */
int ipvs_flush(struct ipvs *h, struct nl_error *err);

int ipvs_service_add(struct ipvs *h, const struct ipvs_service *svc, unsigned options,
		     struct nl_error *err);
/* Changes scheduler, flags, timeout and netmask of an existing service (-ESRCH if none). */
int ipvs_service_edit(struct ipvs *h, const struct ipvs_service *svc, struct nl_error *err);
int ipvs_service_del(struct ipvs *h, const struct ipvs_service *svc, unsigned options,
		     struct nl_error *err);
/* Reads the service identified by `key` into `out` (-ESRCH if none). */
int ipvs_service_get(struct ipvs *h, const struct ipvs_service *key, struct ipvs_service *out,
		     struct nl_error *err);
/* Lists every service; *out is malloc'd (free() it), *n its length. */
int ipvs_service_dump(struct ipvs *h, struct ipvs_service **out, size_t *n, struct nl_error *err);

int ipvs_dest_add(struct ipvs *h, const struct ipvs_service *svc, const struct ipvs_dest *dest,
		  unsigned options, struct nl_error *err);
/* Changes forwarding method, weight and thresholds of an existing destination. */
int ipvs_dest_edit(struct ipvs *h, const struct ipvs_service *svc, const struct ipvs_dest *dest,
		   struct nl_error *err);
/* Deletes a destination; with `conntrack_removed` non-NULL also deletes the conntrack entries
 * of connections through it (see ipvs_conntrack_flush()) and stores how many. An error of that
 * second part is returned too, the destination being gone by then. */
int ipvs_dest_del(struct ipvs *h, const struct ipvs_service *svc, const struct ipvs_dest *dest,
		  unsigned options, unsigned *conntrack_removed, struct nl_error *err);
/* Lists a service's destinations; *out is malloc'd. The kernel answers a dump for a missing
 * service with an empty list, not ESRCH: use ipvs_service_get() to tell them apart. */
int ipvs_dest_dump(struct ipvs *h, const struct ipvs_service *svc, struct ipvs_dest **out,
		   size_t *n, struct nl_error *err);

struct ipvs_reconcile_result {
	unsigned added, edited, removed; /* destinations */
	unsigned calls;			 /* IPVS requests made, the dump included */
	unsigned conntrack_removed;	 /* conntrack entries deleted for removed destinations */
	int conntrack_err;		 /* 0, or the first conntrack cleanup error (not fatal) */
};

/* Makes the destinations of `svc` exactly `want` (n_want entries, no duplicates): one dump, then
 * the fewest add/edit/delete calls (adds first, deletes last, so a replaced backend never leaves
 * the service empty). Removed destinations get their conntrack entries cleaned up. The service
 * itself must exist: it is never created or deleted here, and a missing one fails on the first
 * add with -ESRCH (its dump is empty, so with nothing to add there is nothing to do). */
int ipvs_reconcile(struct ipvs *h, const struct ipvs_service *svc, const struct ipvs_dest *want,
		   size_t n_want, struct ipvs_reconcile_result *res, struct nl_error *err);

/* Deletes the conntrack entries of connections to svc's VIP:port that IPVS masqueraded to
 * `dest` (original destination = VIP:port, reply source = dest addr:port); stores how many in
 * *removed. Only masquerade leaves the backend in conntrack: other forwarding methods, and
 * firewall-mark services, match nothing. Needs nf_conntrack_netlink and IPVS's conntrack mode
 * (sysctl net.ipv4.vs.conntrack=1); without them there is nothing to delete. */
int ipvs_conntrack_flush(struct ipvs *h, const struct ipvs_service *svc,
			 const struct ipvs_dest *dest, unsigned *removed, struct nl_error *err);

/* Closes the conntrack handle only (ipvs_close() calls it). */
void ipvs_conntrack_close(struct ipvs *h);

#endif
