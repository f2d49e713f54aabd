/*
 * test_conflict.c — a second VIP holder caught on the wire, end to end with the real daemon.
 *
 * A LAN of four namespaces: the leader (a one-member etcd and `vipd manager` on the etcd
 * backend), a client, a rogue, and a follower (`vipd manager` on the same etcd). The rogue
 * adds the VIP and announces it with the project's own announcer, in bursts of three frames
 * 50 ms apart, a second and a half apart. For every burst: the leader logs the conflict naming
 * the rogue's MAC within 100 ms of the rogue's first frame (measured, median printed); after
 * each burst the client's neighbour entry for the VIP points at the leader again. At the end:
 * vipd_vip_conflicts_total counts every rogue frame on the leader and is > 0 on the follower,
 * which logged the two MACs too, and the follower never added the VIP.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "announcer.h"
#include "clock.h"
#include "conflicts.h"
#include "testns.h"
#include "topology.h"

enum { LEADER, CLIENT, ROGUE, FOLLOWER };
#define VIP	 "192.0.2.100"
#define BURSTS	 7
#define LOG_SIZE (256 * 1024)

/* A child process inside a namespace, its stderr+stdout in `log` as read (with read times). */
struct proc {
	pid_t pid;
	int out;
	char *log;
	size_t len;
};

static struct lan lan;
static struct proc etcd, leader, follower;
static char etcd_dir[64];

static void proc_init(struct proc *p)
{
	p->pid = -1;
	p->out = -1;
	p->log = calloc(1, LOG_SIZE);
	p->len = 0;
}

static void proc_stop(struct proc *p, int sig)
{
	if (p->pid > 0) {
		kill(p->pid, sig);
		waitpid(p->pid, NULL, 0);
	}
	if (p->out >= 0)
		close(p->out);
	free(p->log);
	p->pid = -1;
	p->out = -1;
	p->log = NULL;
}

static void setup(void)
{
	proc_init(&etcd);
	proc_init(&leader);
	proc_init(&follower);
	cr_assert(testns_is_root(), "needs root for network namespaces");
	cr_assert_eq(lan_create(&lan, 4), 0, "building the test LAN");
}

static void teardown(void)
{
	proc_stop(&follower, SIGTERM);
	proc_stop(&leader, SIGTERM);
	proc_stop(&etcd, SIGKILL);
	lan_destroy(&lan);
	if (etcd_dir[0]) {
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", etcd_dir);
		if (system(cmd) != 0)
			cr_log_warn("could not remove %s", etcd_dir);
	}
}

/* Runs argv in `ns` with `env` added; dies with the test (PR_SET_PDEATHSIG). */
static void proc_start(struct proc *p, const struct testns *ns, char *const argv[],
		       char *const env[])
{
	int fds[2];
	cr_assert_eq(pipe2(fds, O_CLOEXEC), 0);
	pid_t parent = getpid();
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent || testns_enter(ns) < 0)
			_exit(120);
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		for (size_t i = 0; env && env[i]; i++)
			putenv(env[i]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	p->pid = pid;
	p->out = fds[0];
	fcntl(p->out, F_SETFL, O_NONBLOCK);
}

/* Reads what `p` wrote so far; returns the read time (µs). */
static int64_t proc_drain(struct proc *p)
{
	ssize_t n;
	while (p->len < LOG_SIZE - 1 &&
	       (n = read(p->out, p->log + p->len, LOG_SIZE - 1 - p->len)) > 0)
		p->len += (size_t)n;
	p->log[p->len] = '\0';
	return clock_boot_ns() / 1000;
}

/* Waits until `p`'s output from offset `from` on contains `needle`; returns the time (µs) the
 * line was read, or -1 after `timeout_ms`. */
static int64_t proc_wait(struct proc *p, size_t from, const char *needle, int timeout_ms)
{
	int64_t end = clock_boot_ns() / 1000 + (int64_t)timeout_ms * 1000;
	for (;;) {
		int64_t now = proc_drain(p);
		if (from <= p->len && strstr(p->log + from, needle))
			return now;
		if (now >= end)
			return -1;
		struct pollfd pfd = {.fd = p->out, .events = POLLIN};
		poll(&pfd, 1, 2);
	}
}

static const char *bindir(void)
{
	static char dir[512];
	const char *build = getenv("UPSTREAM_BUILD");
	cr_assert(build, "UPSTREAM_BUILD is not set (ctest sets it: the pinned etcd)");
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "'%s' --print-bindir", build);
	FILE *f = popen(cmd, "r");
	cr_assert(f && fgets(dir, sizeof(dir), f), "%s printed no directory", build);
	pclose(f);
	dir[strcspn(dir, "\n")] = '\0';
	return dir;
}

