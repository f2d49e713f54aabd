/*
 * elector.c — the clocks every backend uses: BOOTTIME for decisions, REALTIME only for
 * timestamps written into records.
 */
#include "elector.h"

#include <time.h>

int64_t elector_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t elector_wall_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
