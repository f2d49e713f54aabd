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
#ifndef NETLINK_GET_STRICT_CHK
#define NETLINK_GET_STRICT_CHK 12
#endif
#ifndef SOL_NETLINK
#define SOL_NETLINK 270
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

bool nl_from_kernel(const struct sockaddr_nl *src, unsigned src_len)
{
	return src_len == sizeof(*src) && src->nl_family == AF_NETLINK && src->nl_pid == 0;
}

ssize_t nl_sock_recv(struct nl_sock *s, void *buf, size_t len, int flags)
{
	struct sockaddr_nl src;
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	struct msghdr msg = {
	    .msg_name = &src, .msg_namelen = sizeof(src), .msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n = recvmsg(nl_sock_fd(s), &msg, flags);
	if (n < 0)
		return -errno;
	if (!nl_from_kernel(&src, msg.msg_namelen)) {
		s->foreign_senders++;
		return 0;
	}
	if (msg.msg_flags & MSG_TRUNC)
		return -ENOSPC;
	return n;
}

int nl_sock_strict_check(struct nl_sock *s)
{
	int on = 1;
	if (setsockopt(nl_sock_fd(s), SOL_NETLINK, NETLINK_GET_STRICT_CHK, &on, sizeof(on)) < 0)
		return -errno;
	return 0;
}

int nl_sock_set_rcvbuf(struct nl_sock *s, int bytes)
{
	int fd = nl_sock_fd(s);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)) < 0 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes)) < 0)
		return -errno;
	int got = 0;
	socklen_t gl = sizeof(got);
	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &gl) < 0)
		return -errno;
	return got;
}

struct ext_ack_text {
	char *buf;
	size_t len;
};

static int ext_ack_attr_cb(const struct nlattr *attr, void *data)
{
	struct ext_ack_text *text = data;
	if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0 && text->len) {
		snprintf(text->buf, text->len, "%s", mnl_attr_get_str(attr));
		/* It ends up in one-line errors and log lines (fuzz_nl_reply found a newline). */
		for (char *c = text->buf; *c; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				*c = ' ';
	}
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

int nl_sock_reply_datagram(struct nl_sock *s, uint32_t seq, const void *buf, size_t len,
			   nl_msg_cb cb, void *data, struct nl_error *err)
{
	const struct nlmsghdr *nlh = buf;
	int left = len > INT32_MAX ? INT32_MAX : (int)len;
	for (; nl_msg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		if (nlh->nlmsg_seq != seq || (nlh->nlmsg_pid && nlh->nlmsg_pid != s->portid)) {
			s->stale_replies++;
			continue;
		}
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			char ext[200];
			int e = nl_parse_error_msg(nlh, ext, sizeof(ext));
			if (e == 0)
				return 0; /* the ACK */
			if (e > 0 || e == INT32_MIN)
				e = -EBADMSG; /* not an errno: a corrupt reply */
			if (ext[0])
				return nl_error_set(err, -e, "%s (kernel: %s)", strerror(-e), ext);
			return nl_error_set(err, -e, "%s", strerror(-e));
		}
		if (nlh->nlmsg_type == NLMSG_DONE) {
			/* A dump ends here; the ACK requested with it never comes. */
			if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(int)) {
				int e = *(const int *)mnl_nlmsg_get_payload(nlh);
				if (e < 0)
					return nl_error_set(
					    err, e == INT32_MIN ? EBADMSG : -e, "dump: %s",
					    strerror(e == INT32_MIN ? EBADMSG : -e));
			}
			return 0;
		}
		if (nlh->nlmsg_type < NLMSG_MIN_TYPE)
			continue; /* NOOP, OVERRUN */
		s->replies++;
		if (cb) {
			int r = cb(nlh, data);
			if (r < 0)
				return nl_error_set(err, -r, "netlink reply: %s", strerror(-r));
		}
		/* A non-dump request answered by data (e.g. GETLINK) still gets its ACK. */
	}
	if (left > 0)
		return nl_error_set(err, EBADMSG, "netlink reply: truncated message (%d bytes)",
				    left);
	return 1;
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
		ssize_t len = nl_sock_recv(s, buf, sizeof(buf), 0);
		if (len == 0 || len == -EINTR || len == -EAGAIN)
			continue; /* a datagram not from the kernel was dropped */
		if (len < 0)
			return nl_error_set(err, (int)-len, "netlink receive: %s",
					    strerror((int)-len));
		rc = nl_sock_reply_datagram(s, seq, buf, (size_t)len, cb, data, err);
		if (rc <= 0)
			return rc;
	}
}
