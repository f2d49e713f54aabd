/*
 * cmd_announce.c — `vipd announce`: send the VIP's gratuitous ARP / unsolicited NA by hand, as
 * arping -U does, through the same announcer and timetable the daemon uses.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "announcer.h"
#include "cli.h"
#include "clock.h"
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
	uint64_t count = 3, interval = ANNOUNCE_SPACING_DEFAULT_MS,
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
	struct announce_schedule sched;
	if (announce_schedule_init(&sched, rate, interval) < 0)
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

	struct logger lg = {.out = stdout, .level = LOG_INFO};
	struct announcer ann;
	struct nl_error err;
	if (announcer_open(&ann, link.index, link.mac, &vip, mode, &err) < 0)
		return cli_fail("interface \"%s\": %s", ifname, err.msg), 1;

	int sfd = cli_termination_fd();
	if (sfd < 0)
		return cli_fail("signalfd: %s", strerror(-sfd)), 1;

	char mac[18], text[INET6_ADDRSTRLEN];
	format_mac(link.mac, mac, sizeof(mac));
	inet_prefix_format_addr(&vip, text, sizeof(text));
	announce_schedule_start(&sched, (uint64_t)clock_boot_ms(), count ? (unsigned)count : 3);
	int rc = 0;
	while (count == 0 || ann.sent < count) {
		int64_t wait = announce_schedule_timeout_ms(&sched, (uint64_t)clock_boot_ms());
		struct pollfd pfd = {.fd = sfd, .events = POLLIN};
		int n = poll(&pfd, 1, (int)wait);
		if (n > 0)
			break; /* interrupted */
		if (n < 0 && errno != EINTR)
			break;
		uint64_t now = (uint64_t)clock_boot_ms();
		if (!announce_schedule_due(&sched, now))
			continue;
		if (announcer_send(&ann, &err) < 0) {
			log_error(&lg, "announce failed", "interface=%s address=%s error=\"%s\"",
				  ifname, text, err.msg);
			rc = 1;
			break;
		}
		announce_schedule_sent(&sched, now);
	}
	log_info(&lg, "announced", "interface=%s address=%s mac=%s frames=%llu kind=%s", ifname,
		 text, mac, (unsigned long long)ann.sent, vip.family == AF_INET ? "garp" : "na");
	close(sfd);
	announcer_close(&ann);
	return rc;
}
