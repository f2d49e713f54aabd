/*
 * cmd_manifest.c — `vipd manifest pod`: kube-vip's `manifest pod` flags, plus vipd's etcd backend
 * flags, in; the static pod for /etc/kubernetes/manifests out on stdout. Flag parsing only; the
 * manifest is manifest.c's.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "manifest.h"

static const char manifest_usage[] =
    "usage: vipd manifest pod --address IP [flags]    (writes the static pod to stdout)\n"
    "\n"
    "  --address IP               the VIP (required)\n"
    "  --interface IF             interface for the VIP (required with --arp)\n"
    "  --port N                   apiserver port (6443)\n"
    "  --controlplane             control-plane VIP (cp_enable)\n"
    "  --arp                      announce with gratuitous ARP / unsolicited NA\n"
    "  --leaderElection           elect one leader through a Lease\n"
    "  --enableLoadBalancer       IPVS load balancing of the apiservers\n"
    "  --lbPort N                 IPVS port on the VIP (6443)\n"
    "  --lbForwardingMethod M     local | masquerade | tunnel | directroute (local)\n"
    "  --k8sConfigPath PATH       kubeconfig on the node (/etc/kubernetes/admin.conf)\n"
    "  --superAdminConfigPath P   also mount kubeadm's super-admin.conf, used only while\n"
    "                             admin.conf is refused (kubeadm >= 1.29 init)\n"
    "  --kubernetesAddr URL       API server to use instead of the kubeconfig's (kubernetes_addr)\n"
    "  --image REF                container image (" MANIFEST_DEFAULT_IMAGE ")\n"
    "  --leaseName NAME           Lease name, NAME or NAMESPACE/NAME (plndr-cp-lock)\n"
    "  --leaseDuration S          lease duration in seconds (15)\n"
    "  --leaseRenewDuration S     renew deadline in seconds (10)\n"
    "  --leaseRetry S             retry period in seconds (2)\n"
    "  --prometheusHTTPServer A   metrics address, \"\" disables (:2112)\n"
    "  -n, --namespace NS         namespace of the Lease (kube-system)\n"
    "  --etcdEndpoints URLS       elect through etcd instead of a Lease: comma-separated\n"
    "                             http(s):// URLs (vipd_etcd_endpoints)\n"
    "  --etcdCACert PATH          etcd CA on the node (needed with an https endpoint)\n"
    "  --etcdCert PATH            etcd client certificate, in the CA's directory\n"
    "  --etcdKey PATH             its key, in the CA's directory (that directory is mounted)\n"
    "Boolean flags also take =true or =false, as kube-vip's do.\n";

enum {
	OPT_INTERFACE = 256,
	OPT_ADDRESS,
	OPT_PORT,
	OPT_CONTROLPLANE,
	OPT_ARP,
	OPT_LEADER_ELECTION,
	OPT_LOAD_BALANCER,
	OPT_LB_PORT,
	OPT_LB_FWD,
	OPT_K8S_CONFIG,
	OPT_SUPER_ADMIN,
	OPT_KUBERNETES_ADDR,
	OPT_IMAGE,
	OPT_LEASE_NAME,
	OPT_LEASE_DURATION,
	OPT_RENEW_DEADLINE,
	OPT_RETRY,
	OPT_PROMETHEUS,
	OPT_ETCD_ENDPOINTS,
	OPT_ETCD_CA,
	OPT_ETCD_CERT,
	OPT_ETCD_KEY,
};

static const struct option manifest_options[] = {
    {"interface", required_argument, NULL, OPT_INTERFACE},
    {"address", required_argument, NULL, OPT_ADDRESS},
    {"port", required_argument, NULL, OPT_PORT},
    {"controlplane", optional_argument, NULL, OPT_CONTROLPLANE},
    {"arp", optional_argument, NULL, OPT_ARP},
    {"leaderElection", optional_argument, NULL, OPT_LEADER_ELECTION},
    {"enableLoadBalancer", optional_argument, NULL, OPT_LOAD_BALANCER},
    {"lbPort", required_argument, NULL, OPT_LB_PORT},
    {"lbForwardingMethod", required_argument, NULL, OPT_LB_FWD},
    {"k8sConfigPath", required_argument, NULL, OPT_K8S_CONFIG},
    {"superAdminConfigPath", required_argument, NULL, OPT_SUPER_ADMIN},
    {"kubernetesAddr", required_argument, NULL, OPT_KUBERNETES_ADDR},
    {"image", required_argument, NULL, OPT_IMAGE},
    {"leaseName", required_argument, NULL, OPT_LEASE_NAME},
    {"leaseDuration", required_argument, NULL, OPT_LEASE_DURATION},
    {"leaseRenewDuration", required_argument, NULL, OPT_RENEW_DEADLINE},
    {"leaseRetry", required_argument, NULL, OPT_RETRY},
    {"prometheusHTTPServer", required_argument, NULL, OPT_PROMETHEUS},
    {"namespace", required_argument, NULL, 'n'},
    {"etcdEndpoints", required_argument, NULL, OPT_ETCD_ENDPOINTS},
    {"etcdCACert", required_argument, NULL, OPT_ETCD_CA},
    {"etcdCert", required_argument, NULL, OPT_ETCD_CERT},
    {"etcdKey", required_argument, NULL, OPT_ETCD_KEY},
    {"help", no_argument, NULL, 'h'},
    {0},
};

/* `--arp` or `--arp=true|false`. */
static int parse_bool(const char *name, const char *arg, bool *out)
{
	if (!arg || !strcmp(arg, "true"))
		return *out = true, 0;
	if (!strcmp(arg, "false"))
		return *out = false, 0;
	cli_fail("--%s \"%s\": must be true or false", name, arg);
	return -EINVAL;
}

