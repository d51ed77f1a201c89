// SPDX-License-Identifier: GPL-2.0
/*
 * mirror_sample.c - the smallest complete driver on mmu_mirror
 *
 * The "device" reads memory through a table of its own: one entry per
 * page of its window, a physical address with a valid bit.  The helper
 * fills and empties that table through map and unmap; the driver never
 * looks at MMU notifiers.  pread() has the device copy window bytes out
 * the way a device with page faults would: it walks its own table and
 * stops at the first invalid entry; the driver then faults that range in
 * through the helper and lets the device go on.
 */
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/mmu_mirror.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/mirror_sample.h>

#define SAMPLE_VALID	BIT_ULL(0)
#define SAMPLE_MAX_READ	SZ_64K

struct sample {
	struct mutex lock;		/* setup and reads of this file */
	spinlock_t device;		/* held while the device copies */
	struct mm_struct *mm;		/* the opener's */
	struct mmu_mirror *mirror;
	u64 *table;			/* the device's own table */
	unsigned long npages;
};

/* Called under the helper's spinlock: program entries, never sleep. */
static int sample_map(struct mmu_mirror *mirror, u64 sva, const u64 *addrs,
		      unsigned int n, unsigned int flags)
{
	struct sample *s = mmu_mirror_priv(mirror);
	unsigned int per = flags & MMU_MIRROR_MAP_HUGE ? 512 : 1;
	unsigned long idx = sva >> PAGE_SHIFT;
	unsigned int i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < per; j++)
			WRITE_ONCE(s->table[idx++],
				   (addrs[i] + j * PAGE_SIZE) | SAMPLE_VALID);
	return 0;
}

/* Called under the helper's spinlock, before the flush. */
static void sample_unmap(struct mmu_mirror *mirror, u64 sva, u64 size)
{
	struct sample *s = mmu_mirror_priv(mirror);
	unsigned long idx;

	for (idx = sva >> PAGE_SHIFT; idx < (sva + size) >> PAGE_SHIFT; idx++)
		WRITE_ONCE(s->table[idx], 0);
}

/*
 * Called under the helper's spinlock once the table entries are gone:
 * wait until the device finished copying with entries it read before.
 */
static void sample_flush(struct mmu_mirror *mirror)
{
	struct sample *s = mmu_mirror_priv(mirror);

	spin_lock(&s->device);
	spin_unlock(&s->device);
}

static const struct mmu_mirror_ops sample_ops = {
	.flush = sample_flush,
	.map = sample_map,
	.unmap = sample_unmap,
};

/*
 * What the hardware does: copy through the device table only, from
 * *@off on, until done or the first invalid entry.  Returns 0 when done,
 * 1 at a miss (*@off is where).
 */
static int sample_device_copy(struct sample *s, u64 *off, void *dst, u64 end)
{
	int ret = 0;

	spin_lock(&s->device);
	while (*off < end) {
		u64 e = READ_ONCE(s->table[*off >> PAGE_SHIFT]);
		size_t n = min_t(u64, end - *off,
				 PAGE_SIZE - offset_in_page(*off));
		void *src;

		if (!(e & SAMPLE_VALID)) {
			ret = 1;
			break;
		}
		src = kmap_local_page(pfn_to_page(PHYS_PFN(e)));
		memcpy(dst, src + offset_in_page(*off), n);
		kunmap_local(src);
		*off += n;
		dst += n;
	}
	spin_unlock(&s->device);
	return ret;
}

