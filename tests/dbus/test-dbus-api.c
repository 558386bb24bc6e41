// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The org.tlob.Manager D-Bus API, end to end on a private bus: every
 * method, property, signal and error, polkit, journal entries, bindings
 * made before units start and kept across their restarts, templates,
 * rebinding when a binary is replaced, attribution by binding id and
 * cookie, per-user limits of self-instrumented windows, and restarts of
 * the manager with the fd store (also by SIGKILL in the middle of a
 * batch of records). Run by test-dbus-api.sh,
 * which provides the bus, fake-systemd and the fake polkit ($FAKE_DIR);
 * this program starts tlob-manager-fake itself (it restarts it too).
 * The tests run in order and build on each other.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <time.h>

#include "bus-dict.h"
#include "bus-errors.h"
#include "macro.h"

#define DEST	"org.tlob.Manager"
#define PATH	"/org/tlob/Manager"
#define IFACE	"org.tlob.Manager"
#define MS	1000000ULL

static const char *fake_dir, *fake_exec, *fake_lib, *manager_bin;
static sd_bus *bus;
static pid_t manager_pid;
/* What the last failed call returned (with the org.tlob.Error map). */
static int last_r;
static char last_message[1024];
static char api_id[64], runtime_id[64];

/* ---- the environment ---------------------------------------------- */

static char *fake_path(const char *name)
{
	char *p;

	assert_true(asprintf(&p, "%s/%s", fake_dir, name) > 0);
	return p;
}

static void write_fifo(const char *name, const char *fmt, ...) _printf_(2, 3);
static void write_fifo(const char *name, const char *fmt, ...)
{
	_cleanup_free_ char *p = fake_path(name);
	char line[512];
	va_list ap;
	int fd, n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	line[n++] = '\n';
	fd = open(p, O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, line, (size_t)n), n);
	close(fd);
}

#define fake_kernel(...)  write_fifo("kernel.fifo", __VA_ARGS__)
#define fake_systemd(...) write_fifo("systemd.fifo", __VA_ARGS__)

static void write_file(const char *path, const char *text)
{
	FILE *f;

	for (char *s = strchr(path + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = 0;
		mkdir(path, 0755);
		*s = '/';
	}
	f = fopen(path, "we");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void set_polkit(const char *answer)
{
	_cleanup_free_ char *p = fake_path("polkit");

	write_file(p, answer);
}

static char *read_file(const char *path)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t size = 0;

	if (!f)
		return strdup("");
	if (getdelim(&buf, &size, 0, f) < 0) {
		free(buf);
		return strdup("");
	}
	return buf;
}

static uint64_t now_usec(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static bool name_has_owner(const char *name)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	int has = 0;

	if (sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
			       "org.freedesktop.DBus", "NameHasOwner", NULL,
			       &reply, "s", name) < 0)
		return false;
	return sd_bus_message_read(reply, "b", &has) >= 0 && has;
}

/*
 * systemd's fd store, for the tests that restart the manager with it: a
 * notification socket ($NOTIFY_SOCKET) keeps what FDSTORE=1 sends, by
 * FDNAME, and a restart passes it on (LISTEN_FDS, LISTEN_FDNAMES).
 */
static int notify_fd = -EBADF;
static int store_rv = -EBADF, store_state = -EBADF;
static bool use_store;

static void store_set(int *slot, int fd)
{
	if (*slot >= 0)
		close(*slot);
	*slot = fd;
}

/* Is @line a line of the notification @text? */
static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, line, n) == 0 && (p[n] == '\n' || p[n] == 0))
			return true;
	return false;
}

/* Take the notifications sent so far. */
static void store_drain(void)
{
	for (;;) {
		char text[4096], control[CMSG_SPACE(sizeof(int) * 8)];
		struct iovec iov = { text, sizeof(text) - 1 };
		struct msghdr mh = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = control, .msg_controllen = sizeof(control),
		};
		struct cmsghdr *c;
		int fd = -EBADF;
		ssize_t n;

		n = recvmsg(notify_fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0)
			break;
		text[n] = 0;
		for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
				memcpy(&fd, CMSG_DATA(c), sizeof(fd));
		if (has_line(text, "FDSTOREREMOVE=1") && has_line(text, "FDNAME=rv"))
			store_set(&store_rv, -EBADF);
		if (fd < 0)
			continue;
		if (has_line(text, "FDSTORE=1") && has_line(text, "FDNAME=rv"))
			store_set(&store_rv, fd);
		else if (has_line(text, "FDSTORE=1") && has_line(text, "FDNAME=state"))
			store_set(&store_state, fd);
		else
			close(fd);
	}
}

/* systemd empties the store when the unit stops for good. */
static void store_clear(void)
{
	store_drain();
	store_set(&store_rv, -EBADF);
	store_set(&store_state, -EBADF);
}

static void store_open(void)
{
	_cleanup_free_ char *p = fake_path("notify");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(notify_fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", p);
	(void)unlink(p);
	assert_int_equal(bind(notify_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
}

/* In the child: what systemd passes a service with a store. */
static void store_pass(void)
{
	int fds[2] = { -1, -1 }, n = 0;
	char names[32] = "", pid[32];

	setenv("NOTIFY_SOCKET", fake_path("notify"), 1);
	/* Out of the way of 3 and 4 first. */
	if (store_rv >= 0) {
		fds[n++] = fcntl(store_rv, F_DUPFD, 100);
		strcat(names, "rv");
	}
	if (store_state >= 0) {
		fds[n++] = fcntl(store_state, F_DUPFD, 100);
		strcat(names, n > 1 ? ":state" : "state");
	}
	for (int i = 0; i < n; i++)
		if (fds[i] < 0 || dup2(fds[i], 3 + i) < 0)
			_exit(125);
	if (n == 0)
		return;
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("LISTEN_PID", pid, 1);
	setenv("LISTEN_FDNAMES", names, 1);
	snprintf(pid, sizeof(pid), "%d", n);
	setenv("LISTEN_FDS", pid, 1);
}

/*
 * Fork tlob-manager-fake with @extra_env (one or two NAME=VALUE separated
 * by a space) and @extra_arg (both may be NULL); its pid.
 */
static pid_t manager_fork(const char *extra_env, const char *extra_arg)
{
	pid_t pid;

	if (use_store)
		store_drain();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		_cleanup_free_ char *fifo = fake_path("kernel.fifo");
		_cleanup_free_ char *state = fake_path("bindings");
		_cleanup_free_ char *journal = fake_path("journal");
		_cleanup_free_ char *root = NULL, *cg = NULL, *log = NULL;
		_cleanup_free_ char *tracefs = NULL, *statedir = fake_path("state");

		if (asprintf(&root, "--root=%s/root", fake_dir) < 0 ||
		    asprintf(&cg, "--cgroup-root=%s/cgroup", fake_dir) < 0 ||
		    asprintf(&tracefs, "--tracefs=%s/tracefs", fake_dir) < 0 ||
		    asprintf(&log, "%s/manager.log", fake_dir) < 0)
			_exit(127);
		/* The unit's StateDirectory=: snapshots. */
		setenv("STATE_DIRECTORY", statedir, 1);
		setenv("TLOB_FAKE_KERNEL_FIFO", fifo, 1);
		setenv("TLOB_FAKE_KERNEL_STATE", state, 1);
		setenv("TLOB_FAKE_JOURNAL", journal, 1);
		setenv("SYSTEMD_LOG_LEVEL", "debug", 1);
		if (extra_env) {
			char *e = strdup(extra_env), *sp = e ? strchr(e, ' ') : NULL;

			if (!e)
				_exit(127);
			if (sp) {
				*sp = 0;
				putenv(sp + 1);
			}
			putenv(e);
		}
		if (use_store)
			store_pass();
		if (!freopen(log, "a", stderr))
			_exit(126);
		execl(manager_bin, manager_bin, root, cg, tracefs,
		      "--log-interval=1s", extra_arg, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* Start tlob-manager-fake with @extra_env and @extra_arg (may be NULL). */
static void manager_start_with(const char *extra_env, const char *extra_arg)
{
	manager_pid = manager_fork(extra_env, extra_arg);
	for (unsigned i = 0; i < 200; i++) {
		if (name_has_owner(DEST))
			return;
		usleep(50000);
	}
	fail_msg("tlob-manager-fake did not take its bus name");
}

static void manager_start(const char *extra_env)
{
	manager_start_with(extra_env, NULL);
}

static void manager_stop(void)
{
	int status;

	if (manager_pid <= 0)
		return;
	assert_int_equal(kill(manager_pid, SIGTERM), 0);
	assert_int_equal(waitpid(manager_pid, &status, 0), manager_pid);
	/* A clean exit on SIGTERM. */
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	manager_pid = 0;
	for (unsigned i = 0; i < 100 && name_has_owner(DEST); i++)
		usleep(20000);
}

/* ---- calls -------------------------------------------------------- */

/*
 * Call @member with @types/args; returns NULL on success (with *reply
 * if asked) or the D-Bus error name (static storage).
 */
static const char *callv(sd_bus *b, const char *member, sd_bus_message **ret,
			 bool interactive, const char *types, va_list ap)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
	static char name[256];
	int r;

	r = sd_bus_message_new_method_call(b, &m, DEST, PATH, IFACE, member);
	assert_int_equal(r, 0);
	if (types) {
		r = sd_bus_message_appendv(m, types, ap);
		assert_true(r >= 0);
	}
	if (interactive)
		assert_int_equal(sd_bus_message_set_allow_interactive_authorization(m, 1), 0);
	r = sd_bus_call(b, m, 0, &e, &reply);
	if (r < 0) {
		last_r = r;
		snprintf(last_message, sizeof(last_message), "%s", strempty(e.message));
		snprintf(name, sizeof(name), "%s",
			 e.name ?: "(no error name)");
		return name;
	}
	if (ret)
		*ret = TAKE_PTR(reply);
	return NULL;
}

/* A method without arguments, on connection @b. */
static const char *call_plain(sd_bus *b, const char *member, bool interactive)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
	static char name[256];

	if (sd_bus_message_new_method_call(b, &m, DEST, PATH, IFACE, member) < 0 ||
	    sd_bus_message_set_allow_interactive_authorization(m, interactive) < 0)
		return "(cannot make message)";
	if (sd_bus_call(b, m, 0, &e, &reply) >= 0)
		return NULL;
	snprintf(name, sizeof(name), "%s", e.name ?: "(no error name)");
	return name;
}

/* @member with arguments, on connection @b, not interactive. */
static const char *call_on(sd_bus *b, const char *member, sd_bus_message **ret,
			   const char *types, ...)
{
	const char *r;
	va_list ap;

	va_start(ap, types);
	r = callv(b, member, ret, false, types, ap);
	va_end(ap);
	return r;
}

#define call(...) call_on(bus, __VA_ARGS__)

static const char *add_budget_on(sd_bus *b, bool interactive, const char *unit,
				 const char *probe, uint64_t ns, char *ret_id,
				 const char *types, ...)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
	static char name[256];
	const char *id;
	va_list ap;
	int r;

	assert_int_equal(sd_bus_message_new_method_call(b, &m, DEST, PATH, IFACE,
							 "AddBudget"), 0);
	assert_true(sd_bus_message_append(m, "sst", unit, probe, ns) >= 0);
	assert_true(sd_bus_message_open_container(m, 'a', "{sv}") >= 0);
	if (types) {
		va_start(ap, types);
		assert_true(sd_bus_message_appendv(m, types, ap) >= 0);
		va_end(ap);
	}
	assert_true(sd_bus_message_close_container(m) >= 0);
	if (interactive)
		assert_int_equal(sd_bus_message_set_allow_interactive_authorization(m, 1), 0);
	r = sd_bus_call(b, m, 0, &e, &reply);
	if (r < 0) {
		last_r = r;
		snprintf(last_message, sizeof(last_message), "%s", strempty(e.message));
		snprintf(name, sizeof(name), "%s", e.name ?: "(no error name)");
		return name;
	}
	assert_true(sd_bus_message_read(reply, "s", &id) >= 0);
	if (ret_id)
		snprintf(ret_id, 64, "%s", id);
	return NULL;
}

#define add_budget(unit, probe, ns, id, ...) \
	add_budget_on(bus, false, unit, probe, ns, id, __VA_ARGS__)

#define assert_ok(x)							\
	do {								\
		const char *_e = (x);					\
		if (_e)							\
			fail_msg("%s failed: %s", #x, _e);		\
	} while (0)

#define assert_error(x, name)						\
	do {								\
		const char *_e = (x);					\
		if (!_e || !streq(_e, name))				\
			fail_msg("%s: got %s, expected %s", #x,		\
				 _e ?: "success", name);		\
	} while (0)

/* The same, and the client's sd_bus_call() failed with -@errno_value. */
#define assert_error_errno(x, name, errno_value)			\
	do {								\
		assert_error(x, name);					\
		assert_int_equal(last_r, -(errno_value));		\
	} while (0)

static uint64_t prop_u64(const char *name)
{
	_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
	uint64_t v = 0;

	assert_int_equal(sd_bus_get_property_trivial(bus, DEST, PATH, IFACE, name,
						     &e, 't', &v), 0);
	return v;
}

static uint32_t prop_u32(const char *name)
{
	_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
	uint32_t v = 0;

	assert_int_equal(sd_bus_get_property_trivial(bus, DEST, PATH, IFACE, name,
						     &e, 'u', &v), 0);
	return v;
}

static char *prop_str(const char *name)
{
	_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
	char *v = NULL;

	assert_int_equal(sd_bus_get_property_string(bus, DEST, PATH, IFACE, name,
						    &e, &v), 0);
	return v;
}

typedef struct BudgetInfo {
	char unit[256], probe[512], binary[512], source[16], description[256];
	char file[1024], control_group[256];
	uint64_t start, stop, budget, windows, violations, max, sum, cookie;
	uint32_t binding_id;
	int stop_on_return, active;
	uint64_t hist[40][2];
	size_t n_hist;
	unsigned n_keys;
} BudgetInfo;

static void copy_str(char *to, size_t size, const char *s)
{
	snprintf(to, size, "%s", s);
}

static const char *get_budget(const char *id, BudgetInfo *bi)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const char *err, *key, *s;
	int r;

	*bi = (BudgetInfo) {};
	err = call("GetBudget", &reply, "s", id);
	if (err)
		return err;
	assert_true(sd_bus_message_enter_container(reply, 'a', "{sv}") > 0);
	while ((r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
		assert_true(sd_bus_message_read(reply, "s", &key) > 0);
		bi->n_keys++;
#define STR(k, f) else if (streq(key, k)) { \
		assert_true(sd_bus_message_read(reply, "v", "s", &s) > 0); \
		copy_str(bi->f, sizeof(bi->f), s); }
#define U64(k, f) else if (streq(key, k)) \
		assert_true(sd_bus_message_read(reply, "v", "t", &bi->f) > 0);
#define BOOL(k, f) else if (streq(key, k)) \
		assert_true(sd_bus_message_read(reply, "v", "b", &bi->f) > 0);
		if (streq(key, "Histogram")) {
			uint64_t up, n;

			assert_true(sd_bus_message_enter_container(reply, 'v', "a(tt)") > 0);
			assert_true(sd_bus_message_enter_container(reply, 'a', "(tt)") > 0);
			while (sd_bus_message_read(reply, "(tt)", &up, &n) > 0) {
				assert_true(bi->n_hist < 40);
				bi->hist[bi->n_hist][0] = up;
				bi->hist[bi->n_hist][1] = n;
				bi->n_hist++;
			}
			assert_true(sd_bus_message_exit_container(reply) > 0);
			assert_true(sd_bus_message_exit_container(reply) > 0);
		}
		STR("Unit", unit) STR("Probe", probe) STR("Binary", binary)
		STR("Source", source) STR("Description", description)
		STR("File", file) STR("ControlGroup", control_group)
		U64("Cookie", cookie)
		else if (streq(key, "BindingId"))
			assert_true(sd_bus_message_read(reply, "v", "u", &bi->binding_id) > 0);
		U64("StartOffset", start) U64("StopOffset", stop)
		U64("BudgetNSec", budget) U64("Windows", windows)
		U64("Violations", violations) U64("MaxNSec", max)
		U64("SumNSec", sum)
		BOOL("StopOnReturn", stop_on_return) BOOL("Active", active)
		else
			assert_true(sd_bus_message_skip(reply, "v") >= 0);
		assert_true(sd_bus_message_exit_container(reply) > 0);
	}
	assert_true(r >= 0);
	return NULL;
}

typedef struct ListEntry {
	char id[64], unit[256], probe[512], source[16];
	uint64_t budget;
	int active;
} ListEntry;

static size_t list_budgets(ListEntry *out, size_t max)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const char *id, *unit, *probe, *source;
	uint64_t ns;
	int active;
	size_t n = 0;

	assert_ok(call("ListBudgets", &reply, NULL));
	assert_true(sd_bus_message_enter_container(reply, 'a', "(ssstsb)") > 0);
	while (sd_bus_message_read(reply, "(ssstsb)", &id, &unit, &probe, &ns,
				   &source, &active) > 0) {
		if (n < max) {
			copy_str(out[n].id, sizeof(out[n].id), id);
			copy_str(out[n].unit, sizeof(out[n].unit), unit);
			copy_str(out[n].probe, sizeof(out[n].probe), probe);
			copy_str(out[n].source, sizeof(out[n].source), source);
			out[n].budget = ns;
			out[n].active = active;
		}
		n++;
	}
	return n;
}

static const ListEntry *find_entry(const ListEntry *l, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (streq(l[i].id, id))
			return &l[i];
	return NULL;
}

static bool budget_active(const char *id)
{
	BudgetInfo bi;

	return !get_budget(id, &bi) && bi.active;
}

#define WAIT_FOR(cond)							\
	do {								\
		unsigned _i;						\
		for (_i = 0; _i < 200 && !(cond); _i++)			\
			usleep(25000);					\
		if (!(cond))						\
			fail_msg("timed out waiting for %s", #cond);	\
	} while (0)

/* Bindings of the fake kernel: lines of "ID PATH START STOP FLAGS T CG C". */
static unsigned count_bindings(const char *needle)
{
	_cleanup_free_ char *p = fake_path("bindings"), *text = read_file(p);
	unsigned n = 0;

	for (char *l = text; l && *l;) {
		char *nl = strchr(l, '\n');

		if (nl)
			*nl = 0;
		if (*l && (!needle || strstr(l, needle)))
			n++;
		l = nl ? nl + 1 : NULL;
	}
	return n;
}

static uint64_t demo_cgroup_id(void)
{
	_cleanup_free_ char *p = fake_path("cgroup/system.slice/demo.service");
	struct stat st;

	if (stat(p, &st) < 0)
		return 0;
	return (uint64_t)st.st_ino;
}

/* Does the journal entry @entry (fields ending in '\n') have @field? */
static bool entry_has(const char *entry, const char *field)
{
	size_t l = strlen(field);

	for (const char *p = entry; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, field, l) == 0 && p[l] == '\n')
			return true;
	return false;
}

/* Journal entries (of the fake journal) having all of @fields. */
static unsigned count_journal(const char *const *fields)
{
	_cleanup_free_ char *p = fake_path("journal"), *text = read_file(p);
	unsigned n = 0;
	char *entry = text;

	while (entry && *entry) {
		char *end = strstr(entry, "\n\n");
		bool all = true;

		if (end)
			end[1] = 0;
		for (const char *const *f = fields; *f && all; f++)
			all = entry_has(entry, *f);
		if (all)
			n++;
		entry = end ? end + 2 : NULL;
	}
	return n;
}

/* Wait until exactly @n entries have @fields (they follow the signal). */
#define WAIT_JOURNAL(fields, n) WAIT_FOR(count_journal(fields) == (n))

/* ---- Violation signals -------------------------------------------- */

typedef struct Violation {
	char id[64], unit[256], comm[32], state[16];
	uint32_t pid, tid;
	uint64_t budget, elapsed, running, waiting, sleeping, ts;
} Violation;

static Violation violations[4];
static unsigned n_violation_signals;
/*
 * The fake kernel's "flood" records ("flood-N", elapsed budget + 1 + N):
 * how many came, and how many not in the order of N or with another
 * elapsed time.
 */
static unsigned n_flood_signals, n_flood_wrong;
/* Signals of the budget watch_id, of self-instrumented windows. */
static char watch_id[64];
static unsigned n_watch_signals, n_self_signals;

static int on_violation(sd_bus_message *m, void *userdata, sd_bus_error *e)
{
	const char *id, *unit, *comm, *state;
	Violation v = {};

	if (sd_bus_message_read(m, "ssuustttttst", &id, &unit, &v.pid, &v.tid,
				&comm, &v.budget, &v.elapsed, &v.running,
				&v.waiting, &v.sleeping, &state, &v.ts) < 0)
		return 0;
	copy_str(v.id, sizeof(v.id), id);
	copy_str(v.unit, sizeof(v.unit), unit);
	copy_str(v.comm, sizeof(v.comm), comm);
	copy_str(v.state, sizeof(v.state), state);
	violations[n_violation_signals % ELEMENTSOF(violations)] = v;
	n_violation_signals++;
	if (*watch_id && streq(id, watch_id))
		n_watch_signals++;
	if (!*id && streq(comm, "flood"))
		n_self_signals++;
	if (*id && startswith(comm, "flood-")) {
		char expect[32];

		snprintf(expect, sizeof(expect), "flood-%u", n_flood_signals++);
		if (!streq(comm, expect) ||
		    v.elapsed != v.budget + 1 + (n_flood_signals - 1))
			n_flood_wrong++;
	}
	return 0;
}

/* PropertiesChanged signals: all, and those naming each counter. */
static unsigned n_count_changed, n_violations_changed, n_dropped_changed;
static uint64_t last_violation_count;

static int changed_prop(sd_bus_message *m, const char *key, void *userdata)
{
	if (streq(key, "ViolationCount")) {
		n_violations_changed++;
		return sd_bus_message_read(m, "v", "t", &last_violation_count);
	}
	if (streq(key, "DroppedEvents"))
		n_dropped_changed++;
	return 0;
}

static int on_props_changed(sd_bus_message *m, void *userdata, sd_bus_error *e)
{
	const char *iface;

	n_count_changed++;
	if (sd_bus_message_read(m, "s", &iface) > 0 && streq(iface, IFACE))
		(void)bus_read_dict(m, changed_prop, NULL);
	return 0;
}

/* Process the bus until @n Violation signals arrived (or 5 s passed). */
static void pump_signals(unsigned n)
{
	uint64_t end = now_usec(CLOCK_MONOTONIC) + 5000000;

	while (n_violation_signals < n && now_usec(CLOCK_MONOTONIC) < end) {
		int r = sd_bus_process(bus, NULL);

		assert_true(r >= 0);
		if (r == 0)
			(void)sd_bus_wait(bus, 100000);
	}
	/* Whatever else is queued (PropertiesChanged). */
	while (sd_bus_process(bus, NULL) > 0)
		;
}

/* ---- tests -------------------------------------------------------- */

static void test_properties(void **state)
{
	_cleanup_free_ char *version = prop_str("Version");
	_cleanup_free_ char *backend = prop_str("Backend");

	assert_string_equal(version, TLOB_VERSION);
	assert_string_equal(backend, "kmod");
	assert_int_equal(prop_u32("BudgetCount"), 0);
	assert_int_equal(prop_u64("ViolationCount"), 0);
	assert_int_equal(prop_u64("DroppedEvents"), 0);
	assert_int_equal(prop_u32("RefusedBudgets"), 0);
	assert_int_equal(prop_u64("SelfViolationCount"), 0);
	assert_int_equal(prop_u64("SuppressedViolations"), 0);
	/* Read-only. */
	assert_true(sd_bus_set_property(bus, DEST, PATH, IFACE, "Version", NULL,
					"s", "2") < 0);
}

static void test_introspection(void **state)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const char *xml;
	static const char *const want[] = {
		"<method name=\"AddBudget\">", "<method name=\"RemoveBudget\">",
		"<method name=\"ListBudgets\">", "<method name=\"GetBudget\">",
		"<method name=\"Reload\">", "<signal name=\"Violation\">",
		"<signal name=\"ViolationCause\">", "<arg type=\"a{sv}\" name=\"cause\"/>",
		"name=\"timestamp_usec\"", "<property name=\"DroppedEvents\" type=\"t\" access=\"read\">",
	};

	assert_int_equal(sd_bus_call_method(bus, DEST, PATH,
					    "org.freedesktop.DBus.Introspectable",
					    "Introspect", NULL, &reply, ""), 1);
	assert_true(sd_bus_message_read(reply, "s", &xml) > 0);
	for (size_t i = 0; i < ELEMENTSOF(want); i++)
		if (!strstr(xml, want[i]))
			fail_msg("introspection lacks %s", want[i]);
}

