/*
 * tool_output.c — sscanf with field widths and strstr on NUL-terminated text only: every
 * reader is bounded by what it was given.
 */
#include "tool_output.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int tool_parse_join_command(const char *out, char token[24], char hash[80])
{
	const char *t = strstr(out, "--token ");
	const char *h = strstr(out, "--discovery-token-ca-cert-hash ");
	if (!t || !h || sscanf(t + 8, "%23s", token) != 1 || sscanf(h + 31, "%79s", hash) != 1)
		return -EPROTO;
	return 0;
}

int tool_parse_etcd_members(char *raw, char *out, size_t len)
{
	size_t used = 0;
	if (!len)
		return -ENOSPC;
	out[0] = '\0';
	for (char *save = NULL, *line = strtok_r(raw, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char id[32], state[16], name[64], peer[256], client[512], learner[8];
		if (sscanf(line, "%31[^,], %15[^,], %63[^,], %255[^,], %511[^,], %7s", id, state,
			   name, peer, client, learner) != 6)
			continue;
		int w = snprintf(out + used, len - used, "%s %s %s %s\n", id, name, state,
				 strcmp(learner, "true") ? "voter" : "learner");
		if (w < 0 || (size_t)w >= len - used)
			return -ENOSPC;
		used += (size_t)w;
	}
	return 0;
}

int tool_parse_http(const char *raw, int *code, const char **body)
{
	*code = 0;
	*body = NULL;
	if (strncmp(raw, "HTTP/1.", 7) || sscanf(raw + 7, "%*1[01] %3d", code) != 1 || *code < 100)
		return -EPROTO;
	const char *b = strstr(raw, "\r\n\r\n");
	*body = b ? b + 4 : NULL;
	return 0;
}
