// SPDX-License-Identifier: GPL-2.0
/*
 * mirror_fuzz - seeded, reproducible fuzzing of the mirror devices' UAPI
 *
 * Drives /dev/hmm_dmirror0, /dev/hmm_dmirror1, /dev/kvm_mirror and its VM
 * files, /dev/odp_demo, /dev/mirror_sample and, in a boot with the edu
 * device behind the IOMMU, /dev/edu_mirror0 with described calls (mostly
 * valid, corrupted on purpose) and random ioctls from several threads,
 * while chaos threads unmap, remap, protect, advise, fork, exit and
 * reopen the same memory and files.
 * Every result is checked against the UAPI contract; the kernel must not
 * oops, warn, hang or leak.  KTAP, one case per phase:
 *
 *   valid_calls        the descriptions make calls that succeed
 *   ndemo_single       one thread on the dmirror files (exactly repeatable)
 *   kvmm_single        one thread on /dev/kvm_mirror and VMs (repeatable)
 *   odp_single         one thread on two odp_demo PDs (the NIC engine
 *                      runs their work requests)
 *   sample_single      one thread on mirror_sample files (repeatable)
 *   edu_single         one thread on the edu device (skipped without it)
 *   random_ioctls      random numbers and arguments on every file
 *   threads_and_chaos  callers on shared files and memory, chaos threads
 *   exit_under_load    processes killed or exiting in the middle of calls
 *   no_leaks           module references, mirrors and page pins are back
 *   kernel_not_tainted no warning, oops or lockup
 *
 * Usage: mirror_fuzz [--seed S] [--calls N | --seconds S] [--phase NAME]
 *		      [--callers N] [--chaos N] [--replay CALL_SEED]
 *		      [--expose NAME[,NAME...]]
 * FUZZ_SEED, FUZZ_CALLS, FUZZ_SECONDS and FUZZ_EXPOSE set the same from
 * the environment (the command line wins).  --expose makes a known
 * contract gap (fz_known_names[], counted and tolerated by default) fail
 * the run again.  Defaults: seed 0x6d6972726f72 and 25000 calls, the
 * bounded run of "make check" (about half a minute under QEMU's
 * emulation); "make fuzz" runs 10^6.
 * Each phase prints its calls, calls/s and seed; a failure prints the
 * call, its seed, the command that repeats the phase and the last calls
 * of every thread.  --replay runs one call, from the seed a report gives,
 * on a fresh set of files and memory.
 */
#define _GNU_SOURCE
#include "mirror_test_util.h"

#include <dirent.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>

#include "fuzz.h"

#define FZ_DEFAULT_SEED		0x6d6972726f72ULL	/* "mirror" */
#define FZ_DEFAULT_CALLS	25000ULL
/* A call in flight this long is a hang. */
#define FZ_CALL_TIMEOUT		60.0

struct phase;
typedef int (*phase_fn)(const struct phase *ph, struct fz_shared *sh);

struct phase {
	const char *name;
	unsigned int share;		/* per mille of the calls or seconds;
					 * the shares add up to 1000 */
	unsigned int callers, chaos;
	struct fz_mix_cfg mix;
	bool compact;
	phase_fn special;		/* instead of callers and chaos */
	phase_fn check;			/* extra verdict after the run */
};

static struct {
	u64 seed;
	u64 calls;
	double seconds;
	const char *only;
	int callers, chaos;
	u64 replay;
	bool replay_set;
} opt = { FZ_DEFAULT_SEED, FZ_DEFAULT_CALLS, 0, NULL, -1, -1, 0, false };

/* Totals over the phases, shared with the case processes. */
struct totals {
	atomic_uint_fast64_t calls;
	double secs;
	atomic_int phases_failed;
};

static struct totals *totals;

static double now(void)
{
	return ktap_now();
}

/* ---- the phases ---------------------------------------------------------- */

static const struct phase *cur_phase;
static unsigned int cur_index;

/* A phase's part of the calls or the time; all of it with --phase. */
static u64 phase_calls(const struct phase *ph)
{
	u64 n = opt.only ? opt.calls : opt.calls * ph->share / 1000;

	return n < 100 ? 100 : n;
}

static double phase_seconds(const struct phase *ph)
{
	return opt.only ? opt.seconds : opt.seconds * ph->share / 1000;
}

