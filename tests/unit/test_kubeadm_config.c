/*
 * test_kubeadm_config.c — the kubeadm files the provisioner writes: the lines that matter in
 * each document (init, control-plane join, worker join), the exact one-line message for every
 * bad parameter, that every value lands inside YAML double quotes (escaped where needed), and
 * the ignored preflight checks with their reasons. `kubeadm_config_validate.sh` has the real
 * kubeadm read the same files.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubeadm_config.h"

#define CERT_KEY "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define CA_HASH	 "sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

static const char *const cp_ips[] = {"192.168.49.2", "192.168.49.3", "192.168.49.4", NULL};

static struct kubeadm_params sample(void)
{
	return (struct kubeadm_params){
	    .k8s_version = "v1.34.4",
	    .node_name = "ha-demo-m02",
	    .node_ip = "192.168.49.3",
	    .endpoint_name = "control-plane.minikube.internal",
	    .vip = "192.168.49.254",
	    .port = 8443,
	    .cp_ips = cp_ips,
	    .pod_subnet = "10.244.0.0/16",
	    .service_subnet = "10.96.0.0/12",
	    .cgroup_root = "/vp-1a2b3c4d-m02",
	    .token = "abcdef.0123456789abcdef",
	    .certificate_key = CERT_KEY,
	    .ca_cert_hash = CA_HASH,
	};
}

/* Whether text has exactly this line. */
static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = text; p && *p;) {
		const char *end = strchr(p, '\n');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == n && !memcmp(p, line, n))
			return true;
		p = end ? end + 1 : NULL;
	}
	return false;
}

/* Whether the lines appear in this order, one right after the other. */
static bool has_block(const char *text, const char *block)
{
	const char *at = strstr(text, block);
	return at && (at == text || at[-1] == '\n');
}

