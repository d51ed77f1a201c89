/* SPDX-License-Identifier: GPL-2.0 */
/* Model shim: jiffies is CLOCK_MONOTONIC in milliseconds (HZ == 1000). */
#ifndef _LINUX_JIFFIES_H
#define _LINUX_JIFFIES_H

#include <linux/types.h>

#define HZ	1000

unsigned long model_jiffies(void);
#define jiffies	model_jiffies()

static inline unsigned long msecs_to_jiffies(unsigned int ms)
{
	return ms;
}

static inline unsigned int jiffies_to_msecs(unsigned long j)
{
	return j;
}

#define time_after(a, b)	((long)((b) - (a)) < 0)
#define time_before(a, b)	time_after(b, a)
#define time_after_eq(a, b)	((long)((a) - (b)) >= 0)

#endif /* _LINUX_JIFFIES_H */
