/*
 * ipvs_msg.c — building IPVS requests and reading IPVS replies, with no I/O, so every byte the
 * library sends can be checked by unit tests. The kernel's rules carried over here: addresses
 * travel as 16-byte nf_inet_addr, ports in network byte order, the persistence netmask as a
 * be32 mask for IPv4 and as a prefix length for IPv6, and add/edit requests must carry every
 * "full" attribute or the kernel answers EINVAL.
 */
#include "ipvs_msg.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

static unsigned addr_bits(int af)
{
	return af == AF_INET6 ? 128 : 32;
}

int ipvs_service_check(const struct ipvs_service *svc, bool full, struct nl_error *err)
{
	if (svc->af != AF_INET && svc->af != AF_INET6)
		return nl_error_set(err, EINVAL,
				    "IPVS service: address family %d is not IPv4 or IPv6", svc->af);
	char name[IPVS_STRLEN];
	ipvs_service_str(svc, name, sizeof(name));
	if (!svc->fwmark && svc->protocol != IPPROTO_TCP && svc->protocol != IPPROTO_UDP &&
	    svc->protocol != IPPROTO_SCTP)
		return nl_error_set(err, EINVAL,
				    "IPVS service %s: protocol %u is not TCP, UDP or SCTP", name,
				    svc->protocol);
	if (!full)
		return 0;
	size_t slen = strnlen(svc->sched, sizeof(svc->sched));
	if (slen == 0)
		return nl_error_set(err, EINVAL, "IPVS service %s: no scheduler given", name);
	if (slen == sizeof(svc->sched))
		return nl_error_set(err, EINVAL,
				    "IPVS service %s: scheduler name longer than %zu characters",
				    name, sizeof(svc->sched) - 1);
	if (svc->netmask > addr_bits(svc->af))
		return nl_error_set(err, EINVAL, "IPVS service %s: netmask /%u longer than /%u",
				    name, svc->netmask, addr_bits(svc->af));
	return 0;
}

int ipvs_dest_check(const struct ipvs_service *svc, const struct ipvs_dest *dest, bool full,
		    struct nl_error *err)
{
	int af = dest->af ? dest->af : svc->af;
	if (af != AF_INET && af != AF_INET6)
		return nl_error_set(err, EINVAL,
				    "IPVS destination: address family %d is not IPv4 or IPv6", af);
	if (!full)
		return 0;
	char name[IPVS_STRLEN];
	ipvs_dest_str(dest, svc->af, name, sizeof(name));
	uint32_t fwd = dest->fwd;
	if (fwd != IP_VS_CONN_F_MASQ && fwd != IP_VS_CONN_F_LOCALNODE &&
	    fwd != IP_VS_CONN_F_TUNNEL && fwd != IP_VS_CONN_F_DROUTE)
		return nl_error_set(err, EINVAL,
				    "IPVS destination %s: forwarding method %u is not masquerade, "
				    "local, tunnel or direct-route",
				    name, fwd);
	if (dest->weight < 0)
		return nl_error_set(err, EINVAL, "IPVS destination %s: weight %d is negative", name,
				    (int)dest->weight);
	if (dest->l_thresh > dest->u_thresh)
		return nl_error_set(
		    err, ERANGE, "IPVS destination %s: lower threshold %u above upper threshold %u",
		    name, dest->l_thresh, dest->u_thresh);
	return 0;
}

static struct nlmsghdr *put_genl_header(void *buf, uint16_t type, uint8_t cmd, uint8_t version,
					uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	struct genlmsghdr *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = version;
	return nlh;
}

struct nlmsghdr *ipvs_msg_getfamily(void *buf)
{
	struct nlmsghdr *nlh = put_genl_header(buf, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, 0);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, IPVS_GENL_NAME);
	return nlh;
}

struct nlmsghdr *ipvs_msg_simple(void *buf, uint16_t family_id, uint8_t cmd, bool dump)
{
	return put_genl_header(buf, family_id, cmd, IPVS_GENL_VERSION, dump ? NLM_F_DUMP : 0);
}

