/*
 * backends.c — the backend table: Node JSON parsing, list/event application, health
 * transitions and the desired destination list (see backends.h for the rules).
 */
#include "backends.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- parsing ------------------------------------------------------------------------------ */

/* Node names are DNS subdomains: lowercase letters, digits, '-' and '.'. Anything else would
 * also break the logfmt lines the name is written into. */
static bool valid_name(const char *s, size_t len)
{
	if (len == 0 || len >= BACKEND_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'))
			return false;
	}
	return true;
}

/* A value for a message: at most 64 bytes, and only printable ASCII. */
static const char *shown(const char *s, char *buf, size_t len)
{
	size_t i = 0;
	for (; s[i] && i + 1 < len && i < 64; i++)
		buf[i] = (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' && s[i] != '\\') ? s[i] : '?';
	buf[i] = '\0';
	return buf;
}

static int parse_name(const json_t *node, struct backend_node *out, struct nl_error *err)
{
	if (!json_is_object(node))
		return nl_error_set(err, EINVAL, "node: not a JSON object");
	const json_t *meta = json_object_get(node, "metadata");
	const json_t *name = json_object_get(meta, "name");
	char b[72];
	if (!json_is_string(name))
		return nl_error_set(err, EINVAL, "node: metadata.name: missing or not a string");
	if (!valid_name(json_string_value(name), json_string_length(name)))
		return nl_error_set(err, EINVAL,
				    "node: metadata.name \"%s\": not a valid node name",
				    shown(json_string_value(name), b, sizeof(b)));
	memcpy(out->name, json_string_value(name), json_string_length(name) + 1);
	return 0;
}

static int parse_labels(const json_t *node, struct backend_node *out, struct nl_error *err)
{
	const json_t *labels = json_object_get(json_object_get(node, "metadata"), "labels");
	if (labels && !json_is_null(labels) && !json_is_object(labels))
		return nl_error_set(err, EINVAL, "node %s: metadata.labels: not an object",
				    out->name);
	out->control_plane = json_object_get(labels, BACKEND_CONTROL_PLANE_LABEL) != NULL;
	return 0;
}

static int parse_ready(const json_t *status, struct backend_node *out, struct nl_error *err)
{
	const json_t *conds = json_object_get(status, "conditions");
	out->ready = false;
	if (!conds || json_is_null(conds))
		return 0; /* the kubelet has not reported yet */
	if (!json_is_array(conds))
		return nl_error_set(err, EINVAL, "node %s: status.conditions: not an array",
				    out->name);
	size_t i;
	const json_t *c;
	char b[72];
	json_array_foreach(conds, i, c)
	{
		const json_t *type = json_object_get(c, "type");
		if (!json_is_string(type))
			return nl_error_set(err, EINVAL,
					    "node %s: status.conditions[%zu].type: missing",
					    out->name, i);
		if (strcmp(json_string_value(type), "Ready"))
			continue;
		const json_t *st = json_object_get(c, "status");
		if (!json_is_string(st))
			return nl_error_set(
			    err, EINVAL, "node %s: status.conditions[%zu] (Ready).status: missing",
			    out->name, i);
		const char *v = json_string_value(st);
		if (strcmp(v, "True") && strcmp(v, "False") && strcmp(v, "Unknown"))
			return nl_error_set(
			    err, EINVAL,
			    "node %s: status.conditions[%zu] (Ready).status \"%s\": want "
			    "True, False or Unknown",
			    out->name, i, shown(v, b, sizeof(b)));
		out->ready = !strcmp(v, "True");
	}
	return 0;
}

/* One InternalIP: its family (AF_INET or AF_INET6) and address, or -EINVAL if it is not an
 * address. */
static int parse_ip(const char *text, union ipvs_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, text, &a->v4) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, text, &a->v6) == 1)
		return AF_INET6;
	return -EINVAL;
}

/* The first InternalIP of the VIP's family (a dual-stack node lists one of each). Every
 * InternalIP must be an address. */
