/*
 * test_ipvs_msg.c — every IPVS request the library builds, parsed back attribute by attribute;
 * the reply parsers on well-formed and broken input; input checks and their messages; and the
 * reconcile plan. No privileges, no kernel.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <string.h>

#include "ipvs.h"
#include "ipvs_msg.h"

#define FAM 0x1234

static struct ipvs_service v4svc(void)
{
	struct ipvs_service s = {
	    .af = AF_INET, .protocol = IPPROTO_TCP, .port = 6443, .sched = "rr"};
	ipvs_addr_parse("192.0.2.10", &s.addr);
	return s;
}

static struct ipvs_dest v4dest(const char *addr, int weight)
{
	struct ipvs_dest d = {.port = 6443, .fwd = IP_VS_CONN_F_MASQ, .weight = weight};
	d.af = ipvs_addr_parse(addr, &d.addr);
	return d;
}

/* The attributes of one nest (or of the message when nest is NULL), by type. */
struct attrs {
	const struct nlattr *tb[32];
	int count;
};

static int collect_cb(const struct nlattr *a, void *data)
{
	struct attrs *t = data;
	cr_assert_lt(mnl_attr_get_type(a), 32);
	cr_assert_null(t->tb[mnl_attr_get_type(a)], "attribute %u twice", mnl_attr_get_type(a));
	t->tb[mnl_attr_get_type(a)] = a;
	t->count++;
	return MNL_CB_OK;
}

static struct attrs top_attrs(const struct nlmsghdr *nlh)
{
	struct attrs t = {0};
	cr_assert_eq(mnl_attr_parse(nlh, GENL_HDRLEN, collect_cb, &t), MNL_CB_OK);
	return t;
}

static struct attrs nest_attrs(const struct nlattr *nest)
{
	struct attrs t = {0};
	cr_assert_not_null(nest);
	cr_assert_eq(mnl_attr_parse_nested(nest, collect_cb, &t), MNL_CB_OK);
	return t;
}

static const struct genlmsghdr *genl(const struct nlmsghdr *nlh)
{
	return mnl_nlmsg_get_payload(nlh);
}

static void expect_u16(const struct attrs *t, int type, uint16_t v)
{
	cr_assert_not_null(t->tb[type], "attribute %d missing", type);
	cr_expect_eq(mnl_attr_get_payload_len(t->tb[type]), 2, "attribute %d size", type);
	cr_expect_eq(mnl_attr_get_u16(t->tb[type]), v, "attribute %d: %u", type,
		     mnl_attr_get_u16(t->tb[type]));
}

static void expect_u32(const struct attrs *t, int type, uint32_t v)
{
	cr_assert_not_null(t->tb[type], "attribute %d missing", type);
	cr_expect_eq(mnl_attr_get_payload_len(t->tb[type]), 4, "attribute %d size", type);
	cr_expect_eq(mnl_attr_get_u32(t->tb[type]), v, "attribute %d: 0x%x", type,
		     mnl_attr_get_u32(t->tb[type]));
}

static void expect_addr(const struct attrs *t, int type, const char *text)
{
	union ipvs_addr want;
	ipvs_addr_parse(text, &want);
	cr_assert_not_null(t->tb[type]);
	cr_assert_eq(mnl_attr_get_payload_len(t->tb[type]), 16, "nf_inet_addr is 16 bytes");
	cr_expect_eq(memcmp(mnl_attr_get_payload(t->tb[type]), want.bytes, 16), 0);
}

Test(ipvs_msg, getfamily)
{
	char buf[IPVS_MSG_BUFSIZE];
	struct nlmsghdr *nlh = ipvs_msg_getfamily(buf);
	cr_expect_eq(nlh->nlmsg_type, GENL_ID_CTRL);
	cr_expect_eq(nlh->nlmsg_flags, NLM_F_REQUEST);
	cr_expect_eq(genl(nlh)->cmd, CTRL_CMD_GETFAMILY);
	struct attrs t = top_attrs(nlh);
	cr_expect_eq(t.count, 1);
	cr_expect_str_eq(mnl_attr_get_str(t.tb[CTRL_ATTR_FAMILY_NAME]), "IPVS");
}

