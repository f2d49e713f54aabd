/*
 * cluster_status.c — the status rules and the `status` / `profile list` output (see
 * cluster_status.h). Pure: the probes live with the commands.
 */
#include "cluster_status.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *str(const char *s)
{
	return s ? s : "";
}

/* Flushes, so a full or failing stream is reported now rather than at fclose. */
static int stream_result(FILE *out)
{
	return fflush(out) == EOF || ferror(out) ? -EIO : 0;
}

const char *comp_state_name(enum comp_state s)
{
	switch (s) {
	case COMP_RUNNING:
		return "Running";
	case COMP_STOPPED:
		return "Stopped";
	case COMP_ERROR:
		return "Error";
	case COMP_NONEXISTENT:
		return "Nonexistent";
	case COMP_IRRELEVANT:
		return "Irrelevant";
	}
	return "Unknown";
}

const char *cluster_state_name(enum cluster_state s)
{
	switch (s) {
	case CLUSTER_HAPPY:
		return "HAppy";
	case CLUSTER_DEGRADED:
		return "Degraded";
	case CLUSTER_NOQUORUM:
		return "NoQuorum";
	case CLUSTER_STOPPED:
		return "Stopped";
	case CLUSTER_RUNNING:
		return "Running";
	case CLUSTER_ERROR:
		return "Error";
	}
	return "Unknown";
}

/* ---- the verdict ---- */

struct cp_counts {
	unsigned total, healthy, host_running, host_stopped, host_missing, apiservers;
	unsigned members, etcd_healthy;
	bool members_known; /* false: `etcdctl member list` gave nothing */
};

static bool components_run(const struct node_health *n)
{
	return n->host == COMP_RUNNING && n->kubelet == COMP_RUNNING &&
	       n->apiserver == COMP_RUNNING && n->etcd == COMP_RUNNING;
}

static bool is_member(const struct node_health *n, bool members_known)
{
	return n->etcd_member || !members_known;
}

static bool cp_healthy(const struct node_health *n, bool members_known)
{
	return components_run(n) && is_member(n, members_known);
}

static bool any_member(const struct node_health *nodes, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (nodes[i].control_plane && nodes[i].etcd_member)
			return true;
	return false;
}

static void count_cps(const struct node_health *nodes, size_t n, struct cp_counts *c)
{
	*c = (struct cp_counts){.members_known = any_member(nodes, n)};
	for (size_t i = 0; i < n; i++) {
		const struct node_health *h = &nodes[i];
		if (!h->control_plane)
			continue;
		c->total++;
		c->healthy += cp_healthy(h, c->members_known);
		c->host_running += h->host == COMP_RUNNING;
		c->host_stopped += h->host == COMP_STOPPED;
		c->host_missing += h->host == COMP_NONEXISTENT;
		c->apiservers += h->apiserver == COMP_RUNNING;
		if (is_member(h, c->members_known)) {
			c->members++;
			c->etcd_healthy += h->etcd == COMP_RUNNING;
		}
	}
}

static enum cluster_state decide_state(const struct cp_counts *c)
{
	if (c->total == 0)
		return CLUSTER_ERROR;
	if (c->host_stopped == c->total)
		return CLUSTER_STOPPED;
	if (c->host_running == 0)
		return CLUSTER_ERROR;
	if (c->etcd_healthy * 2 <= c->members || c->apiservers == 0)
		return CLUSTER_NOQUORUM;
	if (c->healthy == c->total)
		return c->total >= 3 ? CLUSTER_HAPPY : CLUSTER_RUNNING;
	return CLUSTER_DEGRADED;
}

