/*
 * health.c — probes with short timeouts (2 s), so `status` of a cluster with dead nodes
 * answers promptly. Loopback probes run in a forked child that has joined the node's network
 * namespace only, and pass the answer back through a pipe.
 */
#include "health.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bootstrap.h"
#include "fsutil.h"
#include "kubeconfig_user.h"
#include "status.h"
#include "tool_output.h"

#define PROBE_MS 2000
/* vipd's prometheus_server in the static pod the bootstrapper writes (vipd/manifest.c). */
#define VIPD_STATUS_PORT 2112

/* In the child: one HTTP/1.0 GET to 127.0.0.1:port, the whole answer to fd. */
static int child_get(unsigned port, const char *path, int fd, int timeout_ms)
{
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = timeout_ms % 1000 * 1000};
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof(a)) < 0)
		return 1;
	char req[256];
	int n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);
	if (write(s, req, (size_t)n) != n)
		return 1;
	char buf[16384];
	ssize_t got;
	while ((got = read(s, buf, sizeof(buf))) > 0)
		if (write(fd, buf, (size_t)got) != got)
			return 1;
	return 0;
}

int health_netns_get(pid_t pid, unsigned port, const char *path, char *body, size_t len,
		     int timeout_ms)
{
	char nspath[64];
	snprintf(nspath, sizeof(nspath), "/proc/%d/ns/net", (int)pid);
	int ns = open(nspath, O_RDONLY | O_CLOEXEC);
	if (ns < 0)
		return -errno;
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		close(ns);
		return -errno;
	}
	pid_t child = fork();
	if (child == 0) {
		close(p[0]);
		_exit(setns(ns, CLONE_NEWNET) < 0 ? 1 : child_get(port, path, p[1], timeout_ms));
	}
	close(ns);
	close(p[1]);
	size_t used = 0;
	char raw[65536];
	for (;;) {
		struct pollfd pf = {.fd = p[0], .events = POLLIN};
		if (poll(&pf, 1, timeout_ms) <= 0)
			break;
		ssize_t got = read(p[0], raw + used, sizeof(raw) - 1 - used);
		if (got <= 0)
			break;
		used += (size_t)got;
		if (used == sizeof(raw) - 1)
			break;
	}
	raw[used] = '\0';
	close(p[0]);
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	int code;
	const char *b;
	if (tool_parse_http(raw, &code, &b))
		return -ECONNREFUSED;
	snprintf(body, len, "%s", b ? b : "");
	return code;
}

static size_t discard(char *ptr, size_t size, size_t n, void *ud)
{
	(void)ptr;
	(void)ud;
	return size * n;
}

/* The node's apiserver /livez, verified with the cluster CA kept in the node's pki. */
static enum comp_state apiserver_state(const struct provider *pv, const struct profile_node *n)
{
	char dir[PATH_MAX], ca[PATH_MAX], url[128];
	provider_node_dir(pv, n, dir, sizeof(dir));
	fs_path(ca, sizeof(ca), "%s/etc/kubernetes/pki/ca.crt", dir);
	snprintf(url, sizeof(url), "https://%s:%u/livez", n->ip, pv->p->apiserver_port);
	CURL *c = curl_easy_init();
	if (!c)
		return COMP_ERROR;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CAINFO, ca);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)PROBE_MS);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	long code = 0;
	CURLcode rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(c);
	return rc != CURLE_OK ? COMP_STOPPED : code == 200 ? COMP_RUNNING : COMP_ERROR;
}

static enum comp_state loopback_state(const struct profile_node *n, unsigned port, const char *path,
				      const char *want)
{
	char body[512];
	int code = health_netns_get(n->init_pid, port, path, body, sizeof(body), PROBE_MS);
	if (code < 0)
		return COMP_STOPPED;
	return code == 200 && strstr(body, want) ? COMP_RUNNING : COMP_ERROR;
}

/* The VIP daemon's view of itself, from its /status (vipd/status.h): "leader", "follower",
 * "out:<first reason>" (health_gate, identity_collision, link, stopping); "down" when nothing
 * answers, "unknown" when the answer is not a vipd /status. */