Test(ipvs_msg, simple_commands)
{
	char buf[IPVS_MSG_BUFSIZE];
	struct nlmsghdr *nlh = ipvs_msg_simple(buf, FAM, IPVS_CMD_FLUSH, false);
	cr_expect_eq(nlh->nlmsg_type, FAM);
	cr_expect_eq(nlh->nlmsg_flags, NLM_F_REQUEST);
	cr_expect_eq(genl(nlh)->cmd, IPVS_CMD_FLUSH);
	cr_expect_eq(genl(nlh)->version, IPVS_GENL_VERSION);
	cr_expect_eq(nlh->nlmsg_len, mnl_nlmsg_size(GENL_HDRLEN));
	nlh = ipvs_msg_simple(buf, FAM, IPVS_CMD_GET_SERVICE, true);
	cr_expect_eq(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP);
}

Test(ipvs_msg, new_service_ipv4_full)
{
	char buf[IPVS_MSG_BUFSIZE];
	struct ipvs_service s = v4svc();
	s.flags = IP_VS_SVC_F_PERSISTENT;
	s.timeout = 300;
	s.netmask = 24;
	struct nlmsghdr *nlh = ipvs_msg_service(buf, FAM, IPVS_CMD_NEW_SERVICE, &s, true);
	cr_expect_eq(nlh->nlmsg_type, FAM);
	cr_expect_eq(genl(nlh)->cmd, IPVS_CMD_NEW_SERVICE);
	struct attrs top = top_attrs(nlh);
	cr_expect_eq(top.count, 1);
	struct attrs t = nest_attrs(top.tb[IPVS_CMD_ATTR_SERVICE]);
	cr_expect_eq(t.count, 8);
	expect_u16(&t, IPVS_SVC_ATTR_AF, AF_INET);
	expect_u16(&t, IPVS_SVC_ATTR_PROTOCOL, IPPROTO_TCP);
	expect_addr(&t, IPVS_SVC_ATTR_ADDR, "192.0.2.10");
	expect_u16(&t, IPVS_SVC_ATTR_PORT, htons(6443));
	cr_expect_str_eq(mnl_attr_get_str(t.tb[IPVS_SVC_ATTR_SCHED_NAME]), "rr");
	const struct ip_vs_flags *f = mnl_attr_get_payload(t.tb[IPVS_SVC_ATTR_FLAGS]);
	cr_expect_eq(mnl_attr_get_payload_len(t.tb[IPVS_SVC_ATTR_FLAGS]), sizeof(*f));
	cr_expect_eq(f->flags, IP_VS_SVC_F_PERSISTENT);
	cr_expect_eq(f->mask, ~0U);
	expect_u32(&t, IPVS_SVC_ATTR_TIMEOUT, 300);
	expect_u32(&t, IPVS_SVC_ATTR_NETMASK, htonl(0xffffff00));
}

Test(ipvs_msg, netmask_defaults_and_ipv6_prefix)
{
	char buf[IPVS_MSG_BUFSIZE];
	struct ipvs_service s = v4svc();
	struct attrs t =
	    nest_attrs(top_attrs(ipvs_msg_service(buf, FAM, IPVS_CMD_NEW_SERVICE, &s, true))
			   .tb[IPVS_CMD_ATTR_SERVICE]);
	expect_u32(&t, IPVS_SVC_ATTR_NETMASK, 0xffffffff);

	s.af = AF_INET6;
	ipvs_addr_parse("2001:db8::10", &s.addr);
	t = nest_attrs(top_attrs(ipvs_msg_service(buf, FAM, IPVS_CMD_NEW_SERVICE, &s, true))
			   .tb[IPVS_CMD_ATTR_SERVICE]);
	expect_u16(&t, IPVS_SVC_ATTR_AF, AF_INET6);
	expect_addr(&t, IPVS_SVC_ATTR_ADDR, "2001:db8::10");
	expect_u32(&t, IPVS_SVC_ATTR_NETMASK, 128);
	s.netmask = 64;
	t = nest_attrs(top_attrs(ipvs_msg_service(buf, FAM, IPVS_CMD_SET_SERVICE, &s, true))
			   .tb[IPVS_CMD_ATTR_SERVICE]);
	expect_u32(&t, IPVS_SVC_ATTR_NETMASK, 64);
}

