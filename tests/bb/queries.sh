#!/bin/sh
# Researchers' queries, black-box: three Refbio partners publish and import
# samples, their change sets reach navarrabiomed, and every query runs on
# navarrabiomed's replica, read-only: search, query with each filter (a hit
# and a miss), --count-by across aggregation levels, the three output
# formats, and the SQL console's guard.
. "$(dirname "$0")/lib.sh"
# py without the pyenv shim and site packages starts ten times faster
PY=$(python3 -c 'import sys; print(sys.executable)')
py() { "$PY" -S "$@"; }
REF="$ROOT/tests/data/refbio"

# rows "EXPR" KIND ARGS...: JSON query output through a python expression
# over `r` (the list of rows)
rows() {
	expr=$1; shift
	bf "${NODE:-a}" "$@" --format json | py -c "import json,sys; r=json.load(sys.stdin); print($expr)"
}
# is "description" WANT EXPR ARGS...
is() {
	desc=$1; want=$2; shift 2
	got=$(rows "$@" 2>&1)
	[ "$got" = "$want" ] && ok "$desc" || fail "$desc (want $want)" "$got"
}
IDS='" ".join(sorted(x["id"].split(":")[-1] for x in r))'

partner() { awk -F, -v s="$1" '$1 == s { print $2 "|" $3 "|" $4 }' "$REF/partners.csv"; }
i=0
for s in navarrabiomed biocruces chu-toulouse; do
	IFS='|' read -r name country region <<EOF
$(partner "$s")
EOF
	d=$(printf 'abc' | cut -c$((i + 1))); i=$((i + 1))
	if [ $d = a ]; then
		bf a init --slug $s --name "$name" --country $country --region "$region" --coordinator >/dev/null
		CK=$(bf a roster key)
	else
		bf $d init --slug $s --name "$name" --country $country --region "$region" --coordinator-key "$CK" >/dev/null
	fi
