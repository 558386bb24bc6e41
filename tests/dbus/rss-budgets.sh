#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Memory of tlob-manager idle and holding many bound budgets, in the fake
# environment of fake-env.sh (tlob-manager-fake: the daemon's own code
# with the kernel link and journal replaced; no module, no root needed).
#
#   tests/dbus/rss-budgets.sh BUILD_DIR [BUDGETS]   (default 1000)
#
# Registered as the meson benchmark "rss-budgets" (meson test --benchmark).
# demo.service (ExecStart= the ELF fixture) is started with BUDGETS
# TlobBudget= lines in a drop-in, tlob_fixture_sled+N..tlob_fixture_stop, as
# bench/daemon-bench does in a VM; once all are bound and listed once (as
# "tlobctl list" would), /proc/PID/smaps_rollup and smaps are read. Prints
# Rss, Pss, Private_Dirty and Anonymous in KiB, totals and per mapping
# (heap, stack, the executable, each shared library), then the target
# check: Rss <= 4 MiB with the budgets; exits 1 when it is missed.
set -u

build=${1:?usage: rss-budgets.sh BUILD_DIR [BUDGETS]}
budgets=${2:-1000}
here=$(dirname "$(readlink -f "$0")")
limit_kib=4096

[[ "$budgets" =~ ^[1-9][0-9]*$ ]] && [ "$budgets" -le 4095 ] ||
	{ echo "rss-budgets: BUDGETS must be 1 to 4095" >&2; exit 2; }

# shellcheck source=tests/dbus/fake-env.sh
. "$here/fake-env.sh"
export SYSTEMD_LOG_LEVEL=info
FAKE_MANAGER_ARGS=${FAKE_MANAGER_ARGS:-}
trap 'fake_env_stop' EXIT
FAKE_NO_MANAGER=1 fake_env_start "$build" ||
	{ echo "rss-budgets: the fake environment did not start" >&2; exit 1; }

# report TITLE: memory of the running manager.
report() {
	local pid=$FAKE_MANAGER_PID
	echo "== $1"
	awk '/^(Rss|Pss|Private_Dirty|Anonymous):/ {
		printf "  %-14s %6d KiB\n", $1, $2 }' "/proc/$pid/smaps_rollup"
	awk '
	/^[0-9a-f]+-[0-9a-f]+ / {
		name = NF >= 6 ? $6 : "[anon]"
		sub(".*/", "", name)
		if (!(name in seen)) { seen[name] = 1; order[n++] = name }
		next
	}
	$1 == "Rss:" { rss[name] += $2 }
	$1 == "Pss:" { pss[name] += $2 }
	$1 == "Private_Dirty:" { pd[name] += $2 }
	$1 == "Anonymous:" { an[name] += $2 }
	END {
		printf "  %-28s %6s %6s %8s %6s\n", "mapping", "Rss", "Pss", "PrivDirty", "Anon"
		for (i = 0; i < n; i++) {
			k = order[i]
			if (rss[k] == 0)
				continue
			printf "  %-28s %6d %6d %8d %6d\n", k, rss[k], pss[k], pd[k], an[k]
		}
	}' "/proc/$pid/smaps"
}

rss_kib() {
	awk '$1 == "Rss:" { print $2 }' "/proc/$FAKE_MANAGER_PID/smaps_rollup"
}

bound() {
	[ -f "$FAKE_DIR/bindings" ] && [ "$(wc -l <"$FAKE_DIR/bindings")" -eq "$1" ]
}

list_budgets() {
	busctl --system call org.tlob.Manager /org/tlob/Manager \
		org.tlob.Manager ListBudgets >/dev/null
}

fake_systemd "start demo.service"
fake_manager_start "$build" || exit 1
list_budgets || exit 1
report "idle: no budgets"

fake_manager_stop
dir=$FAKE_DIR/root/etc/systemd/system/demo.service.d
mkdir -p "$dir"
{
	echo "[X-Tlob]"
	for ((i = 1; i <= budgets; i++)); do
		printf 'TlobBudget=tlob_fixture_sled+0x%x..tlob_fixture_stop 1s\n' "$i"
	done
} >"$dir/tlob.conf" || exit 1
rm -f "$FAKE_DIR/bindings"
fake_manager_start "$build" || exit 1
for ((i = 0; i < 600; i++)); do
	bound "$budgets" && break
	sleep 0.1
done
bound "$budgets" || { echo "rss-budgets: not all $budgets budgets were bound" >&2; exit 1; }
list_budgets || exit 1
report "$budgets budgets, all bound, listed"

rss=$(rss_kib)
if [ "$rss" -le "$limit_kib" ]; then
	echo "Rss with $budgets budgets: $rss KiB <= $limit_kib KiB: target met"
else
	echo "Rss with $budgets budgets: $rss KiB > $limit_kib KiB: target missed"
	exit 1
fi
