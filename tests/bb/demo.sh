#!/bin/sh
# make demo, black-box: deploy/demo.sh with the built binaries, as the make
# target runs it.  Its output must show the publish arriving at every other
# node and the restarted node catching up; afterwards no process it
# started may be left and its directory must be gone.  With KEEP=1 the
# nodes keep running and the stop command it prints must stop them.  A
# SIGTERM in the middle must clean up as well.
. "$(dirname "$0")/lib.sh"
DEMO="$ROOT/deploy/demo.sh"
export BUILD

# demo_dir OUTPUT: the directory the demo said it uses
demo_dir() { printf '%s\n' "$1" | sed -n '1s/.* in \(\/.*\)$/\1/p'; }
# pids OUTPUT: every daemon pid the demo printed
pids() { printf '%s\n' "$1" | sed -n 's/.* pid \([0-9][0-9]*\).*/\1/p' | sort -u; }
# alive PID: running, not a zombie (a daemon whose parent, the demo, has
# exited is reaped by init, in its own time)
alive() { [ -r "/proc/$1/stat" ] && ! sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | grep -q '^Z'; }
# running DIR: the processes whose command line names DIR
running() {
	for c in /proc/[0-9]*/cmdline; do
		{ tr '\0' ' ' < "$c"; } 2>/dev/null | grep -qF "$1/" && echo "${c#/proc/}" | cut -d/ -f1
	done
	return 0
}
cleanup() {
	# whatever a failed check left: processes of a demo directory under $T
	for p in $(running "$T"); do kill "$p" 2>/dev/null; done
	[ -n "$BB_KEEP" ] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# gone "what" OUTPUT: no process it printed or started is left, and its
# directory is removed
gone() {
	d=$(demo_dir "$2")
	left=""
	for p in $(pids "$2"); do alive "$p" && left="$left $p"; done
	[ -n "$d" ] && left="$left$(running "$d" | tr '\n' ' ')"
	if [ -n "$d" ] && [ -z "$(echo $left)" ]; then
		ok "$1: every process it started is gone ($(pids "$2" | wc -l) daemons)"
	else
		fail "$1: every process it started is gone (left:$left)" "$2"
	fi
	[ -n "$d" ] && [ ! -e "$d" ] && ok "$1: its directory is removed" ||
		fail "$1: its directory is removed ($d)"
}

# --- a whole run ------------------------------------------------------------------
demo_out=$(TMPDIR=$T "$DEMO" 2>&1); rc=$?
[ $rc -eq 0 ] && ok "the demo runs to its end" || fail "the demo runs to its end (rc=$rc)" "$demo_out"
grep_out "the members get the roster by sync" \
	'biocruces .*roster received from.*' printf '%s\n' "$demo_out"
grep_out "  ... both of them" \
	'chu-toulouse .*roster received from.*' printf '%s\n' "$demo_out"
for node in navarrabiomed chu-toulouse; do
	grep_out "biocruces's publish arrived at $node ($(printf '%s\n' "$demo_out" |
		sed -n "s/.*applied at $node  *\([0-9]*\) ms/\1 ms/p"))" \
		"applied at $node +[0-9]+ ms" printf '%s\n' "$demo_out"
done
grep_out "the restarted node caught up ($(printf '%s\n' "$demo_out" |
	sed -n 's/^caught up: .* \([0-9]*\) ms$/\1 ms/p'))" \
	'^caught up: from restart to seq [0-9]+ at chu-toulouse +[0-9]+ ms' printf '%s\n' "$demo_out"
grep_out "the replicas converge again after the catch-up" \
	'same data again: converged in [0-9]+ ms' printf '%s\n' "$demo_out"
grep_out "it shows biofed status" '^ORIGIN +SEQ +HIGHEST' printf '%s\n' "$demo_out"
grep_out "the researcher's queries find every partner's data" \
	'^navarrabiomed +Navarrabiomed.* [0-9]+ +1$' printf '%s\n' "$demo_out"
secs=$(printf '%s\n' "$demo_out" | sed -n 's/^demo done in \([0-9]*\)\.[0-9] s$/\1/p')
[ -n "$secs" ] && [ "$secs" -lt 60 ] && ok "it takes under a minute ($secs s) and says so" ||
	fail "it takes under a minute and says so" "$(printf '%s\n' "$demo_out" | tail -3)"
gone "a whole run" "$demo_out"

# --- KEEP=1: the nodes stay up until the printed command stops them ---------------
demo_out=$(KEEP=1 TMPDIR=$T "$DEMO" 2>&1); rc=$?
d=$(demo_dir "$demo_out")
[ $rc -eq 0 ] && [ -n "$d" ] && [ -d "$d" ] && ok "KEEP=1: the directory stays" ||
	fail "KEEP=1: the directory stays (rc=$rc)" "$demo_out"
up=0
for p in $(printf '%s\n' "$demo_out" | sed -n '/keep running/,$s/.* pid \([0-9][0-9]*\) .*/\1/p'); do
	alive "$p" && up=$((up + 1))
done
[ $up -eq 3 ] && ok "KEEP=1: the three nodes keep running" ||
	fail "KEEP=1: the three nodes keep running ($up are)" "$demo_out"
grep_out "KEEP=1: their status answers" "^node chu-toulouse \(pid" \
	"$BIOFED" --dir "$d/chu-toulouse" status
stop=$(printf '%s\n' "$demo_out" | sed -n 's/^stop: *//p')
if [ -n "$stop" ] && sh -c "$stop" >/dev/null 2>&1; then
	ok "KEEP=1: the printed stop command runs: $(printf '%s\n' "$stop" | sed "s|$ROOT/||; s|$T/||g")"
else
	fail "KEEP=1: the printed stop command runs" "$demo_out"
fi
gone "KEEP=1, after the stop command" "$demo_out"

# --- SIGTERM in the middle -----------------------------------------------------------
TMPDIR=$T "$DEMO" > "$T/term.out" 2>&1 &
pid=$!
t0=$(now_ms)
until grep -q '^== 4\.' "$T/term.out" || [ $(($(now_ms) - t0)) -gt 30000 ]; do sleep 0.05; done
kill -TERM $pid
wait $pid; rc=$?
demo_out=$(cat "$T/term.out")
[ $rc -eq 143 ] && printf '%s\n' "$demo_out" | grep -q 'interrupted or failed' &&
	ok "SIGTERM in the middle: it says so and exits 143" ||
	fail "SIGTERM in the middle: it says so and exits 143 (rc=$rc)" "$demo_out"
gone "SIGTERM in the middle" "$demo_out"
