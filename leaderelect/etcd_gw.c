/*
 * etcd_gw.c — etcd v3 gateway JSON, decoded defensively: every field is optional on the wire,
 * numbers come as strings, and anything unexpected is a one-line error, never a crash.
 */
#include "etcd_gw.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kc_base64.h"

static json_t *b64(const char *s)
{
	char *e = kc_base64_encode(s, strlen(s));
	json_t *j = e ? json_string(e) : NULL;
	free(e);
	return j;
}

static json_t *i64(int64_t v)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "%lld", (long long)v);
	return json_string(buf);
}

json_t *etcd_grant_body(int64_t ttl_s)
{
	return json_pack("{s:o}", "TTL", i64(ttl_s));
}

json_t *etcd_lease_id_body(int64_t id)
{
	return json_pack("{s:o}", "ID", i64(id));
}

json_t *etcd_campaign_body(const char *key, const char *identity, int64_t lease)
{
	/* Create the key only if it does not exist (create_revision == 0), bound to our lease;
	 * otherwise read who holds it. */
	return json_pack("{s:[{s:o, s:s, s:s, s:s}], s:[{s:{s:o, s:o, s:o}}], s:[{s:{s:o}}]}",
			 "compare", "key", b64(key), "target", "CREATE", "result", "EQUAL",
			 "create_revision", "0", "success", "request_put", "key", b64(key), "value",
			 b64(identity), "lease", i64(lease), "failure", "request_range", "key",
			 b64(key));
}

int etcd_value_encode(const char *identity, const char *to, char *out, size_t len)
{
	int n = to && *to ? snprintf(out, len, "%s" ETCD_HANDOVER_TAG "%s", identity, to)
			  : snprintf(out, len, "%s", identity);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* A txn: if the key's `target` ("LEASE" or "MOD") field `field` equals `cmp`, put `value` on
 * `lease`. */
static json_t *put_if(const char *key, const char *target, const char *field, int64_t cmp,
		      const char *value, int64_t lease)
{
	return json_pack("{s:[{s:o, s:s, s:s, s:o}], s:[{s:{s:o, s:o, s:o}}]}", "compare", "key",
			 b64(key), "target", target, "result", "EQUAL", field, i64(cmp), "success",
			 "request_put", "key", b64(key), "value", b64(value), "lease", i64(lease));
}

json_t *etcd_release_body(const char *key, int64_t lease, const char *to)
{
	char value[2 * LEASE_HOLDER_MAX];
	if (etcd_value_encode("", to && strcmp(to, "*") ? to : NULL, value, sizeof(value)) < 0)
		return NULL;
	return put_if(key, "LEASE", "lease", lease, value, lease);
}

json_t *etcd_handover_body(const char *key, int64_t mod_rev, int64_t lease, const char *value)
{
	return put_if(key, "MOD", "mod_revision", mod_rev, value, lease);
}

json_t *etcd_withdraw_body(const char *key, const char *expect, int64_t lease, const char *value)
{
	return json_pack(
	    "{s:[{s:o, s:s, s:s, s:o}, {s:o, s:s, s:s, s:o}], s:[{s:{s:o, s:o, s:o}}]}", "compare",
	    "key", b64(key), "target", "VALUE", "result", "EQUAL", "value", b64(expect), "key",
	    b64(key), "target", "LEASE", "result", "EQUAL", "lease", i64(lease), "success",
	    "request_put", "key", b64(key), "value", b64(value), "lease", i64(lease));
}

json_t *etcd_range_body(const char *key)
{
	return json_pack("{s:o}", "key", b64(key));
}

json_t *etcd_watch_body(const char *key, int64_t start_rev)
{
	return json_pack("{s:{s:o, s:o, s:b}}", "create_request", "key", b64(key), "start_revision",
			 i64(start_rev), "prev_kv", 1);
}

/* An int64 field: a string of digits (the gateway's form) or a JSON integer; absent → 0. */
static int get_i64(const json_t *obj, const char *field, int64_t *out)
{
	const json_t *v = json_object_get(obj, field);
	*out = 0;
	if (!v)
		return 0;
	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return 0;
	}
	if (!json_is_string(v))
		return -EBADMSG;
	const char *s = json_string_value(v);
	char *end;
	errno = 0;
	long long n = strtoll(s, &end, 10);
	if (!*s || *end || errno)
		return -EBADMSG;
	*out = n;
	return 0;
}

static int fail(char *why, size_t why_len, const char *what, const char *field)
{
	snprintf(why, why_len, "etcd %s: bad or missing %s", what, field);
	return -EBADMSG;
}

