/*
 * test_le_decide.c — the Lease election's decisions with a fake clock: a table of observed
 * records × times → read / create / acquire / renew / wait / step down, the observation rules
 * (a watch event never shortens the wait), and a simulated apiserver with several electors
 * checking that two of them never consider themselves leader at the same instant.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "le_decide.h"

#define S(x) ((int64_t)((x)*1e9)) /* seconds of the fake monotonic clock, in ns */
#define WALL 1795514400000000LL	  /* some wall-clock time, microseconds */

static struct le_config cfg_for(const char *id)
{
	struct le_config c = {.t = LE_TIMING_FAST}; /* 5 / 3 / 1 s */
	strcpy(c.ns, "kube-system");
	strcpy(c.name, "plndr-cp-lock");
	strcpy(c.identity, id);
	return c;
}

static struct lease_record held_by(const char *holder, int dur, int transitions)
{
	struct lease_record r = {.duration_s = dur, .transitions = transitions};
	strcpy(r.holder, holder);
	r.has_acquire = r.has_renew = true;
	r.acquire_us = WALL - 100000000;
	r.renew_us = WALL - 1000000;
	return r;
}

static struct le_state present(const struct lease_record *r, int64_t observed_at)
{
	struct le_state st;
	le_state_init(&st);
	st.lease = LE_LEASE_PRESENT;
	st.observed = *r;
	st.observed_at = observed_at;
	strcpy(st.rv, "100");
	st.watching = true;
	return st;
}

/* ---- the decision table ---- */

struct row {
	const char *name;
	struct le_state st;
	int64_t now;
	enum le_act act;
	bool step_down;
	int64_t wake; /* expected wake_at for WAIT rows (LE_NEVER: none) */
};

static void check(const struct le_config *cfg, const struct row *r)
{
	struct le_decision d;
	le_decide(cfg, &r->st, r->now, WALL, &d);
	cr_assert_eq(d.act, r->act, "%s: act %s, expected %s", r->name, le_act_name(d.act),
		     le_act_name(r->act));
	cr_assert_eq(d.step_down, r->step_down, "%s: step_down %d", r->name, d.step_down);
	if (r->act == LE_ACT_WAIT)
		cr_assert_eq(d.wake_at, r->wake, "%s: wake %lld, expected %lld", r->name,
			     (long long)d.wake_at, (long long)r->wake);
}

Test(le_decide, table)
{
	struct le_config cfg = cfg_for("a");
	struct lease_record b5 = held_by("b", 5, 3), b15 = held_by("b", 15, 3),
			    b0 = held_by("b", 0, 3), none = held_by("", 1, 3),
			    a5 = held_by("a", 5, 7);
	struct row rows[32];
	size_t n = 0;
	struct le_state st;

	le_state_init(&st);
	rows[n++] = (struct row){"nothing known: read", st, S(0), LE_ACT_READ, false, 0};

	le_state_init(&st);
	st.lease = LE_LEASE_PRESENT;
	st.stale = true;
	st.read_not_before = S(2);
	rows[n++] = (struct row){"stale, read backs off", st, S(1), LE_ACT_WAIT, false, S(2)};
	rows[n++] = (struct row){"stale, read due", st, S(2), LE_ACT_READ, false, 0};

	le_state_init(&st);
	st.lease = LE_LEASE_ABSENT;
	rows[n++] = (struct row){"missing: create", st, S(0), LE_ACT_CREATE, false, 0};

	st = present(&b5, S(10));
	rows[n++] =
	    (struct row){"held, fresh: wait for expiry", st, S(10), LE_ACT_WAIT, false, S(15)};
	rows[n++] =
	    (struct row){"held, 1ns before expiry", st, S(15) - 1, LE_ACT_WAIT, false, S(15)};
	rows[n++] = (struct row){"held, expired on our clock", st, S(15), LE_ACT_ACQUIRE, false, 0};

	st = present(&b15, S(10));
	rows[n++] = (struct row){
	    "holder's own longer duration counts", st, S(15), LE_ACT_WAIT, false, S(25)};
	st = present(&b0, S(10));
	rows[n++] =
	    (struct row){"no duration in record: ours (5s)", st, S(14), LE_ACT_WAIT, false, S(15)};

	st = present(&none, S(10));
	rows[n++] = (struct row){"released: take at once", st, S(10), LE_ACT_ACQUIRE, false, 0};

	st = present(&b5, S(10));
	st.watching = false;
	st.last_read_at = S(10);
	rows[n++] = (struct row){
	    "no watch: poll after retryPeriod", st, S(10.5), LE_ACT_WAIT, false, S(11)};
	rows[n++] = (struct row){"no watch: poll due", st, S(11), LE_ACT_READ, false, 0};

	st = present(&a5, S(20));
	st.leading = true;
	st.wrote_once = true;
	st.renewed_at = S(20);
	st.last_write_at = S(20);
	rows[n++] =
	    (struct row){"leader: wait for the tick", st, S(20.5), LE_ACT_WAIT, false, S(21)};
	rows[n++] = (struct row){"leader: renew on the tick", st, S(21), LE_ACT_RENEW, false, 0};
	rows[n++] =
	    (struct row){"leader: 1ns before deadline", st, S(23) - 1, LE_ACT_RENEW, false, 0};
	rows[n++] =
	    (struct row){"leader: deadline passed, step down", st, S(23), LE_ACT_RENEW, true, 0};

	st = present(&a5, S(20));
	rows[n++] = (struct row){"names us, written by another process: wait like any holder",
				 st,
				 S(20),
				 LE_ACT_WAIT,
				 false,
				 S(25)};
	rows[n++] = (struct row){"names us, written by another process: acquire on expiry",
				 st,
				 S(25),
				 LE_ACT_ACQUIRE,
				 false,
				 0};
	le_write_started(&cfg, &st, &a5);
	rows[n++] = (struct row){
	    "our own record, not leading: renew now", st, S(20), LE_ACT_RENEW, false, 0};

	st = present(&a5, S(20));
	le_write_started(&cfg, &st, &a5);
	st.leading = true;
	st.renewed_at = S(20);
	st.shutting_down = true;
	rows[n++] = (struct row){"shutdown: wait for duties", st, S(20), LE_ACT_WAIT, false, S(23)};
	st.leading = false;
	rows[n++] = (struct row){
	    "shutdown, not leading: nothing scheduled", st, S(20), LE_ACT_WAIT, false, LE_NEVER};
	st.duties_undone = true;
	rows[n++] =
	    (struct row){"shutdown, duties undone: release", st, S(20), LE_ACT_RELEASE, false, 0};
	st = present(&b5, S(20));
	st.shutting_down = st.duties_undone = true;
	rows[n++] = (struct row){"shutdown, not ours: done", st, S(20), LE_ACT_DONE, false, 0};
	st.done = true;
	rows[n++] = (struct row){"done stays done", st, S(99), LE_ACT_DONE, false, 0};
	le_state_init(&st);
	st.shutting_down = st.duties_undone = true;
	rows[n++] = (struct row){
	    "shutdown before the Lease was ever read: done", st, S(1), LE_ACT_DONE, false, 0};

	for (size_t i = 0; i < n; i++)
		check(&cfg, &rows[i]);
}

