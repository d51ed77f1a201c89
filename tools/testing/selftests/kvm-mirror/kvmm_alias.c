// SPDX-License-Identifier: GPL-2.0
/*
 * kvmm_alias - two memslots over one host range: both guest addresses
 * reach the same pages, and an invalidation of the host range removes
 * the mappings of both slots (the helper finds every window over a host
 * address through its interval tree).
 */
#define _GNU_SOURCE
#include "kvmm_util.h"

#define GPA_A	0x100000ULL
#define GPA_B	0x80000000ULL
#define N	64UL
#define LEN	(N * KV_PAGE)

/* A VM with slots 0 (GPA_A) and 1 (GPA_B, @flags_b) both over @mem. */
static int alias_vm(char *mem, __u32 flags_b)
{
	int vm = kv_create_vm(0);

	if (vm < 0)
		return vm;
	if (kv_set_slot(vm, 0, 0, GPA_A, LEN, mem) ||
	    kv_set_slot(vm, 1, flags_b, GPA_B, LEN, mem)) {
		close(vm);
		return -EINVAL;
	}
	return vm;
}

/*
 * Fill @mem with generation @gen, build the writable alias VM over it and
 * fault both slots in through @buf.  KTAP_PASS with *@vmp set, or the
 * failure of the first step that went wrong.
 */
static int alias_populated(char *mem, char *buf, uint64_t gen, int *vmp)
{
	struct kvmm_run run;
	int vm;

	CHECK(mem && buf, "mmap: %s", strerror(errno));
	kv_fill(mem, N, gen);
	vm = alias_vm(mem, 0);
	CHECK(vm >= 0, "alias VM: %s", strerror(-vm));
	*vmp = vm;
	CHECK_EQ(kv_read(vm, GPA_A, buf, LEN, &run), 0);
	CHECK_EQ(kv_read(vm, GPA_B, buf, LEN, &run), 0);
	return KTAP_PASS;
}

/* Proves: a store through one guest address is seen through the alias and by the CPU, and back. */
static int case_alias_write_read(void)
{
	char *mem = kv_map(LEN), *buf = kv_map(LEN);
	struct kvmm_stats st;
	struct kvmm_run run;
	int vm;

	CHECK(mem && buf, "mmap: %s", strerror(errno));
	kv_fill(mem, N, 1);
	vm = alias_vm(mem, 0);
	CHECK(vm >= 0, "alias VM: %s", strerror(-vm));

	kv_fill(buf, N, 2);
	CHECK_EQ(kv_write(vm, GPA_A, buf, LEN, &run), 0);
	CHECK_EQ(run.faults, 1);
	memset(buf, 0, LEN);
	CHECK_EQ(kv_read(vm, GPA_B, buf, LEN, &run), 0);
	CHECK_EQ(run.faults, 1);
	CHECK(!kv_check("load through the alias", buf, N, 2),
	      "the alias does not see the store");
	CHECK(!kv_check("CPU view of the store", mem, N, 2),
	      "the CPU does not see the store");

	/* The CPU writes; both slots see it without faulting again. */
	kv_fill(mem, N, 3);
	CHECK_EQ(kv_read(vm, GPA_A, buf, LEN, &run), 0);
	CHECK_EQ(run.faults, 0);
	CHECK(!kv_check("slot A after CPU store", buf, N, 3), "stale");
	CHECK_EQ(kv_read(vm, GPA_B, buf, LEN, &run), 0);
	CHECK_EQ(run.faults, 0);
	CHECK(!kv_check("slot B after CPU store", buf, N, 3), "stale");

	/* A store through B shows up through A. */
	kv_fill(buf, N, 4);
	CHECK_EQ(kv_write(vm, GPA_B + 3 * KV_PAGE, buf + 3 * KV_PAGE,
			  KV_PAGE, &run), 0);
	CHECK_EQ(kv_read(vm, GPA_A, buf, LEN, &run), 0);
	CHECK(!kv_check_range("A after store through B",
			      buf + 3 * KV_PAGE, 3, 1, 4), "stale");
	CHECK(!kv_check_range("A, other pages", buf + 4 * KV_PAGE, 4,
			      N - 4, 3), "changed");
	CHECK_EQ(kv_stats(vm, &st), 0);
	CHECK_EQ(st.entries, 2 * N);
	CHECK_SYS(close(vm));
	return KTAP_PASS;
}

