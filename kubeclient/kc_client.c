/*
 * kc_client.c — libcurl multi-socket glue: socket and timer callbacks feed a small fd table
 * and a deadline; completed transfers are turned into kc_result values for the callers.
 */
#include "kc_client.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "clock.h"

#define MAX_BODY	   (4u << 20) /* a Lease is < 1 KiB; control-plane Node lists stay well under */
#define TOKEN_REREAD_MS	   60000
#define DEFAULT_CONNECT_MS 5000

struct kc_fdent {
	int fd;
	short events;
};

struct kc_call {
	struct kc_client *kc;
	CURL *easy;
	struct curl_slist *headers;
	char *body;
	char *resp;
	size_t resp_len, resp_cap;
	bool stream_open;
	bool open_pending; /* `open` not delivered yet */
	bool too_big;
	char *pend; /* streamed 2xx bytes not yet given to `data` */
	size_t pend_len, pend_cap;
	int abort_code; /* `data` returned this (negative): the call ends with an error */
	bool aborted;
	uint64_t deliver_gen;
	kc_done_fn done;
	kc_data_fn data;
	kc_open_fn open;
	void *arg;
	char errbuf[CURL_ERROR_SIZE];
	struct kc_call *prev, *next;
};

struct kc_client {
	CURLM *multi;
	const struct kc_config *cfg;
	kc_log_fn log;
	void *log_arg;
	kc_fd_fn on_fd;
	void *loop_arg;
	long connect_timeout_ms;
	char *user_agent;
	bool plain;

	char *token;
	int64_t token_read_at;
	char *connect_to; /* "name:port:host:port" when tls-server-name is set */
	char *url_base;	  /* server, or server with the tls-server-name as host */
	struct curl_slist *connect_to_list;
	/* Connect-to lists replaced by kc_client_set_config: a call under way may still read its
	 * list when it connects, so they live as long as the client. */
	struct curl_slist *retired_lists[4];
	char *retired_to[4];
	size_t n_retired;

	struct kc_fdent *fds;
	size_t nfds, capfds;
	int64_t curl_deadline; /* clock_boot_ms(), -1 none */
	struct kc_timer *timers;
	struct kc_call *calls;
	bool fresh_connect;
	uint64_t rng;
	struct kc_stats stats;
	uint64_t deliver_gen;
};

void kc_client_log(const struct kc_client *kc, enum kc_log_level level, const char *msg,
		   const char *kv_fmt, ...)
{
	if (!kc->log)
		return;
	char kv[768] = "";
	if (kv_fmt) {
		va_list ap;
		va_start(ap, kv_fmt);
		vsnprintf(kv, sizeof(kv), kv_fmt, ap);
		va_end(ap);
	}
	kc->log(kc->log_arg, level, msg, kv);
}

uint32_t kc_client_rand(struct kc_client *kc, uint32_t n)
{
	/* xorshift64*: jitter only, not security. */
	uint64_t x = kc->rng;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	kc->rng = x;
	return (uint32_t)((x * 0x2545F4914F6CDD1DULL) >> 32) % n;
}

void kc_client_stats(const struct kc_client *kc, struct kc_stats *out)
{
	*out = kc->stats;
}

/* ---- fd table and timers, as libcurl asks ---- */

static struct kc_fdent *fd_find(struct kc_client *kc, int fd)
{
	for (size_t i = 0; i < kc->nfds; i++)
		if (kc->fds[i].fd == fd)
			return &kc->fds[i];
	return NULL;
}

