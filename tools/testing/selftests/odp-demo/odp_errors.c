// SPDX-License-Identifier: GPL-2.0
/*
 * odp_errors.c - bad input to /dev/odp_demo and error completions
 *
 * Bad commands fail with the documented errno before any work; bad work
 * requests (keys, bounds, rights, alignment, lengths, a missing peer, a
 * fault the NIC cannot resolve) complete with the verbs status, move the
 * QP to the error state (the rest flushes) and touch no memory.
 */
#include "odp_util.h"

#define LEN	(4 * OD_PAGE)

struct od_err_env {
	int fd;
	uint32_t qa, qb;
	uint8_t *a, *b;		/* local and remote buffers */
	uint32_t ka, kb;
};

static int od_err_init(struct od_err_env *e, uint32_t aa, uint32_t ab)
{
	int ret;

	e->fd = od_open();
	if (e->fd < 0)
		return e->fd;
	e->a = od_map(LEN);
	e->b = od_map(LEN);
	if (!e->a || !e->b)
		return -ENOMEM;
	memset(e->a, 0x11, LEN);
	memset(e->b, 0x22, LEN);
	ret = od_reg(e->fd, e->a, LEN, aa, &e->ka);
	if (!ret)
		ret = od_reg(e->fd, e->b, LEN, ab, &e->kb);
	if (!ret)
		ret = od_loopback(e->fd, &e->qa, &e->qb);
	return ret;
}

/* Reconnect the requester after an error completion; 0 or -errno. */
static int od_recover(struct od_err_env *e)
{
	struct odp_wc wc[8];
	int i, ret = -EBUSY;

	for (i = 0; i < 100 && ret == -EBUSY; i++) {
		od_poll(e->fd, e->qa, wc, 8, 0);
		ret = od_connect(e->fd, e->qa, e->qb);
		if (ret == -EBUSY)
			usleep(1000);
	}
	return ret;
}

static int od_all_bytes(const uint8_t *p, size_t len, uint8_t v)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != v)
			return 0;
	return 1;
}

/* Proves: bad MR registrations fail with the documented errno. */
static int case_reg_mr_bad_input(void)
{
	uint8_t *p = od_map(LEN);
	int fd = od_open();
	uint32_t k;

	CHECK(fd >= 0 && p, "setup");
	CHECK_EQ(od_reg(fd, p, LEN, ODP_ACCESS_REMOTE_WRITE |
			ODP_ACCESS_ON_DEMAND, &k), -EINVAL);
	CHECK_EQ(od_reg(fd, p, LEN, ODP_ACCESS_REMOTE_ATOMIC, &k), -EINVAL);
	CHECK_EQ(od_reg(fd, p, LEN, 0x100, &k), -EINVAL);
	CHECK_EQ(od_reg(fd, p, 0, OD_ODP, &k), -EINVAL);
	CHECK_EQ(od_reg(fd, p, ODP_MAX_MR_LENGTH + 1, OD_ODP, &k), -EINVAL);
	CHECK_EQ(od_reg(fd, (void *)-OD_PAGE, 2 * OD_PAGE, OD_ODP, &k),
		 -EINVAL);
	CHECK_EQ(od_reg(fd, (void *)(1UL << 60), OD_PAGE, OD_ODP, &k),
		 -EFAULT);
	CHECK_EQ(od_reg(fd, p, ODP_IMPLICIT_LENGTH, OD_ALL, &k), -EINVAL);
	CHECK_EQ(od_reg(fd, p, ODP_IMPLICIT_LENGTH, OD_ODP, &k), -EINVAL);
	CHECK_OK(od_reg_implicit(fd, &k));
	CHECK_EQ(od_reg_implicit(fd, &k), -EBUSY);
	{
		struct odp_reg_mr r = {
			.addr = (uintptr_t)p, .length = LEN, .access = OD_ODP,
			.reserved = 1,
		};

		CHECK_EQ(od_ioctl(fd, ODP_REG_MR, &r), -EINVAL);
	}
	/* Pinning needs memory there. */
	CHECK_SYS(munmap(p + OD_PAGE, OD_PAGE));
	CHECK_EQ(od_reg(fd, p, LEN, OD_ALL, &k), -EFAULT);
	/* ODP does not: the NIC faults later (and fails then). */
	CHECK_OK(od_reg(fd, p, LEN, OD_ODP, &k));
	CHECK_OK(od_dereg(fd, k));
	CHECK_EQ(od_dereg(fd, k), -EINVAL);
	CHECK_EQ(od_dereg(fd, 0xffffffff), -EINVAL);
	return KTAP_PASS;
}

