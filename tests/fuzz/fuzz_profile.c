/*
 * fuzz_profile.c — libFuzzer harness for the profile parser (provisioner/profile.c). config.json
 * is ours, but people edit it and crashes truncate it: any text must load as a profile or be
 * refused with a one-line reason, never crash. What loads must be written back and read again
 * to the same bytes of struct profile (the store's round trip).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_reason(const char *why)
{
	if (!why[0])
		abort();
	for (const char *s = why; *s; s++)
		if (*s < ' ' || *s == 0x7f)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct profile p, q;
	char why[256] = "";
	memset(&p, 0, sizeof(p));
	if (profile_parse((const char *)data, size, &p, why, sizeof(why))) {
		check_reason(why);
		return 0;
	}
	char *text = profile_format(&p);
	if (!text)
		abort();
	memset(&q, 0, sizeof(q));
	if (profile_parse(text, strlen(text), &q, why, sizeof(why)) || memcmp(&p, &q, sizeof(p)))
		abort();
	free(text);
	return 0;
}
