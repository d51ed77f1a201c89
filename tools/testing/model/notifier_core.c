// SPDX-License-Identifier: GPL-2.0
/*
 * notifier_core.c - API tests of the model's MMU notifier core and shim
 *
 * Where the model's core and Linux 6.1's differ (<model/notifier.h>), a
 * case checks the behaviour of the mode it runs in; run the program with
 * --core=linux-6.1 too.
 */
#include <pthread.h>
#include <unistd.h>
#include <linux/err.h>
#include <linux/mmu_notifier.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <model/notifier.h>
#include <model/shim.h>
#include <model/vm.h>
#include "ktap.h"

static DEFINE_SPINLOCK(drv_lock);
static unsigned long itv_calls;
static bool itv_refuse_nonblock;

static bool itv_invalidate(struct mmu_interval_notifier *sub,
			   const struct mmu_notifier_range *range,
			   unsigned long cur_seq)
{
	if (itv_refuse_nonblock && !mmu_notifier_range_blockable(range))
		return false;
	spin_lock(&drv_lock);
	mmu_interval_set_seq(sub, cur_seq);
	itv_calls++;
	spin_unlock(&drv_lock);
	return true;
}

static const struct mmu_interval_notifier_ops itv_ops = {
	.invalidate = itv_invalidate,
};

struct begin_arg {
	struct mmu_interval_notifier *sub;
	unsigned long seq;
	bool done;
};

static void *begin_thread(void *p)
{
	struct begin_arg *arg = p;

	arg->seq = mmu_interval_read_begin(arg->sub);
	__atomic_store_n(&arg->done, true, __ATOMIC_RELEASE);
	return NULL;
}

/* Wait up to @ms for @flag; true if it was set. */
static bool wait_done(bool *flag, unsigned int ms)
{
	unsigned int i;

	for (i = 0; i < ms; i++) {
		if (__atomic_load_n(flag, __ATOMIC_ACQUIRE))
			return true;
		usleep(1000);
	}
	return __atomic_load_n(flag, __ATOMIC_ACQUIRE);
}

static void range_of(struct mmu_notifier_range *r, struct mm_struct *mm,
		     unsigned long start, unsigned long end)
{
	mmu_notifier_range_init(r, MMU_NOTIFY_CLEAR, 0, NULL, mm, start, end);
}

static void invalidate_once(struct mm_struct *mm)
{
	struct mmu_notifier_range range;

	range_of(&range, mm, 0, 0x1000);
	mmu_notifier_invalidate_range_start(&range);
	mmu_notifier_invalidate_range_end(&range);
}

/* read_begin waits out an active invalidation; read_retry sees it. */
static bool test_interval_read_begin_retry(void)
{
	struct mmu_interval_notifier sub;
	struct mmu_notifier_range range;
	struct begin_arg arg = { .sub = &sub };
	struct mm_struct *mm = model_mm_create();
	unsigned long seq;
	pthread_t t;
	bool retry;

	KTAP_CHECK(mm);
	KTAP_CHECK(mmu_interval_notifier_insert(&sub, mm, 0x100000, 0x10000,
						&itv_ops) == 0);
	seq = mmu_interval_read_begin(&sub);

	/* An invalidation outside the range changes nothing. */
	range_of(&range, mm, 0x200000, 0x201000);
	mmu_notifier_invalidate_range_start(&range);
	mmu_notifier_invalidate_range_end(&range);
	spin_lock(&drv_lock);
	retry = mmu_interval_read_retry(&sub, seq);
	spin_unlock(&drv_lock);
	KTAP_CHECK(!retry && itv_calls == 0);

	range_of(&range, mm, 0x10f000, 0x111000);
	mmu_notifier_invalidate_range_start(&range);
	KTAP_CHECK(itv_calls == 1);
	spin_lock(&drv_lock);
	retry = mmu_interval_read_retry(&sub, seq);
	spin_unlock(&drv_lock);
	KTAP_CHECK(retry);

	KTAP_CHECK(pthread_create(&t, NULL, begin_thread, &arg) == 0);
	usleep(50000);
	KTAP_CHECK(!__atomic_load_n(&arg.done, __ATOMIC_ACQUIRE));
	mmu_notifier_invalidate_range_end(&range);
	KTAP_CHECK(pthread_join(t, NULL) == 0);
	KTAP_CHECK(arg.done);
	spin_lock(&drv_lock);
	retry = mmu_interval_read_retry(&sub, arg.seq);
	spin_unlock(&drv_lock);
	KTAP_CHECK(!retry);

	mmu_interval_notifier_remove(&sub);
	mmput(mm);
	itv_calls = 0;
	return true;
}

