/*
 * test_monitor.c — changes made behind the library's back (`ip addr del`, `ip link set down`)
 * are reported within 100 ms; the library's own changes are not. And the monitor's hygiene
 * (issue 17, defect 9): a large receive buffer, filtered dumps for its checks, bounded work per
 * dispatch, and notifications not sent by the kernel dropped.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "nl_addr.h"
#include "nl_link.h"
#include "nl_monitor.h"
#include "testns.h"
#include "topology.h"

static struct lan lan;

struct seen {
	enum nl_event_type types[16];
	int n;
};

static void record(const struct nl_event *ev, void *data)
{
	struct seen *s = data;
	if (s->n < 16)
		s->types[s->n++] = ev->type;
}

struct fixture {
	struct nl_sock sock;
	struct nl_link link;
	struct nl_monitor mon;
	struct seen seen;
};

static struct fixture fx;

static void setup(void)
{
	if (!testns_is_root())
		cr_skip_test("needs root for network namespaces");
	cr_assert_eq(lan_create(&lan, 1), 0, "building the test LAN");
	struct nl_error err;
	memset(&fx, 0, sizeof(fx));
	int saved = testns_enter(&lan.host[0]);
	cr_assert_geq(saved, 0);
	cr_assert_eq(nl_sock_open(&fx.sock, NETLINK_ROUTE, 0, false, &err), 0);
	cr_assert_eq(nl_link_get(&fx.sock, "eth0", &fx.link, &err), 0, "%s", err.msg);
	cr_assert_eq(nl_monitor_open(&fx.mon, fx.link.index, NULL, record, &fx.seen, &err), 0);
	testns_leave(saved);
	nl_monitor_set_link_state(&fx.mon, nl_link_is_up(&fx.link));
	nl_monitor_ignore_portid(&fx.mon, fx.sock.portid);
}

static void teardown(void)
{
	nl_monitor_close(&fx.mon);
	nl_sock_close(&fx.sock);
	lan_destroy(&lan);
}

/* Waits up to `ms` for events; returns the time of the first one in µs after `start`. */
static int64_t wait_events(int64_t start, int ms)
{
	struct nl_error err;
	struct pollfd pfd = {.fd = nl_monitor_fd(&fx.mon), .events = POLLIN};
	while (clock_boot_ns() / 1000 - start < (int64_t)ms * 1000) {
		if (poll(&pfd, 1, 10) > 0) {
			cr_assert_geq(nl_monitor_dispatch(&fx.mon, &err), 0, "%s", err.msg);
			if (fx.seen.n > 0)
				return clock_boot_ns() / 1000 - start;
		}
	}
	return -1;
}

static void check_removal_by_someone_else(const char *address, const char *ip_cmd)
{
	struct nl_error err;
	inet_prefix_parse(address, &fx.mon.vip, NULL, 0);

	/* Our own add, then our own delete: neither is news. */
	nl_monitor_expect_vip(&fx.mon, true);
	cr_assert_eq(nl_addr_add(&fx.sock, fx.link.index, &fx.mon.vip, NL_ADDR_NODAD, &err), 0);
	nl_monitor_expect_vip(&fx.mon, false);
	cr_assert_eq(nl_addr_del(&fx.sock, fx.link.index, &fx.mon.vip, &err), 0);
	cr_assert_lt(wait_events(clock_boot_ns() / 1000, 200), 0, "own changes were reported");

	nl_monitor_expect_vip(&fx.mon, true);
	cr_assert_eq(nl_addr_add(&fx.sock, fx.link.index, &fx.mon.vip, NL_ADDR_NODAD, &err), 0);
	cr_assert_lt(wait_events(clock_boot_ns() / 1000, 100), 0, "own add was reported");

	int64_t start = clock_boot_ns() / 1000;
	cr_assert_eq(testns_sh(&lan.host[0], "%s", ip_cmd), 0);
	int64_t delay = wait_events(start, 1000);
	cr_assert_geq(delay, 0, "removal not reported");
	cr_log_info("%s removed behind our back: reported after %lld us", address,
		    (long long)delay);
	cr_assert_lt(delay, 100000);
	cr_assert_eq(fx.seen.n, 1);
	cr_assert_eq(fx.seen.types[0], NL_EVENT_VIP_REMOVED);
}

Test(monitor, ipv4_vip_removed_behind_our_back, .init = setup, .fini = teardown)
{
	check_removal_by_someone_else("192.0.2.100/32", "ip addr del 192.0.2.100/32 dev eth0");
}

Test(monitor, ipv6_vip_removed_behind_our_back, .init = setup, .fini = teardown)
{
	check_removal_by_someone_else("2001:db8::100/128",
				      "ip addr del 2001:db8::100/128 dev eth0");
}

Test(monitor, link_down_and_up, .init = setup, .fini = teardown)
{
	int64_t start = clock_boot_ns() / 1000;
	cr_assert_eq(testns_sh(&lan.host[0], "ip link set eth0 down"), 0);
	int64_t delay = wait_events(start, 1000);
	cr_assert_geq(delay, 0, "link down not reported");
	cr_assert_lt(delay, 100000);
	cr_assert_eq(fx.seen.types[0], NL_EVENT_LINK_DOWN);

	fx.seen.n = 0;
	cr_assert_eq(testns_sh(&lan.host[0], "ip link set eth0 up"), 0);
	cr_assert_geq(wait_events(clock_boot_ns() / 1000, 1000), 0, "link up not reported");
	cr_assert_eq(fx.seen.types[0], NL_EVENT_LINK_UP);
	/* Later notifications about the same state are not repeated. */
	fx.seen.n = 0;
	cr_assert_eq(testns_sh(&lan.host[0], "ip link set eth0 mtu 1400"), 0);
	cr_assert_lt(wait_events(clock_boot_ns() / 1000, 200), 0);
}

