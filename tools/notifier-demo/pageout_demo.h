/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pageout_demo.h - what the pageout demos (ndemo_pageout_demo,
 * odp_pageout_demo) share: error messages and the RSS samples they take
 * before pressure, after it and after the device read the memory again.
 *
 * The including program defines "static const char *prog" (its name, for
 * messages) before including this file.
 */
#ifndef _PAGEOUT_DEMO_H
#define _PAGEOUT_DEMO_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sample {
	long vm_rss_kb;		/* whole process */
	long region_kb;		/* the device's mapping alone */
};

static __attribute__((format(printf, 1, 2))) void fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* "Key: value" (or "key value") from a /proc file; -1 if absent. */
static long long proc_value(const char *file, const char *key)
{
	size_t klen = strlen(key);
	long long val = -1;
	char line[256];
	FILE *f;

	f = fopen(file, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, klen) ||
		    (line[klen] != ':' && line[klen] != ' '))
			continue;
		val = strtoll(line + klen + 1, NULL, 10);
		break;
	}
	fclose(f);
	return val;
}

/* Rss of the mapping that starts at @start, from /proc/self/smaps. */
static long region_rss_kb(const void *start)
{
	unsigned long lo, hi;
	char line[512];
	int here = 0;
	long val = -1;
	FILE *f;

	f = fopen("/proc/self/smaps", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			here = lo == (uintptr_t)start;
			continue;
		}
		if (here && !strncmp(line, "Rss:", 4)) {
			val = strtol(line + 4, NULL, 10);
			break;
		}
	}
	fclose(f);
	return val;
}

static void sample(struct sample *s, const void *region)
{
	s->vm_rss_kb = proc_value("/proc/self/status", "VmRSS");
	s->region_kb = region_rss_kb(region);
}

#endif /* _PAGEOUT_DEMO_H */
