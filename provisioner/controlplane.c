/*
 * controlplane.c — start order, command lines and readiness of a stacked-etcd control plane,
 * modelled on what kubeadm's static-pod manifests run (same flags, same /etc/kubernetes
 * paths, seen from inside each node's mount namespace).
 */
#include "controlplane.h"

#include <arpa/inet.h>
#include <errno.h>
#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "profile.h"
#include "pki.h"

const char *const cp_role_names[CP_ROLES] = {"etcd", "kube-apiserver", "kube-controller-manager",
					     "kube-scheduler", "kube-vip"};

#define K  "/etc/kubernetes" /* as a node sees its kubeadm directory */
#define KP K "/pki"

/* An argv (or envp) built with printf, stored in one block. */
struct args {
	char *v[96];
	size_t n;
	char buf[16384];
	size_t used;
};

static void args_add(struct args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void args_add(struct args *a, const char *fmt, ...)
{
	if (a->n + 1 >= sizeof(a->v) / sizeof(a->v[0]))
		return;
	va_list ap;
	va_start(ap, fmt);
	int len = vsnprintf(a->buf + a->used, sizeof(a->buf) - a->used, fmt, ap);
	va_end(ap);
	if (len < 0 || a->used + (size_t)len + 1 > sizeof(a->buf))
		return;
	a->v[a->n++] = a->buf + a->used;
	a->v[a->n] = NULL;
	a->used += (size_t)len + 1;
}

static const char *addr_str(struct in_addr a, char buf[INET_ADDRSTRLEN])
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static void log_path(const struct cp_node *n, const char *what, char *buf, size_t len)
{
	fs_path(buf, len, "%s/log/%s.log", n->node->dir, what);
}

static int start(struct controlplane *cp, struct cp_node *n, enum cp_role role, struct args *argv,
		 struct args *envp)
{
	char logp[PATH_MAX], pidp[PATH_MAX];
	log_path(n, cp_role_names[role], logp, sizeof(logp));
	struct sv_spec spec = {
	    .name = cp_role_names[role],
	    .node = n->node->name,
	    .argv = argv->v,
	    .envp = envp ? envp->v : NULL,
	    .ns_pid = n->node->holder,
	    .log_path = logp,
	    .cwd = n->node->dir,
	};
	int err = sv_spawn(&cp->sv, &spec, &n->procs[role]);
	if (err)
		return err;
	fs_path(pidp, sizeof(pidp), "%s/run/%s.pid", n->node->dir, cp_role_names[role]);
	return fs_printf(pidp, 0644, "%d\n", (int)n->procs[role]->pid);
}

/* Runs a short check (curl, etcdctl…) in a node, or in the hub when node is NULL. */
static int probe(struct controlplane *cp, struct lab_node *node, struct args *argv,
		 const char *out_path)
{
	struct sv_spec spec = {
	    .name = "probe",
	    .argv = argv->v,
	    .ns_pid = node ? node->holder : 0,
	    .log_path = out_path ? out_path : "/dev/null",
	};
	(void)cp;
	return sv_run(&spec, 5000, NULL);
}

static int wait_ready(struct controlplane *cp, struct cp_node *n, enum cp_role role,
		      struct lab_node *probe_in, struct args *check)
{
	const char *url = check->v[check->n - 1];
	const char *what = strrchr(url, '/') ? strrchr(url, '/') + 1 : url;
	struct sv_proc *p = n->procs[role];
	for (;;) {
		if (probe(cp, probe_in, check, NULL) == 0) {
			log_info(cp->log, "ready", "node=%s process=%s check=%s seconds=%.2f",
				 n->node->name, p->name, what, clock_elapsed_s(p->started));
			return 0;
		}
		sv_reap(&cp->sv);
		if (!p->running) {
			log_error(cp->log, "exited before it was ready",
				  "node=%s process=%s log=%s", n->node->name, p->name, p->log_path);
			return -ECHILD;
		}
		if (cp->opt.interrupted && cp->opt.interrupted(cp->opt.ctx))
			return -EINTR;
		if (clock_elapsed_s(p->started) > cp->opt.timeout_s) {
			log_error(cp->log, "not ready in time",
				  "node=%s process=%s timeout=%ds log=%s", n->node->name, p->name,
				  cp->opt.timeout_s, p->log_path);
			return -ETIMEDOUT;
		}
		usleep(200000);
	}
}

/* Seen from the hub, the node's /etc/kubernetes is the upper layer of its overlay. */
static void hub_path(const struct cp_node *n, const char *rel, char *buf, size_t len)
{
	fs_path(buf, len, "%s/kubernetes/%s", n->node->etc_dir, rel);
}

static void curl_args(struct args *a, const struct cp_node *certs_of, bool client_cert,
		      const char *url)
{
	char p[PATH_MAX];
	args_add(a, "curl");
	args_add(a, "-sf");
	args_add(a, "--max-time");
	args_add(a, "3");
	args_add(a, "-o");
	args_add(a, "/dev/null");
	if (certs_of) {
		hub_path(certs_of, client_cert ? "pki/etcd/ca.crt" : "pki/ca.crt", p, sizeof(p));
		args_add(a, "--cacert");
		args_add(a, "%s", p);
	} else {
		args_add(a, "-k");
	}
	if (client_cert) {
		hub_path(certs_of, "pki/etcd/healthcheck-client.crt", p, sizeof(p));
		args_add(a, "--cert");
		args_add(a, "%s", p);
		hub_path(certs_of, "pki/etcd/healthcheck-client.key", p, sizeof(p));
		args_add(a, "--key");
		args_add(a, "%s", p);
	}
	args_add(a, "%s", url);
}

static void etcdctl_args(struct controlplane *cp, struct args *a, const struct cp_node *via)
{
	char ip[INET_ADDRSTRLEN], p[PATH_MAX];
	args_add(a, "%s/etcdctl", cp->opt.bindir);
	args_add(a, "--endpoints=https://%s:2379", addr_str(via->node->addr, ip));
	hub_path(via, "pki/etcd/ca.crt", p, sizeof(p));
	args_add(a, "--cacert=%s", p);
	hub_path(via, "pki/etcd/healthcheck-client.crt", p, sizeof(p));
	args_add(a, "--cert=%s", p);
	hub_path(via, "pki/etcd/healthcheck-client.key", p, sizeof(p));
	args_add(a, "--key=%s", p);
}

static int start_etcd(struct controlplane *cp, struct cp_node *n, const char *initial_cluster,
		      bool join)
{
	char ip[INET_ADDRSTRLEN];
	addr_str(n->node->addr, ip);
	struct args a = {0};
	args_add(&a, "%s/etcd", cp->opt.bindir);
	args_add(&a, "--name=%s", n->node->name);
	args_add(&a, "--data-dir=%s/etcd-data", n->node->dir);
	args_add(&a, "--advertise-client-urls=https://%s:2379", ip);
	args_add(&a, "--listen-client-urls=https://127.0.0.1:2379,https://%s:2379", ip);
	args_add(&a, "--initial-advertise-peer-urls=https://%s:2380", ip);
	args_add(&a, "--listen-peer-urls=https://%s:2380", ip);
	args_add(&a, "--listen-metrics-urls=http://127.0.0.1:2381");
	args_add(&a, "--initial-cluster=%s", initial_cluster);
	args_add(&a, "--initial-cluster-state=%s", join ? "existing" : "new");
	args_add(&a, "--client-cert-auth=true");
	args_add(&a, "--trusted-ca-file=" KP "/etcd/ca.crt");
	args_add(&a, "--cert-file=" KP "/etcd/server.crt");
	args_add(&a, "--key-file=" KP "/etcd/server.key");
	args_add(&a, "--peer-client-cert-auth=true");
	args_add(&a, "--peer-trusted-ca-file=" KP "/etcd/ca.crt");
	args_add(&a, "--peer-cert-file=" KP "/etcd/peer.crt");
	args_add(&a, "--peer-key-file=" KP "/etcd/peer.key");
	args_add(&a, "--snapshot-count=10000");
	args_add(&a, "--watch-progress-notify-interval=5s");
	return start(cp, n, CP_ETCD, &a, NULL);
}

/* Waits for etcd's /livez (a learner) or /readyz (a voting member). */
static int wait_etcd(struct controlplane *cp, struct cp_node *n, const char *what)
{
	char ip[INET_ADDRSTRLEN], url[128];
	snprintf(url, sizeof(url), "https://%s:2379/%s", addr_str(n->node->addr, ip), what);
	struct args check = {0};
	curl_args(&check, n, true, url);
	return wait_ready(cp, n, CP_ETCD, NULL, &check);
}

/* Runs etcdctl (via the first member) until it succeeds: membership changes are refused while
 * the cluster is settling ("unhealthy cluster", "learner not in sync"). */
static int etcdctl_retry(struct controlplane *cp, struct cp_node *n, struct args *a,
			 const char *logp)
{
	int64_t t0 = clock_boot_ns();
	for (;;) {
		int err = probe(cp, NULL, a, logp);
		if (!err)
			return 0;
		if (clock_elapsed_s(t0) > cp->opt.timeout_s ||
		    (cp->opt.interrupted && cp->opt.interrupted(cp->opt.ctx))) {
			log_error(cp->log, "etcdctl failed", "node=%s command=\"%s %s\" log=%s",
				  n->node->name, a->v[5], a->v[6], logp);
			return err;
		}
		usleep(500000);
	}
}

/* kubeadm's way to grow etcd: add the new member as a learner, start it, promote it once it
 * has caught up. The cluster keeps its quorum throughout. */
static int join_etcd(struct controlplane *cp, struct cp_node *n, const char *initial_cluster)
{
	char ip[INET_ADDRSTRLEN], logp[PATH_MAX], id[32] = "";
	log_path(n, "etcdctl", logp, sizeof(logp));
	struct args add = {0};
	etcdctl_args(cp, &add, &cp->nodes[0]);
	args_add(&add, "member");
	args_add(&add, "add");
	args_add(&add, "%s", n->node->name);
	args_add(&add, "--learner");
	args_add(&add, "--peer-urls=https://%s:2380", addr_str(n->node->addr, ip));
	int err = etcdctl_retry(cp, n, &add, logp);
	if (err)
		return err;
	FILE *f = fopen(logp, "re");
	char line[512];
	while (f && fgets(line, sizeof(line), f))
		sscanf(line, "Member %31[0-9a-f] added to cluster", id);
	if (f)
		fclose(f);
	if (!*id) {
		log_error(cp->log, "no member id in etcdctl output", "node=%s log=%s",
			  n->node->name, logp);
		return -EIO;
	}
	if ((err = start_etcd(cp, n, initial_cluster, true)) || (err = wait_etcd(cp, n, "livez")))
		return err;
	struct args promote = {0};
	etcdctl_args(cp, &promote, &cp->nodes[0]);
	args_add(&promote, "member");
	args_add(&promote, "promote");
	args_add(&promote, "%s", id);
	if ((err = etcdctl_retry(cp, n, &promote, logp)))
		return err;
	return wait_etcd(cp, n, "readyz");
}

static int start_apiserver(struct controlplane *cp, struct cp_node *n)
{
	char ip[INET_ADDRSTRLEN];
	addr_str(n->node->addr, ip);
	struct args a = {0};
	args_add(&a, "%s/kube-apiserver", cp->opt.bindir);
	args_add(&a, "--advertise-address=%s", ip);
	args_add(&a, "--secure-port=%u", cp->opt.port);
	args_add(&a, "--allow-privileged=true");
	args_add(&a, "--authorization-mode=Node,RBAC");
	args_add(&a, "--client-ca-file=" KP "/ca.crt");
	args_add(&a, "--enable-admission-plugins=NodeRestriction");
	args_add(&a, "--enable-bootstrap-token-auth=true");
	args_add(&a, "--etcd-cafile=" KP "/etcd/ca.crt");
	args_add(&a, "--etcd-certfile=" KP "/apiserver-etcd-client.crt");
	args_add(&a, "--etcd-keyfile=" KP "/apiserver-etcd-client.key");
	args_add(&a, "--etcd-servers=https://127.0.0.1:2379");
	args_add(&a, "--kubelet-client-certificate=" KP "/apiserver-kubelet-client.crt");
	args_add(&a, "--kubelet-client-key=" KP "/apiserver-kubelet-client.key");
	args_add(&a, "--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname");
	args_add(&a, "--proxy-client-cert-file=" KP "/front-proxy-client.crt");
	args_add(&a, "--proxy-client-key-file=" KP "/front-proxy-client.key");
	args_add(&a, "--requestheader-allowed-names=front-proxy-client");
	args_add(&a, "--requestheader-client-ca-file=" KP "/front-proxy-ca.crt");
	args_add(&a, "--requestheader-extra-headers-prefix=X-Remote-Extra-");
	args_add(&a, "--requestheader-group-headers=X-Remote-Group");
	args_add(&a, "--requestheader-username-headers=X-Remote-User");
	args_add(&a, "--service-account-issuer=https://kubernetes.default.svc.cluster.local");
	args_add(&a, "--service-account-key-file=" KP "/sa.pub");
	args_add(&a, "--service-account-signing-key-file=" KP "/sa.key");
	args_add(&a, "--service-cluster-ip-range=10.96.0.0/12");
	args_add(&a, "--tls-cert-file=" KP "/apiserver.crt");
	args_add(&a, "--tls-private-key-file=" KP "/apiserver.key");
	return start(cp, n, CP_APISERVER, &a, NULL);
}

static int wait_apiserver(struct controlplane *cp, struct cp_node *n)
{
	char ip[INET_ADDRSTRLEN], url[128];
	snprintf(url, sizeof(url), "https://%s:%u/readyz", addr_str(n->node->addr, ip),
		 cp->opt.port);
	struct args check = {0};
	curl_args(&check, n, false, url);
	return wait_ready(cp, n, CP_APISERVER, NULL, &check);
}

static int start_controllers(struct controlplane *cp, struct cp_node *n)
{
	struct args a = {0};
	args_add(&a, "%s/kube-controller-manager", cp->opt.bindir);
	args_add(&a, "--authentication-kubeconfig=" K "/controller-manager.conf");
	args_add(&a, "--authorization-kubeconfig=" K "/controller-manager.conf");
	args_add(&a, "--kubeconfig=" K "/controller-manager.conf");
	args_add(&a, "--bind-address=127.0.0.1");
	args_add(&a, "--client-ca-file=" KP "/ca.crt");
	args_add(&a, "--cluster-name=kubernetes");
	args_add(&a, "--cluster-signing-cert-file=" KP "/ca.crt");
	args_add(&a, "--cluster-signing-key-file=" KP "/ca.key");
	args_add(&a, "--controllers=*,bootstrapsigner,tokencleaner");
	args_add(&a, "--leader-elect=true");
	args_add(&a, "--requestheader-client-ca-file=" KP "/front-proxy-ca.crt");
	args_add(&a, "--root-ca-file=" KP "/ca.crt");
	args_add(&a, "--service-account-private-key-file=" KP "/sa.key");
	args_add(&a, "--use-service-account-credentials=true");
	int err = start(cp, n, CP_CONTROLLER_MANAGER, &a, NULL);
	if (err)
		return err;
	struct args s = {0};
	args_add(&s, "%s/kube-scheduler", cp->opt.bindir);
	args_add(&s, "--authentication-kubeconfig=" K "/scheduler.conf");
	args_add(&s, "--authorization-kubeconfig=" K "/scheduler.conf");
	args_add(&s, "--kubeconfig=" K "/scheduler.conf");
	args_add(&s, "--bind-address=127.0.0.1");
	args_add(&s, "--leader-elect=true");
	if ((err = start(cp, n, CP_SCHEDULER, &s, NULL)))
		return err;
	struct args c1 = {0}, c2 = {0};
	curl_args(&c1, NULL, false, "https://127.0.0.1:10257/healthz");
	curl_args(&c2, NULL, false, "https://127.0.0.1:10259/healthz");
	if ((err = wait_ready(cp, n, CP_CONTROLLER_MANAGER, n->node, &c1)))
		return err;
	return wait_ready(cp, n, CP_SCHEDULER, n->node, &c2);
}

/* kubeadm ≥ 1.29: admin.conf's group kubeadm:cluster-admins is bound to cluster-admin by
 * `kubeadm init` using super-admin.conf. We run phases, not init, so we make that binding. */
static int bind_cluster_admins(struct controlplane *cp)
{
	char p[PATH_MAX], logp[PATH_MAX];
	hub_path(&cp->nodes[0], "super-admin.conf", p, sizeof(p));
	fs_path(logp, sizeof(logp), "%s/kubeadm/kubectl.log", cp->opt.dir);
	struct args a = {0};
	args_add(&a, "%s/kubectl", cp->opt.bindir);
	args_add(&a, "--kubeconfig=%s", p);
	args_add(&a, "create");
	args_add(&a, "clusterrolebinding");
	args_add(&a, "kubeadm:cluster-admins");
	args_add(&a, "--clusterrole=cluster-admin");
	args_add(&a, "--group=kubeadm:cluster-admins");
	int err = probe(cp, NULL, &a, logp);
	if (err)
		log_error(cp->log, "cannot bind kubeadm:cluster-admins", "log=%s", logp);
	return err;
}

/* Reads `env:` of the kube-vip container from `kube-vip manifest pod …` output, the way a
 * kubelet would set it: value → as is; valueFrom fieldRef spec.nodeName → the node name. */
static int kube_vip_env(struct controlplane *cp, const char *manifest, const struct cp_node *n,
			struct args *env)
{
	FILE *f = fopen(manifest, "re");
	if (!f)
		return -errno;
	char line[1024], name[128] = "";
	int env_indent = -1;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		int indent = (int)strspn(line, " ");
		char *t = line + indent;
		if (env_indent < 0) {
			if (!strcmp(t, "env:"))
				env_indent = indent;
			continue;
		}
		if (indent < env_indent || (indent == env_indent && *t != '-'))
			break;
		if (!strncmp(t, "- name: ", 8)) {
			snprintf(name, sizeof(name), "%s", t + 8);
		} else if (!strncmp(t, "value: ", 7) && *name) {
			char *v = t + 7;
			size_t len = strlen(v);
			if (len >= 2 && (*v == '"' || *v == '\'') && v[len - 1] == *v) {
				v[len - 1] = '\0';
				v++;
			}
			args_add(env, "%s=%s", name, v);
			*name = '\0';
		} else if (!strcmp(t, "fieldPath: spec.nodeName") && *name) {
			args_add(env, "%s=%s", name, n->node->name);
			*name = '\0';
		}
	}
	fclose(f);
	if (env_indent < 0)
		return -ENOENT;
	for (char *const *o = cp->opt.kube_vip_env; o && *o; o++) {
		size_t klen = strcspn(*o, "=");
		for (size_t i = 0; i < env->n; i++)
			if (!strncmp(env->v[i], *o, klen + 1)) {
				env->v[i] = *o; /* points into argv, which outlives us */
				klen = 0;
				break;
			}
		if (klen)
			args_add(env, "%s", *o);
	}
	args_add(env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	return 0;
}

static int start_kube_vips(struct controlplane *cp)
{
	char manifest[PATH_MAX], vip[INET_ADDRSTRLEN];
	fs_path(manifest, sizeof(manifest), "%s/kube-vip.yaml", cp->opt.dir);
	struct args m = {0};
	args_add(&m, "%s/kube-vip", cp->opt.bindir);
	args_add(&m, "manifest");
	args_add(&m, "pod");
	args_add(&m, "--interface");
	args_add(&m, "eth0");
	args_add(&m, "--address");
	args_add(&m, "%s", addr_str(cp->lab.vip, vip));
	args_add(&m, "--port");
	args_add(&m, "%u", cp->opt.port);
	args_add(&m, "--controlplane");
	args_add(&m, "--arp");
	args_add(&m, "--leaderElection");
	int err = probe(cp, NULL, &m, manifest);
	if (err) {
		log_error(cp->log, "kube-vip manifest pod failed", "output=%s", manifest);
		return err;
	}
	for (size_t i = 0; i < cp->opt.nodes; i++) {
		struct cp_node *n = &cp->nodes[i];
		struct args env = {0}, a = {0};
		if ((err = kube_vip_env(cp, manifest, n, &env))) {
			log_error(cp->log, "no env in kube-vip manifest", "manifest=%s", manifest);
			return err;
		}
		args_add(&a, "%s/kube-vip", cp->opt.bindir);
		args_add(&a, "manager");
		if ((err = start(cp, n, CP_KUBE_VIP, &a, &env)))
			return err;
	}
	log_info(cp->log, "kube-vip started", "nodes=%u vip=%s manifest=%s", cp->opt.nodes, vip,
		 manifest);
	return 0;
}

static int read_version(struct controlplane *cp)
{
	char out[PATH_MAX];
	fs_path(out, sizeof(out), "%s/kubeadm/version", cp->opt.dir);
	struct args a = {0};
	args_add(&a, "%s/kubeadm", cp->opt.bindir);
	args_add(&a, "version");
	args_add(&a, "-o");
	args_add(&a, "short");
	int err = probe(cp, NULL, &a, out);
	FILE *f = err ? NULL : fopen(out, "re");
	if (!f || !fgets(cp->k8s_version, sizeof(cp->k8s_version), f)) {
		log_error(cp->log, "cannot run kubeadm version", "program=%s/kubeadm output=%s",
			  cp->opt.bindir, out);
		if (f)
			fclose(f);
		return err ? err : -EIO;
	}
	fclose(f);
	cp->k8s_version[strcspn(cp->k8s_version, "\r\n")] = '\0';
	return 0;
}

/* D/config.json: the control plane as a profile (profile.h) held by this process. */
static int write_state(struct controlplane *cp)
{
	static struct profile p; /* large: not on the stack */
	char why[256], ip[INET_ADDRSTRLEN];
	memset(&p, 0, sizeof(p));
	int err = profile_init(&p, cp->opt.name, cp->opt.subnet, cp->opt.port, cp->k8s_version,
			       "vipd", why, sizeof(why));
	if (err) {
		log_error(cp->log, "cannot describe the control plane as a profile",
			  "reason=\"%s\"", why);
		return err;
	}
	snprintf(p.runtime, sizeof(p.runtime), "none");
	snprintf(p.vip_provider, sizeof(p.vip_provider), "none");
	snprintf(p.bridge, sizeof(p.bridge), "%s", LAB_BRIDGE);
	p.ha = cp->opt.nodes >= 3;
	p.created = (int64_t)time(NULL);
	for (unsigned i = 0; i < cp->opt.nodes; i++) {
		struct profile_node *n;
		if ((err = profile_node_add(&p, true, &n)))
			return err;
		n->init_pid = cp->nodes[i].node->holder;
		n->init_start = sv_proc_start(n->init_pid);
	}
	p.holder.pid = getpid();
	p.holder.start = sv_proc_start(p.holder.pid);
	snprintf(p.holder.bindir, sizeof(p.holder.bindir), "%s", cp->opt.bindir);
	snprintf(p.holder.client_ip, sizeof(p.holder.client_ip), "%s",
		 addr_str(cp->client->addr, ip));
	p.holder.client_pid = cp->client->holder;
	if ((err = profile_save_dir(cp->opt.dir, &p)))
		log_error(cp->log, "cannot write the control plane's profile",
			  "dir=%s error=\"%s\"", cp->opt.dir, strerror(-err));
	return err;
}

int cp_up(struct controlplane *cp, const struct cp_options *opt, const struct logger *log)
{
	char why[256], ip[INET_ADDRSTRLEN];
	int err;
	int64_t t0 = clock_boot_ns();
	memset(cp, 0, sizeof(*cp));
	cp->opt = *opt;
	cp->log = log;
	sv_init(&cp->sv, log);
	if (opt->nodes < 1 || opt->nodes >= LAB_MAX_NODES)
		return -EINVAL;
	if ((err = lab_subnet_parse(&cp->lab, opt->subnet, why, sizeof(why)))) {
		log_error(log, "bad subnet", "reason=\"%s\"", why);
		return err;
	}
	char kdir[PATH_MAX];
	fs_path(kdir, sizeof(kdir), "%s/kubeadm", opt->dir);
	if ((err = fs_mkdirs(kdir, 0700)) || (err = read_version(cp)))
		return err;
	if ((err = lab_open(&cp->lab, &cp->sv, opt->dir)))
		return err;

	/* Names and addresses first: the certificates and every node's hosts file need them. */
	char names[LAB_MAX_NODES][64], addrs[LAB_MAX_NODES][INET_ADDRSTRLEN],
	    etcs[LAB_MAX_NODES][PATH_MAX];
	char hosts[LAB_MAX_NODES * 96] = "";
	struct pki_node pn[LAB_MAX_NODES];
	for (unsigned i = 0; i < opt->nodes; i++) {
		struct in_addr a;
		if (i == 0)
			snprintf(names[i], sizeof(names[i]), "%s", opt->name);
		else
			snprintf(names[i], sizeof(names[i]), "%s-m%02u", opt->name, i + 1);
		if ((err = lab_addr(&cp->lab, i + 1, &a)))
			return err;
		addr_str(a, addrs[i]);
		fs_path(etcs[i], sizeof(etcs[i]), "%s/nodes/%s/etc", opt->dir, names[i]);
		if ((err = fs_mkdirs(etcs[i], 0755)))
			return err;
		pn[i] = (struct pki_node){.name = names[i], .addr = addrs[i], .etc_dir = etcs[i]};
		snprintf(hosts + strlen(hosts), sizeof(hosts) - strlen(hosts), "%s\t%s\n", addrs[i],
			 names[i]);
	}
	char vip[INET_ADDRSTRLEN];
	addr_str(cp->lab.vip, vip);
	char kubeadm_path[PATH_MAX];
	fs_path(kubeadm_path, sizeof(kubeadm_path), "%s/kubeadm", opt->bindir);
	struct pki_cluster pc = {
	    .kubeadm = kubeadm_path,
	    .k8s_version = cp->k8s_version,
	    .dir = opt->dir,
	    .vip = vip,
	    .port = opt->port,
	    .nodes = pn,
	    .n_nodes = opt->nodes,
	    .log = log,
	};
	int64_t tp = clock_boot_ns();
	if ((err = pki_make(&pc)))
		return err;
	log_info(log, "certificates and kubeconfigs made by kubeadm", "nodes=%u seconds=%.2f",
		 opt->nodes, clock_elapsed_s(tp));

	for (unsigned i = 0; i < opt->nodes; i++) {
		struct cp_node *n = &cp->nodes[i];
		if ((err = lab_add_node(&cp->lab, names[i], i + 1, hosts, &n->node)))
			return err;
		char d[PATH_MAX];
		fs_path(d, sizeof(d), "%s/log", n->node->dir);
		if ((err = fs_mkdirs(d, 0755)))
			return err;
		fs_path(d, sizeof(d), "%s/run", n->node->dir);
		if ((err = fs_mkdirs(d, 0755)))
			return err;
	}
	/* A client namespace on the bridge, just below the VIP. */
	unsigned client_index = ntohl(cp->lab.vip.s_addr) - ntohl(cp->lab.gateway.s_addr) - 1;
	if ((err = lab_add_node(&cp->lab, "client", client_index, hosts, &cp->client)))
		return err;
	if ((err = write_state(cp)))
		return err;

	/* etcd: the first member alone, then each next one joins as a learner and is promoted. */
	char cluster[4096] = "";
	int64_t te = clock_boot_ns();
	for (unsigned i = 0; i < opt->nodes; i++) {
		struct cp_node *n = &cp->nodes[i];
		addr_str(n->node->addr, ip);
		snprintf(cluster + strlen(cluster), sizeof(cluster) - strlen(cluster),
			 "%s%s=https://%s:2380", i ? "," : "", n->node->name, ip);
		if (i == 0)
			err = start_etcd(cp, n, cluster, false) ?: wait_etcd(cp, n, "readyz");
		else
			err = join_etcd(cp, n, cluster);
		if (err)
			return err;
	}
	log_info(log, "etcd cluster ready", "members=%u seconds=%.2f", opt->nodes,
		 clock_elapsed_s(te));

	/* Apiservers all at once: each talks to its own member. */
	int64_t ta = clock_boot_ns();
	for (unsigned i = 0; i < opt->nodes; i++)
		if ((err = start_apiserver(cp, &cp->nodes[i])))
			return err;
	for (unsigned i = 0; i < opt->nodes; i++)
		if ((err = wait_apiserver(cp, &cp->nodes[i])))
			return err;
	log_info(log, "apiservers ready", "nodes=%u seconds=%.2f", opt->nodes, clock_elapsed_s(ta));
	if ((err = bind_cluster_admins(cp)))
		return err;

	if (opt->controllers)
		for (unsigned i = 0; i < opt->nodes; i++)
			if ((err = start_controllers(cp, &cp->nodes[i])))
				return err;
	if (opt->kube_vip && (err = start_kube_vips(cp)))
		return err;
	log_info(log, "control plane ready", "nodes=%u version=%s vip=%s seconds=%.2f", opt->nodes,
		 cp->k8s_version, vip, clock_elapsed_s(t0));
	return 0;
}

void cp_poll(struct controlplane *cp)
{
	sv_reap(&cp->sv);
}

void cp_down(struct controlplane *cp)
{
	sv_stop_all(&cp->sv, 10000);
}

void cp_print_logs(const char *dir, unsigned lines, FILE *out)
{
	static const char *const patterns[] = {"%s/lab.log", "%s/kubeadm/*.log",
					       "%s/nodes/*/log/*.log"};
	for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++) {
		char pat[PATH_MAX];
		glob_t g;
		snprintf(pat, sizeof(pat), patterns[i], dir);
		if (glob(pat, 0, NULL, &g) != 0)
			continue;
		for (size_t j = 0; j < g.gl_pathc; j++) {
			fprintf(out, "==> %s (last %u lines) <==\n", g.gl_pathv[j], lines);
			fs_tail(g.gl_pathv[j], lines, "    ", out);
		}
		globfree(&g);
	}
}
