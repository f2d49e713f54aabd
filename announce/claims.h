/*
 * claims — which received frames claim the VIP, and for which MAC: the watcher's half of
 * announce/. A claim is what moves a neighbour's cache entry for the VIP: an ARP request or
 * reply whose sender protocol address is the VIP (IPv4), or a Neighbor Advertisement whose
 * target is the VIP (IPv6).
 *
 *   claims_filter_build()  the classic BPF program a raw socket attaches (SO_ATTACH_FILTER):
 *                          only such frames reach user space, everything else is dropped in the
 *                          kernel. A coarse sieve: claim_parse() has the last word.
 *   claim_parse()          frame bytes → "a claim by MAC m" or "not a claim". Pure, fuzzed.
 *
 * Owns: the wire formats read back. Must not touch: sockets, the clock, what a conflict is
 * (the daemon decides that: vipd/conflicts.h).
 */
#ifndef VIPD_CLAIMS_H
#define VIPD_CLAIMS_H

#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>

#include "inet_prefix.h"

#define CLAIMS_FILTER_MAX 16  /* instructions claims_filter_build() may write */
#define CLAIMS_SNAP_LEN	  256 /* bytes of an accepted frame the filter keeps */

struct claim {
	uint8_t mac[6]; /* ARP: the sender hardware address; NA: the target link-layer option,
			   or the Ethernet source when the option is absent */
};

/* Writes the filter for `vip` into `insns` (room for `max`). Returns the instruction count or
 * -ENOSPC / -EAFNOSUPPORT. */
int claims_filter_build(const struct inet_prefix *vip, struct sock_filter *insns, size_t max);

/* 1 and `*c` filled when the Ethernet frame `frame` (`len` bytes) claims `vip`; 0 when not. */
int claim_parse(const uint8_t *frame, size_t len, const struct inet_prefix *vip, struct claim *c);

#endif