static int sock_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	(void)easy;
	(void)socketp;
	struct kc_client *kc = userp;
	short ev = 0;
	if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
		ev |= POLLIN;
	if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
		ev |= POLLOUT;
	struct kc_fdent *e = fd_find(kc, s);
	if (what == CURL_POLL_REMOVE) {
		if (e) {
			*e = kc->fds[--kc->nfds];
			if (kc->on_fd)
				kc->on_fd(kc->loop_arg, s, 0);
		}
		return 0;
	}
	if (!e) {
		if (kc->nfds == kc->capfds) {
			size_t cap = kc->capfds ? kc->capfds * 2 : 8;
			struct kc_fdent *n = realloc(kc->fds, cap * sizeof(*n));
			if (!n)
				return -1;
			kc->fds = n;
			kc->capfds = cap;
		}
		e = &kc->fds[kc->nfds++];
		e->fd = s;
	}
	e->events = ev;
	if (kc->on_fd)
		kc->on_fd(kc->loop_arg, s, ev);
	return 0;
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	(void)multi;
	struct kc_client *kc = userp;
	kc->curl_deadline = timeout_ms < 0 ? -1 : clock_boot_ms() + timeout_ms;
	return 0;
}

void kc_timer_arm(struct kc_client *kc, struct kc_timer *t, int64_t delay_ms, void (*fn)(void *arg),
		  void *arg)
{
	kc_timer_disarm(kc, t);
	t->at_ms = clock_boot_ms() + (delay_ms > 0 ? delay_ms : 0);
	t->fn = fn;
	t->arg = arg;
	t->armed = true;
	t->next = kc->timers;
	kc->timers = t;
}

void kc_timer_disarm(struct kc_client *kc, struct kc_timer *t)
{
	if (!t->armed)
		return;
	for (struct kc_timer **pp = &kc->timers; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	}
	t->armed = false;
	t->next = NULL;
}

int kc_client_timeout_ms(struct kc_client *kc)
{
	int64_t at = kc->curl_deadline;
	for (struct kc_timer *t = kc->timers; t; t = t->next)
		if (at < 0 || t->at_ms < at)
			at = t->at_ms;
	if (at < 0)
		return -1;
	int64_t d = at - clock_boot_ms();
	return d < 0 ? 0 : d > 3600000 ? 3600000 : (int)d;
}

size_t kc_client_pollfds(const struct kc_client *kc, struct pollfd *fds, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < kc->nfds && n < max; i++) {
		fds[n].fd = kc->fds[i].fd;
		fds[n].events = kc->fds[i].events;
		fds[n].revents = 0;
		n++;
	}
	return n;
}

/* ---- calls ---- */

/* Is `c` (seen with generation `gen`) still a live call? Receivers may cancel calls. */
static bool call_alive(struct kc_client *kc, struct kc_call *c, uint64_t gen)
{
	for (struct kc_call *x = kc->calls; x; x = x->next)
		if (x == c && x->deliver_gen == gen)
			return true;
	return false;
}

static void call_free(struct kc_call *c)
{
	struct kc_client *kc = c->kc;
	if (c->prev)
		c->prev->next = c->next;
	else
		kc->calls = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (c->easy) {
		curl_multi_remove_handle(kc->multi, c->easy);
		curl_easy_cleanup(c->easy);
	}
	curl_slist_free_all(c->headers);
	free(c->body);
	free(c->resp);
	free(c->pend);
	free(c);
}

static int buf_append(char **buf, size_t *len, size_t *cap, const char *data, size_t n)
{
	if (*len + n + 1 > *cap) {
		size_t nc = *cap ? *cap : 4096;
		while (nc < *len + n + 1)
			nc *= 2;
		char *nb = realloc(*buf, nc);
		if (!nb)
			return -1;
		*buf = nb;
		*cap = nc;
	}
	memcpy(*buf + *len, data, n);
	*len += n;
	(*buf)[*len] = '\0';
	return 0;
}

static long response_code(CURL *easy)
{
	long code = 0;
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
	return code;
}

/* Inside libcurl's callbacks no multi call is allowed, so streamed bytes are queued here and
 * handed to `data` by deliver() once libcurl has returned: a receiver may then start or cancel
 * calls freely. */