static void put_service(struct nlmsghdr *nlh, const struct ipvs_service *svc, bool full)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, IPVS_CMD_ATTR_SERVICE);
	mnl_attr_put_u16(nlh, IPVS_SVC_ATTR_AF, (uint16_t)svc->af);
	if (svc->fwmark) {
		mnl_attr_put_u32(nlh, IPVS_SVC_ATTR_FWMARK, svc->fwmark);
	} else {
		mnl_attr_put_u16(nlh, IPVS_SVC_ATTR_PROTOCOL, svc->protocol);
		mnl_attr_put(nlh, IPVS_SVC_ATTR_ADDR, sizeof(svc->addr), svc->addr.bytes);
		mnl_attr_put_u16(nlh, IPVS_SVC_ATTR_PORT, htons(svc->port));
	}
	if (full) {
		char sched[IP_VS_SCHEDNAME_MAXLEN];
		snprintf(sched, sizeof(sched), "%.*s", (int)sizeof(sched) - 1, svc->sched);
		mnl_attr_put_strz(nlh, IPVS_SVC_ATTR_SCHED_NAME, sched);
		struct ip_vs_flags flags = {.flags = svc->flags, .mask = ~0U};
		mnl_attr_put(nlh, IPVS_SVC_ATTR_FLAGS, sizeof(flags), &flags);
		mnl_attr_put_u32(nlh, IPVS_SVC_ATTR_TIMEOUT, svc->timeout);
		unsigned plen = svc->netmask ? svc->netmask : addr_bits(svc->af);
		uint32_t mask;
		if (svc->af == AF_INET6)
			mask = plen;
		else
			mask = htonl(plen >= 32 ? 0xffffffffU : ~(0xffffffffU >> plen));
		mnl_attr_put_u32(nlh, IPVS_SVC_ATTR_NETMASK, mask);
	}
	mnl_attr_nest_end(nlh, nest);
}

struct nlmsghdr *ipvs_msg_service(void *buf, uint16_t family_id, uint8_t cmd,
				  const struct ipvs_service *svc, bool full)
{
	struct nlmsghdr *nlh = put_genl_header(buf, family_id, cmd, IPVS_GENL_VERSION, 0);
	put_service(nlh, svc, full);
	return nlh;
}

struct nlmsghdr *ipvs_msg_dest(void *buf, uint16_t family_id, uint8_t cmd,
			       const struct ipvs_service *svc, const struct ipvs_dest *dest,
			       bool full)
{
	struct nlmsghdr *nlh =
	    put_genl_header(buf, family_id, cmd, IPVS_GENL_VERSION, dest ? 0 : NLM_F_DUMP);
	put_service(nlh, svc, false);
	if (!dest)
		return nlh;
	struct nlattr *nest = mnl_attr_nest_start(nlh, IPVS_CMD_ATTR_DEST);
	int af = dest->af ? dest->af : svc->af;
	mnl_attr_put_u16(nlh, IPVS_DEST_ATTR_ADDR_FAMILY, (uint16_t)af);
	mnl_attr_put(nlh, IPVS_DEST_ATTR_ADDR, sizeof(dest->addr), dest->addr.bytes);
	mnl_attr_put_u16(nlh, IPVS_DEST_ATTR_PORT, htons(dest->port));
	if (full) {
		mnl_attr_put_u32(nlh, IPVS_DEST_ATTR_FWD_METHOD, dest->fwd & IP_VS_CONN_F_FWD_MASK);
		mnl_attr_put_u32(nlh, IPVS_DEST_ATTR_WEIGHT, (uint32_t)dest->weight);
		mnl_attr_put_u32(nlh, IPVS_DEST_ATTR_U_THRESH, dest->u_thresh);
		mnl_attr_put_u32(nlh, IPVS_DEST_ATTR_L_THRESH, dest->l_thresh);
	}
	mnl_attr_nest_end(nlh, nest);
	return nlh;
}

/* One table of attributes, indexed by type; `max` bounds it. */
struct attr_table {
	const struct nlattr **tb;
	unsigned max;
};

