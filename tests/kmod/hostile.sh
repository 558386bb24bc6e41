# SPDX-License-Identifier: GPL-2.0
# Sourced by selftest.sh: what an unprivileged or careless user could do
# to the monitor (isolation), and the exactness rules of its reports
# (deadline, exec, poll, ids), the management of bindings (monitor writes,
# escaping, capabilities, LIST/INFO, cgroup paths).  hostile_tests
# registers them with run_test.

# Sum of lost= over the records of TYPE in FILE.
ev_sum_lost() {
	awk -v t="type=$2" '$1 == "event" && $2 == t {
		for (f = 2; f <= NF; f++) if ($f ~ /^lost=/) s += substr($f, 6)
	} END { print s + 0 }' "$1"
}

# Records of TYPE and binding ID in FILE.
ev_count_binding() {
	grep -c "^event type=$2 .* binding=$3 " "$1" || true
}

# The monitor file's escaping of a name (space, tab, newline, backslash).
mon_escape() {
	python3 -c 'import sys
s = sys.argv[1]
print("".join("\\%03o" % ord(c) if c in " \t\n\\" else c for c in s), end="")' "$1"
}

# --- isolation ----------------------------------------------------------------

# Flooders as nobody: N processes of 1 ns windows for SECONDS, started by
# $PUB/go, each touching $PUB/flood-done-I when done.
start_flooders() {
	local n=$1 secs=$2 i
	rm -f "$PUB/go" "$PUB"/flood-done-*
	for i in $(seq 1 "$n"); do
		as_nobody sh -c "'$DRV' waitfile:$PUB/go,timeout=60s flood:$secs >'$PUB/flood-$i' 2>&1; touch '$PUB/flood-done-$i'" &
	done
}

flood_wait_ops() {
	local i
	for i in $(seq 1 "$1"); do
		printf 'waitfile:%s,timeout=120s ' "$PUB/flood-done-$i"
	done
}

# A slow TLOB_SUB_ALL reader (it reads only at the end) gets every record
# of a binding while unprivileged users flood with violated windows.
iso_flood() {
	local o=$WORK/o n=20 bid got supp lost
	start_flooders 4 6
	# shellcheck disable=SC2046 # one op per word
	drv "$o" fd:1 sub:all fd:0 bind:$TGT,tgt_start,tgt_stop,20ms,cookie=77 \
		touch:$PUB/go run:$TGT,pair,60,sleep,$n $(flood_wait_ops 4) \
		fd:1 drain:timeout=2s
	wait
	cat "$PUB"/flood-[0-9]*
	bid=$(kv "$o" bind id)
	got=$(ev_count_binding "$o" violation "$bid")
	supp=$(ev_sum_lost "$o" suppressed)
	lost=$(ev_sum_lost "$o" lost)
	echo "# binding violations delivered: $got of $n; self-instrumented suppressed: $supp; lost: $lost"
	expect_eq "$got" "$n" "VIOLATION records of the binding"
	expect_eq "$(ev_count_binding "$o" window_end "$bid")" "$n" "WINDOW_END records of the binding"
	expect_gt "$supp" 0 "self-instrumented violations withheld (SUPPRESSED)"
	expect_eq "$lost" 0 "records lost"
}

t_iso_flood() {
	iso_flood
}

# The same with no rate limit: the share of the ring alone protects.
t_iso_flood_share() {
	reload self_event_rate=1000000000
	iso_flood
	reload
}

# Exactly as many violations reach a subscriber (records) or are counted
# there (SUPPRESSED) as happened; at most about self_event_rate a second
# get through.
t_iso_rate() {
	local o=$WORK/o v e s
	reload self_event_rate=5
	rm -f "$PUB/ready" "$PUB/done"
	as_nobody sh -c "'$DRV' waitfile:$PUB/ready,timeout=60s loop:40,1us,0 >'$PUB/loop' 2>&1; touch '$PUB/done'" &
	drv "$o" fd:1 sub:all touch:$PUB/ready waitfile:$PUB/done,timeout=120s \
		drain:timeout=2s
	wait
	cat "$PUB/loop"
	expect_eq "$(kv "$PUB/loop" loop over)" 40 "violated windows"
	v=$(ev_count_binding "$o" violation 0)
	e=$(ev_count_binding "$o" window_end 0)
	s=$(ev_sum_lost "$o" suppressed)
	echo "# delivered $v, suppressed $s"
	expect_eq "$((v + s))" 40 "delivered + suppressed violations"
	expect_range "$v" 1 20 "violations delivered at 5/s"
	expect_eq "$e" "$v" "WINDOW_END records follow their VIOLATION"
	expect_eq "$(stat_get events_suppressed)" "$s" "events_suppressed"
	reload
}