Test(ipvs_msg, service_key_only_for_delete_and_get)
{
	char buf[IPVS_MSG_BUFSIZE];
	struct ipvs_service s = v4svc();
	struct nlmsghdr *nlh = ipvs_msg_service(buf, FAM, IPVS_CMD_DEL_SERVICE, &s, false);
	struct attrs t = nest_attrs(top_attrs(nlh).tb[IPVS_CMD_ATTR_SERVICE]);
	cr_expect_eq(t.count, 4, "AF, PROTOCOL, ADDR, PORT only");
	cr_expect_null(t.tb[IPVS_SVC_ATTR_SCHED_NAME]);
}

Test(ipvs_msg, fwmark_service)
{
	char buf[IPVS_MSG_BUFSIZE];
	struct ipvs_service s = {.af = AF_INET, .fwmark = 7, .sched = "wrr"};
	struct attrs t =
	    nest_attrs(top_attrs(ipvs_msg_service(buf, FAM, IPVS_CMD_NEW_SERVICE, &s, true))
			   .tb[IPVS_CMD_ATTR_SERVICE]);
	expect_u32(&t, IPVS_SVC_ATTR_FWMARK, 7);
	cr_expect_null(t.tb[IPVS_SVC_ATTR_ADDR]);
	cr_expect_null(t.tb[IPVS_SVC_ATTR_PORT]);
	cr_expect_null(t.tb[IPVS_SVC_ATTR_PROTOCOL]);
}

Test(ipvs_msg, new_dest_full)
{
	char buf[IPVS_MSG_BUFSIZE];
	struct ipvs_service s = v4svc();
	struct ipvs_dest d = v4dest("198.51.100.7", 3);
	d.fwd = IP_VS_CONN_F_DROUTE;
	d.u_thresh = 100;
	d.l_thresh = 10;
	struct nlmsghdr *nlh = ipvs_msg_dest(buf, FAM, IPVS_CMD_NEW_DEST, &s, &d, true);
	cr_expect_eq(nlh->nlmsg_flags, NLM_F_REQUEST);
	cr_expect_eq(genl(nlh)->cmd, IPVS_CMD_NEW_DEST);
	struct attrs top = top_attrs(nlh);
	cr_expect_eq(top.count, 2);
	struct attrs st = nest_attrs(top.tb[IPVS_CMD_ATTR_SERVICE]);
	cr_expect_eq(st.count, 4, "the service key only");
	struct attrs t = nest_attrs(top.tb[IPVS_CMD_ATTR_DEST]);
	cr_expect_eq(t.count, 7);
	expect_u16(&t, IPVS_DEST_ATTR_ADDR_FAMILY, AF_INET);
	expect_addr(&t, IPVS_DEST_ATTR_ADDR, "198.51.100.7");
	expect_u16(&t, IPVS_DEST_ATTR_PORT, htons(6443));
	expect_u32(&t, IPVS_DEST_ATTR_FWD_METHOD, IP_VS_CONN_F_DROUTE);
	expect_u32(&t, IPVS_DEST_ATTR_WEIGHT, 3);
	expect_u32(&t, IPVS_DEST_ATTR_U_THRESH, 100);
	expect_u32(&t, IPVS_DEST_ATTR_L_THRESH, 10);
}

