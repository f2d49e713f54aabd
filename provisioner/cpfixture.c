/*
 * cpfixture — starts and stops a real control plane for tests: `up` stays in the foreground
 * holding the lab (so nothing outlives it: its children die with it, and it tears down when
 * its own parent dies or it is told to stop); `down`, `exec` and `logs` act on a running one
 * through the files in its directory.
 *
 *   cpfixture up   --dir D [--nodes N] [--controllers] [--kube-vip] [--kube-vip-env k=v]…
 *                  [--bindir B] [--subnet S] [--name NAME] [--port P] [--timeout S] [--keep]
 *   cpfixture down --dir D [--timeout S]
 *   cpfixture exec --dir D --node NAME|client|hub -- COMMAND [ARG…]
 *   cpfixture logs --dir D [--lines N]
 *   cpfixture state --dir D KEY [NODE]   (nodes, vip, version, subnet, port, bindir, supervisor;
 *                                         ip|pid NODE)
 *
 * Its state is a profile (profile.h) in D/config.json: the provisioner's format, with a
 * "holder" (this process, the upstream programs, the client namespace).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "controlplane.h"
#include "fsutil.h"
#include "profile.h"
#include "supervise.h"

/* Programs every control plane needs; the optional ones are checked when asked for. */
static const char *const programs[] = {"etcd", "etcdctl", "kube-apiserver", "kubeadm", "kubectl"};

static int check_program(const char *bindir, const char *name)
{
	char p[PATH_MAX];
	fs_path(p, sizeof(p), "%s/%s", bindir, name);
	if (access(p, X_OK) == 0)
		return 0;
	fprintf(stderr,
		"cpfixture up: upstream program %s: %s (build them: cmake --build build --target "
		"upstream)\n",
		p, strerror(errno));
	return -ENOENT;
}

static int usage(FILE *out, int code)
{
	fprintf(
	    out,
	    "usage: cpfixture up   --dir D [--nodes N] [--controllers] [--kube-vip]\n"
	    "                      [--kube-vip-env k=v]... [--bindir B] [--subnet S]\n"
	    "                      [--name NAME] [--port P] [--timeout S] [--keep]\n"
	    "       cpfixture down --dir D [--timeout S]\n"
	    "       cpfixture exec --dir D --node NAME|client|hub -- COMMAND [ARG...]\n"
	    "       cpfixture logs --dir D [--lines N]\n"
	    "       cpfixture state --dir D KEY [NODE]\n"
	    "--bindir defaults to $VIPD_UPSTREAM_BIN (see upstream/build.sh --print-bindir).\n");
	return code;
}

static int parse_uint(const char *what, const char *text, unsigned lo, unsigned hi, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(text, &end, 10);
	if (errno || end == text || *end || v < lo || v > hi) {
		fprintf(stderr, "cpfixture: %s \"%s\": want a number from %u to %u\n", what, text,
			lo, hi);
		return -EINVAL;
	}
	*out = (unsigned)v;
	return 0;
}

/* --- up ------------------------------------------------------------------------------------ */

struct up_ctx {
	int sigfd;
	bool stop;
};

static bool interrupted(void *vctx)
{
	struct up_ctx *ctx = vctx;
	struct signalfd_siginfo si;
	while (read(ctx->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		ctx->stop = true;
	return ctx->stop;
}

static int check_dir(const char *dir, char *abs)
{
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "cpfixture: --dir \"%s\": %s\n", dir, strerror(errno));
		return -errno;
	}
	if (!realpath(dir, abs)) {
		fprintf(stderr, "cpfixture: --dir \"%s\": %s\n", dir, strerror(errno));
		return -errno;
	}
	if (strlen(abs) > 200) {
		fprintf(stderr, "cpfixture: --dir \"%s\": longer than 200 characters\n", abs);
		return -ENAMETOOLONG;
	}
	char probe[PATH_MAX];
	fs_path(probe, sizeof(probe), "%s/config.json", abs);
	if (access(probe, F_OK) == 0) {
		fprintf(stderr, "cpfixture: --dir \"%s\" already holds a control plane\n", dir);
		return -EEXIST;
	}
	return 0;
}

