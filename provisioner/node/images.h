/*
 * images — the OCI image archives a node imports, built locally with oci_image (umoci +
 * skopeo): our pause program under kubeadm's pause name, our small HTTP server, and optionally
 * every image `kubeadm config images list` names, each made from the pinned upstream program.
 * Nothing is ever pulled.
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

#define NODE_IMAGES_MAX	 14
#define NODE_HTTPD_IMAGE "vipd.local/httpd:v1"
#define NODE_HELLO_IMAGE "localhost/hello-from:latest"

struct node_images_options {
	const char *bindir;	 /* kubeadm and the upstream programs */
	const char *k8s_version; /* "v1.34.4" */
	const char *pause_bin;	 /* our static pause program */
	const char *httpd_bin;	 /* our static HTTP server */
	const char *out_dir;	 /* exists; archives and scratch go here */
	bool kubeadm_images;	 /* also kube-apiserver, etcd, … under kubeadm's names */
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

#endif
