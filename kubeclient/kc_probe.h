/*
 * kc_probe — "does GET <path> answer 200?": the daemon's health checks of its local apiserver
 * (/readyz) and of IPVS backends (/livez). The body ("ok", not JSON) is read and dropped; the
 * verdict is the status code. The probe struct is the caller's, so nothing is allocated and a
 * cancelled probe leaves nothing behind.
 *
 * Owns: one call at a time per probe. Must not touch: what the verdict means to the caller.
 */
#ifndef VIPD_KC_PROBE_H
#define VIPD_KC_PROBE_H

#include <stdbool.h>

#include "kc_client.h"

struct kc_probe {
	/* ok: a 200 reply; otherwise `detail` says what happened (the error, or the code). */
	void (*done)(void *arg, bool ok, const char *detail);
	void *arg;
	struct kc_call *call; /* non-NULL while a probe is under way */
};

/* Starts GET `path` with `timeout_ms`. 0 or -errno (then `done` is not called). */
int kc_probe_start(struct kc_client *kc, struct kc_probe *p, const char *path, long timeout_ms);
/* Cancels a probe under way (`done` is not called); a no-op otherwise. */
void kc_probe_cancel(struct kc_client *kc, struct kc_probe *p);

#endif
