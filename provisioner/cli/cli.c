/*
 * cli.c — the context every command builds: root check, directories, the pinned upstream
 * programs, image archives (built once per upstream build and reused; ours rebuilt, which
 * takes about a second), and the profile under its lock. Logs of the modules go to the
 * profile's provisioner.log; the terminal gets step lines and one-line errors.
 */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bootstrap.h"
#include "fsutil.h"
#include "images.h"
#include "kubeconfig_user.h"
#include "supervise.h"
#include "vipd_image.h"

int cli_fail(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("❌  ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return code;
}

int cli_need_root(const char *command)
{
	if (geteuid() == 0)
		return 0;
	return cli_fail(EXIT_PERMISSION,
			"`provisioner %s` must run as root (it makes namespaces, links and "
			"cgroups); you are uid %u",
			command, (unsigned)geteuid());
}

const char *cli_profile_default(void)
{
	const char *env = getenv("MINIKUBE_PROFILE");
	return env && *env ? env : CLI_DEFAULT_PROFILE;
}

int cli_init(struct cli *c)
{
	memset(c, 0, sizeof(*c));
	c->lock_fd = -1;
	c->log = (struct logger){.out = stderr, .level = LOG_WARN};
	if (profile_home(c->home, sizeof(c->home)))
		return cli_fail(EXIT_USAGE, "no home: set PROVISIONER_HOME or HOME");
	if (kubeconfig_user_path(c->kubeconfig, sizeof(c->kubeconfig)))
		return cli_fail(EXIT_USAGE, "no kubeconfig path: set KUBECONFIG or HOME");
	ssize_t n = readlink("/proc/self/exe", c->self, sizeof(c->self) - 1);
	if (n <= 0)
		return cli_fail(EXIT_INTERNAL, "cannot find this program: %s", strerror(errno));
	c->self[n] = '\0';
	return 0;
}

/* `cmd > out`, the first line of its output. */
static int run_capture(char *const *argv, char *out, size_t len)
{
	char tmp[] = "/tmp/provisioner-run.XXXXXX";
	int fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	close(fd);
	struct sv_spec spec = {.name = argv[0], .argv = argv, .log_path = tmp};
	int err = sv_run(&spec, 120000, NULL);
	FILE *f = fopen(tmp, "re");
	out[0] = '\0';
	if (f && !fgets(out, (int)len, f))
		out[0] = '\0';
	if (f)
		fclose(f);
	unlink(tmp);
	out[strcspn(out, "\n")] = '\0';
	return err;
}

int cli_need_upstream(struct cli *c)
{
	const char *env = getenv("VIPD_UPSTREAM_BIN");
	if (env && *env)
		snprintf(c->bindir, sizeof(c->bindir), "%s", env);
	else {
		char *argv[] = {(char *)PROVISIONER_UPSTREAM_BUILD, "--print-bindir", NULL};
		if (run_capture(argv, c->bindir, sizeof(c->bindir)))
			return cli_fail(EXIT_INTERNAL, "%s --print-bindir failed",
					PROVISIONER_UPSTREAM_BUILD);
	}
	char kubeadm[PATH_MAX + 16];
	snprintf(kubeadm, sizeof(kubeadm), "%s/kubeadm", c->bindir);
	if (access(kubeadm, X_OK) != 0)
		return cli_fail(EXIT_INTERNAL,
				"the pinned Kubernetes programs are not built (no %s): run %s",
				kubeadm, PROVISIONER_UPSTREAM_BUILD);
	char *argv[] = {kubeadm, "version", "-o", "short", NULL};
	if (run_capture(argv, c->k8s_version, sizeof(c->k8s_version)) || c->k8s_version[0] != 'v')
		return cli_fail(EXIT_INTERNAL, "%s version: unexpected answer \"%s\"", kubeadm,
				c->k8s_version);
	return 0;
}

/* Upstream images are keyed by the upstream build (its cache key is bindir's parent). */
static int images_dir(const struct cli *c, char *buf, size_t len)
{
	char parent[PATH_MAX];
	snprintf(parent, sizeof(parent), "%s", c->bindir);
	char *slash = strrchr(parent, '/');
	if (slash)
		*slash = '\0';
	slash = strrchr(parent, '/');
	return fs_path(buf, len, "%s/cache/images/%.16s", c->home, slash ? slash + 1 : "default");
}

static int build_vipd_image(const char *dir, char *archive, size_t len)
{
	char work[PATH_MAX], err[512];
	fs_path(archive, len, "%s/vipd.oci.tar", dir);
	fs_path(work, sizeof(work), "%s/vipd.work", dir);
	fs_rmtree(work);
	int rc = fs_mkdirs(work, 0755);
	struct vipd_image_spec s = {
	    .vipd_bin = PROVISIONER_VIPD_BIN, .archive = archive, .workdir = work};
	if (!rc)
		rc = vipd_image_build(&s, err, sizeof(err));
	fs_rmtree(work);
	if (rc)
		return cli_fail(EXIT_INTERNAL, "vipd image: %s", err);
	return 0;
}

int cli_build_images(struct cli *c)
{
	char dir[PATH_MAX];
	images_dir(c, dir, sizeof(dir));
	int rc = fs_mkdirs(dir, 0700);
	if (rc)
		return cli_fail(EXIT_INTERNAL, "cannot make %s: %s", dir, strerror(-rc));
	struct node_images_options o = {.bindir = c->bindir,
					.k8s_version = c->k8s_version,
					.pause_bin = PROVISIONER_PAUSE_BIN,
					.httpd_bin = PROVISIONER_HTTPD_BIN,
					.out_dir = dir,
					.kubeadm_images = true,
					.kube_vip_image = strcmp(c->p.vip_provider, "kube-vip")
							      ? NULL
							      : BOOTSTRAP_KUBE_VIP_IMAGE,
					.log = &c->log};
	static struct node_images imgs;
	if ((rc = node_images_build(&o, &imgs)))
		return cli_fail(EXIT_INTERNAL, "building the node images failed (see %s)",
				c->log_file ? "the profile's provisioner.log" : "above");
	size_t k = 0;
	for (size_t i = 0; i < imgs.n && k + 2 < PROVIDER_MAX_IMAGES; i++)
		snprintf(c->archives[k++], PATH_MAX, "%s", imgs.archives[i]);
	if ((rc = build_vipd_image(dir, c->archives[k], PATH_MAX)))
		return rc;
	k++;
	snprintf(c->sandbox_image, sizeof(c->sandbox_image), "%s", imgs.pause_name);
	for (size_t i = 0; i < k; i++)
		c->pv.images[i] = c->archives[i];
	c->pv.images[k] = NULL;
	return 0;
}

static void waiting_for_lock(void *ctx)
{
	fprintf(stderr, "⌛  Waiting for another command on profile \"%s\" to finish\n",
		(const char *)ctx);
}

int cli_open_profile(struct cli *c, const char *name, bool must_exist)
{
	char why[256];
	if (profile_name_check(name, why, sizeof(why)))
		return cli_fail(EXIT_USAGE, "%s", why);
	if (must_exist) {
		profile_dir(c->home, name, c->pdir, sizeof(c->pdir));
		char cfg[PATH_MAX + 16];
		snprintf(cfg, sizeof(cfg), "%s/config.json", c->pdir);
		if (access(cfg, F_OK) != 0)
			return cli_fail(EXIT_NOT_FOUND,
					"profile \"%s\" not found (run `provisioner profile list`)",
					name);
	}
	c->lock_fd = profile_lock(c->home, name, waiting_for_lock, (void *)name);
	if (c->lock_fd < 0)
		return cli_fail(EXIT_INTERNAL, "cannot lock profile \"%s\": %s", name,
				strerror(-c->lock_fd));
	profile_dir(c->home, name, c->pdir, sizeof(c->pdir));
	char log_path[PATH_MAX + 32];
	snprintf(log_path, sizeof(log_path), "%s/provisioner.log", c->pdir);
	c->log_file = fopen(log_path, "ae");
	if (c->log_file) {
		setvbuf(c->log_file, NULL, _IOLBF, 0);
		c->log = (struct logger){.out = c->log_file, .level = LOG_INFO};
	}
	int rc = profile_load(c->home, name, &c->p, why, sizeof(why));
	if (rc == -ENOENT && !must_exist)
		return 0;
	if (rc == -ENOENT)
		return cli_fail(EXIT_NOT_FOUND, "profile \"%s\" not found", name);
	if (rc)
		return cli_fail(EXIT_STATE, "profile \"%s\" is unreadable: %s", name, why);
	return 0;
}

static int save_profile(struct action_ctx *a)
{
	return profile_save(a->home, a->p);
}

void cli_bind(struct cli *c)
{
	c->pv.p = &c->p;
	snprintf(c->pv.pdir, sizeof(c->pv.pdir), "%s", c->pdir);
	c->pv.bindir = c->bindir;
	c->pv.self = c->self;
	c->pv.vipd = PROVISIONER_VIPD_BIN;
	c->pv.sandbox_image = c->sandbox_image;
	c->pv.log = &c->log;
	c->act = (struct action_ctx){.pv = &c->pv,
				     .p = &c->p,
				     .home = c->home,
				     .out = stdout,
				     .wait_s = 300,
				     .save = save_profile,
				     .kubeconfig = c->kubeconfig};
}

void cli_close(struct cli *c)
{
	if (c->lock_fd >= 0)
		profile_unlock(c->lock_fd);
	c->lock_fd = -1;
	if (c->log_file)
		fclose(c->log_file);
	c->log_file = NULL;
	c->log = (struct logger){.out = stderr, .level = LOG_WARN};
}

int cli_action_failed(struct cli *c, const char *what, int err)
{
	char log_path[PATH_MAX + 32];
	snprintf(log_path, sizeof(log_path), "%s/provisioner.log", c->pdir);
	fprintf(stderr, "❌  Exiting due to %s: %s\n", what, strerror(-err));
	fprintf(stderr, "    last lines of %s:\n", log_path);
	fs_tail(log_path, 12, "    ", stderr);
	return err == -EPERM ? EXIT_STATE : EXIT_PROVIDER;
}