/* Insert and remove during an invalidation are deferred to its end. */
static bool test_interval_deferred(void)
{
	struct mmu_interval_notifier a, b;
	struct mmu_notifier_range range;
	struct mm_struct *mm = model_mm_create();

	KTAP_CHECK(mm);
	KTAP_CHECK(mmu_interval_notifier_insert(&a, mm, 0x100000, 0x1000,
						&itv_ops) == 0);
	range_of(&range, mm, 0, 0x1000000);
	mmu_notifier_invalidate_range_start(&range);
	KTAP_CHECK(itv_calls == 1);
	/* Not in the tree until the end: this invalidation skips it. */
	KTAP_CHECK(mmu_interval_notifier_insert(&b, mm, 0x100000, 0x1000,
						&itv_ops) == 0);
	mmu_notifier_invalidate_range_end(&range);
	mmu_notifier_invalidate_range_start(&range);
	KTAP_CHECK(itv_calls == 3);
	mmu_notifier_invalidate_range_end(&range);
	mmu_interval_notifier_remove(&a);
	mmu_interval_notifier_remove(&b);
	mmput(mm);
	itv_calls = 0;
	return true;
}

static unsigned long good_start, good_end, bad_start;

static int good_start_cb(struct mmu_notifier *mn,
			 const struct mmu_notifier_range *range)
{
	good_start++;
	return 0;
}

static void good_end_cb(struct mmu_notifier *mn,
			const struct mmu_notifier_range *range)
{
	good_end++;
}

static int bad_start_cb(struct mmu_notifier *mn,
			const struct mmu_notifier_range *range)
{
	bad_start++;
	return mmu_notifier_range_blockable(range) ? 0 : -EAGAIN;
}

static const struct mmu_notifier_ops good_ops = {
	.invalidate_range_start = good_start_cb,
	.invalidate_range_end = good_end_cb,
};

static const struct mmu_notifier_ops bad_ops = {
	.invalidate_range_start = bad_start_cb,
};

/* Proves: a refused classic start ends the others; 6.1 leaves itree open. */
static bool test_classic_nonblock_pairing(void)
{
	/*
	 * The model ends the interval side too; Linux 6.1 leaves it open,
	 * so read_begin and remove would wait forever: shown for a bounded
	 * time, then the open start is ended.
	 */
	struct mmu_notifier good = { .ops = &good_ops };
	struct mmu_notifier bad = { .ops = &bad_ops };
	struct mmu_interval_notifier sub;
	struct mmu_notifier_range range;
	struct begin_arg arg = { .sub = &sub };
	struct mm_struct *mm = model_mm_create();
	bool linux61 = model_core_is_linux_6_1();
	pthread_t t;

	KTAP_CHECK(mm);
	KTAP_CHECK(mmu_notifier_register(&good, mm) == 0);
	KTAP_CHECK(mmu_notifier_register(&bad, mm) == 0);
	KTAP_CHECK(mmu_interval_notifier_insert(&sub, mm, 0, 0x1000,
						&itv_ops) == 0);

	range_of(&range, mm, 0, 0x1000);
	KTAP_CHECK(mmu_notifier_invalidate_range_start_nonblock(&range) ==
		   -EAGAIN);
	KTAP_CHECK(itv_calls == 1);
	KTAP_CHECK(good_start == 1 && good_end == 1 && bad_start == 1);
	KTAP_CHECK(model_notifier_open_starts(mm) == (linux61 ? 1 : 0));
	KTAP_CHECK(model_interval_read_would_wait(&sub) == linux61);
	KTAP_CHECK(model_interval_remove_would_wait(&sub) == linux61);
	KTAP_CHECK(pthread_create(&t, NULL, begin_thread, &arg) == 0);
	if (linux61) {
		KTAP_CHECK(!wait_done(&arg.done, 100));
		printf("# linux-6.1: read_begin still waits after 100 ms\n");
		model_notifier_end_open_starts(mm);
	}
	KTAP_CHECK(pthread_join(t, NULL) == 0);
	KTAP_CHECK(arg.done && !mmu_interval_read_retry(&sub, arg.seq));

	mmu_notifier_invalidate_range_start(&range);
	mmu_notifier_invalidate_range_end(&range);
	KTAP_CHECK(good_start == 2 && good_end == 2 && bad_start == 2);

	mmu_interval_notifier_remove(&sub);
	mmu_notifier_unregister(&bad, mm);
	mmu_notifier_unregister(&good, mm);
	mmput(mm);
	good_start = good_end = bad_start = 0;
	itv_calls = 0;
	return true;
}

