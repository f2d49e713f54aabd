/*
 * node.c — start order of a node (directories, cgroups, mounts, configs, containerd, images,
 * kubelet) and its teardown by cgroup: everything a node starts lives under its cgroup root, so
 * stopping is "freeze, kill, wait empty, rmdir", whatever containerd left behind.
 */
#include "node.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fsutil.h"
#include "node_files.h"

/* Host directory names under /sys/fs/cgroup (the node mounts them at the same names). */
const char *const node_cgroup_hierarchies[] = {"cpu",	  "cpuacct", "cpuset", "memory",  "devices",
					       "freezer", "blkio",   "pids",   "systemd", NULL};

#define CG	  "/sys/fs/cgroup"
#define NODE_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define SOCK	  "/run/containerd/containerd.sock"

static const char *const node_subdirs[] = {
    "rootfs/var-lib",	  "rootfs/var-log",	      "rootfs/run",    "conf", "log", "run",
    "etc/kubernetes/pki", "etc/kubernetes/manifests", "etc/cni/net.d", NULL};

/* --- cgroups (seen from the hub, which has the machine's hierarchies) ------------------- */

static int cg_path(char *buf, size_t len, const char *h, const char *root, const char *sub)
{
	return fs_path(buf, len, CG "/%s%s%s%s", h, root, sub ? "/" : "", sub ? sub : "");
}

/* cpuset children start with no CPUs or memory nodes: copy the parent's. */
static int cpuset_inherit(const char *dir)
{
	static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
	for (size_t i = 0; i < 2; i++) {
		char from[PATH_MAX], to[PATH_MAX], val[256] = "";
		fs_path(from, sizeof(from), "%s/../%s", dir, files[i]);
		fs_path(to, sizeof(to), "%s/%s", dir, files[i]);
		FILE *f = fopen(from, "re");
		if (!f)
			return -errno;
		if (!fgets(val, sizeof(val), f))
			val[0] = '\0';
		fclose(f);
		int fd = open(to, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		ssize_t w = write(fd, val, strlen(val));
		int err = w < 0 ? -errno : 0;
		close(fd);
		if (err)
			return err;
	}
	return 0;
}

static int cg_make(struct node *n)
{
	static const char *const subs[] = {NULL, "runtime", "kubelet"};
	for (size_t i = 0; node_cgroup_hierarchies[i]; i++) {
		for (size_t j = 0; j < 3; j++) {
			char d[PATH_MAX];
			cg_path(d, sizeof(d), node_cgroup_hierarchies[i], n->cfg.cgroup_root,
				subs[j]);
			if (mkdir(d, 0755) < 0 && errno != EEXIST) {
				int err = -errno;
				log_error(n->log, "cannot make cgroup",
					  "node=%s path=%s error=\"%s\"", n->cfg.ln->name, d,
					  strerror(-err));
				return err;
			}
			n->cgroups_made = true;
			if (!strcmp(node_cgroup_hierarchies[i], "cpuset")) {
				int err = cpuset_inherit(d);
				if (err)
					return err;
			}
		}
	}
	return 0;
}

/* Appends every pid found in cgroup.procs under dir (recursively) to pids. */
static void cg_collect(const char *dir, pid_t *pids, size_t *n, size_t max)
{
	char p[PATH_MAX];
	fs_path(p, sizeof(p), "%s/cgroup.procs", dir);
	FILE *f = fopen(p, "re");
	if (f) {
		long pid;
		while (*n < max && fscanf(f, "%ld", &pid) == 1)
			pids[(*n)++] = (pid_t)pid;
		fclose(f);
	}
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_type != DT_DIR || e->d_name[0] == '.')
			continue;
		if (fs_path(p, sizeof(p), "%s/%s", dir, e->d_name) == 0)
			cg_collect(p, pids, n, max);
	}
	closedir(d);
}

