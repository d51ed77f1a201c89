// SPDX-License-Identifier: GPL-2.0
/*
 * stress.c - randomized multi-threaded stress of mmu_mirror on the model
 *
 * CPU threads store per-page generation stamps, device threads fault and
 * access the same pages through a mirror and check what they read, and a
 * mutator thread unmaps and remaps, changes protections, discards pages,
 * and, where the model VM has them, pages out, reclaims, forks and
 * migrates.  The
 * invariant checker is on throughout; at the end, with everything quiet,
 * the mirror's data must equal the CPU's.  The device threads share one
 * device TLB (struct mmu_mirror_tlb), which only the mirror's flush
 * empties, so a late or missing flush shows as a stale device read.
 *
 * The second case runs the same threads against a device with a table of
 * its own behind a DMA mirror: it copies through its table inside
 * mmu_mirror_access_begin()/end() brackets, and its table is a checker
 * source, so an entry that outlives an invalidation or a page is caught.
 *
 *	stress [--seed N] [--ops N] [--total N] [--skip-tlb-flush]
 *
 * Each thread draws its operations from its own generator seeded from N,
 * so a seed reproduces every thread's operation sequence (the
 * interleaving is the scheduler's).  --ops is the mutator's count of
 * operations, and the least that CPU and device threads do.  --total
 * runs each case instead until its threads have done N operations in
 * all (make soak asks for 10^7).
 * --skip-tlb-flush makes the flush leave the TLB alone: the run must
 * then fail, with checker violations and stale device reads.
 */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <linux/dma-mapping.h>
#include <linux/mmu_mirror.h>
#include <linux/sched/mm.h>
#include <model/checker.h>
#include <model/shim.h>
#include <model/vm.h>
#include "ktap.h"

#define NPAGES		32
#define NCPU		2
#define NDEV		2
#define STAMP(page, gen)	(((u64)(page) << 32) | (gen))

static unsigned long opt_seed;
static unsigned long opt_ops = 5000;
static unsigned long opt_total;
static bool opt_skip_tlb_flush;

/*
 * One lock per page orders stamp writers (CPU and device) against
 * readers, so a reader knows the only values the page may hold: 0 (the
 * page was discarded or remapped since) or the last stamp written.
 */
struct stress_page {
	pthread_rwlock_t lock;
	u32 gen;	/* under lock, held for write */
};

/*
 * The device of the second case: one entry per page, its DMA address
 * above PAGE_SHIFT, flags below; changed by the helper's map and unmap
 * under mirror->lock, read by the device under @lock.
 */
#define DT_VALID	0x1ULL
#define DT_WRITE	0x2ULL
#define DT_DIRTY	0x4ULL

struct stress_devtab {
	spinlock_t lock;	/* the device's view of @ent */
	struct device dev;
	u64 ent[NPAGES];
	unsigned long maps, unmaps;
};

struct stress {
	struct mm_struct *mm;
	struct mmu_mirror *mirror;
	struct mmu_mirror_tlb tlb;
	unsigned long addr;
	struct stress_devtab *dt;	/* second case only */
	pthread_mutex_t map_lock;	/* serializes unmap + remap */
	struct stress_page pages[NPAGES];
	unsigned long bad_data;
	unsigned long cpu_ok, dev_ok, mut_ops;
	unsigned long ops[NCPU + NDEV + 1];	/* done per thread, any outcome */
};

struct stress_thread {
	struct stress *s;
	pthread_t thread;
	u64 rng;
	unsigned int id;
};

static u64 rnd(struct stress_thread *t)
{
	/* xorshift64* */
	t->rng ^= t->rng >> 12;
	t->rng ^= t->rng << 25;
	t->rng ^= t->rng >> 27;
	return t->rng * 0x2545F4914F6CDD1DULL;
}

static void check_pthread(int err)
{
	if (err) {
		fprintf(stderr, "# pthread error %d\n", err);
		abort();
	}
}

/* A value read from @page must be 0 or its last stamp. */
static void check_value(struct stress *s, unsigned int page, u64 v,
			const char *who)
{
	u64 want = STAMP(page, s->pages[page].gen);

	if (v == 0 || v == want)
		return;
	__atomic_add_fetch(&s->bad_data, 1, __ATOMIC_RELAXED);
	printf("# %s read %#llx from page %u, expected 0 or %#llx\n", who,
	       (unsigned long long)v, page, (unsigned long long)want);
}

