/*
 * manifest.c — the static pod that runs `vipd manager`, written in the field order and with the
 * environment variables `kube-vip manifest pod` uses, so the two manifests diff cleanly and an
 * existing kube-vip configuration carries over. Everything is validated before the first byte
 * is written: a bad option gives one line naming it and no half-written manifest.
 */
#include "manifest.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "error.h"
#include "inet_prefix.h"
#include "le_config.h"
#include "mgr_config.h"

/* Where the kubeconfigs are mounted inside the pod (kube-vip's mount path, and ours). */
#define MOUNT_ADMIN	  "/etc/kubernetes/admin.conf"
#define MOUNT_SUPER_ADMIN "/etc/kubernetes/super-admin.conf"
#define IFNAME_MAX	  15 /* IFNAMSIZ - 1 */
/* The etcd certificates' volume: kubeadm's name for the same directory in etcd.yaml. */
#define ETCD_VOLUME  "etcd-certs"
#define ENDPOINT_MAX sizeof(((struct mgr_config *)0)->etcd_endpoints[0])

void manifest_opts_defaults(struct manifest_opts *o)
{
	*o = (struct manifest_opts){
	    .port = 6443,
	    .lb_port = 6443,
	    .lb_fwd_method = "local",
	    .k8s_config_path = "/etc/kubernetes/admin.conf",
	    .image = MANIFEST_DEFAULT_IMAGE,
	    .lease_name = "plndr-cp-lock",
	    .lease_duration_s = 15,
	    .renew_deadline_s = 10,
	    .retry_period_s = 2,
	    .prometheus_server = ":2112",
	    .namespace_ = "kube-system",
	};
}

/* Values end up inside YAML double quotes: printable ASCII only, so no byte can end the
 * scalar, start a new line or need a YAML escape other than \" and \\. The value itself is
 * not echoed (it may hold the very control character being refused). */
static int check_text(const char *opt, const char *s, char *why, size_t why_len)
{
	for (size_t i = 0; s && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			return why_set(why, why_len, EINVAL,
				       "%s: control character 0x%02x at byte %zu", opt, c, i);
		if (c >= 0x80)
			return why_set(why, why_len, EINVAL,
				       "%s: non-ASCII byte 0x%02x at byte %zu", opt, c, i);
	}
	return 0;
}