static unsigned long refuser_calls;

static bool refuser_invalidate(struct mmu_interval_notifier *sub,
			       const struct mmu_notifier_range *range,
			       unsigned long cur_seq)
{
	refuser_calls++;
	return mmu_notifier_range_blockable(range);
}

static const struct mmu_interval_notifier_ops refuser_ops = {
	.invalidate = refuser_invalidate,
};

/* Proves: an interval refusal stops the walk, no classic start (6.1 too). */
static bool test_interval_refusal_stops(void)
{
	struct mmu_notifier good = { .ops = &good_ops };
	struct mmu_interval_notifier refuser, later;
	struct mmu_notifier_range range;
	struct mm_struct *mm = model_mm_create();

	KTAP_CHECK(mm);
	KTAP_CHECK(mmu_notifier_register(&good, mm) == 0);
	/* Same start: the tree visits them in insertion order. */
	KTAP_CHECK(mmu_interval_notifier_insert(&refuser, mm, 0x100000, 0x1000,
						&refuser_ops) == 0);
	KTAP_CHECK(mmu_interval_notifier_insert(&later, mm, 0x100000, 0x1000,
						&itv_ops) == 0);
	range_of(&range, mm, 0x100000, 0x101000);
	KTAP_CHECK(mmu_notifier_invalidate_range_start_nonblock(&range) ==
		   -EAGAIN);
	KTAP_CHECK(refuser_calls == 1 && itv_calls == 0);
	KTAP_CHECK(good_start == 0 && good_end == 0);
	KTAP_CHECK(model_notifier_open_starts(mm) == 0);
	KTAP_CHECK(!model_interval_read_would_wait(&later));
	KTAP_CHECK(!model_interval_remove_would_wait(&refuser));

	/* Blockable, everyone is called once. */
	mmu_notifier_invalidate_range_start(&range);
	mmu_notifier_invalidate_range_end(&range);
	KTAP_CHECK(refuser_calls == 2 && itv_calls == 1);
	KTAP_CHECK(good_start == 1 && good_end == 1);

	mmu_interval_notifier_remove(&later);
	mmu_interval_notifier_remove(&refuser);
	mmu_notifier_unregister(&good, mm);
	mmput(mm);
	good_start = good_end = refuser_calls = itv_calls = 0;
	return true;
}

static struct mmu_interval_notifier *order_sub;
static bool end_saw_interval_open;

static void order_end_cb(struct mmu_notifier *mn,
			 const struct mmu_notifier_range *range)
{
	end_saw_interval_open = model_interval_read_would_wait(order_sub);
}

static const struct mmu_notifier_ops order_end_ops = {
	.invalidate_range_end = order_end_cb,
};

