#!/bin/sh
# tests/tools/format-check.sh, black-box, in a throw-away git repository
# holding the project's .clang-format, the script and changeset.c (whose
# lines are not all as clang-format would write them): a commit that adds
# badly formatted C fails the check, which names the file and shows the
# fix; a well formatted commit passes although the file around it is
# untouched and not all formatted; a commit that changes no C passes; a
# base that is no commit is exit 2.
. "$(dirname "$0")/lib.sh"

command -v git-clang-format >/dev/null 2>&1 ||
	{ ok "format-check # skip no git-clang-format (clang-format)"; exit 0; }

R="$T/repo"
mkdir -p "$R/src" "$R/tests/tools"
cp "$ROOT/.clang-format" "$R/"
cp "$ROOT/tests/tools/format-check.sh" "$R/tests/tools/"
cp "$ROOT/src/changeset.c" "$R/src/"
g() { git -C "$R" -c user.name=bb -c user.email=bb@example.org "$@"; }
g init -q && g add -A && g commit -q -m base ||
	{ fail "a git repository to try the check in"; exit 0; }
check_in() { (cd "$R" && sh tests/tools/format-check.sh "$@") >"$T/out" 2>&1; }

# not formatted: a brace on the function's line, spaces for tabs, no
# spaces around operators
cat >> "$R/src/changeset.c" <<'C'

int cs_badly_formatted(int a,int b) {
    return a+b;
}
C
g commit -q -am "bad"
check_in
rc=$?
if [ "$rc" = 1 ] && grep -q '^    src/changeset.c$' "$T/out" &&
	grep -q '^+int cs_badly_formatted(int a, int b)$' "$T/out"; then
	ok "badly formatted C fails: exit 1, the file named, the fix shown"
else
	fail "badly formatted C (exit $rc)" "$(cat "$T/out")"
fi

# formatted, in a file whose other lines are not all
g reset -q --hard HEAD~1
cat >> "$R/src/changeset.c" <<'C'

int cs_well_formatted(int a, int b)
{
	return a + b;
}
C
g commit -q -am "good"
check_in
rc=$?
[ "$rc" = 0 ] && grep -q "are formatted" "$T/out" &&
	ok "well formatted C passes; the untouched lines are not checked" ||
	fail "well formatted C (exit $rc)" "$(cat "$T/out")"

(cd "$R" && clang-format src/changeset.c | cmp -s - src/changeset.c) &&
	fail "changeset.c is all formatted: the test above proves less than it says"
check_in HEAD~1
[ $? = 0 ] && ok "BASE given: HEAD~1" || fail "BASE HEAD~1" "$(cat "$T/out")"

echo "not C" > "$R/notes.txt"
g add notes.txt && g commit -q -m notes
check_in
[ $? = 0 ] && ok "a commit without C passes" || fail "a commit without C" "$(cat "$T/out")"

check_in no-such-commit
rc=$?
[ "$rc" = 2 ] && grep -q "no commit no-such-commit" "$T/out" &&
	ok "a base that is no commit: exit 2" || fail "a bad base (exit $rc)" "$(cat "$T/out")"
