# SPDX-License-Identifier: GPL-2.0
# Cause at expiry (TLOB_EV_CAUSE) and the signal action (guest side),
# sourced by selftest.sh, which calls cause_tests.
#
# The kernel stacks are resolved here from /proc/kallsyms, the user
# instruction pointer from tlob-target's own report of where its function
# is and the ELF symbol table's size of it.

# cause_kv FILE IDX KEY: a field of the IDX-th "cause" line of tlob-drv.
cause_kv() {
	kv_nth "$1" cause "$2" "$3"
}

# kv_nth FILE PREFIX IDX KEY
kv_nth() {
	awk -v p="$2" -v i="$3" -v k="$4" '
		$1 == p && ++n == i {
			for (f = 2; f <= NF; f++) {
				split($f, a, "=")
				if (a[1] == k) { print substr($f, length(k) + 2); exit }
			}
		}' "$1"
}

# cause_frames FILE IDX: the kernel symbols of the IDX-th cause's stack,
# innermost first, one a line.
cause_frames() {
	local addrs
	addrs=$(cause_kv "$1" "$2" kstack)
	[ -n "$addrs" ] && [ "$addrs" != - ] || return 0
	{
		awk '$2 ~ /^[tTwW]$/ { print $1, 0, 0, $3 }' /proc/kallsyms
		echo "$addrs" | tr ',' '\n' | awk '{ print $1, 1, NR, "@" }'
	} | LC_ALL=C sort -k1,1 -k2,2n |
		awk '$2 == 0 { s = $4 } $2 == 1 { print $3, s }' | sort -n | cut -d' ' -f2
}

# cause_has_frame FILE IDX REGEX: one of the frames matches.
cause_has_frame() {
	local frames
	frames=$(cause_frames "$1" "$2")
	echo "# frames: $(echo "$frames" | tr '\n' ' ')"
	echo "$frames" | grep -Eq "$3" || fail "no frame matching $3 in the cause"
}

# cause_valid FILE IDX BIT: the valid mask of the cause has BIT.
cause_valid() {
	local v
	v=$(cause_kv "$1" "$2" valid)
	[ $(( v & $3 )) -ne 0 ]
}

CAUSE_KSTACK=1
CAUSE_USER_IP=2
CAUSE_USER_ENTRY=4
CAUSE_CURR=8
CAUSE_PREEMPTOR=16
CAUSE_WAKER=32
CAUSE_WAKER_IRQ=64
CAUSE_SIZE=368

# A self-instrumented window with causes: VIOLATION, CAUSE, WINDOW_END,
# the CAUSE right after its VIOLATION, with its identity.
cause_self_check() {
	local o=$1
	expect_eq "$(grep '^event ' "$o" | awk '{ print $2 }' | tr '\n' ' ')" \
		"type=violation type=cause type=window_end " "record order"
	expect_eq "$(ev "$o" cause 1 size)" $CAUSE_SIZE "cause size"
	for k in tid tgid binding cookie timestamp_ns state elapsed_ns; do
		expect_eq "$(ev "$o" cause 1 $k)" "$(ev "$o" violation 1 $k)" "cause $k"
	done
}

# Blocked in nanosleep: the stack shows hrtimer_nanosleep; the syscall's
# user IP; one voluntary switch; no waker yet (the timer wakes it later).
t_cause_nanosleep() {
	local o=$WORK/o
	drv "$o" start:100ms,tag=7,flags=1 sleep:600ms result =EOVERFLOW read:3
	cause_self_check "$o"
	expect_eq "$(ev "$o" violation 1 state)" sleeping "state"
	cause_valid "$o" 1 $CAUSE_KSTACK || fail "no kernel stack"
	cause_has_frame "$o" 1 '^(hrtimer_nanosleep|do_nanosleep|common_nsleep)$'
	cause_valid "$o" 1 $CAUSE_USER_ENTRY || fail "no user IP of the syscall"
	[ "$(cause_kv "$o" 1 user_ip)" != 0x0 ] || fail "user_ip 0"
	expect_eq "$(cause_kv "$o" 1 nvcsw)" 1 "voluntary switches"
	cause_valid "$o" 1 $CAUSE_WAKER && fail "a waker before any wakeup"
	true
}

