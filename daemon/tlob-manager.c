// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tlob-manager: keeps the latency budgets of systemd units bound in the
 * tlob kernel module (or the BPF monitor) and reports violations on D-Bus (org.tlob.Manager)
 * and to the journal. See tlob-manager(8).
 */
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <systemd/sd-daemon.h>

#include "bus-errors.h"
#include "log.h"
#include "macro.h"
#include "manager.h"

static const char *arg_root;
static const char *arg_cgroup_root;
static const char *arg_device;
static const char *arg_tracefs;
static KernelBackend arg_backend = _KERNEL_BACKEND_INVALID;	/* $TLOB_BACKEND, else auto */
static unsigned arg_burst = 10;
static unsigned arg_max_budgets = MANAGER_BUDGETS_MAX;
static uint64_t arg_interval_usec = 10 * USEC_PER_SEC;

static void help(void)
{
	printf("%s [OPTIONS...]\n\n"
	       "Keep the latency budgets of systemd units (TlobBudget= in unit\n"
	       "drop-ins, or added with tlobctl) bound in the tlob kernel module or the\n"
	       "BPF monitor, and report violations on D-Bus (org.tlob.Manager) and to\n"
	       "the journal.\n\n"
	       "  -h --help                 Show this help\n"
	       "     --version              Show the version\n"
	       "     --root=PATH            Look for drop-ins under PATH instead of /\n"
	       "     --cgroup-root=PATH     Where cgroup2 is mounted (/sys/fs/cgroup)\n"
	       "     --backend=auto|kmod|bpf\n"
	       "                            The kernel side: the module (kmod), the BPF\n"
	       "                            monitor (bpf), or the module if its device\n"
	       "                            opens, else BPF (auto; default: $TLOB_BACKEND,\n"
	       "                            else auto)\n"
	       "     --device=PATH          The tlob device (/dev/rv)\n"
	       "     --tracefs=PATH         Where tracefs is, writable, for the snapshot\n"
	       "                            action (/sys/kernel/tracing)\n"
	       "     --log-burst=N          Journal entries per budget and interval (10)\n"
	       "     --log-interval=SPAN    The interval of that limit, and of the warning\n"
	       "                            about events the kernel dropped (10s)\n"
	       "     --max-budgets=N        Budgets managed at most, drop-ins and\n"
	       "                            tlobctl add alike (%u)\n\n"
	       "SIGHUP re-reads the drop-ins. $SYSTEMD_LOG_LEVEL sets the log level.\n"
	       "Snapshots are kept in $STATE_DIRECTORY/snapshots\n"
	       "(/var/lib/tlob-manager/snapshots).\n",
	       program_invocation_short_name, MANAGER_BUDGETS_MAX);
}

enum {
	ARG_VERSION = 0x100,
	ARG_ROOT,
	ARG_CGROUP_ROOT,
	ARG_DEVICE,
	ARG_BACKEND,
	ARG_LOG_BURST,
	ARG_LOG_INTERVAL,
	ARG_MAX_BUDGETS,
	ARG_TRACEFS,
};

/* A decimal number of at least @min that fits in unsigned. */
static int parse_unsigned(const char *s, unsigned min, unsigned *ret)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || !*s || s[0] == '-' || v < min || v > UINT_MAX)
		return -EINVAL;
	*ret = (unsigned)v;
	return 0;
}

