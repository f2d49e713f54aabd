/*
 * cmd_monitor.c — `vipd monitor`: prints one line per change the daemon would react to (VIP
 * removed or added behind its back, link down/up), like `ip monitor` filtered to what matters.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "nl_monitor.h"

static const char monitor_usage[] =
    "usage: vipd monitor --interface IF [--address IP] [--expect-present]\n";

struct monitor_ctx {
	struct logger lg;
	const char *ifname;
};

static void print_event(const struct nl_event *ev, void *data)
{
	struct monitor_ctx *ctx = data;
	log_info(&ctx->lg, "netlink event", "event=%s interface=%s sender_portid=%u",
		 nl_event_name(ev->type), ctx->ifname, ev->sender_portid);
}

int cmd_monitor(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"interface", required_argument, NULL, 'i'},
	    {"address", required_argument, NULL, 'a'},
	    {"expect-present", no_argument, NULL, 'e'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	const char *ifname = NULL, *address = NULL;
	bool expect = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "i:a:eh", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			ifname = optarg;
			break;
		case 'a':
			address = optarg;
			break;
		case 'e':
			expect = true;
			break;
		case 'h':
			fputs(monitor_usage, stdout);
			return 0;
		default:
			fputs(monitor_usage, stderr);
			return 2;
		}
	}
	if (optind != argc)
		return cli_fail("monitor: unexpected argument \"%s\"", argv[optind]);
	struct inet_prefix vip;
	if (address && cli_parse_vip(address, &vip) < 0)
		return 2;
	struct nl_sock sock;
	struct nl_link link;
	if (cli_open_link(ifname, &sock, &link) < 0)
		return 1;
	nl_sock_close(&sock);

	struct monitor_ctx ctx = {.lg = {.out = stdout, .level = LOG_INFO}, .ifname = ifname};
	struct nl_monitor mon;
	struct nl_error err;
	if (nl_monitor_open(&mon, link.index, address ? &vip : NULL, print_event, &ctx, &err) < 0)
		return cli_fail("%s", err.msg), 1;
	nl_monitor_set_link_state(&mon, nl_link_is_up(&link));
	nl_monitor_expect_vip(&mon, expect);

	int sfd = cli_termination_fd();
	if (sfd < 0)
		return cli_fail("signalfd: %s", strerror(-sfd)), 1;
	log_info(&ctx.lg, "monitoring", "interface=%s link_up=%s", ifname,
		 nl_link_is_up(&link) ? "true" : "false");

	struct pollfd pfds[2] = {{.fd = nl_monitor_fd(&mon), .events = POLLIN},
				 {.fd = sfd, .events = POLLIN}};
	int rc = 0;
	while (poll(pfds, 2, -1) >= 0 || errno == EINTR) {
		if (pfds[1].revents)
			break;
		if (pfds[0].revents && nl_monitor_dispatch(&mon, &err) < 0) {
			log_error(&ctx.lg, "monitor failed", "error=\"%s\"", err.msg);
			rc = 1;
			break;
		}
	}
	close(sfd);
	nl_monitor_close(&mon);
	return rc;
}
