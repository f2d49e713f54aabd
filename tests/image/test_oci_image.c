/*
 * test_oci_image.c — the image step on its own: our static pause program becomes an image
 * archive named as kubeadm expects; skopeo (an independent reader) reports its name, entrypoint
 * and user; a throwaway containerd imports and unpacks it under that name; bad input is refused
 * with the value named.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "oci_image.h"

static char workdir[] = "/tmp/vipd-image-test-XXXXXX";

static void setup(void)
{
	cr_assert_not_null(mkdtemp(workdir));
}

static void teardown(void)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", workdir);
	system(cmd);
}

static int sh(char *out, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int sh(char *out, size_t len, const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p);
	size_t n = out ? fread(out, 1, len - 1, p) : 0;
	if (out)
		out[n] = '\0';
	int st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void build_pause(const char *archive)
{
	char rootfs[512], err[512], scratch[512];
	snprintf(rootfs, sizeof(rootfs), "%s/rootfs", workdir);
	snprintf(scratch, sizeof(scratch), "%s/scratch", workdir);
	mkdir(rootfs, 0755);
	mkdir(scratch, 0755);
	cr_assert_eq(sh(NULL, 0, "cp %s %s/pause", PAUSE_BIN, rootfs), 0);
	static const char *const entry[] = {"/pause", NULL};
	struct oci_image_spec spec = {.rootfs = rootfs,
				      .name = "registry.k8s.io/pause:3.10",
				      .entrypoint = entry,
				      .user = "65535:65535"};
	cr_assert_eq(oci_image_build(&spec, archive, scratch, err, sizeof(err)), 0, "%s", err);
}

Test(oci_image, pause_image_read_back_by_skopeo, .init = setup, .fini = teardown)
{
	char archive[512], out[8192];
	snprintf(archive, sizeof(archive), "%s/pause.tar", workdir);
	build_pause(archive);
	cr_assert_eq(sh(out, sizeof(out), "skopeo inspect --config oci-archive:%s", archive), 0);
	cr_assert(strstr(out, "\"Entrypoint\": [\n            \"/pause\"") ||
		      strstr(out, "\"/pause\""),
		  "%s", out);
	cr_assert(strstr(out, "\"User\": \"65535:65535\""), "%s", out);
	cr_assert(strstr(out, "\"architecture\": \"amd64\""), "%s", out);
	cr_assert_eq(sh(out, sizeof(out), "tar -xOf %s index.json", archive), 0);
	cr_assert(
	    strstr(out, "\"org.opencontainers.image.ref.name\":\"registry.k8s.io/pause:3.10\""),
	    "%s", out);
}

Test(oci_image, containerd_imports_it_under_its_name, .init = setup, .fini = teardown)
{
	if (geteuid() != 0)
		cr_skip_test("containerd needs root");
	char archive[512], out[8192], dir[512];
	snprintf(archive, sizeof(archive), "%s/pause.tar", workdir);
	build_pause(archive);
	snprintf(dir, sizeof(dir), "%s/containerd", workdir);
	mkdir(dir, 0700);
	char config[600];
	snprintf(config, sizeof(config), "%s/config.toml", dir);
	FILE *f = fopen(config, "w");
	cr_assert_not_null(f);
	fprintf(f,
		"version = 2\nroot = \"%s/root\"\nstate = \"%s/state\"\n"
		"disabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n"
		"[grpc]\n  address = \"%s/sock\"\n",
		dir, dir, dir);
	fclose(f);

	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		char log[600];
		snprintf(log, sizeof(log), "%s/log", dir);
		freopen(log, "w", stderr);
		freopen("/dev/null", "w", stdout);
		execlp("containerd", "containerd", "--config", config, (char *)NULL);
		_exit(127);
	}
	int ready = 1;
	for (int i = 0; i < 100 && ready != 0; i++) {
		usleep(100000);
		ready = sh(NULL, 0, "ctr -a %s/sock version >/dev/null 2>&1", dir);
	}
	int imported = ready == 0 ? sh(out, sizeof(out),
				       "ctr -a %s/sock -n k8s.io images import %s 2>&1 "
				       "&& ctr -a %s/sock -n k8s.io images ls -q",
				       dir, archive, dir)
				  : -1;
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	cr_assert_eq(ready, 0, "containerd did not start");
	cr_assert_eq(imported, 0, "%s", out);
	cr_assert(strstr(out, "registry.k8s.io/pause:3.10\n"), "%s", out);
}

Test(oci_image, bad_input_is_named)
{
	char err[256];
	static const char *const bad[] = {"pause", "Registry.k8s.io/Pause:3.10",
					  "pause:", "registry.k8s.io/:3.10", "a/b:t@g"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(oci_image_name_validate(bad[i], err, sizeof(err)), -EINVAL, "%s",
			     bad[i]);
		cr_assert(strstr(err, bad[i]), "error does not name the value: %s", err);
	}
	static const char *const good[] = {"registry.k8s.io/pause:3.10",
					   "registry.k8s.io/kube-apiserver:v1.34.4",
					   "localhost:5000/vipd:0.1.0", "busybox:latest"};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		cr_assert_eq(oci_image_name_validate(good[i], err, sizeof(err)), 0, "%s: %s",
			     good[i], err);

	struct oci_image_spec spec = {.rootfs = "/nonexistent/rootfs", .name = "x/y:1"};
	cr_assert_eq(oci_image_build(&spec, "/tmp/never.tar", "/tmp", err, sizeof(err)), -ENOTDIR);
	cr_assert_str_eq(err, "rootfs \"/nonexistent/rootfs\": not a directory");
}
