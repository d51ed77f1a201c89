// SPDX-License-Identifier: GPL-2.0
/*
 * module.c - module_init()/module_exit() of the model shim
 *
 * Constructors register each function; tests load and unload everything
 * explicitly, in registration order and reverse order respectively.
 */
#include <linux/module.h>
#include <model/shim.h>

static struct model_initcall *initcalls;	/* newest first */

void model_register_initcall(struct model_initcall *call)
{
	call->next = initcalls;
	initcalls = call;
}

static int run_inits(struct model_initcall *call)
{
	int ret;

	if (!call)
		return 0;
	ret = run_inits(call->next);	/* oldest first */
	if (ret || !call->init)
		return ret;
	return call->init();
}

int model_modules_init(void)
{
	return run_inits(initcalls);
}

void model_modules_exit(void)
{
	struct model_initcall *call;

	for (call = initcalls; call; call = call->next)
		if (call->exit)
			call->exit();
}