static size_t count(const char *text, const char *needle)
{
	size_t n = 0;
	for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static char *init_text(const struct kubeadm_params *p)
{
	char *out = NULL, why[256] = "";
	int rc = kubeadm_init_config(p, &out, why, sizeof(why));
	cr_assert_eq(rc, 0, "init: %d %s", rc, why);
	return out;
}

static char *join_text(const struct kubeadm_params *p)
{
	char *out = NULL, why[256] = "";
	int rc = kubeadm_join_config(p, &out, why, sizeof(why));
	cr_assert_eq(rc, 0, "join: %d %s", rc, why);
	return out;
}

Test(kubeadm_config, init_documents)
{
	struct kubeadm_params p = sample();
	char *t = init_text(&p);
	cr_expect_eq(count(t, "\n---\n"), 3);
	cr_expect_eq(count(t, "apiVersion: kubeadm.k8s.io/v1beta4\n"), 2);
	cr_expect(has_line(t, "kind: InitConfiguration"));
	cr_expect(has_line(t, "kind: ClusterConfiguration"));
	cr_expect(has_block(t, "apiVersion: kubelet.config.k8s.io/v1beta1\n"
			       "kind: KubeletConfiguration\n"));
	cr_expect(has_block(t, "apiVersion: kubeproxy.config.k8s.io/v1alpha1\n"
			       "kind: KubeProxyConfiguration\n"));
	free(t);
}

Test(kubeadm_config, init_configuration)
{
	struct kubeadm_params p = sample();
	char *t = init_text(&p);
	cr_expect(has_block(t, "bootstrapTokens:\n"
			       "- token: \"abcdef.0123456789abcdef\"\n"
			       "  ttl: \"24h0m0s\"\n"
			       "  usages:\n"
			       "  - signing\n"
			       "  - authentication\n"
			       "  groups:\n"
			       "  - system:bootstrappers:kubeadm:default-node-token\n"));
	cr_expect(has_line(t, "certificateKey: \"" CERT_KEY "\""));
	cr_expect(has_block(t, "localAPIEndpoint:\n"
			       "  advertiseAddress: \"192.168.49.3\"\n"
			       "  bindPort: 8443\n"));
	cr_expect(has_block(t, "nodeRegistration:\n"
			       "  name: \"ha-demo-m02\"\n"
			       "  criSocket: \"unix:///run/containerd/containerd.sock\"\n"
			       "  imagePullPolicy: Never\n"
			       "  taints: []\n"
			       "  kubeletExtraArgs:\n"
			       "  - name: \"node-ip\"\n"
			       "    value: \"192.168.49.3\"\n"
			       "  - name: \"cgroup-root\"\n"
			       "    value: \"/vp-1a2b3c4d-m02\"\n"
			       "  ignorePreflightErrors:\n"));
	free(t);
}

Test(kubeadm_config, cluster_configuration)
{
	struct kubeadm_params p = sample();
	char *t = init_text(&p);
	cr_expect(has_line(t, "kubernetesVersion: \"v1.34.4\""));
	cr_expect(has_line(t, "controlPlaneEndpoint: \"control-plane.minikube.internal:8443\""));
	cr_expect(has_line(t, "clusterName: kubernetes"));
	cr_expect(has_block(t, "networking:\n"
			       "  podSubnet: \"10.244.0.0/16\"\n"
			       "  serviceSubnet: \"10.96.0.0/12\"\n"
			       "  dnsDomain: cluster.local\n"));
	cr_expect(has_block(t, "apiServer:\n"
			       "  certSANs:\n"
			       "  - \"192.168.49.254\"\n"
			       "  - \"control-plane.minikube.internal\"\n"
			       "  - \"192.168.49.2\"\n"
			       "  - \"192.168.49.3\"\n"
			       "  - \"192.168.49.4\"\n"
			       "  - \"127.0.0.1\"\n"
			       "  - \"localhost\"\n"
			       "controllerManager:\n"));
	cr_expect(has_block(t, "controllerManager:\n"
			       "  extraArgs:\n"
			       "  - name: \"allocate-node-cidrs\"\n"
			       "    value: \"false\"\n"));
	cr_expect(has_block(t, "etcd:\n"
			       "  local:\n"
			       "    dataDir: /var/lib/etcd\n"));
	free(t);
}

/* A SAN the caller names twice (the VIP among the nodes, a node twice) is written once. */
Test(kubeadm_config, cert_sans_once)
{
	static const char *const ips[] = {"192.168.49.2", "192.168.49.254", "192.168.49.2",
					  "127.0.0.1", NULL};
	struct kubeadm_params p = sample();
	p.cp_ips = ips;
	char *t = init_text(&p);
	cr_expect(has_block(t, "  certSANs:\n"
			       "  - \"192.168.49.254\"\n"
			       "  - \"control-plane.minikube.internal\"\n"
			       "  - \"192.168.49.2\"\n"
			       "  - \"127.0.0.1\"\n"
			       "  - \"localhost\"\n"
			       "controllerManager:\n"),
		  "%s", t);
	free(t);
}

Test(kubeadm_config, kubelet_configuration)
{
	struct kubeadm_params p = sample();
	char *t = init_text(&p);
	static const char *const lines[] = {
	    "cgroupDriver: cgroupfs",
	    "failSwapOn: false",
	    "imageGCHighThresholdPercent: 100",
	    "imageGCLowThresholdPercent: 99",
	    "evictionHard:",
	    "  nodefs.available: \"0%\"",
	    "  nodefs.inodesFree: \"0%\"",
	    "  imagefs.available: \"0%\"",
	    "localStorageCapacityIsolation: false",
	};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		cr_expect(has_line(t, lines[i]), "missing \"%s\"", lines[i]);
	/* Per node, so a flag; and kubeadm fills in the DNS settings. */
	cr_expect_null(strstr(t, "cgroupRoot"));
	cr_expect_null(strstr(t, "clusterDNS"));
	free(t);
}

Test(kubeadm_config, kube_proxy_configuration)
{
	struct kubeadm_params p = sample();
	char *t = init_text(&p);
	cr_expect(has_block(t, "kind: KubeProxyConfiguration\n"
			       "mode: iptables\n"
			       "clusterCIDR: \"10.244.0.0/16\"\n"));
	cr_expect(has_block(t, "conntrack:\n"
			       "  maxPerCore: 0\n"));
	cr_expect(has_block(t, "iptables:\n"
			       "  minSyncPeriod: 1s\n"));
	free(t);
}

Test(kubeadm_config, join_control_plane)
{
	struct kubeadm_params p = sample();
	p.control_plane = true;
	char *t = join_text(&p);
	cr_expect(has_block(t, "apiVersion: kubeadm.k8s.io/v1beta4\n"
			       "kind: JoinConfiguration\n"
			       "discovery:\n"
			       "  bootstrapToken:\n"
			       "    apiServerEndpoint: \"control-plane.minikube.internal:8443\"\n"
			       "    token: \"abcdef.0123456789abcdef\"\n"
			       "    caCertHashes:\n"
			       "    - \"" CA_HASH "\"\n"
			       "nodeRegistration:\n"
			       "  name: \"ha-demo-m02\"\n"));
	cr_expect(has_line(t, "  taints: []"));
	cr_expect(has_line(t, "  imagePullPolicy: Never"));
	cr_expect(has_block(t, "  - name: \"cgroup-root\"\n"
			       "    value: \"/vp-1a2b3c4d-m02\"\n"));
	cr_expect(has_block(t, "controlPlane:\n"
			       "  localAPIEndpoint:\n"
			       "    advertiseAddress: \"192.168.49.3\"\n"
			       "    bindPort: 8443\n"
			       "  certificateKey: \"" CERT_KEY "\"\n"));
	cr_expect_eq(count(t, "---"), 0);
	free(t);
}

/* A worker: no taints field (kubeadm's default: none), no controlPlane, and the certificate
 * key is neither needed nor checked. */
Test(kubeadm_config, join_worker)
{
	struct kubeadm_params p = sample();
	p.certificate_key = NULL;
	p.k8s_version = NULL;
	p.cp_ips = NULL;
	char *t = join_text(&p);
	cr_expect(has_line(t, "kind: JoinConfiguration"));
	cr_expect(has_line(t, "  name: \"ha-demo-m02\""));
	cr_expect(has_block(t, "  - name: \"node-ip\"\n"
			       "    value: \"192.168.49.3\"\n"));
	cr_expect_null(strstr(t, "taints"));
	cr_expect_null(strstr(t, "controlPlane"));
	cr_expect_null(strstr(t, "certificateKey"));
	free(t);
}

Test(kubeadm_config, ignored_preflight)
{
	size_t n = 0;
	while (kubeadm_ignored_preflight[n])
		n++;
	cr_assert_gt(n, 0);
	for (size_t i = 0; i < n; i++) {
		const char *r = kubeadm_ignored_preflight_reason[i];
		cr_assert_not_null(r, "no reason for %s", kubeadm_ignored_preflight[i]);
		cr_expect(*r && !strchr(r, '\n'), "reason for %s: \"%s\"",
			  kubeadm_ignored_preflight[i], r);
	}
	cr_expect_null(kubeadm_ignored_preflight_reason[n], "more reasons than checks");

	struct kubeadm_params p = sample();
	char *init = init_text(&p), *join = join_text(&p);
	char line[128];
	for (size_t i = 0; i < n; i++) {
		snprintf(line, sizeof(line), "  - \"%s\"", kubeadm_ignored_preflight[i]);
		cr_expect(has_line(init, line), "init lacks %s", line);
		cr_expect(has_line(join, line), "join lacks %s", line);
	}
	cr_expect(has_line(init, "  - \"SystemVerification\""));
	free(init);
	free(join);
}

/* Whether every occurrence of value in text sits inside a double-quoted scalar: an odd number
 * of unescaped '"' between the start of its line and it. */
static bool always_quoted(const char *text, const char *value)
{
	for (const char *at = strstr(text, value); at; at = strstr(at + 1, value)) {
		const char *bol = at;
		while (bol > text && bol[-1] != '\n')
			bol--;
		unsigned quotes = 0;
		for (const char *c = bol; c < at; c++)
			if (*c == '"' && (c == bol || c[-1] != '\\'))
				quotes++;
		if (quotes % 2 == 0)
			return false;
	}
	return true;
}

Test(kubeadm_config, every_value_quoted)
{
	struct kubeadm_params p = sample();
	p.control_plane = true;
	char *init = init_text(&p), *join = join_text(&p);
	const char *values[] = {p.k8s_version, p.node_name,	  p.node_ip,	    p.endpoint_name,
				p.vip,	       p.pod_subnet,	  p.service_subnet, p.cgroup_root,
				p.token,       p.certificate_key, cp_ips[0],	    cp_ips[1],
				cp_ips[2]};
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		cr_expect(strstr(init, values[i]), "init lacks %s", values[i]);
		cr_expect(always_quoted(init, values[i]), "init: %s unquoted", values[i]);
		cr_expect(always_quoted(join, values[i]), "join: %s unquoted", values[i]);
	}
	cr_expect(strstr(join, p.ca_cert_hash));
	cr_expect(always_quoted(join, p.ca_cert_hash));
	free(init);
	free(join);
}

