/*
 * images.c — kubeadm's image names (asked of the pinned kubeadm) mapped to the programs we
 * have: each image is a rootfs holding one program where the upstream image keeps it.
 */
#include "images.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "oci_image.h"
#include "storage_addon.h"
#include "vipd_image.h"
#include "supervise.h"

/* An upstream image: the repository's last path component → program(s) and where they go.
 * (A "build_one" file keeps its name unless `as` renames it.) */
/* Adds more to an image's rootfs; returns 0 or -errno with one line in err. */
typedef int (*rootfs_extra_fn)(const char *rootfs, char *err, size_t err_len);

struct recipe {
	const char *repo; /* "kube-apiserver", "etcd", "coredns", … */
	const char *programs[3];
	const char *dest_dir; /* in the image */
	const char *entry;    /* NULL: no entrypoint (kubeadm manifests give the command) */
	rootfs_extra_fn extra;
	const char *suffix; /* archive name suffix: changes when `extra` changes what it adds */
};

#define XTABLES_MULTI "/usr/sbin/xtables-nft-multi"
#define XTABLES_LIBS  "/usr/lib/x86_64-linux-gnu/xtables"

/* kube-proxy's iptables mode runs iptables-restore & co: this machine's nft-backed iptables
 * (never the legacy one, REFERENCE §6), its extension modules and conntrack. */
static int add_iptables(const char *rootfs, char *err, size_t err_len)
{
	unsigned files = 0;
	unsigned long long bytes = 0;
	int rc =
	    image_add_program(rootfs, XTABLES_MULTI, XTABLES_MULTI, &files, &bytes, err, err_len);
	if (!rc && access("/usr/sbin/conntrack", X_OK) == 0)
		rc = image_add_program(rootfs, "/usr/sbin/conntrack", "/usr/sbin/conntrack", &files,
				       &bytes, err, err_len);
	static const char *const links[] = {"iptables",	 "iptables-save",  "iptables-restore",
					    "ip6tables", "ip6tables-save", "ip6tables-restore",
					    NULL};
	for (size_t i = 0; !rc && links[i]; i++) {
		char path[PATH_MAX];
		fs_path(path, sizeof(path), "%s/usr/sbin/%s", rootfs, links[i]);
		if (symlink("xtables-nft-multi", path) < 0 && errno != EEXIST)
			rc = -errno;
	}
	char libdir[PATH_MAX];
	fs_path(libdir, sizeof(libdir), "%s" XTABLES_LIBS, rootfs);
	if (!rc)
		rc = fs_mkdirs(libdir, 0755);
	DIR *d = rc ? NULL : opendir(XTABLES_LIBS);
	if (!rc && !d)
		rc = -errno;
	struct dirent *e;
	while (d && !rc && (e = readdir(d))) {
		if (!strstr(e->d_name, ".so"))
			continue;
		char from[PATH_MAX];
		fs_path(from, sizeof(from), XTABLES_LIBS "/%s", e->d_name);
		/* With ldd's view of each: statistic needs libm, others more. */
		rc = image_add_program(rootfs, from, from, &files, &bytes, err, err_len);
	}
	if (d)
		closedir(d);
	if (rc && !err[0])
		snprintf(err, err_len, "adding iptables to the kube-proxy image: %s",
			 strerror(-rc));
	return rc;
}

static const struct recipe recipes[] = {
    {"kube-apiserver", {"kube-apiserver"}, "/usr/local/bin", NULL, NULL, NULL},
    {"kube-controller-manager", {"kube-controller-manager"}, "/usr/local/bin", NULL, NULL, NULL},
    {"kube-scheduler", {"kube-scheduler"}, "/usr/local/bin", NULL, NULL, NULL},
    {"kube-proxy", {"kube-proxy"}, "/usr/local/bin", NULL, add_iptables, "-iptables-2"},
    {"etcd", {"etcd", "etcdctl"}, "/usr/local/bin", NULL, NULL, NULL},
    {"coredns", {"coredns"}, "", "/coredns", NULL, NULL},
};

