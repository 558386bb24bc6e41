// SPDX-License-Identifier: GPL-2.0
/*
 * tlob-smp - races of tlob.ko that need two CPUs, for tests/kmod/smp.sh.
 *
 * usage: tlob-smp COMMAND ARGS...   (BUDGET: a duration, e.g. 131072ns)
 *   stop-race N BUDGET      N self-instrumented windows on CPU 0 (every
 *                           other one moved to CPU 1 after START), STOP
 *                           landing between BUDGET/2 and 3*BUDGET/2, a
 *                           busy thread on CPU 1
 *   bind-race N BUDGET      the same through a binding on this program's
 *                           smp_probe_start/smp_probe_stop (BUDGET a power
 *                           of two, for the BINDING_STATS histogram)
 *   exit-race N BUDGET      N threads open a window on CPU 0 and exit
 *                           (every other one on CPU 1) around the budget
 *   exit-race-procs N BUDGET  the same with processes
 *   disable-race N BUDGET   windows on both CPUs while enable is switched
 *                           off and on N times
 *   wake N SLEEP            a window on CPU 0 sleeps in read(), woken after
 *                           SLEEP by a thread on CPU 1 (budget SLEEP/2)
 *   migrate N HOPS          N windows whose task moves itself between the
 *                           CPUs HOPS times
 *   migrate-bind N HOPS     N binding windows whose task is moved between
 *                           the CPUs HOPS times by another thread
 *
 * Every command checks what the module reports against what happened and
 * against itself: the STOP_RESULT (violated if and only if elapsed_ns >=
 * threshold_ns, running + waiting + sleeping = elapsed), the records of the
 * owner fd and of a TLOB_SUB_ALL subscriber, BINDING_STATS and the stats
 * file. It prints a summary line and the first mismatches, and exits 1 if
 * there was any (2 on bad usage or a failing system call).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/tlob.h>

#include "kt-util.h"

#define SMP_DEV		"/dev/rv"
#define SMP_STATS	"/sys/kernel/tlob/stats"
#define SMP_ENABLE	"/sys/kernel/tlob/enable"
#define SMP_SHOW	10	/* mismatches printed per kind */

#define SMP_FN	__attribute__((noinline, used, visibility("default")))

/* The probed functions of bind-race and migrate-bind. */
volatile unsigned long smp_probe_counter[2];

SMP_FN void smp_probe_start(void);
SMP_FN void smp_probe_stop(void);

SMP_FN void smp_probe_start(void)
{
	smp_probe_counter[0]++;
}

SMP_FN void smp_probe_stop(void)
{
	smp_probe_counter[1]++;
}

/* --- small helpers -------------------------------------------------------- */

static unsigned long smp_failures;

/* Print a mismatch of KIND (the first SMP_SHOW of each) and count it. */
#define MISMATCH(count, ...) do {					\
	if ((count)++ < SMP_SHOW) {					\
		printf("MISMATCH: " __VA_ARGS__);			\
		putchar('\n');						\
	}								\
	smp_failures++;							\
} while (0)

static pid_t gettid_(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static void die(const char *what, int err)
{
	fprintf(stderr, "tlob-smp: %s: %s\n", what, strerror(err));
	exit(2);
}

static int pin_tid(pid_t tid, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(tid, sizeof(set), &set) < 0 ? -errno : 0;
}

static void pin(int cpu)
{
	int r = pin_tid(0, cpu);

	if (r < 0)
		die(cpu ? "pin to CPU 1 (does the system have two CPUs?)" :
			  "pin to CPU 0", -r);
}

static int open_dev(void)
{
	int fd = open(SMP_DEV, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		die("open " SMP_DEV, errno);
	return fd;
}

static void spin_until(uint64_t end)
{
	while (kt_now_ns() < end)
		;
}

/* A duration in [lo, hi), from a per-caller seed. */
static uint64_t rand_between(unsigned int *seed, uint64_t lo, uint64_t hi)
{
	uint64_t r = ((uint64_t)rand_r(seed) << 31) ^ (uint64_t)rand_r(seed);

	return hi > lo ? lo + r % (hi - lo) : lo;
}

static int start_window(int fd, uint64_t threshold, uint64_t tag)
{
	struct tlob_start_args a = { .threshold_ns = threshold, .tag = tag };

	return ioctl(fd, TLOB_IOCTL_TRACE_START, &a) < 0 ? -errno : 0;
}

static int stop_result(int fd, struct tlob_result *res)
{
	memset(res, 0, sizeof(*res));
	return ioctl(fd, TLOB_IOCTL_TRACE_STOP_RESULT, res) < 0 ? -errno : 0;
}

static bool breakdown_ok(uint64_t elapsed, uint64_t r, uint64_t w, uint64_t s)
{
	uint64_t sum = r + w + s, d = sum > elapsed ? sum - elapsed : elapsed - sum;

	return d <= elapsed / 100 + KT_NSEC_PER_MSEC;
}

/* --- stats file ----------------------------------------------------------- */

struct smp_stats {
	uint64_t started, completed, violations, dropped, in_use;
};

static void stats_read(struct smp_stats *s)
{
	char key[64];
	unsigned long long v;
	FILE *f = fopen(SMP_STATS, "re");

	if (!f)
		die("open " SMP_STATS, errno);
	memset(s, 0, sizeof(*s));
	while (fscanf(f, "%63s %llu", key, &v) == 2) {
		if (!strcmp(key, "windows_started"))
			s->started = v;
		else if (!strcmp(key, "windows_completed"))
			s->completed = v;
		else if (!strcmp(key, "violations"))
			s->violations = v;
		else if (!strcmp(key, "events_dropped"))
			s->dropped = v;
		else if (!strcmp(key, "windows_in_use"))
			s->in_use = v;
	}
	fclose(f);
}

/* Wait up to 10 s for windows_in_use to drop to 0. */
static uint64_t wait_windows_closed(void)
{
	uint64_t end = kt_now_ns() + 10 * KT_NSEC_PER_SEC;
	struct smp_stats s;

	for (;;) {
		stats_read(&s);
		if (!s.in_use || kt_now_ns() > end)
			return s.in_use;
		kt_sleep_ns(20 * KT_NSEC_PER_MSEC);
	}
}

static unsigned long stats_mismatches;

static void expect_delta(const char *what, uint64_t before, uint64_t after,
			 uint64_t want)
{
	if (after - before != want)
		MISMATCH(stats_mismatches, "stats %s went up by %" PRIu64
			 ", expected %" PRIu64, what, after - before, want);
}

/* --- records -------------------------------------------------------------- */

/* A TLOB_SUB_ALL subscriber draining its ring from a thread. */
struct sub {
	int fd;
	int cpu;
	pthread_t thread;
	atomic_bool stop;
	struct tlob_event *ev;
	size_t n, cap;
	uint64_t lost;
	int err;
};

static void *sub_thread(void *p)
{
	struct sub *s = p;
	struct tlob_event buf[64];

	pin(s->cpu);
	for (;;) {
		struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
		int r = poll(&pfd, 1, 200);
		ssize_t n;

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			s->err = errno;
			break;
		}
		if (r == 0) {
			if (atomic_load(&s->stop))
				break;
			continue;
		}
		n = read(s->fd, buf, sizeof(buf));
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0) {
			s->err = errno;
			break;
		}
		for (size_t i = 0; i < (size_t)n / sizeof(buf[0]); i++) {
			if (buf[i].type == TLOB_EV_LOST) {
				s->lost += buf[i].lost;
				continue;
			}
			if (s->n == s->cap) {
				size_t cap = s->cap ? 2 * s->cap : 4096;
				struct tlob_event *e = realloc(s->ev, cap * sizeof(*e));

				if (!e) {
					s->err = ENOMEM;
					return NULL;
				}
				s->ev = e;
				s->cap = cap;
			}
			s->ev[s->n++] = buf[i];
		}
	}
	return NULL;
}

