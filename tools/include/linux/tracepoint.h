/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Model shim: the TRACE_EVENT() macros turn each event into an empty
 * inline trace_<name>() taking the event's arguments, so the shared code
 * calls its tracepoints unchanged and the compiler still checks them.
 * There is no trace buffer in the model.
 */
#ifndef _LINUX_TRACEPOINT_H
#define _LINUX_TRACEPOINT_H

#include <linux/types.h>

#define TP_PROTO(args...)	args
#define TP_ARGS(args...)	args

#define TRACE_EVENT(name, proto, args, tstruct, assign, print)	\
	static inline void trace_##name(proto)			\
	{							\
	}

#define DECLARE_EVENT_CLASS(name, proto, args, tstruct, assign, print)

#define DEFINE_EVENT(template, name, proto, args)		\
	static inline void trace_##name(proto)			\
	{							\
	}

#endif /* _LINUX_TRACEPOINT_H */
