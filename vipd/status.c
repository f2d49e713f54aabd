/*
 * status.c — the snapshot ↔ JSON text, with jansson. Writing builds the object field by field in
 * the documented order; reading checks each known field's type and range and names the first
 * bad one, so `vipd status` can say which field of a daemon's reply it could not use.
 */
#include "status.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const role_names[] = {
    [STATUS_LEADER] = "leader", [STATUS_FOLLOWER] = "follower", [STATUS_OUT] = "out"};
static const char *const out_names[] = {"health_gate", "identity_collision", "link", "stopping",
					"handover"};
static const char *const backend_names[] = {
    [STATUS_BACKEND_LEASE] = "lease", [STATUS_BACKEND_ETCD] = "etcd"};
static const char *const health_names[] = {[STATUS_HEALTH_UNKNOWN] = "unknown",
					   [STATUS_HEALTH_HEALTHY] = "healthy",
					   [STATUS_HEALTH_UNHEALTHY] = "unhealthy"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const char *status_role_name(enum status_role r)
{
	return (unsigned)r < COUNT(role_names) ? role_names[r] : "?";
}

const char *status_out_name(unsigned out)
{
	for (unsigned i = 0; i < COUNT(out_names); i++)
		if (out & (1u << i))
			return out_names[i];
	return "";
}

const char *status_health_name(enum status_health h)
{
	return (unsigned)h < COUNT(health_names) ? health_names[h] : "?";
}

/* ---- writing ------------------------------------------------------------------------------ */

/* "2025-01-02T03:04:05.678Z" (UTC, milliseconds), or false when out of range. */
static bool format_rfc3339(int64_t unix_ms, char *buf, size_t size)
{
	time_t secs = (time_t)(unix_ms / 1000);
	struct tm tm;
	if (unix_ms < 0 || !gmtime_r(&secs, &tm) || tm.tm_year + 1900 > 9999)
		return false;
	size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	return n && snprintf(buf + n, size - n, ".%03dZ", (int)(unix_ms % 1000)) == 5;
}

static json_t *uint_json(uint64_t v)
{
	return json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t)v);
}

/* -1 (unknown) is null. */
static json_t *opt_int_json(int64_t v)
{
	return v < 0 ? json_null() : json_integer(v);
}

static json_t *election_json(const struct status *s)
{
	char when[40];
	json_t *last =
	    s->renewed_wall_ms >= 0 && format_rfc3339(s->renewed_wall_ms, when, sizeof(when))
		? json_string(when)
		: json_null();
	return json_pack("{s:s, s:s, s:s, s:b, s:o, s:o, s:o}", "backend",
			 backend_names[s->backend], "lease", s->lease, "holder", s->holder,
			 "observed", s->observed, "transitions", uint_json(s->transitions),
			 "last_renewal", last, "last_renewal_age_ms",
			 opt_int_json(s->renewed_age_ms));
}

static json_t *vip_json(const struct status *s)
{
	return json_pack("{s:s, s:s, s:b, s:o, s:o, s:o, s:o}", "address", s->vip, "interface",
			 s->interface, "present", s->vip_present, "valid_lifetime_s",
			 opt_int_json(s->vip_valid_s), "announcements", uint_json(s->announcements),
			 "announce_errors", uint_json(s->announce_errors), "conflicts",
			 uint_json(s->conflicts));
}

static json_t *gate_json(const struct status *s)
{
	return json_pack("{s:b, s:b, s:b, s:I, s:I}", "enabled", s->gate_enabled, "engaged",
			 s->gate_engaged, "passing", s->gate_passing, "consecutive_failures",
			 (json_int_t)s->gate_failures, "failures_to_release",
			 (json_int_t)s->gate_release_after);
}

static json_t *lb_json(const struct status *s)
{
	json_t *list = json_array();
	for (size_t i = 0; list && i < s->n_backends; i++) {
		const struct status_lb_backend *b = &s->backends[i];
		if (json_array_append_new(list,
					  json_pack("{s:s, s:s, s:b, s:s, s:b}", "name", b->name,
						    "address", b->address, "ready", b->ready,
						    "health", status_health_name(b->health),
						    "in_service", b->in_service)) < 0) {
			json_decref(list);
			return NULL;
		}
	}
	if (!list)
		return NULL;
	return json_pack("{s:b, s:b, s:o}", "enabled", s->lb_enabled, "available", s->lb_available,
			 "backends", list);
}