/* The values validation lets through with " or \ in them are escaped, so they stay one
 * scalar. */
Test(kubeadm_config, quotes_escaped)
{
	struct kubeadm_params p = sample();
	p.k8s_version = "v1.34.4\"\nkind: x";
	char *out = NULL, why[256] = "";
	cr_expect_eq(kubeadm_init_config(&p, &out, why, sizeof(why)), -EINVAL);
	cr_expect_str_eq(why, "k8s_version: byte 0x0a at 8 is not printable ASCII");
	cr_expect_null(out);

	p.k8s_version = "v1.34.4\": x";
	p.cgroup_root = "/a\"b\\c";
	char *t = init_text(&p);
	cr_expect(has_line(t, "kubernetesVersion: \"v1.34.4\\\": x\""), "%s", t);
	cr_expect(has_line(t, "    value: \"/a\\\"b\\\\c\""), "%s", t);
	free(t);
}

struct bad {
	const char *want;
	void (*mutate)(struct kubeadm_params *p);
};

/* Each turns the sample into one with a single bad parameter. */
#define BAD(name, ...)                                                                             \
	static void name(struct kubeadm_params *p)                                                 \
	{                                                                                          \
		__VA_ARGS__;                                                                       \
	}
BAD(no_version, p->k8s_version = NULL)
BAD(bare_version, p->k8s_version = "1.34.4")
BAD(empty_name, p->node_name = "")
BAD(upper_name, p->node_name = "HA_demo")
BAD(dash_name, p->node_name = "ha-.demo")
BAD(ctl_name, p->node_name = "ha\ndemo")
BAD(bad_node_ip, p->node_ip = "192.168.49")
BAD(bad_endpoint, p->endpoint_name = "cp:8443")
BAD(zero_port, p->port = 0)
BAD(big_port, p->port = 65536)
BAD(rel_cgroup, p->cgroup_root = "vp-1")
BAD(deep_cgroup, p->cgroup_root = "/a/b")
BAD(root_cgroup, p->cgroup_root = "/")
BAD(upper_token, p->token = "ABCDEF.0123456789abcdef")
BAD(short_token, p->token = "abcdef.0123")
BAD(bad_vip, p->vip = "192.168.49.256")
BAD(no_cp_ips, p->cp_ips = NULL)
BAD(bad_cp_ip, static const char *const ips[] = {"192.168.49.2", "node-2", NULL}; p->cp_ips = ips)
BAD(bad_pods, p->pod_subnet = "10.244.0.0")
BAD(wide_pods, p->pod_subnet = "10.244.0.0/33")
BAD(bad_services, p->service_subnet = "10.96.0.0/")
BAD(short_key, p->certificate_key = "abc")
BAD(no_hash, p->ca_cert_hash = NULL)
BAD(md5_hash, p->ca_cert_hash = "md5:0123")