static int parse_address(const json_t *status, int af, struct backend_node *out,
			 struct nl_error *err)
{
	const json_t *addrs = json_object_get(status, "addresses");
	if (addrs && !json_is_null(addrs) && !json_is_array(addrs))
		return nl_error_set(err, EINVAL, "node %s: status.addresses: not an array",
				    out->name);
	size_t i;
	const json_t *a;
	char b[72];
	out->af = 0;
	json_array_foreach(addrs, i, a)
	{
		const json_t *type = json_object_get(a, "type");
		const json_t *addr = json_object_get(a, "address");
		if (!json_is_string(type) || !json_is_string(addr))
			return nl_error_set(
			    err, EINVAL, "node %s: status.addresses[%zu]: type or address missing",
			    out->name, i);
		if (strcmp(json_string_value(type), "InternalIP"))
			continue;
		union ipvs_addr ip;
		int fam = parse_ip(json_string_value(addr), &ip);
		if (fam < 0)
			return nl_error_set(
			    err, EINVAL,
			    "node %s: status.addresses[%zu] (InternalIP) \"%s\": not an IP "
			    "address",
			    out->name, i, shown(json_string_value(addr), b, sizeof(b)));
		if (fam == af && !out->af) {
			out->af = af;
			out->addr = ip;
			inet_ntop(af, &ip, out->addr_text, sizeof(out->addr_text));
		}
	}
	if (!out->af)
		return nl_error_set(err, EINVAL, "node %s: no %s InternalIP in status.addresses",
				    out->name, af == AF_INET6 ? "IPv6" : "IPv4");
	return 0;
}

int backend_node_parse(const json_t *node, int af, struct backend_node *out, struct nl_error *err)
{
	memset(out, 0, sizeof(*out));
	int r = parse_name(node, out, err);
	if (r < 0)
		return r;
	const json_t *status = json_object_get(node, "status");
	if (status && !json_is_null(status) && !json_is_object(status))
		return nl_error_set(err, EINVAL, "node %s: status: not an object", out->name);
	if ((r = parse_labels(node, out, err)) < 0 || (r = parse_ready(status, out, err)) < 0 ||
	    (r = parse_address(status, af, out, err)) < 0)
		return r;
	return 0;
}

/* ---- the table ---------------------------------------------------------------------------- */

bool backend_is_candidate(const struct backend *b)
{
	return b->node.ready && b->node.control_plane;
}

/* No candidate passes its checks (UNKNOWN counts as passing): the checks are more likely wrong
 * (this node cut off or starved, a certificate without the name asked for) than every
 * apiserver dead, and an empty service refuses every connection. */
static bool failing_open(const struct backends *t)
{
	size_t candidates = 0;
	for (size_t i = 0; i < t->n; i++) {
		if (!backend_is_candidate(&t->b[i]))
			continue;
		if (t->b[i].health != BACKEND_UNHEALTHY)
			return false;
		candidates++;
	}
	return candidates > 0;
}

bool backends_wants(const struct backends *t, const struct backend *b)
{
	return backend_is_candidate(b) && (b->health != BACKEND_UNHEALTHY || failing_open(t));
}

static struct backend *find(struct backends *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->b[i].node.name, name))
			return &t->b[i];
	return NULL;
}

const struct backend *backends_find(const struct backends *t, const char *name)
{
	return find((struct backends *)t, name);
}

void backends_init(struct backends *t, int af, uint16_t port, uint32_t fwd,
		   const struct backends_hooks *hooks)
{
	memset(t, 0, sizeof(*t));
	t->af = af;
	t->port = port;
	t->fwd = fwd;
	if (hooks)
		t->hooks = *hooks;
}

static void report_ignored(struct backends *t, const char *name, const char *why)
{
	if (t->hooks.ignored)
		t->hooks.ignored(t->hooks.arg, name, why);
}

static unsigned report(struct backends *t, struct backend *b, bool in, const char *why)
{
	b->in_service = in;
	if (t->hooks.changed)
		t->hooks.changed(t->hooks.arg, b, in, why);
	return 1;
}

