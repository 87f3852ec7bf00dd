#!/bin/sh
# biofedd, black-box: real daemons on 127.0.0.1 (ports chosen free), real
# keys and mutual TLS, set up by deploy/federation.sh.  Convergence, relay,
# catch-up, nine nodes, hostile peers (tests/tools/hostile), SIGTERM in
# the middle of a catch-up.  Every daemon is stopped by its pid at exit,
# whatever happened.
. "$(dirname "$0")/lib.sh"
FED="$ROOT/deploy/federation.sh"
HOSTILE="$TOOLS/hostile"
REFBIO="$ROOT/tests/data/refbio"
export BUILD

cleanup() {
	for f in "$T"/notify-daemon.pid "$T"/notify.pid; do
		[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
	done
	for f in "$T"/*/nodes; do
		[ -f "$f" ] && "$FED" stop "$(dirname "$f")" >/dev/null 2>&1
	done
	[ -n "$BB_KEEP" ] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# pub FED SLUG: the partner publishes its example data
pub() {
	for t in research_groups persons biobanks collections services; do
		[ -f "$REFBIO/$2/$t.csv" ] || continue
		bf "$1/$2" publish "$REFBIO/$2/$t.csv" >/dev/null || return 1
	done
}
# facts FILE FIRST COUNT: collection_fact rows fact-FIRST.. (CSV) of the
# collections A published (publish refuses a fact of an unknown collection)
facts() {
	awk -v first="$2" -v n="$3" -v colls="$(sed 1d "$REFBIO/$A/collections.csv" | cut -d, -f1)" 'BEGIN {
		print "id,collection,sex,age_range,sample_type,disease,number_of_samples,number_of_donors,availability"
		nc = split(colls, cl, "\n")
		split("FEMALE MALE", sx, " "); split("0-17 18-39 40-49 50-59 60-69 70-", ag, " ")
		split("DNA SERUM PLASMA RNA TISSUE_FROZEN WHOLE_BLOOD", mt, " ")
		split("C50.9 C18.7 C34.1 I25.1 G30.9 ORPHA:558 E11.9 C61", ds, " ")
		split("available reserved exhausted", av, " ")
		for (i = first; i < first + n; i++)
			printf "fact-%08d,%s,%s,%s,%s,%s,%d,%d,%s\n", i, cl[i % nc + 1],
				sx[i % 2 + 1], ag[int(i / 2) % 6 + 1], mt[int(i / 12) % 6 + 1],
				ds[int(i / 72) % 8 + 1], 10 + i % 500, 10 + i % 250, av[i % 3 + 1]
	}' > "$1"
}
# converge FED TIMEOUT "description": ok/not ok with the time taken
converge() {
	if out=$("$FED" wait-converged "$T/$1" "$2" 2>&1); then
		ok "$3 ($(printf '%s\n' "$out" | sed -n 's/^converged in \([0-9]*\) ms.*/\1 ms/p'))"
	else
		fail "$3" "$out"
	fi
}
# log_since FED SLUG MARK: what that node logged after byte MARK
log_size() { wc -c < "$T/$1/$2/biofedd.log"; }
log_since() { tail -c +"$(($3 + 1))" "$T/$1/$2/biofedd.log"; }

# --- three nodes converge ---------------------------------------------------
if out=$("$FED" start 3 "$T/f3" 2>&1); then
	ok "three nodes start on free loopback ports, roster everywhere"
else
	fail "three nodes start" "$out$(cat "$T"/f3/*/biofedd.log 2>/dev/null)"
	exit 1
fi
A=biocruces B=biodonostia C=bioef
for s in $A $B $C; do pub f3 $s || fail "$s publishes"; done
converge f3 30 "three nodes converge: one state digest after each published"
grep_out "their replicas verify" "problems: 0" bf "f3/$C" verify
for f in control.sock wake.sock; do
	mode=$(stat -c '%a %F' "$T/f3/$A/$f" 2>&1)
	[ "$mode" = "600 socket" ] && ok "$f is an owner-only socket" ||
		fail "$f is an owner-only socket" "$mode"
done

# --- relay: A - B - C, A and C never meet ----------------------------------
FED_TOPOLOGY=chain "$FED" start 3 "$T/chain" >/dev/null 2>&1 ||
	fail "a chain of three nodes starts"
pa=$(sed -n 's|^endpoint = ||p' "$T/chain/$A/biofed.conf")
pc=$(sed -n 's|^endpoint = ||p' "$T/chain/$C/biofed.conf")
if grep -q "peer = $pc" "$T/chain/$A/biofed.conf" || grep -q "peer = $pa" "$T/chain/$C/biofed.conf" ||
	! grep -q '^peer = ' "$T/chain/$A/biofed.conf"; then
	fail "chain: A dials B, B dials C, A and C are not configured to meet"
fi
pub chain $A
converge chain 30 "relay: A's change sets reach C through B"
grep_out "C got A's change sets from B" "changeset-applied origin=$A .*from=$B" \
	cat "$T/chain/$C/biofedd.log"
pub chain $C
converge chain 30 "relay: and C's reach A"
"$FED" stop "$T/chain" >/dev/null 2>&1

# --- catch-up ----------------------------------------------------------------
"$FED" stop-node "$T/f3" $C
facts "$T/facts10k.csv" 0 10000
mkdir -p "$T/cf" && cp "$T/facts10k.csv" "$T/cf/collection_facts.csv"
grep_out "A publishes 10,000 rows while C is stopped" "10000 new" bf "f3/$A" publish "$T/cf/collection_facts.csv"
bf "f3/$B" publish "$REFBIO/$B/collections.csv" >/dev/null
"$FED" start-node "$T/f3" $C >/dev/null 2>&1 || fail "C restarts"
converge f3 60 "the stopped node catches up 10,000 rows after restart"

if out=$("$FED" add "$T/f3" 2>&1); then
	D=$(tail -1 "$T/f3/nodes")
	converge f3 60 "a node started empty ($D) catches up the whole federation"
	grep_out "  ... including the roster, over the network" "peer-unverified peer=.*no roster yet" \
		cat "$T/f3/$D/biofedd.log"
else
	fail "a fourth node is admitted and started" "$out"
fi

# --- hostile peers -------------------------------------------------------------
# A misbehaving member (hostile, with A's keys) and a stranger talk to B.
url=$(sed -n 's|^endpoint = ||p' "$T/f3/$B/biofed.conf")
dB=$(digest "f3/$B")
mark=$(log_size f3 $B)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$T/stranger.key" -out "$T/stranger.crt" -subj /CN=localhost -days 1 2>/dev/null
# run_hostile ARGS...: the tool as A, against B; sets out.  B may be
# restarting itself in place (nng-stuck, see deploy/README.md): its port
# is closed for that moment; try again for up to 15 s
run_hostile() {
	tries=0
	while :; do
		out=$(timeout 60 "$HOSTILE" -d "$T/f3/$A" -c "$T/f3/$B/tls.crt" "$@" 2>&1)
		printf '%s\n' "$out" | grep -q 'Connection refused' && [ $tries -lt 30 ] || break
		tries=$((tries + 1)); sleep 0.5
	done
}
hostile() { # hostile "description" PATTERN ARGS...: the tool's answer must match
	desc=$1; pat=$2; shift 2
	run_hostile "$@"
	if printf '%s\n' "$out" | grep -Eq -- "$pat"; then
		ok "$desc: $(printf '%s\n' "$out" | grep -E '^(answer|refused)' | tail -1)"
	else fail "$desc" "$out"; fi
}
hostile "a self-signed certificate not in the roster is refused" '^refused: connection failed' \
	--cert "$T/stranger.crt" --key "$T/stranger.key" "$url" hello
hostile "a member completes the hello" '^authenticated as' "$url" hello
hostile "a change set with a bad signature is refused" 'PUSH_OK applied=0 rejected=1' "$url" push badsig
hostile "a change set of another origin is refused" 'PUSH_OK applied=0 rejected=1' "$url" push foreign
hostile "a row of the coordinator's table is refused" 'PUSH_OK applied=0 rejected=1' "$url" push wrong-owner
hostile "a sequence gap is refused" 'PUSH_OK applied=0 rejected=1' "$url" push gap
hostile "a replay applies nothing" 'PUSH_OK applied=0 rejected=0' "$url" push replay
hostile "an oversize change set cuts the connection" 'connection closed by the node' "$url" push oversize
hostile "a 100 MiB message cuts the connection" 'connection closed by the node' "$url" big
hostile "random bytes cut the connection" 'connection closed by the node' "$url" random
hostile "random bytes before any hello cut the connection" 'connection closed by the node' "$url" random-noauth
hostile "a truncated message cuts the connection" 'connection closed by the node' "$url" truncated
# a peer that vanishes while B streams a batch to it: nng 1.5.2 can lose
# that send and stop cleaning up connections; B must notice and restart
# itself in place (nng-stuck), and keep serving either way
vanished=0
for i in 1 2 3 4 5 6 7 8 9 10; do
	run_hostile "$url" vanish
	printf '%s\n' "$out" | grep -q '^answer: connection closed' && vanished=$((vanished + 1))
done
[ $vanished -eq 10 ] && ok "ten peers vanish in the middle of a batch from B" ||
	fail "ten peers vanish in the middle of a batch from B ($vanished did)" "$out"
# the node logs each refusal; refusals below the protocol (TLS, cut
# connections) at its next look at nng's counters: poll, do not guess
t0=$(now_ms)
while :; do
	lg=$(log_since f3 $B "$mark")
	printf '%s\n' "$lg" | grep -q 'peer-refused .*auth=1' &&
		{ printf '%s\n' "$lg" | grep -q 'restarting pid=' ||
			[ "$(printf '%s\n' "$lg" | grep -c 'peer-down inbound=biocruces')" -ge 20 ]; } && break
	[ $(($(now_ms) - t0)) -gt 15000 ] && break
	sleep 0.1
done
for pat in 'peer-refused .*auth=1' \
	'changeset-rejected from=biocruces reason="changeset biocruces/[0-9]*: signature does not verify' \
	'changeset-rejected from=biocruces reason="changeset (biodonostia|bioef|biocruces|chu-toulouse)/[0-9]*: signature does not verify' \
	'changeset-rejected .*wrong owner' 'changeset-rejected .*gap' 'changeset-duplicate origin=biocruces' \
	'peer-dropped inbound=biocruces reason=.*change-set length out of bounds' \
	'peer-dropped inbound=biocruces reason=.*not a biofed message' \
	'peer-dropped inbound=\(unauthenticated\) reason=.*not a biofed message' \
	'peer-dropped inbound=biocruces reason=.*truncated'; do
	printf '%s\n' "$lg" | grep -Eq -- "$pat" && ok "B logged: $pat" || fail "B logged: $pat" "$lg"
done
# connections cut by the transport (the 100 MiB message, the vanished
# peers) end in peer-down lines, unless nng stopped delivering them: then
# B said so and restarted itself
downs=$(printf '%s\n' "$lg" | grep -c 'peer-down inbound=biocruces')
if printf '%s\n' "$lg" | grep -q 'peer-down inbound=biocruces cut="by the transport' && [ "$downs" -ge 20 ]; then
	ok "B logged the end of every hostile connection ($downs peer-down lines)"
elif printf '%s\n' "$lg" | grep -q 'nng-stuck .*restarting biofedd in place' &&
	printf '%s\n' "$lg" | grep -q 'restarting pid='; then
	ok "B found nng stuck after a vanished peer and restarted itself in place"
else
	fail "B logged the end of every hostile connection ($downs peer-down lines), or restarted" "$lg"
fi
[ "$(digest "f3/$B")" = "$dB" ] && ok "nothing hostile was applied (digest unchanged)" ||
	fail "nothing hostile was applied (digest changed)"
kill -0 "$(cat "$T/f3/$B/biofedd.pid")" 2>/dev/null && ok "B is still running" || fail "B is still running"
facts "$T/cf/collection_facts.csv" 0 10001
bf "f3/$A" publish "$T/cf/collection_facts.csv" >/dev/null
converge f3 30 "B keeps serving its peers: a publish still propagates to all"

# --- SIGTERM during a large catch-up --------------------------------------------
"$FED" stop-node "$T/f3" $C
sed -i 's/^max_changeset_rows = .*/max_changeset_rows = 2000/' "$T/f3/$A/biofed.conf"
facts "$T/cf/collection_facts.csv" 100000 200000
bf "f3/$A" publish "$T/cf/collection_facts.csv" >/dev/null
target=$(seq_of "$T/f3/$A" $A)
before=$(seq_of "$T/f3/$C" $A)
"$FED" start-node "$T/f3" $C >/dev/null 2>&1
t0=$(now_ms)
while [ "$(seq_of "$T/f3/$C" $A)" -le "$before" ] && [ $(($(now_ms) - t0)) -lt 30000 ]; do sleep 0.01; done
t0=$(now_ms)
"$FED" stop-node "$T/f3" $C
t1=$(now_ms)
at=$(seq_of "$T/f3/$C" $A)
if [ "$at" -gt "$before" ] && [ "$at" -lt "$target" ]; then
	ok "SIGTERM landed during the catch-up (A's change set $at of $target applied at C; stopped in $((t1 - t0)) ms)"
else
	fail "SIGTERM landed during the catch-up (at $at; before $before, target $target)"
fi
grep_out "C stopped cleanly" "info stopped applied=" tail -1 "$T/f3/$C/biofedd.log"
if [ -e "$T/f3/$C/control.sock" ] || [ -e "$T/f3/$C/wake.sock" ]; then
	fail "a stopped node leaves no socket files" "$(ls -l "$T/f3/$C")"
else
	ok "a stopped node leaves no socket files"
fi
grep_out "C's replica verifies after SIGTERM" "problems: 0" bf "f3/$C" verify
"$FED" start-node "$T/f3" $C >/dev/null 2>&1
converge f3 60 "after restart C converges: nothing was lost"
# the pipelined pulls name the vector a batch leads to, hashes included:
# a wrong hash there would look like a fork to the sender
if grep -l "fork-detected" "$T"/f3/*/biofedd.log >/dev/null 2>&1; then
	fail "no fork is reported where there is none" "$(grep -h fork-detected "$T"/f3/*/biofedd.log | head -3)"
