/*
 * test_metrics.c — the /metrics text: exact lines for the kube-vip and client-go families, the
 * renew histogram's cumulative buckets, label escaping (a node name cannot forge a line), and
 * Debian's `promtool check metrics` reading the rendered text without a single complaint.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "metrics.h"

#define PROMTOOL "/usr/bin/promtool"

extern char **environ;

static void fill(struct metrics *m)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->version, sizeof(m->version), "0.3.0");
	snprintf(m->build, sizeof(m->build), "abc123");
	snprintf(m->node, sizeof(m->node), "cp-1");
	snprintf(m->lease_name, sizeof(m->lease_name), "kube-system/plndr-cp-lock");
	m->is_leader = true;
	m->transitions = 3;
	m->become_leader = 2;
	m->release_leader = 1;
	m->identity_collisions = 4;
	m->renew_failures[METRICS_RENEW_CONFLICT] = 5;
	m->renew_failures[METRICS_RENEW_ERROR] = 6;
	m->vip_present = true;
	m->vip_readds = 7;
	m->announcements[METRICS_GARP_REQUEST] = 10;
	m->announcements[METRICS_GARP_REPLY] = 9;
	m->announcements[METRICS_NA] = 8;
	m->announce_errors = 11;
	m->vip_conflicts = 16;
	m->health_gate_enabled = true;
	m->health_gate_engaged = true;
	m->health_gate_healthy = false;
	m->health_gate_failures = 12;
	m->health_gate_releases = 13;
	m->ipvs_enabled = true;
	m->ipvs_available = false;
	m->backends_total = 3;
	m->backends_healthy = 2;
	m->backend_check_failures = 14;
	m->conntrack_flushed = 15;
}

static char *render(const struct metrics *m)
{
	char *text = NULL;
	size_t len = 0;
	cr_assert_eq(metrics_render(m, &text, &len), 0);
	cr_assert_not_null(text);
	cr_assert_eq(strlen(text), len);
	cr_assert(len > 0 && text[len - 1] == '\n', "the text ends with a newline");
	return text;
}

/* True when `line` is a whole line of `text`. */
static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = text; (p = strstr(p, line)) != NULL; p++) {
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	}
	return false;
}

static void expect_line(const char *text, const char *line)
{
	cr_expect(has_line(text, line), "missing line: %s\n--- text ---\n%s", line, text);
}

/* The value on the line that starts with `prefix` followed by a space. */
static double value_of(const char *text, const char *prefix)
{
	size_t n = strlen(prefix);
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (!strncmp(p, prefix, n) && p[n] == ' ')
			return strtod(p + n + 1, NULL);
	}
	cr_assert_fail("no sample %s", prefix);
	return NAN;
}

Test(metrics, kube_vip_and_client_go_families)
{
	struct metrics m;
	fill(&m);
	char *text = render(&m);
	expect_line(text, "# TYPE kube_vip_build_info gauge");
	expect_line(text,
		    "kube_vip_build_info{version=\"0.3.0\",build=\"abc123\",node=\"cp-1\"} 1");
	expect_line(text, "# TYPE kube_vip_is_leader gauge");
	expect_line(text,
		    "kube_vip_is_leader{node=\"cp-1\",lease_name=\"kube-system/plndr-cp-lock\"} 1");
	expect_line(text, "# TYPE kube_vip_leader_election_transitions_total counter");
	expect_line(text, "kube_vip_leader_election_transitions_total"
			  "{lease_name=\"kube-system/plndr-cp-lock\"} 3");
	expect_line(text, "# TYPE leader_election_master_status gauge");
	expect_line(text, "leader_election_master_status{name=\"kube-system/plndr-cp-lock\"} 1");
	free(text);
}

