/*
 * http_endpoint.c — the daemon's HTTP server on libmicrohttpd in "external epoll" mode: no thread
 * of its own, one epoll fd and a timeout handed to the daemon's loop, so a scrape never races the
 * daemon's state. We parse `prometheus_server` ourselves (kube-vip's ":2112" form included) to
 * give one-line errors that name the address; a slow or idle client is cut off by a connection
 * timeout and cannot take more than its share of a small connection limit.
 */
#include "http_endpoint.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define HTTP_CONNECTION_TIMEOUT_S 10
#define HTTP_CONNECTION_LIMIT	  16
#define HTTP_PER_IP_LIMIT	  8
#define SPEC_SHOWN_MAX		  80

struct http_endpoint {
	struct MHD_Daemon *daemon;
	http_handler_fn fn;
	void *arg;
	int fd;
	uint16_t port;
};

union listen_addr {
	struct sockaddr sa;
	struct sockaddr_in v4;
	struct sockaddr_in6 v6;
};

/* ---- The listen spec: [HOST]:PORT ---- */

/* `spec` fit for a one-line message: at most SPEC_SHOWN_MAX bytes, control bytes as '?'. */
static void shown_spec(char *dst, size_t size, const char *spec)
{
	size_t n = 0;
	for (; spec[n] && n < SPEC_SHOWN_MAX && n + 1 < size; n++)
		dst[n] = isprint((unsigned char)spec[n]) ? spec[n] : '?';
	dst[n] = '\0';
}

static int spec_error(const char *spec, const char *what, char *why, size_t why_len)
{
	char shown[SPEC_SHOWN_MAX + 1];
	shown_spec(shown, sizeof(shown), spec);
	snprintf(why, why_len, "prometheus_server \"%s\": %s", shown, what);
	return -EINVAL;
}

/* Decimal 0..65535, digits only. */
static int parse_port(const char *s, uint16_t *port)
{
	unsigned long v = 0;
	if (!*s || strlen(s) > 5)
		return -EINVAL;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

/* "[v6]:port": `spec` starts with '['. Sets *port_at to the port text. */
static int parse_bracketed(const char *spec, union listen_addr *a, const char **port_at)
{
	const char *close = strchr(spec, ']');
	char host[INET6_ADDRSTRLEN];
	size_t n = close ? (size_t)(close - spec - 1) : 0;
	if (!close || close[1] != ':' || n == 0 || n >= sizeof(host))
		return -EINVAL;
	memcpy(host, spec + 1, n);
	host[n] = '\0';
	a->v6.sin6_family = AF_INET6;
	if (inet_pton(AF_INET6, host, &a->v6.sin6_addr) != 1)
		return -EADDRNOTAVAIL;
	*port_at = close + 2;
	return 0;
}

/* "v4:port" or ":port" (every IPv4 address). */
static int parse_plain(const char *spec, union listen_addr *a, const char **port_at)
{
	const char *colon = strrchr(spec, ':');
	char host[INET_ADDRSTRLEN];
	size_t n = colon ? (size_t)(colon - spec) : 0;
	if (!colon)
		return -EINVAL;
	a->v4.sin_family = AF_INET;
	a->v4.sin_addr.s_addr = htonl(INADDR_ANY);
	*port_at = colon + 1;
	if (n == 0)
		return 0;
	if (n >= sizeof(host))
		return -EADDRNOTAVAIL;
	memcpy(host, spec, n);
	host[n] = '\0';
	return inet_pton(AF_INET, host, &a->v4.sin_addr) == 1 ? 0 : -EADDRNOTAVAIL;
}

static int parse_listen(const char *spec, union listen_addr *a, char *why, size_t why_len)
{
	const char *port_at = NULL;
	uint16_t port;
	memset(a, 0, sizeof(*a));
	int rc =
	    spec[0] == '[' ? parse_bracketed(spec, a, &port_at) : parse_plain(spec, a, &port_at);
	if (rc == -EADDRNOTAVAIL)
		return spec_error(spec,
				  "HOST must be an IPv4 address, or an IPv6 address in brackets "
				  "(\":2112\", \"127.0.0.1:2112\", \"[::1]:2112\")",
				  why, why_len);
	if (rc < 0)
		return spec_error(spec, "expected [HOST]:PORT", why, why_len);
	if (parse_port(port_at, &port) < 0)
		return spec_error(spec, "PORT must be a number from 0 to 65535", why, why_len);
	if (a->sa.sa_family == AF_INET6)
		a->v6.sin6_port = htons(port);
	else
		a->v4.sin_port = htons(port);
	return 0;
}

/* "127.0.0.1:2112" or "[::1]:2112". */
static void format_addr(const union listen_addr *a, char *buf, size_t size)
{
	char host[INET6_ADDRSTRLEN] = "?";
	if (a->sa.sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &a->v6.sin6_addr, host, sizeof(host));
		snprintf(buf, size, "[%s]:%u", host, ntohs(a->v6.sin6_port));
		return;
	}
	inet_ntop(AF_INET, &a->v4.sin_addr, host, sizeof(host));
	snprintf(buf, size, "%s:%u", host, ntohs(a->v4.sin_port));
}

/* ---- Requests ---- */

static bool is_allowed_method(const char *method)
{
	return !strcmp(method, MHD_HTTP_METHOD_GET) || !strcmp(method, MHD_HTTP_METHOD_HEAD);
}

