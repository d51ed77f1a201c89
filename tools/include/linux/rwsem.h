/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Model shim: rw_semaphore on a pthread rwlock.  The writer is recorded;
 * readers are known to the per-thread held-lock stacks, so
 * lockdep_assert_held() works for both modes.  Unlike the kernel's rwsem,
 * glibc's rwlock lets new readers pass a waiting writer.
 */
#ifndef _LINUX_RWSEM_H
#define _LINUX_RWSEM_H

#include <pthread.h>
#include <linux/lockdep.h>

struct rw_semaphore {
	pthread_rwlock_t rwlock;
	unsigned int writer;	/* model_thread_id() of the writer, or 0 */
	int readers;		/* number of read holders */
	const char *name;
};

#define __RWSEM_INITIALIZER(n)	{ PTHREAD_RWLOCK_INITIALIZER, 0, 0, #n }
#define DECLARE_RWSEM(n)	struct rw_semaphore n = __RWSEM_INITIALIZER(n)

void model_rwsem_init(struct rw_semaphore *sem, const char *name);
void down_read(struct rw_semaphore *sem);
bool down_read_trylock(struct rw_semaphore *sem);
void up_read(struct rw_semaphore *sem);
void down_write(struct rw_semaphore *sem);
bool down_write_trylock(struct rw_semaphore *sem);
void up_write(struct rw_semaphore *sem);

#define init_rwsem(s)		model_rwsem_init(s, #s)

static inline bool rwsem_is_locked(struct rw_semaphore *sem)
{
	return READ_ONCE(sem->writer) || READ_ONCE(sem->readers);
}

#endif /* _LINUX_RWSEM_H */
