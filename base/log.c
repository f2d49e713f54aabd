/*
 * log.c — one line per event, logfmt style, so both people and log pipelines can read it.
 */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "clock.h"

static const char *level_names[] = {"debug", "info", "warn", "error"};

int log_level_parse(const char *text, enum log_level *level)
{
	for (unsigned i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (!strcmp(text, level_names[i])) {
			*level = (enum log_level)i;
			return 0;
		}
	}
	/* kube-vip's vip_loglevel is a logrus number: 5 debug, 4 info, 3 warn, 2 error. */
	if (text[0] >= '0' && text[0] <= '9' && text[1] == '\0') {
		int n = text[0] - '0';
		*level = n >= 5 ? LOG_DEBUG : n == 4 ? LOG_INFO : n == 3 ? LOG_WARN : LOG_ERROR;
		return 0;
	}
	return -EINVAL;
}

void log_at(const struct logger *lg, enum log_level level, const char *msg, const char *kv, ...)
{
	if (!lg || level < lg->level)
		return;
	char ts[40];
	int64_t now_us = clock_wall_us();
	time_t secs = (time_t)(now_us / 1000000);
	struct tm tm;
	gmtime_r(&secs, &tm);
	size_t n = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts + n, sizeof(ts) - n, ".%06ldZ", (long)(now_us % 1000000));

	FILE *out = lg->out ? lg->out : stderr;
	flockfile(out);
	fprintf(out, "ts=%s level=%s msg=\"", ts, level_names[level]);
	for (const char *p = msg; *p; p++) {
		if (*p == '"' || *p == '\\')
			fputc('\\', out);
		fputc(*p == '\n' ? ' ' : *p, out);
	}
	fputc('"', out);
	if (kv && *kv) {
		/* Values come from outside (Lease holders, API errors): no control character may
		 * end the line or forge another one. */
		char buf[2048];
		va_list ap;
		va_start(ap, kv);
		vsnprintf(buf, sizeof(buf), kv, ap);
		va_end(ap);
		fputc(' ', out);
		for (const unsigned char *p = (const unsigned char *)buf; *p; p++) {
			if (*p == '\n')
				fputs("\\n", out);
			else if (*p == '\r')
				fputs("\\r", out);
			else if (*p < 0x20 || *p == 0x7f)
				fprintf(out, "\\x%02x", *p);
			else
				fputc(*p, out);
		}
	}
	fputc('\n', out);
	fflush(out);
	funlockfile(out);
}
