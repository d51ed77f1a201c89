/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Model shim: workqueues on a pool of pthreads per queue
 * (tools/lib/model/workqueue.c), with the kernel's guarantees that the
 * shared code relies on:
 *
 *  - queue_work() on a pending item does nothing and returns false; on a
 *    running one it queues the item again, to run once more after;
 *  - an item never runs on two workers at once (the kernel's
 *    non-reentrancy for one workqueue);
 *  - cancel_work_sync() takes a pending item off the queue (returns true
 *    then) and waits for a running one; flush_work() waits for the item
 *    to be idle; flush_workqueue() and destroy_workqueue() wait for every
 *    item queued before the call (the model's flush_workqueue() waits
 *    until the queue is empty and idle, which is stronger).
 *
 * Workers are model threads of their own: current->mm is NULL there, as
 * in a kworker.  WQ_* flags are accepted and ignored (every queue is
 * unbound); max_active workers run at once (4 for 0).
 */
#ifndef _LINUX_WORKQUEUE_H
#define _LINUX_WORKQUEUE_H

#include <linux/kernel.h>
#include <linux/list.h>

struct work_struct;
struct workqueue_struct;
typedef void (*work_func_t)(struct work_struct *work);

/*
 * Whether an item is running is known to its queue's workers, not kept
 * in the item: a work function may free its own item.
 */
struct work_struct {
	struct list_head entry;		/* in the queue while pending */
	work_func_t func;
	struct workqueue_struct *wq;	/* where it was last queued */
	bool pending;			/* under wq's lock */
};

#define INIT_WORK(w, f) do {						\
	INIT_LIST_HEAD(&(w)->entry);					\
	(w)->func = (f);						\
	(w)->wq = NULL;							\
	(w)->pending = false;						\
} while (0)

#define WQ_UNBOUND		0x2U
#define WQ_FREEZABLE		0x4U
#define WQ_MEM_RECLAIM		0x8U
#define WQ_HIGHPRI		0x10U

struct workqueue_struct *alloc_workqueue(const char *fmt, unsigned int flags,
					 int max_active, ...);
void destroy_workqueue(struct workqueue_struct *wq);
bool queue_work(struct workqueue_struct *wq, struct work_struct *work);
bool cancel_work_sync(struct work_struct *work);
bool flush_work(struct work_struct *work);
void flush_workqueue(struct workqueue_struct *wq);
bool work_pending(struct work_struct *work);

#endif /* _LINUX_WORKQUEUE_H */
