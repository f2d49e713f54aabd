/*
 * test_kc_stream.c — the watch stream parser: the same events whether the stream arrives
 * whole, split at every byte boundary, split at every pair of boundaries, or one byte at a
 * time; very long lines; CRLF; limits; and event decoding.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kc_stream.h"

static const char stream_text[] =
    "{\"type\":\"ADDED\",\"object\":{\"kind\":\"Lease\",\"metadata\":{\"name\":\"l\","
    "\"resourceVersion\":\"1\"},\"spec\":{\"holderIdentity\":\"n\\u00e9\\n\"}}}\n"
    "\r\n"
    "{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"resourceVersion\":\"2\"},"
    "\"note\":\"caf\xc3\xa9 \xe2\x82\xac\"}}\r\n"
    "{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{\"resourceVersion\":\"3\"}}}\n"
    "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":410,\"reason\":\"Expired\"}}\n";

struct collect {
	char lines[16][512];
	size_t n;
};

static int collect_line(void *arg, const char *line, size_t len)
{
	struct collect *c = arg;
	cr_assert_lt(c->n, 16);
	cr_assert_lt(len, 512);
	memcpy(c->lines[c->n], line, len);
	c->lines[c->n][len] = '\0';
	c->n++;
	return 0;
}

static void check_lines(const struct collect *c)
{
	cr_assert_eq(c->n, 4, "got %zu lines", c->n);
	const char *types[] = {"ADDED", "MODIFIED", "BOOKMARK", "ERROR"};
	for (size_t i = 0; i < 4; i++) {
		enum kc_event_type t;
		json_t *obj;
		char why[128];
		cr_assert_eq(kc_watch_event_decode(c->lines[i], strlen(c->lines[i]), &t, &obj, why,
						   sizeof(why)),
			     0, "line %zu: %s", i, why);
		cr_assert_str_eq(kc_event_type_name(t), types[i]);
		json_decref(obj);
	}
	cr_assert_null(strchr(c->lines[1], '\r'), "CR stripped");
}

static void feed_split(const size_t *cuts, size_t ncuts, struct collect *c)
{
	struct kc_stream s;
	kc_stream_init(&s, 0);
	size_t len = strlen(stream_text), prev = 0;
	for (size_t i = 0; i <= ncuts; i++) {
		size_t end = i < ncuts ? cuts[i] : len;
		cr_assert_eq(kc_stream_feed(&s, stream_text + prev, end - prev, collect_line, c),
			     0);
		prev = end;
	}
	cr_assert_eq(kc_stream_pending(&s), 0);
	kc_stream_free(&s);
}

Test(kc_stream, whole)
{
	struct collect c = {0};
	feed_split(NULL, 0, &c);
	check_lines(&c);
}

Test(kc_stream, split_at_every_byte_boundary)
{
	size_t len = strlen(stream_text);
	for (size_t cut = 0; cut <= len; cut++) {
		struct collect c = {0};
		feed_split(&cut, 1, &c);
		check_lines(&c);
	}
}

Test(kc_stream, split_at_every_pair_of_boundaries)
{
	size_t len = strlen(stream_text);
	for (size_t a = 0; a <= len; a += 3) {
		for (size_t b = a; b <= len; b++) {
			size_t cuts[2] = {a, b};
			struct collect c = {0};
			feed_split(cuts, 2, &c);
			check_lines(&c);
		}
	}
}

Test(kc_stream, one_byte_at_a_time)
{
	size_t len = strlen(stream_text);
	size_t *cuts = malloc(len * sizeof(*cuts));
	for (size_t i = 0; i < len; i++)
		cuts[i] = i;
	struct collect c = {0};
	feed_split(cuts, len, &c);
	check_lines(&c);
	free(cuts);
}

struct big {
	size_t lines, last_len;
};

static int count_big(void *arg, const char *line, size_t len)
{
	struct big *b = arg;
	enum kc_event_type t;
	json_t *obj;
	char why[128];
	cr_assert_eq(kc_watch_event_decode(line, len, &t, &obj, why, sizeof(why)), 0, "%s", why);
	json_decref(obj);
	b->lines++;
	b->last_len = len;
	return 0;
}

Test(kc_stream, very_long_lines_in_small_chunks)
{
	/* A 3 MiB event (an object with a large annotation, under the 4 MiB cap), then a small
	 * one. */
	size_t pad = 3u << 20;
	const char *head = "{\"type\":\"MODIFIED\",\"object\":{\"a\":\"";
	const char *tail = "\"}}\n{\"type\":\"DELETED\",\"object\":{}}\n";
	size_t len = strlen(head) + pad + strlen(tail);
	char *text = malloc(len + 1);
	strcpy(text, head);
	memset(text + strlen(head), 'x', pad);
	strcpy(text + strlen(head) + pad, tail);
	struct kc_stream s;
	kc_stream_init(&s, 0);
	struct big b = {0};
	for (size_t off = 0; off < len; off += 1000) {
		size_t n = len - off < 1000 ? len - off : 1000;
		cr_assert_eq(kc_stream_feed(&s, text + off, n, count_big, &b), 0);
	}
	cr_assert_eq(b.lines, 2);
	kc_stream_free(&s);
	free(text);
}

