/*
 * ipvs_views.c — see ipvs_views.h. The library's dumps are rendered the way ipvsadm prints
 * them (ipvsadm's wording: "Masq", "(sh-port)", "persistent 60", "mask 255.255.255.0", "ops"),
 * and ipvsadm's output is reduced to the same tokens.
 */
#include "ipvs_views.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

char *run_cmd(const char *cmd, int *status)
{
	FILE *f = popen(cmd, "r");
	cr_assert_not_null(f, "popen %s", cmd);
	size_t len = 0, cap = 4096;
	char *out = malloc(cap);
	cr_assert_not_null(out);
	size_t n;
	while ((n = fread(out + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (cap - len < 1024) {
			cap *= 2;
			out = realloc(out, cap);
			cr_assert_not_null(out);
		}
	}
	out[len] = '\0';
	int st = pclose(f);
	if (status)
		*status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	return out;
}

static void view_add(struct view *v, const char *line)
{
	v->lines = realloc(v->lines, (v->n + 1) * sizeof(*v->lines));
	cr_assert_not_null(v->lines);
	v->lines[v->n] = strdup(line);
	cr_assert_not_null(v->lines[v->n]);
	v->n++;
}

static int cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void view_sort(struct view *v)
{
	if (v->n)
		qsort(v->lines, v->n, sizeof(*v->lines), cmp_line);
}

void view_free(struct view *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->lines[i]);
	free(v->lines);
	v->lines = NULL;
	v->n = 0;
}

/* Collapses runs of blanks into one space and trims both ends, in place. */
static char *squeeze(char *s)
{
	char *w = s;
	bool blank = true;
	for (char *r = s; *r; r++) {
		if (*r == ' ' || *r == '\t' || *r == '\r') {
			if (!blank)
				*w++ = ' ';
			blank = true;
		} else {
			*w++ = *r;
			blank = false;
		}
	}
	if (w > s && w[-1] == ' ')
		w--;
	*w = '\0';
	return s;
}

/* The first `k` space-separated tokens of `s`, copied into buf. */
static const char *first_tokens(const char *s, int k, char *buf, size_t len)
{
	snprintf(buf, len, "%s", s);
	char *p = buf;
	for (int i = 0; i < k && p; i++) {
		p = strchr(p, ' ');
		if (p && i < k - 1)
			p++;
	}
	if (p)
		*p = '\0';
	return buf;
}

/* Splits ipvsadm output into lines and keeps services ("TCP ...") and destinations ("-> ..."),
 * squeezed; the header lines are dropped. */
static size_t ipvsadm_lines(char *out, char ***lines)
{
	size_t n = 0;
	*lines = NULL;
	for (char *save = NULL, *l = strtok_r(out, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		squeeze(l);
		if (strncmp(l, "TCP ", 4) && strncmp(l, "UDP ", 4) && strncmp(l, "SCTP ", 5) &&
		    strncmp(l, "FWM ", 4) && strncmp(l, "-> ", 3))
			continue;
		if (!strncmp(l, "-> RemoteAddress", 16))
			continue;
		*lines = realloc(*lines, (n + 1) * sizeof(**lines));
		(*lines)[n++] = l;
	}
	return n;
}

void view_ipvsadm(struct view *v)
{
	memset(v, 0, sizeof(*v));
	int st1, st2;
	char *plain = run_cmd("ipvsadm -Ln 2>&1", &st1);
	char *thr = run_cmd("ipvsadm -Ln --thresholds 2>&1", &st2);
	cr_assert_eq(st1, 0, "ipvsadm -Ln failed: %s", plain);
	cr_assert_eq(st2, 0, "ipvsadm -Ln --thresholds failed: %s", thr);
	char **a, **b;
	size_t na = ipvsadm_lines(plain, &a), nb = ipvsadm_lines(thr, &b);
	cr_assert_eq(na, nb, "ipvsadm listings differ in length (%zu, %zu)", na, nb);
	char svc[128] = "";
	for (size_t i = 0; i < na; i++) {
		char line[512];
		if (strncmp(a[i], "-> ", 3)) {
			first_tokens(a[i], 2, svc, sizeof(svc));
			view_add(v, a[i]);
			continue;
		}
		/* "-> addr Fwd weight active inact" and "-> addr uth lth active inact" */
		char addr[80], fwd[16], addr2[80];
		int weight;
		unsigned uth, lth;
		cr_assert_eq(sscanf(a[i], "-> %79s %15s %d", addr, fwd, &weight), 3, "%s", a[i]);
		cr_assert_eq(sscanf(b[i], "-> %79s %u %u", addr2, &uth, &lth), 3, "%s", b[i]);
		cr_assert_str_eq(addr, addr2);
		snprintf(line, sizeof(line), "%s -> %s %s %d %u %u", svc, addr, fwd, weight, uth,
			 lth);
		view_add(v, line);
	}
	free(a);
	free(b);
	free(plain);
	free(thr);
	view_sort(v);
}

static void render_service(const struct ipvs_service *s, char *buf, size_t len)
{
	char key[IPVS_STRLEN];
	int n;
	if (s->fwmark)
		n = snprintf(buf, len, "FWM %u %s", s->fwmark, s->sched);
	else
		n = snprintf(buf, len, "%s %s", ipvs_service_str(s, key, sizeof(key)), s->sched);
	uint32_t sf = s->flags & (IP_VS_SVC_F_SCHED1 | IP_VS_SVC_F_SCHED2 | IP_VS_SVC_F_SCHED3);
	if (sf && !strcmp(s->sched, "sh")) {
		n += snprintf(buf + n, len - n, " (%s%s%s)",
			      sf & IP_VS_SVC_F_SCHED1 ? "sh-fallback" : "",
			      (sf & IP_VS_SVC_F_SCHED1) && (sf & IP_VS_SVC_F_SCHED2) ? "," : "",
			      sf & IP_VS_SVC_F_SCHED2 ? "sh-port" : "");
	}
	if (s->flags & IP_VS_SVC_F_PERSISTENT) {
		n += snprintf(buf + n, len - n, " persistent %u", s->timeout);
		if (s->netmask && s->af == AF_INET) {
			struct in_addr m = {htonl(~(0xffffffffU >> s->netmask))};
			char ms[INET_ADDRSTRLEN];
			inet_ntop(AF_INET, &m, ms, sizeof(ms));
			n += snprintf(buf + n, len - n, " mask %s", ms);
		} else if (s->netmask) {
			n += snprintf(buf + n, len - n, " mask %u", s->netmask);
		}
	}
	if (s->flags & IP_VS_SVC_F_ONEPACKET)
		snprintf(buf + n, len - n, " ops");
}

void view_library(struct ipvs *h, struct view *v)
{
	memset(v, 0, sizeof(*v));
	struct nl_error err;
	struct ipvs_service *svcs;
	size_t ns;
	cr_assert_eq(ipvs_service_dump(h, &svcs, &ns, &err), 0, "%s", err.msg);
	for (size_t i = 0; i < ns; i++) {
		char line[512], svc[128];
		render_service(&svcs[i], line, sizeof(line));
		view_add(v, line);
		first_tokens(line, 2, svc, sizeof(svc));
		struct ipvs_dest *d;
		size_t nd;
		cr_assert_eq(ipvs_dest_dump(h, &svcs[i], &d, &nd, &err), 0, "%s", err.msg);
		for (size_t j = 0; j < nd; j++) {
			char addr[IPVS_STRLEN];
			snprintf(line, sizeof(line), "%s -> %s %s %d %u %u", svc,
				 ipvs_dest_str(&d[j], svcs[i].af, addr, sizeof(addr)),
				 ipvs_fwd_name(d[j].fwd), (int)d[j].weight, d[j].u_thresh,
				 d[j].l_thresh);
			view_add(v, line);
		}
		free(d);
	}
	free(svcs);
	view_sort(v);
}

void assert_views_agree(struct ipvs *h, size_t n_lines)
{
	struct view lib, adm;
	view_library(h, &lib);
	view_ipvsadm(&adm);
	bool same = lib.n == adm.n && lib.n == n_lines;
	for (size_t i = 0; same && i < lib.n; i++)
		same = !strcmp(lib.lines[i], adm.lines[i]);
	if (!same) {
		fprintf(stderr, "library view (%zu lines, %zu expected):\n", lib.n, n_lines);
		for (size_t i = 0; i < lib.n; i++)
			fprintf(stderr, "  %s\n", lib.lines[i]);
		fprintf(stderr, "ipvsadm view (%zu lines):\n", adm.n);
		for (size_t i = 0; i < adm.n; i++)
			fprintf(stderr, "  %s\n", adm.lines[i]);
	}
	view_free(&lib);
	view_free(&adm);
	cr_assert(same, "the library's dump and ipvsadm -Ln disagree (see above)");
}
