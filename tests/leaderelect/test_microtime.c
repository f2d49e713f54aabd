/*
 * test_microtime.c — MicroTime formatting and parsing: the exact text client-go writes, and
 * what it accepts from others.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "microtime.h"

Test(microtime, formats_utc_with_six_digits)
{
	char buf[MICROTIME_STRLEN];
	cr_assert_eq(microtime_format(0, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "1970-01-01T00:00:00.000000Z");
	/* 2026-11-24T10:00:00.123456Z */
	cr_assert_eq(microtime_format(1795514400123456LL, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "2026-11-24T10:00:00.123456Z");
	cr_assert_eq(microtime_format(-1, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "1969-12-31T23:59:59.999999Z");
	cr_assert_eq(microtime_format(951782400000000LL, buf, sizeof(buf)), 0); /* leap day */
	cr_assert_str_eq(buf, "2000-02-29T00:00:00.000000Z");
}

Test(microtime, format_rejects_out_of_range_and_short_buffers)
{
	char buf[MICROTIME_STRLEN];
	cr_assert_eq(microtime_format(INT64_MAX, buf, sizeof(buf)), -ERANGE);
	cr_assert_eq(microtime_format(INT64_MIN, buf, sizeof(buf)), -ERANGE);
	cr_assert_eq(microtime_format(0, buf, 10), -ERANGE);
}

Test(microtime, parses_what_it_formats)
{
	int64_t vals[] = {0,
			  1,
			  999999,
			  1795514400123456LL,
			  -1,
			  951782400000000LL,
			  253402300799999999LL,
			  -62135596800000000LL};
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		char buf[MICROTIME_STRLEN];
		int64_t back = 42;
		cr_assert_eq(microtime_format(vals[i], buf, sizeof(buf)), 0);
		cr_assert_eq(microtime_parse(buf, &back), 0, "%s", buf);
		cr_assert_eq(back, vals[i], "%s", buf);
	}
}

Test(microtime, parses_rfc3339_variants)
{
	int64_t us;
	cr_assert_eq(microtime_parse("2026-11-24T10:00:00Z", &us), 0);
	cr_assert_eq(us, 1795514400000000LL);
	cr_assert_eq(microtime_parse("2026-11-24T10:00:00.5Z", &us), 0);
	cr_assert_eq(us, 1795514400500000LL);
	cr_assert_eq(microtime_parse("2026-11-24T10:00:00.123456789Z", &us), 0); /* truncated */
	cr_assert_eq(us, 1795514400123456LL);
	cr_assert_eq(microtime_parse("2026-11-24T11:30:00.000001+01:30", &us), 0);
	cr_assert_eq(us, 1795514400000001LL);
	cr_assert_eq(microtime_parse("2026-11-24T08:00:00-02:00", &us), 0);
	cr_assert_eq(us, 1795514400000000LL);
	cr_assert_eq(microtime_parse("2026-11-24t10:00:00z", &us), 0);
}

Test(microtime, rejects_garbage)
{
	const char *bad[] = {"",
			     "2026-11-24",
			     "2026-11-24T10:00:00",
			     "2026-11-24T10:00:00.Z",
			     "2026-11-24T10:00:00.1234567890Z",
			     "2026-13-24T10:00:00Z",
			     "2026-02-29T10:00:00Z",
			     "2026-11-31T10:00:00Z",
			     "2026-11-24T24:00:00Z",
			     "2026-11-24T10:60:00Z",
			     "2026-11-24T10:00:60Z",
			     "2026-11-24T10:00:00+25:00",
			     "2026-11-24T10:00:00Zjunk",
			     "0000-01-01T00:00:00Z",
			     "20261124T100000Z",
			     " 2026-11-24T10:00:00Z"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t us;
		cr_assert_eq(microtime_parse(bad[i], &us), -EINVAL, "accepted \"%s\"", bad[i]);
	}
}

Test(microtime, length_delimited_needs_no_nul)
{
	const char text[] = "2026-11-24T10:00:00.000000Zxxxx";
	int64_t us;
	cr_assert_eq(microtime_parse_n(text, 27, &us), 0);
	cr_assert_eq(us, 1795514400000000LL);
	cr_assert_eq(microtime_parse_n(text, 26, &us), -EINVAL);
}
