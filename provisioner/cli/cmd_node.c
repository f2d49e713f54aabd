/*
 * cmd_node.c — `node add|delete|stop|start|list`: minikube's node commands on a profile.
 */
#include <errno.h>
#include <getopt.h>
#include <string.h>

#include "cli.h"

static const char node_usage[] = "usage: provisioner node add [--control-plane] [-p PROFILE]\n"
				 "       provisioner node delete NAME [--force] [-p PROFILE]\n"
				 "       provisioner node stop NAME [-p PROFILE]\n"
				 "       provisioner node start NAME [-p PROFILE]\n"
				 "       provisioner node list [-p PROFILE]\n"
				 "NAME is the node's name or its suffix (m02).\n";

struct node_opts {
	const char *profile;
	const char *name;
	bool control_plane;
	bool force;
};

static int parse_node(int argc, char **argv, struct node_opts *o, bool want_name)
{
	static const struct option opts[] = {{"profile", required_argument, NULL, 'p'},
					     {"control-plane", no_argument, NULL, 'c'},
					     {"force", no_argument, NULL, 'f'},
					     {"help", no_argument, NULL, 'h'},
					     {0}};
	*o = (struct node_opts){.profile = cli_profile_default()};
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "p:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			o->profile = optarg;
			break;
		case 'c':
			o->control_plane = true;
			break;
		case 'f':
			o->force = true;
			break;
		case 'h':
			fputs(node_usage, stdout);
			return -1;
		default:
			return cli_fail(EXIT_USAGE, "see `provisioner node --help`");
		}
	}
	if (want_name) {
		if (optind >= argc)
			return cli_fail(EXIT_USAGE,
					"node %s: which node? (a name, or a suffix like m02)",
					argv[0]);
		o->name = argv[optind++];
	}
	if (optind < argc)
		return cli_fail(EXIT_USAGE, "node %s: unexpected argument \"%s\"", argv[0],
				argv[optind]);
	return 0;
}

static int node_list(struct cli *c)
{
	for (size_t i = 0; i < c->p.n_nodes; i++)
		printf("%s\t%s\n", c->p.nodes[i].name, c->p.nodes[i].ip);
	return 0;
}

static int find_node(struct cli *c, const char *name, struct profile_node **out)
{
	*out = profile_node_find(&c->p, name);
	if (!*out)
		return cli_fail(EXIT_NOT_FOUND, "node \"%s\" not found in profile \"%s\"", name,
				c->p.name);
	return 0;
}

static int node_add(struct cli *c, const struct node_opts *o)
{
	struct profile_node *n;
	if (profile_node_add(&c->p, o->control_plane, &n))
		return cli_fail(EXIT_STATE, "profile \"%s\" has no room for another node",
				c->p.name);
	int rc = profile_save(c->home, &c->p);
	if (rc)
		return cli_fail(EXIT_INTERNAL, "cannot save profile: %s", strerror(-rc));
	if ((rc = cli_build_images(c)))
		return rc;
	int err = action_node_add(&c->act, n);
	return err ? cli_action_failed(c, "node add", err) : 0;
}

static int node_verb(struct cli *c, const char *verb, const struct node_opts *o)
{
	struct profile_node *n;
	int rc = find_node(c, o->name, &n);
	if (rc)
		return rc;
	int err;
	if (!strcmp(verb, "delete"))
		err = action_node_delete(&c->act, n, o->force);
	else if (!strcmp(verb, "stop")) {
		if (!provider_node_running(n)) {
			printf("✋  node \"%s\" is already stopped\n", n->name);
			return 0;
		}
		err = action_node_stop(&c->act, n);
	} else {
		if (provider_node_running(n)) {
			printf("✅  node \"%s\" is already running\n", n->name);
			return 0;
		}
		if ((rc = cli_build_images(c)))
			return rc;
		err = action_node_start(&c->act, n);
	}
	if (err == -EPERM)
		return EXIT_STATE; /* the action said why */
	return err ? cli_action_failed(c, verb, err) : 0;
}

int cmd_node(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(node_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	const char *verb = argv[1];
	bool named = !strcmp(verb, "delete") || !strcmp(verb, "stop") || !strcmp(verb, "start");
	if (!named && strcmp(verb, "add") && strcmp(verb, "list"))
		return cli_fail(EXIT_USAGE, "node \"%s\": want add, delete, stop, start or list",
				verb);
	struct node_opts o;
	int rc = parse_node(argc - 1, argv + 1, &o, named);
	if (rc)
		return rc < 0 ? 0 : rc;
	if ((rc = cli_need_root("node")))
		return rc;
	static struct cli c;
	if (!(rc = cli_init(&c)) && !(rc = cli_open_profile(&c, o.profile, true)) &&
	    !(rc = cli_need_upstream(&c))) {
		cli_bind(&c);
		if (!strcmp(verb, "list"))
			rc = node_list(&c);
		else if (!strcmp(verb, "add"))
			rc = node_add(&c, &o);
		else
			rc = node_verb(&c, verb, &o);
	}
	cli_close(&c);
	return rc;
}
