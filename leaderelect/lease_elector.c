/*
 * lease_elector.c — thin I/O around le_decide: one request in flight at a time, every result
 * fed back into the state machine, then the next decision. Callbacks fire in the order the
 * state changed (stopped before new leader before started).
 */
#include "lease_elector.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "kc_watch.h"
#include "le_decide.h"
#include "lease_record.h"

struct lease_elector {
	struct le_config cfg;
	struct kc_client *kc;
	struct elector_callbacks cb;
	json_t *annotations;
	struct le_state st;
	json_t *last_obj; /* the Lease as last seen whole: PUT sends it back with a new spec */
	struct kc_watch *watch;
	bool use_watch;
	struct kc_call *call;
	enum le_act call_act;
	struct lease_record call_write;
	int64_t call_sent;
	struct elector_stepper stepper; /* runs pass() below */
	bool released_reported;
	bool handover_asked; /* handover_requested fired (once per elector) */
	char item_path[LE_NAMESPACE_MAX + LE_NAME_MAX + 64];
	char coll_path[LE_NAMESPACE_MAX + 64];
	struct elector_stats stats;
};

static void emit(struct lease_elector *le, unsigned ev, const char *why)
{
	const struct elector_callbacks *cb = &le->cb;
	if (ev & LE_EV_STOPPED) {
		le->stats.step_downs++;
		if (cb->stopped_leading)
			cb->stopped_leading(cb->arg,
					    ev & LE_EV_COLLISION
						? "another process wrote our identity into "
						  "the Lease"
						: why);
	}
	if ((ev & LE_EV_COLLISION) && cb->identity_collision)
		cb->identity_collision(cb->arg);
	if (ev & LE_EV_NEW_LEADER) {
		const char *h = le->st.lease == LE_LEASE_PRESENT ? le->st.observed.holder : "";
		if (cb->new_leader)
			cb->new_leader(cb->arg, h);
	}
	if (ev & LE_EV_STARTED) {
		le->stats.acquisitions++;
		if (cb->started_leading)
			cb->started_leading(cb->arg);
	}
}

/* Before anything that arrived is looked at: if the renew deadline has passed (say the process
 * was stopped), that is why we stop leading, whatever the news says. */
static void deadline_check(struct lease_elector *le, int64_t now)
{
	if (le->st.leading && !le_is_leader(&le->cfg, &le->st, now))
		emit(le, le_step_down(&le->st), "no successful renewal within renewDeadline");
}

/* Why an observation ended our leadership. */
static const char *lost_reason(const struct lease_elector *le)
{
	return le->st.lease == LE_LEASE_ABSENT ? "the Lease was deleted"
					       : "the Lease names another holder";
}

static enum le_result classify(const struct kc_result *res)
{
	if (res->err.kind == KC_OK)
		return LE_RES_OK;
	if (res->err.kind == KC_ERR_STATUS && res->err.code == 409)
		return LE_RES_CONFLICT;
	if (res->err.kind == KC_ERR_STATUS && res->err.code == 404)
		return LE_RES_NOT_FOUND;
	return LE_RES_ERROR;
}

static void keep_object(struct lease_elector *le, json_t *obj)
{
	json_decref(le->last_obj);
	le->last_obj = obj ? json_incref(obj) : NULL;
}

/* A hand-over request addressed to us while we lead: tell the caller (once). */
static void check_handover(struct lease_elector *le, const json_t *obj)
{
	char from[LEASE_HOLDER_MAX], to[LEASE_HOLDER_MAX], why[200];
	if (!obj || le->handover_asked || !le->st.leading || le->st.shutting_down ||
	    !le->cb.handover_requested)
		return;
	int r = lease_handover_request(obj, from, to, sizeof(from), why, sizeof(why));
	if (r < 0) {
		kc_client_log(le->kc, KC_LOG_WARN, "ignoring a malformed hand-over request",
			      "lease=%s/%s error=\"%s\"", le->cfg.ns, le->cfg.name, why);
		return;
	}
	if (r == 0 || strcmp(from, le->cfg.identity) || !strcmp(to, le->cfg.identity))
		return;
	le->handover_asked = true;
	le->cb.handover_requested(le->cb.arg, to);
}

