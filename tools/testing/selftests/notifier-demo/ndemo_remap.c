// SPDX-License-Identifier: GPL-2.0
/*
 * ndemo_remap - memory unmapped and mapped again at the same address is
 * never seen through stale device entries, single-threaded and while
 * another thread keeps the device reading.
 */
#define _GNU_SOURCE
#include "ndemo_util.h"

#include <pthread.h>
#include <stdatomic.h>

static int remap_fixed(char *mem, size_t len, int noreplace)
{
	char *p = mmap(mem, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS |
		       (noreplace ? MAP_FIXED_NOREPLACE : MAP_FIXED), -1, 0);

	if (p != mem) {
		ktap_diag("mmap at %p: %s", mem, p == MAP_FAILED ?
			  strerror(errno) : "placed elsewhere");
		return -1;
	}
	return 0;
}

/* Proves: munmap + mmap at the same address shows the new pages (or zeros), never the old. */
static int case_munmap_mmap_same_address(void)
{
	const unsigned long n = 16;
	size_t len = n * ND_PAGE;
	struct ndemo_cmd cmd;
	char *mem, *buf;
	unsigned int it;
	int fd;

	OPEN_DEV(fd, 0);
	mem = nd_map(len);
	buf = nd_map(len);
	CHECK(mem && buf, "mmap: %s", strerror(errno));

	for (it = 0; it < 50; it++) {
		unsigned int a = 2 * it + 1, b = 2 * it + 2;

		/* CPU rewrites pages the device has cached: no refault. */
		nd_fill(mem, n, a);
		CHECK_EQ(nd_read(fd, mem, buf, n, &cmd), 0);
		CHECK_EQ(cmd.faults, it ? 0 : 1);
		CHECK(!nd_check("before munmap", buf, n, a), "iteration %u", it);

		CHECK_SYS(munmap(mem, len));
		CHECK(!remap_fixed(mem, len, 1), "iteration %u", it);
		CHECK_SYS(madvise(mem, len, MADV_NOHUGEPAGE));

		if (it % 2 == 0) {
			/* Fresh mapping, not yet written: zero pages. */
			CHECK_EQ(nd_read(fd, mem, buf, n, &cmd), 0);
			CHECK_EQ(cmd.faults, 1);
			CHECK(!mt_check_zero("fresh mapping", buf, n),
			      "old data after munmap+mmap, iteration %u", it);
		}
		/* CPU write replaces zero pages (if mapped): entries must go. */
		nd_fill(mem, n, b);
		CHECK_EQ(nd_read(fd, mem, buf, n, &cmd), 0);
		CHECK_EQ(cmd.faults, 1);
		CHECK(!nd_check("after remap", buf, n, b),
		      "stale data after munmap+mmap, iteration %u", it);
	}
	return KTAP_PASS;
}

/* Proves: mmap(MAP_FIXED) over a mirrored range (implicit unmap) drops the old entries. */
static int case_mmap_fixed_over_mirror(void)
{
	const unsigned long n = 16;
	size_t len = n * ND_PAGE;
	struct ndemo_stats s;
	struct ndemo_cmd cmd;
	char *mem, *buf;
	unsigned int it;
	int fd;

	OPEN_DEV(fd, 0);
	mem = nd_map(len);
	buf = nd_map(len);
	CHECK(mem && buf, "mmap: %s", strerror(errno));

	for (it = 0; it < 20; it++) {
		nd_fill(mem, n, it + 1);
		CHECK_EQ(nd_read(fd, mem, buf, n, &cmd), 0);
		CHECK(!nd_check("before mmap over", buf, n, it + 1),
		      "iteration %u", it);
		CHECK(!remap_fixed(mem, len, 0), "iteration %u", it);
		CHECK_SYS(madvise(mem, len, MADV_NOHUGEPAGE));
		nd_fill(mem, n, it + 100);
		CHECK_EQ(nd_read(fd, mem, buf, n, &cmd), 0);
		CHECK_EQ(cmd.faults, 1);
		CHECK(!nd_check("after mmap over", buf, n, it + 100),
		      "stale data after MAP_FIXED, iteration %u", it);
	}
	CHECK_EQ(nd_stats(fd, &s), 0);
	CHECK_EQ(s.entries, n);
	return KTAP_PASS;
}

