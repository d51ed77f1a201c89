// SPDX-License-Identifier: GPL-2.0
/*
 * kvmm_signal - a pending signal stops a vCPU run with -EINTR, also when
 * every access hits the secondary table and no fault is ever taken: a
 * run may copy up to 4 GiB, which must neither delay a signal handler
 * nor keep a killed process alive.  The runs below are long on purpose
 * (thousands of 1 MiB accesses, seconds of copying in a TCG guest), and
 * what they did is checked by its effect on memory, not by time.
 */
#define _GNU_SOURCE
#include "kvmm_util.h"

#include <signal.h>
#include <sys/wait.h>

#define GPA0	0x100000ULL	/* 1 MiB of guest memory */
#define GPA1	0x40000000ULL	/* markers */
#define NACC	KVMM_MAX_RUN_ACCESSES

static atomic_int handled;

static void on_sigusr1(int sig)
{
	atomic_fetch_add(&handled, 1);
}

struct sender {
	pthread_t target;
	volatile uint64_t *started;	/* non-zero once the run is under way */
	atomic_int in_run;	/* the target is in (or about to enter) KVMM_RUN */
	atomic_int stop;
	long sent;
};

/*
 * Thread: once the run has visibly started (its second access stored a
 * marker), signal the target every millisecond while it is in its run.
 * Sending repeatedly makes the test independent of scheduling: some
 * signal arrives while the run is copying.
 */
static void *send_sigusr1(void *p)
{
	struct sender *s = p;

	while (!atomic_load(&s->stop)) {
		if (atomic_load(&s->in_run) && *s->started) {
			if (pthread_kill(s->target, SIGUSR1))
				break;
			s->sent++;
		}
		usleep(1000);
	}
	return NULL;
}

/*
 * Run accesses: even ones load the whole 1 MiB at GPA0 (mapped before,
 * so they never fault), odd access k stores the 8-byte value k at
 * GPA1 + 8 * (k / 2).  After the run, marker k/2 tells whether access k
 * ran.
 */
static struct kvmm_access *marker_run(char *buf, uint64_t *vals)
{
	struct kvmm_access *a = calloc(NACC, sizeof(*a));
	unsigned int k;

	if (!a)
		return NULL;
	for (k = 0; k < NACC; k++) {
		vals[k] = k;
		if (k % 2 == 0)
			a[k] = (struct kvmm_access){ GPA0, (uintptr_t)buf,
						     KVMM_MAX_ACCESS_LEN, 0 };
		else
			a[k] = (struct kvmm_access){ GPA1 + 8 * (k / 2),
						     (uintptr_t)&vals[k], 8,
						     KVMM_ACCESS_WRITE };
	}
	return a;
}

/* Proves: SIGUSR1 during a run of mapped 1 MiB accesses stops it with -EINTR; completed is exact, nothing after it ran. */
static int case_sigusr1_stops_mapped_run(void)
{
	const size_t mlen = NACC / 2 * 8;
	char *mem = kv_map(KV_MIB), *marks = kv_map(mlen);
	char *buf = kv_map(KV_MIB);
	uint64_t *vals = calloc(NACC, sizeof(*vals));
	uint64_t *m = (uint64_t *)marks;
	struct sigaction sa = { .sa_handler = on_sigusr1 };
	struct sender s = { .target = pthread_self(), .started = m };
	struct kvmm_access *a;
	struct kvmm_run run;
	pthread_t t;
	double t0;
	unsigned int k;
	int vm, ret;

	CHECK(mem && marks && buf && vals, "mmap: %s", strerror(errno));
	a = marker_run(buf, vals);
	CHECK(a, "calloc failed");
	kv_fill(mem, KV_MIB / KV_PAGE, 1);
	CHECK_SYS(sigaction(SIGUSR1, &sa, NULL));
	CREATE_VM(vm, 0);
	CHECK_EQ(kv_set_slot(vm, 0, 0, GPA0, KV_MIB, mem), 0);
	CHECK_EQ(kv_set_slot(vm, 1, 0, GPA1, mlen, marks), 0);
	/* Map everything writable, so that the run never faults. */
	CHECK_EQ(kv_write(vm, GPA0, mem, KV_MIB, &run), 0);
	memset(buf, 0, mlen);
	CHECK_EQ(kv_write(vm, GPA1, buf, mlen, &run), 0);

	CHECK_PT(pthread_create(&t, NULL, send_sigusr1, &s));
	t0 = ktap_now();
	atomic_store(&s.in_run, 1);
	ret = kv_run(vm, a, NACC, &run);
	atomic_store(&s.in_run, 0);
	atomic_store(&s.stop, 1);
	CHECK_PT(pthread_join(t, NULL));
	ktap_diag("run returned %d after %.3f s: completed %u of %u, faults %llu, %ld signals sent, %d handled",
		  ret, ktap_now() - t0, run.completed, NACC,
		  (unsigned long long)run.faults, s.sent,
		  atomic_load(&handled));

	CHECK_EQ(ret, -EINTR);
	CHECK_EQ(run.error, -EINTR);
	CHECK(run.completed < NACC, "the run finished despite the signals");
	CHECK(run.completed >= 2, "stopped before the sender started");
	CHECK_EQ(run.faults, 0);
	CHECK(atomic_load(&handled) > 0, "no signal handled");
	for (k = 1; k < NACC; k += 2) {
		uint64_t want = k < run.completed ? k : 0;

		CHECK(m[k / 2] == want,
		      "access %u (completed %u): marker %llu, want %llu", k,
		      run.completed, (unsigned long long)m[k / 2],
		      (unsigned long long)want);
	}
	CHECK(!kv_check("guest memory", mem, KV_MIB / KV_PAGE, 1),
	      "loads changed guest memory");

	/* The VM is fine: the rest of the run can be executed. */
	k = run.completed;
	ret = kv_run(vm, a + k, NACC - k < 16 ? NACC - k : 16, &run);
	CHECK_EQ(ret, 0);
	CHECK(!kv_check("load after the interrupted run", buf,
			KV_MIB / KV_PAGE, 1), "wrong data");
	CHECK_SYS(close(vm));
	return KTAP_PASS;
}