Test(le_decide, records_are_written_as_client_go_writes_them)
{
	struct le_config cfg = cfg_for("a");
	struct le_decision d;

	struct le_state st;
	le_state_init(&st);
	st.lease = LE_LEASE_ABSENT;
	le_decide(&cfg, &st, S(0), WALL, &d);
	cr_assert_str_eq(d.write.holder, "a");
	cr_assert_eq(d.write.duration_s, 5);
	cr_assert(d.write.has_acquire && d.write.has_renew);
	cr_assert_eq(d.write.acquire_us, WALL);
	cr_assert_eq(d.write.renew_us, WALL);
	cr_assert_eq(d.write.transitions, 0);

	struct lease_record b = held_by("b", 15, 3);
	st = present(&b, S(0));
	le_decide(&cfg, &st, S(15), WALL, &d);
	cr_assert_eq(d.act, LE_ACT_ACQUIRE);
	cr_assert_eq(d.write.transitions, 4, "takeover increments leaseTransitions");
	cr_assert_eq(d.write.acquire_us, WALL, "takeover sets acquireTime");
	cr_assert_eq(d.write.duration_s, 5, "our own leaseDurationSeconds");

	struct lease_record a = held_by("a", 5, 7);
	st = present(&a, S(0));
	le_write_started(&cfg, &st, &a);
	le_decide(&cfg, &st, S(0), WALL, &d);
	cr_assert_eq(d.act, LE_ACT_RENEW);
	cr_assert_eq(d.write.transitions, 7, "renewal keeps leaseTransitions");
	cr_assert_eq(d.write.acquire_us, a.acquire_us, "renewal keeps acquireTime");
	cr_assert_eq(d.write.renew_us, WALL);

	st.shutting_down = st.duties_undone = true;
	le_decide(&cfg, &st, S(0), WALL, &d);
	cr_assert_eq(d.act, LE_ACT_RELEASE);
	cr_assert_str_eq(d.write.holder, "");
	cr_assert_eq(d.write.duration_s, 1);
	cr_assert_eq(d.write.transitions, 7);
	cr_assert_eq(d.write.acquire_us, WALL);
	cr_assert_eq(d.write.renew_us, WALL);
}

Test(le_decide, wall_clock_never_changes_a_decision)
{
	struct le_config cfg = cfg_for("a");
	struct lease_record b = held_by("b", 5, 0);
	struct le_state st = present(&b, S(100));
	int64_t walls[] = {0, WALL, WALL + 3600000000LL, WALL - 86400000000LL * 365};
	for (size_t i = 0; i < 4; i++) {
		struct le_decision d;
		le_decide(&cfg, &st, S(102), walls[i], &d);
		cr_assert_eq(d.act, LE_ACT_WAIT);
		cr_assert_eq(d.wake_at, S(105));
	}
}

/* ---- observations ---- */

Test(le_decide, a_watch_event_never_shortens_the_wait)
{
	struct le_config cfg = cfg_for("a");
	struct le_state st;
	le_state_init(&st);
	st.watching = true;
	struct lease_record b = held_by("b", 5, 0);
	unsigned ev = le_observe(&cfg, &st, LE_SRC_EVENT, true, &b, NULL, "10", S(0));
	cr_assert(ev & LE_EV_NEW_LEADER);
	/* The same record again (a relist, a bookmark-driven re-read): the clock keeps running. */
	ev = le_observe(&cfg, &st, LE_SRC_EVENT, true, &b, NULL, "10", S(3));
	cr_assert_eq(ev, 0);
	cr_assert_eq(st.observed_at, S(0));
	/* A metadata-only change (new resourceVersion, same spec) does not reset it either. */
	le_observe(&cfg, &st, LE_SRC_EVENT, true, &b, NULL, "11", S(3.5));
	cr_assert_eq(st.observed_at, S(0));
	/* A renewal restarts it. */
	b.renew_us += 1000000;
	le_observe(&cfg, &st, LE_SRC_EVENT, true, &b, NULL, "12", S(4));
	cr_assert_eq(st.observed_at, S(4));
	struct le_decision d;
	le_decide(&cfg, &st, S(8.9), WALL, &d);
	cr_assert_eq(d.act, LE_ACT_WAIT);
	cr_assert_eq(d.wake_at, S(9));
}

