// SPDX-License-Identifier: GPL-2.0
/*
 * kvmm_stats - the VM's counters tell the truth: one fault per missing
 * access, exactly one secondary TLB flush per invalidation that removed
 * mappings (none for one that removed nothing), the aging hook sees what
 * vCPUs touched, and the pinned legacy mode pins instead of subscribing.
 */
#define _GNU_SOURCE
#include "kvmm_util.h"

#include <dirent.h>

#define GPA0	0x100000ULL

/* Proves: a missing access takes one fault however long it is; a repeated one takes none. */
static int case_fault_counts(void)
{
	const unsigned long n = 512;
	char *mem = kv_map(n * KV_PAGE), *buf = kv_map(n * KV_PAGE);
	struct kvmm_stats st;
	struct kvmm_run run;
	int vm;

	CHECK(mem && buf, "mmap: %s", strerror(errno));
	kv_fill(mem, n, 1);
	CREATE_VM(vm, 0);
	CHECK_EQ(kv_set_slot(vm, 0, 0, GPA0, n * KV_PAGE, mem), 0);
	CHECK_EQ(kv_stats(vm, &st), 0);
	CHECK_EQ(st.faults, 0);
	CHECK_EQ(st.entries, 0);
	CHECK_EQ(st.nr_slots, 1);
	CHECK_EQ(st.vm_flags, 0);

	/* 16 pages in one access. */
	CHECK_EQ(kv_access(vm, GPA0, buf, 16 * KV_PAGE, 0, &run), 0);
	CHECK_EQ(run.faults, 1);
	CHECK_EQ(run.completed, 1);
	CHECK_EQ(kv_stats(vm, &st), 0);
	CHECK_EQ(st.faults, 1);
	CHECK_EQ(st.pages_mapped, 16);
	CHECK_EQ(st.entries, 16);
	CHECK_EQ(kv_access(vm, GPA0, buf, 16 * KV_PAGE, 0, &run), 0);
	CHECK_EQ(run.faults, 0);

	/* 1 MiB, unaligned, in one access: the rest is faulted at once. */
	CHECK_EQ(kv_access(vm, GPA0 + 16 * KV_PAGE + 100, buf,
			   KVMM_MAX_ACCESS_LEN, 0, &run), 0);
	CHECK_EQ(run.faults, 1);
	CHECK_EQ(kv_stats(vm, &st), 0);
	CHECK_EQ(st.faults, 2);
	CHECK_EQ(st.pages_mapped, 16 + 257);
	CHECK_EQ(st.entries, 16 + 257);

	/* Four accesses, two of them on mapped pages. */
	{
		struct kvmm_access a[4] = {
			{ GPA0, (uintptr_t)buf, 64, 0 },
			{ GPA0 + 300 * KV_PAGE, (uintptr_t)buf, 64, 0 },
			{ GPA0 + 8, (uintptr_t)buf, 64, KVMM_ACCESS_WRITE },
			{ GPA0 + 400 * KV_PAGE, (uintptr_t)buf, 2 * KV_PAGE,
			  KVMM_ACCESS_WRITE },
		};

		CHECK_EQ(kv_run(vm, a, 4, &run), 0);
		CHECK_EQ(run.completed, 4);
		/*
		 * The store to page 0 takes no fault: the load mapped it
		 * with the write permission of the CPU's (dirty) pte.
		 */
		CHECK_EQ(run.faults, 2);
	}
	CHECK_EQ(run.retries, 0);
	CHECK_SYS(close(vm));
	return KTAP_PASS;
}

