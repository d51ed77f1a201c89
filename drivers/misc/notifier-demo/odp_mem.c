// SPDX-License-Identifier: GPL-2.0
/*
 * odp_mem.c - how the NIC engine reaches memory
 *
 * The engine touches an MR's memory through its translations only.  A
 * miss is a page fault of the NIC: the engine, in its own context (a
 * kernel worker, long after the process posted the work), faults the
 * rest of the transfer, up to ODP_FAULT_AHEAD and within the MR, into
 * the MR's tables through the helper (read_begin -> hmm_range_fault ->
 * lock -> read_retry happen there), then retries the access.  When an
 * invalidation keeps taking the pages between the fault and the access,
 * the next fault is halved, down to the one page the engine needs, so
 * that the transfer still advances; a transfer that does not advance for
 * ODP_FAULT_DEADLINE_MS fails.
 *
 * Prefetch advice maps ranges ahead of traffic, in the caller's context
 * (ODP_ADVISE_FLAG_FLUSH) or queued to the engine's workqueue.
 */
#include <linux/err.h>
#include <linux/highmem.h>
#include <linux/hmm.h>
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/mmu_mirror.h>
#include "odp_core.h"

/* How long a transfer may keep losing one page to invalidations. */
#define ODP_FAULT_DEADLINE_MS	5000
/* Pages looked at per round of a PREFETCH_NO_FAULT. */
#define ODP_SNAP_BATCH		64

/**
 * odp_io_init() - start a transfer on one MR
 * @io: the transfer
 * @mr: the MR (a use held)
 * @addr: first user address, inside the MR
 * @len: bytes, inside the MR
 * @write: the engine writes the MR's memory
 *
 * Context: any context.
 */
void odp_io_init(struct odp_io *io, struct odp_mr *mr, u64 addr, u64 len,
		 bool write)
{
	io->mr = mr;
	io->addr = addr;
	io->end = addr + len;
	io->write = write;
	io->span = ODP_FAULT_AHEAD;
	io->faulted_at = U64_MAX;
	io->deadline = jiffies + msecs_to_jiffies(ODP_FAULT_DEADLINE_MS);
	io->err = 0;
}

/*
 * Fault [addr, addr + len) of @mr into its tables, clipped to one child
 * of an implicit MR; *@done is set to the bytes covered.  The mm is
 * taken with mmget_not_zero(): once the process has exited there is
 * nothing to fault, -ESRCH.
 */
static int odp_fault_piece(struct odp_mr *mr, u64 addr, u64 len, bool write,
			   u64 *done)
{
	struct mm_struct *mm = mr->ctx->mm;
	struct odp_child *child = NULL;
	struct odp_mtt *mtt = &mr->mtt;
	u64 start = addr & PAGE_MASK;
	u64 sva;
	int ret;

	if (!mmget_not_zero(mm))
		return -ESRCH;
	if (mr->flags & ODP_MR_IMPLICIT) {
		u64 child_end = ((addr >> ODP_CHILD_SHIFT) + 1) <<
				ODP_CHILD_SHIFT;

		len = min(len, child_end - addr);
		child = odp_child_get(mr, addr, true);
		if (IS_ERR(child)) {
			ret = PTR_ERR(child);
			goto out_put;
		}
		mtt = &child->mtt;
	}
	*done = len;
	sva = odp_mr_sva(mr, start);
	ret = odp_mtt_prepare(mtt, sva, PAGE_ALIGN(addr + len) - start);
	if (!ret)
		ret = mmu_mirror_fault(mr->mirror, sva,
				       PAGE_ALIGN(addr + len) - start,
				       write ? MMU_MIRROR_WRITE : 0);
	if (child)
		odp_child_put(child);
out_put:
	mmput(mm);
	return ret;
}

/*
 * Fault the range, across children; returns 0 or the first error.  The
 * pages newly mapped are counted into @pages.
 */
