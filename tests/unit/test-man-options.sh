#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Every long option a binary's --help lists is documented in its man page,
# and every option the man page documents is in --help; with SOURCE, every
# long option of the getopt_long() tables in SOURCE (what the program
# accepts) is in --help, and nothing else. TAP output.
#
# Usage: test-man-options.sh BINARY MANPAGE [SOURCE]
set -u
bin=${1:?usage: $0 BINARY MANPAGE [SOURCE]}
man=${2:?usage: $0 BINARY MANPAGE [SOURCE]}
source=${3:-}

help_opts=$("$bin" --help | grep -oE -- '(^|[ ,])--[a-z][a-z-]*' | sed 's/^[ ,]*//' | sort -u)
# groff writes "--max-budgets" as "\-\-max\-budgets" in .B/.BI/.BR lines
man_opts=$(grep -E '^\.(B|BI|BR|IR|TP)? ?.*\\-\\-[a-z]' "$man" |
	   grep -oE -- '\\-\\-[a-z]([a-z]|\\-)*' | sed 's/\\-/-/g' | sort -u)

n=0
failed=0
check() {
	n=$((n + 1))
	if [ -n "$2" ]; then
		echo "not ok $n - $1"
		echo "# $2"
		failed=$((failed + 1))
	else
		echo "ok $n - $1"
	fi
}

[ -n "$help_opts" ] || check "--help lists options" "no option in --help"
missing=$(comm -23 <(echo "$help_opts") <(echo "$man_opts") | grep . | tr '\n' ' ')
check "$(basename "$man"): every option of --help is documented" "${missing:+missing: $missing}"
extra=$(comm -13 <(echo "$help_opts") <(echo "$man_opts") | grep . | tr '\n' ' ')
check "$(basename "$man"): every documented option is in --help" "${extra:+not in --help: $extra}"
if [ -n "$source" ]; then
	# { "name", no_argument, ... } entries of struct option tables
	src_opts=$(grep -oE '\{[[:space:]]*"[a-z][a-z-]*",[[:space:]]*(no|required|optional)_argument' "$source" |
		   sed -E 's/^\{[[:space:]]*"([^"]*)".*/--\1/' | sort -u)
	[ -n "$src_opts" ] || check "$(basename "$source") has a getopt_long() table" "no option found"
	missing=$(comm -23 <(echo "$src_opts") <(echo "$help_opts") | grep . | tr '\n' ' ')
	check "every option $(basename "$source") accepts is in --help" "${missing:+not in --help: $missing}"
	extra=$(comm -13 <(echo "$src_opts") <(echo "$help_opts") | grep . | tr '\n' ' ')
	check "every option of --help is accepted by $(basename "$source")" "${extra:+not accepted: $extra}"
fi
echo "1..$n"
[ "$failed" = 0 ]
