// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_chaos.c - what chaos threads do to the memory and files in use
 *
 * While the callers run, chaos threads (and forked children, with the
 * memory operations only) act on the same arena and file slots: munmap,
 * mmap of another kind, mprotect, madvise (DONTNEED, PAGEOUT, COLD,
 * FREE, COLLAPSE, REMOVE, WIPEONFORK, ...), populating, mremap, mlock,
 * truncating and punching the backing files, fork with children that
 * make calls and exit or get killed in the middle, children that hand
 * over their files and exit, close and reopen, signals to the callers,
 * reads of the helper's debugfs files while mirrors come and go, and
 * compaction.  Every operation is logged in the thread's ring like a
 * call, and is chosen from its own seed.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "fuzz.h"

#ifndef MADV_COLD
#define MADV_COLD		20
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT		21
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ	22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE	23
#endif
#ifndef MADV_DONTNEED_LOCKED
#define MADV_DONTNEED_LOCKED	24
#endif
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE		25
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP	4
#endif
#ifndef MLOCK_ONFAULT
#define MLOCK_ONFAULT		0x01
#endif

/* ---- chaos --------------------------------------------------------------- */

enum chaos {
	CH_REMAP, CH_MUNMAP, CH_MPROTECT, CH_MADVISE, CH_POPULATE, CH_MREMAP,
	CH_MLOCK, CH_TRUNCATE,
	CH_MEMORY_OPS,		/* the ones above: also in children */
	CH_FORK_EXIT = CH_MEMORY_OPS, CH_FORK_KILL, CH_DONATE, CH_REOPEN,
	CH_SIGNAL, CH_DEBUGFS, CH_COMPACT, CH_NR,
};

static const struct {
	const char *name;
	unsigned int weight;
} chaos_ops[CH_NR] = {
	[CH_REMAP] = { "mmap", 10 },
	[CH_MUNMAP] = { "munmap", 6 },
	[CH_MPROTECT] = { "mprotect", 8 },
	[CH_MADVISE] = { "madvise", 16 },
	[CH_POPULATE] = { "populate", 12 },
	[CH_MREMAP] = { "mremap", 4 },
	[CH_MLOCK] = { "mlock", 2 },
	[CH_TRUNCATE] = { "truncate", 3 },
	[CH_FORK_EXIT] = { "fork+exit", 3 },
	[CH_FORK_KILL] = { "fork+kill", 2 },
	[CH_DONATE] = { "fork+donate", 1 },
	[CH_REOPEN] = { "close+reopen", 5 },
	[CH_SIGNAL] = { "signal", 4 },
	[CH_DEBUGFS] = { "debugfs-read", 2 },
	[CH_COMPACT] = { "compact", 1 },
};

/* A range in the arena: a page, some pages, a huge page, a whole slot. */
static void pick_range(struct fz_rng *r, u64 *addr, u64 *len)
{
	unsigned int s = fz_pct(r, 10) ? FZ_BIG_SLOT : fz_below(r, FZ_NSLOTS);
	u64 size = fz_slot_bytes(s), off, l;

	switch (fz_below(r, 4)) {
	case 0:
		off = fz_below(r, size / FZ_PAGE) * FZ_PAGE;
		l = FZ_PAGE;
		break;
	case 1:
		off = fz_below(r, size / FZ_PAGE) * FZ_PAGE;
		l = (1 + fz_below(r, 32)) * FZ_PAGE;
		break;
	case 2:
		off = fz_below(r, size / FZ_HPAGE) * FZ_HPAGE;
		l = FZ_HPAGE;
		break;
	default:
		off = 0;
		l = size;
		break;
	}
	if (fz_pct(r, 5))
		l += FZ_SLOT_SIZE;		/* into the next slot */
	*addr = fz_slot_base(s) + off;
	if (*addr + l > FZ_ARENA_END)
		l = FZ_ARENA_END - *addr;
	*len = l;
}

static const int advices[] = {
	MADV_DONTNEED, MADV_DONTNEED, MADV_DONTNEED, MADV_PAGEOUT,
	MADV_PAGEOUT, MADV_PAGEOUT, MADV_COLD, MADV_FREE, MADV_FREE,
	MADV_WILLNEED, MADV_HUGEPAGE, MADV_NOHUGEPAGE, MADV_COLLAPSE,
	MADV_REMOVE, MADV_DONTFORK, MADV_DOFORK, MADV_WIPEONFORK,
	MADV_KEEPONFORK, MADV_DONTNEED_LOCKED, MADV_POPULATE_READ,
};

static const int prots[] = {
	PROT_NONE, PROT_READ, PROT_READ | PROT_WRITE, PROT_READ | PROT_WRITE,
	PROT_READ | PROT_WRITE | PROT_EXEC,
};

