// SPDX-License-Identifier: GPL-2.0
/*
 * The C automaton of tlob_model.h must be exactly the Graphviz model in
 * kmod/tlob.dot: same states, initial state, events and transitions.
 * Also checks the clock accounting and the histogram buckets.
 *
 * Usage: test-model PATH/TO/tlob.dot   (prints TAP)
 */
#include <stdio.h>
#include <stdlib.h>

#include "tlob_model.h"
#include "tap.h"

#define MAX_NAMES	32
#define MAX_EDGES	128
#define NAME_LEN	64

struct dot_edge {
	char from[NAME_LEN], event[NAME_LEN], to[NAME_LEN];
};

struct dot_model {
	char states[MAX_NAMES][NAME_LEN];
	unsigned int nr_states;
	char events[MAX_NAMES][NAME_LEN];
	unsigned int nr_events;
	char initial[NAME_LEN];
	struct dot_edge edges[MAX_EDGES];
	unsigned int nr_edges;
};

static int find(const char (*names)[NAME_LEN], unsigned int n,
		const char *name)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return i;
	return -1;
}

static void add_name(char names[][NAME_LEN], unsigned int *n, const char *name)
{
	if (find((const char (*)[NAME_LEN])names, *n, name) >= 0)
		return;
	if (*n == MAX_NAMES) {
		fprintf(stderr, "too many names\n");
		exit(2);
	}
	snprintf(names[(*n)++], NAME_LEN, "%.63s", name);
}

/* Copy the quoted string starting at or after @p into @out; return end. */
static const char *quoted(const char *p, char *out)
{
	const char *q = strchr(p, '"'), *e;

	if (!q)
		return NULL;
	e = strchr(q + 1, '"');
	if (!e || e - q - 1 >= NAME_LEN)
		return NULL;
	memcpy(out, q + 1, e - q - 1);
	out[e - q - 1] = '\0';
	return e + 1;
}

/* An edge label lists events separated by "\n"; ";..." are clock actions. */
static void add_edge_events(struct dot_model *m, const char *from,
			    const char *to, const char *label)
{
	char buf[256], *tok, *save, *semi;

	snprintf(buf, sizeof(buf), "%s", label);
	for (tok = buf; tok; tok = save) {
		save = strstr(tok, "\\n");
		if (save) {
			*save = '\0';
			save += 2;
		}
		semi = strchr(tok, ';');
		if (semi)
			*semi = '\0';
		if (m->nr_edges == MAX_EDGES) {
			fprintf(stderr, "too many edges\n");
			exit(2);
		}
		snprintf(m->edges[m->nr_edges].from, NAME_LEN, "%s", from);
		snprintf(m->edges[m->nr_edges].event, NAME_LEN, "%.63s", tok);
		snprintf(m->edges[m->nr_edges].to, NAME_LEN, "%s", to);
		m->nr_edges++;
		add_name(m->events, &m->nr_events, tok);
	}
}

static int parse_line(struct dot_model *m, const char *line)
{
	char a[NAME_LEN], b[NAME_LEN], label[256];
	const char *p, *arrow = strstr(line, "->");
	const char *lab;

	if (strstr(line, "{node") || strstr(line, "{ node")) {
		p = quoted(line, a);
		while (p && quoted(p, b))
			p = quoted(p, a);
		if (!p)
			return -1;
		if (strncmp(a, "__init_", 7))
			add_name(m->states, &m->nr_states, a);
		return 0;
	}
	if (!arrow)
		return 0;
	if (!quoted(line, a) || !quoted(arrow, b))
		return -1;
	if (!strncmp(a, "__init_", 7)) {
		snprintf(m->initial, NAME_LEN, "%s", b);
		return 0;
	}
	lab = strstr(arrow, "label");
	if (!lab)
		return -1;
	lab = strchr(lab, '"');
	if (!lab || !strchr(lab + 1, '"'))
		return -1;
	snprintf(label, sizeof(label), "%.*s",
		 (int)(strchr(lab + 1, '"') - lab - 1), lab + 1);
	add_edge_events(m, a, b, label);
	return 0;
}

