// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_exec.c - issue a generated call, log it, judge its result
 *
 * Every call is logged in its thread's ring (shared with the supervisor,
 * so that the last calls survive a crash or a hang) before it is issued
 * and completed afterwards.  The result is judged against the contract
 * of the UAPI headers:
 *
 *  - a file that was replaced during the call proves nothing (counted as
 *    raced);
 *  - a closed descriptor gives -EBADF;
 *  - an ioctl number a mirror file does not know gives -ENOTTY, whatever
 *    the argument (random calls, damaged numbers, commands of another
 *    device), or -EPERM on an edu file of another process, which
 *    refuses everything; read() and write() of a mirror file give
 *    -EINVAL (but mirror_sample reads);
 *  - where the static rules of the description decide (alignment, sizes,
 *    limits, flags, an unreadable argument block, the VM owner) the errno
 *    must be exactly theirs;
 *  - otherwise the errno must be one the header documents, a call with an
 *    unusable buffer must not succeed, and the outputs must be consistent
 *    (fz_desc::post).
 *
 * The first unexpected result stops the phase and is reported with the
 * call, its seed, how to reproduce it and the last calls of all threads.
 * Only async-signal-safe functions are used here: forked children of the
 * multi-threaded worker issue calls too.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "fuzz.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE	0x100000
#endif

static double fz_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/**
 * fz_out() - one "# " diagnostic line, written at once
 * @fmt: printf format
 */
