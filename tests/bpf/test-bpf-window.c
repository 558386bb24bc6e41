// SPDX-License-Identifier: GPL-2.0
/*
 * The BPF monitor's window logic (bpf/tlob-bpf-window.h, the very code the
 * BPF object runs under its spin lock) on the host:
 * - its transition table, derived at build time, against the module's
 *   generated one (tlob_model.h) for every state and event;
 * - its clock against the module's (tlob_clock.h) on random event
 *   sequences: same states, same breakdown;
 * - the deadline rule: violated iff elapsed >= budget, figures at the
 *   deadline, whoever notices first (timer, scheduler event, STOP), and
 *   an event whose time was read before the expiry charges nothing;
 * - the log2 histogram bucket against the module's.
 *
 * Prints TAP.
 */
#include <stdlib.h>

#include <linux/tlob.h>

#include "tlob_clock.h"
#include "tlob-bpf-window.h"
#include "tap.h"

#define MS	1000000ULL

static void check_table(void)
{
	bool ok = true;

	_Static_assert(TLOB_BPF_NR_STATES == state_max_tlob, "states");
	_Static_assert(TLOB_BPF_NR_EVENTS == event_max_tlob, "events");
	_Static_assert(TLOB_BPF_RUNNING == running_tlob &&
		       TLOB_BPF_WAITING == waiting_tlob &&
		       TLOB_BPF_SLEEPING == sleeping_tlob &&
		       TLOB_BPF_STOPPED == stopped_tlob, "state numbers");
	_Static_assert(TLOB_BPF_EV_START == start_tlob &&
		       TLOB_BPF_EV_STOP == stop_tlob &&
		       TLOB_BPF_EV_PREEMPT == preempt_tlob &&
		       TLOB_BPF_EV_SLEEP == sleep_tlob &&
		       TLOB_BPF_EV_WAKEUP == wakeup_tlob &&
		       TLOB_BPF_EV_SWITCH_IN == switch_in_tlob, "event numbers");
	for (unsigned int s = 0; s < state_max_tlob; s++) {
		for (unsigned int e = 0; e < event_max_tlob; e++) {
			unsigned int a = tlob_bpf_next_state(s, e);
			unsigned int b = tlob_next_state(s, e);

			if (a != b) {
				printf("# %s x %s: BPF %u, module %u\n",
				       tlob_state_name(s), tlob_event_name(e), a, b);
				ok = false;
			}
		}
		if (!!tlob_bpf_invariant_holds(s) !=
		    automaton_tlob.invariant_states[s]) {
			printf("# invariant of %s differs\n", tlob_state_name(s));
			ok = false;
		}
	}
	tap_ok(ok, "transition table and invariants equal the module's");
	tap_ok(tlob_bpf_next_state(TLOB_BPF_NR_STATES, 0) == TLOB_BPF_INVALID &&
	       tlob_bpf_next_state(0, TLOB_BPF_NR_EVENTS) == TLOB_BPF_INVALID,
	       "out-of-range state or event is invalid");
}

/* Random scheduler events, far from the deadline: same as the module. */
static void check_clock_vs_module(void)
{
	unsigned int seed = 42, bad = 0;

	for (int run = 0; run < 1000; run++) {
		struct tlob_bpf_clock b;
		struct tlob_clock m;
		u64 now = 1000 + (u64)(rand_r(&seed) % 1000);

		tlob_bpf_clock_start(&b, now, 1ULL << 60);
		tlob_clock_start(&m, now);
		for (int i = 0; i < 50; i++) {
			unsigned int ev = (unsigned int)rand_r(&seed) % event_max_tlob;

			if (ev == start_tlob || ev == stop_tlob)
				continue;
			now += (u64)(rand_r(&seed) % 5000);
			tlob_bpf_clock_step(&b, ev, now);
			tlob_clock_step(&m, ev, now);
		}
		now += 7;
		tlob_bpf_clock_step(&b, TLOB_BPF_EV_STOP, now);
		tlob_clock_step(&m, stop_tlob, now);
		if (b.state != m.state || b.t_last != m.t_last ||
		    tlob_bpf_clock_elapsed(&b) != tlob_clock_elapsed(&m) ||
		    memcmp(b.ns, m.ns, sizeof(b.ns)) || b.violated)
			bad++;
	}
	tap_ok(!bad, "1000 random windows: states and breakdown as the module's (%u differ)",
	       bad);
}

static u64 sum3(const u64 *ns)
{
	return ns[TLOB_BPF_RUNNING] + ns[TLOB_BPF_WAITING] + ns[TLOB_BPF_SLEEPING];
}

