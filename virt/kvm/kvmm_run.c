// SPDX-License-Identifier: GPL-2.0
/*
 * kvmm_run.c - the vCPU: guest memory accesses through the secondary MMU
 *
 * A vCPU access first tries the VM's TLB, then on a TLB miss the
 * secondary table (mmu_mirror_tlb_access(): the "hardware" walk sets the
 * accessed bit, and the dirty bit on a store, and fills the TLB).  A
 * miss in the table is a secondary-MMU fault, handled by
 * mmu_mirror_fault(), after which the access is tried again, as a real
 * vCPU re-executes the faulting instruction.
 *
 * mmu_mirror_fault() runs KVM's fault/invalidate protocol; the pieces map
 * one to one:
 *
 *	KVM (x86 direct_page_fault())	   mmu_mirror_fault(), per batch
 *	mmu_seq = mmu_invalidate_seq	   seq = mmu_interval_read_begin()
 *	__gfn_to_pfn_memslot()		   hmm_range_fault()
 *	write_lock(&kvm->mmu_lock)	   spin_lock(&mirror->lock)
 *	mmu_invalidate_retry(): in	   mmu_interval_read_retry(): the
 *	  progress or seq changed?	     window's seq changed?
 *	  -> RET_PF_RETRY, fault again	     -> unlock, read_begin again
 *	set the spte			   install the entries
 *
 * On the invalidation side, kvm_mmu_notifier_invalidate_range_start()
 * (in_progress++, zap the sptes under mmu_lock, one remote TLB flush) and
 * _end() (seq++, in_progress--) become the helper's interval callback
 * (mmu_interval_set_seq() and the zap, under mirror->lock) plus its
 * classic invalidate_range_start (the one flush: kvmm_flush()).  KVM's
 * "in progress" window is the core's odd invalidate_seq: once an
 * invalidation has called a window's callback, read_begin on that window
 * sleeps until the invalidation ends, where KVM would spin through
 * RET_PF_RETRY.  The sequence is per window, not per VM, so invalidating
 * one memslot does not make faults on another retry.
 *
 * Guest data is bounced through a kernel buffer KVMM_CHUNK bytes at a
 * time; copy_from_user()/copy_to_user() run with no helper lock held.
 */
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "kvmm.h"

/**
 * struct kvmm_vcpu - state of one KVMM_RUN
 * @vm: the VM
 * @bounce: KVMM_CHUNK bytes of kernel memory the guest data goes through
 * @faults: faults taken so far
 * @retries: faults repeated at the address of the previous fault
 */
struct kvmm_vcpu {
	struct kvmm_vm *vm;
	void *bounce;
	u64 faults;
	u64 retries;
};

/* Does [@gpa, @gpa + @len) touch a read-only memslot? */
static bool kvmm_range_readonly(struct kvmm_vm *vm, u64 gpa, u64 len)
{
	unsigned int i;

	lockdep_assert_held(&vm->slots_sem);
	for (i = 0; i < KVMM_MAX_SLOTS; i++) {
		const struct kvmm_slot *s = &vm->slots[i];

		if (s->win && (s->flags & KVMM_MEM_READONLY) &&
		    gpa < s->gpa + s->size && s->gpa < gpa + len)
			return true;
	}
	return false;
}

/*
 * Fault [@gpa, @gpa + @len) in.  -EBUSY means invalidations kept racing
 * the fault for HMM_RANGE_DEFAULT_TIMEOUT: a vCPU never gives up on that,
 * it re-executes and faults again, so it counts as a retry.
 */
static int kvmm_vcpu_fault(struct kvmm_vcpu *vcpu, u64 gpa, u64 len,
			   unsigned int access, u64 *last_fault)
{
	int ret;

	ret = mmu_mirror_fault(vcpu->vm->mirror, gpa, len, access);
	if (ret == -EBUSY) {
		vcpu->retries++;
		return 0;
	}
	if (ret)
		return ret;
	vcpu->faults++;
	if (gpa == *last_fault)
		vcpu->retries++;
	*last_fault = gpa;
	return 0;
}

/*
 * Copy @len bytes between the bounce buffer and guest memory at @gpa
 * (at most KVMM_CHUNK bytes).  A miss faults as much as @span, the
 * state of the whole access, says: at first everything up to @end, the
 * end of the access, so an access that races nothing takes one fault;
 * less while invalidations take the entries between the fault and the
 * access.  The loop goes round until the copy is done or a signal is
 * pending.
 *
 * @vm->slots_sem is held for read throughout, as KVM holds kvm->srcu
 * while a vCPU runs: a memslot update waits for the chunk to complete,
 * and a move is never seen half done.
 */
static int kvmm_vcpu_copy(struct kvmm_vcpu *vcpu, u64 gpa, size_t len,
			  u64 end, unsigned int access,
			  struct mmu_mirror_span *span)
{
	struct kvmm_vm *vm = vcpu->vm;
	u64 last_fault = U64_MAX;
	size_t pos = 0;
	int ret;

