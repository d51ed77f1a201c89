// SPDX-License-Identifier: GPL-2.0
/*
 * kvmm_lifetime - VM teardown: closing a VM with live mappings, the
 * device file closed first, the owner exiting (or being killed) with a
 * live VM and running vCPUs, a VM file that outlives its owner's address
 * space, close racing vCPU runs, and fork's copy-on-write.
 */
#define _GNU_SOURCE
#include "kvmm_util.h"

#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#define GPA0	0x100000ULL
#define GPA1	0x40000000ULL

/* Send descriptor @fd over the socket @sock. */
static int send_fd(int sock, int fd)
{
	char data = 'v';
	struct iovec iov = { .iov_base = &data, .iov_len = 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -errno;
}

/* Receive a descriptor from @sock; -errno on failure. */
static int recv_fd(int sock)
{
	char data;
	struct iovec iov = { .iov_base = &data, .iov_len = 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *c;
	int fd;

	if (recvmsg(sock, &msg, 0) != 1)
		return -EIO;
	c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return -EIO;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

/*
 * A VM in @flags mode with two slots of @n pages each, written through
 * by the vCPU; returns the VM fd or -1.  The memory is in *@a and *@b.
 */
static int busy_vm(unsigned long flags, unsigned long n, char **a, char **b,
		   uint64_t gen)
{
	size_t len = n * KV_PAGE;
	char *buf = kv_map(len);
	int vm = kv_create_vm(flags);

	*a = kv_map(len);
	*b = kv_map(len);
	if (vm < 0 || !buf || !*a || !*b)
		return -1;
	if (kv_set_slot(vm, 0, 0, GPA0, len, *a) ||
	    kv_set_slot(vm, 1, 0, GPA1, len, *b))
		return -1;
	kv_fill(buf, n, gen);
	if (kv_write(vm, GPA0, buf, len, NULL) ||
	    kv_write(vm, GPA1, buf, len, NULL))
		return -1;
	munmap(buf, len);
	return vm;
}

/* Proves: closing VMs with live (and pinned) mappings tears down cleanly; the stores stay. */
static int case_close_with_live_mappings(void)
{
	const unsigned long n = 1024;
	char *a, *b;
	int i, vm;

	for (i = 0; i < 8; i++) {
		unsigned long flags = i % 2 ? KVMM_VM_PINNED : 0;

		vm = busy_vm(flags, n, &a, &b, 10 + i);
		CHECK(vm >= 0, "VM %d (flags %lu) setup failed", i, flags);
		CHECK_SYS(close(vm));
		CHECK(!kv_check("slot 0 memory after close", a, n, 10 + i),
		      "vCPU stores lost");
		CHECK(!kv_check("slot 1 memory after close", b, n, 10 + i),
		      "vCPU stores lost");
		CHECK_SYS(munmap(a, n * KV_PAGE));
		CHECK_SYS(munmap(b, n * KV_PAGE));
	}
	return KTAP_PASS;
}

/* Proves: VMs work after /dev/kvm_mirror is closed, independently of each other. */
static int case_dev_closed_first(void)
{
	const unsigned long n = 16;
	char *mem = kv_map(n * KV_PAGE), *buf = kv_map(n * KV_PAGE);
	struct kvmm_stats st;
	int dev, vm1, vm2;

	CHECK(mem && buf, "mmap: %s", strerror(errno));
	kv_fill(mem, n, 3);
	dev = kv_open_dev();
	CHECK(dev >= 0, "no device");
	vm1 = ioctl(dev, KVMM_CREATE_VM, 0UL);
	CHECK_SYS(vm1);
	vm2 = ioctl(dev, KVMM_CREATE_VM, (unsigned long)KVMM_VM_PINNED);
	CHECK_SYS(vm2);
	CHECK_SYS(close(dev));

	CHECK_EQ(kv_set_slot(vm1, 0, 0, GPA0, n * KV_PAGE, mem), 0);
	CHECK_EQ(kv_set_slot(vm2, 0, 0, GPA1, n * KV_PAGE, mem), 0);
	CHECK_EQ(kv_read(vm1, GPA0, buf, n * KV_PAGE, NULL), 0);
	CHECK(!kv_check("VM 1", buf, n, 3), "wrong data");
	CHECK_SYS(close(vm1));
	CHECK_EQ(kv_read(vm2, GPA1, buf, n * KV_PAGE, NULL), 0);
	CHECK(!kv_check("VM 2", buf, n, 3), "wrong data");
	CHECK_EQ(kv_stats(vm2, &st), 0);
	CHECK_EQ(st.pages_pinned, n);
	CHECK_SYS(close(vm2));
	return KTAP_PASS;
}

/* Proves: pinned pages cannot be reclaimed while the VM lives, and can once it is closed. */
static int case_close_unpins(void)
{
	const unsigned long n = 512;
	size_t len = n * KV_PAGE;
	char *mem = kv_map(len), *buf = kv_map(len);
	long res;
	int vm;

	if (!kv_have_swap(n))
		return ktap_skip_case("no swap configured");
	CHECK(!mt_pin_cpu(), "sched_setaffinity: %s", strerror(errno));
	CHECK(mem && buf, "mmap: %s", strerror(errno));
	kv_fill(mem, n, 4);
	CREATE_VM(vm, KVMM_VM_PINNED);
	CHECK_EQ(kv_set_slot(vm, 0, 0, GPA0, len, mem), 0);
	CHECK_EQ(kv_read(vm, GPA0, buf, len, NULL), 0);
	CHECK_EQ(mt_pageout2(mem, len), 0);
	res = mt_resident(mem, len);
	ktap_diag("pinned VM alive: %ld of %lu pages resident", res, n);
	CHECK_EQ(res, n);

	CHECK_SYS(close(vm));
	CHECK_EQ(mt_pageout2(mem, len), 0);
	res = mt_resident(mem, len);
	ktap_diag("pinned VM closed: %ld of %lu pages resident", res, n);
	CHECK_EQ(res, 0);
	CHECK(!kv_check("memory after swap-in", mem, n, 4), "data lost");
	return KTAP_PASS;
}

/* Proves: processes exiting normally or by SIGKILL with live VMs of both modes tear down cleanly. */
static int case_exit_with_live_vm(void)
{
	int i, status, p[2];
	char *a, *b, c;
	pid_t pid;

	for (i = 0; i < 12; i++) {
		unsigned long flags = i % 2 ? KVMM_VM_PINNED : 0;
		int kill_it = (i / 2) % 2;

		CHECK_SYS(pipe(p));
		pid = fork();
		CHECK_SYS(pid);
		if (pid == 0) {
			close(p[0]);
			if (busy_vm(flags, 512, &a, &b, 20 + i) < 0)
				_exit(1);
			if (write(p[1], "r", 1) != 1)
				_exit(2);
			if (kill_it)
				pause();
			_exit(0);	/* the VM fd is still open */
		}
		close(p[1]);
		CHECK(read(p[0], &c, 1) == 1, "child %d did not get ready", i);
		close(p[0]);
		if (kill_it)
			CHECK_SYS(kill(pid, SIGKILL));
		CHECK_SYS(waitpid(pid, &status, 0));
		if (kill_it)
			CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
			      "child %d: status %#x", i, status);
		else
			CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			      "child %d: status %#x", i, status);
	}
	return KTAP_PASS;
}

/* Child of vm_outlives_owner: make a VM, map @n pages, send it, exit. */
static int outlive_child(int sock, unsigned long flags, unsigned long n)
{
	char *a, *b;
	int vm = busy_vm(flags, n, &a, &b, 30);

	if (vm < 0 || send_fd(sock, vm))
		return 1;
	return 0;
}

static int vm_outlives_owner(unsigned long flags)
{
	const unsigned long n = 256;
	char *mem = kv_map(KV_PAGE);
	struct kvmm_stats st;
	struct kvmm_run run;
	int sv[2], vm, status;
	pid_t pid;

	CHECK(mem, "mmap: %s", strerror(errno));
	CHECK_SYS(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	pid = fork();
	CHECK_SYS(pid);
	if (pid == 0)
		_exit(outlive_child(sv[1], flags, n));
	vm = recv_fd(sv[0]);
	CHECK(vm >= 0, "no VM fd received");
	CHECK_SYS(waitpid(pid, &status, 0));
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "child status %#x", status);

	/* The owner's mm is gone; the VM file is still ours. */
	CHECK_EQ(kv_stats(vm, &st), 0);
	kv_dump_stats("after the owner exited", &st);
	CHECK_EQ(st.nr_slots, 2);
	if (flags & KVMM_VM_PINNED) {
		/* No notifier, no release: the pins stay until close. */
		CHECK_EQ(st.entries, 2 * n);
		CHECK_EQ(st.pages_pinned, 2 * n);
	} else {
		CHECK_EQ(st.invalidations[KV_EV_RELEASE], 1);
		CHECK_EQ(st.entries, 0);
		CHECK(st.flushes >= 1, "release did not flush");
	}
	CHECK_EQ(kv_set_slot(vm, 2, 0, 0x80000000, KV_PAGE, mem), -EIO);
	CHECK_EQ(kv_del_slot(vm, 0), -EIO);
	CHECK_EQ(kv_read(vm, GPA0, mem, KV_PAGE, &run), -EIO);
	CHECK_SYS(close(vm));
	return KTAP_PASS;
}

/* Proves: a VM file held past its owner's exit sees the release (all zapped), refuses use, closes cleanly. */
static int case_vm_outlives_owner(void)
{
	return vm_outlives_owner(0);
}

/* Proves: a pinned VM file held past its owner's exit keeps its pins until it is closed. */
static int case_pinned_vm_outlives_owner(void)
{
	return vm_outlives_owner(KVMM_VM_PINNED);
}

struct spin_arg {
	int vm;
	char *buf;
	size_t len;
	atomic_int *stop;
	long runs;
	int last_err;
};

/* A vCPU thread: run loads and stores until told to stop or refused. */
static void *vcpu_spin(void *p)
{
	struct spin_arg *s = p;
	struct kvmm_access a[2] = {
		{ GPA0, (uintptr_t)s->buf, s->len, 0 },
		{ GPA0, (uintptr_t)s->buf, s->len, KVMM_ACCESS_WRITE },
	};

	while (!atomic_load(s->stop)) {
		int ret = kv_run(s->vm, a, 2, NULL);

		if (ret && ret != -EFAULT) {
			s->last_err = ret;
			break;
		}
		s->runs++;
	}
	return NULL;
}

/* Thread: MADV_DONTNEED the range over and over. */
static void *zapper(void *p)
{
	struct spin_arg *s = p;

	while (!atomic_load(s->stop))
		madvise(s->buf, s->len, MADV_DONTNEED);
	return NULL;
}

/* Child of exit_during_runs: start vCPUs and a zapper, then exit. */
static int runs_then_exit(int ready, unsigned long flags)
{
	const size_t len = 4 * KV_MIB;
	static atomic_int stop;
	struct spin_arg s[4];
	pthread_t t[4];
	char *mem = kv_map(len);
	int vm = kv_create_vm(flags), i;

	if (!mem || vm < 0 || kv_set_slot(vm, 0, 0, GPA0, len, mem))
		return 1;
	for (i = 0; i < 4; i++) {
		s[i] = (struct spin_arg){ .vm = vm, .buf = mem,
					  .len = i == 3 ? len : KV_MIB,
					  .stop = &stop };
		if (pthread_create(&t[i], NULL, i == 3 ? zapper : vcpu_spin,
				   &s[i]))
			return 1;
	}
	usleep(200000);
	if (write(ready, "r", 1) != 1)
		return 1;
	usleep(100000);
	/* exit_group() with every thread busy and the VM open. */
	return 0;
}

/* Proves: a process exiting or killed while vCPUs run and memory is zapped dies promptly and cleanly. */
static int case_exit_during_runs(void)
{
	int i, status, p[2];
	pid_t pid;
	char c;

	for (i = 0; i < 6; i++) {
		int kill_it = i % 2;

		CHECK_SYS(pipe(p));
		pid = fork();
		CHECK_SYS(pid);
		if (pid == 0) {
			close(p[0]);
			_exit(runs_then_exit(p[1],
					     i >= 4 ? KVMM_VM_PINNED : 0));
		}
		close(p[1]);
		CHECK(read(p[0], &c, 1) == 1, "child %d did not start", i);
		close(p[0]);
		if (kill_it)
			CHECK_SYS(kill(pid, SIGKILL));
		CHECK(ktap_wait_for(pid, &status, 30),
		      "child %d did not die within 30 s", i);
		if (!kill_it)
			CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			      "child %d: status %#x", i, status);
	}
	return KTAP_PASS;
}

