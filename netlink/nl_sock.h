/*
 * nl_sock — one netlink socket with strict request/reply matching.
 *
 * Why libmnl rather than libnl-route-3: libmnl's message builders are plain buffers, so every
 * request we build can be parsed back and checked in unit tests; it never folds kernel errnos
 * (libnl maps ESRCH and ENOENT to one NLE code, which IPVS needs kept apart); and its callbacks
 * are a few lines each, where libnl would need a cache/object model we do not use.
 *
 * Every datagram read here must come from the kernel (source port id 0): any other process may
 * send to our port id, so anything else is dropped and counted (foreign_senders).
 *
 * Owns: the socket, sequence numbers, the receive loop, extended-ack (NETLINK_EXT_ACK) decoding.
 * Must not touch: message payloads (links, addresses and IPVS live in their own modules).
 *
 * The calls that matter: nl_sock_open(), nl_sock_request().
 */
#ifndef VIPD_NL_SOCK_H
#define VIPD_NL_SOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/netlink.h>

#include "error.h" /* struct nl_error: the error every call here fills */

struct mnl_socket;

struct nl_sock {
	struct mnl_socket *mnl;
	uint32_t portid;
	uint32_t seq;
	int protocol;
	unsigned timeout_ms;	  /* receive timeout of one request; default 5000 */
	uint64_t stale_replies;	  /* replies dropped because seq or port id did not match */
	uint64_t foreign_senders; /* datagrams dropped because not sent by the kernel */
	uint64_t replies;	  /* data messages of replies handed to callbacks */
};

/* Return value of a message callback: continue, stop early, or a negative errno. */
typedef int (*nl_msg_cb)(const struct nlmsghdr *nlh, void *data);

/* Opens a socket of `protocol` (NETLINK_ROUTE, NETLINK_GENERIC, ...) subscribed to the legacy
 * multicast bitmask `groups` (0 for a request socket). `nonblock` for event sockets. */
int nl_sock_open(struct nl_sock *s, int protocol, unsigned groups, bool nonblock,
		 struct nl_error *err);
void nl_sock_close(struct nl_sock *s);
int nl_sock_fd(const struct nl_sock *s);

/* Sends `req` (its nlmsg_seq and nlmsg_pid are filled in here; NLM_F_ACK is added) and reads
 * replies until the matching ACK, error or NLMSG_DONE. Every data message of the reply is
 * passed to `cb` (may be NULL). Replies whose sequence or port id do not match are dropped and
 * counted. Returns 0, or a negative errno with `err` filled (kernel errno as is). */
int nl_sock_request(struct nl_sock *s, struct nlmsghdr *req, nl_msg_cb cb, void *data,
		    struct nl_error *err);

/* The reply loop's work on one received datagram of the request numbered `seq`: foreign
 * sequence or port ids dropped and counted, data messages to `cb`, the ACK, error or DONE ends
 * it. Returns 1 (the reply goes on in the next datagram), 0 (done) or a negative errno with
 * `err`. Pure apart from `cb`; fuzzed (fuzz_nl_reply). */
int nl_sock_reply_datagram(struct nl_sock *s, uint32_t seq, const void *buf, size_t len,
			   nl_msg_cb cb, void *data, struct nl_error *err);

/* Reads one datagram (recvmsg `flags`, e.g. MSG_DONTWAIT). Returns its length; 0 when it did
 * not come from the kernel (dropped and counted in foreign_senders); -ENOSPC when it was
 * truncated; or another negative errno (-EAGAIN, -ENOBUFS, ...). */
ssize_t nl_sock_recv(struct nl_sock *s, void *buf, size_t len, int flags);

/* Asks the kernel to check dump requests strictly and to honour their filters
 * (NETLINK_GET_STRICT_CHK, Linux >= 4.20): a dump of one interface's addresses then returns
 * only those. 0 or -errno (-ENOPROTOOPT on older kernels: dumps then return everything). */
int nl_sock_strict_check(struct nl_sock *s);

/* Sets the receive buffer to `bytes`: SO_RCVBUFFORCE (CAP_NET_ADMIN, beyond rmem_max), else
 * SO_RCVBUF (capped by net.core.rmem_max). Returns the size the kernel reports, or -errno. */
int nl_sock_set_rcvbuf(struct nl_sock *s, int bytes);

/* True when a datagram's source address is the kernel's (nl_pid 0). Pure. */
bool nl_from_kernel(const struct sockaddr_nl *src, unsigned src_len);

/* True when a whole message starts at `nlh` within `left` bytes. Use this rather than
 * mnl_nlmsg_ok(): that one compares the length as an int, so a corrupt nlmsg_len above 2 GiB
 * passes its check and the walk leaves the buffer (found by fuzz_netlink). */
static inline bool nl_msg_ok(const struct nlmsghdr *nlh, int left)
{
	const uint32_t hdr = 16; /* sizeof(struct nlmsghdr) */
	return left >= (int)hdr && nlh->nlmsg_len >= hdr && nlh->nlmsg_len <= (uint32_t)left;
}

/* Parses an NLMSG_ERROR message: returns the (negative) error and copies the extended-ack
 * text, if any, into `ext_msg`. Pure; exposed for unit tests. */
int nl_parse_error_msg(const struct nlmsghdr *nlh, char *ext_msg, size_t ext_len);

#endif
