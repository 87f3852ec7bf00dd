#!/bin/sh
# The BBMRI-ERIC Directory's exports as they are, black-box: files written
# in the Directory's conventions (its file and column names, its terms),
# every term of every ontology the model gives a published column (read
# from the shipped ontology files and model, not from a list here), the
# Directory's tables, "*", case, BOM, CRLF, ';', TSV, Latin-1, spreadsheets,
# and what must never lose data: a typo'd header, a missing column.
. "$(dirname "$0")/lib.sh"
PY=$(python3 -c 'import sys; print(sys.executable)')
py() { "$PY" -S "$@"; }
DIR="$ROOT/src/directory"
W="$T/files"
mkdir -p "$W"

bf a init --slug navarrabiomed --name "Navarrabiomed" --country ES --coordinator >/dev/null
check "the coordinator admits itself" bf a roster add "$T/a/identity.json"

# --- every term of every ontology, through the model ----------------------
# One file per Directory table biofed publishes.  For each column the
# model types as an ontology, rows that together hold every term of it
# (lists: up to 500 terms a cell; single terms: a row each), beside the
# fields the table requires.
py - "$DIR" "$W" <<'EOF'
import csv, io, os, sys
src, out = sys.argv[1], sys.argv[2]
def terms(onto):
    f = open(os.path.join(src, 'ontologies', onto + '.csv'), encoding='utf-8-sig')
    return [r['name'] for r in csv.DictReader(f) if r['name']]
model = {}
for r in csv.DictReader(open(os.path.join(src, 'molgenis.csv'), encoding='utf-8')):
    t, c, ty = r['tableName'], r['columnName'], r['columnType']
    onto = r['refTable'] if r['refSchema'] == 'DirectoryOntologies' else None
    if c and onto:
        model.setdefault(t, []).append((c, ty.endswith('_array'), onto))
base = {
    'Biobanks': {'name': 'B', 'country': 'ES'},
    'Collections': {'name': 'C', 'biobank': 'bb-1'},
    'CollectionFacts': {'collection': 'col-1'},
    'Services': {'name': 'S', 'serviceTypes': 'sequencing'},
    'Networks': {'name': 'N'},
    'Studies': {'title': 'T'},
    'QualityInfoBiobanks': {'biobank': 'bb-1', 'quality_standard': 'iso-20387-2018', 'assess_level_bio': 'eric'},
    'QualityInfoCollections': {'collection': 'col-1', 'quality_standard': 'iso-20387-2018', 'assess_level_col': 'eric'},
    'QualityInfoServices': {'service': 'svc-1', 'qualityStandard': 'iso-20387-2018', 'assessmentLevel': 'eric'},
    'Persons': {'last_name': 'P', 'country': 'ES'},
    'NationalNodes': {'description': 'D', 'data_refresh': 'manual'},
}
counts = {}
for table, fixed in base.items():
    rows = []
    for col, is_list, onto in model.get(table, []):
        ts = terms(onto)
        counts[onto] = counts.get(onto, 0) + len(ts)
        step = 500 if is_list else 1
        for i in range(0, len(ts), step):
            row = dict(fixed)
            row[col] = ','.join(ts[i:i + step])
            rows.append(row)
    if not rows:
        continue
    cols = ['id'] + sorted({k for r in rows for k in r})
    with open(os.path.join(out, table + '.csv'), 'w', newline='', encoding='utf-8') as f:
        w = csv.writer(f, lineterminator='\r\n')   # as the Directory writes
        w.writerow(cols)
        for n, r in enumerate(rows):
            w.writerow([f'{table.lower()}-{n}'] + [r.get(c, '') for c in cols[1:]])
print(len(counts), 'ontologies,', sum(counts.values()), 'terms', file=sys.stderr)
EOF
[ -s "$W/Collections.csv" ] && ok "terms of every ontology the model names, in the Directory's export files" ||
	fail "the test's files were written"
# every column of the model (headings and refbacks aside) in a header:
# no typo error, no unknown-field warning
py - "$DIR" "$W" <<'EOF'
import csv, os, sys
src, out = sys.argv[1], sys.argv[2]
cols = {}
for r in csv.DictReader(open(os.path.join(src, 'molgenis.csv'), encoding='utf-8')):
    if r['columnName'] and r['columnType'] not in ('heading', 'refback'):
        cols.setdefault(r['tableName'], []).append(r['columnName'])