static int cmd_up(int argc, char **argv)
{
	static const struct option opts[] = {{"dir", required_argument, 0, 'd'},
					     {"nodes", required_argument, 0, 'n'},
					     {"controllers", no_argument, 0, 'c'},
					     {"kube-vip", no_argument, 0, 'v'},
					     {"kube-vip-env", required_argument, 0, 'e'},
					     {"bindir", required_argument, 0, 'b'},
					     {"subnet", required_argument, 0, 's'},
					     {"name", required_argument, 0, 'N'},
					     {"port", required_argument, 0, 'p'},
					     {"timeout", required_argument, 0, 't'},
					     {"keep", no_argument, 0, 'k'},
					     {"help", no_argument, 0, 'h'},
					     {0, 0, 0, 0}};
	struct cp_options o = {
	    .nodes = 1,
	    .bindir = getenv("VIPD_UPSTREAM_BIN"),
	    .subnet = "192.0.2.0/24",
	    .name = "cp",
	    .port = 6443,
	    .timeout_s = 180,
	};
	const char *dir = NULL;
	bool keep = false;
	char *vip_env[32] = {0};
	size_t n_vip_env = 0;
	unsigned u;
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			dir = optarg;
			break;
		case 'n':
			if (parse_uint("--nodes", optarg, 1, LAB_MAX_NODES - 1, &o.nodes))
				return 2;
			break;
		case 'c':
			o.controllers = true;
			break;
		case 'v':
			o.kube_vip = true;
			break;
		case 'e':
			if (!strchr(optarg, '=') ||
			    n_vip_env + 1 >= sizeof(vip_env) / sizeof(*vip_env)) {
				fprintf(stderr,
					"cpfixture: --kube-vip-env \"%s\": want name=value\n",
					optarg);
				return 2;
			}
			vip_env[n_vip_env++] = optarg;
			break;
		case 'b':
			o.bindir = optarg;
			break;
		case 's':
			o.subnet = optarg;
			break;
		case 'N':
			o.name = optarg;
			break;
		case 'p':
			if (parse_uint("--port", optarg, 1, 65535, &o.port))
				return 2;
			break;
		case 't':
			if (parse_uint("--timeout", optarg, 1, 3600, &u))
				return 2;
			o.timeout_s = (int)u;
			break;
		case 'k':
			keep = true;
			break;
		case 'h':
			return usage(stdout, 0);
		default:
			return usage(stderr, 2);
		}
	}
	o.kube_vip_env = vip_env;
	if (!dir) {
		fprintf(stderr, "cpfixture up: --dir is required\n");
		return 2;
	}
	if (!o.bindir || !*o.bindir) {
		fprintf(stderr,
			"cpfixture up: no --bindir and VIPD_UPSTREAM_BIN is not set "
			"(upstream/build.sh builds the programs and prints the directory)\n");
		return 2;
	}
	struct lab plan;
	char why[160];
	if (lab_subnet_parse(&plan, o.subnet, why, sizeof(why))) {
		fprintf(stderr, "cpfixture up: --%s\n", why);
		return 2;
	}
	struct in_addr last;
	if (lab_addr(&plan, o.nodes + 1, &last)) { /* + the client namespace */
		fprintf(stderr, "cpfixture up: --subnet \"%s\" has no room for %u nodes\n",
			o.subnet, o.nodes);
		return 2;
	}
	size_t nlen = strlen(o.name);
	if (nlen == 0 || nlen > 40 ||
	    strspn(o.name, "abcdefghijklmnopqrstuvwxyz0123456789-") != nlen || o.name[0] == '-' ||
	    o.name[nlen - 1] == '-') {
		fprintf(stderr,
			"cpfixture up: --name \"%s\": want 1-40 of a-z, 0-9 and inner '-'\n",
			o.name);
		return 2;
	}
	for (size_t i = 0; i < sizeof(programs) / sizeof(*programs); i++)
		if (check_program(o.bindir, programs[i]))
			return 3;
	if ((o.controllers && (check_program(o.bindir, "kube-controller-manager") ||
			       check_program(o.bindir, "kube-scheduler"))) ||
	    (o.kube_vip && check_program(o.bindir, "kube-vip")))
		return 3;
	if (geteuid() != 0) {
		fprintf(stderr,
			"cpfixture up: needs root (it makes network and mount namespaces)\n");
		return 2;
	}
	char abs[PATH_MAX];
	if (check_dir(dir, abs))
		return 2;
	o.dir = abs;
	if (keep) {
		char p[PATH_MAX];
		fs_path(p, sizeof(p), "%s/.keep", abs);
		fs_printf(p, 0644, "kept by cpfixture up --keep\n");
	}

	/* Tear down when whoever started us dies, and on TERM/INT/HUP. */
	pid_t parent = getppid();
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent) {
		fprintf(stderr, "cpfixture up: parent already gone\n");
		return 1;
	}
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	struct up_ctx ctx = {.sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)};
	if (ctx.sigfd < 0) {
		perror("cpfixture up: signalfd");
		return 1;
	}
	o.interrupted = interrupted;
	o.ctx = &ctx;

	struct logger log = {.out = stdout, .level = LOG_INFO};
	static struct controlplane cp; /* large; one per process */
	int err = cp_up(&cp, &o, &log);
	int code = 0;
	if (err) {
		log_error(&log, "control plane did not come up", "error=\"%s\" dir=%s",
			  strerror(-err), abs);
		if (err != -EINTR)
			cp_print_logs(abs, 40, stderr);
		code = 1;
	} else {
		char p[PATH_MAX];
		fs_path(p, sizeof(p), "%s/ready", abs);
		fs_printf(p, 0644, "%d\n", (int)getpid());
		while (!interrupted(&ctx)) {
			struct pollfd pfd = {.fd = ctx.sigfd, .events = POLLIN};
			poll(&pfd, 1, 500);
			cp_poll(&cp);
		}
		log_info(&log, "stopping", "dir=%s", abs);
	}
	int64_t t0 = clock_boot_ns();
	cp_down(&cp);
	size_t left = 0;
	for (size_t i = 0; i < cp.sv.n; i++)
		left += cp.sv.procs[i].running;
	if (!keep) {
		int rerr = fs_rmtree(abs);
		if (rerr)
			log_warn(&log, "could not remove dir", "dir=%s error=\"%s\"", abs,
				 strerror(-rerr));
	}
	log_info(&log, "torn down", "processes=%zu still_running=%zu seconds=%.2f kept=%s", cp.sv.n,
		 left, clock_elapsed_s(t0), keep ? abs : "no");
	return left ? 1 : code;
}

