// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_desc.c - descriptions of every call of the mirror devices' UAPI
 *
 * One struct fz_desc per call: the file it is meant for, the ioctl
 * number, the argument's layout as a list of fields with value kinds
 * (what a valid value is and how to corrupt it, fuzz_gen.c), the errnos
 * the UAPI headers allow, the static rules that decide an exact errno
 * before any memory is touched (the order the drivers check them in), and
 * checks of the outputs.  The layout of the VMs' memslots over the arena
 * is here as well, so that generated accesses mostly hit a memslot.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "fuzz.h"

u64 fz_user_top;

/* ---- the arena and the VM layout ---------------------------------------- */

/**
 * fz_slot_base() - start of arena slot @s (FZ_BIG_SLOT is the big one)
 * @s: slot index
 *
 * Return: the address.
 */
u64 fz_slot_base(unsigned int s)
{
	return FZ_ARENA_BASE + (u64)s * FZ_SLOT_SIZE;
}

/* Memslot s: gpa s GiB, backed by arena slot s, 4 MiB >> (s % 3). */
u64 fz_memslot_gpa(unsigned int s)
{
	return (u64)s << 30;
}

u64 fz_memslot_size(unsigned int s)
{
	return FZ_SLOT_SIZE >> (s % 3);
}

u64 fz_memslot_hva(unsigned int s)
{
	return fz_slot_base(s % FZ_NSLOTS);
}

u32 fz_memslot_flags(unsigned int s)
{
	return (s % 4 == 3) ? KVMM_MEM_READONLY : 0;
}

/* ---- errno sets -------------------------------------------------------- */

static const int nd_mem_errs[] = {
	EFAULT, EINVAL, EPERM, ESRCH, EINTR, ENOMEM, EOPNOTSUPP, 0
};

static const int nd_snap_errs[] = { EFAULT, EINVAL, ESRCH, EINTR, ENOMEM, 0 };

static const int nd_nosup_errs[] = { EFAULT, EINVAL, EOPNOTSUPP, 0 };

static const int nd_release_errs[] = { EFAULT, EINVAL, 0 };

static const int efault_errs[] = { EFAULT, 0 };

static const int nd_mode_errs[] = { EFAULT, EINVAL, EBUSY, 0 };

static const int nd_mmap_errs[] = {
	EINVAL, ENOMEM, EOVERFLOW, EOPNOTSUPP, EPERM, EAGAIN, EACCES,
	EEXIST, 0
};

static const int rw_errs[] = { EINVAL, 0 };
/* mmu_notifier_register() takes mm_take_all_locks(): -EINTR on a signal. */
static const int create_errs[] = { EINVAL, ENOMEM, EMFILE, EINTR, 0 };

static const int slot_errs[] = {
	EIO, EFAULT, EINVAL, EEXIST, ESRCH, ENOMEM, 0
};

/* The ioctl's own errors, then those a run reports in kvmm_run.error. */
static const int run_errs[] = {
	EIO, EFAULT, EINVAL, ENOMEM, EPERM, EINTR, ESRCH, 0
};

/* ---- static rules ------------------------------------------------------ */

u64 fz_get_field(const unsigned char *base, size_t off, size_t size)
{
	u64 v = 0;

	memcpy(&v, base + off, size);
	return v;
}

struct fz_mode_arg {
	__u32 mode;
};

/*
 * The argument block itself: unreadable is -EFAULT before anything else,
 * garbage from the arena makes every later rule unknown.
 */
int fz_argblock_rule(const struct fz_call *c)
{
	if (c->argptr == PTR_BAD || c->argptr == PTR_SHORT)
		return -EFAULT;
	if (c->argptr == PTR_ARENA)
		return FZ_UNKNOWN;
	return 0;
}

/* ndemo_check_cmd(): alignment, count, wrap, then the user VA limit. */
static int nd_cmd_rule(const struct fz_call *c)
{
	u64 addr = FIELD(c, struct ndemo_cmd, addr);
	u64 npages = FIELD(c, struct ndemo_cmd, npages);
	u64 end = addr + (npages << 12);
	int r = fz_argblock_rule(c);

	if (r)
		return r;
	if ((addr & (FZ_PAGE - 1)) || !npages ||
	    npages > FZ_NDEMO_MAX_PAGES || end < addr)
		return -EINVAL;
	if (end > (fz_user_top & ~(FZ_PAGE - 1)))
		return -EFAULT;
	return 0;
}

