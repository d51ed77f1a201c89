// SPDX-License-Identifier: GPL-2.0
/*
 * mirror_soak - a long stress of every sample client in the test guest
 * ("make soak"; soak-guest.sh runs it)
 *
 *	mirror_soak baseline FILE	record the memory accounting
 *	mirror_soak run SECONDS [SEED]	the stress, flat KTAP
 *	mirror_soak compare FILE	the accounting against FILE, KTAP
 *
 * run: seven regions of 8 MiB and one of two pages, each mirrored by one
 * device: the GPU-style notifier_demo (two regions, one of them in
 * transparent huge pages), the KVM-style kvm_mirror (two VMs, one in
 * THPs) and a pinned (legacy) VM, the RDMA-style odp_demo (an implicit
 * ODP MR over a region in THPs, an explicit ODP MR over a 4 KiB one;
 * the device's transfers are RDMA READs and WRITEs the NIC engine
 * executes and faults for in its own context) and, in the IOMMU boot,
 * the edu DMA device (two pages: each DMA takes about 100 ms).  Per
 * region a mutator thread changes the memory and checks it,
 * and a reader thread keeps the device loading it; one pressure thread
 * pushes everything into zram swap with a memory hog and MADV_PAGEOUT,
 * and migrates pages by compaction.  The mutator, by random choice:
 *
 *   cpu	fill a new generation by CPU stores; the device must read
 *		exactly it
 *   dev	the device stores a new generation; the CPU must read exactly
 *		it
 *   pageout	MADV_PAGEOUT twice, then one side reads it back exactly
 *		(swapped in by a device fault or a CPU fault)
 *   migrate	move_pages() of the whole region to the other NUMA node
 *		(make soak boots two), then one side reads it back exactly
 *   remap	munmap and mmap at the same address (or MAP_FIXED over the
 *		old mapping), then a new generation
 *   dontneed	MADV_DONTNEED of a random part (splitting THPs), then a
 *		new generation
 *   fork	a child checks its copy exactly while the parent writes a
 *		new generation (copy-on-write under the device)
 *   thp	MADV_COLLAPSE (or, where refused, a split by mprotect of one
 *		page), then exact reads by both sides
 *
 * The pinned VM does only cpu, dev, pageout, migrate and fork (its pages
 * stay where they are pinned): a pinned mirror
 * keeps its pages by design, so remapping would make it stale.  Every
 * word holds the generation, page and position it was written for
 * (kvm-mirror's pattern), so a stale page, a page of another region or
 * a torn word is told apart from fresh data.  A reader loads while the
 * mutator works: each word must be zero (a region just remapped or
 * discarded) or of a generation between the one published before the
 * load and the one after it, plus one (a fill in progress).
 *
 * baseline and compare read /proc/meminfo, /proc/vmstat and zram's
 * mm_stat after dropping caches and compacting; soak-guest.sh records the
 * baseline with this tree's modules unloaded, loads them, runs the soak,
 * unloads them and compares: FOLL_PIN pins acquired and released must
 * balance exactly, the rest come back within a tolerance.
 */
#define _GNU_SOURCE
#include "notifier-demo/ndemo_util.h"
#include "kvm-mirror/kvmm_util.h"
#include "odp-demo/odp_util.h"

#include <ftw.h>
#include <inttypes.h>
#include <stdbool.h>
#include <sys/syscall.h>

#include <linux/edu_mirror.h>

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE		25
#endif
#define SK_MPOL_MF_MOVE		(1 << 1)

#define SK_PAGES	2048UL		/* 8 MiB per region */
#define SK_EDU_PAGES	2UL		/* edu: ~100 ms per DMA */
#define SK_EDU_CHUNK	2048U		/* bytes per edu copy */
#define SK_NR		8
#define SK_GPA		0x100000000ULL
#define SK_BUSY_TRIES	50

enum sk_kind { SK_GPU, SK_KVM, SK_ODP, SK_EDU };

#define SK_EDU_DEV	"/dev/edu_mirror0"
#define SK_ODP_WAIT_S	120	/* a transfer owed by the NIC engine */

enum sk_op {
	OP_CPU, OP_DEV, OP_PAGEOUT, OP_MIGRATE, OP_REMAP, OP_DONTNEED,
	OP_FORK, OP_THP, OP_NR
};

static const char *const sk_op_names[OP_NR] = {
	"cpu", "dev", "pageout", "migrate", "remap", "dontneed", "fork",
	"thp",
};

