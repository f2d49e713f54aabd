/*
 * storage_addon_print.c — `storage-addon-print VERSION`: prints storage_addon's YAML stream for
 * that image tag, so tests can hand it to the real kubectl.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage_addon.h"

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: storage-addon-print VERSION\n");
		return 2;
	}
	char *text = NULL, why[256] = "";
	int err = storage_addon_manifest(argv[1], &text, why, sizeof(why));
	if (err) {
		fprintf(stderr, "storage-addon-print: %s\n", err == -EINVAL ? why : strerror(-err));
		return 1;
	}
	fputs(text, stdout);
	free(text);
	return fflush(stdout) ? 1 : 0;
}