static void cpu_op(struct stress_thread *t)
{
	struct stress *s = t->s;
	unsigned int page = rnd(t) % NPAGES;
	struct stress_page *p = &s->pages[page];
	unsigned long hva = s->addr + page * PAGE_SIZE;
	u64 v;

	if (rnd(t) % 2) {
		check_pthread(pthread_rwlock_wrlock(&p->lock));
		v = STAMP(page, p->gen + 1);
		if (!model_cpu_access(s->mm, hva, &v, sizeof(v), true)) {
			p->gen++;
			__atomic_add_fetch(&s->cpu_ok, 1, __ATOMIC_RELAXED);
		}
	} else {
		check_pthread(pthread_rwlock_rdlock(&p->lock));
		if (!model_cpu_access(s->mm, hva, &v, sizeof(v), false)) {
			check_value(s, page, v, "cpu");
			__atomic_add_fetch(&s->cpu_ok, 1, __ATOMIC_RELAXED);
		}
	}
	check_pthread(pthread_rwlock_unlock(&p->lock));
}

/*
 * The device's own copy through its table, inside an access bracket: the
 * entry must be there (writable for a write), or the helper broke its
 * promise.
 */
static int devtab_copy(struct stress *s, unsigned long hva, u64 *v,
		       unsigned int access)
{
	struct stress_devtab *dt = s->dt;
	unsigned int idx = (hva - s->addr) / PAGE_SIZE;
	bool write = access & MMU_MIRROR_WRITE;
	u64 e, phys;
	void *kaddr;

	spin_lock(&dt->lock);
	e = dt->ent[idx];
	if (!(e & DT_VALID) || (write && !(e & DT_WRITE))) {
		spin_unlock(&dt->lock);
		__atomic_add_fetch(&s->bad_data, 1, __ATOMIC_RELAXED);
		printf("# device entry %u missing inside an access bracket\n",
		       idx);
		return -EIO;
	}
	phys = (e & PAGE_MASK) - dt->dev.dma_offset;
	kaddr = page_address(pfn_to_page(phys >> PAGE_SHIFT)) +
		offset_in_page(hva);
	if (write) {
		memcpy(kaddr, v, sizeof(*v));
		dt->ent[idx] |= DT_DIRTY;	/* as the hardware would */
	} else {
		memcpy(v, kaddr, sizeof(*v));
	}
	spin_unlock(&dt->lock);
	return 0;
}

/* Fault, bracket, copy through the device table, end the bracket. */
static int devtab_access(struct stress *s, unsigned long hva, u64 *v,
			 unsigned int access)
{
	struct mmu_mirror_inflight acc;
	unsigned int tries;
	int ret = -EBUSY;

	for (tries = 0; tries < 100; tries++) {
		ret = mmu_mirror_fault(s->mirror, hva, sizeof(*v), access);
		if (ret)
			return ret;
		ret = mmu_mirror_access_begin(s->mirror, &acc, hva, sizeof(*v),
					      access);
		if (ret == -ENOENT || ret == -EAGAIN)
			continue;
		if (ret)
			return ret;
		ret = devtab_copy(s, hva, v, access);
		mmu_mirror_access_end(s->mirror, &acc);
		return ret;
	}
	return ret;
}

/* Access 8 bytes through the device TLB, faulting once if needed. */
static int dev_access(struct stress *s, unsigned long hva, u64 *v,
		      unsigned int access)
{
	size_t done;
	int ret;

	if (s->dt)
		return devtab_access(s, hva, v, access);

	ret = mmu_mirror_tlb_access(&s->tlb, hva, v, sizeof(*v), access,
				    &done);
	if (ret != -ENOENT)
		return ret;
	ret = mmu_mirror_fault(s->mirror, hva, PAGE_SIZE, access);
	if (ret)
		return ret;
	return mmu_mirror_tlb_access(&s->tlb, hva, v, sizeof(*v), access,
				     &done);
}

