// SPDX-License-Identifier: GPL-2.0
/*
 * mirror_basic.c - first end-to-end test of mmu_mirror on the model
 *
 * A process maps anonymous memory and writes it from the CPU; a mirror
 * with an identity window faults it in and reads it through the
 * secondary table; munmap must remove every entry with exactly one flush.
 */
#include <stdlib.h>
#include <linux/mmu_mirror.h>
#include <linux/mmu_notifier.h>
#include <linux/sched/mm.h>
#include <model/shim.h>
#include <model/vm.h>
#include "ktap.h"
#include "../../../mm/mmu_mirror_internal.h"

#define NPAGES	16

static unsigned long flushes;

static void test_flush(struct mmu_mirror *mirror)
{
	flushes++;
}

static const struct mmu_mirror_ops test_ops = {
	.flush = test_flush,
};

/* Value of the "name value" line @name in debugfs text, or -1. */
static long long stat_line(const char *text, const char *name)
{
	const char *p = text;
	size_t n = strlen(name);

	while (p && *p) {
		if (!strncmp(p, name, n) && p[n] == ' ')
			return atoll(p + n + 1);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

static void fill(unsigned char *buf, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (unsigned char)(i * 7 + seed);
}

/* CPU-written data reads back through the mirror; munmap zaps it once. */
static bool test_fault_access_munmap(void)
{
	static unsigned char want[NPAGES * 4096], got[NPAGES * 4096];
	size_t len = NPAGES * PAGE_SIZE, done = 0;
	struct mmu_mirror_window *win;
	struct mmu_mirror_stats st;
	struct mmu_mirror *mirror;
	struct mm_struct *mm;
	unsigned long addr;
	char *path, *text;

	mm = model_mm_create();
	KTAP_CHECK(mm);
	addr = model_mmap(mm, 0, len, VM_READ | VM_WRITE);
	KTAP_CHECK(!IS_ERR_VALUE(addr));
	fill(want, len, 3);
	KTAP_CHECK(model_cpu_access(mm, addr, want, len, true) == 0);

	mirror = mmu_mirror_create(mm, &test_ops, 0, "basic", NULL);
	KTAP_CHECK(!IS_ERR(mirror));
	win = mmu_mirror_window_add(mirror, addr, len, addr, 0);
	KTAP_CHECK(!IS_ERR(win));
	KTAP_CHECK(mmu_mirror_fault(mirror, addr, len, 0) == 0);
	KTAP_CHECK(mmu_mirror_access(mirror, addr, got, len, 0, &done) == 0);
	KTAP_CHECK(done == len && !memcmp(want, got, len));

	mmu_mirror_get_stats(mirror, &st);
	KTAP_CHECK(st.entries == NPAGES && st.faults == 1);
	path = model_debugfs_find("mmu_mirror/basic-");
	KTAP_CHECK(path);
	text = model_debugfs_read(path);
	free(path);
	KTAP_CHECK(text && stat_line(text, "entries") == NPAGES &&
		   stat_line(text, "pages_mapped") == NPAGES);
	free(text);

	flushes = 0;
	KTAP_CHECK(model_munmap(mm, addr, len) == 0);
	mmu_mirror_get_stats(mirror, &st);
	KTAP_CHECK(st.entries == 0 && st.entries_zapped == NPAGES);
	KTAP_CHECK(st.invalidations[MMU_NOTIFY_UNMAP] == 1);
	KTAP_CHECK(st.flushes == 1 && flushes == 1);
	KTAP_CHECK(mmu_mirror_access(mirror, addr, got, 1, 0, &done) ==
		   -ENOENT);
	KTAP_CHECK(mmu_mirror_fault(mirror, addr, PAGE_SIZE, 0) == -EFAULT);

	mmu_mirror_destroy(mirror);
	mmput(mm);
	return true;
}

/* A device write marks the page dirty when MADV_DONTNEED zaps it. */
static bool test_device_write_dirty(void)
{
	unsigned char buf[64] = "written by the device";
	struct mmu_mirror_window *win;
	struct mmu_mirror_stats st;
	struct mmu_mirror *mirror;
	struct mm_struct *mm;
	unsigned long addr;
	size_t done;

	mm = model_mm_create();
	KTAP_CHECK(mm);
	addr = model_mmap(mm, 0, 4 * PAGE_SIZE, VM_READ | VM_WRITE);
	KTAP_CHECK(!IS_ERR_VALUE(addr));
	mirror = mmu_mirror_create(mm, &test_ops, 0, "dirty", NULL);
	KTAP_CHECK(!IS_ERR(mirror));
	win = mmu_mirror_window_add(mirror, addr, 4 * PAGE_SIZE, 1UL << 40, 0);
	KTAP_CHECK(!IS_ERR(win));
	KTAP_CHECK(mmu_mirror_fault(mirror, 1UL << 40, PAGE_SIZE,
				    MMU_MIRROR_WRITE) == 0);
	KTAP_CHECK(mmu_mirror_access(mirror, (1UL << 40) + 100, buf,
				     sizeof(buf), MMU_MIRROR_WRITE,
				     &done) == 0);
	/* The CPU sees what the device wrote. */
	memset(buf, 0, sizeof(buf));
	KTAP_CHECK(model_cpu_access(mm, addr + 100, buf, sizeof(buf),
				    false) == 0);
	KTAP_CHECK(!strcmp((char *)buf, "written by the device"));

	KTAP_CHECK(model_madvise_dontneed(mm, addr, 4 * PAGE_SIZE) == 0);
	mmu_mirror_get_stats(mirror, &st);
	KTAP_CHECK(st.invalidations[MMU_NOTIFY_CLEAR] == 1);
	KTAP_CHECK(st.dirty_propagated == 1 && st.entries == 0);
	mmu_mirror_destroy(mirror);
	mmput(mm);
	return true;
}

/* mprotect to read-only drops the entries; a write fault then fails. */
static bool test_mprotect(void)
{
	struct mmu_mirror_window *win;
	struct mmu_mirror_stats st;
	struct mmu_mirror *mirror;
	struct mm_struct *mm;
	unsigned long addr;

	mm = model_mm_create();
	KTAP_CHECK(mm);
	addr = model_mmap(mm, 0, 8 * PAGE_SIZE, VM_READ | VM_WRITE);
	mirror = mmu_mirror_create(mm, &test_ops, 0, "mprotect", NULL);
	KTAP_CHECK(!IS_ERR(mirror));
	win = mmu_mirror_window_add(mirror, addr, 8 * PAGE_SIZE, 0, 0);
	KTAP_CHECK(!IS_ERR(win));
	KTAP_CHECK(mmu_mirror_fault(mirror, 0, 8 * PAGE_SIZE,
				    MMU_MIRROR_WRITE) == 0);
	KTAP_CHECK(model_mprotect(mm, addr, 8 * PAGE_SIZE, VM_READ) == 0);
	mmu_mirror_get_stats(mirror, &st);
	KTAP_CHECK(st.invalidations[MMU_NOTIFY_PROTECTION_VMA] == 1);
	KTAP_CHECK(st.entries == 0 && st.flushes == 1);
	KTAP_CHECK(mmu_mirror_fault(mirror, 0, PAGE_SIZE, MMU_MIRROR_WRITE) ==
		   -EPERM);
	KTAP_CHECK(mmu_mirror_fault(mirror, 0, PAGE_SIZE, 0) == 0);
	mmu_mirror_window_remove(mirror, win);
	mmu_mirror_destroy(mirror);
	mmput(mm);
	return true;
}

static unsigned long released;

static void test_release(struct mmu_mirror *mirror)
{
	released++;
}

static const struct mmu_mirror_ops release_ops = {
	.flush = test_flush,
	.release = test_release,
};

/* Process exit empties the mirror, calls release, and faults get -ESRCH. */
static bool test_exit_release(void)
{
	struct mmu_mirror_stats st;
	struct mmu_mirror *mirror;
	struct mm_struct *mm;
	unsigned long addr;

	mm = model_mm_create();
	KTAP_CHECK(mm);
	addr = model_mmap(mm, 0, 4 * PAGE_SIZE, VM_READ | VM_WRITE);
	mirror = mmu_mirror_create(mm, &release_ops, 0, "exit", NULL);
	KTAP_CHECK(!IS_ERR(mirror));
	KTAP_CHECK(!IS_ERR(mmu_mirror_window_add(mirror, addr, 4 * PAGE_SIZE,
						 addr, 0)));
	KTAP_CHECK(mmu_mirror_fault(mirror, addr, 4 * PAGE_SIZE,
				    MMU_MIRROR_WRITE) == 0);
	released = 0;
	mmput(mm);	/* the process exits; the mirror keeps mm_count */
	KTAP_CHECK(released == 1);
	mmu_mirror_get_stats(mirror, &st);
	KTAP_CHECK(st.entries == 0);
	KTAP_CHECK(mmu_mirror_fault(mirror, addr, PAGE_SIZE, 0) == -ESRCH);
	mmu_mirror_destroy(mirror);
	KTAP_CHECK(released == 1);
	return true;
}

/* Allocation failure at every step of create/add/fault is clean. */
static bool test_alloc_failures(void)
{
	unsigned long nth;

	for (nth = 1; nth < 64; nth++) {
		struct mmu_mirror_window *win;
		struct mmu_mirror *mirror;
		struct mm_struct *mm;
		unsigned long addr;
		int ret = 0;

		mm = model_mm_create();
		KTAP_CHECK(mm);
		addr = model_mmap(mm, 0, 4 * PAGE_SIZE, VM_READ | VM_WRITE);
		KTAP_CHECK(!IS_ERR_VALUE(addr));
		model_slab_fail_nth(nth);
		mirror = mmu_mirror_create(mm, &test_ops, 0, "inject", NULL);
		if (!IS_ERR(mirror)) {
			win = mmu_mirror_window_add(mirror, addr,
						    4 * PAGE_SIZE, addr, 0);
			if (!IS_ERR(win))
				ret = mmu_mirror_fault(mirror, addr,
						       4 * PAGE_SIZE,
						       MMU_MIRROR_WRITE);
			KTAP_CHECK(!ret || ret == -ENOMEM);
			mmu_mirror_destroy(mirror);
		} else {
			KTAP_CHECK(PTR_ERR(mirror) == -ENOMEM);
		}
		model_slab_fail_nth(0);
		mmput(mm);
	}
	return true;
}

/*
 * A fault allocates only the table nodes it keeps: a fault that needs one
 * new node costs one allocation more than a fault that needs none.
 */
static bool test_fault_allocates_kept_nodes(void)
{
	const unsigned long block = 2UL << 20;
	unsigned long addr, before, none, one;
	struct mmu_mirror_window *win;
	struct mmu_mirror_stats st;
	struct mmu_mirror *mirror;
	struct mm_struct *mm;
	u64 nodes;
	char c = 1;

	mm = model_mm_create();
	KTAP_CHECK(mm);
	addr = model_mmap(mm, 0, 2 * block, VM_READ | VM_WRITE);
	KTAP_CHECK(!IS_ERR_VALUE(addr));
	/* CPU page tables first: only the mirror allocates below. */
	KTAP_CHECK(model_cpu_access(mm, addr, &c, 1, true) == 0);
	KTAP_CHECK(model_cpu_access(mm, addr + block, &c, 1, true) == 0);
	mirror = mmu_mirror_create(mm, &test_ops, 0, "nodes", NULL);
	KTAP_CHECK(!IS_ERR(mirror));
	win = mmu_mirror_window_add(mirror, addr, 2 * block, addr, 0);
	KTAP_CHECK(!IS_ERR(win));
	KTAP_CHECK(mmu_mirror_fault(mirror, addr, PAGE_SIZE, 0) == 0);

	/* Mapped already: the table has every node the fault needs. */
	before = model_slab_attempts();
	KTAP_CHECK(mmu_mirror_fault(mirror, addr, PAGE_SIZE, 0) == 0);
	none = model_slab_attempts() - before;

	/* 2 MiB further: a new level 0 node (and any above it). */
	mmu_mirror_get_stats(mirror, &st);
	nodes = st.table_nodes;
	before = model_slab_attempts();
	KTAP_CHECK(mmu_mirror_fault(mirror, addr + block, PAGE_SIZE, 0) == 0);
	one = model_slab_attempts() - before;
	mmu_mirror_get_stats(mirror, &st);
	KTAP_CHECK(st.entries == 2 && st.table_nodes > nodes);
	KTAP_CHECK(one == none + (st.table_nodes - nodes));

	mmu_mirror_destroy(mirror);
	mmput(mm);
	return true;
}

/*
 * Proves: the software devices' copy moves exactly the bytes asked for,
 * in both directions, at every alignment of the page and of the buffer
 * (unaligned head, whole words, tail), and touches nothing around them.
 */
static bool test_copy_words_exact(void)
{
	unsigned char page[96], buf[96], want_page[96], want_buf[96];
	size_t po, bo, len;
	int dir;

	for (dir = 0; dir < 2; dir++) {
		for (po = 0; po < 16; po++) {
			for (bo = 0; bo < 9; bo++) {
				for (len = 0; len <= 56; len++) {
					fill(page, sizeof(page), 1);
					fill(buf, sizeof(buf), 101);
					memcpy(want_page, page, sizeof(page));
					memcpy(want_buf, buf, sizeof(buf));
					if (dir)
						memcpy(want_page + po, buf + bo,
						       len);
					else
						memcpy(want_buf + bo, page + po,
						       len);
					mmu_mirror_copy_words(page + po,
							      buf + bo, len,
							      dir);
					KTAP_CHECK(!memcmp(page, want_page,
							   sizeof(page)) &&
						   !memcmp(buf, want_buf,
							   sizeof(buf)));
				}
			}
		}
	}
	return true;
}

static const struct ktap_case cases[] = {
	{ "fault_access_munmap", test_fault_access_munmap },
	{ "device_write_dirty", test_device_write_dirty },
	{ "mprotect", test_mprotect },
	{ "exit_release", test_exit_release },
	{ "alloc_failures", test_alloc_failures },
	{ "fault_allocates_kept_nodes", test_fault_allocates_kept_nodes },
	{ "copy_words_exact", test_copy_words_exact },
};

int main(int argc, char **argv)
{
	return ktap_model_main(argc, argv, cases, ARRAY_SIZE(cases),
			       1024, true);
}
