// SPDX-License-Identifier: GPL-2.0
/*
 * odp_traffic.c - traffic through ODP, implicit ODP and pinned MRs
 *
 * Every case runs its operation OD_ITERS times, with MADV_DONTNEED on the
 * ODP buffers before each iteration (as rdma-core's tests/test_odp.py
 * does), so that the NIC engine must fault each time, from its worker,
 * and must never touch the pages the process dropped.  Each iteration
 * checks the data where the CPU sees it.  The QPs are two QPs of one PD
 * connected to each other; odp_lifetime.c covers two processes.
 */
#include "odp_util.h"

#define LEN	(16 * OD_PAGE)

struct od_env {
	int fd;
	uint32_t qa, qb;	/* requester and responder QPs */
	uint8_t *src, *dst;
	uint32_t ksrc, kdst;
};

/* Two buffers of @len registered with @asrc and @adst, and two QPs. */
static int od_env_init(struct od_env *e, size_t len, uint32_t asrc,
		       uint32_t adst)
{
	int ret;

	e->fd = od_open();
	if (e->fd < 0)
		return e->fd;
	e->src = od_map(len);
	e->dst = od_map(len);
	if (!e->src || !e->dst)
		return -ENOMEM;
	/* Pinned MRs need their memory mapped: touch it. */
	memset(e->src, 0, len);
	memset(e->dst, 0, len);
	ret = od_reg(e->fd, e->src, len, asrc, &e->ksrc);
	if (!ret)
		ret = od_reg(e->fd, e->dst, len, adst, &e->kdst);
	if (!ret)
		ret = od_loopback(e->fd, &e->qa, &e->qb);
	return ret;
}

/* Proves: SEND lands in the posted RECV buffer, with its length, each time. */
static int case_send_recv(void)
{
	struct od_env e;
	int i;

	CHECK_OK(od_env_init(&e, LEN, OD_ODP, OD_ODP));
	for (i = 0; i < OD_ITERS; i++) {
		struct odp_recv_wr rwr = {
			.wr_id = 100 + i,
			.sge = { (uintptr_t)e.dst, LEN, e.kdst },
		};
		struct odp_send_wr wr = od_wr(ODP_WR_SEND, i, e.ksrc, e.src,
					      LEN - i, 0, NULL);
		struct odp_wc wc;

		CHECK_OK(od_dontneed(e.src, LEN));
		CHECK_OK(od_dontneed(e.dst, LEN));
		od_fill(e.src, LEN - i, i);
		CHECK_OK(od_post_recv(e.fd, e.qb, &rwr, 1));
		CHECK_OK(od_post_send(e.fd, e.qa, &wr, 1));
		CHECK_OK(od_wait(e.fd, e.qa, &wc, 1));
		CHECK_EQ(wc.status, ODP_WC_SUCCESS);
		CHECK_EQ(wc.opcode, ODP_WC_SEND);
		CHECK_OK(od_wait(e.fd, e.qb, &wc, 1));
		CHECK_EQ(wc.status, ODP_WC_SUCCESS);
		CHECK_EQ(wc.opcode, ODP_WC_RECV);
		CHECK_EQ(wc.wr_id, 100 + i);
		CHECK_EQ(wc.byte_len, LEN - i);
		CHECK_EQ(wc.src_qpn, e.qa);
		CHECK_PATTERN(e.dst, LEN - i, i);
	}
	return KTAP_PASS;
}

/* Proves: RDMA WRITE puts the local data into the remote MR, each time. */
static int case_rdma_write(void)
{
	struct od_env e;
	int i;

	CHECK_OK(od_env_init(&e, LEN, OD_ODP, OD_ODP));
	for (i = 0; i < OD_ITERS; i++) {
		CHECK_OK(od_dontneed(e.src, LEN));
		CHECK_OK(od_dontneed(e.dst, LEN));
		od_fill(e.src, LEN, i);
		CHECK_OK(od_rdma(e.fd, e.qa, ODP_WR_RDMA_WRITE, e.ksrc, e.src,
				 LEN, e.kdst, e.dst));
		CHECK_PATTERN(e.dst, LEN, i);
	}
	return KTAP_PASS;
}

