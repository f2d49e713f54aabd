/*
 * images — the OCI image archives a node imports, built locally with oci_image (umoci +
 * skopeo): our pause program under kubeadm's pause name, our small HTTP server, and optionally
 * every image `kubeadm config images list` names, each made from the pinned upstream program,
 * plus the storage addon's two (the pinned local-path-provisioner, and Debian's static busybox
 * for its helper pods). Nothing is ever pulled.
 *
 * Owns: the archives and scratch directories under the directory it is given. Must not touch:
 * any containerd (node.c imports).
 *
 * The call that matters: node_images_build().
 */
#ifndef VIPD_NODE_IMAGES_H
#define VIPD_NODE_IMAGES_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "log.h"

/* Built today: kubeadm's 7 (v1.34), the storage addon's 2, httpd, hello-from = 11. The CLI
 * adds the vipd image and a NULL: PROVIDER_MAX_IMAGES and NODE_MAX_IMAGES (16) must stay at
 * least NODE_IMAGES_MAX + 2. */
#define NODE_IMAGES_MAX	 14
#define NODE_HTTPD_IMAGE "vipd.local/httpd:v1"
#define NODE_HELLO_IMAGE "localhost/hello-from:latest"

struct node_images_options {
	const char *bindir;	    /* kubeadm and the upstream programs */
	const char *k8s_version;    /* "v1.34.4" */
	const char *pause_bin;	    /* our static pause program */
	const char *httpd_bin;	    /* our static HTTP server */
	const char *out_dir;	    /* exists; archives and scratch go here */
	bool kubeadm_images;	    /* also kube-apiserver, etcd, … under kubeadm's names, and the
				       storage addon's images (storage_addon.h) */
	const char *kube_vip_image; /* non-NULL: also the pinned kube-vip under this name */
	const struct logger *log;
};

struct node_images {
	char pause_name[128]; /* kubeadm's pause image name: the sandbox image */
	char names[NODE_IMAGES_MAX][128];
	char archives[NODE_IMAGES_MAX][PATH_MAX];
	size_t n;
};

/* Builds every archive. Upstream images are reused when their archive already exists (the
 * caller keys out_dir by the programs' build, e.g. the upstream cache's go.sum hash); ours
 * (pause, httpd) are always rebuilt, which takes well under a second. Returns 0 or -errno with
 * one error line logged naming the image and the failing step. */
int node_images_build(const struct node_images_options *o, struct node_images *out);

/* The pinned local-path-provisioner's version ("v0.0.30"), asked of the program in bindir
 * (upstream/build.sh stamps it): the storage addon's image tag. Returns 0 or -errno (-EPROTO:
 * an answer without a version). */
int node_images_storage_version(const char *bindir, char *out, size_t len);

#endif
