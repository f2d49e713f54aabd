/*
 * vip_watch — the split-brain oracle of the cluster tests (issue 17's fault campaign). Every
 * --interval-ms it samples which nodes have the VIP on their interface, by a netlink address
 * dump inside each node's network namespace (a socket opened there stays there); optionally
 * which node the client's neighbour entry for the VIP names (by MAC), and whether the VIP
 * answers HTTPS from the client's namespace. The rules that turn samples into tallies are in
 * oracle.h; this file only does the I/O: namespaces, netlink, libcurl, the command FIFO and
 * the printing.
 *
 *   vip_watch --address IP [--interface eth0] [--interval-ms 2]
 *             [--client /proc/PID/ns/net] [--neigh] [--mac-grace-ms 3000]
 *             [--url https://VIP:6443/readyz] [--probe-ms 10] [--control FIFO]
 *             NAME=/proc/PID/ns/net ...
 *
 *   --interface     the nodes' interface: the VIP's and the MAC's (default eth0)
 *   --interval-ms   the sampling period, 1..1000 (default 2)
 *   --client        the client's network namespace: the MAC rule is judged and the prober runs
 *                   there (the whole main loop runs there, after the nodes' sockets are open);
 *                   without it they use vip_watch's own namespace
 *   --neigh         judge the MAC rule (implied by --client): the client's neighbour entry for
 *                   the VIP against each node's interface MAC (read once at the start); an
 *                   absent, incomplete or failed entry is "no MAC"
 *   --mac-grace-ms  a wrong-MAC stretch longer than this is a violation (0..600000, default
 *                   3000: vipd's and kube-vip's gratuitous ARP interval)
 *   --url           probe it (libcurl multi, never blocking the sampling): a request started
 *                   every --probe-ms (1..60000, default 10) whether or not earlier ones ended
 *                   (at most 128 in flight); a fresh connection each, TLS unverified, 1 s at
 *                   most; a 200 is an answer, anything else a failure
 *   --control       a FIFO the caller made (mkfifo) and writes lines to: "mark NAME" closes a
 *                   trial, "fault NAME" logs a timestamp; reopened after each writer leaves
 *
 * Output, one line each, flushed (times: at=/start=/end= wall-clock seconds, *_ms milliseconds):
 *
 *   holders at=1764460000.123456 count=N nodes=a,b        the set of holders changed
 *   mac at=T node=NAME|none|unknown lladdr=aa:bb:..       the client's MAC changed (MAC rule on)
 *   http at=T ok=0|1 code=N error="..."                   the prober's answer changed
 *   fault at=T name=NAME                                  "fault NAME" on the FIFO
 *   trial name=NAME start=T end=T samples=N overlap_samples=N overlap_ms=F no_holder_ms=F
 *         longest_gap_ms=F mac_wrong_ms=F mac_violations=N http_ok=N http_fail=N
 *         http_gap_ms=F holders_end=a,b                  "mark NAME": the trial since the
 *                                                         previous mark or the start
 *   summary samples=N changes=N overlap_samples=N overlap_ms=F max_holders=N longest_gap_ms=F
 *           mac_violations=N mac_wrong_ms=F http_ok=N http_fail=N http_gap_ms=F
 *                                                         on SIGTERM/SIGINT, the whole run
 *
 * (trial and summary lines are each one line; node=none: no usable neighbour entry.) A state
 * lasts from the sample that first sees it to the one that first sees another. overlap: two or
 * more holders; no_holder_ms: time with none; longest_gap_ms: the longest stretch with none
 * (the summary's counts closed stretches only, as it always has); mac_wrong_ms /
 * mac_violations: one holder and the client's MAC on another node or an unknown one, and such
 * stretches longer than --mac-grace-ms (counted once, when they pass it); http_gap_ms: the
 * longest time from one 200's completion to the next, the run's first from the start (a trial
 * counts a stretch open at its mark up to the mark, and one begun before it from its start).
 * Without --url the http_* fields stay 0; without the MAC rule the mac_* fields do.
 *
 * Exit: 0 after the summary; 2 on a bad argument (one line naming it); 1 when a node, the
 * client or a sample fails.
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "inet_prefix.h"
#include "nl_addr.h"
#include "nl_link.h"
#include "nl_neigh.h"
#include "oracle.h"

#define PROBES_MAX 128 /* 1 s timeout / 10 ms: room for every probe of a silent second */
#define MAX_NODES  ORACLE_MAX_NODES

