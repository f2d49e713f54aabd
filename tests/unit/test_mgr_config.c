/*
 * test_mgr_config.c — `vipd manager`'s settings: every kube-vip variable and flag with good and
 * bad values and the exact one-line messages, the defaults, flags over environment, the
 * deprecation warnings, the timing margin that keeps the VIP from outliving the lease, and the
 * printed configuration of a minikube node.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mgr_config.h"

#define ENV(...)     ((char *const[]){__VA_ARGS__, NULL})
#define ARGS(...)    ((char *const[]){__VA_ARGS__, NULL})
#define N(a)	     (sizeof(a) / sizeof((a)[0]))
#define BASE_ADDRESS "address=192.0.2.254"

struct result {
	int rc;
	bool check;
	struct mgr_config c;
	char why[1024];
	char *printed;
};

/* Parses `env` and `args` (the flags after "manager") as node "node-1". */
static struct result *run_host(char *const *env, char *const *args, const char *host)
{
	struct result *r = calloc(1, sizeof(*r));
	char *argv[64] = {"manager"};
	int argc = 1;
	for (; args && args[argc - 1] && argc < 64; argc++)
		argv[argc] = args[argc - 1];
	r->rc = mgr_config_parse(env, argc, argv, host, &r->c, &r->check, r->why, sizeof(r->why));
	size_t len;
	FILE *f = open_memstream(&r->printed, &len);
	mgr_config_print(&r->c, f);
	fclose(f);
	return r;
}

static struct result *run(char *const *env, char *const *args)
{
	return run_host(env, args, "node-1");
}

static void done(struct result *r)
{
	free(r->printed);
	free(r);
}

/* Whether the printed configuration has the line `line`. */
static bool has_line(const struct result *r, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = r->printed; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (len == n && !memcmp(p, line, n))
			return true;
		p += len + (nl ? 1 : 0);
	}
	return false;
}

/* ---- Defaults ---------------------------------------------------------------------------- */

static const char defaults_printed[] = "vip_interface=\n"
				       "address=192.0.2.254/32\n"
				       "port=6443\n"
				       "vip_arp=false\n"
				       "vip_arpRate=3000\n"
				       "vip_skipdad=false\n"
				       "cp_enable=false\n"
				       "svc_enable=false\n"
				       "vip_preserve_on_leadership_loss=false\n"
				       "vip_loseleadership=false\n"
				       "vip_loseleadership_timeout_seconds=30\n"
				       "vip_allow_interface_not_up=false\n"
				       "vip_leaderelection=false\n"
				       "cp_namespace=kube-system\n"
				       "vip_leasename=plndr-cp-lock\n"
				       "vip_nodename=node-1\n"
				       "vip_leaseduration=15\n"
				       "vip_renewdeadline=10\n"
				       "vip_retryperiod=2\n"
				       "vip_leaseannotations=\n"
				       "vipd_etcd_endpoints=\n"
				       "vipd_etcd_cacert=\n"
				       "vipd_etcd_cert=\n"
				       "vipd_etcd_key=\n"
				       "k8s_config_file=/etc/kubernetes/admin.conf\n"
				       "vipd_super_admin_kubeconfig=\n"
				       "kubernetes_addr=\n"
				       "lb_enable=false\n"
				       "lb_port=6443\n"
				       "lb_fwdmethod=local\n"
				       "backend_health_check_interval=5\n"
				       "vipd_health_gate=true\n"
				       "vipd_health_gate_failures=3\n"
				       "vipd_health_gate_interval=1s\n"
				       "vipd_health_gate_url=https://127.0.0.1:6443/readyz\n"
				       "prometheus_server=:2112\n"
				       "health_check_port=0\n"
				       "vip_loglevel=info\n";

Test(mgr_config, defaults_are_kube_vips)
{
	struct result *r = run(ENV(BASE_ADDRESS), NULL);
	cr_assert_eq(r->rc, 0, "%s", r->why);
	cr_assert_str_eq(r->printed, defaults_printed);
	cr_assert_eq(r->c.election.t.lease_ms, 15000);
	cr_assert_eq(r->c.election.t.renew_ms, 10000);
	cr_assert_eq(r->c.election.t.retry_ms, 2000);
	cr_assert_eq(r->c.backend, MGR_BACKEND_LEASE);
	cr_assert_eq(r->c.log_level, LOG_INFO);
	cr_assert_eq(r->c.n_warnings, 0);
	cr_assert_not(r->check);
	done(r);
}

Test(mgr_config, defaults_function_matches_parse_of_nothing_but_address)
{
	struct mgr_config d;
	mgr_config_defaults(&d);
	cr_assert_eq(d.port, 6443);
	cr_assert_eq(d.arp_rate_ms, 3000);
	cr_assert_eq(d.lb_port, 6443);
	cr_assert_eq(d.backend_hc_interval_s, 5);
	cr_assert_eq(d.health_gate, true);
	cr_assert_eq(d.health_gate_failures, 3);
	cr_assert_eq(d.health_gate_interval_ms, 1000);
	cr_assert_eq(d.lose_leadership_timeout_s, 30);
	cr_assert_str_eq(d.prometheus_server, ":2112");
	cr_assert_str_eq(d.kubeconfig, "/etc/kubernetes/admin.conf");
	cr_assert_str_eq(d.election.ns, "kube-system");
	cr_assert_str_eq(d.election.name, "plndr-cp-lock");
	cr_assert_str_eq(d.election.identity, "");
}

/* ---- Good values ------------------------------------------------------------------------- */

struct good_case {
	const char *env;
	const char *line; /* expected in the printed configuration */
};

