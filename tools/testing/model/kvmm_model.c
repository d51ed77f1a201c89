// SPDX-License-Identifier: GPL-2.0
/*
 * kvmm_model.c - the KVM-style client's core on the model
 *
 * virt/kvm/kvmm_vm.c, kvmm_memslot.c and kvmm_run.c, built unchanged, run
 * VMs whose owner is a process of the model core VM.  The test plays the
 * VM file: kvmm_vm_create() is KVMM_CREATE_VM, kvmm_vm_ioctl() an ioctl
 * with a pointer into this program as the user argument, and
 * kvmm_vm_destroy() the last close.  current->mm is set to the owner's mm
 * while the test acts as the owner.
 */
#include <linux/kvm_mirror.h>
#include <linux/mmu_mirror.h>
#include <linux/mmu_notifier.h>
#include <linux/sched/mm.h>
#include <model/checker.h>
#include <model/shim.h>
#include <model/vm.h>
#include "../../../virt/kvm/kvmm.h"
#include "ktap.h"
#include "lib/invalidator.h"

#define NPAGES	16
#define LEN	(NPAGES * PAGE_SIZE)
#define GPA_A	0x100000ULL
#define GPA_B	0x800000ULL

static unsigned char want[LEN], got[LEN];

static void fill(unsigned char *buf, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (unsigned char)(i * 29 + seed);
}

static long set_slot(struct kvmm_vm *vm, u32 slot, u32 flags, u64 gpa,
		     u64 size, u64 hva)
{
	struct kvmm_memslot mem = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = hva,
	};

	return kvmm_vm_ioctl(vm, KVMM_SET_MEMSLOT, &mem);
}

/* One vCPU run of a single access; the run block goes to @out. */
static long run_one(struct kvmm_vm *vm, u64 gpa, void *buf, u32 len,
		    bool write, struct kvmm_run *out)
{
	struct kvmm_access acc = {
		.gpa = gpa,
		.data = (u64)(uintptr_t)buf,
		.len = len,
		.flags = write ? KVMM_ACCESS_WRITE : 0,
	};
	struct kvmm_run run = {
		.accesses = (u64)(uintptr_t)&acc,
		.count = 1,
	};
	long ret;

	ret = kvmm_vm_ioctl(vm, KVMM_RUN, &run);
	if (out)
		*out = run;
	return ret;
}

static struct kvmm_stats vm_stats(struct kvmm_vm *vm)
{
	struct kvmm_stats st;

	if (kvmm_vm_ioctl(vm, KVMM_GET_STATS, &st))
		memset(&st, 0xff, sizeof(st));
	return st;
}

/* The owner process with one read-write mapping of LEN bytes, and its VM. */
static struct kvmm_vm *owner_vm(struct mm_struct **mmp, unsigned long *hva,
				unsigned long flags)
{
	struct mm_struct *mm = model_mm_create();
	struct kvmm_vm *vm;

	if (!mm)
		return NULL;
	*hva = model_mmap(mm, 0, LEN, VM_READ | VM_WRITE);
	vm = IS_ERR_VALUE(*hva) ? ERR_PTR(-ENOMEM) :
	     kvmm_vm_create(mm, flags, "model-vm");
	if (IS_ERR(vm)) {
		mmput(mm);
		return NULL;
	}
	current->mm = mm;
	*mmp = mm;
	return vm;
}

static void owner_exit(struct kvmm_vm *vm, struct mm_struct *mm)
{
	kvmm_vm_destroy(vm);
	if (mm)
		mmput(mm);
	current->mm = NULL;
}

