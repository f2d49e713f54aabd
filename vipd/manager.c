/*
 * manager.c — the daemon's life: open everything, run the one loop, carry out what duties.c
 * decides after every change, and stop cleanly (VIP deleted, lease released, exit 0 within a
 * second). Leadership callbacks from any elector land here.
 */
#include "manager.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "duties.h"

#define STOP_GRACE_MS	       900 /* SIGTERM → exit within 1 s, released or not */
#define HANDOVER_ANY_REJOIN_MS 250

/* ---- duties ------------------------------------------------------------------------------- */

static void on_duty_timer(struct loop *l, void *arg)
{
	(void)l;
	manager_duties(arg);
}

/* A VIP found at start-up waits for the first read of the lock (or renewDeadline). */
static bool leftover_waits(struct manager *mg, int64_t now)
{
	if (!mg->leftover || mg->observed)
		return false;
	int64_t until = mg->started_ms + mg->cfg.election.t.renew_ms;
	if (now >= until)
		return false;
	loop_timer_arm(mg->loop, &mg->duty_timer, until, on_duty_timer, mg);
	return true;
}

static void fill_inputs(struct manager *mg, int64_t now, struct duty_inputs *in)
{
	bool leading = mg->el_live && elector_is_leader(&mg->el);
	int64_t renewed = leading ? elector_renewed_at(&mg->el) / 1000000 : 0;
	*in = (struct duty_inputs){.now_ms = now,
				   .leading = leading,
				   .renewed_at_ms = renewed,
				   .lease_ms = mg->cfg.election.t.lease_ms,
				   .granularity_ms = MGR_KERNEL_LIFETIME_GRANULARITY_MS,
				   .vip_on = mg->vip_on,
				   .vip_expires_ms = mg->vip_expires_ms,
				   .link_up = mg->link_up,
				   .arp = mg->ann_open,
				   .announcing = mg->sched.active,
				   .preserve = mg->cfg.preserve_on_loss && !mg->leftover &&
					       !(mg->out & MGR_OUT_HANDOVER)};
}

/* While leading, re-plan when the lifetime we could give runs out (renewals have stopped). */
static void arm_duty_timer(struct manager *mg, const struct duty_inputs *in)
{
	if (!in->leading)
		return;
	int64_t at = in->renewed_at_ms + in->lease_ms - in->granularity_ms - DUTY_REQUEST_SLACK_MS -
		     1000 + 1;
	loop_timer_arm(mg->loop, &mg->duty_timer, at, on_duty_timer, mg);
}

void manager_duties(struct manager *mg)
{
	int64_t now = loop_now_ms(mg->loop);
	if (leftover_waits(mg, now))
		return;
	struct duty_inputs in;
	struct duty_plan plan;
	fill_inputs(mg, now, &in);
	duty_plan(&in, &plan);
	/* Delete before anything else; announce only what is on the interface. */
	if (plan.announce == DUTY_ANNOUNCE_STOP)
		manager_announce_stop(mg);
	if (plan.vip == DUTY_VIP_DELETE)
		manager_vip_delete(mg, in.leading ? "no safe lifetime left" : "not leading");
	else if (plan.vip == DUTY_VIP_SET && manager_vip_set(mg, plan.valid_s) < 0)
		return;
	if (plan.announce == DUTY_ANNOUNCE_START)
		manager_announce_start(mg);
	arm_duty_timer(mg, &in);
}

/* ---- leadership --------------------------------------------------------------------------- */

void manager_started_leading(struct manager *mg)
{
	mg->leading = true;
	mg->m.is_leader = true;
	mg->m.transitions++;
	mg->m.become_leader++;
	log_info(&mg->lg, "started leading", "lease=%s identity=%s", mg->m.lease_name,
		 mg->cfg.election.identity);
	manager_duties(mg);
	lb_set_leading(mg->lb, true);
}

void manager_stopped_leading(struct manager *mg, const char *reason)
{
	mg->leading = false;
	mg->m.is_leader = false;
	mg->m.transitions++;
	mg->m.release_leader++;
	log_info(&mg->lg, "stopped leading", "lease=%s identity=%s reason=\"%s\"", mg->m.lease_name,
		 mg->cfg.election.identity, reason);
	manager_duties(mg);
	lb_set_leading(mg->lb, false);
}

static void rejoin_after_handover(struct loop *l, void *arg)
{
	(void)l;
	struct manager *mg = arg;
	mg->out &= ~(unsigned)MGR_OUT_HANDOVER;
	log_info(&mg->lg, "rejoining after the hand-over", "identity=%s",
		 mg->cfg.election.identity);
	manager_join(mg);
}

/* After the elector released the lock: free it outside its own callback, then rejoin unless
 * something keeps us out. */
