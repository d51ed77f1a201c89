// SPDX-License-Identifier: GPL-2.0
/*
 * odp_lifetime.c - the NIC engine against the life of processes and MRs
 *
 * Deregistration, close and process exit with work in flight; two
 * processes; fork; NIC atomics racing CPU stores to the same page;
 * implicit ODP over several 1 GiB children, created on first fault and
 * freed when empty; invalidations racing faults; the per-MR counters.
 */
#include "odp_util.h"

#define LEN	(16 * OD_PAGE)
#define BIG	(1 * OD_MIB)

/* Two MRs and two connected QPs of one PD. */
struct od_pair {
	int fd;
	uint32_t qa, qb;
	uint8_t *a, *b;
	uint32_t ka, kb;
	size_t len;
};

static int od_pair_init(struct od_pair *p, size_t len)
{
	int ret;

	p->len = len;
	p->fd = od_open();
	if (p->fd < 0)
		return p->fd;
	p->a = od_map(len);
	p->b = od_map(len);
	if (!p->a || !p->b)
		return -ENOMEM;
	ret = od_reg(p->fd, p->a, len, OD_ODP, &p->ka);
	if (!ret)
		ret = od_reg(p->fd, p->b, len, OD_ODP, &p->kb);
	if (!ret)
		ret = od_loopback(p->fd, &p->qa, &p->qb);
	return ret;
}

/* Post @n WRITEs of all of a into b; 0 or -errno. */
static int od_post_writes(struct od_pair *p, int n)
{
	struct odp_send_wr wr[64];
	int i;

	for (i = 0; i < n; i++)
		wr[i] = od_wr(ODP_WR_RDMA_WRITE, i, p->ka, p->a, p->len, p->kb,
			      p->b);
	return od_post_send(p->fd, p->qa, wr, n);
}

/*
 * Proves: deregistration waits for the NIC's work on the MR: once it
 * returns, nothing the NIC still executes writes that memory, and the
 * rest of the requests fail (REM_ACCESS_ERR, then flushes).
 */
static int case_dereg_in_flight(void)
{
	struct odp_wc wc[32];
	struct od_pair p;
	int i, ok = 0, bad = 0;

	CHECK_OK(od_pair_init(&p, BIG));
	od_fill(p.a, BIG, 1);
	CHECK_OK(od_post_writes(&p, 32));
	usleep(2000);
	CHECK_OK(od_dereg(p.fd, p.kb));
	memset(p.b, 0x5c, BIG);
	CHECK_OK(od_wait(p.fd, p.qa, wc, 32));
	for (i = 0; i < 32; i++) {
		if (wc[i].status == ODP_WC_SUCCESS) {
			CHECK(!bad, "success after an error");
			ok++;
		} else {
			CHECK(wc[i].status == ODP_WC_REM_ACCESS_ERR ||
			      wc[i].status == ODP_WC_WR_FLUSH_ERR,
			      "status %u", wc[i].status);
			bad++;
		}
	}
	ktap_diag("%d writes done before deregistration, %d failed", ok, bad);
	CHECK(bad > 0, "every write ran before deregistration");
	for (i = 0; i < (int)BIG; i++)
		CHECK(p.b[i] == 0x5c, "byte %d written after deregistration", i);
	return KTAP_PASS;
}

/*
 * Proves: closing the file with work queued waits for the NIC: after
 * close() returns, the memory it was writing stays as the CPU leaves it.
 */
static int case_close_in_flight(void)
{
	struct od_pair p;
	int i;

	CHECK_OK(od_pair_init(&p, BIG));
	od_fill(p.a, BIG, 2);
	CHECK_OK(od_post_writes(&p, 32));
	usleep(2000);
	CHECK_SYS(close(p.fd));
	memset(p.b, 0x3a, BIG);
	usleep(100000);
	for (i = 0; i < (int)BIG; i++)
		CHECK(p.b[i] == 0x3a, "byte %d written after close", i);
	return KTAP_PASS;
}

