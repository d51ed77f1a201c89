/* SPDX-License-Identifier: GPL-2.0 */
/* Model shim: sleeping mutex with an owner; mutex_lock() may sleep. */
#ifndef _LINUX_MUTEX_H
#define _LINUX_MUTEX_H

#include <pthread.h>
#include <linux/lockdep.h>

struct mutex {
	pthread_mutex_t mutex;
	unsigned int owner;	/* model_thread_id() of the holder, or 0 */
	const char *name;
};

#define __MUTEX_INITIALIZER(n)	{ PTHREAD_MUTEX_INITIALIZER, 0, #n }
#define DEFINE_MUTEX(n)		struct mutex n = __MUTEX_INITIALIZER(n)

void model_mutex_init(struct mutex *lock, const char *name);
void mutex_lock(struct mutex *lock);
bool mutex_trylock(struct mutex *lock);
void mutex_unlock(struct mutex *lock);
void mutex_destroy(struct mutex *lock);

#define mutex_init(l)		model_mutex_init(l, #l)

static inline bool mutex_is_locked(struct mutex *lock)
{
	return READ_ONCE(lock->owner) != 0;
}

#endif /* _LINUX_MUTEX_H */
