/*
 * nl_link — look up a network interface over rtnetlink.
 *
 * Over netlink rather than sysfs: inside a network namespace, /sys may still show the host's
 * view, while netlink always answers for the caller's namespace.
 *
 * Owns: RTM_GETLINK requests and parsing RTM_NEWLINK messages. Must not touch: addresses.
 */
#ifndef VIPD_NL_LINK_H
#define VIPD_NL_LINK_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nl_sock.h"

struct nl_link {
	int index;
	char name[IF_NAMESIZE];
	uint8_t mac[32]; /* IFLA_ADDRESS; 6 bytes on Ethernet */
	size_t mac_len;
	unsigned mtu;
	uint8_t operstate;     /* IF_OPER_* */
	unsigned short hwtype; /* ARPHRD_* */
	unsigned flags;	       /* IFF_* */
};

/* Up for our purposes: administratively up and the carrier is there. */
bool nl_link_is_up(const struct nl_link *link);

/* Looks `name` up in the caller's network namespace. A missing interface gives -ENODEV with
 * `interface "eth9": no such interface`. */
int nl_link_get(struct nl_sock *s, const char *name, struct nl_link *out, struct nl_error *err);

/* Builds an RTM_GETLINK request for `name` into `buf` (MNL_SOCKET_BUFFER_SIZE bytes or more).
 * Pure; returns the message. */
struct nlmsghdr *nl_link_build_get(void *buf, const char *name);

/* Parses an RTM_NEWLINK message. Returns 0 or -EBADMSG. Pure. */
int nl_link_parse(const struct nlmsghdr *nlh, struct nl_link *out);

#endif
