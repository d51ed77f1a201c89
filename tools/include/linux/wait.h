/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Model shim: wait queues on a mutex and condition variable.  A waker
 * changes the condition first and then calls wake_up_all(), which takes
 * the queue mutex; a waiter tests the condition with that mutex held, so
 * no wakeup is lost.
 */
#ifndef _LINUX_WAIT_H
#define _LINUX_WAIT_H

#include <pthread.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/sched.h>

#ifndef ERESTARTSYS
#define ERESTARTSYS	512
#endif

struct wait_queue_head {
	pthread_mutex_t mutex;
	pthread_cond_t cond;
};
typedef struct wait_queue_head wait_queue_head_t;

void init_waitqueue_head(struct wait_queue_head *wq);
void model_wait_lock(struct wait_queue_head *wq);
void model_wait_sleep(struct wait_queue_head *wq);
void model_wait_unlock(struct wait_queue_head *wq);
/* Sleep at most @ms milliseconds (less when woken); queue mutex held. */
void model_wait_sleep_ms(struct wait_queue_head *wq, unsigned long ms);
void wake_up_all(struct wait_queue_head *wq);
#define wake_up(wq)	wake_up_all(wq)

#define wait_event(wq, cond) do {					\
	might_sleep();							\
	model_wait_lock(&(wq));						\
	while (!(cond))							\
		model_wait_sleep(&(wq));				\
	model_wait_unlock(&(wq));					\
} while (0)

/*
 * The kernel's return values: 0 when @timeout jiffies passed with @cond
 * false, at least 1 when @cond became true (the jiffies left), and
 * -ERESTARTSYS when a signal is pending (the model's current->signal or
 * fatal_signal: there are no wakeups for them, so the sleep is sliced).
 */
#define wait_event_interruptible_timeout(wq, cond, timeout) ({		\
	unsigned long __end = jiffies + (timeout);			\
	long __ret = 0;							\
									\
	might_sleep();							\
	model_wait_lock(&(wq));						\
	for (;;) {							\
		long __left = (long)(__end - jiffies);			\
									\
		if (cond) {						\
			__ret = __left > 0 ? __left : 1;		\
			break;						\
		}							\
		if (signal_pending(current)) {				\
			__ret = -ERESTARTSYS;				\
			break;						\
		}							\
		if (__left <= 0)					\
			break;						\
		model_wait_sleep_ms(&(wq), __left < 10 ? __left : 10);	\
	}								\
	model_wait_unlock(&(wq));					\
	__ret;								\
})

#endif /* _LINUX_WAIT_H */