static void dev_op(struct stress_thread *t)
{
	struct stress *s = t->s;
	unsigned int page = rnd(t) % NPAGES;
	struct stress_page *p = &s->pages[page];
	unsigned long hva = s->addr + page * PAGE_SIZE;
	u64 v;

	if (rnd(t) % 4 == 0) {
		check_pthread(pthread_rwlock_wrlock(&p->lock));
		v = STAMP(page, p->gen + 1);
		if (!dev_access(s, hva, &v, MMU_MIRROR_WRITE)) {
			p->gen++;
			__atomic_add_fetch(&s->dev_ok, 1, __ATOMIC_RELAXED);
		}
	} else {
		check_pthread(pthread_rwlock_rdlock(&p->lock));
		if (!dev_access(s, hva, &v, 0)) {
			check_value(s, page, v, "device");
			__atomic_add_fetch(&s->dev_ok, 1, __ATOMIC_RELAXED);
		}
	}
	check_pthread(pthread_rwlock_unlock(&p->lock));
}

static void mutate_op(struct stress_thread *t)
{
	struct stress *s = t->s;
	unsigned long first = rnd(t) % NPAGES;
	unsigned long n = 1 + rnd(t) % (NPAGES - first);
	unsigned long start = s->addr + first * PAGE_SIZE;
	unsigned long len = n * PAGE_SIZE;
	struct mm_struct *child;

	switch (rnd(t) % 6) {
	case 0:
		check_pthread(pthread_mutex_lock(&s->map_lock));
		model_munmap(s->mm, start, len);
		if (model_mmap(s->mm, start, len, VM_READ | VM_WRITE) != start)
			printf("# remap at %#lx failed\n", start);
		check_pthread(pthread_mutex_unlock(&s->map_lock));
		break;
	case 1:
		model_mprotect(s->mm, start, len, VM_READ);
		break;
	case 2:
		model_mprotect(s->mm, start, len, VM_READ | VM_WRITE);
		break;
	case 3:
		model_madvise_dontneed(s->mm, start, len);
		break;
	case 4:
		model_madvise_pageout(s->mm, start, len);
		break;
	default:
		/* Reclaim and migration walk the rmap, without mmap_lock. */
		switch (rnd(t) % 3) {
		case 0:
			model_migrate_range(s->mm, start, start + len);
			break;
		case 1:
			model_reclaim(n);
			break;
		default:
			child = model_fork(s->mm);
			if (!IS_ERR_OR_NULL(child))
				mmput(child);
			break;
		}
		break;
	}
	__atomic_add_fetch(&s->mut_ops, 1, __ATOMIC_RELAXED);
}

/* The mutator has done all its operations. */
static bool mutator_done(struct stress *s)
{
	return __atomic_load_n(&s->mut_ops, __ATOMIC_RELAXED) >= opt_ops;
}

/* Operations of all threads so far. */
static unsigned long ops_all(struct stress *s)
{
	unsigned long sum = 0;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(s->ops); i++)
		sum += __atomic_load_n(&s->ops[i], __ATOMIC_RELAXED);
	return sum;
}

/*
 * The mutator does --ops operations; CPU and device threads at least as
 * many, and go on until the mutator is done, so that every mutation
 * meets accesses (device TLB hits are cheap, and would otherwise finish
 * long before the mutator).  With --total all threads go on until their
 * operations add up to it.
 */
static bool thread_goes_on(struct stress_thread *t, unsigned long i)
{
	if (opt_total)
		return ops_all(t->s) < opt_total;
	return i < opt_ops || (t->id < NCPU + NDEV && !mutator_done(t->s));
}