struct sk_region {
	const char *name;
	enum sk_kind kind;
	bool thp, pinned, implicit;
	unsigned int id;
	unsigned long pages;		/* its size */
	size_t len;
	/* odp: the keys of the region's and the buffers' MRs (lkey = rkey) */
	uint32_t mr_key, rbuf_key, mbuf_key;
	uint32_t qp[2][2];		/* [mutator, reader][requester, peer] */
	char *mem;
	int fd;				/* device file or VM */
	uint64_t *rbuf, *mbuf;		/* reader's and mutator's buffers */
	atomic_ullong published;	/* last complete generation */
	uint64_t gen;			/* the mutator's */
	uint64_t rng;
	/* counts, each written by one thread */
	unsigned long ops[OP_NR], exact_checks, collapse_refused;
	unsigned long moved;		/* pages on the node asked for */
	unsigned long loads, load_holes, load_busy;
	unsigned long bad;		/* data errors, both threads */
	unsigned long errors;		/* unexpected errnos */
	pthread_t mutator, reader;
};

static struct sk_region sk_regions[SK_NR] = {
	{ .name = "gpu-thp", .kind = SK_GPU, .thp = true },
	{ .name = "gpu-4k", .kind = SK_GPU },
	{ .name = "kvm-thp", .kind = SK_KVM, .thp = true },
	{ .name = "kvm-4k", .kind = SK_KVM },
	{ .name = "kvm-pinned", .kind = SK_KVM, .pinned = true },
	{ .name = "odp-thp", .kind = SK_ODP, .thp = true, .implicit = true },
	{ .name = "odp-4k", .kind = SK_ODP },
	{ .name = "edu-4k", .kind = SK_EDU },
};

/* The regions in use: without the edu device (no IOMMU boot), one less. */
static unsigned int sk_nr = SK_NR;

static atomic_int sk_stop;
static double sk_deadline;
static unsigned long sk_hogs, sk_compactions, sk_pageouts;
static atomic_ulong sk_diags;		/* bound the diagnostics */

static __printf(1, 2) void sk_diag(const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (atomic_fetch_add(&sk_diags, 1) >= 40)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	ktap_diag("%s", line);
}

static uint64_t sk_rnd(struct sk_region *r)
{
	/* xorshift64* */
	r->rng ^= r->rng >> 12;
	r->rng ^= r->rng << 25;
	r->rng ^= r->rng >> 27;
	return r->rng * 0x2545F4914F6CDD1DULL;
}

/* The page number in patterns: region and page, so regions differ. */
static unsigned long sk_page_id(const struct sk_region *r, unsigned long i)
{
	return ((unsigned long)r->id << 16) | i;
}

static void sk_fill(const struct sk_region *r, uint64_t *p, uint64_t gen)
{
	unsigned long i;
	unsigned int w;

	for (i = 0; i < r->pages; i++)
		for (w = 0; w < MT_PAGE / 8; w++)
			__atomic_store_n(&p[i * (MT_PAGE / 8) + w],
					 kv_word(gen, sk_page_id(r, i), w),
					 __ATOMIC_RELAXED);
}

/*
 * Words of @p that are not of a generation in [@lo, @hi] (nor zero, if
 * @zero_ok); the first is described, unless @what is NULL (a forked
 * child of this threaded process must not touch stdio's locks).
 */
static unsigned long sk_check(struct sk_region *r, const char *what,
			      const uint64_t *p, uint64_t lo, uint64_t hi,
			      bool zero_ok)
{
	unsigned long i, bad = 0;
	unsigned int w;

	for (i = 0; i < r->pages; i++) {
		for (w = 0; w < MT_PAGE / 8; w++) {
			uint64_t v = __atomic_load_n(&p[i * (MT_PAGE / 8) + w],
						     __ATOMIC_RELAXED);
			uint64_t g = kv_word_gen(v, sk_page_id(r, i), w);

			if ((zero_ok && !v) || (g && g >= lo && g <= hi))
				continue;
			if (!bad && what)
				sk_diag("%s: %s: page %lu word %u is %#" PRIx64
					", want generation %" PRIu64 "..%" PRIu64
					"%s", r->name, what, i, w, v, lo, hi,
					zero_ok ? " or 0" : "");
			bad++;
		}
	}
	return bad;
}


/*
 * One RDMA WRITE (@write) or READ of the whole region from or to @buf, on
 * the QP pair of the thread that owns @buf; the NIC engine executes it
 * and faults in its own context.  A remote access error (the region's
 * pages unmapped) is -EFAULT, a transfer whose faults kept losing to
 * invalidations (retry exceeded) -EBUSY; the QP is connected again after
 * an error.
 */
