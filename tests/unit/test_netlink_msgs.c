/*
 * test_netlink_msgs.c — every netlink request we build, parsed back by the library's own parser
 * and checked attribute by attribute; the monitor's classification of notifications; the
 * neighbour-entry parser; and the extended-ack decoder. No sockets, no privileges.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <string.h>

#include "nl_addr.h"
#include "nl_link.h"
#include "nl_monitor.h"
#include "nl_neigh.h"
#include "nl_sock.h"

static struct inet_prefix prefix(const char *text)
{
	struct inet_prefix p;
	cr_assert_eq(inet_prefix_parse(text, &p, NULL, 0), 0, "%s", text);
	return p;
}

struct seen_attrs {
	const struct nlattr *tb[IFA_MAX + 1];
};

static int collect_cb(const struct nlattr *attr, void *data)
{
	struct seen_attrs *s = data;
	if (mnl_attr_get_type(attr) <= IFA_MAX)
		s->tb[mnl_attr_get_type(attr)] = attr;
	return MNL_CB_OK;
}

Test(nl_addr, add_ipv4_request_attribute_by_attribute)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct inet_prefix vip = prefix("192.0.2.100");
	struct nlmsghdr *nlh = nl_addr_build(buf, RTM_NEWADDR, 7, &vip, NL_ADDR_NODAD);

	cr_assert_eq(nlh->nlmsg_type, RTM_NEWADDR);
	cr_assert_eq(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL);
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	cr_assert_eq(ifa->ifa_family, AF_INET);
	cr_assert_eq(ifa->ifa_prefixlen, 32);
	cr_assert_eq(ifa->ifa_scope, RT_SCOPE_UNIVERSE);
	cr_assert_eq(ifa->ifa_index, 7);
	cr_assert_eq(ifa->ifa_flags, 0, "NODAD is IPv6 only");

	struct seen_attrs s = {0};
	cr_assert_eq(mnl_attr_parse(nlh, sizeof(*ifa), collect_cb, &s), MNL_CB_OK);
	cr_assert_not_null(s.tb[IFA_LOCAL]);
	cr_assert_not_null(s.tb[IFA_ADDRESS]);
	cr_assert_eq(mnl_attr_get_payload_len(s.tb[IFA_LOCAL]), 4);
	cr_assert_arr_eq(mnl_attr_get_payload(s.tb[IFA_LOCAL]), &vip.addr.v4, 4);
	cr_assert_arr_eq(mnl_attr_get_payload(s.tb[IFA_ADDRESS]), &vip.addr.v4, 4);
	cr_assert_eq(mnl_attr_get_u32(s.tb[IFA_FLAGS]), 0);
	const struct ifa_cacheinfo *ci = mnl_attr_get_payload(s.tb[IFA_CACHEINFO]);
	cr_assert_eq(ci->ifa_prefered, 0, "preferred_lft 0 makes the VIP deprecated");
	cr_assert_eq(ci->ifa_valid, 0xffffffffU, "valid forever");

	struct nl_addr back;
	cr_assert_eq(nl_addr_parse(nlh, &back), 0);
	cr_assert_eq(back.ifindex, 7);
	cr_assert(inet_prefix_same_addr(&back.prefix, &vip));
	cr_assert_eq(back.prefix.prefixlen, 32);
	cr_assert_eq(back.preferred, 0);
	cr_assert_eq(back.valid, 0xffffffffU);
}

Test(nl_addr, add_ipv6_nodad)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct inet_prefix vip = prefix("2001:db8::100");
	struct nlmsghdr *nlh = nl_addr_build(buf, RTM_NEWADDR, 3, &vip, NL_ADDR_NODAD);
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	cr_assert_eq(ifa->ifa_family, AF_INET6);
	cr_assert_eq(ifa->ifa_prefixlen, 128);
	cr_assert_eq(ifa->ifa_flags, IFA_F_NODAD);
	struct seen_attrs s = {0};
	mnl_attr_parse(nlh, sizeof(*ifa), collect_cb, &s);
	cr_assert_eq(mnl_attr_get_u32(s.tb[IFA_FLAGS]), IFA_F_NODAD);
	cr_assert_eq(mnl_attr_get_payload_len(s.tb[IFA_ADDRESS]), 16);

	struct nl_addr back;
	cr_assert_eq(nl_addr_parse(nlh, &back), 0);
	cr_assert(inet_prefix_same_addr(&back.prefix, &vip));
	cr_assert(back.flags & IFA_F_NODAD);

	/* Without the option, DAD runs. */
	nlh = nl_addr_build(buf, RTM_NEWADDR, 3, &vip, 0);
	cr_assert_eq(nl_addr_parse(nlh, &back), 0);
	cr_assert_eq(back.flags & IFA_F_NODAD, 0);
}