Test(metrics, vipd_families)
{
	struct metrics m;
	fill(&m);
	char *text = render(&m);
	static const char *const lines[] = {
	    "# TYPE vipd_vip_present gauge",
	    "vipd_vip_present 1",
	    "vipd_vip_readds_total 7",
	    "# TYPE vipd_announcements_total counter",
	    "vipd_announcements_total{kind=\"garp_request\"} 10",
	    "vipd_announcements_total{kind=\"garp_reply\"} 9",
	    "vipd_announcements_total{kind=\"na\"} 8",
	    "vipd_announcement_errors_total 11",
	    "# HELP vipd_vip_conflicts_total Frames claiming the VIP for another MAC: while "
	    "leading, "
	    "any MAC not ours; while following, two MACs answering at once.",
	    "# TYPE vipd_vip_conflicts_total counter",
	    "vipd_vip_conflicts_total 16",
	    "vipd_become_leader_total 2",
	    "vipd_release_leader_total 1",
	    "vipd_identity_collisions_total 4",
	    "vipd_renew_failures_total{reason=\"conflict\"} 5",
	    "vipd_renew_failures_total{reason=\"error\"} 6",
	    "vipd_health_gate_enabled 1",
	    "vipd_health_gate_engaged 1",
	    "vipd_health_gate_healthy 0",
	    "vipd_health_gate_failures_total 12",
	    "vipd_health_gate_releases_total 13",
	    "# TYPE vipd_ipvs_enabled gauge",
	    "vipd_ipvs_enabled 1",
	    "vipd_ipvs_available 0",
	    "# TYPE vipd_backends gauge",
	    "vipd_backends 3",
	    "vipd_backends_healthy 2",
	    "vipd_backend_check_failures_total 14",
	    "vipd_conntrack_entries_flushed_total 15",
	};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		expect_line(text, lines[i]);
	free(text);
}

/* The family a sample line belongs to: its name, less a histogram suffix when that family is
 * declared as a histogram. */
static void family_of(const char *text, const char *line, char *fam, size_t size)
{
	size_t n = strcspn(line, "{ ");
	cr_assert(n < size);
	memcpy(fam, line, n);
	fam[n] = '\0';
	static const char *const suffixes[] = {"_bucket", "_sum", "_count"};
	for (size_t i = 0; i < 3; i++) {
		size_t s = strlen(suffixes[i]);
		if (n <= s || strcmp(fam + n - s, suffixes[i]))
			continue;
		char type[300];
		snprintf(type, sizeof(type), "# TYPE %.*s histogram", (int)(n - s), fam);
		if (has_line(text, type))
			fam[n - s] = '\0';
	}
}