/* Brings b's in_service in line with the rules; reports a change with `why`. 0 or 1. */
static unsigned settle(struct backends *t, struct backend *b, const char *why)
{
	bool in = backends_wants(t, b);
	return in == b->in_service ? 0 : report(t, b, in, why);
}

#define FAIL_OPEN_REASON "no backend passes its health check: all are used (fail open)"
#define READY_REASON	 "node is a Ready control-plane node"

/* After any change: the others whose membership moved with the fail-open state. */
static unsigned settle_all(struct backends *t)
{
	unsigned changes = 0;
	for (size_t i = 0; i < t->n; i++)
		changes += settle(t, &t->b[i],
				  failing_open(t) ? FAIL_OPEN_REASON
						  : "health check failed (another backend passes)");
	return changes;
}

/* Why a backend is in the service (for the "added" line). */
static const char *in_reason(const struct backend *b)
{
	return b->health == BACKEND_UNHEALTHY ? FAIL_OPEN_REASON : READY_REASON;
}

/* Why a backend is not in the service (for the "removed" line). */
static const char *out_reason(const struct backend *b)
{
	if (!b->node.ready)
		return "node is not Ready";
	if (!b->node.control_plane)
		return "node is no longer labelled control-plane";
	return "health check failed";
}

/* Takes entry `i` out of the table, reporting its exit from the service. */
static unsigned drop(struct backends *t, size_t i, const char *why)
{
	struct backend *b = &t->b[i];
	unsigned changes = b->in_service ? report(t, b, false, why) : 0;
	memmove(&t->b[i], &t->b[i + 1], (t->n - i - 1) * sizeof(t->b[0]));
	t->n--;
	return changes;
}

static unsigned insert(struct backends *t, const struct backend_node *n)
{
	if (t->n == BACKENDS_MAX) {
		char why[BACKENDS_WHY_MAX];
		snprintf(why, sizeof(why), "node %s: the table is full (%d nodes)", n->name,
			 BACKENDS_MAX);
		report_ignored(t, n->name, why);
		return 0;
	}
	struct backend *b = &t->b[t->n++];
	memset(b, 0, sizeof(*b));
	b->node = *n;
	return settle(t, b, READY_REASON);
}

static void forget_health(struct backend *b)
{
	b->health = BACKEND_UNKNOWN;
	b->fails = b->passes = 0;
}

/* ADDED or MODIFIED for a node already in the table. */
static unsigned update(struct backends *t, struct backend *b, const struct backend_node *n)
{
	unsigned changes = 0;
	bool moved = memcmp(&b->node.addr, &n->addr, sizeof(n->addr)) != 0;
	if (moved && b->in_service) /* the old destination leaves under its old address */
		changes += report(t, b, false, "address changed");
	bool was_candidate = backend_is_candidate(b);
	b->node = *n;
	if (moved || !was_candidate || !backend_is_candidate(b))
		forget_health(b);
	const char *why = moved			 ? "address changed"
			  : backends_wants(t, b) ? in_reason(b)
						 : out_reason(b);
	return changes + settle(t, b, why);
}

static unsigned upsert(struct backends *t, const struct backend_node *n)
{
	struct backend *b = find(t, n->name);
	return b ? update(t, b, n) : insert(t, n);
}

/* A node that failed to parse: reported, and out of the table if it was in. */
static unsigned reject(struct backends *t, const json_t *node, const char *why)
{
	struct backend_node id;
	bool named = parse_name(node, &id, NULL) == 0;
	report_ignored(t, named ? id.name : "", why);
	struct backend *b = named ? find(t, id.name) : NULL;
	if (!b)
		return 0;
	char reason[BACKENDS_WHY_MAX + 16];
	snprintf(reason, sizeof(reason), "node ignored: %s", why);
	return drop(t, (size_t)(b - t->b), reason);
}

static unsigned apply_node(struct backends *t, const json_t *node)
{
	struct backend_node n;
	struct nl_error err;
	if (backend_node_parse(node, t->af, &n, &err) < 0)
		return reject(t, node, err.msg);
	return upsert(t, &n);
}

