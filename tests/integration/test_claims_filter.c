/*
 * test_claims_filter.c — the claim filter (announce/claims.c) run by the kernel: a watching
 * announcer on host 0 of a two-host LAN; host 1 sends real frames from a raw socket. Exactly
 * the frames that claim the VIP (gratuitous ARP request and reply, unsolicited NA) are queued;
 * probes, requests for the VIP, other addresses, NS, IPv4 and the watcher's own transmissions
 * are not.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "announcer.h"
#include "claims.h"
#include "frames.h"
#include "testns.h"
#include "topology.h"

static struct lan lan;

static void setup(void)
{
	cr_assert(testns_is_root(), "needs root for network namespaces");
	cr_assert_eq(lan_create(&lan, 2), 0, "building the test LAN");
}

static void teardown(void)
{
	lan_destroy(&lan);
}

/* A watching announcer for `vip` on host `h`'s eth0. */
static void watcher(int h, const char *vip, struct announcer *a)
{
	struct inet_prefix p;
	struct nl_error err;
	cr_assert_eq(inet_prefix_parse(vip, &p, NULL, 0), 0);
	int saved = testns_enter(&lan.host[h]);
	cr_assert_geq(saved, 0);
	int ifindex = (int)if_nametoindex("eth0");
	int r = announcer_open(a, ifindex, lan.mac[h], &p, GARP_MODE_ALTERNATE, &err);
	testns_leave(saved);
	cr_assert_eq(r, 0, "%s", err.msg);
	cr_assert_eq(announcer_watch(a, &err), 0, "%s", err.msg);
}

/* A raw sending socket on host `h`'s eth0. */
static int sender(int h, int *ifindex)
{
	int saved = testns_enter(&lan.host[h]);
	cr_assert_geq(saved, 0);
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	*ifindex = (int)if_nametoindex("eth0");
	testns_leave(saved);
	cr_assert_geq(fd, 0, "%s", strerror(errno));
	return fd;
}

static void send_frame(int fd, int ifindex, const uint8_t *f, size_t len)
{
	struct sockaddr_ll to = {.sll_family = AF_PACKET, .sll_ifindex = ifindex, .sll_halen = 6};
	memcpy(to.sll_addr, f, 6);
	cr_assert_eq(sendto(fd, f, len, 0, (struct sockaddr *)&to, sizeof(to)), (ssize_t)len, "%s",
		     strerror(errno));
}

/* Every frame queued on the watcher within `ms`, as (length, first bytes) compared to `want`. */
static int received(int fd, uint8_t frames[][CLAIMS_SNAP_LEN], size_t *lens, int max, int ms)
{
	int n = 0;
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	while (n < max && poll(&pfd, 1, ms) > 0) {
		ssize_t r = recv(fd, frames[n], CLAIMS_SNAP_LEN, MSG_DONTWAIT);
		cr_assert_geq(r, 0, "%s", strerror(errno));
		lens[n++] = (size_t)r;
	}
	return n;
}

Test(claims_filter, ipv4_only_arp_whose_sender_is_the_vip, .init = setup, .fini = teardown)
{
	struct announcer w;
	watcher(0, "192.0.2.100", &w);
	int ifindex, fd = sender(1, &ifindex);
	struct in_addr vip, other;
	inet_pton(AF_INET, "192.0.2.100", &vip);
	inet_pton(AF_INET, "192.0.2.101", &other);
	uint8_t req[42], rep[42], f[42];

	/* Not claims: another address, a probe, a request for the VIP, plain IPv4. */
	frame_build_garp(f, sizeof(f), lan.mac[1], other, GARP_REQUEST);
	send_frame(fd, ifindex, f, 42);
	frame_build_garp(f, sizeof(f), lan.mac[1], vip, GARP_REQUEST);
	memset(f + 28, 0, 4);
	send_frame(fd, ifindex, f, 42);
	frame_build_garp(f, sizeof(f), lan.mac[1], vip, GARP_REQUEST);
	inet_pton(AF_INET, "192.0.2.2", f + 28);
	send_frame(fd, ifindex, f, 42);
	frame_build_garp(f, sizeof(f), lan.mac[1], vip, GARP_REQUEST);
	f[12] = 0x08, f[13] = 0x00;
	send_frame(fd, ifindex, f, 42);
	/* The watcher's own announcement is not queued on its socket. */
	struct nl_error err;
	cr_assert_eq(announcer_send(&w, &err), 0, "%s", err.msg);
	/* Claims: both opcodes. */
	frame_build_garp(req, sizeof(req), lan.mac[1], vip, GARP_REQUEST);
	send_frame(fd, ifindex, req, 42);
	frame_build_garp(rep, sizeof(rep), lan.mac[1], vip, GARP_REPLY);
	send_frame(fd, ifindex, rep, 42);

	uint8_t got[8][CLAIMS_SNAP_LEN];
	size_t lens[8];
	int n = received(w.fd, got, lens, 8, 300);
	cr_assert_eq(n, 2, "%d frames passed the filter", n);
	cr_assert_geq(lens[0], 42);
	cr_assert_arr_eq(got[0], req, 42);
	cr_assert_arr_eq(got[1], rep, 42);

	/* And announcer_recv_claim() reads them as claims by host 1. */
	send_frame(fd, ifindex, req, 42);
	struct pollfd pfd = {.fd = w.fd, .events = POLLIN};
	cr_assert_eq(poll(&pfd, 1, 300), 1);
	struct claim c;
	cr_assert_eq(announcer_recv_claim(&w, &c), 1);
	cr_assert_arr_eq(c.mac, lan.mac[1], 6);
	cr_assert_eq(announcer_recv_claim(&w, &c), -EAGAIN);
	close(fd);
	announcer_close(&w);
}

Test(claims_filter, ipv6_only_na_whose_target_is_the_vip, .init = setup, .fini = teardown)
{
	struct announcer w;
	watcher(0, "2001:db8::100", &w);
	int ifindex, fd = sender(1, &ifindex);
	struct in6_addr vip, other;
	inet_pton(AF_INET6, "2001:db8::100", &vip);
	inet_pton(AF_INET6, "2001:db8::101", &other);
	uint8_t na[86], f[86];

	frame_build_na(f, sizeof(f), lan.mac[1], &other); /* another target */
	send_frame(fd, ifindex, f, 86);
	frame_build_na(f, sizeof(f), lan.mac[1], &vip);
	f[54] = 135; /* a Neighbor Solicitation for the VIP */
	send_frame(fd, ifindex, f, 86);
	struct in_addr v4;
	inet_pton(AF_INET, "192.0.2.100", &v4);
	frame_build_garp(f, sizeof(f), lan.mac[1], v4, GARP_REQUEST); /* ARP */
	send_frame(fd, ifindex, f, 42);
	struct nl_error err;
	cr_assert_eq(announcer_send(&w, &err), 0, "%s", err.msg);
	frame_build_na(na, sizeof(na), lan.mac[1], &vip);
	send_frame(fd, ifindex, na, 86);

	uint8_t got[8][CLAIMS_SNAP_LEN];
	size_t lens[8];
	int n = received(w.fd, got, lens, 8, 300);
	cr_assert_eq(n, 1, "%d frames passed the filter", n);
	cr_assert_eq(lens[0], 86);
	cr_assert_arr_eq(got[0], na, 86);
	close(fd);
	announcer_close(&w);
}
