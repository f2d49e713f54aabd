/*
 * oci_image.c — rootfs directory → OCI image archive (see oci_image.h). Each step is one
 * umoci or skopeo run; a failure names the step and carries the tool's last line of stderr.
 */
#include "oci_image.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define MAX_ARGS 64

static int fail(char *err, size_t err_len, int errnum, const char *fmt, const char *a,
		const char *b)
{
	if (err && err_len)
		snprintf(err, err_len, fmt, a, b);
	return -errnum;
}

static bool path_char(char c)
{
	return islower((unsigned char)c) || isdigit((unsigned char)c) || c == '.' || c == '_' ||
	       c == '-' || c == '/';
}

int oci_image_name_validate(const char *name, char *err, size_t err_len)
{
	const char *bad = "image name \"%s\": %s";
	if (!name || !*name)
		return fail(err, err_len, EINVAL, bad, "", "empty");
	const char *slash = strrchr(name, '/');
	const char *colon = strrchr(name, ':');
	if (!colon || (slash && colon < slash) || colon[1] == '\0')
		return fail(err, err_len, EINVAL, bad, name, "needs a :tag");
	for (const char *t = colon + 1; *t; t++)
		if (!isalnum((unsigned char)*t) && *t != '_' && *t != '.' && *t != '-')
			return fail(err, err_len, EINVAL, bad, name, "bad character in tag");
	if (strlen(colon + 1) > 128)
		return fail(err, err_len, EINVAL, bad, name, "tag longer than 128");
	/* A first component with a dot, a colon or "localhost" is a registry host. */
	const char *path = name;
	const char *first_slash = strchr(name, '/');
	if (first_slash && first_slash < colon) {
		size_t host_len = (size_t)(first_slash - name);
		if (memchr(name, '.', host_len) || memchr(name, ':', host_len) ||
		    (host_len == 9 && !strncmp(name, "localhost", 9)))
			path = first_slash + 1;
	}
	if (path == colon || *path == '/' || colon[-1] == '/')
		return fail(err, err_len, EINVAL, bad, name, "empty repository");
	for (const char *p = path; p < colon; p++)
		if (!path_char(*p))
			return fail(err, err_len, EINVAL, bad, name,
				    "repository must be lowercase letters, digits, . _ - /");
	return 0;
}

/* Runs argv[0] (found on PATH) and waits. On failure, `err` gets "<step>: <last stderr line>". */
static int run_tool(char *const argv[], const char *step, char *err, size_t err_len)
{
	char errfile[] = "/tmp/vipd-oci-XXXXXX";
	int efd = mkstemp(errfile);
	if (efd < 0)
		return fail(err, err_len, errno, "%s: %s", step, strerror(errno));
	unlink(errfile);

	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, efd, STDERR_FILENO);
	pid_t pid;
	int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		close(efd);
		return fail(err, err_len, rc, "%s: cannot run %s", step, argv[0]);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		close(efd);
		return 0;
	}
	/* The tool's own reason: the last non-empty line it wrote to stderr. */
	char buf[4096] = "";
	off_t size = lseek(efd, 0, SEEK_END);
	off_t from = size > (off_t)sizeof(buf) - 1 ? size - (off_t)sizeof(buf) + 1 : 0;
	ssize_t n = pread(efd, buf, sizeof(buf) - 1, from);
	close(efd);
	buf[n > 0 ? n : 0] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	char *last = strrchr(buf, '\n');
	return fail(err, err_len, EIO, "%s: %s", step, last ? last + 1 : buf);
}

/* Extra names: skopeo copies the image once per name into one OCI layout directory (the blobs
 * are shared, index.json gets one entry per name) and the archive is that directory as a tar
 * file, which is all an oci-archive is. */
static int write_named_archive(const struct oci_image_spec *spec, const char *src,
			       const char *archive, const char *workdir, char *err, size_t err_len)
{
	char named[4096], dest[4400];
	snprintf(named, sizeof(named), "%s/named", workdir);
	int rc = 0;
	const char *name = spec->name;
	for (size_t i = 0; !rc && name; name = spec->extra_names[i++]) {
		snprintf(dest, sizeof(dest), "oci:%s:%s", named, name);
		char *copy[] = {"skopeo", "copy", "--quiet", (char *)src, dest, NULL};
		rc = run_tool(copy, "skopeo copy (one name into the layout)", err, err_len);
	}
	char *tar[] = {"tar",	     "-C",	   named,   "-cf", (char *)archive,
		       "oci-layout", "index.json", "blobs", NULL};
	return rc ? rc : run_tool(tar, "tar (the archive)", err, err_len);
}

int oci_image_build(const struct oci_image_spec *spec, const char *archive, const char *workdir,
		    char *err, size_t err_len)
{
	struct stat st;
	int rc = oci_image_name_validate(spec->name, err, err_len);
	for (const char *const *x = spec->extra_names; !rc && x && *x; x++)
		rc = oci_image_name_validate(*x, err, err_len);
	if (rc < 0)
		return rc;
	if (stat(spec->rootfs, &st) < 0 || !S_ISDIR(st.st_mode))
		return fail(err, err_len, ENOTDIR, "rootfs \"%s\": %s", spec->rootfs,
			    "not a directory");

	char layout[4096], image[4200], dest[4400];
	snprintf(layout, sizeof(layout), "%s/layout", workdir);
	snprintf(image, sizeof(image), "%s:build", layout);
	snprintf(dest, sizeof(dest), "oci-archive:%s:%s", archive, spec->name);

	char *init[] = {"umoci", "init", "--layout", layout, NULL};
	char *create[] = {"umoci", "new", "--image", image, NULL};
	char *insert[] = {"umoci", "insert", "--image", image, (char *)spec->rootfs, "/", NULL};
	if ((rc = run_tool(init, "umoci init", err, err_len)) < 0 ||
	    (rc = run_tool(create, "umoci new", err, err_len)) < 0 ||
	    (rc = run_tool(insert, "umoci insert (the rootfs layer)", err, err_len)) < 0)
		return rc;

	char *config[MAX_ARGS] = {"umoci", "config", "--image", image};
	int n = 4;
	for (const char *const *e = spec->entrypoint; e && *e && n < MAX_ARGS - 4; e++) {
		config[n++] = "--config.entrypoint";
		config[n++] = (char *)*e;
	}
	for (const char *const *c = spec->cmd; c && *c && n < MAX_ARGS - 4; c++) {
		config[n++] = "--config.cmd";
		config[n++] = (char *)*c;
	}
	if (spec->user) {
		config[n++] = "--config.user";
		config[n++] = (char *)spec->user;
	}
	config[n] = NULL;
	if ((rc = run_tool(config, "umoci config", err, err_len)) < 0)
		return rc;

	unlink(archive); /* skopeo refuses to overwrite an archive */
	char *copy[] = {"skopeo", "copy", "--quiet", "oci:", dest, NULL};
	char src[4300];
	snprintf(src, sizeof(src), "oci:%s", image);
	copy[3] = src;
	if (spec->extra_names && spec->extra_names[0])
		return write_named_archive(spec, src, archive, workdir, err, err_len);
	return run_tool(copy, "skopeo copy (the archive)", err, err_len);
}