void fz_out(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	line[0] = '#';
	line[1] = ' ';
	va_start(ap, fmt);
	n = vsnprintf(line + 2, sizeof(line) - 3, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	n += 2;
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (write(STDOUT_FILENO, line, n) < 0)
		return;
}

/**
 * fz_log_begin() - take the next record of the thread's ring
 * @t: the thread
 *
 * Return: the record, cleared, with its sequence number and start time.
 */
struct fz_rec *fz_log_begin(struct fz_thread *t)
{
	u64 h = atomic_fetch_add(&t->ring->head, 1);
	struct fz_rec *r = &t->ring->rec[h % FZ_RING_LEN];

	__atomic_store_n(&r->state, 0, __ATOMIC_RELAXED);
	memset(r, 0, sizeof(*r));
	r->seq = t->seq;
	r->t0 = fz_now();
	return r;
}

/* Publishes @r as in flight; pairs with the acquire in fz_dump_rings(). */
static void fz_log_start(struct fz_rec *r)
{
	__atomic_store_n(&r->state, 1, __ATOMIC_RELEASE);
}

void fz_log_end(struct fz_rec *r, long ret, int err)
{
	r->ret = ret;
	r->err = err;
	r->t1 = fz_now();
	__atomic_store_n(&r->state, 2, __ATOMIC_RELEASE);
}

/* Oldest first; there are at most FZ_MAX_RINGS * FZ_RING_LEN of them. */
static void sort_recs(const struct fz_rec **v, unsigned int n)
{
	unsigned int i, j;

	for (i = 1; i < n; i++) {
		const struct fz_rec *x = v[i];

		for (j = i; j > 0 && v[j - 1]->t0 > x->t0; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

/**
 * fz_dump_rings() - print the last calls of every thread and child
 * @sh: the shared state of the phase
 * @last: how many of the newest to print (calls in flight always)
 */
void fz_dump_rings(struct fz_shared *sh, unsigned int last)
{
	static const struct fz_rec *v[FZ_MAX_RINGS * FZ_RING_LEN];
	static unsigned char who[FZ_MAX_RINGS * FZ_RING_LEN];
	unsigned int n = 0, i, k;
	char line[768];

	for (i = 0; i < FZ_MAX_RINGS; i++) {
		if (!atomic_load(&sh->ring[i].pid))
			continue;
		for (k = 0; k < FZ_RING_LEN; k++) {
			const struct fz_rec *r = &sh->ring[i].rec[k];

			if (__atomic_load_n(&r->state, __ATOMIC_ACQUIRE))
				v[n++] = r;
		}
	}
	sort_recs(v, n);
	for (i = 0; i < n; i++) {
		who[i] = 0;
		for (k = 0; k < FZ_MAX_RINGS; k++)
			if (v[i] >= sh->ring[k].rec &&
			    v[i] < sh->ring[k].rec + FZ_RING_LEN)
				who[i] = k;
	}
	fz_out("last %u of %u logged calls, oldest first (thread, call number, seed):",
	       n < last ? n : last, n);
	for (i = 0; i < n; i++) {
		const struct fz_rec *r = v[i];

		if (i + last < n && r->state != 1)
			continue;
		fz_format_rec(r, line, sizeof(line));
		fz_out("  [%s #%llu %#llx %.3fs] %s", sh->ring[who[i]].who,
		       (unsigned long long)r->seq,
		       (unsigned long long)r->seed,
		       (r->state == 1 ? fz_now() : r->t1) - r->t0, line);
	}
}

static void report(struct fz_thread *t, const struct fz_call *c,
		   const struct fz_rec *rec, const char *why)
{
	struct fz_world *w = t->w;
	struct fz_shared *sh = w->sh;
	int n = atomic_load(&w->ncallers);
	u64 calls = w->phase_calls;
	char line[768];

	/* A caller's n-th call comes again once every caller made n. */
	if (t->id < FZ_MAX_CALLERS && !t->in_child && !w->whole_phase && n > 0)
		calls = (t->seq + 1) * n;
	atomic_store(&sh->failed, 1);
	atomic_store(&sh->stop, 1);
	if (atomic_exchange(&sh->reported, 1))
		return;
	fz_format_rec(rec, line, sizeof(line));
	fz_out("UNEXPECTED RESULT: %s", line);
	fz_out("  why: %s", why);
	fz_out("  by %s, its call #%llu; call seed %#llx", t->ring->who,
	       (unsigned long long)t->seq, (unsigned long long)c->seed);
	fz_out("  repeat the run: %s", w->repro);
	if (calls)
		fz_out("  repeat the phase up to here, in the guest: mirror_fuzz --seed %#llx --phase %s --calls %llu",
		       (unsigned long long)w->run_seed, w->phase_name,
		       (unsigned long long)calls);
	fz_out("  this call alone: mirror_fuzz --phase %s --replay %#llx",
	       w->phase_name, (unsigned long long)c->seed);
	fz_dump_rings(sh, 40);
}

/* ---- known contract gaps ---------------------------------------------- */

unsigned int fz_expose;

const char *const fz_known_names[FZ_KNOWN_NR] = {
	[FZ_KNOWN_RUN_EOPNOTSUPP] = "kvmm-run-eopnotsupp",
	[FZ_KNOWN_NDEMO_EBUSY] = "ndemo-ebusy",
};

const char *const fz_known_desc[FZ_KNOWN_NR] = {
	[FZ_KNOWN_RUN_EOPNOTSUPP] =
		"KVMM_RUN stores of a pinned VM to a shared file mapping fail with -EOPNOTSUPP, which kvm_mirror.h does not document",
	[FZ_KNOWN_NDEMO_EBUSY] =
		"NDEMO_READ/WRITE/SNAPSHOT fail with -EBUSY when invalidations anywhere in the address space (the device's one window) keep racing its fault for HMM_RANGE_DEFAULT_TIMEOUT; notifier_demo does not document it",
};

/* Tolerate (and count) known gap @k unless it is exposed. */
static bool known(const struct fz_thread *t, enum fz_known k)
{
	if (fz_expose & (1U << k))
		return false;
	atomic_fetch_add(&t->w->sh->known[k], 1);
	return true;
}

/* ---- issuing ------------------------------------------------------------ */

static bool in_arena(u64 addr, u64 len)
{
	return addr >= FZ_ARENA_BASE && addr < FZ_ARENA_END &&
	       len <= FZ_ARENA_END - addr;
}

/*
 * mmap() never replaces memory outside the arena: there MAP_FIXED is
 * dropped, and so is the address, because the kernel honours a free hint
 * and a mapping at, say, 2^47 would for a moment make an address other
 * threads use as unreachable reachable.  A mapping placed outside the
 * arena is removed again at once.
 */
static long do_mmap(struct fz_call *c)
{
	struct { __u64 addr, len, prot, flags, off; } m;
	u64 rlen;
	void *p;

	memcpy(&m, c->mem, sizeof(m));
	rlen = (m.len + FZ_PAGE - 1) & ~(FZ_PAGE - 1);
	if (!in_arena(m.addr, rlen < m.len ? ~0ULL : rlen)) {
		m.flags &= ~(u64)(MAP_FIXED | MAP_FIXED_NOREPLACE);
		m.addr = 0;
	}
	p = mmap((void *)(uintptr_t)m.addr, m.len, (int)m.prot, (int)m.flags,
		 c->fd, (off_t)m.off);
	if (p == MAP_FAILED)
		return -1;
	if (!in_arena((uintptr_t)p, rlen))
		munmap(p, m.len);
	return (long)(uintptr_t)p;
}

static long issue(struct fz_call *c)
{
	const struct fz_desc *d = c->desc;
	struct { __u64 len, buf, off; } rw;

	if (!d || d->op == OP_IOCTL || d->op == OP_IOCTL_INT)
		return ioctl(c->fd, c->req, c->arg);
	if (d->op == OP_MMAP)
		return do_mmap(c);
	memcpy(&rw, c->mem, d->op == OP_PREAD ? 24 : 16);
	if (d->op == OP_PREAD)
		return pread(c->fd, (void *)(uintptr_t)rw.buf, rw.len,
			     (off_t)rw.off);
	if (d->op == OP_READ)
		return read(c->fd, (void *)(uintptr_t)rw.buf, rw.len);
	return write(c->fd, (const void *)(uintptr_t)rw.buf, rw.len);
}

/* ---- judging ------------------------------------------------------------ */

static int expect(long ret, int err, int want, char *why, size_t n)
{
	if (ret == -1 && err == want)
		return 0;
	snprintf(why, n, "the contract says -1 %s", fz_errname(want));
	return -1;
}

static bool in_set(const int *set, int err)
{
	for (; *set; set++)
		if (*set == err)
			return true;
	return false;
}

static bool mirror_file(enum fz_ftype t)
{
	return t != FT_WRONG;
}

/* What an ioctl number the file does not know gives. */
static int unknown_cmd(const struct fz_call *c, long ret, int err, char *why,
		       size_t n)
{
	if (c->ftype == FT_EDU && (c->fsflags & FZ_FS_FOREIGN))
		return expect(ret, err, EPERM, why, n);
	return expect(ret, err, ENOTTY, why, n);
}

static u64 mmap_flags(const struct fz_call *c)
{
	u64 f;

	memcpy(&f, c->mem + 3 * sizeof(u64), sizeof(f));
	return f;
}

/* A call on a file it is not meant for, or with a damaged number. */
static int judge_misdirected(const struct fz_call *c, long ret, int err,
			     char *why, size_t n)
{
	const struct fz_desc *d = c->desc;
	bool ours = mirror_file(c->ftype);

	switch (d->op) {
	case OP_MMAP:
		if (ours && c->ftype != FT_ND && ret != -1 &&
		    !(mmap_flags(c) & MAP_ANONYMOUS)) {
			snprintf(why, n, "mapped a file that has no mmap");
			return -1;
		}
		return 0;
	case OP_PREAD:
		if (ours && c->ftype != FT_SAMPLE && ret == -1 &&
		    err == ESPIPE)
			return 0;
		fallthrough;
	case OP_READ:
		if (c->ftype == FT_SAMPLE)
			return 0;	/* it reads */
		fallthrough;
	case OP_WRITE:
		return ours ? expect(ret, err, EINVAL, why, n) : 0;
	default:
		if (!ours || fz_req_valid_for(c->ftype, c->req))
			return 0;
		return unknown_cmd(c, ret, err, why, n);
	}
}

static int judge(const struct fz_thread *t, const struct fz_call *c,
		 long ret, int err, char *why, size_t n)
{
	const struct fz_desc *d = c->desc;
	int exp;

	if (c->fdslot == FS_CLOSED || c->fdslot == FS_MINUS1 || c->fd < 0) {
		/*
		 * mmap() checks offset and flags before it looks at the
		 * fd, pread() the offset.
		 */
		if (d && d->op == OP_MMAP &&
		    ((mmap_flags(c) & MAP_ANONYMOUS) ||
		     (ret == -1 && err == EINVAL)))
			return 0;
		if (d && d->op == OP_PREAD && ret == -1 && err == EINVAL)
			return 0;
		return expect(ret, err, EBADF, why, n);
	}
	if (!d) {
		if (!mirror_file(c->ftype) || fz_req_valid_for(c->ftype, c->req))
			return 0;
		return unknown_cmd(c, ret, err, why, n);
	}
	if (c->wrong_fd || c->wrong_req)
		return judge_misdirected(c, ret, err, why, n);
	if (d->op == OP_MMAP && (mmap_flags(c) & MAP_ANONYMOUS))
		return 0;

	exp = d->validate ? d->validate(c) : FZ_UNKNOWN;
	if (exp < 0)
		return expect(ret, err, -exp, why, n);
	if (d->req == KVMM_RUN && ret == -1 && err == EOPNOTSUPP &&
	    known(t, FZ_KNOWN_RUN_EOPNOTSUPP))
		return 0;
	if ((d->req == NDEMO_READ || d->req == NDEMO_WRITE ||
	     d->req == NDEMO_SNAPSHOT) && d->op == OP_IOCTL && ret == -1 &&
	    err == EBUSY && known(t, FZ_KNOWN_NDEMO_EBUSY))
		return 0;
	if (ret == -1 && !in_set(d->errs, err)) {
		snprintf(why, n, "%s is not an errno the UAPI documents for it",
			 fz_errname(err));
		return -1;
	}
	if (exp == FZ_MUST_OK && ret == -1) {
		snprintf(why, n, "the contract says it succeeds");
		return -1;
	}
	if (c->cannot_succeed && ret != -1) {
		snprintf(why, n, "succeeded although a buffer or size it needs is unusable");
		return -1;
	}
	return d->post ? d->post(c, ret, err, why, n) : 0;
}

static void fill_rec(struct fz_rec *r, const struct fz_call *c)
{
	const struct fz_desc *d = c->desc;

	r->seed = c->seed;
	r->desc = fz_desc_index(d);
	r->fdslot = c->fdslot;
	r->fd = c->fd;
	r->req = c->req;
	r->arg = c->arg;
	r->wrong = (c->wrong_fd ? 1 : 0) | (c->wrong_req ? 2 : 0);
	if (c->mem && c->memlen)
		memcpy(r->words, c->mem,
		       c->memlen < 5 * sizeof(u64) ? c->memlen :
		       5 * sizeof(u64));
	if (d && d->req == KVMM_RUN)
		memcpy(&r->words[5], c->first, sizeof(c->first));
}

/**
 * fz_exec() - issue a call, log it and judge its result
 * @t: the calling thread
 * @c: the call, from fz_gen_call()
 *
 * Return: 0, or -1 after an unexpected result was reported (the phase is
 * then stopped).
 */
int fz_exec(struct fz_thread *t, struct fz_call *c)
{
	struct fz_world *w = t->w;
	struct fz_shared *sh = w->sh;
	struct fz_rec *rec = fz_log_begin(t);
	int di = fz_desc_index(c->desc);
	char why[256];
	long ret;
	int err;

	fill_rec(rec, c);
	fz_log_start(rec);
	errno = 0;
	ret = issue(c);
	err = ret == -1 ? errno : 0;
	fz_log_end(rec, ret, err);

	if (c->req == KVMM_CREATE_VM && ret > 2 &&
	    (!c->desc || c->desc->op == OP_IOCTL_INT))
		fz_adopt_vm(w, (int)ret, &t->rng);

	atomic_fetch_add(&sh->calls, 1);
	if (di >= 0)
		atomic_fetch_add(&sh->desc_calls[di], 1);
	if (atomic_load(&w->fs[c->fdslot].gen) != c->fdgen) {
		atomic_fetch_add(&sh->raced, 1);
		return 0;
	}
	if (ret == -1 && di >= 0 && err > 0 && err < FZ_NERRNO)
		atomic_fetch_add(&sh->desc_err[di][err], 1);
	if (ret != -1) {
		if (c->desc && c->desc->req == KVMM_SET_MEMSLOT &&
		    !c->wrong_fd && !c->wrong_req)
			fz_note_memslot(w, c);
		if (c->desc && c->desc->note && !c->wrong_fd && !c->wrong_req)
			c->desc->note(t, c);
		atomic_fetch_add(&sh->ok, 1);
		if (di >= 0)
			atomic_fetch_add(&sh->desc_ok[di], 1);
	}
	why[0] = '\0';
	if (!judge(t, c, ret, err, why, sizeof(why)))
		return 0;
	report(t, c, rec, why);
	return -1;
}
