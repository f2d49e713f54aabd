/*
 * test_takeover.c — the VIP moves from A to C; C's takeover burst must repoint B's neighbour
 * entry at C within 100 ms, for IPv4 (gratuitous ARP) and IPv6 (unsolicited NA). B also
 * captures the frames with a raw socket and checks them field by field.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "announcer.h"
#include "clock.h"
#include "nl_addr.h"
#include "nl_link.h"
#include "schedule.h"
#include "testns.h"
#include "topology.h"

enum { HOST_A, HOST_B, HOST_C };

static struct lan lan;

static void setup(void)
{
	if (!testns_is_root())
		cr_skip_test("needs root for network namespaces");
	cr_assert_eq(lan_create(&lan, 3), 0, "building the test LAN");
}

static void teardown(void)
{
	lan_destroy(&lan);
}

/* Adds or deletes the VIP on `host`'s eth0 through the library. */
static void vip_on(int host, const struct inet_prefix *vip, bool add)
{
	struct nl_sock sock;
	struct nl_link link;
	struct nl_error err;
	int saved = testns_enter(&lan.host[host]);
	cr_assert_geq(saved, 0);
	cr_assert_eq(nl_sock_open(&sock, NETLINK_ROUTE, 0, false, &err), 0);
	testns_leave(saved);
	cr_assert_eq(nl_link_get(&sock, "eth0", &link, &err), 0, "%s", err.msg);
	int rc = add ? nl_addr_add(&sock, link.index, vip, NL_ADDR_NODAD, &err)
		     : nl_addr_del(&sock, link.index, vip, &err);
	cr_assert_eq(rc, 0, "%s", err.msg);
	nl_sock_close(&sock);
}

/* B's neighbour entry for the VIP: fills lladdr (6 bytes) and state; false when none. */
static bool neigh_of_b(const char *vip, uint8_t mac[6], char *state, size_t state_len)
{
	char out[4096];
	if (testns_capture(&lan.host[HOST_B], out, sizeof(out), "ip -j neigh show %s dev eth0",
			   vip) != 0)
		return false;
	json_t *root = json_loads(out, 0, NULL);
	json_t *entry = json_array_get(root, 0);
	const char *lladdr = json_string_value(json_object_get(entry, "lladdr"));
	unsigned m[6];
	bool ok = lladdr && sscanf(lladdr, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4],
				   &m[5]) == 6;
	if (ok) {
		for (int i = 0; i < 6; i++)
			mac[i] = (uint8_t)m[i];
		const char *st =
		    json_string_value(json_array_get(json_object_get(entry, "state"), 0));
		snprintf(state, state_len, "%s", st ? st : "?");
	}
	json_decref(root);
	return ok;
}

/* A raw socket in B that sees every frame arriving on its eth0. */
static int capture_in_b(uint16_t ethertype)
{
	int saved = testns_enter(&lan.host[HOST_B]);
	cr_assert_geq(saved, 0);
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ethertype));
	unsigned ifindex = if_nametoindex("eth0");
	testns_leave(saved);
	cr_assert_geq(fd, 0, "capture socket: %s", strerror(errno));
	struct sockaddr_ll sll = {
	    .sll_family = AF_PACKET, .sll_protocol = htons(ethertype), .sll_ifindex = (int)ifindex};
	cr_assert_eq(bind(fd, (struct sockaddr *)&sll, sizeof(sll)), 0);
	return fd;
}

/* Starts C's takeover burst (3 frames, 50 ms apart) in a child; returns its pid. */
static pid_t burst_from_c(const struct inet_prefix *vip)
{
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid > 0)
		return pid;
	if (testns_enter(&lan.host[HOST_C]) < 0)
		_exit(10);
	struct announcer ann;
	struct announce_schedule sched;
	struct nl_error err;
	if (announcer_open(&ann, (int)if_nametoindex("eth0"), lan.mac[HOST_C], vip,
			   GARP_MODE_ALTERNATE, &err) < 0)
		_exit(11);
	announce_schedule_init(&sched, ANNOUNCE_PERIOD_DEFAULT_MS, ANNOUNCE_SPACING_DEFAULT_MS);
	announce_schedule_start(&sched, (uint64_t)clock_boot_ms(), ANNOUNCE_BURST_DEFAULT);
	while (ann.sent < ANNOUNCE_BURST_DEFAULT) {
		uint64_t now = (uint64_t)clock_boot_ms();
		int64_t wait = announce_schedule_timeout_ms(&sched, now);
		if (wait > 0) {
			usleep((useconds_t)wait * 1000);
			continue;
		}
		if (announcer_send(&ann, &err) < 0)
			_exit(12);
		announce_schedule_sent(&sched, now);
	}
	announcer_close(&ann);
	_exit(0);
}

/* Polls B's neighbour table until the VIP points at C; returns the delay in µs or -1. */
static int64_t wait_for_c(const char *vip, int64_t start_us)
{
	uint8_t mac[6];
	char state[32];
	while (clock_boot_ns() / 1000 - start_us < 2000000) {
		if (neigh_of_b(vip, mac, state, sizeof(state)) && !memcmp(mac, lan.mac[HOST_C], 6))
			return clock_boot_ns() / 1000 - start_us;
		usleep(2000);
	}
	return -1;
}

