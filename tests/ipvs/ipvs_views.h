/*
 * ipvs_views — the IPVS tables seen two ways, for the VM tests: through the library's own dumps
 * and through Debian's ipvsadm (an independent implementation, libnl-based). Both are rendered
 * as the same canonical lines, sorted, so a test asserts that the two agree after every step.
 *
 *   "TCP 10.0.0.1:80 rr persistent 60 mask 255.255.255.0"        one per service
 *   "TCP 10.0.0.1:80 -> 10.1.0.1:8080 Masq 3 10 5"               one per destination:
 *                                                                 forward, weight, u/l thresholds
 */
#ifndef VIPD_TEST_IPVS_VIEWS_H
#define VIPD_TEST_IPVS_VIEWS_H

#include <stddef.h>

#include "ipvs.h"

struct view {
	char **lines;
	size_t n;
};

/* Runs a shell command, returns its output (malloc'd) and stores its exit status. */
char *run_cmd(const char *cmd, int *status);

/* The view according to `ipvsadm -Ln` and `ipvsadm -Ln --thresholds`. */
void view_ipvsadm(struct view *v);
/* The view according to ipvs_service_dump() and ipvs_dest_dump(). */
void view_library(struct ipvs *h, struct view *v);
void view_free(struct view *v);

/* Asserts (Criterion) that both views are equal and hold `n_lines` lines; prints both if not. */
void assert_views_agree(struct ipvs *h, size_t n_lines);

#endif