static void expect_bad(int (*make)(const struct kubeadm_params *, char **, char *, size_t),
		       const struct bad *cases, size_t n, bool control_plane)
{
	for (size_t i = 0; i < n; i++) {
		struct kubeadm_params p = sample();
		p.control_plane = control_plane;
		cases[i].mutate(&p);
		char *out = (char *)"untouched", why[256] = "";
		cr_expect_eq(make(&p, &out, why, sizeof(why)), -EINVAL, "%s", cases[i].want);
		cr_expect_str_eq(why, cases[i].want);
		cr_expect_null(out, "%s: output left set", cases[i].want);
	}
}

Test(kubeadm_config, bad_init_parameters)
{
	static const struct bad cases[] = {
	    {"k8s_version: missing", no_version},
	    {"k8s_version \"1.34.4\": not \"v<major>.<minor>.<patch>\"", bare_version},
	    {"node_name \"\": empty", empty_name},
	    {"node_name \"HA_demo\": not a lowercase DNS name (RFC 1123)", upper_name},
	    {"node_name \"ha-.demo\": not a lowercase DNS name (RFC 1123)", dash_name},
	    {"node_name: byte 0x0a at 2 is not printable ASCII", ctl_name},
	    {"node_ip \"192.168.49\": not an IPv4 or IPv6 address", bad_node_ip},
	    {"endpoint_name \"cp:8443\": not a lowercase DNS name (RFC 1123)", bad_endpoint},
	    {"port 0: not in 1..65535", zero_port},
	    {"port 65536: not in 1..65535", big_port},
	    {"cgroup_root \"vp-1\": not \"/<name>\" (one level, no other '/')", rel_cgroup},
	    {"cgroup_root \"/a/b\": not \"/<name>\" (one level, no other '/')", deep_cgroup},
	    {"cgroup_root \"/\": not \"/<name>\" (one level, no other '/')", root_cgroup},
	    {"token \"ABCDEF.0123456789abcdef\": not a bootstrap token ([a-z0-9]{6}.[a-z0-9]{16})",
	     upper_token},
	    {"token \"abcdef.0123\": not a bootstrap token ([a-z0-9]{6}.[a-z0-9]{16})",
	     short_token},
	    {"vip \"192.168.49.256\": not an IPv4 or IPv6 address", bad_vip},
	    {"cp_ips: empty (the certSANs need every control-plane node IP)", no_cp_ips},
	    {"cp_ips[1] \"node-2\": not an IPv4 or IPv6 address", bad_cp_ip},
	    {"pod_subnet \"10.244.0.0\": not a CIDR (address/prefix length)", bad_pods},
	    {"pod_subnet \"10.244.0.0/33\": not a CIDR (address/prefix length)", wide_pods},
	    {"service_subnet \"10.96.0.0/\": not a CIDR (address/prefix length)", bad_services},
	    {"certificate_key \"abc\": not 64 hex digits", short_key},
	};
	expect_bad(kubeadm_init_config, cases, sizeof(cases) / sizeof(cases[0]), false);
}

