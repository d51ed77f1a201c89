// SPDX-License-Identifier: GPL-2.0
/*
 * kvmm_memslot - memslot create, move and delete, alone and while the
 * backing memory is being invalidated (MADV_DONTNEED, munmap + mmap) and
 * while vCPUs run on other slots.
 *
 * A memslot update removes and adds helper windows; removal waits out a
 * running invalidation and an added window's first fault waits for one
 * to end, so a vCPU never sees data the CPU already replaced, whatever
 * the interleaving.  The checks use the generation scheme of kvmm_race.
 */
#define _GNU_SOURCE
#include "kvmm_util.h"

#include <stdbool.h>

#define GPA_A	0x100000ULL
#define GPA_B	0x40000000ULL
#define GPA_C	0x80000000ULL
#define GPA_D	0xc0000000ULL

/* Proves: a slot can be created, moved (old address gone, data kept), deleted and re-created. */
static int case_slot_lifecycle(void)
{
	const unsigned long n = 32;
	size_t len = n * KV_PAGE;
	char *mem = kv_map(len), *mem2 = kv_map(len), *buf = kv_map(len);
	struct kvmm_stats st;
	struct kvmm_run run;
	int vm;

	CHECK(mem && mem2 && buf, "mmap: %s", strerror(errno));
	kv_fill(mem, n, 1);
	kv_fill(mem2, n, 2);
	CREATE_VM(vm, 0);
	CHECK_EQ(kv_set_slot(vm, 3, 0, GPA_A, len, mem), 0);
	CHECK_EQ(kv_read(vm, GPA_A, buf, len, &run), 0);
	CHECK(!kv_check("slot at A", buf, n, 1), "wrong data");
	CHECK_EQ(kv_stats(vm, &st), 0);
	CHECK_EQ(st.nr_slots, 1);
	CHECK_EQ(st.entries, n);

	/* Move: the old guest range is gone, the new one has the data. */
	CHECK_EQ(kv_set_slot(vm, 3, 0, GPA_B, len, mem), 0);
	CHECK_EQ(kv_stats(vm, &st), 0);
	CHECK_EQ(st.nr_slots, 1);
	CHECK_EQ(st.entries, 0);
	CHECK_EQ(kv_read(vm, GPA_A, buf, KV_PAGE, &run), -EFAULT);
	CHECK_EQ(kv_read(vm, GPA_B, buf, len, &run), 0);
	CHECK_EQ(run.faults, 1);
	CHECK(!kv_check("slot moved to B", buf, n, 1), "wrong data");
	/* A move that overlaps its own old range. */
	CHECK_EQ(kv_set_slot(vm, 3, 0, GPA_B + 4 * KV_PAGE, len, mem), 0);
	CHECK_EQ(kv_read(vm, GPA_B + 4 * KV_PAGE, buf, len, &run), 0);
	CHECK(!kv_check("slot moved by 4 pages", buf, n, 1), "wrong data");
	CHECK_EQ(kv_read(vm, GPA_B, buf, KV_PAGE, &run), -EFAULT);

	/* Another slot may now take A. */
	CHECK_EQ(kv_set_slot(vm, 4, 0, GPA_A, len, mem2), 0);
	CHECK_EQ(kv_read(vm, GPA_A, buf, len, &run), 0);
	CHECK(!kv_check("new slot at A", buf, n, 2), "stale data at A");
	/* A move onto another slot is refused and changes nothing. */
	CHECK_EQ(kv_set_slot(vm, 3, 0, GPA_A, len, mem), -EEXIST);
	CHECK_EQ(kv_read(vm, GPA_B + 4 * KV_PAGE, buf, len, &run), 0);
	CHECK(!kv_check("slot after refused move", buf, n, 1), "wrong data");

	/* Delete, then re-create the id over other memory. */
	CHECK_EQ(kv_del_slot(vm, 3), 0);
	CHECK_EQ(kv_read(vm, GPA_B + 4 * KV_PAGE, buf, KV_PAGE, &run),
		 -EFAULT);
	CHECK_EQ(kv_del_slot(vm, 3), -EINVAL);
	CHECK_EQ(kv_set_slot(vm, 3, 0, GPA_C, len, mem2), 0);
	CHECK_EQ(kv_read(vm, GPA_C, buf, len, &run), 0);
	CHECK(!kv_check("re-created slot", buf, n, 2), "wrong data");
	CHECK_EQ(kv_stats(vm, &st), 0);
	CHECK_EQ(st.nr_slots, 2);
	CHECK_EQ(st.entries, 2 * n);
	CHECK_SYS(close(vm));
	return KTAP_PASS;
}

