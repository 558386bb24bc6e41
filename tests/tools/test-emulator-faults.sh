#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/vm/emulator-faults drops exactly one splat qemu caused (a kernel
# single-step #DB warning with an RFLAGS no CPU can push) and keeps every
# other one and the lines around them; tests/vm/kernel-log.bash reports
# what is left and fails when a tool fails, never passing a log unread.
# TAP.
set -u
vm=${1:?usage: test-emulator-faults.sh TESTS_VM_DIR}
filter=$vm/emulator-faults
tmp=$(mktemp -d "${TMPDIR:-/tmp}/test-emulator-faults.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=tests/tools/tap.bash
. "${BASH_SOURCE[0]%/*}/tap.bash"

# ok_run STATUS NAME: ok, showing the filter's output and stderr.
ok_run() {
	ok "$1" "$2" "$tmp/out" "$tmp/err"
}

# splat EFLAGS [END]: the warning of the CI run of 2026-12-01 (6.12,
# qemu 7.2), with EFLAGS as given; without END, cut before its end line.
splat() {
	cat <<EOS
[  204.562017] WARNING: CPU: 0 PID: 2121 at arch/x86/kernel/traps.c:1120 exc_debug_kernel+0xca/0x160
[  204.563559] Modules linked in: tlob(OE) virtio_rng overlay 9p 9pnet_virtio 9pnet netfs [last unloaded: tlob(OE)]
[  204.564624] CPU: 0 UID: 0 PID: 2121 Comm: date Tainted: G           OE      6.12.95+deb12-amd64 #1  Debian 6.12.95-1~bpo12+1
[  204.564947] Tainted: [O]=OOT_MODULE, [E]=UNSIGNED_MODULE
[  204.564965] Hardware name: QEMU Standard PC (Q35 + ICH9, 2009), BIOS 1.16.2-debian-1.16.2-1 04/01/2014
[  204.565061] RIP: 0010:exc_debug_kernel+0xca/0x160
[  204.565302] Code: b9 05 00 00 00 48 89 e1 48 89 ea 48 c7 c6 25 2d cd ab bf 03 00 00 00 e8 d4 81 43 ff 3d 01 80 00 00 74 22 f6 44 24 01 40 74 1b <0f> 0b 48 81 a5 90 00 00 00 ff fe ff ff eb 0c 80 e4 bf 48 89 04 24
[  204.565500] RSP: 0000:fffffe4babff4f28 EFLAGS: $1
[  204.565549] RAX: 0000000000000000 RBX: 0000000000000000 RCX: 0000000000000000
[  204.565563] RDX: fffffe4babff4ef0 RSI: 0000000000000003 RDI: ffff8c8d4272c8c0
[  204.565576] RBP: fffffe4babff4f58 R08: 0000000000000000 R09: 0000000000000005
[  204.565587] R10: 0000000000000000 R11: 0000000000000000 R12: 0000000000000000
[  204.565600] R13: 0000000000000000 R14: 0000000000000000 R15: 0000000000000000
[  204.565672] FS:  0000000000000000(0000) GS:ffff8c8d5f400000(0000) knlGS:0000000000000000
[  204.565700] CS:  0010 DS: 0000 ES: 0000 CR0: 0000000080050033
[  204.565710] CR2: 00007f2b3c0d6000 CR3: 0000000003c1e000 CR4: 00000000000006f0
[  204.565720] Call Trace:
[  204.565730]  <#DB>
[  204.565740]  ? exc_debug_kernel+0xca/0x160
[  204.565750]  asm_exc_debug+0x1e/0x40
[  204.565760]  </#DB>
[  204.565770]  <TASK>
[  204.565780]  do_syscall_64+0x82/0x190
[  204.565790]  </TASK>
EOS
	[ -z "${2:-}" ] || echo "[  204.565800] ---[ end trace 0000000000000000 ]---"
}

run() {
	"$filter" >"$tmp/out" 2>"$tmp/err"
}

# 1-2: the CI's splat goes, shown whole on stderr; the lines around it stay.
{ echo "[  200.000000] before"; splat 43c0b002 end; echo "[  205.000000] after"; } | run
[ "$(cat "$tmp/out")" = "$(printf '[  200.000000] before\n[  205.000000] after')" ] &&
	grep -q '^emulator fault, not counted as a kernel problem (EFLAGS 43c0b002: reserved bits set' "$tmp/err"
ok_run $? "a #DB warning with EFLAGS 43c0b002 (bits 15, 22-25, 30) is the emulator's"
[ "$(tail -n +2 "$tmp/err" | sed 's/^  //')" = "$(splat 43c0b002 end)" ]
ok_run $? "the dropped splat is shown whole"

# 3-6: RFLAGS a CPU can push: the splat stays, whole.
for f in 00010046 00000346 00000002 003f7fd7; do
	splat "$f" end | run
	[ "$(cat "$tmp/out")" = "$(splat "$f" end)" ] && [ ! -s "$tmp/err" ]
	ok_run $? "a #DB warning with EFLAGS $f stays"
done

# 7-12: one reserved bit or bit 1 clear, or bits above 31: the emulator's.
for f in 0000000a 00000022 00008002 00400002 100000002 00000000; do
	splat "$f" end | run
	[ -z "$(cat "$tmp/out")" ] && [ -s "$tmp/err" ]
	ok_run $? "EFLAGS $f: no CPU pushes it"
done

# Without its end line, elsewhere, or not a warning: kept.
{ splat 43c0b002; echo "[  205.000000] after"; } | run
[ "$(cat "$tmp/out")" = "$(splat 43c0b002; echo "[  205.000000] after")" ] && [ ! -s "$tmp/err" ]
ok_run $? "a cut splat (no end line) stays"

splat 43c0b002 end | sed 's/exc_debug_kernel+/exc_int3+/' >"$tmp/in"
run <"$tmp/in"
cmp -s "$tmp/in" "$tmp/out" && [ ! -s "$tmp/err" ]
ok_run $? "a warning elsewhere stays, whatever its EFLAGS"

printf '[    1.0] BUG: kernel NULL pointer dereference\n[    1.1] RSP: 0018:ffff EFLAGS: 43c0b002\n' >"$tmp/in"
run <"$tmp/in"
cmp -s "$tmp/in" "$tmp/out"
ok_run $? "a BUG stays"

# The EFLAGS of the exc_debug_kernel frame, not of a frame in the trace.
splat 00010046 end | sed '/asm_exc_debug/i [  204.565745] RIP: 0010:do_syscall_64+0x82/0x190\n[  204.565746] RSP: 0018:ffffb0 EFLAGS: 43c0b002' >"$tmp/in"
run <"$tmp/in"
cmp -s "$tmp/in" "$tmp/out" && [ ! -s "$tmp/err" ]
ok_run $? "the RFLAGS read is the one after RIP: exc_debug_kernel"

# Another CPU's splat printed into the block: all of it stays.
splat 43c0b002 end | sed '/asm_exc_debug/i [  204.565745] BUG: unable to handle page fault for address: 0000000000000008' >"$tmp/in"
run <"$tmp/in"
cmp -s "$tmp/in" "$tmp/out" && [ ! -s "$tmp/err" ]
ok_run $? "a BUG of another CPU inside the block keeps it whole"

splat 43c0b002 end | sed '/asm_exc_debug/i [  204.565745] WARNING: CPU: 1 PID: 7 at kernel/foo.c:1 foo+0x1/0x2' >"$tmp/in"
run <"$tmp/in"
cmp -s "$tmp/in" "$tmp/out" && [ ! -s "$tmp/err" ]
ok_run $? "a WARNING of another CPU inside the block keeps it whole"

# One per log: a second one is a problem.
{ splat 43c0b002 end; echo "[  206.000000] between"; splat 43c0b002 end; } | run
[ "$(cat "$tmp/out")" = "$(echo "[  206.000000] between"; splat 43c0b002 end)" ] &&
	[ "$(grep -c '^emulator fault' "$tmp/err")" = 1 ]
ok_run $? "only the first of two goes"

# kernel-log.bash: what is left, and a failing tool is a failure.
# shellcheck source=tests/vm/kernel-log.bash
. "$vm/kernel-log.bash"
{ echo "[  200.000000] before"; splat 43c0b002 end; echo "[  205.000000] after"; } >"$tmp/log"
p=$(kernel_log_problems "$tmp/log" "$tmp/dropped"); rc=$?
[ "$rc" = 0 ] && [ -z "$p" ] && grep -q '^emulator fault' "$tmp/dropped"
ok $? "kernel_log_problems: the emulator's splat alone is a clean log (rc $rc: $p)"

splat 00010046 end >"$tmp/log"
p=$(kernel_log_problems "$tmp/log" "$tmp/dropped"); rc=$?
[ "$rc" = 0 ] && [ "$(echo "$p" | head -n 1)" = "$(splat 00010046 end | head -n 1)" ]
ok $? "kernel_log_problems: a real warning is printed (rc $rc)"

p=$(KERNEL_LOG_FILTER=false kernel_log_problems "$tmp/log" "$tmp/dropped"); rc=$?
[ "$rc" = 2 ] && [[ $p == *"emulator-faults failed (status 1)"* ]]
ok $? "kernel_log_problems: a failing filter fails (rc $rc: $p)"

p=$(KERNEL_LOG_FILTER=$tmp/nonexistent kernel_log_problems "$tmp/log" "$tmp/dropped"); rc=$?
[ "$rc" = 2 ]
ok $? "kernel_log_problems: a missing filter fails (rc $rc)"

mkdir "$tmp/vm2"
cp "$filter" "$tmp/vm2/"
p=$(kernel_log_dir=$tmp/vm2 kernel_log_problems "$tmp/log" "$tmp/dropped"); rc=$?
[ "$rc" = 2 ] && [[ $p == *"no patterns"* ]]
ok $? "kernel_log_problems: no pattern file fails (rc $rc: $p)"

echo "1..$n"
[ "$bad" = 0 ]