static void vip_role(const struct profile_node *n, char *out, size_t len)
{
	static char body[65536];
	struct status *s = malloc(sizeof(*s));
	int code = health_netns_get(n->init_pid, VIPD_STATUS_PORT, "/status", body, sizeof(body),
				    PROBE_MS);
	if (code == 200 && s && status_parse(body, strlen(body), s, NULL, 0) == 0)
		snprintf(out, len, "%s%s%s", status_role_name(s->role), s->out ? ":" : "",
			 status_out_name(s->out));
	else
		snprintf(out, len, "%s", code < 0 ? "down" : "unknown");
	free(s);
}

/* kube-vip v1.2.2 sets kube_vip_is_leader only after its leading callback returns, i.e. never
 * while it leads: its role comes from the Lease instead. */
static void lease_holder(const struct provider *pv, char *out, size_t len)
{
	struct profile_node *cp = NULL;
	struct profile *p = (struct profile *)pv->p;
	for (size_t i = 0; i < p->n_nodes && !cp; i++)
		if (p->nodes[i].control_plane && provider_node_running(&p->nodes[i]))
			cp = &p->nodes[i];
	char *args[] = {"-n",
			"kube-system",
			"get",
			"lease",
			"plndr-cp-lock",
			"-o",
			"jsonpath={.spec.holderIdentity}",
			NULL};
	if (!cp || bootstrap_kubectl(pv, cp, args, out, len, PROBE_MS * 5))
		out[0] = '\0';
}

static void probe_node(const struct provider *pv, const struct profile_node *n, bool kubeconfig_ok,
		       const char *members, const char *holder, struct node_health *h, char *role,
		       size_t role_len)
{
	bool up = provider_node_running(n);
	*h = (struct node_health){.name = n->name,
				  .control_plane = n->control_plane,
				  .ip = n->ip,
				  .host = up ? COMP_RUNNING : COMP_STOPPED,
				  .kubeconfig_ok = kubeconfig_ok,
				  .vip_role = role};
	snprintf(role, role_len, "%s", "");
	h->kubelet = up ? loopback_state(n, 10248, "/healthz", "ok") : COMP_STOPPED;
	if (!n->control_plane) {
		h->apiserver = h->etcd = COMP_IRRELEVANT;
		return;
	}
	h->apiserver = up ? apiserver_state(pv, n) : COMP_STOPPED;
	h->etcd = up ? loopback_state(n, 2381, "/health", "\"health\":\"true\"") : COMP_STOPPED;
	char needle[80];
	snprintf(needle, sizeof(needle), " %s started", n->name);
	h->etcd_member = members && strstr(members, needle);
	if (!up)
		snprintf(role, role_len, "down");
	else if (holder)
		snprintf(role, role_len, "%s", !strcmp(holder, n->name) ? "leader" : "follower");
	else
		vip_role(n, role, role_len);
}

void health_probe(const struct provider *pv, const char *kubeconfig_file, struct health_report *out)
{
	struct profile *p = (struct profile *)pv->p;
	char server[64], members[4096] = "";
	snprintf(server, sizeof(server), "https://%s:%u", p->vip, p->apiserver_port);
	bool kc_ok = kubeconfig_user_configured(pv->bindir, kubeconfig_file, p->name, server);
	const char *list = NULL;
	for (size_t i = 0; i < p->n_nodes && !list; i++)
		if (p->nodes[i].control_plane && provider_node_running(&p->nodes[i]) &&
		    bootstrap_etcd_members(pv, &p->nodes[i], members, sizeof(members)) == 0)
			list = members;
	char holder[128] = "";
	bool by_lease = !strcmp(p->vip_provider, "kube-vip");
	if (by_lease)
		lease_holder(pv, holder, sizeof(holder));
	out->n = p->n_nodes;
	for (size_t i = 0; i < p->n_nodes; i++)
		probe_node(pv, &p->nodes[i], kc_ok, list, by_lease ? holder : NULL, &out->nodes[i],
			   out->roles[i], sizeof(out->roles[i]));
	cluster_decide(out->nodes, out->n, &out->verdict);
	cluster_apply_ha(&out->verdict, p->ha);
}