# cause_blocked_in OP REGEX: a window whose budget expires while tlob-drv
# blocks in OP (for 600 ms) has a frame matching REGEX. (The budget of
# 100 ms leaves room for a guest whose vCPU the host keeps waiting.)
cause_blocked_in() {
	local o=$WORK/o
	drv "$o" start:100ms,flags=1 "$1":600ms result =EOVERFLOW read:3
	cause_self_check "$o"
	expect_eq "$(ev "$o" violation 1 state)" sleeping "state"
	cause_has_frame "$o" 1 "$2"
}

t_cause_pipe() {
	cause_blocked_in piperead '^pipe_read$'
}

t_cause_futex() {
	cause_blocked_in futexwait '^(__)?futex_wait(_queue)?$'
}

# Disk I/O: the VM has no disk; its root is the host's file system over
# virtio-9p, whose reads block on the host's answer (p9_client_rpc).  A
# file read 4 KiB per read(), so that waiting for the host dominates
# copying, with budgets of 2 to 16 ms: the budget expires while the task
# waits for 9p (or, now and then, while it runs: tried up to 8 times).
t_cause_file_io() {
	local o=$WORK/o f i
	f=/run/tlob/host$(ls -S /boot/vmlinuz-* /usr/lib/x86_64-linux-gnu/libc.so.6 2>/dev/null | head -n 1)
	[ -f "$f" ] || fail "no large file to read"
	findmnt -no FSTYPE,OPTIONS -T "$f" | sed 's/^/# file system: /'
	for i in 1 2 3 4 5 6 7 8; do
		drv "$o" start:$((2 * i))ms,flags=1 fileread:"$f",chunk=4096,max=4194304 \
			result =any drain:timeout=300ms
		[ "$(ev "$o" violation 1 state)" = sleeping ] && break
	done
	expect_eq "$(ev "$o" violation 1 state)" sleeping "state (attempt $i)"
	cause_has_frame "$o" 1 '^(p9_client_rpc|p9_virtio_|v9fs_|netfs_|p9_client_read)'
}

# The last waker: the thread that wrote the pipe, in task context; at
# expiry the task sleeps in nanosleep again.
t_cause_waker() {
	local o=$WORK/o
	drv "$o" start:300ms,flags=1 piperead:30ms sleep:1s result =EOVERFLOW read:3
	cause_self_check "$o"
	cause_valid "$o" 1 $CAUSE_WAKER || fail "no waker"
	cause_valid "$o" 1 $CAUSE_WAKER_IRQ && fail "waker in irq"
	expect_eq "$(cause_kv "$o" 1 waker)" "$(kv "$o" waker tid)/$(kv "$o" start tgid)/tlob-drv" "waker"
	cause_has_frame "$o" 1 '^(hrtimer_nanosleep|do_nanosleep|common_nsleep)$'
	expect_gt "$(cause_kv "$o" 1 nvcsw)" 1 "voluntary switches"
}

# cause_rt_hog_named FILE: the cause of a window of tlob-target rt-preempt
# (kept waiting by a SCHED_FIFO hog pinned to its CPU) names the hog as
# the task running there (else the test fails); sets CAUSE_HOG_PREEMPTED
# to 1 if it names it as the preemptor too, else 0.  The preemptor is the
# last task that took the CPU from it: now and then a kernel thread
# (ksoftirqd) does so after the hog did.  Called as a plain command, so
# that set -e applies to its checks.
cause_rt_hog_named() {
	local o=$1 cur pre
	CAUSE_HOG_PREEMPTED=0
	expect_eq "$(ev "$o" violation 1 state)" waiting "state"
	cause_valid "$o" 1 $CAUSE_CURR || fail "no task on the CPU"
	cur=$(cause_kv "$o" 1 curr)
	pre=$(cause_kv "$o" 1 preemptor)
	expect_eq "${cur##*/}" tlob-hog "task on the CPU"
	[ "${cur%%/*}" != "$(ev "$o" violation 1 tid)" ] || fail "curr is the task itself"
	[ "${pre%%/*}" != "$(ev "$o" violation 1 tid)" ] || fail "preemptor is the task itself"
	expect_gt "$(cause_kv "$o" 1 nivcsw)" 0 "involuntary switches"
	expect_eq "$(cause_kv "$o" 1 cpu)" 0 "cpu"
	# The preemptor's name is the one it had when it preempted (the
	# hog may have done so before it renamed itself).
	if [ "${pre%%/*}" = "${cur%%/*}" ]; then
		CAUSE_HOG_PREEMPTED=1
	else
		echo "# preemptor $pre, on the CPU $cur"
	fi
}

