/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvmm_util.h - helpers shared by the kvm-mirror selftests
 *
 * VM creation, memslots, vCPU runs, statistics, generation-tagged page
 * patterns, threads and check macros.  Helpers that can fail return 0 or
 * a negative errno.  The check macros, mappings, mincore, /proc readers,
 * CPU pinning and the taint check come from ../mirror_test_util.h.
 */
#ifndef _KVMM_UTIL_H
#define _KVMM_UTIL_H

#include "mirror_test_util.h"

#include <pthread.h>
#include <stdatomic.h>

#include <linux/kvm_mirror.h>

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

#define KV_PAGE		MT_PAGE
#define KV_MIB		(1UL << 20)
#define KV_GIB		(1UL << 30)

/* MMU_NOTIFY_* event numbers as indexed in kvmm_stats.invalidations. */
enum {
	KV_EV_UNMAP, KV_EV_CLEAR, KV_EV_PROTECTION_VMA, KV_EV_PROTECTION_PAGE,
	KV_EV_SOFT_DIRTY, KV_EV_RELEASE, KV_EV_MIGRATE, KV_EV_EXCLUSIVE,
};

/* A pthread call that must succeed (they return the error). */
#ifndef CHECK_PT
#define CHECK_PT(call) do {						\
	int __e = (call);						\
	if (__e) {							\
		ktap_diag("%s:%d: %s: %s", __func__, __LINE__, #call,	\
			  strerror(__e));				\
		return KTAP_FAIL;					\
	}								\
} while (0)
#endif

/* Open /dev/kvm_mirror; -errno (with a message) on failure. */
static inline int kv_open_dev(void)
{
	int fd = open("/dev/kvm_mirror", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		int e = errno;

		ktap_diag("cannot open /dev/kvm_mirror: %s (is kvm_mirror.ko loaded?)",
			  strerror(e));
		return -e;
	}
	return fd;
}

/* A new VM bound to this process; the device file is closed again. */
static inline int kv_create_vm(unsigned long flags)
{
	int dev = kv_open_dev(), vm;

	if (dev < 0)
		return dev;
	vm = ioctl(dev, KVMM_CREATE_VM, flags);
	if (vm < 0)
		vm = -errno;
	close(dev);
	return vm;
}

/* Create a VM into @vm or fail the case. */
#define CREATE_VM(vm, flags) do {					\
	(vm) = kv_create_vm(flags);					\
	if ((vm) < 0) {							\
		ktap_diag("KVMM_CREATE_VM: %s", strerror(-(vm)));	\
		return KTAP_FAIL;					\
	}								\
} while (0)

static inline int kv_set_slot(int vm, __u32 slot, __u32 flags, __u64 gpa,
			      __u64 size, const void *hva)
{
	struct kvmm_memslot m = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};

	return ioctl(vm, KVMM_SET_MEMSLOT, &m) ? -errno : 0;
}

static inline int kv_del_slot(int vm, __u32 slot)
{
	return kv_set_slot(vm, slot, 0, 0, 0, NULL);
}

/* Run @n accesses; returns the ioctl's result (0 or -errno). */
static inline int kv_run(int vm, struct kvmm_access *acc, __u32 n,
			 struct kvmm_run *out)
{
	struct kvmm_run run = {
		.accesses = (uintptr_t)acc,
		.count = n,
		.error = 1,	/* must be overwritten */
	};
	int ret = ioctl(vm, KVMM_RUN, &run) ? -errno : 0;

	if (out)
		*out = run;
	return ret;
}

/* One load or store of @len bytes at @gpa; 0 or -errno. */
static inline int kv_access(int vm, __u64 gpa, void *data, size_t len,
			    int write, struct kvmm_run *out)
{
	struct kvmm_access a = {
		.gpa = gpa,
		.data = (uintptr_t)data,
		.len = len,
		.flags = write ? KVMM_ACCESS_WRITE : 0,
	};

	return kv_run(vm, &a, 1, out);
}

/* Read or write any length as one run of maximal accesses. */
static inline int kv_xfer(int vm, __u64 gpa, void *data, size_t len,
			  int write, struct kvmm_run *out)
{
	__u32 n = (len + KVMM_MAX_ACCESS_LEN - 1) / KVMM_MAX_ACCESS_LEN, i;
	struct kvmm_access *a = calloc(n, sizeof(*a));
	int ret;

	if (!a)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		size_t off = (size_t)i * KVMM_MAX_ACCESS_LEN;

		a[i].gpa = gpa + off;
		a[i].data = (uintptr_t)data + off;
		a[i].len = len - off < KVMM_MAX_ACCESS_LEN ?
			   len - off : KVMM_MAX_ACCESS_LEN;
		a[i].flags = write ? KVMM_ACCESS_WRITE : 0;
	}
	ret = kv_run(vm, a, n, out);
	free(a);
	return ret;
}

static inline int kv_read(int vm, __u64 gpa, void *buf, size_t len,
			  struct kvmm_run *out)
{
	return kv_xfer(vm, gpa, buf, len, 0, out);
}

static inline int kv_write(int vm, __u64 gpa, const void *buf, size_t len,
			   struct kvmm_run *out)
{
	return kv_xfer(vm, gpa, (void *)buf, len, 1, out);
}

static inline int kv_stats(int vm, struct kvmm_stats *st)
{
	memset(st, 0, sizeof(*st));
	return ioctl(vm, KVMM_GET_STATS, st) ? -errno : 0;
}

static inline unsigned long long kv_inval_total(const struct kvmm_stats *s)
{
	unsigned long long t = 0;
	int i;

	for (i = 0; i < KVMM_NR_EVENTS; i++)
		t += s->invalidations[i];
	return t;
}

