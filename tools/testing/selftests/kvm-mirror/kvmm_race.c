// SPDX-License-Identifier: GPL-2.0
/*
 * kvmm_race - vCPU accesses racing munmap, mprotect and MADV_PAGEOUT of
 * the memory behind a memslot never see stale data and never write
 * where they no longer may; vCPU and CPU accesses racing each other move
 * aligned 8-byte words whole.
 *
 * Generations: the CPU fills the backing memory with generation g and
 * publishes g only when the fill is complete, after the munmap that
 * removed generation g - 1.  A vCPU load that starts after reading g may
 * see zeros (a fresh mapping not yet filled), generation g or later, but
 * never an older one: that would be a page the secondary MMU kept after
 * the invalidation.  Iterations are bounded and the pass criteria depend
 * only on what was read, not on how the threads interleaved.
 */
#define _GNU_SOURCE
#include "kvmm_util.h"

#define GPA0	0x100000ULL

struct race {
	int vm;
	char *mem;
	char *buf;
	unsigned long n;
	atomic_ullong published;	/* last complete generation */
	atomic_int done;		/* the CPU side finished */
	/* results of the vCPU side */
	unsigned long loads, holes, stale, errors;
	int last_err;
};

/* vCPU thread: load the whole slot until the CPU side is done. */
static void *stale_reader(void *p)
{
	struct race *r = p;
	size_t len = r->n * KV_PAGE;

	while (!atomic_load(&r->done)) {
		uint64_t g0 = atomic_load(&r->published);
		/* One access (no allocation here: see case_race_munmap). */
		int ret = kv_access(r->vm, GPA0, r->buf, len, 0, NULL);

		if (ret == -EFAULT) {
			/* Between munmap and mmap: no host mapping. */
			r->holes++;
			continue;
		}
		if (ret) {
			r->errors++;
			r->last_err = ret;
			continue;
		}
		r->loads++;
		if (kv_count_stale("vCPU load", r->buf, r->n, g0))
			r->stale++;
	}
	return NULL;
}

static int check_reader(const char *what, struct race *r)
{
	ktap_diag("%s: %lu loads, %lu during a hole, %lu errors, %lu stale",
		  what, r->loads, r->holes, r->errors, r->stale);
	CHECK(r->errors == 0, "vCPU loads failed: %s", strerror(-r->last_err));
	CHECK(r->stale == 0, "%lu vCPU loads saw stale data", r->stale);
	return KTAP_PASS;
}

/* Load the slot once more and compare with the final generation. */
static int check_final(struct race *r, uint64_t gen)
{
	struct kvmm_run run;

	memset(r->buf, 0, r->n * KV_PAGE);
	CHECK_EQ(kv_read(r->vm, GPA0, r->buf, r->n * KV_PAGE, &run), 0);
	CHECK(!kv_check("final vCPU load", r->buf, r->n, gen),
	      "vCPU and CPU disagree at the end");
	return KTAP_PASS;
}

/*
 * The CPU side itself loads through the VM right after publishing @gen.
 * Only this thread invalidates, so no invalidation is running: every
 * entry must map the current page.  An entry that a racing fault
 * installed with a pfn looked up before the last invalidation would show
 * here even when the freed page was reused for the new generation at
 * another place or not at all.
 */
static int checkpoint(struct race *r, uint64_t gen)
{
	char *buf = r->buf + r->n * KV_PAGE;

	CHECK_EQ(kv_access(r->vm, GPA0, buf, r->n * KV_PAGE, 0, NULL), 0);
	CHECK(!kv_check("exact load", buf, r->n, gen),
	      "a stale entry survived the invalidation before generation %llu",
	      (unsigned long long)gen);
	return KTAP_PASS;
}

/* Fill generation @g, publish it and check that the VM sees exactly it. */
static int publish(struct race *r, uint64_t g)
{
	kv_fill(r->mem, r->n, g);
	atomic_store(&r->published, g);
	return checkpoint(r, g);
}

