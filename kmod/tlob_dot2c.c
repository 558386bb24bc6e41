// SPDX-License-Identifier: GPL-2.0
/*
 * tlob_dot2c - turn the tlob model (Graphviz DOT, kmod/tlob.dot) into the C
 * automaton table of tlob_model.h, as the kernel's rvgen does for the RV
 * monitors: the DOT file is the source, the table is generated at build
 * time and never edited.
 *
 *   tlob_dot2c tlob.dot > tlob_model.h
 *
 * The accepted subset of DOT is the one rvgen writes and reads:
 *   {node [shape = doublecircle] "S"};     a final state
 *   {node [shape = circle] "S"};           a state
 *   "__init_S" -> "S";                     S is the initial state
 *   "S" [label = "S\nINVARIANT"];          a clock invariant of S
 *   "A" -> "B" [ label = "e1\ne2;reset(clk)" ];
 *                                          events e1, e2 lead from A to B
 *                                          (";..." are clock actions)
 * States are numbered in declaration order, the initial one first; events
 * in order of first appearance.  The model must be deterministic.  Besides
 * these, only layout statements (the graph header, center, size, rank
 * blocks) are accepted.  Exits non-zero, with a message naming the line,
 * on anything else.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define MAX_NAMES	32
#define NAME_LEN	64
#define LINE_LEN	512
#define NO_STATE	(-1)

struct model {
	char states[MAX_NAMES][NAME_LEN];
	bool final[MAX_NAMES];
	char invariant[MAX_NAMES][NAME_LEN];
	int nr_states;
	char events[MAX_NAMES][NAME_LEN];
	bool resets[MAX_NAMES];
	int nr_events;
	int initial;
	char initial_name[NAME_LEN];
	int next[MAX_NAMES][MAX_NAMES];		/* [state][event] */
};

static const char *dot_path;
static unsigned int dot_line;

/* Report an error in the model, naming the line, and exit. */
static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%u: ", dot_path, dot_line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static bool is_ident(const char *s)
{
	if (!*s || !(isalpha((unsigned char)*s) || *s == '_'))
		return false;
	for (; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '_'))
			return false;
	return true;
}

static int find(char (*names)[NAME_LEN], int n, const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return i;
	return NO_STATE;
}

static int add_name(char (*names)[NAME_LEN], int *n, const char *name)
{
	int i = find(names, *n, name);

	if (i != NO_STATE)
		return i;
	if (*n == MAX_NAMES)
		die("more than %d names", MAX_NAMES);
	if (!is_ident(name))
		die("\"%s\" is not a C identifier", name);
	snprintf(names[*n], NAME_LEN, "%s", name);
	return (*n)++;
}

/*
 * The next quoted string at or after @p into @out (NAME_LEN bytes);
 * returns the end of the string, NULL if there is none.
 */
static const char *quoted(const char *p, char *out)
{
	const char *q = p ? strchr(p, '"') : NULL, *e;

	if (!q)
		return NULL;
	e = strchr(q + 1, '"');
	if (!e)
		die("unterminated string");
	if (e - q - 1 >= NAME_LEN)
		die("string longer than %d bytes", NAME_LEN - 1);
	memcpy(out, q + 1, e - q - 1);
	out[e - q - 1] = '\0';
	return e + 1;
}

/* The value of `label = "..."` in @p, or NULL. */
static const char *label_of(const char *p, char *out)
{
	const char *l = strstr(p, "label");

	return l ? quoted(l, out) : NULL;
}

static void parse_node_decl(struct model *m, const char *line)
{
	char name[NAME_LEN];
	const char *p = strchr(line, ']');

	if (!p || !quoted(p, name))
		die("node declaration without a name");
	if (!strncmp(name, "__init_", 7))
		return;
	if (find(m->states, m->nr_states, name) != NO_STATE)
		die("state \"%s\" declared twice", name);
	m->final[add_name(m->states, &m->nr_states, name)] =
		!!strstr(line, "doublecircle");
}

/* "S" [label = "S\nINVARIANT"]: remember the invariant of S. */
static void parse_node_label(struct model *m, const char *line)
{
	char name[NAME_LEN], label[NAME_LEN];
	const char *inv;
	int s;

	quoted(line, name);
	s = find(m->states, m->nr_states, name);
	if (s == NO_STATE)
		die("label of undeclared state \"%s\"", name);
	if (!label_of(line, label))
		die("node attributes without a label");
	inv = strstr(label, "\\n");
	if (inv)
		snprintf(m->invariant[s], NAME_LEN, "%s", inv + 2);
}

