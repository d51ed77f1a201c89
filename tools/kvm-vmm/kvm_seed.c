// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_seed - the 2008 "KVM host swapping with MMU notifiers" experiment,
 * run by a minimal VMM on /dev/kvm (or any device with the same API).
 *
 * Steps, all in one process, in this order:
 *
 *   1. create a VM with one vCPU and --mem MiB of anonymous guest memory;
 *      the guest (32-bit protected mode, flat segments, no paging) writes
 *      (gpa ^ seed) to every --stride bytes of its memory above the code
 *      page, then executes HLT: the guest is "stopped";
 *   2. measure: the process's VmRSS and the Rss/Swap of the guest memory
 *      VMA (from /proc/self/smaps); with --wait, print a STOPPED line and
 *      wait for a line on stdin, EOF on stdin, or SIGUSR1, so that a driver
 *      can apply pressure of its own while the guest sits stopped;
 *   3. pressure: --hog-mib M forks a child that writes M MiB of its own
 *      anonymous memory and exits; then --pageout-rounds N calls
 *      madvise(MADV_PAGEOUT) N times on the guest memory (on 6.1 the first
 *      call mostly clears accessed bits, KVM's included, so use 2);
 *   4. measure again;
 *   5. resume: the guest re-reads every pattern word, OUTs the address of
 *      the first bad word to port 0x11 and the count of bad words to port
 *      0x10, and halts again;
 *   6. measure, and print one line:
 *
 *   RESULT label=L mode=M mem_mib=64 ... swapouts=N swapins=N ... data=ok
 *
 * With --no-vm there is no VM: the host CPU writes and checks the same
 * pattern in the same kind of mapping, a baseline for memory that no
 * secondary MMU maps.
 *
 * Field units: *_kb in KiB (rss_* is VmRSS, which on 6.1 lags by up to a
 * few hundred KiB because of per-task counter caching; guest_rss_* comes
 * from a page table walk and is exact); swapouts/swapins are pswpout/pswpin deltas
 * from /proc/vmstat (pages, system wide: swapouts from the stop to the end
 * of pressure, swapins across the resume); majflt_resume is this process's
 * major fault count across the resume.
 *
 * Exit status: 0 if the data check passed, 1 if it failed, 2 if the
 * experiment could not be run.
 *
 * Build: gcc -O2 -Wall -Wextra -static -o kvm_seed kvm_seed.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <linux/kvm.h>

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

#define PAGE_SIZE		4096UL
#define KVM_API_EXPECTED	12

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

struct opts {
	unsigned long mem_mib;
	const char *label;
	const char *mode;
	const char *dev;
	uint32_t seed;
	unsigned long stride;
	unsigned int pageout_rounds;
	unsigned long hog_mib;
	bool wait;
	bool thp;
	bool corrupt;
	bool novm;
};

struct vm {
	int kvm_fd;
	int vm_fd;
	int vcpu_fd;
	struct kvm_run *run;
	size_t run_size;
	uint8_t *mem;
	size_t mem_size;
	/* Filled in by the last guest run. */
	bool got_mismatches, got_first_bad;
	uint32_t mismatches, first_bad;
};

struct snap {
	long vm_rss_kb;		/* VmRSS of the process */
	long guest_rss_kb;	/* Rss of the guest memory VMA */
	long guest_swap_kb;	/* Swap of the guest memory VMA */
	long pswpin, pswpout;	/* /proc/vmstat */
	long majflt;		/* getrusage(RUSAGE_SELF) */
};

static const char *prog = "kvm_seed";

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: error: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* ------------------------------------------------------------------ */
/* Measurements                                                       */

static long status_kb(const char *key)
{
	char line[256];
	size_t klen = strlen(key);
	long val = -1;
	FILE *f;

	f = fopen("/proc/self/status", "r");
	if (!f)
		die("cannot open /proc/self/status: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			val = strtol(line + klen + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return val;
}

static long vmstat(const char *key)
{
	char name[64];
	long val;
	FILE *f;

	f = fopen("/proc/vmstat", "r");
	if (!f)
		die("cannot open /proc/vmstat: %s", strerror(errno));
	while (fscanf(f, "%63s %ld", name, &val) == 2) {
		if (!strcmp(name, key)) {
			fclose(f);
			return val;
		}
	}
	fclose(f);
	return -1;
}

/*
 * Sum the Rss and Swap of every VMA inside [start, start + len).  The
 * guest memory sits between PROT_NONE guards, so it is one VMA, but
 * summing keeps the numbers right should the kernel ever split it.
 */
static void smaps_range(const void *start, size_t len, long *rss_kb,
			long *swap_kb)
{
	unsigned long lo = (unsigned long)start, hi = lo + len;
	unsigned long vs, ve;
	bool inside = false;
	char line[512], perms[8];
	long v;
	FILE *f;

	*rss_kb = 0;
	*swap_kb = 0;
	f = fopen("/proc/self/smaps", "r");
	if (!f)
		die("cannot open /proc/self/smaps: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		/* A VMA header: "start-end perms offset dev inode [name]". */
		if (sscanf(line, "%lx-%lx %7s", &vs, &ve, perms) == 3) {
			inside = vs >= lo && ve <= hi;
			continue;
		}
		if (!inside)
			continue;
		if (sscanf(line, "Rss: %ld kB", &v) == 1)
			*rss_kb += v;
		else if (sscanf(line, "Swap: %ld kB", &v) == 1)
			*swap_kb += v;
	}
	fclose(f);
}

static void take_snap(const struct vm *vm, struct snap *s)
{
	struct rusage ru;

	s->vm_rss_kb = status_kb("VmRSS");
	smaps_range(vm->mem, vm->mem_size, &s->guest_rss_kb, &s->guest_swap_kb);
	s->pswpin = vmstat("pswpin");
	s->pswpout = vmstat("pswpout");
	getrusage(RUSAGE_SELF, &ru);
	s->majflt = ru.ru_majflt;
}

static void print_snap(const char *when, const struct snap *s)
{
	note("%-14s VmRSS %7ld kB, guest memory Rss %7ld kB Swap %7ld kB",
	     when, s->vm_rss_kb, s->guest_rss_kb, s->guest_swap_kb);
}

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

static void *map_guest_memory(size_t size, bool thp)
{
	size_t guard = thp ? 2UL << 20 : PAGE_SIZE;
	uint8_t *res, *mem;

	/*
	 * Reserve the region plus a guard on both sides, PROT_NONE, then map
	 * the guest memory in the middle: the guards keep the guest VMA from
	 * merging with neighbours, so smaps shows exactly the guest memory.
	 * With THP the start is also aligned to 2 MiB.
	 */
	res = mmap(NULL, size + 3 * guard, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (res == MAP_FAILED)
		die("cannot reserve %zu MiB of address space: %s",
		    size >> 20, strerror(errno));
	mem = (uint8_t *)(((uintptr_t)res + 2 * guard - 1) & ~(guard - 1));
	if (mmap(mem, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED,
		 -1, 0) == MAP_FAILED)
		die("cannot map %zu MiB of guest memory: %s",
		    size >> 20, strerror(errno));
	if (madvise(mem, size, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE) &&
	    !(thp && errno == EINVAL))
		die("madvise(%s) on guest memory failed: %s",
		    thp ? "MADV_HUGEPAGE" : "MADV_NOHUGEPAGE", strerror(errno));
	return mem;
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
			prog, what, run->exit_reason, exit_name(run->exit_reason),
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
/* Pressure                                                           */

/* Fork a child that writes hog_mib MiB and exits; report how it ended. */
static const char *run_hog(unsigned long hog_mib)
{
	size_t size = hog_mib << 20, off;
	int status, fd;
	uint8_t *p;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		die("cannot fork the memory hog: %s", strerror(errno));
	if (pid == 0) {
		/* Let the OOM killer pick the hog, not the VMM. */
		fd = open("/proc/self/oom_score_adj", O_WRONLY);
		if (fd >= 0) {
			if (write(fd, "1000", 4) != 4)
				note("hog: cannot set oom_score_adj: %s", strerror(errno));
			close(fd);
		}
		p = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED) {
			note("hog: cannot map %lu MiB: %s", hog_mib, strerror(errno));
			_exit(3);
		}
		madvise(p, size, MADV_NOHUGEPAGE);
		for (off = 0; off < size; off += PAGE_SIZE)
			*(volatile uint64_t *)(p + off) = off | 1;
		_exit(0);
	}
	if (waitpid(pid, &status, 0) < 0)
		die("waiting for the memory hog: %s", strerror(errno));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return "done";
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		return "killed";
	if (WIFSIGNALED(status))
		return "signalled";
	return "failed";
}

static void pageout(struct vm *vm, unsigned int rounds)
{
	unsigned int i;

	for (i = 0; i < rounds; i++)
		if (madvise(vm->mem, vm->mem_size, MADV_PAGEOUT))
			die("madvise(MADV_PAGEOUT) round %u failed: %s%s", i + 1,
			    strerror(errno),
			    errno == EINVAL ? " (kernel older than 5.4?)" : "");
}

/*
 * Wait for a line or EOF on stdin, or for SIGUSR1 (blocked since start,
 * so one sent early is not lost).
 */
static void wait_for_go(int sfd)
{
	struct pollfd pfd[2] = {
		{ .fd = STDIN_FILENO, .events = POLLIN },
		{ .fd = sfd, .events = POLLIN },
	};
	struct signalfd_siginfo si;
	char c;

	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll while waiting to go on: %s", strerror(errno));
		}
		if (pfd[1].revents & POLLIN) {
			if (read(sfd, &si, sizeof(si)) != sizeof(si))
				die("reading the signalfd: %s", strerror(errno));
			return;
		}
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			/* Consume one line (or hit EOF / an error). */
			while (read(STDIN_FILENO, &c, 1) == 1)
				if (c == '\n')
					return;
			return;
		}
	}
}