# A thousand fds that self-instrumented pin little memory (the big ring
# comes only with BIND and SUBSCRIBE, which need CAP_PERFMON).
t_iso_memory() {
	local before during used
	rm -f "$PUB/ready" "$PUB/go"
	before=$(awk '$1 == "MemAvailable:" { print $2 }' /proc/meminfo)
	(ulimit -n 4096
	 as_nobody "$DRV" multistart:1000,1s,stop touch:$PUB/ready \
		waitfile:$PUB/go,timeout=120s >"$WORK/bg" 2>&1) &
	"$DRV" waitfile:$PUB/ready,timeout=120s >/dev/null || { cat "$WORK/bg"; fail "multistart"; }
	during=$(awk '$1 == "MemAvailable:" { print $2 }' /proc/meminfo)
	touch "$PUB/go"
	wait $! || { cat "$WORK/bg"; fail "holder"; }
	grep -q "started=1000" "$WORK/bg" || { cat "$WORK/bg"; fail "not 1000 fds"; }
	used=$(( (before - during) / 1024 ))
	echo "# 1000 self-instrumented fds of nobody: ${used} MiB"
	[ "$used" -le 8 ] || fail "1000 fds of an unprivileged user pin ${used} MiB"
}

# A user namespace with many uids does not multiply max_user_windows: its
# windows are charged to the user who created it.
t_iso_userns() {
	local pid i
	reload max_user_windows=4
	rm -f "$PUB/mapped"
	# Not as_nobody: an empty bounding set would strip the namespace's
	# root of the capabilities it needs to switch uids.
	setpriv --reuid=65534 --regid=65534 --clear-groups -- unshare --user -- sh -c "while [ ! -e '$PUB/mapped' ]; do sleep 0.1; done; exec '$DRV' uidwindows:32,1,10s" \
		>"$WORK/o" 2>&1 &
	pid=$!
	for i in $(seq 1 100); do
		[ "$(readlink "/proc/$pid/ns/user")" != "$(readlink /proc/self/ns/user)" ] && break
		sleep 0.1
	done
	# Both ranges in one write(2), as the kernel wants.
	"$DRV" write:/proc/$pid/uid_map "$(printf '0 65534 1\n1 200000 999')" \
		write:/proc/$pid/gid_map "$(printf '0 65534 1\n1 200000 999')" >/dev/null ||
		fail "id maps"
	touch "$PUB/mapped"
	wait "$pid" || { cat "$WORK/o"; fail "uidwindows"; }
	cat "$WORK/o"
	expect_eq "$(kv "$WORK/o" uidwindows opened)" 4 "windows opened by 32 uids of one namespace"
	expect_eq "$(kv "$WORK/o" uidwindows enospc)" 28 "ENOSPC"
	reload
}

# Self-instrumentation, privileged or not, holds at most max_self_windows
# of the pool; bindings keep the rest, and count what they miss.
t_iso_pool_share() {
	local o=$WORK/o
	reload max_windows=16 max_self_windows=4
	expect_eq "$(stat_get self_windows_max)" 4 "self_windows_max"
	drv "$o" multistart:4,20s multistart:1,20s =ENOSPC \
		bind:$TGT,tgt_start,tgt_stop,20s run:$TGT,threads,12,500,sleep \
		bstats:@1 closeall
	expect_eq "$(kv "$o" bstats windows)" 12 "binding windows with self-instrumentation at its limit"
	expect_eq "$(stat_get windows_missed)" 0 "windows_missed"
	drv "$o" multistart:4,20s bind:$TGT,tgt_start,tgt_stop,20s \
		run:$TGT,threads,14,500,sleep bstats:@1 closeall
	expect_eq "$(kv "$o" bstats windows)" 12 "binding windows beyond the pool"
	expect_eq "$(stat_get windows_missed)" 2 "windows_missed"
	reload max_windows=16 max_self_windows=17 2>/dev/null && fail "max_self_windows > max_windows accepted"
	reload
}

