/*
 * manager_api.c — the daemon's side of the API: the client the elector runs on, the elector's
 * life (join, resign, rejoin), the local control-plane health gate, and the kubeconfig
 * fallback that lets one manifest bootstrap `kubeadm init` (>= 1.29) without switching files.
 *
 * The bootstrap design (kube-vip #684): vipd is given admin.conf (k8s_config_file) and, on
 * every node, the path of super-admin.conf (vipd_super_admin_kubeconfig; the file exists only on
 * the init node). While admin.conf is refused (401/403: kubeadm has not yet bound its RBAC) or
 * cannot be read, and super-admin.conf can, vipd talks with super-admin.conf; a probe with
 * admin.conf every few seconds switches back the moment it is accepted. Joining nodes never
 * see a refusal and never use super-admin.conf.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "etcd_elector.h"
#include "kc_probe.h"
#include "lease_elector.h"
#include "lease_record.h"
#include "manager.h"

#define ADMIN_PROBE_PERIOD_MS 2000

/* ---- callbacks ---------------------------------------------------------------------------- */

static void cb_started(void *arg)
{
	manager_started_leading(arg);
}

static void cb_stopped(void *arg, const char *reason)
{
	manager_stopped_leading(arg, reason);
}

static void cb_new_leader(void *arg, const char *identity)
{
	struct manager *mg = arg;
	bool first = !mg->observed;
	mg->observed = true;
	if (!first && !strcmp(mg->holder, identity))
		return;
	snprintf(mg->holder, sizeof(mg->holder), "%s", identity);
	log_info(&mg->lg, "new leader", "lease=%s holder=\"%s\"", mg->m.lease_name, identity);
	manager_duties(mg);
}

static void cb_renewed(void *arg, int64_t sent_ns, int64_t now_ns)
{
	struct manager *mg = arg;
	mg->renewed_at_ms = sent_ns / 1000000;
	metrics_observe_renew(&mg->m, (double)(now_ns - sent_ns) / 1e9);
	manager_duties(mg);
}

static void rejoin_after_collision(struct loop *l, void *arg)
{
	(void)l;
	struct manager *mg = arg;
	mg->out &= ~(unsigned)MGR_OUT_COLLISION;
	log_info(&mg->lg, "rejoining after an identity collision", "identity=%s",
		 mg->cfg.election.identity);
	manager_join(mg);
}

/* Another process leads under our name: step down (done), say so, stay out one lease
 * duration, then campaign again. */
static void cb_collision(void *arg)
{
	struct manager *mg = arg;
	mg->m.identity_collisions++;
	log_error(&mg->lg, "identity collision: another process wrote our identity into the lock",
		  "identity=%s lease=%s collisions=%llu stay_out_ms=%lld",
		  mg->cfg.election.identity, mg->m.lease_name,
		  (unsigned long long)mg->m.identity_collisions,
		  (long long)mg->cfg.election.t.lease_ms);
	manager_resign(mg, MGR_OUT_COLLISION, "identity collision");
	loop_timer_arm_in(mg->loop, &mg->collision_timer, mg->cfg.election.t.lease_ms,
			  rejoin_after_collision, mg);
}

/* A hand-over asked of us while we lead (vipd handover): drop the VIP first (stopped_leading
 * → duties), then the release names the next holder; we rejoin as a candidate afterwards
 * (manager.c). */
static void cb_handover(void *arg, const char *to)
{
	struct manager *mg = arg;
	if (!mg->leading || mg->el_releasing || mg->out)
		return;
	log_info(&mg->lg, "handing the lease over on request", "lease=%s from=%s to=%s",
		 mg->m.lease_name, mg->cfg.election.identity, to);
	mg->out |= MGR_OUT_HANDOVER;
	/* A Lease released to a named holder keeps every other candidate waiting; etcd's key is
	 * gone after any release, so there we always give the others a head start. */
	mg->handover_any = !strcmp(to, LEASE_HANDOVER_ANY) || mg->cfg.backend == MGR_BACKEND_ETCD;
	mg->el_releasing = true;
	if (elector_handover(&mg->el, to) < 0) {
		log_warn(&mg->lg, "this election backend cannot hand over; ignoring the request",
			 "to=%s", to);
		mg->out &= ~(unsigned)MGR_OUT_HANDOVER;
		mg->el_releasing = false;
		return;
	}
	mg->m.handovers++;
	manager_duties(mg); /* stopped_leading already dropped the VIP; make sure */
	elector_duties_undone(&mg->el);
}