/* Proves: classic ends run before the itree end; in 6.1 after it. */
static bool test_end_order(void)
{
	struct mmu_notifier classic = { .ops = &order_end_ops };
	struct mmu_interval_notifier sub;
	struct mmu_notifier_range range;
	struct mm_struct *mm = model_mm_create();

	KTAP_CHECK(mm);
	KTAP_CHECK(mmu_notifier_register(&classic, mm) == 0);
	KTAP_CHECK(mmu_interval_notifier_insert(&sub, mm, 0, 0x1000,
						&itv_ops) == 0);
	order_sub = &sub;
	range_of(&range, mm, 0, 0x1000);
	mmu_notifier_invalidate_range_start(&range);
	KTAP_CHECK(model_interval_read_would_wait(&sub));
	mmu_notifier_invalidate_range_end(&range);
	KTAP_CHECK(!model_interval_read_would_wait(&sub));
	KTAP_CHECK(end_saw_interval_open == !model_core_is_linux_6_1());

	mmu_interval_notifier_remove(&sub);
	mmu_notifier_unregister(&classic, mm);
	mmput(mm);
	itv_calls = 0;
	return true;
}

static char order_log[8];
static unsigned int order_n;

static int order_a_start(struct mmu_notifier *mn,
			 const struct mmu_notifier_range *range)
{
	order_log[order_n++] = 'a';
	return 0;
}

static int order_b_start(struct mmu_notifier *mn,
			 const struct mmu_notifier_range *range)
{
	order_log[order_n++] = 'b';
	return 0;
}

static const struct mmu_notifier_ops order_a_ops = {
	.invalidate_range_start = order_a_start,
};

static const struct mmu_notifier_ops order_b_ops = {
	.invalidate_range_start = order_b_start,
};

/* Proves: classic subscribers run oldest first; in Linux 6.1 newest. */
static bool test_classic_order(void)
{
	struct mmu_notifier a = { .ops = &order_a_ops };
	struct mmu_notifier b = { .ops = &order_b_ops };
	struct mm_struct *mm = model_mm_create();

	KTAP_CHECK(mm);
	KTAP_CHECK(mmu_notifier_register(&a, mm) == 0);
	KTAP_CHECK(mmu_notifier_register(&b, mm) == 0);
	order_n = 0;
	invalidate_once(mm);
	KTAP_CHECK(order_n == 2);
	KTAP_CHECK(!memcmp(order_log, model_core_is_linux_6_1() ? "ba" : "ab",
			   2));
	mmu_notifier_unregister(&b, mm);
	mmu_notifier_unregister(&a, mm);
	mmput(mm);
	return true;
}

static void *hold_thread(void *p)
{
	spin_lock(&drv_lock);
	usleep(20000);
	spin_unlock(&drv_lock);
	return NULL;
}

/* lockdep_assert_held() checks the calling thread, not any thread. */
static bool test_lockdep_owner(void)
{
	unsigned long warns = model_warn_count();
	pthread_t t;

	KTAP_CHECK(pthread_create(&t, NULL, hold_thread, NULL) == 0);
	usleep(5000);
	lockdep_assert_held(&drv_lock);	/* held, but by the other thread */
	KTAP_CHECK(pthread_join(t, NULL) == 0);
	KTAP_CHECK(model_warn_count() == warns + 1);
	spin_lock(&drv_lock);
	lockdep_assert_held(&drv_lock);
	spin_unlock(&drv_lock);
	KTAP_CHECK(model_warn_count() == warns + 1);
	model_warn_reset();
	return true;
}

/* A subscription of the get/put interface, as a driver would embed it. */
struct gp_sub {
	struct mmu_notifier mn;
	unsigned long starts;
	unsigned long releases;
};

static unsigned long gp_allocs, gp_frees;
static bool gp_alloc_fail;
static bool gp_entered, gp_go;

static struct mmu_notifier *gp_alloc(struct mm_struct *mm)
{
	struct gp_sub *s;

	if (gp_alloc_fail)
		return ERR_PTR(-ENOMEM);
	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return ERR_PTR(-ENOMEM);
	gp_allocs++;
	return &s->mn;
}

static void gp_free(struct mmu_notifier *mn)
{
	kfree(container_of(mn, struct gp_sub, mn));
	/* May run on a thread that calls mmu_notifier_synchronize(). */
	__atomic_add_fetch(&gp_frees, 1, __ATOMIC_SEQ_CST);
}

static unsigned long gp_freed(void)
{
	return __atomic_load_n(&gp_frees, __ATOMIC_SEQ_CST);
}

static void gp_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	container_of(mn, struct gp_sub, mn)->releases++;
}

