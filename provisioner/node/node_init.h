/*
 * node_init — a node's own init process: PID 1 of the node's PID namespace, detached from the
 * command that made it. It makes the node's network, UTS and mount namespaces (private /etc
 * overlay, fresh /sys), tells its maker it is ready for the network, waits for the go-ahead,
 * then runs the node (node.c: containerd, images, kubelet in kubeadm mode) and supervises it as
 * a service manager would until SIGTERM, reaping every orphan as PID 1 must. Killing it kills
 * the whole node: the kernel ends every process of a PID namespace whose init dies.
 *
 * Owns: the node's namespaces and everything node.c starts. Must not touch: the bridge and the
 * node's links and addresses (the provider sets them from outside between "ready" and "go").
 *
 * Protocol on the two descriptors it is given: it writes an int (0 or -errno) once its
 * namespaces exist, reads one byte ("go"), writes a second int once containerd is up and the
 * images are in, then closes both.
 *
 * The call that matters: node_init_main().
 */
#ifndef VIPD_NODE_INIT_H
#define VIPD_NODE_INIT_H

#include "node.h"

struct node_init_args {
	const char *name;	   /* hostname and node name */
	const char *dir;	   /* the node's directory (etc/, rootfs/, log/ …) */
	const char *ip;		   /* its address, for kubelet */
	const char *bindir;	   /* kubelet and the upstream programs */
	const char *cgroup_root;   /* "/name" in every hierarchy */
	const char *pod_cidr;	   /* CNI bridge range */
	const char *sandbox_image; /* kubeadm's pause image name */
	const char *images[NODE_MAX_IMAGES];
	int status_fd; /* ints to the maker */
	int go_fd;     /* one byte from the maker */
};

/* Runs the node until SIGTERM/SIGINT (then stops it) or until containerd dies. Returns the
 * process exit code. */
int node_init_main(const struct node_init_args *a);

#endif
