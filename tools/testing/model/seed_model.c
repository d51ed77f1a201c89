// SPDX-License-Identifier: GPL-2.0
/*
 * seed_model.c - the seed experiment of KVM's MMU notifiers on the model
 *
 * The experiment of tools/kvm-vmm/kvm_seed.c (see "The seed experiment"
 * in Documentation/virt/kvm-mirror.rst), run by the KVM-style client's
 * core (virt/kvm/kvmm_*.c, unchanged) against the model core VM instead
 * of a kernel in QEMU:
 *
 *   1. two VMs, a small and a large one, each the only user of the
 *      anonymous memory of its own model process (as each kvm_seed run is
 *      a process of its own), one memslot at guest physical address 0;
 *      the "vCPU" stores (gpa ^ seed) into every word of guest memory
 *      through KVMM_RUN, page-sized accesses, SEED_RUN_BATCH per run;
 *   2. both VMs stop: they run no more;
 *   3. host pressure on both: two MADV_PAGEOUT calls on the guest memory,
 *      or a hog process writing as much memory as the machine has, with
 *      direct reclaim (model_reclaim()) whenever a frame allocation fails;
 *   4. both resume: the vCPU loads every word back and checks it.
 *
 * In notifier mode the first MADV_PAGEOUT only clears accessed bits (the
 * CPU's directly, the VM's through the helper's aging hooks) and the
 * second swaps everything out; the hog's reclaim does the same in two
 * passes of its clock.  In pinned mode (KVMM_VM_PINNED) nothing goes.
 *
 * Each process holds nothing but its guest memory, so its anonymous RSS
 * (mm->rss_anon) is the guest memory's and its swap entries
 * (mm->swap_ents) the guest memory's swap.  The model keeps no swap-in
 * event counter; a resume, which maps and unmaps nothing, can lower
 * swap_ents only through do_swap_page(), so the drop across the resume
 * is the swap-ins, and every frame allocated meanwhile
 * (model_frames_used()) must be one of them.  A page table walk checks
 * that every guest page came back as a private frame of its own.
 *
 * A ps-like table of the figures is printed as KTAP diagnostics by the
 * last experiment case, in kB where the QEMU demo (scripts/seed-demo.sh)
 * prints kB, so that the two can be compared.
 */
#include <stdlib.h>
#include <linux/kvm_mirror.h>
#include <linux/mmu_mirror.h>
#include <linux/mmu_notifier.h>
#include <linux/sched/mm.h>
#include <model/shim.h>
#include <model/vm.h>
#include "../../../virt/kvm/kvmm.h"
#include "ktap.h"

#define SMALL_PAGES	64
#define LARGE_PAGES	256
/* Physical memory: both guests fit with room to spare... */
#define NR_FRAMES	512
/* ...and a hog as large as the machine cannot fit beside them. */
#define HOG_PAGES	NR_FRAMES
/* Reclaim batch of the hog's direct reclaim, and its patience. */
#define HOG_RECLAIM	32
#define HOG_RETRIES	64
/* Page-sized accesses per vCPU run, as kvm_seed's mirror mode. */
#define SEED_RUN_BATCH	256
#define PAGE_KB		(PAGE_SIZE / 1024)

enum seed_pressure { PRESSURE_PAGEOUT, PRESSURE_HOG };

static const char *const pressure_names[] = {
	[PRESSURE_PAGEOUT] = "pageout-x2",
	[PRESSURE_HOG] = "hog",
};

/**
 * struct seed_vm - one VM of the experiment and its figures
 * @name: "small" or "large"
 * @pages: guest memory in pages
 * @seed: xored into every pattern word
 * @mm: the owner process's address space
 * @vm: the VM
 * @hva: the guest memory in @mm
 * @buf: the vCPU's data buffer, @pages pages
 * @rss_stop: owner's anon RSS in pages once the VM stopped
 * @rss_round1: after the first MADV_PAGEOUT (pageout pressure only)
 * @rss_pressed: after the pressure
 * @rss_resumed: after the resume
 * @swapouts: swap entries the pressure created
 * @swapins: swap entries the resume consumed
 * @frames_resume: frames allocated during the resume
 * @st_stop: VM counters once stopped
 * @st_pressed: after the pressure
 * @st_resumed: after the resume
 * @data_ok: every word read back intact
 */
