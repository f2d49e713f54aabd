/*
 * nl_monitor.c — turns rtnetlink notifications into the few events the daemon acts on. The
 * classification is a pure function of (monitor state, message) so it is unit-tested with
 * built messages; dispatch is the thin I/O around it.
 */
#include "nl_monitor.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>

#include "nl_addr.h"
#include "nl_link.h"

const char *nl_event_name(enum nl_event_type type)
{
	switch (type) {
	case NL_EVENT_NONE:
		return "none";
	case NL_EVENT_VIP_REMOVED:
		return "vip_removed";
	case NL_EVENT_VIP_ADDED:
		return "vip_added";
	case NL_EVENT_LINK_DOWN:
		return "link_down";
	case NL_EVENT_LINK_UP:
		return "link_up";
	case NL_EVENT_RESYNC:
		return "resync";
	}
	return "unknown";
}

int nl_monitor_open(struct nl_monitor *m, int ifindex, const struct inet_prefix *vip,
		    nl_event_cb cb, void *cb_data, struct nl_error *err)
{
	memset(m, 0, sizeof(*m));
	m->ifindex = ifindex;
	m->link_state = -1;
	m->cb = cb;
	m->cb_data = cb_data;
	if (vip)
		m->vip = *vip;
	unsigned groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR;
	int rc = nl_sock_open(&m->sock, NETLINK_ROUTE, groups, true, err);
	if (rc < 0)
		return rc;
	rc = nl_sock_open(&m->query, NETLINK_ROUTE, 0, false, err);
	if (rc < 0) {
		nl_sock_close(&m->sock);
		return rc;
	}
	/* Both best effort: a small buffer costs resyncs, an unfiltered dump costs time. */
	m->rcvbuf = nl_sock_set_rcvbuf(&m->sock, NL_MONITOR_RCVBUF);
	m->strict = nl_sock_strict_check(&m->query) == 0;
	return 0;
}

void nl_monitor_close(struct nl_monitor *m)
{
	nl_sock_close(&m->sock);
	nl_sock_close(&m->query);
}

int nl_monitor_fd(const struct nl_monitor *m)
{
	return nl_sock_fd(&m->sock);
}

void nl_monitor_expect_vip(struct nl_monitor *m, bool present)
{
	m->expect_vip = present;
}

void nl_monitor_set_link_state(struct nl_monitor *m, bool up)
{
	m->link_state = up ? 1 : 0;
}

int nl_monitor_ignore_portid(struct nl_monitor *m, uint32_t portid)
{
	if (m->n_ignored >= NL_MONITOR_MAX_IGNORED)
		return -ENOSPC;
	m->ignored[m->n_ignored++] = portid;
	return 0;
}

static bool from_ignored(const struct nl_monitor *m, uint32_t portid)
{
	for (unsigned i = 0; i < m->n_ignored; i++)
		if (portid && m->ignored[i] == portid)
			return true;
	return false;
}

static enum nl_event_type classify_link(struct nl_monitor *m, const struct nlmsghdr *nlh)
{
	struct nl_link link;
	if (nl_link_parse(nlh, &link) < 0 || link.index != m->ifindex)
		return NL_EVENT_NONE;
	int up = nlh->nlmsg_type == RTM_DELLINK ? 0 : nl_link_is_up(&link);
	int before = m->link_state;
	m->link_state = up;
	if (before == up)
		return NL_EVENT_NONE;
	return up ? NL_EVENT_LINK_UP : NL_EVENT_LINK_DOWN;
}

static enum nl_event_type classify_addr(struct nl_monitor *m, const struct nlmsghdr *nlh)
{
	struct nl_addr a;
	if (!m->vip.family || nl_addr_parse(nlh, &a) < 0)
		return NL_EVENT_NONE;
	if (a.ifindex != m->ifindex || !inet_prefix_same_addr(&a.prefix, &m->vip))
		return NL_EVENT_NONE;
	if (from_ignored(m, nlh->nlmsg_pid))
		return NL_EVENT_NONE;
	if (nlh->nlmsg_type == RTM_DELADDR && m->expect_vip)
		return NL_EVENT_VIP_REMOVED;
	if (nlh->nlmsg_type == RTM_NEWADDR && !m->expect_vip)
		return NL_EVENT_VIP_ADDED;
	return NL_EVENT_NONE;
}

