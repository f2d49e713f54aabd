/*
 * lease_record.c — Lease JSON decoding and encoding. A Lease written by anyone (kube-vip,
 * kubectl, a fuzzer) must decode to a record or to a one-line error, never to a crash.
 */
#include "lease_record.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "microtime.h"

static int bad(char *why, size_t why_len, const char *fmt, const char *field)
{
	snprintf(why, why_len, fmt, field);
	return -EBADMSG;
}

/* Optional int32 field: absent/null → 0. */
static int get_i32(const json_t *spec, const char *field, int32_t *out, char *why, size_t why_len)
{
	const json_t *v = json_object_get(spec, field);
	*out = 0;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v))
		return bad(why, why_len, "lease: spec.%s is not an integer", field);
	json_int_t n = json_integer_value(v);
	if (n < INT32_MIN || n > INT32_MAX)
		return bad(why, why_len, "lease: spec.%s is out of range", field);
	*out = (int32_t)n;
	return 0;
}

static int get_time(const json_t *spec, const char *field, bool *has, int64_t *us, char *why,
		    size_t why_len)
{
	const json_t *v = json_object_get(spec, field);
	*has = false;
	*us = 0;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v) ||
	    microtime_parse_n(json_string_value(v), json_string_length(v), us) < 0)
		return bad(why, why_len, "lease: spec.%s is not an RFC 3339 time", field);
	*has = true;
	return 0;
}

int lease_decode(const json_t *lease, struct lease_record *rec, char *rv, char *why, size_t why_len)
{
	memset(rec, 0, sizeof(*rec));
	rv[0] = '\0';
	if (!json_is_object(lease))
		return bad(why, why_len, "lease: %s is not a JSON object", "the body");
	const json_t *kind = json_object_get(lease, "kind");
	if (kind && (!json_is_string(kind) || strcmp(json_string_value(kind), "Lease")))
		return bad(why, why_len, "lease: %s is not \"Lease\"", "kind");
	const json_t *meta = json_object_get(lease, "metadata");
	if (!json_is_object(meta))
		return bad(why, why_len, "lease: %s is missing", "metadata");
	const json_t *jrv = json_object_get(meta, "resourceVersion");
	if (!json_is_string(jrv) || json_string_length(jrv) == 0 ||
	    json_string_length(jrv) >= LEASE_RV_MAX)
		return bad(why, why_len, "lease: %s is missing or invalid",
			   "metadata.resourceVersion");
	memcpy(rv, json_string_value(jrv), json_string_length(jrv) + 1);

	const json_t *spec = json_object_get(lease, "spec");
	if (!spec || json_is_null(spec))
		return 0; /* an empty spec: not held */
	if (!json_is_object(spec))
		return bad(why, why_len, "lease: %s is not an object", "spec");
	const json_t *holder = json_object_get(spec, "holderIdentity");
	if (holder && !json_is_null(holder)) {
		if (!json_is_string(holder))
			return bad(why, why_len, "lease: spec.%s is not a string",
				   "holderIdentity");
		size_t n = json_string_length(holder);
		const char *s = json_string_value(holder);
		if (n >= LEASE_HOLDER_MAX || memchr(s, '\0', n))
			return bad(why, why_len, "lease: spec.%s is too long or has a NUL byte",
				   "holderIdentity");
		memcpy(rec->holder, s, n + 1);
	}
	int r;
	if ((r = get_i32(spec, "leaseDurationSeconds", &rec->duration_s, why, why_len)) < 0 ||
	    (r = get_i32(spec, "leaseTransitions", &rec->transitions, why, why_len)) < 0 ||
	    (r = get_time(spec, "acquireTime", &rec->has_acquire, &rec->acquire_us, why, why_len)) <
		0 ||
	    (r = get_time(spec, "renewTime", &rec->has_renew, &rec->renew_us, why, why_len)) < 0)
		return r;
	return 0;
}

int lease_decode_text(const char *text, size_t len, struct lease_record *rec, char *rv, char *why,
		      size_t why_len)
{
	json_error_t jerr;
	json_t *obj = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!obj) {
		memset(rec, 0, sizeof(*rec));
		rv[0] = '\0';
		snprintf(why, why_len, "lease: invalid JSON at byte %d: %s", jerr.position,
			 jerr.text);
		return -EBADMSG;
	}
	int r = lease_decode(obj, rec, rv, why, why_len);
	json_decref(obj);
	return r;
}

static json_t *time_or_null(bool has, int64_t us)
{
	char buf[MICROTIME_STRLEN];
	if (!has || microtime_format(us, buf, sizeof(buf)) < 0)
		return json_null();
	return json_string(buf);
}

