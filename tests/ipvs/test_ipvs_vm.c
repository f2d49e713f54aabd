/*
 * test_ipvs_vm.c — the IPVS library against a real ip_vs kernel, inside the test VM
 * (tests/vm). Every operation is checked twice: by the library's own dump and by Debian's
 * ipvsadm, and the two views must agree. Covers services and destinations of every kind,
 * reconcile with exact call counts, and the error paths (unknown scheduler, missing service,
 * duplicate add, IPv6).
 *
 * The VM's setup script (vm_setup.sh) gives it a dummy interface with 10.1.0.254/24 and
 * 2001:db8:1::fe/64, so destinations in those subnets are routable.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipvs.h"
#include "ipvs_msg.h"
#include "ipvs_views.h"

static struct ipvs h;
static struct nl_error err;

static void setup(void)
{
	cr_assert_eq(ipvs_open(&h, &err), 0, "%s", err.msg);
	cr_assert_eq(ipvs_flush(&h, &err), 0, "%s", err.msg);
}

static void teardown(void)
{
	ipvs_flush(&h, &err);
	ipvs_close(&h);
}

TestSuite(ipvs_vm, .init = setup, .fini = teardown);

static struct ipvs_service service(const char *addr, uint16_t port, uint16_t proto,
				   const char *sched)
{
	struct ipvs_service s = {.protocol = proto, .port = port};
	s.af = ipvs_addr_parse(addr, &s.addr);
	cr_assert_gt(s.af, 0, "bad test address %s", addr);
	snprintf(s.sched, sizeof(s.sched), "%s", sched);
	return s;
}

static struct ipvs_dest dest(const char *addr, uint16_t port, uint32_t fwd, int weight)
{
	struct ipvs_dest d = {.port = port, .fwd = fwd, .weight = weight};
	d.af = ipvs_addr_parse(addr, &d.addr);
	cr_assert_gt(d.af, 0, "bad test address %s", addr);
	return d;
}

static void expect_service(const struct ipvs_service *want)
{
	struct ipvs_service got;
	cr_assert_eq(ipvs_service_get(&h, want, &got, &err), 0, "%s", err.msg);
	cr_expect(ipvs_service_same(&got, want));
	cr_expect_str_eq(got.sched, want->sched);
	cr_expect_eq(got.flags & ~IP_VS_SVC_F_HASHED, want->flags);
	cr_expect_eq(got.timeout, want->timeout);
	cr_expect_eq(got.netmask, want->netmask);
}

/* The destinations of svc, as the library dumps them, must be exactly `want` (any order). */
static void expect_dests(const struct ipvs_service *svc, const struct ipvs_dest *want, size_t n)
{
	struct ipvs_dest *got;
	size_t ng;
	cr_assert_eq(ipvs_dest_dump(&h, svc, &got, &ng, &err), 0, "%s", err.msg);
	cr_assert_eq(ng, n, "%zu destinations, expected %zu", ng, n);
	for (size_t i = 0; i < n; i++) {
		const struct ipvs_dest *g = NULL;
		for (size_t j = 0; j < ng && !g; j++)
			if (ipvs_dest_same(&got[j], &want[i], svc->af))
				g = &got[j];
		char name[IPVS_STRLEN];
		cr_assert_not_null(g, "destination %s missing",
				   ipvs_dest_str(&want[i], svc->af, name, sizeof(name)));
		cr_expect_eq(g->fwd, want[i].fwd, "%s: fwd %u", name, g->fwd);
		cr_expect_eq(g->weight, want[i].weight, "%s: weight %d", name, (int)g->weight);
		cr_expect_eq(g->u_thresh, want[i].u_thresh);
		cr_expect_eq(g->l_thresh, want[i].l_thresh);
	}
	free(got);
}

Test(ipvs_vm, info_matches_ipvsadm)
{
	struct ipvs_info info;
	cr_assert_eq(ipvs_get_info(&h, &info, &err), 0, "%s", err.msg);
	char want[128];
	snprintf(want, sizeof(want), "IP Virtual Server version %u.%u.%u (size=%u)",
		 info.version >> 16, (info.version >> 8) & 0xff, info.version & 0xff,
		 info.conn_tab_size);
	char *out = run_cmd("ipvsadm -Ln", NULL);
	cr_expect_not_null(strstr(out, want), "expected \"%s\" in:\n%s", want, out);
	free(out);
	cr_expect_eq(info.version, IP_VS_VERSION_CODE);
}

