/*
 * test_kc_watch.c — kc_watch against loopback servers that misbehave (issue 17, defect 5): one
 * that accepts and drops, one that opens the watch (200) and drops it, one that ends it at
 * once, one that sends a bad event line. Each must see a request rate bounded by the back-off
 * schedule, not a hot loop. Also kc_backoff's schedule on a fake clock.
 */
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loopback.h"
#include "clock.h"
#include "kc_backoff.h"
#include "kc_client.h"
#include "kc_watch.h"

/* ---- kc_backoff on a fake clock ---- */

Test(kc_backoff, a_stream_that_opens_and_drops_does_not_reset_the_schedule)
{
	struct kc_backoff b;
	kc_backoff_init(&b, 100, 1000, 5000);
	int64_t now = 0, last = 0;
	for (int i = 0; i < 8; i++) {
		kc_backoff_opened(&b, now);
		cr_assert_not(kc_backoff_closed(&b, now + 10), "10 ms is not healthy");
		last = kc_backoff_delay(&b, 0); /* the shortest jitter */
		now += 10 + last;
	}
	cr_assert_eq(last, 500, "the delay grows to max/2 at the least, got %lld", (long long)last);
	kc_backoff_opened(&b, now);
	cr_assert(kc_backoff_closed(&b, now + 5000), "open for healthy_ms: healthy");
	cr_assert_eq(kc_backoff_delay(&b, 0), 50, "a healthy stream resets the schedule");
	cr_assert_not(kc_backoff_closed(&b, now + 99999), "closed twice without opening");
}

Test(kc_backoff, delays_are_jittered_within_half_to_whole)
{
	struct kc_backoff b;
	kc_backoff_init(&b, 100, 1000, 5000);
	cr_assert_eq(kc_backoff_delay(&b, 50), 100);
	cr_assert_eq(kc_backoff_delay(&b, 101), 100, "200: 100 + 101 %% 101");
	for (int i = 0; i < 10; i++) {
		int64_t d = kc_backoff_delay(&b, (uint32_t)(i * 7919));
		cr_assert(d >= 200 && d <= 1000, "%lld", (long long)d);
	}
}

/* ---- kc_watch against misbehaving servers ---- */

enum mode {
	ACCEPT_DROP,	/* every connection closed unanswered */
	OPEN_THEN_DROP, /* lists fine; a watch gets 200 headers, then the connection drops */
	OPEN_THEN_END,	/* lists fine; a watch ends cleanly at once (200, empty body) */
	BAD_EVENT,	/* lists fine; a watch sends one line that is not an event */
};

struct server {
	int fd, port;
	enum mode mode;
	atomic_int lists, watches;
	atomic_bool stop;
	pthread_t th;
};

