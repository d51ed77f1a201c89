// SPDX-License-Identifier: GPL-2.0
/*
 * odp_mr.c - memory regions of the RDMA-style NIC
 *
 * An explicit MR (ODP or pinned) is one window of its PD's ODP or pinned
 * mirror, at a secondary range of its own (odp_core.h), with one
 * translation table (MTT) in the NIC's format.  The implicit MR covers
 * the whole user address space; it has no window of its own: each 1 GiB
 * child gets a window and a table on the engine's first fault there
 * (odp_child_get()) and is freed when invalidations have emptied it.
 *
 * The helper programs the tables through the map, unmap and harvest
 * operations below, under mirror->lock; ctx->tables_lock finds the table
 * of a secondary address.
 */
#include <linux/err.h>
#include <linux/mm.h>
#include <linux/nospec.h>
#include <linux/sched/mm.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/mmu_mirror.h>
#include "odp_core.h"

/* The user address space the NIC can reach, as the CPU's. */
#define ODP_ADDR_LIMIT		(TASK_SIZE_MAX & PAGE_MASK)

#define ODP_ACCESS_ALL	(ODP_ACCESS_LOCAL_WRITE | ODP_ACCESS_REMOTE_WRITE | \
			 ODP_ACCESS_REMOTE_READ | ODP_ACCESS_REMOTE_ATOMIC | \
			 ODP_ACCESS_ON_DEMAND)

/* ---- translation tables ---- */

static int odp_mtt_init(struct odp_mtt *mtt, u64 sva, u64 npages)
{
	mtt->sva = sva;
	mtt->npages = npages;
	mtt->nleaves = DIV_ROUND_UP(npages, ODP_MTT_LEAF_ENTRIES);
	mtt->leaves = kvcalloc(mtt->nleaves, sizeof(*mtt->leaves),
			       GFP_KERNEL_ACCOUNT);
	if (!mtt->leaves)
		return -ENOMEM;
	atomic64_set(&mtt->present, 0);
	mtt->node.start = sva;
	mtt->node.last = sva + (npages << PAGE_SHIFT) - 1;
	return 0;
}

static void odp_mtt_free(struct odp_mtt *mtt)
{
	unsigned int i;

	if (!mtt->leaves)
		return;
	for (i = 0; i < mtt->nleaves; i++)
		kfree(mtt->leaves[i]);
	kvfree(mtt->leaves);
	mtt->leaves = NULL;
}

static void odp_mtt_link(struct odp_ctx *ctx, struct odp_mtt *mtt)
{
	spin_lock(&ctx->tables_lock);
	interval_tree_insert(&mtt->node, &ctx->mtt_tree);
	spin_unlock(&ctx->tables_lock);
}

static void odp_mtt_unlink(struct odp_ctx *ctx, struct odp_mtt *mtt)
{
	spin_lock(&ctx->tables_lock);
	interval_tree_remove(&mtt->node, &ctx->mtt_tree);
	spin_unlock(&ctx->tables_lock);
}

/* The leaf of slot @i, or NULL (see struct odp_mtt). */
static atomic64_t *odp_mtt_leaf(struct odp_mtt *mtt, u64 i)
{
	/*
	 * A slot is published once, by a cmpxchg() (fully ordered) after
	 * the leaf was zeroed: pairs with it, so a reader that finds the
	 * leaf also sees its zeroed entries.
	 */
	return smp_load_acquire(&mtt->leaves[i]);
}

/**
 * odp_mtt_prepare() - allocate the table leaves a range will need
 * @mtt: the table
 * @sva: first secondary address of the range
 * @len: its length in bytes
 *
 * Called before a fault, so that the map operation, which runs under
 * the helper's spinlock, finds its leaves (it falls back to an atomic
 * allocation).  Leaves stay until the table is freed.
 *
 * Context: may sleep; no lock held.
 * Return: 0, or -ENOMEM.
 */
int odp_mtt_prepare(struct odp_mtt *mtt, u64 sva, u64 len)
{
	u64 first, last, i;

	if (!len || sva < mtt->sva)
		return 0;
	first = ((sva - mtt->sva) >> PAGE_SHIFT) >> ODP_MTT_LEAF_SHIFT;
	last = ((sva + len - 1 - mtt->sva) >> PAGE_SHIFT) >> ODP_MTT_LEAF_SHIFT;
	last = min_t(u64, last, mtt->nleaves - 1);
	for (i = first; i <= last; i++) {
		atomic64_t *leaf;

		if (odp_mtt_leaf(mtt, i))
			continue;
		leaf = kcalloc(ODP_MTT_LEAF_ENTRIES, sizeof(*leaf),
			       GFP_KERNEL_ACCOUNT);
		if (!leaf)
			return -ENOMEM;
		/* Publishes the zeroed leaf: pairs with odp_mtt_leaf(). */
		if (cmpxchg(&mtt->leaves[i], NULL, leaf))
			kfree(leaf);
	}
	return 0;
}

