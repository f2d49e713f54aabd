/*
 * cmd_start.c — `start`, `stop` and `delete`: flags, the checks a user gets a one-line answer
 * from, and the hand-over to the cluster actions.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* minikube's choice: 192.168.49.0/24, then every 9th /24 above it that no profile and no
 * interface of this network namespace uses. */
#define SUBNET_FIRST 49
#define SUBNET_STEP  9

struct start_opts {
	const char *profile;
	const char *subnet;
	const char *provider;
	const char *election; /* "lease" | "etcd" (vipd's backends) */
	unsigned port;
	unsigned nodes; /* 0: default */
	bool ha;
	bool wait;
};

static const char start_usage[] =
    "usage: provisioner start [--ha] [-p PROFILE] [--nodes N] [--subnet CIDR]\n"
    "                         [--apiserver-port PORT] [--vip-provider vipd|kube-vip] "
    "[--wait=true|false]\n"
    "                         [--vip-election lease|etcd]\n"
    "Starts a cluster of real kubeadm nodes made of Linux namespaces; --ha makes 3 control\n"
    "planes behind a VIP (.254 of the subnet) held by the VIP daemon. --vip-election etcd:\n"
    "vipd elects through each node's own etcd member instead of a Lease. On an existing\n"
    "stopped profile it starts every node at once.\n";

static int parse_uint(const char *flag, const char *arg, unsigned min, unsigned max, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || v < min || v > max || arg[0] == '-')
		return cli_fail(EXIT_USAGE, "%s \"%s\": want a whole number from %u to %u", flag,
				arg, min, max);
	*out = (unsigned)v;
	return 0;
}

/* The flags' values together. */
static int check_start(const struct start_opts *o)
{
	if (strcmp(o->provider, "vipd") && strcmp(o->provider, "kube-vip"))
		return cli_fail(EXIT_USAGE, "--vip-provider \"%s\": want vipd or kube-vip",
				o->provider);
	if (strcmp(o->election, "lease") && strcmp(o->election, "etcd"))
		return cli_fail(EXIT_USAGE, "--vip-election \"%s\": want lease or etcd",
				o->election);
	if (!strcmp(o->election, "etcd") && strcmp(o->provider, "vipd"))
		return cli_fail(EXIT_USAGE,
				"--vip-election \"%s\": only with --vip-provider vipd (%s elects "
				"through a Lease)",
				o->election, o->provider);
	if (o->ha && o->nodes && o->nodes < 3)
		return cli_fail(EXIT_USAGE,
				"--nodes %u: HA (multi-control plane) clusters require 3 or more "
				"control-plane nodes",
				o->nodes);
	return 0;
}

