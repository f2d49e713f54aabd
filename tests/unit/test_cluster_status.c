/*
 * test_cluster_status.c — the `status` / `profile list` rules and output: a table of clusters
 * for the quorum-aware verdict, minikube's exit-code bits, and golden text for the status
 * blocks and the profile table (JSON parsed back).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster_status.h"

#define ALL(st) .host = (st), .kubelet = (st), .apiserver = (st), .etcd = (st)
#define CP(nm)                                                                                     \
	{                                                                                          \
		.name = (nm), .control_plane = true, ALL(COMP_RUNNING), .etcd_member = true,       \
		.kubeconfig_ok = true, .vip_role = "follower", .ip = "192.168.49.2"                \
	}
#define CP_DOWN(nm)                                                                                \
	{                                                                                          \
		.name = (nm), .control_plane = true, ALL(COMP_STOPPED), .etcd_member = true,       \
		.kubeconfig_ok = true, .vip_role = "", .ip = "192.168.49.3"                        \
	}
#define CP_NO_MEMBER(nm)                                                                           \
	{                                                                                          \
		.name = (nm), .control_plane = true, ALL(COMP_RUNNING), .etcd_member = false,      \
		.kubeconfig_ok = true, .vip_role = "follower", .ip = "192.168.49.5"                \
	}
#define WORKER(nm, st)                                                                             \
	{                                                                                          \
		.name = (nm), .host = (st), .kubelet = (st), .apiserver = COMP_IRRELEVANT,         \
		.etcd = COMP_IRRELEVANT, .ip = "192.168.49.9"                                      \
	}

struct decide_case {
	const char *what;
	struct node_health nodes[8];
	size_t n;
	enum cluster_state want;
	unsigned cp_healthy, members, etcd_healthy;
	const char *reason;
};

static const struct decide_case decide_cases[] = {
    {"three healthy control planes",
     {CP("ha-demo"), CP("ha-demo-m02"), CP("ha-demo-m03")},
     3,
     CLUSTER_HAPPY,
     3,
     3,
     3,
     "3 of 3 control planes healthy; etcd quorum held (3 of 3 members)"},
    {"five control planes, two down: quorum held (minikube would say HAppy)",
     {CP("ha-demo"), CP("ha-demo-m02"), CP("ha-demo-m03"), CP_DOWN("ha-demo-m04"),
      CP_DOWN("ha-demo-m05")},
     5,
     CLUSTER_DEGRADED,
     3,
     5,
     3,
     "3 of 5 control planes healthy; etcd quorum held (3 of 5 members); unhealthy: "
     "ha-demo-m04 (host Stopped), ha-demo-m05 (host Stopped)"},
    {"three control planes, two down: no quorum",
     {CP("ha-demo"), CP_DOWN("ha-demo-m02"), CP_DOWN("ha-demo-m03")},
     3,
     CLUSTER_NOQUORUM,
     1,
     3,
     1,
     "etcd quorum lost (1 of 3 members healthy); 1 of 3 control planes healthy; unhealthy: "
     "ha-demo-m02 (host Stopped), ha-demo-m03 (host Stopped)"},
    {"every host stopped, a worker too",
     {CP_DOWN("ha-demo"), CP_DOWN("ha-demo-m02"), CP_DOWN("ha-demo-m03"),
      WORKER("ha-demo-m04", COMP_STOPPED)},
     4,
     CLUSTER_STOPPED,
     0,
     3,
     0,
     "all 3 control planes stopped"},
    {"two healthy control planes: running, not HA",
     {CP("two"), CP("two-m02")},
     2,
     CLUSTER_RUNNING,
     2,
     2,
     2,
     "2 of 2 control planes healthy; not HA (that needs 3 or more control planes)"},
    {"one healthy control plane and a worker",
     {CP("solo"), WORKER("solo-m02", COMP_RUNNING)},
     2,
     CLUSTER_RUNNING,
     1,
     1,
     1,
     "1 of 1 control plane healthy; not HA (that needs 3 or more control planes)"},
    {"four control planes, one missing from the member list",
     {CP("ha-demo"), CP("ha-demo-m02"), CP("ha-demo-m03"), CP_NO_MEMBER("ha-demo-m04")},
     4,
     CLUSTER_DEGRADED,
     3,
     3,
     3,
     "3 of 4 control planes healthy; etcd quorum held (3 of 3 members); unhealthy: "
     "ha-demo-m04 (not an etcd member)"},
    {"a stopped worker leaves the control-plane verdict alone",
     {CP("ha-demo"), CP("ha-demo-m02"), CP("ha-demo-m03"), WORKER("ha-demo-m04", COMP_STOPPED)},
     4,
     CLUSTER_HAPPY,
     3,
     3,
     3,
     "3 of 3 control planes healthy; etcd quorum held (3 of 3 members)"},
    {"two control planes, one down: a 2-member etcd has no quorum",
     {CP("two"), CP_DOWN("two-m02")},
     2,
     CLUSTER_NOQUORUM,
     1,
     2,
     1,
     "etcd quorum lost (1 of 2 members healthy); 1 of 2 control planes healthy; unhealthy: "
     "two-m02 (host Stopped)"},
    {"hosts stopped or gone, none running",
     {CP_DOWN("ha-demo"),
      CP_DOWN("ha-demo-m02"),
      {.name = "ha-demo-m03", .control_plane = true, ALL(COMP_NONEXISTENT), .etcd_member = true}},
     3,
     CLUSTER_ERROR,
     0,
     3,
     0,
     "no control-plane host is running (2 stopped, 1 nonexistent, 0 in error); unhealthy: "
     "ha-demo (host Stopped), ha-demo-m02 (host Stopped), ha-demo-m03 (host Nonexistent)"},
    {"only workers",
     {WORKER("w1", COMP_RUNNING)},
     1,
     CLUSTER_ERROR,
     0,
     0,
     0,
     "no control-plane node"},
};

static void check_case(const struct decide_case *c)
{
	struct cluster_verdict v;
	cluster_decide(c->nodes, c->n, &v);
	cr_expect_eq(v.state, c->want, "%s: state %s, want %s", c->what,
		     cluster_state_name(v.state), cluster_state_name(c->want));
	cr_expect_eq(v.cp_healthy, c->cp_healthy, "%s: cp_healthy %u", c->what, v.cp_healthy);
	cr_expect_eq(v.etcd_members, c->members, "%s: etcd_members %u", c->what, v.etcd_members);
	cr_expect_eq(v.etcd_healthy, c->etcd_healthy, "%s: etcd_healthy %u", c->what,
		     v.etcd_healthy);
	cr_expect_str_eq(v.reason, c->reason, "%s: reason \"%s\"", c->what, v.reason);
}

Test(cluster_decide, table)
{
	for (size_t i = 0; i < sizeof(decide_cases) / sizeof(decide_cases[0]); i++)
		check_case(&decide_cases[i]);
}

Test(cluster_decide, no_nodes_is_an_error)
{
	struct cluster_verdict v;
	cluster_decide(NULL, 0, &v);
	cr_assert_eq(v.state, CLUSTER_ERROR);
	cr_assert_str_eq(v.reason, "no control-plane node");
}

Test(cluster_decide, no_apiserver_answers_is_no_quorum)
{
	struct node_health nodes[] = {CP("ha-demo"), CP("ha-demo-m02"), CP("ha-demo-m03")};
	for (size_t i = 0; i < 3; i++)
		nodes[i].apiserver = COMP_ERROR;
	struct cluster_verdict v;
	cluster_decide(nodes, 3, &v);
	cr_assert_eq(v.state, CLUSTER_NOQUORUM);
	cr_assert_str_eq(v.reason, "no apiserver answers; etcd quorum held (3 of 3 members); "
				   "unhealthy: ha-demo (apiserver Error), ha-demo-m02 (apiserver "
				   "Error), ha-demo-m03 (apiserver Error)");
}

Test(cluster_decide, kubelet_down_with_etcd_up_is_degraded)
{
	struct node_health nodes[] = {CP("ha-demo"), CP("ha-demo-m02"), CP_DOWN("ha-demo-m03")};
	nodes[1].kubelet = COMP_STOPPED;
	struct cluster_verdict v;
	cluster_decide(nodes, 3, &v);
	cr_assert_eq(v.state, CLUSTER_DEGRADED);
	cr_assert_str_eq(v.reason,
			 "1 of 3 control planes healthy; etcd quorum held (2 of 3 "
			 "members); unhealthy: ha-demo-m02 (kubelet Stopped), ha-demo-m03 "
			 "(host Stopped)");
}

Test(cluster_decide, member_list_unavailable)
{
	struct node_health nodes[] = {CP("ha-demo"), CP("ha-demo-m02"), CP("ha-demo-m03")};
	for (size_t i = 0; i < 3; i++)
		nodes[i].etcd_member = false;
	struct cluster_verdict v;
	cluster_decide(nodes, 3, &v);
	cr_assert_eq(v.state, CLUSTER_HAPPY);
	cr_assert_str_eq(v.reason, "3 of 3 control planes healthy; etcd quorum held (3 of 3 "
				   "members); etcd member list unavailable (every control plane "
				   "taken as a member)");
	/* With every etcd down too, the list is unreadable and quorum is gone. */
	for (size_t i = 0; i < 3; i++)
		nodes[i].etcd = COMP_STOPPED;
	cluster_decide(nodes, 3, &v);
	cr_assert_eq(v.state, CLUSTER_NOQUORUM);
	cr_assert_eq(v.etcd_members, 3);
	cr_assert_eq(v.etcd_healthy, 0);
}

