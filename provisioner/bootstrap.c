/*
 * bootstrap.c — kubeadm init/join as a person would run them in a node, with the configuration
 * kubeadm_config.c writes; the join credentials (a bootstrap token, the CA hash and, for a
 * control plane, a fresh certificate key after `upload-certs`) are asked of a running control
 * plane each time, so a node added days later joins like one added at start.
 */
#include "bootstrap.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "fsutil.h"
#include "images.h"
#include "kubeadm_config.h"
#include "manifest.h"
#include "supervise.h"
#include "tool_output.h"
#include "storage_addon.h"

#define KUBEADM_TIMEOUT_MS (600 * 1000)
#define SHORT_TIMEOUT_MS   (60 * 1000)
#define ETCD_REMOVE_TRIES  30 /* 2 s apart */

static int random_text(char *out, size_t n, const char *alphabet)
{
	unsigned char raw[64];
	if (n > sizeof(raw) || getrandom(raw, n, 0) != (ssize_t)n)
		return -EIO;
	size_t k = strlen(alphabet);
	for (size_t i = 0; i < n; i++)
		out[i] = alphabet[raw[i] % k];
	out[n] = '\0';
	return 0;
}

/* A bootstrap token "[a-z0-9]{6}.[a-z0-9]{16}". */
static int new_token(char out[24])
{
	static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	int err = random_text(out, 6, alnum);
	if (!err) {
		out[6] = '.';
		err = random_text(out + 7, 16, alnum);
	}
	return err;
}

static int new_certificate_key(char out[65])
{
	return random_text(out, 64, "0123456789abcdef");
}

static void cp_ips(const struct profile *p, const char **ips, size_t max)
{
	size_t k = 0;
	for (size_t i = 0; i < p->n_nodes && k + 1 < max; i++)
		if (p->nodes[i].control_plane)
			ips[k++] = p->nodes[i].ip;
	ips[k] = NULL;
}

static void base_params(const struct provider *pv, const struct profile_node *n,
			struct kubeadm_params *kp, char *cgroot, size_t cglen)
{
	const struct profile *p = pv->p;
	provider_cgroup_root(pv, n, cgroot, cglen);
	*kp = (struct kubeadm_params){
	    .k8s_version = p->k8s_version,
	    .node_name = n->name,
	    .node_ip = n->ip,
	    .endpoint_name = PROVIDER_ENDPOINT,
	    .vip = p->vip,
	    .port = p->apiserver_port,
	    .pod_subnet = BOOTSTRAP_POD_SUBNET,
	    .service_subnet = BOOTSTRAP_SERVICE_SUBNET,
	    .cgroup_root = cgroot,
	    .control_plane = n->control_plane,
	};
}

static int write_config(const struct provider *pv, const struct profile_node *n, const char *text,
			char *path, size_t len)
{
	char dir[PATH_MAX];
	provider_node_dir(pv, n, dir, sizeof(dir));
	fs_path(path, len, "%s/kubeadm.yaml", dir);
	return fs_printf(path, 0600, "%s", text);
}

/* Runs kubeadm in n; on failure points at its output. */
static int run_kubeadm(const struct provider *pv, const struct profile_node *n, char *const *argv,
		       const char *what)
{
	char dir[PATH_MAX], log[PATH_MAX];
	provider_node_dir(pv, n, dir, sizeof(dir));
	fs_path(log, sizeof(log), "%s/log/kubeadm.log", dir);
	int err = provider_exec(pv, n, argv, log, KUBEADM_TIMEOUT_MS);
	if (err) {
		log_error(pv->log, what, "node=%s error=\"%s\" log=%s", n->name, strerror(-err),
			  log);
		fs_tail(log, 15, "  kubeadm: ", stderr);
	}
	return err;
}

/* kube-vip v1.2.2 uses its kubeconfig's server literally (kube-vip #1654): that server is the
 * endpoint name, i.e. the VIP, which nobody holds at a cold start. Its own copy names the node's
 * apiserver instead: /etc/kubernetes/kube-vip.conf, made from `from` (a kubeconfig of this
 * cluster, read from outside the node). */