/* Proves: DONTNEED, munmap and mprotect of mapped ranges each call the VM's flush exactly once. */
static int case_one_flush_per_invalidation(void)
{
	const unsigned long n = 1024;
	/* Aligned, so that no page-table boundary splits an invalidation. */
	char *mem = mt_map_aligned(n * KV_PAGE, n * KV_PAGE, 0);
	char *buf = kv_map(n * KV_PAGE);
	struct kvmm_stats s0, s1;
	struct kvmm_run run;
	unsigned long i;
	int vm;

	CHECK(mem && buf, "mmap: %s", strerror(errno));
	kv_fill(mem, n, 2);
	CREATE_VM(vm, 0);
	CHECK_EQ(kv_set_slot(vm, 0, 0, GPA0, n * KV_PAGE, mem), 0);

	/* One DONTNEED of 1024 mapped pages. */
	CHECK_EQ(kv_read(vm, GPA0, buf, n * KV_PAGE, &run), 0);
	CHECK_EQ(kv_stats(vm, &s0), 0);
	CHECK_EQ(s0.entries, n);
	CHECK_SYS(madvise(mem, n * KV_PAGE, MADV_DONTNEED));
	CHECK_EQ(kv_stats(vm, &s1), 0);
	kv_dump_stats("after DONTNEED", &s1);
	CHECK_EQ(s1.invalidations[KV_EV_CLEAR] - s0.invalidations[KV_EV_CLEAR],
		 1);
	CHECK_EQ(s1.tlb_flushes - s0.tlb_flushes, 1);
	CHECK_EQ(s1.entries_zapped - s0.entries_zapped, n);
	CHECK_EQ(s1.pages_zapped - s0.pages_zapped, n);
	CHECK_EQ(s1.entries, 0);

	/* An invalidation of a range with nothing mapped: no flush. */
	s0 = s1;
	CHECK_SYS(madvise(mem, n * KV_PAGE, MADV_DONTNEED));
	CHECK_EQ(kv_stats(vm, &s1), 0);
	CHECK_EQ(kv_inval_total(&s1) - kv_inval_total(&s0), 1);
	CHECK_EQ(s1.tlb_flushes - s0.tlb_flushes, 0);

	/* Ten separate DONTNEEDs of one mapped page each: ten flushes. */
	CHECK_EQ(kv_read(vm, GPA0, buf, 64 * KV_PAGE, &run), 0);
	CHECK_EQ(kv_stats(vm, &s0), 0);
	for (i = 0; i < 10; i++)
		CHECK_SYS(madvise(mem + i * 4 * KV_PAGE, KV_PAGE,
				  MADV_DONTNEED));
	CHECK_EQ(kv_stats(vm, &s1), 0);
	CHECK_EQ(s1.tlb_flushes - s0.tlb_flushes, 10);
	CHECK_EQ(s1.pages_zapped - s0.pages_zapped, 10);

	/* mprotect of a writable mapping: PROTECTION_VMA, one flush. */
	CHECK_EQ(kv_write(vm, GPA0, buf, n * KV_PAGE, &run), 0);
	CHECK_EQ(kv_stats(vm, &s0), 0);
	CHECK_SYS(mprotect(mem, n * KV_PAGE, PROT_READ));
	CHECK_EQ(kv_stats(vm, &s1), 0);
	CHECK_EQ(s1.invalidations[KV_EV_PROTECTION_VMA] -
		 s0.invalidations[KV_EV_PROTECTION_VMA], 1);
	CHECK_EQ(s1.tlb_flushes - s0.tlb_flushes, 1);
	CHECK_EQ(s1.pages_zapped - s0.pages_zapped, n);
	/* The vCPU wrote every page: all of them were marked dirty. */
	CHECK_EQ(s1.dirty_propagated - s0.dirty_propagated, n);

	/* munmap of the whole mapped range: one UNMAP, one flush. */
	CHECK_EQ(kv_read(vm, GPA0, buf, n * KV_PAGE, &run), 0);
	CHECK_EQ(kv_stats(vm, &s0), 0);
	CHECK_SYS(munmap(mem, n * KV_PAGE));
	CHECK_EQ(kv_stats(vm, &s1), 0);
	CHECK_EQ(s1.invalidations[KV_EV_UNMAP] - s0.invalidations[KV_EV_UNMAP],
		 1);
	CHECK_EQ(s1.tlb_flushes - s0.tlb_flushes, 1);
	CHECK_EQ(s1.pages_zapped - s0.pages_zapped, n);
	CHECK_EQ(s1.entries, 0);
	CHECK_SYS(close(vm));
	return KTAP_PASS;
}

