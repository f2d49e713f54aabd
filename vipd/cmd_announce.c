/*
 * cmd_announce.c — `vipd announce`: send the VIP's gratuitous ARP / unsolicited NA by hand, as
 * arping -U does, through the same announcer and timetable the daemon uses, on the daemon's
 * loop (loop/): one timer for the next frame, SIGINT/SIGTERM to stop early.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "announcer.h"
#include "cli.h"
#include "loop.h"
#include "schedule.h"

static const char announce_usage[] =
    "usage: vipd announce --interface IF --address IP [--count N] [--interval MS]\n"
    "                     [--rate MS] [--mode alternate|request|reply]\n"
    "  --count N      frames to send, then exit (default 3); 0 = a burst of 3, then one\n"
    "                 every --rate ms until interrupted, as the leader does\n"
    "  --interval MS  spacing of the burst (default 50)\n"
    "  --rate MS      period after the burst (default 3000, at least 500)\n"
    "  --mode         ARP opcode: alternate (default, as kube-vip), request or reply\n";

static void format_mac(const uint8_t *mac, char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
}

struct announce_run {
	struct logger lg;
	const char *ifname;
	char text[INET6_ADDRSTRLEN]; /* the address, for log lines */
	struct announcer ann;
	struct announce_schedule sched;
	uint64_t count; /* frames to send; 0: until interrupted */
	struct loop_timer timer;
	int rc;
};

/* Sends the frame that is due, then sleeps until the next one (or stops after the last). */
static void on_timer(struct loop *l, void *arg)
{
	struct announce_run *a = arg;
	uint64_t now = (uint64_t)loop_now_ms(l);
	if (announce_schedule_due(&a->sched, now)) {
		struct nl_error err;
		if (announcer_send(&a->ann, &err) < 0) {
			log_error(&a->lg, "announce failed", "interface=%s address=%s error=\"%s\"",
				  a->ifname, a->text, err.msg);
			a->rc = 1;
			loop_stop(l);
			return;
		}
		announce_schedule_sent(&a->sched, now);
	}
	if (a->count && a->ann.sent >= a->count) {
		loop_stop(l);
		return;
	}
	loop_timer_arm_in(l, &a->timer, announce_schedule_timeout_ms(&a->sched, now), on_timer, a);
}

static void on_terminate(struct loop *l, int sig, void *arg)
{
	(void)sig;
	(void)arg;
	loop_stop(l); /* interrupted: not an error */
}

/* Announces on a loop of its own until done, interrupted or failed. Returns the exit code. */
static int run(struct announce_run *a)
{
	struct loop *l;
	int r = loop_new(&l);
	if (r < 0)
		return cli_fail("announce: event loop: %s", strerror(-r)), 1;
	if ((r = loop_signal(l, SIGINT, on_terminate, a)) < 0 ||
	    (r = loop_signal(l, SIGTERM, on_terminate, a)) < 0) {
		loop_free(l);
		return cli_fail("signalfd: %s", strerror(-r)), 1;
	}
	announce_schedule_start(&a->sched, (uint64_t)loop_now_ms(l),
				a->count ? (unsigned)a->count : ANNOUNCE_BURST_DEFAULT);
	loop_timer_arm_in(l, &a->timer, 0, on_timer, a);
	r = loop_run(l);
	loop_free(l);
	if (r < 0)
		return cli_fail("announce: event loop: %s", strerror(-r)), 1;
	return a->rc;
}

int cmd_announce(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"interface", required_argument, NULL, 'i'},
	    {"address", required_argument, NULL, 'a'},
	    {"count", required_argument, NULL, 'c'},
	    {"interval", required_argument, NULL, 'I'},
	    {"rate", required_argument, NULL, 'r'},
	    {"mode", required_argument, NULL, 'm'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	const char *ifname = NULL, *address = NULL;
	uint64_t count = ANNOUNCE_BURST_DEFAULT, interval = ANNOUNCE_SPACING_DEFAULT_MS,
		 rate = ANNOUNCE_PERIOD_DEFAULT_MS;
	enum garp_mode mode = GARP_MODE_ALTERNATE;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "i:a:c:I:r:m:h", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			ifname = optarg;
			break;
		case 'a':
			address = optarg;
			break;
		case 'c':
			if (cli_parse_uint("--count", optarg, 0, 1000000, &count) < 0)
				return 2;
			break;
		case 'I':
			if (cli_parse_uint("--interval", optarg, 1, 3600000, &interval) < 0)
				return 2;
			break;
		case 'r':
			if (cli_parse_uint("--rate", optarg, ANNOUNCE_PERIOD_MIN_MS, 3600000,
					   &rate) < 0)
				return 2;
			break;
		case 'm':
			if (garp_mode_parse(optarg, &mode) < 0)
				return cli_fail(
				    "--mode \"%s\": must be alternate, request or reply", optarg);
			break;
		case 'h':
			fputs(announce_usage, stdout);
			return 0;
		default:
			fputs(announce_usage, stderr);
			return 2;
		}
	}
	if (optind != argc)
		return cli_fail("announce: unexpected argument \"%s\"", argv[optind]);
	if (!address)
		return cli_fail("--address is required");
	struct announce_run a = {.lg = {.out = stdout, .level = LOG_INFO}, .count = count};
	if (announce_schedule_init(&a.sched, rate, interval) < 0)
		return cli_fail("--interval %llu: must be shorter than --rate %llu",
				(unsigned long long)interval, (unsigned long long)rate);
	struct inet_prefix vip;
	if (cli_parse_vip(address, &vip) < 0)
		return 2;
	struct nl_sock sock;
	struct nl_link link;
	if (cli_open_link(ifname, &sock, &link) < 0)
		return 1;
	nl_sock_close(&sock);
	if (link.mac_len != 6)
		return cli_fail("interface \"%s\": not an Ethernet interface (hardware type %u)",
				ifname, link.hwtype);

	a.ifname = ifname;
	inet_prefix_format_addr(&vip, a.text, sizeof(a.text));
	struct nl_error err;
	if (announcer_open(&a.ann, link.index, link.mac, &vip, mode, &err) < 0)
		return cli_fail("interface \"%s\": %s", ifname, err.msg), 1;
	int rc = run(&a);
	char mac[18];
	format_mac(link.mac, mac, sizeof(mac));
	log_info(&a.lg, "announced", "interface=%s address=%s mac=%s frames=%llu kind=%s", ifname,
		 a.text, mac, (unsigned long long)a.ann.sent,
		 vip.family == AF_INET ? "garp" : "na");
	announcer_close(&a.ann);
	return rc;
}
