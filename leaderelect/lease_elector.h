/*
 * lease_elector — the Lease backend's I/O: carries out le_decide()'s actions with kc_client
 * (GET/POST/PUT of coordination.k8s.io/v1 Leases) and feeds it what a kc_watch of the Lease
 * sees, so a release is taken the moment it happens.
 *
 * Owns: the Lease's requests and watch, and the wake-up timer. Must not touch: decisions (they
 * are in le_decide.c) or anything the leader does.
 */
#ifndef VIPD_LEASE_ELECTOR_H
#define VIPD_LEASE_ELECTOR_H

#include <jansson.h>

#include "elector.h"
#include "kc_client.h"
#include "le_config.h"

struct lease_elector_opts {
	const struct le_config *cfg; /* copied */
	struct kc_client *kc;	     /* borrowed */
	struct elector_callbacks cb;
	const json_t
	    *annotations; /* set on a Lease we create (vip_leaseannotations); may be NULL */
	bool no_watch;	  /* poll every retryPeriod like client-go instead of watching */
};

/* Validates the timings (one-line `why`), then starts campaigning at once. */
int lease_elector_new(const struct lease_elector_opts *o, struct elector *out, char *why,
		      size_t why_len);

#endif