Test(ipvs_msg, dest_delete_and_dump_requests)
{
	char buf[IPVS_MSG_BUFSIZE];
	struct ipvs_service s = v4svc();
	struct ipvs_dest d = v4dest("198.51.100.7", 1);
	struct nlmsghdr *nlh = ipvs_msg_dest(buf, FAM, IPVS_CMD_DEL_DEST, &s, &d, false);
	struct attrs t = nest_attrs(top_attrs(nlh).tb[IPVS_CMD_ATTR_DEST]);
	cr_expect_eq(t.count, 3, "ADDR_FAMILY, ADDR, PORT only");
	nlh = ipvs_msg_dest(buf, FAM, IPVS_CMD_GET_DEST, &s, NULL, false);
	cr_expect_eq(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP);
	struct attrs top = top_attrs(nlh);
	cr_expect_eq(top.count, 1);
	cr_expect_not_null(top.tb[IPVS_CMD_ATTR_SERVICE]);
}

/* A built request has the layout of the kernel's reply, so parsing it back must give the
 * input again. */
Test(ipvs_msg, service_round_trip)
{
	char buf[IPVS_MSG_BUFSIZE];
	struct ipvs_service in[3] = {
	    v4svc(), v4svc(), {.af = AF_INET6, .fwmark = 9, .sched = "sh"}};
	in[1].af = AF_INET6;
	in[1].protocol = IPPROTO_UDP;
	ipvs_addr_parse("2001:db8::53", &in[1].addr);
	in[1].flags = IP_VS_SVC_F_PERSISTENT | IP_VS_SVC_F_ONEPACKET;
	in[1].timeout = 60;
	in[1].netmask = 48;
	in[2].flags = IP_VS_SVC_F_SCHED_SH_PORT;
	for (int i = 0; i < 3; i++) {
		struct ipvs_service out;
		cr_assert_eq(
		    ipvs_parse_service_msg(
			ipvs_msg_service(buf, FAM, IPVS_CMD_NEW_SERVICE, &in[i], true), &out),
		    0);
		cr_expect(ipvs_service_same(&in[i], &out), "service %d", i);
		cr_expect_str_eq(out.sched, in[i].sched);
		cr_expect_eq(out.flags, in[i].flags);
		cr_expect_eq(out.timeout, in[i].timeout);
		cr_expect_eq(out.netmask, in[i].netmask);
		cr_expect_eq(out.port, in[i].port);
	}
}

Test(ipvs_msg, dest_round_trip)
{
	char buf[IPVS_MSG_BUFSIZE];
	struct ipvs_service s = v4svc();
	struct ipvs_dest in = v4dest("2001:db8::7", 5);
	in.fwd = IP_VS_CONN_F_TUNNEL;
	in.u_thresh = 9;
	in.l_thresh = 2;
	struct ipvs_dest out;
	cr_assert_eq(ipvs_parse_dest_msg(ipvs_msg_dest(buf, FAM, IPVS_CMD_NEW_DEST, &s, &in, true),
					 AF_INET, &out),
		     0);
	cr_expect(ipvs_dest_same(&in, &out, AF_INET));
	cr_expect_eq(out.af, AF_INET6, "ADDR_FAMILY wins over the service's family");
	cr_expect_eq(out.fwd, IP_VS_CONN_F_TUNNEL);
	cr_expect_eq(out.weight, 5);
	cr_expect_eq(out.u_thresh, 9);
	cr_expect_eq(out.l_thresh, 2);
}

