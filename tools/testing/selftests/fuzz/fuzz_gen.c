// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_gen.c - calls from descriptions: mostly valid, corrupted on purpose
 *
 * A described call is filled field by field with a valid value of the
 * field's kind (an address in an arena slot, a page count that fits the
 * slot, a buffer big enough for it, a memslot of the VM layout, ...).  A
 * corrupted call then gets one to three fields replaced by boundary or
 * random values of their kind (0, 1, near 2^47, 2^52, 2^56, 2^57, 2^64,
 * misaligned, kernel and non-canonical addresses, PROT_NONE and unmapped
 * memory, sizes 0, 1 and huge), and sometimes the wrong file, a damaged
 * ioctl number or an argument block that is unreadable, read-only, cut by
 * a guard page or garbage from the arena.  Fully random calls are ioctls
 * with random numbers and arguments on any file.  The generator records
 * what it knows (buffers that cannot work, accesses that must fail) so
 * that fuzz_exec.c can judge the result.
 *
 * Generic VFS ioctls (FIOCLEX, FIFREEZE, FS_IOC_SETFLAGS, ...) act on
 * every file before the driver sees the number; random numbers of their
 * types are moved to the dmirror type, so a random call can never freeze
 * a file system or make a device node immutable.
 */
#define _GNU_SOURCE
#include <string.h>
#include <sys/mman.h>

#include "fuzz.h"

u64 fz_pick(struct fz_rng *r, const u64 *v, unsigned int n)
{
	return v[fz_below(r, n)];
}

/* A random 64-bit value; user addresses outside the arena fold into it. */
u64 fz_rand64(struct fz_rng *r)
{
	u64 v = fz_next(r);

	if (v < fz_user_top && (v < FZ_ARENA_BASE || v >= FZ_ARENA_END) &&
	    v >= 0x10000)
		v = FZ_ARENA_BASE + v % FZ_ARENA_SIZE;
	return v;
}

static const u64 kernel_addrs[] = {
	0xffff888000000000ULL,	/* direct map */
	0xffffffff81000000ULL,	/* kernel text */
	0xffffc90000000000ULL,	/* vmalloc */
	0xffffea0000000000ULL,	/* vmemmap */
	0xffffffffff600000ULL,	/* vsyscall */
	0xfffffffffffff000ULL,	/* last page */
	0xffffffffffffffffULL,
	0x8000000000000000ULL,	/* non-canonical */
	0x0000800000000000ULL,	/* 2^47 */
	0x0100000000000000ULL,	/* 2^56 */
	0x0200000000000000ULL,	/* 2^57 */
	0x0400000000000000ULL,	/* 2^58 */
};

/**
 * fz_bad_addr() - an address no access can ever reach
 * @t: the thread (for its random numbers)
 *
 * NULL and the first pages, the end of the user address space, kernel
 * addresses, non-canonical ones, and unmapped space around the arena.
 *
 * Return: the address.
 */
u64 fz_bad_addr(struct fz_thread *t)
{
	struct fz_rng *r = &t->rng;
	u64 top = fz_user_top;

	switch (fz_below(r, 8)) {
	case 0:
		return fz_below(r, 4) * FZ_PAGE + fz_below(r, 2);
	case 1:
		return top + fz_below(r, 3) * FZ_PAGE;
	case 2:
		return top - fz_below(r, 4);	/* the last bytes below it */
	case 3:
		return FZ_ARENA_END + fz_below(r, 16) * FZ_PAGE;
	case 4:
		return FZ_ARENA_BASE - FZ_PAGE * (1 + fz_below(r, 16));
	default:
		return fz_pick(r, kernel_addrs, ARRAY_SIZE(kernel_addrs)) +
		       (fz_pct(r, 20) ? fz_below(r, FZ_PAGE) : 0);
	}
}

/* Somewhere in the arena, mapped or not, any alignment. */
u64 fz_arena_addr(struct fz_rng *r)
{
	u64 a = FZ_ARENA_BASE + fz_below(r, FZ_ARENA_SIZE);

	return fz_pct(r, 70) ? a & ~(FZ_PAGE - 1) : a;
}

static u64 slot_size(unsigned int s)
{
	return s == FZ_BIG_SLOT ? FZ_BIG_SIZE : FZ_SLOT_SIZE;
}

/*
 * A user buffer of @need bytes the kernel reads, or writes if @kwrites.
 * Valid: inside the caller's data buffer.  Corrupted: unreachable, cut
 * by the guard page, read-only, in the arena or aliasing the mirrored
 * range.  Sets g->unusable when the call cannot succeed with it.
 */
u64 fz_gen_buf(struct fz_gctx *g, u64 need, bool kwrites, bool bad,
	       enum fz_ptr *cls)
{
	struct fz_rng *r = g->r;
	unsigned char *data = g->t->b.data;
	u64 room;