static void say(struct cluster_verdict *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void say(struct cluster_verdict *v, const char *fmt, ...)
{
	size_t len = strlen(v->reason);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(v->reason + len, sizeof(v->reason) - len, fmt, ap);
	va_end(ap);
}

static const char *planes(unsigned n)
{
	return n == 1 ? "control plane" : "control planes";
}

/* What is wrong with an unhealthy control plane: its first failing part. */
static void why_unhealthy(const struct node_health *n, char *buf, size_t len)
{
	static const char *const part[] = {"host", "kubelet", "apiserver", "etcd"};
	const enum comp_state st[] = {n->host, n->kubelet, n->apiserver, n->etcd};
	for (size_t i = 0; i < sizeof(st) / sizeof(st[0]); i++) {
		if (st[i] != COMP_RUNNING) {
			snprintf(buf, len, "%s %s", part[i], comp_state_name(st[i]));
			return;
		}
	}
	snprintf(buf, len, "not an etcd member");
}

/* "; unhealthy: a (host Stopped), b (etcd Error)" — as many as fit, then "and N more". */
static void say_unhealthy(struct cluster_verdict *v, const struct node_health *nodes, size_t n,
			  bool members_known)
{
	const size_t more_room = sizeof(" and 99 more");
	unsigned listed = 0, unhealthy = v->cp_total - v->cp_healthy;
	for (size_t i = 0; i < n; i++) {
		const struct node_health *h = &nodes[i];
		if (!h->control_plane || cp_healthy(h, members_known))
			continue;
		char why[48], item[160];
		why_unhealthy(h, why, sizeof(why));
		snprintf(item, sizeof(item), "%s%s (%s)",
			 listed ? ", " : "; unhealthy: ", str(h->name), why);
		if (strlen(v->reason) + strlen(item) + more_room > sizeof(v->reason)) {
			say(v, " and %u more", unhealthy - listed);
			return;
		}
		say(v, "%s", item);
		listed++;
	}
}

static void say_counts(struct cluster_verdict *v, const struct cp_counts *c)
{
	bool quorum = c->etcd_healthy * 2 > c->members;
	switch (v->state) {
	case CLUSTER_ERROR:
		if (c->total == 0)
			say(v, "no control-plane node");
		else
			say(v,
			    "no control-plane host is running (%u stopped, %u nonexistent, %u in "
			    "error)",
			    c->host_stopped, c->host_missing,
			    c->total - c->host_stopped - c->host_missing);
		return;
	case CLUSTER_STOPPED:
		say(v, "all %u %s stopped", c->total, planes(c->total));
		return;
	case CLUSTER_NOQUORUM:
		if (!quorum)
			say(v, "etcd quorum lost (%u of %u members healthy); %u of %u %s healthy",
			    c->etcd_healthy, c->members, c->healthy, c->total, planes(c->total));
		else
			say(v, "no apiserver answers; etcd quorum held (%u of %u members)",
			    c->etcd_healthy, c->members);
		return;
	case CLUSTER_RUNNING:
		say(v, "%u of %u %s healthy; not HA (that needs 3 or more control planes)",
		    c->healthy, c->total, planes(c->total));
		return;
	case CLUSTER_HAPPY:
	case CLUSTER_DEGRADED:
		say(v, "%u of %u %s healthy; etcd quorum held (%u of %u members)", c->healthy,
		    c->total, planes(c->total), c->etcd_healthy, c->members);
		return;
	}
}

void cluster_decide(const struct node_health *nodes, size_t n, struct cluster_verdict *out)
{
	struct cp_counts c;
	count_cps(nodes, n, &c);
	*out = (struct cluster_verdict){
	    .state = decide_state(&c),
	    .cp_total = c.total,
	    .cp_healthy = c.healthy,
	    .etcd_members = c.members,
	    .etcd_healthy = c.etcd_healthy,
	};
	say_counts(out, &c);
	if (out->state == CLUSTER_STOPPED || c.total == 0)
		return;
	if (!c.members_known)
		say(out, "; etcd member list unavailable (every control plane taken as a member)");
	say_unhealthy(out, nodes, n, c.members_known);
}

int status_exit_code(const struct node_health *nodes, size_t n)
{
	int code = 0;
	for (size_t i = 0; i < n; i++) {
		const struct node_health *h = &nodes[i];
		if (h->host != COMP_RUNNING)
			code |= STATUS_EXIT_HOST;
		if (h->kubelet != COMP_RUNNING ||
		    (h->control_plane && h->apiserver != COMP_RUNNING))
			code |= STATUS_EXIT_CLUSTER;
		if (h->control_plane && !h->kubeconfig_ok)
			code |= STATUS_EXIT_KUBECONFIG;
	}
	return code;
}

/* ---- `status` output ---- */

static const char *vip_role(const struct node_health *h)
{
	return h->vip_role && h->vip_role[0] ? h->vip_role : "unknown";
}

static const char *kubeconfig_name(const struct node_health *h)
{
	return h->kubeconfig_ok ? "Configured" : "Misconfigured";
}

static void print_node_text(FILE *out, const struct node_health *h)
{
	fprintf(out, "%s\ntype: %s\nhost: %s\nkubelet: %s\n", str(h->name),
		h->control_plane ? "Control Plane" : "Worker", comp_state_name(h->host),
		comp_state_name(h->kubelet));
	if (h->control_plane)
		fprintf(out, "apiserver: %s\netcd: %s\nvip: %s\nkubeconfig: %s\n",
			comp_state_name(h->apiserver), comp_state_name(h->etcd), vip_role(h),
			kubeconfig_name(h));
	fputc('\n', out);
}

int status_print_text(FILE *out, const struct node_health *nodes, size_t n)
{
	for (size_t i = 0; i < n; i++)
		print_node_text(out, &nodes[i]);
	return stream_result(out);
}

static json_t *node_json(const struct node_health *h)
{
	const char *irrelevant = comp_state_name(COMP_IRRELEVANT);
	bool cp = h->control_plane;
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:s}", "Name", str(h->name),
			 "Host", comp_state_name(h->host), "Kubelet", comp_state_name(h->kubelet),
			 "APIServer", cp ? comp_state_name(h->apiserver) : irrelevant, "Kubeconfig",
			 cp ? kubeconfig_name(h) : irrelevant, "Worker", !cp, "Etcd",
			 cp ? comp_state_name(h->etcd) : irrelevant, "VIP",
			 cp ? vip_role(h) : irrelevant, "IP", str(h->ip));
}