/* Builds a GET_DEST-style reply by hand, for the parser's edge cases. */
static struct nlmsghdr *dest_reply(char *buf, bool with_af, size_t addr_len, bool with_weight)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = FAM;
	struct genlmsghdr *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = IPVS_CMD_NEW_DEST;
	struct nlattr *n = mnl_attr_nest_start(nlh, IPVS_CMD_ATTR_DEST);
	uint8_t addr[16] = {10, 1, 0, 9};
	mnl_attr_put(nlh, IPVS_DEST_ATTR_ADDR, addr_len, addr);
	mnl_attr_put_u16(nlh, IPVS_DEST_ATTR_PORT, htons(80));
	mnl_attr_put_u32(nlh, IPVS_DEST_ATTR_FWD_METHOD, IP_VS_CONN_F_MASQ | IP_VS_CONN_F_NFCT);
	if (with_weight)
		mnl_attr_put_u32(nlh, IPVS_DEST_ATTR_WEIGHT, 4);
	mnl_attr_put_u32(nlh, IPVS_DEST_ATTR_ACTIVE_CONNS, 11);
	if (with_af)
		mnl_attr_put_u16(nlh, IPVS_DEST_ATTR_ADDR_FAMILY, AF_INET);
	mnl_attr_nest_end(nlh, n);
	return nlh;
}

Test(ipvs_msg, dest_parser_edges)
{
	char buf[IPVS_MSG_BUFSIZE];
	struct ipvs_dest d;
	/* Old kernels: no ADDR_FAMILY, the service's family is used. */
	cr_expect_eq(ipvs_parse_dest_msg(dest_reply(buf, false, 16, true), AF_INET, &d), 0);
	cr_expect_eq(d.af, AF_INET);
	cr_expect_eq(d.fwd, IP_VS_CONN_F_MASQ, "flags beyond the method are masked off");
	cr_expect_eq(d.active_conns, 11);
	cr_expect_eq(d.port, 80);
	cr_expect_eq(ipvs_parse_dest_msg(dest_reply(buf, true, 3, true), AF_INET, &d), -EBADMSG,
		     "a 3-byte address");
	cr_expect_eq(ipvs_parse_dest_msg(dest_reply(buf, true, 16, false), AF_INET, &d), -EBADMSG,
		     "no weight");
	cr_expect_eq(ipvs_parse_dest_msg(dest_reply(buf, false, 4, true), AF_INET6, &d), -EBADMSG,
		     "IPv6 with a 4-byte address");
	/* No nest at all, and a message shorter than its genl header. */
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	mnl_nlmsg_put_extra_header(nlh, GENL_HDRLEN);
	cr_expect_eq(ipvs_parse_dest_msg(nlh, AF_INET, &d), -EBADMSG);
	cr_expect_eq(ipvs_parse_service_msg(nlh, &(struct ipvs_service){0}), -EBADMSG);
	nlh = mnl_nlmsg_put_header(buf);
	cr_expect_eq(ipvs_parse_info(nlh, &(struct ipvs_info){0}), -EBADMSG);
}

