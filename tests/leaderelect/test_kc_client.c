/*
 * test_kc_client.c — the client against a one-shot local HTTP server: a reply over the body
 * cap fails cleanly (one error naming the cap), one under it is parsed.
 */
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loopback.h"
#include "kc_client.h"

struct server {
	int fd;
	int port;
	size_t body_len; /* a JSON object of about this size */
	pthread_t th;
};

static void send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

static void *serve(void *arg)
{
	struct server *s = arg;
	int c = accept(s->fd, NULL, NULL);
	if (c < 0)
		return NULL;
	char req[4096];
	size_t got = 0;
	while (got < sizeof(req) - 1) {
		ssize_t r = recv(c, req + got, sizeof(req) - 1 - got, 0);
		if (r <= 0)
			break;
		got += (size_t)r;
		req[got] = '\0';
		if (strstr(req, "\r\n\r\n"))
			break;
	}
	char *body = malloc(s->body_len + 1);
	memset(body, 'x', s->body_len);
	memcpy(body, "{\"a\":\"", 6);
	memcpy(body + s->body_len - 2, "\"}", 2);
	char head[256];
	int hn = snprintf(head, sizeof(head),
			  "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
			  "Content-Length: %zu\r\nConnection: close\r\n\r\n",
			  s->body_len);
	send_all(c, head, (size_t)hn);
	send_all(c, body, s->body_len);
	free(body);
	close(c);
	return NULL;
}

static void server_start(struct server *s, size_t body_len)
{
	s->body_len = body_len;
	s->fd = loopback_listen(4, &s->port);
	cr_assert_geq(s->fd, 0, "loopback_listen: %s", strerror(-s->fd));
	pthread_create(&s->th, NULL, serve, s);
}

struct outcome {
	bool done;
	enum kc_err_kind kind;
	char message[256];
	bool has_body;
};

static void on_done(void *arg, const struct kc_result *res)
{
	struct outcome *o = arg;
	o->done = true;
	o->kind = res->err.kind;
	snprintf(o->message, sizeof(o->message), "%s", res->err.message);
	o->has_body = res->body != NULL;
}

static struct outcome get_once(size_t body_len)
{
	struct server s;
	server_start(&s, body_len);
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", s.port);
	struct kc_config cfg = {.server = url, .source = "test"};
	struct kc_client_opts opts = {.cfg = &cfg};
	struct kc_client *kc;
	char why[256];
	cr_assert_eq(kc_client_new(&opts, &kc, why, sizeof(why)), 0, "%s", why);
	struct outcome o = {0};
	struct kc_request req = {
	    .method = "GET", .path = "/x", .timeout_ms = 20000, .done = on_done, .arg = &o};
	cr_assert_eq(kc_call_start(kc, &req, NULL), 0);
	while (!o.done) {
		struct pollfd fds[8];
		size_t n = kc_client_pollfds(kc, fds, 8);
		int to = kc_client_timeout_ms(kc);
		int r = poll(fds, n, to < 0 || to > 100 ? 100 : to);
		for (size_t i = 0; r > 0 && i < n; i++)
			if (fds[i].revents)
				kc_client_on_fd(kc, fds[i].fd, fds[i].revents);
		kc_client_on_timeout(kc);
	}
	kc_client_free(kc);
	pthread_join(s.th, NULL);
	close(s.fd);
	return o;
}

Test(kc_client, a_reply_over_the_cap_fails_cleanly)
{
	struct outcome o = get_once((4u << 20) + 1);
	cr_assert_eq(o.kind, KC_ERR_BAD_RESPONSE, "kind %d: %s", o.kind, o.message);
	cr_assert_str_eq(o.message, "reply larger than 4194304 bytes");
	cr_assert_not(o.has_body);
}

Test(kc_client, a_reply_under_the_cap_is_parsed)
{
	struct outcome o = get_once(3u << 20);
	cr_assert_eq(o.kind, KC_OK, "kind %d: %s", o.kind, o.message);
	cr_assert(o.has_body);
}