int bootstrap_kube_vip_kubeconfig(const struct provider *pv, const struct profile_node *n,
				  const char *from)
{
	char dir[PATH_MAX], path[PATH_MAX], want[128], line[4096];
	provider_node_dir(pv, n, dir, sizeof(dir));
	fs_path(path, sizeof(path), "%s/etc/kubernetes/kube-vip.conf", dir);
	snprintf(want, sizeof(want), "    server: https://%s:%u\n", n->ip, pv->p->apiserver_port);
	FILE *in = fopen(from, "re");
	if (!in)
		return -errno;
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	bool replaced = false;
	while (out && fgets(line, sizeof(line), in)) {
		bool server = strncmp(line + strspn(line, " "), "server:", 7) == 0;
		fputs(server ? want : line, out);
		replaced |= server;
	}
	fclose(in);
	if (!out)
		return -ENOMEM;
	fclose(out);
	int err = replaced ? fs_printf(path, 0600, "%s", text) : -EINVAL;
	free(text);
	if (err)
		log_error(pv->log, "cannot write kube-vip's kubeconfig", "node=%s from=%s", n->name,
			  from);
	return err;
}

/* `kube-vip manifest pod` as kube-vip documents it, with our image name and kube-vip.conf. */
static int kube_vip_manifest(const struct provider *pv, const struct profile_node *n,
			     const char *path)
{
	const struct profile *p = pv->p;
	char prog[PATH_MAX], port[16], tmp[] = "/tmp/provisioner-kv.XXXXXX";
	fs_path(prog, sizeof(prog), "%s/kube-vip", pv->bindir);
	snprintf(port, sizeof(port), "%u", p->apiserver_port);
	char *argv[] = {prog,
			"manifest",
			"pod",
			"--interface",
			"eth0",
			"--address",
			(char *)p->vip,
			"--controlplane",
			"--arp",
			"--leaderElection",
			"--port",
			port,
			"--k8sConfigPath",
			"/etc/kubernetes/kube-vip.conf",
			"--leaseDuration",
			"5",
			"--leaseRenewDuration",
			"3",
			"--leaseRetry",
			"1",
			p->lb_enable ? "--enableLoadBalancer" : NULL,
			NULL};
	int fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	close(fd);
	struct sv_spec spec = {.name = "kube-vip", .argv = argv, .log_path = tmp};
	int err = sv_run(&spec, 30000, NULL);
	FILE *in = err ? NULL : fopen(tmp, "re");
	FILE *out = in ? fopen(path, "we") : NULL;
	char line[1024];
	bool body = false;
	while (out && fgets(line, sizeof(line), in)) {
		body |= strncmp(line, "apiVersion:", 11) == 0; /* skip any log lines first */
		if (!body)
			continue;
		if (strstr(line, "    image: "))
			fprintf(out, "    image: %s\n", BOOTSTRAP_KUBE_VIP_IMAGE);
		else
			fputs(line, out);
	}
	if (!err && (!in || !out || !body))
		err = -EIO;
	if (in)
		fclose(in);
	if (out && fclose(out) && !err)
		err = -EIO;
	unlink(tmp);
	if (err)
		log_error(pv->log, "kube-vip manifest pod failed", "node=%s", n->name);
	return err;
}

/* vipd's etcd backend: the node's own stacked member, with kubeadm's etcd CA and the client
 * certificate kubeadm makes for etcd's health checks (what tests/controlplane runs vipd with). */
static void set_etcd_election(const struct profile *p, struct manifest_opts *o)
{
	if (strcmp(p->vip_election, "etcd"))
		return;
	o->etcd_endpoints = "https://127.0.0.1:2379";
	o->etcd_ca = "/etc/kubernetes/pki/etcd/ca.crt";
	o->etcd_cert = "/etc/kubernetes/pki/etcd/healthcheck-client.crt";
	o->etcd_key = "/etc/kubernetes/pki/etcd/healthcheck-client.key";
}