static const struct good_case good_env[] = {
    {"vip_interface=eth0", "vip_interface=eth0"},
    {"vip_interface=enp0s31f6abcdef", "vip_interface=enp0s31f6abcdef"},
    {"vip_interface=", "vip_interface="},
    {"address=2001:db8::10", "address=2001:db8::10/128"},
    {"address=10.0.0.5/24", "address=10.0.0.5/24"},
    {"vip_subnet=24", "address=192.0.2.254/24"},
    {"vip_subnet=/16", "address=192.0.2.254/16"},
    {"port=8443", "port=8443"},
    {"port=1", "port=1"},
    {"port=65535", "port=65535"},
    {"port=08443", "port=8443"},
    {"vip_arp=true", "vip_arp=true"},
    {"vip_arp=TRUE", "vip_arp=true"},
    {"vip_arp=True", "vip_arp=true"},
    {"vip_arp=1", "vip_arp=true"},
    {"vip_arp=t", "vip_arp=true"},
    {"vip_arp=yes", "vip_arp=true"},
    {"vip_arp=Yes", "vip_arp=true"},
    {"vip_arp=false", "vip_arp=false"},
    {"vip_arp=0", "vip_arp=false"},
    {"vip_arp=F", "vip_arp=false"},
    {"vip_arp=NO", "vip_arp=false"},
    {"vip_arpRate=500", "vip_arpRate=500"},
    {"vip_arpRate=4294967295", "vip_arpRate=4294967295"},
    {"vip_skipdad=true", "vip_skipdad=true"},
    {"cp_enable=true", "cp_enable=true"},
    {"svc_enable=false", "svc_enable=false"},
    {"vip_preserve_on_leadership_loss=true", "vip_preserve_on_leadership_loss=true"},
    {"vip_loseleadership=true", "vip_loseleadership=true"},
    {"vip_loseleadership_timeout_seconds=1", "vip_loseleadership_timeout_seconds=1"},
    {"vip_loseleadership_timeout_seconds=86400", "vip_loseleadership_timeout_seconds=86400"},
    {"vip_allow_interface_not_up=yes", "vip_allow_interface_not_up=true"},
    {"vip_leaderelection=true", "vip_leaderelection=true"},
    {"cp_namespace=kube-public", "cp_namespace=kube-public"},
    {"vip_leasename=my-lock", "vip_leasename=my-lock"},
    {"vip_leasename=other/lock", "cp_namespace=other"},
    {"vip_leasename=other/lock.v2", "vip_leasename=lock.v2"},
    {"vip_nodename=cp-1", "vip_nodename=cp-1"},
    {"vip_leaseduration=30", "vip_leaseduration=30"},
    {"vip_renewdeadline=5", "vip_renewdeadline=5"},
    {"vip_retryperiod=3", "vip_retryperiod=3"},
    {"vip_leaseannotations={\"a\": \"b\",\n \"c\":\"d\"}",
     "vip_leaseannotations={\"a\":\"b\",\"c\":\"d\"}"},
    {"vip_leaseannotations={}", "vip_leaseannotations={}"},
    {"vipd_etcd_endpoints=https://10.0.0.1:2379,https://10.0.0.2:2379",
     "vipd_etcd_endpoints=https://10.0.0.1:2379,https://10.0.0.2:2379"},
    {"k8s_config_file=/etc/kubernetes/super-admin.conf",
     "k8s_config_file=/etc/kubernetes/super-admin.conf"},
    {"vipd_super_admin_kubeconfig=/etc/kubernetes/super-admin.conf",
     "vipd_super_admin_kubeconfig=/etc/kubernetes/super-admin.conf"},
    {"kubernetes_addr=kubernetes:8443", "kubernetes_addr=kubernetes:8443"},
    {"lb_enable=true", "lb_enable=true"},
    {"lb_port=8443", "lb_port=8443"},
    {"lb_fwdmethod=masquerade", "lb_fwdmethod=masquerade"},
    {"lb_fwdmethod=Tunnel", "lb_fwdmethod=tunnel"},
    {"lb_fwdmethod=directroute", "lb_fwdmethod=directroute"},
    {"lb_fwdmethod=local", "lb_fwdmethod=local"},
    {"backend_health_check_interval=1", "backend_health_check_interval=1"},
    {"vipd_health_gate=false", "vipd_health_gate=false"},
    {"vipd_health_gate_failures=1", "vipd_health_gate_failures=1"},
    {"vipd_health_gate_failures=100", "vipd_health_gate_failures=100"},
    {"vipd_health_gate_interval=500ms", "vipd_health_gate_interval=500ms"},
    {"vipd_health_gate_interval=2", "vipd_health_gate_interval=2s"},
    {"vipd_health_gate_interval=1.5s", "vipd_health_gate_interval=1500ms"},
    {"vipd_health_gate_interval=100ms", "vipd_health_gate_interval=100ms"},
    {"vipd_health_gate_interval=1m", "vipd_health_gate_interval=60s"},
    {"vipd_health_gate_url=http://127.0.0.1:8080/livez",
     "vipd_health_gate_url=http://127.0.0.1:8080/livez"},
    {"prometheus_server=", "prometheus_server="},
    {"prometheus_server=127.0.0.1:9100", "prometheus_server=127.0.0.1:9100"},
    {"prometheus_server=[::1]:2112", "prometheus_server=[::1]:2112"},
    {"health_check_port=0", "health_check_port=0"},
    {"health_check_port=8080", "health_check_port=8080"},
    {"vip_loglevel=5", "vip_loglevel=debug"},
    {"vip_loglevel=4", "vip_loglevel=info"},
    {"vip_loglevel=warn", "vip_loglevel=warn"},
    {"vip_loglevel=error", "vip_loglevel=error"},
    {"vip_loglevel=debug", "vip_loglevel=debug"},
    {"dns_mode=ipv6", "address=192.0.2.254/32"},
    {"not_ours=whatever", "address=192.0.2.254/32"},
    {"no_equals_sign", "address=192.0.2.254/32"},
};

Test(mgr_config, good_environment_values)
{
	for (size_t i = 0; i < N(good_env); i++) {
		struct result *r = run(ENV((char *)good_env[i].env, BASE_ADDRESS), NULL);
		cr_assert_eq(r->rc, 0, "%s: %s", good_env[i].env, r->why);
		cr_assert(has_line(r, good_env[i].line), "%s: no line \"%s\" in\n%s",
			  good_env[i].env, good_env[i].line, r->printed);
		done(r);
	}
}