#define GPA_ALIAS	0x80000000ULL

/*
 * Map all @n pages of both slots (GPA0 and GPA_ALIAS, one host range) in
 * the secondary table; KTAP_PASS when both read generation @gen.
 */
static int map_both(int vm, char *buf, unsigned long n, uint64_t gen)
{
	struct kvmm_run run;

	CHECK_EQ(kv_read(vm, GPA0, buf, n * KV_PAGE, &run), 0);
	CHECK(!kv_check("slot 0", buf, n, gen), "wrong data");
	CHECK_EQ(kv_read(vm, GPA_ALIAS, buf, n * KV_PAGE, &run), 0);
	CHECK(!kv_check("alias slot", buf, n, gen), "wrong data");
	return KTAP_PASS;
}

/* Proves: the VM's flush callback runs once per munmap that removed entries: once over two aliasing slots, N times for N munmaps, never when nothing was mapped. */
static int case_flush_callback_per_unmap(void)
{
	const unsigned long n = 64, nr_unmaps = 8;
	char *mem = mt_map_aligned(n * KV_PAGE, n * KV_PAGE, 0);
	char *buf = kv_map(n * KV_PAGE);
	struct kvmm_stats s0, s1;
	struct kvmm_run run;
	unsigned long i;
	int vm, ret;

	CHECK(mem && buf, "mmap: %s", strerror(errno));
	kv_fill(mem, n, 7);
	CREATE_VM(vm, 0);
	CHECK_EQ(kv_set_slot(vm, 0, 0, GPA0, n * KV_PAGE, mem), 0);
	CHECK_EQ(kv_set_slot(vm, 1, 0, GPA_ALIAS, n * KV_PAGE, mem), 0);

	/* One munmap under both slots: both zapped, one flush. */
	ret = map_both(vm, buf, n, 7);
	if (ret)
		return ret;
	CHECK_EQ(kv_stats(vm, &s0), 0);
	CHECK_EQ(s0.entries, 2 * n);
	CHECK_SYS(munmap(mem, n * KV_PAGE));
	CHECK_EQ(kv_stats(vm, &s1), 0);
	kv_dump_stats("after munmap under two slots", &s1);
	CHECK_EQ(s1.invalidations[KV_EV_UNMAP] - s0.invalidations[KV_EV_UNMAP],
		 1);
	CHECK_EQ(s1.tlb_flushes - s0.tlb_flushes, 1);
	CHECK_EQ(s1.pages_zapped - s0.pages_zapped, 2 * n);
	CHECK_EQ(s1.entries, 0);
	CHECK_EQ(kv_read(vm, GPA0, buf, KV_PAGE, &run), -EFAULT);
	CHECK_EQ(kv_read(vm, GPA_ALIAS, buf, KV_PAGE, &run), -EFAULT);

	/* nr_unmaps munmaps of one mapped page each: one flush each. */
	CHECK_EQ(kv_remap_at(mem, n * KV_PAGE), 0);
	kv_fill(mem, n, 8);
	ret = map_both(vm, buf, n, 8);
	if (ret)
		return ret;
	CHECK_EQ(kv_stats(vm, &s0), 0);
	for (i = 0; i < nr_unmaps; i++)
		CHECK_SYS(munmap(mem + 2 * i * KV_PAGE, KV_PAGE));
	CHECK_EQ(kv_stats(vm, &s1), 0);
	CHECK_EQ(s1.invalidations[KV_EV_UNMAP] - s0.invalidations[KV_EV_UNMAP],
		 nr_unmaps);
	CHECK_EQ(s1.tlb_flushes - s0.tlb_flushes, nr_unmaps);
	CHECK_EQ(s1.pages_zapped - s0.pages_zapped, 2 * nr_unmaps);
	CHECK_EQ(s1.entries, 2 * (n - nr_unmaps));

	/*
	 * Memory in both slots but not in the secondary table: the munmap
	 * is seen and costs no flush.  Mapping fresh memory over the range
	 * zaps what was left, so nothing is mapped afterwards.
	 */
	CHECK_EQ(kv_remap_at(mem, n * KV_PAGE), 0);
	kv_fill(mem, n, 9);
	CHECK_EQ(kv_stats(vm, &s0), 0);
	CHECK_EQ(s0.entries, 0);
	CHECK_SYS(munmap(mem + n / 2 * KV_PAGE, n / 2 * KV_PAGE));
	CHECK_EQ(kv_stats(vm, &s1), 0);
	CHECK_EQ(s1.invalidations[KV_EV_UNMAP] - s0.invalidations[KV_EV_UNMAP],
		 1);
	CHECK_EQ(s1.tlb_flushes - s0.tlb_flushes, 0);

	/* Half of it mapped through one slot: an munmap of the other half, none; of that half, one. */
	CHECK_EQ(kv_remap_at(mem + n / 2 * KV_PAGE, n / 2 * KV_PAGE), 0);
	CHECK_EQ(kv_read(vm, GPA0, buf, n / 2 * KV_PAGE, &run), 0);
	CHECK(!kv_check("first half", buf, n / 2, 9), "wrong data");
	CHECK_EQ(kv_stats(vm, &s0), 0);
	CHECK_EQ(s0.entries, n / 2);
	CHECK_SYS(munmap(mem + n / 2 * KV_PAGE, n / 2 * KV_PAGE));
	CHECK_EQ(kv_stats(vm, &s1), 0);
	CHECK_EQ(s1.tlb_flushes - s0.tlb_flushes, 0);
	CHECK_SYS(munmap(mem, n / 2 * KV_PAGE));
	CHECK_EQ(kv_stats(vm, &s1), 0);
	CHECK_EQ(s1.invalidations[KV_EV_UNMAP] - s0.invalidations[KV_EV_UNMAP],
		 2);
	CHECK_EQ(s1.tlb_flushes - s0.tlb_flushes, 1);
	CHECK_EQ(s1.entries, 0);
	CHECK_SYS(close(vm));
	return KTAP_PASS;
}