/*
 * Proves: when the process that owns a PD exits with work queued, the
 * NIC completes the rest with WR_FLUSH_ERR (its mm is gone); a child
 * still holding the file sees every completion.
 */
static int case_exit_in_flight(void)
{
	struct od_chan ch;
	struct odp_wc wc[64];
	struct od_pair p;
	int i, flushed = 0, status;
	pid_t owner;
	char c;

	CHECK_OK(od_chan_init(&ch));
	owner = fork();
	CHECK_SYS(owner);
	if (!owner) {
		pid_t keeper;

		if (od_pair_init(&p, BIG))
			_exit(1);
		od_fill(p.a, BIG, 3);
		keeper = fork();
		if (keeper < 0)
			_exit(1);
		if (!keeper) {
			/* Holds the file; polls once the owner has gone. */
			if (od_recv(ch.down[0], &c, 1))
				_exit(2);
			if (od_wait(p.fd, p.qa, wc, 64))
				_exit(3);
			for (i = 0; i < 64; i++)
				flushed += wc[i].status == ODP_WC_WR_FLUSH_ERR;
			if (od_send(ch.up[1], &flushed, sizeof(flushed)))
				_exit(4);
			_exit(0);
		}
		if (od_post_writes(&p, 32) || od_post_writes(&p, 32))
			_exit(5);
		_exit(0);	/* with 64 writes queued */
	}
	CHECK_SYS(waitpid(owner, &status, 0));
	CHECK(WIFEXITED(status) && !WEXITSTATUS(status), "owner %#x", status);
	CHECK_OK(od_send(ch.down[1], "x", 1));
	CHECK_OK(od_recv(ch.up[0], &flushed, sizeof(flushed)));
	ktap_diag("%d of 64 writes flushed after the owner exited", flushed);
	CHECK(flushed > 0, "nothing was flushed");
	while (wait(&status) > 0)
		CHECK(WIFEXITED(status) && !WEXITSTATUS(status),
		      "keeper %#x", status);
	return KTAP_PASS;
}

/* What the server of case_two_processes tells its client. */
struct od_ad {
	uint32_t qpn, rkey;
	uint64_t addr;
};

static int od_server(struct od_chan *ch)
{
	struct od_ad ad, peer;
	uint8_t *buf = od_map(LEN);
	uint32_t key, qpn;
	int fd = od_open(), i;
	char c;

	if (fd < 0 || !buf || od_reg(fd, buf, LEN, OD_ODP, &key) ||
	    od_qp(fd, 8, 8, &qpn))
		return 1;
	ad = (struct od_ad){ qpn, key, (uintptr_t)buf };
	if (od_send(ch->up[1], &ad, sizeof(ad)) ||
	    od_recv(ch->down[0], &peer, sizeof(peer)) ||
	    od_connect(fd, qpn, peer.qpn) || od_send(ch->up[1], "c", 1))
		return 2;
	for (i = 0; i < 20; i++) {
		struct odp_recv_wr rwr = {
			.wr_id = i, .sge = { (uintptr_t)buf, LEN, key },
		};
		struct odp_wc wc;

		/*
		 * A turn: check the client's last WRITE, drop the pages,
		 * offer a receive, let the client send.
		 */
		if (od_recv(ch->down[0], &c, 1) ||
		    (i && od_check(buf, LEN, i) >= 0) || od_dontneed(buf, LEN) ||
		    od_post_recv(fd, qpn, &rwr, 1) ||
		    od_send(ch->up[1], "r", 1))
			return 3;
		if (od_wait(fd, qpn, &wc, 1) || wc.status ||
		    od_check(buf, LEN, i) >= 0)
			return 4;
		od_fill(buf, LEN, i + 100);
		if (od_send(ch->up[1], "d", 1))
			return 5;
	}
	/* The client's last WRITE, then it lets the server go. */
	if (od_recv(ch->down[0], &c, 1) || od_check(buf, LEN, i) >= 0)
		return 6;
	return 0;
}

