/*
 * announcer — sends the VIP's gratuitous ARP (IPv4) or unsolicited NA (IPv6) on one interface.
 *
 * One persistent AF_PACKET socket per interface, bound to it, protocol 0 and a drop-all BPF
 * filter: it only ever sends, so no received frame is ever queued on it.
 *
 * Owns: the raw socket and which ARP opcode goes next. Must not touch: the VIP address on the
 * interface, and timing (see schedule.h; the caller asks "am I still leader" before each send).
 */
#ifndef VIPD_ANNOUNCER_H
#define VIPD_ANNOUNCER_H

#include <stdint.h>

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

/* Sends one frame: ARP (alternating per mode) or NA. Returns 0 or -errno (counted). */
int announcer_send(struct announcer *a, struct nl_error *err);

/* The ARP opcode the next IPv4 frame carries (request or reply, per the mode). Pure. */
enum garp_op announcer_next_op(const struct announcer *a);

/* Builds the frame announcer_send() would send next, without sending it. Pure. Returns its
 * length or -errno. */
int announcer_next_frame(const struct announcer *a, uint8_t *buf, size_t len);

#endif