/* Shared between the test and its child. */
struct kill_shared {
	atomic_ullong marks[2];	/* guest memory of the child's VM */
	atomic_int failed;	/* the child's setup failed at this line */
};

#define START_MARK	0x5354415254ULL
#define END_MARK	0x454e44ULL

/*
 * The child: a VM whose slot 1 is the shared page, and one long run:
 * store START_MARK, then load 1 MiB NACC - 2 times, then store END_MARK.
 */
static int killed_child(struct kill_shared *sh)
{
	static uint64_t start = START_MARK, end = END_MARK;
	char *mem = kv_map(KV_MIB), *buf = kv_map(KV_MIB);
	struct kvmm_access *a = calloc(NACC, sizeof(*a));
	struct kvmm_run run;
	unsigned int k;
	int vm = kv_create_vm(0);

	if (!mem || !buf || !a || vm < 0) {
		atomic_store(&sh->failed, __LINE__);
		return 1;
	}
	if (kv_set_slot(vm, 0, 0, GPA0, KV_MIB, mem) ||
	    kv_set_slot(vm, 1, 0, GPA1, KV_PAGE, sh) ||
	    kv_write(vm, GPA0, mem, KV_MIB, &run) ||
	    kv_write(vm, GPA1, sh, KV_PAGE, &run)) {
		atomic_store(&sh->failed, __LINE__);
		return 1;
	}
	a[0] = (struct kvmm_access){ GPA1, (uintptr_t)&start, 8,
				     KVMM_ACCESS_WRITE };
	for (k = 1; k < NACC - 1; k++)
		a[k] = (struct kvmm_access){ GPA0, (uintptr_t)buf,
					     KVMM_MAX_ACCESS_LEN, 0 };
	a[NACC - 1] = (struct kvmm_access){ GPA1 + 8, (uintptr_t)&end, 8,
					    KVMM_ACCESS_WRITE };
	kv_run(vm, a, NACC, &run);
	/* Only reached if the run outlived the SIGKILL. */
	return 0;
}

/* Proves: a process SIGKILLed during a long mapped run dies before the run's last access executes. */
static int case_sigkill_stops_mapped_run(void)
{
	struct kill_shared *sh = mmap(NULL, KV_PAGE, PROT_READ | PROT_WRITE,
				      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	double t0, deadline;
	int status;
	pid_t pid;

	CHECK(sh != MAP_FAILED, "mmap: %s", strerror(errno));
	memset(sh, 0, KV_PAGE);
	pid = fork();
	CHECK_SYS(pid);
	if (pid == 0)
		_exit(killed_child(sh));

	/* The run's first access has executed: the run is under way. */
	deadline = ktap_now() + 60;
	while (atomic_load(&sh->marks[0]) != START_MARK &&
	       !atomic_load(&sh->failed) && ktap_now() < deadline)
		usleep(1000);
	if (atomic_load(&sh->marks[0]) != START_MARK) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		CHECK(0, "child never started its run (setup failed at line %d)",
		      atomic_load(&sh->failed));
	}
	CHECK_SYS(kill(pid, SIGKILL));
	t0 = ktap_now();
	CHECK(ktap_wait_for(pid, &status, 60), "child did not die in 60 s");
	ktap_diag("child died %.3f s after SIGKILL", ktap_now() - t0);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	      "child status %#x", status);
	CHECK(atomic_load(&sh->marks[1]) != END_MARK,
	      "the killed child's run executed its last access");
	CHECK_EQ(atomic_load(&sh->marks[1]), 0);
	return KTAP_PASS;
}

static const struct ktap_case cases[] = {
	KTAP_CASE_TMO(sigusr1_stops_mapped_run, 240),
	KTAP_CASE_TMO(sigkill_stops_mapped_run, 240),
	KTAP_CASE(kernel_not_tainted),
};

int main(void)
{
	mt_record_taint();
	return ktap_run(cases, ARRAY_SIZE(cases));
}
