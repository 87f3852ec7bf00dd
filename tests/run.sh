#!/bin/sh
# Runs every unit-test binary given as arguments, then every black-box
# script tests/bb/*.sh, and ends with one line "N passed, N failed".
# A unit binary counts its own cmocka tests; a black-box script counts as
# one test per "ok"/"not ok" line it prints (TAP-like).
BUILD=${BUILD:-build}
export BUILD
BIOFED=$(cd "$(dirname "$0")/.." && pwd)/$BUILD/biofed
export BIOFED
passed=0
failed=0
failures=""
for t in "$@"; do
	out=$("$t" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
	f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0}))
	if [ "$rc" -ne 0 ] && [ "${f:-0}" -eq 0 ]; then
		failed=$((failed + 1)); failures="$failures $t(exit $rc)"
	fi
	[ "${f:-0}" -ne 0 ] && failures="$failures $t"
done
for s in tests/bb/*.sh; do
	[ -f "$s" ] || continue
	case $s in */lib.sh) continue ;; esac
	echo "== $s"
	out=$(sh "$s" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	p=$(printf '%s\n' "$out" | grep -c '^ok ')
	f=$(printf '%s\n' "$out" | grep -c '^not ok ')
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		failed=$((failed + 1)); failures="$failures $s(exit $rc)"
	fi
	[ "$f" -ne 0 ] && failures="$failures $s"
done
[ -n "$failures" ] && echo "failing:$failures"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
