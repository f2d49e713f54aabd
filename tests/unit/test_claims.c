/*
 * test_claims.c — which frames claim the VIP (announce/claims.c): kube-vip's announcement
 * frames (the golden bytes) are claims by their sender; probes, requests for the VIP from other
 * hosts, other addresses, truncated or malformed frames are not. The BPF filter's shape (its
 * behaviour on real frames through the kernel is tests/integration/test_claims_filter.c).
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "claims.h"
#include "frames.h"
#include "golden_frames.h"

static const uint8_t mac[6] = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x0c};
static const uint8_t other[6] = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x99};

static struct inet_prefix vip(const char *text)
{
	struct inet_prefix p;
	cr_assert_eq(inet_prefix_parse(text, &p, NULL, 0), 0);
	return p;
}

static int parse(const uint8_t *f, size_t len, const char *v, struct claim *c)
{
	struct inet_prefix p = vip(v);
	memset(c, 0, sizeof(*c));
	return claim_parse(f, len, &p, c);
}

Test(claims, gratuitous_arp_request_and_reply_claim_for_the_sender)
{
	struct claim c;
	cr_assert_eq(parse(golden_garp_request, 42, "192.0.2.100", &c), 1);
	cr_assert_arr_eq(c.mac, mac, 6);
	cr_assert_eq(parse(golden_garp_reply, 42, "192.0.2.100", &c), 1);
	cr_assert_arr_eq(c.mac, mac, 6);
}

Test(claims, the_arp_sender_hardware_address_wins_over_the_ethernet_source)
{
	uint8_t f[42];
	memcpy(f, golden_garp_reply, 42);
	memcpy(f + 6, other, 6); /* a bridge or a proxy forwarding someone's reply */
	struct claim c;
	cr_assert_eq(parse(f, 42, "192.0.2.100", &c), 1);
	cr_assert_arr_eq(c.mac, mac, 6);
}

Test(claims, arp_that_does_not_claim_the_vip)
{
	struct claim c;
	uint8_t f[64];
	cr_expect_eq(parse(golden_garp_request, 42, "192.0.2.101", &c), 0, "another address");
	cr_expect_eq(parse(golden_garp_request, 42, "2001:db8::100", &c), 0, "an IPv6 VIP");

	memcpy(f, golden_garp_request, 42);
	memset(f + 28, 0, 4); /* an ARP probe (RFC 5227): sender 0.0.0.0, target the VIP */
	cr_expect_eq(parse(f, 42, "192.0.2.100", &c), 0, "probe");

	memcpy(f, golden_garp_request, 42);
	inet_pton(AF_INET, "192.0.2.7", f + 28); /* someone asking who has the VIP */
	cr_expect_eq(parse(f, 42, "192.0.2.100", &c), 0, "request for the VIP");

	memcpy(f, golden_garp_request, 42);
	f[21] = 3; /* RARP request */
	cr_expect_eq(parse(f, 42, "192.0.2.100", &c), 0, "opcode 3");

	memcpy(f, golden_garp_request, 42);
	f[19] = 16; /* protocol length */
	cr_expect_eq(parse(f, 42, "192.0.2.100", &c), 0, "plen 16");

	memcpy(f, golden_garp_request, 42);
	f[12] = 0x08, f[13] = 0x00; /* IPv4, not ARP */
	cr_expect_eq(parse(f, 42, "192.0.2.100", &c), 0, "ethertype");

	for (size_t len = 0; len < 42; len++)
		cr_expect_eq(parse(golden_garp_request, len, "192.0.2.100", &c), 0, "len %zu", len);
}

Test(claims, unsolicited_na_claims_for_the_target_link_layer_address)
{
	struct claim c;
	cr_assert_eq(parse(golden_na, sizeof(golden_na), "2001:db8::100", &c), 1);
	cr_assert_arr_eq(c.mac, mac, 6);

	uint8_t f[128];
	memcpy(f, golden_na, 86);
	memcpy(f + 6, other, 6); /* the option names the MAC neighbours will use */
	cr_assert_eq(parse(f, 86, "2001:db8::100", &c), 1);
	cr_assert_arr_eq(c.mac, mac, 6);
}

