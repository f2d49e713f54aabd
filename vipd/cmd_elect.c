/*
 * cmd_elect.c — `vipd elect`: joins a leader election (Lease or etcd) and prints one
 * structured line per transition (started/stopped leading, new leader), without touching the
 * network configuration. Tests and people use it to watch an election; SIGTERM/SIGINT stops it
 * gracefully (the lock is released, as vipd releases it once its VIP is gone).
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "elector.h"
#include "etcd_elector.h"
#include "kc_client.h"
#include "kc_config.h"
#include "lease_elector.h"

static const char elect_usage[] =
    "usage: vipd elect (--kubeconfig FILE [--context NAME] | --in-cluster) [--server ADDR]\n"
    "                  [--lease NS/NAME] [--identity ID]\n"
    "                  [--lease-duration D] [--renew-deadline D] [--retry-period D]\n"
    "                  [--no-watch] [--heartbeat D] [--for D] [--log-level L]\n"
    "       vipd elect --backend etcd --etcd-endpoints URL[,URL...]\n"
    "                  [--etcd-cacert F --etcd-cert F --etcd-key F] [--lease NS/NAME] ...\n"
    "Defaults: --lease kube-system/plndr-cp-lock, --identity the host name (lowercased),\n"
    "timings 15s/10s/2s (kube-vip's). Durations: 5, 5s, 500ms. Prints one line per change.\n"
    "--heartbeat D prints \"leading\" every D while the elector says we lead as of now (what\n"
    "vipd asks before every announcement): tests use it to see who acts as leader when.\n";

/* Wall-clock seconds with microseconds: tests compare these across processes. */
static double wall_s(void)
{
	return (double)clock_wall_us() / 1e6;
}

struct elect_ctx {
	struct logger lg;
	struct le_config cfg;
	struct elector el;
	bool released;
	uint64_t transitions;
};

static void on_started(void *arg)
{
	struct elect_ctx *c = arg;
	c->transitions++;
	log_info(&c->lg, "started leading", "lease=%s/%s identity=%s at=%.6f", c->cfg.ns,
		 c->cfg.name, c->cfg.identity, wall_s());
}

static void on_stopped(void *arg, const char *reason)
{
	struct elect_ctx *c = arg;
	c->transitions++;
	log_info(&c->lg, "stopped leading", "lease=%s/%s identity=%s at=%.6f reason=\"%s\"",
		 c->cfg.ns, c->cfg.name, c->cfg.identity, wall_s(), reason);
}

static void on_new_leader(void *arg, const char *leader)
{
	struct elect_ctx *c = arg;
	log_info(&c->lg, "new leader", "lease=%s/%s identity=%s at=%.6f leader=\"%s\"", c->cfg.ns,
		 c->cfg.name, c->cfg.identity, wall_s(), leader);
}

static void on_released(void *arg)
{
	struct elect_ctx *c = arg;
	c->released = true;
	log_info(&c->lg, "released", "lease=%s/%s identity=%s at=%.6f", c->cfg.ns, c->cfg.name,
		 c->cfg.identity, wall_s());
}

static void kc_log(void *arg, enum kc_log_level level, const char *msg, const char *kv)
{
	static const enum log_level map[] = {LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR};
	if (*kv)
		log_at(arg, map[level], msg, "%s", kv);
	else
		log_at(arg, map[level], msg, NULL);
}

static int parse_dur(const char *name, const char *text, int64_t *ms)
{
	if (le_duration_parse(text, ms) < 0)
		return cli_fail("%s \"%s\": expected a duration such as 5, 5s or 500ms", name,
				text),
		       -EINVAL;
	return 0;
}

/* Splits "a,b,c" in place. */
static size_t split_commas(char *s, char **out, size_t max)
{
	size_t n = 0;
	for (char *tok = strtok(s, ","); tok && n < max; tok = strtok(NULL, ","))
		if (*tok)
			out[n++] = tok;
	return n;
}

static int load_pem_file(const char *opt, const char *path, struct kc_blob *out)
{
	if (!path)
		return 0;
	int r = kc_read_file(path, out);
	if (r < 0)
		return cli_fail("%s \"%s\": %s", opt, path, strerror(-r)), r;
	return 0;
}

