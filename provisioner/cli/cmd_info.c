/*
 * cmd_info.c — the commands that look rather than change: status, profile list, ip, ssh,
 * logs, update-context, service list, image load (it changes nodes' image stores only).
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bootstrap.h"
#include "cli.h"
#include "cluster_status.h"
#include "fsutil.h"
#include "health.h"
#include "kubeconfig_user.h"
#include "supervise.h"

struct info_opts {
	const char *profile;
	const char *node;
	const char *output;
	bool all;
};

static int parse_info(int argc, char **argv, const char *usage, struct info_opts *o)
{
	static const struct option opts[] = {{"profile", required_argument, NULL, 'p'},
					     {"node", required_argument, NULL, 'n'},
					     {"output", required_argument, NULL, 'o'},
					     {"help", no_argument, NULL, 'h'},
					     {0}};
	*o = (struct info_opts){.profile = cli_profile_default(), .output = "text"};
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "p:n:o:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			o->profile = optarg;
			break;
		case 'n':
			o->node = optarg;
			break;
		case 'o':
			o->output = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return -1;
		default:
			return cli_fail(EXIT_USAGE, "see `provisioner %s --help`", argv[0]);
		}
	}
	if (strcmp(o->output, "text") && strcmp(o->output, "json") && strcmp(o->output, "table"))
		return cli_fail(EXIT_USAGE, "--output \"%s\": want text or json", o->output);
	return 0;
}

/* `provisioner profile --help` and the like: --help or -h anywhere before "--". */
static bool wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return true;
	return false;
}

/* Opens the profile for reading (takes the lock briefly, so no command is half-way). */
static int open_read(struct cli *c, const char *profile, bool need_upstream)
{
	int rc = cli_init(c);
	if (!rc)
		rc = cli_open_profile(c, profile, true);
	if (!rc && need_upstream)
		rc = cli_need_upstream(c);
	if (!rc)
		cli_bind(c);
	return rc;
}

/* The start every reading command shares: flags, the root check, and the profile read under
 * its lock (released at once: probes and shells must not hold it). Returns 0, -1 after
 * --help, or an exit code already reported. */
static int info_open(int argc, char **argv, const char *usage, struct info_opts *o, struct cli *c)
{
	int rc = parse_info(argc, argv, usage, o);
	if (!rc)
		rc = cli_need_root(argv[0]);
	if (!rc)
		rc = open_read(c, o->profile, true);
	cli_close(c);
	return rc;
}

/* The node -n names, or the primary control plane. */
static int info_node(struct cli *c, const struct info_opts *o, struct profile_node **n)
{
	*n = o->node ? profile_node_find(&c->p, o->node) : profile_primary(&c->p);
	if (*n)
		return 0;
	return cli_fail(EXIT_NOT_FOUND, "node \"%s\" not found in profile \"%s\"",
			o->node ? o->node : "(primary)", o->profile);
}

int cmd_status(int argc, char **argv)
{
	struct info_opts o;
	static struct cli c;
	static struct health_report h;
	int rc = info_open(argc, argv,
			   "usage: provisioner status [-p PROFILE] [-n NODE] [-o text|json]\n"
			   "Exit code: 1 a host down, 2 a kubelet or apiserver down, 4 kubeconfig "
			   "misconfigured (OR-ed); 85 no such profile.\n",
			   &o, &c);
	if (rc)
		return rc < 0 ? 0 : rc;
	size_t from = 0, count = c.p.n_nodes;
	struct profile_node *n;
	if (o.node) {
		if ((rc = info_node(&c, &o, &n)))
			return rc;
		from = (size_t)(n - c.p.nodes);
		count = 1;
	}
	health_probe(&c.pv, c.kubeconfig, &h);
	if (!strcmp(o.output, "json"))
		status_print_json(stdout, o.profile, o.node ? NULL : &h.verdict, h.nodes + from,
				  count);
	else {
		status_print_text(stdout, h.nodes + from, count);
		if (!o.node)
			printf("cluster: %s (%s)\n", cluster_state_name(h.verdict.state),
			       h.verdict.reason);
	}
	return status_exit_code(h.nodes + from, count);
}