Test(claims, na_without_the_option_claims_for_the_ethernet_source)
{
	uint8_t f[128];
	memcpy(f, golden_na, 86);
	memcpy(f + 6, other, 6);
	f[19] = 24; /* payload: the NA alone */
	struct claim c;
	cr_assert_eq(parse(f, 78, "2001:db8::100", &c), 1);
	cr_assert_arr_eq(c.mac, other, 6);
}

Test(claims, na_that_does_not_claim_the_vip)
{
	struct claim c;
	uint8_t f[128];
	cr_expect_eq(parse(golden_na, 86, "2001:db8::101", &c), 0, "another target");
	cr_expect_eq(parse(golden_na, 86, "192.0.2.100", &c), 0, "an IPv4 VIP");

	memcpy(f, golden_na, 86);
	f[21] = 64; /* hop limit: receivers drop ND that crossed a router */
	cr_expect_eq(parse(f, 86, "2001:db8::100", &c), 0, "hop limit");

	memcpy(f, golden_na, 86);
	f[54] = 135; /* a Neighbor Solicitation for the VIP (DAD or resolution) */
	cr_expect_eq(parse(f, 86, "2001:db8::100", &c), 0, "NS");

	memcpy(f, golden_na, 86);
	f[55] = 1;
	cr_expect_eq(parse(f, 86, "2001:db8::100", &c), 0, "code 1");

	memcpy(f, golden_na, 86);
	f[79] = 0; /* an option of length 0: RFC 4861 says drop */
	cr_expect_eq(parse(f, 86, "2001:db8::100", &c), 0, "option length 0");

	memcpy(f, golden_na, 86);
	f[79] = 2; /* an option running past the payload */
	cr_expect_eq(parse(f, 86, "2001:db8::100", &c), 0, "option past the end");

	memcpy(f, golden_na, 86);
	f[20] = 0; /* a hop-by-hop header first */
	cr_expect_eq(parse(f, 86, "2001:db8::100", &c), 0, "extension header");

	for (size_t len = 0; len < 78; len++)
		cr_expect_eq(parse(golden_na, len, "2001:db8::100", &c), 0, "len %zu", len);
}

Test(claims_filter, fits_and_ends_in_accept_then_drop)
{
	struct sock_filter f[CLAIMS_FILTER_MAX];
	const char *vips[] = {"192.0.2.100", "2001:db8::100"};
	for (size_t i = 0; i < 2; i++) {
		struct inet_prefix p = vip(vips[i]);
		int n = claims_filter_build(&p, f, CLAIMS_FILTER_MAX);
		cr_assert_gt(n, 2, "%s", vips[i]);
		cr_expect_eq(f[n - 2].code, BPF_RET | BPF_K);
		cr_expect_eq(f[n - 2].k, CLAIMS_SNAP_LEN);
		cr_expect_eq(f[n - 1].code, BPF_RET | BPF_K);
		cr_expect_eq(f[n - 1].k, 0);
		/* every test jumps onwards on a match and to the drop otherwise */
		for (int j = 0; j < n - 2; j++) {
			if (BPF_CLASS(f[j].code) != BPF_JMP)
				continue;
			cr_expect_eq(f[j].jt, 0, "insn %d", j);
			cr_expect_eq(j + 1 + f[j].jf, n - 1, "insn %d", j);
		}
		cr_expect_eq(claims_filter_build(&p, f, (size_t)n - 1), -ENOSPC);
	}
	struct inet_prefix bad = {.family = AF_UNIX};
	cr_expect_eq(claims_filter_build(&bad, f, CLAIMS_FILTER_MAX), -EAFNOSUPPORT);
}