/* Memslots are created, moved (data follows the slot) and deleted. */
static bool test_memslot_add_move_delete(void)
{
	struct kvmm_stats st;
	struct mm_struct *mm;
	struct kvmm_vm *vm;
	unsigned long hva;
	struct kvmm_run run;

	vm = owner_vm(&mm, &hva, 0);
	KTAP_CHECK(vm);
	KTAP_CHECK(set_slot(vm, 0, 0, GPA_A, LEN, hva) == 0);
	KTAP_CHECK(set_slot(vm, 1, 0, GPA_A + PAGE_SIZE, LEN, hva) ==
		   -EEXIST);
	KTAP_CHECK(set_slot(vm, KVMM_MAX_SLOTS, 0, GPA_B, LEN, hva) ==
		   -EINVAL);
	KTAP_CHECK(set_slot(vm, 1, 0, GPA_B + 1, LEN, hva) == -EINVAL);
	KTAP_CHECK(set_slot(vm, 1, 0, 1ULL << KVMM_GPA_BITS, LEN, hva) ==
		   -EINVAL);
	fill(want, LEN, 1);
	KTAP_CHECK(run_one(vm, GPA_A, want, LEN, true, &run) == 0);
	/* The table would alias GPA_A + 2^57 to GPA_A: refused first. */
	memset(got, 0, LEN);
	KTAP_CHECK(run_one(vm, GPA_A + (1ULL << MMU_MIRROR_SVA_BITS), got, 8,
			   false, &run) == -EFAULT);
	KTAP_CHECK(run.error == -EFAULT && run.completed == 0 && !got[0]);

	/* Move: the old address faults, the new one has the data. */
	KTAP_CHECK(set_slot(vm, 0, 0, GPA_B, LEN, hva) == 0);
	KTAP_CHECK(run_one(vm, GPA_A, got, 1, false, &run) == -EFAULT);
	KTAP_CHECK(run.error == -EFAULT && run.completed == 0);
	memset(got, 0, LEN);
	KTAP_CHECK(run_one(vm, GPA_B, got, LEN, false, &run) == 0);
	KTAP_CHECK(!memcmp(want, got, LEN));
	/* Only the guest address of a slot may change. */
	KTAP_CHECK(set_slot(vm, 0, 0, GPA_B, LEN / 2, hva) == -EINVAL);
	st = vm_stats(vm);
	KTAP_CHECK(st.nr_slots == 1 && st.entries == NPAGES);

	/* Delete: entries go, the id is free, deleting again is refused. */
	KTAP_CHECK(set_slot(vm, 0, 0, GPA_B, 0, hva) == 0);
	KTAP_CHECK(set_slot(vm, 0, 0, GPA_B, 0, hva) == -EINVAL);
	st = vm_stats(vm);
	KTAP_CHECK(st.nr_slots == 0 && st.entries == 0);
	KTAP_CHECK(run_one(vm, GPA_B, got, 1, false, NULL) == -EFAULT);

	owner_exit(vm, mm);
	return true;
}

/* Aliased slots: a write via one reads via the other; munmap: one flush. */
static bool test_aliasing(void)
{
	struct kvmm_stats st;
	struct mm_struct *mm;
	struct kvmm_vm *vm;
	unsigned long hva;

	vm = owner_vm(&mm, &hva, 0);
	KTAP_CHECK(vm);
	KTAP_CHECK(set_slot(vm, 0, 0, GPA_A, LEN, hva) == 0);
	KTAP_CHECK(set_slot(vm, 1, 0, GPA_B, LEN, hva) == 0);
	fill(want, LEN, 2);
	KTAP_CHECK(run_one(vm, GPA_A, want, LEN, true, NULL) == 0);
	memset(got, 0, LEN);
	KTAP_CHECK(run_one(vm, GPA_B, got, LEN, false, NULL) == 0);
	KTAP_CHECK(!memcmp(want, got, LEN));
	st = vm_stats(vm);
	KTAP_CHECK(st.entries == 2 * NPAGES && st.flushes == 0);

	KTAP_CHECK(model_munmap(mm, hva, LEN) == 0);
	st = vm_stats(vm);
	KTAP_CHECK(st.entries == 0 && st.entries_zapped == 2 * NPAGES);
	KTAP_CHECK(st.invalidations[MMU_NOTIFY_UNMAP] == 1);
	KTAP_CHECK(st.flushes == 1 && st.tlb_flushes == 1);
	KTAP_CHECK(st.dirty_propagated == NPAGES);
	KTAP_CHECK(run_one(vm, GPA_B, got, 1, false, NULL) == -EFAULT);

	owner_exit(vm, mm);
	return true;
}

