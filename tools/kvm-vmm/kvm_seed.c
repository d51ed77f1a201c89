// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_seed - the 2008 "KVM host swapping with MMU notifiers" experiment,
 * run by a minimal VMM on /dev/kvm (--mode realkvm, the default), on our
 * KVM-style client /dev/kvm_mirror (--mode mirror: MMU notifiers through
 * the mmu_mirror helper; --mode pinned: KVMM_VM_PINNED, KVM before
 * notifiers), or on no VM at all (--no-vm).
 *
 * Steps, all in one process, in this order:
 *
 *   1. create a VM with --mem MiB of anonymous guest memory in one
 *      memslot at guest physical address 0; the guest writes (gpa ^ seed)
 *      to every --stride bytes of its memory above the code page, then
 *      stops:
 *      - realkvm: one vCPU in 32-bit protected mode (flat segments, no
 *        paging) runs a store loop and executes HLT;
 *      - mirror, pinned: KVMM_RUN store accesses, KVMM_RUN_BATCH per run;
 *        with --stride 4 each access writes one whole page, otherwise
 *        one word; after the last run the VM simply runs no more;
 *   2. measure: the process's Rss and VmRSS and the Rss/Swap of the guest
 *      memory VMA (from /proc/self/smaps); with --wait, print a STOPPED line and
 *      wait for a line on stdin, EOF on stdin, or SIGUSR1, so that a driver
 *      can apply pressure of its own while the guest sits stopped;
 *   3. pressure: --hog-mib M forks a child that writes M MiB of its own
 *      anonymous memory and exits; then --pageout-rounds N calls
 *      madvise(MADV_PAGEOUT) N times on the guest memory (on 6.1 the first
 *      call mostly clears accessed bits, a secondary MMU's included, so
 *      use 2); then wait (up to 10 s) until reclaim has stopped;
 *   4. measure again; with --wait-resume, print a PRESSED line and wait
 *      as in step 2, so that a driver can pressure several stopped VMs
 *      before any of them resumes;
 *   5. resume: the guest re-reads every pattern word (realkvm: the guest
 *      OUTs the address of the first bad word to port 0x11 and the count
 *      of bad words to port 0x10, and halts again; mirror, pinned:
 *      KVMM_RUN load accesses, checked by the VMM);
 *   6. measure, and print one line:
 *
 *   RESULT label=L mode=M mem_mib=64 ... swapouts=N swapins=N ... data=ok
 *
 * With --no-vm there is no VM: the host CPU writes and checks the same
 * pattern in the same kind of mapping, a baseline for memory that no
 * secondary MMU maps.
 *
 * The guest memory is MADV_DONTFORK, as QEMU makes guest RAM, so that
 * forking the hog does not copy-on-write-protect (and so invalidate) the
 * guest's secondary mappings.
 *
 * RESULT fields, sizes in KiB, counts in 4 KiB pages:
 *   rss_*		VmRSS, as ps shows it; on 6.1 it can be off by a few
 *			hundred KiB either way (per-task counter caching)
 *   proc_rss_*		Rss of the whole process (/proc/self/smaps_rollup)
 *   guest_rss_*,	Rss and Swap of the guest memory alone; these three
 *   guest_swap_*	come from page table walks and are exact.
 *			guest_swap_after_pressure_kb went to swap;
 *			guest_swap_after_resume_kb is still there once the
 *			guest has read everything back (0: all came back)
 *   guest_active_*	guest memory on the active LRU list (/proc/kpageflags;
 *			-1 when it cannot be read, which needs root)
 *   swapouts		pswpout delta, system wide, from the stop to the end
 *			of the pressure
 *   swapins		pswpin delta, system wide, across the resume
 *   reclaim_resume	pages reclaim took, system wide, during the resume
 *			(pgsteal_kswapd + pgsteal_direct): a guest page
 *			swapped in, read and reclaimed again before the end
 *			counts in guest_swap_after_resume_kb
 *   majflt_resume	this process's major faults across the resume; KVM
 *			and our client fault guest memory in through GUP or
 *			hmm_range_fault() in this process's context, which
 *			counts them, but a page still in the swap cache
 *			comes back without one: use swapins and guest_swap_*
 *			for what was swapped in
 *   mmu_*		mirror and pinned only, from KVMM_GET_STATS: secondary
 *			table entries when stopped (mmu_entries_stopped) and
 *			after the pressure (mmu_entries_after_pressure); pages
 *			zapped (mmu_zapped) and accessed bits cleared by the
 *			aging hooks (mmu_young_cleared) during the pressure;
 *			pages pinned after it (mmu_pinned); pages the resume
 *			mapped again (mmu_mapped_resume)
 *   *_ms		fill, pressure (with the settling) and verify times
 *
 * Exit status: 0 if the data check passed, 1 if it failed, 2 if the
 * experiment could not be run.
 *
 * Build (from the top of the tree): gcc -O2 -Wall -Wextra -static
 * -Iinclude/uapi -o kvm_seed tools/kvm-vmm/kvm_seed.c
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <inttypes.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>
#include <linux/kvm_mirror.h>

#include "seed_common.h"

#define KVM_API_EXPECTED	12

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

