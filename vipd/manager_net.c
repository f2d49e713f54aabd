/*
 * manager_net.c — the daemon's hands on the interface: find it, hold the VIP on it with a
 * kernel lifetime, announce it, hear (through the netlink monitor) when someone removes it or
 * the link changes, and hear (on the announcer's socket) other hosts claiming the VIP. What to do
 * is decided in duties.c; this file only does it and records what happened in the metrics.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "duties.h"
#include "manager.h"
#include "nl_addr.h"

/* Frames read from the announcer's socket per wake-up: a flood cannot starve the loop. */
#define CLAIMS_PER_PASS 64

/* The interface of the IPv4 default route, from /proc/net/route (this network namespace's). */
static int default_route_interface(char *name, size_t len)
{
	FILE *f = fopen("/proc/net/route", "re");
	if (!f)
		return -errno;
	char line[256], ifname[IF_NAMESIZE + 16];
	unsigned long dest, mask;
	int r = -ENOENT;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%16s %lx %*x %*x %*d %*d %*d %lx", ifname, &dest, &mask) != 3)
			continue;
		if (dest == 0 && mask == 0) {
			snprintf(name, len, "%s", ifname);
			r = 0;
			break;
		}
	}
	fclose(f);
	return r;
}

static void on_monitor_event(const struct nl_event *ev, void *data)
{
	struct manager *mg = data;
	switch (ev->type) {
	case NL_EVENT_VIP_REMOVED:
		if (!mg->vip_on)
			return;
		mg->vip_on = false;
		mg->m.vip_present = false;
		if (mg->leading) {
			mg->m.vip_readds++;
			log_warn(&mg->lg, "VIP removed behind our back; putting it back",
				 "interface=%s readds=%llu", mg->link.name,
				 (unsigned long long)mg->m.vip_readds);
		}
		break;
	case NL_EVENT_LINK_DOWN:
	case NL_EVENT_LINK_UP:
		mg->link_up = ev->type == NL_EVENT_LINK_UP;
		mg->link_down_since_ms = mg->link_up ? 0 : loop_now_ms(mg->loop);
		log_warn(&mg->lg, mg->link_up ? "interface up" : "interface down", "interface=%s",
			 mg->link.name);
		manager_link_changed(mg);
		break;
	case NL_EVENT_RESYNC: {
		/* Notifications were lost: ask the kernel what is true now. */
		bool present = false;
		struct nl_error err = {0};
		if (nl_addr_find(&mg->nl, mg->link.index, &mg->cfg.vip, &present, NULL, &err) ==
		    0) {
			mg->vip_on = present;
			mg->m.vip_present = present;
		}
		break;
	}
	default:
		return;
	}
	manager_duties(mg);
}

static void on_monitor_readable(struct loop *l, int fd, unsigned events, void *arg)
{
	(void)l;
	(void)fd;
	(void)events;
	struct manager *mg = arg;
	struct nl_error err = {0};
	if (nl_monitor_dispatch(&mg->mon, &err) < 0)
		log_warn(&mg->lg, "netlink monitor", "error=\"%s\"", err.msg);
}

static int open_link(struct manager *mg)
{
	char ifname[sizeof(mg->cfg.interface)];
	snprintf(ifname, sizeof(ifname), "%s", mg->cfg.interface);
	if (!ifname[0]) {
		int r = default_route_interface(ifname, sizeof(ifname));
		if (r < 0) {
			log_error(&mg->lg, "vip_interface is not set and there is no default route",
				  "error=\"%s\"", strerror(-r));
			return r;
		}
		log_info(&mg->lg, "using the default-route interface", "interface=%s", ifname);
	}
	struct nl_error err = {0};
	int r = nl_link_get(&mg->nl, ifname, &mg->link, &err);
	if (r < 0) {
		log_error(&mg->lg, "vip_interface", "error=\"%s\"", err.msg);
		return r;
	}
	mg->link_up = nl_link_is_up(&mg->link);
	if (!mg->link_up && !mg->cfg.allow_interface_not_up)
		log_warn(&mg->lg, "interface is down; the VIP is held anyway once we lead",
			 "interface=%s", ifname);
	return 0;
}

static int open_monitor(struct manager *mg)
{
	struct nl_error err = {0};
	int r = nl_monitor_open(&mg->mon, mg->link.index, &mg->cfg.vip, on_monitor_event, mg, &err);
	if (r < 0) {
		log_error(&mg->lg, "netlink monitor", "error=\"%s\"", err.msg);
		return r;
	}
	mg->mon_open = true;
	nl_monitor_ignore_portid(&mg->mon, mg->nl.portid);
	nl_monitor_set_link_state(&mg->mon, mg->link_up);
	nl_monitor_expect_vip(&mg->mon, false);
	return loop_fd_set(mg->loop, nl_monitor_fd(&mg->mon), LOOP_READ, on_monitor_readable, mg);
}

