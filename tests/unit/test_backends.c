/*
 * test_backends.c — the load balancer's backend table (vipd/backends.c): Node objects shaped
 * as a kubelet and kubeadm leave them, every malformed field refused with a reason, watch
 * events and relists, health transitions, and the desired IPVS destinations.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdarg.h>
#include <string.h>

#include "backends.h"

/* `kubectl get node cp -o json` of a kubeadm v1.34 control-plane node (trimmed of images). */
static const char *const KUBEADM_NODE =
    "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"annotations\":{"
    "\"kubeadm.alpha.kubernetes.io/cri-socket\":\"unix:///run/containerd/containerd.sock\","
    "\"node.alpha.kubernetes.io/ttl\":\"0\","
    "\"volumes.kubernetes.io/controller-managed-attach-detach\":\"true\"},"
    "\"creationTimestamp\":\"2025-11-29T21:04:11Z\",\"labels\":{"
    "\"beta.kubernetes.io/arch\":\"amd64\",\"beta.kubernetes.io/os\":\"linux\","
    "\"kubernetes.io/arch\":\"amd64\",\"kubernetes.io/hostname\":\"cp\","
    "\"kubernetes.io/os\":\"linux\",\"node-role.kubernetes.io/control-plane\":\"\","
    "\"node.kubernetes.io/exclude-from-external-load-balancers\":\"\"},"
    "\"name\":\"cp\",\"resourceVersion\":\"1187\","
    "\"uid\":\"5b0f5a4e-2f0e-4f7c-9d7e-1a4f0c9c2d11\"},"
    "\"spec\":{\"podCIDR\":\"10.244.0.0/24\",\"podCIDRs\":[\"10.244.0.0/24\"],"
    "\"taints\":[{\"effect\":\"NoSchedule\",\"key\":\"node-role.kubernetes.io/control-plane\"}]},"
    "\"status\":{\"addresses\":[{\"address\":\"192.0.2.2\",\"type\":\"InternalIP\"},"
    "{\"address\":\"cp\",\"type\":\"Hostname\"}],"
    "\"allocatable\":{\"cpu\":\"2\",\"memory\":\"8045572Ki\",\"pods\":\"110\"},"
    "\"capacity\":{\"cpu\":\"2\",\"memory\":\"8147972Ki\",\"pods\":\"110\"},"
    "\"conditions\":["
    "{\"lastHeartbeatTime\":\"2025-11-29T21:09:20Z\",\"lastTransitionTime\":\"2025-11-29T21:04:"
    "08Z\",\"message\":\"kubelet has sufficient memory available\",\"reason\":"
    "\"KubeletHasSufficientMemory\",\"status\":\"False\",\"type\":\"MemoryPressure\"},"
    "{\"lastHeartbeatTime\":\"2025-11-29T21:09:20Z\",\"lastTransitionTime\":\"2025-11-29T21:04:"
    "08Z\",\"message\":\"kubelet has no disk pressure\",\"reason\":\"KubeletHasNoDiskPressure\","
    "\"status\":\"False\",\"type\":\"DiskPressure\"},"
    "{\"lastHeartbeatTime\":\"2025-11-29T21:09:20Z\",\"lastTransitionTime\":\"2025-11-29T21:04:"
    "08Z\",\"message\":\"kubelet has sufficient PID available\",\"reason\":"
    "\"KubeletHasSufficientPID\",\"status\":\"False\",\"type\":\"PIDPressure\"},"
    "{\"lastHeartbeatTime\":\"2025-11-29T21:09:20Z\",\"lastTransitionTime\":\"2025-11-29T21:04:"
    "31Z\",\"message\":\"kubelet is posting ready status\",\"reason\":\"KubeletReady\","
    "\"status\":\"True\",\"type\":\"Ready\"}],"
    "\"daemonEndpoints\":{\"kubeletEndpoint\":{\"Port\":10250}},"
    "\"nodeInfo\":{\"architecture\":\"amd64\",\"containerRuntimeVersion\":\"containerd://1.6.20\","
    "\"kernelVersion\":\"6.1.0-57-cloud-amd64\",\"kubeProxyVersion\":\"\",\"kubeletVersion\":"
    "\"v1.34.4\",\"operatingSystem\":\"linux\",\"osImage\":\"Debian GNU/Linux 12 (bookworm)\"}}}";

