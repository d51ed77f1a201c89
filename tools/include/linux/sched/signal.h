/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _LINUX_SCHED_SIGNAL_H
#define _LINUX_SCHED_SIGNAL_H

#include <linux/sched.h>

#define RLIMIT_MEMLOCK	8

/* Only RLIMIT_MEMLOCK is modelled; see <linux/sched.h>. */
static inline unsigned long rlimit(unsigned int limit)
{
	unsigned long v = READ_ONCE(current->memlock_limit);

	return limit == RLIMIT_MEMLOCK && v ? v : ~0UL;
}

#endif /* _LINUX_SCHED_SIGNAL_H */
