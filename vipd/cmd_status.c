/*
 * cmd_status.c — `vipd status`: asks the local daemon for its own view (GET /status on the
 * endpoint that serves /metrics), prints it as a short table or as JSON, and says in its exit
 * code whether this node leads, follows, or is out (status_view.h has the codes).
 *
 * Where the daemon is: --endpoint, else the daemon's own `prometheus_server` environment
 * variable (so `vipd status` inside the vipd pod finds it), else ":2112"; a wildcard host is
 * asked on the loopback. One libcurl request, no proxy (a pod's http_proxy must not catch a
 * loopback request), bounded by --timeout and by the size of the reply.
 *
 * Owns: the command line and the request. Must not touch: the daemon (read only).
 */
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "status.h"
#include "status_view.h"

#define DEFAULT_TIMEOUT_MS 2000

struct status_opts {
	const char *endpoint; /* NULL: the environment or the default */
	bool json;
	uint64_t timeout_ms;
};

struct body {
	char *p;
	size_t len;
	bool too_big;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: vipd status [--endpoint HOST:PORT] [-o table|json] [--timeout MS]\n"
		"Prints the local vipd manager's own view (GET /status on its metrics endpoint:\n"
		"--endpoint, else $prometheus_server, else %s). Exit code: 0 leader, 3 follower,\n"
		"4 out of the election or not ready, 1 daemon unreachable or bad reply, 2 usage.\n",
		STATUS_DEFAULT_LISTEN);
}

/* Returns 0, 1 when the caller should exit 0 (--help), or 2 (usage, already reported). */
static int parse_args(int argc, char **argv, struct status_opts *o)
{
	*o = (struct status_opts){.timeout_ms = DEFAULT_TIMEOUT_MS};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 1;
		}
		bool takes = !strcmp(a, "--endpoint") || !strcmp(a, "-o") ||
			     !strcmp(a, "--output") || !strcmp(a, "--timeout");
		if (!takes)
			return cli_fail("status: unknown option \"%s\" (see vipd status --help)",
					a);
		if (i + 1 >= argc)
			return cli_fail("status: %s needs a value", a);
		const char *v = argv[++i];
		if (!strcmp(a, "--endpoint")) {
			char url[320];
			if (status_url_from_listen(v, url, sizeof(url)) < 0)
				return cli_fail("--endpoint \"%s\": expected HOST:PORT such as "
						"127.0.0.1:2112 or [::1]:2112",
						v);
			o->endpoint = v;
		} else if (!strcmp(a, "--timeout")) {
			if (cli_parse_uint("--timeout", v, 1, 600000, &o->timeout_ms) < 0)
				return 2;
		} else if (!strcmp(v, "json") || !strcmp(v, "table")) {
			o->json = !strcmp(v, "json");
		} else {
			return cli_fail("%s \"%s\": expected table or json", a, v);
		}
	}
	return 0;
}

static size_t on_data(char *ptr, size_t size, size_t n, void *arg)
{
	struct body *b = arg;
	size_t add = size * n;
	if (b->len + add > STATUS_BODY_MAX) {
		b->too_big = true;
		return 0;
	}
	char *p = realloc(b->p, b->len + add + 1);
	if (!p)
		return 0;
	memcpy(p + b->len, ptr, add);
	b->p = p;
	b->len += add;
	b->p[b->len] = '\0';
	return add;
}

/* GET url into b. Returns 0, or -EIO with one line in why. */
static int fetch(const char *url, uint64_t timeout_ms, struct body *b, char *why, size_t why_len)
{
	CURL *c = curl_easy_init();
	if (!c) {
		snprintf(why, why_len, "cannot start libcurl");
		return -EIO;
	}
	char err[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http");
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "vipd-status");
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	CURLcode rc = curl_easy_perform(c);
	long code = 0;
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(c);
	if (b->too_big)
		snprintf(why, why_len, "bad reply: larger than %d bytes", STATUS_BODY_MAX);
	else if (rc != CURLE_OK)
		snprintf(why, why_len, "%s", err[0] ? err : curl_easy_strerror(rc));
	else if (code != 200)
		snprintf(why, why_len, "bad reply: HTTP %ld (a vipd without /status?)", code);
	else
		return 0;
	return -EIO;
}

/* The reply as the daemon sent it, re-indented (fields a newer daemon adds are kept). */
static int print_json(const struct body *b)
{
	json_t *root = json_loadb(b->p ? b->p : "", b->len, 0, NULL);
	int r =
	    root && json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) == 0 ? 0 : -EIO;
	json_decref(root);
	fputc('\n', stdout);
	return r;
}

int cmd_status(int argc, char **argv)
{
	struct status_opts o;
	int r = parse_args(argc, argv, &o);
	if (r)
		return r == 1 ? 0 : STATUS_EXIT_USAGE;
	const char *listen = o.endpoint;
	const char *from = "--endpoint";
	if (!listen) {
		listen = getenv("prometheus_server");
		from = "prometheus_server";
	}
	if (!listen) {
		listen = STATUS_DEFAULT_LISTEN;
		from = "the default";
	}
	char url[320];
	if (status_url_from_listen(listen, url, sizeof(url)) < 0) {
		/* Only the environment can get here (--endpoint was checked as a flag). */
		fprintf(stderr,
			"vipd: status: prometheus_server \"%s\": %s; give --endpoint HOST:PORT\n",
			listen,
			listen[0] ? "not a [host]:port" : "empty: the daemon serves no endpoint");
		return STATUS_EXIT_UNREACHABLE;
	}
	struct body b = {0};
	struct status *s = calloc(1, sizeof(*s));
	char why[512];
	if (!s) {
		fprintf(stderr, "vipd: status: out of memory\n");
		return STATUS_EXIT_UNREACHABLE;
	}
	int code = STATUS_EXIT_UNREACHABLE;
	if (fetch(url, o.timeout_ms, &b, why, sizeof(why)) < 0)
		fprintf(stderr, "vipd: status: %s (endpoint from %s): %s\n", url, from, why);
	else if (status_parse(b.p ? b.p : "", b.len, s, why, sizeof(why)) < 0)
		fprintf(stderr, "vipd: status: %s: bad reply: %s\n", url, why);
	else if (o.json && print_json(&b) < 0)
		fprintf(stderr, "vipd: status: cannot write the JSON\n");
	else {
		if (!o.json)
			status_print_table(s, stdout);
		code = status_exit_code(s);
	}
	free(s);
	free(b.p);
	return code;
}