static void test_add_errors(void **state)
{
	char probe[1024];

	assert_error_errno(add_budget("not a unit", "main", 20 * MS, NULL, NULL),
			   "org.tlob.Error.NoSuchUnit", ENOENT);
	assert_error(add_budget("tmpl@.service", "main", 20 * MS, NULL, NULL),
		     "org.tlob.Error.NoSuchUnit");
	assert_error(add_budget("missing.service", "tlob_fixture_start", 20 * MS,
				NULL, NULL),
		     "org.tlob.Error.NoSuchUnit");
	assert_error_errno(add_budget("demo.service", "1bad", 20 * MS, NULL, NULL),
			   "org.tlob.Error.InvalidProbe", EINVAL);
	assert_error(add_budget("demo.service", "", 20 * MS, NULL, NULL),
		     "org.tlob.Error.InvalidProbe");
	assert_error(add_budget("demo.service", "rel/bin:main", 20 * MS, NULL, NULL),
		     "org.tlob.Error.InvalidProbe");
	assert_error_errno(add_budget("demo.service", "tlob_fixture_start", 0, NULL, NULL),
			   "org.tlob.Error.InvalidBudget", ERANGE);
	assert_error(add_budget("demo.service", "tlob_fixture_start",
				3600000000001ULL, NULL, NULL),
		     "org.tlob.Error.InvalidBudget");
	assert_error_errno(add_budget("demo.service", "/nonexistent/bin:main", 20 * MS,
				      NULL, NULL),
			   "org.tlob.Error.NoSuchFile", ENOENT);
	assert_error_errno(add_budget("demo.service", "no_such_function", 20 * MS, NULL,
				      NULL),
			   "org.tlob.Error.NoSuchSymbol", ENXIO);
	snprintf(probe, sizeof(probe), "%s:tlob_fixture_start..nope", fake_lib);
	assert_error(add_budget("demo.service", probe, 20 * MS, NULL, NULL),
		     "org.tlob.Error.NoSuchSymbol");
	assert_error(add_budget("demo.service", "tlob_fixture_start+0x100", 20 * MS,
				NULL, NULL),
		     "org.tlob.Error.InvalidProbe");
	assert_error(add_budget("demo.service", "0xffffffffff", 20 * MS, NULL, NULL),
		     "org.tlob.Error.InvalidProbe");
	assert_error(add_budget("demo.service", "tlob_fixture_stop..tlob_fixture_stop",
				20 * MS, NULL, NULL),
		     "org.tlob.Error.InvalidProbe");
	assert_error(add_budget("demo.service", "/etc/hostname:main", 20 * MS,
				NULL, NULL),
		     "org.tlob.Error.InvalidProbe");
	assert_error(add_budget("demo.service", "tlob_fixture_start", 20 * MS,
				NULL, "{sv}", "bogus", "b", 1),
		     SD_BUS_ERROR_INVALID_ARGS);
	assert_error(add_budget("demo.service", "tlob_fixture_start", 20 * MS,
				NULL, "{sv}", "runtime", "s", "yes"),
		     SD_BUS_ERROR_INVALID_ARGS);
	assert_error(add_budget("demo.service", "tlob_fixture_start", 20 * MS,
				NULL, "{sv}", "description", "s", "two\nlines"),
		     SD_BUS_ERROR_INVALID_ARGS);
	/* A wrong signature is refused by sd-bus itself. */
	assert_error(call("AddBudget", NULL, "sss", "demo.service", "main", "1"),
		     SD_BUS_ERROR_INVALID_ARGS);
	/* Nothing was added, nothing written. */
	assert_int_equal(prop_u32("BudgetCount"), 0);
	assert_int_equal(count_bindings(NULL), 0);
}

/* How often @what occurs in the file @name of the fake environment. */
static unsigned count_in_log(const char *name, const char *what)
{
	_cleanup_free_ char *p = fake_path(name), *text = read_file(p);
	unsigned n = 0;

	for (char *c = text; (c = strstr(c, what)); c++)
		n++;
	return n;
}

/* Calls fake-systemd has logged that start with @what ("call " for all). */
#define systemd_calls(what) count_in_log("systemd.log", what)

#define systemd_queries() systemd_calls("call ")

/* Wait until tlob-manager has asked fake-systemd nothing for half a second. */
static unsigned systemd_quiet(void)
{
	unsigned q;

	do {
		q = systemd_queries();
		usleep(500000);
	} while (systemd_queries() != q);
	return q;
}

static void test_add_and_list(void **state)
{
	_cleanup_free_ char *file = NULL, *text = NULL;
	char probe[1024];
	ListEntry l[8];
	const ListEntry *e;
	size_t n;

	assert_int_equal(sd_bus_match_signal(bus, NULL, DEST, PATH,
					     "org.freedesktop.DBus.Properties",
					     "PropertiesChanged", on_props_changed,
					     NULL), 1);
	assert_int_equal(systemd_calls("call Reload"), 0);
	assert_ok(add_budget("demo.service", "tlob_fixture_start..tlob_fixture_stop",
			     20 * MS, api_id, NULL));
	assert_int_equal(strlen(api_id), 8);
	/* systemd is told to reload, so "systemctl cat" shows the drop-in. */
	WAIT_FOR(systemd_calls("call Reload") == 1);
	assert_error_errno(add_budget("demo.service", "tlob_fixture_start..tlob_fixture_stop",
				      30 * MS, NULL, NULL),
			   "org.tlob.Error.Exists", EEXIST);
	/* Another probe starting at the same point of the same file. */
	assert_error(add_budget("demo.service", "tlob_fixture_start", 30 * MS, NULL,
				NULL),
		     "org.tlob.Error.Exists");

	snprintf(probe, sizeof(probe), "%s:tlob_fixture_start", fake_lib);
	assert_ok(add_budget("demo.service", probe, 1500 * MS, runtime_id, "{sv}{sv}",
			     "runtime", "b", 1, "description", "s", "the library"));
	assert_string_not_equal(api_id, runtime_id);
	assert_int_equal(prop_u32("BudgetCount"), 2);

	/* set-property style drop-ins, one per budget. */
	assert_true(asprintf(&file,
			     "%s/root/etc/systemd/system.control/demo.service.d/50-TlobBudget-%s.conf",
			     fake_dir, api_id) > 0);
	text = read_file(file);
	assert_non_null(strstr(text, "[X-Tlob]\nTlobBudget=tlob_fixture_start..tlob_fixture_stop 20ms\n"));
	free(file);
	free(text);
	assert_true(asprintf(&file,
			     "%s/root/run/systemd/system.control/demo.service.d/50-TlobBudget-%s.conf",
			     fake_dir, runtime_id) > 0);
	text = read_file(file);
	assert_non_null(strstr(text, "# Description: the library\n"));
	assert_non_null(strstr(text, "TlobBudget="));
	assert_non_null(strstr(text, ":tlob_fixture_start 1s 500ms\n"));

	n = list_budgets(l, ELEMENTSOF(l));
	assert_int_equal(n, 2);
	e = find_entry(l, n, api_id);
	assert_non_null(e);
	assert_string_equal(e->unit, "demo.service");
	assert_string_equal(e->probe, "tlob_fixture_start..tlob_fixture_stop");
	assert_int_equal(e->budget, 20 * MS);
	assert_string_equal(e->source, "api");
	assert_false(e->active);	/* demo.service is not running */
	e = find_entry(l, n, runtime_id);
	assert_non_null(e);
	assert_string_equal(e->probe, probe);
	assert_string_equal(e->source, "runtime");

	/*
	 * Not running, and bound all the same, to the cgroup path it will
	 * run in: measured from its first instruction when it starts.
	 */
	assert_int_equal(count_bindings(NULL), 2);
	assert_int_equal(count_bindings(" system.slice/demo.service "), 2);

	/* BudgetCount announced its changes. */
	pump_signals(0);
	assert_true(n_count_changed >= 2);
}