/* Proves: all KVMM_MAX_SLOTS slots work at once, each reaching its own memory. */
static int case_all_slots(void)
{
	const unsigned long per = 4, n = per * KVMM_MAX_SLOTS;
	char *mem = kv_map(n * KV_PAGE), *buf = kv_map(n * KV_PAGE);
	struct kvmm_access a[KVMM_MAX_SLOTS];
	struct kvmm_stats st;
	struct kvmm_run run;
	unsigned int i;
	int vm;

	CHECK(mem && buf, "mmap: %s", strerror(errno));
	kv_fill(mem, n, 3);
	CREATE_VM(vm, 0);
	for (i = 0; i < KVMM_MAX_SLOTS; i++) {
		/* Slot i maps chunk 31 - i at i MiB. */
		unsigned long chunk = KVMM_MAX_SLOTS - 1 - i;

		CHECK_EQ(kv_set_slot(vm, i, i % 3 ? 0 : KVMM_MEM_READONLY,
				     (__u64)i * KV_MIB, per * KV_PAGE,
				     mem + chunk * per * KV_PAGE), 0);
		a[i] = (struct kvmm_access){ (__u64)i * KV_MIB,
			(uintptr_t)(buf + chunk * per * KV_PAGE),
			per * KV_PAGE, 0 };
	}
	CHECK_EQ(kv_stats(vm, &st), 0);
	CHECK_EQ(st.nr_slots, KVMM_MAX_SLOTS);
	CHECK_EQ(kv_run(vm, a, KVMM_MAX_SLOTS, &run), 0);
	CHECK_EQ(run.completed, KVMM_MAX_SLOTS);
	CHECK_EQ(run.faults, KVMM_MAX_SLOTS);
	CHECK(!kv_check("all slots", buf, n, 3), "a slot maps the wrong memory");

	for (i = 0; i < KVMM_MAX_SLOTS; i++)
		CHECK_EQ(kv_del_slot(vm, i), 0);
	CHECK_EQ(kv_stats(vm, &st), 0);
	CHECK_EQ(st.nr_slots, 0);
	CHECK_EQ(st.entries, 0);
	CHECK_EQ(kv_run(vm, a, 1, &run), -EFAULT);
	CHECK_SYS(close(vm));
	return KTAP_PASS;
}

struct churn {
	char *mem;
	unsigned long n;
	int unmap;			/* munmap + mmap instead of DONTNEED */
	atomic_ullong published;
	atomic_int stop;
	int vm;			/* loads through the stable slot 1 */
	char *check;
	atomic_ulong rounds;
	unsigned long bad;
};

/* CPU thread: invalidate the backing memory and refill it, forever. */
static void *invalidator(void *p)
{
	struct churn *c = p;
	uint64_t g = atomic_load(&c->published);

	while (!atomic_load(&c->stop)) {
		if (c->unmap) {
			if (munmap(c->mem, c->n * KV_PAGE) ||
			    kv_remap_at(c->mem, c->n * KV_PAGE))
				break;
		} else if (madvise(c->mem, c->n * KV_PAGE, MADV_DONTNEED)) {
			break;
		}
		kv_fill(c->mem, c->n, ++g);
		atomic_store(&c->published, g);
		c->rounds++;
		/*
		 * No invalidation runs now (this thread is the only one
		 * making them): the stable slot must show exactly @g.
		 */
		if (kv_access(c->vm, GPA_C, c->check, c->n * KV_PAGE, 0,
			      NULL) ||
		    kv_check("load between invalidations", c->check, c->n, g))
			c->bad++;
	}
	return NULL;
}

struct alias_reader {
	int vm;
	__u64 gpa;
	char *buf;
	struct churn *c;
	unsigned long loads, stale, errors;
	int last_err;
};

/* vCPU thread: load through a slot that never changes, check for staleness. */
static void *alias_reader(void *p)
{
	struct alias_reader *r = p;
	size_t len = r->c->n * KV_PAGE;

	while (!atomic_load(&r->c->stop)) {
		uint64_t g0 = atomic_load(&r->c->published);
		int ret = kv_access(r->vm, r->gpa, r->buf, len, 0, NULL);

		if (ret == -EFAULT && r->c->unmap)
			continue;
		if (ret) {
			r->errors++;
			r->last_err = ret;
			continue;
		}
		r->loads++;
		if (kv_count_stale("alias load", r->buf, r->c->n, g0))
			r->stale++;
	}
	return NULL;
}

