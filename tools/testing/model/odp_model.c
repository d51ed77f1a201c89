// SPDX-License-Identifier: GPL-2.0
/*
 * odp_model.c - the RDMA-style NIC's core on the model
 *
 * drivers/misc/notifier-demo/odp_{ctx,mr,mem,qp}.c, built unchanged, run
 * against processes of the model core VM, with the NIC engine on the
 * shim's workqueue threads.  The test plays the device file:
 * odp_ctx_create() is open, odp_ctx_ioctl() an ioctl with pointers into
 * this program as user arguments, odp_ctx_destroy() the last close.
 *
 * Every PD's MTTs are a source of the invariant checker: an MTT entry
 * that outlives an invalidation of its page, or names a frame the CPU no
 * longer maps there, is a violation.
 */
#include <pthread.h>
#include <sched.h>
#include <unistd.h>
#include <linux/mmu_mirror.h>
#include <linux/odp_demo.h>
#include <linux/sched/mm.h>
#include <model/checker.h>
#include <model/shim.h>
#include <model/vm.h>
#include "../../../drivers/misc/notifier-demo/odp_core.h"
#include "ktap.h"

#define NPAGES	16
#define LEN	(NPAGES * PAGE_SIZE)
#define ODP_ALL	(ODP_ACCESS_LOCAL_WRITE | ODP_ACCESS_REMOTE_WRITE | \
		 ODP_ACCESS_REMOTE_READ | ODP_ACCESS_REMOTE_ATOMIC)
#define ODP_ODP	(ODP_ALL | ODP_ACCESS_ON_DEMAND)

static struct odp_dev *dev;
static unsigned char want[LEN], got[LEN];

static void fill(unsigned char *buf, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (unsigned char)(i * 7 + seed * 13 + (i >> 12));
}

/* ---- the MTTs as a checker source ---- */

struct mtt_visit {
	checker_visit_fn visit;
	void *arg;
	unsigned long start, end;
};

static void mtt_entry(void *arg, u64 hva, u64 phys, bool pinned)
{
	struct mtt_visit *v = arg;
	struct checker_entry e = {
		.hva = hva, .pfn = phys >> PAGE_SHIFT, .npages = 1,
		.pinned = pinned,
	};

	if (hva + PAGE_SIZE > v->start && hva < v->end)
		v->visit(&e, v->arg);
}

static void mtt_source(void *ctx, struct mm_struct *mm, unsigned long start,
		       unsigned long end, bool nowait, checker_visit_fn visit,
		       void *arg)
{
	struct odp_ctx *pd = ctx;
	struct mtt_visit v = { visit, arg, start, end };

	if (mm && mm != pd->mm)
		return;
	odp_ctx_walk_mtts(pd, nowait, mtt_entry, &v);
}

/* ---- a process with a PD ---- */

struct proc {
	struct mm_struct *mm;
	struct odp_ctx *ctx;
	unsigned long a, b;	/* two buffers of LEN */
	u32 ka, kb;
	u32 qa, qb;		/* loopback QPs */
};

static long cmd(struct proc *p, unsigned int nr, void *arg)
{
	current->mm = p->mm;
	return odp_ctx_ioctl(p->ctx, nr, arg);
}

static int reg(struct proc *p, unsigned long addr, u64 len, u32 access,
	       u32 *key)
{
	struct odp_reg_mr r = { .addr = addr, .length = len,
				.access = access };
	int ret = cmd(p, ODP_REG_MR, &r);

	*key = r.lkey;
	return ret;
}

static int qp(struct proc *p, u32 *qpn)
{
	struct odp_create_qp c = { .sq_depth = 32, .rq_depth = 32 };
	int ret = cmd(p, ODP_CREATE_QP, &c);

	*qpn = c.qpn;
	return ret;
}

static int connect(struct proc *p, u32 qpn, u32 remote)
{
	struct odp_connect_qp c = { .qpn = qpn, .remote_qpn = remote };

	return cmd(p, ODP_CONNECT_QP, &c);
}

