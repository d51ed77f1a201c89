// SPDX-License-Identifier: GPL-2.0
/*
 * odp_pageout_demo - RDMA memory regions with and without on-demand
 * paging under memory pressure, measured inside the test VM.
 *
 * For each kind of MR of /dev/odp_demo (ODP, pinned, implicit ODP): map
 * N MiB of anonymous memory, fill it with a pattern, register it, let the
 * NIC read all of it with RDMA READs into a 1 MiB landing buffer (so its
 * translations are in the MR's MTT), apply pressure with MADV_PAGEOUT
 * (twice: on 6.1 the first call only clears the accessed bits, the
 * NIC's included), then let the NIC read it all again, checking every
 * page.  RSS and swap traffic are recorded at each step and printed as
 * one table.
 *
 * Usage: odp_pageout_demo [MiB]      (default 64)
 *
 * Table lines start with "odp| " between "odp| BEGIN" and "odp| END".
 * Exit status: 0 on success, 1 if the data read back was wrong, 2 if the
 * experiment could not be run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <linux/odp_demo.h>

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT	21
#endif

#define PG		4096UL
#define MIB		(1UL << 20)
#define DEVICE		"/dev/odp_demo"
#define ACCESS		(ODP_ACCESS_LOCAL_WRITE | ODP_ACCESS_REMOTE_READ | \
			 ODP_ACCESS_REMOTE_WRITE)

enum kind { KIND_ODP, KIND_PINNED, KIND_IMPLICIT, NR_KINDS };

static const char *const kind_names[NR_KINDS] = {
	"odp", "pinned", "implicit",
};

static const char *prog = "odp_pageout_demo";

#include "pageout_demo.h"

struct run {
	enum kind kind;
	unsigned long mib;
	struct sample before, pressed, after;
	long long swap_outs, swap_ins;	/* pages */
	unsigned long long nic_faults;	/* of the second read */
	unsigned long bad_pages;
};

static uint64_t pattern(unsigned long page, unsigned int word)
{
	return 0x6f64705f64656d00ULL ^ ((uint64_t)page << 9) ^ word;
}

/* The NIC: two QPs of the PD connected to each other, a landing MR. */
struct nic {
	int fd;
	uint32_t qa, qb;
	uint64_t *land;
	uint32_t kland;
};

static int nic_ioctl(struct nic *n, unsigned long cmd, void *arg,
		     const char *what)
{
	if (!ioctl(n->fd, cmd, arg))
		return 0;
	fail("%s: %s", what, strerror(errno));
	return -1;
}