/* Proves: invalidations outside every memslot are not counted and cost no flush. */
static int case_unrelated_invalidations(void)
{
	const unsigned long n = 64;
	char *mem = kv_map(n * KV_PAGE), *other = kv_map(n * KV_PAGE);
	char *buf = kv_map(n * KV_PAGE);
	struct kvmm_stats s0, s1;
	struct kvmm_run run;
	int vm;

	CHECK(mem && other && buf, "mmap: %s", strerror(errno));
	CREATE_VM(vm, 0);
	CHECK_EQ(kv_set_slot(vm, 0, 0, GPA0, n * KV_PAGE, mem), 0);
	CHECK_EQ(kv_read(vm, GPA0, buf, n * KV_PAGE, &run), 0);
	kv_fill(other, n, 3);
	CHECK_EQ(kv_stats(vm, &s0), 0);
	CHECK_SYS(madvise(other, n * KV_PAGE, MADV_DONTNEED));
	CHECK_SYS(mprotect(other, n * KV_PAGE, PROT_READ));
	CHECK_SYS(munmap(other, n * KV_PAGE));
	CHECK_EQ(kv_stats(vm, &s1), 0);
	CHECK_EQ(kv_inval_total(&s1), kv_inval_total(&s0));
	CHECK_EQ(s1.tlb_flushes, s0.tlb_flushes);
	CHECK_EQ(s1.entries, n);
	CHECK_SYS(close(vm));
	return KTAP_PASS;
}