	if (!bad || need == 0) {
		if (need > FZ_DATA_SIZE) {
			*cls = PTR_SHORT;
			g->unusable = true;
			return (u64)(uintptr_t)data;
		}
		room = FZ_DATA_SIZE - need;
		*cls = PTR_OK;
		return (u64)(uintptr_t)(data + (fz_pct(r, 50) ? 0 :
				fz_below(r, room + 1)));
	}
	switch (fz_below(r, 10)) {
	case 0: case 1: case 2:
		*cls = PTR_BAD;
		g->unusable = true;
		return fz_bad_addr(g->t);
	case 3: case 4:
		/* Starts in the buffer, runs into the guard page after it. */
		*cls = PTR_SHORT;
		room = need > 1 ? fz_below(r, need < FZ_PAGE ? need : FZ_PAGE) :
			0;
		g->unusable = true;
		return (u64)(uintptr_t)(data + FZ_DATA_SIZE - room);
	case 5: case 6:
		*cls = PTR_RO;
		room = fz_below(r, 64);
		if (kwrites || need > FZ_PAGE - room)
			g->unusable = true;
		return (u64)(uintptr_t)(g->t->b.ro + room);
	case 7:
		*cls = PTR_ARENA;
		if (g->addr >= FZ_ARENA_BASE && g->addr < FZ_ARENA_END)
			return g->addr;		/* alias the mirrored range */
		return fz_arena_addr(r);
	default:
		*cls = PTR_ARENA;
		return fz_arena_addr(r);
	}
}

/* ---- one field --------------------------------------------------------- */

static u64 gen_maddr(struct fz_gctx *g, bool bad)
{
	struct fz_rng *r = g->r;
	u64 base, size, off;

	g->slot = fz_pct(r, 8) ? FZ_BIG_SLOT : fz_below(r, FZ_NSLOTS);
	base = fz_slot_base(g->slot);
	size = slot_size(g->slot);
	off = fz_pct(r, 40) ? 0 : fz_below(r, size / FZ_PAGE) * FZ_PAGE;
	g->addr = base + off;
	g->room = size - off;
	if (!bad)
		return g->addr;
	g->room = FZ_PAGE;
	switch (fz_below(r, 6)) {
	case 0:
		g->addr += 1 + fz_below(r, FZ_PAGE - 1);	/* misaligned */
		break;
	case 1:
		/* Just below the end of the user address space. */
		g->addr = fz_user_top - FZ_PAGE * fz_below(r, 17);
		break;
	case 2:
		g->addr = fz_rand64(r) & ~(FZ_PAGE - 1);
		break;
	case 3:
		g->addr += fz_pct(r, 50) ? size : -size;	/* neighbour */
		break;
	default:
		g->addr = fz_bad_addr(g->t) & ~(fz_pct(r, 80) ? FZ_PAGE - 1 :
						 0);
		break;
	}
	return g->addr;
}

static u64 gen_npages(struct fz_gctx *g, bool bad)
{
	static const u64 edges[] = {
		0, 511, 512, 513, FZ_NDEMO_MAX_PAGES, FZ_NDEMO_MAX_PAGES + 1,
		1ULL << 32, 1ULL << 51, 1ULL << 52, (1ULL << 52) + 1,
		1ULL << 63, ~0ULL, ~0ULL >> 12,
	};
	struct fz_rng *r = g->r;
	u64 max = g->room / FZ_PAGE, cap;

	cap = g->d->unit ? (FZ_DATA_SIZE - FZ_PAGE) / g->d->unit : max;
	if (max > cap)
		max = cap;
	if (!max)
		max = 1;
	if (!bad) {
		/* Mostly small: big transfers are slow under emulation. */
		if (fz_pct(r, 35))
			g->npages = 1;
		else if (fz_pct(r, 90))
			g->npages = 1 + fz_below(r, max < 16 ? max : 16);
		else
			g->npages = 1 + fz_below(r, max);
		return g->npages;
	}
	switch (fz_below(r, 5)) {
	case 0:
		/* Exactly to the end of the user address space, or past it. */
		g->npages = (fz_user_top - g->addr) / FZ_PAGE +
			    fz_below(r, 2);
		break;
	case 1:
		g->npages = g->room / FZ_PAGE + 1 + fz_below(r, 4);
		break;
	case 2:
		g->npages = fz_next(r);
		break;
	default:
		g->npages = fz_pick(r, edges, ARRAY_SIZE(edges));
		break;
	}
	return g->npages;
}