static void sub_start(struct sub *s, int cpu)
{
	uint32_t flags = TLOB_SUB_ALL;
	int r;

	memset(s, 0, sizeof(*s));
	s->fd = open_dev();
	s->cpu = cpu;
	if (ioctl(s->fd, TLOB_IOCTL_SUBSCRIBE, &flags) < 0)
		die("SUBSCRIBE", errno);
	r = pthread_create(&s->thread, NULL, sub_thread, s);
	if (r)
		die("pthread_create", r);
}

/* Collect everything queued until now (the subscriber waits for 200 ms of quiet). */
static void sub_finish(struct sub *s)
{
	atomic_store(&s->stop, true);
	pthread_join(s->thread, NULL);
	close(s->fd);
	if (s->err)
		die("subscriber read", s->err);
}

/*
 * The records of the owner fd of a window that just closed: everything
 * queued now (WINDOW_END is queued before STOP returns, a VIOLATION
 * before the window can close).
 */
static size_t read_now(int fd, struct tlob_event *ev, size_t max, uint64_t *lost)
{
	size_t got = 0;

	while (got < max) {
		ssize_t n = read(fd, ev + got, (max - got) * sizeof(*ev));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0)
			die("read", errno);
		for (size_t i = got; i < got + (size_t)n / sizeof(*ev); i++) {
			if (ev[i].type == TLOB_EV_LOST)
				*lost += ev[i].lost;
		}
		got += (size_t)n / sizeof(*ev);
	}
	return got;
}

static void set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		die("fcntl", errno);
}

/* Per cookie: VIOLATION and WINDOW_END records of the subscriber. */
struct tally {
	unsigned int violation, window_end;
	uint64_t end_elapsed;
	uint64_t end_ns[3];
	uint64_t viol_elapsed;
};

/* Index of cookie (base + i) for i < n, or -1. */
static long cookie_index(uint64_t cookie, uint64_t base, size_t n)
{
	return cookie >= base && cookie - base < n ? (long)(cookie - base) : -1;
}

static struct tally *tally_records(const struct sub *s, uint64_t base, size_t n,
				   size_t *foreign)
{
	struct tally *t = calloc(n ? n : 1, sizeof(*t));

	if (!t)
		die("calloc", ENOMEM);
	*foreign = 0;
	for (size_t i = 0; i < s->n; i++) {
		const struct tlob_event *e = &s->ev[i];
		long k = cookie_index(e->cookie, base, n);

		if (k < 0) {
			(*foreign)++;
			continue;
		}
		if (e->type == TLOB_EV_VIOLATION) {
			t[k].violation++;
			t[k].viol_elapsed = e->elapsed_ns;
		} else if (e->type == TLOB_EV_WINDOW_END) {
			t[k].window_end++;
			t[k].end_elapsed = e->elapsed_ns;
			t[k].end_ns[0] = e->running_ns;
			t[k].end_ns[1] = e->waiting_ns;
			t[k].end_ns[2] = e->sleeping_ns;
		}
	}
	return t;
}

/* --- busy thread ---------------------------------------------------------- */

struct hog {
	pthread_t thread;
	int cpu;
	atomic_bool stop;
};

static void *hog_thread(void *p)
{
	struct hog *h = p;

	pin(h->cpu);
	/* Busy, but out of the way of the windows' tasks when they come. */
	setpriority(PRIO_PROCESS, (id_t)gettid_(), 19);
	while (!atomic_load_explicit(&h->stop, memory_order_relaxed))
		;
	return NULL;
}

static void hog_start(struct hog *h, int cpu)
{
	int r;

	h->cpu = cpu;
	atomic_store(&h->stop, false);
	r = pthread_create(&h->thread, NULL, hog_thread, h);
	if (r)
		die("pthread_create", r);
}

static void hog_stop(struct hog *h)
{
	atomic_store(&h->stop, true);
	pthread_join(h->thread, NULL);
}

/* --- checks of one STOP_RESULT -------------------------------------------- */

struct result_check {
	unsigned long results, violated;
	unsigned long bad_ret, bad_fields, late_within, early_violated, bad_sum;
	unsigned long bad_own;
};

/*
 * @r and @res: what STOP_RESULT returned for the window tagged @tag, of
 * budget @budget; @own: the records its owner fd got.
 */
