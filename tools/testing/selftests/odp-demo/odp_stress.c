// SPDX-License-Identifier: GPL-2.0
/*
 * odp_stress.c - random work on many QPs and MRs under random
 * invalidations, every byte checked
 *
 * Two PDs of one process, QP pairs across and within them, ODP, pinned
 * and implicit MRs over a set of buffers.  Each round posts one random
 * request (WRITE, READ, SEND, CAS, FAA, at random offsets and lengths)
 * on each of several QPs at once, never two touching the same buffer,
 * then compares every buffer with a shadow copy.  Meanwhile a thread
 * pages buffers out and forks short-lived children (write-protecting
 * everything for copy-on-write); between rounds the main thread drops
 * random ODP buffers with MADV_DONTNEED (the shadow becomes zeroes).
 *
 * ODP_STRESS_ROUNDS (default 150) and ODP_STRESS_SEED (default: time)
 * in the environment; the seed is printed.
 */
#include "odp_util.h"

#define NBUF	12
#define BUFLEN	(16 * OD_PAGE)
#define NPAIRS	6

struct sbuf {
	uint8_t *mem;
	uint8_t shadow[BUFLEN];
	int pd;			/* which PD registered it */
	uint32_t key;		/* its own MR's key */
	bool pinned;
};

struct spair {
	int pd_a, pd_b;		/* PD of each end */
	uint32_t qa, qb;
};

static struct sbuf bufs[NBUF];
static struct spair pairs[NPAIRS];
static int fds[2];
static uint32_t implicit_key[2];
static atomic_int stop_storm;
static unsigned long long seed;

static uint32_t rnd(void)
{
	seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
	return seed >> 33;
}

/*
 * The key a PD uses to reach buffer @b: the buffer's own MR when that PD
 * registered it, or (at random, and always from the other PD) the PD's
 * implicit MR, which reaches pinned buffers too.
 */
static uint32_t key_for(int pd, int b)
{
	if (bufs[b].pd == pd && (rnd() & 1))
		return bufs[b].key;
	return implicit_key[pd];
}

static void *storm(void *arg)
{
	unsigned int s = 12345;

	while (!atomic_load(&stop_storm)) {
		int b = rand_r(&s) % NBUF;
		pid_t pid;

		if (!bufs[b].pinned)
			madvise(bufs[b].mem, BUFLEN, MADV_PAGEOUT);
		if (rand_r(&s) % 16 == 0) {
			pid = fork();
			if (!pid)
				_exit(0);
			if (pid > 0)
				waitpid(pid, NULL, 0);
		}
		usleep(200);
	}
	return NULL;
}

static int setup(void)
{
	int i;

	for (i = 0; i < 2; i++) {
		fds[i] = od_open();
		if (fds[i] < 0)
			return fds[i];
		CHECK_OK(od_reg_implicit(fds[i], &implicit_key[i]));
	}
	for (i = 0; i < NBUF; i++) {
		struct sbuf *b = &bufs[i];

		b->mem = od_map(BUFLEN);
		CHECK(b->mem, "mmap");
		b->pd = i & 1;
		b->pinned = i % 6 == 5;
		od_fill(b->mem, BUFLEN, i);
		memcpy(b->shadow, b->mem, BUFLEN);
		CHECK_OK(od_reg(fds[b->pd], b->mem, BUFLEN,
				b->pinned ? OD_ALL : OD_ODP, &b->key));
	}
	for (i = 0; i < NPAIRS; i++) {
		struct spair *p = &pairs[i];

		p->pd_a = i & 1;
		p->pd_b = (i >> 1) & 1;
		CHECK_OK(od_qp(fds[p->pd_a], 8, 8, &p->qa));
		CHECK_OK(od_qp(fds[p->pd_b], 8, 8, &p->qb));
		CHECK_OK(od_connect(fds[p->pd_a], p->qa, p->qb));
		CHECK_OK(od_connect(fds[p->pd_b], p->qb, p->qa));
	}
	return KTAP_PASS;
}

struct sop {
	struct spair *p;
	uint32_t opcode;
	int lb, rb;		/* local and remote buffer */
	uint32_t loff, roff, len;
	uint64_t cmp, swp;
	bool recv;
};

/* Pick a request for pair @p over buffers not in @busy; false if none. */
static bool pick(struct spair *p, bool *busy, struct sop *op)
{
	static const uint32_t ops[] = {
		ODP_WR_RDMA_WRITE, ODP_WR_RDMA_READ, ODP_WR_SEND,
		ODP_WR_ATOMIC_CMP_AND_SWP, ODP_WR_ATOMIC_FETCH_AND_ADD,
	};
	int tries;

	for (tries = 0; tries < 20; tries++) {
		int lb = rnd() % NBUF, rb = rnd() % NBUF;

		if (lb == rb || busy[lb] || busy[rb])
			continue;
		op->p = p;
		op->opcode = ops[rnd() % ARRAY_SIZE(ops)];
		op->lb = lb;
		op->rb = rb;
		op->len = 1 + rnd() % BUFLEN;
		op->loff = rnd() % (BUFLEN - op->len + 1);
		op->roff = rnd() % (BUFLEN - op->len + 1);
		if (op->opcode == ODP_WR_ATOMIC_CMP_AND_SWP ||
		    op->opcode == ODP_WR_ATOMIC_FETCH_AND_ADD) {
			op->len = 8;
			op->loff = (rnd() % (BUFLEN / 8)) * 8;
			op->roff = (rnd() % (BUFLEN / 8)) * 8;
			op->cmp = rnd() & 1 ? 0 : rnd();
			op->swp = ((uint64_t)rnd() << 32) | rnd();
		}
		busy[lb] = busy[rb] = true;
		return true;
	}
	return false;
}

