#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Selftests of the BPF monitor (bpf/): the module's functional scenarios
# that apply to bindings, run through bpf/tlob-bpf.h by tlob-bpf-drv.
# Runs as root in a test VM without tlob.ko (tests/bpf/run-suite boots
# one) and prints TAP on stdout.
#
# usage: selftest.sh --bindir DIR [--stress-seconds N] [--only REGEX]
#   --bindir DIR        where tlob-bpf-drv, tlob-target and tlob-symoff are
#   --stress-seconds N  length of the stress test (default 30; 0: skip it)
#   --only REGEX        run only the tests whose name matches
#
# Time inside a TCG VM is slow and noisy: budgets are tens of ms against
# sleeps of hundreds, but every assertion still distinguishes right from
# wrong behaviour.  tests/kmod/lib.sh provides the TAP runner and the
# assertion helpers; tlob-bpf-drv prints what tlob-drv prints.

set -u
BT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$BT_DIR/../kmod/lib.sh"
. "$BT_DIR/cause.sh"

bindir=
stress_seconds=30
while [ $# -gt 0 ]; do
	case "$1" in
	--bindir) bindir=$2; shift 2 ;;
	--stress-seconds) stress_seconds=$2; shift 2 ;;
	--only) KT_ONLY=$2; shift 2 ;;
	-h|--help) sed -n '3,17p' "$0"; exit 0 ;;
	*) echo "selftest.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
if [ -z "$bindir" ]; then
	echo "selftest.sh: --bindir is required" >&2
	exit 2
fi
if [ "$(id -u)" != 0 ]; then
	echo "selftest.sh: must run as root (in a test VM)" >&2
	exit 2
fi

# The helpers on tmpfs (uprobes on the 9p/overlay root are tested apart).
bt_setup() {
	WORK=$(mktemp -d /tmp/tlob-bt.XXXXXX)
	chmod 755 "$WORK"
	for p in tlob-bpf-drv tlob-bpf-bench tlob-target tlob-symoff; do
		install -m 755 "$bindir/$p" "$WORK/$p"
	done
	DRV=$WORK/tlob-bpf-drv
	BENCH=$WORK/tlob-bpf-bench
	TGT=$WORK/tlob-target
	SYMOFF=$WORK/tlob-symoff
	BINDIR_TGT=$bindir/tlob-target
	OFF_START=$("$SYMOFF" "$TGT" tgt_start)
	OFF_STOP=$("$SYMOFF" "$TGT" tgt_stop)
	CG_ROOT_ID=$(stat -c %i "$CGROOT")
	KT_DMESG_MARK=$(dmesg | wc -l)
	export DRV TGT SYMOFF WORK
}

# bstat FILE KEY: KEY of the last "stats" line.
bstat() {
	awk -v k="$2" '$1 == "stats" {
		for (f = 2; f <= NF; f++) { split($f, kv, "="); if (kv[1] == k) v = kv[2] }
	} END { print v }' "$1"
}

# ev_count_binding FILE TYPE BINDING
ev_count_binding() {
	grep -c "^event type=$2 .* binding=$3 " "$1" || true
}

# --- loading ------------------------------------------------------------------

t_load() {
	local t0 t1
	[ ! -d /sys/module/tlob ] || fail "tlob.ko is loaded: this suite tests the BPF monitor alone"
	[ -r /sys/kernel/btf/vmlinux ] || fail "no kernel BTF"
	t0=$(date +%s%N)
	drv "$WORK/o" open
	t1=$(date +%s%N)
	echo "# loading and verifying the object: $(( (t1 - t0) / 1000000 )) ms"
	# What its maps take (default sizes), while one copy is loaded.
	rm -f "$WORK/go"
	"$DRV" open bind:$TGT,tgt_start,tgt_stop,1s touch:$WORK/loaded waitfile:$WORK/go \
		>"$WORK/bg" 2>&1 &
	"$DRV" waitfile:$WORK/loaded,timeout=60s >/dev/null || { touch "$WORK/go"; wait; fail "no load"; }
	if command -v bpftool >/dev/null; then
		bpftool map show | awk '
			$2 ~ /^(array|queue|task_storage|ringbuf)$/ && $4 ~ /^tlob_/ { name = $4 }
			/memlock/ && name { for (f = 1; f <= NF; f++) if ($f == "memlock") sub("B$", "", $(f + 1));
				for (f = 1; f <= NF; f++) if ($f == "memlock") { printf "# map %s: %d KiB\n", name, $(f + 1) / 1024; sum += $(f + 1) } name = "" }
			END { printf "# maps in all: %d KiB\n", sum / 1024 }'
	fi
	touch "$WORK/go"
	wait $! || { cat "$WORK/bg"; fail "holder"; }
	drv "$WORK/o" open stats bind:$TGT,tgt_start,tgt_stop,1s stats
	expect_eq "$(bstat "$WORK/o" windows_max)" 4096 "windows_max (default)"
	expect_eq "$(bstat "$WORK/o" bindings)" 1 "bindings"
	expect_eq "$(bstat "$WORK/o" windows_in_use)" 0 "windows_in_use"
	drv "$WORK/o" open:max_windows=0 open =EALREADY close open:max_windows=2000000 =EINVAL
}

# --- bindings: arguments ----------------------------------------------------------

