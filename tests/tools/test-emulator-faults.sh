#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# tests/vm/emulator-faults: drops exactly the splats qemu caused (a kernel
# single-step #DB warning with an RFLAGS no CPU can push), keeps every
# other one and the lines around them. TAP.
set -u
filter=${1:?usage: test-emulator-faults.sh TESTS_VM_EMULATOR_FAULTS}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/test-emulator-faults.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=tests/tools/tap.bash
. "${BASH_SOURCE[0]%/*}/tap.bash"

# splat EFLAGS [END]: the warning of the CI run of 2026-12-01 (6.12,
# qemu 7.2), with EFLAGS as given; without END, cut before its end line.
splat() {
	cat <<EOS
[  204.562017] WARNING: CPU: 0 PID: 2121 at arch/x86/kernel/traps.c:1120 exc_debug_kernel+0xca/0x160
[  204.563559] Modules linked in: tlob(OE) virtio_rng overlay 9p 9pnet_virtio 9pnet netfs [last unloaded: tlob(OE)]
[  204.564624] CPU: 0 UID: 0 PID: 2121 Comm: date Tainted: G           OE      6.12.95+deb12-amd64 #1  Debian 6.12.95-1~bpo12+1
[  204.565061] RIP: 0010:exc_debug_kernel+0xca/0x160
[  204.565500] RSP: 0000:fffffe4babff4f28 EFLAGS: $1
[  204.565549] RAX: 0000000000000000 RBX: 0000000000000000 RCX: 0000000000000000
[  204.565700] Call Trace:
[  204.565710]  <#DB>
[  204.565720]  ? exc_debug_kernel+0xca/0x160
[  204.565730]  asm_exc_debug+0x1e/0x40
[  204.565740]  </#DB>
EOS
	[ -z "${2:-}" ] || echo "[  204.565800] ---[ end trace 0000000000000000 ]---"
}

# ok_run STATUS NAME: ok, showing the filter's output and stderr.
ok_run() {
	ok "$1" "$2" "$tmp/out" "$tmp/err"
}

run() {
	"$filter" >"$tmp/out" 2>"$tmp/err"
}

# 1: the CI's splat goes, named on stderr; the lines around it stay.
{ echo "[  200.000000] before"; splat 43c0b002 end; echo "[  205.000000] after"; } | run
[ "$(cat "$tmp/out")" = "$(printf '[  200.000000] before\n[  205.000000] after')" ] &&
	grep -q '^emulator fault, not counted as a kernel problem: WARNING: CPU: 0 PID: 2121 at arch/x86/kernel/traps.c:1120 exc_debug_kernel+0xca/0x160 with EFLAGS 43c0b002' "$tmp/err"
ok_run $? "a #DB warning with EFLAGS 43c0b002 (bits 15, 22-25, 30) is the emulator's"

# 2-5: RFLAGS a CPU can push: the splat stays, whole.
for f in 00010046 00000346 00000002 003f7fd7; do
	splat "$f" end | run
	[ "$(cat "$tmp/out")" = "$(splat "$f" end)" ] && [ ! -s "$tmp/err" ]
	ok_run $? "a #DB warning with EFLAGS $f stays"
done

# 6-11: one reserved bit or bit 1 clear, or bits above 31: the emulator's.
for f in 0000000a 00000022 00008002 00400002 100000002 00000000; do
	splat "$f" end | run
	[ -z "$(cat "$tmp/out")" ] && [ -s "$tmp/err" ]
	ok_run $? "EFLAGS $f: no CPU pushes it"
done

# Without its end line, or another warning: kept.
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

# Two in a row, with a real one between them.
{ splat 43c0b002 end; echo "[  206.000000] WARNING: CPU: 1 PID: 7 at kernel/foo.c:1 foo+0x1/0x2"; splat 43c0b002 end; } | run
[ "$(cat "$tmp/out")" = "[  206.000000] WARNING: CPU: 1 PID: 7 at kernel/foo.c:1 foo+0x1/0x2" ] &&
	[ "$(wc -l <"$tmp/err")" = 2 ]
ok_run $? "two of them go, the warning between them stays"

echo "1..$n"
[ "$bad" = 0 ]
