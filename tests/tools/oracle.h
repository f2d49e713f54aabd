/*
 * oracle — the rules of vip_watch, the split-brain oracle of the cluster tests, kept apart from
 * its I/O so that they can be tested on a fake clock. No I/O and no clock reads here: every
 * time is passed in (nanoseconds on one monotonic clock).
 *
 * The rules (issue 17): a split-brain instant is two nodes holding the VIP, or the client's MAC
 * for the VIP pointing at a non-holder for longer than one announcement interval after a change.
 *
 *   - A state (holders, client MAC) holds from the sample that first sees it to the sample that
 *     first sees another: every duration below is a sum of such stretches.
 *   - overlap: two or more holders. no holder: none; a gap is one stretch of it.
 *   - wrong MAC (only with the MAC rule on): exactly one holder, and the client's neighbour entry
 *     names another node or a MAC no node has. No usable entry is not wrong (the client will
 *     ask, and only the holder answers); nor is any instant with no holder or two holders (the
 *     latter is counted as overlap). A wrong-MAC stretch longer than the grace (strictly) is
 *     one MAC violation, counted when the stretch passes the grace.
 *   - HTTP (only with a prober): a 200 is an answer, anything else a failure; a gap runs from
 *     the completion of one 200 to the completion of the next (the first from the start).
 *   - Trials: a mark closes the current trial, counting stretches still open up to the mark
 *     and stretches begun in the previous trial from the trial's start, and starts the next;
 *     the whole run's tallies go on. The run's longest_gap stays what vip_watch always
 *     reported: closed gaps only, the one at the start included.
 *
 * The calls that matter: oracle_sample(), oracle_http(), oracle_mark(), oracle_finish().
 */
#ifndef VIPD_ORACLE_H
#define VIPD_ORACLE_H

#include <stdbool.h>
#include <stdint.h>

#define ORACLE_MAX_NODES   16
#define ORACLE_MAC_NONE	   (-1) /* the client has no usable neighbour entry for the VIP */
#define ORACLE_MAC_UNKNOWN (-2) /* the client's entry names a MAC no node has */

struct oracle_config {
	int64_t mac_grace_ns; /* 3 s: vipd's and kube-vip's gratuitous ARP interval */
	bool mac_rule;	      /* judge the client's MAC */
	bool http;	      /* a prober reports answers */
};

/* One sample: bit i of `holders` set when node i has the VIP; `mac_node` the node whose MAC the
 * client's neighbour entry names, or ORACLE_MAC_NONE / ORACLE_MAC_UNKNOWN. */
struct oracle_sample {
	uint32_t holders;
	int mac_node;
};

/* The tallies of one period: the whole run or one trial. Durations in nanoseconds. */
struct oracle_tally {
	int64_t start_ns;
	uint64_t samples, changes, overlap_samples, mac_violations, http_ok, http_fail;
	unsigned max_holders;
	int64_t overlap_ns, no_holder_ns, longest_gap_ns, mac_wrong_ns, http_gap_ns;
};

struct oracle {
	struct oracle_config cfg;
	bool sampled;		/* a sample has been seen */
	int64_t last_ns;	/* durations are counted up to here */
	uint32_t holders;	/* the last sample's */
	int mac_node;		/* the last sample's */
	int64_t gap_start_ns;	/* the no-holder stretch's first sample, when holders == 0 */
	int64_t wrong_start_ns; /* the wrong-MAC stretch's first sample, while wrong */
	bool wrong_counted;	/* that stretch is already a violation */
	int64_t http_ok_ns;	/* completion of the last 200, or the start */
	struct oracle_tally run, trial;
};

void oracle_init(struct oracle *o, const struct oracle_config *cfg, int64_t now_ns);

/* True when `holders` with the client's MAC on `mac_node` is a wrong-MAC instant. */
bool oracle_mac_wrong(uint32_t holders, int mac_node);

/* Takes one sample at `now_ns` (not before the previous one). Returns 1 when the set of holders
 * changed (or on the first sample), else 0. */
int oracle_sample(struct oracle *o, int64_t now_ns, const struct oracle_sample *s);

/* A probe completed at `now_ns`: `ok` for a 200. */
void oracle_http(struct oracle *o, int64_t now_ns, bool ok);

/* Closes the trial at `now_ns` into `out` and starts the next one. */
void oracle_mark(struct oracle *o, int64_t now_ns, struct oracle_tally *out);

/* The whole run's tallies at `now_ns` (the end) into `out`. */
void oracle_finish(struct oracle *o, int64_t now_ns, struct oracle_tally *out);

#endif