static int race_setup(struct race *r, unsigned long n)
{
	memset(r, 0, sizeof(*r));
	r->n = n;
	r->mem = kv_map(n * KV_PAGE);
	r->buf = kv_map(2 * n * KV_PAGE);	/* reader, checkpoint */
	CHECK(r->mem && r->buf, "mmap: %s", strerror(errno));
	kv_fill(r->mem, n, 1);
	atomic_store(&r->published, 1);
	r->vm = kv_create_vm(0);
	CHECK(r->vm >= 0, "KVMM_CREATE_VM: %s", strerror(-r->vm));
	CHECK_EQ(kv_set_slot(r->vm, 0, 0, GPA0, n * KV_PAGE, r->mem), 0);
	return KTAP_PASS;
}

/* Proves: vCPU loads racing munmap+mmap (and MAP_FIXED replacement) never see a replaced page. */
static int case_race_munmap(void)
{
	const unsigned long n = KVMM_MAX_ACCESS_LEN / KV_PAGE, iters = 150;
	struct kvmm_stats st;
	struct race r;
	pthread_t t;
	uint64_t g;
	int ret;

	ret = race_setup(&r, n);
	if (ret)
		return ret;
	CHECK_PT(pthread_create(&t, NULL, stale_reader, &r));
	/*
	 * The reader allocates nothing, so nothing but kv_remap_at() can
	 * take the hole an odd iteration leaves.
	 */
	for (g = 2; g <= iters; g++) {
		/* Odd: munmap, then map again; even: replace in one call. */
		if (g % 2)
			CHECK_SYS(munmap(r.mem, n * KV_PAGE));
		CHECK_EQ(kv_remap_at(r.mem, n * KV_PAGE), 0);
		ret = publish(&r, g);
		if (ret)
			return ret;
	}
	atomic_store(&r.done, 1);
	CHECK_PT(pthread_join(t, NULL));
	CHECK_EQ(kv_stats(r.vm, &st), 0);
	kv_dump_stats("after the race", &st);
	ret = check_reader("munmap race", &r);
	if (ret)
		return ret;
	CHECK(st.invalidations[KV_EV_UNMAP] >= iters - 1,
	      "only %llu UNMAP invalidations for %lu replacements",
	      (unsigned long long)st.invalidations[KV_EV_UNMAP], iters - 1);
	return check_final(&r, iters);
}

/* Proves: vCPU loads racing MADV_DONTNEED + refill never see a zapped page's old contents. */
static int case_race_dontneed(void)
{
	const unsigned long n = KVMM_MAX_ACCESS_LEN / KV_PAGE, iters = 150;
	struct race r;
	pthread_t t;
	uint64_t g;
	int ret;

	ret = race_setup(&r, n);
	if (ret)
		return ret;
	CHECK_PT(pthread_create(&t, NULL, stale_reader, &r));
	for (g = 2; g <= iters; g++) {
		CHECK_SYS(madvise(r.mem, n * KV_PAGE, MADV_DONTNEED));
		ret = publish(&r, g);
		if (ret)
			return ret;
	}
	atomic_store(&r.done, 1);
	CHECK_PT(pthread_join(t, NULL));
	ret = check_reader("DONTNEED race", &r);
	if (ret)
		return ret;
	CHECK_EQ(r.holes, 0);
	return check_final(&r, iters);
}

struct writer {
	int vm;
	unsigned long n;
	char *buf;
	atomic_int *stop;
	unsigned long stores, refused, errors;
	int last_err;
};

/* vCPU thread: store ever newer generations over the whole slot. */
static void *vcpu_writer(void *p)
{
	struct writer *w = p;
	uint64_t g = 1000;

	while (!atomic_load(w->stop)) {
		int ret;

		kv_fill(w->buf, w->n, ++g);
		ret = kv_write(w->vm, GPA0, w->buf, w->n * KV_PAGE, NULL);
		if (!ret) {
			w->stores++;
		} else if (ret == -EPERM) {
			w->refused++;
		} else {
			w->errors++;
			w->last_err = ret;
		}
	}
	return NULL;
}