static int gp_start(struct mmu_notifier *mn,
		    const struct mmu_notifier_range *range)
{
	container_of(mn, struct gp_sub, mn)->starts++;
	return 0;
}

/* Holds the SRCU read side of the core until gp_go is set. */
static int gp_clear_young(struct mmu_notifier *mn, struct mm_struct *mm,
			  unsigned long start, unsigned long end)
{
	__atomic_store_n(&gp_entered, true, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&gp_go, __ATOMIC_SEQ_CST))
		usleep(1000);
	return 0;
}

static const struct mmu_notifier_ops gp_ops = {
	.release = gp_release,
	.clear_young = gp_clear_young,
	.invalidate_range_start = gp_start,
	.alloc_notifier = gp_alloc,
	.free_notifier = gp_free,
};

/* Proves: get shares one subscription; the last put frees after sync. */
static bool test_get_put_shared(void)
{
	struct mm_struct *mm = model_mm_create();
	unsigned long allocs = gp_allocs, frees = gp_freed();
	struct mmu_notifier *a, *b;
	struct gp_sub *s;

	KTAP_CHECK(mm);
	a = mmu_notifier_get(&gp_ops, mm);
	KTAP_CHECK(!IS_ERR(a));
	b = mmu_notifier_get(&gp_ops, mm);
	KTAP_CHECK(b == a && a->users == 2 && gp_allocs == allocs + 1);
	s = container_of(a, struct gp_sub, mn);
	invalidate_once(mm);
	KTAP_CHECK(s->starts == 1);

	mmu_notifier_put(a);
	invalidate_once(mm);
	KTAP_CHECK(s->starts == 2 && gp_freed() == frees);

	/* Unlinked at once, but freed only after the grace period. */
	mmu_notifier_put(b);
	invalidate_once(mm);
	KTAP_CHECK(s->starts == 2 && gp_freed() == frees);
	mmu_notifier_synchronize();
	KTAP_CHECK(gp_freed() == frees + 1);

	/* After the last put, get allocates a new subscription. */
	a = mmu_notifier_get(&gp_ops, mm);
	KTAP_CHECK(!IS_ERR(a) && a->users == 1 && gp_allocs == allocs + 2);
	mmu_notifier_put(a);
	mmu_notifier_synchronize();
	KTAP_CHECK(gp_freed() == frees + 2);

	/* A failed alloc_notifier reaches the caller. */
	gp_alloc_fail = true;
	a = mmu_notifier_get(&gp_ops, mm);
	gp_alloc_fail = false;
	KTAP_CHECK(PTR_ERR(a) == -ENOMEM);
	mmput(mm);
	return true;
}

/* Proves: get_locked under mmap_lock; exit releases; put still frees. */
static bool test_get_locked_exit(void)
{
	struct mm_struct *mm = model_mm_create();
	unsigned long frees = gp_freed();
	struct mmu_notifier *mn;
	struct gp_sub *s;

	KTAP_CHECK(mm);
	mmap_write_lock(mm);
	mn = mmu_notifier_get_locked(&gp_ops, mm);
	mmap_write_unlock(mm);
	KTAP_CHECK(!IS_ERR(mn));
	s = container_of(mn, struct gp_sub, mn);

	mmput(mm);		/* exit: release, the mm stays allocated */
	KTAP_CHECK(s->releases == 1 && gp_freed() == frees);
	mmu_notifier_put(mn);
	KTAP_CHECK(gp_freed() == frees);
	mmu_notifier_synchronize();	/* also drops the last mm reference */
	KTAP_CHECK(s != NULL && gp_freed() == frees + 1);
	return true;
}

static void *clear_young_thread(void *p)
{
	mmu_notifier_clear_young(p, 0, 0x1000);
	return NULL;
}

static bool gp_sync_done;

static void *synchronize_thread(void *p)
{
	mmu_notifier_synchronize();
	__atomic_store_n(&gp_sync_done, true, __ATOMIC_SEQ_CST);
	return NULL;
}