static bool proc_init(struct proc *p, u32 access)
{
	memset(p, 0, sizeof(*p));
	p->mm = model_mm_create();
	KTAP_CHECK(p->mm);
	p->a = model_mmap(p->mm, 0, LEN, VM_READ | VM_WRITE);
	p->b = model_mmap(p->mm, 0, LEN, VM_READ | VM_WRITE);
	KTAP_CHECK(!IS_ERR_VALUE(p->a) && !IS_ERR_VALUE(p->b));
	p->ctx = odp_ctx_create(dev, p->mm);
	KTAP_CHECK(!IS_ERR(p->ctx));
	KTAP_CHECK(!checker_register_source("odp-mtt", mtt_source, p->ctx));
	KTAP_CHECK(reg(p, p->a, LEN, access, &p->ka) == 0);
	KTAP_CHECK(reg(p, p->b, LEN, access, &p->kb) == 0);
	KTAP_CHECK(qp(p, &p->qa) == 0 && qp(p, &p->qb) == 0);
	KTAP_CHECK(connect(p, p->qa, p->qb) == 0);
	KTAP_CHECK(connect(p, p->qb, p->qa) == 0);
	return true;
}

static void proc_close(struct proc *p)
{
	checker_unregister_source(p->ctx);
	odp_ctx_destroy(p->ctx);
	p->ctx = NULL;
}

static void proc_fini(struct proc *p)
{
	if (p->ctx)
		proc_close(p);
	if (p->mm)
		mmput(p->mm);
	current->mm = NULL;
}

static struct odp_send_wr wr_of(u32 opcode, u64 id, u32 lkey, u64 laddr,
				u32 len, u32 rkey, u64 raddr)
{
	struct odp_send_wr wr = {
		.wr_id = id, .opcode = opcode,
		.sge = { .addr = laddr, .length = len, .lkey = lkey },
		.remote_addr = raddr, .rkey = rkey,
	};

	return wr;
}

static int post(struct proc *p, u32 qpn, struct odp_send_wr *wrs, u32 n)
{
	struct odp_post ps = { .qpn = qpn, .nr = n,
			       .wrs = (u64)(uintptr_t)wrs };

	return cmd(p, ODP_POST_SEND, &ps);
}

/* @n completions of @qpn within 10 s; their statuses OR-ed, or -1. */
static long wait_wcs(struct proc *p, u32 qpn, u32 n, struct odp_wc *out)
{
	struct odp_wc wc[64];
	u32 got_n = 0;
	long status = 0;
	int rounds;

	for (rounds = 0; got_n < n && rounds < 100; rounds++) {
		struct odp_poll_cq pc = {
			.qpn = qpn, .nr = min_t(u32, n - got_n, 64),
			.wcs = (u64)(uintptr_t)wc, .timeout_ms = 100,
		};
		u32 i;

		if (cmd(p, ODP_POLL_CQ, &pc))
			return -1;
		for (i = 0; i < pc.count; i++) {
			status |= wc[i].status;
			if (out)
				out[got_n + i] = wc[i];
		}
		got_n += pc.count;
	}
	return got_n == n ? status : -1;
}

static long rdma(struct proc *p, u32 qpn, u32 opcode, u32 lkey, u64 laddr,
		 u32 len, u32 rkey, u64 raddr)
{
	struct odp_send_wr wr = wr_of(opcode, 1, lkey, laddr, len, rkey,
				      raddr);

	if (post(p, qpn, &wr, 1))
		return -1;
	return wait_wcs(p, qpn, 1, NULL);
}

static bool cpu(struct proc *p, unsigned long addr, void *buf, size_t len,
		bool write)
{
	return model_cpu_access(p->mm, addr, buf, len, write) == 0;
}

static struct odp_mr_query query(struct proc *p, u32 key)
{
	struct odp_mr_query q = { .lkey = key };

	if (cmd(p, ODP_QUERY_MR, &q))
		memset(&q, 0xff, sizeof(q));
	return q;
}

/*
 * Proves: WRITE and READ carry the data each iteration with
 * MADV_DONTNEED between them; the engine faults from its worker, and no
 * MTT entry survives an invalidation (checker).
 */
