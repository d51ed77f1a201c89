// SPDX-License-Identifier: GPL-2.0
/*
 * locking.c - locks, lockdep-lite, wait queues, current and jiffies of
 * the model shim
 *
 * Each thread keeps a stack of the locks it holds.  lockdep_assert_held()
 * looks the lock up there, so it checks the calling thread, not just
 * "somebody".  might_sleep() aborts if the stack holds a spinlock or the
 * thread is inside non_block_start()/non_block_end().  SRCU and RCU read
 * sections are not locks and are not on the stack.
 *
 * A spinlock can have its hold times measured: model_spin_hold_track()
 * points it at a struct model_lock_hold, and every unlock accounts the
 * holder's CPU time since the matching lock there.
 */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <time.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <model/shim.h>

#define MODEL_MAX_HELD	48

struct held_lock {
	const void *lock;
	enum model_lock_mode mode;
	const char *name;
};

struct model_thread {
	unsigned int id;
	unsigned int nr_held;
	unsigned int spin_depth;
	unsigned int non_block_depth;
	struct held_lock held[MODEL_MAX_HELD];
	struct task_struct task;
};

static __thread struct model_thread self;
static unsigned int next_thread_id;

#define check_pthread(call) do {					\
	int __err = (call);						\
	if (__err)							\
		model_bug(__FILE__, __LINE__, #call " failed");		\
} while (0)

unsigned int model_thread_id(void)
{
	if (!self.id)
		self.id = __atomic_add_fetch(&next_thread_id, 1,
					     __ATOMIC_RELAXED);
	return self.id;
}

struct task_struct *model_current(void)
{
	return &self.task;
}

static void dump_held(void)
{
	unsigned int i;

	for (i = 0; i < self.nr_held; i++)
		fprintf(stderr, "#   held: %s\n", self.held[i].name);
}

void model_lock_acquire(const void *lock, enum model_lock_mode mode,
			const char *name)
{
	if (self.nr_held == MODEL_MAX_HELD)
		model_bug(__FILE__, __LINE__, "too many locks held");
	self.held[self.nr_held++] = (struct held_lock){ lock, mode, name };
	if (mode == MODEL_LOCK_SPIN)
		self.spin_depth++;
}

void model_lock_release(const void *lock)
{
	unsigned int i;

	for (i = self.nr_held; i-- > 0;) {
		if (self.held[i].lock != lock)
			continue;
		if (self.held[i].mode == MODEL_LOCK_SPIN)
			self.spin_depth--;
		memmove(&self.held[i], &self.held[i + 1],
			(self.nr_held - i - 1) * sizeof(self.held[0]));
		self.nr_held--;
		return;
	}
	model_bug(__FILE__, __LINE__, "releasing a lock this thread does not hold");
}

static struct held_lock *find_held(const void *lock)
{
	unsigned int i;

	for (i = self.nr_held; i-- > 0;)
		if (self.held[i].lock == lock)
			return &self.held[i];
	return NULL;
}

bool model_lock_held(const void *lock)
{
	return find_held(lock) != NULL;
}

bool model_lock_held_exclusive(const void *lock)
{
	struct held_lock *h = find_held(lock);

	return h && h->mode != MODEL_LOCK_SHARED;
}

/**
 * model_locks_held() - how many locks the calling thread holds
 *
 * Spinlocks, mutexes and rw_semaphores (either mode) count; SRCU and RCU
 * read sections do not.
 *
 * Context: any.
 * Return: the number of locks on the thread's held-lock stack.
 */
unsigned int model_locks_held(void)
{
	return self.nr_held;
}

/**
 * model_locks_print() - print the calling thread's held locks
 * @prefix: printed before each lock name (e.g. "# held: ")
 *
 * Context: any; prints to stdout, innermost lock last.
 */
void model_locks_print(const char *prefix)
{
	unsigned int i;

	for (i = 0; i < self.nr_held; i++)
		printf("%s%s\n", prefix, self.held[i].name);
}

void model_lockdep_failed(const char *what, const char *file, int line)
{
	model_warn(file, line, what);
	dump_held();
}

void might_sleep(void)
{
	if (!self.spin_depth && !self.non_block_depth)
		return;
	fprintf(stderr, "# BUG: sleeping function called from %s context\n",
		self.spin_depth ? "spinlock" : "non-blockable");
	dump_held();
	fflush(NULL);
	abort();
}

bool model_may_sleep(void)
{
	return !self.spin_depth && !self.non_block_depth;
}

void might_fault(void)
{
	might_sleep();
}

void non_block_start(void)
{
	self.non_block_depth++;
}

void non_block_end(void)
{
	if (!self.non_block_depth)
		model_bug(__FILE__, __LINE__, "unbalanced non_block_end()");
	self.non_block_depth--;
}

void cond_resched(void)
{
	might_sleep();
	sched_yield();
}

