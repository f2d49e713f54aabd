/*
 * etcd_elector.c — the etcd backend's state machine and I/O (see etcd_elector.h for the
 * protocol and its safety argument). One main request at a time, plus the watch stream and a
 * best-effort revoke of a lease we no longer need.
 */
#include "etcd_elector.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "etcd_decide.h"
#include "etcd_gw.h"
#include "kc_backoff.h"
#include "kc_stream.h"

#define NS_PER_MS 1000000LL

enum phase {
	PH_RANGE,    /* learn who holds the key (and where to watch from) */
	PH_GRANT,    /* get an etcd lease to campaign with */
	PH_CAMPAIGN, /* the create_revision == 0 txn */
	PH_FOLLOW,   /* someone else holds it: watch it, and read it every retryPeriod */
	PH_LEAD,     /* keep-alive every retryPeriod */
};

/* C_CONFIRM: the linearizable read of our key that follows every successful keep-alive.
 * C_CHECK: a follower's periodic linearizable read of the key, the watch kept.
 * C_LEASE_TTL: LeaseTimeToLive of the holder's lease after each follower read (its expected
 * expiry). C_GONE_TTL: the same for a holder whose key vanished (does its lease live?).
 * C_RELEASE: on shutdown, the release marker (etcd_gw.h) before the revoke. */
enum call_kind {
	C_RANGE,
	C_GRANT,
	C_TXN,
	C_KEEPALIVE,
	C_CONFIRM,
	C_CHECK,
	C_LEASE_TTL,
	C_GONE_TTL,
	C_RELEASE,
	C_REVOKE,
};

struct etcd_elector {
	struct le_config cfg;
	char key[LE_NAMESPACE_MAX + LE_NAME_MAX + 2];
	struct kc_client *kc;
	char **endpoints;
	size_t n_endpoints, cur;
	struct elector_callbacks cb;

	enum phase phase;
	int64_t next_at; /* no main request before this (back-off after an error) */
	struct kc_call *call;
	enum call_kind call_kind;
	int64_t call_sent;
	int64_t call_lease; /* the lease a C_LEASE_TTL / C_GONE_TTL asks about */

	int64_t lease_id;
	int64_t lease_sent; /* send time of the grant or last successful keep-alive */
	int64_t last_ka;    /* send time of the last keep-alive attempt */
	int64_t
	    ka_ok_sent; /* send time of a keep-alive that succeeded, awaiting its confirmation */
	bool confirm_due;
	bool leading;
	char holder[LEASE_HOLDER_MAX];
	bool holder_known;

	struct kc_call *wcall;
	struct kc_stream ws;
	int64_t watch_rev;
	bool watch_live;
	bool need_range;		 /* the watch must be (re)started from a fresh range */
	int64_t last_read;		 /* send time of the last range or check of the key */
	struct kc_backoff watch_backoff; /* reset only by a watch that stayed open */
	struct kc_timer wtimer;

	/* What a follower knows of the holder, and a vanished key being judged (etcd_decide.h). */
	struct etcd_kv seen;	     /* the key as last seen present (present=false: since gone) */
	struct etcd_holder_lease hl; /* timing of the holder's lease */
	bool lease_due;		     /* time it after the next read */
	struct etcd_kv gone;	     /* the key that vanished, while judged or waited for */
	int64_t gone_seen;	     /* when it was seen gone */
	bool gone_ask;		     /* LeaseTimeToLive of gone.lease wanted */
	int64_t campaign_at;	     /* waiting out a vacancy until then (0: not waiting) */

	struct kc_call *rcall; /* best-effort release marker, then revoke, of a dropped lease */
	int64_t drop_id;       /* the lease rcall is about */
	bool drop_marking;     /* rcall is the release marker (the revoke follows) */
	bool release_marked;   /* shutdown: the release marker was tried */
	struct elector_stepper stepper; /* runs pass() below */

	bool shutting_down, duties_undone, released_reported;
	char release_to[LEASE_HOLDER_MAX]; /* a hand-over: the release names it ("": anyone) */
	bool handover_asked;		   /* handover_requested fired (once per elector) */
	int64_t handover_seen_rev;	   /* the key revision whose request was looked at */
	struct elector_stats stats;
};

static void set_holder(struct etcd_elector *ee, const char *h)
{
	if (ee->holder_known && !strcmp(ee->holder, h))
		return;
	ee->holder_known = true;
	snprintf(ee->holder, sizeof(ee->holder), "%s", h);
	if (ee->cb.new_leader)
		ee->cb.new_leader(ee->cb.arg, h);
}