Test(le_decide, older_events_are_ignored)
{
	struct le_config cfg = cfg_for("a");
	struct le_state st;
	le_state_init(&st);
	struct lease_record a = held_by("a", 5, 1), none = held_by("", 1, 1);
	/* We acquired (reply rv 20); the watch then delivers the release that preceded it. */
	le_write_done(&cfg, &st, LE_ACT_ACQUIRE, &a, LE_RES_OK, "20", S(1), S(1.01));
	cr_assert(st.leading);
	unsigned ev = le_observe(&cfg, &st, LE_SRC_EVENT, true, &none, NULL, "19", S(1.02));
	cr_assert_eq(ev, 0);
	cr_assert(st.leading);
	cr_assert_str_eq(st.observed.holder, "a");
}

Test(le_decide, leader_stops_at_once_when_another_holder_appears)
{
	struct le_config cfg = cfg_for("a");
	struct le_state st;
	le_state_init(&st);
	st.watching = true;
	struct lease_record a = held_by("a", 5, 1), c = held_by("c", 5, 2);
	le_write_done(&cfg, &st, LE_ACT_ACQUIRE, &a, LE_RES_OK, "20", S(1), S(1));
	cr_assert(le_is_leader(&cfg, &st, S(1.5)));
	unsigned ev = le_observe(&cfg, &st, LE_SRC_EVENT, true, &c, NULL, "21", S(1.5));
	cr_assert(ev & LE_EV_STOPPED);
	cr_assert(ev & LE_EV_NEW_LEADER);
	cr_assert_not(le_is_leader(&cfg, &st, S(1.5)));
	/* And it waits the full duration for c. */
	struct le_decision d;
	le_decide(&cfg, &st, S(2), WALL, &d);
	cr_assert_eq(d.act, LE_ACT_WAIT);
	cr_assert_eq(d.wake_at, S(6.5));
}

Test(le_decide, lease_deleted_under_the_leader)
{
	struct le_config cfg = cfg_for("a");
	struct le_state st;
	le_state_init(&st);
	struct lease_record a = held_by("a", 5, 1);
	le_write_done(&cfg, &st, LE_ACT_CREATE, &a, LE_RES_OK, "5", S(0), S(0));
	unsigned ev = le_observe(&cfg, &st, LE_SRC_EVENT, false, NULL, NULL, "6", S(0.5));
	cr_assert(ev & LE_EV_STOPPED);
	struct le_decision d;
	le_decide(&cfg, &st, S(0.5), WALL, &d);
	cr_assert_eq(d.act, LE_ACT_CREATE);
}

/* ---- write results ---- */

Test(le_decide, leadership_counts_from_the_send_time)
{
	struct le_config cfg = cfg_for("a");
	struct le_state st;
	le_state_init(&st);
	struct lease_record a = held_by("a", 5, 0);
	unsigned ev = le_write_done(&cfg, &st, LE_ACT_ACQUIRE, &a, LE_RES_OK, "7", S(10), S(10.2));
	cr_assert(ev & LE_EV_STARTED);
	cr_assert(le_is_leader(&cfg, &st, S(13) - 1));
	cr_assert_not(le_is_leader(&cfg, &st, S(13)), "renewDeadline from the send time");
}

Test(le_decide, a_late_reply_does_not_make_a_leader)
{
	/* Sent, then the process was stopped (SIGSTOP) past the deadline; the reply is read after.
	 */
	struct le_config cfg = cfg_for("a");
	struct le_state st;
	le_state_init(&st);
	struct lease_record a = held_by("a", 5, 0);
	unsigned ev = le_write_done(&cfg, &st, LE_ACT_ACQUIRE, &a, LE_RES_OK, "7", S(10), S(19));
	cr_assert_eq(ev & LE_EV_STARTED, 0);
	cr_assert_not(le_is_leader(&cfg, &st, S(19)));
}

Test(le_decide, stopped_past_the_deadline_steps_down_before_anything_else)
{
	struct le_config cfg = cfg_for("a");
	struct le_state st;
	le_state_init(&st);
	struct lease_record a = held_by("a", 5, 0);
	le_write_done(&cfg, &st, LE_ACT_ACQUIRE, &a, LE_RES_OK, "7", S(10), S(10));
	/* SIGCONT 20 s later. */
	cr_assert_not(le_is_leader(&cfg, &st, S(30)));
	struct le_decision d;
	le_decide(&cfg, &st, S(30), WALL, &d);
	cr_assert(d.step_down);
	cr_assert_eq(le_step_down(&st), LE_EV_STOPPED);
}

Test(le_decide, conflict_rereads_now_and_error_at_the_next_tick)
{
	struct le_config cfg = cfg_for("a");
	struct lease_record b = held_by("", 1, 0), w = held_by("a", 5, 1);
	struct le_state st = present(&b, S(0));
	le_write_done(&cfg, &st, LE_ACT_ACQUIRE, &w, LE_RES_CONFLICT, NULL, S(1), S(1.01));
	struct le_decision d;
	le_decide(&cfg, &st, S(1.01), WALL, &d);
	cr_assert_eq(d.act, LE_ACT_READ);
	cr_assert_not(st.leading);

	st = present(&b, S(0));
	le_write_done(&cfg, &st, LE_ACT_ACQUIRE, &w, LE_RES_ERROR, NULL, S(1), S(1.2));
	le_decide(&cfg, &st, S(1.2), WALL, &d);
	cr_assert_eq(d.act, LE_ACT_WAIT);
	cr_assert_eq(d.wake_at, S(2));
}

Test(le_decide, renewal_failures_step_down_within_renew_deadline)
{
	struct le_config cfg = cfg_for("a");
	struct le_state st;
	le_state_init(&st);
	st.watching = true;
	struct lease_record a = held_by("a", 5, 0);
	le_write_done(&cfg, &st, LE_ACT_CREATE, &a, LE_RES_OK, "1", S(0), S(0));
	int64_t t = S(0);
	bool stepped = false;
	/* Every request fails from now on. */
	while (t < S(10) && !stepped) {
		t += S(0.01);
		struct le_decision d;
		le_decide(&cfg, &st, t, WALL, &d);
		if (d.step_down) {
			stepped = true;
			le_step_down(&st);
			break;
		}
		if (d.act == LE_ACT_RENEW)
			le_write_done(&cfg, &st, d.act, &d.write, LE_RES_ERROR, NULL, t,
				      t + S(0.5));
		else if (d.act == LE_ACT_READ)
			le_read_done(&cfg, &st, LE_RES_ERROR, t);
	}
	cr_assert(stepped);
	cr_assert_geq(t, S(3));
	cr_assert_lt(t, S(3.02));
}

