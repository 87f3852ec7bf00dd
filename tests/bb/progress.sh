#!/bin/sh
# The progress line, black-box: publish and samples import of a file that
# takes a while show one on a terminal (a pty, tests/tools/pty_run.py),
# redrawn with \r at most four times a second and cleared before the
# summary; nothing when stderr is a file; --quiet turns it off on a
# terminal and --progress on for a file.
. "$(dirname "$0")/lib.sh"
PY=$(python3 -c 'import sys; print(sys.executable)')
PTY="$ROOT/tests/tools/pty_run.py"
# draw from the first row: what shows must not depend on this machine's
# speed (the quarter of a second a quick command waits is tested last)
export BIOFED_PROGRESS_AFTER_MS=0
ROWS=30000
B=bbmri-eric:ID:ES_NAVARRABIOMED

bf a init --slug navarrabiomed --name N --country ES --coordinator >/dev/null &&
	bf a roster add "$T/a/identity.json" >/dev/null &&
	bf a publish "$DATA/biobanks.csv" >/dev/null || { fail "set-up"; exit 1; }
awk -v n=$ROWS -v b=$B 'BEGIN {
	print "id,biobank,name,type,materials,sex,age_low,age_high,age_unit,diagnosis_available,size"
	for (i = 0; i < n; i++)
		printf "%s:collection:c%06d,%s,Collection %d,DISEASE_SPECIFIC,\"DNA,SERUM\",FEMALE,20,80,YEAR,urn:miriam:icd:C50.9,%d\n", b, i, b, i, i
}' >"$T/collections.csv"

# on_tty FILE ARGS...: biofed ARGS on a terminal; what it showed into FILE
on_tty() { out=$1; shift; "$PY" "$PTY" "$BIOFED" --dir "$T/a" "$@" >"$out"; }
has() { grep -q -- "$2" "$1"; }
lines() { tr '\r' '\n' <"$1"; }

start=$(now_ms)
on_tty "$T/tty" publish "$T/collections.csv"
rc=$?
ms=$(($(now_ms) - start))
[ $rc = 0 ] && has "$T/tty" "$ROWS new" && ok "publish on a terminal ($ms ms)" ||
	fail "publish on a terminal (rc $rc)" "$(lines "$T/tty")"
has "$T/tty" "writing change sets: [0-9,]* of 30,000 rows ([0-9]*%), [0-9,]* rows/s" &&
	ok "the terminal shows the change sets written, of the total, and the rate" ||
	fail "progress of writing" "$(lines "$T/tty")"
# one line redrawn in place, then cleared, then the summary on stdout; at
# most four draws a second, and one per step
"$PY" -S - "$T/tty" "$ms" >"$T/verdicts" <<'EOF'
import re, sys
tty = open(sys.argv[1], "rb").read().decode()
secs = int(sys.argv[2]) / 1000
before = tty[:tty.index("records: ")]
draws = re.findall(r"\r([a-z][a-z ]*)(?::|\.\.\.)", before)
limit = 4 * secs + len(set(draws)) + 1
for good, what in [
        (re.search(r"\r +\r[^\r]*$", before),
         "the line is cleared before the summary"),
        ("\n" not in before.strip("\r\n"),
         "the progress is one line, redrawn in place"),
        (0 < len(draws) <= limit,
         "%d draws in %.1f s (at most %d)" % (len(draws), secs, limit))]:
    print("%s|%s" % ("ok" if good else "fail", what))
EOF
while IFS='|' read -r verdict what; do
	if [ "$verdict" = ok ]; then ok "$what"; else fail "$what" "$(lines "$T/tty")"; fi
done <"$T/verdicts"

# changed rows: reading them takes long enough to show (a dry run writes
# nothing, and every change goes to stdout)
mkdir "$T/changed"
sed 's/,Collection /,Coll. /' "$T/collections.csv" >"$T/changed/collections.csv"
bf a publish --dry-run "$T/changed/collections.csv" >/dev/null 2>"$T/err"
[ $? = 0 ] && [ ! -s "$T/err" ] && ok "no progress when stderr is a file" ||
	fail "no progress when stderr is a file" "$(cat "$T/err")"
bf a publish --dry-run --progress "$T/changed/collections.csv" >/dev/null 2>"$T/err"
has "$T/err" "reading rows: [0-9,]* rows, [0-9,]* rows/s" &&
	ok "--progress: the line even into a file, with the rows read" ||
	fail "--progress into a file" "$(cat "$T/err")"
on_tty "$T/quiet" publish --dry-run --quiet "$T/changed/collections.csv"
has "$T/quiet" "$ROWS changed" && ! has "$T/quiet" "rows/s" && ! has "$T/quiet" "reading rows" &&
	ok "--quiet: none on a terminal" || fail "--quiet" "$(lines "$T/quiet")"

# samples import: the same line, then the facts
awk -v n=$ROWS -v b=$B 'BEGIN {
	print "id,collection,material_type,sex,age,status,donor_id"
	for (i = 0; i < n; i++)
		printf "S-%06d,%s:collection:c%06d,DNA,FEMALE,%d,available,D-%d\n", i, b, i % 50, 20 + i % 60, i
}' >"$T/samples.csv"
on_tty "$T/stty" samples import "$T/samples.csv"
rc=$?
[ $rc = 0 ] && has "$T/stty" "$ROWS samples: $ROWS new" &&
	grep -Eq "(reading|writing) rows|writing change sets" "$T/stty" &&
	ok "samples import shows its progress on a terminal" ||
	fail "samples import on a terminal (rc $rc)" "$(lines "$T/stty")"
sed 's/,available,/,reserved,/' "$T/samples.csv" >"$T/samples2.csv"
bf a samples import "$T/samples2.csv" >"$T/out" 2>"$T/err"
[ $? = 0 ] && has "$T/out" "$ROWS changed" && [ ! -s "$T/err" ] &&
	ok "and none with stderr to a file" ||
	fail "samples import, stderr to a file" "$(cat "$T/out" "$T/err")"

# a quick command shows nothing, even on a terminal
mkdir -p "$T/quick"
printf 'id,biobank,name,type\n%s:collection:quick,%s,Quick,DISEASE_SPECIFIC\n' "$B" "$B" >"$T/quick/collections.csv"
BIOFED_PROGRESS_AFTER_MS=60000 on_tty "$T/qtty" publish "$T/quick/collections.csv"
rc=$?
[ $rc = 0 ] && has "$T/qtty" "1 new" && ! has "$T/qtty" "rows/s" && ! has "$T/qtty" "reading rows" &&
	ok "work done before the wait is over draws nothing on a terminal" ||
	fail "quick publish on a terminal (rc $rc)" "$(lines "$T/qtty")"