static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct kc_call *c = userdata;
	size_t n = size * nmemb;
	if (c->abort_code)
		return 0;
	if (c->data) {
		long code = response_code(c->easy);
		if (code >= 200 && code < 300) {
			if (c->pend_len + n > MAX_BODY) {
				c->too_big = true;
				return 0;
			}
			return buf_append(&c->pend, &c->pend_len, &c->pend_cap, ptr, n) < 0 ? 0 : n;
		}
	}
	if (c->resp_len + n > MAX_BODY) {
		c->too_big = true;
		return 0;
	}
	return buf_append(&c->resp, &c->resp_len, &c->resp_cap, ptr, n) < 0 ? 0 : n;
}

static size_t header_cb(char *buf, size_t size, size_t nitems, void *userdata)
{
	struct kc_call *c = userdata;
	size_t n = size * nitems;
	/* The blank line ends a header block; 1xx blocks are skipped by the code check. */
	if (c->open && !c->stream_open && (n == 2 || n == 1) &&
	    (buf[0] == '\r' || buf[0] == '\n')) {
		long code = response_code(c->easy);
		if (code >= 200 && code < 300) {
			c->stream_open = true;
			c->open_pending = true;
		}
	}
	return n;
}

static void refresh_token(struct kc_client *kc)
{
	const struct kc_config *cfg = kc->cfg;
	if (!cfg->token_file) {
		return;
	}
	int64_t now = clock_boot_ms();
	if (kc->token && now - kc->token_read_at < TOKEN_REREAD_MS)
		return;
	struct kc_blob b;
	int r = kc_read_file(cfg->token_file, &b);
	kc->token_read_at = now;
	if (r < 0) {
		kc_client_log(kc, KC_LOG_WARN, "cannot re-read token file; keeping the old token",
			      "file=\"%s\" error=\"%s\"", cfg->token_file, strerror(-r));
		return;
	}
	char *t = (char *)b.data;
	size_t l = strlen(t);
	while (l && (t[l - 1] == '\n' || t[l - 1] == '\r' || t[l - 1] == ' '))
		t[--l] = '\0';
	free(kc->token);
	kc->token = t;
}

static int setup_tls(struct kc_client *kc, CURL *e)
{
	const struct kc_config *cfg = kc->cfg;
	if (cfg->insecure) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	} else {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	}
	if (cfg->ca.data) {
		/* Only the cluster CA, as kubectl: no system roots next to it. */
		struct curl_blob b = {cfg->ca.data, cfg->ca.len, CURL_BLOB_COPY};
		curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
		curl_easy_setopt(e, CURLOPT_CAINFO, NULL);
		if (curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &b) != CURLE_OK)
			return -ENOTSUP;
	}
	if (cfg->cert.data) {
		struct curl_blob c = {cfg->cert.data, cfg->cert.len, CURL_BLOB_COPY};
		struct curl_blob k = {cfg->key.data, cfg->key.len, CURL_BLOB_COPY};
		curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
		curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
		if (curl_easy_setopt(e, CURLOPT_SSLCERT_BLOB, &c) != CURLE_OK ||
		    curl_easy_setopt(e, CURLOPT_SSLKEY_BLOB, &k) != CURLE_OK)
			return -ENOTSUP;
	}
	return 0;
}

/* Only http and https, whatever the server URL names: a call that cannot be held to
 * that is not made. */
static int restrict_protocols(struct kc_client *kc, CURL *e)
{
	CURLcode cc = curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	if (cc == CURLE_OK)
		return 0;
	kc_client_log(kc, KC_LOG_ERROR, "cannot restrict libcurl to http and https; call not made",
		      "error=\"%s\"", curl_easy_strerror(cc));
	return -ENOTSUP;
}

