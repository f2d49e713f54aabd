/*
 * mgr_config.c — turns kube-vip's environment variables and flags into one validated struct,
 * so that an existing kube-vip manifest runs vipd unchanged and every bad value is refused at
 * start-up with one line naming it, instead of misbehaving later.
 *
 * One table describes every setting (its environment name, its flag, how it is parsed and
 * where it is stored). Parsing is collect-then-apply: the raw texts are gathered (environment
 * first, flags override), then applied in table order (so `address` is known before
 * `vip_subnet`), then the whole is checked (identity, lock, timings, etcd).
 */
#include "mgr_config.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"

#define DEFAULT_LEASE_NAME "plndr-cp-lock"
#define DEFAULT_NAMESPACE  "kube-system"
#define SHOWN_VALUE_MAX	   64 /* bytes of a value quoted in a message */
#define WARN_VALUE_MAX	   40

enum setting_id {
	S_INTERFACE,
	S_ADDRESS,
	S_SUBNET,
	S_CIDR,
	S_PORT,
	S_ARP,
	S_ARP_RATE,
	S_SKIP_DAD,
	S_CP_ENABLE,
	S_SVC_ENABLE,
	S_PRESERVE,
	S_LOSE,
	S_LOSE_TIMEOUT,
	S_ALLOW_DOWN,
	S_LEADER_ELECTION,
	S_ELECTION_TYPE,
	S_NAMESPACE,
	S_LEASE_NAME,
	S_NODE_NAME,
	S_LEASE_DURATION,
	S_RENEW_DEADLINE,
	S_RETRY_PERIOD,
	S_ANNOTATIONS,
	S_ETCD_ENDPOINTS,
	S_ETCD_CA,
	S_ETCD_CERT,
	S_ETCD_KEY,
	S_KUBECONFIG,
	S_SUPER_ADMIN,
	S_KUBE_ADDR,
	S_LB_ENABLE,
	S_LB_PORT,
	S_LB_FWD,
	S_BACKEND_HC,
	S_GATE,
	S_GATE_FAILURES,
	S_GATE_INTERVAL,
	S_GATE_URL,
	S_PROMETHEUS,
	S_HEALTH_PORT,
	S_LOG_LEVEL,
	S_DNS_MODE,
	S_COUNT
};

enum kind {
	K_STR,	   /* char[size]; then `fn` may check it */
	K_BOOL,	   /* bool; then `fn` may act on it */
	K_UINT,	   /* uint16_t or uint32_t (by size), min..max */
	K_SECONDS, /* int64_t milliseconds from whole seconds min..max */
	K_FN,	   /* `fn` does everything */
	K_LATER,   /* applied by a whole-config step */
};

/* Setting flags. */
#define SF_EMPTY_SETS 1u /* an empty environment value is a value (others: unset, as kube-vip) */
#define SF_NONEMPTY   2u /* an empty value is an error */
#define SF_MULTILINE  4u /* control characters allowed (JSON) */

struct parse;
struct setting;
typedef int (*apply_fn)(struct parse *p, enum setting_id id, const char *v);
typedef void (*show_fn)(const struct mgr_config *c, FILE *out);

struct setting {
	const char *env;  /* NULL: flag only */
	const char *flag; /* "--name"; NULL: environment only */
	enum kind kind;
	size_t off, size; /* the field, for the generic kinds */
	uint32_t min, max;
	const char *expect; /* what a number must be, for messages */
	apply_fn fn;
	show_fn show; /* printing when the generic kinds do not say enough */
	unsigned flags;
};

static int apply_ifname(struct parse *p, enum setting_id id, const char *v);
static int apply_address(struct parse *p, enum setting_id id, const char *v);
static int apply_subnet(struct parse *p, enum setting_id id, const char *v);
static int apply_cidr(struct parse *p, enum setting_id id, const char *v);
static int apply_svc(struct parse *p, enum setting_id id, const char *v);
static int apply_election_type(struct parse *p, enum setting_id id, const char *v);
static int apply_annotations(struct parse *p, enum setting_id id, const char *v);
static int apply_endpoints(struct parse *p, enum setting_id id, const char *v);
static int apply_fwd(struct parse *p, enum setting_id id, const char *v);
static int apply_gate_interval(struct parse *p, enum setting_id id, const char *v);
static int apply_url(struct parse *p, enum setting_id id, const char *v);
static int apply_listen(struct parse *p, enum setting_id id, const char *v);
static int apply_log_level(struct parse *p, enum setting_id id, const char *v);
static int apply_ignored(struct parse *p, enum setting_id id, const char *v);
static void show_address(const struct mgr_config *c, FILE *out);
static void show_namespace(const struct mgr_config *c, FILE *out);
static void show_lease_name(const struct mgr_config *c, FILE *out);
static void show_node_name(const struct mgr_config *c, FILE *out);
static void show_annotations(const struct mgr_config *c, FILE *out);
static void show_endpoints(const struct mgr_config *c, FILE *out);
static void show_fwd(const struct mgr_config *c, FILE *out);
static void show_gate_interval(const struct mgr_config *c, FILE *out);
static void show_log_level(const struct mgr_config *c, FILE *out);