/* Proves: synchronize waits for a callback that was running at put. */
static bool test_synchronize_waits(void)
{
	struct mm_struct *mm = model_mm_create();
	unsigned long frees = gp_freed();
	struct mmu_notifier *mn;
	pthread_t reader, syncer;

	KTAP_CHECK(mm);
	mn = mmu_notifier_get(&gp_ops, mm);
	KTAP_CHECK(!IS_ERR(mn));
	KTAP_CHECK(pthread_create(&reader, NULL, clear_young_thread, mm) == 0);
	while (!__atomic_load_n(&gp_entered, __ATOMIC_SEQ_CST))
		usleep(1000);

	mmu_notifier_put(mn);
	KTAP_CHECK(pthread_create(&syncer, NULL, synchronize_thread,
				  NULL) == 0);
	usleep(50000);
	KTAP_CHECK(!__atomic_load_n(&gp_sync_done, __ATOMIC_SEQ_CST));
	KTAP_CHECK(gp_freed() == frees);

	__atomic_store_n(&gp_go, true, __ATOMIC_SEQ_CST);
	KTAP_CHECK(pthread_join(reader, NULL) == 0);
	KTAP_CHECK(pthread_join(syncer, NULL) == 0);
	KTAP_CHECK(gp_sync_done && gp_freed() == frees + 1);
	mmput(mm);
	return true;
}

/* Proves: insert_locked inserts under a held mmap_lock, checks length. */
static bool test_interval_insert_locked(void)
{
	struct mmu_interval_notifier sub, bad;
	struct mm_struct *mm = model_mm_create();
	struct mmu_notifier_range range;
	unsigned long seq;
	int ret, bad_ret;

	KTAP_CHECK(mm);
	mmap_write_lock(mm);
	/* First subscription of this mm: the core state is set up here. */
	ret = mmu_interval_notifier_insert_locked(&sub, mm, 0x100000,
						  0x1000, &itv_ops);
	bad_ret = mmu_interval_notifier_insert_locked(&bad, mm, 0x100000, 0,
						      &itv_ops);
	mmap_write_unlock(mm);
	KTAP_CHECK(ret == 0 && bad_ret == -EOVERFLOW);

	seq = mmu_interval_read_begin(&sub);
	range_of(&range, mm, 0x100000, 0x101000);
	mmu_notifier_invalidate_range_start(&range);
	mmu_notifier_invalidate_range_end(&range);
	KTAP_CHECK(itv_calls == 1 && mmu_interval_check_retry(&sub, seq));

	mmu_interval_notifier_remove(&sub);
	mmput(mm);
	itv_calls = 0;
	return true;
}

static struct mmu_interval_notifier *age_sub;
static unsigned long age_calls, age_start, age_end;
static enum mmu_notifier_age_op age_op;
static int age_answer;

static int itv_age(struct mmu_interval_notifier *sub, unsigned long start,
		   unsigned long end, enum mmu_notifier_age_op op)
{
	age_sub = sub;
	age_calls++;
	age_start = start;
	age_end = end;
	age_op = op;
	return age_answer;
}

static const struct mmu_interval_notifier_ops itv_age_ops = {
	.invalidate = itv_invalidate,
	.age = itv_age,
};

static int young_cb(struct mmu_notifier *mn, struct mm_struct *mm,
		    unsigned long start, unsigned long end)
{
	return 1;
}

static const struct mmu_notifier_ops young_ops = {
	.clear_flush_young = young_cb,
};

/* Linux 6.1 has no interval aging: only classic subscribers answer. */
static bool interval_age_linux61(struct mm_struct *mm,
				 struct mmu_notifier *classic)
{
	age_answer = 1;
	KTAP_CHECK(mmu_notifier_clear_flush_young(mm, 0x100000, 0x101000) ==
		   0);
	KTAP_CHECK(mmu_notifier_test_young(mm, 0x100000) == 0);
	KTAP_CHECK(mmu_notifier_register(classic, mm) == 0);
	KTAP_CHECK(mmu_notifier_clear_flush_young(mm, 0x100000, 0x101000) ==
		   1);
	mmu_notifier_unregister(classic, mm);
	KTAP_CHECK(age_calls == 0);
	return true;
}

