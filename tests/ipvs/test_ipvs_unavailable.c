/*
 * test_ipvs_unavailable.c — a kernel without IPVS gives the documented error and nothing else:
 * -IPVS_ERR_UNAVAILABLE with a message saying so, no crash, no socket left open (counted in
 * /proc/self/fd). Runs on the host (whose kernel has no IP_VS here; where it has, the test is
 * skipped) and inside the test VM with ip_vs not loaded, where it must run, never skip.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "ipvs.h"

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	cr_assert_not_null(d);
	int n = 0;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static bool in_test_vm(void)
{
	char line[1024] = "";
	FILE *f = fopen("/proc/cmdline", "r");
	if (f) {
		if (!fgets(line, sizeof(line), f))
			line[0] = '\0';
		fclose(f);
	}
	return strstr(line, "vipd.token=") != NULL;
}

Test(ipvs_unavailable, documented_error_and_no_leak)
{
	int before = count_fds();
	struct ipvs h;
	struct nl_error err;
	int rc = ipvs_open(&h, &err);
	if (rc == 0) {
		ipvs_close(&h);
		cr_assert(!in_test_vm(), "the VM was booted without ip_vs, yet IPVS answered");
		cr_skip_test("this kernel has IPVS; the unavailable path is tested in the VM");
	}
	cr_expect_eq(rc, -IPVS_ERR_UNAVAILABLE, "rc %d: %s", rc, err.msg);
	cr_expect_eq(err.err, -IPVS_ERR_UNAVAILABLE);
	cr_expect_not_null(strstr(err.msg, "IPVS not in this kernel"), "%s", err.msg);
	cr_expect_eq(count_fds(), before, "a socket was left open");
	cr_expect_null(h.sock.mnl);

	/* Whatever the caller does next with the failed handle is an error, not a crash. */
	struct ipvs_info info;
	cr_expect_eq(ipvs_get_info(&h, &info, &err), -EBADF);
	struct ipvs_reconcile_result res;
	struct ipvs_service svc = {.af = AF_INET, .protocol = IPPROTO_TCP, .port = 6443};
	cr_expect_eq(ipvs_reconcile(&h, &svc, NULL, 0, &res, &err), -EBADF);
	ipvs_close(&h);
	ipvs_close(&h);

	/* Retrying (as vipd would, now and then) leaks nothing either. */
	for (int i = 0; i < 50; i++)
		cr_expect_eq(ipvs_open(&h, &err), -IPVS_ERR_UNAVAILABLE);
	cr_expect_eq(count_fds(), before);
}
