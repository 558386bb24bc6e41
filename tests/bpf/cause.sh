# SPDX-License-Identifier: GPL-2.0
# Causes from the BPF monitor (TLOB_BIND_CAUSE), guest side, sourced by
# selftest.sh, which calls bt_cause_tests.  The module's cases of
# tests/kmod/cause.sh where BPF provides the part, on bindings (the BPF
# monitor has no self-instrumented windows): its helpers read the "cause"
# lines tlob-bpf-drv prints as tlob-drv does.

. "$BT_DIR/../kmod/cause.sh"

# bt_cause_first_frame FILE IDX: the innermost frame, which the object
# trims to __schedule() (the frames above it are its own program's).
bt_cause_first_frame() {
	cause_frames "$1" "$2" | head -n 1
}

# bt_cause_window BUDGET TARGET_ARGS STATE [OP...]: one window of a binding
# with causes around tlob-target TARGET_ARGS, into $WORK/o: its VIOLATION,
# CAUSE and WINDOW_END, in that order, the CAUSE with the VIOLATION's
# identity, STATE at expiry.
bt_cause_window() {
	local budget=$1 args=$2 state=$3
	shift 3
	drv "$WORK/o" bind:$TGT,tgt_start,tgt_stop,$budget,cause run:$TGT,$args read:3 "$@"
	cause_self_check "$WORK/o"
	expect_eq "$(ev "$WORK/o" violation 1 state)" "$state" "state"
}

# Blocked in nanosleep: the stack from __schedule() down to the system
# call; its user IP; one voluntary switch; no waker yet.
t_bt_cause_nanosleep() {
	local o=$WORK/o
	bt_cause_window 100ms pair,600,sleep sleeping stats
	cause_valid "$o" 1 $CAUSE_KSTACK || fail "no kernel stack"
	cause_has_frame "$o" 1 '^(hrtimer_nanosleep|do_nanosleep|common_nsleep)$'
	expect_eq "$(bt_cause_first_frame "$o" 1)" __schedule "innermost frame"
	cause_valid "$o" 1 $CAUSE_USER_ENTRY || fail "no user IP of the syscall"
	cause_valid "$o" 1 $CAUSE_USER_IP && fail "an exact user IP of a sleeping task"
	[ "$(cause_kv "$o" 1 user_ip)" != 0x0 ] || fail "user_ip 0"
	expect_eq "$(cause_kv "$o" 1 nvcsw)" 1 "voluntary switches"
	cause_valid "$o" 1 $CAUSE_WAKER && fail "a waker before any wakeup"
	cause_valid "$o" 1 $CAUSE_CURR || fail "no task on its CPU"
	[ "$(cause_kv "$o" 1 curr | cut -d/ -f1)" != "$(ev "$o" violation 1 tid)" ] ||
		fail "curr is the task itself"
	expect_eq "$(bstat "$o" causes)" 1 "causes counted"
}

# Blocked in read() of a pipe.
t_bt_cause_pipe() {
	local o=$WORK/o
	bt_cause_window 100ms pipe,600,0 sleeping
	cause_has_frame "$o" 1 '^pipe_read$'
}

# The last waker: the thread that wrote the pipe, in task context; at
# expiry the task sleeps in nanosleep again.
t_bt_cause_waker() {
	local o=$WORK/o
	bt_cause_window 300ms pipe,30,1000 sleeping
	cause_valid "$o" 1 $CAUSE_WAKER || fail "no waker"
	cause_valid "$o" 1 $CAUSE_WAKER_IRQ && fail "waker in irq"
	expect_eq "$(cause_kv "$o" 1 waker)" \
		"$(kv "$o" waker tid)/$(ev "$o" violation 1 tgid)/tlob-target" "waker"
	cause_has_frame "$o" 1 '^(hrtimer_nanosleep|do_nanosleep|common_nsleep)$'
	expect_gt "$(cause_kv "$o" 1 nvcsw)" 1 "voluntary switches"
}

# Woken by its nanosleep's timer, from the timer interrupt, then running
# at expiry: the waker is the interrupted task, WAKER_IRQ; no stack.
t_bt_cause_waker_irq() {
	local o=$WORK/o
	bt_cause_window 200ms sleepspin,50,600 running
	cause_valid "$o" 1 $CAUSE_WAKER || fail "no waker"
	cause_valid "$o" 1 $CAUSE_WAKER_IRQ || fail "the timer's wakeup is not from an interrupt"
	cause_valid "$o" 1 $CAUSE_KSTACK && fail "kernel stack of a running task"
	cause_valid "$o" 1 $CAUSE_CURR && fail "curr of a running task"
	true
}

# A task kept off its CPU by a SCHED_FIFO hog pinned there names the hog
# as the task running there and as the preemptor (up to three runs, see
# cause_rt_hog_named); pinned, it never migrates; off its CPU, its stack.
t_bt_cause_rt_hog() {
	local o=$WORK/o i
	for i in 1 2 3; do
		bt_cause_window 100ms rt-preempt,400 waiting
		expect_eq "$(cause_kv "$o" 1 migrations)" 0 "migrations of a pinned task"
		cause_valid "$o" 1 $CAUSE_KSTACK || fail "no kernel stack of a preempted task"
		cause_rt_hog_named "$o"
		[ "$CAUSE_HOG_PREEMPTED" = 1 ] && return 0
	done
	fail "the hog was never the preemptor in 3 runs"
}