/* rmdir depth-first; cgroup directories hold only kernel files, so rmdir is enough. */
static int cg_remove(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	struct dirent *e;
	int err = 0;
	while ((e = readdir(d))) {
		if (e->d_type != DT_DIR || e->d_name[0] == '.')
			continue;
		char p[PATH_MAX];
		if (fs_path(p, sizeof(p), "%s/%s", dir, e->d_name) == 0) {
			int r = cg_remove(p);
			if (r && !err)
				err = r;
		}
	}
	closedir(d);
	if (rmdir(dir) < 0 && errno != ENOENT && !err)
		err = -errno;
	return err;
}

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int err = write(fd, s, strlen(s)) < 0 ? -errno : 0;
	close(fd);
	return err;
}

/* Freezes the node's tree, SIGKILLs every task in it, thaws, and waits until no hierarchy has a
 * task left under the root. */
static int cg_kill_all(struct node *n)
{
	char freezer[PATH_MAX], state[PATH_MAX];
	cg_path(freezer, sizeof(freezer), "freezer", n->cfg.cgroup_root, NULL);
	fs_path(state, sizeof(state), "%s/freezer.state", freezer);
	int64_t t0 = clock_boot_ns();
	size_t killed = 0;
	for (;;) {
		static pid_t pids[8192];
		size_t count = 0;
		for (size_t i = 0; node_cgroup_hierarchies[i]; i++) {
			char d[PATH_MAX];
			cg_path(d, sizeof(d), node_cgroup_hierarchies[i], n->cfg.cgroup_root, NULL);
			cg_collect(d, pids, &count, sizeof(pids) / sizeof(pids[0]));
		}
		if (count == 0)
			break;
		if (clock_elapsed_s(t0) > 20) {
			log_error(n->log, "tasks left in the node's cgroups", "node=%s count=%zu",
				  n->cfg.ln->name, count);
			return -EBUSY;
		}
		write_str(state, "FROZEN");
		for (size_t i = 0; i < count; i++)
			if (kill(pids[i], SIGKILL) == 0)
				killed++;
		write_str(state, "THAWED");
		sv_reap(n->sv);
		usleep(50000);
	}
	log_info(n->log, "node processes killed", "node=%s signals=%zu seconds=%.2f",
		 n->cfg.ln->name, killed, clock_elapsed_s(t0));
	return 0;
}

/* --- mounts, made inside the node's mount namespace ----------------------------------------- */

struct bind {
	const char *from_rel; /* under the node dir */
	const char *to;
};

static const struct bind binds[] = {
    {"rootfs/var-lib", "/var/lib"},
    {"rootfs/var-log", "/var/log"},
    {"rootfs/run", "/run"},
};

static int mount_in_ns(const struct node *n)
{
	for (size_t i = 0; i < sizeof(binds) / sizeof(binds[0]); i++) {
		char from[PATH_MAX];
		fs_path(from, sizeof(from), "%s/%s", n->dir, binds[i].from_rel);
		if (mount(from, binds[i].to, NULL, MS_BIND | MS_REC, NULL) < 0)
			return -errno;
	}
	/* /run/containerd and the node's /var/lib layout start empty; kubelet and containerd make
	 * their own directories under them. */
	if (mount("cgroup_root", CG, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755") < 0)
		return -errno;
	for (size_t i = 0; node_cgroup_hierarchies[i]; i++) {
		const char *h = node_cgroup_hierarchies[i];
		char d[PATH_MAX];
		fs_path(d, sizeof(d), CG "/%s", h);
		if (mkdir(d, 0755) < 0)
			return -errno;
		const char *opts = strcmp(h, "systemd") ? h : "none,name=systemd";
		if (mount("cgroup", d, "cgroup", MS_NOSUID | MS_NODEV | MS_NOEXEC, opts) < 0)
			return -errno;
	}
	return 0;
}

/* Detaches everything the node mounted, with whatever containerd and kubelet mounted below
 * (container root filesystems, pod volumes, network namespace files): the lab node's mount
 * namespace is as it was before node_start(). */
static int unmount_in_ns(const struct node *n)
{
	(void)n;
	static const char *const points[] = {CG, "/run", "/var/log", "/var/lib"};
	int first = 0;
	for (size_t i = 0; i < sizeof(points) / sizeof(points[0]); i++)
		if (umount2(points[i], MNT_DETACH) < 0 && errno != EINVAL && !first)
			first = -errno;
	return first;
}

/* Runs fn in a child that has entered the node's namespaces. */
static int in_node(struct node *n, int (*fn)(const struct node *), const char *what)
{
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int err = sv_enter_namespaces(n->cfg.ln->holder);
		if (!err)
			err = fn(n);
		_exit(err ? (-err & 0xff) : 0);
	}
	int st;
	if (waitpid(pid, &st, 0) < 0)
		return -errno;
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		int err = WIFEXITED(st) ? -WEXITSTATUS(st) : -EIO;
		log_error(n->log, what, "node=%s error=\"%s\"", n->cfg.ln->name, strerror(-err));
		return err;
	}
	return 0;
}