Test(cluster_decide, leaked_member_counts_against_quorum)
{
	/* Three running control planes, one of them broken, plus a member no node owns. */
	struct node_health nodes[] = {
	    CP("ha-demo"),
	    CP("ha-demo-m02"),
	    CP_DOWN("ha-demo-m03"),
	    {.name = "ha-demo-m04",
	     .control_plane = true,
	     ALL(COMP_NONEXISTENT),
	     .etcd_member = true},
	};
	struct cluster_verdict v;
	cluster_decide(nodes, 4, &v);
	cr_assert_eq(v.state, CLUSTER_NOQUORUM, "%s", v.reason);
	cr_assert_eq(v.etcd_members, 4);
	cr_assert_eq(v.etcd_healthy, 2);
}

Test(cluster_decide, long_lists_are_cut_with_a_count)
{
	static char names[16][64];
	struct node_health nodes[16];
	for (size_t i = 0; i < 16; i++) {
		snprintf(names[i], sizeof(names[i]),
			 "a-rather-long-profile-name-for-testing-m%02zu", i + 1);
		nodes[i] = (struct node_health)CP_DOWN(names[i]);
		if (i < 7)
			nodes[i] = (struct node_health)CP(names[i]);
	}
	struct cluster_verdict v;
	cluster_decide(nodes, 16, &v);
	cr_assert_eq(v.state, CLUSTER_NOQUORUM);
	cr_assert_lt(strlen(v.reason), sizeof(v.reason) - 1);
	cr_assert(strstr(v.reason, " more"), "%s", v.reason);
	cr_assert(strstr(v.reason, "etcd quorum lost (7 of 16 members healthy)"), "%s", v.reason);
}