/* ---- simulation: several electors, one apiserver, a fake clock ---- */

struct fake_server {
	bool exists;
	struct lease_record rec;
	char handed_to[LEASE_HOLDER_MAX]; /* the hand-over note, as lease_elector.c keeps it */
	unsigned long rv;
};

struct sim_node {
	struct le_config cfg;
	struct le_state st;
	bool dead;	 /* killed: does nothing */
	bool cut;	 /* partitioned: every request fails */
	int64_t last_ok; /* last moment it considered itself leader */
};

static enum le_result server_write(struct fake_server *s, enum le_act act, const char *rv,
				   const struct lease_record *w)
{
	char cur[32];
	snprintf(cur, sizeof(cur), "%lu", s->rv);
	if (act == LE_ACT_CREATE) {
		if (s->exists)
			return LE_RES_CONFLICT;
	} else {
		if (!s->exists)
			return LE_RES_NOT_FOUND;
		if (strcmp(rv, cur))
			return LE_RES_CONFLICT;
	}
	s->exists = true;
	s->rec = *w;
	s->rv++;
	if (act == LE_ACT_RELEASE && w->holder[0])
		strcpy(s->handed_to, w->holder);
	else if (act == LE_ACT_ACQUIRE && !strcmp(s->handed_to, w->holder))
		s->handed_to[0] = '\0'; /* lease_takeover_note */
	return LE_RES_OK;
}

static void broadcast(struct fake_server *s, struct sim_node *nodes, size_t n, int64_t t)
{
	char rv[32];
	snprintf(rv, sizeof(rv), "%lu", s->rv);
	for (size_t i = 0; i < n; i++)
		if (!nodes[i].dead && !nodes[i].cut && nodes[i].st.watching)
			le_observe(&nodes[i].cfg, &nodes[i].st, LE_SRC_EVENT, s->exists, &s->rec,
				   s->handed_to, rv, t);
}

/* Runs `n` electors for `secs` seconds in 10 ms steps; `event(t)` may kill or cut nodes.
 * Asserts that no two consider themselves leader at one instant. Returns the time at which
 * node `watch_for` first led (or -1). */
static int64_t simulate(struct sim_node *nodes, size_t n, double secs,
			void (*event)(struct sim_node *nodes, int64_t t), size_t watch_for)
{
	struct fake_server srv = {.rv = 1};
	int64_t first_lead = -1;
	for (int64_t t = 0; t < S(secs); t += S(0.01)) {
		if (event)
			event(nodes, t);
		for (size_t i = 0; i < n; i++) {
			struct sim_node *nd = &nodes[i];
			if (nd->dead)
				continue;
			struct le_decision d;
			le_decide(&nd->cfg, &nd->st, t, WALL + t / 1000, &d);
			if (d.step_down)
				le_step_down(&nd->st);
			char rv[32];
			snprintf(rv, sizeof(rv), "%lu", srv.rv);
			switch (d.act) {
			case LE_ACT_READ:
				if (nd->cut) {
					le_read_done(&nd->cfg, &nd->st, LE_RES_ERROR, t);
					break;
				}
				le_observe(&nd->cfg, &nd->st, LE_SRC_READ, srv.exists, &srv.rec,
					   srv.handed_to, rv, t);
				le_read_done(&nd->cfg, &nd->st,
					     srv.exists ? LE_RES_OK : LE_RES_NOT_FOUND, t);
				break;
			case LE_ACT_CREATE:
			case LE_ACT_ACQUIRE:
			case LE_ACT_RENEW:
			case LE_ACT_RELEASE: {
				le_write_started(&nd->cfg, &nd->st, &d.write);
				enum le_result r =
				    nd->cut ? LE_RES_ERROR
					    : server_write(&srv, d.act, nd->st.rv, &d.write);
				snprintf(rv, sizeof(rv), "%lu", srv.rv);
				le_write_done(&nd->cfg, &nd->st, d.act, &d.write, r, rv, t, t);
				if (r == LE_RES_OK)
					broadcast(&srv, nodes, n, t);
				break;
			}
			default:
				break;
			}
		}
		int leaders = 0;
		for (size_t i = 0; i < n; i++) {
			if (!nodes[i].dead && le_is_leader(&nodes[i].cfg, &nodes[i].st, t)) {
				leaders++;
				nodes[i].last_ok = t;
				if (i == watch_for && first_lead < 0)
					first_lead = t;
			}
		}
		/* A node that was killed or cut off may still *believe* it leads until its
		 * deadline; what matters is that no two believe it at the same instant. */
		cr_assert_leq(leaders, 1, "two leaders at t=%.2fs", t / 1e9);
	}
	return first_lead;
}

static void init_nodes(struct sim_node *nodes, size_t n)
{
	const char *ids[] = {"a", "b", "c"};
	for (size_t i = 0; i < n; i++) {
		memset(&nodes[i], 0, sizeof(nodes[i]));
		nodes[i].cfg = cfg_for(ids[i]);
		le_state_init(&nodes[i].st);
		nodes[i].st.watching = true;
	}
}

static int64_t kill_time;

static void kill_a(struct sim_node *nodes, int64_t t)
{
	if (t == kill_time)
		nodes[0].dead = true;
}

Test(le_sim, killed_leader_is_replaced_after_lease_duration)
{
	struct sim_node nodes[3];
	init_nodes(nodes, 3);
	kill_time = S(10);
	int64_t b_led = simulate(nodes, 3, 30, kill_a, 1);
	int64_t c_led = nodes[2].last_ok;
	int64_t took = b_led > 0 ? b_led : c_led;
	cr_assert_gt(took, 0, "someone took over");
	/* a's last renewal was at most 1 s before the kill; the others wait 5 s from seeing it. */
	cr_assert_geq(took, S(10) + S(4));
	cr_assert_leq(took, S(10) + S(5) + S(0.02));
}

