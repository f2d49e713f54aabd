/*
 * profile.c — the profile store. config.json is the provisioner's only memory of a cluster, so
 * it is read strictly (a field that is missing, mistyped or inconsistent with the others is
 * refused with a one-line reason naming it and its value, never guessed at), written
 * atomically, and changed only under the profile's lock.
 *
 * Sections: rules on single values (name, subnet, version, interface) → JSON parse → JSON
 * format → files (save, load, remove, list, lock) → building a profile (init, nodes).
 */
#include "profile.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"

#define CONFIG_MAX (1024 * 1024) /* config.json is a few kB; anything this big is not ours */
#define SHOW_MAX   72		 /* a value quoted in a message */
#define PID_MAX	   4194304	 /* Linux's PID_MAX_LIMIT */
#define SUBNET_MIN 16
#define SUBNET_MAX 29
#define RULE_MAX   96

/* --- rules on single values: each returns NULL when the value is fine, else the rule broken --- */

static const char *name_rule(const char *name, char *buf, size_t len)
{
	size_t n = strlen(name);
	if (n == 0)
		return "is empty";
	if (n > PROFILE_NAME_MAX)
		return "is longer than 40 characters";
	if (name[0] < 'a' || name[0] > 'z')
		return "does not start with a letter a-z";
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)name[i];
		if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-')
			continue;
		if (ch > ' ' && ch < 0x7f && ch != '\'' && ch != '\\')
			snprintf(buf, len, "has '%c'; only a-z, 0-9 and '-' are allowed", ch);
		else
			snprintf(buf, len, "has byte 0x%02x; only a-z, 0-9 and '-' are allowed",
				 ch);
		return buf;
	}
	if (name[n - 1] == '-')
		return "ends in '-'";
	return NULL;
}

static const char *version_rule(const char *v)
{
	if (v[0] != 'v' || v[1] < '0' || v[1] > '9')
		return "is not a Kubernetes version like \"v1.34.4\"";
	for (const char *s = v; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.+-",
			    *s))
			return "is not a Kubernetes version like \"v1.34.4\"";
	return NULL;
}

/* What the kernel's dev_valid_name() accepts, less anything unprintable. */
static const char *ifname_rule(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > 15 || !strcmp(name, ".") || !strcmp(name, ".."))
		return "is not an interface name (1..15 characters)";
	for (size_t i = 0; i < n; i++)
		if (name[i] <= ' ' || name[i] >= 0x7f || name[i] == '/' || name[i] == ':')
			return "is not an interface name (no '/', ':', spaces or control bytes)";
	return NULL;
}

static const char *provider_rule(const char *v)
{
	return strcmp(v, "vipd") && strcmp(v, "kube-vip") && strcmp(v, "none")
		   ? "is not one of \"vipd\", \"kube-vip\", \"none\""
		   : NULL;
}

static const char *election_rule(const char *v)
{
	return strcmp(v, "lease") && strcmp(v, "etcd") ? "is not one of \"lease\", \"etcd\"" : NULL;
}

/* An IPv4 subnet and the addresses derived from it (host byte order). */
struct subnet {
	uint32_t net, gateway, vip;
	unsigned plen;
	unsigned max_id; /* the highest node id whose address (gateway + id) stays below the vip */
};

static bool ip_parse(const char *text, uint32_t *out)
{
	struct in_addr a;
	if (inet_pton(AF_INET, text, &a) != 1)
		return false;
	*out = ntohl(a.s_addr);
	return true;
}

static void ip_format(uint32_t ip, char buf[16])
{
	struct in_addr a = {.s_addr = htonl(ip)};
	inet_ntop(AF_INET, &a, buf, 16);
}

/* Parses "a.b.c.d/len", len 16..29 without leading zeros, host bits clear. */
static const char *subnet_rule(const char *text, struct subnet *s, char *buf, size_t len)
{
	static const char *const shape = "is not an IPv4 prefix a.b.c.d/len";
	const char *slash = strchr(text, '/');
	char addr[16];
	size_t alen = slash ? (size_t)(slash - text) : 0;
	if (!slash || alen >= sizeof(addr))
		return shape;
	memcpy(addr, text, alen);
	addr[alen] = '\0';
	const char *d = slash + 1;
	size_t dlen = strlen(d);
	if (!ip_parse(addr, &s->net) || dlen < 1 || dlen > 2 || strspn(d, "0123456789") != dlen ||
	    (dlen == 2 && d[0] == '0'))
		return shape;
	s->plen = (unsigned)atoi(d);
	if (s->plen < SUBNET_MIN || s->plen > SUBNET_MAX) {
		snprintf(buf, len, "has prefix length %u; it must be %u..%u", s->plen, SUBNET_MIN,
			 SUBNET_MAX);
		return buf;
	}
	uint32_t mask = ~0u << (32 - s->plen);
	if (s->net & ~mask) {
		char net[16];
		ip_format(s->net & mask, net);
		snprintf(buf, len, "has host bits set (the network is %s/%u)", net, s->plen);
		return buf;
	}
	s->gateway = s->net + 1;
	s->vip = (s->net | ~mask) - 1;
	uint32_t room = s->vip - s->gateway - 1;
	s->max_id = room < PROFILE_MAX_ID ? room : PROFILE_MAX_ID;
	return NULL;
}

