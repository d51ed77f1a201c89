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
#include <linux/kernel.h>

struct wait_queue_head {
	pthread_mutex_t mutex;
	pthread_cond_t cond;
};
typedef struct wait_queue_head wait_queue_head_t;

void init_waitqueue_head(struct wait_queue_head *wq);
void model_wait_lock(struct wait_queue_head *wq);
void model_wait_sleep(struct wait_queue_head *wq);
void model_wait_unlock(struct wait_queue_head *wq);
void wake_up_all(struct wait_queue_head *wq);
#define wake_up(wq)	wake_up_all(wq)

#define wait_event(wq, cond) do {					\
	might_sleep();							\
	model_wait_lock(&(wq));						\
	while (!(cond))							\
		model_wait_sleep(&(wq));				\
	model_wait_unlock(&(wq));					\
} while (0)

#endif /* _LINUX_WAIT_H */