/* Proves: after mprotect(PROT_READ) returns, no vCPU store lands until write access is given back. */
static int case_race_mprotect(void)
{
	const unsigned long n = 64, iters = 200;
	size_t len = n * KV_PAGE;
	char *mem = kv_map(len), *snap = kv_map(len), *probe = kv_map(len);
	static atomic_int stop;
	unsigned long i, changed = 0;
	struct writer w;
	struct kvmm_stats st;
	pthread_t t;
	int vm;

	CHECK(mem && snap && probe, "mmap: %s", strerror(errno));
	kv_fill(mem, n, 1);
	kv_fill(probe, n, 999);
	CREATE_VM(vm, 0);
	CHECK_EQ(kv_set_slot(vm, 0, 0, GPA0, len, mem), 0);
	w = (struct writer){ .vm = vm, .n = n, .buf = kv_map(len),
			     .stop = &stop };
	CHECK(w.buf, "mmap: %s", strerror(errno));
	CHECK_PT(pthread_create(&t, NULL, vcpu_writer, &w));

	for (i = 0; i < iters; i++) {
		CHECK_SYS(mprotect(mem, len, PROT_READ));
		memcpy(snap, mem, len);
		/* No writable entry may have survived or been made since. */
		CHECK_EQ(kv_write(vm, GPA0, probe, len, NULL), -EPERM);
		usleep(200 + (i % 7) * 150);
		if (memcmp(snap, mem, len))
			changed++;
		CHECK_SYS(mprotect(mem, len, PROT_READ | PROT_WRITE));
		usleep(200 + (i % 5) * 150);
	}
	atomic_store(&stop, 1);
	CHECK_PT(pthread_join(t, NULL));
	CHECK_EQ(kv_stats(vm, &st), 0);
	kv_dump_stats("after the race", &st);
	ktap_diag("%lu read-only periods: %lu with a change; vCPU: %lu stores, %lu refused, %lu errors",
		  iters, changed, w.stores, w.refused, w.errors);
	CHECK(changed == 0, "vCPU stores landed in read-only memory %lu times",
	      changed);
	CHECK(w.errors == 0, "vCPU store failed: %s", strerror(-w.last_err));
	CHECK(st.invalidations[KV_EV_PROTECTION_VMA] >= iters,
	      "mprotect invalidations not seen");

	/* Quiet again: a store lands and the CPU sees it. */
	kv_fill(w.buf, n, 7);
	CHECK_EQ(kv_write(vm, GPA0, w.buf, len, NULL), 0);
	CHECK(!kv_check("CPU view of the last store", mem, n, 7), "lost");
	return KTAP_PASS;
}

/* Thread: MADV_PAGEOUT the range over and over. */
static void *pager(void *p)
{
	struct race *r = p;

	while (!atomic_load(&r->done))
		madvise(r->mem, r->n * KV_PAGE, MADV_PAGEOUT);
	return NULL;
}