int bootstrap_vip_manifest(const struct provider *pv, const struct profile_node *n, bool init_node)
{
	const struct profile *p = pv->p;
	char addr[64], dir[PATH_MAX], path[PATH_MAX], why[256];
	provider_node_dir(pv, n, dir, sizeof(dir));
	if (!strcmp(p->vip_provider, "kube-vip")) {
		fs_path(path, sizeof(path), "%s/etc/kubernetes/manifests/kube-vip.yaml", dir);
		return kube_vip_manifest(pv, n, path);
	}
	/* The node's own apiserver: admin.conf names the VIP, which nobody holds before the
	 * first leader (and a leader should renew through its own control plane anyway). */
	snprintf(addr, sizeof(addr), "https://%s:%u", n->ip, p->apiserver_port);
	struct manifest_opts o;
	manifest_opts_defaults(&o);
	o.interface = "eth0";
	o.address = p->vip;
	o.port = (uint16_t)p->apiserver_port;
	o.lb_port = (uint16_t)p->apiserver_port;
	o.controlplane = o.arp = o.leader_election = true;
	o.load_balancer = p->lb_enable;
	o.super_admin_path = init_node ? "/etc/kubernetes/super-admin.conf" : NULL;
	o.kubernetes_addr = addr;
	/* minikube's timings for kube-vip. */
	o.lease_duration_s = 5;
	o.renew_deadline_s = 3;
	o.retry_period_s = 1;
	set_etcd_election(p, &o);
	fs_path(path, sizeof(path), "%s/etc/kubernetes/manifests/vipd.yaml", dir);
	FILE *f = fopen(path, "we");
	if (!f)
		return -errno;
	int err = manifest_pod_write(&o, f, why, sizeof(why));
	if (fclose(f) && !err)
		err = -EIO;
	if (err)
		log_error(pv->log, "cannot write the VIP daemon's manifest",
			  "node=%s reason=\"%s\"", n->name, why);
	return err;
}

static bool kube_vip(const struct provider *pv)
{
	return !strcmp(pv->p->vip_provider, "kube-vip");
}

/* <node dir>/etc/kubernetes/<name>, in a static buffer (one at a time). */
static const char *node_file(const struct provider *pv, const struct profile_node *n,
			     const char *name)
{
	static char path[PATH_MAX];
	char dir[PATH_MAX];
	provider_node_dir(pv, n, dir, sizeof(dir));
	fs_path(path, sizeof(path), "%s/etc/kubernetes/%s", dir, name);
	return path;
}

/* kube-vip needs its kubeconfig before kubelet starts it: the certificates and
 * super-admin.conf first (kubeadm init reuses them), as kube-vip's workaround for kubeadm
 * >= 1.29 says (#684). */
static int kube_vip_before_init(const struct provider *pv, const struct profile_node *n,
				const char *config)
{
	char *certs[] = {"kubeadm", "init",	"phase",	"certs",
			 "all",	    "--config", (char *)config, NULL};
	char *kubeconfig[] = {"kubeadm",     "init",	 "phase",	 "kubeconfig",
			      "super-admin", "--config", (char *)config, NULL};
	int err = run_kubeadm(pv, n, certs, "kubeadm init phase certs failed");
	if (!err)
		err = run_kubeadm(pv, n, kubeconfig, "kubeadm init phase kubeconfig failed");
	if (!err)
		err = bootstrap_kube_vip_kubeconfig(pv, n, node_file(pv, n, "super-admin.conf"));
	return err;
}