static void start_leading(struct etcd_elector *ee)
{
	ee->leading = true;
	ee->stats.acquisitions++;
	if (ee->cb.started_leading)
		ee->cb.started_leading(ee->cb.arg);
}

static int drop_send(struct etcd_elector *ee, bool mark);

static void drop_done(void *arg, const struct kc_result *res)
{
	struct etcd_elector *ee = arg;
	ee->rcall = NULL;
	if (!ee->drop_marking)
		return;
	if (res->err.kind != KC_OK)
		kc_client_log(ee->kc, KC_LOG_INFO,
			      "etcd release marker not written; followers will wait for the lease",
			      "key=%s lease=%lld", ee->key, (long long)ee->drop_id);
	drop_send(ee, false);
}

/* One step of dropping ee->drop_id: the release marker (if the key is still bound to it) or
 * the revoke. */
static int drop_send(struct etcd_elector *ee, bool mark)
{
	json_t *body =
	    mark ? etcd_release_body(ee->key, ee->drop_id, NULL) : etcd_lease_id_body(ee->drop_id);
	struct kc_request req = {.method = "POST",
				 .path = mark ? "/v3/kv/txn" : "/v3/lease/revoke",
				 .body = body,
				 .timeout_ms = elector_request_timeout_ms(&ee->cfg.t),
				 .done = drop_done,
				 .arg = ee};
	ee->drop_marking = mark;
	int r = body ? kc_call_start(ee->kc, &req, &ee->rcall) : -ENOMEM;
	json_decref(body);
	return r;
}

/* Drops our lease (and with it our key, if it still exists). `mark`: the key may still be ours
 * and we no longer act, so first write the release marker — followers then take over at once
 * instead of waiting out a key revoked early. Fire and forget: if it fails the lease expires by
 * itself after its TTL. */
static void drop_lease(struct etcd_elector *ee, bool mark)
{
	if (!ee->lease_id)
		return;
	if (!ee->rcall) {
		ee->drop_id = ee->lease_id;
		drop_send(ee, mark);
	}
	ee->lease_id = 0;
}

static void stop_leading(struct etcd_elector *ee, const char *why)
{
	if (!ee->leading)
		return;
	ee->leading = false;
	ee->stats.step_downs++;
	if (ee->cb.stopped_leading)
		ee->cb.stopped_leading(ee->cb.arg, why);
}

/* Transport trouble: the next request goes to the next endpoint. */
static void maybe_rotate(struct etcd_elector *ee, const struct kc_result *res)
{
	bool rotate = res->err.kind == KC_ERR_TRANSPORT || res->err.kind == KC_ERR_TIMEOUT ||
		      (res->err.kind == KC_ERR_STATUS && res->err.code >= 500);
	if (!rotate || ee->n_endpoints < 2)
		return;
	ee->cur = (ee->cur + 1) % ee->n_endpoints;
	kc_client_set_server(ee->kc, ee->endpoints[ee->cur]);
	kc_client_log(ee->kc, KC_LOG_INFO, "switching etcd endpoint", "endpoint=%s",
		      ee->endpoints[ee->cur]);
}

static void fail_later(struct etcd_elector *ee, const char *what, const struct kc_result *res,
		       const char *why)
{
	char eb[320];
	ee->stats.errors++;
	kc_client_log(ee->kc, KC_LOG_WARN, "etcd request failed", "key=%s request=%s error=\"%s\"",
		      ee->key, what, why ? why : kc_error_str(&res->err, eb, sizeof(eb)));
	if (res)
		maybe_rotate(ee, res);
	ee->next_at = clock_boot_ns() + ee->cfg.t.retry_ms * NS_PER_MS;
}

/* ---- watch ---- */

static void start_watch(struct etcd_elector *ee, int64_t rev);

static void watch_retry(void *arg)
{
	struct etcd_elector *ee = arg;
	ee->need_range = true;
	elector_step(&ee->stepper);
}

/* Decide (again, with `answer`) what the vanished key ee->gone means: campaign now, ask etcd
 * about its holder's lease, or wait its leaseDuration. */
