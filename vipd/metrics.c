/*
 * metrics.c — renders the daemon's figures as Prometheus text (exposition format 0.0.4). One
 * const table names every family once (name, type, help, where its value lives), so a scrape,
 * the unit test and `promtool check metrics` all read the same text.
 */
#include "metrics.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const double metrics_renew_bucket_bounds[METRICS_RENEW_BUCKETS] = {
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
};

struct family;
typedef void (*samples_fn)(FILE *f, const struct family *fam, const struct metrics *m);

/* One metric family. Simple ones have no `samples` and read one bool or uint64_t at `field`. */
struct family {
	const char *name;
	const char *type;
	const char *help;
	samples_fn samples;
	size_t field;
	bool is_bool;
};

void metrics_observe_renew(struct metrics *m, double seconds)
{
	if (!(seconds >= 0)) /* negative or NaN: a clock step, count it as instant */
		seconds = 0;
	for (size_t i = 0; i < METRICS_RENEW_BUCKETS; i++) {
		if (seconds <= metrics_renew_bucket_bounds[i]) {
			m->renew_buckets[i]++;
			break;
		}
	}
	m->renew_count++;
	m->renew_sum_s += seconds;
}

/* The shortest decimal that reads back as `v` ("0.005", "1", "2.5"), as Prometheus writes. */
static void format_double(char *buf, size_t size, double v)
{
	if (isnan(v)) {
		snprintf(buf, size, "NaN");
		return;
	}
	if (isinf(v)) {
		snprintf(buf, size, "%sInf", v > 0 ? "+" : "-");
		return;
	}
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, size, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return;
	}
}