static u64 gen_ubuf(struct fz_gctx *g, bool bad)
{
	bool kwrites = g->d->flags & FD_KWRITES_UBUF;
	bool was = g->unusable;
	u64 need;
	enum fz_ptr cls;
	u64 p;

	if (g->d->unit)
		need = g->npages > FZ_DATA_SIZE / g->d->unit ? ~0ULL :
		       g->npages * g->d->unit;
	else
		need = g->len;
	p = fz_gen_buf(g, need, kwrites, bad, &cls);
	g->c->ubuf = cls;
	/* Commands that do not touch the buffer may succeed without one. */
	if (!(g->d->flags & FD_UBUF))
		g->unusable = was;
	return p;
}

static u64 gen_enum(struct fz_gctx *g, const struct fz_field *f, bool bad)
{
	struct fz_rng *r = g->r;
	u64 v = fz_pick(r, f->vals, f->nvals);

	if (!bad)
		return v;
	switch (fz_below(r, 4)) {
	case 0:
		return v + 1 + fz_below(r, 3);
	case 1:
		return ~0ULL;
	case 2:
		return fz_next(r);
	default:
		return v ^ (1ULL << fz_below(r, 32));
	}
}

static u64 gen_flags(struct fz_gctx *g, const struct fz_field *f, bool bad)
{
	struct fz_rng *r = g->r;
	u64 mask = f->vals[0], v;

	v = fz_next(r) & mask;
	if (g->st == &fz_kvmm_access_st)
		v = fz_pct(r, g->ro ? 3 : 40) ? KVMM_ACCESS_WRITE : 0;
	if (bad)
		v |= fz_pct(r, 30) ? ~mask : (1ULL << fz_below(r, 32)) & ~mask;
	if (g->st == &fz_kvmm_access_st)
		g->write = v & KVMM_ACCESS_WRITE;
	return v;
}

static u64 gen_slotid(struct fz_gctx *g, bool bad)
{
	static const u64 edges[] = {
		KVMM_MAX_SLOTS, KVMM_MAX_SLOTS + 1, 0x7fffffff, 0x80000000,
		0xffffffff,
	};
	struct fz_rng *r = g->r;

	g->memslot = fz_pct(r, 85) ? fz_below(r, FZ_NMEMSLOTS) :
		     fz_below(r, KVMM_MAX_SLOTS);
	if (!bad)
		return g->memslot;
	return fz_pct(r, 70) ? fz_pick(r, edges, ARRAY_SIZE(edges)) :
	       (u32)fz_next(r);
}

/* The layout's flags of the memslot: moves keep them, or fail. */
static u64 gen_slotflags(struct fz_gctx *g, bool bad)
{
	struct fz_rng *r = g->r;
	u64 v = fz_memslot_flags(g->memslot % KVMM_MAX_SLOTS);

	if (fz_pct(r, 5))
		v ^= KVMM_MEM_READONLY;
	if (bad)
		v |= fz_pct(r, 30) ? ~(u64)KVMM_MEM_READONLY :
		     (1ULL << (1 + fz_below(r, 31)));
	return (u32)v;
}

static u64 gen_slotgpa(struct fz_gctx *g, bool bad)
{
	struct fz_rng *r = g->r;
	unsigned int s = g->memslot % KVMM_MAX_SLOTS;
	u64 gpa = fz_memslot_gpa(s), size = fz_memslot_size(s);

	if (fz_pct(r, 25))
		gpa += FZ_GPA_MOVED;
	if (!bad)
		return gpa;
	switch (fz_below(r, 8)) {
	case 0:
		return gpa + 1 + fz_below(r, FZ_PAGE - 1);
	case 1:
		return FZ_GPA_LIMIT - size;		/* ends at the limit */
	case 2:
		return FZ_GPA_LIMIT - size + FZ_PAGE;	/* one page past */
	case 3:
		return FZ_GPA_LIMIT + gpa;
	case 4:
		return (1ULL << 57) + gpa;		/* the table's span */
	case 5:
		return -(u64)FZ_PAGE * (1 + fz_below(r, 4));	/* wraps */
	case 6:
		return fz_memslot_gpa((s + 1) % FZ_NMEMSLOTS);	/* overlaps */
	default:
		return fz_next(r);
	}
}

static u64 gen_slotsize(struct fz_gctx *g, bool bad)
{
	struct fz_rng *r = g->r;
	unsigned int s = g->memslot % KVMM_MAX_SLOTS;
	u64 size = fz_memslot_size(s);

	if (!bad)
		return fz_pct(r, 12) ? 0 : size;
	switch (fz_below(r, 7)) {
	case 0:
		return FZ_PAGE;
	case 1:
		return size + 1 + fz_below(r, FZ_PAGE - 1);
	case 2:
		return FZ_GPA_LIMIT;
	case 3:
		return fz_user_top + FZ_PAGE;
	case 4:
		return -(u64)FZ_PAGE;
	case 5:
		return 1ULL << 63;
	default:
		return fz_next(r);
	}
}