t_bind_errors() {
	local cg=$CGROOT/tlob-bt-bind deep
	mkdir -p "$cg"
	deep=$(printf 'l%d/' $(seq 1 33))
	drv "$WORK/o" bind:$TGT,tgt_start,tgt_stop,1s,fd=-1 =EBADF \
		bind:$TGT,tgt_start,tgt_stop,1s,fd=/ =EINVAL \
		bind:$TGT,tgt_start,tgt_stop,1s,flags=0x100 =EINVAL \
		bind:$TGT,tgt_start,tgt_stop,1s,reserved=65 =EINVAL \
		bind:$TGT,tgt_start,tgt_stop,1s,reserved=6 =EOPNOTSUPP \
		bind:$TGT,tgt_work,tgt_stop,1s,ret =EINVAL \
		bind:$TGT,tgt_start,tgt_start,1s =EINVAL \
		bind:$TGT,tgt_start,tgt_stop,0 =EINVAL \
		bind:$TGT,tgt_start,tgt_stop,3600000000001 =EINVAL \
		bind:$TGT,0x10000000,0x10000010,1s =EINVAL \
		bind:$TGT,tgt_start,tgt_stop,1s,cgroup=999999999 =ENOENT \
		bind:$TGT,tgt_start,tgt_stop,1s,cgpath= =EINVAL \
		bind:$TGT,tgt_start,tgt_stop,1s,cgpath=/a =EINVAL \
		bind:$TGT,tgt_start,tgt_stop,1s,cgpath=a//b =EINVAL \
		bind:$TGT,tgt_start,tgt_stop,1s,cgpath=a/../b =EINVAL \
		bind:$TGT,tgt_start,tgt_stop,1s,cgpath=a/. =EINVAL \
		bind:$TGT,tgt_start,tgt_stop,1s,cgpath=${deep%/} =ENAMETOOLONG \
		bind:$TGT,tgt_start,tgt_stop,1s \
		bind:$TGT,tgt_start,tgt_alt_stop,2s =EEXIST \
		bind:$TGT,tgt_start,tgt_stop,1s,cgroup=$cg \
		bind:$TGT,tgt_start,tgt_stop,1s,cgroup=$cg =EEXIST \
		bind:$TGT,tgt_start,tgt_stop,1s,cgpath=tlob-bt-bind \
		bind:$TGT,tgt_start,tgt_stop,1s,cgpath=tlob-bt-bind =EEXIST \
		bind:$TGT,tgt_start,0,1s,ret,cgpath=other =0 \
		stats
	expect_eq "$(bstat "$WORK/o" bindings)" 4 "bindings"
	rmdir "$cg"
}

t_bind_limit() {
	drv "$WORK/o" open:max_bindings=2 bind:$TGT,tgt_start,tgt_stop,1s \
		bind:$TGT,tgt_alt_start,tgt_alt_stop,1s \
		bind:$TGT,tgt_work,0,1s,ret =ENOSPC \
		unbind:@1 bind:$TGT,tgt_work,0,1s,ret statwait:bindings=2 \
		unbind:@2 unbind:@3 bind:$TGT,tgt_start,tgt_stop,1s \
		bind:$TGT,tgt_alt_start,tgt_alt_stop,1s statwait:bindings=2
}

