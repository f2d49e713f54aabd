/*
 * plog.c — one logfmt line per event, flushed at once so a supervisor's log interleaves
 * correctly with its children's.
 */
#include "plog.h"

#include <stdarg.h>
#include <time.h>

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void plog_at(const struct plog *lg, enum plog_level level, const char *msg, const char *kv, ...)
{
	if (!lg || !lg->out || level < lg->level)
		return;
	char ts[40];
	struct timespec now;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	size_t n = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts + n, sizeof(ts) - n, ".%03ldZ", now.tv_nsec / 1000000);
	flockfile(lg->out);
	fprintf(lg->out, "ts=%s level=%s msg=\"%s\"", ts, level_names[level], msg);
	if (kv) {
		va_list ap;
		va_start(ap, kv);
		fputc(' ', lg->out);
		vfprintf(lg->out, kv, ap);
		va_end(ap);
	}
	fputc('\n', lg->out);
	fflush(lg->out);
	funlockfile(lg->out);
}