/* Proves: bad QP, post, poll, advise and query commands fail cleanly. */
static int case_qp_bad_input(void)
{
	struct odp_send_wr wr[2] = { 0 };
	struct odp_recv_wr rwr = { 0 };
	struct odp_pd_query pd = { 0 };
	struct odp_poll_cq poll = { 0 };
	struct odp_post post = { 0 };
	struct od_err_env e;
	struct odp_wc wc;
	uint32_t q;

	CHECK_OK(od_err_init(&e, OD_ODP, OD_ODP));
	CHECK_EQ(od_qp(e.fd, 0, 1, &q), -EINVAL);
	CHECK_EQ(od_qp(e.fd, 1, ODP_MAX_QP_DEPTH + 1, &q), -EINVAL);
	CHECK_OK(od_qp(e.fd, 2, 2, &q));
	/* Sends need a connected QP; receives may come first. */
	wr[0] = od_wr(ODP_WR_RDMA_WRITE, 1, e.ka, e.a, 8, e.kb, e.b);
	CHECK_EQ(od_post_send(e.fd, q, wr, 1), -EINVAL);
	CHECK_OK(od_post_recv(e.fd, q, &rwr, 1));
	CHECK_EQ(od_post_send(e.fd, 0x123456, wr, 1), -EINVAL);
	CHECK_EQ(od_post_send(e.fd, e.qa, wr, 0), -EINVAL);
	CHECK_EQ(od_post_send(e.fd, e.qa, wr, ODP_MAX_QP_DEPTH + 1),
		 -EINVAL);
	CHECK_EQ(od_post_send(e.fd, e.qa, NULL, 1), -EFAULT);
	/* A bad opcode stops the post there: the first one is queued. */
	wr[1] = wr[0];
	wr[1].opcode = 3;
	post.qpn = e.qa;
	post.nr = 2;
	post.wrs = (uintptr_t)wr;
	CHECK_EQ(od_ioctl(e.fd, ODP_POST_SEND, &post), -EINVAL);
	CHECK_EQ(post.posted, 1);
	CHECK_OK(od_wait(e.fd, e.qa, &wc, 1));
	CHECK_EQ(wc.status, ODP_WC_SUCCESS);
	wr[1].opcode = ODP_WR_SEND;
	wr[1].flags = 1;
	CHECK_EQ(od_post_send(e.fd, e.qa, &wr[1], 1), -EINVAL);
	wr[1].flags = 0;
	wr[1].sge.length = ODP_MAX_SGE_LENGTH + 1;
	CHECK_EQ(od_post_send(e.fd, e.qa, &wr[1], 1), -EINVAL);
	/* A queue that is full refuses more. */
	CHECK_EQ(od_post_recv(e.fd, q, &rwr, 1), 0);
	CHECK_EQ(od_post_recv(e.fd, q, &rwr, 1), -ENOMEM);
	poll.qpn = e.qa;
	poll.wcs = (uintptr_t)&wc;
	CHECK_EQ(od_ioctl(e.fd, ODP_POLL_CQ, &poll), -EINVAL);
	poll.nr = 1;
	poll.timeout_ms = 60001;
	CHECK_EQ(od_ioctl(e.fd, ODP_POLL_CQ, &poll), -EINVAL);
	CHECK_EQ(od_poll(e.fd, 0x654321, &wc, 1, 0), -EINVAL);
	CHECK_EQ(od_connect(e.fd, 0x654321, e.qa), -EINVAL);
	CHECK_EQ(od_advise(e.fd, 3, 0, e.ka, e.a, 8), -EINVAL);
	CHECK_EQ(od_advise(e.fd, 0, 2, e.ka, e.a, 8), -EINVAL);
	CHECK_EQ(od_advise(e.fd, 0, 0, 0xffff00, e.a, 8), -EINVAL);
	CHECK_EQ(od_advise(e.fd, 0, ODP_ADVISE_FLAG_FLUSH, e.ka, e.a, LEN + 1),
		 -EFAULT);
	CHECK_EQ(od_advise(e.fd, 0, ODP_ADVISE_FLAG_FLUSH, e.ka, e.a - 1, 8),
		 -EFAULT);
	pd.mirror = 2;
	CHECK_EQ(od_ioctl(e.fd, ODP_QUERY_PD, &pd), -EINVAL);
	CHECK_EQ(od_ioctl(e.fd, _IO(ODP_IOC_MAGIC, 0x7f), NULL), -ENOTTY);
	CHECK_EQ(od_ioctl(e.fd, ODP_QUERY_MR, NULL), -EFAULT);
	CHECK_OK(od_ioctl(e.fd, ODP_DESTROY_QP, &q));
	CHECK_EQ(od_ioctl(e.fd, ODP_DESTROY_QP, &q), -EINVAL);
	return KTAP_PASS;
}