static void cut_a(struct sim_node *nodes, int64_t t)
{
	if (t == S(10))
		nodes[0].cut = true;
	if (t == S(25))
		nodes[0].cut = false; /* the partition heals: a must come back as a follower */
}

Test(le_sim, partitioned_leader_steps_down_before_takeover)
{
	struct sim_node nodes[3];
	init_nodes(nodes, 3);
	simulate(nodes, 3, 40, cut_a, 0);
	cr_assert_not(le_is_leader(&nodes[0].cfg, &nodes[0].st, S(40)));
}

static void release_a(struct sim_node *nodes, int64_t t)
{
	if (t == S(10)) {
		le_shutdown(&nodes[0].st);
		le_duties_undone(&nodes[0].st);
	}
}

Test(le_sim, graceful_release_is_taken_at_once)
{
	struct sim_node nodes[2];
	init_nodes(nodes, 2);
	int64_t b_led = simulate(nodes, 2, 15, release_a, 1);
	cr_assert(nodes[0].st.done);
	cr_assert_geq(b_led, S(10));
	cr_assert_leq(b_led, S(10.02), "b took over at %.2fs", b_led / 1e9);
}

/* Identity collision: a record naming us that we did not write ends our leadership at once;
 * our own writes, seen by the watch before or after their reply, do not. */
Test(le_decide, identity_collision_steps_down)
{
	struct le_config cfg = cfg_for("a");
	struct le_state st;
	le_state_init(&st);
	struct lease_record mine = {
	    .holder = "a", .duration_s = 5, .has_renew = true, .renew_us = 111};
	le_write_started(&cfg, &st, &mine);
	cr_assert(le_write_done(&cfg, &st, LE_ACT_CREATE, &mine, LE_RES_OK, "5", S(0), S(0)) &
		  LE_EV_STARTED);
	/* Our renewal, seen by the watch before its reply. */
	struct lease_record renewal = mine;
	renewal.renew_us = 222;
	le_write_started(&cfg, &st, &renewal);
	cr_assert_eq(le_observe(&cfg, &st, LE_SRC_EVENT, true, &renewal, NULL, "6", S(1)) &
			 LE_EV_COLLISION,
		     0);
	cr_assert(st.leading);
	/* Someone else's record under our name. */
	struct lease_record theirs = mine;
	theirs.renew_us = 999;
	unsigned ev = le_observe(&cfg, &st, LE_SRC_EVENT, true, &theirs, NULL, "7", S(1.5));
	cr_assert(ev & LE_EV_COLLISION);
	cr_assert(ev & LE_EV_STOPPED);
	cr_assert_not(st.leading);
	/* Not leading: a record naming us is no collision. */
	theirs.renew_us = 1000;
	cr_assert_eq(le_observe(&cfg, &st, LE_SRC_EVENT, true, &theirs, NULL, "8", S(2)) &
			 LE_EV_COLLISION,
		     0);
}

/* After an etcd restore resourceVersions go backwards: a GET or LIST is the truth whatever its
 * resourceVersion; only watch events are ordered. */
Test(le_decide, authoritative_reads_are_not_ordered)
{
	struct le_config cfg = cfg_for("a");
	struct le_state st;
	le_state_init(&st);
	st.watching = true;
	struct lease_record b = held_by("b", 5, 1), c = held_by("c", 5, 2);
	le_observe(&cfg, &st, LE_SRC_EVENT, true, &b, NULL, "1000", S(0));
	unsigned ev = le_observe(&cfg, &st, LE_SRC_READ, true, &c, NULL, "50", S(1));
	cr_assert(ev & LE_EV_NEW_LEADER);
	cr_assert_str_eq(st.observed.holder, "c");
	cr_assert_str_eq(st.rv, "50");
	ev = le_observe(&cfg, &st, LE_SRC_READ, false, NULL, NULL, "40", S(2));
	cr_assert_eq(st.lease, LE_LEASE_ABSENT);
	cr_assert_str_eq(st.rv, "40");
}

/* A renewal's reply (rv 21) read after the watch delivered a newer takeover (rv 22): the stale
 * reply must neither overwrite the observation nor make us leader again. */
Test(le_decide, a_stale_write_reply_does_not_resurrect_leadership)
{
	struct le_config cfg = cfg_for("a");
	struct le_state st;
	le_state_init(&st);
	st.watching = true;
	struct lease_record a = held_by("a", 5, 1), c = held_by("c", 5, 2);
	le_write_started(&cfg, &st, &a);
	le_write_done(&cfg, &st, LE_ACT_ACQUIRE, &a, LE_RES_OK, "20", S(1), S(1));
	cr_assert(st.leading);
	struct lease_record renewal = a;
	renewal.renew_us += 1000000;
	le_write_started(&cfg, &st, &renewal);
	unsigned ev = le_observe(&cfg, &st, LE_SRC_EVENT, true, &c, NULL, "22", S(2.01));
	cr_assert(ev & LE_EV_STOPPED);
	ev = le_write_done(&cfg, &st, LE_ACT_RENEW, &renewal, LE_RES_OK, "21", S(2), S(2.02));
	cr_assert_eq(ev & LE_EV_STARTED, 0);
	cr_assert_not(st.leading);
	cr_assert_not(le_is_leader(&cfg, &st, S(2.02)));
	cr_assert_str_eq(st.observed.holder, "c");
	cr_assert_str_eq(st.rv, "22");
	/* c is waited for in full, from when its record was seen. */
	struct le_decision d;
	le_decide(&cfg, &st, S(2.02), WALL, &d);
	cr_assert_eq(d.act, LE_ACT_WAIT);
	cr_assert_eq(d.wake_at, S(2.01) + S(5));
}