static void test_get_budget(void **state)
{
	BudgetInfo bi, bl;

	assert_ok(get_budget(api_id, &bi));
	assert_true(bi.n_keys >= 13);
	assert_string_equal(bi.unit, "demo.service");
	assert_string_equal(bi.probe, "tlob_fixture_start..tlob_fixture_stop");
	assert_string_equal(bi.binary, fake_exec);
	assert_int_equal(bi.budget, 20 * MS);
	assert_string_equal(bi.source, "api");
	assert_false(bi.active);
	assert_false(bi.stop_on_return);
	assert_true(bi.start != 0 && bi.stop > bi.start);
	/* Where it is bound, and with which cookie. */
	assert_true(bi.binding_id != 0);
	assert_true(bi.cookie != 0);
	assert_string_equal(bi.control_group, "system.slice/demo.service");
	assert_int_equal(bi.windows, 0);
	assert_int_equal(bi.violations, 0);
	assert_int_equal(bi.max, 0);
	assert_int_equal(bi.n_hist, 0);

	assert_ok(get_budget(runtime_id, &bl));
	assert_string_equal(bl.binary, fake_lib);
	assert_true(bl.stop_on_return);
	assert_string_equal(bl.description, "the library");

	assert_error_errno(get_budget("nope", &bi), "org.tlob.Error.NoSuchBudget", ENOENT);
	assert_error(call("RemoveBudget", NULL, "s", "nope"),
		     "org.tlob.Error.NoSuchBudget");
}

/* The binding ids of the budgets @a and @b, as "A B". */
static void binding_ids(const char *a, const char *b, char ret[64])
{
	BudgetInfo x, y;

	assert_ok(get_budget(a, &x));
	assert_ok(get_budget(b, &y));
	snprintf(ret, 64, "%u %u", x.binding_id, y.binding_id);
}

static char demo_bindings[64];

static void test_bind_on_start(void **state)
{
	char now[64];
	BudgetInfo bi;

	/* Starting the unit changes nothing in the kernel: it is covered. */
	binding_ids(api_id, runtime_id, demo_bindings);
	fake_systemd("start demo.service");
	WAIT_FOR(budget_active(api_id) && budget_active(runtime_id));
	assert_true(demo_cgroup_id() != 0);
	assert_int_equal(count_bindings(NULL), 2);
	binding_ids(api_id, runtime_id, now);
	assert_string_equal(now, demo_bindings);
	/*
	 * START..STOP has no return flag (flags 6: cgroup path, cause); the
	 * library probe has (7).
	 */
	assert_int_equal(count_bindings(" 6 20000000 system.slice/demo.service "), 1);
	assert_int_equal(count_bindings(" 0x0 7 1500000000 system.slice/demo.service "), 1);
	assert_int_equal(count_bindings(fake_lib), 1);

	assert_ok(get_budget(api_id, &bi));
	assert_true(bi.active);
	assert_true(bi.start != 0);
	assert_true(bi.stop != 0 && bi.stop != bi.start);
}

/* The id of the (one) budget whose probe is @probe, in *@ret. */
static bool find_probe(const char *probe, char ret[64])
{
	ListEntry l[16];
	size_t n = list_budgets(l, ELEMENTSOF(l));

	for (size_t i = 0; i < n && i < ELEMENTSOF(l); i++)
		if (streq(l[i].probe, probe)) {
			copy_str(ret, 64, l[i].id);
			return true;
		}
	return false;
}

static void test_fifo_probe(void **state)
{
	_cleanup_free_ char *fifo = fake_path("probe.fifo"),
			    *dropin = NULL, *probe = NULL, *text = NULL;
	char id[64];
	uint64_t t0;
	BudgetInfo bi;

	/* Nothing ever writes to it: open(O_RDONLY) would wait forever. */
	assert_int_equal(mkfifo(fifo, 0644), 0);
	assert_true(asprintf(&probe, "%s:main", fifo) > 0);
	t0 = now_usec(CLOCK_MONOTONIC);
	assert_error_errno(add_budget("demo.service", probe, 20 * MS, NULL, NULL),
			   "org.tlob.Error.InvalidProbe", EINVAL);
	assert_true(now_usec(CLOCK_MONOTONIC) - t0 < 1000000);
	if (!strstr(last_message, fifo) || !strstr(last_message, "a FIFO"))
		fail_msg("message: %s", last_message);
	assert_error(add_budget("demo.service", "/dev/null:main", 20 * MS, NULL, NULL),
		     "org.tlob.Error.InvalidProbe");
	if (!strstr(last_message, "/dev/null is a character device"))
		fail_msg("message: %s", last_message);

	/*
	 * The same from a drop-in, on the running unit: the bind fails at
	 * once, and GetBudget, which resolves unbound budgets, answers.
	 */
	assert_true(asprintf(&dropin, "%s/root/etc/systemd/system/demo.service.d/20-fifo.conf",
			     fake_dir) > 0);
	assert_true(asprintf(&text, "[X-Tlob]\nTlobBudget=%s 5ms\n", probe) > 0);
	write_file(dropin, text);
	assert_ok(call("Reload", NULL, NULL));
	assert_true(find_probe(probe, id));
	for (unsigned i = 0; i < 3; i++) {
		t0 = now_usec(CLOCK_MONOTONIC);
		assert_ok(get_budget(id, &bi));
		if (now_usec(CLOCK_MONOTONIC) - t0 >= 1000000)
			fail_msg("GetBudget of a FIFO probe took %llu us",
				 (unsigned long long)(now_usec(CLOCK_MONOTONIC) - t0));
		assert_false(bi.active);
		assert_int_equal(bi.start, 0);
	}
	/* Everything else is served as before. */
	assert_ok(get_budget(api_id, &bi));
	assert_true(bi.active);
	assert_int_equal(count_bindings(NULL), 2);

	assert_int_equal(unlink(dropin), 0);
	assert_ok(call("Reload", NULL, NULL));
	assert_false(find_probe(probe, id));
	assert_int_equal(unlink(fifo), 0);
}

static void test_violation(void **state)
{
	const Violation *v;
	char idf[96];
	uint64_t before = now_usec(CLOCK_REALTIME);

	assert_true(sd_bus_match_signal(bus, NULL, DEST, PATH, IFACE, "Violation",
					on_violation, NULL) >= 0);
	fake_kernel("violation @%s 701 30000000 3 700 demo", api_id);
	pump_signals(1);
	assert_int_equal(n_violation_signals, 1);
	v = &violations[0];
	assert_string_equal(v->id, api_id);
	assert_string_equal(v->unit, "demo.service");
	assert_int_equal(v->pid, 700);
	assert_int_equal(v->tid, 701);
	assert_string_equal(v->comm, "demo");
	assert_int_equal(v->budget, 20 * MS);
	assert_int_equal(v->elapsed, 30 * MS);
	assert_int_equal(v->running, 7500000);
	assert_int_equal(v->waiting, 7500000);
	assert_int_equal(v->sleeping, 15 * MS);
	assert_string_equal(v->state, "sleeping");
	assert_true(v->ts + 1000000 >= before);
	assert_true(v->ts <= now_usec(CLOCK_REALTIME) + 1000000);
	assert_int_equal(prop_u64("ViolationCount"), 1);

	snprintf(idf, sizeof(idf), "TLOB_BUDGET_ID=%s", api_id);
	{
		const char *fields[] = {
			"MESSAGE_ID=b80203fec96a437b96bd4ceb44fba08e",
			"PRIORITY=4",
			"MESSAGE=demo.service: tlob_fixture_start..tlob_fixture_stop exceeded its 20ms budget (running 7.5ms, waiting 7.5ms, sleeping 15.0ms; pid 700 demo)",
			"OBJECT_PID=700", "OBJECT_SYSTEMD_UNIT=demo.service", idf,
			"TLOB_UNIT=demo.service",
			"TLOB_PROBE=tlob_fixture_start..tlob_fixture_stop",
			"TLOB_BUDGET_NSEC=20000000", "TLOB_ELAPSED_NSEC=30000000",
			"TLOB_RUNNING_NSEC=7500000", "TLOB_WAITING_NSEC=7500000",
			"TLOB_SLEEPING_NSEC=15000000", "TLOB_STATE=sleeping",
			"TLOB_TID=701", "TLOB_COMM=demo", NULL,
		};

		WAIT_JOURNAL(fields, 1);
	}

	/* The other states' names. */
	fake_kernel("violation @%s 702 25000000 1", api_id);
	fake_kernel("violation @%s 703 25000000 2", api_id);
	pump_signals(3);
	assert_int_equal(n_violation_signals, 3);
	assert_string_equal(violations[1].state, "running");
	assert_string_equal(violations[2].state, "waiting");
	/* A comm that is no text: sanitized in the signal and the journal. */
	fake_kernel("violation @%s 706 25000000 1 700 \x1b[2J\xff\xc3\x9c", api_id);
	pump_signals(4);
	assert_int_equal(n_violation_signals, 4);
	assert_string_equal(violations[3].comm, "?[2J?\xc3\x9c");
	{
		const char *fields[] = { "TLOB_TID=706", "TLOB_COMM=?[2J?\xc3\x9c", NULL };

		WAIT_JOURNAL(fields, 1);
	}
	/* The journal's MESSAGE drops the PATH of library probes. */
	fake_kernel("violation @%s 704 1600000000 1", runtime_id);
	pump_signals(5);
	{
		const char *fields[] = {
			"MESSAGE=demo.service: tlob_fixture_start exceeded its 1s 500ms budget (running 400.0ms, waiting 400.0ms, sleeping 800.0ms; pid 704 fake)",
			NULL,
		};

		WAIT_JOURNAL(fields, 1);
	}
	assert_int_equal(prop_u64("ViolationCount"), 5);
}

static void test_statistics(void **state)
{
	BudgetInfo bi;

	fake_kernel("window @%s 1500000", api_id);
	fake_kernel("window @%s 1600000", api_id);
	fake_kernel("window @%s 1700000", api_id);
	fake_kernel("window @%s 30000000", api_id);
	WAIT_FOR(!get_budget(api_id, &bi) && bi.windows == 4);
	assert_int_equal(bi.max, 30000000);
	assert_int_equal(bi.sum, 34800000);
	/* The kernel's: completed windows over budget, not records. */
	assert_int_equal(bi.violations, 1);
	assert_int_equal(bi.n_hist, 2);
	assert_int_equal(bi.hist[0][0], 1ULL << 21);
	assert_int_equal(bi.hist[0][1], 3);
	assert_int_equal(bi.hist[1][0], 1ULL << 25);
	assert_int_equal(bi.hist[1][1], 1);
}

static void test_restart_keeps_binding(void **state)
{
	uint64_t old = demo_cgroup_id();
	char now[64];
	BudgetInfo bi;
	unsigned q;

	/* A new cgroup (inode), the same path: the same bindings. */
	q = systemd_calls("call ");
	fake_systemd("restart demo.service");
	/* (0 while fake-systemd swaps the directory.) */
	WAIT_FOR(demo_cgroup_id() != old && demo_cgroup_id() != 0);
	WAIT_FOR(systemd_calls("call ") > q);
	usleep(200000);
	binding_ids(api_id, runtime_id, now);
	assert_string_equal(now, demo_bindings);
	assert_int_equal(count_bindings(NULL), 2);
	/* And the statistics go on. */
	assert_ok(get_budget(api_id, &bi));
	assert_true(bi.active);
	assert_int_equal(bi.windows, 4);
	assert_int_equal(bi.max, 30000000);
	fake_kernel("window @%s 1000", api_id);
	WAIT_FOR(!get_budget(api_id, &bi) && bi.windows == 5);
	assert_int_equal(bi.n_hist, 3);
}

static void test_stop_keeps_binding(void **state)
{
	ListEntry l[8];
	char now[64];
	unsigned q;
	size_t n;

	fake_systemd("stop demo.service");
	WAIT_FOR(!budget_active(api_id));
	/* A stopped unit is garbage-collected: no storm of queries follows. */
	usleep(300000);
	q = systemd_queries();
	usleep(500000);
	assert_int_equal(systemd_queries(), q);
	n = list_budgets(l, ELEMENTSOF(l));
	assert_int_equal(n, 2);
	assert_false(l[0].active);
	assert_false(l[1].active);
	/* Still bound, for its next start. */
	binding_ids(api_id, runtime_id, now);
	assert_string_equal(now, demo_bindings);

	/* A unit that fails without a job is noticed too. */
	fake_systemd("start demo.service");
	WAIT_FOR(budget_active(api_id));
	fake_systemd("crash demo.service");
	WAIT_FOR(!budget_active(api_id));
	fake_systemd("start demo.service");
	WAIT_FOR(budget_active(api_id));
	binding_ids(api_id, runtime_id, now);
	assert_string_equal(now, demo_bindings);
	assert_int_equal(count_bindings(NULL), 2);
}

static void test_self_instrumented(void **state)
{
	unsigned before = n_violation_signals;
	const Violation *v;

	/* A thread of demo.service's cgroup, via TRACE_START (binding 0). */
	fake_kernel("self 4000000 4000001 5000000 6000000 1 %llu selfprog",
		    (unsigned long long)demo_cgroup_id());
	pump_signals(before + 1);
	assert_int_equal(n_violation_signals, before + 1);
	v = &violations[before % ELEMENTSOF(violations)];
	assert_string_equal(v->id, "");
	assert_string_equal(v->unit, "demo.service");
	assert_string_equal(v->comm, "selfprog");
	assert_int_equal(v->budget, 5 * MS);
	assert_int_equal(v->elapsed, 6 * MS);
	{
		const char *fields[] = {
			"TLOB_BUDGET_ID=", "TLOB_UNIT=demo.service",
			"OBJECT_PID=4000000", "OBJECT_SYSTEMD_UNIT=demo.service",
			"TLOB_COMM=selfprog",
			"MESSAGE=demo.service: self-instrumented window (tag 0x0) exceeded its 5ms budget (running 1.5ms, waiting 1.5ms, sleeping 3.0ms; pid 4000000 selfprog)",
			NULL,
		};

		WAIT_JOURNAL(fields, 1);
	}
}

