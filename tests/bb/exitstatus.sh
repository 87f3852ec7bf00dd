#!/bin/sh
# Exit statuses, black-box, as the README says: 0 success, 1 failure, 2
# usage error.  A usage error names what was wrong and points at `biofed
# help COMMAND`; a failure (a file that is not there, a node that exists)
# is 1.  publish's old --format for the input is refused, pointing at
# --input-format, and nothing is published.  --dir may follow the
# command.
. "$(dirname "$0")/lib.sh"

# status WANT PATTERN DESCRIPTION ARGS...: biofed ARGS exits WANT and its
# stderr matches PATTERN
status() {
	want=$1; pat=$2; desc=$3; shift 3
	"$BIOFED" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	if [ "$rc" = "$want" ] && { [ -z "$pat" ] || grep -Eq -- "$pat" "$T/err"; }; then
		ok "$desc (exit $want)"
	else
		fail "$desc (exit $rc, wanted $want)" "$(cat "$T/out" "$T/err")"
	fi
}
# usage CMD PATTERN DESCRIPTION ARGS...: exit 2, the message, and the
# hint naming CMD
usage() {
	cmd=$1; pat=$2; desc=$3; shift 3
	status 2 "$pat" "$desc" --dir "$T/a" "$@"
	grep -q "see 'biofed help $cmd'" "$T/err" ||
		fail "$desc: the hint names 'biofed help $cmd'" "$(cat "$T/err")"
}

# --- init ----------------------------------------------------------------
status 2 "init: --slug is required" "init without --slug" --dir "$T/x" init --name X --country ES --coordinator
status 2 "init: --country is required" "init without --country" --dir "$T/x" init --slug x --name X --coordinator
status 2 "--country: a two-letter" "init with a bad country" --dir "$T/x" init --slug x --name X --country Spain --coordinator
status 2 "not a valid slug" "init with a bad slug" --dir "$T/x" init --slug "Bad Slug" --name X --country ES --coordinator
status 2 "either --coordinator" "init with neither --coordinator nor --coordinator-key" --dir "$T/x" init --slug x --name X --country ES
nl='
'
# a newline in a name would start a line of its own in biofed.conf
status 2 '--name: "X\\x0a\[node\]\\x0aslug = evil" holds a control character' "init refuses a newline in --name, shown escaped" --dir "$T/x" init --slug x --name "X$nl[node]${nl}slug = evil" --country ES --coordinator
status 2 "--region: .* holds a control character" "init refuses a tab in --region" --dir "$T/x" init --slug x --name X --region "$(printf 'a\tb')" --country ES --coordinator
status 2 '--name: "Caf\\xe9" is not UTF-8' "init refuses a name that is not UTF-8" --dir "$T/x" init --slug x --name "$(printf 'Caf\351')" --country ES --coordinator
[ ! -e "$T/x" ] && ok "init's usage errors create nothing" || fail "init's usage errors created $T/x"
status 0 "" "init (--dir after the command)" init --dir "$T/a" --slug navarrabiomed --name N --country ES --coordinator
status 1 "already exists" "init over a node is a failure" --dir "$T/a" init --slug navarrabiomed --name N --country ES --coordinator
"$BIOFED" --dir "$T/a" roster add "$T/a/identity.json" >/dev/null
cp "$DATA/biobanks.csv" "$T/biobanks.csv"
status 0 "" "publish biobanks" --dir "$T/a" publish "$T/biobanks.csv"
seq=$(seq_of "$T/a" navarrabiomed)

# --- publish and samples import: the input's format ------------------------
cp "$DATA/collections.csv" "$T/collections.txt"
usage publish "--format is for output; say what the file holds with --input-format csv" \
	"publish --format csv is refused" publish --table collection --format csv "$T/collections.txt"
usage publish "--input-format csv[|]json" "publish --format table is refused too" \
	publish --table collection --format table "$T/collections.txt"
usage "samples import" "--input-format json" "samples import --format json is refused" \
	samples import --format json "$T/collections.txt"
[ "$(seq_of "$T/a" navarrabiomed)" = "$seq" ] && ok "a refused --format published nothing" ||
	fail "a refused --format published something"
status 0 "" "publish --input-format csv reads a .txt file" --dir "$T/a" \
	publish --table collection --input-format csv "$T/collections.txt"
grep -q "2 new" "$T/out" && ok "and publishes its rows" || fail "publish --input-format csv" "$(cat "$T/out")"
usage publish '--input-format: csv or json, not "xml"' "publish --input-format xml" \
	publish --input-format xml "$T/collections.txt"

# --- other usage errors of publish ------------------------------------------
usage publish 'FILE is missing' "publish without a file" publish
usage publish 'unexpected argument "b.csv"' "publish with two files" publish a.csv b.csv
usage publish '--table: no table "colection"' "publish --table naming no table" publish --table colection "$T/collections.txt"
usage publish "--clear-missing goes with --replace" "--clear-missing without --replace" publish --clear-missing "$T/biobanks.csv"
usage publish "--delimiter: comma, semicolon" "a bad --delimiter" publish --delimiter colon "$T/biobanks.csv"
usage publish '--max-errors: "many" is not a non-negative integer' "a bad --max-errors" publish --max-errors many "$T/biobanks.csv"
usage publish "option --replace takes no value" "--replace=yes" publish --replace=yes "$T/biobanks.csv"
usage publish "option --map needs a value" "--map without a value" publish "$T/biobanks.csv" --map
status 1 "gone/collections.csv" "publishing a file that is not there is a failure" \
	--dir "$T/a" publish "$T/gone/collections.csv"

# --- output formats ----------------------------------------------------------
usage log '--format: "xml" is not table or json' "log --format xml" log --format xml
usage "roster list" '--format: "csv" is not table or json' "roster list --format csv" roster list --format csv
usage fetch "--format goes with --status" "fetch --format without --status" fetch --format json
usage fetch '--format: "csv" is not table or json' "fetch --status --format csv" fetch --status --format csv
usage sql '--format: "xml" is not table, json or csv' "sql --format xml" sql --format xml "SELECT 1"
usage search '--format: "xml" is not table, json or csv' "search --format xml" search --format xml breast
usage query '--count-by: institution, country' "query --count-by colour" query collections --count-by colour
usage query 'KIND is missing' "query without a kind" query
usage "roster add" '--key-from: "-1" is not a non-negative integer' "roster add --key-from -1" roster add x.json --key-from -1
usage "changes export" "-o FILE is required" "changes export without -o" changes export
usage "changes import" "FILE is missing" "changes import without a file" changes import
usage verify 'unexpected argument "now"' "verify now" verify now

# --- failures and successes ---------------------------------------------
status 1 "changes import: " "changes import of a file that is not there" --dir "$T/a" changes import "$T/nothere.bfx"
status 0 "" "log --dir after the command" log --dir "$T/a" --format json
grep -q '"origin": "navarrabiomed"' "$T/out" && ok "reads the node --dir names" || fail "log --dir" "$(cat "$T/out")"
status 1 "" "a command on a directory without a node is a failure" --dir "$T/nonode" verify