	down_read(&vm->slots_sem);
	/*
	 * The helper never maps a read-only window writable and refuses
	 * write faults there; checking the slot first turns a store into
	 * -EPERM without a fault round trip.
	 */
	ret = -EPERM;
	if (access && kvmm_range_readonly(vm, gpa, len))
		goto out;
	for (;;) {
		size_t done;

		ret = mmu_mirror_tlb_access(&vm->tlb, gpa + pos,
					    vcpu->bounce + pos, len - pos,
					    access, &done);
		pos += done;
		if (ret != -ENOENT)
			break;
		ret = -EINTR;
		if (signal_pending(current))
			break;
		ret = kvmm_vcpu_fault(vcpu, gpa + pos,
				      mmu_mirror_span_next(span, gpa + pos,
							   end),
				      access, &last_fault);
		if (ret)
			break;
		cond_resched();
	}
out:
	up_read(&vm->slots_sem);
	return ret;
}

/*
 * Execute one access, chunk by chunk.  An access that reaches past
 * KVMM_GPA_LIMIT is refused as a whole before anything is copied: no
 * memslot lies there, and the helper's table would alias the address to
 * a lower one.  A pending signal stops the access before its next chunk,
 * so that even a run whose accesses all hit the table (up to 4 GiB of
 * copying, no fault, no sleep) reacts within one chunk, as KVM's vCPU
 * loop checks for signals before every guest entry.
 */
static int kvmm_vcpu_access(struct kvmm_vcpu *vcpu,
			    const struct kvmm_access *acc)
{
	unsigned int access = (acc->flags & KVMM_ACCESS_WRITE) ?
			      MMU_MIRROR_WRITE : 0;
	u8 __user *data = u64_to_user_ptr(acc->data);
	struct mmu_mirror_span span = { };
	u32 off, n;
	int ret;

	if (acc->flags & ~KVMM_ACCESS_WRITE)
		return -EINVAL;
	if (!acc->len || acc->len > KVMM_MAX_ACCESS_LEN ||
	    acc->gpa + acc->len < acc->gpa)
		return -EINVAL;
	if (acc->gpa + acc->len > KVMM_GPA_LIMIT)
		return -EFAULT;

	for (off = 0; off < acc->len; off += n) {
		if (signal_pending(current))
			return -EINTR;
		n = min_t(u32, acc->len - off, KVMM_CHUNK);
		if (access && copy_from_user(vcpu->bounce, data + off, n))
			return -EFAULT;
		ret = kvmm_vcpu_copy(vcpu, acc->gpa + off, n,
				     acc->gpa + acc->len, access, &span);
		if (ret)
			return ret;
		if (!access && copy_to_user(data + off, vcpu->bounce, n))
			return -EFAULT;
		cond_resched();
	}
	return 0;
}

/**
 * kvmm_vcpu_run() - execute the accesses of a KVMM_RUN block
 * @vm: the VM
 * @run: the block, copied from userspace; its output fields are filled
 *
 * Runs the accesses in order until one fails, a signal is pending or
 * all completed.  Signals are checked before every chunk of KVMM_CHUNK
 * bytes of every access and before every fault; an interrupted run stops
 * with -EINTR at the access it was in, which may be partly done.
 * Several runs may execute on one VM at the same time (several vCPUs);
 * memslot updates and invalidations may race them freely.
 *
 * Context: process context of the VM owner, may sleep; takes
 * @vm->slots_sem for read per chunk of KVMM_CHUNK bytes, and the helper's
 * locks; no lock is held across user copies.
 * Return: 0 when the run executed (its outcome is in @run->error and
 * @run->completed); -EINVAL for bad @run->flags or @run->count, -ENOMEM;
 * then @run's output fields are not meaningful.
 */
int kvmm_vcpu_run(struct kvmm_vm *vm, struct kvmm_run *run)
{
	struct kvmm_access __user *uacc = u64_to_user_ptr(run->accesses);
	struct kvmm_vcpu vcpu = { .vm = vm };
	u32 i;
	int ret = 0;

	might_sleep();
	if (run->flags || run->count > KVMM_MAX_RUN_ACCESSES)
		return -EINVAL;
	vcpu.bounce = kvmalloc(KVMM_CHUNK, GFP_KERNEL);
	if (!vcpu.bounce)
		return -ENOMEM;

	for (i = 0; i < run->count; i++) {
		struct kvmm_access acc;

		if (copy_from_user(&acc, &uacc[i], sizeof(acc))) {
			ret = -EFAULT;
			break;
		}
		ret = kvmm_vcpu_access(&vcpu, &acc);
		if (ret)
			break;
	}
	kvfree(vcpu.bounce);
	run->completed = i;
	run->error = ret;
	run->faults = vcpu.faults;
	run->retries = vcpu.retries;
	return 0;
}
