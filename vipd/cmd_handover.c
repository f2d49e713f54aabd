/*
 * cmd_handover.c — `vipd handover`: asks the holder of the lease to hand it (and with it the VIP)
 * to another node before maintenance, with no lease timeout. The request is an annotation on
 * the Lease addressed to the current holder (lease_record.h); the holder's vipd drops the VIP
 * and writes the Lease naming the next holder, which takes it at once. This command only asks
 * and then watches the holder change.
 *
 * Four steps: parse the options, read the holder, annotate the Lease (conditional on the
 * resourceVersion just read, so the request names the holder of that instant), poll until the
 * holder changes. On timeout the request is withdrawn so it cannot fire later.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "clock.h"
#include "kc_client.h"
#include "kc_config.h"
#include "kc_sync.h"
#include "le_config.h"
#include "lease_record.h"

static const char handover_usage[] =
    "usage: vipd handover [--to NODE] [--from NODE] [--kubeconfig FILE] [--context NAME]\n"
    "                     [--server ADDR] [--lease NS/NAME] [--timeout D]\n"
    "Asks the vipd holding the lease to hand it, and the VIP, to NODE (default: whichever\n"
    "other candidate takes it first), then waits until the holder has changed. --from NODE:\n"
    "only if NODE holds it (before maintenance of NODE: nothing to do when it does not).\n"
    "Defaults: --kubeconfig $KUBECONFIG or /etc/kubernetes/admin.conf, --lease\n"
    "kube-system/plndr-cp-lock, --timeout 30s. Exit: 0 handed over (or NODE holds it\n"
    "already), 1 not handed over (kube-vip holds it: it ignores requests), 2 usage.\n";

#define POLL_MS 10

struct handover_opts {
	const char *to, *from, *kubeconfig, *context, *server, *lease;
	int64_t timeout_ms;
};

struct handover_ctx {
	struct handover_opts o;
	struct le_config lock; /* namespace and name */
	char path[LE_NAMESPACE_MAX + LE_NAME_MAX + 64];
	struct kc_config kcfg;
	struct kc_client *kc;
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
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const char *env = getenv("KUBECONFIG");
	*o = (struct handover_opts){.kubeconfig = env && *env ? env : "/etc/kubernetes/admin.conf",
				    .lease = "kube-system/plndr-cp-lock",
				    .timeout_ms = 30000};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
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

static int open_client(struct handover_ctx *hc)
{
	char why[512];
	if (le_lock_parse(hc->o.lease, "kube-system", &hc->lock, why, sizeof(why)) < 0)
		return cli_fail("--lease: %s", why), -EINVAL;
	snprintf(hc->path, sizeof(hc->path), "/apis/coordination.k8s.io/v1/namespaces/%s/leases/%s",
		 hc->lock.ns, hc->lock.name);
	if (kc_config_from_kubeconfig(hc->o.kubeconfig, hc->o.context, &hc->kcfg, why,
				      sizeof(why)) < 0 ||
	    (hc->o.server &&
	     kc_config_override_server(&hc->kcfg, hc->o.server, why, sizeof(why)) < 0))
		return cli_fail("%s", why), -EINVAL;
	struct kc_client_opts co = {.cfg = &hc->kcfg, .user_agent = "vipd-handover"};
	if (kc_client_new(&co, &hc->kc, why, sizeof(why)) < 0)
		return cli_fail("%s", why), -EINVAL;
	return 0;
}

/* GET the Lease: its holder and resourceVersion. */
static int read_holder(struct handover_ctx *hc, char *holder, char *rv)
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
	int r = lease_decode(res.body, &rec, rv, why, sizeof(why));
	if (r < 0)
		fprintf(stderr, "vipd: lease %s/%s: %s\n", hc->lock.ns, hc->lock.name, why);
	else
		snprintf(holder, LEASE_HOLDER_MAX, "%s", rec.holder);
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

/* Reads the holder and asks it; a 409 (the holder renewed in between) reads again. Sets from.
 * Returns 1 when `to` already holds the lease, 2 when it is not held by --from. */
static int ask(struct handover_ctx *hc, char *from)
{
	char rv[LEASE_RV_MAX], text[2 * LEASE_HOLDER_MAX + 16];
	for (int attempt = 0; attempt < 10; attempt++) {
		if (read_holder(hc, from, rv) < 0)
			return -EIO;
		if (!from[0]) {
			fprintf(stderr, "vipd: nobody holds lease %s/%s\n", hc->lock.ns,
				hc->lock.name);
			return -ENOENT;
		}
		if (hc->o.to && !strcmp(hc->o.to, from))
			return 1;
		if (hc->o.from && strcmp(hc->o.from, from))
			return 2;
		snprintf(text, sizeof(text), "from=%s,to=%s", from,
			 hc->o.to ? hc->o.to : LEASE_HANDOVER_ANY);
		int r = annotate(hc, text, rv);
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
	char rv[LEASE_RV_MAX];
	while (clock_boot_ms() - t0 < hc->o.timeout_ms) {
		if (read_holder(hc, now_holder, rv) == 0 && now_holder[0] &&
		    strcmp(now_holder, from))
			return 0;
		struct timespec ts = {0, POLL_MS * 1000000L};
		nanosleep(&ts, NULL);
	}
	return -ETIMEDOUT;
}

static int run(struct handover_ctx *hc)
{
	char from[LEASE_HOLDER_MAX], holder[LEASE_HOLDER_MAX] = "";
	int64_t t0 = clock_boot_ms();
	int r = ask(hc, from);
	if (r == 1) {
		printf("level=info msg=\"already holds the lease\" lease=%s/%s holder=%s\n",
		       hc->lock.ns, hc->lock.name, from);
		return 0;
	}
	if (r == 2) {
		printf("level=info msg=\"not the holder; nothing to hand over\" lease=%s/%s "
		       "holder=%s from=%s\n",
		       hc->lock.ns, hc->lock.name, from, hc->o.from);
		return 0;
	}
	if (r < 0)
		return 1;
	if (wait_moved(hc, from, t0, holder) < 0) {
		annotate(hc, NULL, NULL);
		fprintf(
		    stderr,
		    "vipd: %s still holds lease %s/%s after %lld ms (kube-vip ignores hand-over "
		    "requests; is vipd running there?); request withdrawn\n",
		    from, hc->lock.ns, hc->lock.name, (long long)hc->o.timeout_ms);
		return 1;
	}
	printf("level=info msg=\"handed over\" lease=%s/%s from=%s to=%s ms=%lld\n", hc->lock.ns,
	       hc->lock.name, from, holder, (long long)(clock_boot_ms() - t0));
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
	if (r)
		return r > 0 ? 0 : 2;
	if (open_client(&hc) < 0) {
		kc_config_free(&hc.kcfg);
		return 2;
	}
	int rc = run(&hc);
	kc_client_free(hc.kc);
	kc_config_free(&hc.kcfg);
	return rc;
}