struct caller_arg {
	struct fz_thread t;
	struct fz_world *w;
	u64 budget;			/* calls, or ~0 */
	double deadline;		/* 0: none */
	bool chaos;
	int id;
	pthread_t pt;
};

static void *caller_main(void *p)
{
	struct caller_arg *a = p;
	struct fz_thread *t = &a->t;
	struct fz_shared *sh = a->w->sh;
	char who[24];
	int slot;

	snprintf(who, sizeof(who), "%s%d", a->chaos ? "chaos" : "caller",
		 a->chaos ? a->id - FZ_MAX_CALLERS : a->id);
	if (fz_thread_init(t, a->w, a->id, who)) {
		atomic_store(&sh->failed, 1);
		atomic_store(&sh->stop, 1);
		return NULL;
	}
	if (!a->chaos) {
		slot = atomic_fetch_add(&a->w->ncallers, 1);
		a->w->caller_tids[slot] = t->tid;
	}
	for (t->seq = 0; !atomic_load(&sh->stop); t->seq++) {
		struct fz_call c;

		if (t->seq >= a->budget)
			break;
		if (a->deadline && (t->seq & 7) == 0 && now() > a->deadline)
			break;
		t->rng.s = fz_call_seed(a->w->seed, cur_index, a->id, t->seq);
		if (a->chaos) {
			fz_chaos_op(t);
			usleep(fz_below(&t->rng, 400));
			continue;
		}
		fz_gen_call(t, &c);
		fz_exec(t, &c);
	}
	return NULL;
}

static void noop_handler(int sig)
{
}

static void worker_signals(void)
{
	struct sigaction sa = { .sa_handler = noop_handler };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);	/* no SA_RESTART: calls see EINTR */
	signal(SIGPIPE, SIG_IGN);
}

static void world_setup(struct fz_world *w, const struct phase *ph)
{
	w->mix = ph->mix;
	w->phase_name = ph->name;
	w->child_calls = 20;
	w->compact = ph->compact;
	w->run_seed = opt.seed;
	w->phase_calls = opt.seconds ? 0 : phase_calls(ph);
	if (opt.seconds)
		snprintf(w->repro, sizeof(w->repro),
			 "make fuzz FUZZ_SEED=%#llx FUZZ_SECONDS=%llu",
			 (unsigned long long)opt.seed,
			 (unsigned long long)opt.seconds);
	else
		snprintf(w->repro, sizeof(w->repro),
			 "make fuzz FUZZ_SEED=%#llx FUZZ_CALLS=%llu",
			 (unsigned long long)opt.seed,
			 (unsigned long long)opt.calls);
}

/* Callers and chaos threads on one world until the budget is spent. */
static int run_threads(const struct phase *ph, struct fz_shared *sh,
		       struct fz_world *w, double deadline)
{
	static struct caller_arg args[FZ_MAX_CALLERS + FZ_MAX_CHAOS];
	int ncallers = opt.callers >= 0 ? opt.callers : (int)ph->callers;
	int nchaos = opt.chaos >= 0 ? opt.chaos : (int)ph->chaos;
	u64 budget = phase_calls(ph);
	int i, n = 0, e;

	if (ncallers < 1)
		ncallers = 1;
	if (ncallers > FZ_MAX_CALLERS)
		ncallers = FZ_MAX_CALLERS;
	if (nchaos > FZ_MAX_CHAOS)
		nchaos = FZ_MAX_CHAOS;
	/* Nothing else touches memory: data can be checked. */
	w->quiet = ncallers == 1 && !nchaos &&
		   !(w->mix.devmask & (1U << FT_ODP));
	for (i = 0; i < ncallers + nchaos; i++) {
		struct caller_arg *a = &args[n];

		memset(a, 0, sizeof(*a));
		a->w = w;
		a->chaos = i >= ncallers;
		a->id = a->chaos ? FZ_MAX_CALLERS + i - ncallers : i;
		a->budget = opt.seconds ? ~0ULL : a->chaos ? ~0ULL :
			    budget / ncallers + (i == 0 ? budget % ncallers : 0);
		a->deadline = deadline;
		e = pthread_create(&a->pt, NULL, caller_main, a);
		if (e) {
			fz_out("pthread_create: %s", strerror(e));
			atomic_store(&sh->stop, 1);
			break;
		}
		n++;
	}
	for (i = 0; i < n; i++) {
		if (args[i].chaos)
			continue;
		pthread_join(args[i].pt, NULL);
	}
	atomic_store(&sh->stop, 1);
	for (i = 0; i < n; i++)
		if (args[i].chaos)
			pthread_join(args[i].pt, NULL);
	return 0;
}