/**
 * odp_mtt_entry() - the table entry of a secondary address
 * @mtt: the table
 * @sva: a page-aligned secondary address inside it
 * @alloc: allocate the entry's leaf (GFP_ATOMIC, charged as the table's
 *	other leaves) if it has none
 *
 * Context: any context; the table must stay alive (the helper's lock, an
 * access in flight or a use of its MR or child held).
 * Return: the entry, or NULL when its leaf does not exist.
 */
atomic64_t *odp_mtt_entry(struct odp_mtt *mtt, u64 sva, bool alloc)
{
	u64 idx = (sva - mtt->sva) >> PAGE_SHIFT;
	atomic64_t **slot = &mtt->leaves[idx >> ODP_MTT_LEAF_SHIFT];
	atomic64_t *leaf = odp_mtt_leaf(mtt, idx >> ODP_MTT_LEAF_SHIFT);

	if (!leaf && alloc) {
		atomic64_t *old;

		leaf = kcalloc(ODP_MTT_LEAF_ENTRIES, sizeof(*leaf),
			       GFP_ATOMIC | __GFP_ACCOUNT);
		if (!leaf)
			return NULL;
		/*
		 * odp_mtt_prepare() may install one meanwhile; publishes
		 * the zeroed leaf, pairs with odp_mtt_leaf().
		 */
		old = cmpxchg(slot, NULL, leaf);
		if (old) {
			kfree(leaf);
			leaf = old;
		}
	}
	return leaf ? &leaf[idx & (ODP_MTT_LEAF_ENTRIES - 1)] : NULL;
}

/* The MR that owns @mtt. */
static struct odp_mr *odp_mtt_mr(struct odp_mtt *mtt)
{
	if (mtt->sva >= ODP_IMPLICIT_SVA)
		return container_of(mtt, struct odp_child, mtt)->mr;
	return container_of(mtt, struct odp_mr, mtt);
}

/* The table holding @sva; ctx->tables_lock held. */
static struct odp_mtt *odp_mtt_find(struct odp_ctx *ctx, u64 sva)
{
	struct interval_tree_node *node;

	lockdep_assert_held(&ctx->tables_lock);
	node = interval_tree_iter_first(&ctx->mtt_tree, sva, sva);
	return node ? container_of(node, struct odp_mtt, node) : NULL;
}

/*
 * map: program @n entries of 4 KiB or 2 MiB at @sva.  A 2 MiB mapping
 * fills 512 consecutive entries marked HUGE.  The helper's table is the
 * source of truth; this one is what the engine reads.
 */
static int odp_op_map(struct mmu_mirror *mirror, u64 sva, const u64 *addrs,
		      unsigned int n, unsigned int flags)
{
	struct odp_ctx *ctx = mmu_mirror_priv(mirror);
	u64 size = flags & MMU_MIRROR_MAP_HUGE ? SZ_2M : PAGE_SIZE;
	u64 bits = ODP_MTT_VALID;
	struct odp_mtt *mtt = NULL;
	unsigned int i;
	u64 off;
	int ret = 0;

	if (flags & MMU_MIRROR_MAP_WRITE)
		bits |= ODP_MTT_WRITE;
	if (flags & MMU_MIRROR_MAP_HUGE)
		bits |= ODP_MTT_HUGE;
	spin_lock(&ctx->tables_lock);
	for (i = 0; i < n && !ret; i++) {
		for (off = 0; off < size; off += PAGE_SIZE) {
			u64 s = sva + i * size + off;
			atomic64_t *e;

			if (!mtt || s > mtt->node.last)
				mtt = odp_mtt_find(ctx, s);
			e = mtt ? odp_mtt_entry(mtt, s, true) : NULL;
			if (!e) {
				ret = mtt ? -ENOMEM : -EFAULT;
				break;
			}
			if (!(atomic64_read(e) & ODP_MTT_VALID)) {
				atomic64_inc(&mtt->present);
				atomic64_inc(&odp_mtt_mr(mtt)->c.mapped);
			}
			if (mtt->sva >= ODP_IMPLICIT_SVA)
				container_of(mtt, struct odp_child,
					     mtt)->was_mapped = true;
			atomic64_set(e, (addrs[i] + off) | bits);
		}
	}
	spin_unlock(&ctx->tables_lock);
	return ret;
}