/* Proves: unmapping a hole zaps only the hole; neighbours stay cached; the hole refaults. */
static int case_partial_munmap_hole(void)
{
	const unsigned long n = 16, h0 = 4, hn = 4;
	size_t len = n * ND_PAGE;
	struct ndemo_stats s0, s1;
	struct ndemo_cmd cmd;
	char *mem, *buf, *hole;
	int fd;

	OPEN_DEV(fd, 0);
	mem = nd_map(len);
	buf = nd_map(len);
	CHECK(mem && buf, "mmap: %s", strerror(errno));
	hole = mem + h0 * ND_PAGE;
	nd_fill(mem, n, 1);
	CHECK_EQ(nd_read(fd, mem, buf, n, &cmd), 0);
	CHECK_EQ(cmd.faults, 1);

	CHECK_EQ(nd_stats(fd, &s0), 0);
	CHECK_SYS(munmap(hole, hn * ND_PAGE));
	CHECK_EQ(nd_stats(fd, &s1), 0);
	CHECK_EQ(s1.pages_zapped - s0.pages_zapped, hn);
	CHECK_EQ(s1.flushes - s0.flushes, 1);
	CHECK_EQ(s1.entries, n - hn);

	CHECK_EQ(nd_read(fd, mem, buf, n, &cmd), -EFAULT);
	CHECK_EQ(nd_read(fd, mem, buf, h0, &cmd), 0);
	CHECK_EQ(cmd.faults, 0);
	CHECK_EQ(nd_read(fd, hole + hn * ND_PAGE, buf + (h0 + hn) * ND_PAGE,
			 n - h0 - hn, &cmd), 0);
	CHECK_EQ(cmd.faults, 0);
	CHECK(!nd_check_range("right neighbour", buf, h0 + hn, n - h0 - hn, 1),
	      "wrong data");

	CHECK(!remap_fixed(hole, hn * ND_PAGE, 1), "refill hole");
	nd_fill_range(mem, h0, hn, 2);
	memset(buf, 0, len);
	CHECK_EQ(nd_read(fd, mem, buf, n, &cmd), 0);
	CHECK_EQ(cmd.faults, 1);
	CHECK(!nd_check_range("left", buf, 0, h0, 1) &&
	      !nd_check_range("hole", buf, h0, hn, 2) &&
	      !nd_check_range("right", buf, h0 + hn, n - h0 - hn, 1),
	      "device view wrong after refilling the hole");
	return KTAP_PASS;
}

/*
 * The race: a writer thread cycles generation g = 1..RACE_GENS, each
 * time unmapping the range, mapping it again, publishing g and then
 * filling every page with the byte race_byte(g).  A reader thread keeps
 * the device reading the range.  Each page the device returns must hold
 * only zeros (a page not yet filled) and race_byte(g) for one g between
 * the generation published before the READ and the one published after
 * it; a byte from an older generation is a stale device entry.
 * -EFAULT is allowed: the READ may hit the unmapped window.  So is
 * -EBUSY: the fault path gives up after HMM_RANGE_DEFAULT_TIMEOUT when
 * invalidations keep racing it, as test_hmm does; it returns no data.
 * Bytes, not words, are compared, because a page may be read while being
 * filled.
 */
#define RACE_N		16
#define RACE_GENS	2000
#define RACE_MAX_SECS	150	/* slow emulation: stop early, still valid */
#define RACE_MAX_READS	2000000UL

struct race {
	char *mem;
	char *buf;
	int fd;
	atomic_uint gen;
	atomic_int done;
	unsigned int last_gen;
	unsigned long reads_ok, reads_efault, reads_ebusy, unchecked, bad;
	int writer_err, reader_err;
};

static unsigned char race_byte(unsigned int g)
{
	return 1 + g % 255;
}

static void *race_writer(void *arg)
{
	struct race *r = arg;
	size_t len = RACE_N * ND_PAGE;
	double end = ktap_now() + RACE_MAX_SECS;
	unsigned int g;

	for (g = 1; g <= RACE_GENS && ktap_now() < end; g++) {
		int noreplace = g % 2;

		/* Odd generations unmap first; even ones map over. */
		if (noreplace && munmap(r->mem, len)) {
			r->writer_err = errno;
			break;
		}
		if (remap_fixed(r->mem, len, noreplace)) {
			r->writer_err = EEXIST;
			break;
		}
		atomic_store(&r->gen, g);
		memset(r->mem, race_byte(g), len);
		r->last_gen = g;
	}
	atomic_store(&r->done, 1);
	return NULL;
}