static u64 gen_slothva(struct fz_gctx *g, bool bad)
{
	struct fz_rng *r = g->r;
	unsigned int s = g->memslot % KVMM_MAX_SLOTS;
	u64 hva = fz_memslot_hva(s), size = fz_memslot_size(s);

	if (!bad)
		return hva;
	switch (fz_below(r, 6)) {
	case 0:
		return hva + 1 + fz_below(r, FZ_PAGE - 1);
	case 1:
		return fz_user_top - size;		/* ends at the top */
	case 2:
		return fz_user_top - size + FZ_PAGE;	/* past it */
	case 3:
		return fz_arena_addr(r) & ~(FZ_PAGE - 1);
	default:
		return fz_bad_addr(g->t) & ~(FZ_PAGE - 1);
	}
}

static u64 gen_count(struct fz_gctx *g, bool bad)
{
	static const u64 edges[] = {
		KVMM_MAX_RUN_ACCESSES, KVMM_MAX_RUN_ACCESSES + 1, 256,
		0x80000000, 0xffffffff,
	};
	struct fz_rng *r = g->r;
	u64 n;

	if (bad)
		n = fz_pct(r, 80) ? fz_pick(r, edges, ARRAY_SIZE(edges)) :
		    (u32)fz_next(r);
	else if (fz_pct(r, 8))
		n = 0;
	else if (fz_pct(r, 55))
		n = 1;
	else if (fz_pct(r, 75))
		n = 2 + fz_below(r, 3);
	else
		n = 5 + fz_below(r, 28);
	g->count = n;
	return n;
}

/*
 * A guest address in a memslot, where the calls so far left it in this
 * VM (moved or not); mostly one that is present.
 */
static u64 gen_gpa(struct fz_gctx *g, bool bad)
{
	struct fz_rng *r = g->r;
	unsigned int s = fz_below(r, FZ_NMEMSLOTS), i;
	const atomic_uchar *st = g->t->w->mslot[g->c->fdslot];
	u64 base, size, off;
	unsigned char m;

	for (i = 0; i < 4 && !(atomic_load(&st[s]) & MS_PRESENT); i++)
		s = fz_below(r, FZ_NMEMSLOTS);
	m = atomic_load(&st[s]);
	base = fz_memslot_gpa(s);
	size = fz_memslot_size(s);
	if ((m & MS_MOVED) ? !fz_pct(r, 5) : fz_pct(r, 5))
		base += FZ_GPA_MOVED;
	g->ro = fz_memslot_flags(s) & KVMM_MEM_READONLY;
	off = fz_pct(r, 40) ? fz_below(r, size / FZ_PAGE) * FZ_PAGE :
	      fz_below(r, size);
	g->room = size - off;
	if (!bad)
		return base + off;
	g->room = 64;
	switch (fz_below(r, 9)) {
	case 0:
		return FZ_GPA_LIMIT - 1 - fz_below(r, 8);	/* crosses it */
	case 1:
		return FZ_GPA_LIMIT + fz_below(r, 2) * base;
	case 2:
		return (1ULL << 57) + base + off;		/* aliases? */
	case 3:
		return 5 * (1ULL << 57) + base + off;
	case 4:
		return ~0ULL - fz_below(r, 16);			/* wraps */
	case 5:
		return base + size - 1 - fz_below(r, 8);	/* slot end */
	case 6:
		return base + size + FZ_PAGE;			/* no slot */
	default:
		return fz_next(r);
	}
}

static u64 gen_acclen(struct fz_gctx *g, bool bad)
{
	static const u64 edges[] = {
		0, KVMM_MAX_ACCESS_LEN, KVMM_MAX_ACCESS_LEN + 1, 0xffffffff,
		65536, 65537, 0x80000000,
	};
	struct fz_rng *r = g->r;
	u64 room = g->room ? g->room : 1, n;

	if (bad) {
		n = fz_pct(r, 25) ? room + 1 + fz_below(r, 64) :
		    fz_pick(r, edges, ARRAY_SIZE(edges));
	} else if (g->small || fz_pct(r, 40)) {
		n = 1 + fz_below(r, 16);
	} else if (fz_pct(r, 70)) {
		n = 1 + fz_below(r, FZ_PAGE);
	} else if (fz_pct(r, 85)) {
		n = 1 + fz_below(r, 65536);
	} else {
		n = 1 + fz_below(r, KVMM_MAX_ACCESS_LEN);
	}
	if (!bad && n > room)
		n = room;
	g->len = (u32)n;
	return g->len;
}

/*
 * Where a dmirror file is mapped: the big slot or the slots that back no
 * memslot, so that valid calls keep finding the VMs' memory in place.
 */
