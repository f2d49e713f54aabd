/*
 * nodefixture — real Kubernetes nodes for tests, joined to a running `cpfixture` control plane:
 * `up` enters the control plane's lab (its hub namespaces), adds node namespaces to the same
 * bridge, builds and imports the images, starts each node (containerd + kubelet), routes pod
 * CIDRs between the nodes, waits until the apiserver says Ready, then stays in the foreground
 * restarting kubelets and tears everything down on SIGTERM/SIGINT or when its parent dies.
 *
 *   nodefixture up   --cp D --dir W --node NAME:INDEX:POD_CIDR [--node …] --pause-bin P
 *                    --httpd-bin H [--image-cache C] [--kubeadm-images] [--timeout S]
 *   nodefixture down --dir W [--timeout S]
 *   nodefixture exec --dir W --node NAME -- COMMAND [ARG…]
 *
 * Files: W/state ("supervisor PID", "node NAME IP HOLDER POD_CIDR CGROUP_ROOT READY_SECONDS"),
 * W/ready once every node is Ready, W/stats (RSS of each node's containerd and kubelet, kubelet
 * restarts; rewritten every 2 s), W/nodes/<name>/… (see node.h).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <net/if.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fsutil.h"
#include "images.h"
#include "lab.h"
#include "node.h"
#include "supervise.h"

#define MAX_NODES 8

static int usage(FILE *out, int code)
{
	fprintf(
	    out,
	    "usage: nodefixture up   --cp D --dir W --node NAME:INDEX:POD_CIDR [--node ...]\n"
	    "                        --pause-bin P --httpd-bin H [--image-cache C]\n"
	    "                        [--kubeadm-images] [--timeout S]\n"
	    "       nodefixture down --dir W [--timeout S]\n"
	    "       nodefixture exec --dir W --node NAME -- COMMAND [ARG...]\n"
	    "D is a running `cpfixture up` directory; INDEX places the node at gateway+INDEX.\n");
	return code;
}

struct want_node {
	char name[64];
	unsigned index;
	char cidr[32];
};

static int parse_node(const char *text, struct want_node *w)
{
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", text);
	char *c1 = strchr(buf, ':');
	char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	char *end = NULL;
	unsigned long idx = c1 ? strtoul(c1 + 1, &end, 10) : 0;
	struct in_addr a;
	char net[32] = "";
	if (c2)
		snprintf(net, sizeof(net), "%s", c2 + 1);
	char *slash = strchr(net, '/');
	if (slash)
		*slash = '\0';
	size_t nlen = c1 ? (size_t)(c1 - buf) : 0;
	char *pend = NULL;
	long prefix = slash ? strtol(slash + 1, &pend, 10) : -1;
	bool net_ok = slash && pend && *pend == '\0' && prefix >= 16 && prefix <= 28 &&
		      inet_pton(AF_INET, net, &a) == 1 &&
		      (ntohl(a.s_addr) & ~(~0u << (32 - prefix))) == 0;
	if (!c1 || !c2 || nlen == 0 || nlen > 40 || end != c2 || idx < 2 || idx > 250 || !net_ok) {
		fprintf(
		    stderr,
		    "nodefixture: --node \"%s\": want NAME:INDEX:POD_CIDR, e.g. "
		    "w1:10:10.244.1.0/24 (INDEX 2..250, a network address with prefix /16../28)\n",
		    text);
		return -EINVAL;
	}
	*c1 = '\0';
	for (const char *p = buf; *p; p++)
		if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '-') {
			fprintf(stderr,
				"nodefixture: --node \"%s\": name \"%s\" wants a-z, 0-9, '-'\n",
				text, buf);
			return -EINVAL;
		}
	snprintf(w->name, sizeof(w->name), "%.40s", buf);
	w->index = (unsigned)idx;
	snprintf(w->cidr, sizeof(w->cidr), "%s", c2 + 1);
	return 0;
}

/* The control plane's state file: the values we need from it. */
struct cp_state {
	pid_t supervisor;
	char version[32], bindir[PATH_MAX], subnet[64];
	unsigned port;
	char first_name[64], first_ip[INET_ADDRSTRLEN];
	char hosts[2048];
};