static int odp_fault_range(struct odp_mr *mr, u64 addr, u64 len, bool write,
			   atomic64_t *pages)
{
	s64 before = atomic64_read(&mr->c.mapped);
	u64 end = addr + len;
	int ret = 0;

	while (addr < end) {
		u64 done = 0;

		ret = odp_fault_piece(mr, addr, end - addr, write, &done);
		if (ret)
			break;
		addr += done;
	}
	atomic64_add(atomic64_read(&mr->c.mapped) - before, pages);
	return ret;
}

/*
 * The engine missed at @addr: fault the rest of the transfer, up to
 * io->span bytes.  A miss at the same place as the last fault means an
 * invalidation won the race: halve the span, count a retry, and give up
 * with -EBUSY when such misses went on for ODP_FAULT_DEADLINE_MS without
 * the transfer advancing.
 */
static int odp_io_fault(struct odp_io *io, u64 addr)
{
	struct odp_mr *mr = io->mr;
	u64 len;
	int ret;

	if (mr->flags & ODP_MR_PINNED)
		return -EFAULT;
	for (;;) {
		if (addr == io->faulted_at) {
			atomic64_inc(&mr->c.fault_retries);
			io->span = max_t(u64, io->span / 2, PAGE_SIZE);
			if (time_after(jiffies, io->deadline))
				return -EBUSY;
			cond_resched();
		} else {
			/* A miss further on: the transfer advanced. */
			io->deadline = jiffies +
				       msecs_to_jiffies(ODP_FAULT_DEADLINE_MS);
		}
		io->faulted_at = addr;
		len = min(io->end - addr, io->span);
		ret = odp_fault_range(mr, addr, max_t(u64, len, 1), io->write,
				      &mr->c.fault_pages);
		if (ret != -EBUSY)
			break;
	}
	if (!ret)
		atomic64_inc(&mr->c.faults);
	return ret;
}

/**
 * struct odp_span - one piece of an engine access, in flight
 * @acc: the helper's record of the access in flight
 * @mirror: the MR's mirror
 * @mtt: the table the engine reads for it
 * @child: the implicit child holding @mtt, a use taken; or NULL
 * @sva: secondary address of the first byte
 * @len: bytes, within one table
 * @store: the engine writes them
 */
struct odp_span {
	struct mmu_mirror_inflight acc;
	struct mmu_mirror *mirror;
	struct odp_mtt *mtt;
	struct odp_child *child;
	u64 sva;
	u64 len;
	bool store;
};

/* At most this much of a transfer is in flight at once. */
#define ODP_SPAN_MAX		SZ_64K

/*
 * Try to begin up to @len bytes of @io at io->addr, clipped to one
 * table: the helper then keeps every entry of the span (and so the pages
 * the MTT names) until odp_span_end().  Returns 0, -ENOENT for a miss,
 * -EAGAIN when an invalidation waits for the range (both: fault, then
 * try again), -ESRCH once the mm has exited.
 */
static int odp_span_try(struct odp_io *io, u64 len, bool store,
			struct odp_span *sp)
{
	struct odp_mr *mr = io->mr;
	int ret;

	sp->child = NULL;
	sp->mtt = &mr->mtt;
	sp->len = len;
	sp->mirror = mr->mirror;
	sp->sva = odp_mr_sva(mr, io->addr);
	sp->store = store;
	if (mr->flags & ODP_MR_IMPLICIT) {
		u64 end = (io->addr | (ODP_CHILD_SIZE - 1)) + 1;

		sp->len = min(len, end - io->addr);
		sp->child = odp_child_get(mr, io->addr, false);
		if (!sp->child)
			return -ENOENT;
		sp->mtt = &sp->child->mtt;
	}
	ret = mmu_mirror_access_begin(sp->mirror, &sp->acc, sp->sva, sp->len,
				      store ? MMU_MIRROR_WRITE : 0);
	if (ret && sp->child)
		odp_child_put(sp->child);
	return ret;
}

