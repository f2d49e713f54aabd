/*
 * cmd_monitor.c — `vipd monitor`: prints one line per change the daemon would react to (VIP
 * removed or added behind its back, link down/up), like `ip monitor` filtered to what matters.
 * Runs on the daemon's loop (loop/) until SIGINT or SIGTERM.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "loop.h"
#include "nl_monitor.h"

static const char monitor_usage[] =
    "usage: vipd monitor --interface IF [--address IP] [--expect-present]\n";

struct monitor_ctx {
	struct logger lg;
	const char *ifname;
	struct nl_monitor mon;
	int rc;
};

static void print_event(const struct nl_event *ev, void *data)
{
	struct monitor_ctx *ctx = data;
	log_info(&ctx->lg, "netlink event", "event=%s interface=%s sender_portid=%u",
		 nl_event_name(ev->type), ctx->ifname, ev->sender_portid);
}

static void on_readable(struct loop *l, int fd, unsigned events, void *arg)
{
	(void)fd;
	(void)events;
	struct monitor_ctx *ctx = arg;
	struct nl_error err;
	if (nl_monitor_dispatch(&ctx->mon, &err) < 0) {
		log_error(&ctx->lg, "monitor failed", "error=\"%s\"", err.msg);
		ctx->rc = 1;
		loop_stop(l);
	}
}

static void on_terminate(struct loop *l, int sig, void *arg)
{
	(void)sig;
	(void)arg;
	loop_stop(l);
}

/* Watches the monitor's socket on a loop of its own until a signal or a failure. Returns the
 * exit code. */
static int run(struct monitor_ctx *ctx, bool link_up)
{
	struct loop *l;
	int r = loop_new(&l);
	if (r < 0)
		return cli_fail("monitor: event loop: %s", strerror(-r)), 1;
	if ((r = loop_signal(l, SIGINT, on_terminate, ctx)) < 0 ||
	    (r = loop_signal(l, SIGTERM, on_terminate, ctx)) < 0 ||
	    (r = loop_fd_set(l, nl_monitor_fd(&ctx->mon), LOOP_READ, on_readable, ctx)) < 0) {
		loop_free(l);
		return cli_fail("monitor: event loop: %s", strerror(-r)), 1;
	}
	log_info(&ctx->lg, "monitoring", "interface=%s link_up=%s", ctx->ifname,
		 link_up ? "true" : "false");
	r = loop_run(l);
	loop_free(l);
	if (r < 0)
		return cli_fail("monitor: event loop: %s", strerror(-r)), 1;
	return ctx->rc;
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
	struct nl_error err;
	if (nl_monitor_open(&ctx.mon, link.index, address ? &vip : NULL, print_event, &ctx, &err) <
	    0)
		return cli_fail("%s", err.msg), 1;
	nl_monitor_set_link_state(&ctx.mon, nl_link_is_up(&link));
	nl_monitor_expect_vip(&ctx.mon, expect);

	int rc = run(&ctx, nl_link_is_up(&link));
	nl_monitor_close(&ctx.mon);
	return rc;
}