#define AT(f)	    .off = offsetof(struct mgr_config, f), .size = sizeof(((struct mgr_config *)0)->f)
#define PORT_EXPECT "a port 1..65535"

static const struct setting settings[S_COUNT] = {
    [S_INTERFACE] = {"vip_interface", "--interface", K_STR, AT(interface), .fn = apply_ifname},
    [S_ADDRESS] = {"address", "--address", K_FN, .fn = apply_address, .show = show_address},
    [S_SUBNET] = {"vip_subnet", "--vipSubnet", K_FN, .fn = apply_subnet},
    [S_CIDR] = {"vip_cidr", NULL, K_FN, .fn = apply_cidr},
    [S_PORT] = {"port", "--port", K_UINT, AT(port), 1, 65535, PORT_EXPECT},
    [S_ARP] = {"vip_arp", "--arp", K_BOOL, AT(arp)},
    [S_ARP_RATE] = {"vip_arpRate", NULL, K_UINT, AT(arp_rate_ms), 500, UINT32_MAX,
		    "a whole number of milliseconds >= 500"},
    [S_SKIP_DAD] = {"vip_skipdad", NULL, K_BOOL, AT(skip_dad)},
    [S_CP_ENABLE] = {"cp_enable", "--controlplane", K_BOOL, AT(cp_enable)},
    [S_SVC_ENABLE] = {"svc_enable", "--services", K_BOOL, AT(svc_enable), .fn = apply_svc},
    [S_PRESERVE] = {"vip_preserve_on_leadership_loss", "--preserveVipOnLeadershipLoss", K_BOOL,
		    AT(preserve_on_loss)},
    [S_LOSE] = {"vip_loseleadership", "--loseLeadership", K_BOOL, AT(lose_leadership)},
    [S_LOSE_TIMEOUT] = {"vip_loseleadership_timeout_seconds", NULL, K_UINT,
			AT(lose_leadership_timeout_s), 1, 86400,
			"a whole number of seconds 1..86400"},
    [S_ALLOW_DOWN] = {"vip_allow_interface_not_up", "--allowInterfaceNotUp", K_BOOL,
		      AT(allow_interface_not_up)},
    [S_LEADER_ELECTION] = {"vip_leaderelection", "--leaderElection", K_BOOL, AT(leader_election)},
    [S_ELECTION_TYPE] = {NULL, "--leaderElectionType", K_FN, .fn = apply_election_type},
    [S_NAMESPACE] = {"cp_namespace", "--namespace", K_LATER, .show = show_namespace},
    [S_LEASE_NAME] = {"vip_leasename", "--leaseName", K_LATER, .show = show_lease_name},
    [S_NODE_NAME] = {"vip_nodename", "--nodeName", K_LATER, .show = show_node_name},
    [S_LEASE_DURATION] = {"vip_leaseduration", "--leaseDuration", K_SECONDS,
			  AT(election.t.lease_ms), 1, 3600, "a whole number of seconds 1..3600"},
    [S_RENEW_DEADLINE] = {"vip_renewdeadline", "--leaseRenewDuration", K_SECONDS,
			  AT(election.t.renew_ms), 1, 3600, "a whole number of seconds 1..3600"},
    [S_RETRY_PERIOD] = {"vip_retryperiod", "--leaseRetry", K_SECONDS, AT(election.t.retry_ms), 1,
			3600, "a whole number of seconds 1..3600"},
    [S_ANNOTATIONS] = {"vip_leaseannotations", NULL, K_FN, .fn = apply_annotations,
		       .show = show_annotations, .flags = SF_MULTILINE},
    [S_ETCD_ENDPOINTS] = {"vipd_etcd_endpoints", "--etcdEndpoints", K_FN, .fn = apply_endpoints,
			  .show = show_endpoints},
    [S_ETCD_CA] = {"vipd_etcd_cacert", "--etcdCACert", K_STR, AT(etcd_ca)},
    [S_ETCD_CERT] = {"vipd_etcd_cert", "--etcdCert", K_STR, AT(etcd_cert)},
    [S_ETCD_KEY] = {"vipd_etcd_key", "--etcdKey", K_STR, AT(etcd_key)},
    [S_KUBECONFIG] = {"k8s_config_file", "--k8sConfigPath", K_STR, AT(kubeconfig),
		      .flags = SF_NONEMPTY},
    [S_SUPER_ADMIN] = {"vipd_super_admin_kubeconfig", NULL, K_STR, AT(super_admin_kubeconfig)},
    [S_KUBE_ADDR] = {"kubernetes_addr", NULL, K_STR, AT(kubernetes_addr)},
    [S_LB_ENABLE] = {"lb_enable", "--enableLoadBalancer", K_BOOL, AT(lb_enable)},
    [S_LB_PORT] = {"lb_port", "--lbPort", K_UINT, AT(lb_port), 1, 65535, PORT_EXPECT},
    [S_LB_FWD] = {"lb_fwdmethod", "--lbForwardingMethod", K_FN, .fn = apply_fwd, .show = show_fwd},
    [S_BACKEND_HC] = {"backend_health_check_interval", NULL, K_UINT, AT(backend_hc_interval_s), 1,
		      3600, "a whole number of seconds 1..3600"},
    [S_GATE] = {"vipd_health_gate", NULL, K_BOOL, AT(health_gate)},
    [S_GATE_FAILURES] = {"vipd_health_gate_failures", NULL, K_UINT, AT(health_gate_failures), 1,
			 100, "a whole number 1..100"},
    [S_GATE_INTERVAL] = {"vipd_health_gate_interval", NULL, K_FN, .fn = apply_gate_interval,
			 .show = show_gate_interval},
    [S_GATE_URL] = {"vipd_health_gate_url", NULL, K_STR, AT(health_gate_url), .fn = apply_url},
    [S_PROMETHEUS] = {"prometheus_server", "--prometheusHTTPServer", K_STR, AT(prometheus_server),
		      .fn = apply_listen, .flags = SF_EMPTY_SETS},
    [S_HEALTH_PORT] = {"health_check_port", "--healthCheckPort", K_UINT, AT(health_check_port), 0,
		       65535, "0 (off) or a port 1..65535"},
    [S_LOG_LEVEL] = {"vip_loglevel", "--log", K_FN, .fn = apply_log_level, .show = show_log_level},
    [S_DNS_MODE] = {"dns_mode", NULL, K_FN, .fn = apply_ignored},
};