/* Proves: RDMA READ brings the remote data into the local MR, each time. */
static int case_rdma_read(void)
{
	struct od_env e;
	int i, o;

	CHECK_OK(od_env_init(&e, LEN, OD_ODP, OD_ODP));
	for (i = 0; i < OD_ITERS; i++) {
		CHECK_OK(od_dontneed(e.src, LEN));
		CHECK_OK(od_dontneed(e.dst, LEN));
		od_fill(e.src, LEN, i);
		/* At an odd offset and length too. */
		o = i & 7;
		CHECK_OK(od_rdma(e.fd, e.qa, ODP_WR_RDMA_READ, e.kdst,
				 e.dst + o, LEN - 2 * o, e.ksrc, e.src + o));
		CHECK(!memcmp(e.dst + o, e.src + o, LEN - 2 * o),
		      "iteration %d: read data differs", i);
		CHECK(!e.dst[0] || !o, "byte before the read was written");
	}
	return KTAP_PASS;
}

/* Proves: CMP_AND_SWP returns the old value and swaps only on a match. */
static int case_atomic_cas(void)
{
	uint64_t *word, *res;
	struct od_env e;
	int i;

	CHECK_OK(od_env_init(&e, LEN, OD_ODP, OD_ODP));
	res = (uint64_t *)e.src;
	for (i = 0; i < OD_ITERS; i++) {
		word = (uint64_t *)(e.dst + (i % 16) * OD_PAGE) + (i & 7);
		CHECK_OK(od_dontneed(e.src, LEN));
		CHECK_OK(od_dontneed(e.dst, LEN));
		*word = 1000 + i;
		CHECK_OK(od_atomic(e.fd, e.qa, ODP_WR_ATOMIC_CMP_AND_SWP,
				   e.ksrc, res, e.kdst, word, 1000 + i,
				   ~(uint64_t)i));
		CHECK_EQ(*res, 1000 + i);
		CHECK_EQ(*word, ~(uint64_t)i);
		/* The compare fails now: nothing changes. */
		CHECK_OK(od_atomic(e.fd, e.qa, ODP_WR_ATOMIC_CMP_AND_SWP,
				   e.ksrc, res, e.kdst, word, 1000 + i, 5));
		CHECK_EQ(*res, ~(uint64_t)i);
		CHECK_EQ(*word, ~(uint64_t)i);
	}
	return KTAP_PASS;
}

/* Proves: FETCH_AND_ADD returns the old value and adds, each time. */
static int case_atomic_faa(void)
{
	uint64_t *word, *res;
	struct od_env e;
	int i;

	CHECK_OK(od_env_init(&e, LEN, OD_ODP, OD_ODP));
	res = (uint64_t *)(e.src + OD_PAGE);
	for (i = 0; i < OD_ITERS; i++) {
		word = (uint64_t *)(e.dst + (i % 16) * OD_PAGE) + (i & 7);
		CHECK_OK(od_dontneed(e.src, LEN));
		CHECK_OK(od_dontneed(e.dst, LEN));
		*word = 7ULL * i;
		CHECK_OK(od_atomic(e.fd, e.qa, ODP_WR_ATOMIC_FETCH_AND_ADD,
				   e.ksrc, res, e.kdst, word, 3, 0));
		CHECK_EQ(*res, 7ULL * i);
		CHECK_OK(od_atomic(e.fd, e.qa, ODP_WR_ATOMIC_FETCH_AND_ADD,
				   e.ksrc, res, e.kdst, word, -1ULL, 0));
		CHECK_EQ(*res, 7ULL * i + 3);
		CHECK_EQ(*word, 7ULL * i + 2);
	}
	return KTAP_PASS;
}

/*
 * Proves: ODP and pinned MRs mix, both directions; only the ODP side is
 * dropped between iterations (a pinned MR would keep its old pages).
 */