/* Proves: vCPU stores and loads racing MADV_PAGEOUT keep every byte (dirty/young propagation, refault). */
static int case_race_pageout(void)
{
	const unsigned long n = 256, iters = 60;
	size_t len = n * KV_PAGE;
	long long out0, out1;
	unsigned long bad = 0;
	struct kvmm_stats st;
	struct race r;
	pthread_t t;
	uint64_t g;
	int ret;

	if (!kv_have_swap(n))
		return ktap_skip_case("no swap configured");
	ret = race_setup(&r, n);
	if (ret)
		return ret;
	out0 = mt_proc_value("/proc/vmstat", "pswpout");
	CHECK_PT(pthread_create(&t, NULL, pager, &r));
	for (g = 2; g <= iters; g++) {
		/* The vCPU stores, the vCPU and the CPU load. */
		kv_fill(r.buf, n, g);
		CHECK_EQ(kv_write(r.vm, GPA0, r.buf, len, NULL), 0);
		usleep(2000);
		memset(r.buf, 0, len);
		CHECK_EQ(kv_read(r.vm, GPA0, r.buf, len, NULL), 0);
		bad += kv_check("vCPU load of vCPU store", r.buf, n, g);
		bad += kv_check("CPU load of vCPU store", r.mem, n, g);
		usleep(2000);
		/* The CPU stores, the vCPU loads. */
		kv_fill(r.mem, n, g + 100000);
		usleep(2000);
		CHECK_EQ(kv_read(r.vm, GPA0, r.buf, len, NULL), 0);
		bad += kv_check("vCPU load of CPU store", r.buf, n,
				g + 100000);
		CHECK(!bad, "data lost at generation %llu",
		      (unsigned long long)g);
	}
	atomic_store(&r.done, 1);
	CHECK_PT(pthread_join(t, NULL));
	out1 = mt_proc_value("/proc/vmstat", "pswpout");
	CHECK_EQ(kv_stats(r.vm, &st), 0);
	kv_dump_stats("after the race", &st);
	ktap_diag("%lld pages swapped out during the race", out1 - out0);
	CHECK(out1 > out0, "nothing was swapped out: the race did not happen");
	CHECK(st.pages_zapped > 0, "reclaim never zapped a vCPU mapping");
	return KTAP_PASS;
}

/* Proves: the stale check is not vacuous: a pinned VM (no notifier) fails it after munmap + mmap. */
static int case_stale_check_catches_pinned(void)
{
	const unsigned long n = 64;
	size_t len = n * KV_PAGE;
	char *mem = kv_map(len), *buf = kv_map(len);
	int vm;

	CHECK(mem && buf, "mmap: %s", strerror(errno));
	kv_fill(mem, n, 1);
	CREATE_VM(vm, KVMM_VM_PINNED);
	CHECK_EQ(kv_set_slot(vm, 0, 0, GPA0, len, mem), 0);
	CHECK_EQ(kv_access(vm, GPA0, buf, len, 0, NULL), 0);
	CHECK_EQ(kv_count_stale("pinned, before", buf, n, 1), 0);
	CHECK_SYS(munmap(mem, len));
	CHECK_EQ(kv_remap_at(mem, len), 0);
	kv_fill(mem, n, 2);
	CHECK_EQ(kv_access(vm, GPA0, buf, len, 0, NULL), 0);
	CHECK(kv_count_stale("pinned, after (expected)", buf, n, 2) ==
	      n * (KV_PAGE / 8), "the pinned VM should read only stale words");
	CHECK_SYS(close(vm));
	return KTAP_PASS;
}

/*
 * Torn words.  Every aligned 8-byte word of the memory holds TEAR_A or
 * TEAR_B, and one side stores whole words of one or the other while the
 * other side loads them: a load may see either value, never bytes of
 * both.  Hardware moves naturally aligned words whole; a device that
 * copies byte by byte hands a guest a value that was never stored.
 */
#define TEAR_A		0x0123456789abcdefULL
#define TEAR_B		(~TEAR_A)
#define TEAR_PAGES	16
#define TEAR_SECS	3.0
#define TEAR_MAX_RUNS	20000UL

struct tear {
	uint64_t *mem;			/* the memory behind slot 0 */
	size_t words;
	atomic_int stop;
	unsigned long rounds, bad;	/* of the CPU thread */
	uint64_t bad_val;
};

/* Words of @p that are neither value; the first is described. */
static unsigned long tear_count(const char *what, const uint64_t *p,
				size_t words)
{
	unsigned long bad = 0;
	size_t i;

	for (i = 0; i < words; i++) {
		uint64_t v = __atomic_load_n(&p[i], __ATOMIC_RELAXED);

		if (v == TEAR_A || v == TEAR_B)
			continue;
		if (!bad)
			ktap_diag("%s: word %zu is %#llx, neither %#llx nor %#llx",
				  what, i, (unsigned long long)v,
				  TEAR_A, TEAR_B);
		bad++;
	}
	return bad;
}