struct node {
	char name[64];
	struct nl_sock sock;
	int ifindex;
	uint8_t mac[32];
	size_t mac_len;
};

struct options {
	const char *address, *ifname, *client, *url, *control;
	long interval_ms, probe_ms, mac_grace_ms;
	bool neigh;
};

/* The one state of the program. */
struct watch {
	struct options opt;
	struct inet_prefix vip;
	struct node nodes[MAX_NODES];
	size_t n;
	int self_ns;
	bool mac_rule;
	struct nl_sock client; /* open when mac_rule */
	int mac_node;	       /* the last one printed */
	CURLM *multi;
	CURL *probes[PROBES_MAX]; /* the probes in flight (NULL: free slot) */
	unsigned in_flight;
	int64_t probe_ns; /* when the next probe may start */
	int http_state;	  /* -1 none yet, 0 failing, 1 answering */
	int control_fd;
	char line[256];
	size_t line_len;
	bool line_long; /* dropping the rest of an overlong line */
	int signal_fd;
	bool stop;
	struct oracle oracle;
	double trial_wall; /* wall-clock start of the current trial */
};

static double wall_s(void)
{
	return (double)clock_wall_us() / 1e6;
}

static double ms(int64_t ns)
{
	return (double)ns / 1e6;
}

/* ---- arguments -------------------------------------------------------------------------- */

static int parse_long(const char *opt, const char *text, long lo, long hi, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(text, &end, 10);
	if (errno || end == text || *end || v < lo || v > hi) {
		fprintf(stderr, "vip_watch: %s \"%s\": want %ld..%ld\n", opt, text, lo, hi);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int parse_option(struct options *o, const char *name, const char *value)
{
	if (!strcmp(name, "--address"))
		o->address = value;
	else if (!strcmp(name, "--interface"))
		o->ifname = value;
	else if (!strcmp(name, "--client"))
		o->client = value;
	else if (!strcmp(name, "--url"))
		o->url = value;
	else if (!strcmp(name, "--control"))
		o->control = value;
	else if (!strcmp(name, "--interval-ms"))
		return parse_long(name, value, 1, 1000, &o->interval_ms);
	else if (!strcmp(name, "--probe-ms"))
		return parse_long(name, value, 1, 60000, &o->probe_ms);
	else if (!strcmp(name, "--mac-grace-ms"))
		return parse_long(name, value, 0, 600000, &o->mac_grace_ms);
	else {
		fprintf(stderr, "vip_watch: unknown option \"%s\"\n", name);
		return -EINVAL;
	}
	return 0;
}

/* Reads the options; returns the index of the first NAME=path, or -EINVAL. */
static int parse_options(struct options *o, int argc, char **argv)
{
	*o = (struct options){
	    .ifname = "eth0", .interval_ms = 2, .probe_ms = 10, .mac_grace_ms = 3000};
	int i = 1;
	while (i < argc && !strncmp(argv[i], "--", 2)) {
		if (!strcmp(argv[i], "--neigh")) {
			o->neigh = true;
			i++;
			continue;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "vip_watch: %s: needs a value\n", argv[i]);
			return -EINVAL;
		}
		if (parse_option(o, argv[i], argv[i + 1]) < 0)
			return -EINVAL;
		i += 2;
	}
	return i;
}

static int check_options(struct watch *w, int nodes)
{
	char why[256];
	if (!w->opt.address) {
		fprintf(stderr, "usage: vip_watch --address IP [--interface IF] [--interval-ms N] "
				"[--client NS] [--neigh] [--mac-grace-ms N] [--url URL] "
				"[--probe-ms N] [--control FIFO] NAME=/proc/PID/ns/net ...\n");
		return -EINVAL;
	}
	if (inet_prefix_parse(w->opt.address, &w->vip, why, sizeof(why)) < 0) {
		fprintf(stderr, "vip_watch: --address \"%s\": %s\n", w->opt.address, why);
		return -EINVAL;
	}
	if (w->opt.url && strncmp(w->opt.url, "https://", 8) && strncmp(w->opt.url, "http://", 7)) {
		fprintf(stderr, "vip_watch: --url \"%s\": want https://… or http://…\n",
			w->opt.url);
		return -EINVAL;
	}
	if (nodes < 1 || nodes > MAX_NODES) {
		fprintf(stderr, "vip_watch: %d nodes: want 1..%d NAME=/proc/PID/ns/net\n", nodes,
			MAX_NODES);
		return -EINVAL;
	}
	w->mac_rule = w->opt.neigh || w->opt.client;
	return 0;
}

static int parse_node_name(struct node *n, const char *arg, const char **path)
{
	const char *eq = strchr(arg, '=');
	if (!eq || eq == arg || !eq[1] || (size_t)(eq - arg) >= sizeof(n->name)) {
		fprintf(stderr, "vip_watch: \"%s\": want NAME=/proc/PID/ns/net\n", arg);
		return -EINVAL;
	}
	snprintf(n->name, sizeof(n->name), "%.*s", (int)(eq - arg), arg);
	*path = eq + 1;
	return 0;
}

/* ---- set-up: namespaces, sockets, the FIFO, signals, libcurl ---------------------------- */

static int enter_ns(const char *path, struct nl_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) /* a bad argument: exit 2 */
		return nl_error_set(err, EINVAL, "\"%s\": %s", path, strerror(errno));
	int rc = setns(fd, CLONE_NEWNET);
	int saved = errno;
	close(fd);
	if (rc < 0)
		return nl_error_set(err, saved, "setns %s: %s", path, strerror(saved));
	return 0;
}