/* Clear the entries of [sva, sva + size) in @mtt; returns pages cleared. */
static u64 odp_mtt_clear(struct odp_mtt *mtt, u64 sva, u64 size, u64 *dirty)
{
	u64 end = min_t(u64, sva + size, mtt->node.last + 1);
	u64 s, cleared = 0;

	for (s = max(sva, mtt->sva); s < end; s += PAGE_SIZE) {
		atomic64_t *e = odp_mtt_entry(mtt, s, false);
		u64 old;

		if (!e)
			continue;
		old = atomic64_xchg(e, 0);
		if (!(old & ODP_MTT_VALID))
			continue;
		cleared++;
		if (old & ODP_MTT_DIRTY)
			(*dirty)++;
	}
	atomic64_sub(cleared, &mtt->present);
	return cleared;
}

/*
 * An implicit child lost its last entry or its last user: let the reaper
 * look at it.  ctx->tables_lock held.
 */
static void odp_child_maybe_empty(struct odp_child *child)
{
	lockdep_assert_held(&child->mr->ctx->tables_lock);
	if (!atomic64_read(&child->mtt.present) && child->was_mapped &&
	    !atomic_read(&child->users))
		queue_work(child->mr->ctx->dev->wq, &child->mr->reap_work);
}

/* unmap: the helper removed [sva, sva + size); counted per MR. */
static void odp_op_unmap(struct mmu_mirror *mirror, u64 sva, u64 size)
{
	struct odp_ctx *ctx = mmu_mirror_priv(mirror);
	u64 s = sva, end = sva + size;

	spin_lock(&ctx->tables_lock);
	while (s < end) {
		struct odp_mtt *mtt = odp_mtt_find(ctx, s);
		u64 dirty = 0, cleared, next;
		struct odp_mr *mr;

		if (!mtt) {
			/* A gap (a child being freed): skip a page. */
			s += PAGE_SIZE;
			continue;
		}
		next = min_t(u64, end, mtt->node.last + 1);
		cleared = odp_mtt_clear(mtt, s, next - s, &dirty);
		mr = odp_mtt_mr(mtt);
		if (cleared) {
			atomic64_inc(&mr->c.invalidations);
			atomic64_add(cleared, &mr->c.invalidated_pages);
			atomic64_add(dirty, &mr->c.dirty_pages);
		}
		if (mtt->sva >= ODP_IMPLICIT_SVA)
			odp_child_maybe_empty(container_of(mtt,
							   struct odp_child,
							   mtt));
		s = next;
	}
	spin_unlock(&ctx->tables_lock);
}

/* harvest: the accessed and dirty bits the engine set in one entry. */
static unsigned int odp_op_harvest(struct mmu_mirror *mirror, u64 sva,
				   u64 size, bool clear)
{
	struct odp_ctx *ctx = mmu_mirror_priv(mirror);
	unsigned int ret = 0;
	struct odp_mtt *mtt;
	u64 s;

	spin_lock(&ctx->tables_lock);
	mtt = odp_mtt_find(ctx, sva);
	for (s = sva; mtt && s < sva + size && s <= mtt->node.last;
	     s += PAGE_SIZE) {
		atomic64_t *e = odp_mtt_entry(mtt, s, false);
		u64 v;

		if (!e)
			continue;
		v = atomic64_read(e);
		if (v & ODP_MTT_ACCESSED)
			ret |= MMU_MIRROR_HARVEST_YOUNG;
		if (v & ODP_MTT_DIRTY)
			ret |= MMU_MIRROR_HARVEST_DIRTY;
		if (clear && (v & ODP_MTT_ACCESSED))
			atomic64_andnot(ODP_MTT_ACCESSED, e);
	}
	spin_unlock(&ctx->tables_lock);
	return ret;
}

/*
 * flush: the NIC caches no translation beyond its tables, which unmap
 * has already cleared; count what a real NIC's cache flush would cost.
 */
static void odp_op_flush(struct mmu_mirror *mirror)
{
	struct odp_ctx *ctx = mmu_mirror_priv(mirror);

	if (mirror == ctx->pin_mirror)
		atomic64_inc(&ctx->pin_flushes);
	else
		atomic64_inc(&ctx->odp_flushes);
}

const struct mmu_mirror_ops odp_mirror_ops = {
	.flush = odp_op_flush,
	.map = odp_op_map,
	.unmap = odp_op_unmap,
	.harvest = odp_op_harvest,
};

/* ---- keys and lookups ---- */

static inline unsigned int odp_key_index(u32 key)
{
	return key >> 8;
}

/**
 * odp_mr_get() - find an MR by key and take a use of it
 * @ctx: the PD
 * @key: an lkey or rkey of the PD
 *
 * Context: any context except under the helper's locks; takes
 * ctx->mr_lock.
 * Return: the MR, or NULL for an unknown or stale key or an MR being
 * deregistered.
 */
struct odp_mr *odp_mr_get(struct odp_ctx *ctx, u32 key)
{
	unsigned int idx = odp_key_index(key);
	struct odp_mr *mr;

