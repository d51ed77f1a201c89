// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_desc_dev.c - descriptions of the odp_demo, mirror_sample and
 * edu_mirror calls
 *
 * As in fuzz_desc.c: one struct fz_desc per call with its argument's
 * layout, the errnos the UAPI header (and the driver's kernel-doc)
 * allows, the static rules in the order the driver checks them, and
 * checks of the outputs: keys and QP numbers in range, counts no larger
 * than asked, completions of the polled QP with statuses and opcodes of
 * the header, MR and PD queries that agree with themselves, and, where
 * nothing else runs (fz_call::quiet), the data: what pread() of
 * mirror_sample returns is the memory under its window, what an edu copy
 * wrote is what it read.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "fuzz.h"

u64 fz_edu_va_end;
u64 fz_edu_skipped;
bool fz_edu_opened;
bool fz_edu_knobs;

struct fz_u32_arg {
	__u32 v;
};

/* ---- errno sets ---------------------------------------------------------- */

static const int odp_reg_errs[] = {
	EIO, EFAULT, EINVAL, EBUSY, ENOSPC, ENOMEM, EPERM, EINTR, ESRCH,
	EOPNOTSUPP, 0
};

static const int odp_key_errs[] = { EIO, EFAULT, EINVAL, 0 };

static const int odp_create_errs[] = { EIO, EFAULT, EINVAL, ENOSPC, ENOMEM, 0 };

static const int odp_connect_errs[] = { EIO, EFAULT, EINVAL, EBUSY, 0 };

static const int odp_post_errs[] = { EIO, EFAULT, EINVAL, ENOMEM, 0 };

static const int odp_poll_errs[] = { EFAULT, EINVAL, EINTR, 0 };

static const int odp_advise_errs[] = {
	EIO, EFAULT, EINVAL, EACCES, EBUSY, ENOMEM, EPERM, EINTR, ESRCH,
	EOPNOTSUPP, 0
};

static const int odp_query_errs[] = { EFAULT, EINVAL, 0 };

/* EINTR: mmu_notifier_register()'s mm_take_all_locks() saw a signal. */
static const int sample_setup_errs[] = {
	EFAULT, EINVAL, EPERM, EBUSY, ENOMEM, ESRCH, EINTR, 0
};

/* sample_read(): the helper's fault errors, then the copy. */
static const int sample_read_errs[] = {
	EINVAL, EFAULT, ENXIO, EINTR, ENOMEM, EPERM, ESRCH, EBUSY,
	EOPNOTSUPP, 0
};

static const int edu_dma_errs[] = {
	EPERM, EFAULT, EINVAL, EINTR, ENOMEM, EBUSY, ENODEV, ETIMEDOUT,
	ESRCH, EOPNOTSUPP, 0
};

static const int edu_mode_errs[] = { EPERM, EFAULT, EINVAL, EBUSY, 0 };

static const int edu_stats_errs[] = { EPERM, EFAULT, 0 };

static const int edu_test_errs[] = { EPERM, EFAULT, EINVAL, 0 };

/* ---- odp_demo rules ------------------------------------------------------ */

/* -EIO from another address space, then the copy of the argument. */
static int odp_rule(const struct fz_call *c, bool owner)
{
	if (owner && (c->fsflags & FZ_FS_FOREIGN))
		return -EIO;
	return fz_argblock_rule(c);
}

/* A command that copies back after success: read-only is -EFAULT then. */
static int ro_after(const struct fz_call *c, int r)
{
	if (c->argptr != PTR_RO)
		return r;
	return r == FZ_MUST_OK ? -EFAULT : FZ_UNKNOWN;
}

/* odp_mr_check(), in its order. */
static int odp_reg_validate(const struct fz_call *c)
{
	u64 addr = FIELD(c, struct odp_reg_mr, addr);
	u64 len = FIELD(c, struct odp_reg_mr, length);
	u64 access = FIELD(c, struct odp_reg_mr, access);
	u64 all = ODP_ACCESS_LOCAL_WRITE | ODP_ACCESS_REMOTE_WRITE |
		  ODP_ACCESS_REMOTE_READ | ODP_ACCESS_REMOTE_ATOMIC |
		  ODP_ACCESS_ON_DEMAND;
	int r = odp_rule(c, true);

	if (r)
		return r;
	if ((access & ~all) || FIELD(c, struct odp_reg_mr, reserved))
		return -EINVAL;
	if ((access & (ODP_ACCESS_REMOTE_WRITE | ODP_ACCESS_REMOTE_ATOMIC)) &&
	    !(access & ODP_ACCESS_LOCAL_WRITE))
		return -EINVAL;
	if (len == ODP_IMPLICIT_LENGTH) {
		if (addr || !(access & ODP_ACCESS_ON_DEMAND))
			return -EINVAL;
		return ro_after(c, 0);
	}
	if (!len || len > ODP_MAX_MR_LENGTH || addr + len < addr)
		return -EINVAL;
	if (addr + len > (fz_user_top & ~(FZ_PAGE - 1)))
		return -EFAULT;
	return ro_after(c, 0);
}

static int odp_owner_validate(const struct fz_call *c)
{
	return odp_rule(c, true);
}

static int odp_query_mr_validate(const struct fz_call *c)
{
	return ro_after(c, odp_rule(c, false));
}

static int odp_create_validate(const struct fz_call *c)
{
	u64 sq = FIELD(c, struct odp_create_qp, sq_depth);
	u64 rq = FIELD(c, struct odp_create_qp, rq_depth);
	int r = odp_rule(c, true);

	if (r)
		return r;
	if (!sq || sq > ODP_MAX_QP_DEPTH || !rq || rq > ODP_MAX_QP_DEPTH ||
	    FIELD(c, struct odp_create_qp, reserved))
		return -EINVAL;
	return ro_after(c, 0);
}

/* Posts and polls copy the block back even when they fail. */
static int odp_post_validate(const struct fz_call *c)
{
	u64 nr = FIELD(c, struct odp_post, nr);
	int r = odp_rule(c, true);

	if (r)
		return r;
	if (c->argptr == PTR_RO)
		return -EFAULT;
	if (!nr || nr > ODP_MAX_QP_DEPTH || FIELD(c, struct odp_post, reserved))
		return -EINVAL;
	return 0;
}

static int odp_poll_validate(const struct fz_call *c)
{
	u64 nr = FIELD(c, struct odp_poll_cq, nr);
	int r = odp_rule(c, false);

	if (r)
		return r;
	if (c->argptr == PTR_RO)
		return -EFAULT;
	if (!nr || nr > 2 * ODP_MAX_QP_DEPTH ||
	    FIELD(c, struct odp_poll_cq, timeout_ms) > 60000)
		return -EINVAL;
	return 0;
}

static int odp_advise_validate(const struct fz_call *c)
{
	u64 nr = FIELD(c, struct odp_advise_mr, nr_sge);
	int r = odp_rule(c, true);

	if (r)
		return r;
	if (FIELD(c, struct odp_advise_mr, advice) >
	    ODP_ADVISE_PREFETCH_NO_FAULT ||
	    FIELD(c, struct odp_advise_mr, reserved) ||
	    (FIELD(c, struct odp_advise_mr, flags) & ~ODP_ADVISE_FLAG_FLUSH) ||
	    !nr || nr > ODP_MAX_ADVISE_SGES)
		return -EINVAL;
	return 0;
}

static int odp_query_pd_validate(const struct fz_call *c)
{
	int r = odp_rule(c, false);

	if (r)
		return r;
	if (FIELD(c, struct odp_pd_query, mirror) > ODP_PD_MIRROR_PINNED ||
	    FIELD(c, struct odp_pd_query, reserved))
		return -EINVAL;
	return ro_after(c, FZ_MUST_OK);
}

/* ---- odp_demo outputs ---------------------------------------------------- */

#define FAIL(...)	({ snprintf(why, len, __VA_ARGS__); -1; })

static int odp_reg_post(const struct fz_call *c, long ret, int err, char *why,
			size_t len)
{
	u32 lkey, rkey;

	if (ret || !c->out)
		return 0;
	lkey = (u32)OUTFIELD(c, struct odp_reg_mr, lkey);
	rkey = (u32)OUTFIELD(c, struct odp_reg_mr, rkey);
	if (lkey != rkey || (lkey >> 8) >= ODP_MAX_MRS)
		return FAIL("keys lkey %#x rkey %#x", lkey, rkey);
	return 0;
}

static int odp_create_post(const struct fz_call *c, long ret, int err,
			   char *why, size_t len)
{
	u32 qpn;

	if (ret || !c->out)
		return 0;
	qpn = (u32)OUTFIELD(c, struct odp_create_qp, qpn);
	if (!qpn || qpn > 0xffffff)
		return FAIL("QP number %#x", qpn);
	return 0;
}

static int odp_post_post(const struct fz_call *c, long ret, int err,
			 char *why, size_t len)
{
	u64 nr = FIELD(c, struct odp_post, nr), posted;

	if (!c->out || (ret && err == EIO))
		return 0;
	posted = OUTFIELD(c, struct odp_post, posted);
	if (posted > nr || (!ret && posted != nr))
		return FAIL("posted %llu of %llu, returned %ld",
			    (unsigned long long)posted,
			    (unsigned long long)nr, ret);
	return 0;
}

static bool wc_ok(const struct odp_wc *wc, u32 qpn)
{
	static const u32 ops[] = {
		ODP_WC_SEND, ODP_WC_RDMA_WRITE, ODP_WC_RDMA_READ,
		ODP_WC_COMP_SWAP, ODP_WC_FETCH_ADD, ODP_WC_RECV,
	};
	bool op = false;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ops); i++)
		op |= wc->opcode == ops[i];
	return op && wc->qpn == qpn && !wc->reserved &&
	       wc->status <= ODP_WC_RETRY_EXC_ERR &&
	       (wc->opcode == ODP_WC_RECV || !wc->src_qpn) &&
	       wc->byte_len <= ODP_MAX_SGE_LENGTH;
}