static void start_etcd(void)
{
	char bin[600];
	snprintf(bin, sizeof(bin), "%s/etcd", bindir());
	cr_assert_eq(access(bin, X_OK), 0, "%s: %s (the upstream build makes it)", bin,
		     strerror(errno));
	snprintf(etcd_dir, sizeof(etcd_dir), "/tmp/vipd-conflict-etcd.XXXXXX");
	cr_assert(mkdtemp(etcd_dir), "%s", strerror(errno));
	char data[128];
	snprintf(data, sizeof(data), "%s/data", etcd_dir);
	char *argv[] = {bin,
			"--data-dir",
			data,
			"--listen-client-urls",
			"http://192.0.2.1:2379,http://127.0.0.1:2379",
			"--advertise-client-urls",
			"http://192.0.2.1:2379",
			"--listen-peer-urls",
			"http://127.0.0.1:2380",
			"--log-level",
			"warn",
			NULL};
	proc_start(&etcd, &lan.host[LEADER], argv, NULL);
	for (int i = 0; i < 100; i++) {
		if (testns_sh(&lan.host[LEADER],
			      "curl -sf -m 1 http://127.0.0.1:2379/health >/dev/null") == 0)
			return;
		usleep(100000);
	}
	proc_drain(&etcd);
	cr_assert_fail("etcd did not become healthy:\n%s", etcd.log);
}

static void start_vipd(struct proc *p, int host, const char *name)
{
	static char env[FOLLOWER + 1][10][96];
	const char *kv[] = {"vip_interface=eth0",
			    "address=" VIP,
			    "vip_arp=true",
			    "cp_enable=true",
			    "vip_leaderelection=true",
			    "vipd_etcd_endpoints=http://192.0.2.1:2379",
			    "prometheus_server=127.0.0.1:2112",
			    "vipd_health_gate=false", /* no apiserver here */
			    NULL};
	char *envp[12];
	size_t n = 0;
	for (; kv[n]; n++) {
		snprintf(env[host][n], sizeof(env[host][n]), "%s", kv[n]);
		envp[n] = env[host][n];
	}
	static char node[FOLLOWER + 1][64];
	snprintf(node[host], sizeof(node[host]), "vip_nodename=%s", name);
	envp[n++] = node[host];
	envp[n] = NULL;
	char *argv[] = {VIPD_BIN, "manager", NULL};
	proc_start(p, &lan.host[host], argv, envp);
}

/* The client's neighbour entry for the VIP, as a MAC; false when it has none. */
static bool client_neigh(uint8_t mac[6])
{
	char out[4096];
	if (testns_capture(&lan.host[CLIENT], out, sizeof(out), "ip -j neigh show %s dev eth0",
			   VIP) != 0)
		return false;
	json_t *root = json_loads(out, 0, NULL);
	const char *ll = json_string_value(json_object_get(json_array_get(root, 0), "lladdr"));
	unsigned m[6];
	bool ok =
	    ll && sscanf(ll, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) == 6;
	for (int i = 0; ok && i < 6; i++)
		mac[i] = (uint8_t)m[i];
	json_decref(root);
	return ok;
}

