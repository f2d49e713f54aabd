/*
 * main.c — the vipd program: a table of subcommands. `vipd manager` is the daemon (as kube-vip's
 * `manager`); the diagnostics below it drive the same libraries.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "manifest.h"

#ifndef VIPD_VERSION
#define VIPD_VERSION "dev"
#endif

struct subcommand {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct subcommand subcommands[] = {
    {"manager", cmd_manager, "run the daemon (kube-vip's control-plane mode, configured alike)"},
    {"manifest", cmd_manifest, "print a static pod manifest that runs vipd manager"},
    {"vip", cmd_vip, "add, delete or show the VIP on an interface"},
    {"announce", cmd_announce, "send gratuitous ARP / unsolicited NA for an address"},
    {"monitor", cmd_monitor, "print VIP and link changes made behind vipd's back"},
    {"elect", cmd_elect, "join a leader election (Lease or etcd) and print each change"},
    {"handover", cmd_handover, "ask the lease holder to hand the VIP to another node"},
    {"status", cmd_status, "print the local daemon's role, lease, VIP and health (exit 0/3/4)"},
};

static void usage(FILE *out)
{
	fprintf(out, "usage: vipd <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		fprintf(out, "  %-10s %s\n", subcommands[i].name, subcommands[i].summary);
	fprintf(out, "  %-10s %s\n", "version", "print the version");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *name = argv[1];
	if (!strcmp(name, "-h") || !strcmp(name, "--help") || !strcmp(name, "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(name, "version") || !strcmp(name, "--version")) {
		printf("vipd %s\n", VIPD_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (!strcmp(name, subcommands[i].name))
			return subcommands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "vipd: unknown command \"%s\" (see vipd --help)\n", name);
	return 2;
}