Test(ipvs_vm, services_add_get_edit_delete)
{
	struct ipvs_service tcp = service("10.0.0.1", 80, IPPROTO_TCP, "rr");
	struct ipvs_service udp6 = service("2001:db8::1", 53, IPPROTO_UDP, "wrr");
	udp6.flags = IP_VS_SVC_F_PERSISTENT | IP_VS_SVC_F_ONEPACKET;
	udp6.timeout = 300;
	struct ipvs_service sh = service("10.0.0.2", 443, IPPROTO_TCP, "sh");
	sh.flags = IP_VS_SVC_F_PERSISTENT | IP_VS_SVC_F_SCHED_SH_PORT;
	sh.timeout = 60;
	sh.netmask = 24;
	struct ipvs_service fwm = {.af = AF_INET, .fwmark = 7, .sched = "rr"};
	struct ipvs_service sctp = service("10.0.0.3", 3868, IPPROTO_SCTP, "rr");

	const struct ipvs_service *all[] = {&tcp, &udp6, &sh, &fwm, &sctp};
	for (size_t i = 0; i < 5; i++) {
		cr_assert_eq(ipvs_service_add(&h, all[i], 0, &err), 0, "%s", err.msg);
		expect_service(all[i]);
		assert_views_agree(&h, i + 1);
	}

	/* Edit: scheduler, persistence and netmask of the TCP service. */
	snprintf(tcp.sched, sizeof(tcp.sched), "wrr");
	tcp.flags = IP_VS_SVC_F_PERSISTENT;
	tcp.timeout = 120;
	tcp.netmask = 16;
	cr_assert_eq(ipvs_service_edit(&h, &tcp, &err), 0, "%s", err.msg);
	expect_service(&tcp);
	assert_views_agree(&h, 5);

	cr_assert_eq(ipvs_service_del(&h, &udp6, 0, &err), 0, "%s", err.msg);
	assert_views_agree(&h, 4);
	cr_expect_eq(ipvs_service_del(&h, &udp6, 0, &err), -ESRCH, "%s", err.msg);
	cr_expect_eq(ipvs_service_del(&h, &udp6, IPVS_IDEMPOTENT, &err), 0, "%s", err.msg);
	cr_assert_eq(ipvs_service_del(&h, &fwm, 0, &err), 0, "%s", err.msg);
	assert_views_agree(&h, 3);
}

Test(ipvs_vm, destinations_every_forwarding_method)
{
	struct ipvs_service svc = service("10.0.0.1", 80, IPPROTO_TCP, "wrr");
	cr_assert_eq(ipvs_service_add(&h, &svc, 0, &err), 0, "%s", err.msg);
	struct ipvs_dest d[4] = {
	    dest("10.1.0.1", 8080, IP_VS_CONN_F_MASQ, 3),
	    dest("10.1.0.2", 80, IP_VS_CONN_F_TUNNEL, 1),
	    dest("10.1.0.3", 80, IP_VS_CONN_F_DROUTE, 2),
	    dest("10.1.0.254", 80, IP_VS_CONN_F_LOCALNODE, 1),
	};
	d[0].u_thresh = 10;
	d[0].l_thresh = 5;
	for (size_t i = 0; i < 4; i++) {
		cr_assert_eq(ipvs_dest_add(&h, &svc, &d[i], 0, &err), 0, "%s", err.msg);
		expect_dests(&svc, d, i + 1);
		assert_views_agree(&h, i + 2);
	}

	/* Edit: weight and thresholds; then the forwarding method. */
	d[0].weight = 7;
	d[0].u_thresh = 100;
	d[0].l_thresh = 50;
	cr_assert_eq(ipvs_dest_edit(&h, &svc, &d[0], &err), 0, "%s", err.msg);
	d[2].fwd = IP_VS_CONN_F_TUNNEL;
	cr_assert_eq(ipvs_dest_edit(&h, &svc, &d[2], &err), 0, "%s", err.msg);
	expect_dests(&svc, d, 4);
	assert_views_agree(&h, 5);

	/* Weight 0 keeps the destination but takes it out of scheduling. */
	d[3].weight = 0;
	cr_assert_eq(ipvs_dest_edit(&h, &svc, &d[3], &err), 0, "%s", err.msg);
	expect_dests(&svc, d, 4);
	assert_views_agree(&h, 5);

	unsigned ct = 99;
	cr_assert_eq(ipvs_dest_del(&h, &svc, &d[1], 0, &ct, &err), 0, "%s", err.msg);
	cr_expect_eq(ct, 0, "a tunnel destination has no conntrack entries to remove");
	d[1] = d[3];
	expect_dests(&svc, d, 3);
	assert_views_agree(&h, 4);
}