/* Proves: a QP of one file cannot be driven through another file. */
static int case_foreign_qp(void)
{
	struct od_err_env e;
	int fd2 = od_open();
	struct odp_wc wc;

	CHECK_OK(od_err_init(&e, OD_ODP, OD_ODP));
	CHECK(fd2 >= 0, "open");
	CHECK_EQ(od_poll(fd2, e.qa, &wc, 1, 0), -EINVAL);
	CHECK_EQ(od_ioctl(fd2, ODP_DESTROY_QP, &e.qa), -EINVAL);
	CHECK_EQ(od_connect(fd2, e.qa, e.qb), -EINVAL);
	/* Its keys mean nothing in the other PD either. */
	CHECK_EQ(od_dereg(fd2, e.ka), -EINVAL);
	return KTAP_PASS;
}

/*
 * Proves: bad local keys, bounds and rights complete with LOC_PROT_ERR,
 * the QP then flushes what follows, and reconnecting recovers it.
 */
static int case_local_errors(void)
{
	struct odp_send_wr wr[3];
	struct odp_wc wc[3];
	struct od_err_env e;
	uint32_t kro;

	CHECK_OK(od_err_init(&e, OD_ODP, OD_ODP));
	CHECK_OK(od_reg(e.fd, e.a, LEN, ODP_ACCESS_REMOTE_READ |
			ODP_ACCESS_ON_DEMAND, &kro));
	/* Unknown key, then two good requests: flushed. */
	wr[0] = od_wr(ODP_WR_RDMA_WRITE, 1, e.ka ^ 0x55, e.a, 8, e.kb, e.b);
	wr[1] = od_wr(ODP_WR_RDMA_WRITE, 2, e.ka, e.a, 8, e.kb, e.b);
	wr[2] = wr[1];
	CHECK_OK(od_post_send(e.fd, e.qa, wr, 3));
	CHECK_OK(od_wait(e.fd, e.qa, wc, 3));
	CHECK_EQ(wc[0].status, ODP_WC_LOC_PROT_ERR);
	CHECK_EQ(wc[1].status, ODP_WC_WR_FLUSH_ERR);
	CHECK_EQ(wc[2].status, ODP_WC_WR_FLUSH_ERR);
	CHECK_EQ(wc[1].wr_id, 2);
	CHECK(od_all_bytes(e.b, LEN, 0x22), "remote memory changed");
	CHECK_OK(od_recover(&e));
	/* Beyond the MR's end, and before its start. */
	CHECK_EQ(od_rdma(e.fd, e.qa, ODP_WR_RDMA_WRITE, e.ka, e.a + LEN - 4,
			 8, e.kb, e.b), ODP_WC_LOC_PROT_ERR);
	CHECK_OK(od_recover(&e));
	CHECK_EQ(od_rdma(e.fd, e.qa, ODP_WR_RDMA_WRITE, e.ka, e.a - 1, 8,
			 e.kb, e.b), ODP_WC_LOC_PROT_ERR);
	CHECK_OK(od_recover(&e));
	/* READ into an MR without LOCAL_WRITE. */
	CHECK_EQ(od_rdma(e.fd, e.qa, ODP_WR_RDMA_READ, kro, e.a, 8, e.kb,
			 e.b), ODP_WC_LOC_PROT_ERR);
	CHECK(od_all_bytes(e.a, LEN, 0x11), "local memory changed");
	CHECK_OK(od_recover(&e));
	/* A deregistered key is stale: a new MR gets another key. */
	CHECK_OK(od_dereg(e.fd, kro));
	CHECK_EQ(od_rdma(e.fd, e.qa, ODP_WR_RDMA_WRITE, kro, e.a, 8, e.kb,
			 e.b), ODP_WC_LOC_PROT_ERR);
	CHECK_OK(od_recover(&e));
	CHECK_OK(od_rdma(e.fd, e.qa, ODP_WR_RDMA_WRITE, e.ka, e.a, LEN, e.kb,
			 e.b));
	CHECK(od_all_bytes(e.b, LEN, 0x11), "write after recovery");
	return KTAP_PASS;
}