Test(cluster_status, names)
{
	cr_assert_str_eq(cluster_state_name(CLUSTER_HAPPY), "HAppy");
	cr_assert_str_eq(cluster_state_name(CLUSTER_DEGRADED), "Degraded");
	cr_assert_str_eq(cluster_state_name(CLUSTER_NOQUORUM), "NoQuorum");
	cr_assert_str_eq(cluster_state_name(CLUSTER_STOPPED), "Stopped");
	cr_assert_str_eq(cluster_state_name(CLUSTER_RUNNING), "Running");
	cr_assert_str_eq(cluster_state_name(CLUSTER_ERROR), "Error");
	cr_assert_str_eq(comp_state_name(COMP_RUNNING), "Running");
	cr_assert_str_eq(comp_state_name(COMP_STOPPED), "Stopped");
	cr_assert_str_eq(comp_state_name(COMP_ERROR), "Error");
	cr_assert_str_eq(comp_state_name(COMP_NONEXISTENT), "Nonexistent");
	cr_assert_str_eq(comp_state_name(COMP_IRRELEVANT), "Irrelevant");
}

/* ---- exit code ---- */

Test(status_exit_code, bits)
{
	struct node_health ok[] = {CP("ha-demo"), CP("ha-demo-m02"), CP("ha-demo-m03"),
				   WORKER("ha-demo-m04", COMP_RUNNING)};
	cr_assert_eq(status_exit_code(ok, 4), 0);
	cr_assert_eq(status_exit_code(NULL, 0), 0);

	/* A stopped worker: host bit (and, as in minikube, the kubelet's cluster bit). */
	struct node_health w[] = {CP("ha-demo"), WORKER("ha-demo-m02", COMP_STOPPED)};
	cr_assert_eq(status_exit_code(w, 2), STATUS_EXIT_HOST | STATUS_EXIT_CLUSTER);
	w[1].kubelet = COMP_RUNNING;
	cr_assert_eq(status_exit_code(w, 2), STATUS_EXIT_HOST);

	/* A worker's kubeconfig and apiserver are irrelevant. */
	w[1] = (struct node_health)WORKER("ha-demo-m02", COMP_RUNNING);
	w[1].kubeconfig_ok = false;
	cr_assert_eq(status_exit_code(w, 2), 0);

	struct node_health c[] = {CP("ha-demo")};
	c[0].apiserver = COMP_ERROR;
	cr_assert_eq(status_exit_code(c, 1), STATUS_EXIT_CLUSTER);
	c[0] = (struct node_health)CP("ha-demo");
	c[0].kubeconfig_ok = false;
	cr_assert_eq(status_exit_code(c, 1), STATUS_EXIT_KUBECONFIG);
	c[0] = (struct node_health)CP_DOWN("ha-demo");
	cr_assert_eq(status_exit_code(c, 1), STATUS_EXIT_HOST | STATUS_EXIT_CLUSTER);
	c[0].kubeconfig_ok = false;
	cr_assert_eq(status_exit_code(c, 1), 7);
	/* etcd is ours, not one of minikube's bits. */
	c[0] = (struct node_health)CP("ha-demo");
	c[0].etcd = COMP_STOPPED;
	cr_assert_eq(status_exit_code(c, 1), 0);
}

