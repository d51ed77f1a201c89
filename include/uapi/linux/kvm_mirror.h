/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kvm_mirror.h - UAPI of the KVM-style secondary-MMU client
 *
 * /dev/kvm_mirror creates "VMs".  A VM is bound to the address space of
 * the process that created it; its guest-physical address space is made
 * of memslots, each mapping a range of that process's memory at a guest
 * physical address.  A "vCPU" run executes a list of guest memory
 * accesses through the VM's secondary page table, faulting on a miss,
 * the way a hardware vCPU accesses guest memory through EPT/NPT.
 *
 * Ioctls of /dev/kvm_mirror: KVMM_CREATE_VM.
 * Ioctls of a VM file: KVMM_SET_MEMSLOT, KVMM_RUN, KVMM_GET_STATS; the
 * first two only from the process that created the VM (-EIO otherwise).
 * Anything else answers -ENOTTY.
 */
#ifndef _UAPI_LINUX_KVM_MIRROR_H
#define _UAPI_LINUX_KVM_MIRROR_H

#include <linux/types.h>
#include <linux/ioctl.h>

/*
 * KVMM_CREATE_VM flags, passed as the ioctl argument itself.  PINNED is
 * the legacy mode: mapped pages are pinned, no MMU notifier is used.
 */
#define KVMM_VM_PINNED		0x1U

/* Memslot ids are 0 .. KVMM_MAX_SLOTS - 1. */
#define KVMM_MAX_SLOTS		32

/*
 * Guest physical addresses are below 2^KVMM_GPA_BITS, as on x86 without
 * a smaller host MAXPHYADDR: a memslot must end at or below that limit
 * (-EINVAL otherwise), and a vCPU access that reaches past it fails with
 * -EFAULT before it reads or writes anything.
 */
#define KVMM_GPA_BITS		52

/* struct kvmm_memslot flags */
#define KVMM_MEM_READONLY	0x1U	/* guest writes fail with -EPERM */

/**
 * struct kvmm_memslot - create, move or delete one memslot
 * @slot: (in) memslot id, below KVMM_MAX_SLOTS
 * @flags: (in) 0 or KVMM_MEM_READONLY
 * @guest_phys_addr: (in) page-aligned guest physical base address
 * @memory_size: (in) page-aligned size in bytes; 0 deletes the slot
 * @userspace_addr: (in) page-aligned start of the backing memory in the
 *	VM owner's address space
 *
 * A new id with a non-zero size creates a slot.  An existing id with the
 * same @userspace_addr, @memory_size and READONLY flag and another
 * @guest_phys_addr moves it; with the same @guest_phys_addr it is a no-op.
 * Guest physical ranges of different slots must not overlap (-EEXIST);
 * host ranges may (aliasing).
 */
struct kvmm_memslot {
	__u32	slot;
	__u32	flags;
	__u64	guest_phys_addr;
	__u64	memory_size;
	__u64	userspace_addr;
};

/* struct kvmm_access flags */
#define KVMM_ACCESS_WRITE	0x1U	/* guest store; otherwise a load */

/* Largest struct kvmm_access::len. */
#define KVMM_MAX_ACCESS_LEN	(1U << 20)
/* Largest struct kvmm_run::count. */
#define KVMM_MAX_RUN_ACCESSES	4096U

/**
 * struct kvmm_access - one guest memory access of a vCPU run
 * @gpa: (in) guest physical address, any alignment
 * @data: (in) user pointer to @len bytes: the data a store writes, or the
 *	buffer a load fills
 * @len: (in) length in bytes, 1 .. KVMM_MAX_ACCESS_LEN
 * @flags: (in) 0 for a load, KVMM_ACCESS_WRITE for a store
 */
struct kvmm_access {
	__u64	gpa;
	__u64	data;
	__u32	len;
	__u32	flags;
};

/**
 * struct kvmm_run - execute guest memory accesses on a vCPU
 * @accesses: (in) user pointer to an array of @count struct kvmm_access
 * @count: (in) number of accesses, at most KVMM_MAX_RUN_ACCESSES
 * @flags: (in) must be 0
 * @faults: (out) secondary-MMU faults the run took; a miss faults in the
 *	rest of its access at once, so an access that races no
 *	invalidation takes at most one
 * @retries: (out) faults that had to be repeated because invalidations
 *	raced them: the mapping was removed again between the fault and the
 *	access, or the fault kept losing the race and was started over
 * @completed: (out) accesses that completed; on error, the index of the
 *	access that failed or was interrupted
 * @error: (out) 0, or the negative errno that stopped the run: -EFAULT
 *	for a guest address in no memslot (or backed by no host mapping),
 *	for an access reaching past 2^KVMM_GPA_BITS, or a bad @data
 *	pointer; -EPERM for a store to a read-only memslot or host mapping;
 *	-EINVAL for a bad access; -EINTR on a pending signal; -ESRCH once
 *	the VM owner's address space has exited; -ENOMEM, in a pinned VM
 *	also for pins beyond the owner's RLIMIT_MEMLOCK; -EOPNOTSUPP for a
 *	store of a pinned VM to a shared file mapping that needs writeback
 *
 * Accesses run in order.  The output fields are written back once the
 * block itself was accepted; the ioctl then returns @error.  A pending
 * signal is noticed before every 64 KiB of every access, also when no
 * access faults; the access it interrupts may be partly done (a prefix
 * of a store written, of a load's buffer filled), the ones before it are
 * complete and none after it has started.  An access reaching past
 * 2^KVMM_GPA_BITS is refused before any of it is done.
 */