static void check_result(struct result_check *c, uint64_t tag, const char *where,
			 int r, const struct tlob_result *res, uint64_t budget,
			 const struct tlob_event *own, size_t nown)
{
	bool over;

	c->results++;
	if (r != 0 && r != -EOVERFLOW) {
		MISMATCH(c->bad_ret, "window %" PRIx64 " (%s): STOP_RESULT %s",
			 tag, where, kt_errno_name(r));
		return;
	}
	if ((r == -EOVERFLOW) != !!res->violated)
		MISMATCH(c->bad_ret, "window %" PRIx64 " (%s): STOP_RESULT %s with violated=%u",
			 tag, where, kt_errno_name(r), res->violated);
	if (res->threshold_ns != budget || res->reserved || res->violated > 1)
		MISMATCH(c->bad_fields, "window %" PRIx64 " (%s): threshold_ns=%" PRIu64
			 " reserved=%u violated=%u", tag, where,
			 (uint64_t)res->threshold_ns, res->reserved, res->violated);
	over = res->elapsed_ns >= res->threshold_ns;
	if (res->violated)
		c->violated++;
	if (over && !res->violated)
		MISMATCH(c->late_within, "window %" PRIx64 " (%s): elapsed_ns=%" PRIu64
			 " >= threshold_ns=%" PRIu64 " but not violated (%s)", tag,
			 where, (uint64_t)res->elapsed_ns,
			 (uint64_t)res->threshold_ns, kt_errno_name(r));
	if (!over && res->violated)
		MISMATCH(c->early_violated, "window %" PRIx64 " (%s): elapsed_ns=%" PRIu64
			 " < threshold_ns=%" PRIu64 " but violated", tag, where,
			 (uint64_t)res->elapsed_ns, (uint64_t)res->threshold_ns);
	if (!breakdown_ok(res->elapsed_ns, res->running_ns, res->waiting_ns,
			  res->sleeping_ns))
		MISMATCH(c->bad_sum, "window %" PRIx64 " (%s): running %" PRIu64
			 " + waiting %" PRIu64 " + sleeping %" PRIu64 " vs elapsed %" PRIu64,
			 tag, where, (uint64_t)res->running_ns,
			 (uint64_t)res->waiting_ns, (uint64_t)res->sleeping_ns,
			 (uint64_t)res->elapsed_ns);
	if (!own)
		return;
	if (res->violated) {
		if (nown != 2 || own[0].type != TLOB_EV_VIOLATION ||
		    own[1].type != TLOB_EV_WINDOW_END || own[0].cookie != tag ||
		    own[1].cookie != tag || own[1].elapsed_ns != res->elapsed_ns ||
		    own[0].elapsed_ns < res->threshold_ns ||
		    own[0].elapsed_ns > res->elapsed_ns)
			MISMATCH(c->bad_own, "window %" PRIx64 " (%s): violated, owner fd got %zu"
				 " records (want VIOLATION, WINDOW_END with elapsed_ns=%"
				 PRIu64 "), the first of type %u", tag, where, nown,
				 (uint64_t)res->elapsed_ns, nown ? own[0].type : 0);
	} else if (nown) {
		MISMATCH(c->bad_own, "window %" PRIx64 " (%s): not violated, but the owner fd"
			 " got %zu records (first type %u, elapsed_ns=%" PRIu64 ")",
			 tag, where, nown, own[0].type, (uint64_t)own[0].elapsed_ns);
	}
}

static void print_check(const char *name, const struct result_check *c)
{
	printf("%s results=%lu violated=%lu late_stop_not_violated=%lu "
	       "violated_before_budget=%lu bad_return=%lu bad_fields=%lu "
	       "bad_breakdown=%lu bad_owner_records=%lu\n", name, c->results,
	       c->violated, c->late_within, c->early_violated, c->bad_ret,
	       c->bad_fields, c->bad_sum, c->bad_own);
}

/* Subscriber records of windows whose STOP_RESULT is known. */
static unsigned long sub_mismatches;

static void check_sub(const struct tally *t, uint64_t tag, int r,
		      const struct tlob_result *res)
{
	bool v = (r == 0 || r == -EOVERFLOW) && res->violated;

	if (t->violation != v || t->window_end != v ||
	    (v && t->end_elapsed != res->elapsed_ns))
		MISMATCH(sub_mismatches, "window %" PRIx64 ": result %s violated=%u"
			 " elapsed_ns=%" PRIu64 ", subscriber got %u VIOLATION and %u"
			 " WINDOW_END (elapsed_ns=%" PRIu64 ")", tag, kt_errno_name(r),
			 res->violated, (uint64_t)res->elapsed_ns, t->violation,
			 t->window_end, t->end_elapsed);
}

static uint64_t tag_base(void)
{
	return ((uint64_t)getpid() << 32) | ((uint64_t)(kt_now_ns() & 0xffff) << 16);
}

/* --- stop-race ------------------------------------------------------------ */

struct iter {
	int r;
	struct tlob_result res;
};

static int cmd_stop_race(uint64_t n, uint64_t budget)
{
	struct result_check c = { 0 };
	struct smp_stats s0, s1;
	struct tlob_event own[8];
	struct iter *it = calloc(n, sizeof(*it));
	uint64_t base = tag_base(), lost = 0;
	unsigned int seed = (unsigned int)getpid();
	unsigned long cross = 0;
	struct tally *t;
	struct sub sub;
	struct hog hog;
	size_t foreign;
	int fd;

	if (!it)
		die("calloc", ENOMEM);
	pin(0);
	fd = open_dev();
	set_nonblock(fd);
	sub_start(&sub, 1);
	hog_start(&hog, 1);
	stats_read(&s0);
	for (uint64_t i = 0; i < n; i++) {
		bool move = i & 1;
		uint64_t t0 = kt_now_ns();
		uint64_t end = t0 + rand_between(&seed, budget / 2, budget * 3 / 2);
		size_t nown;
		int r;

		r = start_window(fd, budget, base + i);
		if (r < 0)
			die("TRACE_START", -r);
		if (move) {
			/* The timer stays on CPU 0; STOP comes from CPU 1. */
			pin(1);
			cross++;
		}
		spin_until(end);
		it[i].r = stop_result(fd, &it[i].res);
		if (move)
			pin(0);
		nown = read_now(fd, own, 8, &lost);
		check_result(&c, base + i, move ? "STOP on CPU 1" : "STOP on CPU 0",
			     it[i].r, &it[i].res, budget, own, nown);
	}
	hog_stop(&hog);
	if (wait_windows_closed())
		MISMATCH(stats_mismatches, "windows_in_use did not return to 0");
	sub_finish(&sub);
	stats_read(&s1);

	t = tally_records(&sub, base, n, &foreign);
	for (uint64_t i = 0; i < n; i++)
		check_sub(&t[i], base + i, it[i].r, &it[i].res);
	expect_delta("windows_started", s0.started, s1.started, n);
	expect_delta("windows_completed", s0.completed, s1.completed, n);
	expect_delta("violations", s0.violations, s1.violations, c.violated);
	expect_delta("events_dropped", s0.dropped, s1.dropped, 0);
	if (lost || sub.lost)
		MISMATCH(sub_mismatches, "records lost: owner %" PRIu64 ", subscriber %" PRIu64,
			 lost, sub.lost);
	print_check("stop-race", &c);
	printf("stop-race windows=%" PRIu64 " stop_on_other_cpu=%lu budget_ns=%" PRIu64
	       " subscriber_records=%zu foreign=%zu subscriber_mismatches=%lu"
	       " stats_mismatches=%lu\n", n, cross, budget, sub.n, foreign,
	       sub_mismatches, stats_mismatches);
	free(t);
	free(it);
	free(sub.ev);
	close(fd);
	return smp_failures ? 1 : 0;
}

/* --- bindings on this program --------------------------------------------- */

