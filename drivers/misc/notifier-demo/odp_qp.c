// SPDX-License-Identifier: GPL-2.0
/*
 * odp_qp.c - queue pairs and the NIC engine that executes their work
 *
 * Posting a work request only copies it into the QP's ring and queues
 * the QP's work item on the engine's workqueue.  The engine, a kernel
 * worker, executes the requests in order, reaching memory through the
 * MRs' translations and faulting from its own context (odp_mem.c), and
 * posts a completion for each.  The first error completion moves the QP
 * to the error state, in which every other request completes with
 * ODP_WC_WR_FLUSH_ERR, as a reliable-connected QP does.
 *
 * A SEND consumes the oldest receive of the peer QP; when there is none
 * the SEND waits (the peer's next receive queues this QP's work again),
 * as with an infinite RNR retry count.
 */
#include <linux/err.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/mmu_mirror.h>
#include "odp_core.h"

/* Requests one run of a QP's work item executes before yielding. */
#define ODP_WORK_BUDGET		32
/* Work requests copied in per round of a post. */
#define ODP_POST_BATCH		64
/* Completions copied out per round of a poll. */
#define ODP_POLL_BATCH		16
#define ODP_POLL_MAX_MS		60000

/* The engine's verdict on a SEND that found no receive. */
#define ODP_EXEC_RNR		(~0U)

static void odp_qp_free(struct kref *ref)
{
	struct odp_qp *qp = container_of(ref, struct odp_qp, ref);

	kvfree(qp->sq);
	kvfree(qp->rq);
	kvfree(qp->cq);
	odp_ctx_put(qp->ctx);
	kfree(qp);
}

static void odp_qp_put(struct odp_qp *qp)
{
	kref_put(&qp->ref, odp_qp_free);
}

/* Queue the QP's work item; the queued item holds a reference. */
static void odp_qp_kick(struct odp_qp *qp)
{
	kref_get(&qp->ref);
	if (!queue_work(qp->dev->wq, &qp->work))
		odp_qp_put(qp);
}

/* The QP of number @qpn, with a reference, or NULL. */
static struct odp_qp *odp_qp_lookup(struct odp_dev *dev, u32 qpn)
{
	u32 slot = qpn & (ODP_MAX_QPS - 1);
	struct odp_qp *qp;

	spin_lock(&dev->lock);
	qp = dev->qps[slot];
	if (qp && qp->qpn == qpn)
		kref_get(&qp->ref);
	else
		qp = NULL;
	spin_unlock(&dev->lock);
	return qp;
}

/* A QP of @ctx, with a reference, or NULL. */
static struct odp_qp *odp_qp_own(struct odp_ctx *ctx, u32 qpn)
{
	struct odp_qp *qp = odp_qp_lookup(ctx->dev, qpn);

	if (qp && qp->ctx != ctx) {
		odp_qp_put(qp);
		qp = NULL;
	}
	return qp;
}

/* Append a completion; there is always room (see struct odp_create_qp). */
static void odp_cq_push_locked(struct odp_qp *qp, u64 wr_id, u32 status,
			       u32 opcode, u32 byte_len, u32 src_qpn)
{
	struct odp_wc *wc;

	lockdep_assert_held(&qp->lock);
	if (qp->cq_count >= qp->cq_depth)
		return;
	wc = &qp->cq[(qp->cq_head + qp->cq_count) % qp->cq_depth];
	wc->wr_id = wr_id;
	wc->status = status;
	wc->opcode = opcode;
	wc->byte_len = byte_len;
	wc->qpn = qp->qpn;
	wc->src_qpn = src_qpn;
	wc->reserved = 0;
	WRITE_ONCE(qp->cq_count, qp->cq_count + 1);
	if (status == ODP_WC_WR_FLUSH_ERR)
		atomic64_inc(&qp->dev->wrs_flushed);
	else if (status != ODP_WC_SUCCESS)
		atomic64_inc(&qp->dev->wrs_failed);
	atomic64_inc(&qp->dev->wrs_executed);
}

static u32 odp_wc_opcode(u32 wr_opcode)
{
	switch (wr_opcode) {
	case ODP_WR_RDMA_WRITE:
		return ODP_WC_RDMA_WRITE;
	case ODP_WR_RDMA_READ:
		return ODP_WC_RDMA_READ;
	case ODP_WR_ATOMIC_CMP_AND_SWP:
		return ODP_WC_COMP_SWAP;
	case ODP_WR_ATOMIC_FETCH_AND_ADD:
		return ODP_WC_FETCH_ADD;
	default:
		return ODP_WC_SEND;
	}
}

