/*
 * kubeconfig_user.c — merging through the pinned kubectl's own `config set-*` commands (the
 * same merge rules every kubectl user gets), with the credentials read by kubeclient's
 * kubeconfig reader and handed over in 0600 temporary files, never on a command line.
 */
#include "kubeconfig_user.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "kc_config.h"
#include "supervise.h"

int kubeconfig_user_path(char *buf, size_t len)
{
	const char *env = getenv("KUBECONFIG");
	if (env && *env) {
		size_t n = strcspn(env, ":");
		if (n + 1 > len)
			return -ENAMETOOLONG;
		memcpy(buf, env, n);
		buf[n] = '\0';
		return 0;
	}
	const char *home = getenv("HOME");
	if (!home || !*home)
		return -ENOENT;
	return fs_path(buf, len, "%s/.kube/config", home);
}

/* kubectl ARGS with KUBECONFIG=file; output into out (may be NULL). */
static int kubectl(const char *bindir, const char *file, char *const *args, char *out, size_t len)
{
	char prog[PATH_MAX], env_kc[PATH_MAX + 16], tmp[] = "/tmp/provisioner-kc.XXXXXX";
	fs_path(prog, sizeof(prog), "%s/kubectl", bindir);
	snprintf(env_kc, sizeof(env_kc), "KUBECONFIG=%s", file);
	char *argv[16] = {prog};
	size_t n = 1;
	while (*args && n < 15)
		argv[n++] = *args++;
	argv[n] = NULL;
	char *envp[] = {env_kc, "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL};
	int fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	close(fd);
	struct sv_spec spec = {.name = "kubectl", .argv = argv, .envp = envp, .log_path = tmp};
	int err = sv_run(&spec, 30000, NULL);
	if (out && len) {
		FILE *f = fopen(tmp, "re");
		size_t got = f ? fread(out, 1, len - 1, f) : 0;
		if (f)
			fclose(f);
		out[got] = '\0';
	}
	unlink(tmp);
	return err;
}

static int write_secret(char *path, const struct kc_blob *b)
{
	int fd = mkstemp(path);
	if (fd < 0)
		return -errno;
	int err = write(fd, b->data, b->len) == (ssize_t)b->len ? 0 : -EIO;
	close(fd);
	return err;
}

static int ensure_dir_of(const char *file)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", file);
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	return fs_mkdirs(dir, 0700);
}

int kubeconfig_user_merge(const char *bindir, const char *file, const char *profile,
			  const char *server, const char *admin_conf, const struct logger *log)
{
	struct kc_config cfg = {0};
	char why[256];
	int err = kc_config_from_kubeconfig(admin_conf, NULL, &cfg, why, sizeof(why));
	if (err) {
		log_error(log, "cannot read admin.conf", "file=%s reason=\"%s\"", admin_conf, why);
		return err;
	}
	char ca[] = "/tmp/provisioner-ca.XXXXXX", crt[] = "/tmp/provisioner-crt.XXXXXX",
	     key[] = "/tmp/provisioner-key.XXXXXX";
	char opt_server[300], opt_ca[64], opt_crt[64], opt_key[64], opt_cluster[128], opt_user[128];
	snprintf(opt_server, sizeof(opt_server), "--server=%s", server);
	snprintf(opt_cluster, sizeof(opt_cluster), "--cluster=%s", profile);
	snprintf(opt_user, sizeof(opt_user), "--user=%s", profile);
	if (!(err = ensure_dir_of(file)) && !(err = write_secret(ca, &cfg.ca)) &&
	    !(err = write_secret(crt, &cfg.cert)) && !(err = write_secret(key, &cfg.key))) {
		snprintf(opt_ca, sizeof(opt_ca), "--certificate-authority=%s", ca);
		snprintf(opt_crt, sizeof(opt_crt), "--client-certificate=%s", crt);
		snprintf(opt_key, sizeof(opt_key), "--client-key=%s", key);
		char *set_cluster[] = {"config",   "set-cluster", (char *)profile,
				       opt_server, opt_ca,	  "--embed-certs=true",
				       NULL};
		char *set_user[] = {"config", "set-credentials", (char *)profile,
				    opt_crt,  opt_key,		 "--embed-certs=true",
				    NULL};
		char *set_ctx[] = {"config",	"set-context", (char *)profile,
				   opt_cluster, opt_user,      NULL};
		char *use_ctx[] = {"config", "use-context", (char *)profile, NULL};
		char out[512] = "";
		if ((err = kubectl(bindir, file, set_cluster, out, sizeof(out))) ||
		    (err = kubectl(bindir, file, set_user, out, sizeof(out))) ||
		    (err = kubectl(bindir, file, set_ctx, out, sizeof(out))) ||
		    (err = kubectl(bindir, file, use_ctx, out, sizeof(out))))
			log_error(log, "kubectl config failed", "file=%s output=\"%.200s\"", file,
				  out);
		chmod(file, 0600);
	}
	unlink(ca);
	unlink(crt);
	unlink(key);
	kc_config_free(&cfg);
	return err;
}

int kubeconfig_user_remove(const char *bindir, const char *file, const char *profile,
			   const struct logger *log)
{
	if (access(file, F_OK) != 0)
		return 0;
	char current[256] = "", users[300];
	char *get_current[] = {"config", "current-context", NULL};
	kubectl(bindir, file, get_current, current, sizeof(current));
	current[strcspn(current, "\n")] = '\0';
	snprintf(users, sizeof(users), "users.%s", profile);
	char *del_ctx[] = {"config", "delete-context", (char *)profile, NULL};
	char *del_cluster[] = {"config", "delete-cluster", (char *)profile, NULL};
	char *del_user[] = {"config", "unset", users, NULL};
	char *unset_current[] = {"config", "unset", "current-context", NULL};
	/* Each may be absent already (a half-made profile): not an error. */
	kubectl(bindir, file, del_ctx, NULL, 0);
	kubectl(bindir, file, del_cluster, NULL, 0);
	kubectl(bindir, file, del_user, NULL, 0);
	if (!strcmp(current, profile))
		kubectl(bindir, file, unset_current, NULL, 0);
	log_info(log, "kubeconfig entries removed", "file=%s profile=%s", file, profile);
	return 0;
}

bool kubeconfig_user_configured(const char *bindir, const char *file, const char *profile,
				const char *server)
{
	char jsonpath[256], out[512] = "";
	snprintf(jsonpath, sizeof(jsonpath),
		 "jsonpath={.clusters[?(@.name==\"%s\")].cluster.server}", profile);
	char *args[] = {"config", "view", "-o", jsonpath, NULL};
	if (kubectl(bindir, file, args, out, sizeof(out)))
		return false;
	out[strcspn(out, "\n")] = '\0';
	return !strcmp(out, server);
}