static int worker(const struct phase *ph, struct fz_shared *sh)
{
	static struct fz_world w;
	double t0 = now();
	double deadline = opt.seconds ? t0 + phase_seconds(ph) : 0;
	int rc = 0;

	worker_signals();
	if (ph->special)
		return ph->special(ph, sh);
	if (fz_world_init(&w, sh, opt.seed, cur_index))
		return 2;
	world_setup(&w, ph);
	sh->setup_secs = now() - t0;
	run_threads(ph, sh, &w, deadline);
	fz_world_fini(&w);
	if (ph->check && !atomic_load(&sh->failed))
		rc = ph->check(ph, sh);
	return atomic_load(&sh->failed) ? 1 : rc;
}

/*
 * The descriptions must produce calls that work, or the fuzzer only ever
 * tests argument validation: every call the contract lets succeed did so
 * at least once, and most valid calls succeeded.
 */
/* One line per description of the phase's files: calls, successes, errnos. */
static void print_desc(struct fz_shared *sh, unsigned int i)
{
	u64 n = atomic_load(&sh->desc_calls[i]);
	u64 k = atomic_load(&sh->desc_ok[i]);
	char errs[160];
	int e, len = 0;

	errs[0] = '\0';
	for (e = 1; e < FZ_NERRNO && len < (int)sizeof(errs) - 24; e++) {
		u64 x = atomic_load(&sh->desc_err[i][e]);

		if (x)
			len += snprintf(errs + len, sizeof(errs) - len,
					" %s %llu", fz_errname(e),
					(unsigned long long)x);
	}
	fz_out("  %-22s %6llu calls, %6llu succeeded;%s", fz_descs[i].name,
	       (unsigned long long)n, (unsigned long long)k, errs);
}

static int check_valid(const struct phase *ph, struct fz_shared *sh)
{
	u64 calls = 0, ok = 0;
	unsigned int i;
	int rc = 0;

	for (i = 0; i < fz_ndescs; i++) {
		u64 n = atomic_load(&sh->desc_calls[i]);
		u64 k = atomic_load(&sh->desc_ok[i]);

		print_desc(sh, i);
		if (fz_descs[i].flags & FD_NEVER_OK)
			continue;
		calls += n;
		ok += k;
		/* SET_MODE works before a file's first use: no reopen here. */
		if (n >= 10 && !k && !(fz_descs[i].flags & FD_FRESH_ONLY)) {
			fz_out("%s: none of %llu valid calls succeeded",
			       fz_descs[i].name, (unsigned long long)n);
			rc = 1;
		}
	}
	fz_out("valid calls: %llu of %llu succeeded", (unsigned long long)ok,
	       (unsigned long long)calls);
	if (!calls || ok * 2 < calls) {
		fz_out("fewer than half of the valid calls succeeded");
		rc = 1;
	}
	return rc;
}

/* The results of the calls of a phase on the newer devices' files alone. */
static int print_dev_descs(const struct phase *ph, struct fz_shared *sh)
{
	unsigned int i;

	for (i = 0; i < fz_ndescs; i++)
		if (ph->mix.devmask & (1U << fz_descs[i].ftype))
			print_desc(sh, i);
	return 0;
}

/* ---- exit under load ------------------------------------------------------ */

static void __noreturn exit_child(const struct phase *ph,
				  struct fz_shared *sh, u64 seed,
				  bool self_exit)
{
	static struct fz_world w;
	const struct phase sub = {
		.name = ph->name, .share = ph->share, .callers = 2, .chaos = 1,
		.mix = ph->mix,
	};
	struct fz_rng r = { seed };

	if (fz_world_init(&w, sh, seed, cur_index))
		_exit(2);
	world_setup(&w, ph);
	w.whole_phase = true;
	atomic_fetch_add(&sh->forks, 1);	/* ready */
	if (self_exit) {
		/* exit_group() while every thread is inside a call. */
		struct timespec ts = { 0, (20 + fz_below(&r, 200)) * 1000000L };
		static struct caller_arg args[3];
		int i;

		for (i = 0; i < 3; i++) {
			args[i].w = &w;
			args[i].chaos = i == 2;
			args[i].id = i == 2 ? FZ_MAX_CALLERS : i;
			args[i].budget = ~0ULL;
			pthread_create(&args[i].pt, NULL, caller_main, &args[i]);
		}
		nanosleep(&ts, NULL);
		_exit(atomic_load(&sh->failed) ? 1 : 0);
	}
	run_threads(&sub, sh, &w, 0);
	_exit(atomic_load(&sh->failed) ? 1 : 0);
}