/* Begin a span, faulting on a miss (a page fault of the NIC). */
static int odp_span_begin(struct odp_io *io, u64 len, bool store,
			  struct odp_span *sp)
{
	for (;;) {
		int ret = odp_span_try(io, len, store, sp);

		if (ret != -ENOENT && ret != -EAGAIN)
			return ret;
		ret = odp_io_fault(io, io->addr);
		if (ret)
			return ret;
	}
}

static void odp_span_end(struct odp_span *sp)
{
	mmu_mirror_access_end(sp->mirror, &sp->acc);
	if (sp->child)
		odp_child_put(sp->child);
}

/*
 * The kernel address of byte @off of the span, valid until the caller's
 * kunmap_local(); NULL if the MTT has no entry there.  The engine marks
 * the entry accessed, and dirty when it stores, as NIC hardware does.
 */
static void *odp_span_kmap(struct odp_span *sp, u64 off)
{
	u64 sva = sp->sva + off;
	atomic64_t *e = odp_mtt_entry(sp->mtt, sva & PAGE_MASK, false);
	u64 bits = ODP_MTT_ACCESSED | (sp->store ? ODP_MTT_DIRTY : 0);
	u64 v = e ? atomic64_read(e) : 0;

	if (!(v & ODP_MTT_VALID) || (sp->store && !(v & ODP_MTT_WRITE)))
		return NULL;
	if ((v & bits) != bits)
		atomic64_or(bits, e);
	return kmap_local_page(pfn_to_page(v >> PAGE_SHIFT)) +
	       offset_in_page(sva);
}

/* Bytes of the span from @off to the end of its page. */
static u64 odp_span_page_left(const struct odp_span *sp, u64 off)
{
	return min_t(u64, sp->len - off,
		     PAGE_SIZE - offset_in_page(sp->sva + off));
}

/*
 * Copy between @buf and the span, page by page, from the pages the MTT
 * names.  -ENOENT if the MTT disagrees with the helper's table (never
 * expected: the map operation programs every entry the helper adds).
 */
static int odp_span_copy(struct odp_span *sp, void *buf)
{
	u64 off = 0;

	while (off < sp->len) {
		u64 n = odp_span_page_left(sp, off);
		void *kaddr = odp_span_kmap(sp, off);

		if (!kaddr)
			return -ENOENT;
		if (sp->store)
			memcpy(kaddr, buf + off, n);
		else
			memcpy(buf + off, kaddr, n);
		kunmap_local(kaddr);
		off += n;
	}
	return 0;
}

/* Copy between @buf and the transfer, a span at a time. */
static int odp_io_xfer(struct odp_io *io, void *buf, size_t len, bool store)
{
	size_t done = 0;
	int ret = 0;

	while (done < len) {
		struct odp_span sp;

		ret = odp_span_begin(io, min3((u64)(len - done),
					      (u64)ODP_SPAN_MAX, io->span),
				     store, &sp);
		if (ret)
			break;
		ret = odp_span_copy(&sp, buf + done);
		odp_span_end(&sp);
		if (ret)
			break;
		io->addr += sp.len;
		done += sp.len;
	}
	if (ret)
		io->err = ret;
	return ret;
}

/**
 * odp_mem_read() - the engine reads the next bytes of a transfer
 * @io: the transfer
 * @buf: kernel buffer
 * @len: bytes, within the transfer
 *
 * Context: process context (an engine worker or the poster), may sleep;
 * no lock held.
 * Return: 0, or the error of the fault that failed (also in @io->err).
 */
int odp_mem_read(struct odp_io *io, void *buf, size_t len)
{
	return odp_io_xfer(io, buf, len, false);
}

/**
 * odp_mem_write() - the engine writes the next bytes of a transfer
 * @io: the transfer (writing)
 * @buf: kernel buffer
 * @len: bytes, within the transfer
 *
 * Context: as odp_mem_read().
 * Return: as odp_mem_read().
 */
int odp_mem_write(struct odp_io *io, const void *buf, size_t len)
{
	return odp_io_xfer(io, (void *)buf, len, true);
}

