// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tlob-sink: count org.tlob.Manager Violation signals on the system bus
 * and measure how late they arrive, for bench/daemon-bench.
 *
 *   tlob-sink [--idle SECS] [--max SECS] [--ready FILE]
 *
 * Listens until no signal came for --idle seconds (default 3) after the
 * first one, or --max seconds (default 300) in all. Creates --ready FILE
 * once the match is installed. The latency of a signal is CLOCK_REALTIME
 * at reception minus its timestamp_usec (the time of the expiry, as the
 * kernel reported it). Prints key=value lines: signals, rate_per_sec
 * (first to last signal), latency_p50_us, latency_p99_us, latency_max_us,
 * violation_count_delta and dropped_events_delta (the manager's
 * ViolationCount and DroppedEvents properties, after minus before).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#define MANAGER_NAME "org.tlob.Manager"
#define MANAGER_PATH "/org/tlob/Manager"
#define MANAGER_IFACE "org.tlob.Manager"
#define MAX_SAMPLES (4U << 20)

struct sink {
	uint64_t *lat_us;	/* latency of each signal, up to MAX_SAMPLES */
	size_t n_lat;
	uint64_t signals;
	uint64_t first_us, last_us;	/* CLOCK_MONOTONIC at reception */
	int error;
};

static uint64_t clock_us(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
}

static int on_violation(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct sink *s = userdata;
	const char *id, *unit, *comm, *state;
	uint64_t budget, elapsed, running, waiting, sleeping, ts_us, now;
	uint32_t pid, tid;
	int r;

	now = clock_us(CLOCK_REALTIME);
	r = sd_bus_message_read(m, "ssuustttttst", &id, &unit, &pid, &tid, &comm,
				&budget, &elapsed, &running, &waiting, &sleeping,
				&state, &ts_us);
	if (r < 0) {
		s->error = r;
		return 0;
	}
	s->last_us = clock_us(CLOCK_MONOTONIC);
	if (s->signals++ == 0)
		s->first_us = s->last_us;
	if (s->n_lat < MAX_SAMPLES)
		s->lat_us[s->n_lat++] = now > ts_us ? now - ts_us : 0;
	return 0;
}

static int get_counter(sd_bus *bus, const char *name, uint64_t *ret)
{
	sd_bus_error error = SD_BUS_ERROR_NULL;
	int r;

	r = sd_bus_get_property_trivial(bus, MANAGER_NAME, MANAGER_PATH,
					MANAGER_IFACE, name, &error, 't', ret);
	if (r < 0)
		fprintf(stderr, "tlob-sink: cannot read %s: %s\n", name,
			error.message ?: strerror(-r));
	sd_bus_error_free(&error);
	return r;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t percentile(const uint64_t *v, size_t n, unsigned int p)
{
	size_t i;

	if (!n)
		return 0;
	i = (n * p + 99) / 100;
	return v[i ? i - 1 : 0];
}

static int parse_secs(const char *s, unsigned long *ret)
{
	char *end;

	errno = 0;
	*ret = strtoul(s, &end, 10);
	if (errno || *end || end == s || s[0] == '-' || *ret == 0 || *ret > 86400)
		return -EINVAL;
	return 0;
}

static int run(unsigned long idle_s, unsigned long max_s, const char *ready)
{
	struct sink s = {};
	sd_bus *bus = NULL;
	uint64_t vc0, vc1, de0, de1, start, now;
	int r;

	s.lat_us = calloc(MAX_SAMPLES, sizeof(*s.lat_us));
	if (!s.lat_us) {
		fprintf(stderr, "tlob-sink: out of memory\n");
		return 1;
	}
	r = sd_bus_open_system(&bus);
	if (r < 0) {
		fprintf(stderr, "tlob-sink: cannot connect to the system bus: %s\n",
			strerror(-r));
		goto out;
	}
	r = sd_bus_match_signal(bus, NULL, MANAGER_NAME, MANAGER_PATH,
				MANAGER_IFACE, "Violation", on_violation, &s);
	if (r < 0) {
		fprintf(stderr, "tlob-sink: cannot add the match: %s\n", strerror(-r));
		goto out;
	}
	r = get_counter(bus, "ViolationCount", &vc0);
	if (r >= 0)
		r = get_counter(bus, "DroppedEvents", &de0);
	if (r < 0)
		goto out;
	if (ready) {
		int fd = open(ready, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

		if (fd < 0) {
			r = -errno;
			fprintf(stderr, "tlob-sink: cannot create %s: %m\n", ready);
			goto out;
		}
		close(fd);
	}

	start = clock_us(CLOCK_MONOTONIC);
	for (;;) {
		r = sd_bus_process(bus, NULL);
		if (r < 0) {
			fprintf(stderr, "tlob-sink: bus: %s\n", strerror(-r));
			goto out;
		}
		if (s.error) {
			r = s.error;
			fprintf(stderr, "tlob-sink: bad Violation signal: %s\n",
				strerror(-r));
			goto out;
		}
		if (r > 0)
			continue;
		now = clock_us(CLOCK_MONOTONIC);
		if (now - start >= max_s * 1000000ULL)
			break;
		if (s.signals && now - s.last_us >= idle_s * 1000000ULL)
			break;
		r = sd_bus_wait(bus, 100000);
		if (r < 0 && r != -EINTR) {
			fprintf(stderr, "tlob-sink: bus: %s\n", strerror(-r));
			goto out;
		}
	}

	r = get_counter(bus, "ViolationCount", &vc1);
	if (r >= 0)
		r = get_counter(bus, "DroppedEvents", &de1);
	if (r < 0)
		goto out;

	qsort(s.lat_us, s.n_lat, sizeof(*s.lat_us), cmp_u64);
	printf("signals=%" PRIu64 "\n", s.signals);
	printf("rate_per_sec=%.0f\n", s.signals > 1 && s.last_us > s.first_us ?
	       (double)(s.signals - 1) * 1e6 / (double)(s.last_us - s.first_us) : 0.0);
	printf("latency_p50_us=%" PRIu64 "\n", percentile(s.lat_us, s.n_lat, 50));
	printf("latency_p99_us=%" PRIu64 "\n", percentile(s.lat_us, s.n_lat, 99));
	printf("latency_max_us=%" PRIu64 "\n", s.n_lat ? s.lat_us[s.n_lat - 1] : 0);
	printf("violation_count_delta=%" PRIu64 "\n", vc1 - vc0);
	printf("dropped_events_delta=%" PRIu64 "\n", de1 - de0);
	r = 0;
out:
	sd_bus_flush_close_unref(bus);
	free(s.lat_us);
	return r < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "idle", required_argument, NULL, 'i' },
		{ "max", required_argument, NULL, 'm' },
		{ "ready", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	unsigned long idle_s = 3, max_s = 300;
	const char *ready = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "i:m:r:h", options, NULL)) >= 0) {
		switch (c) {
		case 'i':
		case 'm':
			if (parse_secs(optarg, c == 'i' ? &idle_s : &max_s) < 0) {
				fprintf(stderr, "tlob-sink: bad number of seconds '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'r':
			ready = optarg;
			break;
		case 'h':
			printf("Usage: tlob-sink [--idle SECS] [--max SECS] [--ready FILE]\n");
			return 0;
		default:
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "tlob-sink: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	return run(idle_s, max_s, ready);
}
