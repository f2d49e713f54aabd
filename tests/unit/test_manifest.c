/*
 * test_manifest.c — the static pod manifest, byte for byte against the golden files in
 * golden/manifest_*.yaml (read them: they are the spec), and every refusal's exact message.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"

#ifndef GOLDEN_DIR
#error "GOLDEN_DIR must point at tests/unit/golden"
#endif

/* Renders `o` into a malloc'd string; `*rc` is manifest_pod_write's result. */
static char *render(const struct manifest_opts *o, int *rc, char *why, size_t why_len)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	cr_assert_not_null(out);
	*rc = manifest_pod_write(o, out, why, why_len);
	cr_assert_eq(fclose(out), 0);
	return text;
}

/* `name` is relative to GOLDEN_DIR. */
static char *read_golden(const char *name)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", GOLDEN_DIR, name);
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f, "cannot open %s", path);
	char *text = NULL;
	size_t cap = 0;
	ssize_t n = getdelim(&text, &cap, '\0', f);
	cr_assert_gt(n, 0, "%s is empty", path);
	fclose(f);
	return text;
}

static void expect_golden(const struct manifest_opts *o, const char *name)
{
	char why[256] = "";
	int rc;
	char *got = render(o, &rc, why, sizeof(why));
	cr_assert_eq(rc, 0, "%s: %s", name, why);
	char *want = read_golden(name);
	cr_expect_str_eq(got, want, "%s differs; got:\n%s", name, got);
	free(got);
	free(want);
}

/* The flags every control-plane example shares (kube-vip's documented invocation). */
static void control_plane(struct manifest_opts *o, const char *address)
{
	manifest_opts_defaults(o);
	o->interface = "eth0";
	o->address = address;
	o->controlplane = true;
	o->arp = true;
	o->leader_election = true;
}

Test(manifest, defaults_are_kube_vips)
{
	struct manifest_opts o;
	manifest_opts_defaults(&o);
	cr_assert_eq(o.port, 6443);
	cr_assert_eq(o.lb_port, 6443);
	cr_assert_str_eq(o.lb_fwd_method, "local");
	cr_assert_str_eq(o.k8s_config_path, "/etc/kubernetes/admin.conf");
	cr_assert_null(o.super_admin_path);
	cr_assert_str_eq(o.image, MANIFEST_DEFAULT_IMAGE);
	cr_assert_str_eq(o.lease_name, "plndr-cp-lock");
	cr_assert_eq(o.lease_duration_s, 15);
	cr_assert_eq(o.renew_deadline_s, 10);
	cr_assert_eq(o.retry_period_s, 2);
	cr_assert_str_eq(o.prometheus_server, ":2112");
	cr_assert_str_eq(o.namespace_, "kube-system");
	cr_assert(!o.arp && !o.controlplane && !o.leader_election && !o.load_balancer);
}

/* minikube's kube-vip settings: port 8443, 5/3/1, IPVS on 8443, metrics on :2112. */
static void minikube(struct manifest_opts *o)
{
	control_plane(o, "192.168.49.254");
	o->port = 8443;
	o->load_balancer = true;
	o->lb_port = 8443;
	o->lease_duration_s = 5;
	o->renew_deadline_s = 3;
	o->retry_period_s = 1;
	o->prometheus_server = ":2112";
}

Test(manifest, golden_minikube)
{
	struct manifest_opts o;
	minikube(&o);
	expect_golden(&o, "manifest_minikube.yaml");
}

Test(manifest, golden_default)
{
	struct manifest_opts o;
	control_plane(&o, "192.168.49.254");
	expect_golden(&o, "manifest_default.yaml");
}

/* The manifests shipped in manifests/ are the generator's output, not hand edits. */
Test(manifest, shipped_manifests_are_generated)
{
	struct manifest_opts o;
	minikube(&o);
	expect_golden(&o, "../../../manifests/vipd-minikube.yaml");
	control_plane(&o, "192.168.49.254");
	expect_golden(&o, "../../../manifests/vipd-default.yaml");
}

Test(manifest, golden_super_admin)
{
	struct manifest_opts o;
	control_plane(&o, "192.168.49.254");
	o.super_admin_path = "/etc/kubernetes/super-admin.conf";
	expect_golden(&o, "manifest_super_admin.yaml");
}