static long chaos_mremap(struct fz_rng *r, u64 *a)
{
	unsigned int s = fz_below(r, FZ_NSLOTS);
	unsigned int d = (s + 1 + fz_below(r, FZ_NSLOTS - 1)) % FZ_NSLOTS;
	u64 len = (1 + fz_below(r, FZ_SLOT_SIZE / FZ_PAGE)) * FZ_PAGE;
	void *src = (void *)(uintptr_t)fz_slot_base(s);
	void *dst = (void *)(uintptr_t)fz_slot_base(d);
	void *p;

	a[0] = (uintptr_t)src;
	a[1] = len;
	a[2] = (uintptr_t)dst;
	switch (fz_below(r, 3)) {
	case 0:
		p = mremap(src, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
		break;
	case 1:
		p = mremap(src, len, len, MREMAP_MAYMOVE | MREMAP_FIXED |
			   MREMAP_DONTUNMAP, dst);
		break;
	default:
		a[2] = (1 + fz_below(r, FZ_SLOT_SIZE / FZ_PAGE)) * FZ_PAGE;
		p = mremap(src, len, a[2], 0);
		break;
	}
	return p == MAP_FAILED ? -1 : 0;
}

static long chaos_truncate(struct fz_world *w, struct fz_rng *r, u64 *a)
{
	bool file = fz_pct(r, 50);
	int fd = file ? w->filefd : w->memfd;
	u64 size = file ? FZ_FILE_SIZE : FZ_MEMFD_SIZE;
	long ret;

	a[0] = file;
	a[1] = fz_below(r, size / FZ_PAGE) * FZ_PAGE;
	if (fz_pct(r, 50)) {
		a[2] = (1 + fz_below(r, 64)) * FZ_PAGE;
		return fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				 (off_t)a[1], (off_t)a[2]);
	}
	ret = ftruncate(fd, (off_t)a[1]);
	sched_yield();
	if (ftruncate(fd, (off_t)size))
		ret = -1;
	return ret;
}

static void __noreturn child_main(struct fz_thread *parent, u64 seed)
{
	static struct fz_thread ct;
	struct fz_shared *sh = parent->w->sh;
	unsigned int k = atomic_fetch_add(&sh->child_ring, 1) % FZ_CHILD_RINGS;
	unsigned int i;

	ct = *parent;
	ct.in_child = true;
	ct.id = FZ_MAX_CALLERS + FZ_MAX_CHAOS + k;
	ct.ring = &sh->ring[ct.id];
	ct.seq = 0;
	snprintf(ct.ring->who, sizeof(ct.ring->who), "child%u", k);
	memset(ct.ring->rec, 0, sizeof(ct.ring->rec));
	atomic_store(&ct.ring->pid, getpid());
	for (i = 0; i < parent->w->child_calls && !atomic_load(&sh->stop);
	     i++, ct.seq++) {
		struct fz_call c;

		ct.rng.s = fz_mix(seed + i);
		if (fz_pct(&ct.rng, 15)) {
			fz_chaos_op(&ct);
			continue;
		}
		fz_gen_call(&ct, &c);
		if (fz_exec(&ct, &c))
			_exit(3);
	}
	_exit(0);
}

static long chaos_fork(struct fz_thread *t, bool kill_it, u64 *a)
{
	struct fz_shared *sh = t->w->sh;
	u64 seed = fz_next(&t->rng);
	int status = 0;
	pid_t pid;

	atomic_fetch_add(&sh->forks, 1);
	pthread_rwlock_wrlock(&t->w->fd_lock);
	pid = fork();
	if (pid == 0) {
		t->w->in_child = true;
		t->w->pid = getpid();
		child_main(t, seed);
	}
	pthread_rwlock_unlock(&t->w->fd_lock);
	if (pid < 0)
		return -1;
	a[0] = pid;
	a[1] = seed;
	if (kill_it) {
		struct timespec ts = { 0, fz_below(&t->rng, 20) * 1000000L };

		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
	}
	if (fz_wait_child(pid, &status, kill_it ? 30 : 120) == 0) {
		unsigned int i;

		for (i = 0; i < FZ_MAX_RINGS; i++)
			if (atomic_load(&sh->ring[i].pid) == pid)
				atomic_store(&sh->ring[i].pid, 0);
	} else {
		fz_out("HANG: child %d did not exit%s", pid,
		       kill_it ? " after SIGKILL" : "");
		atomic_store(&sh->failed, 1);
		atomic_store(&sh->stop, 1);
		return -1;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 3)
		atomic_store(&sh->stop, 1);	/* the child reported it */
	return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

static long chaos_debugfs(void)
{
	DIR *d = opendir("/sys/kernel/debug/mmu_mirror");
	struct dirent *e;
	char path[320], buf[2048];
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)) && n < 8) {
		int fd;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/debug/mmu_mirror/%s/stats",
			 e->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		close(fd);
		n++;
	}
	closedir(d);
	return n;
}

