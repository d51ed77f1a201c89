// SPDX-License-Identifier: GPL-2.0
/*
 * notifier_core.c - API tests of the model's MMU notifier core and shim
 */
#include <pthread.h>
#include <unistd.h>
#include <linux/mmu_notifier.h>
#include <linux/sched/mm.h>
#include <linux/spinlock.h>
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

static void range_of(struct mmu_notifier_range *r, struct mm_struct *mm,
		     unsigned long start, unsigned long end)
{
	mmu_notifier_range_init(r, MMU_NOTIFY_CLEAR, 0, NULL, mm, start, end);
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

/* A refused non-blockable start ends the subscribers that started. */
static bool test_classic_nonblock_pairing(void)
{
	struct mmu_notifier good = { .ops = &good_ops };
	struct mmu_notifier bad = { .ops = &bad_ops };
	struct mmu_interval_notifier sub;
	struct mmu_notifier_range range;
	struct mm_struct *mm = model_mm_create();
	unsigned long seq;

	KTAP_CHECK(mm);
	KTAP_CHECK(mmu_notifier_register(&good, mm) == 0);
	KTAP_CHECK(mmu_notifier_register(&bad, mm) == 0);
	KTAP_CHECK(mmu_interval_notifier_insert(&sub, mm, 0, 0x1000,
						&itv_ops) == 0);

	range_of(&range, mm, 0, 0x1000);
	KTAP_CHECK(mmu_notifier_invalidate_range_start_nonblock(&range) ==
		   -EAGAIN);
	KTAP_CHECK(good_start == 1 && good_end == 1 && bad_start == 1);
	/* The interval side was ended too: read_begin must not hang. */
	seq = mmu_interval_read_begin(&sub);
	KTAP_CHECK(!mmu_interval_read_retry(&sub, seq));

	/* An interval subscriber refusing stops before the classic ones. */
	itv_refuse_nonblock = true;
	KTAP_CHECK(mmu_notifier_invalidate_range_start_nonblock(&range) ==
		   -EAGAIN);
	itv_refuse_nonblock = false;
	KTAP_CHECK(good_start == 1 && good_end == 1);

	mmu_notifier_invalidate_range_start(&range);
	mmu_notifier_invalidate_range_end(&range);
	KTAP_CHECK(good_start == 2 && good_end == 2 && bad_start == 2);

	mmu_interval_notifier_remove(&sub);
	mmu_notifier_unregister(&bad, mm);
	mmu_notifier_unregister(&good, mm);
	mmput(mm);
	itv_calls = 0;
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

/* Everything is freed and nothing warned. */
static bool test_no_leaks(void)
{
	KTAP_CHECK(model_slab_live() == 0);
	KTAP_CHECK(model_frames_used() == 0);
	KTAP_CHECK(model_warn_count() == 0);
	return true;
}

static const struct ktap_case cases[] = {
	{ "interval_read_begin_retry", test_interval_read_begin_retry },
	{ "interval_deferred", test_interval_deferred },
	{ "classic_nonblock_pairing", test_classic_nonblock_pairing },
	{ "lockdep_owner", test_lockdep_owner },
	{ "no_leaks", test_no_leaks },
};

int main(void)
{
	int ret;

	if (model_phys_init(64))
		return 2;
	ret = ktap_run(cases, ARRAY_SIZE(cases));
	model_phys_exit();
	return ret;
}