struct parse {
	struct mgr_config *c;
	const char *val[S_COUNT]; /* raw text, NULL when not given */
	const char *src[S_COUNT]; /* the name it was given under (environment name or flag) */
	bool check;
	char *why;
	size_t why_len;
};

/* ---- Messages ---------------------------------------------------------------------------- */

/* Copies `v` for quoting inside "...": escaped so a message stays one line, cut at `max`. */
static void quote(const char *v, size_t max, char *out, size_t len)
{
	size_t o = 0;
	for (size_t i = 0; v[i] && o + 8 < len; i++) {
		unsigned char ch = (unsigned char)v[i];
		if (i == max) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (ch == '"' || ch == '\\')
			o += (size_t)snprintf(out + o, len - o, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			o += (size_t)snprintf(out + o, len - o, "\\x%02x", ch);
		else
			out[o++] = (char)ch;
	}
	out[o] = '\0';
}

/* `NAME "VALUE": reason`, the value shown up to `max` bytes. */
__attribute__((format(printf, 6, 0))) static void compose(char *out, size_t len, size_t max,
							  const char *name, const char *value,
							  const char *fmt, va_list ap)
{
	char q[SHOWN_VALUE_MAX * 4 + 8], reason[384];
	vsnprintf(reason, sizeof(reason), fmt, ap);
	quote(value ? value : "", max, q, sizeof(q));
	snprintf(out, len, "%s \"%s\": %s", name, q, reason);
}

__attribute__((format(printf, 4, 5))) static int fail_as(struct parse *p, const char *name,
							 const char *value, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	compose(p->why, p->why_len, SHOWN_VALUE_MAX, name, value, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static const char *src_of(const struct parse *p, enum setting_id id)
{
	if (p->src[id])
		return p->src[id];
	return settings[id].env ? settings[id].env : settings[id].flag;
}

/* `NAME "VALUE": reason` for setting `id`. */
__attribute__((format(printf, 3, 4))) static int fail(struct parse *p, enum setting_id id,
						      const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	compose(p->why, p->why_len, SHOWN_VALUE_MAX, src_of(p, id), p->val[id], fmt, ap);
	va_end(ap);
	return -EINVAL;
}

__attribute__((format(printf, 3, 4))) static void warn(struct parse *p, enum setting_id id,
						       const char *fmt, ...)
{
	struct mgr_config *c = p->c;
	if (c->n_warnings >= MGR_MAX_WARNINGS)
		return;
	va_list ap;
	va_start(ap, fmt);
	compose(c->warnings[c->n_warnings++], sizeof(c->warnings[0]), WARN_VALUE_MAX, src_of(p, id),
		p->val[id], fmt, ap);
	va_end(ap);
}

/* The reason a parser gave after its own `prefix` (which names the value we name already). */
static const char *reason_after(const char *why, const char *fmt, const char *value)
{
	char prefix[1100];
	snprintf(prefix, sizeof(prefix), fmt, value);
	size_t n = strlen(prefix);
	return strncmp(why, prefix, n) ? why : why + n;
}

/* ---- Values ------------------------------------------------------------------------------ */

/* Go's strconv.ParseBool (case-insensitive) plus yes/no. */
static int parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = {"1", "t", "true", "yes"};
	static const char *const no[] = {"0", "f", "false", "no"};
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcasecmp(v, yes[i]) || !strcasecmp(v, no[i])) {
			*out = !strcasecmp(v, yes[i]);
			return 0;
		}
	}
	return -EINVAL;
}

/* A whole decimal number in min..max: digits only, no sign, no spaces. */
static int parse_uint(const char *v, uint32_t min, uint32_t max, uint32_t *out)
{
	uint64_t n = 0;
	if (!*v)
		return -EINVAL;
	for (const char *s = v; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		n = n * 10 + (uint64_t)(*s - '0');
		if (n > max)
			return -ERANGE;
	}
	if (n < min)
		return -ERANGE;
	*out = (uint32_t)n;
	return 0;
}

