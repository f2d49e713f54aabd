/*
 * fuzz_inet_prefix.c — libFuzzer harness for the address parser that every VIP from a flag or
 * an environment variable goes through.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inet_prefix.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	struct inet_prefix p;
	char why[160], out[INET_PREFIX_STRLEN];
	if (inet_prefix_parse(text, &p, why, sizeof(why)) == 0)
		inet_prefix_format(&p, out, sizeof(out));
	free(text);
	return 0;
}