/*
 * Proves: QPs of two processes exchange keys through a pipe and carry
 * SEND, RDMA READ and WRITE between their address spaces, after
 * MADV_DONTNEED on both sides.
 */
static int case_two_processes(void)
{
	struct od_ad ad, me;
	struct od_chan ch;
	uint32_t key, qpn;
	int fd, i, status;
	uint8_t *buf;
	pid_t srv;
	char c;

	CHECK_OK(od_chan_init(&ch));
	srv = fork();
	CHECK_SYS(srv);
	if (!srv)
		_exit(od_server(&ch));
	fd = od_open();
	buf = od_map(LEN);
	CHECK(fd >= 0 && buf, "setup");
	CHECK_OK(od_reg(fd, buf, LEN, OD_ODP, &key));
	CHECK_OK(od_qp(fd, 8, 8, &qpn));
	CHECK_OK(od_recv(ch.up[0], &ad, sizeof(ad)));
	me = (struct od_ad){ qpn, key, (uintptr_t)buf };
	CHECK_OK(od_connect(fd, qpn, ad.qpn));
	CHECK_OK(od_send(ch.down[1], &me, sizeof(me)));
	CHECK_OK(od_recv(ch.up[0], &c, 1));
	for (i = 0; i < 20; i++) {
		struct odp_send_wr wr = od_wr(ODP_WR_SEND, i, key, buf, LEN, 0,
					      NULL);

		CHECK_OK(od_dontneed(buf, LEN));
		od_fill(buf, LEN, i);
		CHECK_OK(od_send(ch.down[1], "t", 1));
		CHECK_OK(od_recv(ch.up[0], &c, 1));
		CHECK_EQ(od_do(fd, qpn, &wr), ODP_WC_SUCCESS);
		CHECK_OK(od_recv(ch.up[0], &c, 1));
		/* The server wrote pattern i + 100: read it back. */
		CHECK_OK(od_dontneed(buf, LEN));
		CHECK_OK(od_rdma(fd, qpn, ODP_WR_RDMA_READ, key, buf, LEN,
				 ad.rkey, (void *)(uintptr_t)ad.addr));
		CHECK_PATTERN(buf, LEN, i + 100);
		/* Write over it: the server checks on its next turn. */
		od_fill(buf, LEN, i + 1);
		CHECK_OK(od_rdma(fd, qpn, ODP_WR_RDMA_WRITE, key, buf, LEN,
				 ad.rkey, (void *)(uintptr_t)ad.addr));
	}
	CHECK_OK(od_send(ch.down[1], "e", 1));
	CHECK_SYS(waitpid(srv, &status, 0));
	CHECK(WIFEXITED(status) && !WEXITSTATUS(status), "server %#x", status);
	return KTAP_PASS;
}

/*
 * Proves: after fork, the NIC follows the parent's copy of an ODP MR:
 * the child's writes (which break COW) are not seen through it, the
 * NIC's writes land in the parent's pages only.
 */
static int case_fork_cow(void)
{
	struct od_chan ch;
	struct od_pair p;
	int status;
	pid_t pid;
	char c;

	CHECK_OK(od_chan_init(&ch));
	CHECK_OK(od_pair_init(&p, LEN));
	od_fill(p.a, LEN, 7);
	/* The NIC maps a and b writable. */
	CHECK_OK(od_rdma(p.fd, p.qa, ODP_WR_RDMA_WRITE, p.ka, p.a, LEN, p.kb,
			 p.b));
	pid = fork();
	CHECK_SYS(pid);
	if (!pid) {
		od_fill(p.a, LEN, 8);
		if (od_send(ch.up[1], "w", 1) || od_recv(ch.down[0], &c, 1))
			_exit(1);
		/* The NIC's write went to the parent. */
		_exit(od_check(p.b, LEN, 7) >= 0 || od_check(p.a, LEN, 8) >= 0);
	}
	CHECK_OK(od_recv(ch.up[0], &c, 1));
	CHECK_PATTERN(p.a, LEN, 7);
	od_fill(p.a, LEN, 9);
	CHECK_OK(od_rdma(p.fd, p.qa, ODP_WR_RDMA_WRITE, p.ka, p.a, LEN, p.kb,
			 p.b));
	CHECK_PATTERN(p.b, LEN, 9);
	CHECK_OK(od_send(ch.down[1], "x", 1));
	CHECK_SYS(waitpid(pid, &status, 0));
	CHECK(WIFEXITED(status) && !WEXITSTATUS(status), "child %#x", status);
	return KTAP_PASS;
}

