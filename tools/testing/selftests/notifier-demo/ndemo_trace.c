// SPDX-License-Identifier: GPL-2.0
/*
 * ndemo_trace - the helper's tracepoints (events/mmu_mirror in tracefs)
 * report faults, invalidations, flushes, aging, pins and teardown of a
 * /dev/hmm_dmirror0 mirror with the right fields, in the right order.
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <sys/mount.h>
#include "ndemo_util.h"

#define TR_BUF		(1UL << 20)

static const char *tr_dir;
static char *tr_text;

/*
 * Find tracefs, mounting it at /sys/kernel/tracing if nobody did:
 * -ENODEV without tracefs, -ENOENT if it has no mmu_mirror events (the
 * helper is loaded, so that is a failure).
 */
static int tr_find(void)
{
	static const char *const dirs[] = {
		"/sys/kernel/tracing", "/sys/kernel/debug/tracing",
	};
	char path[128];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		snprintf(path, sizeof(path), "%s/events/mmu_mirror", dirs[i]);
		if (!access(path, F_OK)) {
			tr_dir = dirs[i];
			return 0;
		}
	}
	if (mount("nodev", dirs[0], "tracefs", 0, NULL) && errno != EBUSY)
		return -ENODEV;
	snprintf(path, sizeof(path), "%s/events/mmu_mirror", dirs[0]);
	if (access(path, F_OK))
		return -ENOENT;
	tr_dir = dirs[0];
	return 0;
}

static int tr_write(const char *file, const char *val)
{
	char path[160];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "%s/%s", tr_dir, file);
	fd = open(path, O_WRONLY | O_TRUNC);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) != (ssize_t)strlen(val))
		ret = -errno;
	close(fd);
	return ret;
}

/* Enable every mmu_mirror event and empty the buffer. */
static int tr_start(void)
{
	int ret = tr_find();

	if (ret)
		return ret;
	ret = tr_write("events/mmu_mirror/enable", "1");
	if (!ret)
		ret = tr_write("trace", "");
	if (!ret)
		ret = tr_write("tracing_on", "1");
	return ret;
}

/* Stop tracing and read what was recorded into tr_text. */
static int tr_stop(void)
{
	char path[160];
	ssize_t n, len = 0;
	int fd;

	tr_write("events/mmu_mirror/enable", "0");
	snprintf(path, sizeof(path), "%s/trace", tr_dir);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	if (!tr_text)
		tr_text = malloc(TR_BUF);
	if (!tr_text) {
		close(fd);
		return -ENOMEM;
	}
	while (len < (ssize_t)TR_BUF - 1 &&
	       (n = read(fd, tr_text + len, TR_BUF - 1 - len)) > 0)
		len += n;
	tr_text[len] = '\0';
	close(fd);
	return 0;
}

/*
 * The first recorded line at or after *@from of event @event whose text
 * contains every field of @want (space-separated "key=value" words);
 * *@from moves past it.  Returns the line's start, or NULL.
 */
static const char *tr_match(const char **from, const char *event,
			    const char *want)
{
	char tag[64];
	const char *p;

	snprintf(tag, sizeof(tag), " %s: ", event);
	for (p = strstr(*from, tag); p; p = strstr(p + 1, tag)) {
		const char *eol = strchr(p, '\n');
		char line[512], words[256], *w, *save;
		size_t n = eol ? (size_t)(eol - p) : strlen(p);
		bool ok = true;

		snprintf(line, sizeof(line), "%.*s ", (int)n, p);
		snprintf(words, sizeof(words), "%s", want);
		for (w = strtok_r(words, " ", &save); w && ok;
		     w = strtok_r(NULL, " ", &save)) {
			char key[80];

			snprintf(key, sizeof(key), " %s ", w);
			ok = strstr(line, key) != NULL;
		}
		if (ok) {
			*from = p + n;
			return p;
		}
	}
	return NULL;
}

#define EXPECT_EVENT(from, event, ...) do {				\
	char want_[256];						\
									\
	snprintf(want_, sizeof(want_), __VA_ARGS__);			\
	CHECK(tr_match(&(from), event, want_),				\
	      "no %s event with \"%s\" in order; trace:\n%.2000s",	\
	      event, want_, tr_text);					\
} while (0)

