/*
 * test_conflicts.c — the conflict rules (vipd/conflicts.h) on a fake clock: a leader counts
 * every foreign claim, logs once per MAC per second, restarts its burst at most once per gap;
 * a follower counts two MACs answering at once (X, Y, X within the window) and not a hand-over
 * (X, then Y).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "conflicts.h"

static const uint8_t own[6] = {0x02, 0, 0, 0, 0, 0x01};
static const uint8_t rogue[6] = {0x02, 0, 0, 0, 0, 0x66};
static const uint8_t third[6] = {0x02, 0, 0, 0, 0, 0x77};

static struct conflict_verdict claim(struct conflict_watch *w, const uint8_t *mac, bool leading,
				     int64_t now)
{
	struct conflict_verdict v;
	conflict_watch_claim(w, mac, leading, now, &v);
	return v;
}

Test(conflicts, leader_counts_every_foreign_claim_and_never_its_own)
{
	struct conflict_watch w;
	conflict_watch_init(&w, own, 50);
	cr_expect(!claim(&w, own, true, 0).conflict, "our own MAC");
	struct conflict_verdict v = claim(&w, rogue, true, 1000);
	cr_expect(v.conflict && v.log && v.burst);
	for (int64_t t = 1001; t < 1040; t++) {
		v = claim(&w, rogue, true, t);
		cr_expect(v.conflict, "t=%lld", (long long)t);
		cr_expect(!v.log, "log rate-limited at t=%lld", (long long)t);
		cr_expect(!v.burst, "burst rate-limited at t=%lld", (long long)t);
	}
	v = claim(&w, rogue, true, 1050);
	cr_expect(v.conflict && !v.log && v.burst, "a new burst after the gap");
	v = claim(&w, third, true, 1051);
	cr_expect(v.conflict && v.log && !v.burst, "another MAC logs at once, same burst gap");
	v = claim(&w, rogue, true, 2000);
	cr_expect(v.conflict && v.log && v.burst, "one log line per MAC per second");
}

Test(conflicts, follower_counts_two_macs_answering_at_once)
{
	struct conflict_watch w;
	conflict_watch_init(&w, own, 50);
	uint8_t leader[6] = {0x02, 0, 0, 0, 0, 0x02};
	cr_expect(!claim(&w, leader, false, 0).conflict);
	cr_expect(!claim(&w, leader, false, 3000).conflict, "the leader alone, periodic");
	cr_expect(!claim(&w, rogue, false, 3100).conflict, "a second MAC once: maybe a hand-over");
	struct conflict_verdict v = claim(&w, leader, false, 3101);
	cr_expect(v.conflict && v.log && !v.burst, "X, Y, X within the window");
	cr_expect(v.has_other);
	cr_expect_arr_eq(v.other, rogue, 6);
	v = claim(&w, rogue, false, 3150);
	cr_expect(v.conflict && v.log, "Y, X, Y: the rogue logged for itself");
	cr_expect_arr_eq(v.other, leader, 6);
	v = claim(&w, leader, false, 3200);
	cr_expect(v.conflict && !v.log, "counted, log rate-limited");
	cr_expect(!claim(&w, leader, false, 3300).conflict, "X, X: nobody in between");
}

Test(conflicts, follower_ignores_a_hand_over_and_stale_claims)
{
	struct conflict_watch w;
	conflict_watch_init(&w, own, 50);
	uint8_t a[6] = {0x02, 0, 0, 0, 0, 0x0a}, b[6] = {0x02, 0, 0, 0, 0, 0x0b};
	cr_expect(!claim(&w, a, false, 0).conflict);
	cr_expect(!claim(&w, a, false, 100).conflict);
	cr_expect(!claim(&w, b, false, 150).conflict, "the new leader's burst");
	cr_expect(!claim(&w, b, false, 200).conflict);
	cr_expect(!claim(&w, b, false, 250).conflict);
	/* A's claim comes back, but B's claim before it is older than the window. */
	cr_expect(!claim(&w, a, false, 1200).conflict, "outside the window");
	cr_expect(claim(&w, b, false, 1210).conflict, "B, A, B within the window");
}

Test(conflicts, the_table_forgets_the_least_recent_claimer)
{
	struct conflict_watch w;
	conflict_watch_init(&w, own, 50);
	uint8_t m[6] = {0x02, 0, 0, 0, 0, 0};
	for (int i = 0; i < CONFLICT_MACS + 3; i++) {
		m[5] = (uint8_t)(0x10 + i);
		cr_expect(claim(&w, m, true, i).log, "MAC %d logs", i);
	}
	m[5] = 0x10 + CONFLICT_MACS + 2; /* the newest one is still remembered */
	cr_expect(!claim(&w, m, true, 100).log);
	m[5] = 0x10; /* the first one was forgotten: it logs again */
	cr_expect(claim(&w, m, true, 101).log);
}

Test(conflicts, mac_format)
{
	char buf[18];
	const uint8_t mac[6] = {0xaa, 0xbb, 0x0c, 0x0d, 0xee, 0xff};
	cr_expect_str_eq(conflict_mac_format(mac, buf), "aa:bb:0c:0d:ee:ff");
}
