// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_dev.c - the devices with state of their own: odp_demo, mirror_sample
 * and edu_mirror
 *
 * An odp_demo call is only valid with keys and QP numbers the PD knows,
 * so the world keeps, per PD, the MRs and QPs made when the file was
 * opened (an MR over the whole arena, an implicit one, a small pinned
 * one; two QPs connected to those of the other PD) and, in rings, those
 * that valid calls registered or created (struct fz_odp).  The value
 * kinds here pick from them: a key and an address range inside its MR,
 * a peer's rkey and a remote address inside that MR, 8-byte aligned for
 * atomics, a QP and the peer it belongs to; corrupted, they become stale
 * keys, keys of the other PD, unknown QP numbers, ranges past the MR,
 * lengths above the limits, unaligned atomics and unreachable addresses.
 * Every address a work request names lies in the arena (the implicit MR
 * covers the whole address space, but its work stays in the arena), so
 * the NIC engine can never write over the fuzzer itself.
 *
 * mirror_sample files are opened with their window set up over the
 * first FZ_NSLOTS arena slots (sample0) or fresh (sample1); the edu file
 * is opened where the boot has the device, and its test knobs are never
 * set: valid SET_TEST calls clear them.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "fuzz.h"

#define FZ_ODP_ALL	(ODP_ACCESS_LOCAL_WRITE | ODP_ACCESS_REMOTE_WRITE | \
			 ODP_ACCESS_REMOTE_READ | ODP_ACCESS_REMOTE_ATOMIC)

/* ---- what the fuzzer knows of a PD --------------------------------------- */

/**
 * fz_odp_pd() - the PD index of a file slot
 * @fdslot: FS_*
 *
 * Return: 0 or 1 for FS_ODP0 and FS_ODP1, -1 for any other slot.
 */
int fz_odp_pd(int fdslot)
{
	return fdslot == FS_ODP0 ? 0 : fdslot == FS_ODP1 ? 1 : -1;
}

static void mr_store(struct fz_odp_mr *m, u32 key, u64 addr, u64 len,
		     u32 access)
{
	__atomic_store_n(&m->key, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&m->addr, addr, __ATOMIC_RELAXED);
	__atomic_store_n(&m->len, len, __ATOMIC_RELAXED);
	__atomic_store_n(&m->access, access, __ATOMIC_RELAXED);
	__atomic_store_n(&m->key, key ? key : ~0U, __ATOMIC_RELEASE);
}

static void mr_load(const struct fz_odp_mr *m, struct fz_odp_mr *out)
{
	out->key = __atomic_load_n(&m->key, __ATOMIC_ACQUIRE);
	out->addr = __atomic_load_n(&m->addr, __ATOMIC_RELAXED);
	out->len = __atomic_load_n(&m->len, __ATOMIC_RELAXED);
	out->access = __atomic_load_n(&m->access, __ATOMIC_RELAXED);
	if (out->key == ~0U)
		out->key = 0;	/* key 0 is stored as ~0: 0 is "none" */
	else if (!out->key)
		out->key = ~0U;	/* an empty entry: a key nobody has */
}

static void odp_reset(struct fz_odp *o)
{
	memset(o->mr, 0, sizeof(o->mr));
	memset(o->qpn, 0, sizeof(o->qpn));
	atomic_store(&o->next_mr, 0);
	atomic_store(&o->next_qp, 0);
}

static int odp_reg(int fd, u64 addr, u64 len, u32 access, u32 *key)
{
	struct odp_reg_mr reg = { .addr = addr, .length = len,
				  .access = access };

	if (ioctl(fd, ODP_REG_MR, &reg))
		return -errno;
	*key = reg.lkey;
	return 0;
}

static u32 odp_new_qp(int fd)
{
	struct odp_create_qp q = { .sq_depth = 16, .rq_depth = 16 };

	return ioctl(fd, ODP_CREATE_QP, &q) ? 0 : q.qpn;
}