done
for d in a b c; do bf a roster add "$T/$d/identity.json" >/dev/null; done
bf a changes export --origin coordinator -o "$T/roster.bfx" 2>/dev/null
for d in b c; do bf $d changes import "$T/roster.bfx" >/dev/null; done
for d in a:navarrabiomed b:biocruces c:chu-toulouse; do
	nd=${d%%:*}; s=${d#*:}
	for f in research_groups biobanks collections services; do
		bf $nd publish "$REF/$s/$f.csv" >/dev/null 2>&1
	done
	bf $nd samples import "$REF/$s/samples.csv" >/dev/null
done
bf a publish "$DATA/projects.csv" >/dev/null 2>&1
# chu-toulouse also publishes facts by hand for a collection without
# samples: a total (no dimension) and the two detail rows it sums up
cat > "$T/collection_facts.csv" <<'EOF'
id,collection,sex,age_range,sample_type,disease,availability,number_of_samples,number_of_donors
hand-total,example:chu-toulouse:coll-hand,,,,,,1000,900
hand-f,example:chu-toulouse:coll-hand,FEMALE,40-49,SERUM,C50.9,available,30,30
hand-m,example:chu-toulouse:coll-hand,MALE,40-49,SERUM,C50.9,available,40,40
hand-sex-f,example:chu-toulouse:coll-bysex,FEMALE,,,,,11,11
hand-sex-m,example:chu-toulouse:coll-bysex,MALE,,,,,12,12
EOF
bf c publish "$T/collection_facts.csv" >/dev/null
for d in b c; do
	bf $d changes export --origin "$(sed -n 's/^slug = //p' "$T/$d/biofed.conf")" -o "$T/$d.bfx" 2>/dev/null
	bf a changes import "$T/$d.bfx" >/dev/null
done

# --- search ----------------------------------------------------------------
is "search finds groups and collections of every institution" \
	"collection:biocruces collection:navarrabiomed research_group:biocruces research_group:navarrabiomed" \
	'" ".join(sorted(x["table"] + ":" + x["institution"] for x in r if "breast" in x["name"].lower()))' search breast cancer
is "hits come best first" 1 'int(len(r) >= 4 and all(a["score"] >= b["score"] for a, b in zip(r, r[1:])))' search breast cancer
is "each hit carries its institution's name" "Biocruces Bizkaia Health Research Institute" \
	'[x["institution_name"] for x in r if x["institution"] == "biocruces"][0]' search breast
is "a word found nowhere gives nothing" 0 'len(r)' search zzyzzx
is "--table keeps one kind" "collection" '" ".join(sorted(set(x["table"] for x in r)))' search breast --table collections
is "accents do not matter (Olóriz)" "rg-haematology" "$IDS" search oloriz
is "a disease code is a phrase (C50.9)" "coll-breast coll-breast" "$IDS" search C50.9
is "a trailing * is a prefix" 1 'int(any(x["id"].endswith("svc-proteomics") for x in r))' search "proteo*"
is "OR takes either word" 1 'int(any("Frailty" in x["name"] for x in r) and any("Proteomics" in x["name"] for x in r))' search frailty OR proteomics
is "services and biobanks are searched" "biobank service" '" ".join(sorted(set(x["table"] for x in r)))' search biobank
is "projects are searched" "proj-refbio2" "$IDS" search trans-pyrenean

# --- collections -------------------------------------------------------------
is "--disease C50 matches C50.x of both breast collections" "coll-breast coll-breast" "$IDS" query collections --disease C50
is "--disease C50.9 too, with its urn: prefix" "coll-breast coll-breast" "$IDS" query collections --disease urn:miriam:icd:C50.9
is "--disease C50.1 only where recorded" "coll-breast" "$IDS" query collections --disease c50.1
is "--disease D05 matches D05.1 (biocruces), not C50" "biocruces" '" ".join(x["institution"] for x in r)' query collections --disease D05
out=$(bf a query collections --disease C9 2>&1); rc=$?
[ $rc = 2 ] && ok "--disease C9 is refused (exit 2)" || fail "--disease C9 (rc $rc)" "$out"
grep_out "an invalid code says why" '"C9" is not an ICD-10 or ORPHA code' bf a query collections --disease C9
is "--disease ORPHA:399 matches exactly" "coll-rare-neuro" "$IDS" query collections --disease ORPHA:399
is "--disease ORPHA:39 does not" 0 'len(r)' query collections --disease ORPHA:39
is "--disease takes a list" "coll-aml coll-breast coll-breast" "$IDS" query collections --disease C50,D46.9
is "--material SERUM" 6 'len(r)' query collections --material serum
is "--material SERUM --disease C50: biocruces only" "biocruces" '" ".join(x["institution"] for x in r)' query collections --material SERUM --disease C50
grep_out "--material SERUMM is refused" 'unknown material "SERUMM"' bf a query collections --material SERUMM
is "--sex FEMALE" 11 'len(r)' query collections --sex FEMALE
is "--sex MALE: not the breast collections" 9 'len(r)' query collections --sex MALE
is "--age 0-10 (overlap): the covid collection from 0" "coll-covid" "$IDS" query collections --age 0-10
is "--age 96-: collections going beyond 95" "coll-covid coll-frailty" "$IDS" query collections --age 96-
grep_out "--age 60-40 is refused" "not an age range" bf a query collections --age 60-40
is "--country FR" "chu-toulouse" '" ".join(sorted(set(x["institution"] for x in r)))' query collections --country fr
is "--country PT: nothing" 0 'len(r)' query collections --country PT
is "--region Basque" "biocruces" '" ".join(sorted(set(x["institution"] for x in r)))' query collections --region basque
is "--region Andalusia: nothing" 0 'len(r)' query collections --region Andalusia
is "--material FECES: nothing" 0 'len(r)' query collections --material FECES
is "--biobank unknown: nothing" 0 'len(r)' query collections --biobank example:nowhere:bb
is "--institution by slug" 4 'len(r)' query collections --institution chu-toulouse
is "--institution by part of the name" "chu-toulouse" '" ".join(sorted(set(x["institution"] for x in r)))' query collections --institution Toulouse
is "--institution nobody" 0 'len(r)' query collections --institution nowhere
is "--availability: collections with available samples" 11 'len(r)' query collections --availability available
is "--biobank" 4 'len(r)' query collections --biobank example:navarrabiomed:bb-main
is "--collection" "coll-covid" "$IDS" query collections --collection example:navarrabiomed:coll-covid

# --- groups, services, biobanks, projects -----------------------------------
is "groups --area oncology" "rg-aml rg-breast-cancer rg-breast-cancer rg-haem-malignancies" "$IDS" query groups --area oncology
is "groups --area ICT" "rg-neuroimaging" "$IDS" query groups --area ict
is "groups --area astrology" 0 'len(r)' query groups --area astrology
grep_out "a filter that does not apply is refused" "--material does not apply to groups" bf a query groups --material DNA
out=$(bf a query groups --material DNA 2>&1); rc=$?
[ $rc = 2 ] && ok "... with exit status 2" || fail "exit status $rc"
is "services --service-type SEQUENCING" "svc-genomics" "$IDS" query services --service-type sequencing
is "services --service-type CELL_THERAPY_GMP --country FR" "svc-gmp" "$IDS" query services --service-type CELL_THERAPY_GMP --country FR
is "services --service-type METABOLOMICS: none" 0 'len(r)' query services --service-type METABOLOMICS
grep_out "an unknown service type is refused" 'unknown service type "ASTROLOGY"' bf a query services --service-type astrology
is "biobanks --disease C50: biobanks with such a collection" "bb-main bb-main" "$IDS" query biobanks --disease C50
is "biobanks --disease ORPHA:399 --material SERUM" "chu-toulouse" '" ".join(x["institution"] for x in r)' query biobanks --disease ORPHA:399 --material SERUM
is "biobanks --disease G20: biocruces (Parkinson)" "biocruces" '" ".join(x["institution"] for x in r)' query biobanks --disease G20
is "biobanks --disease G20 --material SERUM: none" 0 'len(r)' query biobanks --disease G20 --material SERUM
is "projects --programme Interreg" "proj-refbio2" "$IDS" query projects --programme interreg
is "projects --programme Erasmus: none" 0 'len(r)' query projects --programme Erasmus
is "projects --country FR: none owned there" 0 'len(r)' query projects --country FR
is "projects --institution: a partner named in institutions" "proj-refbio2" "$IDS" query projects --institution chu-toulouse
is "projects --institution biocruces: not a partner" 0 'len(r)' query projects --institution biocruces

# --- facts --------------------------------------------------------------------
is "facts of every institution reached navarrabiomed" "biocruces chu-toulouse navarrabiomed" \
	'" ".join(sorted(set(x["institution"] for x in r)))' query facts
is "facts: available SERUM of C50, women 40-59 (whole decades)" "biocruces chu-toulouse" \
	'" ".join(sorted(set(x["institution"] for x in r)))' query facts --availability available --material SERUM --disease C50 --sex FEMALE --age 40-59
is "facts --age 40-60 takes only decades inside 40..60" "40-49 50-59" \
	'" ".join(sorted(set(x["age_range"] for x in r)))' query facts --institution biocruces --age 40-60
is "facts --age 45-55: no decade lies inside" 0 'len(r)' query facts --age 45-55
is "facts --availability exhausted" "exhausted" '" ".join(sorted(set(x["availability"] for x in r)))' query facts --availability exhausted
is "facts --sex MALE of a women-only collection: none" 0 'len(r)' query facts --sex MALE --collection example:navarrabiomed:coll-breast
is "facts --collection unknown: none" 0 'len(r)' query facts --collection example:nowhere:coll
is "facts --disease ORPHA:399 --country FR" "chu-toulouse" '" ".join(sorted(set(x["institution"] for x in r)))' query facts --disease ORPHA:399 --country FR
is "fact rows carry their institution" 1 'int(all(x["institution"] and x["id"] for x in r))' query facts --limit 5
# counted by institution: chu-toulouse's hand-made total is not added to
# the detail rows it sums up (30 + 40, not 1070), and the per-sex rows of
# another collection are that collection's finest level (11 + 12)
want=$(bf a sql "SELECT sum(number_of_samples) FROM collection_fact WHERE owner = 'chu-toulouse' AND id LIKE 'derived:%'" --format csv | sed -n 2p)
want=$((want + 70 + 23))
is "--count-by institution sums one aggregation level per collection" "$want" \
	'[x["samples"] for x in r if x["institution"] == "chu-toulouse"][0]' query facts --count-by institution
is "--count-by institution with the hand-made detail rows only" "70" \
	'r[0]["samples"]' query facts --count-by institution --collection example:chu-toulouse:coll-hand
is "--count-by institution: the researcher's question" "biocruces chu-toulouse" \
	'" ".join(x["institution"] for x in sorted(r, key=lambda x: x["institution"]))' query facts --count-by institution --availability available --material SERUM --disease C50 --sex FEMALE --age 40-60
is "--count-by country" "ES FR" '" ".join(sorted(x["country"] for x in r))' query facts --count-by country
bf a query facts --count-by institution --format json > "$T/ci.json"
is "--count-by material of facts sums to the same total" 1 'int(sum(x["samples"] for x in r) == sum(x["samples"] for x in json.load(open("'"$T"'/ci.json"))))' \
	query facts --count-by material
is "--count-by institution of collections, most first" "4 4 3" '" ".join(str(x["collections"]) for x in r)' query collections --count-by institution
is "--count-by material of collections counts each collection per material" 6 \
	'[x["collections"] for x in r if x["material"] == "SERUM"][0]' query collections --count-by material
grep_out "--count-by material of groups is refused" "applies to collections, facts and samples" \
	bf a query groups --count-by material
is "samples are this node's only" "navarrabiomed 1500" \
	'" ".join(str(v) for x in r for v in (x["institution"], x["samples"]))' query samples --count-by institution
is "samples --sex MALE of breast cancer: none" 0 'len(r)' query samples --sex MALE --disease C50
is "samples --disease C50 --age 40-49 --sex FEMALE" 1 'int(0 < len(r) < 1500 and all(x["diagnosis"].startswith("C50.") and 40 <= x["age"] <= 49 for x in r))' \
	query samples --disease C50 --age 40-49 --sex FEMALE

# --- output formats ----------------------------------------------------------
bf a query collections --format json > "$T/c.json"
if py -c "import json,sys; json.load(open('$T/c.json'))" 2>/dev/null; then
	ok "JSON output parses"; else fail "JSON output parses"; fi
is "JSON output keeps unknown fields (extra) in the object" "kept" \
	'[x.get("future_field") for x in r if x["id"].endswith("proj-refbio2")][0]' query projects
is "JSON lists are arrays, numbers numbers" "list int" \
	'type(r[0]["materials"]).__name__ + " " + type(r[0]["size"]).__name__' query collections --limit 1
bf a query collections --format csv > "$T/c.csv"
if py - "$T/c.json" "$T/c.csv" <<'EOF'
import csv, json, sys
j = json.load(open(sys.argv[1]))
c = list(csv.DictReader(open(sys.argv[2], newline="")))
assert len(j) == len(c) and len(c) == 11, (len(j), len(c))
def show(v):
    if v is None: return ""
    if isinstance(v, list): return ",".join(v)
    return str(v)
for a, b in zip(j, c):
    for k, v in b.items():
        assert show(a.get(k)) == v, (k, a.get(k), v)
EOF
then ok "CSV round-trips through python's csv module to the JSON values"; else fail "CSV round-trip"; fi
grep_out "CSV quotes cells with commas and quotes" '"[^"]*,[^"]*"' cat "$T/c.csv"
out=$(bf a query groups --format table)
printf '%s\n' "$out" | head -1 | grep -q "^id  *name  *areas  *lead  *institution$" \
	&& printf '%s\n' "$out" | tail -1 | grep -q "^(16 rows)$" \
	&& ok "table format: aligned header, rows, count" || fail "table format" "$out"
is "empty JSON result is []" 0 'len(r)' query groups --area nothing
out=$(bf a query groups --area nothing --format csv)
[ "$out" = "id,name,areas,lead,contact,description,keywords,url,institution,institution_name" ] \
	&& ok "empty CSV result is the header" || fail "empty CSV" "$out"
grep_out "--format xml is refused" "not table, json or csv" bf a query groups --format xml
grep_out "an unknown kind is refused" '"widgets" is not one of' bf a query widgets

# --- read-only: while a writer holds the replica, and with no daemon -----------
py - "$T/a/replica.db" <<'EOF' &
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=5)
db.execute("BEGIN IMMEDIATE")
db.execute("UPDATE research_group SET lead = lead WHERE 0")
time.sleep(1.5)
db.execute("ROLLBACK")
EOF
writer=$!
sleep 0.3
check "queries run while a writer holds the replica" bf a query collections --disease C50 --format csv
check "search runs while a writer holds the replica" bf a search breast --format csv
wait $writer