/* Runs the loop until stopped: poll over the client's fds and a signalfd. */
static int run(struct elect_ctx *c, struct kc_client *kc, int64_t run_for_ms, int64_t hb_ms)
{
	int64_t next_hb = hb_ms > 0 ? clock_boot_ms() : -1;
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0)
		return cli_fail("elect: signalfd: %s", strerror(errno)), 1;
	int64_t start = clock_boot_ms(), stop_deadline = -1;
	bool stopping = false;
	struct pollfd fds[64];
	while (!c->released) {
		int64_t now = clock_boot_ms();
		if (!stopping && run_for_ms > 0 && now - start >= run_for_ms) {
			stopping = true;
		}
		if (stopping && stop_deadline < 0) {
			/* No duties to undo here: release at once, give it renewDeadline. */
			stop_deadline = now + c->cfg.t.renew_ms;
			elector_shutdown(&c->el);
			elector_duties_undone(&c->el);
			continue;
		}
		if (stop_deadline >= 0 && now >= stop_deadline) {
			log_warn(&c->lg, "release did not finish in time", "lease=%s/%s", c->cfg.ns,
				 c->cfg.name);
			break;
		}
		fds[0] = (struct pollfd){.fd = sfd, .events = POLLIN};
		size_t n = 1 + kc_client_pollfds(kc, fds + 1, 63);
		int timeout = kc_client_timeout_ms(kc);
		int64_t limit = stop_deadline >= 0 ? stop_deadline
				: run_for_ms > 0   ? start + run_for_ms
						   : -1;
		if (next_hb >= 0 && (limit < 0 || next_hb < limit))
			limit = next_hb;
		if (limit >= 0 && (timeout < 0 || now + timeout > limit))
			timeout = (int)(limit - now > 0 ? limit - now : 0);
		int r = poll(fds, n, timeout);
		if (r < 0 && errno != EINTR) {
			close(sfd);
			return cli_fail("elect: poll: %s", strerror(errno)), 1;
		}
		if (r > 0 && (fds[0].revents & POLLIN)) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof(si)) == sizeof(si))
				;
			if (!stopping)
				log_info(&c->lg, "stopping", "lease=%s/%s identity=%s", c->cfg.ns,
					 c->cfg.name, c->cfg.identity);
			stopping = true;
		}
		for (size_t i = 1; r > 0 && i < n; i++)
			if (fds[i].revents)
				kc_client_on_fd(kc, fds[i].fd, fds[i].revents);
		kc_client_on_timeout(kc);
		if (next_hb >= 0 && clock_boot_ms() >= next_hb) {
			if (elector_is_leader(&c->el))
				log_info(&c->lg, "leading", "lease=%s/%s identity=%s at=%.6f",
					 c->cfg.ns, c->cfg.name, c->cfg.identity, wall_s());
			next_hb += hb_ms;
			if (next_hb < clock_boot_ms())
				next_hb = clock_boot_ms() + hb_ms;
		}
	}
	close(sfd);
	return 0;
}