/* Every word of @p set to @v, one 8-byte store each. */
static void tear_fill(uint64_t *p, size_t words, uint64_t v)
{
	size_t i;

	for (i = 0; i < words; i++)
		__atomic_store_n(&p[i], v, __ATOMIC_RELAXED);
}

/* CPU thread: store A, then B, over every word, until told to stop. */
static void *tear_storer(void *p)
{
	struct tear *t = p;

	while (!atomic_load(&t->stop)) {
		tear_fill(t->mem, t->words, t->rounds & 1 ? TEAR_A : TEAR_B);
		t->rounds++;
	}
	return NULL;
}

/* CPU thread: load every word, until told to stop. */
static void *tear_loader(void *p)
{
	struct tear *t = p;

	while (!atomic_load(&t->stop)) {
		t->bad += tear_count("CPU load", t->mem, t->words);
		t->rounds++;
	}
	return NULL;
}

/* Run vCPU accesses (@write: stores) against the CPU thread @fn. */
static int tear_race(int write, void *(*fn)(void *))
{
	size_t len = TEAR_PAGES * KV_PAGE, words = len / 8;
	uint64_t *buf = kv_map(len);
	struct tear t = { .mem = kv_map(len), .words = words };
	unsigned long runs, bad = 0;
	double end;
	pthread_t th;
	int vm;

	CHECK(t.mem && buf, "mmap: %s", strerror(errno));
	tear_fill(t.mem, words, TEAR_A);
	CREATE_VM(vm, 0);
	CHECK_EQ(kv_set_slot(vm, 0, 0, GPA0, len, t.mem), 0);
	/* Fault the slot in: the race is between copies, not faults. */
	CHECK_EQ(kv_access(vm, GPA0, buf, len, 0, NULL), 0);
	CHECK_PT(pthread_create(&th, NULL, fn, &t));
	end = ktap_now() + TEAR_SECS;
	for (runs = 0; runs < TEAR_MAX_RUNS && ktap_now() < end; runs++) {
		if (write)
			tear_fill(buf, words, runs & 1 ? TEAR_A : TEAR_B);
		CHECK_EQ(kv_access(vm, GPA0, buf, len, write, NULL), 0);
		if (!write)
			bad += tear_count("vCPU load", buf, words);
	}
	atomic_store(&t.stop, 1);
	CHECK_PT(pthread_join(th, NULL));
	bad += t.bad;
	ktap_diag("%lu vCPU %s of %zu KiB, %lu CPU rounds, %lu torn words",
		  runs, write ? "stores" : "loads", len >> 10, t.rounds, bad);
	CHECK(runs > 0 && t.rounds > 0, "the two sides did not overlap");
	CHECK(bad == 0, "%lu words were torn", bad);
	CHECK_SYS(close(vm));
	return KTAP_PASS;
}

/* Proves: a vCPU load of words the CPU is storing sees each word whole. */
static int case_load_whole_words(void)
{
	return tear_race(0, tear_storer);
}

/* Proves: a CPU load of words a vCPU is storing sees each word whole. */
static int case_store_whole_words(void)
{
	return tear_race(1, tear_loader);
}

static const struct ktap_case cases[] = {
	KTAP_CASE_TMO(race_munmap, 300),
	KTAP_CASE_TMO(race_dontneed, 300),
	KTAP_CASE_TMO(race_mprotect, 300),
	KTAP_CASE_TMO(race_pageout, 300),
	KTAP_CASE(stale_check_catches_pinned),
	KTAP_CASE_TMO(load_whole_words, 60),
	KTAP_CASE_TMO(store_whole_words, 60),
	KTAP_CASE(kernel_not_tainted),
};

int main(void)
{
	mt_record_taint();
	return ktap_run(cases, ARRAY_SIZE(cases));
}