# A task kept off its CPU by a SCHED_FIFO hog pinned there: the cause
# names the hog as the task running there and as the preemptor; up to
# three runs, of which one must name the hog as both.
t_cause_rt_hog() {
	local o=$WORK/o i acc
	for i in 1 2 3; do
		acc=$(stat_get windows_accounted)
		drv "$o" sub:cause bind:$TGT,tgt_start,tgt_stop,100ms,cause run:$TGT,rt-preempt,400 read:3
		# The preemptor comes from the probes: causes are stepped.
		expect_eq "$(stat_get windows_accounted)" "$acc" "windows accounted with a cause"
		cause_rt_hog_named "$o"
		[ "$CAUSE_HOG_PREEMPTED" = 1 ] && return 0
	done
	fail "the hog was never the preemptor in 3 runs"
}

# A busy loop: the user IP lies in the function it loops in (tlob-target
# prints where tgt_spin is in its address space; its size comes from the
# ELF symbol table).
t_cause_busy_loop() {
	local o=$WORK/o base size ip
	drv "$o" bind:$TGT,tgt_start,tgt_stop,200ms,cause run:$TGT,spin,800 read:3
	expect_eq "$(ev "$o" violation 1 state)" running "state"
	base=$(kv "$o" spin tgt_spin)
	size=$(readelf -sW "$TGT" | awk '$8 == "tgt_spin" { print $3; exit }')
	[ -n "$base" ] && [ -n "$size" ] || fail "tgt_spin not found"
	ip=$(cause_kv "$o" 1 user_ip)
	echo "# user_ip $ip, tgt_spin $base size $size, valid $(cause_kv "$o" 1 valid)"
	cause_valid "$o" 1 $((CAUSE_USER_IP | CAUSE_USER_ENTRY)) || fail "no user IP"
	[ $((ip)) -ge $((base)) ] && [ $((ip)) -lt $((base + size)) ] ||
		fail "user_ip $ip not in tgt_spin [$base, +$size)"
	cause_valid "$o" 1 $CAUSE_KSTACK && fail "kernel stack of a running task"
	true
}

# Capture is off unless asked for, and CAUSE records go only to fds that
# asked: a subscriber without TLOB_SUB_CAUSE (a reader older than the
# record type) never sees one.
t_cause_off() {
	local o=$WORK/o
	drv "$o" sub:cause bind:$TGT,tgt_start,tgt_stop,50ms run:$TGT,pair,200,sleep \
		read:2 read:0,timeout=300ms
	expect_eq "$(ev_count "$o" cause)" 0 "causes without the flag"
	drv "$o" fd:1 sub:all fd:2 sub:cause fd:0 \
		bind:$TGT,tgt_start,tgt_stop,50ms,cause run:$TGT,pair,200,sleep \
		read:3 fd:1 read:2 read:0,timeout=300ms fd:2 read:3
	expect_eq "$(ev_count "$o" cause)" 2 "causes (binding fd, TLOB_SUB_CAUSE)"
	drv "$o" start:20ms sleep:100ms result =EOVERFLOW read:2 read:0,timeout=300ms
	expect_eq "$(ev_count "$o" cause)" 0 "causes of a window without the flag"
}

# The monitor file: "cause" and "signal=N", listed back; CAP_KILL.
t_cause_monitor() {
	local o=$WORK/o start stop
	start=$("$SYMOFF" "$TGT" tgt_start)
	stop=$("$SYMOFF" "$TGT" tgt_stop)
	echo "p $TGT:$start $stop threshold=50000000 cause signal=10" >"$SYS/monitor"
	grep -q " threshold=50000000 cause signal=10  # id=[0-9]* windows=0 violations=0 missed=0 signals=0$" "$SYS/monitor" ||
		{ cat "$SYS/monitor"; fail "listing"; }
	drv "$o" sub:cause run:$TGT,sig,100,1 read:3
	expect_eq "$(ev_count "$o" cause)" 1 "cause of a sysfs binding"
	expect_eq "$(cause_kv "$o" 1 signal)" 10 "signal in the cause"
	expect_eq "$(kv_nth "$o" sigwin 1 got)" 1 "signals received"
	grep -q "signals=1$" "$SYS/monitor" || { cat "$SYS/monitor"; fail "signals counted"; }
	echo "-$TGT:$start" >"$SYS/monitor"
	# CAP_PERFMON is enough to bind, not to send signals.
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all,+perfmon \
		--ambient-caps=-all,+perfmon -- "$DRV" bind:$TGT,tgt_start,tgt_stop,1s,signal=10 =EPERM \
		bind:$TGT,tgt_start,tgt_stop,1s,cause >"$o" 2>&1 || { cat "$o"; fail "CAP_KILL"; }
	setpriv --inh-caps=-kill --bounding-set=-kill -- \
		sh -c "echo 'p $TGT:$start $stop threshold=50000000 signal=10' > $SYS/monitor" 2>/dev/null &&
		fail "a monitor write with signal= without CAP_KILL"
	expect_eq "$(cat "$SYS/monitor")" "" "nothing bound"
}

