// SPDX-License-Identifier: GPL-2.0
/*
 * workqueue.c - workqueues of the model shim
 *
 * Each queue has its own pool of worker threads and one FIFO of pending
 * items under a mutex.  A worker takes the oldest item that no other
 * worker is running (so an item never runs twice at once), marks it not
 * pending and runs it with the mutex dropped; it records the item it runs
 * in its own slot, never in the item, which the function may free.  The
 * mutex is a plain pthread mutex, not a model lock: queue_work() may be
 * called under spinlocks, as in the kernel.
 */
#include <pthread.h>
#include <stdarg.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#define MODEL_WQ_DEFAULT_ACTIVE	4
#define MODEL_WQ_MAX_ACTIVE	16

struct workqueue_struct {
	pthread_mutex_t lock;
	pthread_cond_t more;		/* workers: an item or stop */
	pthread_cond_t idle;		/* waiters: an item finished */
	struct list_head queue;		/* pending items, oldest first */
	unsigned int nr_workers;
	pthread_t threads[MODEL_WQ_MAX_ACTIVE];
	struct work_struct *current_work[MODEL_WQ_MAX_ACTIVE];
	unsigned int active;		/* items running now */
	bool stopping;
	char name[32];
};

#define check_pthread(call) do {					\
	int __err = (call);						\
	if (__err)							\
		model_bug(__FILE__, __LINE__, #call " failed");		\
} while (0)

struct model_worker {
	struct workqueue_struct *wq;
	unsigned int slot;
};

static bool model_work_running(struct workqueue_struct *wq,
			       struct work_struct *work)
{
	unsigned int i;

	for (i = 0; i < wq->nr_workers; i++)
		if (wq->current_work[i] == work)
			return true;
	return false;
}

/* The oldest pending item no worker runs now, or NULL; lock held. */
static struct work_struct *model_wq_next(struct workqueue_struct *wq)
{
	struct work_struct *work;

	list_for_each_entry(work, &wq->queue, entry)
		if (!model_work_running(wq, work))
			return work;
	return NULL;
}

static void *model_worker_fn(void *arg)
{
	struct workqueue_struct *wq = ((struct model_worker *)arg)->wq;
	unsigned int slot = ((struct model_worker *)arg)->slot;
	struct work_struct *work;

	kfree(arg);
	check_pthread(pthread_mutex_lock(&wq->lock));
	for (;;) {
		work = model_wq_next(wq);
		if (!work) {
			if (wq->stopping && list_empty(&wq->queue))
				break;
			check_pthread(pthread_cond_wait(&wq->more, &wq->lock));
			continue;
		}
		list_del_init(&work->entry);
		work->pending = false;
		wq->current_work[slot] = work;
		wq->active++;
		check_pthread(pthread_mutex_unlock(&wq->lock));
		work->func(work);	/* may free or requeue @work */
		check_pthread(pthread_mutex_lock(&wq->lock));
		wq->current_work[slot] = NULL;
		wq->active--;
		/* Waiters, and workers that skipped an item running here. */
		check_pthread(pthread_cond_broadcast(&wq->idle));
		check_pthread(pthread_cond_broadcast(&wq->more));
	}
	check_pthread(pthread_mutex_unlock(&wq->lock));
	return NULL;
}

struct workqueue_struct *alloc_workqueue(const char *fmt, unsigned int flags,
					 int max_active, ...)
{
	struct workqueue_struct *wq = kzalloc(sizeof(*wq), GFP_KERNEL);
	unsigned int i;
	va_list ap;

	if (!wq)
		return NULL;
	va_start(ap, max_active);
	vsnprintf(wq->name, sizeof(wq->name), fmt, ap);
	va_end(ap);
	check_pthread(pthread_mutex_init(&wq->lock, NULL));
	check_pthread(pthread_cond_init(&wq->more, NULL));
	check_pthread(pthread_cond_init(&wq->idle, NULL));
	INIT_LIST_HEAD(&wq->queue);
	wq->nr_workers = max_active > 0 ? max_active : MODEL_WQ_DEFAULT_ACTIVE;
	if (wq->nr_workers > MODEL_WQ_MAX_ACTIVE)
		wq->nr_workers = MODEL_WQ_MAX_ACTIVE;
	for (i = 0; i < wq->nr_workers; i++) {
		struct model_worker *w = kmalloc(sizeof(*w), GFP_KERNEL);

		if (!w)
			model_bug(__FILE__, __LINE__, "no memory for a worker");
		w->wq = wq;
		w->slot = i;
		check_pthread(pthread_create(&wq->threads[i], NULL,
					     model_worker_fn, w));
	}
	return wq;
}

/* Drain: every item, also those queued by items, runs; then free. */
void destroy_workqueue(struct workqueue_struct *wq)
{
	unsigned int i;

	might_sleep();
	check_pthread(pthread_mutex_lock(&wq->lock));
	wq->stopping = true;
	check_pthread(pthread_cond_broadcast(&wq->more));
	check_pthread(pthread_mutex_unlock(&wq->lock));
	for (i = 0; i < wq->nr_workers; i++)
		check_pthread(pthread_join(wq->threads[i], NULL));
	check_pthread(pthread_cond_destroy(&wq->idle));
	check_pthread(pthread_cond_destroy(&wq->more));
	check_pthread(pthread_mutex_destroy(&wq->lock));
	kfree(wq);
}

bool queue_work(struct workqueue_struct *wq, struct work_struct *work)
{
	bool queued = false;

	check_pthread(pthread_mutex_lock(&wq->lock));
	if (wq->stopping && !wq->active)
		model_bug(__FILE__, __LINE__, "queue_work() on a dead queue");
	if (!work->pending) {
		work->pending = true;
		work->wq = wq;
		list_add_tail(&work->entry, &wq->queue);
		check_pthread(pthread_cond_signal(&wq->more));
		queued = true;
	}
	check_pthread(pthread_mutex_unlock(&wq->lock));
	return queued;
}

/* Wait while @work is (pending, if @pending, or) running; lock held. */
static bool model_work_wait(struct workqueue_struct *wq,
			    struct work_struct *work, bool pending)
{
	bool waited = false;

	while ((pending && work->pending) || model_work_running(wq, work)) {
		waited = true;
		check_pthread(pthread_cond_wait(&wq->idle, &wq->lock));
	}
	return waited;
}

bool cancel_work_sync(struct work_struct *work)
{
	struct workqueue_struct *wq = work->wq;
	bool was_pending = false;

	might_sleep();
	if (!wq)
		return false;
	check_pthread(pthread_mutex_lock(&wq->lock));
	if (work->pending) {
		list_del_init(&work->entry);
		work->pending = false;
		was_pending = true;
	}
	model_work_wait(wq, work, false);
	check_pthread(pthread_mutex_unlock(&wq->lock));
	return was_pending;
}

bool flush_work(struct work_struct *work)
{
	struct workqueue_struct *wq = work->wq;
	bool waited;

	might_sleep();
	if (!wq)
		return false;
	check_pthread(pthread_mutex_lock(&wq->lock));
	waited = model_work_wait(wq, work, true);
	check_pthread(pthread_mutex_unlock(&wq->lock));
	return waited;
}

void flush_workqueue(struct workqueue_struct *wq)
{
	might_sleep();
	check_pthread(pthread_mutex_lock(&wq->lock));
	while (!list_empty(&wq->queue) || wq->active)
		check_pthread(pthread_cond_wait(&wq->idle, &wq->lock));
	check_pthread(pthread_mutex_unlock(&wq->lock));
}

bool work_pending(struct work_struct *work)
{
	return READ_ONCE(work->pending);
}
