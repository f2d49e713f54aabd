/*
 * kubeadm_config.c — kubeadm's configuration files for nodes that are namespaces on one machine:
 * what kind's kubeadm template sets for many kubelets and kube-proxies sharing one kernel and
 * disk, plus what our nodes differ in (cgroupfs on cgroup v1, a cgroup root per node, images
 * imported rather than pulled, no init system). All parameters are validated before anything is
 * written, so a bad one gives one line and no half-made file.
 */
#include "kubeadm_config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/* Only checks of the machine every node shares, which no node can change; whatever a node can
 * get wrong (ports, files, kubelet on PATH, ip_forward in its network namespace) still stops
 * kubeadm. Not listed, on purpose: Swap (only ever warns in v1.34; failSwapOn: false is what
 * lets kubelet run), bridge-nf-call-iptables (no longer checked), Port-10250 (each node has its
 * own network namespace, and its kubelet starts after kubeadm wrote config.yaml). */
const char *const kubeadm_ignored_preflight[] = {
    "SystemVerification",
    "NumCPU",
    "Mem",
    NULL,
};

const char *const kubeadm_ignored_preflight_reason[] = {
    "checks the kernel all nodes share: one that publishes no config (no /proc/config.gz or "
    "/boot/config-*) fails it, and cgroup v1 is in maintenance mode",
    "counts the whole machine's CPUs (kubeadm wants 2) though every node shares them: a lab "
    "puts 3+ nodes on a 2-core machine by design",
    "measures the whole machine's RAM (kubeadm wants 1700 MB) though every node shares it: the "
    "figure says nothing about one node's part",
    NULL,
};

/* Present, non-empty, printable ASCII: then no byte can end a double-quoted YAML scalar but "
 * and \, which are escaped, and the value can be echoed in a one-line message. */
static int check_str(const char *name, const char *s, char *why, size_t why_len)
{
	if (!s)
		return why_set(why, why_len, EINVAL, "%s: missing", name);
	if (!*s)
		return why_set(why, why_len, EINVAL, "%s \"\": empty", name);
	for (size_t i = 0; s[i]; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c >= 0x7f)
			return why_set(why, why_len, EINVAL,
				       "%s: byte 0x%02x at %zu is not printable ASCII", name, c, i);
	}
	return 0;
}

static int check_ip(const char *name, const char *s, char *why, size_t why_len)
{
	unsigned char addr[sizeof(struct in6_addr)];
	int err = check_str(name, s, why, why_len);
	if (err)
		return err;
	if (inet_pton(AF_INET, s, addr) != 1 && inet_pton(AF_INET6, s, addr) != 1)
		return why_set(why, why_len, EINVAL, "%s \"%s\": not an IPv4 or IPv6 address", name,
			       s);
	return 0;
}

/* "address/prefix length", IPv4 or IPv6. */
static bool is_cidr(const char *s)
{
	unsigned char addr[sizeof(struct in6_addr)];
	char host[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	if (!slash || (size_t)(slash - s) >= sizeof(host))
		return false;
	memcpy(host, s, (size_t)(slash - s));
	host[slash - s] = '\0';
	unsigned max = inet_pton(AF_INET, host, addr) == 1    ? 32
		       : inet_pton(AF_INET6, host, addr) == 1 ? 128
							      : 0;
	unsigned bits = 0;
	const char *d = slash + 1;
	for (; *d >= '0' && *d <= '9' && bits <= 128; d++)
		bits = bits * 10 + (unsigned)(*d - '0');
	return max && d > slash + 1 && !*d && bits <= max;
}

static int check_cidr(const char *name, const char *s, char *why, size_t why_len)
{
	int err = check_str(name, s, why, why_len);
	if (err)
		return err;
	if (!is_cidr(s))
		return why_set(why, why_len, EINVAL,
			       "%s \"%s\": not a CIDR (address/prefix length)", name, s);
	return 0;
}

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* RFC 1123 subdomain, as Kubernetes wants node names and kubeadm wants endpoint hosts. */
static bool is_dns_name(const char *s)
{
	size_t label = 0, len = strlen(s);
	if (len > 253)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == '.') {
			if (!label || s[i - 1] == '-')
				return false;
			label = 0;
		} else if (is_lower_alnum(c) || (c == '-' && label)) {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return label && s[len - 1] != '-';
}

static int check_dns_name(const char *name, const char *s, char *why, size_t why_len)
{
	int err = check_str(name, s, why, why_len);
	if (err)
		return err;
	if (!is_dns_name(s))
		return why_set(why, why_len, EINVAL,
			       "%s \"%s\": not a lowercase DNS name (RFC 1123)", name, s);
	return 0;
}

static bool is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
		      (s[i] >= 'A' && s[i] <= 'F')))
			return false;
	return true;
}

