/*
 * storage_addon — minikube's default storage addon for our clusters: the StorageClass
 * "standard" (the default class) and a dynamic hostPath provisioner, the real
 * local-path-provisioner built from its upstream/go.mod pin, as one YAML stream for
 * `kubectl apply -f`.
 *
 * Unlike minikube's storage-provisioner (a bare pod on the primary node that dies with it) it is
 * a Deployment pinned to no node, so when a node is lost its pod is rescheduled on another.
 * One replica, not two: v0.0.30 builds its provisioning controller with
 * LeaderElection(false) and has no flag to turn it on, and two unelected replicas race for the
 * same claims (rancher/local-path-provisioner#440). Volumes live under the node's own /var/lib
 * (upstream's /opt is the machine's /opt, shared by every node here).
 *
 * Pure text: the version is checked before the first byte is written.
 *
 * Owns: the text of that stream. Must not touch: files, processes, the network.
 *
 * The call that matters: storage_addon_manifest().
 */
#ifndef VIPD_STORAGE_ADDON_H
#define VIPD_STORAGE_ADDON_H

#include <stddef.h>

#define STORAGE_ADDON_PROGRAM	   "local-path-provisioner"	      /* in the upstream bin dir */
#define STORAGE_ADDON_IMAGE_REPO   "localhost/local-path-provisioner" /* tagged <version> */
#define STORAGE_ADDON_HELPER_IMAGE "localhost/busybox:stable"
#define STORAGE_ADDON_NAMESPACE	   "local-path-storage"
#define STORAGE_ADDON_CLASS	   "standard" /* minikube's default class name */
#define STORAGE_ADDON_PATH	   "/var/lib/local-path-provisioner"

/* Namespace, ServiceAccount, Role + RoleBinding, ClusterRole + ClusterRoleBinding (upstream
 * deploy/local-path-storage.yaml's rules), the Deployment running image
 * STORAGE_ADDON_IMAGE_REPO:<version>, the default StorageClass and the ConfigMap (config.json,
 * setup/teardown scripts, helperPod.yaml) as one malloc'd YAML stream in *out. version: an
 * image tag ("v0.0.30"). Returns 0, -EINVAL (one line in why naming the bad value) or -ENOMEM. */
int storage_addon_manifest(const char *version, char **out, char *why, size_t why_len);

#endif
