// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_world.c - the memory and the files the calls share
 *
 * The arena is FZ_NSLOTS slots of 4 MiB and one big slot of 32 MiB at a
 * fixed address (16 TiB), far below every place the kernel picks for a
 * mapping of its own, so the fuzzer may unmap, remap and replace anything
 * in it at any time without ever hitting its own heap or stacks.  Slots
 * hold anonymous private memory (with and without THP), shared anonymous
 * memory, shared and private mappings of a memfd and of a file on ext4
 * (tmpfs when the guest has no ext4), hugetlb, mappings of a dmirror
 * file, read-only and PROT_NONE memory, and holes.
 *
 * The files live in slots too (enum FS_*): dmirror files (two in pinned
 * mode), /dev/kvm_mirror, VMs with the memslots of the layout in
 * fuzz_desc.c, two odp_demo PDs with their MRs and connected QPs, two
 * mirror_sample files (one with its window over the arena), the edu
 * device where the boot has one (fuzz_dev.c), dmirror, VM and odp_demo
 * files received from children that have exited, and files of no mirror
 * device.  A slot's file is replaced by
 * opening the new one, exchanging the descriptor, bumping the slot's
 * generation and closing the old one, so a caller can tell that the file
 * it used changed under it.  What the chaos threads do with all of it is
 * in fuzz_chaos.c.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "fuzz.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE	0x100000
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ	22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE	23
#endif

#define FZ_CLOSED_FD		1000

static const char *const mk_names[MK_NR] = {
	"anon", "thp", "anon-shared", "memfd-shared", "memfd-private",
	"file-shared", "file-private", "hugetlb", "dmirror", "read-only",
	"prot-none", "hole",
};

/* What the slots hold at the start of a phase. */
static const enum fz_mkind initial_kind[FZ_NSLOTS + 1] = {
	MK_THP, MK_ANON, MK_ANON_SHARED, MK_ANON, MK_MEMFD_SHARED,
	MK_FILE_SHARED, MK_ANON, MK_THP, MK_MEMFD_PRIVATE, MK_FILE_PRIVATE,
	MK_ANON, MK_HUGETLB, MK_DEVICE, MK_RDONLY, MK_NONE, MK_HOLE,
	MK_DEVICE,
};

/* Size of arena slot @s. */
u64 fz_slot_bytes(unsigned int s)
{
	return s == FZ_BIG_SLOT ? FZ_BIG_SIZE : FZ_SLOT_SIZE;
}

int fz_fd_get(struct fz_world *w, int slot, unsigned int *gen)
{
	*gen = atomic_load(&w->fs[slot].gen);
	return atomic_load(&w->fs[slot].fd);
}

/*
 * Put @fd, a file of process @owner, into @slot; the old file is closed
 * after the generation moved.  Readers take the generation, the file,
 * then the owner (set_fd()), so a reader that sees the new file but the
 * old owner also sees the generation change.
 */
void fz_fd_replace(struct fz_world *w, int slot, int fd, pid_t owner)
{
	int old;

	if (!w->in_child)
		pthread_rwlock_rdlock(&w->fd_lock);
	atomic_store(&w->fs[slot].owner, owner);
	old = atomic_exchange(&w->fs[slot].fd, fd);
	atomic_fetch_add(&w->fs[slot].gen, 1);
	if (old >= 0)
		close(old);
	if (!w->in_child)
		pthread_rwlock_unlock(&w->fd_lock);
}

/* ---- memory -------------------------------------------------------------- */

/**
 * fz_map_slot() - map the first @len bytes of arena slot @s as kind @k
 * @w: the world
 * @s: the slot
 * @k: what to map there (MK_HOLE unmaps)
 * @len: bytes, rounded up to 2 MiB for THP and hugetlb
 * @r: random numbers (file offsets, which dmirror file)
 *
 * Return: 0 or -errno.
 */