struct seed_vm {
	const char *name;
	unsigned long pages;
	u64 seed;
	struct mm_struct *mm;
	struct kvmm_vm *vm;
	unsigned long hva;
	u64 *buf;
	long rss_stop, rss_round1, rss_pressed, rss_resumed;
	long swapouts, swapins, frames_resume;
	struct kvmm_stats st_stop, st_pressed, st_resumed;
	bool data_ok;
};

/* One row of the table, kept until the table case prints it. */
struct seed_row {
	bool pinned;
	enum seed_pressure pressure;
	const char *vm;
	unsigned long pages;
	long rss_stop, rss_pressed, rss_resumed, swapouts, swapins;
	u64 young_cleared, zapped, pinned_pages;
	unsigned long hog_reclaimed;
	bool data_ok;
};

static struct seed_row rows[8];
static unsigned int nr_rows;

static u64 pattern(const struct seed_vm *g, u64 gpa)
{
	return gpa ^ g->seed;
}

static void as_owner(const struct seed_vm *g)
{
	current->mm = g->mm;
}

static bool vm_stats(struct seed_vm *g, struct kvmm_stats *st)
{
	return kvmm_vm_ioctl(g->vm, KVMM_GET_STATS, st) == 0;
}

/* The owner process, its guest memory and its VM with one memslot. */
static bool seed_vm_create(struct seed_vm *g, const char *name,
			   unsigned long pages, unsigned long flags)
{
	struct kvmm_memslot slot = { .slot = 0, .guest_phys_addr = 0 };
	unsigned long len = pages * PAGE_SIZE;

	memset(g, 0, sizeof(*g));
	g->name = name;
	g->pages = pages;
	g->seed = 0x5eed000000000000ULL | ((u64)pages << 32);
	g->buf = malloc(len);
	KTAP_CHECK(g->buf);
	g->mm = model_mm_create();
	KTAP_CHECK(g->mm);
	g->hva = model_mmap(g->mm, 0, len, VM_READ | VM_WRITE);
	KTAP_CHECK(!IS_ERR_VALUE(g->hva));
	g->vm = kvmm_vm_create(g->mm, flags, name);
	KTAP_CHECK(!IS_ERR(g->vm));
	slot.memory_size = len;
	slot.userspace_addr = g->hva;
	as_owner(g);
	KTAP_CHECK(kvmm_vm_ioctl(g->vm, KVMM_SET_MEMSLOT, &slot) == 0);
	return true;
}

/* The VM file's last close, then the owner's exit. */
static void seed_vm_destroy(struct seed_vm *g)
{
	if (g->vm && !IS_ERR(g->vm))
		kvmm_vm_destroy(g->vm);
	if (g->mm)
		mmput(g->mm);
	free(g->buf);
	current->mm = NULL;
	g->vm = NULL;
	g->mm = NULL;
	g->buf = NULL;
}

/* The vCPU stores or loads all guest memory, one page per access. */
static bool vcpu_all(struct seed_vm *g, bool write)
{
	struct kvmm_access acc[SEED_RUN_BATCH];
	unsigned long p = 0;

	as_owner(g);
	while (p < g->pages) {
		unsigned int i, n = min_t(unsigned long, g->pages - p,
					  SEED_RUN_BATCH);
		struct kvmm_run run = {
			.accesses = (u64)(uintptr_t)acc,
			.count = n,
		};

		for (i = 0; i < n; i++)
			acc[i] = (struct kvmm_access){
				.gpa = (p + i) * PAGE_SIZE,
				.data = (u64)(uintptr_t)((char *)g->buf +
							 (p + i) * PAGE_SIZE),
				.len = PAGE_SIZE,
				.flags = write ? KVMM_ACCESS_WRITE : 0,
			};
		if (kvmm_vm_ioctl(g->vm, KVMM_RUN, &run) || run.error ||
		    run.completed != n) {
			printf("# %s: run at page %lu: error %d after %u\n",
			       g->name, p, run.error, run.completed);
			return false;
		}
		p += n;
	}
	return true;
}

