/*
 * kc_watch.c — the list/watch state machine on top of kc_client. Stream bytes go through
 * kc_stream (framing) and kc_watch_event_decode (JSON), both of which are fuzzed.
 */
#include "kc_watch.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "kc_backoff.h"

#define RV_MAX KC_RV_MAX

struct kc_watch {
	struct kc_client *kc;
	struct kc_watch_opts o;
	char *path, *fsel, *lsel; /* owned copies; selectors URL-escaped */
	char rv[RV_MAX];
	struct kc_call *call;
	struct kc_timer timer;
	struct kc_stream stream;
	bool live;
	bool relist; /* the running watch ended with 410 or a bad line: list again */
	struct kc_backoff backoff;
	struct kc_watch_stats stats;
};

static void do_list(struct kc_watch *w);
static void do_watch(struct kc_watch *w);

static void set_live(struct kc_watch *w, bool live)
{
	if (w->live == live)
		return;
	w->live = live;
	if (w->o.on_state)
		w->o.on_state(w->o.arg, live);
}

static void retry_later(struct kc_watch *w, void (*fn)(void *))
{
	int64_t delay = kc_backoff_delay(&w->backoff, kc_client_rand(w->kc, UINT32_MAX));
	kc_timer_arm(w->kc, &w->timer, delay, fn, w);
}

static void list_cb(void *arg)
{
	do_list(arg);
}

static void watch_cb(void *arg)
{
	do_watch(arg);
}

static void list_done(void *arg, const struct kc_result *res)
{
	struct kc_watch *w = arg;
	w->call = NULL;
	char eb[320];
	if (res->err.kind != KC_OK) {
		w->stats.errors++;
		kc_client_log(w->kc, KC_LOG_WARN, "list failed; retrying", "path=%s error=\"%s\"",
			      w->path, kc_error_str(&res->err, eb, sizeof(eb)));
		retry_later(w, list_cb);
		return;
	}
	json_t *items;
	const char *rv;
	if (kc_list_parse(res->body, &items, &rv) < 0) {
		w->stats.errors++;
		kc_client_log(w->kc, KC_LOG_WARN, "list reply without items or resourceVersion",
			      "path=%s", w->path);
		retry_later(w, list_cb);
		return;
	}
	snprintf(w->rv, sizeof(w->rv), "%s", rv);
	json_t *arr = json_is_array(items) ? items : NULL, *empty = NULL;
	if (!arr)
		arr = empty = json_array();
	if (w->o.on_list)
		w->o.on_list(w->o.arg, arr, w->rv);
	json_decref(empty);
	do_watch(w);
}

static void do_list(struct kc_watch *w)
{
	char *path;
	w->stats.lists++;
	int n = w->fsel && w->lsel ? asprintf(&path, "%s?fieldSelector=%s&labelSelector=%s",
					      w->path, w->fsel, w->lsel)
		: w->fsel	   ? asprintf(&path, "%s?fieldSelector=%s", w->path, w->fsel)
		: w->lsel	   ? asprintf(&path, "%s?labelSelector=%s", w->path, w->lsel)
				   : asprintf(&path, "%s", w->path);
	if (n < 0) {
		retry_later(w, list_cb);
		return;
	}
	struct kc_request req = {.method = "GET",
				 .path = path,
				 .timeout_ms = w->o.list_timeout_ms,
				 .done = list_done,
				 .arg = w};
	int r = kc_call_start(w->kc, &req, &w->call);
	free(path);
	if (r < 0)
		retry_later(w, list_cb);
}

/* One event line of the stream. Negative: stop this watch (-ESTALE: list again). */
static int on_line(void *arg, const char *line, size_t len)
{
	struct kc_watch *w = arg;
	enum kc_event_type type;
	json_t *obj;
	char why[200];
	if (kc_watch_event_decode(line, len, &type, &obj, why, sizeof(why)) < 0) {
		kc_client_log(w->kc, KC_LOG_WARN, "bad watch event; listing again",
			      "path=%s error=\"%s\" bytes=%zu", w->path, why, len);
		return -ESTALE;
	}
	int r = 0;
	const char *rv = kc_object_rv(obj);
	switch (type) {
	case KC_EV_ERROR: {
		long c;
		if (kc_watch_error_is_gone(obj, &c)) {
			w->stats.gone++;
			kc_client_log(w->kc, KC_LOG_INFO,
				      "watch resourceVersion too old (410 Gone); listing again",
				      "path=%s rv=%s", w->path, w->rv);
			r = -ESTALE;
		} else {
			w->stats.errors++;
			kc_client_log(w->kc, KC_LOG_WARN, "watch ERROR event", "path=%s code=%lld",
				      w->path, (long long)c);
			r = -EPROTO;
		}
		break;
	}
	case KC_EV_BOOKMARK:
		w->stats.bookmarks++;
		if (rv)
			snprintf(w->rv, sizeof(w->rv), "%s", rv);
		break;
	default:
		w->stats.events++;
		if (rv)
			snprintf(w->rv, sizeof(w->rv), "%s", rv);
		if (w->o.on_event)
			w->o.on_event(w->o.arg, type, obj);
		break;
	}
	json_decref(obj);
	return r;
}

static int watch_data(void *arg, const char *data, size_t len)
{
	struct kc_watch *w = arg;
	int r = kc_stream_feed(&w->stream, data, len, on_line, w);
	if (r == -ESTALE)
		w->relist = true;
	else if (r == -EMSGSIZE)
		kc_client_log(w->kc, KC_LOG_WARN, "watch event too large; listing again", "path=%s",
			      w->path),
		    w->relist = true;
	return r;
}