/* --- reading a running fixture's state (its profile, D/config.json) ------------------------ */

static struct profile fixture; /* large: not on the stack */

static int load_state(const char *cmd, const char *dir)
{
	char why[512];
	int err = profile_load_dir(dir, &fixture, why, sizeof(why));
	if (err && err != -ENOENT)
		fprintf(stderr, "cpfixture %s: %s\n", cmd, why);
	else if (!err && !fixture.holder.pid) {
		fprintf(stderr, "cpfixture %s: %s/config.json is not a fixture's (no holder)\n",
			cmd, dir);
		err = -EINVAL;
	}
	return err;
}

static bool supervisor_alive(void)
{
	return sv_proc_alive(fixture.holder.pid, fixture.holder.start);
}

/* The process holding `node`'s namespaces: a node, "client", or "hub" (the supervisor). */
static pid_t holder_of(const char *node)
{
	if (!strcmp(node, "hub"))
		return fixture.holder.pid;
	if (!strcmp(node, "client"))
		return fixture.holder.client_pid;
	const struct profile_node *n = profile_node_find(&fixture, node);
	return n ? n->init_pid : 0;
}

static int cmd_down(int argc, char **argv)
{
	static const struct option opts[] = {{"dir", required_argument, 0, 'd'},
					     {"timeout", required_argument, 0, 't'},
					     {0, 0, 0, 0}};
	const char *dir = NULL;
	unsigned timeout = 60;
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'd')
			dir = optarg;
		else if (c == 't') {
			if (parse_uint("--timeout", optarg, 1, 3600, &timeout))
				return 2;
		} else
			return usage(stderr, 2);
	}
	if (!dir)
		return usage(stderr, 2);
	int err = load_state("down", dir);
	if (err == -ENOENT) {
		fprintf(stderr, "cpfixture down: no control plane in %s (nothing to do)\n", dir);
		return 0;
	}
	if (err)
		return 1;
	pid_t sup = fixture.holder.pid;
	if (supervisor_alive()) {
		kill(sup, SIGTERM);
		for (unsigned waited = 0; supervisor_alive() && waited < timeout * 10; waited++)
			usleep(100000);
		if (supervisor_alive()) {
			/* Its children die with it (PR_SET_PDEATHSIG). */
			fprintf(stderr,
				"cpfixture down: supervisor %d still there after %us, killing\n",
				(int)sup, timeout);
			kill(sup, SIGKILL);
			for (unsigned w = 0; supervisor_alive() && w < 100; w++)
				usleep(100000);
		}
	}
	if (supervisor_alive()) {
		fprintf(stderr, "cpfixture down: supervisor %d would not die\n", (int)sup);
		return 1;
	}
	/* The supervisor removes the dir itself unless --keep; one that was killed could not. */
	char path[PATH_MAX];
	fs_path(path, sizeof(path), "%s/.keep", dir);
	if (access(path, F_OK) < 0) {
		fs_path(path, sizeof(path), "%s/config.json", dir);
		if (access(path, F_OK) == 0 && (err = fs_rmtree(dir)))
			fprintf(stderr, "cpfixture down: removing %s: %s\n", dir, strerror(-err));
	}
	return err ? 1 : 0;
}