static int nd_mem_validate(const struct fz_call *c)
{
	int r = nd_cmd_rule(c);

	/* A block that cannot be copied back fails after the work. */
	if (!r && c->argptr == PTR_RO)
		return FZ_UNKNOWN;
	return r;
}

static int nd_nosup_validate(const struct fz_call *c)
{
	int r = nd_cmd_rule(c);

	return r ? r : -EOPNOTSUPP;
}

static int nd_release_validate(const struct fz_call *c)
{
	int r = nd_cmd_rule(c);

	if (r)
		return r;
	return c->argptr == PTR_RO ? -EFAULT : FZ_MUST_OK;
}

static int stats_validate(const struct fz_call *c)
{
	if (c->argptr == PTR_BAD || c->argptr == PTR_SHORT ||
	    c->argptr == PTR_RO)
		return -EFAULT;
	return c->argptr == PTR_ARENA ? FZ_UNKNOWN : FZ_MUST_OK;
}

static int nd_mode_validate(const struct fz_call *c)
{
	u64 mode = FIELD(c, struct fz_mode_arg, mode);
	int r = fz_argblock_rule(c);

	if (r)
		return r;
	if (mode != NDEMO_MODE_NOTIFIER && mode != NDEMO_MODE_PINNED)
		return -EINVAL;
	return 0;
}

static int create_validate(const struct fz_call *c)
{
	return (c->arg & ~(unsigned long)KVMM_VM_PINNED) ? -EINVAL : 0;
}

bool fz_access_ok(u64 addr, u64 size)
{
	return size <= fz_user_top && addr <= fz_user_top - size;
}

/* kvmm_check_memslot(), in its order; the owner check comes first. */
static int slot_validate(const struct fz_call *c)
{
	u64 slot = FIELD(c, struct kvmm_memslot, slot);
	u64 flags = FIELD(c, struct kvmm_memslot, flags);
	u64 gpa = FIELD(c, struct kvmm_memslot, guest_phys_addr);
	u64 size = FIELD(c, struct kvmm_memslot, memory_size);
	u64 hva = FIELD(c, struct kvmm_memslot, userspace_addr);
	int r;

	if (c->fsflags & FZ_FS_FOREIGN)
		return -EIO;
	r = fz_argblock_rule(c);
	if (r)
		return r;
	if (flags & ~(u64)KVMM_MEM_READONLY)
		return -EINVAL;
	if (slot >= KVMM_MAX_SLOTS)
		return -EINVAL;
	if ((size & (FZ_PAGE - 1)) || (gpa & (FZ_PAGE - 1)))
		return -EINVAL;
	if ((hva & (FZ_PAGE - 1)) || !fz_access_ok(hva, size))
		return -EINVAL;
	if (gpa + size < gpa || gpa + size > FZ_GPA_LIMIT)
		return -EINVAL;
	return 0;
}

static int run_validate(const struct fz_call *c)
{
	u64 count = FIELD(c, struct kvmm_run, count);
	u64 flags = FIELD(c, struct kvmm_run, flags);
	int r;

	if (c->fsflags & FZ_FS_FOREIGN)
		return -EIO;
	r = fz_argblock_rule(c);
	if (r)
		return r;
	if (flags || count > KVMM_MAX_RUN_ACCESSES)
		return -EINVAL;
	return c->argptr == PTR_RO ? -EFAULT : 0;
}

static int rw_validate(const struct fz_call *c)
{
	return -EINVAL;
}

/* A dmirror mapping is at most 16 MiB; a length of 0 is never valid. */
static int mmap_validate(const struct fz_call *c)
{
	return FZ_UNKNOWN;
}

/* ---- output checks ------------------------------------------------------ */

static int nd_mem_post(const struct fz_call *c, long ret, int err, char *why,
		       size_t len)
{
	u64 npages, cpages;

	if (ret || !c->out)
		return 0;
	npages = FIELD(c, struct ndemo_cmd, npages);
	cpages = OUTFIELD(c, struct ndemo_cmd, cpages);
	if (cpages != npages) {
		snprintf(why, len, "succeeded with cpages %llu != npages %llu",
			 (unsigned long long)cpages,
			 (unsigned long long)npages);
		return -1;
	}
	return 0;
}

static bool run_error_allowed(int e)
{
	return e == EFAULT || e == EPERM || e == EINVAL || e == EINTR ||
	       e == ESRCH || e == ENOMEM;
}

/*
 * A run that was accepted reports in its block: completed <= count,
 * error 0 exactly when all completed, the ioctl returns error, no access
 * completes past one that had to fail, and an access that fails by the
 * static rules fails with their errno when the run gets to it.
 */