static bool has_control(const char *v)
{
	for (; *v; v++) {
		if ((unsigned char)*v < 0x20 || *v == 0x7f)
			return true;
	}
	return false;
}

static bool is_url(const char *v)
{
	return (!strncmp(v, "http://", 7) && v[7]) || (!strncmp(v, "https://", 8) && v[8]);
}

/* ---- Generic kinds ----------------------------------------------------------------------- */

static int apply_str(struct parse *p, enum setting_id id, const char *v)
{
	const struct setting *s = &settings[id];
	size_t n = strlen(v);
	if (n >= s->size)
		return fail(p, id, "longer than %zu bytes", s->size - 1);
	memcpy((char *)p->c + s->off, v, n + 1);
	return 0;
}

static int apply_bool(struct parse *p, enum setting_id id, const char *v)
{
	bool b;
	if (parse_bool(v, &b) < 0)
		return fail(p, id, "expected true or false (or 1/0, yes/no)");
	*(bool *)((char *)p->c + settings[id].off) = b;
	return 0;
}

static int apply_uint(struct parse *p, enum setting_id id, const char *v)
{
	const struct setting *s = &settings[id];
	uint32_t n;
	if (parse_uint(v, s->min, s->max, &n) < 0)
		return fail(p, id, "expected %s", s->expect);
	char *field = (char *)p->c + s->off;
	if (s->kind == K_SECONDS)
		*(int64_t *)field = (int64_t)n * 1000;
	else if (s->size == sizeof(uint16_t))
		*(uint16_t *)field = (uint16_t)n;
	else
		*(uint32_t *)field = n;
	return 0;
}

static int apply_one(struct parse *p, enum setting_id id)
{
	const struct setting *s = &settings[id];
	const char *v = p->val[id];
	int r = 0;
	if (!(s->flags & SF_MULTILINE) && has_control(v))
		return fail(p, id, "contains a control character");
	if ((s->flags & SF_NONEMPTY) && !*v)
		return fail(p, id, "must not be empty");
	switch (s->kind) {
	case K_STR:
		r = apply_str(p, id, v);
		break;
	case K_BOOL:
		r = apply_bool(p, id, v);
		break;
	case K_UINT:
	case K_SECONDS:
		r = apply_uint(p, id, v);
		break;
	case K_FN:
	case K_LATER:
		break;
	}
	if (r == 0 && s->kind != K_LATER && s->fn)
		r = s->fn(p, id, v);
	return r;
}

/* ---- Settings with their own rules ------------------------------------------------------- */

/* The kernel's dev_valid_name(): 1..15 bytes, not "." or "..", no '/', ':' or whitespace. */
static int apply_ifname(struct parse *p, enum setting_id id, const char *v)
{
	size_t n = strlen(v);
	if (n == 0)
		return 0; /* the default-route interface */
	if (n > 15 || !strcmp(v, ".") || !strcmp(v, "..") || strpbrk(v, "/: \t"))
		return fail(p, id,
			    "expected a network interface name of 1 to 15 bytes without '/', ':' "
			    "or spaces");
	return 0;
}

/* An IPv4 or IPv6 host part that is not an address but has letters: a DNS name. */
static bool looks_like_name(const char *host)
{
	size_t n = strcspn(host, "/");
	if (memchr(host, ':', n))
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = host[i];
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_')
			return true;
	}
	return false;
}

static int apply_address(struct parse *p, enum setting_id id, const char *v)
{
	struct mgr_config *c = p->c;
	char first[sizeof(c->address_text)], inner[512];
	size_t n = strlen(v);
	if (n >= sizeof(c->address_text))
		return fail(p, id, "longer than %zu bytes", sizeof(c->address_text) - 1);
	memcpy(c->address_text, v, n + 1);
	size_t k = strcspn(v, ",");
	memcpy(first, v, k);
	first[k] = '\0';
	if (k == 0)
		return fail(p, id, "expected an IP address");
	if (inet_prefix_parse(first, &c->vip, inner, sizeof(inner)) < 0) {
		if (looks_like_name(first))
			return fail(p, id, "expected an IP address (vipd does not resolve names)");
		return fail(p, id, "%s", reason_after(inner, "address \"%s\": ", first));
	}
	if (v[k] == ',')
		warn(p, id, "vipd serves one VIP; using %s only", first);
	return 0;
}

/* vip_subnet: the prefix length for the address ("24" or "/24"). */
static int apply_subnet(struct parse *p, enum setting_id id, const char *v)
{
	struct mgr_config *c = p->c;
	unsigned len;
	if (c->vip.family == 0)
		return 0; /* no address: reported by the whole-config check */
	if (inet_prefix_parse_len(v, c->vip.family, &len, NULL, 0) < 0)
		return fail(p, id, "expected a prefix length 0..%u",
			    c->vip.family == AF_INET ? 32 : 128);
	c->vip.prefixlen = len;
	return 0;
}