/* The longest wait for reclaim to stop after the pressure. */
#define SETTLE_MAX_MS		10000

/* Guest physical layout: page 0 unused (stack), code page, then data. */
#define GUEST_CODE_GPA		0x1000UL
#define GUEST_DATA_GPA		0x2000UL
#define GUEST_STACK_TOP		0x1000UL
#define GUEST_ENTRY_FILL	0x00	/* offsets into guest_code[] */
#define GUEST_ENTRY_VERIFY	0x10

/* I/O ports the guest reports on (32-bit OUT). */
#define PORT_MISMATCHES		0x10
#define PORT_FIRST_BAD		0x11

/* The largest guest: the 32-bit guest loop compares against mem end. */
#define MAX_MEM_MIB		3072UL

/*
 * Guest code, 32-bit, loaded at GUEST_CODE_GPA.  Inputs set by the VMM
 * through KVM_SET_REGS: ESI = first byte to touch, EDI = end (exclusive),
 * EDX = seed, EBP = stride in bytes (a multiple of 4).
 *
 * fill (offset 0x00): write (addr ^ seed) to each addr = ESI, ESI+EBP, ...
 * below EDI, then halt.
 *
 * verify (offset 0x10): count the words that differ from (addr ^ seed),
 * remember the first bad address (0 if none: the data starts at 0x2000),
 * OUT that to PORT_FIRST_BAD, OUT the count to PORT_MISMATCHES, halt.
 *
 * Both end in "hlt; jmp back to hlt", so an unexpected resume halts again.
 */
static const uint8_t guest_code[] = {
	/* 0x00 fill: */
	0x89, 0xf0,		/* 00: mov  %esi,%eax			*/
	0x31, 0xd0,		/* 02: xor  %edx,%eax			*/
	0x89, 0x06,		/* 04: mov  %eax,(%esi)			*/
	0x01, 0xee,		/* 06: add  %ebp,%esi			*/
	0x39, 0xfe,		/* 08: cmp  %edi,%esi			*/
	0x72, 0xf4,		/* 0a: jb   0x00 (fill)			*/
	0xf4,			/* 0c: hlt				*/
	0xeb, 0xfd,		/* 0d: jmp  0x0c			*/
	0xf4,			/* 0f: hlt (padding)			*/
	/* 0x10 verify: */
	0x31, 0xdb,		/* 10: xor  %ebx,%ebx    count = 0	*/
	0x31, 0xc9,		/* 12: xor  %ecx,%ecx    first_bad = 0	*/
	/* 0x14 vloop: */
	0x89, 0xf0,		/* 14: mov  %esi,%eax			*/
	0x31, 0xd0,		/* 16: xor  %edx,%eax			*/
	0x39, 0x06,		/* 18: cmp  %eax,(%esi)			*/
	0x74, 0x07,		/* 1a: je   0x23 (vok)			*/
	0x85, 0xdb,		/* 1c: test %ebx,%ebx			*/
	0x75, 0x02,		/* 1e: jne  0x22 (vinc)			*/
	0x89, 0xf1,		/* 20: mov  %esi,%ecx    first_bad = addr */
	/* 0x22 vinc: */
	0x43,			/* 22: inc  %ebx			*/
	/* 0x23 vok: */
	0x01, 0xee,		/* 23: add  %ebp,%esi			*/
	0x39, 0xfe,		/* 25: cmp  %edi,%esi			*/
	0x72, 0xeb,		/* 27: jb   0x14 (vloop)		*/
	0x89, 0xc8,		/* 29: mov  %ecx,%eax			*/
	0xe7, PORT_FIRST_BAD,	/* 2b: out  %eax,$0x11			*/
	0x89, 0xd8,		/* 2d: mov  %ebx,%eax			*/
	0xe7, PORT_MISMATCHES,	/* 2f: out  %eax,$0x10			*/
	0xf4,			/* 31: hlt				*/
	0xeb, 0xfd,		/* 32: jmp  0x31			*/
};

/* Accesses per KVMM_RUN in modes mirror and pinned. */
#define KVMM_RUN_BATCH		256

enum backend { BE_REALKVM, BE_MIRROR, BE_PINNED, BE_NOVM };

static const char *const backend_names[] = {
	[BE_REALKVM]	= "realkvm",
	[BE_MIRROR]	= "mirror",
	[BE_PINNED]	= "pinned",
	[BE_NOVM]	= "novm",
};

struct opts {
	unsigned long mem_mib;
	const char *label;
	enum backend backend;
	const char *dev;
	uint32_t seed;
	unsigned long stride;
	unsigned int pageout_rounds;
	unsigned long hog_mib;
	bool wait;
	bool wait_resume;
	bool thp;
	bool corrupt;
};

struct vm {
	int kvm_fd;
	int vm_fd;
	int vcpu_fd;
	struct kvm_run *run;
	size_t run_size;
	uint8_t *mem;
	size_t mem_size;
	bool kvmm;		/* vm_fd is a /dev/kvm_mirror VM */
	/* Filled in by the last guest run. */
	bool got_mismatches, got_first_bad;
	uint32_t mismatches, first_bad;
};

