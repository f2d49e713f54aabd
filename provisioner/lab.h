/*
 * lab — nodes as namespaces on a bridge. The process that opens a lab moves itself into a
 * private network and mount namespace (the "hub"), makes a bridge there with the gateway
 * address, and gives each node its own network, UTS and mount namespace, held open by a small
 * child process, with a veth on the bridge and the address gateway + index. The last usable
 * address of the subnet is kept for a VIP. Nothing here is visible from the machine's own
 * namespaces, so two labs can use the same subnet at once.
 *
 * Owns: the hub, the bridge, node namespaces, their addresses, hostname, /etc overlay and
 * /sys. Must not touch: the machine's interfaces, routes or firewall; what runs in a node.
 *
 * The calls that matter: lab_open(), lab_add_node().
 */
#ifndef VIPD_LAB_H
#define VIPD_LAB_H

#include <limits.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

#include "supervise.h"

#define LAB_MAX_NODES 16
#define LAB_BRIDGE    "br0"

struct lab_node {
	char name[64];
	unsigned index; /* address = gateway + index */
	struct in_addr addr;
	char dir[PATH_MAX];	/* <lab dir>/nodes/<name> */
	char etc_dir[PATH_MAX]; /* upper layer of the node's /etc: <dir>/etc */
	pid_t holder;		/* the process holding its namespaces */
};

struct lab {
	char dir[PATH_MAX];
	struct in_addr network;
	unsigned prefix;
	struct in_addr gateway; /* network + 1 */
	struct in_addr vip;	/* last usable address */
	struct lab_node nodes[LAB_MAX_NODES];
	size_t n_nodes;
	struct supervisor *sv;
	const struct logger *log;
};

/* Parses an IPv4 subnet "192.0.2.0/24" (prefix 16..29) into lab. Returns 0 or -EINVAL with a
 * one-line reason in why. */
int lab_subnet_parse(struct lab *lab, const char *text, char *why, size_t why_len);

/* Address number `index` of the subnet (gateway = 1). Returns -ERANGE past the VIP. */
int lab_addr(const struct lab *lab, unsigned index, struct in_addr *out);

/* Moves the caller into a new network + mount namespace and makes the bridge. dir must exist.
 * The caller must be single-threaded. */
int lab_open(struct lab *lab, struct supervisor *sv, const char *dir);

/* Makes node `name` at gateway + index: namespaces, veth on the bridge, address, default
 * route via the gateway, hostname, a private /etc (overlay: hosts file maps every name given
 * in `hosts`, plus `kubernetes` → 127.0.0.1) and a fresh /sys. */
int lab_add_node(struct lab *lab, const char *name, unsigned index, const char *hosts,
		 struct lab_node **out);

/* Runs `ip ARGS…` in a node (NULL: the hub). */
int lab_ip(const struct lab *lab, const struct lab_node *node, const char *const *args);

#endif