int kc_call_start(struct kc_client *kc, const struct kc_request *req, struct kc_call **out)
{
	if (out)
		*out = NULL;
	if (!req->method || !req->path || req->path[0] != '/' || req->timeout_ms <= 0 || !req->done)
		return -EINVAL;
	struct kc_call *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->kc = kc;
	c->done = req->done;
	c->data = req->data;
	c->open = req->open;
	c->arg = req->arg;
	c->next = kc->calls;
	if (kc->calls)
		kc->calls->prev = c;
	kc->calls = c;

	int r = -ENOMEM;
	char *url = NULL;
	CURL *e = c->easy = curl_easy_init();
	if (!e || asprintf(&url, "%s%s", kc->url_base, req->path) < 0) {
		url = NULL;
		goto fail;
	}
	curl_easy_setopt(e, CURLOPT_URL, url);
	free(url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, c);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	if ((r = restrict_protocols(kc, e)) < 0)
		goto fail;
	r = -ENOMEM;
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, c);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, req->timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
			 req->timeout_ms < kc->connect_timeout_ms ? req->timeout_ms
								  : kc->connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPIDLE, 10L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPINTVL, 5L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, kc->user_agent);
	if (kc->connect_to_list)
		curl_easy_setopt(e, CURLOPT_CONNECT_TO, kc->connect_to_list);
	if (kc->fresh_connect) {
		curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
		kc->fresh_connect = false;
	}
	if ((r = setup_tls(kc, e)) < 0)
		goto fail;
	r = -ENOMEM;

	struct curl_slist *h = NULL, *t;
#define ADD_HEADER(s)                                                                              \
	do {                                                                                       \
		if (!(t = curl_slist_append(h, (s))))                                              \
			goto fail_h;                                                               \
		h = t;                                                                             \
	} while (0)
	ADD_HEADER("Accept: application/json");
	if (!kc->plain) {
		refresh_token(kc);
		const char *tok = kc->token ? kc->token : kc->cfg->token;
		if (tok && *tok) {
			char *auth;
			if (asprintf(&auth, "Authorization: Bearer %s", tok) < 0)
				goto fail_h;
			t = curl_slist_append(h, auth);
			free(auth);
			if (!t)
				goto fail_h;
			h = t;
		}
	}
	if (req->body && req->patch) {
		ADD_HEADER("Content-Type: application/merge-patch+json");
	} else if (req->body) {
		ADD_HEADER("Content-Type: application/json");
	}
	if (req->body) {
		c->body = json_dumps(req->body, JSON_COMPACT);
		if (!c->body)
			goto fail_h;
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, c->body);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(c->body));
	}
	/* No "Expect: 100-continue" round trip for small bodies over HTTP/1.1. */
	ADD_HEADER("Expect:");
#undef ADD_HEADER
	c->headers = h;
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
	if (strcmp(req->method, "GET") && strcmp(req->method, "POST"))
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req->method);
	else if (!strcmp(req->method, "POST") && !req->body) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, 0L);
	}
	if (curl_multi_add_handle(kc->multi, e) != CURLM_OK) {
		r = -EIO;
		goto fail;
	}
	kc->stats.requests++;
	if (out)
		*out = c;
	return 0;
fail_h:
	curl_slist_free_all(h);
fail:
	c->easy = NULL;
	curl_easy_cleanup(e);
	call_free(c);
	return r;
}

int kc_client_set_server(struct kc_client *kc, const char *url)
{
	if (kc->connect_to || !url || (strncmp(url, "https://", 8) && strncmp(url, "http://", 7)))
		return -EINVAL;
	char *u = strdup(url);
	if (!u)
		return -ENOMEM;
	size_t n = strlen(u);
	while (n > 8 && u[n - 1] == '/')
		u[--n] = '\0';
	free(kc->url_base);
	kc->url_base = u;
	return 0;
}

static int build_url_base(struct kc_client *kc, char *why, size_t why_len);