	if (idx >= ODP_MAX_MRS)
		return NULL;
	idx = array_index_nospec(idx, ODP_MAX_MRS);
	spin_lock(&ctx->mr_lock);
	mr = ctx->mrs[idx];
	if (mr && (mr->lkey != key || mr->dead))
		mr = NULL;
	if (mr)
		atomic_inc(&mr->users);
	spin_unlock(&ctx->mr_lock);
	return mr;
}

/**
 * odp_mr_put() - end a use taken by odp_mr_get()
 * @mr: the MR
 *
 * Context: any context; never sleeps.
 */
void odp_mr_put(struct odp_mr *mr)
{
	struct odp_ctx *ctx = mr->ctx;

	if (atomic_dec_and_test(&mr->users))
		wake_up_all(&ctx->mr_wait);
}

/**
 * odp_mr_in_bounds() - does [@addr, @addr + @len) lie inside the MR?
 * @mr: the MR
 * @addr: user address
 * @len: bytes
 *
 * Context: any context.
 * Return: true if it does (an empty range inside or at the end too).
 */
bool odp_mr_in_bounds(const struct odp_mr *mr, u64 addr, u64 len)
{
	return addr >= mr->addr && len <= mr->length &&
	       addr - mr->addr <= mr->length - len;
}

/**
 * odp_mr_sva() - the secondary address of a user address of the MR
 * @mr: the MR
 * @addr: user address inside it
 *
 * Context: any context.
 * Return: the secondary address in @mr->mirror.
 */
u64 odp_mr_sva(const struct odp_mr *mr, u64 addr)
{
	if (mr->flags & ODP_MR_IMPLICIT)
		return ODP_IMPLICIT_SVA + addr;
	return mr->mtt.sva + (addr - (mr->addr & PAGE_MASK));
}

/* ---- implicit ODP children ---- */

/* Find the child of @index and take a use of it; tables_lock held. */
static struct odp_child *odp_child_lookup(struct odp_mr *mr, u64 index)
{
	struct odp_mtt *mtt;
	struct odp_child *child;

	mtt = odp_mtt_find(mr->ctx, ODP_IMPLICIT_SVA +
				    (index << ODP_CHILD_SHIFT));
	if (!mtt)
		return NULL;
	child = container_of(mtt, struct odp_child, mtt);
	atomic_inc(&child->users);
	return child;
}

static struct odp_child *odp_child_create(struct odp_mr *mr, u64 index)
{
	u64 hva = index << ODP_CHILD_SHIFT;
	u64 size = min_t(u64, ODP_CHILD_SIZE, ODP_ADDR_LIMIT - hva);
	struct odp_ctx *ctx = mr->ctx;
	struct odp_child *child;
	int ret;

	lockdep_assert_held(&mr->child_mutex);
	if (mr->nr_children >= ODP_MAX_CHILDREN)
		return ERR_PTR(-ENOSPC);
	child = kzalloc(sizeof(*child), GFP_KERNEL_ACCOUNT);
	if (!child)
		return ERR_PTR(-ENOMEM);
	child->mr = mr;
	child->index = index;
	atomic_set(&child->users, 1);
	ret = odp_mtt_init(&child->mtt, ODP_IMPLICIT_SVA + hva,
			   size >> PAGE_SHIFT);
	if (ret)
		goto err_free;
	child->win = mmu_mirror_window_add(mr->mirror, hva, size,
					   ODP_IMPLICIT_SVA + hva, 0);
	if (IS_ERR(child->win)) {
		ret = PTR_ERR(child->win);
		goto err_free;
	}
	/*
	 * Only now can odp_child_get() find it: a fault of another engine
	 * worker that found a child without its window would fail with
	 * -EFAULT.  Until the table is linked, the window has nothing
	 * mapped, and an unmap operation skips the gap.
	 */
	odp_mtt_link(ctx, &child->mtt);
	list_add_tail(&child->list, &mr->children);
	WRITE_ONCE(mr->nr_children, mr->nr_children + 1);
	atomic64_inc(&mr->c.children_created);
	return child;

err_free:
	odp_mtt_free(&child->mtt);
	kfree(child);
	return ERR_PTR(ret);
}

/**
 * odp_child_get() - the child of an implicit MR covering an address
 * @mr: the implicit MR (a use held)
 * @addr: user address below the address space's end
 * @create: create the child if it does not exist
 *
 * Context: may sleep when @create; takes mr->child_mutex then, and the
 * helper's window locks to add the child's window.
 * Return: the child with a use taken (odp_child_put()), NULL when it
 * does not exist and @create is false, or an ERR_PTR() (-ENOSPC beyond
 * ODP_MAX_CHILDREN, -ENOMEM, -ESRCH when the mm has exited).
 */
struct odp_child *odp_child_get(struct odp_mr *mr, u64 addr, bool create)
{
	u64 index = addr >> ODP_CHILD_SHIFT;
	struct odp_child *child;

