/*
 * fuzz_kubeconfig.c — libFuzzer harness for kubeconfig parsing (libyaml document walk,
 * base64 data fields). Only the pure parser runs: no file named in the input is opened.
 */
#include <stdint.h>
#include <string.h>

#include "kc_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kc_kubeconfig kc;
	char why[512];
	const char *ctx = size && (data[0] & 1) ? "x" : NULL;
	if (kc_kubeconfig_parse((const char *)data, size, "fuzz", ctx, &kc, why, sizeof(why)) == 0)
		kc_kubeconfig_free(&kc);
	else if (memchr(why, '\n', strnlen(why, sizeof(why))))
		__builtin_trap(); /* errors are one line */
	return 0;
}