/* Adds `n` /32 addresses to lo in the test host (one notification each). */
static void add_addresses_to_lo(int n)
{
	cr_assert_eq(
	    testns_sh(&lan.host[0],
		      "for i in $(seq 1 %d); do echo addr add 10.9.$((i / 250)).$((i %% 250 "
		      "+ 1))/32 dev lo; done | ip -batch -",
		      n),
	    0);
}

Test(monitor, the_notification_socket_has_a_large_receive_buffer, .init = setup, .fini = teardown)
{
	int got = 0;
	socklen_t gl = sizeof(got);
	cr_assert_eq(getsockopt(nl_monitor_fd(&fx.mon), SOL_SOCKET, SO_RCVBUF, &got, &gl), 0);
	cr_assert_geq(got, NL_MONITOR_RCVBUF, "receive buffer %d bytes", got);
	/* A burst of 400 address changes elsewhere on the node is read without an overrun. */
	add_addresses_to_lo(400);
	struct nl_error err;
	struct pollfd pfd = {.fd = nl_monitor_fd(&fx.mon), .events = POLLIN};
	for (int i = 0; i < 1000 && poll(&pfd, 1, 0) == 1; i++)
		cr_assert_geq(nl_monitor_dispatch(&fx.mon, &err), 0, "%s", err.msg);
	cr_assert_eq(fx.mon.overruns, 0, "the burst overran the receive buffer");
}

Test(monitor, a_check_dumps_only_our_interface, .init = setup, .fini = teardown)
{
	add_addresses_to_lo(300);
	inet_prefix_parse("192.0.2.100/32", &fx.mon.vip, NULL, 0);
	struct nl_error err;
	cr_assert_eq(nl_addr_add(&fx.sock, fx.link.index, &fx.mon.vip, NL_ADDR_NODAD, &err), 0);
	uint64_t before = fx.mon.query.replies;
	bool present = false;
	cr_assert_eq(nl_monitor_check_vip(&fx.mon, &present, &err), 0, "%s", err.msg);
	cr_assert(present);
	uint64_t seen = fx.mon.query.replies - before;
	cr_log_info("a check read %llu address messages (300 on lo)", (unsigned long long)seen);
	cr_assert(fx.mon.strict, "NETLINK_GET_STRICT_CHK refused");
	cr_assert_leq(seen, 4, "the check dumped %llu addresses, not only eth0's",
		      (unsigned long long)seen);
}

Test(monitor, a_flood_is_dispatched_in_bounded_passes, .init = setup, .fini = teardown)
{
	add_addresses_to_lo(200);
	struct nl_error err;
	cr_assert_geq(nl_monitor_dispatch(&fx.mon, &err), 0, "%s", err.msg);
	cr_assert_eq(fx.mon.budget_spent, 1, "one pass read every pending notification");
	struct pollfd pfd = {.fd = nl_monitor_fd(&fx.mon), .events = POLLIN};
	cr_assert_eq(poll(&pfd, 1, 0), 1, "the rest must stay readable for the next pass");
	int passes = 1;
	while (poll(&pfd, 1, 0) == 1 && passes < 1000) {
		cr_assert_geq(nl_monitor_dispatch(&fx.mon, &err), 0, "%s", err.msg);
		passes++;
	}
	cr_assert_geq(passes, 200 / NL_MONITOR_BUDGET, "%d passes", passes);
	cr_assert_lt(passes, 1000);
	cr_assert_eq(fx.mon.overruns, 0);
}

Test(monitor, a_notification_not_from_the_kernel_is_dropped, .init = setup, .fini = teardown)
{
	struct nl_error err;
	inet_prefix_parse("192.0.2.100/32", &fx.mon.vip, NULL, 0);
	nl_monitor_expect_vip(&fx.mon, true);
	cr_assert_eq(nl_addr_add(&fx.sock, fx.link.index, &fx.mon.vip, NL_ADDR_NODAD, &err), 0);
	cr_assert_lt(wait_events(clock_boot_ns() / 1000, 100), 0);
	uint64_t stale = fx.mon.stale;

	/* Another process of the node forges "the VIP was deleted" straight to our port id. */
	int saved = testns_enter(&lan.host[0]);
	cr_assert_geq(saved, 0);
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	testns_leave(saved);
	cr_assert_geq(fd, 0);
	char buf[512];
	struct nlmsghdr *nlh = nl_addr_build(buf, RTM_DELADDR, fx.link.index, &fx.mon.vip, 0);
	struct sockaddr_nl to = {.nl_family = AF_NETLINK, .nl_pid = fx.mon.sock.portid};
	cr_assert_eq(sendto(fd, nlh, nlh->nlmsg_len, 0, (struct sockaddr *)&to, sizeof(to)),
		     (ssize_t)nlh->nlmsg_len, "%s", strerror(errno));
	close(fd);
	cr_assert_lt(wait_events(clock_boot_ns() / 1000, 200), 0, "a forged message was reported");
	cr_assert_eq(fx.mon.sock.foreign_senders, 1);
	cr_assert_eq(fx.mon.stale, stale, "the forged message got as far as a check");
}