static int parse_argv(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, ARG_VERSION },
		{ "root", required_argument, NULL, ARG_ROOT },
		{ "cgroup-root", required_argument, NULL, ARG_CGROUP_ROOT },
		{ "device", required_argument, NULL, ARG_DEVICE },
		{ "backend", required_argument, NULL, ARG_BACKEND },
		{ "log-burst", required_argument, NULL, ARG_LOG_BURST },
		{ "log-interval", required_argument, NULL, ARG_LOG_INTERVAL },
		{ "max-budgets", required_argument, NULL, ARG_MAX_BUDGETS },
		{ "tracefs", required_argument, NULL, ARG_TRACEFS },
		{}
	};
	uint64_t ns;
	int c;

	while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
		switch (c) {
		case 'h':
			help();
			return 0;
		case ARG_VERSION:
			printf("tlob-manager %s\n", TLOB_VERSION);
			return 0;
		case ARG_ROOT:
			arg_root = optarg;
			break;
		case ARG_CGROUP_ROOT:
			arg_cgroup_root = optarg;
			break;
		case ARG_DEVICE:
			arg_device = optarg;
			break;
		case ARG_TRACEFS:
			arg_tracefs = optarg;
			break;
		case ARG_BACKEND:
			arg_backend = kernel_backend_from_string(optarg);
			if (arg_backend < 0)
				return log_error_errno(-EINVAL, "Invalid --backend=%s, expected auto, kmod or bpf.",
						       optarg);
			break;
		case ARG_LOG_BURST:
			if (parse_unsigned(optarg, 0, &arg_burst) < 0)
				return log_error_errno(-EINVAL, "Invalid --log-burst=%s.",
						       optarg);
			break;
		case ARG_MAX_BUDGETS:
			if (parse_unsigned(optarg, 1, &arg_max_budgets) < 0)
				return log_error_errno(-EINVAL, "Invalid --max-budgets=%s.",
						       optarg);
			break;
		case ARG_LOG_INTERVAL:
			if (tlob_parse_timespan_ns(optarg, &ns) < 0 ||
			    ns < NSEC_PER_USEC)
				return log_error_errno(-EINVAL, "Invalid --log-interval=%s.",
						       optarg);
			arg_interval_usec = ns / NSEC_PER_USEC;
			break;
		case '?':
			return -EINVAL;
		default:
			return log_error_errno(-EINVAL, "Unhandled option.");
		}
	if (optind < argc)
		return log_error_errno(-EINVAL, "%s takes no arguments.",
				       program_invocation_short_name);
	/* The unit's way: Environment=TLOB_BACKEND=bpf in a drop-in. */
	if (arg_backend < 0) {
		const char *e = getenv("TLOB_BACKEND");

		arg_backend = isempty(e) ? KERNEL_BACKEND_AUTO : kernel_backend_from_string(e);
		if (arg_backend < 0)
			return log_error_errno(-EINVAL, "Invalid $TLOB_BACKEND=%s, expected auto, kmod or bpf.",
					       e);
	}
	return 1;
}

static int set_string(char **p, const char *v)
{
	char *s;

	if (!v)
		return 0;
	s = strdup(v);
	if (!s)
		return -ENOMEM;
	free(*p);
	*p = s;
	return 0;
}

/* Never let a file we open become stdin, stdout or stderr. */
static int ensure_std_fds(void)
{
	for (int fd = 0; fd < 3; fd++) {
		int nfd;

		if (fcntl(fd, F_GETFD) >= 0)
			continue;
		nfd = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
		if (nfd < 0)
			return -errno;
		if (nfd != fd)
			return -EBADF;
	}
	return 0;
}

static int run(int argc, char *argv[])
{
	_cleanup_(manager_freep) Manager *m = NULL;
	sigset_t mask;
	int r;

	if (ensure_std_fds() < 0)
		return -EBADF;
	/*
	 * A long-running daemon with a small steady heap and large
	 * transient buffers (replies listing every budget, drop-in and ELF
	 * reading): serve those from mmap and give them back on free, and
	 * trim the heap top sooner. Fixed values also stop glibc from
	 * raising the mmap threshold after the first large free.
	 */
	(void)mallopt(M_MMAP_THRESHOLD, 64 * 1024);
	(void)mallopt(M_TRIM_THRESHOLD, 64 * 1024);
	log_setup();
	r = tlob_bus_errors_register();
	if (r < 0)
		return log_error_errno(r, "Failed to register the D-Bus error map: %m");
	r = parse_argv(argc, argv);
	if (r <= 0)
		return r;

	/* sd-event takes these through signalfd. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return log_error_errno(-errno, "Failed to block signals: %m");

	r = manager_new(&m);
	if (r < 0)
		return log_error_errno(r, "Failed to allocate the manager: %m");
	if (set_string(&m->root, arg_root) < 0 ||
	    set_string(&m->cgroup_root, arg_cgroup_root) < 0 ||
	    set_string(&m->tracefs, arg_tracefs) < 0)
		return log_oom();
	if (arg_device)
		m->rv_path = arg_device;
	m->backend_wanted = arg_backend;
	manager_set_log_ratelimit(m, arg_interval_usec, arg_burst);
	m->budgets_max = arg_max_budgets;

	/* READY=1 follows once the budgets are loaded (manager-bus.c). */
	r = manager_start(m);
	if (r < 0 && m->start_error_logged)
		return r;
	if (r < 0)
		return log_error_errno(r, "Failed to start: %m");

	r = sd_event_loop(m->event);
	(void)sd_notify(false, "STOPPING=1");
	if (r < 0)
		return log_error_errno(r, "Event loop failed: %m");
	if (r > 0)	/* sd-bus ended the loop: the bus went away */
		return log_error_errno(-ECONNRESET, "Lost the connection to the bus.");
	return 0;
}

int main(int argc, char *argv[])
{
	return run(argc, argv) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