else
	ok "no fork is reported where there is none"
fi
"$FED" stop "$T/f3" >/dev/null 2>&1

# --- systemd notifications (Type=notify, WatchdogSec) ---------------------------
# a stand-in for systemd's notification socket records what biofedd says
python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1]); s.settimeout(0.2)
end = time.time() + 20
while time.time() < end:
    try:
        print(s.recv(4096).decode().strip(), flush=True)
    except socket.timeout:
        pass
' "$T/notify.sock" > "$T/notify.out" 2>&1 &
echo $! > "$T/notify.pid"
t0=$(now_ms)
while [ ! -S "$T/notify.sock" ] && [ $(($(now_ms) - t0)) -lt 5000 ]; do sleep 0.02; done
NOTIFY_SOCKET="$T/notify.sock" WATCHDOG_USEC=200000 "$ROOT/$BUILD/biofedd" -d "$T/f3/$A" \
	</dev/null >>"$T/notify.log" 2>&1 &
dpid=$!
echo $dpid > "$T/notify-daemon.pid"
t0=$(now_ms)
until [ "$(grep -c WATCHDOG=1 "$T/notify.out")" -ge 2 ] || [ $(($(now_ms) - t0)) -ge 10000 ]; do sleep 0.05; done
kill -TERM $dpid; wait $dpid; rc=$?
kill "$(cat "$T/notify.pid")" 2>/dev/null; wait "$(cat "$T/notify.pid")" 2>/dev/null
rm -f "$T/notify.pid" "$T/notify-daemon.pid"
[ $rc -eq 0 ] && ok "biofedd exits 0 on SIGTERM" || fail "biofedd exits 0 on SIGTERM (rc=$rc)" "$(cat "$T/notify.log")"
grep_out "sd_notify: READY=1, then WATCHDOG=1 every WATCHDOG_USEC/2, then STOPPING=1" \
	"READY=1 WATCHDOG=1 WATCHDOG=1 .*STOPPING=1" sh -c "tr '\n' ' ' < '$T/notify.out'"

# --- nine nodes -------------------------------------------------------------------
t0=$(now_ms)
if out=$("$FED" start 9 "$T/f9" 2>&1); then
	ok "nine Refbio partners start, each dialing 2 others ($(($(now_ms) - t0)) ms to create and connect)"
else
	fail "nine nodes start" "$out"
fi
t0=$(now_ms)
for s in $(cat "$T/f9/nodes"); do pub f9 "$s" || fail "$s publishes"; done
t1=$(now_ms)
if out=$("$FED" wait-converged "$T/f9" 60 2>&1); then
	ok "nine nodes converge: $(($(now_ms) - t0)) ms from the first publish ($((t1 - t0)) ms publishing), $(printf '%s\n' "$out" | sed -n 's/^converged in \([0-9]*\) ms.*/\1 ms/p') after the last"
else
	fail "nine nodes converge" "$out"
fi
"$FED" stop "$T/f9" >/dev/null 2>&1
