#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tlobctl against tlob-manager on a private bus, with the fake kernel link
# and fake systemd of tests/dbus/fake-env.sh: every verb, human and JSON
# output, the histogram and percentiles, watch, and the one-line errors
# naming the D-Bus error's message. TAP output.
#
# Usage: test-tlobctl-fake.sh BUILD_DIR TLOBCTL
set -u

build=${1:?usage: $0 BUILD_DIR TLOBCTL}
tlobctl=${2:?usage: $0 BUILD_DIR TLOBCTL}
here=$(dirname "$(readlink -f "$0")")
# shellcheck source=tests/dbus/fake-env.sh
. "$here/../dbus/fake-env.sh"

export SYSTEMD_PAGER=cat LC_ALL=C.UTF-8
unset SYSTEMD_LOG_LEVEL JOURNAL_STREAM
FAKE_MANAGER_ARGS=${FAKE_MANAGER_ARGS:-}

# meson only runs this with dbus-daemon, busctl and jq present: not being
# able to start the environment is a failure, not a reason to skip.
if ! SYSTEMD_LOG_LEVEL=debug fake_env_start "$build"; then
	echo "not ok 1 - start the fake environment"
	for f in manager.log systemd.log dbus.log; do
		tail -n 20 "$FAKE_DIR/$f" 2>/dev/null | sed "s/^/# $f: /"
	done
	echo "1..1"
	fake_env_stop
	exit 1
fi
tmp=$FAKE_DIR/client
mkdir -p "$tmp"
trap 'kill $(jobs -p) 2>/dev/null; fake_env_stop' EXIT

n=0
failed=0

# t NAME FUNCTION: FUNCTION runs in a subshell with errexit; it prints
# why it failed. State between tests goes through files in $tmp.
t() {
	local name=$1 fn=$2 rc lines
	(set -e; "$fn") >"$tmp/out" 2>&1
	rc=$?
	n=$((n + 1))
	if [ "$rc" = 0 ] && grep -q '^SKIP' "$tmp/out"; then
		echo "ok $n - $name # $(grep -m1 '^SKIP' "$tmp/out")"
	elif [ "$rc" = 0 ]; then
		echo "ok $n - $name"
	else
		failed=$((failed + 1))
		echo "not ok $n - $name"
		mapfile -t lines <"$tmp/out"
		printf '# %s\n' "${lines[@]}" "(exit status $rc)"
	fi
}

fail() {
	echo "$*"
	return 1
}

tc() {
	"$tlobctl" "$@"
}

# expect_fail REGEX ARGS...: exit 1, one stderr line matching REGEX, no stdout.
expect_fail() {
	local re=$1 rc
	shift
	rc=0
	tc "$@" >"$tmp/o" 2>"$tmp/e" || rc=$?
	[ "$rc" = 1 ] || fail "tlobctl $*: exit $rc: $(cat "$tmp/o" "$tmp/e")"
	[ "$(wc -l <"$tmp/e")" = 1 ] || fail "tlobctl $*: stderr: $(cat "$tmp/e")"
	grep -Eq -- "$re" "$tmp/e" || fail "tlobctl $*: stderr /$re/: $(cat "$tmp/e")"
	[ ! -s "$tmp/o" ] || fail "tlobctl $*: stdout: $(cat "$tmp/o")"
}

wait_for() {
	fake_wait "$1" || fail "timed out waiting for: $1"
}

field() {
	tc list --json=short | jq -r --arg i "$1" --arg f "$2" '.[] | select(.id == $i) | .[$f]'
}

test_list_empty() {
	[ "$(tc list)" = "0 budgets listed." ] || fail "list: $(tc list)"
	[ "$(tc)" = "0 budgets listed." ] || fail "no verb: $(tc)"
	[ "$(tc list --json=short)" = "[]" ] || fail "json: $(tc list --json=short)"
	[ "$(tc list --json=pretty)" = "[]" ] || fail "json: $(tc list --json=pretty)"
}
t "list without budgets" test_list_empty