int kc_client_set_config(struct kc_client *kc, const struct kc_config *cfg, char *why,
			 size_t why_len)
{
	if (!cfg || !cfg->server) {
		snprintf(why, why_len, "kubernetes client: no server configured");
		return -EINVAL;
	}
	if (kc->n_retired == sizeof(kc->retired_lists) / sizeof(kc->retired_lists[0])) {
		snprintf(why, why_len, "kubernetes client: configuration replaced too often");
		return -ENOSPC;
	}
	const struct kc_config *old_cfg = kc->cfg;
	char *old_base = kc->url_base, *old_to = kc->connect_to;
	struct curl_slist *old_list = kc->connect_to_list;
	kc->cfg = cfg;
	kc->url_base = kc->connect_to = NULL;
	kc->connect_to_list = NULL;
	int r = build_url_base(kc, why, why_len);
	if (r < 0) {
		free(kc->url_base);
		free(kc->connect_to);
		curl_slist_free_all(kc->connect_to_list);
		kc->cfg = old_cfg;
		kc->url_base = old_base;
		kc->connect_to = old_to;
		kc->connect_to_list = old_list;
		return r;
	}
	/* Calls under way keep what they were given (curl copies the URL; the old connect-to
	 * list is retired, not freed). A TLS client certificate is bound to its connection, so
	 * the next call opens a new one. */
	free(old_base);
	kc->retired_to[kc->n_retired] = old_to;
	kc->retired_lists[kc->n_retired++] = old_list;
	free(kc->token);
	kc->token = NULL;
	kc->fresh_connect = true;
	return 0;
}

void kc_call_cancel(struct kc_client *kc, struct kc_call *call)
{
	(void)kc;
	if (call)
		call_free(call);
}

/* Hands one call's queued stream events to its receiver. Returns false when the call is gone
 * (cancelled by the receiver) — the caller must not touch it then. */
static bool deliver_one(struct kc_client *kc, struct kc_call *c)
{
	uint64_t gen = ++kc->deliver_gen;
	c->deliver_gen = gen;
	if (c->open_pending) {
		c->open_pending = false;
		if (c->open)
			c->open(c->arg);
		if (!call_alive(kc, c, gen))
			return false;
	}
	while (c->pend_len && !c->abort_code) {
		char *buf = c->pend;
		size_t len = c->pend_len;
		c->pend = NULL;
		c->pend_len = c->pend_cap = 0;
		int r = c->data(c->arg, buf, len);
		free(buf);
		if (!call_alive(kc, c, gen))
			return false;
		if (r < 0)
			c->abort_code = r;
	}
	return true;
}

static void finish(struct kc_client *kc, struct kc_call *c, CURLcode cc);

/* Delivers every call's queued stream data; calls aborted by their receiver end here. */
static void deliver(struct kc_client *kc)
{
	bool again = true;
	while (again) {
		again = false;
		for (struct kc_call *c = kc->calls; c; c = c->next) {
			if (!c->open_pending && !c->pend_len && !(c->abort_code && !c->aborted))
				continue;
			if (deliver_one(kc, c) && c->abort_code && !c->aborted) {
				c->aborted = true;
				finish(kc, c, CURLE_ABORTED_BY_CALLBACK);
			}
			again = true; /* the list may have changed: start over */
			break;
		}
	}
}