static void test_ratelimit(void **state)
{
	const char *logged[] = { NULL, "MESSAGE_ID=b80203fec96a437b96bd4ceb44fba08e", NULL };
	const char *summary[] = { NULL, "TLOB_SUPPRESSED=990", "OBJECT_PID=4242",
				  "PRIORITY=4", NULL };
	uint64_t before = prop_u64("ViolationCount");
	unsigned changed_before;
	char idf[96];

	/* Let the interval (1 s here) of the earlier entries end. */
	usleep(1100000);
	snprintf(idf, sizeof(idf), "TLOB_BUDGET_ID=%s", runtime_id);
	logged[0] = idf;
	summary[0] = idf;
	WAIT_JOURNAL(logged, 1);

	pump_signals(0);
	changed_before = n_violations_changed;
	fake_kernel("burst @%s 1000", runtime_id);
	WAIT_FOR(prop_u64("ViolationCount") == before + 1000);
	/* Exact counters, ten entries, then one summary from the timer. */
	WAIT_JOURNAL(logged, 1 + 10);
	WAIT_FOR(count_journal(summary) == 1);
	assert_int_equal(count_journal(logged), 1 + 10);
	{
		BudgetInfo bi;

		assert_ok(get_budget(runtime_id, &bi));
		/* The kernel's: the burst's 1000 windows all over budget. */
		assert_int_equal(bi.violations, 1000);
		assert_int_equal(bi.windows, 1000);
	}
	/* Drain the signals (not rate-limited). */
	pump_signals(n_violation_signals + 1000);
	/* ViolationCount announced its change: once for the batch, not 1000 times. */
	if (n_violations_changed - changed_before < 1 ||
	    n_violations_changed - changed_before > 10)
		fail_msg("%u PropertiesChanged for 1000 violations",
			 n_violations_changed - changed_before);
	assert_int_equal(last_violation_count, before + 1000);
}

/*
 * Records handled in batches (64 a read): each one signalled, in the
 * kernel's order, with its own values and a timestamp of its own expiry;
 * the counters exact, and their PropertiesChanged coalesced: at most one
 * per batch, the last one with the final count.
 */
static void test_batch(void **state)
{
	const unsigned n = 3 * 64 + 10;
	uint64_t count = prop_u64("ViolationCount");
	uint64_t before = now_usec(CLOCK_REALTIME);
	unsigned signals, changed, changed_count;
	BudgetInfo bi;

	pump_signals(0);
	signals = n_violation_signals;
	changed = n_violations_changed;
	changed_count = n_count_changed;
	n_flood_signals = n_flood_wrong = 0;
	assert_ok(get_budget(runtime_id, &bi));
	fake_kernel("flood @%s %u", runtime_id, n);
	pump_signals(signals + n);
	assert_int_equal(n_violation_signals - signals, n);
	assert_int_equal(n_flood_signals, n);
	assert_int_equal(n_flood_wrong, 0);
	{
		const Violation *v = &violations[(n_violation_signals - 1) %
						 ELEMENTSOF(violations)];

		assert_string_equal(v->id, runtime_id);
		assert_string_equal(v->unit, "demo.service");
		assert_int_equal(v->pid, 4242);
		assert_int_equal(v->budget, bi.budget);
		assert_int_equal(v->running + v->waiting + v->sleeping, v->elapsed);
		assert_string_equal(v->state, "running");
		assert_true(v->ts + 1000000 >= before);
		assert_true(v->ts <= now_usec(CLOCK_REALTIME) + 1000000);
	}
	/* The last PropertiesChanged may follow the signals a little later. */
	for (unsigned i = 0; i < 200 && last_violation_count != count + n; i++) {
		(void)sd_bus_wait(bus, 25000);
		pump_signals(0);
	}
	assert_int_equal(last_violation_count, count + n);
	assert_int_equal(prop_u64("ViolationCount"), count + n);
	if (n_violations_changed - changed < 1 ||
	    n_violations_changed - changed > (n + 63) / 64)
		fail_msg("%u PropertiesChanged of ViolationCount for %u records in %u batches",
			 n_violations_changed - changed, n, (n + 63) / 64);
	/* No other PropertiesChanged came meanwhile. */
	assert_int_equal(n_count_changed - changed_count,
			 n_violations_changed - changed);
}

/* Lines of the manager's log that contain @what. */
#define manager_log_count(what) count_in_log("manager.log", what)

static void test_lost(void **state)
{
	unsigned warned = manager_log_count("The kernel dropped 5 event(s)");
	unsigned summed = manager_log_count("The kernel dropped 10 more event(s) in the last 1s");

	pump_signals(0);
	assert_int_equal(n_dropped_changed, 0);
	/* One warning at once, the rest summed at the interval's end. */
	fake_kernel("lost 5");
	fake_kernel("lost 7");
	fake_kernel("lost 3");
	WAIT_FOR(prop_u64("DroppedEvents") == 15);
	WAIT_FOR(manager_log_count("The kernel dropped 10 more event(s) in the last 1s") ==
		 summed + 1);
	assert_int_equal(manager_log_count("The kernel dropped 5 event(s)"), warned + 1);
	assert_int_equal(manager_log_count("The kernel dropped 7 event(s)"), 0);
	assert_int_equal(prop_u64("DroppedEvents"), 15);
	/* And DroppedEvents announces its changes. */
	pump_signals(0);
	assert_true(n_dropped_changed >= 1);
}

/* ---- ViolationCause ------------------------------------------------ */

typedef struct CauseSignal {
	char id[64], kstack[512], wchan[64], location[512], curr_comm[32];
	char preemptor_comm[32], waker_comm[32], signal[16], state[16];
	uint32_t tid, cpu, preemptor_pid, waker_pid;
	uint64_t ts, nvcsw, nivcsw, migrations, user_ip;
	int exact, irq;
	unsigned n_keys;
} CauseSignal;

static CauseSignal last_cause;
static unsigned n_cause_signals;

/* The a{sv} of a cause at @m into @c (the keys the fake sends). */
static void read_cause(sd_bus_message *m, CauseSignal *c)
{
	const char *key, *s;
	char **l = NULL;

	assert_true(sd_bus_message_enter_container(m, 'a', "{sv}") > 0);
	while (sd_bus_message_enter_container(m, 'e', "sv") > 0) {
		assert_true(sd_bus_message_read(m, "s", &key) > 0);
		c->n_keys++;
		if (streq(key, "KernelStack")) {
			assert_true(sd_bus_message_enter_container(m, 'v', "as") > 0);
			assert_true(sd_bus_message_read_strv(m, &l) > 0);
			assert_true(sd_bus_message_exit_container(m) > 0);
			for (char **f = l; f && *f; f++)
				snprintf(c->kstack + strlen(c->kstack),
					 sizeof(c->kstack) - strlen(c->kstack),
					 "%s%s", f == l ? "" : "|", *f);
			for (char **f = l; f && *f; f++)
				free(*f);
			l = mfree(l);
		}
#define CSTR(k, f) else if (streq(key, k)) { \
		assert_true(sd_bus_message_read(m, "v", "s", &s) > 0); \
		copy_str(c->f, sizeof(c->f), s); }
#define CNUM(k, t, f) else if (streq(key, k)) \
		assert_true(sd_bus_message_read(m, "v", t, &c->f) > 0);
		CSTR("WaitChannel", wchan) CSTR("UserLocation", location)
		CSTR("CurrentComm", curr_comm) CSTR("PreemptorComm", preemptor_comm)
		CSTR("WakerComm", waker_comm) CSTR("Signal", signal)
		CSTR("State", state)
		CNUM("CPU", "u", cpu) CNUM("PreemptorPID", "u", preemptor_pid)
		CNUM("WakerPID", "u", waker_pid) CNUM("UserIP", "t", user_ip)
		CNUM("VoluntarySwitches", "t", nvcsw)
		CNUM("InvoluntarySwitches", "t", nivcsw)
		CNUM("Migrations", "t", migrations)
		CNUM("UserIPExact", "b", exact) CNUM("WakerFromIRQ", "b", irq)
		else
			assert_true(sd_bus_message_skip(m, "v") >= 0);
		assert_true(sd_bus_message_exit_container(m) > 0);
	}
	assert_true(sd_bus_message_exit_container(m) > 0);
}

static int on_violation_cause(sd_bus_message *m, void *userdata,
			      sd_bus_error *e)
{
	const char *id, *unit;
	uint32_t pid;
	CauseSignal c = {};

	if (sd_bus_message_read(m, "ssuut", &id, &unit, &pid, &c.tid, &c.ts) < 0)
		return 0;
	copy_str(c.id, sizeof(c.id), id);
	read_cause(m, &c);
	/* Right after its Violation: same tid and time. */
	if (n_violation_signals == 0 ||
	    violations[(n_violation_signals - 1) % ELEMENTSOF(violations)].tid != c.tid ||
	    violations[(n_violation_signals - 1) % ELEMENTSOF(violations)].ts != c.ts)
		c.tid = 0;
	last_cause = c;
	n_cause_signals++;
	return 0;
}

/* A function of ours for the fake's user IP. */
void tlob_test_user_marker(void);
__attribute__((noinline)) void tlob_test_user_marker(void)
{
	__asm__ volatile("");
}

static void check_cause(const CauseSignal *c, uint32_t tid)
{
	char loc[64];

	assert_string_equal(c->id, api_id);
	assert_int_equal(c->tid, tid);
	assert_string_equal(c->kstack, "schedule+0x10/0x100|pipe_read+0x20/0x100|foo_read+0x10/0x80 [foo]");
	assert_string_equal(c->wchan, "pipe_read");
	snprintf(loc, sizeof(loc), "tlob_test_user_marker+0x0 (");
	assert_true(startswith(c->location, loc));
	assert_true(endswith(c->location, "/test-dbus-api)"));
	/* never the address on the bus (a service's ASLR) */
	assert_int_equal(c->user_ip, 0);
	assert_false(c->exact);
	assert_int_equal(c->cpu, 1);
	assert_string_equal(c->curr_comm, "hog");
	assert_string_equal(c->preemptor_comm, "hog");
	assert_int_equal(c->preemptor_pid, getpid());
	assert_string_equal(c->waker_comm, "waker");
	assert_int_equal(c->waker_pid, 1);
	assert_true(c->irq);
	assert_int_equal(c->nvcsw, 3);
	assert_int_equal(c->nivcsw, 1);
	assert_int_equal(c->migrations, 2);
	assert_string_equal(c->signal, "SIGABRT");
	assert_string_equal(c->state, "sleeping");
}

static void test_violation_cause(void **state)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	uint64_t dropped = prop_u64("DroppedEvents");
	unsigned before = n_violation_signals;
	void *ip = (void *)tlob_test_user_marker;
	const char *key;
	CauseSignal last[4] = {};
	unsigned n = 0;
	char idf[96];
	int r;

	assert_true(sd_bus_match_signal(bus, NULL, DEST, PATH, IFACE, "ViolationCause",
					on_violation_cause, NULL) >= 0);
	snprintf(idf, sizeof(idf), "TLOB_BUDGET_ID=%s", api_id);
	/* Read together with its violation. */
	fake_kernel("cause @%s 801 %d %p together", api_id, (int)getpid(), ip);
	pump_signals(before + 1);
	WAIT_FOR((pump_signals(0), n_cause_signals == 1));
	check_cause(&last_cause, 801);
	{
		const char *fields[] = {
			idf, "TLOB_TID=801", "TLOB_STATE=sleeping",
			"TLOB_KSTACK=schedule+0x10/0x100", "pipe_read+0x20/0x100",
			"foo_read+0x10/0x80 [foo]", "TLOB_WCHAN=pipe_read",
			"TLOB_USER_IP_EXACT=0", "TLOB_CPU=1", "TLOB_CURR_COMM=hog",
			"TLOB_PREEMPTOR_COMM=hog", "TLOB_WAKER_PID=1",
			"TLOB_WAKER_COMM=waker", "TLOB_WAKER_FROM_IRQ=1",
			"TLOB_NVCSW=3", "TLOB_NIVCSW=1", "TLOB_MIGRATIONS=2",
			"TLOB_SIGNAL=SIGABRT", NULL,
		};

		WAIT_JOURNAL(fields, 1);
	}

	/* The read ends between the violation and its cause. */
	fake_kernel("cause @%s 802 %d %p next", api_id, (int)getpid(), ip);
	pump_signals(before + 2);
	WAIT_FOR((pump_signals(0), n_cause_signals == 2));
	check_cause(&last_cause, 802);
	{
		const char *fields[] = { "TLOB_TID=802", "TLOB_WCHAN=pipe_read", NULL };

		WAIT_JOURNAL(fields, 1);
	}

	/* The cause was lost: the violation comes without, at once. */
	fake_kernel("cause @%s 803 %d %p lost", api_id, (int)getpid(), ip);
	pump_signals(before + 3);
	assert_int_equal(violations[(n_violation_signals - 1) % ELEMENTSOF(violations)].tid, 803);
	WAIT_FOR(prop_u64("DroppedEvents") == dropped + 1);
	{
		const char *fields[] = { "TLOB_TID=803", "TLOB_STATE=sleeping", NULL };
		const char *with_cause[] = { "TLOB_TID=803", "TLOB_CPU=1", NULL };

		WAIT_JOURNAL(fields, 1);
		assert_int_equal(count_journal(with_cause), 0);
	}
	pump_signals(0);
	assert_int_equal(n_cause_signals, 2);

	/* GetBudget: Cause, and the last violations, newest first. */
	assert_ok(call("GetBudget", &reply, "s", api_id));
	assert_true(sd_bus_message_enter_container(reply, 'a', "{sv}") > 0);
	while ((r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
		assert_true(sd_bus_message_read(reply, "s", &key) > 0);
		if (streq(key, "Cause")) {
			int b = 0;

			assert_true(sd_bus_message_read(reply, "v", "b", &b) > 0);
			assert_true(b);
			n++;
		} else if (streq(key, "LastViolations")) {
			unsigned i = 0;

			assert_true(sd_bus_message_enter_container(reply, 'v', "aa{sv}") > 0);
			assert_true(sd_bus_message_enter_container(reply, 'a', "a{sv}") > 0);
			while (i < ELEMENTSOF(last) &&
			       sd_bus_message_peek_type(reply, NULL, NULL) > 0)
				read_cause(reply, &last[i++]);
			assert_true(sd_bus_message_exit_container(reply) > 0);
			assert_true(sd_bus_message_exit_container(reply) > 0);
			assert_int_equal(i, 4);
			n++;
		} else
			assert_true(sd_bus_message_skip(reply, "v") >= 0);
		assert_true(sd_bus_message_exit_container(reply) > 0);
	}
	assert_int_equal(n, 2);
	/* 803 without a cause: its state, no stack. */
	assert_string_equal(last[0].state, "sleeping");
	assert_string_equal(last[0].kstack, "");
	assert_string_equal(last[1].wchan, "pipe_read");
	assert_string_equal(last[1].kstack, "schedule+0x10/0x100|pipe_read+0x20/0x100|foo_read+0x10/0x80 [foo]");
	assert_string_equal(last[2].signal, "SIGABRT");
}

