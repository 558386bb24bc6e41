/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Trace events of tlob (system "tlob"), named and shaped like the events of
 * the kernel's runtime verification monitors.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM tlob

#if !defined(_TLOB_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TLOB_TRACE_H

#include <linux/tracepoint.h>

#include "tlob_compat.h"

/* Every transition of a window's automaton. */
TRACE_EVENT(event_tlob,
	TP_PROTO(int id, const char *state, const char *event,
		 const char *next_state),
	TP_ARGS(id, state, event, next_state),
	TP_STRUCT__entry(
		__field(int, id)
		__string(state, state)
		__string(event, event)
		__string(next_state, next_state)
	),
	TP_fast_assign(
		__entry->id = id;
		tlob_assign_str(state, state);
		tlob_assign_str(event, event);
		tlob_assign_str(next_state, next_state);
	),
	TP_printk("%d: %s x %s -> %s", __entry->id, __get_str(state),
		  __get_str(event), __get_str(next_state))
);

/* A window's budget expired: clk_elapsed < budget no longer holds. */
TRACE_EVENT(error_env_tlob,
	TP_PROTO(int id, const char *state, const char *event, const char *env),
	TP_ARGS(id, state, event, env),
	TP_STRUCT__entry(
		__field(int, id)
		__string(state, state)
		__string(event, event)
		__string(env, env)
	),
	TP_fast_assign(
		__entry->id = id;
		tlob_assign_str(state, state);
		tlob_assign_str(event, event);
		tlob_assign_str(env, env);
	),
	TP_printk("%d: event %s not expected in the state %s with env %s",
		  __entry->id, __get_str(event), __get_str(state),
		  __get_str(env))
);

/* Emitted right after error_env_tlob: who and where the time went. */
TRACE_EVENT(detail_env_tlob,
	TP_PROTO(int id, int tgid, u32 binding, u64 threshold_ns,
		 u64 running_ns, u64 waiting_ns, u64 sleeping_ns),
	TP_ARGS(id, tgid, binding, threshold_ns, running_ns, waiting_ns,
		sleeping_ns),
	TP_STRUCT__entry(
		__field(int, id)
		__field(int, tgid)
		__field(u32, binding)
		__field(u64, threshold_ns)
		__field(u64, running_ns)
		__field(u64, waiting_ns)
		__field(u64, sleeping_ns)
	),
	TP_fast_assign(
		__entry->id = id;
		__entry->tgid = tgid;
		__entry->binding = binding;
		__entry->threshold_ns = threshold_ns;
		__entry->running_ns = running_ns;
		__entry->waiting_ns = waiting_ns;
		__entry->sleeping_ns = sleeping_ns;
	),
	TP_printk("%d: tgid=%d binding=%u threshold_ns=%llu running_ns=%llu waiting_ns=%llu sleeping_ns=%llu",
		  __entry->id, __entry->tgid, __entry->binding,
		  __entry->threshold_ns, __entry->running_ns,
		  __entry->waiting_ns, __entry->sleeping_ns)
);

/* Every completed window (stopped, not discarded). */
TRACE_EVENT(window_tlob,
	TP_PROTO(int id, u32 binding, u64 elapsed_ns, bool violated),
	TP_ARGS(id, binding, elapsed_ns, violated),
	TP_STRUCT__entry(
		__field(int, id)
		__field(u32, binding)
		__field(u64, elapsed_ns)
		__field(bool, violated)
	),
	TP_fast_assign(
		__entry->id = id;
		__entry->binding = binding;
		__entry->elapsed_ns = elapsed_ns;
		__entry->violated = violated;
	),
	TP_printk("%d: binding=%u elapsed_ns=%llu violated=%d",
		  __entry->id, __entry->binding, __entry->elapsed_ns,
		  __entry->violated)
);

#endif /* _TLOB_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE tlob_trace
#include <trace/define_trace.h>