static int case_mixed_odp_pinned(void)
{
	struct od_env e;
	int i;

	CHECK_OK(od_env_init(&e, LEN, OD_ALL, OD_ODP));
	for (i = 0; i < OD_ITERS; i++) {
		CHECK_OK(od_dontneed(e.dst, LEN));
		od_fill(e.src, LEN, i);
		/* pinned -> ODP */
		CHECK_OK(od_rdma(e.fd, e.qa, ODP_WR_RDMA_WRITE, e.ksrc, e.src,
				 LEN, e.kdst, e.dst));
		CHECK_PATTERN(e.dst, LEN, i);
		/* ODP -> pinned */
		od_fill(e.dst, LEN, i + 1000);
		CHECK_OK(od_rdma(e.fd, e.qa, ODP_WR_RDMA_READ, e.ksrc, e.src,
				 LEN, e.kdst, e.dst));
		CHECK_PATTERN(e.src, LEN, i + 1000);
	}
	return KTAP_PASS;
}

/*
 * Proves: why ODP exists: after MADV_DONTNEED a pinned MR keeps the old
 * pages, so the NIC reads what the process no longer sees.
 */
static int case_pinned_keeps_stale_pages(void)
{
	uint8_t *local;
	struct od_env e;
	uint32_t kl;

	CHECK_OK(od_env_init(&e, LEN, OD_ALL, OD_ALL));
	local = od_map(LEN);
	CHECK(local, "mmap");
	CHECK_OK(od_reg(e.fd, local, LEN, OD_ODP, &kl));
	od_fill(e.src, LEN, 1);
	CHECK_OK(od_dontneed(e.src, LEN));
	od_fill(e.src, LEN, 2);
	CHECK_OK(od_rdma(e.fd, e.qa, ODP_WR_RDMA_READ, kl, local, LEN,
			 e.ksrc, e.src));
	/* The NIC still sees generation 1; the CPU sees generation 2. */
	CHECK_PATTERN(local, LEN, 1);
	CHECK_PATTERN(e.src, LEN, 2);
	return KTAP_PASS;
}

/*
 * Proves: implicit ODP MRs (the whole address space) carry SEND, WRITE,
 * READ and atomics, each iteration after MADV_DONTNEED.
 */
static int case_implicit_traffic(void)
{
	struct od_env e;
	uint32_t key;
	int i;

	CHECK_OK(od_env_init(&e, LEN, OD_ODP, OD_ODP));
	CHECK_OK(od_reg_implicit(e.fd, &key));
	for (i = 0; i < OD_ITERS; i++) {
		struct odp_recv_wr rwr = {
			.wr_id = i, .sge = { (uintptr_t)e.dst, LEN, key },
		};
		struct odp_send_wr wr = od_wr(ODP_WR_SEND, i, key, e.src,
					      LEN, 0, NULL);
		/* The implicit MR covers the stack too. */
		uint64_t res[2] = { 0, 0 }, keep;
		struct odp_wc wc;

		CHECK_OK(od_dontneed(e.src, LEN));
		CHECK_OK(od_dontneed(e.dst, LEN));
		od_fill(e.src, LEN, i);
		switch (i % 4) {
		case 0:
			CHECK_OK(od_post_recv(e.fd, e.qb, &rwr, 1));
			CHECK_OK(od_post_send(e.fd, e.qa, &wr, 1));
			CHECK_OK(od_wait(e.fd, e.qa, &wc, 1));
			CHECK_EQ(wc.status, ODP_WC_SUCCESS);
			CHECK_OK(od_wait(e.fd, e.qb, &wc, 1));
			CHECK_EQ(wc.status, ODP_WC_SUCCESS);
			break;
		case 1:
			CHECK_OK(od_rdma(e.fd, e.qa, ODP_WR_RDMA_WRITE, key,
					 e.src, LEN, key, e.dst));
			break;
		case 2:
			CHECK_OK(od_rdma(e.fd, e.qa, ODP_WR_RDMA_READ, key,
					 e.dst, LEN, key, e.src));
			break;
		default:
			memcpy(e.dst, e.src, LEN);
			memcpy(&keep, e.dst + 8, 8);
			*(uint64_t *)(e.dst + 8) = 40;
			CHECK_OK(od_atomic(e.fd, e.qa,
					   ODP_WR_ATOMIC_FETCH_AND_ADD, key,
					   res + 1, key, e.dst + 8, 2, 0));
			CHECK_EQ(res[1], 40);
			CHECK_EQ(*(uint64_t *)(e.dst + 8), 42);
			memcpy(e.dst + 8, &keep, 8);
			break;
		}
		CHECK_PATTERN(e.dst, LEN, i);
	}
	return KTAP_PASS;
}

