/*
 * cmd_vip.c — `vipd vip add|del|show`: the VIP on an interface by hand, exactly as the daemon
 * adds it, for people debugging a node and for tests.
 */
#include <getopt.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "nl_addr.h"

static const char vip_usage[] =
    "usage: vipd vip add|del|show --interface IF --address IP[/LEN] [--nodad]\n";

int cmd_vip(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"interface", required_argument, NULL, 'i'},
	    {"address", required_argument, NULL, 'a'},
	    {"nodad", no_argument, NULL, 'n'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	const char *ifname = NULL, *address = NULL;
	unsigned options = 0;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "i:a:nh", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			ifname = optarg;
			break;
		case 'a':
			address = optarg;
			break;
		case 'n':
			options |= NL_ADDR_NODAD;
			break;
		case 'h':
			fputs(vip_usage, stdout);
			return 0;
		default:
			fputs(vip_usage, stderr);
			return 2;
		}
	}
	if (optind != argc - 1)
		return fputs(vip_usage, stderr), 2;
	const char *action = argv[optind];
	if (strcmp(action, "add") && strcmp(action, "del") && strcmp(action, "show"))
		return cli_fail("vip: unknown action \"%s\" (add, del or show)", action);
	if (!address)
		return cli_fail("--address is required");

	struct inet_prefix vip;
	if (cli_parse_vip(address, &vip) < 0)
		return 2;
	struct nl_sock sock;
	struct nl_link link;
	if (cli_open_link(ifname, &sock, &link) < 0)
		return 1;

	struct nl_error err = {0};
	int rc = 0;
	char text[INET_PREFIX_STRLEN];
	inet_prefix_format(&vip, text, sizeof(text));
	if (!strcmp(action, "add")) {
		rc = nl_addr_add(&sock, link.index, &vip, options, &err);
	} else if (!strcmp(action, "del")) {
		rc = nl_addr_del(&sock, link.index, &vip, &err);
	} else {
		bool present = false;
		struct nl_addr found;
		rc = nl_addr_find(&sock, link.index, &vip, &present, &found, &err);
		if (rc == 0 && present)
			printf("interface=%s address=%s/%u present=true deprecated=%s\n", ifname,
			       inet_prefix_format_addr(&found.prefix, text, sizeof(text)),
			       found.prefix.prefixlen,
			       (found.flags & IFA_F_DEPRECATED) ? "true" : "false");
		else if (rc == 0)
			printf("interface=%s address=%s present=false\n", ifname, text);
	}
	nl_sock_close(&sock);
	if (rc < 0) {
		cli_fail("interface \"%s\": %s", ifname, err.msg);
		return 1;
	}
	return 0;
}