Test(ipvs_vm, ipv6_service_and_destinations)
{
	struct ipvs_service svc = service("2001:db8::10", 6443, IPPROTO_TCP, "rr");
	cr_assert_eq(ipvs_service_add(&h, &svc, 0, &err), 0, "%s", err.msg);
	expect_service(&svc);
	struct ipvs_dest d[2] = {
	    dest("2001:db8:1::1", 6443, IP_VS_CONN_F_MASQ, 1),
	    dest("2001:db8:1::2", 6443, IP_VS_CONN_F_MASQ, 2),
	};
	for (size_t i = 0; i < 2; i++)
		cr_assert_eq(ipvs_dest_add(&h, &svc, &d[i], 0, &err), 0, "%s", err.msg);
	expect_dests(&svc, d, 2);
	assert_views_agree(&h, 3);

	/* IPv4 behind an IPv6 service: the kernel only allows that for tunnels. */
	struct ipvs_dest v4 = dest("10.1.0.9", 6443, IP_VS_CONN_F_MASQ, 1);
	cr_expect_eq(ipvs_dest_add(&h, &svc, &v4, 0, &err), -EINVAL, "%s", err.msg);
	assert_views_agree(&h, 3);

	struct ipvs_reconcile_result res;
	cr_assert_eq(ipvs_reconcile(&h, &svc, &d[1], 1, &res, &err), 0, "%s", err.msg);
	cr_expect_eq(res.removed, 1);
	cr_expect_eq(res.calls, 2);
	assert_views_agree(&h, 2);
}

Test(ipvs_vm, error_unknown_scheduler)
{
	struct ipvs_service svc = service("10.0.0.1", 80, IPPROTO_TCP, "nosuchsched");
	cr_expect_eq(ipvs_service_add(&h, &svc, IPVS_IDEMPOTENT, &err), -ENOENT);
	cr_expect_eq(err.err, -ENOENT);
	cr_expect_not_null(strstr(err.msg, "nosuchsched"), "message: %s", err.msg);
	cr_expect_not_null(strstr(err.msg, "10.0.0.1:80"), "message: %s", err.msg);
	assert_views_agree(&h, 0);

	/* Editing an existing service to an unknown scheduler: same errno, service unchanged. */
	struct ipvs_service ok = service("10.0.0.1", 80, IPPROTO_TCP, "rr");
	cr_assert_eq(ipvs_service_add(&h, &ok, 0, &err), 0, "%s", err.msg);
	cr_expect_eq(ipvs_service_edit(&h, &svc, &err), -ENOENT, "%s", err.msg);
	expect_service(&ok);
	assert_views_agree(&h, 1);
}

Test(ipvs_vm, error_missing_service)
{
	struct ipvs_service svc = service("10.0.0.1", 80, IPPROTO_TCP, "rr");
	struct ipvs_dest d = dest("10.1.0.1", 8080, IP_VS_CONN_F_MASQ, 1);
	struct ipvs_service got;
	cr_expect_eq(ipvs_service_get(&h, &svc, &got, &err), -ESRCH, "%s", err.msg);
	cr_expect_not_null(strstr(err.msg, "TCP 10.0.0.1:80"), "message: %s", err.msg);
	cr_expect_eq(ipvs_service_edit(&h, &svc, &err), -ESRCH, "%s", err.msg);
	cr_expect_eq(ipvs_dest_add(&h, &svc, &d, 0, &err), -ESRCH, "%s", err.msg);
	cr_expect_eq(ipvs_dest_edit(&h, &svc, &d, &err), -ESRCH, "%s", err.msg);
	cr_expect_eq(ipvs_dest_del(&h, &svc, &d, 0, NULL, &err), -ESRCH, "%s", err.msg);
	cr_expect_eq(ipvs_dest_del(&h, &svc, &d, IPVS_IDEMPOTENT, NULL, &err), 0, "%s", err.msg);
	struct ipvs_dest *list;
	size_t n;
	/* The kernel dumps a missing service's destinations as an empty list. */
	cr_expect_eq(ipvs_dest_dump(&h, &svc, &list, &n, &err), 0, "%s", err.msg);
	cr_expect_eq(n, 0);
	free(list);
	struct ipvs_reconcile_result res;
	cr_expect_eq(ipvs_reconcile(&h, &svc, &d, 1, &res, &err), -ESRCH, "%s", err.msg);
	cr_expect_eq(res.calls, 2, "the dump, then the first add");
	cr_expect_eq(res.added, 0);

	/* The service exists, the destination does not: ENOENT, kept apart from ESRCH. */
	cr_assert_eq(ipvs_service_add(&h, &svc, 0, &err), 0, "%s", err.msg);
	cr_expect_eq(ipvs_dest_edit(&h, &svc, &d, &err), -ENOENT, "%s", err.msg);
	cr_expect_eq(ipvs_dest_del(&h, &svc, &d, 0, NULL, &err), -ENOENT, "%s", err.msg);
	cr_expect_not_null(strstr(err.msg, "10.1.0.1:8080"), "message: %s", err.msg);
	cr_expect_eq(ipvs_dest_del(&h, &svc, &d, IPVS_IDEMPOTENT, NULL, &err), 0, "%s", err.msg);
	assert_views_agree(&h, 1);
}

