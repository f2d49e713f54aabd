/*
 * nl_neigh.c — the neighbour-table lookup behind nl_neigh.h: a pure dump builder and parser,
 * and one call that runs the dump and picks the entry for an address.
 */
#include "nl_neigh.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>

/* The kernel's NUD_VALID (include/net/neighbour.h), which is not in the UAPI headers. */
#define NEIGH_VALID (NUD_PERMANENT | NUD_NOARP | NUD_REACHABLE | NUD_PROBE | NUD_STALE | NUD_DELAY)

bool nl_neigh_usable(const struct nl_neigh *n)
{
	return (n->state & NEIGH_VALID) && n->lladdr_len > 0;
}

struct nlmsghdr *nl_neigh_build_dump(void *buf, int family)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETNEIGH;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	struct ndmsg *ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = (uint8_t)family;
	return nlh;
}

static int neigh_attr_cb(const struct nlattr *attr, void *data)
{
	struct nl_neigh *out = data;
	size_t len = mnl_attr_get_payload_len(attr);
	switch (mnl_attr_get_type(attr)) {
	case NDA_DST:
		if (len != inet_prefix_addr_len(&out->dst))
			return MNL_CB_ERROR;
		memcpy(out->dst.addr.bytes, mnl_attr_get_payload(attr), len);
		break;
	case NDA_LLADDR:
		if (len > sizeof(out->lladdr))
			return MNL_CB_ERROR;
		memcpy(out->lladdr, mnl_attr_get_payload(attr), len);
		out->lladdr_len = len;
		break;
	}
	return MNL_CB_OK;
}

int nl_neigh_parse(const struct nlmsghdr *nlh, struct nl_neigh *out)
{
	memset(out, 0, sizeof(*out));
	if (nlh->nlmsg_type != RTM_NEWNEIGH && nlh->nlmsg_type != RTM_DELNEIGH)
		return -EBADMSG;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct ndmsg))
		return -EBADMSG;
	const struct ndmsg *ndm = mnl_nlmsg_get_payload(nlh);
	if (ndm->ndm_family != AF_INET && ndm->ndm_family != AF_INET6)
		return -EBADMSG;
	out->ifindex = ndm->ndm_ifindex;
	out->state = ndm->ndm_state;
	out->flags = ndm->ndm_flags;
	out->dst.family = ndm->ndm_family;
	out->dst.prefixlen = (unsigned)inet_prefix_addr_len(&out->dst) * 8;
	if (mnl_attr_parse(nlh, sizeof(*ndm), neigh_attr_cb, out) != MNL_CB_OK)
		return -EBADMSG;
	return 0;
}

struct find_ctx {
	const struct inet_prefix *want;
	bool found;
	struct nl_neigh best;
};

static int find_cb(const struct nlmsghdr *nlh, void *data)
{
	struct find_ctx *ctx = data;
	struct nl_neigh n;
	if (nl_neigh_parse(nlh, &n) < 0 || !inet_prefix_same_addr(&n.dst, ctx->want))
		return MNL_CB_OK;
	if (!ctx->found || (!nl_neigh_usable(&ctx->best) && nl_neigh_usable(&n)))
		ctx->best = n;
	ctx->found = true;
	return MNL_CB_OK;
}

int nl_neigh_find(struct nl_sock *s, const struct inet_prefix *addr, bool *found,
		  struct nl_neigh *out, struct nl_error *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct find_ctx ctx = {.want = addr};
	int rc = nl_sock_request(s, nl_neigh_build_dump(buf, addr->family), find_cb, &ctx, err);
	if (rc < 0)
		return rc;
	*found = ctx.found;
	if (ctx.found)
		*out = ctx.best;
	return 0;
}