/* Proves: the aging hook reports what the vCPU touched (first PAGEOUT keeps it), then reclaim zaps it page by page. */
static int case_aging_and_reclaim(void)
{
	const unsigned long n = 128;
	char *mem = kv_map(n * KV_PAGE), *buf = kv_map(n * KV_PAGE);
	struct kvmm_stats s0, s1, s2;
	struct kvmm_run run;
	int vm;

	if (!kv_have_swap(n))
		return ktap_skip_case("no swap configured");
	CHECK(!mt_pin_cpu(), "sched_setaffinity: %s", strerror(errno));
	CHECK(mem && buf, "mmap: %s", strerror(errno));
	kv_fill(mem, n, 4);
	CREATE_VM(vm, 0);
	CHECK_EQ(kv_set_slot(vm, 0, 0, GPA0, n * KV_PAGE, mem), 0);
	CHECK_EQ(kv_read(vm, GPA0, buf, n * KV_PAGE, &run), 0);
	CHECK(!kv_check("vCPU read", buf, n, 4), "wrong data");

	CHECK_EQ(kv_stats(vm, &s0), 0);
	CHECK_SYS(madvise(mem, n * KV_PAGE, MADV_PAGEOUT));
	CHECK_EQ(kv_stats(vm, &s1), 0);
	kv_dump_stats("after first PAGEOUT", &s1);
	CHECK_EQ(s1.young_cleared - s0.young_cleared, n);
	CHECK_EQ(s1.entries, n);
	CHECK_EQ(mt_resident(mem, n * KV_PAGE), n);

	CHECK_SYS(madvise(mem, n * KV_PAGE, MADV_PAGEOUT));
	CHECK_EQ(kv_stats(vm, &s2), 0);
	kv_dump_stats("after second PAGEOUT", &s2);
	CHECK_EQ(mt_resident(mem, n * KV_PAGE), 0);
	CHECK_EQ(s2.entries, 0);
	CHECK_EQ(s2.pages_zapped - s1.pages_zapped, n);
	/* Reclaim unmaps page by page: one invalidation, one flush each. */
	CHECK_EQ(s2.invalidations[KV_EV_CLEAR] - s1.invalidations[KV_EV_CLEAR],
		 n);
	CHECK_EQ(s2.tlb_flushes - s1.tlb_flushes, n);

	memset(buf, 0, n * KV_PAGE);
	CHECK_EQ(kv_read(vm, GPA0, buf, n * KV_PAGE, &run), 0);
	CHECK_EQ(run.faults, 1);
	CHECK(!kv_check("vCPU read after swap-in", buf, n, 4),
	      "data lost through swap");
	CHECK_SYS(close(vm));
	return KTAP_PASS;
}

