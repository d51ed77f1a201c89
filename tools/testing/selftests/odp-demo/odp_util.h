/* SPDX-License-Identifier: GPL-2.0 */
/*
 * odp_util.h - helpers shared by the odp-demo selftests
 *
 * Opening /dev/odp_demo, registering MRs, QPs connected to each other in
 * one PD (loopback) or across two processes, posting work and waiting for
 * its completions, MR and PD counters, patterns.  Helpers that can fail
 * return 0 (or a count) or a negative errno.  The check macros, mappings,
 * mincore, /proc readers and the taint check come from
 * ../mirror_test_util.h.
 */
#ifndef _ODP_UTIL_H
#define _ODP_UTIL_H

#include "mirror_test_util.h"

#include <poll.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/wait.h>

#include <linux/odp_demo.h>

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif
#ifndef MAP_HUGETLB
#define MAP_HUGETLB	0x40000
#endif

#define OD_PAGE		MT_PAGE
#define OD_MIB		(1UL << 20)
#define OD_GIB		(1UL << 30)

/* Rights of an MR every operation may use. */
#define OD_ALL		(ODP_ACCESS_LOCAL_WRITE | ODP_ACCESS_REMOTE_WRITE | \
			 ODP_ACCESS_REMOTE_READ | ODP_ACCESS_REMOTE_ATOMIC)
#define OD_ODP		(OD_ALL | ODP_ACCESS_ON_DEMAND)

/* Iterations of each traffic case, as rdma-core's test_odp.py does. */
#define OD_ITERS	100

/* How long a test waits for a completion the engine owes it. */
#define OD_WAIT_MS	20000

static inline int od_open(void)
{
	int fd = open("/dev/odp_demo", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		int e = errno;

		ktap_diag("cannot open /dev/odp_demo: %s (is odp_demo.ko loaded?)",
			  strerror(e));
		return -e;
	}
	return fd;
}

static inline int od_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

/* Register [addr, addr + len) with @access; the key goes to *@key. */
static inline int od_reg(int fd, const void *addr, uint64_t len,
			 uint32_t access, uint32_t *key)
{
	struct odp_reg_mr r = {
		.addr = (uintptr_t)addr, .length = len, .access = access,
	};
	int ret = od_ioctl(fd, ODP_REG_MR, &r);

	if (!ret && key)
		*key = r.lkey;
	return ret;
}

static inline int od_reg_implicit(int fd, uint32_t *key)
{
	return od_reg(fd, NULL, ODP_IMPLICIT_LENGTH, OD_ODP, key);
}

static inline int od_dereg(int fd, uint32_t key)
{
	return od_ioctl(fd, ODP_DEREG_MR, &key);
}

static inline int od_query(int fd, uint32_t key, struct odp_mr_query *q)
{
	memset(q, 0, sizeof(*q));
	q->lkey = key;
	return od_ioctl(fd, ODP_QUERY_MR, q);
}

static inline int od_pd(int fd, uint32_t mirror, struct odp_pd_query *q)
{
	memset(q, 0, sizeof(*q));
	q->mirror = mirror;
	return od_ioctl(fd, ODP_QUERY_PD, q);
}

static inline int od_qp(int fd, uint32_t sq, uint32_t rq, uint32_t *qpn)
{
	struct odp_create_qp c = { .sq_depth = sq, .rq_depth = rq };
	int ret = od_ioctl(fd, ODP_CREATE_QP, &c);

	if (!ret)
		*qpn = c.qpn;
	return ret;
}

static inline int od_connect(int fd, uint32_t qpn, uint32_t remote)
{
	struct odp_connect_qp c = { .qpn = qpn, .remote_qpn = remote };

	return od_ioctl(fd, ODP_CONNECT_QP, &c);
}

