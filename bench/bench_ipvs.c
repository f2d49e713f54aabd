/*
 * bench_ipvs.c — how fast vipd's IPVS reconcile fills and updates a large table, next to
 * Debian's ipvsadm-restore loading the same rules. Runs inside the test VM (target bench-ipvs).
 *
 * Each round, from an empty table:
 *   1. reconcile: add 1 000 services (TCP, rr) and reconcile each to 4 masquerade destinations;
 *   2. change 10 %: every 10th service gets one weight change and one backend replaced, then
 *      all 1 000 services are reconciled (one dump each, plus the changes); and the same change
 *      once more reconciling only the 100 services it touches;
 *   3. ipvsadm-restore of the same full table (after a flush), then the same 10 % change
 *      written as ipvsadm commands (-e/-a/-d) fed to `ipvsadm -R` (ipvsadm-restore itself
 *      always clears the table first, so it cannot apply a change).
 * Prints the median of each over the rounds, and the ratios. Figures only: nothing is asserted
 * about time; the tables are checked for size so a broken run cannot print good numbers.
 */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "ipvs.h"

#define SERVICES 1000
#define DESTS	 4
#define ROUNDS	 5

extern char **environ;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct ipvs_service service(int i)
{
	struct ipvs_service s = {.af = AF_INET, .protocol = IPPROTO_TCP, .port = 80, .sched = "rr"};
	char addr[32];
	snprintf(addr, sizeof(addr), "10.0.%d.%d", i / 250, i % 250 + 1);
	ipvs_addr_parse(addr, &s.addr);
	return s;
}

/* Backend j of a service: 10.1.0.(j+1):6443; in the changed state, every 10th service has
 * backend 0 at weight 2 and backend 3 replaced by 10.1.0.5. */
static void backends(int i, bool changed, struct ipvs_dest *d)
{
	for (int j = 0; j < DESTS; j++) {
		d[j] = (struct ipvs_dest){
		    .af = AF_INET, .port = 6443, .fwd = IP_VS_CONN_F_MASQ, .weight = 1};
		char addr[32];
		snprintf(addr, sizeof(addr), "10.1.0.%d", j + 1);
		ipvs_addr_parse(addr, &d[j].addr);
	}
	if (changed && i % 10 == 0) {
		d[0].weight = 2;
		ipvs_addr_parse("10.1.0.5", &d[3].addr);
	}
}

static void die(const char *what, const struct nl_error *err)
{
	fprintf(stderr, "bench_ipvs: %s: %s\n", what, err ? err->msg : "");
	exit(1);
}

/* Counts services and destinations in the table (through the library). */
static void table_size(struct ipvs *h, size_t *ns, size_t *nd)
{
	struct nl_error err;
	struct ipvs_service *svcs;
	if (ipvs_service_dump(h, &svcs, ns, &err) < 0)
		die("dump", &err);
	*nd = 0;
	for (size_t i = 0; i < *ns; i++) {
		struct ipvs_dest *d;
		size_t n;
		if (ipvs_dest_dump(h, &svcs[i], &d, &n, &err) < 0)
			die("dump", &err);
		*nd += n;
		free(d);
	}
	free(svcs);
}

static void check_size(struct ipvs *h, const char *after)
{
	size_t ns, nd;
	table_size(h, &ns, &nd);
	if (ns != SERVICES || nd != SERVICES * DESTS) {
		fprintf(stderr, "bench_ipvs: after %s: %zu services, %zu destinations\n", after, ns,
			nd);
		exit(1);
	}
}

/* One pass of reconcile over every service (or, with `step` 10, over the changed ones only);
 * returns the IPVS requests made. */
static unsigned reconcile_all(struct ipvs *h, bool changed, int step)
{
	struct nl_error err;
	unsigned calls = 0;
	for (int i = 0; i < SERVICES; i += step) {
		struct ipvs_service s = service(i);
		struct ipvs_dest d[DESTS];
		backends(i, changed, d);
		struct ipvs_reconcile_result res;
		if (ipvs_reconcile(h, &s, d, DESTS, &res, &err) < 0)
			die("reconcile", &err);
		calls += res.calls;
	}
	return calls;
}