/* Move @n bytes from one span to the other, page by page. */
static int odp_span_move(struct odp_span *dst, struct odp_span *src, u64 n)
{
	u64 off = 0;

	while (off < n) {
		u64 step = min3(n - off, odp_span_page_left(dst, off),
				odp_span_page_left(src, off));
		void *d = odp_span_kmap(dst, off), *s;

		if (!d)
			return -ENOENT;
		s = odp_span_kmap(src, off);
		if (!s) {
			kunmap_local(d);
			return -ENOENT;
		}
		/* Overlapping RDMA is undefined, but must not be unsafe. */
		memmove(d, s, step);
		kunmap_local(s);
		kunmap_local(d);
		off += step;
	}
	return 0;
}

/**
 * odp_mem_copy() - the engine moves a transfer from one MR to another
 * @dst: the destination transfer (writing)
 * @src: the source transfer, of the same length
 *
 * Both sides are in flight together, a span at a time, and the engine
 * copies page to page through both MTTs.  A side that misses is faulted
 * only once the other side's access has ended: a fault may wait for an
 * invalidation, which may wait for that access.
 *
 * Context: as odp_mem_read().
 * Return: 0, or an error; the failed side has it in its ->err.
 */
int odp_mem_copy(struct odp_io *dst, struct odp_io *src)
{
	int ret = 0;

	while (src->addr < src->end) {
		struct odp_span ss, ds;
		/* Spans shrink with the faults when invalidations win. */
		u64 n = min3(src->end - src->addr, (u64)ODP_SPAN_MAX,
			     min(src->span, dst->span));

		ret = odp_span_begin(src, n, false, &ss);
		if (ret) {
			src->err = ret;
			break;
		}
		ret = odp_span_try(dst, ss.len, true, &ds);
		if (ret) {
			odp_span_end(&ss);
			if (ret != -ENOENT && ret != -EAGAIN) {
				dst->err = ret;
				break;
			}
			ret = odp_io_fault(dst, dst->addr);
			if (ret) {
				dst->err = ret;
				break;
			}
			continue;
		}
		n = min(ss.len, ds.len);
		ret = odp_span_move(&ds, &ss, n);
		odp_span_end(&ds);
		odp_span_end(&ss);
		if (ret) {
			dst->err = ret;
			break;
		}
		src->addr += n;
		dst->addr += n;
		cond_resched();
	}
	return ret;
}

/**
 * odp_mem_atomic() - the engine's 8-byte atomic on an MR
 * @io: an 8-byte, 8-byte aligned transfer (writing)
 * @opcode: ODP_WR_ATOMIC_CMP_AND_SWP or ODP_WR_ATOMIC_FETCH_AND_ADD
 * @compare_add: the compared or added value
 * @swap: the value stored when CMP_AND_SWP compared equal
 * @orig: set to the value found
 *
 * One compare-and-exchange on the page the MTT names, in flight: atomic
 * with respect to the NIC's other atomics and to the CPU.
 *
 * Context: as odp_mem_read().
 * Return: as odp_mem_read().
 */
int odp_mem_atomic(struct odp_io *io, u32 opcode, u64 compare_add,
		   u64 swap, u64 *orig)
{
	struct odp_span sp;
	u64 *p, old, new;
	int ret;

	ret = odp_span_begin(io, sizeof(u64), true, &sp);
	if (ret) {
		io->err = ret;
		return ret;
	}
	p = odp_span_kmap(&sp, 0);
	if (!p) {
		odp_span_end(&sp);
		io->err = -ENOENT;
		return -ENOENT;
	}
	if (opcode == ODP_WR_ATOMIC_CMP_AND_SWP) {
		old = cmpxchg64(p, compare_add, swap);
	} else {
		new = READ_ONCE(*p);
		do {
			old = new;
			new = cmpxchg64(p, old, old + compare_add);
		} while (new != old);
	}
	*orig = old;
	kunmap_local(p);
	odp_span_end(&sp);
	io->addr += sizeof(u64);
	return 0;
}