/* The address is written in its canonical form (lowercase, shortest); the subnet is /128. */
Test(manifest, golden_ipv6)
{
	struct manifest_opts o;
	control_plane(&o, "FD00:49::FE");
	o.load_balancer = true;
	o.lb_fwd_method = "directroute";
	expect_golden(&o, "manifest_ipv6.yaml");
}

/* kubeadm's etcd CA and health-check client certificate (what the provisioner writes). */
static void etcd_tls(struct manifest_opts *o, const char *endpoints)
{
	o->etcd_endpoints = endpoints;
	o->etcd_ca = "/etc/kubernetes/pki/etcd/ca.crt";
	o->etcd_cert = "/etc/kubernetes/pki/etcd/healthcheck-client.crt";
	o->etcd_key = "/etc/kubernetes/pki/etcd/healthcheck-client.key";
}

/* The etcd backend: four env entries and the certificates' directory mounted read-only. */
Test(manifest, golden_etcd)
{
	struct manifest_opts o;
	control_plane(&o, "192.168.49.254");
	etcd_tls(&o, "https://127.0.0.1:2379");
	expect_golden(&o, "manifest_etcd.yaml");
}

static char *render_ok(const struct manifest_opts *o)
{
	char why[256] = "";
	int rc;
	char *got = render(o, &rc, why, sizeof(why));
	cr_assert_eq(rc, 0, "%s", why);
	return got;
}

Test(manifest, prefix_becomes_vip_subnet)
{
	struct manifest_opts o;
	control_plane(&o, "192.168.49.254/24");
	char *got = render_ok(&o);
	cr_expect_not_null(strstr(got, "    - name: vip_subnet\n      value: \"24\"\n"));
	cr_expect_not_null(strstr(got, "    - name: address\n      value: \"192.168.49.254\"\n"));
	free(got);
}

/* Quotes and backslashes are escaped inside YAML double quotes; nothing else needs it. */
Test(manifest, user_strings_are_quoted)
{
	struct manifest_opts o;
	control_plane(&o, "192.168.49.254");
	o.k8s_config_path = "/etc/k\"8s\\admin: #conf";
	o.prometheus_server = "";
	char *got = render_ok(&o);
	cr_expect_not_null(strstr(got, "      path: \"/etc/k\\\"8s\\\\admin: #conf\"\n"));
	cr_expect_not_null(strstr(got, "    - name: prometheus_server\n      value: \"\"\n"));
	free(got);
}

Test(manifest, interface_optional_without_arp)
{
	struct manifest_opts o;
	manifest_opts_defaults(&o);
	o.address = "192.168.49.254";
	o.controlplane = true;
	o.leader_election = true;
	char *got = render_ok(&o);
	cr_expect_null(strstr(got, "vip_interface"));
	cr_expect_not_null(strstr(got, "    - name: vip_arp\n      value: \"false\"\n"));
	free(got);
}

/* Plain http needs no certificates: the endpoints only, nothing mounted. */
Test(manifest, etcd_over_http_mounts_nothing)
{
	struct manifest_opts o;
	control_plane(&o, "192.168.49.254");
	o.etcd_endpoints = "http://10.0.0.1:2379,http://10.0.0.2:2379";
	char *got = render_ok(&o);
	cr_expect_not_null(strstr(got,
				  "    - name: vipd_etcd_endpoints\n"
				  "      value: \"http://10.0.0.1:2379,http://10.0.0.2:2379\"\n"));
	cr_expect_null(strstr(got, "vipd_etcd_cacert"));
	cr_expect_null(strstr(got, "etcd-certs"));
	free(got);
}

struct bad_case {
	const char *label;
	void (*change)(struct manifest_opts *o);
	const char *why;
};

