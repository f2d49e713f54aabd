/*
 * kubeadm_config — the configuration files the provisioner hands the real kubeadm (v1beta4):
 * `kubeadm init --config` (InitConfiguration, ClusterConfiguration, KubeletConfiguration,
 * KubeProxyConfiguration in one stream) and `kubeadm join --config` (JoinConfiguration, for a
 * control plane or a worker). Nodes are Linux namespaces on one machine, like kind's containers:
 * cgroup v1 with the cgroupfs driver, each node's own containerd, many kubelets and kube-proxies
 * on one kernel and disk, images imported locally (nothing is ever pulled).
 *
 * Pure text: every parameter is checked before the first byte is written (a bad one gives one
 * line naming it and its value), and every string value is written double-quoted.
 *
 * Owns: the text of those files. Must not touch: files, processes, the network.
 *
 * The calls that matter: kubeadm_init_config(), kubeadm_join_config().
 */
#ifndef VIPD_KUBEADM_CONFIG_H
#define VIPD_KUBEADM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

/* Where each node's containerd listens (node_files.c writes it there). */
#define KUBEADM_CRI_SOCKET "unix:///run/containerd/containerd.sock"

struct kubeadm_params {
	const char *k8s_version;    /* "v1.34.4" */
	const char *node_name;	    /* "ha-demo-m02" */
	const char *node_ip;	    /* advertise address and kubelet --node-ip */
	const char *endpoint_name;  /* "control-plane.minikube.internal": every node's /etc/hosts
				       maps it to the VIP */
	const char *vip;	    /* "192.168.49.254" */
	unsigned port;		    /* 8443: apiserver bind port and controlPlaneEndpoint port */
	const char *const *cp_ips;  /* NULL-terminated: every control-plane node IP, for certSANs */
	const char *pod_subnet;	    /* "10.244.0.0/16" */
	const char *service_subnet; /* "10.96.0.0/12" */
	const char *cgroup_root; /* "/vp-1a2b3c4d-m02": kubelet --cgroup-root, differs per node */
	const char *token;	 /* bootstrap token "abcdef.0123456789abcdef" */
	const char *certificate_key; /* 64 hex chars, for --upload-certs / join --control-plane */
	const char *ca_cert_hash;    /* "sha256:<64 hex>", join only */
	bool control_plane;	     /* join: as a control plane */
};

/* InitConfiguration + ClusterConfiguration + KubeletConfiguration + KubeProxyConfiguration, as
 * one YAML stream (malloc'd into *out). Uses every parameter but ca_cert_hash and
 * control_plane. Returns 0, -EINVAL (one line in why naming the bad parameter and value) or
 * -ENOMEM. */
int kubeadm_init_config(const struct kubeadm_params *p, char **out, char *why, size_t why_len);

/* JoinConfiguration (with controlPlane.localAPIEndpoint + certificateKey when control_plane).
 * Uses node_name, node_ip, endpoint_name, port, cgroup_root, token, ca_cert_hash and, for a
 * control plane, certificate_key. Returns as kubeadm_init_config(). */
int kubeadm_join_config(const struct kubeadm_params *p, char **out, char *why, size_t why_len);

/* The preflight checks we skip, each with the reason (NULL-terminated arrays, same order).
 * Both configurations carry them in nodeRegistration.ignorePreflightErrors. */
extern const char *const kubeadm_ignored_preflight[];
extern const char *const kubeadm_ignored_preflight_reason[];

#endif