static int run_post(const struct fz_call *c, long ret, int err, char *why,
		    size_t len)
{
	u64 count, completed;
	bool all;
	int error;

	if (!c->out)
		return 0;
	count = FIELD(c, struct kvmm_run, count);
	completed = OUTFIELD(c, struct kvmm_run, completed);
	error = (int)OUTFIELD(c, struct kvmm_run, error);
	if (ret && err != -error)
		return 0;	/* not accepted, or the block not written */
	if (completed > count) {
		snprintf(why, len, "completed %llu > count %llu",
			 (unsigned long long)completed,
			 (unsigned long long)count);
		return -1;
	}
	all = completed == count;
	if (!error != all) {
		snprintf(why, len, "error %d with completed %llu of %llu",
			 error, (unsigned long long)completed,
			 (unsigned long long)count);
		return -1;
	}
	if (error && !run_error_allowed(-error)) {
		snprintf(why, len, "run error %d (%s) not in the UAPI", error,
			 fz_errname(-error));
		return -1;
	}
	if (!c->arr_known)
		return 0;
	if (c->nopass_access >= 0 && completed > (u64)c->nopass_access) {
		snprintf(why, len,
			 "access %d completed although its data pointer is unusable",
			 c->nopass_access);
		return -1;
	}
	if (c->bad_access < 0 || completed < (u64)c->bad_access)
		return 0;
	if (completed > (u64)c->bad_access) {
		snprintf(why, len, "access %d completed although invalid",
			 c->bad_access);
		return -1;
	}
	if (c->bad_access_err && error != c->bad_access_err) {
		snprintf(why, len, "invalid access %d: error %s, want %s",
			 c->bad_access, fz_errname(-error),
			 fz_errname(-c->bad_access_err));
		return -1;
	}
	return 0;
}

/* ---- layouts ------------------------------------------------------------ */

static const struct fz_field nd_cmd_fields[] = {
	F(struct ndemo_cmd, addr, FK_MADDR),
	F(struct ndemo_cmd, npages, FK_NPAGES),
	F(struct ndemo_cmd, ptr, FK_UBUF),
	F(struct ndemo_cmd, cpages, FK_OUT),
	F(struct ndemo_cmd, faults, FK_OUT),
};

static const struct fz_struct nd_cmd_st = ST(struct ndemo_cmd, nd_cmd_fields);

static const struct fz_field nd_stats_fields[] = {
	F(struct ndemo_stats, faults, FK_OUT),
};

static const struct fz_struct nd_stats_st =
	ST(struct ndemo_stats, nd_stats_fields);

static const u64 nd_modes[] = { NDEMO_MODE_NOTIFIER, NDEMO_MODE_PINNED };

static const struct fz_field nd_mode_fields[] = {
	FV(struct fz_mode_arg, mode, FK_ENUM, nd_modes),
};

static const struct fz_struct nd_mode_st =
	ST(struct fz_mode_arg, nd_mode_fields);

/* The arguments of mmap(), as a block the executor unpacks. */
struct fz_mmap_arg {
	__u64 addr, len, prot, flags, off;
};

static const u64 mm_prot[] = { PROT_READ | PROT_WRITE | PROT_EXEC };
static const u64 mm_flags[] = {
	MAP_SHARED | MAP_FIXED, MAP_SHARED | MAP_FIXED, MAP_PRIVATE | MAP_FIXED,
	MAP_SHARED,
};

static const struct fz_field mmap_fields[] = {
	F(struct fz_mmap_arg, addr, FK_MMADDR),
	F(struct fz_mmap_arg, len, FK_MMLEN),
	FV(struct fz_mmap_arg, prot, FK_FLAGS, mm_prot),
	FV(struct fz_mmap_arg, flags, FK_ENUM, mm_flags),
	F(struct fz_mmap_arg, off, FK_MMOFF),
};

static const struct fz_struct mmap_st = ST(struct fz_mmap_arg, mmap_fields);

struct fz_rw_arg {
	__u64 len, buf;
};

static const struct fz_field rw_fields[] = {
	F(struct fz_rw_arg, len, FK_LEN),
	F(struct fz_rw_arg, buf, FK_UBUF),
};

static const struct fz_struct rw_st = ST(struct fz_rw_arg, rw_fields);

static const u64 slot_flags[] = { KVMM_MEM_READONLY };

