#!/bin/sh
# make demo: three Refbio partners as biofed nodes on this machine, with the
# example data of tests/data/refbio.  Until the sync daemon lands, change
# sets travel between the nodes as files (biofed changes export/import),
# exactly as institutions without a network link would move them.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
BIOFED="$ROOT/$BUILD/biofed"
DATA="$ROOT/tests/data/refbio"
DEMO=${DEMO_DIR:-$(mktemp -d /tmp/biofed-demo.XXXXXX)}
NODES="navarrabiomed biocruces chu-toulouse"

say() { printf '\n== %s\n' "$*"; }
bf() { d=$1; shift; "$BIOFED" --dir "$DEMO/$d" "$@"; }
partner() { # slug -> "name|country|region" from partners.csv
	awk -F, -v s="$1" '$1 == s { print $2 "|" $3 "|" $4 }' "$DATA/partners.csv"
}

say "creating three nodes in $DEMO"
port=7401
for s in $NODES; do
	IFS='|' read -r name country region <<EOF2
$(partner "$s")
EOF2
	if [ "$s" = navarrabiomed ]; then
		bf "$s" init --slug "$s" --name "$name" --country "$country" \
			--region "$region" --endpoint "tls+tcp://127.0.0.1:$port" --coordinator
		CK=$(bf "$s" roster key)
	else
		bf "$s" init --slug "$s" --name "$name" --country "$country" \
			--region "$region" --endpoint "tls+tcp://127.0.0.1:$port" \
			--coordinator-key "$CK"
	fi
	port=$((port + 1))
done

say "the coordinator (navarrabiomed) admits the three members"
for s in $NODES; do bf navarrabiomed roster add "$DEMO/$s/identity.json"; done
bf navarrabiomed roster list
bf navarrabiomed changes export --origin coordinator -o "$DEMO/roster.bfx" 2>/dev/null
for s in $NODES; do
	[ "$s" = navarrabiomed ] || bf "$s" changes import "$DEMO/roster.bfx" >/dev/null
done

say "each partner publishes its example data"
for s in $NODES; do
	for t in research_groups persons biobanks collections services; do
		[ -f "$DATA/$s/$t.csv" ] && bf "$s" publish "$DATA/$s/$t.csv" | sed "s|$DATA/||"
	done
done

say "change sets travel between the nodes as files"
for round in 1 2; do
	for from in $NODES; do
		bf "$from" changes export -o "$DEMO/$from.bfx" 2>/dev/null
		for to in $NODES; do
			[ "$from" = "$to" ] && continue
			bf "$to" changes import "$DEMO/$from.bfx" >/dev/null 2>&1 || true
		done
	done
done

say "every node verifies its replica; equal digests mean equal data"
for s in $NODES; do printf '%-15s ' "$s"; bf "$s" verify | tr '\n' ' '; echo; done

say "what chu-toulouse now holds, by institution (from its own replica)"
sqlite3 -header -column "$DEMO/chu-toulouse/replica.db" "
  SELECT owner AS institution,
         (SELECT count(*) FROM biobank b WHERE b.owner = i.owner) AS biobanks,
         (SELECT count(*) FROM collection c WHERE c.owner = i.owner) AS collections,
         (SELECT count(*) FROM service v WHERE v.owner = i.owner) AS services,
         (SELECT count(*) FROM research_group g WHERE g.owner = i.owner) AS groups
  FROM (SELECT DISTINCT id AS owner FROM institution) i ORDER BY owner;"

say "the change-set log at chu-toulouse"
bf chu-toulouse log

say "biobank managers import their samples: the rows stay on their node"
for s in $NODES; do
	[ -f "$DATA/$s/samples.csv" ] && bf "$s" samples import "$DATA/$s/samples.csv" | sed "s|$DATA/||"
done

say "only the facts derived from them travel (counts below 10 shown as 10)"
for from in $NODES; do
	bf "$from" changes export --origin "$from" -o "$DEMO/$from.bfx" 2>/dev/null
	for to in $NODES; do
		[ "$from" = "$to" ] || bf "$to" changes import "$DEMO/$from.bfx" >/dev/null 2>&1 || true
	done
done
ask() { # ask "question" ARGS...: a researcher's query at chu-toulouse
	printf '\n-- %s\n$ biofed' "$1"; shift
	for a in "$@"; do
		case $a in *' '*) printf " '%s'" "$a" ;; *) printf ' %s' "$a" ;; esac
	done
	echo
	bf chu-toulouse "$@" --format table
}
ask "sample rows at chu-toulouse: its own only" \
	sql "SELECT owner AS institution, count(*) AS samples FROM sample GROUP BY owner"
ask "facts at chu-toulouse: every partner's" \
	sql "SELECT owner AS institution, count(*) AS facts FROM collection_fact GROUP BY owner"

say "a researcher at chu-toulouse asks its own replica (read-only, works offline)"
ask "available serum of breast cancer (C50) patients, women aged 40-60, by institution" \
	query facts --availability available --material SERUM --disease C50 \
	--sex FEMALE --age 40-60 --count-by institution
ask "which collections hold such samples?" \
	query collections --disease C50 --material SERUM --availability available
ask "where can I find the research on breast cancer?" search breast cancer --limit 5
ask "which sequencing services are there in the network?" \
	query services --service-type sequencing
ask "samples of every partner, by material (upper bounds: every count below 10 is published as 10)" \
	query facts --count-by material
echo
echo "demo nodes are in $DEMO (remove with: rm -rf $DEMO)"
