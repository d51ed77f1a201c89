/* SPDX-License-Identifier: GPL-2.0 */
/*
 * odp_core.h - the RDMA-style NIC with on-demand paging
 *
 * The device logic lives in odp_ctx.c (device, protection domains, the
 * ioctl dispatch, debugfs), odp_mr.c (memory regions, implicit ODP
 * children, the NIC's translation tables), odp_mem.c (the engine's
 * memory accesses: faults, prefetch, copies, atomics) and odp_qp.c
 * (queue pairs and the engine that executes their work).  They build
 * unchanged in the kernel module and in the userspace model; odp_main.c
 * is the kernel glue (misc device, file operations, the module).
 *
 * Objects and references:
 *
 *  - struct odp_dev: the NIC.  Owns the engine's workqueue and the table
 *    of QP numbers, through which a QP finds its peer in any PD.
 *  - struct odp_ctx: one open file, one protection domain, bound to the
 *    opener's mm.  A kref: the file holds one, each QP one.
 *  - struct odp_mr: a memory region.  Work that touches it holds a use
 *    (odp_mr_get()); deregistration refuses new uses and waits for the
 *    running ones to end.
 *  - struct odp_child: a 1 GiB piece of an implicit MR, created on the
 *    first fault there and freed once invalidations left it empty.
 *  - struct odp_qp: a queue pair.  A kref: the PD's list holds one, the
 *    QP-number table one, and a peer executing a SEND into it one.
 *
 * Lock order (outermost first):
 *
 *	ctx->lock		(mutex: PD changes, mirror creation)
 *	  mr->child_mutex	(mutex: creating and freeing children)
 *	    mirror->windows_sem, mm->mmap_lock	(the helper's)
 *	      mirror->lock	(the helper's spinlock; map/unmap/harvest)
 *	        ctx->tables_lock	(spinlock: sva -> translation table)
 *	qp->lock, dev->lock, ctx->mr_lock	(spinlocks, leaves: nothing
 *				is taken under them)
 */
#ifndef _NDEMO_ODP_CORE_H
#define _NDEMO_ODP_CORE_H

#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/interval_tree.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/odp_demo.h>

struct dentry;
struct mm_struct;
struct mmu_mirror;
struct mmu_mirror_window;

/*
 * Secondary address layout of a PD's mirrors.  Explicit MR number i
 * lives at (i + 1) << ODP_SLOT_SHIFT plus the offset of its start inside
 * a 2 MiB block (so that the helper may map 2 MiB at once where the CPU
 * does); the implicit MR at ODP_IMPLICIT_SVA + its user address.
 */
#define ODP_SLOT_SHIFT		40
#define ODP_IMPLICIT_SVA	BIT_ULL(56)
#define ODP_CHILD_SHIFT		30
#define ODP_CHILD_SIZE		BIT_ULL(ODP_CHILD_SHIFT)
/* Children an implicit MR may have alive at once (4 TiB of coverage). */
#define ODP_MAX_CHILDREN	4096

/* Engine faults map up to this much of the rest of a transfer at once. */
#define ODP_FAULT_AHEAD		(4ULL << 20)

/*
 * Translation table entries, in this NIC's own format: the page's
 * physical address above PAGE_SHIFT, these bits below.
 */
#define ODP_MTT_VALID		0x1ULL
#define ODP_MTT_WRITE		0x2ULL
#define ODP_MTT_ACCESSED	0x4ULL
#define ODP_MTT_DIRTY		0x8ULL
#define ODP_MTT_HUGE		0x10ULL	/* part of a 2 MiB mapping */
#define ODP_MTT_FLAGS		0xfffULL

/* Entries per table leaf: one leaf maps 2 MiB. */
#define ODP_MTT_LEAF_SHIFT	9
#define ODP_MTT_LEAF_ENTRIES	BIT(ODP_MTT_LEAF_SHIFT)

/**
 * struct odp_mtt - the NIC's translation table of one MR or child
 * @sva: secondary address of the first entry, page aligned
 * @npages: entries
 * @nleaves: slots in @leaves
 * @leaves: leaf arrays of ODP_MTT_LEAF_ENTRIES entries, allocated before
 *	a fault needs them (odp_mtt_prepare()) and freed with the table
 * @present: entries valid now
 * @node: in ctx->mtt_tree, keyed by secondary range
 *
 * Entries are written by the map and unmap operations (mirror->lock
 * held) and read by the engine while its access is in flight; the
 * engine sets the accessed and dirty bits with atomic operations.
 */