static void assert_b_points_at_a(const char *vip)
{
	uint8_t mac[6];
	char state[32];
	cr_assert(neigh_of_b(vip, mac, state, sizeof(state)), "B has no neighbour entry for %s",
		  vip);
	cr_assert_arr_eq(mac, lan.mac[HOST_A], 6, "B's entry does not point at A");
	cr_assert(!strcmp(state, "REACHABLE") || !strcmp(state, "STALE") || !strcmp(state, "DELAY"),
		  "state %s", state);
}

struct frame {
	uint8_t data[128];
	ssize_t len;
};

/* Frames captured in B whose Ethernet source is C, up to `max`. */
static int frames_from_c(int fd, struct frame *frames, int max)
{
	int n = 0;
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	while (n < max && poll(&pfd, 1, 200) > 0) {
		struct frame f;
		struct sockaddr_ll from;
		socklen_t fromlen = sizeof(from);
		f.len = recvfrom(fd, f.data, sizeof(f.data), 0, (struct sockaddr *)&from, &fromlen);
		if (f.len >= 14 && from.sll_pkttype != PACKET_OUTGOING &&
		    !memcmp(f.data + 6, lan.mac[HOST_C], 6))
			frames[n++] = f;
	}
	return n;
}

/* The shared story: the VIP on A, B reaches it, the VIP moves to C, C bursts. Asserts B's
 * entry points at C within 100 ms and returns a capture socket holding what B received. */
static int move_vip_from_a_to_c(const char *address, uint16_t ethertype)
{
	struct inet_prefix vip;
	char text[INET6_ADDRSTRLEN];
	inet_prefix_parse(address, &vip, NULL, 0);
	inet_prefix_format_addr(&vip, text, sizeof(text));
	vip_on(HOST_A, &vip, true);
	cr_assert_eq(testns_sh(&lan.host[HOST_B], "ping -c1 -W2 %s >/dev/null", text), 0,
		     "B cannot reach the VIP on A");
	assert_b_points_at_a(text);

	vip_on(HOST_A, &vip, false);
	vip_on(HOST_C, &vip, true);
	int cap = capture_in_b(ethertype);
	int64_t start = clock_boot_ns() / 1000;
	pid_t child = burst_from_c(&vip);
	int64_t delay = wait_for_c(text, start);
	int status;
	waitpid(child, &status, 0);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "burst failed: %d", status);
	cr_assert_geq(delay, 0, "B never learned C's MAC");
	cr_log_info("%s takeover: B's neighbour entry moved after %lld us", text, (long long)delay);
	cr_assert_lt(delay, 100000, "took %lld us", (long long)delay);
	return cap;
}

Test(takeover, ipv4_garp_moves_neighbour_within_100ms, .init = setup, .fini = teardown)
{
	struct inet_prefix vip;
	inet_prefix_parse("192.0.2.100/32", &vip, NULL, 0);
	int cap = move_vip_from_a_to_c("192.0.2.100/32", ETH_P_ARP);

	struct frame f[8];
	int n = frames_from_c(cap, f, 8);
	close(cap);
	cr_assert_eq(n, 3, "captured %d ARP frames from C", n);
	for (int i = 0; i < n; i++) {
		const uint8_t *p = f[i].data;
		cr_assert_eq(f[i].len, 42, "frame %d is %zd bytes", i, f[i].len);
		cr_assert_arr_eq(p, "\xff\xff\xff\xff\xff\xff", 6, "broadcast destination");
		cr_assert_eq(p[12] << 8 | p[13], ETH_P_ARP);
		cr_assert_eq(p[20] << 8 | p[21], i % 2 ? 2 : 1, "opcode of frame %d", i);
		cr_assert_arr_eq(p + 22, lan.mac[HOST_C], 6, "sender MAC");
		cr_assert_arr_eq(p + 28, &vip.addr.v4, 4, "sender IP");
		cr_assert_arr_eq(p + 38, &vip.addr.v4, 4, "target IP");
		cr_assert_arr_eq(
		    p + 32, i % 2 ? lan.mac[HOST_C] : (const uint8_t *)"\xff\xff\xff\xff\xff\xff",
		    6, "target MAC");
	}
}

Test(takeover, ipv6_na_moves_neighbour_within_100ms, .init = setup, .fini = teardown)
{
	struct inet_prefix vip;
	inet_prefix_parse("2001:db8::100/128", &vip, NULL, 0);
	int cap = move_vip_from_a_to_c("2001:db8::100/128", ETH_P_IPV6);

	struct frame f[16];
	int n = frames_from_c(cap, f, 16), na = 0;
	close(cap);
	for (int i = 0; i < n; i++) {
		const uint8_t *p = f[i].data;
		if (f[i].len < 55 || p[20] != 58 || p[54] != 136)
			continue; /* not an NA (e.g. the kernel's MLD report) */
		na++;
		cr_assert_eq(f[i].len, 86);
		cr_assert_arr_eq(p, "\x33\x33\x00\x00\x00\x01", 6, "all-nodes destination MAC");
		cr_assert_eq(p[21], 255, "hop limit");
		cr_assert_arr_eq(p + 22, &vip.addr.v6, 16, "source");
		cr_assert_eq(p[58], 0x20, "flags: Override only");
		cr_assert_arr_eq(p + 62, &vip.addr.v6, 16, "target");
		cr_assert_eq(p[78], 2, "target link-layer option");
		cr_assert_arr_eq(p + 80, lan.mac[HOST_C], 6);
	}
	cr_assert_eq(na, 3, "captured %d NAs from C", na);
}