/* A vCPU run faults a miss in once, then hits; stats count it all. */
static bool test_vcpu_run_faults_stats(void)
{
	long ret_unmapped, ret_mapped;
	struct kvmm_access acc[3];
	struct kvmm_run run;
	struct kvmm_stats st;
	struct mm_struct *mm;
	struct kvmm_vm *vm;
	unsigned long hva;

	vm = owner_vm(&mm, &hva, 0);
	KTAP_CHECK(vm);
	fill(want, LEN, 3);
	KTAP_CHECK(model_cpu_access(mm, hva, want, LEN, true) == 0);
	KTAP_CHECK(set_slot(vm, 0, 0, GPA_A, LEN / 2, hva) == 0);
	KTAP_CHECK(set_slot(vm, 1, KVMM_MEM_READONLY, GPA_B, LEN / 2,
			    hva + LEN / 2) == 0);

	memset(got, 0, LEN);
	KTAP_CHECK(run_one(vm, GPA_A, got, LEN / 2, false, &run) == 0);
	KTAP_CHECK(run.faults == 1 && run.retries == 0 && run.completed == 1);
	KTAP_CHECK(!memcmp(want, got, LEN / 2));
	KTAP_CHECK(run_one(vm, GPA_A + 5, got, 100, false, &run) == 0);
	KTAP_CHECK(run.faults == 0);
	st = vm_stats(vm);
	KTAP_CHECK(st.faults == 1 && st.pages_mapped == NPAGES / 2);

	/* Three accesses: a load, a store, a store to the read-only slot. */
	acc[0] = (struct kvmm_access){ .gpa = GPA_B, .len = 64,
		.data = (u64)(uintptr_t)got };
	acc[1] = (struct kvmm_access){ .gpa = GPA_A, .len = 64,
		.data = (u64)(uintptr_t)want, .flags = KVMM_ACCESS_WRITE };
	acc[2] = (struct kvmm_access){ .gpa = GPA_B, .len = 64,
		.data = (u64)(uintptr_t)want, .flags = KVMM_ACCESS_WRITE };
	run = (struct kvmm_run){ .accesses = (u64)(uintptr_t)acc, .count = 3 };
	KTAP_CHECK(kvmm_vm_ioctl(vm, KVMM_RUN, &run) == -EPERM);
	KTAP_CHECK(run.error == -EPERM && run.completed == 2);
	KTAP_CHECK(run.faults == 1);
	KTAP_CHECK(!memcmp(want + LEN / 2, got, 64));

	/* Signals stop a run before its next chunk, mapped or not. */
	KTAP_CHECK(set_slot(vm, 1, KVMM_MEM_READONLY, GPA_B, 0, 0) == 0);
	KTAP_CHECK(set_slot(vm, 1, 0, GPA_B, LEN / 2, hva + LEN / 2) == 0);
	current->signal = true;
	ret_unmapped = run_one(vm, GPA_B, got, 1, false, NULL);
	ret_mapped = run_one(vm, GPA_A, got, 1, false, &run);
	current->signal = false;
	KTAP_CHECK(ret_unmapped == -EINTR && ret_mapped == -EINTR);
	KTAP_CHECK(run.error == -EINTR && run.completed == 0);
	run.flags = 1;
	KTAP_CHECK(kvmm_vm_ioctl(vm, KVMM_RUN, &run) == -EINVAL);
	KTAP_CHECK(run_one(vm, GPA_A, got, 0, false, NULL) == -EINVAL);
	KTAP_CHECK(run_one(vm, GPA_A, NULL, 1, false, NULL) == -EFAULT);
	KTAP_CHECK(kvmm_vm_ioctl(vm, KVMM_RUN + 1, &run) == -ENOTTY);

	/* Only the owner may run the VM; anyone may read the counters. */
	current->mm = NULL;
	KTAP_CHECK(run_one(vm, GPA_A, got, 1, false, NULL) == -EIO);
	KTAP_CHECK(set_slot(vm, 2, 0, 0, PAGE_SIZE, hva) == -EIO);
	st = vm_stats(vm);
	/* One flush: deleting slot 1 removed its mapped entries. */
	KTAP_CHECK(st.nr_slots == 2 && st.tlb_flushes == 1);
	current->mm = mm;

	owner_exit(vm, mm);
	return true;
}

/* The owner exits with the VM live: runs get -ESRCH, the close frees all. */
static bool test_owner_exit(void)
{
	struct kvmm_stats st;
	struct mm_struct *mm;
	struct kvmm_vm *vm;
	unsigned long hva;

	vm = owner_vm(&mm, &hva, 0);
	KTAP_CHECK(vm);
	KTAP_CHECK(set_slot(vm, 0, 0, GPA_A, LEN, hva) == 0);
	KTAP_CHECK(run_one(vm, GPA_A, want, LEN, true, NULL) == 0);
	mmput(mm);	/* exit_mmap(); the VM still holds mm_count */
	st = vm_stats(vm);
	KTAP_CHECK(st.entries == 0 && st.nr_slots == 1);
	KTAP_CHECK(run_one(vm, GPA_A, got, 1, false, NULL) == -ESRCH);
	owner_exit(vm, NULL);
	return true;
}

