/*
 * test_http_endpoint.c — the HTTP endpoint driven the way the daemon drives it: one poll() on
 * http_endpoint_fd() with http_endpoint_timeout_ms(), http_endpoint_run() when it fires, while a
 * non-blocking client socket in the same process talks to it over loopback. Checks status lines,
 * headers and bodies (200, 503, 404, 405, 500, HEAD, a 1 MiB body), that an idle client holds
 * nothing up, and the one-line errors for a bad listen spec and a port already taken.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "http_endpoint.h"

#define BIG_LEN	    (1024 * 1024)
#define DEADLINE_MS 5000

struct server_ctx {
	unsigned calls;
};

static char *dup_text(const char *s, size_t *len)
{
	*len = strlen(s);
	return strdup(s);
}

static char *big_body(size_t *len)
{
	char *b = malloc(BIG_LEN);
	for (size_t i = 0; i < BIG_LEN; i++)
		b[i] = (char)('a' + i % 26);
	*len = BIG_LEN;
	return b;
}

static int handler(void *arg, const char *path, struct http_reply *r)
{
	struct server_ctx *ctx = arg;
	ctx->calls++;
	r->status = 200;
	r->content_type = "text/plain; version=0.0.4; charset=utf-8";
	if (!strcmp(path, "/metrics")) {
		r->body = dup_text("up 1\n", &r->len);
	} else if (!strcmp(path, "/readyz")) {
		r->status = 503;
		r->body = dup_text("not ready: not leading\n", &r->len);
	} else if (!strcmp(path, "/big")) {
		r->body = big_body(&r->len);
	} else if (!strcmp(path, "/empty")) {
		r->content_type = NULL;
	} else if (!strcmp(path, "/fail")) {
		r->body = dup_text("half-built", &r->len); /* the endpoint frees it */
		return -EIO;
	} else {
		r->status = 404;
		r->body = dup_text("not found\n", &r->len);
	}
	return 0;
}

/* ---- A non-blocking client ---- */

struct client {
	int fd;
	const char *req;
	size_t req_len, sent;
	char *resp;
	size_t len, cap;
	bool done;
};

static int client_connect(int family, uint16_t port)
{
	int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	cr_assert_geq(fd, 0, "socket: %s", strerror(errno));
	int rc;
	if (family == AF_INET6) {
		struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
		a.sin6_addr = in6addr_loopback;
		rc = connect(fd, (struct sockaddr *)&a, sizeof(a));
	} else {
		struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		rc = connect(fd, (struct sockaddr *)&a, sizeof(a));
	}
	cr_assert(rc == 0 || errno == EINPROGRESS, "connect: %s", strerror(errno));
	return fd;
}

static void client_send(struct client *c)
{
	ssize_t n = send(c->fd, c->req + c->sent, c->req_len - c->sent, MSG_NOSIGNAL);
	if (n > 0)
		c->sent += (size_t)n;
	else
		cr_assert(n < 0 && (errno == EAGAIN || errno == ENOTCONN), "send: %s",
			  strerror(errno));
}

static void client_recv(struct client *c)
{
	if (c->cap - c->len < 65536) {
		c->cap = c->cap * 2 + 65536;
		c->resp = realloc(c->resp, c->cap + 1);
	}
	ssize_t n = recv(c->fd, c->resp + c->len, c->cap - c->len, 0);
	if (n > 0)
		c->len += (size_t)n;
	else if (n == 0 || errno == ECONNRESET)
		c->done = true;
	else
		cr_assert(errno == EAGAIN, "recv: %s", strerror(errno));
	c->resp[c->len] = '\0';
}

/* One turn of the daemon's loop: wait on the endpoint's fd (and the client's) no longer than
 * the endpoint's timeout; run the endpoint when its fd is readable or the timeout passed. */
static void loop_turn(struct http_endpoint *h, struct client *c, int64_t deadline)
{
	int64_t left = deadline - clock_boot_ms(), t = http_endpoint_timeout_ms(h);
	cr_assert_gt(left, 0, "no reply within %d ms; got so far:\n%.*s", DEADLINE_MS, (int)c->len,
		     c->resp ? c->resp : "");
	int wait = (int)(t >= 0 && t < left ? t : left);
	struct pollfd p[2] = {{.fd = http_endpoint_fd(h), .events = POLLIN}, {.fd = -1}};
	if (!c->done) {
		p[1].fd = c->fd;
		p[1].events = POLLIN | (c->sent < c->req_len ? POLLOUT : 0);
	}
	int rc = poll(p, 2, wait);
	cr_assert_geq(rc, 0, "poll: %s", strerror(errno));
	if (rc == 0 || (p[0].revents & POLLIN))
		http_endpoint_run(h);
	if (p[1].revents & POLLOUT)
		client_send(c);
	if (p[1].revents & (POLLIN | POLLHUP | POLLERR))
		client_recv(c);
}