/* Queues a fixed text reply (405, 500). */
static enum MHD_Result queue_text(struct MHD_Connection *c, unsigned status, const char *text,
				  bool add_allow)
{
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	if (add_allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	enum MHD_Result ok = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ok;
}

/* Turns the handler's reply into a response; takes over reply->body either way. */
static struct MHD_Response *reply_response(struct http_reply *reply)
{
	struct MHD_Response *r;
	if (!reply->body || reply->len == 0) {
		free(reply->body);
		r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	} else {
		r = MHD_create_response_from_buffer(reply->len, reply->body, MHD_RESPMEM_MUST_FREE);
		if (!r)
			free(reply->body);
	}
	reply->body = NULL;
	if (r)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
					reply->content_type ? reply->content_type
							    : "text/plain; charset=utf-8");
	return r;
}

static enum MHD_Result serve(struct http_endpoint *h, struct MHD_Connection *c, const char *url)
{
	struct http_reply reply = {0};
	int rc = h->fn(h->arg, url, &reply);
	if (rc < 0 || reply.status < 200 || reply.status > 599) {
		free(reply.body);
		return queue_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal error\n", false);
	}
	struct MHD_Response *r = reply_response(&reply);
	if (!r)
		return MHD_NO;
	enum MHD_Result ok = MHD_queue_response(c, reply.status, r);
	MHD_destroy_response(r);
	return ok;
}

/* libmicrohttpd's access handler: called once the request's headers are in. The answer never
 * depends on a body, so we reply at once (a body sent with a 405'd request is discarded). */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **req_ctx)
{
	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)req_ctx;
	if (!is_allowed_method(method))
		return queue_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n", true);
	return serve(cls, c, url);
}

/* ---- Lifecycle ---- */

static struct MHD_Daemon *start_daemon(struct http_endpoint *h, const union listen_addr *a)
{
	unsigned flags = MHD_USE_EPOLL;
	uint16_t port = ntohs(a->v4.sin_port);
	if (a->sa.sa_family == AF_INET6) {
		flags |= MHD_USE_DUAL_STACK; /* "[::]:2112" also answers IPv4, as Go does */
		port = ntohs(a->v6.sin6_port);
	}
	return MHD_start_daemon(flags, port, NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR,
				&a->sa, MHD_OPTION_CONNECTION_TIMEOUT,
				(unsigned)HTTP_CONNECTION_TIMEOUT_S, MHD_OPTION_CONNECTION_LIMIT,
				(unsigned)HTTP_CONNECTION_LIMIT, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
				(unsigned)HTTP_PER_IP_LIMIT, MHD_OPTION_END);
}

/* The epoll fd and bound port, once the daemon runs. */
static int read_daemon_info(struct http_endpoint *h)
{
	const union MHD_DaemonInfo *fd = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_EPOLL_FD);
	const union MHD_DaemonInfo *port =
	    MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
	if (!fd || fd->epoll_fd < 0 || !port || port->port == 0)
		return -EIO;
	h->fd = fd->epoll_fd;
	h->port = port->port;
	return 0;
}

static int listen_error(const char *spec, const union listen_addr *a, int err, char *why,
			size_t why_len)
{
	char shown[SPEC_SHOWN_MAX + 1], addr[INET6_ADDRSTRLEN + 16];
	shown_spec(shown, sizeof(shown), spec);
	format_addr(a, addr, sizeof(addr));
	snprintf(why, why_len, "prometheus_server \"%s\": cannot listen on %s: %s", shown, addr,
		 err ? strerror(err) : "libmicrohttpd refused to start");
	return err ? -err : -EIO;
}

int http_endpoint_start(const char *listen, http_handler_fn fn, void *arg,
			struct http_endpoint **out, char *why, size_t why_len)
{
	union listen_addr a;
	*out = NULL;
	int rc = parse_listen(listen, &a, why, why_len);
	if (rc < 0)
		return rc;
	struct http_endpoint *h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->fn = fn;
	h->arg = arg;
	errno = 0;
	h->daemon = start_daemon(h, &a);
	if (!h->daemon) {
		int err = errno; /* bind's, when that is what failed */
		free(h);
		return listen_error(listen, &a, err, why, why_len);
	}
	rc = read_daemon_info(h);
	if (rc < 0) {
		http_endpoint_stop(h);
		return listen_error(listen, &a, 0, why, why_len);
	}
	*out = h;
	return 0;
}

void http_endpoint_stop(struct http_endpoint *h)
{
	if (!h)
		return;
	if (h->daemon)
		MHD_stop_daemon(h->daemon);
	free(h);
}

int http_endpoint_fd(const struct http_endpoint *h)
{
	return h->fd;
}

int64_t http_endpoint_timeout_ms(struct http_endpoint *h)
{
	MHD_UNSIGNED_LONG_LONG ms;
	if (MHD_get_timeout(h->daemon, &ms) != MHD_YES)
		return -1;
	return ms > (MHD_UNSIGNED_LONG_LONG)INT64_MAX ? INT64_MAX : (int64_t)ms;
}

void http_endpoint_run(struct http_endpoint *h)
{
	MHD_run(h->daemon);
}

uint16_t http_endpoint_port(const struct http_endpoint *h)
{
	return h->port;
}