/* Error state: flush both rings.  qp->lock held. */
static void odp_qp_flush_locked(struct odp_qp *qp)
{
	while (qp->sq_count) {
		struct odp_send_wr *wr = &qp->sq[qp->sq_head];

		odp_cq_push_locked(qp, wr->wr_id, ODP_WC_WR_FLUSH_ERR,
				   odp_wc_opcode(wr->opcode), 0, 0);
		qp->sq_head = (qp->sq_head + 1) % qp->sq_depth;
		qp->sq_count--;
	}
	while (qp->rq_count) {
		odp_cq_push_locked(qp, qp->rq[qp->rq_head].wr_id,
				   ODP_WC_WR_FLUSH_ERR, ODP_WC_RECV, 0, 0);
		qp->rq_head = (qp->rq_head + 1) % qp->rq_depth;
		qp->rq_count--;
	}
}

/* ---- execution ---- */

/* Status of a failed access to memory of the executing QP's own PD. */
static u32 odp_local_status(int err)
{
	if (err == -ESRCH)
		return ODP_WC_WR_FLUSH_ERR;
	if (err == -EBUSY)
		return ODP_WC_RETRY_EXC_ERR;
	return ODP_WC_LOC_PROT_ERR;
}

/* Status of a failed access to the peer's memory. */
static u32 odp_remote_status(int err)
{
	if (err == -ESRCH)
		return ODP_WC_REM_OP_ERR;
	if (err == -EBUSY)
		return ODP_WC_RETRY_EXC_ERR;
	return ODP_WC_REM_ACCESS_ERR;
}

/* The MR of a local scatter/gather entry, checked; NULL if empty. */
static u32 odp_sge_mr(struct odp_ctx *ctx, const struct odp_sge *sge,
		      bool write, struct odp_mr **out)
{
	struct odp_mr *mr;

	*out = NULL;
	if (!sge->length)
		return ODP_WC_SUCCESS;
	mr = odp_mr_get(ctx, sge->lkey);
	if (!mr)
		return ODP_WC_LOC_PROT_ERR;
	if (!odp_mr_in_bounds(mr, sge->addr, sge->length) ||
	    (write && !(mr->access & ODP_ACCESS_LOCAL_WRITE))) {
		odp_mr_put(mr);
		return ODP_WC_LOC_PROT_ERR;
	}
	*out = mr;
	return ODP_WC_SUCCESS;
}

/* The peer's MR for a remote access, checked against its rights. */
static u32 odp_rkey_mr(struct odp_qp *peer, u32 rkey, u64 addr, u64 len,
		       u32 need, struct odp_mr **out)
{
	struct odp_mr *mr = odp_mr_get(peer->ctx, rkey);

	*out = NULL;
	if (!mr)
		return ODP_WC_REM_ACCESS_ERR;
	if (!odp_mr_in_bounds(mr, addr, len) || (mr->access & need) != need) {
		odp_mr_put(mr);
		return ODP_WC_REM_ACCESS_ERR;
	}
	*out = mr;
	return ODP_WC_SUCCESS;
}

/* The connected peer of @qp with a reference, or NULL. */
static struct odp_qp *odp_qp_peer(struct odp_qp *qp)
{
	struct odp_qp *peer = odp_qp_lookup(qp->dev, READ_ONCE(qp->dest_qpn));
	bool ok;

	if (!peer)
		return NULL;
	spin_lock(&peer->lock);
	ok = peer->dest_qpn == qp->qpn && peer->state != ODP_QPS_RESET &&
	     peer->state != ODP_QPS_DEAD;
	spin_unlock(&peer->lock);
	if (!ok) {
		odp_qp_put(peer);
		return NULL;
	}
	return peer;
}

