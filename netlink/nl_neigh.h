/*
 * nl_neigh — read one entry of the neighbour table (ARP / NDP cache) over rtnetlink.
 *
 * Why: the split-brain oracle of the cluster tests (tests/tools/vip_watch) asks which MAC a
 * client would send the VIP's packets to; the answer is the client namespace's neighbour entry
 * for the VIP. Read-only: nothing in vipd writes neighbour entries.
 *
 * Owns: RTM_GETNEIGH dumps and parsing RTM_NEWNEIGH messages. Must not touch: links, addresses.
 *
 * The call that matters: nl_neigh_find().
 */
#ifndef VIPD_NL_NEIGH_H
#define VIPD_NL_NEIGH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inet_prefix.h"
#include "nl_sock.h"

struct nl_neigh {
	int ifindex;
	struct inet_prefix dst; /* NDA_DST, host prefix length */
	uint16_t state;		/* NUD_* */
	uint8_t flags;		/* NTF_* */
	uint8_t lladdr[32];	/* NDA_LLADDR; 6 bytes on Ethernet */
	size_t lladdr_len;
};

/* True when the entry names a link-layer address the kernel would send to: a state in
 * NUD_VALID (reachable, stale, delay, probe, permanent, noarp) and an NDA_LLADDR. Incomplete
 * and failed entries have none. Pure. */
bool nl_neigh_usable(const struct nl_neigh *n);

/* Builds an RTM_GETNEIGH dump request of `family` (AF_INET or AF_INET6) into `buf`
 * (MNL_SOCKET_BUFFER_SIZE bytes or more). Pure; returns the message. */
struct nlmsghdr *nl_neigh_build_dump(void *buf, int family);

/* Parses an RTM_NEWNEIGH/RTM_DELNEIGH message. Returns 0 or -EBADMSG. Pure. */
int nl_neigh_parse(const struct nlmsghdr *nlh, struct nl_neigh *out);

/* Looks up the caller's namespace's entry for `addr` on any interface; a usable entry wins
 * over an unusable one. `found` false when there is none. Returns 0 or -errno with `err`. */
int nl_neigh_find(struct nl_sock *s, const struct inet_prefix *addr, bool *found,
		  struct nl_neigh *out, struct nl_error *err);

#endif
