/*
 * supervise — start, watch and stop the processes of a lab: every child is ours by PID, dies
 * with us (PR_SET_PDEATHSIG), and can be placed in a node's namespaces before it runs.
 *
 * Owns: fork/exec, namespace entry (setns into another process's net, uts and mnt
 * namespaces), per-process log files, reaping and stopping. Must not touch: what the processes
 * are (controlplane.c decides), the network (lab.c).
 *
 * The calls that matter: sv_spawn() for long-running processes, sv_run() for a command that
 * must finish, sv_stop_all() for teardown.
 */
#ifndef VIPD_SUPERVISE_H
#define VIPD_SUPERVISE_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "clock.h" /* clock_boot_ns(), clock_elapsed_s(): durations and timeouts */
#include "log.h"

#define SV_MAX_PROCS 96

/* A process to start. */
struct sv_spec {
	const char *name;     /* "etcd", "kube-apiserver", … for logs and pid files */
	const char *node;     /* node name for logs; NULL for the lab itself */
	char *const *argv;    /* argv[0] is a path, or a name looked up in PATH */
	char *const *envp;    /* NULL: inherit ours */
	pid_t ns_pid;	      /* enter this process's net, uts and mnt namespaces; 0: stay */
	const char *log_path; /* stdout and stderr are appended here; NULL: inherit ours */
	const char *cwd;      /* NULL: unchanged */
	bool new_session;     /* setsid(): the child is not in our process group */
	bool keep_stdin;      /* inherit our stdin (interactive commands); else /dev/null */
};

/* A body to run in a forked child instead of exec (namespace holders). Returns the exit code. */
typedef int (*sv_child_fn)(void *arg, int ready_fd);

struct sv_proc {
	char name[64];
	char node[64];
	char log_path[PATH_MAX];
	pid_t pid;
	bool running;
	bool stopping;	 /* we asked it to stop: its exit is not news */
	int status;	 /* wait status once !running */
	int64_t started; /* clock_boot_ns() */
};

struct supervisor {
	struct sv_proc procs[SV_MAX_PROCS];
	size_t n;
	const struct logger *log;
};

void sv_init(struct supervisor *sv, const struct logger *log);

/* Starts spec in the background and records it. Fails (negative errno) when exec fails, with
 * the reason logged. */
int sv_spawn(struct supervisor *sv, const struct sv_spec *spec, struct sv_proc **out);

/* Forks a recorded child that runs fn(arg, ready_fd) and waits until it writes one byte to
 * ready_fd (0 = ready, anything else = an errno) or exits. */
int sv_spawn_fn(struct supervisor *sv, const char *name, const char *node, sv_child_fn fn,
		void *arg, struct sv_proc **out);

/* Runs spec to completion (not recorded). Returns 0 when it exited 0, -ECHILD-like negative
 * errno otherwise: -ETIMEDOUT after timeout_ms (the child is killed), -EIO on a non-zero exit.
 * *status (may be NULL) gets the wait status. */
int sv_run(const struct sv_spec *spec, int timeout_ms, int *status);

/* Runs `ip ARGS…` (NULL-terminated) in ns_pid's namespaces (0: ours), output appended to
 * log_path; on failure (unless quiet) logs the command line. Returns as sv_run(). */
int sv_run_ip(const struct logger *log, const char *log_path, pid_t ns_pid, const char *node,
	      const char *const *args, bool quiet);

/* Collects children that exited; logs those that were not asked to stop. Returns how many. */
int sv_reap(struct supervisor *sv);

/* As a PID namespace's init: also collects orphans (processes that were not our children but
 * were reparented to us). Returns how many exits it collected. */
int sv_reap_orphans(struct supervisor *sv);

/* SIGTERM, then SIGKILL after grace_ms; waits for it. */
int sv_stop(struct supervisor *sv, struct sv_proc *p, int grace_ms);

/* Stops every running child, newest first, a run of same-named ones at a time. */
void sv_stop_all(struct supervisor *sv, int grace_ms);

/* Moves the calling (single-threaded) process into pid's net, uts and mnt namespaces. */
int sv_enter_namespaces(pid_t pid);

/* The start time of a process (/proc/PID/stat field 22), 0 when it does not exist: with the
 * PID, what tells a process from a later one that reused its PID. */
unsigned long long sv_proc_start(pid_t pid);
/* pid is still the process that started at `start`, and neither a zombie nor dead. */
bool sv_proc_alive(pid_t pid, unsigned long long start);

#endif