/* A pinned (pre-notifier) VM pins what it maps until it is destroyed. */
static bool test_pinned_vm(void)
{
	struct kvmm_stats st;
	struct mm_struct *mm;
	struct kvmm_vm *vm;
	unsigned long hva;

	KTAP_CHECK(IS_ERR(kvmm_vm_create(NULL, 2, "bad")));
	vm = owner_vm(&mm, &hva, KVMM_VM_PINNED);
	KTAP_CHECK(vm);
	KTAP_CHECK(set_slot(vm, 0, 0, GPA_A, LEN, hva) == 0);
	fill(want, LEN, 4);
	KTAP_CHECK(run_one(vm, GPA_A, want, LEN, true, NULL) == 0);
	memset(got, 0, LEN);
	KTAP_CHECK(model_cpu_access(mm, hva, got, LEN, false) == 0);
	KTAP_CHECK(!memcmp(want, got, LEN));
	st = vm_stats(vm);
	KTAP_CHECK(st.pages_pinned == NPAGES && st.vm_flags == KVMM_VM_PINNED);
	owner_exit(vm, mm);
	return true;
}

/* Proves: loads hit the VM's TLB; deleting the memslot empties it. */
static bool test_tlb_hits_and_slot_delete(void)
{
	struct kvmm_stats st;
	struct mm_struct *mm;
	struct kvmm_vm *vm;
	unsigned long hva;

	vm = owner_vm(&mm, &hva, 0);
	KTAP_CHECK(vm);
	KTAP_CHECK(set_slot(vm, 0, 0, GPA_A, LEN, hva) == 0);
	fill(want, LEN, 5);
	KTAP_CHECK(run_one(vm, GPA_A, want, LEN, true, NULL) == 0);
	memset(got, 0, LEN);
	KTAP_CHECK(run_one(vm, GPA_A, got, LEN, false, NULL) == 0);
	KTAP_CHECK(!memcmp(want, got, LEN));
	st = vm_stats(vm);
	/* The stores filled the TLB for writing: the loads all hit. */
	KTAP_CHECK(st.tlb_hits == NPAGES);

	KTAP_CHECK(set_slot(vm, 0, 0, GPA_A, 0, hva) == 0);
	st = vm_stats(vm);
	KTAP_CHECK(st.tlb_flushes == 1 && st.tlb_emptied == 1);
	KTAP_CHECK(st.tlb_dropped == NPAGES);
	KTAP_CHECK(run_one(vm, GPA_A, got, 1, false, NULL) == -EFAULT);
	owner_exit(vm, mm);
	return true;
}

/*
 * Proves: with the test-only tlb_skip_flush set, a vCPU still loads from
 * a deleted memslot and from memory the owner unmapped, and the checker
 * reports the stale translations.
 */
static bool test_tlb_skip_flush_caught(void)
{
	unsigned long hva, before, a0, e0, found_a, found_e;
	struct kvmm_stats st;
	struct mm_struct *mm;
	struct kvmm_vm *vm;
	long del_ret;

	vm = owner_vm(&mm, &hva, 0);
	KTAP_CHECK(vm);
	vm->tlb_skip_flush = true;
	KTAP_CHECK(set_slot(vm, 0, 0, GPA_A, LEN / 2, hva) == 0);
	/* Other TLB entries than slot 0's: both stay cached. */
	KTAP_CHECK(set_slot(vm, 1, 0, GPA_B + LEN / 2, LEN / 2,
			    hva + LEN / 2) == 0);
	fill(want, LEN, 6);
	KTAP_CHECK(model_cpu_access(mm, hva, want, LEN, true) == 0);
	KTAP_CHECK(run_one(vm, GPA_A, got, LEN / 2, false, NULL) == 0);
	KTAP_CHECK(run_one(vm, GPA_B + LEN / 2, got, LEN / 2, false, NULL) ==
		   0);

	before = checker_violations();
	e0 = checker_count('e');
	KTAP_CHECK(set_slot(vm, 0, 0, GPA_A, 0, hva) == 0);
	checker_checkpoint(mm);
	found_e = checker_count('e') - e0;
	memset(got, 0, LEN);
	del_ret = run_one(vm, GPA_A, got, LEN / 2, false, NULL);
	KTAP_CHECK(del_ret == 0 && !memcmp(got, want, LEN / 2));

	a0 = checker_count('a');
	KTAP_CHECK(model_mprotect(mm, hva + LEN / 2, LEN / 2, VM_NONE) == 0);
	found_a = checker_count('a') - a0;
	KTAP_CHECK(run_one(vm, GPA_B + LEN / 2, got, LEN / 2, false, NULL) ==
		   0);
	KTAP_CHECK(!memcmp(got, want + LEN / 2, LEN / 2));
	st = vm_stats(vm);
	printf("# skipped flush: %lu (e) after the slot delete, %lu (a) after mprotect, %llu flushes, %llu emptied\n",
	       found_e, found_a, st.tlb_flushes, st.tlb_emptied);
	mmu_mirror_tlb_flush(&vm->tlb);
	owner_exit(vm, mm);
	checker_expect(checker_violations() - before);
	KTAP_CHECK(found_e == NPAGES / 2 && found_a == NPAGES / 2);
	KTAP_CHECK(st.tlb_flushes == 2 && st.tlb_emptied == 0);
	return true;
}

