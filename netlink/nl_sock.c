/*
 * nl_sock.c — the request/reply loop every netlink user in vipd shares (rtnetlink for
 * addresses and links, generic netlink for IPVS). Modelled on iproute2's rtnl_talk: each reply
 * is checked against the request's sequence number and our port id, and the kernel's
 * extended-ack text travels with the errno to the caller.
 */
#include "nl_sock.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <poll.h>

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

int nl_sock_open(struct nl_sock *s, int protocol, unsigned groups, bool nonblock,
		 struct nl_error *err)
{
	memset(s, 0, sizeof(*s));
	s->protocol = protocol;
	s->timeout_ms = 5000;
	s->mnl = mnl_socket_open2(protocol, SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0));
	if (!s->mnl)
		return nl_error_set(err, errno, "netlink socket (protocol %d): %s", protocol,
				    strerror(errno));
	int on = 1;
	/* Extended acks carry the kernel's reason text; capped acks keep error replies small. */
	mnl_socket_setsockopt(s->mnl, NETLINK_EXT_ACK, &on, sizeof(on));
	mnl_socket_setsockopt(s->mnl, NETLINK_CAP_ACK, &on, sizeof(on));
	if (mnl_socket_bind(s->mnl, groups, MNL_SOCKET_AUTOPID) < 0) {
		int e = errno;
		mnl_socket_close(s->mnl);
		s->mnl = NULL;
		return nl_error_set(err, e, "netlink bind (groups 0x%x): %s", groups, strerror(e));
	}
	s->portid = mnl_socket_get_portid(s->mnl);
	s->seq = (uint32_t)time(NULL);
	return 0;
}

void nl_sock_close(struct nl_sock *s)
{
	if (s->mnl)
		mnl_socket_close(s->mnl);
	s->mnl = NULL;
}

int nl_sock_fd(const struct nl_sock *s)
{
	return s->mnl ? mnl_socket_get_fd(s->mnl) : -1;
}

struct ext_ack_text {
	char *buf;
	size_t len;
};

static int ext_ack_attr_cb(const struct nlattr *attr, void *data)
{
	struct ext_ack_text *text = data;
	if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0 && text->len)
		snprintf(text->buf, text->len, "%s", mnl_attr_get_str(attr));
	return MNL_CB_OK;
}

int nl_parse_error_msg(const struct nlmsghdr *nlh, char *ext_msg, size_t ext_len)
{
	if (ext_len)
		ext_msg[0] = '\0';
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(struct nlmsgerr)))
		return -EBADMSG;
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return e->error;
	/* TLVs follow the echoed request: its header only when NLM_F_CAPPED, else all of it. */
	size_t off = sizeof(*e);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	size_t payload_len = mnl_nlmsg_get_payload_len(nlh);
	if (off > payload_len)
		return e->error;
	struct ext_ack_text text = {.buf = ext_msg, .len = ext_len};
	mnl_attr_parse_payload((const char *)e + off, payload_len - off, ext_ack_attr_cb, &text);
	return e->error;
}

/* Waits up to the socket's timeout for data; returns 0, -ETIMEDOUT or -errno. */
static int wait_readable(struct nl_sock *s)
{
	struct pollfd pfd = {.fd = nl_sock_fd(s), .events = POLLIN};
	for (;;) {
		int n = poll(&pfd, 1, (int)s->timeout_ms);
		if (n > 0)
			return 0;
		if (n == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

int nl_sock_request(struct nl_sock *s, struct nlmsghdr *req, nl_msg_cb cb, void *data,
		    struct nl_error *err)
{
	char buf[32768]; /* one dump datagram; the kernel caps them at 32 KiB */
	uint32_t seq = ++s->seq;

	req->nlmsg_seq = seq;
	req->nlmsg_pid = 0;
	req->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(s->mnl, req, req->nlmsg_len) < 0)
		return nl_error_set(err, errno, "netlink send: %s", strerror(errno));

	for (;;) {
		int rc = wait_readable(s);
		if (rc < 0)
			return nl_error_set(err, -rc, "netlink reply: %s", strerror(-rc));
		ssize_t len = mnl_socket_recvfrom(s->mnl, buf, sizeof(buf));
		if (len < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return nl_error_set(err, errno, "netlink receive: %s", strerror(errno));
		}
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
		int left = (int)len;
		for (; nl_msg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
			if (nlh->nlmsg_seq != seq ||
			    (nlh->nlmsg_pid && nlh->nlmsg_pid != s->portid)) {
				s->stale_replies++;
				continue;
			}
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				char ext[200];
				int e = nl_parse_error_msg(nlh, ext, sizeof(ext));
				if (e == 0)
					return 0; /* the ACK */
				if (ext[0])
					return nl_error_set(err, -e, "%s (kernel: %s)",
							    strerror(-e), ext);
				return nl_error_set(err, -e, "%s", strerror(-e));
			}
			if (nlh->nlmsg_type == NLMSG_DONE) {
				/* A dump ends here; the ACK requested with it never comes. */
				if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(int)) {
					int e = *(const int *)mnl_nlmsg_get_payload(nlh);
					if (e < 0)
						return nl_error_set(err, -e, "dump: %s",
								    strerror(-e));
				}
				return 0;
			}
			if (nlh->nlmsg_type < NLMSG_MIN_TYPE)
				continue; /* NOOP, OVERRUN */
			if (cb) {
				int r = cb(nlh, data);
				if (r < 0)
					return nl_error_set(err, -r, "netlink reply: %s",
							    strerror(-r));
			}
			/* A non-dump request answered by data (e.g. GETLINK) still gets its ACK. */
		}
		if (left > 0)
			return nl_error_set(err, EBADMSG,
					    "netlink reply: truncated message (%d bytes)", left);
	}
}