/* The completions are of the polled QP, in the header's terms. */
static int odp_poll_post(const struct fz_call *c, long ret, int err,
			 char *why, size_t len)
{
	u64 nr = FIELD(c, struct odp_poll_cq, nr), count, i;
	const struct odp_wc *wcs;
	u32 qpn = (u32)FIELD(c, struct odp_poll_cq, qpn);

	if (!c->out || ret)
		return 0;
	count = OUTFIELD(c, struct odp_poll_cq, count);
	if (count > nr)
		return FAIL("%llu completions for room of %llu",
			    (unsigned long long)count, (unsigned long long)nr);
	if (c->ubuf != PTR_OK)
		return 0;
	wcs = (const void *)(uintptr_t)FIELD(c, struct odp_poll_cq, wcs);
	for (i = 0; i < count; i++)
		if (!wc_ok(&wcs[i], qpn))
			return FAIL("completion %llu: qpn %#x status %u opcode %u len %u src %#x",
				    (unsigned long long)i, wcs[i].qpn,
				    wcs[i].status, wcs[i].opcode,
				    wcs[i].byte_len, wcs[i].src_qpn);
	return 0;
}

static int odp_query_mr_post(const struct fz_call *c, long ret, int err,
			     char *why, size_t len)
{
	const struct odp_mr_query *q = (const void *)c->out;

	if (ret || !q)
		return 0;
	if (q->lkey != FIELD(c, struct odp_mr_query, lkey) || q->reserved)
		return FAIL("lkey %#x, reserved %u", q->lkey, q->reserved);
	if (q->flags == (ODP_MR_ODP | ODP_MR_IMPLICIT)) {
		if (q->addr || q->length != ODP_IMPLICIT_LENGTH)
			return FAIL("implicit MR at %#llx, length %#llx",
				    (unsigned long long)q->addr,
				    (unsigned long long)q->length);
	} else if (q->flags == ODP_MR_ODP || q->flags == ODP_MR_PINNED) {
		u64 pages = ((q->addr + q->length + FZ_PAGE - 1) / FZ_PAGE) -
			    q->addr / FZ_PAGE;

		if (!q->length || q->length > ODP_MAX_MR_LENGTH ||
		    q->mtt_pages > pages || q->children)
			return FAIL("MR of %#llx bytes: %llu pages, %llu children",
				    (unsigned long long)q->length,
				    (unsigned long long)q->mtt_pages,
				    (unsigned long long)q->children);
	} else {
		return FAIL("MR flags %#x", q->flags);
	}
	if (q->children != q->children_created - q->children_freed)
		return FAIL("%llu children alive, %llu created, %llu freed",
			    (unsigned long long)q->children,
			    (unsigned long long)q->children_created,
			    (unsigned long long)q->children_freed);
	return 0;
}