# --- exactness ---------------------------------------------------------------

# Windows of 1 us end (STOP) after their budget, mostly before the timer
# could fire: each is violated, and records, stats and results agree.
t_deadline_stop() {
	local o=$WORK/o v0 v1 bid
	reload self_event_rate=1000000000
	v0=$(stat_get violations)
	drv "$o" fd:1 sub:all fd:0 flood:3,1us loop:200,1us,0 fd:1 drain:timeout=2s
	v1=$(stat_get violations)
	expect_eq "$(kv "$o" flood windows)" "$(kv "$o" flood over)" "flood: every 1 us window violated"
	expect_eq "$(kv "$o" loop over)" 200 "loop: every 1 us window violated"
	expect_eq "$((v1 - v0))" "$(( $(kv "$o" flood over) + 200 ))" "violations counted"
	drv "$o" fd:1 sub:all fd:0 bind:$TGT,tgt_start,tgt_stop,1us \
		run:$TGT,pair,0,busy,50 bstats:@1 fd:1 drain:timeout=2s
	bid=$(kv "$o" bind id)
	expect_eq "$(kv "$o" bstats windows)" 50 "binding windows"
	expect_eq "$(kv "$o" bstats violations)" 50 "binding violations"
	expect_eq "$(ev_count_binding "$o" violation "$bid")" 50 "binding VIOLATION records"
	expect_eq "$(ev_count_binding "$o" window_end "$bid")" 50 "binding WINDOW_END records"
	# A VIOLATION reports the state and breakdown at the deadline.
	awk -v b="binding=$bid" '$1 == "event" && $2 == "type=violation" && index($0, " " b " ") {
		for (f = 2; f <= NF; f++) { split($f, kv, "="); v[kv[1]] = kv[2] }
		if (v["elapsed_ns"] != v["threshold_ns"] ||
		    v["running_ns"] + v["waiting_ns"] + v["sleeping_ns"] != v["elapsed_ns"]) {
			print "bad VIOLATION: " $0; bad = 1 }
	} END { exit bad }' "$o" || fail "VIOLATION figures at the deadline"
	reload
}

# execve() ends the windows of the task: nothing is measured or reported
# for the new program.
t_exec_ends_window() {
	local o=$WORK/o
	# (The exec'd ops are split at commas: none of them may have one.)
	# The budgets leave the old program (and the exec itself, which on the
	# debug kernel takes ~100 ms) time to reach the exec; the new program
	# outlives them, so a window that survived would report.
	drv "$o" start:1s exec:$DRV,usefd:env,statwait:windows_in_use=0,sleep:1500ms,stop,=EINVAL,read:0
	drv "$o" fd:1 sub:all fd:0 bind:$TGT,tgt_start,tgt_stop,1s \
		run:$TGT,exec-in,/bin/sleep,2 statwait:windows_in_use=0 \
		bstats:@1 fd:1 drain:timeout=1s
	expect_eq "$(kv "$o" bstats windows)" 0 "completed windows"
	expect_eq "$(ev_count "$o" violation)" 0 "VIOLATION records after exec"
}

t_poll_pri_in() {
	drv "$WORK/o" start:50ms sleep:200ms pollev:pri,0 pollev:in,0 \
		stop =EOVERFLOW pollev:pri,0 =ETIMEDOUT pollev:in,0 \
		start:10s pollev:pri,0 =ETIMEDOUT pollev:in,0 \
		drain:timeout=100ms pollev:in,0 =ETIMEDOUT pollev:pri,0 =ETIMEDOUT \
		stop
	grep -q "^pollev revents=.*PRI" "$WORK/o" || fail "no POLLPRI while over budget"
}

