/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * odp_demo.h - UAPI of the RDMA-style sample device with on-demand paging
 *
 * /dev/odp_demo is a software NIC.  Each open file is one protection
 * domain (PD) bound to the opener's address space.  A PD holds memory
 * regions (MRs) and queue pairs (QPs):
 *
 *  - an MR is registered as on-demand paging (ODP_ACCESS_ON_DEMAND: the
 *    NIC faults pages in when it touches them and drops them when the
 *    core VM invalidates them), as implicit ODP (ON_DEMAND with addr 0
 *    and length ODP_IMPLICIT_LENGTH: the whole address space), or pinned
 *    (every page pinned at registration, as RDMA worked before ODP);
 *  - a QP is a send queue, a receive queue and a completion queue.  It is
 *    connected to one peer QP (of the same or another PD, found by its QP
 *    number, which is unique on the device) and both must be connected to
 *    each other before traffic flows, as reliable-connected QPs are.
 *
 * Posting only queues work: a kernel worker (the NIC engine) executes
 * work requests later, from its own context, and posts completions.  The
 * numbering of access flags, opcodes, completion statuses and advice
 * follows libibverbs (enum ibv_access_flags, ibv_wr_opcode, ibv_wc_opcode,
 * ibv_wc_status, ibv_advise_mr_advice).
 *
 * Commands that change the PD or post work answer -EIO when issued from
 * another address space than the opener's (a child after fork); queries
 * and ODP_POLL_CQ work from any process holding the file.  Unknown
 * commands answer -ENOTTY.  Documentation/misc-devices/odp-demo.rst has
 * the full picture.
 */
#ifndef _UAPI_LINUX_ODP_DEMO_H
#define _UAPI_LINUX_ODP_DEMO_H

#include <linux/types.h>
#include <linux/ioctl.h>

/* MR access flags (enum ibv_access_flags). */
#define ODP_ACCESS_LOCAL_WRITE		0x01U
#define ODP_ACCESS_REMOTE_WRITE		0x02U
#define ODP_ACCESS_REMOTE_READ		0x04U
#define ODP_ACCESS_REMOTE_ATOMIC	0x08U
#define ODP_ACCESS_ON_DEMAND		0x40U

/* Length of an implicit ODP MR (registered at address 0). */
#define ODP_IMPLICIT_LENGTH		(~(__u64)0)

/* Limits: a longer explicit MR or deeper queue is refused (-EINVAL). */
#define ODP_MAX_MR_LENGTH		(1ULL << 30)
#define ODP_MAX_MRS			4096
#define ODP_MAX_QP_DEPTH		1024
#define ODP_MAX_QPS_PER_PD		256
#define ODP_MAX_SGE_LENGTH		(1U << 30)
#define ODP_MAX_ADVISE_SGES		16

/**
 * struct odp_reg_mr - ODP_REG_MR
 * @addr: (in) start address in the opener's address space, any alignment
 *	(0 for implicit ODP)
 * @length: (in) bytes, 1 .. ODP_MAX_MR_LENGTH (ODP_IMPLICIT_LENGTH for
 *	implicit ODP); the MR's I/O virtual addresses are its user addresses
 * @access: (in) ODP_ACCESS_* flags; REMOTE_WRITE and REMOTE_ATOMIC need
 *	LOCAL_WRITE (-EINVAL otherwise), as in verbs
 * @lkey: (out) key for local scatter/gather entries
 * @rkey: (out) key for remote access by a peer QP
 * @reserved: must be 0
 *
 * Pinned MRs pin every page during this call, charged to RLIMIT_MEMLOCK
 * (-ENOMEM beyond it), and fail with the fault's error (-EFAULT for
 * unmapped memory).  ODP MRs map nothing until used.
 */
struct odp_reg_mr {
	__u64	addr;
	__u64	length;
	__u32	access;
	__u32	lkey;
	__u32	rkey;
	__u32	reserved;
};

/* struct odp_mr_query flags (out) */
#define ODP_MR_ODP		0x1U	/* on-demand paging */
#define ODP_MR_IMPLICIT		0x2U	/* implicit ODP, with children */
#define ODP_MR_PINNED		0x4U	/* pages pinned at registration */