static uint32_t bind_self(int fd, uint64_t budget, uint64_t cookie)
{
	struct tlob_bind_args a = { .threshold_ns = budget, .cookie = cookie };
	char exe[PATH_MAX];
	ssize_t len;
	uint64_t off;
	int r;

	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len < 0)
		die("readlink /proc/self/exe", errno);
	exe[len] = '\0';
	r = kt_resolve_offset(exe, "smp_probe_start", &off);
	if (r < 0)
		die("resolve smp_probe_start", -r);
	a.start_offset = off;
	r = kt_resolve_offset(exe, "smp_probe_stop", &off);
	if (r < 0)
		die("resolve smp_probe_stop", -r);
	a.stop_offset = off;
	a.fd = open(exe, O_RDONLY | O_CLOEXEC);
	if (a.fd < 0)
		die("open own executable", errno);
	if (ioctl(fd, TLOB_IOCTL_BIND, &a) < 0)
		die("BIND", errno);
	close(a.fd);
	return a.id;
}

static void binding_stats(int fd, uint32_t id, struct tlob_binding_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->id = id;
	if (ioctl(fd, TLOB_IOCTL_BINDING_STATS, st) < 0)
		die("BINDING_STATS", errno);
}

static int log2_exact(uint64_t v)
{
	int b = 0;

	if (!v || (v & (v - 1)))
		return -1;
	while (v > 1) {
		v >>= 1;
		b++;
	}
	return b;
}

/*
 * Windows of a binding: violated ones are those with a WINDOW_END; with
 * a power-of-two budget 2^B, BINDING_STATS' histogram says exactly how many
 * lasted at least the budget (buckets B and up).
 */
static void check_binding(const char *name, int fd, uint32_t id, uint64_t budget,
			  uint64_t n, unsigned long violated_own,
			  const struct sub *sub, uint64_t cookie,
			  const struct smp_stats *s0, const struct smp_stats *s1)
{
	unsigned long viol = 0, ends = 0, bad_rec = 0, bad = 0;
	struct tlob_binding_stats st;
	uint64_t over = 0;
	int b = log2_exact(budget);

	binding_stats(fd, id, &st);
	for (size_t i = 0; i < sub->n; i++) {
		const struct tlob_event *e = &sub->ev[i];

		if (e->binding_id != id)
			continue;
		if (e->cookie != cookie || e->threshold_ns != budget)
			MISMATCH(bad_rec, "record of binding %u with cookie %" PRIu64
				 " threshold %" PRIu64, id, (uint64_t)e->cookie,
				 (uint64_t)e->threshold_ns);
		if (e->type == TLOB_EV_VIOLATION) {
			viol++;
			if (e->elapsed_ns < budget)
				MISMATCH(bad_rec, "VIOLATION with elapsed_ns=%" PRIu64
					 " < threshold", (uint64_t)e->elapsed_ns);
		} else if (e->type == TLOB_EV_WINDOW_END) {
			ends++;
			if (e->elapsed_ns < budget)
				MISMATCH(bad_rec, "WINDOW_END with elapsed_ns=%" PRIu64
					 " < threshold", (uint64_t)e->elapsed_ns);
			if (!breakdown_ok(e->elapsed_ns, e->running_ns, e->waiting_ns,
					  e->sleeping_ns))
				MISMATCH(bad_rec, "WINDOW_END: running %" PRIu64 " + waiting %"
					 PRIu64 " + sleeping %" PRIu64 " vs elapsed %" PRIu64,
					 (uint64_t)e->running_ns, (uint64_t)e->waiting_ns,
					 (uint64_t)e->sleeping_ns, (uint64_t)e->elapsed_ns);
		}
	}
	if (b >= 0) {
		for (int i = b; i < TLOB_HIST_BUCKETS; i++)
			over += st.hist[i];
	}
	printf("%s windows=%" PRIu64 " violations=%" PRIu64 " at_or_over_budget=%" PRIu64
	       " max_ns=%" PRIu64 " subscriber_violation=%lu subscriber_window_end=%lu"
	       " owner_violated=%lu\n", name, (uint64_t)st.windows,
	       (uint64_t)st.violations, over, (uint64_t)st.max_ns, viol, ends,
	       violated_own);
	if (st.windows != n)
		MISMATCH(bad, "BINDING_STATS windows=%" PRIu64 ", expected %" PRIu64,
			 (uint64_t)st.windows, n);
	if (b >= 0 && st.violations != over)
		MISMATCH(bad, "BINDING_STATS: %" PRIu64 " windows lasted >= the budget"
			 " (histogram) but violations=%" PRIu64,
			 over, (uint64_t)st.violations);
	if (st.violations != viol || st.violations != ends ||
	    st.violations != violated_own)
		MISMATCH(bad, "violations: BINDING_STATS %" PRIu64 ", subscriber VIOLATION %lu,"
			 " WINDOW_END %lu, owner fd %lu", (uint64_t)st.violations,
			 viol, ends, violated_own);
	if (!st.violations && st.max_ns >= budget)
		MISMATCH(bad, "max_ns=%" PRIu64 " >= threshold with no violation",
			 (uint64_t)st.max_ns);
	expect_delta("windows_started", s0->started, s1->started, n);
	expect_delta("windows_completed", s0->completed, s1->completed, n);
	expect_delta("violations", s0->violations, s1->violations, st.violations);
	expect_delta("events_dropped", s0->dropped, s1->dropped, 0);
	if (sub->lost)
		MISMATCH(bad, "subscriber lost %" PRIu64 " records", sub->lost);
}

/* --- bind-race ------------------------------------------------------------ */

