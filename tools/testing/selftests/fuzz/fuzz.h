/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fuzz.h - the seeded UAPI fuzzer of the mirror devices
 *
 * mirror_fuzz drives /dev/hmm_dmirror0, /dev/hmm_dmirror1, /dev/kvm_mirror
 * and its VM files, /dev/odp_demo, /dev/mirror_sample and /dev/edu_mirror0
 * with calls built from descriptions (fuzz_desc.c and fuzz_desc_dev.c: one
 * entry per call, one per argument field, each field with a value kind),
 * filled mostly with valid values and then corrupted in a targeted way
 * (fuzz_gen.c, fuzz_dev.c for the kinds of the devices with state of
 * their own: keys, queue pairs, windows), plus fully random ioctls.  Caller threads share the files
 * and the memory (fuzz_world.c) while chaos threads unmap, remap,
 * protect, advise, fork, exit and reopen (fuzz_chaos.c).  Every result
 * is judged against the documented UAPI contract (fuzz_exec.c).
 * mirror_fuzz.c has the phases, the supervisor and main().
 *
 * Reproducibility: call number n of thread t in phase p is generated from
 * fz_call_seed(seed, p, t, n) alone, so every thread issues the same
 * sequence of calls for a given seed whatever the interleaving; a run with
 * one thread and no chaos repeats exactly.
 *
 * Every piece of memory the kernel may be told to write to lies in the
 * arena (a fixed range far below every mapping the kernel picks itself),
 * in a thread's guarded buffers, or nowhere (kernel, non-canonical and
 * unmapped addresses): a corrupted call can never scribble over the
 * fuzzer's own heap, stacks or data.
 */
#ifndef _FUZZ_H
#define _FUZZ_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/edu_mirror.h>
#include <linux/kvm_mirror.h>
#include <linux/mirror_sample.h>
#include <linux/notifier_demo.h>
#include <linux/odp_demo.h>

typedef uint64_t u64;
typedef uint32_t u32;
typedef int64_t s64;

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#endif
#ifndef __printf
#define __printf(a, b)		__attribute__((format(printf, a, b)))
#endif
#ifndef fallthrough
#define fallthrough		__attribute__((__fallthrough__))
#endif
#ifndef __noreturn
#define __noreturn		__attribute__((__noreturn__))
#endif

#define FZ_PAGE			4096UL
#define FZ_MIB			(1UL << 20)

/* The arena: every address the fuzzer lets the kernel write through. */
#define FZ_ARENA_BASE		0x100000000000UL	/* 16 TiB */
#define FZ_NSLOTS		16
#define FZ_SLOT_SIZE		(4 * FZ_MIB)
#define FZ_BIG_SLOT		FZ_NSLOTS		/* index of the big slot */
#define FZ_BIG_SIZE		(32 * FZ_MIB)
#define FZ_ARENA_SIZE		(FZ_NSLOTS * FZ_SLOT_SIZE + FZ_BIG_SIZE)
/* Unmapped guard space after the arena, so a slot's neighbour is known. */
#define FZ_ARENA_END		(FZ_ARENA_BASE + FZ_ARENA_SIZE)

/* Largest mapping of a dmirror file (drivers/misc/notifier-demo). */
#define FZ_NDEMO_MMAP_MAX	(16 * FZ_MIB)
/* Largest dmirror command: 1 GiB of pages. */
#define FZ_NDEMO_MAX_PAGES	((1UL << 30) / FZ_PAGE)
/* The VM layout: memslot s is at gpa s << 30, moved ones 2^40 higher. */
#define FZ_NMEMSLOTS		8
#define FZ_GPA_MOVED		(1ULL << 40)
#define FZ_GPA_LIMIT		(1ULL << KVMM_GPA_BITS)

/* Per-thread buffers (each followed by a PROT_NONE guard page). */
#define FZ_DATA_SIZE		(1 * FZ_MIB + FZ_PAGE)
#define FZ_ARR_ENTRIES		(KVMM_MAX_RUN_ACCESSES + 8)
#define FZ_ARR_SIZE		(((FZ_ARR_ENTRIES * sizeof(struct kvmm_access)) \
				  + FZ_PAGE - 1) & ~(FZ_PAGE - 1))