static void test_dropins_and_reload(void **state)
{
	_cleanup_free_ char *f = NULL;
	ListEntry l[8];
	const ListEntry *e = NULL;
	size_t n;

	/* Sorts before the 50-TlobBudget-*.conf, whose budgets stay. */
	assert_true(asprintf(&f, "%s/root/etc/systemd/system/demo.service.d/10-tlob.conf",
			     fake_dir) > 0);
	write_file(f, "[Service]\nEnvironment=X=1\n[X-Tlob]\n"
		   "TlobBudget=tlob_fixture_stop 5ms\n"
		   "TlobBudget=bad probe!\n");
	/* Nothing until a reload. */
	assert_int_equal(list_budgets(l, ELEMENTSOF(l)), 2);
	assert_ok(call("Reload", NULL, NULL));
	n = list_budgets(l, ELEMENTSOF(l));
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++)
		if (streq(l[i].source, "dropin"))
			e = &l[i];
	assert_non_null(e);
	assert_string_equal(e->probe, "tlob_fixture_stop");
	assert_int_equal(e->budget, 5 * MS);
	WAIT_FOR(count_bindings(NULL) == 3);
	/* Unchanged budgets keep their ids and counters over a reload. */
	assert_non_null(find_entry(l, n, api_id));
	{
		BudgetInfo bi;

		assert_ok(get_budget(api_id, &bi));
		assert_int_equal(bi.windows, 5);
	}
	/* Hand-written budgets are removed by editing files. */
	assert_error(call("RemoveBudget", NULL, "s", e->id),
		     SD_BUS_ERROR_NOT_SUPPORTED);

	/*
	 * systemd's daemon-reload re-reads them too; "" resets the list
	 * built so far (from files sorting before this one).
	 */
	write_file(f, "[X-Tlob]\nTlobBudget=tlob_fixture_stop 5ms\n"
		   "TlobBudget=\nTlobBudget=tlob_fixture_stop+0x2 7ms\n");
	fake_systemd("reload");
	WAIT_FOR(count_bindings(" 7000000 ") == 1);
	assert_int_equal(list_budgets(l, ELEMENTSOF(l)), 3);
	assert_int_equal(count_bindings(NULL), 3);

	/* And so does SIGHUP. */
	write_file(f, "[X-Tlob]\n");
	assert_int_equal(kill(manager_pid, SIGHUP), 0);
	WAIT_FOR(list_budgets(l, ELEMENTSOF(l)) == 2);
	WAIT_FOR(count_bindings(NULL) == 2);
	assert_int_equal(prop_u32("BudgetCount"), 2);
}

static void test_restart_manager(void **state)
{
	_cleanup_free_ char *stale = NULL;
	ListEntry l[8];
	BudgetInfo bi;
	size_t n;

	manager_stop();
	/* A crash between writing a drop-in and renaming it. */
	assert_true(asprintf(&stale, "%s/root/etc/systemd/system.control/demo.service.d/50-TlobBudget-0badc0de.conf.tmp",
			     fake_dir) > 0);
	write_file(stale, "[X-Tlob]\nTlob");
	manager_start(NULL);
	assert_int_equal(access(stale, F_OK), -1);
	n = list_budgets(l, ELEMENTSOF(l));
	assert_int_equal(n, 2);
	assert_non_null(find_entry(l, n, api_id));
	assert_string_equal(find_entry(l, n, api_id)->source, "api");
	assert_non_null(find_entry(l, n, runtime_id));
	assert_string_equal(find_entry(l, n, runtime_id)->source, "runtime");
	assert_ok(get_budget(runtime_id, &bi));
	assert_string_equal(bi.description, "the library");
	/* demo.service still runs: bound again without any signal. */
	WAIT_FOR(budget_active(api_id) && budget_active(runtime_id));
	assert_int_equal(count_bindings(NULL), 2);
}

/* In a child with uid/gid 65534: call @what, expect error @want (or none). */
/* The budget of test_actions, for as_nobody("snapshots"). */
static char action_id[64];

static void as_nobody(const char *what, bool interactive, const char *want)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		sd_bus *b = NULL;
		const char *err = NULL;
		char id[64];

		if (setresgid(65534, 65534, 65534) < 0 ||
		    setresuid(65534, 65534, 65534) < 0)
			_exit(90);
		if (sd_bus_open_system(&b) < 0)
			_exit(91);
		if (streq(what, "add"))
			err = add_budget_on(b, interactive, "demo.service",
					    "tlob_fixture_stop", MS, id, NULL);
		else if (streq(what, "add-action"))
			err = add_budget_on(b, interactive, "demo.service",
					    "tlob_fixture_stop", MS, id, "{sv}",
					    "action", "s", "signal=SIGQUIT");
		else if (streq(what, "snapshots"))
			err = call_on(b, "ListSnapshots", NULL, "s", action_id);
		else if (streq(what, "open-snapshot"))
			err = call_on(b, "OpenSnapshot", NULL, "st", action_id, (uint64_t)1);
		else if (streq(what, "list"))
			err = call_plain(b, "ListBudgets", false);
		else if (streq(what, "reload"))
			err = call_plain(b, "Reload", interactive);
		if (!streq_ptr(err, want)) {
			fprintf(stderr, "as nobody: %s gave %s, expected %s\n",
				what, err ?: "success", want ?: "success");
			_exit(1);
		}
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_polkit(void **state)
{
	_cleanup_free_ char *logp = fake_path("polkit.log"), *log = NULL;
	ListEntry l[8];
	size_t n;

	/* No answer from polkit: refused (but reading is for everybody). */
	set_polkit("fail");
	as_nobody("list", false, NULL);
	as_nobody("add", false, SD_BUS_ERROR_ACCESS_DENIED);
	as_nobody("reload", false, SD_BUS_ERROR_ACCESS_DENIED);
	set_polkit("no");
	as_nobody("add", false, SD_BUS_ERROR_ACCESS_DENIED);
	/* polkit could ask: retry with interaction, or (if that was allowed) no. */
	set_polkit("challenge");
	as_nobody("add", false, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED);
	as_nobody("reload", false, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED);
	as_nobody("reload", true, SD_BUS_ERROR_ACCESS_DENIED);
	as_nobody("add", true, SD_BUS_ERROR_ACCESS_DENIED);
	set_polkit("yes");
	as_nobody("reload", false, NULL);
	as_nobody("add", true, NULL);
	n = list_budgets(l, ELEMENTSOF(l));
	assert_int_equal(n, 3);

	log = read_file(logp);
	/* Asked for the right action, for the caller, interactive only if asked. */
	assert_non_null(strstr(log, "org.tlob.manage-budgets 0 system-bus-name :1."));
	assert_non_null(strstr(log, "org.tlob.manage-budgets 1 system-bus-name :1."));

	/* Root is never sent to polkit. */
	set_polkit("no");
	assert_ok(call("Reload", NULL, NULL));
	{
		_cleanup_free_ char *again = read_file(logp);

		assert_string_equal(again, log);
	}
	for (size_t i = 0; i < n; i++)
		if (!streq(l[i].id, api_id) && !streq(l[i].id, runtime_id))
			assert_ok(call("RemoveBudget", NULL, "s", l[i].id));
	assert_int_equal(prop_u32("BudgetCount"), 2);
}

static void test_remove(void **state)
{
	_cleanup_free_ char *file = NULL;
	BudgetInfo bi;
	unsigned q;

	assert_ok(get_budget(api_id, &bi));
	file = strdup(bi.file);
	assert_int_equal(access(file, F_OK), 0);
	q = systemd_calls("call Reload");
	assert_ok(call("RemoveBudget", NULL, "s", api_id));
	assert_true(access(file, F_OK) < 0 && errno == ENOENT);
	WAIT_FOR(systemd_calls("call Reload") == q + 1);
	assert_error(get_budget(api_id, &bi), "org.tlob.Error.NoSuchBudget");
	assert_error(call("RemoveBudget", NULL, "s", api_id),
		     "org.tlob.Error.NoSuchBudget");
	WAIT_FOR(count_bindings(NULL) == 1);
	assert_int_equal(prop_u32("BudgetCount"), 1);
}

static void test_too_many(void **state)
{
	/* The kernel has room for the one binding there is. */
	manager_stop();
	manager_start("TLOB_FAKE_KERNEL_MAX=1");
	WAIT_FOR(count_bindings(NULL) == 1);
	assert_error_errno(add_budget("demo.service", "tlob_fixture_start..tlob_fixture_stop",
				      20 * MS, NULL, NULL),
			   "org.tlob.Error.TooMany", ENOSPC);
	/* The failed budget left nothing behind. */
	assert_int_equal(prop_u32("BudgetCount"), 1);
}

static void test_kernel_unavailable(void **state)
{
	ListEntry l[8];

	_cleanup_free_ char *backend = NULL;

	/* Neither the module nor BPF: the module is awaited. */
	manager_stop();
	manager_start("TLOB_FAKE_KERNEL_UNAVAILABLE=1 TLOB_FAKE_BPF_UNAVAILABLE=1");
	backend = prop_str("Backend");
	assert_string_equal(backend, "kmod");
	/* Still serving: budgets are listed, inactive. */
	assert_int_equal(list_budgets(l, ELEMENTSOF(l)), 1);
	assert_false(l[0].active);
	assert_error_errno(add_budget("demo.service", "tlob_fixture_start", 20 * MS, NULL,
				      NULL),
			   "org.tlob.Error.KernelUnavailable", ENODEV);
	assert_ok(call("RemoveBudget", NULL, "s", runtime_id));
	assert_int_equal(prop_u32("BudgetCount"), 0);
}

#define MANY 200

/* Budgets listed active. */
static unsigned n_active(void)
{
	ListEntry l[MANY + 8];
	size_t n = list_budgets(l, ELEMENTSOF(l));
	unsigned k = 0;

	for (size_t i = 0; i < n && i < ELEMENTSOF(l); i++)
		k += l[i].active;
	return k;
}

static void test_many_units(void **state)
{
	manager_stop();
	manager_start(NULL);
	assert_int_equal(prop_u32("BudgetCount"), 0);
	for (unsigned i = 0; i < MANY; i++) {
		_cleanup_free_ char *f = NULL;

		assert_true(asprintf(&f, "%s/root/etc/systemd/system/many-%u.service.d/tlob.conf",
				     fake_dir, i) > 0);
		write_file(f, "[X-Tlob]\nTlobBudget=tlob_fixture_start 10ms\n");
		fake_systemd("unit many-%u.service %s", i, fake_exec);
		fake_systemd("start many-%u.service", i);
	}
	/*
	 * One reload queries every unit: more than the 128 calls a
	 * connection may have pending on the bus, so they must take turns.
	 */
	assert_ok(call("Reload", NULL, NULL));
	assert_int_equal(prop_u32("BudgetCount"), MANY);
	WAIT_FOR(count_bindings(NULL) == MANY);
	WAIT_FOR(n_active() == MANY);
	/* Stopped, they stay bound for their next start. */
	for (unsigned i = 0; i < MANY; i++)
		fake_systemd("stop many-%u.service", i);
	WAIT_FOR(n_active() == 0);
	assert_int_equal(count_bindings(NULL), MANY);
}

static bool fake_exists(const char *rel)
{
	_cleanup_free_ char *p = fake_path(rel);

	return access(p, F_OK) == 0;
}

static const ListEntry *find_unit_entry(const ListEntry *l, size_t n,
					const char *unit)
{
	for (size_t i = 0; i < n; i++)
		if (streq(l[i].unit, unit))
			return &l[i];
	return NULL;
}

/* VmRSS of the manager, in KiB. */
static unsigned long manager_rss_kib(void)
{
	_cleanup_free_ char *p = NULL, *text = NULL;
	const char *l;

	assert_true(asprintf(&p, "/proc/%d/status", (int)manager_pid) > 0);
	text = read_file(p);
	l = strstr(text, "VmRSS:");
	return l ? strtoul(l + 6, NULL, 10) : 0;
}

static void test_template_instances(void **state)
{
	_cleanup_free_ char *f = NULL, *g = NULL;
	ListEntry l[MANY + 8];
	const ListEntry *e;
	char id[64], cg[128];
	unsigned long rss0, rss1;
	unsigned q, lists, before;
	size_t n, n0;

	assert_true(asprintf(&f, "%s/root/etc/systemd/system/web@.service.d/tlob.conf",
			     fake_dir) > 0);
	write_file(f, "[X-Tlob]\nTlobBudget=tlob_fixture_stop 10ms\n");
	fake_systemd("unit web@.service %s", fake_exec);
	assert_ok(call("Reload", NULL, NULL));

	/* One budget of the template, bound before any instance exists. */
	n = list_budgets(l, ELEMENTSOF(l));
	e = find_unit_entry(l, n, "web@.service");
	assert_non_null(e);
	assert_string_equal(e->source, "dropin");
	copy_str(id, sizeof(id), e->id);
	WAIT_FOR(count_bindings(" 10000000 system.slice/system-web.slice ") == 1);
	assert_false(budget_active(id));
	/* systemd was asked about it through an instance it loaded for us. */
	assert_true(systemd_calls("call LoadUnit web@tlob-manager.service") >= 1);

	/* Instances start: nothing to do, no reload, no query. */
	q = systemd_queries();
	lists = systemd_calls("call ListUnitsByPatterns");
	n0 = list_budgets(l, ELEMENTSOF(l));
	fake_systemd("start web@a.service");
	fake_systemd("start web@b.service");
	WAIT_FOR(fake_exists("cgroup/system.slice/system-web.slice/web@b.service"));
	WAIT_FOR(budget_active(id));
	usleep(300000);
	assert_int_equal(systemd_queries(), q);
	assert_int_equal(systemd_calls("call ListUnitsByPatterns"), lists);
	assert_int_equal(list_budgets(l, ELEMENTSOF(l)), n0);
	assert_int_equal(count_bindings(" system.slice/system-web.slice "), 1);

	/* A record names the instance its task runs in. */
	before = n_violation_signals;
	fake_kernel("violation @%s 901 12000000 1 900 web system.slice/system-web.slice/web@b.service",
		    id);
	pump_signals(before + 1);
	assert_int_equal(n_violation_signals, before + 1);
	assert_string_equal(violations[before % ELEMENTSOF(violations)].unit,
			    "web@b.service");
	assert_string_equal(violations[before % ELEMENTSOF(violations)].id, id);
	{
		char idf[96];
		const char *fields[] = {
			"OBJECT_SYSTEMD_UNIT=web@b.service", "TLOB_UNIT=web@b.service",
			"TLOB_BUDGET_UNIT=web@.service", idf, "TLOB_TID=901", NULL,
		};

		snprintf(idf, sizeof(idf), "TLOB_BUDGET_ID=%s", id);
		WAIT_JOURNAL(fields, 1);
	}
	/* A cgroup that is gone tells nothing: the template's name. */
	fake_kernel("violation @%s 902 12000000 1 900 web system.slice/system-web.slice/web@gone.service",
		    id);
	pump_signals(before + 2);
	assert_string_equal(violations[(before + 1) % ELEMENTSOF(violations)].unit,
			    "web@.service");

	/* Stopped, all of them: the budget stays, inactive, bound. */
	fake_systemd("stop web@a.service");
	fake_systemd("stop web@b.service");
	WAIT_FOR(!fake_exists("cgroup/system.slice/system-web.slice"));
	WAIT_FOR(!budget_active(id));
	assert_int_equal(count_bindings(" system.slice/system-web.slice "), 1);

	/* MANY instances come and go: nothing is kept for them. */
	rss0 = manager_rss_kib();
	q = systemd_queries();
	for (unsigned i = 0; i < MANY; i++) {
		fake_systemd("start web@%u.service", i);
		snprintf(cg, sizeof(cg), "system.slice/system-web.slice/web@%u.service", i);
		fake_kernel("violation @%s %u 12000000 1 %u web %s", id, 2000 + i,
			    2000 + i, cg);
	}
	pump_signals(before + 2 + MANY);
	assert_int_equal(n_violation_signals, before + 2 + MANY);
	for (unsigned i = 0; i < MANY; i++)
		fake_systemd("stop web@%u.service", i);
	WAIT_FOR(!fake_exists("cgroup/system.slice/system-web.slice"));
	usleep(300000);
	rss1 = manager_rss_kib();
	print_message("# %u instances started and stopped: RSS %lu KiB -> %lu KiB\n",
		      MANY, rss0, rss1);
	assert_int_equal(list_budgets(l, ELEMENTSOF(l)), n0);
	assert_int_equal(systemd_queries(), q);
	assert_int_equal(count_bindings(" system.slice/system-web.slice "), 1);
	if (rss1 > rss0 + 512)
		fail_msg("RSS grew from %lu to %lu KiB", rss0, rss1);

	/* A template with Slice=: its instances' slice. */
	assert_true(asprintf(&g, "%s/root/etc/systemd/system/job@.service.d/tlob.conf",
			     fake_dir) > 0);
	write_file(g, "[X-Tlob]\nTlobBudget=tlob_fixture_stop 11ms\n");
	fake_systemd("unit job@.service %s job.slice", fake_exec);
	assert_ok(call("Reload", NULL, NULL));
	WAIT_FOR(count_bindings(" 11000000 job.slice ") == 1);
	assert_int_equal(unlink(g), 0);
	assert_ok(call("Reload", NULL, NULL));
	WAIT_FOR(count_bindings(" 11000000 ") == 0);
}

