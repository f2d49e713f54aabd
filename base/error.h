/*
 * error — THE error type of vipd's libraries: a negative errno plus one line of text a caller
 * can show as is ("interface \"eth9\": no such interface", with the kernel's extended-ack text
 * when it sent one). netlink/, announce/ and ipvs/ return it; new modules should too, rather
 * than `why/why_len` buffers or logging and returning.
 *
 * (It keeps its first name, nl_error, from when only netlink/ used it.)
 *
 * Owns: the struct and how it is filled. Must not touch: logging (the caller decides whether a
 * message is logged, printed or passed up).
 */
#ifndef VIPD_ERROR_H
#define VIPD_ERROR_H

#include <stddef.h>

struct nl_error {
	int err;       /* negative errno, 0 when nothing failed */
	char msg[256]; /* one line, no trailing newline */
};

/* Fills `err` (may be NULL) with -errnum and a printf-style message; returns -errnum, so
 * callers can `return nl_error_set(...)`. errnum may be given either sign. */
int nl_error_set(struct nl_error *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* For the pure parsers and generators that still report through a `why`/`why_len` buffer:
 * writes the printf-style message there (why may be NULL) and returns -errnum (either sign). */
int why_set(char *why, size_t why_len, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