/* Proves: window add, fault, unmap invalidation, flush and release are traced with their fields, in order. */
static int case_trace_fault_unmap_release(void)
{
	const unsigned long n = 16;
	unsigned long addr;
	const char *at;
	struct ndemo_cmd cmd;
	char *mem, *buf;
	int fd, ret;

	ret = tr_start();
	if (ret == -ENODEV)
		return ktap_skip_case("no tracefs in this kernel");
	CHECK(!ret, "tracefs setup: %s", strerror(-ret));
	mem = nd_map(n * ND_PAGE);
	buf = nd_map(n * ND_PAGE);
	CHECK(mem && buf, "mmap: %s", strerror(errno));
	addr = (unsigned long)mem;
	nd_fill(mem, n, 3);

	OPEN_DEV(fd, 0);
	CHECK_EQ(nd_read(fd, mem, buf, n, &cmd), 0);
	CHECK_SYS(munmap(mem, n * ND_PAGE));
	close(fd);
	CHECK_EQ(tr_stop(), 0);

	at = tr_text;
	EXPECT_EVENT(at, "mmu_mirror_window_add",
		     "mirror=hmm_dmirror0 hva=0x0 sva=0x0 ret=0");
	EXPECT_EVENT(at, "mmu_mirror_fault",
		     "mirror=hmm_dmirror0 sva=0x%lx len=0x%lx write=0 pages=%lu retries=0 ret=0",
		     addr, n * ND_PAGE, n);
	EXPECT_EVENT(at, "mmu_mirror_invalidate",
		     "mirror=hmm_dmirror0 event=unmap hva=0x%lx-0x%lx sva=0x%lx zapped=%lu blockable=1",
		     addr, addr + n * ND_PAGE, addr, n);
	EXPECT_EVENT(at, "mmu_mirror_flush", "mirror=hmm_dmirror0");
	EXPECT_EVENT(at, "mmu_mirror_release",
		     "mirror=hmm_dmirror0 destroying=1");
	return KTAP_PASS;
}

/* Proves: the aging hooks are traced with the young entries they found and cleared. */
static int case_trace_aging(void)
{
	const unsigned long n = 8;
	unsigned long addr;
	const char *at;
	struct ndemo_cmd cmd;
	char *mem, *buf;
	int fd, ret;

	mem = nd_map(n * ND_PAGE);
	buf = nd_map(n * ND_PAGE);
	CHECK(mem && buf, "mmap: %s", strerror(errno));
	addr = (unsigned long)mem;
	nd_fill(mem, n, 4);
	OPEN_DEV(fd, 0);
	CHECK_EQ(nd_read(fd, mem, buf, n, &cmd), 0);

	ret = tr_start();
	if (ret == -ENODEV)
		return ktap_skip_case("no tracefs in this kernel");
	CHECK(!ret, "tracefs setup: %s", strerror(-ret));
	/* Reclaim asks the device whether it used each page. */
	CHECK_SYS(madvise(mem, n * ND_PAGE, MADV_PAGEOUT));
	CHECK_EQ(tr_stop(), 0);
	close(fd);

	at = tr_text;
	EXPECT_EVENT(at, "mmu_mirror_age",
		     "mirror=hmm_dmirror0 hva=0x%lx-0x%lx clear=1 young=1",
		     addr, addr + ND_PAGE);
	return KTAP_PASS;
}

/* Proves: pinned mode traces its pins and, at close, unpins with the written pages counted dirty. */
static int case_trace_pins(void)
{
	const unsigned long n = 4;
	unsigned long addr;
	const char *at;
	struct ndemo_cmd cmd;
	char *mem, *buf;
	int fd, ret;

	mem = nd_map(n * ND_PAGE);
	buf = nd_map(n * ND_PAGE);
	CHECK(mem && buf, "mmap: %s", strerror(errno));
	addr = (unsigned long)mem;
	nd_fill(buf, n, 5);

	ret = tr_start();
	if (ret == -ENODEV)
		return ktap_skip_case("no tracefs in this kernel");
	CHECK(!ret, "tracefs setup: %s", strerror(-ret));
	OPEN_DEV(fd, 0);
	CHECK_EQ(nd_set_mode(fd, NDEMO_MODE_PINNED), 0);
	CHECK_EQ(nd_write(fd, mem, buf, n, &cmd), 0);
	close(fd);
	CHECK_EQ(tr_stop(), 0);

	at = tr_text;
	EXPECT_EVENT(at, "mmu_mirror_pin",
		     "mirror=hmm_dmirror0 sva=0x%lx npages=%lu pinned=%lu ret=0",
		     addr, n, n);
	EXPECT_EVENT(at, "mmu_mirror_unpin",
		     "mirror=hmm_dmirror0 dirty=%lu clean=0", n);
	CHECK(!nd_check("pinned write", mem, n, 5), "device data lost");
	return KTAP_PASS;
}

static const struct ktap_case cases[] = {
	KTAP_CASE(trace_fault_unmap_release),
	KTAP_CASE(trace_aging),
	KTAP_CASE(trace_pins),
	KTAP_CASE(kernel_not_tainted),
};

int main(void)
{
	mt_record_taint();
	return ktap_run(cases, ARRAY_SIZE(cases));
}