/* Step 1: the guest writes its pattern over all its memory. */
static bool seed_fill(struct seed_vm *g)
{
	unsigned long i, words = g->pages * PAGE_SIZE / sizeof(u64);

	for (i = 0; i < words; i++)
		g->buf[i] = pattern(g, i * sizeof(u64));
	return vcpu_all(g, true);
}

/* Step 4: the guest reads everything back; counts bad words. */
static bool seed_verify(struct seed_vm *g)
{
	unsigned long i, bad = 0, words = g->pages * PAGE_SIZE / sizeof(u64);

	memset(g->buf, 0, g->pages * PAGE_SIZE);
	if (!vcpu_all(g, false))
		return false;
	for (i = 0; i < words; i++)
		if (g->buf[i] != pattern(g, i * sizeof(u64)) && !bad++)
			printf("# %s: first bad word at gpa %#lx\n", g->name,
			       i * sizeof(u64));
	if (bad)
		printf("# %s: %lu bad words\n", g->name, bad);
	return !bad;
}

/*
 * Walk the guest memory's ptes: present private frames (not the zero
 * page) and swap entries.  Cross-checks the mm counters.
 */
static void guest_ptes(struct seed_vm *g, long *frames, long *swapped)
{
	unsigned long p;

	*frames = 0;
	*swapped = 0;
	for (p = 0; p < g->pages; p++) {
		u64 pte = model_pte_read(g->mm, g->hva + p * PAGE_SIZE);

		if ((pte & MODEL_PTE_PRESENT) && model_pte_pfn(pte))
			(*frames)++;
		else if (model_pte_is_swap(pte))
			(*swapped)++;
	}
}

/* The guest stopped: its memory is all resident, all mapped by the VM. */
static bool seed_stop(struct seed_vm *g, bool pinned)
{
	long frames, swapped;

	g->rss_stop = model_mm_rss(g->mm);
	KTAP_CHECK(vm_stats(g, &g->st_stop));
	guest_ptes(g, &frames, &swapped);
	KTAP_CHECK(g->rss_stop == g->pages && frames == g->pages);
	KTAP_CHECK(swapped == 0 && model_mm_swap(g->mm) == 0);
	KTAP_CHECK(g->st_stop.entries == g->pages);
	KTAP_CHECK(g->st_stop.pages_pinned == (pinned ? g->pages : 0));
	return true;
}

/* MADV_PAGEOUT, twice, on the guest memory of one process. */
static bool pressure_pageout(struct seed_vm *g)
{
	unsigned long len = g->pages * PAGE_SIZE;

	KTAP_CHECK(model_madvise_pageout(g->mm, g->hva, len) == 0);
	g->rss_round1 = model_mm_rss(g->mm);
	KTAP_CHECK(model_madvise_pageout(g->mm, g->hva, len) == 0);
	return true;
}

/*
 * A process that writes HOG_PAGES pages of its own and exits.  When no
 * frame is free it reclaims HOG_RECLAIM frames from the LRU head and
 * retries, as the page allocator's direct reclaim would; it fails if
 * reclaim finds nothing HOG_RETRIES times in a row.
 */
