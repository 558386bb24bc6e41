#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tlobctl's command line without a bus: help, version, every kind of bad
# input (exit 1, one line on stderr naming the cause, nothing on stdout),
# and a bus that cannot be reached. TAP output.
#
# Usage: test-tlobctl-cli.sh PATH-TO-TLOBCTL
set -u

tlobctl=${1:?usage: $0 TLOBCTL}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# No system bus: every call that gets past argument checking fails to
# connect, so a wrong "success" cannot come from a running manager.
export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$tmp/no-such-bus"
export SYSTEMD_PAGER=cat
unset SYSTEMD_LOG_LEVEL

n=0
failed=0
ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}
not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
	sed 's/^/# /' "$tmp/out" "$tmp/err"
}

# expect NAME STATUS STDERR-REGEX [STDOUT-REGEX] -- ARGS...
expect() {
	local name=$1 status=$2 err_re=$3 out_re=$4 rc lines
	shift 5
	"$tlobctl" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	rc=$?
	lines=$(wc -l <"$tmp/err")
	if [ "$rc" != "$status" ]; then
		not_ok "$name: exit status $rc, expected $status"
	elif [ "$status" != 0 ] && [ "$lines" != 1 ]; then
		not_ok "$name: $lines lines on stderr, expected one"
	elif [ -n "$err_re" ] && ! grep -Eq -- "$err_re" "$tmp/err"; then
		not_ok "$name: stderr does not match /$err_re/"
	elif [ -n "$out_re" ] && ! grep -Eq -- "$out_re" "$tmp/out"; then
		not_ok "$name: stdout does not match /$out_re/"
	elif [ -z "$out_re" ] && [ -s "$tmp/out" ]; then
		not_ok "$name: unexpected output on stdout"
	else
		ok "$name"
	fi
}

expect "--help" 0 "" "^  add UNIT PROBE BUDGET" -- --help
expect "-h" 0 "" "^  status \[ID\]" -- -h
expect "--help lists every verb" 0 "" "^  reload" -- --help
expect "--version" 0 "" "^tlobctl [0-9]+\.[0-9]+" -- --version
expect "--json=help" 0 "" "^pretty$" -- --json=help

expect "unknown verb" 1 "Unknown command 'frobnicate'" "" -- frobnicate
expect "unknown option" 1 "unrecognized option '--frobnicate'" "" -- --frobnicate list
expect "--json= without a mode" 1 "Unknown --json= mode ''" "" -- --json= list
expect "--json=bad" 1 "Unknown --json= mode 'yaml'" "" -- --json=yaml list
expect "--host= empty" 1 "--host= needs" "" -- --host= list
expect "-H without argument" 1 "requires an argument" "" -- -H
expect "--description without add" 1 "only apply to 'add'" "" -- --description=x list
expect "--runtime without add" 1 "only apply to 'add'" "" -- status --runtime
expect "--action without add" 1 "only apply to 'add'" "" -- --action=log list
expect "--action= bad item" 1 'Invalid action "reboot" in --action=: unknown action' "" -- --action="log reboot" add a.service main 1s
expect "--action=signal=SIGKILL" 1 'Invalid action "signal=SIGKILL" in --action=: SIGKILL and SIGSTOP are refused' "" -- --action=signal=SIGKILL add a.service main 1s
expect "--list without snapshot" 1 "only applies to 'snapshot'" "" -- --list status
expect "snapshot without ID" 1 "^Usage: tlobctl snapshot ID \\[INDEX\\]$" "" -- snapshot
expect "snapshot bad index" 1 "Invalid snapshot index 'x'" "" -- snapshot abc x

expect "add without arguments" 1 "^Usage: tlobctl add UNIT PROBE BUDGET$" "" -- add
expect "add without budget" 1 "^Usage: tlobctl add" "" -- add a.service main
expect "add with too many" 1 "^Usage: tlobctl add" "" -- add a.service main 1s 2s
expect "remove without id" 1 "^Usage: tlobctl remove ID$" "" -- remove
expect "remove with two ids" 1 "^Usage: tlobctl remove ID$" "" -- remove a b
expect "list with an argument" 1 "^Usage: tlobctl list$" "" -- list x
expect "status with two ids" 1 "^Usage: tlobctl status \[ID\]$" "" -- status a b
expect "watch with an argument" 1 "^Usage: tlobctl watch$" "" -- watch x
expect "reload with an argument" 1 "^Usage: tlobctl reload$" "" -- reload x

for b in "" "20" "ms" "20 parsecs" "-5ms" "1..5s" "20ms," "0x10ms"; do
	if [ "$b" = 20 ]; then
		# a bare number is seconds, as in systemd: valid syntax
		continue
	fi
	expect "add with budget '$b'" 1 "^Budget '.*' is not a time span" "" -- add a.service main -- "$b"
done
expect "add with a budget too large" 1 "^Budget '.*' is too large" "" -- add a.service main 99999999999y