/* A dual-stack node: one InternalIP of each family, the IPv6 one second. */
static const char *const DUAL_STACK_NODE =
    "{\"kind\":\"Node\",\"metadata\":{\"name\":\"cp-m02\",\"labels\":{"
    "\"node-role.kubernetes.io/control-plane\":\"\"}},\"status\":{\"addresses\":["
    "{\"type\":\"InternalIP\",\"address\":\"192.0.2.3\"},"
    "{\"type\":\"InternalIP\",\"address\":\"2001:db8::3\"},"
    "{\"type\":\"Hostname\",\"address\":\"cp-m02\"}],"
    "\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}";

static json_t *load(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);
	cr_assert(j, "test JSON: %s", e.text);
	return j;
}

/* A node as the tests want it; `ready` is "True", "False", "Unknown" or NULL (no conditions). */
static json_t *node(const char *name, const char *ip, const char *ready, bool cp)
{
	json_t *labels = json_object();
	if (cp)
		json_object_set_new(labels, BACKEND_CONTROL_PLANE_LABEL, json_string(""));
	json_object_set_new(labels, "kubernetes.io/hostname", json_string(name));
	json_t *status = json_pack("{s:[{s:s,s:s},{s:s,s:s}]}", "addresses", "type", "InternalIP",
				   "address", ip, "type", "Hostname", "address", name);
	if (ready)
		json_object_set_new(status, "conditions",
				    json_pack("[{s:s,s:s},{s:s,s:s}]", "type", "MemoryPressure",
					      "status", "False", "type", "Ready", "status", ready));
	return json_pack("{s:s,s:s,s:{s:s,s:o},s:o}", "apiVersion", "v1", "kind", "Node",
			 "metadata", "name", name, "labels", labels, "status", status);
}

/* ---- recording hooks ---------------------------------------------------------------------- */

struct rec {
	char lines[16][512];
	size_t n;
};

static void rec_ignored(void *arg, const char *name, const char *why)
{
	struct rec *r = arg;
	cr_assert_lt(r->n, 16);
	snprintf(r->lines[r->n++], sizeof(r->lines[0]), "ignored %s: %s", name, why);
}

static void rec_changed(void *arg, const struct backend *b, bool in, const char *reason)
{
	struct rec *r = arg;
	cr_assert_lt(r->n, 16);
	snprintf(r->lines[r->n++], sizeof(r->lines[0]), "%s %s %s: %s", in ? "added" : "removed",
		 b->node.name, b->node.addr_text, reason);
}

static void table(struct backends *t, struct rec *r, int af)
{
	memset(r, 0, sizeof(*r));
	struct backends_hooks h = {.ignored = rec_ignored, .changed = rec_changed, .arg = r};
	backends_init(t, af, 6443, IP_VS_CONN_F_MASQ, &h);
}

static void expect(struct rec *r, size_t n, ...)
{
	va_list ap;
	va_start(ap, n);
	cr_assert_eq(r->n, n, "%zu reports, want %zu; first: %s", r->n, n, r->n ? r->lines[0] : "");
	for (size_t i = 0; i < n; i++) {
		const char *want = va_arg(ap, const char *);
		cr_assert_str_eq(r->lines[i], want);
	}
	va_end(ap);
	r->n = 0;
}

static unsigned event(struct backends *t, enum kc_event_type type, json_t *obj)
{
	unsigned c = backends_event(t, type, obj);
	json_decref(obj);
	return c;
}

/* ---- parsing ------------------------------------------------------------------------------ */