static int cmd_bind_race(uint64_t n, uint64_t budget)
{
	struct smp_stats s0, s1;
	struct tlob_event own[8];
	uint64_t cookie = tag_base(), lost = 0;
	unsigned int seed = (unsigned int)getpid();
	unsigned long violated = 0, bad_own = 0, cross = 0;
	struct sub sub;
	struct hog hog;
	uint32_t id;
	int fd;

	if (log2_exact(budget) < 0) {
		fprintf(stderr, "tlob-smp: bind-race needs a power-of-two budget\n");
		return 2;
	}
	pin(0);
	fd = open_dev();
	set_nonblock(fd);
	id = bind_self(fd, budget, cookie);
	sub_start(&sub, 1);
	hog_start(&hog, 1);
	stats_read(&s0);
	for (uint64_t i = 0; i < n; i++) {
		bool move = i & 1;
		uint64_t t0 = kt_now_ns();
		uint64_t end = t0 + rand_between(&seed, budget / 2, budget * 3 / 2);
		size_t nown;

		smp_probe_start();
		if (move) {
			pin(1);
			cross++;
		}
		spin_until(end);
		smp_probe_stop();
		if (move)
			pin(0);
		nown = read_now(fd, own, 8, &lost);
		if (nown == 2 && own[0].type == TLOB_EV_VIOLATION &&
		    own[1].type == TLOB_EV_WINDOW_END && own[1].binding_id == id)
			violated++;
		else if (nown)
			MISMATCH(bad_own, "binding window %" PRIu64 ": owner fd got %zu records"
				 " (first type %u)", i, nown, own[0].type);
	}
	hog_stop(&hog);
	if (wait_windows_closed())
		MISMATCH(stats_mismatches, "windows_in_use did not return to 0");
	sub_finish(&sub);
	stats_read(&s1);
	check_binding("bind-race", fd, id, budget, n, violated, &sub, cookie, &s0, &s1);
	if (lost)
		MISMATCH(bad_own, "owner fd lost %" PRIu64 " records", lost);
	printf("bind-race windows=%" PRIu64 " stop_on_other_cpu=%lu budget_ns=%" PRIu64
	       " bad_owner_records=%lu stats_mismatches=%lu\n", n, cross, budget,
	       bad_own, stats_mismatches);
	free(sub.ev);
	close(fd);
	return smp_failures ? 1 : 0;
}

/* --- exit-race ------------------------------------------------------------ */

struct exit_job {
	int fd;
	uint64_t budget, tag, len;
	bool move;
	int r;
};

/* Open a window on CPU 0 and exit (from CPU 1 if @move) after @len. */
static void *exit_thread(void *p)
{
	struct exit_job *j = p;
	uint64_t t0;

	pin(0);
	t0 = kt_now_ns();
	j->r = start_window(j->fd, j->budget, j->tag);
	if (j->move)
		pin(1);
	spin_until(t0 + j->len);
	return NULL;
}

#define EXIT_FDS 16

/* The records queued on @fd (an owner fd): VIOLATIONs counted per window. */
static void drain_owner(int fd, unsigned int *viol, uint64_t base, size_t n,
			uint64_t *lost, unsigned long *bad)
{
	struct tlob_event ev[64];
	size_t got;

	do {
		got = read_now(fd, ev, 64, lost);
		for (size_t i = 0; i < got; i++) {
			long k = cookie_index(ev[i].cookie, base, n);

			if (ev[i].type == TLOB_EV_LOST)
				continue;
			if (k < 0 || ev[i].type != TLOB_EV_VIOLATION)
				MISMATCH(*bad, "owner fd: a record of type %u, cookie %" PRIx64,
					 ev[i].type, (uint64_t)ev[i].cookie);
			else
				viol[k]++;
		}
	} while (got == 64);
}

static int cmd_exit_race(uint64_t n, uint64_t budget, bool procs)
{
	struct smp_stats s0, s1;
	uint64_t base = tag_base(), lost = 0;
	unsigned int seed = (unsigned int)getpid();
	unsigned long started = 0, busy = 0, bad = 0, lost_windows = 0;
	unsigned int *own_viol = calloc(n, sizeof(*own_viol));
	int fds[EXIT_FDS];
	struct tally *t;
	struct sub sub;
	size_t foreign;

	if (!own_viol)
		die("calloc", ENOMEM);
	pin(1);
	for (int i = 0; i < EXIT_FDS; i++) {
		fds[i] = open_dev();
		set_nonblock(fds[i]);
	}
	sub_start(&sub, 1);
	stats_read(&s0);
	for (uint64_t i = 0; i < n; i++) {
		struct exit_job j = {
			.fd = fds[i % EXIT_FDS], .budget = budget, .tag = base + i,
			.len = rand_between(&seed, budget / 2, budget * 3 / 2),
			.move = i & 1,
		};
		pthread_t th;
		int r;

		/* Records of the fd's windows of 16 rounds ago (long gone). */
		if (!procs)
			drain_owner(j.fd, own_viol, base, n, &lost, &bad);

		if (procs) {
			pid_t pid = fork();
			int status;

			if (pid < 0)
				die("fork", errno);
			if (pid == 0) {
				/* Its own fd: closed by the exit too. */
				j.fd = open(SMP_DEV, O_RDWR | O_CLOEXEC);
				exit_thread(&j);
				_exit(j.fd < 0 || j.r ? 3 : 0);
			}
			if (waitpid(pid, &status, 0) < 0)
				die("waitpid", errno);
			if (!WIFEXITED(status) || WEXITSTATUS(status))
				MISMATCH(bad, "child %d: status 0x%x", pid, status);
			else
				started++;
			continue;
		}
		for (int k = 0; k < 1000; k++) {
			r = pthread_create(&th, NULL, exit_thread, &j);
			if (r)
				die("pthread_create", r);
			pthread_join(th, NULL);
			/*
			 * pthread_join() returns before the kernel's exit
			 * path freed the window (the tid is cleared first):
			 * then START on that fd is EALREADY for a moment.
			 */
			if (j.r != -EALREADY)
				break;
			busy++;
			kt_sleep_ns(KT_NSEC_PER_MSEC);
		}
		if (j.r)
			MISMATCH(bad, "window %" PRIx64 ": TRACE_START %s", j.tag,
				 kt_errno_name(j.r));
		else
			started++;
	}
	if (wait_windows_closed())
		MISMATCH(bad, "windows_in_use did not return to 0 after the exits");
	/* Every fd lost its window: STOP has nothing to stop. */
	for (int i = 0; i < EXIT_FDS; i++) {
		struct tlob_result res;
		int r = stop_result(fds[i], &res);

		if (r != -EINVAL)
			MISMATCH(lost_windows, "fd %d: STOP_RESULT after its window's task"
				 " exited: %s", i, kt_errno_name(r));
		if (!procs)
			drain_owner(fds[i], own_viol, base, n, &lost, &bad);
		close(fds[i]);
	}
	sub_finish(&sub);
	stats_read(&s1);
	t = tally_records(&sub, base, n, &foreign);
	{
		unsigned long viol = 0;

		for (uint64_t i = 0; i < n; i++) {
			if (t[i].window_end || t[i].violation > 1)
				MISMATCH(bad, "window %" PRIx64 " ended by exit: %u VIOLATION,"
					 " %u WINDOW_END records", base + i,
					 t[i].violation, t[i].window_end);
			if (t[i].violation && t[i].viol_elapsed < budget)
				MISMATCH(bad, "window %" PRIx64 ": VIOLATION with elapsed_ns=%"
					 PRIu64, base + i, t[i].viol_elapsed);
			if (!procs && own_viol[i] != t[i].violation)
				MISMATCH(bad, "window %" PRIx64 ": %u VIOLATION on its owner fd,"
					 " %u on the subscriber", base + i, own_viol[i],
					 t[i].violation);
			viol += t[i].violation;
		}
		if (lost)
			MISMATCH(bad, "owner fds lost %" PRIu64 " records", lost);
		expect_delta("windows_started", s0.started, s1.started, started);
		expect_delta("windows_completed", s0.completed, s1.completed, 0);
		expect_delta("violations", s0.violations, s1.violations, viol);
		expect_delta("events_dropped", s0.dropped, s1.dropped, 0);
		if (sub.lost)
			MISMATCH(bad, "subscriber lost %" PRIu64 " records", sub.lost);
		printf("exit-race %s=%" PRIu64 " started=%lu violations_before_exit=%lu"
		       " start_ealready_retries=%lu foreign=%zu mismatches=%lu"
		       " stats_mismatches=%lu\n", procs ? "processes" : "threads", n,
		       started, viol, busy, foreign, bad + lost_windows,
		       stats_mismatches);
	}
	free(t);
	free(own_viol);
	free(sub.ev);
	return smp_failures ? 1 : 0;
}

