#!/bin/sh
# The commands' option tables (cli_parse): a value of one kind is checked
# alike on every command that takes one, a bad one is a usage error (exit
# 2) that names the option, and --help, long names cut short, a short
# letter and --name=value work on a table's options as on any other.
. "$(dirname "$0")/lib.sh"

# usage PATTERN DESCRIPTION ARGS...: exit 2 with PATTERN on stderr
usage() {
	pat=$1; desc=$2; shift 2
	"$BIOFED" --dir "$T/a" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	if [ "$rc" = 2 ] && grep -Eq -- "$pat" "$T/err"; then
		ok "$desc"
	else
		fail "$desc (exit $rc)" "$(cat "$T/out" "$T/err")"
	fi
}

"$BIOFED" --dir "$T/a" init --slug navarrabiomed --name N --country ES \
	--coordinator >/dev/null 2>&1 || fail "init"
[ -f "$T/a/identity.json" ] && ok "init's string and flag options" ||
	fail "init's string and flag options"

# a non-negative integer
usage '--key-from: "x" is not a non-negative integer' "roster add --key-from x" \
	roster add --key-from x "$T/a/identity.json"
usage '--from: "-1" is not a non-negative integer' "roster revoke --from -1" \
	roster revoke --from -1 navarrabiomed
usage '--timeout: "1x" is not a non-negative integer' "sql --timeout 1x" \
	sql --timeout 1x "SELECT 1"
usage '--max-errors: "" is not a non-negative integer' "publish --max-errors=" \
	publish --max-errors= f.csv
# an output format: table or json
usage '--format: "csv" is not table or json' "log --format csv" log --format csv
usage '--format: "xml" is not table or json' "roster list --format xml" \
	roster list --format xml
# a value that is missing, or given to a flag
usage 'option -o needs a value' "changes export -o without a value" changes export -o
usage 'option --origin needs a value' "log --origin without a value" log --origin
usage 'option --dry-run takes no value' "samples derive --dry-run=1" samples derive --dry-run=1
usage 'unknown option --no-such' "an option no table has" verify --no-such
usage 'unexpected argument "extra"' "an operand too many" changes vector extra
usage 'IDENTITY_FILE is missing' "an operand missing" roster add

# what works
"$BIOFED" --dir "$T/a" roster add --key-f=0 "$T/a/identity.json" >"$T/out" 2>&1 &&
	grep -q "navarrabiomed" "$T/out" && ok "roster add --key-f=0 (a long name cut short, =value)" ||
	fail "roster add --key-f=0" "$(cat "$T/out")"
"$BIOFED" --dir "$T/a" changes export -o "$T/cs" >/dev/null 2>&1 && [ -s "$T/cs" ] &&
	ok "changes export -o FILE (the short letter)" || fail "changes export -o FILE"
"$BIOFED" --dir "$T/a" log --origin nosuch --format json >"$T/out" 2>&1 &&
	[ "$(cat "$T/out")" = "[]" ] && ok "log --origin O --format json" ||
	fail "log --origin O --format json" "$(cat "$T/out")"
for cmd in "roster add" "publish" "samples derive" "changes export" "verify"; do
	# shellcheck disable=SC2086
	if "$BIOFED" $cmd --help >"$T/out" 2>&1 && grep -q "^usage: biofed $cmd" "$T/out"; then
		ok "$cmd --help exits 0 with the usage"
	else
		fail "$cmd --help" "$(cat "$T/out")"
	fi
done