/* "quoted", with anything unprintable escaped and long values cut, so a message stays one line. */
static const char *show_str(const char *s, char *buf, size_t len)
{
	size_t o = 0;
	buf[o++] = '"';
	for (; *s && o + 10 < len; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			o += (size_t)snprintf(buf + o, len - o, "\\%c", ch);
		else if (ch < ' ' || ch >= 0x7f)
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", ch);
		else
			buf[o++] = (char)ch;
	}
	snprintf(buf + o, len - o, "%s\"", *s ? "..." : "");
	return buf;
}

static const char *show_json(const json_t *v, char *buf, size_t len)
{
	if (json_is_string(v))
		return show_str(json_string_value(v), buf, len);
	char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_ENSURE_ASCII);
	if (!text)
		snprintf(buf, len, "(a value)");
	else if (strlen(text) >= len)
		snprintf(buf, len, "%.*s...", (int)len - 4, text);
	else
		snprintf(buf, len, "%s", text);
	free(text);
	return buf;
}

int profile_name_check(const char *name, char *why, size_t why_len)
{
	char rule[RULE_MAX], shown[SHOW_MAX];
	const char *broken = name ? name_rule(name, rule, sizeof(rule)) : "is missing";
	if (!broken)
		return 0;
	snprintf(why, why_len, "profile name %s: %s",
		 show_str(name ? name : "", shown, sizeof(shown)), broken);
	return -EINVAL;
}

/* --- JSON → profile --- */

struct pctx {
	char *why;
	size_t why_len;
	const char *prefix; /* "" or "nodes[3]." */
};

