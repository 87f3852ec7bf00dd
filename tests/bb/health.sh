#!/bin/sh
# biofed status, black-box: the verdict line and the exit status (0 ok,
# 1 degraded, 2 down, 3 unknown) of real nodes on 127.0.0.1, set up by
# deploy/federation.sh: a healthy ring of three, a killed peer shown down
# since it went away (not "hello" with a stale error), back to ok after it
# returns, a stopped daemon, usage errors, and the lag in change sets and
# in seconds of a node that knows it lacks change sets.  Every daemon is
# stopped by its pid at exit.
. "$(dirname "$0")/lib.sh"
FED="$ROOT/deploy/federation.sh"
HOSTILE="$TOOLS/hostile"
PY=/usr/bin/python3
export BUILD

cleanup() {
	[ -f "$T/f/nodes" ] && "$FED" stop "$T/f" >/dev/null 2>&1
	[ -n "$BB_KEEP" ] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# st NODE ARGS...: biofed status; sets out and rc
st() { d=$1; shift; out=$(bf "f/$d" status "$@" 2>"$T/stderr"); rc=$?; }
# jq_ EXPR: evaluates a Python expression over the JSON in $out (as j)
jq_() { printf '%s' "$out" | "$PY" -c "import json, sys; j = json.load(sys.stdin); print($1)" 2>&1; }
# expect "description" RC PATTERN: the last st's exit status and first line
expect() {
	first=$(printf '%s\n' "$out" | head -1)
	if [ "$rc" -eq "$2" ] && printf '%s\n' "$first" | grep -Eq -- "$3"; then
		ok "$1 (exit $rc: $(printf '%.90s' "$first"))"
	else
		fail "$1 (exit $rc, wanted $2)" "$out"
	fi
}

if out=$("$FED" start 3 "$T/f" 2>&1); then
	ok "three nodes start (a ring: each dials the next)"
else
	fail "three nodes start" "$out"
	exit 1
fi
A=$(sed -n 1p "$T/f/nodes") B=$(sed -n 2p "$T/f/nodes") C=$(sed -n 3p "$T/f/nodes")
for s in $A $B $C; do
	bf "f/$s" publish "$ROOT/tests/data/refbio/$s/biobanks.csv" >/dev/null ||
		fail "$s publishes"
done
"$FED" wait-converged "$T/f" 30 >/dev/null || fail "the three converge"

# --- healthy ----------------------------------------------------------------
for s in $A $B $C; do
	st $s
	expect "$s: a healthy node says ok" 0 '^ok$'
done
st $A --format json
v=$(jq_ 'j["health"]["verdict"], j["health"]["exit"], [p["state"] for p in j["peers"]], j["listener"]')
[ "$v" = "ok 0 ['connected'] listening" ] && ok "json: health ok, exit 0, its peer connected, listening" ||
	fail "json: health ok, exit 0, its peer connected, listening" "$v"
v=$(jq_ 'sorted((o["origin"], o["lag"], o["lag_s"]) for o in j["origins"])')
printf '%s\n' "$v" | grep -q "('$A', 0, 0.0)" && ! printf '%s\n' "$v" | grep -Eq ", [1-9][0-9]*, " &&
	ok "json: no lag anywhere, in change sets or in seconds" || fail "json: no lag" "$v"
v=$(jq_ '[i["member"] + "@" + i["address"] for i in j["inbound"] if i["authenticated"]]')
printf '%s\n' "$v" | grep -Eq "'$C@127\.0\.0\.1:[0-9]+'" && ok "json: the inbound peer with its address ($v)" ||
	fail "json: the inbound peer with its address" "$v"

# --- a killed peer ------------------------------------------------------------
# A dials B: B killed (SIGKILL: no goodbye), A must say degraded, B down
# since it went away, without a stale "hello"
t_kill=$(date +%s)
"$FED" stop-node "$T/f" $B KILL
down_now() { st $A --format json; [ "$(jq_ 'j["peers"][0]["state"]')" = down ]; }
until_ok 15 down_now || fail "A sees B down within 15 s" "$out"
v=$(jq_ 'j["health"]["exit"], j["peers"][0]["state"], j["peers"][0]["state_since"], j["peers"][0]["phase"], j["peers"][0]["last_error"]')
set -- $v
if [ "$1" = 1 ] && [ "$2" = down ] && [ "$3" -ge $((t_kill - 1)) ] && [ "$3" -le $((t_kill + 3)) ]; then
	ok "json: A degraded, B down since it went away ($3, killed at $t_kill; phase $4, error: ${5:-none})"
else
	fail "json: A degraded, B down since it went away (killed at $t_kill)" "$v"
fi
st $A
expect "A: degraded, naming the peer that is down" 1 "^degraded: peer $B \\(tls\\+tcp://127\\.0\\.0\\.1:[0-9]+\\) down for [0-9]+ s"
printf '%s\n' "$out" | grep -E "^tls\+tcp://[^ ]+ +$B +down +[0-9]+s +[0-9:]{8} " >/dev/null &&
	ok "table: B's line says down, for how long and since when" || fail "table: B's line says down" "$out"
printf '%s\n' "$out" | grep -E " $B +hello " >/dev/null &&
	fail "table: no peer in a stale hello state" "$out" || ok "table: no peer in a stale hello state"
# the errors of a peer that cannot be reached say so, with their time
sleep 11
st $A --format json
v=$(jq_ 'j["peers"][0]["state"], j["peers"][0]["last_error"]')
case $v in
"down no connection"*|"down Connection"*) ok "after a hello timed out: still down, the error says why ($v)" ;;
*) fail "after a hello timed out: still down, the error says why" "$v" ;;
esac
st $C
expect "C (dialed by B, dials A): still ok" 0 '^ok$'

