/*
 * duties — what the leader must do about the VIP and its announcements, decided from what the
 * daemon knows, as one pure function (tested on a fake clock in tests/unit/test_duties.c).
 *
 * The rule that makes a split brain impossible by the kernel's own hand: the VIP is only ever
 * on the interface with a finite valid_lft, sized so the kernel removes it before any other
 * candidate may take the lease. A candidate's wait of leaseDuration starts no earlier than our
 * last successful renewal was *sent* (renewed_at), so the VIP must be gone by
 *   renewed_at + leaseDuration
 * and the kernel removes an address up to MGR_KERNEL_LIFETIME_GRANULARITY_MS after its lifetime
 * ends, plus the time the request takes to reach it. Every successful renewal pushes the expiry
 * out again. A vipd that is SIGSTOPped, hung or killed loses the VIP to the kernel in time.
 *
 * Owns: the leader-duty rules. Must not touch: sockets, clocks, the elector.
 */
#ifndef VIPD_DUTIES_H
#define VIPD_DUTIES_H

#include <stdbool.h>
#include <stdint.h>

/* Time we allow between computing a lifetime and the kernel stamping the address. */
#define DUTY_REQUEST_SLACK_MS 100

struct duty_inputs {
	int64_t now_ms;
	bool leading;		/* the elector says we lead as of now */
	int64_t renewed_at_ms;	/* send time of the last renewal that took effect */
	int64_t lease_ms;	/* leaseDuration */
	int64_t granularity_ms; /* MGR_KERNEL_LIFETIME_GRANULARITY_MS */
	bool vip_on;		/* we put the VIP on and have not seen it go */
	int64_t vip_expires_ms; /* when the kernel removes it unless refreshed (if vip_on) */
	bool link_up;
	bool arp;	 /* announce (vip_arp) */
	bool announcing; /* the announcement schedule runs */
	bool preserve;	 /* vip_preserve_on_leadership_loss: keep the VIP when not leading */
};

enum duty_vip { DUTY_VIP_KEEP, DUTY_VIP_SET, DUTY_VIP_DELETE };
enum duty_announce { DUTY_ANNOUNCE_KEEP, DUTY_ANNOUNCE_START, DUTY_ANNOUNCE_STOP };

struct duty_plan {
	enum duty_vip vip;
	uint32_t valid_s; /* with DUTY_VIP_SET: the lifetime to give it */
	enum duty_announce announce;
};

/* The longest valid_lft (seconds, whole) that still ends, with the kernel's lateness, before
 * renewed_at + leaseDuration; 0 when none does (then we must not hold the VIP). */
uint32_t duty_vip_lifetime_s(int64_t now_ms, int64_t renewed_at_ms, int64_t lease_ms,
			     int64_t granularity_ms);

void duty_plan(const struct duty_inputs *in, struct duty_plan *out);

const char *duty_vip_name(enum duty_vip v);

#endif
