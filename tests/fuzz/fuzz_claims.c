/*
 * fuzz_claims.c — libFuzzer harness for the claim parser (announce/claims.c): every frame the
 * watcher's socket receives from the wire goes through it. The input is one Ethernet frame,
 * read against an IPv4 and an IPv6 VIP (those of the seed corpus).
 */
#include <stdint.h>
#include <string.h>

#include "claims.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const vips[] = {"192.0.2.100", "2001:db8::100"};
	for (size_t i = 0; i < 2; i++) {
		struct inet_prefix vip;
		struct claim c;
		if (inet_prefix_parse(vips[i], &vip, NULL, 0) < 0)
			__builtin_trap();
		int r = claim_parse(data, size, &vip, &c);
		if (r != 0 && r != 1)
			__builtin_trap();
	}
	return 0;
}