static int read_cp_state(const char *dir, struct cp_state *st)
{
	char path[PATH_MAX], line[PATH_MAX + 64];
	memset(st, 0, sizeof(*st));
	fs_path(path, sizeof(path), "%s/state", dir);
	FILE *f = fopen(path, "re");
	if (!f) {
		fprintf(stderr, "nodefixture: --cp \"%s\": %s: %s\n", dir, path, strerror(errno));
		return -errno;
	}
	while (fgets(line, sizeof(line), f)) {
		char k[32], v1[64], v2[INET_ADDRSTRLEN];
		int pid;
		if (sscanf(line, "supervisor %d", &pid) == 1)
			st->supervisor = pid;
		else if (sscanf(line, "version %31s", st->version) == 1)
			;
		else if (sscanf(line, "bindir %4095s", st->bindir) == 1)
			;
		else if (sscanf(line, "subnet %63s", st->subnet) == 1)
			;
		else if (sscanf(line, "port %u", &st->port) == 1)
			;
		else if (sscanf(line, "%31s %63s %15s", k, v1, v2) == 3 &&
			 (!strcmp(k, "node") || !strcmp(k, "client"))) {
			if (!strcmp(k, "node") && !st->first_name[0]) {
				snprintf(st->first_name, sizeof(st->first_name), "%s", v1);
				snprintf(st->first_ip, sizeof(st->first_ip), "%s", v2);
			}
			size_t l = strlen(st->hosts);
			snprintf(st->hosts + l, sizeof(st->hosts) - l, "%s\t%s\n", v2, v1);
		}
	}
	fclose(f);
	if (!st->supervisor || !st->version[0] || !st->bindir[0] || !st->subnet[0] ||
	    !st->first_name[0]) {
		fprintf(stderr, "nodefixture: --cp \"%s\": %s is incomplete\n", dir, path);
		return -EINVAL;
	}
	if (kill(st->supervisor, 0) < 0) {
		fprintf(stderr, "nodefixture: --cp \"%s\": its supervisor %d is not running\n", dir,
			(int)st->supervisor);
		return -ESRCH;
	}
	return 0;
}

/* kubeadm makes the kubelet's identity: a client certificate for system:node:<name> in
 * system:nodes, signed by the cluster CA, in a kubeconfig pointing at the first apiserver. */
static int make_kubeconfig(const char *cp_dir, const struct cp_state *st, const char *work,
			   const char *name, char *out, size_t out_len, const struct logger *log)
{
	char cfg[PATH_MAX], logp[PATH_MAX], client[128];
	fs_path(cfg, sizeof(cfg), "%s/kubeadm-%s.yaml", work, name);
	int err = fs_printf(cfg, 0600,
			    "apiVersion: kubeadm.k8s.io/v1beta4\n"
			    "kind: ClusterConfiguration\n"
			    "kubernetesVersion: \"%s\"\n"
			    "clusterName: kubernetes\n"
			    "certificatesDir: \"%s/pki\"\n"
			    "controlPlaneEndpoint: \"%s:%u\"\n",
			    st->version, cp_dir, st->first_ip, st->port);
	if (err)
		return err;
	fs_path(out, out_len, "%s/kubelet-%s.conf", work, name);
	fs_path(logp, sizeof(logp), "%s/kubeadm-%s.log", work, name);
	snprintf(client, sizeof(client), "--client-name=system:node:%s", name);
	char kubeadm[PATH_MAX];
	fs_path(kubeadm, sizeof(kubeadm), "%s/kubeadm", st->bindir);
	/* kubeadm prints the kubeconfig on stdout: a shell sends it to the file. */
	char script[3 * PATH_MAX];
	snprintf(script, sizeof(script),
		 "%s kubeconfig user --config %s %s --org=system:nodes > %s.tmp && mv %s.tmp %s",
		 kubeadm, cfg, client, out, out, out);
	char *argv[] = {"/bin/sh", "-c", script, NULL};
	struct sv_spec spec = {.name = "kubeadm", .argv = argv, .log_path = logp};
	if ((err = sv_run(&spec, 60000, NULL)))
		log_error(log, "kubeadm kubeconfig user failed", "node=%s log=%s", name, logp);
	return err;
}