Test(mgr_config, values_land_in_the_struct)
{
	struct result *r =
	    run(ENV("vip_arpRate=750", "vip_leaseduration=20", "vip_renewdeadline=12",
		    "vip_retryperiod=3", "lb_fwdmethod=masquerade", "vip_loglevel=debug",
		    "vipd_health_gate_interval=250ms", "vip_leaseannotations={\"k\":\"v\"}",
		    "vipd_etcd_endpoints=http://a:2379,http://b:2379", BASE_ADDRESS),
		NULL);
	cr_assert_eq(r->rc, 0, "%s", r->why);
	cr_assert_eq(r->c.arp_rate_ms, 750);
	cr_assert_eq(r->c.election.t.lease_ms, 20000);
	cr_assert_eq(r->c.election.t.renew_ms, 12000);
	cr_assert_eq(r->c.election.t.retry_ms, 3000);
	cr_assert_eq(r->c.lb_fwd, MGR_FWD_MASQUERADE);
	cr_assert_eq(r->c.log_level, LOG_DEBUG);
	cr_assert_eq(r->c.health_gate_interval_ms, 250);
	cr_assert_str_eq(r->c.lease_annotations, "{\"k\":\"v\"}");
	cr_assert_eq(r->c.n_etcd_endpoints, 2);
	cr_assert_str_eq(r->c.etcd_endpoints[1], "http://b:2379");
	cr_assert_eq(r->c.backend, MGR_BACKEND_ETCD);
	cr_assert_eq(r->c.vip.family, AF_INET);
	cr_assert_str_eq(r->c.address_text, "192.0.2.254");
	done(r);
}

/* ---- Bad values ---------------------------------------------------------------------------- */

struct bad_case {
	const char *env;
	const char *why;
};

static const struct bad_case bad_env[] = {
    {"address=kube.example.com",
     "address \"kube.example.com\": expected an IP address (vipd does not resolve names)"},
    {"address=localhost",
     "address \"localhost\": expected an IP address (vipd does not resolve names)"},
    {"address=300.1.1.1", "address \"300.1.1.1\": not an IPv4 or IPv6 address"},
    {"address=10.0.0.1/33", "address \"10.0.0.1/33\": prefix length \"33\": must be 0..32"},
    {"address=,10.0.0.1", "address \",10.0.0.1\": expected an IP address"},
    {"address=10.0.0.1 ", "address \"10.0.0.1 \": not an IPv4 or IPv6 address"},
    {"vip_subnet=33", "vip_subnet \"33\": expected a prefix length 0..32"},
    {"vip_subnet=abc", "vip_subnet \"abc\": expected a prefix length 0..32"},
    {"vip_cidr=40", "vip_cidr \"40\": expected a prefix length 0..32"},
    {"vip_interface=eth0:1",
     "vip_interface \"eth0:1\": expected a network interface name of 1 to 15 bytes without "
     "'/', ':' or spaces"},
    {"vip_interface=enp0s31f6abcdefg",
     "vip_interface \"enp0s31f6abcdefg\": expected a network interface name of 1 to 15 bytes "
     "without '/', ':' or spaces"},
    {"vip_interface=eth\n0", "vip_interface \"eth\\x0a0\": contains a control character"},
    {"vip_interface=0123456789012345678901234567890123456789",
     "vip_interface \"0123456789012345678901234567890123456789\": longer than 31 bytes"},
    {"port=0", "port \"0\": expected a port 1..65535"},
    {"port=65536", "port \"65536\": expected a port 1..65535"},
    {"port=-1", "port \"-1\": expected a port 1..65535"},
    {"port= 80", "port \" 80\": expected a port 1..65535"},
    {"port=80x", "port \"80x\": expected a port 1..65535"},
    {"port=99999999999999999999999", "port \"99999999999999999999999\": expected a port 1..65535"},
    {"vip_arp=maybe", "vip_arp \"maybe\": expected true or false (or 1/0, yes/no)"},
    {"vip_arp=y", "vip_arp \"y\": expected true or false (or 1/0, yes/no)"},
    {"vip_arpRate=fast", "vip_arpRate \"fast\": expected a whole number of milliseconds >= 500"},
    {"vip_arpRate=499", "vip_arpRate \"499\": expected a whole number of milliseconds >= 500"},
    {"vip_arpRate=4294967296",
     "vip_arpRate \"4294967296\": expected a whole number of milliseconds >= 500"},
    {"vip_skipdad=2", "vip_skipdad \"2\": expected true or false (or 1/0, yes/no)"},
    {"cp_enable=on", "cp_enable \"on\": expected true or false (or 1/0, yes/no)"},
    {"svc_enable=x", "svc_enable \"x\": expected true or false (or 1/0, yes/no)"},
    {"vip_preserve_on_leadership_loss=x",
     "vip_preserve_on_leadership_loss \"x\": expected true or false (or 1/0, yes/no)"},
    {"vip_loseleadership=x", "vip_loseleadership \"x\": expected true or false (or 1/0, yes/no)"},
    {"vip_loseleadership_timeout_seconds=0",
     "vip_loseleadership_timeout_seconds \"0\": expected a whole number of seconds 1..86400"},
    {"vip_allow_interface_not_up=x",
     "vip_allow_interface_not_up \"x\": expected true or false (or 1/0, yes/no)"},
    {"vip_leaderelection=enabled",
     "vip_leaderelection \"enabled\": expected true or false (or 1/0, yes/no)"},
    {"cp_namespace=Kube_System",
     "cp_namespace \"Kube_System\": expected a Kubernetes namespace (lowercase letters, digits "
     "and '-', at most 63)"},
    {"vip_leasename=Bad_Name",
     "vip_leasename \"Bad_Name\": name \"Bad_Name\" is not a valid Kubernetes object name"},
    {"vip_leasename=bad_ns/lock",
     "vip_leasename \"bad_ns/lock\": namespace \"bad_ns\" is not a valid Kubernetes namespace"},
    {"vip_leasename=ns/", "vip_leasename \"ns/\": name \"\" is not a valid Kubernetes object name"},
    {"vip_nodename=has space",
     "vip_nodename \"has space\": only printable ASCII without spaces or quotes"},
    {"vip_nodename=say\"hi\"",
     "vip_nodename \"say\\\"hi\\\"\": only printable ASCII without spaces or quotes"},
    {"vip_nodename=tab\there", "vip_nodename \"tab\\x09here\": contains a control character"},
    {"vip_leaseduration=0", "vip_leaseduration \"0\": expected a whole number of seconds 1..3600"},
    {"vip_leaseduration=1.5",
     "vip_leaseduration \"1.5\": expected a whole number of seconds 1..3600"},
    {"vip_leaseduration=3601",
     "vip_leaseduration \"3601\": expected a whole number of seconds 1..3600"},
    {"vip_renewdeadline=abc",
     "vip_renewdeadline \"abc\": expected a whole number of seconds 1..3600"},
    {"vip_retryperiod=-1", "vip_retryperiod \"-1\": expected a whole number of seconds 1..3600"},
    {"vip_leaseannotations=[1]",
     "vip_leaseannotations \"[1]\": expected a JSON object of strings, e.g. {\"a\":\"b\"}"},
    {"vip_leaseannotations=not json",
     "vip_leaseannotations \"not json\": expected a JSON object of strings, e.g. {\"a\":\"b\"}"},
    {"vip_leaseannotations={\"a\":1}",
     "vip_leaseannotations \"{\\\"a\\\":1}\": expected a JSON object of strings (\"a\" is not)"},
    {"vip_leaseannotations={\"a\\nb\":[]}",
     "vip_leaseannotations \"{\\\"a\\\\nb\\\":[]}\": expected a JSON object of strings "
     "(\"a\\x0ab\" is not)"},
    {"vip_leaseannotations={\"a\":\"b\",\"a\":\"c\"}",
     "vip_leaseannotations \"{\\\"a\\\":\\\"b\\\",\\\"a\\\":\\\"c\\\"}\": expected a JSON "
     "object of strings, e.g. {\"a\":\"b\"}"},
    {"vipd_etcd_endpoints=10.0.0.1:2379",
     "vipd_etcd_endpoints \"10.0.0.1:2379\": expected comma-separated http:// or https:// URLs"},
    {"vipd_etcd_endpoints=https://a,,https://b",
     "vipd_etcd_endpoints \"https://a,,https://b\": expected comma-separated http:// or https:// "
     "URLs"},
    {"vipd_etcd_endpoints=http://a,http://b,http://c,http://d,http://e,http://f,http://g,"
     "http://h,http://i",
     "vipd_etcd_endpoints \"http://a,http://b,http://c,http://d,http://e,http://f,http://g,"
     "h...\": expected at most 8 endpoints"},
    {"lb_enable=x", "lb_enable \"x\": expected true or false (or 1/0, yes/no)"},
    {"lb_port=0", "lb_port \"0\": expected a port 1..65535"},
    {"lb_port=70000", "lb_port \"70000\": expected a port 1..65535"},
    {"lb_fwdmethod=nat", "lb_fwdmethod \"nat\": expected local, masquerade, tunnel or directroute"},
    {"backend_health_check_interval=0",
     "backend_health_check_interval \"0\": expected a whole number of seconds 1..3600"},
    {"vipd_health_gate=x", "vipd_health_gate \"x\": expected true or false (or 1/0, yes/no)"},
    {"vipd_health_gate_failures=0",
     "vipd_health_gate_failures \"0\": expected a whole number 1..100"},
    {"vipd_health_gate_failures=101",
     "vipd_health_gate_failures \"101\": expected a whole number 1..100"},
    {"vipd_health_gate_interval=50ms",
     "vipd_health_gate_interval \"50ms\": expected a duration 100ms..60s (e.g. 1s, 500ms)"},
    {"vipd_health_gate_interval=61s",
     "vipd_health_gate_interval \"61s\": expected a duration 100ms..60s (e.g. 1s, 500ms)"},
    {"vipd_health_gate_interval=-1s",
     "vipd_health_gate_interval \"-1s\": expected a duration 100ms..60s (e.g. 1s, 500ms)"},
    {"vipd_health_gate_interval=soon",
     "vipd_health_gate_interval \"soon\": expected a duration 100ms..60s (e.g. 1s, 500ms)"},
    {"vipd_health_gate_url=ftp://x",
     "vipd_health_gate_url \"ftp://x\": expected an http:// or https:// URL"},
    {"vipd_health_gate_url=https://",
     "vipd_health_gate_url \"https://\": expected an http:// or https:// URL"},
    {"prometheus_server=2112",
     "prometheus_server \"2112\": expected [host]:port such as :2112 (empty disables)"},
    {"prometheus_server=:0",
     "prometheus_server \":0\": expected [host]:port such as :2112 (empty disables)"},
    {"prometheus_server=:99999",
     "prometheus_server \":99999\": expected [host]:port such as :2112 (empty disables)"},
    {"health_check_port=65536", "health_check_port \"65536\": expected 0 (off) or a port 1..65535"},
    {"vip_loglevel=verbose",
     "vip_loglevel \"verbose\": expected debug, info, warn, error or a kube-vip level number 0..9"},
    {"vip_loglevel=10",
     "vip_loglevel \"10\": expected debug, info, warn, error or a kube-vip level number 0..9"},
};