t_unbind_ids() {
	local ids
	drv "$WORK/o" unbind:999999 =ENOENT unbind:0 =ENOENT \
		bind:$TGT,tgt_start,tgt_stop,1s unbind:@1 unbind:@1 =ENOENT \
		bind:$TGT,tgt_start,tgt_stop,1s unbind:@2 \
		bind:$TGT,tgt_start,tgt_stop,1s statwait:bindings=1
	ids=$(awk '$1 == "bind" { sub("id=", "", $2); print $2 }' "$WORK/o" | tr '\n' ' ')
	# shellcheck disable=SC2086
	set -- $ids
	[ $# = 3 ] && [ "$1" -lt "$2" ] && [ "$2" -lt "$3" ] || fail "ids reused: $ids"
}

t_list_info() {
	local o=$WORK/o
	drv "$o" bind:$TGT,tgt_start,tgt_stop,50ms,cookie=5 \
		bind:$TGT,tgt_alt_start,0,1s,ret,cgpath=tlob-bt.slice/app.service \
		bind:$TGT,tgt_work,0,2000,ret,cgroup=$CG_ROOT_ID \
		list list:owned info:@1 info:@2 info:@2,room=4 =ERANGE info:@3 \
		info:999999 =ENOENT info:@1,reserved=1 =EINVAL list:flags=2 =EINVAL \
		list:room=1
	grep "^list \|^info " "$o"
	expect_eq "$(kv "$o" list count)" 3 "all bindings"
	expect_eq "$(grep '^list ' "$o" | sed -n 2p | sed 's/.*count=\([0-9]*\).*/\1/')" 3 "owned: the same"
	grep -q "^list count=3 ids=$(kv "$o" bind id),[0-9]*,[0-9]*$" "$o" || fail "ids in order"
	grep -q "^info id=$(kv "$o" bind id) flags=0 start=$OFF_START stop=$OFF_STOP threshold_ns=50000000 cgroup=0 cookie=5 dev=$(stat -c %d "$TGT") ino=$(stat -c %i "$TGT") owner=1 cgroup_path_size=0 " "$o" ||
		fail "info of the first binding"
	grep -q "^info id=.* flags=3 .* cgroup=0 .* owner=1 cgroup_path_size=26 cgroup_path=tlob-bt.slice/app.service$" "$o" ||
		fail "info of the cgroup path binding"
	grep -q "^info id=.* flags=3 .* owner=1 cgroup_path_size=26 cgroup_path=$" "$o" || fail "ERANGE with the size"
	grep -q "^info id=.* flags=1 .* threshold_ns=2000 cgroup=$CG_ROOT_ID .* cgroup_path_size=0 " "$o" ||
		fail "info of the cgroup id binding"
	grep -q "^list count=3 ids=[0-9]*$" "$o" || fail "room=1 writes one id, counts all"
}

# --- the module's scenarios -------------------------------------------------------

t_sleeping_dominates() {
	local o=$WORK/o e s
	drv "$o" bind:$TGT,tgt_start,tgt_stop,50ms run:$TGT,pair,300,sleep read:2 bstats:@1
	expect_eq "$(ev "$o" violation 1 state)" sleeping "state at expiry"
	e=$(ev "$o" window_end 1 elapsed_ns)
	s=$(ev "$o" window_end 1 sleeping_ns)
	expect_range "$e" 300000000 5000000000 "elapsed_ns"
	expect_gt "$((s * 10))" "$((e * 8))" "sleeping_ns*10 vs elapsed_ns*8"
	check_breakdown "$o" window_end 1
	check_breakdown "$o" violation 1
	expect_eq "$(kv "$o" bstats windows)" 1 "windows"
	expect_eq "$(kv "$o" bstats violations)" 1 "violations"
}

t_waiting_dominates() {
	local o=$WORK/o e w
	drv "$o" bind:$TGT,tgt_start,tgt_stop,100ms run:$TGT,rt-preempt,400 read:2
	expect_eq "$(ev "$o" violation 1 state)" waiting "state at expiry"
	e=$(ev "$o" window_end 1 elapsed_ns)
	w=$(ev "$o" window_end 1 waiting_ns)
	expect_range "$e" 400000000 5000000000 "elapsed_ns"
	expect_gt "$((w * 10))" "$((e * 6))" "waiting_ns*10 vs elapsed_ns*6"
	check_breakdown "$o" window_end 1
}

# SCHED_FIFO, so that no other task of the VM (kernel threads finishing
# the previous test's teardown) can take the CPU: the section only runs.
t_running_dominates() {
	local o=$WORK/o e r
	drv "$o" bind:$TGT,tgt_start,tgt_stop,50ms run:/usr/bin/chrt,-f,5,$TGT,pair,300,busy read:2
	expect_eq "$(ev "$o" violation 1 state)" running "state at expiry"
	e=$(ev "$o" window_end 1 elapsed_ns)
	r=$(ev "$o" window_end 1 running_ns)
	expect_gt "$((r * 10))" "$((e * 6))" "running_ns*10 vs elapsed_ns*6"
	check_breakdown "$o" window_end 1
}

# A stopped task (SIGSTOP) is not running: it counts as sleeping.
t_stopped_is_sleeping() {
	local o=$WORK/o pid e s
	rm -f "$WORK/open" "$WORK/stopped"
	"$DRV" bind:$TGT,tgt_start,tgt_stop,100ms spawn:$TGT,pair,2000,busy \
		statwait:windows_in_use=1,timeout=20s touch:$WORK/open \
		waitfile:$WORK/stopped wait read:2 >"$o" 2>&1 &
	"$DRV" waitfile:$WORK/open,timeout=30s >/dev/null ||
		{ touch "$WORK/stopped"; wait; cat "$o"; fail "no window opened"; }
	pid=$(kv "$o" run pid)
	sleep 0.2
	kill -STOP "$pid"
	sleep 0.8
	kill -CONT "$pid"
	touch "$WORK/stopped"
	wait $! || { cat "$o"; fail "tlob-bpf-drv"; }
	cat "$o"
	e=$(ev "$o" window_end 1 elapsed_ns)
	s=$(ev "$o" window_end 1 sleeping_ns)
	expect_range "$s" 500000000 "$e" "sleeping_ns while stopped"
	check_breakdown "$o" window_end 1
}

t_violation_fields() {
	local o=$WORK/o pid id
	drv "$o" bind:$TGT,tgt_start,tgt_stop,50ms,cookie=0xdead run:$TGT,pair,300,sleep \
		read:2 read:0,timeout=300ms
	pid=$(kv "$o" run pid)
	id=$(kv "$o" bind id)
	for t in violation window_end; do
		expect_eq "$(ev "$o" $t 1 tgid)" "$pid" "$t tgid"
		expect_eq "$(ev "$o" $t 1 tid)" "$pid" "$t tid"
		expect_eq "$(ev "$o" $t 1 binding)" "$id" "$t binding"
		expect_eq "$(ev "$o" $t 1 cookie)" 57005 "$t cookie"
		expect_eq "$(ev "$o" $t 1 threshold_ns)" 50000000 "$t threshold"
		expect_eq "$(ev "$o" $t 1 comm)" tlob-target "$t comm"
		expect_eq "$(ev "$o" $t 1 cgroup)" "$CG_ROOT_ID" "$t cgroup"
		expect_eq "$(ev "$o" $t 1 size)" $EV_SIZE "$t size"
		expect_eq "$(ev "$o" $t 1 reserved)" 0 "$t reserved"
		expect_eq "$(ev "$o" $t 1 lost)" 0 "$t lost"
		check_breakdown "$o" $t 1
	done
	# At the deadline: elapsed is the budget, the breakdown sums to it.
	expect_eq "$(ev "$o" violation 1 elapsed_ns)" 50000000 "violation elapsed_ns"
	expect_eq "$(( $(ev "$o" violation 1 running_ns) + $(ev "$o" violation 1 waiting_ns) + $(ev "$o" violation 1 sleeping_ns) ))" \
		50000000 "violation breakdown sum"
	expect_range "$(ev "$o" window_end 1 elapsed_ns)" 300000000 5000000000 "window_end elapsed_ns"
	sed -n 's/^event type=\([a-z_]*\) .*/\1/p' "$o" | tr '\n' ' ' | grep -qx "violation window_end " ||
		fail "events not in order violation, window_end"
}

# The VIOLATION arrives when the budget expires, while the section runs.
t_violation_at_expiry() {
	local o=$WORK/o tv te nv
	drv "$o" bind:$TGT,tgt_start,tgt_stop,100ms spawn:$TGT,pair,1500,sleep \
		read:1,timeout=1100ms wait read:1
	nv=$(ev "$o" violation 1 now_ns)
	tv=$(ev "$o" violation 1 timestamp_ns)
	te=$(ev "$o" window_end 1 timestamp_ns)
	expect_eq "$(sed -n 's/^event type=\([a-z_]*\) .*/\1/p' "$o" | tr '\n' ' ')" "violation window_end " "records"
	expect_range "$nv" "$tv" "$((te - 1))" "VIOLATION read before the window ended"
	expect_range "$((te - tv))" 1200000000 6000000000 "from the deadline to STOP"
	expect_range "$(ev "$o" window_end 1 elapsed_ns)" 1500000000 6000000000 "final elapsed"
}

t_entry_return() {
	local o=$WORK/o
	drv "$o" bind:$TGT,tgt_work,0,50ms,ret run:$TGT,work,300,sleep read:2 bstats:@1
	expect_range "$(ev "$o" window_end 1 elapsed_ns)" 300000000 5000000000 "elapsed_ns"
	expect_eq "$(kv "$o" bstats windows)" 1 "windows"
	drv "$o" bind:$TGT,tgt_work,0,5s,ret run:$TGT,work,10,busy,3 read:0,timeout=500ms bstats:@1
	expect_eq "$(kv "$o" bstats windows)" 3 "windows within budget"
	expect_eq "$(kv "$o" bstats violations)" 0 "violations within budget"
}

t_recursion() {
	local o=$WORK/o
	drv "$o" bind:$TGT,tgt_recurse,0,50ms,ret run:$TGT,recurse,5,300,sleep read:2 \
		read:0,timeout=500ms bstats:@1
	expect_eq "$(kv "$o" bstats windows)" 1 "windows (entry->return, depth 5)"
	expect_range "$(ev "$o" window_end 1 elapsed_ns)" 300000000 5000000000 "elapsed_ns"
	drv "$o" bind:$TGT,tgt_start,tgt_stop,5s run:$TGT,nest,100,sleep bstats:@1
	expect_eq "$(kv "$o" bstats windows)" 1 "windows (nested entry->entry)"
	expect_range "$(kv "$o" bstats max_ns)" 300000000 5000000000 "outermost pair measured"
}

# An entry->return window whose return the kernel never sees (longjmp)
# ends at the next call: no window stays open.
t_uretprobe_longjmp() {
	local o=$WORK/o bid
	drv "$o" bind:$TGT,tgt_jumpy,0,50ms,ret run:$TGT,jumpy,100,3 \
		statwait:windows_in_use=0 bstats:@1 drain:timeout=1s
	bid=$(kv "$o" bind id)
	expect_eq "$(kv "$o" bstats windows)" 1 "completed windows (the call that returned)"
	expect_eq "$(kv "$o" bstats violations)" 1 "violations in the statistics"
	expect_eq "$(ev_count_binding "$o" violation "$bid")" 4 "VIOLATION records (each call over budget)"
	expect_eq "$(ev_count_binding "$o" window_end "$bid")" 1 "WINDOW_END records"
}

t_threads() {
	local o=$WORK/o pid
	drv "$o" bind:$TGT,tgt_start,tgt_stop,50ms run:$TGT,threads,4,300,sleep read:8 bstats:@1
	pid=$(kv "$o" run pid)
	expect_eq "$(ev_count "$o" violation)" 4 "violations"
	expect_eq "$(ev_count "$o" window_end)" 4 "window ends"
	expect_eq "$(grep '^event type=violation' "$o" | grep -o ' tid=[0-9]*' | sort -u | wc -l)" 4 "distinct tids"
	grep '^event ' "$o" | grep -v " tgid=$pid " && fail "tgid is not the process"
	grep '^event ' "$o" | grep " tid=$pid " && fail "main thread reported"
	expect_eq "$(kv "$o" bstats windows)" 4 "windows"
}

t_two_bindings() {
	local o=$WORK/o
	drv "$o" bind:$TGT,tgt_start,tgt_stop,50ms,cookie=1 \
		bind:$TGT,tgt_alt_start,tgt_alt_stop,5s,cookie=2 \
		run:$TGT,both,200,sleep read:2 read:0,timeout=500ms bstats:@1 bstats:@2
	expect_eq "$(ev "$o" violation 1 binding)" "$(kv "$o" bind id)" "violation binding"
	expect_eq "$(ev "$o" violation 1 cookie)" 1 "violation cookie"
	expect_eq "$(ev "$o" window_end 1 cookie)" 1 "window_end cookie"
	awk '$1 == "bstats" { print $3, $4 }' "$o" | tr '\n' ' ' |
		grep -qx "windows=1 violations=1 windows=1 violations=0 " || fail "binding stats"
	drv "$o" bind:$TGT,tgt_start,tgt_stop,5s,cookie=1 \
		bind:$TGT,tgt_alt_start,tgt_alt_stop,50ms,cookie=2 \
		run:$TGT,both,200,sleep read:2 read:0,timeout=500ms
	expect_eq "$(ev "$o" violation 1 cookie)" 2 "violation cookie"
	expect_eq "$(ev "$o" violation 1 threshold_ns)" 50000000 "violation threshold"
}

t_nested_bindings_one_task() {
	local o=$WORK/o
	drv "$o" bind:$TGT,tgt_start,tgt_stop,50ms,cookie=1 bind:$TGT,tgt_work,0,60ms,ret,cookie=2 \
		run:$TGT,pair,300,sleep read:4 bstats:@1 bstats:@2
	expect_eq "$(ev_count "$o" violation)" 2 "violations"
	expect_eq "$(grep '^event type=violation' "$o" | grep -o ' cookie=[0-9]*' | sort | tr -d '\n')" " cookie=1 cookie=2" "violation cookies"
	expect_eq "$(ev "$o" violation 1 tid)" "$(ev "$o" violation 2 tid)" "same task"
	expect_eq "$(awk '$1 == "bstats" { print $3, $4 }' "$o" | tr '\n' ' ')" "windows=1 violations=1 windows=1 violations=1 " "stats"
}

# Two bindings at the same probe addresses, for two cgroups: one breakpoint,
# two probes, each binding its own windows.
t_same_probe_two_bindings() {
	local o=$WORK/o cg=$CGROOT/tlob-bt-same
	mkdir -p "$cg/sub"
	drv "$o" bind:$TGT,tgt_start,tgt_stop,5s,cgroup=$CG_ROOT_ID \
		bind:$TGT,tgt_start,tgt_stop,5s,cgroup=$cg \
		runcg:$cg/sub,$TGT,pair,10,busy,3 run:$TGT,pair,10,busy,2 \
		bstats:@1 bstats:@2
	expect_eq "$(awk '$1 == "bstats" { print $3 }' "$o" | tr '\n' ' ')" "windows=5 windows=3 " "windows of each"
	rmdir "$cg/sub" "$cg"
}

t_no_binding_no_events() {
	drv "$WORK/o" run:$TGT,pair,100,sleep,3 read:0,timeout=1s \
		bind:$TGT,tgt_start,tgt_stop,10ms unbind:@1 run:$TGT,pair,100,sleep,2 \
		read:0,timeout=1s stats
	expect_eq "$(bstat "$WORK/o" windows_started)" 0 "windows_started"
}

# STOP without START is ignored; a window never stopped ends with the task.
t_unpaired_probes() {
	local o=$WORK/o
	drv "$o" bind:$TGT,tgt_alt_start,tgt_stop,5s run:$TGT,pair,10,busy,3 bstats:@1 \
		run:$TGT,alt,10,busy,2 statwait:windows_in_use=0 bstats:@1 read:0,timeout=300ms
	expect_eq "$(awk '$1 == "bstats" { print $3 }' "$o" | tr '\n' ' ')" "windows=0 windows=0 " "completed windows"
}

t_task_exit_in_window() {
	local o=$WORK/o
	drv "$o" bind:$TGT,tgt_start,tgt_stop,100ms run:$TGT,exit-in,400 read:1 \
		read:0,timeout=800ms statwait:windows_in_use=0 bstats:@1 unbind:@1 \
		bind:$TGT,tgt_start,tgt_stop,5s run:$TGT,thread-exit-in,4,300 \
		statwait:windows_in_use=0 read:0,timeout=300ms bstats:@2
	expect_eq "$(ev_count "$o" violation)" 1 "violation before the exit"
	expect_eq "$(ev_count "$o" window_end)" 0 "window_end after exit"
	expect_eq "$(awk '$1 == "bstats" { print $3 }' "$o" | tr '\n' ' ')" "windows=0 windows=0 " "completed windows"
}

# execve() ends the windows of the task: nothing is measured or reported
# for the new program (which runs well past the budget).
t_exec_ends_window() {
	local o=$WORK/o
	drv "$o" bind:$TGT,tgt_start,tgt_stop,1s run:$TGT,exec-in,/bin/sleep,2 \
		statwait:windows_in_use=0 bstats:@1 drain:timeout=1s stats
	expect_eq "$(kv "$o" bstats windows)" 0 "completed windows"
	expect_eq "$(ev_count "$o" violation)" 0 "VIOLATION records after exec"
	expect_eq "$(bstat "$o" windows_started)" 1 "the window was opened"
}

# --- cgroups ------------------------------------------------------------------------

t_cgroup_filter() {
	local o=$WORK/o cg=$CGROOT/tlob-bt-cg
	mkdir -p "$cg/sub"
	drv "$o" bind:$TGT,tgt_start,tgt_stop,50ms,cgroup=$cg run:$TGT,pair,100,sleep \
		read:0,timeout=300ms bstats:@1 runcg:$cg,$TGT,pair,100,sleep read:2 \
		runcg:$cg/sub,$TGT,pair,100,sleep read:2 bstats:@1
	expect_eq "$(awk '$1 == "bstats" { print $3 }' "$o" | tr '\n' ' ')" "windows=0 windows=2 " "windows outside, then inside"
	expect_eq "$(ev "$o" violation 1 cgroup)" "$(stat -c %i "$cg")" "cgroup id in the event"
	expect_eq "$(ev "$o" violation 2 cgroup)" "$(stat -c %i "$cg/sub")" "descendant cgroup id"
	rmdir "$cg/sub" "$cg"
}

# A binding filtered by cgroup path exists before the cgroup, measures
# tasks in it and below it from their first instruction, and goes on
# across its removal and re-creation (a unit restarted).
t_cgroup_path_binding() {
	local o=$WORK/o slice=$CGROOT/tlob-bt-path.slice cg
	cg=$slice/app.service
	rmdir "$cg/sub" "$cg" "$slice/other.service" "$slice/app.service2" \
		"$slice/app.servic" "$slice" 2>/dev/null || true
	rm -f "$WORK/step1" "$WORK/step2"
	"$DRV" bind:$TGT,tgt_start,tgt_stop,5s,cgpath=tlob-bt-path.slice/app.service \
		run:$TGT,pair,10,busy,2 bstats:@1 touch:$WORK/step1 waitfile:$WORK/go1 \
		bstats:@1 touch:$WORK/step2 waitfile:$WORK/go2 bstats:@1 >"$o" 2>&1 &
	"$DRV" waitfile:$WORK/step1,timeout=30s >/dev/null || { wait; cat "$o"; fail "step 1"; }
	mkdir -p "$cg/sub" "$slice/other.service" "$slice/app.service2" "$slice/app.servic"
	for c in "$cg" "$slice/other.service" "$slice/app.service2" "$slice/app.servic"; do
		"$DRV" runcg:$c,$TGT,pair,10,busy,2 >/dev/null
	done
	touch "$WORK/go1"
	"$DRV" waitfile:$WORK/step2,timeout=30s >/dev/null || { wait; cat "$o"; fail "step 2"; }
	rmdir "$cg/sub" "$cg"
	mkdir -p "$cg/sub"
	"$DRV" runcg:$cg/sub,$TGT,pair,10,busy,2 >/dev/null
	"$DRV" runcg:$cg,$TGT,pair,10,busy,1 >/dev/null
	touch "$WORK/go2"
	wait $! || { cat "$o"; fail "holder"; }
	cat "$o"
	expect_eq "$(awk '$1 == "bstats" { print $3 }' "$o" | tr '\n' ' ')" "windows=0 windows=2 windows=5 " \
		"windows: none before the cgroup, 2 in it (not in its siblings), 5 after re-creation"
	rmdir "$cg/sub" "$cg" "$slice/other.service" "$slice/app.service2" "$slice/app.servic" "$slice"
}

# The path is matched level by level down to its depth, deeper cgroups too.
t_cgroup_path_deep() {
	local o=$WORK/o base=$CGROOT/tlob-bt-deep p="" i
	for i in $(seq 1 9); do
		p="$p/l$i"
	done
	mkdir -p "$base$p"
	drv "$o" bind:$TGT,tgt_start,tgt_stop,5s,cgpath=tlob-bt-deep/l1/l2/l3/l4/l5/l6/l7/l8/l9 \
		bind:$TGT,tgt_alt_start,tgt_alt_stop,5s,cgpath=tlob-bt-deep/l1/l2 \
		runcg:$base$p,$TGT,both,5,busy runcg:$base/l1/l2/l3,$TGT,both,5,busy \
		runcg:$base/l1,$TGT,both,5,busy bstats:@1 bstats:@2
	expect_eq "$(awk '$1 == "bstats" { print $3 }' "$o" | tr '\n' ' ')" "windows=1 windows=2 " "windows at depth 9 and 2"
	rmdir $(for i in $(seq 9 -1 1); do d=$base; for j in $(seq 1 "$i"); do d=$d/l$j; done; echo "$d"; done) "$base"
}

# A binding whose cgroup (by id) is removed opens nothing more.
t_cgroup_id_deleted() {
	local cg=$CGROOT/tlob-bt-gone
	mkdir -p "$cg"
	drv "$WORK/o" bind:$TGT,tgt_start,tgt_stop,5s,cgroup=$cg run:/bin/rmdir,$cg \
		run:$TGT,pair,10,busy,2 bstats:@1
	expect_eq "$(kv "$WORK/o" bstats windows)" 0 "windows in a removed cgroup"
}

# A task has at most 8 windows open at once: the ninth binding counts a
# miss, as the module counts a missed window when its pool is empty.
t_task_window_limit() {
	local o=$WORK/o base=$CGROOT/tlob-bt-lim p="" i args=()
	for i in $(seq 1 9); do
		p="$p/m$i"
		args+=("bind:$TGT,tgt_start,tgt_stop,5s,cgpath=tlob-bt-lim${p}")
	done
	mkdir -p "$base$p"
	drv "$o" "${args[@]}" runcg:$base$p,$TGT,pair,5,busy stats \
		$(for i in $(seq 1 9); do echo "missed:@$i"; done)
	expect_eq "$(bstat "$o" windows_started)" 8 "windows opened"
	expect_eq "$(bstat "$o" windows_completed)" 8 "windows completed"
	expect_eq "$(bstat "$o" windows_missed)" 1 "windows missed"
	expect_eq "$(bstat "$o" windows_in_use)" 0 "windows left open"
	expect_eq "$(awk '$1 == "missed" { sub("missed=", "", $3); s += $3 } END { print s + 0 }' "$o")" 1 "missed by the bindings"
	rmdir $(for i in $(seq 9 -1 1); do d=$base; for j in $(seq 1 "$i"); do d=$d/m$j; done; echo "$d"; done) "$base"
}

# --- windows pool, statistics, records --------------------------------------------

t_pool_exhaustion() {
	local o=$WORK/o
	drv "$o" open:max_windows=2 bind:$TGT,tgt_start,tgt_stop,5s \
		run:$TGT,threads,4,300,sleep stats bstats:@1 missed:@1 \
		run:$TGT,threads,2,10,sleep bstats:@1
	expect_eq "$(bstat "$o" windows_missed)" 2 "windows missed (pool of 2, 4 threads)"
	expect_eq "$(kv "$o" missed missed)" 2 "missed by the binding"
	expect_eq "$(awk '$1 == "bstats" { print $3 }' "$o" | tr '\n' ' ')" "windows=2 windows=4 " "windows, then the pool recovered"
}

t_binding_stats() {
	local o=$WORK/o want
	drv "$o" bind:$TGT,tgt_start,tgt_stop,50ms run:$TGT,pair,60,sleep \
		run:$TGT,pair,150,sleep run:$TGT,pair,400,sleep read:6 bstats:@1 \
		bstats:999999 =ENOENT
	expect_eq "$(kv "$o" bstats windows)" 3 "windows"
	expect_eq "$(kv "$o" bstats violations)" 3 "violations"
	want=$(awk '$2 == "type=window_end" {
			for (f = 2; f <= NF; f++) if ($f ~ /^elapsed_ns=/) x = substr($f, 12) + 0
			sum += x; if (x > max) max = x
			b = 0; while (b < 39 && x >= 2 ^ (b + 1)) b++
			h[b]++
		}
		END {
			printf "max_ns=%d sum_ns=%d hist=", max, sum
			sep = ""
			for (b = 0; b < 40; b++) if (b in h) { printf "%s%d:%d", sep, b, h[b]; sep = ";" }
			print ""
		}' "$o")
	expect_eq "$(grep -o 'max_ns=[0-9]* sum_ns=[0-9]* hist=[0-9:;]*' "$o" | head -n 1)" "$want" "statistics vs WINDOW_END records"
	# Within budget: counted, no record.
	drv "$o" bind:$TGT,tgt_start,tgt_stop,5s run:$TGT,pair,10,busy,4 \
		read:0,timeout=300ms bstats:@1
	expect_eq "$(kv "$o" bstats windows)" 4 "windows within budget"
	expect_eq "$(kv "$o" bstats violations)" 0 "violations within budget"
	expect_eq "$(kv "$o" bstats hist_sum)" 4 "histogram total"
}

# Windows of 1 us end (STOP) after their budget, often before the timer
# could fire: each is violated, and records and statistics agree.
t_deadline_stop() {
	local o=$WORK/o bid
	drv "$o" bind:$TGT,tgt_start,tgt_stop,1us run:$TGT,pair,0,busy,50 bstats:@1 \
		drain:timeout=2s stats
	bid=$(kv "$o" bind id)
	expect_eq "$(kv "$o" bstats windows)" 50 "binding windows"
	expect_eq "$(kv "$o" bstats violations)" 50 "binding violations"
	expect_eq "$(ev_count_binding "$o" violation "$bid")" 50 "VIOLATION records"
	expect_eq "$(ev_count_binding "$o" window_end "$bid")" 50 "WINDOW_END records"
	expect_eq "$(bstat "$o" violations)" 50 "violations counter"
	awk -v b="binding=$bid" '$1 == "event" && $2 == "type=violation" && index($0, " " b " ") {
		for (f = 2; f <= NF; f++) { split($f, kv, "="); v[kv[1]] = kv[2] }
		if (v["elapsed_ns"] != v["threshold_ns"] ||
		    v["running_ns"] + v["waiting_ns"] + v["sleeping_ns"] != v["elapsed_ns"]) {
			print "bad VIOLATION: " $0; bad = 1 }
	} END { exit bad }' "$o" || fail "VIOLATION figures at the deadline"
	# Each window's VIOLATION comes before its WINDOW_END.
	awk '$1 == "event" && ($2 == "type=violation" || $2 == "type=window_end") {
		for (f = 2; f <= NF; f++) { split($f, kv, "="); v[kv[1]] = kv[2] }
		if ($2 == "type=violation") open[v["tid"]]++
		else if (!open[v["tid"]]--) { print "WINDOW_END first: " $0; bad = 1 }
	} END { exit bad }' "$o" || fail "record order"
}