static bool elector_leads(struct manager *mg)
{
	return mg->el_live && elector_is_leader(&mg->el);
}

/* One claim of the VIP by `c->mac`: count, log (rate-limited) and, leading, win clients back
 * with a fresh burst. Never touches the VIP itself. */
static void on_claim(struct manager *mg, const struct claim *c)
{
	bool leading = elector_leads(mg);
	struct conflict_verdict v;
	conflict_watch_claim(&mg->conflicts, c->mac, leading, loop_now_ms(mg->loop), &v);
	if (!v.conflict)
		return;
	mg->m.vip_conflicts++;
	char mac[18], other[18], vip[INET_PREFIX_STRLEN];
	conflict_mac_format(c->mac, mac);
	inet_prefix_format_addr(&mg->cfg.vip, vip, sizeof(vip));
	if (v.log && leading)
		log_error(&mg->lg, "another host claims the VIP; announcing it again",
			  "mac=%s vip=%s interface=%s role=leader conflicts=%llu", mac, vip,
			  mg->link.name, (unsigned long long)mg->m.vip_conflicts);
	else if (v.log)
		log_error(&mg->lg, "two hosts claim the VIP",
			  "mac=%s other=%s vip=%s interface=%s "
			  "role=follower conflicts=%llu",
			  mac, conflict_mac_format(v.other, other), vip, mg->link.name,
			  (unsigned long long)mg->m.vip_conflicts);
	if (v.burst && mg->vip_on)
		manager_announce_start(mg);
}

static void on_claims_readable(struct loop *l, int fd, unsigned events, void *arg)
{
	(void)l;
	(void)fd;
	(void)events;
	struct manager *mg = arg;
	for (int i = 0; i < CLAIMS_PER_PASS; i++) {
		struct claim c;
		int r = announcer_recv_claim(&mg->ann, &c);
		if (r == -EAGAIN)
			return;
		if (r < 0) {
			log_warn(&mg->lg, "reading the announcer's socket", "error=\"%s\"",
				 strerror(-r));
			return;
		}
		if (r == 1)
			on_claim(mg, &c);
	}
}

static int open_announcer(struct manager *mg)
{
	if (!mg->cfg.arp)
		return 0;
	struct nl_error err = {0};
	int r =
	    announce_schedule_init(&mg->sched, mg->cfg.arp_rate_ms, ANNOUNCE_SPACING_DEFAULT_MS);
	if (r < 0) {
		log_error(&mg->lg, "vip_arpRate", "value=%u error=\"%s\"", mg->cfg.arp_rate_ms,
			  strerror(-r));
		return r;
	}
	r = announcer_open(&mg->ann, mg->link.index, mg->link.mac, &mg->cfg.vip,
			   GARP_MODE_ALTERNATE, &err);
	if (r < 0) {
		log_error(&mg->lg, "announcer", "error=\"%s\"", err.msg);
		return r;
	}
	mg->ann_open = true;
	/* Leader or follower, the socket hears claims of the VIP (conflicts.h says what counts). */
	if ((r = announcer_watch(&mg->ann, &err)) < 0) {
		log_error(&mg->lg, "announcer", "error=\"%s\"", err.msg);
		return r;
	}
	conflict_watch_init(&mg->conflicts, mg->link.mac, (int64_t)mg->sched.spacing_ms);
	return loop_fd_set(mg->loop, mg->ann.fd, LOOP_READ, on_claims_readable, mg);
}

/* A VIP found at start-up came from an earlier run (ours or kube-vip's). It stays only until
 * the election says who holds the lease: if it is not us, duties delete it. */
static void adopt_leftover(struct manager *mg)
{
	bool present = false;
	struct nl_addr found;
	struct nl_error err = {0};
	if (nl_addr_find(&mg->nl, mg->link.index, &mg->cfg.vip, &present, &found, &err) < 0 ||
	    !present)
		return;
	mg->vip_on = true;
	mg->leftover = true;
	mg->vip_expires_ms = loop_now_ms(mg->loop); /* unknown: refresh at the first chance */
	nl_monitor_expect_vip(&mg->mon, true);
	log_info(&mg->lg, "VIP already on the interface; kept until the lease holder is known",
		 "interface=%s valid_lft=%u", mg->link.name, found.valid);
}

int manager_net_open(struct manager *mg)
{
	struct nl_error err = {0};
	int r = nl_sock_open(&mg->nl, NETLINK_ROUTE, 0, false, &err);
	if (r < 0) {
		log_error(&mg->lg, "netlink socket", "error=\"%s\"", err.msg);
		return r;
	}
	mg->nl.timeout_ms = MGR_NETLINK_TIMEOUT_MS;
	if ((r = open_link(mg)) < 0 || (r = open_monitor(mg)) < 0 || (r = open_announcer(mg)) < 0)
		return r;
	adopt_leftover(mg);
	return 0;
}