/* Copy @len bytes from a local MR to the peer's, or back. */
static u32 odp_exec_copy(struct odp_qp *qp, struct odp_mr *dmr, u64 daddr,
			 struct odp_mr *smr, u64 saddr, u32 len,
			 bool to_peer)
{
	struct odp_io dst, src;

	if (!len)
		return ODP_WC_SUCCESS;
	odp_io_init(&dst, dmr, daddr, len, true);
	odp_io_init(&src, smr, saddr, len, false);
	if (!odp_mem_copy(&dst, &src))
		return ODP_WC_SUCCESS;
	if (src.err)
		return to_peer ? odp_local_status(src.err) :
				 odp_remote_status(src.err);
	return to_peer ? odp_remote_status(dst.err) :
			 odp_local_status(dst.err);
}

/* RDMA WRITE and READ. */
static u32 odp_exec_rdma(struct odp_qp *qp, struct odp_qp *peer,
			 const struct odp_send_wr *wr)
{
	bool write = wr->opcode == ODP_WR_RDMA_WRITE;
	struct odp_mr *lmr, *rmr = NULL;
	u32 status;

	status = odp_sge_mr(qp->ctx, &wr->sge, !write, &lmr);
	if (status)
		return status;
	if (wr->sge.length)
		status = odp_rkey_mr(peer, wr->rkey, wr->remote_addr,
				     wr->sge.length,
				     write ? ODP_ACCESS_REMOTE_WRITE :
					     ODP_ACCESS_REMOTE_READ, &rmr);
	if (!status && write)
		status = odp_exec_copy(qp, rmr, wr->remote_addr, lmr,
				       wr->sge.addr, wr->sge.length, true);
	else if (!status)
		status = odp_exec_copy(qp, lmr, wr->sge.addr, rmr,
				       wr->remote_addr, wr->sge.length, false);
	if (rmr)
		odp_mr_put(rmr);
	if (lmr)
		odp_mr_put(lmr);
	return status;
}

/* CMP_AND_SWP and FETCH_AND_ADD: 8 bytes at an aligned remote address. */
static u32 odp_exec_atomic(struct odp_qp *qp, struct odp_qp *peer,
			   const struct odp_send_wr *wr)
{
	struct odp_mr *lmr, *rmr;
	struct odp_io rio, lio;
	u32 status;
	u64 orig;
	int ret;

	if (wr->sge.length != sizeof(u64))
		return ODP_WC_LOC_LEN_ERR;
	if (wr->remote_addr & (sizeof(u64) - 1))
		return ODP_WC_REM_INV_REQ_ERR;
	status = odp_sge_mr(qp->ctx, &wr->sge, true, &lmr);
	if (status)
		return status;
	status = odp_rkey_mr(peer, wr->rkey, wr->remote_addr, sizeof(u64),
			     ODP_ACCESS_REMOTE_ATOMIC, &rmr);
	if (status)
		goto out_local;
	odp_io_init(&rio, rmr, wr->remote_addr, sizeof(u64), true);
	ret = odp_mem_atomic(&rio, wr->opcode, wr->compare_add, wr->swap,
			     &orig);
	if (ret) {
		status = odp_remote_status(ret);
		goto out_remote;
	}
	odp_io_init(&lio, lmr, wr->sge.addr, sizeof(u64), true);
	ret = odp_mem_write(&lio, &orig, sizeof(orig));
	if (ret)
		status = odp_local_status(ret);
out_remote:
	odp_mr_put(rmr);
out_local:
	odp_mr_put(lmr);
	return status;
}

/* Give a receive back to the head of the peer's queue. */
static void odp_rq_unpop(struct odp_qp *peer, const struct odp_recv_wr *rwr)
{
	spin_lock(&peer->lock);
	peer->rq_head = (peer->rq_head + peer->rq_depth - 1) % peer->rq_depth;
	peer->rq[peer->rq_head] = *rwr;
	peer->rq_count++;
	spin_unlock(&peer->lock);
}

/* The receive side of a SEND: its completion at the peer. */
static void odp_recv_complete(struct odp_qp *qp, struct odp_qp *peer,
			      const struct odp_recv_wr *rwr, u32 rstatus,
			      u32 len)
{
	spin_lock(&peer->lock);
	odp_cq_push_locked(peer, rwr->wr_id, rstatus, ODP_WC_RECV,
			   rstatus ? 0 : len, qp->qpn);
	if (rstatus && peer->state == ODP_QPS_RTS)
		WRITE_ONCE(peer->state, ODP_QPS_ERR);
	spin_unlock(&peer->lock);
	wake_up_all(&peer->cq_wait);
	if (rstatus)
		odp_qp_kick(peer);
}