json_t *lease_spec_encode(const struct lease_record *rec)
{
	return json_pack("{s:s, s:i, s:o, s:o, s:i}", "holderIdentity", rec->holder,
			 "leaseDurationSeconds", (int)rec->duration_s, "acquireTime",
			 time_or_null(rec->has_acquire, rec->acquire_us), "renewTime",
			 time_or_null(rec->has_renew, rec->renew_us), "leaseTransitions",
			 (int)rec->transitions);
}

json_t *lease_new_object(const char *ns, const char *name, const struct lease_record *rec,
			 const json_t *annotations)
{
	json_t *spec = lease_spec_encode(rec);
	if (!spec)
		return NULL;
	json_t *meta = json_pack("{s:s, s:s}", "name", name, "namespace", ns);
	if (meta && annotations && json_is_object(annotations))
		json_object_set_new(meta, "annotations", json_deep_copy(annotations));
	if (!meta) {
		json_decref(spec);
		return NULL;
	}
	return json_pack("{s:s, s:s, s:o, s:o}", "apiVersion", "coordination.k8s.io/v1", "kind",
			 "Lease", "metadata", meta, "spec", spec);
}

bool lease_record_equal(const struct lease_record *a, const struct lease_record *b)
{
	return !strcmp(a->holder, b->holder) && a->duration_s == b->duration_s &&
	       a->has_acquire == b->has_acquire && a->has_renew == b->has_renew &&
	       (!a->has_acquire || a->acquire_us == b->acquire_us) &&
	       (!a->has_renew || a->renew_us == b->renew_us) && a->transitions == b->transitions;
}

/* ---- planned hand-over -------------------------------------------------------------------- */

static bool identity_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == ':' || c == '-';
}

/* Copies the identity at *p (up to `stop` or the end) into out; advances *p past it. */
static int take_identity(const char **p, char stop, bool any_ok, char *out, size_t len)
{
	size_t n = 0;
	const char *s = *p;
	if (any_ok && s[0] == '*' && (s[1] == stop || s[1] == '\0')) {
		snprintf(out, len, "%s", LEASE_HANDOVER_ANY);
		*p = s + 1;
		return 0;
	}
	while (s[n] && s[n] != stop) {
		if (!identity_char(s[n]) || n + 1 >= len)
			return -EINVAL;
		n++;
	}
	if (n == 0)
		return -EINVAL;
	memcpy(out, s, n);
	out[n] = '\0';
	*p = s + n;
	return 0;
}

int lease_handover_parse(const char *text, char *from, char *to, size_t len, char *why,
			 size_t why_len)
{
	const char *p = text;
	if (strncmp(p, "from=", 5) || (p += 5, take_identity(&p, ',', false, from, len)) < 0) {
		snprintf(why, why_len, "%s \"%.80s\": want from=IDENTITY,to=IDENTITY|*",
			 LEASE_HANDOVER_ANNOTATION, text);
		return -EINVAL;
	}
	if (strncmp(p, ",to=", 4) || (p += 4, take_identity(&p, '\0', true, to, len)) < 0) {
		snprintf(why, why_len, "%s \"%.80s\": bad or missing to=IDENTITY|*",
			 LEASE_HANDOVER_ANNOTATION, text);
		return -EINVAL;
	}
	return 0;
}

/* The "from=A,to=B" annotation `key` of a Lease object: 1, 0 when absent, or -EBADMSG. */
static int handover_annotation(const json_t *lease, const char *key, char *from, char *to,
			       size_t len, char *why, size_t why_len)
{
	const json_t *ann = json_object_get(json_object_get(lease, "metadata"), "annotations");
	const json_t *v = json_is_object(ann) ? json_object_get(ann, key) : NULL;
	if (!v)
		return 0;
	if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v)) {
		snprintf(why, why_len, "%s: not a string", key);
		return -EBADMSG;
	}
	if (lease_handover_parse(json_string_value(v), from, to, len, why, why_len) < 0)
		return -EBADMSG;
	return 1;
}

int lease_handover_request(const json_t *lease, char *from, char *to, size_t len, char *why,
			   size_t why_len)
{
	return handover_annotation(lease, LEASE_HANDOVER_ANNOTATION, from, to, len, why, why_len);
}

int lease_handed_over_to(const json_t *lease, char *to, size_t len)
{
	char from[LEASE_HOLDER_MAX], why[200];
	if (len > sizeof(from))
		len = sizeof(from);
	if (handover_annotation(lease, LEASE_HANDED_OVER_ANNOTATION, from, to, len, why,
				sizeof(why)) <= 0) {
		to[0] = '\0';
		return 0;
	}
	return 1;
}

int lease_takeover_note(json_t *lease, const char *identity)
{
	char to[LEASE_HOLDER_MAX];
	if (!lease_handed_over_to(lease, to, sizeof(to)) || strcmp(to, identity))
		return 0;
	json_t *ann = json_object_get(json_object_get(lease, "metadata"), "annotations");
	return json_object_del(ann, LEASE_HANDED_OVER_ANNOTATION) < 0 ? -EINVAL : 0;
}
