#!/bin/sh
# Node core, black-box: a coordinator and two members, change sets carried
# between them as files.  Runs the real biofed binary in a temporary dir.
. "$(dirname "$0")/lib.sh"

# --- init ---------------------------------------------------------------
grep_out "init coordinator node prints the coordinator key" "coordinator key .*: [0-9a-f]{64}" \
	bf a init --slug navarrabiomed --name "Navarrabiomed - Miguel Servet Foundation" \
	--country ES --region Navarra --endpoint tls+tcp://127.0.0.1:7401 --coordinator
CK=$(bf a roster key)
check "init member biocruces" bf b init --slug biocruces --name "Biocruces Bizkaia" \
	--country ES --region "Basque Country" --coordinator-key "$CK"
check "init member chu-toulouse" bf c init --slug chu-toulouse --name "CHU de Toulouse" \
	--country FR --region Occitanie --coordinator-key "$CK"
mode=$(stat -c %a "$T/a/sign.key")
[ "$mode" = 600 ] && ok "sign.key is 0600" || fail "sign.key is 0600 (is $mode)"
mode=$(stat -c %a "$T/a/tls.key")
[ "$mode" = 600 ] && ok "tls.key is 0600" || fail "tls.key is 0600 (is $mode)"
mode=$(stat -c %a "$T/a/coordinator.key")
[ "$mode" = 600 ] && ok "coordinator.key is 0600" || fail "coordinator.key is 0600 (is $mode)"
cp "$T/a/sign.key" "$T/a-sign.before"
grep_out "init refuses to overwrite a node" "already exists" \
	bf a init --slug navarrabiomed --name X --country ES --coordinator
cmp -s "$T/a/sign.key" "$T/a-sign.before" && ok "existing key untouched" || fail "existing key untouched"
grep_out "init rejects a bad slug" "not a valid slug" bf d init --slug "Bad Slug" --name X --country ES --coordinator
grep_out "init rejects a bad country" "country" bf d init --slug d --name X --country Spain --coordinator
grep_out "identity file has the public key and TLS certificate" "BEGIN CERTIFICATE" cat "$T/b/identity.json"
if openssl x509 -in "$T/a/tls.crt" -noout -subject 2>/dev/null | grep -q navarrabiomed; then
	ok "TLS certificate names the node"; else fail "TLS certificate names the node"; fi

# --- roster ------------------------------------------------------------
check "roster add coordinator's own institution" bf a roster add "$T/a/identity.json"
check "roster add biocruces" bf a roster add "$T/b/identity.json"
check "roster add chu-toulouse" bf a roster add "$T/c/identity.json"
grep_out "roster add again is a no-op" "unchanged" bf a roster add "$T/b/identity.json"
grep_out "roster list shows three members" "chu-toulouse" bf a roster list
grep_out "roster add on a member node is refused" "no coordinator key" bf b roster add "$T/c/identity.json"
bf a changes export -o "$T/roster.bfx" 2>/dev/null
check "member imports the roster" bf b changes import "$T/roster.bfx"
check "second member imports the roster" bf c changes import "$T/roster.bfx"
grep_out "roster replicated to a member" "navarrabiomed" bf b roster list --format json

# --- publish -----------------------------------------------------------
grep_out "publish biobanks (CRLF, trailing commas, quoted lists)" "2 new" bf b publish "$DATA/biobanks.csv"
grep_out "publish collections (ICD-10 urn prefix, ORPHA)" "2 new" bf b publish "$DATA/collections.csv"
grep_out "publish JSON keyed by table, camelCase aliases, unknown field kept" "1 new" bf b publish "$DATA/services.json"
grep_out "unchanged file writes no change set" "nothing changed: no change set" bf b publish "$DATA/collections.csv"
seq_before=$(bf b log --origin biocruces --format json | grep -c '"seq"')
sed 's/Rare disease collection/Rare disease collection (updated)/' "$DATA/collections.csv" > "$T/collections.csv"
grep_out "one changed row" "1 changed" bf b publish "$T/collections.csv"
last_rows=$(bf b log --origin biocruces --format json | tr -d ' \n' | sed 's/.*"rows":\([0-9]*\).*/\1/')
[ "$last_rows" = 1 ] && ok "one changed row gives a one-row change set" || fail "one-row change set (rows=$last_rows)"
mkdir -p "$T/one" && head -2 "$T/collections.csv" > "$T/one/collections.csv"
grep_out "--replace deletes rows not in the file" "1 deleted" bf b publish --replace "$T/one/collections.csv"
d1=$(digest b)
out=$(bf b publish --table collection "$DATA/collections_bad.csv" 2>&1); rc=$?
[ $rc -ne 0 ] && ok "invalid file is refused" || fail "invalid file is refused"
for pat in 'collections_bad.csv:2: .*field materials: unknown material "SERUMM"' \
	'collections_bad.csv:3: .*field diagnosis_available: .*not an ICD-10 or ORPHA code' \
	'collections_bad.csv:3: .*field age_unit: unknown age unit "YEARS"' \
	'collections_bad.csv:3: .*field size: "ten" is not an integer' \
	'collections_bad.csv:3: .*field name: required' \
	'nothing was published'; do
	printf '%s\n' "$out" | grep -Eq -- "$pat" && ok "error names file:line and field: $pat" || fail "error: $pat" "$out"