/* Check one page read by the device; returns 0 if plausible (first failure is described). */
static int race_check_page(struct race *r, unsigned long pg, unsigned int g0,
			   unsigned int g1)
{
	const unsigned char *p = (unsigned char *)r->buf + pg * ND_PAGE;
	unsigned char b = 0;
	unsigned int off;
	size_t i;

	for (i = 0; i < ND_PAGE; i++) {
		if (!p[i])
			continue;
		if (!b)
			b = p[i];
		else if (p[i] != b)
			break;
	}
	if (i < ND_PAGE) {
		if (!r->bad)
			ktap_diag("page %lu mixes bytes %#x and %#x at %zu (gen %u..%u)",
				  pg, b, p[i], i, g0, g1);
		return -1;
	}
	if (!b)
		return 0;
	if (g1 - g0 >= 254) {
		r->unchecked++;
		return 0;
	}
	off = (b - 1u + 255u - g0 % 255u) % 255u;
	if (off > g1 - g0) {
		if (!r->bad)
			ktap_diag("page %lu holds byte %#x: not from gen %u..%u (stale)",
				  pg, b, g0, g1);
		return -1;
	}
	return 0;
}

static void *race_reader(void *arg)
{
	struct race *r = arg;
	struct ndemo_cmd cmd;
	unsigned long i, pg;

	for (i = 0; i < RACE_MAX_READS && !atomic_load(&r->done); i++) {
		unsigned int g0 = atomic_load(&r->gen), g1;
		int ret = nd_read(r->fd, r->mem, r->buf, RACE_N, &cmd);

		g1 = atomic_load(&r->gen);
		if (ret == -EFAULT) {
			r->reads_efault++;
			continue;
		}
		if (ret == -EBUSY) {
			r->reads_ebusy++;
			continue;
		}
		if (ret) {
			r->reader_err = -ret;
			break;
		}
		r->reads_ok++;
		for (pg = 0; pg < RACE_N; pg++)
			if (race_check_page(r, pg, g0, g1))
				r->bad++;
		if (r->bad)
			break;
	}
	return NULL;
}

/* Proves: a device READ racing munmap/mmap/fill never returns a page from an older mapping. */
static int case_munmap_mmap_race_threads(void)
{
	static struct race r;
	struct ndemo_stats s;
	struct ndemo_cmd cmd;
	pthread_t w, rd;
	int err;

	OPEN_DEV(r.fd, 0);
	r.mem = nd_map(RACE_N * ND_PAGE);
	r.buf = nd_map(RACE_N * ND_PAGE);
	CHECK(r.mem && r.buf, "mmap: %s", strerror(errno));
	/* Generation 0 is filled too, so a mirror stuck on it is caught. */
	memset(r.mem, race_byte(0), RACE_N * ND_PAGE);
	atomic_store(&r.gen, 0);

	err = pthread_create(&rd, NULL, race_reader, &r);
	CHECK(!err, "pthread_create: %s", strerror(err));
	err = pthread_create(&w, NULL, race_writer, &r);
	CHECK(!err, "pthread_create: %s", strerror(err));
	err = pthread_join(w, NULL);
	CHECK(!err, "pthread_join: %s", strerror(err));
	/* The reader stops when the writer is done (or after a failure). */
	atomic_store(&r.done, 1);
	err = pthread_join(rd, NULL);
	CHECK(!err, "pthread_join: %s", strerror(err));

	ktap_diag("%u generations; reads: %lu ok, %lu -EFAULT, %lu -EBUSY, %lu unchecked",
		  r.last_gen, r.reads_ok, r.reads_efault, r.reads_ebusy,
		  r.unchecked);
	CHECK(!r.writer_err, "writer: %s", strerror(r.writer_err));
	CHECK(!r.reader_err, "device READ: %s", strerror(r.reader_err));
	CHECK(!r.bad, "device returned stale pages");
	CHECK(r.reads_ok > 0, "no READ completed during the race");

	/* Quiet now: the device must see the last generation exactly. */
	CHECK_EQ(nd_read(r.fd, r.mem, r.buf, RACE_N, &cmd), 0);
	CHECK(!race_check_page(&r, 0, r.last_gen, r.last_gen) &&
	      (unsigned char)r.buf[0] == race_byte(r.last_gen) &&
	      !memcmp(r.buf, r.mem, RACE_N * ND_PAGE),
	      "final device view differs from the CPU view");
	CHECK_EQ(nd_stats(r.fd, &s), 0);
	nd_dump_stats("after race", &s);
	CHECK(s.entries <= RACE_N, "%llu entries for %d mapped pages",
	      (unsigned long long)s.entries, RACE_N);
	return KTAP_PASS;
}

static const struct ktap_case cases[] = {
	KTAP_CASE(munmap_mmap_same_address),
	KTAP_CASE(mmap_fixed_over_mirror),
	KTAP_CASE(partial_munmap_hole),
	KTAP_CASE_TMO(munmap_mmap_race_threads, 240),
	KTAP_CASE(kernel_not_tainted),
};

int main(void)
{
	mt_record_taint();
	return ktap_run(cases, ARRAY_SIZE(cases));
}
