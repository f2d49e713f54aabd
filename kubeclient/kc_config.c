/*
 * kc_config.c — turns a kubeconfig selection or the in-cluster files into the bytes and
 * strings the HTTP client needs, reading each referenced file once at start-up so that a
 * missing or unreadable file is reported by name before anything runs.
 */
#include "kc_config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kc_error.h"

#define FILE_MAX (1 << 20)

int kc_read_file(const char *path, struct kc_blob *out)
{
	out->data = NULL;
	out->len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat sb;
	int e = 0;
	if (fstat(fd, &sb) < 0)
		e = errno;
	else if (!S_ISREG(sb.st_mode))
		e = EINVAL; /* a directory or device is not a credential file */
	else if (sb.st_size > FILE_MAX)
		e = EFBIG;
	if (e) {
		close(fd);
		return -e;
	}
	size_t cap = (size_t)sb.st_size + 1, len = 0;
	unsigned char *buf = malloc(cap);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		if (len + 1 >= cap) {
			if (cap > FILE_MAX) {
				free(buf);
				close(fd);
				return -EFBIG;
			}
			unsigned char *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				close(fd);
				return -ENOMEM;
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t n = read(fd, buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			free(buf);
			close(fd);
			return -e;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	out->data = buf;
	out->len = len;
	return 0;
}

/* `rel` against the directory of `base` (kubectl resolves kubeconfig paths that way). */
static char *resolve(const char *base, const char *rel)
{
	if (rel[0] == '/')
		return strdup(rel);
	char *copy = strdup(base);
	if (!copy)
		return NULL;
	char *dir = dirname(copy), *out = NULL;
	if (asprintf(&out, "%s/%s", dir, rel) < 0)
		out = NULL;
	free(copy);
	return out;
}

static bool looks_pem(const struct kc_blob *b)
{
	return b->data && memmem(b->data, b->len, "-----BEGIN ", 11);
}

/* Reads a PEM file named by `field`; or checks inline data from `field`-data. */
static int load_pem(const char *src, const char *where, const char *field, const char *base,
		    char *file, struct kc_blob *blob, char *why, size_t why_len)
{
	if (file) {
		char *path = resolve(base, file);
		if (!path)
			return -ENOMEM;
		int r = kc_read_file(path, blob);
		if (r < 0) {
			snprintf(why, why_len, "%s: %s.%s \"%s\": %s", src, where, field, path,
				 strerror(-r));
			free(path);
			return r;
		}
		free(path);
		if (!looks_pem(blob)) {
			snprintf(why, why_len, "%s: %s.%s \"%s\": not a PEM file", src, where,
				 field, file);
			return -EINVAL;
		}
		return 0;
	}
	if (blob->data && !looks_pem(blob)) {
		snprintf(why, why_len, "%s: %s.%s-data: not PEM after base64 decoding", src, where,
			 field);
		return -EINVAL;
	}
	return 0;
}

static void take_blob(struct kc_blob *dst, struct kc_blob *src)
{
	*dst = *src;
	src->data = NULL;
	src->len = 0;
}

/* Trims trailing whitespace of a token (files usually end in a newline). */
static void trim(char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
}

static int from_kubeconfig(const char *path, const char *context, struct kc_config *out, char *why,
			   size_t why_len)
{
	memset(out, 0, sizeof(*out));
	struct kc_blob text;
	int r = kc_read_file(path, &text);
	if (r < 0) {
		snprintf(why, why_len, "kubeconfig %s: %s", path, strerror(-r));
		return r;
	}
	struct kc_kubeconfig kc;
	r = kc_kubeconfig_parse((const char *)text.data, text.len, path, context, &kc, why,
				why_len);
	free(text.data);
	if (r < 0)
		return r;

	char src[PATH_MAX + 16], cwhere[96], uwhere[96];
	snprintf(src, sizeof(src), "kubeconfig %s", path);
	snprintf(cwhere, sizeof(cwhere), "clusters[%.64s].cluster", kc.cluster);
	snprintf(uwhere, sizeof(uwhere), "users[%.64s].user", kc.user ? kc.user : "");
	out->ca = kc.ca;
	kc.ca.data = NULL;
	if ((r = load_pem(src, cwhere, "certificate-authority", path, kc.ca_file, &out->ca, why,
			  why_len)) < 0 ||
	    (r = load_pem(src, uwhere, "client-certificate", path, kc.cert_file, &kc.cert, why,
			  why_len)) < 0 ||
	    (r = load_pem(src, uwhere, "client-key", path, kc.key_file, &kc.key, why, why_len)) < 0)
		goto fail;
	take_blob(&out->cert, &kc.cert);
	take_blob(&out->key, &kc.key);
	if (kc.token_file && !kc.token) {
		out->token_file = resolve(path, kc.token_file);
		if (!out->token_file) {
			r = -ENOMEM;
			goto fail;
		}
		struct kc_blob tok;
		if ((r = kc_read_file(out->token_file, &tok)) < 0) {
			snprintf(why, why_len, "%s: %s.tokenFile \"%s\": %s", src, uwhere,
				 out->token_file, strerror(-r));
			goto fail;
		}
		out->token = (char *)tok.data;
		trim(out->token);
		if (!*out->token) {
			snprintf(why, why_len, "%s: %s.tokenFile \"%s\": empty", src, uwhere,
				 out->token_file);
			r = -EINVAL;
			goto fail;
		}
	} else if (kc.token) {
		out->token = kc.token;
		kc.token = NULL;
	}
	out->server = kc.server;
	kc.server = NULL;
	size_t n = strlen(out->server);
	while (n > 8 && out->server[n - 1] == '/')
		out->server[--n] = '\0';
	out->tls_server_name = kc.tls_server_name;
	kc.tls_server_name = NULL;
	out->insecure = kc.insecure;
	out->source = strdup(src);
	kc_kubeconfig_free(&kc);
	if (!out->source) {
		kc_config_free(out);
		return -ENOMEM;
	}
	return 0;
fail:
	kc_kubeconfig_free(&kc);
	kc_config_free(out);
	return r;
}

static int host_port_url(const char *host, const char *port, char **out)
{
	bool v6 = strchr(host, ':') != NULL && host[0] != '[';
	return asprintf(out, "https://%s%s%s:%s", v6 ? "[" : "", host, v6 ? "]" : "", port) < 0
		   ? -ENOMEM
		   : 0;
}

static bool valid_port(const char *port)
{
	char *end;
	long v = strtol(port, &end, 10);
	return *port && !*end && v > 0 && v < 65536;
}

static int in_cluster(const char *sa_dir, const char *host, const char *port, struct kc_config *out,
		      char *why, size_t why_len)
{
	memset(out, 0, sizeof(*out));
	if (!sa_dir)
		sa_dir = "/var/run/secrets/kubernetes.io/serviceaccount";
	if (!host || !*host || !port || !*port) {
		snprintf(why, why_len,
			 "in-cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be "
			 "set");
		return -EINVAL;
	}
	if (!valid_port(port) || strpbrk(host, "/ \t@?#")) {
		snprintf(why, why_len,
			 "in-cluster: KUBERNETES_SERVICE_HOST \"%.64s\" / PORT \"%.16s\": invalid",
			 host, port);
		return -EINVAL;
	}
	int r;
	char *ca = NULL;
	if (asprintf(&ca, "%s/ca.crt", sa_dir) < 0 ||
	    asprintf(&out->token_file, "%s/token", sa_dir) < 0) {
		free(ca);
		return -ENOMEM;
	}
	if ((r = kc_read_file(ca, &out->ca)) < 0 || !looks_pem(&out->ca)) {
		snprintf(why, why_len, "in-cluster: %s: %s", ca,
			 r < 0 ? strerror(-r) : "not a PEM file");
		free(ca);
		kc_config_free(out);
		return r < 0 ? r : -EINVAL;
	}
	free(ca);
	struct kc_blob tok;
	if ((r = kc_read_file(out->token_file, &tok)) < 0) {
		snprintf(why, why_len, "in-cluster: %s: %s", out->token_file, strerror(-r));
		kc_config_free(out);
		return r;
	}
	out->token = (char *)tok.data;
	trim(out->token);
	if (!*out->token) {
		snprintf(why, why_len, "in-cluster: token file \"%s\": empty", out->token_file);
		kc_config_free(out);
		return -EINVAL;
	}
	if ((r = host_port_url(host, port, &out->server)) < 0 ||
	    !(out->source = strdup("in-cluster"))) {
		kc_config_free(out);
		return -ENOMEM;
	}
	return 0;
}

static int override_server(struct kc_config *cfg, const char *addr, char *why, size_t why_len)
{
	char *url = NULL;
	if (!addr || !*addr || strpbrk(addr, " \t\r\n")) {
		snprintf(why, why_len, "kubernetes_addr \"%.128s\": empty or has spaces",
			 addr ? addr : "");
		return -EINVAL;
	}
	if (!strncmp(addr, "https://", 8) || !strncmp(addr, "http://", 7)) {
		url = strdup(addr);
	} else {
		const char *colon = strrchr(addr, ':');
		bool bracketed = addr[0] == '[';
		if (!colon || (bracketed && colon < strchr(addr, ']')) || !valid_port(colon + 1) ||
		    colon == addr) {
			snprintf(why, why_len,
				 "kubernetes_addr \"%.128s\": expected host:port, [ipv6]:port or a "
				 "URL",
				 addr);
			return -EINVAL;
		}
		if (asprintf(&url, "https://%s", addr) < 0)
			url = NULL;
	}
	if (!url)
		return -ENOMEM;
	if (cfg->token && !strncmp(url, "http://", 7)) {
		snprintf(why, why_len,
			 "kubernetes_addr \"%.128s\": a bearer token is not sent over plain http; "
			 "use https://",
			 url);
		free(url);
		return -EINVAL;
	}
	size_t n = strlen(url);
	while (n > 8 && url[n - 1] == '/')
		url[--n] = '\0';
	free(cfg->server);
	cfg->server = url;
	return 0;
}

/* The public entry points: every error is one printable line, whatever the values echoed. */
int kc_config_from_kubeconfig(const char *path, const char *context, struct kc_config *out,
			      char *why, size_t why_len)
{
	int r = from_kubeconfig(path, context, out, why, why_len);
	if (r < 0)
		kc_one_line(why);
	return r;
}

int kc_config_in_cluster(const char *sa_dir, const char *host, const char *port,
			 struct kc_config *out, char *why, size_t why_len)
{
	int r = in_cluster(sa_dir, host, port, out, why, why_len);
	if (r < 0)
		kc_one_line(why);
	return r;
}

int kc_config_override_server(struct kc_config *cfg, const char *addr, char *why, size_t why_len)
{
	int r = override_server(cfg, addr, why, why_len);
	if (r < 0)
		kc_one_line(why);
	return r;
}

void kc_config_free(struct kc_config *cfg)
{
	free(cfg->server);
	free(cfg->tls_server_name);
	free(cfg->ca.data);
	free(cfg->cert.data);
	free(cfg->key.data);
	free(cfg->token);
	free(cfg->token_file);
	free(cfg->source);
	memset(cfg, 0, sizeof(*cfg));
}
