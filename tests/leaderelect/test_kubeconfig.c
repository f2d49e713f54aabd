/*
 * test_kubeconfig.c — kubeconfig and in-cluster configuration: inline data, file paths
 * (relative to the kubeconfig), token files, context override, and one clear line for every
 * missing or bad field.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kc_base64.h"
#include "kc_config.h"

#define CA_PEM	 "-----BEGIN CERTIFICATE-----\nQ0E=\n-----END CERTIFICATE-----\n"
#define CERT_PEM "-----BEGIN CERTIFICATE-----\nQ0VSVA==\n-----END CERTIFICATE-----\n"
#define KEY_PEM	 "-----BEGIN EC PRIVATE KEY-----\nS0VZ\n-----END EC PRIVATE KEY-----\n"

static char dir[64];

static void make_dir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/vipd-kubeconfig-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void remove_dir(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(kubeconfig, .init = make_dir, .fini = remove_dir);

static void write_file(const char *name, const char *text)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f, "%s", path);
	fputs(text, f);
	fclose(f);
}

static char *b64(const char *s)
{
	return kc_base64_encode(s, strlen(s));
}

/* A kubeadm-style admin.conf with inline data. */
static char *admin_conf(void)
{
	char *ca = b64(CA_PEM), *cert = b64(CERT_PEM), *key = b64(KEY_PEM), *out;
	cr_assert_gt(asprintf(&out,
			      "apiVersion: v1\n"
			      "clusters:\n"
			      "- cluster:\n"
			      "    certificate-authority-data: %s\n"
			      "    server: https://192.0.2.10:8443/\n"
			      "  name: kubernetes\n"
			      "contexts:\n"
			      "- context:\n"
			      "    cluster: kubernetes\n"
			      "    user: kubernetes-admin\n"
			      "  name: kubernetes-admin@kubernetes\n"
			      "current-context: kubernetes-admin@kubernetes\n"
			      "kind: Config\n"
			      "preferences: {}\n"
			      "users:\n"
			      "- name: kubernetes-admin\n"
			      "  user:\n"
			      "    client-certificate-data: %s\n"
			      "    client-key-data: %s\n",
			      ca, cert, key),
		     0);
	free(ca);
	free(cert);
	free(key);
	return out;
}

Test(kubeconfig, inline_data)
{
	char *text = admin_conf();
	write_file("admin.conf", text);
	free(text);
	char path[256], why[256] = "";
	snprintf(path, sizeof(path), "%s/admin.conf", dir);
	struct kc_config cfg;
	cr_assert_eq(kc_config_from_kubeconfig(path, NULL, &cfg, why, sizeof(why)), 0, "%s", why);
	cr_assert_str_eq(cfg.server, "https://192.0.2.10:8443", "trailing slash trimmed");
	cr_assert_str_eq((char *)cfg.ca.data, CA_PEM);
	cr_assert_str_eq((char *)cfg.cert.data, CERT_PEM);
	cr_assert_str_eq((char *)cfg.key.data, KEY_PEM);
	cr_assert_null(cfg.token);
	cr_assert_not(cfg.insecure);
	kc_config_free(&cfg);
}

Test(kubeconfig, relative_paths_token_file_and_context_override)
{
	write_file("ca.crt", CA_PEM);
	char sub[128];
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	cr_assert_eq(mkdir(sub, 0700), 0);
	write_file("sub/token", "abc.def\n");
	write_file(
	    "config",
	    "clusters:\n"
	    "- name: one\n"
	    "  cluster: {server: 'https://[2001:db8::1]:6443', certificate-authority: ca.crt}\n"
	    "- name: two\n"
	    "  cluster:\n"
	    "    server: https://127.0.0.1:8443\n"
	    "    insecure-skip-tls-verify: true\n"
	    "contexts:\n"
	    "- {name: first, context: {cluster: one, user: u1}}\n"
	    "- {name: second, context: {cluster: two, user: u2, namespace: kube-system}}\n"
	    "current-context: first\n"
	    "users:\n"
	    "- {name: u1, user: {tokenFile: sub/token}}\n"
	    "- {name: u2, user: {token: s3cr3t}}\n");
	char path[256], why[256] = "";
	snprintf(path, sizeof(path), "%s/config", dir);
	struct kc_config cfg;
	cr_assert_eq(kc_config_from_kubeconfig(path, NULL, &cfg, why, sizeof(why)), 0, "%s", why);
	cr_assert_str_eq(cfg.server, "https://[2001:db8::1]:6443");
	cr_assert_str_eq((char *)cfg.ca.data, CA_PEM);
	cr_assert_str_eq(cfg.token, "abc.def", "token file read and trimmed");
	cr_assert_not_null(strstr(cfg.token_file, "/sub/token"));
	kc_config_free(&cfg);

	cr_assert_eq(kc_config_from_kubeconfig(path, "second", &cfg, why, sizeof(why)), 0, "%s",
		     why);
	cr_assert_str_eq(cfg.server, "https://127.0.0.1:8443");
	cr_assert(cfg.insecure);
	cr_assert_str_eq(cfg.token, "s3cr3t");
	cr_assert_null(cfg.token_file);
	kc_config_free(&cfg);
}

