/*
 * kubeadm_config_print.c — `kubeadm-config-print init|join-cp|join-worker`: prints one of
 * kubeadm_config's files for fixed sample parameters (a three-control-plane minikube-style
 * cluster), so tests can hand it to the real `kubeadm config validate`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubeadm_config.h"

static const char *const sample_cp_ips[] = {"192.168.49.2", "192.168.49.3", "192.168.49.4", NULL};

static const struct kubeadm_params sample = {
    .k8s_version = "v1.34.4",
    .node_name = "ha-demo-m02",
    .node_ip = "192.168.49.3",
    .endpoint_name = "control-plane.minikube.internal",
    .vip = "192.168.49.254",
    .port = 8443,
    .cp_ips = sample_cp_ips,
    .pod_subnet = "10.244.0.0/16",
    .service_subnet = "10.96.0.0/12",
    .cgroup_root = "/vp-1a2b3c4d-m02",
    .token = "abcdef.0123456789abcdef",
    .certificate_key = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    .ca_cert_hash = "sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210",
};

int main(int argc, char **argv)
{
	const char *what = argc == 2 ? argv[1] : "";
	struct kubeadm_params p = sample;
	char *text = NULL, why[256] = "";
	int err;
	if (!strcmp(what, "init")) {
		err = kubeadm_init_config(&p, &text, why, sizeof(why));
	} else if (!strcmp(what, "join-cp") || !strcmp(what, "join-worker")) {
		p.control_plane = !strcmp(what, "join-cp");
		err = kubeadm_join_config(&p, &text, why, sizeof(why));
	} else {
		fprintf(stderr, "usage: kubeadm-config-print init|join-cp|join-worker\n");
		return 2;
	}
	if (err) {
		fprintf(stderr, "kubeadm-config-print: %s\n",
			err == -EINVAL ? why : strerror(-err));
		return 1;
	}
	fputs(text, stdout);
	free(text);
	return fflush(stdout) ? 1 : 0;
}