static void fill_row(struct cli *c, struct health_report *h, struct profile_row *row,
		     struct profile_row_node *nodes, const char *current)
{
	for (size_t i = 0; i < c->p.n_nodes; i++)
		nodes[i] = (struct profile_row_node){.name = c->p.nodes[i].name,
						     .ip = c->p.nodes[i].ip,
						     .control_plane = c->p.nodes[i].control_plane};
	bool ha = profile_control_planes(&c->p) > 1;
	*row = (struct profile_row){.profile = c->p.name,
				    .driver = c->p.driver,
				    .runtime = c->p.runtime,
				    .ip = ha ? c->p.vip : c->p.nodes[0].ip,
				    .port = c->p.apiserver_port,
				    .version = c->p.k8s_version,
				    .status = cluster_state_name(h->verdict.state),
				    .nodes = (unsigned)c->p.n_nodes,
				    .active = current && !strcmp(current, c->p.name),
				    .node_list = nodes};
}

int cmd_profile(int argc, char **argv)
{
	if (wants_help(argc, argv))
		return printf("usage: provisioner %s\n", "profile list [-o table|json]"), 0;
	if (argc < 2 || strcmp(argv[1], "list"))
		return cli_fail(EXIT_USAGE, "usage: provisioner profile list [-o table|json]");
	struct info_opts o;
	int rc =
	    parse_info(argc - 1, argv + 1, "usage: provisioner profile list [-o table|json]\n", &o);
	if (rc)
		return rc < 0 ? 0 : rc;
	if ((rc = cli_need_root("profile list")))
		return rc;
	static char home[PATH_MAX], names[32][PROFILE_NAME_MAX + 1];
	static struct cli cs[32];
	static struct health_report hs[32];
	static struct profile_row rows[32];
	static struct profile_row_node nodes[32][PROFILE_MAX_NODES];
	const char *invalid[32];
	size_t n = 0, valid = 0, bad = 0;
	if (profile_home(home, sizeof(home)) || profile_list(home, names, 32, &n))
		return cli_fail(EXIT_INTERNAL, "cannot list profiles in %s", home);
	const char *current = getenv("MINIKUBE_PROFILE");
	for (size_t i = 0; i < n; i++) {
		struct cli *c = &cs[valid];
		if (open_read(c, names[i], true)) {
			invalid[bad++] = names[i];
			cli_close(c);
			continue;
		}
		cli_close(c);
		health_probe(&c->pv, c->kubeconfig, &hs[valid]);
		fill_row(c, &hs[valid], &rows[valid], nodes[valid], current);
		valid++;
	}
	if (!strcmp(o.output, "json"))
		return profile_list_print_json(stdout, rows, valid, invalid, bad) ? EXIT_INTERNAL
										  : 0;
	if (!valid && !bad) {
		printf("🤹  No profiles found (run `provisioner start --ha -p NAME`)\n");
		return 0;
	}
	profile_list_print_table(stdout, rows, valid);
	for (size_t i = 0; i < bad; i++)
		printf("❗  Found an invalid profile: %s\n", invalid[i]);
	return 0;
}

int cmd_ip(int argc, char **argv)
{
	struct info_opts o;
	int rc = parse_info(argc, argv,
			    "usage: provisioner ip [-p PROFILE] [-n NODE]\nPrints the node's IP "
			    "(default: the primary control plane).\n",
			    &o);
	if (rc)
		return rc < 0 ? 0 : rc;
	static struct cli c;
	if (!(rc = cli_init(&c)) && !(rc = cli_open_profile(&c, o.profile, true))) {
		struct profile_node *n =
		    o.node ? profile_node_find(&c.p, o.node) : profile_primary(&c.p);
		if (!n)
			rc = cli_fail(EXIT_NOT_FOUND, "node \"%s\" not found in profile \"%s\"",
				      o.node ? o.node : "(primary)", o.profile);
		else
			printf("%s\n", n->ip);
	}
	cli_close(&c);
	return rc;
}