static void read_done(void *arg, const struct kc_result *res)
{
	struct lease_elector *le = arg;
	int64_t now = clock_boot_ns();
	le->call = NULL;
	deadline_check(le, now);
	enum le_result r = classify(res);
	unsigned ev = 0;
	char why[320];
	if (r == LE_RES_OK) {
		struct lease_record rec;
		char rv[LEASE_RV_MAX];
		if (lease_decode(res->body, &rec, rv, why, sizeof(why)) < 0) {
			kc_client_log(le->kc, KC_LOG_WARN, "cannot use the Lease",
				      "lease=%s/%s error=\"%s\"", le->cfg.ns, le->cfg.name, why);
			le->stats.errors++;
			r = LE_RES_ERROR;
		} else {
			char to[LEASE_HOLDER_MAX];
			lease_handed_over_to(res->body, to, sizeof(to));
			keep_object(le, res->body);
			ev |= le_observe(&le->cfg, &le->st, LE_SRC_READ, true, &rec, to, rv, now);
		}
	} else if (r == LE_RES_NOT_FOUND) {
		keep_object(le, NULL);
		ev |= le_observe(&le->cfg, &le->st, LE_SRC_READ, false, NULL, NULL, NULL, now);
	} else {
		le->stats.errors++;
		kc_client_log(le->kc, KC_LOG_WARN, "reading the Lease failed",
			      "lease=%s/%s error=\"%s\"", le->cfg.ns, le->cfg.name,
			      kc_error_str(&res->err, why, sizeof(why)));
	}
	ev |= le_read_done(&le->cfg, &le->st, r, now);
	emit(le, ev, lost_reason(le));
	check_handover(le, le->last_obj);
	elector_step(&le->stepper);
}

static void write_done(void *arg, const struct kc_result *res)
{
	struct lease_elector *le = arg;
	int64_t now = clock_boot_ns();
	le->call = NULL;
	deadline_check(le, now);
	enum le_result r = classify(res);
	char rv[LEASE_RV_MAX] = "", why[320];
	bool undecodable = false;
	if (r == LE_RES_OK) {
		struct lease_record rec;
		if (lease_decode(res->body, &rec, rv, why, sizeof(why)) < 0)
			undecodable = true;
		else
			keep_object(le, res->body);
	} else if (r == LE_RES_CONFLICT) {
		le->stats.conflicts++;
		kc_client_log(le->kc, KC_LOG_DEBUG, "Lease changed under us; re-reading",
			      "lease=%s/%s action=%s", le->cfg.ns, le->cfg.name,
			      le_act_name(le->call_act));
	} else {
		le->stats.errors++;
		kc_client_log(le->kc, KC_LOG_WARN, "writing the Lease failed",
			      "lease=%s/%s action=%s error=\"%s\"", le->cfg.ns, le->cfg.name,
			      le_act_name(le->call_act), kc_error_str(&res->err, why, sizeof(why)));
	}
	unsigned ev = le_write_done(&le->cfg, &le->st, le->call_act, &le->call_write, r, rv,
				    le->call_sent, now);
	if (undecodable)
		le->st.stale = true; /* written, but we do not know its resourceVersion */
	emit(le, ev, "");
	if (r == LE_RES_OK && le->call_act != LE_ACT_RELEASE && le->st.leading &&
	    le->st.renewed_at == le->call_sent && le->cb.renewed)
		le->cb.renewed(le->cb.arg, le->call_sent, now);
	check_handover(le, le->last_obj);
	elector_step(&le->stepper);
}

/* What our write does to the hand-over annotations: a hand-over replaces the request with
 * LEASE_HANDED_OVER_ANNOTATION "from=us,to=…"; a renewal drops a request addressed to another
 * holder (stale: leadership moved before it was acted on, and it must not fire if it comes
 * back to that holder later); a takeover also drops a hand-over note naming us (spent: a twin
 * must not read our fresh record as a hand-over). */
