// SPDX-License-Identifier: GPL-2.0
/*
 * kvmm_bad_input - every malformed request to /dev/kvm_mirror and to a VM
 * file fails with the documented negative errno, leaves the VM as it was,
 * and never hurts the kernel.
 */
#define _GNU_SOURCE
#include "kvmm_util.h"

#include <sys/wait.h>

#define GPA0	0x100000ULL

/* Proves: unknown ioctls answer ENOTTY on both files; bad VM flags answer EINVAL. */
static int case_unknown_ioctls(void)
{
	struct kvmm_run run = { 0 };
	int dev, vm;

	dev = kv_open_dev();
	CHECK(dev >= 0, "no device");
	CHECK(ioctl(dev, _IO(KVMM_IOC_MAGIC, 0x3f)) == -1 && errno == ENOTTY,
	      "unknown /dev ioctl: %s", strerror(errno));
	CHECK(ioctl(dev, KVMM_RUN, &run) == -1 && errno == ENOTTY,
	      "KVMM_RUN on /dev: %s", strerror(errno));
	CHECK(ioctl(dev, _IO('H', 0x00)) == -1 && errno == ENOTTY,
	      "foreign ioctl on /dev: %s", strerror(errno));
	CHECK(ioctl(dev, KVMM_CREATE_VM, 0x2UL) == -1 && errno == EINVAL,
	      "CREATE_VM flags 2: %s", strerror(errno));
	CHECK(ioctl(dev, KVMM_CREATE_VM, ~0UL) == -1 && errno == EINVAL,
	      "CREATE_VM flags ~0: %s", strerror(errno));

	vm = ioctl(dev, KVMM_CREATE_VM, 0UL);
	CHECK_SYS(vm);
	CHECK(ioctl(vm, KVMM_CREATE_VM, 0UL) == -1 && errno == ENOTTY,
	      "CREATE_VM on a VM: %s", strerror(errno));
	CHECK(ioctl(vm, _IO(KVMM_IOC_MAGIC, 0x04)) == -1 && errno == ENOTTY,
	      "next ioctl number on a VM: %s", strerror(errno));
	CHECK(ioctl(vm, _IOR(KVMM_IOC_MAGIC, 0x03, int)) == -1 &&
	      errno == ENOTTY, "GET_STATS with a wrong size: %s",
	      strerror(errno));
	CHECK_SYS(close(vm));
	CHECK_SYS(close(dev));
	return KTAP_PASS;
}

