/*
 * bootstrap — the bootstrapper (kind's split): it only runs the real kubeadm in nodes the
 * provider made — init on the first control plane, join --control-plane for the others, join
 * for workers — puts the VIP daemon's static pod in place before each control plane starts,
 * applies the default storage addon, and manages etcd members (removal before a control plane
 * goes, so none is ever leaked).
 *
 * Owns: kubeadm's configuration files (<node dir>/kubeadm.yaml), the VIP daemon's manifest, the
 * storage addon's file (<node dir>/storage-addon.yaml), bootstrap tokens and certificate keys,
 * etcd membership. Must not touch: namespaces, links, processes (the provider), the profile
 * file, the user's kubeconfig.
 *
 * The calls that matter: bootstrap_init(), bootstrap_join(), bootstrap_etcd_remove().
 */
#ifndef VIPD_BOOTSTRAP_H
#define VIPD_BOOTSTRAP_H

#include <stdbool.h>
#include <stddef.h>

#include "provider.h"

#define BOOTSTRAP_POD_SUBNET	 "10.244.0.0/16"
#define BOOTSTRAP_SERVICE_SUBNET "10.96.0.0/12"
/* The pinned kube-vip's image (built from the upstream program, never pulled). */
#define BOOTSTRAP_KUBE_VIP_IMAGE "localhost/kube-vip:pinned"

/* `kubeadm init` on n (the first control plane). */
int bootstrap_init(const struct provider *pv, const struct profile_node *n);
/* `kubeadm join` of n through `via`, a running control plane (which issues the token and, for
 * a control plane, uploads the certificates under a fresh key). */
int bootstrap_join(const struct provider *pv, const struct profile_node *n,
		   const struct profile_node *via);
/* Removes etcd member `name` through `via` (a running control plane). 0 also when it is not a
 * member. */
int bootstrap_etcd_remove(const struct provider *pv, const struct profile_node *via,
			  const char *name);
/* The etcd members `via` reports: "name started|unstarted learner|voter" lines into out. */
int bootstrap_etcd_members(const struct provider *pv, const struct profile_node *via, char *out,
			   size_t len);
/* Before `leaving` stops: if its vipd holds the VIP's lock, `vipd handover --from` it (run
 * here, through via's apiserver and admin.conf, or via's etcd member with vipd's etcd election)
 * so the VIP moves at once, not after a timeout. Sets moved_to (the new holder) when it moved,
 * "" when leaving did not hold it. kube-vip as the provider: nothing (it cannot hand over).
 * Returns 0 or -EIO. */
int bootstrap_vip_handover(const struct provider *pv, const struct profile_node *via,
			   const struct profile_node *leaving, char *moved_to, size_t len);
/* `kubectl delete node name` through `via`. */
int bootstrap_delete_node(const struct provider *pv, const struct profile_node *via,
			  const char *name);
/* Writes the VIP daemon's static pod into n's manifests directory (vipd or kube-vip, as the
 * profile says). init_node: also mount super-admin.conf (it exists only there). */
int bootstrap_vip_manifest(const struct provider *pv, const struct profile_node *n, bool init_node);
/* minikube's default storage addon (storage_addon.h): writes its stream for the pinned
 * local-path-provisioner to <via's dir>/storage-addon.yaml and `kubectl apply`s it inside via,
 * a running control plane. Idempotent. */
int bootstrap_storage_addon(const struct provider *pv, const struct profile_node *via);
/* kube-vip only: its own kubeconfig (/etc/kubernetes/kube-vip.conf in n), a copy of `from`
 * naming n's own apiserver (kube-vip #1654: v1.2.2 would otherwise wait on the VIP). */
int bootstrap_kube_vip_kubeconfig(const struct provider *pv, const struct profile_node *n,
				  const char *from);
/* kubectl with the node's admin.conf, run inside `via`; output captured into out. */
int bootstrap_kubectl(const struct provider *pv, const struct profile_node *via, char *const *args,
		      char *out, size_t len, int timeout_ms);

#endif
