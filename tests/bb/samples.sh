#!/bin/sh
# Samples, black-box: a biobank manager imports sample rows (they stay on
# the node), the node derives collection facts from them, suppresses small
# counts and publishes the facts as change sets; errors name file:line and
# leave everything as it was.
. "$(dirname "$0")/lib.sh"
# py without the pyenv shim and site packages starts ten times faster
PY=$(python3 -c 'import sys; print(sys.executable)')
py() { "$PY" -S "$@"; }
REF="$ROOT/tests/data/refbio"

# count SQL: prints the first column of the first row
q1() { d=$1; shift; bf "$d" sql "$1" --format csv | sed -n 2p; }
conf() { # conf DIR KEY VALUE: sets a [samples] option
	sed -i "s/^$2 = .*/$2 = $3/" "$T/$1/biofed.conf"
}

bf a init --slug navarrabiomed --name "Navarrabiomed" --country ES \
	--region Navarra --coordinator >/dev/null
CK=$(bf a roster key)
bf b init --slug biocruces --name "Biocruces Bizkaia" --country ES \
	--region "Basque Country" --coordinator-key "$CK" >/dev/null
bf a roster add "$T/a/identity.json" >/dev/null
bf a roster add "$T/b/identity.json" >/dev/null
bf a changes export --origin coordinator -o "$T/roster.bfx" 2>/dev/null
bf b changes import "$T/roster.bfx" >/dev/null

# --- before anything is published -----------------------------------------
grep_out "samples of a collection not yet published are refused" \
	'samples.csv:2: .*field collection: "example:navarrabiomed:coll-breast" is not a collection of navarrabiomed' \
	bf a samples import "$REF/navarrabiomed/samples.csv"
# a collection names its biobank: publish the biobanks first
for s in a:navarrabiomed b:biocruces; do
	for t in biobanks collections; do
		bf "${s%%:*}" publish "$REF/${s#*:}/$t.csv" >/dev/null ||
			fail "${s#*:} publishes its $t"
	done
done

# --- the Refbio extract ---------------------------------------------------------
grep_out "import 1500 samples, derive and publish facts" \
	"1500 samples: 1500 new.*kept on this node only" \
	bf a samples import "$REF/navarrabiomed/samples.csv"
cnt=$(q1 a "SELECT count(*) FROM sample")
[ "$cnt" = 1500 ] && ok "sample table holds 1500 rows" || fail "sample rows ($cnt)"
grep_out "re-import of the same file changes nothing" \
	"0 new, 0 changed, 0 deleted, 1500 unchanged.*
.*0 new, 0 changed, 0 deleted, [0-9]+ unchanged
nothing changed: no change set written" \
	bf a samples import "$REF/navarrabiomed/samples.csv"
grep_out "deriving again from the replica agrees with the import's facts" \
	"0 new, 0 changed, 0 deleted" bf a samples derive
nf=$(q1 a "SELECT count(*) FROM collection_fact WHERE id LIKE 'derived:%'")
[ "$nf" -gt 0 ] && ok "derived facts have derived: ids ($nf)" || fail "derived facts ($nf)"
cnt=$(q1 a "SELECT count(*) FROM collection_fact WHERE number_of_samples BETWEEN 1 AND 9 OR number_of_donors BETWEEN 1 AND 9")
[ "$cnt" = 0 ] && ok "default suppression: no published count from 1 to 9" || fail "suppression ($cnt small counts)"

# one changed sample: one import change, a small facts change set
sed '2s/,available,/,exhausted,/; 2s/,reserved,/,available,/' \
	"$REF/navarrabiomed/samples.csv" > "$T/samples1.csv"
grep_out "one changed sample is one change" "0 new, 1 changed, 0 deleted" \
	bf a samples import "$T/samples1.csv"
rows=$(bf a log --origin navarrabiomed --format json | py -c \
	'import json,sys; print(json.load(sys.stdin)[-1]["rows"])')
[ "$rows" -ge 1 ] && [ "$rows" -le 2 ] && ok "its facts change set holds only the changed facts ($rows rows)" \
	|| fail "facts change set rows ($rows)"

# a file that holds some of the samples: the rest count too
printf 'id,collection,material_type,sex,age\nX-1,example:navarrabiomed:coll-covid,NASAL_SWAB,MALE,33\n' > "$T/one.csv"
grep_out "a partial file adds to the samples" "1 samples: 1 new.*
facts: .*1 (new|changed)" bf a samples import "$T/one.csv"
grep_out "... and its facts count every sample" "0 new, 0 changed, 0 deleted" bf a samples derive
cnt=$(q1 a "SELECT count(*) FROM sample")
[ "$cnt" = 1501 ] && ok "1501 samples" || fail "samples after a partial file ($cnt)"

# --replace: the file is all of the node's samples
head -101 "$REF/navarrabiomed/samples.csv" > "$T/samples100.csv"
grep_out "--replace deletes samples not in the file" "1401 deleted" \
	bf a samples import --replace "$T/samples100.csv"
