// SPDX-License-Identifier: GPL-2.0
/*
 * mirror_guarantees.c - what mmu_mirror promises its drivers, checked in
 * the corners where other subscribers, the core VM or Linux 6.1's
 * notifier core make it hard
 *
 * Run with --core=linux-6.1 as well: each case then checks what the
 * helper still guarantees on the kernel it really runs on, and stops,
 * asserting the hang, where 6.1 itself would make a caller wait forever.
 */
#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>
#include <linux/mmu_mirror.h>
#include <linux/mmu_notifier.h>
#include <linux/sched/mm.h>
#include <model/notifier.h>
#include <model/shim.h>
#include <model/vm.h>
#include "../../../mm/mmu_mirror_internal.h"
#include "ktap.h"

#define NPAGES	16
#define LEN	(NPAGES * PAGE_SIZE)

static unsigned long flushes;
static unsigned long releases;
static unsigned int release_locks;

static void count_flush(struct mmu_mirror *mirror)
{
	__atomic_add_fetch(&flushes, 1, __ATOMIC_SEQ_CST);
}

static unsigned long flush_count(void)
{
	return __atomic_load_n(&flushes, __ATOMIC_SEQ_CST);
}

/* Records how many locks the releasing thread holds. */
static void count_release(struct mmu_mirror *mirror)
{
	release_locks = model_locks_held();
	model_locks_print("# held in ops->release: ");
	__atomic_add_fetch(&releases, 1, __ATOMIC_SEQ_CST);
}

static const struct mmu_mirror_ops guarantee_ops = {
	.flush = count_flush,
	.release = count_release,
};

struct setup {
	struct mm_struct *mm;
	struct mmu_mirror *mirror;
	struct mmu_mirror_window *win;
	unsigned long addr;
};

/* An mm with LEN bytes CPU-written, mirrored by an identity window. */
static bool setup(struct setup *s, const char *name, bool fault)
{
	static unsigned char buf[LEN];

	s->mm = model_mm_create();
	KTAP_CHECK(s->mm);
	s->addr = model_mmap(s->mm, 0, LEN, VM_READ | VM_WRITE);
	KTAP_CHECK(!IS_ERR_VALUE(s->addr));
	memset(buf, 0x3c, sizeof(buf));
	KTAP_CHECK(!model_cpu_access(s->mm, s->addr, buf, LEN, true));
	s->mirror = mmu_mirror_create(s->mm, &guarantee_ops, 0, name, NULL);
	KTAP_CHECK(!IS_ERR(s->mirror));
	s->win = mmu_mirror_window_add(s->mirror, s->addr, LEN, s->addr, 0);
	KTAP_CHECK(!IS_ERR(s->win));
	if (fault)
		KTAP_CHECK(!mmu_mirror_fault(s->mirror, s->addr, LEN, 0));
	return true;
}

static u64 entries(struct mmu_mirror *mirror)
{
	struct mmu_mirror_stats st;

	mmu_mirror_get_stats(mirror, &st);
	return st.entries;
}

/* An interval subscriber that cannot take its lock without sleeping. */
static unsigned long refusals;

static bool refuse_nonblock(struct mmu_interval_notifier *sub,
			    const struct mmu_notifier_range *range,
			    unsigned long cur_seq)
{
	if (!mmu_notifier_range_blockable(range)) {
		refusals++;
		return false;
	}
	mmu_interval_set_seq(sub, cur_seq);
	return true;
}

static const struct mmu_interval_notifier_ops refuse_ops = {
	.invalidate = refuse_nonblock,
};

/* Proves: the driver is flushed when a later interval sub refuses. */
static bool test_other_interval_refuses(void)
{
	/*
	 * The other subscriber refuses the OOM reaper's non-blockable range
	 * after the window's callback removed the entries; the core then
	 * returns -EAGAIN without any classic callback (6.1 too).
	 */
	struct mmu_interval_notifier other;
	unsigned long flushed;
	struct setup s;
	u64 left;
	int ret;

	KTAP_CHECK(setup(&s, "refuse-itv", true));
	/* Same range, inserted later: the core visits it after the window. */
	KTAP_CHECK(mmu_interval_notifier_insert(&other, s.mm, s.addr, LEN,
						&refuse_ops) == 0);
	KTAP_CHECK(entries(s.mirror) == NPAGES);
	flushes = 0;
	refusals = 0;
	ret = model_oom_reap(s.mm);
	left = entries(s.mirror);
	flushed = flush_count();
	printf("# reap %d, refusals %lu, entries left %llu, flushes %lu\n",
	       ret, refusals, left, flushed);
	mmu_interval_notifier_remove(&other);
	mmu_mirror_destroy(s.mirror);
	mmput(s.mm);

	KTAP_CHECK(ret == -EAGAIN && refusals == 1);
	/* The window's callback ran first and removed everything... */
	KTAP_CHECK(left == 0);
	/* ...so the device must already have forgotten them. */
	KTAP_CHECK(flushed == 1);
	return true;
}