	spin_lock(&mr->ctx->tables_lock);
	child = odp_child_lookup(mr, index);
	spin_unlock(&mr->ctx->tables_lock);
	if (child || !create)
		return child;

	mutex_lock(&mr->child_mutex);
	spin_lock(&mr->ctx->tables_lock);
	child = odp_child_lookup(mr, index);
	spin_unlock(&mr->ctx->tables_lock);
	if (!child)
		child = odp_child_create(mr, index);
	mutex_unlock(&mr->child_mutex);
	return child;
}

/**
 * odp_child_put() - end a use taken by odp_child_get()
 * @child: the child
 *
 * Context: any context; never sleeps.
 */
void odp_child_put(struct odp_child *child)
{
	struct odp_ctx *ctx = child->mr->ctx;

	/* Under tables_lock, so the reaper cannot free it meanwhile. */
	spin_lock(&ctx->tables_lock);
	if (atomic_dec_and_test(&child->users))
		odp_child_maybe_empty(child);
	spin_unlock(&ctx->tables_lock);
}

/*
 * Free a child already taken out of the lookup tree (so no new use can
 * begin) that nobody uses; its window goes with its entries.  Unmap
 * operations of that removal find no table and skip it.
 */
static void odp_child_free(struct odp_child *child)
{
	struct odp_mr *mr = child->mr;

	lockdep_assert_held(&mr->child_mutex);
	mmu_mirror_window_remove(mr->mirror, child->win);
	list_del(&child->list);
	WRITE_ONCE(mr->nr_children, mr->nr_children - 1);
	odp_mtt_free(&child->mtt);
	kfree(child);
}

/*
 * Free the children that invalidations emptied.  A child leaves the
 * lookup tree while nobody uses it, under tables_lock, so no new use can
 * begin; a fault that wants it again creates a new one after this.
 */
static void odp_mr_reap(struct work_struct *work)
{
	struct odp_mr *mr = container_of(work, struct odp_mr, reap_work);
	struct odp_child *child, *next;

	mutex_lock(&mr->child_mutex);
	list_for_each_entry_safe(child, next, &mr->children, list) {
		bool idle;

		spin_lock(&mr->ctx->tables_lock);
		idle = child->was_mapped && !atomic_read(&child->users) &&
		       !atomic64_read(&child->mtt.present);
		if (idle)
			interval_tree_remove(&child->mtt.node,
					     &mr->ctx->mtt_tree);
		spin_unlock(&mr->ctx->tables_lock);
		if (!idle)
			continue;
		odp_child_free(child);
		atomic64_inc(&mr->c.children_freed);
	}
	mutex_unlock(&mr->child_mutex);
}

/* ---- registration ---- */

static struct mmu_mirror *odp_ctx_mirror(struct odp_ctx *ctx, bool pinned)
{
	struct mmu_mirror **slot = pinned ? &ctx->pin_mirror :
					    &ctx->odp_mirror;
	char name[32];

	lockdep_assert_held(&ctx->lock);
	if (*slot)
		return *slot;
	snprintf(name, sizeof(name), "odp_demo%d%s", ctx->id,
		 pinned ? "-pinned" : "");
	*slot = mmu_mirror_create(ctx->mm, &odp_mirror_ops,
				  pinned ? MMU_MIRROR_PINNED : 0, name, ctx);
	if (IS_ERR(*slot)) {
		struct mmu_mirror *err = *slot;

		*slot = NULL;
		return err;
	}
	return *slot;
}

static int odp_mr_check(const struct odp_ctx *ctx,
			const struct odp_reg_mr *reg)
{
	u32 access = reg->access;

	if ((access & ~ODP_ACCESS_ALL) || reg->reserved)
		return -EINVAL;
	if ((access & (ODP_ACCESS_REMOTE_WRITE | ODP_ACCESS_REMOTE_ATOMIC)) &&
	    !(access & ODP_ACCESS_LOCAL_WRITE))
		return -EINVAL;
	if (reg->length == ODP_IMPLICIT_LENGTH) {
		if (reg->addr || !(access & ODP_ACCESS_ON_DEMAND))
			return -EINVAL;
		return ctx->implicit ? -EBUSY : 0;
	}
	if (!reg->length || reg->length > ODP_MAX_MR_LENGTH ||
	    reg->addr + reg->length < reg->addr)
		return -EINVAL;
	if (reg->addr + reg->length > ODP_ADDR_LIMIT)
		return -EFAULT;
	return 0;
}

