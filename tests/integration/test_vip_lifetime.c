/*
 * test_vip_lifetime.c — the kernel removes a VIP whose valid_lft runs out, and a refresh
 * (NLM_F_REPLACE) pushes that out: the mechanism behind "the VIP never outlives the right to
 * hold it". Measures how late the kernel removes it (its granularity) for IPv4 and IPv6 and
 * checks it against MGR_KERNEL_LIFETIME_GRANULARITY_MS, the figure the daemon sizes lifetimes
 * with. Prints the figures (ctest -V).
 */
#include <criterion/criterion.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <time.h>

#include "clock.h"
#include "mgr_config.h"
#include "nl_addr.h"
#include "nl_link.h"
#include "testns.h"
#include "topology.h"

static struct lan lan;

static void setup(void)
{
	if (!testns_is_root())
		cr_assert_fail("needs root for network namespaces");
	cr_assert_eq(lan_create(&lan, 1), 0, "building the test LAN");
}

static void teardown(void)
{
	lan_destroy(&lan);
}

struct ctx {
	struct nl_sock sock;
	struct nl_link link;
};

static void open_in_host(struct ctx *c)
{
	struct nl_error err;
	int saved = testns_enter(&lan.host[0]);
	cr_assert_geq(saved, 0);
	cr_assert_eq(nl_sock_open(&c->sock, NETLINK_ROUTE, 0, false, &err), 0, "%s", err.msg);
	cr_assert_eq(testns_leave(saved), 0);
	cr_assert_eq(nl_link_get(&c->sock, "eth0", &c->link, &err), 0, "%s", err.msg);
}

static bool present(struct ctx *c, const struct inet_prefix *vip)
{
	bool p = false;
	struct nl_error err;
	cr_assert_eq(nl_addr_find(&c->sock, c->link.index, vip, &p, NULL, &err), 0, "%s", err.msg);
	return p;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
}

/* Sets `vip` with valid_lft `valid_s`, refreshing it once after `refresh_ms` (0: never), and
 * returns how late (ms) after its last lifetime ended the kernel removed it. */
static double lateness_ms(const char *text, uint32_t valid_s, long refresh_ms)
{
	struct ctx c;
	struct nl_error err;
	struct inet_prefix vip;
	open_in_host(&c);
	cr_assert_eq(inet_prefix_parse(text, &vip, NULL, 0), 0);
	int64_t t0 = clock_boot_ns() / 1000, last_set = t0;
	cr_assert_eq(nl_addr_set(&c.sock, c.link.index, &vip, NL_ADDR_NODAD, valid_s, &err), 0,
		     "%s", err.msg);
	bool refreshed = refresh_ms == 0;
	while (present(&c, &vip)) {
		int64_t now = clock_boot_ns() / 1000;
		if (!refreshed && now - t0 >= (int64_t)refresh_ms * 1000) {
			cr_assert_eq(
			    nl_addr_set(&c.sock, c.link.index, &vip, NL_ADDR_NODAD, valid_s, &err),
			    0, "refresh: %s", err.msg);
			last_set = clock_boot_ns() / 1000;
			refreshed = true;
		}
		cr_assert_lt(now - t0, 20000000LL, "%s still there after 20 s", text);
		sleep_ms(5);
	}
	double late = ((double)(clock_boot_ns() / 1000 - last_set) - valid_s * 1e6) / 1000.0;
	cr_log_info("%s valid_lft=%u refresh_at_ms=%ld: removed %.0f ms after its lifetime ended",
		    text, valid_s, refresh_ms, late);
	printf("RESULT: %s valid_lft=%u refresh_at_ms=%ld lateness_ms=%.0f\n", text, valid_s,
	       refresh_ms, late);
	nl_sock_close(&c.sock);
	return late;
}

static void check(double late)
{
	/* Never early by more than the kernel's 20 ms fuzz, never later than the daemon assumes. */
	cr_assert_geq(late, -50.0);
	cr_assert_leq(late, (double)MGR_KERNEL_LIFETIME_GRANULARITY_MS,
		      "the kernel removed the VIP %.0f ms late; the daemon assumes at most %d",
		      late, MGR_KERNEL_LIFETIME_GRANULARITY_MS);
}

Test(vip_lifetime, ipv4_runs_out, .init = setup, .fini = teardown, .timeout = 60)
{
	check(lateness_ms("192.0.2.100", 1, 0));
	check(lateness_ms("192.0.2.101", 2, 0));
}

Test(vip_lifetime, ipv4_refresh_pushes_it_out, .init = setup, .fini = teardown, .timeout = 60)
{
	check(lateness_ms("192.0.2.102", 2, 1200));
}

Test(vip_lifetime, ipv6_runs_out_and_refreshes, .init = setup, .fini = teardown, .timeout = 60)
{
	check(lateness_ms("2001:db8::100", 2, 0));
	check(lateness_ms("2001:db8::101", 2, 1200));
}