/*
 * Proves: bad remote keys, bounds and rights complete with
 * REM_ACCESS_ERR and leave the remote memory alone.
 */
static int case_remote_errors(void)
{
	uint32_t kro, kwo, knoat;
	struct od_err_env e;
	uint64_t *res;

	CHECK_OK(od_err_init(&e, OD_ODP, OD_ODP));
	res = (uint64_t *)e.a;
	CHECK_OK(od_reg(e.fd, e.b, LEN, ODP_ACCESS_REMOTE_READ |
			ODP_ACCESS_ON_DEMAND, &kro));
	CHECK_OK(od_reg(e.fd, e.b, LEN, ODP_ACCESS_LOCAL_WRITE |
			ODP_ACCESS_REMOTE_WRITE | ODP_ACCESS_ON_DEMAND, &kwo));
	CHECK_OK(od_reg(e.fd, e.b, LEN, ODP_ACCESS_LOCAL_WRITE |
			ODP_ACCESS_REMOTE_WRITE | ODP_ACCESS_REMOTE_READ |
			ODP_ACCESS_ON_DEMAND, &knoat));
	CHECK_EQ(od_rdma(e.fd, e.qa, ODP_WR_RDMA_WRITE, e.ka, e.a, 8,
			 e.kb ^ 0x7700, e.b), ODP_WC_REM_ACCESS_ERR);
	CHECK_OK(od_recover(&e));
	CHECK_EQ(od_rdma(e.fd, e.qa, ODP_WR_RDMA_WRITE, e.ka, e.a, 8, kro,
			 e.b), ODP_WC_REM_ACCESS_ERR);
	CHECK_OK(od_recover(&e));
	CHECK_EQ(od_rdma(e.fd, e.qa, ODP_WR_RDMA_READ, e.ka, e.a, 8, kwo,
			 e.b), ODP_WC_REM_ACCESS_ERR);
	CHECK_OK(od_recover(&e));
	CHECK_EQ(od_atomic(e.fd, e.qa, ODP_WR_ATOMIC_FETCH_AND_ADD, e.ka, res,
			   knoat, e.b, 1, 0), ODP_WC_REM_ACCESS_ERR);
	CHECK_OK(od_recover(&e));
	CHECK_EQ(od_rdma(e.fd, e.qa, ODP_WR_RDMA_WRITE, e.ka, e.a, 16, e.kb,
			 e.b + LEN - 8), ODP_WC_REM_ACCESS_ERR);
	CHECK_OK(od_recover(&e));
	CHECK_EQ(od_rdma(e.fd, e.qa, ODP_WR_RDMA_READ, e.ka, e.a, 16, e.kb,
			 e.b - 8), ODP_WC_REM_ACCESS_ERR);
	CHECK_OK(od_recover(&e));
	CHECK(od_all_bytes(e.b, LEN, 0x22), "remote memory changed");
	CHECK(od_all_bytes(e.a, LEN, 0x11), "local memory changed");
	return KTAP_PASS;
}