static void judge_gone(struct etcd_elector *ee, enum etcd_lease_answer answer)
{
	struct etcd_gone_in in = {.last = &ee->gone,
				  .identity = ee->cfg.identity,
				  .hl = &ee->hl,
				  .answer = answer,
				  .seen = ee->gone_seen,
				  .lease_ns = ee->cfg.t.lease_ms * NS_PER_MS,
				  .retry_ns = ee->cfg.t.retry_ms * NS_PER_MS};
	struct etcd_gone_out o = etcd_gone_decide(&in);
	ee->gone_ask = o.ask;
	ee->phase = PH_FOLLOW;
	if (o.ask)
		return;
	if (o.why == ETCD_GONE_HANDED_OVER) {
		ee->campaign_at = o.campaign_at;
		kc_client_log(ee->kc, KC_LOG_INFO,
			      "etcd key handed over to another candidate; waiting for it",
			      "key=%s holder=\"%s\" to=\"%s\" wait_ms=%lld", ee->key,
			      ee->gone.value, ee->gone.handover_to,
			      (long long)((o.campaign_at - ee->gone_seen) / NS_PER_MS));
		return;
	}
	if (o.campaign_at <= ee->gone_seen) {
		if (o.why != ETCD_GONE_UNHELD)
			kc_client_log(ee->kc, KC_LOG_INFO, "etcd key gone; campaigning",
				      "key=%s holder=\"%s\" lease=%lld reason=\"%s\"", ee->key,
				      ee->gone.value, (long long)ee->gone.lease,
				      etcd_gone_name(o.why));
		ee->phase = PH_GRANT;
		ee->next_at = 0;
		return;
	}
	ee->stats.vacancy_waits++;
	ee->campaign_at = o.campaign_at;
	kc_client_log(ee->kc, KC_LOG_INFO,
		      "etcd key gone while its holder may still act; waiting its leaseDuration",
		      "key=%s holder=\"%s\" lease=%lld reason=\"%s\" wait_ms=%lld", ee->key,
		      ee->gone.value, (long long)ee->gone.lease, etcd_gone_name(o.why),
		      (long long)((o.campaign_at - ee->gone_seen) / NS_PER_MS));
}

/* The key is gone (`prev`: what it was, if the watch said). */
static void key_vanished(struct etcd_elector *ee, const struct etcd_kv *prev)
{
	set_holder(ee, "");
	if (ee->leading) {
		stop_leading(ee, "the key was deleted");
		drop_lease(ee, false);
	}
	ee->next_at = 0;
	if (ee->phase != PH_FOLLOW && ee->phase != PH_LEAD && ee->phase != PH_RANGE)
		return; /* campaigning already */
	if (ee->gone_ask || ee->campaign_at)
		return; /* judged already */
	ee->gone = prev && prev->present ? *prev : ee->seen;
	ee->seen.present = false;
	ee->gone_seen = clock_boot_ns();
	judge_gone(ee, ETCD_LEASE_UNASKED);
}

/* Another holder (or the release marker) is in the key. */
static void key_present(struct etcd_elector *ee, const struct etcd_kv *kv)
{
	if (ee->campaign_at || ee->gone_ask)
		kc_client_log(ee->kc, KC_LOG_INFO, "etcd key put again; no longer waiting",
			      "key=%s holder=\"%s\"", ee->key, kv->value);
	ee->campaign_at = 0;
	ee->gone_ask = false;
	ee->seen = *kv;
	bool other = !etcd_kv_released(kv) && strcmp(kv->value, ee->cfg.identity) && kv->lease;
	int64_t before = ee->hl.id;
	etcd_holder_lease_set(&ee->hl, other ? kv->lease : 0);
	if (ee->hl.id && ee->hl.id != before)
		ee->lease_due = true;
	set_holder(ee, kv->value);
}

/* A hand-over request in our own key (put there by `vipd handover`) while we lead: tell the
 * caller, once. A malformed request, or one naming us, is logged once and ignored (it stays in
 * the value until the next request or release replaces it; it changes nothing). */
static void check_handover(struct etcd_elector *ee, const struct etcd_kv *kv)
{
	if ((!kv->handover_to[0] && !kv->handover_bad) || kv->mod_rev == ee->handover_seen_rev ||
	    ee->handover_asked || ee->shutting_down || !ee->cb.handover_requested)
		return;
	ee->handover_seen_rev = kv->mod_rev;
	if (kv->handover_bad) {
		kc_client_log(ee->kc, KC_LOG_WARN, "ignoring a malformed hand-over request",
			      "key=%s error=\"the hand-over target is empty or too long\"",
			      ee->key);
		return;
	}
	if (!strcmp(kv->handover_to, ee->cfg.identity))
		return;
	ee->handover_asked = true;
	ee->cb.handover_requested(ee->cb.arg, kv->handover_to);
}

