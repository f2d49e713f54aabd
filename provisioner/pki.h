/*
 * pki — the cluster's certificates and kubeconfigs, made by the real kubeadm (`kubeadm init
 * phase certs …` / `kubeconfig …` with a config file), never by certificate code of ours.
 *
 * Layout (D = the lab dir): D/pki holds the cluster CAs and service-account keys (made once);
 * each node's <etc_dir>/kubernetes is that node's /etc/kubernetes as kubeadm lays it out
 * (pki/, admin.conf, super-admin.conf, controller-manager.conf, scheduler.conf, kubelet.conf),
 * with its apiserver at https://<node address>:port; D/vip/admin.conf points at the VIP.
 * The apiserver certificate's SANs cover every node address, the VIP, 127.0.0.1, localhost and
 * kubernetes(.default…); etcd's server and peer certificates are per node.
 *
 * Owns: kubeadm config files and the files kubeadm writes. Must not touch: running processes.
 */
#ifndef VIPD_PKI_H
#define VIPD_PKI_H

#include <stddef.h>

#include "log.h"

struct pki_node {
	const char *name;
	const char *addr;    /* dotted IPv4 */
	const char *etc_dir; /* kubeadm writes to <etc_dir>/kubernetes */
};

struct pki_cluster {
	const char *kubeadm;	 /* path of the kubeadm program */
	const char *k8s_version; /* "v1.34.4" */
	const char *dir;	 /* the lab dir */
	const char *vip;	 /* NULL: no VIP kubeconfig */
	unsigned port;		 /* apiserver port */
	const struct pki_node *nodes;
	size_t n_nodes;
	const struct logger *log;
};

/* Makes every certificate and kubeconfig above. Returns 0 or a negative errno; kubeadm's own
 * output is in D/kubeadm/kubeadm.log. */
int pki_make(const struct pki_cluster *c);

#endif