static void no_address(struct manifest_opts *o)
{
	o->address = NULL;
}
static void bad_address(struct manifest_opts *o)
{
	o->address = "192.168.49.300";
}
static void dns_address(struct manifest_opts *o)
{
	o->address = "vip.example.com";
}
static void bad_prefix(struct manifest_opts *o)
{
	o->address = "fd00::1/129";
}
static void arp_without_interface(struct manifest_opts *o)
{
	o->interface = NULL;
}
static void long_interface(struct manifest_opts *o)
{
	o->interface = "enp0s31f6.100.200";
}
static void newline_in_interface(struct manifest_opts *o)
{
	o->interface = "eth0\nkind: Secret";
}
static void tab_in_image(struct manifest_opts *o)
{
	o->image = "localhost/vipd:\tlatest";
}
static void non_ascii_path(struct manifest_opts *o)
{
	o->k8s_config_path = "/etc/kubernetes/\xc3\xa9.conf";
}
static void zero_port(struct manifest_opts *o)
{
	o->port = 0;
}
static void zero_lb_port(struct manifest_opts *o)
{
	o->lb_port = 0;
}
static void renew_equals_lease(struct manifest_opts *o)
{
	o->lease_duration_s = 10;
	o->renew_deadline_s = 10;
}
static void retry_too_long(struct manifest_opts *o)
{
	o->renew_deadline_s = 2;
	o->retry_period_s = 2;
}
static void zero_retry(struct manifest_opts *o)
{
	o->retry_period_s = 0;
}
static void margin_too_small(struct manifest_opts *o)
{
	o->lease_duration_s = 15;
	o->renew_deadline_s = 14;
}
static void bad_fwd(struct manifest_opts *o)
{
	o->lb_fwd_method = "nat";
}
static void relative_kubeconfig(struct manifest_opts *o)
{
	o->k8s_config_path = "admin.conf";
}
static void relative_super_admin(struct manifest_opts *o)
{
	o->super_admin_path = "super-admin.conf";
}
static void bad_namespace(struct manifest_opts *o)
{
	o->namespace_ = "Kube_System";
}
static void bad_lease(struct manifest_opts *o)
{
	o->lease_name = "plndr/cp/lock";
}
static void empty_image(struct manifest_opts *o)
{
	o->image = "";
}

static void etcd_ca_alone(struct manifest_opts *o)
{
	o->etcd_ca = "/etc/kubernetes/pki/etcd/ca.crt";
}
static void etcd_https_no_files(struct manifest_opts *o)
{
	o->etcd_endpoints = "https://127.0.0.1:2379";
}
static void etcd_bad_endpoint(struct manifest_opts *o)
{
	etcd_tls(o, "127.0.0.1:2379");
}
static void etcd_empty_endpoint(struct manifest_opts *o)
{
	etcd_tls(o, "https://a:2379,");
}
static void etcd_nine_endpoints(struct manifest_opts *o)
{
	etcd_tls(o, "http://a,http://b,http://c,http://d,http://e,http://f,http://g,http://h,"
		    "http://i");
}
static void etcd_no_key(struct manifest_opts *o)
{
	etcd_tls(o, "http://127.0.0.1:2379");
	o->etcd_key = NULL;
}
static void etcd_other_dir(struct manifest_opts *o)
{
	etcd_tls(o, "https://127.0.0.1:2379");
	o->etcd_key = "/etc/kubernetes/pki/healthcheck-client.key";
}
static void etcd_relative(struct manifest_opts *o)
{
	etcd_tls(o, "https://127.0.0.1:2379");
	o->etcd_cert = "healthcheck-client.crt";
}
static void etcd_in_root(struct manifest_opts *o)
{
	etcd_tls(o, "https://127.0.0.1:2379");
	o->etcd_ca = "/ca.crt";
}
static void etcd_newline(struct manifest_opts *o)
{
	etcd_tls(o, "https://127.0.0.1:2379\nkind: Secret");
}

