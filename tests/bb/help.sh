#!/bin/sh
# Every command's --help and a bad option, black-box.  The commands are
# taken from `biofed help`'s own list, so a new command is walked as soon
# as it is listed.  For each: --help and -h print its usage on stdout and
# exit 0, `biofed help NAME` prints the same; --no-such-option exits 2
# with a message on stderr that names the option, and touches nothing.
# Groups (roster, changes, samples) and the tool itself alike.
. "$(dirname "$0")/lib.sh"

NONE="$T/none" # no node here: help and usage errors need none

# run OUT_PREFIX ARGS...: stdout, stderr and status into $T/OUT_PREFIX.*
run() {
	p=$1; shift
	"$BIOFED" --dir "$NONE" "$@" >"$T/$p.out" 2>"$T/$p.err"
	echo $? >"$T/$p.rc"
}
rc_of() { cat "$T/$1.rc"; }

run all help
if [ "$(rc_of all)" = 0 ] && [ ! -s "$T/all.err" ]; then
	ok "biofed help exits 0, quiet on stderr"
else
	fail "biofed help exits 0" "$(cat "$T/all.err")"
fi
# the list: two spaces, the name (one or two words), two spaces, summary
sed -n 's/^  \([a-z][a-z-]*\( [a-z][a-z-]*\)\{0,1\}\)  .*/\1/p' "$T/all.out" >"$T/names"
count=$(wc -l <"$T/names")
[ "$count" -ge 20 ] && ok "biofed help lists $count commands" ||
	fail "biofed help lists the commands ($count found)" "$(cat "$T/all.out")"
for want in help init publish "roster add" "changes export" query "samples import" status; do
	grep -qx "$want" "$T/names" && ok "the list has $want" || fail "the list has $want"
done
run gh --help
cmp -s "$T/all.out" "$T/gh.out" && [ "$(rc_of gh)" = 0 ] &&
	ok "biofed --help is biofed help" || fail "biofed --help is biofed help"

# status's exit statuses are its verdict's (0 ok, 1 degraded, 2 down);
# its usage errors may be the status it documents for them
usage_rc_ok() { # NAME RC
	case $1:$2 in
	*:2 | status:3) return 0 ;;
	*) return 1 ;;
	esac
}

while read -r name; do
	# shellcheck disable=SC2086 # the name's words are the arguments
	set -- $name
	run h "$@" --help
	first=$(head -1 "$T/h.out")
	case $first in
	"usage: biofed $name"*) good=1 ;;
	*) good= ;;
	esac
	if [ "$(rc_of h)" = 0 ] && [ -n "$good" ] && [ ! -s "$T/h.err" ]; then
		ok "$name --help: usage on stdout, exit 0"
	else
		fail "$name --help: usage on stdout, exit 0 (rc $(rc_of h))" \
			"$(cat "$T/h.out" "$T/h.err")"
	fi
	run hs "$@" -h
	cmp -s "$T/h.out" "$T/hs.out" && [ "$(rc_of hs)" = 0 ] &&
		ok "$name -h is --help" || fail "$name -h is --help"
	run hc help "$@"
	cmp -s "$T/h.out" "$T/hc.out" && [ "$(rc_of hc)" = 0 ] &&
		ok "biofed help $name is $name --help" ||
		fail "biofed help $name is $name --help" "$(cat "$T/hc.out" "$T/hc.err")"
	run bad "$@" --no-such-option
	rc=$(rc_of bad)
	if usage_rc_ok "$1" "$rc" && grep -q -- "--no-such-option" "$T/bad.err" &&
		grep -q "see 'biofed help" "$T/bad.err" && [ ! -s "$T/bad.out" ]; then
		ok "$name --no-such-option: usage error (rc $rc) naming it"
	else
		fail "$name --no-such-option: usage error naming it (rc $rc)" \
			"$(cat "$T/bad.out" "$T/bad.err")"
	fi
	[ ! -e "$NONE" ] && ok "$name: a usage error creates nothing" ||
		{ fail "$name: a usage error created $NONE"; rm -rf "$NONE"; }
done <"$T/names"

# groups: the first word of the two-word names
sed -n 's/^\([a-z-]*\) .*/\1/p' "$T/names" | uniq >"$T/groups"
while read -r g; do
	run gh "$g" --help
	missing=
	for sub in $(sed -n "s/^$g //p" "$T/names"); do
		grep -q "^  $g $sub " "$T/gh.out" || missing="$missing $sub"
	done
	[ "$(rc_of gh)" = 0 ] && [ -z "$missing" ] &&
		ok "$g --help lists its sub-commands" ||
		fail "$g --help lists its sub-commands (missing:$missing)" "$(cat "$T/gh.out")"
	run ghc help "$g"
	cmp -s "$T/gh.out" "$T/ghc.out" && ok "biofed help $g is $g --help" ||
		fail "biofed help $g is $g --help"
	run gb "$g" --no-such-option
	[ "$(rc_of gb)" = 2 ] && grep -q -- "--no-such-option" "$T/gb.err" &&
		ok "$g --no-such-option: usage error naming it" ||
		fail "$g --no-such-option (rc $(rc_of gb))" "$(cat "$T/gb.err")"
	run gn "$g" frobnicate
	[ "$(rc_of gn)" = 2 ] && grep -q '"frobnicate"' "$T/gn.err" &&
		ok "$g frobnicate: usage error naming it" ||
		fail "$g frobnicate (rc $(rc_of gn))" "$(cat "$T/gn.err")"
	run g0 "$g"
	[ "$(rc_of g0)" = 2 ] && grep -q "sub-command" "$T/g0.err" &&
		ok "$g alone: usage error asking for a sub-command" ||
		fail "$g alone (rc $(rc_of g0))" "$(cat "$T/g0.err")"
done <"$T/groups"

# --- the tool itself ---------------------------------------------------
run v --version
[ "$(rc_of v)" = 0 ] && grep -Eqx 'biofed [0-9]+\.[0-9]+\.[0-9]+' "$T/v.out" &&
	ok "--version prints the version" || fail "--version" "$(cat "$T/v.out")"
run b --no-such-option
[ "$(rc_of b)" = 2 ] && grep -q -- "--no-such-option" "$T/b.err" &&
	ok "biofed --no-such-option: usage error naming it" ||
	fail "biofed --no-such-option (rc $(rc_of b))" "$(cat "$T/b.err")"
run u frobnicate
[ "$(rc_of u)" = 2 ] && grep -q '"frobnicate"' "$T/u.err" &&
	grep -q "see 'biofed help'" "$T/u.err" &&
	ok "an unknown command is a usage error naming it" ||
	fail "unknown command (rc $(rc_of u))" "$(cat "$T/u.err")"
run e
[ "$(rc_of e)" = 2 ] && [ -s "$T/e.err" ] && ok "no command: usage error" ||
	fail "no command (rc $(rc_of e))"
run hn help frobnicate
[ "$(rc_of hn)" = 2 ] && grep -q '"frobnicate"' "$T/hn.err" &&
	ok "biofed help frobnicate: usage error naming it" ||
	fail "help frobnicate (rc $(rc_of hn))" "$(cat "$T/hn.err")"
