/*
 * test_oracle.c — vip_watch's split-brain rules (oracle.c) on a fake clock: the MAC rule's
 * grace (2.9 s of lag is fine, 3.1 s is a violation), what is not a wrong MAC, trials that
 * reset their own tallies but not the run's, and gaps (no holder, no HTTP answer) across a mark.
 */
#include <criterion/criterion.h>

#include "oracle.h"

#define MS(x) ((int64_t)(x)*1000000)
#define A     (1u << 0)
#define B     (1u << 1)
#define C     (1u << 2)

static struct oracle fresh(bool mac_rule, bool http)
{
	struct oracle o;
	struct oracle_config cfg = {.mac_grace_ns = MS(3000), .mac_rule = mac_rule, .http = http};
	oracle_init(&o, &cfg, 0);
	return o;
}

/* Samples every 2 ms over [from, to) with the same holders and client MAC. */
static void hold(struct oracle *o, int from_ms, int to_ms, uint32_t holders, int mac_node)
{
	struct oracle_sample s = {.holders = holders, .mac_node = mac_node};
	for (int t = from_ms; t < to_ms; t += 2)
		oracle_sample(o, MS(t), &s);
}

static double ms(int64_t ns)
{
	return (double)ns / 1e6;
}

/* The VIP moves from A to B at 100 ms; the client's entry still names A for `lag_ms`. */
static struct oracle_tally mac_lag(int lag_ms)
{
	struct oracle o = fresh(true, false);
	hold(&o, 0, 100, A, 0);
	hold(&o, 100, 100 + lag_ms, B, 0);
	hold(&o, 100 + lag_ms, 10000, B, 1);
	struct oracle_tally t;
	oracle_finish(&o, MS(10000), &t);
	return t;
}

Test(oracle_mac, a_lag_of_2900ms_is_fine)
{
	struct oracle_tally t = mac_lag(2900);
	cr_assert_eq(t.mac_violations, 0);
	cr_assert_float_eq(ms(t.mac_wrong_ns), 2900, 0.01);
}

Test(oracle_mac, a_lag_of_3100ms_is_one_violation)
{
	struct oracle_tally t = mac_lag(3100);
	cr_assert_eq(t.mac_violations, 1);
	cr_assert_float_eq(ms(t.mac_wrong_ns), 3100, 0.01);
}

Test(oracle_mac, a_long_stretch_is_one_violation_counted_when_it_passes_the_grace)
{
	struct oracle o = fresh(true, false);
	hold(&o, 0, 3000, A, 1);
	struct oracle_sample s = {.holders = A, .mac_node = 1};
	oracle_sample(&o, MS(3000), &s);
	cr_assert_eq(o.run.mac_violations, 0, "exactly the grace is not longer than it");
	oracle_sample(&o, MS(3002), &s);
	cr_assert_eq(o.run.mac_violations, 1);
	hold(&o, 3004, 20000, A, 1);
	cr_assert_eq(o.run.mac_violations, 1);
}

Test(oracle_mac, nobody_holding_is_not_a_wrong_mac)
{
	struct oracle o = fresh(true, false);
	hold(&o, 0, 10000, 0, 0);
	struct oracle_tally t;
	oracle_finish(&o, MS(10000), &t);
	cr_assert_eq(t.mac_violations, 0);
	cr_assert_eq(t.mac_wrong_ns, 0);
	cr_assert_float_eq(ms(t.no_holder_ns), 10000, 0.01);
}

Test(oracle_mac, two_holders_are_overlap_not_a_wrong_mac)
{
	struct oracle o = fresh(true, false);
	hold(&o, 0, 5000, A | B, 2);
	struct oracle_tally t;
	oracle_finish(&o, MS(5000), &t);
	cr_assert_eq(t.mac_violations, 0);
	cr_assert_eq(t.mac_wrong_ns, 0);
	cr_assert_eq(t.overlap_samples, 2500);
	cr_assert_float_eq(ms(t.overlap_ns), 5000, 0.01);
	cr_assert_eq(t.max_holders, 2);
}