static int cmd_exec(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"dir", required_argument, 0, 'd'}, {"node", required_argument, 0, 'n'}, {0, 0, 0, 0}};
	const char *dir = NULL, *node = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (c == 'd')
			dir = optarg;
		else if (c == 'n')
			node = optarg;
		else
			return usage(stderr, 2);
	}
	if (!dir || !node || optind >= argc)
		return usage(stderr, 2);
	int err = load_state("exec", dir);
	if (err) {
		if (err == -ENOENT)
			fprintf(stderr, "cpfixture exec: no control plane in %s\n", dir);
		return 2;
	}
	pid_t pid = holder_of(node);
	if (!pid) {
		fprintf(stderr, "cpfixture exec: --node \"%s\": no such node in %s/config.json\n",
			node, dir);
		return 2;
	}
	if (!supervisor_alive()) {
		fprintf(stderr, "cpfixture exec: the control plane in %s is not running\n", dir);
		return 2;
	}
	if ((err = sv_enter_namespaces(pid))) {
		fprintf(stderr, "cpfixture exec: entering namespaces of pid %d: %s\n", (int)pid,
			strerror(-err));
		return 2;
	}
	const char *path = getenv("PATH");
	char newpath[2 * PATH_MAX];
	fs_path(newpath, sizeof(newpath), "%s:%s", fixture.holder.bindir,
		path ? path : "/usr/bin:/bin");
	setenv("PATH", newpath, 1);
	execvp(argv[optind], &argv[optind]);
	fprintf(stderr, "cpfixture exec: %s: %s\n", argv[optind], strerror(errno));
	return 127;
}

/* One value of a running fixture, for the test scripts (they never parse the file). */
static int print_field(const char *key, const char *node)
{
	const struct profile *p = &fixture;
	const struct profile_node *n = node ? profile_node_find(&fixture, node) : NULL;
	if (node && strcmp(node, "client") && !n) {
		fprintf(stderr, "cpfixture state: no node \"%s\"\n", node);
		return 2;
	}
	if (node && !strcmp(key, "ip"))
		printf("%s\n", n ? n->ip : p->holder.client_ip);
	else if (node && !strcmp(key, "pid"))
		printf("%d\n", (int)holder_of(node));
	else if (!node && !strcmp(key, "nodes"))
		for (size_t i = 0; i < p->n_nodes; i++)
			printf("%s\n", p->nodes[i].name);
	else if (!node && !strcmp(key, "vip"))
		printf("%s\n", p->vip);
	else if (!node && !strcmp(key, "version"))
		printf("%s\n", p->k8s_version);
	else if (!node && !strcmp(key, "subnet"))
		printf("%s\n", p->subnet);
	else if (!node && !strcmp(key, "gateway"))
		printf("%s\n", p->gateway);
	else if (!node && !strcmp(key, "port"))
		printf("%u\n", p->apiserver_port);
	else if (!node && !strcmp(key, "bindir"))
		printf("%s\n", p->holder.bindir);
	else if (!node && !strcmp(key, "supervisor"))
		printf("%d\n", (int)p->holder.pid);
	else {
		fprintf(stderr,
			"cpfixture state: key \"%s\"%s: want nodes, vip, version, subnet, gateway, "
			"port, bindir, supervisor, or ip|pid with a NODE\n",
			key, node ? " with a NODE" : "");
		return 2;
	}
	return 0;
}

static int cmd_state(int argc, char **argv)
{
	static const struct option opts[] = {{"dir", required_argument, 0, 'd'}, {0, 0, 0, 0}};
	const char *dir = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'd')
			return usage(stderr, 2);
		dir = optarg;
	}
	if (!dir || optind >= argc || argc - optind > 2)
		return usage(stderr, 2);
	int err = load_state("state", dir);
	if (err == -ENOENT)
		fprintf(stderr, "cpfixture state: no control plane in %s\n", dir);
	if (err)
		return 2;
	return print_field(argv[optind], argc - optind == 2 ? argv[optind + 1] : NULL);
}

static int cmd_logs(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"dir", required_argument, 0, 'd'}, {"lines", required_argument, 0, 'l'}, {0, 0, 0, 0}};
	const char *dir = NULL;
	unsigned lines = 50;
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'd')
			dir = optarg;
		else if (c == 'l') {
			if (parse_uint("--lines", optarg, 1, 100000, &lines))
				return 2;
		} else
			return usage(stderr, 2);
	}
	if (!dir)
		return usage(stderr, 2);
	cp_print_logs(dir, lines, stdout);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage(stderr, 2);
	const char *cmd = argv[1];
	argc--;
	argv++;
	if (!strcmp(cmd, "up"))
		return cmd_up(argc, argv);
	if (!strcmp(cmd, "down"))
		return cmd_down(argc, argv);
	if (!strcmp(cmd, "exec"))
		return cmd_exec(argc, argv);
	if (!strcmp(cmd, "logs"))
		return cmd_logs(argc, argv);
	if (!strcmp(cmd, "state"))
		return cmd_state(argc, argv);
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help"))
		return usage(stdout, 0);
	fprintf(stderr, "cpfixture: unknown command \"%s\" (want up, down, exec, state or logs)\n",
		cmd);
	return 2;
}