struct bad_case {
	const char *yaml;
	const char *context;
	const char *expect; /* substring of the one-line error */
};

Test(kubeconfig, bad_fields_are_named)
{
	static const struct bad_case cases[] = {
	    {"", NULL, "empty or not a mapping"},
	    {"- a\n- b\n", NULL, "empty or not a mapping"},
	    {"a: [\n", NULL, "not valid YAML"},
	    {"contexts: []\n", NULL, "current-context: not set"},
	    {"current-context: x\n", NULL, "contexts: missing (looking for \"x\")"},
	    {"current-context: x\ncontexts: {a: b}\n", NULL, "contexts: must be a list"},
	    {"current-context: x\ncontexts:\n- {name: y, context: {cluster: c}}\n", NULL,
	     "contexts: no entry named \"x\""},
	    {"current-context: x\ncontexts:\n- {name: x, context: {user: u}}\n", NULL,
	     "contexts[x].context.cluster: missing"},
	    {"current-context: x\ncontexts:\n- {name: x, context: {cluster: c}}\n"
	     "clusters:\n- {name: c, cluster: {}}\n",
	     NULL, "clusters[c].cluster.server: missing"},
	    {"current-context: x\ncontexts:\n- {name: x, context: {cluster: c}}\n"
	     "clusters:\n- {name: c, cluster: {server: ftp://h}}\n",
	     NULL, "clusters[c].cluster.server \"ftp://h\": must start with https://"},
	    {"current-context: x\ncontexts:\n- {name: x, context: {cluster: c}}\n"
	     "clusters:\n- {name: c, cluster: {server: 'https://h', certificate-authority-data: "
	     "'!!notbase64'}}\n",
	     NULL, "clusters[c].cluster.certificate-authority-data: not valid base64"},
	    {"current-context: x\ncontexts:\n- {name: x, context: {cluster: c}}\n"
	     "clusters:\n- {name: c, cluster: {server: 'https://h', insecure-skip-tls-verify: "
	     "maybe}}\n",
	     NULL, "clusters[c].cluster.insecure-skip-tls-verify: must be true or false"},
	    {"current-context: x\ncontexts:\n- {name: x, context: {cluster: c, user: u}}\n"
	     "clusters:\n- {name: c, cluster: {server: 'https://h'}}\nusers: []\n",
	     NULL, "users: no entry named \"u\""},
	    {"current-context: x\ncontexts:\n- {name: x, context: {cluster: c, user: u}}\n"
	     "clusters:\n- {name: c, cluster: {server: 'https://h'}}\n"
	     "users:\n- {name: u, user: {client-certificate: a.crt}}\n",
	     NULL, "users[u].user.client-key: missing"},
	    {"current-context: x\ncontexts:\n- {name: x, context: {cluster: c, user: u}}\n"
	     "clusters:\n- {name: c, cluster: {server: 'https://h'}}\n"
	     "users:\n- {name: u, user: {exec: {command: aws}}}\n",
	     NULL, "users[u].user.exec: not supported"},
	    {"current-context: x\ncontexts:\n- {name: x, context: {cluster: c, user: u}}\n"
	     "clusters:\n- {name: c, cluster: {server: 'https://h'}}\n"
	     "users:\n- {name: u, user: {token: [1, 2]}}\n",
	     NULL, "users[u].user.token: must be a string"},
	    {"current-context: x\ncontexts:\n- {name: x, context: {cluster: c}}\n"
	     "clusters:\n- {name: c, cluster: {server: 'https://h'}}\n",
	     "other", "contexts: no entry named \"other\""},
	    {"current-context: x\ncontexts:\n- {name: x, context: {cluster: c, user: u}}\n"
	     "clusters:\n- {name: c, cluster: {server: 'https://h'}}\n"
	     "users:\n- {name: u, user: {client-key: k, client-key-data: "
	     "'S0VZ', client-certificate: c}}\n",
	     NULL, "both client-key and client-key-data are set"},
	    /* kubectl: "specifying a root certificates file with the insecure flag is not
	     * allowed". */
	    {"current-context: x\ncontexts:\n- {name: x, context: {cluster: c}}\n"
	     "clusters:\n- {name: c, cluster: {server: 'https://h', insecure-skip-tls-verify: "
	     "true, "
	     "certificate-authority-data: 'Q0E='}}\n",
	     NULL,
	     "clusters[c].cluster: specifying a root certificates file with the insecure flag is "
	     "not allowed"},
	    {"current-context: x\ncontexts:\n- {name: x, context: {cluster: c}}\n"
	     "clusters:\n- {name: c, cluster: {server: 'https://h', insecure-skip-tls-verify: "
	     "true, "
	     "certificate-authority: ca.crt}}\n",
	     NULL,
	     "clusters[c].cluster: specifying a root certificates file with the insecure flag is "
	     "not allowed"},
	    /* A bearer token is never sent in clear. */
	    {"current-context: x\ncontexts:\n- {name: x, context: {cluster: c, user: u}}\n"
	     "clusters:\n- {name: c, cluster: {server: 'http://h:8080'}}\n"
	     "users:\n- {name: u, user: {token: t}}\n",
	     NULL, "users[u].user.token: not sent over plain http (server \"http://h:8080\")"},
	    {"current-context: x\ncontexts:\n- {name: x, context: {cluster: c, user: u}}\n"
	     "clusters:\n- {name: c, cluster: {server: 'http://h:8080'}}\n"
	     "users:\n- {name: u, user: {tokenFile: /t}}\n",
	     NULL, "users[u].user.tokenFile: not sent over plain http (server \"http://h:8080\")"},
	    /* Found by fuzz_kubeconfig: a newline inside an echoed value broke the one line. */
	    {"current-context: x\ncontexts:\n- {name: x, context: {cluster: c}}\n"
	     "clusters:\n- {name: c, cluster: {server: 'ittps://h\n\n\nx'}}\n",
	     NULL, "server \"ittps://h??x\": must start with https://"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct kc_kubeconfig kc;
		char why[256] = "";
		int r = kc_kubeconfig_parse(cases[i].yaml, strlen(cases[i].yaml), "test.conf",
					    cases[i].context, &kc, why, sizeof(why));
		cr_assert_eq(r, -EINVAL, "case %zu accepted", i);
		cr_assert_not_null(strstr(why, cases[i].expect), "case %zu: \"%s\" lacks \"%s\"", i,
				   why, cases[i].expect);
		cr_assert_not_null(strstr(why, "kubeconfig test.conf: "), "case %zu names the file",
				   i);
		cr_assert_null(strchr(why, '\n'), "one line");
	}
}

Test(kubeconfig, missing_files_are_named)
{
	char path[256], why[512] = "";
	struct kc_config cfg;
	snprintf(path, sizeof(path), "%s/nope.conf", dir);
	cr_assert_eq(kc_config_from_kubeconfig(path, NULL, &cfg, why, sizeof(why)), -ENOENT);
	cr_assert_not_null(strstr(why, "nope.conf: No such file"), "%s", why);

	write_file("c1",
		   "current-context: x\ncontexts:\n- {name: x, context: {cluster: c, user: u}}\n"
		   "clusters:\n- {name: c, cluster: {server: 'https://h', certificate-authority: "
		   "missing.crt}}\n"
		   "users:\n- {name: u, user: {token: t}}\n");
	snprintf(path, sizeof(path), "%s/c1", dir);
	cr_assert_lt(kc_config_from_kubeconfig(path, NULL, &cfg, why, sizeof(why)), 0);
	cr_assert_not_null(strstr(why, "clusters[c].cluster.certificate-authority"), "%s", why);
	cr_assert_not_null(strstr(why, "missing.crt"), "%s", why);

	write_file("notpem.crt", "hello\n");
	write_file("c2",
		   "current-context: x\ncontexts:\n- {name: x, context: {cluster: c}}\n"
		   "clusters:\n- {name: c, cluster: {server: 'https://h', certificate-authority: "
		   "notpem.crt}}\n");
	snprintf(path, sizeof(path), "%s/c2", dir);
	cr_assert_eq(kc_config_from_kubeconfig(path, NULL, &cfg, why, sizeof(why)), -EINVAL);
	cr_assert_not_null(strstr(why, "not a PEM file"), "%s", why);

	write_file("c3",
		   "current-context: x\ncontexts:\n- {name: x, context: {cluster: c, user: u}}\n"
		   "clusters:\n- {name: c, cluster: {server: 'https://h'}}\n"
		   "users:\n- {name: u, user: {tokenFile: /nonexistent/vipd/token}}\n");
	snprintf(path, sizeof(path), "%s/c3", dir);
	cr_assert_lt(kc_config_from_kubeconfig(path, NULL, &cfg, why, sizeof(why)), 0);
	cr_assert_not_null(strstr(why, "users[u].user.tokenFile \"/nonexistent/vipd/token\""), "%s",
			   why);
}

Test(kubeconfig, in_cluster)
{
	char sa[128], why[256] = "";
	snprintf(sa, sizeof(sa), "%s/sa", dir);
	mkdir(sa, 0700);
	write_file("sa/ca.crt", CA_PEM);
	write_file("sa/token", "tok\n");
	struct kc_config cfg;
	cr_assert_eq(kc_config_in_cluster(sa, "10.96.0.1", "443", &cfg, why, sizeof(why)), 0, "%s",
		     why);
	cr_assert_str_eq(cfg.server, "https://10.96.0.1:443");
	cr_assert_str_eq(cfg.token, "tok");
	kc_config_free(&cfg);
	cr_assert_eq(kc_config_in_cluster(sa, "fd00::1", "443", &cfg, why, sizeof(why)), 0);
	cr_assert_str_eq(cfg.server, "https://[fd00::1]:443");
	kc_config_free(&cfg);
	cr_assert_eq(kc_config_in_cluster(sa, NULL, "443", &cfg, why, sizeof(why)), -EINVAL);
	cr_assert_not_null(strstr(why, "KUBERNETES_SERVICE_HOST"));
	cr_assert_eq(kc_config_in_cluster(sa, "h", "99999", &cfg, why, sizeof(why)), -EINVAL);
	write_file("sa/token", " \n");
	cr_assert_eq(kc_config_in_cluster(sa, "h", "443", &cfg, why, sizeof(why)), -EINVAL,
		     "an empty token is refused");
	cr_assert_not_null(strstr(why, "in-cluster: "), "%s", why);
	cr_assert_not_null(strstr(why, "/sa/token\": empty"), "%s", why);
	cr_assert_lt(kc_config_in_cluster("/nonexistent", "h", "443", &cfg, why, sizeof(why)), 0);
	cr_assert_not_null(strstr(why, "/nonexistent/ca.crt"), "%s", why);
}

Test(kubeconfig, server_override)
{
	struct kc_config cfg = {.server = strdup("https://10.0.0.1:6443")};
	char why[256];
	cr_assert_eq(kc_config_override_server(&cfg, "kubernetes:6443", why, sizeof(why)), 0);
	cr_assert_str_eq(cfg.server, "https://kubernetes:6443");
	cr_assert_eq(kc_config_override_server(&cfg, "[::1]:8443", why, sizeof(why)), 0);
	cr_assert_str_eq(cfg.server, "https://[::1]:8443");
	cr_assert_eq(kc_config_override_server(&cfg, "https://h:1/", why, sizeof(why)), 0);
	cr_assert_str_eq(cfg.server, "https://h:1");
	cr_assert_eq(kc_config_override_server(&cfg, "kubernetes", why, sizeof(why)), -EINVAL);
	cr_assert_not_null(strstr(why, "kubernetes_addr \"kubernetes\""));
	cr_assert_eq(kc_config_override_server(&cfg, "h:0", why, sizeof(why)), -EINVAL);
	cr_assert_str_eq(cfg.server, "https://h:1", "unchanged after an error");
	cr_assert_eq(kc_config_override_server(&cfg, "http://h:8080", why, sizeof(why)), 0,
		     "plain http without a token");
	cfg.token = strdup("t");
	cr_assert_eq(kc_config_override_server(&cfg, "http://h:8081", why, sizeof(why)), -EINVAL,
		     "plain http with a bearer token");
	cr_assert_not_null(strstr(why, "kubernetes_addr \"http://h:8081\""), "%s", why);
	cr_assert_not_null(strstr(why, "plain http"), "%s", why);
	cr_assert_str_eq(cfg.server, "http://h:8080", "unchanged after an error");
	kc_config_free(&cfg);
}

Test(base64, round_trip_and_errors)
{
	const char *samples[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
	const char *enc[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
	for (size_t i = 0; i < 7; i++) {
		char *e = kc_base64_encode(samples[i], strlen(samples[i]));
		cr_assert_str_eq(e, enc[i]);
		free(e);
		unsigned char *d;
		size_t n;
		cr_assert_eq(kc_base64_decode(enc[i], strlen(enc[i]), &d, &n), 0);
		cr_assert_eq(n, strlen(samples[i]));
		cr_assert_eq(memcmp(d, samples[i], n), 0);
		free(d);
	}
	unsigned char *d;
	size_t n;
	cr_assert_eq(kc_base64_decode("Zm9v\nYmFy\n", 10, &d, &n), 0, "line-wrapped");
	cr_assert_eq(n, 6);
	free(d);
	cr_assert_eq(kc_base64_decode("Zm9vYg", 6, &d, &n), 0, "unpadded");
	free(d);
	cr_assert_eq(kc_base64_decode("Z", 1, &d, &n), -EINVAL);
	cr_assert_eq(kc_base64_decode("Zm9v!", 5, &d, &n), -EINVAL);
	cr_assert_eq(kc_base64_decode("Zg==Zg==", 8, &d, &n), -EINVAL);
	cr_assert_eq(kc_base64_decode("Zg===", 5, &d, &n), -EINVAL);
}