static int handover_annotate(const struct lease_elector *le, json_t *obj, enum le_act act,
			     const struct lease_record *w)
{
	json_t *meta = json_object_get(obj, "metadata");
	json_t *ann = json_object_get(meta, "annotations");
	if (le->st.shutting_down && le->st.handover_to[0]) {
		if (!json_is_object(ann)) {
			ann = json_object();
			if (!ann || json_object_set_new(meta, "annotations", ann) < 0)
				return -ENOMEM;
		}
		char text[2 * LEASE_HOLDER_MAX + 16];
		snprintf(text, sizeof(text), "from=%s,to=%s", le->cfg.identity, le->st.handover_to);
		json_object_del(ann, LEASE_HANDOVER_ANNOTATION);
		return json_object_set_new(ann, LEASE_HANDED_OVER_ANNOTATION, json_string(text));
	}
	char from[LEASE_HOLDER_MAX], to[LEASE_HOLDER_MAX], why[200];
	int r = lease_handover_request(obj, from, to, sizeof(from), why, sizeof(why));
	if (r < 0 || (r > 0 && strcmp(from, w->holder)))
		json_object_del(ann, LEASE_HANDOVER_ANNOTATION);
	return act == LE_ACT_ACQUIRE ? lease_takeover_note(obj, le->cfg.identity) : 0;
}

static json_t *put_body(struct lease_elector *le, enum le_act act, const struct lease_record *w)
{
	json_t *obj = le->last_obj ? json_deep_copy(le->last_obj) : NULL;
	if (!obj) {
		obj = lease_new_object(le->cfg.ns, le->cfg.name, w, NULL);
		if (!obj)
			return NULL;
	}
	json_t *meta = json_object_get(obj, "metadata");
	if (!json_is_object(meta)) {
		meta = json_object();
		json_object_set_new(obj, "metadata", meta);
	}
	json_object_set_new(meta, "resourceVersion", json_string(le->st.rv));
	json_object_set_new(obj, "spec", lease_spec_encode(w));
	if (handover_annotate(le, obj, act, w) < 0) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}

static int start(struct lease_elector *le, const struct le_decision *d, int64_t now)
{
	struct kc_request req = {.timeout_ms = elector_request_timeout_ms(&le->cfg.t), .arg = le};
	json_t *body = NULL;
	switch (d->act) {
	case LE_ACT_READ:
		req.method = "GET";
		req.path = le->item_path;
		req.done = read_done;
		le->stats.reads++;
		break;
	case LE_ACT_CREATE:
		req.method = "POST";
		req.path = le->coll_path;
		body = lease_new_object(le->cfg.ns, le->cfg.name, &d->write, le->annotations);
		break;
	default:
		req.method = "PUT";
		req.path = le->item_path;
		body = put_body(le, d->act, &d->write);
		break;
	}
	if (d->act != LE_ACT_READ) {
		if (!body)
			return -ENOMEM;
		req.body = body;
		req.done = write_done;
		le->call_write = d->write;
		le_write_started(&le->cfg, &le->st, &d->write);
		le->stats.writes++;
	}
	le->call_act = d->act;
	/* The send time is taken before the request exists: earlier than the server can apply
	 * it, which is the safe side for the renew deadline. */
	le->call_sent = now;
	int r = kc_call_start(le->kc, &req, &le->call);
	json_decref(body);
	return r;
}

_Static_assert(LE_NEVER == ELECTOR_NEVER, "le_decide's \"never\" is the stepper's");