/* ^[a-z0-9]{6}\.[a-z0-9]{16}$ */
static int check_token(const char *s, char *why, size_t why_len)
{
	int err = check_str("token", s, why, why_len);
	if (err)
		return err;
	bool ok = strlen(s) == 23 && s[6] == '.';
	for (size_t i = 0; ok && i < 23; i++)
		ok = i == 6 || is_lower_alnum(s[i]);
	if (!ok)
		return why_set(why, why_len, EINVAL,
			       "token \"%s\": not a bootstrap token ([a-z0-9]{6}.[a-z0-9]{16})", s);
	return 0;
}

static int check_certificate_key(const char *s, char *why, size_t why_len)
{
	int err = check_str("certificate_key", s, why, why_len);
	if (err)
		return err;
	if (strlen(s) != 64 || !is_hex(s, 64))
		return why_set(why, why_len, EINVAL, "certificate_key \"%s\": not 64 hex digits",
			       s);
	return 0;
}

static int check_ca_cert_hash(const char *s, char *why, size_t why_len)
{
	int err = check_str("ca_cert_hash", s, why, why_len);
	if (err)
		return err;
	if (strlen(s) != 71 || strncmp(s, "sha256:", 7) || !is_hex(s + 7, 64))
		return why_set(why, why_len, EINVAL,
			       "ca_cert_hash \"%s\": not \"sha256:\" and 64 hex digits", s);
	return 0;
}

/* "/<name>": one level below each hierarchy's root, made by the node module. */
static int check_cgroup_root(const char *s, char *why, size_t why_len)
{
	int err = check_str("cgroup_root", s, why, why_len);
	if (err)
		return err;
	if (s[0] != '/' || !s[1] || strchr(s + 1, '/') || !strcmp(s, "/.") || !strcmp(s, "/.."))
		return why_set(why, why_len, EINVAL,
			       "cgroup_root \"%s\": not \"/<name>\" (one level, no "
			       "other '/')",
			       s);
	return 0;
}

static int check_port(unsigned port, char *why, size_t why_len)
{
	if (port < 1 || port > 65535)
		return why_set(why, why_len, EINVAL, "port %u: not in 1..65535", port);
	return 0;
}

static int check_version(const char *s, char *why, size_t why_len)
{
	int err = check_str("k8s_version", s, why, why_len);
	if (err)
		return err;
	if (s[0] != 'v' || s[1] < '0' || s[1] > '9')
		return why_set(why, why_len, EINVAL,
			       "k8s_version \"%s\": not \"v<major>.<minor>.<patch>\"", s);
	return 0;
}

static int check_cp_ips(const char *const *ips, char *why, size_t why_len)
{
	char name[32];
	if (!ips || !ips[0])
		return why_set(why, why_len, EINVAL,
			       "cp_ips: empty (the certSANs need every control-plane "
			       "node IP)");
	for (size_t i = 0; ips[i]; i++) {
		snprintf(name, sizeof(name), "cp_ips[%zu]", i);
		int err = check_ip(name, ips[i], why, why_len);
		if (err)
			return err;
	}
	return 0;
}

/* What both configurations use (their nodeRegistration and the endpoint). */
static int check_common(const struct kubeadm_params *p, char *why, size_t why_len)
{
	int err;
	if ((err = check_dns_name("node_name", p->node_name, why, why_len)) ||
	    (err = check_ip("node_ip", p->node_ip, why, why_len)) ||
	    (err = check_dns_name("endpoint_name", p->endpoint_name, why, why_len)) ||
	    (err = check_port(p->port, why, why_len)) ||
	    (err = check_cgroup_root(p->cgroup_root, why, why_len)) ||
	    (err = check_token(p->token, why, why_len)))
		return err;
	return 0;
}

static int check_init(const struct kubeadm_params *p, char *why, size_t why_len)
{
	int err;
	if ((err = check_version(p->k8s_version, why, why_len)) ||
	    (err = check_common(p, why, why_len)) ||
	    (err = check_ip("vip", p->vip, why, why_len)) ||
	    (err = check_cp_ips(p->cp_ips, why, why_len)) ||
	    (err = check_cidr("pod_subnet", p->pod_subnet, why, why_len)) ||
	    (err = check_cidr("service_subnet", p->service_subnet, why, why_len)) ||
	    (err = check_certificate_key(p->certificate_key, why, why_len)))
		return err;
	return 0;
}

static int check_join(const struct kubeadm_params *p, char *why, size_t why_len)
{
	int err;
	if ((err = check_common(p, why, why_len)) ||
	    (err = check_ca_cert_hash(p->ca_cert_hash, why, why_len)))
		return err;
	if (p->control_plane)
		return check_certificate_key(p->certificate_key, why, why_len);
	return 0;
}

