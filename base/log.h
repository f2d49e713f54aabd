/*
 * log — structured log lines: `ts=... level=info msg="vip added" interface=eth0 address=...`.
 * The logger is a value owned by whoever runs (the daemon's state struct, or a command's
 * stack): no global logging state. Shared by vipd and the provisioner (library vipd_base), so
 * one reader handles both; each line is flushed at once so a supervisor's log interleaves
 * correctly with its children's. A NULL logger logs nothing. Values come from outside (Lease
 * holders, API errors): control characters in them are escaped, so none can end the line or
 * forge another one.
 *
 * Owns: the line format and its escaping. Must not touch: where lines go beyond the FILE it is
 * given, and any global state.
 */
#ifndef VIPD_LOG_H
#define VIPD_LOG_H

#include <stdio.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

struct logger {
	FILE *out;
	enum log_level level;
};

/* Accepts debug|info|warn|error, or kube-vip's numeric vip_loglevel (5 = debug, 4 = info). */
int log_level_parse(const char *text, enum log_level *level);

/* `kv` is a printf format for the key=value part (may be NULL). `msg` is quoted for you. */
void log_at(const struct logger *lg, enum log_level level, const char *msg, const char *kv, ...)
    __attribute__((format(printf, 4, 5)));

#define log_debug(lg, msg, ...) log_at(lg, LOG_DEBUG, msg, __VA_ARGS__)
#define log_info(lg, msg, ...)	log_at(lg, LOG_INFO, msg, __VA_ARGS__)
#define log_warn(lg, msg, ...)	log_at(lg, LOG_WARN, msg, __VA_ARGS__)
#define log_error(lg, msg, ...) log_at(lg, LOG_ERROR, msg, __VA_ARGS__)

#endif