struct kvmm_run {
	__u64	accesses;
	__u32	count;
	__u32	flags;
	__u64	faults;
	__u64	retries;
	__u32	completed;
	__s32	error;
};

/* Number of MMU_NOTIFY_* events counted in struct kvmm_stats. */
#define KVMM_NR_EVENTS		8

/**
 * struct kvmm_stats - counters of a VM's secondary MMU
 * @faults: fault calls that installed entries
 * @pages_mapped: 4 KiB pages installed in the secondary table
 * @retries: fault rounds repeated because an invalidation raced them
 * @invalidations: invalidations overlapping a memslot, by MMU_NOTIFY_*
 *	event (UNMAP, CLEAR, PROTECTION_VMA, PROTECTION_PAGE, SOFT_DIRTY,
 *	RELEASE, MIGRATE, EXCLUSIVE)
 * @entries_zapped: secondary entries removed by invalidations
 * @pages_zapped: 4 KiB pages covered by those entries
 * @flushes: secondary TLB flushes the helper asked for
 * @dirty_propagated: pages marked dirty because a vCPU wrote them
 * @young_cleared: entries whose accessed bit an aging hook cleared
 * @nonblock_invalidations: invalidations that were not allowed to sleep
 * @nonblock_flushes: flushes made at once because an invalidation was not
 *	allowed to sleep
 * @pages_pinned: pages currently pinned (KVMM_VM_PINNED only)
 * @entries: entries currently present in the secondary table
 * @table_nodes: secondary table nodes currently allocated
 * @nonblock_failed: non-blockable invalidations refused because a device
 *	access was in flight over the range
 * @tlb_flushes: calls of the VM's own flush callback: one per
 *	invalidation (or memslot removal) that removed entries, however
 *	many memslots it covered
 * @nr_slots: memslots currently present
 * @vm_flags: the KVMM_CREATE_VM flags
 * @tlb_hits: page accesses of vCPU runs that the VM's TLB served without
 *	looking at the secondary table
 * @tlb_misses: page accesses that looked the secondary table up (and
 *	filled the TLB): no cached entry, or a store meeting an entry that
 *	a load filled
 * @tlb_emptied: flushes that emptied the VM's TLB; equal to @tlb_flushes
 *	unless the test-only tlb_skip_flush parameter was set when the VM
 *	was created
 * @tlb_dropped: cached translations those flushes dropped
 * @tlb_fill_races: TLB fills given up because a flush ran between the
 *	table lookup and the fill
 * @tlb_age_resets: times the TLB dropped its entries because reclaim
 *	cleared the secondary table's accessed bits
 */
struct kvmm_stats {
	__u64	faults;
	__u64	pages_mapped;
	__u64	retries;
	__u64	invalidations[KVMM_NR_EVENTS];
	__u64	entries_zapped;
	__u64	pages_zapped;
	__u64	flushes;
	__u64	dirty_propagated;
	__u64	young_cleared;
	__u64	nonblock_invalidations;
	__u64	nonblock_flushes;
	__u64	pages_pinned;
	__u64	entries;
	__u64	table_nodes;
	__u64	nonblock_failed;
	__u64	tlb_flushes;
	__u32	nr_slots;
	__u32	vm_flags;
	__u64	tlb_hits;
	__u64	tlb_misses;
	__u64	tlb_emptied;
	__u64	tlb_dropped;
	__u64	tlb_fill_races;
	__u64	tlb_age_resets;
};

#define KVMM_IOC_MAGIC		0xB2

/*
 * /dev/kvm_mirror: returns a new VM file descriptor.  Errors: -EINVAL for
 * unknown flags or a caller without an address space, -ENOMEM, -EMFILE or
 * -ENFILE (no descriptor), and -EINTR when a signal arrives while a VM
 * without KVMM_VM_PINNED subscribes to the MMU notifier: the subscription
 * takes every lock of the address space (mm_take_all_locks()), which gives
 * up when a signal is pending.  Nothing was created; call it again.
 */
#define KVMM_CREATE_VM		_IO(KVMM_IOC_MAGIC, 0x00)
/* VM file descriptor. */
#define KVMM_SET_MEMSLOT	_IOW(KVMM_IOC_MAGIC, 0x01, struct kvmm_memslot)
#define KVMM_RUN		_IOWR(KVMM_IOC_MAGIC, 0x02, struct kvmm_run)
#define KVMM_GET_STATS		_IOR(KVMM_IOC_MAGIC, 0x03, struct kvmm_stats)

#endif /* _UAPI_LINUX_KVM_MIRROR_H */
