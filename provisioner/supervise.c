/*
 * supervise.c — fork/exec with PR_SET_PDEATHSIG and setns, so a lab never outlives the process
 * that made it, and every PID it kills is one it started.
 */
#include "supervise.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

void sv_init(struct supervisor *sv, const struct logger *log)
{
	memset(sv, 0, sizeof(*sv));
	sv->log = log;
}

int sv_enter_namespaces(pid_t pid)
{
	static const struct {
		const char *name;
		int type;
	} kinds[] = {{"net", CLONE_NEWNET}, {"uts", CLONE_NEWUTS}, {"mnt", CLONE_NEWNS}};
	int fds[3];
	char path[64];

	/* Open all first: once in the new mount namespace, /proc may be another view. */
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, kinds[i].name);
		fds[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0) {
			int err = -errno;
			while (i--)
				close(fds[i]);
			return err;
		}
	}
	int err = 0;
	for (int i = 0; i < 3; i++) {
		if (!err && setns(fds[i], kinds[i].type) < 0)
			err = -errno;
		close(fds[i]);
	}
	return err;
}

/* In the child, before exec or fn: die with the parent, clean signal state, own namespaces. */
static int child_setup(pid_t parent, const struct sv_spec *spec, int log_fd)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		return -ESRCH;
	if (spec->new_session)
		setsid();
	else
		setpgid(0, 0);
	if (spec->ns_pid > 0) {
		int err = sv_enter_namespaces(spec->ns_pid);
		if (err)
			return err;
	}
	if (spec->cwd && chdir(spec->cwd) < 0)
		return -errno;
	int devnull = spec->keep_stdin ? -1 : open("/dev/null", O_RDONLY);
	if (devnull >= 0) {
		dup2(devnull, STDIN_FILENO);
		close(devnull);
	}
	if (log_fd >= 0) {
		dup2(log_fd, STDOUT_FILENO);
		dup2(log_fd, STDERR_FILENO);
		close(log_fd);
	}
	return 0;
}

static int open_log(const char *path)
{
	if (!path)
		return -1;
	return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

/* Forks and execs spec; returns the pid, or a negative errno (exec's own error included). */
static pid_t fork_exec(const struct sv_spec *spec)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	int log_fd = open_log(spec->log_path);
	if (spec->log_path && log_fd < 0) {
		int err = -errno;
		close(pfd[0]);
		close(pfd[1]);
		return err;
	}
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		int err = -errno;
		close(pfd[0]);
		close(pfd[1]);
		if (log_fd >= 0)
			close(log_fd);
		return err;
	}
	if (pid == 0) {
		close(pfd[0]);
		int err = child_setup(parent, spec, log_fd);
		if (!err) {
			if (spec->envp)
				execvpe(spec->argv[0], spec->argv, spec->envp);
			else
				execvp(spec->argv[0], spec->argv);
			err = -errno;
		}
		(void)!write(pfd[1], &err, sizeof(err));
		_exit(127);
	}
	close(pfd[1]);
	if (log_fd >= 0)
		close(log_fd);
	int err = 0;
	ssize_t n;
	do
		n = read(pfd[0], &err, sizeof(err));
	while (n < 0 && errno == EINTR);
	close(pfd[0]);
	if (n == (ssize_t)sizeof(err) && err) {
		waitpid(pid, NULL, 0);
		return err;
	}
	return pid;
}

static struct sv_proc *record(struct supervisor *sv, const char *name, const char *node, pid_t pid,
			      const char *log_path)
{
	if (sv->n == SV_MAX_PROCS)
		return NULL;
	struct sv_proc *p = &sv->procs[sv->n++];
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->node, sizeof(p->node), "%s", node ? node : "-");
	snprintf(p->log_path, sizeof(p->log_path), "%s", log_path ? log_path : "");
	p->pid = pid;
	p->running = true;
	p->started = clock_boot_ns();
	return p;
}

int sv_spawn(struct supervisor *sv, const struct sv_spec *spec, struct sv_proc **out)
{
	if (sv->n == SV_MAX_PROCS)
		return -ENOSPC;
	pid_t pid = fork_exec(spec);
	if (pid < 0) {
		log_error(
		    sv->log, "cannot start process", "node=%s process=%s program=%s error=\"%s\"",
		    spec->node ? spec->node : "-", spec->name, spec->argv[0], strerror((int)-pid));
		return (int)pid;
	}
	struct sv_proc *p = record(sv, spec->name, spec->node, pid, spec->log_path);
	log_info(sv->log, "process started", "node=%s process=%s pid=%d log=%s", p->node, p->name,
		 (int)pid, spec->log_path ? spec->log_path : "-");
	if (out)
		*out = p;
	return 0;
}

int sv_spawn_fn(struct supervisor *sv, const char *name, const char *node, sv_child_fn fn,
		void *arg, struct sv_proc **out)
{
	if (sv->n == SV_MAX_PROCS)
		return -ENOSPC;
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	struct sv_spec spec = {.name = name, .node = node};
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		int err = -errno;
		close(pfd[0]);
		close(pfd[1]);
		return err;
	}
	if (pid == 0) {
		close(pfd[0]);
		int err = child_setup(parent, &spec, -1);
		if (err) {
			(void)!write(pfd[1], &err, sizeof(err));
			_exit(1);
		}
		_exit(fn(arg, pfd[1]));
	}
	close(pfd[1]);
	int err = -EPIPE;
	ssize_t n;
	do
		n = read(pfd[0], &err, sizeof(err));
	while (n < 0 && errno == EINTR);
	close(pfd[0]);
	if (n != (ssize_t)sizeof(err))
		err = -EPIPE; /* exited before saying ready */
	if (err) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		log_error(sv->log, "cannot start process", "node=%s process=%s error=\"%s\"",
			  node ? node : "-", name, strerror(-err));
		return err;
	}
	struct sv_proc *p = record(sv, name, node, pid, NULL);
	if (out)
		*out = p;
	return 0;
}

