#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The end-to-end suite, inside a VM with systemd as PID 1 (started by
# run-suite through tests/vm/run-vm --mode systemd, as a oneshot unit).
# The installed tree of tlob, tlob.ko under /lib/modules/KVER/updates and
# the units of tests/e2e/root are in place; tlob-manager is not running.
# With --backend bpf there is no tlob.ko: tlob-manager's default choice
# (auto) must be the BPF monitor; the tests that only make sense with the
# module are reported as skipped (TAP "# SKIP reason").
#
# usage: guest.sh [--only REGEX] [--backend kmod|bpf]
# Prints TAP; exits 1 if a test failed.
set -u

only=
backend=kmod
while [ $# -gt 0 ]; do
	case "$1" in
	--only) only=$2; shift 2 ;;
	--backend) backend=$2; shift 2 ;;
	*) echo "guest.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
case "$backend" in
kmod | bpf) ;;
*) echo "guest.sh: --backend kmod or bpf" >&2; exit 2 ;;
esac

readonly MID=b80203fec96a437b96bd4ceb44fba08e
readonly LIBEXEC=/usr/local/libexec/tlob-e2e
readonly DEMO=$LIBEXEC/tlob-demo
readonly GETBUDGET=$LIBEXEC/tlob-e2e-getbudget
readonly BUS=(org.tlob.Manager /org/tlob/Manager org.tlob.Manager)
export SYSTEMD_PAGER=cat SYSTEMD_COLORS=0 LC_ALL=C.UTF-8
# our unit's stderr is the journal, but the tests' goes to files
unset JOURNAL_STREAM

tmp=$(mktemp -d)
state=$tmp/state
mkdir -p "$state"
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT

n=0
failed=0
echo "TAP version 13"

# --- TAP ---------------------------------------------------------------------

ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}

not_ok() {
	local name=$1
	shift
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $name"
	for l in "$@"; do
		echo "# $l"
	done
}

# t_kmod NAME FUNCTION REASON: t NAME FUNCTION with the module; skipped
# with REASON with the BPF backend.
t_kmod() {
	if [ -n "$only" ] && ! [[ "$1" =~ $only ]]; then
		return 0
	fi
	if [ "$backend" = kmod ]; then
		t "$1" "$2"
	else
		n=$((n + 1))
		echo "ok $n - $1 # SKIP with the BPF backend: $3"
	fi
}

# t NAME FUNCTION: runs FUNCTION in a subshell with errexit: a command
# that fails ends the test, and "cmd || fail WHY" says why. State shared
# between tests goes through files in $state. Lines it prints that start
# with "# " (measurements) follow the "ok" line, then its duration if it
# took 10 s or more.
t() {
	local name=$1 fn=$2 rc lines start=$SECONDS
	if [ -n "$only" ] && ! [[ "$name" =~ $only ]]; then
		return 0
	fi
	(set -e; "$fn") >"$tmp/out" 2>&1
	rc=$?
	if [ "$rc" = 0 ]; then
		ok "$name"
		grep '^# ' "$tmp/out" || true
		# the suite's time goes to these
		[ $((SECONDS - start)) -lt 10 ] || echo "# ($((SECONDS - start)) s)"
	else
		mapfile -t lines <"$tmp/out"
		mapfile -t -O "${#lines[@]}" lines < <(
			echo "(exit status $rc; tlob-manager's last journal lines:)"
			journalctl -q -u tlob-manager.service -n 12 -o short-monotonic 2>&1)
		not_ok "$name" "${lines[@]}"
	fi
}

# --- helpers -------------------------------------------------------------------

# wait_until SECS COMMAND...: poll COMMAND every 0.2 s.
wait_until() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.2
	done
}

fail() {
	echo "$*"
	return 1
}

budgets() {
	tlobctl list --json=short
}

# budget_id UNIT PROBE: id of that budget, empty if none.
budget_id() {
	budgets | jq -r --arg u "$1" --arg p "$2" \
		'.[] | select(.unit == $u and (.probe | endswith($p))) | .id' | head -n1
}

budget_field() {
	budgets | jq -r --arg i "$1" --arg f "$2" '.[] | select(.id == $i) | .[$f]'
}

# Conditions for wait_until, evaluated on every poll.
field_is() {
	[ "$(budget_field "$1" "$2")" = "$3" ]
}

no_budget() {
	[ -z "$(budget_id "$1" "$2")" ]
}

prop_ge() {
	[ "$(manager_prop "$1")" -ge "$2" ]
}

manager_prop() {
	busctl get-property "${BUS[@]}" "$1" | awk '{ print $2 }'
}

main_pid() {
	systemctl show -p MainPID --value "$1"
}

# watch_start FILE: tlobctl watch --json=short into FILE, in the background.
watch_start() {
	tlobctl watch --json=short >"$1" 2>"$1.err" &
	watch_pid=$!
	# subscribed once it has asked the manager for its version
	sleep 1
}

watch_stop() {
	kill -INT "$watch_pid" 2>/dev/null || true
	wait "$watch_pid" 2>/dev/null || true
}

# has_violation FILE JQ-CONDITION
has_violation() {
	jq -e -s "map(select($2)) | length > 0" "$1" >/dev/null 2>&1
}

# budget_get ID KEY: a key of GetBudget.
budget_get() {
	busctl call "${BUS[@]}" GetBudget s "$1" --json=short | jq -r ".data[0].$2.data"
}

# budget_cmp ID KEY OP VALUE: test(1) of a key of GetBudget, for wait_until.
budget_cmp() {
	[ "$(budget_get "$1" "$2")" "$3" "$4" ]
}

