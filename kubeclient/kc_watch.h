/*
 * kc_watch — list-then-watch of a Kubernetes collection (optionally narrowed by field/label
 * selectors), kept alive for as long as the owner wants:
 *
 *   LIST  → on_list(items, resourceVersion)
 *   WATCH ?watch=1&resourceVersion=RV&allowWatchBookmarks=true&timeoutSeconds=T
 *         → on_event() per ADDED/MODIFIED/DELETED; BOOKMARKs only move RV on
 *   server ends the watch (timeoutSeconds) → watch again from the last RV
 *   410 Gone (reply or ERROR event), a bad or oversize event line → LIST again, then watch
 *   any other failure                     → retry after a jittered exponential back-off
 *
 * "At once" only after a healthy watch — one that stayed open for healthy_ms; any other
 * ending (re-watch, re-list or retry) waits the back-off, which only a healthy watch resets
 * (kc_backoff.h). A server that accepts and drops, answers 200 and ends, or sends a bad line
 * every time thus sees a bounded request rate, never a hot loop.
 *
 * on_state(live) tells the owner whether a watch is open (the elector stops polling then).
 * The callbacks must not stop or relist the watch they are called from.
 *
 * Owns: the list and watch calls and their back-off timer. Must not touch: the objects'
 * meaning (that is the owner's).
 */
#ifndef VIPD_KC_WATCH_H
#define VIPD_KC_WATCH_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "kc_client.h"
#include "kc_stream.h"

struct kc_watch;

struct kc_watch_opts {
	const char *path; /* collection, e.g. /apis/coordination.k8s.io/v1/namespaces/x/leases */
	const char *field_selector; /* e.g. "metadata.name=plndr-cp-lock"; may be NULL */
	const char *label_selector; /* may be NULL */
	int timeout_s;		    /* watch timeoutSeconds; 0: 300 (jittered up to 2x) */
	long list_timeout_ms;	    /* 0: 10000 */
	int64_t backoff_min_ms;	    /* 0: 100 */
	int64_t backoff_max_ms;	    /* 0: 10000 */
	int64_t healthy_ms;	    /* a watch open this long resets the back-off; 0: 5000 */
	/* items: the array of the list (borrowed). */
	void (*on_list)(void *arg, json_t *items, const char *rv);
	void (*on_event)(void *arg, enum kc_event_type type, json_t *object);
	void (*on_state)(void *arg, bool live);
	void *arg;
};

struct kc_watch_stats {
	uint64_t lists, watches, events, bookmarks, gone, errors;
};

int kc_watch_start(struct kc_client *kc, const struct kc_watch_opts *opts, struct kc_watch **out);
void kc_watch_stop(struct kc_watch *w); /* no callbacks after this */
bool kc_watch_live(const struct kc_watch *w);
const char *kc_watch_rv(const struct kc_watch *w);
void kc_watch_stats(const struct kc_watch *w, struct kc_watch_stats *out);

/* Re-lists at once (the owner suspects it missed something). */
void kc_watch_relist(struct kc_watch *w);

#endif
