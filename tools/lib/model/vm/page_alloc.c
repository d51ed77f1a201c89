// SPDX-License-Identifier: GPL-2.0
/*
 * model_page_alloc.c - physical frames of the model
 *
 * One contiguous, page-aligned block of nr_frames pages; struct page i
 * describes frame i (pfn i).  Frame 0 is the shared zero page: reserved,
 * never freed, its refcount not tracked.  A freed frame is poisoned and
 * its generation incremented, so a user of a stale frame reads garbage
 * that a data check catches.
 */
#include <stdlib.h>
#include <model/checker.h>
#include "internal.h"

#define MODEL_FREE_POISON	0x6b

static struct page *frames;
static unsigned char *frame_mem;
static unsigned long nr_frames;
static unsigned long frames_used;	/* under phys_lock */
static LIST_HEAD(free_frames);		/* under phys_lock */
static DEFINE_SPINLOCK(phys_lock);

int model_phys_init(unsigned long nr)
{
	unsigned long i;

	frames = calloc(nr, sizeof(*frames));
	frame_mem = aligned_alloc(PAGE_SIZE, nr * PAGE_SIZE);
	if (!frames || !frame_mem || nr < 2) {
		free(frames);
		free(frame_mem);
		return -ENOMEM;
	}
	nr_frames = nr;
	memset(frame_mem, 0, PAGE_SIZE);
	__atomic_or_fetch(&frames[0].flags, BIT(PG_reserved),
			  __ATOMIC_RELAXED);
	atomic_set(&frames[0]._refcount, 1);
	for (i = 1; i < nr; i++)
		list_add_tail(&frames[i].lru, &free_frames);
	frames_used = 0;
	return 0;
}

void model_phys_exit(void)
{
	WARN_ON(frames_used);
	free(frames);
	free(frame_mem);
	frames = NULL;
	frame_mem = NULL;
	INIT_LIST_HEAD(&free_frames);
}

unsigned long model_frames_used(void)
{
	unsigned long n;

	spin_lock(&phys_lock);
	n = frames_used;
	spin_unlock(&phys_lock);
	return n;
}

struct page *model_zero_page(void)
{
	return &frames[0];
}

bool model_is_zero_pfn(unsigned long pfn)
{
	return pfn == 0;
}

/*
 * A pfn past the model's frames means corrupt page tables: there is no
 * page to return, so the test program stops here (model_bug() prints the
 * location and aborts, as BUG_ON() did).
 */
struct page *pfn_to_page(unsigned long pfn)
{
	if (unlikely(pfn >= nr_frames))
		model_bug(__FILE__, __LINE__,
			  "pfn past the model's frames");
	return &frames[pfn];
}

unsigned long page_to_pfn(const struct page *page)
{
	return page - frames;
}

void *page_address(const struct page *page)
{
	return frame_mem + page_to_pfn(page) * PAGE_SIZE;
}

/* Returns a zeroed frame with one reference, or NULL. */
struct page *model_alloc_page(void)
{
	struct page *page = NULL;

	spin_lock(&phys_lock);
	if (!list_empty(&free_frames)) {
		page = list_first_entry(&free_frames, struct page, lru);
		list_del(&page->lru);
		frames_used++;
	}
	spin_unlock(&phys_lock);
	if (!page)
		return NULL;
	__atomic_store_n(&page->flags, 0, __ATOMIC_RELAXED);
	atomic_set(&page->_mapcount, 0);
	atomic_set(&page->pincount, 0);
	atomic_set(&page->_refcount, 1);
	memset(page_address(page), 0, PAGE_SIZE);
	return page;
}

static void model_free_frame(struct page *page)
{
	WARN_ON(page_mapcount(page) || atomic_read(&page->pincount));
	checker_frame_free(page);
	model_lru_del_freed(page);
	WRITE_ONCE(page->anon_mm, NULL);
	memset(page_address(page), MODEL_FREE_POISON, PAGE_SIZE);
	atomic64_inc(&page->generation);
	spin_lock(&phys_lock);
	list_add(&page->lru, &free_frames);
	frames_used--;
	spin_unlock(&phys_lock);
}

void get_page(struct page *page)
{
	if (PageReserved(page))
		return;
	WARN_ON(atomic_inc_return(&page->_refcount) <= 1);
}

void put_page(struct page *page)
{
	int ref;

	if (PageReserved(page))
		return;
	ref = atomic_dec_return(&page->_refcount);
	WARN_ON(ref < 0);
	if (!ref)
		model_free_frame(page);
}

/* Returns true if the page was clean before. */
bool set_page_dirty(struct page *page)
{
	return !(__atomic_fetch_or(&page->flags, BIT(PG_dirty),
				   __ATOMIC_RELAXED) & BIT(PG_dirty));
}

void mark_page_accessed(struct page *page)
{
	__atomic_fetch_or(&page->flags, BIT(PG_referenced), __ATOMIC_RELAXED);
}
