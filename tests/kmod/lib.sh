# SPDX-License-Identifier: GPL-2.0
# Shared by selftest.sh and stress.sh (sourced, guest side): TAP output,
# module handling and small assertion helpers. Every test runs as a
# function in a subshell with `set -e`; a failing command or assertion
# ends it, and its output becomes the TAP diagnostic.

SYS=/sys/kernel/tlob
TR=/sys/kernel/tracing
CGROOT=/sys/fs/cgroup
EV_SIZE=112		# sizeof(struct tlob_event)

KT_N=0
KT_FAILED=0
KT_ONLY=
KT_KO=
KT_DMESG_MARK=0
KT_TEST_TIMEOUT=${TLOB_KT_TEST_TIMEOUT:-180}	# seconds per test (run-suite --test-timeout)
# This file's directory, whoever sources it (selftest.sh, tests/bpf).
KT_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/vm/kernel-log.bash
. "$KT_LIB_DIR/../vm/kernel-log.bash"

# Copy the helper programs to tmpfs (uprobes need a file system that
# supports them; the 9p/overlay root is tested separately), world-readable
# for the unprivileged tests.
kt_setup() {
	local bindir=$1

	WORK=$(mktemp -d /tmp/tlob-kt.XXXXXX)
	chmod 755 "$WORK"
	PUB=$WORK/pub		# for files unprivileged helpers create
	mkdir -m 1777 "$PUB"
	for p in tlob-drv tlob-target tlob-symoff; do
		install -m 755 "$bindir/$p" "$WORK/$p"
	done
	DRV=$WORK/tlob-drv
	TGT=$WORK/tlob-target
	SYMOFF=$WORK/tlob-symoff
	BINDIR_TGT=$bindir/tlob-target
	OFF_START=$("$SYMOFF" "$TGT" tgt_start)
	OFF_STOP=$("$SYMOFF" "$TGT" tgt_stop)
	OFF_ALT_START=$("$SYMOFF" "$TGT" tgt_alt_start)
	OFF_ALT_STOP=$("$SYMOFF" "$TGT" tgt_alt_stop)
	OFF_WORK=$("$SYMOFF" "$TGT" tgt_work)
	OFF_RECURSE=$("$SYMOFF" "$TGT" tgt_recurse)
	CG_ROOT_ID=$(stat -c %i "$CGROOT")
	KT_DMESG_MARK=$(dmesg | wc -l)
	export DRV TGT SYMOFF WORK
}

kt_cleanup() {
	rm -rf "$WORK"
}

tap_begin() {
	echo "TAP version 13"
}

tap_end() {
	echo "1..$KT_N"
	echo "# $((KT_N - KT_FAILED)) passed, $KT_FAILED failed"
}

# run_test NAME FUNCTION [ARGS...]
run_test() {
	local name=$1 log rc t0 t1 pid wd
	shift

	# load, unload and the dmesg checks run even when --only filters.
	if [ -n "$KT_ONLY" ] && ! [[ $name =~ $KT_ONLY ]] &&
	   ! [[ $name =~ ^(load|unload|dmesg): ]]; then
		return 0
	fi
	KT_N=$((KT_N + 1))
	log=$WORK/test-$KT_N.log
	kt_reset_state
	t0=$(date +%s%N)
	# Own process group, so that a hung test can be killed with its children.
	set -m
	(set -e; "$@") >"$log" 2>&1 </dev/null &
	pid=$!
	set +m
	# The watchdog: one sleep for the whole test, not one a second. A fork
	# and exec takes ~0.4 s of CPU on the debug kernel (KASAN, lockdep):
	# once a second, that took a third of a one-CPU guest away from the
	# test and turned running into waiting time.
	(
		trap 'kill "$sl" 2>/dev/null; exit 0' TERM
		sleep "$KT_TEST_TIMEOUT" &
		sl=$!
		wait "$sl"
		echo "TIMEOUT: still running after ${KT_TEST_TIMEOUT}s, killed" >>"$log"
		kill -KILL -- "-$pid" 2>/dev/null
	) &
	wd=$!
	wait "$pid"
	rc=$?
	kill "$wd" 2>/dev/null
	wait "$wd"
	t1=$(date +%s%N)
	if [ $rc -eq 0 ]; then
		echo "ok $KT_N - $name"
		grep '^# ' "$log" || true
	else
		KT_FAILED=$((KT_FAILED + 1))
		echo "not ok $KT_N - $name"
		sed 's/^/# /' "$log" | tail -n 60
	fi
	echo "#   ($(( (t1 - t0) / 1000000 )) ms)"
}

fail() {
	echo "FAIL: $*"
	return 1
}

# expect_eq ACTUAL EXPECTED WHAT
expect_eq() {
	[ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"
}

# expect_range VALUE MIN MAX WHAT (integers)
expect_range() {
	[ "$1" -ge "$2" ] && [ "$1" -le "$3" ] ||
		fail "$4: $1 not in [$2, $3]"
}

# expect_gt A B WHAT: A > B
expect_gt() {
	[ "$1" -gt "$2" ] || fail "$3: $1 is not > $2"
}

# drv OUTFILE OP...: run tlob-drv, keep its output in OUTFILE, show it.
drv() {
	local out=$1
	shift
	echo "+ tlob-drv $*" | cut -c1-300
	if "$DRV" "$@" >"$out" 2>&1; then
		sed 's/^/  | /' "$out" | tail -n 40
		return 0
	fi
	sed 's/^/  | /' "$out" | tail -n 40
	fail "tlob-drv failed"
}

# Non-root without capabilities (nobody).
as_nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		--bounding-set=-all -- "$@"
}