/* A free MR slot and a fresh key; ctx->lock held. */
static int odp_mr_slot(struct odp_ctx *ctx, struct odp_mr *mr)
{
	unsigned int i;

	lockdep_assert_held(&ctx->lock);
	for (i = 0; i < ODP_MAX_MRS; i++)
		if (!ctx->mrs[i])
			break;
	if (i == ODP_MAX_MRS)
		return -ENOSPC;
	mr->index = i;
	spin_lock(&ctx->mr_lock);
	mr->lkey = (i << 8) | ctx->key_gen++;
	spin_unlock(&ctx->mr_lock);
	return 0;
}

/* Window and table of an explicit or pinned MR. */
static int odp_mr_map_window(struct odp_ctx *ctx, struct odp_mr *mr)
{
	u64 hva = mr->addr & PAGE_MASK;
	u64 size = PAGE_ALIGN(mr->addr + mr->length) - hva;
	u64 sva = ((u64)(mr->index + 1) << ODP_SLOT_SHIFT) +
		  (hva & (SZ_2M - 1));
	bool pinned = mr->flags & ODP_MR_PINNED;
	bool writable = mr->access & ODP_ACCESS_LOCAL_WRITE;
	int ret;

	ret = odp_mtt_init(&mr->mtt, sva, size >> PAGE_SHIFT);
	if (ret)
		return ret;
	if (pinned) {
		ret = odp_mtt_prepare(&mr->mtt, sva, size);
		if (ret)
			goto err_free;
	}
	odp_mtt_link(ctx, &mr->mtt);
	mr->win = mmu_mirror_window_add(mr->mirror, hva, size, sva,
					writable ? 0 :
					MMU_MIRROR_WINDOW_READONLY);
	if (IS_ERR(mr->win)) {
		ret = PTR_ERR(mr->win);
		goto err_unlink;
	}
	if (!pinned)
		return 0;
	/* Before ODP: every page pinned now, in the registering context. */
	ret = mmu_mirror_fault(mr->mirror, sva, size,
			       writable ? MMU_MIRROR_WRITE : 0);
	if (!ret)
		return 0;
	mmu_mirror_window_remove(mr->mirror, mr->win);
err_unlink:
	odp_mtt_unlink(ctx, &mr->mtt);
err_free:
	odp_mtt_free(&mr->mtt);
	return ret;
}

/**
 * odp_mr_register() - ODP_REG_MR
 * @ctx: the PD
 * @reg: the request; keys filled in on success
 *
 * Context: process context of the PD's owner, may sleep; takes ctx->lock.
 * Return: 0; -EINVAL for bad flags or ranges; -EFAULT for a range beyond
 * the user address space; -EBUSY for a second implicit MR; -ENOSPC when
 * ODP_MAX_MRS are registered; -ENOMEM; for pinned MRs the error of
 * pinning (-EFAULT, -EPERM, -ENOMEM beyond RLIMIT_MEMLOCK, -EINTR).
 */
int odp_mr_register(struct odp_ctx *ctx, struct odp_reg_mr *reg)
{
	struct odp_mr *mr;
	int ret;

	mr = kzalloc(sizeof(*mr), GFP_KERNEL_ACCOUNT);
	if (!mr)
		return -ENOMEM;
	mr->ctx = ctx;
	mr->access = reg->access;
	mr->addr = reg->addr;
	mr->length = reg->length;
	atomic_set(&mr->users, 1);
	mutex_init(&mr->child_mutex);
	INIT_LIST_HEAD(&mr->children);
	INIT_WORK(&mr->reap_work, odp_mr_reap);
	if (!(reg->access & ODP_ACCESS_ON_DEMAND))
		mr->flags = ODP_MR_PINNED;
	else if (reg->length == ODP_IMPLICIT_LENGTH)
		mr->flags = ODP_MR_ODP | ODP_MR_IMPLICIT;
	else
		mr->flags = ODP_MR_ODP;

	mutex_lock(&ctx->lock);
	ret = odp_mr_check(ctx, reg);
	if (!ret)
		ret = odp_mr_slot(ctx, mr);
	if (ret)
		goto out_unlock;
	mr->mirror = odp_ctx_mirror(ctx, mr->flags & ODP_MR_PINNED);
	if (IS_ERR(mr->mirror)) {
		ret = PTR_ERR(mr->mirror);
		goto out_unlock;
	}
	if (mr->flags & ODP_MR_IMPLICIT) {
		mr->length = ODP_ADDR_LIMIT;
		ctx->implicit = mr;
	} else {
		ret = odp_mr_map_window(ctx, mr);
		if (ret)
			goto out_unlock;
	}
	spin_lock(&ctx->mr_lock);
	ctx->mrs[mr->index] = mr;
	spin_unlock(&ctx->mr_lock);
	ctx->nr_mrs++;
	reg->lkey = mr->lkey;
	reg->rkey = mr->lkey;
out_unlock:
	mutex_unlock(&ctx->lock);
	if (ret) {
		mutex_destroy(&mr->child_mutex);
		kfree(mr);
	}
	return ret;
}