/* Opens a route socket inside the namespace at `path`; looks the interface and its MAC up. */
static int open_node(struct watch *w, struct node *n, const char *path, struct nl_error *err)
{
	int rc = enter_ns(path, err);
	if (rc < 0)
		return rc;
	struct nl_link link;
	rc = nl_sock_open(&n->sock, NETLINK_ROUTE, 0, false, err);
	if (rc == 0)
		rc = nl_link_get(&n->sock, w->opt.ifname, &link, err);
	if (setns(w->self_ns, CLONE_NEWNET) < 0)
		return nl_error_set(err, errno, "setns back: %s", strerror(errno));
	if (rc < 0)
		return rc;
	n->ifindex = link.index;
	memcpy(n->mac, link.mac, link.mac_len);
	n->mac_len = link.mac_len;
	return 0;
}

static int open_nodes(struct watch *w, int count, char **args)
{
	for (int i = 0; i < count; i++) {
		struct node *n = &w->nodes[w->n];
		const char *path;
		if (parse_node_name(n, args[i], &path) < 0)
			return -EINVAL;
		struct nl_error err = {0};
		int rc = open_node(w, n, path, &err);
		if (rc < 0) {
			fprintf(stderr, "vip_watch: node %s: %s\n", n->name, err.msg);
			return rc;
		}
		w->n++;
	}
	return 0;
}

static int control_open(struct watch *w, struct nl_error *err)
{
	const char *path = w->opt.control;
	w->control_fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (w->control_fd < 0)
		return nl_error_set(err, EINVAL, "--control \"%s\": %s", path, strerror(errno));
	struct stat st;
	if (fstat(w->control_fd, &st) < 0 || !S_ISFIFO(st.st_mode))
		return nl_error_set(err, EINVAL, "--control \"%s\": not a FIFO (mkfifo it)", path);
	return 0;
}

static int signals_open(struct watch *w, struct nl_error *err)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	signal(SIGPIPE, SIG_IGN);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return nl_error_set(err, errno, "sigprocmask: %s", strerror(errno));
	w->signal_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (w->signal_fd < 0)
		return nl_error_set(err, errno, "signalfd: %s", strerror(errno));
	return 0;
}

/* Moves into the client's namespace for good and opens what lives there. */
static int client_open(struct watch *w, struct nl_error *err)
{
	int rc = w->opt.client ? enter_ns(w->opt.client, err) : 0;
	if (rc < 0) {
		char inner[sizeof(err->msg)];
		snprintf(inner, sizeof(inner), "%s", err->msg);
		return nl_error_set(err, -rc, "--client %s", inner);
	}
	if (w->mac_rule)
		rc = nl_sock_open(&w->client, NETLINK_ROUTE, 0, false, err);
	if (rc < 0)
		return rc;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(w->multi = curl_multi_init()))
		return nl_error_set(err, ENOMEM, "libcurl: cannot initialise");
	return 0;
}

static int setup(struct watch *w, int count, char **args)
{
	struct nl_error err = {0};
	w->self_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (w->self_ns < 0) {
		fprintf(stderr, "vip_watch: /proc/self/ns/net: %s\n", strerror(errno));
		return -errno;
	}
	int rc = open_nodes(w, count, args);
	if (rc < 0)
		return rc;
	if ((w->opt.control && (rc = control_open(w, &err)) < 0) ||
	    (rc = signals_open(w, &err)) < 0 || (rc = client_open(w, &err)) < 0) {
		fprintf(stderr, "vip_watch: %s\n", err.msg);
		return rc;
	}
	struct oracle_config cfg = {.mac_grace_ns = w->opt.mac_grace_ms * 1000000,
				    .mac_rule = w->mac_rule,
				    .http = w->opt.url != NULL};
	oracle_init(&w->oracle, &cfg, clock_boot_ns());
	w->trial_wall = wall_s();
	return 0;
}