static bool pressure_hog(unsigned long *reclaimed)
{
	struct mm_struct *hog = model_mm_create();
	unsigned long addr, p;
	int stuck = 0;
	bool ok = true;

	*reclaimed = 0;
	KTAP_CHECK(hog);
	current->mm = hog;
	addr = model_mmap(hog, 0, HOG_PAGES * PAGE_SIZE, VM_READ | VM_WRITE);
	if (IS_ERR_VALUE(addr))
		ok = false;
	for (p = 0; ok && p < HOG_PAGES; ) {
		u64 word = 0x6065000000000000ULL | p;
		int ret = model_cpu_access(hog, addr + p * PAGE_SIZE, &word,
					   sizeof(word), true);
		unsigned long n;

		if (!ret) {
			p++;
			stuck = 0;
			continue;
		}
		if (ret != -ENOMEM) {
			printf("# hog: page %lu: error %d\n", p, ret);
			ok = false;
			break;
		}
		n = model_reclaim(HOG_RECLAIM);
		*reclaimed += n;
		if (!n && ++stuck == HOG_RETRIES) {
			printf("# hog: reclaim found nothing at page %lu\n", p);
			ok = false;
		}
	}
	mmput(hog);		/* the hog exits: its frames and swap go */
	current->mm = NULL;
	return ok;
}

/* After the pressure: where the guest memory is now. */
static bool seed_pressed(struct seed_vm *g)
{
	long frames, swapped;

	g->rss_pressed = model_mm_rss(g->mm);
	g->swapouts = model_mm_swap(g->mm);
	KTAP_CHECK(vm_stats(g, &g->st_pressed));
	guest_ptes(g, &frames, &swapped);
	KTAP_CHECK(frames == g->rss_pressed && swapped == g->swapouts);
	KTAP_CHECK(g->rss_pressed + g->swapouts == g->pages);
	/* The VM maps nothing the CPU page tables do not. */
	KTAP_CHECK(g->st_pressed.entries <= (u64)g->rss_pressed);
	return true;
}

/*
 * Resume and read back: data intact, and every page that was in swap
 * came back through a swap-in, with no other frame allocated.
 */
static bool seed_resume(struct seed_vm *g)
{
	unsigned long frames0 = model_frames_used();
	long swap0 = model_mm_swap(g->mm), frames, swapped;

	g->data_ok = seed_verify(g);
	g->frames_resume = model_frames_used() - frames0;
	g->swapins = swap0 - model_mm_swap(g->mm);
	g->rss_resumed = model_mm_rss(g->mm);
	KTAP_CHECK(vm_stats(g, &g->st_resumed));
	guest_ptes(g, &frames, &swapped);
	KTAP_CHECK(g->data_ok);
	KTAP_CHECK(g->swapins == g->swapouts && swapped == 0);
	KTAP_CHECK(g->frames_resume == g->swapins);
	KTAP_CHECK(frames == g->pages && g->rss_resumed == g->pages);
	KTAP_CHECK(g->st_resumed.entries == g->pages);
	/* Only the swapped-in pages needed the VM's faults again. */
	KTAP_CHECK(g->st_resumed.pages_mapped - g->st_pressed.pages_mapped ==
		   (u64)(g->pages - g->st_pressed.entries));
	return true;
}

static void record(const struct seed_vm *g, bool pinned,
		   enum seed_pressure pressure, unsigned long hog_reclaimed)
{
	struct seed_row *r;

	if (nr_rows == ARRAY_SIZE(rows))
		return;
	r = &rows[nr_rows++];
	*r = (struct seed_row){
		.pinned = pinned,
		.pressure = pressure,
		.vm = g->name,
		.pages = g->pages,
		.rss_stop = g->rss_stop,
		.rss_pressed = g->rss_pressed,
		.rss_resumed = g->rss_resumed,
		.swapouts = g->swapouts,
		.swapins = g->swapins,
		.young_cleared = g->st_pressed.young_cleared -
				 g->st_stop.young_cleared,
		.zapped = g->st_pressed.pages_zapped - g->st_stop.pages_zapped,
		.pinned_pages = g->st_pressed.pages_pinned,
		.hog_reclaimed = hog_reclaimed,
		.data_ok = g->data_ok,
	};
}

