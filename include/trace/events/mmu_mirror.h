/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints of the mmu_mirror helper, under
 * /sys/kernel/tracing/events/mmu_mirror/.  Every event names the mirror
 * (its debugfs name) so that the events of several mirrors can be told
 * apart.  Documentation/mm/mmu_mirror.rst shows how to read a trace.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM mmu_mirror

#if !defined(_TRACE_MMU_MIRROR_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TRACE_MMU_MIRROR_H

#include <linux/tracepoint.h>

/* Names of the MMU_NOTIFY_* events, as in the helper's debugfs stats. */
#define mmu_mirror_show_event(e)					\
	__print_symbolic(e, { 0, "unmap" }, { 1, "clear" },		\
			 { 2, "protection_vma" }, { 3, "protection_page" }, \
			 { 4, "soft_dirty" }, { 5, "release" },		\
			 { 6, "migrate" }, { 7, "exclusive" })

TRACE_EVENT(mmu_mirror_fault,
	    TP_PROTO(const char *name, u64 sva, u64 len, bool write, u64 pages,
		     unsigned long retries, int ret),
	    TP_ARGS(name, sva, len, write, pages, retries, ret),
	    TP_STRUCT__entry(__string(name, name)
			     __field(u64, sva)
			     __field(u64, len)
			     __field(bool, write)
			     __field(u64, pages)
			     __field(unsigned long, retries)
			     __field(int, ret)),
	    TP_fast_assign(__assign_str(name, name);
			   __entry->sva = sva;
			   __entry->len = len;
			   __entry->write = write;
			   __entry->pages = pages;
			   __entry->retries = retries;
			   __entry->ret = ret;),
	    TP_printk("mirror=%s sva=0x%llx len=0x%llx write=%d pages=%llu retries=%lu ret=%d",
		      __get_str(name), __entry->sva, __entry->len,
		      __entry->write, __entry->pages, __entry->retries,
		      __entry->ret)
);

TRACE_EVENT(mmu_mirror_invalidate,
	    TP_PROTO(const char *name, unsigned int event, unsigned long start,
		     unsigned long end, u64 sstart, unsigned long entries,
		     bool blockable),
	    TP_ARGS(name, event, start, end, sstart, entries, blockable),
	    TP_STRUCT__entry(__string(name, name)
			     __field(unsigned int, event)
			     __field(unsigned long, start)
			     __field(unsigned long, end)
			     __field(u64, sstart)
			     __field(unsigned long, entries)
			     __field(bool, blockable)),
	    TP_fast_assign(__assign_str(name, name);
			   __entry->event = event;
			   __entry->start = start;
			   __entry->end = end;
			   __entry->sstart = sstart;
			   __entry->entries = entries;
			   __entry->blockable = blockable;),
	    TP_printk("mirror=%s event=%s hva=0x%lx-0x%lx sva=0x%llx zapped=%lu blockable=%d",
		      __get_str(name), mmu_mirror_show_event(__entry->event),
		      __entry->start, __entry->end, __entry->sstart,
		      __entry->entries, __entry->blockable)
);

TRACE_EVENT(mmu_mirror_flush,
	    TP_PROTO(const char *name),
	    TP_ARGS(name),
	    TP_STRUCT__entry(__string(name, name)),
	    TP_fast_assign(__assign_str(name, name);),
	    TP_printk("mirror=%s",
		      __get_str(name))
);

TRACE_EVENT(mmu_mirror_age,
	    TP_PROTO(const char *name, unsigned long start, unsigned long end,
		     bool clear, unsigned long young),
	    TP_ARGS(name, start, end, clear, young),
	    TP_STRUCT__entry(__string(name, name)
			     __field(unsigned long, start)
			     __field(unsigned long, end)
			     __field(bool, clear)
			     __field(unsigned long, young)),
	    TP_fast_assign(__assign_str(name, name);
			   __entry->start = start;
			   __entry->end = end;
			   __entry->clear = clear;
			   __entry->young = young;),
	    TP_printk("mirror=%s hva=0x%lx-0x%lx clear=%d young=%lu",
		      __get_str(name), __entry->start, __entry->end,
		      __entry->clear, __entry->young)
);

TRACE_EVENT(mmu_mirror_release,
	    TP_PROTO(const char *name, bool destroying),
	    TP_ARGS(name, destroying),
	    TP_STRUCT__entry(__string(name, name)
			     __field(bool, destroying)),
	    TP_fast_assign(__assign_str(name, name);
			   __entry->destroying = destroying;),
	    TP_printk("mirror=%s destroying=%d",
		      __get_str(name), __entry->destroying)
);

DECLARE_EVENT_CLASS(mmu_mirror_window,
		    TP_PROTO(const char *name, unsigned long hva,
			     unsigned long size, u64 sva, int ret),
		    TP_ARGS(name, hva, size, sva, ret),
		    TP_STRUCT__entry(__string(name, name)
				     __field(unsigned long, hva)
				     __field(unsigned long, size)
				     __field(u64, sva)
				     __field(int, ret)),
		    TP_fast_assign(__assign_str(name, name);
				   __entry->hva = hva;
				   __entry->size = size;
				   __entry->sva = sva;
				   __entry->ret = ret;),
		    TP_printk("mirror=%s hva=0x%lx size=0x%lx sva=0x%llx ret=%d",
			      __get_str(name), __entry->hva, __entry->size,
			      __entry->sva, __entry->ret)
);

DEFINE_EVENT(mmu_mirror_window, mmu_mirror_window_add,
	     TP_PROTO(const char *name, unsigned long hva, unsigned long size,
		      u64 sva, int ret),
	     TP_ARGS(name, hva, size, sva, ret)
);

DEFINE_EVENT(mmu_mirror_window, mmu_mirror_window_remove,
	     TP_PROTO(const char *name, unsigned long hva, unsigned long size,
		      u64 sva, int ret),
	     TP_ARGS(name, hva, size, sva, ret)
);

TRACE_EVENT(mmu_mirror_pin,
	    TP_PROTO(const char *name, u64 sva, unsigned long npages,
		     unsigned long pinned, int ret),
	    TP_ARGS(name, sva, npages, pinned, ret),
	    TP_STRUCT__entry(__string(name, name)
			     __field(u64, sva)
			     __field(unsigned long, npages)
			     __field(unsigned long, pinned)
			     __field(int, ret)),
	    TP_fast_assign(__assign_str(name, name);
			   __entry->sva = sva;
			   __entry->npages = npages;
			   __entry->pinned = pinned;
			   __entry->ret = ret;),
	    TP_printk("mirror=%s sva=0x%llx npages=%lu pinned=%lu ret=%d",
		      __get_str(name), __entry->sva, __entry->npages,
		      __entry->pinned, __entry->ret)
);

TRACE_EVENT(mmu_mirror_unpin,
	    TP_PROTO(const char *name, unsigned int dirty, unsigned int clean),
	    TP_ARGS(name, dirty, clean),
	    TP_STRUCT__entry(__string(name, name)
			     __field(unsigned int, dirty)
			     __field(unsigned int, clean)),
	    TP_fast_assign(__assign_str(name, name);
			   __entry->dirty = dirty;
			   __entry->clean = clean;),
	    TP_printk("mirror=%s dirty=%u clean=%u",
		      __get_str(name), __entry->dirty, __entry->clean)
);

#endif /* _TRACE_MMU_MIRROR_H */

/* This part must be outside the include guard. */
#include <trace/define_trace.h>