cnt=$(q1 a "SELECT count(*) FROM sample")
[ "$cnt" = 100 ] && ok "100 samples left" || fail "samples after replace ($cnt)"
sum=$(q1 a "SELECT count(*) FROM collection_fact WHERE id LIKE 'derived:%'")
[ "$sum" -lt "$nf" ] && ok "facts of the deleted samples are deleted too ($nf -> $sum)" \
	|| fail "facts after replace ($nf -> $sum)"

# --- sample rows never travel ------------------------------------------------
bf a changes export -o "$T/a.bfx" 2>/dev/null
bf b changes import "$T/a.bfx" >/dev/null 2>&1
cnt=$(q1 b "SELECT count(*) FROM sample")
f=$(q1 b "SELECT count(*) FROM collection_fact WHERE owner = 'navarrabiomed'")
[ "$cnt" = 0 ] && [ "$f" = "$sum" ] && ok "a peer receives the facts ($f) and no sample" \
	|| fail "peer holds $cnt samples, $f facts"
if bf a sql "SELECT bytes FROM cs_log WHERE origin = 'navarrabiomed'" --format csv | grep -q "S-"; then
	fail "no change set holds a sample id"
else ok "no change set holds a sample id"; fi

# --- errors: file:line, nothing imported ------------------------------------
cat > "$T/bad.csv" <<'EOF'
id,collection,material_type,diagnosis,sex,age,age_unit,status
T-1,example:navarrabiomed:coll-breast,SERUM,C50.9,FEMALE,45,YEAR,available
T-2,example:navarrabiomed:coll-breast,SERUMM,C50.9,FEMALE,45,YEAR,available
T-3,example:navarrabiomed:coll-breast,SERUM,C50-9,FEMALE,45,YEAR,available
T-4,example:biocruces:coll-breast,SERUM,C50.9,FEMALE,45,YEAR,available
T-5,example:navarrabiomed:coll-nothing,SERUM,C50.9,FEMALE,45,YEAR,available
T-1,example:navarrabiomed:coll-breast,SERUM,C50.9,FEMALE,45,YEAR,available
T-6,example:navarrabiomed:coll-breast,SERUM,C50.9,FEMALE,450,YEAR,sold
EOF
before=$(digest a); n0=$(q1 a "SELECT count(*) FROM sample")
out=$(bf a samples import "$T/bad.csv" 2>&1); rc=$?
[ $rc -eq 1 ] && ok "an invalid samples file is refused (exit 1)" || fail "invalid file refused (rc=$rc)" "$out"
for pat in 'bad.csv:3: .*field material_type: unknown material "SERUMM"' \
	'bad.csv:4: .*field diagnosis: "C50-9" is not an ICD-10 or ORPHA code' \
	'bad.csv:5: .*field collection: "example:biocruces:coll-breast" is not a collection of navarrabiomed' \
	'bad.csv:6: .*field collection: "example:navarrabiomed:coll-nothing" is not a collection' \
	'bad.csv:7: .*\(id T-1\): field id: duplicate id in this file' \
	'bad.csv:8: .*field age: 450 is outside 0..200' \
	'bad.csv:8: .*field status: unknown availability "sold"' \
	'7 errors; nothing was imported'; do
	printf '%s\n' "$out" | grep -Eq -- "$pat" && ok "error names file:line: $pat" || fail "error: $pat" "$out"
done
n1=$(q1 a "SELECT count(*) FROM sample")
[ "$n1" = "$n0" ] && [ "$(digest a)" = "$before" ] && ok "nothing was imported or published" \
	|| fail "nothing imported ($n0 -> $n1)"
grep_out "a JSON file names the record's line" 'bad.json:2: .*field sex: unknown sex "F"' \
	sh -c "printf '[\n {\"id\": \"J-1\", \"collection\": \"example:navarrabiomed:coll-breast\",\n  \"material_type\": \"DNA\", \"sex\": \"F\"}\n]\n' > '$T/bad.json'; '$BIOFED' --dir '$T/a' samples import '$T/bad.json'"
