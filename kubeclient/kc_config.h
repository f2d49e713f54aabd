/*
 * kc_config — how to reach and authenticate to a kube-apiserver: from a kubeconfig file (the
 * subset kubeadm, minikube and kube-vip use), from in-cluster service-account files, plus an
 * API address override (kube-vip's `kubernetes_addr`).
 *
 * Loading is two steps so the YAML part can be fuzzed without touching the filesystem:
 * kc_kubeconfig_parse() turns the text into a selection (strings and decoded inline data, paths
 * not yet read), then kc_config_from_kubeconfig() reads the files the selection names.
 *
 * Every failure is one line naming the file and the field:
 *   kubeconfig /etc/kubernetes/admin.conf: users[kubernetes-admin].user.client-key-data: not valid
 * base64
 *
 * Owns: kubeconfig/in-cluster parsing and the credential bytes. Must not touch: the network.
 */
#ifndef VIPD_KC_CONFIG_H
#define VIPD_KC_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

struct kc_blob {
	unsigned char *data; /* NUL-terminated for convenience; NULL when unset */
	size_t len;
};

/* What a kubeconfig's chosen context says, before any file is read. */
struct kc_kubeconfig {
	char *context, *cluster, *user; /* names */
	char *server;
	char *tls_server_name;
	bool insecure; /* insecure-skip-tls-verify */
	char *ca_file, *cert_file, *key_file, *token_file;
	struct kc_blob ca, cert, key; /* from *-data */
	char *token;
	char *ns; /* context namespace, may be NULL */
};

struct kc_config {
	char *server; /* "https://host:port", no trailing slash */
	char *tls_server_name;
	bool insecure;
	struct kc_blob ca, cert, key; /* PEM */
	char *token;
	char *token_file; /* re-read by the client while it runs (bound tokens rotate) */
	char *source;	  /* "kubeconfig /path" or "in-cluster": for messages */
};

/* Parses kubeconfig text. `name` is used in messages; `context` overrides current-context
 * (NULL: use current-context). Returns 0 or -EINVAL/-ENOMEM with one line in `why`. */
int kc_kubeconfig_parse(const char *text, size_t len, const char *name, const char *context,
			struct kc_kubeconfig *out, char *why, size_t why_len);
void kc_kubeconfig_free(struct kc_kubeconfig *kc);

/* Reads and parses `path`, resolves relative file names against its directory (as kubectl
 * does) and reads the CA, certificate and key files it names. */
int kc_config_from_kubeconfig(const char *path, const char *context, struct kc_config *out,
			      char *why, size_t why_len);

/* In-cluster: `sa_dir` (NULL = /var/run/secrets/kubernetes.io/serviceaccount) holds token and
 * ca.crt; host and port come from KUBERNETES_SERVICE_HOST/PORT (passed in, so no hidden
 * getenv). */
int kc_config_in_cluster(const char *sa_dir, const char *host, const char *port,
			 struct kc_config *out, char *why, size_t why_len);

/* kube-vip's `kubernetes_addr`: "host:port", "[v6]:port" or a URL; replaces the server. */
int kc_config_override_server(struct kc_config *cfg, const char *addr, char *why, size_t why_len);

void kc_config_free(struct kc_config *cfg);

/* Reads a whole small file (at most 1 MiB) into a NUL-terminated blob. 0 or -errno. */
int kc_read_file(const char *path, struct kc_blob *out);

#endif
