#!/bin/sh
# format-check.sh [BASE]: the lines of C (.c, .h) changed since BASE
# (default HEAD~1; the working tree's edits count too) must be as
# clang-format writes them with the project's .clang-format.  Only the
# changed lines are checked: the tree as a whole is not reformatted (see
# .clang-format).  Exit 0: they are; 1: they are not, with the files and
# the diff that would fix them (`git clang-format BASE` applies it); 2:
# no such commit, not a git tree, or no git-clang-format.  .ci/run runs
# it after the build.
set -u
base=${1:-HEAD~1}
me=format-check

command -v git-clang-format >/dev/null 2>&1 ||
	{ echo "$me: needs git-clang-format (Debian: apt-get install clang-format)" >&2; exit 2; }
top=$(git rev-parse --show-toplevel 2>/dev/null) ||
	{ echo "$me: not in a git tree" >&2; exit 2; }
cd "$top" || exit 2
git rev-parse -q --verify "$base^{commit}" >/dev/null ||
	{ echo "$me: no commit $base (a shallow clone lacks it: fetch more history)" >&2; exit 2; }

out=$(git clang-format --diff --extensions c,h "$base" -- 2>&1)
rc=$?
# Debian 12's git-clang-format exits 0 whether or not it found something
# to change (newer ones exit 1): what it printed says which
if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
	printf '%s\n' "$out" >&2
	echo "$me: git clang-format failed (exit $rc)" >&2
	exit 2
fi
if ! printf '%s\n' "$out" | grep -q '^diff --git '; then
	echo "$me: the C lines changed since $base are formatted"
	exit 0
fi
echo "$me: C lines changed since $base are not as clang-format writes them:"
printf '%s\n' "$out" | sed -n 's|^diff --git a/\(.*\) b/.*|    \1|p'
echo "$me: to reformat just those lines: git clang-format $base"
printf '%s\n' "$out"
exit 1
