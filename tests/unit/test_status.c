/*
 * test_status.c — the daemon's /status snapshot (vipd/status.c) and what `vipd status` makes of
 * it (vipd/status_view.c): the exact JSON text of a leader, nulls for what is unknown, every
 * snapshot read back unchanged, each malformed field refused with its name, the exit code
 * (0 leader, 3 follower, 4 out or not ready), the table, and where the daemon is looked for.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"
#include "status_view.h"

static void leader(struct status *s)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->identity, sizeof(s->identity), "cp");
	s->role = STATUS_LEADER;
	s->ready = true;
	s->backend = STATUS_BACKEND_LEASE;
	snprintf(s->lease, sizeof(s->lease), "kube-system/plndr-cp-lock");
	snprintf(s->holder, sizeof(s->holder), "cp");
	s->observed = true;
	s->transitions = 1;
	s->renewed_wall_ms = 1735787045678; /* 2025-01-02T03:04:05.678Z */
	s->renewed_age_ms = 412;
	snprintf(s->vip, sizeof(s->vip), "192.0.2.254/32");
	snprintf(s->interface, sizeof(s->interface), "eth0");
	s->vip_present = true;
	s->vip_valid_s = 3;
	s->announcements = 12;
	s->conflicts = 2;
	s->gate_enabled = s->gate_engaged = s->gate_passing = true;
	s->gate_release_after = 3;
	s->lb_enabled = s->lb_available = true;
	s->n_backends = 2;
	s->backends[0] = (struct status_lb_backend){.name = "cp",
						    .address = "192.0.2.2",
						    .ready = true,
						    .health = STATUS_HEALTH_HEALTHY,
						    .in_service = true};
	s->backends[1] = (struct status_lb_backend){.name = "cp-m02",
						    .address = "192.0.2.3",
						    .ready = true,
						    .health = STATUS_HEALTH_UNHEALTHY,
						    .in_service = false};
}

static char *format(const struct status *s)
{
	char *text;
	size_t len;
	cr_assert_eq(status_format(s, &text, &len), 0);
	cr_assert_eq(strlen(text), len);
	return text;
}

static const char LEADER_JSON[] =
    "{\"version\": 1, \"identity\": \"cp\", \"role\": \"leader\", \"out_reasons\": [], "
    "\"ready\": true, \"not_ready_reason\": null, \"election\": {\"backend\": \"lease\", "
    "\"lease\": \"kube-system/plndr-cp-lock\", \"holder\": \"cp\", \"observed\": true, "
    "\"transitions\": 1, \"last_renewal\": \"2025-01-02T03:04:05.678Z\", "
    "\"last_renewal_age_ms\": 412}, \"vip\": {\"address\": \"192.0.2.254/32\", \"interface\": "
    "\"eth0\", \"present\": true, \"valid_lifetime_s\": 3, \"announcements\": 12, "
    "\"announce_errors\": 0, \"conflicts\": 2}, \"health_gate\": {\"enabled\": true, "
    "\"engaged\": true, \"passing\": true, \"consecutive_failures\": 0, "
    "\"failures_to_release\": 3}, \"lb\": {\"enabled\": true, \"available\": true, "
    "\"backends\": [{\"name\": \"cp\", \"address\": \"192.0.2.2\", \"ready\": true, "
    "\"health\": \"healthy\", \"in_service\": true}, {\"name\": \"cp-m02\", \"address\": "
    "\"192.0.2.3\", \"ready\": true, \"health\": \"unhealthy\", \"in_service\": false}]}}\n";

Test(status, leader_exact_json)
{
	struct status s;
	leader(&s);
	char *text = format(&s);
	cr_assert_str_eq(text, LEADER_JSON);
	free(text);
}

/* format → parse → format gives the same text, and the fields come back. */
static void round_trip(const struct status *s)
{
	char *a = format(s);
	struct status back;
	char why[256];
	cr_assert_eq(status_parse(a, strlen(a), &back, why, sizeof(why)), 0, "%s", why);
	char *b = format(&back);
	cr_assert_str_eq(a, b);
	cr_assert_eq(back.role, s->role);
	cr_assert_eq(back.out, s->out);
	cr_assert_eq(back.renewed_wall_ms, s->renewed_wall_ms);
	cr_assert_eq(back.renewed_age_ms, s->renewed_age_ms);
	cr_assert_eq(back.vip_valid_s, s->vip_valid_s);
	cr_assert_eq(back.n_backends, s->n_backends);
	cr_assert_eq(back.conflicts, s->conflicts);
	free(a);
	free(b);
}

Test(status, leader_round_trip)
{
	struct status s;
	leader(&s);
	round_trip(&s);
}

Test(status, unknowns_are_null_and_read_back_as_minus_one)
{
	struct status s;
	leader(&s);
	s.role = STATUS_FOLLOWER;
	s.renewed_wall_ms = s.renewed_age_ms = -1;
	s.vip_present = false;
	s.vip_valid_s = -1;
	s.lb_enabled = false;
	s.n_backends = 0;
	char *text = format(&s);
	cr_assert(strstr(text, "\"last_renewal\": null, \"last_renewal_age_ms\": null"), "%s",
		  text);
	cr_assert(strstr(text, "\"valid_lifetime_s\": null"), "%s", text);
	free(text);
	round_trip(&s);
}