/* s as a YAML double-quoted scalar (check_str left only printable ASCII). */
static void put_quoted(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* One line: lead (indentation, key and ": ", or "- "), then the quoted value. */
static void put_line(FILE *f, const char *lead, const char *value)
{
	fputs(lead, f);
	put_quoted(f, value);
	fputc('\n', f);
}

/* One entry of a v1beta4 argument list ({name, value}), at indentation indent. */
static void put_arg(FILE *f, const char *indent, const char *name, const char *value)
{
	fprintf(f, "%s- name: ", indent);
	put_quoted(f, name);
	fprintf(f, "\n%s  value: ", indent);
	put_quoted(f, value);
	fputc('\n', f);
}

/* "endpoint_name:port", the address every node reaches the apiservers at (the VIP). */
static void put_endpoint(FILE *f, const char *lead, const struct kubeadm_params *p)
{
	char endpoint[300];
	snprintf(endpoint, sizeof(endpoint), "%s:%u", p->endpoint_name, p->port);
	put_line(f, lead, endpoint);
}

/* untainted: `taints: []`, so control planes take workloads as minikube's do; otherwise the
 * field is left out and kubeadm's default applies (no taint on a worker). */
static void put_node_registration(FILE *f, const struct kubeadm_params *p, bool untainted)
{
	fputs("nodeRegistration:\n", f);
	put_line(f, "  name: ", p->node_name);
	put_line(f, "  criSocket: ", KUBEADM_CRI_SOCKET);
	/* Every image is imported into the node's containerd beforehand; nothing may be pulled
	 * (this also turns the ImagePull preflight check into a no-op). */
	fputs("  imagePullPolicy: Never\n", f);
	if (untainted)
		fputs("  taints: []\n", f);
	/* Per-node kubelet flags (kubeadm-flags.env): the address on the lab bridge, and the
	 * cgroup root that keeps this kubelet's pods apart from the other nodes' on one kernel. */
	fputs("  kubeletExtraArgs:\n", f);
	put_arg(f, "  ", "node-ip", p->node_ip);
	put_arg(f, "  ", "cgroup-root", p->cgroup_root);
	fputs("  ignorePreflightErrors:\n", f);
	for (size_t i = 0; kubeadm_ignored_preflight[i]; i++)
		put_line(f, "  - ", kubeadm_ignored_preflight[i]);
}

static void put_init_configuration(FILE *f, const struct kubeadm_params *p)
{
	fputs("apiVersion: kubeadm.k8s.io/v1beta4\n"
	      "kind: InitConfiguration\n"
	      "bootstrapTokens:\n",
	      f);
	put_line(f, "- token: ", p->token);
	fputs("  ttl: \"24h0m0s\"\n"
	      "  usages:\n"
	      "  - signing\n"
	      "  - authentication\n"
	      "  groups:\n"
	      "  - system:bootstrappers:kubeadm:default-node-token\n",
	      f);
	put_line(f, "certificateKey: ", p->certificate_key);
	fputs("localAPIEndpoint:\n", f);
	put_line(f, "  advertiseAddress: ", p->node_ip);
	fprintf(f, "  bindPort: %u\n", p->port);
	put_node_registration(f, p, true);
}

/* The i-th apiserver certificate SAN, NULL past the last. */
static const char *cert_san(const struct kubeadm_params *p, size_t i)
{
	if (i == 0)
		return p->vip;
	if (i == 1)
		return p->endpoint_name;
	size_t n = 0;
	while (p->cp_ips[n])
		n++;
	if (i - 2 < n)
		return p->cp_ips[i - 2];
	static const char *const fixed[] = {"127.0.0.1", "localhost"};
	return i - 2 - n < 2 ? fixed[i - 2 - n] : NULL;
}

/* Each SAN once (the VIP or a node may be listed twice by the caller). */
static void put_cert_sans(FILE *f, const struct kubeadm_params *p)
{
	fputs("  certSANs:\n", f);
	for (size_t i = 0; cert_san(p, i); i++) {
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = !strcmp(cert_san(p, j), cert_san(p, i));
		if (!seen)
			put_line(f, "  - ", cert_san(p, i));
	}
}

static void put_cluster_configuration(FILE *f, const struct kubeadm_params *p)
{
	fputs("apiVersion: kubeadm.k8s.io/v1beta4\n"
	      "kind: ClusterConfiguration\n"
	      "clusterName: kubernetes\n",
	      f);
	put_line(f, "kubernetesVersion: ", p->k8s_version);
	put_endpoint(f, "controlPlaneEndpoint: ", p);
	fputs("networking:\n", f);
	put_line(f, "  podSubnet: ", p->pod_subnet);
	put_line(f, "  serviceSubnet: ", p->service_subnet);
	fputs("  dnsDomain: cluster.local\n"
	      "apiServer:\n",
	      f);
	put_cert_sans(f, p);
	/* Our CNI gives each node its pod CIDR itself; kubeadm would otherwise turn this on
	 * because podSubnet is set. */
	fputs("controllerManager:\n"
	      "  extraArgs:\n",
	      f);
	put_arg(f, "  ", "allocate-node-cidrs", "false");
	fputs("etcd:\n"
	      "  local:\n"
	      "    dataDir: /var/lib/etcd\n",
	      f);
}

/* Cluster-wide kubelet settings (kubeadm keeps them in the kubelet-config ConfigMap, so every
 * node gets them); per-node ones are flags in put_node_registration(). clusterDNS and
 * clusterDomain are left for kubeadm to fill in. */
static void put_kubelet_configuration(FILE *f)
{
	/* kind's settings for nodes sharing one kernel and disk (node_files.c has the same set,
	 * proved by the node tests): no swap check, no image GC, no disk-pressure eviction, no
	 * local-storage accounting — each kubelet sees the machine's whole disk and would evict
	 * or collect images for usage that is not its own. */
	fputs("apiVersion: kubelet.config.k8s.io/v1beta1\n"
	      "kind: KubeletConfiguration\n"
	      "cgroupDriver: cgroupfs\n"
	      "failSwapOn: false\n"
	      "imageGCHighThresholdPercent: 100\n"
	      "imageGCLowThresholdPercent: 99\n"
	      "evictionHard:\n"
	      "  nodefs.available: \"0%\"\n"
	      "  nodefs.inodesFree: \"0%\"\n"
	      "  imagefs.available: \"0%\"\n"
	      "localStorageCapacityIsolation: false\n"
	      "serializeImagePulls: false\n"
	      "hairpinMode: hairpin-veth\n"
	      "resolvConf: /etc/resolv.conf\n",
	      f);
}

static void put_proxy_configuration(FILE *f, const struct kubeadm_params *p)
{
	fputs("apiVersion: kubeproxy.config.k8s.io/v1alpha1\n"
	      "kind: KubeProxyConfiguration\n"
	      "mode: iptables\n",
	      f);
	put_line(f, "clusterCIDR: ", p->pod_subnet);
	/* kind's: rules are resynced at most once a second rather than kube-proxy's default
	 * backoff; conntrack.maxPerCore 0 leaves net.netfilter.nf_conntrack_max alone — it is
	 * global to the kernel every node shares, so no node's kube-proxy may set it. */
	fputs("iptables:\n"
	      "  minSyncPeriod: 1s\n"
	      "conntrack:\n"
	      "  maxPerCore: 0\n",
	      f);
}

static void put_init(FILE *f, const struct kubeadm_params *p)
{
	put_init_configuration(f, p);
	fputs("---\n", f);
	put_cluster_configuration(f, p);
	fputs("---\n", f);
	put_kubelet_configuration(f);
	fputs("---\n", f);
	put_proxy_configuration(f, p);
}

static void put_join(FILE *f, const struct kubeadm_params *p)
{
	fputs("apiVersion: kubeadm.k8s.io/v1beta4\n"
	      "kind: JoinConfiguration\n"
	      "discovery:\n"
	      "  bootstrapToken:\n",
	      f);
	put_endpoint(f, "    apiServerEndpoint: ", p);
	put_line(f, "    token: ", p->token);
	fputs("    caCertHashes:\n", f);
	put_line(f, "    - ", p->ca_cert_hash);
	put_node_registration(f, p, p->control_plane);
	if (!p->control_plane)
		return;
	fputs("controlPlane:\n"
	      "  localAPIEndpoint:\n",
	      f);
	put_line(f, "    advertiseAddress: ", p->node_ip);
	fprintf(f, "    bindPort: %u\n", p->port);
	put_line(f, "  certificateKey: ", p->certificate_key);
}

/* Runs put into a malloc'd string. */
static int render(void (*put)(FILE *, const struct kubeadm_params *),
		  const struct kubeadm_params *p, char **out)
{
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return -ENOMEM;
	put(f, p);
	bool failed = ferror(f);
	if (fclose(f) != 0 || failed) {
		free(buf);
		return -ENOMEM;
	}
	*out = buf;
	return 0;
}

int kubeadm_init_config(const struct kubeadm_params *p, char **out, char *why, size_t why_len)
{
	if (!p || !out)
		return why_set(why, why_len, EINVAL,
			       "kubeadm_init_config: no parameters or no output");
	*out = NULL;
	int err = check_init(p, why, why_len);
	return err ? err : render(put_init, p, out);
}

int kubeadm_join_config(const struct kubeadm_params *p, char **out, char *why, size_t why_len)
{
	if (!p || !out)
		return why_set(why, why_len, EINVAL,
			       "kubeadm_join_config: no parameters or no output");
	*out = NULL;
	int err = check_join(p, why, why_len);
	return err ? err : render(put_join, p, out);
}