# journal_sum UNIT: violations in journalctl -u UNIT, entries plus the
# numbers the rate limit's summaries give.
journal_sum() {
	journalctl -q -u "$1" -o json 2>/dev/null |
		jq -s '(map(select(.MESSAGE_ID == "'"$MID"'")) | length) +
		       (map(.TLOB_SUPPRESSED // "0" | tonumber) | add // 0)'
}

journal_sum_is() {
	[ "$(journal_sum "$1")" = "$2" ]
}

manager_rss_kib() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$(main_pid tlob-manager.service)/status"
}

# journal_entries UNIT [MATCH...]: tlob entries of UNIT as JSON lines.
journal_entries() {
	local unit=$1
	shift
	journalctl -q -u "$unit" "MESSAGE_ID=$MID" "$@" -o json 2>/dev/null
}

# --- setup -----------------------------------------------------------------------

setup() {
	mkdir -p /run/tlob-e2e/bin
	# tlob-e2e-upgrade.service runs a copy the test replaces
	cp "$DEMO" /run/tlob-e2e/bin/tlob-demo-upgrade || return 1
	echo STORM_COUNT=1 >/run/tlob-e2e/storm.env
	depmod -a || return 1
	# modules-load.d/tlob.conf is what loads the module (without one, it
	# has nothing to load)
	if [ "$backend" = kmod ]; then
		systemctl restart systemd-modules-load.service || return 1
	fi
	journalctl --update-catalog || return 1
	systemctl daemon-reload || return 1
	systemctl start tlob-demo.service || return 1
}

if ! setup_out=$(setup 2>&1); then
	mapfile -t lines <<<"$setup_out"
	not_ok "setup" "${lines[@]}"
	echo "1..$n"
	exit 1
fi

# --- tests -----------------------------------------------------------------------

test_module_loaded() {
	grep -q '^tlob ' /proc/modules || fail "tlob is not loaded"
	[ -c /dev/rv ] || fail "/dev/rv is missing"
}

test_no_module() {
	! modprobe tlob 2>"$tmp/modprobe" || fail "modprobe tlob succeeded"
	! grep -q '^tlob ' /proc/modules || fail "tlob is loaded"
	[ ! -e /dev/rv ] || fail "/dev/rv exists"
	echo "# modprobe tlob: $(head -n 1 "$tmp/modprobe")"
}
if [ "$backend" = kmod ]; then
	t "modules-load.d/tlob.conf loads tlob.ko, /dev/rv exists" test_module_loaded
else
	t "no tlob.ko: modprobe tlob fails, no /dev/rv" test_no_module
fi

test_activation() {
	local state
	state=$(systemctl is-active tlob-manager.service || true)
	[ "$state" != active ] || fail "tlob-manager was running before any call"
	tlobctl list >/dev/null || fail "tlobctl list failed"
	state=$(systemctl is-active tlob-manager.service || true)
	[ "$state" = active ] || fail "tlob-manager.service is $state after a call"
}
t "tlob-manager is started by D-Bus activation" test_activation

test_sandbox() {
	local pid caps want
	pid=$(main_pid tlob-manager.service)
	[ "$pid" -gt 0 ] || fail "no main pid"
	# The unit's: CAP_PERFMON (38), CAP_SYSLOG (34, kallsyms for the
	# causes' stacks), CAP_SYS_ADMIN (21), CAP_SYS_PTRACE (19, the maps
	# of violators), CAP_KILL (5, signal=) and CAP_DAC_READ_SEARCH (2);
	# with the module, tlob-manager keeps all but CAP_SYS_ADMIN, with BPF
	# all but CAP_KILL.
	if [ "$backend" = kmod ]; then want=0000004400080024; else want=0000004400280004; fi
	caps=$(awk '/^CapEff:/ { print $2 }' "/proc/$pid/status")
	[ "$caps" = $want ] || fail "CapEff $caps, expected $want"
	caps=$(awk '/^CapPrm:/ { print $2 }' "/proc/$pid/status")
	[ "$caps" = $want ] || fail "CapPrm $caps, expected $want"
	caps=$(awk '/^CapBnd:/ { print $2 }' "/proc/$pid/status")
	[ "$caps" = 0000004400280024 ] || fail "CapBnd $caps, expected 0000004400280024"
	grep -q '^NoNewPrivs:[[:space:]]*1' "/proc/$pid/status" || fail "NoNewPrivs is not set"
	# With the module, a seccomp filter of its own denies it bpf() and
	# perf_event_open() (tests/unit/test-sandbox: that it works).
	if journalctl -q -u tlob-manager.service -o cat | grep -E 'Failed to (drop CAP_SYS_ADMIN|drop CAP_KILL|deny bpf)'; then
		fail "the manager could not give up what the module does not need"
	fi
	echo "# $(grep '^Seccomp_filters:' "/proc/$pid/status" || echo 'Seccomp_filters: ?') ($backend)"
	[ "$(stat -c %U "/proc/$pid")" = root ] || fail "not running as root"
	# systemd's rating of the loaded unit: exposure at most 2.7
	systemd-analyze security --no-pager --threshold=27 tlob-manager.service >"$tmp/security" ||
		fail "$(tail -n 1 "$tmp/security")"
}
t "tlob-manager runs sandboxed: CAP_PERFMON, CAP_SYSLOG, CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH, CAP_KILL with the module only, CAP_SYS_ADMIN with BPF only, exposure <= 2.7" test_sandbox

test_backend() {
	local v
	v=$(manager_prop Backend)
	[ "$v" = "\"$backend\"" ] || fail "Backend is $v, expected \"$backend\""
	journalctl -q -u tlob-manager.service -o cat | grep -q "^Backend: $backend\.\$" ||
		fail "no 'Backend: $backend.' in the log: $(journalctl -q -u tlob-manager.service -n 5 -o cat)"
}
t "the default backend (auto) is $backend: the Backend property and the log say so" test_backend

watchdog_stamp() {
	systemctl show -p WatchdogTimestampMonotonic --value tlob-manager.service
}

test_watchdog() {
	local d=/run/systemd/system/tlob-manager.service.d pid t1 rc=0
	# (systemd shows the unit's WatchdogSec= once it has started it)
	systemctl start tlob-manager.service
	[ "$(systemctl show -p WatchdogUSec --value tlob-manager.service)" = 30s ] ||
		fail "WatchdogUSec=$(systemctl show -p WatchdogUSec --value tlob-manager.service)"
	# A shorter period than the unit's, so that pings come within seconds;
	# not shorter than a start: systemd counts the period from the start
	# of the process, and loading the BPF monitor takes 5 s of emulated
	# 6.1 (the verifier).
	mkdir -p "$d"
	printf '[Service]\nWatchdogSec=10s\n' >"$d/e2e-watchdog.conf"
	systemctl daemon-reload
	if systemctl restart tlob-manager.service; then
		pid=$(main_pid tlob-manager.service)
		t1=$(watchdog_stamp)
		wait_until 15 sh -c "[ \"\$(systemctl show -p WatchdogTimestampMonotonic --value tlob-manager.service)\" != $t1 ]" ||
			rc=1
		[ "$rc" = 0 ] && sleep 12	# more than a period: still the same process
		[ "$(main_pid tlob-manager.service)" = "$pid" ] || rc=2
	else
		rc=3
	fi
	# whatever happened, the unit's own period again for the tests after
	rm "$d/e2e-watchdog.conf"
	systemctl daemon-reload
	systemctl restart tlob-manager.service
	[ "$rc" != 1 ] || fail "no watchdog ping within 15 s (WatchdogSec=10s)"
	[ "$rc" != 2 ] || fail "tlob-manager was restarted: the watchdog fired"
	[ "$rc" != 3 ] || fail "restart with WatchdogSec=10s failed: $(systemctl show -p Result --value tlob-manager.service)"
}
t "tlob-manager pings the watchdog (WatchdogSec=30s in the unit)" test_watchdog

test_introspection() {
	busctl introspect --xml-interface "${BUS[0]}" "${BUS[1]}" >"$tmp/live.xml" ||
		fail "introspection failed"
	/usr/bin/python3 - "$tmp/live.xml" /usr/share/dbus-1/interfaces/org.tlob.Manager.xml <<'EOF'
import sys
import xml.etree.ElementTree as ET

def members(path):
    root = ET.parse(path).getroot()
    out = set()
    for iface in root.iter("interface"):
        if iface.get("name") != "org.tlob.Manager":
            continue
        for m in iface:
            if m.tag == "method":
                ins = "".join(a.get("type") for a in m.findall("arg") if a.get("direction", "in") == "in")
                outs = "".join(a.get("type") for a in m.findall("arg") if a.get("direction") == "out")
                out.add(f"method {m.get('name')}({ins}) -> ({outs})")
            elif m.tag == "signal":
                out.add(f"signal {m.get('name')}({''.join(a.get('type') for a in m.findall('arg'))})")
            elif m.tag == "property":
                out.add(f"property {m.get('name')} {m.get('type')} {m.get('access')}")
    return out

live, doc = members(sys.argv[1]), members(sys.argv[2])
if not doc:
    sys.exit("installed XML describes nothing")
for m in sorted(live - doc):
    print("served but not in the XML:", m)
for m in sorted(doc - live):
    print("in the XML but not served:", m)
sys.exit(live != doc)
EOF
}
t "the served interface matches the installed introspection XML" test_introspection

test_dropin_listed() {
	local id
	id=$(budget_id tlob-demo.service demo_request)
	[ -n "$id" ] || fail "no budget for tlob-demo.service: $(budgets)"
	[ "$(budget_field "$id" budget_ns)" = 5000000 ] || fail "budget_ns: $(budgets)"
	[ "$(budget_field "$id" source)" = dropin ] || fail "source: $(budgets)"
	wait_until 30 field_is "$id" active true ||
		fail "not active: $(budgets)"
	budgets | jq -e 'all(.[]; keys == ["active", "budget_ns", "id", "probe", "source", "unit"])' \
		>/dev/null || fail "list --json keys: $(budgets)"
}
t "the TlobBudget= drop-in of tlob-demo.service is listed and active" test_dropin_listed

demo_id=$(budget_id tlob-demo.service demo_request)

test_journal() {
	local pid e
	pid=$(main_pid tlob-demo.service)
	wait_until 20 sh -c "journalctl -q -u tlob-demo.service MESSAGE_ID=$MID -o cat | grep -q ." ||
		fail "no entry in journalctl -u tlob-demo.service MESSAGE_ID=$MID"
	e=$(journal_entries tlob-demo.service -n 1)
	jq -e --arg id "$demo_id" --arg pid "$pid" '
		.PRIORITY == "4" and
		.TLOB_BUDGET_ID == $id and
		.TLOB_UNIT == "tlob-demo.service" and
		(.TLOB_PROBE | contains("demo_request")) and
		.TLOB_BUDGET_NSEC == "5000000" and
		(.TLOB_ELAPSED_NSEC | tonumber) >= 5000000 and
		(.TLOB_STATE | IN("running", "waiting", "sleeping")) and
		.TLOB_COMM == "tlob-demo" and
		.OBJECT_PID == $pid and
		(.TLOB_TID | tonumber) > 0 and
		((.TLOB_RUNNING_NSEC | tonumber) + (.TLOB_WAITING_NSEC | tonumber) +
		 (.TLOB_SLEEPING_NSEC | tonumber)) > 0 and
		(.MESSAGE | startswith("tlob-demo.service: ")) and
		(.MESSAGE | contains("budget"))' <<<"$e" >/dev/null ||
		fail "entry: $e"
}
t "a blown drop-in budget is logged in journalctl -u with MESSAGE_ID and fields" test_journal

test_catalog() {
	journalctl --list-catalog "$MID" 2>/dev/null | grep -q "$MID" ||
		fail "no catalog entry for $MID"
	journalctl -q -x -u tlob-demo.service "MESSAGE_ID=$MID" -n 1 | grep -q 'tlob-manager(8)' ||
		fail "journalctl -x does not show the catalog text"
}
t "the journal catalog explains the MESSAGE_ID" test_catalog

test_watch() {
	watch_start "$tmp/watch"
	wait_until 15 has_violation "$tmp/watch" '.unit == "tlob-demo.service"' || true
	watch_stop
	jq -e -s --arg id "$demo_id" '
			map(select(.unit == "tlob-demo.service" and .id == $id and
				   .comm == "tlob-demo" and .budget_ns == 5000000 and
				   .elapsed_ns >= 5000000 and .pid > 0 and .tid > 0 and
				   (.state | IN("running", "waiting", "sleeping")) and
				   .timestamp_usec > 1000000000000000)) | length > 0' \
			"$tmp/watch" >/dev/null ||
		fail "watch printed: $(head -c 2000 "$tmp/watch") $(cat "$tmp/watch.err")"
	# human form
	timeout -s INT 6 tlobctl watch >"$tmp/watch.txt" 2>&1 || true
	grep -q "tlob-demo.service: budget $demo_id exceeded 5ms by tlob-demo\[" "$tmp/watch.txt" ||
		fail "human watch output: $(head -c 1000 "$tmp/watch.txt")"
}
t "tlobctl watch prints the Violation signals" test_watch

test_busctl_monitor() {
	timeout 8 busctl monitor --json=short \
		--match "type='signal',interface='org.tlob.Manager',member='Violation'" \
		>"$tmp/monitor" 2>&1 || true
	grep -q '"member":"Violation"' "$tmp/monitor" ||
		fail "busctl monitor: $(head -c 1000 "$tmp/monitor")"
	grep -q '"tlob-demo.service"' "$tmp/monitor" ||
		fail "no Violation of tlob-demo.service: $(head -c 1000 "$tmp/monitor")"
}
t "busctl monitor sees the Violation signal" test_busctl_monitor

test_status_one() {
	tlobctl status "$demo_id" >"$tmp/status" || fail "status failed"
	for re in "^Budget $demo_id\$" "^ *Unit: tlob-demo.service\$" "^ *Budget: 5ms\$" \
		  "^ *Windows: [1-9]" "^ *Violations: [1-9]" "^ *p50: <=" "^ *p99: <=" \
		  "^ *nsecs +: count +distribution\$" "-> [0-9]+ +: [1-9][0-9]* +\|\*+ *\|\$"; do
		grep -Eq -- "$re" "$tmp/status" || fail "no /$re/ in: $(cat "$tmp/status")"
	done
	tlobctl status --json=pretty "$demo_id" >"$tmp/status.json" || fail "status --json failed"
	jq -e '(keys | contains(["unit", "probe", "binary", "start_offset", "stop_offset",
				 "stop_on_return", "budget_nsec", "source", "active",
				 "windows", "violations", "max_nsec", "histogram"])) and
	       .unit == "tlob-demo.service" and .budget_nsec == 5000000 and
	       .stop_on_return == true and .binary == "'"$DEMO"'" and
	       .violations > 0 and .max_nsec >= 5000000 and
	       # a violation counts at expiry, its window when it ends
	       .violations <= .windows + 1 and
	       (.histogram | length > 0 and all(.[]; length == 2)) and
	       ([.histogram[][1]] | add) == .windows' "$tmp/status.json" >/dev/null ||
		fail "status --json: $(cat "$tmp/status.json")"
}
t "tlobctl status ID shows counters, p50/p99 and the histogram" test_status_one

test_status_all() {
	tlobctl status >"$tmp/status" || fail "status failed"
	grep -Eq "^ *Backend: $backend\$" "$tmp/status" || fail "no backend: $(cat "$tmp/status")"
	grep -Eq "^$demo_id +tlob-demo.service " "$tmp/status" || fail "no budget row: $(cat "$tmp/status")"
	tlobctl status --json=short | jq -e --arg id "$demo_id" '
		.backend == "'"$backend"'" and .budget_count >= 1 and .violation_count > 0 and
		(.budgets | map(select(.id == $id and .violations > 0)) | length == 1)' >/dev/null ||
		fail "status --json: $(tlobctl status --json=short)"
}
t "tlobctl status summarises the manager and all budgets" test_status_all

test_add() {
	local api_id f
	api_id=$(tlobctl add --description="e2e handler" tlob-demo.service demo_handle 50ms) ||
		fail "add failed"
	[ -n "$api_id" ] || fail "add printed no id"
	echo "$api_id" >"$state/api_id"
	f=/etc/systemd/system.control/tlob-demo.service.d/50-TlobBudget-$api_id.conf
	[ -f "$f" ] || fail "no $f: $(ls -R /etc/systemd/system.control)"
	grep -q '^\[X-Tlob\]' "$f" || fail "$f: $(cat "$f")"
	grep -q '^TlobBudget=.*demo_handle.* 50ms' "$f" || fail "$f: $(cat "$f")"
	[ "$(budget_field "$api_id" source)" = api ] || fail "list: $(budgets)"
	# tlob-manager has systemd reload (asynchronously) so that it sees the file
	wait_until 30 sh -c "systemctl cat tlob-demo.service | grep -q 50-TlobBudget-$api_id.conf" ||
		fail "systemctl cat does not show it: $(systemctl cat tlob-demo.service 2>&1)"
}
t "tlobctl add persists a drop-in that systemctl cat shows" test_add

api_id() {
	cat "$state/api_id" 2>/dev/null || true
}

test_add_survives_restart() {
	local api_id
	api_id=$(api_id)
	[ -n "$api_id" ] || fail "no budget from the previous test"
	systemctl restart tlob-manager.service || fail "restart failed"
	[ "$(budget_field "$api_id" source)" = api ] || fail "gone after restart: $(budgets)"
	wait_until 30 field_is "$api_id" active true || fail "not active: $(budgets)"
}
t "an added budget survives a restart of tlob-manager" test_add_survives_restart

