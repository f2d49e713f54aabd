/*
 * fuzz_nl_reply.c — libFuzzer harness for the netlink request/reply loop (nl_sock_reply_datagram,
 * the body of nl_sock_request): a run of datagrams, each [u16 length][bytes], answering request
 * 77 of port 4242 — stale sequences and port ids, ACKs, errors with extended acks, DONE with
 * any payload, truncated messages. The loop must end each reply with 0, 1 or a negative errno
 * and a one-line error, never crash. Data messages go to the address and link parsers.
 */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nl_addr.h"
#include "nl_link.h"
#include "nl_sock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_msg(const struct nlmsghdr *nlh, void *arg)
{
	struct nl_addr a;
	struct nl_link l;
	(*(unsigned *)arg)++;
	nl_addr_parse(nlh, &a);
	nl_link_parse(nlh, &l);
	return *(unsigned *)arg > 1000 ? -E2BIG : MNL_CB_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint32_t buf[65536 / 4];
	struct nl_sock s = {.portid = 4242, .seq = 77};
	unsigned msgs = 0;
	while (size >= 2) {
		size_t n = (size_t)(data[0] | data[1] << 8);
		data += 2;
		size -= 2;
		if (n > size)
			n = size;
		memcpy(buf, data, n);
		struct nl_error err = {0};
		int r = nl_sock_reply_datagram(&s, 77, buf, n, on_msg, &msgs, &err);
		if (r > 1)
			abort();
		if (r < 0) {
			if (err.err >= 0 || !err.msg[0] || strchr(err.msg, '\n'))
				abort();
			return 0;
		}
		if (r == 0)
			return 0;
		data += n;
		size -= n;
	}
	return 0;
}