/* One pass (see elector_stepper): decide, act, and say when to look again. */
static int64_t pass(void *impl, int64_t now)
{
	struct lease_elector *le = impl;
	struct le_decision d;
	le_decide(&le->cfg, &le->st, now, clock_wall_us(), &d);
	if (d.step_down)
		emit(le, le_step_down(&le->st), "no successful renewal within renewDeadline");
	int64_t wake = d.wake_at;
	if (le->call)
		return wake;
	if (d.act == LE_ACT_DONE) {
		if (!le->released_reported) {
			le->released_reported = true;
			if (le->cb.released)
				le->cb.released(le->cb.arg);
		}
	} else if (d.act != LE_ACT_WAIT) {
		if (d.act == LE_ACT_ACQUIRE || d.act == LE_ACT_CREATE)
			kc_client_log(le->kc, KC_LOG_DEBUG, "trying to take the Lease",
				      "lease=%s/%s action=%s holder=\"%s\"", le->cfg.ns,
				      le->cfg.name, le_act_name(d.act), le->st.observed.holder);
		if (start(le, &d, now) < 0) {
			/* Could not even start: try again after a retry period. */
			le->st.stale = true;
			le->st.read_not_before = now + le->cfg.t.retry_ms * 1000000;
			if (le->st.read_not_before < wake)
				wake = le->st.read_not_before;
		}
	}
	return wake;
}

/* ---- watch ---- */

static bool is_our_lease(const struct lease_elector *le, const json_t *obj)
{
	const json_t *name = json_object_get(json_object_get(obj, "metadata"), "name");
	return json_is_string(name) && !strcmp(json_string_value(name), le->cfg.name);
}

static void observe_object(struct lease_elector *le, enum le_source src, bool exists, json_t *obj,
			   const char *rv_fallback)
{
	int64_t now = clock_boot_ns();
	unsigned ev;
	deadline_check(le, now);
	if (exists) {
		struct lease_record rec;
		char rv[LEASE_RV_MAX], why[320];
		if (lease_decode(obj, &rec, rv, why, sizeof(why)) < 0) {
			le->stats.errors++;
			kc_client_log(le->kc, KC_LOG_WARN, "cannot use the Lease from the watch",
				      "lease=%s/%s error=\"%s\"", le->cfg.ns, le->cfg.name, why);
			return;
		}
		char to[LEASE_HOLDER_MAX];
		lease_handed_over_to(obj, to, sizeof(to));
		ev = le_observe(&le->cfg, &le->st, src, true, &rec, to, rv, now);
		if (!strcmp(le->st.rv, rv))
			keep_object(le, obj);
	} else {
		const json_t *v =
		    json_object_get(json_object_get(obj, "metadata"), "resourceVersion");
		const char *rv = json_is_string(v) ? json_string_value(v) : rv_fallback;
		ev = le_observe(&le->cfg, &le->st, src, false, NULL, NULL, rv, now);
		if (le->st.lease == LE_LEASE_ABSENT)
			keep_object(le, NULL);
	}
	emit(le, ev, lost_reason(le));
	if (exists)
		check_handover(le, obj);
	elector_step(&le->stepper);
}

static void on_list(void *arg, json_t *items, const char *rv)
{
	struct lease_elector *le = arg;
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it)
	{
		if (is_our_lease(le, it)) {
			observe_object(le, LE_SRC_READ, true, it, rv);
			return;
		}
	}
	observe_object(le, LE_SRC_READ, false, NULL, rv);
}

static void on_event(void *arg, enum kc_event_type type, json_t *obj)
{
	struct lease_elector *le = arg;
	if (!is_our_lease(le, obj))
		return;
	le->stats.watch_events++;
	observe_object(le, LE_SRC_EVENT, type != KC_EV_DELETED, obj, NULL);
}

static void on_state(void *arg, bool live)
{
	struct lease_elector *le = arg;
	le->st.watching = live;
	elector_step(&le->stepper);
}

/* ---- elector interface ---- */

static int64_t le_ops_renewed_at(void *impl)
{
	const struct lease_elector *le = impl;
	return le->st.leading ? le->st.renewed_at : INT64_MIN;
}

static bool le_ops_is_leader(void *impl)
{
	struct lease_elector *le = impl;
	return le_is_leader(&le->cfg, &le->st, clock_boot_ns());
}