static int odp_query_pd_post(const struct fz_call *c, long ret, int err,
			     char *why, size_t len)
{
	const struct odp_pd_query *q = (const void *)c->out;

	if (ret || !q)
		return 0;
	if (q->nr_mrs > ODP_MAX_MRS || q->nr_qps > ODP_MAX_QPS_PER_PD)
		return FAIL("%u MRs, %u QPs", q->nr_mrs, q->nr_qps);
	if (q->mirror == ODP_PD_MIRROR_ODP && q->stats.pages_pinned)
		return FAIL("the ODP mirror pins %llu pages",
			    (unsigned long long)q->stats.pages_pinned);
	return 0;
}

/* ---- mirror_sample ------------------------------------------------------- */

static int sample_setup_validate(const struct fz_call *c)
{
	u64 addr = FIELD(c, struct mirror_sample_setup, addr);
	u64 len = FIELD(c, struct mirror_sample_setup, len);
	int r = fz_argblock_rule(c);

	if (r)
		return r;
	if (!len || len > MIRROR_SAMPLE_MAX_LEN || (addr & (FZ_PAGE - 1)) ||
	    (len & (FZ_PAGE - 1)))
		return -EINVAL;
	if (c->fsflags & FZ_FS_FOREIGN)
		return -EPERM;
	if (c->fsflags & FZ_FS_SETUP)
		return -EBUSY;
	/* The window: in the user address space (else -EINVAL), or -EBUSY. */
	return FZ_UNKNOWN;
}