static const struct fz_field slot_fields[] = {
	F(struct kvmm_memslot, slot, FK_SLOTID),
	FV(struct kvmm_memslot, flags, FK_SLOTFLAGS, slot_flags),
	F(struct kvmm_memslot, guest_phys_addr, FK_SLOTGPA),
	F(struct kvmm_memslot, memory_size, FK_SLOTSIZE),
	F(struct kvmm_memslot, userspace_addr, FK_SLOTHVA),
};

static const struct fz_struct slot_st = ST(struct kvmm_memslot, slot_fields);

static const u64 acc_flags[] = { KVMM_ACCESS_WRITE };

static const struct fz_field acc_fields[] = {
	F(struct kvmm_access, gpa, FK_GPA),
	F(struct kvmm_access, len, FK_ACCLEN),
	FV(struct kvmm_access, flags, FK_FLAGS, acc_flags),
	F(struct kvmm_access, data, FK_DATA),
};

const struct fz_struct fz_kvmm_access_st = ST(struct kvmm_access, acc_fields);

static const struct fz_field run_fields[] = {
	F(struct kvmm_run, count, FK_COUNT),
	FA(struct kvmm_run, accesses, fz_kvmm_access_st),
	F(struct kvmm_run, flags, FK_ZERO),
	F(struct kvmm_run, faults, FK_OUT),
	F(struct kvmm_run, retries, FK_OUT),
	F(struct kvmm_run, completed, FK_OUT),
	F(struct kvmm_run, error, FK_OUT),
};

static const struct fz_struct run_st = ST(struct kvmm_run, run_fields);

static const struct fz_field kv_stats_fields[] = {
	F(struct kvmm_stats, faults, FK_OUT),
};

static const struct fz_struct kv_stats_st =
	ST(struct kvmm_stats, kv_stats_fields);

static const u64 vm_flags[] = { 0, KVMM_VM_PINNED };

/* ---- the calls ---------------------------------------------------------- */

#define ND_MEM(n, r, w, u, fl, e, v, p)					\
	{ n, FT_ND, OP_IOCTL, r, &nd_cmd_st, NULL, 0, w, u,		\
	  FD_COPYIN | FD_COPYOUT | (fl), e, v, p, NULL, 0 }