struct od_racer {
	volatile uint64_t *page;
	atomic_int stop;
	unsigned long stores;
};

static void *od_cpu_stores(void *arg)
{
	struct od_racer *r = arg;
	uint64_t v = 0;

	while (!atomic_load(&r->stop)) {
		unsigned int w;

		v++;
		for (w = 1; w < OD_PAGE / 8; w++)
			r->page[w] = v;
		r->stores++;
	}
	return NULL;
}

/*
 * Proves: NIC atomics on one word race CPU stores to the other words of
 * its page and NIC atomics of a second QP: no update is lost on either
 * side (the NIC's is one compare-and-exchange on the page).
 */
static int case_atomics_race_cpu(void)
{
	struct odp_send_wr wr[2][32];
	struct od_racer r = { 0 };
	struct od_pair p;
	uint32_t q2, q3;
	pthread_t t;
	int i, j, k;

	CHECK_OK(od_pair_init(&p, LEN));
	CHECK_OK(od_qp(p.fd, 64, 4, &q2));
	CHECK_OK(od_qp(p.fd, 64, 4, &q3));
	CHECK_OK(od_connect(p.fd, q2, q3));
	CHECK_OK(od_connect(p.fd, q3, q2));
	r.page = (volatile uint64_t *)p.b;
	r.page[0] = 0;
	CHECK_PT(pthread_create(&t, NULL, od_cpu_stores, &r));
	for (i = 0; i < 16; i++) {
		struct odp_wc wc[32];

		for (k = 0; k < 2; k++)
			for (j = 0; j < 32; j++) {
				wr[k][j] = od_wr(ODP_WR_ATOMIC_FETCH_AND_ADD,
						 j, p.ka, p.a + 8 * j + 256 * k,
						 8, p.kb, p.b);
				wr[k][j].compare_add = 1 + k;
			}
		CHECK_OK(od_post_send(p.fd, p.qa, wr[0], 32));
		CHECK_OK(od_post_send(p.fd, q2, wr[1], 32));
		CHECK_OK(od_wait(p.fd, p.qa, wc, 32));
		for (j = 0; j < 32; j++)
			CHECK_EQ(wc[j].status, 0);
		CHECK_OK(od_wait(p.fd, q2, wc, 32));
		for (j = 0; j < 32; j++)
			CHECK_EQ(wc[j].status, 0);
	}
	atomic_store(&r.stop, 1);
	CHECK_PT(pthread_join(t, NULL));
	CHECK_EQ(r.page[0], 16 * 32 * 3);
	for (j = 1; j < (int)(OD_PAGE / 8); j++)
		CHECK_EQ(r.page[j], r.stores);
	ktap_diag("%lu CPU passes over the page during 1024 NIC atomics",
		  r.stores);
	return KTAP_PASS;
}

/*
 * Proves: an implicit ODP MR reaches sparse memory in several 1 GiB
 * children, each made on the NIC's first fault there, and frees them
 * once invalidations emptied them; only the touched pages are used.
 */