# Records that find the ring full are counted and reported by LOST.
t_lost() {
	local o=$WORK/o nonlost lost nlost
	# The ring holds one page (34 records); 60 violated windows make 120.
	drv "$o" open:ring=8 bind:$TGT,tgt_start,tgt_stop,1ms run:$TGT,pair,3,sleep,60 \
		drain:timeout=500ms run:$TGT,pair,3,sleep,1 drain:timeout=500ms stats
	nonlost=$(( $(ev_count "$o" violation) + $(ev_count "$o" window_end) ))
	nlost=$(ev_count "$o" lost)
	lost=$(awk '$2 == "type=lost" { for (f = 2; f <= NF; f++) if ($f ~ /^lost=/) s += substr($f, 6) } END { print s + 0 }' "$o")
	echo "# delivered $nonlost, lost $lost in $nlost LOST records"
	[ "$nlost" -ge 1 ] || fail "no LOST record"
	expect_eq "$(bstat "$o" events_dropped)" "$lost" "events_dropped"
	expect_range "$nonlost" 2 40 "records delivered"
	expect_eq "$((nonlost + lost))" 122 "delivered + lost records"
	awk '$2 == "type=lost" && $0 ~ / lost=0 / { exit 1 }' "$o" || fail "LOST record with lost=0"
	# As soon as there is room: reading made room, before the next window.
	awk '$1 == "drain" { exit } $2 == "type=lost" { found = 1 } END { exit !found }' "$o" ||
		fail "LOST not reported before the next event"
}

