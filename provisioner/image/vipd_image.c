/*
 * vipd_image.c — vipd's image (see vipd_image.h). The libraries come from `ldd`, which asks the
 * dynamic loader itself, so the list is exactly what the loader maps at start-up, in the paths
 * it found them; the image has no ld.so.cache, and these paths are in the loader's built-in
 * search list (Debian: /lib/x86_64-linux-gnu, /usr/lib/x86_64-linux-gnu, /lib, /usr/lib).
 * (ldd runs the program under the loader's trace mode: use it on programs we built.)
 */
#include "vipd_image.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fsutil.h"
#include "oci_image.h"

extern char **environ;

static int fail(char *err, size_t err_len, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t err_len, int errnum, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (err && err_len)
		vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
	return -errnum;
}

/* Reads fd to EOF into buf (NUL-terminated; the rest is drained so the writer never blocks).
 * Returns true when everything fitted. */
static bool read_all(int fd, char *buf, size_t len)
{
	size_t n = 0;
	bool fits = true;
	char sink[512];
	for (;;) {
		char *to = n < len - 1 ? buf + n : sink;
		size_t room = n < len - 1 ? len - 1 - n : sizeof(sink);
		ssize_t r = read(fd, to, room);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (to == sink)
			fits = false;
		else
			n += (size_t)r;
	}
	buf[n] = '\0';
	return fits;
}

/* `ldd program`, stdout and stderr together, into buf. Returns ldd's exit status or -errno. */
static int run_ldd(const char *program, char *buf, size_t len)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, p[1], STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, p[1], STDERR_FILENO);
	char *argv[] = {"ldd", (char *)program, NULL};
	pid_t pid;
	int rc = posix_spawnp(&pid, "ldd", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	bool fits = rc == 0 ? read_all(p[0], buf, len) : true;
	close(p[0]);
	if (rc != 0)
		return -rc;
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!fits)
		return -E2BIG;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Copies `from` (following links) to rootfs+`to`, making its directories. */
static int copy_in(const char *rootfs, const char *from, const char *to, unsigned *files,
		   unsigned long long *bytes, char *err, size_t err_len)
{
	char dest[PATH_MAX];
	if (fs_path(dest, sizeof(dest), "%s%s", rootfs, to) < 0)
		return fail(err, err_len, ENAMETOOLONG, "image path \"%s%s\": too long", rootfs,
			    to);
	char *slash = strrchr(dest, '/');
	*slash = '\0';
	int rc = fs_mkdirs(dest, 0755);
	*slash = '/';
	if (!rc)
		rc = fs_copy(from, dest, 0755);
	struct stat st;
	if (!rc && stat(dest, &st) < 0)
		rc = -errno;
	if (rc)
		return fail(err, err_len, -rc, "copying \"%s\" into the image as \"%s\": %s", from,
			    to, strerror(-rc));
	(*files)++;
	*bytes += (unsigned long long)st.st_size;
	return 0;
}

/* One line of ldd's output → the library's path; NULL for a line naming none (the vDSO).
 *   libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)     a library
 *   /lib64/ld-linux-x86-64.so.2 (0x…)                       the dynamic loader
 *   linux-vdso.so.1 (0x…)                                   in the kernel, no file */
static char *ldd_line_path(char *line)
{
	char *arrow = strstr(line, "=> ");
	char *p = arrow ? arrow + 3 : line + strspn(line, " \t");
	if (*p != '/')
		return NULL;
	char *end = strstr(p, " (0x");
	if (end)
		*end = '\0';
	return p;
}

int image_add_program(const char *rootfs, const char *program, const char *dest, unsigned *files,
		      unsigned long long *bytes, char *err, size_t err_len)
{
	char out[16384];
	int status = run_ldd(program, out, sizeof(out));
	if (status < 0)
		return fail(err, err_len, -status, "ldd \"%s\": %s", program, strerror(-status));
	/* A static program: glibc's ldd says so and exits 1; it needs no library. */
	bool is_static = strstr(out, "not a dynamic executable") != NULL;
	if (status != 0 && !is_static) {
		int line_len = (int)strcspn(out, "\n");
		return fail(err, err_len, EIO, "ldd \"%s\": exit %d: %.*s", program, status,
			    line_len < 200 ? line_len : 200, out);
	}
	int rc = copy_in(rootfs, program, dest, files, bytes, err, err_len);
	for (char *save = NULL, *line = strtok_r(out, "\n", &save); !rc && line && !is_static;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strstr(line, "=> not found"))
			return fail(err, err_len, ENOENT, "ldd \"%s\": %s", program,
				    line + strspn(line, " \t"));
		const char *lib = ldd_line_path(line);
		if (lib)
			rc = copy_in(rootfs, lib, lib, files, bytes, err, err_len);
	}
	return rc;
}