struct odp_mtt {
	u64 sva;
	u64 npages;
	unsigned int nleaves;
	atomic64_t **leaves;
	atomic64_t present;
	struct interval_tree_node node;
};

/**
 * struct odp_mr_counters - what happened to one MR (struct odp_mr_query)
 * @faults: faults the engine handled
 * @fault_pages: pages they mapped
 * @invalidations: unmap operations that removed entries of the MR
 * @invalidated_pages: pages removed
 * @prefetches: prefetch requests done
 * @prefetch_pages: pages they mapped
 * @children_created: implicit children created
 * @children_freed: implicit children freed
 * @fault_retries: faults repeated after losing to an invalidation
 * @dirty_pages: pages whose entry had the dirty bit when unmapped
 * @mapped: entries the map operation made valid, by anyone; a fault or
 *	prefetch counts the difference across its call
 */
struct odp_mr_counters {
	atomic64_t faults;
	atomic64_t fault_pages;
	atomic64_t invalidations;
	atomic64_t invalidated_pages;
	atomic64_t prefetches;
	atomic64_t prefetch_pages;
	atomic64_t children_created;
	atomic64_t children_freed;
	atomic64_t fault_retries;
	atomic64_t dirty_pages;
	atomic64_t mapped;
};

struct odp_ctx;

/**
 * struct odp_child - a 1 GiB piece of an implicit MR
 * @mr: the implicit MR
 * @index: user address >> ODP_CHILD_SHIFT
 * @win: its window in the ODP mirror
 * @mtt: its translation table
 * @users: engine accesses and faults using it now
 * @was_mapped: it held entries once, so emptiness means "free me";
 *	under ctx->tables_lock
 * @list: in mr->children
 */
struct odp_child {
	struct odp_mr *mr;
	u64 index;
	struct mmu_mirror_window *win;
	struct odp_mtt mtt;
	atomic_t users;
	bool was_mapped;
	struct list_head list;
};

/**
 * struct odp_mr - a memory region
 * @ctx: its PD
 * @index: slot in ctx->mrs
 * @lkey: local key; the remote key has the same value
 * @access: ODP_ACCESS_* flags
 * @flags: ODP_MR_* flags
 * @addr: first user address (0 for implicit)
 * @length: bytes (up to the end of the address space for implicit)
 * @mirror: ctx->odp_mirror or ctx->pin_mirror
 * @win: explicit and pinned MRs: their window
 * @mtt: explicit and pinned MRs: their translation table
 * @users: work using the MR now (plus one for the registration); whoever
 *	drops a use holds a reference to @ctx, so ctx->mr_wait stays valid
 * @dead: deregistration began; odp_mr_get() fails
 * @child_mutex: implicit: serializes creating and freeing children
 * @children: implicit: every child, under @child_mutex
 * @nr_children: implicit: length of @children
 * @reap_work: implicit: frees children that became empty
 * @c: counters
 */
struct odp_mr {
	struct odp_ctx *ctx;
	unsigned int index;
	u32 lkey;
	u32 access;
	u32 flags;
	u64 addr;
	u64 length;
	struct mmu_mirror *mirror;
	struct mmu_mirror_window *win;
	struct odp_mtt mtt;
	atomic_t users;
	bool dead;
	struct mutex child_mutex;	/* protects children, nr_children */
	struct list_head children;
	unsigned int nr_children;
	struct work_struct reap_work;
	struct odp_mr_counters c;
};

/**
 * struct odp_dev - the NIC
 * @wq: the engine's workqueue: QP work, asynchronous prefetch, reaping
 * @lock: protects @qps and @qp_gen
 * @qps: QP by number's low bits; NULL where free
 * @qp_gen: generation mixed into new QP numbers
 * @next_ctx: id of the next PD (debugfs names)
 * @debugfs: the device's debugfs directory
 * @wrs_executed: work requests the engine completed, any status
 * @wrs_failed: of those, completed with an error (not flushes)
 * @wrs_flushed: completed with ODP_WC_WR_FLUSH_ERR
 */
struct odp_dev {
	struct workqueue_struct *wq;
	spinlock_t lock;	/* protects qps, qp_gen */
	struct odp_qp **qps;
	u32 qp_gen;
	atomic_t next_ctx;
	struct dentry *debugfs;
	atomic64_t wrs_executed;
	atomic64_t wrs_failed;
	atomic64_t wrs_flushed;
};