static int nic_open(struct nic *n)
{
	struct odp_create_qp c = { .sq_depth = 4, .rq_depth = 4 };
	struct odp_reg_mr r = { .length = MIB, .access = ACCESS |
				ODP_ACCESS_ON_DEMAND };
	struct odp_connect_qp cn;

	n->fd = open(DEVICE, O_RDWR | O_CLOEXEC);
	if (n->fd < 0) {
		fail("cannot open %s: %s (is odp_demo.ko loaded?)", DEVICE,
		     strerror(errno));
		return -1;
	}
	n->land = mmap(NULL, MIB, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (n->land == MAP_FAILED) {
		fail("cannot map the landing buffer: %s", strerror(errno));
		return -1;
	}
	r.addr = (uintptr_t)n->land;
	if (nic_ioctl(n, ODP_REG_MR, &r, "ODP_REG_MR (landing buffer)"))
		return -1;
	n->kland = r.lkey;
	if (nic_ioctl(n, ODP_CREATE_QP, &c, "ODP_CREATE_QP"))
		return -1;
	n->qa = c.qpn;
	if (nic_ioctl(n, ODP_CREATE_QP, &c, "ODP_CREATE_QP"))
		return -1;
	n->qb = c.qpn;
	cn = (struct odp_connect_qp){ n->qa, n->qb };
	if (nic_ioctl(n, ODP_CONNECT_QP, &cn, "ODP_CONNECT_QP"))
		return -1;
	cn = (struct odp_connect_qp){ n->qb, n->qa };
	return nic_ioctl(n, ODP_CONNECT_QP, &cn, "ODP_CONNECT_QP");
}

/* One RDMA READ of @len bytes at @addr (key @rkey) into the landing MR. */
static int nic_read(struct nic *n, uint32_t rkey, const char *addr,
		    uint32_t len)
{
	struct odp_send_wr wr = {
		.wr_id = 1, .opcode = ODP_WR_RDMA_READ,
		.sge = { (uintptr_t)n->land, len, n->kland },
		.remote_addr = (uintptr_t)addr, .rkey = rkey,
	};
	struct odp_post p = { .qpn = n->qa, .nr = 1,
			      .wrs = (uintptr_t)&wr };
	struct odp_wc wc;
	struct odp_poll_cq pc = { .qpn = n->qa, .nr = 1,
				  .wcs = (uintptr_t)&wc,
				  .timeout_ms = 10000 };

	if (nic_ioctl(n, ODP_POST_SEND, &p, "ODP_POST_SEND") ||
	    nic_ioctl(n, ODP_POLL_CQ, &pc, "ODP_POLL_CQ"))
		return -1;
	if (!pc.count || wc.status) {
		fail("RDMA READ: %s status %u", pc.count ? "completion" :
		     "no completion,", pc.count ? wc.status : 0);
		return -1;
	}
	return 0;
}

/* The NIC reads the region 1 MiB at a time; returns pages wrong or -1. */
static long nic_read_all(struct nic *n, uint32_t rkey, const char *mem,
			 unsigned long npages)
{
	unsigned long first, i, cnt, bad = 0;
	unsigned int w;

	for (first = 0; first < npages; first += cnt) {
		cnt = npages - first < MIB / PG ? npages - first : MIB / PG;
		if (nic_read(n, rkey, mem + first * PG, cnt * PG))
			return -1;
		for (i = 0; i < cnt; i++)
			for (w = 0; w < PG / 8; w++)
				if (n->land[i * (PG / 8) + w] !=
				    pattern(first + i, w)) {
					bad++;
					break;
				}
	}
	return bad;
}

static unsigned long long nic_faults(struct nic *n, uint32_t key)
{
	struct odp_mr_query q = { .lkey = key };

	return ioctl(n->fd, ODP_QUERY_MR, &q) ? 0 : q.faults;
}

/* Pages the NIC faulted on another CPU wait in that CPU's LRU batch. */
static void drain_lru(void)
{
	int fd = open("/proc/sys/vm/compact_memory", O_WRONLY);

	if (fd >= 0 && write(fd, "1", 1) < 0)
		fail("warning: compact_memory: %s", strerror(errno));
	if (fd >= 0)
		close(fd);
}

/* Map, fill and register the region; the key goes to *@key. */
static char *region_setup(struct nic *n, enum kind kind, size_t len,
			  uint32_t *key)
{
	struct odp_reg_mr r = { .access = ACCESS };
	unsigned long i;
	char *mem;

	mem = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		fail("cannot map %zu bytes: %s", len, strerror(errno));
		return NULL;
	}
	/* 4 KiB pages: per-page reclaim and fair RSS accounting. */
	madvise(mem, len, MADV_NOHUGEPAGE);
	for (i = 0; i < len / 8; i++)
		((uint64_t *)mem)[i] = pattern(i / (PG / 8), i % (PG / 8));
	if (kind == KIND_IMPLICIT) {
		r.length = ODP_IMPLICIT_LENGTH;
		r.access |= ODP_ACCESS_ON_DEMAND;
	} else {
		r.addr = (uintptr_t)mem;
		r.length = len;
		if (kind == KIND_ODP)
			r.access |= ODP_ACCESS_ON_DEMAND;
	}
	if (nic_ioctl(n, ODP_REG_MR, &r, "ODP_REG_MR")) {
		munmap(mem, len);
		return NULL;
	}
	*key = r.lkey;
	return mem;
}

static int run_kind(struct run *r, enum kind kind, unsigned long mib)
{
	unsigned long npages = mib * MIB / PG;
	size_t len = mib * MIB;
	long long out0, in0;
	unsigned long long f0;
	struct nic n;
	uint32_t key;
	long bad;
	char *mem;

	r->kind = kind;
	r->mib = mib;
	if (nic_open(&n))
		return -1;
	mem = region_setup(&n, kind, len, &key);
	if (!mem)
		return -1;
	bad = nic_read_all(&n, key, mem, npages);
	if (bad) {
		fail("%s: the NIC read %ld wrong pages before any pressure",
		     kind_names[kind], bad);
		return -1;
	}
	drain_lru();
	sample(&r->before, mem);

	out0 = proc_value("/proc/vmstat", "pswpout");
	in0 = proc_value("/proc/vmstat", "pswpin");
	if (madvise(mem, len, MADV_PAGEOUT) || madvise(mem, len, MADV_PAGEOUT)) {
		fail("%s: MADV_PAGEOUT: %s", kind_names[kind], strerror(errno));
		return -1;
	}
	sample(&r->pressed, mem);
	r->swap_outs = proc_value("/proc/vmstat", "pswpout") - out0;

	f0 = nic_faults(&n, key);
	bad = nic_read_all(&n, key, mem, npages);
	if (bad < 0)
		return -1;
	sample(&r->after, mem);
	r->swap_ins = proc_value("/proc/vmstat", "pswpin") - in0;
	r->nic_faults = nic_faults(&n, key) - f0;
	r->bad_pages = bad;

	/* Release the pins and the memory before the next kind runs. */
	close(n.fd);
	munmap(mem, len);
	munmap(n.land, MIB);
	return 0;
}