enum nl_event_type nl_monitor_classify(struct nl_monitor *m, const struct nlmsghdr *nlh)
{
	switch (nlh->nlmsg_type) {
	case RTM_NEWLINK:
	case RTM_DELLINK:
		return classify_link(m, nlh);
	case RTM_NEWADDR:
	case RTM_DELADDR:
		return classify_addr(m, nlh);
	default:
		return NL_EVENT_NONE;
	}
}

static void emit(struct nl_monitor *m, enum nl_event_type type, uint32_t portid)
{
	struct nl_event ev = {.type = type, .ifindex = m->ifindex, .sender_portid = portid};
	if (m->cb)
		m->cb(&ev, m->cb_data);
}

int nl_monitor_check_vip(struct nl_monitor *m, bool *present, struct nl_error *err)
{
	/* nl_addr_find names our interface in the request; with strict checking the kernel
	 * dumps only its addresses. */
	return nl_addr_find(&m->query, m->ifindex, &m->vip, present, NULL, err);
}

/* True when the VIP's current presence contradicts the candidate (a late echo). On a query
 * failure the candidate stands: reporting too much is safe, the caller re-checks anyway. */
static bool contradicted(struct nl_monitor *m, enum nl_event_type type)
{
	bool present;
	struct nl_error qerr;
	if (nl_monitor_check_vip(m, &present, &qerr) < 0)
		return false;
	return type == NL_EVENT_VIP_REMOVED ? present : !present;
}

static bool is_vip_event(enum nl_event_type type)
{
	return type == NL_EVENT_VIP_REMOVED || type == NL_EVENT_VIP_ADDED;
}

/* VIP candidates of one pass: the last one stands for them all (one dump answers them). */
struct vip_candidate {
	enum nl_event_type type;
	uint32_t portid;
};

static int confirm_and_emit(struct nl_monitor *m, struct vip_candidate *c)
{
	if (c->type == NL_EVENT_NONE)
		return 0;
	enum nl_event_type type = c->type;
	c->type = NL_EVENT_NONE;
	if (contradicted(m, type)) {
		m->stale++;
		return 0;
	}
	emit(m, type, c->portid);
	return 1;
}

int nl_monitor_dispatch(struct nl_monitor *m, struct nl_error *err)
{
	char buf[32768];
	int events = 0;
	struct vip_candidate cand = {.type = NL_EVENT_NONE};
	for (int n = 0;; n++) {
		if (n == NL_MONITOR_BUDGET) {
			m->budget_spent++; /* the fd stays readable: the loop calls again */
			break;
		}
		ssize_t len = nl_sock_recv(&m->sock, buf, sizeof(buf), MSG_DONTWAIT);
		if (len == 0 || len == -EINTR)
			continue; /* not from the kernel: dropped and counted */
		if (len == -EAGAIN || len == -EWOULDBLOCK)
			break;
		if (len == -ENOBUFS || len == -ENOSPC) {
			/* The kernel dropped notifications (or one did not fit): nothing we know
			 * is certain. */
			m->overruns++;
			m->link_state = -1;
			cand.type = NL_EVENT_NONE;
			emit(m, NL_EVENT_RESYNC, 0);
			events++;
			continue;
		}
		if (len < 0) {
			events += confirm_and_emit(m, &cand);
			return nl_error_set(err, (int)-len, "netlink monitor: %s",
					    strerror((int)-len));
		}
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
		int left = (int)len;
		for (; nl_msg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
			enum nl_event_type type = nl_monitor_classify(m, nlh);
			if (is_vip_event(type)) {
				cand.type = type;
				cand.portid = nlh->nlmsg_pid;
			} else if (type != NL_EVENT_NONE) {
				emit(m, type, nlh->nlmsg_pid);
				events++;
			}
		}
	}
	return events + confirm_and_emit(m, &cand);
}
