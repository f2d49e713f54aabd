/*
 * test_ipvs_conntrack_vm.c — removing a backend also removes the conntrack entries of its
 * connections, and only those. Runs inside the test VM (IPVS in conntrack mode, see
 * vm_setup.sh, plus one iptables conntrack rule): a client namespace opens TCP connections to a
 * masquerade service whose two backends live in their own namespaces; then one backend is
 * reconciled away. Its entries must be gone (checked with Debian's `conntrack` tool, an independent
 * reader), the other backend's must remain, and so must a connection to the removed backend that
 * did not go through the VIP.
 *
 *   client ns "cl" 10.97.0.2 --veth-- 10.97.0.1 [VM: IPVS, VIP 10.99.0.1:80] 10.98.N.1 --veth--
 *   10.98.N.2:8080 backend ns "beN" (N = 1, 2)
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ipvs.h"
#include "ipvs_views.h"

#define VIP "10.99.0.1"

static void sh(const char *cmd)
{
	int st;
	char *out = run_cmd(cmd, &st);
	cr_assert_eq(st, 0, "`%s` failed: %s", cmd, out);
	free(out);
}

static void make_topology(void)
{
	sh("set -e; ip netns add cl; ip link add vc type veth peer name eth0 netns cl;"
	   "ip addr add 10.97.0.1/24 dev vc; ip link set vc up;"
	   "ip -n cl addr add 10.97.0.2/24 dev eth0; ip -n cl link set eth0 up;"
	   "ip -n cl link set lo up; ip -n cl route add default via 10.97.0.1;"
	   "for i in 1 2; do ip netns add be$i;"
	   "  ip link add vb$i type veth peer name eth0 netns be$i;"
	   "  ip addr add 10.98.$i.1/24 dev vb$i; ip link set vb$i up;"
	   "  ip -n be$i addr add 10.98.$i.2/24 dev eth0; ip -n be$i link set eth0 up;"
	   "  ip -n be$i link set lo up; ip -n be$i route add default via 10.98.$i.1; done;"
	   "ip addr add " VIP "/32 dev lo");
	/* Conntrack only tracks a namespace once some rule needs it (on a cluster node,
	 * kube-proxy's and the CNI's do); IPVS alone does not ask for it. One conntrack-matching
	 * rule here. */
	sh("iptables-legacy -A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT");
}

/* Runs the next socket() in namespace `ns` (NULL: back to the VM's own, saved in *home). */
static void enter(const char *ns, int *home)
{
	if (*home < 0) {
		*home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		cr_assert_geq(*home, 0);
	}
	int fd = *home;
	if (ns) {
		char path[64];
		snprintf(path, sizeof(path), "/run/netns/%s", ns);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		cr_assert_geq(fd, 0, "open %s", path);
	}
	cr_assert_eq(setns(fd, CLONE_NEWNET), 0, "setns %s", ns ? ns : "home");
	if (ns)
		close(fd);
}

static int tcp_socket(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(fd, 0);
	return fd;
}

static struct sockaddr_in sin_of(const char *addr, uint16_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	cr_assert_eq(inet_pton(AF_INET, addr, &sa.sin_addr), 1);
	return sa;
}

/* A listener on :8080; the kernel completes handshakes into its backlog, no accept() needed. */
static int listen_in(const char *ns, int *home)
{
	enter(ns, home);
	int fd = tcp_socket();
	int on = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	struct sockaddr_in sa = sin_of("0.0.0.0", 8080);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(fd, 64), 0);
	enter(NULL, home);
	return fd;
}

static int connect_from_client(const char *addr, uint16_t port, int *home)
{
	enter("cl", home);
	int fd = tcp_socket();
	struct sockaddr_in sa = sin_of(addr, port);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "connect %s:%u: %s", addr,
		     port, strerror(errno));
	enter(NULL, home);
	return fd;
}

/* Conntrack entries whose reply comes from `backend`:8080, and of those, how many were
 * addressed to the VIP — as Debian's conntrack tool lists them. */
