/* SPDX-License-Identifier: GPL-2.0 */
/*
 * model/shim.h - test-facing knobs and counters of the kernel-API shim
 *
 * Not a kernel header: only model tests and model infrastructure include
 * it.
 */
#ifndef _MODEL_SHIM_H
#define _MODEL_SHIM_H

#include <linux/types.h>

/* Slab (tools/lib/model/slab.c). */
long model_slab_live(void);
unsigned long model_slab_attempts(void);
void model_slab_fail_nth(unsigned long nth);

/* Warnings (tools/lib/model/bug.c). */
unsigned long model_warn_count(void);
void model_warn_reset(void);

/* Modules (tools/lib/model/module.c). */
int model_modules_init(void);
void model_modules_exit(void);

/*
 * Debugfs (tools/lib/model/debugfs.c): render a file such as
 * "mmu_mirror/x-1/stats".  Returns a malloc()ed string the caller frees,
 * or NULL if there is no such file.
 */
char *model_debugfs_read(const char *path);
/* Path of the first file whose path starts with @prefix, or NULL. */
char *model_debugfs_find(const char *prefix);
/*
 * Call @fn with the private data of every file "@dir/<subdir>/@file",
 * under the tree lock: the data cannot be removed while @fn runs, and @fn
 * must not touch debugfs.  A @file ending in '*' matches every name that
 * starts with what precedes it.  With @nowait, returns false at once
 * instead of waiting when the tree is busy.
 */
bool model_debugfs_for_each(const char *dir, const char *file, bool nowait,
			    void (*fn)(void *data, void *arg), void *arg);

/*
 * User copies (tools/lib/model/uaccess.c): fail the Nth copy_from_user()
 * or copy_to_user() from now on with a fault; 0 turns the knob off.
 */
void model_uaccess_fail_nth(unsigned long nth);

/*
 * Locking (tools/lib/model/locking.c).  model_locks_held() counts the
 * spinlocks, mutexes and rw_semaphores the calling thread holds (SRCU and
 * RCU read sections are not locks); model_locks_print() prints their names,
 * one line each, after @prefix.
 */
unsigned int model_locks_held(void);
void model_locks_print(const char *prefix);
/* False while the thread holds a spinlock or is in non_block_start(). */
bool model_may_sleep(void);

/**
 * struct model_lock_hold - hold times of one tracked spinlock
 * @max_ns: longest single hold
 * @total_ns: all holds together
 * @holds: number of holds
 * @samples: NULL, or room for @max_samples hold times: each hold's time
 *	is stored there, in order, while room is left (for percentiles)
 * @max_samples: size of @samples
 *
 * Filled by every spin_unlock() of a lock tracked with
 * model_spin_hold_track(); read with model_lock_hold_max_ns().  Times are
 * the holder's CPU time (model_thread_cpu_ns()), so a hold does not grow
 * when the host preempts the holder, as a kernel spinlock holder is not
 * preempted.  The first @max_samples holds after a reset land in
 * @samples[0..min(@holds, @max_samples)).
 */
struct model_lock_hold {
	u64 max_ns;
	u64 total_ns;
	u64 holds;
	u64 *samples;
	u64 max_samples;
};

struct spinlock;
u64 model_thread_cpu_ns(void);
void model_spin_hold_track(struct spinlock *lock,
			   struct model_lock_hold *hold);
void model_lock_hold_reset(struct model_lock_hold *hold);
u64 model_lock_hold_max_ns(struct model_lock_hold *hold);

#endif /* _MODEL_SHIM_H */
