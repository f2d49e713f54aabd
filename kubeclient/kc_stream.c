/*
 * kc_stream.c — newline framing over a growable buffer, watch event decoding, the meaning of
 * a LIST reply and of a watch ERROR event.
 */
#include "kc_stream.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void kc_stream_init(struct kc_stream *s, size_t max_line)
{
	memset(s, 0, sizeof(*s));
	s->max_line = max_line ? max_line : KC_STREAM_MAX_LINE;
}

static int emit(const char *line, size_t len, kc_line_fn fn, void *arg)
{
	if (len && line[len - 1] == '\r')
		len--;
	/* Blank lines (keep-alives, "\r\n\r\n") carry nothing. */
	size_t i = 0;
	while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
		i++;
	if (i == len)
		return 0;
	return fn(arg, line, len);
}

int kc_stream_feed(struct kc_stream *s, const char *data, size_t n, kc_line_fn fn, void *arg)
{
	/* Fast path: nothing buffered, complete lines straight from `data`. */
	while (s->len == 0 && n) {
		const char *nl = memchr(data, '\n', n);
		if (!nl)
			break;
		size_t l = (size_t)(nl - data);
		if (l > s->max_line)
			return -EMSGSIZE;
		int r = emit(data, l, fn, arg);
		if (r < 0)
			return r;
		data = nl + 1;
		n -= l + 1;
	}
	if (!n)
		return 0;
	if (s->len + n > s->max_line + 1) {
		/* Only a complete line in `data` could still fit; check before growing. */
		const char *nl = memchr(data, '\n', n);
		if (!nl || s->len + (size_t)(nl - data) > s->max_line)
			return -EMSGSIZE;
	}
	if (s->len + n > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;
		while (cap < s->len + n)
			cap *= 2;
		char *nb = realloc(s->buf, cap);
		if (!nb)
			return -ENOMEM;
		s->buf = nb;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, data, n);
	s->len += n;

	size_t start = 0;
	for (;;) {
		char *nl = memchr(s->buf + s->scanned, '\n', s->len - s->scanned);
		if (!nl) {
			s->scanned = s->len;
			break;
		}
		size_t end = (size_t)(nl - s->buf);
		if (end - start > s->max_line)
			return -EMSGSIZE;
		int r = emit(s->buf + start, end - start, fn, arg);
		if (r < 0)
			return r;
		start = end + 1;
		s->scanned = start;
	}
	if (start) {
		memmove(s->buf, s->buf + start, s->len - start);
		s->len -= start;
		s->scanned -= start;
	}
	if (s->len > s->max_line)
		return -EMSGSIZE;
	return 0;
}

size_t kc_stream_pending(const struct kc_stream *s)
{
	return s->len;
}

void kc_stream_reset(struct kc_stream *s)
{
	s->len = 0;
	s->scanned = 0;
}

void kc_stream_free(struct kc_stream *s)
{
	free(s->buf);
	size_t max = s->max_line;
	memset(s, 0, sizeof(*s));
	s->max_line = max;
}

const char *kc_event_type_name(enum kc_event_type t)
{
	static const char *const names[] = {"ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"};
	return (unsigned)t < 5 ? names[t] : "?";
}

int kc_watch_event_decode(const char *line, size_t len, enum kc_event_type *type, json_t **object,
			  char *why, size_t why_len)
{
	*object = NULL;
	json_error_t jerr;
	json_t *ev = json_loadb(line, len, 0, &jerr);
	if (!ev) {
		snprintf(why, why_len, "watch event: invalid JSON at byte %d: %s", jerr.position,
			 jerr.text);
		return -EBADMSG;
	}
	const json_t *t = json_object_get(ev, "type");
	json_t *obj = json_object_get(ev, "object");
	if (!json_is_string(t) || !json_is_object(obj)) {
		snprintf(why, why_len, "watch event: missing \"type\" string or \"object\" object");
		json_decref(ev);
		return -EBADMSG;
	}
	const char *ts = json_string_value(t);
	int found = -1;
	for (int i = 0; i < 5; i++)
		if (!strcmp(ts, kc_event_type_name((enum kc_event_type)i)))
			found = i;
	if (found < 0) {
		snprintf(why, why_len, "watch event: unknown type \"%.32s\"", ts);
		json_decref(ev);
		return -EBADMSG;
	}
	*type = (enum kc_event_type)found;
	*object = json_incref(obj);
	json_decref(ev);
	return 0;
}

const char *kc_object_rv(const json_t *obj)
{
	const json_t *v = json_object_get(json_object_get(obj, "metadata"), "resourceVersion");
	return json_is_string(v) && json_string_length(v) < KC_RV_MAX ? json_string_value(v) : NULL;
}

int kc_list_parse(const json_t *body, json_t **items, const char **rv)
{
	json_t *it = json_object_get(body, "items");
	*items = NULL;
	*rv = kc_object_rv(body);
	if (!*rv || !(json_is_array(it) || json_is_null(it) || !it))
		return -EBADMSG;
	*items = json_is_array(it) ? it : NULL;
	return 0;
}

bool kc_watch_error_is_gone(const json_t *status, long *code)
{
	const json_t *c = json_object_get(status, "code");
	const json_t *reason = json_object_get(status, "reason");
	json_int_t v = json_is_integer(c) ? json_integer_value(c) : 0;
	*code = v > 0 && v < 1000 ? (long)v : 0;
	const char *r = json_is_string(reason) ? json_string_value(reason) : "";
	return v == 410 || !strcmp(r, "Expired") || !strcmp(r, "Gone");
}