static bool test_traffic_with_dontneed(void)
{
	struct proc p;
	int i;

	if (!proc_init(&p, ODP_ODP))
		return false;
	for (i = 0; i < 20; i++) {
		KTAP_CHECK(model_madvise_dontneed(p.mm, p.a, LEN) == 0);
		KTAP_CHECK(model_madvise_dontneed(p.mm, p.b, LEN) == 0);
		fill(want, LEN, i);
		KTAP_CHECK(cpu(&p, p.a, want, LEN, true));
		KTAP_CHECK(rdma(&p, p.qa, i & 1 ? ODP_WR_RDMA_READ :
				ODP_WR_RDMA_WRITE, i & 1 ? p.kb : p.ka,
				i & 1 ? p.b : p.a, LEN, i & 1 ? p.ka : p.kb,
				i & 1 ? p.a : p.b) == 0);
		KTAP_CHECK(cpu(&p, p.b, got, LEN, false));
		KTAP_CHECK(!memcmp(want, got, LEN));
		KTAP_CHECK(checker_checkpoint(p.mm) == 0);
	}
	KTAP_CHECK(query(&p, p.kb).invalidations >= 19);
	proc_fini(&p);
	return true;
}

/*
 * Proves: two processes' PDs talk: SEND lands in the other address
 * space, and the NIC's FETCH_AND_ADD returns and adds.
 */
static bool test_two_processes(void)
{
	struct odp_recv_wr rwr;
	struct odp_post ps;
	struct odp_send_wr wr;
	struct odp_wc wc;
	struct proc s, c;
	u64 v = 40, orig;
	u32 sq, cq;

	if (!proc_init(&s, ODP_ODP) || !proc_init(&c, ODP_ODP))
		return false;
	KTAP_CHECK(qp(&s, &sq) == 0 && qp(&c, &cq) == 0);
	KTAP_CHECK(connect(&s, sq, cq) == 0 && connect(&c, cq, sq) == 0);
	rwr = (struct odp_recv_wr){ 9, { s.b, LEN, s.kb } };
	ps = (struct odp_post){ .qpn = sq, .nr = 1,
				.wrs = (u64)(uintptr_t)&rwr };
	KTAP_CHECK(cmd(&s, ODP_POST_RECV, &ps) == 0);
	fill(want, LEN, 3);
	KTAP_CHECK(cpu(&c, c.a, want, LEN, true));
	wr = wr_of(ODP_WR_SEND, 1, c.ka, c.a, LEN, 0, 0);
	KTAP_CHECK(post(&c, cq, &wr, 1) == 0);
	KTAP_CHECK(wait_wcs(&c, cq, 1, NULL) == 0);
	KTAP_CHECK(wait_wcs(&s, sq, 1, &wc) == 0);
	KTAP_CHECK(wc.wr_id == 9 && wc.byte_len == LEN && wc.src_qpn == cq);
	KTAP_CHECK(cpu(&s, s.b, got, LEN, false));
	KTAP_CHECK(!memcmp(want, got, LEN));

	KTAP_CHECK(cpu(&s, s.a + 8, &v, 8, true));
	wr = wr_of(ODP_WR_ATOMIC_FETCH_AND_ADD, 2, c.kb, c.b, 8, s.ka,
		   s.a + 8);
	wr.compare_add = 2;
	KTAP_CHECK(post(&c, cq, &wr, 1) == 0);
	KTAP_CHECK(wait_wcs(&c, cq, 1, NULL) == 0);
	KTAP_CHECK(cpu(&c, c.b, &orig, 8, false) && orig == 40);
	KTAP_CHECK(cpu(&s, s.a + 8, &v, 8, false) && v == 42);
	proc_fini(&c);
	proc_fini(&s);
	return true;
}

/*
 * Proves: implicit ODP makes a child per 1 GiB on the first fault and
 * frees it once an invalidation emptied it.
 */
static bool test_implicit_children(void)
{
	unsigned long area;
	struct odp_mr_query q;
	struct proc p;
	u32 ki;
	int g, i;

	if (!proc_init(&p, ODP_ODP))
		return false;
	area = model_mmap(p.mm, 0, 4UL << 30, VM_READ | VM_WRITE);
	KTAP_CHECK(!IS_ERR_VALUE(area));
	KTAP_CHECK(reg(&p, 0, ODP_IMPLICIT_LENGTH, ODP_ODP, &ki) == 0);
	fill(want, PAGE_SIZE, 5);
	KTAP_CHECK(cpu(&p, p.a, want, PAGE_SIZE, true));
	for (g = 0; g < 3; g++)
		KTAP_CHECK(rdma(&p, p.qa, ODP_WR_RDMA_WRITE, p.ka, p.a,
				PAGE_SIZE, ki,
				((area >> 30) + g + 1) << 30) == 0);
	q = query(&p, ki);
	KTAP_CHECK(q.children == 3 && q.mtt_pages == 3 && q.faults == 3);
	KTAP_CHECK(checker_checkpoint(p.mm) == 0);
	for (g = 0; g < 3; g++)
		KTAP_CHECK(model_madvise_dontneed(p.mm,
						  ((area >> 30) + g + 1) << 30,
						  PAGE_SIZE) == 0);
	for (i = 0; i < 200; i++) {
		q = query(&p, ki);
		if (!q.children)
			break;
		usleep(5000);
	}
	if (q.children || q.children_freed != 3)
		printf("# children %llu, created %llu, freed %llu, mtt %llu\n",
		       q.children, q.children_created, q.children_freed,
		       q.mtt_pages);
	KTAP_CHECK(q.children == 0 && q.children_freed == 3);
	proc_fini(&p);
	return true;
}

