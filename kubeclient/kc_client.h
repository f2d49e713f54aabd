/*
 * kc_client — a non-blocking Kubernetes API client on libcurl's multi-socket API, driven by
 * the caller's event loop: it never blocks, never sleeps and starts no thread of its own.
 *
 *   loop:  poll/epoll the fds kc_client_pollfds() lists (or that `on_fd` announces),
 *          with kc_client_timeout_ms() as the timeout;
 *          kc_client_on_fd() for each ready fd, kc_client_on_timeout() when the time is up.
 *
 * One connection is reused for everything: HTTP/2 when the server offers it over TLS (ALPN),
 * with multiplexing (CURLPIPE_MULTIPLEX + PIPEWAIT), so a watch and the renewals share it, as
 * client-go's do. TLS is verified unless the kubeconfig says insecure-skip-tls-verify. Every
 * call has a timeout. After a call times out the next one opens a fresh connection, so a
 * connection that died silently is not reused.
 *
 * Results are parsed JSON or a typed kc_error (HTTP code + Status reason).
 *
 * Host names are resolved by libcurl; Debian's libcurl resolves in a helper thread of its own.
 * Use an IP address in the server URL (kubeadm and minikube do) to avoid any resolver.
 *
 * Owns: the curl multi handle, its connections, request bookkeeping and small timers for its
 * users (watch back-off). Must not touch: the caller's loop or any other fd.
 */
#ifndef VIPD_KC_CLIENT_H
#define VIPD_KC_CLIENT_H

#include <jansson.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kc_config.h"
#include "kc_error.h"

struct kc_client;
struct kc_call;

enum kc_log_level { KC_LOG_DEBUG, KC_LOG_INFO, KC_LOG_WARN, KC_LOG_ERROR };
/* One structured event: `msg` plus a "key=value key=value" string (may be ""). */
typedef void (*kc_log_fn)(void *arg, enum kc_log_level level, const char *msg, const char *kv);

/* The fd wants `events` (POLLIN|POLLOUT), or 0: forget it. */
typedef void (*kc_fd_fn)(void *arg, int fd, short events);

struct kc_client_opts {
	const struct kc_config *cfg; /* borrowed; must outlive the client */
	kc_log_fn log;		     /* may be NULL */
	void *log_arg;
	kc_fd_fn on_fd; /* may be NULL: then use kc_client_pollfds() */
	void *loop_arg;
	long connect_timeout_ms; /* 0: 5000 */
	const char *user_agent;	 /* NULL: "vipd" */
	/* For the etcd gateway, which is not Kubernetes: no bearer token, no Accept header. */
	bool plain_http_json;
};

struct kc_result {
	struct kc_error err; /* kind KC_OK for a 2xx */
	long code;
	json_t *body; /* parsed 2xx body (borrowed during the callback), NULL if empty/stream */
	const char *raw;
	size_t raw_len;
};

typedef void (*kc_done_fn)(void *arg, const struct kc_result *res);
/* Streaming calls: body bytes of a 2xx reply as they come. Negative return aborts the call. */
typedef int (*kc_data_fn)(void *arg, const char *data, size_t len);
/* Streaming calls: the reply's headers arrived with a 2xx code (the stream is open). */
typedef void (*kc_open_fn)(void *arg);

struct kc_request {
	const char *method; /* "GET", "POST", "PUT", "PATCH", "DELETE" */
	const char *path;   /* "/apis/...?..." (already escaped) */
	const json_t *body; /* serialized at submission; may be NULL */
	bool patch;	    /* the body is a JSON merge patch (RFC 7386) */
	long timeout_ms;    /* required, > 0 */
	kc_done_fn done;    /* called exactly once unless the call is cancelled */
	kc_data_fn data;    /* non-NULL: streaming */
	kc_open_fn open;
	void *arg;
};

struct kc_stats {
	uint64_t requests; /* calls started */
	uint64_t failures; /* calls that ended with an error */
};

int kc_client_new(const struct kc_client_opts *opts, struct kc_client **out, char *why,
		  size_t why_len);
/* Cancels outstanding calls without calling their callbacks. */
void kc_client_free(struct kc_client *kc);

/* Points later calls at another server URL (etcd endpoint rotation). Calls under way keep
 * theirs. Not with tls-server-name. 0 or -errno. */
int kc_client_set_server(struct kc_client *kc, const char *url);

/* Uses `cfg` (borrowed, like the one given to kc_client_new) for every later call: another
 * server or other credentials (the daemon's super-admin.conf → admin.conf switch). Calls under
 * way finish with what they started with; the next call opens a fresh connection. 0 or -errno
 * with `why`. */
int kc_client_set_config(struct kc_client *kc, const struct kc_config *cfg, char *why,
			 size_t why_len);

/* Starts a call. `*call` (may be NULL) receives a handle for kc_call_cancel(). 0 or -errno. */
int kc_call_start(struct kc_client *kc, const struct kc_request *req, struct kc_call **call);
/* Cancels a call whose `done` has not run; `done` is not called. Not from inside a `data`
 * callback of that call (return a negative value there instead). */
void kc_call_cancel(struct kc_client *kc, struct kc_call *call);

/* Event loop interface. */
int kc_client_timeout_ms(struct kc_client *kc); /* -1: nothing scheduled */
void kc_client_on_fd(struct kc_client *kc, int fd, short revents);
void kc_client_on_timeout(struct kc_client *kc);
size_t kc_client_pollfds(const struct kc_client *kc, struct pollfd *fds, size_t max);

/* Small timers for the client's users, on the same loop. Times are clock_boot_ms()
 * (base/clock.h): the elector's clock, so a timer and the deadline it guards agree. */
struct kc_timer {
	int64_t at_ms;
	void (*fn)(void *arg);
	void *arg;
	struct kc_timer *next;
	bool armed;
};
void kc_timer_arm(struct kc_client *kc, struct kc_timer *t, int64_t delay_ms, void (*fn)(void *arg),
		  void *arg);
void kc_timer_disarm(struct kc_client *kc, struct kc_timer *t);

/* A uniformly distributed number in [0, n) for jitter (n > 0). */
uint32_t kc_client_rand(struct kc_client *kc, uint32_t n);
void kc_client_stats(const struct kc_client *kc, struct kc_stats *out);

/* Logs through the client's logger (used by the client's users: watch, elector). */
void kc_client_log(const struct kc_client *kc, enum kc_log_level level, const char *msg,
		   const char *kv_fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