/* Proves: aging reaches overlapping interval subs with an age op only. */
static bool test_interval_age(void)
{
	struct mmu_interval_notifier a, plain, far;
	struct mmu_notifier classic = { .ops = &young_ops };
	struct mm_struct *mm = model_mm_create();
	unsigned long seq;
	int young;

	KTAP_CHECK(mm);
	KTAP_CHECK(mmu_interval_notifier_insert(&a, mm, 0x100000, 0x10000,
						&itv_age_ops) == 0);
	KTAP_CHECK(mmu_interval_notifier_insert(&plain, mm, 0x100000,
						0x10000, &itv_ops) == 0);
	KTAP_CHECK(mmu_interval_notifier_insert(&far, mm, 0x400000, 0x1000,
						&itv_age_ops) == 0);
	seq = mmu_interval_read_begin(&a);

	if (model_core_is_linux_6_1()) {
		KTAP_CHECK(interval_age_linux61(mm, &classic));
		goto out;
	}

	/* Only @a overlaps and has an age op; its answer is returned. */
	age_answer = 1;
	young = mmu_notifier_clear_flush_young(mm, 0x10f000, 0x111000);
	KTAP_CHECK(young == 1 && age_calls == 1 && age_sub == &a);
	KTAP_CHECK(age_op == MMU_NOTIFIER_AGE_CLEAR_FLUSH &&
		   age_start == 0x10f000 && age_end == 0x111000);
	age_answer = 0;
	KTAP_CHECK(mmu_notifier_clear_flush_young(mm, 0x100000, 0x101000) ==
		   0 && age_calls == 2);

	KTAP_CHECK(mmu_notifier_clear_young(mm, 0x100000, 0x101000) == 0);
	KTAP_CHECK(age_calls == 3 && age_op == MMU_NOTIFIER_AGE_CLEAR);
	age_answer = 1;
	KTAP_CHECK(mmu_notifier_test_young(mm, 0x102000) == 1);
	KTAP_CHECK(age_calls == 4 && age_op == MMU_NOTIFIER_AGE_TEST &&
		   age_start == 0x102000 && age_end == 0x102000 + PAGE_SIZE);

	/* No overlap, no call. */
	KTAP_CHECK(mmu_notifier_clear_flush_young(mm, 0x200000, 0x201000) ==
		   0 && age_calls == 4);

	/* Classic and interval answers are ORed. */
	KTAP_CHECK(mmu_notifier_register(&classic, mm) == 0);
	age_answer = 0;
	KTAP_CHECK(mmu_notifier_clear_flush_young(mm, 0x100000, 0x101000) ==
		   1 && age_calls == 5);
	mmu_notifier_unregister(&classic, mm);

out:
	/* Aging is no invalidation: nothing to retry. */
	KTAP_CHECK(itv_calls == 0 && !mmu_interval_check_retry(&a, seq));

	mmu_interval_notifier_remove(&far);
	mmu_interval_notifier_remove(&plain);
	mmu_interval_notifier_remove(&a);
	mmput(mm);
	return true;
}


static unsigned long rr_releases;
static bool rr_entered, rr_go;

/* The first call (from the exit path) waits for the test's go. */
static void rr_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	if (__atomic_add_fetch(&rr_releases, 1, __ATOMIC_SEQ_CST) != 1)
		return;
	__atomic_store_n(&rr_entered, true, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&rr_go, __ATOMIC_ACQUIRE))
		usleep(1000);
}

static const struct mmu_notifier_ops rr_ops = {
	.release = rr_release,
};

static void *rr_exit_thread(void *p)
{
	mmput(p);
	return NULL;
}

struct rr_unregister {
	struct mmu_notifier *sub;
	struct mm_struct *mm;
	bool done;
};

static void *rr_unregister_thread(void *p)
{
	struct rr_unregister *u = p;

	mmu_notifier_unregister(u->sub, u->mm);
	__atomic_store_n(&u->done, true, __ATOMIC_RELEASE);
	return NULL;
}

static unsigned long rr_count(void)
{
	return __atomic_load_n(&rr_releases, __ATOMIC_SEQ_CST);
}