static bool storm_stop;

static void *pageout_storm(void *arg)
{
	struct proc *p = arg;

	while (!__atomic_load_n(&storm_stop, __ATOMIC_ACQUIRE)) {
		model_madvise_pageout(p->mm, p->a, LEN);
		model_madvise_pageout(p->mm, p->b, LEN);
		sched_yield();
	}
	return NULL;
}

/*
 * Proves: the engine's faults and accesses in flight race reclaim
 * without losing data or leaving an MTT entry behind an invalidation.
 */
static bool test_pageout_storm(void)
{
	pthread_t t;
	struct proc p;
	long st;
	int i;

	if (!proc_init(&p, ODP_ODP))
		return false;
	storm_stop = false;
	KTAP_CHECK(pthread_create(&t, NULL, pageout_storm, &p) == 0);
	for (i = 0; i < 40; i++) {
		fill(want, LEN, i + 50);
		KTAP_CHECK(cpu(&p, p.a, want, LEN, true));
		st = rdma(&p, p.qa, ODP_WR_RDMA_WRITE, p.ka, p.a, LEN, p.kb,
			  p.b);
		if (st)
			printf("# iteration %d: status %ld\n", i, st);
		KTAP_CHECK(st == 0);
		KTAP_CHECK(cpu(&p, p.b, got, LEN, false));
		KTAP_CHECK(!memcmp(want, got, LEN));
	}
	__atomic_store_n(&storm_stop, true, __ATOMIC_RELEASE);
	KTAP_CHECK(pthread_join(t, NULL) == 0);
	KTAP_CHECK(checker_checkpoint(p.mm) == 0);
	proc_fini(&p);
	return true;
}

/*
 * Proves: the OOM reaper's non-blockable invalidation of NIC-mapped ODP
 * memory is never refused: every MTT entry goes.
 */
static bool test_oom_reap_not_refused(void)
{
	struct odp_pd_query pd = { .mirror = ODP_PD_MIRROR_ODP };
	struct proc p;

	if (!proc_init(&p, ODP_ODP))
		return false;
	KTAP_CHECK(rdma(&p, p.qa, ODP_WR_RDMA_WRITE, p.ka, p.a, LEN, p.kb,
			p.b) == 0);
	KTAP_CHECK(query(&p, p.kb).mtt_pages == NPAGES);
	KTAP_CHECK(model_oom_reap(p.mm) == 0);
	KTAP_CHECK(cmd(&p, ODP_QUERY_PD, &pd) == 0);
	KTAP_CHECK(pd.stats.nonblock_invalidations > 0);
	KTAP_CHECK(pd.stats.nonblock_failed == 0);
	KTAP_CHECK(pd.stats.entries == 0);
	KTAP_CHECK(query(&p, p.ka).mtt_pages == 0);
	KTAP_CHECK(query(&p, p.kb).mtt_pages == 0);
	proc_fini(&p);
	return true;
}

/*
 * Proves: when the process exits with work queued, the engine flushes
 * what it can no longer do, and closing afterwards leaves nothing.
 */