/* Proves: malformed memslots are refused like KVM refuses them, and a valid slot survives. */
static int case_bad_memslots(void)
{
	const size_t len = 16 * KV_PAGE;
	char *mem = kv_map(len), *buf = kv_map(len);
	char *k = (char *)0xffff888000000000UL;
	struct kvmm_stats st;
	int vm;

	CHECK(mem && buf, "mmap: %s", strerror(errno));
	CREATE_VM(vm, 0);
	CHECK_EQ(kv_set_slot(vm, 0, 0, GPA0, len, mem), 0);

	CHECK_EQ(kv_set_slot(vm, 1, 0x2, 0x10000000, len, mem), -EINVAL);
	CHECK_EQ(kv_set_slot(vm, 1, ~0U, 0x10000000, len, mem), -EINVAL);
	CHECK_EQ(kv_set_slot(vm, KVMM_MAX_SLOTS, 0, 0x10000000, len, mem),
		 -EINVAL);
	CHECK_EQ(kv_set_slot(vm, 0xffffffffU, 0, 0x10000000, len, mem),
		 -EINVAL);
	CHECK_EQ(kv_set_slot(vm, 1, 0, 0x10000000, len - 1, mem), -EINVAL);
	CHECK_EQ(kv_set_slot(vm, 1, 0, 0x10000000 + 1, len, mem), -EINVAL);
	CHECK_EQ(kv_set_slot(vm, 1, 0, 0x10000000, len, mem + 8), -EINVAL);
	/* Host ranges outside the user address space. */
	CHECK_EQ(kv_set_slot(vm, 1, 0, 0x10000000, len, k), -EINVAL);
	/* Ends past the top of 4- and of 5-level user address spaces. */
	CHECK_EQ(kv_set_slot(vm, 1, 0, 0x10000000, 2 * KV_MIB,
			     (void *)0x00fffffffff00000UL), -EINVAL);
	CHECK_EQ(kv_set_slot(vm, 1, 0, 0x10000000, 0xfffffffffffff000ULL,
			     mem), -EINVAL);
	/* Guest ranges that wrap or exceed the guest physical space. */
	CHECK_EQ(kv_set_slot(vm, 1, 0, 0xfffffffffffff000ULL, 2 * KV_PAGE,
			     mem), -EINVAL);
	CHECK_EQ(kv_set_slot(vm, 1, 0, 1ULL << 57, len, mem), -EINVAL);
	/* Deleting what does not exist. */
	CHECK_EQ(kv_del_slot(vm, 1), -EINVAL);
	CHECK_EQ(kv_del_slot(vm, KVMM_MAX_SLOTS), -EINVAL);
	/* Overlapping guest ranges: before, after, inside, around. */
	CHECK_EQ(kv_set_slot(vm, 1, 0, GPA0 - KV_PAGE, 2 * KV_PAGE, buf),
		 -EEXIST);
	CHECK_EQ(kv_set_slot(vm, 1, 0, GPA0 + len - KV_PAGE, len, buf),
		 -EEXIST);
	CHECK_EQ(kv_set_slot(vm, 1, 0, GPA0 + KV_PAGE, KV_PAGE, buf),
		 -EEXIST);
	CHECK_EQ(kv_set_slot(vm, 1, 0, GPA0 - KV_PAGE, len + 2 * KV_PAGE,
			     buf), -EEXIST);
	/* An existing slot may only move. */
	CHECK_EQ(kv_set_slot(vm, 0, 0, GPA0, len, buf), -EINVAL);
	CHECK_EQ(kv_set_slot(vm, 0, 0, GPA0, len / 2, mem), -EINVAL);
	CHECK_EQ(kv_set_slot(vm, 0, KVMM_MEM_READONLY, GPA0, len, mem),
		 -EINVAL);
	CHECK_EQ(kv_set_slot(vm, 0, 0, GPA0, len, mem), 0);	/* no-op */
	/* A NULL or unmapped argument. */
	CHECK(ioctl(vm, KVMM_SET_MEMSLOT, NULL) == -1 && errno == EFAULT,
	      "SET_MEMSLOT(NULL): %s", strerror(errno));
	CHECK(ioctl(vm, KVMM_SET_MEMSLOT, k) == -1 && errno == EFAULT,
	      "SET_MEMSLOT(kernel pointer): %s", strerror(errno));
	CHECK(ioctl(vm, KVMM_GET_STATS, NULL) == -1 && errno == EFAULT,
	      "GET_STATS(NULL): %s", strerror(errno));

	/* Adjacent is not overlapping. */
	CHECK_EQ(kv_set_slot(vm, 1, 0, GPA0 + len, len, buf), 0);
	CHECK_EQ(kv_stats(vm, &st), 0);
	CHECK_EQ(st.nr_slots, 2);

	/* The slots still work. */
	kv_fill(mem, 16, 3);
	CHECK_EQ(kv_read(vm, GPA0, buf, len, NULL), 0);
	CHECK(!kv_check("read through slot 0", buf, 16, 3), "wrong data");
	CHECK_SYS(close(vm));
	return KTAP_PASS;
}

