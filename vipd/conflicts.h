/*
 * conflicts — is a claim of the VIP heard on the wire a conflict, and what to do about it.
 * Pure: claims in (MAC, role, caller's milliseconds), a verdict out; fake clocks test it.
 *
 * The rules (a claim is an ARP frame whose sender is the VIP, or an NA whose target is it;
 * announce/claims.h; our own transmissions never reach here):
 *   leader    every claim from a MAC that is not ours is a conflict, and counted. It asks for an
 *             announcement burst unless one was asked for less than `burst_gap_ms` ago (a flood
 *             of claims never makes us flood: at most one burst start per gap, and a burst in
 *             progress keeps sending, so one of our frames follows every foreign one).
 *   follower  a claim is a conflict when the same MAC claimed within CONFLICT_WINDOW_MS before
 *             and a different MAC claimed in between (X, Y, X): two holders answering at once.
 *             A hand-over (X stops, then Y: X, Y, Y) is not one, even within the window.
 *             A follower never asks for a burst (it holds nothing to announce).
 *   both      the log line is rate-limited: at most one per MAC per CONFLICT_LOG_INTERVAL_MS;
 *             the count is not (every conflicting frame counts).
 *
 * Owns: the recent claimers table. Must not touch: sockets, the VIP, the announcer (the daemon
 * acts on the verdict: vipd/manager_net.c).
 */
#ifndef VIPD_CONFLICTS_H
#define VIPD_CONFLICTS_H

#include <stdbool.h>
#include <stdint.h>

#define CONFLICT_WINDOW_MS	 1000
#define CONFLICT_LOG_INTERVAL_MS 1000
#define CONFLICT_MACS		 8 /* claimers remembered; the least recent one is forgotten */

struct conflict_claimer {
	uint8_t mac[6];
	int64_t last_ms;   /* its latest claim */
	int64_t logged_ms; /* its latest log line, or INT64_MIN */
	uint64_t seq;	   /* order of its latest claim among all claims */
	bool used;
};

struct conflict_watch {
	uint8_t own[6];
	int64_t burst_gap_ms;
	int64_t burst_ms; /* the latest burst asked for, or INT64_MIN */
	uint64_t seq;	  /* claims heard */
	struct conflict_claimer seen[CONFLICT_MACS];
};

struct conflict_verdict {
	bool conflict; /* count it */
	bool log;      /* write the error line (rate-limited) */
	bool burst;    /* leader: restart the announcement burst now */
	bool has_other;
	uint8_t other[6]; /* follower: the MAC that claimed in between */
};

void conflict_watch_init(struct conflict_watch *w, const uint8_t own[6], int64_t burst_gap_ms);

/* One claim of the VIP by `mac` heard at `now_ms`, while leading or not. */
void conflict_watch_claim(struct conflict_watch *w, const uint8_t mac[6], bool leading,
			  int64_t now_ms, struct conflict_verdict *v);

/* "aa:bb:cc:dd:ee:ff" into `buf` (at least 18 bytes). Returns buf. */
char *conflict_mac_format(const uint8_t mac[6], char *buf);

#endif