/* The node's Ready condition as the apiserver reports it ("True", "False", "" if unknown). */
static void node_ready(const char *kubectl, const char *admin, const char *name, const char *work,
		       char *out, size_t len)
{
	char outp[PATH_MAX];
	fs_path(outp, sizeof(outp), "%s/ready-%s.out", work, name);
	char *argv[] = {(char *)kubectl,
			"--kubeconfig",
			(char *)admin,
			"get",
			"node",
			(char *)name,
			"-o",
			"jsonpath={.status.conditions[?(@.type==\"Ready\")].status}",
			NULL};
	struct sv_spec spec = {.name = "kubectl", .argv = argv, .log_path = outp};
	unlink(outp);
	out[0] = '\0';
	if (sv_run(&spec, 10000, NULL) != 0)
		return;
	FILE *f = fopen(outp, "re");
	if (f) {
		if (!fgets(out, (int)len, f))
			out[0] = '\0';
		fclose(f);
	}
	out[strcspn(out, "\r\n")] = '\0';
}

/* A Node object left by an earlier node of the same name would look Ready at once: delete it
 * so "Ready" is this kubelet's word. */
static void delete_stale_node(const char *kubectl, const char *admin, const char *name,
			      const char *work)
{
	char outp[PATH_MAX];
	fs_path(outp, sizeof(outp), "%s/delete-%s.out", work, name);
	char *argv[] = {(char *)kubectl, "--kubeconfig", (char *)admin,	       "delete",
			"node",		 (char *)name,	 "--ignore-not-found", NULL};
	struct sv_spec spec = {.name = "kubectl", .argv = argv, .log_path = outp};
	sv_run(&spec, 20000, NULL);
}

/* Shims and containers re-parent to us (a subreaper) when their parents exit: collect the
 * ones the supervisor does not know, so none stays a zombie. */
static void reap_orphans(const struct supervisor *sv)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)getpid());
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	long pid;
	pid_t found[256];
	size_t n = 0;
	while (n < 256 && fscanf(f, "%ld", &pid) == 1)
		found[n++] = (pid_t)pid;
	fclose(f);
	for (size_t i = 0; i < n; i++) {
		bool known = false;
		for (size_t j = 0; j < sv->n && !known; j++)
			known = sv->procs[j].pid == found[i];
		if (!known)
			waitpid(found[i], NULL, WNOHANG);
	}
}

struct fixture {
	struct supervisor sv;
	struct lab lab;
	struct node nodes[MAX_NODES];
	struct want_node want[MAX_NODES];
	size_t n_want, n_started;
	double ready_s[MAX_NODES];
	char dir[PATH_MAX];
	struct logger log;
};

static int write_state(struct fixture *fx, bool with_ready)
{
	char text[4096], ip[INET_ADDRSTRLEN], path[PATH_MAX];
	size_t len = (size_t)snprintf(text, sizeof(text), "supervisor %d\n", (int)getpid());
	for (size_t i = 0; i < fx->n_started && len < sizeof(text); i++) {
		const struct node *n = &fx->nodes[i];
		inet_ntop(AF_INET, &n->cfg.ln->addr, ip, sizeof(ip));
		len +=
		    (size_t)snprintf(text + len, sizeof(text) - len, "node %s %s %d %s %s %.2f\n",
				     n->cfg.ln->name, ip, (int)n->cfg.ln->holder, n->cfg.pod_cidr,
				     n->cfg.cgroup_root, with_ready ? fx->ready_s[i] : -1.0);
	}
	fs_path(path, sizeof(path), "%s/state", fx->dir);
	return fs_printf(path, 0644, "%s", text);
}

static void write_stats(struct fixture *fx)
{
	char text[2048] = "", path[PATH_MAX];
	size_t len = 0;
	for (size_t i = 0; i < fx->n_started; i++) {
		long c, k;
		node_rss(&fx->nodes[i], &c, &k);
		len += (size_t)snprintf(text + len, sizeof(text) - len,
					"node %s containerd_rss_kib %ld kubelet_rss_kib %ld "
					"kubelet_restarts %u\n",
					fx->nodes[i].cfg.ln->name, c, k,
					fx->nodes[i].kubelet_restarts);
	}
	fs_path(path, sizeof(path), "%s/stats", fx->dir);
	fs_printf(path, 0644, "%s", text);
}