Test(mgr_config, bad_environment_values_are_named)
{
	for (size_t i = 0; i < N(bad_env); i++) {
		struct result *r = run(ENV((char *)bad_env[i].env, BASE_ADDRESS), NULL);
		cr_assert_eq(r->rc, -EINVAL, "accepted %s", bad_env[i].env);
		cr_assert_str_eq(r->why, bad_env[i].why);
		cr_assert_null(strchr(r->why, '\n'));
		done(r);
	}
}

Test(mgr_config, too_long_values_are_errors_not_truncated)
{
	char addr[400], kubeconfig[700], expect[200];
	memset(addr, 'a', sizeof(addr));
	memcpy(addr, "kubernetes_addr=", 16);
	addr[sizeof(addr) - 1] = '\0';
	struct result *r = run(ENV(addr, BASE_ADDRESS), NULL);
	cr_assert_eq(r->rc, -EINVAL);
	snprintf(expect, sizeof(expect), "kubernetes_addr \"%.64s...\": longer than 255 bytes",
		 addr + 16);
	cr_assert_str_eq(r->why, expect);
	done(r);

	memset(kubeconfig, 'k', sizeof(kubeconfig));
	memcpy(kubeconfig, "k8s_config_file=/", 17);
	kubeconfig[sizeof(kubeconfig) - 1] = '\0';
	r = run(ENV(kubeconfig, BASE_ADDRESS), NULL);
	cr_assert_eq(r->rc, -EINVAL);
	cr_assert(strstr(r->why, "longer than 511 bytes"), "%s", r->why);
	done(r);

	char big_addr[300] = "address=192.0.2.1,";
	memset(big_addr + 18, '1', sizeof(big_addr) - 19);
	big_addr[sizeof(big_addr) - 1] = '\0';
	r = run(ENV(big_addr), NULL);
	cr_assert_eq(r->rc, -EINVAL);
	cr_assert(strstr(r->why, "longer than 255 bytes"), "%s", r->why);
	done(r);
}

