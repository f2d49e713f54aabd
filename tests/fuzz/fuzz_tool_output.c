/*
 * fuzz_tool_output.c — libFuzzer harness for provisioner/tool_output.c: what kubeadm, etcdctl,
 * and a node's HTTP endpoints print back. Any bytes must be read or
 * refused, never crash or read past the end; what is produced must stay inside its buffers.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tool_output.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	char token[24], hash[80];
	if (tool_parse_join_command(text, token, hash) == 0 &&
	    (strlen(token) >= sizeof(token) || strlen(hash) >= sizeof(hash)))
		abort();
	int code;
	const char *body;
	if (tool_parse_http(text, &code, &body) == 0 &&
	    (code < 100 || code > 999 || (body && (body < text || body > text + size))))
		abort();
	char out[512];
	if (tool_parse_etcd_members(text, out, sizeof(out)) == 0 && strlen(out) >= sizeof(out))
		abort();
	free(text);
	return 0;
}
