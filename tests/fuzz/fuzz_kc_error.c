/*
 * fuzz_kc_error.c — libFuzzer harness for kc_error_from_reply (kubeclient/kc_error.c): the
 * body of any non-2xx reply, Status or not, from any server. The first two bytes pick the
 * HTTP code. The error must come out as one printable line with a reason, never crash.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kc_error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_line(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);
	if (n == cap)
		abort(); /* not NUL-terminated */
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < ' ' || s[i] == 0x7f)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	long code = 100 + (long)((data[0] << 8 | data[1]) % 500);
	struct kc_error err;
	memset(&err, 0x5a, sizeof(err)); /* whatever the caller's struct held */
	kc_error_from_reply(&err, code, (const char *)data + 2, size - 2);
	if (err.kind != KC_ERR_STATUS || err.code != code)
		abort();
	check_line(err.reason, sizeof(err.reason));
	check_line(err.message, sizeof(err.message));
	char line[400];
	kc_error_str(&err, line, sizeof(line));
	check_line(line, sizeof(line));
	kc_error_is(&err, "Conflict");
	return 0;
}