struct fz_pread_arg {
	__u64 len, buf, off;
};

/* ksys_pread64(), vfs_read(), then sample_read(). */
static int sample_read_validate(const struct fz_call *c)
{
	u64 n = FIELD(c, struct fz_pread_arg, len);
	u64 buf = FIELD(c, struct fz_pread_arg, buf);
	u64 off = FIELD(c, struct fz_pread_arg, off);

	if ((s64)off < 0)
		return -EINVAL;
	if (!fz_access_ok(buf, n))
		return -EFAULT;
	if ((s64)(off + n) < 0)
		return -EINVAL;
	if (!(c->fsflags & FZ_FS_SETUP))
		return FZ_UNKNOWN;		/* -ENXIO, unless set up */
	if (!n || off >= FZ_SAMPLE_LEN)
		return FZ_MUST_OK;		/* 0: nothing to read */
	return FZ_UNKNOWN;
}

/* At most what was asked, 64 KiB, the window's rest; the memory's bytes. */
static int sample_read_post(const struct fz_call *c, long ret, int err,
			    char *why, size_t len)
{
	u64 n = FIELD(c, struct fz_pread_arg, len);
	u64 buf = FIELD(c, struct fz_pread_arg, buf);
	u64 off = FIELD(c, struct fz_pread_arg, off);
	u64 max = n < 65536 ? n : 65536;

	if (ret == -1)
		return 0;
	if (!(c->fsflags & FZ_FS_SETUP))
		return ret > (long)max ? FAIL("read %ld of %llu bytes", ret,
					      (unsigned long long)n) : 0;
	if (off >= FZ_SAMPLE_LEN || !n)
		return ret ? FAIL("read %ld bytes past the window", ret) : 0;
	if (FZ_SAMPLE_LEN - off < max)
		max = FZ_SAMPLE_LEN - off;
	if (ret != (long)max)
		return FAIL("read %ld bytes, want %llu", ret,
			    (unsigned long long)max);
	if (c->ubuf == PTR_BAD || c->ubuf == PTR_RO)
		return FAIL("read %ld bytes into an unusable buffer", ret);
	if (c->quiet && c->ubuf == PTR_OK &&
	    memcmp((void *)(uintptr_t)buf,
		   (void *)(uintptr_t)(FZ_ARENA_BASE + off), ret))
		return FAIL("the bytes read differ from the memory at %#llx",
			    (unsigned long long)(FZ_ARENA_BASE + off));
	return 0;
}

/* ---- edu_mirror ---------------------------------------------------------- */

/* Only the opener may use the file, then the copy of the argument. */
static int edu_rule(const struct fz_call *c)
{
	if (c->fsflags & FZ_FS_FOREIGN)
		return -EPERM;
	return fz_argblock_rule(c);
}

/* Outside every window: below the first page or above the end. */
static bool edu_outside(u64 addr, u64 len)
{
	return addr < FZ_PAGE || addr + len > fz_edu_va_end;
}

static int edu_copy_validate(const struct fz_call *c)
{
	u64 src = FIELD(c, struct edu_mirror_copy, src);
	u64 dst = FIELD(c, struct edu_mirror_copy, dst);
	u64 n = FIELD(c, struct edu_mirror_copy, len);
	int r = edu_rule(c);

	if (r)
		return r;
	if (FIELD(c, struct edu_mirror_copy, flags) || !n ||
	    n > EDU_MIRROR_MAX_LEN || src + n < src || dst + n < dst)
		return -EINVAL;
	if (edu_outside(src, n) || edu_outside(dst, n))
		return -EFAULT;
	return c->argptr == PTR_RO ? FZ_UNKNOWN : 0;
}