static void teardown(struct watch *w)
{
	for (size_t k = 0; k < w->n; k++)
		nl_sock_close(&w->nodes[k].sock);
	if (w->mac_rule && w->client.mnl)
		nl_sock_close(&w->client);
	for (size_t k = 0; k < PROBES_MAX; k++)
		if (w->probes[k]) {
			curl_multi_remove_handle(w->multi, w->probes[k]);
			curl_easy_cleanup(w->probes[k]);
		}
	if (w->multi) {
		curl_multi_cleanup(w->multi);
		curl_global_cleanup();
	}
	if (w->control_fd >= 0)
		close(w->control_fd);
	if (w->signal_fd >= 0)
		close(w->signal_fd);
	if (w->self_ns >= 0)
		close(w->self_ns);
}

/* ---- sampling --------------------------------------------------------------------------- */

static int read_holders(struct watch *w, uint32_t *holders)
{
	*holders = 0;
	for (size_t i = 0; i < w->n; i++) {
		bool present = false;
		struct nl_error err = {0};
		struct node *n = &w->nodes[i];
		if (nl_addr_find(&n->sock, n->ifindex, &w->vip, &present, NULL, &err) < 0) {
			fprintf(stderr, "vip_watch: node %s: %s\n", n->name, err.msg);
			return err.err;
		}
		if (present)
			*holders |= 1u << i;
	}
	return 0;
}

/* The node whose interface has the neighbour entry's MAC, or ORACLE_MAC_NONE / _UNKNOWN. */
static int mac_owner(const struct watch *w, const struct nl_neigh *nb)
{
	if (!nl_neigh_usable(nb))
		return ORACLE_MAC_NONE;
	for (size_t i = 0; i < w->n; i++)
		if (w->nodes[i].mac_len == nb->lladdr_len &&
		    !memcmp(w->nodes[i].mac, nb->lladdr, nb->lladdr_len))
			return (int)i;
	return ORACLE_MAC_UNKNOWN;
}

static void print_mac(struct watch *w, int node, const struct nl_neigh *nb)
{
	printf("mac at=%.6f node=%s lladdr=", wall_s(),
	       node >= 0		    ? w->nodes[node].name
	       : node == ORACLE_MAC_UNKNOWN ? "unknown"
					    : "none");
	for (size_t i = 0; node != ORACLE_MAC_NONE && i < nb->lladdr_len; i++)
		printf("%s%02x", i ? ":" : "", nb->lladdr[i]);
	printf("\n");
	fflush(stdout);
}

static int read_client_mac(struct watch *w, int *mac_node)
{
	struct nl_neigh nb = {0};
	bool found = false;
	struct nl_error err = {0};
	if (nl_neigh_find(&w->client, &w->vip, &found, &nb, &err) < 0) {
		fprintf(stderr, "vip_watch: client: %s\n", err.msg);
		return err.err;
	}
	*mac_node = found ? mac_owner(w, &nb) : ORACLE_MAC_NONE;
	if (*mac_node != w->mac_node || !w->oracle.sampled)
		print_mac(w, *mac_node, &nb);
	w->mac_node = *mac_node;
	return 0;
}

static void print_names(const struct watch *w, uint32_t holders)
{
	const char *sep = "";
	for (size_t i = 0; i < w->n; i++)
		if (holders & (1u << i)) {
			printf("%s%s", sep, w->nodes[i].name);
			sep = ",";
		}
}

static int take_sample(struct watch *w)
{
	struct oracle_sample s = {.mac_node = ORACLE_MAC_NONE};
	int rc = read_holders(w, &s.holders);
	if (rc == 0 && w->mac_rule)
		rc = read_client_mac(w, &s.mac_node);
	if (rc < 0)
		return rc;
	if (oracle_sample(&w->oracle, clock_boot_ns(), &s)) {
		printf("holders at=%.6f count=%d nodes=", wall_s(), __builtin_popcount(s.holders));
		print_names(w, s.holders);
		printf("\n");
		fflush(stdout);
	}
	return 0;
}