/* --- disable-race --------------------------------------------------------- */

struct dis_worker {
	pthread_t thread;
	int cpu;
	uint64_t budget, base;
	atomic_bool *stop;
	/* out: the windows started, with what their STOP_RESULT said */
	struct iter *it;
	size_t n, cap;
	unsigned long nodev, closed, bad;
	int bad_r;
	struct result_check c;
};

static void *dis_thread(void *p)
{
	struct dis_worker *w = p;
	unsigned int seed = (unsigned int)(getpid() + w->cpu);
	struct tlob_event own[8];
	uint64_t lost = 0;
	int fd;

	pin(w->cpu);
	fd = open_dev();
	set_nonblock(fd);
	while (!atomic_load(w->stop)) {
		uint64_t tag = w->base + w->n, t0 = kt_now_ns();
		struct iter *cur;
		size_t nown;
		int r;

		if (w->n == w->cap) {
			size_t cap = w->cap ? 2 * w->cap : 4096;
			struct iter *it = realloc(w->it, cap * sizeof(*it));

			if (!it)
				die("realloc", ENOMEM);
			w->it = it;
			w->cap = cap;
		}
		cur = &w->it[w->n++];
		cur->r = start_window(fd, w->budget, tag);
		if (cur->r == -ENODEV) {
			w->nodev++;
			w->n--;
			sched_yield();
			continue;
		}
		if (cur->r) {
			w->bad++;
			w->bad_r = cur->r;
			w->n--;
			continue;
		}
		spin_until(t0 + rand_between(&seed, w->budget / 2, w->budget * 3 / 2));
		r = stop_result(fd, &cur->res);
		cur->r = r == -EINVAL ? -ESRCH : r;	/* ESRCH: closed by disable */
		nown = read_now(fd, own, 8, &lost);
		if (r == -EINVAL) {
			w->closed++;
			/* A VIOLATION may have come before the disable. */
			if (nown > 1 || (nown && own[0].type != TLOB_EV_VIOLATION))
				MISMATCH(w->c.bad_own, "window %" PRIx64 " closed by disable:"
					 " owner fd got %zu records", tag, nown);
			continue;
		}
		check_result(&w->c, tag, w->cpu ? "CPU 1" : "CPU 0", r, &cur->res,
			     w->budget, own, nown);
	}
	if (lost)
		MISMATCH(w->c.bad_own, "owner fd lost %" PRIu64 " records", lost);
	close(fd);
	return NULL;
}

static void write_enable(int fd, char c)
{
	if (pwrite(fd, &c, 1, 0) != 1)
		die("write " SMP_ENABLE, errno);
}

static int cmd_disable_race(uint64_t toggles, uint64_t budget)
{
	struct dis_worker w[2];
	struct smp_stats s0, s1;
	atomic_bool stop = false;
	unsigned int seed = (unsigned int)getpid();
	uint64_t base = tag_base();
	unsigned long started = 0, results = 0, viol = 0, closed = 0;
	struct tally *t[2];
	struct sub sub;
	size_t foreign[2];
	int efd;

	efd = open(SMP_ENABLE, O_WRONLY | O_CLOEXEC);
	if (efd < 0)
		die("open " SMP_ENABLE, errno);
	pin(1);
	sub_start(&sub, 1);
	stats_read(&s0);
	for (int i = 0; i < 2; i++) {
		int r;

		memset(&w[i], 0, sizeof(w[i]));
		w[i].cpu = i;
		w[i].budget = budget;
		w[i].base = base + ((uint64_t)i << 31);
		w[i].stop = &stop;
		r = pthread_create(&w[i].thread, NULL, dis_thread, &w[i]);
		if (r)
			die("pthread_create", r);
	}
	for (uint64_t k = 0; k < toggles; k++) {
		kt_sleep_ns(rand_between(&seed, 0, 4 * budget));
		write_enable(efd, '0');
		kt_sleep_ns(rand_between(&seed, 0, 2 * budget));
		write_enable(efd, '1');
	}
	atomic_store(&stop, true);
	for (int i = 0; i < 2; i++)
		pthread_join(w[i].thread, NULL);
	close(efd);
	if (wait_windows_closed())
		MISMATCH(stats_mismatches, "windows_in_use did not return to 0");
	sub_finish(&sub);
	stats_read(&s1);
	for (int i = 0; i < 2; i++) {
		t[i] = tally_records(&sub, w[i].base, w[i].n, &foreign[i]);
		for (size_t k = 0; k < w[i].n; k++) {
			const struct iter *it = &w[i].it[k];
			const struct tally *ty = &t[i][k];

			started++;
			if (it->r == -ESRCH) {
				if (ty->window_end || ty->violation > 1)
					MISMATCH(sub_mismatches, "window %" PRIx64 " closed by"
						 " disable: subscriber got %u VIOLATION, %u"
						 " WINDOW_END", w[i].base + k,
						 ty->violation, ty->window_end);
				viol += ty->violation;
				continue;
			}
			results++;
			viol += ty->violation;
			check_sub(ty, w[i].base + k, it->r, &it->res);
		}
		if (w[i].bad)
			MISMATCH(stats_mismatches, "CPU %d: %lu TRACE_START failed (last %s)",
				 i, w[i].bad, kt_errno_name(w[i].bad_r));
		print_check(i ? "disable-race cpu1" : "disable-race cpu0", &w[i].c);
		closed += w[i].closed;
	}
	expect_delta("windows_started", s0.started, s1.started, started);
	expect_delta("windows_completed", s0.completed, s1.completed, results);
	expect_delta("violations", s0.violations, s1.violations, viol);
	expect_delta("events_dropped", s0.dropped, s1.dropped, 0);
	if (sub.lost)
		MISMATCH(sub_mismatches, "subscriber lost %" PRIu64 " records", sub.lost);
	printf("disable-race toggles=%" PRIu64 " windows=%lu completed=%lu"
	       " closed_by_disable=%lu start_enodev=%lu violations=%lu"
	       " subscriber_mismatches=%lu stats_mismatches=%lu\n", toggles, started,
	       results, closed, w[0].nodev + w[1].nodev, viol, sub_mismatches,
	       stats_mismatches);
	if (!closed)
		MISMATCH(stats_mismatches, "no window was closed by a disable: no race");
	for (int i = 0; i < 2; i++) {
		free(t[i]);
		free(w[i].it);
	}
	free(sub.ev);
	return smp_failures ? 1 : 0;
}

