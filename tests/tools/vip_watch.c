/*
 * vip_watch — the split-brain oracle of the cluster tests: samples, every few milliseconds,
 * which nodes have the VIP on their interface, by a netlink address dump inside each node's
 * network namespace (a socket opened there stays there). Prints a line on every change and,
 * when stopped (SIGTERM/SIGINT), a summary a test can check:
 *
 *   vip_watch --address IP [--interface eth0] [--interval-ms 2] NAME=/proc/PID/ns/net ...
 *   holders at=1764460000.123456 nodes=a            (on every change)
 *   summary samples=N changes=N overlap_samples=N overlap_ms=F max_holders=N
 *           longest_gap_ms=F   (time with no holder, longest stretch)
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "inet_prefix.h"
#include "nl_addr.h"
#include "nl_link.h"

#define MAX_NODES 16

struct node {
	char name[64];
	struct nl_sock sock;
	int ifindex;
	bool holds;
};

static volatile sig_atomic_t stop;
static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double wall_s(void)
{
	return (double)clock_wall_us() / 1e6;
}

/* Opens a route socket inside the namespace at `path` and looks `ifname` up there. */
static int open_in_ns(struct node *n, const char *path, const char *ifname, int self_ns)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
		fprintf(stderr, "vip_watch: %s: %s\n", path, strerror(errno));
		return -1;
	}
	close(fd);
	struct nl_error err = {0};
	struct nl_link link;
	int r = nl_sock_open(&n->sock, NETLINK_ROUTE, 0, false, &err);
	if (r == 0)
		r = nl_link_get(&n->sock, ifname, &link, &err);
	if (setns(self_ns, CLONE_NEWNET) < 0)
		return -1;
	if (r < 0) {
		fprintf(stderr, "vip_watch: node %s: %s\n", n->name, err.msg);
		return -1;
	}
	n->ifindex = link.index;
	return 0;
}

static int parse_node(struct node *n, const char *arg, const char *ifname, int self_ns)
{
	const char *eq = strchr(arg, '=');
	if (!eq || eq == arg || (size_t)(eq - arg) >= sizeof(n->name)) {
		fprintf(stderr, "vip_watch: \"%s\": expected NAME=/proc/PID/ns/net\n", arg);
		return -1;
	}
	snprintf(n->name, sizeof(n->name), "%.*s", (int)(eq - arg), arg);
	return open_in_ns(n, eq + 1, ifname, self_ns);
}

struct tally {
	unsigned long samples, changes, overlap_samples;
	double overlap_ms, longest_gap_ms, gap_start;
	unsigned max_holders;
	bool in_gap;
};

/* One sample of every node; prints a line when the set of holders changed. */
static int sample(struct node *nodes, size_t n, const struct inet_prefix *vip, struct tally *t,
		  double dt_ms, bool first)
{
	bool changed = first;
	unsigned holders = 0;
	for (size_t i = 0; i < n; i++) {
		bool present = false;
		struct nl_error err = {0};
		if (nl_addr_find(&nodes[i].sock, nodes[i].ifindex, vip, &present, NULL, &err) < 0) {
			fprintf(stderr, "vip_watch: node %s: %s\n", nodes[i].name, err.msg);
			return -1;
		}
		changed |= present != nodes[i].holds;
		nodes[i].holds = present;
		holders += present;
	}
	double now = wall_s();
	t->samples++;
	if (holders > t->max_holders)
		t->max_holders = holders;
	if (holders > 1) {
		t->overlap_samples++;
		t->overlap_ms += dt_ms;
	}
	if (holders == 0 && !t->in_gap) {
		t->in_gap = true;
		t->gap_start = now;
	} else if (holders > 0 && t->in_gap) {
		t->in_gap = false;
		double gap = (now - t->gap_start) * 1000;
		if (!first && gap > t->longest_gap_ms)
			t->longest_gap_ms = gap;
	}
	if (changed) {
		t->changes++;
		printf("holders at=%.6f count=%u nodes=", now, holders);
		const char *sep = "";
		for (size_t i = 0; i < n; i++)
			if (nodes[i].holds) {
				printf("%s%s", sep, nodes[i].name);
				sep = ",";
			}
		printf("\n");
		fflush(stdout);
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *address = NULL, *ifname = "eth0";
	long interval_ms = 2;
	int i = 1;
	for (; i + 1 < argc && !strncmp(argv[i], "--", 2); i += 2) {
		if (!strcmp(argv[i], "--address"))
			address = argv[i + 1];
		else if (!strcmp(argv[i], "--interface"))
			ifname = argv[i + 1];
		else if (!strcmp(argv[i], "--interval-ms"))
			interval_ms = strtol(argv[i + 1], NULL, 10);
		else
			break;
	}
	struct inet_prefix vip;
	char why[256];
	if (!address || inet_prefix_parse(address, &vip, why, sizeof(why)) < 0 || i >= argc ||
	    argc - i > MAX_NODES || interval_ms < 1) {
		fprintf(stderr, "usage: vip_watch --address IP [--interface IF] [--interval-ms N] "
				"NAME=/proc/PID/ns/net ...\n");
		return 2;
	}
	int self_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	struct node nodes[MAX_NODES] = {0};
	size_t n = 0;
	for (; i < argc; i++, n++)
		if (parse_node(&nodes[n], argv[i], ifname, self_ns) < 0)
			return 1;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	struct tally t = {0};
	int64_t last = clock_boot_ns();
	for (bool first = true; !stop; first = false) {
		int64_t now = clock_boot_ns();
		if (sample(nodes, n, &vip, &t, (double)(now - last) / 1e6, first) < 0)
			return 1;
		last = now;
		struct timespec ts = {0, interval_ms * 1000000};
		nanosleep(&ts, NULL);
	}
	printf("summary samples=%lu changes=%lu overlap_samples=%lu overlap_ms=%.1f max_holders=%u "
	       "longest_gap_ms=%.1f\n",
	       t.samples, t.changes, t.overlap_samples, t.overlap_ms, t.max_holders,
	       t.longest_gap_ms);
	fflush(stdout);
	for (size_t k = 0; k < n; k++)
		nl_sock_close(&nodes[k].sock);
	close(self_ns);
	return 0;
}