static void test_reload_coalescing(void **state)
{
	char ids[8][64], probe[64];
	unsigned q, n;

	/* While systemd reloads, further changes wait for one more reload. */
	fake_systemd("reload-delay 400");
	usleep(100000);
	q = systemd_calls("call Reload");
	for (unsigned i = 0; i < ELEMENTSOF(ids); i++) {
		snprintf(probe, sizeof(probe), "tlob_fixture_%s+%u",
			 i < 4 ? "start" : "stop", i % 4 + 1);
		assert_ok(add_budget("demo.service", probe, 10 * MS, ids[i], NULL));
	}
	usleep(1500000);
	n = systemd_calls("call Reload") - q;
	if (n < 1 || n >= ELEMENTSOF(ids))
		fail_msg("%u budgets added: %u systemd reloads", (unsigned)ELEMENTSOF(ids), n);
	fake_systemd("reload-delay 0");
	for (unsigned i = 0; i < ELEMENTSOF(ids); i++)
		assert_ok(call("RemoveBudget", NULL, "s", ids[i]));
}

typedef struct Pending {
	bool done;
	char error[256];
	char id[64];
	uint64_t at;		/* when the reply came */
} Pending;

static int on_pending_reply(sd_bus_message *m, void *userdata, sd_bus_error *e)
{
	const sd_bus_error *err = sd_bus_message_get_error(m);
	Pending *p = userdata;
	const char *id;

	p->done = true;
	p->at = now_usec(CLOCK_MONOTONIC);
	if (err)
		copy_str(p->error, sizeof(p->error), err->name);
	else if (sd_bus_message_has_signature(m, "s") &&
		 sd_bus_message_read(m, "s", &id) > 0)
		copy_str(p->id, sizeof(p->id), id);
	return 0;
}

/* Process the bus until @p has its reply, for at most 10 s. */
static void wait_pending(Pending *p)
{
	uint64_t end = now_usec(CLOCK_MONOTONIC) + 10000000;

	while (!p->done && now_usec(CLOCK_MONOTONIC) < end) {
		int r = sd_bus_process(bus, NULL);

		assert_true(r >= 0);
		if (r == 0)
			(void)sd_bus_wait(bus, 100000);
	}
	assert_true(p->done);
}

/* Calls that do not need systemd, answered while it makes us wait. */
static void assert_served_at_once(void)
{
	uint64_t t0 = now_usec(CLOCK_MONOTONIC), t;
	ListEntry l[MANY + 8];
	BudgetInfo bi;
	size_t n;

	n = list_budgets(l, ELEMENTSOF(l));
	assert_true(n > 0);
	assert_ok(get_budget(l[0].id, &bi));
	assert_true(prop_u32("BudgetCount") > 0);
	t = now_usec(CLOCK_MONOTONIC) - t0;
	if (t >= 1000000)
		fail_msg("calls took %llu us while systemd was slow",
			 (unsigned long long)t);
}

static void test_systemd_slow(void **state)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	_cleanup_free_ char *f = NULL;
	_cleanup_(sd_bus_slot_unrefp) sd_bus_slot *add = NULL, *reload = NULL;
	Pending pa = {}, pr = {};
	uint64_t t0;

	/* PID 1 busy (a daemon-reload): 2 s for each of its answers. */
	fake_systemd("call-delay 2000");
	usleep(100000);

	/* AddBudget waits for LoadUnit, without making anybody else wait. */
	t0 = now_usec(CLOCK_MONOTONIC);
	assert_int_equal(sd_bus_message_new_method_call(bus, &m, DEST, PATH, IFACE,
							 "AddBudget"), 0);
	assert_true(sd_bus_message_append(m, "ssta{sv}", "demo.service",
					  "tlob_fixture_start+7", 10 * MS, 0) >= 0);
	assert_true(sd_bus_call_async(bus, &add, m, on_pending_reply, &pa, 0) >= 0);
	usleep(300000);
	assert_served_at_once();
	wait_pending(&pa);
	assert_string_equal(pa.error, "");
	assert_int_equal(strlen(pa.id), 8);
	if (pa.at - t0 < 1500000)
		fail_msg("AddBudget answered after %llu us, before systemd did",
			 (unsigned long long)(pa.at - t0));

	/* A reload waits for ListUnitsByPatterns (of a prefix drop-in). */
	assert_true(asprintf(&f, "%s/root/etc/systemd/system/slow-.service.d/tlob.conf",
			     fake_dir) > 0);
	write_file(f, "[X-Tlob]\nTlobBudget=tlob_fixture_stop 10ms\n");
	t0 = now_usec(CLOCK_MONOTONIC);
	m = sd_bus_message_unref(m);
	assert_int_equal(sd_bus_message_new_method_call(bus, &m, DEST, PATH, IFACE,
							 "Reload"), 0);
	assert_true(sd_bus_call_async(bus, &reload, m, on_pending_reply, &pr, 0) >= 0);
	usleep(300000);
	assert_served_at_once();
	wait_pending(&pr);
	assert_string_equal(pr.error, "");
	assert_true(pr.at - t0 >= 1500000);

	fake_systemd("call-delay 0");
	assert_ok(call("RemoveBudget", NULL, "s", pa.id));
	assert_int_equal(unlink(f), 0);
	assert_ok(call("Reload", NULL, NULL));
}

/*
 * PID 1 answering after sd-bus's timeout (1 s here, SYSTEMD_BUS_TIMEOUT):
 * the query of a unit that started is asked again, not taken as "the unit
 * is not running" until its next job.
 */
static void test_systemd_timeout(void **state)
{
	char id[64];

	manager_stop();
	manager_start("SYSTEMD_BUS_TIMEOUT=1s");
	fake_systemd("unit late.service %s", fake_exec);
	assert_ok(add_budget("late.service", "tlob_fixture_start", 20 * MS, id, NULL));
	assert_false(budget_active(id));
	/* The start's queries of the other tests' units are over. */
	systemd_quiet();

	fake_systemd("call-delay 1500");
	usleep(100000);
	fake_systemd("start late.service");
	WAIT_FOR(manager_log_count("Timed out querying the state of late.service, asking again") >= 1);
	assert_false(budget_active(id));
	fake_systemd("call-delay 0");
	WAIT_FOR(budget_active(id));
	assert_int_equal(manager_log_count("Failed to query state of late.service"), 0);

	fake_systemd("stop late.service");
	WAIT_FOR(!budget_active(id));
	assert_ok(call("RemoveBudget", NULL, "s", id));
	manager_stop();
	manager_start(NULL);
}

/*
 * Reload() asks systemd only about units it does not know yet; after
 * systemd reloaded (unit files may have changed) every unit is asked
 * again; and a unit is asked once at a time: a burst of reloads while
 * PID 1 is slow costs it two queries of a unit, not one per reload.
 */
static void test_reload_queries(void **state)
{
	_cleanup_free_ char *f = NULL;
	char id[64];
	unsigned q, n, lists;

	fake_systemd("unit rq.service %s", fake_exec);
	assert_ok(add_budget("rq.service", "tlob_fixture_start", 20 * MS, id, NULL));
	fake_systemd("start rq.service");
	WAIT_FOR(budget_active(id));
	q = systemd_quiet();

	/* Reload(): nothing to ask, the unit's budgets stay bound. */
	assert_ok(call("Reload", NULL, ""));
	assert_int_equal(systemd_quiet(), q);
	assert_true(budget_active(id));

	/* A new hand-written budget of a known unit: bound without asking. */
	assert_true(asprintf(&f, "%s/root/etc/systemd/system/rq.service.d/10-tlob.conf",
			     fake_dir) > 0);
	write_file(f, "[X-Tlob]\nTlobBudget=tlob_fixture_stop 7ms\n");
	assert_ok(call("Reload", NULL, ""));
	WAIT_FOR(count_bindings(" 7000000 ") == 1);
	assert_int_equal(systemd_quiet(), q);

	/* systemd reloaded: asked again, once. */
	n = systemd_calls("call LoadUnit rq.service");
	fake_systemd("reload");
	WAIT_FOR(systemd_calls("call LoadUnit rq.service") == n + 1);
	systemd_quiet();
	assert_int_equal(systemd_calls("call LoadUnit rq.service"), n + 1);

	/*
	 * Four reloads while each query takes 1.5 s: two queries, not four.
	 * (With no prefix or type drop-in yet, no ListUnitsByPatterns call
	 * makes the reloads wait for each other: the tracker alone counts.)
	 */
	n = systemd_calls("call LoadUnit rq.service");
	lists = systemd_calls("call ListUnitsByPatterns");
	fake_systemd("call-delay 1500");
	usleep(100000);
	for (unsigned i = 0; i < 4; i++) {
		fake_systemd("reload");
		usleep(150000);
	}
	usleep(500000);
	fake_systemd("call-delay 0");
	/* The one running, then one for the three that came meanwhile. */
	WAIT_FOR(systemd_calls("call LoadUnit rq.service") >= n + 2);
	systemd_quiet();
	assert_int_equal(systemd_calls("call ListUnitsByPatterns"), lists);
	assert_int_equal(systemd_calls("call LoadUnit rq.service"), n + 2);
	assert_true(budget_active(id));

	assert_int_equal(unlink(f), 0);
	assert_ok(call("Reload", NULL, ""));
	WAIT_FOR(count_bindings(" 7000000 ") == 0);
	assert_ok(call("RemoveBudget", NULL, "s", id));
}

static void test_kernel_read_error(void **state)
{
	int status = 0;
	pid_t pid;

	/* A broken /dev/rv fails the service (Restart= brings it back). */
	fake_kernel("read-error %d", EIO);
	for (unsigned i = 0; i < 200; i++) {
		pid = waitpid(manager_pid, &status, WNOHANG);
		if (pid != 0)
			break;
		usleep(25000);
	}
	assert_int_equal(pid, manager_pid);
	manager_pid = 0;
	assert_true(WIFEXITED(status));
	assert_int_not_equal(WEXITSTATUS(status), 0);
	/* The next one runs again. */
	manager_start(NULL);
	assert_int_equal(prop_u64("DroppedEvents"), 0);
}

static void test_budget_limit(void **state)
{
	_cleanup_free_ char *f = NULL, *arg = NULL;
	unsigned before = manager_log_count("refused, there are already");
	uint32_t all = prop_u32("BudgetCount");

	assert_true(all > 2);
	assert_int_equal(prop_u32("RefusedBudgets"), 0);

	/* One budget fewer allowed than the drop-ins have. */
	manager_stop();
	assert_true(asprintf(&arg, "--max-budgets=%u", all - 1) > 0);
	manager_start_with(NULL, arg);
	assert_int_equal(prop_u32("BudgetCount"), all - 1);
	assert_int_equal(prop_u32("RefusedBudgets"), 1);
	assert_int_equal(manager_log_count("refused, there are already"), before + 1);
	assert_error_errno(add_budget("demo.service", "tlob_fixture_stop+1", 20 * MS,
				      NULL, NULL),
			   "org.tlob.Error.TooMany", ENOSPC);

	/* A new drop-in does not push out a budget already loaded. */
	assert_true(asprintf(&f, "%s/root/etc/systemd/system/aaa-first.service.d/tlob.conf",
			     fake_dir) > 0);
	write_file(f, "[X-Tlob]\nTlobBudget=tlob_fixture_start 1ms\n");
	assert_ok(call("Reload", NULL, NULL));
	assert_int_equal(prop_u32("BudgetCount"), all - 1);
	assert_int_equal(prop_u32("RefusedBudgets"), 2);
	assert_true(manager_log_count("aaa-first.service.d/tlob.conf: budget of aaa-first.service for tlob_fixture_start refused") >= 1);

	/* With room again, nothing is refused. */
	assert_int_equal(unlink(f), 0);
	manager_stop();
	manager_start(NULL);
	assert_int_equal(prop_u32("BudgetCount"), all);
	assert_int_equal(prop_u32("RefusedBudgets"), 0);
}

/* Copy the ELF fixture to @to, by a new file renamed over it. */
static void copy_fixture(const char *to)
{
	_cleanup_free_ char *tmp = NULL, *cmd = NULL;

	assert_true(asprintf(&tmp, "%s.new", to) > 0);
	assert_true(asprintf(&cmd, "cp '%s' '%s'", fake_exec, tmp) > 0);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(rename(tmp, to), 0);
}

static void test_rebind_new_inode(void **state)
{
	_cleanup_free_ char *bin = fake_path("inode-bin");
	uint64_t count;
	BudgetInfo bi;
	uint32_t b1, b2;
	unsigned before;
	char id[64];

	copy_fixture(bin);
	fake_systemd("unit inode.service %s", bin);
	fake_systemd("start inode.service");
	assert_ok(add_budget("inode.service", "tlob_fixture_start..tlob_fixture_stop",
			     20 * MS, id, NULL));
	WAIT_FOR(budget_active(id));
	assert_ok(get_budget(id, &bi));
	b1 = bi.binding_id;
	fake_kernel("window @%s 30000000", id);
	WAIT_FOR(!get_budget(id, &bi) && bi.windows == 1);

	/* An upgrade: a new file renamed over the old, the unit restarted. */
	copy_fixture(bin);
	fake_systemd("restart inode.service");
	WAIT_FOR(!get_budget(id, &bi) && bi.binding_id != b1);
	b2 = bi.binding_id;
	assert_true(b2 > b1);
	/* The new binding, and no other: the old one is gone, its figures kept. */
	assert_int_equal(count_bindings(" 20000000 system.slice/inode.service "), 1);
	assert_int_equal(bi.windows, 1);
	assert_int_equal(bi.violations, 1);
	fake_kernel("window @%s 1000", id);
	WAIT_FOR(!get_budget(id, &bi) && bi.windows == 2);

	/* A record the old binding queued: its budget's, by its cookie. */
	copy_str(watch_id, sizeof(watch_id), id);
	n_watch_signals = 0;
	before = n_violation_signals;
	count = prop_u64("ViolationCount");
	fake_kernel("raw %u %llx 950 25000000", b1, (unsigned long long)bi.cookie);
	pump_signals(before + 1);
	assert_int_equal(n_watch_signals, 1);
	assert_string_equal(violations[before % ELEMENTSOF(violations)].unit,
			    "inode.service");
	/* A current binding's id with another cookie: never misattributed. */
	fake_kernel("raw %u %llx 951 25000000", b2,
		    (unsigned long long)bi.cookie ^ 0x5555);
	/* Someone else's binding (sysfs, another program): no budget. */
	fake_kernel("raw 999999 1234 952 25000000");
	pump_signals(before + 2);
	usleep(200000);
	pump_signals(before + 3);
	assert_int_equal(n_violation_signals, before + 2);
	assert_string_equal(violations[(before + 1) % ELEMENTSOF(violations)].id, "");
	assert_int_equal(violations[(before + 1) % ELEMENTSOF(violations)].tid, 952);
	assert_int_equal(n_watch_signals, 1);
	assert_int_equal(prop_u64("ViolationCount"), count + 2);
	assert_true(manager_log_count("has no budget any more, dropped") >= 1);

	/* Replaced again, then a Reload (no restart): rebound too. */
	copy_fixture(bin);
	assert_ok(call("Reload", NULL, NULL));
	WAIT_FOR(!get_budget(id, &bi) && bi.binding_id != b2);
	assert_int_equal(bi.windows, 2);
	assert_int_equal(count_bindings(" 20000000 system.slice/inode.service "), 1);
	assert_ok(call("RemoveBudget", NULL, "s", id));
	*watch_id = 0;
}