/* --- wake ----------------------------------------------------------------- */

struct waker {
	int ready, go;		/* pipe ends */
	uint64_t sleep;
	uint64_t n;
	int cpu_seen;		/* -1: not all on CPU 1 */
};

static void *waker_thread(void *p)
{
	struct waker *k = p;
	char c;

	pin(1);
	k->cpu_seen = 1;
	for (uint64_t i = 0; i < k->n; i++) {
		if (read(k->ready, &c, 1) != 1)
			die("read ready", errno);
		kt_sleep_ns(k->sleep);
		if (sched_getcpu() != 1)
			k->cpu_seen = -1;
		if (write(k->go, &c, 1) != 1)
			die("write go", errno);
	}
	return NULL;
}

static int cmd_wake(uint64_t n, uint64_t sleep)
{
	int ready[2], go[2], fd, r;
	uint64_t budget = sleep / 2, base = tag_base(), lost = 0;
	uint64_t tot_elapsed = 0, tot_sleep = 0;
	unsigned long bad = 0, not_cpu0 = 0;
	struct result_check c = { 0 };
	struct tlob_event own[8];
	struct waker k;
	pthread_t th;

	if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(go, O_CLOEXEC) < 0)
		die("pipe", errno);
	k = (struct waker){ .ready = ready[0], .go = go[1], .sleep = sleep, .n = n };
	pin(0);
	fd = open_dev();
	set_nonblock(fd);
	r = pthread_create(&th, NULL, waker_thread, &k);
	if (r)
		die("pthread_create", r);
	for (uint64_t i = 0; i < n; i++) {
		struct tlob_result res;
		size_t nown;
		char ch = 'x';

		r = start_window(fd, budget, base + i);
		if (r)
			die("TRACE_START", -r);
		if (write(ready[1], &ch, 1) != 1)
			die("write ready", errno);
		if (read(go[0], &ch, 1) != 1)
			die("read go", errno);
		if (sched_getcpu() != 0)
			not_cpu0++;
		r = stop_result(fd, &res);
		nown = read_now(fd, own, 8, &lost);
		check_result(&c, base + i, "woken from CPU 1", r, &res, budget, own, nown);
		if (!res.violated)
			MISMATCH(bad, "window %" PRIx64 ": slept %" PRIu64 " ns with a budget"
				 " of %" PRIu64 " ns, not violated", base + i, sleep, budget);
		/* The budget expired while the task slept on CPU 0. */
		if (nown >= 1 && own[0].type == TLOB_EV_VIOLATION &&
		    own[0].state != TLOB_STATE_SLEEPING)
			MISMATCH(bad, "window %" PRIx64 ": state at expiry %u, not sleeping",
				 base + i, own[0].state);
		if (res.sleeping_ns < sleep / 2)
			MISMATCH(bad, "window %" PRIx64 ": sleeping_ns=%" PRIu64 " for a %"
				 PRIu64 " ns sleep (running %" PRIu64 ", waiting %" PRIu64 ")",
				 base + i, (uint64_t)res.sleeping_ns, sleep,
				 (uint64_t)res.running_ns, (uint64_t)res.waiting_ns);
		tot_elapsed += res.elapsed_ns;
		tot_sleep += res.sleeping_ns;
	}
	pthread_join(th, NULL);
	if (k.cpu_seen != 1)
		MISMATCH(bad, "the waker did not stay on CPU 1");
	if (not_cpu0)
		MISMATCH(bad, "the sleeper left CPU 0 %lu times", not_cpu0);
	if (tot_sleep * 10 < tot_elapsed * 9)
		MISMATCH(bad, "sleeping_ns is %" PRIu64 " of %" PRIu64 " ns elapsed in all"
			 " (want >= 90%%)", tot_sleep, tot_elapsed);
	if (lost)
		MISMATCH(bad, "owner fd lost %" PRIu64 " records", lost);
	print_check("wake", &c);
	printf("wake windows=%" PRIu64 " sleep_ns=%" PRIu64 " elapsed_ns_total=%" PRIu64
	       " sleeping_ns_total=%" PRIu64 " mismatches=%lu\n", n, sleep, tot_elapsed,
	       tot_sleep, bad);
	close(fd);
	return smp_failures ? 1 : 0;
}

/* --- migrate -------------------------------------------------------------- */

/* Self-moving windows: even ones within a long budget, odd ones over a short one. */
static int cmd_migrate(uint64_t n, uint64_t hops)
{
	const uint64_t hop_ns = 5 * KT_NSEC_PER_MSEC;
	struct result_check c = { 0 };
	struct smp_stats s0, s1;
	struct tlob_event own[8];
	uint64_t base = tag_base(), lost = 0, want_viol = 0;
	unsigned long bad = 0;
	int fd;

	pin(0);
	fd = open_dev();
	set_nonblock(fd);
	stats_read(&s0);
	for (uint64_t i = 0; i < n; i++) {
		uint64_t budget = i & 1 ? hop_ns * hops / 3 : 100 * hop_ns * hops;
		unsigned int seen = 0, moves = 0;
		struct tlob_result res;
		size_t nown;
		int r, cpu = 0;

		r = start_window(fd, budget, base + i);
		if (r)
			die("TRACE_START", -r);
		for (uint64_t h = 0; h < hops; h++) {
			cpu ^= 1;
			pin(cpu);
			if (sched_getcpu() == cpu)
				moves++;
			spin_until(kt_now_ns() + hop_ns);
			seen |= 1U << sched_getcpu();
		}
		r = stop_result(fd, &res);
		pin(0);
		nown = read_now(fd, own, 8, &lost);
		check_result(&c, base + i, i & 1 ? "over budget" : "within budget", r,
			     &res, budget, own, nown);
		if (res.violated != (i & 1))
			MISMATCH(bad, "window %" PRIx64 ": %" PRIu64 " ns of work in a %" PRIu64
				 " ns budget: violated=%u", base + i, hop_ns * hops,
				 budget, res.violated);
		want_viol += i & 1;
		if (seen != 3 || moves != hops)
			MISMATCH(bad, "window %" PRIx64 ": ran on CPUs 0x%x, %u of %" PRIu64
				 " moves seen", base + i, seen, moves, hops);
		if (res.elapsed_ns < hop_ns * hops)
			MISMATCH(bad, "window %" PRIx64 ": elapsed_ns=%" PRIu64 " < %" PRIu64
				 " ns of work", base + i, (uint64_t)res.elapsed_ns,
				 hop_ns * hops);
		/* Busy the whole time: never counted as sleeping for long. */
		if (res.sleeping_ns * 10 > res.elapsed_ns)
			MISMATCH(bad, "window %" PRIx64 ": sleeping_ns=%" PRIu64 " of %" PRIu64
				 " while busy", base + i, (uint64_t)res.sleeping_ns,
				 (uint64_t)res.elapsed_ns);
	}
	if (wait_windows_closed())
		MISMATCH(stats_mismatches, "windows_in_use did not return to 0");
	stats_read(&s1);
	expect_delta("windows_started", s0.started, s1.started, n);
	expect_delta("windows_completed", s0.completed, s1.completed, n);
	expect_delta("violations", s0.violations, s1.violations, want_viol);
	if (lost)
		MISMATCH(bad, "owner fd lost %" PRIu64 " records", lost);
	print_check("migrate", &c);
	printf("migrate windows=%" PRIu64 " hops=%" PRIu64 " mismatches=%lu"
	       " stats_mismatches=%lu\n", n, hops, bad, stats_mismatches);
	close(fd);
	return smp_failures ? 1 : 0;
}

