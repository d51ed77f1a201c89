/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Model shim: module_init()/module_exit() register the functions with the
 * model (a constructor adds them to a static list, no allocation);
 * model_modules_init()/model_modules_exit() run them, so each test decides
 * when "loading" happens.
 */
#ifndef _LINUX_MODULE_H
#define _LINUX_MODULE_H

#include <linux/export.h>
#include <linux/kernel.h>

struct module;
#define THIS_MODULE	((struct module *)0)

struct model_initcall {
	int (*init)(void);
	void (*exit)(void);
	struct model_initcall *next;
};

void model_register_initcall(struct model_initcall *call);

#define module_init(fn)							\
	static struct model_initcall __model_init_##fn = { .init = fn }; \
	__attribute__((constructor)) static void __model_reg_##fn(void) \
	{ model_register_initcall(&__model_init_##fn); }

#define module_exit(fn)							\
	static struct model_initcall __model_exit_##fn = { .exit = fn }; \
	__attribute__((constructor)) static void __model_reg_##fn(void) \
	{ model_register_initcall(&__model_exit_##fn); }

#define MODULE_LICENSE(s)
#define MODULE_DESCRIPTION(s)
#define MODULE_AUTHOR(s)

#endif /* _LINUX_MODULE_H */