static void check_deadline(void)
{
	struct tlob_bpf_clock c;
	int expired;

	/* Timer: running 10 ms, sleeping from 10 ms, budget 30 ms. */
	tlob_bpf_clock_start(&c, 100 * MS, 30 * MS);
	tap_ok(c.state == TLOB_BPF_RUNNING && c.deadline == 130 * MS &&
	       !c.violated, "start: running, deadline at start + budget");
	expired = tlob_bpf_clock_step(&c, TLOB_BPF_EV_SLEEP, 110 * MS);
	tap_ok(!expired && c.state == TLOB_BPF_SLEEPING &&
	       c.ns[TLOB_BPF_RUNNING] == 10 * MS, "sleep before the deadline");
	tap_ok(!tlob_bpf_clock_check_deadline(&c, 129 * MS) && !c.violated,
	       "no expiry before the deadline");
	expired = tlob_bpf_clock_check_deadline(&c, 131 * MS);
	tap_ok(expired && c.violated && c.expiry_state == TLOB_BPF_SLEEPING &&
	       c.exp_ns[TLOB_BPF_RUNNING] == 10 * MS &&
	       c.exp_ns[TLOB_BPF_SLEEPING] == 20 * MS &&
	       sum3(c.exp_ns) == 30 * MS && c.t_last == 130 * MS,
	       "timer: expired at the deadline, breakdown sums to the budget");
	tap_ok(!tlob_bpf_clock_check_deadline(&c, 140 * MS),
	       "expires once");
	/* A STOP whose time was read before the timer's expiry. */
	expired = tlob_bpf_clock_step(&c, TLOB_BPF_EV_STOP, 128 * MS);
	tap_ok(!expired && c.state == TLOB_BPF_STOPPED &&
	       tlob_bpf_clock_elapsed(&c) == 30 * MS && sum3(c.ns) == 30 * MS,
	       "STOP read before the expiry: elapsed is the budget, violated");

	/* A scheduler event after the deadline expires first, then applies. */
	tlob_bpf_clock_start(&c, 0, 5 * MS);
	tlob_bpf_clock_step(&c, TLOB_BPF_EV_PREEMPT, 1 * MS);
	expired = tlob_bpf_clock_step(&c, TLOB_BPF_EV_SWITCH_IN, 8 * MS);
	tap_ok(expired && c.expiry_state == TLOB_BPF_WAITING &&
	       c.exp_ns[TLOB_BPF_RUNNING] == 1 * MS &&
	       c.exp_ns[TLOB_BPF_WAITING] == 4 * MS &&
	       c.ns[TLOB_BPF_WAITING] == 7 * MS && c.state == TLOB_BPF_RUNNING,
	       "switch_in after the deadline: expiry in waiting, then running");

	/* STOP after the deadline, before any timer: it expires the window. */
	tlob_bpf_clock_start(&c, 0, 1000);
	expired = tlob_bpf_clock_step(&c, TLOB_BPF_EV_STOP, 1000);
	tap_ok(expired && c.violated && tlob_bpf_clock_elapsed(&c) == 1000 &&
	       c.exp_ns[TLOB_BPF_RUNNING] == 1000,
	       "STOP at exactly the deadline: violated (elapsed >= budget)");
	tlob_bpf_clock_start(&c, 0, 1000);
	expired = tlob_bpf_clock_step(&c, TLOB_BPF_EV_STOP, 999);
	tap_ok(!expired && !c.violated && tlob_bpf_clock_elapsed(&c) == 999,
	       "STOP 1 ns before the deadline: within budget");

	/* Fix-ups: switch_in and stop while sleeping, stop while waiting. */
	tlob_bpf_clock_start(&c, 0, 1ULL << 40);
	tlob_bpf_clock_step(&c, TLOB_BPF_EV_SLEEP, 10);
	tlob_bpf_clock_step(&c, TLOB_BPF_EV_SWITCH_IN, 30);
	tap_ok(c.state == TLOB_BPF_RUNNING && c.ns[TLOB_BPF_SLEEPING] == 20,
	       "switch_in while sleeping (missed wakeup): running");
	tlob_bpf_clock_step(&c, TLOB_BPF_EV_SWITCH_IN, 40);
	tap_ok(c.state == TLOB_BPF_RUNNING && c.t_last == 30,
	       "an event the model refuses changes nothing");
	tlob_bpf_clock_step(&c, TLOB_BPF_EV_WAKEUP, 50);
	tap_ok(c.state == TLOB_BPF_RUNNING && c.ns[TLOB_BPF_RUNNING] == 30,
	       "wakeup while running: a self-loop");
}

static void check_hist(void)
{
	static const u64 v[] = { 0, 1, 2, 3, 4, 7, 8, 1023, 1024, 1ULL << 38,
				 (1ULL << 39) - 1, 1ULL << 39, 1ULL << 40, ~0ULL };
	bool ok = true;

	for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
		if (tlob_bpf_hist_bucket(v[i]) != tlob_hist_bucket(v[i], 40)) {
			printf("# bucket of %llu: %u vs %u\n", (unsigned long long)v[i],
			       tlob_bpf_hist_bucket(v[i]), tlob_hist_bucket(v[i], 40));
			ok = false;
		}
	}
	for (u64 x = 1; x < (1ULL << 62) && ok; x = x * 3 + 1)
		ok = tlob_bpf_hist_bucket(x) == tlob_hist_bucket(x, 40);
	tap_ok(ok, "histogram buckets as the module's");
	tap_ok(TLOB_BPF_HIST_BUCKETS == TLOB_HIST_BUCKETS, "40 buckets");
}

int main(void)
{
	check_table();
	check_clock_vs_module();
	check_deadline();
	check_hist();
	return tap_done();
}
