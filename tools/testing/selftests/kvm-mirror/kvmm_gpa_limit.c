// SPDX-License-Identifier: GPL-2.0
/*
 * kvmm_gpa_limit - the guest physical address space ends at
 * 2^KVMM_GPA_BITS: memslots cannot reach past it, and a vCPU access that
 * does fails as a whole, without reading or changing any guest memory.
 * The secondary table indexes 57 bits of address, so an address at or
 * above 2^57 that were not refused would alias a lower one; every data
 * check below goes through the host mapping, not through the VM.
 */
#define _GNU_SOURCE
#include "kvmm_util.h"

#define LIMIT	(1ULL << KVMM_GPA_BITS)
#define TABLE	(1ULL << 57)	/* what the helper's table can index */
#define GPA0	0x100000ULL
#define N	16UL
#define LEN	(N * KV_PAGE)
#define POISON	0xa5

/*
 * A VM with guest memory at both ends of the address space, everything
 * mapped in its secondary table, so that an address that aliased mapped
 * memory would reach it without a fault:
 *	slot 0 at GPA0:		@mem, generation 1
 *	slot 1 at 0:		@low, generation 2
 *	slot 2 at LIMIT - LEN:	@top, generation 3
 *	slot 3 at TABLE - LEN:	@high, generation 4, if the VM accepts it
 *				(*@high_ret says; it must not)
 */
struct limit_vm {
	int vm;
	int high_ret;
	char *mem, *low, *top, *high;
	char *buf;	/* KVMM_MAX_ACCESS_LEN bytes, then a page */
};

static int limit_vm_setup(struct limit_vm *v)
{
	struct kvmm_run run;

	v->mem = kv_map(LEN);
	v->low = kv_map(LEN);
	v->top = kv_map(LEN);
	v->high = kv_map(LEN);
	v->buf = kv_map(KVMM_MAX_ACCESS_LEN + KV_PAGE);
	CHECK(v->mem && v->low && v->top && v->high && v->buf, "mmap: %s",
	      strerror(errno));
	kv_fill(v->mem, N, 1);
	kv_fill(v->low, N, 2);
	kv_fill(v->top, N, 3);
	kv_fill(v->high, N, 4);
	CREATE_VM(v->vm, 0);
	CHECK_EQ(kv_set_slot(v->vm, 0, 0, GPA0, LEN, v->mem), 0);
	CHECK_EQ(kv_set_slot(v->vm, 1, 0, 0, LEN, v->low), 0);
	CHECK_EQ(kv_set_slot(v->vm, 2, 0, LIMIT - LEN, LEN, v->top), 0);
	v->high_ret = kv_set_slot(v->vm, 3, 0, TABLE - LEN, LEN, v->high);
	CHECK_EQ(kv_read(v->vm, GPA0, v->buf, LEN, &run), 0);
	CHECK_EQ(kv_read(v->vm, 0, v->buf, LEN, &run), 0);
	CHECK_EQ(kv_read(v->vm, LIMIT - LEN, v->buf, LEN, &run), 0);
	CHECK(!kv_check("load below the limit", v->buf, N, 3), "wrong data");
	if (!v->high_ret)
		CHECK_EQ(kv_read(v->vm, TABLE - LEN, v->buf, LEN, &run), 0);
	return KTAP_PASS;
}

/* Guest memory, seen by the CPU, still holds what the setup wrote. */
static int limit_vm_intact(const struct limit_vm *v)
{
	CHECK(!kv_check("slot 0 memory", v->mem, N, 1), "guest memory changed");
	CHECK(!kv_check("slot at 0", v->low, N, 2), "guest memory changed");
	CHECK(!kv_check("slot below the limit", v->top, N, 3),
	      "guest memory changed");
	CHECK(!kv_check("memory offered at 2^57 - LEN", v->high, N, 4),
	      "guest memory changed");
	return KTAP_PASS;
}

/* Number of bytes of @p that are not POISON. */
static size_t unpoisoned(const char *p, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		n += (unsigned char)p[i] != POISON;
	return n;
}

