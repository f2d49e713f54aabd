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

struct kc_config;
/* The etcd client's TLS files (each optional; --etcd-cert and --etcd-key go together) into
 * `kcfg`: 0, or 2 after a one-line error naming the option and the file. */
int cli_etcd_tls(const char *cacert, const char *cert, const char *key, struct kc_config *kcfg);

/* Opens a route socket and looks the interface up; prints the error. */
int cli_open_link(const char *ifname, struct nl_sock *sock, struct nl_link *link);

#endif
