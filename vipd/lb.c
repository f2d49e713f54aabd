/*
 * lb.c — the load balancer's I/O (lb.h): the IPVS handle and the one service, the node watch
 * feeding the backend table (backends.c, where every rule lives), and one health-check client
 * per candidate backend, each with its own reused connection, plugged into the daemon's loop.
 *
 * Work that callbacks cause (checks to start or stop, the service to reconcile) is only marked
 * there and done in lb_before_sleep(): outside every client's callbacks (a check client is
 * never freed from inside its own callback), and once per loop pass however many events came.
 */
#include "lb.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends.h"
#include "ipvs.h"
#include "kc_loop.h"
#include "kc_probe.h"
#include "kc_watch.h"

#define LB_NODES_PATH	  "/api/v1/nodes"
#define LB_CHECK_PATH	  "/livez"
#define LB_CHECK_TLS_NAME "kubernetes" /* kubeadm's apiserver certificate names it */
#define LB_RESYNC_MS	  30000	       /* while leading, the service is re-asserted this often */
#define LB_IGNORED_MEMORY 64	       /* ignored-node messages remembered (logged once each) */
/* A check's timeout: 90% of the interval, but at least this (a fresh connection's TLS handshake
 * on a loaded machine), so a slow first handshake is not taken for a dead apiserver. */
#define LB_CHECK_MIN_TIMEOUT_MS 2000
#define LB_RETRY_MS		2000 /* after a failed IPVS call or check client */

/* One backend's health check: GET /livez every interval on its own client. */
struct lb_check {
	struct lb *lb;
	char name[BACKEND_NAME_MAX];
	char addr_text[INET6_ADDRSTRLEN];
	struct kc_config cfg; /* the daemon's CA and credentials, this backend's address */
	struct kc_client *kc;
	struct kc_loop kl;
	struct loop_timer timer;
	struct kc_probe probe;
	int64_t call_started_ms;
};

struct lb {
	struct loop *loop;
	const struct mgr_config *cfg;
	const struct kc_config *kcfg;
	struct metrics *m;
	const struct logger *lg;
	struct kc_client *kc;
	struct kc_watch *watch;
	struct ipvs ipvs;
	struct ipvs_service svc;
	struct backends table;
	struct lb_check *checks[BACKENDS_MAX];
	size_t n_checks;
	bool checks_off; /* nothing to verify the backends' certificates with */
	bool leading;
	bool checks_dirty; /* the table changed: start or stop checks */
	bool svc_dirty;	   /* the service's backends changed: reconcile */
	struct loop_timer resync;
	struct loop_timer retry;       /* after a failure: sync again, never in a tight loop */
	struct loop_timer watch_timer; /* starts the node watch */
	uint32_t ignored[LB_IGNORED_MEMORY]; /* hashes of ignored-node messages already logged */
	size_t n_ignored;
};

/* ---- logging ------------------------------------------------------------------------------ */