done
[ "$(digest b)" = "$d1" ] && ok "invalid file changed nothing" || fail "invalid file changed nothing"
grep_out "table inferred from an unknown file name is refused" "give --table" bf b publish "$DATA/../lib.sh"
grep_out "samples cannot be published" "samples import" bf b publish --table sample "$DATA/biobanks.csv"

# --- carry change sets as files, converge ----------------------------
bf b changes export -o "$T/b.bfx" 2>/dev/null
check "coordinator imports biocruces' change sets" bf a changes import "$T/b.bfx"
check "chu-toulouse imports biocruces' change sets" bf c changes import "$T/b.bfx"
grep_out "re-import is idempotent" "0 applied.*already present, 0 rejected" bf c changes import "$T/b.bfx"
da=$(digest a); db=$(digest b); dc=$(digest c)
[ -n "$da" ] && [ "$da" = "$db" ] && [ "$db" = "$dc" ] && ok "three replicas print the same digest" \
	|| fail "same digest" "a=$da b=$db c=$dc"
bf c changes vector > "$T/c.vv"
grep_out "export --since a vector holds only what is missing" "exported 0 change sets" \
	bf b changes export --since "$T/c.vv" -o "$T/none.bfx"
grep_out "unknown fields are kept and visible" "future_field" \
	sqlite3 "$T/c/replica.db" "select extra from service"
grep_out "verify re-checks signatures and chains" "problems: 0" bf c verify

# --- hostile change sets: each refused, nothing applied ----------------
dc=$(digest c)
for kind in badsig wrongkey unknown-origin wrong-owner local-table gap wrong-prev truncated oversize garbage badtype; do
	"$TOOLS/craft" "$T/b" $kind "$T/$kind.bfx" || { fail "craft $kind"; continue; }
	out=$(bf c changes import "$T/$kind.bfx" 2>&1); rc=$?
	if [ $rc -ne 0 ] && printf '%s\n' "$out" | grep -Eq 'rejected|changes import:'; then
		ok "$kind change set refused: $(printf '%s\n' "$out" | grep -E 'rejected|import:' | head -1 | cut -c1-150)"
	else fail "$kind change set refused" "$out"; fi
done
"$TOOLS/craft" "$T/b" replay "$T/replay.bfx"
grep_out "replayed change set is a no-op" "0 applied.*1 already present" bf c changes import "$T/replay.bfx"
[ "$(digest c)" = "$dc" ] && ok "hostile files changed nothing" || fail "hostile files changed nothing"
"$TOOLS/craft" "$T/b" good "$T/good.bfx"
grep_out "a well-formed change set from the same member still applies" "1 applied" bf c changes import "$T/good.bfx"

# --- revocation ------------------------------------------------------------
check "coordinator revokes biocruces" bf a roster revoke biocruces
bf a changes export --origin coordinator -o "$T/revoke.bfx" 2>/dev/null
bf c changes import "$T/revoke.bfx" >/dev/null 2>&1
bf b changes export --origin biocruces -o "$T/b2.bfx" 2>/dev/null
"$TOOLS/craft" "$T/b" good "$T/after-revoke.bfx"
grep_out "change sets of a revoked member are refused" "revoked" bf a changes import "$T/after-revoke.bfx"

# --- usage errors -----------------------------------------------------
out=$("$BIOFED" --dir "$T/a" frobnicate 2>&1); rc=$?
[ $rc -eq 2 ] && ok "unknown command exits 2" || fail "unknown command exits 2 (rc=$rc)"
grep_out "a directory without a node is named" "not a biofed node directory" "$BIOFED" --dir "$T/nothing" log

# --- a node restored from a backup must not fork its own log ----------------
echo 999 > "$T/b/origin-behind"
grep_out "publish refuses while peers hold later change sets of this origin" "would fork the log" \
	bf b publish "$DATA/biobanks.csv"
rm -f "$T/b/origin-behind"