/* Mode-specific expectations on one VM after the pressure. */
static bool check_pressed(const struct seed_vm *g, bool pinned,
			  enum seed_pressure pressure)
{
	const struct kvmm_stats *s0 = &g->st_stop, *s1 = &g->st_pressed;
	unsigned int e;

	if (pinned) {
		/* Reclaim cannot touch a pinned page; nobody tells the VM. */
		KTAP_CHECK(g->rss_pressed == g->pages && g->swapouts == 0);
		KTAP_CHECK(s1->pages_pinned == g->pages);
		KTAP_CHECK(s1->entries == g->pages);
		for (e = 0; e < KVMM_NR_EVENTS; e++)
			KTAP_CHECK(s1->invalidations[e] == 0);
		KTAP_CHECK(s1->young_cleared == 0 && s1->flushes == 0);
		return true;
	}
	/* Everything went, each page after one aging pass found it young. */
	KTAP_CHECK(g->rss_pressed == 0 && g->swapouts == g->pages);
	KTAP_CHECK(s1->entries == 0);
	KTAP_CHECK(s1->pages_zapped - s0->pages_zapped == g->pages);
	KTAP_CHECK(s1->young_cleared - s0->young_cleared == g->pages);
	KTAP_CHECK(s1->invalidations[MMU_NOTIFY_CLEAR] -
		   s0->invalidations[MMU_NOTIFY_CLEAR] == g->pages);
	KTAP_CHECK(s1->dirty_propagated - s0->dirty_propagated == g->pages);
	KTAP_CHECK(s1->tlb_flushes == s1->flushes);
	if (pressure == PRESSURE_PAGEOUT)
		/* 6.1's first MADV_PAGEOUT only finds the pages young. */
		KTAP_CHECK(g->rss_round1 == g->pages);
	return true;
}

/*
 * The experiment on both VMs at once: create, fill, stop both; pressure
 * both; resume both; record the rows.
 */
static bool seed_run(bool pinned, enum seed_pressure pressure)
{
	unsigned long flags = pinned ? KVMM_VM_PINNED : 0;
	struct seed_vm vms[2];
	unsigned long hog_reclaimed = 0;
	bool ok = true;
	unsigned int i;

	memset(vms, 0, sizeof(vms));
	ok = seed_vm_create(&vms[0], "small", SMALL_PAGES, flags) &&
	     seed_vm_create(&vms[1], "large", LARGE_PAGES, flags);
	for (i = 0; ok && i < 2; i++)
		ok = seed_fill(&vms[i]);
	for (i = 0; ok && i < 2; i++)
		ok = seed_stop(&vms[i], pinned);
	if (ok && pressure == PRESSURE_PAGEOUT) {
		for (i = 0; ok && i < 2; i++)
			ok = pressure_pageout(&vms[i]);
	} else if (ok) {
		ok = pressure_hog(&hog_reclaimed);
	}
	for (i = 0; ok && i < 2; i++)
		ok = seed_pressed(&vms[i]) &&
		     check_pressed(&vms[i], pinned, pressure);
	if (ok)
		ok = model_swap_used() ==
		     (unsigned long)(vms[0].swapouts + vms[1].swapouts);
	for (i = 0; ok && i < 2; i++)
		ok = seed_resume(&vms[i]);
	for (i = 0; ok && i < 2; i++)
		record(&vms[i], pinned, pressure, hog_reclaimed);
	for (i = 0; i < 2; i++)
		seed_vm_destroy(&vms[i]);
	KTAP_CHECK(ok);
	KTAP_CHECK(model_frames_used() == 0 && model_swap_used() == 0);
	return true;
}

/* Proves: 2 MADV_PAGEOUTs swap out a stopped VM; it returns intact, by swap-ins only. */
static bool test_mirror_pageout(void)
{
	return seed_run(false, PRESSURE_PAGEOUT);
}