Test(kubeadm_config, bad_join_parameters)
{
	static const struct bad cases[] = {
	    {"node_name \"HA_demo\": not a lowercase DNS name (RFC 1123)", upper_name},
	    {"node_ip \"192.168.49\": not an IPv4 or IPv6 address", bad_node_ip},
	    {"endpoint_name \"cp:8443\": not a lowercase DNS name (RFC 1123)", bad_endpoint},
	    {"port 0: not in 1..65535", zero_port},
	    {"cgroup_root \"/a/b\": not \"/<name>\" (one level, no other '/')", deep_cgroup},
	    {"token \"abcdef.0123\": not a bootstrap token ([a-z0-9]{6}.[a-z0-9]{16})",
	     short_token},
	    {"ca_cert_hash: missing", no_hash},
	    {"ca_cert_hash \"md5:0123\": not \"sha256:\" and 64 hex digits", md5_hash},
	    {"certificate_key \"abc\": not 64 hex digits", short_key},
	};
	expect_bad(kubeadm_join_config, cases, sizeof(cases) / sizeof(cases[0]), true);
}

/* IPv6 addresses and subnets are accepted too. */
Test(kubeadm_config, ipv6)
{
	static const char *const ips[] = {"fd00::2", NULL};
	struct kubeadm_params p = sample();
	p.node_ip = "fd00::2";
	p.vip = "fd00::fe";
	p.cp_ips = ips;
	p.pod_subnet = "fd00:10:244::/56";
	p.service_subnet = "fd00:10:96::/112";
	char *t = init_text(&p);
	cr_expect(has_line(t, "  advertiseAddress: \"fd00::2\""));
	cr_expect(has_line(t, "  podSubnet: \"fd00:10:244::/56\""));
	free(t);
}

Test(kubeadm_config, no_parameters)
{
	char *out = NULL, why[64] = "";
	struct kubeadm_params p = sample();
	cr_expect_eq(kubeadm_init_config(NULL, &out, why, sizeof(why)), -EINVAL);
	cr_expect_eq(kubeadm_join_config(&p, NULL, why, sizeof(why)), -EINVAL);
	cr_expect_eq(kubeadm_init_config(&p, &out, NULL, 0), 0);
	free(out);
}