struct snap {
	struct seed_snap s;
	struct kvmm_stats mmu;	/* only for a /dev/kvm_mirror VM */
};

/* ------------------------------------------------------------------ */
/* The VM                                                             */

static int kvm_ioctl(int fd, unsigned long req, void *arg, const char *what)
{
	int ret;

	ret = ioctl(fd, req, arg);
	if (ret < 0)
		die("%s failed: %s", what, strerror(errno));
	return ret;
}

static void flat_segment(struct kvm_segment *seg, uint16_t selector,
			 uint8_t type)
{
	memset(seg, 0, sizeof(*seg));
	seg->base = 0;
	seg->limit = 0xffffffff;
	seg->selector = selector;
	seg->type = type;	/* 0xb: code exec/read, accessed; 0x3: data r/w, accessed */
	seg->present = 1;
	seg->dpl = 0;
	seg->db = 1;		/* 32-bit */
	seg->s = 1;		/* code/data, not system */
	seg->l = 0;
	seg->g = 1;		/* limit in 4 KiB units */
}

static void vm_create(struct vm *vm, const struct opts *o)
{
	struct kvm_userspace_memory_region region;
	struct kvm_sregs sregs;
	int ret;

	vm->kvm_fd = open(o->dev, O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0)
		die("cannot open %s: %s%s", o->dev, strerror(errno),
		    errno == ENOENT ? " (is the kvm module loaded?)" : "");
	ret = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (ret != KVM_API_EXPECTED)
		die("%s: KVM API version %d, expected %d", o->dev, ret,
		    KVM_API_EXPECTED);
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY) <= 0)
		die("%s lacks KVM_CAP_USER_MEMORY", o->dev);

	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		die("KVM_CREATE_VM failed: %s%s", strerror(errno),
		    errno == ENODEV || errno == EINVAL ?
		    " (no hardware virtualization? kvm-amd/kvm-intel loaded?)" : "");


	memset(&region, 0, sizeof(region));
	region.slot = 0;
	region.flags = 0;
	region.guest_phys_addr = 0;
	region.memory_size = vm->mem_size;
	region.userspace_addr = (uintptr_t)vm->mem;
	kvm_ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region,
		  "KVM_SET_USER_MEMORY_REGION");

	vm->vcpu_fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, 0);
	if (vm->vcpu_fd < 0)
		die("KVM_CREATE_VCPU failed: %s", strerror(errno));
	ret = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (ret < (int)sizeof(struct kvm_run))
		die("KVM_GET_VCPU_MMAP_SIZE returned %d: %s", ret,
		    ret < 0 ? strerror(errno) : "smaller than struct kvm_run");
	vm->run_size = ret;
	vm->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       vm->vcpu_fd, 0);
	if (vm->run == MAP_FAILED)
		die("cannot mmap the vCPU's kvm_run area: %s", strerror(errno));

	/*
	 * 32-bit protected mode without paging: the hidden parts of the
	 * segment registers are loaded directly, so no GDT is needed as long
	 * as the guest never reloads a segment.  No IDT either: interrupts
	 * stay disabled and the guest code cannot fault.  No in-kernel
	 * irqchip, so HLT exits to us.
	 */
	kvm_ioctl(vm->vcpu_fd, KVM_GET_SREGS, &sregs, "KVM_GET_SREGS");
	flat_segment(&sregs.cs, 0x08, 0xb);
	flat_segment(&sregs.ds, 0x10, 0x3);
	sregs.es = sregs.ds;
	sregs.fs = sregs.ds;
	sregs.gs = sregs.ds;
	sregs.ss = sregs.ds;
	sregs.cr0 = 0x11;	/* PE | ET; caches on (CD = NW = 0), PG = 0 */
	sregs.cr4 = 0;
	sregs.efer = 0;
	kvm_ioctl(vm->vcpu_fd, KVM_SET_SREGS, &sregs, "KVM_SET_SREGS");
}

static void vm_set_entry(struct vm *vm, unsigned long entry, uint32_t seed,
			 unsigned long stride)
{
	struct kvm_regs regs;

	memset(&regs, 0, sizeof(regs));
	regs.rflags = 0x2;	/* reserved bit 1; IF = 0 */
	regs.rip = GUEST_CODE_GPA + entry;
	regs.rsp = GUEST_STACK_TOP;
	regs.rsi = GUEST_DATA_GPA;
	regs.rdi = vm->mem_size;
	regs.rdx = seed;
	regs.rbp = stride;
	kvm_ioctl(vm->vcpu_fd, KVM_SET_REGS, &regs, "KVM_SET_REGS");
}

static const char *exit_name(uint32_t reason)
{
	switch (reason) {
	case KVM_EXIT_UNKNOWN:		return "UNKNOWN";
	case KVM_EXIT_EXCEPTION:	return "EXCEPTION";
	case KVM_EXIT_IO:		return "IO";
	case KVM_EXIT_HLT:		return "HLT";
	case KVM_EXIT_MMIO:		return "MMIO";
	case KVM_EXIT_SHUTDOWN:		return "SHUTDOWN";
	case KVM_EXIT_FAIL_ENTRY:	return "FAIL_ENTRY";
	case KVM_EXIT_INTR:		return "INTR";
	case KVM_EXIT_INTERNAL_ERROR:	return "INTERNAL_ERROR";
	case KVM_EXIT_SYSTEM_EVENT:	return "SYSTEM_EVENT";
	default:			return "other";
	}
}