/* One iteration's WRITE and READ over a 2 MiB buffer. */
static int od_huge_round(struct od_env *e, uint8_t *buf, uint32_t kbuf,
			 int i)
{
	CHECK_OK(od_dontneed(buf, 2 * OD_MIB));
	od_fill(e->src, LEN, i);
	CHECK_OK(od_rdma(e->fd, e->qa, ODP_WR_RDMA_WRITE, e->ksrc, e->src,
			 LEN, kbuf, buf + OD_MIB));
	CHECK_PATTERN(buf + OD_MIB, LEN, i);
	od_fill(buf + (i % 8) * 4 * LEN, LEN, i + 1);
	CHECK_OK(od_rdma(e->fd, e->qa, ODP_WR_RDMA_READ, e->kdst, e->dst, LEN,
			 kbuf, buf + (i % 8) * 4 * LEN));
	CHECK_PATTERN(e->dst, LEN, i + 1);
	return KTAP_PASS;
}

#define RACE_QPS	8
#define RACE_CHILDREN	64

/*
 * Proves: engine workers that fault the same new implicit child at once
 * all succeed: a worker never finds a child whose window is not there
 * yet (each of RACE_QPS QPs writes into its own page of each of
 * RACE_CHILDREN fresh 1 GiB children at the same time).
 */