/* The key as the watch (or a range) shows it now; `prev` is the watch's prev_kv (or NULL). */
static void observe_key(struct etcd_elector *ee, const struct etcd_kv *kv,
			const struct etcd_kv *prev)
{
	if (!kv->present) {
		key_vanished(ee, prev);
		return;
	}
	key_present(ee, kv);
	bool ours =
	    !strcmp(kv->value, ee->cfg.identity) && kv->lease == ee->lease_id && ee->lease_id != 0;
	if (ee->leading && !ours) {
		stop_leading(ee, "the key names another holder or lease");
		drop_lease(ee, false);
	}
	if (ee->leading && ours)
		check_handover(ee, kv);
	if (!ours && (ee->phase == PH_LEAD || ee->phase == PH_RANGE))
		ee->phase = PH_FOLLOW;
}

static void deadline_check(struct etcd_elector *ee)
{
	if (ee->leading && clock_boot_ns() >= ee->lease_sent + ee->cfg.t.renew_ms * NS_PER_MS) {
		stop_leading(ee, "no keep-alive succeeded within renewDeadline");
		drop_lease(ee, true);
		ee->phase = PH_RANGE;
	}
}

static int watch_line(void *arg, const char *line, size_t len)
{
	struct etcd_elector *ee = arg;
	deadline_check(ee);
	struct etcd_watch_msg m;
	char why[256];
	if (etcd_watch_parse(line, len, ee->key, &m, why, sizeof(why)) < 0) {
		kc_client_log(ee->kc, KC_LOG_WARN, "bad etcd watch message", "key=%s error=\"%s\"",
			      ee->key, why);
		return -EBADMSG;
	}
	if (m.revision >= ee->watch_rev)
		ee->watch_rev = m.revision + 1;
	if (m.canceled || m.compact_revision > 0) {
		kc_client_log(ee->kc, KC_LOG_INFO, "etcd watch cancelled; reading the key again",
			      "key=%s compact_revision=%lld", ee->key,
			      (long long)m.compact_revision);
		return -ESTALE;
	}
	if (m.last != ETCD_EV_NONE) {
		ee->stats.watch_events++;
		observe_key(ee, &m.kv, &m.prev);
		elector_step(&ee->stepper);
	}
	return 0;
}

static int watch_data(void *arg, const char *data, size_t len)
{
	struct etcd_elector *ee = arg;
	return kc_stream_feed(&ee->ws, data, len, watch_line, ee);
}

static void watch_open(void *arg)
{
	struct etcd_elector *ee = arg;
	ee->watch_live = true;
	kc_backoff_opened(&ee->watch_backoff, clock_boot_ms());
}

static void watch_done(void *arg, const struct kc_result *res)
{
	struct etcd_elector *ee = arg;
	char eb[320];
	ee->wcall = NULL;
	ee->watch_live = false;
	kc_backoff_closed(&ee->watch_backoff, clock_boot_ms());
	kc_stream_reset(&ee->ws);
	if (ee->shutting_down)
		return;
	kc_client_log(ee->kc, KC_LOG_INFO, "etcd watch ended; restarting", "key=%s error=\"%s\"",
		      ee->key, kc_error_str(&res->err, eb, sizeof(eb)));
	maybe_rotate(ee, res);
	int64_t delay = kc_backoff_delay(&ee->watch_backoff, kc_client_rand(ee->kc, UINT32_MAX));
	kc_timer_arm(ee->kc, &ee->wtimer, delay, watch_retry, ee);
}

static void start_watch(struct etcd_elector *ee, int64_t rev)
{
	if (ee->wcall) {
		kc_call_cancel(ee->kc, ee->wcall);
		ee->wcall = NULL;
		ee->watch_live = false;
	}
	kc_stream_reset(&ee->ws);
	ee->watch_rev = rev;
	json_t *body = etcd_watch_body(ee->key, rev);
	struct kc_request req = {.method = "POST",
				 .path = "/v3/watch",
				 .body = body,
				 .timeout_ms =
				     24L * 3600 * 1000, /* a stream; liveness via the lease */
				 .done = watch_done,
				 .data = watch_data,
				 .open = watch_open,
				 .arg = ee};
	int r = body ? kc_call_start(ee->kc, &req, &ee->wcall) : -ENOMEM;
	json_decref(body);
	if (r < 0)
		kc_timer_arm(ee->kc, &ee->wtimer, ee->cfg.t.retry_ms, watch_retry, ee);
}

/* ---- main requests ---- */