/* Proves: a pinned VM pins every mapped page, counts no invalidation, and unpins when the slot goes. */
static int case_pinned_counters(void)
{
	const unsigned long n = 64;
	char *mem = kv_map(n * KV_PAGE), *buf = kv_map(n * KV_PAGE);
	struct kvmm_stats s0, s1;
	struct kvmm_run run;
	int vm;

	CHECK(mem && buf, "mmap: %s", strerror(errno));
	kv_fill(mem, n, 5);
	CREATE_VM(vm, KVMM_VM_PINNED);
	CHECK_EQ(kv_set_slot(vm, 0, 0, GPA0, n * KV_PAGE, mem), 0);
	CHECK_EQ(kv_write(vm, GPA0, mem, n * KV_PAGE, &run), 0);
	CHECK_EQ(run.faults, 1);
	CHECK_EQ(kv_stats(vm, &s0), 0);
	kv_dump_stats("pinned, mapped", &s0);
	CHECK_EQ(s0.vm_flags, KVMM_VM_PINNED);
	CHECK_EQ(s0.pages_pinned, n);
	CHECK_EQ(s0.entries, n);

	/* No notifier: the munmap is not seen and the old pages stay. */
	CHECK_SYS(munmap(mem, n * KV_PAGE));
	CHECK_EQ(kv_remap_at(mem, n * KV_PAGE), 0);
	kv_fill(mem, n, 6);
	CHECK_EQ(kv_stats(vm, &s1), 0);
	CHECK_EQ(kv_inval_total(&s1), 0);
	CHECK_EQ(s1.tlb_flushes, 0);
	CHECK_EQ(s1.entries, n);
	CHECK_EQ(kv_read(vm, GPA0, buf, n * KV_PAGE, &run), 0);
	CHECK_EQ(run.faults, 0);
	CHECK(!kv_check("pinned VM after remap", buf, n, 5),
	      "the pinned VM should still see the pages it pinned");

	/* Deleting the slot unpins, with one flush. */
	CHECK_EQ(kv_del_slot(vm, 0), 0);
	CHECK_EQ(kv_stats(vm, &s1), 0);
	CHECK_EQ(s1.pages_pinned, 0);
	CHECK_EQ(s1.entries, 0);
	CHECK_EQ(s1.tlb_flushes, 1);
	CHECK_EQ(s1.nr_slots, 0);

	/* A new slot sees the new memory. */
	CHECK_EQ(kv_set_slot(vm, 0, 0, GPA0, n * KV_PAGE, mem), 0);
	CHECK_EQ(kv_read(vm, GPA0, buf, n * KV_PAGE, &run), 0);
	CHECK(!kv_check("pinned VM, new slot", buf, n, 6), "wrong data");
	CHECK_SYS(close(vm));
	return KTAP_PASS;
}

/* Proves: the helper publishes the VM's counters in debugfs under kvm-<pid>-<id>. */
static int case_debugfs(void)
{
	const unsigned long n = 8;
	char *mem = kv_map(n * KV_PAGE), *buf = kv_map(n * KV_PAGE);
	char prefix[32], path[512], line[128];
	const char *root = "/sys/kernel/debug/mmu_mirror";
	struct kvmm_run run;
	struct dirent *de;
	long long faults = -1, entries = -1;
	int vm, found = 0;
	DIR *d;
	FILE *f;

	CHECK(mem && buf, "mmap: %s", strerror(errno));
	d = opendir(root);
	if (!d)
		return ktap_skip_case("%s: %s", root, strerror(errno));
	CREATE_VM(vm, 0);
	CHECK_EQ(kv_set_slot(vm, 0, 0, GPA0, n * KV_PAGE, mem), 0);
	CHECK_EQ(kv_read(vm, GPA0, buf, n * KV_PAGE, &run), 0);

	snprintf(prefix, sizeof(prefix), "kvm-%d-", getpid());
	rewinddir(d);
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, prefix, strlen(prefix)))
			continue;
		snprintf(path, sizeof(path), "%s/%s/stats", root, de->d_name);
		found++;
	}
	closedir(d);
	CHECK_EQ(found, 1);
	f = fopen(path, "r");
	CHECK(f, "%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		long long v;

		if (sscanf(line, "faults %lld", &v) == 1)
			faults = v;
		else if (sscanf(line, "entries %lld", &v) == 1)
			entries = v;
	}
	fclose(f);
	CHECK_EQ(faults, 1);
	CHECK_EQ(entries, n);

	CHECK_SYS(close(vm));
	CHECK(access(path, F_OK) == -1 && errno == ENOENT,
	      "%s still exists after close", path);
	return KTAP_PASS;
}

static const struct ktap_case cases[] = {
	KTAP_CASE(fault_counts),
	KTAP_CASE(one_flush_per_invalidation),
	KTAP_CASE(flush_callback_per_unmap),
	KTAP_CASE(unrelated_invalidations),
	KTAP_CASE(aging_and_reclaim),
	KTAP_CASE(pinned_counters),
	KTAP_CASE(debugfs),
	KTAP_CASE(kernel_not_tainted),
};

int main(void)
{
	mt_record_taint();
	return ktap_run(cases, ARRAY_SIZE(cases));
}