static int case_implicit_first_touch_race(void)
{
	uint32_t key, qa[RACE_QPS], qb[RACE_QPS];
	uint8_t src[64], *area;
	struct odp_wc wc;
	int fd, c, q;

	fd = od_open();
	CHECK(fd >= 0, "no odp_demo device");
	CHECK_OK(od_reg_implicit(fd, &key));
	for (q = 0; q < RACE_QPS; q++)
		CHECK_OK(od_loopback(fd, &qa[q], &qb[q]));
	area = mmap(NULL, (RACE_CHILDREN + 1) * OD_GIB,
		    PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	CHECK(area != MAP_FAILED, "mmap: %s", strerror(errno));
	area = (uint8_t *)(((uintptr_t)area + OD_GIB - 1) & ~(OD_GIB - 1));
	od_fill(src, sizeof(src), 7);
	for (c = 0; c < RACE_CHILDREN; c++) {
		uint8_t *child = area + (size_t)c * OD_GIB;

		for (q = 0; q < RACE_QPS; q++) {
			struct odp_send_wr wr = od_wr(ODP_WR_RDMA_WRITE, q, key,
						      src, sizeof(src), key,
						      child + q * OD_PAGE);

			CHECK_OK(od_post_send(fd, qa[q], &wr, 1));
		}
		for (q = 0; q < RACE_QPS; q++) {
			CHECK_OK(od_wait(fd, qa[q], &wc, 1));
			CHECK(wc.status == ODP_WC_SUCCESS,
			      "child %d, QP %d: status %u", c, q, wc.status);
			CHECK_PATTERN(child + q * OD_PAGE, sizeof(src), 7);
		}
	}
	close(fd);
	return KTAP_PASS;
}

/*
 * Proves: ODP over 2 MiB pages (a hugetlbfs page and a THP) carries data
 * each iteration, and the helper maps such a page with one 2 MiB entry.
 */
static int case_huge_pages(void)
{
	struct odp_pd_query pd;
	uint8_t *huge, *thp;
	struct od_env e;
	uint32_t kh, kt;
	int i;

	CHECK_OK(od_env_init(&e, LEN, OD_ODP, OD_ODP));
	huge = mmap(NULL, 2 * OD_MIB, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	CHECK(huge != MAP_FAILED, "no hugetlb page: %s", strerror(errno));
	thp = mt_map_aligned(2 * OD_MIB, 2 * OD_MIB, 1);
	CHECK(thp, "mmap");
	CHECK_OK(od_reg(e.fd, huge, 2 * OD_MIB, OD_ODP, &kh));
	CHECK_OK(od_reg(e.fd, thp, 2 * OD_MIB, OD_ODP, &kt));
	for (i = 0; i < OD_ITERS / 2; i++) {
		if (od_huge_round(&e, huge, kh, i) ||
		    od_huge_round(&e, thp, kt, i))
			return KTAP_FAIL;
	}
	/* The hugetlb page is mapped by one entry now, not 512. */
	CHECK_OK(od_dontneed(thp, 2 * OD_MIB));
	CHECK_OK(od_dontneed(e.src, LEN));
	CHECK_OK(od_dontneed(e.dst, LEN));
	CHECK_OK(od_pd(e.fd, ODP_PD_MIRROR_ODP, &pd));
	CHECK(pd.stats.entries == 1, "entries %llu, want 1 (2 MiB)",
	      (unsigned long long)pd.stats.entries);
	return KTAP_PASS;
}

/*
 * Proves: a synchronous PREFETCH_WRITE maps everything before it returns:
 * the WRITE after it takes no page fault, each iteration.
 */
static int case_prefetch_sync(void)
{
	struct odp_mr_query q0, q1;
	struct od_env e;
	int i;

	CHECK_OK(od_env_init(&e, LEN, OD_ODP, OD_ODP));
	for (i = 0; i < OD_ITERS; i++) {
		CHECK_OK(od_dontneed(e.dst, LEN));
		CHECK_OK(od_dontneed(e.src, LEN));
		od_fill(e.src, LEN, i);
		CHECK_OK(od_advise(e.fd, ODP_ADVISE_PREFETCH_WRITE,
				   ODP_ADVISE_FLAG_FLUSH, e.kdst, e.dst, LEN));
		CHECK_OK(od_advise(e.fd, ODP_ADVISE_PREFETCH,
				   ODP_ADVISE_FLAG_FLUSH, e.ksrc, e.src, LEN));
		CHECK_OK(od_query(e.fd, e.kdst, &q0));
		CHECK_OK(od_rdma(e.fd, e.qa, ODP_WR_RDMA_WRITE, e.ksrc, e.src,
				 LEN, e.kdst, e.dst));
		CHECK_OK(od_query(e.fd, e.kdst, &q1));
		CHECK_PATTERN(e.dst, LEN, i);
		CHECK(q1.faults == q0.faults,
		      "iteration %d: %llu faults after a sync prefetch", i,
		      (unsigned long long)(q1.faults - q0.faults));
	}
	CHECK(q1.prefetches == OD_ITERS, "prefetches %llu",
	      (unsigned long long)q1.prefetches);
	return KTAP_PASS;
}

/* Proves: asynchronous prefetch is harmless to traffic and gets done. */
static int case_prefetch_async(void)
{
	struct odp_mr_query q;
	struct od_env e;
	int i;

	CHECK_OK(od_env_init(&e, LEN, OD_ODP, OD_ODP));
	for (i = 0; i < OD_ITERS; i++) {
		CHECK_OK(od_dontneed(e.dst, LEN));
		CHECK_OK(od_dontneed(e.src, LEN));
		od_fill(e.src, LEN, i);
		CHECK_OK(od_advise(e.fd, ODP_ADVISE_PREFETCH_WRITE, 0, e.kdst,
				   e.dst, LEN));
		CHECK_OK(od_rdma(e.fd, e.qa, ODP_WR_RDMA_WRITE, e.ksrc, e.src,
				 LEN, e.kdst, e.dst));
		CHECK_PATTERN(e.dst, LEN, i);
	}
	/* Every queued prefetch ran (the engine is a FIFO per worker). */
	for (i = 0; i < 200; i++) {
		CHECK_OK(od_query(e.fd, e.kdst, &q));
		if (q.prefetches == OD_ITERS)
			break;
		usleep(10000);
	}
	CHECK_EQ(q.prefetches, OD_ITERS);
	return KTAP_PASS;
}

/*
 * Proves: PREFETCH_NO_FAULT maps only pages the CPU has: touched pages
 * are read without a fault, untouched ones stay unallocated.
 */
static int case_prefetch_no_fault(void)
{
	struct odp_mr_query q0, q1;
	struct od_env e;
	int i, p;

	CHECK_OK(od_env_init(&e, LEN, OD_ODP, OD_ODP));
	for (i = 0; i < OD_ITERS / 4; i++) {
		CHECK_OK(od_dontneed(e.src, LEN));
		for (p = 0; p < 16; p += 2)
			od_fill(e.src + p * OD_PAGE, OD_PAGE, i + p);
		CHECK_OK(od_advise(e.fd, ODP_ADVISE_PREFETCH_NO_FAULT,
				   ODP_ADVISE_FLAG_FLUSH, e.ksrc, e.src, LEN));
		CHECK_EQ(mt_resident(e.src, LEN), 8);
		CHECK_OK(od_query(e.fd, e.ksrc, &q0));
		for (p = 0; p < 16; p += 2)
			CHECK_OK(od_rdma(e.fd, e.qa, ODP_WR_RDMA_READ, e.kdst,
					 e.dst + p * OD_PAGE, OD_PAGE, e.ksrc,
					 e.src + p * OD_PAGE));
		CHECK_OK(od_query(e.fd, e.ksrc, &q1));
		CHECK(q1.faults == q0.faults, "iteration %d: %llu faults", i,
		      (unsigned long long)(q1.faults - q0.faults));
		for (p = 0; p < 16; p += 2)
			CHECK_PATTERN(e.dst + p * OD_PAGE, OD_PAGE, i + p);
		/* An untouched page still needs a fault. */
		CHECK_OK(od_rdma(e.fd, e.qa, ODP_WR_RDMA_READ, e.kdst, e.dst,
				 OD_PAGE, e.ksrc, e.src + OD_PAGE));
		CHECK_OK(od_query(e.fd, e.ksrc, &q0));
		CHECK(q0.faults == q1.faults + 1, "untouched page: %llu faults",
		      (unsigned long long)(q0.faults - q1.faults));
	}
	return KTAP_PASS;
}

/*
 * Proves: data survives MADV_PAGEOUT to zram under ODP: the NIC reads
 * back what was swapped out, and writes land where the CPU reads.
 */
static int case_pageout_zram(void)
{
	struct od_env e;
	int i;

	if (mt_swap_free_kb() <= 0)
		return ktap_skip_case("no swap");
	CHECK_OK(mt_pin_cpu());
	CHECK_OK(od_env_init(&e, LEN, OD_ODP, OD_ODP));
	for (i = 0; i < 10; i++) {
		od_fill(e.src, LEN, i);
		CHECK_OK(od_rdma(e.fd, e.qa, ODP_WR_RDMA_WRITE, e.ksrc, e.src,
				 LEN, e.kdst, e.dst));
		/* The engine faulted dst on its own CPU: drain that batch. */
		od_drain_lru();
		CHECK_OK(mt_pageout2(e.src, LEN));
		CHECK_OK(mt_pageout2(e.dst, LEN));
		CHECK(mt_resident(e.dst, LEN) == 0, "dst still resident");
		memset(e.src, 0, LEN);
		CHECK_OK(od_rdma(e.fd, e.qa, ODP_WR_RDMA_READ, e.ksrc, e.src,
				 LEN, e.kdst, e.dst));
		CHECK_PATTERN(e.src, LEN, i);
	}
	return KTAP_PASS;
}

static const struct ktap_case cases[] = {
	KTAP_CASE(send_recv),
	KTAP_CASE(rdma_write),
	KTAP_CASE(rdma_read),
	KTAP_CASE(atomic_cas),
	KTAP_CASE(atomic_faa),
	KTAP_CASE(mixed_odp_pinned),
	KTAP_CASE(pinned_keeps_stale_pages),
	KTAP_CASE(implicit_traffic),
	KTAP_CASE(implicit_first_touch_race),
	KTAP_CASE(huge_pages),
	KTAP_CASE(prefetch_sync),
	KTAP_CASE(prefetch_async),
	KTAP_CASE(prefetch_no_fault),
	KTAP_CASE(pageout_zram),
	{ "kernel_not_tainted", case_kernel_not_tainted, 0 },
};

int main(void)
{
	mt_record_taint();
	return ktap_run(cases, ARRAY_SIZE(cases));
}