/* `profile field "<prefix><key>": <value> <what is wrong>`; value NULL: the field itself. */
__attribute__((format(printf, 4, 5))) static int bad(const struct pctx *c, const char *key,
						     const char *value, const char *fmt, ...)
{
	char what[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (value)
		snprintf(c->why, c->why_len, "profile field \"%s%s\": %s %s", c->prefix, key, value,
			 what);
	else
		snprintf(c->why, c->why_len, "profile field \"%s%s\" %s", c->prefix, key, what);
	return -EINVAL;
}

static int bad_str(const struct pctx *c, const char *key, const char *value, const char *what)
{
	char shown[SHOW_MAX];
	return bad(c, key, show_str(value, shown, sizeof(shown)), "%s", what);
}

static int check_keys(const struct pctx *c, const json_t *obj, const char *const *known)
{
	json_t *o = (json_t *)obj;
	for (void *it = json_object_iter(o); it; it = json_object_iter_next(o, it)) {
		const char *key = json_object_iter_key(it);
		size_t i = 0;
		while (known[i] && strcmp(known[i], key))
			i++;
		if (!known[i]) {
			char full[SHOW_MAX * 2], shown[SHOW_MAX];
			snprintf(full, sizeof(full), "%s%s", c->prefix, key);
			snprintf(c->why, c->why_len, "profile field %s is not a known field",
				 show_str(full, shown, sizeof(shown)));
			return -EINVAL;
		}
	}
	return 0;
}

static const json_t *get(const struct pctx *c, const json_t *obj, const char *key, int *err)
{
	const json_t *v = json_object_get(obj, key);
	if (!v)
		*err = bad(c, key, NULL, "is missing");
	return v;
}

static int get_str(const struct pctx *c, const json_t *obj, const char *key, char *dst, size_t cap)
{
	int err = 0;
	const json_t *v = get(c, obj, key, &err);
	char shown[SHOW_MAX];
	if (!v)
		return err;
	if (!json_is_string(v))
		return bad(c, key, show_json(v, shown, sizeof(shown)), "is not a string");
	size_t n = json_string_length(v);
	if (strlen(json_string_value(v)) != n)
		return bad(c, key, show_json(v, shown, sizeof(shown)), "has a NUL byte");
	if (n >= cap)
		return bad(c, key, show_json(v, shown, sizeof(shown)),
			   "is longer than %zu characters", cap - 1);
	memcpy(dst, json_string_value(v), n + 1);
	return 0;
}

static int get_int(const struct pctx *c, const json_t *obj, const char *key, json_int_t min,
		   json_int_t max, json_int_t *out)
{
	int err = 0;
	const json_t *v = get(c, obj, key, &err);
	char shown[SHOW_MAX];
	if (!v)
		return err;
	if (!json_is_integer(v))
		return bad(c, key, show_json(v, shown, sizeof(shown)), "is not an integer");
	*out = json_integer_value(v);
	if (*out < min || *out > max)
		return bad(c, key, show_json(v, shown, sizeof(shown)),
			   "is out of range %" JSON_INTEGER_FORMAT "..%" JSON_INTEGER_FORMAT, min,
			   max);
	return 0;
}

static int get_bool(const struct pctx *c, const json_t *obj, const char *key, bool *out)
{
	int err = 0;
	const json_t *v = get(c, obj, key, &err);
	char shown[SHOW_MAX];
	if (!v)
		return err;
	if (!json_is_boolean(v))
		return bad(c, key, show_json(v, shown, sizeof(shown)), "is not true or false");
	*out = json_is_true(v);
	return 0;
}

/* A string field that must equal the address `want`. */
static int get_addr(const struct pctx *c, const json_t *obj, const char *key, char dst[16],
		    uint32_t want, const char *what)
{
	int err = get_str(c, obj, key, dst, 16);
	uint32_t ip;
	char expect[16];
	if (err)
		return err;
	if (!ip_parse(dst, &ip))
		return bad_str(c, key, dst, "is not an IPv4 address");
	ip_format(want, expect);
	if (ip != want) {
		char shown[SHOW_MAX];
		return bad(c, key, show_str(dst, shown, sizeof(shown)), "is not %s (%s)", what,
			   expect);
	}
	return 0;
}

static int parse_node_id(const struct pctx *c, const json_t *o, const struct profile *p,
			 struct profile_node *n)
{
	json_int_t id;
	char shown[24];
	int err = get_int(c, o, "id", 1, PROFILE_MAX_ID, &id);
	if (err)
		return err;
	n->id = (unsigned)id;
	snprintf(shown, sizeof(shown), "%u", n->id);
	if (n->id > p->last_id)
		return bad(c, "id", shown, "is above last_id %u", p->last_id);
	for (const struct profile_node *m = p->nodes; m < n; m++)
		if (m->id == n->id)
			return bad(c, "id", shown, "is used by two nodes");
	return 0;
}

static int parse_node_name(const struct pctx *c, const json_t *o, const struct profile *p,
			   struct profile_node *n)
{
	int err = get_str(c, o, "name", n->name, sizeof(n->name));
	char want[sizeof(n->name)], shown[SHOW_MAX];
	if (err)
		return err;
	if (n->id == 1)
		snprintf(want, sizeof(want), "%s", p->name);
	else
		snprintf(want, sizeof(want), "%s-m%02u", p->name, n->id);
	if (strcmp(n->name, want))
		return bad(c, "name", show_str(n->name, shown, sizeof(shown)),
			   "does not match id %u (want \"%s\")", n->id, want);
	return 0;
}

static int parse_node(const struct pctx *c, const json_t *o, const struct profile *p,
		      const struct subnet *s, struct profile_node *n)
{
	static const char *const keys[] = {"name",     "id",	   "control_plane", "ip",
					   "pod_cidr", "init_pid", "init_start",    NULL};
	char want[32];
	json_int_t v;
	int err;
	if ((err = check_keys(c, o, keys)) || (err = parse_node_id(c, o, p, n)) ||
	    (err = parse_node_name(c, o, p, n)) ||
	    (err = get_bool(c, o, "control_plane", &n->control_plane)) ||
	    (err = get_addr(c, o, "ip", n->ip, s->gateway + n->id, "gateway + id")) ||
	    (err = get_str(c, o, "pod_cidr", n->pod_cidr, sizeof(n->pod_cidr))))
		return err;
	snprintf(want, sizeof(want), "10.244.%u.0/24", n->id);
	if (strcmp(n->pod_cidr, want)) {
		char shown[SHOW_MAX];
		return bad(c, "pod_cidr", show_str(n->pod_cidr, shown, sizeof(shown)),
			   "is not %s for id %u", want, n->id);
	}
	if ((err = get_int(c, o, "init_pid", 0, PID_MAX, &v)))
		return err;
	n->init_pid = (pid_t)v;
	if ((err = get_int(c, o, "init_start", 0, INT64_MAX, &v)))
		return err;
	n->init_start = (uint64_t)v;
	return 0;
}

static int parse_nodes(const struct pctx *c, const json_t *top, struct profile *p,
		       const struct subnet *s)
{
	int err = 0;
	const json_t *arr = get(c, top, "nodes", &err);
	char shown[SHOW_MAX], prefix[32];
	if (!arr)
		return err;
	if (!json_is_array(arr))
		return bad(c, "nodes", show_json(arr, shown, sizeof(shown)), "is not an array");
	if (json_array_size(arr) > PROFILE_MAX_NODES)
		return bad(c, "nodes", NULL, "has %zu nodes; at most %d are allowed",
			   json_array_size(arr), PROFILE_MAX_NODES);
	struct pctx nc = {c->why, c->why_len, prefix};
	for (size_t i = 0; i < json_array_size(arr); i++) {
		const json_t *o = json_array_get(arr, i);
		snprintf(prefix, sizeof(prefix), "nodes[%zu]", i);
		if (!json_is_object(o))
			return bad(c, prefix, show_json(o, shown, sizeof(shown)),
				   "is not an object");
		strcat(prefix, ".");
		if ((err = parse_node(&nc, o, p, s, &p->nodes[i])))
			return err;
		p->n_nodes = i + 1;
	}
	return 0;
}

static int parse_rule(const struct pctx *c, const char *key, const char *value, const char *broken)
{
	return broken ? bad_str(c, key, value, broken) : 0;
}

/* Optional (profiles written before it have none): "lease" when absent; etcd only with vipd. */
static int parse_election(const struct pctx *c, const json_t *top, struct profile *p)
{
	int err = 0;
	snprintf(p->vip_election, sizeof(p->vip_election), "lease");
	if (json_object_get(top, "vip_election") &&
	    ((err = get_str(c, top, "vip_election", p->vip_election, sizeof(p->vip_election))) ||
	     (err =
		  parse_rule(c, "vip_election", p->vip_election, election_rule(p->vip_election)))))
		return err;
	if (!strcmp(p->vip_election, "etcd") && strcmp(p->vip_provider, "vipd"))
		return bad_str(c, "vip_election", p->vip_election,
			       "is only for vip_provider \"vipd\"");
	return 0;
}

static int parse_identity(const struct pctx *c, const json_t *top, struct profile *p)
{
	char rule[RULE_MAX];
	int err;
	if ((err = get_str(c, top, "name", p->name, sizeof(p->name))) ||
	    (err = parse_rule(c, "name", p->name, name_rule(p->name, rule, sizeof(rule)))) ||
	    (err = get_str(c, top, "driver", p->driver, sizeof(p->driver))) ||
	    (err = parse_rule(c, "driver", p->driver,
			      strcmp(p->driver, "namespaces") ? "is not \"namespaces\"" : NULL)) ||
	    (err = get_str(c, top, "runtime", p->runtime, sizeof(p->runtime))) ||
	    (err = parse_rule(c, "runtime", p->runtime,
			      strcmp(p->runtime, "containerd") && strcmp(p->runtime, "none")
				  ? "is not \"containerd\" or \"none\""
				  : NULL)))
		return err;
	return 0;
}

static int parse_network(const struct pctx *c, const json_t *top, struct profile *p,
			 struct subnet *s)
{
	char rule[RULE_MAX];
	json_int_t v;
	int err;
	if ((err = get_str(c, top, "subnet", p->subnet, sizeof(p->subnet))) ||
	    (err = parse_rule(c, "subnet", p->subnet,
			      subnet_rule(p->subnet, s, rule, sizeof(rule)))) ||
	    (err = get_addr(c, top, "gateway", p->gateway, s->gateway,
			    "the subnet's first address")) ||
	    (err = get_addr(c, top, "vip", p->vip, s->vip, "the subnet's last usable address")) ||
	    (err = get_int(c, top, "apiserver_port", 1, 65535, &v)))
		return err;
	p->apiserver_port = (unsigned)v;
	if ((err = get_str(c, top, "bridge", p->bridge, sizeof(p->bridge))) ||
	    (err = parse_rule(c, "bridge", p->bridge, ifname_rule(p->bridge))) ||
	    (err = get_bool(c, top, "lb_enable", &p->lb_enable)) ||
	    (err = get_bool(c, top, "ha", &p->ha)))
		return err;
	return 0;
}

static int parse_cluster(const struct pctx *c, const json_t *top, struct profile *p,
			 const struct subnet *s)
{
	json_int_t v;
	int err;
	if ((err = get_str(c, top, "k8s_version", p->k8s_version, sizeof(p->k8s_version))) ||
	    (err = parse_rule(c, "k8s_version", p->k8s_version, version_rule(p->k8s_version))) ||
	    (err = get_str(c, top, "vip_provider", p->vip_provider, sizeof(p->vip_provider))) ||
	    (err =
		 parse_rule(c, "vip_provider", p->vip_provider, provider_rule(p->vip_provider))) ||
	    (err = parse_election(c, top, p)) ||
	    (err = get_int(c, top, "last_id", 0, PROFILE_MAX_ID, &v)))
		return err;
	p->last_id = (unsigned)v;
	if (p->last_id > s->max_id) {
		char shown[24];
		snprintf(shown, sizeof(shown), "%u", p->last_id);
		return bad(c, "last_id", shown,
			   "is above %u, the last node id subnet %s has addresses for", s->max_id,
			   p->subnet);
	}
	if ((err = get_int(c, top, "created", 0, INT64_MAX, &v)))
		return err;
	p->created = v;
	return parse_nodes(c, top, p, s);
}

static int parse_holder(const struct pctx *c, const json_t *top, struct profile *p)
{
	static const char *const keys[] = {"pid",	"start",      "bindir",
					   "client_ip", "client_pid", NULL};
	const json_t *o = json_object_get(top, "holder");
	char shown[SHOW_MAX];
	json_int_t v;
	int err;
	if (!o && !strcmp(p->runtime, "none"))
		return bad(c, "runtime", "\"none\"", "needs a \"holder\" that runs the nodes");
	if (!o && !strcmp(p->vip_provider, "none"))
		return bad(c, "vip_provider", "\"none\"", "is only for a fixture's \"holder\"");
	if (!o)
		return 0;
	if (!json_is_object(o))
		return bad(c, "holder", show_json(o, shown, sizeof(shown)), "is not an object");
	struct pctx hc = {c->why, c->why_len, "holder."};
	struct profile_holder *h = &p->holder;
	if ((err = check_keys(&hc, o, keys)) || (err = get_int(&hc, o, "pid", 1, PID_MAX, &v)))
		return err;
	h->pid = (pid_t)v;
	if ((err = get_int(&hc, o, "start", 0, INT64_MAX, &v)))
		return err;
	h->start = (uint64_t)v;
	if ((err = get_str(&hc, o, "bindir", h->bindir, sizeof(h->bindir))) ||
	    (err = get_str(&hc, o, "client_ip", h->client_ip, sizeof(h->client_ip))) ||
	    (err = get_int(&hc, o, "client_pid", 0, PID_MAX, &v)))
		return err;
	h->client_pid = (pid_t)v;
	uint32_t ip;
	if (h->client_ip[0] && !ip_parse(h->client_ip, &ip))
		return bad(&hc, "client_ip", show_str(h->client_ip, shown, sizeof(shown)),
			   "is not an IPv4 address");
	return 0;
}

/* jansson's messages may quote raw input: keep the reason one printable line. */
static void one_line(char *why, size_t why_len)
{
	for (size_t i = 0; i < why_len && why[i]; i++)
		if ((unsigned char)why[i] < ' ' || (unsigned char)why[i] >= 0x7f)
			why[i] = '?';
}

static const char *const top_keys[] = {
    "name",	   "driver",	   "runtime",	   "subnet", "gateway",	  "vip", "apiserver_port",
    "k8s_version", "vip_provider", "vip_election", "bridge", "lb_enable", "ha",	 "last_id",
    "created",	   "nodes",	   "holder",	   NULL};

int profile_parse(const char *text, size_t len, struct profile *p, char *why, size_t why_len)
{
	char scratch[8];
	struct pctx c = {why && why_len ? why : scratch, why && why_len ? why_len : sizeof(scratch),
			 ""};
	struct subnet s = {0};
	json_error_t jerr;
	memset(p, 0, sizeof(*p));
	json_t *top = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	int err;
	if (!top) {
		snprintf(c.why, c.why_len, "profile JSON: line %d column %d: %s", jerr.line,
			 jerr.column, jerr.text);
		err = -EINVAL;
	} else if (!json_is_object(top)) {
		snprintf(c.why, c.why_len, "profile JSON: the top level is not an object");
		err = -EINVAL;
	} else {
		err = check_keys(&c, top, top_keys);
		if (!err)
			err = parse_identity(&c, top, p);
		if (!err)
			err = parse_network(&c, top, p, &s);
		if (!err)
			err = parse_cluster(&c, top, p, &s);
		if (!err)
			err = parse_holder(&c, top, p);
	}
	json_decref(top);
	one_line(c.why, c.why_len);
	return err;
}

/* --- profile → JSON --- */

#define STRN(f) (f), strnlen((f), sizeof(f))

static json_t *node_json(const struct profile_node *n)
{
	return json_pack("{s:s%, s:I, s:b, s:s%, s:s%, s:I, s:I}", "name", STRN(n->name), "id",
			 (json_int_t)n->id, "control_plane", (int)n->control_plane, "ip",
			 STRN(n->ip), "pod_cidr", STRN(n->pod_cidr), "init_pid",
			 (json_int_t)n->init_pid, "init_start", (json_int_t)n->init_start);
}

static json_t *profile_json(const struct profile *p)
{
	json_t *nodes = json_array();
	for (size_t i = 0; nodes && i < p->n_nodes && i < PROFILE_MAX_NODES; i++)
		if (json_array_append_new(nodes, node_json(&p->nodes[i]))) {
			json_decref(nodes);
			return NULL;
		}
	if (!nodes)
		return NULL;
	/* The order of struct profile; jansson keeps insertion order. */
	return json_pack(
	    "{s:s%, s:s%, s:s%, s:s%, s:s%, s:s%, s:I, s:s%, s:s%, s:s%, s:s%, s:b, s:b, "
	    "s:I, s:I, s:o}",
	    "name", STRN(p->name), "driver", STRN(p->driver), "runtime", STRN(p->runtime), "subnet",
	    STRN(p->subnet), "gateway", STRN(p->gateway), "vip", STRN(p->vip), "apiserver_port",
	    (json_int_t)p->apiserver_port, "k8s_version", STRN(p->k8s_version), "vip_provider",
	    STRN(p->vip_provider), "vip_election", STRN(p->vip_election), "bridge", STRN(p->bridge),
	    "lb_enable", (int)p->lb_enable, "ha", (int)p->ha, "last_id", (json_int_t)p->last_id,
	    "created", (json_int_t)p->created, "nodes", nodes);
}

static int add_holder(json_t *j, const struct profile_holder *h)
{
	if (!j || !h->pid)
		return 0;
	return json_object_set_new(
	    j, "holder",
	    json_pack("{s:I, s:I, s:s%, s:s%, s:I}", "pid", (json_int_t)h->pid, "start",
		      (json_int_t)h->start, "bindir", STRN(h->bindir), "client_ip",
		      STRN(h->client_ip), "client_pid", (json_int_t)h->client_pid));
}

char *profile_format(const struct profile *p)
{
	json_t *j = profile_json(p);
	if (add_holder(j, &p->holder) < 0) {
		json_decref(j);
		return NULL;
	}
	char *text = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
	json_decref(j);
	if (!text)
		return NULL;
	size_t n = strlen(text);
	char *out = realloc(text, n + 2); /* a text file ends in a newline */
	if (!out) {
		free(text);
		return NULL;
	}
	out[n] = '\n';
	out[n + 1] = '\0';
	return out;
}

/* --- files --- */

int profile_home(char *buf, size_t len)
{
	const char *home = getenv("PROVISIONER_HOME");
	if (home && *home)
		return fs_path(buf, len, "%s", home);
	home = getenv("HOME");
	if (!home || !*home)
		return -ENOENT;
	return fs_path(buf, len, "%s/.provisioner", home);
}

int profile_dir(const char *home, const char *name, char *buf, size_t len)
{
	if (!home || !*home || profile_name_check(name, NULL, 0))
		return -EINVAL;
	return fs_path(buf, len, "%s/profiles/%s", home, name);
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int err = fsync(fd) < 0 ? -errno : 0;
	close(fd);
	return err;
}

/* dir/config.json.tmp (0600, fresh), fsync, rename over dir/config.json, fsync dir. */
static int write_config(const char *dir, const char *text)
{
	char tmp[PATH_MAX], path[PATH_MAX];
	int err;
	if ((err = fs_path(tmp, sizeof(tmp), "%s/config.json.tmp", dir)) ||
	    (err = fs_path(path, sizeof(path), "%s/config.json", dir)))
		return err;
	if (unlink(tmp) < 0 && errno != ENOENT) /* left by a command that died mid-save */
		return -errno;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	err = write_all(fd, text, strlen(text));
	if (!err && fsync(fd) < 0)
		err = -errno;
	if (close(fd) < 0 && !err)
		err = -errno;
	if (!err && rename(tmp, path) < 0)
		err = -errno;
	if (err) {
		unlink(tmp);
		return err;
	}
	return fsync_dir(dir);
}

int profile_save(const char *home, const struct profile *p)
{
	char dir[PATH_MAX];
	int err = profile_dir(home, p->name, dir, sizeof(dir));
	return err ? err : profile_save_dir(dir, p);
}

int profile_save_dir(const char *dir, const struct profile *p)
{
	int err;
	char *text = profile_format(p);
	if (!text)
		return -ENOMEM;
	/* Never write what profile_load would refuse. */
	struct profile *check = malloc(sizeof(*check));
	err = !check ? -ENOMEM : profile_parse(text, strlen(text), check, NULL, 0);
	free(check);
	if (!err)
		err = fs_mkdirs(dir, 0700);
	if (!err)
		err = write_config(dir, text);
	free(text);
	return err;
}

/* Reads all of fd into a malloc'd buffer of at most CONFIG_MAX bytes; -EFBIG when larger. */
static int read_capped(int fd, char **out, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	while (buf) {
		if (n == cap) {
			char *nb = cap > CONFIG_MAX ? NULL : realloc(buf, cap * 2);
			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			int err = r < 0 ? -errno : n > CONFIG_MAX ? -EFBIG : 0;
			if (err)
				free(buf);
			*out = err ? NULL : buf;
			*len = n;
			return err;
		}
		n += (size_t)r;
	}
	free(buf);
	return n > CONFIG_MAX ? -EFBIG : -ENOMEM;
}

int profile_load(const char *home, const char *name, struct profile *p, char *why, size_t why_len)
{
	char dir[PATH_MAX], dummy[8];
	if (!why || !why_len) {
		why = dummy;
		why_len = sizeof(dummy);
	}
	int err = profile_dir(home, name, dir, sizeof(dir));
	if (err) {
		snprintf(why, why_len, "profile \"%s\": no usable directory name",
			 name ? name : "");
		return err;
	}
	err = profile_load_dir(dir, p, why, why_len);
	if (!err && strcmp(p->name, name)) {
		snprintf(why, why_len,
			 "profile field \"name\": \"%s\" is not its directory's name \"%s\"",
			 p->name, name);
		return -EINVAL;
	}
	return err;
}

int profile_load_dir(const char *dir, struct profile *p, char *why, size_t why_len)
{
	char path[PATH_MAX], dummy[8];
	if (!why || !why_len) {
		why = dummy;
		why_len = sizeof(dummy);
	}
	int err = fs_path(path, sizeof(path), "%s/config.json", dir);
	if (err) {
		snprintf(why, why_len, "%s: path too long", dir);
		return err;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		err = -errno;
		snprintf(why, why_len, "%s: %s", path, strerror(-err));
		if (fd >= 0)
			close(fd);
		return err;
	}
	char *text = NULL;
	size_t len = 0;
	err = S_ISREG(st.st_mode) ? read_capped(fd, &text, &len) : -EISDIR;
	close(fd);
	if (err == -EFBIG || err == -EISDIR) {
		snprintf(why, why_len, "%s: %s", path,
			 err == -EFBIG ? "config.json is larger than 1 MiB"
				       : "is not a regular file");
		return -EINVAL;
	}
	if (err) {
		snprintf(why, why_len, "%s: %s", path, strerror(-err));
		return err;
	}
	err = profile_parse(text, len, p, why, why_len);
	free(text);
	return err;
}

int profile_remove(const char *home, const char *name)
{
	char dir[PATH_MAX];
	struct stat st;
	int err = profile_dir(home, name, dir, sizeof(dir));
	if (err)
		return err;
	if (lstat(dir, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	err = fs_rmtree(dir); /* stays on this filesystem: a mount point in it is left */
	if (err)
		return err;
	if (lstat(dir, &st) == 0)
		return -ENOTEMPTY;
	return errno == ENOENT ? 0 : -errno;
}

static bool is_profile_dir(int dfd, const struct dirent *e)
{
	struct stat st;
	if (profile_name_check(e->d_name, NULL, 0))
		return false;
	if (e->d_type != DT_UNKNOWN)
		return e->d_type == DT_DIR;
	return fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

int profile_list(const char *home, char (*names)[PROFILE_NAME_MAX + 1], size_t max, size_t *n)
{
	char path[PATH_MAX];
	int err = fs_path(path, sizeof(path), "%s/profiles", home);
	*n = 0;
	if (err)
		return err;
	DIR *d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!is_profile_dir(dirfd(d), e))
			continue;
		if (*n == max) {
			err = -ENOBUFS;
			break;
		}
		memcpy(names[(*n)++], e->d_name, strlen(e->d_name) + 1); /* checked: ≤ 40 */
	}
	closedir(d);
	if (err) {
		*n = 0;
		return err;
	}
	qsort(names, *n, sizeof(names[0]), name_cmp);
	return 0;
}

/* The lock file we hold is still <dir>/lock (a `delete` may have removed the directory while
 * we waited: then the lock guards nothing and we take it again). */
static bool lock_is_current(int fd, const char *path)
{
	struct stat a, b;
	return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

static int lock_take(int fd, bool *waited, void (*waiting)(void *ctx), void *ctx)
{
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	if (errno != EWOULDBLOCK)
		return -errno;
	if (!*waited && waiting)
		waiting(ctx);
	*waited = true;
	while (flock(fd, LOCK_EX) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

int profile_lock(const char *home, const char *name, void (*waiting)(void *ctx), void *ctx)
{
	char dir[PATH_MAX], path[PATH_MAX];
	bool waited = false;
	int err = profile_dir(home, name, dir, sizeof(dir));
	if (!err)
		err = fs_path(path, sizeof(path), "%s/lock", dir);
	while (!err) {
		if ((err = fs_mkdirs(dir, 0700)))
			break;
		int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			return -errno;
		if ((err = lock_take(fd, &waited, waiting, ctx)) || lock_is_current(fd, path)) {
			if (err)
				close(fd);
			return err ? err : fd;
		}
		close(fd);
	}
	return err;
}

void profile_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* the lock file stays: removing it would race with the next taker */
}

/* --- building a profile --- */

static uint32_t fnv1a(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

static int init_fail(char *why, size_t why_len, const char *what, const char *value,
		     const char *broken)
{
	char shown[SHOW_MAX];
	if (why && why_len)
		snprintf(why, why_len, "%s %s: %s", what,
			 show_str(value ? value : "", shown, sizeof(shown)), broken);
	return -EINVAL;
}

int profile_init(struct profile *p, const char *name, const char *subnet, unsigned port,
		 const char *k8s_version, const char *vip_provider, char *why, size_t why_len)
{
	char rule[RULE_MAX];
	const char *broken;
	struct subnet s;
	memset(p, 0, sizeof(*p));
	if (profile_name_check(name, why, why_len))
		return -EINVAL;
	if (!subnet || (broken = subnet_rule(subnet, &s, rule, sizeof(rule))))
		return init_fail(why, why_len, "subnet", subnet, subnet ? broken : "is missing");
	if (port < 1 || port > 65535) {
		snprintf(rule, sizeof(rule), "%u", port);
		return init_fail(why, why_len, "apiserver port", rule, "is out of range 1..65535");
	}
	if (!k8s_version || (broken = version_rule(k8s_version)) ||
	    strlen(k8s_version) >= sizeof(p->k8s_version))
		return init_fail(why, why_len, "Kubernetes version", k8s_version,
				 k8s_version && !broken ? "is too long"
							: "is not like \"v1.34.4\"");
	if (!vip_provider || (broken = provider_rule(vip_provider)))
		return init_fail(why, why_len, "VIP provider", vip_provider,
				 "is not one of \"vipd\", \"kube-vip\"");
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->driver, sizeof(p->driver), "namespaces");
	snprintf(p->runtime, sizeof(p->runtime), "containerd");
	snprintf(p->subnet, sizeof(p->subnet), "%s", subnet);
	ip_format(s.gateway, p->gateway);
	ip_format(s.vip, p->vip);
	p->apiserver_port = port;
	snprintf(p->k8s_version, sizeof(p->k8s_version), "%s", k8s_version);
	snprintf(p->vip_provider, sizeof(p->vip_provider), "%s", vip_provider);
	snprintf(p->vip_election, sizeof(p->vip_election), "lease");
	snprintf(p->bridge, sizeof(p->bridge), "vp-%08x", fnv1a(name));
	p->created = (int64_t)time(NULL);
	return 0;
}

int profile_node_add(struct profile *p, bool control_plane, struct profile_node **out)
{
	char rule[RULE_MAX];
	struct subnet s;
	unsigned id = p->last_id + 1;
	if (subnet_rule(p->subnet, &s, rule, sizeof(rule)))
		return -EINVAL;
	if (p->n_nodes >= PROFILE_MAX_NODES || id > s.max_id)
		return -ENOSPC;
	struct profile_node *n = &p->nodes[p->n_nodes];
	memset(n, 0, sizeof(*n));
	n->id = id;
	char base[sizeof(p->name)];
	memcpy(base, p->name, sizeof(base)); /* not from *p directly: GCC sees a possible overlap */
	if (id == 1)
		snprintf(n->name, sizeof(n->name), "%s", base);
	else
		snprintf(n->name, sizeof(n->name), "%s-m%02u", base, id);
	n->control_plane = control_plane;
	ip_format(s.gateway + id, n->ip);
	snprintf(n->pod_cidr, sizeof(n->pod_cidr), "10.244.%u.0/24", id);
	p->n_nodes++;
	p->last_id = id;
	if (out)
		*out = n;
	return 0;
}

/* name is n's full name, or p is "web", n is "web-m02" and name is "m02". */
static bool node_is(const struct profile *p, const struct profile_node *n, const char *name)
{
	size_t plen = strlen(p->name);
	if (!strcmp(n->name, name))
		return true;
	return !strncmp(n->name, p->name, plen) && n->name[plen] == '-' &&
	       !strcmp(n->name + plen + 1, name);
}

struct profile_node *profile_node_find(struct profile *p, const char *name)
{
	if (!name || !*name)
		return NULL;
	for (size_t i = 0; i < p->n_nodes; i++)
		if (node_is(p, &p->nodes[i], name))
			return &p->nodes[i];
	return NULL;
}

void profile_node_remove(struct profile *p, struct profile_node *n)
{
	if (n < p->nodes || n >= p->nodes + p->n_nodes)
		return;
	size_t i = (size_t)(n - p->nodes);
	memmove(n, n + 1, (p->n_nodes - i - 1) * sizeof(*n));
	p->n_nodes--;
	memset(&p->nodes[p->n_nodes], 0, sizeof(p->nodes[0]));
}

struct profile_node *profile_primary(struct profile *p)
{
	struct profile_node *best = NULL;
	for (size_t i = 0; i < p->n_nodes; i++)
		if (p->nodes[i].control_plane && (!best || p->nodes[i].id < best->id))
			best = &p->nodes[i];
	return best;
}

size_t profile_control_planes(const struct profile *p)
{
	size_t n = 0;
	for (size_t i = 0; i < p->n_nodes; i++)
		n += p->nodes[i].control_plane;
	return n;
}