/* Writes `sep` then name="value" with \\, \" and \n escaped: a value cannot end the line. */
static void put_label(FILE *f, char sep, const char *name, const char *value, size_t max)
{
	size_t n = strnlen(value, max);
	fprintf(f, "%c%s=\"", sep, name);
	for (size_t i = 0; i < n; i++) {
		char c = value[i];
		if (c == '\\')
			fputs("\\\\", f);
		else if (c == '"')
			fputs("\\\"", f);
		else if (c == '\n')
			fputs("\\n", f);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

#define PUT_LABEL(f, sep, name, field) put_label(f, sep, name, field, sizeof(field))

static void build_info_samples(FILE *f, const struct family *fam, const struct metrics *m)
{
	fputs(fam->name, f);
	PUT_LABEL(f, '{', "version", m->version);
	PUT_LABEL(f, ',', "build", m->build);
	PUT_LABEL(f, ',', "node", m->node);
	fputs("} 1\n", f);
}

static void is_leader_samples(FILE *f, const struct family *fam, const struct metrics *m)
{
	fputs(fam->name, f);
	PUT_LABEL(f, '{', "node", m->node);
	PUT_LABEL(f, ',', "lease_name", m->lease_name);
	fprintf(f, "} %d\n", m->is_leader ? 1 : 0);
}

static void transitions_samples(FILE *f, const struct family *fam, const struct metrics *m)
{
	fputs(fam->name, f);
	PUT_LABEL(f, '{', "lease_name", m->lease_name);
	fprintf(f, "} %" PRIu64 "\n", m->transitions);
}

static void master_status_samples(FILE *f, const struct family *fam, const struct metrics *m)
{
	fputs(fam->name, f);
	PUT_LABEL(f, '{', "name", m->lease_name);
	fprintf(f, "} %d\n", m->is_leader ? 1 : 0);
}

static void renew_failures_samples(FILE *f, const struct family *fam, const struct metrics *m)
{
	static const char *const reason[METRICS_RENEW_FAILURE_KINDS] = {
	    [METRICS_RENEW_CONFLICT] = "conflict",
	    [METRICS_RENEW_ERROR] = "error",
	};
	for (size_t i = 0; i < METRICS_RENEW_FAILURE_KINDS; i++)
		fprintf(f, "%s{reason=\"%s\"} %" PRIu64 "\n", fam->name, reason[i],
			m->renew_failures[i]);
}

static void announcements_samples(FILE *f, const struct family *fam, const struct metrics *m)
{
	static const char *const kind[METRICS_ANNOUNCE_KINDS] = {
	    [METRICS_GARP_REQUEST] = "garp_request",
	    [METRICS_GARP_REPLY] = "garp_reply",
	    [METRICS_NA] = "na",
	};
	for (size_t i = 0; i < METRICS_ANNOUNCE_KINDS; i++)
		fprintf(f, "%s{kind=\"%s\"} %" PRIu64 "\n", fam->name, kind[i],
			m->announcements[i]);
}

/* Cumulative buckets, then +Inf (= every observation), _sum and _count. */
static void renew_histogram_samples(FILE *f, const struct family *fam, const struct metrics *m)
{
	char num[32];
	uint64_t cumulative = 0;
	for (size_t i = 0; i < METRICS_RENEW_BUCKETS; i++) {
		cumulative += m->renew_buckets[i];
		format_double(num, sizeof(num), metrics_renew_bucket_bounds[i]);
		fprintf(f, "%s_bucket{le=\"%s\"} %" PRIu64 "\n", fam->name, num, cumulative);
	}
	fprintf(f, "%s_bucket{le=\"+Inf\"} %" PRIu64 "\n", fam->name, m->renew_count);
	format_double(num, sizeof(num), m->renew_sum_s);
	fprintf(f, "%s_sum %s\n", fam->name, num);
	fprintf(f, "%s_count %" PRIu64 "\n", fam->name, m->renew_count);
}

static void simple_samples(FILE *f, const struct family *fam, const struct metrics *m)
{
	const char *at = (const char *)m + fam->field;
	if (fam->is_bool) {
		bool b;
		memcpy(&b, at, sizeof(b));
		fprintf(f, "%s %d\n", fam->name, b ? 1 : 0);
		return;
	}
	uint64_t v;
	memcpy(&v, at, sizeof(v));
	fprintf(f, "%s %" PRIu64 "\n", fam->name, v);
}

#define LABELED(name, type, help, fn)                                                              \
	{                                                                                          \
		name, type, help, fn, 0, false                                                     \
	}
#define GAUGE_BOOL(name, help, member)                                                             \
	{                                                                                          \
		name, "gauge", help, NULL, offsetof(struct metrics, member), true                  \
	}
#define GAUGE_U64(name, help, member)                                                              \
	{                                                                                          \
		name, "gauge", help, NULL, offsetof(struct metrics, member), false                 \
	}
#define COUNTER(name, help, member)                                                                \
	{                                                                                          \
		name, "counter", help, NULL, offsetof(struct metrics, member), false               \
	}

static const struct family families[] = {
    LABELED("kube_vip_build_info", "gauge", "Build information of the running vipd (always 1).",
	    build_info_samples),
    LABELED("kube_vip_is_leader", "gauge",
	    "Whether this node holds the control-plane lease (1) or not (0).", is_leader_samples),
    LABELED("kube_vip_leader_election_transitions_total", "counter",
	    "Times this node became or stopped being the control-plane leader.",
	    transitions_samples),
    LABELED("leader_election_master_status", "gauge",
	    "Whether this node is the leader of the named lease (1) or not (0).",
	    master_status_samples),
    COUNTER("vipd_become_leader_total", "Times this node became the leader.", become_leader),
    COUNTER("vipd_release_leader_total", "Times this node stopped leading, for any reason.",
	    release_leader),
    COUNTER("vipd_identity_collisions_total",
	    "Times the lease was found held under this node's identity by another process.",
	    identity_collisions),
    COUNTER("vipd_handovers_total",
	    "Times this node handed the lease over on request (vipd handover).", handovers),
    LABELED("vipd_renew_failures_total", "counter",
	    "Lease renewals that failed, by reason (conflict = 409, error = anything else).",
	    renew_failures_samples),
    LABELED("vipd_renew_duration_seconds", "histogram",
	    "Round-trip time of lease renewals, in seconds.", renew_histogram_samples),
    GAUGE_BOOL("vipd_vip_present", "Whether the VIP is on this node's interface (1) or not (0).",
	       vip_present),
    COUNTER("vipd_vip_readds_total",
	    "Times the VIP was removed by someone else while leading and put back.", vip_readds),
    LABELED("vipd_announcements_total", "counter",
	    "Gratuitous ARPs and unsolicited neighbour advertisements sent, by kind.",
	    announcements_samples),
    COUNTER("vipd_announcement_errors_total", "Announcements that could not be sent.",
	    announce_errors),
    COUNTER("vipd_vip_conflicts_total",
	    "Frames claiming the VIP for another MAC: while leading, any MAC not ours; while "
	    "following, two MACs answering at once.",
	    vip_conflicts),
    GAUGE_BOOL("vipd_health_gate_enabled",
	       "Whether leadership is gated on the local apiserver's health (1) or not (0).",
	       health_gate_enabled),
    GAUGE_BOOL("vipd_health_gate_engaged",
	       "Whether the local apiserver has been ready once, arming the gate (1) or not (0).",
	       health_gate_engaged),
    GAUGE_BOOL("vipd_health_gate_healthy",
	       "Whether the local apiserver currently passes the gate's probe (1) or not (0).",
	       health_gate_healthy),
    COUNTER("vipd_health_gate_failures_total", "Local apiserver health probes that failed.",
	    health_gate_failures),
    COUNTER("vipd_health_gate_releases_total",
	    "Times leadership was given up because the local apiserver was unhealthy.",
	    health_gate_releases),
    GAUGE_BOOL("vipd_ipvs_enabled", "Whether IPVS load balancing is configured (1) or not (0).",
	       ipvs_enabled),
    GAUGE_BOOL("vipd_ipvs_available", "Whether the kernel offers IPVS (1) or not (0).",
	       ipvs_available),
    GAUGE_U64("vipd_backends", "Control-plane backends behind the VIP.", backends_total),
    GAUGE_U64("vipd_backends_healthy", "Control-plane backends that pass their health check.",
	      backends_healthy),
    COUNTER("vipd_backend_check_failures_total", "Backend health checks that failed.",
	    backend_check_failures),
    COUNTER("vipd_conntrack_entries_flushed_total",
	    "Connection-tracking entries flushed for backends that went away.", conntrack_flushed),
};

static void render_family(FILE *f, const struct family *fam, const struct metrics *m)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", fam->name, fam->help, fam->name, fam->type);
	if (fam->samples)
		fam->samples(f, fam, m);
	else
		simple_samples(f, fam, m);
}

int metrics_render(const struct metrics *m, char **out, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	if (!f)
		return -ENOMEM;
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		render_family(f, &families[i], m);
	bool failed = ferror(f);
	if (fclose(f) != 0 || failed) {
		free(buf);
		return -ENOMEM;
	}
	*out = buf;
	*len = n;
	return 0;
}