/* Proves: closing the VM fd while vCPU threads run lets them finish; later runs fail with EBADF. */
static int case_close_during_runs(void)
{
	const size_t len = 2 * KV_MIB;
	static atomic_int stop;
	struct spin_arg s[3];
	pthread_t t[3];
	char *mem = kv_map(len);
	int vm, i;

	CHECK(mem, "mmap: %s", strerror(errno));
	CREATE_VM(vm, 0);
	CHECK_EQ(kv_set_slot(vm, 0, 0, GPA0, len, mem), 0);
	for (i = 0; i < 3; i++) {
		s[i] = (struct spin_arg){ .vm = vm, .buf = mem,
					  .len = i == 2 ? len : len / 2,
					  .stop = &stop };
		CHECK_PT(pthread_create(&t[i], NULL,
					i == 2 ? zapper : vcpu_spin, &s[i]));
	}
	usleep(300000);
	CHECK_SYS(close(vm));
	usleep(100000);
	for (i = 0; i < 2; i++) {
		CHECK_PT(pthread_join(t[i], NULL));
		ktap_diag("vCPU %d: %ld runs, stopped by %s", i, s[i].runs,
			  strerror(-s[i].last_err));
		CHECK(s[i].runs > 0, "vCPU %d never ran", i);
		CHECK_EQ(s[i].last_err, -EBADF);
	}
	atomic_store(&stop, 1);
	CHECK_PT(pthread_join(t[2], NULL));
	return KTAP_PASS;
}

