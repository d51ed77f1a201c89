/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Model shim: mm reference counting.  mm_users counts users of the
 * address space; the last mmput() runs exit_mmap() (which calls the MMU
 * notifier release) and drops the users' mm_count reference.  mm_count
 * keeps the structure; the last mmdrop() frees it.
 */
#ifndef _LINUX_SCHED_MM_H
#define _LINUX_SCHED_MM_H

#include <linux/mm_types.h>
#include <linux/sched.h>

void mmput(struct mm_struct *mm);
void mmdrop(struct mm_struct *mm);

static inline void mmgrab(struct mm_struct *mm)
{
	atomic_inc(&mm->mm_count);
}

static inline void mmget(struct mm_struct *mm)
{
	atomic_inc(&mm->mm_users);
}

static inline bool mmget_not_zero(struct mm_struct *mm)
{
	return atomic_inc_not_zero(&mm->mm_users);
}

struct mem_cgroup;

/* No memory cgroups in the model (<linux/memcontrol.h>): no scope. */
static inline struct mem_cgroup *set_active_memcg(struct mem_cgroup *memcg)
{
	return NULL;
}

#endif /* _LINUX_SCHED_MM_H */