static u64 gen_mmaddr(struct fz_gctx *g, bool bad)
{
	struct fz_rng *r = g->r;
	u64 size, off;

	g->slot = fz_pct(r, 30) ? FZ_BIG_SLOT :
		  FZ_NMEMSLOTS + fz_below(r, FZ_NSLOTS - FZ_NMEMSLOTS);
	size = slot_size(g->slot);
	off = fz_pct(r, 60) ? 0 : fz_below(r, size / FZ_PAGE) * FZ_PAGE;
	g->addr = fz_slot_base(g->slot) + off;
	g->room = size - off;
	if (!bad)
		return g->addr;
	switch (fz_below(r, 4)) {
	case 0:
		return g->addr + 1 + fz_below(r, FZ_PAGE - 1);
	case 1:
		return 0;
	case 2:
		return FZ_ARENA_END - FZ_PAGE;	/* runs out of the arena */
	default:
		return fz_bad_addr(g->t) & ~(FZ_PAGE - 1);
	}
}

static u64 gen_mmlen(struct fz_gctx *g, bool bad)
{
	static const u64 edges[] = {
		0, 1, FZ_NDEMO_MMAP_MAX + 1, FZ_NDEMO_MMAP_MAX + FZ_PAGE,
		2 * FZ_NDEMO_MMAP_MAX, 1ULL << 40, ~0ULL, -(u64)FZ_PAGE,
	};
	struct fz_rng *r = g->r;
	u64 max = g->room < FZ_NDEMO_MMAP_MAX ? g->room : FZ_NDEMO_MMAP_MAX;
	u64 n;

	if (bad)
		n = fz_pct(r, 85) ? fz_pick(r, edges, ARRAY_SIZE(edges)) :
		    fz_next(r);
	else if (fz_pct(r, 30))
		n = FZ_PAGE;
	else if (fz_pct(r, 60))
		n = (1 + fz_below(r, 64)) * FZ_PAGE;
	else
		n = (1 + fz_below(r, max / FZ_PAGE)) * FZ_PAGE;
	/* The device refuses more than 16 MiB; nothing maps 0 bytes. */
	if (n == 0 || ((n + FZ_PAGE - 1) & ~(FZ_PAGE - 1)) > FZ_NDEMO_MMAP_MAX ||
	    n + FZ_PAGE < n)
		g->unusable = true;
	g->len = n;
	return n;
}

static u64 gen_mmoff(struct fz_gctx *g, bool bad)
{
	static const u64 edges[] = {
		1, FZ_PAGE - 1, 1ULL << 44, 1ULL << 63, -(u64)FZ_PAGE,
	};
	struct fz_rng *r = g->r;

	if (!bad)
		return fz_pct(r, 80) ? 0 : fz_below(r, 64) * FZ_PAGE;
	return fz_pct(r, 80) ? fz_pick(r, edges, ARRAY_SIZE(edges)) : fz_next(r);
}

static u64 gen_len(struct fz_gctx *g, bool bad)
{
	static const u64 edges[] = {
		0, 1, FZ_PAGE, 1ULL << 31, ~0ULL, 1ULL << 63,
	};
	struct fz_rng *r = g->r;

	g->len = bad ? fz_pick(r, edges, ARRAY_SIZE(edges)) :
		 fz_below(r, 2 * FZ_PAGE);
	return g->len;
}

/* Static rules of kvmm_vcpu_access(), in its order. */
static int access_rule(const struct kvmm_access *a)
{
	if (a->flags & ~KVMM_ACCESS_WRITE)
		return -EINVAL;
	if (!a->len || a->len > KVMM_MAX_ACCESS_LEN || a->gpa + a->len < a->gpa)
		return -EINVAL;
	if (a->gpa + a->len > FZ_GPA_LIMIT)
		return -EFAULT;
	return 0;
}

/* Note access @i as one the run must stop at, unless an earlier one is. */
static void first_bad(struct fz_call *c, unsigned int i, int err)
{
	if (c->bad_access >= 0)
		return;
	c->bad_access = i;
	c->bad_access_err = err;
}

/*
 * The access array of a run: valid, or unreadable, cut by the guard page
 * at entry k, read-only (all zero) or garbage from the arena.  Entries are
 * built in place, so the executor knows what the kernel will read.
 */
