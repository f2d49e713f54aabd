/*
 * cmd_handover.c — `vipd handover`: asks the holder of the lease to hand it (and with it the VIP)
 * to another node before maintenance, with no lease timeout. On the Lease backend the request is
 * an annotation on the Lease addressed to the current holder (lease_record.h); the holder's vipd
 * drops the VIP and writes the Lease naming the next holder, which takes it at once. On the etcd
 * backend (--etcd-endpoints) the request goes into the holder's own key (etcd_gw.h); the holder
 * drops the VIP and releases the key naming the next holder. This command only asks and then
 * watches the holder change.
 *
 * Four steps: parse the options, read the holder, write the request (conditional on the
 * version just read, so it names the holder of that instant), poll until the holder changes.
 * On timeout the request is withdrawn so it cannot fire later.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "clock.h"
#include "etcd_gw.h"
#include "kc_client.h"
#include "kc_config.h"
#include "kc_sync.h"
#include "le_config.h"
#include "lease_record.h"

static const char handover_usage[] =
    "usage: vipd handover [--to NODE] [--from NODE] [--kubeconfig FILE] [--context NAME]\n"
    "                     [--server ADDR] [--lease NS/NAME] [--timeout D]\n"
    "       vipd handover --etcd-endpoints URL[,URL...] [--etcd-cacert F --etcd-cert F\n"
    "                     --etcd-key F] [--to NODE] [--from NODE] [--lease NS/NAME] ...\n"
    "Asks the vipd holding the lease to hand it, and the VIP, to NODE (default: whichever\n"
    "other candidate takes it first), then waits until the holder has changed. --from NODE:\n"
    "only if NODE holds it (before maintenance of NODE: nothing to do when it does not).\n"
    "With --etcd-endpoints the lock is vipd's etcd key \"NS-NAME\" (the first endpoint\n"
    "that answers is used). Defaults: --kubeconfig $KUBECONFIG or /etc/kubernetes/admin.conf,\n"
    "--lease kube-system/plndr-cp-lock, --timeout 30s. Exit: 0 handed over (or NODE holds it\n"
    "already), 1 not handed over (kube-vip holds it: it ignores requests), 2 usage.\n";

#define POLL_MS 10

struct handover_opts {
	const char *to, *from, *kubeconfig, *context, *server, *lease;
	struct cli_etcd etcd; /* --etcd-*: the etcd backend */
	int64_t timeout_ms;
};

struct handover_ctx {
	struct handover_opts o;
	struct le_config lock;				/* namespace and name */
	char path[LE_NAMESPACE_MAX + LE_NAME_MAX + 64]; /* the Lease's */
	char key[LE_NAMESPACE_MAX + LE_NAME_MAX + 2];	/* etcd's */
	bool etcd;
	struct cli_etcd ec; /* the endpoints, split */
	size_t cur;
	struct kc_config kcfg;
	struct kc_client *kc;
};

/* The lock as read: its holder, and what a write conditional on this version needs. */
struct lock_view {
	char holder[LEASE_HOLDER_MAX]; /* "" = not held */
	char rv[LEASE_RV_MAX];	       /* Lease: resourceVersion */
	int64_t mod_rev, lease;	       /* etcd: the key's mod_revision and etcd lease */
};

