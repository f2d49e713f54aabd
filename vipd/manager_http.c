/*
 * manager_http.c — what the daemon's endpoint answers: /metrics (Prometheus text), /livez (the
 * loop runs), /healthz (alive and the configuration works: the interface and election are up),
 * /readyz (the lock has been read, the local control plane is not failing its gate, and the
 * load balancer works when asked for — the reason is in the body when not), /status (the
 * daemon's own view as JSON: a snapshot of its state taken here, formatted by status.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "manager.h"
#include "status.h"

static int text_reply(struct http_reply *r, unsigned status, const char *text)
{
	r->status = status;
	r->content_type = "text/plain; charset=utf-8";
	r->body = strdup(text);
	if (!r->body)
		return -ENOMEM;
	r->len = strlen(text);
	return 0;
}

/* Why we are not ready, or NULL. */
static const char *not_ready_reason(const struct manager *mg)
{
	if (mg->stopping)
		return "stopping";
	if (!mg->observed)
		return "the lease has not been read yet";
	if (mg->out & MGR_OUT_HEALTH)
		return "the local control plane is failing its health gate";
	if (mg->m.ipvs_enabled && !mg->m.ipvs_available)
		return "lb_enable is set but the kernel has no ip_vs: load balancing is off";
	return NULL;
}

/* Counters the elector keeps, added to those of electors before it (a rejoin makes a new one). */
static void refresh_counters(struct manager *mg)
{
	struct elector_stats es = {0};
	if (mg->el_live)
		elector_stats(&mg->el, &es);
	mg->m.renew_failures[METRICS_RENEW_CONFLICT] = mg->past.conflicts + es.conflicts;
	mg->m.renew_failures[METRICS_RENEW_ERROR] = mg->past.errors + es.errors;
}

static void snapshot_election(const struct manager *mg, int64_t now, int64_t wall_ms,
			      struct status *s)
{
	static const struct {
		unsigned mgr, status;
	} reasons[] = {{MGR_OUT_HEALTH, STATUS_OUT_HEALTH_GATE},
		       {MGR_OUT_COLLISION, STATUS_OUT_COLLISION},
		       {MGR_OUT_LINK, STATUS_OUT_LINK},
		       {MGR_OUT_STOPPING, STATUS_OUT_STOPPING},
		       {MGR_OUT_HANDOVER, STATUS_OUT_HANDOVER}};
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (mg->out & reasons[i].mgr)
			s->out |= reasons[i].status;
	s->role = mg->out ? STATUS_OUT : mg->leading ? STATUS_LEADER : STATUS_FOLLOWER;
	const char *why = not_ready_reason(mg);
	s->ready = !why;
	snprintf(s->not_ready_reason, sizeof(s->not_ready_reason), "%s", why ? why : "");
	snprintf(s->identity, sizeof(s->identity), "%s", mg->cfg.election.identity);
	s->backend =
	    mg->cfg.backend == MGR_BACKEND_ETCD ? STATUS_BACKEND_ETCD : STATUS_BACKEND_LEASE;
	snprintf(s->lease, sizeof(s->lease), "%s", mg->m.lease_name);
	snprintf(s->holder, sizeof(s->holder), "%s", mg->holder);
	s->observed = mg->observed;
	s->transitions = mg->m.transitions;
	s->renewed_age_ms = s->renewed_wall_ms = -1;
	if (mg->renewed_at_ms > 0) {
		s->renewed_age_ms = now > mg->renewed_at_ms ? now - mg->renewed_at_ms : 0;
		s->renewed_wall_ms = wall_ms - s->renewed_age_ms;
	}
}

static void snapshot_vip(const struct manager *mg, int64_t now, struct status *s)
{
	char text[INET_PREFIX_STRLEN];
	snprintf(s->vip, sizeof(s->vip), "%s",
		 inet_prefix_format(&mg->cfg.vip, text, sizeof(text)));
	snprintf(s->interface, sizeof(s->interface), "%s", mg->link.name);
	s->vip_present = mg->vip_on;
	/* A VIP left from an earlier run has a lifetime we did not give it: unknown. */
	s->vip_valid_s = -1;
	if (mg->vip_on && !mg->leftover)
		s->vip_valid_s = mg->vip_expires_ms > now ? (mg->vip_expires_ms - now) / 1000 : 0;
	for (size_t i = 0; i < METRICS_ANNOUNCE_KINDS; i++)
		s->announcements += mg->m.announcements[i];
	s->announce_errors = mg->m.announce_errors;
	s->conflicts = mg->m.vip_conflicts;
}

