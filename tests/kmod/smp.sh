# SPDX-License-Identifier: GPL-2.0
# Tests that need two CPUs (guest side), sourced by selftest.sh, which
# calls smp_tests. The races are driven by tlob-smp (tlob-smp.c), which
# checks every window it opened against the module's answers and prints
# one summary line per check.
#
# They fail on a guest with fewer than two CPUs, unless run-suite was
# asked for one (--smp 1 sets TLOB_KT_CPUS=1): then they are skipped.

# Online CPUs of the guest.
smp_cpus() {
	grep -c '^processor' /proc/cpuinfo
}

# The helper sits next to tlob-target; uprobes need it on tmpfs (bind-race
# and migrate-bind probe its own functions).
smp_setup() {
	SMPDRV=$WORK/tlob-smp
	install -m 755 "${BINDIR_TGT%/*}/tlob-smp" "$SMPDRV"
}

smp_need_two() {
	local n
	n=$(smp_cpus)
	[ "$n" -ge 2 ] ||
		fail "needs two CPUs, the guest has $n (run-suite --smp 1 skips these tests)"
	"$@"
}

# smp_run_test NAME FUNCTION [ARGS...]: run_test, or a skip for --smp 1.
smp_run_test() {
	local name=$1
	shift
	if [ "${TLOB_KT_CPUS:-}" = 1 ]; then
		if [ -z "$KT_ONLY" ] || [[ $name =~ $KT_ONLY ]]; then
			KT_N=$((KT_N + 1))
			echo "ok $KT_N - $name # SKIP run-suite --smp 1: one CPU"
		fi
		return 0
	fi
	run_test "$name" smp_need_two "$@"
}

# smp_drv OUT ARGS...: run tlob-smp, show its output, pass its summary lines
# on as TAP diagnostics.
smp_drv() {
	local out=$1 rc=0
	shift
	echo "+ tlob-smp $*"
	"$SMPDRV" "$@" >"$out" 2>&1 || rc=$?
	sed 's/^/  | /' "$out" | tail -n 40
	grep -v '^MISMATCH' "$out" | sed 's/^/# /'
	[ $rc -eq 0 ] || fail "tlob-smp $1: status $rc"
}

# Expiry of a window on CPU 0 racing its STOP, on CPU 0 or (every other
# window) on CPU 1 after the task moved there, with CPU 1 busy: for every
# window, violated (EOVERFLOW) if and only if elapsed_ns >= threshold_ns,
# the owner fd's and a subscriber's records agree with the result, and so
# do the stats counters. The budget, 2^17 ns, is a power of two so that
# the binding variant can be checked against BINDING_STATS' histogram.
t_smp_stop_race() {
	smp_drv "$WORK/o" stop-race 4000 131072ns
	"$DRV" statwait:windows_in_use=0 >/dev/null || fail "windows left open"
}

t_smp_bind_race() {
	smp_drv "$WORK/o" bind-race 3000 131072ns
	"$DRV" statwait:windows_in_use=0 statwait:bindings=0 >/dev/null || fail "left over"
}

# Expiry racing the exit of the window's task, on CPU 0 or CPU 1: no
# WINDOW_END, at most one VIOLATION, nothing leaked.
t_smp_exit_race() {
	smp_drv "$WORK/o" exit-race 2000 200us
	smp_drv "$WORK/o2" exit-race-procs 300 200us
	"$DRV" statwait:windows_in_use=0 >/dev/null || fail "windows left open"
	dmesg_check
}

# Windows on both CPUs while enable is switched off and on, racing their
# expiry and their STOP.
t_smp_disable_race() {
	smp_drv "$WORK/o" disable-race 1000 200us
	expect_eq "$(cat "$SYS/enable")" 1 "enable at the end"
	"$DRV" statwait:windows_in_use=0 >/dev/null || fail "windows left open"
	dmesg_check
}

# A task sleeping in a window on CPU 0, woken by a task on CPU 1: the time
# counts as sleeping, the breakdown adds up.
t_smp_wake_remote() {
	smp_drv "$WORK/o" wake 20 100ms
}

# Windows whose task moves between the CPUs, by itself or moved by
# another thread.
t_smp_migrate() {
	smp_drv "$WORK/o" migrate 20 10
	smp_drv "$WORK/o2" migrate-bind 5 20
	"$DRV" statwait:windows_in_use=0 statwait:bindings=0 >/dev/null || fail "left over"
}

# rmmod while targets pinned to each CPU open and close binding windows
# (the fds used in each round closed first), eight times: the targets
# survive, nothing is left, dmesg stays clean.
t_smp_rmmod_under_load() {
	local rounds=8 pids=() p c i open=0 rc
	for c in 0 1; do
		# Windows of 0-3 ms and of 30 ms, until killed below.
		taskset -c "$c" "$TGT" loop 1000000 &
		pids+=($!)
		taskset -c "$c" "$TGT" pair 30 sleep 1000000 &
		pids+=($!)
	done
	for ((i = 1; i <= rounds; i++)); do
		kt_loaded || kt_load
		echo "p $TGT:$OFF_START $OFF_STOP threshold=$(( (RANDOM % 40 + 1) * 1000000 ))" >"$SYS/monitor"
		echo "r $TGT:$OFF_WORK threshold=$(( (RANDOM % 4 + 1) * 1000000 ))" >"$SYS/monitor"
		echo "r $TGT:$OFF_RECURSE threshold=1000000" >"$SYS/monitor"
		# A subscriber and a window of an fd, closed before the unload.
		taskset -c $((i % 2)) "$DRV" sub:all start:1ms sleep:3ms stop =EOVERFLOW \
			readraw:ev >"$WORK/r" 2>&1 || { cat "$WORK/r"; fail "round $i"; }
		sleep 0.$((RANDOM % 5 + 2))
		[ "$(stat_get windows_in_use)" -gt 0 ] && open=$((open + 1))
		kt_unload
	done
	for p in "${pids[@]}"; do
		kill -0 "$p" 2>/dev/null || { rc=0; wait "$p" || rc=$?; fail "target $p ended early (status $rc)"; }
		kill -TERM "$p"
		rc=0
		wait "$p" || rc=$?
		expect_eq "$rc" 143 "status of target $p (SIGTERM)"
	done
	echo "# $rounds unloads, $open of them with windows open just before"
	[ "$open" -ge $((rounds / 2)) ] || fail "windows were open before only $open of $rounds unloads"
	kt_load
	expect_eq "$(stat_get windows_in_use)" 0 "windows_in_use after reload"
	expect_eq "$(stat_get bindings)" 0 "bindings after reload"
	dmesg_check
}

smp_tests() {
	smp_setup
	echo "# SMP tests on $(smp_cpus) CPUs"
	smp_run_test "smp: expiry racing STOP on the other CPU, violated iff elapsed >= budget (self)" t_smp_stop_race
	smp_run_test "smp: expiry racing STOP on the other CPU, BINDING_STATS agree (binding)" t_smp_bind_race
	smp_run_test "smp: expiry racing task exit on the other CPU" t_smp_exit_race
	smp_run_test "smp: expiry racing enable=0 on the other CPU" t_smp_disable_race
	smp_run_test "smp: wakeup from the other CPU counts as sleeping" t_smp_wake_remote
	smp_run_test "smp: task migrated inside a window, by itself and by another" t_smp_migrate
	smp_run_test "smp: rmmod under load on both CPUs" t_smp_rmmod_under_load
}
