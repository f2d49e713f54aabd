/*
 * cmd_elect.c — `vipd elect`: joins a leader election (Lease or etcd) and prints one
 * structured line per transition (started/stopped leading, new leader), without touching the
 * network configuration. Tests and people use it to watch an election; SIGTERM/SIGINT stops it
 * gracefully (the lock is released, as vipd releases it once its VIP is gone).
 *
 * Four steps: parse the options, build the configuration (the election's and the client's),
 * open the client and the elector, run them on the daemon's loop (loop/ + kc_loop).
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "elector.h"
#include "etcd_elector.h"
#include "kc_client.h"
#include "kc_config.h"
#include "kc_loop.h"
#include "lease_elector.h"
#include "loop.h"

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

/* What the command line says. */
struct elect_opts {
	const char *kubeconfig, *context, *server, *lease, *identity, *backend;
	struct cli_etcd etcd_opts;
	bool in_cluster, no_watch, etcd;
	struct le_timing t;
	int64_t run_for_ms, heartbeat_ms; /* 0: run until a signal; no heartbeat */
	enum log_level level;
};

/* One run of the command: configuration, client, elector and the loop they run on. */
struct elect_ctx {
	struct logger lg;
	struct le_config cfg;
	struct kc_config kcfg;
	struct cli_etcd etcd; /* the etcd options, endpoints split */
	struct loop *loop;
	struct kc_loop kcl;
	struct kc_client *kc;
	struct elector el;
	bool stopping;
	struct loop_timer for_timer, stop_timer, heartbeat_timer;
	int64_t heartbeat_ms, next_heartbeat;
};

/* Wall-clock seconds with microseconds: tests compare these across processes. */
static double wall_s(void)
{
	return (double)clock_wall_us() / 1e6;
}

/* ---- elector callbacks -------------------------------------------------------------------- */

static void on_started(void *arg)
{
	struct elect_ctx *c = arg;
	log_info(&c->lg, "started leading", "lease=%s/%s identity=%s at=%.6f", c->cfg.ns,
		 c->cfg.name, c->cfg.identity, wall_s());
}

static void on_stopped(void *arg, const char *reason)
{
	struct elect_ctx *c = arg;
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
	log_info(&c->lg, "released", "lease=%s/%s identity=%s at=%.6f", c->cfg.ns, c->cfg.name,
		 c->cfg.identity, wall_s());
	loop_stop(c->loop);
}

/* ---- step 1: options ---------------------------------------------------------------------- */

#define GO_ON (-1) /* parse_options: no exit code yet, carry on */

static int parse_dur(const char *name, const char *text, int64_t *ms)
{
	if (le_duration_parse(text, ms) < 0)
		return cli_fail("%s \"%s\": expected a duration such as 5, 5s or 500ms", name,
				text),
		       -EINVAL;
	return 0;
}

/* Fills `o` from argv. Returns GO_ON, or the exit code (0 after --help). */
static int parse_options(int argc, char **argv, struct elect_opts *o)
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
	    CLI_ETCD_OPTIONS,
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	*o = (struct elect_opts){.backend = "lease", .t = LE_TIMING_DEFAULT, .level = LOG_INFO};
	int opt;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (cli_etcd_option(opt, optarg, &o->etcd_opts))
			continue;
		switch (opt) {
		case 'k':
			o->kubeconfig = optarg;
			break;
		case 'c':
			o->context = optarg;
			break;
		case 'I':
			o->in_cluster = true;
			break;
		case 's':
			o->server = optarg;
			break;
		case 'l':
			o->lease = optarg;
			break;
		case 'i':
			o->identity = optarg;
			break;
		case 'D':
			if (parse_dur("--lease-duration", optarg, &o->t.lease_ms) < 0)
				return 2;
			break;
		case 'R':
			if (parse_dur("--renew-deadline", optarg, &o->t.renew_ms) < 0)
				return 2;
			break;
		case 'P':
			if (parse_dur("--retry-period", optarg, &o->t.retry_ms) < 0)
				return 2;
			break;
		case 'W':
			o->no_watch = true;
			break;
		case 'f':
			if (parse_dur("--for", optarg, &o->run_for_ms) < 0)
				return 2;
			break;
		case 'H':
			if (parse_dur("--heartbeat", optarg, &o->heartbeat_ms) < 0)
				return 2;
			if (o->heartbeat_ms <= 0)
				return cli_fail("--heartbeat \"%s\": must be positive", optarg);
			break;
		case 'L':
			if (log_level_parse(optarg, &o->level) < 0)
				return cli_fail(
				    "--log-level \"%s\": expected debug, info, warn or error",
				    optarg);
			break;
		case 'b':
			o->backend = optarg;
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
	o->etcd = !strcmp(o->backend, "etcd");
	if (!o->etcd && strcmp(o->backend, "lease"))
		return cli_fail("--backend \"%s\": expected lease or etcd", o->backend);
	return GO_ON;
}

/* ---- step 2: configuration ---------------------------------------------------------------- */