/* Runs argv in node n of profile, inheriting our terminal; returns its exit status. */
static int run_in_node(struct cli *c, struct profile_node *n, char *const *argv)
{
	if (!provider_node_running(n))
		return cli_fail(EXIT_STATE,
				"node \"%s\" is not running (`provisioner node start %s`)", n->name,
				n->name);
	/* Through sh, so the command is looked up in the node's PATH (the upstream programs). */
	char *args[64] = {"/bin/sh", "-c", "exec \"$@\"", "sh"};
	size_t k = 4;
	for (size_t i = 0; argv[i] && k < 63; i++)
		args[k++] = argv[i];
	args[k] = NULL;
	struct sv_spec spec = {.name = argv[0],
			       .node = n->name,
			       .argv = args,
			       .ns_pid = n->init_pid,
			       .keep_stdin = true};
	char path_env[PATH_MAX + 128];
	snprintf(path_env, sizeof(path_env),
		 "PATH=%s:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", c->bindir);
	char *envp[] = {path_env, "HOME=/root", "TERM=xterm",
			"KUBECONFIG=/etc/kubernetes/admin.conf", NULL};
	spec.envp = envp;
	int status = 0;
	sv_run(&spec, 24 * 3600 * 1000, &status);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int cmd_ssh(int argc, char **argv)
{
	struct info_opts o;
	static struct cli c;
	struct profile_node *n;
	int rc = info_open(argc, argv,
			   "usage: provisioner ssh [-p PROFILE] [-n NODE] [-- COMMAND [ARG...]]\n"
			   "Runs COMMAND (default: a shell) inside the node.\n",
			   &o, &c);
	if (rc || (rc = info_node(&c, &o, &n)))
		return rc < 0 ? 0 : rc;
	char *shell[] = {"/bin/bash", NULL};
	return run_in_node(&c, n, optind < argc ? argv + optind : shell);
}

/* A node program's log (kubelet, containerd, init, kubeadm, commands), else a pod container's:
 * every file kubelet keeps under the node's /var/log/pods for that container name. */
#define LOGS_SCRIPT                                                                                \
	"f=\"$1/log/$2.log\"; [ -r \"$f\" ] && exec cat \"$f\"; "                                  \
	"set -- \"$1\"/rootfs/var-log/pods/*_*_*/\"$2\"/*.log; [ -r \"$1\" ] || exit 85; cat "     \
	"\"$@\""
int cmd_logs(int argc, char **argv)
{
	struct info_opts o;
	static struct cli c;
	struct profile_node *n;
	int rc = info_open(argc, argv,
			   "usage: provisioner logs [-p PROFILE] [-n NODE] [COMPONENT]\n"
			   "COMPONENT: kubelet, containerd, init, kubeadm, or a pod's container "
			   "name (vipd, etcd, kube-apiserver, …).\n",
			   &o, &c);
	if (rc || (rc = info_node(&c, &o, &n)))
		return rc < 0 ? 0 : rc;
	const char *comp = optind < argc ? argv[optind] : "kubelet";
	char dir[PATH_MAX];
	provider_node_dir(&c.pv, n, dir, sizeof(dir));
	char *sh[] = {"/bin/sh", "-c", LOGS_SCRIPT, "sh", dir, (char *)comp, NULL};
	struct sv_spec spec = {.name = "sh", .argv = sh};
	int status = 0;
	sv_run(&spec, 60000, &status);
	rc = WIFEXITED(status) ? WEXITSTATUS(status) : EXIT_INTERNAL;
	if (rc == EXIT_NOT_FOUND)
		cli_fail(rc, "no logs of \"%s\" on node \"%s\"", comp, n->name);
	return rc;
}

/* A running control plane of the profile, to run kubectl in or read admin.conf from. */
static int info_running_cp(struct cli *c, const struct info_opts *o, struct profile_node **cp)
{
	*cp = action_running_cp(&c->p, NULL);
	if (*cp)
		return 0;
	return cli_fail(EXIT_STATE,
			"no control plane of \"%s\" is running (`provisioner start -p %s`)",
			o->profile, o->profile);
}

int cmd_update_context(int argc, char **argv)
{
	struct info_opts o;
	static struct cli c;
	struct profile_node *cp;
	int rc = info_open(argc, argv, "usage: provisioner update-context [-p PROFILE]\n", &o, &c);
	if (rc || (rc = info_running_cp(&c, &o, &cp)))
		return rc < 0 ? 0 : rc;
	char dir[PATH_MAX], admin[PATH_MAX], server[64];
	provider_node_dir(&c.pv, cp, dir, sizeof(dir));
	fs_path(admin, sizeof(admin), "%s/etc/kubernetes/admin.conf", dir);
	snprintf(server, sizeof(server), "https://%s:%u", c.p.vip, c.p.apiserver_port);
	if (kubeconfig_user_merge(c.bindir, c.kubeconfig, c.p.name, server, admin, &c.log))
		return cli_fail(EXIT_INTERNAL, "cannot update %s", c.kubeconfig);
	printf("🎉  \"%s\" context points at %s in %s\n", c.p.name, server, c.kubeconfig);
	return 0;
}

/* One table row per Service: node-port Services get the URL on the primary node. */
static void print_services(struct cli *c, char *list)
{
	printf("%-12s %-24s %-12s %s\n", "NAMESPACE", "NAME", "TARGET PORT", "URL");
	for (char *save = NULL, *line = strtok_r(list, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char ns[64], name[128], type[32], ports[128] = "";
		if (sscanf(line, "%63[^\t]\t%127[^\t]\t%31[^\t]\t%127[^\n]", ns, name, type,
			   ports) < 3)
			continue;
		if (strcmp(type, "NodePort") && strcmp(type, "LoadBalancer")) {
			printf("%-12s %-24s %-12s %s\n", ns, name, "No node port", "");
			continue;
		}
		unsigned port = (unsigned)atoi(ports);
		printf("%-12s %-24s %-12u http://%s:%u\n", ns, name, port,
		       profile_primary(&c->p)->ip, port);
	}
}

int cmd_service(int argc, char **argv)
{
	if (wants_help(argc, argv))
		return printf("usage: provisioner %s\n", "service list [-p PROFILE]"), 0;
	if (argc < 2 || strcmp(argv[1], "list"))
		return cli_fail(EXIT_USAGE, "usage: provisioner service list [-p PROFILE]");
	struct info_opts o;
	static struct cli c;
	struct profile_node *cp;
	int rc =
	    info_open(argc - 1, argv + 1, "usage: provisioner service list [-p PROFILE]\n", &o, &c);
	if (rc || (rc = info_running_cp(&c, &o, &cp)))
		return rc < 0 ? 0 : rc;
	static char out[65536];
	char *args[] = {
	    "get",
	    "services",
	    "-A",
	    "-o",
	    "jsonpath={range .items[*]}{.metadata.namespace}{\"\\t\"}{.metadata.name}"
	    "{\"\\t\"}{.spec.type}{\"\\t\"}{range .spec.ports[*]}{.nodePort}{\" \"}{end}"
	    "{\"\\n\"}{end}",
	    NULL};
	if (bootstrap_kubectl(&c.pv, cp, args, out, sizeof(out), 30000))
		return cli_fail(EXIT_PROVIDER, "kubectl get services failed: %.200s", out);
	print_services(&c, out);
	return 0;
}

int cmd_image(int argc, char **argv)
{
	if (wants_help(argc, argv))
		return printf("usage: provisioner %s\n", "image load ARCHIVE [-p PROFILE]"), 0;
	if (argc < 3 || strcmp(argv[1], "load"))
		return cli_fail(EXIT_USAGE, "usage: provisioner image load ARCHIVE [-p PROFILE]");
	struct info_opts o;
	int rc = parse_info(argc - 1, argv + 1,
			    "usage: provisioner image load ARCHIVE [-p PROFILE]\n", &o);
	if (rc)
		return rc < 0 ? 0 : rc;
	if (optind >= argc - 1)
		return cli_fail(EXIT_USAGE, "image load: which archive?");
	const char *archive = argv[1 + optind];
	char real[PATH_MAX];
	if (!realpath(archive, real))
		return cli_fail(EXIT_USAGE, "image load \"%s\": %s", archive, strerror(errno));
	if ((rc = cli_need_root("image load")))
		return rc;
	static struct cli c;
	if ((rc = open_read(&c, o.profile, true)))
		goto out;
	for (size_t i = 0; i < c.p.n_nodes && !rc; i++) {
		struct profile_node *n = &c.p.nodes[i];
		if (!provider_node_running(n))
			continue;
		char *argv2[] = {
		    "ctr",    "--address", "/run/containerd/containerd.sock", "-n", "k8s.io",
		    "images", "import",	   "--snapshotter=overlayfs",	      real, NULL};
		if (provider_exec(&c.pv, n, argv2, NULL, 300000))
			rc = cli_fail(EXIT_PROVIDER, "importing %s into node \"%s\" failed", real,
				      n->name);
		else
			printf("📦  %s loaded into \"%s\"\n", archive, n->name);
	}
out:
	cli_close(&c);
	return rc;
}