/* Proves: atomics need 8 aligned bytes: LOC_LEN_ERR, REM_INV_REQ_ERR. */
static int case_atomic_alignment(void)
{
	struct odp_send_wr wr;
	struct od_err_env e;

	CHECK_OK(od_err_init(&e, OD_ODP, OD_ODP));
	CHECK_EQ(od_atomic(e.fd, e.qa, ODP_WR_ATOMIC_CMP_AND_SWP, e.ka,
			   (uint64_t *)e.a, e.kb, e.b + 4, 0, 1),
		 ODP_WC_REM_INV_REQ_ERR);
	CHECK_OK(od_recover(&e));
	wr = od_wr(ODP_WR_ATOMIC_FETCH_AND_ADD, 9, e.ka, e.a, 4, e.kb, e.b);
	CHECK_EQ(od_do(e.fd, e.qa, &wr), ODP_WC_LOC_LEN_ERR);
	CHECK_OK(od_recover(&e));
	CHECK(od_all_bytes(e.b, LEN, 0x22), "remote memory changed");
	/* A good one still works: the word was 0x2222222222222222. */
	CHECK_OK(od_atomic(e.fd, e.qa, ODP_WR_ATOMIC_FETCH_AND_ADD, e.ka,
			   (uint64_t *)e.a, e.kb, e.b + 8, 1, 0));
	CHECK_EQ(*(uint64_t *)e.a, 0x2222222222222222ULL);
	CHECK_EQ(*(uint64_t *)(e.b + 8), 0x2222222222222223ULL);
	return KTAP_PASS;
}

/*
 * Proves: a SEND longer than the RECV fails on both sides (LOC_LEN_ERR,
 * REM_INV_REQ_ERR); a RECV into an MR without LOCAL_WRITE fails with
 * LOC_PROT_ERR at the receiver and REM_OP_ERR at the sender.
 */
static int case_send_errors(void)
{
	struct odp_recv_wr rwr = { .wr_id = 5 };
	struct odp_send_wr wr;
	struct od_err_env e;
	struct odp_wc wc;
	uint32_t kro;

	CHECK_OK(od_err_init(&e, OD_ODP, OD_ODP));
	rwr.sge = (struct odp_sge){ (uintptr_t)e.b, 8, e.kb };
	wr = od_wr(ODP_WR_SEND, 6, e.ka, e.a, 16, 0, NULL);
	CHECK_OK(od_post_recv(e.fd, e.qb, &rwr, 1));
	CHECK_EQ(od_do(e.fd, e.qa, &wr), ODP_WC_REM_INV_REQ_ERR);
	CHECK_OK(od_wait(e.fd, e.qb, &wc, 1));
	CHECK_EQ(wc.status, ODP_WC_LOC_LEN_ERR);
	CHECK_EQ(wc.wr_id, 5);
	CHECK(od_all_bytes(e.b, LEN, 0x22), "receive buffer changed");
	/* Both QPs are in error now: recover both. */
	CHECK_OK(od_recover(&e));
	CHECK_OK(od_connect(e.fd, e.qb, e.qa));
	CHECK_OK(od_reg(e.fd, e.b, LEN, ODP_ACCESS_REMOTE_READ |
			ODP_ACCESS_ON_DEMAND, &kro));
	rwr.sge = (struct odp_sge){ (uintptr_t)e.b, LEN, kro };
	CHECK_OK(od_post_recv(e.fd, e.qb, &rwr, 1));
	CHECK_EQ(od_do(e.fd, e.qa, &wr), ODP_WC_REM_OP_ERR);
	CHECK_OK(od_wait(e.fd, e.qb, &wc, 1));
	CHECK_EQ(wc.status, ODP_WC_LOC_PROT_ERR);
	CHECK(od_all_bytes(e.b, LEN, 0x22), "receive buffer changed");
	return KTAP_PASS;
}

/* Proves: without a peer connected back, traffic fails with RETRY_EXC_ERR. */
static int case_no_peer(void)
{
	struct od_err_env e;
	uint32_t q;

	CHECK_OK(od_err_init(&e, OD_ODP, OD_ODP));
	CHECK_OK(od_qp(e.fd, 4, 4, &q));
	CHECK_OK(od_connect(e.fd, q, 0xabcdef));
	CHECK_EQ(od_rdma(e.fd, q, ODP_WR_RDMA_WRITE, e.ka, e.a, 8, e.kb, e.b),
		 ODP_WC_RETRY_EXC_ERR);
	/* qb is connected to qa, not to q. */
	while (od_connect(e.fd, q, e.qb) == -EBUSY)
		usleep(1000);
	CHECK_EQ(od_rdma(e.fd, q, ODP_WR_RDMA_WRITE, e.ka, e.a, 8, e.kb, e.b),
		 ODP_WC_RETRY_EXC_ERR);
	CHECK(od_all_bytes(e.b, LEN, 0x22), "remote memory changed");
	return KTAP_PASS;
}