/* ---- output ---- */

static const struct node_health demo[] = {
    {.name = "ha-demo",
     .control_plane = true,
     ALL(COMP_RUNNING),
     .etcd_member = true,
     .kubeconfig_ok = true,
     .vip_role = "leader",
     .ip = "192.168.49.2"},
    {.name = "ha-demo-m02",
     .control_plane = true,
     ALL(COMP_RUNNING),
     .etcd_member = true,
     .kubeconfig_ok = false,
     .vip_role = "follower",
     .ip = "192.168.49.3"},
    CP_DOWN("ha-demo-m03"),
    WORKER("ha-demo-m04", COMP_RUNNING),
};

struct capture {
	char *buf;
	size_t len;
	FILE *f;
};

static void capture_open(struct capture *c)
{
	c->f = open_memstream(&c->buf, &c->len);
	cr_assert_not_null(c->f);
}

static char *capture_close(struct capture *c)
{
	fclose(c->f);
	return c->buf;
}

Test(status_print_text, golden)
{
	struct capture c;
	capture_open(&c);
	cr_assert_eq(status_print_text(c.f, demo, 4), 0);
	char *got = capture_close(&c);
	cr_assert_str_eq(got, "ha-demo\n"
			      "type: Control Plane\n"
			      "host: Running\n"
			      "kubelet: Running\n"
			      "apiserver: Running\n"
			      "etcd: Running\n"
			      "vip: leader\n"
			      "kubeconfig: Configured\n"
			      "\n"
			      "ha-demo-m02\n"
			      "type: Control Plane\n"
			      "host: Running\n"
			      "kubelet: Running\n"
			      "apiserver: Running\n"
			      "etcd: Running\n"
			      "vip: follower\n"
			      "kubeconfig: Misconfigured\n"
			      "\n"
			      "ha-demo-m03\n"
			      "type: Control Plane\n"
			      "host: Stopped\n"
			      "kubelet: Stopped\n"
			      "apiserver: Stopped\n"
			      "etcd: Stopped\n"
			      "vip: unknown\n"
			      "kubeconfig: Configured\n"
			      "\n"
			      "ha-demo-m04\n"
			      "type: Worker\n"
			      "host: Running\n"
			      "kubelet: Running\n"
			      "\n");
	free(got);
}

Test(status_print_text, full_stream_is_eio)
{
	char buf[16];
	FILE *f = fmemopen(buf, sizeof(buf), "w");
	cr_assert_not_null(f);
	setvbuf(f, NULL, _IONBF, 0);
	cr_assert_eq(status_print_text(f, demo, 4), -EIO);
	fclose(f);
}

