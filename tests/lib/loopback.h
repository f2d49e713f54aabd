/*
 * loopback — a listening TCP socket on 127.0.0.1 with a port the kernel picks, for tests that
 * stand in for a server (an apiserver that misbehaves) without leaving loopback.
 */
#ifndef VIPD_TEST_LOOPBACK_H
#define VIPD_TEST_LOOPBACK_H

/* Returns the listening fd (its port in *port) or -errno. */
int loopback_listen(int backlog, int *port);

#endif