static u64 gen_array(struct fz_gctx *g, bool bad)
{
	struct fz_call *c = g->c;
	struct fz_rng *r = g->r;
	unsigned char *arr = g->t->b.arr;
	size_t esz = sizeof(struct kvmm_access);
	u64 n = g->count <= KVMM_MAX_RUN_ACCESSES ? g->count : 0;
	unsigned int cls = bad ? fz_below(r, 4) : 4, i, cut = ~0U;
	unsigned char *start = arr;
	bool corrupt = c->corrupted != 0;

	if (g->st != g->d->st || g->d->req != KVMM_RUN)
		return fz_gen_elems(g, bad);
	c->arr_known = true;
	c->bad_access = -1;
	c->nopass_access = -1;
	c->count = n;
	if (cls == 0) {				/* unreadable */
		if (n)
			first_bad(c, 0, -EFAULT);
		return fz_bad_addr(g->t);
	}
	if (cls == 1) {				/* read-only zeroes */
		if (n)
			first_bad(c, 0, -EINVAL);
		return (u64)(uintptr_t)g->t->b.ro;
	}
	if (cls == 2) {				/* arena garbage */
		c->arr_known = false;
		return fz_arena_addr(r);
	}
	if (cls == 3 && n) {			/* entry cut by the guard */
		cut = fz_below(r, n);
		start = arr + FZ_ARR_SIZE - cut * esz - 1 -
			fz_below(r, esz - 1);
	}
	for (i = 0; i < n && i <= cut; i++) {
		struct kvmm_access a;
		struct fz_gctx sub = *g;
		int e;

		sub.st = &fz_kvmm_access_st;
		sub.small = i >= 64;
		sub.unusable = false;
		sub.write = false;
		fz_gen_struct(&sub, &fz_kvmm_access_st, (unsigned char *)&a,
			   corrupt && fz_pct(r, 15) ?
			   1U << fz_below(r, 4) : 0);
		if (i == cut) {
			memcpy(start + i * esz, &a, arr + FZ_ARR_SIZE -
			       (start + i * esz));
			first_bad(c, i, -EFAULT);
			break;
		}
		memcpy(start + i * esz, &a, esz);
		e = access_rule(&a);
		if (e)
			first_bad(c, i, e);
		if (sub.unusable && c->nopass_access < 0)
			c->nopass_access = i;
		if (i == 0)
			memcpy(c->first, &a, esz);
	}
	return (u64)(uintptr_t)start;
}

static u64 gen_data(struct fz_gctx *g, bool bad)
{
	enum fz_ptr cls;

	return fz_gen_buf(g, g->len, !g->write, bad, &cls);
}

static u64 gen_out(struct fz_gctx *g, bool bad)
{
	return fz_pct(g->r, 50) ? 0 : fz_next(g->r);
}

static u64 gen_zero(struct fz_gctx *g, bool bad)
{
	return bad ? 1 + fz_below(g->r, 0xffff) : 0;
}

/* The generator of each value kind (FK_ENUM and FK_FLAGS need the field). */
static const fz_gen_fn gen_kind[FK_NR] = {
	[FK_MADDR] = gen_maddr,		[FK_NPAGES] = gen_npages,
	[FK_UBUF] = gen_ubuf,		[FK_OUT] = gen_out,
	[FK_ZERO] = gen_zero,		[FK_SLOTID] = gen_slotid,
	[FK_SLOTFLAGS] = gen_slotflags,
	[FK_SLOTGPA] = gen_slotgpa,	[FK_SLOTSIZE] = gen_slotsize,
	[FK_SLOTHVA] = gen_slothva,	[FK_COUNT] = gen_count,
	[FK_ARRAY] = gen_array,		[FK_GPA] = gen_gpa,
	[FK_ACCLEN] = gen_acclen,	[FK_DATA] = gen_data,
	[FK_MMADDR] = gen_mmaddr,	[FK_MMLEN] = gen_mmlen,
	[FK_MMOFF] = gen_mmoff,		[FK_LEN] = gen_len,
};

static u64 gen_field(struct fz_gctx *g, const struct fz_field *f, bool bad)
{
	if (f->kind == FK_ENUM)
		return gen_enum(g, f, bad);
	if (f->kind == FK_FLAGS)
		return gen_flags(g, f, bad);
	if (gen_kind[f->kind])
		return gen_kind[f->kind](g, bad);
	return fz_dev_kinds[f->kind] ? fz_dev_kinds[f->kind](g, bad) : 0;
}

void fz_gen_struct(struct fz_gctx *g, const struct fz_struct *st,
		   unsigned char *out, unsigned int badmask)
{
	unsigned int i;

	memset(out, 0, st->size);
	for (i = 0; i < st->nfields; i++) {
		const struct fz_field *f = &st->fields[i];
		u64 v = gen_field(g, f, badmask & (1U << i));

		memcpy(out + f->off, &v, f->size);
	}
}

/* Moves random numbers of generic VFS ioctl types to the dmirror type. */
static unsigned long fz_safe_req(unsigned long req)
{
	unsigned int type = (req >> 8) & 0xff, nr = req & 0xff;

	if ((type == 0 && nr < 16) || type == 'T' || type == 'X' ||
	    type == 'f' || type == 0x94 || type == 0x89 || type == 0x12)
		req = (req & ~0xff00UL) | (NDEMO_IOC_MAGIC << 8);
	/* The edu test knobs break the device on purpose: never by chance. */
	if ((req & 0xffffffffUL) == EDU_MIRROR_SET_TEST)
		req ^= 1UL << 16;
	return req & 0xffffffffUL;
}