/* Proves: after fork, vCPU stores in the parent break COW: the child keeps its copy, and vice versa. */
static int case_fork_cow(void)
{
	const unsigned long n = 64;
	size_t len = n * KV_PAGE;
	char *mem = kv_map(len), *buf = kv_map(len);
	struct kvmm_stats s0, s1;
	int vm, status, p[2], q[2];
	pid_t pid;
	char c;

	CHECK(mem && buf, "mmap: %s", strerror(errno));
	kv_fill(mem, n, 40);
	CREATE_VM(vm, 0);
	CHECK_EQ(kv_set_slot(vm, 0, 0, GPA0, len, mem), 0);
	kv_fill(buf, n, 41);
	CHECK_EQ(kv_write(vm, GPA0, buf, len, NULL), 0);	/* writable entries */

	CHECK_SYS(pipe(p));
	CHECK_SYS(pipe(q));
	CHECK_EQ(kv_stats(vm, &s0), 0);
	pid = fork();
	CHECK_SYS(pid);
	if (pid == 0) {
		/* Wait for the parent's vCPU stores, check, scribble. */
		if (read(p[0], &c, 1) != 1)
			_exit(1);
		if (kv_check("child copy", mem, n, 41))
			_exit(2);
		kv_fill(mem, n, 43);
		if (write(q[1], "c", 1) != 1)
			_exit(3);
		_exit(0);
	}
	/* fork write-protected the parent's ptes: the entries went. */
	CHECK_EQ(kv_stats(vm, &s1), 0);
	kv_dump_stats("after fork", &s1);
	CHECK_EQ(s1.entries, 0);
	CHECK_EQ(s1.flushes - s0.flushes, 1);

	kv_fill(buf, n, 42);
	CHECK_EQ(kv_write(vm, GPA0, buf, len, NULL), 0);
	CHECK(!kv_check("parent CPU view of vCPU store", mem, n, 42),
	      "parent does not see its vCPU store");
	CHECK(write(p[1], "p", 1) == 1, "pipe: %s", strerror(errno));
	CHECK(read(q[0], &c, 1) == 1, "child failed");
	memset(buf, 0, len);
	CHECK_EQ(kv_read(vm, GPA0, buf, len, NULL), 0);
	CHECK(!kv_check("parent vCPU after child stores", buf, n, 42),
	      "the child's stores leaked into the parent's VM");
	CHECK_SYS(waitpid(pid, &status, 0));
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "child status %#x (2: child saw the parent's store)", status);
	CHECK_SYS(close(vm));
	return KTAP_PASS;
}

static const struct ktap_case cases[] = {
	KTAP_CASE(close_with_live_mappings),
	KTAP_CASE(dev_closed_first),
	KTAP_CASE(close_unpins),
	KTAP_CASE(exit_with_live_vm),
	KTAP_CASE(vm_outlives_owner),
	KTAP_CASE(pinned_vm_outlives_owner),
	KTAP_CASE(exit_during_runs),
	KTAP_CASE(close_during_runs),
	KTAP_CASE(fork_cow),
	KTAP_CASE(kernel_not_tainted),
};

int main(void)
{
	mt_record_taint();
	return ktap_run(cases, ARRAY_SIZE(cases));
}
