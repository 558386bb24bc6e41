# SPDX-License-Identifier: GPL-2.0
# Tests of the performance work of the module (guest side), sourced by
# selftest.sh, which calls perf_tests: windows reused at once (a hot
# binding loses none), bindings removed in batches, uprobes of a binding
# with a cgroup installed only in that cgroup's processes.

# perf_field PREFIX KEY: KEY=VALUE of the monitor line of PREFIX (PATH:OFF).
perf_field() {
	monitor_line_of "$1" | sed -n "s/.* $2=\([0-9]*\).*/\1/p"
}

# Four threads call a bound pair as fast as they can for 10 s, with a pool
# of 8 windows: each closed window's slot must be free again at once, so
# every call is a completed window and none is missed.
t_hot_binding() {
	local key=$TGT:$OFF_START calls s0 c0
	reload max_windows=8 max_self_windows=1
	echo "p $key $OFF_STOP threshold=60000000000" >"$SYS/monitor"
	s0=$(stat_get windows_started)
	c0=$(stat_get windows_completed)
	"$TGT" hot 4 10 >"$WORK/hot" || fail "tlob-target hot failed"
	cat "$WORK/hot"
	calls=$(kv "$WORK/hot" hot calls)
	monitor_line_of "$key"
	echo "# hot binding: $calls calls in 10 s on 4 threads"
	expect_gt "$calls" 1000 "calls"
	expect_eq "$(perf_field "$key" missed)" 0 "missed windows"
	expect_eq "$(stat_get windows_missed)" 0 "windows_missed"
	expect_eq "$(perf_field "$key" windows)" "$calls" "a window per call"
	expect_eq "$(( $(stat_get windows_started) - s0 ))" "$calls" "windows_started"
	expect_eq "$(( $(stat_get windows_completed) - c0 ))" "$calls" "windows_completed"
	expect_eq "$(stat_get windows_in_use)" 0 "windows_in_use"
	echo "-$key" >"$SYS/monitor"
	reload
}

# last_peek FILE: the last "peek" line of tlob-target peek.
last_peek() {
	grep '^peek ' "$1" | tail -n 1
}

# wait_peek FILE REGEX SECONDS: until the last peek line matches.
wait_peek() {
	local i
	for i in $(seq 1 $((10 * $3))); do
		last_peek "$1" | grep -Eq "$2" && return 0
		sleep 0.1
	done
	fail "$1: '$(last_peek "$1")' never matched '$2'"
}

# A binding with a cgroup: breakpoints only in processes of the cgroup,
# whether they were running when it was made (the filter at registration)
# or start after (at exec); a process that moves in gets them and is
# measured, one that moves out loses them at its next call.
perf_cgroup_filter() {
	local how=$1 cg=$CGROOT/tlob-kt-filter key=$TGT:$OFF_START
	local trap='start=0xcc stop=0xcc' out orig pid_out pid_in w1 w2
	mkdir -p "$cg"
	"$TGT" peek 100 600 call >"$WORK/out" 2>&1 &
	pid_out=$!
	wait_peek "$WORK/out" start= 5
	orig=$(last_peek "$WORK/out")
	echo "# no binding yet: $orig"
	case "$orig" in *0xcc*) fail "a breakpoint before the binding: $orig" ;; esac
	case "$how" in
	id) echo "p $key $OFF_STOP threshold=60000000000 cgroup=$cg" >"$SYS/monitor" ;;
	path) echo "p $key $OFF_STOP threshold=60000000000 cgroup_path=tlob-kt-filter" >"$SYS/monitor" ;;
	esac
	sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2" peek 100 10 call' sh "$cg" "$TGT" \
		>"$WORK/in" 2>&1 &
	pid_in=$!
	wait $pid_in || { cat "$WORK/in"; fail "inside process failed"; }
	cat "$WORK/in"
	last_peek "$WORK/in" | grep -q "$trap" || fail "no breakpoint inside the cgroup"
	expect_eq "$(perf_field "$key" windows)" 10 "windows of the process inside"
	sleep 0.5
	out=$(last_peek "$WORK/out")
	echo "# outside: $out"
	case "$out" in *0xcc*) fail "breakpoint in a process outside the cgroup: $out" ;; esac
	expect_eq "$(perf_field "$key" windows)" 10 "no window outside"
	# Moves in: trapped and measured.
	echo "$pid_out" >"$cg/cgroup.procs"
	wait_peek "$WORK/out" "$trap" 5
	w1=$(perf_field "$key" windows)
	sleep 1
	w2=$(perf_field "$key" windows)
	echo "# moved in: $(last_peek "$WORK/out"), windows $w1 then $w2"
	expect_gt "$w2" "$w1" "windows of the process that moved in"
	# Moves out: the next hit removes the breakpoints.
	echo "$pid_out" >"$CGROOT/cgroup.procs"
	wait_peek "$WORK/out" "^$orig\$" 5
	echo "# moved out: $(last_peek "$WORK/out")"
	kill "$pid_out" 2>/dev/null || true
	wait "$pid_out" 2>/dev/null || true
	echo "-$key" >"$SYS/monitor"
	rmdir "$cg"
}