/*
 * PREFETCH_NO_FAULT: map only what the CPU maps now.  A snapshot of the
 * CPU page tables finds the present pages; each run of them is faulted,
 * writable where the CPU allows writes and the MR does.  A page that
 * goes between the snapshot and the fault is faulted back in: the advice
 * is best effort, as in verbs.
 */
static int odp_prefetch_present(struct odp_mr *mr, u64 addr, u64 len)
{
	bool writable = mr->access & ODP_ACCESS_LOCAL_WRITE;
	unsigned long pfns[ODP_SNAP_BATCH];
	u64 hva = addr & PAGE_MASK;
	u64 end = PAGE_ALIGN(addr + len);
	int ret = 0;

	while (hva < end && !ret) {
		unsigned long n = min_t(u64, (end - hva) >> PAGE_SHIFT,
					ODP_SNAP_BATCH);
		unsigned long i, j;

		if (fatal_signal_pending(current))
			return -EINTR;
		ret = mmu_mirror_snapshot(mr->mirror, hva, n, pfns);
		if (ret)
			break;
		for (i = 0; i < n && !ret; i = j) {
			bool w = pfns[i] & HMM_PFN_WRITE;

			if (!(pfns[i] & HMM_PFN_VALID) ||
			    (pfns[i] & HMM_PFN_ERROR)) {
				j = i + 1;
				continue;
			}
			for (j = i + 1; j < n; j++)
				if (!(pfns[j] & HMM_PFN_VALID) ||
				    (pfns[j] & HMM_PFN_ERROR) ||
				    !(pfns[j] & HMM_PFN_WRITE) != !w)
					break;
			ret = odp_fault_range(mr, hva + (i << PAGE_SHIFT),
					      (j - i) << PAGE_SHIFT,
					      w && writable,
					      &mr->c.prefetch_pages);
		}
		hva += n << PAGE_SHIFT;
	}
	return ret;
}

/**
 * odp_prefetch() - map a range of an ODP MR ahead of traffic
 * @mr: the MR (a use held)
 * @addr: first user address, inside the MR
 * @len: bytes, inside the MR
 * @advice: ODP_ADVISE_PREFETCH, _PREFETCH_WRITE or _PREFETCH_NO_FAULT
 *
 * Context: process context, may sleep; no lock held.
 * Return: 0 or the first fault error.
 */
int odp_prefetch(struct odp_mr *mr, u64 addr, u64 len, u32 advice)
{
	int ret;

	if (!len)
		return 0;
	if (advice == ODP_ADVISE_PREFETCH_NO_FAULT)
		ret = odp_prefetch_present(mr, addr, len);
	else
		ret = odp_fault_range(mr, addr, len,
				      advice == ODP_ADVISE_PREFETCH_WRITE,
				      &mr->c.prefetch_pages);
	atomic64_inc(&mr->c.prefetches);
	return ret;
}

/**
 * struct odp_prefetch_work - an asynchronous prefetch
 * @work: on the engine's workqueue
 * @ctx: the PD (a reference)
 * @advice: ODP_ADVISE_PREFETCH*
 * @nr: entries in @sges and @mrs
 * @sges: the ranges
 * @mrs: their MRs, a use held on each
 */
struct odp_prefetch_work {
	struct work_struct work;
	struct odp_ctx *ctx;
	u32 advice;
	u32 nr;
	struct odp_sge sges[ODP_MAX_ADVISE_SGES];
	struct odp_mr *mrs[ODP_MAX_ADVISE_SGES];
};

static void odp_prefetch_fn(struct work_struct *work)
{
	struct odp_prefetch_work *pw =
		container_of(work, struct odp_prefetch_work, work);
	struct odp_ctx *ctx = pw->ctx;
	u32 i;

	/* Best effort: errors are dropped, as verbs' asynchronous advice. */
	for (i = 0; i < pw->nr; i++) {
		odp_prefetch(pw->mrs[i], pw->sges[i].addr, pw->sges[i].length,
			     pw->advice);
		odp_mr_put(pw->mrs[i]);
	}
	atomic_dec(&ctx->async_prefetches);
	kfree(pw);
	odp_ctx_put(ctx);
}

