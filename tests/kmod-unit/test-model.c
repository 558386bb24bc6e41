// SPDX-License-Identifier: GPL-2.0
/*
 * The automaton that tlob_dot2c generates from kmod/tlob.dot, checked
 * against the model of INTERFACES.md section 1 written out here by hand:
 * every (state, event) pair, the initial and final states, the clock
 * invariant and reset.  Then the generator itself on broken models, the
 * clock accounting and the histogram buckets.
 *
 * Usage: test-model PATH/TO/tlob-dot2c   (prints TAP)
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tlob_clock.h"
#include "tap.h"

#define X INVALID_STATE_TLOB

/*
 * The specification's transitions, plus the fix-ups for an event the
 * scheduler did not report (a switch-in or stop of a task believed
 * sleeping, a stop of a task believed waiting).
 */
static const unsigned char expected[state_max_tlob][event_max_tlob] = {
	[stopped_tlob] = {
		[start_tlob] = running_tlob, [stop_tlob] = X,
		[preempt_tlob] = X, [sleep_tlob] = X, [wakeup_tlob] = X,
		[switch_in_tlob] = X,
	},
	[running_tlob] = {
		[start_tlob] = X, [stop_tlob] = stopped_tlob,
		[preempt_tlob] = waiting_tlob, [sleep_tlob] = sleeping_tlob,
		[wakeup_tlob] = running_tlob, [switch_in_tlob] = X,
	},
	[waiting_tlob] = {
		[start_tlob] = X, [stop_tlob] = stopped_tlob,
		[preempt_tlob] = X, [sleep_tlob] = X,
		[wakeup_tlob] = waiting_tlob, [switch_in_tlob] = running_tlob,
	},
	[sleeping_tlob] = {
		[start_tlob] = X, [stop_tlob] = stopped_tlob,
		[preempt_tlob] = X, [sleep_tlob] = X,
		[wakeup_tlob] = waiting_tlob, [switch_in_tlob] = running_tlob,
	},
};

static void check_table(void)
{
	unsigned int s, e, got;
	bool ok = true;

	for (s = 0; s < state_max_tlob; s++) {
		for (e = 0; e < event_max_tlob; e++) {
			got = tlob_next_state(s, e);
			if (got == expected[s][e])
				continue;
			printf("# %s x %s -> %s, expected %s\n",
			       tlob_state_name(s), tlob_event_name(e),
			       tlob_state_name(got),
			       tlob_state_name(expected[s][e]));
			ok = false;
		}
	}
	tap_ok(ok, "every transition of the generated table is the model's");
	tap_ok(state_max_tlob == 4 && event_max_tlob == 6,
	       "4 states, 6 events (got %d, %d)", state_max_tlob,
	       event_max_tlob);
	tap_ok(stopped_tlob == 0 && running_tlob == 1 && waiting_tlob == 2 &&
	       sleeping_tlob == 3,
	       "state numbers are the UAPI's TLOB_STATE_* values");
	tap_ok(!strcmp(tlob_state_name(sleeping_tlob), "sleeping") &&
	       !strcmp(tlob_event_name(switch_in_tlob), "switch_in"),
	       "state and event names");
	tap_ok(automaton_tlob.initial_state == stopped_tlob &&
	       automaton_tlob.final_states[stopped_tlob] &&
	       !automaton_tlob.final_states[running_tlob],
	       "initial and final state is stopped");
	tap_ok(!automaton_tlob.invariant_states[stopped_tlob] &&
	       automaton_tlob.invariant_states[running_tlob] &&
	       automaton_tlob.invariant_states[waiting_tlob] &&
	       automaton_tlob.invariant_states[sleeping_tlob],
	       "clk_elapsed < budget holds in running, waiting, sleeping");
	tap_ok(automaton_tlob.reset_events[start_tlob] &&
	       !automaton_tlob.reset_events[stop_tlob],
	       "start resets the clock");
}