static int sk_odp_xfer(struct sk_region *r, uint64_t *buf, bool write)
{
	unsigned int t = buf == r->rbuf;
	struct odp_send_wr wr = {
		.wr_id = r->len,
		.opcode = write ? ODP_WR_RDMA_WRITE : ODP_WR_RDMA_READ,
		.sge = {
			.addr = (uintptr_t)buf, .length = r->len,
			.lkey = t ? r->rbuf_key : r->mbuf_key,
		},
		.remote_addr = (uintptr_t)r->mem,
		.rkey = r->mr_key,
	};
	struct odp_post post = {
		.qpn = r->qp[t][0], .nr = 1, .wrs = (uintptr_t)&wr,
	};
	struct odp_wc wc = { 0 };
	struct odp_poll_cq poll = {
		.qpn = r->qp[t][0], .nr = 1, .wcs = (uintptr_t)&wc,
		.timeout_ms = 10000,
	};
	struct odp_connect_qp conn = {
		.qpn = r->qp[t][0], .remote_qpn = r->qp[t][1],
	};
	double end = ktap_now() + SK_ODP_WAIT_S;
	int ret = od_ioctl(r->fd, ODP_POST_SEND, &post);

	if (ret)
		return ret;
	do {
		ret = od_ioctl(r->fd, ODP_POLL_CQ, &poll);
		if (ret && ret != -EINTR)
			return ret;
	} while (poll.count != 1 && ktap_now() < end);
	if (poll.count != 1)
		return -ETIMEDOUT;
	if (wc.status == ODP_WC_SUCCESS)
		return 0;
	ret = od_ioctl(r->fd, ODP_CONNECT_QP, &conn);
	if (ret)
		return ret;
	if (wc.status == ODP_WC_REM_ACCESS_ERR)
		return -EFAULT;
	/* Faults lost to invalidations for too long: the NIC gave up. */
	if (wc.status == ODP_WC_RETRY_EXC_ERR)
		return -EBUSY;
	sk_diag("%s: completion status %u", r->name, wc.status);
	return -EIO;
}

/* The edu device copies the region in chunks (two DMAs each). */
static int sk_edu_xfer(struct sk_region *r, uint64_t *buf, bool write)
{
	size_t off;

	for (off = 0; off < r->len; off += SK_EDU_CHUNK) {
		char *mem = r->mem + off, *b = (char *)buf + off;
		struct edu_mirror_copy c = {
			.src = (uintptr_t)(write ? b : mem),
			.dst = (uintptr_t)(write ? mem : b),
			.len = SK_EDU_CHUNK,
		};
		int ret = od_ioctl(r->fd, EDU_MIRROR_COPY, &c);

		if (ret)
			return ret;
	}
	return 0;
}

/* The device loads (@write: stores) the whole region; 0 or -errno. */
static int sk_dev_xfer(struct sk_region *r, uint64_t *buf, bool write)
{
	switch (r->kind) {
	case SK_GPU:
		return write ? nd_write(r->fd, r->mem, buf, r->pages, NULL) :
			       nd_read(r->fd, r->mem, buf, r->pages, NULL);
	case SK_ODP:
		return sk_odp_xfer(r, buf, write);
	case SK_EDU:
		return sk_edu_xfer(r, buf, write);
	default:
		return write ? kv_write(r->fd, SK_GPA, buf, r->len, NULL) :
			       kv_read(r->fd, SK_GPA, buf, r->len, NULL);
	}
}

/* A device transfer of the mutator's, retried while it answers -EBUSY. */
static int sk_dev_xfer_retry(struct sk_region *r, uint64_t *buf, bool write)
{
	int i, ret = -EBUSY;

	for (i = 0; i < SK_BUSY_TRIES && ret == -EBUSY; i++)
		ret = sk_dev_xfer(r, buf, write);
	return ret;
}

static void sk_error(struct sk_region *r, const char *what, int err)
{
	r->errors++;
	sk_diag("%s: %s: %s", r->name, what, strerror(err));
}

/* Both views exact at the current generation. */
static void sk_exact_dev(struct sk_region *r, const char *what)
{
	int ret = sk_dev_xfer_retry(r, r->mbuf, false);

	if (ret) {
		sk_error(r, what, -ret);
		return;
	}
	r->bad += sk_check(r, what, r->mbuf, r->gen, r->gen, false);
	r->exact_checks++;
}

