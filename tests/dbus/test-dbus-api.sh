#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs test-dbus-api (TAP) inside the fake environment of fake-env.sh.
set -u
build=${1:?usage: test-dbus-api.sh BUILD_DIR}
here=$(dirname "$(readlink -f "$0")")
# shellcheck source=tests/dbus/fake-env.sh
. "$here/fake-env.sh"

if ! FAKE_NO_MANAGER=1 fake_env_start "$build"; then
	# meson only runs this with dbus-daemon present: a real failure.
	echo "Bail out! cannot start the fake environment"
	for f in dbus.log systemd.log; do
		sed 's/^/# /' "$FAKE_DIR/$f" 2>/dev/null
	done
	fake_env_stop
	exit 1
fi
echo "# fake environment in $FAKE_DIR"
trap 'fake_env_stop' EXIT
export FAKE_DIR FAKE_EXEC FAKE_LIB
export TLOB_MANAGER_FAKE=$build/tests/dbus/tlob-manager-fake
CMOCKA_MESSAGE_OUTPUT=TAP "$build/tests/dbus/test-dbus-api"
rc=$?
if [ $rc -ne 0 ]; then
	for f in manager.log systemd.log dbus.log; do
		echo "# --- $f (last 40 lines)"
		tail -n 40 "$FAKE_DIR/$f" 2>/dev/null | sed 's/^/# /'
	done
fi
exit $rc