int fz_map_slot(struct fz_world *w, unsigned int s, enum fz_mkind k,
		u64 len, struct fz_rng *r)
{
	void *base = (void *)(uintptr_t)fz_slot_base(s);
	int prot = PROT_READ | PROT_WRITE, flags = MAP_FIXED, fd = -1;
	unsigned int gen;
	off_t off = 0;
	void *p;

	if (k == MK_HUGETLB && !w->hugetlb)
		k = MK_THP;
	if (k == MK_THP || k == MK_HUGETLB)
		len = (len + FZ_HPAGE - 1) & ~(FZ_HPAGE - 1);
	switch (k) {
	case MK_ANON_SHARED:
		flags |= MAP_SHARED | MAP_ANONYMOUS;
		break;
	case MK_MEMFD_SHARED:
	case MK_MEMFD_PRIVATE:
		fd = w->memfd;
		off = fz_below(r, (FZ_MEMFD_SIZE - len) / FZ_PAGE + 1) * FZ_PAGE;
		flags |= k == MK_MEMFD_SHARED ? MAP_SHARED : MAP_PRIVATE;
		break;
	case MK_FILE_SHARED:
	case MK_FILE_PRIVATE:
		fd = w->filefd;
		if (len > FZ_FILE_SIZE)
			len = FZ_FILE_SIZE;
		off = fz_below(r, (FZ_FILE_SIZE - len) / FZ_PAGE + 1) * FZ_PAGE;
		flags |= k == MK_FILE_SHARED ? MAP_SHARED : MAP_PRIVATE;
		break;
	case MK_HUGETLB:
		flags |= MAP_SHARED | MAP_ANONYMOUS | MAP_HUGETLB;
		break;
	case MK_DEVICE:
		fd = fz_fd_get(w, FS_ND0 + (int)fz_below(r, 4), &gen);
		flags |= MAP_SHARED;
		if (len > 16 * FZ_MIB)
			len = 16 * FZ_MIB;
		break;
	case MK_HOLE:
		return munmap(base, len) ? -errno : 0;
	case MK_RDONLY:
		prot = PROT_READ;
		flags |= MAP_PRIVATE | MAP_ANONYMOUS;
		break;
	case MK_NONE:
		prot = PROT_NONE;
		flags |= MAP_PRIVATE | MAP_ANONYMOUS;
		break;
	default:
		flags |= MAP_PRIVATE | MAP_ANONYMOUS;
		break;
	}
	p = mmap(base, len, prot, flags, fd, off);
	if (p == MAP_FAILED)
		return -errno;
	if (k == MK_THP)
		madvise(p, len, MADV_HUGEPAGE);
	else if (k == MK_ANON)
		madvise(p, len, MADV_NOHUGEPAGE);
	return 0;
}

static int map_initial(struct fz_world *w, struct fz_rng *r)
{
	unsigned int s;
	int ret;

	for (s = 0; s <= FZ_BIG_SLOT; s++) {
		enum fz_mkind k = initial_kind[s];
		u64 len = s == FZ_BIG_SLOT ? 16 * FZ_MIB : FZ_SLOT_SIZE;
		void *base = (void *)(uintptr_t)fz_slot_base(s);

		ret = fz_map_slot(w, s, k, len, r);
		if (ret && k == MK_HUGETLB) {
			k = MK_THP;
			ret = fz_map_slot(w, s, k, len, r);
		}
		if (ret && k != MK_HOLE) {
			fz_out("mapping arena slot %u as %s: %s", s,
			       mk_names[k], strerror(-ret));
			return ret;
		}
		if (k == MK_RDONLY)
			madvise(base, FZ_MIB, MADV_POPULATE_READ);
		else if (k != MK_NONE && k != MK_HOLE && k != MK_DEVICE)
			madvise(base, s < FZ_NMEMSLOTS ? FZ_MIB : FZ_MIB / 4,
				MADV_POPULATE_WRITE);
	}
	return 0;
}