/* --- processes -------------------------------------------------------------------------------- */

/* Starts `program args` in the node's namespaces, first joining <root>/<group> in every
 * hierarchy (a shell does it before exec, so nothing runs outside the node's cgroups). */
static int spawn_in_group(struct node *n, const char *name, const char *group, const char *cmd,
			  struct sv_proc **out)
{
	char script[4096], logp[PATH_MAX], pidp[PATH_MAX];
	snprintf(script, sizeof(script),
		 "for h in %s; do echo $$ > " CG "/$h%s/%s/cgroup.procs || exit 125; done; exec %s",
		 "cpu cpuacct cpuset memory devices freezer blkio pids systemd", n->cfg.cgroup_root,
		 group, cmd);
	char *argv[] = {"/bin/sh", "-c", script, NULL};
	char *envp[] = {NODE_PATH, "HOME=/root", NULL};
	fs_path(logp, sizeof(logp), "%s/log/%s.log", n->dir, name);
	struct sv_spec spec = {
	    .name = name,
	    .node = n->cfg.ln->name,
	    .argv = argv,
	    .envp = envp,
	    .ns_pid = n->cfg.ln->holder,
	    .log_path = logp,
	    .cwd = "/",
	    .new_session = true,
	};
	int err = sv_spawn(n->sv, &spec, out);
	if (err)
		return err;
	fs_path(pidp, sizeof(pidp), "%s/run/%s.pid", n->dir, name);
	return fs_printf(pidp, 0644, "%d\n", (int)(*out)->pid);
}

/* Runs a short command in the node's namespaces, its output appended to log/<log>.log. */
static int run_in_node(struct node *n, const char *log, char *const *argv, int timeout_ms)
{
	char logp[PATH_MAX];
	char *envp[] = {NODE_PATH, "HOME=/root", NULL};
	fs_path(logp, sizeof(logp), "%s/log/%s.log", n->dir, log);
	struct sv_spec spec = {
	    .name = argv[0],
	    .node = n->cfg.ln->name,
	    .argv = argv,
	    .envp = envp,
	    .ns_pid = n->cfg.ln->holder,
	    .log_path = logp,
	    .cwd = "/",
	};
	return sv_run(&spec, timeout_ms, NULL);
}

static int start_containerd(struct node *n)
{
	char cmd[PATH_MAX + 64];
	fs_path(cmd, sizeof(cmd), "containerd --config %s/conf/containerd.toml", n->dir);
	int err = spawn_in_group(n, "containerd", "runtime", cmd, &n->containerd);
	if (err)
		return err;
	char *probe[] = {"ctr", "--address", SOCK, "version", NULL};
	for (;;) {
		if (run_in_node(n, "ctr", probe, 5000) == 0)
			break;
		sv_reap(n->sv);
		if (!n->containerd->running) {
			log_error(n->log, "containerd exited before it was ready", "node=%s log=%s",
				  n->cfg.ln->name, n->containerd->log_path);
			return -ECHILD;
		}
		if (clock_elapsed_s(n->containerd->started) > n->cfg.timeout_s) {
			log_error(n->log, "containerd not ready in time", "node=%s log=%s",
				  n->cfg.ln->name, n->containerd->log_path);
			return -ETIMEDOUT;
		}
		usleep(100000);
	}
	log_info(n->log, "containerd ready", "node=%s pid=%d seconds=%.2f", n->cfg.ln->name,
		 (int)n->containerd->pid, clock_elapsed_s(n->containerd->started));
	return 0;
}