test_runtime() {
	local rid f api_id
	api_id=$(api_id)
	rid=$(tlobctl add --runtime tlob-burst.service demo_handle 1s) || fail "add --runtime failed"
	f=$(ls /run/systemd/system.control/*/50-TlobBudget-"$rid".conf 2>/dev/null || true)
	[ -n "$f" ] || fail "no runtime drop-in for $rid under /run/systemd/system.control"
	ls /etc/systemd/system.control/*/50-TlobBudget-"$rid".conf >/dev/null 2>&1 &&
		fail "the runtime budget was written to /etc"
	[ "$(budget_field "$rid" source)" = runtime ] || fail "list: $(budgets)"
	# A reboot empties /run: do that while the manager is down.
	systemctl stop tlob-manager.service
	rm -f /run/systemd/system.control/*/50-TlobBudget-*.conf
	systemctl start tlob-manager.service || fail "start failed"
	[ -z "$(budget_field "$rid" id)" ] || fail "runtime budget still listed: $(budgets)"
	[ "$(budget_field "$api_id" source)" = api ] || fail "persistent budget lost: $(budgets)"
}
t "a --runtime budget lives in /run and is gone when /run is" test_runtime

test_remove() {
	local api_id f
	api_id=$(api_id)
	[ -n "$api_id" ] || fail "no budget from test_add"
	f=/etc/systemd/system.control/tlob-demo.service.d/50-TlobBudget-$api_id.conf
	tlobctl remove "$api_id" || fail "remove failed"
	[ ! -e "$f" ] || fail "$f still exists"
	[ -z "$(budget_field "$api_id" id)" ] || fail "still listed: $(budgets)"
	wait_until 30 sh -c "! systemctl cat tlob-demo.service | grep -q TlobBudget-$api_id" ||
		fail "systemctl cat still shows it"
}
t "tlobctl remove deletes the drop-in" test_remove

test_outside_unit() {
	local pid
	# (bound once systemd answered the manager, restarted above)
	wait_until 30 field_is "$demo_id" active true || fail "not active: $(budgets)"
	watch_start "$tmp/outside"
	"$DEMO" request 20000 10 0 &
	pid=$!
	wait "$pid"
	sleep 1
	watch_stop
	has_violation "$tmp/outside" '.unit == "tlob-demo.service"' ||
		fail "no violation of the service while watching: $(head -c 500 "$tmp/outside")"
	! has_violation "$tmp/outside" ".pid == $pid" ||
		fail "violation of pid $pid outside the unit: $(grep "\"pid\":$pid," "$tmp/outside" | head -n 3)"
}
t "the same binary outside the unit triggers nothing" test_outside_unit

test_unit_restart() {
	local old new
	old=$(main_pid tlob-demo.service)
	systemctl restart tlob-demo.service || fail "restart failed"
	new=$(main_pid tlob-demo.service)
	[ "$new" != "$old" ] || fail "main pid $old -> $new"
	[ "$new" -gt 0 ] || fail "main pid $old -> $new"
	watch_start "$tmp/restart"
	wait_until 20 has_violation "$tmp/restart" ".pid == $new" || true
	watch_stop
	has_violation "$tmp/restart" ".pid == $new" ||
		fail "no violation of the new main pid $new: $(head -c 500 "$tmp/restart")"
}
t "a restarted unit is still monitored" test_unit_restart

test_unit_stop() {
	systemctl stop tlob-demo.service || fail "stop failed"
	wait_until 30 field_is "$demo_id" active false ||
		fail "still active: $(budgets)"
	busctl call "${BUS[@]}" GetBudget s "$demo_id" --json=short |
		jq -e '.data[0].Active.data == false' >/dev/null || fail "GetBudget Active is not false"
	systemctl start tlob-demo.service || fail "start failed"
	wait_until 30 field_is "$demo_id" active true ||
		fail "not active again: $(budgets)"
}
t "a stopped unit's budget stays listed with Active=false" test_unit_stop
# whatever happened above, the later tests need the service running
systemctl start tlob-demo.service

as_nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"
}

test_nobody_list() {
	as_nobody tlobctl list --json=short | jq -e --arg id "$demo_id" \
		'map(select(.id == $id)) | length == 1' >/dev/null || fail "list as nobody failed"
	as_nobody tlobctl status "$demo_id" >/dev/null || fail "status as nobody failed"
}
t "an unprivileged user can list budgets and read their status" test_nobody_list

test_nobody_add() {
	local out nid
	out=$(SYSTEMD_LOG_LEVEL=debug as_nobody tlobctl add tlob-demo.service demo_handle 40ms 2>&1) &&
		fail "add as nobody succeeded: $out"
	grep -Eq 'D-Bus error org\.freedesktop\.DBus\.Error\.(AccessDenied|InteractiveAuthorizationRequired)' \
		<<<"$out" || fail "add as nobody: $out"
	# a budget that may be removed (one of a drop-in may not, whoever asks)
	nid=$(tlobctl add tlob-burst.service demo_handle 1s) || fail "add as root failed"
	out=$(SYSTEMD_LOG_LEVEL=debug as_nobody tlobctl remove "$nid" 2>&1) &&
		fail "remove as nobody succeeded"
	tlobctl remove "$nid" || fail "remove as root failed"
	grep -Eq 'org\.freedesktop\.DBus\.Error\.(AccessDenied|InteractiveAuthorizationRequired)' \
		<<<"$out" || fail "remove as nobody: $out"
	out=$(SYSTEMD_LOG_LEVEL=debug as_nobody tlobctl reload 2>&1) && fail "reload as nobody succeeded"
	grep -Eq 'org\.freedesktop\.DBus\.Error\.(AccessDenied|InteractiveAuthorizationRequired)' \
		<<<"$out" || fail "reload as nobody: $out"
	# the nobody user has no session: polkit must refuse, not ask
	out=$(as_nobody busctl call "${BUS[@]}" AddBudget 'ssta{sv}' tlob-demo.service demo_handle 40000000 0 2>&1) &&
		fail "AddBudget over busctl as nobody succeeded"
	return 0
}
t "an unprivileged user gets AccessDenied for add, remove and reload" test_nobody_add

# expect_error NAME ARGS...: tlobctl ARGS fails with D-Bus error NAME.
expect_error() {
	local name=$1 out
	shift
	out=$(SYSTEMD_LOG_LEVEL=debug tlobctl "$@" 2>&1) && fail "tlobctl $* succeeded"
	grep -q "D-Bus error org.tlob.Error.$name:" <<<"$out" || fail "tlobctl $*: $out"
	[ "$(grep -cv 'D-Bus error' <<<"$out")" = 1 ] || fail "more than one error line: $out"
}

bad_input() {
	local name=$1
	shift
	eval "test_bad_$name() { expect_error $name $(printf '%q ' "$@"); }"
	t "bad input gets org.tlob.Error.$name: $*" "test_bad_$name"
}

manager_pid=$(main_pid tlob-manager.service)
bad_input InvalidProbe add tlob-demo.service "demo request" 5ms
bad_input InvalidProbe add tlob-demo.service "demo_request..a..b" 5ms
bad_input InvalidProbe add tlob-demo.service "relative/path:main" 5ms
bad_input NoSuchSymbol add tlob-demo.service no_such_function_e2e 5ms
bad_input NoSuchSymbol add tlob-demo.service "demo_request..no_such_function_e2e" 5ms
bad_input NoSuchFile add tlob-demo.service /nonexistent/tlob-e2e:main 5ms
bad_input InvalidBudget add tlob-demo.service demo_handle 0
bad_input InvalidBudget add tlob-demo.service demo_handle 2h
bad_input NoSuchUnit add tlob-e2e-no-such-unit.service demo_request 5ms
bad_input NoSuchBudget remove no-such-budget-e2e
bad_input NoSuchBudget status no-such-budget-e2e
bad_input Exists add tlob-demo.service demo_request 5ms

ms_since() {
	echo $((($(date +%s%N) - $1) / 1000000))
}

test_fifo_probe() {
	local d=/etc/systemd/system/tlob-demo.service.d fifo=/run/tlob-e2e/probe.fifo
	local id t0 ms worst loop reload_ms timed
	rm -f "$fifo"
	mkfifo "$fifo"
	# nothing ever writes to it: an open() for reading would wait forever
	t0=$(date +%s%N)
	expect_error InvalidProbe add tlob-demo.service "$fifo:main" 5ms
	echo "# AddBudget with a FIFO probe: InvalidProbe after $(ms_since "$t0") ms"
	SYSTEMD_LOG_LEVEL=debug tlobctl add tlob-demo.service "$fifo:main" 5ms 2>&1 |
		grep -q "$fifo is a FIFO" || fail "the error does not say what $fifo is"

	# The same in a drop-in of the running unit: binding fails at once.
	printf '[X-Tlob]\nTlobBudget=%s:main 5ms\n' "$fifo" >"$d/zz-e2e-fifo.conf"
	t0=$(date +%s%N)
	timeout 20 tlobctl reload || fail "tlobctl reload failed or hung"
	reload_ms=$(ms_since "$t0")
	id=$(budget_id tlob-demo.service probe.fifo:main)
	[ -n "$id" ] || fail "the FIFO budget is not listed: $(budgets)"

	# GetBudget (open to everybody) resolves unbound budgets: a caller
	# (nobody) asking for this one in a loop, while we time our calls
	# from one connection (a process start is slow here: not counted).
	as_nobody "$GETBUDGET" "$id" 0 2>"$tmp/loop.err" &
	loop=$!
	sleep 0.5
	timed=$(timeout 60 "$GETBUDGET" "$id" 20) || { kill "$loop"; fail "GetBudget or ListBudgets failed"; }
	kill "$loop"
	wait "$loop" 2>/dev/null || true
	[ ! -s "$tmp/loop.err" ] || fail "the other caller failed: $(cat "$tmp/loop.err")"
	worst=$(sed -n 's/.*getbudget_max_us=\([0-9]*\).*/\1/p' <<<"$timed")
	ms=$(sed -n 's/.*listbudgets_max_us=\([0-9]*\).*/\1/p' <<<"$timed")
	echo "# tlobctl reload with a FIFO probe in a drop-in: $reload_ms ms (process start included)"
	echo "# GetBudget of that budget, 20 calls while another caller loops: $timed"
	[ -n "$worst" ] && [ "$worst" -lt 1000000 ] || fail "GetBudget: $timed"
	[ -n "$ms" ] && [ "$ms" -lt 1000000 ] || fail "ListBudgets meanwhile: $timed"
	[ "$(budget_field "$id" active)" = false ] || fail "a FIFO was bound: $(budgets)"

	rm "$d/zz-e2e-fifo.conf" "$fifo"
	tlobctl reload
	[ -z "$(budget_id tlob-demo.service probe.fifo:main)" ] || fail "still listed: $(budgets)"
}
t "a FIFO at a probe path: refused at once, GetBudget answers within a second" test_fifo_probe

test_still_serving() {
	[ "$(main_pid tlob-manager.service)" = "$manager_pid" ] ||
		fail "tlob-manager was restarted (pid $manager_pid -> $(main_pid tlob-manager.service))"
	[ -n "$(budget_id tlob-demo.service demo_request)" ] || fail "list: $(budgets)"
}
t "tlob-manager keeps serving after bad input" test_still_serving

test_kill9() {
	local old new
	old=$(main_pid tlob-manager.service)
	kill -9 "$old" || fail "kill failed"
	wait_until 20 sh -c "[ \"\$(systemctl show -p MainPID --value tlob-manager.service)\" != $old ] &&
			     systemctl is-active -q tlob-manager.service" ||
		fail "tlob-manager was not restarted: $(systemctl status tlob-manager.service 2>&1 | head -n 5)"
	new=$(main_pid tlob-manager.service)
	watch_start "$tmp/kill9"
	wait_until 20 has_violation "$tmp/kill9" '.unit == "tlob-demo.service"' || true
	watch_stop
	has_violation "$tmp/kill9" '.unit == "tlob-demo.service"' ||
		fail "no violation after the restart (pid $old -> $new): $(head -c 500 "$tmp/kill9")"
}
t "kill -9 of tlob-manager: systemd restarts it and violations are still caught" test_kill9

test_reload() {
	local d=/etc/systemd/system/tlob-demo.service.d
	printf '[X-Tlob]\nTlobBudget=demo_handle 80ms\n' >"$d/e2e-reload.conf"
	tlobctl reload || fail "reload failed"
	[ -n "$(budget_id tlob-demo.service demo_handle)" ] || fail "not listed after reload: $(budgets)"
	rm "$d/e2e-reload.conf"
	systemctl daemon-reload
	wait_until 30 no_budget tlob-demo.service demo_handle ||
		fail "still listed after systemctl daemon-reload: $(budgets)"
	# an empty TlobBudget= resets the list built so far
	# (after tlob.conf in name order)
	printf '[X-Tlob]\nTlobBudget=\nTlobBudget=demo_handle 90ms\n' >"$d/zz-e2e-reset.conf"
	tlobctl reload || fail "reload failed"
	[ -z "$(budget_id tlob-demo.service demo_request)" ] ||
		fail "TlobBudget= did not reset: $(budgets)"
	[ -n "$(budget_id tlob-demo.service demo_handle)" ] || fail "not listed: $(budgets)"
	rm "$d/zz-e2e-reset.conf"
	tlobctl reload || fail "reload failed"
	[ -n "$(budget_id tlob-demo.service demo_request)" ] || fail "not back: $(budgets)"
}
t "tlobctl reload and systemctl daemon-reload re-read the drop-ins" test_reload
demo_id=$(budget_id tlob-demo.service demo_request)

test_burst_count() {
	local before after v burst_id
	systemctl stop tlob-demo.service
	burst_id=$(budget_id tlob-burst.service demo_request)
	[ -n "$burst_id" ] || fail "no budget for tlob-burst.service: $(budgets)"
	sleep 1
	before=$(manager_prop ViolationCount)
	systemctl start tlob-burst.service || fail "start failed"
	wait_until 30 field_is "$burst_id" active true || fail "not active: $(budgets)"
	touch /run/tlob-e2e/go
	wait_until 120 sh -c '! systemctl is-active -q tlob-burst.service' || fail "burst did not end"
	wait_until 30 prop_ge ViolationCount $((before + 1000)) || true
	sleep 1
	after=$(manager_prop ViolationCount)
	[ "$after" = $((before + 1000)) ] || fail "ViolationCount $before -> $after, expected +1000"
	v=$(busctl call "${BUS[@]}" GetBudget s "$burst_id" --json=short | jq '.data[0].Violations.data')
	[ "$v" = 1000 ] || fail "Violations of the burst budget: $v"
	systemctl start tlob-demo.service
}
t "a burst of 1000 violations gives an exact ViolationCount" test_burst_count

summed_entries() {
	journalctl -q "TLOB_BUDGET_ID=$1" -o json |
		jq -s '(map(select(.MESSAGE_ID == "'"$MID"'")) | length) +
		       (map(.TLOB_SUPPRESSED // "0" | tonumber) | add // 0)'
}

summed_ge() {
	[ "$(summed_entries "$1")" -ge "$2" ]
}

test_burst_journal() {
	local full burst_id
	burst_id=$(budget_id tlob-burst.service demo_request)
	[ -n "$burst_id" ] || fail "no burst budget"
	# summaries come at the end of each 10 s interval: entries plus the
	# numbers they give add up to every violation
	wait_until 40 summed_ge "$burst_id" 1000 || true
	journalctl -q "TLOB_BUDGET_ID=$burst_id" -o json >"$tmp/burst.json"
	full=$(jq -s 'map(select(.MESSAGE_ID == "'"$MID"'")) | length' "$tmp/burst.json")
	[ "$full" -ge 10 ] || fail "$full violation entries, expected 10 per 10 s"
	[ "$full" -le 30 ] || fail "$full violation entries, expected 10 per 10 s"
	jq -s -e 'map(select(.TLOB_SUPPRESSED != null)) | length >= 1' "$tmp/burst.json" >/dev/null ||
		fail "no summary entry: $(jq -r .MESSAGE "$tmp/burst.json" | tail -n 3)"
	[ "$(summed_entries "$burst_id")" = 1000 ] ||
		fail "entries + suppressed = $(summed_entries "$burst_id"), expected 1000:" \
		     "$(jq -r 'select(.TLOB_SUPPRESSED != null) | .MESSAGE' "$tmp/burst.json")"
}
t "a burst is logged rate-limited, with a summary entry" test_burst_journal

test_self() {
	systemd-run --unit=tlob-e2e-self.service --wait -q \
		"$DEMO" self 1000 20000 3 >/dev/null 2>&1 || fail "systemd-run failed"
	wait_until 20 sh -c "journalctl -q -u tlob-e2e-self.service MESSAGE_ID=$MID -o cat | grep -q ." ||
		fail "no entry in journalctl -u tlob-e2e-self.service"
	journal_entries tlob-e2e-self.service | jq -e -s '
		length >= 1 and all(.[]; .TLOB_UNIT == "tlob-e2e-self.service" and
				    .TLOB_BUDGET_NSEC == "1000000" and
				    (.TLOB_BUDGET_ID // "") == "")' >/dev/null ||
		fail "entries: $(journal_entries tlob-e2e-self.service | head -c 1500)"
}
t_kmod "a self-instrumented program in a unit is logged with its unit" test_self \
	"no self-instrumented windows (they need /dev/rv)"

test_short_lived() {
	local id pid mpid e
	id=$(budget_id tlob-e2e-short.service demo_request)
	[ -n "$id" ] || fail "no budget for tlob-e2e-short.service: $(budgets)"
	rm -f /run/tlob-e2e/short-go
	systemctl start tlob-e2e-short.service || fail "start failed"
	wait_until 30 field_is "$id" active true || fail "not active: $(budgets)"
	pid=$(main_pid tlob-e2e-short.service)
	mpid=$(main_pid tlob-manager.service)
	# The manager hears of the violation only once the violator is gone.
	kill -STOP "$mpid"
	touch /run/tlob-e2e/short-go
	wait_until 20 sh -c "! systemctl is-active -q tlob-e2e-short.service && [ ! -e /proc/$pid ]" ||
		{ kill -CONT "$mpid"; fail "the violator did not exit"; }
	kill -CONT "$mpid"
	wait_until 20 sh -c "journalctl -q -u tlob-e2e-short.service MESSAGE_ID=$MID -o cat | grep -q ." ||
		fail "not in journalctl -u tlob-e2e-short.service: $(journalctl -q TLOB_BUDGET_ID="$id" -o json | head -c 1500)"
	e=$(journal_entries tlob-e2e-short.service -n 1)
	jq -e --arg id "$id" --arg pid "$pid" '
		.TLOB_BUDGET_ID == $id and .OBJECT_PID == $pid and
		.OBJECT_SYSTEMD_UNIT == "tlob-e2e-short.service" and
		.TLOB_UNIT == "tlob-e2e-short.service"' <<<"$e" >/dev/null ||
		fail "entry: $e"
	[ "$(main_pid tlob-manager.service)" = "$mpid" ] || fail "tlob-manager was restarted"
}
t "a violator that exited before its entry was written is in journalctl -u" test_short_lived

test_oneshot() {
	local id e w v
	id=$(budget_id tlob-e2e-oneshot.service demo_request)
	[ -n "$id" ] || fail "no budget for tlob-e2e-oneshot.service: $(budgets)"
	# bound before the unit ever ran
	[ "$(budget_get "$id" BindingId)" -gt 0 ] || fail "not bound: $(budgets)"
	[ "$(budget_get "$id" ControlGroup)" = system.slice/tlob-e2e-oneshot.service ] ||
		fail "ControlGroup $(budget_get "$id" ControlGroup)"
	for i in $(seq 1 15); do
		systemctl start tlob-e2e-oneshot.service || fail "start $i failed"
	done
	# summaries come at the end of the 10 s interval
	wait_until 40 journal_sum_is tlob-e2e-oneshot.service 15 || true
	e=$(journal_entries tlob-e2e-oneshot.service | jq -s length)
	w=$(budget_get "$id" Windows)
	v=$(budget_get "$id" Violations)
	echo "# oneshot unit, 12 ms under a 10 ms budget, started 15 times: $(journal_sum tlob-e2e-oneshot.service)/15 violations in journalctl -u ($e entries, the rest in rate-limit summaries); kernel: $w windows, $v violations"
	[ "$(journal_sum tlob-e2e-oneshot.service)" = 15 ] || fail "journalctl -u shows $(journal_sum tlob-e2e-oneshot.service) of 15"
	[ "$w" = 15 ] && [ "$v" = 15 ] || fail "kernel: windows $w, violations $v"
}
t "a oneshot unit is measured from its first instruction: 15 runs, 15 violations in journalctl -u" test_oneshot

tmpl_violated() {
	has_violation "$1" ".unit == \"tlob-e2e-tmpl@$2.service\""
}

test_template() {
	local id cg list0 list1 loaded0 rss0 rss1 w0 v0 w e
	[ "$(budgets | jq '[.[] | select(.unit | startswith("tlob-e2e-tmpl@"))] | length')" = 1 ] ||
		fail "not one budget for the template: $(budgets)"
	id=$(budget_id 'tlob-e2e-tmpl@.service' demo_request)
	[ -n "$id" ] || fail "no budget of unit tlob-e2e-tmpl@.service: $(budgets)"
	cg=$(budget_get "$id" ControlGroup)
	[ "$cg" = 'system.slice/system-tlob\x2de2e\x2dtmpl.slice' ] || fail "ControlGroup $cg"
	[ "$(budget_get "$id" BindingId)" -gt 0 ] || fail "not bound"
	[ "$(budget_field "$id" active)" = false ] || fail "active with no instance: $(budgets)"

	# instances name themselves in signals and in the journal
	watch_start "$tmp/tmpl"
	systemctl start tlob-e2e-tmpl@a.service tlob-e2e-tmpl@b.service || fail "start failed"
	wait_until 30 tmpl_violated "$tmp/tmpl" a || true
	wait_until 30 tmpl_violated "$tmp/tmpl" b || true
	watch_stop
	tmpl_violated "$tmp/tmpl" a && tmpl_violated "$tmp/tmpl" b ||
		fail "signals: $(head -c 1500 "$tmp/tmpl")"
	has_violation "$tmp/tmpl" ".id == \"$id\"" || fail "not the template's budget: $(head -c 600 "$tmp/tmpl")"
	[ "$(budget_field "$id" active)" = true ] || fail "not active with instances running: $(budgets)"
	wait_until 20 sh -c "journalctl -q -u tlob-e2e-tmpl@b.service MESSAGE_ID=$MID -o cat | grep -q ." ||
		fail "not in journalctl -u tlob-e2e-tmpl@b.service"
	e=$(journal_entries tlob-e2e-tmpl@b.service -n 1)
	jq -e --arg id "$id" '.TLOB_BUDGET_ID == $id and .TLOB_UNIT == "tlob-e2e-tmpl@b.service" and
		.OBJECT_SYSTEMD_UNIT == "tlob-e2e-tmpl@b.service" and
		.TLOB_BUDGET_UNIT == "tlob-e2e-tmpl@.service"' <<<"$e" >/dev/null || fail "entry: $e"
	systemctl stop 'tlob-e2e-tmpl@*.service'

	# 200 instances come and go: nothing kept for them, no reload
	list0=$(budgets | jq -c 'sort_by(.id)')
	loaded0=$(journalctl -q -u tlob-manager.service -o cat | grep -c 'Loaded .* budget' || true)
	w0=$(budget_get "$id" Windows)
	v0=$(budget_get "$id" Violations)
	rss0=$(manager_rss_kib)
	for c in 0 1 2 3; do
		systemctl start $(seq -f "tlob-e2e-tmpl@%g.service" $((c * 50 + 1)) $((c * 50 + 50))) ||
			fail "start of instances $((c * 50 + 1))-$((c * 50 + 50)) failed"
		wait_until 60 budget_cmp "$id" Windows -ge $((w0 + c * 50 + 50)) ||
			fail "the instances' windows did not come: $(budget_get "$id" Windows)"
		systemctl stop 'tlob-e2e-tmpl@*.service'
	done
	sleep 1
	rss1=$(manager_rss_kib)
	list1=$(budgets | jq -c 'sort_by(.id)')
	w=$(budget_get "$id" Windows)
	echo "# 200 instances of tlob-e2e-tmpl@.service started and stopped: VmRSS of tlob-manager ${rss0} KiB -> ${rss1} KiB; ListBudgets unchanged ($(jq length <<<"$list1") budgets); $((w - w0)) windows, $(($(budget_get "$id" Violations) - v0)) violations of the template's budget"
	[ "$list1" = "$list0" ] || fail "ListBudgets changed: $list0 -> $list1"
	[ "$(journalctl -q -u tlob-manager.service -o cat | grep -c 'Loaded .* budget' || true)" = "$loaded0" ] ||
		fail "tlob-manager reloaded for instances"
	[ "$((w - w0))" = 200 ] || fail "$((w - w0)) windows of 200 instances"
	[ "$rss1" -le $((rss0 + 512)) ] || fail "VmRSS grew from $rss0 to $rss1 KiB"
}
t "a template's budget covers every instance, names it, keeps nothing per instance (200 instances)" test_template

upgrade_binding() {
	budget_get "$(budget_id tlob-e2e-upgrade.service demo_request)" BindingId
}

test_upgrade() {
	local id b1 b2 pid bin=/run/tlob-e2e/bin/tlob-demo-upgrade
	id=$(budget_id tlob-e2e-upgrade.service demo_request)
	[ -n "$id" ] || fail "no budget: $(budgets)"
	systemctl start tlob-e2e-upgrade.service || fail "start failed"
	b1=$(upgrade_binding)
	watch_start "$tmp/upg1"
	wait_until 20 has_violation "$tmp/upg1" ".id == \"$id\"" || true
	watch_stop
	has_violation "$tmp/upg1" ".id == \"$id\"" || fail "no violation before the upgrade"
	# a new binary, renamed over the old one, and the unit restarted
	cp "$DEMO" "$bin.new" && mv -f "$bin.new" "$bin" || fail "cannot replace $bin"
	systemctl restart tlob-e2e-upgrade.service || fail "restart failed"
	pid=$(main_pid tlob-e2e-upgrade.service)
	wait_until 30 budget_cmp "$id" BindingId != "$b1" ||
		fail "still bound as $b1 to the old inode"
	b2=$(upgrade_binding)
	watch_start "$tmp/upg2"
	wait_until 20 has_violation "$tmp/upg2" ".pid == $pid" || true
	watch_stop
	echo "# binary replaced by rename, unit restarted: binding $b1 -> $b2; violations of the new process: $(jq -s "map(select(.pid == $pid)) | length" "$tmp/upg2")"
	has_violation "$tmp/upg2" ".pid == $pid" || fail "no violation of the new binary: $(head -c 500 "$tmp/upg2")"
	# the old binding is gone from the kernel (the module lists them; the
	# BPF monitor is the manager's alone: its log says it unbound it)
	if [ "$backend" = kmod ]; then
		! grep -q "id=$b1 " /sys/kernel/tlob/monitor || fail "binding $b1 still there"
		grep -q "id=$b2 " /sys/kernel/tlob/monitor || fail "binding $b2 not listed"
	fi
	systemctl stop tlob-e2e-upgrade.service
}
t "a binary replaced by rename and its unit restarted: rebound, violations still caught" test_upgrade

test_fd_store() {
	local b1 b2 pid v
	b1=$(budget_get "$demo_id" BindingId)
	pid=$(main_pid tlob-manager.service)
	v=$(manager_prop ViolationCount)
	# systemctl restart: the fd store stays, and with it the bindings
	systemctl restart tlob-manager.service || fail "restart failed"
	[ "$(main_pid tlob-manager.service)" != "$pid" ] || fail "not restarted"
	[ "$(budget_get "$demo_id" BindingId)" = "$b1" ] ||
		fail "binding $b1 -> $(budget_get "$demo_id" BindingId) over a restart"
	[ "$(manager_prop ViolationCount)" -ge "$v" ] || fail "ViolationCount $v -> $(manager_prop ViolationCount)"
	journalctl -q -u tlob-manager.service -o cat | grep -q 'Took over [1-9][0-9]* binding' ||
		fail "no binding taken over: $(journalctl -q -u tlob-manager.service -n 5 -o cat)"
	echo "# systemctl restart tlob-manager: binding $b1 kept, ViolationCount $v -> $(manager_prop ViolationCount)"
	# systemctl stop empties the store: every binding goes with /dev/rv
	v=$(manager_prop ViolationCount)
	systemctl stop tlob-manager.service
	[ "$(awk '$1 == "bindings" { print $2 }' /sys/kernel/tlob/stats)" = 0 ] ||
		fail "bindings left after stop: $(cat /sys/kernel/tlob/stats)"
	systemctl start tlob-manager.service || fail "start failed"
	wait_until 30 budget_cmp "$demo_id" BindingId -gt 0 ||
		fail "not bound again after the start"
	b2=$(budget_get "$demo_id" BindingId)
	echo "# systemctl stop, start: the store is emptied; binding $b1 -> $b2, ViolationCount $(manager_prop ViolationCount)"
	[ "$b2" != "$b1" ] || fail "the same binding after stop and start"
	# counted anew: below what the stopped one had (the demo goes on
	# violating while the new one starts and binds)
	[ "$(manager_prop ViolationCount)" -lt "$v" ] || fail "ViolationCount kept over a stop: $v -> $(manager_prop ViolationCount)"
}
t_kmod "systemctl restart keeps bindings and counters (fd store); stop empties the store" test_fd_store \
	"its bindings end with tlob-manager, nothing of them is in the fd store (test_bpf_restart)"

test_bpf_restart() {
	local pid v w wv vs
	# tlob-demo stopped: its budget's figures must come back exactly.
	systemctl stop tlob-demo.service
	sleep 1
	w=$(budget_get "$demo_id" Windows)
	wv=$(budget_get "$demo_id" Violations)
	[ "$w" -gt 0 ] && [ "$wv" -gt 0 ] || fail "nothing measured yet: Windows $w, Violations $wv"
	pid=$(main_pid tlob-manager.service)
	v=$(manager_prop ViolationCount)
	systemctl restart tlob-manager.service || fail "restart failed"
	[ "$(main_pid tlob-manager.service)" != "$pid" ] || fail "not restarted"
	wait_until 30 budget_cmp "$demo_id" BindingId -gt 0 || fail "not bound again after the restart"
	[ "$(manager_prop ViolationCount)" -ge "$v" ] || fail "ViolationCount $v -> $(manager_prop ViolationCount)"
	[ "$(budget_get "$demo_id" Windows)" = "$w" ] || fail "Windows $w -> $(budget_get "$demo_id" Windows)"
	[ "$(budget_get "$demo_id" Violations)" = "$wv" ] || fail "Violations $wv -> $(budget_get "$demo_id" Violations)"
	systemctl start tlob-demo.service
	wait_until 30 field_is "$demo_id" active true || fail "not active: $(budgets)"
	! journalctl -q -u tlob-manager.service -o cat | grep -q 'Took over [1-9]' ||
		fail "bindings taken over from the fd store"
	echo "# systemctl restart tlob-manager: bound anew; Windows $w -> $(budget_get "$demo_id" Windows), ViolationCount $v -> $(manager_prop ViolationCount)"
	watch_start "$tmp/bpfrestart"
	wait_until 20 has_violation "$tmp/bpfrestart" '.unit == "tlob-demo.service"' || true
	watch_stop
	has_violation "$tmp/bpfrestart" '.unit == "tlob-demo.service"' || fail "no violation after the restart"
	vs=$(manager_prop ViolationCount)
	[ "$vs" -ge 50 ] || fail "ViolationCount $vs before the stop: too few to tell a reset"
	systemctl stop tlob-manager.service
	systemctl start tlob-manager.service || fail "start failed"
	wait_until 30 budget_cmp "$demo_id" BindingId -gt 0 || fail "not bound again after the start"
	echo "# systemctl stop, start: Windows $(budget_get "$demo_id" Windows), ViolationCount $(manager_prop ViolationCount)"
	[ "$(manager_prop ViolationCount)" -lt 50 ] || fail "ViolationCount kept over a stop: $(manager_prop ViolationCount)"
}
if [ "$backend" = bpf ]; then
	t "BPF backend: systemctl restart binds anew and keeps statistics and counters; stop empties them" test_bpf_restart
fi

storm_done() {
	! systemctl is-active -q tlob-e2e-storm.service
}

# storm_start N: tlob-e2e-storm.service waiting to make N violations.
storm_start() {
	systemctl stop tlob-e2e-storm.service 2>/dev/null
	rm -f /run/tlob-e2e/storm-go
	echo "STORM_COUNT=$1" >/run/tlob-e2e/storm.env
	systemctl start tlob-e2e-storm.service
}

# signals FILE ID: Violation signals of budget ID in FILE, all and distinct
# (not the objects of ViolationCause signals, which have no elapsed_ns).
signals() {
	jq -s --arg id "$2" 'map(select(.id == $id and has("elapsed_ns"))) | length' "$1"
}

# Distinct ones: a record sent twice (after a SIGKILL) has the same
# thread and figures and, but for the conversion to CLOCK_REALTIME (µs),
# the same timestamp. Two windows of the storm have the same figures too
# (a running task, stopped at its expiry), but their expiries are at
# least its budget (50 us) apart: a window opens after the last one ended.
# (A margin of 200 us counted 2999 of 3000 once, on a loaded host.)
distinct_signals() {
	jq -s --arg id "$2" '[.[] | select(.id == $id and has("elapsed_ns")) |
		{t: .timestamp_usec, k: [.tid, .elapsed_ns, .running_ns, .waiting_ns, .sleeping_ns]}] |
		sort_by(.t) | . as $v | if length == 0 then 0 else
		reduce range(1; length) as $i (1;
			if $v[$i].t - $v[$i - 1].t > 25 or $v[$i].k != $v[$i - 1].k then . + 1 else . end)
		end' "$1"
}

test_storm_restart_kill() {
	local id n=3000 k0 v0 k v s d pid
	systemctl stop tlob-demo.service
	id=$(budget_id tlob-e2e-storm.service demo_request)
	[ -n "$id" ] || fail "no budget: $(budgets)"
	storm_start $n || fail "start failed"
	k0=$(budget_get "$id" Violations)
	v0=$(manager_prop ViolationCount)
	watch_start "$tmp/storm"
	touch /run/tlob-e2e/storm-go
	sleep 2
	systemctl restart tlob-manager.service || fail "restart failed"
	sleep 2
	pid=$(main_pid tlob-manager.service)
	kill -9 "$pid"
	wait_until 30 sh -c "[ \"\$(systemctl show -p MainPID --value tlob-manager.service)\" != $pid ] &&
			     systemctl is-active -q tlob-manager.service" || fail "not restarted after SIGKILL"
	wait_until 120 storm_done || fail "the storm did not end"
	wait_until 60 prop_ge ViolationCount $((v0 + n)) || true
	sleep 2
	watch_stop
	k=$(($(budget_get "$id" Violations) - k0))
	v=$(($(manager_prop ViolationCount) - v0))
	s=$(signals "$tmp/storm" "$id")
	d=$(distinct_signals "$tmp/storm" "$id")
	echo "# systemctl restart and kill -9 of tlob-manager during $n violations: kernel +$k, ViolationCount +$v, signals received $s ($d distinct)"
	[ "$k" = $n ] || fail "kernel counted $k"
	[ "$v" = $n ] || fail "ViolationCount +$v"
	[ "$d" = $n ] || fail "$d distinct signals of $n"
	[ $((s - d)) -le 64 ] || fail "$((s - d)) signals twice"
}
t_kmod "restart and SIGKILL of tlob-manager during a burst: nothing lost (kernel, counters, signals)" test_storm_restart_kill \
	"windows open at a restart are lost, a SIGKILL loses the records queued (docs/bpf.md)"

test_flood() {
	local id n=300 s0 sup0 v0 total=0 s v self sup sig f flooders=()
	id=$(budget_id tlob-e2e-storm.service demo_request)
	storm_start $n || fail "start failed"
	s0=$(manager_prop SelfViolationCount)
	sup0=$(manager_prop SuppressedViolations)
	v0=$(manager_prop ViolationCount)
	watch_start "$tmp/flood"
	for i in 1 2; do
		as_nobody "$DEMO" flood 1 0 8000 >"$tmp/flood.$i" 2>&1 &
		flooders+=($!)
	done
	touch /run/tlob-e2e/storm-go
	for f in "${flooders[@]}"; do
		wait "$f" || fail "a flooder failed: $(cat "$tmp"/flood.*)"
	done
	for i in 1 2; do
		total=$((total + $(sed -n 's/.*violated=\([0-9]*\).*/\1/p' "$tmp/flood.$i")))
	done
	wait_until 120 storm_done || fail "the service did not end"
	wait_until 60 prop_ge ViolationCount $((v0 + n + total)) || true
	sleep 2
	watch_stop
	self=$(($(manager_prop SelfViolationCount) - s0))
	sup=$(($(manager_prop SuppressedViolations) - sup0))
	v=$(($(manager_prop ViolationCount) - v0))
	s=$(signals "$tmp/flood" "$id")
	sig=$(jq -s 'map(select(.id == "" and .comm == "tlob-demo")) | length' "$tmp/flood")
	echo "# flood of self-instrumented windows by nobody, 2 x 8000 windows of 1 us: $total violated (TRACE_STOP), SelfViolationCount +$self ($sup withheld by the kernel), $sig signalled; the service meanwhile: $s/$n Violation signals; ViolationCount +$v"
	[ "$s" = $n ] || fail "$s of the service's $n signals"
	[ "$self" = "$total" ] || fail "SelfViolationCount +$self, the flooders counted $total"
	[ "$v" = $((n + total)) ] || fail "ViolationCount +$v, expected $((n + total))"
	[ "$sig" -le 40 ] || fail "$sig signals of the flood (limit 10 per 10 s)"
}
t_kmod "a flood of self-instrumented windows never drops a service's Violation; counted exactly" test_flood \
	"no self-instrumented windows (they need /dev/rv)"
# whatever happened above, the later tests need the service running
systemctl start tlob-demo.service

KMOD_DROPIN=/run/systemd/system/tlob-manager.service.d/e2e-kmod.conf

test_kernel_unavailable() {
	systemctl stop tlob-manager.service
	rmmod tlob || fail "rmmod tlob failed: $(lsmod | grep tlob)"
	# Without the module, auto would load the BPF monitor: the module is
	# asked for (until test_late_module is done)
	mkdir -p "${KMOD_DROPIN%/*}"
	printf '[Service]\nEnvironment=TLOB_BACKEND=kmod\n' >"$KMOD_DROPIN"
	systemctl daemon-reload
	# D-Bus activation starts it again, without /dev/rv
	expect_error KernelUnavailable add tlob-demo.service demo_handle 50ms
	[ "$(manager_prop Backend)" = '"kmod"' ] || fail "Backend $(manager_prop Backend)"
	[ -n "$(budget_id tlob-demo.service demo_request)" ] || fail "list without the module: $(budgets)"
	tlobctl status | grep -q . || fail "status without the module failed"
}
t_kmod "without the module (TLOB_BACKEND=kmod): org.tlob.Error.KernelUnavailable, budgets still listed" test_kernel_unavailable \
	"it removes the module (rmmod)"

test_late_module() {
	local pid id
	pid=$(main_pid tlob-manager.service)
	[ "$pid" -gt 0 ] || fail "tlob-manager is not running"
	[ ! -e /dev/rv ] || fail "/dev/rv exists before modprobe"
	id=$(budget_id tlob-demo.service demo_request)
	# The module comes after the service started (DeviceAllow=char-misc)
	modprobe tlob || fail "modprobe failed"
	tlobctl reload || fail "reload failed"
	wait_until 30 field_is "$id" active true ||
		fail "not bound after the module came: $(budgets)"
	[ "$(main_pid tlob-manager.service)" = "$pid" ] || fail "tlob-manager was restarted"
	watch_start "$tmp/late"
	wait_until 20 has_violation "$tmp/late" '.unit == "tlob-demo.service"' || true
	watch_stop
	has_violation "$tmp/late" '.unit == "tlob-demo.service"' ||
		fail "no violation since: $(head -c 500 "$tmp/late")"
}
cleanup_kmod_dropin() {
	[ -e "$KMOD_DROPIN" ] || return 0
	rm -f "$KMOD_DROPIN"
	systemctl daemon-reload
}
t_kmod "tlob.ko loaded after tlob-manager started: it opens /dev/rv and binds" test_late_module \
	"it loads the module (a running manager never changes its backend)"

test_too_many() {
	local ids=() id out n tries=0 orig p=/sys/module/tlob/parameters/max_bindings
	cleanup_kmod_dropin
	systemctl stop tlob-manager.service
	! grep -q '^tlob ' /proc/modules || rmmod tlob || fail "rmmod tlob failed"
	modprobe tlob || fail "modprobe failed"
	systemctl start tlob-manager.service
	wait_until 30 field_is "$(budget_id tlob-demo.service demo_request)" active true ||
		fail "not active: $(budgets)"
	# every budget is bound (units running or not; wait until their
	# number holds still): room for two more
	n=-1
	while [ "$n" != "$(awk '$1 == "bindings" { print $2 }' /sys/kernel/tlob/stats)" ]; do
		n=$(awk '$1 == "bindings" { print $2 }' /sys/kernel/tlob/stats)
		tries=$((tries + 1))
		[ "$tries" -le 20 ] || fail "the number of bindings does not hold still: $n"
		sleep 3
	done
	# the module's own limit again for the tests after, however this ends
	orig=$(cat "$p")
	trap "echo $orig >$p" EXIT
	echo $((n + 2)) >"$p" || fail "cannot set max_bindings"
	for sym in demo_handle main; do
		id=$(tlobctl add tlob-demo.service "$sym" 1s) ||
			fail "add $sym failed ($n bindings before: $(tr '\n' ' ' </sys/kernel/tlob/stats))"
		ids+=("$id")
	done
	out=$(SYSTEMD_LOG_LEVEL=debug tlobctl add tlob-demo.service sleep_us 1s 2>&1) &&
		fail "a binding over max_bindings=$((n + 2)) was accepted"
	for id in "${ids[@]}"; do
		tlobctl remove "$id"
	done
	grep -q "D-Bus error org.tlob.Error.TooMany:" <<<"$out" || fail "$out"
	# and it keeps serving
	[ -n "$(budget_id tlob-demo.service demo_request)" ] || fail "list: $(budgets)"
}
t_kmod "kernel binding table full (max_bindings): org.tlob.Error.TooMany" test_too_many \
	"the module's max_bindings parameter (the BPF monitor is sized from --max-budgets)"

# A drop-in asking for BPF without CAP_SYS_ADMIN, then restored.
test_bpf_unavailable() {
	local d=/run/systemd/system/tlob-manager.service.d line rc status
	systemctl stop tlob-manager.service
	mkdir -p "$d"
	printf '[Service]\nEnvironment=TLOB_BACKEND=bpf\nCapabilityBoundingSet=~CAP_SYS_ADMIN\nRestart=no\n' >"$d/e2e-nobpf.conf"
	systemctl daemon-reload
	systemctl start tlob-manager.service 2>/dev/null && rc=0 || rc=$?
	status=$(systemctl show -p ExecMainStatus --value tlob-manager.service)
	line=$(journalctl -q _SYSTEMD_UNIT=tlob-manager.service -p err -n 1 -o cat)
	rm "$d/e2e-nobpf.conf"
	systemctl daemon-reload
	systemctl reset-failed tlob-manager.service
	systemctl start tlob-manager.service || fail "start after the test failed"
	[ "$rc" != 0 ] || fail "tlob-manager started with the BPF backend without CAP_SYS_ADMIN"
	echo "# TLOB_BACKEND=bpf without CAP_SYS_ADMIN: $line"
	grep -q '^Cannot load the BPF monitor (backend bpf): no CAP_SYS_ADMIN' <<<"$line" ||
		fail "last error: $line"
	[ "$status" = 1 ] || fail "exit status $status"
}
t "TLOB_BACKEND=bpf without CAP_SYS_ADMIN: tlob-manager fails with one line naming the cause" test_bpf_unavailable

# ms from tlob-manager's exec to its READY=1, for the last start.
manager_start_ms() {
	local a b
	a=$(systemctl show -p ExecMainStartTimestampMonotonic --value tlob-manager.service)
	b=$(systemctl show -p ActiveEnterTimestampMonotonic --value tlob-manager.service)
	echo $(((b - a) / 1000))
}

# fp_bound: how many of the footprint test's budgets are bound.
fp_bound() {
	# shellcheck disable=SC2046 # one id an argument
	"$GETBUDGET" --bound $(budgets | jq -r '.[] | select(.unit | startswith("tlob-e2e-fp-")) | .id')
}

# fp_wait_bound N SECS: until N are bound, asking every 3 s (not
# wait_until's 0.2: each look is 100 GetBudget calls and a ListBudgets,
# which under TCG took the CPU the manager and PID 1 needed to bind them).
fp_wait_bound() {
	local deadline=$((SECONDS + $2))
	until [ "$(fp_bound)" = "$1" ]; do
		[ $SECONDS -lt "$deadline" ] || return 1
		sleep 3
	done
}

# Memory and start time of the daemon, idle and with 100 more budgets
# (units that are not running, probed at a function only "tlob-demo self"
# runs: bound, never hit), tlob-demo.service stopped. All 100 at once, one
# daemon-reload: under TCG on a loaded host, systemd may take longer than
# sd-bus's 25 s to answer a hundred LoadUnit calls; the manager then asks
# again (waiting longer, fewer at a time) and every one must end up bound,
# once added and again after a restart. (Batches of 20, each with a
# daemon-reload and a tlobctl reload, took 250-520 s in all, the 100 at
# once ~90 s.)
# --- actions (TlobAction=, tlobctl add --action=) ---------------------------------

readonly ACTION_MID=73a969b5e0a9432eac52ed24d4daa4a1
# Real outputs for the issue's note, when the host shares a directory.
samples=${TLOB_SHARE:+$TLOB_SHARE/action-samples}
[ -z "$samples" ] || mkdir -p "$samples"

# sample NAME: stdin saved as NAME (KVER and backend in the name).
sample() {
	if [ -n "$samples" ]; then
		cat >"$samples/$(uname -r)-$backend-$1"
	else
		cat >/dev/null
	fi
}

# act_unit NAME SLEEP_US PERIOD_US: a service whose demo_request sleeps
# SLEEP_US every PERIOD_US and logs the signals SIGQUIT and SIGUSR1.
act_unit() {
	printf '[Service]\nExecStart=%s request %s 0 %s --log-signals\n' \
		"$DEMO" "$2" "$3" >"/run/systemd/system/$1"
	systemctl daemon-reload
}

act_cleanup() {
	local unit=$1 id
	shift
	for id in "$@"; do
		tlobctl remove "$id" 2>/dev/null || true
	done
	systemctl stop "$unit" 2>/dev/null || true
	rm -rf "/run/systemd/system/$unit" "/etc/systemd/system/$unit.d"
	systemctl daemon-reload
	tlobctl reload
}

# action_entries UNIT ACTION: the action entries of UNIT (journalctl -u) as JSON lines.
action_entries() {
	journalctl -q -u "$1" "MESSAGE_ID=$ACTION_MID" "TLOB_ACTION=$2" -o json 2>/dev/null
}

has_action_entry() {
	[ -n "$(action_entries "$1" "$2")" ]
}

# taken ID ACTION: ActionsTaken[ACTION] of GetBudget (0 when absent).
taken() {
	busctl call "${BUS[@]}" GetBudget s "$1" --json=short |
		jq -r --arg a "$2" '.data[0].ActionsTaken.data[$a] // 0'
}

taken_ge() {
	[ "$(taken "$1" "$2")" -ge "$3" ]
}

unit_logs() {
	journalctl -q -u "$1" -o cat 2>/dev/null | grep -q -- "$2"
}

test_action_signal() {
	local u=tlob-e2e-act-sig.service id pid tid line f
	act_unit $u 30000 400000
	id=$(tlobctl add --action="signal=SIGQUIT" $u demo_request 10ms) || fail "add failed"
	echo "$id" >"$state/sig_id"
	[ "$(budget_get "$id" Actions)" = "log signal=SIGQUIT" ] || fail "Actions: $(budget_get "$id" Actions)"
	grep -qx 'TlobAction=log signal=SIGQUIT' /etc/systemd/system.control/$u.d/50-TlobBudget-"$id".conf ||
		fail "drop-in: $(cat /etc/systemd/system.control/$u.d/50-TlobBudget-"$id".conf)"
	watch_start "$tmp/sig.watch"
	systemctl start $u
	pid=$(main_pid $u)
	wait_until 60 unit_logs $u "tlob-demo: SIGQUIT in thread" ||
		fail "no SIGQUIT logged by the service: $(journalctl -q -u $u -o cat | tail -n 5)"
	wait_until 30 has_violation "$tmp/sig.watch" ".id == \"$id\"" || fail "no Violation"
	watch_stop
	# the thread that blew the budget got it (the service is one thread)
	tid=$(jq -r -s --arg i "$id" 'map(select(.id == $i)) | .[0].tid' "$tmp/sig.watch")
	line=$(journalctl -q -u $u -o cat | grep -m1 "tlob-demo: SIGQUIT in thread")
	[ "$line" = "tlob-demo: SIGQUIT in thread $tid of $pid" ] || fail "'$line', violation tid $tid, pid $pid"
	wait_until 30 has_action_entry $u signal || fail "no action entry in journalctl -u $u"
	action_entries $u signal | head -n 1 | jq -e --arg i "$id" --arg p "$pid" \
		'.TLOB_BUDGET_ID == $i and .OBJECT_PID == $p and (.TLOB_ACTION_RESULT | test("SIGQUIT queued"))' \
		>/dev/null || fail "entry: $(action_entries $u signal | head -n 1)"
	wait_until 30 taken_ge "$id" signal 1 || fail "ActionsTaken: $(budget_get "$id" ActionsTaken)"
	jq -c --arg i "$id" 'select(.id == $i)' "$tmp/sig.watch" | head -n 3 | sample signal-watch.json
	journalctl -u $u -n 16 --no-pager -o short-precise | sample signal-journal.txt
	tlobctl status "$id" | sample signal-status.txt
	echo "# $line; ActionsTaken signal=$(taken "$id" signal)"
	act_cleanup $u "$id"
}
t_kmod "signal=SIGQUIT (tlobctl add --action): the kernel signals the violating thread, logged and counted" \
	test_action_signal "the BPF backend cannot signal at expiry"

test_action_signal_dropin() {
	local u=tlob-e2e-act-usr1.service id b0 b1
	act_unit $u 30000 400000
	mkdir -p /etc/systemd/system/$u.d
	printf '[X-Tlob]\nTlobBudget=demo_request 10ms\nTlobAction=signal=SIGUSR1\n' \
		>/etc/systemd/system/$u.d/tlob.conf
	tlobctl reload
	id=$(budget_id $u demo_request)
	[ -n "$id" ] || fail "no budget: $(budgets)"
	[ "$(budget_get "$id" Actions)" = "log signal=SIGUSR1" ] || fail "Actions: $(budget_get "$id" Actions)"
	systemctl start $u
	wait_until 60 unit_logs $u "tlob-demo: SIGUSR1 in thread" ||
		fail "no SIGUSR1: $(journalctl -q -u $u -o cat | tail -n 5)"
	# another signal: the binding is made again, the budget stays
	b0=$(budget_get "$id" BindingId)
	sed -i 's/SIGUSR1/SIGQUIT/' /etc/systemd/system/$u.d/tlob.conf
	tlobctl reload
	b1=$(budget_get "$id" BindingId)
	[ "$b1" != "$b0" ] && [ "$b1" != 0 ] || fail "binding $b0 -> $b1"
	wait_until 60 unit_logs $u "tlob-demo: SIGQUIT in thread" || fail "no SIGQUIT after the change"
	echo "# binding $b0 -> $b1 for SIGUSR1 -> SIGQUIT"
	act_cleanup $u
}
t_kmod "TlobAction=signal=SIGUSR1 in a drop-in reaches the thread; a new signal rebinds" \
	test_action_signal_dropin "the BPF backend cannot signal at expiry"

test_action_abort() {
	local u=tlob-e2e-act-abrt.service id st info
	act_unit $u 30000 400000
	# The dump itself, not only its journal entry (Debian's services
	# have a soft core limit of 0).
	echo 'LimitCORE=infinity' >>"/run/systemd/system/$u"
	systemctl daemon-reload
	id=$(tlobctl add --action=signal=SIGABRT $u demo_request 10ms) || fail "add failed"
	systemctl start $u
	wait_until 120 sh -c "[ \"\$(systemctl show -p ExecMainStatus --value $u)\" = 6 ]" ||
		fail "not ended by SIGABRT: $(systemctl show -p ExecMainCode,ExecMainStatus,Result $u)"
	st=$(systemctl show -p Result --value $u)
	journalctl -u $u -n 8 --no-pager | sample sigabrt-journal.txt
	if command -v coredumpctl >/dev/null; then
		# This unit's dump, of its last process.
		wait_until 60 sh -c "coredumpctl --no-pager list COREDUMP_UNIT=$u" ||
			fail "no core dump: $(coredumpctl --no-pager list 2>&1 | tail -n 3)"
		info=$(coredumpctl --no-pager -1 info "COREDUMP_UNIT=$u" 2>&1) || true
		printf '%s\n' "$info" | head -n 30 | sample sigabrt-coredump.txt
		grep -q '^ *Signal: 6 (ABRT)' <<<"$info" ||
			fail "the core dump is not of a SIGABRT: $(head -n 12 <<<"$info")"
		grep -q "^ *Unit: $u\$" <<<"$info" ||
			fail "the core dump is not the unit's: $(grep 'Unit:' <<<"$info")"
		grep -q '^ *Storage: /.*(present)' <<<"$info" ||
			fail "no core file stored: $(grep -E 'Storage|Size' <<<"$info")"
		echo "# Result=$st; core dump in systemd-coredump ($(grep -o 'Size on Disk: .*' <<<"$info" || echo 'size unknown'))"
	else
		echo "# Result=$st; no coredumpctl in this image: the core dump itself not checked"
	fi
	act_cleanup $u "$id"
}
t_kmod "signal=SIGABRT ends the service by SIGABRT (its core dump checked in systemd-coredump when installed)" \
	test_action_abort "the BPF backend cannot signal at expiry"

test_action_signal_bpf() {
	local out
	act_unit tlob-e2e-act-bpf.service 30000 400000
	out=$(tlobctl add --action=signal=SIGQUIT tlob-e2e-act-bpf.service demo_request 10ms 2>&1) &&
		fail "signal= taken by the BPF backend"
	grep -q 'BPF backend cannot send signals' <<<"$out" || fail "$out"
	echo "# $out"
	act_cleanup tlob-e2e-act-bpf.service
}
if [ "$backend" = bpf ]; then
	t "signal= with the BPF backend: refused with org.tlob.Error.InvalidAction" test_action_signal_bpf
fi

test_action_restart() {
	local u=tlob-e2e-act-restart.service id inv0 pid0 order
	# a violation every 2 s
	act_unit $u 30000 2000000
	id=$(tlobctl add --action="restart=2/1min" $u demo_request 10ms) || fail "add failed"
	systemctl start $u
	inv0=$(systemctl show -p InvocationID --value $u)
	pid0=$(main_pid $u)
	wait_until 120 sh -c "[ \"\$(systemctl show -p InvocationID --value $u)\" != $inv0 ]" ||
		fail "not restarted: $(budget_get "$id" Violations) violations, $(budget_get "$id" ActionsTaken)"
	wait_until 30 sh -c "systemctl is-active -q $u" || fail "not running after the restart"
	[ "$(main_pid $u)" != "$pid0" ] || fail "same MainPID"
	wait_until 30 has_action_entry $u restart || fail "no action entry"
	[ "$(taken "$id" restart)" = 1 ] || fail "ActionsTaken: $(budget_get "$id" ActionsTaken)"
	action_entries $u restart | head -n 1 | jq -e --arg p "$pid0" \
		'.OBJECT_PID == $p and (.TLOB_ACTION_RESULT | startswith("job /org/freedesktop/systemd1/job/"))' \
		>/dev/null || fail "entry: $(action_entries $u restart)"
	# In the journal of the first process: two violations, then the
	# restart, logged when PID 1 answered (a slow PID 1 under emulation
	# may answer after a third one; tests/dbus test_actions checks that
	# the call goes out at the 2nd violation exactly).
	order=$({ journal_entries $u "OBJECT_PID=$pid0"; action_entries $u restart; } |
		jq -r -s 'sort_by(.__REALTIME_TIMESTAMP | tonumber) | map(.TLOB_ACTION // "v") | join(" ")')
	[[ "$order" =~ ^v\ v\ (v\ )*restart ]] || fail "order of entries: $order"
	journalctl -u $u --no-pager -o short-precise | tail -n 16 | sample restart-journal.txt
	echo "# restarted (MainPID $pid0 -> $(main_pid $u)); entries of the first process: $order"
	act_cleanup $u "$id"
}
t "restart=2/1min: systemd restarts the unit after the 2nd violation, not the 1st" test_action_restart

test_action_stop() {
	local u=tlob-e2e-act-stop.service id
	act_unit $u 30000 1000000
	id=$(tlobctl add --action=stop $u demo_request 10ms) || fail "add failed"
	systemctl start $u
	wait_until 60 sh -c "! systemctl is-active -q $u" || fail "still active: $(budget_get "$id" Violations) violations"
	[ "$(systemctl show -p ActiveState --value $u)" = inactive ] || fail "$(systemctl show -p ActiveState,Result $u)"
	wait_until 30 has_action_entry $u stop || fail "no action entry"
	[ "$(taken "$id" stop)" = 1 ] || fail "ActionsTaken: $(budget_get "$id" ActionsTaken)"
	journalctl -u $u --no-pager -o short-precise | tail -n 12 | sample stop-journal.txt
	act_cleanup $u "$id"
}
t "stop: systemd stops the unit at its violation" test_action_stop

test_action_snapshot() {
	local u=tlob-e2e-act-snap.service id pid n
	act_unit $u 30000 1000000
	id=$(tlobctl add --action=snapshot $u demo_request 10ms) || fail "add failed"
	[ -d /sys/kernel/tracing/instances/tlob ] || fail "no instances/tlob"
	[ "$(cat /sys/kernel/tracing/instances/tlob/events/sched/sched_switch/enable)" = 1 ] ||
		fail "sched_switch not enabled in the instance"
	systemctl start $u
	pid=$(main_pid $u)
	wait_until 90 taken_ge "$id" snapshot 1 || fail "no snapshot: $(budget_get "$id" ActionsTaken)"
	wait_until 30 has_action_entry $u snapshot || fail "no action entry"
	action_entries $u snapshot | head -n 1 | jq -e '.TLOB_ACTION_RESULT | test("saved as /var/lib/tlob-manager/snapshots/")' \
		>/dev/null || fail "entry: $(action_entries $u snapshot | head -n 1)"
	tlobctl snapshot --list "$id" >"$tmp/snaplist" || fail "snapshot --list failed"
	tlobctl --no-pager snapshot "$id" >"$tmp/snap" || fail "snapshot failed"
	n=$(grep -cE "sched_switch: .*(prev_pid|next_pid)=$pid " "$tmp/snap" || true)
	[ "$n" -gt 0 ] || fail "no sched_switch of pid $pid in $(wc -l <"$tmp/snap") lines: $(grep -m3 sched_switch "$tmp/snap")"
	# around the violation: the module marks it in the same buffer
	if [ "$backend" = kmod ]; then
		grep -q "error_env_tlob: $pid: " "$tmp/snap" || fail "no error_env_tlob of $pid in the snapshot"
	fi
	{ cat "$tmp/snaplist"; echo; grep -E "pid=$pid |_tlob: $pid: " "$tmp/snap" | tail -n 24; } |
		sample snapshot-head.txt
	journalctl -u $u --no-pager -o short-precise | tail -n 8 | sample snapshot-journal.txt
	# unprivileged: refused (trace data shows every task)
	as_nobody tlobctl --no-ask-password snapshot --list "$id" >/dev/null 2>&1 &&
		fail "snapshot --list as nobody succeeded"
	echo "# $(wc -l <"$tmp/snap") lines, $n sched_switch lines of pid $pid"
	act_cleanup $u "$id"
	[ "$(cat /sys/kernel/tracing/instances/tlob/events/sched/sched_switch/enable)" = 0 ] ||
		fail "sched_switch still enabled with no snapshot budget"
}
t "snapshot: the trace instance's sched_switch lines of the service around the violation, shown by tlobctl snapshot" \
	test_action_snapshot

test_action_nobody() {
	local out
	out=$(SYSTEMD_LOG_LEVEL=debug as_nobody tlobctl add --action=signal=SIGABRT tlob-demo.service demo_handle 40ms 2>&1) &&
		fail "add --action as nobody succeeded: $out"
	grep -Eq 'D-Bus error org\.freedesktop\.DBus\.Error\.(AccessDenied|InteractiveAuthorizationRequired)' \
		<<<"$out" || fail "add as nobody: $out"
	out=$(tlobctl add --action=signal=SIGKILL tlob-demo.service demo_handle 40ms 2>&1) &&
		fail "signal=SIGKILL taken"
	echo "# $out"
}
t "tlobctl add --action as an unprivileged user: AccessDenied; SIGKILL refused" test_action_nobody

test_footprint() {
	local d=/run/systemd/system i n0 s0 r0 r1 s1 t0 bound_ms bound1_ms
	systemctl stop tlob-demo.service
	systemctl restart tlob-manager.service || fail "restart failed"
	wait_until 30 budget_cmp "$(budget_id tlob-demo.service demo_request)" BindingId -gt 0 ||
		fail "not bound: $(budgets)"
	sleep 2
	n0=$(manager_prop BudgetCount)
	s0=$(manager_start_ms)
	r0=$(manager_rss_kib)
	t0=$(date +%s%N)
	for i in $(seq 1 100); do
		printf '[Service]\nExecStart=%s self 1000 1000 1\n' "$DEMO" >"$d/tlob-e2e-fp-$i.service"
		mkdir -p "$d/tlob-e2e-fp-$i.service.d"
		printf '[X-Tlob]\nTlobBudget=cmd_self 1s\n' >"$d/tlob-e2e-fp-$i.service.d/tlob.conf"
	done
	systemctl daemon-reload
	tlobctl reload || fail "reload failed"
	fp_wait_bound 100 600 ||
		fail "$(fp_bound) of 100 bound; $(journalctl -q -u tlob-manager.service -o cat | grep -E 'Failed to (bind|query)' | tail -n 2)"
	bound_ms=$(ms_since "$t0")
	sleep 2
	r1=$(manager_rss_kib)
	systemctl restart tlob-manager.service || fail "restart failed"
	s1=$(manager_start_ms)
	t0=$(date +%s%N)
	fp_wait_bound 100 600 ||
		fail "after a restart $(fp_bound) of 100 bound: $(journalctl -q -u tlob-manager.service -o cat | grep -E 'Failed to (bind|query)' | tail -n 2)"
	bound1_ms=$(ms_since "$t0")
	echo "# $backend backend: start to READY=1 $s0 ms with $n0 budgets, $s1 ms with $((n0 + 100)) (all bound $bound1_ms ms after READY=1); VmRSS $r0 KiB with $n0 budgets, $r1 KiB with $((n0 + 100)) (added and bound in $bound_ms ms)"
	rm -rf "$d"/tlob-e2e-fp-*
	systemctl daemon-reload
	tlobctl reload || fail "reload failed"
	systemctl start tlob-demo.service
	[ "$(manager_prop BudgetCount)" = "$n0" ] || fail "BudgetCount $(manager_prop BudgetCount), expected $n0"
}
t "footprint: start time and VmRSS of tlob-manager, idle and with 100 more budgets" test_footprint

# --- causes of violations -----------------------------------------------------

# cause_run KIND: start tlob-e2e-cause@KIND.service with tlobctl watch
# (human, and --json) running, until a violation with its cause was
# printed and logged; the outputs in $tmp/cause-KIND.{txt,json,journal}.
cause_run() {
	local kind=$1 unit=tlob-e2e-cause@$1.service wpid jpid
	tlobctl watch >"$tmp/cause-$kind.txt" 2>&1 &
	wpid=$!
	tlobctl watch --json=short >"$tmp/cause-$kind.json" 2>&1 &
	jpid=$!
	sleep 1
	systemctl start "$unit" || { kill $wpid $jpid; fail "start $unit failed"; }
	wait_until 60 sh -c "grep -q '^  .*switches' '$tmp/cause-$kind.txt' &&
		journalctl -q -u $unit MESSAGE_ID=$MID -o json | grep -q TLOB_CPU" || true
	# a second one, to have the steady state's
	sleep 2
	systemctl stop "$unit"
	kill -INT $wpid $jpid 2>/dev/null || true
	wait $wpid $jpid 2>/dev/null || true
	journalctl -q -u "$unit" "MESSAGE_ID=$MID" -o json >"$tmp/cause-$kind.journal"
	grep -q '^  .*switches' "$tmp/cause-$kind.txt" ||
		fail "no cause in tlobctl watch: $(head -c 2000 "$tmp/cause-$kind.txt")"
}

# cause_check KIND JQ-CONDITION HUMAN-REGEX: some journal entry of the
# instance has the cause fields JQ-CONDITION asks for, and tlobctl watch
# printed a cause line matching HUMAN-REGEX; then the samples, as "# "
# lines: watch's violation with its cause, and the entry's fields.
cause_check() {
	local kind=$1 cond=$2 re=$3 e
	e=$(jq -c "select(.TLOB_CPU != null and ($cond))" "$tmp/cause-$kind.journal" | head -n 1)
	[ -n "$e" ] || fail "no journal entry with $cond: $(jq -c '{TLOB_STATE, TLOB_WCHAN, TLOB_KSTACK, TLOB_USER_LOCATION, TLOB_CURR_COMM, TLOB_PREEMPTOR_COMM}' "$tmp/cause-$kind.journal" | head -c 3000)"
	grep -Eq -- "$re" "$tmp/cause-$kind.txt" ||
		fail "tlobctl watch has no line /$re/: $(head -c 3000 "$tmp/cause-$kind.txt")"
	# the JSON watch has the cause after its violation
	jq -e -s 'map(select(.cause != null)) | length > 0' "$tmp/cause-$kind.json" >/dev/null ||
		fail "tlobctl watch --json has no cause: $(head -c 2000 "$tmp/cause-$kind.json")"
	echo "# sample $kind: tlobctl watch"
	awk -v re="$re" '
		/^[A-Z]/ { if (hit) exit; head = $0; body = ""; next }
		{ body = body "\n" $0 }
		$0 ~ re { hit = 1 }
		END { if (hit) print head body }' "$tmp/cause-$kind.txt" |
		sed 's/^/#   /'
	echo "# sample $kind: journalctl -u tlob-e2e-cause@$kind.service -o verbose (that entry)"
	journalctl -q -o verbose --cursor="$(jq -r .__CURSOR <<<"$e")" |
		awk 'NR > 1 && /^[^ ]/ { exit } { print }' | sed 's/^/#   /'
}

test_cause_nanosleep() {
	cause_run nanosleep
	cause_check nanosleep '.TLOB_STATE == "sleeping" and
		(.TLOB_KSTACK // "" | test("(^|\n)(do_nanosleep|hrtimer_nanosleep)\\+")) and
		(.TLOB_WCHAN // "" | test("^(do_nanosleep|hrtimer_nanosleep)$"))' \
		'^  sleeping in (do_nanosleep|hrtimer_nanosleep); stack: '
}
t "a service blocked in nanosleep: the cause names do_nanosleep (watch, journal)" test_cause_nanosleep

test_cause_pipe() {
	cause_run pipe
	cause_check pipe '.TLOB_STATE == "sleeping" and
		(.TLOB_KSTACK // "" | test("(^|\n)pipe_read\\+")) and .TLOB_WCHAN == "pipe_read" and
		(.TLOB_USER_LOCATION // "" | test("(read|__libc_read)"))' \
		'^  sleeping in pipe_read; stack: pipe_read\+0x[0-9a-f]+ <- vfs_read'
}
t "read() on an empty pipe: the cause names pipe_read (watch, journal)" test_cause_pipe

test_cause_futex() {
	cause_run futex
	cause_check futex '.TLOB_STATE == "sleeping" and
		(.TLOB_KSTACK // "" | test("(^|\n)futex_wait")) and (.TLOB_WCHAN // "" | startswith("futex_wait"))' \
		'^  sleeping in futex_wait[a-z_]*; stack: futex_wait'
}
t "a futex wait: the cause names futex_wait (watch, journal)" test_cause_futex

test_cause_disk() {
	local img=/run/tlob-e2e/disk.img loop dev how
	truncate -s 16M "$img"
	loop=$(losetup -f --show "$img") || fail "losetup failed"
	# Every read 400 ms late with dm-delay; else a plain loop device,
	# whose 4 KiB are quicker than the budget: then the test says so.
	if modprobe dm_delay 2>/dev/null &&
	   dmsetup create tlob-e2e-slow --table "0 32768 delay $loop 0 400" 2>"$tmp/dmsetup"; then
		dmsetup mknodes tlob-e2e-slow 2>/dev/null || true
		dev=/dev/mapper/tlob-e2e-slow how="dm-delay 400 ms over $loop"
	else
		losetup -d "$loop"
		fail "no dm-delay: $(cat "$tmp/dmsetup" 2>/dev/null)"
	fi
	mkdir -p /run/systemd/system/tlob-e2e-cause@disk.service.d
	printf '[Service]\nExecStart=\nExecStart=%s cause disk %s\n' "$DEMO" "$dev" \
		>/run/systemd/system/tlob-e2e-cause@disk.service.d/dev.conf
	systemctl daemon-reload
	cause_run disk || { dmsetup remove tlob-e2e-slow; losetup -d "$loop"; return 1; }
	dmsetup remove tlob-e2e-slow || true
	losetup -d "$loop" || true
	rm -rf /run/systemd/system/tlob-e2e-cause@disk.service.d "$img"
	systemctl daemon-reload
	echo "# disk: $how"
	cause_check disk '.TLOB_STATE == "sleeping" and
		(.TLOB_KSTACK // "" | test("(^|\n)(io_schedule|blk_io_schedule|__blkdev_direct_IO|blkdev_direct_IO|submit_bio_wait|folio_wait)"))' \
		'^  sleeping in [a-z_]+; stack: .*(io_schedule|blk|folio_wait)'
}
t "disk I/O (O_DIRECT read of a slow block device): the cause names the block layer's wait (watch, journal)" test_cause_disk

test_cause_hog() {
	cause_run hog
	cause_check hog '.TLOB_STATE == "waiting" and .TLOB_CPU == "0" and
		(.TLOB_PREEMPTOR_COMM == "hog" or .TLOB_CURR_COMM == "hog") and
		(.TLOB_CURR_UNIT // .TLOB_PREEMPTOR_UNIT) == "tlob-e2e-cause@hog.service"' \
		'^  waiting: (preempted by hog \(pid [0-9]+, unit tlob-e2e-cause@hog.service\)|.* cpu 0 ran hog \(pid [0-9]+, unit tlob-e2e-cause@hog.service\))'
}
t "a task kept waiting by a pinned SCHED_FIFO hog: the cause names the hog (watch, journal)" test_cause_hog

test_cause_busy() {
	cause_run busy
	cause_check busy '.TLOB_STATE == "running" and
		(.TLOB_USER_LOCATION // "" | test("^demo_busy_loop\\+0x[0-9a-f]+ \\(/usr/local/libexec/tlob-e2e/tlob-demo\\)$"))' \
		'^  running at demo_busy_loop\+0x[0-9a-f]+ \(/usr/local/libexec/tlob-e2e/tlob-demo\)$'
}
t "a busy loop: the cause names the function it loops in (watch, journal)" test_cause_busy

test_cause_cost() {
	local causes ns
	causes=$(awk '$1 == "causes" { print $2 }' /sys/kernel/tlob/stats)
	ns=$(awk '$1 == "cause_ns" { print $2 }' /sys/kernel/tlob/stats)
	[ "$causes" -gt 0 ] || fail "no cause captured: $(cat /sys/kernel/tlob/stats)"
	echo "# cause capture: $causes causes, $ns ns in all, $((ns / causes)) ns each ($(uname -r), TCG)"
}
t_kmod "the module counts the causes it captured and what they cost" test_cause_cost \
	"the module's statistics"

test_dmesg() {
	# The splat qemu caused is shown, not counted (tests/vm/emulator-faults);
	# a filter that fails fails the test.
	dmesg >"$tmp/dmesg.raw"
	"${BASH_SOURCE[0]%/*}/emulator-faults" <"$tmp/dmesg.raw" >"$tmp/dmesg.all" \
		2>"$tmp/dmesg.emu" || fail "tests/vm/emulator-faults failed (status $?)" || return 1
	[ ! -s "$tmp/dmesg.emu" ] || sed 's/^/# /' "$tmp/dmesg.emu"
	if grep -E 'BUG:|WARNING:|Oops|scheduling while atomic|sleeping function called' \
		"$tmp/dmesg.all" >"$tmp/dmesg"; then
		fail "$(head -n 20 "$tmp/dmesg")"
	fi
	return 0
}
t "no kernel warnings" test_dmesg

echo "1..$n"
[ "$failed" = 0 ]