static const struct fz_desc core_descs[] = {
	ND_MEM("NDEMO_READ", NDEMO_READ, 30, FZ_PAGE, FD_KWRITES_UBUF | FD_UBUF,
	       nd_mem_errs, nd_mem_validate, nd_mem_post),
	ND_MEM("NDEMO_WRITE", NDEMO_WRITE, 30, FZ_PAGE, FD_UBUF,
	       nd_mem_errs, nd_mem_validate, nd_mem_post),
	ND_MEM("NDEMO_SNAPSHOT", NDEMO_SNAPSHOT, 15, 1,
	       FD_KWRITES_UBUF | FD_UBUF,
	       nd_snap_errs, nd_mem_validate, nd_mem_post),
	ND_MEM("NDEMO_MIGRATE_TO_DEV", NDEMO_MIGRATE_TO_DEV, 2, FZ_PAGE,
	       FD_NEVER_OK,
	       nd_nosup_errs, nd_nosup_validate, NULL),
	ND_MEM("NDEMO_MIGRATE_TO_SYS", NDEMO_MIGRATE_TO_SYS, 2, FZ_PAGE,
	       FD_NEVER_OK,
	       nd_nosup_errs, nd_nosup_validate, NULL),
	ND_MEM("NDEMO_EXCLUSIVE", NDEMO_EXCLUSIVE, 2, FZ_PAGE, FD_NEVER_OK,
	       nd_nosup_errs, nd_nosup_validate, NULL),
	ND_MEM("NDEMO_CHECK_EXCLUSIVE", NDEMO_CHECK_EXCLUSIVE, 2, FZ_PAGE,
	       FD_NEVER_OK,
	       nd_nosup_errs, nd_nosup_validate, NULL),
	ND_MEM("NDEMO_RELEASE", NDEMO_RELEASE, 2, FZ_PAGE, 0,
	       nd_release_errs, nd_release_validate, NULL),
	{ "NDEMO_GET_STATS", FT_ND, OP_IOCTL, NDEMO_GET_STATS, &nd_stats_st,
	  NULL, 0, 5, 0, FD_COPYOUT, efault_errs, stats_validate, NULL, NULL,
	  0 },
	{ "NDEMO_SET_MODE", FT_ND, OP_IOCTL, NDEMO_SET_MODE, &nd_mode_st,
	  NULL, 0, 3, 0, FD_COPYIN | FD_FRESH_ONLY, nd_mode_errs,
	  nd_mode_validate, NULL, NULL, 0 },
	{ "mmap(dmirror)", FT_ND, OP_MMAP, 0, &mmap_st, NULL, 0, 6, 0, 0,
	  nd_mmap_errs, mmap_validate, NULL, NULL, 0 },
	{ "read(dmirror)", FT_ND, OP_READ, 0, &rw_st, NULL, 0, 1, 0,
	  FD_KWRITES_UBUF | FD_NEVER_OK | FD_UBUF, rw_errs, rw_validate, NULL,
	  NULL, 0 },
	{ "write(dmirror)", FT_ND, OP_WRITE, 0, &rw_st, NULL, 0, 1, 0,
	  FD_NEVER_OK | FD_UBUF, rw_errs, rw_validate, NULL, NULL, 0 },
	{ "KVMM_CREATE_VM", FT_KDEV, OP_IOCTL_INT, KVMM_CREATE_VM, NULL,
	  vm_flags, ARRAY_SIZE(vm_flags), 3, 0, 0, create_errs,
	  create_validate, NULL, NULL, 0 },
	{ "KVMM_SET_MEMSLOT", FT_VM, OP_IOCTL, KVMM_SET_MEMSLOT, &slot_st,
	  NULL, 0, 20, 0, FD_COPYIN, slot_errs, slot_validate, NULL, NULL,
	  0 },
	{ "KVMM_RUN", FT_VM, OP_IOCTL, KVMM_RUN, &run_st, NULL, 0, 45, 0,
	  FD_COPYIN | FD_COPYOUT, run_errs, run_validate, run_post, NULL, 0 },
	{ "KVMM_GET_STATS", FT_VM, OP_IOCTL, KVMM_GET_STATS, &kv_stats_st,
	  NULL, 0, 5, 0, FD_COPYOUT, efault_errs, stats_validate, NULL, NULL,
	  0 },
	{ "read(vm)", FT_VM, OP_READ, 0, &rw_st, NULL, 0, 1, 0,
	  FD_KWRITES_UBUF | FD_NEVER_OK, rw_errs, rw_validate, NULL, NULL, 0 },
	{ "read(kvm_mirror)", FT_KDEV, OP_READ, 0, &rw_st, NULL, 0, 1, 0,
	  FD_KWRITES_UBUF | FD_NEVER_OK, rw_errs, rw_validate, NULL, NULL, 0 },
};

struct fz_desc fz_descs[FZ_MAX_DESCS];
unsigned int fz_ndescs;

/**
 * fz_descs_init() - the table of every description: core ones, then those
 * of fuzz_desc_dev.c
 */
void fz_descs_init(void)
{
	memcpy(fz_descs, core_descs, sizeof(core_descs));
	fz_ndescs = ARRAY_SIZE(core_descs);
	if (fz_ndescs + fz_ndev_descs > FZ_MAX_DESCS)
		return;
	memcpy(fz_descs + fz_ndescs, fz_dev_descs,
	       fz_ndev_descs * sizeof(fz_dev_descs[0]));
	fz_ndescs += fz_ndev_descs;
}

int fz_desc_index(const struct fz_desc *d)
{
	return d ? (int)(d - fz_descs) : -1;
}

/**
 * fz_req_valid_for() - is @req a command of files of type @t?
 * @t: file type
 * @req: ioctl number
 *
 * Return: true if one of the descriptions issues @req on such files.
 */
bool fz_req_valid_for(enum fz_ftype t, unsigned long req)
{
	unsigned int i;

	for (i = 0; i < fz_ndescs; i++)
		if (fz_descs[i].ftype == t && fz_descs[i].req == req &&
		    (fz_descs[i].op == OP_IOCTL ||
		     fz_descs[i].op == OP_IOCTL_INT))
			return true;
	return false;
}

/* ---- printing ----------------------------------------------------------- */