/* gRPC errors come as {"error":..., "code":N, "message":...} or {"error":{...}}. */
static bool gw_error(const json_t *body, const char *what, char *why, size_t why_len)
{
	const json_t *e = json_object_get(body, "error");
	if (!e)
		return false;
	const json_t *msg =
	    json_is_object(e) ? json_object_get(e, "message") : json_object_get(body, "message");
	snprintf(why, why_len, "etcd %s: %s", what,
		 json_is_string(msg) ? json_string_value(msg)
				     : (json_is_string(e) ? json_string_value(e) : "error"));
	return true;
}

static int header_rev(const json_t *body, int64_t *rev)
{
	const json_t *h = json_object_get(body, "header");
	*rev = 0;
	if (h && !json_is_object(h))
		return -EBADMSG;
	return get_i64(h, "revision", rev);
}

/* The raw value: the identity, and the hand-over target after ETCD_HANDOVER_TAG (one that is
 * empty or too long only sets handover_bad: the key stays readable). */
static int split_value(const char *raw, size_t n, struct etcd_kv *out)
{
	if (memchr(raw, '\0', n))
		return -EBADMSG;
	const char *tag = memmem(raw, n, ETCD_HANDOVER_TAG, strlen(ETCD_HANDOVER_TAG));
	size_t id_len = tag ? (size_t)(tag - raw) : n;
	if (id_len >= sizeof(out->value))
		return -EBADMSG;
	memcpy(out->value, raw, id_len);
	out->value[id_len] = '\0';
	if (!tag)
		return 0;
	const char *to = tag + strlen(ETCD_HANDOVER_TAG);
	size_t to_len = n - (size_t)(to - raw);
	if (to_len == 0 || to_len >= sizeof(out->handover_to) || memchr(to, '\n', to_len)) {
		out->handover_bad = true;
		return 0;
	}
	memcpy(out->handover_to, to, to_len);
	out->handover_to[to_len] = '\0';
	return 0;
}

static int parse_kv(const json_t *kv, struct etcd_kv *out, char *why, size_t why_len,
		    const char *what)
{
	memset(out, 0, sizeof(*out));
	if (!json_is_object(kv))
		return fail(why, why_len, what, "kv");
	if (get_i64(kv, "create_revision", &out->create_rev) < 0 ||
	    get_i64(kv, "mod_revision", &out->mod_rev) < 0 || get_i64(kv, "lease", &out->lease) < 0)
		return fail(why, why_len, what, "kv revision or lease");
	const json_t *v = json_object_get(kv, "value");
	if (v) {
		unsigned char *raw;
		size_t n;
		if (!json_is_string(v) ||
		    kc_base64_decode(json_string_value(v), json_string_length(v), &raw, &n) < 0)
			return fail(why, why_len, what, "kv.value");
		int r = split_value((const char *)raw, n, out);
		free(raw);
		if (r < 0)
			return fail(why, why_len, what, "kv.value (too long or binary)");
	}
	out->present = true;
	return 0;
}

static bool kv_key_is(const json_t *kv, const char *key)
{
	const json_t *k = json_object_get(kv, "key");
	unsigned char *raw;
	size_t n;
	if (!json_is_string(k) ||
	    kc_base64_decode(json_string_value(k), json_string_length(k), &raw, &n) < 0)
		return false;
	bool same = n == strlen(key) && !memcmp(raw, key, n);
	free(raw);
	return same;
}

int etcd_grant_parse(const json_t *body, int64_t *id, int64_t *ttl, char *why, size_t why_len)
{
	if (gw_error(body, "lease grant", why, why_len))
		return -EBADMSG;
	if (get_i64(body, "ID", id) < 0 || *id == 0)
		return fail(why, why_len, "lease grant", "ID");
	if (get_i64(body, "TTL", ttl) < 0 || *ttl <= 0)
		return fail(why, why_len, "lease grant", "TTL");
	return 0;
}

int etcd_keepalive_parse(const json_t *body, int64_t *ttl, char *why, size_t why_len)
{
	if (gw_error(body, "lease keep-alive", why, why_len))
		return -EBADMSG;
	const json_t *res = json_object_get(body, "result");
	if (!json_is_object(res))
		return fail(why, why_len, "lease keep-alive", "result");
	if (get_i64(res, "TTL", ttl) < 0)
		return fail(why, why_len, "lease keep-alive", "TTL");
	return 0;
}

int etcd_timetolive_parse(const json_t *body, int64_t id, int64_t *ttl, int64_t *granted, char *why,
			  size_t why_len)
{
	int64_t got;
	*ttl = *granted = 0;
	if (gw_error(body, "lease time-to-live", why, why_len))
		return -EBADMSG;
	if (!json_is_object(body))
		return fail(why, why_len, "lease time-to-live", "reply");
	if (get_i64(body, "ID", &got) < 0 || (got && got != id))
		return fail(why, why_len, "lease time-to-live", "ID");
	if (get_i64(body, "TTL", ttl) < 0 || *ttl < -1)
		return fail(why, why_len, "lease time-to-live", "TTL");
	if (get_i64(body, "grantedTTL", granted) < 0 || *granted < 0)
		return fail(why, why_len, "lease time-to-live", "grantedTTL");
	return 0;
}

