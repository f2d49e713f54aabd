/*
 * test_frames.c — announcement frames against golden bytes from an independent implementation,
 * and the announcer's opcode alternation.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "announcer.h"
#include "frames.h"
#include "golden_frames.h"

static const uint8_t mac[6] = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x0c};

static struct in_addr vip4(void)
{
	struct in_addr a;
	inet_pton(AF_INET, "192.0.2.100", &a);
	return a;
}

Test(frames, garp_request_matches_golden)
{
	uint8_t buf[64];
	cr_assert_eq(frame_build_garp(buf, sizeof(buf), mac, vip4(), GARP_REQUEST), 42);
	cr_assert_arr_eq(buf, golden_garp_request, sizeof(golden_garp_request));
}

Test(frames, garp_reply_matches_golden)
{
	uint8_t buf[64];
	cr_assert_eq(frame_build_garp(buf, sizeof(buf), mac, vip4(), GARP_REPLY), 42);
	cr_assert_arr_eq(buf, golden_garp_reply, sizeof(golden_garp_reply));
}

Test(frames, na_matches_golden_including_checksum)
{
	uint8_t buf[128];
	struct in6_addr vip;
	inet_pton(AF_INET6, "2001:db8::100", &vip);
	cr_assert_eq(frame_build_na(buf, sizeof(buf), mac, &vip), 86);
	cr_assert_arr_eq(buf, golden_na, sizeof(golden_na));
}

Test(frames, na_checksum_verifies_to_zero)
{
	/* Summing a correct message including its checksum gives 0 after the final inversion. */
	struct in6_addr src, dst;
	memcpy(&src, golden_na + 22, 16);
	memcpy(&dst, golden_na + 38, 16);
	cr_assert_eq(frame_icmpv6_checksum(&src, &dst, golden_na + 54, 32), 0);
}

Test(frames, short_buffers_are_refused)
{
	uint8_t buf[86];
	struct in6_addr vip = IN6ADDR_LOOPBACK_INIT;
	cr_assert_eq(frame_build_garp(buf, 41, mac, vip4(), GARP_REQUEST), -ENOSPC);
	cr_assert_eq(frame_build_na(buf, 85, mac, &vip), -ENOSPC);
}

Test(announcer, alternates_request_and_reply)
{
	struct announcer a = {.fd = -1, .mode = GARP_MODE_ALTERNATE};
	memcpy(a.mac, mac, 6);
	a.vip.family = AF_INET;
	a.vip.addr.v4 = vip4();
	uint8_t buf[64];
	for (unsigned i = 0; i < 4; i++) {
		a.sent = i;
		cr_assert_eq(announcer_next_frame(&a, buf, sizeof(buf)), 42);
		cr_assert_arr_eq(buf, i % 2 ? golden_garp_reply : golden_garp_request, 42,
				 "frame %u", i);
	}
}

Test(announcer, pinned_modes)
{
	struct announcer a = {.fd = -1};
	memcpy(a.mac, mac, 6);
	a.vip.family = AF_INET;
	a.vip.addr.v4 = vip4();
	uint8_t buf[64];
	enum garp_mode m;
	cr_assert_eq(garp_mode_parse("reply", &m), 0);
	a.mode = m;
	for (a.sent = 0; a.sent < 3; a.sent++) {
		announcer_next_frame(&a, buf, sizeof(buf));
		cr_assert_arr_eq(buf, golden_garp_reply, 42);
	}
	cr_assert_eq(garp_mode_parse("request", &m), 0);
	a.mode = m;
	for (a.sent = 0; a.sent < 3; a.sent++) {
		announcer_next_frame(&a, buf, sizeof(buf));
		cr_assert_arr_eq(buf, golden_garp_request, 42);
	}
	cr_assert_eq(garp_mode_parse("both", &m), -EINVAL);
}