static void rss_cell(char *out, size_t size, const struct sample *s)
{
	snprintf(out, size, "%.1f / %.1f", s->vm_rss_kb / 1024.0,
		 s->region_kb / 1024.0);
}

#define NCOLS	9

static void print_table(const struct run *runs, int n)
{
	static const char *const head[NCOLS] = {
		"MR", "MiB", "RSS before", "RSS after pressure",
		"RSS after NIC read", "swap-outs", "swap-ins", "NIC faults",
		"data check",
	};
	char cells[NR_KINDS][NCOLS][48];
	int width[NCOLS], i, c;

	for (c = 0; c < NCOLS; c++)
		width[c] = strlen(head[c]);
	for (i = 0; i < n; i++) {
		const struct run *r = &runs[i];

		snprintf(cells[i][0], 48, "%s", kind_names[r->kind]);
		snprintf(cells[i][1], 48, "%lu", r->mib);
		rss_cell(cells[i][2], 48, &r->before);
		rss_cell(cells[i][3], 48, &r->pressed);
		rss_cell(cells[i][4], 48, &r->after);
		snprintf(cells[i][5], 48, "%lld", r->swap_outs);
		snprintf(cells[i][6], 48, "%lld", r->swap_ins);
		snprintf(cells[i][7], 48, "%llu", r->nic_faults);
		if (r->bad_pages)
			snprintf(cells[i][8], 48, "MISMATCH (%lu pages)",
				 r->bad_pages);
		else
			snprintf(cells[i][8], 48, "ok");
		for (c = 0; c < NCOLS; c++)
			if ((int)strlen(cells[i][c]) > width[c])
				width[c] = strlen(cells[i][c]);
	}
	printf("odp| BEGIN\nodp|");
	for (c = 0; c < NCOLS - 1; c++)
		printf(" %-*s |", width[c], head[c]);
	printf(" %s\nodp|", head[NCOLS - 1]);
	for (c = 0; c < NCOLS; c++)
		printf("%.*s%s", width[c] + 2,
		       "--------------------------------------------------",
		       c < NCOLS - 1 ? "+" : "\n");
	for (i = 0; i < n; i++) {
		printf("odp|");
		for (c = 0; c < NCOLS - 1; c++)
			printf(c ? " %*s |" : " %-*s |", width[c], cells[i][c]);
		printf(" %s\n", cells[i][NCOLS - 1]);
	}
	printf("odp|\n");
	printf("odp| RSS columns: process VmRSS / registered region Rss, in MiB.\n");
	printf("odp| swap-outs, swap-ins: pages, from pswpout/pswpin in /proc/vmstat;\n");
	printf("odp| NIC faults: page faults the NIC engine took in the second read.\n");
	printf("odp| END\n");
	fflush(stdout);
}

/* Stay on one CPU: MADV_PAGEOUT drains only this CPU's LRU batch. */
static void pin_to_this_cpu(void)
{
	int cpu = sched_getcpu();
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		fail("warning: cannot pin to CPU %d: %s", cpu, strerror(errno));
}

int main(int argc, char **argv)
{
	struct run runs[NR_KINDS] = { 0 };
	unsigned long mib = 64;
	char *end;
	int i;

	if (argc > 2 || (argc == 2 && (!strcmp(argv[1], "-h") ||
				       !strcmp(argv[1], "--help")))) {
		fprintf(stderr, "usage: %s [MiB]   (default 64)\n", prog);
		return 2;
	}
	if (argc == 2) {
		errno = 0;
		mib = strtoul(argv[1], &end, 10);
		if (errno || *end || !mib || mib > 1024) {
			fail("size must be a number of MiB from 1 to 1024, got '%s'",
			     argv[1]);
			return 2;
		}
	}
	if (proc_value("/proc/meminfo", "SwapFree") <= 0) {
		fail("no swap: MADV_PAGEOUT cannot reclaim anonymous memory");
		return 2;
	}
	pin_to_this_cpu();
	for (i = 0; i < NR_KINDS; i++) {
		printf("%s: %s MR, %lu MiB...\n", prog, kind_names[i], mib);
		fflush(stdout);
		if (run_kind(&runs[i], i, mib))
			return 2;
	}
	print_table(runs, NR_KINDS);
	for (i = 0; i < NR_KINDS; i++)
		if (runs[i].bad_pages)
			return 1;
	return 0;
}