void manager_net_close(struct manager *mg)
{
	loop_timer_disarm(mg->loop, &mg->announce_timer);
	if (mg->ann_open) {
		loop_fd_set(mg->loop, mg->ann.fd, 0, NULL, NULL);
		announcer_close(&mg->ann);
	}
	mg->ann_open = false;
	if (mg->mon_open) {
		loop_fd_set(mg->loop, nl_monitor_fd(&mg->mon), 0, NULL, NULL);
		nl_monitor_close(&mg->mon);
	}
	mg->mon_open = false;
	nl_sock_close(&mg->nl);
}

int manager_vip_set(struct manager *mg, uint32_t valid_s)
{
	struct nl_error err = {0};
	char text[INET_PREFIX_STRLEN];
	bool was_on = mg->vip_on;
	nl_monitor_expect_vip(&mg->mon, true);
	unsigned opts = mg->cfg.skip_dad ? NL_ADDR_NODAD : 0;
	int r = nl_addr_set(&mg->nl, mg->link.index, &mg->cfg.vip, opts, valid_s, &err);
	if (r < 0) {
		log_error(&mg->lg, "adding the VIP failed", "error=\"%s\"", err.msg);
		nl_monitor_expect_vip(&mg->mon, was_on);
		return r;
	}
	mg->vip_on = true;
	mg->leftover = false;
	mg->m.vip_present = true;
	mg->vip_expires_ms = loop_now_ms(mg->loop) + (int64_t)valid_s * 1000;
	if (!was_on)
		log_info(&mg->lg, "VIP added", "interface=%s address=%s valid_lft=%u",
			 mg->link.name, inet_prefix_format(&mg->cfg.vip, text, sizeof(text)),
			 valid_s);
	else
		log_debug(&mg->lg, "VIP lifetime extended", "valid_lft=%u", valid_s);
	return 0;
}

int manager_vip_delete(struct manager *mg, const char *why)
{
	struct nl_error err = {0};
	char text[INET_PREFIX_STRLEN];
	nl_monitor_expect_vip(&mg->mon, false);
	int r = nl_addr_del(&mg->nl, mg->link.index, &mg->cfg.vip, &err);
	if (r < 0) {
		/* Keep believing it is there: the next duty pass tries again. */
		log_error(&mg->lg, "deleting the VIP failed", "error=\"%s\"", err.msg);
		nl_monitor_expect_vip(&mg->mon, true);
		return r;
	}
	mg->vip_on = false;
	mg->leftover = false;
	mg->m.vip_present = false;
	log_info(&mg->lg, "VIP deleted", "interface=%s address=%s reason=\"%s\"", mg->link.name,
		 inet_prefix_format(&mg->cfg.vip, text, sizeof(text)), why);
	return 0;
}

static void count_announcement(struct manager *mg)
{
	if (mg->cfg.vip.family == AF_INET6)
		mg->m.announcements[METRICS_NA]++;
	else if (announcer_next_op(&mg->ann) == GARP_REQUEST)
		mg->m.announcements[METRICS_GARP_REQUEST]++;
	else
		mg->m.announcements[METRICS_GARP_REPLY]++;
}

static void on_announce(struct loop *l, void *arg)
{
	struct manager *mg = arg;
	int64_t now = loop_now_ms(l);
	/* Leadership is confirmed by the elector's clock before every frame. */
	if (!mg->ann_open || !mg->el_live || !elector_is_leader(&mg->el) || !mg->vip_on) {
		manager_announce_stop(mg);
		return;
	}
	if (announce_schedule_due(&mg->sched, (uint64_t)now)) {
		struct nl_error err = {0};
		count_announcement(mg);
		if (announcer_send(&mg->ann, &err) < 0) {
			mg->m.announce_errors++;
			log_warn(&mg->lg, "announcement failed", "error=\"%s\"", err.msg);
		}
		announce_schedule_sent(&mg->sched, (uint64_t)now);
	}
	int64_t wait = announce_schedule_timeout_ms(&mg->sched, (uint64_t)now);
	if (wait >= 0)
		loop_timer_arm_in(l, &mg->announce_timer, wait, on_announce, mg);
}

void manager_announce_start(struct manager *mg)
{
	if (!mg->ann_open)
		return;
	announce_schedule_start(&mg->sched, (uint64_t)loop_now_ms(mg->loop),
				ANNOUNCE_BURST_DEFAULT);
	on_announce(mg->loop, mg); /* the first frame goes out now, not one period later */
}

void manager_announce_stop(struct manager *mg)
{
	if (!mg->ann_open)
		return;
	announce_schedule_stop(&mg->sched);
	loop_timer_disarm(mg->loop, &mg->announce_timer);
}