/*
 * Move slot 0 between A and B and re-create slot 2 at D, over and over,
 * while a thread invalidates the memory and a vCPU loads it through the
 * fixed slot 1 at C.  After each update, a load through the updated slot
 * must not be stale either.
 */
static int updates_while_invalidating(int unmap)
{
	const unsigned long n = 64, iters = 100;
	size_t len = n * KV_PAGE;
	struct alias_reader ar;
	unsigned long i, stale = 0, loads = 0, holes = 0;
	struct kvmm_stats st;
	struct churn c = { .n = n, .unmap = unmap };
	pthread_t ti, tr;
	char *buf = kv_map(len);
	__u64 gpa = GPA_A;
	int vm, ret;

	c.mem = kv_map(len);
	c.check = kv_map(len);
	CHECK(c.mem && c.check && buf, "mmap: %s", strerror(errno));
	kv_fill(c.mem, n, 1);
	atomic_store(&c.published, 1);
	CREATE_VM(vm, 0);
	c.vm = vm;
	CHECK_EQ(kv_set_slot(vm, 0, 0, gpa, len, c.mem), 0);
	CHECK_EQ(kv_set_slot(vm, 1, 0, GPA_C, len, c.mem), 0);
	ar = (struct alias_reader){ .vm = vm, .gpa = GPA_C,
				    .buf = kv_map(len), .c = &c };
	CHECK(ar.buf, "mmap: %s", strerror(errno));
	CHECK_PT(pthread_create(&ti, NULL, invalidator, &c));
	CHECK_PT(pthread_create(&tr, NULL, alias_reader, &ar));

	/* At least @iters updates, and until the invalidator did @iters rounds. */
	for (i = 0; i < iters ||
	     (atomic_load(&c.rounds) < iters && i < 20 * iters); i++) {
		uint64_t g0;

		gpa = gpa == GPA_A ? GPA_B : GPA_A;
		CHECK_EQ(kv_set_slot(vm, 0, 0, gpa, len, c.mem), 0);
		CHECK_EQ(kv_set_slot(vm, 2, i % 2 ? KVMM_MEM_READONLY : 0,
				     GPA_D, len, c.mem), 0);
		g0 = atomic_load(&c.published);
		ret = kv_access(vm, gpa, buf, len, 0, NULL);
		if (ret == -EFAULT && unmap) {
			holes++;
		} else {
			CHECK_EQ(ret, 0);
			loads++;
			stale += !!kv_count_stale("load after move", buf, n, g0);
		}
		g0 = atomic_load(&c.published);
		ret = kv_access(vm, GPA_D, buf, len, 0, NULL);
		if (ret == -EFAULT && unmap) {
			holes++;
		} else {
			CHECK_EQ(ret, 0);
			loads++;
			stale += !!kv_count_stale("load from new slot", buf, n,
						  g0);
		}
		CHECK_EQ(kv_del_slot(vm, 2), 0);
	}
	atomic_store(&c.stop, 1);
	CHECK_PT(pthread_join(ti, NULL));
	CHECK_PT(pthread_join(tr, NULL));
	CHECK_EQ(kv_stats(vm, &st), 0);
	kv_dump_stats("after the race", &st);
	ktap_diag("%lu invalidation rounds, %lu inexact; updater: %lu loads, %lu holes, %lu stale; vCPU: %lu loads, %lu errors, %lu stale",
		  (unsigned long)atomic_load(&c.rounds), c.bad, loads, holes,
		  stale, ar.loads, ar.errors,
		  ar.stale);
	CHECK(stale == 0, "%lu loads after an update saw stale data", stale);
	CHECK(ar.stale == 0, "%lu vCPU loads saw stale data", ar.stale);
	CHECK(ar.errors == 0, "vCPU load failed: %s", strerror(-ar.last_err));
	CHECK(c.bad == 0, "%lu loads between invalidations were not exact",
	      c.bad);
	CHECK(atomic_load(&c.rounds) > 0, "the invalidating thread never ran");
	CHECK_EQ(st.nr_slots, 2);

	/* Quiet: both remaining slots show the last generation. */
	CHECK_EQ(kv_read(vm, gpa, buf, len, NULL), 0);
	CHECK(!kv_check("slot 0 at the end", buf, n,
			atomic_load(&c.published)), "stale at the end");
	CHECK_EQ(kv_read(vm, GPA_C, buf, len, NULL), 0);
	CHECK(!kv_check("slot 1 at the end", buf, n,
			atomic_load(&c.published)), "stale at the end");
	CHECK_SYS(close(vm));
	return KTAP_PASS;
}

/* Proves: slot moves, creates and deletes racing MADV_DONTNEED never expose zapped data. */
static int case_updates_while_dontneed(void)
{
	return updates_while_invalidating(0);
}

