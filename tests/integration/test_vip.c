/*
 * test_vip.c — the VIP on a real interface in a throwaway namespace, checked independently with
 * iproute2 (`ip -j addr`): /32 and /128, scope global, deprecated (preferred_lft 0), valid
 * forever, NODAD on request; adds and deletes are idempotent; a missing interface is named.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <string.h>

#include "nl_addr.h"
#include "nl_link.h"
#include "testns.h"
#include "topology.h"

static struct lan lan;

static void setup(void)
{
	if (!testns_is_root())
		cr_skip_test("needs root for network namespaces");
	cr_assert_eq(lan_create(&lan, 1), 0, "building the test LAN");
}

static void teardown(void)
{
	lan_destroy(&lan);
}

/* The addr_info entry for `local` on eth0 as iproute2 reports it, or NULL. */
static json_t *ip_addr_info(const char *local)
{
	char out[16384];
	cr_assert_eq(testns_capture(&lan.host[0], out, sizeof(out), "ip -j addr show dev eth0"), 0);
	json_error_t jerr;
	json_t *root = json_loads(out, 0, &jerr);
	cr_assert_not_null(root, "ip -j output: %s", jerr.text);
	json_t *found = NULL, *info;
	size_t i;
	json_array_foreach(json_object_get(json_array_get(root, 0), "addr_info"), i, info)
	{
		if (!strcmp(json_string_value(json_object_get(info, "local")) ?: "", local))
			found = json_incref(info);
	}
	json_decref(root);
	return found;
}

struct vip_ctx {
	struct nl_sock sock;
	struct nl_link link;
	int saved_ns;
};

static void open_in_host(struct vip_ctx *ctx)
{
	struct nl_error err;
	ctx->saved_ns = testns_enter(&lan.host[0]);
	cr_assert_geq(ctx->saved_ns, 0);
	cr_assert_eq(nl_sock_open(&ctx->sock, NETLINK_ROUTE, 0, false, &err), 0, "%s", err.msg);
	cr_assert_eq(testns_leave(ctx->saved_ns), 0);
	cr_assert_eq(nl_link_get(&ctx->sock, "eth0", &ctx->link, &err), 0, "%s", err.msg);
}

Test(vip, ipv4_add_delete_as_kube_vip_does, .init = setup, .fini = teardown)
{
	struct vip_ctx ctx;
	struct nl_error err;
	struct inet_prefix vip;
	open_in_host(&ctx);
	cr_assert_eq(ctx.link.mac_len, 6);
	cr_assert(nl_link_is_up(&ctx.link));
	inet_prefix_parse("192.0.2.100", &vip, NULL, 0);

	cr_assert_eq(nl_addr_add(&ctx.sock, ctx.link.index, &vip, 0, &err), 0, "%s", err.msg);
	cr_assert_eq(nl_addr_add(&ctx.sock, ctx.link.index, &vip, 0, &err), 0,
		     "second add must succeed: %s", err.msg);

	json_t *info = ip_addr_info("192.0.2.100");
	cr_assert_not_null(info, "iproute2 does not see the VIP");
	cr_assert_eq(json_integer_value(json_object_get(info, "prefixlen")), 32);
	cr_assert_str_eq(json_string_value(json_object_get(info, "scope")), "global");
	/* IPv4 marks preferred_lft 0 with the deprecated flag; with valid_lft forever the kernel
	 * reports the lifetimes themselves as permanent. */
	cr_assert(json_is_true(json_object_get(info, "deprecated")), "not deprecated");
	cr_assert_eq(json_integer_value(json_object_get(info, "valid_life_time")), 4294967295LL);
	json_decref(info);

	bool present = false;
	cr_assert_eq(nl_addr_find(&ctx.sock, ctx.link.index, &vip, &present, NULL, &err), 0);
	cr_assert(present);

	cr_assert_eq(nl_addr_del(&ctx.sock, ctx.link.index, &vip, &err), 0, "%s", err.msg);
	cr_assert_null(ip_addr_info("192.0.2.100"), "VIP still there after delete");
	cr_assert_eq(nl_addr_del(&ctx.sock, ctx.link.index, &vip, &err), 0,
		     "second delete must succeed: %s", err.msg);
	cr_assert_eq(nl_addr_find(&ctx.sock, ctx.link.index, &vip, &present, NULL, &err), 0);
	cr_assert_not(present);
	/* The interface's own address was never touched. */
	info = ip_addr_info("192.0.2.1");
	cr_assert_not_null(info);
	json_decref(info);
	nl_sock_close(&ctx.sock);
}

