#!/bin/sh
# An outbound-only node (listen = none, as a hospital that allows no
# inbound connection runs it), black-box: O dials two listening nodes, A
# and B, which never connect to each other.  Everything flows over the
# connections O makes: O's rows reach A and B (push), theirs reach O
# (pull, answered at once by the listener's long-poll), and A's reach B
# and B's reach A through O (relay).  All three end with one digest.
# Real daemons on 127.0.0.1, free ports; every process stopped by its pid.
. "$(dirname "$0")/lib.sh"
BIOFEDD="$ROOT/$BUILD/biofedd"
FED="$ROOT/deploy/federation.sh"
REFBIO="$ROOT/tests/data/refbio"
export BUILD

cleanup() {
	for f in "$T"/fed/*/biofedd.pid; do
		[ -f "$f" ] || continue
		pid=$(cat "$f")
		kill -TERM "$pid" 2>/dev/null
		k=0
		while kill -0 "$pid" 2>/dev/null && [ $k -lt 200 ]; do sleep 0.05; k=$((k + 1)); done
		kill -KILL "$pid" 2>/dev/null
	done
	[ -n "$BB_KEEP" ] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

partner() { awk -F, -v s="$1" '$1 == s' "$REFBIO/partners.csv"; }
# init SLUG ENDPOINT [COORDINATOR_KEY]: a node in $T/fed/SLUG, debug logs
init() {
	IFS=, read -r slug name country region <<EOF
$(partner "$1")
EOF
	if [ -z "${3:-}" ]; then
		bf "fed/$1" init --slug "$1" --name "$name" --country "$country" \
			--region "$region" --endpoint "$2" --coordinator >/dev/null
	else
		bf "fed/$1" init --slug "$1" --name "$name" --country "$country" \
			--region "$region" --endpoint "$2" --coordinator-key "$3" >/dev/null
	fi || return 1
	sed -i 's/^level = .*/level = debug/' "$T/fed/$1/biofed.conf"
	echo "$1" >> "$T/fed/nodes"
}
start() { # start SLUG: biofedd in the background, pid and log in its directory
	"$BIOFEDD" -d "$T/fed/$1" </dev/null >>"$T/fed/$1/biofedd.log" 2>&1 &
	echo $! > "$T/fed/$1/biofedd.pid"
}
stop() { # stop SLUG: SIGTERM, wait
	pid=$(cat "$T/fed/$1/biofedd.pid")
	kill -TERM "$pid" 2>/dev/null
	k=0
	while kill -0 "$pid" 2>/dev/null && [ $k -lt 300 ]; do sleep 0.05; k=$((k + 1)); done
	wait "$pid" 2>/dev/null
	rm -f "$T/fed/$1/biofedd.pid"
}
logged() { grep -Eq -- "$2" "$T/fed/$1/biofedd.log"; }
# wait_log SLUG PATTERN MS: until the node has logged a line matching
wait_log() {
	t0=$(now_ms)
	until logged "$1" "$2"; do
		[ $(($(now_ms) - t0)) -gt "$3" ] && return 1
		sleep 0.05
	done
}
pub() { # pub SLUG: the partner publishes its example data
	for t in research_groups persons biobanks collections services; do
		[ -f "$REFBIO/$1/$t.csv" ] || continue
		bf "fed/$1" publish "$REFBIO/$1/$t.csv" >/dev/null || return 1
	done
}
# converge MS "description": all three replicas at one digest within MS
converge() {
	t0=$(now_ms)
	if out=$("$FED" wait-converged "$T/fed" $(($1 / 1000)) 2>&1); then
		ok "$2 ($(($(now_ms) - t0)) ms)"
	else
		fail "$2" "$out"
	fi
}

A=navarrabiomed B=biocruces O=biodonostia
mkdir -p "$T/fed"
PA=$(free_port) PB=$(free_port)
init $A "tls+tcp://127.0.0.1:$PA" && CK=$(bf "fed/$A" roster key) &&
	init $B "tls+tcp://127.0.0.1:$PB" "$CK" && init $O none "$CK" ||
	{ fail "three nodes are set up"; exit 1; }
grep -q '^listen = none$' "$T/fed/$O/biofed.conf" && grep -q '^endpoint = $' "$T/fed/$O/biofed.conf" &&
	grep -q '"endpoint": ""' "$T/fed/$O/identity.json" &&
	ok "biofed init --endpoint none: listen = none, no endpoint in the configuration or the identity" ||
	fail "biofed init --endpoint none" "$(grep -E '^(endpoint|listen)' "$T/fed/$O/biofed.conf")"
for s in $A $B $O; do bf "fed/$A" roster add "$T/fed/$s/identity.json" >/dev/null || fail "$s admitted"; done
grep_out "the roster shows that O dials out" "^$O +ES +[0-9a-f]+ +\(dials out\)" bf "fed/$A" roster list
# O dials both; A and B dial nobody.  B holds the roster from the start
# (nobody dials B before it listens); O gets it from A over the network.
printf 'peer = tls+tcp://127.0.0.1:%s\npeer = tls+tcp://127.0.0.1:%s\n' "$PA" "$PB" > "$T/peers"
sed -i "/^coordinator_key = /r $T/peers" "$T/fed/$O/biofed.conf"
bf "fed/$A" changes export --origin coordinator -o "$T/roster.bfx" 2>/dev/null &&
	bf "fed/$B" changes import "$T/roster.bfx" >/dev/null || fail "B imports the roster"

