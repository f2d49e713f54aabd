/*
 * nl_addr.c — the VIP's address requests. Builders are pure so unit tests can parse every
 * request back; the three calls around them are the only code here that talks to the kernel.
 */
#include "nl_addr.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>

#define LIFETIME_FOREVER NL_ADDR_FOREVER

struct nlmsghdr *nl_addr_build(void *buf, uint16_t type, int ifindex, const struct inet_prefix *vip,
			       unsigned options)
{
	return nl_addr_build_lft(buf, type, ifindex, vip, options, NL_ADDR_FOREVER);
}

struct nlmsghdr *nl_addr_build_lft(void *buf, uint16_t type, int ifindex,
				   const struct inet_prefix *vip, unsigned options,
				   uint32_t valid_s)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	/* A finite lifetime is (re)set with REPLACE, as `ip addr change` does: the same request
	 * adds the address or pushes its expiry out. */
	if (type == RTM_NEWADDR)
		nlh->nlmsg_flags |=
		    NLM_F_CREATE | (valid_s == NL_ADDR_FOREVER ? NLM_F_EXCL : NLM_F_REPLACE);

	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (uint8_t)vip->family;
	ifa->ifa_prefixlen = (uint8_t)vip->prefixlen;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (uint32_t)ifindex;

	size_t alen = inet_prefix_addr_len(vip);
	mnl_attr_put(nlh, IFA_LOCAL, alen, vip->addr.bytes);
	mnl_attr_put(nlh, IFA_ADDRESS, alen, vip->addr.bytes);
	if (type == RTM_NEWADDR) {
		uint32_t flags = 0;
		if (vip->family == AF_INET6 && (options & NL_ADDR_NODAD))
			flags |= IFA_F_NODAD;
		ifa->ifa_flags = (uint8_t)flags;
		mnl_attr_put_u32(nlh, IFA_FLAGS, flags);
		/* preferred 0 = deprecated: never chosen as a source address. */
		struct ifa_cacheinfo ci = {.ifa_prefered = 0, .ifa_valid = valid_s};
		mnl_attr_put(nlh, IFA_CACHEINFO, sizeof(ci), &ci);
	}
	return nlh;
}

struct addr_attrs {
	struct nl_addr *out;
	bool have_local;
	bool have_address;
	unsigned char address[16];
};

static int addr_attr_cb(const struct nlattr *attr, void *data)
{
	struct addr_attrs *a = data;
	size_t alen = inet_prefix_addr_len(&a->out->prefix);
	switch (mnl_attr_get_type(attr)) {
	case IFA_LOCAL:
		if (mnl_attr_get_payload_len(attr) != alen)
			return MNL_CB_ERROR;
		memcpy(a->out->prefix.addr.bytes, mnl_attr_get_payload(attr), alen);
		a->have_local = true;
		break;
	case IFA_ADDRESS:
		if (mnl_attr_get_payload_len(attr) != alen)
			return MNL_CB_ERROR;
		memcpy(a->address, mnl_attr_get_payload(attr), alen);
		a->have_address = true;
		break;
	case IFA_FLAGS:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		a->out->flags = mnl_attr_get_u32(attr);
		break;
	case IFA_CACHEINFO: {
		if (mnl_attr_get_payload_len(attr) < sizeof(struct ifa_cacheinfo))
			return MNL_CB_ERROR;
		const struct ifa_cacheinfo *ci = mnl_attr_get_payload(attr);
		a->out->preferred = ci->ifa_prefered;
		a->out->valid = ci->ifa_valid;
		break;
	}
	}
	return MNL_CB_OK;
}