/* A LeaseTimeToLive answered: time the holder's lease, or judge a vanished key with it. */
static void lease_ttl_done(struct etcd_elector *ee, const struct kc_result *res, int64_t sent)
{
	int64_t ttl = 0, granted = 0;
	char why[320];
	ee->stats.reads++;
	int r =
	    res->err.kind == KC_OK && res->body
		? etcd_timetolive_parse(res->body, ee->call_lease, &ttl, &granted, why, sizeof(why))
		: -EIO;
	if (r < 0) {
		char eb[320];
		ee->stats.errors++;
		kc_client_log(ee->kc, KC_LOG_WARN, "etcd lease time-to-live failed",
			      "key=%s lease=%lld error=\"%s\"", ee->key, (long long)ee->call_lease,
			      r == -EIO ? kc_error_str(&res->err, eb, sizeof(eb)) : why);
		maybe_rotate(ee, res);
	}
	if (ee->call_kind == C_LEASE_TTL) {
		if (r == 0 && ee->hl.id == ee->call_lease)
			etcd_holder_lease_timed(&ee->hl, sent, ttl, granted);
		return;
	}
	if (!ee->gone_ask || ee->gone.lease != ee->call_lease)
		return; /* the key was put again meanwhile */
	judge_gone(ee, r < 0 ? ETCD_LEASE_FAILED : ttl < 0 ? ETCD_LEASE_GONE : ETCD_LEASE_ALIVE);
}

/* Shutdown's release marker answered (the revoke follows whatever it says). */
static void release_done(struct etcd_elector *ee, const struct kc_result *res)
{
	bool won = false;
	int64_t rev;
	struct etcd_kv kv;
	char why[320];
	ee->stats.writes++;
	ee->release_marked = true;
	if (res->err.kind != KC_OK || !res->body ||
	    etcd_txn_parse(res->body, &won, &rev, &kv, why, sizeof(why)) < 0)
		kc_client_log(ee->kc, KC_LOG_INFO,
			      "etcd release marker not written; followers will wait for the lease",
			      "key=%s lease=%lld", ee->key, (long long)ee->lease_id);
}