int bootstrap_init(const struct provider *pv, const struct profile_node *n)
{
	char token[24], key[65], cgroot[64], why[256], path[PATH_MAX];
	const char *ips[PROFILE_MAX_NODES + 1];
	int err = new_token(token);
	if (!err)
		err = new_certificate_key(key);
	if (err)
		return err;
	struct kubeadm_params kp;
	base_params(pv, n, &kp, cgroot, sizeof(cgroot));
	cp_ips(pv->p, ips, PROFILE_MAX_NODES + 1);
	kp.cp_ips = ips;
	kp.token = token;
	kp.certificate_key = key;
	char *text = NULL;
	if ((err = kubeadm_init_config(&kp, &text, why, sizeof(why)))) {
		log_error(pv->log, "kubeadm configuration", "node=%s reason=\"%s\"", n->name, why);
		return err;
	}
	err = write_config(pv, n, text, path, sizeof(path));
	free(text);
	if (!err && kube_vip(pv))
		err = kube_vip_before_init(pv, n, path);
	if (!err)
		err = bootstrap_vip_manifest(pv, n, true);
	if (err)
		return err;
	char *argv[] = {"kubeadm", "init", "--config", path, "--upload-certs", NULL};
	err = run_kubeadm(pv, n, argv, "kubeadm init failed");
	if (!err && kube_vip(pv)) /* back from super-admin.conf, from kube-vip's next start on */
		err = bootstrap_kube_vip_kubeconfig(pv, n, node_file(pv, n, "admin.conf"));
	return err;
}

static int join_credentials(const struct provider *pv, const struct profile_node *via,
			    bool control_plane, char token[24], char hash[80], char key[65])
{
	char out[4096];
	char *create[] = {"kubeadm", "token", "create", "--ttl", "1h", "--print-join-command",
			  NULL};
	int err = provider_exec_capture(pv, via, create, out, sizeof(out), SHORT_TIMEOUT_MS);
	if (!err)
		err = tool_parse_join_command(out, token, hash);
	if (err) {
		log_error(pv->log, "cannot make a join token", "via=%s output=\"%.200s\"",
			  via->name, out);
		return err;
	}
	if (!control_plane)
		return 0;
	if ((err = new_certificate_key(key)))
		return err;
	char *upload[] = {"kubeadm",	       "init", "phase", "upload-certs", "--upload-certs",
			  "--certificate-key", key,    NULL};
	err = provider_exec_capture(pv, via, upload, out, sizeof(out), SHORT_TIMEOUT_MS);
	if (err)
		log_error(pv->log, "cannot upload the control-plane certificates",
			  "via=%s output=\"%.300s\"", via->name, out);
	return err;
}

int bootstrap_join(const struct provider *pv, const struct profile_node *n,
		   const struct profile_node *via)
{
	char token[24], hash[80], key[65] = "", cgroot[64], why[256], path[PATH_MAX];
	int err = join_credentials(pv, via, n->control_plane, token, hash, key);
	if (err)
		return err;
	struct kubeadm_params kp;
	base_params(pv, n, &kp, cgroot, sizeof(cgroot));
	kp.token = token;
	kp.ca_cert_hash = hash;
	kp.certificate_key = n->control_plane ? key : NULL;
	char *text = NULL;
	if ((err = kubeadm_join_config(&kp, &text, why, sizeof(why)))) {
		log_error(pv->log, "kubeadm configuration", "node=%s reason=\"%s\"", n->name, why);
		return err;
	}
	err = write_config(pv, n, text, path, sizeof(path));
	free(text);
	if (!err && n->control_plane && kube_vip(pv))
		err = bootstrap_kube_vip_kubeconfig(pv, n, node_file(pv, via, "admin.conf"));
	if (!err && n->control_plane)
		err = bootstrap_vip_manifest(pv, n, false);
	if (err)
		return err;
	char *argv[] = {"kubeadm", "join", "--config", path, NULL};
	return run_kubeadm(pv, n, argv, "kubeadm join failed");
}

/* --- etcd and nodes ----------------------------------------------------------------------- */

#define ETCDCTL(...)                                                                               \
	(char *[])                                                                                 \
	{                                                                                          \
		"etcdctl", "--endpoints=https://127.0.0.1:2379",                                   \
		    "--cacert=/etc/kubernetes/pki/etcd/ca.crt",                                    \
		    "--cert=/etc/kubernetes/pki/etcd/healthcheck-client.crt",                      \
		    "--key=/etc/kubernetes/pki/etcd/healthcheck-client.key",                       \
		    "--command-timeout=10s", __VA_ARGS__, NULL                                     \
	}

