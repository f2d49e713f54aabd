/*
 * nl_addr — put a virtual IP on an interface, take it off, and ask whether it is there.
 *
 * The VIP is added the way kube-vip adds it: the prefix length the user chose (/32 or /128 by
 * default), scope global, preferred_lft 0 ("deprecated", so the kernel never picks it as a source
 * address) and valid_lft forever; IPv6 optionally with IFA_F_NODAD. Add and delete are
 * idempotent: EEXIST on add and EADDRNOTAVAIL on delete count as success.
 *
 * nl_addr_set() adds it with a finite valid_lft instead, or pushes the expiry of one already
 * there out (NLM_F_REPLACE): the daemon's VIP never outlives its right to hold it, because the
 * kernel itself removes it when the lifetime runs out.
 *
 * Owns: RTM_NEWADDR / RTM_DELADDR / RTM_GETADDR. Must not touch: links, routes, neighbours.
 */
#ifndef VIPD_NL_ADDR_H
#define VIPD_NL_ADDR_H

#include <stdbool.h>
#include <stdint.h>

#include "inet_prefix.h"
#include "nl_sock.h"

/* An address as the kernel reports it. */
struct nl_addr {
	int ifindex;
	struct inet_prefix prefix;
	uint8_t scope;	    /* RT_SCOPE_* */
	uint32_t flags;	    /* IFA_F_*, from IFA_FLAGS when present */
	uint32_t preferred; /* seconds; 0xffffffff = forever */
	uint32_t valid;
};

#define NL_ADDR_FOREVER 0xffffffffU

enum nl_addr_option {
	NL_ADDR_NODAD = 1 << 0, /* IPv6: skip duplicate address detection */
};

/* Builds RTM_NEWADDR (type RTM_NEWADDR) or RTM_DELADDR into `buf`. Pure. */
struct nlmsghdr *nl_addr_build(void *buf, uint16_t type, int ifindex, const struct inet_prefix *vip,
			       unsigned options);

/* Parses an RTM_NEWADDR/RTM_DELADDR message. Pure. Returns 0 or -EBADMSG. */
int nl_addr_parse(const struct nlmsghdr *nlh, struct nl_addr *out);

int nl_addr_add(struct nl_sock *s, int ifindex, const struct inet_prefix *vip, unsigned options,
		struct nl_error *err);
/* Adds the VIP with valid_lft `valid_s` seconds (1..2^32-2), or refreshes it to that. */
int nl_addr_set(struct nl_sock *s, int ifindex, const struct inet_prefix *vip, unsigned options,
		uint32_t valid_s, struct nl_error *err);
/* Pure builder behind both: valid_s NL_ADDR_FOREVER = add once (EXCL), else add-or-replace. */
struct nlmsghdr *nl_addr_build_lft(void *buf, uint16_t type, int ifindex,
				   const struct inet_prefix *vip, unsigned options,
				   uint32_t valid_s);
int nl_addr_del(struct nl_sock *s, int ifindex, const struct inet_prefix *vip,
		struct nl_error *err);

/* Looks the address up on `ifindex` (prefix length ignored). Fills `found` when non-NULL. */
int nl_addr_find(struct nl_sock *s, int ifindex, const struct inet_prefix *vip, bool *present,
		 struct nl_addr *found, struct nl_error *err);

#endif
