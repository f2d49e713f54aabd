/*
 * plog — the provisioner's structured log lines (`ts=… level=info msg="…" key=value`), the
 * same logfmt shape vipd prints, so one reader handles both. A logger is a value passed to
 * whoever logs; there is no global logging state.
 */
#ifndef VIPD_PLOG_H
#define VIPD_PLOG_H

#include <stdio.h>

enum plog_level { PLOG_DEBUG, PLOG_INFO, PLOG_WARN, PLOG_ERROR };

struct plog {
	FILE *out;
	enum plog_level level;
};

/* `kv` is a printf format for the key=value part (may be NULL). `msg` is quoted for you. */
void plog_at(const struct plog *lg, enum plog_level level, const char *msg, const char *kv, ...)
    __attribute__((format(printf, 4, 5)));

#define plog_debug(lg, msg, ...) plog_at(lg, PLOG_DEBUG, msg, __VA_ARGS__)
#define plog_info(lg, msg, ...)	 plog_at(lg, PLOG_INFO, msg, __VA_ARGS__)
#define plog_warn(lg, msg, ...)	 plog_at(lg, PLOG_WARN, msg, __VA_ARGS__)
#define plog_error(lg, msg, ...) plog_at(lg, PLOG_ERROR, msg, __VA_ARGS__)

#endif