static int parse_dot(const char *path, struct dot_model *m)
{
	char line[512];
	FILE *f = fopen(path, "r");
	int ret = 0;

	if (!f) {
		perror(path);
		return -1;
	}
	while (fgets(line, sizeof(line), f) && !ret)
		ret = parse_line(m, line);
	fclose(f);
	return ret;
}

static void check_sets(const struct dot_model *m)
{
	unsigned int i;
	bool ok = m->nr_states == state_max_tlob;

	for (i = 0; i < state_max_tlob; i++)
		ok &= find(m->states, m->nr_states,
			   automaton_tlob.state_names[i]) >= 0;
	tap_ok(ok, "dot states equal the C states (%u in dot, %u in C)",
	       m->nr_states, state_max_tlob);

	ok = m->nr_events == event_max_tlob;
	for (i = 0; i < event_max_tlob; i++)
		ok &= find(m->events, m->nr_events,
			   automaton_tlob.event_names[i]) >= 0;
	tap_ok(ok, "dot events equal the C events (%u in dot, %u in C)",
	       m->nr_events, event_max_tlob);

	tap_ok(!strcmp(m->initial,
		       automaton_tlob.state_names[automaton_tlob.initial_state]),
	       "initial state is %s", m->initial);
}

static int c_index(const char * const *names, unsigned int n,
		   const char *name)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return i;
	return -1;
}

static void check_transitions(const struct dot_model *m)
{
	unsigned int s, e, i, n;
	bool in_dot, ok = true;
	int fs, fe, ft;

	for (i = 0; i < m->nr_edges; i++) {
		fs = c_index(automaton_tlob.state_names, state_max_tlob,
			     m->edges[i].from);
		fe = c_index(automaton_tlob.event_names, event_max_tlob,
			     m->edges[i].event);
		ft = c_index(automaton_tlob.state_names, state_max_tlob,
			     m->edges[i].to);
		if (fs < 0 || fe < 0 || ft < 0 ||
		    tlob_next_state(fs, fe) != (unsigned int)ft) {
			printf("# dot edge %s -%s-> %s not in the C table\n",
			       m->edges[i].from, m->edges[i].event,
			       m->edges[i].to);
			ok = false;
		}
	}
	tap_ok(ok, "every dot transition is in the C table");

	ok = true;
	for (s = 0; s < state_max_tlob; s++) {
		for (e = 0; e < event_max_tlob; e++) {
			n = automaton_tlob.function[s][e];
			if (n == INVALID_STATE_TLOB)
				continue;
			in_dot = false;
			for (i = 0; i < m->nr_edges; i++)
				in_dot |= !strcmp(m->edges[i].from,
						  automaton_tlob.state_names[s]) &&
					  !strcmp(m->edges[i].event,
						  automaton_tlob.event_names[e]) &&
					  !strcmp(m->edges[i].to,
						  automaton_tlob.state_names[n]);
			if (!in_dot) {
				printf("# C transition %s -%s-> %s not in dot\n",
				       tlob_state_name(s), tlob_event_name(e),
				       tlob_state_name(n));
				ok = false;
			}
		}
	}
	tap_ok(ok, "every C transition is in the dot model");
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
	r = tlob_clock_step(&clk, switch_in_tlob, 250);
	tap_ok(r == INVALID_STATE_TLOB && clk.state == sleeping_tlob &&
	       clk.t_last == 200,
	       "switch_in while sleeping is rejected and changes nothing");
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
	static struct dot_model m;

	if (argc != 2) {
		fprintf(stderr, "usage: %s tlob.dot\n", argv[0]);
		return 2;
	}
	printf("TAP version 13\n");
	if (parse_dot(argv[1], &m)) {
		tap_ok(false, "parse %s", argv[1]);
		return tap_done();
	}
	tap_ok(true, "parse %s", argv[1]);
	check_sets(&m);
	check_transitions(&m);
	check_clock();
	check_hist();
	return tap_done();
}