Test(metrics, every_sample_has_help_and_type)
{
	struct metrics m;
	fill(&m);
	char *text = render(&m);
	char *copy = strdup(text);
	size_t samples = 0;
	for (char *save, *line = strtok_r(copy, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			continue;
		char fam[256], want[300];
		family_of(text, line, fam, sizeof(fam));
		snprintf(want, sizeof(want), "# HELP %s ", fam);
		cr_expect(strstr(text, want), "no HELP for %s", fam);
		snprintf(want, sizeof(want), "# TYPE %s ", fam);
		cr_expect(strstr(text, want), "no TYPE for %s", fam);
		samples++;
	}
	cr_expect_gt(samples, 30);
	free(copy);
	free(text);
}

Test(metrics, renew_histogram_is_cumulative)
{
	struct metrics m;
	fill(&m);
	static const double seen[] = {0.001, 0.005, 0.02, 0.02, 0.3, 1, 7};
	double sum = 0;
	for (size_t i = 0; i < sizeof(seen) / sizeof(seen[0]); i++) {
		metrics_observe_renew(&m, seen[i]);
		sum += seen[i];
	}
	cr_expect_eq(m.renew_buckets[0], 2, "0.005 falls in le=0.005");
	char *text = render(&m);
	expect_line(text, "# TYPE vipd_renew_duration_seconds histogram");
	expect_line(text, "vipd_renew_duration_seconds_bucket{le=\"0.005\"} 2");
	expect_line(text, "vipd_renew_duration_seconds_bucket{le=\"0.01\"} 2");
	expect_line(text, "vipd_renew_duration_seconds_bucket{le=\"0.025\"} 4");
	expect_line(text, "vipd_renew_duration_seconds_bucket{le=\"0.05\"} 4");
	expect_line(text, "vipd_renew_duration_seconds_bucket{le=\"0.1\"} 4");
	expect_line(text, "vipd_renew_duration_seconds_bucket{le=\"0.25\"} 4");
	expect_line(text, "vipd_renew_duration_seconds_bucket{le=\"0.5\"} 5");
	expect_line(text, "vipd_renew_duration_seconds_bucket{le=\"1\"} 6");
	expect_line(text, "vipd_renew_duration_seconds_bucket{le=\"2.5\"} 6");
	expect_line(text, "vipd_renew_duration_seconds_bucket{le=\"5\"} 6");
	expect_line(text, "vipd_renew_duration_seconds_bucket{le=\"+Inf\"} 7");
	expect_line(text, "vipd_renew_duration_seconds_count 7");
	cr_expect_eq(value_of(text, "vipd_renew_duration_seconds_sum"), sum);
	free(text);
}

Test(metrics, renew_observation_of_a_clock_step_counts_as_instant)
{
	struct metrics m = {0};
	metrics_observe_renew(&m, -0.5);
	metrics_observe_renew(&m, NAN);
	cr_expect_eq(m.renew_buckets[0], 2);
	cr_expect_eq(m.renew_count, 2);
	cr_expect_eq(m.renew_sum_s, 0);
}

Test(metrics, label_values_are_escaped_and_cannot_forge_lines)
{
	struct metrics m;
	fill(&m);
	snprintf(m.node, sizeof(m.node), "a\\b\"}\nkube_vip_is_leader{node=\"x\"} 1");
	char *text = render(&m);
	expect_line(text, "kube_vip_is_leader{node=\"a\\\\b\\\"}\\nkube_vip_is_leader"
			  "{node=\\\"x\\\"} 1\",lease_name=\"kube-system/plndr-cp-lock\"} 1");
	cr_expect(!has_line(text, "kube_vip_is_leader{node=\"x\"} 1"), "a forged line:\n%s", text);
	cr_expect(!strstr(text, "\nkube_vip_is_leader{node=\"x\"}"), "a forged line:\n%s", text);
	free(text);
}

Test(metrics, unterminated_label_fields_are_bounded)
{
	struct metrics m;
	fill(&m);
	memset(m.node, 'n', sizeof(m.node)); /* no NUL: the renderer stops at the field's end */
	char *text = render(&m);
	char want[1024];
	snprintf(want, sizeof(want), "leader_election_master_status{name=\"%s\"} 1", m.lease_name);
	expect_line(text, want);
	char node[sizeof(m.node) + 1];
	memcpy(node, m.node, sizeof(m.node));
	node[sizeof(m.node)] = '\0';
	snprintf(want, sizeof(want), "node=\"%s\"} 1", node);
	cr_expect(strstr(text, want), "the node label holds exactly the field");
	free(text);
}

/* Runs promtool check metrics on `text`; returns its exit status and what it printed. */
static int promtool(const char *text, char *out, size_t out_size)
{
	cr_assert(access(PROMTOOL, X_OK) == 0,
		  PROMTOOL " is missing: install the `prometheus` package (apt-get install "
			   "prometheus), which provides promtool");
	char path[] = "/tmp/test_metrics.XXXXXX";
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0, "mkstemp: %s", strerror(errno));
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	int pipefd[2];
	cr_assert_eq(pipe(pipefd), 0);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, path, O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
	posix_spawn_file_actions_addclose(&fa, pipefd[0]);
	posix_spawn_file_actions_addclose(&fa, pipefd[1]);
	char *argv[] = {PROMTOOL, "check", "metrics", NULL};
	pid_t pid;
	int rc = posix_spawn(&pid, PROMTOOL, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	cr_assert_eq(rc, 0, "posix_spawn %s: %s", PROMTOOL, strerror(rc));
	size_t got = 0;
	ssize_t n;
	while ((n = read(pipefd[0], out + got, out_size - 1 - got)) > 0)
		got += (size_t)n;
	out[got] = '\0';
	close(pipefd[0]);
	int status;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	unlink(path);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void expect_promtool_clean(const struct metrics *m)
{
	char *text = render(m);
	char out[8192];
	int rc = promtool(text, out, sizeof(out));
	cr_expect_eq(rc, 0, "promtool exited %d", rc);
	cr_expect_str_empty(out, "promtool complained:\n%s\n--- text ---\n%s", out, text);
	free(text);
}

Test(metrics, promtool_finds_no_problem_in_a_filled_scrape)
{
	struct metrics m;
	fill(&m);
	metrics_observe_renew(&m, 0.042);
	metrics_observe_renew(&m, 12);
	snprintf(m.node, sizeof(m.node), "we\"ird\\node\nname");
	expect_promtool_clean(&m);
}

Test(metrics, promtool_finds_no_problem_in_an_empty_scrape)
{
	struct metrics m = {0};
	expect_promtool_clean(&m);
}

/* The check above is only worth something if promtool does complain about bad text. */
Test(metrics, promtool_does_complain_about_a_misnamed_counter)
{
	char out[8192];
	int rc = promtool("# HELP bad_things x\n# TYPE bad_things counter\nbad_things 1\n", out,
			  sizeof(out));
	cr_expect_neq(rc, 0);
	cr_expect(strstr(out, "_total"), "promtool said: %s", out);
}