static void guest_io(struct vm *vm)
{
	struct kvm_run *run = vm->run;
	uint32_t val;

	if (run->io.direction != KVM_EXIT_IO_OUT || run->io.size != 4 ||
	    run->io.count != 1 ||
	    (run->io.port != PORT_MISMATCHES && run->io.port != PORT_FIRST_BAD))
		die("unexpected guest I/O: %s port 0x%x size %u count %u",
		    run->io.direction == KVM_EXIT_IO_OUT ? "out" : "in",
		    run->io.port, run->io.size, run->io.count);
	memcpy(&val, (uint8_t *)run + run->io.data_offset, sizeof(val));
	if (run->io.port == PORT_MISMATCHES) {
		vm->mismatches = val;
		vm->got_mismatches = true;
	} else {
		vm->first_bad = val;
		vm->got_first_bad = true;
	}
}

/* Run the vCPU until the guest halts; returns the time taken in ms. */
static double vm_run_until_hlt(struct vm *vm, const char *what)
{
	struct kvm_run *run = vm->run;
	struct kvm_regs regs;
	double t0 = now_ms();

	for (;;) {
		if (ioctl(vm->vcpu_fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			die("KVM_RUN (%s) failed: %s", what, strerror(errno));
		}
		switch (run->exit_reason) {
		case KVM_EXIT_HLT:
			return now_ms() - t0;
		case KVM_EXIT_IO:
			guest_io(vm);
			continue;
		case KVM_EXIT_INTR:
			continue;
		default:
			break;
		}
		/* Anything else is a bug in the guest setup: say what happened. */
		memset(&regs, 0, sizeof(regs));
		ioctl(vm->vcpu_fd, KVM_GET_REGS, &regs);
		fprintf(stderr, "%s: error: guest %s stopped with exit reason %u (%s) at rip 0x%llx esi 0x%llx",
			program_invocation_short_name, what, run->exit_reason,
			exit_name(run->exit_reason),
			(unsigned long long)regs.rip, (unsigned long long)regs.rsi);
		switch (run->exit_reason) {
		case KVM_EXIT_FAIL_ENTRY:
			fprintf(stderr, ": hardware entry failure reason 0x%llx",
				(unsigned long long)run->fail_entry.hardware_entry_failure_reason);
			break;
		case KVM_EXIT_INTERNAL_ERROR:
			fprintf(stderr, ": internal error suberror %u",
				run->internal.suberror);
			break;
		case KVM_EXIT_MMIO:
			fprintf(stderr, ": access to gpa 0x%llx outside guest memory",
				(unsigned long long)run->mmio.phys_addr);
			break;
		case KVM_EXIT_SHUTDOWN:
			fprintf(stderr, ": triple fault");
			break;
		}
		fputc('\n', stderr);
		exit(2);
	}
}

/*
 * --no-vm baseline: the host CPU writes and checks the same pattern in the
 * same memory, so that the numbers can be compared with a process whose
 * memory no secondary MMU maps.
 */
static double host_fill(struct vm *vm, uint32_t seed, unsigned long stride)
{
	double t0 = now_ms();
	size_t gpa;

	for (gpa = GUEST_DATA_GPA; gpa < vm->mem_size; gpa += stride)
		*(uint32_t *)(vm->mem + gpa) = (uint32_t)gpa ^ seed;
	return now_ms() - t0;
}

static double host_verify(struct vm *vm, uint32_t seed, unsigned long stride)
{
	double t0 = now_ms();
	size_t gpa;

	vm->mismatches = 0;
	vm->first_bad = 0;
	for (gpa = GUEST_DATA_GPA; gpa < vm->mem_size; gpa += stride) {
		if (*(uint32_t *)(vm->mem + gpa) == ((uint32_t)gpa ^ seed))
			continue;
		if (!vm->mismatches++)
			vm->first_bad = gpa;
	}
	vm->got_mismatches = vm->got_first_bad = true;
	return now_ms() - t0;
}

/* ------------------------------------------------------------------ */
/* Modes mirror and pinned: our KVM-style client, /dev/kvm_mirror    */

/*
 * A vCPU run being built: up to KVMM_RUN_BATCH accesses, each on its own
 * piece of @buf (one page, or one word with a --stride above 4).
 */
struct kvmm_batch {
	struct vm *vm;
	bool write;
	uint32_t seed;
	struct kvmm_access acc[KVMM_RUN_BATCH];
	uint8_t *buf;		/* KVMM_RUN_BATCH pages */
	size_t used;		/* bytes of @buf taken by @acc */
	unsigned int n;		/* accesses in @acc */
};

static void kvmm_vm_create(struct vm *vm, const struct opts *o)
{
	unsigned long flags = o->backend == BE_PINNED ? KVMM_VM_PINNED : 0;
	struct kvmm_memslot slot = {
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = vm->mem_size,
		.userspace_addr = (uintptr_t)vm->mem,
	};
	int dev;

	dev = open(o->dev, O_RDWR | O_CLOEXEC);
	if (dev < 0)
		die("cannot open %s: %s%s", o->dev, strerror(errno),
		    errno == ENOENT ? " (is kvm_mirror.ko loaded?)" : "");
	vm->vm_fd = ioctl(dev, KVMM_CREATE_VM, flags);
	if (vm->vm_fd < 0)
		die("KVMM_CREATE_VM(%s) on %s failed: %s",
		    flags ? "KVMM_VM_PINNED" : "0", o->dev, strerror(errno));
	close(dev);
	vm->kvmm = true;
	kvm_ioctl(vm->vm_fd, KVMM_SET_MEMSLOT, &slot, "KVMM_SET_MEMSLOT");
}

static void kvmm_get_stats(const struct vm *vm, struct kvmm_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (vm->kvmm && ioctl(vm->vm_fd, KVMM_GET_STATS, st))
		die("KVMM_GET_STATS failed: %s", strerror(errno));
}

static void kvmm_batch_init(struct kvmm_batch *b, struct vm *vm, bool write,
			    uint32_t seed)
{
	memset(b, 0, sizeof(*b));
	b->vm = vm;
	b->write = write;
	b->seed = seed;
	/* mmap()ed, and unmapped again, so that no Rss reading includes it. */
	b->buf = mmap(NULL, KVMM_RUN_BATCH * PAGE_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (b->buf == MAP_FAILED)
		die("cannot map the vCPU's data buffer: %s", strerror(errno));
}

static void kvmm_batch_fini(struct kvmm_batch *b)
{
	munmap(b->buf, KVMM_RUN_BATCH * PAGE_SIZE);
}

/* Check the words a load run brought back against the pattern. */
static void kvmm_batch_check(struct kvmm_batch *b)
{
	struct vm *vm = b->vm;
	unsigned int i;
	uint32_t off;

	for (i = 0; i < b->n; i++) {
		const struct kvmm_access *a = &b->acc[i];
		const uint32_t *w = (const uint32_t *)(uintptr_t)a->data;

		for (off = 0; off < a->len; off += 4, w++) {
			uint32_t gpa = a->gpa + off;

			if (*w == (gpa ^ b->seed))
				continue;
			if (!vm->mismatches++)
				vm->first_bad = gpa;
		}
	}
}

/* Execute @n accesses as one KVMM_RUN; any failure is fatal. */
static void kvmm_run(struct vm *vm, const struct kvmm_access *acc,
		     unsigned int n)
{
	struct kvmm_run run = {
		.accesses = (uintptr_t)acc,
		.count = n,
		.completed = n,
	};
	int err;

	if (!ioctl(vm->vm_fd, KVMM_RUN, &run))
		return;
	err = errno;
	if (run.completed < n) {
		const struct kvmm_access *a = &acc[run.completed];

		die("KVMM_RUN: %s of %u bytes at gpa 0x%llx failed: %s",
		    a->flags & KVMM_ACCESS_WRITE ? "store" : "load", a->len,
		    (unsigned long long)a->gpa, strerror(err));
	}
	die("KVMM_RUN of %u accesses failed: %s", n, strerror(err));
}

/* Execute the accesses collected so far; check what loads brought back. */
static void kvmm_batch_run(struct kvmm_batch *b)
{
	if (!b->n)
		return;
	kvmm_run(b->vm, b->acc, b->n);
	if (!b->write)
		kvmm_batch_check(b);
	b->n = 0;
	b->used = 0;
}

/* Add an access of @len bytes at @gpa; a store carries the pattern. */
static void kvmm_batch_add(struct kvmm_batch *b, uint64_t gpa, uint32_t len)
{
	struct kvmm_access *a;
	uint32_t off;

	if (b->n == KVMM_RUN_BATCH ||
	    b->used + len > KVMM_RUN_BATCH * PAGE_SIZE)
		kvmm_batch_run(b);
	a = &b->acc[b->n++];
	a->gpa = gpa;
	a->data = (uintptr_t)(b->buf + b->used);
	a->len = len;
	a->flags = b->write ? KVMM_ACCESS_WRITE : 0;
	b->used += len;
	if (b->write)
		for (off = 0; off < len; off += 4)
			((uint32_t *)(uintptr_t)a->data)[off / 4] =
				(uint32_t)(gpa + off) ^ b->seed;
}

/*
 * The vCPU fetches its code from the code page, as the real-KVM guest
 * does at every run, so that both map the same guest pages; a code page
 * that does not read back intact counts as one bad word.
 */
static void kvmm_fetch_code(struct vm *vm, uint8_t *buf)
{
	struct kvmm_access fetch = {
		.gpa = GUEST_CODE_GPA,
		.data = (uintptr_t)buf,
		.len = sizeof(guest_code),
	};

	kvmm_run(vm, &fetch, 1);
	if (memcmp(buf, guest_code, sizeof(guest_code))) {
		note("the guest code page does not read back intact");
		if (!vm->mismatches++)
			vm->first_bad = GUEST_CODE_GPA;
	}
}

/*
 * The vCPU stores (gpa ^ seed) at every @stride bytes of guest memory
 * above the code page, or loads and checks them: the same words the
 * real-KVM guest writes and verifies.  Returns the time taken in ms.
 */
static double kvmm_pass(struct vm *vm, bool write, uint32_t seed,
			unsigned long stride)
{
	double t0 = now_ms();
	struct kvmm_batch b;
	uint64_t gpa;

	kvmm_batch_init(&b, vm, write, seed);
	if (!write) {
		vm->mismatches = 0;
		vm->first_bad = 0;
	}
	kvmm_fetch_code(vm, b.buf);
	for (gpa = GUEST_DATA_GPA; gpa < vm->mem_size;) {
		if (stride == 4) {
			/* Every word: one access per page. */
			uint32_t len = PAGE_SIZE - (gpa & (PAGE_SIZE - 1));

			kvmm_batch_add(&b, gpa, len);
			gpa += len;
		} else {
			kvmm_batch_add(&b, gpa, 4);
			gpa += stride;
		}
	}
	kvmm_batch_run(&b);
	kvmm_batch_fini(&b);
	if (!write) {
		vm->got_mismatches = true;
		vm->got_first_bad = true;
	}
	return now_ms() - t0;
}

/* ------------------------------------------------------------------ */

static void __attribute__((noreturn)) usage(int status)
{
	fprintf(status ? stderr : stdout,
"Usage: %s [options]\n"
"  --mode NAME          realkvm (default): a real guest on /dev/kvm;\n"
"                       mirror: /dev/kvm_mirror, MMU notifier mode;\n"
"                       pinned: /dev/kvm_mirror, KVMM_VM_PINNED;\n"
"                       novm: same as --no-vm\n"
"  --mem MiB            guest memory (default 64, at most %lu)\n"
"  --label NAME         label for the RESULT line (default: seed)\n"
"  --dev PATH           the device (default /dev/kvm, or /dev/kvm_mirror\n"
"                       for mirror and pinned)\n"
"  --seed N             pattern seed (default 0x5eed1234)\n"
"  --stride BYTES       guest writes one word every BYTES (multiple of 4,\n"
"                       at most 4096; default 4 = every word)\n"
"  --pageout-rounds N   madvise(MADV_PAGEOUT) the guest memory N times while\n"
"                       the guest is stopped (default 0)\n"
"  --hog-mib M          fork a child that writes M MiB and exits while the\n"
"                       guest is stopped (default 0: none)\n"
"  --wait               once the guest is stopped, print a STOPPED line and\n"
"                       wait for a line or EOF on stdin, or SIGUSR1\n"
"  --wait-resume        after pressure and its measurement, print a PRESSED\n"
"                       line and wait the same way before resuming\n"
"  --thp                allow transparent huge pages for guest memory\n"
"                       (default: MADV_NOHUGEPAGE, 4 KiB pages)\n"
"  --corrupt            test the check: change one guest word from the host\n"
"                       before resuming (expect data=bad mismatches=1)\n"
"  --no-vm              baseline without a VM: the host CPU writes and checks\n"
"                       the pattern itself (mode novm)\n",
		program_invocation_short_name, MAX_MEM_MIB);
	exit(status);
}

static enum backend parse_backend(const char *s)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(backend_names); i++)
		if (!strcmp(s, backend_names[i]))
			return i;
	die("unknown --mode '%s' (realkvm, mirror, pinned or novm)", s);
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "mem",		required_argument, NULL, 'm' },
		{ "label",		required_argument, NULL, 'l' },
		{ "mode",		required_argument, NULL, 'M' },
		{ "dev",		required_argument, NULL, 'd' },
		{ "seed",		required_argument, NULL, 's' },
		{ "stride",		required_argument, NULL, 'S' },
		{ "pageout-rounds",	required_argument, NULL, 'p' },
		{ "hog-mib",		required_argument, NULL, 'H' },
		{ "wait",		no_argument,	   NULL, 'w' },
		{ "wait-resume",	no_argument,	   NULL, 'W' },
		{ "thp",		no_argument,	   NULL, 't' },
		{ "corrupt",		no_argument,	   NULL, 'c' },
		{ "no-vm",		no_argument,	   NULL, 'n' },
		{ "help",		no_argument,	   NULL, 'h' },
		{ }
	};
	unsigned long v;
	int c;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			o->mem_mib = parse_ulong("--mem", optarg);
			break;
		case 'l':
			o->label = optarg;
			break;
		case 'M':
			o->backend = parse_backend(optarg);
			break;
		case 'd':
			o->dev = optarg;
			break;
		case 's':
			v = parse_ulong("--seed", optarg);
			if (v > UINT32_MAX)
				die("--seed must fit in 32 bits, got '%s'", optarg);
			o->seed = v;
			break;
		case 'S':
			o->stride = parse_ulong("--stride", optarg);
			break;
		case 'p':
			v = parse_ulong("--pageout-rounds", optarg);
			if (v > 1000)
				die("--pageout-rounds %lu is too many", v);
			o->pageout_rounds = v;
			break;
		case 'H':
			o->hog_mib = parse_ulong("--hog-mib", optarg);
			break;
		case 'w':
			o->wait = true;
			break;
		case 'W':
			o->wait_resume = true;
			break;
		case 't':
			o->thp = true;
			break;
		case 'c':
			o->corrupt = true;
			break;
		case 'n':
			o->backend = BE_NOVM;
			break;
		case 'h':
			usage(0);
		default:
			usage(2);
		}
	}
	if (optind < argc)
		die("unexpected argument '%s' (see --help)", argv[optind]);
	if (o->mem_mib < 1 || o->mem_mib > MAX_MEM_MIB)
		die("--mem must be 1..%lu MiB, got %lu", MAX_MEM_MIB, o->mem_mib);
	if (o->stride < 4 || o->stride > PAGE_SIZE || o->stride % 4)
		die("--stride must be a multiple of 4 in 4..%lu, got %lu",
		    PAGE_SIZE, o->stride);
	if (!o->dev)
		o->dev = o->backend == BE_MIRROR || o->backend == BE_PINNED ?
			 "/dev/kvm_mirror" : "/dev/kvm";
	if (strpbrk(o->label, " \t\n="))
		die("--label must not contain blanks or '='");
}