const char *fz_errname(int err)
{
	static const struct { int e; const char *n; } names[] = {
		{ 0, "0" }, { EPERM, "EPERM" }, { ENOENT, "ENOENT" },
		{ ESRCH, "ESRCH" }, { EINTR, "EINTR" }, { EIO, "EIO" },
		{ E2BIG, "E2BIG" }, { EBADF, "EBADF" }, { EAGAIN, "EAGAIN" },
		{ ENOMEM, "ENOMEM" }, { EACCES, "EACCES" },
		{ EFAULT, "EFAULT" }, { EBUSY, "EBUSY" }, { EEXIST, "EEXIST" },
		{ ENODEV, "ENODEV" }, { EINVAL, "EINVAL" },
		{ EMFILE, "EMFILE" }, { ENOTTY, "ENOTTY" },
		{ ENOSPC, "ENOSPC" }, { ERANGE, "ERANGE" },
		{ EOVERFLOW, "EOVERFLOW" }, { EOPNOTSUPP, "EOPNOTSUPP" },
		{ ETIMEDOUT, "ETIMEDOUT" }, { ENXIO, "ENXIO" },
		{ ESPIPE, "ESPIPE" },
	};
	static __thread char other[24];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].e == err)
			return names[i].n;
	snprintf(other, sizeof(other), "errno %d", err);
	return other;
}

static const char *const fs_names[FS_NR] = {
	"nd0", "nd1(pinned)", "nd2", "nd3(pinned)", "kvm_mirror",
	"vm0", "vm1(pinned)", "vm2", "odp0", "odp1", "sample0(set-up)",
	"sample1", "edu0", "nd-foreign0", "nd-foreign1",
	"vm-foreign0", "vm-foreign1", "odp-foreign", "pipe-r", "pipe-w",
	"eventfd", "/dev/null", "closed-fd", "fd-1",
};

static int fmt_fields(char *p, size_t len, const struct fz_struct *st,
		      const u64 *words, size_t nbytes)
{
	const unsigned char *b = (const unsigned char *)words;
	unsigned int i;
	int n = 0;

	for (i = 0; i < st->nfields && n < (int)len; i++) {
		const struct fz_field *f = &st->fields[i];
		u64 v = 0;

		if (f->kind == FK_OUT || f->off + f->size > nbytes)
			continue;
		memcpy(&v, b + f->off, f->size);
		n += snprintf(p + n, len - n, "%s%s=%#llx", n ? " " : "",
			      f->name, (unsigned long long)v);
	}
	return n;
}

/**
 * fz_format_rec() - one logged call or chaos operation as text
 * @r: the record
 * @buf: where to write
 * @len: its size
 */
void fz_format_rec(const struct fz_rec *r, char *buf, size_t len)
{
	const struct fz_desc *d = r->desc >= 0 && r->desc < (int)fz_ndescs ?
				  &fz_descs[r->desc] : NULL;
	const char *fs = r->fdslot >= 0 && r->fdslot < FS_NR ?
			 fs_names[r->fdslot] : "?";
	char res[48];
	int n;

	if (r->state == 1)
		snprintf(res, sizeof(res), "(in flight)");
	else if (r->ret == -1)
		snprintf(res, sizeof(res), "= -1 %s", fz_errname(r->err));
	else
		snprintf(res, sizeof(res), "= %#lx", (unsigned long)r->ret);

	if (r->desc == -2) {
		snprintf(buf, len, "chaos %s(%#llx, %#llx, %#llx) %s", r->what,
			 (unsigned long long)r->words[0],
			 (unsigned long long)r->words[1],
			 (unsigned long long)r->words[2], res);
		return;
	}
	if (!d) {
		snprintf(buf, len, "ioctl(%s fd %d, %#lx, %#lx) [random] %s",
			 fs, r->fd, r->req, r->arg, res);
		return;
	}
	n = snprintf(buf, len, "%s(%s fd %d%s%s", d->name, fs, r->fd,
		     (r->wrong & 1) ? " WRONG-FD" : "",
		     (r->wrong & 2) ? " WRONG-REQ" : "");
	if (n >= (int)len)
		return;
	if (d->op == OP_IOCTL || d->op == OP_IOCTL_INT)
		n += snprintf(buf + n, len - n, ", req %#lx, arg %#lx", r->req,
			      r->arg);
	if (n < (int)len && d->st && d->op != OP_IOCTL_INT) {
		n += snprintf(buf + n, len - n, ", {");
		if (n < (int)len)
			n += fmt_fields(buf + n, len - n, d->st, r->words,
					sizeof(r->words));
		if (n < (int)len)
			n += snprintf(buf + n, len - n, "}");
	}
	if (n < (int)len && d->req == KVMM_RUN && d->op == OP_IOCTL) {
		n += snprintf(buf + n, len - n, " access[0] {");
		if (n < (int)len)
			n += fmt_fields(buf + n, len - n, &fz_kvmm_access_st,
					r->words + 5, 24);
		if (n < (int)len)
			n += snprintf(buf + n, len - n, "}");
	}
	if (n < (int)len)
		snprintf(buf + n, len - n, ") %s", res);
}