static int edu_map_validate(const struct fz_call *c)
{
	u64 addr = FIELD(c, struct edu_mirror_map, addr);
	u64 n = FIELD(c, struct edu_mirror_map, len);
	int r = edu_rule(c);

	if (r)
		return r;
	if ((FIELD(c, struct edu_mirror_map, flags) & ~EDU_MIRROR_MAP_WRITE) ||
	    FIELD(c, struct edu_mirror_map, pad) || (addr & (FZ_PAGE - 1)) ||
	    (n & (FZ_PAGE - 1)) || !n || n > EDU_MIRROR_MAX_MAP ||
	    addr + n < addr)
		return -EINVAL;
	return edu_outside(addr, n) ? -EFAULT : 0;
}

static int edu_mode_validate(const struct fz_call *c)
{
	u64 mode = FIELD(c, struct fz_u32_arg, v);
	int r = edu_rule(c);

	if (r)
		return r;
	if (mode != EDU_MIRROR_MODE_NOTIFIER && mode != EDU_MIRROR_MODE_PINNED)
		return -EINVAL;
	return 0;
}

static int edu_stats_validate(const struct fz_call *c)
{
	if (c->fsflags & FZ_FS_FOREIGN)
		return -EPERM;
	if (c->argptr == PTR_BAD || c->argptr == PTR_SHORT ||
	    c->argptr == PTR_RO)
		return -EFAULT;
	return c->argptr == PTR_ARENA ? FZ_UNKNOWN : FZ_MUST_OK;
}

static int edu_test_validate(const struct fz_call *c)
{
	int r;

	if ((c->fsflags & FZ_FS_FOREIGN) || !fz_edu_knobs)
		return -EPERM;
	r = fz_argblock_rule(c);
	if (r)
		return r;
	if ((FIELD(c, struct edu_mirror_test, flags) & ~EDU_MIRROR_TEST_ALL) ||
	    FIELD(c, struct edu_mirror_test, dma_timeout_ms) > 60000)
		return -EINVAL;
	return FZ_MUST_OK;
}

/* The copy's own report, and, with nothing else running, its data. */
static int edu_copy_post(const struct fz_call *c, long ret, int err,
			 char *why, size_t len)
{
	const struct edu_mirror_copy *o = (const void *)c->out;
	u64 src = FIELD(c, struct edu_mirror_copy, src);
	u64 dst = FIELD(c, struct edu_mirror_copy, dst);
	u64 n = FIELD(c, struct edu_mirror_copy, len);

	if (ret || !o)
		return 0;
	if (o->retries > o->faults || o->faults < 3 || !o->src_done_ns ||
	    o->dst_done_ns < o->src_done_ns)
		return FAIL("faults %llu retries %llu, done %llu then %llu ns",
			    (unsigned long long)o->faults,
			    (unsigned long long)o->retries,
			    (unsigned long long)o->src_done_ns,
			    (unsigned long long)o->dst_done_ns);
	if (c->quiet && (src + n <= dst || dst + n <= src) &&
	    memcmp((void *)(uintptr_t)dst, (void *)(uintptr_t)src, n))
		return FAIL("the copy's destination differs from its source");
	return 0;
}

static int edu_stats_post(const struct fz_call *c, long ret, int err,
			  char *why, size_t len)
{
	const struct edu_mirror_stats *st = (const void *)c->out;

	if (ret || !st)
		return 0;
	/* The fuzzer never sets a knob: no sync may have been skipped. */
	if (st->va_end != fz_edu_va_end ||
	    st->iotlb_syncs_skipped != fz_edu_skipped)
		return FAIL("va_end %#llx (was %#llx), %llu syncs skipped (%llu before the run)",
			    (unsigned long long)st->va_end,
			    (unsigned long long)fz_edu_va_end,
			    (unsigned long long)st->iotlb_syncs_skipped,
			    (unsigned long long)fz_edu_skipped);
	return 0;
}

/* ---- layouts ------------------------------------------------------------- */

static const struct fz_field reg_fields[] = {
	F(struct odp_reg_mr, addr, FK_RADDR),
	F(struct odp_reg_mr, length, FK_RLEN),
	F(struct odp_reg_mr, access, FK_ACCESS),
	F(struct odp_reg_mr, lkey, FK_OUT),
	F(struct odp_reg_mr, rkey, FK_OUT),
	F(struct odp_reg_mr, reserved, FK_ZERO),
};

static const struct fz_struct reg_st = ST(struct odp_reg_mr, reg_fields);

static const struct fz_field key_fields[] = {
	F(struct fz_u32_arg, v, FK_KEY),
};