Test(kc_stream, line_over_the_limit_is_an_error)
{
	struct kc_stream s;
	kc_stream_init(&s, 64);
	char line[200];
	memset(line, 'x', sizeof(line));
	struct collect c = {0};
	int r = 0;
	for (size_t off = 0; off < sizeof(line) && r == 0; off += 10)
		r = kc_stream_feed(&s, line + off, 10, collect_line, &c);
	cr_assert_eq(r, -EMSGSIZE);
	kc_stream_free(&s);
	kc_stream_init(&s, 64);
	cr_assert_eq(kc_stream_feed(&s, line, sizeof(line), collect_line, &c), -EMSGSIZE);
	kc_stream_free(&s);
}

static int stop_at_second(void *arg, const char *line, size_t len)
{
	(void)line;
	(void)len;
	int *n = arg;
	return ++*n == 2 ? -ECANCELED : 0;
}

Test(kc_stream, a_receiver_can_stop_the_stream)
{
	struct kc_stream s;
	kc_stream_init(&s, 0);
	int n = 0;
	cr_assert_eq(kc_stream_feed(&s, "a\nb\nc\n", 6, stop_at_second, &n), -ECANCELED);
	cr_assert_eq(n, 2);
	kc_stream_free(&s);
}

Test(kc_stream, event_decoding_errors)
{
	const char *bad[] = {"{",
			     "[]",
			     "{\"type\":\"ADDED\"}",
			     "{\"type\":1,\"object\":{}}",
			     "{\"type\":\"ADDED\",\"object\":[]}",
			     "{\"type\":\"NOPE\",\"object\":{}}"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		enum kc_event_type t;
		json_t *obj = (json_t *)1;
		char why[128] = "";
		cr_assert_eq(
		    kc_watch_event_decode(bad[i], strlen(bad[i]), &t, &obj, why, sizeof(why)),
		    -EBADMSG, "%s", bad[i]);
		cr_assert_null(obj);
		cr_assert_not_null(strstr(why, "watch event"));
	}
}

static int count_raw(void *arg, const char *line, size_t len)
{
	(void)line;
	struct big *b = arg;
	b->lines++;
	b->last_len = len;
	return 0;
}

/* The default cap: a watch line of 4 MiB is accepted, one byte more is -EMSGSIZE. */
Test(kc_stream, default_line_cap_is_4_mib)
{
	size_t cap = 4u << 20;
	char *text = malloc(cap + 2);
	memset(text, 'x', cap + 1);
	text[cap] = '\n';
	struct kc_stream s;
	kc_stream_init(&s, 0);
	struct big b = {0};
	cr_assert_eq(kc_stream_feed(&s, text, cap + 1, count_raw, &b), 0);
	cr_assert_eq(b.lines, 1);
	cr_assert_eq(b.last_len, cap);
	kc_stream_free(&s);
	text[cap] = 'x';
	text[cap + 1] = '\n';
	kc_stream_init(&s, 0);
	int r = 0;
	for (size_t off = 0; off < cap + 2 && r == 0; off += 65536) {
		size_t n = cap + 2 - off < 65536 ? cap + 2 - off : 65536;
		r = kc_stream_feed(&s, text + off, n, count_raw, &b);
	}
	cr_assert_eq(r, -EMSGSIZE);
	kc_stream_free(&s);
	free(text);
}