/* ---- the HTTPS prober ------------------------------------------------------------------- */

static size_t discard(char *data, size_t size, size_t n, void *user)
{
	(void)data;
	(void)user;
	return size * n;
}

static int probe_start(struct watch *w)
{
	CURL *e = curl_easy_init();
	if (!e)
		return -ENOMEM;
	curl_easy_setopt(e, CURLOPT_URL, w->opt.url);
	curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 1000L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
	if (curl_multi_add_handle(w->multi, e) != CURLM_OK) {
		curl_easy_cleanup(e);
		return -ENOMEM;
	}
	for (size_t k = 0; k < PROBES_MAX; k++)
		if (!w->probes[k]) {
			w->probes[k] = e;
			break;
		}
	w->in_flight++;
	w->probe_ns = clock_boot_ns() + w->opt.probe_ms * 1000000;
	return 0;
}

static void probe_done(struct watch *w, CURL *e, CURLcode result)
{
	long code = 0;
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
	bool ok = result == CURLE_OK && code == 200;
	oracle_http(&w->oracle, clock_boot_ns(), ok);
	if ((int)ok != w->http_state) {
		printf("http at=%.6f ok=%d code=%ld error=\"%s\"\n", wall_s(), ok, code,
		       result == CURLE_OK ? "" : curl_easy_strerror(result));
		fflush(stdout);
		w->http_state = ok;
	}
	curl_multi_remove_handle(w->multi, e);
	curl_easy_cleanup(e);
	for (size_t k = 0; k < PROBES_MAX; k++)
		if (w->probes[k] == e) {
			w->probes[k] = NULL;
			w->in_flight--;
		}
}

/* Drives the probes in flight, collects their ends, starts the next one when due: one every
 * --probe-ms whether or not the previous ones answered (a probe stuck on a node that lost the
 * VIP must not hide that another one answers), at most PROBES_MAX at once. */
static void probe_step(struct watch *w)
{
	int running = 0;
	curl_multi_perform(w->multi, &running);
	CURLMsg *m;
	int left;
	while ((m = curl_multi_info_read(w->multi, &left)))
		if (m->msg == CURLMSG_DONE)
			probe_done(w, m->easy_handle, m->data.result);
	if (w->in_flight >= PROBES_MAX || clock_boot_ns() < w->probe_ns)
		return;
	if (probe_start(w) == 0)
		curl_multi_perform(w->multi, &running);
}

/* ---- the command FIFO and signals ------------------------------------------------------- */

static void print_trial(struct watch *w, const char *name)
{
	struct oracle_tally t;
	double end = wall_s();
	oracle_mark(&w->oracle, clock_boot_ns(), &t);
	printf("trial name=%s start=%.6f end=%.6f samples=%llu overlap_samples=%llu "
	       "overlap_ms=%.1f no_holder_ms=%.1f longest_gap_ms=%.1f mac_wrong_ms=%.1f "
	       "mac_violations=%llu http_ok=%llu http_fail=%llu http_gap_ms=%.1f holders_end=",
	       name, w->trial_wall, end, (unsigned long long)t.samples,
	       (unsigned long long)t.overlap_samples, ms(t.overlap_ns), ms(t.no_holder_ns),
	       ms(t.longest_gap_ns), ms(t.mac_wrong_ns), (unsigned long long)t.mac_violations,
	       (unsigned long long)t.http_ok, (unsigned long long)t.http_fail, ms(t.http_gap_ns));
	print_names(w, w->oracle.holders);
	printf("\n");
	fflush(stdout);
	w->trial_wall = end;
}

static void control_line(struct watch *w, char *line)
{
	char copy[sizeof(w->line)];
	snprintf(copy, sizeof(copy), "%s", line);
	char *save = NULL;
	char *cmd = strtok_r(line, " \t\r", &save);
	char *name = cmd ? strtok_r(NULL, " \t\r", &save) : NULL;
	if (!cmd)
		return;
	if (name && !strtok_r(NULL, " \t\r", &save) && !strcmp(cmd, "mark"))
		print_trial(w, name);
	else if (name && !strtok_r(NULL, " \t\r", &save) && !strcmp(cmd, "fault")) {
		printf("fault at=%.6f name=%s\n", wall_s(), name);
		fflush(stdout);
	} else
		fprintf(stderr,
			"vip_watch: --control line \"%s\": want \"mark NAME\" or "
			"\"fault NAME\"\n",
			copy);
}

