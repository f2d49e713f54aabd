/*
 * fsutil.c — small, careful file helpers: writes are atomic (tmp + rename) so a reader never
 * sees half a kubeadm config or a half-written state file.
 */
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int fs_path(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int fs_mkdirs(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = write(fd, data, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

static int write_atomic(const char *path, mode_t mode, const char *data, size_t len)
{
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	int err = write_all(fd, data, len);
	if (close(fd) < 0 && !err)
		err = -errno;
	if (!err && rename(tmp, path) < 0)
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

int fs_printf(const char *path, mode_t mode, const char *fmt, ...)
{
	char *text = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	int err = write_atomic(path, mode, text, (size_t)n);
	free(text);
	return err;
}

int fs_copy(const char *from, const char *to, mode_t mode)
{
	int fd = open(from, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	char *data = malloc((size_t)st.st_size + 1);
	ssize_t n = data ? read(fd, data, (size_t)st.st_size) : -1;
	int err = n < 0 ? (data ? -errno : -ENOMEM) : 0;
	close(fd);
	if (!err)
		err = write_atomic(to, mode, data, (size_t)n);
	free(data);
	return err;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP ? rmdir(path) : unlink(path))
		return errno == ENOENT ? 0 : -errno;
	return 0;
}

int fs_rmtree(const char *path)
{
	int r = nftw(path, rm_one, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	if (r < 0 && errno == ENOENT)
		return 0;
	return r > 0 ? 0 : r < 0 ? (r == -1 ? -errno : r) : 0;
}

int fs_tail(const char *path, unsigned lines, const char *prefix, FILE *out)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	/* Find where the last `lines` lines start by scanning backwards from the end. */
	fseek(f, 0, SEEK_END);
	long end = ftell(f), pos = end;
	unsigned seen = 0;
	while (pos > 0 && seen <= lines) {
		fseek(f, --pos, SEEK_SET);
		if (fgetc(f) == '\n' && pos != end - 1)
			seen++;
	}
	if (seen > lines)
		pos++;
	fseek(f, pos, SEEK_SET);
	char buf[4096];
	while (fgets(buf, sizeof(buf), f))
		fprintf(out, "%s%s%s", prefix, buf, strchr(buf, '\n') ? "" : "\n");
	fclose(f);
	return 0;
}