static bool stop_requested(int sigfd)
{
	struct signalfd_siginfo si;
	bool stop = false;
	while (read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		stop = true;
	return stop;
}

static void teardown(struct fixture *fx)
{
	for (size_t i = fx->n_started; i-- > 0;)
		node_stop(&fx->nodes[i]);
	sv_stop_all(&fx->sv, 5000);
	reap_orphans(&fx->sv);
	/* The kernel destroys a network namespace (and with it the node's veth pair) in a work
	 * queue after its last process is gone: wait for the hub's ends, so `down` returning
	 * means nothing is left. */
	int64_t t0 = clock_boot_ns();
	for (size_t i = 0; i < fx->lab.n_nodes; i++) {
		char veth[IF_NAMESIZE];
		snprintf(veth, sizeof(veth), "veth%u", fx->lab.nodes[i].index);
		while (if_nametoindex(veth) != 0 && clock_elapsed_s(t0) < 30)
			usleep(50000);
		if (if_nametoindex(veth) != 0)
			log_warn(&fx->log, "link still present", "link=%s seconds=%.1f", veth,
				 clock_elapsed_s(t0));
	}
	log_info(&fx->log, "node links gone", "seconds=%.2f", clock_elapsed_s(t0));
	char path[PATH_MAX];
	fs_path(path, sizeof(path), "%s/ready", fx->dir);
	unlink(path);
	log_info(&fx->log, "nodes stopped", "nodes=%zu", fx->n_started);
}

static int cmd_up(int argc, char **argv)
{
	static const struct option opts[] = {{"cp", required_argument, 0, 'c'},
					     {"dir", required_argument, 0, 'd'},
					     {"node", required_argument, 0, 'n'},
					     {"pause-bin", required_argument, 0, 'p'},
					     {"httpd-bin", required_argument, 0, 'H'},
					     {"image-cache", required_argument, 0, 'i'},
					     {"kubeadm-images", no_argument, 0, 'k'},
					     {"timeout", required_argument, 0, 't'},
					     {"help", no_argument, 0, 'h'},
					     {0, 0, 0, 0}};
	static struct fixture fx; /* large: not on the stack */
	const char *cp_dir = NULL, *dir = NULL, *pause_bin = NULL, *httpd_bin = NULL,
		   *image_cache = NULL;
	bool kubeadm_images = false;
	long timeout = 300;
	int c;
	fx.log = (struct logger){.out = stderr, .level = LOG_INFO};
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			cp_dir = optarg;
			break;
		case 'd':
			dir = optarg;
			break;
		case 'n':
			if (fx.n_want == MAX_NODES) {
				fprintf(stderr, "nodefixture: at most %d --node\n", MAX_NODES);
				return 2;
			}
			if (parse_node(optarg, &fx.want[fx.n_want]))
				return 2;
			fx.n_want++;
			break;
		case 'p':
			pause_bin = optarg;
			break;
		case 'H':
			httpd_bin = optarg;
			break;
		case 'i':
			image_cache = optarg;
			break;
		case 'k':
			kubeadm_images = true;
			break;
		case 't': {
			char *end;
			timeout = strtol(optarg, &end, 10);
			if (*end || end == optarg || timeout < 1 || timeout > 3600) {
				fprintf(stderr,
					"nodefixture: --timeout \"%s\": want 1..3600 seconds\n",
					optarg);
				return 2;
			}
			break;
		}
		case 'h':
			return usage(stdout, 0);
		default:
			return usage(stderr, 2);
		}
	}
	if (!cp_dir || !dir || !fx.n_want || !pause_bin || !httpd_bin) {
		fprintf(stderr,
			"nodefixture up: --cp, --dir, --node, --pause-bin and --httpd-bin are "
			"required\n");
		return 2;
	}
	const char *bins[] = {pause_bin, httpd_bin};
	for (size_t i = 0; i < 2; i++)
		if (access(bins[i], R_OK) < 0) {
			fprintf(stderr, "nodefixture up: program \"%s\": %s\n", bins[i],
				strerror(errno));
			return 2;
		}
	char cp_abs[PATH_MAX];
	if (!realpath(cp_dir, cp_abs)) {
		fprintf(stderr, "nodefixture up: --cp \"%s\": %s\n", cp_dir, strerror(errno));
		return 2;
	}
	struct cp_state st;
	if (read_cp_state(cp_abs, &st))
		return 2;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "nodefixture up: --dir \"%s\": %s\n", dir, strerror(errno));
		return 2;
	}
	if (!realpath(dir, fx.dir) || strlen(fx.dir) > 150) {
		fprintf(stderr,
			"nodefixture up: --dir \"%s\": unusable (missing or longer than 150)\n",
			dir);
		return 2;
	}
	char path[PATH_MAX];
	fs_path(path, sizeof(path), "%s/state", fx.dir);
	if (access(path, F_OK) == 0) {
		fprintf(stderr, "nodefixture up: --dir \"%s\" already holds nodes\n", dir);
		return 2;
	}
	for (size_t i = 0; i < fx.n_want; i++)
		for (size_t j = 0; j < i; j++)
			if (!strcmp(fx.want[i].name, fx.want[j].name) ||
			    fx.want[i].index == fx.want[j].index) {
				fprintf(stderr,
					"nodefixture up: --node \"%s\": name or index used twice\n",
					fx.want[i].name);
				return 2;
			}

	/* Die with the test; let orphaned shims come to us. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	int sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	sv_init(&fx.sv, &fx.log);
	int rc = 1, err;
	int64_t t0 = clock_boot_ns();

	/* Images first (outside the lab: only files). */
	char img_dir[PATH_MAX];
	if (image_cache)
		snprintf(img_dir, sizeof(img_dir), "%s", image_cache);
	else
		fs_path(img_dir, sizeof(img_dir), "%s/images", fx.dir);
	if ((err = fs_mkdirs(img_dir, 0755))) {
		fprintf(stderr, "nodefixture up: image dir \"%s\": %s\n", img_dir, strerror(-err));
		return 2;
	}
	static struct node_images imgs;
	struct node_images_options io = {.bindir = st.bindir,
					 .k8s_version = st.version,
					 .pause_bin = pause_bin,
					 .httpd_bin = httpd_bin,
					 .out_dir = img_dir,
					 .kubeadm_images = kubeadm_images,
					 .log = &fx.log};
	if (node_images_build(&io, &imgs))
		return 1;

	/* Into the control plane's hub: our node namespaces join its bridge. */
	if ((err = sv_enter_namespaces(st.supervisor))) {
		log_error(&fx.log, "cannot enter the control plane's lab", "pid=%d error=\"%s\"",
			  (int)st.supervisor, strerror(-err));
		return 1;
	}
	char why[256];
	if (lab_subnet_parse(&fx.lab, st.subnet, why, sizeof(why))) {
		log_error(&fx.log, "bad subnet in the control plane state", "reason=\"%s\"", why);
		return 1;
	}
	snprintf(fx.lab.dir, sizeof(fx.lab.dir), "%s", fx.dir);
	fx.lab.sv = &fx.sv;
	fx.lab.log = &fx.log;
	char hosts[4096], ip[INET_ADDRSTRLEN];
	snprintf(hosts, sizeof(hosts), "%s", st.hosts);
	for (size_t i = 0; i < fx.n_want; i++) {
		struct in_addr a;
		if (lab_addr(&fx.lab, fx.want[i].index, &a)) {
			log_error(&fx.log, "node index outside the subnet",
				  "node=%s index=%u subnet=%s", fx.want[i].name, fx.want[i].index,
				  st.subnet);
			return 2;
		}
		/* hosts lines are "address\tname\n": look for "\naddress\t" in "\n" + hosts. */
		char taken[INET_ADDRSTRLEN + 3], lines[sizeof(st.hosts) + 2];
		snprintf(taken, sizeof(taken), "\n%s\t", inet_ntop(AF_INET, &a, ip, sizeof(ip)));
		snprintf(lines, sizeof(lines), "\n%s", st.hosts);
		if (strstr(lines, taken)) {
			log_error(&fx.log, "node index is taken by the control plane",
				  "node=%s index=%u address=%s", fx.want[i].name, fx.want[i].index,
				  ip);
			return 2;
		}
		size_t l = strlen(hosts);
		snprintf(hosts + l, sizeof(hosts) - l, "%s\t%s\n",
			 inet_ntop(AF_INET, &a, ip, sizeof(ip)), fx.want[i].name);
	}

	char kubectl[PATH_MAX], admin[PATH_MAX];
	fs_path(kubectl, sizeof(kubectl), "%s/kubectl", st.bindir);
	fs_path(admin, sizeof(admin), "%s/nodes/%s/etc/kubernetes/admin.conf", cp_abs,
		st.first_name);
	char ca[PATH_MAX];
	fs_path(ca, sizeof(ca), "%s/pki/ca.crt", cp_abs);
	static char kubeconfigs[MAX_NODES][PATH_MAX], roots[MAX_NODES][96];
	int64_t started[MAX_NODES];
	for (size_t i = 0; i < fx.n_want; i++) {
		const struct want_node *w = &fx.want[i];
		struct lab_node *ln;
		delete_stale_node(kubectl, admin, w->name, fx.dir);
		started[i] = clock_boot_ns();
		if ((err = lab_add_node(&fx.lab, w->name, w->index, hosts, &ln)) ||
		    (err = make_kubeconfig(cp_abs, &st, fx.dir, w->name, kubeconfigs[i],
					   sizeof(kubeconfigs[i]), &fx.log)))
			goto out;
		snprintf(roots[i], sizeof(roots[i]), "/vipd-%s-%d", w->name, (int)getpid());
		struct node_config cfg = {
		    .ln = ln,
		    .bindir = st.bindir,
		    .kubeconfig = kubeconfigs[i],
		    .ca_crt = ca,
		    .pod_cidr = w->cidr,
		    .sandbox_image = imgs.pause_name,
		    .cgroup_root = roots[i],
		    .timeout_s = (int)timeout,
		};
		for (size_t j = 0; j < imgs.n && j + 1 < NODE_MAX_IMAGES; j++)
			cfg.images[j] = imgs.archives[j];
		fx.n_started++;
		if ((err = node_start(&fx.nodes[i], &fx.sv, &cfg, &fx.log)))
			goto out;
		write_state(&fx, false);
		if (stop_requested(sigfd))
			goto out;
	}
	/* Pod CIDRs: every node routes every other node's pod CIDR via that node's address. */
	for (size_t i = 0; i < fx.n_started; i++)
		for (size_t j = 0; j < fx.n_started; j++) {
			if (i == j)
				continue;
			inet_ntop(AF_INET, &fx.nodes[j].cfg.ln->addr, ip, sizeof(ip));
			const char *args[] = {"route", "add", fx.want[j].cidr, "via", ip, NULL};
			if ((err = lab_ip(&fx.lab, fx.nodes[i].cfg.ln, args)))
				goto out;
		}

	/* Ready as the apiserver sees it. */
	size_t ready = 0;
	bool is_ready[MAX_NODES] = {0};
	while (ready < fx.n_started) {
		sv_reap(&fx.sv);
		reap_orphans(&fx.sv);
		for (size_t i = 0; i < fx.n_started; i++) {
			if ((err = node_poll(&fx.nodes[i]))) {
				log_error(&fx.log, "containerd died", "node=%s", fx.want[i].name);
				goto out;
			}
			if (is_ready[i])
				continue;
			char status[16];
			node_ready(kubectl, admin, fx.want[i].name, fx.dir, status, sizeof(status));
			if (!strcmp(status, "True")) {
				is_ready[i] = true;
				ready++;
				fx.ready_s[i] = clock_elapsed_s(started[i]);
				log_info(&fx.log, "node Ready", "node=%s seconds_from_start=%.2f",
					 fx.want[i].name, fx.ready_s[i]);
			}
		}
		if (stop_requested(sigfd))
			goto out;
		if (clock_elapsed_s(t0) > timeout) {
			log_error(&fx.log, "nodes not Ready in time", "timeout=%lds", timeout);
			goto out;
		}
		usleep(300000);
	}
	write_state(&fx, true);
	write_stats(&fx);
	fs_path(path, sizeof(path), "%s/ready", fx.dir);
	fs_printf(path, 0644, "%.2f\n", clock_elapsed_s(t0));
	log_info(&fx.log, "nodes ready", "nodes=%zu seconds=%.2f", fx.n_started,
		 clock_elapsed_s(t0));

	int64_t last_stats = clock_boot_ns();
	for (;;) {
		if (stop_requested(sigfd))
			break;
		sv_reap(&fx.sv);
		reap_orphans(&fx.sv);
		for (size_t i = 0; i < fx.n_started; i++)
			if (node_poll(&fx.nodes[i]))
				log_error(&fx.log, "containerd died", "node=%s", fx.want[i].name);
		if (clock_elapsed_s(last_stats) >= 2) {
			write_stats(&fx);
			last_stats = clock_boot_ns();
		}
		usleep(200000);
	}
	rc = 0;