static void odp_connect(int fd, u32 qpn, u32 remote)
{
	struct odp_connect_qp cq = { .qpn = qpn, .remote_qpn = remote };

	if (fd >= 0 && qpn && remote)
		ioctl(fd, ODP_CONNECT_QP, &cq);
}

/**
 * fz_odp_populate() - give a PD the MRs and QPs it starts with
 * @w: the world
 * @pd: 0 or 1 (recorded, the QPs connected to the other PD's), or -1
 * @fd: the PD's file
 *
 * Context: the world's memory is mapped (the pinned MR pins it).
 */
void fz_odp_populate(struct fz_world *w, int pd, int fd)
{
	static const struct { u64 addr, len; u32 access; } fixed[] = {
		{ FZ_ARENA_BASE, FZ_ARENA_SIZE,
		  FZ_ODP_ALL | ODP_ACCESS_ON_DEMAND },
		{ 0, ODP_IMPLICIT_LENGTH, FZ_ODP_ALL | ODP_ACCESS_ON_DEMAND },
		{ FZ_ARENA_BASE + 10 * FZ_SLOT_SIZE, FZ_ODP_PIN_LEN,
		  ODP_ACCESS_LOCAL_WRITE | ODP_ACCESS_REMOTE_READ |
		  ODP_ACCESS_REMOTE_WRITE },
	};
	struct fz_odp *o = pd >= 0 ? &w->odp[pd] : NULL;
	unsigned int i;
	u32 key = 0;

	for (i = 0; i < FZ_ODP_FIXED; i++) {
		if (odp_reg(fd, fixed[i].addr, fixed[i].len, fixed[i].access,
			    &key))
			continue;
		if (o)
			mr_store(&o->mr[i], key, i == 1 ? FZ_ARENA_BASE :
				 fixed[i].addr, i == 1 ? FZ_ARENA_SIZE :
				 fixed[i].len, fixed[i].access);
	}
	for (i = 0; i < FZ_ODP_FIXED_QPS; i++) {
		u32 qpn = odp_new_qp(fd), peer;
		int pfd;

		if (!o)
			continue;
		__atomic_store_n(&o->qpn[i], qpn, __ATOMIC_RELAXED);
		peer = __atomic_load_n(&w->odp[1 - pd].qpn[i],
				       __ATOMIC_RELAXED);
		pfd = atomic_load(&w->fs[FS_ODP0 + 1 - pd].fd);
		odp_connect(fd, qpn, peer);
		odp_connect(pfd, peer, qpn);
	}
}

/**
 * fz_open_odp() - open a PD
 * @w: the world
 * @pd: 0 or 1: its knowledge is reset; -1: a PD for a donor, populated
 *
 * Return: the file or -errno.
 */
