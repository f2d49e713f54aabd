/*
 * actions.c — what start, stop, delete and the node commands do, step by step. A step prints
 * its line when it begins and its duration when it ends, so a slow step shows where the time
 * goes while it runs.
 */
#include "actions.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "bootstrap.h"
#include "clock.h"
#include "kubeconfig_user.h"

#define NODE_CREATE_TIMEOUT_S 300
#define SHORT_MS	      (30 * 1000)

static int64_t step_begin(struct action_ctx *a, const char *marker, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int64_t step_begin(struct action_ctx *a, const char *marker, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(a->out, "%s  ", marker);
	vfprintf(a->out, fmt, ap);
	fputs(" ...", a->out);
	fflush(a->out);
	va_end(ap);
	return clock_boot_ns();
}

static int step_end(struct action_ctx *a, int64_t t0, int err)
{
	if (err)
		fprintf(a->out, " failed after %.1fs: %s\n", clock_elapsed_s(t0), strerror(-err));
	else
		fprintf(a->out, " %.1fs\n", clock_elapsed_s(t0));
	fflush(a->out);
	return err;
}

struct profile_node *action_running_cp(struct profile *p, const struct profile_node *except)
{
	for (size_t i = 0; i < p->n_nodes; i++) {
		struct profile_node *n = &p->nodes[i];
		if (n != except && n->control_plane && provider_node_running(n))
			return n;
	}
	return NULL;
}

/* Polls `kubectl get node NAME` through via until Ready=True. */
static int wait_node_ready(struct action_ctx *a, struct profile_node *via, const char *name)
{
	char *args[] = {"get",
			"node",
			(char *)name,
			"-o",
			"jsonpath={.status.conditions[?(@.type==\"Ready\")].status}",
			NULL};
	int64_t t0 = clock_boot_ns();
	while (!a->no_wait) {
		char out[256] = "";
		if (bootstrap_kubectl(a->pv, via, args, out, sizeof(out), SHORT_MS) == 0 &&
		    !strcmp(out, "True"))
			return 0;
		if (clock_elapsed_s(t0) > a->wait_s) {
			log_error(a->pv->log, "node not Ready in time", "node=%s last=\"%s\"", name,
				  out);
			return -ETIMEDOUT;
		}
		usleep(500000);
	}
	return 0;
}

/* The node's own apiserver answers /readyz. */
static int wait_apiserver(struct action_ctx *a, struct profile_node *n)
{
	char server[64];
	snprintf(server, sizeof(server), "--server=https://%s:%u", n->ip, a->p->apiserver_port);
	char *args[] = {server, "get", "--raw", "/readyz", NULL};
	int64_t t0 = clock_boot_ns();
	for (;;) {
		char out[256] = "";
		if (bootstrap_kubectl(a->pv, n, args, out, sizeof(out), SHORT_MS) == 0)
			return 0;
		if (clock_elapsed_s(t0) > a->wait_s) {
			log_error(a->pv->log, "apiserver not ready in time",
				  "node=%s last=\"%.200s\"", n->name, out);
			return -ETIMEDOUT;
		}
		usleep(500000);
	}
}

static int merge_kubeconfig(struct action_ctx *a, struct profile_node *cp)
{
	char dir[4096], admin[4200], server[64];
	provider_node_dir(a->pv, cp, dir, sizeof(dir));
	snprintf(admin, sizeof(admin), "%s/etc/kubernetes/admin.conf", dir);
	snprintf(server, sizeof(server), "https://%s:%u", a->p->vip, a->p->apiserver_port);
	return kubeconfig_user_merge(a->pv->bindir, a->kubeconfig, a->p->name, server, admin,
				     a->pv->log);
}

/* Creates node n's namespaces and runtime and routes pods to and from it. */
static int create_node(struct action_ctx *a, struct profile_node *n)
{
	int err = provider_node_create(a->pv, n, NODE_CREATE_TIMEOUT_S);
	int serr = a->save(a);
	if (!err)
		err = serr;
	if (!err)
		err = provider_routes_sync(a->pv);
	return err;
}

/* Every node of the profile that is not running, at once: each node's init imports its images
 * while the others do. Saves after, so a failure leaves the truth in the profile. */
static int create_nodes(struct action_ctx *a)
{
	static struct provider_pending pending[PROFILE_MAX_NODES];
	size_t k = 0;
	int err = 0;
	for (size_t i = 0; i < a->p->n_nodes && !err; i++)
		if (!provider_node_running(&a->p->nodes[i]) &&
		    !(err = provider_node_begin(a->pv, &a->p->nodes[i], &pending[k])))
			k++;
	a->save(a); /* the inits' PIDs: an interrupted start must not leave unknown nodes */
	for (size_t i = 0; i < k; i++) {
		int e = provider_node_finish(a->pv, &pending[i], NODE_CREATE_TIMEOUT_S);
		if (e && !err)
			err = e;
	}
	int serr = a->save(a);
	if (!err)
		err = serr;
	if (!err)
		err = provider_routes_sync(a->pv);
	return err;
}

static int join_node(struct action_ctx *a, struct profile_node *n)
{
	const char *kind = n->control_plane ? "control-plane" : "worker";
	int64_t t0 = step_begin(a, "👍", "Starting \"%s\" %s node in \"%s\" cluster", n->name, kind,
				a->p->name);
	struct profile_node *via = action_running_cp(a->p, n);
	int err = !via ? -EHOSTDOWN : provider_node_running(n) ? 0 : create_node(a, n);
	if (!err)
		err = bootstrap_join(a->pv, n, via);
	if (!err)
		err = wait_node_ready(a, via, n->name);
	return step_end(a, t0, err);
}

int action_start(struct action_ctx *a)
{
	struct profile *p = a->p;
	struct profile_node *primary = profile_primary(p);
	if (!primary)
		return -EINVAL;
	int err = provider_bridge_up(a->pv);
	if (err)
		return err;
	int64_t t0 =
	    step_begin(a, "🔥", "Creating %zu nodes (namespaces, containerd, images)", p->n_nodes);
	if ((err = step_end(a, t0, create_nodes(a))))
		return err;
	t0 = step_begin(
	    a, "👍",
	    "Starting \"%s\" primary control-plane node in \"%s\" cluster: Kubernetes %s "
	    "on containerd, %s%s holds the VIP %s",
	    primary->name, p->name, p->k8s_version, p->vip_provider,
	    strcmp(p->vip_election, "etcd") ? "" : " (etcd election)", p->vip);
	err = bootstrap_init(a->pv, primary);
	if (!err)
		err = merge_kubeconfig(a, primary);
	if ((err = step_end(a, t0, err)))
		return err;
	for (size_t i = 0; i < p->n_nodes; i++) {
		struct profile_node *n = &p->nodes[i];
		if (n != primary && (err = join_node(a, n)))
			return err;
	}
	t0 = step_begin(a, "🔎", "Verifying Kubernetes components");
	for (size_t i = 0; i < p->n_nodes && !err; i++)
		err = wait_node_ready(a, primary, p->nodes[i].name);
	if ((err = step_end(a, t0, err)))
		return err;
	/* minikube's default addons: StorageClass "standard" + a dynamic hostPath provisioner. */
	t0 = step_begin(a, "🌟", "Enabling addons: default-storageclass, storage-provisioner");
	return step_end(a, t0, bootstrap_storage_addon(a->pv, primary));
}

int action_node_add(struct action_ctx *a, struct profile_node *n)
{
	int err = provider_hosts_sync(a->pv);
	if (!err)
		err = join_node(a, n);
	return err;
}

static unsigned cps_running(struct profile *p, const struct profile_node *except)
{
	unsigned k = 0;
	for (size_t i = 0; i < p->n_nodes; i++)
		if (&p->nodes[i] != except && p->nodes[i].control_plane &&
		    provider_node_running(&p->nodes[i]))
			k++;
	return k;
}

/* A control plane may go when the ones left still hold etcd quorum of the members left. */
static int check_removal(struct action_ctx *a, struct profile_node *n, bool force)
{
	if (!n->control_plane || force)
		return 0;
	size_t total = profile_control_planes(a->p);
	if (total <= 1) {
		fprintf(stderr,
			"❌  \"%s\" is the last control plane of \"%s\": deleting it ends the "
			"cluster (use `delete -p %s`, or --force)\n",
			n->name, a->p->name, a->p->name);
		return -EPERM;
	}
	unsigned left_running = cps_running(a->p, n);
	size_t left_members = total - 1;
	if (left_running <= left_members / 2) {
		fprintf(stderr,
			"❌  deleting \"%s\" would leave %u of %zu etcd members running: no quorum "
			"(start the stopped control planes first, or --force)\n",
			n->name, left_running, left_members);
		return -EPERM;
	}
	return 0;
}

/* A control plane about to stop hands the VIP over first if it holds it (vipd handover), so
 * a planned removal never costs a lease timeout. */
static void hand_vip_over(struct action_ctx *a, struct profile_node *n)
{
	struct profile_node *via = action_running_cp(a->p, n);
	if (!n->control_plane || !via || !provider_node_running(n))
		return;
	int64_t t0 = clock_boot_ns();
	char to[64];
	if (bootstrap_vip_handover(a->pv, via, n, to, sizeof(to)) == 0 && to[0])
		fprintf(a->out, "🔀  VIP handed over from \"%s\" to \"%s\" (%.1fs)\n", n->name, to,
			clock_elapsed_s(t0));
}

int action_node_delete(struct action_ctx *a, struct profile_node *n, bool force)
{
	int err = check_removal(a, n, force);
	if (err)
		return err;
	int64_t t0 =
	    step_begin(a, "🔥", "Deleting node \"%s\" from cluster \"%s\"", n->name, a->p->name);
	hand_vip_over(a, n);
	struct profile_node *via = action_running_cp(a->p, n);
	if (via && n->control_plane)
		err = bootstrap_etcd_remove(a->pv, via, n->name);
	if (err && !force)
		return step_end(a, t0, err);
	if (via)
		bootstrap_delete_node(a->pv, via, n->name);
	err = provider_node_stop(a->pv, n, 20000);
	provider_node_remove_files(a->pv, n);
	profile_node_remove(a->p, n);
	int serr = a->save(a);
	provider_hosts_sync(a->pv);
	provider_routes_sync(a->pv);
	return step_end(a, t0, err ? err : serr);
}

int action_node_stop(struct action_ctx *a, struct profile_node *n)
{
	hand_vip_over(a, n);
	int64_t t0 = step_begin(a, "✋", "Stopping node \"%s\"", n->name);
	int err = provider_node_stop(a->pv, n, 20000);
	int serr = a->save(a);
	return step_end(a, t0, err ? err : serr);
}

int action_node_start(struct action_ctx *a, struct profile_node *n)
{
	int64_t t0 =
	    step_begin(a, "👍", "Starting node \"%s\" in \"%s\" cluster", n->name, a->p->name);
	int err = provider_bridge_up(a->pv);
	if (!err)
		err = create_node(a, n);
	if (!err && n->control_plane)
		err = wait_apiserver(a, n);
	return step_end(a, t0, err);
}

int action_restart(struct action_ctx *a)
{
	struct profile *p = a->p;
	int err = provider_bridge_up(a->pv);
	if (!err)
		err = provider_hosts_sync(a->pv);
	if (err)
		return err;
	/* Every node at once: a control plane's etcd waits for its peers, and kubelets start
	 * the static pods as soon as their node is up. */
	int64_t t0 =
	    step_begin(a, "🔄", "Restarting %zu nodes of \"%s\" at once", p->n_nodes, p->name);
	if ((err = step_end(a, t0, create_nodes(a))))
		return err;
	t0 = step_begin(a, "🔎", "Waiting for every apiserver and node");
	for (size_t i = 0; i < p->n_nodes && !err; i++)
		if (p->nodes[i].control_plane)
			err = wait_apiserver(a, &p->nodes[i]);
	struct profile_node *primary = action_running_cp(p, NULL);
	for (size_t i = 0; i < p->n_nodes && !err && primary; i++)
		err = wait_node_ready(a, primary, p->nodes[i].name);
	if (!err && primary)
		err = merge_kubeconfig(a, primary);
	return step_end(a, t0, err);
}

int action_stop(struct action_ctx *a)
{
	int first = 0;
	for (size_t i = 0; i < a->p->n_nodes; i++) {
		struct profile_node *n = &a->p->nodes[i];
		if (!provider_node_running(n) && !n->init_pid)
			continue;
		int err = action_node_stop(a, n);
		if (err && !first)
			first = err;
	}
	return first;
}

int action_delete(struct action_ctx *a)
{
	int first = 0;
	for (size_t i = 0; i < a->p->n_nodes; i++) {
		int err = provider_node_stop(a->pv, &a->p->nodes[i], 20000);
		if (err && !first)
			first = err;
	}
	a->save(a);
	int err = provider_bridge_down(a->pv);
	if (err && !first)
		first = err;
	err = kubeconfig_user_remove(a->pv->bindir, a->kubeconfig, a->p->name, a->pv->log);
	if (err && !first)
		first = err;
	if (!first)
		first = profile_remove(a->home, a->p->name);
	return first;
}