Test(nl_addr, delete_request_carries_only_the_address)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct inet_prefix vip = prefix("192.0.2.100/32");
	struct nlmsghdr *nlh = nl_addr_build(buf, RTM_DELADDR, 9, &vip, 0);
	cr_assert_eq(nlh->nlmsg_type, RTM_DELADDR);
	cr_assert_eq(nlh->nlmsg_flags, NLM_F_REQUEST);
	struct seen_attrs s = {0};
	mnl_attr_parse(nlh, sizeof(struct ifaddrmsg), collect_cb, &s);
	cr_assert_not_null(s.tb[IFA_LOCAL]);
	cr_assert_null(s.tb[IFA_CACHEINFO]);
	cr_assert_null(s.tb[IFA_FLAGS]);
}

Test(nl_addr, parse_rejects_malformed)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWADDR;
	struct nl_addr out;
	cr_assert_eq(nl_addr_parse(nlh, &out), -EBADMSG, "no ifaddrmsg");

	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	cr_assert_eq(nl_addr_parse(nlh, &out), -EBADMSG, "no address attribute");
	uint8_t six[6] = {0};
	mnl_attr_put(nlh, IFA_LOCAL, sizeof(six), six);
	cr_assert_eq(nl_addr_parse(nlh, &out), -EBADMSG, "IPv4 address of 6 bytes");

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWADDR;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_PACKET;
	cr_assert_eq(nl_addr_parse(nlh, &out), -EBADMSG, "unknown family");
}

static struct nlmsghdr *build_link(char *buf, int index, unsigned flags, const char *name)
{
	static const uint8_t mac[6] = {0x02, 0, 0, 0, 0, 0x42};
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_index = index;
	ifi->ifi_type = 1; /* ARPHRD_ETHER */
	ifi->ifi_flags = flags;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac);
	mnl_attr_put_u32(nlh, IFLA_MTU, 1500);
	mnl_attr_put_u8(nlh, IFLA_OPERSTATE, 6 /* IF_OPER_UP */);
	return nlh;
}

Test(nl_link, get_request_and_parse)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nl_link_build_get(buf, "eth0");
	cr_assert_eq(nlh->nlmsg_type, RTM_GETLINK);
	const struct nlattr *attr;
	bool found = false;
	mnl_attr_for_each(attr, nlh, sizeof(struct ifinfomsg))
	{
		if (mnl_attr_get_type(attr) == IFLA_IFNAME) {
			cr_assert_str_eq(mnl_attr_get_str(attr), "eth0");
			found = true;
		}
	}
	cr_assert(found);

	nlh = build_link(buf, 4, IFF_UP | IFF_RUNNING, "veth9");
	struct nl_link link;
	cr_assert_eq(nl_link_parse(nlh, &link), 0);
	cr_assert_eq(link.index, 4);
	cr_assert_str_eq(link.name, "veth9");
	cr_assert_eq(link.mac_len, 6);
	cr_assert_eq(link.mac[5], 0x42);
	cr_assert_eq(link.mtu, 1500);
	cr_assert_eq(link.operstate, 6);
	cr_assert_eq(link.hwtype, 1);
	cr_assert(nl_link_is_up(&link));
}

static struct nlmsghdr *build_neigh(char *buf, const char *dst, uint16_t state, bool lladdr)
{
	struct inet_prefix p = prefix(dst);
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWNEIGH;
	struct ndmsg *ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = (uint8_t)p.family;
	ndm->ndm_ifindex = 3;
	ndm->ndm_state = state;
	mnl_attr_put(nlh, NDA_DST, inet_prefix_addr_len(&p), p.addr.bytes);
	const uint8_t mac[6] = {0x02, 0, 0, 0, 0, 0x07};
	if (lladdr)
		mnl_attr_put(nlh, NDA_LLADDR, sizeof(mac), mac);
	return nlh;
}