/* SEND into the oldest receive of the peer. */
static u32 odp_exec_send(struct odp_qp *qp, struct odp_qp *peer,
			 const struct odp_send_wr *wr)
{
	u32 len = wr->sge.length, status, rstatus;
	struct odp_mr *lmr, *rmr = NULL;
	struct mm_struct *rmm = peer->ctx->mm;
	struct odp_recv_wr rwr;

	status = odp_sge_mr(qp->ctx, &wr->sge, false, &lmr);
	if (status)
		return status;
	spin_lock(&peer->lock);
	if (peer->state != ODP_QPS_RTS || !peer->rq_count) {
		status = peer->state == ODP_QPS_RTS ? ODP_EXEC_RNR :
						      ODP_WC_RETRY_EXC_ERR;
		spin_unlock(&peer->lock);
		goto out;
	}
	rwr = peer->rq[peer->rq_head];
	peer->rq_head = (peer->rq_head + 1) % peer->rq_depth;
	peer->rq_count--;
	spin_unlock(&peer->lock);

	if (!mmget_not_zero(rmm)) {
		rstatus = ODP_WC_WR_FLUSH_ERR;
		status = ODP_WC_REM_OP_ERR;
		goto complete;
	}
	if (len > rwr.sge.length) {
		rstatus = ODP_WC_LOC_LEN_ERR;
		status = ODP_WC_REM_INV_REQ_ERR;
	} else if (odp_sge_mr(peer->ctx, &rwr.sge, true, &rmr)) {
		rstatus = ODP_WC_LOC_PROT_ERR;
		status = ODP_WC_REM_OP_ERR;
	} else {
		rstatus = odp_exec_copy(qp, rmr, rwr.sge.addr, lmr,
					wr->sge.addr, len, true);
		status = rstatus;
		if (rstatus == ODP_WC_REM_ACCESS_ERR ||
		    rstatus == ODP_WC_REM_OP_ERR) {
			/* The receiver's memory failed. */
			rstatus = rstatus == ODP_WC_REM_OP_ERR ?
				  ODP_WC_WR_FLUSH_ERR : ODP_WC_LOC_PROT_ERR;
			status = ODP_WC_REM_OP_ERR;
		} else if (rstatus) {
			/* Ours failed: the receive was never used. */
			rstatus = ODP_EXEC_RNR;
		}
	}
	if (rmr)
		odp_mr_put(rmr);
	mmput(rmm);
complete:
	if (rstatus == ODP_EXEC_RNR)
		odp_rq_unpop(peer, &rwr);
	else
		odp_recv_complete(qp, peer, &rwr, rstatus, len);
out:
	if (lmr)
		odp_mr_put(lmr);
	return status;
}

/* Execute one send-queue request; returns its completion status. */
static u32 odp_exec(struct odp_qp *qp, const struct odp_send_wr *wr)
{
	struct mm_struct *mm = qp->ctx->mm;
	struct odp_qp *peer;
	u32 status;

	/* The poster's address space is gone: nothing left to do. */
	if (!mmget_not_zero(mm))
		return ODP_WC_WR_FLUSH_ERR;
	peer = odp_qp_peer(qp);
	if (!peer) {
		mmput(mm);
		return ODP_WC_RETRY_EXC_ERR;
	}
	if (wr->opcode == ODP_WR_SEND) {
		status = odp_exec_send(qp, peer, wr);
	} else if (!mmget_not_zero(peer->ctx->mm)) {
		status = ODP_WC_REM_OP_ERR;
	} else {
		if (wr->opcode == ODP_WR_RDMA_WRITE ||
		    wr->opcode == ODP_WR_RDMA_READ)
			status = odp_exec_rdma(qp, peer, wr);
		else
			status = odp_exec_atomic(qp, peer, wr);
		mmput(peer->ctx->mm);
	}
	odp_qp_put(peer);
	mmput(mm);
	return status;
}

