/*
 * testns — throwaway network namespaces for integration tests.
 *
 * Each namespace is anonymous and held by a small child process (PR_SET_PDEATHSIG = SIGKILL):
 * when the test ends — passed, failed, or crashed — the holder dies and the kernel removes the
 * namespace with every interface in it. No names in /run/netns, so two test runs never clash
 * and nothing can be left behind. Commands run inside with `nsenter -t <holder> -n`.
 *
 * Owns: namespace lifetime and entering/leaving. Must not touch: the caller's own namespace's
 * interfaces (everything is created inside the test namespaces).
 */
#ifndef VIPD_TESTNS_H
#define VIPD_TESTNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct testns {
	pid_t holder;
	int fd; /* the namespace, for setns() */
};

/* Creates a namespace with lo up. */
int testns_create(struct testns *ns);
void testns_destroy(struct testns *ns);

/* Switches the calling thread into `ns`; returns an fd of the namespace it left (>= 0) or
 * -errno. testns_leave(saved) switches back and closes it. */
int testns_enter(const struct testns *ns);
int testns_leave(int saved);

/* Runs a shell command inside `ns`; returns its exit status (or -1). */
int testns_sh(const struct testns *ns, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Same, capturing stdout into `out` (NUL-terminated). */
int testns_capture(const struct testns *ns, char *out, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A veth pair: `a_name` in `a`, `b_name` in `b`, both up. */
int testns_veth(const struct testns *a, const char *a_name, const struct testns *b,
		const char *b_name);

/* The MAC of `ifname` in `ns` as 6 bytes (read with iproute2). */
int testns_mac(const struct testns *ns, const char *ifname, uint8_t mac[6]);

bool testns_is_root(void);

#endif
