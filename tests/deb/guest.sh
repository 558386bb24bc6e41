#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The package suite, inside a VM with systemd as PID 1 (started by
# run-suite through tests/vm/run-vm --mode systemd, as a oneshot unit).
# $TLOB_SHARE/debs holds tlob_*.deb and tlob-dkms_*.deb, $TLOB_SHARE/upgrade
# the same tlob with a higher version. Nothing of tlob is installed yet:
# everything below runs the installed files (/usr/sbin/tlob-manager under
# its unit, /usr/bin/tlobctl, the module DKMS built here), nothing of a
# build tree. The outputs a reader wants to see (apt, dpkg -L, systemctl
# status, dkms status) follow their "ok" lines as TAP comments.
#
# usage: guest.sh
# Prints TAP; exits 1 if a test failed.
set -u

readonly MID=b80203fec96a437b96bd4ceb44fba08e
readonly UNIT=tlob-deb-smoke.service
readonly DEBS=$TLOB_SHARE/debs UPGRADE=$TLOB_SHARE/upgrade
export SYSTEMD_PAGER=cat SYSTEMD_COLORS=0 LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive
# our unit's stderr is the journal, but the tests' goes to files
unset JOURNAL_STREAM

tmp=$(mktemp -d)
state=$tmp/state
mkdir -p "$state"
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT

n=0
failed=0
echo "TAP version 13"

# t NAME FUNCTION: FUNCTION runs in a subshell with errexit, its output in
# a file; lines it prints that start with "# " follow the "ok" line, then
# its duration; on failure, all it printed and tlob-manager's last lines.
t() {
	local name=$1 fn=$2 rc start=$SECONDS
	(set -e; "$fn") >"$tmp/out" 2>&1
	rc=$?
	n=$((n + 1))
	if [ "$rc" = 0 ]; then
		echo "ok $n - $name"
		grep '^# ' "$tmp/out"
		echo "# ($((SECONDS - start)) s)"
	else
		failed=$((failed + 1))
		echo "not ok $n - $name"
		sed 's/^/# /' "$tmp/out"
		echo "# (exit status $rc; tlob-manager's last journal lines:)"
		journalctl -q -u tlob-manager.service -n 12 -o short-monotonic 2>&1 | sed 's/^/# /'
	fi
}

fail() {
	echo "$*"
	return 1
}

# diag TITLE COMMAND...: COMMAND's output as TAP comments.
diag() {
	local title=$1
	shift
	echo "# \$ $title"
	"$@" 2>&1 | sed 's/^/#   /'
}

wait_until() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.5
	done
}

# dkms_installed KVER: dkms status on stdin says tlob is installed for KVER.
dkms_installed() {
	awk -F', ' -v k="$1" '$1 ~ /^tlob\// && $2 == k && $3 ~ /: installed/ { found = 1 }
		END { exit !found }'
}

# apt_get ARGS...: apt-get's output with the seconds since it started in
# front of each line, in $tmp/apt.
apt_get() {
	local start=$SECONDS rc
	apt-get "$@" 2>&1 | while IFS= read -r l; do
		printf '%4d %s\n' $((SECONDS - start)) "$l"
	done >"$tmp/apt"
	rc=${PIPESTATUS[0]}
	echo "$(printf '%4d' $((SECONDS - start))) (apt-get exited with $rc)" >>"$tmp/apt"
	return "$rc"
}

installed() {
	[ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null)" = "ii " ]
}

budget_field() {
	tlobctl list --json=short | jq -r --arg i "$1" --arg f "$2" '.[] | select(.id == $i) | .[$f]'
}

status_field() {
	tlobctl status --json=short "$1" | jq -r ".$2"
}

field_is() {
	[ "$(budget_field "$1" "$2")" = "$3" ]
}

violations_ge() {
	[ "$(status_field "$1" violations)" -ge "$2" ]
}