static int parse_start(int argc, char **argv, struct start_opts *o)
{
	static const struct option opts[] = {{"profile", required_argument, NULL, 'p'},
					     {"ha", no_argument, NULL, 'H'},
					     {"nodes", required_argument, NULL, 'n'},
					     {"subnet", required_argument, NULL, 's'},
					     {"apiserver-port", required_argument, NULL, 'P'},
					     {"vip-provider", required_argument, NULL, 'V'},
					     {"vip-election", required_argument, NULL, 'E'},
					     {"wait", optional_argument, NULL, 'w'},
					     {"help", no_argument, NULL, 'h'},
					     {0}};
	*o = (struct start_opts){.profile = cli_profile_default(),
				 .subnet = NULL,
				 .provider = "vipd",
				 .election = "lease",
				 .port = 8443,
				 .wait = true};
	int ch, rc = 0;
	optind = 1;
	while (!rc && (ch = getopt_long(argc, argv, "p:n:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			o->profile = optarg;
			break;
		case 'H':
			o->ha = true;
			break;
		case 'n':
			rc = parse_uint("--nodes", optarg, 1, 20, &o->nodes);
			break;
		case 's':
			o->subnet = optarg;
			break;
		case 'P':
			rc = parse_uint("--apiserver-port", optarg, 1, 65535, &o->port);
			break;
		case 'V':
			o->provider = optarg;
			break;
		case 'E':
			o->election = optarg;
			break;
		case 'w':
			if (optarg && strcmp(optarg, "true") && strcmp(optarg, "all") &&
			    strcmp(optarg, "false") && strcmp(optarg, "none"))
				return cli_fail(EXIT_USAGE, "--wait \"%s\": want true or false",
						optarg);
			o->wait = !optarg || !strcmp(optarg, "true") || !strcmp(optarg, "all");
			break;
		case 'h':
			fputs(start_usage, stdout);
			return -1;
		default:
			return cli_fail(EXIT_USAGE, "see `provisioner start --help`");
		}
	}
	if (rc)
		return rc;
	if (optind < argc)
		return cli_fail(EXIT_USAGE, "start: unexpected argument \"%s\"", argv[optind]);
	return check_start(o);
}

/* IPVS needs ip_vs in the kernel; the provisioner never loads modules. */
static bool ipvs_available(void)
{
	return access("/sys/module/ip_vs", F_OK) == 0;
}

/* An address of this network namespace inside 192.168.<third>.0/24. */
static bool subnet_in_use_here(unsigned third)
{
	struct ifaddrs *list, *i;
	bool used = false;
	if (getifaddrs(&list) < 0)
		return false;
	for (i = list; i && !used; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
			continue;
		uint32_t a = ntohl(((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr);
		used = (a >> 8) == ((192u << 16) | (168u << 8) | third);
	}
	freeifaddrs(list);
	return used;
}

static bool subnet_in_use_by_profile(const struct cli *c, const char *subnet)
{
	static char names[64][PROFILE_NAME_MAX + 1];
	static struct profile other;
	size_t n = 0;
	char why[256];
	if (profile_list(c->home, names, 64, &n))
		return false;
	for (size_t i = 0; i < n; i++)
		if (profile_load(c->home, names[i], &other, why, sizeof(why)) == 0 &&
		    !strcmp(other.subnet, subnet))
			return true;
	return false;
}

static int pick_subnet(const struct cli *c, char *buf, size_t len)
{
	for (unsigned third = SUBNET_FIRST; third < 255; third += SUBNET_STEP) {
		snprintf(buf, len, "192.168.%u.0/24", third);
		if (!subnet_in_use_here(third) && !subnet_in_use_by_profile(c, buf))
			return 0;
	}
	return cli_fail(EXIT_STATE,
			"no free 192.168.x.0/24 subnet for a new profile: give --subnet");
}

static int new_profile(struct cli *c, const struct start_opts *o)
{
	char why[256], picked[32];
	const char *subnet = o->subnet;
	int rc;
	if (!subnet && (rc = pick_subnet(c, picked, sizeof(picked))))
		return rc;
	if (!subnet)
		subnet = picked;
	if (profile_init(&c->p, o->profile, subnet, o->port, c->k8s_version, o->provider, why,
			 sizeof(why)))
		return cli_fail(EXIT_USAGE, "%s", why);
	snprintf(c->p.vip_election, sizeof(c->p.vip_election), "%s", o->election);
	c->p.lb_enable = ipvs_available();
	c->p.ha = o->ha;
	unsigned total = o->nodes ? o->nodes : o->ha ? 3 : 1;
	unsigned cps = o->ha ? 3 : 1;
	for (unsigned i = 0; i < total; i++) {
		struct profile_node *n;
		if (profile_node_add(&c->p, i < cps, &n))
			return cli_fail(EXIT_USAGE, "--nodes %u: subnet %s has no room for them",
					total, subnet);
	}
	rc = profile_save(c->home, &c->p);
	return rc ? cli_fail(EXIT_INTERNAL, "cannot save profile: %s", strerror(-rc)) : 0;
}

static bool any_running(const struct profile *p)
{
	for (size_t i = 0; i < p->n_nodes; i++)
		if (provider_node_running(&p->nodes[i]))
			return true;
	return false;
}

static int start_new(struct cli *c, const struct start_opts *o)
{
	printf("😄  [%s] provisioner %s on this machine (no Docker: nodes are Linux namespaces)\n",
	       o->profile, CLI_VERSION);
	printf("✨  Using the namespaces driver, containerd runtime, Kubernetes %s\n",
	       c->k8s_version);
	int rc = new_profile(c, o);
	if (rc)
		return rc;
	if (c->p.lb_enable)
		printf("⚖️   IPVS control-plane load balancing: on (ip_vs is loaded)\n");
	else
		printf("⚖️   IPVS control-plane load balancing: off (the kernel has no ip_vs "
		       "module "
		       "loaded; modules are never loaded by the provisioner)\n");
	cli_bind(c);
	c->act.no_wait = !o->wait;
	if ((rc = cli_build_images(c)))
		return rc;
	int err = action_start(&c->act);
	if (err)
		return cli_action_failed(c, "start", err);
	return 0;
}

int cmd_start(int argc, char **argv)
{
	struct start_opts o;
	int rc = parse_start(argc, argv, &o);
	if (rc)
		return rc < 0 ? 0 : rc;
	if ((rc = cli_need_root("start")))
		return rc;
	static struct cli c;
	if ((rc = cli_init(&c)) || (rc = cli_open_profile(&c, o.profile, false)) ||
	    (rc = cli_need_upstream(&c)))
		goto out;
	if (c.p.n_nodes && any_running(&c.p)) {
		printf("✅  profile \"%s\" is already running (`provisioner status -p %s`)\n",
		       o.profile, o.profile);
		goto out;
	}
	if (c.p.n_nodes) {
		cli_bind(&c);
		if (!(rc = cli_build_images(&c))) {
			int err = action_restart(&c.act);
			rc = err ? cli_action_failed(&c, "restart", err) : 0;
		}
	} else if ((rc = start_new(&c, &o)) && c.p.n_nodes == 0)
		profile_remove(c.home, o.profile); /* refused before any node existed */
	if (!rc)
		printf("🏄  Done! kubectl is now configured to use \"%s\" cluster and \"default\" "
		       "namespace by default\n",
		       o.profile);
out:
	cli_close(&c);
	return rc;
}

/* -p only. */
static int parse_profile_only(int argc, char **argv, const char *usage, const char **profile,
			      bool *all)
{
	static const struct option opts[] = {{"profile", required_argument, NULL, 'p'},
					     {"all", no_argument, NULL, 'a'},
					     {"help", no_argument, NULL, 'h'},
					     {0}};
	*profile = cli_profile_default();
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "p:h", opts, NULL)) != -1) {
		if (ch == 'p')
			*profile = optarg;
		else if (ch == 'a' && all)
			*all = true;
		else if (ch == 'h') {
			fputs(usage, stdout);
			return -1;
		} else
			return cli_fail(EXIT_USAGE, "see `provisioner %s --help`", argv[0]);
	}
	if (optind < argc)
		return cli_fail(EXIT_USAGE, "%s: unexpected argument \"%s\"", argv[0],
				argv[optind]);
	return 0;
}

