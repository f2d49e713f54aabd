/*
 * fuzz_mgr_config.c — libFuzzer harness for `vipd manager`'s settings: whatever a manifest's
 * environment and command line hold must be accepted or refused with one line, never crash.
 *
 * The input is NUL- or newline-separated entries: the first half is the environment
 * ("name=value"), the rest the flags after "manager". An accepted configuration must print
 * one line per setting, and that printout, parsed back as the environment, must print the same.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mgr_config.h"

#define MAX_ENTRIES 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Splits `text` (modified) into at most `max` entries at '\0' and '\n'. */
static size_t split(char *text, size_t size, char **out, size_t max)
{
	size_t n = 0;
	char *start = text;
	for (size_t i = 0; i <= size && n < max; i++) {
		if (i == size || text[i] == '\0' || text[i] == '\n') {
			text[i] = '\0';
			out[n++] = start;
			start = text + i + 1;
		}
	}
	return n;
}

static char *print(const struct mgr_config *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	mgr_config_print(c, f);
	fclose(f);
	return buf;
}

/* The printout is one `name=value` line per setting and, as an environment, prints the same. */
static void check_round_trip(const struct mgr_config *c)
{
	char *text = print(c), *lines = text ? strdup(text) : NULL, *env[MAX_ENTRIES + 1];
	if (!text || !lines)
		abort();
	size_t n = split(lines, strlen(lines), env, MAX_ENTRIES);
	if (n == 0 || n == MAX_ENTRIES || env[n - 1][0] != '\0')
		abort(); /* ends with a newline, and not too many lines */
	for (size_t i = 0; i + 1 < n; i++) {
		if (!strchr(env[i], '='))
			abort();
	}
	env[n - 1] = NULL;
	struct mgr_config back;
	char why[512];
	char *argv[] = {"manager", NULL};
	if (mgr_config_parse(env, 1, argv, "fuzz-host", &back, NULL, why, sizeof(why)) != 0) {
		fprintf(stderr, "printout refused: %s\n%s", why, text);
		abort();
	}
	char *again = print(&back);
	if (!again || strcmp(text, again)) {
		fprintf(stderr, "printout changed:\n%s---\n%s", text, again ? again : "");
		abort();
	}
	free(again);
	free(lines);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *entries[MAX_ENTRIES], *env[MAX_ENTRIES + 1];
	char *argv[MAX_ENTRIES + 1] = {"manager"};
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	size_t n = split(text, size, entries, MAX_ENTRIES), half = (n + 1) / 2;
	for (size_t i = 0; i < half; i++)
		env[i] = entries[i];
	env[half] = NULL;
	for (size_t i = half; i < n; i++)
		argv[1 + i - half] = entries[i];

	struct mgr_config c;
	bool check;
	char why[256];
	if (mgr_config_parse(env, (int)(1 + n - half), argv, "Fuzz-Host", &c, &check, why,
			     sizeof(why)) == 0) {
		check_round_trip(&c);
	} else if (!why[0] || strchr(why, '\n')) {
		abort(); /* a refusal is exactly one line */
	}
	free(text);
	return 0;
}
