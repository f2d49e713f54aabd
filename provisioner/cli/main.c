/*
 * main.c — `provisioner`: minikube's HA commands on one machine with no Docker. Dispatches to
 * the commands; `__node-init` is the hidden entry the node provider starts each node's init
 * process with.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "node_init.h"

static const char usage[] =
    "provisioner — local highly available Kubernetes clusters of real kubeadm nodes made of\n"
    "Linux namespaces (no Docker), with vipd holding the control-plane VIP.\n\n"
    "Commands:\n"
    "  start --ha [-p P] [--nodes N]   start a cluster (or restart a stopped one)\n"
    "  stop [-p P]                     stop every node\n"
    "  delete [-p P | --all]           remove a cluster and its kubeconfig entries\n"
    "  status [-p P] [-n NODE] [-o json]\n"
    "  profile list [-o json]\n"
    "  node add [--control-plane] | delete NAME | stop NAME | start NAME | list\n"
    "  ssh [-n NODE] [-- COMMAND]      run a command (or a shell) inside a node\n"
    "  logs [-n NODE] [COMPONENT]      kubelet, containerd, kubeadm, vipd, etcd, …\n"
    "  ip [-n NODE]                    a node's IP\n"
    "  update-context                  point the kubeconfig context at the VIP again\n"
    "  service list                    services and their node-port URLs\n"
    "  image load ARCHIVE              import an OCI/docker archive into every node\n"
    "  version\n\n"
    "Every command takes --help. The profile defaults to $MINIKUBE_PROFILE or \"minikube\";\n"
    "state lives in $PROVISIONER_HOME (default ~/.provisioner).\n";

static int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("provisioner version: %s\n", CLI_VERSION);
	return 0;
}

int cmd_node_init(int argc, char **argv)
{
	static const struct option opts[] = {{"name", required_argument, NULL, 'n'},
					     {"dir", required_argument, NULL, 'd'},
					     {"ip", required_argument, NULL, 'i'},
					     {"bindir", required_argument, NULL, 'b'},
					     {"cgroup-root", required_argument, NULL, 'c'},
					     {"pod-cidr", required_argument, NULL, 'P'},
					     {"sandbox-image", required_argument, NULL, 's'},
					     {"image", required_argument, NULL, 'I'},
					     {0}};
	struct node_init_args a = {.status_fd = 3, .go_fd = 4};
	size_t images = 0;
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			a.name = optarg;
			break;
		case 'd':
			a.dir = optarg;
			break;
		case 'i':
			a.ip = optarg;
			break;
		case 'b':
			a.bindir = optarg;
			break;
		case 'c':
			a.cgroup_root = optarg;
			break;
		case 'P':
			a.pod_cidr = optarg;
			break;
		case 's':
			a.sandbox_image = optarg;
			break;
		case 'I':
			if (images + 1 >= NODE_MAX_IMAGES)
				return cli_fail(EXIT_USAGE, "__node-init: too many images");
			a.images[images++] = optarg;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (!a.name || !a.dir || !a.ip || !a.bindir || !a.cgroup_root || !a.pod_cidr ||
	    !a.sandbox_image)
		return cli_fail(EXIT_USAGE,
				"__node-init: missing arguments (started by the provider)");
	return node_init_main(&a);
}

static const struct {
	const char *name;
	int (*fn)(int, char **);
} commands[] = {
    {"start", cmd_start},     {"stop", cmd_stop},
    {"delete", cmd_delete},   {"status", cmd_status},
    {"profile", cmd_profile}, {"node", cmd_node},
    {"ssh", cmd_ssh},	      {"logs", cmd_logs},
    {"ip", cmd_ip},	      {"update-context", cmd_update_context},
    {"service", cmd_service}, {"image", cmd_image},
    {"version", cmd_version}, {"__node-init", cmd_node_init},
};

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		fputs(usage, stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	return cli_fail(EXIT_USAGE, "unknown command \"%s\" (see `provisioner --help`)", argv[1]);
}