test_add() {
	local id
	id=$(tc add demo.service tlob_fixture_start 20ms)
	[[ "$id" =~ ^[a-z0-9_-]+$ ]] || fail "add printed '$id'"
	echo "$id" >"$tmp/id"
	tc list --json=short | jq -e --arg id "$id" '
		length == 1 and (.[0] | keys == ["active", "budget_ns", "id", "probe", "source", "unit"]) and
		.[0].id == $id and .[0].unit == "demo.service" and
		.[0].probe == "tlob_fixture_start" and .[0].budget_ns == 20000000 and
		.[0].source == "api" and .[0].active == false' >/dev/null ||
		fail "list: $(tc list --json=short)"
	ls "$FAKE_DIR"/root/etc/systemd/system.control/demo.service.d/50-TlobBudget-"$id".conf >/dev/null ||
		fail "no drop-in: $(find "$FAKE_DIR/root")"
}
t "add prints the id; list --json shows the budget" test_add

test_add_runtime() {
	local id
	id=$(tc add --runtime --description="two words" demo.service "tlob_fixture_local..tlob_fixture_stop" "1s 20ms")
	echo "$id" >"$tmp/rid"
	[ "$(field "$id" source)" = runtime ] || fail "source: $(tc list --json=short)"
	[ "$(field "$id" budget_ns)" = 1020000000 ] || fail "budget: $(tc list --json=short)"
	[ -f "$FAKE_DIR/root/run/systemd/system.control/demo.service.d/50-TlobBudget-$id.conf" ] ||
		fail "no runtime drop-in: $(find "$FAKE_DIR/root")"
	id=$(tc add --json=short demo.service "$FAKE_LIB:tlob_fixture_stop" 500us)
	jq -e '.id | length > 0' <<<"$id" >/dev/null || fail "add --json: $id"
}
t "add --runtime --description, a spaced budget and add --json" test_add_runtime

test_list_human() {
	local id rid
	id=$(cat "$tmp/id")
	rid=$(cat "$tmp/rid")
	tc list >"$tmp/list"
	head -n1 "$tmp/list" | grep -Eq '^ID +UNIT +PROBE +BUDGET SOURCE +ACTIVE$' ||
		fail "header: $(cat "$tmp/list")"
	grep -Eq "^$id +demo.service +tlob_fixture_start +20ms api +no\$" "$tmp/list" ||
		fail "row: $(cat "$tmp/list")"
	grep -Eq "^$rid +demo.service +tlob_fixture_local\.\.tlob_fixture_stop +1s 20ms runtime +no\$" \
		"$tmp/list" || fail "row: $(cat "$tmp/list")"
	[ "$(tail -n1 "$tmp/list")" = "3 budgets listed." ] || fail "legend: $(cat "$tmp/list")"
	# the header is not underlined when not on a terminal
	! grep -q $'\e' "$tmp/list" || fail "escape sequences in: $(cat -v "$tmp/list")"
}
t "list prints a systemctl-like table" test_list_human

test_legend_quiet() {
	local id rid lines
	id=$(cat "$tmp/id")
	rid=$(cat "$tmp/rid")
	tc --no-legend list >"$tmp/list"
	lines=$(wc -l <"$tmp/list")
	[ "$lines" = 3 ] || fail "--no-legend list: $lines lines: $(cat "$tmp/list")"
	! grep -Eq '^ID |budgets listed' "$tmp/list" || fail "--no-legend list: $(cat "$tmp/list")"
	grep -Eq "^$id +demo.service +tlob_fixture_start +20ms api +no\$" "$tmp/list" ||
		fail "--no-legend row: $(cat "$tmp/list")"
	[ "$(tc -q list)" = "$(cat "$tmp/list")" ] || fail "-q list: $(tc -q list)"
	tc --no-legend status >"$tmp/status"
	! grep -q '^ID ' "$tmp/status" || fail "--no-legend status: $(cat "$tmp/status")"
	grep -q "^$rid " "$tmp/status" || fail "--no-legend status: $(cat "$tmp/status")"
	# -q: add prints nothing (not even with --json), the budget is there
	[ -z "$(tc -q add demo.service tlob_fixture_stop 30ms)" ] || fail "add -q printed something"
	[ -z "$(tc --quiet --json=short add demo.service "$FAKE_LIB:tlob_fixture_start" 30ms)" ] ||
		fail "add --quiet --json printed something"
	[ "$(tc list --json=short | jq 'map(select(.budget_ns == 30000000)) | length')" = 2 ] ||
		fail "the quiet adds: $(tc list --json=short)"
	for i in $(tc list --json=short | jq -r '.[] | select(.budget_ns == 30000000) | .id'); do
		tc -q remove "$i"
	done
	[ "$(tc --no-legend list | wc -l)" = 3 ] || fail "after remove: $(tc list)"
}
t "--no-legend and -q: no header nor footer, one line per budget; add -q prints nothing" test_legend_quiet

