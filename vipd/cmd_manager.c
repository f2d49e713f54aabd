/*
 * cmd_manager.c — `vipd manager`: reads kube-vip's environment variables and flags into one
 * configuration (mgr_config), prints it with --check, or runs the daemon.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "manager.h"
#include "mgr_config.h"

extern char **environ;

int cmd_manager(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("usage: vipd manager [--check] [kube-vip flags]\n"
			       "Configured by kube-vip's environment variables (vip_interface, "
			       "address, port, vip_arp, vip_leaderelection, vip_leasename, ...);\n"
			       "flags override them. --check validates and prints the effective "
			       "configuration. See manifests/README.md.\n");
			return 0;
		}
	}
	char host[256] = "";
	if (gethostname(host, sizeof(host)) < 0)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	static struct mgr_config cfg; /* large: not on the stack */
	bool check = false;
	char why[512];
	if (mgr_config_parse(environ, argc, argv, host, &cfg, &check, why, sizeof(why)) < 0)
		return cli_fail("%s", why);
	if (check) {
		mgr_config_print(&cfg, stdout);
		for (size_t i = 0; i < cfg.n_warnings; i++)
			fprintf(stderr, "vipd: warning: %s\n", cfg.warnings[i]);
		return 0;
	}
	struct logger lg = {.out = stdout, .level = (enum log_level)cfg.log_level};
	return manager_run(&cfg, &lg);
}