static void cb_released(void *arg)
{
	manager_released(arg);
}

/* ---- clients ------------------------------------------------------------------------------ */

static int new_client(struct manager *mg, const struct kc_config *cfg, struct kc_loop *kl,
		      bool plain, struct kc_client **out)
{
	char why[512];
	kl->loop = mg->loop;
	struct kc_client_opts o = {.cfg = cfg,
				   .log = kc_loop_log,
				   .log_arg = &mg->lg,
				   .on_fd = kc_loop_on_fd,
				   .loop_arg = kl,
				   .user_agent = "vipd-manager",
				   .plain_http_json = plain};
	int r = kc_client_new(&o, out, why, sizeof(why));
	if (r < 0) {
		log_error(&mg->lg, "kubernetes client", "error=\"%s\"", why);
		return r;
	}
	kl->kc = *out;
	return 0;
}

static void free_client(struct kc_loop *kl, struct kc_client **kc)
{
	if (!*kc)
		return;
	kc_loop_detach(kl);
	kc_client_free(*kc);
	*kc = NULL;
}

static int load_kubeconfig(struct manager *mg, const char *path, struct kc_config *out, bool quiet)
{
	char why[512];
	int r = kc_config_from_kubeconfig(path, NULL, out, why, sizeof(why));
	if (r == 0 && mg->cfg.kubernetes_addr[0])
		r = kc_config_override_server(out, mg->cfg.kubernetes_addr, why, sizeof(why));
	if (r < 0 && !quiet)
		log_error(&mg->lg, "kubeconfig", "error=\"%s\"", why);
	return r;
}

static void use_config(struct manager *mg, struct kc_config *cfg, const char *path)
{
	char why[512];
	if (mg->kubeconfig_in_use == path)
		return;
	if (kc_client_set_config(mg->kc, cfg, why, sizeof(why)) < 0) {
		log_error(&mg->lg, "switching kubeconfig failed", "error=\"%s\"", why);
		return;
	}
	mg->kubeconfig_in_use = path;
	log_info(&mg->lg, "now using kubeconfig", "file=%s", path);
}

/* ---- the super-admin.conf fallback -------------------------------------------------------- */

static void admin_probe_start(struct loop *l, void *arg);

static void admin_probe_close(struct loop *l, void *arg)
{
	(void)l;
	struct manager *mg = arg;
	free_client(&mg->pcl, &mg->pc);
}

static void admin_probe_done(void *arg, const struct kc_result *res)
{
	struct manager *mg = arg;
	mg->admin_probe = NULL;
	bool refused = res->err.kind == KC_ERR_STATUS && (res->code == 401 || res->code == 403);
	bool answered = res->code >= 200 && res->code < 500 && !refused;
	if (refused && mg->kubeconfig_in_use != mg->cfg.super_admin_kubeconfig) {
		log_warn(&mg->lg,
			 "admin.conf is refused (kubeadm has not bound its RBAC yet); using "
			 "super-admin.conf until it is accepted",
			 "code=%ld kubeconfig=%s fallback=%s", res->code, mg->cfg.kubeconfig,
			 mg->cfg.super_admin_kubeconfig);
		use_config(mg, &mg->scfg, mg->cfg.super_admin_kubeconfig);
	} else if (answered) {
		use_config(mg, &mg->kcfg, mg->cfg.kubeconfig);
		/* Accepted: no more probing. The probe's client is freed from the loop, not from
		 * inside its own callback (curl is still walking its queue). */
		loop_timer_arm_in(mg->loop, &mg->admin_probe_timer, 0, admin_probe_close, mg);
		return;
	}
	loop_timer_arm_in(mg->loop, &mg->admin_probe_timer, ADMIN_PROBE_PERIOD_MS,
			  admin_probe_start, mg);
}

