/*
 * kc_sync — one API call waited for, for short commands (`vipd handover`) that have no event
 * loop of their own: the call runs on the client's own poll() interface until it ends.
 *
 * Owns: nothing beyond the call. Must not touch: clients driven by a loop (kc_loop), whose fds
 * belong to that loop.
 */
#ifndef VIPD_KC_SYNC_H
#define VIPD_KC_SYNC_H

#include <jansson.h>

#include "kc_client.h"

struct kc_sync_result {
	struct kc_error err; /* kind KC_OK for a 2xx */
	long code;
	json_t *body; /* the 2xx body (a new reference, caller decrefs), or NULL */
};

/* Runs `req` (its done/arg are ignored) to completion. Returns 0 when it got a 2xx, else
 * -EIO with res->err saying why (a reply code, a transport error or a timeout). */
int kc_call_wait(struct kc_client *kc, const struct kc_request *req, struct kc_sync_result *res);

#endif