static unsigned delete_node(struct backends *t, const json_t *node)
{
	struct backend_node id;
	struct nl_error err;
	if (parse_name(node, &id, &err) < 0) {
		report_ignored(t, "", err.msg);
		return 0;
	}
	struct backend *b = find(t, id.name);
	return b ? drop(t, (size_t)(b - t->b), "node deleted") : 0;
}

unsigned backends_event(struct backends *t, enum kc_event_type type, const json_t *node)
{
	switch (type) {
	case KC_EV_ADDED:
	case KC_EV_MODIFIED:
		return apply_node(t, node) + settle_all(t);
	case KC_EV_DELETED:
		return delete_node(t, node) + settle_all(t);
	default:
		return 0;
	}
}

/* Whether `name` is the name of one of `items` (a list keeps only what it names). */
static bool listed(const json_t *items, const char *name)
{
	size_t i;
	const json_t *it;
	json_array_foreach(items, i, it)
	{
		const json_t *v = json_object_get(json_object_get(it, "metadata"), "name");
		if (json_is_string(v) && !strcmp(json_string_value(v), name))
			return true;
	}
	return false;
}

unsigned backends_list(struct backends *t, const json_t *items)
{
	unsigned changes = 0;
	for (size_t i = t->n; i-- > 0;)
		if (!json_is_array(items) || !listed(items, t->b[i].node.name))
			changes += drop(t, i, "node deleted (not in the node list)");
	size_t i;
	const json_t *it;
	json_array_foreach(items, i, it) changes += apply_node(t, it);
	return changes + settle_all(t);
}

unsigned backends_health(struct backends *t, const char *name, const char *addr_text, bool ok,
			 const char *detail)
{
	struct backend *b = find(t, name);
	if (!b || strcmp(b->node.addr_text, addr_text) || !backend_is_candidate(b))
		return 0;
	if (ok) {
		b->fails = 0;
		if (++b->passes >= BACKENDS_RISE)
			b->health = BACKEND_HEALTHY;
		return settle(t, b, "health check passed") + settle_all(t);
	}
	b->passes = 0;
	if (++b->fails >= BACKENDS_FALL)
		b->health = BACKEND_UNHEALTHY;
	char why[BACKENDS_WHY_MAX + 32];
	snprintf(why, sizeof(why), "health check failed: %s", detail && *detail ? detail : "?");
	return settle(t, b, why) + settle_all(t);
}

/* ---- the desired destinations ------------------------------------------------------------- */

static int dest_cmp(const void *a, const void *b)
{
	const struct ipvs_dest *x = a, *y = b;
	int c = memcmp(&x->addr, &y->addr, sizeof(x->addr));
	return c ? c : (int)x->port - (int)y->port;
}

size_t backends_desired(const struct backends *t, struct ipvs_dest *out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < t->n && n < max; i++) {
		const struct backend *b = &t->b[i];
		if (!b->in_service)
			continue;
		out[n++] = (struct ipvs_dest){
		    .af = t->af, .addr = b->node.addr, .port = t->port, .fwd = t->fwd, .weight = 1};
	}
	qsort(out, n, sizeof(*out), dest_cmp);
	/* Two nodes claiming one address (a renamed node, a copied config) are one destination:
	 * IPVS refuses duplicates. */
	size_t u = 0;
	for (size_t i = 0; i < n; i++)
		if (u == 0 || dest_cmp(&out[u - 1], &out[i]) != 0)
			out[u++] = out[i];
	return u;
}

void backends_count(const struct backends *t, size_t *candidates, size_t *healthy)
{
	size_t c = 0, h = 0;
	for (size_t i = 0; i < t->n; i++) {
		c += backend_is_candidate(&t->b[i]);
		h += backend_is_candidate(&t->b[i]) && t->b[i].health == BACKEND_HEALTHY;
	}
	*candidates = c;
	*healthy = h;
}