/* ------------------------------------------------------------------ */

static void __attribute__((noreturn)) usage(int status)
{
	fprintf(status ? stderr : stdout,
"Usage: %s [options]\n"
"  --mem MiB            guest memory (default 64, at most %lu)\n"
"  --label NAME         label for the RESULT line (default: seed)\n"
"  --mode NAME          mode field of the RESULT line (default: realkvm)\n"
"  --dev PATH           KVM device (default /dev/kvm)\n"
"  --seed N             pattern seed (default 0x5eed1234)\n"
"  --stride BYTES       guest writes one word every BYTES (multiple of 4,\n"
"                       at most 4096; default 4 = every word)\n"
"  --pageout-rounds N   madvise(MADV_PAGEOUT) the guest memory N times while\n"
"                       the guest is stopped (default 0)\n"
"  --hog-mib M          fork a child that writes M MiB and exits while the\n"
"                       guest is stopped (default 0: none)\n"
"  --wait               once the guest is stopped, print a STOPPED line and\n"
"                       wait for a line or EOF on stdin, or SIGUSR1\n"
"  --thp                allow transparent huge pages for guest memory\n"
"                       (default: MADV_NOHUGEPAGE, 4 KiB pages)\n"
"  --corrupt            test the check: change one guest word from the host\n"
"                       before resuming (expect data=bad mismatches=1)\n"
"  --no-vm              baseline without KVM: the host CPU writes and checks\n"
"                       the pattern itself (mode defaults to novm)\n",
		prog, MAX_MEM_MIB);
	exit(status);
}