/* Proves: malformed runs and accesses fail with the right errno and report the failing index. */
static int case_bad_runs(void)
{
	const size_t len = 16 * KV_PAGE;
	char *mem = kv_map(len), *ro = kv_map(len), *buf = kv_map(2 * KV_MIB);
	struct kvmm_access a[4];
	struct kvmm_run run;
	int vm;

	CHECK(mem && ro && buf, "mmap: %s", strerror(errno));
	CREATE_VM(vm, 0);
	CHECK_EQ(kv_set_slot(vm, 0, 0, GPA0, len, mem), 0);
	CHECK_EQ(kv_set_slot(vm, 1, KVMM_MEM_READONLY, 0x200000, len, ro), 0);
	kv_fill(mem, 16, 1);
	kv_fill(ro, 16, 2);

	/* The run block itself. */
	memset(&run, 0, sizeof(run));
	run.flags = 1;
	CHECK(ioctl(vm, KVMM_RUN, &run) == -1 && errno == EINVAL,
	      "run flags 1: %s", strerror(errno));
	memset(&run, 0, sizeof(run));
	run.count = KVMM_MAX_RUN_ACCESSES + 1;
	CHECK(ioctl(vm, KVMM_RUN, &run) == -1 && errno == EINVAL,
	      "run count too big: %s", strerror(errno));
	CHECK(ioctl(vm, KVMM_RUN, NULL) == -1 && errno == EFAULT,
	      "KVMM_RUN(NULL): %s", strerror(errno));
	CHECK_EQ(kv_run(vm, NULL, 0, &run), 0);
	CHECK_EQ(run.completed, 0);
	CHECK_EQ(run.error, 0);
	CHECK_EQ(kv_run(vm, NULL, 1, &run), -EFAULT);
	CHECK_EQ(run.completed, 0);
	CHECK_EQ(run.error, -EFAULT);

	/* Bad accesses after two good ones: completed names the bad one. */
	memset(a, 0, sizeof(a));
	a[0] = (struct kvmm_access){ GPA0, (uintptr_t)buf, KV_PAGE, 0 };
	a[1] = (struct kvmm_access){ GPA0 + KV_PAGE, (uintptr_t)buf, 100,
				     KVMM_ACCESS_WRITE };
	a[2] = (struct kvmm_access){ GPA0, (uintptr_t)buf, 0, 0 };
	CHECK_EQ(kv_run(vm, a, 3, &run), -EINVAL);
	CHECK_EQ(run.completed, 2);
	CHECK_EQ(run.error, -EINVAL);
	a[2].len = KVMM_MAX_ACCESS_LEN + 1;
	CHECK_EQ(kv_run(vm, a, 3, &run), -EINVAL);
	CHECK_EQ(run.completed, 2);
	a[2].len = 8;
	a[2].flags = 0x2;
	CHECK_EQ(kv_run(vm, a, 3, &run), -EINVAL);
	a[2].flags = 0;
	a[2].gpa = 0xfffffffffffffffcULL;
	CHECK_EQ(kv_run(vm, a, 3, &run), -EINVAL);
	CHECK_EQ(run.completed, 2);
	/* Guest addresses in no memslot. */
	a[2].gpa = 0x40000000;
	CHECK_EQ(kv_run(vm, a, 3, &run), -EFAULT);
	CHECK_EQ(run.completed, 2);
	CHECK_EQ(run.error, -EFAULT);
	a[2].gpa = 0;
	CHECK_EQ(kv_run(vm, a, 3, &run), -EFAULT);
	/* Straddling the end of slot 0 into nothing. */
	a[2].gpa = GPA0 + len - 8;
	a[2].len = 16;
	CHECK_EQ(kv_run(vm, a, 3, &run), -EFAULT);
	CHECK_EQ(run.completed, 2);
	/* Bad data pointers, for a load and for a store. */
	a[2] = (struct kvmm_access){ GPA0, 0, 64, 0 };
	CHECK_EQ(kv_run(vm, a, 3, &run), -EFAULT);
	CHECK_EQ(run.completed, 2);
	a[2].data = 0xffff888000000000ULL;
	a[2].flags = KVMM_ACCESS_WRITE;
	CHECK_EQ(kv_run(vm, a, 3, &run), -EFAULT);
	CHECK_EQ(run.completed, 2);
	/* A store to the read-only slot; loads from it are fine. */
	a[2] = (struct kvmm_access){ 0x200000, (uintptr_t)buf, 64,
				     KVMM_ACCESS_WRITE };
	CHECK_EQ(kv_run(vm, a, 3, &run), -EPERM);
	CHECK_EQ(run.completed, 2);
	CHECK_EQ(run.error, -EPERM);
	CHECK(!kv_check("read-only slot memory", ro, 16, 2),
	      "a refused store changed memory");
	CHECK_EQ(kv_read(vm, 0x200000, buf, len, &run), 0);
	CHECK(!kv_check("load from read-only slot", buf, 16, 2), "wrong data");

	/* The largest access is fine. */
	memset(buf, 0, 2 * KV_MIB);
	CHECK_EQ(kv_set_slot(vm, 2, 0, 0x40000000, 2 * KV_MIB,
			     kv_map(2 * KV_MIB)), 0);
	CHECK_EQ(kv_access(vm, 0x40000000 + 8, buf, KVMM_MAX_ACCESS_LEN, 1,
			   &run), 0);
	CHECK_EQ(run.completed, 1);
	CHECK_SYS(close(vm));
	return KTAP_PASS;
}