int nl_addr_parse(const struct nlmsghdr *nlh, struct nl_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (nlh->nlmsg_type != RTM_NEWADDR && nlh->nlmsg_type != RTM_DELADDR)
		return -EBADMSG;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct ifaddrmsg))
		return -EBADMSG;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)
		return -EBADMSG;
	out->ifindex = (int)ifa->ifa_index;
	out->prefix.family = ifa->ifa_family;
	out->prefix.prefixlen = ifa->ifa_prefixlen;
	out->scope = ifa->ifa_scope;
	out->flags = ifa->ifa_flags;
	out->preferred = out->valid = LIFETIME_FOREVER;

	struct addr_attrs a = {.out = out};
	if (mnl_attr_parse(nlh, sizeof(*ifa), addr_attr_cb, &a) != MNL_CB_OK)
		return -EBADMSG;
	/* IPv4 puts our address in IFA_LOCAL (IFA_ADDRESS is the peer on point-to-point links);
	 * IPv6 sends only IFA_ADDRESS. */
	if (!a.have_local) {
		if (!a.have_address)
			return -EBADMSG;
		memcpy(out->prefix.addr.bytes, a.address, inet_prefix_addr_len(&out->prefix));
	}
	return 0;
}

static int addr_request(struct nl_sock *s, uint16_t type, int ifindex,
			const struct inet_prefix *vip, unsigned options, uint32_t valid_s,
			struct nl_error *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	char text[INET_PREFIX_STRLEN];
	int rc = nl_sock_request(s, nl_addr_build_lft(buf, type, ifindex, vip, options, valid_s),
				 NULL, NULL, err);
	if (rc == 0)
		return 0;
	if (type == RTM_NEWADDR && rc == -EEXIST)
		return 0; /* already there */
	if (type == RTM_DELADDR && rc == -EADDRNOTAVAIL)
		return 0; /* already gone */
	char inner[sizeof(err->msg)];
	snprintf(inner, sizeof(inner), "%s", err ? err->msg : "");
	return nl_error_set(err, -rc, "%s address %s on ifindex %d: %s",
			    type == RTM_NEWADDR ? "add" : "delete",
			    inet_prefix_format(vip, text, sizeof(text)), ifindex, inner);
}

int nl_addr_add(struct nl_sock *s, int ifindex, const struct inet_prefix *vip, unsigned options,
		struct nl_error *err)
{
	return addr_request(s, RTM_NEWADDR, ifindex, vip, options, NL_ADDR_FOREVER, err);
}

int nl_addr_set(struct nl_sock *s, int ifindex, const struct inet_prefix *vip, unsigned options,
		uint32_t valid_s, struct nl_error *err)
{
	if (valid_s == 0 || valid_s == NL_ADDR_FOREVER)
		return nl_error_set(err, EINVAL, "valid lifetime %u: must be 1..%u seconds",
				    valid_s, NL_ADDR_FOREVER - 1);
	return addr_request(s, RTM_NEWADDR, ifindex, vip, options, valid_s, err);
}

int nl_addr_del(struct nl_sock *s, int ifindex, const struct inet_prefix *vip, struct nl_error *err)
{
	return addr_request(s, RTM_DELADDR, ifindex, vip, 0, NL_ADDR_FOREVER, err);
}

struct find_ctx {
	int ifindex;
	const struct inet_prefix *want;
	bool present;
	struct nl_addr found;
};

static int find_cb(const struct nlmsghdr *nlh, void *data)
{
	struct find_ctx *ctx = data;
	struct nl_addr a;
	if (nl_addr_parse(nlh, &a) < 0)
		return MNL_CB_OK; /* a family we do not track */
	if (a.ifindex == ctx->ifindex && inet_prefix_same_addr(&a.prefix, ctx->want)) {
		ctx->present = true;
		ctx->found = a;
	}
	return MNL_CB_OK;
}

int nl_addr_find(struct nl_sock *s, int ifindex, const struct inet_prefix *vip, bool *present,
		 struct nl_addr *found, struct nl_error *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (uint8_t)vip->family;
	ifa->ifa_index = (uint32_t)ifindex;

	struct find_ctx ctx = {.ifindex = ifindex, .want = vip};
	int rc = nl_sock_request(s, nlh, find_cb, &ctx, err);
	if (rc < 0)
		return rc;
	*present = ctx.present;
	if (found && ctx.present)
		*found = ctx.found;
	return 0;
}