static void admin_probe_start(struct loop *l, void *arg)
{
	(void)l;
	struct manager *mg = arg;
	char path[LE_NAMESPACE_MAX + LE_NAME_MAX + 64];
	snprintf(path, sizeof(path), "/apis/coordination.k8s.io/v1/namespaces/%s/leases/%s",
		 mg->cfg.election.ns, mg->cfg.election.name);
	struct kc_request req = {.method = "GET",
				 .path = path,
				 .timeout_ms = ADMIN_PROBE_PERIOD_MS,
				 .done = admin_probe_done,
				 .arg = mg};
	if (kc_call_start(mg->pc, &req, &mg->admin_probe) < 0)
		loop_timer_arm_in(mg->loop, &mg->admin_probe_timer, ADMIN_PROBE_PERIOD_MS,
				  admin_probe_start, mg);
}

/* admin.conf first; super-admin.conf when admin.conf is unreadable or (probe) refused. */
static int open_kube_client(struct manager *mg)
{
	const struct mgr_config *c = &mg->cfg;
	bool have_super = c->super_admin_kubeconfig[0] &&
			  access(c->super_admin_kubeconfig, R_OK) == 0 &&
			  load_kubeconfig(mg, c->super_admin_kubeconfig, &mg->scfg, false) == 0;
	bool have_admin = load_kubeconfig(mg, c->kubeconfig, &mg->kcfg, have_super) == 0;
	if (!have_admin && !have_super)
		return -EINVAL;
	struct kc_config *first = have_admin ? &mg->kcfg : &mg->scfg;
	mg->kubeconfig_in_use = have_admin ? c->kubeconfig : c->super_admin_kubeconfig;
	int r = new_client(mg, first, &mg->kcl, false, &mg->kc);
	if (r < 0 || !have_super || !have_admin)
		return r;
	/* Both readable: find out whether admin.conf is accepted yet. */
	if ((r = new_client(mg, &mg->kcfg, &mg->pcl, false, &mg->pc)) < 0)
		return r;
	admin_probe_start(mg->loop, mg);
	return 0;
}

static int open_etcd_client(struct manager *mg)
{
	const struct mgr_config *c = &mg->cfg;
	if (c->etcd_ca[0] && kc_read_file(c->etcd_ca, &mg->kcfg.ca) < 0)
		return log_error(&mg->lg, "vipd_etcd_cacert", "file=%s error=unreadable",
				 c->etcd_ca),
		       -EINVAL;
	if (c->etcd_cert[0] && (kc_read_file(c->etcd_cert, &mg->kcfg.cert) < 0 ||
				kc_read_file(c->etcd_key, &mg->kcfg.key) < 0))
		return log_error(&mg->lg, "vipd_etcd_cert/key", "file=%s error=unreadable",
				 c->etcd_cert),
		       -EINVAL;
	mg->kcfg.server = strdup(c->etcd_endpoints[0]);
	mg->kcfg.source = strdup("vipd_etcd_endpoints");
	if (!mg->kcfg.server || !mg->kcfg.source)
		return -ENOMEM;
	mg->kubeconfig_in_use = "";
	return new_client(mg, &mg->kcfg, &mg->kcl, true, &mg->kc);
}

/* ---- the elector -------------------------------------------------------------------------- */