Test(status, out_with_reasons_and_not_ready)
{
	struct status s;
	leader(&s);
	s.role = STATUS_OUT;
	s.out = STATUS_OUT_HEALTH_GATE | STATUS_OUT_LINK;
	s.ready = false;
	snprintf(s.not_ready_reason, sizeof(s.not_ready_reason), "the local control plane fails");
	char *text = format(&s);
	cr_assert(strstr(text, "\"role\": \"out\", \"out_reasons\": [\"health_gate\", \"link\"], "
			       "\"ready\": false, \"not_ready_reason\": \"the local control plane "
			       "fails\""),
		  "%s", text);
	free(text);
	round_trip(&s);
	cr_assert_str_eq(status_out_name(s.out), "health_gate");
}

Test(status, etcd_backend_and_full_backend_table)
{
	struct status s;
	leader(&s);
	s.backend = STATUS_BACKEND_ETCD;
	s.n_backends = STATUS_BACKENDS_MAX;
	for (size_t i = 0; i < STATUS_BACKENDS_MAX; i++) {
		snprintf(s.backends[i].name, sizeof(s.backends[i].name), "n%zu", i);
		snprintf(s.backends[i].address, sizeof(s.backends[i].address), "fd00::%zx", i);
	}
	round_trip(&s);
}

Test(status, format_refuses_out_of_range)
{
	struct status s;
	char *text;
	size_t len;
	leader(&s);
	s.role = (enum status_role)7;
	cr_assert_eq(status_format(&s, &text, &len), -EINVAL);
	leader(&s);
	s.n_backends = STATUS_BACKENDS_MAX + 1;
	cr_assert_eq(status_format(&s, &text, &len), -EINVAL);
}

/* Replace the first `from` in the leader's JSON by `to`, parse, expect the field in why. */
static void refused(const char *from, const char *to, const char *why_has)
{
	const char *at = strstr(LEADER_JSON, from);
	cr_assert(at, "test bug: \"%s\" not in the leader JSON", from);
	char text[4096];
	snprintf(text, sizeof(text), "%.*s%s%s", (int)(at - LEADER_JSON), LEADER_JSON, to,
		 at + strlen(from));
	struct status s;
	char why[256];
	cr_assert_eq(status_parse(text, strlen(text), &s, why, sizeof(why)), -EPROTO,
		     "accepted: %s", text);
	cr_assert(strstr(why, why_has), "why \"%s\" lacks \"%s\"", why, why_has);
}

Test(status, each_bad_field_is_named)
{
	refused("\"version\": 1", "\"version\": 2", "field \"version\": expected 1");
	refused("\"role\": \"leader\"", "\"role\": \"boss\"",
		"field \"role\": expected leader, follower or out");
	refused("\"role\": \"leader\", ", "", "field \"role\": expected a value (it is missing)");
	refused("\"out_reasons\": []", "\"out_reasons\": [\"bored\"]", "field \"out_reasons\"");
	refused("\"ready\": true", "\"ready\": 1", "field \"ready\": expected true or false");
	refused("\"backend\": \"lease\"", "\"backend\": \"zookeeper\"",
		"field \"election.backend\": expected lease or etcd");
	refused("\"transitions\": 1", "\"transitions\": -1", "field \"election.transitions\"");
	refused("\"2025-01-02T03:04:05.678Z\"", "\"yesterday\"", "field \"election.last_renewal\"");
	refused("\"2025-01-02T03:04:05.678Z\"", "\"2025-13-02T03:04:05.678Z\"",
		"field \"election.last_renewal\"");
	refused("\"present\": true", "\"present\": \"yes\"",
		"field \"vip.present\": expected true or false");
	refused("\"valid_lifetime_s\": 3", "\"valid_lifetime_s\": 1.5",
		"field \"vip.valid_lifetime_s\": expected a whole number >= 0, or null");
	refused("\"conflicts\": 2", "\"conflicts\": null", "field \"vip.conflicts\"");
	refused("\"health_gate\": {", "\"health_gate\": [", "not JSON");
	refused("\"health_gate\": {\"enabled\": true, ",
		"\"health_gate\": 5, \"x\": {\"enabled\": true, ",
		"field \"health_gate\": expected an object");
	refused("\"health\": \"healthy\"", "\"health\": \"meh\"",
		"field \"lb.backends[].health\": expected unknown, healthy or unhealthy");
	refused("\"identity\": \"cp\"", "\"identity\": \"c\\u0000p\"", "not JSON: \\u0000");
	refused("\"identity\": \"cp\"", "\"identity\": \"cp\", \"identity\": \"x\"", "not JSON");
	refused("{\"version\"", "[{\"version\"", "not JSON");
}