static void dump_stacks(pid_t pid);

/* A reaped process's rings are no longer watched for hangs. */
static void forget_pid(struct fz_shared *sh, pid_t pid)
{
	int i;

	for (i = 0; i < FZ_MAX_RINGS; i++)
		if (atomic_load(&sh->ring[i].pid) == pid)
			atomic_store(&sh->ring[i].pid, 0);
}

/*
 * Processes with callers and chaos threads on their own files are killed
 * with SIGKILL, or call exit_group(), in the middle of their calls; each
 * must be gone within 30 s, leaving nothing behind.
 */
static int exit_under_load(const struct phase *ph, struct fz_shared *sh)
{
	u64 target = phase_calls(ph);
	double deadline = opt.seconds ? now() + phase_seconds(ph) : 0;
	unsigned int round, killed = 0, exited = 0;

	for (round = 0; !atomic_load(&sh->stop); round++) {
		u64 seed = fz_call_seed(opt.seed, cur_index, 99, round);
		struct fz_rng r = { seed };
		bool self_exit = fz_pct(&r, 25);
		unsigned int ready = atomic_load(&sh->forks);
		double t0 = now();
		int status;
		pid_t pid;

		if (deadline ? now() > deadline :
		    (atomic_load(&sh->calls) >= target && round >= 3))
			break;
		pid = fork();
		if (pid < 0)
			return 2;
		if (pid == 0)
			exit_child(ph, sh, seed, self_exit);
		while (atomic_load(&sh->forks) == ready && now() - t0 < 60 &&
		       waitpid(pid, &status, WNOHANG) == 0)
			usleep(2000);
		if (!self_exit) {
			usleep(20000 + fz_below(&r, 200000));
			kill(pid, SIGKILL);
		}
		t0 = now();
		while (waitpid(pid, &status, WNOHANG) == 0) {
			if (now() - t0 > 30) {
				fz_out("HANG: process %d did not go within 30 s of %s",
				       pid, self_exit ? "its exit" : "SIGKILL");
				dump_stacks(pid);
				atomic_store(&sh->failed, 1);
				return 1;
			}
			usleep(5000);
		}
		if (WIFEXITED(status) && WEXITSTATUS(status) == 2) {
			fz_out("round %u: the child could not set up", round);
			return 1;
		}
		forget_pid(sh, pid);
		if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
			killed++;
		else
			exited++;
	}
	fz_out("%u processes: %u killed in the middle of calls, %u exited by themselves",
	       round, killed, exited);
	return atomic_load(&sh->failed) ? 1 : 0;
}

#define ALL_FILES	((1U << FT_ND) | (1U << FT_KDEV) | (1U << FT_VM) | \
			 (1U << FT_ODP) | (1U << FT_SAMPLE) | (1U << FT_EDU))

static const struct phase phases[] = {
	{ .name = "valid_calls", .share = 30, .callers = 1,
	  .mix = { ALL_FILES, 0, 0, 0, 0, 0 }, .check = check_valid },
	{ .name = "ndemo_single", .share = 110, .callers = 1,
	  .mix = { 1U << FT_ND, 10, 70, 5, 5, 8 } },
	{ .name = "kvmm_single", .share = 110, .callers = 1,
	  .mix = { (1U << FT_KDEV) | (1U << FT_VM), 10, 70, 5, 5, 8 } },
	{ .name = "odp_single", .share = 90, .callers = 1,
	  .mix = { 1U << FT_ODP, 10, 70, 5, 5, 8 }, .check = print_dev_descs },
	{ .name = "sample_single", .share = 20, .callers = 1,
	  .mix = { 1U << FT_SAMPLE, 10, 70, 5, 5, 8 },
	  .check = print_dev_descs },
	{ .name = "edu_single", .share = 10, .callers = 1,
	  .mix = { 1U << FT_EDU, 10, 70, 5, 5, 8 }, .check = print_dev_descs },
	{ .name = "random_ioctls", .share = 70, .callers = 2,
	  .mix = { ALL_FILES, 100, 0, 0, 0, 0 } },
	{ .name = "threads_and_chaos", .share = 510, .callers = 3, .chaos = 2,
	  .mix = { ALL_FILES, 5, 50, 3, 3, 5 }, .compact = true },
	{ .name = "exit_under_load", .share = 50, .callers = 2, .chaos = 1,
	  .mix = { ALL_FILES, 5, 50, 3, 3, 5 }, .special = exit_under_load },
};