static int build_one(const struct node_images_options *o, struct node_images *out, const char *name,
		     const char *archive_base, const char *const *files, const char *const *as,
		     const char *dest_dir, const char *const *entry, const char *user, bool reuse,
		     rootfs_extra_fn extra)
{
	if (out->n == NODE_IMAGES_MAX)
		return -ENOSPC;
	char archive[PATH_MAX], work[PATH_MAX], rootfs[PATH_MAX], dest[PATH_MAX], err[512];
	fs_path(archive, sizeof(archive), "%s/%s.oci.tar", o->out_dir, archive_base);
	snprintf(out->names[out->n], sizeof(out->names[0]), "%s", name);
	snprintf(out->archives[out->n], sizeof(out->archives[0]), "%s", archive);
	out->n++;
	if (reuse && access(archive, R_OK) == 0) {
		log_info(o->log, "image reused", "image=%s archive=%s", name, archive);
		return 0;
	}
	int64_t t0 = clock_boot_ns();
	fs_path(work, sizeof(work), "%s/%s.work.%d", o->out_dir, archive_base, (int)getpid());
	fs_rmtree(work);
	fs_path(rootfs, sizeof(rootfs), "%s/rootfs%s", work, dest_dir);
	int rc = fs_mkdirs(rootfs, 0755);
	fs_path(dest, sizeof(dest), "%s/scratch", work);
	if (!rc)
		rc = fs_mkdirs(dest, 0755);
	for (size_t i = 0; !rc && files[i]; i++) {
		const char *base = strrchr(files[i], '/');
		base = as ? as[i] : base ? base + 1 : files[i];
		fs_path(dest, sizeof(dest), "%s/%s", rootfs, base);
		rc = fs_copy(files[i], dest, 0755);
		if (rc)
			log_error(o->log, "cannot copy a program into an image",
				  "image=%s program=%s "
				  "error=\"%s\"",
				  name, files[i], strerror(-rc));
	}
	if (!rc && extra) {
		fs_path(dest, sizeof(dest), "%s/rootfs", work);
		err[0] = '\0';
		rc = extra(dest, err, sizeof(err));
		if (rc)
			log_error(o->log, "image build failed", "image=%s reason=\"%s\"", name,
				  err);
	}
	/* A tmp directory most programs expect. */
	fs_path(dest, sizeof(dest), "%s/rootfs/tmp", work);
	if (!rc)
		rc = fs_mkdirs(dest, 01777);
	char tmp_archive[PATH_MAX + 24];
	snprintf(tmp_archive, sizeof(tmp_archive), "%s.%d.tmp", archive, (int)getpid());
	if (!rc) {
		fs_path(rootfs, sizeof(rootfs), "%s/rootfs", work);
		fs_path(dest, sizeof(dest), "%s/scratch", work);
		struct oci_image_spec spec = {
		    .rootfs = rootfs, .name = name, .entrypoint = entry, .user = user};
		unlink(tmp_archive);
		rc = oci_image_build(&spec, tmp_archive, dest, err, sizeof(err));
		if (rc)
			log_error(o->log, "image build failed", "image=%s reason=\"%s\"", name,
				  err);
		else if (rename(tmp_archive, archive) < 0)
			rc = -errno;
	}
	fs_rmtree(work);
	if (!rc)
		log_info(o->log, "image built", "image=%s archive=%s seconds=%.2f", name, archive,
			 clock_elapsed_s(t0));
	return rc;
}

/* A minimal /etc/hosts for the storage provisioner's image, as upstream's base image has one
 * (in a pod, kubelet mounts the pod's own over it). */
static int add_etc_hosts(const char *rootfs, char *err, size_t err_len)
{
	char path[PATH_MAX];
	fs_path(path, sizeof(path), "%s/etc", rootfs);
	int rc = fs_mkdirs(path, 0755);
	fs_path(path, sizeof(path), "%s/etc/hosts", rootfs);
	if (!rc)
		rc = fs_printf(path, 0644, "127.0.0.1\tlocalhost\n::1\tlocalhost\n");
	if (rc)
		snprintf(err, err_len, "writing %s: %s", path, strerror(-rc));
	return rc;
}

#define BUSYBOX "/bin/busybox" /* Debian's busybox-static */