t_cgroup_filter_id() {
	perf_cgroup_filter id
}

t_cgroup_filter_path() {
	perf_cgroup_filter path
}

# perf_wait_window: until the target has its window open (60 s at most:
# starting the target takes seconds on the debug kernel).
perf_wait_window() {
	local i
	for i in $(seq 1 600); do
		[ "$(stat_get windows_in_use)" = 1 ] && break
		sleep 0.1
	done
	expect_eq "$(stat_get windows_in_use)" 1 "window open"
}

# Many bindings removed at once, with windows open on them: an fd closed
# with 100 bindings, a monitor write removing 100.  One uprobe
# synchronisation and one scan of the pool per batch; every window of the
# removed bindings closes without a report, the targets run on.
t_batch_unbind() {
	local n=100 i ops=() t0 t1 key=$TGT:$OFF_ALT_START binder target
	for i in $(seq 1 $n); do
		ops+=("bind:$TGT,tgt_start,tgt_stop,60s,cgpath=tlob-kt-b/$i")
	done
	rm -f "$WORK/ready" "$WORK/go"
	"$DRV" "${ops[@]}" bind:$TGT,tgt_alt_start,tgt_alt_stop,60s touch:$WORK/ready \
		waitfile:$WORK/go >"$WORK/bg" 2>&1 &
	binder=$!
	"$DRV" waitfile:$WORK/ready,timeout=60s >/dev/null
	expect_eq "$(stat_get bindings)" $((n + 1)) "bindings of the fd"
	"$TGT" alt 10000 sleep 1 &
	target=$!
	perf_wait_window
	t0=$(date +%s%N)
	touch "$WORK/go"
	wait $binder || { cat "$WORK/bg"; fail "binder failed"; }
	t1=$(date +%s%N)
	echo "# closing an fd with $((n + 1)) bindings: $(( (t1 - t0) / 1000000 )) ms"
	expect_eq "$(stat_get bindings)" 0 "bindings after close"
	expect_eq "$(stat_get windows_in_use)" 0 "windows after close"
	wait $target || fail "target failed"

	# The monitor file: 100 added in one write, removed in one write.
	: >"$WORK/add"
	: >"$WORK/del"
	for i in $(seq 1 $n); do
		echo "p $TGT:$OFF_START $OFF_STOP threshold=60000000000 cgroup_path=tlob-kt-b/$i" >>"$WORK/add"
		echo "-$TGT:$OFF_START cgroup_path=tlob-kt-b/$i" >>"$WORK/del"
	done
	echo "p $key $OFF_ALT_STOP threshold=60000000000" >>"$WORK/add"
	echo "-$key" >>"$WORK/del"
	dd if="$WORK/add" of="$SYS/monitor" bs=4M status=none || fail "add write"
	expect_eq "$(stat_get bindings)" $((n + 1)) "bindings added"
	"$TGT" alt 10000 sleep 1 &
	target=$!
	perf_wait_window
	t0=$(date +%s%N)
	dd if="$WORK/del" of="$SYS/monitor" bs=4M status=none || fail "remove write"
	t1=$(date +%s%N)
	echo "# removing $((n + 1)) bindings in one write: $(( (t1 - t0) / 1000000 )) ms"
	expect_eq "$(stat_get bindings)" 0 "bindings after the removal"
	expect_eq "$(stat_get windows_in_use)" 0 "windows after the removal"
	wait $target || fail "target failed"
}

perf_tests() {
	run_test "perf: a hot binding (4 threads, 10 s, 8 windows) loses no window" t_hot_binding
	run_test "perf: cgroup binding (id) traps only in its cgroup, follows moves" t_cgroup_filter_id
	run_test "perf: cgroup binding (path) traps only in its cgroup, follows moves" t_cgroup_filter_path
	run_test "perf: 100 bindings removed at once (fd close, monitor write)" t_batch_unbind
}