static int case_implicit_children(void)
{
	struct odp_mr_query q;
	uint8_t *src, *area;
	struct od_pair p;
	uint32_t ki;
	int g, i;

	CHECK_OK(od_pair_init(&p, LEN));
	area = mmap(NULL, 5 * OD_GIB, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	CHECK(area != MAP_FAILED, "mmap: %s", strerror(errno));
	/* 4 KiB pages: a THP would map 2 MiB at each fault. */
	CHECK_SYS(madvise(area, 5 * OD_GIB, MADV_NOHUGEPAGE));
	area = (uint8_t *)(((uintptr_t)area + OD_GIB - 1) & ~(OD_GIB - 1));
	src = p.a;
	CHECK_OK(od_reg_implicit(p.fd, &ki));
	for (g = 0; g < 4; g++) {
		od_fill(src, OD_PAGE, g);
		CHECK_OK(od_rdma(p.fd, p.qa, ODP_WR_RDMA_WRITE, p.ka, src,
				 OD_PAGE, ki, area + g * OD_GIB + g * OD_PAGE));
	}
	for (g = 0; g < 4; g++)
		CHECK_PATTERN(area + g * OD_GIB + g * OD_PAGE, OD_PAGE, g);
	CHECK_OK(od_query(p.fd, ki, &q));
	CHECK_EQ(q.children, 4);
	CHECK_EQ(q.children_created, 4);
	CHECK_EQ(q.mtt_pages, 4);
	CHECK_EQ(q.faults, 4);
	CHECK_EQ(mt_resident(area, 4 * OD_GIB), 4);
	for (g = 0; g < 4; g++)
		CHECK_OK(od_dontneed(area + g * OD_GIB, OD_GIB));
	for (i = 0; i < 500; i++) {
		CHECK_OK(od_query(p.fd, ki, &q));
		if (!q.children)
			break;
		usleep(10000);
	}
	CHECK_EQ(q.children, 0);
	CHECK_EQ(q.children_freed, 4);
	CHECK_EQ(q.mtt_pages, 0);
	/* A child comes back on the next fault. */
	CHECK_OK(od_rdma(p.fd, p.qa, ODP_WR_RDMA_READ, p.ka, src, OD_PAGE, ki,
			 area + OD_GIB));
	CHECK_OK(od_query(p.fd, ki, &q));
	CHECK_EQ(q.children, 1);
	CHECK_EQ(q.children_created, 5);
	return KTAP_PASS;
}

static atomic_int od_storm_stop;

static void *od_pageout_storm(void *arg)
{
	struct od_pair *p = arg;

	while (!atomic_load(&od_storm_stop)) {
		madvise(p->a, LEN, MADV_PAGEOUT);
		madvise(p->b, LEN, MADV_PAGEOUT);
		sched_yield();
	}
	return NULL;
}

/*
 * Proves: faults that keep losing to invalidations still make progress:
 * WRITEs complete, with the right data, while another thread pages the
 * buffers out in a loop.
 */
static int case_invalidation_storm(void)
{
	struct odp_mr_query qa, qb;
	struct od_pair p;
	pthread_t t;
	int i;

	if (mt_swap_free_kb() <= 0)
		return ktap_skip_case("no swap");
	CHECK_OK(od_pair_init(&p, LEN));
	CHECK_PT(pthread_create(&t, NULL, od_pageout_storm, &p));
	for (i = 0; i < 100; i++) {
		od_fill(p.a, LEN, i);
		CHECK_EQ(od_rdma(p.fd, p.qa, ODP_WR_RDMA_WRITE, p.ka, p.a, LEN,
				 p.kb, p.b), ODP_WC_SUCCESS);
		CHECK_PATTERN(p.b, LEN, i);
	}
	atomic_store(&od_storm_stop, 1);
	CHECK_PT(pthread_join(t, NULL));
	CHECK_OK(od_query(p.fd, p.ka, &qa));
	CHECK_OK(od_query(p.fd, p.kb, &qb));
	ktap_diag("faults %llu + %llu, retries after losing %llu + %llu, "
		  "invalidations %llu + %llu",
		  (unsigned long long)qa.faults, (unsigned long long)qb.faults,
		  (unsigned long long)qa.fault_retries,
		  (unsigned long long)qb.fault_retries,
		  (unsigned long long)qa.invalidations,
		  (unsigned long long)qb.invalidations);
	CHECK(qa.invalidations + qb.invalidations > 0, "no invalidation");
	return KTAP_PASS;
}

/* The debugfs line of MR @key of the PD behind @fd, or "". */
static void od_debugfs_line(uint32_t key, char *out, size_t len)
{
	char path[128], line[512], want[32];
	FILE *f;
	int pd;

	out[0] = '\0';
	snprintf(want, sizeof(want), "0x%x ", key);
	for (pd = 1; pd < 4096; pd++) {
		snprintf(path, sizeof(path),
			 "/sys/kernel/debug/odp_demo/pd%d/mrs", pd);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f))
			if (!strncmp(line, want, strlen(want)))
				snprintf(out, len, "%s", line);
		fclose(f);
	}
}

