/*
 * pki.c — writes one kubeadm config per node (and one for the VIP) and runs kubeadm's phases
 * with it, the way `kubeadm init` and `kubeadm join --control-plane` would: CAs once, then each
 * node gets copies of the CAs and its own leaf certificates and kubeconfigs.
 */
#include "pki.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "supervise.h"

/* CA material every control-plane node shares (kubeadm's --upload-certs set). */
static const char *const shared_files[] = {
    "ca.crt", "ca.key", "front-proxy-ca.crt", "front-proxy-ca.key",
    "sa.key", "sa.pub", "etcd/ca.crt",	      "etcd/ca.key",
};

static int write_config(const struct pki_cluster *c, const char *path, const struct pki_node *n,
			const char *cert_dir, const char *endpoint)
{
	char sans[2048] = "";
	size_t len = 0;
	for (size_t i = 0; i < c->n_nodes; i++)
		len += (size_t)snprintf(sans + len, sizeof(sans) - len, "  - \"%s\"\n",
					c->nodes[i].addr);
	if (c->vip)
		snprintf(sans + len, sizeof(sans) - len, "  - \"%s\"\n", c->vip);
	char cpe[128] = "";
	if (endpoint)
		snprintf(cpe, sizeof(cpe), "controlPlaneEndpoint: \"%s:%u\"\n", endpoint, c->port);
	return fs_printf(path, 0600,
			 "apiVersion: kubeadm.k8s.io/v1beta4\n"
			 "kind: InitConfiguration\n"
			 "localAPIEndpoint:\n"
			 "  advertiseAddress: \"%s\"\n"
			 "  bindPort: %u\n"
			 "nodeRegistration:\n"
			 "  name: \"%s\"\n"
			 "  criSocket: unix:///run/containerd/containerd.sock\n"
			 "---\n"
			 "apiVersion: kubeadm.k8s.io/v1beta4\n"
			 "kind: ClusterConfiguration\n"
			 "kubernetesVersion: \"%s\"\n"
			 "clusterName: kubernetes\n"
			 "certificatesDir: \"%s\"\n"
			 "%s"
			 "apiServer:\n"
			 "  certSANs:\n"
			 "  - \"127.0.0.1\"\n"
			 "  - \"localhost\"\n"
			 "%s"
			 "networking:\n"
			 "  serviceSubnet: 10.96.0.0/12\n"
			 "  dnsDomain: cluster.local\n",
			 n->addr, c->port, n->name, c->k8s_version, cert_dir, cpe, sans);
}

/* kubeadm init phase <phase…> --config <config> [--kubeconfig-dir <dir>] */
static int kubeadm(const struct pki_cluster *c, const char *config, const char *kubeconfig_dir,
		   const char *phase, const char *what)
{
	char log_path[PATH_MAX];
	fs_path(log_path, sizeof(log_path), "%s/kubeadm/kubeadm.log", c->dir);
	const char *argv[12] = {c->kubeadm, "init", "phase", phase, what, "--config", config};
	size_t n = 7;
	if (kubeconfig_dir) {
		argv[n++] = "--kubeconfig-dir";
		argv[n++] = kubeconfig_dir;
	}
	argv[n] = NULL;
	struct sv_spec spec = {
	    .name = "kubeadm", .argv = (char *const *)argv, .log_path = log_path};
	int err = sv_run(&spec, 60000, NULL);
	if (err)
		log_error(c->log, "kubeadm failed",
			  "command=\"kubeadm init phase %s %s --config %s\" log=%s", phase, what,
			  config, log_path);
	return err;
}

int pki_make(const struct pki_cluster *c)
{
	char dir[PATH_MAX], ca_dir[PATH_MAX], cfg[PATH_MAX], path[PATH_MAX], from[PATH_MAX];
	int err;
	fs_path(dir, sizeof(dir), "%s/kubeadm", c->dir);
	fs_path(ca_dir, sizeof(ca_dir), "%s/pki", c->dir);
	if ((err = fs_mkdirs(dir, 0700)) || (err = fs_mkdirs(ca_dir, 0700)))
		return err;

	/* 1. The CAs and service-account keys, once, as on the first control-plane node. */
	fs_path(cfg, sizeof(cfg), "%s/cluster.yaml", dir);
	if ((err = write_config(c, cfg, &c->nodes[0], ca_dir, c->vip)))
		return err;
	static const char *const ca_phases[] = {"ca", "etcd-ca", "front-proxy-ca", "sa"};
	for (size_t i = 0; i < sizeof(ca_phases) / sizeof(ca_phases[0]); i++)
		if ((err = kubeadm(c, cfg, NULL, "certs", ca_phases[i])))
			return err;

	/* 2. Per node: copies of the shared material, then its own certificates and kubeconfigs. */
	for (size_t i = 0; i < c->n_nodes; i++) {
		const struct pki_node *n = &c->nodes[i];
		char kdir[PATH_MAX], cert_dir[PATH_MAX];
		fs_path(kdir, sizeof(kdir), "%s/kubernetes", n->etc_dir);
		fs_path(cert_dir, sizeof(cert_dir), "%s/pki", kdir);
		fs_path(path, sizeof(path), "%s/etcd", cert_dir);
		if ((err = fs_mkdirs(path, 0755)))
			return err;
		for (size_t f = 0; f < sizeof(shared_files) / sizeof(shared_files[0]); f++) {
			fs_path(from, sizeof(from), "%s/%s", ca_dir, shared_files[f]);
			fs_path(path, sizeof(path), "%s/%s", cert_dir, shared_files[f]);
			if ((err = fs_copy(from, path, 0600))) {
				log_error(c->log, "cannot copy", "from=%s to=%s error=\"%s\"", from,
					  path, strerror(-err));
				return err;
			}
		}
		fs_path(cfg, sizeof(cfg), "%s/%s.yaml", dir, n->name);
		if ((err = write_config(c, cfg, n, cert_dir, NULL)) ||
		    (err = kubeadm(c, cfg, NULL, "certs", "all")) ||
		    (err = kubeadm(c, cfg, kdir, "kubeconfig", "all")))
			return err;
	}

	/* 3. A kubeconfig whose server is the VIP. */
	if (c->vip) {
		fs_path(cfg, sizeof(cfg), "%s/cluster.yaml", dir);
		fs_path(path, sizeof(path), "%s/vip", c->dir);
		if ((err = fs_mkdirs(path, 0700)) ||
		    (err = kubeadm(c, cfg, path, "kubeconfig", "admin")))
			return err;
	}
	return 0;
}