# --- setup: the guest as a Debian machine -----------------------------------------
# (the guest's root is the host's with a tmpfs overlay: these changes stay
# in the guest)
setup() {
	# This host is a container image whose policy-rc.d forbids starting
	# services in maintainer scripts; a machine has none.
	rm -f /usr/sbin/policy-rc.d
	# The host has PackageKit, whose apt hook would start it, and it would
	# refresh its caches on the test's CPU; man-db's trigger would rebuild
	# its index (minutes under TCG; Debian's switch is the file below).
	rm -f /etc/apt/apt.conf.d/20packagekit
	systemctl mask --runtime packagekit.service >/dev/null 2>&1 || true
	rm -f /var/lib/man-db/auto-update
	# Only the running kernel's headers: DKMS builds the module for the
	# running and the newest kernel; the newest has its own run (each
	# build takes minutes under TCG).
	for d in /lib/modules/*/build; do
		[ "$d" = "/lib/modules/$(uname -r)/build" ] || rm -f "$d"
	done
}

if ! setup_out=$(setup 2>&1); then
	n=1
	echo "not ok 1 - setup"
	printf '# %s\n' "$setup_out"
	echo "1..1"
	exit 1
fi

# --- install --------------------------------------------------------------------

test_install() {
	! installed tlob || fail "tlob is installed before the test"
	(cd "$DEBS" && apt_get install -y ./tlob_*.deb ./tlob-dkms_*.deb) ||
		fail "apt-get install failed: $(cat "$tmp/apt")"
	installed tlob || fail "tlob is not installed: $(cat "$tmp/apt")"
	installed tlob-dkms || fail "tlob-dkms is not installed: $(cat "$tmp/apt")"
	echo "# \$ apt install $(cd "$DEBS" && echo ./tlob_*.deb ./tlob-dkms_*.deb)"
	sed 's/^/#   /' "$tmp/apt"
}
t "apt install ./tlob_*.deb ./tlob-dkms_*.deb (DKMS builds the module)" test_install

test_files() {
	local f
	for f in /usr/sbin/tlob-manager /usr/bin/tlobctl /lib/systemd/system/tlob-manager.service \
		 /usr/share/dbus-1/system.d/org.tlob.Manager.conf \
		 /usr/share/dbus-1/system-services/org.tlob.Manager.service \
		 /usr/share/polkit-1/actions/org.tlob.policy /usr/lib/systemd/catalog/tlob.catalog \
		 /usr/lib/modules-load.d/tlob.conf /usr/share/bash-completion/completions/tlobctl \
		 /usr/share/zsh/vendor-completions/_tlobctl /usr/share/man/man1/tlobctl.1.gz \
		 /usr/share/man/man8/tlob-manager.8.gz; do
		[ -e "$f" ] || fail "$f is missing"
	done
	[ "$(systemctl is-enabled tlob-manager.service)" = enabled ] ||
		fail "tlob-manager.service is $(systemctl is-enabled tlob-manager.service)"
	[ -L /etc/systemd/system/dbus-org.tlob.Manager.service ] || fail "no alias dbus-org.tlob.Manager.service"
	pkaction --action-id org.tlob.manage-budgets >/dev/null || fail "polkit does not know org.tlob.manage-budgets"
	# the systemd trigger updated the catalog
	journalctl --list-catalog "$MID" 2>/dev/null | grep -q "$MID" || fail "catalog entry $MID missing"
	diag "dpkg -L tlob" dpkg -L tlob
	diag "dpkg -L tlob-dkms" dpkg -L tlob-dkms
}
t "the files are in place: unit enabled, bus policy, polkit action, catalog, completions" test_files

test_dkms() {
	local k ko
	k=$(uname -r)
	dkms status >"$tmp/dkms" 2>&1
	dkms_installed "$k" <"$tmp/dkms" || fail "dkms status: $(cat "$tmp/dkms")"
	ko=$(ls /lib/modules/"$k"/updates/dkms/tlob.ko* 2>/dev/null | head -n1)
	[ -n "$ko" ] || fail "no tlob.ko in /lib/modules/$k/updates/dkms"
	[ "$(modinfo -n tlob)" = "$ko" ] || fail "modinfo -n tlob: $(modinfo -n tlob 2>&1)"
	# what Kbuild generated in DKMS's tree from tlob.dot
	ls /var/lib/dkms/tlob/*/build/tlob_model.h >/dev/null 2>&1 ||
		ls /var/lib/dkms/tlob/*/"$k"/*/log/make.log >/dev/null ||
		fail "no trace of the build in /var/lib/dkms/tlob"
	modprobe tlob || fail "modprobe tlob failed"
	[ -c /dev/rv ] || fail "/dev/rv is missing"
	diag "dkms status" cat "$tmp/dkms"
	diag "modinfo tlob" sh -c "modinfo tlob | grep -E '^(filename|license|srcversion|vermagic|sig_id|signer):'"
}
t "DKMS built and installed tlob.ko for the running kernel; modprobe tlob" test_dkms