static void main_done(void *arg, const struct kc_result *res)
{
	struct etcd_elector *ee = arg;
	int64_t now = clock_boot_ns(), sent = ee->call_sent;
	ee->call = NULL;
	deadline_check(ee);
	char why[320];
	struct etcd_kv kv;
	int64_t rev, ttl, id;
	bool ok = res->err.kind == KC_OK && res->body;

	switch (ee->call_kind) {
	case C_RANGE:
		ee->stats.reads++;
		if (!ok || etcd_range_parse(res->body, &rev, &kv, why, sizeof(why)) < 0) {
			fail_later(ee, "range", res, ok ? why : NULL);
			break;
		}
		ee->need_range = false;
		start_watch(ee, rev + 1);
		observe_key(ee, &kv, NULL);
		ee->lease_due = ee->seen.present && ee->hl.id != 0;
		if (ee->phase == PH_RANGE)
			ee->phase = kv.present ? PH_FOLLOW : PH_GRANT;
		break;
	case C_GRANT:
		ee->stats.writes++;
		if (!ok || etcd_grant_parse(res->body, &id, &ttl, why, sizeof(why)) < 0) {
			fail_later(ee, "lease grant", res, ok ? why : NULL);
			ee->phase = PH_RANGE;
			break;
		}
		ee->lease_id = id;
		ee->lease_sent = sent;
		ee->phase = PH_CAMPAIGN;
		break;
	case C_TXN: {
		ee->stats.writes++;
		bool won;
		if (!ok || etcd_txn_parse(res->body, &won, &rev, &kv, why, sizeof(why)) < 0) {
			/* Outcome unknown: give the lease up, which deletes the key if we won. */
			fail_later(ee, "campaign txn", res, ok ? why : NULL);
			drop_lease(ee, true);
			ee->phase = PH_RANGE;
			break;
		}
		if (won && now < ee->lease_sent + ee->cfg.t.renew_ms * NS_PER_MS &&
		    !ee->shutting_down) {
			ee->phase = PH_LEAD;
			ee->last_ka = ee->lease_sent;
			set_holder(ee, ee->cfg.identity);
			start_leading(ee);
		} else if (won) {
			drop_lease(ee, true); /* won too late to be safe: give it back */
			ee->phase = PH_RANGE;
		} else {
			ee->stats.conflicts++;
			drop_lease(ee, false);
			if (kv.present) {
				observe_key(ee, &kv, NULL);
				ee->phase = PH_FOLLOW;
			} else {
				ee->phase = PH_GRANT; /* deleted in between */
			}
		}
		if (!ee->wcall || ee->need_range) {
			if (won)
				ee->need_range = true; /* ranges and (re)starts the watch */
			else
				start_watch(ee, rev + 1);
		}
		break;
	}
	case C_KEEPALIVE:
		ee->stats.writes++;
		if (!ok || etcd_keepalive_parse(res->body, &ttl, why, sizeof(why)) < 0) {
			char eb[320];
			ee->stats.errors++;
			kc_client_log(ee->kc, KC_LOG_WARN, "etcd keep-alive failed",
				      "key=%s error=\"%s\"", ee->key,
				      ok ? why : kc_error_str(&res->err, eb, sizeof(eb)));
			maybe_rotate(ee, res);
			break; /* next tick; the deadline check steps down in time */
		}
		if (ttl <= 0) {
			stop_leading(ee, "the etcd lease expired");
			ee->lease_id = 0;
			ee->phase = PH_RANGE;
			break;
		}
		/* A member that has lost its quorum may still renew for up to an election timeout:
		 * the renewal counts only once a linearizable read (which needs a quorum) after it
		 * shows the key still ours. */
		ee->ka_ok_sent = sent;
		ee->confirm_due = true;
		break;
	case C_CHECK:
		ee->stats.reads++;
		if (!ok || etcd_range_parse(res->body, &rev, &kv, why, sizeof(why)) < 0) {
			/* Maybe this member lost its quorum: the watch may be stalled too, so the
			 * next read ranges (on the next endpoint, after a transport error) and
			 * restarts it. */
			fail_later(ee, "follower check", res, ok ? why : NULL);
			ee->need_range = true;
			break;
		}
		switch (etcd_read_verdict(&kv, ee->wcall ? ee->watch_rev : 0)) {
		case ETCD_KEY_GONE:
			kc_client_log(ee->kc, KC_LOG_INFO,
				      "etcd key gone by a quorum read (the watch did not say)",
				      "key=%s revision=%lld", ee->key, (long long)rev);
			break;
		case ETCD_REWATCH:
			kc_client_log(ee->kc, KC_LOG_INFO,
				      "etcd watch is behind a quorum read; restarting it",
				      "key=%s mod_revision=%lld watch_revision=%lld", ee->key,
				      (long long)kv.mod_rev, (long long)ee->watch_rev);
			ee->need_range = true;
			break;
		case ETCD_KEEP_FOLLOWING:
			break;
		}
		observe_key(ee, &kv, NULL);
		ee->lease_due = ee->seen.present && ee->hl.id != 0;
		break;
	case C_LEASE_TTL:
	case C_GONE_TTL:
		lease_ttl_done(ee, res, sent);
		break;
	case C_RELEASE:
		release_done(ee, res);
		break;
	case C_CONFIRM:
		ee->stats.reads++;
		if (!ok || etcd_range_parse(res->body, &rev, &kv, why, sizeof(why)) < 0) {
			char eb[320];
			ee->stats.errors++;
			kc_client_log(ee->kc, KC_LOG_WARN,
				      "etcd quorum read failed; renewal not counted",
				      "key=%s error=\"%s\"", ee->key,
				      ok ? why : kc_error_str(&res->err, eb, sizeof(eb)));
			maybe_rotate(ee, res);
			break;
		}
		observe_key(ee, &kv, NULL);
		if (ee->leading && ee->ka_ok_sent > ee->lease_sent) {
			ee->lease_sent = ee->ka_ok_sent;
			if (ee->cb.renewed)
				ee->cb.renewed(ee->cb.arg, ee->lease_sent, clock_boot_ns());
		}
		break;
	case C_REVOKE:
		/* Release on shutdown: done whatever the answer (the lease expires anyway). */
		ee->lease_id = 0;
		break;
	}
	elector_step(&ee->stepper);
}

static int start_main(struct etcd_elector *ee, enum call_kind kind, int64_t now)
{
	json_t *body = NULL;
	const char *path = NULL;
	switch (kind) {
	case C_RANGE:
	case C_CHECK:
		path = "/v3/kv/range";
		body = etcd_range_body(ee->key);
		ee->last_read = now;
		break;
	case C_GRANT:
		path = "/v3/lease/grant";
		body = etcd_grant_body(ee->cfg.t.lease_ms / 1000);
		break;
	case C_TXN:
		path = "/v3/kv/txn";
		body = etcd_campaign_body(ee->key, ee->cfg.identity, ee->lease_id);
		break;
	case C_KEEPALIVE:
		path = "/v3/lease/keepalive";
		body = etcd_lease_id_body(ee->lease_id);
		ee->last_ka = now;
		break;
	case C_CONFIRM:
		path = "/v3/kv/range";
		body = etcd_range_body(ee->key);
		ee->confirm_due = false;
		break;
	case C_LEASE_TTL:
	case C_GONE_TTL:
		path = "/v3/lease/timetolive";
		ee->call_lease = kind == C_GONE_TTL ? ee->gone.lease : ee->hl.id;
		body = etcd_lease_id_body(ee->call_lease);
		if (kind == C_LEASE_TTL)
			ee->lease_due = false;
		break;
	case C_RELEASE:
		path = "/v3/kv/txn";
		body = etcd_release_body(ee->key, ee->lease_id, ee->release_to);
		break;
	case C_REVOKE:
		path = "/v3/lease/revoke";
		body = etcd_lease_id_body(ee->lease_id);
		break;
	}
	if (!body)
		return -ENOMEM;
	struct kc_request req = {.method = "POST",
				 .path = path,
				 .body = body,
				 .timeout_ms = elector_request_timeout_ms(&ee->cfg.t),
				 .done = main_done,
				 .arg = ee};
	ee->call_kind = kind;
	ee->call_sent = now; /* before the request exists: the safe side of the deadline */
	int r = kc_call_start(ee->kc, &req, &ee->call);
	json_decref(body);
	return r;
}

