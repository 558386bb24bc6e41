#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tlob stress tests (guest side). Sourced by selftest.sh, which calls
# stress_tests SECONDS at the end of its run; or run on its own:
#   stress.sh --ko PATH --bindir DIR [--seconds N]     (default 60)
# Tens of threads open and close windows while enable toggles, bindings
# come and go through sysfs and ioctls under running targets, and the
# module is reloaded under live windows. Afterwards windows_in_use must be
# 0 and dmesg clean.

# stress_windows SECONDS: 32 threads start/stop windows (closing fds and
# exiting threads inside windows) while enable toggles and a subscriber
# drains the events.
t_stress_windows() {
	local secs=$1 end drv_pid sub_pid
	"$DRV" stress:32,"$secs" >"$WORK/stress" 2>&1 &
	drv_pid=$!
	"$DRV" sub:all drain:timeout=$((secs + 10))s >"$WORK/sub" 2>&1 &
	sub_pid=$!
	end=$(( $(date +%s) + secs ))
	while [ "$(date +%s)" -lt "$end" ]; do
		echo 0 >"$SYS/enable"
		sleep 0.1
		echo 1 >"$SYS/enable"
		sleep 0.4
	done
	echo 1 >"$SYS/enable"
	wait $drv_pid || { tail -n 5 "$WORK/stress"; fail "stress threads"; }
	sed -n 's/^stress /# /p' "$WORK/stress"
	kill $sub_pid 2>/dev/null || true
	wait $sub_pid 2>/dev/null || true
	echo "# subscriber records: $(grep -c '^event ' "$WORK/sub" || true)"
	"$DRV" statwait:windows_in_use=0,timeout=10s || fail "windows left open"
	dmesg_check
}

# Bindings made and removed through sysfs and ioctls while targets run in
# their windows (entry->entry, entry->return, recursion, threads).
t_stress_bindings() {
	local secs=$1 end pids=() p i=0 rc=0 reader
	for p in 1 2; do
		"$TGT" loop "$secs" &
		pids+=($!)
	done
	end=$(( $(date +%s) + secs ))
	# Concurrent readers of monitor and stats.
	(while [ "$(date +%s)" -lt "$end" ]; do
		cat "$SYS/monitor" "$SYS/stats" >/dev/null
	done) &
	reader=$!
	while [ "$(date +%s)" -lt "$end" ]; do
		i=$((i + 1))
		echo "p $TGT:$OFF_START $OFF_STOP threshold=$(( (i % 5 + 1) * 1000000 ))" >"$SYS/monitor"
		echo "r $TGT:$OFF_RECURSE threshold=2000000" >"$SYS/monitor"
		"$DRV" bind:$TGT,tgt_alt_start,tgt_alt_stop,1ms bind:$TGT,tgt_work,0,3ms,ret \
			sub:all sleep:50ms unbind:@1 bind:$TGT,tgt_alt_start,tgt_alt_stop,2ms \
			drain:timeout=10ms >"$WORK/b" 2>&1 || { cat "$WORK/b"; rc=1; break; }
		"$TGT" threads 8 2 yield || { rc=1; echo "threads target failed"; break; }
		echo "-$TGT:$OFF_START" >"$SYS/monitor"
		echo "-$TGT:$OFF_RECURSE" >"$SYS/monitor"
	done
	for p in "${pids[@]}"; do
		wait "$p" || { echo "target $p: status $?"; rc=1; }
	done
	wait $reader || { echo "monitor reader failed"; rc=1; }
	[ $rc -eq 0 ] || fail "bind/unbind under load"
	echo "# $i rounds"
	"$DRV" statwait:bindings=0 statwait:windows_in_use=0,timeout=10s || fail "left over"
	dmesg_check
}

# Reload the module again and again under targets inside windows.
t_stress_reload() {
	local secs=$1 end pids=() p i=0
	end=$(( $(date +%s) + secs ))
	while [ "$(date +%s)" -lt "$end" ]; do
		i=$((i + 1))
		kt_loaded || kt_load
		echo "p $TGT:$OFF_START $OFF_STOP threshold=1000000" >"$SYS/monitor"
		echo "r $TGT:$OFF_WORK threshold=2000000" >"$SYS/monitor"
		"$TGT" loop 2 &
		pids+=($!)
		"$DRV" stress:8,1 >"$WORK/r" 2>&1 || { cat "$WORK/r"; fail "stress round $i"; }
		sleep 0.$((RANDOM % 10))
		kt_unload
	done
	for p in "${pids[@]}"; do
		wait "$p" || fail "target $p died (status $?) across reloads"
	done
	echo "# $i reloads"
	kt_load
	expect_eq "$(stat_get windows_in_use)" 0 "windows_in_use"
	dmesg_check
}

stress_tests() {
	local total=$1 a b c
	a=$((total * 40 / 100))
	b=$((total * 35 / 100))
	c=$((total - a - b))
	KT_TEST_TIMEOUT=$((total + 180))
	run_test "stress: 32 threads start/stop windows for ${a}s while enable toggles" t_stress_windows "$a"
	run_test "stress: bind/unbind via sysfs and ioctl under running targets for ${b}s" t_stress_bindings "$b"
	run_test "stress: module reload under live windows for ${c}s" t_stress_reload "$c"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -u
	KT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	. "$KT_DIR/lib.sh"
	bindir=
	seconds=60
	while [ $# -gt 0 ]; do
		case "$1" in
		--ko) KT_KO=$2; shift 2 ;;
		--bindir) bindir=$2; shift 2 ;;
		--seconds) seconds=$2; shift 2 ;;
		*) echo "stress.sh: unknown argument $1" >&2; exit 2 ;;
		esac
	done
	[ -n "$KT_KO" ] && [ -n "$bindir" ] || { echo "stress.sh: --ko and --bindir are required" >&2; exit 2; }
	kt_setup "$bindir"
	trap kt_cleanup EXIT
	tap_begin
	kt_loaded || kt_load
	KT_AUTOLOAD=1
	stress_tests "$seconds"
	tap_end
	[ "$KT_FAILED" -eq 0 ]
fi