/* ---- the supervisor -------------------------------------------------------- */

static void cat_file(const char *path, const char *label)
{
	char buf[2048], *line, *save;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		fz_out("  %s: %s", label, line);
}

/* Kernel stacks of every thread of @pid (root can read them). */
static void dump_stacks(pid_t pid)
{
	char path[320], label[300];
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(label, sizeof(label), "task %s wchan", e->d_name);
		snprintf(path, sizeof(path), "/proc/%d/task/%s/wchan", pid,
			 e->d_name);
		cat_file(path, label);
		snprintf(label, sizeof(label), "task %s", e->d_name);
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stack", pid,
			 e->d_name);
		cat_file(path, label);
	}
	closedir(d);
}

/* A call in flight for longer than FZ_CALL_TIMEOUT, in a live process. */
static const struct fz_rec *hung_call(struct fz_shared *sh, int *ring)
{
	double t = now();
	int i, k;

	for (i = 0; i < FZ_MAX_RINGS; i++) {
		pid_t pid = atomic_load(&sh->ring[i].pid);

		if (!pid || kill(pid, 0))
			continue;
		for (k = 0; k < FZ_RING_LEN; k++) {
			const struct fz_rec *r = &sh->ring[i].rec[k];

			if (__atomic_load_n(&r->state, __ATOMIC_ACQUIRE) == 1 &&
			    t - r->t0 > FZ_CALL_TIMEOUT) {
				*ring = i;
				return r;
			}
		}
	}
	return NULL;
}

static void kill_all(struct fz_shared *sh, pid_t worker_pid)
{
	int i;

	kill(worker_pid, SIGKILL);
	for (i = 0; i < FZ_MAX_RINGS; i++) {
		pid_t pid = atomic_load(&sh->ring[i].pid);

		if (pid > 0 && pid != getpid())
			kill(pid, SIGKILL);
	}
}

/*
 * Wait for the worker; a call in flight for FZ_CALL_TIMEOUT, or no call
 * or chaos operation finishing for as long, is a hang: report it with
 * the kernel stacks and the last calls, then kill everything.
 */
static int supervise(struct fz_shared *sh, pid_t pid, int *status)
{
	const struct fz_rec *r = NULL;
	u64 done = 0, last_done = ~0ULL;
	double last_change = now();
	char line[768];
	int ring = 0, i;

	for (;;) {
		if (waitpid(pid, status, WNOHANG) == pid)
			return 0;
		r = hung_call(sh, &ring);
		if (r)
			break;
		done = atomic_load(&sh->calls) + atomic_load(&sh->chaos_ops);
		if (done != last_done) {
			last_done = done;
			last_change = now();
		} else if (now() - last_change > FZ_CALL_TIMEOUT) {
			break;
		}
		usleep(100000);
	}
	if (r) {
		fz_format_rec(r, line, sizeof(line));
		fz_out("HANG: %s has been in this call for %.0f s: %s",
		       sh->ring[ring].who, now() - r->t0, line);
		dump_stacks(atomic_load(&sh->ring[ring].pid));
	} else {
		fz_out("HANG: no call finished for %.0f s", now() - last_change);
		dump_stacks(pid);
	}
	fz_dump_rings(sh, 40);
	kill_all(sh, pid);
	for (i = 0; i < 100; i++) {
		if (waitpid(pid, status, WNOHANG) == pid)
			return -1;
		usleep(100000);
	}
	fz_out("the worker is stuck in the kernel even after SIGKILL");
	return -1;
}