/* One request from the head of the send queue: false when none ran. */
static bool odp_qp_step(struct odp_qp *qp)
{
	struct odp_send_wr wr;
	u32 status;

	spin_lock(&qp->lock);
	if (qp->state == ODP_QPS_ERR)
		odp_qp_flush_locked(qp);
	if (qp->state != ODP_QPS_RTS || !qp->sq_count) {
		spin_unlock(&qp->lock);
		wake_up_all(&qp->cq_wait);
		return false;
	}
	wr = qp->sq[qp->sq_head];
	qp->busy = true;
	qp->rnr_wait = false;
	spin_unlock(&qp->lock);

	status = odp_exec(qp, &wr);

	spin_lock(&qp->lock);
	qp->busy = false;
	if (status == ODP_EXEC_RNR) {
		/* Stays at the head; the peer's next receive kicks us. */
		qp->rnr_wait = true;
		spin_unlock(&qp->lock);
		return false;
	}
	if (qp->state != ODP_QPS_DEAD) {
		qp->sq_head = (qp->sq_head + 1) % qp->sq_depth;
		qp->sq_count--;
		odp_cq_push_locked(qp, wr.wr_id, status,
				   odp_wc_opcode(wr.opcode),
				   wr.sge.length, 0);
		if (status != ODP_WC_SUCCESS)
			WRITE_ONCE(qp->state, ODP_QPS_ERR);
	}
	spin_unlock(&qp->lock);
	wake_up_all(&qp->cq_wait);
	return true;
}

/* The engine: execute a QP's send queue, ODP_WORK_BUDGET at a time. */
static void odp_qp_work(struct work_struct *work)
{
	struct odp_qp *qp = container_of(work, struct odp_qp, work);
	unsigned int budget = ODP_WORK_BUDGET;

	while (budget && odp_qp_step(qp))
		budget--;
	if (!budget)
		odp_qp_kick(qp);
	odp_qp_put(qp);
}

/* ---- verbs ---- */

/**
 * odp_qp_create() - ODP_CREATE_QP
 * @ctx: the PD
 * @req: the request; @req->qpn filled in
 *
 * Context: process context, may sleep; takes ctx->lock and dev->lock.
 * Return: 0; -EINVAL for bad depths or reserved fields; -ENOSPC beyond
 * ODP_MAX_QPS_PER_PD in the PD or ODP_MAX_QPS on the device; -ENOMEM.
 */
int odp_qp_create(struct odp_ctx *ctx, struct odp_create_qp *req)
{
	struct odp_dev *dev = ctx->dev;
	struct odp_qp *qp;
	int ret = -ENOMEM;
	u32 slot;

	if (!req->sq_depth || req->sq_depth > ODP_MAX_QP_DEPTH ||
	    !req->rq_depth || req->rq_depth > ODP_MAX_QP_DEPTH ||
	    req->reserved)
		return -EINVAL;
	qp = kzalloc(sizeof(*qp), GFP_KERNEL_ACCOUNT);
	if (!qp)
		return -ENOMEM;
	qp->sq_depth = req->sq_depth;
	qp->rq_depth = req->rq_depth;
	qp->cq_depth = req->sq_depth + req->rq_depth;
	qp->sq = kvcalloc(qp->sq_depth, sizeof(*qp->sq), GFP_KERNEL_ACCOUNT);
	qp->rq = kvcalloc(qp->rq_depth, sizeof(*qp->rq), GFP_KERNEL_ACCOUNT);
	qp->cq = kvcalloc(qp->cq_depth, sizeof(*qp->cq), GFP_KERNEL_ACCOUNT);
	if (!qp->sq || !qp->rq || !qp->cq)
		goto err_free;
	qp->dev = dev;
	qp->ctx = ctx;
	kref_init(&qp->ref);
	spin_lock_init(&qp->lock);
	init_waitqueue_head(&qp->cq_wait);
	INIT_WORK(&qp->work, odp_qp_work);

	mutex_lock(&ctx->lock);
	ret = -ENOSPC;
	if (ctx->nr_qps >= ODP_MAX_QPS_PER_PD)
		goto err_unlock;
	spin_lock(&dev->lock);
	for (slot = 0; slot < ODP_MAX_QPS; slot++)
		if (!dev->qps[slot])
			break;
	if (slot < ODP_MAX_QPS) {
		do {
			dev->qp_gen++;
			qp->qpn = ((dev->qp_gen << ODP_QPN_SLOT_BITS) | slot) &
				  ODP_QPN_MASK;
		} while (!qp->qpn);
		dev->qps[slot] = qp;
	}
	spin_unlock(&dev->lock);
	if (slot == ODP_MAX_QPS)
		goto err_unlock;
	kref_get(&ctx->ref);
	list_add_tail(&qp->list, &ctx->qps);
	ctx->nr_qps++;
	mutex_unlock(&ctx->lock);
	req->qpn = qp->qpn;
	return 0;

err_unlock:
	mutex_unlock(&ctx->lock);
err_free:
	kvfree(qp->sq);
	kvfree(qp->rq);
	kvfree(qp->cq);
	kfree(qp);
	return ret;
}

