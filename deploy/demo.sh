#!/bin/sh
# make demo: a live federation on this machine.  Three Refbio partners
# each run biofedd on 127.0.0.1 (free ports) with their own keys and
# mutual TLS: navarrabiomed, the network coordinator, and the members
# biocruces and chu-toulouse.  The members get the roster by sync; each
# partner publishes its example data (tests/data/refbio); the demo times a
# publish reaching the other nodes and a stopped node catching up, shows
# biofed status and a researcher's queries, then stops every daemon it
# started (by pid) and removes its directory.
#
#   deploy/demo.sh           the built binaries of $BUILD (default build)
#   KEEP=1 deploy/demo.sh    leave the nodes running and their directory
#                            in place, and print how to stop them
#
# The nodes live in a new directory under $TMPDIR (default /tmp).  Cleanup
# runs however the script ends: an error, Ctrl-C or SIGTERM stops the
# daemons too (with KEEP=1 the directory stays, for its logs).  The
# federation itself is deploy/federation.sh's: its functions start, wait
# for and stop the nodes.
set -eu
T0=$(($(date +%s%N) / 1000000))
# the partners, coordinator first; and federation.sh as a library
# shellcheck disable=SC2034 # both read by federation.sh
FED_NODES="navarrabiomed biocruces chu-toulouse" FED_LIB=1
. "$(dirname "$0")/federation.sh"
DATA=$ROOT/tests/data/refbio
COORD=navarrabiomed

[ -x "$BIOFED" ] && [ -x "$BIOFEDD" ] || die "build biofed and biofedd first (make demo does)"
DIR=$(mktemp -d "${TMPDIR:-/tmp}/biofed-demo.XXXXXX")
DIR=$(cd "$DIR" && pwd)

# --- cleanup: every daemon started here is stopped by its pid ----------------
# STARTED: SLUG:PID of every daemon running that this script started, kept
# here as well as in DIR/SLUG/biofedd.pid: cleanup must find them even if
# DIR is gone
STARTED=""
start() { # start SLUG: start_node, and remember the pid
	start_node "$1"
	STARTED="$(for np in $STARTED; do [ "${np%%:*}" = "$1" ] || echo "$np"; done)
$1:$(cat "$DIR/$1/biofedd.pid")"
}
DONE=0
cleanup() {
	rc=$?
	trap - EXIT INT TERM HUP
	[ "$DONE" = 1 ] && [ "${KEEP:-}" = 1 ] && return 0
	[ "$DONE" = 1 ] || echo "demo.sh: interrupted or failed (exit status $rc)" >&2
	say "stop every node: SIGTERM to each daemon's pid, then wait for it to exit"
	# SIGTERM to all at once, then wait for each
	[ -f "$DIR/nodes" ] && { cmd_stop "$DIR" || true; }
	for np in $STARTED; do
		stop_pid "${np#*:}" "${np%%:*}" || true
		printf '%-14s pid %-7s %s\n' "${np%%:*}" "${np#*:}" \
			"$(if alive "${np#*:}"; then echo "STILL RUNNING"; else echo stopped; fi)"
	done
	if [ "${KEEP:-}" = 1 ]; then
		echo "kept $DIR (KEEP=1): every node's biofedd.log is there"
	else
		rm -rf "$DIR"
		echo "removed $DIR"
	fi
	return 0
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# --- helpers -----------------------------------------------------------------
say() { printf '\n== %s\n' "$*"; }
since() { echo $(($(now_ms) - $1)); } # since T: milliseconds since T

# short TEXT...: paths in the source tree and the demo directory shortened
short() { printf '%s\n' "$*" | sed "s|$ROOT/||g; s|$DIR/||g"; }

# show NODE ARGS...: prints the command as a user would type it at that
# node, runs it, prints what it printed (stdout and stderr)
show() {
	node=$1; shift
	cmd=""
	for a in "$@"; do
		case $a in *' '*) cmd="$cmd '$a'" ;; *) cmd="$cmd $a" ;; esac
	done
	printf '\n[%s]$ biofed%s\n' "$node" "$(short "$cmd")"
	bf "$node" "$@" > "$DIR/show.out" 2>&1 || { cat "$DIR/show.out"; die "biofed$cmd failed at $node"; }
	short "$(cat "$DIR/show.out")"
}

# publish_all NODE FILE...: one line for what the files published
publish_all() {
	node=$1; shift
	line=""
	for f in "$@"; do
		out=$(bf "$node" publish "$f")
		line="$line, $(basename "$f" .csv) $(printf '%s\n' "$out" | sed -n 's/.*records: \([0-9]*\) new.*/\1/p')"
	done
	printf '%-14s %s (now at seq %s)\n' "$node" "${line#, }" "$(seq_at "$node" "$node")"
}