/* Spinlocks and mutexes share the owner bookkeeping. */
static void owned_lock(pthread_mutex_t *m, unsigned int *owner,
		       const void *lock, enum model_lock_mode mode,
		       const char *name)
{
	unsigned int me = model_thread_id();

	if (READ_ONCE(*owner) == me) {
		fprintf(stderr, "# BUG: recursive locking of %s\n", name);
		dump_held();
		abort();
	}
	check_pthread(pthread_mutex_lock(m));
	WRITE_ONCE(*owner, me);
	model_lock_acquire(lock, mode, name);
}

static bool owned_trylock(pthread_mutex_t *m, unsigned int *owner,
			  const void *lock, enum model_lock_mode mode,
			  const char *name)
{
	int err = pthread_mutex_trylock(m);

	if (err == EBUSY)
		return false;
	check_pthread(err);
	WRITE_ONCE(*owner, model_thread_id());
	model_lock_acquire(lock, mode, name);
	return true;
}

static void owned_unlock(pthread_mutex_t *m, unsigned int *owner,
			 const void *lock, const char *name)
{
	if (READ_ONCE(*owner) != model_thread_id()) {
		fprintf(stderr, "# BUG: %s released by a non-owner\n", name);
		abort();
	}
	model_lock_release(lock);
	WRITE_ONCE(*owner, 0);
	check_pthread(pthread_mutex_unlock(m));
}

/**
 * model_thread_cpu_ns() - CPU time the calling thread has used
 *
 * Hold times are measured with it: a kernel spinlock holder cannot be
 * preempted, so time the host scheduler gave to other threads meanwhile
 * is not part of a hold.
 *
 * Context: any.
 * Return: nanoseconds.
 */