#define FZ_MAX_CALLERS		8
#define FZ_MAX_CHAOS		4
/* Rings: callers, chaos threads, then a few for forked children. */
#define FZ_CHILD_RINGS		8
#define FZ_MAX_RINGS		(FZ_MAX_CALLERS + FZ_MAX_CHAOS + FZ_CHILD_RINGS)
#define FZ_RING_LEN		32
#define FZ_NERRNO		128	/* errnos counted per call */
#define FZ_MAX_DESCS		64

/* ---- PRNG: splitmix64, one state per call ---------------------------- */

struct fz_rng {
	u64 s;
};

static inline u64 fz_mix(u64 z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline u64 fz_next(struct fz_rng *r)
{
	r->s += 0x9e3779b97f4a7c15ULL;
	return fz_mix(r->s);
}

/* Uniform in [0, n); n == 0 gives 0. */
static inline u64 fz_below(struct fz_rng *r, u64 n)
{
	return n ? fz_next(r) % n : 0;
}

/* True with probability pct percent. */
static inline bool fz_pct(struct fz_rng *r, unsigned int pct)
{
	return fz_below(r, 100) < pct;
}

/* The seed of call @n of thread @t in phase @p: the call depends on it only. */
static inline u64 fz_call_seed(u64 seed, unsigned int p, unsigned int t,
			       u64 n)
{
	return fz_mix(seed ^ fz_mix(((u64)p << 56) ^ ((u64)t << 40) ^ n));
}

/* ---- files ------------------------------------------------------------ */

enum fz_ftype {
	FT_ND,		/* a dmirror file */
	FT_KDEV,	/* /dev/kvm_mirror */
	FT_VM,		/* a VM file */
	FT_ODP,		/* an odp_demo file: a protection domain */
	FT_SAMPLE,	/* a mirror_sample file */
	FT_EDU,		/* /dev/edu_mirror0 (-1 without the device) */
	FT_WRONG,	/* a file of no mirror device */
	FT_NR,
};

/* File slots: the files every caller and chaos thread shares. */
enum {
	FS_ND0, FS_ND1, FS_ND2, FS_ND3,		/* ND1, ND3 pinned */
	FS_KDEV,
	FS_VM0, FS_VM1, FS_VM2,			/* VM1 pinned */
	FS_ODP0, FS_ODP1,			/* PDs with QPs connected */
	FS_SAMPLE0, FS_SAMPLE1,			/* 0 set up over the arena */
	FS_EDU0,
	FS_ND_FOREIGN0, FS_ND_FOREIGN1,		/* from exited children */
	FS_VM_FOREIGN0, FS_VM_FOREIGN1,
	FS_ODP_FOREIGN,
	FS_PIPE_R, FS_PIPE_W, FS_EVENTFD, FS_NULL,
	FS_CLOSED,				/* a number never open */
	FS_MINUS1,
	FS_NR,
};

#define FZ_FS_FOREIGN		0x1	/* a file of another process */
#define FZ_FS_PINNED		0x2	/* pinned mode asked for at open */
#define FZ_FS_SETUP		0x4	/* mirror_sample: window set up */

struct fz_fdslot {
	atomic_int fd;
	atomic_uint gen;	/* bumped whenever the file is replaced */
	atomic_int owner;	/* VM files: the process that created it */
	enum fz_ftype type;
	unsigned int flags;
	const char *name;
};

/* ---- descriptions ------------------------------------------------------ */

/* Value kinds of argument fields. */
enum fz_kind {
	FK_MADDR,	/* page-aligned address the device mirrors */
	FK_NPAGES,	/* page count of the command at FK_MADDR */
	FK_UBUF,	/* user buffer of npages * unit bytes */
	FK_OUT,		/* output only: garbage going in */
	FK_ENUM,	/* one of vals[] */
	FK_FLAGS,	/* a subset of the bits in vals[0] */
	FK_ZERO,	/* must be 0 */
	FK_SLOTID,	/* memslot id */
	FK_SLOTFLAGS,	/* memslot flags (those of the layout) */
	FK_SLOTGPA,	/* memslot guest physical address */
	FK_SLOTSIZE,	/* memslot size */
	FK_SLOTHVA,	/* memslot host address */
	FK_COUNT,	/* number of array entries */
	FK_ARRAY,	/* pointer to an array of the sub-struct */
	FK_GPA,		/* guest physical address of one access */
	FK_ACCLEN,	/* length of one access */
	FK_DATA,	/* data pointer of one access */
	FK_MMADDR,	/* mmap address */
	FK_MMLEN,	/* mmap length */
	FK_MMOFF,	/* mmap offset */
	FK_LEN,		/* read/write length */
	FK_ANY,		/* any value is valid (ids, operands) */
	FK_RADDR,	/* start of a byte range, any alignment */
	FK_RLEN,	/* its length, at most fz_desc::maxlen */
	FK_PLEN,	/* page-multiple length at FK_MADDR, up to maxlen */
	FK_ACCESS,	/* odp_demo MR access flags */
	FK_KEY,		/* an lkey of the PD */
	FK_RKEY,	/* an rkey of the peer PD */
	FK_SGEADDR,	/* address inside the MR of the last key */
	FK_SGELEN,	/* bytes there */
	FK_REMADDR,	/* address inside the MR of the last rkey */
	FK_QPN,		/* a QP of the PD */
	FK_RQPN,	/* a QP to connect it to */
	FK_DEPTH,	/* queue depth */
	FK_NR_ELEMS,	/* entries of an array, at most fz_desc::maxlen */
	FK_TIMEOUT,	/* ODP_POLL_CQ wait */
	FK_POFF,	/* pread() offset */
	FK_TFLAGS,	/* edu test flags: 0, the knobs are never set */
	FK_TMO,		/* edu DMA timeout */
	FK_OPCODE,	/* odp_demo work request opcode */
	FK_NR,
};

struct fz_struct;

struct fz_field {
	const char *name;
	unsigned short off;
	unsigned short size;		/* 4 or 8 */
	enum fz_kind kind;
	const u64 *vals;		/* FK_ENUM values, FK_FLAGS mask */
	unsigned int nvals;
	const struct fz_struct *sub;	/* FK_ARRAY element */
};

struct fz_struct {
	const char *name;
	size_t size;
	const struct fz_field *fields;	/* in generation order */
	unsigned int nfields;
};

enum fz_op {
	OP_IOCTL,	/* ioctl(fd, req, pointer to the struct) */
	OP_IOCTL_INT,	/* ioctl(fd, req, integer value) */
	OP_MMAP,	/* mmap(addr, len, prot, flags, fd, off) */
	OP_READ,	/* read(fd, buf, len) */
	OP_WRITE,	/* write(fd, buf, len) */
	OP_PREAD,	/* pread(fd, buf, len, off) */
};

struct fz_call;
struct fz_thread;

/* A description of one call (syzkaller style: a call, its fields, kinds). */
struct fz_desc {
	const char *name;
	enum fz_ftype ftype;		/* the file it is meant for */
	enum fz_op op;
	unsigned long req;		/* ioctl number */
	const struct fz_struct *st;	/* argument layout */
	const u64 *ivals;		/* OP_IOCTL_INT: valid values */
	unsigned int nivals;
	unsigned int weight;
	unsigned int unit;		/* FK_UBUF bytes per page */
	unsigned int flags;		/* FD_* */
	const int *errs;		/* errnos the contract allows, 0 ends */
	/* The static rules: 0, -errno (exact), FZ_MUST_OK or FZ_UNKNOWN. */
	int (*validate)(const struct fz_call *c);
	/* Extra checks of a result; 0 or -1 with @why filled. */
	int (*post)(const struct fz_call *c, long ret, int err, char *why,
		    size_t len);
	/* What a successful call changed (keys, QPs, windows). */
	void (*note)(struct fz_thread *t, const struct fz_call *c);
	u64 maxlen;			/* FK_RLEN, FK_PLEN, FK_NR_ELEMS */
};

#define FD_KWRITES_UBUF	0x1	/* the kernel writes the FK_UBUF buffer */
#define FD_COPYIN	0x2	/* the kernel copies the struct in */
#define FD_COPYOUT	0x4	/* ... and out again on success */
#define FD_NEVER_OK	0x8	/* the contract never lets it succeed */
#define FD_UBUF		0x10	/* the kernel accesses the FK_UBUF buffer */
#define FD_FRESH_ONLY	0x20	/* succeeds only before a file's first use */
#define FD_DROPS	0x40	/* valid calls pick an object made by a call */

/*
 * Results that break the documented contract, found by the fuzzer and
 * reported, then tolerated so that the bounded run stays usable; each is
 * a failure again with --expose NAME (fz_known_names[]).
 */
enum fz_known {
	FZ_KNOWN_RUN_EOPNOTSUPP,	/* KVMM_RUN: -EOPNOTSUPP, undocumented */
	FZ_KNOWN_NDEMO_EBUSY,		/* dmirror commands: -EBUSY, same */
	FZ_KNOWN_NR,
};

/* Where a pointer points. */
enum fz_ptr {
	PTR_OK,		/* a guarded buffer of the caller, big enough */
	PTR_SHORT,	/* a guarded buffer, too short (runs into the guard) */
	PTR_RO,		/* a read-only page */
	PTR_ARENA,	/* somewhere in the arena (may be unmapped) */
	PTR_BAD,	/* never accessible: NULL, kernel, non-canonical, hole */
	PTR_NR,
};

/* One generated call, with what the generator knows about it. */
struct fz_call {
	const struct fz_desc *desc;	/* NULL: a fully random ioctl */
	u64 seed;
	int fdslot;
	int fd;
	unsigned int fdgen;
	enum fz_ftype ftype;		/* the slot's file type */
	unsigned int fsflags;		/* the slot's FZ_FS_* */
	unsigned long req;
	unsigned long arg;
	bool wrong_fd;			/* not the file the call is for */
	bool wrong_req;			/* request number corrupted */
	enum fz_ptr argptr;		/* where arg points (struct calls) */
	enum fz_ptr ubuf;		/* FK_UBUF of the struct */
	unsigned int corrupted;		/* bitmask of corrupted fields */
	bool cannot_succeed;		/* a buffer it needs is unusable */
	int bad_access;			/* RUN: first access that must fail */
	int bad_access_err;		/* ... and its static -errno, or 0 */
	int nopass_access;		/* RUN: first access that cannot succeed */
	unsigned int count;		/* RUN: accesses generated */
	/* The argument block as the kernel reads it (in the scratch). */
	unsigned char *mem;
	size_t memlen;
	/* Where the kernel writes it back; NULL unless argptr is PTR_OK. */
	unsigned char *out;
	unsigned char *arr;		/* RUN: the access array as built */
	bool arr_known;			/* arr holds what the kernel reads */
	u64 first[3];			/* RUN: its first access, for the log */
	bool quiet;			/* no other thread or engine runs */
};

/* ---- per-thread state -------------------------------------------------- */

struct fz_bufs {
	unsigned char scratch[FZ_PAGE];	/* where argument blocks are built */
	unsigned char *arg;	/* one page, guard after */
	unsigned char *ro;	/* one read-only page */
	unsigned char *data;	/* FZ_DATA_SIZE, guard after */
	unsigned char *arr;	/* FZ_ARR_SIZE, guard after */
};

struct fz_counts {
	u64 calls;
	u64 ok;			/* returned success */
	u64 raced;		/* file replaced during the call */
	u64 unexpected;
	u64 by_desc_ok[FZ_MAX_DESCS];
	u64 by_desc[FZ_MAX_DESCS];
};

/* One logged call or chaos operation. */
struct fz_rec {
	u64 seq;
	u64 seed;
	double t0, t1;
	short desc;		/* index into fz_descs, -1 random, -2 chaos */
	short fdslot;
	int fd;
	unsigned long req;
	unsigned long arg;
	long ret;
	int err;
	unsigned char state;	/* 0 free, 1 in flight, 2 done */
	unsigned char wrong;	/* 1 fd, 2 req */
	u64 words[8];		/* the struct (RUN: and its first access) */
	char what[24];		/* chaos: the operation */
};

struct fz_ring {
	char who[24];
	atomic_int pid;		/* 0 while unused */
	atomic_uint_fast64_t head;
	struct fz_rec rec[FZ_RING_LEN];
};

/* Memory shared between a phase's supervisor and its worker process. */
struct fz_shared {
	atomic_int stop;
	atomic_int failed;
	atomic_int reported;
	atomic_uint child_ring;
	atomic_uint_fast64_t calls;
	atomic_uint_fast64_t ok;
	atomic_uint_fast64_t raced;
	atomic_uint_fast64_t chaos_ops;
	atomic_uint_fast64_t forks;
	double setup_secs;	/* the worker's world setup */
	atomic_uint_fast64_t known[FZ_KNOWN_NR];
	atomic_uint_fast64_t desc_calls[FZ_MAX_DESCS];
	atomic_uint_fast64_t desc_ok[FZ_MAX_DESCS];
	atomic_uint_fast64_t desc_err[FZ_MAX_DESCS][FZ_NERRNO];	/* errnos seen */
	struct fz_ring ring[FZ_MAX_RINGS];
};

struct fz_world;

struct fz_thread {
	int id;			/* ring index */
	struct fz_world *w;
	struct fz_rng rng;
	struct fz_bufs b;
	struct fz_ring *ring;
	u64 seq;
	bool in_child;		/* a forked child: async-signal-safe only */
	pid_t tid;
};

/* What a phase asks the generator for. */
struct fz_mix_cfg {
	unsigned int devmask;		/* 1 << FT_ND | 1 << FT_KDEV | ... */
	unsigned int random_pct;	/* fully random ioctls */
	unsigned int corrupt_pct;	/* described calls corrupted at all */
	unsigned int wrongfd_pct;
	unsigned int wrongreq_pct;
	unsigned int badarg_pct;
};

/*
 * What the fuzzer knows of a PD: its MRs (the first FZ_ODP_FIXED made
 * when the file was opened: one over the arena, an implicit one, a pinned
 * one) and QPs (FZ_ODP_FIXED_QPS connected to those of the other PD),
 * then those valid calls made, in rings.  Threads update it without a
 * lock: a torn or stale entry only makes a call fail.
 */
#define FZ_ODP_FIXED		3
#define FZ_ODP_MRS		16
#define FZ_ODP_FIXED_QPS	2
#define FZ_ODP_QPS		8
#define FZ_ODP_PIN_LEN		(64 * 1024UL)

struct fz_odp_mr {
	u32 key;		/* 0: none */
	u32 access;
	u64 addr, len;		/* implicit: the arena */
};

struct fz_odp {
	struct fz_odp_mr mr[FZ_ODP_MRS];
	u32 qpn[FZ_ODP_QPS];
	atomic_uint next_mr, next_qp;
};

/* The world: arena, files, the VA limit, the shared state. */
struct fz_world {
	struct fz_fdslot fs[FS_NR];
	int memfd;
	int filefd;		/* ext4 (or tmpfs) file */
	bool file_is_ext4;
	bool hugetlb;
	u64 user_top;		/* TASK_SIZE_MAX: end of the user VA */
	u64 seed;
	unsigned int phase;
	struct fz_mix_cfg mix;
	struct fz_shared *sh;
	atomic_int chaos_fds;	/* files may be replaced */
	pid_t caller_tids[FZ_MAX_CALLERS];
	atomic_int ncallers;
	int sock[2];		/* children send files back on it */
	/*
	 * fork() copies the file table before the memory: a slot replaced
	 * in between would name a file the child does not have.  Replacing
	 * holds this for read, forking for write.  A forked child sets
	 * in_child and never touches the lock again.
	 */
	pthread_rwlock_t fd_lock;
	bool in_child;
	pid_t pid;		/* the process this copy of the world is in */
	/*
	 * Where the memslots of the layout are in each VM slot, as far as
	 * the calls that succeeded tell: MS_PRESENT, MS_MOVED.
	 */
	atomic_uchar mslot[FS_NR][FZ_NMEMSLOTS];
	unsigned int child_calls;	/* calls of a fork+exit child */
	bool compact;		/* chaos may compact all memory */
	const char *phase_name;
	u64 run_seed;		/* the seed of the whole run */
	bool whole_phase;	/* only the whole phase repeats a call */
	u64 phase_calls;	/* the phase's budget (0: a time limit) */
	char repro[128];	/* the "make fuzz" that repeats the run */
	struct fz_odp odp[2];	/* FS_ODP0, FS_ODP1 */
	unsigned int avail;	/* 1 << FT_* of the files that exist */
	bool quiet;		/* one caller, no chaos, no NIC engine */
};

/* fuzz_desc.c */
extern u64 fz_user_top;
/* validate(): 0 valid, -errno the exact result, or one of these. */
#define FZ_MUST_OK	1	/* the call must succeed */
#define FZ_UNKNOWN	2	/* no static answer */
extern struct fz_desc fz_descs[FZ_MAX_DESCS];
extern unsigned int fz_ndescs;
extern const struct fz_struct fz_kvmm_access_st;
void fz_descs_init(void);
int fz_argblock_rule(const struct fz_call *c);
bool fz_access_ok(u64 addr, u64 size);
u64 fz_get_field(const unsigned char *base, size_t off, size_t size);
/* A field of the block as built (what the kernel read). */
#define FIELD(c, type, member)						\
	fz_get_field((c)->mem, offsetof(type, member),			\
		     sizeof(((type *)0)->member))
/* A field of the block as the kernel wrote it back. */
#define OUTFIELD(c, type, member)					\
	fz_get_field((c)->out, offsetof(type, member),			\
		     sizeof(((type *)0)->member))
#define F(type, member, kind)						\
	{ #member, offsetof(type, member), sizeof(((type *)0)->member),	\
	  kind, NULL, 0, NULL }
#define FV(type, member, kind, v)					\
	{ #member, offsetof(type, member), sizeof(((type *)0)->member),	\
	  kind, v, ARRAY_SIZE(v), NULL }
#define FA(type, member, sub)						\
	{ #member, offsetof(type, member), sizeof(((type *)0)->member),	\
	  FK_ARRAY, NULL, 0, &sub }
#define ST(type, f)	{ #type, sizeof(type), f, ARRAY_SIZE(f) }

/* fuzz_desc_dev.c */
extern const struct fz_desc fz_dev_descs[];
extern const unsigned int fz_ndev_descs;
extern u64 fz_edu_va_end;
extern u64 fz_edu_skipped;
extern bool fz_edu_opened;
extern bool fz_edu_knobs;
int fz_desc_index(const struct fz_desc *d);
bool fz_req_valid_for(enum fz_ftype t, unsigned long req);
const char *fz_errname(int err);
void fz_format_rec(const struct fz_rec *r, char *buf, size_t len);
u64 fz_slot_base(unsigned int s);
u64 fz_memslot_gpa(unsigned int s);
u64 fz_memslot_size(unsigned int s);
u64 fz_memslot_hva(unsigned int s);
u32 fz_memslot_flags(unsigned int s);

/* What the fields generated so far decided (fuzz_gen.c, fuzz_dev.c). */
struct fz_gctx {
	struct fz_thread *t;
	struct fz_call *c;
	const struct fz_desc *d;
	const struct fz_struct *st;
	struct fz_rng *r;
	unsigned int slot;		/* arena slot of the address */
	u64 addr;			/* FK_MADDR, FK_MMADDR, FK_RADDR */
	u64 room;			/* bytes from addr/gpa to the end */
	u64 npages;
	u64 len;			/* FK_LEN, FK_ACCLEN, FK_RLEN */
	unsigned int memslot;
	u64 count;
	bool write;			/* the access is a store */
	bool small;			/* keep this access cheap */
	bool ro;			/* the access's memslot is read-only */
	bool unusable;			/* the last pointer cannot work */
	bool implicit;			/* odp: an implicit MR */
	int pd;				/* odp: 0, 1, or -1 (foreign) */
	int qp;				/* odp: index of the QP, -1 */
	u64 opcode;			/* odp: of the work request */
	struct fz_odp_mr mr, rmr;	/* odp: of the last key, rkey */
};

typedef u64 (*fz_gen_fn)(struct fz_gctx *g, bool bad);

/* fuzz_gen.c */
u64 fz_pick(struct fz_rng *r, const u64 *v, unsigned int n);
u64 fz_arena_addr(struct fz_rng *r);
u64 fz_rand64(struct fz_rng *r);
u64 fz_gen_buf(struct fz_gctx *g, u64 need, bool kwrites, bool bad,
	       enum fz_ptr *cls);
void fz_gen_struct(struct fz_gctx *g, const struct fz_struct *st,
		   unsigned char *out, unsigned int badmask);
void fz_gen_call(struct fz_thread *t, struct fz_call *c);
void fz_gen_described(struct fz_thread *t, struct fz_call *c,
		      const struct fz_desc *d, bool corrupt);
void fz_gen_random(struct fz_thread *t, struct fz_call *c);
u64 fz_bad_addr(struct fz_thread *t);

/* fuzz_exec.c */
extern unsigned int fz_expose;
extern const char *const fz_known_names[FZ_KNOWN_NR];
extern const char *const fz_known_desc[FZ_KNOWN_NR];
int fz_exec(struct fz_thread *t, struct fz_call *c);
void fz_out(const char *fmt, ...) __printf(1, 2);
void fz_dump_rings(struct fz_shared *sh, unsigned int last);
struct fz_rec *fz_log_begin(struct fz_thread *t);
void fz_log_end(struct fz_rec *r, long ret, int err);

#define MS_PRESENT		0x1
#define MS_MOVED		0x2

#define FZ_MEMFD_SIZE		(16 * FZ_MIB)
#define FZ_FILE_SIZE		(8 * FZ_MIB)
#define FZ_HPAGE		(2 * FZ_MIB)

/* What an arena slot can hold (fuzz_world.c, fuzz_chaos.c). */
enum fz_mkind {
	MK_ANON, MK_THP, MK_ANON_SHARED, MK_MEMFD_SHARED, MK_MEMFD_PRIVATE,
	MK_FILE_SHARED, MK_FILE_PRIVATE, MK_HUGETLB, MK_DEVICE, MK_RDONLY,
	MK_NONE, MK_HOLE, MK_NR,
};

/* fuzz_world.c */
void fz_note_memslot(struct fz_world *w, const struct fz_call *c);
int fz_world_init(struct fz_world *w, struct fz_shared *sh, u64 seed,
		  unsigned int phase);
void fz_world_fini(struct fz_world *w);
int fz_thread_init(struct fz_thread *t, struct fz_world *w, int id,
		   const char *who);
int fz_fd_get(struct fz_world *w, int slot, unsigned int *gen);
void fz_fd_replace(struct fz_world *w, int slot, int fd, pid_t owner);
int fz_reopen(struct fz_world *w, int slot, struct fz_rng *r);
void fz_adopt_vm(struct fz_world *w, int fd, struct fz_rng *r);
void fz_vm_populate(struct fz_world *w, int vmfd);
u64 fz_slot_bytes(unsigned int s);
int fz_map_slot(struct fz_world *w, unsigned int s, enum fz_mkind k,
		u64 len, struct fz_rng *r);
int fz_wait_child(pid_t pid, int *status, double secs);
int fz_donate(struct fz_world *w, struct fz_rng *r, int which);

/* fuzz_dev.c */
extern const fz_gen_fn fz_dev_kinds[FK_NR];
u64 fz_gen_elems(struct fz_gctx *g, bool bad);
int fz_odp_pd(int fdslot);
int fz_open_odp(struct fz_world *w, int pd);
#define FZ_SAMPLE_LEN		(FZ_NSLOTS * FZ_SLOT_SIZE)	/* sample0 */
int fz_open_sample(struct fz_world *w, bool setup);
int fz_open_edu(void);
void fz_dev_reopen(struct fz_world *w, int slot);
void fz_odp_populate(struct fz_world *w, int pd, int fd);
void fz_note_odp_mr(struct fz_thread *t, const struct fz_call *c);
void fz_note_odp_qp(struct fz_thread *t, const struct fz_call *c);

/* fuzz_chaos.c */
void fz_chaos_op(struct fz_thread *t);

#endif /* _FUZZ_H */
