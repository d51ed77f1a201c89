// SPDX-License-Identifier: GPL-2.0
/*
 * mmu_mirror_tlb.c - a device TLB in front of the helper's table
 *
 * A real secondary MMU does not walk its page table on every access: it
 * caches translations, and only its flush makes it forget them.  This
 * file gives the software devices such a cache, so that a flush that is
 * missing or late shows as the device using a page the process no longer
 * maps, as it would on hardware.
 *
 * An access looks its page up in the TLB (direct-mapped, a few dozen
 * entries).  A hit copies through the cached address and never touches
 * the helper's table.  A miss asks mmu_mirror_translate(), which sets the
 * table entry's accessed bit (and dirty bit for a write), and fills the
 * entry.  Rules:
 *
 *  - The copy of a hit runs under tlb->lock, and mmu_mirror_tlb_flush()
 *    takes tlb->lock.  The driver's flush runs under mirror->lock before
 *    the invalidation returns, and the core VM frees a page only after
 *    that: so a hit always copies to or from a live page.
 *  - mmu_mirror_translate() drops mirror->lock before the fill, and the
 *    entry it found may be removed and flushed meanwhile.  Every flush
 *    bumps tlb->gen; a fill whose lookup started under an older gen is
 *    given up and that one access goes through mmu_mirror_access()
 *    instead.  A removal whose flush is still to come is harmless: that
 *    flush will drop the new entry.
 *  - An entry filled by a read serves only reads: a write looks the
 *    table up again with MMU_MIRROR_WRITE, which checks write permission
 *    and marks the entry dirty, so the core VM learns of the write when
 *    the entry is removed.  The helper clears dirty bits only by removing
 *    entries, so an entry filled by a write stays covered until the flush
 *    that drops it.
 *  - Hits set no accessed bit.  An aging pass that cleared accessed bits
 *    bumps mirror->age_epoch; the next access drops every entry, so the
 *    device's following accesses walk the table and set the bits again,
 *    as a hardware TLB is flushed after clear_flush_young.
 */
#include <linux/pfn.h>
#include <linux/seq_file.h>
#include "mmu_mirror_internal.h"

static atomic_t mmu_mirror_tlb_ids = ATOMIC_INIT(0);

static struct mmu_mirror_tlb_entry *tlb_entry(struct mmu_mirror_tlb *tlb,
					      u64 sva)
{
	return &tlb->entries[(sva >> PAGE_SHIFT) % MMU_MIRROR_TLB_ENTRIES];
}

/* Drop every entry and abandon fills in flight; returns entries dropped. */
static unsigned int tlb_clear(struct mmu_mirror_tlb *tlb)
{
	unsigned int i, n = 0;

	lockdep_assert_held(&tlb->lock);
	tlb->gen++;
	for (i = 0; i < MMU_MIRROR_TLB_ENTRIES; i++) {
		n += !!(tlb->entries[i].tag & MMU_MIRROR_TLB_VALID);
		tlb->entries[i].tag = 0;
	}
	return n;
}

/* An aging pass cleared accessed bits since the last check: drop all. */
static void tlb_check_age(struct mmu_mirror_tlb *tlb)
{
	unsigned long epoch = READ_ONCE(tlb->mirror->age_epoch);

	lockdep_assert_held(&tlb->lock);
	if (likely(epoch == tlb->age_epoch))
		return;
	tlb->age_epoch = epoch;
	if (tlb_clear(tlb))
		tlb->stats.age_resets++;
}

/* Copy @len bytes (inside one page) at @sva through the page at @addr. */
static void tlb_copy(u64 addr, u64 sva, void *buf, size_t len, bool write)
{
	void *kaddr = kmap_local_page(pfn_to_page(PHYS_PFN(addr)));

	mmu_mirror_copy_words(kaddr + offset_in_page(sva), buf, len, write);
	kunmap_local(kaddr);
}

/* Serve one piece inside a single page from the TLB; true on a hit. */
static bool tlb_hit(struct mmu_mirror_tlb *tlb, u64 sva, void *buf,
		    size_t len, bool write, u64 *gen)
{
	struct mmu_mirror_tlb_entry *e = tlb_entry(tlb, sva);
	u64 tag = (sva & PAGE_MASK) | MMU_MIRROR_TLB_VALID;

	spin_lock(&tlb->lock);
	tlb_check_age(tlb);
	if ((e->tag & ~MMU_MIRROR_TLB_WRITE) == tag &&
	    (!write || (e->tag & MMU_MIRROR_TLB_WRITE))) {
		tlb->stats.hits++;
		tlb_copy(e->addr, sva, buf, len, write);
		spin_unlock(&tlb->lock);
		return true;
	}
	tlb->stats.misses++;
	*gen = tlb->gen;
	spin_unlock(&tlb->lock);
	return false;
}