static ssize_t sample_read(struct file *file, char __user *buf, size_t len,
			   loff_t *ppos)
{
	struct sample *s = file->private_data;
	u64 start = *ppos, off, size;
	void *bounce;
	int ret;

	mutex_lock(&s->lock);
	size = (u64)s->npages << PAGE_SHIFT;
	if (!s->mirror || *ppos < 0 || start >= size || !len) {
		mutex_unlock(&s->lock);
		return s->mirror ? 0 : -ENXIO;
	}
	len = min3(len, (size_t)(size - start), (size_t)SAMPLE_MAX_READ);
	bounce = kmalloc(len, GFP_KERNEL);
	ret = bounce ? 1 : -ENOMEM;
	off = start;
	while (ret > 0) {
		ret = sample_device_copy(s, &off, bounce + (off - start),
					 start + len);
		if (ret > 0 && fatal_signal_pending(current))
			ret = -EINTR;
		else if (ret > 0)	/* a device fault at off: map, go on */
			ret = mmu_mirror_fault(s->mirror, off,
					       start + len - off, 0) ?: 1;
	}
	mutex_unlock(&s->lock);
	if (!ret && copy_to_user(buf, bounce, len))
		ret = -EFAULT;
	kfree(bounce);
	if (ret)
		return ret;
	*ppos += len;
	return len;
}

static int sample_setup(struct sample *s,
			struct mirror_sample_setup __user *arg)
{
	struct mirror_sample_setup su;
	struct mmu_mirror_window *win;
	int ret;

	if (copy_from_user(&su, arg, sizeof(su)))
		return -EFAULT;
	if (!su.len || su.len > MIRROR_SAMPLE_MAX_LEN ||
	    !PAGE_ALIGNED(su.addr) || !PAGE_ALIGNED(su.len))
		return -EINVAL;
	if (current->mm != s->mm)
		return -EPERM;
	if (s->mirror)
		return -EBUSY;
	s->table = kvcalloc(su.len >> PAGE_SHIFT, sizeof(*s->table),
			    GFP_KERNEL);
	if (!s->table)
		return -ENOMEM;
	s->mirror = mmu_mirror_create(s->mm, &sample_ops, 0, "sample", s);
	ret = PTR_ERR_OR_ZERO(s->mirror);
	if (!ret) {
		/* Device offset 0 is the window's first byte. */
		win = mmu_mirror_window_add(s->mirror, su.addr, su.len, 0, 0);
		ret = PTR_ERR_OR_ZERO(win);
		if (ret)
			mmu_mirror_destroy(s->mirror);
	}
	if (ret) {
		s->mirror = NULL;
		kvfree(s->table);
		s->table = NULL;
		return ret;
	}
	s->npages = su.len >> PAGE_SHIFT;
	return 0;
}

static long sample_ioctl(struct file *file, unsigned int cmd,
			 unsigned long arg)
{
	struct sample *s = file->private_data;
	long ret = -ENOTTY;

	if (cmd == MIRROR_SAMPLE_SETUP) {
		mutex_lock(&s->lock);
		ret = sample_setup(s, (void __user *)arg);
		mutex_unlock(&s->lock);
	}
	return ret;
}

static int sample_open(struct inode *inode, struct file *file)
{
	struct sample *s;

	if (!current->mm)
		return -EINVAL;
	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	mutex_init(&s->lock);
	spin_lock_init(&s->device);
	s->mm = current->mm;
	mmgrab(s->mm);		/* so the identity check cannot be fooled */
	file->private_data = s;
	return 0;
}

static int sample_release(struct inode *inode, struct file *file)
{
	struct sample *s = file->private_data;

	mmu_mirror_destroy(s->mirror);	/* unmaps everything first */
	kvfree(s->table);
	mmdrop(s->mm);
	kfree(s);
	return 0;
}

static const struct file_operations sample_fops = {
	.owner		= THIS_MODULE,
	.open		= sample_open,
	.release	= sample_release,
	.read		= sample_read,
	.unlocked_ioctl	= sample_ioctl,
	.llseek		= default_llseek,
};

static struct miscdevice sample_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "mirror_sample",
	.fops	= &sample_fops,
};

module_misc_device(sample_misc);
MODULE_DESCRIPTION("Minimal driver with its own table on mmu_mirror");
MODULE_LICENSE("GPL");