static int table_cb(const struct nlattr *attr, void *data)
{
	struct attr_table *t = data;
	unsigned type = mnl_attr_get_type(attr);
	if (type <= t->max)
		t->tb[type] = attr;
	return MNL_CB_OK;
}

static int parse_genl(const struct nlmsghdr *nlh, const struct nlattr **tb, unsigned max)
{
	struct attr_table t = {tb, max};
	memset(tb, 0, sizeof(*tb) * (max + 1));
	if (nlh->nlmsg_len < mnl_nlmsg_size(GENL_HDRLEN))
		return -EBADMSG;
	if (mnl_attr_parse(nlh, GENL_HDRLEN, table_cb, &t) != MNL_CB_OK)
		return -EBADMSG;
	return 0;
}

static int parse_nested(const struct nlattr *nest, const struct nlattr **tb, unsigned max)
{
	struct attr_table t = {tb, max};
	memset(tb, 0, sizeof(*tb) * (max + 1));
	if (mnl_attr_parse_nested(nest, table_cb, &t) != MNL_CB_OK)
		return -EBADMSG;
	return 0;
}

/* Type checks: an attribute present with the wrong size is as bad as a missing one. */
static bool is_u16(const struct nlattr *a)
{
	return a && mnl_attr_validate(a, MNL_TYPE_U16) == 0;
}

static bool is_u32(const struct nlattr *a)
{
	return a && mnl_attr_validate(a, MNL_TYPE_U32) == 0;
}

static int get_addr(const struct nlattr *a, int af, union ipvs_addr *out)
{
	size_t need = af == AF_INET6 ? 16 : 4;
	if (!a || mnl_attr_get_payload_len(a) < need)
		return -EBADMSG;
	memset(out, 0, sizeof(*out));
	memcpy(out->bytes, mnl_attr_get_payload(a), need);
	return 0;
}

int ipvs_parse_family_id(const struct nlmsghdr *nlh, uint16_t *id)
{
	const struct nlattr *tb[CTRL_ATTR_MAX + 1];
	if (parse_genl(nlh, tb, CTRL_ATTR_MAX) < 0 || !is_u16(tb[CTRL_ATTR_FAMILY_ID]))
		return -EBADMSG;
	*id = mnl_attr_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
	return 0;
}

int ipvs_parse_info(const struct nlmsghdr *nlh, struct ipvs_info *info)
{
	const struct nlattr *tb[IPVS_INFO_ATTR_MAX + 1];
	if (parse_genl(nlh, tb, IPVS_INFO_ATTR_MAX) < 0 || !is_u32(tb[IPVS_INFO_ATTR_VERSION]) ||
	    !is_u32(tb[IPVS_INFO_ATTR_CONN_TAB_SIZE]))
		return -EBADMSG;
	info->version = mnl_attr_get_u32(tb[IPVS_INFO_ATTR_VERSION]);
	info->conn_tab_size = mnl_attr_get_u32(tb[IPVS_INFO_ATTR_CONN_TAB_SIZE]);
	return 0;
}

static unsigned mask_to_plen(int af, uint32_t wire)
{
	if (af == AF_INET6)
		return wire > 128 ? 128 : wire;
	return (unsigned)__builtin_popcount(ntohl(wire));
}