static unsigned long corrupt_req(struct fz_rng *r, unsigned long req)
{
	switch (fz_below(r, 4)) {
	case 0:
		req ^= 1UL << (16 + fz_below(r, 14));	/* size */
		break;
	case 1:
		req ^= 1UL << (30 + fz_below(r, 2));	/* direction */
		break;
	case 2:
		req = (req & ~0xffUL) | ((req + 1 + fz_below(r, 0x40)) & 0xff);
		break;
	default:
		req ^= (1 + fz_below(r, 0xff)) << 8;	/* type */
		break;
	}
	return fz_safe_req(req);
}

static int pick_slot(struct fz_rng *r, enum fz_ftype t)
{
	switch (t) {
	case FT_ND:
		return fz_pct(r, 90) ? FS_ND0 + (int)fz_below(r, 4) :
		       FS_ND_FOREIGN0 + (int)fz_below(r, 2);
	case FT_VM:
		return fz_pct(r, 92) ? FS_VM0 + (int)fz_below(r, 3) :
		       FS_VM_FOREIGN0 + (int)fz_below(r, 2);
	case FT_KDEV:
		return FS_KDEV;
	case FT_ODP:
		return fz_pct(r, 92) ? FS_ODP0 + (int)fz_below(r, 2) :
		       FS_ODP_FOREIGN;
	case FT_SAMPLE:
		return FS_SAMPLE0 + (int)fz_below(r, 2);
	case FT_EDU:
		return FS_EDU0;
	default:
		return FS_PIPE_R + (int)fz_below(r, FS_NR - FS_PIPE_R);
	}
}

static void set_fd(struct fz_thread *t, struct fz_call *c, int slot)
{
	struct fz_fdslot *fs = &t->w->fs[slot];

	c->fdslot = slot;
	c->ftype = fs->type;
	c->fsflags = fs->flags & ~FZ_FS_FOREIGN;
	c->fd = fz_fd_get(t->w, slot, &c->fdgen);
	/* Only the process that created a VM (a PD, ...) may use it. */
	if (fs->type != FT_ND && fs->type != FT_KDEV &&
	    fs->type != FT_WRONG && atomic_load(&fs->owner) != t->w->pid)
		c->fsflags |= FZ_FS_FOREIGN;
}

/* Where the argument block goes; fills c->mem, c->out, c->arg. */
static void place_arg(struct fz_thread *t, struct fz_call *c, bool bad)
{
	struct fz_rng *r = &t->rng;
	size_t size = c->desc->st->size;
	unsigned char *p;

	c->argptr = PTR_OK;
	if (bad) {
		static const enum fz_ptr kinds[] = {
			PTR_BAD, PTR_BAD, PTR_SHORT, PTR_RO, PTR_ARENA,
		};

		c->argptr = kinds[fz_below(r, ARRAY_SIZE(kinds))];
	}
	switch (c->argptr) {
	case PTR_OK:
		p = t->b.arg + fz_below(r, (FZ_PAGE - size) / 8 + 1) * 8;
		memcpy(p, c->mem, size);
		c->out = p;
		break;
	case PTR_SHORT:
		p = t->b.arg + FZ_PAGE - 1 - fz_below(r, size - 1);
		memcpy(p, c->mem, t->b.arg + FZ_PAGE - p);
		break;
	case PTR_RO:
		p = t->b.ro;
		memset(c->mem, 0, size);	/* what the kernel reads there */
		break;
	case PTR_ARENA:
		p = (unsigned char *)(uintptr_t)fz_arena_addr(r);
		break;
	default:
		p = (unsigned char *)(uintptr_t)fz_bad_addr(t);
		break;
	}
	c->arg = (unsigned long)(uintptr_t)p;
}

/**
 * fz_gen_described() - a call from description @d
 * @t: the calling thread; its rng is the call's seed
 * @c: the call to fill
 * @d: the description
 * @corrupt: corrupt fields, the file, the number or the block
 */