/*
 * Fill the entry of @sva with the page at @addr that a lookup begun under
 * @gen returned, and copy through it; false if a flush ran meanwhile.
 */
static bool tlb_fill(struct mmu_mirror_tlb *tlb, u64 sva, u64 addr,
		     void *buf, size_t len, bool write, u64 gen)
{
	struct mmu_mirror_tlb_entry *e = tlb_entry(tlb, sva);

	spin_lock(&tlb->lock);
	if (tlb->gen != gen) {
		tlb->stats.fill_races++;
		spin_unlock(&tlb->lock);
		return false;
	}
	e->tag = (sva & PAGE_MASK) | MMU_MIRROR_TLB_VALID |
		 (write ? MMU_MIRROR_TLB_WRITE : 0);
	e->addr = addr;
	tlb_copy(addr, sva, buf, len, write);
	spin_unlock(&tlb->lock);
	return true;
}

/* One piece inside a single page: hit, or look up, fill and copy. */
static int tlb_access_page(struct mmu_mirror_tlb *tlb, u64 sva, void *buf,
			   size_t len, unsigned int access)
{
	bool write = access & MMU_MIRROR_WRITE;
	size_t done;
	u64 gen, addr;
	int ret;

	if (tlb_hit(tlb, sva, buf, len, write, &gen))
		return 0;
	ret = mmu_mirror_translate(tlb->mirror, sva, access, &addr);
	if (ret)
		return ret;
	if (tlb_fill(tlb, sva, addr, buf, len, write, gen))
		return 0;
	/* The answer may be stale: this once, copy under mirror->lock. */
	return mmu_mirror_access(tlb->mirror, sva, buf, len, access, &done);
}

static int mmu_mirror_tlb_show(struct seq_file *m, void *unused)
{
	struct mmu_mirror_tlb *tlb = m->private;
	struct mmu_mirror_tlb_entry e[MMU_MIRROR_TLB_ENTRIES];
	struct mmu_mirror_tlb_stats st;
	unsigned int i;

	spin_lock(&tlb->lock);
	st = tlb->stats;
	memcpy(e, tlb->entries, sizeof(e));
	spin_unlock(&tlb->lock);
	seq_printf(m, "hits %llu\n", st.hits);
	seq_printf(m, "misses %llu\n", st.misses);
	seq_printf(m, "emptied %llu\n", st.emptied);
	seq_printf(m, "dropped %llu\n", st.dropped);
	seq_printf(m, "fill_races %llu\n", st.fill_races);
	seq_printf(m, "age_resets %llu\n", st.age_resets);
	for (i = 0; i < MMU_MIRROR_TLB_ENTRIES; i++)
		if (e[i].tag & MMU_MIRROR_TLB_VALID)
			seq_printf(m, "entry %u sva %#llx %s\n", i,
				   e[i].tag & PAGE_MASK,
				   e[i].tag & MMU_MIRROR_TLB_WRITE ? "rw" :
								     "r");
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mmu_mirror_tlb);

/**
 * mmu_mirror_tlb_init() - set up a device TLB for a mirror
 * @tlb: the TLB, in the driver's device context
 * @mirror: the mirror it caches translations of
 *
 * Starts empty.  The TLB appears in the mirror's debugfs directory as
 * "tlb-<n>" (its counters and entries).
 *
 * Context: process context; before the device's first access through
 * @tlb and before the mirror's first window.
 */
void mmu_mirror_tlb_init(struct mmu_mirror_tlb *tlb,
			 struct mmu_mirror *mirror)
{
	char name[24];

	memset(tlb, 0, sizeof(*tlb));
	spin_lock_init(&tlb->lock);
	tlb->mirror = mirror;
	tlb->age_epoch = READ_ONCE(mirror->age_epoch);
	/* Goes with the mirror's directory; debugfs being optional. */
	if (IS_ERR_OR_NULL(mirror->debugfs))
		return;
	snprintf(name, sizeof(name), "tlb-%d",
		 atomic_inc_return(&mmu_mirror_tlb_ids));
	debugfs_create_file(name, 0400, mirror->debugfs, tlb,
			    &mmu_mirror_tlb_fops);
}
EXPORT_SYMBOL_GPL(mmu_mirror_tlb_init);

