/*
 * fuzz_status_json.c — libFuzzer harness for vipd/status.c's reader (what `vipd status` and
 * `provisioner status` read from a daemon's /status) and status_view.c's endpoint rule. Any
 * bytes are read or refused, never a crash; what is read keeps its fields in range, and
 * formatting it and reading that back gives the same text; the table and exit code take any
 * snapshot read.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"
#include "status_view.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_read(const struct status *s)
{
	if ((unsigned)s->role > STATUS_OUT || s->out & ~STATUS_OUT_ALL ||
	    s->n_backends > STATUS_BACKENDS_MAX || s->renewed_wall_ms < -1 ||
	    s->renewed_age_ms < -1 || s->vip_valid_s < -1 ||
	    strnlen(s->identity, sizeof(s->identity)) == sizeof(s->identity) ||
	    strnlen(s->vip, sizeof(s->vip)) == sizeof(s->vip))
		abort();
	int code = status_exit_code(s);
	if (code != 0 && code != 3 && code != 4)
		abort();
	FILE *f = fopen("/dev/null", "w");
	if (f) {
		status_print_table(s, f);
		fclose(f);
	}
}

static void round_trip(const struct status *s)
{
	char *a, *b;
	size_t alen, blen;
	if (status_format(s, &a, &alen) < 0)
		return; /* only out of memory: every field read is in range */
	struct status *back = malloc(sizeof(*back));
	if (!back || status_parse(a, alen, back, NULL, 0) < 0 ||
	    status_format(back, &b, &blen) < 0 || alen != blen || memcmp(a, b, alen))
		abort();
	free(b);
	free(back);
	free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct status *s = malloc(sizeof(*s));
	char *text = malloc(size + 1);
	if (!s || !text) {
		free(s);
		free(text);
		return 0;
	}
	memcpy(text, data, size);
	text[size] = '\0';
	char why[256];
	if (status_parse(text, size, s, why, sizeof(why)) == 0) {
		check_read(s);
		round_trip(s);
	} else if (!why[0] || strlen(why) >= sizeof(why)) {
		abort();
	}
	char url[128];
	if (status_url_from_listen(text, url, sizeof(url)) == 0 &&
	    (strncmp(url, "http://", 7) || !strstr(url, "/status")))
		abort();
	free(text);
	free(s);
	return 0;
}