Test(node_parse, kubeadm_control_plane_node)
{
	json_t *j = load(KUBEADM_NODE);
	struct backend_node n;
	struct nl_error err;
	cr_assert_eq(backend_node_parse(j, AF_INET, &n, &err), 0, "%s", err.msg);
	cr_assert_str_eq(n.name, "cp");
	cr_assert_str_eq(n.addr_text, "192.0.2.2");
	cr_assert_eq(n.af, AF_INET);
	cr_assert_eq(n.addr.v4.s_addr, inet_addr("192.0.2.2"));
	cr_assert(n.ready);
	cr_assert(n.control_plane);
	/* An IPv6 VIP cannot reach this IPv4-only node. */
	cr_assert_eq(backend_node_parse(j, AF_INET6, &n, &err), -EINVAL);
	cr_assert_str_eq(err.msg, "node cp: no IPv6 InternalIP in status.addresses");
	json_decref(j);
}

Test(node_parse, dual_stack_takes_the_vips_family)
{
	json_t *j = load(DUAL_STACK_NODE);
	struct backend_node n;
	struct nl_error err;
	cr_assert_eq(backend_node_parse(j, AF_INET6, &n, &err), 0, "%s", err.msg);
	cr_assert_str_eq(n.addr_text, "2001:db8::3");
	cr_assert_eq(n.af, AF_INET6);
	cr_assert_eq(backend_node_parse(j, AF_INET, &n, &err), 0, "%s", err.msg);
	cr_assert_str_eq(n.addr_text, "192.0.2.3");
	json_decref(j);
}

Test(node_parse, readiness_and_role)
{
	struct backend_node n;
	struct nl_error err;
	const char *states[] = {"True", "False", "Unknown", NULL};
	for (int i = 0; i < 4; i++) {
		json_t *j = node("a", "10.0.0.1", states[i], i % 2 == 0);
		cr_assert_eq(backend_node_parse(j, AF_INET, &n, &err), 0, "%s", err.msg);
		cr_assert_eq(n.ready, i == 0, "Ready=%s", states[i] ? states[i] : "(none)");
		cr_assert_eq(n.control_plane, i % 2 == 0);
		json_decref(j);
	}
}

/* Each malformed variant of a good node, and the reason it must give. */
static const struct {
	const char *json, *why;
} BAD[] = {
    {"[]", "node: not a JSON object"},
    {"{\"metadata\":{}}", "node: metadata.name: missing or not a string"},
    {"{\"metadata\":{\"name\":7}}", "node: metadata.name: missing or not a string"},
    {"{\"metadata\":{\"name\":\"\"}}", "node: metadata.name \"\": not a valid node name"},
    {"{\"metadata\":{\"name\":\"a b\\\"\"}}",
     "node: metadata.name \"a b?\": not a valid node name"},
    {"{\"metadata\":{\"name\":\"a\",\"labels\":[]}}", "node a: metadata.labels: not an object"},
    {"{\"metadata\":{\"name\":\"a\"},\"status\":3}", "node a: status: not an object"},
    {"{\"metadata\":{\"name\":\"a\"},\"status\":{\"conditions\":{}}}",
     "node a: status.conditions: not an array"},
    {"{\"metadata\":{\"name\":\"a\"},\"status\":{\"conditions\":[{\"status\":\"True\"}]}}",
     "node a: status.conditions[0].type: missing"},
    {"{\"metadata\":{\"name\":\"a\"},\"status\":{\"conditions\":[{\"type\":\"Ready\"}]}}",
     "node a: status.conditions[0] (Ready).status: missing"},
    {"{\"metadata\":{\"name\":\"a\"},\"status\":{\"conditions\":[{\"type\":\"Ready\","
     "\"status\":\"Yes\"}]}}",
     "node a: status.conditions[0] (Ready).status \"Yes\": want True, False or Unknown"},
    {"{\"metadata\":{\"name\":\"a\"},\"status\":{\"addresses\":\"10.0.0.1\"}}",
     "node a: status.addresses: not an array"},
    {"{\"metadata\":{\"name\":\"a\"},\"status\":{\"addresses\":[{\"address\":\"10.0.0.1\"}]}}",
     "node a: status.addresses[0]: type or address missing"},
    {"{\"metadata\":{\"name\":\"a\"},\"status\":{\"addresses\":[{\"type\":\"InternalIP\","
     "\"address\":\"10.0.0.300\"}]}}",
     "node a: status.addresses[0] (InternalIP) \"10.0.0.300\": not an IP address"},
    {"{\"metadata\":{\"name\":\"a\"},\"status\":{\"addresses\":[{\"type\":\"InternalIP\","
     "\"address\":\"10.0.0.1/24\"}]}}",
     "node a: status.addresses[0] (InternalIP) \"10.0.0.1/24\": not an IP address"},
    {"{\"metadata\":{\"name\":\"a\"},\"status\":{\"addresses\":[{\"type\":\"Hostname\","
     "\"address\":\"a\"}]}}",
     "node a: no IPv4 InternalIP in status.addresses"},
    {"{\"metadata\":{\"name\":\"a\"}}", "node a: no IPv4 InternalIP in status.addresses"},
};