int cmd_stop(int argc, char **argv)
{
	const char *name;
	int rc = parse_profile_only(argc, argv,
				    "usage: provisioner stop [-p PROFILE]\nStops every node of the "
				    "profile; `start` brings them back.\n",
				    &name, NULL);
	if (rc)
		return rc < 0 ? 0 : rc;
	if ((rc = cli_need_root("stop")))
		return rc;
	static struct cli c;
	if (!(rc = cli_init(&c)) && !(rc = cli_open_profile(&c, name, true)) &&
	    !(rc = cli_need_upstream(&c))) {
		cli_bind(&c);
		int err = action_stop(&c.act);
		if (err)
			rc = cli_action_failed(&c, "stop", err);
		else
			printf("🛑  %zu node%s stopped.\n", c.p.n_nodes,
			       c.p.n_nodes == 1 ? "" : "s");
	}
	cli_close(&c);
	return rc;
}

static int delete_one(const char *name)
{
	static struct cli c;
	int rc = cli_init(&c);
	if (!rc)
		rc = cli_open_profile(&c, name, true);
	if (!rc)
		rc = cli_need_upstream(&c);
	if (!rc) {
		cli_bind(&c);
		int err = action_delete(&c.act);
		if (err)
			rc = cli_action_failed(&c, "delete", err);
		else
			printf("💀  Removed all traces of the \"%s\" cluster.\n", name);
	}
	cli_close(&c);
	return rc;
}

int cmd_delete(int argc, char **argv)
{
	const char *name;
	bool all = false;
	int rc = parse_profile_only(argc, argv,
				    "usage: provisioner delete [-p PROFILE | --all]\nStops and "
				    "removes the profile's nodes, bridge, files and kubeconfig "
				    "entries.\n",
				    &name, &all);
	if (rc)
		return rc < 0 ? 0 : rc;
	if ((rc = cli_need_root("delete")))
		return rc;
	if (!all)
		return delete_one(name);
	char home[PATH_MAX], names[64][PROFILE_NAME_MAX + 1];
	size_t n = 0;
	if (profile_home(home, sizeof(home)) || profile_list(home, names, 64, &n))
		return cli_fail(EXIT_INTERNAL, "cannot list profiles");
	for (size_t i = 0; i < n; i++) {
		int r = delete_one(names[i]);
		if (r && !rc)
			rc = r;
	}
	if (!n)
		printf("🔥  No profiles to delete.\n");
	return rc;
}
