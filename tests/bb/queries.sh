#!/bin/sh
# Researchers' queries, black-box: three partners publish the BBMRI-ERIC
# Directory's files (tests/bb/data/queries, see its README) and import
# samples, their change sets reach navarrabiomed, and every query runs on
# navarrabiomed's replica, read-only: search, query with each filter (a hit
# and a miss), diseases through the ontology, `*`, withdrawn records,
# --count-by across aggregation levels and sources, the three output
# formats, and the SQL console's guard.
. "$(dirname "$0")/lib.sh"
# python without the pyenv shim and site packages starts ten times faster
PY=$(python3 -c 'import sys; print(sys.executable)')
py() { "$PY" -S "$@"; }
Q="$ROOT/tests/bb/data/queries"
partner() { awk -F, -v s="$1" '$1 == s { print $2 "|" $3 "|" $4 }' "$Q/partners.csv"; }
i=0
for s in navarrabiomed biocruces chu-toulouse; do
	IFS='|' read -r name country region <<EOF2
$(partner "$s")
EOF2
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
setup_ok=1
for d in a:navarrabiomed b:biocruces c:chu-toulouse; do
	nd=${d%%:*}; s=${d#*:}
	for f in Networks Biobanks Collections QualityInfoBiobanks QualityInfoCollections Services CollectionFacts research_groups; do
		[ -f "$Q/$s/$f.csv" ] || continue
		out=$(bf $nd publish "$Q/$s/$f.csv" 2>&1) || { setup_ok=0; echo "# $s/$f.csv: $out"; }
	done
	out=$(bf $nd samples import "$Q/$s/samples.csv" 2>&1) || { setup_ok=0; echo "# $s/samples.csv: $out"; }
done
bf a publish "$DATA/projects.csv" >/dev/null 2>&1
for d in b c; do
	bf $d changes export --origin "$(sed -n 's/^slug = //p' "$T/$d/biofed.conf")" -o "$T/$d.bfx" 2>/dev/null
	bf a changes import "$T/$d.bfx" >/dev/null
done
[ $setup_ok = 1 ] && ok "every partner's Directory-style files publish" || fail "every partner's Directory-style files publish"

# rows "EXPR" KIND ARGS...: JSON query output through a python expression
# over `r` (the list of rows)
# (biofed's stderr kept in $T/stderr)
rows() {
	expr=$1; shift
	bf "${NODE:-a}" "$@" --format json 2>"$T/stderr" | py -c "import json,sys; r=json.load(sys.stdin); print($expr)"
}
# is "description" WANT EXPR ARGS...
is() {
	desc=$1; want=$2; shift 2
	got=$(rows "$@" 2>&1)
	[ "$got" = "$want" ] && ok "$desc" || fail "$desc (want $want)" "$got
$(cat "$T/stderr")"
}
# usage "description" PATTERN ARGS...: exit status 2 and a message
usage() {
	desc=$1; pat=$2; shift 2
	out=$(bf a "$@" 2>&1); rc=$?
	if [ $rc = 2 ] && printf '%s\n' "$out" | grep -Eq -- "$pat"; then ok "$desc"
	else fail "$desc (rc $rc)" "$out"; fi
}
IDS='" ".join(sorted(x["id"].split(":")[-1] for x in r))'
INST='" ".join(sorted(set(x["institution"] for x in r)))'
NB=bbmri-eric:ID:ES_NAVARRABIOMED
CT=bbmri-eric:ID:FR_CHUTOULOUSE
REFBIO=bbmri-eric:networkID:ES_REFBIO

# --- search ----------------------------------------------------------------
is "search finds groups and collections of every institution" \
	"collection:biocruces collection:navarrabiomed research_group:biocruces research_group:navarrabiomed" \
	'" ".join(sorted(set(x["table"] + ":" + x["institution"] for x in r if "breast" in x["name"].lower())))' search breast cancer
is "hits come best first" 1 'int(len(r) >= 4 and all(a["score"] >= b["score"] for a, b in zip(r, r[1:])))' search breast cancer
is "each hit carries its institution's name" "Biocruces Bizkaia Health Research Institute" \
	'[x["institution_name"] for x in r if x["institution"] == "biocruces"][0]' search breast
is "a word found nowhere gives nothing" 0 'len(r)' search zzyzzx
is "--table keeps one kind" "collection" '" ".join(sorted(set(x["table"] for x in r)))' search breast --table collections
is "accents do not matter (Olóriz)" "rg-haematology" "$IDS" search oloriz
is "a disease code is a phrase (C50.9)" "breast breast hand" "$IDS" search C50.9
is "a trailing * is a prefix" 1 'int(any(x["id"] == "svc-proteomics" for x in r))' search "proteo*"
is "OR takes either word" 1 'int(any("Frailty" in x["name"] for x in r) and any("Proteomics" in x["name"] for x in r))' search frailty OR proteomics
is "services are searched" "svc-processing" "$IDS" search fractionation
is "biobanks are searched" "ES_BIOCRUCES" "$IDS" search bizkaia --table biobanks
is "projects are searched" "proj-refbio2" "$IDS" search trans-pyrenean --table projects
is "networks are searched" "ES_REFBIO" "$IDS" search pyrenees --table networks
is "a collection's acronym is searched" "breast" "$IDS" search BRCA-NA
is "a collection's keywords are searched" "marfan" "$IDS" search fibrillin
is "a collection's location is searched" "pyrenees-pop" "$IDS" search jaca
is "withdrawn records are not found" 0 'len(r)' search obsolete OR archive OR former
is "... unless --withdrawn" "ES_OLDBANK EU_OLDNET oldtumours svc-old withdrawn-breast" \
	'" ".join(sorted(x["id"].split(":")[-1] for x in r))' search obsolete OR archive OR former --withdrawn
is "--limit counts shown hits, withdrawn ones left out" 2 'len(r)' search breast --table collections --limit 2

# --- collections: diseases -------------------------------------------------------
is "--disease C50: ICD-10 children, the ORPHA code mapped to them, and *" \
	"breast breast hand hereditary pyrenees-pop" "$IDS" query collections --disease C50
is "--disease with the URN and in lower case: C50.9, not its siblings" "breast breast hand pyrenees-pop" "$IDS" query collections --disease urn:miriam:icd:c50.9
is "--disease C50.1: and the ORPHA code mapped to it" "breast hereditary pyrenees-pop" "$IDS" query collections --disease C50.1
is "--disease C00-D48 (a range): neoplasms, in situ ones too" "aml breast breast haematology hand hereditary pyrenees-pop" \
	"$IDS" query collections --disease C00-D48
is "--disease II (the chapter) is the same" "aml breast breast haematology hand hereditary pyrenees-pop" "$IDS" query collections --disease II
is "--disease D05: biocruces's in situ carcinoma" "breast pyrenees-pop" "$IDS" query collections --disease D05
is "--disease ORPHA:558: Marfan syndrome type 1 below it" "marfan pyrenees-pop" "$IDS" query collections --disease ORPHA:558
is "--disease Q87.4: the ORPHA code mapped to it and what is below" "marfan pyrenees-pop" "$IDS" query collections --disease Q87.4
is "--disease ORPHA:227535 does not widen to ICD-10" "hereditary pyrenees-pop" "$IDS" query collections --disease ORPHA:227535
is "--disease takes a list" "aml breast breast haematology hand hereditary pyrenees-pop" "$IDS" query collections --disease C50,C92.0
usage "an unknown code is refused with the nearest known ones" 'unknown ICD-10 code "C99.9" \(nearest known: ' query collections --disease C99.9
usage "a malformed code too" 'C9.*nearest known' query collections --disease C9
is "--disease by name: the terms whose names have the words" "hereditary pyrenees-pop" "$IDS" query collections --disease "breast cancer"
grep_out "... and stderr says which" 'disease "breast cancer": 3 terms: ORPHA:227535 Hereditary breast cancer, ' \
	bf a query collections --disease "breast cancer" --format csv
is "--disease by an ICD-10 name (accents and case aside)" "parkinson pyrenees-pop" "$IDS" query collections --disease "PARKINSON disease"
usage "a name no term has is refused" "no ICD-10 or ORPHA term's name" query collections --disease "astral malady"

# --- collections: other filters --------------------------------------------------
is "--material SERUM (and the * of the population cohort)" "aml breast bysex covid hand mixed pyrenees-pop rare-neuro" "$IDS" query collections --material serum
usage "--material SERUMM is refused" 'unknown material "SERUMM"' query collections --material SERUMM
is "--material FECES: only the * collection" "pyrenees-pop" "$IDS" query collections --material FECES
is "--sex FEMALE: every collection (sex * counts)" 13 'len(r)' query collections --sex FEMALE
is "--sex MALE: not the breast collections" "aml bysex covid haematology hand hereditary marfan mixed parkinson pyrenees-pop rare-neuro" "$IDS" query collections --sex MALE
is "--age 0-10 (overlap)" "covid marfan" "$IDS" query collections --age 0-10
is "--age 96-" "bysex covid" "$IDS" query collections --age 96-
usage "--age 60-40 is refused" "not an age range" query collections --age 60-40
is "--country FR: the record's own (marfan through its biobank)" "aml bysex hand marfan mixed rare-neuro" "$IDS" query collections --country fr
is "--institution-country FR: the institution's" "aml bysex hand mixed rare-neuro" "$IDS" query collections --institution-country FR
is "--country ES: pyrenees-pop says so itself, covid through its biobank" "breast breast covid haematology hereditary parkinson pyrenees-pop" "$IDS" query collections --country ES
usage "--country XX is refused" 'unknown country "XX"' query collections --country XX
is "--country PT: nothing" 0 'len(r)' query collections --country PT
is "--region Basque" "biocruces" "$INST" query collections --region basque
is "--region Andalusia: nothing" 0 'len(r)' query collections --region Andalusia
is "--biobank unknown: nothing" 0 'len(r)' query collections --biobank example:nowhere:bb
is "--institution by slug" 5 'len(r)' query collections --institution chu-toulouse
is "--institution by part of the name" "chu-toulouse" "$INST" query collections --institution Toulouse
is "--institution nobody" 0 'len(r)' query collections --institution nowhere
is "--availability: collections with available samples" "aml breast breast covid haematology hereditary marfan mixed parkinson rare-neuro" "$IDS" query collections --availability available
is "--biobank" "breast covid haematology" "$IDS" query collections --biobank $NB
is "--collection" "covid" "$IDS" query collections --collection $NB:collection:covid
is "--network: its own or its biobank's" "breast breast covid haematology hereditary marfan parkinson pyrenees-pop rare-neuro" "$IDS" query collections --network $REFBIO
is "--network nowhere: nothing" 0 'len(r)' query collections --network bbmri-eric:networkID:NOWHERE
is "--quality: its own or its biobank's" "breast covid haematology" "$IDS" query collections --quality iso-20387-2018
is "--quality iso-15189: biocruces's parkinson collection" "parkinson" "$IDS" query collections --quality ISO-15189
usage "--quality of an unknown standard is refused" 'unknown quality standard "iso-99999"' query collections --quality iso-99999
is "collections show their quality standards" "ISO-20387-2018" '[" ".join(x["quality"]) for x in r if x["id"].endswith(":breast") and x["institution"] == "navarrabiomed"][0]' query collections
is "withdrawn collections (and those of withdrawn biobanks) are hidden" 0 'len([x for x in r if x["id"].endswith(("oldtumours", "withdrawn-breast"))])' query collections
is "... unless --withdrawn" "oldtumours withdrawn-breast" '" ".join(sorted(x["id"].split(":")[-1] for x in r if x["id"].endswith(("oldtumours", "withdrawn-breast"))))' query collections --withdrawn

# --- groups, services, biobanks, networks, projects -------------------------------
is "groups --area oncology" "rg-aml rg-breast-cancer rg-breast-cancer" "$IDS" query groups --area oncology
is "groups --area astrology" 0 'len(r)' query groups --area astrology
usage "a filter that does not apply is refused (exit 2)" "--material does not apply to groups" query groups --material DNA
usage "--country does not apply to groups" "--country does not apply to groups .*--institution-country" query groups --country ES
usage "an unknown option is a usage error naming it" "unknown option --colour" query groups --colour blue
is "services --service-type sequencing" "svc-genomics svc-microbiome" "$IDS" query services --service-type SEQUENCING
is "services --service-type sample-processing --country FR" "svc-processing" "$IDS" query services --service-type sample-processing --country FR
is "services --service-type biomarker-discovery: none" 0 'len(r)' query services --service-type biomarker-discovery
usage "an unknown service type is refused" 'unknown service type "FLOW_CYTOMETRY"' query services --service-type FLOW_CYTOMETRY
is "services of a withdrawn biobank are hidden" "svc-cytometry svc-genomics svc-microbiome svc-processing svc-proteomics" "$IDS" query services
is "biobanks --country FR: their own country" "FR_CHUTOULOUSE FR_PYRENEES" "$IDS" query biobanks --country FR
is "biobanks --institution-country FR" "FR_CHUTOULOUSE" "$IDS" query biobanks --institution-country FR
is "biobanks --disease C50: biobanks with such a collection" "ES_BIOCRUCES ES_NAVARRABIOMED FR_CHUTOULOUSE FR_PYRENEES" "$IDS" query biobanks --disease C50
is "biobanks --disease C50 --material TISSUE_FROZEN" "ES_NAVARRABIOMED FR_PYRENEES" "$IDS" query biobanks --disease C50 --material TISSUE_FROZEN
is "biobanks --disease G20 --material SERUM: the * cohort only" "FR_PYRENEES" "$IDS" query biobanks --disease G20 --material SERUM
is "biobanks --network" "ES_BIOCRUCES ES_NAVARRABIOMED FR_PYRENEES" "$IDS" query biobanks --network $REFBIO
is "biobanks --quality" "FR_CHUTOULOUSE" "$IDS" query biobanks --quality iso-9001
is "biobanks show their quality standards" "iso-9001" '[" ".join(x["quality"]) for x in r][0]' query biobanks --institution chu-toulouse
is "withdrawn biobanks are hidden" "ES_NAVARRABIOMED FR_PYRENEES" "$IDS" query biobanks --institution navarrabiomed
is "networks: withdrawn ones hidden" "ES_REFBIO FR_BIOBANQUES" "$IDS" query networks
is "networks --withdrawn" "ES_REFBIO EU_OLDNET FR_BIOBANQUES" "$IDS" query networks --withdrawn
is "networks --institution-country FR" "FR_BIOBANQUES" "$IDS" query networks --institution-country FR
usage "--disease does not apply to networks" "--disease does not apply to networks" query networks --disease C50
is "projects --programme Interreg" "proj-refbio2" "$IDS" query projects --programme interreg
is "projects --programme Erasmus: none" 0 'len(r)' query projects --programme Erasmus
is "projects --institution-country FR: none owned there" 0 'len(r)' query projects --institution-country FR
is "projects --institution: a partner named in institutions" "proj-refbio2" "$IDS" query projects --institution chu-toulouse
is "projects --institution biocruces: not a partner" 0 'len(r)' query projects --institution biocruces

# --- facts --------------------------------------------------------------------
is "facts of every institution reached navarrabiomed" "biocruces chu-toulouse navarrabiomed" "$INST" query facts
is "facts: available SERUM of C50, women 40-59 (whole decades)" "biocruces" "$INST" \
	query facts --availability available --material SERUM --disease C50 --sex FEMALE --age 40-59
is "facts --age 40-60 takes only decades inside 40..60" "40-49 50-59" \
	'" ".join(sorted(set(x["age_range"] for x in r)))' query facts --institution biocruces --age 40-60
is "facts --age 45-55: no decade lies inside" 0 'len(r)' query facts --age 45-55
is "facts --age 20-50: Adult (25-44 years) lies inside" "Adult" \
	'" ".join(sorted(set(x["age_range"] for x in r)))' query facts --collection $CT:collection:hand --age 20-50
is "facts --age 40-: Aged (65-79 years) and decades" "40-49 50-59 60-69 70-79 80-89 90- Aged (65-79 years)" \
	'" ".join(sorted(set(x["age_range"] for x in r)))' query facts --institution chu-toulouse --age 40-
is "facts --age 30-50: Adult does not" 0 'len(r)' query facts --collection $CT:collection:hand --age 30-50
is "facts --sex FEMALE does not take a * row" "FEMALE" '" ".join(sorted(set(x["sex"] for x in r)))' query facts --collection $CT:collection:hand --sex FEMALE
is "facts --sex MALE of a women-only collection: none" 0 'len(r)' query facts --sex MALE --collection $NB:collection:breast
is "facts --disease ORPHA:399 --country FR" "chu-toulouse" "$INST" query facts --disease ORPHA:399 --country FR
is "facts --country FR: navarrabiomed's marfan collection too" "chu-toulouse navarrabiomed" "$INST" query facts --country FR
is "fact rows carry their institution" 1 'int(all(x["institution"] and x["id"] for x in r))' query facts --limit 5
# chu-toulouse's collections: hand (Directory-style facts with *: the
# detail rows 30 + 40 + 20, not the totals), bysex (11 + 12), mixed
# (derived facts plus the hand-published by-sex rows 200, not the total
# 500), aml and rare-neuro (derived)
derived=$(bf a sql "SELECT sum(number_of_samples) FROM collection_fact WHERE owner = 'chu-toulouse' AND id LIKE 'derived:%'" --format csv | sed -n 2p)
is "--count-by institution sums one level per collection and source" "$((derived + 90 + 23 + 200))" \
	'[x["samples"] for x in r if x["institution"] == "chu-toulouse"][0]' query facts --count-by institution
is "--count-by: Directory-style * facts, the detail rows" 90 'r[0]["samples"]' query facts --count-by institution --collection $CT:collection:hand
mixed=$(bf a sql "SELECT sum(number_of_samples) FROM collection_fact WHERE id LIKE 'derived:%' AND collection = '$CT:collection:mixed'" --format csv | sed -n 2p)
is "--count-by: derived facts do not hide hand-published ones" "$((mixed + 200))" 'r[0]["samples"]' query facts --count-by institution --collection $CT:collection:mixed
is "--count-by with a filter only hand-published rows meet" 1 'int(len(r) == 1 and r[0]["samples"] > 0)' query facts --count-by institution --collection $CT:collection:hand --disease C50.9 --sex MALE
is "--count-by institution: the researcher's question" "biocruces" \
	'" ".join(x["institution"] for x in sorted(r, key=lambda x: x["institution"]))' query facts --count-by institution --availability available --material SERUM --disease C50 --sex FEMALE --age 40-60
is "--count-by country: the records' own" "ES FR" '" ".join(sorted(x["country"] for x in r))' query facts --count-by country
bf a query facts --count-by institution --format json > "$T/ci.json"
for by in material country institution-country; do
	is "--count-by $by of facts sums to the same total" 1 'int(sum(x["samples"] for x in r) == sum(x["samples"] for x in json.load(open("'"$T"'/ci.json"))))' \
		query facts --count-by $by
done
is "--count-by institution of collections, most first" "5 5 3" '" ".join(str(x["collections"]) for x in r)' query collections --count-by institution
is "--count-by material of collections counts each collection per material" 8 \
	'[x["collections"] for x in r if x["material"] == "DNA"][0]' query collections --count-by material
usage "--count-by material of groups is refused" "applies to collections, facts and samples" query groups --count-by material
usage "--count-by country of projects is refused" "does not apply to projects" query projects --count-by country
is "samples are this node's only" "navarrabiomed 400" \
	'" ".join(str(v) for x in r for v in (x["institution"], x["samples"]))' query samples --count-by institution
is "samples --sex MALE of breast cancer: none" 0 'len(r)' query samples --sex MALE --disease C50
is "samples --disease C50 --age 40-49 --sex FEMALE" 1 'int(0 < len(r) < 400 and all(x["diagnosis"].startswith("C50.") and 40 <= x["age"] <= 49 for x in r))' \
	query samples --disease C50 --age 40-49 --sex FEMALE
is "samples --disease ORPHA:558: Marfan type 1" "ORPHA:284963" '" ".join(sorted(set(x["diagnosis"] for x in r)))' query samples --disease ORPHA:558

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
assert len(j) == len(c) and len(c) == 13, (len(j), len(c))
def show(v):
    if v is None: return ""
    if isinstance(v, bool): return "true" if v else "false"
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
	&& printf '%s\n' "$out" | tail -1 | grep -q "^(6 rows)$" \
	&& ok "table format: aligned header, rows, count" || fail "table format" "$out"
is "empty JSON result is []" 0 'len(r)' query groups --area nothing
out=$(bf a query groups --area nothing --format csv)
[ "$out" = "id,name,areas,lead,contact,description,keywords,url,institution,institution_name" ] \
	&& ok "empty CSV result is the header" || fail "empty CSV" "$out"
grep_out "--format xml is refused" "not table, json or csv" bf a query groups --format xml
usage "an unknown kind is refused, naming the kinds" '"widgets" is not a kind of record: collections, ' query widgets

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
is "sql SELECT works" "400" 'r[0]["n"]' sql "SELECT count(*) AS n FROM sample"
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
	&& [ "$(bf a sql 'SELECT count(*) AS n FROM sample' --format csv | sed -n 2p)" = 400 ] \
	&& ok "the replica is unchanged" || fail "the replica is unchanged"
grep_out "a runaway query is interrupted" "interrupted after 200 ms" \
	bf a sql "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c" --timeout 200

# --- a replica from before full-text search is upgraded ---------------------------
sqlite3 "$T/b/replica.db" "DROP TABLE search_fts; DROP TABLE search_doc;
  $(sqlite3 "$T/b/replica.db" "SELECT 'DROP TRIGGER \"' || name || '\";' FROM sqlite_master WHERE type = 'trigger'")
  PRAGMA user_version = 1;"
grep_out "a read-only query on an old replica says what to do" "open it once for writing" bf b search breast
bf b samples derive >/dev/null
NODE=b is "opening it for writing indexes its existing rows" 3 'len([x for x in r if x["institution"] == "biocruces"])' search breast