Test(oracle_mac, a_stretch_broken_by_no_holder_starts_again)
{
	struct oracle o = fresh(true, false);
	hold(&o, 0, 2000, A, 1);
	hold(&o, 2000, 2100, 0, 1);
	hold(&o, 2100, 4100, A, 1);
	struct oracle_tally t;
	oracle_finish(&o, MS(4100), &t);
	cr_assert_eq(t.mac_violations, 0);
	cr_assert_float_eq(ms(t.mac_wrong_ns), 4000, 0.01);
}

Test(oracle_mac, an_unknown_mac_is_wrong_no_entry_is_not)
{
	cr_assert(oracle_mac_wrong(A, ORACLE_MAC_UNKNOWN));
	cr_assert_not(oracle_mac_wrong(A, ORACLE_MAC_NONE));
	cr_assert_not(oracle_mac_wrong(A, 0));
	cr_assert(oracle_mac_wrong(C, 1));
	cr_assert_not(oracle_mac_wrong(0, 1));
	cr_assert_not(oracle_mac_wrong(A | B, 2));

	struct oracle o = fresh(true, false);
	hold(&o, 0, 3500, A, ORACLE_MAC_UNKNOWN);
	hold(&o, 3500, 10000, A, ORACLE_MAC_NONE);
	cr_assert_eq(o.run.mac_violations, 1);
	cr_assert_float_eq(ms(o.run.mac_wrong_ns), 3500, 0.01);
}

Test(oracle_mac, without_the_rule_nothing_is_wrong)
{
	struct oracle o = fresh(false, false);
	hold(&o, 0, 10000, A, 1);
	cr_assert_eq(o.run.mac_violations, 0);
	cr_assert_eq(o.run.mac_wrong_ns, 0);
}

Test(oracle_mac, a_violation_across_a_mark_counts_once_in_the_trial_it_passes_the_grace)
{
	struct oracle o = fresh(true, false);
	hold(&o, 0, 1000, A, 0);
	hold(&o, 1000, 2000, B, 0);
	struct oracle_tally t1, t2;
	oracle_mark(&o, MS(2000), &t1);
	hold(&o, 2000, 5000, B, 0);
	oracle_mark(&o, MS(5000), &t2);
	cr_assert_eq(t1.mac_violations, 0);
	cr_assert_float_eq(ms(t1.mac_wrong_ns), 1000, 0.01);
	cr_assert_eq(t2.mac_violations, 1);
	cr_assert_float_eq(ms(t2.mac_wrong_ns), 3000, 0.01);
	cr_assert_eq(o.run.mac_violations, 1);
}

Test(oracle_trial, a_mark_resets_the_trial_not_the_run)
{
	struct oracle o = fresh(true, true);
	hold(&o, 0, 1000, A, 0);
	hold(&o, 1000, 1100, A | B, 0);
	hold(&o, 1100, 2000, B, 1);
	oracle_http(&o, MS(1500), true);
	oracle_http(&o, MS(1600), false);
	struct oracle_tally t1, t2, run;
	oracle_mark(&o, MS(2000), &t1);
	cr_assert_eq(t1.samples, 1000);
	cr_assert_eq(t1.overlap_samples, 50);
	cr_assert_float_eq(ms(t1.overlap_ns), 100, 0.01);
	cr_assert_eq(t1.http_ok, 1);
	cr_assert_eq(t1.http_fail, 1);
	cr_assert_eq(t1.start_ns, 0);

	hold(&o, 2000, 3000, B, 1);
	oracle_http(&o, MS(2500), true);
	oracle_mark(&o, MS(3000), &t2);
	cr_assert_eq(t2.start_ns, MS(2000));
	cr_assert_eq(t2.samples, 500);
	cr_assert_eq(t2.overlap_samples, 0);
	cr_assert_eq(t2.overlap_ns, 0);
	cr_assert_eq(t2.max_holders, 1);
	cr_assert_eq(t2.http_ok, 1);
	cr_assert_eq(t2.http_fail, 0);

	oracle_finish(&o, MS(3000), &run);
	cr_assert_eq(run.samples, 1500);
	cr_assert_eq(run.overlap_samples, 50);
	cr_assert_eq(run.max_holders, 2);
	cr_assert_eq(run.http_ok, 2);
	cr_assert_eq(run.http_fail, 1);
}

