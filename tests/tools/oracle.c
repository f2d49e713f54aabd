/*
 * oracle.c — the split-brain rules of vip_watch (see oracle.h): tallies of overlap, gaps,
 * wrong-MAC stretches and HTTP answers for the run and the current trial. Pure.
 */
#include "oracle.h"

#include <string.h>

static unsigned count_holders(uint32_t holders)
{
	return (unsigned)__builtin_popcount(holders);
}

static int64_t max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

bool oracle_mac_wrong(uint32_t holders, int mac_node)
{
	if (count_holders(holders) != 1 || mac_node == ORACLE_MAC_NONE)
		return false;
	if (mac_node < 0 || mac_node >= ORACLE_MAX_NODES)
		return true; /* ORACLE_MAC_UNKNOWN */
	return !(holders & (1u << mac_node));
}

static bool wrong_now(const struct oracle *o)
{
	return o->cfg.mac_rule && o->sampled && oracle_mac_wrong(o->holders, o->mac_node);
}

void oracle_init(struct oracle *o, const struct oracle_config *cfg, int64_t now_ns)
{
	memset(o, 0, sizeof(*o));
	o->cfg = *cfg;
	o->last_ns = now_ns;
	o->http_ok_ns = now_ns;
	o->mac_node = ORACLE_MAC_NONE;
	o->run.start_ns = o->trial.start_ns = now_ns;
}

static void add_times(struct oracle_tally *t, unsigned holders, bool wrong, int64_t dt)
{
	if (holders >= 2)
		t->overlap_ns += dt;
	if (holders == 0)
		t->no_holder_ns += dt;
	if (wrong)
		t->mac_wrong_ns += dt;
}

/* Counts [last_ns, now_ns) in the state the last sample left, and a wrong-MAC stretch that
 * has now passed the grace. */
static void advance(struct oracle *o, int64_t now_ns)
{
	int64_t dt = now_ns - o->last_ns;
	if (!o->sampled || dt <= 0)
		return;
	o->last_ns = now_ns;
	unsigned n = count_holders(o->holders);
	bool wrong = wrong_now(o);
	add_times(&o->run, n, wrong, dt);
	add_times(&o->trial, n, wrong, dt);
	if (wrong && !o->wrong_counted && now_ns - o->wrong_start_ns > o->cfg.mac_grace_ns) {
		o->wrong_counted = true;
		o->run.mac_violations++;
		o->trial.mac_violations++;
	}
}

static void count_sample(struct oracle_tally *t, unsigned n, bool changed)
{
	t->samples++;
	t->changes += changed;
	if (n > t->max_holders)
		t->max_holders = n;
	if (n >= 2)
		t->overlap_samples++;
}

/* A no-holder stretch ends: the run keeps the longest, the trial its part since its start. */
static void close_gap(struct oracle *o, int64_t now_ns)
{
	int64_t gap = now_ns - o->gap_start_ns;
	int64_t in_trial = now_ns - max64(o->gap_start_ns, o->trial.start_ns);
	o->run.longest_gap_ns = max64(o->run.longest_gap_ns, gap);
	o->trial.longest_gap_ns = max64(o->trial.longest_gap_ns, in_trial);
}

int oracle_sample(struct oracle *o, int64_t now_ns, const struct oracle_sample *s)
{
	advance(o, now_ns);
	bool first = !o->sampled;
	bool changed = first || s->holders != o->holders;
	bool was_empty = !first && o->holders == 0;
	bool was_wrong = wrong_now(o);
	unsigned n = count_holders(s->holders);
	count_sample(&o->run, n, changed);
	count_sample(&o->trial, n, changed);
	if (n == 0 && !was_empty)
		o->gap_start_ns = now_ns;
	if (n > 0 && was_empty)
		close_gap(o, now_ns);
	o->sampled = true;
	o->last_ns = now_ns;
	o->holders = s->holders;
	o->mac_node = s->mac_node;
	if (wrong_now(o) && !was_wrong) {
		o->wrong_start_ns = now_ns;
		o->wrong_counted = false;
	}
	return changed;
}

void oracle_http(struct oracle *o, int64_t now_ns, bool ok)
{
	if (!ok) {
		o->run.http_fail++;
		o->trial.http_fail++;
		return;
	}
	o->run.http_ok++;
	o->trial.http_ok++;
	o->run.http_gap_ns = max64(o->run.http_gap_ns, now_ns - o->http_ok_ns);
	o->trial.http_gap_ns =
	    max64(o->trial.http_gap_ns, now_ns - max64(o->http_ok_ns, o->trial.start_ns));
	o->http_ok_ns = now_ns;
}

/* `t` with the HTTP stretch still open at `now_ns` counted, from `t`'s start at the earliest. */
static void close_http(const struct oracle *o, struct oracle_tally *t, int64_t now_ns)
{
	if (o->cfg.http)
		t->http_gap_ns = max64(t->http_gap_ns, now_ns - max64(o->http_ok_ns, t->start_ns));
}

void oracle_mark(struct oracle *o, int64_t now_ns, struct oracle_tally *out)
{
	advance(o, now_ns);
	*out = o->trial;
	close_http(o, out, now_ns);
	if (o->sampled && o->holders == 0)
		out->longest_gap_ns =
		    max64(out->longest_gap_ns, now_ns - max64(o->gap_start_ns, out->start_ns));
	memset(&o->trial, 0, sizeof(o->trial));
	o->trial.start_ns = now_ns;
}

void oracle_finish(struct oracle *o, int64_t now_ns, struct oracle_tally *out)
{
	advance(o, now_ns);
	*out = o->run;
	close_http(o, out, now_ns);
}
