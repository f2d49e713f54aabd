/*
 * test_inet_prefix.c — validation of addresses and prefix lengths from configuration.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "inet_prefix.h"

Test(inet_prefix, host_defaults)
{
	struct inet_prefix p;
	char buf[INET_PREFIX_STRLEN];
	cr_assert_eq(inet_prefix_parse("192.0.2.10", &p, NULL, 0), 0);
	cr_assert_eq(p.family, AF_INET);
	cr_assert_eq(p.prefixlen, 32);
	cr_assert_str_eq(inet_prefix_format(&p, buf, sizeof(buf)), "192.0.2.10/32");
	cr_assert_eq(inet_prefix_parse("2001:db8::10", &p, NULL, 0), 0);
	cr_assert_eq(p.family, AF_INET6);
	cr_assert_eq(p.prefixlen, 128);
	cr_assert_str_eq(inet_prefix_format(&p, buf, sizeof(buf)), "2001:db8::10/128");
}

Test(inet_prefix, explicit_lengths)
{
	struct inet_prefix p;
	cr_assert_eq(inet_prefix_parse("10.1.2.3/24", &p, NULL, 0), 0);
	cr_assert_eq(p.prefixlen, 24);
	cr_assert_eq(inet_prefix_parse("fd00::1/64", &p, NULL, 0), 0);
	cr_assert_eq(p.prefixlen, 64);
	cr_assert_eq(inet_prefix_parse("10.0.0.1/0", &p, NULL, 0), 0);
	cr_assert_eq(p.prefixlen, 0);
}

struct bad_case {
	const char *text;
	const char *why;
};

Test(inet_prefix, rejects_with_the_bad_value_named)
{
	static const struct bad_case cases[] = {
	    {"", "address \"\": empty"},
	    {"300.1.1.1", "address \"300.1.1.1\": not an IPv4 or IPv6 address"},
	    {"eth0", "address \"eth0\": not an IPv4 or IPv6 address"},
	    {"/32", "address \"/32\": not an IPv4 or IPv6 address"},
	    {"10.0.0.1/33", "address \"10.0.0.1/33\": prefix length \"33\": must be 0..32"},
	    {"fd00::1/129", "address \"fd00::1/129\": prefix length \"129\": must be 0..128"},
	    {"10.0.0.1/", "address \"10.0.0.1/\": prefix length \"\": not a number"},
	    {"10.0.0.1/-1", "address \"10.0.0.1/-1\": prefix length \"-1\": not a number"},
	    {"10.0.0.1/3x", "address \"10.0.0.1/3x\": prefix length \"3x\": must be 0..32"},
	    {"10.0.0.1 ", "address \"10.0.0.1 \": not an IPv4 or IPv6 address"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct inet_prefix p;
		char why[160];
		cr_assert_eq(inet_prefix_parse(cases[i].text, &p, why, sizeof(why)), -EINVAL,
			     "accepted \"%s\"", cases[i].text);
		cr_assert_str_eq(why, cases[i].why);
	}
}

Test(inet_prefix, same_addr_ignores_length)
{
	struct inet_prefix a, b, c;
	inet_prefix_parse("192.0.2.1/32", &a, NULL, 0);
	inet_prefix_parse("192.0.2.1/24", &b, NULL, 0);
	inet_prefix_parse("192.0.2.2/32", &c, NULL, 0);
	cr_assert(inet_prefix_same_addr(&a, &b));
	cr_assert_not(inet_prefix_same_addr(&a, &c));
}