static void count_entries(const char *backend, int *via_vip, int *direct)
{
	char *out = run_cmd("conntrack -L -p tcp 2>/dev/null", NULL);
	char reply[64], orig_vip[64];
	snprintf(reply, sizeof(reply), "src=%s dst=10.97.0.2 sport=8080", backend);
	snprintf(orig_vip, sizeof(orig_vip), "dst=" VIP " ");
	*via_vip = *direct = 0;
	for (char *save = NULL, *l = strtok_r(out, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		if (!strstr(l, reply))
			continue;
		if (strstr(l, orig_vip))
			(*via_vip)++;
		else
			(*direct)++;
	}
	free(out);
}

Test(ipvs_conntrack_vm, removed_backend_loses_its_entries_only)
{
	make_topology();
	struct nl_error err;
	struct ipvs h;
	cr_assert_eq(ipvs_open(&h, &err), 0, "%s", err.msg);
	ipvs_flush(&h, &err);
	struct ipvs_service svc = {
	    .af = AF_INET, .protocol = IPPROTO_TCP, .port = 80, .sched = "rr"};
	ipvs_addr_parse(VIP, &svc.addr);
	cr_assert_eq(ipvs_service_add(&h, &svc, 0, &err), 0, "%s", err.msg);
	struct ipvs_dest be[2] = {
	    {.port = 8080, .fwd = IP_VS_CONN_F_MASQ, .weight = 1},
	    {.port = 8080, .fwd = IP_VS_CONN_F_MASQ, .weight = 1},
	};
	be[0].af = ipvs_addr_parse("10.98.1.2", &be[0].addr);
	be[1].af = ipvs_addr_parse("10.98.2.2", &be[1].addr);
	struct ipvs_reconcile_result res;
	cr_assert_eq(ipvs_reconcile(&h, &svc, be, 2, &res, &err), 0, "%s", err.msg);

	int home = -1;
	int l1 = listen_in("be1", &home), l2 = listen_in("be2", &home);
	int conns[5];
	for (int i = 0; i < 4; i++)
		conns[i] = connect_from_client(VIP, 80, &home);
	/* Same backend, not through the VIP: routed, not IPVS's business. */
	conns[4] = connect_from_client("10.98.1.2", 8080, &home);

	int vip1, direct1, vip2, direct2;
	count_entries("10.98.1.2", &vip1, &direct1);
	count_entries("10.98.2.2", &vip2, &direct2);
	cr_assert_eq(vip1, 2, "backend 1: %d entries via the VIP before, expected 2 (rr)", vip1);
	cr_assert_eq(vip2, 2, "backend 2: %d entries via the VIP before", vip2);
	cr_assert_eq(direct1, 1, "backend 1: %d direct entries before", direct1);

	cr_assert_eq(ipvs_reconcile(&h, &svc, &be[1], 1, &res, &err), 0, "%s", err.msg);
	cr_expect_eq(res.removed, 1);
	cr_expect_eq(res.calls, 2);
	cr_expect_eq(res.conntrack_err, 0, "conntrack cleanup failed: %s",
		     strerror(-res.conntrack_err));
	cr_expect_eq(res.conntrack_removed, 2, "%u entries removed", res.conntrack_removed);

	count_entries("10.98.1.2", &vip1, &direct1);
	count_entries("10.98.2.2", &vip2, &direct2);
	cr_expect_eq(vip1, 0, "backend 1 still has %d entries via the VIP", vip1);
	cr_expect_eq(direct1, 1, "the direct connection's entry went too");
	cr_expect_eq(vip2, 2, "backend 2 lost entries: %d left", vip2);

	/* Once more, nothing left to remove. */
	unsigned removed = 99;
	cr_expect_eq(ipvs_conntrack_flush(&h, &svc, &be[0], &removed, &err), 0, "%s", err.msg);
	cr_expect_eq(removed, 0);

	for (int i = 0; i < 5; i++)
		close(conns[i]);
	close(l1);
	close(l2);
	close(home);
	ipvs_flush(&h, &err);
	ipvs_close(&h);
}