static int parse_opts(int argc, char **argv, struct handover_opts *o)
{
	static const struct option opts[] = {{"to", required_argument, NULL, 't'},
					     {"from", required_argument, NULL, 'f'},
					     {"kubeconfig", required_argument, NULL, 'k'},
					     {"context", required_argument, NULL, 'c'},
					     {"server", required_argument, NULL, 's'},
					     {"lease", required_argument, NULL, 'l'},
					     {"timeout", required_argument, NULL, 'T'},
					     CLI_ETCD_OPTIONS,
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const char *env = getenv("KUBECONFIG");
	*o = (struct handover_opts){.kubeconfig = env && *env ? env : "/etc/kubernetes/admin.conf",
				    .lease = "kube-system/plndr-cp-lock",
				    .timeout_ms = 30000};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (cli_etcd_option(c, optarg, &o->etcd))
			continue;
		switch (c) {
		case 't':
			o->to = optarg;
			break;
		case 'f':
			o->from = optarg;
			break;
		case 'k':
			o->kubeconfig = optarg;
			break;
		case 'c':
			o->context = optarg;
			break;
		case 's':
			o->server = optarg;
			break;
		case 'l':
			o->lease = optarg;
			break;
		case 'T':
			if (le_duration_parse(optarg, &o->timeout_ms) < 0 || o->timeout_ms <= 0)
				return cli_fail("--timeout \"%s\": expected a duration such as 30, "
						"30s or 500ms",
						optarg),
				       -EINVAL;
			break;
		case 'h':
			fputs(handover_usage, stdout);
			return 1;
		default:
			fputs(handover_usage, stderr);
			return -EINVAL;
		}
	}
	if (optind < argc)
		return cli_fail("handover: unexpected argument \"%s\"", argv[optind]), -EINVAL;
	if (o->to && !strcmp(o->to, LEASE_HANDOVER_ANY))
		o->to = NULL; /* anyone */
	char from[LEASE_HOLDER_MAX], to[LEASE_HOLDER_MAX], why[200], text[LEASE_HOLDER_MAX + 16];
	snprintf(text, sizeof(text), "from=x,to=%s", o->to ? o->to : LEASE_HANDOVER_ANY);
	if (o->to && lease_handover_parse(text, from, to, sizeof(from), why, sizeof(why)) < 0)
		return cli_fail("--to \"%s\": not a node name", o->to), -EINVAL;
	return 0;
}

static int open_kube_client(struct handover_ctx *hc, char *why, size_t why_len)
{
	snprintf(hc->path, sizeof(hc->path), "/apis/coordination.k8s.io/v1/namespaces/%s/leases/%s",
		 hc->lock.ns, hc->lock.name);
	if (kc_config_from_kubeconfig(hc->o.kubeconfig, hc->o.context, &hc->kcfg, why, why_len) <
		0 ||
	    (hc->o.server && kc_config_override_server(&hc->kcfg, hc->o.server, why, why_len) < 0))
		return cli_fail("%s", why), -EINVAL;
	return 0;
}

static int open_etcd_client(struct handover_ctx *hc)
{
	snprintf(hc->key, sizeof(hc->key), "%s-%s", hc->lock.ns, hc->lock.name);
	hc->ec = hc->o.etcd;
	return cli_etcd_client(&hc->ec, &hc->kcfg) ? -EINVAL : 0;
}

static int open_client(struct handover_ctx *hc)
{
	char why[512];
	if (le_lock_parse(hc->o.lease, "kube-system", &hc->lock, why, sizeof(why)) < 0)
		return cli_fail("--lease: %s", why), -EINVAL;
	hc->etcd = hc->o.etcd.endpoints != NULL;
	int r = hc->etcd ? open_etcd_client(hc) : open_kube_client(hc, why, sizeof(why));
	if (r < 0)
		return r;
	struct kc_client_opts co = {
	    .cfg = &hc->kcfg, .user_agent = "vipd-handover", .plain_http_json = hc->etcd};
	if (kc_client_new(&co, &hc->kc, why, sizeof(why)) < 0)
		return cli_fail("%s", why), -EINVAL;
	return 0;
}

/* ---- the Lease ---- */

/* GET the Lease: its holder and resourceVersion. */
static int lease_read(struct handover_ctx *hc, struct lock_view *v)
{
	struct kc_request req = {.method = "GET", .path = hc->path, .timeout_ms = 5000};
	struct kc_sync_result res;
	char why[320];
	struct lease_record rec;
	if (kc_call_wait(hc->kc, &req, &res) < 0) {
		fprintf(stderr, "vipd: reading lease %s/%s: %s\n", hc->lock.ns, hc->lock.name,
			kc_error_str(&res.err, why, sizeof(why)));
		return -EIO;
	}
	int r = lease_decode(res.body, &rec, v->rv, why, sizeof(why));
	if (r < 0)
		fprintf(stderr, "vipd: lease %s/%s: %s\n", hc->lock.ns, hc->lock.name, why);
	else
		snprintf(v->holder, sizeof(v->holder), "%s", rec.holder);
	json_decref(res.body);
	return r;
}