/* Proves: one munmap of the host range zaps both slots' entries with one flush; neither sees the old pages. */
static int case_alias_munmap(void)
{
	char *mem = kv_map(LEN), *buf = kv_map(LEN);
	struct kvmm_stats s0, s1;
	struct kvmm_run run;
	int vm, ret;

	ret = alias_populated(mem, buf, 5, &vm);
	if (ret)
		return ret;
	CHECK(!kv_check("read through B", buf, N, 5), "wrong data");

	CHECK_EQ(kv_stats(vm, &s0), 0);
	CHECK_EQ(s0.entries, 2 * N);
	CHECK_SYS(munmap(mem, LEN));
	CHECK_EQ(kv_stats(vm, &s1), 0);
	kv_dump_stats("after munmap", &s1);
	CHECK_EQ(s1.invalidations[KV_EV_UNMAP] - s0.invalidations[KV_EV_UNMAP],
		 1);
	CHECK_EQ(s1.flushes - s0.flushes, 1);
	CHECK_EQ(s1.tlb_flushes - s0.tlb_flushes, 1);
	CHECK_EQ(s1.pages_zapped - s0.pages_zapped, 2 * N);
	CHECK_EQ(s1.entries, 0);

	CHECK_EQ(kv_read(vm, GPA_A, buf, KV_PAGE, &run), -EFAULT);
	CHECK_EQ(kv_read(vm, GPA_B, buf, KV_PAGE, &run), -EFAULT);

	/* New memory at the same address: both slots see it, not the old. */
	CHECK_EQ(kv_remap_at(mem, LEN), 0);
	kv_fill(mem, N, 6);
	CHECK_EQ(kv_read(vm, GPA_A, buf, LEN, &run), 0);
	CHECK(!kv_check("A after remap", buf, N, 6), "stale pages through A");
	CHECK_EQ(kv_read(vm, GPA_B, buf, LEN, &run), 0);
	CHECK(!kv_check("B after remap", buf, N, 6), "stale pages through B");
	CHECK_SYS(close(vm));
	return KTAP_PASS;
}

/* Proves: MADV_DONTNEED of part of the host range zaps exactly that part in both slots. */
static int case_alias_dontneed_part(void)
{
	char *mem = kv_map(LEN), *buf = kv_map(LEN);
	const unsigned long first = 8, count = 16;
	struct kvmm_stats s0, s1;
	struct kvmm_run run;
	int vm, ret;

	ret = alias_populated(mem, buf, 7, &vm);
	if (ret)
		return ret;

	CHECK_EQ(kv_stats(vm, &s0), 0);
	CHECK_SYS(madvise(mem + first * KV_PAGE, count * KV_PAGE,
			  MADV_DONTNEED));
	CHECK_EQ(kv_stats(vm, &s1), 0);
	CHECK_EQ(s1.flushes - s0.flushes, 1);
	CHECK_EQ(s1.pages_zapped - s0.pages_zapped, 2 * count);
	CHECK_EQ(s1.entries, 2 * (N - count));

	CHECK_EQ(kv_read(vm, GPA_B, buf, LEN, &run), 0);
	CHECK_EQ(run.faults, 1);
	CHECK(!kv_check_range("B before the hole", buf, 0, first, 7), "wrong");
	CHECK(!mt_check_zero("B in the hole", buf + first * KV_PAGE, count),
	      "stale data in the hole");
	CHECK(!kv_check_range("B after the hole",
			      buf + (first + count) * KV_PAGE, first + count,
			      N - first - count, 7), "wrong");
	CHECK_EQ(kv_read(vm, GPA_A, buf, LEN, &run), 0);
	CHECK(!mt_check_zero("A in the hole", buf + first * KV_PAGE, count),
	      "stale data in the hole");
	CHECK_SYS(close(vm));
	return KTAP_PASS;
}