/* Remove a dead MR that nobody uses any more; ctx->lock held. */
static void odp_mr_teardown(struct odp_ctx *ctx, struct odp_mr *mr)
{
	struct odp_child *child, *next;

	lockdep_assert_held(&ctx->lock);
	if (mr->flags & ODP_MR_IMPLICIT) {
		cancel_work_sync(&mr->reap_work);
		mutex_lock(&mr->child_mutex);
		list_for_each_entry_safe(child, next, &mr->children, list) {
			odp_mtt_unlink(ctx, &child->mtt);
			odp_child_free(child);
		}
		mutex_unlock(&mr->child_mutex);
		ctx->implicit = NULL;
	} else {
		mmu_mirror_window_remove(mr->mirror, mr->win);
		odp_mtt_unlink(ctx, &mr->mtt);
		odp_mtt_free(&mr->mtt);
	}
	ctx->nr_mrs--;
	mutex_destroy(&mr->child_mutex);
	kfree(mr);
}

/* Refuse new uses of @mr, wait for the running ones; ctx->lock held. */
static void odp_mr_kill(struct odp_ctx *ctx, struct odp_mr *mr)
{
	spin_lock(&ctx->mr_lock);
	mr->dead = true;
	ctx->mrs[mr->index] = NULL;
	spin_unlock(&ctx->mr_lock);
	odp_mr_put(mr);
	wait_event(ctx->mr_wait, !atomic_read(&mr->users));
	odp_mr_teardown(ctx, mr);
}

/**
 * odp_mr_deregister() - ODP_DEREG_MR
 * @ctx: the PD
 * @lkey: the MR's key
 *
 * New work finds the key invalid at once; work already using the MR
 * (the engine's transfers, prefetches) is waited for, so when this
 * returns the NIC no longer touches the MR's memory.
 *
 * Context: process context, may sleep; takes ctx->lock.
 * Return: 0, or -EINVAL for an unknown key.
 */
int odp_mr_deregister(struct odp_ctx *ctx, u32 lkey)
{
	struct odp_mr *mr;

	mutex_lock(&ctx->lock);
	mr = odp_mr_get(ctx, lkey);
	if (!mr) {
		mutex_unlock(&ctx->lock);
		return -EINVAL;
	}
	odp_mr_put(mr);
	odp_mr_kill(ctx, mr);
	mutex_unlock(&ctx->lock);
	return 0;
}

/**
 * odp_mr_deregister_all() - deregister every MR of a PD being closed
 * @ctx: the PD
 *
 * Context: process context, may sleep; takes ctx->lock.
 */
void odp_mr_deregister_all(struct odp_ctx *ctx)
{
	unsigned int i;

	mutex_lock(&ctx->lock);
	for (i = 0; i < ODP_MAX_MRS; i++) {
		struct odp_mr *mr = ctx->mrs[i];

		if (mr)
			odp_mr_kill(ctx, mr);
	}
	mutex_unlock(&ctx->lock);
}

/* Valid entries of an MR's tables; mr->child_mutex held if implicit. */
static u64 odp_mr_mtt_pages_locked(struct odp_mr *mr)
{
	struct odp_child *child;
	u64 n = 0;

	if (!(mr->flags & ODP_MR_IMPLICIT))
		return atomic64_read(&mr->mtt.present);
	lockdep_assert_held(&mr->child_mutex);
	list_for_each_entry(child, &mr->children, list)
		n += atomic64_read(&child->mtt.present);
	return n;
}

/**
 * odp_mr_mtt_pages() - pages an MR's translation tables map now
 * @mr: the MR (a use held)
 *
 * Context: process context, may sleep (takes mr->child_mutex).
 * Return: the number of valid 4 KiB entries.
 */
u64 odp_mr_mtt_pages(struct odp_mr *mr)
{
	u64 n;

	mutex_lock(&mr->child_mutex);
	n = odp_mr_mtt_pages_locked(mr);
	mutex_unlock(&mr->child_mutex);
	return n;
}

/**
 * odp_mr_query() - ODP_QUERY_MR
 * @ctx: the PD
 * @q: the query; everything but @q->lkey is filled in
 *
 * Context: process context, may sleep.
 * Return: 0, or -EINVAL for an unknown key.
 */
