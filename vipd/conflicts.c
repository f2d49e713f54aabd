/*
 * conflicts.c — the conflict rules of conflicts.h over a small table of recent claimers.
 */
#include "conflicts.h"

#include <stdio.h>
#include <string.h>

void conflict_watch_init(struct conflict_watch *w, const uint8_t own[6], int64_t burst_gap_ms)
{
	memset(w, 0, sizeof(*w));
	memcpy(w->own, own, 6);
	w->burst_gap_ms = burst_gap_ms;
	w->burst_ms = INT64_MIN;
}

/* The entry of `mac`, or a fresh one replacing an unused or the least recent entry. */
static struct conflict_claimer *claimer(struct conflict_watch *w, const uint8_t mac[6])
{
	struct conflict_claimer *oldest = &w->seen[0];
	for (size_t i = 0; i < CONFLICT_MACS; i++) {
		struct conflict_claimer *e = &w->seen[i];
		if (e->used && !memcmp(e->mac, mac, 6))
			return e;
		if (!e->used || (oldest->used && e->last_ms < oldest->last_ms))
			oldest = e;
		if (!e->used)
			break;
	}
	*oldest =
	    (struct conflict_claimer){.used = true, .last_ms = INT64_MIN, .logged_ms = INT64_MIN};
	memcpy(oldest->mac, mac, 6);
	return oldest;
}

/* X claimed within the window, then some Y != X claimed after X did: the Y, or NULL. */
static const struct conflict_claimer *in_between(const struct conflict_watch *w,
						 const struct conflict_claimer *x, int64_t now_ms)
{
	if (x->last_ms == INT64_MIN || now_ms - x->last_ms > CONFLICT_WINDOW_MS)
		return NULL;
	for (size_t i = 0; i < CONFLICT_MACS; i++) {
		const struct conflict_claimer *y = &w->seen[i];
		if (y->used && y != x && y->seq > x->seq)
			return y;
	}
	return NULL;
}

static bool elapsed(int64_t since, int64_t now, int64_t interval)
{
	return since == INT64_MIN || now - since >= interval;
}

void conflict_watch_claim(struct conflict_watch *w, const uint8_t mac[6], bool leading,
			  int64_t now_ms, struct conflict_verdict *v)
{
	memset(v, 0, sizeof(*v));
	if (!memcmp(mac, w->own, 6))
		return; /* ours (e.g. the kernel answering an ARP request for the VIP) */
	struct conflict_claimer *x = claimer(w, mac);
	if (leading) {
		v->conflict = true;
	} else {
		const struct conflict_claimer *y = in_between(w, x, now_ms);
		if (y) {
			v->conflict = true;
			v->has_other = true;
			memcpy(v->other, y->mac, 6);
		}
	}
	x->last_ms = now_ms;
	x->seq = ++w->seq;
	if (!v->conflict)
		return;
	if (elapsed(x->logged_ms, now_ms, CONFLICT_LOG_INTERVAL_MS)) {
		v->log = true;
		x->logged_ms = now_ms;
	}
	if (leading && elapsed(w->burst_ms, now_ms, w->burst_gap_ms)) {
		v->burst = true;
		w->burst_ms = now_ms;
	}
}

char *conflict_mac_format(const uint8_t mac[6], char *buf)
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
	return buf;
}