/* Proves: a read-only alias refuses stores while the writable one takes them; both read the same. */
static int case_alias_readonly(void)
{
	char *mem = kv_map(LEN), *buf = kv_map(LEN);
	struct kvmm_run run;
	int vm;

	CHECK(mem && buf, "mmap: %s", strerror(errno));
	kv_fill(mem, N, 8);
	vm = alias_vm(mem, KVMM_MEM_READONLY);
	CHECK(vm >= 0, "alias VM: %s", strerror(-vm));

	kv_fill(buf, N, 9);
	CHECK_EQ(kv_write(vm, GPA_B, buf, LEN, &run), -EPERM);
	CHECK(!kv_check("after refused store", mem, N, 8), "memory changed");
	CHECK_EQ(kv_write(vm, GPA_A, buf, LEN, &run), 0);
	memset(buf, 0, LEN);
	CHECK_EQ(kv_read(vm, GPA_B, buf, LEN, &run), 0);
	CHECK(!kv_check("read-only alias", buf, N, 9), "wrong data");
	/* With read-only entries present, a store still does not pass. */
	CHECK_EQ(kv_write(vm, GPA_B, buf, KV_PAGE, &run), -EPERM);
	CHECK_SYS(close(vm));
	return KTAP_PASS;
}

/* Proves: a slot over part of another slot's host range aliases at the right offset. */
static int case_alias_offset(void)
{
	char *mem = kv_map(LEN), *buf = kv_map(LEN);
	const unsigned long off = 24;
	struct kvmm_stats s0, s1;
	struct kvmm_run run;
	int vm;

	CHECK(mem && buf, "mmap: %s", strerror(errno));
	kv_fill(mem, N, 10);
	CREATE_VM(vm, 0);
	CHECK_EQ(kv_set_slot(vm, 0, 0, GPA_A, LEN, mem), 0);
	CHECK_EQ(kv_set_slot(vm, 1, 0, GPA_B, (N - off) * KV_PAGE,
			     mem + off * KV_PAGE), 0);
	CHECK_EQ(kv_read(vm, GPA_B, buf, (N - off) * KV_PAGE, &run), 0);
	CHECK(!kv_check_range("offset alias", buf, off, N - off, 10),
	      "wrong data");
	CHECK_EQ(kv_read(vm, GPA_A, buf, LEN, &run), 0);

	/* Unmap a range that only slot 0 covers: slot 1 keeps its entries. */
	CHECK_EQ(kv_stats(vm, &s0), 0);
	CHECK_SYS(madvise(mem, off * KV_PAGE, MADV_DONTNEED));
	CHECK_EQ(kv_stats(vm, &s1), 0);
	CHECK_EQ(s1.pages_zapped - s0.pages_zapped, off);
	CHECK_EQ(s1.entries, 2 * (N - off));
	CHECK_EQ(kv_read(vm, GPA_B, buf, (N - off) * KV_PAGE, &run), 0);
	CHECK_EQ(run.faults, 0);
	CHECK_SYS(close(vm));
	return KTAP_PASS;
}

static const struct ktap_case cases[] = {
	KTAP_CASE(alias_write_read),
	KTAP_CASE(alias_munmap),
	KTAP_CASE(alias_dontneed_part),
	KTAP_CASE(alias_readonly),
	KTAP_CASE(alias_offset),
	KTAP_CASE(kernel_not_tainted),
};

int main(void)
{
	mt_record_taint();
	return ktap_run(cases, ARRAY_SIZE(cases));
}