/*
 * Take a QP out of service: no lookup finds it, the engine stops using
 * it, pollers return.  ctx->lock held.  Peers still holding a reference
 * find it dead and fail their SENDs.
 */
static void odp_qp_kill(struct odp_ctx *ctx, struct odp_qp *qp)
{
	struct odp_dev *dev = ctx->dev;

	lockdep_assert_held(&ctx->lock);
	spin_lock(&dev->lock);
	dev->qps[qp->qpn & (ODP_MAX_QPS - 1)] = NULL;
	spin_unlock(&dev->lock);
	spin_lock(&qp->lock);
	WRITE_ONCE(qp->state, ODP_QPS_DEAD);
	spin_unlock(&qp->lock);
	/* A queued run holds a reference; a running one is waited for. */
	if (cancel_work_sync(&qp->work))
		odp_qp_put(qp);
	wake_up_all(&qp->cq_wait);
	list_del(&qp->list);
	ctx->nr_qps--;
	odp_qp_put(qp);
}

/**
 * odp_qp_destroy() - ODP_DESTROY_QP
 * @ctx: the PD
 * @qpn: a QP of the PD
 *
 * Waits for the request the engine is executing on the QP; the others
 * are dropped without completions.
 *
 * Context: process context, may sleep; takes ctx->lock.
 * Return: 0, or -EINVAL for a QP not of this PD.
 */
int odp_qp_destroy(struct odp_ctx *ctx, u32 qpn)
{
	struct odp_qp *qp;

	mutex_lock(&ctx->lock);
	qp = odp_qp_own(ctx, qpn);
	if (qp) {
		odp_qp_kill(ctx, qp);
		odp_qp_put(qp);
	}
	mutex_unlock(&ctx->lock);
	return qp ? 0 : -EINVAL;
}

/**
 * odp_qp_destroy_all() - destroy every QP of a PD being closed
 * @ctx: the PD
 *
 * Context: process context, may sleep; takes ctx->lock.
 */
void odp_qp_destroy_all(struct odp_ctx *ctx)
{
	struct odp_qp *qp, *next;

	mutex_lock(&ctx->lock);
	list_for_each_entry_safe(qp, next, &ctx->qps, list)
		odp_qp_kill(ctx, qp);
	mutex_unlock(&ctx->lock);
}

/**
 * odp_qp_connect() - ODP_CONNECT_QP
 * @ctx: the PD
 * @req: the QP and its peer's number
 *
 * Context: process context; takes the QP's lock.
 * Return: 0; -EINVAL for a QP not of this PD; -EBUSY while requests are
 * queued or executing, or from the error state before every receive was
 * flushed.
 */
int odp_qp_connect(struct odp_ctx *ctx, const struct odp_connect_qp *req)
{
	struct odp_qp *qp = odp_qp_own(ctx, req->qpn);
	int ret = 0;

	if (!qp)
		return -EINVAL;
	spin_lock(&qp->lock);
	if (qp->sq_count || qp->busy ||
	    (qp->state == ODP_QPS_ERR && qp->rq_count)) {
		ret = -EBUSY;
	} else {
		WRITE_ONCE(qp->dest_qpn, req->remote_qpn & ODP_QPN_MASK);
		WRITE_ONCE(qp->state, ODP_QPS_RTS);
		qp->rnr_wait = false;
	}
	spin_unlock(&qp->lock);
	odp_qp_put(qp);
	return ret;
}

static int odp_check_send_wr(const struct odp_send_wr *wr)
{
	switch (wr->opcode) {
	case ODP_WR_RDMA_WRITE:
	case ODP_WR_SEND:
	case ODP_WR_RDMA_READ:
	case ODP_WR_ATOMIC_CMP_AND_SWP:
	case ODP_WR_ATOMIC_FETCH_AND_ADD:
		break;
	default:
		return -EINVAL;
	}
	if (wr->flags || wr->reserved || wr->sge.length > ODP_MAX_SGE_LENGTH)
		return -EINVAL;
	return 0;
}

