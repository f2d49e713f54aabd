/*
 * fuzz_netlink.c — libFuzzer harness for everything that parses what the kernel sends us:
 * address and link messages, extended acks, and the monitor's classification. A reply from a
 * newer kernel or a corrupted buffer must be rejected, never crash.
 */
#include <stdint.h>
#include <string.h>

#include <libmnl/libmnl.h>

#include "nl_addr.h"
#include "nl_link.h"
#include "nl_monitor.h"
#include "nl_sock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Netlink messages are 4-byte aligned in the kernel's buffers; keep that property. */
	static uint32_t buf[65536 / 4];
	if (size > sizeof(buf))
		return 0;
	memcpy(buf, data, size);

	struct nl_monitor mon = {.ifindex = 2, .link_state = -1, .expect_vip = true};
	inet_prefix_parse("192.0.2.100", &mon.vip, NULL, 0);

	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	int left = (int)size;
	for (; nl_msg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		struct nl_addr addr;
		struct nl_link link;
		char text[200];
		nl_addr_parse(nlh, &addr);
		nl_link_parse(nlh, &link);
		if (nlh->nlmsg_type == NLMSG_ERROR)
			nl_parse_error_msg(nlh, text, sizeof(text));
		nl_monitor_classify(&mon, nlh);
	}
	return 0;
}