/* Run the generator on @dot; its exit status, or -1. */
static int run_dot2c(const char *dot2c, const char *dot)
{
	char path[] = "/tmp/test-model-XXXXXX";
	int fd = mkstemp(path), status;
	pid_t pid;

	if (fd < 0 || write(fd, dot, strlen(dot)) != (ssize_t)strlen(dot))
		abort();
	close(fd);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		abort();
	if (!pid) {
		if (!freopen("/dev/null", "w", stdout) ||
		    !freopen("/dev/null", "w", stderr))
			_exit(127);
		execl(dot2c, dot2c, path, (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	unlink(path);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

#define DOT_HEAD \
	"digraph state_automaton {\n" \
	"\t{node [shape = plaintext, style=invis, label=\"\"] \"__init_a\"};\n" \
	"\t{node [shape = doublecircle] \"a\"};\n" \
	"\t{node [shape = circle] \"b\"};\n"

static void check_generator(const char *dot2c)
{
	static const struct {
		const char *what, *dot;
		bool ok;
	} cases[] = {
		{ "a small valid model", DOT_HEAD
		  "\t\"__init_a\" -> \"a\";\n"
		  "\t\"a\" -> \"b\" [ label = \"go;reset(c)\" ];\n"
		  "\t\"b\" -> \"a\" [ label = \"back\\nstop\" ];\n}\n", true },
		{ "no initial state", DOT_HEAD
		  "\t\"a\" -> \"b\" [ label = \"go\" ];\n}\n", false },
		{ "not deterministic", DOT_HEAD
		  "\t\"__init_a\" -> \"a\";\n"
		  "\t\"a\" -> \"b\" [ label = \"go\" ];\n"
		  "\t\"a\" -> \"a\" [ label = \"go\" ];\n}\n", false },
		{ "edge to an undeclared state", DOT_HEAD
		  "\t\"__init_a\" -> \"a\";\n"
		  "\t\"a\" -> \"c\" [ label = \"go\" ];\n}\n", false },
		{ "event that is not a C identifier", DOT_HEAD
		  "\t\"__init_a\" -> \"a\";\n"
		  "\t\"a\" -> \"b\" [ label = \"go-on\" ];\n}\n", false },
		{ "edge without a label", DOT_HEAD
		  "\t\"__init_a\" -> \"a\";\n"
		  "\t\"a\" -> \"b\";\n}\n", false },
		{ "a statement it does not know", DOT_HEAD
		  "\t\"__init_a\" -> \"a\";\n"
		  "\tsubgraph x { };\n"
		  "\t\"a\" -> \"b\" [ label = \"go\" ];\n}\n", false },
		{ "state declared twice", DOT_HEAD
		  "\t{node [shape = circle] \"b\"};\n"
		  "\t\"__init_a\" -> \"a\";\n"
		  "\t\"a\" -> \"b\" [ label = \"go\" ];\n}\n", false },
	};
	unsigned int i;
	int rc;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		rc = run_dot2c(dot2c, cases[i].dot);
		tap_ok(cases[i].ok ? rc == 0 : rc > 0 && rc != 127,
		       "generator on %s: %s (exit %d)", cases[i].what,
		       cases[i].ok ? "accepted" : "refused", rc);
	}
}

static void check_clock(void)
{
	struct tlob_clock clk;
	unsigned int r;

	tlob_clock_start(&clk, 100);
	tap_ok(clk.state == running_tlob, "start enters running");
	tlob_clock_step(&clk, preempt_tlob, 150);
	tlob_clock_step(&clk, wakeup_tlob, 160);
	tap_ok(clk.state == waiting_tlob, "wakeup while waiting is a self-loop");
	tlob_clock_step(&clk, switch_in_tlob, 170);
	tlob_clock_step(&clk, sleep_tlob, 200);
	r = tlob_clock_step(&clk, preempt_tlob, 250);
	tap_ok(r == INVALID_STATE_TLOB && clk.state == sleeping_tlob &&
	       clk.t_last == 200,
	       "preempt while sleeping is rejected and changes nothing");
	tlob_clock_step(&clk, wakeup_tlob, 300);
	tlob_clock_step(&clk, switch_in_tlob, 310);
	tlob_clock_step(&clk, wakeup_tlob, 320);
	tap_ok(clk.state == running_tlob, "wakeup while running is a self-loop");
	tlob_clock_step(&clk, stop_tlob, 400);
	tap_ok(clk.state == stopped_tlob, "stop enters stopped");
	tap_ok(clk.ns[running_tlob] == 170 && clk.ns[waiting_tlob] == 30 &&
	       clk.ns[sleeping_tlob] == 100,
	       "per-state time: running %llu waiting %llu sleeping %llu",
	       (unsigned long long)clk.ns[running_tlob],
	       (unsigned long long)clk.ns[waiting_tlob],
	       (unsigned long long)clk.ns[sleeping_tlob]);
	tap_ok(tlob_clock_elapsed(&clk) == 300 &&
	       clk.ns[running_tlob] + clk.ns[waiting_tlob] +
	       clk.ns[sleeping_tlob] == 300,
	       "breakdown sums to elapsed");

	/* A missed wakeup: the time until the switch-in stays sleeping. */
	tlob_clock_start(&clk, 0);
	tlob_clock_step(&clk, sleep_tlob, 10);
	tlob_clock_step(&clk, switch_in_tlob, 40);
	tlob_clock_step(&clk, stop_tlob, 50);
	tap_ok(clk.state == stopped_tlob && clk.ns[running_tlob] == 20 &&
	       clk.ns[sleeping_tlob] == 30 && clk.ns[waiting_tlob] == 0,
	       "switch_in while sleeping: fix-up, sleeping time kept");

	/* Charging never goes backwards. */
	tlob_clock_start(&clk, 100);
	tlob_clock_charge(&clk, 90);
	tap_ok(clk.t_last == 100 && clk.ns[running_tlob] == 0,
	       "a time before the last step charges nothing");
	tap_ok(tlob_next_state(state_max_tlob, 0) == INVALID_STATE_TLOB &&
	       tlob_next_state(0, event_max_tlob) == INVALID_STATE_TLOB,
	       "out-of-range state/event rejected");
}

static void check_hist(void)
{
	static const struct {
		u64 ns;
		unsigned int bucket;
	} cases[] = {
		{ 0, 0 }, { 1, 0 }, { 2, 1 }, { 3, 1 }, { 4, 2 },
		{ 1023, 9 }, { 1024, 10 }, { (1ULL << 39) - 1, 38 },
		{ 1ULL << 39, 39 }, { 1ULL << 40, 39 }, { ~0ULL, 39 },
	};
	unsigned int i, b;
	bool ok = true;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		b = tlob_hist_bucket(cases[i].ns, 40);
		if (b != cases[i].bucket) {
			printf("# %llu ns: bucket %u, expected %u\n",
			       (unsigned long long)cases[i].ns, b,
			       cases[i].bucket);
			ok = false;
		}
	}
	tap_ok(ok, "log2 histogram buckets");
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s PATH/TO/tlob-dot2c\n", argv[0]);
		return 2;
	}
	printf("TAP version 13\n");
	check_table();
	check_generator(argv[1]);
	check_clock();
	check_hist();
	return tap_done();
}