int ipvs_parse_service_msg(const struct nlmsghdr *nlh, struct ipvs_service *svc)
{
	const struct nlattr *tb[IPVS_CMD_ATTR_MAX + 1];
	const struct nlattr *st[IPVS_SVC_ATTR_MAX + 1];
	if (parse_genl(nlh, tb, IPVS_CMD_ATTR_MAX) < 0 || !tb[IPVS_CMD_ATTR_SERVICE] ||
	    parse_nested(tb[IPVS_CMD_ATTR_SERVICE], st, IPVS_SVC_ATTR_MAX) < 0)
		return -EBADMSG;
	memset(svc, 0, sizeof(*svc));
	if (!is_u16(st[IPVS_SVC_ATTR_AF]))
		return -EBADMSG;
	svc->af = mnl_attr_get_u16(st[IPVS_SVC_ATTR_AF]);
	if (svc->af != AF_INET && svc->af != AF_INET6)
		return -EBADMSG;
	if (is_u32(st[IPVS_SVC_ATTR_FWMARK]))
		svc->fwmark = mnl_attr_get_u32(st[IPVS_SVC_ATTR_FWMARK]);
	if (!svc->fwmark) {
		if (!is_u16(st[IPVS_SVC_ATTR_PROTOCOL]) || !is_u16(st[IPVS_SVC_ATTR_PORT]) ||
		    get_addr(st[IPVS_SVC_ATTR_ADDR], svc->af, &svc->addr) < 0)
			return -EBADMSG;
		svc->protocol = mnl_attr_get_u16(st[IPVS_SVC_ATTR_PROTOCOL]);
		svc->port = ntohs(mnl_attr_get_u16(st[IPVS_SVC_ATTR_PORT]));
	}
	const struct nlattr *a = st[IPVS_SVC_ATTR_SCHED_NAME];
	if (a) {
		if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
			return -EBADMSG;
		snprintf(svc->sched, sizeof(svc->sched), "%s", mnl_attr_get_str(a));
	}
	a = st[IPVS_SVC_ATTR_FLAGS];
	if (a) {
		struct ip_vs_flags f;
		if (mnl_attr_get_payload_len(a) < sizeof(f))
			return -EBADMSG;
		memcpy(&f, mnl_attr_get_payload(a), sizeof(f));
		svc->flags = f.flags;
	}
	if (is_u32(st[IPVS_SVC_ATTR_TIMEOUT]))
		svc->timeout = mnl_attr_get_u32(st[IPVS_SVC_ATTR_TIMEOUT]);
	if (is_u32(st[IPVS_SVC_ATTR_NETMASK])) {
		unsigned plen = mask_to_plen(svc->af, mnl_attr_get_u32(st[IPVS_SVC_ATTR_NETMASK]));
		svc->netmask = plen == addr_bits(svc->af) ? 0 : (uint8_t)plen;
	}
	return 0;
}

int ipvs_parse_dest_msg(const struct nlmsghdr *nlh, int svc_af, struct ipvs_dest *dest)
{
	const struct nlattr *tb[IPVS_CMD_ATTR_MAX + 1];
	const struct nlattr *dt[IPVS_DEST_ATTR_MAX + 1];
	if (parse_genl(nlh, tb, IPVS_CMD_ATTR_MAX) < 0 || !tb[IPVS_CMD_ATTR_DEST] ||
	    parse_nested(tb[IPVS_CMD_ATTR_DEST], dt, IPVS_DEST_ATTR_MAX) < 0)
		return -EBADMSG;
	memset(dest, 0, sizeof(*dest));
	/* Kernels before 4.3 send no ADDR_FAMILY: the destination has the service's family. */
	dest->af = is_u16(dt[IPVS_DEST_ATTR_ADDR_FAMILY])
		       ? mnl_attr_get_u16(dt[IPVS_DEST_ATTR_ADDR_FAMILY])
		       : svc_af;
	if (dest->af != AF_INET && dest->af != AF_INET6)
		return -EBADMSG;
	if (get_addr(dt[IPVS_DEST_ATTR_ADDR], dest->af, &dest->addr) < 0 ||
	    !is_u16(dt[IPVS_DEST_ATTR_PORT]) || !is_u32(dt[IPVS_DEST_ATTR_FWD_METHOD]) ||
	    !is_u32(dt[IPVS_DEST_ATTR_WEIGHT]))
		return -EBADMSG;
	dest->port = ntohs(mnl_attr_get_u16(dt[IPVS_DEST_ATTR_PORT]));
	dest->fwd = mnl_attr_get_u32(dt[IPVS_DEST_ATTR_FWD_METHOD]) & IP_VS_CONN_F_FWD_MASK;
	dest->weight = (int32_t)mnl_attr_get_u32(dt[IPVS_DEST_ATTR_WEIGHT]);
	if (is_u32(dt[IPVS_DEST_ATTR_U_THRESH]))
		dest->u_thresh = mnl_attr_get_u32(dt[IPVS_DEST_ATTR_U_THRESH]);
	if (is_u32(dt[IPVS_DEST_ATTR_L_THRESH]))
		dest->l_thresh = mnl_attr_get_u32(dt[IPVS_DEST_ATTR_L_THRESH]);
	if (is_u32(dt[IPVS_DEST_ATTR_ACTIVE_CONNS]))
		dest->active_conns = mnl_attr_get_u32(dt[IPVS_DEST_ATTR_ACTIVE_CONNS]);
	if (is_u32(dt[IPVS_DEST_ATTR_INACT_CONNS]))
		dest->inact_conns = mnl_attr_get_u32(dt[IPVS_DEST_ATTR_INACT_CONNS]);
	if (is_u32(dt[IPVS_DEST_ATTR_PERSIST_CONNS]))
		dest->persist_conns = mnl_attr_get_u32(dt[IPVS_DEST_ATTR_PERSIST_CONNS]);
	return 0;
}