Test(nl_neigh, dump_request_and_parse)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nl_neigh_build_dump(buf, AF_INET6);
	cr_assert_eq(nlh->nlmsg_type, RTM_GETNEIGH);
	cr_assert_eq(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP);
	cr_assert_eq(((const struct ndmsg *)mnl_nlmsg_get_payload(nlh))->ndm_family, AF_INET6);

	struct nl_neigh n;
	struct inet_prefix vip = prefix("192.0.2.100");
	cr_assert_eq(nl_neigh_parse(build_neigh(buf, "192.0.2.100", NUD_STALE, true), &n), 0);
	cr_assert_eq(n.ifindex, 3);
	cr_assert(inet_prefix_same_addr(&n.dst, &vip));
	cr_assert_eq(n.lladdr_len, 6);
	cr_assert_eq(n.lladdr[5], 0x07);
	cr_assert(nl_neigh_usable(&n), "a stale entry is still used");

	cr_assert_eq(nl_neigh_parse(build_neigh(buf, "2001:db8::1", NUD_INCOMPLETE, false), &n), 0);
	cr_assert_eq(n.dst.family, AF_INET6);
	cr_assert_not(nl_neigh_usable(&n), "incomplete: no MAC");
	cr_assert_eq(nl_neigh_parse(build_neigh(buf, "192.0.2.1", NUD_FAILED, true), &n), 0);
	cr_assert_not(nl_neigh_usable(&n), "failed: no MAC");

	nlh = build_neigh(buf, "192.0.2.1", NUD_REACHABLE, true);
	nlh->nlmsg_type = RTM_NEWADDR;
	cr_assert_eq(nl_neigh_parse(nlh, &n), -EBADMSG);
}

static struct nlmsghdr *build_addr_event(char *buf, uint16_t type, int ifindex, const char *addr,
					 uint32_t pid)
{
	struct inet_prefix p = prefix(addr);
	struct nlmsghdr *nlh = nl_addr_build(buf, type, ifindex, &p, 0);
	nlh->nlmsg_pid = pid;
	return nlh;
}

Test(nl_monitor, vip_removal_by_someone_else)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nl_monitor m = {.ifindex = 5, .link_state = -1};
	m.vip = prefix("192.0.2.100");
	nl_monitor_ignore_portid(&m, 777);

	/* Not expected present: a removal is our own step-down, not news. */
	cr_assert_eq(
	    nl_monitor_classify(&m, build_addr_event(buf, RTM_DELADDR, 5, "192.0.2.100", 1234)),
	    NL_EVENT_NONE);
	nl_monitor_expect_vip(&m, true);
	cr_assert_eq(
	    nl_monitor_classify(&m, build_addr_event(buf, RTM_DELADDR, 5, "192.0.2.100", 1234)),
	    NL_EVENT_VIP_REMOVED);
	cr_assert_eq(
	    nl_monitor_classify(&m, build_addr_event(buf, RTM_DELADDR, 5, "192.0.2.100", 0)),
	    NL_EVENT_VIP_REMOVED, "kernel-originated (IPv6 style, port id 0)");
	cr_assert_eq(
	    nl_monitor_classify(&m, build_addr_event(buf, RTM_DELADDR, 5, "192.0.2.100", 777)),
	    NL_EVENT_NONE, "our own socket's echo");
	cr_assert_eq(
	    nl_monitor_classify(&m, build_addr_event(buf, RTM_DELADDR, 6, "192.0.2.100", 1234)),
	    NL_EVENT_NONE, "another interface");
	cr_assert_eq(
	    nl_monitor_classify(&m, build_addr_event(buf, RTM_DELADDR, 5, "192.0.2.101", 1234)),
	    NL_EVENT_NONE, "another address");
	cr_assert_eq(
	    nl_monitor_classify(&m, build_addr_event(buf, RTM_NEWADDR, 5, "192.0.2.100", 1234)),
	    NL_EVENT_NONE, "expected present and present");
	nl_monitor_expect_vip(&m, false);
	cr_assert_eq(
	    nl_monitor_classify(&m, build_addr_event(buf, RTM_NEWADDR, 5, "192.0.2.100", 1234)),
	    NL_EVENT_VIP_ADDED);
}