Test(ipvs_vm, error_duplicate_add)
{
	struct ipvs_service svc = service("10.0.0.1", 80, IPPROTO_TCP, "rr");
	struct ipvs_dest d = dest("10.1.0.1", 8080, IP_VS_CONN_F_MASQ, 1);
	cr_assert_eq(ipvs_service_add(&h, &svc, 0, &err), 0, "%s", err.msg);
	cr_assert_eq(ipvs_dest_add(&h, &svc, &d, 0, &err), 0, "%s", err.msg);
	cr_expect_eq(ipvs_service_add(&h, &svc, 0, &err), -EEXIST, "%s", err.msg);
	cr_expect_eq(ipvs_dest_add(&h, &svc, &d, 0, &err), -EEXIST, "%s", err.msg);
	cr_expect_eq(ipvs_service_add(&h, &svc, IPVS_IDEMPOTENT, &err), 0, "%s", err.msg);
	cr_expect_eq(ipvs_dest_add(&h, &svc, &d, IPVS_IDEMPOTENT, &err), 0, "%s", err.msg);
	/* An idempotent add does not change what is there. */
	struct ipvs_dest heavier = d;
	heavier.weight = 5;
	cr_expect_eq(ipvs_dest_add(&h, &svc, &heavier, IPVS_IDEMPOTENT, &err), 0, "%s", err.msg);
	expect_dests(&svc, &d, 1);
	assert_views_agree(&h, 2);
}

Test(ipvs_vm, error_bad_input_never_reaches_kernel)
{
	struct ipvs_service svc = service("10.0.0.1", 80, IPPROTO_TCP, "rr");
	cr_assert_eq(ipvs_service_add(&h, &svc, 0, &err), 0, "%s", err.msg);
	uint64_t before = h.requests;
	struct ipvs_dest d = dest("10.1.0.1", 8080, IP_VS_CONN_F_MASQ, 1);
	d.l_thresh = 10;
	d.u_thresh = 5;
	cr_expect_eq(ipvs_dest_add(&h, &svc, &d, 0, &err), -ERANGE);
	cr_expect_not_null(strstr(err.msg, "10.1.0.1:8080"), "message: %s", err.msg);
	d = dest("10.1.0.1", 8080, 7, 1);
	cr_expect_eq(ipvs_dest_add(&h, &svc, &d, 0, &err), -EINVAL);
	struct ipvs_service bad = svc;
	bad.protocol = 47;
	cr_expect_eq(ipvs_service_add(&h, &bad, 0, &err), -EINVAL);
	cr_expect_not_null(strstr(err.msg, "47"), "message: %s", err.msg);
	cr_expect_eq(h.requests, before, "invalid requests were sent");
	assert_views_agree(&h, 1);
}

Test(ipvs_vm, family_resolved_again_after_error)
{
	/* A stale family id (as after ip_vs was reloaded) costs one look-up, not a failure. */
	h.family_id = 0x7ff0;
	uint64_t lookups = h.lookups;
	struct ipvs_info info;
	cr_expect_eq(ipvs_get_info(&h, &info, &err), 0, "%s", err.msg);
	cr_expect_eq(h.lookups, lookups + 1);
	cr_expect_eq(info.version, IP_VS_VERSION_CODE);
}

Test(ipvs_vm, flush_removes_everything)
{
	struct ipvs_service a = service("10.0.0.1", 80, IPPROTO_TCP, "rr");
	struct ipvs_service b = service("2001:db8::1", 80, IPPROTO_UDP, "rr");
	struct ipvs_dest d = dest("10.1.0.1", 8080, IP_VS_CONN_F_MASQ, 1);
	cr_assert_eq(ipvs_service_add(&h, &a, 0, &err), 0, "%s", err.msg);
	cr_assert_eq(ipvs_service_add(&h, &b, 0, &err), 0, "%s", err.msg);
	cr_assert_eq(ipvs_dest_add(&h, &a, &d, 0, &err), 0, "%s", err.msg);
	assert_views_agree(&h, 3);
	cr_assert_eq(ipvs_flush(&h, &err), 0, "%s", err.msg);
	assert_views_agree(&h, 0);
}

