/*
 * manager_http.c — what the daemon's endpoint answers: /metrics (Prometheus text), /livez (the
 * loop runs), /healthz (alive and the configuration works: the interface and election are up),
 * /readyz (the lock has been read, the local control plane is not failing its gate, and the
 * load balancer works when asked for — the reason is in the body when not).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manager.h"

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