static size_t af_len(int af)
{
	return af == AF_INET6 ? 16 : 4;
}

bool ipvs_dest_same(const struct ipvs_dest *a, const struct ipvs_dest *b, int svc_af)
{
	int af_a = a->af ? a->af : svc_af, af_b = b->af ? b->af : svc_af;
	return af_a == af_b && a->port == b->port &&
	       memcmp(a->addr.bytes, b->addr.bytes, af_len(af_a)) == 0;
}

bool ipvs_service_same(const struct ipvs_service *a, const struct ipvs_service *b)
{
	if (a->af != b->af || a->fwmark != b->fwmark)
		return false;
	if (a->fwmark)
		return true;
	return a->protocol == b->protocol && a->port == b->port &&
	       memcmp(a->addr.bytes, b->addr.bytes, af_len(a->af)) == 0;
}

static bool dest_differs(const struct ipvs_dest *have, const struct ipvs_dest *want)
{
	return (have->fwd & IP_VS_CONN_F_FWD_MASK) != (want->fwd & IP_VS_CONN_F_FWD_MASK) ||
	       have->weight != want->weight || have->u_thresh != want->u_thresh ||
	       have->l_thresh != want->l_thresh;
}

int ipvs_dests_unique(int svc_af, const struct ipvs_dest *d, size_t n, struct nl_error *err)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < i; j++) {
			if (ipvs_dest_same(&d[i], &d[j], svc_af)) {
				char name[IPVS_STRLEN];
				return nl_error_set(
				    err, EINVAL, "IPVS reconcile: destination %s given twice",
				    ipvs_dest_str(&d[i], svc_af, name, sizeof(name)));
			}
		}
	}
	return 0;
}

int ipvs_reconcile_plan(int svc_af, const struct ipvs_dest *have, size_t n_have,
			const struct ipvs_dest *want, size_t n_want, struct ipvs_step *steps,
			struct nl_error *err)
{
	int rc = ipvs_dests_unique(svc_af, want, n_want, err);
	if (rc < 0)
		return rc;
	size_t n = 0;
	/* Quadratic, and fine: a control plane has a handful of backends; the benchmark's
	 * 4 per service stays far below where a hash would pay off. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < n_want; i++) {
			const struct ipvs_dest *cur = NULL;
			for (size_t j = 0; j < n_have && !cur; j++)
				if (ipvs_dest_same(&want[i], &have[j], svc_af))
					cur = &have[j];
			if (pass == 0 && !cur)
				steps[n++] = (struct ipvs_step){IPVS_STEP_ADD, want[i]};
			else if (pass == 1 && cur && dest_differs(cur, &want[i]))
				steps[n++] = (struct ipvs_step){IPVS_STEP_EDIT, want[i]};
		}
	}
	for (size_t j = 0; j < n_have; j++) {
		bool wanted = false;
		for (size_t i = 0; i < n_want && !wanted; i++)
			wanted = ipvs_dest_same(&want[i], &have[j], svc_af);
		if (!wanted)
			steps[n++] = (struct ipvs_step){IPVS_STEP_DEL, have[j]};
	}
	return (int)n;
}
