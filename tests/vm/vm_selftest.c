/*
 * vm_selftest.c — checks the VM harness itself from inside the VM: the default modules are
 * loaded, a host program handed in (ipvsadm) runs with its libraries, and the per-run token is
 * on the kernel command line. If this fails, every other VM test result is suspect.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *slurp(const char *cmd_or_path, bool is_cmd)
{
	static char buf[65536];
	FILE *f = is_cmd ? popen(cmd_or_path, "r") : fopen(cmd_or_path, "r");
	cr_assert_not_null(f, "cannot open %s", cmd_or_path);
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	if (is_cmd)
		cr_assert_eq(pclose(f), 0, "%s failed:\n%s", cmd_or_path, buf);
	else
		fclose(f);
	return buf;
}

Test(vm_harness, default_modules_loaded)
{
	const char *mods = slurp("/proc/modules", false);
	const char *want[] = {"ip_vs ", "ip_vs_rr ", "nf_conntrack ", "dummy "};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		cr_expect_not_null(strstr(mods, want[i]), "module %s not loaded:\n%s", want[i],
				   mods);
}

Test(vm_harness, host_program_runs)
{
	const char *out = slurp("ipvsadm -Ln 2>&1", true);
	cr_expect_not_null(strstr(out, "IP Virtual Server version"), "ipvsadm said:\n%s", out);
}

Test(vm_harness, token_on_command_line)
{
	const char *cmdline = slurp("/proc/cmdline", false);
	cr_expect_not_null(strstr(cmdline, "vipd.token="), "cmdline: %s", cmdline);
}