static void after_release(struct loop *l, void *arg)
{
	struct manager *mg = arg;
	if (mg->el_live) {
		struct elector_stats es;
		elector_stats(&mg->el, &es);
		mg->past.conflicts += es.conflicts;
		mg->past.errors += es.errors;
		elector_free(&mg->el);
	}
	mg->el_live = false;
	mg->el_releasing = false;
	if (mg->stopping) {
		loop_stop(l);
		return;
	}
	manager_duties(mg);
	if (mg->out & MGR_OUT_HANDOVER) {
		/* Named holder on the Lease: its record keeps every other candidate waiting, so we
		 * may rejoin at once. "*" (or etcd, whose key is gone after any release): give the
		 * others, whose watches see the release within milliseconds, a head start (a node
		 * handed the lease right back must not wait a retryPeriod). */
		int64_t delay = mg->handover_any ? mg->cfg.election.t.retry_ms : 0;
		loop_timer_arm_in(l, &mg->handover_timer,
				  delay < HANDOVER_ANY_REJOIN_MS ? delay : HANDOVER_ANY_REJOIN_MS,
				  rejoin_after_handover, mg);
		return;
	}
	manager_join(mg);
}

void manager_released(struct manager *mg)
{
	log_info(&mg->lg, "released", "lease=%s identity=%s", mg->m.lease_name,
		 mg->cfg.election.identity);
	loop_timer_arm_in(mg->loop, &mg->rejoin_timer, 0, after_release, mg);
}

/* ---- the interface ----------------------------------------------------------------------- */

static void on_link_down_too_long(struct loop *l, void *arg)
{
	(void)l;
	struct manager *mg = arg;
	if (mg->link_up)
		return;
	log_error(&mg->lg, "interface down longer than vip_loseleadership_timeout_seconds",
		  "interface=%s timeout_s=%u", mg->link.name, mg->cfg.lose_leadership_timeout_s);
	manager_resign(mg, MGR_OUT_LINK, "interface down");
}

/* vip_loseleadership: an interface down for longer than the timeout gives the lease up; when
 * it comes back we campaign again. */
void manager_link_changed(struct manager *mg)
{
	if (!mg->cfg.lose_leadership)
		return;
	if (!mg->link_up) {
		loop_timer_arm_in(mg->loop, &mg->link_timer,
				  (int64_t)mg->cfg.lose_leadership_timeout_s * 1000,
				  on_link_down_too_long, mg);
		return;
	}
	loop_timer_disarm(mg->loop, &mg->link_timer);
	if (mg->out & MGR_OUT_LINK) {
		mg->out &= ~(unsigned)MGR_OUT_LINK;
		log_info(&mg->lg, "interface up again; rejoining", "interface=%s", mg->link.name);
		manager_join(mg);
	}
}

/* ---- signals ------------------------------------------------------------------------------ */

static void on_stop_deadline(struct loop *l, void *arg)
{
	struct manager *mg = arg;
	log_warn(&mg->lg, "release did not finish in time; exiting", "grace_ms=%d", STOP_GRACE_MS);
	loop_stop(l);
}

static void on_terminate(struct loop *l, int sig, void *arg)
{
	struct manager *mg = arg;
	if (mg->stopping)
		return;
	mg->stopping = true;
	log_info(&mg->lg, "stopping", "signal=%s", sig == SIGINT ? "SIGINT" : "SIGTERM");
	loop_timer_arm_in(l, &mg->stop_timer, STOP_GRACE_MS, on_stop_deadline, mg);
	manager_resign(mg, MGR_OUT_STOPPING, "stopping");
}

static void dump_state(struct loop *l, int sig, void *arg)
{
	(void)sig;
	struct manager *mg = arg;
	struct elector_stats es = {0};
	if (mg->el_live)
		elector_stats(&mg->el, &es);
	int64_t now = loop_now_ms(l);
	log_info(&mg->lg, "state: election",
		 "identity=%s lease=%s holder=\"%s\" leading=%s candidate=%s out=%#x "
		 "renewed_ms_ago=%lld reads=%llu writes=%llu conflicts=%llu errors=%llu",
		 mg->cfg.election.identity, mg->m.lease_name, mg->holder,
		 mg->leading ? "true" : "false",
		 mg->el_live && !mg->el_releasing ? "true" : "false", mg->out,
		 mg->renewed_at_ms ? (long long)(now - mg->renewed_at_ms) : -1LL,
		 (unsigned long long)es.reads, (unsigned long long)es.writes,
		 (unsigned long long)es.conflicts, (unsigned long long)es.errors);
	log_info(&mg->lg, "state: vip",
		 "interface=%s link_up=%s present=%s expires_in_ms=%lld readds=%llu "
		 "announcing=%s announcements=%llu",
		 mg->link.name, mg->link_up ? "true" : "false", mg->vip_on ? "true" : "false",
		 mg->vip_on ? (long long)(mg->vip_expires_ms - now) : -1LL,
		 (unsigned long long)mg->m.vip_readds, mg->sched.active ? "true" : "false",
		 (unsigned long long)(mg->m.announcements[0] + mg->m.announcements[1] +
				      mg->m.announcements[2]));
	log_info(&mg->lg, "state: health gate",
		 "enabled=%s engaged=%s healthy=%s fails_in_row=%u kubeconfig=%s",
		 mg->m.health_gate_enabled ? "true" : "false",
		 mg->m.health_gate_engaged ? "true" : "false",
		 mg->m.health_gate_healthy ? "true" : "false", mg->health_fails,
		 mg->kubeconfig_in_use);
}