/* The end of the user address space: 2^56 with 5-level paging, else 2^47. */
static u64 find_user_top(void)
{
	void *hi = (void *)(1UL << 47);
	void *p = mmap(hi, FZ_PAGE, PROT_READ,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

	if (p == hi) {
		munmap(p, FZ_PAGE);
		return (1ULL << 56) - FZ_PAGE;
	}
	if (p != MAP_FAILED)
		munmap(p, FZ_PAGE);
	return (1ULL << 47) - FZ_PAGE;
}

/* Is any page of [addr, addr + len) mapped? */
static bool any_mapped(u64 addr, u64 len)
{
	void *want = (void *)(uintptr_t)addr;
	void *p = mmap(want, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
		       MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);

	if (p == MAP_FAILED)
		return true;
	munmap(p, len);
	return p != want;
}

/* ---- files --------------------------------------------------------------- */

static int open_nd(int minor, bool pinned)
{
	char path[32];
	__u32 mode = NDEMO_MODE_PINNED;
	int fd;

	snprintf(path, sizeof(path), "/dev/hmm_dmirror%d", minor);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (pinned)
		ioctl(fd, NDEMO_SET_MODE, &mode);
	return fd;
}

static int open_kdev(void)
{
	int fd = open("/dev/kvm_mirror", O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/**
 * fz_vm_populate() - give a VM the memslots of the layout
 * @w: the world
 * @vmfd: the VM file
 */
void fz_vm_populate(struct fz_world *w, int vmfd)
{
	unsigned int s;

	for (s = 0; s < FZ_NMEMSLOTS; s++) {
		struct kvmm_memslot m = {
			.slot = s,
			.flags = fz_memslot_flags(s),
			.guest_phys_addr = fz_memslot_gpa(s),
			.memory_size = fz_memslot_size(s),
			.userspace_addr = fz_memslot_hva(s),
		};

		ioctl(vmfd, KVMM_SET_MEMSLOT, &m);
	}
}

/* All memslots of the layout present and in place, as populate leaves them. */
static void mslot_reset(struct fz_world *w, int slot)
{
	unsigned int s;

	for (s = 0; s < FZ_NMEMSLOTS; s++)
		atomic_store(&w->mslot[slot][s], MS_PRESENT);
}

/**
 * fz_note_memslot() - remember where a successful SET_MEMSLOT put a slot
 * @w: the world
 * @c: the call; only valid layout memslots are noted
 */
void fz_note_memslot(struct fz_world *w, const struct fz_call *c)
{
	struct kvmm_memslot m;
	u64 base;

	memcpy(&m, c->mem, sizeof(m));
	if (c->argptr != PTR_OK || m.slot >= FZ_NMEMSLOTS)
		return;
	base = fz_memslot_gpa(m.slot);
	if (!m.memory_size)
		atomic_store(&w->mslot[c->fdslot][m.slot], 0);
	else if (m.guest_phys_addr == base)
		atomic_store(&w->mslot[c->fdslot][m.slot], MS_PRESENT);
	else if (m.guest_phys_addr == base + FZ_GPA_MOVED)
		atomic_store(&w->mslot[c->fdslot][m.slot],
			     MS_PRESENT | MS_MOVED);
}

static int create_vm(struct fz_world *w, unsigned long flags)
{
	int kdev = open_kdev(), vm;

	if (kdev < 0)
		return kdev;
	vm = ioctl(kdev, KVMM_CREATE_VM, flags);
	vm = vm < 0 ? -errno : vm;
	close(kdev);
	if (vm >= 0)
		fz_vm_populate(w, vm);
	return vm;
}

/*
 * A child opens a dmirror file and creates a VM, uses both, hands them
 * to the parent and exits: the parent then holds files whose address
 * space is gone.
 */
static void __noreturn donor(struct fz_world *w, struct fz_rng *r)
{
	u64 buf[8];
	struct ndemo_cmd cmd = {
		.addr = fz_slot_base(0), .ptr = (uintptr_t)buf, .npages = 1,
	};
	struct kvmm_access acc = {
		.gpa = fz_memslot_gpa(0), .data = (uintptr_t)buf, .len = 8,
	};
	struct kvmm_run run = { .accesses = (uintptr_t)&acc, .count = 1 };
	union {
		char space[CMSG_SPACE(3 * sizeof(int))];
		struct cmsghdr align;
	} u;
	int fds[3], ids[3] = { -1, -1, -1 }, n = 0;
	struct iovec iov = { .iov_base = ids, .iov_len = sizeof(ids) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.space, .msg_controllen = sizeof(u.space),
	};
	struct cmsghdr *cm;

	fds[0] = open_nd((int)fz_below(r, 2), fz_pct(r, 40));
	if (fds[0] >= 0) {
		ioctl(fds[0], NDEMO_SNAPSHOT, &cmd);
		ids[n++] = FT_ND;
	}
	fds[n] = create_vm(w, fz_below(r, 2));
	if (fds[n] >= 0) {
		ioctl(fds[n], KVMM_RUN, &run);
		ids[n++] = FT_VM;
	}
	fds[n] = fz_open_odp(w, -1);
	if (fds[n] >= 0)
		ids[n++] = FT_ODP;
	if (!n) {
		msg.msg_control = NULL;
		msg.msg_controllen = 0;
	} else {
		memset(&u, 0, sizeof(u));
		msg.msg_controllen = CMSG_SPACE(n * sizeof(int));
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(n * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, n * sizeof(int));
	}
	sendmsg(w->sock[1], &msg, MSG_DONTWAIT);
	_exit(0);
}

/* Wait up to @secs for @pid; 0 and *status when reaped, -1 on timeout. */
int fz_wait_child(pid_t pid, int *status, double secs)
{
	struct timespec ts = { 0, 2 * 1000 * 1000 };
	int i, n = (int)(secs * 500);

	for (i = 0; i <= n; i++) {
		pid_t p = waitpid(pid, status, WNOHANG);

		if (p == pid || (p < 0 && errno != EINTR))
			return 0;
		nanosleep(&ts, NULL);
	}
	return -1;
}

static void take_donation(struct fz_world *w, struct fz_rng *r, int which)
{
	union {
		char space[CMSG_SPACE(3 * sizeof(int))];
		struct cmsghdr align;
	} u;
	int ids[4] = { -1, -1, -1, 0 }, fds[3], n, i;
	struct iovec iov = { .iov_base = ids, .iov_len = sizeof(ids) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.space, .msg_controllen = sizeof(u.space),
	};
	struct pollfd pfd = { .fd = w->sock[0], .events = POLLIN };
	struct cmsghdr *cm;

	if (poll(&pfd, 1, 5000) != 1 ||
	    recvmsg(w->sock[0], &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) <= 0)
		return;
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
		return;
	n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
	if (n > 3)
		n = 3;
	memcpy(fds, CMSG_DATA(cm), n * sizeof(int));
	for (i = 0; i < n; i++) {
		int slot = ids[i] == FT_ND ? FS_ND_FOREIGN0 : FS_VM_FOREIGN0;

		if (ids[i] == FT_ODP) {
			fz_fd_replace(w, FS_ODP_FOREIGN, fds[i], ids[3]);
			continue;
		}
		fz_fd_replace(w, slot + (which >= 0 ? which :
					     (int)fz_below(r, 2)), fds[i], ids[3]);
	}
}

/*
 * One donation into foreign slot @which (-1: either); -1 if the donor
 * did not exit.
 */
int fz_donate(struct fz_world *w, struct fz_rng *r, int which)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return 0;
	if (pid == 0)
		donor(w, r);
	take_donation(w, r, which);
	return fz_wait_child(pid, &status, 30);
}

/**
 * fz_reopen() - replace the file of @slot by a new one of its kind
 * @w: the world
 * @slot: FS_ND*, FS_KDEV, FS_VM*, or a foreign slot (a new donation)
 * @r: random numbers
 *
 * Return: 0, or -1 if a donor child did not exit.
 */
int fz_reopen(struct fz_world *w, int slot, struct fz_rng *r)
{
	int fd;

	switch (slot) {
	case FS_ND0: case FS_ND1: case FS_ND2: case FS_ND3:
		fd = open_nd((slot - FS_ND0) / 2, slot == FS_ND1 ||
			     slot == FS_ND3);
		break;
	case FS_KDEV:
		fd = open_kdev();
		break;
	case FS_VM0: case FS_VM1: case FS_VM2:
		fd = create_vm(w, slot == FS_VM1 ? KVMM_VM_PINNED :
			       slot == FS_VM2 ? fz_below(r, 2) : 0);
		break;
	case FS_ODP0: case FS_ODP1: case FS_SAMPLE0: case FS_SAMPLE1:
	case FS_EDU0:
		fz_dev_reopen(w, slot);
		return 0;
	default:
		return fz_donate(w, r, -1);
	}
	if (fd >= 0) {
		if (slot >= FS_VM0 && slot <= FS_VM2)
			mslot_reset(w, slot);
		fz_fd_replace(w, slot, fd, w->pid);
	}
	return 0;
}

/**
 * fz_adopt_vm() - a VM a call created: keep it as vm2 or close it
 * @w: the world
 * @fd: the new VM file
 * @r: random numbers
 */
void fz_adopt_vm(struct fz_world *w, int fd, struct fz_rng *r)
{
	if (fz_pct(r, 30)) {
		fz_vm_populate(w, fd);
		mslot_reset(w, FS_VM2);
		fz_fd_replace(w, FS_VM2, fd, w->pid);
	} else {
		close(fd);
	}
}

static void set_slot(struct fz_world *w, int slot, enum fz_ftype t,
		     unsigned int flags, int fd)
{
	w->fs[slot].type = t;
	w->fs[slot].flags = flags;
	atomic_store(&w->fs[slot].owner, w->pid);
	atomic_store(&w->fs[slot].fd, fd);
	atomic_store(&w->fs[slot].gen, 0);
}

static int open_files(struct fz_world *w, struct fz_rng *r)
{
	int i, fd, p[2];

	for (i = 0; i < 4; i++) {
		fd = open_nd(i / 2, i & 1);
		if (fd < 0) {
			fz_out("cannot open /dev/hmm_dmirror%d: %s (is notifier_demo.ko loaded?)",
			       i / 2, strerror(-fd));
			return fd;
		}
		set_slot(w, FS_ND0 + i, FT_ND, (i & 1) ? FZ_FS_PINNED : 0, fd);
	}
	fd = open_kdev();
	if (fd < 0) {
		fz_out("cannot open /dev/kvm_mirror: %s (is kvm_mirror.ko loaded?)",
		       strerror(-fd));
		return fd;
	}
	set_slot(w, FS_KDEV, FT_KDEV, 0, fd);
	for (i = 0; i < 3; i++) {
		fd = create_vm(w, i == 1 ? KVMM_VM_PINNED : 0);
		if (fd < 0) {
			fz_out("KVMM_CREATE_VM: %s", strerror(-fd));
			return fd;
		}
		set_slot(w, FS_VM0 + i, FT_VM, i == 1 ? FZ_FS_PINNED : 0, fd);
		mslot_reset(w, FS_VM0 + i);
	}
	w->avail = (1U << FT_ND) | (1U << FT_KDEV) | (1U << FT_VM) |
		   (1U << FT_WRONG);
	for (i = 0; i < 2; i++) {
		fd = fz_open_odp(w, i);
		if (fd < 0) {
			fz_out("cannot open /dev/odp_demo: %s (is odp_demo.ko loaded?)",
			       strerror(-fd));
			return fd;
		}
		set_slot(w, FS_ODP0 + i, FT_ODP, 0, fd);
		fd = fz_open_sample(w, i == 0);
		if (fd < 0) {
			fz_out("cannot open /dev/mirror_sample: %s (is mirror_sample.ko loaded?)",
			       strerror(-fd));
			return fd;
		}
		set_slot(w, FS_SAMPLE0 + i, FT_SAMPLE, i ? 0 : FZ_FS_SETUP, fd);
	}
	w->avail |= (1U << FT_ODP) | (1U << FT_SAMPLE);
	fd = fz_open_edu();
	set_slot(w, FS_EDU0, FT_EDU, 0, fd < 0 ? -1 : fd);
	if (fd >= 0)
		w->avail |= 1U << FT_EDU;
	for (i = 0; i < 2; i++) {
		set_slot(w, FS_ND_FOREIGN0 + i, FT_ND, FZ_FS_FOREIGN, -1);
		set_slot(w, FS_VM_FOREIGN0 + i, FT_VM, FZ_FS_FOREIGN, -1);
	}
	set_slot(w, FS_ODP_FOREIGN, FT_ODP, FZ_FS_FOREIGN, -1);
	if (pipe2(p, O_NONBLOCK | O_CLOEXEC))
		return -errno;
	set_slot(w, FS_PIPE_R, FT_WRONG, 0, p[0]);
	set_slot(w, FS_PIPE_W, FT_WRONG, 0, p[1]);
	set_slot(w, FS_EVENTFD, FT_WRONG, 0,
		 eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
	set_slot(w, FS_NULL, FT_WRONG, 0, open("/dev/null", O_RDWR | O_CLOEXEC));
	if (fcntl(FZ_CLOSED_FD, F_GETFD) != -1)
		return -EBADFD;
	set_slot(w, FS_CLOSED, FT_WRONG, 0, FZ_CLOSED_FD);
	set_slot(w, FS_MINUS1, FT_WRONG, 0, -1);

	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, w->sock))
		return -errno;
	/* Every foreign slot gets a file whose owner has exited. */
	for (i = 0; i < 2; i++) {
		if (fz_donate(w, r, i))
			return -ETIMEDOUT;
	}
	for (i = 0; i < 2; i++) {
		if (atomic_load(&w->fs[FS_ND_FOREIGN0 + i].fd) < 0)
			fz_fd_replace(w, FS_ND_FOREIGN0 + i, open_nd(i, false),
				   w->pid);
		if (atomic_load(&w->fs[FS_VM_FOREIGN0 + i].fd) < 0) {
			fz_out("no child handed over a VM file");
			return -ENODEV;
		}
	}
	if (atomic_load(&w->fs[FS_ODP_FOREIGN].fd) < 0) {
		fz_out("no child handed over an odp_demo file");
		return -ENODEV;
	}
	return 0;
}

static int open_backing(struct fz_world *w)
{
	static const char *const dirs[] = { "/mnt/ext4", "/tmp" };
	char path[64];
	unsigned int i;

	w->memfd = memfd_create("mirror-fuzz", MFD_CLOEXEC);
	if (w->memfd < 0 || ftruncate(w->memfd, FZ_MEMFD_SIZE))
		return -errno;
	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		snprintf(path, sizeof(path), "%s/mirror-fuzz.%d", dirs[i],
			 getpid());
		w->filefd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
				 0600);
		if (w->filefd < 0)
			continue;
		unlink(path);
		w->file_is_ext4 = i == 0;
		return ftruncate(w->filefd, FZ_FILE_SIZE) ? -errno : 0;
	}
	return -errno;
}