static int import_images(struct node *n)
{
	for (size_t i = 0; i < NODE_MAX_IMAGES && n->cfg.images[i]; i++) {
		int64_t t0 = clock_boot_ns();
		/* Unpacked for overlayfs, the snapshotter the CRI plugin uses. */
		char *argv[] = {"ctr",
				"--address",
				SOCK,
				"-n",
				"k8s.io",
				"images",
				"import",
				"--snapshotter=overlayfs",
				(char *)n->cfg.images[i],
				NULL};
		int err = run_in_node(n, "import", argv, 300000);
		if (err) {
			log_error(n->log, "image import failed",
				  "node=%s archive=%s log=%s/log/import.log", n->cfg.ln->name,
				  n->cfg.images[i], n->dir);
			return err;
		}
		log_info(n->log, "image imported", "node=%s archive=%s seconds=%.2f",
			 n->cfg.ln->name, n->cfg.images[i], clock_elapsed_s(t0));
	}
	return 0;
}

/* kubeadm's systemd drop-in (10-kubeadm.conf), as a shell line: kubelet.conf once TLS
 * bootstrapping made it, the bootstrap kubeconfig before, the flags kubeadm chose. */
#define KUBEADM_KUBELET                                                                            \
	"/bin/sh -c 'KUBELET_KUBEADM_ARGS=; . /var/lib/kubelet/kubeadm-flags.env; "                \
	"exec %s/kubelet --bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf "           \
	"--kubeconfig=/etc/kubernetes/kubelet.conf --config=/var/lib/kubelet/config.yaml "         \
	"$KUBELET_KUBEADM_ARGS'"

static int start_kubelet(struct node *n)
{
	char cmd[2 * PATH_MAX];
	snprintf(cmd, sizeof(cmd), KUBEADM_KUBELET, n->cfg.bindir);
	int err = spawn_in_group(n, "kubelet", "kubelet", cmd, &n->kubelet);
	if (!err)
		log_info(n->log, "kubelet started", "node=%s pid=%d restarts=%u", n->cfg.ln->name,
			 (int)n->kubelet->pid, n->kubelet_restarts);
	return err;
}

/* kubeadm has written the kubelet's configuration (seen from outside the node
 * through its /var/lib directory). */
static bool kubeadm_files_ready(const struct node *n)
{
	char path[PATH_MAX];
	fs_path(path, sizeof(path), "%s/rootfs/var-lib/kubelet/config.yaml", n->dir);
	return access(path, R_OK) == 0;
}

/* --- the calls that matter -------------------------------------------------------------------- */

int node_start(struct node *n, struct supervisor *sv, const struct node_config *cfg,
	       const struct logger *log)
{
	memset(n, 0, sizeof(*n));
	n->cfg = *cfg;
	n->sv = sv;
	n->log = log;
	snprintf(n->dir, sizeof(n->dir), "%s", cfg->ln->dir);
	if (!cfg->cgroup_root || cfg->cgroup_root[0] != '/' || strchr(cfg->cgroup_root + 1, '/')) {
		log_error(log, "bad cgroup root", "node=%s cgroup_root=\"%s\" want=\"/name\"",
			  cfg->ln->name, cfg->cgroup_root ? cfg->cgroup_root : "");
		return -EINVAL;
	}
	int64_t t0 = clock_boot_ns();
	int err;
	for (size_t i = 0; node_subdirs[i]; i++) {
		char d[PATH_MAX];
		if ((err = fs_path(d, sizeof(d), "%s/%s", n->dir, node_subdirs[i])) ||
		    (err = fs_mkdirs(d, 0755)))
			return err;
	}
	if ((err = node_write_containerd_config(n)) || (err = node_write_cni_config(n)))
		return err;
	/* Mounts first: the node's own /sys/fs/cgroup then shows the hierarchies whether this
	 * process is outside the node (a fixture) or is the node's init process. */
	n->mounted = true;
	if ((err = in_node(n, mount_in_ns, "cannot mount the node's directories")))
		return err;
	if ((err = cg_make(n)))
		return err;
	if ((err = start_containerd(n)) || (err = import_images(n)))
		return err;
	if (kubeadm_files_ready(n) && (err = start_kubelet(n)))
		return err;
	log_info(log, "node started", "node=%s cgroup_root=%s pod_cidr=%s seconds=%.2f",
		 cfg->ln->name, cfg->cgroup_root, cfg->pod_cidr, clock_elapsed_s(t0));
	return 0;
}