Test(vip, ipv6_nodad_add_delete, .init = setup, .fini = teardown)
{
	struct vip_ctx ctx;
	struct nl_error err;
	struct inet_prefix vip;
	open_in_host(&ctx);
	inet_prefix_parse("2001:db8::100", &vip, NULL, 0);

	cr_assert_eq(nl_addr_add(&ctx.sock, ctx.link.index, &vip, NL_ADDR_NODAD, &err), 0, "%s",
		     err.msg);
	cr_assert_eq(nl_addr_add(&ctx.sock, ctx.link.index, &vip, NL_ADDR_NODAD, &err), 0, "%s",
		     err.msg);
	json_t *info = ip_addr_info("2001:db8::100");
	cr_assert_not_null(info);
	cr_assert_eq(json_integer_value(json_object_get(info, "prefixlen")), 128);
	cr_assert_str_eq(json_string_value(json_object_get(info, "scope")), "global");
	cr_assert(json_is_true(json_object_get(info, "nodad")));
	cr_assert(json_is_true(json_object_get(info, "deprecated")));
	cr_assert_eq(json_integer_value(json_object_get(info, "preferred_life_time")), 0);
	cr_assert_eq(json_integer_value(json_object_get(info, "valid_life_time")), 4294967295LL);
	cr_assert_null(json_object_get(info, "tentative"), "NODAD address is tentative");
	json_decref(info);
	cr_assert_eq(nl_addr_del(&ctx.sock, ctx.link.index, &vip, &err), 0, "%s", err.msg);
	cr_assert_eq(nl_addr_del(&ctx.sock, ctx.link.index, &vip, &err), 0, "%s", err.msg);
	cr_assert_null(ip_addr_info("2001:db8::100"));
	nl_sock_close(&ctx.sock);
}

Test(vip, missing_interface_is_named, .init = setup, .fini = teardown)
{
	struct vip_ctx ctx;
	struct nl_error err;
	struct nl_link link;
	open_in_host(&ctx);
	cr_assert_eq(nl_link_get(&ctx.sock, "eth9", &link, &err), -ENODEV);
	cr_assert_str_eq(err.msg, "interface \"eth9\": no such interface");
	nl_sock_close(&ctx.sock);

	/* The command a person would type says the same, on one line, with a non-zero exit. */
	char out[512];
	int rc = testns_capture(&lan.host[0], out, sizeof(out),
				"%s vip del --interface eth9 --address 192.0.2.100 2>&1", VIPD_BIN);
	cr_assert_eq(rc, 1);
	cr_assert_str_eq(out, "vipd: interface \"eth9\": no such interface\n");
}

Test(vip, kernel_rejection_carries_extended_ack, .init = setup, .fini = teardown)
{
	struct vip_ctx ctx;
	struct nl_error err;
	struct inet_prefix vip;
	open_in_host(&ctx);
	inet_prefix_parse("192.0.2.100", &vip, NULL, 0);
	/* An interface index that does not exist: the kernel refuses, we carry its errno. */
	int rc = nl_addr_add(&ctx.sock, 999999, &vip, 0, &err);
	cr_assert_eq(rc, -ENODEV, "rc=%d %s", rc, err.msg);
	cr_assert(strstr(err.msg, "192.0.2.100/32"), "%s", err.msg);
	nl_sock_close(&ctx.sock);
}