out:
	teardown(&fx);
	return rc;
}

/* Reads W/state: our supervisor, and a node's namespace holder when name is given. */
static int read_state(const char *dir, const char *name, pid_t *sup, pid_t *holder)
{
	char path[PATH_MAX], line[512];
	fs_path(path, sizeof(path), "%s/state", dir);
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	*sup = 0;
	if (holder)
		*holder = 0;
	while (fgets(line, sizeof(line), f)) {
		char n[64], ip[64];
		int pid;
		if (sscanf(line, "supervisor %d", &pid) == 1)
			*sup = pid;
		else if (holder && name && sscanf(line, "node %63s %63s %d", n, ip, &pid) == 3 &&
			 !strcmp(n, name))
			*holder = pid;
	}
	fclose(f);
	return 0;
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
	if (!dir || !node || optind >= argc) {
		fprintf(stderr, "nodefixture exec: --dir, --node and a command are required\n");
		return 2;
	}
	pid_t sup, holder;
	int err = read_state(dir, node, &sup, &holder);
	if (err) {
		fprintf(stderr, "nodefixture exec: --dir \"%s\": %s\n", dir, strerror(-err));
		return 2;
	}
	if (!holder) {
		fprintf(stderr, "nodefixture exec: --node \"%s\": no such node in %s/state\n", node,
			dir);
		return 2;
	}
	if ((err = sv_enter_namespaces(holder))) {
		fprintf(stderr, "nodefixture exec: entering namespaces of pid %d: %s\n",
			(int)holder, strerror(-err));
		return 1;
	}
	execvp(argv[optind], &argv[optind]);
	fprintf(stderr, "nodefixture exec: %s: %s\n", argv[optind], strerror(errno));
	return 127;
}