# arrive ORIGIN SEQ T0 WHAT NODE...: waits until every NODE holds ORIGIN's
# change set SEQ; prints for each the milliseconds from T0 until it did
arrive() {
	origin=$1 want=$2 from=$3 what=$4; shift 4
	pending=$*
	while [ -n "$pending" ]; do
		rest=""
		for node in $pending; do
			if [ "$(seq_at "$node" "$origin")" -ge "$want" ]; then
				printf '%s %-14s %5d ms\n' "$what" "$node" "$(since "$from")"
			else
				rest="$rest $node"
			fi
		done
		pending=${rest# }
		[ -z "$pending" ] && break
		[ "$(since "$from")" -lt 30000 ] ||
			die "$origin's change set $want not at $pending after 30 s (see $DIR/*/biofedd.log)"
		sleep 0.01
	done
}

# --- the demo ----------------------------------------------------------------
echo "biofed demo: three Refbio partners, three biofedd nodes on 127.0.0.1, in $DIR"

say "1. each partner sets its node up (biofed init: signing key, TLS key and certificate)"
init_nodes 3
for node in $(slugs); do
	role=member
	[ "$node" = "$COORD" ] && role=coordinator
	printf '%-14s %-12s %-28s %s\n' "$node" "$role" \
		"$(sed -n 's/^endpoint = //p' "$DIR/$node/biofed.conf")" \
		"$(awk -F, -v s="$node" '$1 == s { print $2 " (" $3 ")" }' "$DATA/partners.csv")"
done
echo "the members pinned the coordinator's key: $(bf "$COORD" roster key)"

say "2. the coordinator admits the members (biofed roster add IDENTITY.json)"
admit_all
bf "$COORD" roster list
echo "(the roster is signed data at $COORD; the members do not have it yet)"

say "3. three daemons start; the members get the roster by sync"
configure_all
t=$(now_ms)
for node in $(slugs); do start "$node"; done
wait_up $(slugs)
k=0
for node in $(slugs); do
	dials=$(for j in $(peers_of "$k" "$(count)"); do nth "$j"; done | tr '\n' ' ')
	# the roster's change sets, as the daemon logged them (debug level)
	from=$(sed -n 's/.*changeset-applied origin=coordinator .*from=\([^ ]*\).*/\1/p' \
		"$DIR/$node/biofedd.log" | sort -u | tr '\n' ' ')
	if [ -n "$from" ]; then roster="roster received from ${from% }"; else roster="signs the roster"; fi
	printf '%-14s pid %-7s dials %-14s %s\n' "$node" "$(cat "$DIR/$node/biofedd.pid")" \
		"${dials% }" "$roster"
	k=$((k + 1))
done
echo "all listening, every peer connected, in $(since "$t") ms"

say "4. each partner publishes its example data; two import their samples"
for node in $(slugs); do
	files=""
	for table in research_groups persons biobanks collections services; do
		[ -f "$DATA/$node/$table.csv" ] && files="$files $DATA/$node/$table.csv"
	done
	# shellcheck disable=SC2086 # one argument per file
	publish_all "$node" $files
done
for node in biocruces chu-toulouse; do
	show "$node" samples import "$DATA/$node/samples.csv"
done
echo "(sample rows stay on their node; only the facts derived from them travel)"
echo
out=$(cmd_wait_converged "$DIR" 30)
echo "every replica holds the same data: $out"

say "5. a publish at biocruces arrives at the other nodes"
mkdir -p "$DIR/new"
cat > "$DIR/new/services.csv" <<'EOF'
id,name,service_types,description,device,access_description,unit_of_access,url
example:biocruces:svc-spatial,Spatial Transcriptomics Unit,sequencing,"Example data: Spatial gene expression on fresh-frozen and paraffin tissue sections, from sectioning to analysis.",Spatial transcriptomics platform,Open to research groups of the network after a feasibility check.,sample,https://example.org/refbio/biocruces/services/spatial
EOF
t=$(now_ms)
show biocruces publish "$DIR/new/services.csv"
arrive biocruces "$(seq_at biocruces biocruces)" "$t" "  from biofed publish to applied at" \
	navarrabiomed chu-toulouse
show chu-toulouse search spatial transcriptomics --format table

say "6. chu-toulouse stops, misses a publish, restarts and catches up"
old=$(cat "$DIR/chu-toulouse/biofedd.pid")
stop_node chu-toulouse
echo "chu-toulouse: SIGTERM to pid $old; stopped"
show navarrabiomed samples import "$DATA/navarrabiomed/samples.csv"
want=$(seq_at navarrabiomed navarrabiomed)
echo "chu-toulouse holds navarrabiomed's change sets up to seq $(seq_at chu-toulouse navarrabiomed) of $want"
t=$(now_ms)
start chu-toulouse
echo "chu-toulouse: restarted, pid $(cat "$DIR/chu-toulouse/biofedd.pid")"
arrive navarrabiomed "$want" "$t" "caught up: from restart to seq $want at" chu-toulouse
wait_up chu-toulouse
out=$(cmd_wait_converged "$DIR" 30)
echo "every replica holds the same data again: $out"

say "7. what the daemon at chu-toulouse says (biofed status)"
# status exits 0 ok, 1 degraded, 2 down (the Nagios convention)
rc=0
bf chu-toulouse status || rc=$?
echo "(biofed status exit status: $rc)"

say "8. a researcher at chu-toulouse asks its own replica (read-only; works offline)"
show chu-toulouse search breast cancer --limit 5 --format table
show chu-toulouse query collections --disease C50 --format table
show chu-toulouse query facts --disease C50 --availability available \
	--count-by institution --format table
show chu-toulouse query facts --count-by material --format table

DONE=1
if [ "${KEEP:-}" = 1 ]; then
	say "the nodes keep running (KEEP=1)"
	pids=""
	for node in $(slugs); do
		pid=$(cat "$DIR/$node/biofedd.pid")
		pids="$pids $pid"
		printf '%-14s pid %-7s %s\n' "$node" "$pid" "$DIR/$node"
	done
	echo "try:   $BIOFED --dir $DIR/chu-toulouse status"
	echo "stop:  $ROOT/deploy/federation.sh stop $DIR && rm -rf $DIR"
	echo "       (or: kill$pids)"
else
	cleanup
fi
printf '\ndemo done in %s.%s s\n' $(($(since "$T0") / 1000)) $(($(since "$T0") % 1000 / 100))