/* Proves: a hog's LRU reclaim swaps out a stopped VM; it returns intact, by swap-ins only. */
static bool test_mirror_hog(void)
{
	return seed_run(false, PRESSURE_HOG);
}

/* Proves: a pinned (pre-notifier) VM keeps all its memory resident under MADV_PAGEOUT. */
static bool test_pinned_pageout(void)
{
	return seed_run(true, PRESSURE_PAGEOUT);
}

/* Proves: a pinned VM keeps all its memory under a hog, which reclaims only its own pages. */
static bool test_pinned_hog(void)
{
	return seed_run(true, PRESSURE_HOG);
}

/* Proves: only notifier mode leaves a stopped VM under 1 MB resident; all data intact. */
static bool test_seed_table(void)
{
	static const char hdr[] =
		"# %-8s %-5s %5s %-10s %8s %11s %11s %8s %7s %7s %6s %6s %s\n";
	static const char row[] =
		"# %-8s %-5s %5lu %-10s %8ld %11ld %11ld %8ld %7ld %7llu %6llu %6llu %s\n";
	unsigned int i;

	KTAP_CHECK(nr_rows == 8);
	printf(hdr, "MODE", "VM", "PAGES", "PRESSURE", "RSS-STOP",
	       "RSS-PRESSED", "RSS-RESUMED", "SWAPOUTS", "SWAPINS",
	       "YOUNG-C", "ZAPPED", "PINNED", "DATA");
	for (i = 0; i < nr_rows; i++) {
		const struct seed_row *r = &rows[i];

		printf(row, r->pinned ? "pinned" : "mirror", r->vm, r->pages,
		       pressure_names[r->pressure], r->rss_stop * PAGE_KB,
		       r->rss_pressed * PAGE_KB, r->rss_resumed * PAGE_KB,
		       r->swapouts, r->swapins,
		       (unsigned long long)r->young_cleared,
		       (unsigned long long)r->zapped,
		       (unsigned long long)r->pinned_pages,
		       r->data_ok ? "ok" : "BAD");
	}
	printf("# RSS-*: the owner process's anonymous RSS in kB (all of it guest\n"
	       "# memory) when stopped, after the pressure, after the resume.\n"
	       "# SWAPOUTS: guest pages in swap after the pressure; SWAPINS:\n"
	       "# guest pages swapped in by the resume (the only frames it\n"
	       "# allocated).  YOUNG-C: VM accessed bits the aging hooks\n"
	       "# cleared; ZAPPED: VM entries the invalidations removed;\n"
	       "# PINNED: pages the VM pins.  Model: %d frames of 4 KiB; the\n"
	       "# hog writes %d pages, reclaiming %d at a time when short.\n",
	       NR_FRAMES, HOG_PAGES, HOG_RECLAIM);
	/* Rows come in pairs, small then large, from one run each. */
	for (i = 0; i < nr_rows; i += 2)
		if (rows[i].pressure == PRESSURE_HOG)
			printf("# the %s run's hog reclaimed %lu frames\n",
			       rows[i].pinned ? "pinned" : "mirror",
			       rows[i].hog_reclaimed);
	for (i = 0; i < nr_rows; i++) {
		const struct seed_row *r = &rows[i];

		KTAP_CHECK(r->data_ok && r->rss_resumed == r->pages);
		KTAP_CHECK(r->pinned ? r->rss_pressed == r->pages :
				       r->rss_pressed * PAGE_KB < 1024);
	}
	return true;
}


static const struct ktap_case cases[] = {
	{ "mirror_pageout", test_mirror_pageout },
	{ "mirror_hog", test_mirror_hog },
	{ "pinned_pageout", test_pinned_pageout },
	{ "pinned_hog", test_pinned_hog },
	{ "seed_table", test_seed_table },
};

int main(int argc, char **argv)
{
	return ktap_model_main(argc, argv, cases, ARRAY_SIZE(cases),
			       NR_FRAMES, true);
}
