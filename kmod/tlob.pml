/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tlob.pml - the window lifecycle of tlob.ko, as a Promela model checked
 * with spin by tests/model/run-spin (docs/kmod.md, "The lifecycle model").
 *
 * kmod/tlob.dot is the automaton of one window.  This is the protocol
 * around it: the pool, the task hash, the per-window lock and hrtimer,
 * RCU, windows_in_use, the enable switch, and every actor that opens,
 * steps or closes windows (tlob_window.c, tlob_timer.c, tlob_hooks.c,
 * tlob_pool.c, tlob_hash.c, tlob_dev.c, tlob_uprobe.c, tlob_main.c),
 * racing on several CPUs.
 *
 * Abstractions
 * - Each process is one CPU's worth of activity; a statement or an atomic
 *   block is indivisible; memory is sequentially consistent.
 * - A raw spinlock is a byte: 0 free, else its holder's _pid + 1.  A
 *   critical section that only touches what the lock protects is one
 *   atomic block starting with "lock == 0 ->"; longer ones (opening a
 *   window, a found binding window) take and drop the lock explicitly.
 * - Time is discrete: `now` goes from 0 to TMAX, one tick at any moment.
 *   A budget is BUDGET ticks.  Only t_start and t_last are kept (elapsed
 *   = t_last - t_start), not the per-state breakdown.
 * - hrtimer: QUEUED with an absolute expiry, or IDLE.  It fires once
 *   now + EARLY >= expiry (EARLY is 0: hrtimers do not fire early); its
 *   callback runs in hard irq (an RCU reader) and counts as running until
 *   it returns: hrtimer_try_to_cancel() does nothing then,
 *   hrtimer_cancel() waits.  The callback never re-arms it (but see
 *   BUG_TIMER_REARM).
 * - RCU: a reader sets its _pid bit in rcu_readers; only rmmod's
 *   synchronize_rcu() waits for them.  Slots are type-safe: a closed
 *   window is free again as soon as its closer puts it back, while walks
 *   may still stand on it and its timer callback may still run; they find
 *   it reused, under its lock, by the checks of live and task.
 * - The task hash is one bucket holding every hashed window (the worst
 *   collision case).  A walk visits the slots in order and sees each one
 *   hashed when it gets there, a superset of what an hlist walk sees; it
 *   holds the window it stands on until it reads the next one (->next).
 *   In the code a reused node may lead a walk into another bucket, whose
 *   nulls marker sends it back to the start of its own: it then visits
 *   windows twice, which the model's walk does not (a scheduler event
 *   applied twice at one time changes nothing the second time).
 * - The scheduler probes' per-CPU memory of the task last switched in
 *   (tlob_cpu_last) is the thread's cw: each thread is its own CPU, and in
 *   the code a task switched in on another CPU finds that CPU's memory
 *   updated by the same probe.  NONE: walk; NW: no window; else its slot.
 * - A free window's stale fields are cleared, except the task (walks
 *   compare it before they lock, as the code does).
 * - Not modelled: weak memory ordering; the signal-pending fix-ups (every
 *   scheduler event here is the true one); ring capacity and subscribers
 *   (records are counted per window); tlob_window.gen (one fd per task
 *   here: the owner and binding checks of tlob_self_lock() suffice); the
 *   hooks' attach/detach except at unload; the tracepoint's next task in
 *   sched_switch (each switch in is its own event).
 *
 * Actors: thread (TRACE_START/TRACE_STOP on its fd, the binding's START
 * and STOP uprobes, its own sched_switch probes, execve, exit, closing its
 * fd), waker (its wakeups, from another CPU), one hrtimer per window, the
 * clock, admin (enable=0 then 1, unbind, rmmod).
 *
 * Properties (assertions, plus spin's invalid end states):
 *   reuse      a window taken from the free list is closed, unhashed,
 *              unlocked, unowned and its timer is not queued (walks and
 *              its last callback may still stand on it: type-safe reuse;
 *              the opener waits for that callback before arming it);
 *   one-close  exactly one closer per incarnation (closer_take);
 *   reports    at most one VIOLATION, only while live (expire); a
 *              WINDOW_END only for a completed violated window, once,
 *              after its VIOLATION (window_finish); nothing else after a
 *              discard;
 *   budget     a completed window is violated iff elapsed >= BUDGET, and
 *              has a VIOLATION record iff violated (end_completed); a
 *              window not violated never charged up to its deadline;
 *   events     each scheduler event reaches every window of the task live
 *              at the tracepoint, unless closed meanwhile (sched_probe),
 *              and finds it in the task's previous state (sched_step);
 *   exit/exec  no window of the task survives its exit or exec probe,
 *              which ends only windows of the task;
 *   disable    no window is live once enable=0 has returned (admin);
 *   leak       at rmmod, after synchronize_rcu() and the last reap: every
 *              window free, unhashed, not live, nobody holding it, its
 *              timer idle and not running (before tlob_pool_exit() cancels
 *              them all anyway); windows_in_use and the charges back to 0.
 *
 * Known bugs that these properties catch, one -DBUG_xxx at a time
 * (tests/model/run-spin requires a counterexample for each):
 *   BUG_STOP_NO_DEADLINE  STOP does not apply the deadline rule
 *   BUG_INUSE_LATE        windows_in_use++ once the window is live
 *   BUG_DISCARD_NO_RECHECK  exit/exec ends a window found for the task
 *                         without checking the task again under its lock
 *                         (the slot may have been reused by another)
 *   BUG_STALE_MEMORY      opening a window leaves the per-CPU memory of
 *                         the switched-in task as it was
 *   BUG_CLEAR_UNLOCKED    a discarding closer clears live after unlocking
 *   BUG_ENABLE_UNLOCKED   tlob_hash_add() ignores the enable switch
 *   BUG_NO_EXEC_HOOK      exec does not end the task's windows
 *   BUG_TIMER_NO_LIVE     the timer callback does not check live
 *   BUG_NO_INUSE_UNDO     a failed tlob_hash_add() keeps windows_in_use++
 *   BUG_TIMER_REARM       the callback re-arms a timer that fired early
 *                         (with EARLY=1: a closer that could only try to
 *                         cancel it leaves it queued)
 *
 * A check that finds nothing proves little if the races it is about never
 * happen in the model: REACH(n, cond) marks where scenario n happens, and
 * tests/model/run-spin requires each configuration to reach the scenarios
 * on its list (the list is in that file).
 */

/* Configuration; tests/model/run-spin sets these for each run. */
#ifndef NW
#define NW 1			/* pool size: 1 or 2 */
#endif
#ifndef NT
#define NT 1			/* threads: 1 or 2 */
#endif
#ifndef BUDGET
#define BUDGET 2		/* every window's budget, in ticks */
#endif
#ifndef TMAX
#define TMAX 3			/* the clock stops there */
#endif
#ifndef SELF
#define SELF 1			/* threads use TRACE_START/STOP on a fd */
#endif
#ifndef BIND
#define BIND 0			/* a binding with START/STOP uprobes */
#endif
#ifndef MAXDEPTH
#define MAXDEPTH 2		/* nested START hits of the binding */
#endif
#ifndef WAKER
#define WAKER 1			/* threads sleep, woken from another CPU */
#endif
#ifndef SPURIOUS
#define SPURIOUS 1		/* ... which may also wake them while runnable */
#endif
#ifndef EXEC
#define EXEC 1			/* threads may execve() */
#endif
#ifndef TOGGLE
#define TOGGLE 1		/* admin may write enable=0 then enable=1 */
#endif
#ifndef UNBIND
#define UNBIND 0		/* admin may remove the binding before rmmod */
#endif
#ifndef ONRET
#define ONRET 0			/* the binding is entry->return (uretprobe) */
#endif
#ifndef EARLY
#define EARLY 0			/* ticks a timer may fire before its expiry */
#endif
#ifdef BUG_DISCARD_NO_RECHECK	/* another closer, for another thread */
#undef TOGGLE
#define TOGGLE 1
#endif

#define NONE	255

/*
 * Witness points: tests/model/run-spin requires "witness = n" of each
 * scenario on its list to be executed in the full search (pan, on a model
 * generated with spin -o3, lists the statements it never reached).  They
 * sit inside atomic blocks; witness is hidden, not part of the state.
 * -DNO_WITNESS leaves them out (pan's breadth-first search refuses hidden
 * variables).
 */
#ifdef NO_WITNESS
#define REACH(n, cond)
#else
#define REACH(n, cond)	if :: (cond) -> witness = n :: else fi;
hidden byte witness;
#endif
bool used[NW];			/* ghost of witness 6: opened before */

/* Automaton states (kmod/tlob.dot); a thread's real state may be DEAD. */
#define RUN	0
#define WAIT	1
#define SLEEP	2
#define DEAD	3

#define T_IDLE	 0
#define T_QUEUED 1

typedef window {
	byte lock;		/* w->lock: 0, or its holder's _pid + 1 */
	/* under lock */
	bool live;
	bool violated;
	byte state;		/* RUN, WAIT, SLEEP */
	byte t_start;
	byte t_last;
	byte deadline;		/* t_start + BUDGET */
	byte depth;		/* nesting of its binding's START hits */
	/* set before it is hashed, constant while live */
	byte task;		/* 1..NT */
	byte bind;		/* 0: self-instrumented, 1: the binding's */
	bool charged;		/* holds a self-instrumentation charge */
	/* under tlob_hash_lock */
	bool hashed;
	/* its hrtimer */
	byte tmr;		/* T_IDLE, T_QUEUED */
	byte texp;		/* absolute expiry */
	bool trun;		/* callback running */
	/* ghost: for the properties only */
	byte refs;		/* hash walks standing on it */
	bool owned;		/* closed; its closer has not put it back yet */
	byte nclose;		/* closers of this incarnation */
	byte nviol;		/* VIOLATION records of this incarnation */
	byte nend;		/* WINDOW_END records of this incarnation */
};

window W[NW];

byte now;			/* ktime_get_ns() */
bool tlob_enabled = true;	/* written under tlob_hash_lock */
byte in_use;			/* windows_in_use */
byte charge;			/* self-instrumentation charges held */

byte free_mask = (1 << NW) - 1;	/* the free list */
short rcu_readers;		/* _pid bits of read-side sections */
short must[NW];			/* ghost: _pid bits of probes that must step it */
short gp_sync;			/* readers synchronize_rcu() waits for */

bool attached = true;		/* scheduler probes registered */
byte in_probe;			/* scheduler probes running */
bool bound = BIND;		/* the binding's uprobes registered */
byte handlers;			/* its uprobe handlers running */
byte nfd;			/* /dev/rv files open */
bool unloaded;

/*
 * Each thread's real scheduling state, and its runqueue lock, held by its
 * sched_switch and sched_wakeup probes: a wakeup waits until the switch
 * out is complete, the switch in waits for the wakeup's probe.
 */
byte rs[NT + 1];
bool rq[NT + 1];

/* ---------------------------------------------------------------------- */
/* RCU, the pool                                                           */

inline rcu_enter()
{
	rcu_readers = rcu_readers | (1 << _pid)
}

inline rcu_exit()
{
	rcu_readers = rcu_readers & ~(1 << _pid);
	gp_sync = gp_sync & ~(1 << _pid)
}

/*
 * tlob_pool_put(): back on the free list at once, its charge handed back,
 * stale fields forgotten.
 */
inline pool_put(w)
{
	REACH(7, (rcu_readers & ~(1 << _pid)) != 0)
	free_mask = free_mask | (1 << w);
	if
	:: W[w].charged -> charge--
	:: else
	fi;
	W[w].violated = false;
	W[w].state = 0;
	W[w].t_start = 0;
	W[w].t_last = 0;
	W[w].deadline = 0;
	W[w].depth = 0;
	W[w].bind = 0;
	W[w].charged = false;
	W[w].texp = 0;
	W[w].nclose = 0;
	W[w].nviol = 0;
	W[w].nend = 0
}

/* tlob_pool_get(): the first free window, or NW. */
inline pool_take(w, why)
{
	atomic {
		if
		:: free_mask & 1 -> w = 0
		:: (free_mask & 3) == 2 -> w = 1
		:: else -> w = NW
		fi;
		if
		:: w < NW ->
			free_mask = free_mask & ~(1 << w);
			/* reuse: walks and a callback may still look at it */
			assert(W[w].tmr == T_IDLE);
			assert(!W[w].owned && !W[w].live && !W[w].hashed);
			assert(W[w].lock == 0);
			REACH(6, used[w])
			REACH(26, W[w].refs != 0 || W[w].trun)
			must[w] = 0;		/* a new incarnation */
			used[w] = true;
			REACH(why, true)
			skip
		:: else -> REACH(18, true) skip
		fi
	}
}

/* ---------------------------------------------------------------------- */
/* Under w->lock: the clock, the deadline rule, closing                    */

inline charge_to(w, tnow)
{
	if
	:: tnow > W[w].t_last -> W[w].t_last = tnow
	:: else
	fi
}

/* tlob_window_expire(): charge up to the deadline, report once. */
inline expire(w)
{
	assert(W[w].live);
	assert(W[w].t_last < W[w].deadline);
	W[w].t_last = W[w].deadline;
	W[w].violated = true;
	assert(W[w].nviol == 0);
	W[w].nviol = 1				/* VIOLATION */
}

/* tlob_window_check_deadline(), before anything is applied at tnow. */
inline deadline_rule(w, tnow)
{
	if
	:: !W[w].violated && tnow >= W[w].deadline -> expire(w)
	:: else
	fi
}

/* tlob_window_step() of a scheduler event: pre -> post. */
inline sched_step(w, tnow, pre, post)
{
	deadline_rule(w, tnow);
	charge_to(w, tnow);
	assert(W[w].state == pre);		/* the window follows its task */
	W[w].state = post
}

inline closer_take(w)
{
	assert(W[w].nclose == 0 && !W[w].owned);
	W[w].nclose = 1;
	W[w].owned = true
}

/*
 * tlob_window_end() with a result: event "stop" with the deadline rule,
 * live = false (the code clears live first; under the lock, the same),
 * the result captured (rviol: the result's violated).
 */
inline end_completed(w, tnow)
{
	REACH(1, !W[w].violated && tnow >= W[w].deadline)
	REACH(11, W[w].violated)
#ifndef BUG_STOP_NO_DEADLINE
	deadline_rule(w, tnow);
#endif
	charge_to(w, tnow);
	W[w].live = false;
	closer_take(w);
	rviol = W[w].violated;
	REACH(12, !rviol && W[w].t_last > W[w].t_start)
	assert(rviol == (W[w].t_last - W[w].t_start >= BUDGET));
	assert(rviol == W[w].nviol)
}

/*
 * tlob_window_end() without a result, if cond and w is live: closed says
 * whether the caller closed it and must finish it.
 */
inline end_discard(w, cond, why)
{
#ifdef BUG_CLEAR_UNLOCKED
	atomic { W[w].lock == 0 -> closed = (cond) && W[w].live }
	if
	:: closed -> atomic { W[w].live = false; closer_take(w) }
	:: else
	fi
#else
	atomic {
		W[w].lock == 0 ->
		closed = (cond) && W[w].live;
		if
		:: closed ->
			REACH(why, true)
			W[w].live = false;
			closer_take(w)
		:: else
		fi
	}
#endif
}

/* ---------------------------------------------------------------------- */
/* Opening and finishing                                                   */

/*
 * tlob_window_open() for thread t: self-instrumented (b = 0) or for the
 * binding (b = 1).  w: the window, or NW on failure.
 */
inline window_open(t, b, may_sleep)
{
	w = NW;
	if
	:: tlob_enabled ->
		pool_take(w, 0);
		if
		:: w < NW ->
			/* hrtimer_cancel(): an old callback may still run */
			atomic {
				!W[w].trun -> W[w].tmr = T_IDLE
			}
			atomic {
				W[w].lock == 0 -> W[w].lock = _pid + 1;
				W[w].task = t;
				W[w].bind = b;
				W[w].charged = (b == 0);
				W[w].depth = 1;
				W[w].violated = false;
				W[w].state = RUN;
				W[w].t_start = now;
				W[w].t_last = now;
				W[w].deadline = now + BUDGET;
#ifndef BUG_INUSE_LATE
				in_use++		/* counted before hashed */
#endif
			}
			atomic {			/* tlob_hash_add() */
#ifdef BUG_ENABLE_UNLOCKED
				ok = true;
#else
				ok = tlob_enabled;
#endif
				W[w].hashed = ok
			}
			if
			:: ok ->
				atomic {
					ok = false;
					/* tlob_cpu_last_opened() */
#ifndef BUG_STALE_MEMORY
					if
					:: cw == NW -> cw = w
					:: else -> cw = NONE
					fi;
#endif
					W[w].live = true;
					W[w].tmr = T_QUEUED;	/* tlob_timer_arm() */
					W[w].texp = W[w].deadline;
					W[w].lock = 0
				}
#ifdef BUG_INUSE_LATE
				maybe_preempt(t);
				in_use++
#endif
			:: else ->
				atomic {
					REACH(8, true)
#if !defined(BUG_INUSE_LATE) && !defined(BUG_NO_INUSE_UNDO)
					in_use--;
#endif
					W[w].charged = false;	/* the caller's */
					W[w].lock = 0;
					pool_put(w);
					w = NW
				}
			fi
		:: else
		fi
	:: else					/* ENODEV */
	fi
}

/*
 * tlob_window_finish() by the closer, which owns w: stop the timer,
 * unhash, uncount, report a completed violated window, put it back.
 */
inline window_finish(w, completed, may_sleep)
{
	if
	:: may_sleep ->				/* hrtimer_cancel() */
		if
		:: atomic { !W[w].trun -> W[w].tmr = T_IDLE }
		:: atomic {
			W[w].trun ->			/* waits for it */
			REACH(5, true)
			!W[w].trun -> W[w].tmr = T_IDLE
		   }
		fi
	:: else ->
		atomic {				/* hrtimer_try_to_cancel */
			if
			:: !W[w].trun -> W[w].tmr = T_IDLE
			:: else ->		/* callback running: -1 */
				REACH(4, true)
				skip
			fi
		}
	fi;
	atomic {
		W[w].hashed = false;
		in_use--;
		if
		:: completed && rviol ->
			assert(W[w].nviol == 1 && W[w].nend == 0);
			W[w].nend = 1			/* WINDOW_END */
		:: else
		fi;
		rviol = false;
		assert(W[w].owned);
		W[w].owned = false;
		pool_put(w)
	}
}

/* tlob_close_matching(): the sleepable scan of disable, unbind, rmmod. */
inline close_matching(all, why)
{
	for (j : 0 .. NW - 1) {
		end_discard(j, all || W[j].bind == 1, why);
		if
		:: closed ->
			closed = false;
			window_finish(j, false, true)
		:: else
		fi
	}
	j = 0
}

/* ---------------------------------------------------------------------- */
/* Hash walks (RCU readers)                                                */

/*
 * One step of a walk: leave the window stood on (read its ->next) and
 * stand on slot i if it is hashed; found: it is a window of thread t.
 */
inline walk_to(i, t)
{
	if
	:: held != NONE -> W[held].refs--; held = NONE
	:: else
	fi;
	if
	:: W[i].hashed ->
		REACH(22, W[i].task != t)
		W[i].refs++;
		held = i;
		found = (W[i].task == t)
	:: else -> found = false
	fi
}

inline walk_end()
{
	if
	:: held != NONE -> W[held].refs--; held = NONE
	:: else
	fi
}

/*
 * A scheduler tracepoint for thread t, inside the atomic block in which
 * its real state changes: the probe starts (an RCU reader, irqs off),
 * with tlob_hooks_idle(); must: the windows of t live at this instant.
 */
inline tp_enter(t)
{
	if
	:: attached ->
		probe_on = true;
		in_probe++;
		rcu_enter();
		idle = (in_use == 0);
		for (i : 0 .. NW - 1) {
			if
			:: W[i].live && W[i].task == t ->
				must[i] = must[i] | (1 << _pid)
			:: else
			fi
		}
		i = 0
	:: else
	fi
}

inline tp_exit()
{
	rcu_exit();
	in_probe--;
	probe_on = false;
	idle = false
}

inline sched_tp(t, post)
{
	rq[t] = true; rs[t] = post; tp_enter(t)
}

/* The kinds of scheduler probe. */
#define P_WAKE	0		/* sched_wakeup: tlob_window_wakeup() */
#define P_OUT	1		/* sched_switch, t is prev */
#define P_IN	2		/* sched_switch, t is next */

/*
 * tlob_step_if_mine() on slot x for thread t: the lock re-checks that it
 * is still a live window of t (it may have been closed, and reused).
 */
inline step_if_mine(x, t, pre, post)
{
	atomic {
		W[x].lock == 0 ->
		found = false;
		if
		:: W[x].live && W[x].task == t ->
			if
			:: pnow == NONE -> pnow = now
			:: else
			fi;
			REACH(3, !W[x].violated && pnow >= W[x].deadline)
			sched_step(x, pnow, pre, post);
			stepped = stepped | (1 << x);
			REACH(20, stepped == 3)
			nmine++;
			only = x
		:: else ->
			REACH(9, true)
			REACH(25, W[x].live)
			skip
		fi
	}
}

/*
 * The rest of a scheduler probe for thread t, whose real state went from
 * pre to post: tlob_window_sched_switch() for t as prev (P_OUT: from the
 * per-CPU memory cw if it knows, else by a walk) or as next (P_IN: a walk,
 * which updates cw), tlob_window_wakeup() (P_WAKE: a walk that leaves a
 * window alone, unlocked, if the event is a self-loop in its state).
 */
inline sched_probe(t, pre, post, kind)
{
	if
	:: probe_on && !idle ->
		pnow = NONE;
		nmine = 0;
		if
		:: kind == P_OUT && cw != NONE ->
			REACH(19, cw < NW)
			if
			:: cw < NW -> step_if_mine(cw, t, pre, post)
			:: else
			fi
		:: else ->
			for (i : 0 .. NW - 1) {
				atomic {
					walk_to(i, t);
					if
					:: found && kind == P_WAKE &&
					   W[i].state != SLEEP ->
						/* a self-loop: no lock */
						assert(!W[i].live ||
						       W[i].state == pre);
						REACH(27, pre == post)
						found = false;
						stepped = stepped | (1 << i)
					:: else
					fi
				}
				if
				:: found -> step_if_mine(i, t, pre, post)
				:: else
				fi
			}
			if
			:: kind == P_IN ->
				if
				:: nmine == 0 -> cw = NW
				:: nmine == 1 -> cw = only
				:: else -> cw = NONE
				fi
			:: else
			fi
		fi;
		pnow = 0;
		nmine = 0;
		only = 0
	:: else
	fi;
	atomic {
		walk_end();
		for (i : 0 .. NW - 1) {
			/* no event lost: stepped, or closed meanwhile */
			assert(!(must[i] & (1 << _pid)) ||
			       (stepped & (1 << i)) || !W[i].live);
			must[i] = must[i] & ~(1 << _pid)
		}
		i = 0;
		stepped = 0;
		if
		:: probe_on -> tp_exit()
		:: else
		fi;
		rq[t] = false
	}
}

/* Thread t is preempted and, later, switched back in. */
inline preempt_pair(t)
{
	atomic { !rq[t] -> sched_tp(t, WAIT) }
	sched_probe(t, RUN, WAIT, P_OUT);
	atomic { !rq[t] -> sched_tp(t, RUN) }
	sched_probe(t, WAIT, RUN, P_IN)
}

inline maybe_preempt(t)
{
	if
	:: preempt_pair(t)
	:: skip
	fi
}

/*
 * The sched_process_exit / sched_process_exec probe, run by thread t,
 * preemption disabled: tlob_window_discard_task().
 */
inline end_task_windows(t, why)
{
	atomic {
		tp_enter(t);
		for (i : 0 .. NW - 1) {
			must[i] = must[i] & ~(1 << _pid)
		}
		i = 0
	}
	if
	:: probe_on && !idle ->
		for (i : 0 .. NW - 1) {
			atomic { walk_to(i, t) }
			if
			:: found ->
				found = false;
#ifdef BUG_DISCARD_NO_RECHECK
				end_discard(i, true, why);
#else
				end_discard(i, W[i].task == t, why);
#endif
				if
				:: closed ->
					/* only windows of the task */
					assert(W[i].task == t);
					closed = false;
					window_finish(i, false, false)
				:: else
				fi
			:: else
			fi
		}
	:: else
	fi;
	atomic {
		walk_end();
		for (i : 0 .. NW - 1) {
			/* no window of t survives */
			assert(!(W[i].live && W[i].task == t))
		}
		i = 0;
		if
		:: probe_on -> tp_exit()
		:: else
		fi
	}
}

/*
 * tlob_find_binding_window() under rcu_read_lock(): w is the live window
 * of t for the binding, returned locked, or NW.
 */
inline find_binding_window(t)
{
	w = NW;
	for (i : 0 .. NW - 1) {
		if
		:: w == NW ->
			atomic {
				walk_to(i, t);
				found = found && W[i].bind == 1
			}
			if
			:: found ->
				atomic {
					W[i].lock == 0 ->
					found = false;
					if
					:: W[i].live && W[i].task == t && W[i].bind == 1 ->
						W[i].lock = _pid + 1;
						w = i
					:: else
					fi
				}
			:: else
			fi
		:: else
		fi
	}
	i = 0
}

/* ---------------------------------------------------------------------- */
/* What a thread does                                                      */

/*
 * The START uprobe hit (tlob_uprobe_start).  A nested hit counts depth;
 * for an entry->return binding, depth means nothing (its STOP compares
 * stack pointers, not modelled: either outcome) and a hit at or above the
 * window's frame finds it stale, ends it without a report and opens anew.
 */
inline binding_start(t)
{
	if
	:: atomic { bound -> handlers++ }
		if
		:: tlob_enabled ->
			atomic { rcu_enter() }
			find_binding_window(t);
			if
#if ONRET
			:: w < NW ->			/* stale */
				atomic {
					walk_end();
					REACH(23, true)
					W[w].live = false;
					closer_take(w);
					W[w].lock = 0;
					rcu_exit()
				}
				window_finish(w, false, true);
				window_open(t, 1, false);
				w = NW
			:: w < NW ->			/* nested */
				atomic {
					walk_end();
					REACH(13, true)
					W[w].lock = 0;
					w = NW;
					rcu_exit()
				}
#else
			:: w < NW ->			/* nested: depth only */
				atomic {
					walk_end();
					if
					:: W[w].depth < MAXDEPTH ->
						REACH(13, true)
						W[w].depth++
					:: else		/* bounds the model */
					fi;
					W[w].lock = 0;
					w = NW;
					rcu_exit()
				}
#endif
			:: else ->
				atomic { walk_end(); rcu_exit() }
				window_open(t, 1, false);
				w = NW
			fi
		:: else
		fi;
		handlers--
	:: else
	fi
}

/*
 * The STOP uprobe hit, or for an entry->return binding the uretprobe
 * (tlob_uprobe_stop): closes the outermost window.
 */
inline binding_stop(t)
{
	if
	:: atomic { bound -> handlers++ }
		atomic { rcu_enter() }
		find_binding_window(t);
		atomic {
			walk_end();
			if
			:: w < NW ->
#if ONRET
				if			/* its own frame or not */
				:: closed = true
				:: closed = false
				fi;
#else
				W[w].depth--;
				closed = (W[w].depth == 0);
#endif
				if
				:: closed -> end_completed(w, now)
				:: else
				fi;
				W[w].lock = 0
			:: else
			fi;
			rcu_exit()
		}
		if
		:: closed -> closed = false; window_finish(w, true, true)
		:: else
		fi;
		w = NW;
		handlers--
	:: else
	fi
}

/*
 * TRACE_START on t's fd (its ctx->lock is held throughout; only t uses
 * it).  tlob_self_lock(): the fd's window if it is still its live one.
 */
inline trace_start(t)
{
	if
	:: self < NW ->
		atomic {
			W[self].lock == 0 ->
			ok = W[self].live && W[self].task == t &&
			     W[self].bind == 0
		}
	:: else
	fi;
	if
	:: ok -> ok = false			/* EALREADY */
	:: else ->
		self = NW;			/* tlob_self_forget() */
		if
		:: tlob_enabled ->
			charge++;		/* tlob_charge_self_window() */
			window_open(t, 0, true);
			if
			:: w < NW -> self = w; w = NW
			:: else -> charge--
			fi
		:: else				/* ENODEV */
		fi
	fi
}

/* TRACE_STOP on t's fd: EOVERFLOW iff the result is violated. */
inline trace_stop(t)
{
	if
	:: self < NW ->
		atomic {
			W[self].lock == 0 ->
			closed = W[self].live && W[self].task == t &&
				 W[self].bind == 0;
			if
			:: closed -> end_completed(self, now)
			:: else			/* EINVAL */
			fi
		}
		if
		:: closed -> closed = false; window_finish(self, true, true)
		:: else
		fi;
		self = NW
	:: else
	fi
}

/* tlob_dev_release() of t's fd. */
inline fd_release(t)
{
	if
	:: self < NW ->
		end_discard(self, W[self].task == t && W[self].bind == 0, 21);
		if
		:: closed ->
			closed = false;
			window_finish(self, false, true)
		:: else
		fi;
		self = NW
	:: else
	fi;
	fd = false;
	nfd--
}

proctype thread(byte t)
{
	byte i, w = NW, self = NW, held = NONE, pnow, stepped, nmine, only;
	byte cw = NONE;		/* tlob_cpu_last of its CPU */
	bool fd = SELF, found, ok, closed, rviol, probe_on, idle;

	do
	:: unloaded -> break
	:: !unloaded ->
		if
#if SELF
		:: fd -> trace_start(t)
		:: fd && self < NW -> trace_stop(t)
		:: fd -> fd_release(t)
#endif
#if BIND
		:: bound -> binding_start(t)
		:: bound -> binding_stop(t)
#endif
		:: preempt_pair(t)
#if WAKER
		:: atomic { !rq[t] -> sched_tp(t, SLEEP) }
			sched_probe(t, RUN, SLEEP, P_OUT);
			/* woken by the waker, then switched in */
			atomic { rs[t] == WAIT && !rq[t] -> sched_tp(t, RUN) }
			sched_probe(t, WAIT, RUN, P_IN)
#endif
#if EXEC
		:: true ->				/* execve() */
#ifndef BUG_NO_EXEC_HOOK
			end_task_windows(t, 15)
#else
			atomic {
				for (i : 0 .. NW - 1) {
					assert(!(W[i].live && W[i].task == t))
				}
				i = 0
			}
#endif
#endif
		:: true ->				/* do_exit() */
			end_task_windows(t, 14);
			if
			:: fd -> fd_release(t)		/* exit_files() */
			:: else
			fi;
			atomic { !rq[t] -> sched_tp(t, DEAD) }	/* last switch */
			sched_probe(t, RUN, SLEEP, P_OUT);
			break
		fi
	od
}

/* Wakeups of thread t from another CPU, under its runqueue lock. */
proctype waker(byte t)
{
	byte i, held = NONE, pnow, stepped, wpre, nmine, only;
	byte cw = NONE;		/* unused: wakeups walk */
	bool found, probe_on, idle;

end:	do
	:: atomic { rs[t] == SLEEP && !rq[t] -> sched_tp(t, WAIT) }
		sched_probe(t, SLEEP, WAIT, P_WAKE)
#if SPURIOUS
	:: atomic {
		(rs[t] == RUN || rs[t] == WAIT) && !rq[t] && !unloaded ->
		wpre = rs[t]; sched_tp(t, wpre)
	   }
		sched_probe(t, wpre, wpre, P_WAKE);
		wpre = 0
#endif
	od
}

/* The hrtimer of window w: tlob_timer_fn() on any CPU, hard irq. */
proctype timer(byte w)
{
	byte i;
	bool restart;		/* BUG_TIMER_REARM only */

end:	do
	:: atomic {
		W[w].tmr == T_QUEUED && now + EARLY >= W[w].texp ->
		W[w].tmr = T_IDLE; W[w].trun = true; rcu_enter()
	   }
		atomic {
			W[w].lock == 0 ->		/* tlob_window_timer_fired */
			REACH(10, !W[w].live)
			REACH(2, W[w].live && !W[w].violated && now >= W[w].deadline)
			REACH(24, W[w].live && !W[w].violated && now < W[w].deadline)
#ifdef BUG_TIMER_REARM
			if
			:: W[w].live && !W[w].violated && now < W[w].deadline ->
				restart = true; W[w].texp = W[w].deadline
			:: else
			fi;
#endif
#ifndef BUG_TIMER_NO_LIVE
			if
			:: W[w].live -> deadline_rule(w, now)
			:: else
			fi
#else
			deadline_rule(w, now)
#endif
		}
		atomic {			/* back in __run_hrtimer() */
			if
			:: restart && W[w].tmr == T_IDLE -> W[w].tmr = T_QUEUED
			:: else
			fi;
			restart = false;
			W[w].trun = false;
			rcu_exit()
		}
	od
}

proctype clock()
{
end:	do
	:: atomic { now < TMAX && !unloaded -> now++ }
	od
}

/* Remove the binding: unregister, wait for its handlers, close. */
inline unbind()
{
	if
	:: bound ->
		bound = false;
		handlers == 0;			/* uprobe_unregister_sync */
		close_matching(false, 17)
	:: else
	fi
}

/* sysfs enable=0 and =1, unbind, then rmmod (tlob_exit). */
proctype admin()
{
	byte i, j;
	bool closed, rviol;

#if TOGGLE
	if
	:: tlob_enabled = false;		/* tlob_set_enabled() */
		close_matching(true, 16);
		atomic {
			/* disable leaves no window open */
			for (i : 0 .. NW - 1) {
				assert(!W[i].live)
			}
			i = 0;
			tlob_enabled = true
		}
	:: skip
	fi;
#endif
#if UNBIND
	if
	:: unbind()
	:: skip
	fi;
#endif
	nfd == 0;				/* no /dev/rv file open */
	unbind();				/* tlob_binding_remove_all */
	tlob_enabled = false;
	close_matching(true, 0);		/* tlob_close_all */
	attached = false;			/* tlob_hooks_exit */
	in_probe == 0;
	/* tlob_pool_exit(): synchronize_rcu() */
	gp_sync = rcu_readers;
	gp_sync == 0;
	atomic {
		/*
		 * Then it cancels every slot's timer and frees the pool: the
		 * protocol must not need that, so every timer must be idle
		 * already.
		 */
		for (i : 0 .. NW - 1) {
			assert(free_mask & (1 << i));
			assert(!W[i].live && !W[i].hashed && !W[i].owned);
			assert(W[i].tmr == T_IDLE && !W[i].trun);
			assert(W[i].refs == 0 && W[i].lock == 0)
		}
		assert(in_use == 0 && charge == 0);
		unloaded = true
	}
}

init
{
	byte k;

	atomic {
		nfd = (SELF -> NT : 0);
		run clock();
		for (k : 0 .. NW - 1) {
			run timer(k)
		}
		for (k : 1 .. NT) {
			run thread(k);
#if WAKER
			run waker(k)
#endif
		}
		run admin()
	}
}