grep_out "biofedd -n on O: listen = none with peers to dial is fine" \
	"ok +node.listen = none: accepts no connections, syncs over the 2 peer\(s\) it dials" \
	"$BIOFEDD" -n -d "$T/fed/$O"

for s in $A $B $O; do start $s; done
for s in $A $B; do
	wait_log $s 'info listening url=' 20000 || fail "$s listens" "$(cat "$T/fed/$s/biofedd.log")"
done
if wait_log $O "peer-up peer=$A " 30000 && wait_log $O "peer-up peer=$B " 30000; then
	ok "O's connections to A and B are up"
else
	fail "O's connections to A and B are up" "$(cat "$T/fed/$O/biofedd.log")"
fi
converge 30000 "O gets the roster from A over the connection it dialed"
grep_out "O logs that it is outbound-only" "info outbound-only peers=2" cat "$T/fed/$O/biofedd.log"
if logged $O 'info listening url='; then
	fail "O never listens" "$(grep listening "$T/fed/$O/biofedd.log")"
else
	ok "O never listens"
fi
opid=$(cat "$T/fed/$O/biofedd.pid")
# ss names the owners of this user's sockets: A's listener shows
if ! ss -Hltnp 2>/dev/null | grep -q "pid=$(cat "$T/fed/$A/biofedd.pid"),"; then
	ok "O holds no listening TCP socket # skip: ss does not show socket owners here"
elif ss -Hltnp 2>/dev/null | grep -q "pid=$opid,"; then
	fail "O holds no listening TCP socket" "$(ss -Hltnp | grep "pid=$opid,")"
else
	ok "O holds no listening TCP socket (A's listener shows in ss, none of O's)"
fi
grep_out "biofed status on O says outbound-only" \
	"^node $O \(pid $opid, .*\), listener off \(listen = none: outbound-only, dials its peers and accepts no connections\)" \
	bf "fed/$O" status
grep_out "biofed status on A shows O's connection, accepted" "^$O +[^ ]+ +authenticated" bf "fed/$A" status

# --- O's publishes reach both (push) ---------------------------------------------
pub $O || fail "O publishes"
converge 30000 "O's rows reach A and B over O's connections"
grep_out "  ... A applied them from O's push" "changeset-applied origin=$O .*from=$O" cat "$T/fed/$A/biofedd.log"
grep_out "  ... B too" "changeset-applied origin=$O .*from=$O" cat "$T/fed/$B/biofedd.log"

# --- theirs reach O (pull), and each other through O (relay) ----------------------
pub $A || fail "A publishes"
t0=$(now_ms)
converge 30000 "A's rows reach O and, through O, B"
# a pull parked at A is answered as soon as A commits; the long-poll would
# otherwise come back only after 20 s
el=$(($(now_ms) - t0))
[ $el -lt 10000 ] && ok "  ... at once (a woken long-poll, not its 20 s timeout)" ||
	fail "  ... at once (took $el ms)"
grep_out "  ... B applied A's change sets from O" "changeset-applied origin=$A .*from=$O" \
	cat "$T/fed/$B/biofedd.log"
pub $B || fail "B publishes"
converge 30000 "B's rows reach O and, through O, A"
grep_out "  ... A applied B's change sets from O" "changeset-applied origin=$B .*from=$O" \
	cat "$T/fed/$A/biofedd.log"

# --- O reconnects: A restarted catches up from O ------------------------------------
stop $A
mkdir -p "$T/o2"
sed '2s/Biobank/Biobanco/' "$REFBIO/$O/biobanks.csv" > "$T/o2/biobanks.csv"
grep_out "O publishes while A is down" "1 changed" bf "fed/$O" publish "$T/o2/biobanks.csv"
start $A
converge 60000 "A, restarted, catches up from O when O dials it again"

# --- one state everywhere ----------------------------------------------------------
d=""
for s in $A $B $O; do
	v=$(bf "fed/$s" verify 2>&1)
	printf '%s\n' "$v" | grep -q 'problems: 0' || fail "$s verifies" "$v"
	d="$d $(printf '%s\n' "$v" | sed -n 's/^digest: //p')"
done
set -- $d
[ $# -eq 3 ] && [ "$1" = "$2" ] && [ "$2" = "$3" ] &&
	ok "biofed verify: no problem, one digest at all three ($1)" ||
	fail "biofed verify: one digest at all three" "$d"
if grep -l "fork-detected\|changeset-rejected" "$T"/fed/*/biofedd.log >/dev/null 2>&1; then
	fail "nothing was rejected anywhere" "$(grep -h "fork-detected\|changeset-rejected" "$T"/fed/*/biofedd.log | head -3)"
else
	ok "nothing was rejected anywhere"
fi
