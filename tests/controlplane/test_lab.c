/*
 * test_lab.c — the lab's address plan (pure arithmetic, no namespaces): gateway = network + 1,
 * node i = gateway + i, VIP = last usable address, bad subnets rejected with a reason.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "lab.h"

static const char *dotted(struct in_addr a, char buf[INET_ADDRSTRLEN])
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

Test(lab, plan_for_a_slash_24)
{
	struct lab lab;
	char why[128], b[INET_ADDRSTRLEN];
	cr_assert_eq(lab_subnet_parse(&lab, "192.0.2.0/24", why, sizeof(why)), 0);
	cr_assert_str_eq(dotted(lab.gateway, b), "192.0.2.1");
	cr_assert_str_eq(dotted(lab.vip, b), "192.0.2.254");
	struct in_addr a;
	cr_assert_eq(lab_addr(&lab, 1, &a), 0);
	cr_assert_str_eq(dotted(a, b), "192.0.2.2");
	cr_assert_eq(lab_addr(&lab, 252, &a), 0);
	cr_assert_str_eq(dotted(a, b), "192.0.2.253");
	cr_assert_eq(lab_addr(&lab, 253, &a), -ERANGE, "the VIP is never a node address");
}

Test(lab, plan_for_a_slash_28)
{
	struct lab lab;
	char why[128], b[INET_ADDRSTRLEN];
	cr_assert_eq(lab_subnet_parse(&lab, "10.10.0.16/28", why, sizeof(why)), 0);
	cr_assert_str_eq(dotted(lab.gateway, b), "10.10.0.17");
	cr_assert_str_eq(dotted(lab.vip, b), "10.10.0.30");
}

Test(lab, bad_subnets_say_why)
{
	static const char *const bad[] = {"192.0.2.0",	  "192.0.2.0/8",   "192.0.2.0/30",
					  "192.0.2.1/24", "2001:db8::/64", "x/24",
					  "192.0.2.0/24x"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct lab lab;
		char why[128] = "";
		cr_assert_eq(lab_subnet_parse(&lab, bad[i], why, sizeof(why)), -EINVAL, "%s",
			     bad[i]);
		cr_assert(strstr(why, bad[i]), "reason \"%s\" names the value %s", why, bad[i]);
	}
}