int sv_run(const struct sv_spec *spec, int timeout_ms, int *status)
{
	pid_t pid = fork_exec(spec);
	if (pid < 0)
		return (int)pid;
	int64_t t0 = clock_boot_ns();
	int st = 0;
	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			return -errno;
		if (clock_elapsed_s(t0) * 1000 > timeout_ms) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			if (status)
				*status = st;
			return -ETIMEDOUT;
		}
		usleep(10000);
	}
	if (status)
		*status = st;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EIO;
}

static void describe_status(int st, char *buf, size_t len)
{
	if (WIFEXITED(st))
		snprintf(buf, len, "exit=%d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, len, "signal=%s", sigabbrev_np(WTERMSIG(st)) ?: "?");
	else
		snprintf(buf, len, "status=%d", st);
}

int sv_reap(struct supervisor *sv)
{
	int reaped = 0;
	for (size_t i = 0; i < sv->n; i++) {
		struct sv_proc *p = &sv->procs[i];
		if (!p->running)
			continue;
		int st;
		pid_t r = waitpid(p->pid, &st, WNOHANG);
		if (r != p->pid)
			continue;
		p->running = false;
		p->status = st;
		reaped++;
		char how[32];
		describe_status(st, how, sizeof(how));
		if (p->stopping)
			log_info(sv->log, "process stopped", "node=%s process=%s pid=%d %s",
				 p->node, p->name, (int)p->pid, how);
		else
			log_warn(sv->log, "process exited",
				 "node=%s process=%s pid=%d %s after=%.1fs", p->node, p->name,
				 (int)p->pid, how, clock_elapsed_s(p->started));
	}
	return reaped;
}

int sv_reap_orphans(struct supervisor *sv)
{
	int n = 0;
	for (;;) {
		siginfo_t si = {0};
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid == 0)
			return n;
		bool ours = false;
		for (size_t i = 0; i < sv->n && !ours; i++)
			ours = sv->procs[i].running && sv->procs[i].pid == si.si_pid;
		if (ours)
			sv_reap(sv);
		else
			waitpid(si.si_pid, NULL, WNOHANG);
		n++;
	}
}

static bool wait_gone(struct supervisor *sv, struct sv_proc *p, int ms)
{
	for (int waited = 0; p->running && waited <= ms; waited += 10) {
		sv_reap(sv);
		if (p->running)
			usleep(10000);
	}
	return !p->running;
}

int sv_stop(struct supervisor *sv, struct sv_proc *p, int grace_ms)
{
	sv_reap(sv);
	if (!p->running)
		return 0;
	p->stopping = true;
	kill(p->pid, SIGTERM);
	if (wait_gone(sv, p, grace_ms))
		return 0;
	log_warn(sv->log, "process ignored SIGTERM, killing", "node=%s process=%s pid=%d", p->node,
		 p->name, (int)p->pid);
	kill(p->pid, SIGKILL);
	return wait_gone(sv, p, 10000) ? 0 : -ETIMEDOUT;
}

void sv_stop_all(struct supervisor *sv, int grace_ms)
{
	sv_reap(sv);
	/* Newest first, a run of same-named processes at a time (all apiservers, then all etcd
	 * members…): each tier stops while what it depends on is still there, and a tier's
	 * shutdown time is its slowest member's, not the sum. */
	size_t end = sv->n;
	while (end > 0) {
		size_t begin = end - 1;
		while (begin > 0 && !strcmp(sv->procs[begin - 1].name, sv->procs[end - 1].name))
			begin--;
		for (size_t i = begin; i < end; i++) {
			if (sv->procs[i].running) {
				sv->procs[i].stopping = true;
				kill(sv->procs[i].pid, SIGTERM);
			}
		}
		for (size_t i = end; i-- > begin;)
			sv_stop(sv, &sv->procs[i], grace_ms);
		end = begin;
	}
}

int sv_run_ip(const struct logger *log, const char *log_path, pid_t ns_pid, const char *node,
	      const char *const *args, bool quiet)
{
	const char *argv[24] = {"ip"};
	size_t n = 1;
	while (*args && n < 23)
		argv[n++] = *args++;
	argv[n] = NULL;
	struct sv_spec spec = {.name = "ip",
			       .node = node,
			       .argv = (char *const *)argv,
			       .ns_pid = ns_pid,
			       .log_path = log_path};
	int err = sv_run(&spec, 10000, NULL);
	if (err && !quiet) {
		char cmd[256] = "";
		for (size_t i = 0; i < n; i++) {
			strncat(cmd, argv[i], sizeof(cmd) - strlen(cmd) - 2);
			strncat(cmd, " ", sizeof(cmd) - strlen(cmd) - 1);
		}
		log_error(log, "ip command failed", "node=%s command=\"%s\" log=%s",
			  node ? node : "hub", cmd, log_path);
	}
	return err;
}

unsigned long long sv_proc_start(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* Field 2 is "(comm)" and may hold spaces: count fields after its last ')'. */
	char *p = strrchr(buf, ')');
	unsigned long long start = 0;
	for (int field = 2; p && *p; p++) {
		if (*p != ' ')
			continue;
		if (++field == 22) {
			start = strtoull(p + 1, NULL, 10);
			break;
		}
	}
	return start;
}

bool sv_proc_alive(pid_t pid, unsigned long long start)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *p = strrchr(buf, ')');
	char state = p && p[1] == ' ' ? p[2] : 'X';
	return state != 'Z' && state != 'X' && sv_proc_start(pid) == start && start != 0;
}