Test(status_print_json, nodes_layout)
{
	struct capture c;
	capture_open(&c);
	cr_assert_eq(status_print_json(c.f, "ha-demo", NULL, &demo[3], 1), 0);
	char *got = capture_close(&c);
	cr_assert_str_eq(got, "[{\"Name\":\"ha-demo-m04\",\"Host\":\"Running\",\"Kubelet\":"
			      "\"Running\",\"APIServer\":\"Irrelevant\",\"Kubeconfig\":"
			      "\"Irrelevant\",\"Worker\":true,\"Etcd\":\"Irrelevant\",\"VIP\":"
			      "\"Irrelevant\",\"IP\":\"192.168.49.9\"}]\n");
	free(got);
}

Test(status_print_json, cluster_layout)
{
	struct cluster_verdict v;
	cluster_decide(demo, 4, &v);
	struct capture c;
	capture_open(&c);
	cr_assert_eq(status_print_json(c.f, "ha-demo", &v, demo, 4), 0);
	char *got = capture_close(&c);
	json_error_t err;
	json_t *doc = json_loads(got, 0, &err);
	cr_assert_not_null(doc, "%s: %s", err.text, got);
	cr_assert_str_eq(json_string_value(json_object_get(doc, "Name")), "ha-demo");
	cr_assert_str_eq(json_string_value(json_object_get(doc, "State")), "Degraded");
	cr_assert_str_eq(json_string_value(json_object_get(doc, "Reason")), v.reason);
	json_t *nodes = json_object_get(doc, "Nodes");
	cr_assert_eq(json_array_size(nodes), 4);
	json_t *m02 = json_array_get(nodes, 1);
	cr_assert_str_eq(json_string_value(json_object_get(m02, "Kubeconfig")), "Misconfigured");
	cr_assert_str_eq(json_string_value(json_object_get(m02, "VIP")), "follower");
	cr_assert_str_eq(json_string_value(json_object_get(m02, "Etcd")), "Running");
	cr_assert(json_is_false(json_object_get(m02, "Worker")));
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(nodes, 2), "VIP")),
			 "unknown");
	json_decref(doc);
	free(got);
}

static const struct profile_row_node demo_nodes[] = {
    {"ha-demo", "192.168.49.2", true},
    {"ha-demo-m02", "192.168.49.3", true},
    {"ha-demo-m03", "192.168.49.4", true},
    {"ha-demo-m04", "192.168.49.5", false},
};

static const struct profile_row rows[] = {
    {"ha-demo", "namespaces", "containerd", "192.168.49.254", 8443, "v1.34.4", "HAppy", 4, true,
     demo_nodes},
    {"solo", "namespaces", "containerd", "192.168.58.2", 8443, "v1.34.4", "Stopped", 1, false,
     NULL},
};

Test(profile_list_print_table, golden)
{
	struct capture c;
	capture_open(&c);
	cr_assert_eq(profile_list_print_table(c.f, rows, 2), 0);
	char *got = capture_close(&c);
	cr_assert_str_eq(got, "|---------|------------|------------|----------------|------|-------"
			      "--|---------|-------|"
			      "--------|\n"
			      "| Profile |   Driver   |  Runtime   |       IP       | Port | "
			      "Version | Status  | Nodes |"
			      " Active |\n"
			      "|---------|------------|------------|----------------|------|-------"
			      "--|---------|-------|"
			      "--------|\n"
			      "| ha-demo | namespaces | containerd | 192.168.49.254 | 8443 | "
			      "v1.34.4 | HAppy   |     4 |"
			      " *      |\n"
			      "| solo    | namespaces | containerd | 192.168.58.2   | 8443 | "
			      "v1.34.4 | Stopped |     1 |"
			      "        |\n"
			      "|---------|------------|------------|----------------|------|-------"
			      "--|---------|-------|"
			      "--------|\n");
	free(got);
}

