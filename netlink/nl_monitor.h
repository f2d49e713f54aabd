/*
 * nl_monitor — tells the daemon when the world changed under it: the VIP was removed by someone
 * else, or the VIP's link went down or came back up.
 *
 * A non-blocking rtnetlink socket subscribed to link and IPv4/IPv6 address notifications. It
 * plugs into any poll/epoll loop: watch nl_monitor_fd() for input, call nl_monitor_dispatch().
 *
 * Our own changes are not news. The caller says what it expects (nl_monitor_expect_vip) before
 * it adds or deletes the VIP, and names its request socket (nl_monitor_ignore_portid; the
 * kernel stamps IPv4 notifications with the requester's port id, but IPv6 ones with 0). A
 * removal is a candidate only while the VIP is expected present, an addition only while
 * expected absent. Notifications are read some time after they were sent, so an echo of our
 * own add can arrive after we already expect the VIP gone: each candidate is therefore
 * confirmed against the kernel's current state (a dump of our interface's addresses only, on
 * the monitor's own query socket with NETLINK_GET_STRICT_CHK) before it is reported. A
 * receive-buffer overflow (ENOBUFS) is reported as NL_EVENT_RESYNC: state must be re-read.
 *
 * Subscribed to every address change on the node, the notification socket gets a large
 * receive buffer (NL_MONITOR_RCVBUF; SO_RCVBUFFORCE, else SO_RCVBUF). One dispatch reads at
 * most NL_MONITOR_BUDGET datagrams and confirms VIP candidates with one dump per pass (the
 * current state answers them all), so a flood of notifications cannot starve the rest of the
 * loop; the fd stays readable and the loop calls again. Datagrams not sent by the kernel
 * (source port id != 0) are dropped and counted (sock.foreign_senders).
 *
 * Owns: the monitor socket and its classification of notifications. Must not touch: the
 * address itself (the caller decides whether to put the VIP back).
 */
#ifndef VIPD_NL_MONITOR_H
#define VIPD_NL_MONITOR_H

#include <stdbool.h>
#include <stdint.h>

#include "inet_prefix.h"
#include "nl_sock.h"

struct nlmsghdr;

enum nl_event_type {
	NL_EVENT_NONE = 0,
	NL_EVENT_VIP_REMOVED, /* the VIP left our interface and we did not remove it */
	NL_EVENT_VIP_ADDED,   /* the VIP appeared on our interface and we did not add it */
	NL_EVENT_LINK_DOWN,
	NL_EVENT_LINK_UP,
	NL_EVENT_RESYNC, /* notifications were lost; re-read link and address state */
};

const char *nl_event_name(enum nl_event_type type);

struct nl_event {
	enum nl_event_type type;
	int ifindex;
	uint32_t sender_portid; /* netlink port id that caused it, 0 = kernel or unknown */
};

typedef void (*nl_event_cb)(const struct nl_event *ev, void *data);

#define NL_MONITOR_MAX_IGNORED 4
#define NL_MONITOR_RCVBUF      (1 << 20) /* bytes asked for the notification socket */
#define NL_MONITOR_BUDGET      32	 /* datagrams read per dispatch */

struct nl_monitor {
	struct nl_sock sock;  /* notifications */
	struct nl_sock query; /* confirms candidates against the current state */
	int ifindex;
	struct inet_prefix vip; /* family 0: no VIP watched */
	bool expect_vip;
	int link_state; /* -1 unknown, 0 down, 1 up */
	uint32_t ignored[NL_MONITOR_MAX_IGNORED];
	unsigned n_ignored;
	nl_event_cb cb;
	void *cb_data;
	uint64_t overruns;
	uint64_t stale;	       /* candidates the current state contradicted (late echoes) */
	int rcvbuf;	       /* the notification socket's receive buffer (bytes), or -errno */
	bool strict;	       /* the query socket's dumps are filtered by the kernel */
	uint64_t budget_spent; /* dispatches that stopped at NL_MONITOR_BUDGET */
};

/* Opens the monitor for `ifindex` and `vip` (may be NULL to watch the link only). */
int nl_monitor_open(struct nl_monitor *m, int ifindex, const struct inet_prefix *vip,
		    nl_event_cb cb, void *cb_data, struct nl_error *err);
void nl_monitor_close(struct nl_monitor *m);
int nl_monitor_fd(const struct nl_monitor *m);

void nl_monitor_expect_vip(struct nl_monitor *m, bool present);
void nl_monitor_set_link_state(struct nl_monitor *m, bool up);
int nl_monitor_ignore_portid(struct nl_monitor *m, uint32_t portid);

/* Reads every pending notification and calls the callback for each event. Never blocks.
 * Returns the number of events, or a negative errno. */
int nl_monitor_dispatch(struct nl_monitor *m, struct nl_error *err);

/* Whether the VIP is on our interface now (the filtered dump dispatch confirms candidates
 * with). 0 or a negative errno. */
int nl_monitor_check_vip(struct nl_monitor *m, bool *present, struct nl_error *err);

/* Classifies one notification, updating the monitor's link state. Pure (no I/O); returns the
 * event type, NL_EVENT_NONE when it is not news. VIP events are candidates that dispatch
 * confirms before reporting. */
enum nl_event_type nl_monitor_classify(struct nl_monitor *m, const struct nlmsghdr *nlh);

#endif