static unsigned long parse_ulong(const char *opt, const char *s)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end || *s == '-')
		die("%s wants a non-negative number, got '%s'", opt, s);
	return v;
}

int main(int argc, char **argv)
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
		{ "thp",		no_argument,	   NULL, 't' },
		{ "corrupt",		no_argument,	   NULL, 'c' },
		{ "no-vm",		no_argument,	   NULL, 'n' },
		{ "help",		no_argument,	   NULL, 'h' },
		{ }
	};
	struct opts o = {
		.mem_mib = 64,
		.label = "seed",
		.dev = "/dev/kvm",
		.seed = 0x5eed1234,
		.stride = 4,
	};
	struct snap before, after_pressure, before_resume, after_resume;
	const char *hog = "none";
	double fill_ms, verify_ms, pressure_ms;
	struct vm vm = { .kvm_fd = -1 };
	sigset_t usr1;
	unsigned long v;
	bool ok;
	int c, sfd;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			o.mem_mib = parse_ulong("--mem", optarg);
			break;
		case 'l':
			o.label = optarg;
			break;
		case 'M':
			o.mode = optarg;
			break;
		case 'd':
			o.dev = optarg;
			break;
		case 's':
			v = parse_ulong("--seed", optarg);
			if (v > UINT32_MAX)
				die("--seed must fit in 32 bits, got '%s'", optarg);
			o.seed = v;
			break;
		case 'S':
			o.stride = parse_ulong("--stride", optarg);
			break;
		case 'p':
			v = parse_ulong("--pageout-rounds", optarg);
			if (v > 1000)
				die("--pageout-rounds %lu is too many", v);
			o.pageout_rounds = v;
			break;
		case 'H':
			o.hog_mib = parse_ulong("--hog-mib", optarg);
			break;
		case 'w':
			o.wait = true;
			break;
		case 't':
			o.thp = true;
			break;
		case 'c':
			o.corrupt = true;
			break;
		case 'n':
			o.novm = true;
			break;
		case 'h':
			usage(0);
		default:
			usage(2);
		}
	}
	if (optind < argc)
		die("unexpected argument '%s' (see --help)", argv[optind]);
	if (o.mem_mib < 1 || o.mem_mib > MAX_MEM_MIB)
		die("--mem must be 1..%lu MiB, got %lu", MAX_MEM_MIB, o.mem_mib);
	if (o.stride < 4 || o.stride > PAGE_SIZE || o.stride % 4)
		die("--stride must be a multiple of 4 in 4..%lu, got %lu",
		    PAGE_SIZE, o.stride);
	if (!o.mode)
		o.mode = o.novm ? "novm" : "realkvm";
	if (strpbrk(o.label, " \t\n=") || strpbrk(o.mode, " \t\n="))
		die("--label and --mode must not contain blanks or '='");

	/* Block SIGUSR1 from the start; --wait takes it through a signalfd. */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &usr1, NULL))
		die("cannot block SIGUSR1: %s", strerror(errno));
	sfd = signalfd(-1, &usr1, SFD_CLOEXEC);
	if (sfd < 0)
		die("cannot create a signalfd: %s", strerror(errno));

	/* 1. Create the VM; the guest touches all its memory and halts. */
	vm.mem_size = o.mem_mib << 20;
	vm.mem = map_guest_memory(vm.mem_size, o.thp);
	/* The code page is written in --no-vm mode too: same footprint. */
	memcpy(vm.mem + GUEST_CODE_GPA, guest_code, sizeof(guest_code));
	note("%s: %lu MiB guest, stride %lu, %s pages; %s touching its memory",
	     o.label, o.mem_mib, o.stride, o.thp ? "THP allowed" : "4 KiB",
	     o.novm ? "host (no VM)" : "guest");
	if (o.novm) {
		fill_ms = host_fill(&vm, o.seed, o.stride);
	} else {
		vm_create(&vm, &o);
		vm_set_entry(&vm, GUEST_ENTRY_FILL, o.seed, o.stride);
		fill_ms = vm_run_until_hlt(&vm, "fill");
	}
	if (vm.got_mismatches)
		die("guest reported on port 0x%x during the fill pass", PORT_MISMATCHES);

	/* 2. The guest is stopped: measure. */
	take_snap(&vm, &before);
	note("guest stopped after %.0f ms", fill_ms);
	print_snap("stopped:", &before);
	if (o.wait) {
		printf("STOPPED label=%s pid=%d guest_rss_kb=%ld\n",
		       o.label, (int)getpid(), before.guest_rss_kb);
		fflush(stdout);
		wait_for_go(sfd);
		note("going on");
	}

	/* 3. Pressure. */
	pressure_ms = now_ms();
	if (o.hog_mib) {
		note("memory hog writing %lu MiB", o.hog_mib);
		hog = run_hog(o.hog_mib);
		note("memory hog %s", hog);
	}
	if (o.pageout_rounds) {
		note("MADV_PAGEOUT x %u on guest memory", o.pageout_rounds);
		pageout(&vm, o.pageout_rounds);
	}
	pressure_ms = now_ms() - pressure_ms;

	/* 4. Measure after pressure. */
	take_snap(&vm, &after_pressure);
	print_snap("after pressure:", &after_pressure);

	if (o.corrupt) {
		/* Flip a word in the middle of guest memory, as a bad swap would. */
		*(volatile uint32_t *)(vm.mem + vm.mem_size / 2) ^= 0x1;
		note("corrupted the word at gpa 0x%zx", vm.mem_size / 2);
	}

	/* 5. Resume: the guest verifies every pattern word. */
	take_snap(&vm, &before_resume);
	vm.got_mismatches = vm.got_first_bad = false;
	if (o.novm) {
		verify_ms = host_verify(&vm, o.seed, o.stride);
	} else {
		vm_set_entry(&vm, GUEST_ENTRY_VERIFY, o.seed, o.stride);
		verify_ms = vm_run_until_hlt(&vm, "verify");
	}

	/* 6. Measure and report. */
	take_snap(&vm, &after_resume);
	print_snap("after resume:", &after_resume);
	ok = vm.got_mismatches && vm.mismatches == 0;
	if (!vm.got_mismatches)
		note("the guest halted without reporting on port 0x%x", PORT_MISMATCHES);
	else if (vm.mismatches) {
		uint32_t gpa = vm.first_bad;

		note("%u pattern words wrong, first at gpa 0x%x", vm.mismatches, gpa);
		if (vm.got_first_bad && gpa >= GUEST_DATA_GPA && gpa + 4 <= vm.mem_size)
			note("gpa 0x%x holds 0x%08x, expected 0x%08x", gpa,
			     *(uint32_t *)(vm.mem + gpa), gpa ^ o.seed);
	}

	printf("RESULT label=%s mode=%s mem_mib=%lu stride=%lu thp=%d"
	       " pageout_rounds=%u hog_mib=%lu hog=%s"
	       " rss_before_kb=%ld rss_after_pressure_kb=%ld rss_after_resume_kb=%ld"
	       " guest_rss_before_kb=%ld guest_rss_after_pressure_kb=%ld"
	       " guest_rss_after_resume_kb=%ld guest_swap_after_pressure_kb=%ld"
	       " swapouts=%ld swapins=%ld majflt_resume=%ld"
	       " fill_ms=%.0f pressure_ms=%.0f verify_ms=%.0f"
	       " mismatches=%u data=%s\n",
	       o.label, o.mode, o.mem_mib, o.stride, o.thp, o.pageout_rounds,
	       o.hog_mib, hog,
	       before.vm_rss_kb, after_pressure.vm_rss_kb, after_resume.vm_rss_kb,
	       before.guest_rss_kb, after_pressure.guest_rss_kb,
	       after_resume.guest_rss_kb, after_pressure.guest_swap_kb,
	       after_pressure.pswpout - before.pswpout,
	       after_resume.pswpin - before_resume.pswpin,
	       after_resume.majflt - before_resume.majflt,
	       fill_ms, pressure_ms, verify_ms,
	       vm.got_mismatches ? vm.mismatches : 0, ok ? "ok" : "bad");
	fflush(stdout);
	return ok ? 0 : 1;
}