static void sk_exact_cpu(struct sk_region *r, const char *what)
{
	r->bad += sk_check(r, what, (uint64_t *)r->mem, r->gen, r->gen,
			   false);
	r->exact_checks++;
}

static void sk_publish(struct sk_region *r)
{
	atomic_store(&r->published, r->gen);
}

static void sk_op_cpu(struct sk_region *r)
{
	r->gen++;
	sk_fill(r, (uint64_t *)r->mem, r->gen);
	sk_publish(r);
	sk_exact_dev(r, "device load of a CPU fill");
}

static void sk_op_dev(struct sk_region *r)
{
	int ret;

	r->gen++;
	sk_fill(r, r->mbuf, r->gen);
	ret = sk_dev_xfer_retry(r, r->mbuf, true);
	if (ret) {
		/* Part may be written: make the whole region this gen. */
		sk_error(r, "device store", -ret);
		sk_fill(r, (uint64_t *)r->mem, r->gen);
	}
	sk_publish(r);
	sk_exact_cpu(r, "CPU load of a device store");
}

static void sk_op_pageout(struct sk_region *r)
{
	int ret = mt_pageout2(r->mem, r->len);

	if (ret) {
		sk_error(r, "MADV_PAGEOUT", -ret);
		return;
	}
	if (sk_rnd(r) & 1)
		sk_exact_dev(r, "device load after pageout");
	else
		sk_exact_cpu(r, "CPU load after pageout");
}

/* Move every page to the other node; the pinned ones stay (-EBUSY). */
static void sk_op_migrate(struct sk_region *r)
{
	static __thread void *pages[SK_PAGES];
	static __thread int nodes[SK_PAGES], status[SK_PAGES];
	int node = r->ops[OP_MIGRATE] & 1 ? 0 : 1;
	unsigned long i;

	for (i = 0; i < r->pages; i++) {
		pages[i] = r->mem + i * MT_PAGE;
		nodes[i] = node;
	}
	if (syscall(SYS_move_pages, 0, r->pages, pages, nodes, status,
		    SK_MPOL_MF_MOVE) < 0) {
		sk_error(r, "move_pages", errno);
		return;
	}
	for (i = 0; i < r->pages; i++)
		r->moved += status[i] == node;
	if (sk_rnd(r) & 1)
		sk_exact_dev(r, "device load after migration");
	else
		sk_exact_cpu(r, "CPU load after migration");
}

static int sk_map_region(struct sk_region *r, int flags)
{
	void *p = mmap(r->mem, r->len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);

	if (p == MAP_FAILED)
		return -errno;
	if (p != r->mem) {
		munmap(p, r->len);
		return -EEXIST;
	}
	if (madvise(r->mem, r->len, r->thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE))
		return -errno;
	return 0;
}

static void sk_op_remap(struct sk_region *r)
{
	int ret;

	if (sk_rnd(r) & 1) {
		/* A real hole: device loads in it fail with -EFAULT. */
		if (munmap(r->mem, r->len)) {
			sk_error(r, "munmap", errno);
			return;
		}
		ret = sk_map_region(r, MAP_FIXED_NOREPLACE);
	} else {
		ret = sk_map_region(r, MAP_FIXED);
	}
	if (ret) {
		sk_error(r, "mmap at the same address", -ret);
		atomic_store(&sk_stop, 1);
		return;
	}
	sk_op_cpu(r);
}

static void sk_op_dontneed(struct sk_region *r)
{
	unsigned long first = sk_rnd(r) % r->pages;
	unsigned long n = 1 + sk_rnd(r) % (r->pages - first);

	if (madvise(r->mem + first * MT_PAGE, n * MT_PAGE, MADV_DONTNEED))
		sk_error(r, "MADV_DONTNEED", errno);
	sk_op_cpu(r);
}

static void sk_op_fork(struct sk_region *r)
{
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0) {
		sk_error(r, "fork", errno);
		return;
	}
	if (pid == 0) {
		unsigned long bad = sk_check(r, NULL, (uint64_t *)r->mem,
					     r->gen, r->gen, false);

		/* Its own stores go to its copies only. */
		sk_fill(r, (uint64_t *)r->mem, r->gen + 1000);
		_exit(bad ? 1 : 0);
	}
	/* Copy-on-write faults under the device's entries. */
	sk_op_cpu(r);
	if (waitpid(pid, &status, 0) != pid) {
		sk_error(r, "waitpid", errno);
		return;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		r->bad++;
		sk_diag("%s: the forked child saw other data (status %#x)",
			r->name, status);
	}
	sk_exact_cpu(r, "the parent's view after fork");
}

