#!/bin/sh
# Forks over the wire, black-box: a member's node is restored from a backup
# and, its daemon down, signs a seq that its peer already holds with other
# bytes.  When the daemons meet, the two change sets at one seq show in
# their version vectors (DESIGN.md: "a fork shows in one exchange"): both
# log fork-detected, the peer keeps the restored node's change set as
# evidence, `biofed status` reports the fork, nothing further of that
# origin is applied, and the other origins keep flowing.
. "$(dirname "$0")/lib.sh"
FED="$ROOT/deploy/federation.sh"
export BUILD

cleanup() {
	[ -f "$T/f/nodes" ] && "$FED" stop "$T/f" >/dev/null 2>&1
	[ -n "$BB_KEEP" ] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# fact FILE VALUE: one collection_fact row whose count is VALUE, with the
# biobank and collection it refers to in the same file (publish refuses a
# fact of a collection the institution has not published); a later file
# changes only the fact, so each publish is one change set
fact() {
	mkdir -p "$(dirname "$1")"
	cat > "$1" <<EOF
{"biobank": [{"id": "bb-1", "name": "Fork test biobank", "country": "ES"}],
 "collection": [{"id": "coll-1", "biobank": "bb-1", "name": "Fork test collection"}],
 "collection_fact": [{"id": "fact-1", "collection": "coll-1", "sex": "FEMALE",
   "age_range": "40-49", "sample_type": "SERUM", "disease": "C50.9",
   "number_of_samples": $2, "number_of_donors": 10, "availability": "available"}]}
EOF
}
# wait_for DESCRIPTION SECONDS COMMAND...: until the command succeeds
wait_for() {
	desc=$1; secs=$2; shift 2
	t0=$(now_ms)
	until "$@" >/dev/null 2>&1; do
		if [ $(($(now_ms) - t0)) -gt $((secs * 1000)) ]; then
			fail "$desc (not within $secs s)"
			return 1
		fi
		sleep 0.1
	done
	ok "$desc ($(($(now_ms) - t0)) ms)"
}
logged() { grep -Eq -- "$2" "$T/f/$1/biofedd.log"; }
has_seq() { [ "$(seq_of "$T/f/$1" "$2")" = "$3" ]; } # has_seq NODE ORIGIN SEQ
evidence() { # evidence NODE ORIGIN SEQ: a fork_evidence row is there
	[ "$(bf "f/$1" sql --format csv "SELECT count(*) FROM fork_evidence WHERE origin = '$2' AND seq = $3" | tail -1)" = 1 ]
}

if ! out=$("$FED" start 2 "$T/f" 2>&1); then
	fail "two nodes start" "$out"
	exit 1
fi
B=$(sed -n 1p "$T/f/nodes") A=$(sed -n 2p "$T/f/nodes")
fact "$T/v1/facts.json" 11
bf "f/$A" publish "$T/v1/facts.json" >/dev/null
wait_for "$B holds $A's first change set" 30 has_seq "$B" "$A" 1

# the backup, taken while A's daemon is down
"$FED" stop-node "$T/f" "$A"
cp -a "$T/f/$A" "$T/backup"
"$FED" start-node "$T/f" "$A" >/dev/null 2>&1
fact "$T/v2/facts.json" 22
bf "f/$A" publish "$T/v2/facts.json" >/dev/null
wait_for "$B holds $A's seq 2" 30 has_seq "$B" "$A" 2

# restore the backup, and sign seq 2 again, with other bytes
"$FED" stop-node "$T/f" "$A"
rm -rf "$T/f/$A" && mv "$T/backup" "$T/f/$A"
fact "$T/v3/facts.json" 33
grep_out "the restored node, its daemon down, signs seq 2 again" "wrote 1 change set" \
	bf "f/$A" publish "$T/v3/facts.json"
h_b=$(bf "f/$B" log --origin "$A" --format json | tr -d ' \n' | grep -o '"seq":2[^}]*' | grep -o '"hash":"[0-9a-f]*"')
h_a=$(bf "f/$A" log --origin "$A" --format json | tr -d ' \n' | grep -o '"seq":2[^}]*' | grep -o '"hash":"[0-9a-f]*"')
[ -n "$h_a" ] && [ -n "$h_b" ] && [ "$h_a" != "$h_b" ] &&
	ok "two change sets of $A at seq 2, with different hashes" ||
	fail "two change sets of $A at seq 2, with different hashes" "$h_a / $h_b"

mark=$(wc -c < "$T/f/$B/biofedd.log")
"$FED" start-node "$T/f" "$A" >/dev/null 2>&1
wait_for "$B detects the fork from the vectors" 20 logged "$B" "fork-detected origin=$A seq=2 peer=$A"
wait_for "$A detects it too" 20 logged "$A" "fork-detected origin=$A seq=2 peer=$B"
wait_for "$B keeps $A's other change set as evidence" 20 evidence "$B" "$A" 2
grep_out "biofed status at $B reports the fork" "^$A .*FORKED at seq 2" bf "f/$B" status
grep_out "biofed status at $A reports it for its own origin" "^$A .*FORKED at seq 2" bf "f/$A" status
tail -c +"$((mark + 1))" "$T/f/$B/biofedd.log" > "$T/b.log"
grep -q "changeset-applied origin=$A seq=2" "$T/b.log" &&
	fail "$B applied nothing of the other branch" "$(cat "$T/b.log")" ||
	ok "$B applied nothing of the other branch"
[ "$(bf "f/$B" sql --format csv "SELECT number_of_samples FROM collection_fact WHERE owner = '$A'" | tail -1)" = 22 ] &&
	ok "$B's data of $A is still its first branch's" ||
	fail "$B's data of $A is still its first branch's"

# the other origins keep flowing, both ways
fact "$T/v4/facts.json" 44
bf "f/$B" publish "$T/v4/facts.json" >/dev/null
want=$(seq_of "$T/f/$B" "$B")
wait_for "$B's new change set still reaches $A" 30 has_seq "$A" "$B" "$want"
kill -0 "$(cat "$T/f/$A/biofedd.pid")" && kill -0 "$(cat "$T/f/$B/biofedd.pid")" &&
	ok "both daemons still run" || fail "both daemons still run"