/*
 * Proves: the per-MR counters follow what the NIC did: one fault per
 * miss mapping the whole transfer, invalidations with their pages and
 * the NIC's dirty pages, prefetches; debugfs shows the same.
 */
static int case_counters(void)
{
	struct odp_mr_query q;
	struct od_pair p;
	char line[512];

	CHECK_OK(od_pair_init(&p, LEN));
	od_fill(p.a, LEN, 4);
	CHECK_OK(od_rdma(p.fd, p.qa, ODP_WR_RDMA_WRITE, p.ka, p.a, LEN, p.kb,
			 p.b));
	CHECK_OK(od_query(p.fd, p.kb, &q));
	CHECK_EQ(q.faults, 1);
	CHECK_EQ(q.fault_pages, 16);
	CHECK_EQ(q.mtt_pages, 16);
	CHECK_EQ(q.flags, ODP_MR_ODP);
	CHECK_OK(od_rdma(p.fd, p.qa, ODP_WR_RDMA_WRITE, p.ka, p.a, LEN, p.kb,
			 p.b));
	CHECK_OK(od_query(p.fd, p.kb, &q));
	CHECK_EQ(q.faults, 1);
	CHECK_OK(od_dontneed(p.b, LEN));
	CHECK_OK(od_query(p.fd, p.kb, &q));
	CHECK_EQ(q.invalidations, 1);
	CHECK_EQ(q.invalidated_pages, 16);
	CHECK_EQ(q.dirty_pages, 16);
	CHECK_EQ(q.mtt_pages, 0);
	/* Reading maps the zero page, read-only. */
	CHECK_OK(od_rdma(p.fd, p.qa, ODP_WR_RDMA_READ, p.ka, p.a, LEN, p.kb,
			 p.b));
	CHECK_OK(od_query(p.fd, p.kb, &q));
	CHECK_EQ(q.faults, 2);
	CHECK_EQ(q.fault_pages, 32);
	CHECK_OK(od_advise(p.fd, ODP_ADVISE_PREFETCH_WRITE,
			   ODP_ADVISE_FLAG_FLUSH, p.kb, p.b, LEN));
	CHECK_OK(od_query(p.fd, p.kb, &q));
	CHECK_EQ(q.prefetches, 1);
	CHECK_EQ(q.prefetch_pages, 16);
	CHECK_EQ(q.faults, 2);
	od_debugfs_line(p.kb, line, sizeof(line));
	CHECK(strstr(line, " odp ") && strstr(line, " 2 32 "),
	      "debugfs line: '%s'", line);
	return KTAP_PASS;
}

static const struct ktap_case cases[] = {
	KTAP_CASE(dereg_in_flight),
	KTAP_CASE(close_in_flight),
	KTAP_CASE(exit_in_flight),
	KTAP_CASE(two_processes),
	KTAP_CASE(fork_cow),
	KTAP_CASE(atomics_race_cpu),
	KTAP_CASE(implicit_children),
	KTAP_CASE(invalidation_storm),
	KTAP_CASE(counters),
	{ "kernel_not_tainted", case_kernel_not_tainted, 0 },
};

int main(void)
{
	mt_record_taint();
	return ktap_run(cases, ARRAY_SIZE(cases));
}