/*
 * One load and one store of @len bytes at @gpa must both fail with
 * -EFAULT as access 1 of a run whose access 0 is good, and must not
 * fill the load buffer.
 */
static int refused(struct limit_vm *v, __u64 gpa, __u32 len)
{
	struct kvmm_access a[2] = {
		{ GPA0, (uintptr_t)v->buf + KVMM_MAX_ACCESS_LEN, 64, 0 },
		{ gpa, (uintptr_t)v->buf, len, 0 },
	};
	struct kvmm_run run;
	int ret;

	memset(v->buf, POISON, KVMM_MAX_ACCESS_LEN);
	ret = kv_run(v->vm, a, 2, &run);
	CHECK(ret == -EFAULT && run.error == -EFAULT && run.completed == 1,
	      "load at %#llx len %u: ret %d error %d completed %u",
	      (unsigned long long)gpa, len, ret, run.error, run.completed);
	CHECK(!unpoisoned(v->buf, len),
	      "load at %#llx len %u filled %zu bytes of the buffer",
	      (unsigned long long)gpa, len, unpoisoned(v->buf, len));

	kv_fill(v->buf, KVMM_MAX_ACCESS_LEN / KV_PAGE, 9);
	a[1].flags = KVMM_ACCESS_WRITE;
	ret = kv_run(v->vm, a, 2, &run);
	CHECK(ret == -EFAULT && run.error == -EFAULT && run.completed == 1,
	      "store at %#llx len %u: ret %d error %d completed %u",
	      (unsigned long long)gpa, len, ret, run.error, run.completed);
	return limit_vm_intact(v);
}

/* Proves: memslots end at or below 2^KVMM_GPA_BITS, for creates and moves alike. */
static int case_slots_beyond_limit(void)
{
	char *mem = kv_map(LEN), *buf = kv_map(LEN);
	struct kvmm_stats st;
	struct kvmm_run run;
	int vm;

	CHECK(mem && buf, "mmap: %s", strerror(errno));
	kv_fill(mem, N, 5);
	CREATE_VM(vm, 0);
	CHECK_EQ(kv_set_slot(vm, 0, 0, GPA0, LEN, mem), 0);

	CHECK_EQ(kv_set_slot(vm, 1, 0, LIMIT, KV_PAGE, buf), -EINVAL);
	CHECK_EQ(kv_set_slot(vm, 1, 0, LIMIT - KV_PAGE, 2 * KV_PAGE, buf),
		 -EINVAL);
	CHECK_EQ(kv_set_slot(vm, 1, 0, TABLE - KV_PAGE, KV_PAGE, buf),
		 -EINVAL);
	CHECK_EQ(kv_set_slot(vm, 1, 0, TABLE, KV_PAGE, buf), -EINVAL);
	CHECK_EQ(kv_set_slot(vm, 1, 0, 5 * TABLE, KV_PAGE, buf), -EINVAL);
	CHECK_EQ(kv_stats(vm, &st), 0);
	CHECK_EQ(st.nr_slots, 1);

	/* A move past the limit is refused and leaves the slot in place. */
	CHECK_EQ(kv_set_slot(vm, 0, 0, LIMIT, LEN, mem), -EINVAL);
	CHECK_EQ(kv_set_slot(vm, 0, 0, LIMIT - LEN + KV_PAGE, LEN, mem),
		 -EINVAL);
	CHECK_EQ(kv_set_slot(vm, 0, 0, GPA0 + TABLE, LEN, mem), -EINVAL);
	CHECK_EQ(kv_read(vm, GPA0, buf, LEN, &run), 0);
	CHECK(!kv_check("slot after refused moves", buf, N, 5), "wrong data");

	/* The last pages below the limit are fine. */
	CHECK_EQ(kv_set_slot(vm, 0, 0, LIMIT - LEN, LEN, mem), 0);
	memset(buf, 0, LEN);
	CHECK_EQ(kv_read(vm, LIMIT - LEN, buf, LEN, &run), 0);
	CHECK(!kv_check("slot moved to the top", buf, N, 5), "wrong data");
	CHECK_EQ(kv_read(vm, GPA0, buf, 8, &run), -EFAULT);
	CHECK_EQ(kv_set_slot(vm, 1, 0, LIMIT - LEN - KV_PAGE, KV_PAGE, buf),
		 0);
	CHECK_EQ(kv_stats(vm, &st), 0);
	CHECK_EQ(st.nr_slots, 2);
	CHECK_SYS(close(vm));
	return KTAP_PASS;
}

