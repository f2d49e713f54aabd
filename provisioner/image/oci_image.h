/*
 * oci_image — turns a root filesystem directory into an OCI image archive that a node's
 * containerd imports (`ctr images import`) under the exact name kubeadm expects, with no
 * registry and no Docker engine.
 *
 * Built with Debian's umoci (layer from the directory, image config) and skopeo (the archive,
 * with the full image name in the index's org.opencontainers.image.ref.name annotation), rather
 * than hand-written tar/gzip/digest code: both are well-kept OCI tools and the result is
 * checked by a third consumer (containerd) in the tests.
 *
 * Owns: the temporary OCI layout it builds in and the archive it writes. Must not touch: any
 * containerd (importing is the node's job) or the rootfs it reads.
 */
#ifndef VIPD_OCI_IMAGE_H
#define VIPD_OCI_IMAGE_H

#include <stddef.h>

struct oci_image_spec {
	const char *rootfs;	       /* directory that becomes the image's / */
	const char *name;	       /* e.g. registry.k8s.io/pause:3.10 */
	const char *const *entrypoint; /* NULL-terminated; may be NULL */
	const char *const *cmd;	       /* NULL-terminated; may be NULL */
	const char *user;	       /* e.g. 65535:65535; may be NULL */
	/* More names for the same image in the same archive (e.g. localhost/vipd:0.1.0 beside
	 * localhost/vipd:latest); NULL-terminated; may be NULL. */
	const char *const *extra_names;
};

/* Writes the archive to `archive`. `workdir` is an existing scratch directory (its contents
 * are the caller's to remove). Returns 0 or -errno with one line in `err` naming the failing
 * step and value. */
int oci_image_build(const struct oci_image_spec *spec, const char *archive, const char *workdir,
		    char *err, size_t err_len);

/* Accepts `[registry/]repository:tag` with lowercase repository components; -EINVAL and
 * `err` naming the value otherwise. Pure. */
int oci_image_name_validate(const char *name, char *err, size_t err_len);

#endif