static void test_self_per_user(void **state)
{
	uint64_t count = prop_u64("ViolationCount");
	uint64_t self = prop_u64("SelfViolationCount");
	char id[64], cmd[256];
	unsigned before;
	int status;
	pid_t pid;

	/* A process of an unprivileged user, to stand for the violator. */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (setresgid(65534, 65534, 65534) < 0 ||
		    setresuid(65534, 65534, 65534) < 0)
			_exit(1);
		pause();
		_exit(0);
	}
	usleep(100000);
	assert_ok(add_budget("demo.service", "tlob_fixture_stop+3", 20 * MS, id, NULL));
	copy_str(watch_id, sizeof(watch_id), id);
	n_watch_signals = n_self_signals = 0;
	before = n_violation_signals;
	/* Let the limit's interval (1 s here) of earlier entries end. */
	usleep(1100000);

	/* A flood of the user's windows around a service's violations. */
	snprintf(cmd, sizeof(cmd), "self %d %d 1000000 2000000 1 0 flood", (int)pid,
		 (int)pid);
	for (unsigned i = 0; i < 30; i++)
		fake_kernel("%s", cmd);
	fake_kernel("burst @%s 50", id);
	for (unsigned i = 0; i < 30; i++)
		fake_kernel("%s", cmd);
	WAIT_FOR(prop_u64("ViolationCount") == count + 110);
	pump_signals(before + 60);
	/* Every one of the service's, ten of the user's (--log-burst). */
	assert_int_equal(n_watch_signals, 50);
	assert_int_equal(n_self_signals, 10);
	assert_int_equal(prop_u64("SelfViolationCount"), self + 60);
	{
		char pidf[64];
		const char *entries[] = { pidf, "TLOB_BUDGET_ID=", "TLOB_COMM=flood", NULL };
		const char *summary[] = {
			"MESSAGE=self-instrumented windows of uid 65534: 50 more violation(s) not logged (rate limit).",
			"TLOB_SUPPRESSED=50", NULL,
		};

		snprintf(pidf, sizeof(pidf), "OBJECT_PID=%d", (int)pid);
		WAIT_JOURNAL(entries, 10);
		WAIT_JOURNAL(summary, 1);
	}

	/* Root's are signalled, all of them. */
	n_self_signals = 0;
	snprintf(cmd, sizeof(cmd), "self %d %d 1000000 2000000 1 0 flood", (int)getpid(),
		 (int)getpid());
	for (unsigned i = 0; i < 20; i++)
		fake_kernel("%s", cmd);
	pump_signals(n_violation_signals + 20);
	assert_int_equal(n_self_signals, 20);

	/* What the kernel withheld counts too. */
	count = prop_u64("ViolationCount");
	self = prop_u64("SelfViolationCount");
	fake_kernel("suppressed 7");
	WAIT_FOR(prop_u64("SuppressedViolations") == 7);
	assert_int_equal(prop_u64("ViolationCount"), count + 7);
	assert_int_equal(prop_u64("SelfViolationCount"), self + 7);

	assert_ok(call("RemoveBudget", NULL, "s", id));
	*watch_id = 0;
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
}

/* The manager, restarted with the fd store (as systemd restarts it). */
static char store_id[64];

static void test_fd_store_restart(void **state)
{
	uint64_t count, self, suppressed;
	uint32_t binding;
	BudgetInfo bi;

	manager_stop();
	store_open();
	use_store = true;
	manager_start(NULL);
	store_drain();
	assert_true(store_rv >= 0 && store_state >= 0);
	fake_systemd("start demo.service");
	assert_ok(add_budget("demo.service", "tlob_fixture_stop+5", 20 * MS, store_id, NULL));
	copy_str(watch_id, sizeof(watch_id), store_id);
	n_watch_signals = 0;
	fake_kernel("window @%s 30000000", store_id);
	fake_kernel("burst @%s 10", store_id);
	WAIT_FOR(!get_budget(store_id, &bi) && bi.windows == 11);
	binding = bi.binding_id;
	count = prop_u64("ViolationCount");
	self = prop_u64("SelfViolationCount");
	suppressed = prop_u64("SuppressedViolations");
	pump_signals(n_violation_signals + 10);
	assert_int_equal(n_watch_signals, 10);

	/* Stopped; the kernel queues records meanwhile; started again. */
	manager_stop();
	fake_kernel("burst @%s 5", store_id);
	manager_start(NULL);
	WAIT_FOR(prop_u64("ViolationCount") == count + 5);
	assert_int_equal(prop_u64("SelfViolationCount"), self);
	assert_int_equal(prop_u64("SuppressedViolations"), suppressed);
	/* The same binding, its statistics going on. */
	assert_ok(get_budget(store_id, &bi));
	assert_int_equal(bi.binding_id, binding);
	assert_int_equal(bi.windows, 16);
	assert_int_equal(bi.violations, 16);
	assert_int_equal(count_bindings(" 20000000 system.slice/demo.service "), 1);
	assert_true(manager_log_count("Took over ") >= 1);
	pump_signals(n_violation_signals + 5);
	assert_int_equal(n_watch_signals, 15);
}