/* Proves: accesses to memslots over holes, PROT_NONE and read-only host memory fail cleanly. */
static int case_bad_backing(void)
{
	const size_t len = 16 * KV_PAGE;
	char *mem = kv_map(len), *buf = kv_map(len);
	struct kvmm_run run;
	int vm;

	CHECK(mem && buf, "mmap: %s", strerror(errno));
	kv_fill(mem, 16, 5);
	CREATE_VM(vm, 0);
	CHECK_EQ(kv_set_slot(vm, 0, 0, GPA0, len, mem), 0);
	CHECK_EQ(kv_read(vm, GPA0, buf, len, &run), 0);

	CHECK_SYS(mprotect(mem, len, PROT_READ));
	CHECK_EQ(kv_write(vm, GPA0, buf, KV_PAGE, &run), -EPERM);
	CHECK_EQ(kv_read(vm, GPA0, buf, len, &run), 0);
	CHECK(!kv_check("load from read-only host memory", buf, 16, 5),
	      "wrong data");

	CHECK_SYS(mprotect(mem, len, PROT_NONE));
	CHECK_EQ(kv_read(vm, GPA0, buf, KV_PAGE, &run), -EFAULT);
	CHECK_EQ(kv_write(vm, GPA0, buf, KV_PAGE, &run), -EFAULT);

	CHECK_SYS(munmap(mem + KV_PAGE, KV_PAGE));
	CHECK_EQ(kv_read(vm, GPA0 + KV_PAGE, buf, 8, &run), -EFAULT);
	CHECK_EQ(run.completed, 0);
	CHECK_SYS(close(vm));
	return KTAP_PASS;
}

/* Proves: only the VM's owner may change or run it (EIO); anyone holding it may read its stats. */
static int case_foreign_process(void)
{
	const size_t len = 4 * KV_PAGE;
	char *mem = kv_map(len), *buf = kv_map(len);
	struct kvmm_stats st;
	struct kvmm_run run;
	int vm, status;
	pid_t pid;

	CHECK(mem && buf, "mmap: %s", strerror(errno));
	kv_fill(mem, 4, 7);
	CREATE_VM(vm, 0);
	CHECK_EQ(kv_set_slot(vm, 0, 0, GPA0, len, mem), 0);

	pid = fork();
	CHECK_SYS(pid);
	if (pid == 0) {
		if (kv_set_slot(vm, 1, 0, 0x200000, len, mem) != -EIO)
			_exit(1);
		if (kv_del_slot(vm, 0) != -EIO)
			_exit(2);
		if (kv_read(vm, GPA0, buf, len, &run) != -EIO)
			_exit(3);
		if (kv_stats(vm, &st) || st.nr_slots != 1)
			_exit(4);
		_exit(0);
	}
	CHECK_SYS(waitpid(pid, &status, 0));
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "child status %#x", status);
	CHECK_EQ(kv_read(vm, GPA0, buf, len, &run), 0);
	CHECK(!kv_check("owner read after child", buf, 4, 7), "wrong data");
	CHECK_SYS(close(vm));
	return KTAP_PASS;
}

static const struct ktap_case cases[] = {
	KTAP_CASE(unknown_ioctls),
	KTAP_CASE(bad_memslots),
	KTAP_CASE(bad_runs),
	KTAP_CASE(bad_backing),
	KTAP_CASE(foreign_process),
	KTAP_CASE(kernel_not_tainted),
};

int main(void)
{
	mt_record_taint();
	return ktap_run(cases, ARRAY_SIZE(cases));
}