# --- the SQL console ------------------------------------------------------------
is "sql SELECT works" "1500" 'r[0]["n"]' sql "SELECT count(*) AS n FROM sample"
is "sql NULLs are null in JSON" "None" 'r[0]["x"]' sql "SELECT NULL AS x"
is "sql pragma table_info is allowed" "owner" 'r[0]["name"]' sql "PRAGMA table_info(sample)"
is "sql table-valued functions work" "2" 'len(r)' sql "SELECT value FROM json_each('[1,2]')"
before=$(sha256sum "$T/a/replica.db" | cut -c1-64); d0=$(digest a)
for stmt in "DELETE FROM sample" "INSERT INTO biobank(owner, id, rowhash, name, country) VALUES('x', 'y', x'00', 'n', 'ES')" \
	"UPDATE collection SET size = 0" "DROP TABLE sample" "CREATE TABLE t(a)" "CREATE TEMP TABLE t(a)" \
	"ALTER TABLE sample ADD COLUMN z" "ATTACH '$T/other.db' AS o" "DETACH main" "PRAGMA journal_mode = DELETE" \
	"PRAGMA user_version = 5" "PRAGMA writable_schema = 1" "SELECT load_extension('/lib/x.so')" \
	"VACUUM" "VACUUM INTO '$T/copy.db'" "REINDEX" "ANALYZE" "SAVEPOINT s" "SELECT 1; DELETE FROM sample" \
	"INSERT INTO search_fts(search_fts) VALUES('delete-all')"; do
	out=$(bf a sql "$stmt" 2>&1); rc=$?
	if [ $rc -ne 0 ] && printf '%s\n' "$out" | grep -Eq "refused|one statement|may not be modified"; then
		ok "sql refuses: $stmt"
	else fail "sql refuses: $stmt" "$out"; fi