struct mover_job {
	uint64_t n, work;
	atomic_int tid;		/* of the worker, once in its window */
	atomic_uint seen;	/* CPUs the worker ran on inside windows */
	atomic_bool in_window;
	atomic_bool done;
};

static void *migrate_worker(void *p)
{
	struct mover_job *j = p;

	pin(0);
	atomic_store(&j->tid, gettid_());
	for (uint64_t i = 0; i < j->n; i++) {
		uint64_t end;

		smp_probe_start();
		atomic_store(&j->in_window, true);
		end = kt_now_ns() + j->work;
		while (kt_now_ns() < end)
			atomic_fetch_or(&j->seen, 1U << sched_getcpu());
		atomic_store(&j->in_window, false);
		smp_probe_stop();
		pin(0);
	}
	atomic_store(&j->done, true);
	return NULL;
}

/* Binding windows whose task another thread moves between the CPUs. */
static int cmd_migrate_bind(uint64_t n, uint64_t hops)
{
	/* A power-of-two budget (67 ms): BINDING_STATS' histogram is exact. */
	const uint64_t work = 200 * KT_NSEC_PER_MSEC, budget = 1ULL << 26;
	struct mover_job j = { .n = n, .work = work };
	struct smp_stats s0, s1;
	struct tlob_event own[16];
	uint64_t cookie = tag_base(), lost = 0;
	unsigned long moves = 0, violated = 0, bad = 0;
	struct sub sub;
	pthread_t th;
	uint32_t id;
	int fd, r, cpu = 0;

	fd = open_dev();
	id = bind_self(fd, budget, cookie);
	sub_start(&sub, 1);
	stats_read(&s0);
	r = pthread_create(&th, NULL, migrate_worker, &j);
	if (r)
		die("pthread_create", r);
	while (!atomic_load(&j.tid))
		kt_sleep_ns(KT_NSEC_PER_MSEC);
	pin(1);
	while (!atomic_load(&j.done)) {
		kt_sleep_ns(work / hops);
		if (!atomic_load(&j.in_window))
			continue;
		cpu ^= 1;
		if (pin_tid(j.tid, cpu) == 0)
			moves++;
	}
	pthread_join(th, NULL);
	if (wait_windows_closed())
		MISMATCH(stats_mismatches, "windows_in_use did not return to 0");
	{
		size_t nown;

		set_nonblock(fd);
		nown = read_now(fd, own, 16, &lost);
		for (size_t i = 0; i < nown; i++)
			violated += own[i].type == TLOB_EV_WINDOW_END;
	}
	sub_finish(&sub);
	stats_read(&s1);
	check_binding("migrate-bind", fd, id, budget, n, violated, &sub, cookie, &s0, &s1);
	if (violated != n)
		MISMATCH(bad, "%lu of %" PRIu64 " windows of %" PRIu64 " ns violated a %" PRIu64
			 " ns budget", violated, n, work, budget);
	if (atomic_load(&j.seen) != 3 || moves < n)
		MISMATCH(bad, "worker ran on CPUs 0x%x inside windows, %lu moves",
			 atomic_load(&j.seen), moves);
	if (lost)
		MISMATCH(bad, "owner fd lost %" PRIu64 " records", lost);
	printf("migrate-bind windows=%" PRIu64 " moves=%lu mismatches=%lu"
	       " stats_mismatches=%lu\n", n, moves, bad, stats_mismatches);
	free(sub.ev);
	close(fd);
	return smp_failures ? 1 : 0;
}

/* --- main ----------------------------------------------------------------- */

static int usage(void)
{
	fprintf(stderr, "usage: tlob-smp stop-race|bind-race|exit-race|exit-race-procs|"
		"disable-race N BUDGET\n       tlob-smp wake N SLEEP\n"
		"       tlob-smp migrate|migrate-bind N HOPS\n");
	return 2;
}

int main(int argc, char **argv)
{
	uint64_t n, v;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 4 || kt_parse_u64(argv[2], &n) < 0 || n == 0 || n > 10000000)
		return usage();
	if (!strcmp(argv[1], "migrate") || !strcmp(argv[1], "migrate-bind")) {
		if (kt_parse_u64(argv[3], &v) < 0 || v < 2 || v > 1000)
			return usage();
	} else if (kt_parse_duration(argv[3], &v) < 0 || v < 2) {
		return usage();
	}
	if (!strcmp(argv[1], "stop-race"))
		return cmd_stop_race(n, v);
	if (!strcmp(argv[1], "bind-race"))
		return cmd_bind_race(n, v);
	if (!strcmp(argv[1], "exit-race"))
		return cmd_exit_race(n, v, false);
	if (!strcmp(argv[1], "exit-race-procs"))
		return cmd_exit_race(n, v, true);
	if (!strcmp(argv[1], "disable-race"))
		return cmd_disable_race(n, v);
	if (!strcmp(argv[1], "wake"))
		return cmd_wake(n, v);
	if (!strcmp(argv[1], "migrate"))
		return cmd_migrate(n, v);
	if (!strcmp(argv[1], "migrate-bind"))
		return cmd_migrate_bind(n, v);
	return usage();
}