static const struct fz_struct key_st = ST(struct fz_u32_arg, key_fields);

static const struct fz_field qpn_fields[] = {
	F(struct fz_u32_arg, v, FK_QPN),
};

static const struct fz_struct qpn_st = ST(struct fz_u32_arg, qpn_fields);

static const struct fz_field query_mr_fields[] = {
	F(struct odp_mr_query, lkey, FK_KEY),
	F(struct odp_mr_query, flags, FK_OUT),
	F(struct odp_mr_query, addr, FK_OUT),
	F(struct odp_mr_query, length, FK_OUT),
};

static const struct fz_struct query_mr_st =
	ST(struct odp_mr_query, query_mr_fields);

static const struct fz_field create_fields[] = {
	F(struct odp_create_qp, sq_depth, FK_DEPTH),
	F(struct odp_create_qp, rq_depth, FK_DEPTH),
	F(struct odp_create_qp, qpn, FK_OUT),
	F(struct odp_create_qp, reserved, FK_ZERO),
};

static const struct fz_struct create_st =
	ST(struct odp_create_qp, create_fields);

static const struct fz_field connect_fields[] = {
	F(struct odp_connect_qp, qpn, FK_QPN),
	F(struct odp_connect_qp, remote_qpn, FK_RQPN),
};

static const struct fz_struct connect_st =
	ST(struct odp_connect_qp, connect_fields);

/* Keys first: the address and length are chosen inside the key's MR. */
static const struct fz_field swr_fields[] = {
	F(struct odp_send_wr, wr_id, FK_ANY),
	F(struct odp_send_wr, opcode, FK_OPCODE),
	F(struct odp_send_wr, flags, FK_ZERO),
	F(struct odp_send_wr, sge.lkey, FK_KEY),
	F(struct odp_send_wr, sge.length, FK_SGELEN),
	F(struct odp_send_wr, sge.addr, FK_SGEADDR),
	F(struct odp_send_wr, rkey, FK_RKEY),
	F(struct odp_send_wr, remote_addr, FK_REMADDR),
	F(struct odp_send_wr, reserved, FK_ZERO),
	F(struct odp_send_wr, compare_add, FK_ANY),
	F(struct odp_send_wr, swap, FK_ANY),
};

static const struct fz_struct swr_st = ST(struct odp_send_wr, swr_fields);

static const struct fz_field rwr_fields[] = {
	F(struct odp_recv_wr, wr_id, FK_ANY),
	F(struct odp_recv_wr, sge.lkey, FK_KEY),
	F(struct odp_recv_wr, sge.length, FK_SGELEN),
	F(struct odp_recv_wr, sge.addr, FK_SGEADDR),
};

static const struct fz_struct rwr_st = ST(struct odp_recv_wr, rwr_fields);

static const struct fz_field send_fields[] = {
	F(struct odp_post, qpn, FK_QPN),
	F(struct odp_post, nr, FK_NR_ELEMS),
	FA(struct odp_post, wrs, swr_st),
	F(struct odp_post, posted, FK_OUT),
	F(struct odp_post, reserved, FK_ZERO),
};

static const struct fz_struct send_st = ST(struct odp_post, send_fields);

static const struct fz_field recv_fields[] = {
	F(struct odp_post, qpn, FK_QPN),
	F(struct odp_post, nr, FK_NR_ELEMS),
	FA(struct odp_post, wrs, rwr_st),
	F(struct odp_post, posted, FK_OUT),
	F(struct odp_post, reserved, FK_ZERO),
};

static const struct fz_struct recv_st = ST(struct odp_post, recv_fields);

static const struct fz_field poll_fields[] = {
	F(struct odp_poll_cq, qpn, FK_QPN),
	F(struct odp_poll_cq, nr, FK_NR_ELEMS),
	F(struct odp_poll_cq, wcs, FK_UBUF),
	F(struct odp_poll_cq, timeout_ms, FK_TIMEOUT),
	F(struct odp_poll_cq, count, FK_OUT),
};

static const struct fz_struct poll_st = ST(struct odp_poll_cq, poll_fields);

static const struct fz_field sge_fields[] = {
	F(struct odp_sge, lkey, FK_KEY),
	F(struct odp_sge, length, FK_SGELEN),
	F(struct odp_sge, addr, FK_SGEADDR),
};

static const struct fz_struct sge_st = ST(struct odp_sge, sge_fields);

static const u64 advices[] = {
	ODP_ADVISE_PREFETCH, ODP_ADVISE_PREFETCH_WRITE,
	ODP_ADVISE_PREFETCH_NO_FAULT,
};