static void write_rules(const char *path, bool delta)
{
	FILE *f = fopen(path, "w");
	if (!f)
		die(path, NULL);
	for (int i = 0; i < SERVICES; i++) {
		char vip[IPVS_STRLEN], be[IPVS_STRLEN];
		struct ipvs_service s = service(i);
		struct ipvs_dest d[DESTS], old[DESTS];
		snprintf(vip, sizeof(vip), "%s",
			 strchr(ipvs_service_str(&s, be, sizeof(be)), ' ') + 1);
		backends(i, true, d);
		backends(i, false, old);
		if (!delta) {
			fprintf(f, "-A -t %s -s rr\n", vip);
			for (int j = 0; j < DESTS; j++)
				fprintf(f, "-a -t %s -r %s -m -w %d\n", vip,
					ipvs_dest_str(&old[j], AF_INET, be, sizeof(be)),
					(int)old[j].weight);
		} else if (i % 10 == 0) {
			fprintf(f, "-e -t %s -r %s -m -w %d\n", vip,
				ipvs_dest_str(&d[0], AF_INET, be, sizeof(be)), (int)d[0].weight);
			fprintf(f, "-a -t %s -r %s -m -w 1\n", vip,
				ipvs_dest_str(&d[3], AF_INET, be, sizeof(be)));
			fprintf(f, "-d -t %s -r %s\n", vip,
				ipvs_dest_str(&old[3], AF_INET, be, sizeof(be)));
		}
	}
	fclose(f);
}

/* Runs `argv[0] argv... < path` and returns its wall time. */
static double run_with_input(char *const argv[], const char *path)
{
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, path, O_RDONLY, 0);
	pid_t pid;
	double t0 = now();
	int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	if (rc != 0) {
		fprintf(stderr, "bench_ipvs: cannot run %s: %s\n", argv[0], strerror(rc));
		exit(1);
	}
	int st;
	waitpid(pid, &st, 0);
	double t = now() - t0;
	posix_spawn_file_actions_destroy(&fa);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "bench_ipvs: %s < %s failed\n", argv[0], path);
		exit(1);
	}
	return t;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(void)
{
	struct ipvs h;
	struct nl_error err;
	if (ipvs_open(&h, &err) < 0)
		die("open", &err);
	write_rules("/tmp/full.rules", false);
	write_rules("/tmp/delta.rules", true);

	double fill[ROUNDS], change[ROUNDS], only[ROUNDS], r_fill[ROUNDS], r_change[ROUNDS];
	unsigned fill_calls = 0, change_calls = 0, only_calls = 0;
	for (int r = 0; r < ROUNDS; r++) {
		if (ipvs_flush(&h, &err) < 0)
			die("flush", &err);
		double t0 = now();
		for (int i = 0; i < SERVICES; i++) {
			struct ipvs_service s = service(i);
			if (ipvs_service_add(&h, &s, 0, &err) < 0)
				die("add service", &err);
		}
		fill_calls = SERVICES + reconcile_all(&h, false, 1);
		fill[r] = now() - t0;
		check_size(&h, "reconcile from empty");

		t0 = now();
		change_calls = reconcile_all(&h, true, 1);
		change[r] = now() - t0;
		check_size(&h, "reconcile of the 10 % change");
		/* The same change again, reconciling only the services it touches. */
		reconcile_all(&h, false, 10);
		t0 = now();
		only_calls = reconcile_all(&h, true, 10);
		only[r] = now() - t0;
		check_size(&h, "reconcile of the changed services");

		if (ipvs_flush(&h, &err) < 0)
			die("flush", &err);
		/* ipvsadm-restore clears the table (ipvsadm -C) and pipes its input to ipvsadm -R;
		 * a change therefore goes straight to ipvsadm -R. */
		r_fill[r] = run_with_input((char *[]){"ipvsadm-restore", NULL}, "/tmp/full.rules");
		check_size(&h, "ipvsadm-restore of the full table");
		r_change[r] = run_with_input((char *[]){"ipvsadm", "-R", NULL}, "/tmp/delta.rules");
		check_size(&h, "ipvsadm-restore of the change");
		printf("round %d: reconcile %.3f s, change %.3f s (changed only %.3f s) | "
		       "ipvsadm-restore %.3f s, ipvsadm -R change %.3f s\n",
		       r + 1, fill[r], change[r], only[r], r_fill[r], r_change[r]);
	}
	ipvs_flush(&h, &err);
	ipvs_close(&h);

	double mf = median(fill, ROUNDS), mc = median(change, ROUNDS), mo = median(only, ROUNDS);
	double rf = median(r_fill, ROUNDS), rc = median(r_change, ROUNDS);
	printf("\nIPVS, %d services x %d destinations, medians of %d rounds (inside the VM):\n",
	       SERVICES, DESTS, ROUNDS);
	printf("  from empty:  vipd reconcile %8.3f s (%u requests)   ipvsadm-restore %8.3f s   "
	       "ratio %.2f\n",
	       mf, fill_calls, rf, mf / rf);
	printf("  10%% change:  vipd reconcile %8.3f s (%u requests)   ipvsadm -R      %8.3f s   "
	       "ratio %.2f\n",
	       mc, change_calls, rc, mc / rc);
	printf("  10%% change, changed services only: vipd reconcile %8.3f s (%u requests)   "
	       "ratio %.2f\n",
	       mo, only_calls, mo / rc);
	printf("  (ratio = vipd / ipvsadm; the first change pass reconciles all %d services, "
	       "ipvsadm -R applies only the %d changed lines)\n",
	       SERVICES, SERVICES / 10 * 3);
	return 0;
}