/**
 * mmu_mirror_tlb_access() - the device reads or writes through its TLB
 * @tlb: the device's TLB
 * @sva: secondary address, any alignment
 * @buf: kernel buffer of @len bytes
 * @len: bytes to copy
 * @access: 0 to read into @buf, MMU_MIRROR_WRITE to write from it
 * @done: set to the number of bytes copied
 *
 * Same contract as mmu_mirror_access(), with a TLB in front: each page is
 * looked up in @tlb first, and only a miss consults the helper's table
 * (mmu_mirror_translate()) and fills an entry.  A write is served only by
 * an entry that was filled by a write.
 *
 * Context: does not sleep; takes @tlb->lock and the mirror's lock (not
 * together), so not from interrupt context and with neither held.
 * Return: 0 when all @len bytes were copied, -EFAULT (nothing copied) if
 * [@sva, @sva + @len) wraps or reaches above MMU_MIRROR_SVA_LIMIT,
 * -ENOENT at the first page that the helper's table does not map (or not
 * writable, for a write): the caller faults [@sva + *@done, ...) in with
 * mmu_mirror_fault() and calls again for the rest.
 */
int mmu_mirror_tlb_access(struct mmu_mirror_tlb *tlb, u64 sva, void *buf,
			  size_t len, unsigned int access, size_t *done)
{
	size_t copied = 0;
	int ret = 0;

	*done = 0;
	if (sva >= MMU_MIRROR_SVA_LIMIT || len > MMU_MIRROR_SVA_LIMIT - sva)
		return -EFAULT;
	while (copied < len) {
		size_t n = min_t(size_t, len - copied,
				 PAGE_SIZE - offset_in_page(sva + copied));

		ret = tlb_access_page(tlb, sva + copied, buf + copied, n,
				      access & MMU_MIRROR_WRITE);
		if (ret)
			break;
		copied += n;
	}
	*done = copied;
	return ret;
}
EXPORT_SYMBOL_GPL(mmu_mirror_tlb_access);

/**
 * mmu_mirror_tlb_flush() - empty a device TLB
 * @tlb: the TLB
 *
 * Drops every entry, waits for a copy through one to finish, and makes
 * fills that looked the table up before this call give up.  Call it from
 * the driver's &mmu_mirror_ops.flush; once it returns the device uses no
 * translation the helper removed before the flush.
 *
 * Context: any context that may take a spinlock, without @tlb->lock held;
 * normally under mirror->lock (the helper's flush).  Never sleeps.
 */
void mmu_mirror_tlb_flush(struct mmu_mirror_tlb *tlb)
{
	unsigned int n;

	spin_lock(&tlb->lock);
	n = tlb_clear(tlb);
	tlb->stats.emptied++;
	tlb->stats.dropped += n;
	spin_unlock(&tlb->lock);
}
EXPORT_SYMBOL_GPL(mmu_mirror_tlb_flush);

/**
 * mmu_mirror_tlb_revoke_writes() - take write permission from every entry
 * @tlb: the TLB
 *
 * **Not a flush.**  Entries stay and keep serving reads, also of pages
 * the process no longer maps; only writes must look the table up again.
 * For fault-injection tests that show what a missing flush does, without
 * letting the device write to a page that may have been freed.  Makes
 * fills in flight give up, as a flush does.
 *
 * Context: as mmu_mirror_tlb_flush().
 */
void mmu_mirror_tlb_revoke_writes(struct mmu_mirror_tlb *tlb)
{
	unsigned int i;

	spin_lock(&tlb->lock);
	tlb->gen++;
	for (i = 0; i < MMU_MIRROR_TLB_ENTRIES; i++)
		tlb->entries[i].tag &= ~MMU_MIRROR_TLB_WRITE;
	spin_unlock(&tlb->lock);
}
EXPORT_SYMBOL_GPL(mmu_mirror_tlb_revoke_writes);

/**
 * mmu_mirror_tlb_get_stats() - read a device TLB's counters
 * @tlb: the TLB
 * @stats: filled with the current values
 *
 * Context: as mmu_mirror_tlb_flush().
 */
void mmu_mirror_tlb_get_stats(struct mmu_mirror_tlb *tlb,
			      struct mmu_mirror_tlb_stats *stats)
{
	spin_lock(&tlb->lock);
	*stats = tlb->stats;
	spin_unlock(&tlb->lock);
}
EXPORT_SYMBOL_GPL(mmu_mirror_tlb_get_stats);