static void add_edge(struct model *m, int from, int to, const char *label)
{
	char buf[NAME_LEN], *tok, *next, *semi;
	int e;

	snprintf(buf, sizeof(buf), "%s", label);
	for (tok = buf; tok; tok = next) {
		next = strstr(tok, "\\n");
		if (next) {
			*next = '\0';
			next += 2;
		}
		semi = strchr(tok, ';');
		if (semi)
			*semi++ = '\0';
		e = add_name(m->events, &m->nr_events, tok);
		if (semi && strstr(semi, "reset("))
			m->resets[e] = true;
		if (m->next[from][e] != NO_STATE && m->next[from][e] != to)
			die("not deterministic: %s x %s leads to %s and %s",
			    m->states[from], tok, m->states[m->next[from][e]],
			    m->states[to]);
		m->next[from][e] = to;
	}
}

static void parse_edge(struct model *m, const char *line, const char *arrow)
{
	char a[NAME_LEN], b[NAME_LEN], label[NAME_LEN];
	int from, to;

	if (!quoted(line, a) || !quoted(arrow, b))
		die("edge without two quoted ends");
	if (!strncmp(a, "__init_", 7)) {
		if (m->initial_name[0])
			die("two initial states");
		snprintf(m->initial_name, NAME_LEN, "%s", b);
		return;
	}
	from = find(m->states, m->nr_states, a);
	to = find(m->states, m->nr_states, b);
	if (from == NO_STATE || to == NO_STATE)
		die("edge between undeclared states \"%s\" and \"%s\"", a, b);
	if (!label_of(arrow, label))
		die("edge %s -> %s without a label", a, b);
	add_edge(m, from, to, label);
}

/*
 * The statements that carry no part of the automaton: the graph header
 * and its end, layout attributes, rank blocks and the names in them.
 */
static bool is_layout(const char *line)
{
	static const char * const starts[] = {
		"digraph ", "}", "center", "size", "rankdir", "ratio",
		"{ rank", "{rank",
	};
	const char *p = line + strspn(line, " \t");
	size_t i, n;

	if (!*p || *p == '\n')
		return true;
	for (i = 0; i < ARRAY_SIZE(starts); i++) {
		if (!strncmp(p, starts[i], strlen(starts[i])))
			return true;
	}
	/* "name"; inside a rank block */
	if (*p != '"')
		return false;
	n = strcspn(p + 1, "\"");
	return p[1 + n] == '"' && !strcmp(p + 2 + n, ";\n");
}

static void parse(struct model *m, FILE *f)
{
	char line[LINE_LEN];
	const char *arrow;
	int s, e;

	for (s = 0; s < MAX_NAMES; s++)
		for (e = 0; e < MAX_NAMES; e++)
			m->next[s][e] = NO_STATE;
	while (fgets(line, sizeof(line), f)) {
		dot_line++;
		if (!strchr(line, '\n') && !feof(f))
			die("line too long");
		arrow = strstr(line, "->");
		if (strstr(line, "{node") || strstr(line, "{ node"))
			parse_node_decl(m, line);
		else if (arrow)
			parse_edge(m, line, arrow);
		else if (line[strspn(line, " \t")] == '"' &&
			 strstr(line, "label"))
			parse_node_label(m, line);
		else if (!is_layout(line))
			die("statement not understood");
	}
	dot_line = 0;
	if (!m->initial_name[0])
		die("no initial state (\"__init_S\" -> \"S\")");
	m->initial = find(m->states, m->nr_states, m->initial_name);
	if (m->initial == NO_STATE)
		die("initial state \"%s\" not declared", m->initial_name);
	if (!m->nr_events)
		die("no transitions");
}

/* The state numbered @i in the output: the initial one, then the others. */
static int order(const struct model *m, int i)
{
	if (i == 0)
		return m->initial;
	return i <= m->initial ? i - 1 : i;
}