test_manager() {
	local pid
	[ "$(systemctl is-active tlob-manager.service)" = active ] ||
		fail "tlob-manager.service is $(systemctl is-active tlob-manager.service)"
	pid=$(systemctl show -p MainPID --value tlob-manager.service)
	[ "$(readlink "/proc/$pid/exe")" = /usr/sbin/tlob-manager ] ||
		fail "main process is $(readlink "/proc/$pid/exe")"
	# started by tlob's postinst before the module was built (so on the
	# BPF monitor), restarted by tlob-dkms's once it was: on the module
	tlobctl status >"$tmp/status" 2>&1 || fail "tlobctl status: $(cat "$tmp/status")"
	grep -Eq '^ *Backend: kmod$' "$tmp/status" || fail "not on the module: $(cat "$tmp/status")"
	diag "systemctl status tlob-manager" systemctl status --no-pager --lines=8 tlob-manager.service
	diag "tlobctl status" cat "$tmp/status"
}
t "tlob-manager runs under its unit (/usr/sbin/tlob-manager), started by the package" test_manager

# --- a budget ---------------------------------------------------------------------

test_budget() {
	local libc id wpid
	# a service whose sleeps last 200 ms, and a 50 ms budget on libc's
	# nanosleep: every pass is a violation
	libc=$(readlink -f "$(ldconfig -p | awk '/libc\.so\.6 .*x86-64/ { print $NF; exit }')")
	[ -f "$libc" ] || fail "no libc.so.6: $libc"
	cat >/run/systemd/system/$UNIT <<-UNIT
	[Service]
	ExecStart=/bin/sh -c 'while :; do sleep 0.2; done'
	UNIT
	systemctl daemon-reload
	systemctl start $UNIT
	id=$(tlobctl add $UNIT "$libc:nanosleep" 50ms) || fail "tlobctl add failed: $id"
	echo "$id" >"$state/id"
	[ "$(tlobctl --no-legend list | awk -v u=$UNIT '$2 == u { print $1 }')" = "$id" ] ||
		fail "tlobctl --no-legend list: $(tlobctl --no-legend list)"
	wait_until 30 field_is "$id" active true || fail "not active: $(tlobctl list)"
	tlobctl watch --json=short >"$tmp/watch" 2>"$tmp/watch.err" &
	wpid=$!
	wait_until 60 grep -q "\"id\":\"$id\"" "$tmp/watch" ||
		fail "no Violation in tlobctl watch: $(cat "$tmp/watch" "$tmp/watch.err")"
	kill -INT "$wpid"
	wait "$wpid" || fail "tlobctl watch exited with $?: $(cat "$tmp/watch.err")"
	jq -e -s --arg id "$id" 'map(select(.id == $id))[0] |
		.unit == "'$UNIT'" and .budget_ns == 50000000 and .elapsed_ns >= 50000000' \
		"$tmp/watch" >/dev/null || fail "watch: $(cat "$tmp/watch")"
	wait_until 30 violations_ge "$id" 1 || fail "status: $(tlobctl status "$id")"
	wait_until 30 sh -c "journalctl -q -u $UNIT MESSAGE_ID=$MID | grep -q ." ||
		fail "no entry in journalctl -u $UNIT: $(journalctl -q -u tlob-manager.service -n 20)"
	diag "tlobctl list" tlobctl list
	diag "tlobctl status $id" tlobctl status "$id"
	diag "tlobctl watch (first line)" head -n1 "$tmp/watch"
	diag "journalctl -u $UNIT MESSAGE_ID=$MID -n 3" journalctl -q -u $UNIT MESSAGE_ID=$MID -n 3
}
t "tlobctl add/list/watch/status on a service's 50ms budget; the violation in journalctl -u" test_budget

test_completion() {
	local id
	id=$(cat "$state/id")
	# shellcheck source=/dev/null
	. /usr/share/bash-completion/completions/tlobctl
	[ "$(complete -p tlobctl)" = "complete -F _tlobctl tlobctl" ] || fail "complete -p: $(complete -p tlobctl)"
	COMP_WORDS=(tlobctl status '') COMP_CWORD=2
	_tlobctl
	[[ " ${COMPREPLY[*]} " == *" $id "* ]] || fail "status <TAB>: ${COMPREPLY[*]}"
	COMP_WORDS=(tlobctl add tlob-deb-sm) COMP_CWORD=2
	_tlobctl
	[ "${COMPREPLY[*]}" = "$UNIT" ] || fail "add tlob-deb-sm<TAB>: ${COMPREPLY[*]}"
}
t "bash completion (installed): budget ids from tlobctl, unit names from systemctl" test_completion

# --- upgrade ------------------------------------------------------------------------
# tlob only: an upgrade of tlob-dkms runs "dkms remove --all" in its prerm,
# as its removal does (tested by the purge below), and the same build as
# its installation, minutes each under TCG.