grep_out "samples cannot go through publish" "samples import" bf a publish --table sample "$T/samples100.csv"
# --- exact derivation (suppression off) ------------------------------------------
conf a suppress_below 0
cat > "$T/exact.csv" <<'EOF'
id,collection,material_type,diagnosis,sex,age,age_unit,donor_id,status
E-1,example:navarrabiomed:coll-breast,SERUM,C50.9,FEMALE,45,YEAR,D-1,available
E-2,example:navarrabiomed:coll-breast,SERUM,C50.9,FEMALE,49,YEAR,D-1,available
E-3,example:navarrabiomed:coll-breast,SERUM,C50.9,FEMALE,180,MONTH,D-2,available
E-4,example:navarrabiomed:coll-breast,SERUM,C50.9,FEMALE,41,,,available
E-5,example:navarrabiomed:coll-breast,SERUM,C50.9,FEMALE,42,YEAR,,available
E-6,example:navarrabiomed:coll-breast,SERUM,C50.9,FEMALE,95,YEAR,D-3,reserved
E-7,example:navarrabiomed:coll-breast,DNA,,,7,YEAR,D-4,
EOF
grep_out "exact counts derive 4 facts" "facts: 4 derived" bf a samples import --replace "$T/exact.csv"
got=$(bf a query facts --collection example:navarrabiomed:coll-breast --format csv \
	| py -c 'import csv,sys
for r in csv.DictReader(sys.stdin):
    print(r["sex"] or "-", r["age_range"] or "-", r["sample_type"], r["disease"] or "-", r["availability"] or "-", r["number_of_samples"], r["number_of_donors"])' | sort | tr '\n' ';')
[ "$got" = "- 0-9 DNA - - 1 1;FEMALE 10-19 SERUM C50.9 available 1 1;FEMALE 40-49 SERUM C50.9 available 4 3;FEMALE 90- SERUM C50.9 reserved 1 1;" ] \
	&& ok "samples and distinct donors per group; MONTH ages in years; a sample without donor is its own; 90-; missing values stay empty" \
	|| fail "exact derivation" "$got"

# --- suppression ----------------------------------------------------------------
conf a suppress_below 3
bf a samples derive >/dev/null
got=$(bf a query facts --collection example:navarrabiomed:coll-breast --format csv \
	| py -c 'import csv,sys
print(sorted((r["age_range"], r["number_of_samples"], r["number_of_donors"]) for r in csv.DictReader(sys.stdin)))')
[ "$got" = "[('0-9', '3', '3'), ('10-19', '3', '3'), ('40-49', '4', '3'), ('90-', '3', '3')]" ] \
	&& ok "round: counts 1 and 2 are published as 3, larger ones as they are" || fail "round" "$got"
conf a suppress_mode hide
grep_out "hide: rows with a small count are not published" "facts: 4 derived \(counts below 3: 3 hidden\)" \
	bf a samples derive
cnt=$(q1 a "SELECT count(*) FROM collection_fact WHERE owner = 'navarrabiomed' AND id LIKE 'derived:%'")
[ "$cnt" = 1 ] && ok "hide: one fact left" || fail "hide ($cnt facts)"
conf a suppress_below 10
conf a suppress_mode round
grep_out "default again: every count below 10 becomes 10" "counts below 10: 4 rounded up" bf a samples derive

# --- hand-published facts and derived ones ------------------------------------------
cat > "$T/collection_facts.csv" <<'EOF'
id,collection,sex,number_of_samples,number_of_donors
hand-1,example:navarrabiomed:coll-covid,FEMALE,300,290
EOF
check "a manager publishes a fact by hand" bf a publish "$T/collection_facts.csv"
grep_out "re-deriving leaves hand-published facts alone" "0 deleted" bf a samples derive
grep_out "--replace of hand facts leaves derived facts alone" "0 deleted" \
	bf a publish --replace "$T/collection_facts.csv"
printf 'id,collection,number_of_samples\nderived:abc,example:navarrabiomed:coll-covid,5\n' > "$T/collection_facts.csv"
grep_out "a file cannot publish derived: ids" 'reserved for facts derived from samples' \
	bf a publish "$T/collection_facts.csv"

# --- JSON, dry runs, membership ---------------------------------------------------
py - "$T/exact.csv" "$T/samples.json" <<'EOF'
import csv, json, sys
rows = []
for r in csv.DictReader(open(sys.argv[1])):
    o = {k: v for k, v in r.items() if v != ""}
    if "age" in o: o["age"] = int(o["age"])
    rows.append(o)
json.dump({"samples": rows}, open(sys.argv[2], "w"), indent=1)
EOF
grep_out "the same samples as JSON change nothing" "7 unchanged" bf a samples import "$T/samples.json"
d=$(digest a)
grep_out "--dry-run counts" "0 new, 0 changed, 7 deleted.*
dry run: nothing written" bf a samples import --dry-run --replace "$T/samples100.csv"
[ "$(digest a)" = "$d" ] && [ "$(q1 a 'SELECT count(*) FROM sample')" = 7 ] && ok "--dry-run wrote nothing" || fail "--dry-run wrote"
bf c init --slug cibir --name CIBIR --country ES --coordinator-key "$CK" >/dev/null
bf c changes import "$T/roster.bfx" >/dev/null
grep_out "a node outside the roster is told before importing" "not in this node's copy of the roster" \
	bf c samples import "$T/exact.csv"
grep_out "--no-facts imports without signing anything" "samples import: .*not a collection of cibir|is not a collection" \
	bf c samples import --no-facts "$T/exact.csv"
grep_out "usage errors exit 2 and name what was wrong" 'sub-command "frob".* rc=2$' \
	sh -c "out=\$('$BIOFED' --dir '$T/a' samples frob 2>&1); echo \$out rc=\$?"