/* Sets (text) or withdraws (NULL) the request; with rv, only if the Lease is still at rv. */
static int annotate(struct handover_ctx *hc, const char *text, const char *rv)
{
	json_t *patch =
	    json_pack("{s:{s:{s:o}}}", "metadata", "annotations", LEASE_HANDOVER_ANNOTATION,
		      text ? json_string(text) : json_null());
	if (patch && rv)
		json_object_set_new(json_object_get(patch, "metadata"), "resourceVersion",
				    json_string(rv));
	if (!patch)
		return -ENOMEM;
	struct kc_request req = {
	    .method = "PATCH", .path = hc->path, .body = patch, .patch = true, .timeout_ms = 5000};
	struct kc_sync_result res;
	int r = kc_call_wait(hc->kc, &req, &res);
	json_decref(patch);
	json_decref(res.body);
	if (r < 0 && !(res.err.kind == KC_ERR_STATUS && res.code == 409)) {
		char why[320];
		fprintf(stderr, "vipd: annotating lease %s/%s: %s\n", hc->lock.ns, hc->lock.name,
			kc_error_str(&res.err, why, sizeof(why)));
		return -EIO;
	}
	return r < 0 ? -EAGAIN : 0;
}

/* ---- etcd ---- */

/* POSTs `body` (consumed) to the gateway; after a transport failure the next endpoint is tried.
 * On success res->body is the reply (the caller frees it). */
static int etcd_call(struct handover_ctx *hc, const char *path, json_t *body,
		     struct kc_sync_result *res)
{
	if (!body)
		return -ENOMEM;
	int r = -EIO;
	for (size_t tries = 0; tries < hc->ec.n_eps; tries++) {
		struct kc_request req = {
		    .method = "POST", .path = path, .body = body, .timeout_ms = 5000};
		if ((r = kc_call_wait(hc->kc, &req, res)) == 0 || res->err.kind == KC_ERR_STATUS)
			break;
		json_decref(res->body);
		res->body = NULL;
		hc->cur = (hc->cur + 1) % hc->ec.n_eps;
		kc_client_set_server(hc->kc, hc->ec.eps[hc->cur]);
	}
	json_decref(body);
	if (r < 0) {
		char why[320];
		fprintf(stderr, "vipd: etcd key %s at %s: %s\n", hc->key, hc->ec.eps[hc->cur],
			kc_error_str(&res->err, why, sizeof(why)));
		json_decref(res->body);
		res->body = NULL;
	}
	return r;
}

static int etcd_read(struct handover_ctx *hc, struct lock_view *v)
{
	struct kc_sync_result res;
	if (etcd_call(hc, "/v3/kv/range", etcd_range_body(hc->key), &res) < 0)
		return -EIO;
	struct etcd_kv kv;
	int64_t rev;
	char why[320];
	int r = etcd_range_parse(res.body, &rev, &kv, why, sizeof(why));
	json_decref(res.body);
	if (r < 0) {
		fprintf(stderr, "vipd: etcd key %s: %s\n", hc->key, why);
		return r;
	}
	snprintf(v->holder, sizeof(v->holder), "%s", kv.present ? kv.value : "");
	v->mod_rev = kv.mod_rev;
	v->lease = kv.lease;
	return 0;
}

/* A conditional put (etcd_handover_body / etcd_withdraw_body, consumed): 0, -EAGAIN when its
 * compare failed (the key changed meanwhile), -EIO. */
static int etcd_txn(struct handover_ctx *hc, json_t *body)
{
	struct kc_sync_result res;
	if (etcd_call(hc, "/v3/kv/txn", body, &res) < 0)
		return -EIO;
	bool done;
	int64_t rev;
	struct etcd_kv kv;
	char why[320];
	int r = etcd_txn_parse(res.body, &done, &rev, &kv, why, sizeof(why));
	json_decref(res.body);
	if (r < 0) {
		fprintf(stderr, "vipd: etcd key %s: %s\n", hc->key, why);
		return -EIO;
	}
	return done ? 0 : -EAGAIN;
}

/* ---- either lock ---- */

static int read_holder(struct handover_ctx *hc, struct lock_view *v)
{
	return hc->etcd ? etcd_read(hc, v) : lease_read(hc, v);
}

/* Asks v->holder to hand over to `to`, conditional on the version read: -EAGAIN when it
 * changed meanwhile. */
static int request(struct handover_ctx *hc, const struct lock_view *v, const char *to)
{
	char text[2 * LEASE_HOLDER_MAX + 16];
	if (!hc->etcd) {
		snprintf(text, sizeof(text), "from=%s,to=%s", v->holder, to);
		return annotate(hc, text, v->rv);
	}
	if (etcd_value_encode(v->holder, to, text, sizeof(text)) < 0)
		return -ENAMETOOLONG;
	return etcd_txn(hc, etcd_handover_body(hc->key, v->mod_rev, v->lease, text));
}