/**
 * fz_world_init() - the arena, the backing files and the file slots
 * @w: the world to set up
 * @sh: the phase's shared state
 * @seed: the phase seed
 * @phase: the phase number
 *
 * Context: the worker process, before its threads start.
 * Return: 0 or a negative errno (with a message).
 */
int fz_world_init(struct fz_world *w, struct fz_shared *sh, u64 seed,
		  unsigned int phase)
{
	struct fz_rng r = { fz_mix(seed ^ 0x5eedULL ^ phase) };
	void *h;
	int ret;

	w->sh = sh;
	w->seed = seed;
	w->phase = phase;
	w->pid = getpid();
	pthread_rwlock_init(&w->fd_lock, NULL);
	w->user_top = find_user_top();
	fz_user_top = w->user_top;
	/* Boundary addresses the generator uses must be unreachable. */
	if (any_mapped(w->user_top - 17 * FZ_PAGE, 17 * FZ_PAGE) ||
	    any_mapped(FZ_ARENA_BASE - 16 * FZ_MIB, FZ_ARENA_SIZE + 32 * FZ_MIB)) {
		fz_out("the top of the user address space or the arena is mapped");
		return -EEXIST;
	}
	h = mmap((void *)(uintptr_t)fz_slot_base(11), FZ_HPAGE,
		 PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS | MAP_HUGETLB | MAP_FIXED_NOREPLACE,
		 -1, 0);
	w->hugetlb = h != MAP_FAILED;
	if (w->hugetlb)
		munmap(h, FZ_HPAGE);
	ret = open_backing(w);
	if (ret) {
		fz_out("memfd or backing file: %s", strerror(-ret));
		return ret;
	}
	ret = open_files(w, &r);
	if (ret)
		return ret;
	ret = map_initial(w, &r);
	if (ret)
		return ret;
	fz_odp_populate(w, 0, atomic_load(&w->fs[FS_ODP0].fd));
	fz_odp_populate(w, 1, atomic_load(&w->fs[FS_ODP1].fd));
	return 0;
}