#define PROGRESS_PAGES	(KVMM_MAX_ACCESS_LEN / PAGE_SIZE)	/* 16 chunks */
#define PROGRESS_BUDGET	32

static unsigned char progress_buf[KVMM_MAX_ACCESS_LEN];

/* Proves: a vCPU load under invalidations far faster than its faults progresses with bounded work. */
static bool test_run_progress_under_invalidations(void)
{
	const unsigned long n = PROGRESS_PAGES;
	struct invalidator inv = { .budget = PROGRESS_BUDGET };
	struct kvmm_stats st;
	struct kvmm_run run;
	struct kvmm_vm *vm;
	unsigned long i;
	long ret;

	inv.mm = model_mm_create();
	KTAP_CHECK(inv.mm);
	inv.start = model_mmap(inv.mm, 0, n * PAGE_SIZE, VM_READ | VM_WRITE);
	KTAP_CHECK(!IS_ERR_VALUE(inv.start));
	inv.end = inv.start + n * PAGE_SIZE;
	for (i = 0; i < n; i += 16) {
		unsigned char v = (unsigned char)(i / 16 + 1);

		KTAP_CHECK(model_cpu_access(inv.mm, inv.start + i * PAGE_SIZE,
					    &v, 1, true) == 0);
	}
	vm = kvmm_vm_create(inv.mm, 0, "model-vm");
	KTAP_CHECK(!IS_ERR(vm));
	current->mm = inv.mm;
	KTAP_CHECK(set_slot(vm, 0, 0, GPA_A, n * PAGE_SIZE, inv.start) == 0);

	invalidator_arm(&inv);
	ret = run_one(vm, GPA_A, progress_buf, n * PAGE_SIZE, false, &run);
	invalidator_disarm();
	st = vm_stats(vm);
	printf("# %lu pages: %llu faults, %llu retries, %lu invalidations, %llu pages installed, %lu walked\n",
	       n, (unsigned long long)run.faults,
	       (unsigned long long)run.retries, inv.invalidations,
	       (unsigned long long)st.pages_mapped, inv.walked);
	KTAP_CHECK(ret == 0 && run.error == 0 && run.completed == 1);
	for (i = 0; i < n; i++)
		KTAP_CHECK(progress_buf[i * PAGE_SIZE] ==
			   (i % 16 ? 0 : (unsigned char)(i / 16 + 1)));
	KTAP_CHECK(inv.invalidations > n / PROGRESS_BUDGET);
	/* As in dmirror_model's READ case; the vCPU's pieces are 64 KiB. */
	KTAP_CHECK(st.pages_mapped <= 6 * n);
	KTAP_CHECK(inv.walked <= 20 * n);
	owner_exit(vm, inv.mm);
	return true;
}

static const struct ktap_case cases[] = {
	{ "memslot_add_move_delete", test_memslot_add_move_delete },
	{ "aliasing", test_aliasing },
	{ "vcpu_run_faults_stats", test_vcpu_run_faults_stats },
	{ "owner_exit", test_owner_exit },
	{ "pinned_vm", test_pinned_vm },
	{ "tlb_hits_and_slot_delete", test_tlb_hits_and_slot_delete },
	{ "tlb_skip_flush_caught", test_tlb_skip_flush_caught },
	{ "run_progress_under_invalidations",
	  test_run_progress_under_invalidations },
};

int main(int argc, char **argv)
{
	return ktap_model_main(argc, argv, cases, ARRAY_SIZE(cases),
			       1024, true);
}
