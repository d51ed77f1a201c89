// SPDX-License-Identifier: GPL-2.0
/*
 * model_swap.c - swap space and swap-in of the model
 *
 * Counterpart of mm/swapfile.c and do_swap_page() in mm/memory.c.  Swap
 * space is an unlinked temporary file, created on first use, of 4 KiB
 * slots; a slot's count is the number of swap ptes naming it (fork
 * duplicates them).  There is no swap cache: reclaim writes a frame to
 * its slot and installs the swap pte under the page-table lock, and
 * swap-in reads the slot under the same lock after checking the pte, so
 * a reader always sees the data written for that pte.  A swapped-in
 * frame is private to the faulting mm and its slot reference dropped.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include "internal.h"

static int swap_fd = -1;		/* under swap_lock */
static unsigned short *swap_map;	/* users per slot, under swap_lock */
static unsigned long swap_slots;	/* size of swap_map */
static unsigned long swap_inuse;	/* slots with users */
static DEFINE_SPINLOCK(swap_lock);

static int swap_open(void)
{
	const char *dir = getenv("TMPDIR");
	char path[256];
	int fd;

	if (!dir)
		dir = "/tmp";
	fd = open(dir, O_TMPFILE | O_RDWR, 0600);
	if (fd >= 0)
		return fd;
	snprintf(path, sizeof(path), "%s/model-swap-XXXXXX", dir);
	fd = mkstemp(path);
	if (fd >= 0)
		unlink(path);
	return fd;
}

/**
 * model_swap_alloc() - take a free swap slot
 *
 * Context: any context; takes swap_lock.
 * Return: the slot number with one user, or -ENOMEM.
 */
long model_swap_alloc(void)
{
	unsigned long i, n;
	long slot = -ENOMEM;

	spin_lock(&swap_lock);
	if (swap_fd < 0)
		swap_fd = swap_open();
	if (swap_fd < 0)
		goto out;
	for (i = 0; i < swap_slots; i++)
		if (!swap_map[i])
			break;
	if (i == swap_slots) {
		unsigned short *map;

		n = swap_slots ? 2 * swap_slots : 64;
		map = realloc(swap_map, n * sizeof(*map));
		if (!map)
			goto out;
		memset(map + swap_slots, 0, (n - swap_slots) * sizeof(*map));
		swap_map = map;
		swap_slots = n;
	}
	swap_map[i] = 1;
	swap_inuse++;
	slot = i;
out:
	spin_unlock(&swap_lock);
	return slot;
}

static int swap_io(unsigned long slot, void *data, bool write)
{
	off_t off = (off_t)slot * PAGE_SIZE;
	ssize_t n;
	int fd;

	spin_lock(&swap_lock);
	fd = swap_fd;
	WARN_ON(slot >= swap_slots || !swap_map[slot]);
	spin_unlock(&swap_lock);
	if (write)
		n = pwrite(fd, data, PAGE_SIZE, off);
	else
		n = pread(fd, data, PAGE_SIZE, off);
	return n == PAGE_SIZE ? 0 : -EIO;
}

/**
 * model_swap_write() - write a frame's data to its slot
 * @slot: a slot with users
 * @data: PAGE_SIZE bytes
 *
 * Context: any context (the model does file I/O under spinlocks).
 * Return: 0 or -EIO.
 */
int model_swap_write(unsigned long slot, const void *data)
{
	return swap_io(slot, (void *)data, true);
}

/**
 * model_swap_read() - read a slot into a frame
 * @slot: a slot with users
 * @data: PAGE_SIZE bytes
 *
 * Context: any context.
 * Return: 0 or -EIO.
 */
int model_swap_read(unsigned long slot, void *data)
{
	return swap_io(slot, data, false);
}

/**
 * model_swap_dup() - add a user to a slot (fork copies a swap pte)
 * @slot: a slot with users
 *
 * Context: any context.
 */
void model_swap_dup(unsigned long slot)
{
	spin_lock(&swap_lock);
	WARN_ON(slot >= swap_slots || !swap_map[slot]);
	swap_map[slot]++;
	spin_unlock(&swap_lock);
}

/**
 * model_swap_free() - drop a user of a slot
 * @slot: a slot with users
 *
 * Context: any context.
 */
void model_swap_free(unsigned long slot)
{
	spin_lock(&swap_lock);
	if (!WARN_ON(slot >= swap_slots || !swap_map[slot]) &&
	    !--swap_map[slot])
		swap_inuse--;
	spin_unlock(&swap_lock);
}

/**
 * model_swap_used() - slots in use
 *
 * Context: any context.
 * Return: the number of slots with at least one swap pte.
 */
unsigned long model_swap_used(void)
{
	unsigned long n;

	spin_lock(&swap_lock);
	n = swap_inuse;
	spin_unlock(&swap_lock);
	return n;
}

/**
 * model_swap_exit() - close the swap file
 *
 * Context: no swap pte left anywhere.
 */
void model_swap_exit(void)
{
	spin_lock(&swap_lock);
	WARN_ON(swap_inuse);
	if (swap_fd >= 0)
		close(swap_fd);
	swap_fd = -1;
	free(swap_map);
	swap_map = NULL;
	swap_slots = 0;
	spin_unlock(&swap_lock);
}

/**
 * model_do_swap_page() - fault a swapped-out page back in
 * @vma: the VMA
 * @addr: faulting address
 * @pte: the pte slot
 * @orig: the swap pte seen there
 *
 * No notifier call: no secondary MMU can map a page that has no pte.
 * The new frame is mapped writable if the VMA allows, and dirty, since
 * its slot is released.
 *
 * Context: mmap_lock held for read, page-table lock not held; may sleep.
 * Return: 0 (also when the pte changed meanwhile: the caller retries),
 * -ENOMEM, -EIO.
 */
int model_do_swap_page(struct vm_area_struct *vma, unsigned long addr,
		       u64 *pte, u64 orig)
{
	struct mm_struct *mm = vma->vm_mm;
	struct page *page;
	int ret = 0;

	mmap_assert_locked(mm);
	page = model_alloc_page();
	if (!page)
		return -ENOMEM;
	model_lru_add(page);
	spin_lock(&mm->page_table_lock);
	if (*pte == orig) {
		ret = model_swap_read(model_pte_slot_nr(orig),
				      page_address(page));
		if (!ret) {
			model_page_add_anon(page, mm, addr);
			*pte = ((u64)page_to_pfn(page) << PAGE_SHIFT) |
			       MODEL_PTE_PRESENT | MODEL_PTE_YOUNG |
			       MODEL_PTE_DIRTY |
			       ((vma->vm_flags & VM_WRITE) ?
				MODEL_PTE_WRITE : 0);
			atomic_long_dec(&mm->swap_ents);
			model_swap_free(model_pte_slot_nr(orig));
			page = NULL;
		}
	}
	spin_unlock(&mm->page_table_lock);
	if (page)
		put_page(page);
	return ret;
}