/**
 * fz_world_fini() - close every file and unmap the arena
 * @w: the world
 */
void fz_world_fini(struct fz_world *w)
{
	int i;

	for (i = 0; i < FS_NR; i++) {
		int fd = atomic_exchange(&w->fs[i].fd, -1);

		if (fd >= 0 && i != FS_CLOSED)
			close(fd);
	}
	close(w->memfd);
	close(w->filefd);
	close(w->sock[0]);
	close(w->sock[1]);
	munmap((void *)FZ_ARENA_BASE, FZ_ARENA_SIZE);
}

/**
 * fz_thread_init() - a thread's ring and guarded buffers
 * @t: the thread
 * @w: the world
 * @id: its ring index
 * @who: its name in the logs
 *
 * Return: 0 or -errno.
 */
int fz_thread_init(struct fz_thread *t, struct fz_world *w, int id,
		   const char *who)
{
	size_t g = FZ_PAGE;
	size_t total = FZ_DATA_SIZE + g + FZ_ARR_SIZE + g + 2 * (FZ_PAGE + g);
	unsigned char *p;

	memset(t, 0, sizeof(*t));
	t->w = w;
	t->id = id;
	t->ring = &w->sh->ring[id];
	t->tid = (pid_t)syscall(SYS_gettid);
	snprintf(t->ring->who, sizeof(t->ring->who), "%s", who);
	memset(t->ring->rec, 0, sizeof(t->ring->rec));
	atomic_store(&t->ring->pid, getpid());
	p = mmap(NULL, total, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	t->b.data = p;
	p += FZ_DATA_SIZE;
	mprotect(p, g, PROT_NONE);
	t->b.arr = p + g;
	p += g + FZ_ARR_SIZE;
	mprotect(p, g, PROT_NONE);
	t->b.arg = p + g;
	p += g + FZ_PAGE;
	mprotect(p, g, PROT_NONE);
	t->b.ro = p + g;
	mprotect(t->b.ro, FZ_PAGE + g, PROT_NONE);
	mprotect(t->b.ro, FZ_PAGE, PROT_READ);
	return 0;
}