static void take_snap(const struct vm *vm, struct snap *s)
{
	seed_measure(vm->mem, vm->mem_size, &s->s);
	kvmm_get_stats(vm, &s->mmu);
}

/* Step 1: create the VM; the guest touches all its memory and stops. */
static double guest_fill(struct vm *vm, const struct opts *o)
{
	switch (o->backend) {
	case BE_NOVM:
		return host_fill(vm, o->seed, o->stride);
	case BE_MIRROR:
	case BE_PINNED:
		kvmm_vm_create(vm, o);
		return kvmm_pass(vm, true, o->seed, o->stride);
	case BE_REALKVM:
		break;
	}
	vm_create(vm, o);
	vm_set_entry(vm, GUEST_ENTRY_FILL, o->seed, o->stride);
	return vm_run_until_hlt(vm, "fill");
}

/* Step 5: the guest reads every pattern word back. */
static double guest_verify(struct vm *vm, const struct opts *o)
{
	vm->got_mismatches = false;
	vm->got_first_bad = false;
	switch (o->backend) {
	case BE_NOVM:
		return host_verify(vm, o->seed, o->stride);
	case BE_MIRROR:
	case BE_PINNED:
		return kvmm_pass(vm, false, o->seed, o->stride);
	case BE_REALKVM:
		break;
	}
	vm_set_entry(vm, GUEST_ENTRY_VERIFY, o->seed, o->stride);
	return vm_run_until_hlt(vm, "verify");
}