/* A Lease deleted under another holder: that holder may act until its own watch or renewal
 * tells it, so followers wait its leaseDuration from when the deletion was seen. */
Test(le_decide, a_deleted_lease_is_waited_for)
{
	struct le_config cfg = cfg_for("a");
	struct le_state st;
	le_state_init(&st);
	st.watching = true;
	struct lease_record b = held_by("b", 15, 3);
	le_observe(&cfg, &st, LE_SRC_EVENT, true, &b, NULL, "10", S(0));
	le_observe(&cfg, &st, LE_SRC_EVENT, false, NULL, NULL, "11", S(2));
	struct le_decision d;
	le_decide(&cfg, &st, S(2), WALL, &d);
	cr_assert_eq(d.act, LE_ACT_WAIT, "act %s", le_act_name(d.act));
	cr_assert_eq(d.wake_at, S(17));
	le_decide(&cfg, &st, S(17) - 1, WALL, &d);
	cr_assert_eq(d.act, LE_ACT_WAIT);
	le_decide(&cfg, &st, S(17), WALL, &d);
	cr_assert_eq(d.act, LE_ACT_CREATE);
	/* The same seen by a GET (404). */
	le_state_init(&st);
	le_observe(&cfg, &st, LE_SRC_READ, true, &b, NULL, "10", S(0));
	le_observe(&cfg, &st, LE_SRC_READ, false, NULL, NULL, NULL, S(2));
	le_decide(&cfg, &st, S(16), WALL, &d);
	cr_assert_neq(d.act, LE_ACT_CREATE);
}

/* A holder blanked by hand (kubectl edit) is no release: its holder may still act. */
Test(le_decide, a_blanked_holder_is_waited_for)
{
	struct le_config cfg = cfg_for("a");
	struct le_state st;
	le_state_init(&st);
	st.watching = true;
	struct lease_record b = held_by("b", 15, 3), blank = held_by("", 15, 3);
	le_observe(&cfg, &st, LE_SRC_EVENT, true, &b, NULL, "10", S(0));
	le_observe(&cfg, &st, LE_SRC_EVENT, true, &blank, NULL, "11", S(2));
	struct le_decision d;
	le_decide(&cfg, &st, S(2), WALL, &d);
	cr_assert_eq(d.act, LE_ACT_WAIT, "act %s", le_act_name(d.act));
	cr_assert_eq(d.wake_at, S(17));
	le_decide(&cfg, &st, S(17), WALL, &d);
	cr_assert_eq(d.act, LE_ACT_ACQUIRE);
	/* The last holder's duration counts even when the blanked record says otherwise. */
	struct lease_record blank1 = held_by("", 2, 3);
	le_state_init(&st);
	st.watching = true;
	le_observe(&cfg, &st, LE_SRC_EVENT, true, &b, NULL, "10", S(0));
	le_observe(&cfg, &st, LE_SRC_EVENT, true, &blank1, NULL, "11", S(2));
	le_decide(&cfg, &st, S(2), WALL, &d);
	cr_assert_eq(d.act, LE_ACT_WAIT, "act %s", le_act_name(d.act));
	cr_assert_eq(d.wake_at, S(17));
	/* A proper release (holder "", leaseDurationSeconds 1) is taken at once. */
	struct lease_record rel = held_by("", 1, 3);
	le_state_init(&st);
	st.watching = true;
	le_observe(&cfg, &st, LE_SRC_EVENT, true, &b, NULL, "10", S(0));
	le_observe(&cfg, &st, LE_SRC_EVENT, true, &rel, NULL, "11", S(2));
	le_decide(&cfg, &st, S(2), WALL, &d);
	cr_assert_eq(d.act, LE_ACT_ACQUIRE);
	/* A released Lease then deleted: nobody to wait for. */
	le_observe(&cfg, &st, LE_SRC_EVENT, false, NULL, NULL, "12", S(3));
	le_decide(&cfg, &st, S(3), WALL, &d);
	cr_assert_eq(d.act, LE_ACT_CREATE);
}

/* ---- planned hand-over ---- */

static const char *handover_target;

static void handover_a(struct sim_node *nodes, int64_t t)
{
	if (t == S(10)) {
		cr_assert(le_is_leader(&nodes[0].cfg, &nodes[0].st, t), "a leads before");
		cr_assert_eq(le_handover(&nodes[0].st, handover_target), LE_EV_STOPPED);
		le_duties_undone(&nodes[0].st);
	}
}

Test(le_sim, handover_to_a_named_node_is_taken_by_it_at_once)
{
	struct sim_node nodes[3];
	init_nodes(nodes, 3);
	handover_target = "c";
	int64_t c_led = simulate(nodes, 3, 20, handover_a, 2);
	cr_assert(nodes[0].st.done);
	cr_assert_geq(c_led, S(10));
	cr_assert_leq(c_led, S(10.02), "c took over at %.2fs", c_led / 1e9);
	cr_assert_eq(nodes[1].last_ok, 0, "b never led");
	cr_assert(le_is_leader(&nodes[2].cfg, &nodes[2].st, S(20) - S(0.01)), "c still leads");
}

Test(le_sim, handover_to_anyone_is_a_release)
{
	struct sim_node nodes[3];
	init_nodes(nodes, 3);
	handover_target = LEASE_HANDOVER_ANY;
	int64_t b_led = simulate(nodes, 3, 15, handover_a, 1);
	cr_assert(nodes[0].st.done);
	/* b steps first in each tick of the simulation, so it wins the race. */
	cr_assert_geq(b_led, S(10));
	cr_assert_leq(b_led, S(10.02), "b took over at %.2fs", b_led / 1e9);
}

