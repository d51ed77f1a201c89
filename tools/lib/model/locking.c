// SPDX-License-Identifier: GPL-2.0
/*
 * locking.c - locks, lockdep-lite, wait queues, current and jiffies of
 * the model shim
 *
 * Each thread keeps a stack of the locks it holds.  lockdep_assert_held()
 * looks the lock up there, so it checks the calling thread, not just
 * "somebody".  might_sleep() aborts if the stack holds a spinlock or the
 * thread is inside non_block_start()/non_block_end().
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

unsigned int model_locks_held(void)
{
	return self.nr_held;
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

void model_spin_init(spinlock_t *lock, const char *name)
{
	check_pthread(pthread_mutex_init(&lock->mutex, NULL));
	lock->owner = 0;
	lock->name = name;
}

void spin_lock(spinlock_t *lock)
{
	owned_lock(&lock->mutex, &lock->owner, lock, MODEL_LOCK_SPIN,
		   lock->name);
}

bool spin_trylock(spinlock_t *lock)
{
	return owned_trylock(&lock->mutex, &lock->owner, lock,
			     MODEL_LOCK_SPIN, lock->name);
}

void spin_unlock(spinlock_t *lock)
{
	owned_unlock(&lock->mutex, &lock->owner, lock, lock->name);
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
