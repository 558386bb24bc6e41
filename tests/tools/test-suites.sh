#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tools/lib/suites.bash, the job queue of tools/check, with fake suites:
# at most $jobs at a time and a new one as soon as any ends, results in
# queue order and counted, dependencies, failures of the harness, and an
# interrupted run that takes its jobs' processes down with it. TAP.
set -u
lib=${1:?usage: test-suites.sh TOOLS_LIB_SUITES_BASH}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/test-suites.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=tests/tools/tap.bash
. "${BASH_SOURCE[0]%/*}/tap.bash"

# A fake suite: logs its start and end (with the number of fake suites
# running at that moment), sleeps, prints TAP.
cat >"$tmp/suite" <<'EOS'
#!/bin/bash
name=$1 secs=$2 result=$3 dir=$4
echo "start $name" >>"$dir/events"
mkdir "$dir/running.$name"
echo "running $(ls -d "$dir"/running.* | wc -l)" >>"$dir/events"
sleep "$secs"
rmdir "$dir/running.$name"
echo "end $name" >>"$dir/events"
case "$result" in
pass) echo "ok 1 - $name"; echo "1..1" ;;
fail) echo "not ok 1 - $name"; echo "1..1"; exit 1 ;;
crash) echo "ok 1 - $name"; echo "1..2"; echo "oops" >&2; exit 3 ;;
esac
EOS
chmod +x "$tmp/suite"

# 1-4: order, concurrency, counts, dependency.
(
	jobs=2
	# shellcheck source=tools/lib/suites.bash
	. "$lib"
	s=$tmp/suite d=$tmp
	queue "A" a "$d/a.log" "$s" a 3 pass "$d"
	queue "B" b "$d/b.log" "$s" b 1 pass "$d"
	queue "C" c "$d/c.log" "$s" c 1 fail "$d"
	dep=1
	queue "D" d "$d/d.log" "$s" d 1 crash "$d"
	dep=
	queue_skip "E" "e: skipped: no reason"
	queue "F" f "$d/f.log" "$s" f 1 pass "$d"
	run_queue
	echo "counts $passed $failed $skipped"
) >"$tmp/out" 2>&1
grep -v '^#' "$tmp/out" | tr '\n' '|' >"$tmp/lines"
[ "$(cat "$tmp/lines")" = "ok 1 - a|1..1|ok 1 - b|1..1|not ok 1 - c|1..1|ok 1 - d|1..2|not ok - d: exited with status 3|ok 1 - f|1..1|counts 4 2 1|" ]
ok $? "results in queue order, counted (4 passed, 2 failed, 1 skipped)" "$tmp/out"
! grep -q 'running [3-9]' "$tmp/events" && grep -q 'running 2' "$tmp/events"
ok $? "two suites at a time, never more" "$tmp/events"
# B and C (1 s each) run beside A (3 s): C starts when B ends, not A.
[ "$(grep -n '^start c$' "$tmp/events" | cut -d: -f1)" -lt "$(grep -n '^end a$' "$tmp/events" | cut -d: -f1)" ]
ok $? "a new suite starts as soon as any ends" "$tmp/events"
[ "$(grep -n '^start d$' "$tmp/events" | cut -d: -f1)" -gt "$(grep -n '^end b$' "$tmp/events" | cut -d: -f1)" ]
ok $? "a suite starts after the one it depends on" "$tmp/events"
grep -q '^#   oops$' "$tmp/out"
ok $? "a suite's stderr is shown" "$tmp/out"

# 6: a suite that must run alone.
rm -f "$tmp/events"
(
	jobs=3
	# shellcheck source=tools/lib/suites.bash
	. "$lib"
	s=$tmp/suite d=$tmp
	queue "G" g "$d/g.log" "$s" g 2 pass "$d"
	alone=1
	queue "H" h "$d/h.log" "$s" h 1 pass "$d"
	alone=
	queue "I" i "$d/i.log" "$s" i 1 pass "$d"
	queue "J" j "$d/j.log" "$s" j 1 pass "$d"
	run_queue
) >"$tmp/out3" 2>&1
grep -v '^running' "$tmp/events" | tr '\n' ' ' >"$tmp/order"
# After h, i and j run side by side: their events come in any order.
order=$(cat "$tmp/order")
[ "${order%%start [ij] *}" = "start g end g start h end h " ] &&
	[ "$(grep -v '^running' "$tmp/events" | tail -n 4 | sort | tr '\n' ' ')" = "end i end j start i start j " ] &&
	[ "$(grep -v '^running' "$tmp/events" | sed -n 5,6p | cut -d' ' -f1 | tr '\n' ' ')" = "start start " ]
ok $? "a suite that runs alone: after the others end, before the next start ($(cat "$tmp/order"))" "$tmp/out3"

# 7-8: interrupted (SIGINT as from a terminal, SIGTERM as from CI): the
# suites' processes go too.
cat >"$tmp/long" <<'EOS'
#!/bin/bash
sleep 300 &
echo $! >"$1/grandchild.$2"
wait
EOS
chmod +x "$tmp/long"
for sig in INT TERM; do
	rm -f "$tmp"/grandchild.*
	# (job control: a background job of a script would ignore SIGINT)
	set -m
	(
		jobs=2
		# shellcheck source=tools/lib/suites.bash
		. "$lib"
		queue "L1" l1 "$tmp/l1.log" "$tmp/long" "$tmp" 1
		queue "L2" l2 "$tmp/l2.log" "$tmp/long" "$tmp" 2
		run_queue
	) >"$tmp/out2" 2>&1 &
	runner=$!
	set +m
	for _ in $(seq 50); do
		[ -e "$tmp/grandchild.1" ] && [ -e "$tmp/grandchild.2" ] && break
		sleep 0.1
	done
	kill "-$sig" "$runner"
	wait "$runner"
	rc=$?
	sleep 0.5
	alive=0
	# (a zombie is gone: this machine's PID 1 may be slow to reap)
	for f in "$tmp"/grandchild.*; do
		st=$(sed 's/.*) //' "/proc/$(cat "$f")/stat" 2>/dev/null | cut -c1)
		[ -z "$st" ] || [ "$st" = Z ] || alive=$((alive + 1))
	done
	want=$([ $sig = INT ] && echo 130 || echo 143)
	res=1
	[ "$rc" = "$want" ] && [ "$alive" = 0 ] && [ -e "$tmp/grandchild.2" ] && res=0
	ok $res "SIG$sig ends the run (status $rc) and every suite's processes ($alive left)" "$tmp/out2"
	for f in "$tmp"/grandchild.*; do
		kill "$(cat "$f")" 2>/dev/null
	done
done

echo "1..$n"
[ "$bad" = 0 ]