static json_t *nodes_json(const struct node_health *nodes, size_t n)
{
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < n; i++) {
		if (json_array_append_new(arr, node_json(&nodes[i])) < 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

/* Writes doc as one line and drops it. */
static int dump_line(FILE *out, json_t *doc)
{
	if (!doc)
		return -ENOMEM;
	int rc = json_dumpf(doc, out, JSON_COMPACT);
	json_decref(doc);
	if (rc < 0 || fputc('\n', out) == EOF)
		return -EIO;
	return stream_result(out);
}

int status_print_json(FILE *out, const char *profile, const struct cluster_verdict *v,
		      const struct node_health *nodes, size_t n)
{
	json_t *arr = nodes_json(nodes, n);
	if (!v || !arr)
		return dump_line(out, arr);
	json_t *doc = json_pack("{s:s, s:s, s:s}", "Name", str(profile), "State",
				cluster_state_name(v->state), "Reason", v->reason);
	if (!doc || json_object_set_new(doc, "Nodes", arr) < 0) {
		json_decref(doc);
		json_decref(arr);
		return -ENOMEM;
	}
	return dump_line(out, doc);
}

/* ---- `profile list` ---- */

enum { PL_COLS = 9, PL_PORT = 4, PL_NODES = 7 };

static const char *const pl_head[PL_COLS] = {"Profile", "Driver", "Runtime", "IP",    "Port",
					     "Version", "Status", "Nodes",   "Active"};

struct pl_cells {
	char port[12], nodes[12];
	const char *c[PL_COLS];
};

static void row_cells(const struct profile_row *r, struct pl_cells *cells)
{
	snprintf(cells->port, sizeof(cells->port), "%u", r->port);
	snprintf(cells->nodes, sizeof(cells->nodes), "%u", r->nodes);
	const char *c[PL_COLS] = {str(r->profile), str(r->driver), str(r->runtime),
				  str(r->ip),	   cells->port,	   str(r->version),
				  str(r->status),  cells->nodes,   r->active ? "*" : ""};
	memcpy(cells->c, c, sizeof(c));
}

static void column_widths(const struct profile_row *rows, size_t n, size_t *w)
{
	for (size_t j = 0; j < PL_COLS; j++)
		w[j] = strlen(pl_head[j]);
	for (size_t i = 0; i < n; i++) {
		struct pl_cells cells;
		row_cells(&rows[i], &cells);
		for (size_t j = 0; j < PL_COLS; j++)
			if (strlen(cells.c[j]) > w[j])
				w[j] = strlen(cells.c[j]);
	}
}

static void print_border(FILE *out, const size_t *w)
{
	fputc('|', out);
	for (size_t j = 0; j < PL_COLS; j++) {
		for (size_t k = 0; k < w[j] + 2; k++)
			fputc('-', out);
		fputc('|', out);
	}
	fputc('\n', out);
}

/* tablewriter centres headers with the odd space on the right. */
static void print_header(FILE *out, const size_t *w)
{
	fputc('|', out);
	for (size_t j = 0; j < PL_COLS; j++) {
		int gap = (int)(w[j] - strlen(pl_head[j]));
		fprintf(out, " %*s%s%*s |", gap / 2, "", pl_head[j], gap - gap / 2, "");
	}
	fputc('\n', out);
}

static void print_row(FILE *out, const struct profile_row *r, const size_t *w)
{
	struct pl_cells cells;
	row_cells(r, &cells);
	fputc('|', out);
	for (size_t j = 0; j < PL_COLS; j++) {
		int width = (int)w[j];
		if (j == PL_PORT || j == PL_NODES)
			fprintf(out, " %*s |", width, cells.c[j]);
		else
			fprintf(out, " %-*s |", width, cells.c[j]);
	}
	fputc('\n', out);
}

int profile_list_print_table(FILE *out, const struct profile_row *rows, size_t n)
{
	size_t w[PL_COLS];
	column_widths(rows, n, w);
	print_border(out, w);
	print_header(out, w);
	print_border(out, w);
	for (size_t i = 0; i < n; i++)
		print_row(out, &rows[i], w);
	print_border(out, w);
	return stream_result(out);
}

static json_t *profile_nodes_json(const struct profile_row *r)
{
	json_t *arr = json_array();
	for (size_t i = 0; arr && r->node_list && i < r->nodes; i++) {
		const struct profile_row_node *nd = &r->node_list[i];
		json_t *o = json_pack("{s:s, s:s, s:I, s:b, s:b}", "Name", str(nd->name), "IP",
				      str(nd->ip), "Port", (json_int_t)r->port, "ControlPlane",
				      nd->control_plane, "Worker", !nd->control_plane);
		if (json_array_append_new(arr, o) < 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

static json_t *profile_json(const struct profile_row *r)
{
	json_t *nodes = profile_nodes_json(r);
	json_t *config =
	    json_pack("{s:s, s:s, s:s, s:{s:s, s:s}}", "Name", str(r->profile), "Driver",
		      str(r->driver), "Runtime", str(r->runtime), "KubernetesConfig",
		      "KubernetesVersion", str(r->version), "ContainerRuntime", str(r->runtime));
	json_t *doc = json_pack("{s:s, s:s, s:b}", "Name", str(r->profile), "Status",
				str(r->status), "Active", r->active);
	if (!nodes || !config || !doc) {
		json_decref(nodes);
		json_decref(config);
		json_decref(doc);
		return NULL;
	}
	if (json_object_set_new(config, "Nodes", nodes) < 0) { /* nodes freed by the call */
		json_decref(config);
		json_decref(doc);
		return NULL;
	}
	if (json_object_set_new(doc, "Config", config) < 0) { /* config freed by the call */
		json_decref(doc);
		return NULL;
	}
	return doc;
}

static int append_profiles(json_t *valid, const struct profile_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (json_array_append_new(valid, profile_json(&rows[i])) < 0)
			return -ENOMEM;
	return 0;
}

static int append_invalid(json_t *invalid, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (json_array_append_new(invalid, json_pack("{s:s}", "Name", str(names[i]))) < 0)
			return -ENOMEM;
	return 0;
}

int profile_list_print_json(FILE *out, const struct profile_row *rows, size_t n,
			    const char *const *invalid, size_t n_invalid)
{
	json_t *doc = json_pack("{s:[], s:[]}", "invalid", "valid");
	if (!doc)
		return -ENOMEM;
	if (append_invalid(json_object_get(doc, "invalid"), invalid, n_invalid) < 0 ||
	    append_profiles(json_object_get(doc, "valid"), rows, n) < 0) {
		json_decref(doc);
		return -ENOMEM;
	}
	return dump_line(out, doc);
}

void cluster_apply_ha(struct cluster_verdict *v, bool ha)
{
	if (!ha || v->state != CLUSTER_RUNNING)
		return;
	char was[sizeof(v->reason)];
	snprintf(was, sizeof(was), "%s", v->reason);
	v->state = CLUSTER_DEGRADED;
	int n = snprintf(v->reason, sizeof(v->reason), "HA needs 3 control planes, %u left; ",
			 v->cp_total);
	if (n > 0 && (size_t)n < sizeof(v->reason))
		snprintf(v->reason + n, sizeof(v->reason) - (size_t)n, "%.*s",
			 (int)(sizeof(v->reason) - (size_t)n - 1), was);
}