/* A follower's next request (etcd_follow_decide); false: none now, look again at *wake. */
static bool follow_next(struct etcd_elector *ee, int64_t now, enum call_kind *next, int64_t *wake)
{
	struct etcd_follow_in in = {.need_range = ee->need_range,
				    .watch_live = ee->watch_live,
				    .gone_ask = ee->gone_ask,
				    .lease_due = ee->lease_due && ee->hl.id,
				    .campaign_at = ee->campaign_at,
				    .last_read = ee->last_read,
				    .retry_ns = ee->cfg.t.retry_ms * NS_PER_MS};
	struct etcd_follow_out o = etcd_follow_decide(&in, now);
	if (o.wake < *wake)
		*wake = o.wake;
	switch (o.read) {
	case ETCD_READ_NONE:
		return false;
	case ETCD_READ_RANGE:
		*next = C_RANGE;
		break;
	case ETCD_READ_CHECK:
		*next = C_CHECK;
		break;
	case ETCD_READ_LEASE:
		*next = ee->gone_ask ? C_GONE_TTL : C_LEASE_TTL;
		break;
	case ETCD_READ_CAMPAIGN:
		kc_client_log(ee->kc, KC_LOG_INFO, "etcd vacancy waited out; campaigning",
			      "key=%s holder=\"%s\"", ee->key, ee->gone.value);
		ee->campaign_at = 0;
		ee->phase = PH_GRANT;
		*next = C_GRANT;
		break;
	}
	return true;
}

/* One pass (see elector_stepper): at most one main request, chosen by the phase; returns when
 * to look again. */
static int64_t pass(void *impl, int64_t now)
{
	struct etcd_elector *ee = impl;
	int64_t renew_ns = ee->cfg.t.renew_ms * NS_PER_MS;
	int64_t wake = ELECTOR_NEVER;
	deadline_check(ee);
	if (ee->leading)
		wake = ee->lease_sent + renew_ns;

	enum call_kind next = C_RANGE;
	bool want = false;
	if (ee->shutting_down) {
		if (ee->duties_undone && !ee->call) {
			if (ee->lease_id) {
				next = ee->release_marked ? C_REVOKE : C_RELEASE;
				want = true;
			} else if (!ee->released_reported) {
				ee->released_reported = true;
				if (ee->cb.released)
					ee->cb.released(ee->cb.arg);
			}
		}
	} else if (!ee->call && now < ee->next_at) {
		wake = wake < ee->next_at ? wake : ee->next_at;
	} else if (!ee->call) {
		switch (ee->phase) {
		case PH_RANGE:
			want = true;
			break;
		case PH_GRANT:
			next = C_GRANT;
			want = true;
			break;
		case PH_CAMPAIGN:
			next = C_TXN;
			want = true;
			break;
		case PH_FOLLOW:
			want = follow_next(ee, now, &next, &wake);
			break;
		case PH_LEAD: {
			int64_t tick = ee->last_ka + ee->cfg.t.retry_ms * NS_PER_MS;
			if (ee->need_range) {
				/* Check the key is ours and restart the watch. */
				want = true;
			} else if (ee->confirm_due) {
				next = C_CONFIRM;
				want = true;
			} else if (now >= tick) {
				next = C_KEEPALIVE;
				want = true;
			} else if (tick < wake) {
				wake = tick;
			}
			break;
		}
		}
	}
	if (want && start_main(ee, next, now) < 0) {
		ee->next_at = now + ee->cfg.t.retry_ms * NS_PER_MS;
		if (ee->next_at < wake)
			wake = ee->next_at;
	}
	return wake;
}

/* ---- elector interface ---- */