static void snapshot_gate_lb(const struct manager *mg, struct status *s)
{
	s->gate_enabled = mg->m.health_gate_enabled;
	s->gate_engaged = mg->m.health_gate_engaged;
	s->gate_passing = mg->m.health_gate_healthy;
	s->gate_failures = mg->health_fails;
	s->gate_release_after = mg->cfg.health_gate_failures;
	s->lb_enabled = mg->m.ipvs_enabled;
	s->lb_available = mg->m.ipvs_available;
	const struct backends *t = lb_backends(mg->lb);
	for (size_t i = 0; t && i < t->n && s->n_backends < STATUS_BACKENDS_MAX; i++) {
		const struct backend *b = &t->b[i];
		struct status_lb_backend *o = &s->backends[s->n_backends++];
		snprintf(o->name, sizeof(o->name), "%s", b->node.name);
		snprintf(o->address, sizeof(o->address), "%s", b->node.addr_text);
		o->ready = b->node.ready;
		o->health = b->health == BACKEND_HEALTHY     ? STATUS_HEALTH_HEALTHY
			    : b->health == BACKEND_UNHEALTHY ? STATUS_HEALTH_UNHEALTHY
							     : STATUS_HEALTH_UNKNOWN;
		o->in_service = b->in_service;
	}
}

/* The daemon's state at this instant, as plain values (boot clock `now`, wall clock `wall_ms`
 * only to date the last renewal for people). */
static void manager_status_snapshot(const struct manager *mg, int64_t now, int64_t wall_ms,
				    struct status *s)
{
	memset(s, 0, sizeof(*s));
	snapshot_election(mg, now, wall_ms, s);
	snapshot_vip(mg, now, s);
	snapshot_gate_lb(mg, s);
}

static int status_reply(struct manager *mg, struct http_reply *reply)
{
	struct status *s = malloc(sizeof(*s));
	if (!s)
		return -ENOMEM;
	manager_status_snapshot(mg, loop_now_ms(mg->loop), clock_wall_us() / 1000, s);
	int r = status_format(s, &reply->body, &reply->len);
	free(s);
	if (r < 0) {
		log_error(&mg->lg, "/status", "error=\"%s\"", strerror(-r));
		return r;
	}
	reply->status = 200;
	reply->content_type = "application/json";
	return 0;
}

static int handle(void *arg, const char *path, struct http_reply *reply)
{
	struct manager *mg = arg;
	if (!strcmp(path, "/metrics")) {
		refresh_counters(mg);
		int r = metrics_render(&mg->m, &reply->body, &reply->len);
		if (r < 0)
			return r;
		reply->status = 200;
		reply->content_type = "text/plain; version=0.0.4; charset=utf-8";
		return 0;
	}
	if (!strcmp(path, "/status")) {
		refresh_counters(mg);
		return status_reply(mg, reply);
	}
	if (!strcmp(path, "/livez") || !strcmp(path, "/healthz"))
		return text_reply(reply, 200, "ok\n");
	if (!strcmp(path, "/readyz")) {
		const char *why = not_ready_reason(mg);
		if (!why)
			return text_reply(reply, 200, "ok\n");
		char buf[256];
		snprintf(buf, sizeof(buf), "not ready: %s\n", why);
		return text_reply(reply, 503, buf);
	}
	return text_reply(reply, 404, "not found\n");
}

static void on_http(struct loop *l, int fd, unsigned events, void *arg)
{
	(void)l;
	(void)fd;
	(void)events;
	http_endpoint_run(arg);
}

static void on_http_timer(struct loop *l, void *arg)
{
	(void)l;
	http_endpoint_run(arg);
}

static int start_one(struct manager *mg, const char *listen, const char *what,
		     struct http_endpoint **out)
{
	char why[256];
	int r = http_endpoint_start(listen, handle, mg, out, why, sizeof(why));
	if (r < 0) {
		log_error(&mg->lg, what, "error=\"%s\"", why);
		return r;
	}
	log_info(&mg->lg, "serving metrics and probes", "setting=%s listen=%s port=%u", what,
		 listen, http_endpoint_port(*out));
	return loop_fd_set(mg->loop, http_endpoint_fd(*out), LOOP_READ, on_http, *out);
}

void manager_http_before_sleep(struct manager *mg)
{
	struct http_endpoint *eps[] = {mg->http, mg->healthz};
	for (size_t i = 0; i < 2; i++) {
		int64_t t = eps[i] ? http_endpoint_timeout_ms(eps[i]) : -1;
		if (t < 0)
			loop_timer_disarm(mg->loop, &mg->http_timer[i]);
		else
			loop_timer_arm_in(mg->loop, &mg->http_timer[i], t, on_http_timer, eps[i]);
	}
}

int manager_http_open(struct manager *mg)
{
	int r = 0;
	if (mg->cfg.prometheus_server[0])
		r = start_one(mg, mg->cfg.prometheus_server, "prometheus_server", &mg->http);
	if (r == 0 && mg->cfg.health_check_port) {
		char listen[32];
		snprintf(listen, sizeof(listen), ":%u", mg->cfg.health_check_port);
		r = start_one(mg, listen, "health_check_port", &mg->healthz);
	}
	return r;
}

void manager_http_close(struct manager *mg)
{
	struct http_endpoint **eps[] = {&mg->http, &mg->healthz};
	for (size_t i = 0; i < 2; i++) {
		loop_timer_disarm(mg->loop, &mg->http_timer[i]);
		if (!*eps[i])
			continue;
		loop_fd_set(mg->loop, http_endpoint_fd(*eps[i]), 0, NULL, NULL);
		http_endpoint_stop(*eps[i]);
		*eps[i] = NULL;
	}
}