Test(mgr_config, address_is_required)
{
	struct result *r = run(ENV("vip_interface=eth0"), NULL);
	cr_assert_eq(r->rc, -EINVAL);
	cr_assert_str_eq(r->why, "address \"\": required: the virtual IP to serve");
	done(r);
	r = run(ENV("address="), NULL); /* empty is unset, as in kube-vip */
	cr_assert_str_eq(r->why, "address \"\": required: the virtual IP to serve");
	done(r);
	r = run(NULL, NULL);
	cr_assert_str_eq(r->why, "address \"\": required: the virtual IP to serve");
	done(r);
}

Test(mgr_config, first_of_duplicate_variables_wins)
{
	struct result *r = run(ENV("port=1111", "port=2222", BASE_ADDRESS), NULL);
	cr_assert_eq(r->rc, 0, "%s", r->why);
	cr_assert_eq(r->c.port, 1111);
	done(r);
}

/* ---- Warnings ---------------------------------------------------------------------------- */

Test(mgr_config, vip_cidr_is_a_deprecated_alias)
{
	struct result *r = run(ENV("vip_cidr=32", BASE_ADDRESS), NULL);
	cr_assert_eq(r->rc, 0, "%s", r->why);
	cr_assert(has_line(r, "address=192.0.2.254/32"));
	cr_assert_eq(r->c.n_warnings, 1);
	cr_assert_str_eq(r->c.warnings[0],
			 "vip_cidr \"32\": deprecated since kube-vip v0.9.0; used as vip_subnet");
	done(r);

	r = run(ENV("vip_cidr=24", BASE_ADDRESS), NULL);
	cr_assert(has_line(r, "address=192.0.2.254/24"));
	done(r);

	r = run(ENV("vip_cidr=24", "vip_subnet=28", BASE_ADDRESS), NULL);
	cr_assert_eq(r->rc, 0, "%s", r->why);
	cr_assert(has_line(r, "address=192.0.2.254/28"));
	cr_assert_eq(r->c.n_warnings, 1);
	cr_assert_str_eq(r->c.warnings[0], "vip_cidr \"24\": deprecated since kube-vip v0.9.0; "
					   "ignored because vip_subnet is set");
	done(r);
}

Test(mgr_config, other_warnings)
{
	struct result *r = run(ENV("svc_enable=true", "address=192.0.2.1,192.0.2.2"), NULL);
	cr_assert_eq(r->rc, 0, "%s", r->why);
	cr_assert_eq(r->c.n_warnings, 2);
	cr_assert_str_eq(
	    r->c.warnings[0],
	    "address \"192.0.2.1,192.0.2.2\": vipd serves one VIP; using 192.0.2.1 only");
	cr_assert_str_eq(r->c.warnings[1],
			 "svc_enable \"true\": services load balancing is not supported by vipd; "
			 "ignored");
	cr_assert(has_line(r, "address=192.0.2.1/32"));
	cr_assert_str_eq(r->c.address_text, "192.0.2.1,192.0.2.2");
	done(r);
}

/* ---- Flags ------------------------------------------------------------------------------- */

static const struct good_case good_flags[] = {
    {"--interface=eth1", "vip_interface=eth1"},
    {"--address=10.1.1.1", "address=10.1.1.1/32"},
    {"--port=9443", "port=9443"},
    {"--arp", "vip_arp=true"},
    {"--arp=false", "vip_arp=false"},
    {"--arp=true", "vip_arp=true"},
    {"--controlplane", "cp_enable=true"},
    {"--leaderElection", "vip_leaderelection=true"},
    {"--enableLoadBalancer", "lb_enable=true"},
    {"--lbPort=7443", "lb_port=7443"},
    {"--lbForwardingMethod=masquerade", "lb_fwdmethod=masquerade"},
    {"--leaseName=other-lock", "vip_leasename=other-lock"},
    {"--leaseDuration=20", "vip_leaseduration=20"},
    {"--leaseRenewDuration=8", "vip_renewdeadline=8"},
    {"--leaseRetry=1", "vip_retryperiod=1"},
    {"--namespace=ns1", "cp_namespace=ns1"},
    {"--nodeName=n1", "vip_nodename=n1"},
    {"--k8sConfigPath=/a.conf", "k8s_config_file=/a.conf"},
    {"--prometheusHTTPServer=:9000", "prometheus_server=:9000"},
    {"--prometheusHTTPServer=", "prometheus_server="},
    {"--etcdEndpoints=http://e:2379", "vipd_etcd_endpoints=http://e:2379"},
    {"--log=debug", "vip_loglevel=debug"},
    {"--log=5", "vip_loglevel=debug"},
    {"--vipSubnet=24", "address=192.0.2.254/24"},
    {"--healthCheckPort=9999", "health_check_port=9999"},
    {"--services", "svc_enable=true"},
    {"--allowInterfaceNotUp", "vip_allow_interface_not_up=true"},
    {"--preserveVipOnLeadershipLoss", "vip_preserve_on_leadership_loss=true"},
    {"--loseLeadership", "vip_loseleadership=true"},
    {"--leaderElectionType=kubernetes", "address=192.0.2.254/32"},
};

Test(mgr_config, every_flag_with_equals)
{
	for (size_t i = 0; i < N(good_flags); i++) {
		struct result *r = run(ENV(BASE_ADDRESS), ARGS((char *)good_flags[i].env));
		cr_assert_eq(r->rc, 0, "%s: %s", good_flags[i].env, r->why);
		cr_assert(has_line(r, good_flags[i].line), "%s: no line \"%s\" in\n%s",
			  good_flags[i].env, good_flags[i].line, r->printed);
		done(r);
	}
}

/* `--flag value`: the same flags, the value as the next argument. */
Test(mgr_config, every_flag_with_a_separate_value)
{
	for (size_t i = 0; i < N(good_flags); i++) {
		const char *eq = strchr(good_flags[i].env, '=');
		if (!eq)
			continue;
		char name[64];
		snprintf(name, sizeof(name), "%.*s", (int)(eq - good_flags[i].env),
			 good_flags[i].env);
		if (!strcmp(name, "--arp"))
			continue; /* booleans take no separate value */
		struct result *r = run(ENV(BASE_ADDRESS), ARGS(name, (char *)eq + 1));
		cr_assert_eq(r->rc, 0, "%s: %s", good_flags[i].env, r->why);
		cr_assert(has_line(r, good_flags[i].line), "%s %s", name, eq + 1);
		done(r);
	}
}