/* Reconciles svc to `want` and checks the call count against the minimum, by the result, by
 * the handle's request counter and by the socket's sequence numbers (one per request). */
static void reconcile_to(const struct ipvs_service *svc, const struct ipvs_dest *want, size_t n,
			 unsigned added, unsigned edited, unsigned removed)
{
	struct ipvs_reconcile_result res;
	uint32_t seq = h.sock.seq;
	uint64_t requests = h.requests;
	cr_assert_eq(ipvs_reconcile(&h, svc, want, n, &res, &err), 0, "%s", err.msg);
	unsigned minimum = 1 + added + edited + removed;
	cr_expect_eq(res.added, added);
	cr_expect_eq(res.edited, edited);
	cr_expect_eq(res.removed, removed);
	cr_expect_eq(res.calls, minimum, "%u calls, minimum %u", res.calls, minimum);
	cr_expect_eq(h.requests - requests, minimum);
	cr_expect_eq(h.sock.seq - seq, minimum, "netlink requests on the socket");
	expect_dests(svc, want, n);
	assert_views_agree(&h, 1 + n);
}

Test(ipvs_vm, reconcile_minimal_calls)
{
	struct ipvs_service svc = service("10.0.0.1", 6443, IPPROTO_TCP, "rr");
	cr_assert_eq(ipvs_service_add(&h, &svc, 0, &err), 0, "%s", err.msg);
	struct ipvs_dest d[3] = {
	    dest("10.1.0.1", 6443, IP_VS_CONN_F_MASQ, 1),
	    dest("10.1.0.2", 6443, IP_VS_CONN_F_MASQ, 1),
	    dest("10.1.0.3", 6443, IP_VS_CONN_F_MASQ, 1),
	};
	reconcile_to(&svc, d, 3, 3, 0, 0); /* empty -> 3 */
	reconcile_to(&svc, d, 3, 0, 0, 0); /* unchanged: the dump only */
	reconcile_to(&svc, d, 2, 0, 0, 1); /* 3 -> 2 */
	d[1].weight = 5;
	reconcile_to(&svc, d, 2, 0, 1, 0); /* weight change */
	/* Replace one backend by another: one add, one delete. */
	struct ipvs_dest swap[2] = {d[0], dest("10.1.0.4", 6443, IP_VS_CONN_F_MASQ, 1)};
	reconcile_to(&svc, swap, 2, 1, 0, 1);
	reconcile_to(&svc, NULL, 0, 0, 0, 2); /* back to empty */

	struct ipvs_dest twice[2] = {d[0], d[0]};
	struct ipvs_reconcile_result res;
	cr_expect_eq(ipvs_reconcile(&h, &svc, twice, 2, &res, &err), -EINVAL);
	cr_expect_not_null(strstr(err.msg, "10.1.0.1:6443"), "message: %s", err.msg);
}

Test(ipvs_vm, module_unloaded_and_reloaded_under_an_open_handle)
{
	/* ip_vs goes away while vipd runs: the next call says "unavailable", not "no such
	 * destination"; once it is back, the same handle works again with the new family id. */
	int st;
	char *out = run_cmd("rmmod ip_vs_sh ip_vs_wrr ip_vs_rr ip_vs 2>&1", &st);
	cr_assert_eq(st, 0, "rmmod: %s", out);
	free(out);
	struct ipvs_info info;
	struct ipvs_service svc = service("10.0.0.1", 80, IPPROTO_TCP, "rr");
	struct ipvs_dest d = dest("10.1.0.1", 8080, IP_VS_CONN_F_MASQ, 1);
	cr_expect_eq(ipvs_get_info(&h, &info, &err), -IPVS_ERR_UNAVAILABLE, "%s", err.msg);
	cr_expect_eq(ipvs_dest_del(&h, &svc, &d, IPVS_IDEMPOTENT, NULL, &err),
		     -IPVS_ERR_UNAVAILABLE, "%s", err.msg);
	cr_expect_not_null(strstr(err.msg, "IPVS not in this kernel"), "%s", err.msg);
	out = run_cmd("for m in ip_vs ip_vs_rr ip_vs_wrr ip_vs_sh; do "
		      "insmod /vm/modules/$m.ko || exit 1; done 2>&1",
		      &st);
	cr_assert_eq(st, 0, "insmod: %s", out);
	free(out);
	cr_expect_eq(ipvs_get_info(&h, &info, &err), 0, "%s", err.msg);
	cr_expect_eq(ipvs_service_add(&h, &svc, 0, &err), 0, "%s", err.msg);
	assert_views_agree(&h, 1);
}
