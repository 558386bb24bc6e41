# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# A private system bus with tlob-manager on it, for tests that need the
# D-Bus API but no kernel module, no systemd and no root-owned state:
#
#   . tests/dbus/fake-env.sh
#   fake_env_start BUILD_DIR       # meson build directory
#   busctl call org.tlob.Manager /org/tlob/Manager org.tlob.Manager ListBudgets
#   tlobctl list                   # any sd-bus client: the env points to it
#   fake_env_stop
#
# fake_env_start runs, in a fresh directory $FAKE_DIR:
#   - dbus-daemon with a permissive policy on unix:path=$FAKE_DIR/bus
#     (exported as DBUS_SYSTEM_BUS_ADDRESS, so sd_bus_open_system() and
#     busctl --system use it);
#   - fake-systemd (tests/dbus/fake-systemd.c), driven with
#     fake_systemd "start demo.service" etc.; a unit demo.service whose
#     ExecStart= is the ELF fixture $FAKE_EXEC (symbols tlob_fixture_start,
#     tlob_fixture_stop; libelf-fixture.so is $FAKE_LIB) exists from the
#     start, inactive;
#   - tlob-manager-fake: tlob-manager built with
#     tests/dbus/fake-kernel-link.c and fake-journal.c; drop-ins live
#     under $FAKE_DIR/root (--root), cgroups under $FAKE_DIR/cgroup;
#     fake_kernel "violation @ID 123 30000000 3" injects an event (see
#     fake-kernel-link.c), $FAKE_DIR/bindings lists the bindings,
#     $FAKE_DIR/journal holds the journal entries;
#   - a fake polkit (in fake-systemd) answering what $FAKE_DIR/polkit
#     says: "yes", "no", "challenge", else an error (the default). Root
#     callers never reach it.
# FAKE_NO_MANAGER=1 leaves tlob-manager out (the C test starts its own).
# Extra tlob-manager options may be given in FAKE_MANAGER_ARGS. Nothing
# needs root, except tests that switch to another uid (setpriv) to see
# the polkit path: then the directory is made world-accessible.

fake_env_start() {
	local build=${1:?build dir}
	FAKE_DIR=$(mktemp -d /tmp/tlob-fake-env.XXXXXX)
	chmod 755 "$FAKE_DIR"
	mkdir -p "$FAKE_DIR/root" "$FAKE_DIR/cgroup"
	mkfifo "$FAKE_DIR/kernel.fifo" "$FAKE_DIR/systemd.fifo"
	FAKE_EXEC=$build/tests/unit/elf-fixture-pie
	FAKE_LIB=$build/tests/unit/libelf-fixture.so
	cat > "$FAKE_DIR/bus.conf" <<-CONF
	<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
	 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
	<busconfig>
	  <type>system</type>
	  <listen>unix:path=$FAKE_DIR/bus</listen>
	  <auth>EXTERNAL</auth>
	  <!-- As on a real system bus: -->
	  <limit name="max_replies_per_connection">128</limit>
	  <policy context="default">
	    <allow user="*"/>
	    <allow own="*"/>
	    <allow send_destination="*"/>
	    <allow receive_sender="*"/>
	  </policy>
	</busconfig>
	CONF
	dbus-daemon --config-file="$FAKE_DIR/bus.conf" --nofork --nopidfile \
		--print-address=3 3>"$FAKE_DIR/address" 2>"$FAKE_DIR/dbus.log" &
	FAKE_DBUS_PID=$!
	export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$FAKE_DIR/bus
	# The address is printed once the daemon listens: the socket file may
	# exist before that (connections then fail with ECONNREFUSED).
	fake_wait "test -S '$FAKE_DIR/bus' && test -s '$FAKE_DIR/address'" ||
		{ echo "dbus-daemon did not start" >&2; return 1; }

	"$build/tests/dbus/fake-systemd" "$FAKE_DIR/systemd.fifo" "$FAKE_DIR/cgroup" \
		"$FAKE_DIR/polkit" 2>"$FAKE_DIR/systemd.log" &
	FAKE_SYSTEMD_PID=$!
	fake_wait "busctl --system status org.freedesktop.systemd1 >/dev/null 2>&1" ||
		{ echo "fake-systemd did not start" >&2; return 1; }
	fake_systemd "unit demo.service $FAKE_EXEC"

	[ -n "${FAKE_NO_MANAGER:-}" ] || fake_manager_start "$build"
}

fake_manager_start() {
	local build=${1:?build dir}
	# shellcheck disable=SC2086
	TLOB_FAKE_KERNEL_FIFO=$FAKE_DIR/kernel.fifo \
	TLOB_FAKE_KERNEL_STATE=$FAKE_DIR/bindings \
	TLOB_FAKE_JOURNAL=$FAKE_DIR/journal \
	SYSTEMD_LOG_LEVEL=${SYSTEMD_LOG_LEVEL:-debug} \
		"$build/tests/dbus/tlob-manager-fake" --root="$FAKE_DIR/root" \
		--cgroup-root="$FAKE_DIR/cgroup" $FAKE_MANAGER_ARGS \
		2>>"$FAKE_DIR/manager.log" &
	FAKE_MANAGER_PID=$!
	fake_wait "busctl --system status org.tlob.Manager >/dev/null 2>&1" ||
		{ echo "tlob-manager did not start" >&2; return 1; }
}

fake_manager_stop() {
	[ -n "${FAKE_MANAGER_PID:-}" ] || return 0
	kill "$FAKE_MANAGER_PID" 2>/dev/null
	wait "$FAKE_MANAGER_PID" 2>/dev/null
	FAKE_MANAGER_PID=
}

fake_env_stop() {
	local pid
	fake_manager_stop
	for pid in ${FAKE_SYSTEMD_PID:-} ${FAKE_DBUS_PID:-}; do
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	FAKE_SYSTEMD_PID= FAKE_DBUS_PID=
	[ -n "${FAKE_DIR:-}" ] && [ -z "${FAKE_KEEP:-}" ] && rm -rf "$FAKE_DIR"
	unset DBUS_SYSTEM_BUS_ADDRESS
}

# Run a shell condition until it holds, for up to 10 s.
fake_wait() {
	local i
	for i in $(seq 1 200); do
		eval "$1" && return 0
		sleep 0.05
	done
	return 1
}

fake_systemd() {
	echo "$*" > "$FAKE_DIR/systemd.fifo"
}

fake_kernel() {
	echo "$*" > "$FAKE_DIR/kernel.fifo"
}