/* The lock, who we are and the timings. GO_ON or the exit code. */
static int build_election_config(const struct elect_opts *o, struct le_config *cfg)
{
	char why[512], host[256];
	const char *identity = o->identity;
	cfg->t = o->t;
	if (le_lock_parse(o->lease ? o->lease : "plndr-cp-lock", "kube-system", cfg, why,
			  sizeof(why)) < 0)
		return cli_fail("%s", why);
	if (!identity) {
		if (gethostname(host, sizeof(host)) < 0)
			return cli_fail("elect: gethostname: %s", strerror(errno));
		host[sizeof(host) - 1] = '\0';
		for (char *p = host; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		identity = host;
	}
	if (le_identity_set(cfg, identity, why, sizeof(why)) < 0)
		return cli_fail("%s", why);
	if (le_timing_validate(&cfg->t, why, sizeof(why)) < 0)
		return cli_fail("%s", why);
	return GO_ON;
}

/* etcd: the endpoints (the client starts on the first) and the TLS files. */
static int build_etcd_client_config(const struct elect_opts *o, struct elect_ctx *c)
{
	if (!o->etcd_opts.endpoints)
		return cli_fail("--backend etcd needs --etcd-endpoints");
	c->etcd = o->etcd_opts;
	return cli_etcd_client(&c->etcd, &c->kcfg) ? 2 : GO_ON;
}

/* Kubernetes: a kubeconfig or the in-cluster service account, and --server. */
static int build_kube_client_config(const struct elect_opts *o, struct kc_config *kcfg)
{
	char why[512];
	if (o->in_cluster == (o->kubeconfig != NULL))
		return cli_fail("elect: give exactly one of --kubeconfig and --in-cluster");
	int r;
	if (o->in_cluster)
		r = kc_config_in_cluster(NULL, getenv("KUBERNETES_SERVICE_HOST"),
					 getenv("KUBERNETES_SERVICE_PORT"), kcfg, why, sizeof(why));
	else
		r = kc_config_from_kubeconfig(o->kubeconfig, o->context, kcfg, why, sizeof(why));
	if (r < 0)
		return cli_fail("%s", why), 1;
	if (o->server && kc_config_override_server(kcfg, o->server, why, sizeof(why)) < 0)
		return cli_fail("%s", why);
	return GO_ON;
}

/* ---- the loop's handlers: signals, --for, the release deadline, --heartbeat -------------- */

static void on_stop_deadline(struct loop *l, void *arg)
{
	struct elect_ctx *c = arg;
	log_warn(&c->lg, "release did not finish in time", "lease=%s/%s", c->cfg.ns, c->cfg.name);
	loop_stop(l);
}

/* No duties to undo here: release at once, and give it renewDeadline. */
static void stop(struct elect_ctx *c)
{
	if (c->stopping)
		return;
	c->stopping = true;
	loop_timer_disarm(c->loop, &c->for_timer);
	loop_timer_arm_in(c->loop, &c->stop_timer, c->cfg.t.renew_ms, on_stop_deadline, c);
	elector_shutdown(&c->el);
	elector_duties_undone(&c->el);
}

static void on_terminate(struct loop *l, int sig, void *arg)
{
	(void)l;
	(void)sig;
	struct elect_ctx *c = arg;
	if (!c->stopping)
		log_info(&c->lg, "stopping", "lease=%s/%s identity=%s", c->cfg.ns, c->cfg.name,
			 c->cfg.identity);
	stop(c);
}

static void on_run_for_elapsed(struct loop *l, void *arg)
{
	(void)l;
	stop(arg);
}

static void on_heartbeat(struct loop *l, void *arg)
{
	struct elect_ctx *c = arg;
	if (elector_is_leader(&c->el))
		log_info(&c->lg, "leading", "lease=%s/%s identity=%s at=%.6f", c->cfg.ns,
			 c->cfg.name, c->cfg.identity, wall_s());
	/* On the beat, unless we fell behind it. */
	c->next_heartbeat += c->heartbeat_ms;
	if (c->next_heartbeat < loop_now_ms(l))
		c->next_heartbeat = loop_now_ms(l) + c->heartbeat_ms;
	loop_timer_arm(l, &c->heartbeat_timer, c->next_heartbeat, on_heartbeat, c);
}

static void before_sleep(struct loop *l, void *arg)
{
	(void)l;
	kc_loop_rearm(arg);
}

/* ---- step 3: open the loop, the client and the elector ----------------------------------- */

/* Opened before the client: SIGINT and SIGTERM are blocked from here on, so none is lost.
 * 0 or the exit code. */
static int open_loop(struct elect_ctx *c)
{
	int r;
	if ((r = loop_new(&c->loop)) < 0)
		return cli_fail("elect: event loop: %s", strerror(-r)), 1;
	if ((r = loop_signal(c->loop, SIGINT, on_terminate, c)) < 0 ||
	    (r = loop_signal(c->loop, SIGTERM, on_terminate, c)) < 0)
		return cli_fail("elect: signals: %s", strerror(-r)), 1;
	loop_set_before_sleep(c->loop, before_sleep, &c->kcl);
	return 0;
}

static int open_client(const struct elect_opts *o, struct elect_ctx *c)
{
	char why[512];
	c->kcl.loop = c->loop;
	struct kc_client_opts ko = {.cfg = &c->kcfg,
				    .log = kc_loop_log,
				    .log_arg = &c->lg,
				    .on_fd = kc_loop_on_fd,
				    .loop_arg = &c->kcl,
				    .user_agent = "vipd-elect",
				    .plain_http_json = o->etcd};
	if (kc_client_new(&ko, &c->kc, why, sizeof(why)) < 0)
		return cli_fail("%s", why), 1;
	c->kcl.kc = c->kc;
	struct elector_callbacks cb = {.started_leading = on_started,
				       .stopped_leading = on_stopped,
				       .new_leader = on_new_leader,
				       .released = on_released,
				       .arg = c};
	int r;
	if (o->etcd) {
		struct etcd_elector_opts eo = {.cfg = &c->cfg,
					       .kc = c->kc,
					       .endpoints = (const char *const *)c->etcd.eps,
					       .n_endpoints = c->etcd.n_eps,
					       .cb = cb};
		r = etcd_elector_new(&eo, &c->el, why, sizeof(why));
	} else {
		struct lease_elector_opts lo = {
		    .cfg = &c->cfg, .kc = c->kc, .cb = cb, .no_watch = o->no_watch};
		r = lease_elector_new(&lo, &c->el, why, sizeof(why));
	}
	if (r < 0)
		return cli_fail("%s", why), 1;
	return 0;
}

/* ---- step 4: run ------------------------------------------------------------------------- */

/* Runs until the lock is released after a stop (signal or --for), or the release times out. */
static int run(struct elect_ctx *c, int64_t run_for_ms)
{
	if (run_for_ms > 0)
		loop_timer_arm_in(c->loop, &c->for_timer, run_for_ms, on_run_for_elapsed, c);
	if (c->heartbeat_ms > 0) {
		c->next_heartbeat = loop_now_ms(c->loop);
		loop_timer_arm(c->loop, &c->heartbeat_timer, c->next_heartbeat, on_heartbeat, c);
	}
	int r = loop_run(c->loop);
	if (r < 0)
		return cli_fail("elect: event loop: %s", strerror(-r)), 1;
	return 0;
}

static void log_summary(struct elect_ctx *c, double secs)
{
	struct kc_stats ks;
	struct elector_stats es;
	kc_client_stats(c->kc, &ks);
	elector_stats(&c->el, &es);
	log_info(&c->lg, "election finished",
		 "lease=%s/%s identity=%s seconds=%.3f requests=%llu requests_per_second=%.3f "
		 "failures=%llu reads=%llu writes=%llu conflicts=%llu watch_events=%llu "
		 "acquisitions=%llu step_downs=%llu vacancy_waits=%llu",
		 c->cfg.ns, c->cfg.name, c->cfg.identity, secs, (unsigned long long)ks.requests,
		 secs > 0 ? (double)ks.requests / secs : 0.0, (unsigned long long)ks.failures,
		 (unsigned long long)es.reads, (unsigned long long)es.writes,
		 (unsigned long long)es.conflicts, (unsigned long long)es.watch_events,
		 (unsigned long long)es.acquisitions, (unsigned long long)es.step_downs,
		 (unsigned long long)es.vacancy_waits);
}

static void close_all(struct elect_ctx *c)
{
	elector_free(&c->el);
	if (c->kc) {
		kc_loop_detach(&c->kcl);
		kc_client_free(c->kc);
	}
	kc_config_free(&c->kcfg);
	cli_etcd_free(&c->etcd);
	loop_free(c->loop);
}

int cmd_elect(int argc, char **argv)
{
	struct elect_opts o;
	int rc = parse_options(argc, argv, &o);
	if (rc != GO_ON)
		return rc;
	struct elect_ctx c = {.lg = {.out = stdout, .level = o.level},
			      .heartbeat_ms = o.heartbeat_ms};
	if ((rc = build_election_config(&o, &c.cfg)) == GO_ON)
		rc = o.etcd ? build_etcd_client_config(&o, &c)
			    : build_kube_client_config(&o, &c.kcfg);
	if (rc == GO_ON && (open_loop(&c) != 0 || open_client(&o, &c) != 0))
		rc = 1;
	if (rc != GO_ON) {
		close_all(&c);
		return rc;
	}
	log_info(&c.lg, "joined election",
		 "backend=%s lease=%s/%s identity=%s lease_duration_ms=%lld renew_deadline_ms=%lld "
		 "retry_period_ms=%lld server=%s watch=%s",
		 o.backend, c.cfg.ns, c.cfg.name, c.cfg.identity, (long long)c.cfg.t.lease_ms,
		 (long long)c.cfg.t.renew_ms, (long long)c.cfg.t.retry_ms, c.kcfg.server,
		 o.no_watch && !o.etcd ? "false" : "true");
	int64_t t0 = clock_boot_ms();
	rc = run(&c, o.run_for_ms);
	log_summary(&c, (double)(clock_boot_ms() - t0) / 1000.0);
	close_all(&c);
	return rc;
}