static void send_str(int fd, const char *p)
{
	size_t n = strlen(p);
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

static void answer(struct server *s, int c)
{
	char req[4096];
	size_t got = 0;
	req[0] = '\0';
	while (got < sizeof(req) - 1 && !strstr(req, "\r\n\r\n")) {
		ssize_t r = recv(c, req + got, sizeof(req) - 1 - got, 0);
		if (r <= 0)
			return;
		got += (size_t)r;
		req[got] = '\0';
	}
	char *eol = strstr(req, "\r\n");
	if (eol)
		*eol = '\0';
	if (!strstr(req, "watch=1")) {
		atomic_fetch_add(&s->lists, 1);
		const char *body =
		    "{\"kind\":\"LeaseList\",\"metadata\":{\"resourceVersion\":\"5\"},"
		    "\"items\":[]}";
		char head[256];
		snprintf(head, sizeof(head),
			 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
			 strlen(body));
		send_str(c, head);
		send_str(c, body);
		return;
	}
	atomic_fetch_add(&s->watches, 1);
	switch (s->mode) {
	case OPEN_THEN_DROP:
		send_str(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
			    "Transfer-Encoding: chunked\r\n\r\n");
		break;
	case OPEN_THEN_END:
		send_str(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
			    "Content-Length: 0\r\nConnection: close\r\n\r\n");
		break;
	case BAD_EVENT:
		send_str(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
			    "Content-Length: 13\r\nConnection: close\r\n\r\n"
			    "not an event\n");
		break;
	case ACCEPT_DROP:
		break;
	}
}

static void *serve(void *arg)
{
	struct server *s = arg;
	while (!atomic_load(&s->stop)) {
		struct pollfd p = {.fd = s->fd, .events = POLLIN};
		if (poll(&p, 1, 50) <= 0)
			continue;
		int c = accept(s->fd, NULL, NULL);
		if (c < 0)
			continue;
		if (s->mode == ACCEPT_DROP)
			atomic_fetch_add(&s->lists, 1); /* every request is the first list */
		else
			answer(s, c);
		close(c);
	}
	return NULL;
}

static void server_start(struct server *s, enum mode mode)
{
	memset(s, 0, sizeof(*s));
	s->mode = mode;
	s->fd = loopback_listen(64, &s->port);
	cr_assert_geq(s->fd, 0, "loopback_listen: %s", strerror(-s->fd));
	pthread_create(&s->th, NULL, serve, s);
}

#define RUN_MS	    3000
#define BACKOFF_MIN 100
#define BACKOFF_MAX 800

/* The most attempts the schedule allows in `ms`: every delay at its shortest (half of the
 * bound), starting at once. */
static int schedule_bound(int64_t ms)
{
	int n = 1;
	for (int64_t b = BACKOFF_MIN, t = b / 2; t <= ms; n++) {
		b = b * 2 > BACKOFF_MAX ? BACKOFF_MAX : b * 2;
		t += b / 2;
	}
	return n;
}

/* Runs a watch against a server in `mode` for RUN_MS; returns the requests it made. */
static int requests_in_run(enum mode mode, int *lists, int *watches)
{
	struct server s;
	server_start(&s, mode);
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", s.port);
	struct kc_config cfg = {.server = url, .source = "test"};
	struct kc_client_opts opts = {.cfg = &cfg};
	struct kc_client *kc;
	char why[256];
	cr_assert_eq(kc_client_new(&opts, &kc, why, sizeof(why)), 0, "%s", why);
	struct kc_watch_opts wo = {.path = "/apis/coordination.k8s.io/v1/namespaces/x/leases",
				   .backoff_min_ms = BACKOFF_MIN,
				   .backoff_max_ms = BACKOFF_MAX};
	struct kc_watch *w;
	cr_assert_eq(kc_watch_start(kc, &wo, &w), 0);
	int64_t end = clock_boot_ms() + RUN_MS;
	while (clock_boot_ms() < end) {
		struct pollfd fds[8];
		size_t n = kc_client_pollfds(kc, fds, 8);
		int to = kc_client_timeout_ms(kc);
		int r = poll(fds, n, to < 0 || to > 50 ? 50 : to);
		for (size_t i = 0; r > 0 && i < n; i++)
			if (fds[i].revents)
				kc_client_on_fd(kc, fds[i].fd, fds[i].revents);
		kc_client_on_timeout(kc);
	}
	kc_watch_stop(w);
	kc_client_free(kc);
	atomic_store(&s.stop, true);
	pthread_join(s.th, NULL);
	close(s.fd);
	*lists = atomic_load(&s.lists);
	*watches = atomic_load(&s.watches);
	return *lists + *watches;
}

/* Every attempt is at most a list and a watch; a margin of 4 for the first list and timing. */
static void assert_bounded(enum mode mode, const char *what)
{
	int lists, watches;
	int n = requests_in_run(mode, &lists, &watches);
	int bound = 2 * schedule_bound(RUN_MS) + 4;
	cr_assert_leq(n, bound, "%s: %d requests (%d lists, %d watches) in %d ms; bound %d", what,
		      n, lists, watches, RUN_MS, bound);
	cr_assert_geq(n, 3, "%s: it must keep trying (%d requests)", what, n);
}

Test(kc_watch, a_server_that_accepts_and_drops_sees_a_bounded_rate, .timeout = 60)
{
	assert_bounded(ACCEPT_DROP, "accept and drop");
}

Test(kc_watch, a_watch_opened_then_dropped_is_retried_with_back_off, .timeout = 60)
{
	assert_bounded(OPEN_THEN_DROP, "200 then drop");
}

Test(kc_watch, a_watch_that_ends_at_once_is_not_reopened_at_once, .timeout = 60)
{
	assert_bounded(OPEN_THEN_END, "200 and end");
}

Test(kc_watch, a_bad_event_relists_with_back_off, .timeout = 60)
{
	assert_bounded(BAD_EVENT, "bad event line");
}