int fz_open_odp(struct fz_world *w, int pd)
{
	int fd = open("/dev/odp_demo", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (pd >= 0)
		odp_reset(&w->odp[pd]);
	else
		fz_odp_populate(w, -1, fd);
	return fd;
}

/**
 * fz_open_sample() - open a mirror_sample file
 * @w: the world
 * @setup: with its window over the first FZ_NSLOTS arena slots
 *
 * Return: the file or -errno.
 */
int fz_open_sample(struct fz_world *w, bool setup)
{
	struct mirror_sample_setup su = {
		.addr = FZ_ARENA_BASE, .len = FZ_SAMPLE_LEN,
	};
	int fd = open("/dev/mirror_sample", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (setup && ioctl(fd, MIRROR_SAMPLE_SETUP, &su)) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

/**
 * fz_open_edu() - open the edu device, if the boot has it and it is free
 *
 * Also learns where its windows end and whether its test knobs answer.
 *
 * Return: the file or -errno.
 */
int fz_open_edu(void)
{
	struct edu_mirror_stats st;
	struct edu_mirror_test knobs = { 0, 0 };
	int fd = open("/dev/edu_mirror0", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (ioctl(fd, EDU_MIRROR_GET_STATS, &st)) {
		close(fd);
		return -EIO;
	}
	fz_edu_va_end = st.va_end;
	/* Device-wide: earlier programs of the boot may have skipped some. */
	if (!fz_edu_opened) {
		fz_edu_skipped = st.iotlb_syncs_skipped;
		fz_edu_opened = true;
	}
	fz_edu_knobs = !ioctl(fd, EDU_MIRROR_SET_TEST, &knobs);
	return fd;
}

/**
 * fz_dev_reopen() - replace an odp_demo, mirror_sample or edu file
 * @w: the world
 * @slot: FS_ODP0, FS_ODP1, FS_SAMPLE0, FS_SAMPLE1 or FS_EDU0
 *
 * The edu device takes one file at a time: the old one goes first, and
 * the slot stays empty (-1) while a forked child still holds it.
 */
void fz_dev_reopen(struct fz_world *w, int slot)
{
	int fd;

	switch (slot) {
	case FS_ODP0:
	case FS_ODP1:
		fd = fz_open_odp(w, fz_odp_pd(slot));
		if (fd < 0)
			return;
		fz_fd_replace(w, slot, fd, w->pid);
		fz_odp_populate(w, fz_odp_pd(slot), fd);
		return;
	case FS_SAMPLE0:
	case FS_SAMPLE1:
		fd = fz_open_sample(w, slot == FS_SAMPLE0);
		if (fd >= 0)
			fz_fd_replace(w, slot, fd, w->pid);
		return;
	default:
		if (!(w->avail & (1U << FT_EDU)))
			return;
		fz_fd_replace(w, slot, -1, w->pid);
		fd = fz_open_edu();
		if (fd >= 0)
			fz_fd_replace(w, slot, fd, w->pid);
		return;
	}
}

/* ---- what successful calls made ----------------------------------------- */

/**
 * fz_note_odp_mr() - remember an MR a call registered, forget one it
 * deregistered
 * @t: the calling thread
 * @c: the call (it succeeded)
 */
void fz_note_odp_mr(struct fz_thread *t, const struct fz_call *c)
{
	int pd = fz_odp_pd(c->fdslot);
	struct fz_odp *o;
	unsigned int i;
	u32 key;

	if (pd < 0)
		return;
	o = &t->w->odp[pd];
	if (c->desc->req == ODP_DEREG_MR) {
		key = (u32)fz_get_field(c->mem, 0, sizeof(key));
		for (i = FZ_ODP_FIXED; i < FZ_ODP_MRS; i++)
			if (__atomic_load_n(&o->mr[i].key, __ATOMIC_RELAXED) ==
			    (key ? key : ~0U))
				__atomic_store_n(&o->mr[i].key, 0,
						 __ATOMIC_RELAXED);
		return;
	}
	if (!c->out || FIELD(c, struct odp_reg_mr, length) ==
	    ODP_IMPLICIT_LENGTH)
		return;
	i = FZ_ODP_FIXED + atomic_fetch_add(&o->next_mr, 1) %
	    (FZ_ODP_MRS - FZ_ODP_FIXED);
	mr_store(&o->mr[i], (u32)OUTFIELD(c, struct odp_reg_mr, lkey),
		 FIELD(c, struct odp_reg_mr, addr),
		 FIELD(c, struct odp_reg_mr, length),
		 (u32)FIELD(c, struct odp_reg_mr, access));
}

/**
 * fz_note_odp_qp() - remember a QP a call created, forget one it destroyed
 * @t: the calling thread
 * @c: the call (it succeeded)
 */
void fz_note_odp_qp(struct fz_thread *t, const struct fz_call *c)
{
	int pd = fz_odp_pd(c->fdslot);
	struct fz_odp *o;
	unsigned int i;
	u32 qpn;

	if (pd < 0)
		return;
	o = &t->w->odp[pd];
	if (c->desc->req == ODP_DESTROY_QP) {
		qpn = (u32)fz_get_field(c->mem, 0, sizeof(qpn));
		for (i = FZ_ODP_FIXED_QPS; i < FZ_ODP_QPS; i++)
			if (__atomic_load_n(&o->qpn[i],
					    __ATOMIC_RELAXED) == qpn)
				__atomic_store_n(&o->qpn[i], 0,
						 __ATOMIC_RELAXED);
		return;
	}
	if (!c->out)
		return;
	i = FZ_ODP_FIXED_QPS + atomic_fetch_add(&o->next_qp, 1) %
	    (FZ_ODP_QPS - FZ_ODP_FIXED_QPS);
	__atomic_store_n(&o->qpn[i],
			 (u32)OUTFIELD(c, struct odp_create_qp, qpn),
			 __ATOMIC_RELAXED);
}

/* ---- value kinds ------------------------------------------------------- */

static u64 slot_size(unsigned int s)
{
	return s == FZ_BIG_SLOT ? FZ_BIG_SIZE : FZ_SLOT_SIZE;
}

static u64 small_len(struct fz_rng *r, u64 max)
{
	u64 n;

	if (fz_pct(r, 40))
		n = 1 + fz_below(r, 64);
	else if (fz_pct(r, 65))
		n = 1 + fz_below(r, FZ_PAGE);
	else
		n = 1 + fz_below(r, max);
	return n < max ? n : max;
}

/* Unreachable, or just at the edges of the user address space. */
static u64 edge_addr(struct fz_gctx *g)
{
	struct fz_rng *r = g->r;

	switch (fz_below(r, 5)) {
	case 0:
		return fz_user_top - fz_below(r, FZ_PAGE);
	case 1:
		return (1ULL << 57) - fz_below(r, 2) * FZ_PAGE;
	case 2:
		return fz_rand64(r);
	default:
		return fz_bad_addr(g->t);
	}
}

/* A byte range in the arena or the caller's data buffer. */
static u64 gen_raddr(struct fz_gctx *g, bool bad)
{
	struct fz_rng *r = g->r;
	bool odp = g->d->ftype == FT_ODP;
	u64 off, size;

	g->implicit = odp && fz_pct(r, 3);
	if (g->implicit)
		return 0;
	if (!odp && fz_pct(r, 20)) {
		off = fz_below(r, FZ_PAGE);
		g->addr = (uintptr_t)g->t->b.data + off;
		g->room = FZ_DATA_SIZE - off;
	} else {
		g->slot = fz_pct(r, 8) ? FZ_BIG_SLOT : fz_below(r, FZ_NSLOTS);
		size = slot_size(g->slot);
		off = fz_below(r, size);
		if (fz_pct(r, 60))
			off &= ~(FZ_PAGE - 1);
		g->addr = fz_slot_base(g->slot) + off;
		g->room = size - off;
	}
	if (!bad)
		return g->addr;
	g->room = FZ_PAGE;
	g->addr = edge_addr(g);
	return g->addr;
}

static u64 gen_rlen(struct fz_gctx *g, bool bad)
{
	static const u64 edges[] = {
		0, ODP_MAX_MR_LENGTH, ODP_MAX_MR_LENGTH + 1,
		ODP_IMPLICIT_LENGTH, 1ULL << 57, 1ULL << 63, EDU_MIRROR_MAX_LEN,
		EDU_MIRROR_MAX_LEN + 1, 0x100000000ULL,
	};
	struct fz_rng *r = g->r;
	u64 max = g->d->maxlen < g->room ? g->d->maxlen : g->room;

	if (g->implicit && !bad)
		return g->len = ODP_IMPLICIT_LENGTH;
	if (!bad)
		return g->len = small_len(r, max ? max : 1);
	switch (fz_below(r, 4)) {
	case 0:
		g->len = -g->addr + fz_below(r, 2);	/* wraps to 0 or 1 */
		break;
	case 1:
		g->len = fz_user_top - g->addr + fz_below(r, 2);
		break;
	case 2:
		g->len = g->d->maxlen + 1 + fz_below(r, 2) * FZ_PAGE;
		break;
	default:
		g->len = fz_pick(r, edges, ARRAY_SIZE(edges));
		break;
	}
	return g->len;
}

static u64 gen_plen(struct fz_gctx *g, bool bad)
{
	static const u64 edges[] = {
		0, 1, FZ_PAGE - 1, FZ_PAGE + 1, 1ULL << 40, ~0ULL << 12,
		MIRROR_SAMPLE_MAX_LEN + FZ_PAGE, EDU_MIRROR_MAX_MAP + FZ_PAGE,
	};
	struct fz_rng *r = g->r;
	u64 max = (g->d->maxlen < g->room ? g->d->maxlen : g->room) / FZ_PAGE;

	if (!max)
		max = 1;
	if (!bad) {
		if (fz_pct(r, 40))
			g->len = FZ_PAGE;
		else if (fz_pct(r, 85))
			g->len = (1 + fz_below(r, max < 16 ? max : 16)) *
				 FZ_PAGE;
		else
			g->len = (1 + fz_below(r, max)) * FZ_PAGE;
		return g->len;
	}
	switch (fz_below(r, 3)) {
	case 0:
		g->len = -g->addr + fz_below(r, 2) * FZ_PAGE;	/* wraps */
		break;
	case 1:
		g->len = ((fz_user_top - g->addr) & ~(FZ_PAGE - 1)) +
			 fz_below(r, 2) * FZ_PAGE;
		break;
	default:
		g->len = fz_pick(r, edges, ARRAY_SIZE(edges));
		break;
	}
	return g->len;
}

static u64 gen_access(struct fz_gctx *g, bool bad)
{
	struct fz_rng *r = g->r;
	u64 v = fz_next(r) & FZ_ODP_ALL;

	if (v & (ODP_ACCESS_REMOTE_WRITE | ODP_ACCESS_REMOTE_ATOMIC))
		v |= ODP_ACCESS_LOCAL_WRITE;
	/* Pinned MRs pin everything at once: small ones only. */
	if (g->implicit || g->len > FZ_ODP_PIN_LEN || fz_pct(r, 85))
		v |= ODP_ACCESS_ON_DEMAND;
	if (!bad)
		return v;
	switch (fz_below(r, 3)) {
	case 0:
		return (v & ~(u64)ODP_ACCESS_LOCAL_WRITE) |
		       ODP_ACCESS_REMOTE_WRITE;
	case 1:
		return v | (1ULL << fz_below(r, 32));
	default:
		return v & ~(u64)ODP_ACCESS_ON_DEMAND;
	}
}

/* An entry of PD @pd's MRs (the first PD's for a foreign file). */
static void pick_mr(struct fz_gctx *g, int pd, bool fixed_ok, bool drops,
		    struct fz_odp_mr *out)
{
	const struct fz_odp *o = &g->t->w->odp[pd < 0 ? 0 : pd];
	struct fz_rng *r = g->r;
	unsigned int i;

	if (!drops && fixed_ok && fz_pct(r, 70))
		i = fz_below(r, FZ_ODP_FIXED);
	else if (!drops && fz_pct(r, 70))
		i = fz_below(r, 2);	/* the arena and implicit MRs */
	else
		i = FZ_ODP_FIXED + fz_below(r, FZ_ODP_MRS - FZ_ODP_FIXED);
	mr_load(&o->mr[i], out);
	if (out->key == ~0U && !drops)
		mr_load(&o->mr[0], out);
	/* Prefetch needs ODP MRs. */
	if (!fixed_ok && !(out->access & ODP_ACCESS_ON_DEMAND))
		mr_load(&o->mr[0], out);
}

static u64 bad_key(struct fz_gctx *g, u32 key)
{
	struct fz_rng *r = g->r;
	struct fz_odp_mr other;

	switch (fz_below(r, 6)) {
	case 0:
		return fz_pct(r, 50) ? 0 : ~0U;
	case 1:
		return key ^ (1 + fz_below(r, 255));	/* stale */
	case 2:
		return key + (1 + fz_below(r, 4)) * 0x100;	/* other slot */
	case 3:
		return (ODP_MAX_MRS + fz_below(r, 4)) << 8;
	case 4:
		pick_mr(g, g->pd == 0 ? 1 : 0, true, false, &other);
		return other.key;			/* the other PD's */
	default:
		return (u32)fz_next(r);
	}
}

static u64 gen_key(struct fz_gctx *g, bool bad)
{
	bool advise = g->d->req == ODP_ADVISE_MR;

	pick_mr(g, g->pd, !advise, g->d->flags & FD_DROPS, &g->mr);
	return bad ? bad_key(g, g->mr.key) : g->mr.key;
}

static u64 gen_rkey(struct fz_gctx *g, bool bad)
{
	int peer = g->pd == 1 ? 0 : 1;

	pick_mr(g, fz_pct(g->r, 85) ? peer : 1 - peer, true, false, &g->rmr);
	return bad ? bad_key(g, g->rmr.key) : g->rmr.key;
}

static bool atomic_op(u64 opcode)
{
	return opcode == ODP_WR_ATOMIC_CMP_AND_SWP ||
	       opcode == ODP_WR_ATOMIC_FETCH_AND_ADD;
}

static u64 gen_opcode(struct fz_gctx *g, bool bad)
{
	static const u64 ops[] = {
		ODP_WR_SEND, ODP_WR_SEND, ODP_WR_SEND, ODP_WR_RDMA_WRITE,
		ODP_WR_RDMA_WRITE, ODP_WR_RDMA_READ, ODP_WR_RDMA_READ,
		ODP_WR_ATOMIC_CMP_AND_SWP, ODP_WR_ATOMIC_FETCH_AND_ADD,
	};
	static const u64 wrong[] = { 1, 3, 7, 0x80, 0xffffffff };
	struct fz_rng *r = g->r;

	g->opcode = fz_pick(r, ops, ARRAY_SIZE(ops));
	return bad ? fz_pick(r, wrong, ARRAY_SIZE(wrong)) : g->opcode;
}

static u64 gen_sgelen(struct fz_gctx *g, bool bad)
{
	static const u64 edges[] = {
		ODP_MAX_SGE_LENGTH + 1, 0xffffffff, 0x80000000, 7, 9,
	};
	struct fz_rng *r = g->r;
	u64 max = g->mr.len < 65536 ? g->mr.len : 65536;

	if (bad)
		g->len = fz_pct(r, 30) ? g->mr.len + 1 :
			 fz_pick(r, edges, ARRAY_SIZE(edges));
	else if (g->st->size == sizeof(struct odp_send_wr) &&
		 atomic_op(g->opcode))
		g->len = 8;
	else
		g->len = fz_pct(r, 5) ? 0 : small_len(r, max ? max : 1);
	return (u32)g->len;
}

/* An address inside @mr for @len bytes, aligned to @align. */
static u64 in_mr(struct fz_gctx *g, const struct fz_odp_mr *mr, u64 align,
		 bool bad)
{
	struct fz_rng *r = g->r;
	u64 len = (u32)g->len, span, a;

	span = mr->len > len ? mr->len - len : 0;
	a = (mr->addr + fz_below(r, span + 1) + align - 1) & ~(align - 1);
	if (a - mr->addr > span && a >= align)
		a -= align;
	if (!bad)
		return a;
	switch (fz_below(r, 4)) {
	case 0:
		return mr->addr - 1 - fz_below(r, FZ_PAGE);	/* before */
	case 1:
		return mr->addr + span + 1 + fz_below(r, 64);	/* past */
	case 2:
		return a + 1 + fz_below(r, align > 1 ? align - 1 : 7);
	default:
		return edge_addr(g);
	}
}

static u64 gen_sgeaddr(struct fz_gctx *g, bool bad)
{
	return in_mr(g, &g->mr, 1, bad);
}

static u64 gen_remaddr(struct fz_gctx *g, bool bad)
{
	return in_mr(g, &g->rmr, atomic_op(g->opcode) ? 8 : 1, bad);
}

static u32 known_qpn(struct fz_gctx *g, int pd, unsigned int i)
{
	return __atomic_load_n(&g->t->w->odp[pd < 0 ? 0 : pd].qpn[i],
			       __ATOMIC_RELAXED);
}

static u64 gen_qpn(struct fz_gctx *g, bool bad)
{
	static const u64 edges[] = { 0, 0xffffff, 0x1000000, 0xffffffff };
	struct fz_rng *r = g->r;
	u32 qpn;

	if (g->d->flags & FD_DROPS || fz_pct(r, 25))
		g->qp = FZ_ODP_FIXED_QPS +
			fz_below(r, FZ_ODP_QPS - FZ_ODP_FIXED_QPS);
	else
		g->qp = fz_below(r, FZ_ODP_FIXED_QPS);
	qpn = known_qpn(g, g->pd, g->qp);
	if (!qpn && !(g->d->flags & FD_DROPS)) {
		g->qp = 0;
		qpn = known_qpn(g, g->pd, 0);
	}
	if (!bad)
		return qpn;
	switch (fz_below(r, 4)) {
	case 0:
		return fz_pick(r, edges, ARRAY_SIZE(edges));
	case 1:
		return known_qpn(g, g->pd == 0 ? 1 : 0, fz_below(r, 2));
	case 2:
		return qpn ^ (1U << fz_below(r, 24));
	default:
		return (u32)fz_next(r);
	}
}

static u64 gen_rqpn(struct fz_gctx *g, bool bad)
{
	struct fz_rng *r = g->r;
	int peer = g->pd == 1 ? 0 : 1;

	if (bad)
		return fz_pct(r, 50) ? (u32)fz_next(r) :
		       known_qpn(g, g->pd, g->qp < 0 ? 0 : g->qp);
	if (g->qp >= 0 && g->qp < FZ_ODP_FIXED_QPS && fz_pct(r, 90))
		return known_qpn(g, peer, g->qp);
	return known_qpn(g, fz_below(r, 2), fz_below(r, FZ_ODP_QPS));
}

static u64 gen_depth(struct fz_gctx *g, bool bad)
{
	static const u64 edges[] = {
		0, ODP_MAX_QP_DEPTH + 1, 0xffffffff, 0x80000000, 0x10000,
	};
	struct fz_rng *r = g->r;

	if (bad)
		return fz_pick(r, edges, ARRAY_SIZE(edges));
	if (fz_pct(r, 60))
		return 1 + fz_below(r, 8);
	return 1 + fz_below(r, fz_pct(r, 90) ? 64 : ODP_MAX_QP_DEPTH);
}

static u64 gen_nr(struct fz_gctx *g, bool bad)
{
	struct fz_rng *r = g->r;
	u64 lim = g->d->maxlen, n;
	const u64 edges[] = { 0, lim + 1, lim, 0xffffffff, 0x80000000 };

	if (bad)
		n = fz_pick(r, edges, ARRAY_SIZE(edges));
	else
		n = 1 + fz_below(r, fz_pct(r, 85) ? 4 : 16);
	if (!bad && n > lim)
		n = lim;
	g->count = n;
	g->npages = n;
	return n;
}

/* Never 60000: a wait that long would look like a hang. */
static u64 gen_timeout(struct fz_gctx *g, bool bad)
{
	struct fz_rng *r = g->r;

	if (bad)
		return fz_pct(r, 50) ? 60001 + fz_below(r, 1000) :
		       fz_pct(r, 50) ? 0xffffffff : 0x80000000;
	return fz_pct(r, 85) ? 0 : 1 + fz_below(r, 3);
}

static u64 gen_poff(struct fz_gctx *g, bool bad)
{
	static const u64 edges[] = {
		FZ_SAMPLE_LEN, FZ_SAMPLE_LEN - 1, 1ULL << 62, ~0ULL,
		1ULL << 63, -(u64)FZ_PAGE,
	};
	struct fz_rng *r = g->r;
	u64 off = fz_below(r, FZ_SAMPLE_LEN);

	if (bad)
		return fz_pick(r, edges, ARRAY_SIZE(edges));
	return fz_pct(r, 60) ? off & ~(FZ_PAGE - 1) : off;
}

static u64 gen_tflags(struct fz_gctx *g, bool bad)
{
	struct fz_rng *r = g->r;

	if (!bad)
		return 0;
	return ((fz_next(r) | (4ULL << fz_below(r, 29))) &
		~(u64)EDU_MIRROR_TEST_ALL) & 0xffffffff;
}

static u64 gen_tmo(struct fz_gctx *g, bool bad)
{
	struct fz_rng *r = g->r;

	if (bad)
		return fz_pct(r, 70) ? 60001 + fz_below(r, 100000) :
		       0xffffffff;
	return fz_pct(r, 60) ? 0 : 10000 + fz_below(r, 50001);
}

static u64 gen_any(struct fz_gctx *g, bool bad)
{
	return fz_next(g->r);
}

/* The generators of this file's kinds (fuzz_gen.c has the others). */
const fz_gen_fn fz_dev_kinds[FK_NR] = {
	[FK_ANY] = gen_any,		[FK_RADDR] = gen_raddr,
	[FK_RLEN] = gen_rlen,		[FK_PLEN] = gen_plen,
	[FK_ACCESS] = gen_access,	[FK_KEY] = gen_key,
	[FK_RKEY] = gen_rkey,		[FK_SGEADDR] = gen_sgeaddr,
	[FK_SGELEN] = gen_sgelen,	[FK_REMADDR] = gen_remaddr,
	[FK_QPN] = gen_qpn,		[FK_RQPN] = gen_rqpn,
	[FK_DEPTH] = gen_depth,		[FK_NR_ELEMS] = gen_nr,
	[FK_TIMEOUT] = gen_timeout,	[FK_POFF] = gen_poff,
	[FK_TFLAGS] = gen_tflags,	[FK_TMO] = gen_tmo,
	[FK_OPCODE] = gen_opcode,
};

/* Entry @i of the array at @at, generated as @sub. */
static void gen_elem(struct fz_gctx *g, const struct fz_struct *sub,
		     unsigned char *at, size_t room)
{
	unsigned char e[sizeof(struct odp_send_wr)];
	struct fz_gctx s = *g;
	bool corrupt = g->c->corrupted && fz_pct(g->r, 15);

	s.st = sub;
	fz_gen_struct(&s, sub, e, corrupt ? 1U << fz_below(g->r, sub->nfields)
					  : 0);
	memcpy(at, e, room < sub->size ? room : sub->size);
}

/**
 * fz_gen_elems() - the array of work requests or scatter/gather entries
 * @g: the call so far (g->count entries)
 * @bad: unreadable, read-only, arena garbage or cut by the guard page
 *
 * Return: the array's address.
 */
u64 fz_gen_elems(struct fz_gctx *g, bool bad)
{
	const struct fz_struct *sub = NULL;
	struct fz_rng *r = g->r;
	unsigned char *arr = g->t->b.arr, *start = arr;
	unsigned int i, cls = bad ? fz_below(r, 4) : 4, cut = ~0U;
	size_t esz;
	u64 n;

	for (i = 0; i < g->st->nfields; i++)
		if (g->st->fields[i].kind == FK_ARRAY)
			sub = g->st->fields[i].sub;
	if (!sub || sub->size > sizeof(struct odp_send_wr))
		return 0;
	esz = sub->size;
	n = g->count <= FZ_ARR_SIZE / esz ? g->count : 0;
	if (cls == 0) {
		g->unusable |= n > 0;
		return fz_bad_addr(g->t);
	}
	if (cls == 1)
		return (uintptr_t)g->t->b.ro;
	if (cls == 2)
		return fz_arena_addr(r);
	if (cls == 3 && n) {
		cut = fz_below(r, n);
		start = arr + FZ_ARR_SIZE - cut * esz - 1 -
			fz_below(r, esz - 1);
		g->unusable = true;
	}
	for (i = 0; i < n && i <= cut; i++)
		gen_elem(g, sub, start + i * esz,
			 arr + FZ_ARR_SIZE - (start + i * esz));
	return (uintptr_t)start;
}
