/*
 * fsutil — the few file operations the provisioner needs: make directories, write a small
 * file in one go, copy a file, remove a tree, print a file's tail.
 *
 * Owns: plain files under directories the caller names. Must not touch: anything else.
 */
#ifndef VIPD_FSUTIL_H
#define VIPD_FSUTIL_H

#include <stdio.h>
#include <sys/types.h>

/* snprintf for paths: returns 0, or -ENAMETOOLONG when the result did not fit. */
int fs_path(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* mkdir -p. Returns 0 or negative errno. */
int fs_mkdirs(const char *path, mode_t mode);

/* Writes the formatted text to path (path.tmp, then rename). Returns 0 or negative errno. */
int fs_printf(const char *path, mode_t mode, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

int fs_copy(const char *from, const char *to, mode_t mode);

/* rm -rf that does not cross into other filesystems (mount points are left and reported). */
int fs_rmtree(const char *path);

/* Prints the last `lines` lines of path to out, each prefixed with `prefix`. */
int fs_tail(const char *path, unsigned lines, const char *prefix, FILE *out);

#endif
