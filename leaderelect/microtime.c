/*
 * microtime.c — MicroTime text <-> microseconds, with our own calendar arithmetic so that the
 * result never depends on the process's time zone (no mktime/TZ).
 */
#include "microtime.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (Howard Hinnant's
 * days_from_civil algorithm). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static bool is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
	static const unsigned dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Smallest and largest instants we format: 0001-01-01 and 9999-12-31T23:59:59.999999. */
#define MIN_US (-62135596800LL * 1000000)
#define MAX_US (253402300800LL * 1000000 - 1)

int microtime_format(int64_t us, char *buf, size_t len)
{
	if (us < MIN_US || us > MAX_US || len < MICROTIME_STRLEN)
		return -ERANGE;
	int64_t secs = us / 1000000, frac = us % 1000000;
	if (frac < 0) {
		frac += 1000000;
		secs--;
	}
	int64_t days = secs / 86400, sod = secs % 86400;
	if (sod < 0) {
		sod += 86400;
		days--;
	}
	int64_t y;
	unsigned m, d;
	civil_from_days(days, &y, &m, &d);
	snprintf(buf, len, "%04d-%02u-%02uT%02d:%02d:%02d.%06dZ", (int)y, m, d, (int)(sod / 3600),
		 (int)(sod / 60 % 60), (int)(sod % 60), (int)frac);
	return 0;
}

/* Reads exactly `n` digits at *p; advances. */
static bool digits(const char **p, const char *end, int n, unsigned *out)
{
	unsigned v = 0;
	for (int i = 0; i < n; i++) {
		if (*p >= end || **p < '0' || **p > '9')
			return false;
		v = v * 10 + (unsigned)(**p - '0');
		(*p)++;
	}
	*out = v;
	return true;
}

static bool lit(const char **p, const char *end, char a, char b)
{
	if (*p >= end || (**p != a && **p != b))
		return false;
	(*p)++;
	return true;
}

int microtime_parse_n(const char *text, size_t n, int64_t *us)
{
	const char *p = text, *end = text + n;
	unsigned y, mo, d, h, mi, s;
	if (!digits(&p, end, 4, &y) || !lit(&p, end, '-', '-') || !digits(&p, end, 2, &mo) ||
	    !lit(&p, end, '-', '-') || !digits(&p, end, 2, &d) || !lit(&p, end, 'T', 't') ||
	    !digits(&p, end, 2, &h) || !lit(&p, end, ':', ':') || !digits(&p, end, 2, &mi) ||
	    !lit(&p, end, ':', ':') || !digits(&p, end, 2, &s))
		return -EINVAL;
	if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 ||
	    s > 59)
		return -EINVAL;
	int64_t frac = 0;
	if (p < end && (*p == '.' || *p == ',')) {
		p++;
		int nd = 0;
		while (p < end && *p >= '0' && *p <= '9') {
			if (nd < 6)
				frac = frac * 10 + (*p - '0');
			nd++;
			p++;
		}
		if (nd == 0 || nd > 9)
			return -EINVAL;
		for (int i = nd; i < 6; i++)
			frac *= 10;
	}
	int64_t offset = 0;
	if (lit(&p, end, 'Z', 'z')) {
		offset = 0;
	} else if (p < end && (*p == '+' || *p == '-')) {
		int sign = *p == '-' ? -1 : 1;
		unsigned oh, om;
		p++;
		if (!digits(&p, end, 2, &oh) || !lit(&p, end, ':', ':') ||
		    !digits(&p, end, 2, &om) || oh > 23 || om > 59)
			return -EINVAL;
		offset = sign * (int64_t)(oh * 3600 + om * 60);
	} else {
		return -EINVAL;
	}
	if (p != end)
		return -EINVAL;
	int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offset;
	*us = secs * 1000000 + frac;
	return 0;
}

int microtime_parse(const char *text, int64_t *us)
{
	return microtime_parse_n(text, strlen(text), us);
}
