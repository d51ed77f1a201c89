// SPDX-License-Identifier: GPL-2.0
/*
 * debugfs.c - in-memory debugfs and seq_file of the model shim
 *
 * Directories and files form a tree of dentries that record each file's
 * operations and data.  model_debugfs_read() opens a file the way the VFS
 * would (open, read the seq_file buffer, release) and returns the text.
 * Dentries come from kzalloc(), so they are counted and fault injection
 * reaches them; like the real debugfs, failures return ERR_PTR().
 */
#include <stdlib.h>
#include <linux/debugfs.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <model/shim.h>

struct dentry {
	char name[64];
	struct dentry *parent;
	struct list_head children;
	struct list_head sibling;
	const struct file_operations *fops;
	void *data;
};

/* Protects the tree shape; files are rendered under it too. */
static DEFINE_MUTEX(debugfs_mutex);
static struct dentry debugfs_top = {
	.children = LIST_HEAD_INIT(debugfs_top.children),
};

static struct dentry *debugfs_new(const char *name, struct dentry *parent,
				  const struct file_operations *fops,
				  void *data)
{
	struct dentry *d;

	if (IS_ERR(parent))
		return parent;
	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return ERR_PTR(-ENOMEM);
	strscpy(d->name, name, sizeof(d->name));
	INIT_LIST_HEAD(&d->children);
	d->fops = fops;
	d->data = data;
	d->parent = parent ? parent : &debugfs_top;
	mutex_lock(&debugfs_mutex);
	list_add_tail(&d->sibling, &d->parent->children);
	mutex_unlock(&debugfs_mutex);
	return d;
}

struct dentry *debugfs_create_dir(const char *name, struct dentry *parent)
{
	return debugfs_new(name, parent, NULL, NULL);
}

struct dentry *debugfs_create_file(const char *name, umode_t mode,
				   struct dentry *parent, void *data,
				   const struct file_operations *fops)
{
	return debugfs_new(name, parent, fops, data);
}

static void debugfs_free(struct dentry *d)
{
	struct dentry *c, *n;

	list_for_each_entry_safe(c, n, &d->children, sibling)
		debugfs_free(c);
	list_del(&d->sibling);
	kfree(d);
}

void debugfs_remove_recursive(struct dentry *d)
{
	if (IS_ERR_OR_NULL(d))
		return;
	mutex_lock(&debugfs_mutex);
	debugfs_free(d);
	mutex_unlock(&debugfs_mutex);
}

/* Write the path of @d below the top into @buf. */
static void debugfs_path(struct dentry *d, char *buf, size_t size)
{
	if (d->parent && d->parent != &debugfs_top) {
		debugfs_path(d->parent, buf, size);
		strncat(buf, "/", size - strlen(buf) - 1);
	}
	strncat(buf, d->name, size - strlen(buf) - 1);
}

static struct dentry *debugfs_walk(struct dentry *d, const char *path,
				   bool prefix)
{
	struct dentry *c, *hit;
	char buf[256];

	if (d != &debugfs_top && d->fops) {
		buf[0] = '\0';
		debugfs_path(d, buf, sizeof(buf));
		if (prefix ? !strncmp(buf, path, strlen(path)) :
			     !strcmp(buf, path))
			return d;
	}
	list_for_each_entry(c, &d->children, sibling) {
		hit = debugfs_walk(c, path, prefix);
		if (hit)
			return hit;
	}
	return NULL;
}

char *model_debugfs_find(const char *prefix)
{
	struct dentry *d;
	char buf[256] = "";

	mutex_lock(&debugfs_mutex);
	d = debugfs_walk(&debugfs_top, prefix, true);
	if (d)
		debugfs_path(d, buf, sizeof(buf));
	mutex_unlock(&debugfs_mutex);
	return d ? strdup(buf) : NULL;
}

/* @name is @pattern, or starts with it up to a final '*'. */
static bool debugfs_name_matches(const char *name, const char *pattern)
{
	size_t n = strlen(pattern);

	if (n && pattern[n - 1] == '*')
		return !strncmp(name, pattern, n - 1);
	return !strcmp(name, pattern);
}

/* Files of the form "@dir/<subdir>/@file"; the tree lock is held. */
static void debugfs_each_in(struct dentry *top, const char *dir,
			    const char *file,
			    void (*fn)(void *data, void *arg), void *arg)
{
	struct dentry *d, *sub, *f;

	list_for_each_entry(d, &top->children, sibling) {
		if (strcmp(d->name, dir))
			continue;
		list_for_each_entry(sub, &d->children, sibling)
			list_for_each_entry(f, &sub->children, sibling)
				if (f->fops &&
				    debugfs_name_matches(f->name, file))
					fn(f->data, arg);
	}
}

bool model_debugfs_for_each(const char *dir, const char *file, bool nowait,
			    void (*fn)(void *data, void *arg), void *arg)
{
	if (nowait) {
		if (!mutex_trylock(&debugfs_mutex))
			return false;
	} else {
		mutex_lock(&debugfs_mutex);
	}
	debugfs_each_in(&debugfs_top, dir, file, fn, arg);
	mutex_unlock(&debugfs_mutex);
	return true;
}

char *model_debugfs_read(const char *path)
{
	struct inode inode = { };
	struct file file = { };
	struct seq_file *m;
	struct dentry *d;
	char *text = NULL;

	mutex_lock(&debugfs_mutex);
	d = debugfs_walk(&debugfs_top, path, false);
	if (!d || !d->fops->open)
		goto out;
	inode.i_private = d->data;
	if (d->fops->open(&inode, &file))
		goto out;
	m = file.private_data;
	if (!m->show(m, m->private))
		text = strndup(m->buf ? m->buf : "", m->count);
	d->fops->release(&inode, &file);
out:
	mutex_unlock(&debugfs_mutex);
	return text;
}

void seq_printf(struct seq_file *m, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(m->buf + m->count, m->size - m->count, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if (m->count + n < m->size)
			break;
		m->size = (m->size + n + 1) * 2;
		m->buf = realloc(m->buf, m->size);
		if (!m->buf)
			model_bug(__FILE__, __LINE__, "seq_file buffer");
	}
	m->count += n;
}

void seq_puts(struct seq_file *m, const char *s)
{
	seq_printf(m, "%s", s);
}

int single_open(struct file *file, int (*show)(struct seq_file *, void *),
		void *data)
{
	struct seq_file *m = kzalloc(sizeof(*m), GFP_KERNEL);

	if (!m)
		return -ENOMEM;
	m->show = show;
	m->private = data;
	file->private_data = m;
	return 0;
}

int single_release(struct inode *inode, struct file *file)
{
	struct seq_file *m = file->private_data;

	free(m->buf);
	kfree(m);
	return 0;
}

ssize_t seq_read(struct file *file, char *buf, size_t len, loff_t *pos)
{
	return -EINVAL;	/* model_debugfs_read() renders directly */
}

loff_t seq_lseek(struct file *file, loff_t off, int whence)
{
	return -EINVAL;
}