int bootstrap_etcd_members(const struct provider *pv, const struct profile_node *via, char *out,
			   size_t len)
{
	char raw[8192];
	int err = provider_exec_capture(pv, via, ETCDCTL("member", "list"), raw, sizeof(raw),
					SHORT_TIMEOUT_MS);
	if (err) {
		log_error(pv->log, "etcdctl member list failed", "via=%s output=\"%.200s\"",
			  via->name, raw);
		return err;
	}
	return tool_parse_etcd_members(raw, out, len);
}

int bootstrap_etcd_remove(const struct provider *pv, const struct profile_node *via,
			  const char *name)
{
	char members[4096];
	int err = bootstrap_etcd_members(pv, via, members, sizeof(members));
	if (err)
		return err;
	for (char *save = NULL, *line = strtok_r(members, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char id[32], mname[64];
		if (sscanf(line, "%31s %63s", id, mname) != 2 || strcmp(mname, name))
			continue;
		char out[1024];
		/* etcd's strict reconfiguration check refuses a removal until the members left
		 * have been connected for its health interval (5 s), e.g. just after one of them
		 * restarted: retry for a while. */
		for (int tries = 0; tries < ETCD_REMOVE_TRIES; tries++) {
			err = provider_exec_capture(pv, via, ETCDCTL("member", "remove", id), out,
						    sizeof(out), SHORT_TIMEOUT_MS);
			if (!err)
				break;
			log_warn(pv->log, "etcd member remove refused; retrying",
				 "member=%s id=%s try=%d", name, id, tries + 1);
			sleep(2);
		}
		if (err)
			log_error(pv->log, "etcd member remove failed",
				  "member=%s id=%s output=\"%.200s\"", name, id, out);
		else
			log_info(pv->log, "etcd member removed", "member=%s id=%s", name, id);
		return err;
	}
	return 0;
}

int bootstrap_kubectl(const struct provider *pv, const struct profile_node *via, char *const *args,
		      char *out, size_t len, int timeout_ms)
{
	char *argv[24] = {"kubectl", "--kubeconfig=/etc/kubernetes/admin.conf"};
	size_t n = 2;
	while (*args && n < 23)
		argv[n++] = *args++;
	argv[n] = NULL;
	char scratch[512];
	return provider_exec_capture(pv, via, argv, out ? out : scratch,
				     out ? len : sizeof(scratch), timeout_ms);
}

static int write_storage_addon(const struct provider *pv, const struct profile_node *via,
			       char *path, size_t len)
{
	char version[64], why[256], dir[PATH_MAX];
	int err = node_images_storage_version(pv->bindir, version, sizeof(version));
	if (err) {
		log_error(pv->log, "cannot ask the storage provisioner its version",
			  "program=%s/" STORAGE_ADDON_PROGRAM " error=\"%s\"", pv->bindir,
			  strerror(-err));
		return err;
	}
	char *text = NULL;
	if ((err = storage_addon_manifest(version, &text, why, sizeof(why)))) {
		log_error(pv->log, "storage addon manifest", "reason=\"%s\"", why);
		return err;
	}
	provider_node_dir(pv, via, dir, sizeof(dir));
	err = fs_path(path, len, "%s/storage-addon.yaml", dir);
	if (!err)
		err = fs_printf(path, 0644, "%s", text);
	free(text);
	if (err)
		log_error(pv->log, "cannot write the storage addon", "path=%s error=\"%s\"", path,
			  strerror(-err));
	return err;
}

int bootstrap_storage_addon(const struct provider *pv, const struct profile_node *via)
{
	char path[PATH_MAX], out[2048];
	int err = write_storage_addon(pv, via, path, sizeof(path));
	if (err)
		return err;
	char *args[] = {"apply", "-f", path, NULL};
	err = bootstrap_kubectl(pv, via, args, out, sizeof(out), SHORT_TIMEOUT_MS);
	if (err)
		log_error(pv->log, "kubectl apply of the storage addon failed",
			  "via=%s file=%s output=\"%.300s\"", via->name, path, out);
	return err;
}

/* The command line of `vipd handover --from LEAVING`, and the strings it points into. */
struct handover_cmd {
	char url[96], ca_or_kubeconfig[PATH_MAX], cert[PATH_MAX], key[PATH_MAX];
	char *argv[16];
};

/* `vipd handover --from LEAVING` run from outside the nodes (a program run inside a node sees
 * that node's /proc, not its own PID namespace's), through via: its apiserver and admin.conf
 * for the Lease, its etcd member and kubeadm's etcd client certificate for the etcd backend. */
static int handover_cmd_make(const struct provider *pv, const struct profile_node *via,
			     const struct profile_node *leaving, struct handover_cmd *c)
{
	char dir[PATH_MAX];
	provider_node_dir(pv, via, dir, sizeof(dir));
	bool etcd = !strcmp(pv->p->vip_election, "etcd");
	char **a = c->argv;
	*a++ = (char *)pv->vipd;
	*a++ = "handover";
	*a++ = "--from";
	*a++ = (char *)leaving->name;
	*a++ = "--timeout";
	*a++ = "15s";
	int err;
	if (etcd) {
		snprintf(c->url, sizeof(c->url), "https://%s:2379", via->ip);
		err = fs_path(c->ca_or_kubeconfig, PATH_MAX, "%s/etc/kubernetes/pki/etcd/ca.crt",
			      dir);
		err = err ? err
			  : fs_path(c->cert, PATH_MAX,
				    "%s/etc/kubernetes/pki/etcd/healthcheck-client.crt", dir);
		err = err ? err
			  : fs_path(c->key, PATH_MAX,
				    "%s/etc/kubernetes/pki/etcd/healthcheck-client.key", dir);
		char *more[] = {"--etcd-endpoints", c->url,  "--etcd-cacert", c->ca_or_kubeconfig,
				"--etcd-cert",	    c->cert, "--etcd-key",    c->key};
		memcpy(a, more, sizeof(more));
		a += sizeof(more) / sizeof(more[0]);
	} else {
		snprintf(c->url, sizeof(c->url), "https://%s:%u", via->ip, pv->p->apiserver_port);
		err = fs_path(c->ca_or_kubeconfig, PATH_MAX, "%s/etc/kubernetes/admin.conf", dir);
		char *more[] = {"--kubeconfig", c->ca_or_kubeconfig, "--server", c->url};
		memcpy(a, more, sizeof(more));
		a += sizeof(more) / sizeof(more[0]);
	}
	*a = NULL;
	return err;
}

int bootstrap_vip_handover(const struct provider *pv, const struct profile_node *via,
			   const struct profile_node *leaving, char *moved_to, size_t len)
{
	moved_to[0] = '\0';
	if (strcmp(pv->p->vip_provider, "vipd") || !pv->vipd)
		return 0; /* kube-vip has no hand-over */
	struct handover_cmd cmd;
	char out[1024];
	int err = handover_cmd_make(pv, via, leaving, &cmd);
	if (err)
		return err;
	err = provider_exec_capture(pv, NULL, cmd.argv, out, sizeof(out), 20000);
	if (err) {
		log_warn(pv->log, "vipd handover failed; the VIP moves after a lease timeout",
			 "node=%s via=%s output=\"%.300s\"", leaving->name, via->name, out);
		return -EIO;
	}
	const char *to = strstr(out, "msg=\"handed over\"") ? strstr(out, " to=") : NULL;
	if (to)
		snprintf(moved_to, len, "%.*s", (int)strcspn(to + 4, " \n"), to + 4);
	return 0;
}

int bootstrap_delete_node(const struct provider *pv, const struct profile_node *via,
			  const char *name)
{
	char out[1024];
	char *args[] = {"delete", "node", (char *)name, "--ignore-not-found", "--wait=false", NULL};
	int err = bootstrap_kubectl(pv, via, args, out, sizeof(out), SHORT_TIMEOUT_MS);
	if (err)
		log_error(pv->log, "kubectl delete node failed", "node=%s output=\"%.200s\"", name,
			  out);
	return err;
}