/* Alive and not a zombie (the test's shell may not have waited for it yet). */
static bool running(pid_t pid)
{
	char path[64], buf[256];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *p = strrchr(buf, ')');
	return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

static int cmd_down(int argc, char **argv)
{
	static const struct option opts[] = {{"dir", required_argument, 0, 'd'},
					     {"timeout", required_argument, 0, 't'},
					     {0, 0, 0, 0}};
	const char *dir = NULL;
	long timeout = 60;
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'd')
			dir = optarg;
		else if (c == 't') {
			char *end;
			timeout = strtol(optarg, &end, 10);
			if (*end || end == optarg || timeout < 1 || timeout > 3600) {
				fprintf(stderr,
					"nodefixture: --timeout \"%s\": want 1..3600 seconds\n",
					optarg);
				return 2;
			}
		} else
			return usage(stderr, 2);
	}
	if (!dir) {
		fprintf(stderr, "nodefixture down: --dir is required\n");
		return 2;
	}
	pid_t sup;
	int err = read_state(dir, NULL, &sup, NULL);
	if (err) {
		fprintf(stderr, "nodefixture down: --dir \"%s\": %s\n", dir, strerror(-err));
		return 2;
	}
	/* Only signal it if it is still our nodefixture (the pid may have been reused). */
	char path[64], comm[64] = "";
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)sup);
	FILE *f = fopen(path, "re");
	if (f) {
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = '\0';
		fclose(f);
	}
	if (strncmp(comm, "nodefixture", 11))
		return 0;
	kill(sup, SIGTERM);
	int64_t t0 = clock_boot_ns();
	while (running(sup)) {
		if (clock_elapsed_s(t0) > timeout) {
			fprintf(stderr, "nodefixture down: pid %d still running after %lds\n",
				(int)sup, timeout);
			return 1;
		}
		usleep(100000);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage(stderr, 2);
	const char *cmd = argv[1];
	argv[1] = argv[0];
	if (!strcmp(cmd, "up"))
		return cmd_up(argc - 1, argv + 1);
	if (!strcmp(cmd, "down"))
		return cmd_down(argc - 1, argv + 1);
	if (!strcmp(cmd, "exec"))
		return cmd_exec(argc - 1, argv + 1);
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help"))
		return usage(stdout, 0);
	fprintf(stderr, "nodefixture: unknown command \"%s\" (want up, down or exec)\n", cmd);
	return 2;
}