static int64_t ee_renewed_at(void *impl)
{
	const struct etcd_elector *ee = impl;
	return ee->leading ? ee->lease_sent : INT64_MIN;
}

static bool ee_is_leader(void *impl)
{
	struct etcd_elector *ee = impl;
	return ee->leading && !ee->shutting_down &&
	       clock_boot_ns() < ee->lease_sent + ee->cfg.t.renew_ms * NS_PER_MS;
}

static void shut_down(struct etcd_elector *ee, const char *why)
{
	ee->shutting_down = true;
	stop_leading(ee, why);
	elector_step(&ee->stepper);
}

static void ee_shutdown(void *impl)
{
	shut_down(impl, "shutting down");
}

/* A shutdown whose release marker names the next holder (etcd_decide.h: it alone campaigns at
 * once; "*" is the plain marker, anyone). */
static void ee_handover(void *impl, const char *to)
{
	struct etcd_elector *ee = impl;
	snprintf(ee->release_to, sizeof(ee->release_to), "%s", to);
	shut_down(ee, "handing the key over");
}

static void ee_duties_undone(void *impl)
{
	struct etcd_elector *ee = impl;
	ee->duties_undone = true;
	elector_step(&ee->stepper);
}

static void ee_stats(void *impl, struct elector_stats *out)
{
	*out = ((struct etcd_elector *)impl)->stats;
}

static void ee_free(void *impl)
{
	struct etcd_elector *ee = impl;
	if (ee->call)
		kc_call_cancel(ee->kc, ee->call);
	if (ee->wcall)
		kc_call_cancel(ee->kc, ee->wcall);
	if (ee->rcall)
		kc_call_cancel(ee->kc, ee->rcall);
	elector_stepper_stop(&ee->stepper);
	kc_timer_disarm(ee->kc, &ee->wtimer);
	kc_stream_free(&ee->ws);
	for (size_t i = 0; i < ee->n_endpoints; i++)
		free(ee->endpoints[i]);
	free(ee->endpoints);
	free(ee);
}

static const struct elector_ops etcd_ops = {
    .is_leader = ee_is_leader,
    .renewed_at = ee_renewed_at,
    .shutdown = ee_shutdown,
    .duties_undone = ee_duties_undone,
    .stats = ee_stats,
    .free = ee_free,
    .handover = ee_handover,
};

int etcd_elector_new(const struct etcd_elector_opts *o, struct elector *out, char *why,
		     size_t why_len)
{
	out->ops = NULL;
	out->impl = NULL;
	int r = le_timing_validate(&o->cfg->t, why, why_len);
	if (r < 0)
		return r;
	if (!o->n_endpoints) {
		snprintf(why, why_len, "etcd election: at least one endpoint is required");
		return -EINVAL;
	}
	for (size_t i = 0; i < o->n_endpoints; i++) {
		const char *e = o->endpoints[i];
		if (strncmp(e, "https://", 8) && strncmp(e, "http://", 7)) {
			snprintf(why, why_len,
				 "etcd endpoint \"%.128s\": must start with https:// or http://",
				 e);
			return -EINVAL;
		}
	}
	struct etcd_elector *ee = calloc(1, sizeof(*ee));
	if (!ee)
		return -ENOMEM;
	ee->cfg = *o->cfg;
	ee->kc = o->kc;
	ee->cb = o->cb;
	elector_stepper_init(&ee->stepper, ee->kc, pass, ee);
	snprintf(ee->key, sizeof(ee->key), "%s-%s", ee->cfg.ns, ee->cfg.name);
	kc_stream_init(&ee->ws, 1 << 20);
	kc_backoff_init(&ee->watch_backoff, ee->cfg.t.retry_ms / 4 + 1, ee->cfg.t.retry_ms * 4,
			ee->cfg.t.lease_ms);
	ee->phase = PH_RANGE;
	ee->endpoints = calloc(o->n_endpoints, sizeof(char *));
	out->ops = &etcd_ops;
	out->impl = ee;
	if (!ee->endpoints) {
		elector_free(out);
		return -ENOMEM;
	}
	ee->n_endpoints = o->n_endpoints;
	for (size_t i = 0; i < o->n_endpoints; i++) {
		if (!(ee->endpoints[i] = strdup(o->endpoints[i]))) {
			elector_free(out);
			return -ENOMEM;
		}
	}
	if ((r = kc_client_set_server(ee->kc, ee->endpoints[0])) < 0) {
		snprintf(why, why_len, "etcd endpoint \"%s\": cannot use it", ee->endpoints[0]);
		elector_free(out);
		return r;
	}
	elector_step(&ee->stepper);
	return 0;
}
