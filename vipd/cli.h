/*
 * cli — what the vipd subcommands share: the table of subcommands, option parsing helpers that
 * give one-line errors naming the bad value.
 */
#ifndef VIPD_CLI_H
#define VIPD_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "inet_prefix.h"
#include "log.h"
#include "nl_link.h"

/* Each subcommand: argv[0] is the subcommand name. Returns the process exit code. */
int cmd_vip(int argc, char **argv);
int cmd_announce(int argc, char **argv);
int cmd_monitor(int argc, char **argv);
int cmd_elect(int argc, char **argv);
int cmd_manager(int argc, char **argv);
int cmd_handover(int argc, char **argv);
int cmd_status(int argc, char **argv);

/* Prints `vipd: <what>` to stderr and returns 2 (usage) — for `return usage_error(...)`. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Parses an unsigned number for option `name` within [min, max]. */
int cli_parse_uint(const char *name, const char *text, uint64_t min, uint64_t max, uint64_t *out);

/* Parses `--address` into a VIP; no prefix means /32 or /128. */
int cli_parse_vip(const char *text, struct inet_prefix *vip);

/* The etcd client options of `vipd elect` and `vipd handover`: CLI_ETCD_OPTIONS go into their
 * getopt_long tables, cli_etcd_option() takes them, cli_etcd_client() makes the client's
 * configuration. */
#define CLI_ETCD_MAX_ENDPOINTS 16
/* clang-format off */
#define CLI_ETCD_OPTIONS                                                                           \
	{"etcd-endpoints", required_argument, NULL, 'e'},                                          \
	{"etcd-cacert", required_argument, NULL, 'A'},                                             \
	{"etcd-cert", required_argument, NULL, 'C'},                                               \
	{"etcd-key", required_argument, NULL, 'K'}
/* clang-format on */
struct cli_etcd {
	const char *endpoints, *cacert, *cert, *key;
	char *ep_copy; /* endpoints, split in place into eps */
	char *eps[CLI_ETCD_MAX_ENDPOINTS];
	size_t n_eps;
};
struct kc_config;
/* getopt_long's `c`: true (and optarg kept) when it is one of CLI_ETCD_OPTIONS. */
bool cli_etcd_option(int c, const char *arg, struct cli_etcd *e);
/* Splits the endpoints (each https:// or http://), loads the TLS files (each optional;
 * --etcd-cert and --etcd-key go together) into `kcfg` and points it at the first endpoint:
 * 0, or 2 after a one-line error naming the option and the value. */
int cli_etcd_client(struct cli_etcd *e, struct kc_config *kcfg);
void cli_etcd_free(struct cli_etcd *e);

/* Opens a route socket and looks the interface up; prints the error. */
int cli_open_link(const char *ifname, struct nl_sock *sock, struct nl_link *link);

#endif
