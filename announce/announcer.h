/*
 * announcer — sends the VIP's gratuitous ARP (IPv4) or unsolicited NA (IPv6) on one interface.
 *
 * One persistent AF_PACKET socket per interface, bound to it, protocol 0 and a drop-all BPF
 * filter: by default it only sends, so no received frame is ever queued on it.
 * announcer_watch() turns it into the daemon's watcher too: the filter is swapped for the claim
 * filter (claims.h) and the socket starts receiving, so the only frames ever queued are other
 * frames claiming the VIP; announcer_recv_claim() reads them one at a time, non-blocking.
 *
 * Owns: the raw socket and which ARP opcode goes next. Must not touch: the VIP address on the
 * interface, timing (see schedule.h; the caller asks "am I still leader" before each send), and
 * what a claim means (vipd/conflicts.h).
 */
#ifndef VIPD_ANNOUNCER_H
#define VIPD_ANNOUNCER_H

#include <stdint.h>

#include "claims.h"
#include "frames.h"
#include "inet_prefix.h"
#include "nl_sock.h"

enum garp_mode {
	GARP_MODE_ALTERNATE, /* request, reply, request, ... (kube-vip) */
	GARP_MODE_REQUEST,
	GARP_MODE_REPLY,
};

/* Parses "alternate", "request" or "reply"; -EINVAL otherwise. */
int garp_mode_parse(const char *text, enum garp_mode *mode);

struct announcer {
	int fd;
	int ifindex;
	uint8_t mac[6];
	struct inet_prefix vip;
	enum garp_mode mode;
	uint64_t sent;	 /* frames sent */
	uint64_t errors; /* failed sends */
};

/* Opens the socket on `ifindex` whose MAC is `mac`. Needs CAP_NET_RAW. */
int announcer_open(struct announcer *a, int ifindex, const uint8_t mac[6],
		   const struct inet_prefix *vip, enum garp_mode mode, struct nl_error *err);
void announcer_close(struct announcer *a);

/* Receives frames that claim the VIP (ARP whose sender is the VIP, NA whose target is it),
 * filtered in the kernel, from other hosts only (our own transmissions are not queued). Safe to
 * call on an open announcer at any time; 0 or -errno. */
int announcer_watch(struct announcer *a, struct nl_error *err);

/* Reads one queued frame without blocking: 1 and `*c` when it claims the VIP, 0 when it does
 * not (read and discarded), -EAGAIN when none is left, another -errno on error. */
int announcer_recv_claim(struct announcer *a, struct claim *c);

/* Sends one frame: ARP (alternating per mode) or NA. Returns 0 or -errno (counted). */
int announcer_send(struct announcer *a, struct nl_error *err);

/* The ARP opcode the next IPv4 frame carries (request or reply, per the mode). Pure. */
enum garp_op announcer_next_op(const struct announcer *a);

/* Builds the frame announcer_send() would send next, without sending it. Pure. Returns its
 * length or -errno. */
int announcer_next_frame(const struct announcer *a, uint8_t *buf, size_t len);

#endif