# --- the peer comes back -----------------------------------------------------------
"$FED" start-node "$T/f" $B >/dev/null 2>&1 || fail "B restarts"
back() { st $A; [ "$rc" -eq 0 ]; }
if until_ok 20 back; then
	expect "A: ok again once B is back" 0 '^ok$'
else
	fail "A: ok again once B is back" "$out"
fi
st $A --format json
v=$(jq_ 'j["peers"][0]["state"], j["peers"][0]["last_error_stale"], j["peers"][0]["state_s"] < 30')
[ "$v" = "connected True True" ] && ok "json: B connected; its last error marked stale (before the reconnect)" ||
	fail "json: B connected, error stale" "$v"
st $A
printf '%s\n' "$out" | grep -E "^tls\+tcp://[^ ]+ +$B +connected .* -$" >/dev/null &&
	ok "table: a stale error is not shown as the peer's last error" || fail "table: stale error hidden" "$out"

# --- lag: a node that learns it lacks change sets ------------------------------------
# A member (the tool, with A's keys) tells B it holds 5 more of A's change
# sets than anyone has: B knows it lacks them, for as long as it does
url=$(sed -n 's|^endpoint = ||p' "$T/f/$B/biofed.conf")
hout=$("$HOSTILE" -d "$T/f/$A" -c "$T/f/$B/tls.crt" "$url" claim 5 2>&1)
printf '%s\n' "$hout" | grep -q '^answer: message type 6' && ok "a peer's vector names 5 change sets of $A that B lacks" ||
	fail "a peer's vector names 5 change sets of $A that B lacks" "$hout"
sleep 1.2
st $B --format json
v=$(jq_ '[(o["lag"], o["lag_s"] > 1, o["lacking_since"] is not None) for o in j["origins"] if o["origin"] == "'$A'"], j["catchup"]["behind"], j["health"]["exit"]')
[ "$v" = "[(5, True, True)] 5 0" ] && ok "json: B lags 5 change sets of $A, for over a second; not yet degraded" ||
	fail "json: B lags 5 change sets of $A, for over a second" "$v"
st $B --lag-warn 1
expect "with --lag-warn 1: degraded, naming the origin and the lag" 1 "^degraded: origin $A lags 5 change set\\(s\\), for [0-9]+ s"
printf '%s\n' "$out" | grep -Eq "^$A +[0-9]+ +[0-9]+ +5 +[0-9]+s " && ok "table: the lag and for how long" ||
	fail "table: the lag and for how long" "$out"
[ ! -s "$T/stderr" ] && ok "no progress line when stderr is not a terminal" || fail "no progress line off a terminal" "$(cat "$T/stderr")"
if command -v script >/dev/null 2>&1; then
	p=$(script -qec "'$BIOFED' --dir '$T/f/$B' status >/dev/null" /dev/null 2>&1)
	printf '%s\n' "$p" | grep -q 'catching up: 5 change set(s) behind' &&
		ok "on a terminal: the catch-up progress ($(printf '%s' "$p" | tr -d '\r'))" ||
		fail "on a terminal: the catch-up progress" "$p"
else
	fail "script(1) (util-linux) is needed to give status a terminal"
fi
# A publishes two real change sets: B applies them (a rate), and still
# lacks the other three
for t in collections research_groups; do
	bf "f/$A" publish "$ROOT/tests/data/refbio/$A/$t.csv" >/dev/null || fail "$A publishes $t"
done
moved() { st $B --format json; [ "$(jq_ '[o["lag"] for o in j["origins"] if o["origin"] == "'$A'"][0]')" = 3 ]; }
until_ok 10 moved || fail "B applies A's two new change sets" "$out"
p=$(script -qec "'$BIOFED' --dir '$T/f/$B' status >/dev/null" /dev/null 2>&1)
printf '%s\n' "$p" | grep -Eq 'catching up: 3 change set\(s\) behind \(about [0-9]+ rows\), [0-9.]+ change sets/s, about [0-9]+(s|m[0-9]+s) left' &&
	ok "while it applies: how many behind, about how many rows, the rate, the time left ($(printf '%s' "$p" | tr -d '\r'))" ||
	fail "while it applies: the catch-up progress with rate and time left" "$p"

# --- usage errors and unreadable directories: 3, never 2 ------------------------------
out=$(bf "f/$A" status --bogus 2>&1); rc=$?
[ $rc -eq 3 ] && ok "a usage error exits 3 (unknown), not 2 (down)" || fail "usage error exits 3 (got $rc)" "$out"
out=$(bf "f/$A" status --lag-warn x 2>&1); rc=$?
[ $rc -eq 3 ] && ok "a bad threshold exits 3" || fail "a bad threshold exits 3 (got $rc)" "$out"
out=$("$BIOFED" --dir "$T/nowhere" status 2>&1); rc=$?
expect "a missing node directory: unknown" 3 '^unknown: cannot read the node directory'
out=$(bf "f/$A" status --help 2>&1); rc=$?
[ $rc -eq 0 ] && printf '%s\n' "$out" | grep -q '3 unknown' && ok "--help says what each exit status means" ||
	fail "--help" "$out"

# --- the daemon stopped ---------------------------------------------------------------
"$FED" stop-node "$T/f" $A
st $A
expect "A stopped: down" 2 '^down: biofedd is not running'
st $A --format json
[ "$(jq_ 'j["health"]["verdict"], j["health"]["exit"]')" = "down 2" ] && ok "json: down, exit 2" ||
	fail "json: down, exit 2" "$out"
# its peers: C dials A, so C is degraded, not down (B still dials it)
st $C
expect "C, whose dialed peer stopped: degraded" 1 "^degraded: peer $A "
"$FED" stop "$T/f" >/dev/null 2>&1