need = {'Biobanks': {'name': 'B', 'country': 'ES'}, 'Collections': {'name': 'C', 'biobank': 'bb-1'}}
for t, fixed in need.items():
    with open(os.path.join(out, 'all-' + t + '.csv'), 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(cols[t])
        w.writerow([('all-' + t) if c == 'id' else fixed.get(c, '') for c in cols[t]])
EOF
printf 'id,name,country\r\nbb-1,Biobank one,ES\r\n' >"$W/bb.csv"
printf 'id,name,biobank\r\ncol-1,Collection one,bb-1\r\n' >"$W/col.csv"
printf 'id,name,serviceTypes,biobank\r\nsvc-1,Service one,sequencing,bb-1\r\n' >"$W/svc.csv"
check "referenced biobank" bf a publish "$W/bb.csv" --table biobank
check "referenced collection" bf a publish "$W/col.csv" --table collection
check "referenced service" bf a publish "$W/svc.csv" --table service
for t in Biobanks Collections; do
	out=$(bf a publish "$W/all-$t.csv" --table $t 2>&1)
	if [ $? -eq 0 ] && ! printf '%s\n' "$out" | grep -Eq 'warning|did you mean'; then
		ok "every column of the Directory's $t is known (no typo, no warning)"
	else fail "every column of the Directory's $t is known" "$out"; fi
done
for t in Biobanks Collections CollectionFacts Services Networks Studies \
	QualityInfoBiobanks QualityInfoCollections QualityInfoServices Persons \
	NationalNodes; do
	[ -f "$W/$t.csv" ] || continue
	out=$(bf a publish "$W/$t.csv" 2>&1) &&
		ok "$t.csv: every term publishes ($(printf '%s' "$out" | head -1 | sed 's/.*: //'))" ||
		fail "$t.csv: every term publishes" "$(printf '%s\n' "$out" | head -5)"
done
have=$(sqlite3 "$T/a/replica.db" "SELECT count(*) FROM collection_fact WHERE disease LIKE 'ORPHA:%'")
want=$(awk -F, 'NR > 1 && $2 ~ /^ORPHA:/' "$DIR/ontologies/DiseaseTypes.csv" | wc -l)
[ "$have" -eq "$want" ] && ok "every ORPHA code is a fact's disease ($have)" ||
	fail "every ORPHA code is a fact's disease ($have of $want)"
grep_out "a term with a comma in a list cell" '"Greek, Modern \(1453-\)"' \
	sqlite3 "$T/a/replica.db" "SELECT language FROM collection WHERE language LIKE '%Greek%'"
grep_out "ICD-10 codes are stored without the Directory's urn prefix" "^C50\\.9$" \
	sqlite3 "$T/a/replica.db" "SELECT disease FROM collection_fact WHERE disease = 'C50.9'"

# --- terms as people type them ---------------------------------------------
cat >"$W/case.csv" <<'EOF'
id,name,biobank,materials,sex,type,data_categories,diagnosis_available,storage_temperatures
case-1,Lower case,bb-1,"dna,Serum,tissue_frozen",female,prospective_collection,"blood,ANTIBODIES","urn:miriam:icd:c50.9,orpha:558",TEMPERATURELN
case-2,Any,bb-1,*,*,COHORT,BLOOD,*,temperatureRoom
EOF
check "terms in any case, and * (any)" bf a publish "$W/case.csv" --table collection
grep_out "terms are stored in the Directory's spelling" \
	'^\["DNA","SERUM","TISSUE_FROZEN"\]\|\["FEMALE"\]\|\["PROSPECTIVE_COLLECTION"\]\|\["BLOOD","ANTIBODIES"\]\|\["C50.9","ORPHA:558"\]\|\["temperatureLN"\]$' \
	sqlite3 "$T/a/replica.db" "SELECT materials, sex, type, data_categories, diagnosis_available, storage_temperatures FROM collection WHERE id = 'case-1'"

printf 'id,name,biobank,data_categories\nstar,Star,bb-1,*\n' >"$W/star.csv"
grep_out "* is refused where the Directory's ontology has no such term" \
	'unknown data category "\*"' bf a publish "$W/star.csv" --table collection

# --- what the Directory would refuse, refused here, naming file:line -------
cat >"$W/bad.csv" <<'EOF'
id,name,biobank,materials,diagnosis_available,sex
bad-1,Bad,bb-1,SERUMM,C50.9,FEMALE
bad-2,Bad,bb-1,DNA,C99.9,FEMALE
bad-3,Bad,bb-1,DNA,C9O.0,MAL
bad-4,Bad,no-such-biobank,DNA,C50,FEMALE
EOF
d0=$(digest a)
out=$(bf a publish "$W/bad.csv" --table collection 2>&1)
for want in 'bad.csv:2: .*materials: unknown material "SERUMM", did you mean SERUM\?' \
	'bad.csv:3: .*unknown ICD-10 code "C99.9" \(nearest known: ' \
	'bad.csv:4: .*unknown ICD-10 code "C9O.0" \(nearest known: C90.0' \
	'bad.csv:4: .*unknown sex "MAL", did you mean MALE' \
	'bad.csv:5: .*biobank "no-such-biobank" is not one of this institution' \
	'5 errors; nothing was published'; do
	printf '%s\n' "$out" | grep -Eq -- "$want" && ok "refused: $want" || fail "refused: $want" "$out"
done
[ "$(digest a)" = "$d0" ] && ok "a refused file changes nothing" || fail "a refused file changes nothing"

# --- every error, on request ------------------------------------------------
py - "$W/many.csv" <<'EOF'
import sys
with open(sys.argv[1], 'w') as f:
    f.write('id,name,biobank,materials\n')
    for i in range(174):
        f.write(f'm-{i},M,bb-1,NOT_A_MATERIAL\n')
EOF
out=$(bf a publish "$W/many.csv" --table collection 2>&1)
[ "$(printf '%s\n' "$out" | grep -c 'unknown material')" -eq 50 ] &&
	printf '%s\n' "$out" | grep -q '\.\.\. and 124 more errors' &&
	ok "50 errors shown by default, and how many more" || fail "50 errors shown by default" "$(printf '%s\n' "$out" | tail -3)"
bf a publish "$W/many.csv" --table collection --max-errors 0 --errors-to "$T/errors.txt" >"$T/all.txt" 2>&1
[ "$(grep -c 'unknown material' "$T/all.txt")" -eq 174 ] && ok "--max-errors 0 shows all 174" ||
	fail "--max-errors 0 shows all 174" "$(tail -3 "$T/all.txt")"
[ "$(grep -c 'unknown material' "$T/errors.txt")" -eq 174 ] && ok "--errors-to FILE holds all 174" ||
	fail "--errors-to FILE holds all 174"

# --- a typo in a header erases nothing ---------------------------------------
printf 'id,name,biobank,materails\ncase-1,Lower case,bb-1,DNA\n' >"$W/typo.csv"
d0=$(digest a)
grep_out "a header one edit from a field is refused with did you mean" \
	'typo.csv:1: field materails: not a field of collection: did you mean materials\?' \
	bf a publish "$W/typo.csv" --table collection
[ "$(digest a)" = "$d0" ] && ok "the typo'd file changed nothing (verify digests)" || fail "the typo'd file changed nothing"

# --- a column the file does not have stays as it was -------------------------
printf 'id,name,biobank\ncase-1,Renamed,bb-1\n' >"$W/nomat.csv"
grep_out "--dry-run shows each field that changes" '^    name: "Lower case" -> "Renamed"$' \
	bf a publish "$W/nomat.csv" --table collection --dry-run
check "a file without a materials column publishes" bf a publish "$W/nomat.csv" --table collection
grep_out "materials survive a file without the column" '^Renamed\|\["DNA","SERUM","TISSUE_FROZEN"\]$' \
	sqlite3 "$T/a/replica.db" "SELECT name, materials FROM collection WHERE id = 'case-1'"
printf 'id,name,biobank,materials\ncase-1,Renamed,bb-1,\n' >"$W/emptymat.csv"
check "an empty cell does empty the field" bf a publish "$W/emptymat.csv" --table collection
grep_out "... and it is empty" '^Renamed\|$' \
	sqlite3 "$T/a/replica.db" "SELECT name, materials FROM collection WHERE id = 'case-1'"
check_fails "--clear-missing needs --replace" bf a publish "$W/nomat.csv" --table collection --clear-missing

# --- files as people have them -------------------------------------------------
printf '\357\273\277id;name;country\r\nbb-semi;Biobanco Navarra;ES\r\n' >"$W/semi.csv"
grep_out "a ';' file with BOM and CRLF is read, and the reading is said" "separated by ';'" \
	bf a publish "$W/semi.csv" --table biobank
printf 'id\tname\tcountry\nbb-tab\tBiobank tab\tFR\n' >"$W/tab.csv"
grep_out "a TSV file is read" "1 new" bf a publish "$W/tab.csv" --table biobank
printf 'id,name,country\nbb-latin,Biobanco de Espa\361a y Arag\363n,ES\n' >"$W/latin1.csv"
grep_out "a Latin-1 file is converted, and said so" "read as Windows-1252" \
	bf a publish "$W/latin1.csv" --table biobank
grep_out "... into the right UTF-8" '^Biobanco de España y Aragón$' \
	sqlite3 "$T/a/replica.db" "SELECT name FROM biobank WHERE id = 'bb-latin'"
printf 'PK\003\004\024\000\006\000' >"$W/Biobanks.xlsx"
grep_out "a spreadsheet is refused as such" "spreadsheet" bf a publish "$W/Biobanks.xlsx" --table biobank
printf 'id|name|country\nbb-pipe|Pipe|ES\n' >"$W/pipe.csv"
grep_out "--delimiter names a delimiter" "1 new" bf a publish "$W/pipe.csv" --table biobank --delimiter pipe

# --- a mapping file for a LIMS export ----------------------------------------------
cat >"$W/lims.csv" <<'EOF'
Code,Title,Bank,Sample type,Gender,Internal note
UNIT,TEXT,TEXT,TERM,TERM,TEXT
lims-1,Tumour bank,bb-1,"Tumor,Blood",Male,not for export
EOF
cat >"$W/lims.map" <<'EOF'
# our LIMS export -> biofed
[columns]
Code = id
Title = name
Bank = biobank
Sample type = materials
Gender = sex
Internal note = -
[values materials]
Tumor = TISSUE_FROZEN
Blood = WHOLE_BLOOD
[values sex]
Male = MALE
[rows]
skip = 1
EOF
check "a mapping file renames, recodes, leaves out and skips the type row" \
	bf a publish "$W/lims.csv" --table collection --map "$W/lims.map"
grep_out "... and the row is as mapped" '^Tumour bank\|\["TISSUE_FROZEN","WHOLE_BLOOD"\]\|\["MALE"\]\|$' \
	sqlite3 "$T/a/replica.db" "SELECT name, materials, sex, extra FROM collection WHERE id = 'lims-1'"
printf '[columns]\nCode id\n' >"$W/broken.map"
grep_out "a broken mapping file names file:line" 'broken.map:2: expected NAME = VALUE' \
	bf a publish "$W/lims.csv" --table collection --map "$W/broken.map"

cat >"$W/samples-lims.csv" <<'EOF'
Sample;Coll;Type;Gender;Age
s-1;lims-1;Tumor;Male;61
s-2;lims-1;Blood;Female;44
EOF
cat >"$W/samples.map" <<'EOF'
[columns]
Sample = id
Coll = collection
Type = material_type
Gender = sex
Age = age
[values material_type]
Tumor = TISSUE_FROZEN
Blood = WHOLE_BLOOD
[values sex]
Male = MALE
Female = FEMALE
EOF
check "samples import takes the same mapping file (and a ';' file)" \
	bf a samples import "$W/samples-lims.csv" --map "$W/samples.map" --no-facts
grep_out "... and the samples are as mapped" '^s-1\|TISSUE_FROZEN\|MALE$' \
	sqlite3 "$T/a/replica.db" "SELECT id, material_type, sex FROM sample ORDER BY id LIMIT 1"

# --- the Directory's types for columns biofed does not list -----------------------
printf 'id,name,biobank,EJP_RD_personalData,issued,catalog\nty-1,Typed,bb-1,yes,2024-01-01T10:00:00,"c1,c2"\n' >"$W/typed.csv"
check "columns only the model knows" bf a publish "$W/typed.csv" --table collection
grep_out "... keep the model's types (a list stays a list)" '"catalog":\["c1","c2"\]' \
	sqlite3 "$T/a/replica.db" "SELECT extra FROM collection WHERE id = 'ty-1'"
printf 'id,name,country,withdrawn\nbb-w,Withdrawn,ES,TRUE\n' >"$W/wd.csv"
check "withdrawn is a boolean" bf a publish "$W/wd.csv" --table biobank
grep_out "... stored as one" '^1$' sqlite3 "$T/a/replica.db" "SELECT withdrawn FROM biobank WHERE id = 'bb-w'"
printf 'id,name,country,withdrawn\nbb-w2,Withdrawn,ES,perhaps\n' >"$W/wd2.csv"
grep_out "... and refused when it is not" 'withdrawn: "perhaps" is not true or false' \
	bf a publish "$W/wd2.csv" --table biobank

# --- --replace never leaves a reference dangling --------------------------------
printf 'id,name,country\nbb-1,Biobank one,ES\n' >"$W/only-bb1.csv"
printf 'id,name,biobank\nref-1,Ref,bb-tab\n' >"$W/ref.csv"
check "a collection of the TSV biobank" bf a publish "$W/ref.csv" --table collection
d0=$(digest a)
out=$(bf a publish "$W/only-bb1.csv" --table biobank --replace 2>&1)
printf '%s\n' "$out" | grep -q 'would delete biobank "bb-tab", which collection "ref-1" names in its field biobank' &&
	[ "$(digest a)" = "$d0" ] && ok "--replace refuses to delete a biobank a kept collection names; nothing changes" ||
	fail "--replace refuses to delete a biobank a kept collection names" "$out"
printf 'id,name,country\nbb-1,Biobank one,ES\nbb-tab,Tab,FR\n' >"$W/bb1-tab.csv"
grep_out "... and deletes the others when the named one stays" "0 new, 1 changed, [1-9][0-9]* deleted" \
	bf a publish "$W/bb1-tab.csv" --table biobank --replace

grep_out "verify: every signature, chain and row hash holds" "problems: 0" bf a verify