/* Queue up to @n copied requests; returns how many fit. */
static u32 odp_sq_queue(struct odp_qp *qp, const struct odp_send_wr *wrs,
			u32 n, int *ret)
{
	u32 i;

	spin_lock(&qp->lock);
	if (qp->state == ODP_QPS_RESET || qp->state == ODP_QPS_DEAD) {
		spin_unlock(&qp->lock);
		*ret = -EINVAL;
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (qp->sq_outstanding >= qp->sq_depth) {
			*ret = -ENOMEM;
			break;
		}
		qp->sq[(qp->sq_head + qp->sq_count) % qp->sq_depth] = wrs[i];
		qp->sq_count++;
		qp->sq_outstanding++;
	}
	spin_unlock(&qp->lock);
	return i;
}

static u32 odp_rq_queue(struct odp_qp *qp, const struct odp_recv_wr *wrs,
			u32 n, int *ret)
{
	u32 i;

	spin_lock(&qp->lock);
	if (qp->state == ODP_QPS_DEAD) {
		spin_unlock(&qp->lock);
		*ret = -EINVAL;
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (qp->rq_outstanding >= qp->rq_depth) {
			*ret = -ENOMEM;
			break;
		}
		qp->rq[(qp->rq_head + qp->rq_count) % qp->rq_depth] = wrs[i];
		qp->rq_count++;
		qp->rq_outstanding++;
	}
	spin_unlock(&qp->lock);
	return i;
}

/* Copy in, check and queue @post's requests in batches. */
static int odp_post(struct odp_ctx *ctx, struct odp_post *post, bool send)
{
	size_t size = send ? sizeof(struct odp_send_wr) :
			     sizeof(struct odp_recv_wr);
	void __user *uptr = u64_to_user_ptr(post->wrs);
	struct odp_qp *qp;
	void *batch;
	int ret = 0;

	post->posted = 0;
	if (!post->nr || post->nr > ODP_MAX_QP_DEPTH || post->reserved)
		return -EINVAL;
	qp = odp_qp_own(ctx, post->qpn);
	if (!qp)
		return -EINVAL;
	batch = kmalloc_array(ODP_POST_BATCH, size, GFP_KERNEL);
	if (!batch) {
		odp_qp_put(qp);
		return -ENOMEM;
	}
	while (post->posted < post->nr && !ret) {
		u32 n = min_t(u32, post->nr - post->posted, ODP_POST_BATCH);
		u32 i, ok = n, queued;

		if (copy_from_user(batch, uptr + (size_t)post->posted * size,
				   n * size)) {
			ret = -EFAULT;
			break;
		}
		for (i = 0; i < n && ok == n; i++) {
			if (send ? odp_check_send_wr(batch + i * size) :
			    ((struct odp_recv_wr *)batch)[i].sge.length >
			    ODP_MAX_SGE_LENGTH)
				ok = i;
		}
		queued = send ? odp_sq_queue(qp, batch, ok, &ret) :
				odp_rq_queue(qp, batch, ok, &ret);
		post->posted += queued;
		if (!ret && ok < n)
			ret = -EINVAL;
	}
	kfree(batch);
	if (post->posted) {
		if (send) {
			odp_qp_kick(qp);
		} else {
			u32 dest = READ_ONCE(qp->dest_qpn);
			struct odp_qp *peer = odp_qp_lookup(ctx->dev, dest);

			/* A SEND of the peer may wait for this receive. */
			if (peer) {
				odp_qp_kick(peer);
				odp_qp_put(peer);
			}
			odp_qp_kick(qp);
		}
	}
	odp_qp_put(qp);
	return ret;
}

/**
 * odp_qp_post_send() - ODP_POST_SEND
 * @ctx: the PD
 * @post: the request; @post->posted filled in
 *
 * Context: process context, may sleep (user copies).
 * Return: 0; -EINVAL for a bad QP, count or request, or a QP not yet
 * connected; -ENOMEM when the send queue is full; -EFAULT.
 */
int odp_qp_post_send(struct odp_ctx *ctx, struct odp_post *post)
{
	return odp_post(ctx, post, true);
}

