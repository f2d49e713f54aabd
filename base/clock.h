/*
 * clock — the one clock of vipd and its tools.
 *
 *   clock_boot_ns(), clock_boot_ms()  CLOCK_BOOTTIME: what elections decide on, what the event
 *                                     loop's timers and kubeclient's timers run on. It keeps
 *                                     counting while the machine is suspended, as the other
 *                                     candidates' clocks do, and never jumps with the wall clock.
 *   clock_wall_us()                   CLOCK_REALTIME, only for timestamps written for people or
 *                                     into records (log lines, a Lease's MicroTime). Never for
 *                                     deciding anything.
 *   clock_elapsed_s()                 seconds since an earlier clock_boot_ns(), for durations in
 *                                     log lines and coarse timeouts.
 *
 * Owns: reading the clocks. Must not touch: timers or waiting (loop/ does that), and any fake
 * clock (tests hand fake times to pure code as plain numbers).
 */
#ifndef VIPD_CLOCK_H
#define VIPD_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t clock_boot_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline int64_t clock_boot_ms(void)
{
	return clock_boot_ns() / 1000000;
}

static inline int64_t clock_wall_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static inline double clock_elapsed_s(int64_t since_boot_ns)
{
	return (double)(clock_boot_ns() - since_boot_ns) / 1e9;
}

#endif