/**
 * struct odp_mr_query - ODP_QUERY_MR: an MR's description and counters
 * @lkey: (in) the MR
 * @flags: (out) ODP_MR_* flags
 * @addr: (out) start address
 * @length: (out) length
 * @access: (out) ODP_ACCESS_* flags
 * @reserved: (out) 0
 * @faults: (out) page faults the NIC engine handled on this MR (fault
 *	events: a miss, then one fault of up to 4 MiB)
 * @fault_pages: (out) 4 KiB pages those faults mapped into the MR's
 *	translation table
 * @invalidations: (out) invalidations that removed translations of this MR
 * @invalidated_pages: (out) 4 KiB pages they removed
 * @prefetches: (out) prefetch requests (ODP_ADVISE_MR) done on this MR
 * @prefetch_pages: (out) 4 KiB pages prefetching mapped
 * @mtt_pages: (out) 4 KiB pages the translation table maps now
 * @children: (out) implicit ODP: child MRs (1 GiB each) alive now
 * @children_created: (out) implicit ODP: children created so far
 * @children_freed: (out) implicit ODP: children freed once empty
 * @fault_retries: (out) faults repeated because an invalidation took the
 *	pages between the fault and the access
 * @dirty_pages: (out) pages whose translation was removed while the NIC's
 *	dirty bit was set in it (the helper marked them dirty first)
 */
struct odp_mr_query {
	__u32	lkey;
	__u32	flags;
	__u64	addr;
	__u64	length;
	__u32	access;
	__u32	reserved;
	__u64	faults;
	__u64	fault_pages;
	__u64	invalidations;
	__u64	invalidated_pages;
	__u64	prefetches;
	__u64	prefetch_pages;
	__u64	mtt_pages;
	__u64	children;
	__u64	children_created;
	__u64	children_freed;
	__u64	fault_retries;
	__u64	dirty_pages;
};

/**
 * struct odp_create_qp - ODP_CREATE_QP
 * @sq_depth: (in) send queue entries, 1 .. ODP_MAX_QP_DEPTH
 * @rq_depth: (in) receive queue entries, 1 .. ODP_MAX_QP_DEPTH
 * @qpn: (out) QP number, unique on the device
 * @reserved: must be 0
 *
 * The completion queue holds sq_depth + rq_depth entries, so it cannot
 * overflow: a work request occupies its queue entry until its completion
 * has been polled.  The QP starts in the reset state: receives may be
 * posted, sends only once connected.
 */
struct odp_create_qp {
	__u32	sq_depth;
	__u32	rq_depth;
	__u32	qpn;
	__u32	reserved;
};

/**
 * struct odp_connect_qp - ODP_CONNECT_QP
 * @qpn: (in) a QP of this PD
 * @remote_qpn: (in) its peer, a QP of any PD on the device (it may not
 *	exist yet: traffic fails with ODP_WC_RETRY_EXC_ERR until it does and
 *	is connected back)
 *
 * Moves the QP to ready-to-send.  Also the way out of the error state,
 * once every work request has completed (-EBUSY before).
 */
struct odp_connect_qp {
	__u32	qpn;
	__u32	remote_qpn;
};

/**
 * struct odp_sge - one scatter/gather entry
 * @addr: start address inside the MR of @lkey
 * @length: bytes, at most ODP_MAX_SGE_LENGTH; 0 touches no memory
 * @lkey: local key of an MR of the QP's PD
 */
struct odp_sge {
	__u64	addr;
	__u32	length;
	__u32	lkey;
};

/* Work request opcodes (enum ibv_wr_opcode). */
#define ODP_WR_RDMA_WRITE		0
#define ODP_WR_SEND			2
#define ODP_WR_RDMA_READ		4
#define ODP_WR_ATOMIC_CMP_AND_SWP	5
#define ODP_WR_ATOMIC_FETCH_AND_ADD	6

/**
 * struct odp_send_wr - one send queue work request
 * @wr_id: (in) returned in the completion
 * @opcode: (in) ODP_WR_*; an unknown one fails the post with -EINVAL
 * @flags: (in) must be 0
 * @sge: (in) local data: source of SEND and RDMA_WRITE, destination of
 *	RDMA_READ and of an atomic's original value (8 bytes)
 * @remote_addr: (in) RDMA and atomics: address in the peer's MR; atomics
 *	need 8-byte alignment
 * @rkey: (in) RDMA and atomics: the peer's remote key
 * @reserved: (in) must be 0
 * @compare_add: (in) CMP_AND_SWP: the value compared; FETCH_AND_ADD: the
 *	value added
 * @swap: (in) CMP_AND_SWP: the value stored when the compare matched
 */
struct odp_send_wr {
	__u64	wr_id;
	__u32	opcode;
	__u32	flags;
	struct odp_sge sge;
	__u64	remote_addr;
	__u32	rkey;
	__u32	reserved;
	__u64	compare_add;
	__u64	swap;
};

