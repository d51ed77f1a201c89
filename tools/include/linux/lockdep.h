/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Model shim: lockdep-lite.  Each thread keeps the stack of locks it holds
 * (tools/lib/model/locking.c).  lockdep_assert_held() checks that the
 * *calling thread* holds the lock and counts a warning otherwise;
 * might_sleep() aborts when the thread holds a spinlock or is inside a
 * non-blockable section.  Lock classes and ordering are not checked yet.
 */
#ifndef _LINUX_LOCKDEP_H
#define _LINUX_LOCKDEP_H

#include <linux/kernel.h>

enum model_lock_mode {
	MODEL_LOCK_SPIN,	/* spinlock_t: sleeping forbidden */
	MODEL_LOCK_SLEEP,	/* mutex, rwsem for write */
	MODEL_LOCK_SHARED,	/* rwsem for read */
};

void model_lock_acquire(const void *lock, enum model_lock_mode mode,
			const char *name);
void model_lock_release(const void *lock);
bool model_lock_held(const void *lock);
bool model_lock_held_exclusive(const void *lock);
unsigned int model_thread_id(void);
void model_lockdep_failed(const char *what, const char *file, int line);

#define lockdep_assert_held(l) do {					\
	if (!model_lock_held(l))					\
		model_lockdep_failed(#l " not held", __FILE__, __LINE__); \
} while (0)

#define lockdep_assert_held_write(l) do {				\
	if (!model_lock_held_exclusive(l))				\
		model_lockdep_failed(#l " not held for write",		\
				     __FILE__, __LINE__);		\
} while (0)

#define lockdep_assert_held_read(l) do {				\
	if (!model_lock_held(l) || model_lock_held_exclusive(l))	\
		model_lockdep_failed(#l " not held for read",		\
				     __FILE__, __LINE__);		\
} while (0)

#define lockdep_assert_not_held(l) do {					\
	if (model_lock_held(l))						\
		model_lockdep_failed(#l " held", __FILE__, __LINE__);	\
} while (0)

#define might_lock(l)		do { } while (0)
#define lock_map_acquire(m)	do { } while (0)
#define lock_map_release(m)	do { } while (0)

#endif /* _LINUX_LOCKDEP_H */