int node_poll(struct node *n)
{
	if (n->containerd && !n->containerd->running && !n->containerd->stopping)
		return -ECHILD;
	if (!n->kubelet && n->containerd)
		return kubeadm_files_ready(n) ? start_kubelet(n) : 0;
	if (!n->kubelet || n->kubelet->running || n->kubelet->stopping)
		return 0;
	/* 1 s after the first death, then doubling up to 10 s (kubeadm's unit: RestartSec=10):
	 * each start takes a supervisor slot, so a crash loop must not use them up quickly. */
	if (n->kubelet_died == 0 && clock_elapsed_s(n->kubelet->started) > 60)
		n->kubelet_quick_deaths = 0; /* it had been running well: no back-off */
	double delay =
	    n->kubelet_quick_deaths >= 4 ? 10.0 : (double)(1u << n->kubelet_quick_deaths);
	if (n->kubelet_died == 0) {
		n->kubelet_died = clock_boot_ns();
		log_warn(n->log, "kubelet died; restarting", "node=%s in_seconds=%.0f log=%s",
			 n->cfg.ln->name, delay, n->kubelet->log_path);
		return 0;
	}
	if (clock_elapsed_s(n->kubelet_died) < delay)
		return 0;
	n->kubelet_died = 0;
	n->kubelet_restarts++;
	n->kubelet_quick_deaths++;
	return start_kubelet(n);
}

int node_stop(struct node *n)
{
	int first = 0;
	if (n->kubelet && n->kubelet->running)
		sv_stop(n->sv, n->kubelet, 5000);
	if (n->containerd && n->containerd->running)
		n->containerd->stopping = true;
	if (n->cgroups_made) {
		int err = cg_kill_all(n);
		if (err && !first)
			first = err;
		sv_reap(n->sv);
		for (size_t i = 0; node_cgroup_hierarchies[i]; i++) {
			char d[PATH_MAX];
			cg_path(d, sizeof(d), node_cgroup_hierarchies[i], n->cfg.cgroup_root, NULL);
			err = cg_remove(d);
			if (err) {
				log_error(n->log, "cannot remove cgroup",
					  "node=%s path=%s error=\"%s\"", n->cfg.ln->name, d,
					  strerror(-err));
				if (!first)
					first = err;
			}
		}
		n->cgroups_made = false;
	}
	if (n->mounted && kill(n->cfg.ln->holder, 0) == 0) {
		int err = in_node(n, unmount_in_ns, "cannot unmount the node's directories");
		if (err && !first)
			first = err;
		n->mounted = false;
	}
	log_info(n->log, "node stopped", "node=%s", n->cfg.ln->name);
	return first;
}

int node_cgroups_remove(const char *root)
{
	int first = 0;
	for (size_t i = 0; node_cgroup_hierarchies[i]; i++) {
		char d[PATH_MAX];
		cg_path(d, sizeof(d), node_cgroup_hierarchies[i], root, NULL);
		int err = cg_remove(d);
		if (err && !first)
			first = err;
	}
	return first;
}

static long rss_kib(const struct sv_proc *p)
{
	if (!p || !p->running)
		return 0;
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)p->pid);
	FILE *f = fopen(path, "re");
	long kib = 0;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib;
}

void node_rss(const struct node *n, long *containerd_kib, long *kubelet_kib)
{
	*containerd_kib = rss_kib(n->containerd);
	*kubelet_kib = rss_kib(n->kubelet);
}