Test(node_parse, every_malformed_field_has_a_reason)
{
	for (size_t i = 0; i < sizeof(BAD) / sizeof(BAD[0]); i++) {
		json_t *j = load(BAD[i].json);
		struct backend_node n;
		struct nl_error err = {0};
		cr_assert_eq(backend_node_parse(j, AF_INET, &n, &err), -EINVAL, "%s", BAD[i].json);
		cr_assert_eq(err.err, -EINVAL);
		cr_assert_str_eq(err.msg, BAD[i].why, "for %s", BAD[i].json);
		json_decref(j);
	}
}

/* ---- events ------------------------------------------------------------------------------- */

Test(events, added_modified_deleted)
{
	struct backends t;
	struct rec r;
	table(&t, &r, AF_INET);
	cr_assert_eq(event(&t, KC_EV_ADDED, node("cp", "192.0.2.2", "True", true)), 1);
	expect(&r, 1, "added cp 192.0.2.2: node is a Ready control-plane node");
	/* A heartbeat-only update changes nothing. */
	cr_assert_eq(event(&t, KC_EV_MODIFIED, node("cp", "192.0.2.2", "True", true)), 0);
	expect(&r, 0);
	cr_assert_eq(event(&t, KC_EV_MODIFIED, node("cp", "192.0.2.2", "Unknown", true)), 1);
	expect(&r, 1, "removed cp 192.0.2.2: node is not Ready");
	cr_assert_eq(event(&t, KC_EV_MODIFIED, node("cp", "192.0.2.2", "True", true)), 1);
	expect(&r, 1, "added cp 192.0.2.2: node is a Ready control-plane node");
	cr_assert_eq(event(&t, KC_EV_MODIFIED, node("cp", "192.0.2.2", "True", false)), 1);
	expect(&r, 1, "removed cp 192.0.2.2: node is no longer labelled control-plane");
	cr_assert_eq(event(&t, KC_EV_MODIFIED, node("cp", "192.0.2.2", "True", true)), 1);
	expect(&r, 1, "added cp 192.0.2.2: node is a Ready control-plane node");
	cr_assert_eq(event(&t, KC_EV_DELETED, node("cp", "192.0.2.2", "True", true)), 1);
	expect(&r, 1, "removed cp 192.0.2.2: node deleted");
	cr_assert_eq(t.n, 0);
	/* Deleting what is not there, and bookmarks, change nothing. */
	cr_assert_eq(event(&t, KC_EV_DELETED, node("zz", "192.0.2.9", "True", true)), 0);
	cr_assert_eq(event(&t, KC_EV_BOOKMARK, json_pack("{s:{s:s}}", "metadata", "name", "x")), 0);
	expect(&r, 0);
}

Test(events, address_change_moves_the_destination)
{
	struct backends t;
	struct rec r;
	table(&t, &r, AF_INET);
	event(&t, KC_EV_ADDED, node("other", "192.0.2.3", "True", true));
	event(&t, KC_EV_ADDED, node("cp", "192.0.2.2", "True", true));
	r.n = 0;
	backends_health(&t, "cp", "192.0.2.2", false, "timeout");
	expect(&r, 1, "removed cp 192.0.2.2: health check failed: timeout");
	/* Unhealthy at the old address; the new address is a new candidate, in at once. */
	cr_assert_eq(event(&t, KC_EV_MODIFIED, node("cp", "192.0.2.7", "True", true)), 1);
	expect(&r, 1, "added cp 192.0.2.7: address changed");
	cr_assert_eq(event(&t, KC_EV_MODIFIED, node("cp", "192.0.2.8", "True", true)), 2);
	expect(&r, 2, "removed cp 192.0.2.7: address changed",
	       "added cp 192.0.2.8: address changed");
	/* A late result for the old address is not this backend's. */
	cr_assert_eq(backends_health(&t, "cp", "192.0.2.7", false, "timeout"), 0);
	expect(&r, 0);
}

