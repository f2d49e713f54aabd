/*
 * vipd_image — vipd's container image, made from this machine's files only (nothing pulled):
 * a rootfs holding /vipd, every shared library `ldd` names for it at the same path (the dynamic
 * loader included), a minimal /etc/nsswitch.conf and /etc/hosts for libcurl's resolver, and
 * /tmp; entrypoint /vipd; written by oci_image as an archive containerd imports.
 *
 * Owns: the rootfs it makes under the caller's scratch directory and the archive. Must not
 * touch: any containerd (importing is the node's job) or the files it copies.
 *
 * The calls that matter: vipd_image_build(); image_add_program() for any dynamic program.
 */
#ifndef VIPD_VIPD_IMAGE_H
#define VIPD_VIPD_IMAGE_H

#include <stddef.h>

/* What `vipd manifest pod` runs by default (vipd/manifest.c). */
#define VIPD_IMAGE_NAME "localhost/vipd:latest"

struct vipd_image_spec {
	const char *vipd_bin; /* the vipd program as built */
	const char *version;  /* also names it localhost/vipd:<version>; may be NULL */
	const char *archive;  /* written (replaced) */
	const char *workdir;  /* existing scratch directory; its contents are the caller's */
	/* Filled in: what the rootfs holds. */
	unsigned files;
	unsigned long long rootfs_bytes;
};

/* Builds the rootfs in workdir/rootfs and the archive. Returns 0 or -errno with one line in
 * `err` naming the failing step and value. */
int vipd_image_build(struct vipd_image_spec *s, char *err, size_t err_len);

/* Copies `program` to rootfs/dest and each library `ldd program` names (and the loader) to
 * rootfs/<the same path>, following symbolic links. Adds to *files and *bytes. Returns 0 or
 * -errno with `err` naming the program, library or path. */
int image_add_program(const char *rootfs, const char *program, const char *dest, unsigned *files,
		      unsigned long long *bytes, char *err, size_t err_len);

#endif