/* QP numbers: 24 bits, slot in the low ODP_QPN_SLOT_BITS. */
#define ODP_QPN_SLOT_BITS	12
#define ODP_MAX_QPS		BIT(ODP_QPN_SLOT_BITS)
#define ODP_QPN_MASK		0xffffffU

/**
 * struct odp_ctx - one open file: a protection domain
 * @dev: the NIC
 * @mm: the opener's mm (mmgrab()bed)
 * @ref: the file's reference and one per QP
 * @lock: serializes registration, deregistration, QP creation and
 *	destruction, connection and mirror creation
 * @mr_lock: protects @mrs and @key_gen for the engine's key lookups
 * @mrs: MR by index (ODP_MAX_MRS slots), NULL where free
 * @mr_wait: deregistration waits here for an MR's last use
 * @key_gen: key byte of the next MR, so a stale key finds nothing
 * @nr_mrs: MRs registered, under @lock
 * @implicit: the implicit MR, or NULL; under @lock
 * @odp_mirror: mirror of the ODP MRs, created with the first
 * @pin_mirror: mirror (MMU_MIRROR_PINNED) of the pinned MRs
 * @tables_lock: protects @mtt_tree
 * @mtt_tree: every translation table by secondary range
 * @qps: QPs of this PD, under @lock
 * @nr_qps: length of @qps
 * @async_prefetches: asynchronous prefetches queued and not yet done
 * @odp_flushes: flushes of @odp_mirror
 * @pin_flushes: flushes of @pin_mirror
 * @id: number of this PD (debugfs name)
 * @debugfs: the PD's debugfs directory
 */
struct odp_ctx {
	struct odp_dev *dev;
	struct mm_struct *mm;
	struct kref ref;
	struct mutex lock;	/* see above */
	spinlock_t mr_lock;	/* protects mrs, key_gen */
	struct odp_mr **mrs;
	wait_queue_head_t mr_wait;
	u8 key_gen;
	unsigned int nr_mrs;
	struct odp_mr *implicit;
	struct mmu_mirror *odp_mirror;
	struct mmu_mirror *pin_mirror;
	spinlock_t tables_lock;	/* protects mtt_tree */
	struct rb_root_cached mtt_tree;
	struct list_head qps;
	unsigned int nr_qps;
	atomic_t async_prefetches;
	atomic64_t odp_flushes;
	atomic64_t pin_flushes;
	int id;
	struct dentry *debugfs;
};

/* Asynchronous prefetches a PD may have queued at once. */
#define ODP_MAX_ASYNC_PREFETCH	64

/* QP states */
enum odp_qp_state {
	ODP_QPS_RESET,		/* created: receives may be posted */
	ODP_QPS_RTS,		/* connected: traffic flows */
	ODP_QPS_ERR,		/* an error completed: the rest is flushed */
	ODP_QPS_DEAD,		/* being destroyed */
};

/**
 * struct odp_qp - a queue pair with its completion queue
 * @dev: the NIC
 * @ctx: its PD (a reference)
 * @ref: see struct odp_ctx
 * @qpn: QP number
 * @lock: protects everything below it
 * @state: enum odp_qp_state
 * @dest_qpn: the peer's number once connected
 * @sq: send ring of @sq_depth entries; @sq_head the next to execute,
 *	@sq_count the number queued
 * @sq_depth: send ring size
 * @sq_head: index of the next send to execute
 * @sq_count: sends queued, not executed
 * @sq_outstanding: sends posted whose completion was not yet polled
 * @rq: receive ring
 * @rq_depth: receive ring size
 * @rq_head: index of the next receive to consume
 * @rq_count: receives queued
 * @rq_outstanding: receives posted whose completion was not yet polled
 * @cq: completion ring of @sq_depth + @rq_depth entries
 * @cq_depth: its size
 * @cq_head: index of the oldest completion
 * @cq_count: completions not yet polled
 * @rnr_wait: a SEND found no receive at the peer and waits for one
 * @busy: the engine executes a send of this QP now
 * @cq_wait: pollers wait here for a completion
 * @work: the engine's work item of this QP; a queued run holds a
 *	reference
 * @list: in ctx->qps (under ctx->lock)
 */
