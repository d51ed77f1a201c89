// SPDX-License-Identifier: GPL-2.0
/*
 * kvmm_aging - reclaim keeps what the guest uses, through every alias.
 *
 * One host range of AG_N anonymous 4 KiB pages is mapped by two memslots,
 * A and B, at different guest addresses.  The pages are first aged so
 * that no accessed bit is left anywhere: CPU-written, swapped out, loaded
 * back by the vCPU through both slots, then one MADV_PAGEOUT (it clears
 * the CPU's young bits, and the vCPU's through the aging hooks, while the
 * latter keep every page in RAM).  Then the vCPU loads quarter 0 through
 * A and quarter 1 through B; guest loads set the secondary table's
 * accessed bits, never the CPU's.  One more MADV_PAGEOUT must keep
 * exactly the pages the vCPU used, through either alias, and swap out
 * the rest.  Residency is read from /proc/self/pagemap (bit 63 present,
 * bit 62 swapped).  A pinned VM keeps everything; a VM that touched
 * nothing keeps nothing.
 *
 * Needs swap (zram in the test VM).  Each case pins itself to one CPU so
 * that MADV_PAGEOUT's LRU drain sees every page the case faulted.
 */
#define _GNU_SOURCE
#include "kvmm_util.h"

#define GPA_A		0x100000ULL
#define GPA_B		0x80000000ULL
#define AG_N		256UL
#define AG_Q		(AG_N / 4)
#define AG_LEN		(AG_N * KV_PAGE)
#define AG_GEN		21

/* /proc/self/pagemap bits 63, 62, 61 and the pfn in bits 0-54 */
#define PM_PRESENT	0x8000000000000000ULL
#define PM_SWAPPED	0x4000000000000000ULL
#define PM_FILE_SHARED	0x2000000000000000ULL
#define PM_PFN_MASK	0x007fffffffffffffULL

/* /proc/kpageflags bits 12 (anon), 15/16 (compound head/tail), 22 (THP) */
#define KPF_ANON	0x0000000000001000ULL
#define KPF_COMPOUND	0x0000000000018000ULL
#define KPF_THP		0x0000000000400000ULL

/* What the vCPU touches between the two reclaim passes. */
enum ag_touch { AG_TOUCH_NONE, AG_TOUCH_Q0_A_Q1_B };

/* Residency of pages [first, first + count): present, swapped, neither. */
struct ag_res {
	unsigned long present, swapped, other;
};

/* /proc/self/pagemap entries of the AG_N pages at @mem. */
static int ag_pagemap(const char *mem, uint64_t *pm)
{
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	off_t off = (uintptr_t)mem / KV_PAGE * sizeof(uint64_t);
	ssize_t got;

	if (fd < 0)
		return -errno;
	got = pread(fd, pm, AG_N * sizeof(uint64_t), off);
	close(fd);
	if (got != (ssize_t)(AG_N * sizeof(uint64_t)))
		return got < 0 ? -errno : -EIO;
	return 0;
}

static void ag_count(const uint64_t *pm, unsigned long first,
		     unsigned long count, struct ag_res *r)
{
	unsigned long i;

	memset(r, 0, sizeof(*r));
	for (i = first; i < first + count; i++) {
		if (pm[i] & PM_PRESENT)
			r->present++;
		else if (pm[i] & PM_SWAPPED)
			r->swapped++;
		else
			r->other++;
	}
}

/*
 * Residency of the four quarters, printed as one diagnostic line for
 * @what; the totals over all pages go to *@all.
 */
static int ag_residency(const char *what, const char *mem,
			struct ag_res q[4], struct ag_res *all)
{
	uint64_t pm[AG_N];
	int i, ret;

	ret = ag_pagemap(mem, pm);
	if (ret) {
		ktap_diag("/proc/self/pagemap: %s", strerror(-ret));
		return ret;
	}
	for (i = 0; i < 4; i++)
		ag_count(pm, i * AG_Q, AG_Q, &q[i]);
	ag_count(pm, 0, AG_N, all);
	ktap_diag("%s: present/swapped %lu/%lu %lu/%lu %lu/%lu %lu/%lu",
		  what, q[0].present, q[0].swapped, q[1].present, q[1].swapped,
		  q[2].present, q[2].swapped, q[3].present, q[3].swapped);
	return 0;
}