static void control_feed(struct watch *w, const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '\n') {
			w->line[w->line_len] = '\0';
			if (!w->line_long)
				control_line(w, w->line);
			w->line_len = 0;
			w->line_long = false;
		} else if (w->line_len + 1 < sizeof(w->line))
			w->line[w->line_len++] = buf[i];
		else
			w->line_long = true;
	}
}

/* Reads what the writers sent; after the last writer left, reopens for the next one. A FIFO
 * nobody has opened for writing yet reads as EOF too: only a poll's POLLIN or POLLHUP (a writer
 * came and went) says there is something to do. */
static void control_read(struct watch *w)
{
	struct pollfd p = {.fd = w->control_fd, .events = POLLIN};
	if (w->control_fd < 0 || poll(&p, 1, 0) <= 0 || !(p.revents & (POLLIN | POLLHUP)))
		return;
	char buf[512];
	while (w->control_fd >= 0) {
		ssize_t r = read(w->control_fd, buf, sizeof(buf));
		if (r > 0) {
			control_feed(w, buf, (size_t)r);
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return;
		if (w->line_len > 0)
			control_feed(w, "\n", 1);
		close(w->control_fd);
		struct nl_error err = {0};
		if (r < 0 || control_open(w, &err) < 0) {
			fprintf(stderr, "vip_watch: --control: %s\n",
				r < 0 ? strerror(errno) : err.msg);
			w->control_fd = -1;
		}
		return;
	}
}

static void signals_read(struct watch *w)
{
	struct signalfd_siginfo si;
	while (read(w->signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		w->stop = true;
}

/* ---- the loop --------------------------------------------------------------------------- */

/* Sleeps until `deadline_ns` (or the next probe's start), waking for the prober's sockets, the
 * FIFO and signals. */
static void wait_until(struct watch *w, int64_t deadline_ns)
{
	if (w->opt.url && w->in_flight < PROBES_MAX && w->probe_ns < deadline_ns)
		deadline_ns = w->probe_ns;
	int64_t left = deadline_ns - clock_boot_ns();
	int timeout = left <= 0 ? 0 : (int)((left + 999999) / 1000000);
	struct curl_waitfd fds[2] = {{.fd = w->signal_fd, .events = CURL_WAIT_POLLIN},
				     {.fd = w->control_fd, .events = CURL_WAIT_POLLIN}};
	curl_multi_poll(w->multi, fds, w->control_fd >= 0 ? 2 : 1, timeout, NULL);
}

static int run(struct watch *w)
{
	int64_t interval = w->opt.interval_ms * 1000000;
	int64_t next = clock_boot_ns();
	while (!w->stop) {
		int64_t now = clock_boot_ns();
		if (now >= next) {
			int rc = take_sample(w);
			if (rc < 0)
				return rc;
			next = next + interval > now ? next + interval : now + interval;
		}
		if (w->opt.url)
			probe_step(w);
		control_read(w);
		signals_read(w);
		if (!w->stop)
			wait_until(w, next);
	}
	return 0;
}

static void print_summary(struct watch *w)
{
	struct oracle_tally t;
	oracle_finish(&w->oracle, clock_boot_ns(), &t);
	printf("summary samples=%llu changes=%llu overlap_samples=%llu overlap_ms=%.1f "
	       "max_holders=%u longest_gap_ms=%.1f mac_violations=%llu mac_wrong_ms=%.1f "
	       "http_ok=%llu http_fail=%llu http_gap_ms=%.1f\n",
	       (unsigned long long)t.samples, (unsigned long long)t.changes,
	       (unsigned long long)t.overlap_samples, ms(t.overlap_ns), t.max_holders,
	       ms(t.longest_gap_ns), (unsigned long long)t.mac_violations, ms(t.mac_wrong_ns),
	       (unsigned long long)t.http_ok, (unsigned long long)t.http_fail, ms(t.http_gap_ns));
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct watch w = {.self_ns = -1,
			  .control_fd = -1,
			  .signal_fd = -1,
			  .http_state = -1,
			  .mac_node = ORACLE_MAC_NONE};
	int first = parse_options(&w.opt, argc, argv);
	if (first < 0 || check_options(&w, argc - first) < 0)
		return 2;
	int rc = setup(&w, argc - first, argv + first);
	if (rc < 0) {
		teardown(&w);
		return rc == -EINVAL ? 2 : 1;
	}
	rc = run(&w);
	if (rc == 0)
		print_summary(&w);
	teardown(&w);
	return rc < 0 ? 1 : 0;
}