struct odp_qp {
	struct odp_dev *dev;
	struct odp_ctx *ctx;
	struct kref ref;
	u32 qpn;
	spinlock_t lock;	/* see above */
	enum odp_qp_state state;
	u32 dest_qpn;
	struct odp_send_wr *sq;
	u32 sq_depth;
	u32 sq_head;
	u32 sq_count;
	u32 sq_outstanding;
	struct odp_recv_wr *rq;
	u32 rq_depth;
	u32 rq_head;
	u32 rq_count;
	u32 rq_outstanding;
	struct odp_wc *cq;
	u32 cq_depth;
	u32 cq_head;
	u32 cq_count;
	bool rnr_wait;
	bool busy;
	wait_queue_head_t cq_wait;
	struct work_struct work;
	struct list_head list;
};

/* odp_ctx.c */
struct odp_dev *odp_dev_create(void);
void odp_dev_destroy(struct odp_dev *dev);
struct odp_ctx *odp_ctx_create(struct odp_dev *dev, struct mm_struct *mm);
void odp_ctx_destroy(struct odp_ctx *ctx);
void odp_ctx_put(struct odp_ctx *ctx);
long odp_ctx_ioctl(struct odp_ctx *ctx, unsigned int command,
		   void __user *uarg);

/* odp_mr.c */
extern const struct mmu_mirror_ops odp_mirror_ops;
int odp_mr_register(struct odp_ctx *ctx, struct odp_reg_mr *reg);
int odp_mr_deregister(struct odp_ctx *ctx, u32 lkey);
void odp_mr_deregister_all(struct odp_ctx *ctx);
int odp_mr_query(struct odp_ctx *ctx, struct odp_mr_query *q);
struct odp_mr *odp_mr_get(struct odp_ctx *ctx, u32 key);
void odp_mr_put(struct odp_mr *mr);
bool odp_mr_in_bounds(const struct odp_mr *mr, u64 addr, u64 len);
u64 odp_mr_sva(const struct odp_mr *mr, u64 addr);
struct odp_child *odp_child_get(struct odp_mr *mr, u64 addr, bool create);
void odp_child_put(struct odp_child *child);
u64 odp_mr_mtt_pages(struct odp_mr *mr);
int odp_mtt_prepare(struct odp_mtt *mtt, u64 sva, u64 len);
atomic64_t *odp_mtt_entry(struct odp_mtt *mtt, u64 sva, bool alloc);
void odp_mr_show(struct odp_ctx *ctx, void *seq);
typedef void (*odp_mtt_visit_fn)(void *arg, u64 hva, u64 phys, bool pinned);
bool odp_ctx_walk_mtts(struct odp_ctx *ctx, bool nowait, odp_mtt_visit_fn fn,
		       void *arg);

/* odp_mem.c */
/**
 * struct odp_io - state of one engine transfer on one MR
 * @mr: the MR (a use held)
 * @addr: next user address of the transfer
 * @end: user address after the transfer
 * @write: the engine writes this MR
 * @span: bytes the next fault maps; halves when faults keep losing
 * @faulted_at: where the last fault began
 * @deadline: jiffies after which a fault that keeps losing at one place
 *	gives up; moved on whenever the transfer advances
 * @err: the error of this side when a transfer failed
 */
struct odp_io {
	struct odp_mr *mr;
	u64 addr;
	u64 end;
	bool write;
	u64 span;
	u64 faulted_at;
	unsigned long deadline;
	int err;
};

void odp_io_init(struct odp_io *io, struct odp_mr *mr, u64 addr, u64 len,
		 bool write);

int odp_mem_copy(struct odp_io *dst, struct odp_io *src);
int odp_mem_atomic(struct odp_io *io, u32 opcode, u64 compare_add,
		   u64 swap, u64 *orig);
int odp_mem_read(struct odp_io *io, void *buf, size_t len);
int odp_mem_write(struct odp_io *io, const void *buf, size_t len);
int odp_prefetch(struct odp_mr *mr, u64 addr, u64 len, u32 advice);
int odp_advise(struct odp_ctx *ctx, struct odp_advise_mr *adv);

/* odp_qp.c */
int odp_qp_create(struct odp_ctx *ctx, struct odp_create_qp *req);
int odp_qp_destroy(struct odp_ctx *ctx, u32 qpn);
void odp_qp_destroy_all(struct odp_ctx *ctx);
int odp_qp_connect(struct odp_ctx *ctx, const struct odp_connect_qp *req);
int odp_qp_post_send(struct odp_ctx *ctx, struct odp_post *post);
int odp_qp_post_recv(struct odp_ctx *ctx, struct odp_post *post);
int odp_qp_poll(struct odp_ctx *ctx, struct odp_poll_cq *poll);
void odp_qp_show(struct odp_ctx *ctx, void *seq);

#endif /* _NDEMO_ODP_CORE_H */