static int new_elector(struct manager *mg)
{
	char why[512];
	struct elector_callbacks cb = {.started_leading = cb_started,
				       .stopped_leading = cb_stopped,
				       .new_leader = cb_new_leader,
				       .released = cb_released,
				       .renewed = cb_renewed,
				       .identity_collision = cb_collision,
				       .handover_requested = cb_handover,
				       .arg = mg};
	int r;
	if (mg->cfg.backend == MGR_BACKEND_ETCD) {
		const char *eps[MGR_MAX_ENDPOINTS];
		for (size_t i = 0; i < mg->cfg.n_etcd_endpoints; i++)
			eps[i] = mg->cfg.etcd_endpoints[i];
		struct etcd_elector_opts eo = {.cfg = &mg->cfg.election,
					       .kc = mg->kc,
					       .endpoints = eps,
					       .n_endpoints = mg->cfg.n_etcd_endpoints,
					       .cb = cb};
		r = etcd_elector_new(&eo, &mg->el, why, sizeof(why));
	} else {
		json_t *ann = NULL;
		if (mg->cfg.lease_annotations[0])
			ann = json_loads(mg->cfg.lease_annotations, 0, NULL);
		struct lease_elector_opts lo = {
		    .cfg = &mg->cfg.election, .kc = mg->kc, .cb = cb, .annotations = ann};
		r = lease_elector_new(&lo, &mg->el, why, sizeof(why));
		json_decref(ann);
	}
	if (r < 0)
		log_error(&mg->lg, "election", "error=\"%s\"", why);
	return r;
}

int manager_join(struct manager *mg)
{
	if (mg->el_live || mg->out)
		return 0;
	int r = new_elector(mg);
	if (r < 0)
		return r;
	mg->el_live = true;
	mg->el_releasing = false;
	log_info(&mg->lg, "joined election",
		 "backend=%s lease=%s identity=%s lease_duration_ms=%lld renew_deadline_ms=%lld "
		 "retry_period_ms=%lld kubeconfig=%s",
		 mg->cfg.backend == MGR_BACKEND_ETCD ? "etcd" : "lease", mg->m.lease_name,
		 mg->cfg.election.identity, (long long)mg->cfg.election.t.lease_ms,
		 (long long)mg->cfg.election.t.renew_ms, (long long)mg->cfg.election.t.retry_ms,
		 mg->kubeconfig_in_use);
	return 0;
}

void manager_resign(struct manager *mg, unsigned reason, const char *why)
{
	mg->out |= reason;
	if (!mg->el_live || mg->el_releasing) {
		if (!mg->el_live && reason == MGR_OUT_STOPPING)
			manager_released(mg);
		return;
	}
	log_info(&mg->lg, "leaving the election", "reason=\"%s\" leading=%s", why,
		 mg->leading ? "true" : "false");
	mg->el_releasing = true;
	elector_shutdown(&mg->el); /* stopped_leading (if we led) → duties drop the VIP */
	manager_duties(mg);
	elector_duties_undone(&mg->el); /* now the release may go out */
}

/* ---- the local control-plane health gate -------------------------------------------------- */

static void health_tick(struct loop *l, void *arg);

static void health_verdict(struct manager *mg, bool ok, const char *detail)
{
	mg->m.health_gate_healthy = ok;
	if (ok) {
		if (!mg->m.health_gate_engaged)
			log_info(&mg->lg, "local control plane ready; health gate engaged",
				 "url=%s", mg->cfg.health_gate_url);
		mg->m.health_gate_engaged = true;
		mg->health_fails = 0;
		if (mg->out & MGR_OUT_HEALTH) {
			log_info(&mg->lg, "local control plane healthy again; rejoining", NULL);
			mg->out &= ~(unsigned)MGR_OUT_HEALTH;
			manager_join(mg);
		}
		return;
	}
	mg->m.health_gate_failures++;
	mg->health_fails++;
	log_debug(&mg->lg, "health check failed", "url=%s fails=%u detail=\"%s\"",
		  mg->cfg.health_gate_url, mg->health_fails, detail);
	if (!mg->m.health_gate_engaged || (mg->out & MGR_OUT_HEALTH) ||
	    mg->health_fails < mg->cfg.health_gate_failures)
		return;
	if (mg->leading)
		mg->m.health_gate_releases++;
	log_error(&mg->lg, "local control plane failed its health checks; giving up the VIP",
		  "url=%s failures=%u detail=\"%s\"", mg->cfg.health_gate_url, mg->health_fails,
		  detail);
	manager_resign(mg, MGR_OUT_HEALTH, "local control plane unhealthy");
}