static int check_texts(const struct manifest_opts *o, char *why, size_t why_len)
{
	const struct {
		const char *opt, *value;
	} t[] = {
	    {"--interface", o->interface},
	    {"--address", o->address},
	    {"--lbForwardingMethod", o->lb_fwd_method},
	    {"--k8sConfigPath", o->k8s_config_path},
	    {"--superAdminConfigPath", o->super_admin_path},
	    {"--kubernetesAddr", o->kubernetes_addr},
	    {"--image", o->image},
	    {"--leaseName", o->lease_name},
	    {"--prometheusHTTPServer", o->prometheus_server},
	    {"--namespace", o->namespace_},
	    {"--etcdEndpoints", o->etcd_endpoints},
	    {"--etcdCACert", o->etcd_ca},
	    {"--etcdCert", o->etcd_cert},
	    {"--etcdKey", o->etcd_key},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc = check_text(t[i].opt, t[i].value, why, why_len);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Linux's dev_valid_name(): 1..15 bytes, no '/', ':' or whitespace, not "." or "..". */
static int check_interface(const struct manifest_opts *o, char *why, size_t why_len)
{
	const char *s = o->interface;
	if (!s || !*s)
		return o->arp ? why_set(why, why_len, EINVAL, "--interface is required with --arp")
			      : 0;
	if (strlen(s) > IFNAME_MAX || strpbrk(s, "/: ") || !strcmp(s, ".") || !strcmp(s, ".."))
		return why_set(why, why_len, EINVAL,
			       "--interface \"%s\": not an interface name (1 to %d characters, no "
			       "'/', ':' or spaces)",
			       s, IFNAME_MAX);
	return 0;
}

static int check_address(const struct manifest_opts *o, struct inet_prefix *vip, char *why,
			 size_t why_len)
{
	char reason[160];
	if (!o->address || !*o->address)
		return why_set(why, why_len, EINVAL, "--address is required");
	/* inet_prefix's reasons start `address "TEXT": `, so this reads `--address "TEXT": `. */
	if (inet_prefix_parse(o->address, vip, reason, sizeof(reason)) < 0)
		return why_set(why, why_len, EINVAL, "--%s", reason);
	return 0;
}

static int check_timings(const struct manifest_opts *o, char *why, size_t why_len)
{
	const struct le_timing t = {(int64_t)o->lease_duration_s * 1000,
				    (int64_t)o->renew_deadline_s * 1000,
				    (int64_t)o->retry_period_s * 1000};
	const int64_t margin_min = MGR_KERNEL_LIFETIME_GRANULARITY_MS + MGR_LOOP_BLOCK_MAX_MS;
	char reason[200];
	if (le_timing_validate(&t, reason, sizeof(reason)) < 0)
		return why_set(why, why_len, EINVAL,
			       "--leaseDuration %u --leaseRenewDuration %u --leaseRetry %u: %s",
			       o->lease_duration_s, o->renew_deadline_s, o->retry_period_s, reason);
	/* The same floor `vipd manager` enforces: a manifest it would refuse is no manifest. */
	if (t.lease_ms - t.renew_ms < margin_min)
		return why_set(
		    why, why_len, EINVAL,
		    "--leaseDuration %u --leaseRenewDuration %u: leaseDuration must exceed "
		    "renewDeadline by at least %llds (vipd's margin for the kernel and its "
		    "loop)",
		    o->lease_duration_s, o->renew_deadline_s, (long long)(margin_min / 1000));
	return 0;
}

static int check_fwd_method(const char *m, char *why, size_t why_len)
{
	static const char *const methods[] = {"local", "masquerade", "tunnel", "directroute"};
	for (size_t i = 0; m && i < sizeof(methods) / sizeof(methods[0]); i++)
		if (!strcmp(m, methods[i]))
			return 0;
	return why_set(
	    why, why_len, EINVAL,
	    "--lbForwardingMethod \"%s\": must be local, masquerade, tunnel or directroute",
	    m ? m : "");
}

static int check_path(const char *opt, const char *path, char *why, size_t why_len)
{
	if (!path || path[0] != '/')
		return why_set(why, why_len, EINVAL,
			       "%s \"%s\": must be an absolute path on the node", opt,
			       path ? path : "");
	return 0;
}

/* The namespace is checked with a name that is surely valid, so a refusal is the namespace's;
 * then the lease ("name" or "namespace/name", as vip_leasename allows). */
static int check_names(const struct manifest_opts *o, char *why, size_t why_len)
{
	struct le_config cfg;
	char reason[160];
	if (!o->namespace_ || le_lock_parse("x", o->namespace_, &cfg, reason, sizeof(reason)) < 0)
		return why_set(why, why_len, EINVAL,
			       "--namespace \"%s\": not a valid Kubernetes namespace",
			       o->namespace_ ? o->namespace_ : "");
	if (!o->lease_name ||
	    le_lock_parse(o->lease_name, o->namespace_, &cfg, reason, sizeof(reason)) < 0)
		return why_set(why, why_len, EINVAL,
			       "--leaseName \"%s\": not a Lease name (NAME or NAMESPACE/NAME, "
			       "lowercase DNS names)",
			       o->lease_name ? o->lease_name : "");
	return 0;
}

static int check_image(const char *image, char *why, size_t why_len)
{
	if (!image || !*image || strchr(image, ' '))
		return why_set(why, why_len, EINVAL,
			       "--image \"%s\": must be a non-empty image reference",
			       image ? image : "");
	return 0;
}

static int check_ports(const struct manifest_opts *o, char *why, size_t why_len)
{
	if (o->port == 0)
		return why_set(why, why_len, EINVAL,
			       "--port \"0\": must be a whole number from 1 to 65535");
	if (o->lb_port == 0)
		return why_set(why, why_len, EINVAL,
			       "--lbPort \"0\": must be a whole number from 1 to 65535");
	return 0;
}

static int check_paths(const struct manifest_opts *o, char *why, size_t why_len)
{
	int rc = check_path("--k8sConfigPath", o->k8s_config_path, why, why_len);
	if (rc == 0 && o->super_admin_path)
		rc = check_path("--superAdminConfigPath", o->super_admin_path, why, why_len);
	return rc;
}

/* The length of the directory part of an absolute path ("/a/b" → 2, "/b" → 0). */
static size_t dir_len(const char *path)
{
	return (size_t)(strrchr(path, '/') - path);
}

/* One --etcdEndpoints entry as `vipd manager` reads it: http:// or https:// and a host. */
static bool endpoint_ok(const char *s, size_t n, bool *tls)
{
	size_t scheme = !strncmp(s, "http://", 7) ? 7 : !strncmp(s, "https://", 8) ? 8 : 0;
	*tls |= scheme == 8;
	return scheme && n > scheme && n < ENDPOINT_MAX && !memchr(s, ' ', n);
}

static int check_endpoints(const char *v, bool *tls, char *why, size_t why_len)
{
	size_t count = 0;
	for (const char *s = v;; s++) {
		size_t n = strcspn(s, ",");
		if (++count > MGR_MAX_ENDPOINTS || !endpoint_ok(s, n, tls))
			return why_set(why, why_len, EINVAL,
				       "--etcdEndpoints \"%s\": expected 1 to %d comma-separated "
				       "http:// or https:// URLs",
				       v, MGR_MAX_ENDPOINTS);
		s += n;
		if (!*s)
			return 0;
	}
}

/* All three files or none, absolute, in one directory other than / (the one mounted). */
static int check_etcd_files(const struct manifest_opts *o, char *why, size_t why_len)
{
	const struct {
		const char *opt, *value;
	} f[] = {
	    {"--etcdCACert", o->etcd_ca}, {"--etcdCert", o->etcd_cert}, {"--etcdKey", o->etcd_key}};
	for (size_t i = 0; i < 3; i++) {
		if (!f[i].value)
			return why_set(why, why_len, EINVAL,
				       "%s is missing: etcd TLS needs all of --etcdCACert, "
				       "--etcdCert and --etcdKey, or none",
				       f[i].opt);
		int rc = check_path(f[i].opt, f[i].value, why, why_len);
		if (rc < 0)
			return rc;
		size_t n = dir_len(f[i].value);
		if (n == 0)
			return why_set(why, why_len, EINVAL,
				       "%s \"%s\": must be in a directory below / (the directory "
				       "is mounted into the pod)",
				       f[i].opt, f[i].value);
		if (n != dir_len(o->etcd_ca) || strncmp(f[i].value, o->etcd_ca, n))
			return why_set(why, why_len, EINVAL,
				       "%s \"%s\": must be in the directory of --etcdCACert "
				       "(%.*s), the one mounted into the pod",
				       f[i].opt, f[i].value, (int)dir_len(o->etcd_ca), o->etcd_ca);
	}
	return 0;
}

static int check_etcd(const struct manifest_opts *o, char *why, size_t why_len)
{
	const char *file = o->etcd_ca ? "--etcdCACert" : o->etcd_cert ? "--etcdCert" : "--etcdKey";
	const char *path = o->etcd_ca ? o->etcd_ca : o->etcd_cert ? o->etcd_cert : o->etcd_key;
	bool tls = false;
	if (!o->etcd_endpoints)
		return path ? why_set(why, why_len, EINVAL, "%s \"%s\": needs --etcdEndpoints",
				      file, path)
			    : 0;
	int rc = check_endpoints(o->etcd_endpoints, &tls, why, why_len);
	if (rc == 0 && tls && !path)
		return why_set(why, why_len, EINVAL,
			       "--etcdEndpoints \"%s\": an https endpoint needs --etcdCACert, "
			       "--etcdCert and --etcdKey",
			       o->etcd_endpoints);
	return rc == 0 && path ? check_etcd_files(o, why, why_len) : rc;
}

/* Every check, in the order a user fixes things; the first refusal wins. */
static int validate(const struct manifest_opts *o, struct inet_prefix *vip, char *why,
		    size_t why_len)
{
	int rc = check_texts(o, why, why_len);
	if (rc == 0)
		rc = check_address(o, vip, why, why_len);
	if (rc == 0)
		rc = check_interface(o, why, why_len);
	if (rc == 0)
		rc = check_ports(o, why, why_len);
	if (rc == 0)
		rc = check_timings(o, why, why_len);
	if (rc == 0)
		rc = check_fwd_method(o->lb_fwd_method, why, why_len);
	if (rc == 0)
		rc = check_paths(o, why, why_len);
	if (rc == 0)
		rc = check_names(o, why, why_len);
	if (rc == 0)
		rc = check_image(o->image, why, why_len);
	if (rc == 0)
		rc = check_etcd(o, why, why_len);
	return rc;
}

/* A double-quoted YAML scalar of s's first n bytes; check_text() has ruled out everything but
 * \" and \\. */
static void put_quoted_n(FILE *out, const char *s, size_t n)
{
	fputc('"', out);
	for (size_t i = 0; i < n && s[i]; i++) {
		if (s[i] == '"' || s[i] == '\\')
			fputc('\\', out);
		fputc(s[i], out);
	}
	fputc('"', out);
}

static void put_quoted(FILE *out, const char *s)
{
	put_quoted_n(out, s, strlen(s));
}

static void env_str(FILE *out, const char *name, const char *value)
{
	fprintf(out, "    - name: %s\n      value: ", name);
	put_quoted(out, value);
	fputc('\n', out);
}

static void env_uint(FILE *out, const char *name, unsigned value)
{
	fprintf(out, "    - name: %s\n      value: \"%u\"\n", name, value);
}

static void env_bool(FILE *out, const char *name, bool value)
{
	env_str(out, name, value ? "true" : "false");
}

static void write_env_election(const struct manifest_opts *o, FILE *out)
{
	if (o->controlplane) {
		env_bool(out, "cp_enable", true);
		env_str(out, "cp_namespace", o->namespace_);
	}
	if (o->leader_election) {
		env_bool(out, "vip_leaderelection", true);
		env_str(out, "vip_leasename", o->lease_name);
		env_uint(out, "vip_leaseduration", o->lease_duration_s);
		env_uint(out, "vip_renewdeadline", o->renew_deadline_s);
		env_uint(out, "vip_retryperiod", o->retry_period_s);
	}
	if (o->load_balancer) {
		env_bool(out, "lb_enable", true);
		env_uint(out, "lb_port", o->lb_port);
		env_str(out, "lb_fwdmethod", o->lb_fwd_method);
	}
}

/* vipd's etcd backend: `vipd manager` elects through etcd when endpoints are set. */
static void write_env_etcd(const struct manifest_opts *o, FILE *out)
{
	if (!o->etcd_endpoints)
		return;
	env_str(out, "vipd_etcd_endpoints", o->etcd_endpoints);
	if (!o->etcd_ca)
		return;
	env_str(out, "vipd_etcd_cacert", o->etcd_ca);
	env_str(out, "vipd_etcd_cert", o->etcd_cert);
	env_str(out, "vipd_etcd_key", o->etcd_key);
}

/* kube-vip's order (vip_arp, port, vip_nodename, vip_interface, vip_subnet, dns_mode, cp_*,
 * vip_leader*, lb_*, address, prometheus_server), then what vipd adds. */
static void write_env(const struct manifest_opts *o, const struct inet_prefix *vip, FILE *out)
{
	char addr[INET_PREFIX_STRLEN];
	fputs("    env:\n", out);
	env_bool(out, "vip_arp", o->arp);
	env_uint(out, "port", o->port);
	fputs("    - name: vip_nodename\n"
	      "      valueFrom:\n"
	      "        fieldRef:\n"
	      "          fieldPath: spec.nodeName\n",
	      out);
	if (o->interface && *o->interface)
		env_str(out, "vip_interface", o->interface);
	env_uint(out, "vip_subnet", vip->prefixlen);
	env_str(out, "dns_mode", "first");
	write_env_election(o, out);
	env_str(out, "address", inet_prefix_format_addr(vip, addr, sizeof(addr)));
	env_str(out, "prometheus_server", o->prometheus_server ? o->prometheus_server : "");
	env_str(out, "k8s_config_file", MOUNT_ADMIN);
	if (o->super_admin_path)
		env_str(out, "vipd_super_admin_kubeconfig", MOUNT_SUPER_ADMIN);
	if (o->kubernetes_addr)
		env_str(out, "kubernetes_addr", o->kubernetes_addr);
	write_env_etcd(o, out);
}

static void write_container(const struct manifest_opts *o, const struct inet_prefix *vip, FILE *out)
{
	fputs("  containers:\n"
	      "  - args:\n"
	      "    - manager\n"
	      "    command:\n"
	      "    - /vipd\n",
	      out);
	write_env(o, vip, out);
	fputs("    image: ", out);
	put_quoted(out, o->image);
	fputs("\n"
	      "    imagePullPolicy: IfNotPresent\n"
	      "    name: vipd\n"
	      "    securityContext:\n"
	      "      capabilities:\n"
	      "        add:\n"
	      "        - NET_ADMIN\n"
	      "        - NET_RAW\n"
	      "        drop:\n"
	      "        - ALL\n"
	      "    volumeMounts:\n"
	      "    - mountPath: " MOUNT_ADMIN "\n"
	      "      name: kubeconfig\n",
	      out);
	if (o->super_admin_path)
		fputs("    - mountPath: " MOUNT_SUPER_ADMIN "\n"
		      "      name: super-admin-kubeconfig\n",
		      out);
	if (!o->etcd_endpoints || !o->etcd_ca)
		return;
	fputs("    - mountPath: ", out);
	put_quoted_n(out, o->etcd_ca, dir_len(o->etcd_ca));
	fputs("\n      name: " ETCD_VOLUME "\n"
	      "      readOnly: true\n",
	      out);
}

/* super-admin.conf exists only on the `kubeadm init` node: FileOrCreate lets the same manifest
 * start on joining nodes (an empty file there, which vipd treats as absent). */
static void write_volumes(const struct manifest_opts *o, FILE *out)
{
	fputs("  volumes:\n"
	      "  - hostPath:\n"
	      "      path: ",
	      out);
	put_quoted(out, o->k8s_config_path);
	fputs("\n    name: kubeconfig\n", out);
	if (!o->super_admin_path)
		return;
	fputs("  - hostPath:\n"
	      "      path: ",
	      out);
	put_quoted(out, o->super_admin_path);
	fputs("\n      type: FileOrCreate\n"
	      "    name: super-admin-kubeconfig\n",
	      out);
}

/* The etcd certificates' directory, which kubeadm makes before any static pod starts. */
static void write_etcd_volume(const struct manifest_opts *o, FILE *out)
{
	if (!o->etcd_endpoints || !o->etcd_ca)
		return;
	fputs("  - hostPath:\n"
	      "      path: ",
	      out);
	put_quoted_n(out, o->etcd_ca, dir_len(o->etcd_ca));
	fputs("\n      type: Directory\n"
	      "    name: " ETCD_VOLUME "\n",
	      out);
}

int manifest_pod_write(const struct manifest_opts *o, FILE *out, char *why, size_t why_len)
{
	struct inet_prefix vip;
	int rc = validate(o, &vip, why, why_len);
	if (rc < 0)
		return rc;
	fputs("apiVersion: v1\n"
	      "kind: Pod\n"
	      "metadata:\n"
	      "  name: vipd\n"
	      "  namespace: kube-system\n"
	      "spec:\n",
	      out);
	write_container(o, &vip, out);
	fputs("  hostAliases:\n"
	      "  - hostnames:\n"
	      "    - kubernetes\n"
	      "    ip: 127.0.0.1\n"
	      "  hostNetwork: true\n",
	      out);
	write_volumes(o, out);
	write_etcd_volume(o, out);
	if (fflush(out) != 0 || ferror(out))
		return why_set(why, why_len, EINVAL, "writing the manifest: %s", strerror(errno)),
		       -EIO;
	return 0;
}
