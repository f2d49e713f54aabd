/*
 * fuzz_ipvs.c — libFuzzer harness for the IPVS generic-netlink reply parsers (ipvs/ipvs_msg.c):
 * the family id, GET_INFO, service and destination messages, as a kernel (or a corrupted
 * buffer) may write them, then the reconcile plan over what parsed and the formatting of it.
 * Nothing may crash or read out of bounds; a service or destination that parses must format.
 */
#include <libmnl/libmnl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ipvs_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_DESTS 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Netlink messages are 4-byte aligned in the kernel's buffers; keep that property. */
	static uint32_t buf[65536 / 4];
	if (size > sizeof(buf))
		return 0;
	memcpy(buf, data, size);
	struct ipvs_dest have[MAX_DESTS], want[MAX_DESTS];
	size_t n_have = 0, n_want = 0;
	struct ipvs_service svc = {.af = AF_INET};
	char text[256];

	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	int left = (int)size;
	for (; nl_msg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		uint16_t id;
		struct ipvs_info info;
		struct ipvs_service s;
		struct ipvs_dest d;
		ipvs_parse_family_id(nlh, &id);
		ipvs_parse_info(nlh, &info);
		memset(&s, 0, sizeof(s));
		if (ipvs_parse_service_msg(nlh, &s) == 0) {
			if (s.af != AF_INET && s.af != AF_INET6)
				abort(); /* the parser must refuse other families */
			ipvs_service_str(&s, text, sizeof(text));
			svc = s;
		}
		memset(&d, 0, sizeof(d));
		if (ipvs_parse_dest_msg(nlh, svc.af, &d) == 0) {
			ipvs_dest_str(&d, svc.af, text, sizeof(text));
			ipvs_fwd_name(d.fwd);
			if (n_have < MAX_DESTS)
				have[n_have++] = d;
			else if (n_want < MAX_DESTS)
				want[n_want++] = d;
		}
	}
	struct ipvs_step steps[2 * MAX_DESTS];
	struct nl_error err;
	int n = ipvs_reconcile_plan(svc.af, have, n_have, want, n_want, steps, &err);
	if (n > (int)(n_have + n_want))
		abort();
	return 0;
}
