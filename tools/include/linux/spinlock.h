/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Model shim: spinlock_t on a pthread mutex with an owner.  Interrupts do
 * not exist in the model, so the _irq and _irqsave variants are plain.
 * Taking a spinlock twice, or releasing one the thread does not hold,
 * aborts.  A test may have the hold times of one lock measured
 * (model_spin_hold_track() in <model/shim.h>).
 */
#ifndef _LINUX_SPINLOCK_H
#define _LINUX_SPINLOCK_H

#include <pthread.h>
#include <linux/lockdep.h>

struct model_lock_hold;

typedef struct spinlock {
	pthread_mutex_t mutex;
	unsigned int owner;	/* model_thread_id() of the holder, or 0 */
	const char *name;
	/* Hold-time tracking; both changed only by the holder. */
	struct model_lock_hold *hold;	/* where to account, or NULL */
	u64 since_ns;			/* when the holder took it */
} spinlock_t;

#define __SPIN_LOCK_UNLOCKED(n)	{ .mutex = PTHREAD_MUTEX_INITIALIZER, \
				  .name = #n }
#define DEFINE_SPINLOCK(n)	spinlock_t n = __SPIN_LOCK_UNLOCKED(n)

void model_spin_init(spinlock_t *lock, const char *name);
void spin_lock(spinlock_t *lock);
bool spin_trylock(spinlock_t *lock);
void spin_unlock(spinlock_t *lock);

#define spin_lock_init(l)	model_spin_init(l, #l)

static inline bool spin_is_locked(spinlock_t *lock)
{
	return READ_ONCE(lock->owner) != 0;
}

#define assert_spin_locked(l)	lockdep_assert_held(l)
#define spin_lock_irq(l)	spin_lock(l)
#define spin_unlock_irq(l)	spin_unlock(l)
#define spin_lock_bh(l)		spin_lock(l)
#define spin_unlock_bh(l)	spin_unlock(l)
#define spin_lock_irqsave(l, f)	do { (f) = 0; spin_lock(l); } while (0)
#define spin_unlock_irqrestore(l, f) do { (void)(f); spin_unlock(l); } while (0)

#endif /* _LINUX_SPINLOCK_H */