/* vip_cidr: removed in kube-vip v0.9.0 but still written by minikube. */
static int apply_cidr(struct parse *p, enum setting_id id, const char *v)
{
	if (p->val[S_SUBNET]) {
		warn(p, id, "deprecated since kube-vip v0.9.0; ignored because %s is set",
		     src_of(p, S_SUBNET));
		return 0;
	}
	int r = apply_subnet(p, id, v);
	if (r == 0)
		warn(p, id, "deprecated since kube-vip v0.9.0; used as vip_subnet");
	return r;
}

static int apply_svc(struct parse *p, enum setting_id id, const char *v)
{
	(void)v;
	if (p->c->svc_enable)
		warn(p, id, "services load balancing is not supported by vipd; ignored");
	return 0;
}

static int apply_election_type(struct parse *p, enum setting_id id, const char *v)
{
	if (strcmp(v, "kubernetes") && strcmp(v, "etcd"))
		return fail(p, id, "expected kubernetes or etcd");
	return 0;
}

/* A JSON object of strings (Go's map[string]string), stored compact on one line. */
static int apply_annotations(struct parse *p, enum setting_id id, const char *v)
{
	json_error_t err;
	json_t *obj = json_loads(v, JSON_REJECT_DUPLICATES, &err), *val;
	const char *key;
	if (!obj || !json_is_object(obj)) {
		json_decref(obj);
		return fail(p, id, "expected a JSON object of strings, e.g. {\"a\":\"b\"}");
	}
	json_object_foreach(obj, key, val)
	{
		if (!json_is_string(val)) {
			char q[WARN_VALUE_MAX * 4 + 8]; /* quoted before the key is freed */
			quote(key, WARN_VALUE_MAX, q, sizeof(q));
			json_decref(obj);
			return fail(p, id, "expected a JSON object of strings (\"%s\" is not)", q);
		}
	}
	char *text = json_dumps(obj, JSON_COMPACT);
	json_decref(obj);
	size_t n = text ? strlen(text) : 0;
	int r = 0;
	if (!text || n >= sizeof(p->c->lease_annotations))
		r = fail(p, id, "longer than %zu bytes", sizeof(p->c->lease_annotations) - 1);
	else
		memcpy(p->c->lease_annotations, text, n + 1);
	free(text);
	return r;
}

static int apply_endpoints(struct parse *p, enum setting_id id, const char *v)
{
	struct mgr_config *c = p->c;
	c->n_etcd_endpoints = 0;
	for (const char *s = v;; s++) {
		size_t n = strcspn(s, ",");
		if (c->n_etcd_endpoints == MGR_MAX_ENDPOINTS)
			return fail(p, id, "expected at most %d endpoints", MGR_MAX_ENDPOINTS);
		if (n >= sizeof(c->etcd_endpoints[0]))
			return fail(p, id, "an endpoint is longer than %zu bytes",
				    sizeof(c->etcd_endpoints[0]) - 1);
		char *ep = c->etcd_endpoints[c->n_etcd_endpoints];
		memcpy(ep, s, n);
		ep[n] = '\0';
		if (!is_url(ep) || strchr(ep, ' '))
			return fail(p, id, "expected comma-separated http:// or https:// URLs");
		c->n_etcd_endpoints++;
		s += n;
		if (!*s)
			return 0;
	}
}

static const char *const fwd_names[] = {
    [MGR_FWD_LOCAL] = "local",
    [MGR_FWD_MASQUERADE] = "masquerade",
    [MGR_FWD_TUNNEL] = "tunnel",
    [MGR_FWD_DIRECTROUTE] = "directroute",
};

const char *mgr_fwd_method_name(enum mgr_fwd_method m)
{
	if ((unsigned)m >= sizeof(fwd_names) / sizeof(fwd_names[0]))
		return "?";
	return fwd_names[m];
}

static int apply_fwd(struct parse *p, enum setting_id id, const char *v)
{
	for (unsigned i = 0; i < sizeof(fwd_names) / sizeof(fwd_names[0]); i++) {
		if (!strcasecmp(v, fwd_names[i])) {
			p->c->lb_fwd = (enum mgr_fwd_method)i;
			return 0;
		}
	}
	return fail(p, id, "expected local, masquerade, tunnel or directroute");
}

static int apply_gate_interval(struct parse *p, enum setting_id id, const char *v)
{
	int64_t ms;
	if (le_duration_parse(v, &ms) < 0 || ms < 100 || ms > 60000)
		return fail(p, id, "expected a duration 100ms..60s (e.g. 1s, 500ms)");
	p->c->health_gate_interval_ms = (uint32_t)ms;
	return 0;
}

static int apply_url(struct parse *p, enum setting_id id, const char *v)
{
	if (!is_url(v) || strchr(v, ' '))
		return fail(p, id, "expected an http:// or https:// URL");
	return 0;
}

/* Go's net/http listen address: "[host]:port"; "" disables the endpoint. */
static int apply_listen(struct parse *p, enum setting_id id, const char *v)
{
	const char *colon = strrchr(v, ':');
	uint32_t port;
	if (!*v)
		return 0;
	if (!colon || parse_uint(colon + 1, 1, 65535, &port) < 0 || strchr(v, ' '))
		return fail(p, id, "expected [host]:port such as :2112 (empty disables)");
	return 0;
}