static void le_ops_shutdown(void *impl)
{
	struct lease_elector *le = impl;
	/* The watch keeps running (it may be what called us); it only adds observations. */
	emit(le, le_shutdown(&le->st), "shutting down");
	elector_step(&le->stepper);
}

static void le_ops_handover(void *impl, const char *to)
{
	struct lease_elector *le = impl;
	emit(le, le_handover(&le->st, to), "handing the Lease over");
	elector_step(&le->stepper);
}

static void le_ops_duties_undone(void *impl)
{
	struct lease_elector *le = impl;
	le_duties_undone(&le->st);
	elector_step(&le->stepper);
}

static void le_ops_stats(void *impl, struct elector_stats *out)
{
	*out = ((struct lease_elector *)impl)->stats;
}

static void le_ops_free(void *impl)
{
	struct lease_elector *le = impl;
	if (le->call)
		kc_call_cancel(le->kc, le->call);
	kc_watch_stop(le->watch);
	elector_stepper_stop(&le->stepper);
	json_decref(le->last_obj);
	json_decref(le->annotations);
	free(le);
}

static const struct elector_ops lease_ops = {
    .is_leader = le_ops_is_leader,
    .renewed_at = le_ops_renewed_at,
    .shutdown = le_ops_shutdown,
    .duties_undone = le_ops_duties_undone,
    .stats = le_ops_stats,
    .free = le_ops_free,
    .handover = le_ops_handover,
};

int lease_elector_new(const struct lease_elector_opts *o, struct elector *out, char *why,
		      size_t why_len)
{
	out->ops = NULL;
	out->impl = NULL;
	int r = le_timing_validate(&o->cfg->t, why, why_len);
	if (r < 0)
		return r;
	if (!o->cfg->identity[0] || !o->cfg->name[0] || !o->cfg->ns[0]) {
		snprintf(why, why_len, "lease election: namespace, name and identity are required");
		return -EINVAL;
	}
	if (o->annotations && !json_is_object(o->annotations)) {
		snprintf(why, why_len, "lease annotations: must be a JSON object of strings");
		return -EINVAL;
	}
	struct lease_elector *le = calloc(1, sizeof(*le));
	if (!le)
		return -ENOMEM;
	le->cfg = *o->cfg;
	le->kc = o->kc;
	le->cb = o->cb;
	le->use_watch = !o->no_watch;
	le->annotations = o->annotations ? json_deep_copy(o->annotations) : NULL;
	le_state_init(&le->st);
	elector_stepper_init(&le->stepper, le->kc, pass, le);
	snprintf(le->coll_path, sizeof(le->coll_path),
		 "/apis/coordination.k8s.io/v1/namespaces/%s/leases", le->cfg.ns);
	snprintf(le->item_path, sizeof(le->item_path), "%s/%s", le->coll_path, le->cfg.name);
	out->ops = &lease_ops;
	out->impl = le;
	if (le->use_watch) {
		char sel[LE_NAME_MAX + 32];
		snprintf(sel, sizeof(sel), "metadata.name=%s", le->cfg.name);
		struct kc_watch_opts wo = {
		    .path = le->coll_path,
		    .field_selector = sel,
		    .list_timeout_ms = elector_request_timeout_ms(&le->cfg.t),
		    .backoff_min_ms = le->cfg.t.retry_ms / 4 > 0 ? le->cfg.t.retry_ms / 4 : 1,
		    .backoff_max_ms = le->cfg.t.retry_ms * 4,
		    .on_list = on_list,
		    .on_event = on_event,
		    .on_state = on_state,
		    .arg = le,
		};
		if ((r = kc_watch_start(le->kc, &wo, &le->watch)) < 0) {
			snprintf(why, why_len, "lease election: cannot start the watch: %s",
				 strerror(-r));
			elector_free(out);
			return r;
		}
	}
	elector_step(&le->stepper);
	return 0;
}