static uint32_t fnv1a(const char *a, const char *b)
{
	uint32_t h = 2166136261u;
	for (const char *p = a; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	h = (h ^ 0xff) * 16777619u;
	for (const char *p = b; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	return h;
}

/* A malformed node is reported on every event about it (status updates come often): warn the
 * first time a message is seen, then only at debug level. */
static void on_ignored(void *arg, const char *name, const char *why)
{
	struct lb *lb = arg;
	uint32_t h = fnv1a(name, why);
	for (size_t i = 0; i < lb->n_ignored && i < LB_IGNORED_MEMORY; i++) {
		if (lb->ignored[i] == h) {
			log_debug(lb->lg, "node ignored", "node=%s reason=\"%s\"",
				  *name ? name : "-", why);
			return;
		}
	}
	lb->ignored[lb->n_ignored++ % LB_IGNORED_MEMORY] = h;
	log_warn(lb->lg, "node ignored", "node=%s reason=\"%s\"", *name ? name : "-", why);
}

static void on_changed(void *arg, const struct backend *b, bool in, const char *reason)
{
	struct lb *lb = arg;
	log_at(lb->lg, in ? LOG_INFO : LOG_WARN, in ? "backend added" : "backend removed",
	       "node=%s address=%s reason=\"%s\"", b->node.name, b->node.addr_text, reason);
	lb->svc_dirty = true;
}

static void update_counts(struct lb *lb)
{
	size_t candidates, healthy;
	backends_count(&lb->table, &candidates, &healthy);
	lb->m->backends_total = candidates;
	lb->m->backends_healthy = healthy;
}

static void on_retry(struct loop *l, void *arg)
{
	(void)l;
	struct lb *lb = arg;
	lb->checks_dirty = true;
	lb->svc_dirty = true;
}

static void retry_later(struct lb *lb)
{
	if (!lb->retry.armed)
		loop_timer_arm_in(lb->loop, &lb->retry, LB_RETRY_MS, on_retry, lb);
}

/* ---- the service -------------------------------------------------------------------------- */

static uint32_t fwd_flag(enum mgr_fwd_method m)
{
	switch (m) {
	case MGR_FWD_MASQUERADE:
		return IP_VS_CONN_F_MASQ;
	case MGR_FWD_TUNNEL:
		return IP_VS_CONN_F_TUNNEL;
	case MGR_FWD_DIRECTROUTE:
		return IP_VS_CONN_F_DROUTE;
	case MGR_FWD_LOCAL:
	default:
		return IP_VS_CONN_F_LOCALNODE;
	}
}

static void service_of(const struct mgr_config *cfg, struct ipvs_service *svc)
{
	memset(svc, 0, sizeof(*svc));
	svc->af = cfg->vip.family;
	svc->protocol = IPPROTO_TCP;
	memcpy(svc->addr.bytes, cfg->vip.addr.bytes, inet_prefix_addr_len(&cfg->vip));
	svc->port = cfg->lb_port;
	snprintf(svc->sched, sizeof(svc->sched), "rr");
}

static void log_reconciled(struct lb *lb, size_t n, const struct ipvs_reconcile_result *res)
{
	char s[IPVS_STRLEN];
	lb->m->conntrack_flushed += res->conntrack_removed;
	if (res->added || res->edited || res->removed)
		log_info(lb->lg, "ipvs service reconciled",
			 "service=\"%s\" backends=%zu added=%u edited=%u removed=%u "
			 "conntrack_flushed=%u",
			 ipvs_service_str(&lb->svc, s, sizeof(s)), n, res->added, res->edited,
			 res->removed, res->conntrack_removed);
	if (res->conntrack_err)
		log_warn(lb->lg, "conntrack cleanup of removed backends failed",
			 "service=\"%s\" error=\"%s\"", ipvs_service_str(&lb->svc, s, sizeof(s)),
			 strerror(-res->conntrack_err));
}

/* Makes the service exist with exactly the desired backends. Failures are logged and retried
 * LB_RETRY_MS later. */
static void sync_service(struct lb *lb)
{
	struct nl_error err;
	struct ipvs_dest want[BACKENDS_MAX];
	struct ipvs_reconcile_result res;
	lb->svc_dirty = false;
	int r = ipvs_service_add(&lb->ipvs, &lb->svc, IPVS_IDEMPOTENT, &err);
	if (r < 0) {
		log_error(lb->lg, "ipvs service add failed", "error=\"%s\"", err.msg);
		retry_later(lb);
		return;
	}
	size_t n = backends_desired(&lb->table, want, BACKENDS_MAX);
	r = ipvs_reconcile(&lb->ipvs, &lb->svc, want, n, &res, &err);
	log_reconciled(lb, n, &res);
	if (r < 0) {
		log_error(lb->lg, "ipvs reconcile failed", "error=\"%s\"", err.msg);
		retry_later(lb);
	}
}

static void on_resync(struct loop *l, void *arg)
{
	struct lb *lb = arg;
	loop_timer_arm_in(l, &lb->resync, LB_RESYNC_MS, on_resync, lb);
	sync_service(lb);
}

static void delete_service(struct lb *lb, const char *why)
{
	struct nl_error err;
	char s[IPVS_STRLEN];
	if (ipvs_service_del(&lb->ipvs, &lb->svc, IPVS_IDEMPOTENT, &err) < 0) {
		log_error(lb->lg, "ipvs service delete failed", "error=\"%s\"", err.msg);
		return;
	}
	log_info(lb->lg, "ipvs service deleted", "service=\"%s\" reason=\"%s\"",
		 ipvs_service_str(&lb->svc, s, sizeof(s)), why);
}

void lb_set_leading(struct lb *lb, bool leading)
{
	if (!lb || lb->leading == leading)
		return;
	lb->leading = leading;
	if (!leading) {
		loop_timer_disarm(lb->loop, &lb->resync);
		delete_service(lb, "not leading");
		return;
	}
	char s[IPVS_STRLEN];
	log_info(lb->lg, "ipvs service up", "service=\"%s\" scheduler=rr fwd=%s",
		 ipvs_service_str(&lb->svc, s, sizeof(s)), mgr_fwd_method_name(lb->cfg->lb_fwd));
	sync_service(lb);
	loop_timer_arm_in(lb->loop, &lb->resync, LB_RESYNC_MS, on_resync, lb);
}

/* ---- health checks ------------------------------------------------------------------------ */

static int blob_dup(struct kc_blob *dst, const struct kc_blob *src)
{
	if (!src->data)
		return 0;
	dst->data = malloc(src->len + 1);
	if (!dst->data)
		return -ENOMEM;
	memcpy(dst->data, src->data, src->len);
	dst->data[src->len] = '\0';
	dst->len = src->len;
	return 0;
}

static int str_dup(char **dst, const char *src)
{
	if (!src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : -ENOMEM;
}

__attribute__((format(printf, 2, 3))) static int str_printf(char **dst, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(dst, fmt, ap);
	va_end(ap);
	if (n >= 0)
		return 0;
	*dst = NULL;
	return -ENOMEM;
}

/* The daemon's CA and credentials, pointed at the backend's address and asking for the name
 * its certificate carries. */
static int check_config(struct kc_config *dst, const struct kc_config *src,
			const struct backend_node *n, uint16_t port)
{
	memset(dst, 0, sizeof(*dst));
	dst->insecure = src->insecure;
	bool v6 = n->af == AF_INET6;
	int r;
	if ((r = str_printf(&dst->server, "https://%s%s%s:%u", v6 ? "[" : "", n->addr_text,
			    v6 ? "]" : "", port)) < 0 ||
	    (r = str_printf(&dst->source, "health check of node %s", n->name)) < 0 ||
	    (r = str_dup(&dst->tls_server_name, LB_CHECK_TLS_NAME)) < 0 ||
	    (r = blob_dup(&dst->ca, &src->ca)) < 0 || (r = blob_dup(&dst->cert, &src->cert)) < 0 ||
	    (r = blob_dup(&dst->key, &src->key)) < 0 ||
	    (r = str_dup(&dst->token, src->token)) < 0 ||
	    (r = str_dup(&dst->token_file, src->token_file)) < 0)
		kc_config_free(dst);
	return r;
}

/* A reason goes into `reason="..."` of a log line: no double quote or backslash in it. */
static void plain_quotes(char *s)
{
	for (; *s; s++)
		if (*s == '"' || *s == '\\')
			*s = '\'';
}

static void check_result(struct lb_check *c, bool ok, char *detail)
{
	struct lb *lb = c->lb;
	plain_quotes(detail);
	if (!ok) {
		lb->m->backend_check_failures++;
		log_debug(lb->lg, "backend health check failed", "node=%s address=%s detail=\"%s\"",
			  c->name, c->addr_text, detail);
	}
	backends_health(&lb->table, c->name, c->addr_text, ok, detail);
	update_counts(lb);
}

static void check_done(void *arg, bool ok, const char *detail)
{
	char buf[320]; /* check_result() tidies the quotes in place */
	snprintf(buf, sizeof(buf), "%s", detail);
	check_result(arg, ok, buf);
}

static int64_t check_timeout_ms(const struct lb *lb)
{
	int64_t t = (int64_t)lb->cfg->backend_hc_interval_s * 900;
	return t > LB_CHECK_MIN_TIMEOUT_MS ? t : LB_CHECK_MIN_TIMEOUT_MS;
}

/* Every interval: a new check, unless the last one is still within its timeout (its own timeout
 * ends it; cancelling here is only the backstop). */
static void check_tick(struct loop *l, void *arg)
{
	struct lb_check *c = arg;
	int64_t now = loop_now_ms(l), timeout = check_timeout_ms(c->lb);
	loop_timer_arm_in(l, &c->timer, (int64_t)c->lb->cfg->backend_hc_interval_s * 1000,
			  check_tick, c);
	if (c->probe.call && now - c->call_started_ms <= timeout + 1000)
		return;
	if (c->probe.call) {
		kc_probe_cancel(c->kc, &c->probe);
		char why[] = "no answer within the timeout";
		check_result(c, false, why);
	}
	c->probe.done = check_done;
	c->probe.arg = c;
	c->call_started_ms = now;
	if (kc_probe_start(c->kc, &c->probe, LB_CHECK_PATH, (long)timeout) < 0) {
		char why[] = "the request could not start";
		check_result(c, false, why);
	}
}

static void check_free(struct lb_check *c)
{
	loop_timer_disarm(c->lb->loop, &c->timer);
	if (c->kc) {
		kc_probe_cancel(c->kc, &c->probe);
		kc_loop_detach(&c->kl);
		kc_client_free(c->kc);
	}
	kc_config_free(&c->cfg);
	free(c);
}

static int check_new(struct lb *lb, const struct backend *b, struct lb_check **out)
{
	char why[512];
	struct lb_check *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->lb = lb;
	snprintf(c->name, sizeof(c->name), "%s", b->node.name);
	snprintf(c->addr_text, sizeof(c->addr_text), "%s", b->node.addr_text);
	c->kl.loop = lb->loop;
	int r = check_config(&c->cfg, lb->kcfg, &b->node, lb->cfg->port);
	struct kc_client_opts o = {.cfg = &c->cfg,
				   .log = kc_loop_log,
				   .log_arg = (void *)lb->lg,
				   .on_fd = kc_loop_on_fd,
				   .loop_arg = &c->kl,
				   .user_agent = "vipd-lb"};
	if (r == 0 && (r = kc_client_new(&o, &c->kc, why, sizeof(why))) < 0)
		log_error(lb->lg, "backend health check client", "node=%s error=\"%s\"", c->name,
			  why);
	if (r < 0) {
		check_free(c);
		return r;
	}
	c->kl.kc = c->kc;
	loop_timer_arm_in(lb->loop, &c->timer, 0, check_tick, c);
	*out = c;
	return 0;
}

/* Whether check `c` still matches a candidate of the table. */
static bool check_wanted(const struct lb *lb, const struct lb_check *c)
{
	const struct backend *b = backends_find(&lb->table, c->name);
	return b && backend_is_candidate(b) && !strcmp(b->node.addr_text, c->addr_text);
}

static bool check_exists(const struct lb *lb, const struct backend *b)
{
	for (size_t i = 0; i < lb->n_checks; i++)
		if (!strcmp(lb->checks[i]->name, b->node.name))
			return true;
	return false;
}

/* One check per candidate: stops the others, starts the missing ones. */
static void sync_checks(struct lb *lb)
{
	lb->checks_dirty = false;
	for (size_t i = lb->n_checks; i-- > 0;) {
		if (check_wanted(lb, lb->checks[i]))
			continue;
		check_free(lb->checks[i]);
		lb->checks[i] = lb->checks[--lb->n_checks];
	}
	if (lb->checks_off)
		return;
	for (size_t i = 0; i < lb->table.n && lb->n_checks < BACKENDS_MAX; i++) {
		const struct backend *b = &lb->table.b[i];
		struct lb_check *c;
		if (!backend_is_candidate(b) || check_exists(lb, b))
			continue;
		if (check_new(lb, b, &c) < 0)
			retry_later(lb);
		else
			lb->checks[lb->n_checks++] = c;
	}
}

/* ---- the node watch ----------------------------------------------------------------------- */

static void on_list(void *arg, json_t *items, const char *rv)
{
	struct lb *lb = arg;
	backends_list(&lb->table, items);
	log_debug(lb->lg, "node list", "resource_version=%s nodes=%zu", rv, lb->table.n);
	lb->checks_dirty = true;
	update_counts(lb);
}

static void on_event(void *arg, enum kc_event_type type, json_t *object)
{
	struct lb *lb = arg;
	backends_event(&lb->table, type, object);
	lb->checks_dirty = true;
	update_counts(lb);
}

/* Started from the loop, after the elector's first call: on a connection still being set up
 * (TLS), the call that comes second waits for it. */
static void start_watch(struct loop *l, void *arg)
{
	(void)l;
	struct lb *lb = arg;
	struct kc_watch_opts wo = {.path = LB_NODES_PATH,
				   .label_selector = BACKEND_CONTROL_PLANE_LABEL,
				   .on_list = on_list,
				   .on_event = on_event,
				   .arg = lb};
	int r = kc_watch_start(lb->kc, &wo, &lb->watch);
	if (r < 0) {
		log_error(lb->lg, "node watch could not start; retrying", "error=\"%s\"",
			  strerror(-r));
		loop_timer_arm_in(lb->loop, &lb->watch_timer, 1000, start_watch, lb);
	}
}

/* ---- life --------------------------------------------------------------------------------- */

/* IPVS, or why not. 1: open; 0: load balancing is off (logged once). */
static int open_ipvs(struct lb *lb)
{
	struct nl_error err;
	int r = ipvs_open(&lb->ipvs, &err);
	lb->m->ipvs_available = r == 0;
	if (r == -IPVS_ERR_UNAVAILABLE)
		log_warn(lb->lg,
			 "ip_vs is not in this kernel: load balancing is off; the VIP keeps "
			 "working",
			 NULL);
	else if (r < 0)
		log_error(lb->lg,
			  "IPVS cannot be opened: load balancing is off; the VIP keeps working",
			  "error=\"%s\"", err.msg);
	return r == 0;
}

/* A service left by an earlier run (crash, kill -9): the service exists only while we lead. */
static void delete_leftover(struct lb *lb)
{
	struct ipvs_service have;
	struct nl_error err;
	if (ipvs_service_get(&lb->ipvs, &lb->svc, &have, &err) == 0)
		delete_service(lb, "left over from an earlier run");
}

static void log_open(const struct lb *lb)
{
	char s[IPVS_STRLEN];
	log_info(lb->lg, "load balancer on",
		 "service=\"%s\" backend_port=%u fwd=%s health_check_interval_s=%u "
		 "health_checks=%s",
		 ipvs_service_str(&lb->svc, s, sizeof(s)), lb->cfg->port,
		 mgr_fwd_method_name(lb->cfg->lb_fwd), lb->cfg->backend_hc_interval_s,
		 lb->checks_off ? "off" : "on");
}

int lb_open(const struct lb_opts *o, struct lb **out)
{
	*out = NULL;
	struct lb *lb = calloc(1, sizeof(*lb));
	if (!lb)
		return -ENOMEM;
	*lb = (struct lb){
	    .loop = o->loop, .cfg = o->cfg, .kcfg = o->kcfg, .m = o->m, .lg = o->lg, .kc = o->kc};
	if (!open_ipvs(lb)) {
		free(lb);
		return 0;
	}
	service_of(o->cfg, &lb->svc);
	struct backends_hooks hooks = {.ignored = on_ignored, .changed = on_changed, .arg = lb};
	backends_init(&lb->table, o->cfg->vip.family, o->cfg->port, fwd_flag(o->cfg->lb_fwd),
		      &hooks);
	lb->checks_off = !o->kcfg || !o->kcfg->server || (!o->kcfg->ca.data && !o->kcfg->insecure);
	if (lb->checks_off)
		log_warn(lb->lg,
			 "backend health checks are off: the kubeconfig gives no CA to verify the "
			 "apiservers with; Ready control-plane nodes are used unchecked",
			 NULL);
	delete_leftover(lb);
	loop_timer_arm_in(lb->loop, &lb->watch_timer, 0, start_watch, lb);
	log_open(lb);
	*out = lb;
	return 0;
}

const struct backends *lb_backends(const struct lb *lb)
{
	return lb ? &lb->table : NULL;
}

void lb_before_sleep(struct lb *lb)
{
	if (!lb)
		return;
	if (lb->checks_dirty)
		sync_checks(lb);
	if (lb->svc_dirty && lb->leading)
		sync_service(lb);
	for (size_t i = 0; i < lb->n_checks; i++)
		kc_loop_rearm(&lb->checks[i]->kl);
}

void lb_close(struct lb *lb)
{
	if (!lb)
		return;
	if (lb->leading)
		delete_service(lb, "stopping");
	loop_timer_disarm(lb->loop, &lb->resync);
	loop_timer_disarm(lb->loop, &lb->retry);
	loop_timer_disarm(lb->loop, &lb->watch_timer);
	kc_watch_stop(lb->watch);
	for (size_t i = 0; i < lb->n_checks; i++)
		check_free(lb->checks[i]);
	ipvs_close(&lb->ipvs);
	free(lb);
}