static unsigned long long metric(int host, const char *name)
{
	char out[64];
	cr_assert_eq(
	    testns_capture(&lan.host[host], out, sizeof(out),
			   "curl -sf -m 2 http://127.0.0.1:2112/metrics | sed -n \"s/^%s //p\"",
			   name),
	    0, "scraping %s", name);
	return strtoull(out, NULL, 10);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* The rogue's announcer: its socket lives in the rogue's namespace, the test sends on it. */
static void rogue_announcer(struct announcer *a)
{
	struct inet_prefix vip;
	struct nl_error err;
	inet_prefix_parse(VIP "/32", &vip, NULL, 0);
	cr_assert_eq(testns_sh(&lan.host[ROGUE], "ip addr add %s/32 dev eth0", VIP), 0);
	int saved = testns_enter(&lan.host[ROGUE]);
	cr_assert_geq(saved, 0);
	int r = announcer_open(a, (int)if_nametoindex("eth0"), lan.mac[ROGUE], &vip,
			       GARP_MODE_ALTERNATE, &err);
	testns_leave(saved);
	cr_assert_eq(r, 0, "%s", err.msg);
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
}

/* The rogue's burst, three frames 50 ms apart, from a child while the test reads the leader's
 * log; `*t0` is the time (µs) just before the first frame went out. */
static pid_t rogue_burst(struct announcer *a, int64_t *t0)
{
	int fds[2];
	cr_assert_eq(pipe(fds), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		close(fds[0]);
		struct nl_error err;
		for (int i = 0; i < 3; i++) {
			if (i)
				sleep_ms(50);
			int64_t now = clock_boot_ns() / 1000;
			if (announcer_send(a, &err) < 0)
				_exit(1);
			if (i == 0 && write(fds[1], &now, sizeof(now)) != sizeof(now))
				_exit(2);
		}
		_exit(0);
	}
	close(fds[1]);
	cr_assert_eq(read(fds[0], t0, sizeof(*t0)), (ssize_t)sizeof(*t0), "the rogue sent nothing");
	close(fds[0]);
	return pid;
}

Test(conflict, rogue_holder_is_caught_counted_and_answered, .init = setup, .fini = teardown,
     .timeout = 120)
{
	start_etcd();
	start_vipd(&leader, LEADER, "leader");
	cr_assert_geq(proc_wait(&leader, 0, "msg=\"VIP added\"", 15000), 0,
		      "the leader never added the VIP:\n%s", leader.log);
	start_vipd(&follower, FOLLOWER, "follower");
	cr_assert_geq(proc_wait(&follower, 0, "holder=\"leader\"", 15000), 0,
		      "the follower never saw the leader:\n%s", follower.log);
	cr_assert_eq(testns_sh(&lan.host[CLIENT], "ping -c1 -W2 %s >/dev/null", VIP), 0,
		     "the client cannot reach the VIP");
	uint8_t mac[6];
	cr_assert(client_neigh(mac) && !memcmp(mac, lan.mac[LEADER], 6),
		  "the client's entry does not point at the leader");

	char rogue_mac[18], want[64];
	conflict_mac_format(lan.mac[ROGUE], rogue_mac);
	snprintf(want, sizeof(want), "role=leader");
	struct announcer rogue;
	rogue_announcer(&rogue);
	int64_t delay[BURSTS];
	for (int b = 0; b < BURSTS; b++) {
		proc_drain(&leader);
		size_t from = leader.len;
		int64_t t0;
		pid_t child = rogue_burst(&rogue, &t0);
		char line[128];
		snprintf(line, sizeof(line), "mac=%s vip=%s", rogue_mac, VIP);
		int64_t seen = proc_wait(&leader, from, line, 1000);
		cr_assert_geq(seen, 0, "burst %d: no conflict logged:\n%s", b, leader.log + from);
		int status;
		waitpid(child, &status, 0);
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			  "the rogue's burst failed");
		cr_assert(strstr(leader.log + from, "level=error"), "an error line");
		delay[b] = seen - t0;
		cr_log_info("burst %d: conflict logged %lld us after the rogue's first frame", b,
			    (long long)delay[b]);
		cr_expect_lt(delay[b], 100000, "burst %d: logged after %lld us", b,
			     (long long)delay[b]);
		sleep_ms(300); /* the leader's answering burst (3 frames, 50 ms apart) is over */
		cr_assert(client_neigh(mac), "the client has no entry for the VIP");
		char got[18];
		cr_assert_arr_eq(mac, lan.mac[LEADER], 6,
				 "burst %d: the client's entry points at %s, not the leader", b,
				 conflict_mac_format(mac, got));
		sleep_ms(1200); /* past the per-MAC log interval */
	}
	announcer_close(&rogue);
	qsort(delay, BURSTS, sizeof(delay[0]), cmp_i64);
	cr_log_info("conflict detection delay over %d bursts: median %lld us, max %lld us", BURSTS,
		    (long long)delay[BURSTS / 2], (long long)delay[BURSTS - 1]);
	printf("conflict detection delay over %d bursts: median %lld us, max %lld us\n", BURSTS,
	       (long long)delay[BURSTS / 2], (long long)delay[BURSTS - 1]);
	fflush(stdout);

	unsigned long long on_leader = metric(LEADER, "vipd_vip_conflicts_total");
	cr_expect_geq(on_leader, 3 * BURSTS, "the leader counted %llu of %d rogue frames",
		      on_leader, 3 * BURSTS);
	unsigned long long on_follower = metric(FOLLOWER, "vipd_vip_conflicts_total");
	cr_expect_gt(on_follower, 0, "the follower counted nothing");
	proc_drain(&follower);
	cr_expect(strstr(follower.log, "msg=\"two hosts claim the VIP\"") &&
		      strstr(follower.log, rogue_mac),
		  "the follower logged no conflict:\n%s", follower.log);
	cr_expect_eq(
	    testns_sh(&lan.host[FOLLOWER], "ip -4 addr show dev eth0 | grep -q '%s/'", VIP), 1,
	    "the follower added the VIP");
	cr_log_info("counted: leader %llu, follower %llu", on_leader, on_follower);

	/* Both daemons stop cleanly (under the sanitizers: no leak, no error report). */
	struct proc *daemons[] = {&follower, &leader};
	for (int i = 0; i < 2; i++) {
		int status;
		kill(daemons[i]->pid, SIGTERM);
		cr_assert_eq(waitpid(daemons[i]->pid, &status, 0), daemons[i]->pid);
		daemons[i]->pid = -1;
		proc_drain(daemons[i]);
		cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "exit status %#x:\n%s",
			  status, daemons[i]->log);
	}
}