# A busy loop: the user IP lies in the function it loops in (the module's
# test, whose operations tlob-bpf-drv runs alike); no voluntary switch.
t_bt_cause_busy_loop() {
	t_cause_busy_loop
	cause_self_check "$WORK/o"
	expect_eq "$(cause_kv "$WORK/o" 1 nvcsw)" 0 "voluntary switches of a busy loop"
}

# Off unless asked for: no CAUSE record, no stack taken at switches.
t_bt_cause_off() {
	local o=$WORK/o
	drv "$o" bind:$TGT,tgt_start,tgt_stop,50ms run:$TGT,pair,200,sleep,2 \
		read:4 read:0,timeout=300ms stats
	expect_eq "$(ev_count "$o" cause)" 0 "causes without the flag"
	expect_eq "$(bstat "$o" causes)" 0 "causes captured"
	expect_eq "$(bstat "$o" stacks)" 0 "stacks taken"
	# One binding with causes, one without, on one binary.
	drv "$o" bind:$TGT,tgt_start,tgt_stop,50ms,cause bind:$TGT,tgt_alt_start,tgt_alt_stop,50ms \
		run:$TGT,both,200,sleep read:5 read:0,timeout=300ms
	expect_eq "$(ev_count "$o" cause)" 1 "causes"
	expect_eq "$(ev "$o" cause 1 binding)" "$(kv "$o" bind id)" "the binding with causes"
}

# A one-page ring: a CAUSE that finds no room after its VIOLATION is
# counted lost, as are records that find none at all (a VIOLATION that
# is lost takes its CAUSE with it, uncounted, as in the module).  Every
# CAUSE follows its VIOLATION.
t_bt_cause_lost() {
	local o=$WORK/o v c e lost try
	# Where the page fills depends on the timing of the windows: the case
	# of a CAUSE lost behind a VIOLATION that fit is looked for in up to
	# three runs, every run's counts checked.
	for try in 1 2 3; do
		drv "$o" open:ring=8 bind:$TGT,tgt_start,tgt_stop,10ms,cause \
			run:$TGT,pair,40,sleep,12 drain:timeout=500ms stats
		v=$(ev_count "$o" violation)
		c=$(ev_count "$o" cause)
		e=$(ev_count "$o" window_end)
		lost=$(awk '$2 == "type=lost" { for (f = 2; f <= NF; f++) if ($f ~ /^lost=/) s += substr($f, 6) } END { print s + 0 }' "$o")
		echo "# run $try: violations $v, causes $c, window ends $e, lost $lost"
		expect_eq "$(bstat "$o" violations)" 12 "violations"
		expect_eq "$((c + e + lost))" 24 "causes + window ends + lost"
		[ "$c" -ge 1 ] || fail "no CAUSE at all"
		expect_eq "$(bstat "$o" events_dropped)" "$lost" "events_dropped"
		awk '$1 == "event" && $2 == "type=cause" && prev != "type=violation" { exit 1 }
		     $1 == "event" { prev = $2 }' "$o" || fail "a CAUSE not right after a VIOLATION"
		[ "$c" -lt "$v" ] && return 0
	done
	fail "no CAUSE lost behind a VIOLATION that fit, in three runs"
}

# The cost: the object times what it does at expiry, and the stacks it
# takes at the switches of windows that capture causes.
t_bt_cause_cost() {
	local o=$WORK/o
	drv "$o" bind:$TGT,tgt_start,tgt_stop,2ms,cause run:$TGT,pair,10,sleep,20 \
		drain:timeout=300ms stats
	expect_eq "$(bstat "$o" causes)" 20 "causes captured (sleeping)"
	echo "# cause capture at expiry, sleeping task: $(( $(bstat "$o" cause_ns) / 20 )) ns per violation (TCG)"
	expect_gt "$(bstat "$o" stacks)" 19 "stacks taken"
	echo "# kernel stack at a switch out: $(( $(bstat "$o" stack_ns) / $(bstat "$o" stacks) )) ns per switch, $(bstat "$o" stacks) switches (TCG)"
	drv "$o" bind:$TGT,tgt_start,tgt_stop,5ms,cause run:$TGT,pair,20,busy,10 \
		drain:timeout=300ms stats
	expect_eq "$(bstat "$o" causes)" 10 "causes captured (running)"
	echo "# cause capture at expiry, running task: $(( $(bstat "$o" cause_ns) / 10 )) ns per violation (TCG)"
}

bt_cause_tests() {
	run_test "cause: nanosleep shows __schedule .. hrtimer_nanosleep, user IP, switches" t_bt_cause_nanosleep
	run_test "cause: read() of a pipe shows pipe_read" t_bt_cause_pipe
	run_test "cause: the last waker, in task context" t_bt_cause_waker
	run_test "cause: a waker from an interrupt (the sleep's timer)" t_bt_cause_waker_irq
	run_test "cause: a pinned SCHED_FIFO hog is named (curr, preemptor)" t_bt_cause_rt_hog
	run_test "cause: a busy loop's user IP lies in its function" t_bt_cause_busy_loop
	run_test "cause: off by default, per binding" t_bt_cause_off
	run_test "cause: a CAUSE without room is counted lost" t_bt_cause_lost
	run_test "cause: cost per capture" t_bt_cause_cost
}