done
[ ! -e "$T/copy.db" ] && [ ! -e "$T/other.db" ] && ok "no file was written by VACUUM INTO or ATTACH" || fail "files written"
[ "$(sha256sum "$T/a/replica.db" | cut -c1-64)" = "$before" ] && [ "$(digest a)" = "$d0" ] \
	&& [ "$(bf a sql 'SELECT count(*) AS n FROM sample' --format csv | sed -n 2p)" = 1500 ] \
	&& ok "the replica is unchanged" || fail "the replica is unchanged"
grep_out "a runaway query is interrupted" "interrupted after 200 ms" \
	bf a sql "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c" --timeout 200

# --- a replica from before full-text search is upgraded ---------------------------
sqlite3 "$T/b/replica.db" "DROP TABLE search_fts; DROP TABLE search_doc;
  $(sqlite3 "$T/b/replica.db" "SELECT 'DROP TRIGGER \"' || name || '\";' FROM sqlite_master WHERE type = 'trigger'")
  PRAGMA user_version = 1;"
grep_out "a read-only query on an old replica says what to do" "open it once for writing" bf b search breast
bf b samples derive >/dev/null
NODE=b is "opening it for writing indexes its existing rows" 2 'len([x for x in r if x["institution"] == "biocruces"])' search breast