static void finish(struct kc_client *kc, struct kc_call *c, CURLcode cc)
{
	if (!c->aborted && (c->open_pending || c->pend_len) && !deliver_one(kc, c))
		return;
	struct kc_result res;
	memset(&res, 0, sizeof(res));
	res.code = response_code(c->easy);
	res.raw = c->resp;
	res.raw_len = c->resp_len;
	json_t *body = NULL;
	if (c->abort_code) {
		res.err.kind = KC_ERR_CANCELLED;
		res.err.code = res.code;
		snprintf(res.err.message, sizeof(res.err.message),
			 "stream ended by its receiver: %s", strerror(-c->abort_code));
	} else if (cc != CURLE_OK && !(cc == CURLE_WRITE_ERROR && c->too_big)) {
		res.err.kind = cc == CURLE_OPERATION_TIMEDOUT ? KC_ERR_TIMEOUT : KC_ERR_TRANSPORT;
		res.err.curl_code = (int)cc;
		res.err.code = res.code;
		snprintf(res.err.message, sizeof(res.err.message), "%s",
			 c->errbuf[0] ? c->errbuf : curl_easy_strerror(cc));
		if (cc == CURLE_OPERATION_TIMEDOUT || cc == CURLE_RECV_ERROR ||
		    cc == CURLE_SEND_ERROR || cc == CURLE_HTTP2 || cc == CURLE_HTTP2_STREAM)
			kc->fresh_connect = true;
	} else if (c->too_big) {
		res.err.kind = KC_ERR_BAD_RESPONSE;
		res.err.code = res.code;
		snprintf(res.err.message, sizeof(res.err.message), "reply larger than %u bytes",
			 MAX_BODY);
	} else if (res.code < 200 || res.code >= 300) {
		kc_error_from_reply(&res.err, res.code, c->resp, c->resp_len);
	} else if (c->resp_len && !c->data) {
		json_error_t jerr;
		body = json_loadb(c->resp, c->resp_len, 0, &jerr);
		if (!body || !json_is_object(body)) {
			res.err.kind = KC_ERR_BAD_RESPONSE;
			res.err.code = res.code;
			snprintf(res.err.message, sizeof(res.err.message),
				 "reply is not a JSON object: %s",
				 body ? "not an object" : jerr.text);
			json_decref(body);
			body = NULL;
		}
	}
	res.body = body;
	if (res.err.kind != KC_OK)
		kc->stats.failures++;
	kc_done_fn done = c->done;
	void *arg = c->arg;
	/* Free the call before the callback: it may start the next call at once. */
	char *resp = c->resp;
	c->resp = NULL;
	call_free(c);
	done(arg, &res);
	json_decref(body);
	free(resp);
}

static void drain(struct kc_client *kc)
{
	CURLMsg *m;
	int left;
	while ((m = curl_multi_info_read(kc->multi, &left))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		struct kc_call *c = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&c);
		CURLcode cc = m->data.result;
		if (c)
			finish(kc, c, cc);
	}
}

void kc_client_on_fd(struct kc_client *kc, int fd, short revents)
{
	int mask = 0, running;
	if (revents & POLLIN)
		mask |= CURL_CSELECT_IN;
	if (revents & POLLOUT)
		mask |= CURL_CSELECT_OUT;
	if (revents & (POLLERR | POLLHUP | POLLNVAL))
		mask |= CURL_CSELECT_ERR | CURL_CSELECT_IN;
	curl_multi_socket_action(kc->multi, fd, mask, &running);
	deliver(kc);
	drain(kc);
}

void kc_client_on_timeout(struct kc_client *kc)
{
	int64_t now = clock_boot_ms();
	if (kc->curl_deadline >= 0 && kc->curl_deadline <= now) {
		int running;
		kc->curl_deadline = -1;
		curl_multi_socket_action(kc->multi, CURL_SOCKET_TIMEOUT, 0, &running);
		deliver(kc);
		drain(kc);
	}
	/* Run due timers one at a time: a timer function may arm or disarm others. */
	for (;;) {
		struct kc_timer *due = NULL;
		for (struct kc_timer *t = kc->timers; t; t = t->next)
			if (t->at_ms <= now && (!due || t->at_ms < due->at_ms))
				due = t;
		if (!due)
			break;
		kc_timer_disarm(kc, due);
		due->fn(due->arg);
	}
}

/* ---- lifetime ---- */