# Valid input reaches the bus, which is not there: one line, exit 1.
for v in "list" "status" "status abc" "watch" "reload" "remove abc" \
	 "add a.service main 20ms" "--runtime --description=d add a.service main 1s 20ms"; do
	# shellcheck disable=SC2086 # word splitting wanted, except the budget
	case "$v" in
	*"1s 20ms")
		expect "$v without a bus" 1 "^Failed to connect to the system bus: " "" -- \
			--runtime --description=d add a.service main "1s 20ms" ;;
	*)
		expect "$v without a bus" 1 "^Failed to connect to the system bus: " "" -- $v ;;
	esac
done
expect "no verb means list" 1 "^Failed to connect to the system bus: " "" --
for o in --no-legend -q --quiet --no-ask-password; do
	expect "$o is an option" 1 "^Failed to connect to the system bus: " "" -- "$o" list
done
expect "-q with add" 1 "^Failed to connect to the system bus: " "" -- -q add a.service main 20ms

# ssh has its own say on stderr; ours is the last line.
"$tlobctl" -H tlob-test-no-such-host.invalid list >"$tmp/out" 2>"$tmp/err" </dev/null
rc=$?
if [ "$rc" = 1 ] && tail -n1 "$tmp/err" | grep -q '^Failed to ' && [ ! -s "$tmp/out" ]; then
	ok "-H with a host that cannot be reached"
else
	not_ok "-H with a host that cannot be reached: exit status $rc"
fi

# --- the pager (systemd's $SYSTEMD_PAGERSECURE) ----------------------------
# stdout on a terminal (script(1)); "less", "more" and the $PAGER of the
# environment are scripts that say who ran, with which LESSSECURE. The bus
# is not there, so the pager gets no input: only who was started matters.
bin=$tmp/bin
mkdir -p "$bin"
for p in less more mypager; do
	printf '#!/bin/sh\necho "%s LESSSECURE=${LESSSECURE-unset}" >>"%s"\nexec cat\n' \
		"$p" "$tmp/pagers" >"$bin/$p"
	chmod +x "$bin/$p"
done

# pager_case NAME EXPECTED [VAR=VALUE...]: EXPECTED is what the pagers
# wrote; $pager_args are more options of tlobctl.
pager_case() {
	local name=$1 want=$2 got
	shift 2
	rm -f "$tmp/pagers"
	: >"$tmp/err"
	# (script(1) is in bsdutils, which is essential; a build chroot may
	# have no pseudo-terminals, though)
	if ! SHELL=/bin/sh script -qec true /dev/null >/dev/null 2>&1 </dev/null; then
		n=$((n + 1))
		echo "ok $n - pager: $name # SKIP script(1) cannot open a pseudo-terminal"
		return
	fi
	SHELL=/bin/sh script -qec "env -u SYSTEMD_PAGER -u PAGER -u LESSSECURE \
		-u SYSTEMD_PAGERSECURE -u SUDO_UID PATH=$bin $* $tlobctl ${pager_args-} list" /dev/null \
		>"$tmp/out" 2>&1 </dev/null
	got=$(cat "$tmp/pagers" 2>/dev/null)
	if [ "$got" = "$want" ]; then
		ok "pager: $name"
	else
		echo "pagers run: '$got', expected '$want'" >>"$tmp/out"
		not_ok "pager: $name"
	fi
}

pager_case "under sudo, \$PAGER is ignored, less in secure mode" \
	"less LESSSECURE=1" SUDO_UID=1000 PAGER=mypager
pager_case "under sudo, \$SYSTEMD_PAGER is ignored too" \
	"less LESSSECURE=1" SUDO_UID=1000 SYSTEMD_PAGER=mypager PAGER=mypager
pager_case "under sudo, PAGER=cat still disables the pager" "" SUDO_UID=1000 PAGER=cat
pager_case "SYSTEMD_PAGERSECURE=0: \$PAGER runs, no LESSSECURE" \
	"mypager LESSSECURE=unset" SUDO_UID=1000 SYSTEMD_PAGERSECURE=0 PAGER=mypager
pager_case "SYSTEMD_PAGERSECURE=1: \$PAGER runs with LESSSECURE=1" \
	"mypager LESSSECURE=1" SYSTEMD_PAGERSECURE=1 PAGER=mypager
pager_case "SYSTEMD_PAGERSECURE=no: less without LESSSECURE" \
	"less LESSSECURE=unset" SYSTEMD_PAGERSECURE=no
rm "$bin/less"
pager_case "secure mode without less: no pager, not more" "" SUDO_UID=1000
pager_case "secure mode off without less: more" "more LESSSECURE=unset" SYSTEMD_PAGERSECURE=false
pager_args=--no-pager pager_case "--no-pager" "" SYSTEMD_PAGERSECURE=0 PAGER=mypager

echo "1..$n"
[ "$failed" = 0 ]
