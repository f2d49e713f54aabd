/*
 * error.c — filling the one error carrier (see error.h).
 */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>

int nl_error_set(struct nl_error *err, int errnum, const char *fmt, ...)
{
	if (errnum < 0)
		errnum = -errnum;
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
		err->err = -errnum;
	}
	return -errnum;
}

int why_set(char *why, size_t why_len, int errnum, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (why && why_len)
		vsnprintf(why, why_len, fmt, ap);
	va_end(ap);
	return errnum < 0 ? errnum : -errnum;
}
