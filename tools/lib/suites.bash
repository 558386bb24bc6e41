# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Test suites that print TAP, run by tools/check: their results echoed and
# counted (passed, failed, skipped), one at a time in the foreground
# (run_tap_suite) or queued and run $jobs at a time (queue, run_queue).
# Sourced; the caller sets jobs (default 1) and reads the counters.

passed=0
failed=0
skipped=0
jobs=${jobs:-1}

note() {
	echo "# $*"
}

# A failure of the harness itself (a stage that could not run), counted
# like a failed test so that it shows in the summary.
harness_fail() {
	echo "not ok - $*"
	failed=$((failed + 1))
}

summary() {
	[ "$skipped" = 0 ] || note "$skipped skipped"
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ]
}

# Echo and count the results of a suite's TAP on stdin; NAME ended with
# status RC ("-": written to LOG.rc by the end of the input), its stderr
# is in LOG. A suite that exits non-zero without a
# failed test, or whose plan does not match, counts as one more failure.
tap_results() {
	local name=$1 log=$2 rc=$3 line plan="" n=0 nfail=0
	while IFS= read -r line; do
		echo "$line"
		case "$line" in
		"not ok "*"# TODO"*) skipped=$((skipped + 1)); n=$((n + 1)) ;;
		"not ok "*) failed=$((failed + 1)); nfail=$((nfail + 1)); n=$((n + 1)) ;;
		"ok "*"# SKIP"* | "ok "*"# skip"*) skipped=$((skipped + 1)); n=$((n + 1)) ;;
		"ok "*) passed=$((passed + 1)); n=$((n + 1)) ;;
		1..*) plan=${line#1..}; plan=${plan%% *} ;;
		esac
	done
	if [ "$rc" = - ]; then
		rc=$(cat "$log.rc" 2>/dev/null || echo 1)
		rm -f "$log.rc"
	fi
	if [ -s "$log" ]; then
		note "$name: stderr ($log), last lines:"
		tail -n 40 "$log" | sed 's/^/#   /'
	fi
	if [ "$rc" != 0 ] && [ "$nfail" = 0 ]; then
		harness_fail "$name: exited with status $rc"
	elif [ -z "$plan" ]; then
		harness_fail "$name: no TAP plan (suite did not finish)"
	elif [ "$plan" != "$n" ]; then
		harness_fail "$name: planned $plan tests, ran $n"
	fi
}

# Run one suite that prints TAP on stdout, in the foreground, as it goes.
run_tap_suite() {
	local name=$1 log=$2 rc
	shift 2
	note "$name: $*"
	tap_results "$name" "$log" - < <(rc=0; "$@" 2>"$log" </dev/null || rc=$?; echo "$rc" >"$log.rc")
}

# The VM suites are queued, then run $jobs at a time (one VM per core by
# default: single-threaded TCG keeps a VM on one host CPU); each one's TAP
# goes to a file and is printed, in queue order, when it has ended.
# A job queued while $dep holds the index of an earlier one starts when
# that one has ended; one queued while $alone is 1 runs alone (nothing
# else runs beside it: a suite whose guest is slowed down too much by
# another VM).
q_name=() q_log=() q_title=() q_cmd=() q_dep=() q_alone=() dep='' alone=''
queue() {
	local title=$1 name=$2 log=$3
	shift 3
	q_dep+=("$dep")
	q_alone+=("$alone")
	q_title+=("$title")
	q_name+=("$name")
	q_log+=("$log")
	q_cmd+=("$(printf '%q ' "$@")")
}

queue_skip() {
	q_dep+=("")
	q_alone+=("")
	q_title+=("$1")
	q_name+=("")
	q_log+=("")
	q_cmd+=("$2")
}

# A job has ended when its status file is there (written as its last act;
# a stale one is removed as the job starts).
job_done() {
	[ -z "${q_name[$1]}" ] || [ -e "${q_log[$1]}.rc" ]
}

# Each job runs in a process group of its own (set -m), so that an
# interrupted tools/check takes its VMs down with it (run-vm's own EXIT
# trap ends qemu).
q_pid=() q_started=0 q_running=0
kill_jobs() {
	local p
	for p in "${q_pid[@]}"; do
		kill -TERM -- "-$p" 2>/dev/null || true
	done
}
trap 'kill_jobs' EXIT
trap 'kill_jobs; exit 130' INT
trap 'kill_jobs; exit 143' TERM

# Start the next job, unless the one it depends on has not ended, or it
# or a job still running must run alone.
start_next() {
	local i=$q_started log d j
	d=${q_dep[$i]}
	if [ -n "$d" ] && ! job_done "$d"; then
		return 1
	fi
	for ((j = 0; j < i; j++)); do
		if ! job_done "$j" && { [ -n "${q_alone[$i]}" ] || [ -n "${q_alone[$j]}" ]; }; then
			return 1
		fi
	done
	q_started=$((i + 1))
	[ -n "${q_name[$i]}" ] || return 0
	log=${q_log[$i]}
	rm -f "$log.rc" "$log.tap"
	set -m
	(
		s=$SECONDS rc=0
		eval "${q_cmd[$i]}" >"$log.tap" 2>"$log" </dev/null || rc=$?
		echo "$rc $((SECONDS - s))" >"$log.rc"
	) &
	q_pid[i]=$!
	set +m
	q_running=$((q_running + 1))
}

# Keep $jobs jobs running, a new one as soon as any ends; print each
# one's results in queue order.
run_queue() {
	local i=0 n=${#q_title[@]} rc secs log reaped
	while [ "$i" -lt "$n" ]; do
		while [ "$q_started" -lt "$n" ] && [ "$q_running" -lt "$jobs" ] &&
			start_next; do
			:
		done
		if ! job_done "$i"; then
			reaped=
			wait -n -p reaped || true
			if [ -n "$reaped" ]; then
				q_running=$((q_running - 1))
			else
				sleep 1	# (nothing to wait for: cannot happen)
			fi
			continue
		fi
		note "=== ${q_title[$i]} ==="
		if [ -z "${q_name[$i]}" ]; then
			note "${q_cmd[$i]}"
			skipped=$((skipped + 1))
			i=$((i + 1))
			continue
		fi
		log=${q_log[$i]}
		read -r rc secs <"$log.rc" || { rc=1; secs="?"; }
		note "${q_name[$i]}: ${q_cmd[$i]}"
		tap_results "${q_name[$i]}" "$log" "$rc" <"$log.tap"
		note "($secs s)"
		i=$((i + 1))
	done
	wait
	q_pid=()
}