/* Takes back a request that was not acted on. */
static void withdraw(struct handover_ctx *hc, const struct lock_view *v, const char *to)
{
	char text[2 * LEASE_HOLDER_MAX + 16];
	if (!hc->etcd)
		annotate(hc, NULL, NULL);
	else if (etcd_value_encode(v->holder, to, text, sizeof(text)) == 0)
		etcd_txn(hc, etcd_withdraw_body(hc->key, text, v->lease, v->holder));
}

/* Reads the holder and asks it; a conflict (the holder renewed in between) reads again. Fills
 * v with the lock as asked. Returns 1 when `to` already holds the lease, 2 when it is not held
 * by --from. */
static int ask(struct handover_ctx *hc, struct lock_view *v)
{
	const char *to = hc->o.to ? hc->o.to : LEASE_HANDOVER_ANY;
	for (int attempt = 0; attempt < 10; attempt++) {
		if (read_holder(hc, v) < 0)
			return -EIO;
		if (!v->holder[0]) {
			fprintf(stderr, "vipd: nobody holds lease %s/%s\n", hc->lock.ns,
				hc->lock.name);
			return -ENOENT;
		}
		if (hc->o.to && !strcmp(hc->o.to, v->holder))
			return 1;
		if (hc->o.from && strcmp(hc->o.from, v->holder))
			return 2;
		int r = request(hc, v, to);
		if (r != -EAGAIN)
			return r;
	}
	fprintf(stderr, "vipd: lease %s/%s keeps changing; could not ask its holder\n", hc->lock.ns,
		hc->lock.name);
	return -EAGAIN;
}

/* Polls until someone other than `from` holds the lease. */
static int wait_moved(struct handover_ctx *hc, const char *from, int64_t t0, char *now_holder)
{
	struct lock_view v;
	while (clock_boot_ms() - t0 < hc->o.timeout_ms) {
		if (read_holder(hc, &v) == 0 && v.holder[0] && strcmp(v.holder, from)) {
			snprintf(now_holder, LEASE_HOLDER_MAX, "%s", v.holder);
			return 0;
		}
		struct timespec ts = {0, POLL_MS * 1000000L};
		nanosleep(&ts, NULL);
	}
	return -ETIMEDOUT;
}

static int run(struct handover_ctx *hc)
{
	struct lock_view v;
	char holder[LEASE_HOLDER_MAX] = "";
	int64_t t0 = clock_boot_ms();
	int r = ask(hc, &v);
	if (r == 1) {
		printf("level=info msg=\"already holds the lease\" lease=%s/%s holder=%s\n",
		       hc->lock.ns, hc->lock.name, v.holder);
		return 0;
	}
	if (r == 2) {
		printf("level=info msg=\"not the holder; nothing to hand over\" lease=%s/%s "
		       "holder=%s from=%s\n",
		       hc->lock.ns, hc->lock.name, v.holder, hc->o.from);
		return 0;
	}
	if (r < 0)
		return 1;
	if (wait_moved(hc, v.holder, t0, holder) < 0) {
		withdraw(hc, &v, hc->o.to ? hc->o.to : LEASE_HANDOVER_ANY);
		fprintf(
		    stderr,
		    "vipd: %s still holds lease %s/%s after %lld ms (kube-vip ignores hand-over "
		    "requests; is vipd running there?); request withdrawn\n",
		    v.holder, hc->lock.ns, hc->lock.name, (long long)hc->o.timeout_ms);
		return 1;
	}
	printf("level=info msg=\"handed over\" lease=%s/%s from=%s to=%s ms=%lld\n", hc->lock.ns,
	       hc->lock.name, v.holder, holder, (long long)(clock_boot_ms() - t0));
	if (hc->o.to && strcmp(holder, hc->o.to)) {
		fprintf(stderr, "vipd: %s took the lease, not %s\n", holder, hc->o.to);
		return 1;
	}
	return 0;
}

int cmd_handover(int argc, char **argv)
{
	struct handover_ctx hc = {0};
	int r = parse_opts(argc, argv, &hc.o);
	int rc = r ? (r > 0 ? 0 : 2) : open_client(&hc) < 0 ? 2 : run(&hc);
	if (hc.kc)
		kc_client_free(hc.kc);
	kc_config_free(&hc.kcfg);
	cli_etcd_free(&hc.ec);
	return rc;
}