Test(ipvs_msg, service_parser_rejects_bad_family)
{
	char buf[IPVS_MSG_BUFSIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	mnl_nlmsg_put_extra_header(nlh, GENL_HDRLEN);
	struct nlattr *n = mnl_attr_nest_start(nlh, IPVS_CMD_ATTR_SERVICE);
	mnl_attr_put_u16(nlh, IPVS_SVC_ATTR_AF, 99);
	mnl_attr_nest_end(nlh, n);
	struct ipvs_service s;
	cr_expect_eq(ipvs_parse_service_msg(nlh, &s), -EBADMSG);
}

Test(ipvs_msg, info_and_family_replies)
{
	char buf[IPVS_MSG_BUFSIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	mnl_nlmsg_put_extra_header(nlh, GENL_HDRLEN);
	mnl_attr_put_u32(nlh, IPVS_INFO_ATTR_VERSION, 0x010201);
	mnl_attr_put_u32(nlh, IPVS_INFO_ATTR_CONN_TAB_SIZE, 4096);
	struct ipvs_info info;
	cr_assert_eq(ipvs_parse_info(nlh, &info), 0);
	cr_expect_eq(info.version, 0x010201);
	cr_expect_eq(info.conn_tab_size, 4096);

	nlh = mnl_nlmsg_put_header(buf);
	mnl_nlmsg_put_extra_header(nlh, GENL_HDRLEN);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, "IPVS");
	mnl_attr_put_u16(nlh, CTRL_ATTR_FAMILY_ID, 0x22);
	uint16_t id = 0;
	cr_assert_eq(ipvs_parse_family_id(nlh, &id), 0);
	cr_expect_eq(id, 0x22);
}

Test(ipvs_msg, checks_name_the_bad_value)
{
	struct nl_error err;
	struct ipvs_service s = v4svc();
	s.af = 7;
	cr_expect_eq(ipvs_service_check(&s, false, &err), -EINVAL);
	cr_expect_not_null(strstr(err.msg, "family 7"), "%s", err.msg);
	s = v4svc();
	s.protocol = 47;
	cr_expect_eq(ipvs_service_check(&s, false, &err), -EINVAL);
	cr_expect_not_null(strstr(err.msg, "protocol 47"), "%s", err.msg);
	s = v4svc();
	s.sched[0] = '\0';
	cr_expect_eq(ipvs_service_check(&s, false, &err), 0, "delete needs no scheduler");
	cr_expect_eq(ipvs_service_check(&s, true, &err), -EINVAL);
	cr_expect_not_null(strstr(err.msg, "TCP 192.0.2.10:6443: no scheduler"), "%s", err.msg);
	memset(s.sched, 'x', sizeof(s.sched));
	cr_expect_eq(ipvs_service_check(&s, true, &err), -EINVAL);
	s = v4svc();
	s.netmask = 33;
	cr_expect_eq(ipvs_service_check(&s, true, &err), -EINVAL);
	cr_expect_not_null(strstr(err.msg, "/33"), "%s", err.msg);

	s = v4svc();
	struct ipvs_dest d = v4dest("198.51.100.7", 1);
	d.fwd = 5;
	cr_expect_eq(ipvs_dest_check(&s, &d, true, &err), -EINVAL);
	cr_expect_not_null(strstr(err.msg, "198.51.100.7:6443: forwarding method 5"), "%s",
			   err.msg);
	d = v4dest("198.51.100.7", -1);
	cr_expect_eq(ipvs_dest_check(&s, &d, true, &err), -EINVAL);
	cr_expect_not_null(strstr(err.msg, "weight -1"), "%s", err.msg);
	d = v4dest("198.51.100.7", 1);
	d.l_thresh = 3;
	cr_expect_eq(ipvs_dest_check(&s, &d, true, &err), -ERANGE);
	cr_expect_not_null(strstr(err.msg, "lower threshold 3 above upper threshold 0"), "%s",
			   err.msg);
}

Test(ipvs_msg, formatting)
{
	char buf[IPVS_STRLEN];
	struct ipvs_service s = v4svc();
	cr_expect_str_eq(ipvs_service_str(&s, buf, sizeof(buf)), "TCP 192.0.2.10:6443");
	s.af = AF_INET6;
	s.protocol = IPPROTO_UDP;
	ipvs_addr_parse("2001:db8::1", &s.addr);
	cr_expect_str_eq(ipvs_service_str(&s, buf, sizeof(buf)), "UDP [2001:db8::1]:6443");
	s.fwmark = 3;
	cr_expect_str_eq(ipvs_service_str(&s, buf, sizeof(buf)), "FWM 3 IPv6");
	struct ipvs_dest d = v4dest("198.51.100.7", 1);
	cr_expect_str_eq(ipvs_dest_str(&d, AF_INET, buf, sizeof(buf)), "198.51.100.7:6443");
	cr_expect_str_eq(ipvs_fwd_name(IP_VS_CONN_F_DROUTE), "Route");
	cr_expect_str_eq(ipvs_fwd_name(IP_VS_CONN_F_MASQ), "Masq");
	cr_expect_str_eq(ipvs_fwd_name(42), "fwd-other");
	union ipvs_addr a;
	cr_expect_eq(ipvs_addr_parse("10.0.0.300", &a), -EINVAL);
}

static int plan(const struct ipvs_dest *have, size_t nh, const struct ipvs_dest *want, size_t nw,
		struct ipvs_step *steps)
{
	struct nl_error err;
	int n = ipvs_reconcile_plan(AF_INET, have, nh, want, nw, steps, &err);
	cr_assert_geq(n, 0, "%s", err.msg);
	return n;
}

Test(ipvs_plan, from_empty_all_adds)
{
	struct ipvs_dest want[3] = {v4dest("10.0.0.1", 1), v4dest("10.0.0.2", 1),
				    v4dest("10.0.0.3", 1)};
	struct ipvs_step steps[3];
	cr_assert_eq(plan(NULL, 0, want, 3, steps), 3);
	for (int i = 0; i < 3; i++) {
		cr_expect_eq(steps[i].op, IPVS_STEP_ADD);
		cr_expect(ipvs_dest_same(&steps[i].dest, &want[i], AF_INET));
	}
	cr_expect_eq(plan(want, 3, want, 3, steps), 0, "already so: nothing to do");
	cr_expect_eq(plan(want, 3, NULL, 0, steps), 3);
	cr_expect_eq(steps[2].op, IPVS_STEP_DEL);
}

Test(ipvs_plan, adds_then_edits_then_deletes)
{
	struct ipvs_dest have[3] = {v4dest("10.0.0.1", 1), v4dest("10.0.0.2", 1),
				    v4dest("10.0.0.3", 1)};
	have[0].active_conns = 12; /* counters never cause an edit */
	struct ipvs_dest want[3] = {v4dest("10.0.0.4", 1), v4dest("10.0.0.2", 5),
				    v4dest("10.0.0.1", 1)};
	want[0].af = 0; /* "the service's family" is the same destination */
	struct ipvs_step steps[6];
	cr_assert_eq(plan(have, 3, want, 3, steps), 3);
	cr_expect_eq(steps[0].op, IPVS_STEP_ADD);
	cr_expect(ipvs_dest_same(&steps[0].dest, &want[0], AF_INET));
	cr_expect_eq(steps[1].op, IPVS_STEP_EDIT);
	cr_expect_eq(steps[1].dest.weight, 5);
	cr_expect_eq(steps[2].op, IPVS_STEP_DEL);
	cr_expect(ipvs_dest_same(&steps[2].dest, &have[2], AF_INET));

	/* Forwarding method and thresholds are edits too; the port is part of the identity. */
	struct ipvs_dest w2[2] = {have[0], have[1]};
	w2[0].fwd = IP_VS_CONN_F_TUNNEL;
	w2[1].u_thresh = 50;
	struct ipvs_dest h2[2] = {have[0], have[1]};
	cr_expect_eq(plan(h2, 2, w2, 2, steps), 2);
	cr_expect_eq(steps[0].op, IPVS_STEP_EDIT);
	cr_expect_eq(steps[1].op, IPVS_STEP_EDIT);
	w2[1] = have[1];
	w2[1].port = 6444;
	cr_expect_eq(plan(h2, 2, w2, 2, steps), 3, "a new port is an add and a delete");
}

Test(ipvs_plan, duplicate_wanted_destination)
{
	struct ipvs_dest want[2] = {v4dest("10.0.0.1", 1), v4dest("10.0.0.1", 2)};
	struct ipvs_step steps[2];
	struct nl_error err;
	cr_expect_eq(ipvs_reconcile_plan(AF_INET, NULL, 0, want, 2, steps, &err), -EINVAL);
	cr_expect_str_eq(err.msg, "IPVS reconcile: destination 10.0.0.1:6443 given twice");
}

Test(ipvs_handle, closed_handle_is_an_error_not_a_crash)
{
	struct ipvs h = {0};
	struct nl_error err;
	struct ipvs_info info;
	cr_expect_eq(ipvs_get_info(&h, &info, &err), -EBADF);
	struct ipvs_service s = v4svc();
	cr_expect_eq(ipvs_service_add(&h, &s, 0, &err), -EBADF);
	cr_expect_not_null(strstr(err.msg, "not open"), "%s", err.msg);
	ipvs_close(&h);
	ipvs_close(&h);
}