test_upgrade() {
	local id pid before new
	id=$(cat "$state/id")
	pid=$(systemctl show -p MainPID --value tlob-manager.service)
	before=$(status_field "$id" violations)
	new=$(cd "$UPGRADE" && ls tlob_*.deb)
	(cd "$UPGRADE" && apt_get install -y "./$new") ||
		fail "apt-get install ./$new failed: $(cat "$tmp/apt")"
	[ "$(dpkg-query -W -f='${Version}' tlob)" = "$(dpkg-deb -f "$UPGRADE/$new" Version)" ] ||
		fail "tlob is at $(dpkg-query -W -f='${Version}' tlob)"
	[ "$(systemctl is-active tlob-manager.service)" = active ] || fail "tlob-manager is not active"
	[ "$(systemctl show -p MainPID --value tlob-manager.service)" != "$pid" ] ||
		fail "tlob-manager was not restarted by the upgrade"
	dkms status 2>&1 | dkms_installed "$(uname -r)" || fail "dkms status: $(dkms status 2>&1)"
	# the budget, its binding and its counters survived the restart
	[ "$(budget_field "$id" unit)" = $UNIT ] || fail "budget gone: $(tlobctl list)"
	[ "$(status_field "$id" violations)" -ge "$before" ] ||
		fail "violations $(status_field "$id" violations) < $before before the upgrade"
	wait_until 30 violations_ge "$id" $((before + 2)) || fail "no new violations: $(tlobctl status "$id")"
	echo "# \$ apt install ./$new"
	sed 's/^/#   /' "$tmp/apt"
	diag "systemctl status tlob-manager (after the upgrade)" \
		systemctl status --no-pager --lines=4 tlob-manager.service
}
t "upgrade tlob: restarted, the budget and its counters kept, violations go on" test_upgrade

# --- purge ---------------------------------------------------------------------------

test_purge() {
	local f left=()
	apt_get purge -y tlob tlob-dkms || fail "apt-get purge failed: $(cat "$tmp/apt")"
	for p in tlob tlob-dkms; do
		[ -z "$(dpkg-query -W -f='${db:Status-Abbrev}' $p 2>/dev/null | tr -d ' ')" ] ||
			[ "$(dpkg-query -W -f='${db:Status-Abbrev}' $p 2>/dev/null)" = "un " ] ||
			fail "$p: dpkg state '$(dpkg-query -W -f='${db:Status-Abbrev}' $p)'"
	done
	for f in /usr/sbin/tlob-manager /usr/bin/tlobctl \
		 /lib/systemd/system/tlob-manager.service /usr/lib/systemd/system/tlob-manager.service \
		 /etc/systemd/system/dbus-org.tlob.Manager.service \
		 /etc/systemd/system/multi-user.target.wants/tlob-manager.service \
		 /usr/share/dbus-1/system.d/org.tlob.Manager.conf \
		 /usr/share/dbus-1/system-services/org.tlob.Manager.service \
		 /usr/share/polkit-1/actions/org.tlob.policy /usr/lib/modules-load.d/tlob.conf \
		 /usr/lib/systemd/catalog/tlob.catalog /var/lib/dkms/tlob \
		 /usr/share/bash-completion/completions/tlobctl; do
		[ ! -e "$f" ] && [ ! -L "$f" ] || left+=("$f")
	done
	for f in /usr/src/tlob-* /lib/modules/*/updates/dkms/tlob.ko* \
		 /etc/systemd/system.control/*.d/50-TlobBudget-* \
		 /run/systemd/system.control/*.d/50-TlobBudget-* \
		 /var/lib/systemd/deb-systemd-helper-enabled/*tlob*; do
		[ ! -e "$f" ] || left+=("$f")
	done
	[ ${#left[@]} = 0 ] || fail "left behind: ${left[*]}"
	! dkms status 2>/dev/null | grep -q '^tlob' || fail "dkms status: $(dkms status)"
	[ "$(systemctl is-active tlob-manager.service)" != active ] || fail "tlob-manager still runs"
	systemctl cat tlob-manager.service >/dev/null 2>&1 && fail "systemd still knows tlob-manager.service"
	pkaction --action-id org.tlob.manage-budgets >/dev/null 2>&1 && fail "polkit still knows the action"
	journalctl --list-catalog "$MID" 2>/dev/null | grep -q "$MID" && fail "catalog entry $MID still there"
	echo "# \$ apt purge tlob tlob-dkms"
	sed 's/^/#   /' "$tmp/apt"
}
t "apt purge: no unit, alias, bus policy, polkit action, catalog entry, module or DKMS tree left" test_purge

echo "1..$n"
[ "$failed" = 0 ]