# _tlobctl's candidates for the words of "$@" (the last one being completed).
complete_words() {
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _tlobctl
		 printf "%s\n" "${COMPREPLY[@]}"' complete "$here/../../shell-completion/tlobctl.bash" "$@"
}

test_completion() {
	local rid bin=$tmp/bin
	rid=$(cat "$tmp/rid")
	# the completion runs "tlobctl" and "systemctl" from $PATH; a fake
	# systemctl prints what "list-units --plain --no-legend" and
	# "list-unit-files --no-legend" print
	mkdir -p "$bin"
	ln -sf "$(readlink -f "$tlobctl")" "$bin/tlobctl"
	cat >"$bin/systemctl" <<-'SH'
	#!/bin/sh
	case " $* " in
	*" list-units "*) printf '%s
' 'demo.service loaded active running Demo' 		'web@1.service loaded active running Web' ;;
	*" list-unit-files "*) printf '%s
' 'demo.service static -' 'web@.service static -' 		'other.socket enabled enabled' ;;
	esac
	SH
	chmod +x "$bin/systemctl"
	export PATH=$bin:$PATH
	bash -c '. "$1"; complete -p tlobctl' x "$here/../../shell-completion/tlobctl.bash" >"$tmp/c" ||
		fail "sourcing the completion failed: $(cat "$tmp/c")"
	[ "$(cat "$tmp/c")" = "complete -F _tlobctl tlobctl" ] || fail "complete -p: $(cat "$tmp/c")"
	[ "$(complete_words tlobctl '' | tr '\n' ' ')" = "add remove list status watch reload snapshot " ] ||
		fail "verbs: $(complete_words tlobctl '')"
	[ "$(complete_words tlobctl --json=short st)" = status ] || fail "after --json=short: $(complete_words tlobctl --json=short st)"
	[ "$(complete_words tlobctl --json = p)" = pretty ] || fail "--json=p: $(complete_words tlobctl --json = p)"
	[ "$(complete_words tlobctl --no-l)" = --no-legend ] || fail "--no-l: $(complete_words tlobctl --no-l)"
	[ "$(complete_words tlobctl status '' | sort | tr '\n' ' ')" = "$(tc list --json=short | jq -r '.[].id' | sort | tr '\n' ' ')" ] ||
		fail "status ids: $(complete_words tlobctl status '')"
	[ "$(complete_words tlobctl -q remove "${rid:0:3}")" = "$rid" ] ||
		fail "remove ${rid:0:3}: $(complete_words tlobctl -q remove "${rid:0:3}")"
	[ -z "$(complete_words tlobctl status "$id" '')" ] || fail "status ID <TAB>: $(complete_words tlobctl status "$id" '')"
	[ "$(complete_words tlobctl add '' | tr '\n' ' ')" = "demo.service other.socket web@.service web@1.service " ] ||
		fail "add units: $(complete_words tlobctl add '')"
	[ "$(complete_words tlobctl --runtime add w | tr '\n' ' ')" = "web@.service web@1.service " ] ||
		fail "add w: $(complete_words tlobctl --runtime add w)"
	[ -z "$(complete_words tlobctl add demo.service '')" ] || fail "add UNIT <TAB>: $(complete_words tlobctl add demo.service '')"
	[ "$(complete_words tlobctl --action = snap)" = snapshot ] || fail "--action=snap: $(complete_words tlobctl --action = snap)"
	[ "$(complete_words tlobctl snapshot "${rid:0:3}")" = "$rid" ] ||
		fail "snapshot ${rid:0:3}: $(complete_words tlobctl snapshot "${rid:0:3}")"
}
t "bash completion: verbs, options, --json= modes, budget ids from the bus, unit names" test_completion

