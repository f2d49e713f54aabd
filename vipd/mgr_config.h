/*
 * mgr_config — what `vipd manager` is told, from kube-vip's environment variables (exact names
 * and defaults, shared/REFERENCE.md §1 and §7) and the equivalent `--flags` (flags win), into one
 * struct. Pure: the environment is passed in as an array, nothing is read from the process, no
 * file is opened, so the whole table is unit-tested and fuzzed.
 *
 * Every invalid value is refused with one line naming the variable (or flag) and the value:
 *   vip_arpRate "fast": expected a whole number of milliseconds >= 500
 * Settings kube-vip lacks use a `vipd_` prefix.
 *
 * Owns: parsing and validating the daemon's settings. Must not touch: files, sockets, clocks.
 * The calls that matter: mgr_config_parse(), mgr_config_print().
 */
#ifndef VIPD_MGR_CONFIG_H
#define VIPD_MGR_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "inet_prefix.h"
#include "le_config.h"

#define MGR_PATH_MAX	  512
#define MGR_MAX_ENDPOINTS 8
#define MGR_MAX_WARNINGS  8

/* How the kernel runs an address's valid_lft out: an address whose lifetime ends at T is gone
 * by T + this (IPv4's check_lifetime work is rounded up to a whole second; measured by
 * tests/integration/test_vip_lifetime). */
#define MGR_KERNEL_LIFETIME_GRANULARITY_MS 1000
/* The longest the loop can be blocked by one duty step: the netlink request timeout the daemon
 * sets (MGR_NETLINK_TIMEOUT_MS) times the requests one step can make in a row. */
#define MGR_NETLINK_TIMEOUT_MS 250
#define MGR_LOOP_BLOCK_MAX_MS  (4 * MGR_NETLINK_TIMEOUT_MS)

enum mgr_fwd_method { MGR_FWD_LOCAL, MGR_FWD_MASQUERADE, MGR_FWD_TUNNEL, MGR_FWD_DIRECTROUTE };
enum mgr_backend { MGR_BACKEND_LEASE, MGR_BACKEND_ETCD };

struct mgr_config {
	/* The VIP. */
	char interface[32];	/* vip_interface; "" = the default-route interface */
	struct inet_prefix vip; /* address (+ vip_subnet, or vip_cidr with a warning) */
	char address_text[256]; /* address as given (kube-vip allows a DNS name; we need an IP) */
	uint16_t port;		/* port: the apiserver port (6443) */
	bool arp;		/* vip_arp */
	uint32_t arp_rate_ms;	/* vip_arpRate (3000, min 500) */
	bool skip_dad;		/* vip_skipdad */
	bool cp_enable;		/* cp_enable */
	bool svc_enable;	/* svc_enable: accepted, services LB is out of scope (warning) */
	bool preserve_on_loss;	/* vip_preserve_on_leadership_loss */
	bool lose_leadership;	/* vip_loseleadership: give up when the interface is down */
	uint32_t lose_leadership_timeout_s; /* vip_loseleadership_timeout_seconds (30) */
	bool allow_interface_not_up;	    /* vip_allow_interface_not_up */

	/* Election. */
	bool leader_election;	      /* vip_leaderelection */
	enum mgr_backend backend;     /* etcd when vipd_etcd_endpoints / --etcdEndpoints is set */
	struct le_config election;    /* cp_namespace + vip_leasename (may be ns/name), vip_nodename
					 (else hostname, lowercased), the three timings */
	char lease_annotations[1024]; /* vip_leaseannotations: a JSON object (validated) */
	char etcd_endpoints[MGR_MAX_ENDPOINTS][256];
	size_t n_etcd_endpoints;
	char etcd_ca[MGR_PATH_MAX], etcd_cert[MGR_PATH_MAX], etcd_key[MGR_PATH_MAX];

	/* The API. */
	char kubeconfig[MGR_PATH_MAX]; /* k8s_config_file (/etc/kubernetes/admin.conf) */
	char
	    super_admin_kubeconfig[MGR_PATH_MAX]; /* vipd_super_admin_kubeconfig: used only while
						     kubeconfig is refused (kubeadm >= 1.29 init) */
	char kubernetes_addr[256];		  /* kubernetes_addr: override the API address */

	/* IPVS. */
	bool lb_enable;			/* lb_enable */
	uint16_t lb_port;		/* lb_port (6443) */
	enum mgr_fwd_method lb_fwd;	/* lb_fwdmethod (local) */
	uint32_t backend_hc_interval_s; /* backend_health_check_interval (5, min 1) */

	/* Local control-plane health gate (vipd's own). */
	bool health_gate;		  /* vipd_health_gate (true) */
	uint32_t health_gate_failures;	  /* vipd_health_gate_failures (3) */
	uint32_t health_gate_interval_ms; /* vipd_health_gate_interval (1s) */
	char health_gate_url[256]; /* vipd_health_gate_url; default https://127.0.0.1:<port>/readyz
				    */

	/* Endpoints and logs. */
	char prometheus_server[128]; /* prometheus_server (":2112"; "" disables) */
	uint16_t health_check_port;  /* health_check_port (0 = off): /healthz there too */
	int log_level;		     /* enum log_level from vip_loglevel (number or name) */

	/* What the parser accepted with a warning (deprecated or ignored variables). */
	char warnings[MGR_MAX_WARNINGS][160];
	size_t n_warnings;
};

/* Defaults: kube-vip v1.2's (timings 15/10/2), identity unset. */
void mgr_config_defaults(struct mgr_config *c);

/*
 * Parses `env` (NULL-terminated "name=value" strings, like environ) and then `argv` (flags,
 * argv[0] is the subcommand and is skipped; kube-vip's flag names: --interface, --address,
 * --port, --arp, --controlplane, --leaderElection, --enableLoadBalancer, --lbPort,
 * --lbForwardingMethod, --leaseName, --leaseDuration, --leaseRenewDuration, --leaseRetry,
 * --namespace, --nodeName, --k8sConfigPath, --prometheusHTTPServer, --etcdEndpoints,
 * --etcdCACert, --etcdCert, --etcdKey, --log, and vipd's --check). `hostname` is the identity
 * when vip_nodename is unset (lowercased here). Unknown environment variables are ignored (a
 * pod has many); an unknown flag is an error.
 *
 * Checks the whole: an address is given; the timings pass le_timing_validate() and their
 * margin (leaseDuration - renewDeadline) is at least MGR_KERNEL_LIFETIME_GRANULARITY_MS +
 * MGR_LOOP_BLOCK_MAX_MS, with a message that says why.
 *
 * `*check` is set when --check was given. Returns 0, or -EINVAL with one line in `why`.
 */
int mgr_config_parse(char *const *env, int argc, char *const *argv, const char *hostname,
		     struct mgr_config *c, bool *check, char *why, size_t why_len);

/* The effective configuration, one `name=value` line per setting, in kube-vip's names. */
void mgr_config_print(const struct mgr_config *c, FILE *out);

const char *mgr_fwd_method_name(enum mgr_fwd_method m);

#endif