t_poll() {
	drv "$WORK/o" bind:$TGT,tgt_start,tgt_stop,50ms poll:300ms =ETIMEDOUT \
		spawn:$TGT,pair,300,sleep poll:5s read:1 wait read:1
}

# Unbinding closes the binding's open windows without a report; records
# already queued stay.
t_unbind_closes_windows() {
	local o=$WORK/o
	drv "$o" bind:$TGT,tgt_start,tgt_stop,5s spawn:$TGT,pair,1500,sleep \
		statwait:windows_in_use=1 unbind:@1 stats wait read:0,timeout=300ms \
		bind:$TGT,tgt_start,tgt_stop,50ms spawn:$TGT,pair,1500,sleep read:1 \
		unbind:@2 wait read:0,timeout=300ms statwait:windows_in_use=0 stats
	expect_eq "$(awk '$1 == "stats" { for (f = 2; f <= NF; f++) if ($f ~ /^windows_in_use=/) print $f }' "$o" | head -n 1)" \
		"windows_in_use=0" "windows_in_use right after unbind"
	expect_eq "$(bstat "$o" windows_reaped)" 2 "windows closed by unbind"
	expect_eq "$(ev_count "$o" violation)" 1 "the VIOLATION queued before unbind"
	expect_eq "$(ev_count "$o" window_end)" 0 "no WINDOW_END after unbind"
}