static int run_phase(unsigned int idx)
{
	const struct phase *ph = &phases[idx];
	struct fz_shared *sh;
	double t0, dt;
	int status = 0, rc;
	unsigned int i;
	u64 calls;
	pid_t pid;

	cur_phase = ph;
	cur_index = idx;
	if (ph->mix.devmask == 1U << FT_EDU &&
	    access("/dev/edu_mirror0", F_OK))
		return ktap_skip_case("no /dev/edu_mirror0 (the edu device is in the boot of qemu-run.sh --iommu-edu)");
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return KTAP_FAIL;
	fflush(stdout);
	t0 = now();
	pid = fork();
	if (pid < 0)
		return KTAP_FAIL;
	if (pid == 0)
		_exit(worker(ph, sh));
	rc = supervise(sh, pid, &status);
	dt = now() - t0;
	calls = atomic_load(&sh->calls);
	fz_out("%s: %llu calls in %.1f s (%.0f calls/s), seed %#llx",
	       ph->name, (unsigned long long)calls, dt, dt > 0 ? calls / dt : 0,
	       (unsigned long long)opt.seed);
	fz_out("%s: set up in %.1f s; %llu succeeded, %llu raced a file change, %llu chaos operations, %llu forks",
	       ph->name, sh->setup_secs,
	       (unsigned long long)atomic_load(&sh->ok),
	       (unsigned long long)atomic_load(&sh->raced),
	       (unsigned long long)atomic_load(&sh->chaos_ops),
	       (unsigned long long)atomic_load(&sh->forks));
	for (i = 0; i < FZ_KNOWN_NR; i++) {
		u64 k = atomic_load(&sh->known[i]);

		if (k)
			fz_out("KNOWN ISSUE %s: %s; tolerated in %llu calls (--expose %s fails on it)",
			       fz_known_names[i], fz_known_desc[i],
			       (unsigned long long)k, fz_known_names[i]);
	}
	atomic_fetch_add(&totals->calls, calls);
	totals->secs += dt;
	if (rc)
		return KTAP_FAIL;
	if (WIFSIGNALED(status)) {
		fz_out("the worker died of signal %d (%s)", WTERMSIG(status),
		       strsignal(WTERMSIG(status)));
		fz_dump_rings(sh, 40);
		return KTAP_FAIL;
	}
	if (WEXITSTATUS(status) || atomic_load(&sh->failed)) {
		if (WEXITSTATUS(status) == 2)
			fz_out("the worker could not set up (see above)");
		return KTAP_FAIL;
	}
	if (!calls) {
		fz_out("no call was made");
		return KTAP_FAIL;
	}
	return KTAP_PASS;
}

/* Proves: described calls succeed where the contract lets them (the fuzzer reaches past validation). */
static int case_valid_calls(void)
{
	return run_phase(0);
}

/* Proves: corrupted and random dmirror calls get their documented results; no oops, splat or hang. */
static int case_ndemo_single(void)
{
	return run_phase(1);
}

/* Proves: corrupted and random kvm_mirror and VM calls get their documented results. */
static int case_kvmm_single(void)
{
	return run_phase(2);
}

/* Proves: corrupted odp_demo verbs get their documented results while the NIC engine runs their work. */
static int case_odp_single(void)
{
	return run_phase(3);
}

/* Proves: mirror_sample setups and reads get their documented results; reads return the memory's bytes. */
static int case_sample_single(void)
{
	return run_phase(4);
}

/* Proves: corrupted edu copies and maps through the IOMMU get their documented results; copies copy. */
static int case_edu_single(void)
{
	return run_phase(5);
}

/* Proves: random ioctl numbers on every file are -ENOTTY on the mirror files and harmless. */
static int case_random_ioctls(void)
{
	return run_phase(6);
}

/* Proves: callers on shared files survive munmap, mprotect, madvise, fork, exit and reopen racing them. */
static int case_threads_and_chaos(void)
{
	return run_phase(7);
}

/* Proves: processes killed or exiting in the middle of calls go away promptly. */
static int case_exit_under_load(void)
{
	return run_phase(8);
}

/* ---- leaks ------------------------------------------------------------------ */

static const char *const leak_mods[] = {
	"mmu_mirror", "notifier_demo", "kvm_mirror", "odp_demo",
	"mirror_sample", "edu_mirror",
};

struct baseline {
	long long ref[ARRAY_SIZE(leak_mods)];
	long long mirrors;
	long long pins;		/* FOLL_PIN acquired - released */
};

static struct baseline base;

static long long read_num(const char *path)
{
	char buf[32];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return strtoll(buf, NULL, 10);
}

