# SPDX-License-Identifier: GPL-2.0-or-later
# Sourced: the check of a guest's kernel log against
# tests/vm/kernel-problems, shared by tests/vm/run-vm, the kernel
# suite's whole-boot test (tests/kmod/run-suite) and, in the guest, its
# and the BPF suite's dmesg_check (tests/kmod/lib.sh).

kernel_log_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# kernel_log_problems LOG DROPPED: print LOG's problems (each matching line
# with 25 lines after it), none if it is clean. The splat qemu caused is
# left out and written to DROPPED (tests/vm/emulator-faults). Returns 2,
# after printing why, if the filter or grep failed: never a clean log
# because a tool broke.
kernel_log_problems() {
	local log=$1 dropped=$2 filtered rc=0
	filtered=$(mktemp "${TMPDIR:-/tmp}/kernel-log.XXXXXX") ||
		{ echo "cannot check $log: mktemp failed"; return 2; }
	"${KERNEL_LOG_FILTER:-$kernel_log_dir/emulator-faults}" <"$log" \
		>"$filtered" 2>"$dropped" || rc=$?
	if [ "$rc" != 0 ]; then
		echo "tests/vm/emulator-faults failed (status $rc) on $log: $(head -c 300 "$dropped")"
		rm -f "$filtered"
		return 2
	fi
	if ! grep -v -e '^#' -e '^$' "$kernel_log_dir/kernel-problems" >"$filtered.pat"; then
		echo "cannot check $log: no patterns in $kernel_log_dir/kernel-problems"
		rm -f "$filtered" "$filtered.pat"
		return 2
	fi
	grep -E -A 25 -f "$filtered.pat" "$filtered" || rc=$?
	rm -f "$filtered" "$filtered.pat"
	if [ "$rc" -gt 1 ]; then
		echo "grep for kernel problems failed (status $rc) on $log"
		return 2
	fi
	return 0
}