# Unloading with windows open: every target survives, nothing stays.
t_close_live_windows() {
	local o=$WORK/o
	drv "$o" bind:$TGT,tgt_start,tgt_stop,100ms bind:$TGT,tgt_work,0,5s,ret \
		spawn:$TGT,pair,1500,sleep,2 spawn:$TGT,threads,4,1500,busy \
		statwait:windows_in_use=10,timeout=10s close wait
	expect_eq "$(grep -c '^exit .* status=0 signal=0' "$o")" 2 "targets exited normally"
}

t_shared_library() {
	local o=$WORK/o cg=$CGROOT/tlob-bt-lib libc
	libc=$(ldd "$TGT" | awk '$1 ~ /^libc\.so/ { print $3 }')
	[ -f "$libc" ] || fail "no libc found for $TGT"
	libc=$(readlink -f "$libc")
	mkdir -p "$cg"
	drv "$o" bind:$libc,nanosleep,0,50ms,ret,cgroup=$cg runcg:$cg,$TGT,work,200,sleep \
		read:2 bstats:@1
	expect_eq "$(kv "$o" bstats windows)" 1 "windows"
	expect_range "$(ev "$o" window_end 1 elapsed_ns)" 200000000 5000000000 "elapsed_ns"
	expect_eq "$(ev "$o" window_end 1 comm)" tlob-target "comm"
	rmdir "$cg"
}