/* The kB value of @field of the /proc/self/smaps VMA that starts at @start. */
static long ag_smaps_kb(const void *start, const char *field)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	size_t flen = strlen(field);
	char line[512];
	int in_vma = 0;
	long val = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		char dash;

		if (sscanf(line, "%lx%c%lx ", &lo, &dash, &hi) == 3 &&
		    dash == '-') {
			in_vma = lo == (uintptr_t)start;
			continue;
		}
		if (in_vma && !strncmp(line, field, flen) &&
		    line[flen] == ':') {
			val = strtol(line + flen + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return val;
}

/*
 * Resident pages of @mem must be private anonymous 4 KiB pages: no THP in
 * smaps, no file or shared page in pagemap, and, where /proc/kpageflags
 * can be read (pfns are shown to CAP_SYS_ADMIN only), anonymous pages
 * that are not part of a compound page.
 */
static int ag_check_anon_4k(const char *mem)
{
	uint64_t pm[AG_N], flags;
	unsigned long i, checked = 0;
	long thp = ag_smaps_kb(mem, "AnonHugePages");
	int kfd;

	CHECK(thp == 0, "AnonHugePages %ld kB: the range is THP-backed", thp);
	CHECK_EQ(ag_pagemap(mem, pm), 0);
	kfd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	for (i = 0; i < AG_N; i++) {
		uint64_t pfn = pm[i] & PM_PFN_MASK;

		if (!(pm[i] & PM_PRESENT))
			continue;
		CHECK(!(pm[i] & PM_FILE_SHARED),
		      "page %lu is a file or shared page (pagemap %#llx)", i,
		      (unsigned long long)pm[i]);
		if (kfd < 0 || !pfn ||
		    pread(kfd, &flags, sizeof(flags), pfn * sizeof(flags)) !=
		    sizeof(flags))
			continue;
		CHECK((flags & KPF_ANON) && !(flags & (KPF_THP | KPF_COMPOUND)),
		      "page %lu (pfn %#llx) is not a 4 KiB anonymous page: kpageflags %#llx",
		      i, (unsigned long long)pfn, (unsigned long long)flags);
		checked++;
	}
	if (kfd >= 0)
		close(kfd);
	ktap_diag("%lu resident pages checked in /proc/kpageflags", checked);
	return KTAP_PASS;
}

/* vCPU loads of pages [first, first + count) through the slot at @gpa. */
static int ag_load(int vm, __u64 gpa, char *buf, unsigned long first,
		   unsigned long count, const char *what)
{
	struct kvmm_run run;

	memset(buf, 0, count * KV_PAGE);
	CHECK_EQ(kv_read(vm, gpa + first * KV_PAGE, buf, count * KV_PAGE,
			 &run), 0);
	CHECK(!kv_check_range(what, buf, first, count, AG_GEN),
	      "the vCPU read wrong data");
	return KTAP_PASS;
}

/*
 * Everything up to the state where no page has an accessed bit anywhere
 * and every page is resident and mapped through both slots.  Each step's
 * effect is checked; a step that did not happen fails the case with the
 * reason, so that the final check never passes vacuously.
 */
static int ag_prepare(__u32 vm_flags, char *mem, char *buf, int *vmp)
{
	struct ag_res q[4], all;
	struct kvmm_stats st;
	int vm;

	kv_fill(mem, AG_N, AG_GEN);
	CHECK_EQ(ag_residency("CPU-written", mem, q, &all), 0);
	CHECK(all.present == AG_N,
	      "precondition: only %lu of %lu pages present after the CPU wrote them",
	      all.present, AG_N);
	if (ag_check_anon_4k(mem))
		return KTAP_FAIL;

	CHECK_EQ(mt_pageout2(mem, AG_LEN), 0);
	CHECK_EQ(ag_residency("MADV_PAGEOUT x2", mem, q, &all), 0);
	CHECK(all.swapped == AG_N,
	      "precondition: only %lu of %lu unmirrored pages went to swap (present %lu)",
	      all.swapped, AG_N, all.present);

	CREATE_VM(vm, vm_flags);
	*vmp = vm;
	CHECK_EQ(kv_set_slot(vm, 0, 0, GPA_A, AG_LEN, mem), 0);
	CHECK_EQ(kv_set_slot(vm, 1, 0, GPA_B, AG_LEN, mem), 0);
	if (ag_load(vm, GPA_A, buf, 0, AG_N, "swap-in through A") ||
	    ag_load(vm, GPA_B, buf, 0, AG_N, "load through B"))
		return KTAP_FAIL;
	CHECK_EQ(ag_residency("vCPU-loaded", mem, q, &all), 0);
	CHECK(all.present == AG_N,
	      "precondition: only %lu of %lu pages present after the vCPU loads",
	      all.present, AG_N);
	if (ag_check_anon_4k(mem))
		return KTAP_FAIL;
	CHECK_EQ(kv_stats(vm, &st), 0);
	CHECK(st.entries == 2 * AG_N, "%llu entries, want %lu (both slots)",
	      (unsigned long long)st.entries, 2 * AG_N);

	/* Clears the CPU's young bits; the vCPU's keep the pages, once. */
	CHECK_SYS(madvise(mem, AG_LEN, MADV_PAGEOUT));
	CHECK_EQ(kv_stats(vm, &st), 0);
	kv_dump_stats("after the ageing MADV_PAGEOUT", &st);
	CHECK_EQ(ag_residency("aged", mem, q, &all), 0);
	CHECK(all.present == AG_N,
	      "%lu of %lu pages the vCPU had just loaded were reclaimed by the first MADV_PAGEOUT: the vCPU's accesses were not reported",
	      AG_N - all.present, AG_N);
	return KTAP_PASS;
}

/*
 * Age the range, let the vCPU touch what @touch says, reclaim once more,
 * then check residency quarter by quarter against @keep (a bit per
 * quarter that must stay resident; the others must be in swap) and that
 * all data is intact through both slots and the CPU.
 */
static int ag_run(__u32 vm_flags, enum ag_touch touch, unsigned int keep)
{
	char *mem = kv_map(AG_LEN), *buf = kv_map(AG_LEN);
	struct ag_res q[4], all;
	struct kvmm_stats s0, s1;
	int vm = -1, ret, i;

	if (!kv_have_swap(2 * AG_N))
		return ktap_skip_case("no swap configured");
	CHECK(!mt_pin_cpu(), "sched_setaffinity: %s", strerror(errno));
	CHECK(mem && buf, "mmap: %s", strerror(errno));
	ret = ag_prepare(vm_flags, mem, buf, &vm);
	if (ret != KTAP_PASS)
		return ret;

	if (touch == AG_TOUCH_Q0_A_Q1_B &&
	    (ag_load(vm, GPA_A, buf, 0, AG_Q, "quarter 0 through A") ||
	     ag_load(vm, GPA_B, buf, AG_Q, AG_Q, "quarter 1 through B")))
		return KTAP_FAIL;
	CHECK_EQ(kv_stats(vm, &s0), 0);
	CHECK_SYS(madvise(mem, AG_LEN, MADV_PAGEOUT));
	CHECK_EQ(kv_stats(vm, &s1), 0);
	kv_dump_stats("after the last MADV_PAGEOUT", &s1);
	ktap_diag("the aging hooks cleared %llu accessed bits",
		  (unsigned long long)(s1.young_cleared - s0.young_cleared));
	CHECK_EQ(ag_residency("reclaimed", mem, q, &all), 0);
	for (i = 0; i < 4; i++) {
		if (keep & (1U << i))
			CHECK(q[i].present == AG_Q,
			      "quarter %d: %lu of %lu used pages were swapped out",
			      i, AG_Q - q[i].present, AG_Q);
		else
			CHECK(q[i].swapped == AG_Q,
			      "quarter %d: %lu of %lu unused pages stayed (present %lu)",
			      i, AG_Q - q[i].swapped, AG_Q, q[i].present);
	}

	/* Swap-in through the vCPU, then the CPU: nothing was lost. */
	if (ag_load(vm, GPA_A, buf, 0, AG_N, "after reclaim, through A") ||
	    ag_load(vm, GPA_B, buf, 0, AG_N, "after reclaim, through B"))
		return KTAP_FAIL;
	CHECK(!kv_check("after reclaim, CPU view", mem, AG_N, AG_GEN),
	      "the CPU sees wrong data");
	CHECK_SYS(close(vm));
	return KTAP_PASS;
}

/* Proves: pages the vCPU used via either alias stay resident, the rest swap */
static int case_aging_through_both_aliases(void)
{
	return ag_run(0, AG_TOUCH_Q0_A_Q1_B, 0x3);
}

/* Proves: after ageing, pages no vCPU touched all leave for swap */
static int case_untouched_vm_lets_all_go(void)
{
	return ag_run(0, AG_TOUCH_NONE, 0);
}

/* Proves: a pinned VM keeps every page resident, used or not */
static int case_pinned_vm_keeps_all(void)
{
	return ag_run(KVMM_VM_PINNED, AG_TOUCH_Q0_A_Q1_B, 0xf);
}

static const struct ktap_case cases[] = {
	KTAP_CASE_TMO(aging_through_both_aliases, 120),
	KTAP_CASE_TMO(untouched_vm_lets_all_go, 120),
	KTAP_CASE_TMO(pinned_vm_keeps_all, 120),
	KTAP_CASE(kernel_not_tainted),
};

int main(void)
{
	mt_record_taint();
	return ktap_run(cases, ARRAY_SIZE(cases));
}
