/*
 * nl_link.c — interface lookup by name, and the RTM_NEWLINK parser that the monitor shares.
 */
#include "nl_link.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_arp.h>
#include <linux/rtnetlink.h>
#include <string.h>

bool nl_link_is_up(const struct nl_link *link)
{
	return (link->flags & IFF_UP) && (link->flags & IFF_RUNNING);
}

struct nlmsghdr *nl_link_build_get(void *buf, const char *name)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	return nlh;
}

static int link_attr_cb(const struct nlattr *attr, void *data)
{
	struct nl_link *out = data;
	switch (mnl_attr_get_type(attr)) {
	case IFLA_IFNAME:
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
			return MNL_CB_ERROR;
		snprintf(out->name, sizeof(out->name), "%s", mnl_attr_get_str(attr));
		break;
	case IFLA_ADDRESS: {
		size_t len = mnl_attr_get_payload_len(attr);
		if (len > sizeof(out->mac))
			return MNL_CB_ERROR;
		memcpy(out->mac, mnl_attr_get_payload(attr), len);
		out->mac_len = len;
		break;
	}
	case IFLA_MTU:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		out->mtu = mnl_attr_get_u32(attr);
		break;
	case IFLA_OPERSTATE:
		if (mnl_attr_validate(attr, MNL_TYPE_U8) < 0)
			return MNL_CB_ERROR;
		out->operstate = mnl_attr_get_u8(attr);
		break;
	}
	return MNL_CB_OK;
}

int nl_link_parse(const struct nlmsghdr *nlh, struct nl_link *out)
{
	memset(out, 0, sizeof(*out));
	if (nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK)
		return -EBADMSG;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct ifinfomsg))
		return -EBADMSG;
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	out->index = ifi->ifi_index;
	out->hwtype = ifi->ifi_type;
	out->flags = ifi->ifi_flags;
	if (mnl_attr_parse(nlh, sizeof(*ifi), link_attr_cb, out) != MNL_CB_OK)
		return -EBADMSG;
	return 0;
}

static int get_link_cb(const struct nlmsghdr *nlh, void *data)
{
	return nl_link_parse(nlh, data) < 0 ? -EBADMSG : MNL_CB_OK;
}

int nl_link_get(struct nl_sock *s, const char *name, struct nl_link *out, struct nl_error *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];

	if (!name || !*name || strlen(name) >= IF_NAMESIZE)
		return nl_error_set(err, EINVAL, "interface \"%s\": invalid name",
				    name ? name : "");
	memset(out, 0, sizeof(*out));
	int rc = nl_sock_request(s, nl_link_build_get(buf, name), get_link_cb, out, err);
	if (rc == -ENODEV)
		return nl_error_set(err, ENODEV, "interface \"%s\": no such interface", name);
	if (rc < 0) {
		char inner[sizeof(err->msg)];
		snprintf(inner, sizeof(inner), "%s", err ? err->msg : "");
		return nl_error_set(err, -rc, "interface \"%s\": %s", name, inner);
	}
	if (out->index <= 0)
		return nl_error_set(err, ENODEV, "interface \"%s\": no such interface", name);
	return 0;
}