t_overlay_binary() {
	local o=$WORK/o
	echo "# $BINDIR_TGT is on $(stat -f -c %T "$BINDIR_TGT")"
	drv "$o" bind:$BINDIR_TGT,tgt_start,tgt_stop,50ms run:$BINDIR_TGT,pair,200,sleep read:2
}

# Processes opening and closing windows of three bindings in a loop (an RT
# hog preempting them now and then), while another loaded copy of the
# object binds and unbinds the same probes: nothing left open, no kernel
# complaint.
t_stress() {
	local o=$WORK/o secs=$stress_seconds churn end
	end=$(( $(date +%s) + secs ))
	(
		n=0
		while [ "$(date +%s)" -lt "$end" ]; do
			"$DRV" bind:$TGT,tgt_start,tgt_stop,1ms bind:$TGT,tgt_work,0,1ms,ret \
				sleep:200ms unbind:@1 sleep:100ms >/dev/null || exit 1
			n=$((n + 1))
		done
		echo "$n" >"$WORK/churn"
	) &
	churn=$!
	drv "$o" bind:$TGT,tgt_start,tgt_stop,2ms bind:$TGT,tgt_alt_start,tgt_alt_stop,1ms \
		bind:$TGT,tgt_recurse,0,1ms,ret \
		spawn:$TGT,loop,$secs spawn:$TGT,loop,$secs spawn:$TGT,loop,$secs \
		spawn:$TGT,rt-preempt,1000 \
		drain:timeout=3s wait statwait:windows_in_use=0 stats \
		bstats:@1 bstats:@2 bstats:@3 >/dev/null
	wait "$churn" || fail "the binding churn failed"
	grep -E '^(stats|bstats|drain)' "$o" | sed 's/^/# /'
	echo "# $(cat "$WORK/churn") bind/unbind rounds of a second copy"
	expect_eq "$(bstat "$o" windows_in_use)" 0 "windows left open"
	expect_gt "$(bstat "$o" windows_completed)" 100 "windows completed"
	dmesg_check
}

t_dmesg_clean() {
	dmesg_check
}

