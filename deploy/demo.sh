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
echo
echo "demo nodes are in $DEMO (remove with: rm -rf $DEMO)"