Test(mgr_config, flags_override_the_environment)
{
	struct result *r =
	    run(ENV("port=6443", "vip_arp=true", "vip_interface=eth0", "vip_leasename=env-lock",
		    "vip_nodename=env-node", "vip_leaseduration=30", "prometheus_server=:1111",
		    "address=192.0.2.1"),
		ARGS("--port", "8443", "--arp=false", "--interface", "eth9",
		     "--leaseName=flag-lock", "--nodeName", "flag-node", "--leaseDuration=20",
		     "--prometheusHTTPServer=", "--address", "192.0.2.2"));
	cr_assert_eq(r->rc, 0, "%s", r->why);
	cr_assert(has_line(r, "port=8443"));
	cr_assert(has_line(r, "vip_arp=false"));
	cr_assert(has_line(r, "vip_interface=eth9"));
	cr_assert(has_line(r, "vip_leasename=flag-lock"));
	cr_assert(has_line(r, "vip_nodename=flag-node"));
	cr_assert(has_line(r, "vip_leaseduration=20"));
	cr_assert(has_line(r, "prometheus_server="));
	cr_assert(has_line(r, "address=192.0.2.2/32"));
	cr_assert(has_line(r, "vipd_health_gate_url=https://127.0.0.1:8443/readyz"));
	done(r);
}

Test(mgr_config, last_flag_wins)
{
	struct result *r = run(ENV(BASE_ADDRESS), ARGS("--port=1", "--port", "2"));
	cr_assert_eq(r->c.port, 2);
	done(r);
}

Test(mgr_config, check_flag)
{
	struct result *r = run(ENV(BASE_ADDRESS), ARGS("--check"));
	cr_assert_eq(r->rc, 0, "%s", r->why);
	cr_assert(r->check);
	done(r);
	r = run(ENV(BASE_ADDRESS), ARGS("--check=false"));
	cr_assert_not(r->check);
	done(r);
	r = run(ENV(BASE_ADDRESS), ARGS("--arp", "--check", "--port", "1234"));
	cr_assert(r->check);
	cr_assert_eq(r->c.port, 1234);
	cr_assert(r->c.arp);
	done(r);
	bool check = true;
	struct mgr_config c;
	cr_assert_eq(
	    mgr_config_parse(ENV(BASE_ADDRESS), 1, ARGS("manager"), "h", &c, &check, NULL, 0), 0);
	cr_assert_not(check);
	/* The check flag is optional: NULL is fine. */
	cr_assert_eq(mgr_config_parse(ENV(BASE_ADDRESS), 2, ARGS("manager", "--check"), "h", &c,
				      NULL, NULL, 0),
		     0);
}

static const struct bad_case bad_flags[] = {
    {"--bogus", "unknown flag \"--bogus\""},
    {"--bogus=1", "unknown flag \"--bogus\""},
    {"--Port=1", "unknown flag \"--Port\""},
    {"--vip_arp", "unknown flag \"--vip_arp\""},
    {"--port", "--port \"\": needs a value"},
    {"--port=x", "--port \"x\": expected a port 1..65535"},
    {"--port=", "--port \"\": expected a port 1..65535"},
    {"--arp=maybe", "--arp \"maybe\": expected true or false (or 1/0, yes/no)"},
    {"--check=maybe", "--check \"maybe\": expected true or false (or 1/0, yes/no)"},
    {"extra", "argument \"extra\": unexpected: vipd manager takes only --flags"},
    {"-n", "argument \"-n\": unexpected: vipd manager takes only --flags"},
    {"--", "argument \"--\": unexpected: vipd manager takes only --flags"},
    {"--leaderElectionType=zookeeper",
     "--leaderElectionType \"zookeeper\": expected kubernetes or etcd"},
    {"--leaderElectionType=etcd",
     "--leaderElectionType \"etcd\": needs --etcdEndpoints (or vipd_etcd_endpoints)"},
    {"--leaseDuration=0", "--leaseDuration \"0\": expected a whole number of seconds 1..3600"},
    {"--lbForwardingMethod=nat",
     "--lbForwardingMethod \"nat\": expected local, masquerade, tunnel or directroute"},
    {"--log=trace",
     "--log \"trace\": expected debug, info, warn, error or a kube-vip level number 0..9"},
    {"--k8sConfigPath=", "--k8sConfigPath \"\": must not be empty"},
    {"--address=", "--address \"\": expected an IP address"},
    {"--address=kubernetes",
     "--address \"kubernetes\": expected an IP address (vipd does not resolve names)"},
    {"--nodeName=", "--nodeName \"\": must be 1 to 253 bytes"},
    {"--namespace=Bad",
     "--namespace \"Bad\": expected a Kubernetes namespace (lowercase letters, digits and '-', "
     "at most 63)"},
    {"--etcdEndpoints=e:2379",
     "--etcdEndpoints \"e:2379\": expected comma-separated http:// or https:// URLs"},
};

Test(mgr_config, bad_flags_are_named_as_given)
{
	for (size_t i = 0; i < N(bad_flags); i++) {
		struct result *r = run(ENV(BASE_ADDRESS), ARGS((char *)bad_flags[i].env));
		cr_assert_eq(r->rc, -EINVAL, "accepted %s", bad_flags[i].env);
		cr_assert_str_eq(r->why, bad_flags[i].why);
		done(r);
	}
}

/* ---- Timings ----------------------------------------------------------------------------- */

struct timing_case {
	const char *lease, *renew, *retry;
	const char *why; /* NULL: accepted */
};

#define MARGIN_WHY(values, margin)                                                                 \
	"vip_leaseduration/vip_renewdeadline/vip_retryperiod \"" values "\": leaseDuration - "     \
	"renewDeadline is " margin "ms but must be at least 2000ms (1000ms kernel lifetime "       \
	"granularity + 1000ms longest loop stall): the VIP's kernel lifetime must run out "        \
	"before another node may take the lease"

static const struct timing_case timings[] = {
    {"15", "10", "2", NULL},
    {"5", "3", "1", NULL},
    {"4", "2", "1", NULL},
    {"60", "40", "5", NULL},
    {"3", "2", "1", MARGIN_WHY("3/2/1", "1000")},
    {"10", "9", "2", MARGIN_WHY("10/9/2", "1000")},
    {"5", "5", "1",
     "vip_leaseduration/vip_renewdeadline/vip_retryperiod \"5/5/1\": leaseDuration 5s must be "
     "greater than renewDeadline 5s"},
    {"15", "10", "9",
     "vip_leaseduration/vip_renewdeadline/vip_retryperiod \"15/10/9\": renewDeadline 10s must "
     "be greater than retryPeriod 9s x 1.2 (client-go's jitter factor)"},
    {"2", "1", "1",
     "vip_leaseduration/vip_renewdeadline/vip_retryperiod \"2/1/1\": renewDeadline 1s must be "
     "greater than retryPeriod 1s x 1.2 (client-go's jitter factor)"},
};