/* Drives the endpoint alone for `ms` milliseconds. */
static void settle(struct http_endpoint *h, int ms)
{
	int64_t end = clock_boot_ms() + ms;
	for (int64_t left; (left = end - clock_boot_ms()) > 0;) {
		int64_t t = http_endpoint_timeout_ms(h);
		struct pollfd p = {.fd = http_endpoint_fd(h), .events = POLLIN};
		int rc = poll(&p, 1, (int)(t >= 0 && t < left ? t : left));
		cr_assert_geq(rc, 0, "poll: %s", strerror(errno));
		http_endpoint_run(h);
	}
}

/* Sends `req` and returns the whole response (the server closes: Connection: close). */
static char *exchange(struct http_endpoint *h, int family, const char *req, size_t *len)
{
	struct client c = {.req = req, .req_len = strlen(req)};
	c.fd = client_connect(family, http_endpoint_port(h));
	int64_t deadline = clock_boot_ms() + DEADLINE_MS;
	while (!c.done)
		loop_turn(h, &c, deadline);
	close(c.fd);
	*len = c.len;
	return c.resp;
}

static char *get(struct http_endpoint *h, const char *method, const char *path, size_t *len)
{
	char req[512];
	snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
		 method, path);
	return exchange(h, AF_INET, req, len);
}

static const char *body_of(const char *resp)
{
	const char *b = strstr(resp, "\r\n\r\n");
	cr_assert_not_null(b, "no end of headers in:\n%s", resp);
	return b + 4;
}

static bool has_header(const char *resp, const char *line)
{
	char want[256];
	snprintf(want, sizeof(want), "\r\n%s\r\n", line);
	const char *end = strstr(resp, "\r\n\r\n");
	const char *at = strcasestr(resp, want);
	return at && end && at <= end;
}

static struct http_endpoint *start(const char *spec, struct server_ctx *ctx)
{
	struct http_endpoint *h = NULL;
	char why[256] = "";
	int rc = http_endpoint_start(spec, handler, ctx, &h, why, sizeof(why));
	cr_assert_eq(rc, 0, "http_endpoint_start(%s): %d %s", spec, rc, why);
	cr_assert_not_null(h);
	cr_assert_neq(http_endpoint_port(h), 0, "port 0 reports the port really bound");
	cr_assert_geq(http_endpoint_fd(h), 0);
	return h;
}

/* ---- Replies ---- */

Test(http_endpoint, get_metrics_is_200_with_the_handlers_body)
{
	struct server_ctx ctx = {0};
	struct http_endpoint *h = start("127.0.0.1:0", &ctx);
	size_t len;
	char *resp = get(h, "GET", "/metrics", &len);
	cr_expect(!strncmp(resp, "HTTP/1.1 200 OK\r\n", 17), "got:\n%s", resp);
	cr_expect(has_header(resp, "Content-Type: text/plain; version=0.0.4; charset=utf-8"),
		  "got:\n%s", resp);
	cr_expect(has_header(resp, "Content-Length: 5"), "got:\n%s", resp);
	cr_expect_str_eq(body_of(resp), "up 1\n");
	cr_expect_eq(ctx.calls, 1);
	free(resp);
	http_endpoint_stop(h);
}

Test(http_endpoint, head_has_headers_and_no_body)
{
	struct server_ctx ctx = {0};
	struct http_endpoint *h = start("127.0.0.1:0", &ctx);
	size_t len;
	char *resp = get(h, "HEAD", "/metrics", &len);
	cr_expect(!strncmp(resp, "HTTP/1.1 200 OK\r\n", 17), "got:\n%s", resp);
	cr_expect(has_header(resp, "Content-Length: 5"), "got:\n%s", resp);
	cr_expect_str_empty(body_of(resp));
	free(resp);
	http_endpoint_stop(h);
}

Test(http_endpoint, readyz_not_ready_is_503)
{
	struct server_ctx ctx = {0};
	struct http_endpoint *h = start("127.0.0.1:0", &ctx);
	size_t len;
	char *resp = get(h, "GET", "/readyz", &len);
	cr_expect(!strncmp(resp, "HTTP/1.1 503 Service Unavailable\r\n", 34), "got:\n%s", resp);
	cr_expect_str_eq(body_of(resp), "not ready: not leading\n");
	free(resp);
	http_endpoint_stop(h);
}