/* Two QPs of one PD connected to each other; -errno on failure. */
static inline int od_loopback(int fd, uint32_t *a, uint32_t *b)
{
	int ret = od_qp(fd, 64, 64, a);

	if (!ret)
		ret = od_qp(fd, 64, 64, b);
	if (!ret)
		ret = od_connect(fd, *a, *b);
	if (!ret)
		ret = od_connect(fd, *b, *a);
	return ret;
}

static inline int od_post_send(int fd, uint32_t qpn,
			       const struct odp_send_wr *wrs, uint32_t n)
{
	struct odp_post p = { .qpn = qpn, .nr = n, .wrs = (uintptr_t)wrs };

	return od_ioctl(fd, ODP_POST_SEND, &p);
}

static inline int od_post_recv(int fd, uint32_t qpn,
			       const struct odp_recv_wr *wrs, uint32_t n)
{
	struct odp_post p = { .qpn = qpn, .nr = n, .wrs = (uintptr_t)wrs };

	return od_ioctl(fd, ODP_POST_RECV, &p);
}

/* Completions available now or within @ms: their count or -errno. */
static inline int od_poll(int fd, uint32_t qpn, struct odp_wc *wc,
			  uint32_t n, uint32_t ms)
{
	struct odp_poll_cq p = {
		.qpn = qpn, .nr = n, .wcs = (uintptr_t)wc, .timeout_ms = ms,
	};
	int ret = od_ioctl(fd, ODP_POLL_CQ, &p);

	return ret ? ret : (int)p.count;
}

/* Exactly @n completions within OD_WAIT_MS; -ETIMEDOUT otherwise. */
static inline int od_wait(int fd, uint32_t qpn, struct odp_wc *wc, uint32_t n)
{
	double end = ktap_now() + OD_WAIT_MS / 1000.0;
	uint32_t got = 0;

	while (got < n) {
		int r = od_poll(fd, qpn, wc + got, n - got, 1000);

		if (r < 0)
			return r;
		got += r;
		if (got < n && ktap_now() > end)
			return -ETIMEDOUT;
	}
	return 0;
}

static inline struct odp_send_wr od_wr(uint32_t opcode, uint64_t wr_id,
				       uint32_t lkey, const void *laddr,
				       uint32_t len, uint32_t rkey,
				       const void *raddr)
{
	struct odp_send_wr wr = {
		.wr_id = wr_id, .opcode = opcode,
		.sge = { .addr = (uintptr_t)laddr, .length = len, .lkey = lkey },
		.remote_addr = (uintptr_t)raddr, .rkey = rkey,
	};

	return wr;
}

/*
 * Post one send-queue request on @qpn of @fd and wait for its completion;
 * returns the completion status (>= 0) or -errno.
 */
static inline int od_do(int fd, uint32_t qpn, const struct odp_send_wr *wr)
{
	struct odp_wc wc;
	int ret = od_post_send(fd, qpn, wr, 1);

	if (!ret)
		ret = od_wait(fd, qpn, &wc, 1);
	if (ret)
		return ret;
	if (wc.wr_id != wr->wr_id) {
		ktap_diag("completion of wr_id %llu, want %llu",
			  (unsigned long long)wc.wr_id,
			  (unsigned long long)wr->wr_id);
		return -EPROTO;
	}
	return wc.status;
}

static inline int od_rdma(int fd, uint32_t qpn, uint32_t opcode,
			  uint32_t lkey, const void *laddr, uint32_t len,
			  uint32_t rkey, const void *raddr)
{
	struct odp_send_wr wr = od_wr(opcode, 1, lkey, laddr, len, rkey,
				      raddr);

	return od_do(fd, qpn, &wr);
}

/* An atomic; the original value lands at @res (8 bytes of lkey's MR). */
static inline int od_atomic(int fd, uint32_t qpn, uint32_t opcode,
			    uint32_t lkey, uint64_t *res, uint32_t rkey,
			    const void *raddr, uint64_t cmp_add, uint64_t swap)
{
	struct odp_send_wr wr = od_wr(opcode, 2, lkey, res, 8, rkey, raddr);

	wr.compare_add = cmp_add;
	wr.swap = swap;
	return od_do(fd, qpn, &wr);
}

