/*
 * status_view — `vipd status`'s pure decisions: where the daemon listens (its
 * prometheus_server setting turned into a URL), the short human table of a snapshot (status.h),
 * and the exit code that says leader / follower / out, so scripts and probes can branch on it
 * without parsing anything.
 *
 *   0  leader (in the election, holding the lease, ready)
 *   3  follower (in the election, ready)
 *   4  out of the election (health gate, identity collision, link, stopping) or not ready
 *   1  the daemon could not be reached or its reply was unusable (cmd_status.c)
 *   2  usage error (cmd_status.c)
 *
 * Pure: unit-tested on plain values. Owns: the endpoint rule, the table's layout and the
 * exit-code rule. Must not touch: the network (cmd_status.c fetches), the JSON (status.c).
 */
#ifndef VIPD_STATUS_VIEW_H
#define VIPD_STATUS_VIEW_H

#include <stddef.h>
#include <stdio.h>

#include "status.h"

enum status_exit {
	STATUS_EXIT_LEADER = 0,
	STATUS_EXIT_UNREACHABLE = 1,
	STATUS_EXIT_USAGE = 2,
	STATUS_EXIT_FOLLOWER = 3,
	STATUS_EXIT_OUT = 4,
};

/* The daemon's default listen address (prometheus_server, as kube-vip's). */
#define STATUS_DEFAULT_LISTEN ":2112"

/* http://HOST:PORT/status for a listen address as the daemon takes it (":2112",
 * "0.0.0.0:2112", "127.0.0.1:2112", "[::]:2112", "[::1]:2112", "localhost:2112"): an empty or
 * wildcard host means the loopback of that family. Returns 0, or -EINVAL (no port, a port
 * outside 1..65535, or a host with characters a URL would read differently). */
int status_url_from_listen(const char *listen, char *url, size_t len);

/* The exit code for a snapshot read back from a daemon. */
int status_exit_code(const struct status *s);

/* A few aligned "name  value" lines, one per part of the daemon's state. */
void status_print_table(const struct status *s, FILE *out);

#endif