static const u64 advise_flags[] = { ODP_ADVISE_FLAG_FLUSH };

static const struct fz_field advise_fields[] = {
	FV(struct odp_advise_mr, advice, FK_ENUM, advices),
	FV(struct odp_advise_mr, flags, FK_FLAGS, advise_flags),
	F(struct odp_advise_mr, nr_sge, FK_NR_ELEMS),
	F(struct odp_advise_mr, reserved, FK_ZERO),
	FA(struct odp_advise_mr, sges, sge_st),
};

static const struct fz_struct advise_st =
	ST(struct odp_advise_mr, advise_fields);

static const u64 pd_mirrors[] = { ODP_PD_MIRROR_ODP, ODP_PD_MIRROR_PINNED };

static const struct fz_field query_pd_fields[] = {
	FV(struct odp_pd_query, mirror, FK_ENUM, pd_mirrors),
	F(struct odp_pd_query, nr_mrs, FK_OUT),
	F(struct odp_pd_query, nr_qps, FK_OUT),
	F(struct odp_pd_query, reserved, FK_ZERO),
};

static const struct fz_struct query_pd_st =
	ST(struct odp_pd_query, query_pd_fields);

static const struct fz_field setup_fields[] = {
	F(struct mirror_sample_setup, addr, FK_MADDR),
	F(struct mirror_sample_setup, len, FK_PLEN),
};

static const struct fz_struct setup_st =
	ST(struct mirror_sample_setup, setup_fields);

static const struct fz_field pread_fields[] = {
	F(struct fz_pread_arg, len, FK_LEN),
	F(struct fz_pread_arg, buf, FK_UBUF),
	F(struct fz_pread_arg, off, FK_POFF),
};

static const struct fz_struct pread_st = ST(struct fz_pread_arg, pread_fields);

static const struct fz_field copy_fields[] = {
	F(struct edu_mirror_copy, src, FK_RADDR),
	F(struct edu_mirror_copy, len, FK_RLEN),
	F(struct edu_mirror_copy, dst, FK_RADDR),
	F(struct edu_mirror_copy, flags, FK_ZERO),
	F(struct edu_mirror_copy, faults, FK_OUT),
	F(struct edu_mirror_copy, retries, FK_OUT),
};

static const struct fz_struct copy_st = ST(struct edu_mirror_copy, copy_fields);

static const u64 map_flags[] = { EDU_MIRROR_MAP_WRITE };

static const struct fz_field map_fields[] = {
	F(struct edu_mirror_map, addr, FK_MADDR),
	F(struct edu_mirror_map, len, FK_PLEN),
	FV(struct edu_mirror_map, flags, FK_FLAGS, map_flags),
	F(struct edu_mirror_map, pad, FK_ZERO),
};

static const struct fz_struct map_st = ST(struct edu_mirror_map, map_fields);

static const u64 edu_modes[] = {
	EDU_MIRROR_MODE_NOTIFIER, EDU_MIRROR_MODE_PINNED,
};

static const struct fz_field mode_fields[] = {
	FV(struct fz_u32_arg, v, FK_ENUM, edu_modes),
};

static const struct fz_struct mode_st = ST(struct fz_u32_arg, mode_fields);

static const struct fz_field stats_fields[] = {
	F(struct edu_mirror_stats, faults, FK_OUT),
};

static const struct fz_struct stats_st =
	ST(struct edu_mirror_stats, stats_fields);

static const struct fz_field test_fields[] = {
	F(struct edu_mirror_test, flags, FK_TFLAGS),
	F(struct edu_mirror_test, dma_timeout_ms, FK_TMO),
};

static const struct fz_struct test_st = ST(struct edu_mirror_test, test_fields);

/* ---- the calls ----------------------------------------------------------- */

#define DEV(n, t, r, st, w, u, fl, e, v, p, nt, max)			\
	{ n, t, OP_IOCTL, r, st, NULL, 0, w, u, fl, e, v, p, nt, max }
#define IN		FD_COPYIN
#define INOUT		(FD_COPYIN | FD_COPYOUT)

/*
 * Weights: the odp_demo calls that make traffic and drain it most; the
 * edu ones lowest, as each of its copies is two DMAs of about 100 ms.
 */