Test(http_endpoint, unknown_path_is_the_handlers_404)
{
	struct server_ctx ctx = {0};
	struct http_endpoint *h = start("127.0.0.1:0", &ctx);
	size_t len;
	char *resp = get(h, "GET", "/nope?x=1", &len);
	cr_expect(!strncmp(resp, "HTTP/1.1 404 Not Found\r\n", 24), "got:\n%s", resp);
	cr_expect_str_eq(body_of(resp), "not found\n");
	free(resp);
	http_endpoint_stop(h);
}

Test(http_endpoint, post_is_405_without_asking_the_handler)
{
	struct server_ctx ctx = {0};
	struct http_endpoint *h = start("127.0.0.1:0", &ctx);
	size_t len;
	char *resp = exchange(h, AF_INET,
			      "POST /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
			      "Content-Type: application/x-www-form-urlencoded\r\n"
			      "Content-Length: 7\r\n\r\nx=1&y=2",
			      &len);
	cr_expect(!strncmp(resp, "HTTP/1.1 405 Method Not Allowed\r\n", 33), "got:\n%s", resp);
	cr_expect(has_header(resp, "Allow: GET, HEAD"), "got:\n%s", resp);
	cr_expect_eq(ctx.calls, 0);
	free(resp);
	resp = get(h, "DELETE", "/metrics", &len);
	cr_expect(!strncmp(resp, "HTTP/1.1 405 ", 13), "got:\n%s", resp);
	free(resp);
	http_endpoint_stop(h);
}

Test(http_endpoint, handler_error_is_500)
{
	struct server_ctx ctx = {0};
	struct http_endpoint *h = start("127.0.0.1:0", &ctx);
	size_t len;
	char *resp = get(h, "GET", "/fail", &len);
	cr_expect(!strncmp(resp, "HTTP/1.1 500 Internal Server Error\r\n", 36), "got:\n%s", resp);
	free(resp);
	http_endpoint_stop(h);
}

Test(http_endpoint, empty_body_gets_a_default_content_type)
{
	struct server_ctx ctx = {0};
	struct http_endpoint *h = start("127.0.0.1:0", &ctx);
	size_t len;
	char *resp = get(h, "GET", "/empty", &len);
	cr_expect(!strncmp(resp, "HTTP/1.1 200 OK\r\n", 17), "got:\n%s", resp);
	cr_expect(has_header(resp, "Content-Type: text/plain; charset=utf-8"), "got:\n%s", resp);
	cr_expect(has_header(resp, "Content-Length: 0"), "got:\n%s", resp);
	cr_expect_str_empty(body_of(resp));
	free(resp);
	http_endpoint_stop(h);
}

Test(http_endpoint, a_1mib_body_arrives_whole)
{
	struct server_ctx ctx = {0};
	struct http_endpoint *h = start("127.0.0.1:0", &ctx);
	size_t len;
	char *resp = get(h, "GET", "/big", &len);
	const char *body = body_of(resp);
	size_t body_len = len - (size_t)(body - resp);
	cr_assert_eq(body_len, BIG_LEN);
	size_t want_len;
	char *want = big_body(&want_len);
	cr_expect(!memcmp(body, want, BIG_LEN), "the body differs");
	free(want);
	free(resp);
	http_endpoint_stop(h);
}

Test(http_endpoint, ipv6_loopback_serves)
{
	struct server_ctx ctx = {0};
	struct http_endpoint *h = start("[::1]:0", &ctx);
	size_t len;
	char *resp = exchange(
	    h, AF_INET6, "GET /metrics HTTP/1.1\r\nHost: [::1]\r\nConnection: close\r\n\r\n", &len);
	cr_expect(!strncmp(resp, "HTTP/1.1 200 OK\r\n", 17), "got:\n%s", resp);
	cr_expect_str_eq(body_of(resp), "up 1\n");
	free(resp);
	http_endpoint_stop(h);
}

/* ---- Never blocking, never held up ---- */

Test(http_endpoint, idle_endpoint_has_no_timeout_and_run_returns_at_once)
{
	struct server_ctx ctx = {0};
	struct http_endpoint *h = start("127.0.0.1:0", &ctx);
	cr_expect_eq(http_endpoint_timeout_ms(h), -1);
	int64_t t0 = clock_boot_ms();
	for (int i = 0; i < 100; i++)
		http_endpoint_run(h);
	cr_expect_lt(clock_boot_ms() - t0, 100, "100 idle runs took %lld ms",
		     (long long)(clock_boot_ms() - t0));
	http_endpoint_stop(h);
}

