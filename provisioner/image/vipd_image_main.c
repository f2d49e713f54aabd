/*
 * vipd-image-build — writes vipd's image archive (vipd_image.h) for `ctr images import`:
 *
 *   vipd-image-build --vipd BIN --out ARCHIVE [--version V]
 *
 * Names it localhost/vipd:latest (and localhost/vipd:V). Prints one logfmt line with the
 * archive's and the rootfs's sizes. Needs umoci, skopeo and tar, and root (umoci records the
 * files' owners). `cmake --build build --target vipd-image` runs it into build/vipd-image.tar.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "vipd_image.h"

static int usage(FILE *out, int code)
{
	fprintf(out, "usage: vipd-image-build --vipd BIN --out ARCHIVE [--version V]\n"
		     "Writes the OCI archive of localhost/vipd:latest (and localhost/vipd:V).\n");
	return code;
}

/* Builds into ARCHIVE.tmp in a scratch directory, then renames: no half-written archive. */
static int build(struct vipd_image_spec *s, const char *out)
{
	char work[] = "/tmp/vipd-image-XXXXXX", tmp[PATH_MAX], err[1024];
	if (!mkdtemp(work)) {
		fprintf(stderr, "vipd-image-build: mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", out);
	s->workdir = work;
	s->archive = tmp;
	int rc = vipd_image_build(s, err, sizeof(err));
	fs_rmtree(work);
	if (!rc && rename(tmp, out) < 0) {
		rc = -errno;
		snprintf(err, sizeof(err), "rename to \"%s\": %s", out, strerror(errno));
	}
	if (rc) {
		unlink(tmp);
		fprintf(stderr, "vipd-image-build: %s\n", err);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"vipd", required_argument, 0, 'v'},
					     {"out", required_argument, 0, 'o'},
					     {"version", required_argument, 0, 'V'},
					     {"help", no_argument, 0, 'h'},
					     {0, 0, 0, 0}};
	struct vipd_image_spec s = {0};
	const char *out = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'v')
			s.vipd_bin = optarg;
		else if (c == 'o')
			out = optarg;
		else if (c == 'V')
			s.version = optarg;
		else
			return usage(c == 'h' ? stdout : stderr, c == 'h' ? 0 : 2);
	}
	if (!s.vipd_bin || !out || optind != argc)
		return usage(stderr, 2);
	if (build(&s, out))
		return 1;
	struct stat st;
	long long archive_bytes = stat(out, &st) == 0 ? (long long)st.st_size : -1;
	printf("msg=\"image built\" image=%s%s%s archive=%s archive_bytes=%lld files=%u "
	       "rootfs_bytes=%llu\n",
	       VIPD_IMAGE_NAME, s.version ? ",localhost/vipd:" : "", s.version ? s.version : "",
	       out, archive_bytes, s.files, s.rootfs_bytes);
	return 0;
}