static void take_baseline(struct baseline *b)
{
	const char *const *mods = leak_mods;
	char path[64];
	struct dirent *e;
	unsigned int i;
	DIR *d;

	for (i = 0; i < ARRAY_SIZE(leak_mods); i++) {
		snprintf(path, sizeof(path), "/sys/module/%s/refcnt", mods[i]);
		b->ref[i] = read_num(path);
	}
	b->mirrors = -1;
	d = opendir("/sys/kernel/debug/mmu_mirror");
	if (d) {
		b->mirrors = 0;
		while ((e = readdir(d)))
			b->mirrors += e->d_name[0] != '.';
		closedir(d);
	}
	b->pins = mt_proc_value("/proc/vmstat", "nr_foll_pin_acquired") -
		  mt_proc_value("/proc/vmstat", "nr_foll_pin_released");
}

/* Proves: with every fuzzing process gone, no module reference, mirror or page pin is left. */
static int case_no_leaks(void)
{
	const char *const *mods = leak_mods;
	struct baseline b;
	unsigned int i;
	int tries;

	for (tries = 0; tries < 100; tries++) {
		take_baseline(&b);
		if (!memcmp(&b, &base, sizeof(b)))
			return KTAP_PASS;
		usleep(100000);
	}
	for (i = 0; i < ARRAY_SIZE(leak_mods); i++)
		if (b.ref[i] != base.ref[i])
			ktap_diag("%s refcnt %lld, was %lld", mods[i], b.ref[i],
				  base.ref[i]);
	if (b.mirrors != base.mirrors)
		ktap_diag("%lld mirrors in debugfs, were %lld", b.mirrors,
			  base.mirrors);
	if (b.pins != base.pins)
		ktap_diag("%lld pinned pages, were %lld", b.pins, base.pins);
	return KTAP_FAIL;
}

/* ---- main ---------------------------------------------------------------------- */

static void print_usage(void)
{
	fprintf(stderr,
		"usage: mirror_fuzz [--seed S] [--calls N | --seconds S] [--phase NAME]\n"
		"                   [--callers N] [--chaos N] [--replay CALL_SEED]\n"
		"                   [--expose NAME[,NAME...]|all]\n"
		"phases:");
	for (unsigned int i = 0; i < ARRAY_SIZE(phases); i++)
		fprintf(stderr, " %s", phases[i].name);
	fprintf(stderr, "\nknown contract gaps (--expose):");
	for (unsigned int i = 0; i < FZ_KNOWN_NR; i++)
		fprintf(stderr, " %s", fz_known_names[i]);
	fprintf(stderr, "\n");
	exit(2);
}

static u64 parse_u64(const char *s)
{
	char *end;
	u64 v = strtoull(s, &end, 0);

	if (!*s || *end) {
		fprintf(stderr, "mirror_fuzz: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

/* A comma-separated list of known contract gaps to treat as failures. */
static void parse_expose(const char *list)
{
	char buf[256], *tok, *save;
	unsigned int k;

	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		bool found = !strcmp(tok, "all");

		for (k = 0; k < FZ_KNOWN_NR; k++) {
			if (found && !strcmp(tok, "all"))
				fz_expose |= 1U << k;
			if (!strcmp(tok, fz_known_names[k])) {
				fz_expose |= 1U << k;
				found = true;
			}
		}
		if (!found) {
			fprintf(stderr, "mirror_fuzz: no known issue '%s'\n",
				tok);
			print_usage();
		}
	}
}

static void parse(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "calls", required_argument, NULL, 'n' },
		{ "seconds", required_argument, NULL, 't' },
		{ "phase", required_argument, NULL, 'p' },
		{ "callers", required_argument, NULL, 'c' },
		{ "chaos", required_argument, NULL, 'x' },
		{ "replay", required_argument, NULL, 'r' },
		{ "expose", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *e;
	int c;

	e = getenv("FUZZ_SEED");
	if (e && *e)
		opt.seed = parse_u64(e);
	e = getenv("FUZZ_CALLS");
	if (e && *e)
		opt.calls = parse_u64(e);
	e = getenv("FUZZ_SECONDS");
	if (e && *e)
		opt.seconds = (double)parse_u64(e);
	e = getenv("FUZZ_EXPOSE");
	if (e && *e)
		parse_expose(e);
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			opt.seed = parse_u64(optarg);
			break;
		case 'n':
			opt.calls = parse_u64(optarg);
			opt.seconds = 0;
			break;
		case 't':
			opt.seconds = (double)parse_u64(optarg);
			break;
		case 'p':
			opt.only = optarg;
			break;
		case 'c':
			opt.callers = (int)parse_u64(optarg);
			break;
		case 'x':
			opt.chaos = (int)parse_u64(optarg);
			break;
		case 'r':
			opt.replay = parse_u64(optarg);
			opt.replay_set = true;
			break;
		case 'e':
			parse_expose(optarg);
			break;
		default:
			print_usage();
		}
	}
	if (optind != argc)
		print_usage();
}