static inline int od_advise(int fd, uint32_t advice, uint32_t flags,
			    uint32_t lkey, const void *addr, uint32_t len)
{
	struct odp_sge sge = {
		.addr = (uintptr_t)addr, .length = len, .lkey = lkey,
	};
	struct odp_advise_mr a = {
		.advice = advice, .flags = flags, .nr_sge = 1,
		.sges = (uintptr_t)&sge,
	};

	return od_ioctl(fd, ODP_ADVISE_MR, &a);
}

/* Anonymous private memory, no THP, or NULL. */
static inline void *od_map(size_t len)
{
	return mt_map_aligned(len, OD_PAGE, 0);
}

/* Byte @i of pattern @seed. */
static inline uint8_t od_byte(size_t i, unsigned int seed)
{
	return (uint8_t)((i * 131 + (i >> 12) * 7 + seed * 29 + 1) ^ (i >> 9));
}

static inline void od_fill(void *p, size_t len, unsigned int seed)
{
	uint8_t *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		b[i] = od_byte(i, seed);
}

/* The first byte that differs from pattern @seed, or -1. */
static inline long od_check(const void *p, size_t len, unsigned int seed)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i] != od_byte(i, seed))
			return i;
	return -1;
}

#define CHECK_PATTERN(p, len, seed) do {				\
	long __at = od_check(p, len, seed);				\
	if (__at >= 0) {						\
		ktap_diag("%s:%d: byte %ld of %s is %#x, want %#x",	\
			  __func__, __LINE__, __at, #p,			\
			  ((const uint8_t *)(p))[__at],			\
			  od_byte(__at, seed));				\
		return KTAP_FAIL;					\
	}								\
} while (0)

/* A call returning 0 or -errno that must succeed. */
#define CHECK_OK(call) do {						\
	int __r = (call);						\
	if (__r) {							\
		ktap_diag("%s:%d: %s: %s (%d)", __func__, __LINE__,	\
			  #call, __r < 0 ? strerror(-__r) : "status", __r); \
		return KTAP_FAIL;					\
	}								\
} while (0)

/* A pthread call that must succeed (they return the error). */
#ifndef CHECK_PT
#define CHECK_PT(call) do {						\
	int __e = (call);						\
	if (__e) {							\
		ktap_diag("%s:%d: %s: %s", __func__, __LINE__, #call,	\
			  strerror(__e));				\
		return KTAP_FAIL;					\
	}								\
} while (0)
#endif

static inline int od_dontneed(void *p, size_t len)
{
	return madvise(p, len, MADV_DONTNEED) ? -errno : 0;
}

/*
 * Pages the NIC engine faulted in wait in the LRU batch of the CPU its
 * worker ran on, where MADV_PAGEOUT (which drains only its own CPU's)
 * cannot take them; compaction drains every CPU's batch first.
 */
static inline void od_drain_lru(void)
{
	mt_write_str("/proc/sys/vm/compact_memory", "1");
}

/* Pipes between a parent and a child test process. */
struct od_chan {
	int up[2];	/* child -> parent */
	int down[2];	/* parent -> child */
};

static inline int od_chan_init(struct od_chan *c)
{
	if (pipe(c->up) || pipe(c->down))
		return -errno;
	return 0;
}

static inline int od_send(int fd, const void *buf, size_t len)
{
	return write(fd, buf, len) == (ssize_t)len ? 0 : -EIO;
}

/* Read @len bytes within OD_WAIT_MS, or -ETIMEDOUT / -EIO. */
static inline int od_recv(int fd, void *buf, size_t len)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t got = 0;

	while (got < len) {
		ssize_t n;

		if (poll(&p, 1, OD_WAIT_MS) != 1)
			return -ETIMEDOUT;
		n = read(fd, (char *)buf + got, len - got);
		if (n <= 0)
			return -EIO;
		got += n;
	}
	return 0;
}

#endif /* _ODP_UTIL_H */