# stat_get KEY: a value of /sys/kernel/tlob/stats
stat_get() {
	awk -v k="$1" '$1 == k { print $2; found = 1 } END { exit !found }' "$SYS/stats"
}

# ev FILE TYPE IDX KEY: KEY of the IDX-th (1-based) event of TYPE in FILE.
ev() {
	awk -v t="type=$2" -v i="$3" -v k="$4" '
		$1 == "event" && $2 == t && ++n == i {
			for (f = 2; f <= NF; f++) {
				split($f, kv, "=")
				if (kv[1] == k) { print substr($f, length(k) + 2); exit }
			}
		}' "$1"
}

# ev_count FILE [TYPE]
ev_count() {
	if [ -n "${2:-}" ]; then
		grep -c "^event type=$2 " "$1" || true
	else
		grep -c "^event " "$1" || true
	fi
}

# kv FILE PREFIX KEY: KEY of the first line starting with PREFIX.
kv() {
	awk -v p="$2" -v k="$3" '
		$1 == p {
			for (f = 2; f <= NF; f++) {
				split($f, a, "=")
				if (a[1] == k) { print substr($f, length(k) + 2); exit }
			}
		}' "$1"
}

# check_breakdown FILE TYPE IDX: running+waiting+sleeping equals elapsed
# within 1% + 1 ms.
check_breakdown() {
	local e r w s sum tol d
	e=$(ev "$1" "$2" "$3" elapsed_ns)
	r=$(ev "$1" "$2" "$3" running_ns)
	w=$(ev "$1" "$2" "$3" waiting_ns)
	s=$(ev "$1" "$2" "$3" sleeping_ns)
	[ -n "$e" ] || fail "no $2 event #$3"
	sum=$((r + w + s))
	tol=$((e / 100 + 1000000))
	d=$((sum - e))
	[ ${d#-} -le $tol ] ||
		fail "$2 #$3: running+waiting+sleeping=$sum vs elapsed=$e"
}

check_result_breakdown() {
	local e r w s sum d
	e=$(kv "$1" result elapsed_ns)
	r=$(kv "$1" result running_ns)
	w=$(kv "$1" result waiting_ns)
	s=$(kv "$1" result sleeping_ns)
	[ -n "$e" ] || fail "no result line"
	sum=$((r + w + s))
	d=$((sum - e))
	[ ${d#-} -le $((e / 100 + 1000000)) ] ||
		fail "result: running+waiting+sleeping=$sum vs elapsed=$e"
}

kt_loaded() {
	[ -d /sys/module/tlob ]
}

kt_load() {
	insmod "$KT_KO" "$@"
}

kt_unload() {
	local i

	for i in 1 2 3 4 5 6 7 8 9 10; do
		kt_loaded || return 0
		rmmod tlob 2>/dev/null && return 0
		sleep 0.3
	done
	rmmod tlob
}

# reload [PARAM=VALUE...]: a fresh module with these parameters.
reload() {
	kt_unload
	kt_load "$@"
}

# Between tests: the module loaded with defaults, enabled, no sysfs
# bindings left behind by a failed test.
kt_reset_state() {
	local line
	[ "${KT_AUTOLOAD:-0}" = 1 ] || return 0
	if ! kt_loaded; then
		kt_load 2>/dev/null || return 0
	fi
	echo 1 >"$SYS/enable" 2>/dev/null || true
	echo Y >/sys/module/tlob/parameters/sched_accounting 2>/dev/null || true
	# Read the whole listing first: it shrinks as bindings go.
	while read -r line; do
		case "$line" in
		*owner=fd*|"") continue ;;
		esac
		line=${line#[pr] }
		echo "-${line%% *}" >"$SYS/monitor" 2>/dev/null || true
	done <<<"$(cat "$SYS/monitor" 2>/dev/null)"
}

# monitor_line_of PATH:OFF: the monitor line of that binding.
monitor_line_of() {
	grep -F -- " $1 " "$SYS/monitor" || true
}

# dmesg_check: no kernel complaints since kt_setup (the patterns of
# tests/vm/kernel-problems: Oops, BUG, WARNING, lockdep, KASAN, ...).
dmesg_check() {
	local bad rc=0
	# No process substitution: a shell-mode guest has no /dev/fd.
	dmesg | tail -n +"$((KT_DMESG_MARK + 1))" >"$WORK/dmesg.all"
	# The splat qemu caused is shown, not counted; a check that could not
	# run fails (tests/vm/kernel-log.bash).
	bad=$(TMPDIR=$WORK kernel_log_problems "$WORK/dmesg.all" "$WORK/dmesg.emu") || rc=$?
	[ ! -s "$WORK/dmesg.emu" ] || sed 's/^/# /' "$WORK/dmesg.emu"
	[ "$rc" = 0 ] || fail "$bad"
	[ -z "$bad" ] || { echo "$bad" | head -n 80; fail "kernel complained"; }
}