/* A small text file in the image, counted like the rest. */
static int put_file(const char *rootfs, const char *path, const char *text,
		    struct vipd_image_spec *s, char *err, size_t err_len)
{
	char dest[PATH_MAX];
	int rc = fs_path(dest, sizeof(dest), "%s%s", rootfs, path);
	if (!rc)
		rc = fs_printf(dest, 0644, "%s", text);
	if (rc)
		return fail(err, err_len, -rc, "writing \"%s\" in the image: %s", path,
			    strerror(-rc));
	s->files++;
	s->rootfs_bytes += strlen(text);
	return 0;
}

/* /etc for libcurl's resolver (glibc's getaddrinfo): without nsswitch.conf glibc looks hosts up
 * with "dns [!UNAVAIL=return] files", so a name the pod's /etc/hosts maps (the manifest's
 * hostAliases for `kubernetes`) would be asked of DNS first and lost when DNS answers "no
 * such name". kubelet mounts its own /etc/hosts over ours; ours serves runs outside a pod.
 * The resolver's "files" and "dns" modules are built into glibc ≥ 2.34: no libnss_* needed. */
static int add_etc(const char *rootfs, struct vipd_image_spec *s, char *err, size_t err_len)
{
	char dir[PATH_MAX];
	int rc = fs_path(dir, sizeof(dir), "%s/etc", rootfs);
	if (!rc)
		rc = fs_mkdirs(dir, 0755);
	if (rc)
		return fail(err, err_len, -rc, "mkdir \"%s\": %s", dir, strerror(-rc));
	rc = put_file(rootfs, "/etc/nsswitch.conf", "hosts: files dns\n", s, err, err_len);
	if (!rc)
		rc = put_file(rootfs, "/etc/hosts", "127.0.0.1\tlocalhost\n::1\tlocalhost\n", s,
			      err, err_len);
	return rc;
}

/* /tmp, mode 1777 whatever the umask. */
static int add_tmp(const char *rootfs, char *err, size_t err_len)
{
	char dir[PATH_MAX];
	int rc = fs_path(dir, sizeof(dir), "%s/tmp", rootfs);
	if (!rc)
		rc = fs_mkdirs(dir, 0755);
	if (!rc && chmod(dir, 01777) < 0)
		rc = -errno;
	return rc ? fail(err, err_len, -rc, "mkdir \"%s\": %s", dir, strerror(-rc)) : 0;
}

int vipd_image_build(struct vipd_image_spec *s, char *err, size_t err_len)
{
	char rootfs[PATH_MAX], scratch[PATH_MAX], tag[160];
	s->files = 0;
	s->rootfs_bytes = 0;
	if (fs_path(rootfs, sizeof(rootfs), "%s/rootfs", s->workdir) < 0 ||
	    fs_path(scratch, sizeof(scratch), "%s/oci", s->workdir) < 0)
		return fail(err, err_len, ENAMETOOLONG, "workdir \"%s\": too long", s->workdir);
	fs_rmtree(rootfs);
	fs_rmtree(scratch);
	int rc = fs_mkdirs(rootfs, 0755);
	if (!rc)
		rc = fs_mkdirs(scratch, 0755);
	if (rc)
		return fail(err, err_len, -rc, "mkdir in \"%s\": %s", s->workdir, strerror(-rc));
	rc = image_add_program(rootfs, s->vipd_bin, "/vipd", &s->files, &s->rootfs_bytes, err,
			       err_len);
	if (!rc)
		rc = add_etc(rootfs, s, err, err_len);
	if (!rc)
		rc = add_tmp(rootfs, err, err_len);
	if (rc)
		return rc;
	const char *extra[2] = {NULL, NULL};
	if (s->version) {
		snprintf(tag, sizeof(tag), "localhost/vipd:%s", s->version);
		extra[0] = tag;
	}
	static const char *const entry[] = {"/vipd", NULL};
	struct oci_image_spec spec = {
	    .rootfs = rootfs, .name = VIPD_IMAGE_NAME, .entrypoint = entry, .extra_names = extra};
	return oci_image_build(&spec, s->archive, scratch, err, err_len);
}