static void before_sleep(struct loop *l, void *arg)
{
	(void)l;
	struct manager *mg = arg;
	manager_api_before_sleep(mg);
	manager_http_before_sleep(mg);
	lb_before_sleep(mg->lb);
}

/* ---- life --------------------------------------------------------------------------------- */

static void fill_labels(struct manager *mg)
{
	snprintf(mg->m.version, sizeof(mg->m.version), "%s", VIPD_VERSION);
	snprintf(mg->m.build, sizeof(mg->m.build), "%s", __DATE__);
	snprintf(mg->m.node, sizeof(mg->m.node), "%s", mg->cfg.election.identity);
	snprintf(mg->m.lease_name, sizeof(mg->m.lease_name), "%s/%s", mg->cfg.election.ns,
		 mg->cfg.election.name);
	mg->m.ipvs_enabled = mg->cfg.lb_enable;
}

static int open_all(struct manager *mg)
{
	int r;
	if ((r = loop_new(&mg->loop)) < 0)
		return log_error(&mg->lg, "event loop", "error=\"%s\"", strerror(-r)), r;
	mg->started_ms = loop_now_ms(mg->loop);
	loop_set_before_sleep(mg->loop, before_sleep, mg);
	if ((r = loop_signal(mg->loop, SIGTERM, on_terminate, mg)) < 0 ||
	    (r = loop_signal(mg->loop, SIGINT, on_terminate, mg)) < 0 ||
	    (r = loop_signal(mg->loop, SIGUSR1, dump_state, mg)) < 0)
		return log_error(&mg->lg, "signals", "error=\"%s\"", strerror(-r)), r;
	signal(SIGPIPE, SIG_IGN);
	if ((r = manager_net_open(mg)) < 0 || (r = manager_http_open(mg)) < 0 ||
	    (r = manager_api_open(mg)) < 0)
		return r;
	if (mg->cfg.lb_enable && mg->cfg.backend == MGR_BACKEND_ETCD) {
		/* The backends come from a watch of Node objects, which needs the Kubernetes API.
		 */
		log_warn(
		    &mg->lg,
		    "lb_enable is set but the etcd backend has no Kubernetes API client for the "
		    "node watch: load balancing is off; the VIP keeps working",
		    "backend=etcd");
		mg->m.ipvs_enabled = false;
	} else if (mg->cfg.lb_enable) {
		struct lb_opts lo = {.loop = mg->loop,
				     .cfg = &mg->cfg,
				     .kc = mg->kc,
				     .kcfg = &mg->kcfg,
				     .m = &mg->m,
				     .lg = &mg->lg};
		if ((r = lb_open(&lo, &mg->lb)) < 0)
			return r;
	}
	return 0;
}

static void close_all(struct manager *mg)
{
	if (!mg->loop)
		return;
	if (mg->vip_on && !(mg->cfg.preserve_on_loss && mg->leading))
		manager_vip_delete(mg, "exiting");
	lb_close(mg->lb);
	mg->lb = NULL;
	manager_api_close(mg);
	manager_http_close(mg);
	manager_net_close(mg);
	loop_free(mg->loop);
}

int manager_run(const struct mgr_config *cfg, const struct logger *lg)
{
	struct manager *mg = calloc(1, sizeof(*mg));
	if (!mg)
		return 1;
	mg->cfg = *cfg;
	mg->lg = *lg;
	fill_labels(mg);
	char text[INET_PREFIX_STRLEN];
	log_info(&mg->lg, "vipd manager starting",
		 "version=%s identity=%s address=%s interface=%s arp=%s lb_enable=%s", VIPD_VERSION,
		 cfg->election.identity, inet_prefix_format(&cfg->vip, text, sizeof(text)),
		 cfg->interface[0] ? cfg->interface : "(default route)",
		 cfg->arp ? "true" : "false", cfg->lb_enable ? "true" : "false");
	for (size_t i = 0; i < cfg->n_warnings; i++)
		log_warn(&mg->lg, "configuration", "warning=\"%s\"", cfg->warnings[i]);
	int rc = 1;
	if (open_all(mg) == 0 && manager_join(mg) == 0) {
		manager_health_start(mg);
		int r = loop_run(mg->loop);
		rc = r < 0 ? 1 : 0;
		if (r < 0)
			log_error(&mg->lg, "event loop failed", "error=\"%s\"", strerror(-r));
	}
	close_all(mg);
	log_info(&mg->lg, "vipd manager stopped", "exit_code=%d", rc);
	free(mg);
	return rc;
}
