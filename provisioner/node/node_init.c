/*
 * node_init.c — the node's PID 1: namespaces, the ready/go handshake with its maker, then a
 * supervision loop (reap, restart kubelet, stop on SIGTERM) driven by a signalfd and a 200 ms
 * tick, the period at which kubelet is started once kubeadm has written its files.
 */
#include "node_init.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "fsutil.h"

#define TICK_MS 200

static void report(int fd, int code)
{
	if (fd >= 0)
		(void)!write(fd, &code, sizeof(code));
}

/* New network, UTS and mount namespaces; the node's /etc (an overlay on the machine's) and a
 * /sys of its own network namespace. */
static int make_namespaces(const struct node_init_args *a)
{
	char upper[PATH_MAX], work[PATH_MAX], opts[3 * PATH_MAX];
	fs_path(upper, sizeof(upper), "%s/etc", a->dir);
	fs_path(work, sizeof(work), "%s/.etc-work", a->dir);
	int err = fs_mkdirs(upper, 0755);
	if (!err)
		err = fs_mkdirs(work, 0700);
	if (err)
		return err;
	fs_path(opts, sizeof(opts), "lowerdir=/etc,upperdir=%s,workdir=%s", upper, work);
	if (unshare(CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    sethostname(a->name, strlen(a->name)) < 0 ||
	    mount("overlay", "/etc", "overlay", 0, opts) < 0 || umount2("/sys", MNT_DETACH) < 0 ||
	    mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0 ||
	    /* The node's own PID namespace in /proc: containerd's shims write
	     * /proc/<their pid>/oom_score_adj with the PID they see. */
	    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return -errno;
	/* A new network namespace copies the machine's ip_forward (often 0); pods reach other
	 * nodes through this one, and kubeadm's preflight requires it. */
	int fd = open("/proc/sys/net/ipv4/ip_forward", O_WRONLY | O_CLOEXEC);
	err = fd < 0 || write(fd, "1\n", 2) != 2 ? -errno : 0;
	if (fd >= 0)
		close(fd);
	return err;
}

static int wait_go(int fd)
{
	char c;
	ssize_t n;
	do
		n = read(fd, &c, 1);
	while (n < 0 && errno == EINTR);
	return n == 1 ? 0 : -ECANCELED;
}

/* Reaps until a stop signal; returns the exit code. */
static int supervise(struct node *n, struct supervisor *sv, int sfd, const struct logger *log)
{
	for (;;) {
		struct pollfd p = {.fd = sfd, .events = POLLIN};
		if (poll(&p, 1, TICK_MS) > 0) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
					log_info(log, "node stopping", "node=%s signal=%u",
						 n->cfg.ln->name, si.ssi_signo);
					return node_stop(n) ? 1 : 0;
				}
			}
		}
		sv_reap_orphans(sv);
		int err = node_poll(n);
		if (err == -ECHILD) {
			log_error(log, "containerd died; the node stops", "node=%s log=%s",
				  n->cfg.ln->name, n->containerd->log_path);
			node_stop(n);
			return 1;
		}
	}
}

int node_init_main(const struct node_init_args *a)
{
	static struct logger logger = {.level = LOG_INFO};
	logger.out = stderr;
	const struct logger *log = &logger;
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);

	static struct lab_node ln;
	snprintf(ln.name, sizeof(ln.name), "%s", a->name);
	snprintf(ln.dir, sizeof(ln.dir), "%s", a->dir);
	fs_path(ln.etc_dir, sizeof(ln.etc_dir), "%s/etc", a->dir);
	/* PID 1 of the node's PID namespace, which its /proc shows once mounted. */
	ln.holder = getpid();
	int err = sfd < 0 ? -errno : inet_pton(AF_INET, a->ip, &ln.addr) == 1 ? 0 : -EINVAL;
	if (!err)
		err = make_namespaces(a);
	report(a->status_fd, err);
	if (err) {
		log_error(log, "cannot make the node's namespaces", "node=%s error=\"%s\"", a->name,
			  strerror(-err));
		return 1;
	}
	if (wait_go(a->go_fd))
		return 1;
	close(a->go_fd);

	static struct supervisor sv;
	static struct node node;
	sv_init(&sv, log);
	struct node_config cfg = {
	    .ln = &ln,
	    .bindir = a->bindir,
	    .pod_cidr = a->pod_cidr,
	    .sandbox_image = a->sandbox_image,
	    .cgroup_root = a->cgroup_root,
	    .timeout_s = 60,
	};
	memcpy(cfg.images, a->images, sizeof(cfg.images));
	err = node_start(&node, &sv, &cfg, log);
	report(a->status_fd, err);
	close(a->status_fd);
	if (err) {
		node_stop(&node);
		return 1;
	}
	return supervise(&node, &sv, sfd, log);
}