static inline void kv_dump_stats(const char *what, const struct kvmm_stats *s)
{
	ktap_diag("%s: faults %llu mapped %llu retries %llu inval [%llu %llu %llu %llu %llu %llu %llu %llu] slots %u",
		  what, (unsigned long long)s->faults,
		  (unsigned long long)s->pages_mapped,
		  (unsigned long long)s->retries,
		  (unsigned long long)s->invalidations[0],
		  (unsigned long long)s->invalidations[1],
		  (unsigned long long)s->invalidations[2],
		  (unsigned long long)s->invalidations[3],
		  (unsigned long long)s->invalidations[4],
		  (unsigned long long)s->invalidations[5],
		  (unsigned long long)s->invalidations[6],
		  (unsigned long long)s->invalidations[7], s->nr_slots);
	ktap_diag("%s: zapped %llu entries / %llu pages, flushes %llu (vm %llu), dirty %llu, young %llu, pinned %llu, entries %llu, nodes %llu",
		  what, (unsigned long long)s->entries_zapped,
		  (unsigned long long)s->pages_zapped,
		  (unsigned long long)s->flushes,
		  (unsigned long long)s->tlb_flushes,
		  (unsigned long long)s->dirty_propagated,
		  (unsigned long long)s->young_cleared,
		  (unsigned long long)s->pages_pinned,
		  (unsigned long long)s->entries,
		  (unsigned long long)s->table_nodes);
}

static inline void *kv_map(size_t len)
{
	return mt_map_aligned(len, KV_PAGE, 0);
}

/* Map fresh memory exactly at @addr (replacing what is there). */
static inline int kv_remap_at(void *addr, size_t len)
{
	void *p = mmap(addr, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);

	if (p == MAP_FAILED)
		return -errno;
	return madvise(addr, len, MADV_NOHUGEPAGE) ? -errno : 0;
}

/*
 * Page patterns.  Every 64-bit word names a generation, its page and its
 * position, so data from the wrong time or the wrong place is caught.
 * Generation 0 is never used: all-zero words are fresh anonymous memory.
 */
#define KV_GEN_SHIFT	40
#define KV_GEN_MAX	((1ULL << 23) - 1)

static inline uint64_t kv_word(uint64_t gen, unsigned long page, unsigned int w)
{
	return 0x8000000000000000ULL | (gen << KV_GEN_SHIFT) |
	       ((uint64_t)(page & 0x7fffffff) << 9) | w;
}

/* Generation of a word, or 0 if it is no pattern word for (page, w). */
static inline uint64_t kv_word_gen(uint64_t v, unsigned long page,
				   unsigned int w)
{
	uint64_t gen = (v >> KV_GEN_SHIFT) & KV_GEN_MAX;

	if (!gen || v != kv_word(gen, page, w))
		return 0;
	return gen;
}

static inline void kv_fill_range(void *p, unsigned long first,
				 unsigned long count, uint64_t gen)
{
	uint64_t *q = (uint64_t *)p + first * (KV_PAGE / 8);
	unsigned long i;
	unsigned int w;

	for (i = first; i < first + count; i++)
		for (w = 0; w < KV_PAGE / 8; w++)
			*q++ = kv_word(gen, i, w);
}

static inline void kv_fill(void *p, unsigned long npages, uint64_t gen)
{
	kv_fill_range(p, 0, npages, gen);
}

/* Pages of @p (numbered from @first) not all holding generation @gen. */
static inline unsigned long kv_check_range(const char *what, const void *p,
					   unsigned long first,
					   unsigned long count, uint64_t gen)
{
	const uint64_t *q = p;
	unsigned long i, bad = 0;
	unsigned int w;

	for (i = 0; i < count; i++) {
		for (w = 0; w < KV_PAGE / 8; w++) {
			uint64_t want = kv_word(gen, first + i, w);
			uint64_t got = q[i * (KV_PAGE / 8) + w];

			if (got == want)
				continue;
			if (!bad)
				ktap_diag("%s: page %lu word %u: got %#llx want %#llx (gen %llu)",
					  what, first + i, w,
					  (unsigned long long)got,
					  (unsigned long long)want,
					  (unsigned long long)gen);
			bad++;
			break;
		}
	}
	if (bad)
		ktap_diag("%s: %lu of %lu pages wrong", what, bad, count);
	return bad;
}

static inline unsigned long kv_check(const char *what, const void *p,
				     unsigned long npages, uint64_t gen)
{
	return kv_check_range(what, p, 0, npages, gen);
}

/*
 * Words of @p that are stale: neither zero nor the pattern word of their
 * own position with a generation of at least @min_gen.  The first one is
 * described.
 */
static inline unsigned long kv_count_stale(const char *what, const void *p,
					   unsigned long npages,
					   uint64_t min_gen)
{
	const uint64_t *q = p;
	unsigned long i, bad = 0;
	unsigned int w;

	for (i = 0; i < npages; i++) {
		for (w = 0; w < KV_PAGE / 8; w++) {
			uint64_t v = q[i * (KV_PAGE / 8) + w];
			uint64_t gen;

			if (!v)
				continue;
			gen = kv_word_gen(v, i, w);
			if (gen >= min_gen)
				continue;
			if (!bad)
				ktap_diag("%s: page %lu word %u is %#llx: gen %llu, want >= %llu",
					  what, i, w, (unsigned long long)v,
					  (unsigned long long)gen,
					  (unsigned long long)min_gen);
			bad++;
		}
	}
	return bad;
}

/* Is there swap for @npages pages, twice over? */
static inline int kv_have_swap(unsigned long npages)
{
	long long free_kb = mt_swap_free_kb();

	return free_kb >= (long long)(npages * (KV_PAGE >> 10)) * 2;
}

#endif /* _KVMM_UTIL_H */