Test(events, a_node_turning_malformed_leaves)
{
	struct backends t;
	struct rec r;
	table(&t, &r, AF_INET);
	event(&t, KC_EV_ADDED, node("cp", "192.0.2.2", "True", true));
	r.n = 0;
	cr_assert_eq(event(&t, KC_EV_MODIFIED, node("cp", "not-an-ip", "True", true)), 1);
	expect(&r, 2,
	       "ignored cp: node cp: status.addresses[0] (InternalIP) \"not-an-ip\": not an IP "
	       "address",
	       "removed cp 192.0.2.2: node ignored: node cp: status.addresses[0] (InternalIP) "
	       "\"not-an-ip\": not an IP address");
	cr_assert_eq(t.n, 0);
	/* Nameless objects: reported, nothing else. */
	cr_assert_eq(event(&t, KC_EV_ADDED, json_pack("{s:{}}", "metadata")), 0);
	cr_assert_eq(event(&t, KC_EV_DELETED, json_string("x")), 0);
	expect(&r, 2, "ignored : node: metadata.name: missing or not a string",
	       "ignored : node: not a JSON object");
}

Test(events, list_replaces_the_table_and_keeps_health)
{
	struct backends t;
	struct rec r;
	table(&t, &r, AF_INET);
	event(&t, KC_EV_ADDED, node("a", "10.0.0.1", "True", true));
	event(&t, KC_EV_ADDED, node("b", "10.0.0.2", "True", true));
	backends_health(&t, "a", "10.0.0.1", false, "refused");
	r.n = 0;
	json_t *items = json_pack("[o,o]", node("a", "10.0.0.1", "True", true),
				  node("c", "10.0.0.3", "False", true));
	cr_assert_eq(backends_list(&t, items), 2);
	json_decref(items);
	/* a failed its check, but is now the only candidate: fail open. */
	expect(&r, 2, "removed b 10.0.0.2: node deleted (not in the node list)",
	       "added a 10.0.0.1: no backend passes its health check: all are used (fail open)");
	cr_assert_eq(t.n, 2);
	cr_assert_eq(backends_find(&t, "a")->health, BACKEND_UNHEALTHY);
	cr_assert_not(backends_find(&t, "c")->in_service);
	/* An empty (or absent) list empties the table. */
	cr_assert_eq(backends_list(&t, NULL), 1);
	expect(&r, 1, "removed a 10.0.0.1: node deleted (not in the node list)");
	cr_assert_eq(t.n, 0);
}

Test(events, the_table_is_bounded)
{
	struct backends t;
	struct rec r;
	table(&t, &r, AF_INET);
	char name[32], ip[32];
	for (int i = 0; i < BACKENDS_MAX; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		snprintf(ip, sizeof(ip), "10.0.1.%d", i + 1);
		event(&t, KC_EV_ADDED, node(name, ip, "False", true));
	}
	cr_assert_eq(event(&t, KC_EV_ADDED, node("one-too-many", "10.0.2.1", "True", true)), 0);
	expect(&r, 1, "ignored one-too-many: node one-too-many: the table is full (32 nodes)");
	cr_assert_eq(t.n, BACKENDS_MAX);
	/* Updates of nodes already in the table still apply. */
	cr_assert_eq(event(&t, KC_EV_MODIFIED, node("n0", "10.0.1.1", "True", true)), 1);
}

/* ---- health ------------------------------------------------------------------------------- */