void fz_gen_described(struct fz_thread *t, struct fz_call *c,
		      const struct fz_desc *d, bool corrupt)
{
	const struct fz_mix_cfg *mix = &t->w->mix;
	struct fz_rng *r = &t->rng;
	struct fz_gctx g = {
		.t = t, .c = c, .d = d, .st = d->st, .r = r, .qp = -1,
	};
	unsigned int badmask = 0, k;

	c->desc = d;
	c->req = d->req;
	c->bad_access = -1;
	c->nopass_access = -1;
	if (corrupt && d->st) {
		for (k = fz_pct(r, 60) ? 1 : fz_pct(r, 75) ? 2 : 3; k; k--) {
			unsigned int i = fz_below(r, d->st->nfields);

			if (d->st->fields[i].kind != FK_OUT)
				badmask |= 1U << i;
		}
	}
	c->corrupted = badmask;
	if (corrupt && fz_pct(r, mix->wrongfd_pct)) {
		int slot;

		do {
			slot = (int)fz_below(r, FS_NR);
		} while (t->w->fs[slot].type == d->ftype);
		c->wrong_fd = true;
		set_fd(t, c, slot);
	} else {
		set_fd(t, c, pick_slot(r, d->ftype));
	}
	if (corrupt && (d->op == OP_IOCTL || d->op == OP_IOCTL_INT) &&
	    fz_pct(r, mix->wrongreq_pct)) {
		c->req = corrupt_req(r, d->req);
		c->wrong_req = c->req != d->req;
	}

	g.pd = fz_odp_pd(c->fdslot);
	c->mem = t->b.scratch;
	if (d->op == OP_IOCTL_INT) {
		c->arg = fz_pick(r, d->ivals, d->nivals);
		if (corrupt && fz_pct(r, 70))
			c->arg = fz_pct(r, 50) ? (1UL << fz_below(r, 64)) :
				 fz_next(r);
		return;
	}
	c->memlen = d->st->size;
	fz_gen_struct(&g, d->st, c->mem, badmask);
	c->cannot_succeed = g.unusable;
	if (d->op == OP_IOCTL)
		place_arg(t, c, corrupt && fz_pct(r, mix->badarg_pct));
}

/**
 * fz_gen_random() - a fully random ioctl
 * @t: the calling thread
 * @c: the call to fill
 *
 * Any file, a random number (random bits, a number of one of our ioctl
 * types, or a real command with damaged bits), a random argument.
 */
void fz_gen_random(struct fz_thread *t, struct fz_call *c)
{
	static const u64 magics[] = {
		NDEMO_IOC_MAGIC, KVMM_IOC_MAGIC, ODP_IOC_MAGIC,
		_IOC_TYPE(MIRROR_SAMPLE_SETUP), EDU_MIRROR_IOC_MAGIC,
	};
	struct fz_rng *r = &t->rng;
	unsigned long req;

	set_fd(t, c, (int)fz_below(r, FS_NR));
	switch (fz_below(r, 10)) {
	case 0: case 1: case 2: case 3:
		req = fz_next(r);
		break;
	case 4: case 5: case 6:
		req = (fz_next(r) & 0xc0ff0000UL) |
		      (fz_pick(r, magics, ARRAY_SIZE(magics)) << 8) |
		      fz_below(r, 0x80);
		break;
	default:
		req = corrupt_req(r, fz_descs[fz_below(r, fz_ndescs)].req);
		break;
	}
	c->req = fz_safe_req(req);
	c->argptr = PTR_ARENA;
	switch (fz_below(r, 6)) {
	case 0: {
		unsigned int i;

		for (i = 0; i < FZ_PAGE / 8; i++)
			((u64 *)t->b.arg)[i] = fz_rand64(r);
		c->arg = (unsigned long)(uintptr_t)t->b.arg;
		break;
	}
	case 1:
		c->arg = fz_bad_addr(t);
		break;
	case 2:
		c->arg = fz_below(r, 256);
		break;
	case 3:
		c->arg = (unsigned long)(uintptr_t)t->b.data;
		break;
	default:
		c->arg = fz_arena_addr(r);
		break;
	}
}

/**
 * fz_gen_call() - the next call of a thread, as its phase mixes them
 * @t: the thread; t->rng must hold the call's seed
 * @c: the call to fill
 */
void fz_gen_call(struct fz_thread *t, struct fz_call *c)
{
	const struct fz_mix_cfg *mix = &t->w->mix;
	struct fz_rng *r = &t->rng;
	unsigned int mask = mix->devmask & t->w->avail;
	unsigned int total = 0, i, x;

	memset(c, 0, sizeof(*c));
	c->seed = r->s;
	c->bad_access = -1;
	c->nopass_access = -1;
	c->quiet = t->w->quiet && !t->in_child;
	for (i = 0; i < fz_ndescs; i++)
		if (mask & (1U << fz_descs[i].ftype))
			total += fz_descs[i].weight;
	if (fz_pct(r, mix->random_pct) || !total) {
		fz_gen_random(t, c);
		return;
	}
	x = fz_below(r, total);
	for (i = 0; i < fz_ndescs; i++) {
		if (!(mask & (1U << fz_descs[i].ftype)))
			continue;
		if (x < fz_descs[i].weight)
			break;
		x -= fz_descs[i].weight;
	}
	fz_gen_described(t, c, &fz_descs[i], fz_pct(r, mix->corrupt_pct));
}