Test(http_endpoint, an_idle_client_holds_nothing_up)
{
	struct server_ctx ctx = {0};
	struct http_endpoint *h = start("127.0.0.1:0", &ctx);
	int idle[3];
	for (int i = 0; i < 3; i++)
		idle[i] = client_connect(AF_INET, http_endpoint_port(h));
	struct client partial = {.req = "GET /metr", .req_len = 9};
	partial.fd = client_connect(AF_INET, http_endpoint_port(h));
	int64_t deadline = clock_boot_ms() + DEADLINE_MS;
	while (partial.sent < partial.req_len)
		loop_turn(h, &partial, deadline);
	settle(h, 200);
	int64_t t = http_endpoint_timeout_ms(h);
	cr_expect(t > 0 && t <= 60 * 1000, "open connections carry a timeout, got %lld",
		  (long long)t);
	size_t len;
	char *resp = get(h, "GET", "/metrics", &len);
	cr_expect(!strncmp(resp, "HTTP/1.1 200 OK\r\n", 17), "got:\n%s", resp);
	free(resp);
	for (int i = 0; i < 3; i++)
		close(idle[i]);
	close(partial.fd);
	http_endpoint_stop(h);
}

/* ---- Errors ---- */

struct bad_spec {
	const char *spec, *why;
};

Test(http_endpoint, bad_listen_specs_are_named_in_one_line)
{
	static const struct bad_spec cases[] = {
	    {"foo", "prometheus_server \"foo\": expected [HOST]:PORT"},
	    {"", "prometheus_server \"\": expected [HOST]:PORT"},
	    {"2112", "prometheus_server \"2112\": expected [HOST]:PORT"},
	    {"[::1]2112", "prometheus_server \"[::1]2112\": expected [HOST]:PORT"},
	    {"[::1", "prometheus_server \"[::1\": expected [HOST]:PORT"},
	    {":", "prometheus_server \":\": PORT must be a number from 0 to 65535"},
	    {":65536", "prometheus_server \":65536\": PORT must be a number from 0 to 65535"},
	    {":21a2", "prometheus_server \":21a2\": PORT must be a number from 0 to 65535"},
	    {":-1", "prometheus_server \":-1\": PORT must be a number from 0 to 65535"},
	    {"localhost:2112", "prometheus_server \"localhost:2112\": HOST must be"},
	    {"::1:2112", "prometheus_server \"::1:2112\": HOST must be"},
	    {"1.2.3:2112", "prometheus_server \"1.2.3:2112\": HOST must be"},
	    {"[1.2.3.4]:2112", "prometheus_server \"[1.2.3.4]:2112\": HOST must be"},
	    {"a\nb:1", "prometheus_server \"a?b:1\": HOST must be"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct server_ctx ctx = {0};
		struct http_endpoint *h = (void *)1;
		char why[256] = "";
		int rc = http_endpoint_start(cases[i].spec, handler, &ctx, &h, why, sizeof(why));
		cr_expect_eq(rc, -EINVAL, "%s: rc %d", cases[i].spec, rc);
		cr_expect_null(h);
		cr_expect(!strncmp(why, cases[i].why, strlen(cases[i].why)), "%s: why = %s",
			  cases[i].spec, why);
		cr_expect(!strchr(why, '\n'), "one line: %s", why);
	}
}

Test(http_endpoint, a_taken_port_is_refused_naming_the_address)
{
	struct server_ctx ctx = {0};
	struct http_endpoint *a = start("127.0.0.1:0", &ctx), *b = NULL;
	char spec[64], why[256] = "", want[256];
	unsigned port = http_endpoint_port(a);
	snprintf(spec, sizeof(spec), "127.0.0.1:%u", port);
	int rc = http_endpoint_start(spec, handler, &ctx, &b, why, sizeof(why));
	cr_expect_eq(rc, -EADDRINUSE, "rc %d: %s", rc, why);
	cr_expect_null(b);
	snprintf(want, sizeof(want),
		 "prometheus_server \"127.0.0.1:%u\": cannot listen on 127.0.0.1:%u: "
		 "Address already in use",
		 port, port);
	cr_expect_str_eq(why, want);
	http_endpoint_stop(a);
}

Test(http_endpoint, stop_accepts_null)
{
	http_endpoint_stop(NULL);
}