/**
 * struct odp_recv_wr - one receive queue work request
 * @wr_id: (in) returned in the completion
 * @sge: (in) where an incoming SEND lands; its MR needs LOCAL_WRITE
 */
struct odp_recv_wr {
	__u64	wr_id;
	struct odp_sge sge;
};

/**
 * struct odp_post - ODP_POST_SEND, ODP_POST_RECV
 * @qpn: (in) a QP of this PD
 * @nr: (in) work requests at @wrs, 1 .. ODP_MAX_QP_DEPTH
 * @wrs: (in) user pointer to @nr struct odp_send_wr or struct odp_recv_wr
 * @posted: (out) how many were queued, in order; fewer than @nr when the
 *	queue is full (the call then fails with -ENOMEM) or a request is
 *	invalid (-EINVAL)
 * @reserved: must be 0
 */
struct odp_post {
	__u32	qpn;
	__u32	nr;
	__u64	wrs;
	__u32	posted;
	__u32	reserved;
};

/* Completion opcodes (enum ibv_wc_opcode). */
#define ODP_WC_SEND			0
#define ODP_WC_RDMA_WRITE		1
#define ODP_WC_RDMA_READ		2
#define ODP_WC_COMP_SWAP		3
#define ODP_WC_FETCH_ADD		4
#define ODP_WC_RECV			128

/* Completion statuses (enum ibv_wc_status). */
#define ODP_WC_SUCCESS			0
#define ODP_WC_LOC_LEN_ERR		1	/* SEND larger than the RECV */
#define ODP_WC_LOC_PROT_ERR		4	/* bad lkey, bounds, rights */
#define ODP_WC_WR_FLUSH_ERR		5	/* QP in error, mm gone */
#define ODP_WC_REM_INV_REQ_ERR		9	/* misaligned atomic, ... */
#define ODP_WC_REM_ACCESS_ERR		10	/* bad rkey, bounds, rights */
#define ODP_WC_REM_OP_ERR		11	/* the peer's mm is gone */
#define ODP_WC_RETRY_EXC_ERR		12	/* no connected peer */

/**
 * struct odp_wc - one completion
 * @wr_id: the work request's wr_id
 * @status: ODP_WC_SUCCESS or an error status
 * @opcode: ODP_WC_*
 * @byte_len: RECV: bytes received; otherwise bytes of the request
 * @qpn: the QP
 * @src_qpn: RECV: the sending QP; otherwise 0
 * @reserved: 0
 */
struct odp_wc {
	__u64	wr_id;
	__u32	status;
	__u32	opcode;
	__u32	byte_len;
	__u32	qpn;
	__u32	src_qpn;
	__u32	reserved;
};

/**
 * struct odp_poll_cq - ODP_POLL_CQ
 * @qpn: (in) a QP of this PD
 * @nr: (in) room at @wcs, 1 .. ODP_MAX_QP_DEPTH * 2
 * @wcs: (in) user pointer to @nr struct odp_wc
 * @timeout_ms: (in) wait up to this long for a first completion (0: do not
 *	wait); at most 60000
 * @count: (out) completions stored, oldest first
 */
struct odp_poll_cq {
	__u32	qpn;
	__u32	nr;
	__u64	wcs;
	__u32	timeout_ms;
	__u32	count;
};

/* ODP_ADVISE_MR advice (enum ibv_advise_mr_advice) and flags. */
#define ODP_ADVISE_PREFETCH		0	/* map for reading */
#define ODP_ADVISE_PREFETCH_WRITE	1	/* map for writing */
#define ODP_ADVISE_PREFETCH_NO_FAULT	2	/* map what is present */
#define ODP_ADVISE_FLAG_FLUSH		0x1U	/* synchronous */

/**
 * struct odp_advise_mr - ODP_ADVISE_MR
 * @advice: (in) ODP_ADVISE_PREFETCH*
 * @flags: (in) 0 (asynchronous: queued to the NIC engine, best effort)
 *	or ODP_ADVISE_FLAG_FLUSH (done before the call returns)
 * @nr_sge: (in) entries at @sges, 1 .. ODP_MAX_ADVISE_SGES
 * @reserved: must be 0
 * @sges: (in) user pointer to @nr_sge struct odp_sge of ODP MRs of this
 *	PD; PREFETCH_WRITE needs LOCAL_WRITE
 *
 * Keys, bounds and rights are checked before any work (-EINVAL for an
 * unknown key or a pinned MR, -EFAULT out of bounds, -EACCES for rights).
 * A synchronous prefetch returns the first fault error; an asynchronous
 * one ignores them, and -EBUSY means too many are still queued.
 */