static long chaos_compact(struct fz_world *w)
{
	int fd;
	long ret;

	if (!w->compact)
		return 0;
	fd = open("/proc/sys/vm/compact_memory", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = write(fd, "1", 1);
	close(fd);
	return ret;
}

static enum chaos pick_chaos(struct fz_thread *t)
{
	unsigned int n = t->in_child ? CH_MEMORY_OPS : CH_NR, total = 0, i, x;

	for (i = 0; i < n; i++)
		total += chaos_ops[i].weight;
	x = fz_below(&t->rng, total);
	for (i = 0; i < n; i++) {
		if (x < chaos_ops[i].weight)
			return i;
		x -= chaos_ops[i].weight;
	}
	return CH_MADVISE;
}

static long chaos_memory(struct fz_thread *t, enum chaos op, u64 *a)
{
	struct fz_rng *r = &t->rng;
	u64 addr, len;
	void *p;

	pick_range(r, &addr, &len);
	p = (void *)(uintptr_t)addr;
	a[0] = addr;
	a[1] = len;
	switch (op) {
	case CH_REMAP: {
		unsigned int s = (addr - FZ_ARENA_BASE) / FZ_SLOT_SIZE;
		enum fz_mkind k = fz_below(r, MK_NR);

		if (s > FZ_BIG_SLOT)
			s = FZ_BIG_SLOT;
		a[0] = fz_slot_base(s);
		a[2] = k;
		len = fz_pct(r, 50) ? fz_slot_bytes(s) :
		      (1 + fz_below(r, fz_slot_bytes(s) / FZ_PAGE)) * FZ_PAGE;
		a[1] = len;
		if (fz_map_slot(t->w, s, k, len, r))
			return -1;
		if (fz_pct(r, 50))
			madvise((void *)(uintptr_t)a[0], len,
				MADV_POPULATE_WRITE);
		return 0;
	}
	case CH_MUNMAP:
		return munmap(p, len);
	case CH_MPROTECT:
		a[2] = prots[fz_below(r, ARRAY_SIZE(prots))];
		return mprotect(p, len, (int)a[2]);
	case CH_MADVISE:
		a[2] = advices[fz_below(r, ARRAY_SIZE(advices))];
		return madvise(p, len, (int)a[2]);
	case CH_POPULATE:
		a[2] = fz_pct(r, 70) ? MADV_POPULATE_WRITE : MADV_POPULATE_READ;
		return madvise(p, len, (int)a[2]);
	case CH_MREMAP:
		return chaos_mremap(r, a);
	case CH_MLOCK:
		a[2] = fz_below(r, 3);
		if (a[2] == 0)
			return mlock(p, len);
		if (a[2] == 1)
			return mlock2(p, len, MLOCK_ONFAULT);
		return munlock(p, len);
	default:
		return chaos_truncate(t->w, r, a);
	}
}

/**
 * fz_chaos_op() - one chaos operation, logged in the thread's ring
 * @t: the chaos thread (or a child); t->rng holds the operation's seed
 */
void fz_chaos_op(struct fz_thread *t)
{
	struct fz_world *w = t->w;
	struct fz_rng *r = &t->rng;
	struct fz_rec *rec = fz_log_begin(t);
	enum chaos op = pick_chaos(t);
	u64 a[3] = { 0, 0, 0 };
	long ret;
	int err;

	rec->seed = r->s;
	rec->desc = -2;
	rec->fdslot = -1;
	snprintf(rec->what, sizeof(rec->what), "%s", chaos_ops[op].name);
	__atomic_store_n(&rec->state, 1, __ATOMIC_RELEASE);
	errno = 0;
	switch (op) {
	case CH_FORK_EXIT:
	case CH_FORK_KILL:
		ret = chaos_fork(t, op == CH_FORK_KILL, a);
		break;
	case CH_DONATE:
		ret = fz_donate(w, r, -1);
		if (ret) {
			fz_out("HANG: a donor child did not exit");
			atomic_store(&w->sh->failed, 1);
			atomic_store(&w->sh->stop, 1);
		}
		break;
	case CH_REOPEN: {
		static const int slots[] = {
			FS_ND0, FS_ND1, FS_ND2, FS_ND3, FS_KDEV, FS_VM0, FS_VM1,
			FS_VM2, FS_ODP0, FS_ODP1, FS_SAMPLE0, FS_SAMPLE1,
			FS_EDU0,
		};

		a[0] = slots[fz_below(r, ARRAY_SIZE(slots))];
		ret = fz_reopen(w, (int)a[0], r);
		break;
	}
	case CH_SIGNAL: {
		int n = atomic_load(&w->ncallers);

		a[0] = n ? w->caller_tids[fz_below(r, n)] : 0;
		ret = a[0] ? syscall(SYS_tgkill, getpid(), (pid_t)a[0],
				     SIGUSR1) : 0;
		break;
	}
	case CH_DEBUGFS:
		ret = chaos_debugfs();
		break;
	case CH_COMPACT:
		ret = fz_pct(r, 10) ? chaos_compact(w) : 0;
		break;
	default:
		ret = chaos_memory(t, op, a);
		break;
	}
	err = ret == -1 ? errno : 0;
	memcpy(rec->words, a, sizeof(a));
	fz_log_end(rec, ret, err);
	atomic_fetch_add(&w->sh->chaos_ops, 1);
}