Test(oracle_trial, an_http_stretch_across_a_mark)
{
	struct oracle o = fresh(false, true);
	oracle_http(&o, MS(100), true);
	oracle_http(&o, MS(400), false);
	struct oracle_tally t1, t2, run;
	oracle_mark(&o, MS(1000), &t1);
	cr_assert_float_eq(ms(t1.http_gap_ns), 900, 0.01, "open at the mark: up to the mark");
	oracle_http(&o, MS(1500), true);
	oracle_http(&o, MS(1510), true);
	oracle_mark(&o, MS(2000), &t2);
	cr_assert_float_eq(ms(t2.http_gap_ns), 500, 0.01, "begun before the mark: from it");
	oracle_finish(&o, MS(2000), &run);
	cr_assert_float_eq(ms(run.http_gap_ns), 1400, 0.01);
}

Test(oracle_trial, an_http_stretch_open_at_the_end_counts_without_a_prober_nothing_does)
{
	struct oracle o = fresh(false, true);
	oracle_http(&o, MS(100), true);
	struct oracle_tally run;
	oracle_finish(&o, MS(5000), &run);
	cr_assert_float_eq(ms(run.http_gap_ns), 4900, 0.01);

	struct oracle quiet = fresh(false, false);
	hold(&quiet, 0, 1000, A, ORACLE_MAC_NONE);
	oracle_mark(&quiet, MS(1000), &run);
	cr_assert_eq(run.http_gap_ns, 0);
}

Test(oracle_trial, a_gap_without_a_holder_across_a_mark)
{
	struct oracle o = fresh(false, false);
	hold(&o, 0, 500, A, ORACLE_MAC_NONE);
	hold(&o, 500, 1000, 0, ORACLE_MAC_NONE);
	struct oracle_tally t1, t2, run;
	oracle_mark(&o, MS(1000), &t1);
	cr_assert_float_eq(ms(t1.longest_gap_ns), 500, 0.01);
	cr_assert_float_eq(ms(t1.no_holder_ns), 500, 0.01);
	hold(&o, 1000, 1200, 0, ORACLE_MAC_NONE);
	hold(&o, 1200, 2000, B, ORACLE_MAC_NONE);
	oracle_mark(&o, MS(2000), &t2);
	cr_assert_float_eq(ms(t2.longest_gap_ns), 200, 0.01);
	cr_assert_float_eq(ms(t2.no_holder_ns), 200, 0.01);
	oracle_finish(&o, MS(2000), &run);
	cr_assert_float_eq(ms(run.longest_gap_ns), 700, 0.01);
	cr_assert_float_eq(ms(run.no_holder_ns), 700, 0.01);
}

Test(oracle_run, longest_gap_counts_closed_gaps_only_as_vip_watch_always_did)
{
	struct oracle o = fresh(false, false);
	hold(&o, 0, 300, 0, ORACLE_MAC_NONE);
	hold(&o, 300, 1000, A, ORACLE_MAC_NONE);
	hold(&o, 1000, 9000, 0, ORACLE_MAC_NONE);
	struct oracle_tally run;
	oracle_finish(&o, MS(9000), &run);
	cr_assert_float_eq(ms(run.longest_gap_ns), 300, 0.01, "the gap at the start counts");
	cr_assert_float_eq(ms(run.no_holder_ns), 8300, 0.01, "no_holder counts the open one");
}

Test(oracle_run, sample_reports_changes_of_the_holder_set)
{
	struct oracle o = fresh(false, false);
	struct oracle_sample a = {.holders = A, .mac_node = ORACLE_MAC_NONE};
	struct oracle_sample ab = {.holders = A | B, .mac_node = ORACLE_MAC_NONE};
	cr_assert_eq(oracle_sample(&o, MS(0), &a), 1, "the first sample is a change");
	cr_assert_eq(oracle_sample(&o, MS(2), &a), 0);
	cr_assert_eq(oracle_sample(&o, MS(4), &ab), 1);
	cr_assert_eq(o.run.changes, 2);
}
