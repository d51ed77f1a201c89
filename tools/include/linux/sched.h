/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Model shim: each thread has a task_struct; current is the calling
 * thread's.  A test sets current->fatal_signal to simulate SIGKILL and
 * current->signal for any other pending signal; both start false.  A test
 * acting as a process sets current->mm to that process's mm.  Resource
 * limits: current->memlock_limit bytes of RLIMIT_MEMLOCK (0 means
 * unlimited, the default); current->no_cap_ipc_lock drops CAP_IPC_LOCK.
 */
#ifndef _LINUX_SCHED_H
#define _LINUX_SCHED_H

#include <linux/kernel.h>

struct mm_struct;

struct task_struct {
	struct mm_struct *mm;
	bool fatal_signal;
	bool signal;
	unsigned long memlock_limit;
	bool no_cap_ipc_lock;
};

struct task_struct *model_current(void);
#define current	model_current()

static inline bool fatal_signal_pending(struct task_struct *p)
{
	return READ_ONCE(p->fatal_signal);
}

static inline bool signal_pending(struct task_struct *p)
{
	return READ_ONCE(p->signal) || fatal_signal_pending(p);
}

#endif /* _LINUX_SCHED_H */
