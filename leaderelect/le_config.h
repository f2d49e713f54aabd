/*
 * le_config — what an election is: which lock (namespace/name), who we are (identity), and its
 * three timings, validated the way client-go validates them.
 *
 * Owns: parsing and validation of the election settings. Must not touch: clocks, I/O.
 */
#ifndef VIPD_LE_CONFIG_H
#define VIPD_LE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#define LE_NAMESPACE_MAX 64  /* DNS label, 63 + NUL */
#define LE_NAME_MAX	 254 /* DNS subdomain, 253 + NUL */
#define LE_IDENTITY_MAX	 254

struct le_timing {
	int64_t lease_ms; /* leaseDuration: a whole number of seconds (Lease stores seconds) */
	int64_t renew_ms; /* renewDeadline */
	int64_t retry_ms; /* retryPeriod */
};

struct le_config {
	char ns[LE_NAMESPACE_MAX];
	char name[LE_NAME_MAX];
	char identity[LE_IDENTITY_MAX];
	struct le_timing t;
};

/* kube-vip >= 1.1 defaults (15/10/2) and the older/minikube ones (5/3/1). */
#define LE_TIMING_DEFAULT ((struct le_timing){15000, 10000, 2000})
#define LE_TIMING_FAST	  ((struct le_timing){5000, 3000, 1000})

/* leaseDuration > renewDeadline > retryPeriod x 1.2 > 0, leaseDuration whole seconds.
 * Returns 0 or -EINVAL with one line in `why` naming the values. */
int le_timing_validate(const struct le_timing *t, char *why, size_t why_len);

/* Parses "ns/name" or "name" (namespace `default_ns`) into cfg->ns and cfg->name and checks
 * both are valid Kubernetes names. Returns 0 or -EINVAL with `why`. */
int le_lock_parse(const char *text, const char *default_ns, struct le_config *cfg, char *why,
		  size_t why_len);

/* Sets cfg->identity; non-empty, at most 253 bytes, printable ASCII without spaces or quotes.
 * Returns 0 or -EINVAL with `why`. */
int le_identity_set(struct le_config *cfg, const char *identity, char *why, size_t why_len);

/* Parses a duration: "2", "2s", "1.5s", "500ms" (bare numbers are seconds). 0 or -EINVAL. */
int le_duration_parse(const char *text, int64_t *ms);

#endif
