# SPDX-License-Identifier: GPL-2.0-or-later
# TAP for the host tests of tests/tools, sourced. The caller ends with
#   echo "1..$n"; [ "$bad" = 0 ]
n=0 bad=0

# ok STATUS NAME [FILE...]: test NAME passed if STATUS is 0; on failure
# the FILEs are shown as diagnostics.
ok() {
	local f
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
		return 0
	fi
	echo "not ok $n - $2"
	bad=$((bad + 1))
	shift 2
	for f in "$@"; do
		sed 's/^/# /' "$f"
	done
}