const struct fz_desc fz_dev_descs[] = {
	DEV("ODP_REG_MR", FT_ODP, ODP_REG_MR, &reg_st, 8, 0, INOUT,
	    odp_reg_errs, odp_reg_validate, odp_reg_post, fz_note_odp_mr,
	    FZ_MIB),
	DEV("ODP_DEREG_MR", FT_ODP, ODP_DEREG_MR, &key_st, 5, 0,
	    IN | FD_DROPS, odp_key_errs, odp_owner_validate, NULL,
	    fz_note_odp_mr, 0),
	DEV("ODP_QUERY_MR", FT_ODP, ODP_QUERY_MR, &query_mr_st, 4, 0, INOUT,
	    odp_query_errs, odp_query_mr_validate, odp_query_mr_post, NULL,
	    0),
	DEV("ODP_CREATE_QP", FT_ODP, ODP_CREATE_QP, &create_st, 3, 0, INOUT,
	    odp_create_errs, odp_create_validate, odp_create_post,
	    fz_note_odp_qp, 0),
	DEV("ODP_CONNECT_QP", FT_ODP, ODP_CONNECT_QP, &connect_st, 5, 0, IN,
	    odp_connect_errs, odp_owner_validate, NULL, NULL, 0),
	DEV("ODP_DESTROY_QP", FT_ODP, ODP_DESTROY_QP, &qpn_st, 2, 0,
	    IN | FD_DROPS, odp_key_errs, odp_owner_validate, NULL,
	    fz_note_odp_qp, 0),
	DEV("ODP_POST_SEND", FT_ODP, ODP_POST_SEND, &send_st, 14, 0, INOUT,
	    odp_post_errs, odp_post_validate, odp_post_post, NULL,
	    ODP_MAX_QP_DEPTH),
	DEV("ODP_POST_RECV", FT_ODP, ODP_POST_RECV, &recv_st, 10, 0, INOUT,
	    odp_post_errs, odp_post_validate, odp_post_post, NULL,
	    ODP_MAX_QP_DEPTH),
	DEV("ODP_POLL_CQ", FT_ODP, ODP_POLL_CQ, &poll_st, 16,
	    sizeof(struct odp_wc), INOUT | FD_KWRITES_UBUF, odp_poll_errs,
	    odp_poll_validate, odp_poll_post, NULL, 2 * ODP_MAX_QP_DEPTH),
	DEV("ODP_ADVISE_MR", FT_ODP, ODP_ADVISE_MR, &advise_st, 6, 0, IN,
	    odp_advise_errs, odp_advise_validate, NULL, NULL,
	    ODP_MAX_ADVISE_SGES),
	DEV("ODP_QUERY_PD", FT_ODP, ODP_QUERY_PD, &query_pd_st, 3, 0, INOUT,
	    odp_query_errs, odp_query_pd_validate, odp_query_pd_post, NULL,
	    0),
	DEV("MIRROR_SAMPLE_SETUP", FT_SAMPLE, MIRROR_SAMPLE_SETUP, &setup_st,
	    3, 0, IN | FD_FRESH_ONLY, sample_setup_errs,
	    sample_setup_validate, NULL, NULL, MIRROR_SAMPLE_MAX_LEN),
	{ "pread(mirror_sample)", FT_SAMPLE, OP_PREAD, 0, &pread_st, NULL, 0,
	  8, 0, FD_KWRITES_UBUF, sample_read_errs, sample_read_validate,
	  sample_read_post, NULL, 0 },
	DEV("EDU_MIRROR_COPY", FT_EDU, EDU_MIRROR_COPY, &copy_st, 1, 0, INOUT,
	    edu_dma_errs, edu_copy_validate, edu_copy_post, NULL,
	    EDU_MIRROR_MAX_LEN),
	DEV("EDU_MIRROR_MAP", FT_EDU, EDU_MIRROR_MAP, &map_st, 1, 0, IN,
	    edu_dma_errs, edu_map_validate, NULL, NULL, FZ_MIB),
	DEV("EDU_MIRROR_SET_MODE", FT_EDU, EDU_MIRROR_SET_MODE, &mode_st, 1,
	    0, IN | FD_FRESH_ONLY, edu_mode_errs, edu_mode_validate, NULL,
	    NULL, 0),
	DEV("EDU_MIRROR_GET_STATS", FT_EDU, EDU_MIRROR_GET_STATS, &stats_st,
	    1, 0, FD_COPYOUT, edu_stats_errs, edu_stats_validate,
	    edu_stats_post, NULL, 0),
	DEV("EDU_MIRROR_SET_TEST", FT_EDU, EDU_MIRROR_SET_TEST, &test_st, 1,
	    0, IN, edu_test_errs, edu_test_validate, NULL, NULL, 0),
};

const unsigned int fz_ndev_descs = ARRAY_SIZE(fz_dev_descs);