static void *stress_thread_fn(void *arg)
{
	struct stress_thread *t = arg;
	unsigned long i;

	for (i = 0; thread_goes_on(t, i); i++) {
		if (t->id < NCPU)
			cpu_op(t);
		else if (t->id < NCPU + NDEV)
			dev_op(t);
		else
			mutate_op(t);
		__atomic_store_n(&t->s->ops[t->id], i + 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void stress_flush(struct mmu_mirror *mirror)
{
	struct stress *s = mmu_mirror_priv(mirror);

	if (!opt_skip_tlb_flush)
		mmu_mirror_tlb_flush(&s->tlb);
}

static const struct mmu_mirror_ops stress_ops = {
	.flush = stress_flush,
};

static struct stress *stress_of(struct mmu_mirror *mirror)
{
	return mmu_mirror_priv(mirror);
}

static int devtab_map(struct mmu_mirror *mirror, u64 sva, const u64 *addrs,
		      unsigned int n, unsigned int flags)
{
	struct stress *s = stress_of(mirror);
	unsigned int i, idx = (sva - s->addr) / PAGE_SIZE;

	if (flags & MMU_MIRROR_MAP_HUGE)
		return -EINVAL;		/* the model maps 4 KiB pages */
	spin_lock(&s->dt->lock);
	for (i = 0; i < n; i++)
		s->dt->ent[idx + i] = addrs[i] | DT_VALID |
				      (flags & MMU_MIRROR_MAP_WRITE ?
				       DT_WRITE : 0);
	s->dt->maps++;
	spin_unlock(&s->dt->lock);
	return 0;
}

static void devtab_unmap(struct mmu_mirror *mirror, u64 sva, u64 size)
{
	struct stress *s = stress_of(mirror);
	unsigned int i, idx = (sva - s->addr) / PAGE_SIZE;

	spin_lock(&s->dt->lock);
	for (i = 0; i < size / PAGE_SIZE; i++)
		s->dt->ent[idx + i] = 0;
	s->dt->unmaps++;
	spin_unlock(&s->dt->lock);
}

static unsigned int devtab_harvest(struct mmu_mirror *mirror, u64 sva,
				   u64 size, bool clear)
{
	struct stress *s = stress_of(mirror);
	unsigned int idx = (sva - s->addr) / PAGE_SIZE;
	unsigned int bits;

	spin_lock(&s->dt->lock);
	bits = s->dt->ent[idx] & DT_DIRTY ? MMU_MIRROR_HARVEST_DIRTY : 0;
	spin_unlock(&s->dt->lock);
	return bits;
}

static const struct mmu_mirror_ops devtab_ops = {
	.flush = stress_flush,
	.map = devtab_map,
	.unmap = devtab_unmap,
	.harvest = devtab_harvest,
};

/* The device table as a checker source, entry i at host addr + i. */
static void devtab_source(void *ctx, struct mm_struct *mm,
			  unsigned long start, unsigned long end, bool nowait,
			  checker_visit_fn visit, void *arg)
{
	struct stress *s = ctx;
	unsigned int i;

	if (mm && mm != s->mm)
		return;
	if (!nowait)
		spin_lock(&s->dt->lock);
	else if (!spin_trylock(&s->dt->lock))
		return;
	for (i = 0; i < NPAGES; i++) {
		struct checker_entry e = {
			.hva = s->addr + i * PAGE_SIZE,
			.pfn = ((s->dt->ent[i] & PAGE_MASK) -
				s->dt->dev.dma_offset) >> PAGE_SHIFT,
			.npages = 1,
		};

		if ((s->dt->ent[i] & DT_VALID) && e.hva < end &&
		    e.hva + PAGE_SIZE > start)
			visit(&e, arg);
	}
	spin_unlock(&s->dt->lock);
}

/* Every thread finishes; checker and data checks stay clean. */
static bool run_stress(struct stress_devtab *dt)
{
	struct stress_thread threads[NCPU + NDEV + 1];
	static struct stress s;
	struct mmu_mirror_tlb_stats tst;
	struct mmu_mirror_stats st;
	unsigned int i;

	memset(&s, 0, sizeof(s));
	s.dt = dt;
	if (opt_total)
		printf("# seed %lu, %lu operations in all%s\n", opt_seed,
		       opt_total,
		       opt_skip_tlb_flush ? ", TLB flush skipped" : "");
	else
		printf("# seed %lu, %lu ops per thread%s\n", opt_seed,
		       opt_ops,
		       opt_skip_tlb_flush ? ", TLB flush skipped" : "");
	printf("# rerun: stress --seed %lu --%s %lu%s\n", opt_seed,
	       opt_total ? "total" : "ops", opt_total ? opt_total : opt_ops,
	       opt_skip_tlb_flush ? " --skip-tlb-flush" : "");
	s.mm = model_mm_create();
	KTAP_CHECK(s.mm);
	s.addr = model_mmap(s.mm, 0, NPAGES * PAGE_SIZE, VM_READ | VM_WRITE);
	KTAP_CHECK(!IS_ERR_VALUE(s.addr));
	if (dt) {
		s.mirror = mmu_mirror_create_dev(&dt->dev, s.mm, &devtab_ops,
						 0, "stress-dt", &s);
		KTAP_CHECK(!checker_register_source("devtable",
						    devtab_source, &s));
	} else {
		s.mirror = mmu_mirror_create(s.mm, &stress_ops, 0, "stress",
					     &s);
	}
	KTAP_CHECK(!IS_ERR(s.mirror));
	mmu_mirror_tlb_init(&s.tlb, s.mirror);
	KTAP_CHECK(!IS_ERR(mmu_mirror_window_add(s.mirror, s.addr,
						 NPAGES * PAGE_SIZE, s.addr,
						 0)));
	check_pthread(pthread_mutex_init(&s.map_lock, NULL));
	for (i = 0; i < NPAGES; i++)
		check_pthread(pthread_rwlock_init(&s.pages[i].lock, NULL));

	for (i = 0; i < ARRAY_SIZE(threads); i++) {
		threads[i] = (struct stress_thread){
			.s = &s,
			.id = i,
			.rng = (opt_seed + 1) * 0x9E3779B97F4A7C15ULL + i,
		};
		check_pthread(pthread_create(&threads[i].thread, NULL,
					     stress_thread_fn, &threads[i]));
	}
	for (i = 0; i < ARRAY_SIZE(threads); i++)
		check_pthread(pthread_join(threads[i].thread, NULL));

	/* Quiet now: map everything in and compare. */
	KTAP_CHECK(model_mprotect(s.mm, s.addr, NPAGES * PAGE_SIZE,
				  VM_READ | VM_WRITE) == 0);
	KTAP_CHECK(mmu_mirror_fault(s.mirror, s.addr, NPAGES * PAGE_SIZE,
				    0) == 0);
	checker_checkpoint(s.mm);
	KTAP_CHECK(checker_compare(s.mm, "mmu_mirror") == 0);
	mmu_mirror_get_stats(s.mirror, &st);
	printf("# cpu ok %lu, device ok %lu, mutations %lu\n", s.cpu_ok,
	       s.dev_ok, s.mut_ops);
	printf("# operations: %lu in all\n", ops_all(&s));
	printf("# mirror: faults %llu, retries %llu, zapped %llu,",
	       st.faults, st.retries, st.entries_zapped);
	printf(" flushes %llu\n", st.flushes);
	if (dt)
		printf("# device table: %lu maps, %lu unmaps\n", dt->maps,
		       dt->unmaps);
	mmu_mirror_tlb_get_stats(&s.tlb, &tst);
	printf("# device TLB: hits %llu, misses %llu, emptied %llu,",
	       tst.hits, tst.misses, tst.emptied);
	printf(" dropped %llu, fill races %llu, age resets %llu\n",
	       tst.dropped, tst.fill_races, tst.age_resets);
	mmu_mirror_tlb_flush(&s.tlb);
	mmu_mirror_destroy(s.mirror);
	if (dt)
		checker_unregister_source(&s);
	mmput(s.mm);
	for (i = 0; i < NPAGES; i++)
		check_pthread(pthread_rwlock_destroy(&s.pages[i].lock));
	check_pthread(pthread_mutex_destroy(&s.map_lock));
	KTAP_CHECK(s.bad_data == 0);
	return true;
}

static bool test_stress(void)
{
	return run_stress(NULL);
}

/* The same with a driver-owned table, DMA addresses and access brackets. */
static bool test_stress_devtable(void)
{
	static struct stress_devtab dt;

	memset(&dt, 0, sizeof(dt));
	spin_lock_init(&dt.lock);
	dt.dev.init_name = "stress-dev";
	dt.dev.dma_offset = 1ULL << 44;
	if (!run_stress(&dt))
		return false;
	KTAP_CHECK(model_dma_live() == 0);
	return true;
}

static const struct ktap_case cases[] = {
	{ "stress", test_stress },
	{ "stress_devtable", test_stress_devtable },
};

static int parse_args(int argc, char **argv)
{
	int i;

	opt_seed = (unsigned long)time(NULL) ^ (unsigned long)getpid();
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			opt_seed = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--ops") && i + 1 < argc)
			opt_ops = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--total") && i + 1 < argc)
			opt_total = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--skip-tlb-flush"))
			opt_skip_tlb_flush = true;
		else
			return -EINVAL;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (ktap_harness_args(&argc, argv))
		return 2;
	if (parse_args(argc, argv)) {
		fprintf(stderr,
			"usage: %s [--seed N] [--ops N] [--total N] [--skip-tlb-flush] [--core=...]\n",
			argv[0]);
		return 2;
	}
	return ktap_model_main(1, argv, cases, ARRAY_SIZE(cases),
			       1024, true);
}