Test(health, fail_removes_pass_restores)
{
	struct backends t;
	struct rec r;
	table(&t, &r, AF_INET);
	event(&t, KC_EV_ADDED, node("other", "10.0.0.2", "True", true));
	backends_health(&t, "other", "10.0.0.2", true, NULL);
	event(&t, KC_EV_ADDED, node("a", "10.0.0.1", "True", true));
	const struct backend *b = backends_find(&t, "a");
	cr_assert_eq(b->health, BACKEND_UNKNOWN);
	cr_assert(b->in_service, "a new Ready control-plane node is in before its first check");
	size_t cand, healthy;
	backends_count(&t, &cand, &healthy);
	cr_assert(cand == 2 && healthy == 1);

	cr_assert_eq(backends_health(&t, "a", "10.0.0.1", true, NULL), 0);
	cr_assert_eq(b->health, BACKEND_HEALTHY);
	backends_count(&t, &cand, &healthy);
	cr_assert_eq(healthy, 2);
	r.n = 0;
	for (int i = 0; i < BACKENDS_FALL; i++)
		backends_health(&t, "a", "10.0.0.1", false, "503 ServiceUnavailable");
	expect(&r, 1, "removed a 10.0.0.1: health check failed: 503 ServiceUnavailable");
	cr_assert_not(b->in_service);
	cr_assert_eq(b->fails, BACKENDS_FALL);
	/* More failures: no more reports. */
	cr_assert_eq(backends_health(&t, "a", "10.0.0.1", false, "timeout"), 0);
	for (int i = 0; i < BACKENDS_RISE; i++)
		backends_health(&t, "a", "10.0.0.1", true, "");
	expect(&r, 1, "added a 10.0.0.1: health check passed");
	cr_assert(b->in_service);
	cr_assert_eq(b->fails, 0);
}

Test(health, when_every_candidate_fails_all_are_used)
{
	struct backends t;
	struct rec r;
	table(&t, &r, AF_INET);
	event(&t, KC_EV_ADDED, node("a", "10.0.0.1", "True", true));
	event(&t, KC_EV_ADDED, node("b", "10.0.0.2", "True", true));
	event(&t, KC_EV_ADDED, node("down", "10.0.0.3", "False", true));
	r.n = 0;
	cr_assert_eq(backends_health(&t, "a", "10.0.0.1", false,
				     "x509: certificate is not valid for "
				     "kubernetes"),
		     1);
	/* The last one failing brings the first back: an empty service refuses everyone. */
	cr_assert_eq(backends_health(&t, "b", "10.0.0.2", false, "timeout"), 1);
	expect(&r, 2,
	       "removed a 10.0.0.1: health check failed: x509: certificate is not valid for "
	       "kubernetes",
	       "added a 10.0.0.1: no backend passes its health check: all are used (fail open)");
	struct ipvs_dest d[BACKENDS_MAX];
	cr_assert_eq(backends_desired(&t, d, BACKENDS_MAX), 2);
	/* One passing again ends it: the other leaves. */
	cr_assert_eq(backends_health(&t, "b", "10.0.0.2", true, NULL), 1);
	expect(&r, 1, "removed a 10.0.0.1: health check failed (another backend passes)");
	cr_assert_eq(backends_desired(&t, d, BACKENDS_MAX), 1);
	/* A single control-plane node is never taken out by its checks. */
	cr_assert_eq(event(&t, KC_EV_DELETED, node("b", "10.0.0.2", "True", true)), 2);
	expect(&r, 2, "removed b 10.0.0.2: node deleted",
	       "added a 10.0.0.1: no backend passes its health check: all are used (fail open)");
}

Test(health, results_for_non_candidates_are_ignored)
{
	struct backends t;
	struct rec r;
	table(&t, &r, AF_INET);
	event(&t, KC_EV_ADDED, node("a", "10.0.0.1", "False", true));
	cr_assert_eq(backends_health(&t, "a", "10.0.0.1", true, NULL), 0);
	cr_assert_eq(backends_find(&t, "a")->health, BACKEND_UNKNOWN);
	cr_assert_eq(backends_health(&t, "nobody", "10.0.0.9", false, "x"), 0);
	expect(&r, 0);
}