/**
 * odp_qp_post_recv() - ODP_POST_RECV
 * @ctx: the PD
 * @post: the request; @post->posted filled in
 *
 * Context: process context, may sleep (user copies).
 * Return: 0; -EINVAL for a bad QP, count or request; -ENOMEM when the
 * receive queue is full; -EFAULT.
 */
int odp_qp_post_recv(struct odp_ctx *ctx, struct odp_post *post)
{
	return odp_post(ctx, post, false);
}

/* Take up to @max completions; returns how many. */
static u32 odp_cq_pop(struct odp_qp *qp, struct odp_wc *out, u32 max)
{
	u32 n = 0;

	spin_lock(&qp->lock);
	while (n < max && qp->cq_count) {
		out[n] = qp->cq[qp->cq_head];
		qp->cq_head = (qp->cq_head + 1) % qp->cq_depth;
		WRITE_ONCE(qp->cq_count, qp->cq_count - 1);
		if (out[n].opcode == ODP_WC_RECV)
			qp->rq_outstanding--;
		else
			qp->sq_outstanding--;
		n++;
	}
	spin_unlock(&qp->lock);
	return n;
}

static bool odp_cq_ready(struct odp_qp *qp)
{
	return READ_ONCE(qp->cq_count) ||
	       READ_ONCE(qp->state) == ODP_QPS_DEAD;
}

/**
 * odp_qp_poll() - ODP_POLL_CQ
 * @ctx: the PD
 * @poll: the request; @poll->count filled in
 *
 * Completions that were taken but could not be copied out are lost.
 *
 * Context: process context, may sleep (waits, user copies).
 * Return: 0; -EINVAL for a bad QP, count or timeout; -EINTR when a
 * signal interrupted the wait; -EFAULT.
 */
int odp_qp_poll(struct odp_ctx *ctx, struct odp_poll_cq *poll)
{
	struct odp_wc __user *uptr = u64_to_user_ptr(poll->wcs);
	struct odp_wc batch[ODP_POLL_BATCH];
	struct odp_qp *qp;
	int ret = 0;

	poll->count = 0;
	if (!poll->nr || poll->nr > 2 * ODP_MAX_QP_DEPTH ||
	    poll->timeout_ms > ODP_POLL_MAX_MS)
		return -EINVAL;
	qp = odp_qp_own(ctx, poll->qpn);
	if (!qp)
		return -EINVAL;
	if (poll->timeout_ms) {
		long left = wait_event_interruptible_timeout(qp->cq_wait,
				odp_cq_ready(qp),
				msecs_to_jiffies(poll->timeout_ms));

		if (left < 0)
			ret = -EINTR;
	}
	while (!ret && poll->count < poll->nr) {
		u32 n = odp_cq_pop(qp, batch, min_t(u32, ODP_POLL_BATCH,
						   poll->nr - poll->count));

		if (!n)
			break;
		if (copy_to_user(uptr + poll->count, batch,
				 n * sizeof(batch[0])))
			ret = -EFAULT;
		else
			poll->count += n;
	}
	odp_qp_put(qp);
	return ret;
}

static const char *const odp_qp_state_names[] = {
	[ODP_QPS_RESET] = "reset",
	[ODP_QPS_RTS] = "rts",
	[ODP_QPS_ERR] = "error",
	[ODP_QPS_DEAD] = "dead",
};

/**
 * odp_qp_show() - one debugfs line per QP of a PD
 * @ctx: the PD
 * @seq: the struct seq_file being written
 *
 * Context: process context, may sleep; takes ctx->lock.
 */
void odp_qp_show(struct odp_ctx *ctx, void *seq)
{
	struct seq_file *m = seq;
	struct odp_qp *qp;

	seq_puts(m, "qpn state dest_qpn sq_queued sq_outstanding rq_queued rq_outstanding cq_count rnr_wait\n");
	mutex_lock(&ctx->lock);
	list_for_each_entry(qp, &ctx->qps, list) {
		spin_lock(&qp->lock);
		seq_printf(m, "0x%x %s 0x%x %u %u %u %u %u %d\n", qp->qpn,
			   odp_qp_state_names[qp->state], qp->dest_qpn,
			   qp->sq_count, qp->sq_outstanding, qp->rq_count,
			   qp->rq_outstanding, qp->cq_count, qp->rnr_wait);
		spin_unlock(&qp->lock);
	}
	mutex_unlock(&ctx->lock);
}