/*
 * Proves: a NIC fault that cannot be resolved fails the request: a
 * write into memory the process unmapped (REM_ACCESS_ERR) or made
 * read-only, a read from local memory that is gone (LOC_PROT_ERR).
 */
static int case_unresolvable_faults(void)
{
	struct od_err_env e;

	CHECK_OK(od_err_init(&e, OD_ODP, OD_ODP));
	CHECK_SYS(mprotect(e.b, LEN, PROT_READ));
	CHECK_EQ(od_rdma(e.fd, e.qa, ODP_WR_RDMA_WRITE, e.ka, e.a, 8, e.kb,
			 e.b), ODP_WC_REM_ACCESS_ERR);
	CHECK_OK(od_recover(&e));
	/* Reading it is fine. */
	CHECK_OK(od_rdma(e.fd, e.qa, ODP_WR_RDMA_READ, e.ka, e.a, LEN, e.kb,
			 e.b));
	CHECK(od_all_bytes(e.a, LEN, 0x22), "read of read-only memory");
	CHECK(od_all_bytes(e.b, LEN, 0x22), "read-only memory changed");
	CHECK_SYS(munmap(e.b + OD_PAGE, OD_PAGE));
	CHECK_EQ(od_rdma(e.fd, e.qa, ODP_WR_RDMA_READ, e.ka, e.a, LEN, e.kb,
			 e.b), ODP_WC_REM_ACCESS_ERR);
	CHECK_OK(od_recover(&e));
	CHECK_OK(od_recover(&e));
	CHECK_SYS(munmap(e.a + 2 * OD_PAGE, OD_PAGE));
	CHECK_EQ(od_rdma(e.fd, e.qa, ODP_WR_RDMA_WRITE, e.ka, e.a, 3 * OD_PAGE,
			 e.kb, e.b), ODP_WC_LOC_PROT_ERR);
	return KTAP_PASS;
}

/*
 * Proves: only the opener's address space may change the PD or post; a
 * child after fork gets -EIO, yet may poll and query.
 */
static int case_other_mm(void)
{
	struct od_err_env e;
	int status;
	pid_t pid;

	CHECK_OK(od_err_init(&e, OD_ODP, OD_ODP));
	pid = fork();
	CHECK_SYS(pid);
	if (!pid) {
		struct odp_send_wr wr = od_wr(ODP_WR_RDMA_WRITE, 1, e.ka, e.a,
					      8, e.kb, e.b);
		struct odp_mr_query q;
		struct odp_wc wc;
		uint32_t k;

		if (od_reg(e.fd, e.a, LEN, OD_ODP, &k) != -EIO ||
		    od_post_send(e.fd, e.qa, &wr, 1) != -EIO ||
		    od_dereg(e.fd, e.ka) != -EIO ||
		    od_advise(e.fd, 0, 0, e.ka, e.a, 8) != -EIO ||
		    od_query(e.fd, e.ka, &q) ||
		    od_poll(e.fd, e.qa, &wc, 1, 0) != 0)
			_exit(1);
		_exit(0);
	}
	CHECK_SYS(waitpid(pid, &status, 0));
	CHECK(WIFEXITED(status) && !WEXITSTATUS(status), "child saw %#x",
	      status);
	return KTAP_PASS;
}

static const struct ktap_case cases[] = {
	KTAP_CASE(reg_mr_bad_input),
	KTAP_CASE(qp_bad_input),
	KTAP_CASE(foreign_qp),
	KTAP_CASE(local_errors),
	KTAP_CASE(remote_errors),
	KTAP_CASE(atomic_alignment),
	KTAP_CASE(send_errors),
	KTAP_CASE(no_peer),
	KTAP_CASE(unresolvable_faults),
	KTAP_CASE(other_mm),
	{ "kernel_not_tainted", case_kernel_not_tainted, 0 },
};

int main(void)
{
	mt_record_taint();
	return ktap_run(cases, ARRAY_SIZE(cases));
}