struct odp_advise_mr {
	__u32	advice;
	__u32	flags;
	__u32	nr_sge;
	__u32	reserved;
	__u64	sges;
};

/* Number of MMU_NOTIFY_* event types counted in struct odp_mirror_stats. */
#define ODP_NR_EVENTS		8

/**
 * struct odp_mirror_stats - counters of one of the PD's mirrors
 * @faults: fault calls that installed entries (the engine's faults,
 *	prefetches and pinned registrations)
 * @pages_mapped: 4 KiB pages installed in the secondary table
 * @retries: fault rounds repeated because an invalidation raced
 * @invalidations: invalidations overlapping a window, by MMU_NOTIFY_* event
 *	(UNMAP, CLEAR, PROTECTION_VMA, PROTECTION_PAGE, SOFT_DIRTY, RELEASE,
 *	MIGRATE, EXCLUSIVE)
 * @entries_zapped: secondary entries removed by invalidations
 * @pages_zapped: 4 KiB pages covered by those entries
 * @flushes: NIC translation-cache flushes requested by the helper
 * @dirty_propagated: pages marked dirty because the NIC wrote them
 * @young_cleared: entries whose accessed bit an aging hook cleared
 * @nonblock_invalidations: invalidations that were not allowed to sleep
 * @nonblock_flushes: flushes made at once because an invalidation was not
 *	allowed to sleep
 * @pages_pinned: pages currently pinned (the pinned mirror)
 * @entries: entries currently present in the secondary table
 * @table_nodes: the helper's table nodes currently allocated
 * @nonblock_failed: non-blockable invalidations refused because a NIC
 *	access was in flight over the range
 *
 * The helper's statistics (struct mmu_mirror_stats), same names and
 * order as struct ndemo_stats in notifier_demo.h.
 */
struct odp_mirror_stats {
	__u64	faults;
	__u64	pages_mapped;
	__u64	retries;
	__u64	invalidations[ODP_NR_EVENTS];
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
};

/* struct odp_pd_query mirror selector */
#define ODP_PD_MIRROR_ODP	0	/* the mirror of the ODP MRs */
#define ODP_PD_MIRROR_PINNED	1	/* the mirror of the pinned MRs */

/**
 * struct odp_pd_query - ODP_QUERY_PD
 * @mirror: (in) ODP_PD_MIRROR_*
 * @nr_mrs: (out) MRs registered
 * @nr_qps: (out) QPs created
 * @reserved: must be 0
 * @tlb_flushes: (out) NIC translation-cache flushes of that mirror
 * @stats: (out) that mirror's counters; all zero before its first MR
 */
struct odp_pd_query {
	__u32	mirror;
	__u32	nr_mrs;
	__u32	nr_qps;
	__u32	reserved;
	__u64	tlb_flushes;
	struct odp_mirror_stats stats;
};

#define ODP_IOC_MAGIC		0xB3

#define ODP_REG_MR		_IOWR(ODP_IOC_MAGIC, 0x00, struct odp_reg_mr)
#define ODP_DEREG_MR		_IOW(ODP_IOC_MAGIC, 0x01, __u32)
#define ODP_QUERY_MR		_IOWR(ODP_IOC_MAGIC, 0x02, struct odp_mr_query)
#define ODP_CREATE_QP		_IOWR(ODP_IOC_MAGIC, 0x03, struct odp_create_qp)
#define ODP_CONNECT_QP		_IOW(ODP_IOC_MAGIC, 0x04, struct odp_connect_qp)
#define ODP_DESTROY_QP		_IOW(ODP_IOC_MAGIC, 0x05, __u32)
#define ODP_POST_SEND		_IOWR(ODP_IOC_MAGIC, 0x06, struct odp_post)
#define ODP_POST_RECV		_IOWR(ODP_IOC_MAGIC, 0x07, struct odp_post)
#define ODP_POLL_CQ		_IOWR(ODP_IOC_MAGIC, 0x08, struct odp_poll_cq)
#define ODP_ADVISE_MR		_IOW(ODP_IOC_MAGIC, 0x09, struct odp_advise_mr)
#define ODP_QUERY_PD		_IOWR(ODP_IOC_MAGIC, 0x0a, struct odp_pd_query)

#endif /* _UAPI_LINUX_ODP_DEMO_H */