/* Step 3: pressure the host while the guest is stopped. */
static const char *pressure(struct vm *vm, const struct opts *o)
{
	const char *hog = "none";

	if (o->hog_mib) {
		note("memory hog writing %lu MiB", o->hog_mib);
		hog = seed_run_hog(o->hog_mib);
		note("memory hog %s", hog);
	}
	if (o->pageout_rounds) {
		note("MADV_PAGEOUT x %u on guest memory", o->pageout_rounds);
		seed_pageout(vm->mem, vm->mem_size, o->pageout_rounds);
	}
	if (o->hog_mib || o->pageout_rounds)
		note("reclaim settled in %.0f ms", seed_settle(SETTLE_MAX_MS));
	return hog;
}

static void report_mismatches(const struct vm *vm, const struct opts *o)
{
	uint32_t gpa = vm->first_bad;

	if (!vm->got_mismatches) {
		note("the guest halted without reporting on port 0x%x",
		     PORT_MISMATCHES);
		return;
	}
	if (!vm->mismatches)
		return;
	note("%u pattern words wrong, first at gpa 0x%x", vm->mismatches, gpa);
	if (vm->got_first_bad && gpa >= GUEST_DATA_GPA && gpa + 4 <= vm->mem_size)
		note("gpa 0x%x holds 0x%08x, expected 0x%08x", gpa,
		     *(uint32_t *)(vm->mem + gpa), gpa ^ o->seed);
}

