#!/bin/sh
# Example data, black-box: every file of tests/data/refbio holds only what
# the BBMRI-ERIC Directory allows.  publish checks every coded value
# against the Directory's vocabularies (src/directory/ontologies) and every
# reference against what the institution has published, so each partner's
# node publishes its files in the order their references need (a
# collection names its biobank) and imports its samples (which name its
# collections): each step must exit 0, warn about nothing and take every
# record of its file.
. "$(dirname "$0")/lib.sh"
REF="$ROOT/tests/data/refbio"
TABLES="research_groups persons biobanks collections services"

# records FILE: how many records a CSV file holds (not lines: a quoted
# cell may hold a newline)
records() {
	python3 -c 'import csv, sys
print(sum(1 for _ in csv.DictReader(open(sys.argv[1], newline=""))))' "$1"
}
# clean "description" PATTERN command...: exits 0, writes nothing to
# stderr (no warning), and its output matches PATTERN
clean() {
	desc=$1; pat=$2; shift 2
	if "$@" >"$T/out" 2>"$T/err" && [ ! -s "$T/err" ] &&
		grep -Eq -- "$pat" "$T/out"; then
		ok "$desc"
	else
		fail "$desc" "$(cat "$T/out" "$T/err")"
	fi
}

# --- every file is one this script publishes --------------------------------
for f in "$REF"/*/*; do
	slug=$(basename "$(dirname "$f")") t=$(basename "$f" .csv)
	case " $TABLES samples " in
	*" $t "*) ;;
	*) fail "$slug/$(basename "$f") is a table this script publishes" ;;
	esac
	grep -q "^$slug," "$REF/partners.csv" ||
		fail "$slug is a partner of partners.csv"
done

# --- each partner publishes its files ----------------------------------------
while IFS=, read -r slug name country region; do
	[ "$slug" = slug ] && continue # the header
	if ! out=$(bf "$slug" init --slug "$slug" --name "$name" \
		--country "$country" --region "$region" --coordinator 2>&1) ||
		! out=$(bf "$slug" roster add "$T/$slug/identity.json" 2>&1); then
		fail "$slug: a node of its own (init, roster add)" "$out"
		continue
	fi
	for t in $TABLES; do
		f="$REF/$slug/$t.csv"
		[ -f "$f" ] || continue
		k=$(records "$f")
		clean "$slug publishes $t.csv: $k new, no warning" \
			"$t.csv: $k records: $k new, 0 changed" bf "$slug" publish "$f"
	done
	f="$REF/$slug/samples.csv"
	[ -f "$f" ] || continue
	k=$(records "$f")
	clean "$slug imports samples.csv: $k new, facts derived, no warning" \
		"$k samples: $k new.*
facts: [1-9][0-9]* derived" bf "$slug" samples import "$f"
done < "$REF/partners.csv"