int cmd_elect(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"kubeconfig", required_argument, NULL, 'k'},
	    {"context", required_argument, NULL, 'c'},
	    {"in-cluster", no_argument, NULL, 'I'},
	    {"server", required_argument, NULL, 's'},
	    {"lease", required_argument, NULL, 'l'},
	    {"identity", required_argument, NULL, 'i'},
	    {"lease-duration", required_argument, NULL, 'D'},
	    {"renew-deadline", required_argument, NULL, 'R'},
	    {"retry-period", required_argument, NULL, 'P'},
	    {"no-watch", no_argument, NULL, 'W'},
	    {"for", required_argument, NULL, 'f'},
	    {"heartbeat", required_argument, NULL, 'H'},
	    {"log-level", required_argument, NULL, 'L'},
	    {"backend", required_argument, NULL, 'b'},
	    {"etcd-endpoints", required_argument, NULL, 'e'},
	    {"etcd-cacert", required_argument, NULL, 'A'},
	    {"etcd-cert", required_argument, NULL, 'C'},
	    {"etcd-key", required_argument, NULL, 'K'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	const char *kubeconfig = NULL, *context = NULL, *server = NULL, *lease = NULL;
	const char *identity = NULL, *backend = "lease", *endpoints = NULL;
	const char *cacert = NULL, *cert = NULL, *key = NULL;
	bool in_cluster = false, no_watch = false;
	int64_t run_for = 0, heartbeat = 0;
	struct elect_ctx c = {.lg = {.out = stdout, .level = LOG_INFO}};
	c.cfg.t = LE_TIMING_DEFAULT;
	int opt;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'k':
			kubeconfig = optarg;
			break;
		case 'c':
			context = optarg;
			break;
		case 'I':
			in_cluster = true;
			break;
		case 's':
			server = optarg;
			break;
		case 'l':
			lease = optarg;
			break;
		case 'i':
			identity = optarg;
			break;
		case 'D':
			if (parse_dur("--lease-duration", optarg, &c.cfg.t.lease_ms) < 0)
				return 2;
			break;
		case 'R':
			if (parse_dur("--renew-deadline", optarg, &c.cfg.t.renew_ms) < 0)
				return 2;
			break;
		case 'P':
			if (parse_dur("--retry-period", optarg, &c.cfg.t.retry_ms) < 0)
				return 2;
			break;
		case 'W':
			no_watch = true;
			break;
		case 'f':
			if (parse_dur("--for", optarg, &run_for) < 0)
				return 2;
			break;
		case 'H':
			if (parse_dur("--heartbeat", optarg, &heartbeat) < 0)
				return 2;
			if (heartbeat <= 0)
				return cli_fail("--heartbeat \"%s\": must be positive", optarg);
			break;
		case 'L':
			if (log_level_parse(optarg, &c.lg.level) < 0)
				return cli_fail(
				    "--log-level \"%s\": expected debug, info, warn or error",
				    optarg);
			break;
		case 'b':
			backend = optarg;
			break;
		case 'e':
			endpoints = optarg;
			break;
		case 'A':
			cacert = optarg;
			break;
		case 'C':
			cert = optarg;
			break;
		case 'K':
			key = optarg;
			break;
		case 'h':
			fputs(elect_usage, stdout);
			return 0;
		default:
			fputs(elect_usage, stderr);
			return 2;
		}
	}
	if (optind != argc)
		return cli_fail("elect: unexpected argument \"%s\"", argv[optind]);
	bool etcd = !strcmp(backend, "etcd");
	if (!etcd && strcmp(backend, "lease"))
		return cli_fail("--backend \"%s\": expected lease or etcd", backend);

	char why[512];
	if (le_lock_parse(lease ? lease : "plndr-cp-lock", "kube-system", &c.cfg, why,
			  sizeof(why)) < 0)
		return cli_fail("%s", why);
	char host[256];
	if (!identity) {
		if (gethostname(host, sizeof(host)) < 0)
			return cli_fail("elect: gethostname: %s", strerror(errno));
		host[sizeof(host) - 1] = '\0';
		for (char *p = host; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		identity = host;
	}
	if (le_identity_set(&c.cfg, identity, why, sizeof(why)) < 0)
		return cli_fail("%s", why);
	if (le_timing_validate(&c.cfg.t, why, sizeof(why)) < 0)
		return cli_fail("%s", why);

	struct kc_config kcfg = {0};
	char *eps[16];
	size_t neps = 0;
	char *ep_copy = NULL;
	if (etcd) {
		if (!endpoints)
			return cli_fail("--backend etcd needs --etcd-endpoints");
		ep_copy = strdup(endpoints);
		neps = ep_copy ? split_commas(ep_copy, eps, 16) : 0;
		if (!neps) {
			free(ep_copy);
			return cli_fail("--etcd-endpoints \"%s\": no endpoint", endpoints);
		}
		if ((cert == NULL) != (key == NULL)) {
			free(ep_copy);
			return cli_fail("--etcd-cert and --etcd-key go together");
		}
		if (load_pem_file("--etcd-cacert", cacert, &kcfg.ca) < 0 ||
		    load_pem_file("--etcd-cert", cert, &kcfg.cert) < 0 ||
		    load_pem_file("--etcd-key", key, &kcfg.key) < 0) {
			kc_config_free(&kcfg);
			free(ep_copy);
			return 2;
		}
		kcfg.server = strdup(eps[0]);
		kcfg.source = strdup("--etcd-endpoints");
	} else {
		if (in_cluster == (kubeconfig != NULL))
			return cli_fail("elect: give exactly one of --kubeconfig and --in-cluster");
		int r = in_cluster ? kc_config_in_cluster(NULL, getenv("KUBERNETES_SERVICE_HOST"),
							  getenv("KUBERNETES_SERVICE_PORT"), &kcfg,
							  why, sizeof(why))
				   : kc_config_from_kubeconfig(kubeconfig, context, &kcfg, why,
							       sizeof(why));
		if (r < 0)
			return cli_fail("%s", why), 1;
		if (server && kc_config_override_server(&kcfg, server, why, sizeof(why)) < 0) {
			kc_config_free(&kcfg);
			return cli_fail("%s", why);
		}
	}

	struct kc_client *kc;
	struct kc_client_opts ko = {.cfg = &kcfg,
				    .log = kc_log,
				    .log_arg = &c.lg,
				    .user_agent = "vipd-elect",
				    .plain_http_json = etcd};
	int rc = 1;
	if (kc_client_new(&ko, &kc, why, sizeof(why)) < 0) {
		cli_fail("%s", why);
		goto out_cfg;
	}
	struct elector_callbacks cb = {.started_leading = on_started,
				       .stopped_leading = on_stopped,
				       .new_leader = on_new_leader,
				       .released = on_released,
				       .arg = &c};
	int r;
	if (etcd) {
		struct etcd_elector_opts eo = {.cfg = &c.cfg,
					       .kc = kc,
					       .endpoints = (const char *const *)eps,
					       .n_endpoints = neps,
					       .cb = cb};
		r = etcd_elector_new(&eo, &c.el, why, sizeof(why));
	} else {
		struct lease_elector_opts lo = {
		    .cfg = &c.cfg, .kc = kc, .cb = cb, .no_watch = no_watch};
		r = lease_elector_new(&lo, &c.el, why, sizeof(why));
	}
	if (r < 0) {
		cli_fail("%s", why);
		goto out_kc;
	}
	log_info(&c.lg, "joined election",
		 "backend=%s lease=%s/%s identity=%s lease_duration_ms=%lld renew_deadline_ms=%lld "
		 "retry_period_ms=%lld server=%s watch=%s",
		 backend, c.cfg.ns, c.cfg.name, c.cfg.identity, (long long)c.cfg.t.lease_ms,
		 (long long)c.cfg.t.renew_ms, (long long)c.cfg.t.retry_ms, kcfg.server,
		 no_watch && !etcd ? "false" : "true");

	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	int64_t t0 = clock_boot_ms();
	rc = run(&c, kc, run_for, heartbeat);
	double secs = (double)(clock_boot_ms() - t0) / 1000.0;

	struct kc_stats ks;
	struct elector_stats es;
	kc_client_stats(kc, &ks);
	elector_stats(&c.el, &es);
	log_info(&c.lg, "election finished",
		 "lease=%s/%s identity=%s seconds=%.3f requests=%llu requests_per_second=%.3f "
		 "failures=%llu reads=%llu writes=%llu conflicts=%llu watch_events=%llu "
		 "acquisitions=%llu step_downs=%llu",
		 c.cfg.ns, c.cfg.name, c.cfg.identity, secs, (unsigned long long)ks.requests,
		 secs > 0 ? (double)ks.requests / secs : 0.0, (unsigned long long)ks.failures,
		 (unsigned long long)es.reads, (unsigned long long)es.writes,
		 (unsigned long long)es.conflicts, (unsigned long long)es.watch_events,
		 (unsigned long long)es.acquisitions, (unsigned long long)es.step_downs);
	elector_free(&c.el);
out_kc:
	kc_client_free(kc);
out_cfg:
	kc_config_free(&kcfg);
	free(ep_copy);
	return rc;
}