# The signal action: sent to the thread whose window expired (not the
# process's main thread), at expiry (while it still sleeps, before its
# STOP), once per window; SIGUSR1 and SIGABRT.
t_cause_signal() {
	local o=$WORK/o i s0 tid at t0 t1
	for sig in 10 6; do
		s0=$(stat_get signals)
		drv "$o" bind:$TGT,tgt_start,tgt_stop,100ms,signal=$sig run:$TGT,sig,300,3 read:6
		tid=$(kv "$o" sig tid)
		for i in 1 2 3; do
			expect_eq "$(kv_nth "$o" sigwin $i got)" 1 "signal $sig, window $i: signals"
			expect_eq "$(kv_nth "$o" sigwin $i stid)" "$tid" "signal $sig, window $i: thread"
			at=$(kv_nth "$o" sigwin $i at_ns)
			t0=$(kv_nth "$o" sigwin $i start_ns)
			t1=$(kv_nth "$o" sigwin $i stop_ns)
			expect_range "$((at - t0))" 100000000 "$((t1 - t0 - 1))" "signal $sig, window $i: at"
		done
		expect_eq "$(( $(stat_get signals) - s0 ))" 3 "signals counted"
	done
	# A self-instrumented window signals its own thread: tlob-drv, which
	# does not catch SIGUSR1, dies of it while it sleeps.
	local rc=0
	"$DRV" start:50ms,signal=10 sleep:2s >"$o" 2>&1 || rc=$?
	expect_eq "$rc" $((128 + 10)) "tlob-drv killed by SIGUSR1"
	drv "$o" start:1s,signal=10 sleep:10ms result
	expect_eq "$(stat_get signals_failed)" 0 "signals that found no thread"
}

# The cost of capturing, per violation (the module times it: cause_ns).
t_cause_cost() {
	local o=$WORK/o n0 t0 n t ops=() i
	n0=$(stat_get causes)
	t0=$(stat_get cause_ns)
	for i in $(seq 20); do
		ops+=(start:2ms,flags=1 sleep:10ms result =EOVERFLOW drain:timeout=1ms)
	done
	drv "$o" "${ops[@]}"
	n=$(( $(stat_get causes) - n0 ))
	t=$(( $(stat_get cause_ns) - t0 ))
	expect_eq "$n" 20 "causes captured"
	echo "# cause capture, sleeping task: $((t / n)) ns per violation ($n violations, TCG)"
	n0=$(stat_get causes)
	t0=$(stat_get cause_ns)
	drv "$o" bind:$TGT,tgt_start,tgt_stop,5ms,cause run:$TGT,pair,20,busy,10 read:30
	n=$(( $(stat_get causes) - n0 ))
	t=$(( $(stat_get cause_ns) - t0 ))
	expect_eq "$n" 10 "causes captured"
	echo "# cause capture, running task: $((t / n)) ns per violation ($n violations, TCG)"
}

cause_tests() {
	run_test "cause: nanosleep shows hrtimer_nanosleep, user IP, switches" t_cause_nanosleep
	run_test "cause: read() of a pipe shows pipe_read" t_cause_pipe
	run_test "cause: a futex wait shows futex_wait" t_cause_futex
	run_test "cause: a read over virtio-9p shows the 9p client" t_cause_file_io
	run_test "cause: the last waker, in task context" t_cause_waker
	run_test "cause: a pinned SCHED_FIFO hog is named (curr, preemptor)" t_cause_rt_hog
	run_test "cause: a busy loop's user IP lies in its function" t_cause_busy_loop
	run_test "cause: off by default, only to fds that asked" t_cause_off
	run_test "cause: monitor cause and signal=N, CAP_KILL" t_cause_monitor
	run_test "signal: to the violating thread at expiry, once per window" t_cause_signal
	run_test "cause: cost per violation" t_cause_cost
}
