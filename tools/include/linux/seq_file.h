/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Model shim: seq_file for single_open() show functions.  Output grows in
 * a heap buffer that model_debugfs_read() hands to the test.
 */
#ifndef _LINUX_SEQ_FILE_H
#define _LINUX_SEQ_FILE_H

#include <linux/fs.h>

struct seq_file {
	char *buf;
	size_t size;
	size_t count;
	void *private;
	int (*show)(struct seq_file *m, void *v);
};

__printf(2, 3) void seq_printf(struct seq_file *m, const char *fmt, ...);
void seq_puts(struct seq_file *m, const char *s);
int single_open(struct file *file, int (*show)(struct seq_file *, void *),
		void *data);
int single_release(struct inode *inode, struct file *file);
ssize_t seq_read(struct file *file, char *buf, size_t len, loff_t *pos);
loff_t seq_lseek(struct file *file, loff_t off, int whence);

#define DEFINE_SHOW_ATTRIBUTE(__name)					\
static int __name##_open(struct inode *inode, struct file *file)	\
{									\
	return single_open(file, __name##_show, inode->i_private);	\
}									\
static const struct file_operations __name##_fops = {			\
	.open		= __name##_open,				\
	.read		= seq_read,					\
	.llseek		= seq_lseek,					\
	.release	= single_release,				\
}

#endif /* _LINUX_SEQ_FILE_H */