static int apply_log_level(struct parse *p, enum setting_id id, const char *v)
{
	enum log_level level;
	if (log_level_parse(v, &level) < 0)
		return fail(p, id,
			    "expected debug, info, warn, error or a kube-vip level number 0..9");
	p->c->log_level = (int)level;
	return 0;
}

static int apply_ignored(struct parse *p, enum setting_id id, const char *v)
{
	(void)p, (void)id, (void)v;
	return 0;
}

/* ---- Collecting: environment, then flags ------------------------------------------------- */

static int find_env(const char *name, size_t n)
{
	for (int i = 0; i < S_COUNT; i++) {
		const char *e = settings[i].env;
		if (e && strlen(e) == n && !memcmp(e, name, n))
			return i;
	}
	return -1;
}

static int find_flag(const char *name, size_t n)
{
	for (int i = 0; i < S_COUNT; i++) {
		const char *f = settings[i].flag;
		if (f && strlen(f) == n && !memcmp(f, name, n))
			return i;
	}
	return -1;
}

/* Unknown variables are ignored (a pod has many); an empty value is unset, as in kube-vip;
 * the first of duplicates wins, as with getenv(). */
static void collect_env(struct parse *p, char *const *env)
{
	for (; env && *env; env++) {
		const char *eq = strchr(*env, '=');
		int id = eq ? find_env(*env, (size_t)(eq - *env)) : -1;
		if (id < 0 || p->val[id])
			continue;
		if (!eq[1] && !(settings[id].flags & SF_EMPTY_SETS))
			continue;
		p->val[id] = eq + 1;
		p->src[id] = settings[id].env;
	}
}

static int flag_check(struct parse *p, const char *name, const char *eq)
{
	bool b = true;
	if (eq && parse_bool(eq + 1, &b) < 0)
		return fail_as(p, name, eq + 1, "expected true or false (or 1/0, yes/no)");
	p->check = b;
	return 0;
}

/* One flag at argv[*i]: `--name value`, `--name=value`, or a bare boolean `--name`. */
static int collect_flag(struct parse *p, int argc, char *const *argv, int *i)
{
	const char *a = argv[*i];
	if (strncmp(a, "--", 2) || !a[2])
		return fail_as(p, "argument", a, "unexpected: vipd manager takes only --flags");
	const char *eq = strchr(a, '=');
	size_t n = eq ? (size_t)(eq - a) : strlen(a);
	if (n == 7 && !memcmp(a, "--check", 7))
		return flag_check(p, "--check", eq);
	int id = find_flag(a, n);
	if (id < 0) {
		char name[SHOWN_VALUE_MAX * 4 + 8], full[SHOWN_VALUE_MAX + 1];
		snprintf(full, sizeof(full), "%.*s", (int)n, a);
		quote(full, SHOWN_VALUE_MAX, name, sizeof(name));
		snprintf(p->why, p->why_len, "unknown flag \"%s\"", name);
		return -EINVAL;
	}
	p->src[id] = settings[id].flag;
	if (eq)
		p->val[id] = eq + 1;
	else if (settings[id].kind == K_BOOL)
		p->val[id] = "true";
	else if (*i + 1 < argc && argv[*i + 1])
		p->val[id] = argv[++*i];
	else
		return fail_as(p, settings[id].flag, "", "needs a value");
	return 0;
}