static json_t *reasons_json(unsigned out)
{
	json_t *a = json_array();
	for (unsigned i = 0; a && i < COUNT(out_names); i++)
		if ((out & (1u << i)) && json_array_append_new(a, json_string(out_names[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

int status_format(const struct status *s, char **out, size_t *len)
{
	if ((unsigned)s->role >= COUNT(role_names) ||
	    (unsigned)s->backend >= COUNT(backend_names) || s->n_backends > STATUS_BACKENDS_MAX)
		return -EINVAL;
	for (size_t i = 0; i < s->n_backends; i++)
		if ((unsigned)s->backends[i].health >= COUNT(health_names))
			return -EINVAL;
	/* Every string field is NUL-terminated within its array (json_pack fails otherwise on
	 * invalid UTF-8, which the daemon's names never are). "o" steals a NULL as a failure. */
	json_t *root = json_pack(
	    "{s:i, s:s, s:s, s:o, s:b, s:o, s:o, s:o, s:o, s:o}", "version", STATUS_VERSION,
	    "identity", s->identity, "role", role_names[s->role], "out_reasons",
	    reasons_json(s->out), "ready", s->ready, "not_ready_reason",
	    s->ready ? json_null() : json_string(s->not_ready_reason), "election", election_json(s),
	    "vip", vip_json(s), "health_gate", gate_json(s), "lb", lb_json(s));
	if (!root)
		return -ENOMEM;
	char *text = json_dumps(root, JSON_PRESERVE_ORDER);
	json_decref(root);
	if (!text)
		return -ENOMEM;
	size_t n = strlen(text);
	char *buf = realloc(text, n + 2);
	if (!buf) {
		free(text);
		return -ENOMEM;
	}
	buf[n] = '\n';
	buf[n + 1] = '\0';
	*out = buf;
	*len = n + 1;
	return 0;
}

/* ---- reading ------------------------------------------------------------------------------ */

struct reader {
	char *why;
	size_t why_len;
};

static int bad(struct reader *r, const char *section, const char *field, const char *expected)
{
	snprintf(r->why, r->why_len, "field \"%s%s%s\": expected %s", section, *section ? "." : "",
		 field, expected);
	return -EPROTO;
}

static int want(struct reader *r, const json_t *obj, const char *section, const char *field,
		const json_t **v)
{
	*v = json_object_get(obj, field);
	return *v ? 0 : bad(r, section, field, "a value (it is missing)");
}

static int get_str(struct reader *r, const json_t *obj, const char *section, const char *field,
		   char *buf, size_t size)
{
	const json_t *v;
	int e = want(r, obj, section, field, &v);
	if (e < 0)
		return e;
	size_t n = json_is_string(v) ? json_string_length(v) : 0;
	if (!json_is_string(v) || n >= size || strlen(json_string_value(v)) != n) {
		char what[48];
		snprintf(what, sizeof(what), "a string shorter than %zu bytes", size);
		return bad(r, section, field, what);
	}
	memcpy(buf, json_string_value(v), n + 1);
	return 0;
}

static int get_bool(struct reader *r, const json_t *obj, const char *section, const char *field,
		    bool *out)
{
	const json_t *v;
	int e = want(r, obj, section, field, &v);
	if (e < 0)
		return e;
	if (!json_is_boolean(v))
		return bad(r, section, field, "true or false");
	*out = json_is_true(v);
	return 0;
}

/* A whole number 0..max; null → -1 when `nullable`. */
static int get_int(struct reader *r, const json_t *obj, const char *section, const char *field,
		   int64_t max, bool nullable, int64_t *out)
{
	const json_t *v;
	int e = want(r, obj, section, field, &v);
	if (e < 0)
		return e;
	if (nullable && json_is_null(v)) {
		*out = -1;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > max)
		return bad(r, section, field,
			   nullable ? "a whole number >= 0, or null" : "a whole number >= 0");
	*out = json_integer_value(v);
	return 0;
}

static int get_u64(struct reader *r, const json_t *obj, const char *section, const char *field,
		   uint64_t *out)
{
	int64_t v;
	int e = get_int(r, obj, section, field, INT64_MAX, false, &v);
	if (e == 0)
		*out = (uint64_t)v;
	return e;
}

static int get_u32(struct reader *r, const json_t *obj, const char *section, const char *field,
		   uint32_t *out)
{
	int64_t v;
	int e = get_int(r, obj, section, field, UINT32_MAX, false, &v);
	if (e == 0)
		*out = (uint32_t)v;
	return e;
}

static int get_enum(struct reader *r, const json_t *obj, const char *section, const char *field,
		    const char *const *names, size_t n, const char *expected, unsigned *out)
{
	char text[32];
	const json_t *v;
	int e = want(r, obj, section, field, &v);
	if (e < 0)
		return e;
	if (get_str(r, obj, section, field, text, sizeof(text)) < 0)
		return bad(r, section, field, expected);
	for (unsigned i = 0; i < n; i++)
		if (!strcmp(text, names[i])) {
			*out = i;
			return 0;
		}
	return bad(r, section, field, expected);
}

static int get_object(struct reader *r, const json_t *obj, const char *field, const json_t **out)
{
	int e = want(r, obj, "", field, out);
	if (e == 0 && !json_is_object(*out))
		return bad(r, "", field, "an object");
	return e;
}

/* Exactly the shape format_rfc3339() writes, read back to Unix ms. */
static int parse_rfc3339(const char *text, int64_t *unix_ms)
{
	int y, mo, d, h, mi, s, ms, n = 0;
	if (strlen(text) != 24 ||
	    sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ%n", &y, &mo, &d, &h, &mi, &s, &ms, &n) !=
		7 ||
	    n != 24 || y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    s > 60 || ms < 0 || h < 0 || mi < 0 || s < 0)
		return -EPROTO;
	struct tm tm = {.tm_year = y - 1900,
			.tm_mon = mo - 1,
			.tm_mday = d,
			.tm_hour = h,
			.tm_min = mi,
			.tm_sec = s};
	time_t t = timegm(&tm);
	if (t < 0)
		return -EPROTO;
	*unix_ms = (int64_t)t * 1000 + ms;
	return 0;
}

static int read_top(struct reader *r, const json_t *root, struct status *s)
{
	int64_t version;
	int e = get_int(r, root, "", "version", INT64_MAX, false, &version);
	if (e == 0 && version != STATUS_VERSION)
		return bad(r, "", "version", "1");
	unsigned role;
	if (e == 0)
		e = get_str(r, root, "", "identity", s->identity, sizeof(s->identity));
	if (e == 0)
		e = get_enum(r, root, "", "role", role_names, COUNT(role_names),
			     "leader, follower or out", &role);
	if (e < 0)
		return e;
	s->role = (enum status_role)role;
	const json_t *reasons;
	if ((e = want(r, root, "", "out_reasons", &reasons)) < 0)
		return e;
	if (!json_is_array(reasons))
		return bad(r, "", "out_reasons", "an array of reasons");
	for (size_t i = 0; i < json_array_size(reasons); i++) {
		const char *t = json_string_value(json_array_get(reasons, i));
		unsigned k = 0;
		while (t && k < COUNT(out_names) && strcmp(t, out_names[k]))
			k++;
		if (!t || k == COUNT(out_names))
			return bad(r, "", "out_reasons",
				   "health_gate, identity_collision, link or stopping");
		s->out |= 1u << k;
	}
	if ((e = get_bool(r, root, "", "ready", &s->ready)) < 0)
		return e;
	const json_t *why = json_object_get(root, "not_ready_reason");
	if (!why || !(json_is_null(why) || json_is_string(why)))
		return bad(r, "", "not_ready_reason", "a string or null");
	if (json_is_string(why))
		return get_str(r, root, "", "not_ready_reason", s->not_ready_reason,
			       sizeof(s->not_ready_reason));
	return 0;
}

static int read_election(struct reader *r, const json_t *root, struct status *s)
{
	static const char sec[] = "election";
	const json_t *o;
	unsigned backend;
	char when[32];
	int e = get_object(r, root, sec, &o);
	if (e == 0)
		e = get_enum(r, o, sec, "backend", backend_names, COUNT(backend_names),
			     "lease or etcd", &backend);
	if (e == 0)
		e = get_str(r, o, sec, "lease", s->lease, sizeof(s->lease));
	if (e == 0)
		e = get_str(r, o, sec, "holder", s->holder, sizeof(s->holder));
	if (e == 0)
		e = get_bool(r, o, sec, "observed", &s->observed);
	if (e == 0)
		e = get_u64(r, o, sec, "transitions", &s->transitions);
	if (e == 0)
		e = get_int(r, o, sec, "last_renewal_age_ms", INT64_MAX, true, &s->renewed_age_ms);
	if (e < 0)
		return e;
	s->backend = (enum status_backend_kind)backend;
	const json_t *last = json_object_get(o, "last_renewal");
	s->renewed_wall_ms = -1;
	if (last && json_is_null(last))
		return 0;
	if (!last || get_str(r, o, sec, "last_renewal", when, sizeof(when)) < 0 ||
	    parse_rfc3339(when, &s->renewed_wall_ms) < 0)
		return bad(r, sec, "last_renewal", "an RFC 3339 UTC time (…T…:…:….mmmZ) or null");
	return 0;
}

static int read_vip(struct reader *r, const json_t *root, struct status *s)
{
	static const char sec[] = "vip";
	const json_t *o;
	int e = get_object(r, root, sec, &o);
	if (e == 0)
		e = get_str(r, o, sec, "address", s->vip, sizeof(s->vip));
	if (e == 0)
		e = get_str(r, o, sec, "interface", s->interface, sizeof(s->interface));
	if (e == 0)
		e = get_bool(r, o, sec, "present", &s->vip_present);
	if (e == 0)
		e = get_int(r, o, sec, "valid_lifetime_s", UINT32_MAX, true, &s->vip_valid_s);
	if (e == 0)
		e = get_u64(r, o, sec, "announcements", &s->announcements);
	if (e == 0)
		e = get_u64(r, o, sec, "announce_errors", &s->announce_errors);
	if (e == 0)
		e = get_u64(r, o, sec, "conflicts", &s->conflicts);
	return e;
}

static int read_gate(struct reader *r, const json_t *root, struct status *s)
{
	static const char sec[] = "health_gate";
	const json_t *o;
	int e = get_object(r, root, sec, &o);
	if (e == 0)
		e = get_bool(r, o, sec, "enabled", &s->gate_enabled);
	if (e == 0)
		e = get_bool(r, o, sec, "engaged", &s->gate_engaged);
	if (e == 0)
		e = get_bool(r, o, sec, "passing", &s->gate_passing);
	if (e == 0)
		e = get_u32(r, o, sec, "consecutive_failures", &s->gate_failures);
	if (e == 0)
		e = get_u32(r, o, sec, "failures_to_release", &s->gate_release_after);
	return e;
}

static int read_backend(struct reader *r, const json_t *o, struct status_lb_backend *b)
{
	static const char sec[] = "lb.backends[]";
	unsigned health;
	if (!json_is_object(o))
		return bad(r, "lb", "backends[]", "an object");
	int e = get_str(r, o, sec, "name", b->name, sizeof(b->name));
	if (e == 0)
		e = get_str(r, o, sec, "address", b->address, sizeof(b->address));
	if (e == 0)
		e = get_bool(r, o, sec, "ready", &b->ready);
	if (e == 0)
		e = get_enum(r, o, sec, "health", health_names, COUNT(health_names),
			     "unknown, healthy or unhealthy", &health);
	if (e == 0)
		e = get_bool(r, o, sec, "in_service", &b->in_service);
	if (e == 0)
		b->health = (enum status_health)health;
	return e;
}

static int read_lb(struct reader *r, const json_t *root, struct status *s)
{
	static const char sec[] = "lb";
	const json_t *o, *list = NULL;
	int e = get_object(r, root, sec, &o);
	if (e == 0)
		e = get_bool(r, o, sec, "enabled", &s->lb_enabled);
	if (e == 0)
		e = get_bool(r, o, sec, "available", &s->lb_available);
	if (e == 0)
		e = want(r, o, sec, "backends", &list);
	if (e < 0)
		return e;
	if (!json_is_array(list) || json_array_size(list) > STATUS_BACKENDS_MAX)
		return bad(r, sec, "backends", "an array of at most 32 backends");
	for (size_t i = 0; i < json_array_size(list) && e == 0; i++)
		e = read_backend(r, json_array_get(list, i), &s->backends[i]);
	s->n_backends = e == 0 ? json_array_size(list) : 0;
	return e;
}

int status_parse(const char *text, size_t len, struct status *out, char *why, size_t why_len)
{
	char spare[8];
	struct reader r = {.why = why && why_len ? why : spare,
			   .why_len = why && why_len ? why_len : sizeof(spare)};
	r.why[0] = '\0';
	memset(out, 0, sizeof(*out));
	if (len > STATUS_BODY_MAX) {
		snprintf(r.why, r.why_len, "reply larger than %d bytes", STATUS_BODY_MAX);
		return -EPROTO;
	}
	json_error_t jerr;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		snprintf(r.why, r.why_len, "not JSON: %s (line %d)", jerr.text, jerr.line);
		return -EPROTO;
	}
	int e = json_is_object(root) ? 0 : bad(&r, "", "(document)", "a JSON object");
	if (e == 0)
		e = read_top(&r, root, out);
	if (e == 0)
		e = read_election(&r, root, out);
	if (e == 0)
		e = read_vip(&r, root, out);
	if (e == 0)
		e = read_gate(&r, root, out);
	if (e == 0)
		e = read_lb(&r, root, out);
	json_decref(root);
	return e;
}