Test(le_decide, handover_record_names_the_next_holder)
{
	struct le_config cfg = cfg_for("a");
	struct lease_record a5 = held_by("a", 5, 7);
	struct le_state st = present(&a5, S(0));
	le_write_started(&cfg, &st, &a5); /* we wrote it: ours to hand over */
	st.leading = true;
	st.renewed_at = S(0);
	cr_assert_eq(le_handover(&st, "b"), LE_EV_STOPPED);
	cr_assert_not(le_is_leader(&cfg, &st, S(0.1)));
	struct le_decision d;
	le_decide(&cfg, &st, S(0.1), WALL, &d);
	cr_assert_eq(d.act, LE_ACT_WAIT, "the VIP goes first: nothing is written before that");
	le_duties_undone(&st);
	le_decide(&cfg, &st, S(0.1), WALL, &d);
	cr_assert_eq(d.act, LE_ACT_RELEASE);
	cr_assert_str_eq(d.write.holder, "b");
	cr_assert_eq(d.write.duration_s, 5);
	cr_assert_eq(d.write.transitions, 8);
	cr_assert_eq(d.write.renew_us, WALL);
	cr_assert_eq(d.write.acquire_us, WALL);
	cr_assert_eq(le_write_done(&cfg, &st, d.act, &d.write, LE_RES_OK, "101", S(0.1), S(0.11)),
		     LE_EV_NEW_LEADER);
	cr_assert(st.done);

	/* "*": client-go's release. */
	st = present(&a5, S(0));
	le_write_started(&cfg, &st, &a5);
	st.leading = true;
	le_handover(&st, LEASE_HANDOVER_ANY);
	le_duties_undone(&st);
	le_decide(&cfg, &st, S(0.1), WALL, &d);
	cr_assert_eq(d.act, LE_ACT_RELEASE);
	cr_assert_str_eq(d.write.holder, "");
	cr_assert_eq(d.write.duration_s, 1);
	cr_assert_eq(d.write.transitions, 7);
}

Test(le_decide, the_named_node_renews_at_once_and_others_wait)
{
	struct lease_record to_b = held_by("b", 5, 8);
	to_b.acquire_us = to_b.renew_us; /* as build_release writes it */
	struct le_config b = cfg_for("b"), c = cfg_for("c");
	struct le_state sb, sc;
	le_state_init(&sb);
	le_state_init(&sc);
	sb.watching = sc.watching = true;
	le_observe(&b, &sb, LE_SRC_EVENT, true, &to_b, "b", "100", S(1));
	le_observe(&c, &sc, LE_SRC_EVENT, true, &to_b, "b", "100", S(1));
	struct le_decision d;
	le_decide(&b, &sb, S(1), WALL, &d);
	cr_assert_eq(d.act, LE_ACT_RENEW);
	cr_assert_eq(d.write.transitions, 8, "a renewal keeps the hand-over's transition count");
	le_decide(&c, &sc, S(1), WALL, &d);
	cr_assert_eq(d.act, LE_ACT_WAIT);
	cr_assert_eq(d.wake_at, S(6));
}

/* ---- one identity, two processes ---- */

/* Observes `rec` as a GET would, at `t`, on a fresh watching state. */
static struct le_state seen_fresh(const struct le_config *cfg, const struct lease_record *rec,
				  const char *handed_to, int64_t t)
{
	struct le_state st;
	le_state_init(&st);
	st.watching = true;
	le_observe(cfg, &st, LE_SRC_READ, true, rec, handed_to, "100", t);
	le_read_done(cfg, &st, LE_RES_OK, t);
	return st;
}

/* A live record naming us that we never wrote (a node given our name, or our predecessor): it is
 * waited out like anyone's, then taken over as client-go takes over. */
Test(le_decide, a_record_naming_us_we_did_not_write_is_waited_out)
{
	struct le_config cfg = cfg_for("a");
	struct lease_record twin = held_by("a", 5, 7);
	struct le_state st = seen_fresh(&cfg, &twin, NULL, S(2));
	struct le_decision d;
	le_decide(&cfg, &st, S(2), WALL, &d);
	cr_assert_eq(d.act, LE_ACT_WAIT, "act %s", le_act_name(d.act));
	cr_assert_eq(d.wake_at, S(7));
	le_decide(&cfg, &st, S(7) - 1, WALL, &d);
	cr_assert_eq(d.act, LE_ACT_WAIT, "act %s", le_act_name(d.act));
	le_decide(&cfg, &st, S(7), WALL, &d);
	cr_assert_eq(d.act, LE_ACT_ACQUIRE, "act %s", le_act_name(d.act));
	cr_assert_str_eq(d.write.holder, "a");
	cr_assert_eq(d.write.transitions, 8, "a takeover: transitions + 1");
	cr_assert_eq(d.write.acquire_us, WALL, "a takeover: acquireTime now");
	/* Deleted: the twin may still act, so its duration is waited from the deletion. */
	le_observe(&cfg, &st, LE_SRC_EVENT, false, NULL, NULL, "101", S(3));
	le_decide(&cfg, &st, S(8) - 1, WALL, &d);
	cr_assert_eq(d.act, LE_ACT_WAIT, "act %s", le_act_name(d.act));
	cr_assert_eq(d.wake_at, S(8));
	le_decide(&cfg, &st, S(8), WALL, &d);
	cr_assert_eq(d.act, LE_ACT_CREATE, "act %s", le_act_name(d.act));
}

/* Its twin renews every second: the duplicate never writes. */
Test(le_decide, a_twin_that_keeps_renewing_is_never_overtaken)
{
	struct le_config cfg = cfg_for("a");
	struct lease_record twin = held_by("a", 5, 7);
	struct le_state st = seen_fresh(&cfg, &twin, NULL, S(0));
	char rv[32];
	for (int64_t t = S(0); t < S(60); t += S(0.01)) {
		if (t % S(1) == 0 && t > 0) {
			twin.renew_us += 1000000;
			snprintf(rv, sizeof(rv), "%lld", (long long)(100 + t / S(1)));
			cr_assert_eq(le_observe(&cfg, &st, LE_SRC_EVENT, true, &twin, NULL, rv, t) &
					 LE_EV_COLLISION,
				     0);
		}
		struct le_decision d;
		le_decide(&cfg, &st, t, WALL + t / 1000, &d);
		cr_assert_eq(d.act, LE_ACT_WAIT, "t=%.2fs: act %s", t / 1e9, le_act_name(d.act));
		cr_assert_not(le_is_leader(&cfg, &st, t));
	}
}