static void health_done(void *arg, bool ok, const char *detail)
{
	health_verdict(arg, ok, detail);
}

static const char *url_path(const char *url)
{
	const char *p = strstr(url, "://");
	p = p ? strchr(p + 3, '/') : NULL;
	return p ? p : "/readyz";
}

static void health_tick(struct loop *l, void *arg)
{
	struct manager *mg = arg;
	loop_timer_arm_in(l, &mg->health_timer, mg->cfg.health_gate_interval_ms, health_tick, mg);
	if (mg->health_probe.call) {
		/* Still waiting on the last one: that is a failure of this period. */
		kc_probe_cancel(mg->hc, &mg->health_probe);
		health_verdict(mg, false, "no answer within the interval");
	}
	mg->health_probe.done = health_done;
	mg->health_probe.arg = mg;
	if (kc_probe_start(mg->hc, &mg->health_probe, url_path(mg->cfg.health_gate_url),
			   mg->cfg.health_gate_interval_ms) < 0)
		health_verdict(mg, false, "request could not start");
}

/* The probe speaks to the local apiserver with the kubeconfig's CA and credentials. Its
 * certificate names `kubernetes` (kubeadm's SANs), not 127.0.0.1: ask for that name. */
static int open_health_client(struct manager *mg)
{
	char why[512], base[256];
	const char *url = mg->cfg.health_gate_url, *path = url_path(url);
	snprintf(base, sizeof(base), "%.*s", (int)(path - url), url);
	/* The etcd backend has no kubeconfig of its own in use: the gate reads k8s_config_file. */
	const char *kubeconfig =
	    mg->cfg.backend == MGR_BACKEND_ETCD ? mg->cfg.kubeconfig : mg->kubeconfig_in_use;
	int r = load_kubeconfig(mg, kubeconfig, &mg->hcfg, false);
	if (r < 0)
		return r;
	if ((r = kc_config_override_server(&mg->hcfg, base, why, sizeof(why))) < 0) {
		log_error(&mg->lg, "vipd_health_gate_url", "error=\"%s\"", why);
		return r;
	}
	if (!mg->hcfg.tls_server_name &&
	    (strstr(base, "://127.") || strstr(base, "://[::1]") || strstr(base, "://localhost")))
		mg->hcfg.tls_server_name = strdup("kubernetes");
	return new_client(mg, &mg->hcfg, &mg->hcl, false, &mg->hc);
}

void manager_health_start(struct manager *mg)
{
	mg->m.health_gate_enabled = mg->cfg.health_gate;
	if (!mg->cfg.health_gate || !mg->hc)
		return;
	health_tick(mg->loop, mg);
}

/* ---- open / close ------------------------------------------------------------------------- */

int manager_api_open(struct manager *mg)
{
	int r = mg->cfg.backend == MGR_BACKEND_ETCD ? open_etcd_client(mg) : open_kube_client(mg);
	if (r < 0)
		return r;
	if (mg->cfg.health_gate)
		r = open_health_client(mg);
	return r;
}

void manager_api_before_sleep(struct manager *mg)
{
	kc_loop_rearm(&mg->kcl);
	kc_loop_rearm(&mg->hcl);
	kc_loop_rearm(&mg->pcl);
}

void manager_api_close(struct manager *mg)
{
	loop_timer_disarm(mg->loop, &mg->health_timer);
	loop_timer_disarm(mg->loop, &mg->admin_probe_timer);
	loop_timer_disarm(mg->loop, &mg->collision_timer);
	loop_timer_disarm(mg->loop, &mg->handover_timer);
	if (mg->el_live)
		elector_free(&mg->el);
	mg->el_live = false;
	free_client(&mg->pcl, &mg->pc);
	free_client(&mg->hcl, &mg->hc);
	free_client(&mg->kcl, &mg->kc);
	kc_config_free(&mg->hcfg);
	kc_config_free(&mg->scfg);
	kc_config_free(&mg->kcfg);
}