static const struct bad_case bad_cases[] = {
    {"no address", no_address, "--address is required"},
    {"bad address", bad_address, "--address \"192.168.49.300\": not an IPv4 or IPv6 address"},
    {"dns name", dns_address, "--address \"vip.example.com\": not an IPv4 or IPv6 address"},
    {"bad prefix", bad_prefix, "--address \"fd00::1/129\": prefix length \"129\": must be 0..128"},
    {"arp, no interface", arp_without_interface, "--interface is required with --arp"},
    {"long interface", long_interface,
     "--interface \"enp0s31f6.100.200\": not an interface name (1 to 15 characters, no '/', "
     "':' or spaces)"},
    {"newline", newline_in_interface, "--interface: control character 0x0a at byte 4"},
    {"tab", tab_in_image, "--image: control character 0x09 at byte 15"},
    {"non-ASCII", non_ascii_path, "--k8sConfigPath: non-ASCII byte 0xc3 at byte 16"},
    {"port 0", zero_port, "--port \"0\": must be a whole number from 1 to 65535"},
    {"lbPort 0", zero_lb_port, "--lbPort \"0\": must be a whole number from 1 to 65535"},
    {"renew = lease", renew_equals_lease,
     "--leaseDuration 10 --leaseRenewDuration 10 --leaseRetry 2: leaseDuration 10s must be "
     "greater than renewDeadline 10s"},
    {"retry x 1.2 >= renew", retry_too_long,
     "--leaseDuration 15 --leaseRenewDuration 2 --leaseRetry 2: renewDeadline 2s must be "
     "greater than retryPeriod 2s x 1.2 (client-go's jitter factor)"},
    {"retry 0", zero_retry,
     "--leaseDuration 15 --leaseRenewDuration 10 --leaseRetry 0: leaseDuration 15s, "
     "renewDeadline 10s, retryPeriod 0s: all must be positive"},
    {"margin", margin_too_small,
     "--leaseDuration 15 --leaseRenewDuration 14: leaseDuration must exceed renewDeadline by "
     "at least 2s (vipd's margin for the kernel and its loop)"},
    {"fwd method", bad_fwd,
     "--lbForwardingMethod \"nat\": must be local, masquerade, tunnel or directroute"},
    {"relative kubeconfig", relative_kubeconfig,
     "--k8sConfigPath \"admin.conf\": must be an absolute path on the node"},
    {"relative super-admin", relative_super_admin,
     "--superAdminConfigPath \"super-admin.conf\": must be an absolute path on the node"},
    {"namespace", bad_namespace, "--namespace \"Kube_System\": not a valid Kubernetes namespace"},
    {"lease", bad_lease,
     "--leaseName \"plndr/cp/lock\": not a Lease name (NAME or NAMESPACE/NAME, lowercase DNS "
     "names)"},
    {"empty image", empty_image, "--image \"\": must be a non-empty image reference"},
    {"etcd CA alone", etcd_ca_alone,
     "--etcdCACert \"/etc/kubernetes/pki/etcd/ca.crt\": needs --etcdEndpoints"},
    {"etcd https, no files", etcd_https_no_files,
     "--etcdEndpoints \"https://127.0.0.1:2379\": an https endpoint needs --etcdCACert, "
     "--etcdCert and --etcdKey"},
    {"etcd endpoint", etcd_bad_endpoint,
     "--etcdEndpoints \"127.0.0.1:2379\": expected 1 to 8 comma-separated http:// or https:// "
     "URLs"},
    {"etcd empty endpoint", etcd_empty_endpoint,
     "--etcdEndpoints \"https://a:2379,\": expected 1 to 8 comma-separated http:// or https:// "
     "URLs"},
    {"etcd 9 endpoints", etcd_nine_endpoints,
     "--etcdEndpoints \"http://a,http://b,http://c,http://d,http://e,http://f,http://g,http://"
     "h,http://i\": expected 1 to 8 comma-separated http:// or https:// URLs"},
    {"etcd no key", etcd_no_key,
     "--etcdKey is missing: etcd TLS needs all of --etcdCACert, --etcdCert and --etcdKey, or "
     "none"},
    {"etcd other dir", etcd_other_dir,
     "--etcdKey \"/etc/kubernetes/pki/healthcheck-client.key\": must be in the directory of "
     "--etcdCACert (/etc/kubernetes/pki/etcd), the one mounted into the pod"},
    {"etcd relative", etcd_relative,
     "--etcdCert \"healthcheck-client.crt\": must be an absolute path on the node"},
    {"etcd in /", etcd_in_root,
     "--etcdCACert \"/ca.crt\": must be in a directory below / (the directory is mounted into "
     "the pod)"},
    {"etcd newline", etcd_newline, "--etcdEndpoints: control character 0x0a at byte 22"},
};

/* Each refusal: -EINVAL, the exact line, and not one byte of manifest written. */
Test(manifest, refusals_name_the_option)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		struct manifest_opts o;
		control_plane(&o, "192.168.49.254");
		bad_cases[i].change(&o);
		char why[256] = "";
		int rc;
		char *got = render(&o, &rc, why, sizeof(why));
		cr_expect_eq(rc, -EINVAL, "%s: rc %d", bad_cases[i].label, rc);
		cr_expect_str_eq(why, bad_cases[i].why, "%s", bad_cases[i].label);
		cr_expect_str_eq(got, "", "%s: wrote output", bad_cases[i].label);
		free(got);
	}
}
