/*
 * kc_kubeconfig.c — the kubeconfig subset vipd needs, read with libyaml's document API.
 * Navigation follows fixed paths (clusters[].cluster.server ...), never recursion, so anchors,
 * aliases and hostile nesting cost nothing and cannot loop.
 */
#include "kc_config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "kc_base64.h"
#include "kc_error.h"

struct kcp {
	yaml_document_t *doc;
	const char *name;
	char *why;
	size_t why_len;
};

__attribute__((format(printf, 2, 3))) static int fail(struct kcp *p, const char *fmt, ...)
{
	int n = snprintf(p->why, p->why_len, "kubeconfig %s: ", p->name);
	if (n < 0 || (size_t)n >= p->why_len)
		return -EINVAL;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->why + n, p->why_len - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static yaml_node_t *node(struct kcp *p, int id)
{
	return yaml_document_get_node(p->doc, id);
}

static bool scalar_is(const yaml_node_t *n, const char *s)
{
	return n && n->type == YAML_SCALAR_NODE && n->data.scalar.length == strlen(s) &&
	       !memcmp(n->data.scalar.value, s, n->data.scalar.length);
}

/* The value under `key` in mapping `m`, or NULL. */
static yaml_node_t *get(struct kcp *p, yaml_node_t *m, const char *key)
{
	if (!m || m->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *it = m->data.mapping.pairs.start; it < m->data.mapping.pairs.top;
	     it++)
		if (scalar_is(node(p, it->key), key))
			return node(p, it->value);
	return NULL;
}

/* A scalar that is null or empty counts as absent (as in Go's YAML decoding). */
static bool is_null(const yaml_node_t *n)
{
	if (!n)
		return true;
	if (n->type != YAML_SCALAR_NODE)
		return false;
	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return n->data.scalar.length == 0;
	const char *v = (const char *)n->data.scalar.value;
	return n->data.scalar.length == 0 || !strcmp(v, "~") || !strcmp(v, "null") ||
	       !strcmp(v, "Null") || !strcmp(v, "NULL");
}

/* Copies a string field; *out stays NULL when absent. `where` names the field in messages. */
static int str(struct kcp *p, yaml_node_t *m, const char *key, const char *where, char **out)
{
	yaml_node_t *n = get(p, m, key);
	*out = NULL;
	if (is_null(n))
		return 0;
	if (n->type != YAML_SCALAR_NODE)
		return fail(p, "%s.%s: must be a string", where, key);
	if (memchr(n->data.scalar.value, '\0', n->data.scalar.length))
		return fail(p, "%s.%s: contains a NUL byte", where, key);
	*out = strndup((const char *)n->data.scalar.value, n->data.scalar.length);
	return *out ? 0 : -ENOMEM;
}

static int boolean(struct kcp *p, yaml_node_t *m, const char *key, const char *where, bool *out)
{
	static const char *const yes[] = {"true", "yes", "on", "y"};
	static const char *const no[] = {"false", "no", "off", "n"};
	yaml_node_t *n = get(p, m, key);
	*out = false;
	if (is_null(n))
		return 0;
	if (n->type == YAML_SCALAR_NODE) {
		const char *v = (const char *)n->data.scalar.value;
		for (size_t i = 0; i < 4; i++) {
			if (!strcasecmp(v, yes[i])) {
				*out = true;
				return 0;
			}
			if (!strcasecmp(v, no[i]))
				return 0;
		}
	}
	return fail(p, "%s.%s: must be true or false", where, key);
}

static int data(struct kcp *p, yaml_node_t *m, const char *key, const char *where,
		struct kc_blob *out)
{
	char *text;
	int r = str(p, m, key, where, &text);
	if (r < 0 || !text)
		return r;
	r = kc_base64_decode(text, strlen(text), &out->data, &out->len);
	free(text);
	if (r == -EINVAL)
		return fail(p, "%s.%s: not valid base64", where, key);
	return r;
}

/* Finds the entry named `name` in the sequence `list` (clusters/contexts/users) and returns its
 * `inner` mapping (cluster/context/user). */
static int find_named(struct kcp *p, yaml_node_t *root, const char *list, const char *inner,
		      const char *name, yaml_node_t **out)
{
	yaml_node_t *seq = get(p, root, list);
	*out = NULL;
	if (is_null(seq))
		return fail(p, "%s: missing (looking for \"%.64s\")", list, name);
	if (seq->type != YAML_SEQUENCE_NODE)
		return fail(p, "%s: must be a list", list);
	for (yaml_node_item_t *it = seq->data.sequence.items.start;
	     it < seq->data.sequence.items.top; it++) {
		yaml_node_t *e = node(p, *it);
		if (!e || e->type != YAML_MAPPING_NODE)
			return fail(p, "%s: every entry must be a mapping", list);
		if (!scalar_is(get(p, e, "name"), name))
			continue;
		yaml_node_t *v = get(p, e, inner);
		if (is_null(v) || v->type != YAML_MAPPING_NODE)
			return fail(p, "%s[%.64s].%s: missing or not a mapping", list, name, inner);
		*out = v;
		return 0;
	}
	return fail(p, "%s: no entry named \"%.64s\"", list, name);
}

static int both_given(struct kcp *p, const char *where, const char *a, const char *b)
{
	return fail(p, "%s: both %s and %s are set; keep one", where, a, b);
}

/* kubectl's rule: skipping verification and naming a CA contradict each other. */
static int insecure_with_ca(struct kcp *p, const char *where, const struct kc_kubeconfig *kc)
{
	if (!kc->insecure || !(kc->ca_file || kc->ca.data))
		return 0;
	return fail(p,
		    "%s: specifying a root certificates file with the insecure flag is not "
		    "allowed (insecure-skip-tls-verify with %s)",
		    where, kc->ca_file ? "certificate-authority" : "certificate-authority-data");
}

/* A bearer token is a password: never sent in clear. */
static int token_over_http(struct kcp *p, const char *where, const struct kc_kubeconfig *kc)
{
	if (!(kc->token || kc->token_file) || strncmp(kc->server, "http://", 7))
		return 0;
	return fail(p, "%s.%s: not sent over plain http (server \"%.128s\"); use https://", where,
		    kc->token ? "token" : "tokenFile", kc->server);
}

int kc_kubeconfig_parse(const char *text, size_t len, const char *name, const char *context,
			struct kc_kubeconfig *out, char *why, size_t why_len)
{
	memset(out, 0, sizeof(*out));
	yaml_parser_t parser;
	yaml_document_t doc;
	struct kcp p = {.doc = &doc, .name = name, .why = why, .why_len = why_len};
	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(why, why_len, "kubeconfig %s: not valid YAML: %s at line %zu column %zu",
			 name, parser.problem ? parser.problem : "error",
			 parser.problem_mark.line + 1, parser.problem_mark.column + 1);
		yaml_parser_delete(&parser);
		kc_one_line(why);
		return -EINVAL;
	}
	yaml_parser_delete(&parser);

	int r;
	char where[160];
	yaml_node_t *root = yaml_document_get_root_node(&doc), *ctx, *cl, *us = NULL;
	if (!root || root->type != YAML_MAPPING_NODE) {
		r = fail(&p, "empty or not a mapping");
		goto out;
	}
	if (context && *context) {
		out->context = strdup(context);
		if (!out->context) {
			r = -ENOMEM;
			goto out;
		}
	} else {
		if ((r = str(&p, root, "current-context", "", &out->context)) < 0)
			goto out;
		if (!out->context) {
			r = fail(&p, "current-context: not set (name a context to use)");
			goto out;
		}
	}
	if ((r = find_named(&p, root, "contexts", "context", out->context, &ctx)) < 0)
		goto out;
	snprintf(where, sizeof(where), "contexts[%.64s].context", out->context);
	if ((r = str(&p, ctx, "cluster", where, &out->cluster)) < 0 ||
	    (r = str(&p, ctx, "user", where, &out->user)) < 0 ||
	    (r = str(&p, ctx, "namespace", where, &out->ns)) < 0)
		goto out;
	if (!out->cluster) {
		r = fail(&p, "%s.cluster: missing", where);
		goto out;
	}

	if ((r = find_named(&p, root, "clusters", "cluster", out->cluster, &cl)) < 0)
		goto out;
	snprintf(where, sizeof(where), "clusters[%.64s].cluster", out->cluster);
	if ((r = str(&p, cl, "server", where, &out->server)) < 0 ||
	    (r = str(&p, cl, "certificate-authority", where, &out->ca_file)) < 0 ||
	    (r = data(&p, cl, "certificate-authority-data", where, &out->ca)) < 0 ||
	    (r = boolean(&p, cl, "insecure-skip-tls-verify", where, &out->insecure)) < 0 ||
	    (r = str(&p, cl, "tls-server-name", where, &out->tls_server_name)) < 0)
		goto out;
	if (!out->server) {
		r = fail(&p, "%s.server: missing", where);
		goto out;
	}
	if (strncmp(out->server, "https://", 8) && strncmp(out->server, "http://", 7)) {
		r = fail(&p, "%s.server \"%.128s\": must start with https:// or http://", where,
			 out->server);
		goto out;
	}
	if (out->ca_file && out->ca.data) {
		r = both_given(&p, where, "certificate-authority", "certificate-authority-data");
		goto out;
	}
	if ((r = insecure_with_ca(&p, where, out)) < 0)
		goto out;

	if (out->user) {
		if ((r = find_named(&p, root, "users", "user", out->user, &us)) < 0)
			goto out;
		snprintf(where, sizeof(where), "users[%.64s].user", out->user);
		if ((r = str(&p, us, "client-certificate", where, &out->cert_file)) < 0 ||
		    (r = data(&p, us, "client-certificate-data", where, &out->cert)) < 0 ||
		    (r = str(&p, us, "client-key", where, &out->key_file)) < 0 ||
		    (r = data(&p, us, "client-key-data", where, &out->key)) < 0 ||
		    (r = str(&p, us, "token", where, &out->token)) < 0 ||
		    (r = str(&p, us, "tokenFile", where, &out->token_file)) < 0)
			goto out;
		static const char *const unsupported[] = {"exec", "auth-provider", "username",
							  "password"};
		for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++) {
			if (!is_null(get(&p, us, unsupported[i]))) {
				r = fail(
				    &p,
				    "%s.%s: not supported (use a client certificate or a token)",
				    where, unsupported[i]);
				goto out;
			}
		}
		if (out->cert_file && out->cert.data) {
			r = both_given(&p, where, "client-certificate", "client-certificate-data");
			goto out;
		}
		if (out->key_file && out->key.data) {
			r = both_given(&p, where, "client-key", "client-key-data");
			goto out;
		}
		bool has_cert = out->cert_file || out->cert.data;
		bool has_key = out->key_file || out->key.data;
		if (has_cert != has_key) {
			r = fail(&p, "%s.%s: missing (a client certificate needs its key)", where,
				 has_cert ? "client-key" : "client-certificate");
			goto out;
		}
		if ((r = token_over_http(&p, where, out)) < 0)
			goto out;
	}
	r = 0;
out:
	yaml_document_delete(&doc);
	if (r < 0) {
		kc_kubeconfig_free(out);
		kc_one_line(why);
	}
	return r;
}

void kc_kubeconfig_free(struct kc_kubeconfig *kc)
{
	free(kc->context);
	free(kc->cluster);
	free(kc->user);
	free(kc->server);
	free(kc->tls_server_name);
	free(kc->ca_file);
	free(kc->cert_file);
	free(kc->key_file);
	free(kc->token_file);
	free(kc->ca.data);
	free(kc->cert.data);
	free(kc->key.data);
	free(kc->token);
	free(kc->ns);
	memset(kc, 0, sizeof(*kc));
}