/* Look up and check the MRs of an advice; uses taken into @mrs. */
static int odp_advise_check(struct odp_ctx *ctx, u32 advice,
			    const struct odp_sge *sges, u32 nr,
			    struct odp_mr **mrs)
{
	u32 i;

	for (i = 0; i < nr; i++) {
		struct odp_mr *mr = odp_mr_get(ctx, sges[i].lkey);
		int ret = 0;

		if (!mr || (mr->flags & ODP_MR_PINNED))
			ret = -EINVAL;
		else if (!odp_mr_in_bounds(mr, sges[i].addr, sges[i].length))
			ret = -EFAULT;
		else if (advice == ODP_ADVISE_PREFETCH_WRITE &&
			 !(mr->access & ODP_ACCESS_LOCAL_WRITE))
			ret = -EACCES;
		if (ret) {
			if (mr)
				odp_mr_put(mr);
			while (i--)
				odp_mr_put(mrs[i]);
			return ret;
		}
		mrs[i] = mr;
	}
	return 0;
}

/**
 * odp_advise() - ODP_ADVISE_MR
 * @ctx: the PD
 * @adv: the request, copied in
 *
 * Context: process context of the PD's owner, may sleep.
 * Return: 0; -EINVAL for bad advice, flags, counts or keys, pinned MRs;
 * -EFAULT for bad pointers and ranges outside the MR; -EACCES for
 * PREFETCH_WRITE without LOCAL_WRITE; -EBUSY when ODP_MAX_ASYNC_PREFETCH
 * asynchronous prefetches are queued; -ENOMEM; a synchronous prefetch's
 * first fault error (-EFAULT, -EPERM, -EINTR, ...).
 */
int odp_advise(struct odp_ctx *ctx, struct odp_advise_mr *adv)
{
	struct odp_prefetch_work *pw;
	int ret = 0;
	u32 i;

	if (adv->advice > ODP_ADVISE_PREFETCH_NO_FAULT || adv->reserved ||
	    (adv->flags & ~ODP_ADVISE_FLAG_FLUSH) || !adv->nr_sge ||
	    adv->nr_sge > ODP_MAX_ADVISE_SGES)
		return -EINVAL;
	pw = kzalloc(sizeof(*pw), GFP_KERNEL);
	if (!pw)
		return -ENOMEM;
	if (copy_from_user(pw->sges, u64_to_user_ptr(adv->sges),
			   adv->nr_sge * sizeof(pw->sges[0]))) {
		kfree(pw);
		return -EFAULT;
	}
	ret = odp_advise_check(ctx, adv->advice, pw->sges, adv->nr_sge,
			       pw->mrs);
	if (ret) {
		kfree(pw);
		return ret;
	}
	pw->nr = adv->nr_sge;
	pw->advice = adv->advice;
	if (!(adv->flags & ODP_ADVISE_FLAG_FLUSH) &&
	    atomic_inc_return(&ctx->async_prefetches) <=
	    ODP_MAX_ASYNC_PREFETCH) {
		kref_get(&ctx->ref);
		pw->ctx = ctx;
		INIT_WORK(&pw->work, odp_prefetch_fn);
		queue_work(ctx->dev->wq, &pw->work);
		return 0;
	}
	if (!(adv->flags & ODP_ADVISE_FLAG_FLUSH)) {
		atomic_dec(&ctx->async_prefetches);
		ret = -EBUSY;
	}
	for (i = 0; i < pw->nr; i++) {
		if (!ret)
			ret = odp_prefetch(pw->mrs[i], pw->sges[i].addr,
					   pw->sges[i].length, pw->advice);
		odp_mr_put(pw->mrs[i]);
	}
	kfree(pw);
	return ret;
}
