/*
 * testns.c — namespace holders for integration tests (see testns.h).
 */
#include "testns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

bool testns_is_root(void)
{
	return geteuid() == 0;
}

int testns_create(struct testns *ns)
{
	int ready[2];
	ns->holder = -1;
	ns->fd = -1;
	if (pipe2(ready, O_CLOEXEC) < 0)
		return -errno;
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		close(ready[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1); /* the test died before we armed the signal */
		char ok = unshare(CLONE_NEWNET) == 0 ? 'y' : 'n';
		if (write(ready[1], &ok, 1) != 1)
			_exit(1);
		close(ready[1]);
		for (;;)
			pause();
	}
	close(ready[1]);
	char ok = 'n';
	ssize_t n = read(ready[0], &ok, 1);
	close(ready[0]);
	ns->holder = pid;
	if (n != 1 || ok != 'y') {
		testns_destroy(ns);
		return -EPERM;
	}
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	ns->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (ns->fd < 0) {
		int e = errno;
		testns_destroy(ns);
		return -e;
	}
	if (testns_sh(ns, "ip link set lo up") != 0) {
		testns_destroy(ns);
		return -EIO;
	}
	return 0;
}

void testns_destroy(struct testns *ns)
{
	if (ns->fd >= 0)
		close(ns->fd);
	if (ns->holder > 0) {
		kill(ns->holder, SIGKILL);
		waitpid(ns->holder, NULL, 0);
	}
	ns->fd = -1;
	ns->holder = -1;
}

int testns_enter(const struct testns *ns)
{
	int saved = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (saved < 0)
		return -errno;
	if (setns(ns->fd, CLONE_NEWNET) < 0) {
		int e = errno;
		close(saved);
		return -e;
	}
	return saved;
}

int testns_leave(int saved)
{
	int rc = setns(saved, CLONE_NEWNET) == 0 ? 0 : -errno;
	close(saved);
	return rc;
}

static char *format_command(const struct testns *ns, const char *fmt, va_list ap)
{
	char *inner = NULL, *cmd = NULL;
	if (vasprintf(&inner, fmt, ap) < 0)
		return NULL;
	if (asprintf(&cmd, "nsenter -t %d -n sh -c '%s'", (int)ns->holder, inner) < 0)
		cmd = NULL;
	free(inner);
	return cmd;
}

int testns_sh(const struct testns *ns, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *cmd = format_command(ns, fmt, ap);
	va_end(ap);
	if (!cmd)
		return -1;
	int st = system(cmd);
	free(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int testns_capture(const struct testns *ns, char *out, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *cmd = format_command(ns, fmt, ap);
	va_end(ap);
	out[0] = '\0';
	if (!cmd)
		return -1;
	FILE *p = popen(cmd, "r");
	free(cmd);
	if (!p)
		return -1;
	size_t used = 0;
	while (used + 1 < len) {
		size_t n = fread(out + used, 1, len - 1 - used, p);
		if (n == 0)
			break;
		used += n;
	}
	out[used] = '\0';
	int st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int testns_veth(const struct testns *a, const char *a_name, const struct testns *b,
		const char *b_name)
{
	if (testns_sh(a, "ip link add %s type veth peer name %s netns %d && ip link set %s up",
		      a_name, b_name, (int)b->holder, a_name) != 0)
		return -EIO;
	return testns_sh(b, "ip link set %s up", b_name) == 0 ? 0 : -EIO;
}

int testns_mac(const struct testns *ns, const char *ifname, uint8_t mac[6])
{
	/* Not /sys/class/net: sysfs inside nsenter -n still shows the caller's namespace. */
	char out[512];
	if (testns_capture(ns, out, sizeof(out), "ip -o link show dev %s", ifname) != 0)
		return -EIO;
	const char *ether = strstr(out, "link/ether ");
	unsigned m[6];
	if (!ether ||
	    sscanf(ether + 11, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6)
		return -EBADMSG;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)m[i];
	return 0;
}