/* Our own record, seen after we stepped down (the API was unreachable long enough for more
 * failed renewals than the ring holds): renewed at once, as before. */
Test(le_decide, our_own_record_is_renewed_at_once_after_stepping_down)
{
	struct le_config cfg = cfg_for("a");
	struct le_state st;
	le_state_init(&st);
	st.watching = true;
	struct lease_record mine = held_by("a", 5, 2);
	le_write_started(&cfg, &st, &mine);
	le_write_done(&cfg, &st, LE_ACT_ACQUIRE, &mine, LE_RES_OK, "10", S(0), S(0));
	cr_assert(st.leading);
	for (int i = 1; i <= 6; i++) {
		struct lease_record r = mine;
		r.renew_us += i * 1000000;
		le_write_started(&cfg, &st, &r);
		le_write_done(&cfg, &st, LE_ACT_RENEW, &r, LE_RES_ERROR, NULL, S(i * 0.5),
			      S(i * 0.5));
	}
	struct le_decision d;
	le_decide(&cfg, &st, S(3.5), WALL, &d);
	cr_assert(d.step_down);
	le_step_down(&st);
	le_observe(&cfg, &st, LE_SRC_READ, true, &mine, NULL, "10", S(4));
	le_read_done(&cfg, &st, LE_RES_OK, S(4));
	le_decide(&cfg, &st, S(4), WALL, &d);
	cr_assert_eq(d.act, LE_ACT_RENEW, "act %s", le_act_name(d.act));
	cr_assert_eq(d.write.transitions, 2);
}

/* A hand-over to us is taken at once, but only the hand-over record itself: once renewed (by a
 * twin) it is spent, and the note alone (it stays on the object) proves nothing. */
Test(le_decide, a_handover_is_taken_once)
{
	struct le_config cfg = cfg_for("b");
	struct lease_record to_b = held_by("b", 5, 8);
	to_b.acquire_us = to_b.renew_us;
	struct le_decision d;
	struct le_state st = seen_fresh(&cfg, &to_b, "b", S(1));
	le_decide(&cfg, &st, S(1), WALL, &d);
	cr_assert_eq(d.act, LE_ACT_RENEW, "act %s", le_act_name(d.act));

	struct lease_record renewed = to_b;
	renewed.renew_us += 1000000;
	st = seen_fresh(&cfg, &renewed, "b", S(1));
	le_decide(&cfg, &st, S(1), WALL, &d);
	cr_assert_eq(d.act, LE_ACT_WAIT, "renewed by a twin: act %s", le_act_name(d.act));
	cr_assert_eq(d.wake_at, S(6));

	st = seen_fresh(&cfg, &to_b, NULL, S(1));
	le_decide(&cfg, &st, S(1), WALL, &d);
	cr_assert_eq(d.act, LE_ACT_WAIT, "no note (a twin's takeover): act %s", le_act_name(d.act));
	st = seen_fresh(&cfg, &to_b, "c", S(1));
	le_decide(&cfg, &st, S(1), WALL, &d);
	cr_assert_eq(d.act, LE_ACT_WAIT, "a note for c: act %s", le_act_name(d.act));
	st = seen_fresh(&cfg, &to_b, LEASE_HANDOVER_ANY, S(1));
	le_decide(&cfg, &st, S(1), WALL, &d);
	cr_assert_eq(d.act, LE_ACT_WAIT, "a note for anyone: act %s", le_act_name(d.act));
}

/* Shutdown releases only what we wrote (or a hand-over to us, which was ours to take). */
Test(le_decide, shutdown_of_a_twin_that_never_led_releases_nothing)
{
	struct le_config cfg = cfg_for("a");
	struct lease_record twin = held_by("a", 5, 7);
	struct le_state st = seen_fresh(&cfg, &twin, NULL, S(0));
	cr_assert_eq(le_shutdown(&st), 0);
	le_duties_undone(&st);
	struct le_decision d;
	le_decide(&cfg, &st, S(1), WALL, &d);
	cr_assert_eq(d.act, LE_ACT_DONE, "act %s", le_act_name(d.act));

	struct lease_record to_a = twin;
	to_a.acquire_us = to_a.renew_us;
	st = seen_fresh(&cfg, &to_a, "a", S(0));
	le_shutdown(&st);
	le_duties_undone(&st);
	le_decide(&cfg, &st, S(1), WALL, &d);
	cr_assert_eq(d.act, LE_ACT_RELEASE, "act %s", le_act_name(d.act));
	cr_assert_str_eq(d.write.holder, "");
}

static void twin_of_a(struct sim_node *nodes, int64_t t)
{
	if (t == 0)
		nodes[2].dead = true; /* not started yet */
	if (t == S(5))
		nodes[2].dead = false;
	if (t == S(20))
		nodes[0].dead = true;
}

/* A second vipd given a's name starts while a leads: it never leads while a renews, and after a
 * dies it (or b) takes over only once a's Lease has run out. */
Test(le_sim, a_second_process_with_our_identity_never_leads)
{
	struct sim_node nodes[3];
	init_nodes(nodes, 3);
	nodes[2].cfg = cfg_for("a");
	int64_t twin_led = simulate(nodes, 3, 40, twin_of_a, 2);
	cr_assert_geq(nodes[0].last_ok, S(20) - S(0.02), "a led until it died");
	cr_assert(twin_led < 0 || twin_led >= S(20) + S(4), "the twin led at %.2fs",
		  twin_led / 1e9);
	int64_t took = twin_led > 0 ? twin_led : nodes[1].last_ok;
	cr_assert_gt(took, S(20) + S(4), "someone took over");
}
