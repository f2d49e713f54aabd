/*
 * status_view.c — the table `vipd status` prints and the exit-code rule, from a snapshot.
 */
#include "status_view.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int status_url_from_listen(const char *listen, char *url, size_t len)
{
	const char *colon = strrchr(listen, ':');
	if (!colon || colon - listen > 255)
		return -EINVAL;
	char *end;
	errno = 0;
	unsigned long port = strtoul(colon + 1, &end, 10);
	if (!colon[1] || *end || errno || colon[1] == '-' || colon[1] == '+' || port < 1 ||
	    port > 65535)
		return -EINVAL;
	char host[256];
	snprintf(host, sizeof(host), "%.*s", (int)(colon - listen), listen);
	bool v6 = host[0] == '[';
	if (v6 && (strlen(host) < 3 || host[strlen(host) - 1] != ']'))
		return -EINVAL;
	/* Letters, digits, '.', '-', and for [v6] also ':': nothing that ends the
	 * authority (/ ? # @) or the URL. */
	for (const char *p = host + v6; *p && p < host + strlen(host) - v6; p++)
		if (!(isalnum((unsigned char)*p) || *p == '.' || *p == '-' || (v6 && *p == ':')))
			return -EINVAL;
	const char *h = host;
	if (!host[0] || !strcmp(host, "0.0.0.0"))
		h = "127.0.0.1";
	else if (!strcmp(host, "[::]"))
		h = "[::1]";
	int n = snprintf(url, len, "http://%s:%lu/status", h, port);
	return n < 0 || (size_t)n >= len ? -EINVAL : 0;
}

int status_exit_code(const struct status *s)
{
	if (s->role == STATUS_OUT || !s->ready)
		return STATUS_EXIT_OUT;
	return s->role == STATUS_LEADER ? STATUS_EXIT_LEADER : STATUS_EXIT_FOLLOWER;
}

static void print_role(const struct status *s, FILE *out)
{
	fprintf(out, "%-12s %s", "role", status_role_name(s->role));
	const char *sep = " (";
	for (unsigned bit = 1; bit <= STATUS_OUT_ALL; bit <<= 1)
		if (s->out & bit) {
			fprintf(out, "%s%s", sep, status_out_name(bit));
			sep = ", ";
		}
	fputs(sep[0] == ',' ? ")\n" : "\n", out);
	fprintf(out, "%-12s %s%s\n", "ready",
		s->ready ? "yes" : "no: ", s->ready ? "" : s->not_ready_reason);
	fprintf(out, "%-12s %s\n", "identity", s->identity);
}

static void print_election(const struct status *s, FILE *out)
{
	fprintf(out, "%-12s %s %s, holder %s, %" PRIu64 " transitions\n", "election",
		s->backend == STATUS_BACKEND_ETCD ? "etcd" : "lease", s->lease,
		s->holder[0]  ? s->holder
		: s->observed ? "none"
			      : "not read yet",
		s->transitions);
	fprintf(out, "%-12s ", "renewed");
	if (s->renewed_age_ms < 0) {
		fputs("never (by this node)\n", out);
		return;
	}
	fprintf(out, "%" PRId64 " ms ago", s->renewed_age_ms);
	if (s->renewed_wall_ms >= 0) {
		time_t t = (time_t)(s->renewed_wall_ms / 1000);
		struct tm tm;
		char when[32];
		if (gmtime_r(&t, &tm) && strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm))
			fprintf(out, " (%s.%03dZ)", when, (int)(s->renewed_wall_ms % 1000));
	}
	fputc('\n', out);
}

static void print_vip(const struct status *s, FILE *out)
{
	fprintf(out, "%-12s %s on %s: %s", "vip", s->vip, s->interface[0] ? s->interface : "?",
		s->vip_present ? "present" : "absent");
	if (s->vip_present && s->vip_valid_s >= 0)
		fprintf(out, ", kernel lifetime %" PRId64 " s", s->vip_valid_s);
	fprintf(out, "; %" PRIu64 " announcements (%" PRIu64 " failed), %" PRIu64 " conflicts\n",
		s->announcements, s->announce_errors, s->conflicts);
}

static void print_gate(const struct status *s, FILE *out)
{
	if (!s->gate_enabled) {
		fprintf(out, "%-12s off\n", "health gate");
		return;
	}
	fprintf(out, "%-12s %s, %u failures in a row (gives up after %u)%s\n", "health gate",
		s->gate_passing ? "passing" : "failing", s->gate_failures, s->gate_release_after,
		s->gate_engaged ? "" : ", not engaged yet");
}

static void print_lb(const struct status *s, FILE *out)
{
	if (!s->lb_enabled) {
		fprintf(out, "%-12s off\n", "lb");
		return;
	}
	fprintf(out, "%-12s %s, %zu backends\n", "lb",
		s->lb_available ? "ipvs" : "no ip_vs in the kernel", s->n_backends);
	for (size_t i = 0; i < s->n_backends && i < STATUS_BACKENDS_MAX; i++) {
		const struct status_lb_backend *b = &s->backends[i];
		fprintf(out, "  %-20s %-39s %-9s %s%s\n", b->name, b->address,
			status_health_name(b->health), b->in_service ? "in service" : "out",
			b->ready ? "" : " (not Ready)");
	}
}

void status_print_table(const struct status *s, FILE *out)
{
	print_role(s, out);
	print_election(s, out);
	print_vip(s, out);
	print_gate(s, out);
	print_lb(s, out);
}