Test(nl_monitor, link_transitions_are_reported_once)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nl_monitor m = {.ifindex = 5, .link_state = -1};
	nl_monitor_set_link_state(&m, true);
	cr_assert_eq(nl_monitor_classify(&m, build_link(buf, 5, IFF_UP | IFF_RUNNING, "e")),
		     NL_EVENT_NONE);
	cr_assert_eq(nl_monitor_classify(&m, build_link(buf, 5, IFF_UP, "e")), NL_EVENT_LINK_DOWN,
		     "carrier lost");
	cr_assert_eq(nl_monitor_classify(&m, build_link(buf, 5, 0, "e")), NL_EVENT_NONE);
	cr_assert_eq(nl_monitor_classify(&m, build_link(buf, 6, IFF_UP | IFF_RUNNING, "f")),
		     NL_EVENT_NONE, "another interface");
	cr_assert_eq(nl_monitor_classify(&m, build_link(buf, 5, IFF_UP | IFF_RUNNING, "e")),
		     NL_EVENT_LINK_UP);
	struct nlmsghdr *del = build_link(buf, 5, IFF_UP | IFF_RUNNING, "e");
	del->nlmsg_type = RTM_DELLINK;
	cr_assert_eq(nl_monitor_classify(&m, del), NL_EVENT_LINK_DOWN, "interface deleted");
}

static struct nlmsghdr *build_error(char *buf, int error, const char *text, bool capped)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_flags = NLM_F_ACK_TLVS | (capped ? NLM_F_CAPPED : 0);
	struct nlmsgerr *e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	e->error = error;
	e->msg.nlmsg_len = sizeof(struct nlmsghdr) + 8;
	e->msg.nlmsg_type = RTM_NEWADDR;
	if (!capped)
		memset(mnl_nlmsg_put_extra_header(nlh, 8), 0xab, 8); /* the echoed request body */
	mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, text);
	return nlh;
}

Test(nl_sock, extended_ack_text_is_extracted)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	char text[128];
	cr_assert_eq(nl_parse_error_msg(build_error(buf, -EINVAL, "Invalid prefix length", true),
					text, sizeof(text)),
		     -EINVAL);
	cr_assert_str_eq(text, "Invalid prefix length");
	cr_assert_eq(
	    nl_parse_error_msg(build_error(buf, -EEXIST, "exists", false), text, sizeof(text)),
	    -EEXIST);
	cr_assert_str_eq(text, "exists");

	/* A plain ACK. */
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = NLMSG_ERROR;
	struct nlmsgerr *e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	e->error = 0;
	cr_assert_eq(nl_parse_error_msg(nlh, text, sizeof(text)), 0);
	cr_assert_str_eq(text, "");

	/* Truncated: shorter than struct nlmsgerr. */
	nlh->nlmsg_len = sizeof(struct nlmsghdr) + 2;
	cr_assert_eq(nl_parse_error_msg(nlh, text, sizeof(text)), -EBADMSG);
}

Test(nl_sock, error_text_names_the_value)
{
	struct nl_error err;
	cr_assert_eq(nl_error_set(&err, ENODEV, "interface \"%s\": no such interface", "eth9"),
		     -ENODEV);
	cr_assert_eq(err.err, -ENODEV);
	cr_assert_str_eq(err.msg, "interface \"eth9\": no such interface");
}

Test(nl_sock, message_walk_rejects_lengths_past_the_buffer)
{
	/* fuzz_netlink's first crash: nlmsg_len 0xffff0040 in a 19-byte buffer. */
	static const uint8_t crash[] = {0x40, 0x00, 0xff, 0xff, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00,
					0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40};
	uint32_t buf[8];
	memcpy(buf, crash, sizeof(crash));
	cr_assert_not(nl_msg_ok((const struct nlmsghdr *)buf, (int)sizeof(crash)));

	struct nlmsghdr ok = {.nlmsg_len = 16};
	cr_assert(nl_msg_ok(&ok, 16));
	cr_assert_not(nl_msg_ok(&ok, 15), "buffer shorter than a header");
	ok.nlmsg_len = 12;
	cr_assert_not(nl_msg_ok(&ok, 16), "length shorter than a header");
	ok.nlmsg_len = 17;
	cr_assert_not(nl_msg_ok(&ok, 16), "length past the buffer");
}

/* Only the kernel (port id 0) may speak to our sockets: any process can send to a port id. */
Test(nl_sock, only_the_kernel_is_a_sender)
{
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK, .nl_pid = 0};
	struct sockaddr_nl process = {.nl_family = AF_NETLINK, .nl_pid = 4242};
	cr_assert(nl_from_kernel(&kernel, sizeof(kernel)));
	cr_assert_not(nl_from_kernel(&process, sizeof(process)));
	cr_assert_not(nl_from_kernel(&kernel, 0), "no source address");
	struct sockaddr_nl other = {.nl_family = AF_INET};
	cr_assert_not(nl_from_kernel(&other, sizeof(other)));
}
