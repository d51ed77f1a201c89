/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Model shim: each thread has a task_struct; current is the calling
 * thread's.  A test sets current->fatal_signal to simulate SIGKILL.
 */
#ifndef _LINUX_SCHED_H
#define _LINUX_SCHED_H

#include <linux/kernel.h>

struct mm_struct;

struct task_struct {
	struct mm_struct *mm;
	bool fatal_signal;
};

struct task_struct *model_current(void);
#define current	model_current()

static inline bool fatal_signal_pending(struct task_struct *p)
{
	return READ_ONCE(p->fatal_signal);
}

#endif /* _LINUX_SCHED_H */