static void emit(const struct model *m)
{
	int i, s, e;

	/* Built, so that the tag of this file stays the only one in it. */
	printf("/* SPDX-%s: GPL-2.0 */\n", "License-Identifier");
	printf("/*\n"
	       " * Generated by tlob_dot2c from %s: do not edit, change the\n"
	       " * model and rebuild.  The C form of the tlob automaton: states,\n"
	       " * events, the transition function, final states, the states\n"
	       " * whose clock invariant the budget timer enforces, and the\n"
	       " * events that reset the clock.\n"
	       " */\n"
	       "#ifndef _TLOB_MODEL_H\n#define _TLOB_MODEL_H\n\n"
	       "#ifdef __KERNEL__\n#include <linux/types.h>\n#endif\n\n",
	       strrchr(dot_path, '/') ? strrchr(dot_path, '/') + 1 : dot_path);

	printf("enum tlob_states {\n");
	for (i = 0; i < m->nr_states; i++)
		printf("\t%s_tlob%s,\n", m->states[order(m, i)],
		       i ? "" : " = 0");
	printf("\tstate_max_tlob,\n};\n\n"
	       "#define INVALID_STATE_TLOB\tstate_max_tlob\n\n");

	printf("enum tlob_events {\n");
	for (e = 0; e < m->nr_events; e++)
		printf("\t%s_tlob%s,\n", m->events[e], e ? "" : " = 0");
	printf("\tevent_max_tlob,\n};\n\n");

	printf("struct tlob_automaton {\n"
	       "\tconst char *state_names[state_max_tlob];\n"
	       "\tconst char *event_names[event_max_tlob];\n"
	       "\tunsigned char function[state_max_tlob][event_max_tlob];\n"
	       "\tunsigned char initial_state;\n"
	       "\tbool final_states[state_max_tlob];\n"
	       "\tbool invariant_states[state_max_tlob];\n"
	       "\tbool reset_events[event_max_tlob];\n"
	       "};\n\n"
	       "static const struct tlob_automaton automaton_tlob = {\n"
	       "\t.state_names = {\n");
	for (i = 0; i < m->nr_states; i++)
		printf("\t\t\"%s\",\n", m->states[order(m, i)]);
	printf("\t},\n\t.event_names = {\n");
	for (e = 0; e < m->nr_events; e++)
		printf("\t\t\"%s\",\n", m->events[e]);
	printf("\t},\n\t.function = {\n");
	for (i = 0; i < m->nr_states; i++) {
		s = order(m, i);
		printf("\t\t[%s_tlob] = {\n", m->states[s]);
		for (e = 0; e < m->nr_events; e++) {
			printf("\t\t\t[%s_tlob] = ", m->events[e]);
			if (m->next[s][e] == NO_STATE)
				printf("INVALID_STATE_TLOB,\n");
			else
				printf("%s_tlob,\n", m->states[m->next[s][e]]);
		}
		printf("\t\t},\n");
	}
	printf("\t},\n\t.initial_state = %s_tlob,\n\t.final_states = {",
	       m->states[m->initial]);
	for (i = 0; i < m->nr_states; i++)
		printf(" %d,", m->final[order(m, i)]);
	printf(" },\n\t.invariant_states = {");
	for (i = 0; i < m->nr_states; i++)
		printf(" %d,", m->invariant[order(m, i)][0] != '\0');
	printf(" },\n\t.reset_events = {");
	for (e = 0; e < m->nr_events; e++)
		printf(" %d,", m->resets[e]);
	printf(" },\n};\n\n");

	printf("static inline const char *tlob_state_name(unsigned int state)\n"
	       "{\n"
	       "\tif (state >= state_max_tlob)\n"
	       "\t\treturn \"invalid\";\n"
	       "\treturn automaton_tlob.state_names[state];\n"
	       "}\n\n"
	       "static inline const char *tlob_event_name(unsigned int event)\n"
	       "{\n"
	       "\tif (event >= event_max_tlob)\n"
	       "\t\treturn \"invalid\";\n"
	       "\treturn automaton_tlob.event_names[event];\n"
	       "}\n\n"
	       "/* Next state of @state on @event, INVALID_STATE_TLOB if not allowed. */\n"
	       "static inline unsigned int tlob_next_state(unsigned int state,\n"
	       "\t\t\t\t\t   unsigned int event)\n"
	       "{\n"
	       "\tif (state >= state_max_tlob || event >= event_max_tlob)\n"
	       "\t\treturn INVALID_STATE_TLOB;\n"
	       "\treturn automaton_tlob.function[state][event];\n"
	       "}\n\n"
	       "#endif /* _TLOB_MODEL_H */\n");
}

int main(int argc, char **argv)
{
	static struct model m;
	FILE *f;

	if (argc != 2) {
		fprintf(stderr, "usage: %s MODEL.dot > MODEL.h\n", argv[0]);
		return 2;
	}
	dot_path = argv[1];
	f = fopen(dot_path, "r");
	if (!f) {
		perror(dot_path);
		return 1;
	}
	parse(&m, f);
	fclose(f);
	emit(&m);
	if (fflush(stdout) || ferror(stdout)) {
		perror("stdout");
		return 1;
	}
	return 0;
}