/* Post @op (and the RECV a SEND needs); 0 or KTAP_FAIL. */
static int issue(struct sop *op)
{
	struct spair *p = op->p;
	uint8_t *l = bufs[op->lb].mem + op->loff;
	uint8_t *r = bufs[op->rb].mem + op->roff;
	uint32_t lkey = key_for(p->pd_a, op->lb);
	uint32_t rkey = key_for(p->pd_b, op->rb);
	struct odp_send_wr wr;

	op->recv = op->opcode == ODP_WR_SEND;
	if (op->recv) {
		struct odp_recv_wr rwr = {
			.wr_id = 1, .sge = { (uintptr_t)r, op->len, rkey },
		};

		CHECK_OK(od_post_recv(fds[p->pd_b], p->qb, &rwr, 1));
	}
	wr = od_wr(op->opcode, 2, lkey, l, op->len, rkey, r);
	wr.compare_add = op->cmp;
	wr.swap = op->swp;
	CHECK_OK(od_post_send(fds[p->pd_a], p->qa, &wr, 1));
	return 0;
}

/* Wait for @op's completions and apply it to the shadow. */
static int complete(struct sop *op)
{
	uint8_t *ls = bufs[op->lb].shadow + op->loff;
	uint8_t *rs = bufs[op->rb].shadow + op->roff;
	struct spair *p = op->p;
	struct odp_wc wc;
	uint64_t old, v;

	CHECK_OK(od_wait(fds[p->pd_a], p->qa, &wc, 1));
	CHECK(wc.status == ODP_WC_SUCCESS, "opcode %u status %u", op->opcode,
	      wc.status);
	if (op->recv) {
		CHECK_OK(od_wait(fds[p->pd_b], p->qb, &wc, 1));
		CHECK_EQ(wc.status, ODP_WC_SUCCESS);
	}
	switch (op->opcode) {
	case ODP_WR_RDMA_WRITE:
	case ODP_WR_SEND:
		memcpy(rs, ls, op->len);
		break;
	case ODP_WR_RDMA_READ:
		memcpy(ls, rs, op->len);
		break;
	default:
		memcpy(&old, rs, 8);
		v = op->opcode == ODP_WR_ATOMIC_FETCH_AND_ADD ?
		    old + op->cmp : old == op->cmp ? op->swp : old;
		memcpy(rs, &v, 8);
		memcpy(ls, &old, 8);
		break;
	}
	return KTAP_PASS;
}

/* Proves: random work under random invalidations keeps every byte right. */
static int case_random_work(void)
{
	const char *env = getenv("ODP_STRESS_ROUNDS");
	int rounds = env ? atoi(env) : 150, i, j, n, wrs = 0;
	pthread_t t;

	env = getenv("ODP_STRESS_SEED");
	seed = env ? strtoull(env, NULL, 0) : (unsigned long long)time(NULL);
	ktap_diag("seed %#llx, %d rounds", seed, rounds);
	if (setup())
		return KTAP_FAIL;
	CHECK_PT(pthread_create(&t, NULL, storm, NULL));
	for (i = 0; i < rounds; i++) {
		struct sop ops[NPAIRS];
		bool busy[NBUF] = { false };

		for (n = 0, j = 0; j < NPAIRS; j++) {
			if (!pick(&pairs[j], busy, &ops[n]))
				continue;
			if (issue(&ops[n]))
				return KTAP_FAIL;
			n++;
		}
		for (j = 0; j < n; j++)
			if (complete(&ops[j]))
				return KTAP_FAIL;
		wrs += n;
		for (j = 0; j < NBUF; j++) {
			long at = memcmp(bufs[j].mem, bufs[j].shadow, BUFLEN);

			CHECK(!at, "round %d: buffer %d differs from its shadow",
			      i, j);
		}
		j = rnd() % NBUF;
		if (!bufs[j].pinned && rnd() % 4 == 0) {
			CHECK_OK(od_dontneed(bufs[j].mem, BUFLEN));
			memset(bufs[j].shadow, 0, BUFLEN);
		}
	}
	atomic_store(&stop_storm, 1);
	CHECK_PT(pthread_join(t, NULL));
	ktap_diag("%d requests checked", wrs);
	return KTAP_PASS;
}

static const struct ktap_case cases[] = {
	KTAP_CASE_TMO(random_work, 240),
	{ "kernel_not_tainted", case_kernel_not_tainted, 0 },
};

int main(void)
{
	mt_record_taint();
	return ktap_run(cases, ARRAY_SIZE(cases));
}