Test(mgr_config, timings_and_the_kernel_lifetime_margin)
{
	for (size_t i = 0; i < N(timings); i++) {
		const struct timing_case *t = &timings[i];
		char l[40], n[40], y[40];
		snprintf(l, sizeof(l), "vip_leaseduration=%s", t->lease);
		snprintf(n, sizeof(n), "vip_renewdeadline=%s", t->renew);
		snprintf(y, sizeof(y), "vip_retryperiod=%s", t->retry);
		struct result *r = run(ENV(l, n, y, BASE_ADDRESS), NULL);
		if (!t->why) {
			cr_assert_eq(r->rc, 0, "%s/%s/%s: %s", t->lease, t->renew, t->retry,
				     r->why);
		} else {
			cr_assert_eq(r->rc, -EINVAL, "accepted %s/%s/%s", t->lease, t->renew,
				     t->retry);
			cr_assert_str_eq(r->why, t->why);
		}
		done(r);
	}
}

Test(mgr_config, timing_message_names_the_flags_when_flags_set_them)
{
	struct result *r = run(ENV(BASE_ADDRESS, "vip_retryperiod=1"),
			       ARGS("--leaseDuration=3", "--leaseRenewDuration", "2"));
	cr_assert_eq(r->rc, -EINVAL);
	cr_assert(
	    strstr(r->why, "--leaseDuration/--leaseRenewDuration/vip_retryperiod \"3/2/1\": "),
	    "%s", r->why);
	cr_assert(strstr(r->why, "kernel lifetime"), "%s", r->why);
	done(r);
}

/* ---- Identity and lock ------------------------------------------------------------------- */

Test(mgr_config, identity_is_nodename_else_lowercased_hostname)
{
	struct result *r = run_host(ENV(BASE_ADDRESS), NULL, "Node-1.Example");
	cr_assert_eq(r->rc, 0, "%s", r->why);
	cr_assert_str_eq(r->c.election.identity, "node-1.example");
	done(r);
	r = run_host(ENV("vip_nodename=cp-2", BASE_ADDRESS), NULL, "ignored");
	cr_assert_str_eq(r->c.election.identity, "cp-2");
	done(r);
	r = run_host(ENV("vip_nodename=cp-2", BASE_ADDRESS), ARGS("--nodeName=cp-3"), NULL);
	cr_assert_str_eq(r->c.election.identity, "cp-3");
	done(r);
	r = run_host(ENV(BASE_ADDRESS), NULL, NULL);
	cr_assert_eq(r->rc, -EINVAL);
	cr_assert_str_eq(r->why, "hostname \"\": must be 1 to 253 bytes; set vip_nodename");
	done(r);
	r = run_host(ENV(BASE_ADDRESS), NULL, "Bad Host");
	cr_assert_str_eq(r->why, "hostname \"bad host\": only printable ASCII without spaces or "
				 "quotes; set vip_nodename");
	done(r);
}

Test(mgr_config, lock_from_namespace_and_lease_name)
{
	struct result *r = run(ENV("cp_namespace=infra", "vip_leasename=vip", BASE_ADDRESS), NULL);
	cr_assert_eq(r->rc, 0, "%s", r->why);
	cr_assert_str_eq(r->c.election.ns, "infra");
	cr_assert_str_eq(r->c.election.name, "vip");
	done(r);
	r = run(ENV("cp_namespace=infra", "vip_leasename=other/vip", BASE_ADDRESS), NULL);
	cr_assert_str_eq(r->c.election.ns, "other");
	cr_assert_str_eq(r->c.election.name, "vip");
	done(r);
}

/* ---- etcd -------------------------------------------------------------------------------- */

Test(mgr_config, etcd_backend_and_tls_all_or_none)
{
	struct result *r = run(ENV(BASE_ADDRESS),
			       ARGS("--etcdEndpoints", "https://e:2379", "--etcdCACert=/ca",
				    "--etcdCert=/c", "--etcdKey=/k", "--leaderElectionType=etcd"));
	cr_assert_eq(r->rc, 0, "%s", r->why);
	cr_assert_eq(r->c.backend, MGR_BACKEND_ETCD);
	cr_assert_str_eq(r->c.etcd_key, "/k");
	done(r);

	r = run(ENV("vipd_etcd_endpoints=http://e:2379", BASE_ADDRESS), NULL);
	cr_assert_eq(r->rc, 0, "%s", r->why);
	cr_assert_eq(r->c.backend, MGR_BACKEND_ETCD);
	done(r);

	r = run(ENV("vipd_etcd_endpoints=https://e:2379", "vipd_etcd_cacert=/ca", BASE_ADDRESS),
		NULL);
	cr_assert_eq(r->rc, -EINVAL);
	cr_assert_str_eq(r->why, "vipd_etcd_cert \"\": etcd TLS needs all of vipd_etcd_cacert, "
				 "vipd_etcd_cert and vipd_etcd_key (--etcdCACert, --etcdCert, "
				 "--etcdKey), or none");
	done(r);

	/* Half a TLS setup is refused whichever backend runs. */
	r = run(ENV("vipd_etcd_key=/k", BASE_ADDRESS), ARGS("--etcdCert=/c"));
	cr_assert_eq(r->rc, -EINVAL);
	cr_assert_str_eq(r->why, "vipd_etcd_cacert \"\": etcd TLS needs all of vipd_etcd_cacert, "
				 "vipd_etcd_cert and vipd_etcd_key (--etcdCACert, --etcdCert, "
				 "--etcdKey), or none");
	done(r);

	r = run(ENV("vipd_etcd_cacert=/ca", "vipd_etcd_cert=/c", "vipd_etcd_key=/k", BASE_ADDRESS),
		NULL);
	cr_assert_eq(r->rc, 0, "%s", r->why);
	cr_assert_eq(r->c.backend, MGR_BACKEND_LEASE);
	cr_assert(has_line(r, "vipd_etcd_cacert=/ca"));
	cr_assert(has_line(r, "vipd_etcd_cert=/c"));
	cr_assert(has_line(r, "vipd_etcd_key=/k"));
	done(r);

	r = run(ENV("vipd_etcd_endpoints=https://e:2379", BASE_ADDRESS),
		ARGS("--leaderElectionType=kubernetes"));
	cr_assert_eq(r->rc, 0, "%s", r->why);
	cr_assert_eq(r->c.backend, MGR_BACKEND_LEASE);
	cr_assert_eq(r->c.n_warnings, 1);
	cr_assert_str_eq(r->c.warnings[0], "vipd_etcd_endpoints \"https://e:2379\": ignored: "
					   "--leaderElectionType is kubernetes");
	done(r);
}

