// SPDX-License-Identifier: GPL-2.0
/*
 * edum_fuzz - the bounded UAPI fuzz run of the boot with the edu device
 *
 * Runs mirror_fuzz (tools/testing/selftests/fuzz), from the directory
 * this program is in, with EDUM_FUZZ_CALLS calls in all (the environment
 * variable of that name overrides it; 0 skips the run): its edu_single
 * phase drives /dev/edu_mirror0 alone, and the edu device takes part in
 * its multi-threaded phases with every other device, behind the IOMMU.
 * Each edu copy is two DMAs of about 100 ms, so the run is short.  The
 * output is mirror_fuzz's KTAP; its edu_single case is skipped without
 * /dev/edu_mirror0.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EDUM_FUZZ_CALLS	"15000"

int main(void)
{
	const char *calls = getenv("EDUM_FUZZ_CALLS");
	char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 32);
	char *slash;

	if (!calls || !*calls)
		calls = EDUM_FUZZ_CALLS;
	if (!strcmp(calls, "0")) {
		/* The boot runs mirror_fuzz with the edu device anyway. */
		printf("TAP version 13\n1..0 # SKIP EDUM_FUZZ_CALLS=0\n");
		return 0;
	}

	if (n <= 0) {
		printf("Bail out! /proc/self/exe: %m\n");
		return 1;
	}
	path[n] = '\0';
	slash = strrchr(path, '/');
	strcpy(slash ? slash + 1 : path, "mirror_fuzz");
	fflush(stdout);
	execl(path, "mirror_fuzz", "--calls", calls, (char *)NULL);
	printf("Bail out! %s: %m\n", path);
	return 1;
}
