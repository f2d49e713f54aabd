/*
 * manifest — `vipd manifest pod`: the static pod that runs `vipd manager` on a control-plane
 * node, in the shape `kube-vip manifest pod` writes (shared/REFERENCE.md §1), with vipd's
 * image and command, so an existing kube-vip manifest and ours differ only where they must.
 *
 * Pure: options in, YAML text out (golden-file tested; the pinned kubectl accepts it).
 *
 * Owns: the manifest's shape. Must not touch: files (the command writes stdout).
 */
#ifndef VIPD_MANIFEST_H
#define VIPD_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define MANIFEST_DEFAULT_IMAGE "localhost/vipd:latest"

struct manifest_opts {
	const char *interface;	      /* --interface (required with --arp) */
	const char *address;	      /* --address (required) */
	uint16_t port;		      /* --port (6443) */
	bool controlplane;	      /* --controlplane */
	bool arp;		      /* --arp */
	bool leader_election;	      /* --leaderElection */
	bool load_balancer;	      /* --enableLoadBalancer */
	uint16_t lb_port;	      /* --lbPort (6443) */
	const char *lb_fwd_method;    /* --lbForwardingMethod (local) */
	const char *k8s_config_path;  /* --k8sConfigPath (/etc/kubernetes/admin.conf) */
	const char *super_admin_path; /* --superAdminConfigPath: also mounted; vipd uses it only
					 while admin.conf is refused (kubeadm >= 1.29 init) */
	const char
	    *kubernetes_addr;	       /* --kubernetesAddr: the API server vipd speaks to instead of
					  the kubeconfig's (e.g. the node's own, when the kubeconfig
					  names the VIP, which cannot answer before a leader holds it) */
	const char *image;	       /* --image (MANIFEST_DEFAULT_IMAGE) */
	const char *lease_name;	       /* --leaseName (plndr-cp-lock) */
	uint32_t lease_duration_s;     /* --leaseDuration (15) */
	uint32_t renew_deadline_s;     /* --leaseRenewDuration (10) */
	uint32_t retry_period_s;       /* --leaseRetry (2) */
	const char *prometheus_server; /* --prometheusHTTPServer (:2112) */
	const char *namespace_;	       /* --namespace (kube-system) */
	/* The etcd election backend (vipd_etcd_*): set when etcd_endpoints is. The certificates'
	 * directory on the node (all three in one) is mounted read-only at the same path. */
	const char *etcd_endpoints; /* --etcdEndpoints: comma-separated http(s):// URLs */
	const char *etcd_ca;	    /* --etcdCACert */
	const char *etcd_cert;	    /* --etcdCert */
	const char *etcd_key;	    /* --etcdKey */
};

void manifest_opts_defaults(struct manifest_opts *o);

/* Writes the Pod YAML. Returns 0, or -EINVAL with one line in `why` naming the bad option. */
int manifest_pod_write(const struct manifest_opts *o, FILE *out, char *why, size_t why_len);

/* `vipd manifest pod [flags]`: argv[0] is "manifest". Returns the exit code. */
int cmd_manifest(int argc, char **argv);

#endif