u64 model_thread_cpu_ns(void)
{
	struct timespec ts;

	check_pthread(clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts));
	return (u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

void model_spin_init(spinlock_t *lock, const char *name)
{
	check_pthread(pthread_mutex_init(&lock->mutex, NULL));
	lock->owner = 0;
	lock->name = name;
	lock->hold = NULL;
	lock->since_ns = 0;
}

/* The lock was just taken: start timing the hold if it is tracked. */
static void spin_hold_begin(spinlock_t *lock)
{
	if (lock->hold)
		lock->since_ns = model_thread_cpu_ns();
}

/* The lock is about to be released: account the hold. */
static void spin_hold_end(spinlock_t *lock)
{
	struct model_lock_hold *hold = lock->hold;
	u64 ns, max, n;

	if (!hold)
		return;
	ns = model_thread_cpu_ns() - lock->since_ns;
	__atomic_add_fetch(&hold->total_ns, ns, __ATOMIC_RELAXED);
	n = __atomic_fetch_add(&hold->holds, 1, __ATOMIC_RELAXED);
	if (hold->samples && n < hold->max_samples)
		hold->samples[n] = ns;
	max = __atomic_load_n(&hold->max_ns, __ATOMIC_RELAXED);
	while (ns > max &&
	       !__atomic_compare_exchange_n(&hold->max_ns, &max, ns, false,
					    __ATOMIC_RELAXED,
					    __ATOMIC_RELAXED))
		;
}

void spin_lock(spinlock_t *lock)
{
	owned_lock(&lock->mutex, &lock->owner, lock, MODEL_LOCK_SPIN,
		   lock->name);
	spin_hold_begin(lock);
}

bool spin_trylock(spinlock_t *lock)
{
	if (!owned_trylock(&lock->mutex, &lock->owner, lock,
			   MODEL_LOCK_SPIN, lock->name))
		return false;
	spin_hold_begin(lock);
	return true;
}

void spin_unlock(spinlock_t *lock)
{
	spin_hold_end(lock);
	owned_unlock(&lock->mutex, &lock->owner, lock, lock->name);
}

/**
 * model_spin_hold_track() - measure how long a spinlock is held
 * @lock: the lock
 * @hold: where every later hold of @lock is accounted, or NULL to stop;
 *	it must outlive the tracking, and may outlive @lock itself (the
 *	figures stay readable after the lock's owner freed it)
 *
 * Context: process context, @lock not held by the caller; takes @lock.
 */
void model_spin_hold_track(spinlock_t *lock, struct model_lock_hold *hold)
{
	spin_lock(lock);
	lock->hold = hold;
	lock->since_ns = model_thread_cpu_ns();
	/* With tracking on, this short hold is the first one accounted. */
	spin_unlock(lock);
}

/**
 * model_lock_hold_reset() - forget the holds accounted so far
 * @hold: the figures
 *
 * Context: any; no tracked lock may be held meanwhile.
 */
void model_lock_hold_reset(struct model_lock_hold *hold)
{
	__atomic_store_n(&hold->max_ns, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&hold->total_ns, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&hold->holds, 0, __ATOMIC_RELAXED);
}

/**
 * model_lock_hold_max_ns() - the longest hold accounted
 * @hold: the figures
 *
 * Context: any.
 * Return: nanoseconds.
 */
u64 model_lock_hold_max_ns(struct model_lock_hold *hold)
{
	return __atomic_load_n(&hold->max_ns, __ATOMIC_RELAXED);
}

void model_mutex_init(struct mutex *lock, const char *name)
{
	check_pthread(pthread_mutex_init(&lock->mutex, NULL));
	lock->owner = 0;
	lock->name = name;
}

void mutex_lock(struct mutex *lock)
{
	might_sleep();
	owned_lock(&lock->mutex, &lock->owner, lock, MODEL_LOCK_SLEEP,
		   lock->name);
}

bool mutex_trylock(struct mutex *lock)
{
	return owned_trylock(&lock->mutex, &lock->owner, lock,
			     MODEL_LOCK_SLEEP, lock->name);
}

void mutex_unlock(struct mutex *lock)
{
	owned_unlock(&lock->mutex, &lock->owner, lock, lock->name);
}

void mutex_destroy(struct mutex *lock)
{
	WARN_ON(mutex_is_locked(lock));
	check_pthread(pthread_mutex_destroy(&lock->mutex));
}

void model_rwsem_init(struct rw_semaphore *sem, const char *name)
{
	check_pthread(pthread_rwlock_init(&sem->rwlock, NULL));
	sem->writer = 0;
	sem->readers = 0;
	sem->name = name;
}

/* A thread that already holds @sem in any mode would deadlock. */
static void rwsem_check_recursion(struct rw_semaphore *sem)
{
	if (!model_lock_held(sem))
		return;
	fprintf(stderr, "# BUG: recursive locking of %s\n", sem->name);
	dump_held();
	abort();
}

void down_read(struct rw_semaphore *sem)
{
	might_sleep();
	rwsem_check_recursion(sem);
	check_pthread(pthread_rwlock_rdlock(&sem->rwlock));
	__atomic_add_fetch(&sem->readers, 1, __ATOMIC_RELAXED);
	model_lock_acquire(sem, MODEL_LOCK_SHARED, sem->name);
}

bool down_read_trylock(struct rw_semaphore *sem)
{
	int err = pthread_rwlock_tryrdlock(&sem->rwlock);

	if (err == EBUSY)
		return false;
	check_pthread(err);
	__atomic_add_fetch(&sem->readers, 1, __ATOMIC_RELAXED);
	model_lock_acquire(sem, MODEL_LOCK_SHARED, sem->name);
	return true;
}

void up_read(struct rw_semaphore *sem)
{
	if (model_lock_held_exclusive(sem) || !model_lock_held(sem))
		model_bug(__FILE__, __LINE__, "up_read() without down_read()");
	model_lock_release(sem);
	__atomic_sub_fetch(&sem->readers, 1, __ATOMIC_RELAXED);
	check_pthread(pthread_rwlock_unlock(&sem->rwlock));
}

void down_write(struct rw_semaphore *sem)
{
	might_sleep();
	rwsem_check_recursion(sem);
	check_pthread(pthread_rwlock_wrlock(&sem->rwlock));
	WRITE_ONCE(sem->writer, model_thread_id());
	model_lock_acquire(sem, MODEL_LOCK_SLEEP, sem->name);
}

bool down_write_trylock(struct rw_semaphore *sem)
{
	int err = pthread_rwlock_trywrlock(&sem->rwlock);

	if (err == EBUSY)
		return false;
	check_pthread(err);
	WRITE_ONCE(sem->writer, model_thread_id());
	model_lock_acquire(sem, MODEL_LOCK_SLEEP, sem->name);
	return true;
}

void up_write(struct rw_semaphore *sem)
{
	if (READ_ONCE(sem->writer) != model_thread_id())
		model_bug(__FILE__, __LINE__, "up_write() by a non-owner");
	model_lock_release(sem);
	WRITE_ONCE(sem->writer, 0);
	check_pthread(pthread_rwlock_unlock(&sem->rwlock));
}

void init_waitqueue_head(struct wait_queue_head *wq)
{
	check_pthread(pthread_mutex_init(&wq->mutex, NULL));
	check_pthread(pthread_cond_init(&wq->cond, NULL));
}

void model_wait_lock(struct wait_queue_head *wq)
{
	check_pthread(pthread_mutex_lock(&wq->mutex));
}

void model_wait_sleep(struct wait_queue_head *wq)
{
	check_pthread(pthread_cond_wait(&wq->cond, &wq->mutex));
}

void model_wait_unlock(struct wait_queue_head *wq)
{
	check_pthread(pthread_mutex_unlock(&wq->mutex));
}

void model_wait_sleep_ms(struct wait_queue_head *wq, unsigned long ms)
{
	struct timespec ts;
	int err;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	err = pthread_cond_timedwait(&wq->cond, &wq->mutex, &ts);
	if (err && err != ETIMEDOUT)
		model_bug(__FILE__, __LINE__, "pthread_cond_timedwait failed");
}

void wake_up_all(struct wait_queue_head *wq)
{
	check_pthread(pthread_mutex_lock(&wq->mutex));
	check_pthread(pthread_cond_broadcast(&wq->cond));
	check_pthread(pthread_mutex_unlock(&wq->mutex));
}

unsigned long model_jiffies(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000UL + ts.tv_nsec / 1000000;
}
