/*
 * kc_stream — splits a watch stream into events: newline-delimited JSON, as the apiserver
 * (and etcd's gateway) write them, arriving in chunks that may cut an event anywhere,
 * including inside a UTF-8 sequence or a "\r\n".
 *
 * Lines can be long (a big object in one event): the buffer grows up to a limit, and a scan
 * offset makes the cost linear however the line is split.
 *
 * Also what a LIST reply and a watch ERROR event mean to the watch (kc_list_parse,
 * kc_watch_error_is_gone): pure, so fuzz_watch_list feeds them whatever a server sends.
 *
 * Owns: framing and decoding of one watch event, list replies. Must not touch: I/O.
 */
#ifndef VIPD_KC_STREAM_H
#define VIPD_KC_STREAM_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define KC_STREAM_MAX_LINE (4u << 20) /* one watch event; a Lease is < 1 KiB */

struct kc_stream {
	char *buf;
	size_t len, cap;
	size_t scanned; /* bytes of buf already known to hold no '\n' */
	size_t max_line;
};

/* Called per complete line (without the newline, trailing '\r' removed, never empty). A
 * negative return stops feeding and is returned by kc_stream_feed. */
typedef int (*kc_line_fn)(void *arg, const char *line, size_t len);

void kc_stream_init(struct kc_stream *s, size_t max_line); /* 0 = KC_STREAM_MAX_LINE */
/* Returns 0, the callback's negative value, -EMSGSIZE (a line over max_line) or -ENOMEM.
 * After an error the stream must be reset. */
int kc_stream_feed(struct kc_stream *s, const char *data, size_t n, kc_line_fn fn, void *arg);
/* Bytes of an unfinished line (a stream that ended mid-event is truncated). */
size_t kc_stream_pending(const struct kc_stream *s);
void kc_stream_reset(struct kc_stream *s);
void kc_stream_free(struct kc_stream *s);

enum kc_event_type {
	KC_EV_ADDED,
	KC_EV_MODIFIED,
	KC_EV_DELETED,
	KC_EV_BOOKMARK,
	KC_EV_ERROR,
};

/* Decodes one Kubernetes watch event line: {"type":..., "object":{...}}. On success *object is
 * a new reference (an object). Returns 0 or -EBADMSG with `why`. Pure. */
int kc_watch_event_decode(const char *line, size_t len, enum kc_event_type *type, json_t **object,
			  char *why, size_t why_len);

const char *kc_event_type_name(enum kc_event_type t);

#define KC_RV_MAX 64 /* a resourceVersion we keep, with its NUL */

/* metadata.resourceVersion of an object or list when it is a string shorter than KC_RV_MAX,
 * else NULL. Pure. */
const char *kc_object_rv(const json_t *obj);

/* A LIST reply: its items (borrowed; NULL when the server omitted an empty list) and its
 * resourceVersion. 0, or -EBADMSG when either is missing or malformed. Pure. */
int kc_list_parse(const json_t *body, json_t **items, const char **rv);

/* The Status of a watch ERROR event: true when it means "resourceVersion too old" (code 410,
 * reason Expired or Gone: list again); `code` is its code (0 when absent). Pure. */
bool kc_watch_error_is_gone(const json_t *status, long *code);

#endif
