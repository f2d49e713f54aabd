/*
 * microtime — Kubernetes MicroTime: RFC 3339 in UTC with exactly six fractional digits
 * ("2026-11-24T10:00:00.123456Z"), the format of a Lease's acquireTime and renewTime.
 *
 * Owns: formatting and parsing of wall-clock timestamps as microseconds since the Unix epoch.
 * Must not touch: any clock. These timestamps are written for other readers and shown to
 * people; no election decision is ever taken from them (decisions use our monotonic clock).
 */
#ifndef VIPD_MICROTIME_H
#define VIPD_MICROTIME_H

#include <stddef.h>
#include <stdint.h>

/* "YYYY-MM-DDTHH:MM:SS.ffffffZ" plus NUL. */
#define MICROTIME_STRLEN 28

/* Formats `us` (microseconds since 1970-01-01T00:00:00Z, years 0001..9999) into `buf`
 * (MICROTIME_STRLEN bytes). Returns 0, or -ERANGE when the year is out of range. Pure. */
int microtime_format(int64_t us, char *buf, size_t len);

/* Parses RFC 3339: "YYYY-MM-DDTHH:MM:SS", an optional fraction of 1..9 digits (truncated to
 * microseconds), then "Z" or "+hh:mm"/"-hh:mm". 't' and 'z' are accepted as Go accepts them.
 * Returns 0 or -EINVAL. Pure. */
int microtime_parse(const char *text, int64_t *us);

/* The same over a length-delimited string (need not be NUL-terminated). */
int microtime_parse_n(const char *text, size_t n, int64_t *us);

#endif