# zsh: the file parses, and its helpers give the ids and units (zsh's
# completion functions are stubs printing their candidates).
test_zsh_completion() {
	local out
	command -v zsh >/dev/null || { echo "SKIP zsh is not installed"; return 0; }
	zsh -n "$here/../../shell-completion/_tlobctl" || fail "zsh -n failed"
	out=$(PATH=$tmp/bin:$PATH zsh -f -c '
		_arguments() { return 1 }
		_call_program() { shift; "$@" }
		_describe() { print -l -- ${(P)4} }
		_wanted() { print -l -- ${(P)${@[-1]}} }
		typeset -A opt_args
		source "$1"
		print -- "-- ids"
		_tlobctl_budget_ids
		print -- "-- units"
		_tlobctl_units' zsh "$here/../../shell-completion/_tlobctl" 2>&1) || fail "zsh: $out"
	[ "$(sed -n '/^-- ids/,/^-- units/p' <<<"$out" | grep -v '^--' | cut -d: -f1 | sort | tr '\n' ' ')" = \
	  "$(tc list --json=short | jq -r '.[].id' | sort | tr '\n' ' ')" ] || fail "ids: $out"
	[ "$(sed -n '/^-- units/,$p' <<<"$out" | grep -v '^--' | tr '\n' ' ')" = \
	  "demo.service web@1.service web@.service other.socket " ] || fail "units: $out"
}
t "zsh completion: budget ids from the bus, unit names" test_zsh_completion

test_activate() {
	local id
	id=$(cat "$tmp/id")
	fake_systemd "start demo.service"
	wait_for "[ \"\$(field $id active)\" = true ]"
}
t "a started unit makes its budgets active" test_activate

test_status_hist() {
	local id
	id=$(cat "$tmp/id")
	for _ in 1 2 3 4 5 6 7 8 9; do
		fake_kernel "window @$id 3000000"
	done
	fake_kernel "window @$id 50000000"
	wait_for "tc status --json=short $id | jq -e '.windows == 10' >/dev/null"
	tc status "$id" >"$tmp/status"
	for re in "^Budget $id\$" "^ *Unit: demo.service\$" "^ *Probe: tlob_fixture_start\$" \
		  "^ *Budget: 20ms\$" "^ *Windows: 10\$" "^ *Max: 50.0ms\$" "^ *Stop on return: yes\$" \
		  "^ *p50: <=4.19ms\$" "^ *p99: <=50.0ms\$" \
		  "^ +nsecs +: count +distribution\$" \
		  "^ +2097152 -> 4194303 +: 9 +\|\*{40}\|\$" \
		  "^ +4194304 -> 8388607 +: 0 +\| {40}\|\$" \
		  "^ +33554432 -> 67108863 +: 1 +\|\*{4} {36}\|\$"; do
		grep -Eq -- "$re" "$tmp/status" || fail "no /$re/ in: $(cat "$tmp/status")"
	done
	[ "$(grep -c -- '->' "$tmp/status")" = 5 ] || fail "histogram rows: $(cat "$tmp/status")"
	tc status --json=pretty "$id" >"$tmp/status.json"
	jq -e '
		(keys | contains(["unit", "probe", "binary", "start_offset", "stop_offset",
				  "stop_on_return", "budget_nsec", "source", "active",
				  "windows", "violations", "max_nsec", "histogram"])) and
		.windows == 10 and .max_nsec == 50000000 and .budget_nsec == 20000000 and
		.stop_on_return == true and .active == true and .start_offset > 0 and
		.histogram == [[4194304, 9], [67108864, 1]]' "$tmp/status.json" >/dev/null ||
		fail "status --json: $(cat "$tmp/status.json")"
	# snake_case keys only
	! jq -r 'keys[]' "$tmp/status.json" | grep -q '[A-Z]' || fail "keys: $(jq -c keys "$tmp/status.json")"
}
t "status ID prints counters, p50/p99 and the log2 histogram" test_status_hist

test_status_empty_hist() {
	local rid
	rid=$(cat "$tmp/rid")
	tc status "$rid" >"$tmp/status"
	grep -Eq '^ *p99: -$' "$tmp/status" || fail "p99 of no windows: $(cat "$tmp/status")"
	! grep -q nsecs "$tmp/status" || fail "histogram without windows: $(cat "$tmp/status")"
}
t "status ID of a budget without windows" test_status_empty_hist

test_status_all() {
	local id
	id=$(cat "$tmp/id")
	tc status >"$tmp/status"
	for re in '^ *Version: [0-9]' '^ *Backend: ' '^ *Budgets: 3$' '^ *Violations: [0-9]+$' \
		  '^ *Dropped events: [0-9]+$' '^ID +UNIT +PROBE +BUDGET SOURCE +ACTIVE +WINDOWS +VIOLATIONS +MAX +P99$' \
		  '^ *Self-instrumented: [0-9]+$' '^ *Withheld by kernel: [0-9]+$' \
		  "^$id +demo.service +tlob_fixture_start +20ms api +yes +10 +1 +50.0ms +<=50.0ms\$"; do
		grep -Eq -- "$re" "$tmp/status" || fail "no /$re/ in: $(cat "$tmp/status")"
	done
	tc status --json=short | jq -e --arg id "$id" '
		(.version | length > 0) and .budget_count == 3 and (.budgets | length == 3) and
		(.budgets[] | select(.id == $id) | .windows == 10 and .violations == 1 and
		 .max_nsec == 50000000)' \
		>/dev/null || fail "status --json: $(tc status --json=short)"
}
t "status without ID summarises the manager and every budget" test_status_all

test_watch() {
	local id pid
	id=$(cat "$tmp/id")
	"$tlobctl" watch --json=short >"$tmp/watch" 2>"$tmp/watch.err" &
	pid=$!
	# subscribed once the manager has answered its first call
	sleep 0.5
	fake_kernel "violation @$id 4242 25000000 3 4240 demo-worker"
	wait_for "grep -q 4242 '$tmp/watch'"
	kill -INT "$pid"
	wait "$pid" || fail "watch exited with $?: $(cat "$tmp/watch.err")"
	jq -e --arg id "$id" '
		keys == ["budget_ns", "comm", "elapsed_ns", "id", "pid", "running_ns",
			 "sleeping_ns", "state", "tid", "timestamp_usec", "unit", "waiting_ns"] and
		.id == $id and .unit == "demo.service" and .tid == 4242 and .pid == 4240 and
		.comm == "demo-worker" and .budget_ns == 20000000 and
		.elapsed_ns == 25000000 and .state == "sleeping" and .timestamp_usec > 0' \
		"$tmp/watch" >/dev/null || fail "watch: $(cat "$tmp/watch")"
	[ ! -s "$tmp/watch.err" ] || fail "watch stderr: $(cat "$tmp/watch.err")"
}
t "watch --json=short prints each Violation, exits 0 on SIGINT" test_watch

test_watch_human() {
	local id pid
	id=$(cat "$tmp/id")
	"$tlobctl" watch >"$tmp/watch" 2>&1 &
	pid=$!
	sleep 0.5
	fake_kernel "violation @$id 4243 25000000 2 4240 demo-worker"
	wait_for "grep -q 4243 '$tmp/watch'"
	kill -TERM "$pid"
	wait "$pid" || fail "watch exited with $?"
	grep -Eq "^[A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8}\.[0-9]{6} demo.service: budget $id exceeded 20ms by demo-worker\[4240/4243\], waiting after 25.0ms \(running .*, waiting .*, sleeping .*\)\$" \
		"$tmp/watch" || fail "watch: $(cat "$tmp/watch")"
}
t "watch prints one line per violation, exits 0 on SIGTERM" test_watch_human

test_watch_cause() {
	local id pid
	id=$(cat "$tmp/id")
	"$tlobctl" watch >"$tmp/watch" 2>&1 &
	pid=$!
	"$tlobctl" watch --json=short >"$tmp/watch.json" 2>&1 &
	sleep 0.5
	# A violation with its cause (tests/dbus/fake-kernel-link.c).
	fake_kernel "cause @$id 4244 $$ 1000 together"
	wait_for "grep -q switches '$tmp/watch' && grep -q cause '$tmp/watch.json'"
	kill -TERM "$pid" %2
	wait "$pid" || fail "watch exited with $?"
	grep -q "by demo\[$$/4244\], sleeping after 40.0ms" "$tmp/watch" || fail "watch: $(cat "$tmp/watch")"
	grep -qx "  sleeping in pipe_read; stack: pipe_read+0x20 <- foo_read+0x10 \[foo\]" "$tmp/watch" ||
		fail "watch, stack: $(cat "$tmp/watch")"
	# (a sleeping task: "last", not "waiting:")
	grep -qx "  last preempted by hog (pid $$), cpu 1 ran hog (pid $$)" "$tmp/watch" ||
		fail "watch, preemptor: $(cat "$tmp/watch")"
	grep -qx "  entered the kernel from 0x1000" "$tmp/watch" ||
		fail "watch, user: $(cat "$tmp/watch")"
	grep -Eqx "  woken last by waker \(pid 1(, unit [^)]*)?\) from an interrupt, 3 voluntary / 1 involuntary switches, 2 migrations" \
		"$tmp/watch" || fail "watch, waker: $(cat "$tmp/watch")"
	grep -qx "  sent SIGABRT" "$tmp/watch" || fail "watch, signal: $(cat "$tmp/watch")"
	# JSON: the Violation's object, then the cause's.
	jq -se --arg id "$id" '
		length == 2 and .[0].tid == 4244 and .[1].timestamp_usec == .[0].timestamp_usec and
		(.[1] | .id == $id and .tid == 4244 and
		 .cause.kernel_stack == ["schedule+0x10/0x100", "pipe_read+0x20/0x100",
					 "foo_read+0x10/0x80 [foo]"] and
		 .cause.wait_channel == "pipe_read" and .cause.user_location == "0x1000" and
		 .cause.user_ip_exact == false and .cause.cpu == 1 and
		 .cause.preemptor_comm == "hog" and .cause.waker_from_irq == true and
		 .cause.voluntary_switches == 3 and .cause.migrations == 2 and
		 .cause.signal == "SIGABRT" and .cause.state == "sleeping")' \
		"$tmp/watch.json" >/dev/null ||
		fail "watch --json: $(cat "$tmp/watch.json")"
}
t "watch prints the cause under its violation (human and JSON)" test_watch_cause

test_status_last() {
	local id
	id=$(cat "$tmp/id")
	tc status "$id" >"$tmp/status"
	grep -qx "Last violations:" "$tmp/status" || fail "status: $(cat "$tmp/status")"
	grep -q "^  .* demo\[$$/4244\], sleeping after 40.0ms" "$tmp/status" ||
		fail "status: $(cat "$tmp/status")"
	grep -qx "    sleeping in pipe_read; stack: pipe_read+0x20 <- foo_read+0x10 \[foo\]" "$tmp/status" ||
		fail "status, cause: $(cat "$tmp/status")"
	grep -Eq "^ *Cause: yes" "$tmp/status" || fail "status, Cause: $(cat "$tmp/status")"
	tc status --json=short "$id" | jq -e '.cause == true and
		(.last_violations | length >= 2) and .last_violations[0].tid == 4244 and
		.last_violations[0].wait_channel == "pipe_read" and
		(.last_violations[1] | has("kernel_stack") | not) and
		(.histogram | type == "array")' >/dev/null ||
		fail "status --json: $(tc status --json=short "$id")"
}
t "status ID shows the last violations with their causes" test_status_last

test_add_cause() {
	local id
	id=$(tc add --cause=no demo.service tlob_fixture_stop 30ms)
	grep -qx "TlobCause=no" "$FAKE_DIR"/root/etc/systemd/system.control/demo.service.d/50-TlobBudget-"$id".conf ||
		fail "drop-in: $(cat "$FAKE_DIR"/root/etc/systemd/system.control/demo.service.d/50-TlobBudget-"$id".conf)"
	tc status --json=short "$id" | jq -e '.cause == false' >/dev/null ||
		fail "status: $(tc status --json=short "$id")"
	expect_fail "^--cause= takes yes or no, not 'maybe'\.\$" add --cause=maybe demo.service tlob_fixture_stop 30ms
	tc remove "$id"
}
t "add --cause=no: TlobCause=no in the drop-in, Cause false" test_add_cause

test_watch_no_manager() {
	# (not fake_manager_stop: this subshell cannot wait for it)
	kill "$FAKE_MANAGER_PID"
	wait_for "! busctl --system status org.tlob.Manager >/dev/null 2>&1"
	expect_fail '^Failed to reach tlob-manager: ' watch
	expect_fail '^Failed to list budgets: ' list
	fake_manager_start "$build"
	echo "$FAKE_MANAGER_PID" >"$tmp/manager.pid"
}
t "watch and list fail with one line when tlob-manager is not there" test_watch_no_manager
# the test restarted tlob-manager in its subshell
FAKE_MANAGER_PID=$(cat "$tmp/manager.pid" 2>/dev/null || true)

test_errors() {
	local id
	id=$(cat "$tmp/id")
	expect_fail '^Failed to add budget: .' add no-such.service tlob_fixture_start 20ms
	expect_fail '^Failed to add budget: .' add demo.service no_such_symbol_xyz 20ms
	expect_fail '^Failed to add budget: .' add demo.service /no/such/file:main 20ms
	expect_fail '^Failed to add budget: .' add demo.service 'bad probe' 20ms
	expect_fail '^Failed to add budget: .' add demo.service tlob_fixture_start 0
	expect_fail '^Failed to add budget: .' add demo.service tlob_fixture_start 2h
	expect_fail '^Failed to add budget: .' add demo.service tlob_fixture_start 20ms
	expect_fail '^Failed to remove budget: .' remove no-such-id
	expect_fail '^Failed to get budget: .' status no-such-id
	expect_fail '^Failed to get budget: .' status --json=short no-such-id
	# the manager is still there
	[ "$(field "$id" unit)" = demo.service ] || fail "list after errors: $(tc list --json=short)"
}
t "bad input: exit 1 and one line with the D-Bus error's message" test_errors

test_error_names() {
	local out
	out=$(SYSTEMD_LOG_LEVEL=debug tc add no-such.service tlob_fixture_start 20ms 2>&1) &&
		fail "add succeeded"
	grep -q 'D-Bus error org.tlob.Error.NoSuchUnit: ' <<<"$out" || fail "$out"
	out=$(SYSTEMD_LOG_LEVEL=debug tc remove no-such-id 2>&1) && fail "remove succeeded"
	grep -q 'D-Bus error org.tlob.Error.NoSuchBudget: ' <<<"$out" || fail "$out"
}
t "the D-Bus error name is logged at debug level" test_error_names

test_reload() {
	tc reload || fail "reload failed"
	[ "$(tc list --json=short | jq length)" = 3 ] || fail "list after reload: $(tc list --json=short)"
}
t "reload" test_reload

# tlobctl as nobody (root is never sent to polkit), stdin and stdout on a
# terminal when $1 is "tty" (script(1)); the rest are its arguments. A copy
# of tlobctl in $tmp, which nobody can reach, unlike maybe the build tree.
as_nobody() {
	local tty=$1 cmd
	shift
	cp "$tlobctl" "$tmp/tlobctl-nobody"
	cmd="setpriv --reuid=65534 --regid=65534 --clear-groups env SYSTEMD_PAGER=cat \
		DBUS_SYSTEM_BUS_ADDRESS=$DBUS_SYSTEM_BUS_ADDRESS $tmp/tlobctl-nobody $*"
	if [ "$tty" = tty ]; then
		SHELL=/bin/sh script -qec "$cmd" /dev/null </dev/null
	else
		sh -c "$cmd" </dev/null
	fi
}

# The flags of the last polkit request: 1 = AllowUserInteraction.
polkit_flags() {
	tail -n 1 "$FAKE_DIR/polkit.log" | awk '{ print $2 }'
}

test_ask_password() {
	local out
	if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null || ! command -v script >/dev/null; then
		echo "SKIP needs root, setpriv and script(1)"
		return 0
	fi
	echo challenge >"$FAKE_DIR/polkit"
	# on a terminal: interactive authorization requested (polkit would ask)
	out=$(as_nobody tty reload 2>&1) && fail "reload as nobody succeeded: $out"
	[ "$(polkit_flags)" = 1 ] || fail "flags $(polkit_flags), expected 1: $out"
	# --no-ask-password: not requested, the manager says so
	out=$(as_nobody tty --no-ask-password reload 2>&1) && fail "reload succeeded: $out"
	[ "$(polkit_flags)" = 0 ] || fail "flags $(polkit_flags) with --no-ask-password: $out"
	grep -q '^Failed to reload tlob-manager: Interactive authentication required' <<<"$out" ||
		fail "--no-ask-password: $out"
	# not on a terminal: never interactive
	out=$(as_nobody notty add demo.service tlob_fixture_start 1s 2>&1) && fail "add succeeded: $out"
	[ "$(polkit_flags)" = 0 ] || fail "flags $(polkit_flags) without a terminal: $out"
	# authorized: works for nobody, the budget is removed by root
	echo yes >"$FAKE_DIR/polkit"
	out=$(as_nobody notty --no-ask-password --quiet reload 2>&1) || fail "authorized reload: $out"
	[ -z "$out" ] || fail "reload -q printed: $out"
	rm -f "$FAKE_DIR/polkit"
}
t "polkit: interactive authorization on a terminal, not with --no-ask-password nor without one" test_ask_password

test_stop_unit() {
	local id
	id=$(cat "$tmp/id")
	fake_systemd "stop demo.service"
	wait_for "[ \"\$(field $id active)\" = false ]"
	tc list | grep -Eq "^$id .* no\$" || fail "list: $(tc list)"
}
t "a stopped unit's budget is listed inactive" test_stop_unit

test_actions() {
	local aid
	aid=$(tc add --action="signal=SIGQUIT" --action="restart=2/1min" demo.service tlob_fixture_stop+1 5ms)
	tc status --json=short "$aid" | jq -e '.actions == "log signal=SIGQUIT restart=2/1min" and
		.actions_taken == "signal=0 restart=0" and .actions_suppressed == "signal=0 restart=0"' >/dev/null ||
		fail "status: $(tc status --json=short "$aid")"
	grep -qx 'TlobAction=log signal=SIGQUIT restart=2/1min' \
		"$FAKE_DIR/root/etc/systemd/system.control/demo.service.d/50-TlobBudget-$aid.conf" ||
		fail "drop-in: $(cat "$FAKE_DIR"/root/etc/systemd/system.control/demo.service.d/50-TlobBudget-"$aid".conf)"
	tc status "$aid" | grep -q 'log signal=SIGQUIT restart=2/1min' || fail "status: $(tc status "$aid")"
	# No snapshots yet: an empty list, and nothing to show.
	[ -z "$(tc snapshot --no-legend --list "$aid")" ] || fail "snapshot --list: $(tc snapshot --list "$aid")"
	[ "$(tc snapshot --list --json=short "$aid")" = "[]" ] || fail "snapshot --list --json: $(tc snapshot --list --json=short "$aid")"
	tc snapshot "$aid" 2>"$tmp/err" && fail "snapshot without snapshots succeeded"
	grep -q "Budget $aid has no snapshots" "$tmp/err" || fail "snapshot: $(cat "$tmp/err")"
	tc add --action="restart=0/1s" demo.service tlob_fixture_stop+2 5ms 2>"$tmp/err" &&
		fail "a bad action list was taken"
	tc snapshot nosuch 2>"$tmp/err" && fail "snapshot of no budget succeeded"
	grep -q 'No budget with id "nosuch"' "$tmp/err" || fail "snapshot nosuch: $(cat "$tmp/err")"
	tc remove "$aid"
}
t "add --action: the list is kept and shown; snapshot --list and its errors" test_actions

test_remove() {
	local id rid
	id=$(cat "$tmp/id")
	rid=$(cat "$tmp/rid")
	tc remove "$id"
	tc remove "$rid"
	[ -z "$(field "$id" id)" ] || fail "still listed: $(tc list --json=short)"
	[ ! -e "$FAKE_DIR/root/etc/systemd/system.control/demo.service.d/50-TlobBudget-$id.conf" ] ||
		fail "drop-in left behind"
	[ "$(tc list --json=short | jq length)" = 1 ] || fail "list: $(tc list --json=short)"
}
t "remove" test_remove

echo "1..$n"
if [ "$failed" != 0 ]; then
	for f in manager.log systemd.log dbus.log; do
		echo "# --- $f (last 30 lines)"
		tail -n 30 "$FAKE_DIR/$f" 2>/dev/null | sed 's/^/# /'
	done
fi
[ "$failed" = 0 ]