static void watch_open(void *arg)
{
	struct kc_watch *w = arg;
	kc_backoff_opened(&w->backoff, clock_boot_ms());
	set_live(w, true);
}

static void watch_done(void *arg, const struct kc_result *res)
{
	struct kc_watch *w = arg;
	w->call = NULL;
	set_live(w, false);
	bool healthy = kc_backoff_closed(&w->backoff, clock_boot_ms());
	if (kc_stream_pending(&w->stream))
		kc_client_log(w->kc, KC_LOG_DEBUG, "watch ended inside an event",
			      "path=%s pending_bytes=%zu", w->path, kc_stream_pending(&w->stream));
	kc_stream_reset(&w->stream);
	char eb[320];
	if (w->relist || kc_error_is(&res->err, "Gone") || kc_error_is(&res->err, "Expired") ||
	    res->err.code == 410) {
		w->relist = false;
		if (res->err.code == 410) {
			w->stats.gone++;
			kc_client_log(w->kc, KC_LOG_INFO,
				      "watch resourceVersion too old (410 Gone); listing again",
				      "path=%s rv=%s", w->path, w->rv);
		}
		if (healthy)
			do_list(w);
		else
			retry_later(w, list_cb);
		return;
	}
	if (res->err.kind == KC_OK) {
		/* timeoutSeconds reached: continue from the last RV (a watch the server ended at
		 * once is no better than a failed one: back off) */
		if (healthy)
			do_watch(w);
		else
			retry_later(w, watch_cb);
		return;
	}
	w->stats.errors++;
	kc_client_log(w->kc, KC_LOG_INFO, "watch failed; retrying", "path=%s rv=%s error=\"%s\"",
		      w->path, w->rv, kc_error_str(&res->err, eb, sizeof(eb)));
	retry_later(w, watch_cb);
}

static void do_watch(struct kc_watch *w)
{
	/* Spread watch renewals like client-go's reflector: timeoutSeconds in [T, 2T). */
	int t = w->o.timeout_s + (int)kc_client_rand(w->kc, (uint32_t)w->o.timeout_s);
	char *path;
	w->stats.watches++;
	kc_stream_reset(&w->stream);
	if (asprintf(
		&path,
		"%s?watch=1&resourceVersion=%s&allowWatchBookmarks=true&timeoutSeconds=%d%s%s%s%s",
		w->path, w->rv, t, w->fsel ? "&fieldSelector=" : "", w->fsel ? w->fsel : "",
		w->lsel ? "&labelSelector=" : "", w->lsel ? w->lsel : "") < 0) {
		retry_later(w, watch_cb);
		return;
	}
	struct kc_request req = {.method = "GET",
				 .path = path,
				 .timeout_ms = (long)(t + 15) * 1000,
				 .done = watch_done,
				 .data = watch_data,
				 .open = watch_open,
				 .arg = w};
	int r = kc_call_start(w->kc, &req, &w->call);
	free(path);
	if (r < 0)
		retry_later(w, watch_cb);
}

static char *escape(const char *s)
{
	if (!s)
		return NULL;
	char *e = curl_easy_escape(NULL, s, 0);
	char *out = e ? strdup(e) : NULL;
	curl_free(e);
	return out;
}

int kc_watch_start(struct kc_client *kc, const struct kc_watch_opts *opts, struct kc_watch **out)
{
	*out = NULL;
	if (!opts->path || opts->path[0] != '/' || strchr(opts->path, '?'))
		return -EINVAL;
	struct kc_watch *w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->kc = kc;
	w->o = *opts;
	if (w->o.timeout_s <= 0)
		w->o.timeout_s = 300;
	if (w->o.list_timeout_ms <= 0)
		w->o.list_timeout_ms = 10000;
	if (w->o.backoff_min_ms <= 0)
		w->o.backoff_min_ms = 100;
	if (w->o.backoff_max_ms < w->o.backoff_min_ms)
		w->o.backoff_max_ms = w->o.backoff_min_ms > 10000 ? w->o.backoff_min_ms : 10000;
	if (w->o.healthy_ms <= 0)
		w->o.healthy_ms = 5000;
	kc_backoff_init(&w->backoff, w->o.backoff_min_ms, w->o.backoff_max_ms, w->o.healthy_ms);
	kc_stream_init(&w->stream, 0);
	w->path = strdup(opts->path);
	w->fsel = escape(opts->field_selector);
	w->lsel = escape(opts->label_selector);
	if (!w->path || (opts->field_selector && !w->fsel) || (opts->label_selector && !w->lsel)) {
		kc_watch_stop(w);
		return -ENOMEM;
	}
	w->o.path = w->o.field_selector = w->o.label_selector = NULL;
	*out = w;
	do_list(w);
	return 0;
}

void kc_watch_relist(struct kc_watch *w)
{
	if (w->call) {
		kc_call_cancel(w->kc, w->call);
		w->call = NULL;
	}
	kc_timer_disarm(w->kc, &w->timer);
	set_live(w, false);
	do_list(w);
}

void kc_watch_stop(struct kc_watch *w)
{
	if (!w)
		return;
	if (w->call)
		kc_call_cancel(w->kc, w->call);
	kc_timer_disarm(w->kc, &w->timer);
	kc_stream_free(&w->stream);
	free(w->path);
	free(w->fsel);
	free(w->lsel);
	free(w);
}

bool kc_watch_live(const struct kc_watch *w)
{
	return w->live;
}

const char *kc_watch_rv(const struct kc_watch *w)
{
	return w->rv;
}

void kc_watch_stats(const struct kc_watch *w, struct kc_watch_stats *out)
{
	*out = w->stats;
}