t_ids_not_reused() {
	local ids
	drv "$WORK/o" bind:$TGT,tgt_start,tgt_stop,1s unbind:@1 \
		bind:$TGT,tgt_start,tgt_stop,1s unbind:@2 \
		bind:$TGT,tgt_start,tgt_stop,1s
	ids=$(awk '$1 == "bind" { sub("id=", "", $2); print $2 }' "$WORK/o" | tr '\n' ' ')
	# shellcheck disable=SC2086
	set -- $ids
	[ $# = 3 ] && [ "$1" -lt "$2" ] && [ "$2" -lt "$3" ] || fail "ids reused: $ids"
}

# --- management -----------------------------------------------------------------

t_monitor_caps() {
	local line="p $TGT:$OFF_START $OFF_STOP threshold=1000000"
	setpriv --inh-caps=-all --bounding-set=-all -- sh -c "echo '$line' > $SYS/monitor" 2>/dev/null &&
		fail "uid 0 without capabilities wrote monitor"
	setpriv --inh-caps=-all --bounding-set=-all -- cat "$SYS/monitor" >/dev/null 2>&1 &&
		fail "uid 0 without capabilities read monitor"
	exec 3>"$SYS/monitor"
	setpriv --inh-caps=-all --bounding-set=-all -- sh -c "echo '$line' >&3" 2>/dev/null &&
		{ exec 3>&-; fail "a privileged fd written without capabilities"; }
	exec 3>&-
	expect_eq "$(stat_get bindings)" 0 "bindings"
	setpriv --inh-caps=-all --bounding-set=-all,+perfmon -- sh -c "echo '$line' > $SYS/monitor" ||
		fail "CAP_PERFMON alone must be enough"
	expect_eq "$(stat_get bindings)" 1 "bindings"
	echo "-$TGT:$OFF_START" >"$SYS/monitor"
	setpriv --inh-caps=-all --bounding-set=-all -- sh -c "echo 0 > $SYS/enable" 2>/dev/null &&
		fail "uid 0 without capabilities disabled the monitor"
	expect_eq "$(cat "$SYS/enable")" 1 "enable"
}

t_monitor_escape() {
	local f="$WORK/a dir"$'\n'"x	y\\z" e l
	mkdir -p "${f%/*}"
	cp "$TGT" "$f"
	e=$(mon_escape "$f")
	echo "p $e:$OFF_START $OFF_STOP threshold=1000000" >"$SYS/monitor"
	rm -f "$WORK/esc-bound" "$WORK/esc-go"
	drv "$WORK/o" bind:"$f",tgt_alt_start,tgt_alt_stop,1s touch:$WORK/esc-bound waitfile:$WORK/esc-go &
	"$DRV" waitfile:$WORK/esc-bound,timeout=30s >/dev/null
	cat "$SYS/monitor"
	expect_eq "$(wc -l <"$SYS/monitor")" 2 "one line per binding"
	l=$(grep -F "p $e:$OFF_START " "$SYS/monitor") || fail "escaped name not listed"
	grep -qF "p $e:$OFF_ALT_START " "$SYS/monitor" || fail "fd binding not escaped"
	touch "$WORK/esc-go"
	wait
	echo "-$e:$OFF_START" >"$SYS/monitor"
	expect_eq "$(stat_get bindings)" 0 "removed by the listed name"
	echo "${l%%  #*}" >"$SYS/monitor"
	expect_eq "$(stat_get bindings)" 1 "written back as listed"
	"$f" pair 10 busy 2
	grep -qF "windows=2 " "$SYS/monitor" || fail "windows of the escaped file: $(cat "$SYS/monitor")"
	echo "-$e:$OFF_START" >"$SYS/monitor"
}

# A listing longer than a page, written back in one go, is applied whole;
# with a bad line anywhere, or a duplicate, not at all.
t_monitor_txn() {
	local n=80 i saved=$WORK/listing bad=$WORK/bad
	for i in $(seq 1 $n); do
		cp "$TGT" "$WORK/copy-with-a-rather-long-file-name-$i"
		echo "p $WORK/copy-with-a-rather-long-file-name-$i:$OFF_START $OFF_STOP threshold=1000000"
	done >"$WORK/adds"
	cat "$WORK/adds" >"$SYS/monitor"
	expect_eq "$(stat_get bindings)" $n "bindings from one long write"
	cp "$SYS/monitor" "$saved"
	[ "$(stat -c %s "$saved")" -gt 8192 ] || fail "listing not longer than two pages"
	cat "$saved" >"$SYS/monitor" 2>/dev/null && fail "duplicates accepted"
	# (Not cmp on the sysfs file: it compares sizes first.  No <(): the
	# guest has no /dev/fd.)
	cat "$SYS/monitor" >"$WORK/now"
	diff "$saved" "$WORK/now" || fail "a failed write changed the bindings"
	sed 's/^[pr] \([^ ]*\) .*/-\1/' "$saved" >"$WORK/removes"
	cat "$WORK/removes" >"$SYS/monitor"
	expect_eq "$(stat_get bindings)" 0 "removed in one write"
	{ cat "$saved"; echo "p $TGT:zz 0x1 threshold=5"; } >"$bad"
	cat "$bad" >"$SYS/monitor" 2>/dev/null && fail "bad last line accepted"
	expect_eq "$(stat_get bindings)" 0 "bindings after a bad last line"
	printf '%s' "$(cat "$saved")" >"$bad"
	cat "$bad" >"$SYS/monitor" 2>/dev/null && fail "a long write without a final newline accepted"
	expect_eq "$(stat_get bindings)" 0 "bindings after a long write without a final newline"
	{ head -n 40 "$saved"; echo "p /nonexistent:0x1 0x2 threshold=5"; tail -n 40 "$saved"; } >"$bad"
	cat "$bad" >"$SYS/monitor" 2>/dev/null && fail "bad middle line accepted"
	expect_eq "$(stat_get bindings)" 0 "bindings after a bad middle line"
	cat "$saved" >"$SYS/monitor"
	expect_eq "$(stat_get bindings)" $n "listing written back"
	sed 's/  #.*//' "$saved" >"$WORK/then"
	sed 's/  #.*//' "$SYS/monitor" >"$WORK/now"
	diff "$WORK/then" "$WORK/now" || fail "listing differs"
	# Removal and re-adding of the same binding in one write.
	{ echo "-$WORK/copy-with-a-rather-long-file-name-1:$OFF_START"; head -n 1 "$saved"; } >"$SYS/monitor"
	expect_eq "$(stat_get bindings)" $n "removed and added again"
	cat "$WORK/removes" >"$SYS/monitor"
	# Bindings of /dev/rv fds in a listing written back are theirs: skipped.
	rm -f "$WORK/txn-bound" "$WORK/txn-go"
	"$DRV" bind:$TGT,tgt_alt_start,tgt_alt_stop,1s touch:$WORK/txn-bound \
		waitfile:$WORK/txn-go >/dev/null &
	"$DRV" waitfile:$WORK/txn-bound,timeout=30s >/dev/null
	{ cat "$SYS/monitor"; head -n 2 "$saved"; } >"$bad"
	grep -q "owner=fd" "$bad" || fail "no fd binding listed"
	cat "$bad" >"$SYS/monitor"
	expect_eq "$(stat_get bindings)" 3 "fd binding skipped, two added"
	touch "$WORK/txn-go"
	wait
	head -n 2 "$WORK/removes" >"$SYS/monitor"
	expect_eq "$(stat_get bindings)" 0 "bindings"
	# A write of exactly one page.
	{ echo "r $TGT:$OFF_WORK threshold=1000"; printf '#%.0s' $(seq 1 $((4076 - ${#TGT} - ${#OFF_WORK}))); echo; } >"$bad"
	expect_eq "$(stat -c %s "$bad")" 4096 "one-page write"
	cat "$bad" >"$SYS/monitor"
	expect_eq "$(stat_get bindings)" 1 "one-page write applied"
	echo "-$TGT:$OFF_WORK" >"$SYS/monitor"
}

# A listing read in several read(2) calls is one snapshot, whatever
# changes in between.
t_monitor_read_snapshot() {
	local n=60 i
	for i in $(seq 1 $n); do
		cp "$TGT" "$WORK/snap-copy-with-a-long-name-$i"
		echo "p $WORK/snap-copy-with-a-long-name-$i:$OFF_START $OFF_STOP threshold=1000000"
	done >"$WORK/adds"
	cat "$WORK/adds" >"$SYS/monitor"
	cat "$SYS/monitor" >"$WORK/then"
	exec 3<"$SYS/monitor"
	dd bs=4096 count=1 status=none <&3 >"$WORK/part1"
	echo "-$WORK/snap-copy-with-a-long-name-1:$OFF_START" >"$SYS/monitor"
	echo "r $TGT:$OFF_WORK threshold=1000" >"$SYS/monitor"
	cat <&3 >"$WORK/part2"
	exec 3<&-
	cat "$WORK/part1" "$WORK/part2" >"$WORK/now"
	diff "$WORK/then" "$WORK/now" || fail "a listing read in pieces mixes two states"
	sed 's/^[pr] \([^ ]*\) .*/-\1/' "$SYS/monitor" >"$WORK/removes"
	cat "$WORK/removes" >"$SYS/monitor"
}

# An entry->return window whose return the kernel never sees (the function
# left by longjmp()) ends at the next call: no window stays open.
t_uretprobe_longjmp() {
	local o=$WORK/o bid
	drv "$o" fd:1 sub:all fd:0 bind:$TGT,tgt_jumpy,0,50ms,ret \
		run:$TGT,jumpy,100,3 statwait:windows_in_use=0 bstats:@1 \
		fd:1 drain:timeout=1s
	bid=$(kv "$o" bind id)
	expect_eq "$(kv "$o" bstats windows)" 1 "completed windows (the call that returned)"
	expect_eq "$(kv "$o" bstats violations)" 1 "violations in the statistics"
	expect_eq "$(ev_count_binding "$o" violation "$bid")" 4 "VIOLATION records (each call over budget)"
	expect_eq "$(ev_count_binding "$o" window_end "$bid")" 1 "WINDOW_END records"
}

t_list_info() {
	local o=$WORK/o sysid
	echo "r $TGT:$OFF_WORK threshold=2000" >"$SYS/monitor"
	sysid=$(monitor_line_of "$TGT:$OFF_WORK" | sed -n 's/.*# id=\([0-9]*\).*/\1/p')
	drv "$o" bind:$TGT,tgt_start,tgt_stop,50ms,cookie=5 \
		bind:$TGT,tgt_alt_start,0,1s,ret,cgpath=tlob-kt.slice/app.service \
		list list:owned info:@1 info:$sysid info:@2 info:@2,room=4 =ERANGE \
		fd:1 info:@1 list:owned info:999999 =ENOENT list:flags=2 =EINVAL
	grep "^list " "$o"
	expect_eq "$(kv "$o" list count)" 3 "all bindings"
	expect_eq "$(grep '^list ' "$o" | sed -n 2p | sed 's/.*count=\([0-9]*\).*/\1/')" 2 "this fd's"
	expect_eq "$(grep '^list ' "$o" | sed -n 3p | sed 's/.*count=\([0-9]*\).*/\1/')" 0 "another fd's"
	grep -q "^info id=$(kv "$o" bind id) flags=0 .* threshold_ns=50000000 .* cookie=5 dev=$(stat -c %d "$TGT") ino=$(stat -c %i "$TGT") owner=1 " "$o" ||
		fail "info of the fd's binding"
	grep -q "^info id=$sysid flags=1 .* owner=0 " "$o" || fail "info of the sysfs binding"
	grep -q "^info id=.* flags=3 .* owner=1 cgroup_path_size=26 cgroup_path=tlob-kt.slice/app.service$" "$o" ||
		fail "info of the cgroup path binding"
	grep -q "^info id=.* flags=3 .* owner=1 cgroup_path_size=26 cgroup_path=$" "$o" || fail "ERANGE with the size"
	grep -q "^info id=$(kv "$o" bind id) .* owner=2 " "$o" || fail "owner seen from another fd"
	as_nobody "$DRV" list =EPERM info:$sysid =EPERM >"$WORK/o2" 2>&1 || { cat "$WORK/o2"; fail "unprivileged"; }
	echo "-$TGT:$OFF_WORK" >"$SYS/monitor"
}

# A binding filtered by cgroup path exists before the cgroup, measures
# tasks in it and below it from their first instruction, and goes on
# across its removal and re-creation (a unit restarted).
t_cgroup_path_binding() {
	local slice=$CGROOT/tlob-kt-path.slice cg l
	cg=$slice/app.service
	rm -rf "$cg/sub" "$cg" "$slice/other.service" 2>/dev/null || true
	rmdir "$cg/sub" "$cg" "$slice/other.service" "$slice" 2>/dev/null || true
	echo "p $TGT:$OFF_START $OFF_STOP threshold=5000000000 cgroup_path=tlob-kt-path.slice/app.service" >"$SYS/monitor"
	l=$(monitor_line_of "$TGT:$OFF_START")
	[[ $l == *" cgroup_path=tlob-kt-path.slice/app.service  # "* ]] || fail "listed: $l"
	"$TGT" pair 10 busy 2
	mkdir -p "$cg/sub" "$slice/other.service"
	drv "$WORK/o" runcg:$cg,$TGT,pair,10,busy,2 runcg:$slice/other.service,$TGT,pair,10,busy,2
	monitor_line_of "$TGT:$OFF_START" | grep -q " windows=2 " || fail "in the cgroup: $(cat "$SYS/monitor")"
	rmdir "$cg/sub" "$cg"
	mkdir -p "$cg/sub"
	drv "$WORK/o" runcg:$cg/sub,$TGT,pair,10,busy,2 runcg:$cg,$TGT,pair,10,busy,1
	monitor_line_of "$TGT:$OFF_START" | grep -q " windows=5 " || fail "after re-creation: $(cat "$SYS/monitor")"
	echo "-$TGT:$OFF_START cgroup_path=tlob-kt-path.slice/app.service" >"$SYS/monitor"
	expect_eq "$(stat_get bindings)" 0 "removed"
	rmdir "$cg/sub" "$cg" "$slice/other.service" "$slice"
}

hostile_tests() {
	run_test "isolation: a slow subscriber gets every binding record during an unprivileged flood" t_iso_flood
	run_test "isolation: the subscriber ring share alone keeps binding records (no rate limit)" t_iso_flood_share
	run_test "isolation: self_event_rate per user, SUPPRESSED counts the rest exactly" t_iso_rate
	run_test "isolation: 1000 self-instrumenting fds of a user pin little memory" t_iso_memory
	run_test "isolation: max_user_windows holds across a user namespace with many uids" t_iso_userns
	run_test "isolation: max_self_windows leaves the rest of the pool to bindings" t_iso_pool_share
	run_test "deadline: STOP after the budget is violated wherever the timer is" t_deadline_stop
	run_test "exec: execve() ends the task's windows without a record" t_exec_ends_window
	run_test "poll: POLLPRI while the current window is over budget, POLLIN while records are queued" t_poll_pri_in
	run_test "bind: ids are not reused" t_ids_not_reused
	run_test "monitor: needs CAP_PERFMON or CAP_SYS_ADMIN, also for uid 0 and passed fds" t_monitor_caps
	run_test "monitor: names escaped as in mountinfo, one line per binding, rewritable" t_monitor_escape
	run_test "monitor: long writes applied whole or rejected whole" t_monitor_txn
	run_test "monitor: a listing read in pieces is one snapshot" t_monitor_read_snapshot
	run_test "bind: an entry->return window left by longjmp() ends at the next call" t_uretprobe_longjmp
	run_test "LIST_BINDINGS, BINDING_INFO: ids, owner, file, cookie, cgroup path" t_list_info
	run_test "bind: cgroup path filter before the cgroup exists, across its re-creation" t_cgroup_path_binding
}