static int parse_u16(const char *name, const char *arg, uint16_t *out)
{
	uint64_t v;
	int rc = cli_parse_uint(name, arg, 1, 65535, &v);
	if (rc == 0)
		*out = (uint16_t)v;
	return rc;
}

static int parse_seconds(const char *name, const char *arg, uint32_t *out)
{
	uint64_t v;
	int rc = cli_parse_uint(name, arg, 1, 3600, &v);
	if (rc == 0)
		*out = (uint32_t)v;
	return rc;
}

/* Flags that take a value; 0 or -EINVAL (already reported). */
static int apply_value(struct manifest_opts *o, int c, const char *arg)
{
	switch (c) {
	case OPT_INTERFACE:
		return o->interface = arg, 0;
	case OPT_ADDRESS:
		return o->address = arg, 0;
	case OPT_PORT:
		return parse_u16("--port", arg, &o->port);
	case OPT_LB_PORT:
		return parse_u16("--lbPort", arg, &o->lb_port);
	case OPT_LB_FWD:
		return o->lb_fwd_method = arg, 0;
	case OPT_K8S_CONFIG:
		return o->k8s_config_path = arg, 0;
	case OPT_SUPER_ADMIN:
		return o->super_admin_path = arg, 0;
	case OPT_KUBERNETES_ADDR:
		return o->kubernetes_addr = arg, 0;
	case OPT_IMAGE:
		return o->image = arg, 0;
	case OPT_LEASE_NAME:
		return o->lease_name = arg, 0;
	case OPT_LEASE_DURATION:
		return parse_seconds("--leaseDuration", arg, &o->lease_duration_s);
	case OPT_RENEW_DEADLINE:
		return parse_seconds("--leaseRenewDuration", arg, &o->renew_deadline_s);
	case OPT_RETRY:
		return parse_seconds("--leaseRetry", arg, &o->retry_period_s);
	case OPT_PROMETHEUS:
		return o->prometheus_server = arg, 0;
	case 'n':
		return o->namespace_ = arg, 0;
	case OPT_ETCD_ENDPOINTS:
		return o->etcd_endpoints = arg, 0;
	case OPT_ETCD_CA:
		return o->etcd_ca = arg, 0;
	case OPT_ETCD_CERT:
		return o->etcd_cert = arg, 0;
	case OPT_ETCD_KEY:
		return o->etcd_key = arg, 0;
	}
	return -EINVAL;
}

static int apply_option(struct manifest_opts *o, int c, const char *arg)
{
	switch (c) {
	case OPT_CONTROLPLANE:
		return parse_bool("controlplane", arg, &o->controlplane);
	case OPT_ARP:
		return parse_bool("arp", arg, &o->arp);
	case OPT_LEADER_ELECTION:
		return parse_bool("leaderElection", arg, &o->leader_election);
	case OPT_LOAD_BALANCER:
		return parse_bool("enableLoadBalancer", arg, &o->load_balancer);
	}
	return apply_value(o, c, arg);
}

/* getopt_long over argv (argv[0] = "pod"); 0, 1 for --help, or the exit code 2. */
static int parse_flags(int argc, char **argv, struct manifest_opts *o)
{
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":n:h", manifest_options, NULL)) != -1) {
		if (c == 'h')
			return 1;
		if (c == '?')
			return cli_fail("manifest pod: unknown option \"%s\" (see vipd manifest "
					"pod --help)",
					argv[optind - 1]);
		if (c == ':')
			return cli_fail("%s: needs a value", argv[optind - 1]);
		if (apply_option(o, c, optarg) < 0)
			return 2;
	}
	if (optind < argc)
		return cli_fail("manifest pod: unexpected argument \"%s\"", argv[optind]);
	return 0;
}

int cmd_manifest(int argc, char **argv)
{
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
		return fputs(manifest_usage, stdout), 0;
	if (argc < 2 || strcmp(argv[1], "pod"))
		return fputs(manifest_usage, stderr), 2;
	struct manifest_opts o;
	manifest_opts_defaults(&o);
	int rc = parse_flags(argc - 1, argv + 1, &o);
	if (rc == 1)
		return fputs(manifest_usage, stdout), 0;
	if (rc != 0)
		return rc;
	char why[256];
	rc = manifest_pod_write(&o, stdout, why, sizeof(why));
	if (rc == -EINVAL)
		return cli_fail("%s", why);
	return rc < 0 ? (cli_fail("%s", why), 1) : 0;
}
