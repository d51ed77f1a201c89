/* SPDX-License-Identifier: GPL-2.0 */
/* Model shim: mmap_lock wrappers with real ownership assertions. */
#ifndef _LINUX_MMAP_LOCK_H
#define _LINUX_MMAP_LOCK_H

#include <linux/mm_types.h>

static inline void mmap_read_lock(struct mm_struct *mm)
{
	down_read(&mm->mmap_lock);
}

static inline bool mmap_read_trylock(struct mm_struct *mm)
{
	return down_read_trylock(&mm->mmap_lock);
}

static inline void mmap_read_unlock(struct mm_struct *mm)
{
	up_read(&mm->mmap_lock);
}

static inline void mmap_write_lock(struct mm_struct *mm)
{
	down_write(&mm->mmap_lock);
}

static inline void mmap_write_unlock(struct mm_struct *mm)
{
	up_write(&mm->mmap_lock);
}

#define mmap_assert_locked(mm)	lockdep_assert_held(&(mm)->mmap_lock)
#define mmap_assert_write_locked(mm) \
	lockdep_assert_held_write(&(mm)->mmap_lock)

#endif /* _LINUX_MMAP_LOCK_H */