int etcd_txn_parse(const json_t *body, bool *succeeded, int64_t *revision, struct etcd_kv *kv,
		   char *why, size_t why_len)
{
	memset(kv, 0, sizeof(*kv));
	*succeeded = false;
	if (gw_error(body, "txn", why, why_len))
		return -EBADMSG;
	if (header_rev(body, revision) < 0 || *revision <= 0)
		return fail(why, why_len, "txn", "header.revision");
	const json_t *s = json_object_get(body, "succeeded");
	if (s && !json_is_boolean(s))
		return fail(why, why_len, "txn", "succeeded");
	*succeeded = json_is_true(s);
	if (*succeeded)
		return 0;
	const json_t *resp = json_object_get(body, "responses");
	const json_t *range = json_object_get(json_array_get(resp, 0), "response_range");
	const json_t *kvs = json_object_get(range, "kvs");
	if (!kvs)
		return 0; /* failed compare but no key: deleted in between; try again */
	if (!json_is_array(kvs))
		return fail(why, why_len, "txn", "responses[0].response_range.kvs");
	if (json_array_size(kvs) == 0)
		return 0;
	return parse_kv(json_array_get(kvs, 0), kv, why, why_len, "txn");
}

int etcd_range_parse(const json_t *body, int64_t *revision, struct etcd_kv *kv, char *why,
		     size_t why_len)
{
	memset(kv, 0, sizeof(*kv));
	if (gw_error(body, "range", why, why_len))
		return -EBADMSG;
	if (header_rev(body, revision) < 0 || *revision <= 0)
		return fail(why, why_len, "range", "header.revision");
	const json_t *kvs = json_object_get(body, "kvs");
	if (!kvs)
		return 0;
	if (!json_is_array(kvs))
		return fail(why, why_len, "range", "kvs");
	if (json_array_size(kvs) == 0)
		return 0;
	return parse_kv(json_array_get(kvs, 0), kv, why, why_len, "range");
}

int etcd_watch_parse(const char *line, size_t len, const char *key, struct etcd_watch_msg *m,
		     char *why, size_t why_len)
{
	memset(m, 0, sizeof(*m));
	json_error_t jerr;
	json_t *root = json_loadb(line, len, 0, &jerr);
	if (!root) {
		snprintf(why, why_len, "etcd watch: invalid JSON at byte %d: %s", jerr.position,
			 jerr.text);
		return -EBADMSG;
	}
	int r = -EBADMSG;
	if (gw_error(root, "watch", why, why_len))
		goto out;
	const json_t *res = json_object_get(root, "result");
	if (!json_is_object(res)) {
		fail(why, why_len, "watch", "result");
		goto out;
	}
	const json_t *created = json_object_get(res, "created");
	const json_t *canceled = json_object_get(res, "canceled");
	m->created = json_is_true(created);
	m->canceled = json_is_true(canceled);
	if (header_rev(res, &m->revision) < 0 ||
	    get_i64(res, "compact_revision", &m->compact_revision) < 0) {
		fail(why, why_len, "watch", "header.revision or compact_revision");
		goto out;
	}
	const json_t *events = json_object_get(res, "events");
	if (events && !json_is_array(events)) {
		fail(why, why_len, "watch", "events");
		goto out;
	}
	size_t i;
	const json_t *ev;
	json_array_foreach(events, i, ev)
	{
		const json_t *kv = json_object_get(ev, "kv");
		if (!json_is_object(kv) || !kv_key_is(kv, key))
			continue;
		const json_t *type = json_object_get(ev, "type");
		bool del = json_is_string(type) && !strcmp(json_string_value(type), "DELETE");
		if (type && !del &&
		    !(json_is_string(type) && !strcmp(json_string_value(type), "PUT"))) {
			fail(why, why_len, "watch", "events[].type");
			goto out;
		}
		struct etcd_kv parsed, prev = {.present = false};
		const json_t *pkv = json_object_get(ev, "prev_kv");
		if (parse_kv(kv, &parsed, why, why_len, "watch") < 0 ||
		    (pkv && parse_kv(pkv, &prev, why, why_len, "watch prev_kv") < 0))
			goto out;
		m->last = del ? ETCD_EV_DELETE : ETCD_EV_PUT;
		m->kv = parsed;
		m->prev = prev;
		if (del)
			m->kv.present = false;
	}
	r = 0;
out:
	json_decref(root);
	return r;
}