static void print_result(const struct vm *vm, const struct opts *o,
			 const char *hog, const struct snap *snaps,
			 const double *ms, bool ok)
{
	const struct seed_snap *b = &snaps[0].s, *p = &snaps[1].s;
	const struct seed_snap *r = &snaps[2].s, *a = &snaps[3].s;

	printf("RESULT label=%s mode=%s mem_mib=%lu stride=%lu thp=%d"
	       " pageout_rounds=%u hog_mib=%lu hog=%s"
	       " rss_before_kb=%ld rss_after_pressure_kb=%ld rss_after_resume_kb=%ld"
	       " proc_rss_before_kb=%ld proc_rss_after_pressure_kb=%ld"
	       " proc_rss_after_resume_kb=%ld"
	       " guest_rss_before_kb=%ld guest_rss_after_pressure_kb=%ld"
	       " guest_rss_after_resume_kb=%ld guest_swap_after_pressure_kb=%ld"
	       " guest_swap_after_resume_kb=%ld"
	       " guest_active_before_kb=%ld guest_active_after_pressure_kb=%ld"
	       " swapouts=%ld swapins=%ld majflt_resume=%ld"
	       " reclaim_resume=%ld",
	       o->label, backend_names[o->backend], o->mem_mib, o->stride,
	       o->thp, o->pageout_rounds, o->hog_mib, hog,
	       b->vm_rss_kb, p->vm_rss_kb, a->vm_rss_kb,
	       b->proc_rss_kb, p->proc_rss_kb, a->proc_rss_kb,
	       b->guest_rss_kb, p->guest_rss_kb, a->guest_rss_kb,
	       p->guest_swap_kb, a->guest_swap_kb,
	       b->guest_active_kb, p->guest_active_kb,
	       p->pswpout - b->pswpout, a->pswpin - r->pswpin,
	       a->majflt - r->majflt, a->pgsteal - r->pgsteal);
	if (vm->kvmm) {
		const struct kvmm_stats *sb = &snaps[0].mmu;
		const struct kvmm_stats *sp = &snaps[1].mmu;
		const struct kvmm_stats *sr = &snaps[2].mmu;
		const struct kvmm_stats *sa = &snaps[3].mmu;

		printf(" mmu_entries_stopped=%llu mmu_entries_after_pressure=%llu"
		       " mmu_zapped=%llu mmu_young_cleared=%llu mmu_pinned=%llu"
		       " mmu_mapped_resume=%llu",
		       (unsigned long long)sb->entries,
		       (unsigned long long)sp->entries,
		       (unsigned long long)(sp->pages_zapped - sb->pages_zapped),
		       (unsigned long long)(sp->young_cleared - sb->young_cleared),
		       (unsigned long long)sp->pages_pinned,
		       (unsigned long long)(sa->pages_mapped - sr->pages_mapped));
	}
	printf(" fill_ms=%.0f pressure_ms=%.0f verify_ms=%.0f"
	       " mismatches=%u data=%s\n",
	       ms[0], ms[1], ms[2],
	       vm->got_mismatches ? vm->mismatches : 0, ok ? "ok" : "bad");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct opts o = {
		.mem_mib = 64,
		.label = "seed",
		.backend = BE_REALKVM,
		.seed = 0x5eed1234,
		.stride = 4,
	};
	/* stopped, after pressure, before resume, after resume */
	struct snap snaps[4];
	struct vm vm = { .kvm_fd = -1, .vm_fd = -1 };
	double ms[3];		/* fill, pressure, verify */
	const char *hog;
	bool ok;
	int sfd;

	parse_opts(argc, argv, &o);
	/* SIGUSR1 is blocked from the start; --wait takes it from sfd. */
	sfd = seed_usr1_fd();

	/* 1. Create the VM; the guest touches all its memory and stops. */
	vm.mem_size = o.mem_mib << 20;
	vm.mem = seed_map_memory(vm.mem_size, o.thp);
	/* The code page is written in every mode: same footprint. */
	memcpy(vm.mem + GUEST_CODE_GPA, guest_code, sizeof(guest_code));
	note("%s: %s, %lu MiB guest, stride %lu, %s pages; %s touching its memory",
	     o.label, backend_names[o.backend], o.mem_mib, o.stride,
	     o.thp ? "THP allowed" : "4 KiB",
	     o.backend == BE_NOVM ? "host (no VM)" : "guest");
	ms[0] = guest_fill(&vm, &o);
	if (vm.got_mismatches)
		die("guest reported on port 0x%x during the fill pass", PORT_MISMATCHES);

	/* 2. The guest is stopped: measure. */
	take_snap(&vm, &snaps[0]);
	note("guest stopped after %.0f ms", ms[0]);
	seed_print_snap("stopped:", &snaps[0].s);
	if (o.wait) {
		printf("STOPPED label=%s pid=%d guest_rss_kb=%ld\n",
		       o.label, (int)getpid(), snaps[0].s.guest_rss_kb);
		fflush(stdout);
		seed_wait_for_go(sfd);
		note("going on");
	}

	/* 3. Pressure, 4. measure after it. */
	ms[1] = now_ms();
	hog = pressure(&vm, &o);
	ms[1] = now_ms() - ms[1];
	take_snap(&vm, &snaps[1]);
	seed_print_snap("after pressure:", &snaps[1].s);
	if (o.wait_resume) {
		printf("PRESSED label=%s pid=%d guest_rss_kb=%ld\n",
		       o.label, (int)getpid(), snaps[1].s.guest_rss_kb);
		fflush(stdout);
		seed_wait_for_go(sfd);
		note("resuming");
	}

	if (o.corrupt) {
		/* Flip a word in the middle of guest memory, as a bad swap would. */
		*(volatile uint32_t *)(vm.mem + vm.mem_size / 2) ^= 0x1;
		note("corrupted the word at gpa 0x%zx", vm.mem_size / 2);
	}

	/* 5. Resume: the guest verifies every pattern word. */
	take_snap(&vm, &snaps[2]);
	ms[2] = guest_verify(&vm, &o);

	/* 6. Measure and report. */
	take_snap(&vm, &snaps[3]);
	seed_print_snap("after resume:", &snaps[3].s);
	ok = vm.got_mismatches && vm.mismatches == 0;
	report_mismatches(&vm, &o);
	print_result(&vm, &o, hog, snaps, ms, ok);
	return ok ? 0 : 1;
}