static int collect_flags(struct parse *p, int argc, char *const *argv)
{
	for (int i = 1; argv && i < argc && argv[i]; i++) {
		int r = collect_flag(p, argc, argv, &i);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- The whole ---------------------------------------------------------------------------- */

static int check_address(struct parse *p)
{
	if (p->c->vip.family == 0)
		return fail(p, S_ADDRESS, "required: the virtual IP to serve");
	return 0;
}

static int finish_identity(struct parse *p, const char *hostname)
{
	struct le_config *e = &p->c->election;
	char inner[512], lower[LE_IDENTITY_MAX];
	const char *v = p->val[S_NODE_NAME];
	if (v) {
		if (le_identity_set(e, v, inner, sizeof(inner)) < 0)
			return fail(p, S_NODE_NAME, "%s",
				    reason_after(inner, "identity \"%.64s\": ", v));
		return 0;
	}
	if (!hostname)
		hostname = "";
	size_t n = strlen(hostname);
	if (n >= sizeof(lower))
		return fail_as(p, "hostname", hostname, "longer than %zu bytes; set vip_nodename",
			       sizeof(lower) - 1);
	for (size_t i = 0; i <= n; i++)
		lower[i] = (char)(hostname[i] >= 'A' && hostname[i] <= 'Z' ? hostname[i] + 32
									   : hostname[i]);
	if (le_identity_set(e, lower, inner, sizeof(inner)) < 0)
		return fail_as(p, "hostname", lower, "%s; set vip_nodename",
			       reason_after(inner, "identity \"%.64s\": ", lower));
	return 0;
}

static int finish_lock(struct parse *p)
{
	struct le_config *e = &p->c->election;
	const char *ns = p->val[S_NAMESPACE] ? p->val[S_NAMESPACE] : DEFAULT_NAMESPACE;
	const char *name = p->val[S_LEASE_NAME] ? p->val[S_LEASE_NAME] : DEFAULT_LEASE_NAME;
	char inner[1200];
	if (le_lock_parse("x", ns, e, inner, sizeof(inner)) < 0)
		return fail(
		    p, S_NAMESPACE,
		    "expected a Kubernetes namespace (lowercase letters, digits and '-', at "
		    "most 63)");
	if (strlen(name) >= LE_NAMESPACE_MAX + LE_NAME_MAX)
		return fail(p, S_LEASE_NAME, "too long for a Kubernetes object name");
	if (le_lock_parse(name, ns, e, inner, sizeof(inner)) < 0)
		return fail(p, S_LEASE_NAME, "%s", reason_after(inner, "lease \"%s\": ", name));
	return 0;
}

__attribute__((format(printf, 2, 3))) static int fail_timing(struct parse *p, const char *fmt, ...)
{
	const struct le_timing *t = &p->c->election.t;
	char name[160], value[80];
	snprintf(name, sizeof(name), "%s/%s/%s", src_of(p, S_LEASE_DURATION),
		 src_of(p, S_RENEW_DEADLINE), src_of(p, S_RETRY_PERIOD));
	snprintf(value, sizeof(value), "%lld/%lld/%lld", (long long)(t->lease_ms / 1000),
		 (long long)(t->renew_ms / 1000), (long long)(t->retry_ms / 1000));
	va_list ap;
	va_start(ap, fmt);
	compose(p->why, p->why_len, SHOWN_VALUE_MAX, name, value, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* client-go's rules, then vipd's: the VIP is held with a kernel lifetime that ends when the
 * lease could be taken over, so the lease must outlast the last renewal by the kernel's
 * lifetime granularity plus the longest the loop can be blocked. */
static int finish_timing(struct parse *p)
{
	const struct le_timing *t = &p->c->election.t;
	char inner[256];
	if (le_timing_validate(t, inner, sizeof(inner)) < 0)
		return fail_timing(p, "%s", inner);
	int64_t margin = t->lease_ms - t->renew_ms;
	int64_t need = MGR_KERNEL_LIFETIME_GRANULARITY_MS + MGR_LOOP_BLOCK_MAX_MS;
	if (margin < need)
		return fail_timing(p,
				   "leaseDuration - renewDeadline is %lldms but must be at least "
				   "%lldms (%dms kernel lifetime granularity + %dms longest loop "
				   "stall): the VIP's kernel lifetime must run out before another "
				   "node may take the lease",
				   (long long)margin, (long long)need,
				   MGR_KERNEL_LIFETIME_GRANULARITY_MS, MGR_LOOP_BLOCK_MAX_MS);
	return 0;
}

static int finish_etcd(struct parse *p)
{
	struct mgr_config *c = p->c;
	const char *type = p->val[S_ELECTION_TYPE];
	bool etcd = type ? !strcmp(type, "etcd") : c->n_etcd_endpoints > 0;
	if (etcd && c->n_etcd_endpoints == 0)
		return fail(p, S_ELECTION_TYPE, "needs --etcdEndpoints (or vipd_etcd_endpoints)");
	if (!etcd && c->n_etcd_endpoints > 0)
		warn(p, S_ETCD_ENDPOINTS, "ignored: %s is kubernetes", src_of(p, S_ELECTION_TYPE));
	c->backend = etcd ? MGR_BACKEND_ETCD : MGR_BACKEND_LEASE;
	/* Checked whichever backend runs: a half-given TLS setup is a mistake either way. */
	const enum setting_id tls[] = {S_ETCD_CA, S_ETCD_CERT, S_ETCD_KEY};
	const char *have[] = {c->etcd_ca, c->etcd_cert, c->etcd_key};
	int given = !!*have[0] + !!*have[1] + !!*have[2];
	for (int i = 0; given > 0 && given < 3 && i < 3; i++) {
		if (!*have[i])
			return fail(p, tls[i],
				    "etcd TLS needs all of vipd_etcd_cacert, vipd_etcd_cert and "
				    "vipd_etcd_key (--etcdCACert, --etcdCert, --etcdKey), or none");
	}
	return 0;
}

static void finish_gate_url(struct parse *p)
{
	struct mgr_config *c = p->c;
	if (!p->val[S_GATE_URL])
		snprintf(c->health_gate_url, sizeof(c->health_gate_url),
			 "https://127.0.0.1:%u/readyz", (unsigned)c->port);
}

static int apply_all(struct parse *p, const char *hostname)
{
	for (int id = 0; id < S_COUNT; id++) {
		int r = p->val[id] ? apply_one(p, (enum setting_id)id) : 0;
		if (r < 0)
			return r;
	}
	int r = check_address(p);
	if (r == 0)
		r = finish_identity(p, hostname);
	if (r == 0)
		r = finish_lock(p);
	if (r == 0)
		r = finish_timing(p);
	if (r == 0)
		r = finish_etcd(p);
	if (r == 0)
		finish_gate_url(p);
	return r;
}

void mgr_config_defaults(struct mgr_config *c)
{
	memset(c, 0, sizeof(*c));
	c->port = 6443;
	c->arp_rate_ms = 3000;
	c->lose_leadership_timeout_s = 30;
	c->backend = MGR_BACKEND_LEASE;
	snprintf(c->election.ns, sizeof(c->election.ns), "%s", DEFAULT_NAMESPACE);
	snprintf(c->election.name, sizeof(c->election.name), "%s", DEFAULT_LEASE_NAME);
	c->election.t = LE_TIMING_DEFAULT;
	snprintf(c->kubeconfig, sizeof(c->kubeconfig), "/etc/kubernetes/admin.conf");
	c->lb_port = 6443;
	c->lb_fwd = MGR_FWD_LOCAL;
	c->backend_hc_interval_s = 5;
	c->health_gate = true;
	c->health_gate_failures = 3;
	c->health_gate_interval_ms = 1000;
	snprintf(c->health_gate_url, sizeof(c->health_gate_url), "https://127.0.0.1:%u/readyz",
		 (unsigned)c->port);
	snprintf(c->prometheus_server, sizeof(c->prometheus_server), ":2112");
	c->log_level = LOG_INFO;
}

int mgr_config_parse(char *const *env, int argc, char *const *argv, const char *hostname,
		     struct mgr_config *c, bool *check, char *why, size_t why_len)
{
	char spare[8];
	struct parse p = {.c = c, .why = why, .why_len = why_len};
	if (!why || !why_len) {
		p.why = spare;
		p.why_len = sizeof(spare);
	}
	p.why[0] = '\0';
	mgr_config_defaults(c);
	collect_env(&p, env);
	int r = collect_flags(&p, argc, argv);
	if (r == 0)
		r = apply_all(&p, hostname);
	if (check)
		*check = r == 0 && p.check;
	return r;
}

/* ---- Printing ---------------------------------------------------------------------------- */

static void show_address(const struct mgr_config *c, FILE *out)
{
	char buf[INET_PREFIX_STRLEN] = "";
	if (c->vip.family)
		inet_prefix_format(&c->vip, buf, sizeof(buf));
	fprintf(out, "address=%s\n", buf);
}

static void show_namespace(const struct mgr_config *c, FILE *out)
{
	fprintf(out, "cp_namespace=%s\n", c->election.ns);
}

static void show_lease_name(const struct mgr_config *c, FILE *out)
{
	fprintf(out, "vip_leasename=%s\n", c->election.name);
}

static void show_node_name(const struct mgr_config *c, FILE *out)
{
	fprintf(out, "vip_nodename=%s\n", c->election.identity);
}

static void show_annotations(const struct mgr_config *c, FILE *out)
{
	fprintf(out, "vip_leaseannotations=%s\n", c->lease_annotations);
}

static void show_endpoints(const struct mgr_config *c, FILE *out)
{
	fputs("vipd_etcd_endpoints=", out);
	for (size_t i = 0; i < c->n_etcd_endpoints && i < MGR_MAX_ENDPOINTS; i++)
		fprintf(out, "%s%s", i ? "," : "", c->etcd_endpoints[i]);
	fputc('\n', out);
}

static void show_fwd(const struct mgr_config *c, FILE *out)
{
	fprintf(out, "lb_fwdmethod=%s\n", mgr_fwd_method_name(c->lb_fwd));
}

static void show_gate_interval(const struct mgr_config *c, FILE *out)
{
	uint32_t ms = c->health_gate_interval_ms;
	if (ms % 1000 == 0)
		fprintf(out, "vipd_health_gate_interval=%us\n", ms / 1000);
	else
		fprintf(out, "vipd_health_gate_interval=%ums\n", ms);
}

static void show_log_level(const struct mgr_config *c, FILE *out)
{
	static const char *const names[] = {
	    [LOG_DEBUG] = "debug", [LOG_INFO] = "info", [LOG_WARN] = "warn", [LOG_ERROR] = "error"};
	unsigned l = (unsigned)c->log_level;
	fprintf(out, "vip_loglevel=%s\n", l < sizeof(names) / sizeof(names[0]) ? names[l] : "?");
}

static void show_generic(const struct mgr_config *c, const struct setting *s, FILE *out)
{
	const char *field = (const char *)c + s->off;
	switch (s->kind) {
	case K_STR:
		fprintf(out, "%s=%.*s\n", s->env, (int)s->size, field);
		break;
	case K_BOOL:
		fprintf(out, "%s=%s\n", s->env, *(const bool *)field ? "true" : "false");
		break;
	case K_UINT:
		fprintf(out, "%s=%u\n", s->env,
			s->size == sizeof(uint16_t) ? *(const uint16_t *)field
						    : *(const uint32_t *)field);
		break;
	case K_SECONDS:
		fprintf(out, "%s=%lld\n", s->env, (long long)(*(const int64_t *)field / 1000));
		break;
	case K_FN:
	case K_LATER:
		break;
	}
}

void mgr_config_print(const struct mgr_config *c, FILE *out)
{
	for (int id = 0; id < S_COUNT; id++) {
		const struct setting *s = &settings[id];
		if (s->show)
			s->show(c, out);
		else if (s->env)
			show_generic(c, s, out);
	}
}