Test(health, a_node_returning_from_not_ready_starts_afresh)
{
	struct backends t;
	struct rec r;
	table(&t, &r, AF_INET);
	event(&t, KC_EV_ADDED, node("a", "10.0.0.1", "True", true));
	backends_health(&t, "a", "10.0.0.1", false, "refused");
	event(&t, KC_EV_MODIFIED, node("a", "10.0.0.1", "False", true));
	r.n = 0;
	cr_assert_eq(event(&t, KC_EV_MODIFIED, node("a", "10.0.0.1", "True", true)), 1);
	expect(&r, 1, "added a 10.0.0.1: node is a Ready control-plane node");
	cr_assert_eq(backends_find(&t, "a")->health, BACKEND_UNKNOWN);
}

/* ---- desired destinations ----------------------------------------------------------------- */

Test(desired, in_service_backends_sorted_by_address)
{
	struct backends t;
	struct rec r;
	table(&t, &r, AF_INET);
	event(&t, KC_EV_ADDED, node("c", "10.0.0.30", "True", true));
	event(&t, KC_EV_ADDED, node("a", "10.0.0.4", "True", true));
	event(&t, KC_EV_ADDED, node("worker", "10.0.0.5", "True", false));
	event(&t, KC_EV_ADDED, node("down", "10.0.0.6", "False", true));
	event(&t, KC_EV_ADDED, node("sick", "10.0.0.7", "True", true));
	event(&t, KC_EV_ADDED, node("b", "10.0.0.20", "True", true));
	backends_health(&t, "sick", "10.0.0.7", false, "timeout");
	struct ipvs_dest d[BACKENDS_MAX];
	size_t n = backends_desired(&t, d, BACKENDS_MAX);
	cr_assert_eq(n, 3);
	const char *want[] = {"10.0.0.4", "10.0.0.20", "10.0.0.30"};
	for (size_t i = 0; i < n; i++) {
		char s[INET6_ADDRSTRLEN];
		inet_ntop(AF_INET, &d[i].addr, s, sizeof(s));
		cr_assert_str_eq(s, want[i]);
		cr_assert_eq(d[i].af, AF_INET);
		cr_assert_eq(d[i].port, 6443);
		cr_assert_eq(d[i].fwd, IP_VS_CONN_F_MASQ);
		cr_assert_eq(d[i].weight, 1);
		cr_assert_eq(d[i].u_thresh, 0);
	}
	/* `max` bounds the output. */
	cr_assert_eq(backends_desired(&t, d, 2), 2);
}

Test(desired, two_nodes_claiming_one_address_make_one_destination)
{
	struct backends t;
	struct rec r;
	table(&t, &r, AF_INET);
	event(&t, KC_EV_ADDED, node("old-name", "10.0.0.1", "True", true));
	event(&t, KC_EV_ADDED, node("new-name", "10.0.0.1", "True", true));
	event(&t, KC_EV_ADDED, node("other", "10.0.0.2", "True", true));
	struct ipvs_dest d[BACKENDS_MAX];
	cr_assert_eq(backends_desired(&t, d, BACKENDS_MAX), 2);
	cr_assert_eq(d[0].addr.v4.s_addr, inet_addr("10.0.0.1"));
	cr_assert_eq(d[1].addr.v4.s_addr, inet_addr("10.0.0.2"));
}

Test(desired, ipv6)
{
	struct backends t;
	struct rec r;
	table(&t, &r, AF_INET6);
	json_t *j = load(DUAL_STACK_NODE);
	cr_assert_eq(backends_event(&t, KC_EV_ADDED, j), 1);
	json_decref(j);
	event(&t, KC_EV_ADDED, node("v4-only", "192.0.2.4", "True", true));
	expect(&r, 2, "added cp-m02 2001:db8::3: node is a Ready control-plane node",
	       "ignored v4-only: node v4-only: no IPv6 InternalIP in status.addresses");
	struct ipvs_dest d[BACKENDS_MAX];
	cr_assert_eq(backends_desired(&t, d, BACKENDS_MAX), 1);
	cr_assert_eq(d[0].af, AF_INET6);
	struct in6_addr want;
	inet_pton(AF_INET6, "2001:db8::3", &want);
	cr_assert_eq(memcmp(&d[0].addr.v6, &want, 16), 0);
}