/* ---- Health gate ------------------------------------------------------------------------- */

Test(mgr_config, health_gate_url_follows_the_port)
{
	struct result *r = run(ENV("port=8443", BASE_ADDRESS), NULL);
	cr_assert_str_eq(r->c.health_gate_url, "https://127.0.0.1:8443/readyz");
	done(r);
	r = run(ENV("port=8443", "vipd_health_gate_url=https://10.0.0.1:6443/livez", BASE_ADDRESS),
		NULL);
	cr_assert_str_eq(r->c.health_gate_url, "https://10.0.0.1:6443/livez");
	done(r);
}

/* ---- Printing ---------------------------------------------------------------------------- */

/* What minikube writes into /etc/kubernetes/manifests/kube-vip.yaml (vip_nodename comes from
 * the pod's spec.nodeName). */
Test(mgr_config, minikube_environment_prints_kube_vip_names)
{
	static const char expect[] = "vip_interface=eth0\n"
				     "address=192.168.49.254/32\n"
				     "port=8443\n"
				     "vip_arp=true\n"
				     "vip_arpRate=3000\n"
				     "vip_skipdad=false\n"
				     "cp_enable=true\n"
				     "svc_enable=false\n"
				     "vip_preserve_on_leadership_loss=false\n"
				     "vip_loseleadership=false\n"
				     "vip_loseleadership_timeout_seconds=30\n"
				     "vip_allow_interface_not_up=false\n"
				     "vip_leaderelection=true\n"
				     "cp_namespace=kube-system\n"
				     "vip_leasename=plndr-cp-lock\n"
				     "vip_nodename=ha-test-m02\n"
				     "vip_leaseduration=5\n"
				     "vip_renewdeadline=3\n"
				     "vip_retryperiod=1\n"
				     "vip_leaseannotations=\n"
				     "vipd_etcd_endpoints=\n"
				     "vipd_etcd_cacert=\n"
				     "vipd_etcd_cert=\n"
				     "vipd_etcd_key=\n"
				     "k8s_config_file=/etc/kubernetes/admin.conf\n"
				     "vipd_super_admin_kubeconfig=\n"
				     "kubernetes_addr=\n"
				     "lb_enable=true\n"
				     "lb_port=8443\n"
				     "lb_fwdmethod=local\n"
				     "backend_health_check_interval=5\n"
				     "vipd_health_gate=true\n"
				     "vipd_health_gate_failures=3\n"
				     "vipd_health_gate_interval=1s\n"
				     "vipd_health_gate_url=https://127.0.0.1:8443/readyz\n"
				     "prometheus_server=:2112\n"
				     "health_check_port=0\n"
				     "vip_loglevel=info\n";
	struct result *r = run_host(
	    ENV("vip_arp=true", "port=8443", "vip_nodename=ha-test-m02", "vip_interface=eth0",
		"vip_cidr=32", "dns_mode=first", "cp_enable=true", "cp_namespace=kube-system",
		"vip_leaderelection=true", "vip_leasename=plndr-cp-lock", "vip_leaseduration=5",
		"vip_renewdeadline=3", "vip_retryperiod=1", "address=192.168.49.254",
		"prometheus_server=:2112", "lb_enable=true", "lb_port=8443",
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"KUBERNETES_SERVICE_HOST=10.96.0.1"),
	    ARGS("--check"), "ha-test-m02");
	cr_assert_eq(r->rc, 0, "%s", r->why);
	cr_assert_str_eq(r->printed, expect);
	cr_assert_eq(r->c.n_warnings, 1); /* vip_cidr */
	cr_assert(r->check);
	done(r);
}

/* The printed configuration, fed back as the environment, is the same configuration. */
Test(mgr_config, printed_configuration_parses_back_to_itself)
{
	struct result *r =
	    run(ENV("vip_interface=eth0", "address=fd00::5", "vip_subnet=64", "port=8443",
		    "vip_leasename=infra/vip", "vip_leaseannotations={\"a\":\"b c\"}",
		    "vipd_etcd_endpoints=http://a:2379,http://b:2379", "prometheus_server=",
		    "vipd_health_gate_interval=1500ms", "vip_loglevel=warn", "lb_fwdmethod=tunnel"),
		NULL);
	cr_assert_eq(r->rc, 0, "%s", r->why);
	char *env[64];
	size_t n = 0;
	char *copy = strdup(r->printed);
	for (char *line = strtok(copy, "\n"); line && n < 63; line = strtok(NULL, "\n"))
		env[n++] = line;
	env[n] = NULL;
	struct result *again = run(env, NULL);
	cr_assert_eq(again->rc, 0, "%s", again->why);
	cr_assert_str_eq(again->printed, r->printed);
	free(copy);
	done(again);
	done(r);
}

Test(mgr_config, forwarding_method_names)
{
	cr_assert_str_eq(mgr_fwd_method_name(MGR_FWD_LOCAL), "local");
	cr_assert_str_eq(mgr_fwd_method_name(MGR_FWD_MASQUERADE), "masquerade");
	cr_assert_str_eq(mgr_fwd_method_name(MGR_FWD_TUNNEL), "tunnel");
	cr_assert_str_eq(mgr_fwd_method_name(MGR_FWD_DIRECTROUTE), "directroute");
	cr_assert_str_eq(mgr_fwd_method_name((enum mgr_fwd_method)42), "?");
}

Test(mgr_config, tiny_or_missing_why_buffer)
{
	struct mgr_config c;
	char why[8];
	cr_assert_eq(mgr_config_parse(ENV("port=x"), 0, NULL, "h", &c, NULL, why, sizeof(why)),
		     -EINVAL);
	cr_assert_str_eq(why, "port \"x");
	cr_assert_eq(mgr_config_parse(ENV("port=x"), 0, NULL, "h", &c, NULL, NULL, 0), -EINVAL);
}
