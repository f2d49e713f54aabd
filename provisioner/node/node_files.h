/*
 * node_files — the configuration files a node's daemons read: containerd's config.toml and the
 * CNI network list (the KubeletConfiguration is kubeadm's, from kubeadm_config.c). Pure text
 * generation from struct node; kept apart from node.c so the settings (and why each one is there)
 * are in one place.
 *
 * Owns: N/conf/containerd.toml, N/etc/cni/net.d/10-vipd.conflist.
 * Must not touch: running processes.
 */
#ifndef VIPD_NODE_FILES_H
#define VIPD_NODE_FILES_H

#include "node.h"

int node_write_containerd_config(const struct node *n);
int node_write_cni_config(const struct node *n);

#endif