static void test_fd_store_sigkill(void **state)
{
	uint64_t count = prop_u64("ViolationCount");
	unsigned handled = manager_log_count("a previous instance was killed");
	BudgetInfo bi, after;
	int status;

	assert_ok(get_budget(store_id, &bi));
	n_watch_signals = 0;
	/* Killed with a batch taken from the ring, before handling it. */
	fake_kernel("crash-after-read 3");
	fake_kernel("burst @%s 1000", store_id);
	assert_int_equal(waitpid(manager_pid, &status, 0), manager_pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
	manager_pid = 0;
	for (unsigned i = 0; i < 100 && name_has_owner(DEST); i++)
		usleep(20000);
	/* Restart= brings it back, with the store. */
	manager_start(NULL);
	WAIT_FOR(prop_u64("ViolationCount") >= count + 1000);
	usleep(200000);
	/* Counted once each, signalled once each, nothing lost. */
	assert_int_equal(prop_u64("ViolationCount"), count + 1000);
	pump_signals(n_violation_signals + 1000);
	print_message("# SIGKILL in a burst of 1000: ViolationCount +%llu, %u signals\n",
		      (unsigned long long)(prop_u64("ViolationCount") - count),
		      n_watch_signals);
	assert_int_equal(n_watch_signals, 1000);
	assert_int_equal(manager_log_count("a previous instance was killed"), handled + 1);
	assert_ok(get_budget(store_id, &after));
	assert_int_equal(after.binding_id, bi.binding_id);
	assert_int_equal(after.violations, bi.violations + 1000);
}

static void test_fd_store_orphans(void **state)
{
	uint64_t count;
	BudgetInfo bi;
	char gone[128];

	/* A budget removed while the manager is down: its binding too. */
	assert_ok(get_budget(store_id, &bi));
	manager_stop();
	assert_int_equal(unlink(bi.file), 0);
	snprintf(gone, sizeof(gone), " %llx", (unsigned long long)bi.cookie);
	assert_int_equal(count_bindings(gone), 1);
	/* And a record of it the kernel still has queued. */
	fake_kernel("raw %u %llx 960 25000000", bi.binding_id,
		    (unsigned long long)bi.cookie);
	count = 0;
	manager_start(NULL);
	assert_error(get_budget(store_id, &bi), "org.tlob.Error.NoSuchBudget");
	WAIT_FOR(count_bindings(gone) == 0);
	count = prop_u64("ViolationCount");
	usleep(300000);
	assert_int_equal(prop_u64("ViolationCount"), count);
	WAIT_FOR(manager_log_count("has no budget any more, dropped") >= 2);

	/* A plain stop empties the store: a fresh start from nothing. */
	manager_stop();
	store_clear();
	manager_start(NULL);
	assert_int_equal(prop_u64("ViolationCount"), 0);
	use_store = false;
	*watch_id = 0;
}

/* The first line of manager.log with @what (static storage), or NULL. */
static const char *manager_log_line(const char *what)
{
	_cleanup_free_ char *p = fake_path("manager.log"), *log = read_file(p);
	static char line[1024];
	const char *l = log ? strstr(log, what) : NULL;

	if (!l)
		return NULL;
	while (l > log && l[-1] != '\n')
		l--;
	snprintf(line, sizeof(line), "%.*s", (int)strcspn(l, "\n"), l);
	return line;
}

/* What GetBudget says of a budget's actions. */
typedef struct ActionInfo {
	char actions[256];
	uint64_t taken[4], suppressed[4];	/* signal restart stop snapshot */
} ActionInfo;

static int action_index(const char *name)
{
	static const char *const names[] = { "signal", "restart", "stop", "snapshot" };

	for (int i = 0; i < 4; i++)
		if (streq(names[i], name))
			return i;
	fail_msg("unknown action %s", name);
	return -1;
}

static void get_actions(const char *id, ActionInfo *ai)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const char *key, *s;
	uint64_t v;
	int r;

	*ai = (ActionInfo) {};
	assert_ok(call("GetBudget", &reply, "s", id));
	assert_true(sd_bus_message_enter_container(reply, 'a', "{sv}") > 0);
	while ((r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
		assert_true(sd_bus_message_read(reply, "s", &key) > 0);
		if (streq(key, "Actions")) {
			assert_true(sd_bus_message_read(reply, "v", "s", &s) > 0);
			copy_str(ai->actions, sizeof(ai->actions), s);
		} else if (streq(key, "ActionsTaken") ||
			   streq(key, "ActionsSuppressed")) {
			uint64_t *to = streq(key, "ActionsTaken") ? ai->taken :
				       ai->suppressed;

			assert_true(sd_bus_message_enter_container(reply, 'v', "a{st}") > 0);
			assert_true(sd_bus_message_enter_container(reply, 'a', "{st}") > 0);
			while (sd_bus_message_read(reply, "{st}", &s, &v) > 0)
				to[action_index(s)] = v;
			assert_true(sd_bus_message_exit_container(reply) > 0);
			assert_true(sd_bus_message_exit_container(reply) > 0);
		} else {
			assert_true(sd_bus_message_skip(reply, "v") >= 0);
		}
		assert_true(sd_bus_message_exit_container(reply) > 0);
	}
	assert_true(r >= 0);
}

/*
 * A tracefs with an instance "tlob", as the module makes it, and the
 * state directory (systemd makes it for StateDirectory=).
 */
static void make_tracefs(void)
{
	_cleanup_free_ char *statedir = fake_path("state");

	static const char *const files[] = {
		"trace", "tracing_on", "buffer_size_kb",
		"events/sched/sched_switch/enable",
		"events/sched/sched_wakeup/enable",
		"events/sched/sched_migrate_task/enable",
	};

	for (size_t i = 0; i < ELEMENTSOF(files); i++) {
		_cleanup_free_ char *p = NULL;

		assert_true(asprintf(&p, "%s/tracefs/instances/tlob/%s", fake_dir,
				     files[i]) > 0);
		write_file(p, streq(files[i], "trace") ?
			   "# tracer: nop\n  act-4242 [000] d..2. 1.000: sched_switch: prev_comm=act prev_pid=4242\n" :
			   streq(files[i], "tracing_on") ? "1\n" : "0\n");
	}
	assert_true(mkdir(statedir, 0755) == 0 || errno == EEXIST);
}

static char *tracefs_file(const char *rel)
{
	_cleanup_free_ char *p = NULL;

	assert_true(asprintf(&p, "%s/tracefs/instances/tlob/%s", fake_dir, rel) > 0);
	return read_file(p);
}

/*
 * TlobAction= and AddBudget's "action": parsing, persistence, the
 * signal in the binding, restart/stop through PID 1 after N violations
 * within TIME with the rate limit, snapshots of the trace instance,
 * ListSnapshots/OpenSnapshot, the journal entries and the counters, and
 * authorization.
 */
static void test_actions(void **state)
{
	_cleanup_free_ char *drop = NULL, *text = NULL, *snap = NULL;
	_cleanup_free_ char *hand = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	uint64_t index, ts, size;
	unsigned restarts, budgets0, bindings0;
	ActionInfo ai;
	BudgetInfo bi;
	char buf[512];
	ssize_t n;
	int fd;

	/*
	 * What the tests before left, as a reload makes it, once bound
	 * (binding follows systemd's answers about the units).
	 */
	assert_ok(call("Reload", NULL, NULL));
	do {
		bindings0 = count_bindings(NULL);
		usleep(500000);
	} while (count_bindings(NULL) != bindings0);
	budgets0 = prop_u32("BudgetCount");
	make_tracefs();
	fake_systemd("unit act.service %s", fake_exec);
	fake_systemd("start act.service");

	/* Bad lists: refused before anything is written, naming the item. */
	assert_error(add_budget("act.service", "tlob_fixture_start", 20 * MS, NULL,
				"{sv}", "action", "s", "log signal=SIGKILL"),
		     "org.tlob.Error.InvalidAction");
	assert_non_null(strstr(last_message, "signal=SIGKILL"));
	assert_error(add_budget("act.service", "tlob_fixture_start", 20 * MS, NULL,
				"{sv}", "action", "s", "restart=0/1s"),
		     "org.tlob.Error.InvalidAction");
	assert_non_null(strstr(last_message, "restart=0/1s"));
	assert_error(add_budget("act.service", "tlob_fixture_start", 20 * MS, NULL,
				"{sv}", "action", "s", "reboot"),
		     "org.tlob.Error.InvalidAction");
	assert_error(add_budget("act.service", "tlob_fixture_start", 20 * MS, NULL,
				"{sv}", "action", "u", 1),
		     SD_BUS_ERROR_INVALID_ARGS);
	assert_int_equal(prop_u32("BudgetCount"), budgets0);

	/* Unprivileged callers: AddBudget with actions as any AddBudget. */
	set_polkit("no");
	as_nobody("add-action", false, SD_BUS_ERROR_ACCESS_DENIED);
	assert_int_equal(prop_u32("BudgetCount"), budgets0);

	assert_ok(add_budget("act.service", "tlob_fixture_start", 20 * MS, action_id,
			     "{sv}", "action", "s",
			     "snapshot signal=quit restart=2/1min"));
	get_actions(action_id, &ai);
	assert_string_equal(ai.actions, "log signal=SIGQUIT restart=2/1min snapshot");
	/* Persisted for this budget, in its own drop-in. */
	assert_ok(get_budget(action_id, &bi));
	text = read_file(bi.file);
	assert_non_null(strstr(text, "\nTlobAction=log signal=SIGQUIT restart=2/1min snapshot\n"));
	/* The kernel sends the signal: it is in the binding. */
	WAIT_FOR(count_bindings(" signal=3") == 1);
	/* Scheduler events on in the instance while a budget wants snapshots. */
	WAIT_FOR(strstr(tracefs_file("events/sched/sched_switch/enable"), "1"));
	free(text);
	text = tracefs_file("buffer_size_kb");
	assert_string_equal(text, "1024");

	/* First violation: signal and snapshot, no restart yet (2 needed). */
	restarts = count_in_log("systemd.log", "call RestartUnit act.service replace");
	fake_kernel("violation @%s 4242 30000000 3 4242 act", action_id);
	WAIT_FOR((get_actions(action_id, &ai), ai.taken[0] == 1 && ai.taken[3] == 1));
	assert_int_equal(ai.taken[1], 0);
	WAIT_FOR(count_in_log("journal", "TLOB_ACTION_RESULT=saved as ") == 1);
	snap = fake_path("state/snapshots");
	{
		_cleanup_free_ char *p = NULL, *t = NULL;

		assert_true(asprintf(&p, "%s/%s/1.trace", snap, action_id) > 0);
		t = read_file(p);
		assert_non_null(strstr(t, "sched_switch: prev_comm=act"));
	}
	free(text);
	text = tracefs_file("tracing_on");
	assert_string_equal(text, "1");	/* on again after the copy */
	assert_int_equal(count_in_log("journal", "TLOB_ACTION=snapshot\n"), 1);
	assert_int_equal(count_in_log("journal", "TLOB_ACTION=signal\n"), 1);
	assert_true(count_in_log("journal", "MESSAGE_ID=73a969b5e0a9432eac52ed24d4daa4a1") >= 2);
	assert_true(count_in_log("journal", "OBJECT_SYSTEMD_UNIT=act.service") >= 2);

	/* Second: restart=2/1min is due; the snapshot within 10 s is not. */
	fake_kernel("violation @%s 4242 30000000 3 4242 act", action_id);
	WAIT_FOR(count_in_log("systemd.log", "call RestartUnit act.service replace") == restarts + 1);
	WAIT_FOR(count_in_log("journal", "TLOB_ACTION=restart\n") == 1);
	assert_true(count_in_log("journal", "TLOB_ACTION_RESULT=job /org/freedesktop/systemd1/job/") >= 1);
	get_actions(action_id, &ai);
	assert_int_equal(ai.taken[0], 2);
	assert_int_equal(ai.taken[1], 1);
	assert_int_equal(ai.taken[3], 1);
	assert_int_equal(ai.suppressed[3], 1);
	assert_int_equal(ai.suppressed[1], 0);

	/* Two more at once: the window is full again, but within a minute. */
	fake_kernel("violation @%s 4242 30000000 3 4242 act", action_id);
	fake_kernel("violation @%s 4242 30000000 3 4242 act", action_id);
	WAIT_FOR((get_actions(action_id, &ai), ai.taken[0] == 4));
	assert_int_equal(ai.taken[1], 1);
	assert_int_equal(ai.suppressed[1], 1);
	assert_int_equal(count_in_log("systemd.log", "call RestartUnit act.service replace"),
			 restarts + 1);

	/* The snapshots: root may list and open them. */
	assert_ok(call("ListSnapshots", &reply, "s", action_id));
	assert_true(sd_bus_message_enter_container(reply, 'a', "(ttt)") > 0);
	assert_true(sd_bus_message_read(reply, "(ttt)", &index, &ts, &size) > 0);
	assert_int_equal(index, 1);
	assert_true(size > 20);
	assert_true(ts > now_usec(CLOCK_REALTIME) - 60 * 1000000ULL);
	assert_int_equal(sd_bus_message_read(reply, "(ttt)", &index, &ts, &size), 0);
	reply = sd_bus_message_unref(reply);
	assert_ok(call("OpenSnapshot", &reply, "st", action_id, (uint64_t)1));
	assert_true(sd_bus_message_read(reply, "h", &fd) > 0);
	n = read(fd, buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = 0;
	assert_non_null(strstr(buf, "sched_switch"));
	assert_error(call("OpenSnapshot", NULL, "st", action_id, (uint64_t)7),
		     SD_BUS_ERROR_INVALID_ARGS);
	assert_error(call("ListSnapshots", NULL, "s", "nosuch"),
		     "org.tlob.Error.NoSuchBudget");
	assert_error(call("ListSnapshots", NULL, "s", "../x"),
		     "org.tlob.Error.NoSuchBudget");
	/* ...others as AddBudget: trace data shows every task. */
	as_nobody("snapshots", false, SD_BUS_ERROR_ACCESS_DENIED);
	as_nobody("open-snapshot", false, SD_BUS_ERROR_ACCESS_DENIED);
	set_polkit("yes");
	as_nobody("snapshots", false, NULL);
	set_polkit("no");

	/*
	 * A hand-written drop-in: TlobAction= for the budgets of its own
	 * file; stop=1/0 stops the unit at the first violation. Another
	 * signal on a reload makes the binding again.
	 */
	assert_true(asprintf(&hand, "%s/root/etc/systemd/system/act.service.d/20-act.conf",
			     fake_dir) > 0);
	write_file(hand, "[X-Tlob]\nTlobAction=stop signal=USR1\n"
		   "TlobBudget=tlob_fixture_stop 5ms\nTlobAction=bogus\n");
	assert_ok(call("Reload", NULL, NULL));
	{
		static ListEntry l[MANY + 16];
		size_t k = MIN(list_budgets(l, ELEMENTSOF(l)), ELEMENTSOF(l));
		const char *did = NULL;

		for (size_t i = 0; i < k; i++)
			if (streq(l[i].source, "dropin") && streq(l[i].unit, "act.service"))
				did = l[i].id;
		assert_non_null(did);
		get_actions(did, &ai);
		assert_string_equal(ai.actions, "log signal=SIGUSR1 stop");
		/* The other budget of the unit keeps its own. */
		get_actions(action_id, &ai);
		assert_string_equal(ai.actions, "log signal=SIGQUIT restart=2/1min snapshot");
		WAIT_FOR(count_bindings(" signal=10") == 1);
		assert_true(manager_log_count("Invalid TlobAction= item \"bogus\"") >= 1);

		write_file(hand, "[X-Tlob]\nTlobAction=stop signal=SIGABRT\n"
			   "TlobBudget=tlob_fixture_stop 5ms\n");
		assert_ok(call("Reload", NULL, NULL));
		WAIT_FOR(count_bindings(" signal=6") == 1);
		assert_int_equal(count_bindings(" signal=10"), 0);
		get_actions(did, &ai);
		assert_string_equal(ai.actions, "log signal=SIGABRT stop");

		fake_kernel("violation @%s 4243 9000000 1 4243 act", did);
		WAIT_FOR(count_in_log("systemd.log", "call StopUnit act.service replace") == 1);
		WAIT_FOR(count_in_log("journal", "TLOB_ACTION=stop\n") == 1);
		get_actions(did, &ai);
		assert_int_equal(ai.taken[2], 1);
	}

	/* No budget with snapshots left: the events go off again. */
	assert_int_equal(unlink(hand), 0);
	assert_ok(call("RemoveBudget", NULL, "s", action_id));
	WAIT_FOR(strstr(tracefs_file("events/sched/sched_switch/enable"), "0"));
	assert_ok(call("Reload", NULL, NULL));
	/* The snapshots of a removed budget are still there to read. */
	assert_ok(call("ListSnapshots", NULL, "s", action_id));
	WAIT_FOR(count_bindings(NULL) == bindings0);
	assert_int_equal(prop_u32("BudgetCount"), budgets0);
	/* Stopped by the action; what systemd said of it is handled. */
	usleep(500000);
}

/*
 * A restarted manager takes over a binding from the fd store only if
 * its signal is the one the budget's actions say; else it is made again.
 */
static void test_actions_adopt(void **state)
{
	_cleanup_free_ char *file = NULL, *text = NULL;
	char id[64], *at;
	uint32_t b0;
	BudgetInfo bi;

	manager_stop();
	if (notify_fd < 0)
		store_open();
	store_clear();
	use_store = true;
	manager_start(NULL);
	fake_systemd("unit adopt.service %s", fake_exec);
	fake_systemd("start adopt.service");
	assert_ok(add_budget("adopt.service", "tlob_fixture_start", 20 * MS, id,
			     "{sv}", "action", "s", "signal=SIGQUIT"));
	WAIT_FOR(count_bindings(" signal=3") == 1);
	assert_ok(get_budget(id, &bi));
	b0 = bi.binding_id;
	file = strdup(bi.file);
	assert_non_null(file);

	/* The same actions: the binding is taken over. */
	manager_stop();
	manager_start(NULL);
	WAIT_FOR(budget_active(id));
	assert_ok(get_budget(id, &bi));
	assert_int_equal(bi.binding_id, b0);
	assert_int_equal(count_bindings(" signal=3"), 1);

	/* Another signal in its drop-in meanwhile: bound again with it. */
	manager_stop();
	text = read_file(file);
	at = strstr(text, "signal=SIGQUIT");
	assert_non_null(at);
	memcpy(at, "signal=SIGUSR2", strlen("signal=SIGUSR2"));
	write_file(file, text);
	manager_start(NULL);
	WAIT_FOR(count_bindings(" signal=12") == 1);
	assert_int_equal(count_bindings(" signal=3"), 0);
	assert_ok(get_budget(id, &bi));
	assert_true(bi.binding_id != b0);

	assert_ok(call("RemoveBudget", NULL, "s", id));
	fake_systemd("stop adopt.service");
	manager_stop();
	store_clear();
	use_store = false;
	manager_start(NULL);
}

static void test_backend_bpf(void **state)
{
	_cleanup_free_ char *backend = NULL;
	unsigned bound, log_lines, took;
	uint64_t count;
	char id[64];
	BudgetInfo bi;
	int status;
	pid_t pid;

	/* auto without the module: BPF; only the state in the fd store. */
	manager_stop();
	store_clear();
	use_store = true;
	manager_start("TLOB_FAKE_KERNEL_UNAVAILABLE=1");
	store_drain();
	backend = prop_str("Backend");
	assert_string_equal(backend, "bpf");
	assert_true(store_rv < 0 && store_state >= 0);
	fake_systemd("start demo.service");
	/* The BPF backend sends no signals: refused, nothing left behind. */
	assert_error(add_budget("demo.service", "tlob_fixture_stop+5", 20 * MS, NULL,
				"{sv}", "action", "s", "signal=SIGABRT"),
		     "org.tlob.Error.InvalidAction");
	assert_non_null(strstr(last_message, "BPF backend"));
	assert_ok(add_budget("demo.service", "tlob_fixture_stop+7", 20 * MS, id, NULL));
	WAIT_FOR(budget_active(id));
	usleep(300000);	/* every budget bound */
	bound = count_bindings(NULL);
	assert_true(bound >= 1);
	fake_kernel("window @%s 30000000", id);
	fake_kernel("burst @%s 4", id);
	WAIT_FOR(!get_budget(id, &bi) && bi.windows == 5);
	count = prop_u64("ViolationCount");

	/*
	 * A restart: the bindings go with the process, every budget is
	 * bound anew, the statistics (kept in the state at SIGTERM) and the
	 * counters go on.
	 */
	took = manager_log_count("Took over ");
	manager_stop();
	manager_start("TLOB_FAKE_KERNEL_UNAVAILABLE=1");
	WAIT_FOR(budget_active(id));
	WAIT_FOR(count_bindings(NULL) == bound);
	assert_int_equal(manager_log_count("Took over "), took);
	assert_ok(get_budget(id, &bi));
	assert_int_equal(bi.windows, 5);
	assert_int_equal(bi.violations, 5);
	assert_int_equal(prop_u64("ViolationCount"), count);
	fake_kernel("burst @%s 2", id);
	WAIT_FOR(!get_budget(id, &bi) && bi.windows == 7);
	WAIT_FOR(prop_u64("ViolationCount") == count + 2);
	assert_ok(call("RemoveBudget", NULL, "s", id));

	/* --backend=bpf that cannot load: exit 1, one line with the cause. */
	manager_stop();
	log_lines = manager_log_count("Cannot load the BPF monitor");
	pid = manager_fork("TLOB_FAKE_BPF_UNAVAILABLE=1", "--backend=bpf");
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 1);
	assert_int_equal(manager_log_count("Cannot load the BPF monitor"), log_lines + 1);
	assert_non_null(manager_log_line("Cannot load the BPF monitor (backend bpf): not permitted: it needs CAP_SYS_ADMIN"));
	assert_int_equal(manager_log_count("Failed to start"), 0);
	pid = manager_fork("TLOB_FAKE_BPF_UNAVAILABLE=95", "--backend=bpf");
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	assert_non_null(manager_log_line("Cannot load the BPF monitor (backend bpf): the kernel has no BTF"));

	/* $TLOB_BACKEND, and --backend over it. */
	manager_start("TLOB_BACKEND=bpf");
	free(backend);
	backend = prop_str("Backend");
	assert_string_equal(backend, "bpf");
	manager_stop();
	manager_start_with("TLOB_BACKEND=bpf", "--backend=kmod");
	free(backend);
	backend = prop_str("Backend");
	assert_string_equal(backend, "kmod");
	store_drain();
	assert_true(store_rv >= 0);

	/* --backend=bpf with the module's /dev/rv in the store: dropped. */
	manager_stop();
	manager_start_with(NULL, "--backend=bpf");
	store_drain();
	assert_true(store_rv < 0);
	free(backend);
	backend = prop_str("Backend");
	assert_string_equal(backend, "bpf");

	/* Bad values. */
	manager_stop();
	pid = manager_fork(NULL, "--backend=ebpf");
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	assert_non_null(manager_log_line("Invalid --backend=ebpf, expected auto, kmod or bpf."));
	pid = manager_fork("TLOB_BACKEND=module", NULL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	assert_non_null(manager_log_line("Invalid $TLOB_BACKEND=module"));

	manager_start(NULL);
	store_clear();
	use_store = false;
}

static int setup(void **state)
{
	fake_dir = getenv("FAKE_DIR");
	fake_exec = getenv("FAKE_EXEC");
	fake_lib = getenv("FAKE_LIB");
	manager_bin = getenv("TLOB_MANAGER_FAKE");
	if (!fake_dir || !fake_exec || !fake_lib || !manager_bin) {
		fprintf(stderr, "Run me through test-dbus-api.sh.\n");
		return -1;
	}
	if (tlob_bus_errors_register() < 0 || sd_bus_open_system(&bus) < 0)
		return -1;
	{
		/* Held open: the kernel's commands queue while no manager runs. */
		_cleanup_free_ char *fifo = fake_path("kernel.fifo");

		if (open(fifo, O_RDWR | O_CLOEXEC) < 0)
			return -1;
	}
	manager_start(NULL);
	return 0;
}

static int teardown(void **state)
{
	int status = 0;

	if (manager_pid > 0) {
		kill(manager_pid, SIGTERM);
		waitpid(manager_pid, &status, 0);
	}
	sd_bus_flush_close_unref(bus);
	/* tlob-manager exits cleanly (and, under ASan, without leaks). */
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_properties),
		cmocka_unit_test(test_introspection),
		cmocka_unit_test(test_add_errors),
		cmocka_unit_test(test_add_and_list),
		cmocka_unit_test(test_get_budget),
		cmocka_unit_test(test_bind_on_start),
		cmocka_unit_test(test_fifo_probe),
		cmocka_unit_test(test_violation),
		cmocka_unit_test(test_statistics),
		cmocka_unit_test(test_restart_keeps_binding),
		cmocka_unit_test(test_stop_keeps_binding),
		cmocka_unit_test(test_self_instrumented),
		cmocka_unit_test(test_ratelimit),
		cmocka_unit_test(test_batch),
		cmocka_unit_test(test_lost),
		cmocka_unit_test(test_violation_cause),
		cmocka_unit_test(test_dropins_and_reload),
		cmocka_unit_test(test_reload_queries),
		cmocka_unit_test(test_restart_manager),
		cmocka_unit_test(test_polkit),
		cmocka_unit_test(test_remove),
		cmocka_unit_test(test_too_many),
		cmocka_unit_test(test_kernel_unavailable),
		cmocka_unit_test(test_many_units),
		cmocka_unit_test(test_template_instances),
		cmocka_unit_test(test_reload_coalescing),
		cmocka_unit_test(test_systemd_slow),
		cmocka_unit_test(test_systemd_timeout),
		cmocka_unit_test(test_kernel_read_error),
		cmocka_unit_test(test_budget_limit),
		cmocka_unit_test(test_rebind_new_inode),
		cmocka_unit_test(test_self_per_user),
		cmocka_unit_test(test_fd_store_restart),
		cmocka_unit_test(test_fd_store_sigkill),
		cmocka_unit_test(test_fd_store_orphans),
		cmocka_unit_test(test_actions),
		cmocka_unit_test(test_actions_adopt),
		cmocka_unit_test(test_backend_bpf),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
