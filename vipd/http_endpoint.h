/*
 * http_endpoint — the daemon's small HTTP server (libmicrohttpd, no thread of its own): serves
 * /metrics, /healthz, /readyz, /livez and /status on `prometheus_server` (":2112",
 * "127.0.0.1:2112", "[::1]:2112"), driven by the daemon's loop through one epoll fd and a
 * timeout.
 *
 * What each path answers comes from the daemon through a callback, so this module knows
 * nothing of leadership or health: it only speaks HTTP.
 *
 * Owns: the listening socket and libmicrohttpd. Must not touch: the daemon's state.
 * The calls that matter: http_endpoint_start(), http_endpoint_run().
 */
#ifndef VIPD_HTTP_ENDPOINT_H
#define VIPD_HTTP_ENDPOINT_H

#include <stddef.h>
#include <stdint.h>

struct http_endpoint;

/* A reply built by the daemon: `body` is malloc'd and taken over by the endpoint. */
struct http_reply {
	unsigned status; /* 200, 404, 503, ... */
	const char *content_type;
	char *body;
	size_t len;
};

/* Called for every GET/HEAD (other methods get 405). Fill `reply`; return 0, or -errno for a
 * 500. */
typedef int (*http_handler_fn)(void *arg, const char *path, struct http_reply *reply);

/* Parses `listen` (":2112", "0.0.0.0:2112", "127.0.0.1:0", "[::]:2112", "[::1]:2112") and starts
 * listening. Port 0 picks a free port (see http_endpoint_port()). Returns 0 or -errno with one
 * line in `why` naming the address. */
int http_endpoint_start(const char *listen, http_handler_fn fn, void *arg,
			struct http_endpoint **out, char *why, size_t why_len);
void http_endpoint_stop(struct http_endpoint *h);

/* The fd to watch for input (libmicrohttpd's epoll fd). */
int http_endpoint_fd(const struct http_endpoint *h);
/* Milliseconds until http_endpoint_run() must be called even without input, -1 = none. */
int64_t http_endpoint_timeout_ms(struct http_endpoint *h);
/* Serves whatever is ready. Never blocks. */
void http_endpoint_run(struct http_endpoint *h);
/* The port actually bound. */
uint16_t http_endpoint_port(const struct http_endpoint *h);

#endif