static bool test_exit_with_work_queued(void)
{
	struct odp_send_wr wrs[32];
	struct odp_wc wc[32];
	struct proc p;
	int i, flushed = 0;

	if (!proc_init(&p, ODP_ODP))
		return false;
	for (i = 0; i < 32; i++)
		wrs[i] = wr_of(ODP_WR_RDMA_WRITE, i, p.ka, p.a, LEN, p.kb,
			       p.b);
	KTAP_CHECK(post(&p, p.qa, wrs, 32) == 0);
	mmput(p.mm);		/* exit_mmap(); the PD holds mm_count */
	KTAP_CHECK(wait_wcs(&p, p.qa, 32, wc) >= 0);
	for (i = 0; i < 32; i++) {
		KTAP_CHECK(wc[i].status == ODP_WC_SUCCESS ||
			   wc[i].status == ODP_WC_WR_FLUSH_ERR);
		flushed += wc[i].status == ODP_WC_WR_FLUSH_ERR;
	}
	KTAP_CHECK(flushed > 0);
	p.mm = NULL;
	proc_fini(&p);
	return true;
}

/*
 * Proves: deregistration with writes queued waits for the one the
 * engine runs: after it returns the MR's memory is left alone.
 */
static bool test_dereg_waits(void)
{
	struct odp_send_wr wrs[32];
	struct proc p;
	u32 key;
	int i;

	if (!proc_init(&p, ODP_ODP))
		return false;
	fill(want, LEN, 9);
	KTAP_CHECK(cpu(&p, p.a, want, LEN, true));
	for (i = 0; i < 32; i++)
		wrs[i] = wr_of(ODP_WR_RDMA_WRITE, i, p.ka, p.a, LEN, p.kb,
			       p.b);
	KTAP_CHECK(post(&p, p.qa, wrs, 32) == 0);
	key = p.kb;
	KTAP_CHECK(cmd(&p, ODP_DEREG_MR, &key) == 0);
	memset(got, 0x77, LEN);
	KTAP_CHECK(cpu(&p, p.b, got, LEN, true));
	KTAP_CHECK(wait_wcs(&p, p.qa, 32, NULL) != 0);
	KTAP_CHECK(cpu(&p, p.b, got, LEN, false));
	for (i = 0; i < LEN; i++)
		KTAP_CHECK(got[i] == 0x77);
	proc_fini(&p);
	return true;
}

/*
 * Proves: allocation failures in registration, QP creation and the
 * engine's faults fail cleanly (no leak: harness_teardown counts).
 */
static bool test_alloc_failures(void)
{
	struct proc p;
	unsigned long n;

	if (!proc_init(&p, ODP_ODP))
		return false;
	for (n = 1; n < 12; n++) {
		struct odp_reg_mr r = { .addr = p.a, .length = LEN,
					.access = ODP_ALL };
		struct odp_create_qp c = { .sq_depth = 4, .rq_depth = 4 };
		long ret;

		model_slab_fail_nth(n);
		ret = cmd(&p, ODP_REG_MR, &r);
		model_slab_fail_nth(0);
		if (!ret)
			KTAP_CHECK(cmd(&p, ODP_DEREG_MR, &r.lkey) == 0);
		else
			KTAP_CHECK(ret == -ENOMEM);
		model_slab_fail_nth(n);
		ret = cmd(&p, ODP_CREATE_QP, &c);
		model_slab_fail_nth(0);
		if (!ret)
			KTAP_CHECK(cmd(&p, ODP_DESTROY_QP, &c.qpn) == 0);
		else
			KTAP_CHECK(ret == -ENOMEM);
	}
	proc_fini(&p);
	return true;
}

/* Not a case: brings the NIC up before the cases and down after. */
static bool setup_dev(void)
{
	dev = odp_dev_create();
	KTAP_CHECK(!IS_ERR(dev));
	return true;
}

static bool teardown_dev(void)
{
	odp_dev_destroy(dev);
	return true;
}

static const struct ktap_case cases[] = {
	{ "dev_create", setup_dev },
	{ "traffic_with_dontneed", test_traffic_with_dontneed },
	{ "two_processes", test_two_processes },
	{ "implicit_children", test_implicit_children },
	{ "pageout_storm", test_pageout_storm },
	{ "oom_reap_not_refused", test_oom_reap_not_refused },
	{ "exit_with_work_queued", test_exit_with_work_queued },
	{ "dereg_waits", test_dereg_waits },
	{ "alloc_failures", test_alloc_failures },
	{ "dev_destroy", teardown_dev },
};

int main(int argc, char **argv)
{
	return ktap_model_main(argc, argv, cases, ARRAY_SIZE(cases),
			       4096, true);
}