Test(status, long_string_and_too_many_backends_refused)
{
	char name[400];
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	char to[512];
	snprintf(to, sizeof(to), "\"identity\": \"%s\"", name);
	refused("\"identity\": \"cp\"", to, "field \"identity\": expected a string shorter than");
	char list[4096] = "\"backends\": [";
	for (int i = 0; i < STATUS_BACKENDS_MAX + 1; i++)
		strcat(list, i ? ", {}" : "{}");
	strcat(list, "], \"x\": [");
	refused("\"backends\": [", list, "field \"lb.backends\": expected an array of at most 32");
}

Test(status, unknown_fields_are_ignored_and_not_json_refused)
{
	char text[4096];
	snprintf(text, sizeof(text), "{\"future\": {\"a\": [1]}, %s", LEADER_JSON + 1);
	struct status s;
	char why[256];
	cr_assert_eq(status_parse(text, strlen(text), &s, why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(s.role, STATUS_LEADER);
	cr_assert_eq(status_parse("", 0, &s, why, sizeof(why)), -EPROTO);
	cr_assert(strstr(why, "not JSON"), "%s", why);
	cr_assert_eq(status_parse("ok\n", 3, &s, NULL, 0), -EPROTO);
}

Test(status_view, exit_codes)
{
	struct status s;
	leader(&s);
	cr_assert_eq(status_exit_code(&s), 0);
	s.role = STATUS_FOLLOWER;
	cr_assert_eq(status_exit_code(&s), 3);
	s.ready = false; /* e.g. the lease has not been read yet */
	cr_assert_eq(status_exit_code(&s), 4);
	s.ready = true;
	s.role = STATUS_OUT;
	s.out = STATUS_OUT_COLLISION;
	cr_assert_eq(status_exit_code(&s), 4);
	leader(&s);
	s.ready = false; /* lb_enable without ip_vs */
	cr_assert_eq(status_exit_code(&s), 4);
}

static char *table(const struct status *s)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	status_print_table(s, f);
	fclose(f);
	return buf;
}

Test(status_view, table)
{
	struct status s;
	leader(&s);
	char *t = table(&s);
	cr_assert(strstr(t, "role         leader\n"), "%s", t);
	cr_assert(strstr(t, "ready        yes\n"), "%s", t);
	cr_assert(strstr(t, "election     lease kube-system/plndr-cp-lock, holder cp, 1 "
			    "transitions\n"),
		  "%s", t);
	cr_assert(strstr(t, "renewed      412 ms ago (2025-01-02T03:04:05.678Z)\n"), "%s", t);
	cr_assert(strstr(t, "vip          192.0.2.254/32 on eth0: present, kernel lifetime 3 s; "
			    "12 announcements (0 failed), 2 conflicts\n"),
		  "%s", t);
	cr_assert(strstr(t, "health gate  passing, 0 failures in a row (gives up after 3)\n"), "%s",
		  t);
	cr_assert(strstr(t, "lb           ipvs, 2 backends\n"), "%s", t);
	cr_assert(strstr(t, "  cp-m02 "), "%s", t);
	cr_assert(strstr(t, "unhealthy out\n"), "%s", t);
	free(t);
	s.role = STATUS_OUT;
	s.out = STATUS_OUT_HEALTH_GATE | STATUS_OUT_STOPPING;
	s.ready = false;
	snprintf(s.not_ready_reason, sizeof(s.not_ready_reason), "stopping");
	s.renewed_age_ms = -1;
	s.gate_enabled = s.lb_enabled = false;
	t = table(&s);
	cr_assert(strstr(t, "role         out (health_gate, stopping)\n"), "%s", t);
	cr_assert(strstr(t, "ready        no: stopping\n"), "%s", t);
	cr_assert(strstr(t, "renewed      never (by this node)\n"), "%s", t);
	cr_assert(strstr(t, "health gate  off\nlb           off\n"), "%s", t);
	free(t);
}

Test(status_view, url_from_listen)
{
	static const struct {
		const char *listen, *url;
	} ok[] = {
	    {":2112", "http://127.0.0.1:2112/status"},
	    {"0.0.0.0:2112", "http://127.0.0.1:2112/status"},
	    {"127.0.0.1:9000", "http://127.0.0.1:9000/status"},
	    {"[::]:2112", "http://[::1]:2112/status"},
	    {"[::1]:2112", "http://[::1]:2112/status"},
	    {"[fd00::1]:1", "http://[fd00::1]:1/status"},
	    {"localhost:65535", "http://localhost:65535/status"},
	};
	char url[128];
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		cr_assert_eq(status_url_from_listen(ok[i].listen, url, sizeof(url)), 0, "%s",
			     ok[i].listen);
		cr_assert_str_eq(url, ok[i].url);
	}
	static const char *const bad[] = {"",	   "2112",   ":",    ":0",    ":65536",
					  ":-1",   ":+1",    ":21x", "a/b:1", "u@h:1",
					  "h?x:1", "[::1:1", "[]:1", "h h:1", "[::1]x:1"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(status_url_from_listen(bad[i], url, sizeof(url)), -EINVAL, "%s",
			     bad[i]);
	cr_assert_eq(status_url_from_listen(":2112", url, 10), -EINVAL);
}