/* What the storage addon's helper pods run: upstream's setup and teardown scripts (sh, mkdir,
 * rm) and a few commands for looking around. */
static int add_busybox_links(const char *rootfs, char *err, size_t err_len)
{
	static const char *const links[] = {"sh", "mkdir", "rm",    "rmdir", "chmod",
					    "ls", "cat",   "sleep", NULL};
	for (size_t i = 0; links[i]; i++) {
		char path[PATH_MAX];
		fs_path(path, sizeof(path), "%s/bin/%s", rootfs, links[i]);
		if (symlink("busybox", path) < 0 && errno != EEXIST) {
			int rc = -errno;
			snprintf(err, err_len, "symlink %s: %s", path, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

int node_images_storage_version(const char *bindir, char *out, size_t len)
{
	char prog[PATH_MAX], tmp[] = "/tmp/node-images-version.XXXXXX";
	fs_path(prog, sizeof(prog), "%s/" STORAGE_ADDON_PROGRAM, bindir);
	int fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	close(fd);
	char *argv[] = {prog, "--version", NULL};
	struct sv_spec spec = {.name = STORAGE_ADDON_PROGRAM, .argv = argv, .log_path = tmp};
	int rc = sv_run(&spec, 30000, NULL);
	char line[256] = "";
	FILE *f = fopen(tmp, "re");
	if (f && !fgets(line, sizeof(line), f))
		line[0] = '\0';
	if (f)
		fclose(f);
	unlink(tmp);
	line[strcspn(line, "\n")] = '\0';
	/* "local-path-provisioner version v0.0.30": build.sh stamps the pin. */
	const char *v = strrchr(line, ' ');
	if (rc || !v || v[1] != 'v')
		return rc ? rc : -EPROTO;
	return snprintf(out, len, "%s", v + 1) < (int)len ? 0 : -ENAMETOOLONG;
}

/* The storage addon's two images: the pinned provisioner, and busybox for its helper pods.
 * Archive names change with what goes in (the provisioner's version, busybox's size and time,
 * a suffix bumped when the extras change). */
static int build_storage(const struct node_images_options *o, struct node_images *out)
{
	char version[64], name[128], base[128], prog[PATH_MAX];
	int rc = node_images_storage_version(o->bindir, version, sizeof(version));
	if (rc) {
		log_error(o->log, "cannot ask the storage provisioner its version",
			  "program=%s/" STORAGE_ADDON_PROGRAM " error=\"%s\"", o->bindir,
			  strerror(-rc));
		return rc;
	}
	fs_path(prog, sizeof(prog), "%s/" STORAGE_ADDON_PROGRAM, o->bindir);
	snprintf(name, sizeof(name), STORAGE_ADDON_IMAGE_REPO ":%s", version);
	snprintf(base, sizeof(base), STORAGE_ADDON_PROGRAM "-%s-hosts1", version);
	static const char *const entry[] = {"/" STORAGE_ADDON_PROGRAM, NULL};
	const char *files[] = {prog, NULL};
	rc = build_one(o, out, name, base, files, NULL, "", entry, NULL, true, add_etc_hosts);
	struct stat st;
	if (!rc && stat(BUSYBOX, &st) < 0) {
		rc = -errno;
		log_error(o->log, "no busybox for the storage helper image",
			  "program=" BUSYBOX
			  " error=\"%s\" hint=\"apt-get install busybox-static\"",
			  strerror(-rc));
	}
	if (rc)
		return rc;
	snprintf(base, sizeof(base), "busybox-%lld-%lld-links1", (long long)st.st_size,
		 (long long)st.st_mtime);
	const char *bb[] = {BUSYBOX, NULL};
	return build_one(o, out, STORAGE_ADDON_HELPER_IMAGE, base, bb, NULL, "/bin", NULL, NULL,
			 true, add_busybox_links);
}

/* `kubeadm config images list --kubernetes-version V` into list (one name per line). */
static int kubeadm_images(const struct node_images_options *o, char *list, size_t len)
{
	char kubeadm[PATH_MAX], out[PATH_MAX];
	fs_path(kubeadm, sizeof(kubeadm), "%s/kubeadm", o->bindir);
	fs_path(out, sizeof(out), "%s/kubeadm-images.txt", o->out_dir);
	char *argv[] = {
	    kubeadm, "config", "images", "list", "--kubernetes-version", (char *)o->k8s_version,
	    NULL};
	struct sv_spec spec = {.name = "kubeadm", .argv = argv, .log_path = out};
	unlink(out);
	int rc = sv_run(&spec, 60000, NULL);
	FILE *f = fopen(out, "re");
	size_t n = f ? fread(list, 1, len - 1, f) : 0;
	if (f)
		fclose(f);
	list[n] = '\0';
	if (rc || !strstr(list, "/pause:")) {
		log_error(o->log, "kubeadm config images list failed", "kubeadm=%s output=%s",
			  kubeadm, out);
		return rc ? rc : -EIO;
	}
	return 0;
}

int node_images_build(const struct node_images_options *o, struct node_images *out)
{
	memset(out, 0, sizeof(*out));
	char list[4096];
	int rc = kubeadm_images(o, list, sizeof(list));
	if (rc)
		return rc;
	for (char *save = NULL, *line = strtok_r(list, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		const char *slash = strrchr(line, '/');
		const char *colon = strrchr(line, ':');
		if (!slash || !colon || colon < slash)
			continue;
		char repo[64];
		snprintf(repo, sizeof(repo), "%.*s", (int)(colon - slash - 1), slash + 1);
		if (!strcmp(repo, "pause")) {
			snprintf(out->pause_name, sizeof(out->pause_name), "%s", line);
			static const char *const entry[] = {"/pause", NULL};
			const char *files[] = {o->pause_bin, NULL};
			static const char *const as[] = {"pause"};
			if ((rc = build_one(o, out, line, "pause", files, as, "", entry,
					    "65535:65535", false, NULL)))
				return rc;
			continue;
		}
		if (!o->kubeadm_images)
			continue;
		for (size_t i = 0; i < sizeof(recipes) / sizeof(recipes[0]); i++) {
			const struct recipe *r = &recipes[i];
			if (strcmp(r->repo, repo))
				continue;
			char paths[3][PATH_MAX];
			const char *files[4] = {0};
			for (size_t j = 0; j < 3 && r->programs[j]; j++) {
				fs_path(paths[j], sizeof(paths[j]), "%s/%s", o->bindir,
					r->programs[j]);
				files[j] = paths[j];
			}
			const char *entry[] = {r->entry, NULL};
			char base[128];
			snprintf(base, sizeof(base), "%s-%s%s", repo, colon + 1,
				 r->suffix ? r->suffix : "");
			if ((rc = build_one(o, out, line, base, files, NULL, r->dest_dir,
					    r->entry ? entry : NULL, NULL, true, r->extra)))
				return rc;
		}
	}
	if (o->kubeadm_images && (rc = build_storage(o, out)))
		return rc;
	if (o->kube_vip_image) {
		static const char *const kv_entry[] = {"/kube-vip", NULL};
		char kv[PATH_MAX];
		fs_path(kv, sizeof(kv), "%s/kube-vip", o->bindir);
		const char *kv_files[] = {kv, NULL};
		if ((rc = build_one(o, out, o->kube_vip_image, "kube-vip", kv_files, NULL, "",
				    kv_entry, NULL, true, NULL)))
			return rc;
	}
	static const char *const httpd_entry[] = {"/httpd", NULL};
	const char *files[] = {o->httpd_bin, NULL};
	static const char *const as[] = {"httpd"};
	rc = build_one(o, out, NODE_HTTPD_IMAGE, "httpd", files, as, "", httpd_entry, "65534:65534",
		       false, NULL);
	/* The tutorial's workload: the same server on port 80 (root: pods may not bind below
	 * 1024 otherwise). */
	static const char *const hello_entry[] = {"/httpd", "80", NULL};
	if (!rc)
		rc = build_one(o, out, NODE_HELLO_IMAGE, "hello-from", files, as, "", hello_entry,
			       "0:0", false, NULL);
	return rc;
}