static void sk_op_thp(struct sk_region *r)
{
	char *page = r->mem + (sk_rnd(r) % r->pages) * MT_PAGE;

	if (madvise(r->mem, r->len, MADV_COLLAPSE)) {
		/* EINVAL: no MADV_COLLAPSE; EAGAIN, ENOMEM: not now. */
		r->collapse_refused++;
		if (mprotect(page, MT_PAGE, PROT_READ) ||
		    mprotect(page, MT_PAGE, PROT_READ | PROT_WRITE))
			sk_error(r, "mprotect", errno);
	}
	sk_exact_cpu(r, "CPU load after collapse or split");
	sk_exact_dev(r, "device load after collapse or split");
}

static enum sk_op sk_pick(struct sk_region *r)
{
	static const enum sk_op pinned_ops[] = {
		OP_CPU, OP_DEV, OP_PAGEOUT, OP_MIGRATE, OP_FORK,
	};
	enum sk_op op;

	if (r->pinned)
		return pinned_ops[sk_rnd(r) % ARRAY_SIZE(pinned_ops)];
	do {
		op = sk_rnd(r) % OP_NR;
	} while (op == OP_THP && !r->thp);
	return op;
}

static void *sk_mutator(void *arg)
{
	struct sk_region *r = arg;

	while (!atomic_load(&sk_stop) && ktap_now() < sk_deadline) {
		enum sk_op op = sk_pick(r);

		switch (op) {
		case OP_CPU: sk_op_cpu(r); break;
		case OP_DEV: sk_op_dev(r); break;
		case OP_PAGEOUT: sk_op_pageout(r); break;
		case OP_MIGRATE: sk_op_migrate(r); break;
		case OP_REMAP: sk_op_remap(r); break;
		case OP_DONTNEED: sk_op_dontneed(r); break;
		case OP_FORK: sk_op_fork(r); break;
		default: sk_op_thp(r); break;
		}
		r->ops[op]++;
	}
	return NULL;
}

/* Device loads racing the mutator: never an older generation. */
static void *sk_reader(void *arg)
{
	struct sk_region *r = arg;

	while (!atomic_load(&sk_stop) && ktap_now() < sk_deadline) {
		uint64_t g0 = atomic_load(&r->published), g1;
		int ret = sk_dev_xfer(r, r->rbuf, false);

		g1 = atomic_load(&r->published);
		if (ret == -EFAULT && !r->pinned) {
			r->load_holes++;	/* between munmap and mmap */
			continue;
		}
		if (ret == -EBUSY && r->kind != SK_KVM) {
			r->load_busy++;
			continue;
		}
		if (ret) {
			sk_error(r, "device load", -ret);
			continue;
		}
		r->loads++;
		r->bad += sk_check(r, "racing device load", r->rbuf, g0,
				   g1 + 1, !r->pinned);
	}
	return NULL;
}

static long long sk_meminfo(const char *key)
{
	return mt_proc_value("/proc/meminfo", key);
}