/* Proves: loads and stores at gpa + 2^57, + 2^52 and + 5 * 2^57 fail and touch no guest memory. */
static int case_accesses_beyond_limit(void)
{
	static const __u64 off[] = { TABLE, LIMIT, 5 * TABLE, 1ULL << 63 };
	static const __u32 len[] = { 8, KV_PAGE, KVMM_MAX_ACCESS_LEN };
	struct limit_vm v;
	unsigned int i, j;
	int ret;

	ret = limit_vm_setup(&v);
	if (ret)
		return ret;
	for (i = 0; i < ARRAY_SIZE(off); i++) {
		for (j = 0; j < ARRAY_SIZE(len); j++) {
			ret = refused(&v, GPA0 + off[i], len[j]);
			if (!ret)
				ret = refused(&v, off[i] + 8, len[j]);
			if (!ret)
				ret = refused(&v, off[i] + LIMIT - LEN,
					      len[j]);
			if (ret) {
				ktap_diag("offset %#llx, length %u",
					  (unsigned long long)off[i], len[j]);
				return ret;
			}
		}
	}
	CHECK_EQ(v.high_ret, -EINVAL);
	CHECK_SYS(close(v.vm));
	return KTAP_PASS;
}

/* Proves: accesses crossing 2^52 or 2^57 fail as a whole: nothing read, nothing written on either side. */
static int case_ranges_crossing_limit(void)
{
	static const struct { __u64 gpa; __u32 len; } r[] = {
		{ LIMIT - 8, 16 },
		{ LIMIT - 1, 2 },
		{ LIMIT - KV_PAGE, 2 * KV_PAGE },
		{ LIMIT - LEN, KVMM_MAX_ACCESS_LEN },
		{ TABLE - 8, 16 },
		{ TABLE - KV_PAGE, 2 * KV_PAGE },
		{ TABLE - LEN, KVMM_MAX_ACCESS_LEN },
	};
	struct kvmm_run run;
	struct limit_vm v;
	unsigned int i;
	int ret;

	ret = limit_vm_setup(&v);
	if (ret)
		return ret;
	for (i = 0; i < ARRAY_SIZE(r); i++) {
		ret = refused(&v, r[i].gpa, r[i].len);
		if (ret) {
			ktap_diag("range %#llx + %u", (unsigned long long)r[i].gpa,
				  r[i].len);
			return ret;
		}
	}

	/* Up to the limit exactly is guest memory. */
	memset(v.buf, 0, KV_PAGE);
	CHECK_EQ(kv_access(v.vm, LIMIT - KV_PAGE, v.buf, KV_PAGE, 0, &run), 0);
	CHECK(!kv_check_range("last page", v.buf, N - 1, 1, 3), "wrong data");
	for (i = 0; i < KV_PAGE / 8; i++)
		((uint64_t *)v.buf)[i] = kv_word(6, N - 1, i);
	CHECK_EQ(kv_access(v.vm, LIMIT - KV_PAGE, v.buf, KV_PAGE, 1, &run), 0);
	CHECK(!kv_check_range("store to the last page",
			      v.top + (N - 1) * KV_PAGE, N - 1, 1, 6),
	      "the store did not land");
	CHECK_EQ(v.high_ret, -EINVAL);
	CHECK_SYS(close(v.vm));
	return KTAP_PASS;
}

static const struct ktap_case cases[] = {
	KTAP_CASE(slots_beyond_limit),
	KTAP_CASE(accesses_beyond_limit),
	KTAP_CASE(ranges_crossing_limit),
	KTAP_CASE(kernel_not_tainted),
};

int main(void)
{
	mt_record_taint();
	return ktap_run(cases, ARRAY_SIZE(cases));
}