int odp_mr_query(struct odp_ctx *ctx, struct odp_mr_query *q)
{
	struct odp_mr *mr = odp_mr_get(ctx, q->lkey);
	u32 lkey = q->lkey;

	if (!mr)
		return -EINVAL;
	memset(q, 0, sizeof(*q));
	q->lkey = lkey;
	q->flags = mr->flags;
	q->addr = mr->addr;
	q->length = mr->flags & ODP_MR_IMPLICIT ? ODP_IMPLICIT_LENGTH :
						  mr->length;
	q->access = mr->access;
	/* The children's counters agree with each other under the mutex. */
	mutex_lock(&mr->child_mutex);
	q->children = mr->nr_children;
	q->children_created = atomic64_read(&mr->c.children_created);
	q->children_freed = atomic64_read(&mr->c.children_freed);
	q->mtt_pages = odp_mr_mtt_pages_locked(mr);
	mutex_unlock(&mr->child_mutex);
	q->faults = atomic64_read(&mr->c.faults);
	q->fault_pages = atomic64_read(&mr->c.fault_pages);
	q->invalidations = atomic64_read(&mr->c.invalidations);
	q->invalidated_pages = atomic64_read(&mr->c.invalidated_pages);
	q->prefetches = atomic64_read(&mr->c.prefetches);
	q->prefetch_pages = atomic64_read(&mr->c.prefetch_pages);
	q->fault_retries = atomic64_read(&mr->c.fault_retries);
	q->dirty_pages = atomic64_read(&mr->c.dirty_pages);
	odp_mr_put(mr);
	return 0;
}

/**
 * odp_ctx_walk_mtts() - report every valid entry of a PD's MTTs
 * @ctx: the PD
 * @nowait: give up instead of waiting for ctx->tables_lock
 * @fn: called with @arg, the entry's user address and physical address
 *	and whether its MR is pinned; must not sleep or call into the PD
 * @arg: for @fn
 *
 * For checkers (the userspace model's invariant checker) and debugging:
 * what the NIC could reach right now.
 *
 * Context: any context that may take a spinlock; takes ctx->tables_lock.
 * Return: false when @nowait and the lock was busy, true otherwise.
 */
bool odp_ctx_walk_mtts(struct odp_ctx *ctx, bool nowait, odp_mtt_visit_fn fn,
		       void *arg)
{
	struct interval_tree_node *node;

	if (!nowait)
		spin_lock(&ctx->tables_lock);
	else if (!spin_trylock(&ctx->tables_lock))
		return false;
	for (node = interval_tree_iter_first(&ctx->mtt_tree, 0, ULONG_MAX);
	     node; node = interval_tree_iter_next(node, 0, ULONG_MAX)) {
		struct odp_mtt *mtt = container_of(node, struct odp_mtt, node);
		struct odp_mr *mr = odp_mtt_mr(mtt);
		u64 hva0 = mtt->sva >= ODP_IMPLICIT_SVA ?
			   mtt->sva - ODP_IMPLICIT_SVA : mr->addr & PAGE_MASK;
		unsigned int l, j;

		for (l = 0; l < mtt->nleaves; l++) {
			atomic64_t *leaf = odp_mtt_leaf(mtt, l);

			for (j = 0; leaf && j < ODP_MTT_LEAF_ENTRIES; j++) {
				u64 i = ((u64)l << ODP_MTT_LEAF_SHIFT) + j;
				u64 v = atomic64_read(&leaf[j]);

				if (v & ODP_MTT_VALID)
					fn(arg, hva0 + (i << PAGE_SHIFT),
					   v & ~ODP_MTT_FLAGS,
					   mr->flags & ODP_MR_PINNED);
			}
		}
	}
	spin_unlock(&ctx->tables_lock);
	return true;
}

/**
 * odp_mr_show() - one debugfs line per MR of a PD
 * @ctx: the PD
 * @seq: the struct seq_file being written
 *
 * Context: process context, may sleep; takes ctx->lock.
 */
void odp_mr_show(struct odp_ctx *ctx, void *seq)
{
	struct seq_file *m = seq;
	unsigned int i;

	seq_puts(m, "lkey kind addr length access faults fault_pages invalidations invalidated_pages prefetches prefetch_pages mtt_pages children\n");
	mutex_lock(&ctx->lock);
	for (i = 0; i < ODP_MAX_MRS; i++) {
		struct odp_mr *mr = ctx->mrs[i];

		if (!mr)
			continue;
		seq_printf(m, "0x%x %s 0x%llx 0x%llx 0x%x %lld %lld %lld %lld %lld %lld %llu %u\n",
			   mr->lkey, mr->flags & ODP_MR_PINNED ? "pinned" :
			   mr->flags & ODP_MR_IMPLICIT ? "implicit" : "odp",
			   mr->addr, mr->length, mr->access,
			   atomic64_read(&mr->c.faults),
			   atomic64_read(&mr->c.fault_pages),
			   atomic64_read(&mr->c.invalidations),
			   atomic64_read(&mr->c.invalidated_pages),
			   atomic64_read(&mr->c.prefetches),
			   atomic64_read(&mr->c.prefetch_pages),
			   odp_mr_mtt_pages(mr), READ_ONCE(mr->nr_children));
	}
	mutex_unlock(&ctx->lock);
}