/* Swap everything the regions do not pin out, migrate by compaction. */
static void *sk_pressure(void *arg)
{
	long long total_kb = sk_meminfo("MemTotal");
	size_t hog = (size_t)(total_kb > 0 ? total_kb : 1 << 20) * 1024 / 4 * 3;
	uint64_t rng = (uintptr_t)arg | 1;
	struct sk_region *r;

	while (!atomic_load(&sk_stop) && ktap_now() < sk_deadline) {
		char *p;
		size_t off;

		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		switch (rng % 3) {
		case 0:
			p = mmap(NULL, hog, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (p == MAP_FAILED)
				break;
			for (off = 0; off < hog; off += MT_PAGE)
				p[off] = 1;
			munmap(p, hog);
			sk_hogs++;
			break;
		case 1:
			if (!mt_write_str("/proc/sys/vm/compact_memory", "1"))
				sk_compactions++;
			break;
		default:
			r = &sk_regions[rng % sk_nr];
			if (!mt_pageout2(r->mem, r->len))
				sk_pageouts++;
			break;
		}
		usleep(20000);
	}
	return NULL;
}

/*
 * A PD with the region's MR (explicit ODP, or the implicit MR, which then
 * covers the buffers too) and ODP MRs over both buffers.
 */
static int sk_odp_setup(struct sk_region *r)
{
	int ret;

	r->fd = od_open();
	CHECK(r->fd >= 0, "no odp_demo device");
	if (r->implicit) {
		ret = od_reg_implicit(r->fd, &r->mr_key);
		r->rbuf_key = r->mr_key;
		r->mbuf_key = r->mr_key;
	} else {
		ret = od_reg(r->fd, r->mem, r->len, OD_ODP, &r->mr_key);
		if (!ret)
			ret = od_reg(r->fd, r->rbuf, r->len, OD_ODP,
				     &r->rbuf_key);
		if (!ret)
			ret = od_reg(r->fd, r->mbuf, r->len, OD_ODP,
				     &r->mbuf_key);
	}
	CHECK(!ret, "ODP_REG_MR: %s", strerror(-ret));
	ret = od_loopback(r->fd, &r->qp[0][0], &r->qp[0][1]);
	if (!ret)
		ret = od_loopback(r->fd, &r->qp[1][0], &r->qp[1][1]);
	CHECK(!ret, "ODP QPs: %s", strerror(-ret));
	return 0;
}

static int sk_setup(struct sk_region *r, unsigned int id, uint64_t seed)
{
	int ret;

	r->id = id;
	r->rng = (seed + 1) * 0x9E3779B97F4A7C15ULL + id;
	r->pages = r->kind == SK_EDU ? SK_EDU_PAGES : SK_PAGES;
	r->len = r->pages * MT_PAGE;
	r->mem = mt_map_aligned(r->len, 2UL << 20, r->thp);
	r->rbuf = kv_map(r->len);
	r->mbuf = kv_map(r->len);
	CHECK(r->mem && r->rbuf && r->mbuf, "mmap: %s", strerror(errno));
	r->gen = 1;
	sk_fill(r, (uint64_t *)r->mem, r->gen);
	sk_publish(r);
	if (r->kind == SK_GPU) {
		r->fd = nd_open(id % 2);
		CHECK(r->fd >= 0, "no notifier_demo device");
		return 0;
	}
	if (r->kind == SK_ODP)
		return sk_odp_setup(r);
	if (r->kind == SK_EDU) {
		r->fd = open(SK_EDU_DEV, O_RDWR | O_CLOEXEC);
		CHECK(r->fd >= 0, "%s: %s", SK_EDU_DEV, strerror(errno));
		return 0;
	}
	r->fd = kv_create_vm(r->pinned ? KVMM_VM_PINNED : 0);
	CHECK(r->fd >= 0, "KVMM_CREATE_VM: %s", strerror(-r->fd));
	ret = kv_set_slot(r->fd, 0, 0, SK_GPA, r->len, r->mem);
	CHECK(!ret, "KVMM_SET_MEMSLOT: %s", strerror(-ret));
	return 0;
}

static unsigned long sk_seconds;
static uint64_t sk_seed;

/* Proves: under the whole mix, every load by CPU, device and child saw right data. */
static int case_soak(void)
{
	unsigned long bad = 0, errors = 0, ops = 0, checks = 0, loads = 0;
	long long mig0 = mt_proc_value("/proc/vmstat", "pgmigrate_success");
	long long out0 = mt_proc_value("/proc/vmstat", "pswpout");
	long long mig1, out1;
	pthread_t pressure;
	unsigned int i, k;

	if (access(SK_EDU_DEV, F_OK)) {
		ktap_diag("no %s (no --iommu-edu boot): the edu region is left out",
			  SK_EDU_DEV);
		sk_nr = SK_NR - 1;
	}
	for (i = 0; i < sk_nr; i++)
		if (sk_setup(&sk_regions[i], i, sk_seed))
			return KTAP_FAIL;
	sk_deadline = ktap_now() + sk_seconds;
	CHECK_PT(pthread_create(&pressure, NULL, sk_pressure,
				(void *)(uintptr_t)sk_seed));
	for (i = 0; i < sk_nr; i++) {
		CHECK_PT(pthread_create(&sk_regions[i].mutator, NULL,
					sk_mutator, &sk_regions[i]));
		CHECK_PT(pthread_create(&sk_regions[i].reader, NULL,
					sk_reader, &sk_regions[i]));
	}
	for (i = 0; i < sk_nr; i++) {
		CHECK_PT(pthread_join(sk_regions[i].mutator, NULL));
		CHECK_PT(pthread_join(sk_regions[i].reader, NULL));
	}
	atomic_store(&sk_stop, 1);
	CHECK_PT(pthread_join(pressure, NULL));
	mig1 = mt_proc_value("/proc/vmstat", "pgmigrate_success");
	out1 = mt_proc_value("/proc/vmstat", "pswpout");

	for (i = 0; i < sk_nr; i++) {
		struct sk_region *r = &sk_regions[i];
		char line[256];
		int len = 0;

		/* Quiet now: both views exact, then the device file goes. */
		sk_exact_cpu(r, "CPU load at the end");
		sk_exact_dev(r, "device load at the end");
		for (k = 0; k < OP_NR; k++) {
			len += snprintf(line + len, sizeof(line) - len,
					" %s %lu", sk_op_names[k], r->ops[k]);
			ops += r->ops[k];
		}
		ktap_diag("%s: generation %" PRIu64 ";%s", r->name, r->gen,
			  line);
		ktap_diag("%s: %lu exact checks, %lu racing loads (%lu in a hole, %lu -EBUSY), %lu bad words, %lu errors; %lu pages found on the node asked for, %lu collapses refused",
			  r->name, r->exact_checks, r->loads, r->load_holes,
			  r->load_busy, r->bad, r->errors, r->moved,
			  r->collapse_refused);
		bad += r->bad;
		errors += r->errors;
		checks += r->exact_checks;
		loads += r->loads;
		close(r->fd);
	}
	ktap_diag("soak: %lu s, seed %#" PRIx64 ": %lu mutations, %lu exact checks, %lu racing loads; pressure: %lu hogs, %lu compactions, %lu pageouts; %lld pages migrated, %lld swapped out",
		  sk_seconds, sk_seed, ops, checks, loads, sk_hogs,
		  sk_compactions, sk_pageouts, mig1 - mig0, out1 - out0);
	CHECK(bad == 0, "%lu words of wrong data", bad);
	CHECK(errors == 0, "%lu unexpected errors", errors);
	CHECK(ops > 0 && checks > 0 && loads > 0, "nothing ran");
	CHECK(out1 > out0, "nothing was swapped out: no pressure");
	CHECK(mig1 > mig0, "no page was migrated");
	return KTAP_PASS;
}

/* ---- accounting ------------------------------------------------------- */

struct sk_acct {
	const char *file, *key;
	long long tolerance;	/* in the key's unit; -1: must not grow */
	int sign;		/* +1: may not fall below, -1: not rise above */
};

/*
 * What must come back after the soak and module unload: free memory
 * (kB), anonymous, unevictable and slab pages, swap in use, zram's
 * stored data, and the pins exactly.  Swap in use leaves out the swap
 * cache: pages read ahead from swap keep their slots after their process
 * exited, until reclaim frees them, and that is no leak.
 */
static const struct sk_acct sk_accts[] = {
	{ "/proc/meminfo", "MemFree", 32768, +1 },
	{ NULL, "SwapUsed", 4096, -1 },
	{ "/proc/vmstat", "nr_anon_pages", 2048, -1 },
	{ "/proc/vmstat", "nr_unevictable", 64, -1 },
	{ "/proc/vmstat", "nr_mlock", 0, -1 },
	{ "/proc/vmstat", "nr_slab_unreclaimable", 2048, -1 },
	{ "/proc/vmstat", "nr_page_table_pages", 256, -1 },
};

/* Swap slots in use (kB), the swap cache's left out. */
static long long sk_swap_used(void)
{
	long long total = sk_meminfo("SwapTotal"), free = sk_meminfo("SwapFree");
	long long cached = sk_meminfo("SwapCached");

	if (total < 0 || free < 0 || cached < 0)
		return -1;
	return total - free - cached;
}

static long long sk_value(const struct sk_acct *a)
{
	return a->file ? mt_proc_value(a->file, a->key) : sk_swap_used();
}

static int sk_read_file(const char *path, const struct stat *st, int type,
			struct FTW *ftw)
{
	char buf[65536];
	int fd;

	if (type != FTW_F || !S_ISREG(st->st_mode))
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
	return 0;
}

/*
 * The same state for both measurements: the guest's root file system is
 * tmpfs, and the pressure swaps its files (the test programs, the ext4
 * image) out, which is no leak; reading them all brings them back and
 * frees their swap.  Then caches dropped and memory compacted.
 */
static void sk_settle(void)
{
	nftw("/", sk_read_file, 16, FTW_MOUNT | FTW_PHYS);
	sync();
	mt_write_str("/proc/sys/vm/drop_caches", "3");
	mt_write_str("/proc/sys/vm/compact_memory", "1");
	sleep(2);
}

/* zram0's stored (uncompressed) bytes, or -1. */
static long long sk_zram_bytes(void)
{
	return mt_read_ll("/sys/block/zram0/mm_stat");
}

static long long sk_pins(void)
{
	long long a = mt_proc_value("/proc/vmstat", "nr_foll_pin_acquired");
	long long r = mt_proc_value("/proc/vmstat", "nr_foll_pin_released");

	return a < 0 || r < 0 ? -1 : a - r;
}

static int sk_baseline(const char *path)
{
	FILE *f = fopen(path, "w");
	unsigned int i;

	if (!f) {
		perror(path);
		return 1;
	}
	sk_settle();
	for (i = 0; i < ARRAY_SIZE(sk_accts); i++)
		fprintf(f, "%s %lld\n", sk_accts[i].key,
			sk_value(&sk_accts[i]));
	fprintf(f, "zram %lld\npins %lld\n", sk_zram_bytes(), sk_pins());
	return fclose(f) ? 1 : 0;
}

static const char *sk_base_path;

static long long sk_base_value(const char *key)
{
	FILE *f = fopen(sk_base_path, "r");
	char k[64];
	long long v, found = -1;

	if (!f)
		return -1;
	while (fscanf(f, "%63s %lld", k, &v) == 2)
		if (!strcmp(k, key))
			found = v;
	fclose(f);
	return found;
}

/* Proves: no FOLL_PIN page pin outlived the soak and the module unload. */
static int case_pins_released(void)
{
	long long base = sk_base_value("pins"), now = sk_pins();

	if (base < 0 || now < 0)
		return ktap_skip_case("no nr_foll_pin_* counters");
	ktap_diag("pins held: %lld, %lld before the soak", now, base);
	CHECK(now == base, "%lld pins leaked", now - base);
	return KTAP_PASS;
}

/* Proves: free memory, swap, anonymous, unevictable, slab and page-table pages came back. */
static int case_memory_back(void)
{
	unsigned int i, bad = 0;

	for (i = 0; i < ARRAY_SIZE(sk_accts); i++) {
		const struct sk_acct *a = &sk_accts[i];
		long long base = sk_base_value(a->key);
		long long now = sk_value(a);
		long long d = now - base;
		bool ok = a->sign > 0 ? d >= -a->tolerance :
					d <= a->tolerance;

		ktap_diag("%-22s %12lld, %12lld before (%+lld, tolerance %lld) %s",
			  a->key, now, base, d, a->tolerance,
			  ok ? "ok" : "NOT BACK");
		bad += !ok || base < 0 || now < 0;
	}
	CHECK(!bad, "%u counters did not come back", bad);
	return KTAP_PASS;
}

/* Proves: zram holds no more than before but the swap cache (no swapped page leaked). */
static int case_zram_back(void)
{
	long long base = sk_base_value("zram"), now = sk_zram_bytes();
	long long cached = sk_meminfo("SwapCached") * 1024;

	if (base < 0 || now < 0 || cached < 0)
		return ktap_skip_case("no zram0");
	ktap_diag("zram0 stores %lld bytes, %lld before; swap cache %lld",
		  now, base, cached);
	CHECK(now <= base + cached + (4LL << 20), "%lld bytes more in zram",
	      now - base - cached);
	return KTAP_PASS;
}

static int sk_compare(const char *path)
{
	static const struct ktap_case cases[] = {
		KTAP_CASE(pins_released),
		KTAP_CASE(memory_back),
		KTAP_CASE(zram_back),
	};

	sk_base_path = path;
	sk_settle();
	return ktap_run(cases, ARRAY_SIZE(cases));
}

static int sk_usage(void)
{
	fprintf(stderr, "usage: mirror_soak baseline FILE | run SECONDS [SEED] | compare FILE\n");
	return 2;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "baseline"))
		return sk_baseline(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "compare"))
		return sk_compare(argv[2]);
	if ((argc == 3 || argc == 4) && !strcmp(argv[1], "run")) {
		struct ktap_case cases[] = {
			{ "soak", case_soak, 0 },
			KTAP_CASE(kernel_not_tainted),
		};

		sk_seconds = strtoul(argv[2], NULL, 0);
		sk_seed = argc == 4 ? strtoull(argv[3], NULL, 0) :
				      (uint64_t)time(NULL);
		if (!sk_seconds)
			return sk_usage();
		cases[0].timeout_s = sk_seconds + 600;
		setvbuf(stdout, NULL, _IOLBF, 0);
		mt_record_taint();
		ktap_diag("mirror_soak: %lu s, seed %#" PRIx64, sk_seconds,
			  sk_seed);
		return ktap_run(cases, ARRAY_SIZE(cases));
	}
	return sk_usage();
}