/* A classic subscriber that refuses every non-blockable start. */
static unsigned long classic_refusals;

static int refuse_start(struct mmu_notifier *mn,
			const struct mmu_notifier_range *range)
{
	if (mmu_notifier_range_blockable(range))
		return 0;
	classic_refusals++;
	return -EAGAIN;
}

static const struct mmu_notifier_ops refuse_classic_ops = {
	.invalidate_range_start = refuse_start,
};

struct fault_arg {
	struct mmu_mirror *mirror;
	unsigned long addr;
	int ret;
	int done;
};

static void *fault_thread(void *p)
{
	struct fault_arg *a = p;

	a->ret = mmu_mirror_fault(a->mirror, a->addr, LEN, 0);
	__atomic_store_n(&a->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Wait up to @ms for @flag; true if it was set. */
static bool wait_flag(int *flag, unsigned int ms)
{
	unsigned int i;

	for (i = 0; i < ms; i++) {
		if (__atomic_load_n(flag, __ATOMIC_ACQUIRE))
			return true;
		usleep(1000);
	}
	return __atomic_load_n(flag, __ATOMIC_ACQUIRE);
}

/* Proves: nothing stale stays mapped when a classic subscriber refuses. */
static bool test_classic_refuses(void)
{
	/*
	 * The model then lets the mirror refault; Linux 6.1 leaves the
	 * interval side open, so a fault (and any window removal) would
	 * wait forever: asserted, shown for a bounded time, then the open
	 * start is ended so that the program can go on.
	 */
	struct mmu_notifier other = { .ops = &refuse_classic_ops };
	struct fault_arg fa = { };
	struct setup s;
	pthread_t t;
	size_t done;
	u64 v;

	KTAP_CHECK(setup(&s, "refuse-classic", true));
	KTAP_CHECK(mmu_notifier_register(&other, s.mm) == 0);
	flushes = 0;
	classic_refusals = 0;
	KTAP_CHECK(model_oom_reap(s.mm) == -EAGAIN && classic_refusals == 1);
	KTAP_CHECK(entries(s.mirror) == 0 && flush_count() == 1);
	KTAP_CHECK(mmu_mirror_access(s.mirror, s.addr, &v, sizeof(v), 0,
				     &done) == -ENOENT);
	KTAP_CHECK(checker_checkpoint(s.mm) == 0);

	fa = (struct fault_arg){ .mirror = s.mirror, .addr = s.addr };
	if (model_core_is_linux_6_1()) {
		KTAP_CHECK(model_notifier_open_starts(s.mm) == 1);
		KTAP_CHECK(model_interval_read_would_wait(&s.win->notifier));
		KTAP_CHECK(model_interval_remove_would_wait(&s.win->notifier));
		KTAP_CHECK(!pthread_create(&t, NULL, fault_thread, &fa));
		/* 6.1: the fault sleeps in read_begin and nothing wakes it. */
		KTAP_CHECK(!wait_flag(&fa.done, 200));
		printf("# linux-6.1: the fault still waits after 200 ms\n");
		model_notifier_end_open_starts(s.mm);
	} else {
		KTAP_CHECK(model_notifier_open_starts(s.mm) == 0);
		KTAP_CHECK(!model_interval_read_would_wait(&s.win->notifier));
		KTAP_CHECK(!pthread_create(&t, NULL, fault_thread, &fa));
	}
	KTAP_CHECK(!pthread_join(t, NULL));
	KTAP_CHECK(fa.ret == 0 && entries(s.mirror) == NPAGES);
	KTAP_CHECK(checker_compare(s.mm, "mmu_mirror") == 0);

	mmu_notifier_unregister(&other, s.mm);
	mmu_mirror_destroy(s.mirror);
	mmput(s.mm);
	return true;
}

/* Drops the owner's mm_users reference from inside the fault. */
static void drop_owner_ref(struct hmm_range *range, void *arg)
{
	model_set_hmm_fault_hook(NULL, NULL);
	mmput(arg);
}

/* Proves: ops->release holds no lock when the fault's mmput() is last. */
static bool test_release_from_fault(void)
{
	struct setup s;
	int ret;

	KTAP_CHECK(setup(&s, "release-fault", false));
	releases = 0;
	release_locks = ~0U;
	model_set_hmm_fault_hook(drop_owner_ref, s.mm);
	ret = mmu_mirror_fault(s.mirror, s.addr, LEN, 0);
	model_set_hmm_fault_hook(NULL, NULL);
	printf("# fault %d, releases %lu, locks held in release %u\n", ret,
	       releases, release_locks);
	KTAP_CHECK(releases == 1);
	KTAP_CHECK(entries(s.mirror) == 0);
	KTAP_CHECK(mmu_mirror_fault(s.mirror, s.addr, PAGE_SIZE, 0) == -ESRCH);
	mmu_mirror_destroy(s.mirror);	/* drops the last mm reference */
	KTAP_CHECK(release_locks == 0);
	return true;
}

/* ops->release that waits for a go from the test on its first call. */
static int release_entered, release_go;

static void slow_release(struct mmu_mirror *mirror)
{
	if (__atomic_add_fetch(&releases, 1, __ATOMIC_SEQ_CST) == 1) {
		__atomic_store_n(&release_entered, 1, __ATOMIC_RELEASE);
		while (!__atomic_load_n(&release_go, __ATOMIC_ACQUIRE))
			usleep(1000);
	}
}

static const struct mmu_mirror_ops slow_release_ops = {
	.flush = count_flush,
	.release = slow_release,
};

static void *exit_thread(void *p)
{
	mmput(p);
	return NULL;
}

static void *destroy_thread(void *p)
{
	mmu_mirror_destroy(p);
	return NULL;
}

/* Proves: ops->release runs once when destroy races exit (6.1 too). */
static bool test_release_once_destroy_races_exit(void)
{
	/*
	 * Linux 6.1's unregister calls the notifier's release a second
	 * time; destroy returns only after the first one finished.
	 */
	struct mmu_mirror *mirror;
	pthread_t exiter, destroyer;
	struct mm_struct *mm;
	unsigned long addr;

	mm = model_mm_create();
	KTAP_CHECK(mm);
	addr = model_mmap(mm, 0, LEN, VM_READ | VM_WRITE);
	mirror = mmu_mirror_create(mm, &slow_release_ops, 0, "release-race",
				   NULL);
	KTAP_CHECK(!IS_ERR(mirror));
	KTAP_CHECK(!IS_ERR(mmu_mirror_window_add(mirror, addr, LEN, addr, 0)));
	KTAP_CHECK(!mmu_mirror_fault(mirror, addr, LEN, MMU_MIRROR_WRITE));
	releases = 0;
	release_entered = 0;
	release_go = 0;

	KTAP_CHECK(!pthread_create(&exiter, NULL, exit_thread, mm));
	KTAP_CHECK(wait_flag(&release_entered, 5000));
	KTAP_CHECK(!pthread_create(&destroyer, NULL, destroy_thread, mirror));
	/* Destroy gets to unregister and waits there for the release. */
	usleep(100000);
	KTAP_CHECK(__atomic_load_n(&releases, __ATOMIC_SEQ_CST) == 1);
	__atomic_store_n(&release_go, 1, __ATOMIC_RELEASE);
	KTAP_CHECK(!pthread_join(destroyer, NULL));
	KTAP_CHECK(!pthread_join(exiter, NULL));
	KTAP_CHECK(releases == 1);
	return true;
}

#define NODE_CYCLES	64
#define NODE_STRIDE	(1UL << 30)
#define NODE_BASE	(1UL << 40)

/* Proves: table nodes emptied by invalidations are freed (root only). */
static bool test_empty_nodes_freed(void)
{
	struct mmu_mirror_stats st;
	struct mmu_mirror *mirror;
	struct mm_struct *mm;
	unsigned int i;

	mm = model_mm_create();
	KTAP_CHECK(mm);
	mirror = mmu_mirror_create(mm, &guarantee_ops, 0, "nodes", NULL);
	KTAP_CHECK(!IS_ERR(mirror));
	KTAP_CHECK(!IS_ERR(mmu_mirror_window_add(mirror, NODE_BASE,
						 NODE_CYCLES * NODE_STRIDE,
						 NODE_BASE, 0)));
	for (i = 0; i < NODE_CYCLES; i++) {
		unsigned long a = NODE_BASE + i * NODE_STRIDE;

		KTAP_CHECK(model_mmap(mm, a, PAGE_SIZE, VM_READ | VM_WRITE) ==
			   a);
		KTAP_CHECK(!mmu_mirror_fault(mirror, a, PAGE_SIZE,
					     MMU_MIRROR_WRITE));
		KTAP_CHECK(!model_munmap(mm, a, PAGE_SIZE));
	}
	mmu_mirror_get_stats(mirror, &st);
	printf("# after %u cycles: %llu entries, %llu table nodes\n",
	       NODE_CYCLES, st.entries, st.table_nodes);
	mmu_mirror_destroy(mirror);
	mmput(mm);
	KTAP_CHECK(st.entries == 0);
	KTAP_CHECK(st.table_nodes == 1);
	return true;
}

static const struct ktap_case cases[] = {
	{ "other_interval_refuses", test_other_interval_refuses },
	{ "classic_refuses", test_classic_refuses },
	{ "release_from_fault", test_release_from_fault },
	{ "release_once_destroy_races_exit",
	  test_release_once_destroy_races_exit },
	{ "empty_nodes_freed", test_empty_nodes_freed },
};

int main(int argc, char **argv)
{
	return ktap_model_main(argc, argv, cases, ARRAY_SIZE(cases),
			       1024, true);
}