Test(profile_list_print_table, no_rows_is_header_only)
{
	struct capture c;
	capture_open(&c);
	cr_assert_eq(profile_list_print_table(c.f, NULL, 0), 0);
	char *got = capture_close(&c);
	cr_assert_str_eq(got,
			 "|---------|--------|---------|----|------|---------|--------|-------|"
			 "--------|\n"
			 "| Profile | Driver | Runtime | IP | Port | Version | Status | Nodes |"
			 " Active |\n"
			 "|---------|--------|---------|----|------|---------|--------|-------|"
			 "--------|\n"
			 "|---------|--------|---------|----|------|---------|--------|-------|"
			 "--------|\n");
	free(got);
}

Test(profile_list_print_json, minikube_shape)
{
	const char *const invalid[] = {"broken"};
	struct capture c;
	capture_open(&c);
	cr_assert_eq(profile_list_print_json(c.f, rows, 2, invalid, 1), 0);
	char *got = capture_close(&c);
	json_error_t err;
	json_t *doc = json_loads(got, 0, &err);
	cr_assert_not_null(doc, "%s: %s", err.text, got);
	cr_assert_str_eq(json_string_value(json_object_get(
			     json_array_get(json_object_get(doc, "invalid"), 0), "Name")),
			 "broken");
	json_t *valid = json_object_get(doc, "valid");
	cr_assert_eq(json_array_size(valid), 2);
	json_t *p = json_array_get(valid, 0);
	cr_assert_str_eq(json_string_value(json_object_get(p, "Name")), "ha-demo");
	cr_assert_str_eq(json_string_value(json_object_get(p, "Status")), "HAppy");
	cr_assert(json_is_true(json_object_get(p, "Active")));
	json_t *cfg = json_object_get(p, "Config");
	cr_assert_str_eq(json_string_value(json_object_get(cfg, "Driver")), "namespaces");
	cr_assert_str_eq(json_string_value(json_object_get(cfg, "Runtime")), "containerd");
	json_t *k8s = json_object_get(cfg, "KubernetesConfig");
	cr_assert_str_eq(json_string_value(json_object_get(k8s, "KubernetesVersion")), "v1.34.4");
	cr_assert_str_eq(json_string_value(json_object_get(k8s, "ContainerRuntime")), "containerd");
	json_t *nodes = json_object_get(cfg, "Nodes");
	cr_assert_eq(json_array_size(nodes), 4);
	json_t *m04 = json_array_get(nodes, 3);
	cr_assert_str_eq(json_string_value(json_object_get(m04, "IP")), "192.168.49.5");
	cr_assert_eq(json_integer_value(json_object_get(m04, "Port")), 8443);
	cr_assert(json_is_false(json_object_get(m04, "ControlPlane")));
	cr_assert(json_is_true(json_object_get(m04, "Worker")));
	/* No node list given: an empty array, never null. */
	json_t *solo_nodes =
	    json_object_get(json_object_get(json_array_get(valid, 1), "Config"), "Nodes");
	cr_assert(json_is_array(solo_nodes) && json_array_size(solo_nodes) == 0);
	json_decref(doc);
	free(got);
}

Test(profile_list_print_json, empty)
{
	struct capture c;
	capture_open(&c);
	cr_assert_eq(profile_list_print_json(c.f, NULL, 0, NULL, 0), 0);
	char *got = capture_close(&c);
	cr_assert_str_eq(got, "{\"invalid\":[],\"valid\":[]}\n");
	free(got);
}

/* An HA profile down to 2 healthy control planes is Degraded (the tutorial's step 8), a
 * non-HA one with 2 is Running, and other verdicts are left alone. */
Test(cluster_apply_ha, two_of_an_ha_cluster_is_degraded)
{
	struct cluster_verdict v = {.state = CLUSTER_RUNNING, .cp_total = 2};
	snprintf(v.reason, sizeof(v.reason), "2 of 2 control planes healthy");
	cluster_apply_ha(&v, true);
	cr_assert_eq(v.state, CLUSTER_DEGRADED);
	cr_assert(strstr(v.reason, "HA needs 3 control planes, 2 left"), "%s", v.reason);
	struct cluster_verdict w = {.state = CLUSTER_RUNNING, .cp_total = 2};
	cluster_apply_ha(&w, false);
	cr_assert_eq(w.state, CLUSTER_RUNNING);
	struct cluster_verdict h = {.state = CLUSTER_HAPPY, .cp_total = 3};
	cluster_apply_ha(&h, true);
	cr_assert_eq(h.state, CLUSTER_HAPPY);
}
