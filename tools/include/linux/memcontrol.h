/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Model shim: memory cgroups.  The model has none: every mm belongs to
 * the root (NULL), so a charging scope of set_active_memcg() (in
 * <linux/sched/mm.h>) changes nothing and __GFP_ACCOUNT is ignored.
 */
#ifndef _LINUX_MEMCONTROL_H
#define _LINUX_MEMCONTROL_H

struct mm_struct;
struct mem_cgroup;

static inline struct mem_cgroup *get_mem_cgroup_from_mm(struct mm_struct *mm)
{
	return NULL;
}

static inline void mem_cgroup_put(struct mem_cgroup *memcg)
{
}

#endif /* _LINUX_MEMCONTROL_H */