/* Proves: slot moves, creates and deletes racing munmap + mmap never expose replaced pages. */
static int case_updates_while_munmap(void)
{
	return updates_while_invalidating(1);
}

struct stable_vcpu {
	int vm;
	__u64 gpa;
	char *buf, *back;
	unsigned long n;
	atomic_int *stop;
	uint64_t gen;
	unsigned long rounds, bad, errors;
	int last_err;
};

/* vCPU thread: store and load its own range through a stable slot. */
static void *stable_vcpu(void *p)
{
	struct stable_vcpu *v = p;
	size_t len = v->n * KV_PAGE;

	while (!atomic_load(v->stop)) {
		int ret;

		kv_fill(v->buf, v->n, ++v->gen);
		ret = kv_access(v->vm, v->gpa, v->buf, len, 1, NULL);
		if (!ret) {
			memset(v->back, 0, len);
			ret = kv_access(v->vm, v->gpa, v->back, len, 0, NULL);
		}
		if (ret) {
			v->errors++;
			v->last_err = ret;
			continue;
		}
		if (memcmp(v->buf, v->back, len))
			v->bad++;
		v->rounds++;
	}
	return NULL;
}

/* Proves: vCPUs on one slot never notice hundreds of updates of the other slots. */
static int case_updates_vs_vcpus(void)
{
	const unsigned long n = 32, other = 8;
	size_t len = n * KV_PAGE;
	char *mem = kv_map(2 * len), *spare = kv_map(other * KV_PAGE);
	static atomic_int stop;
	bool present[KVMM_MAX_SLOTS] = { false };
	struct stable_vcpu v[2];
	pthread_t t[2];
	unsigned int i, s;
	int vm;

	CHECK(mem && spare, "mmap: %s", strerror(errno));
	CREATE_VM(vm, 0);
	CHECK_EQ(kv_set_slot(vm, 0, 0, GPA_A, 2 * len, mem), 0);
	for (i = 0; i < 2; i++) {
		v[i] = (struct stable_vcpu){ .vm = vm, .gpa = GPA_A + i * len,
			.buf = kv_map(len), .back = kv_map(len), .n = n,
			.stop = &stop, .gen = 100 * (i + 1) };
		CHECK(v[i].buf && v[i].back, "mmap: %s", strerror(errno));
		CHECK_PT(pthread_create(&t[i], NULL, stable_vcpu, &v[i]));
	}
	for (i = 0; i < 400; i++) {
		__u64 base = GPA_A + 2 * len;	/* right after slot 0 */
		/* Other slots over spare memory or aliasing slot 0's. */
		char *hva = i % 2 ? spare : mem + KV_PAGE;

		s = 1 + i % (KVMM_MAX_SLOTS - 1);
		if (present[s])
			CHECK_EQ(kv_del_slot(vm, s), 0);
		/* Create next to slot 0, move away, maybe delete. */
		CHECK_EQ(kv_set_slot(vm, s, 0, base + s * other * KV_PAGE,
				     other * KV_PAGE, hva), 0);
		CHECK_EQ(kv_set_slot(vm, s, 0, GPA_D + s * KV_MIB,
				     other * KV_PAGE, hva), 0);
		present[s] = i % 3 == 0;	/* leave some slots around */
		if (!present[s])
			CHECK_EQ(kv_del_slot(vm, s), 0);
	}
	usleep(100000);
	atomic_store(&stop, 1);
	for (i = 0; i < 2; i++) {
		CHECK_PT(pthread_join(t[i], NULL));
		ktap_diag("vCPU %u: %lu rounds, %lu bad, %lu errors", i,
			  v[i].rounds, v[i].bad, v[i].errors);
		CHECK(v[i].errors == 0, "vCPU %u failed: %s", i,
		      strerror(-v[i].last_err));
		CHECK(v[i].bad == 0, "vCPU %u read back wrong data", i);
		CHECK(v[i].rounds > 0, "vCPU %u never ran", i);
	}
	CHECK_SYS(close(vm));
	return KTAP_PASS;
}

static const struct ktap_case cases[] = {
	KTAP_CASE(slot_lifecycle),
	KTAP_CASE(all_slots),
	KTAP_CASE_TMO(updates_while_dontneed, 300),
	KTAP_CASE_TMO(updates_while_munmap, 300),
	KTAP_CASE_TMO(updates_vs_vcpus, 300),
	KTAP_CASE(kernel_not_tainted),
};

int main(void)
{
	mt_record_taint();
	return ktap_run(cases, ARRAY_SIZE(cases));
}
