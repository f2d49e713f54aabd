/*
 * announcer.c — the raw socket behind VIP announcements.
 */
#include "announcer.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int garp_mode_parse(const char *text, enum garp_mode *mode)
{
	if (!strcmp(text, "alternate"))
		*mode = GARP_MODE_ALTERNATE;
	else if (!strcmp(text, "request"))
		*mode = GARP_MODE_REQUEST;
	else if (!strcmp(text, "reply"))
		*mode = GARP_MODE_REPLY;
	else
		return -EINVAL;
	return 0;
}

int announcer_open(struct announcer *a, int ifindex, const uint8_t mac[6],
		   const struct inet_prefix *vip, enum garp_mode mode, struct nl_error *err)
{
	memset(a, 0, sizeof(*a));
	a->fd = -1;
	a->ifindex = ifindex;
	memcpy(a->mac, mac, 6);
	a->vip = *vip;
	a->mode = mode;

	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return nl_error_set(err, errno, "raw socket: %s", strerror(errno));
	/* Protocol 0 already receives nothing; the filter makes that explicit and permanent. */
	struct sock_filter drop_all[] = {BPF_STMT(BPF_RET | BPF_K, 0)};
	struct sock_fprog prog = {.len = 1, .filter = drop_all};
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0) {
		int e = errno;
		close(fd);
		return nl_error_set(err, e, "raw socket filter: %s", strerror(e));
	}
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_ifindex = ifindex};
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		int e = errno;
		close(fd);
		return nl_error_set(err, e, "raw socket bind to ifindex %d: %s", ifindex,
				    strerror(e));
	}
	a->fd = fd;
	return 0;
}

int announcer_watch(struct announcer *a, struct nl_error *err)
{
	struct sock_filter insns[CLAIMS_FILTER_MAX];
	int n = claims_filter_build(&a->vip, insns, CLAIMS_FILTER_MAX);
	if (n < 0)
		return nl_error_set(err, -n, "claim filter: %s", strerror(-n));
	/* The filter first, then the protocol: nothing unfiltered is ever queued. */
	struct sock_fprog prog = {.len = (unsigned short)n, .filter = insns};
	if (setsockopt(a->fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0)
		return nl_error_set(err, errno, "claim filter: %s", strerror(errno));
	/* Our own frames would come back as PACKET_OUTGOING: leave them out in the kernel. */
	int one = 1;
	if (setsockopt(a->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) < 0)
		return nl_error_set(err, errno, "raw socket PACKET_IGNORE_OUTGOING: %s",
				    strerror(errno));
	struct sockaddr_ll sll = {
	    .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = a->ifindex};
	if (bind(a->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		return nl_error_set(err, errno, "raw socket bind to ifindex %d: %s", a->ifindex,
				    strerror(errno));
	return 0;
}

int announcer_recv_claim(struct announcer *a, struct claim *c)
{
	uint8_t frame[CLAIMS_SNAP_LEN];
	struct sockaddr_ll from;
	socklen_t fromlen = sizeof(from);
	ssize_t n =
	    recvfrom(a->fd, frame, sizeof(frame), MSG_DONTWAIT, (struct sockaddr *)&from, &fromlen);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (from.sll_pkttype == PACKET_OUTGOING)
		return 0;
	return claim_parse(frame, (size_t)n, &a->vip, c);
}

void announcer_close(struct announcer *a)
{
	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
}

enum garp_op announcer_next_op(const struct announcer *a)
{
	switch (a->mode) {
	case GARP_MODE_REQUEST:
		return GARP_REQUEST;
	case GARP_MODE_REPLY:
		return GARP_REPLY;
	case GARP_MODE_ALTERNATE:
		break;
	}
	return a->sent % 2 == 0 ? GARP_REQUEST : GARP_REPLY;
}

int announcer_next_frame(const struct announcer *a, uint8_t *buf, size_t len)
{
	if (a->vip.family == AF_INET)
		return frame_build_garp(buf, len, a->mac, a->vip.addr.v4, announcer_next_op(a));
	return frame_build_na(buf, len, a->mac, &a->vip.addr.v6);
}

int announcer_send(struct announcer *a, struct nl_error *err)
{
	uint8_t frame[NA_FRAME_LEN];
	int len = announcer_next_frame(a, frame, sizeof(frame));
	if (len < 0)
		return nl_error_set(err, -len, "announcement frame: %s", strerror(-len));
	struct sockaddr_ll to = {
	    .sll_family = AF_PACKET,
	    .sll_ifindex = a->ifindex,
	    .sll_protocol = htons(a->vip.family == AF_INET ? ETH_P_ARP : ETH_P_IPV6),
	    .sll_halen = 6,
	};
	memcpy(to.sll_addr, frame, 6); /* the frame's destination MAC */
	ssize_t n = sendto(a->fd, frame, (size_t)len, 0, (struct sockaddr *)&to, sizeof(to));
	if (n != len) {
		int e = n < 0 ? errno : EMSGSIZE;
		a->errors++;
		char ifname[IF_NAMESIZE] = "?";
		if_indextoname((unsigned)a->ifindex, ifname);
		return nl_error_set(err, e, "announce on interface \"%s\": %s", ifname,
				    strerror(e));
	}
	a->sent++;
	return 0;
}