# What the monitor costs, from inside the measured processes: medians of
# interleaved rounds, printed as diagnostics (TCG timings: only the
# ratios of one boot mean something; run-suite --icount steadies them).
# The test itself checks that every measured window was one, exactly.
t_bench() {
	local o=$WORK/o b=$WORK/bench loops=10000 n=5000 rounds=3 r
	local cg=$CGROOT/tlob-bt-bench.slice/b.service
	mkdir -p "$cg"
	: >"$b"
	for r in $(seq 1 $rounds); do
		"$BENCH" pingpong $loops | sed 's/^/unloaded /' >>"$b"
		drv "$o" bind:$TGT,tgt_start,tgt_stop,1h run:$BENCH,pingpong,$loops >/dev/null
		grep '^pingpong' "$o" | sed 's/^/idle /' >>"$b"
		drv "$o" bind:$BENCH,bench_begin,bench_end,1h run:$BENCH,pingpong,$loops \
			bstats:@1 >/dev/null
		expect_eq "$(kv "$o" bstats windows)" 1 "ping-pong window"
		grep '^pingpong' "$o" | sed 's/^/monitored /' >>"$b"
		drv "$o" bind:$BENCH,bench_begin,bench_end,1h run:$BENCH,pingpong,$loops,both \
			bstats:@1 >/dev/null
		expect_eq "$(kv "$o" bstats windows)" 2 "ping-pong windows (both)"
		grep '^pingpong' "$o" | sed 's/^/monitored-both /' >>"$b"

		"$BENCH" pairs $n | sed 's/^/none /' >>"$b"
		drv "$o" bind:$BENCH,bench_begin,bench_end,1h run:$BENCH,pairs,$n bstats:@1 >/dev/null
		expect_eq "$(kv "$o" bstats windows)" $n "windows of the pairs"
		grep '^pairs' "$o" | sed 's/^/bound /' >>"$b"
		drv "$o" bind:$BENCH,bench_begin,bench_end,1h,cgpath=tlob-bt-bench.slice/b.service \
			runcg:$cg,$BENCH,pairs,$n bstats:@1 >/dev/null
		expect_eq "$(kv "$o" bstats windows)" $n "windows of the pairs (path filter)"
		grep '^pairs' "$o" | sed 's/^/bound-path /' >>"$b"
		drv "$o" bind:$BENCH,bench_begin,bench_end,1h,cgroup=$cg run:$BENCH,pairs,$n \
			bstats:@1 >/dev/null
		expect_eq "$(kv "$o" bstats windows)" 0 "windows of the pairs (filtered out)"
		grep '^pairs' "$o" | sed 's/^/filtered /' >>"$b"
	done
	rmdir "$cg" "$(dirname "$cg")"
	awk -v rounds=$rounds '
	function median(k,    n, a, i, j, t) {
		n = split(v[k], a, " ")
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	{ for (f = 2; f <= NF; f++) if ($f ~ /^ns_per_/) { sub(/^ns_per_[a-z]*=/, "", $f); v[$1] = v[$1] " " $f } }
	END {
		u = median("unloaded"); p = median("none")
		printf "# sched (ping-pong round trip, medians of %d): unloaded %d ns, idle %d ns (%.3f), monitored %d ns (%.3f), monitored-both %d ns (%.3f)\n",
			rounds, u, median("idle"), median("idle") / u, median("monitored"), median("monitored") / u,
			median("monitored-both"), median("monitored-both") / u
		printf "# uprobes (START+STOP pair): unprobed %d ns, bound %d ns (+%d), path filter %d ns (+%d), filtered out %d ns (+%d)\n",
			p, median("bound"), median("bound") - p, median("bound-path"), median("bound-path") - p,
			median("filtered"), median("filtered") - p
	}' "$b"
}

bt_setup
trap kt_cleanup EXIT
tap_begin
echo "# kernel $(uname -r), BPF monitor through $DRV"

run_test "load: the object loads on this kernel without tlob.ko" t_load
run_test "bind: EBADF, EINVAL, ENOENT, EEXIST, ENAMETOOLONG, EOPNOTSUPP (signal)" t_bind_errors
run_test "bind: max_bindings gives ENOSPC and recovers" t_bind_limit
run_test "unbind: ENOENT; ids are not reused" t_unbind_ids
run_test "LIST_BINDINGS, BINDING_INFO: ids, file, cookie, cgroup id and path" t_list_info
run_test "scenario: sleeping_ns dominates when blocked" t_sleeping_dominates
run_test "scenario: waiting_ns dominates under an RT hog on the same CPU" t_waiting_dominates
run_test "scenario: running_ns dominates when busy" t_running_dominates
run_test "scenario: a stopped task (SIGSTOP) counts as sleeping" t_stopped_is_sleeping
run_test "scenario: violation fields, figures at the deadline, order" t_violation_fields
run_test "events: VIOLATION at budget expiry, while the section runs" t_violation_at_expiry
run_test "bind: entry->return (uretprobe)" t_entry_return
run_test "bind: recursion counted once" t_recursion
run_test "bind: an entry->return window left by longjmp() ends at the next call" t_uretprobe_longjmp
run_test "bind: threads of one process each get a window" t_threads
run_test "scenario: two bindings on one binary fire independently" t_two_bindings
run_test "bind: two bindings' windows open on one task" t_nested_bindings_one_task
run_test "bind: two bindings on the same probes, for two cgroups" t_same_probe_two_bindings
run_test "scenario: no events without a binding" t_no_binding_no_events
run_test "bind: STOP without START ignored, unstopped window freed at exit" t_unpaired_probes
run_test "bind: task exit inside a window frees it without WINDOW_END" t_task_exit_in_window
run_test "exec: execve() ends the task's windows without a record" t_exec_ends_window
run_test "cgroup: filter by id, descendants included" t_cgroup_filter
run_test "cgroup: filter by path before the cgroup exists, across its re-creation" t_cgroup_path_binding
run_test "cgroup: paths matched level by level, nine levels deep" t_cgroup_path_deep
run_test "cgroup: a binding of a removed cgroup opens nothing" t_cgroup_id_deleted
run_test "windows: at most 8 open per task, the rest counted missed" t_task_window_limit
run_test "windows: pool exhaustion counts missed windows and recovers" t_pool_exhaustion
run_test "BINDING_STATS: counts, max, sum, log2 histogram" t_binding_stats
run_test "deadline: STOP after the budget is violated wherever the timer is" t_deadline_stop
run_test "events: LOST on ring overflow (one-page ring)" t_lost
run_test "poll: POLLIN when a record is queued" t_poll
run_test "unbind: open windows closed without a report, queued records stay" t_unbind_closes_windows
run_test "close: unloading with live windows, targets survive" t_close_live_windows
run_test "bind: entry->return on a shared library (libc nanosleep), cgroup-scoped" t_shared_library
run_test "bind: binary on the VM's overlay/9p root" t_overlay_binary
bt_cause_tests
if [ "$stress_seconds" -gt 0 ]; then
	run_test "stress: ${stress_seconds}s of windows, bindings and unbindings" t_stress
fi
run_test "bench: the scheduler hooks and the uprobe path, every window counted" t_bench
run_test "dmesg: clean" t_dmesg_clean
tap_end
[ "$KT_FAILED" -eq 0 ]