/* Proves: unregister racing exit calls release once, in 6.1 twice. */
static bool test_release_unregister_races_exit(void)
{
	/* Either way unregister returns only after exit's release did. */
	struct mmu_notifier sub = { .ops = &rr_ops };
	struct mm_struct *mm = model_mm_create();
	struct rr_unregister u = { .sub = &sub, .mm = mm };
	unsigned long want = model_core_is_linux_6_1() ? 2 : 1;
	pthread_t exiter, unreg;
	unsigned int i;

	KTAP_CHECK(mm);
	KTAP_CHECK(mmu_notifier_register(&sub, mm) == 0);
	rr_releases = 0;
	KTAP_CHECK(pthread_create(&exiter, NULL, rr_exit_thread, mm) == 0);
	KTAP_CHECK(wait_done(&rr_entered, 5000));
	KTAP_CHECK(pthread_create(&unreg, NULL, rr_unregister_thread,
				  &u) == 0);
	/* 6.1's second call comes at once; the model's never. */
	for (i = 0; i < 2000 && rr_count() < want; i++)
		usleep(1000);
	usleep(50000);
	KTAP_CHECK(rr_count() == want);
	KTAP_CHECK(!__atomic_load_n(&u.done, __ATOMIC_ACQUIRE));
	__atomic_store_n(&rr_go, true, __ATOMIC_RELEASE);
	KTAP_CHECK(pthread_join(unreg, NULL) == 0);
	KTAP_CHECK(pthread_join(exiter, NULL) == 0);
	KTAP_CHECK(rr_count() == want);
	return true;
}

/* Proves: insert during unrelated invalidations: deferred; 6.1: at once. */
static bool test_interval_insert_while_unrelated(void)
{
	/* In 6.1 the next overlapping invalidation calls it; both wait. */
	struct mmu_notifier_range unrelated, overlap;
	struct mmu_interval_notifier sub;
	struct mm_struct *mm = model_mm_create();
	bool linux61 = model_core_is_linux_6_1();

	KTAP_CHECK(mm);
	/* The mm is ready for interval subscribers, none overlaps. */
	KTAP_CHECK(mmu_interval_notifier_insert(&sub, mm, 0x800000, 0x1000,
						&itv_ops) == 0);
	mmu_interval_notifier_remove(&sub);
	range_of(&unrelated, mm, 0x100000, 0x101000);
	range_of(&overlap, mm, 0x200000, 0x201000);
	mmu_notifier_invalidate_range_start(&unrelated);
	KTAP_CHECK(mmu_interval_notifier_insert(&sub, mm, 0x200000, 0x1000,
						&itv_ops) == 0);
	KTAP_CHECK(model_interval_read_would_wait(&sub));
	mmu_notifier_invalidate_range_start(&overlap);
	KTAP_CHECK(itv_calls == (linux61 ? 1 : 0));
	mmu_notifier_invalidate_range_end(&overlap);
	KTAP_CHECK(model_interval_read_would_wait(&sub));
	mmu_notifier_invalidate_range_end(&unrelated);
	KTAP_CHECK(!model_interval_read_would_wait(&sub));
	mmu_interval_notifier_remove(&sub);
	mmput(mm);
	itv_calls = 0;
	return true;
}

static const struct ktap_case cases[] = {
	{ "interval_read_begin_retry", test_interval_read_begin_retry },
	{ "interval_deferred", test_interval_deferred },
	{ "classic_nonblock_pairing", test_classic_nonblock_pairing },
	{ "interval_refusal_stops", test_interval_refusal_stops },
	{ "end_order", test_end_order },
	{ "classic_order", test_classic_order },
	{ "release_unregister_races_exit",
	  test_release_unregister_races_exit },
	{ "interval_insert_while_unrelated",
	  test_interval_insert_while_unrelated },
	{ "lockdep_owner", test_lockdep_owner },
	{ "get_put_shared", test_get_put_shared },
	{ "get_locked_exit", test_get_locked_exit },
	{ "synchronize_waits", test_synchronize_waits },
	{ "interval_insert_locked", test_interval_insert_locked },
	{ "interval_age", test_interval_age },
};

int main(int argc, char **argv)
{
	return ktap_model_main(argc, argv, cases, ARRAY_SIZE(cases),
			       64, false);
}