static const struct phase *find_phase(const char *name)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(phases); i++)
		if (!strcmp(phases[i].name, name))
			return &phases[i];
	fprintf(stderr, "mirror_fuzz: no phase '%s'\n", name);
	print_usage();
	return NULL;
}

/* One call from its seed, on fresh files and memory, described and judged. */
static int replay(const struct phase *ph)
{
	static struct fz_world w;
	static struct fz_thread t;
	struct fz_shared *sh;
	struct fz_call c;
	int rc;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return 2;
	worker_signals();
	if (fz_world_init(&w, sh, opt.seed, (unsigned int)(ph - phases)))
		return 2;
	world_setup(&w, ph);
	if (fz_thread_init(&t, &w, 0, "replay"))
		return 2;
	w.quiet = !(w.mix.devmask & (1U << FT_ODP));
	t.rng.s = opt.replay;
	fz_gen_call(&t, &c);
	rc = fz_exec(&t, &c);
	if (!rc)
		fz_dump_rings(sh, 1);
	fz_out("replayed call %#llx of phase %s: %s",
	       (unsigned long long)opt.replay, ph->name,
	       rc ? "UNEXPECTED result (above)" : "result as the contract says");
	return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
	static int (*const fns[])(void) = {
		case_valid_calls, case_ndemo_single, case_kvmm_single,
		case_odp_single, case_sample_single, case_edu_single,
		case_random_ioctls, case_threads_and_chaos,
		case_exit_under_load,
	};
	struct ktap_case cases[ARRAY_SIZE(phases) + 2];
	unsigned int i, n = 0;
	int rc;

	parse(argc, argv);
	fz_descs_init();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (opt.replay_set) {
		if (!opt.only)
			print_usage();
		return replay(find_phase(opt.only));
	}
	if (opt.only)
		find_phase(opt.only);
	totals = mmap(NULL, sizeof(*totals), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (totals == MAP_FAILED)
		return 2;
	for (i = 0; i < ARRAY_SIZE(phases); i++) {
		u64 secs = opt.seconds ? (u64)phase_seconds(&phases[i]) :
			   phase_calls(&phases[i]) / 50;

		if (opt.only && strcmp(opt.only, phases[i].name))
			continue;
		cases[n].name = phases[i].name;
		cases[n].fn = fns[i];
		cases[n].timeout_s = (unsigned int)(3 * secs + 300);
		n++;
	}
	cases[n++] = (struct ktap_case)KTAP_CASE(no_leaks);
	cases[n++] = (struct ktap_case)KTAP_CASE(kernel_not_tainted);

	mt_record_taint();
	take_baseline(&base);
	ktap_diag("mirror_fuzz: seed %#llx, %s %llu%s", (unsigned long long)opt.seed,
		  opt.seconds ? "seconds" : "calls",
		  opt.seconds ? (unsigned long long)opt.seconds :
		  (unsigned long long)opt.calls,
		  opt.only ? ", one phase" : "");
	rc = ktap_run(cases, (int)n);
	ktap_diag("mirror_fuzz: seed %#llx: %llu calls in %.1f s (%.0f calls/s), %s",
		  (unsigned long long)opt.seed,
		  (unsigned long long)atomic_load(&totals->calls), totals->secs,
		  totals->secs > 0 ? atomic_load(&totals->calls) / totals->secs : 0,
		  rc ? "FAILED" : "passed");
	ktap_diag("repeat with: make fuzz FUZZ_SEED=%#llx %s%llu",
		  (unsigned long long)opt.seed,
		  opt.seconds ? "FUZZ_SECONDS=" : "FUZZ_CALLS=",
		  opt.seconds ? (unsigned long long)opt.seconds :
		  (unsigned long long)opt.calls);
	return rc;
}