static int build_url_base(struct kc_client *kc, char *why, size_t why_len)
{
	const struct kc_config *cfg = kc->cfg;
	if (!cfg->tls_server_name) {
		kc->url_base = strdup(cfg->server);
		return kc->url_base ? 0 : -ENOMEM;
	}
	/* tls-server-name: ask for that name (SNI and certificate check), connect to the server's
	 * real host. */
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL, *scheme = NULL;
	int r = -EINVAL;
	if (!u || curl_url_set(u, CURLUPART_URL, cfg->server, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK) {
		snprintf(why, why_len, "%s: server \"%s\": not a valid URL", cfg->source,
			 cfg->server);
		goto out;
	}
	r = -ENOMEM;
	if (asprintf(&kc->connect_to, "%s:%s:%s:%s", cfg->tls_server_name, port, host, port) < 0) {
		kc->connect_to = NULL;
		goto out;
	}
	if (asprintf(&kc->url_base, "%s://%s:%s", scheme, cfg->tls_server_name, port) < 0) {
		kc->url_base = NULL;
		goto out;
	}
	kc->connect_to_list = curl_slist_append(NULL, kc->connect_to);
	r = kc->connect_to_list ? 0 : -ENOMEM;
out:
	curl_free(host);
	curl_free(port);
	curl_free(scheme);
	curl_url_cleanup(u);
	return r;
}

int kc_client_new(const struct kc_client_opts *o, struct kc_client **out, char *why, size_t why_len)
{
	*out = NULL;
	if (!o->cfg || !o->cfg->server) {
		snprintf(why, why_len, "kubernetes client: no server configured");
		return -EINVAL;
	}
	curl_version_info_data *vi = curl_version_info(CURLVERSION_NOW);
	if (vi->version_num < 0x074700) { /* 7.71: *_BLOB options */
		snprintf(why, why_len, "libcurl %s is too old (need 7.71 or newer)", vi->version);
		return -ENOTSUP;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(why, why_len, "libcurl: global initialisation failed");
		return -ENOMEM;
	}
	struct kc_client *kc = calloc(1, sizeof(*kc));
	if (!kc) {
		curl_global_cleanup();
		return -ENOMEM;
	}
	kc->cfg = o->cfg;
	kc->log = o->log;
	kc->log_arg = o->log_arg;
	kc->on_fd = o->on_fd;
	kc->loop_arg = o->loop_arg;
	kc->plain = o->plain_http_json;
	kc->connect_timeout_ms =
	    o->connect_timeout_ms > 0 ? o->connect_timeout_ms : DEFAULT_CONNECT_MS;
	kc->curl_deadline = -1;
	kc->user_agent = strdup(o->user_agent ? o->user_agent : "vipd");
	if (getrandom(&kc->rng, sizeof(kc->rng), GRND_NONBLOCK) != sizeof(kc->rng))
		kc->rng = (uint64_t)clock_boot_ms() * 0x9E3779B97F4A7C15ULL;
	kc->rng |= 1;
	int r = -ENOMEM;
	if (!kc->user_agent || (r = build_url_base(kc, why, why_len)) < 0)
		goto fail;
	kc->multi = curl_multi_init();
	if (!kc->multi) {
		r = -ENOMEM;
		goto fail;
	}
	curl_multi_setopt(kc->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(kc->multi, CURLMOPT_SOCKETDATA, kc);
	curl_multi_setopt(kc->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(kc->multi, CURLMOPT_TIMERDATA, kc);
	curl_multi_setopt(kc->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	if (o->cfg->insecure)
		kc_client_log(kc, KC_LOG_WARN,
			      "TLS VERIFICATION IS OFF: insecure-skip-tls-verify is set; anyone on "
			      "the path can impersonate the API server",
			      "source=\"%s\" server=\"%s\"", o->cfg->source ? o->cfg->source : "",
			      o->cfg->server);
	*out = kc;
	return 0;
fail:
	kc_client_free(kc);
	return r;
}

void kc_client_free(struct kc_client *kc)
{
	if (!kc)
		return;
	while (kc->calls)
		call_free(kc->calls);
	if (kc->multi)
		curl_multi_cleanup(kc->multi);
	curl_slist_free_all(kc->connect_to_list);
	free(kc->connect_to);
	for (size_t i = 0; i < kc->n_retired; i++) {
		curl_slist_free_all(kc->retired_lists[i]);
		free(kc->retired_to[i]);
	}
	free(kc->url_base);
	free(kc->user_agent);
	free(kc->token);
	free(kc->fds);
	free(kc);
	curl_global_cleanup();
}
