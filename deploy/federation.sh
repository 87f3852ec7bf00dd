#!/bin/sh
# A biofed federation of up to nine nodes on this machine, on 127.0.0.1
# only, with real keys and mutual TLS: the Refbio partners of
# tests/data/refbio/partners.csv, in file order (the first one is the
# network coordinator).  Used by the black-box tests, the benchmarks and
# by hand.
#
#   federation.sh start N DIR [BASEPORT]   create (if absent) and start N nodes
#   federation.sh stop DIR                 stop every node (SIGTERM, then SIGKILL)
#   federation.sh wait-converged DIR [TIMEOUT_S]
#                                          wait until all digests are equal;
#                                          prints the elapsed milliseconds
#   federation.sh start-node DIR SLUG      start one node (after stop-node)
#   federation.sh stop-node DIR SLUG [SIGNAL]
#   federation.sh add DIR                  admit the next partner and start it
#                                          with an empty replica (it catches up)
#   federation.sh status DIR               one line per node: pid, port, vector
#
# FED_NODES="navarrabiomed biocruces chu-toulouse" picks the partners and
# their order (the first is the coordinator); the rest of partners.csv
# follows, for add.
# Every node gets DIR/<slug>/ (its node directory), biofedd.log (stderr,
# log level debug) and biofedd.pid.  Node i dials node i+1 (a ring) and,
# from five nodes on, node i+N/2 (a chord): connected, not a full mesh.
# FED_TOPOLOGY=chain makes node i dial only node i+1 (A - B - C: the ends
# never meet).  Ports are chosen free (a bind test) unless BASEPORT is
# given.  The coordinator's roster is handed to the members as a file
# before their daemons start (as a new member would receive it at join
# time); FED_SEED_ROSTER=0 lets it travel over the network instead.
# Every process this script starts is stopped by its pid.
#
# deploy/demo.sh uses the functions below (FED_LIB=1 . deploy/federation.sh
# defines them and runs no command); they work on the federation in $DIR.
set -eu
# the caller, when sourced: demo.sh, also in deploy/
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
BIOFED=${BIOFED:-$BUILD/biofed}
BIOFEDD=${BIOFEDD:-$BUILD/biofedd}
PARTNERS=$ROOT/tests/data/refbio/partners.csv
TOPOLOGY=${FED_TOPOLOGY:-ring}
SEED_ROSTER=${FED_SEED_ROSTER:-1}
UP_TIMEOUT=${FED_UP_TIMEOUT:-60}

die() { echo "federation.sh: $*" >&2; exit 1; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
bf() { d=$1; shift; "$BIOFED" --dir "$DIR/$d" "$@"; }
slugs() { cat "$DIR/nodes"; }
count() { if [ -f "$DIR/nodes" ]; then wc -l < "$DIR/nodes" | tr -d ' '; else echo 0; fi; }
nth() { sed -n "$(($1 + 1))p" "$DIR/nodes"; }        # nth 0 = coordinator
# partners: every partner's slug, those of FED_NODES first, each once
partners() {
	{ for p in ${FED_NODES:-}; do echo "$p"; done; sed 1d "$PARTNERS" | cut -d, -f1; } |
		awk '!seen[$0]++'
}
# next_partners K: the first K partners that are not nodes of DIR yet
next_partners() {
	partners | { if [ -f "$DIR/nodes" ]; then grep -vxF -f "$DIR/nodes"; else cat; fi; } |
		head -n "$1"
}
port_of() { sed -n 's|^endpoint = tls+tcp://127.0.0.1:\([0-9]*\)$|\1|p' "$DIR/$1/biofed.conf"; }

# free_ports N: N ports that 127.0.0.1 can bind now, below the ephemeral
# range so that outgoing connections do not take them meanwhile.
free_ports() {
	if command -v python3 >/dev/null 2>&1; then
		python3 - "$1" <<'EOF'
import random, socket, sys
n, out = int(sys.argv[1]), []
while len(out) < n:
    p = random.randint(20000, 32000)
    if p in out:
        continue
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
        out.append(p)
    except OSError:
        pass
    finally:
        s.close()
print(" ".join(map(str, out)))
EOF
	else
		# the ports of every TCP socket, from the kernel (hex in /proc)
		used=$(cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
			awk '$2 ~ /:/ { sub(/.*:/, "", $2); print $2 }' |
			while read -r h; do echo $((0x$h)); done)
		out=""; k=0
		while [ "$k" -lt "$1" ]; do
			p=$(awk -v s="$(date +%N)" 'BEGIN { srand(s); print 20000 + int(rand() * 12000) }')
			case " $out $used " in *" $p "*) continue ;; esac
			out="$out $p"; k=$((k + 1))
		done
		echo $out
	fi
}

# alive PID: running and not a zombie
alive() { [ -r "/proc/$1/stat" ] && ! sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | grep -q '^Z'; }
# ours PID SLUG: that pid is biofedd serving DIR/SLUG (not a reused pid)
ours() { alive "$1" && tr '\0' ' ' < "/proc/$1/cmdline" | grep -qF "biofedd -d $DIR/$2 "; }

# peers_of I N: the node indexes node I dials
peers_of() {
	i=$1; n=$2
	if [ "$TOPOLOGY" = chain ]; then
		[ $((i + 1)) -lt "$n" ] && echo $((i + 1))
		return 0
	fi
	[ "$n" -ge 2 ] || return 0
	if [ "$n" -eq 2 ]; then [ "$i" -eq 1 ] && echo 0; return 0; fi
	echo $(((i + 1) % n))
	if [ "$n" -ge 5 ]; then echo $(((i + n / 2) % n)); fi
}

init_node() { # init_node SLUG PORT COORDINATOR_KEY(empty for the coordinator)
	line=$(awk -F, -v s="$1" 'NR > 1 && $1 == s' "$PARTNERS")
	[ -n "$line" ] || die "no partner \"$1\" in $PARTNERS"
	IFS=, read -r slug name country region <<EOF
$line
EOF
	if [ -z "$3" ]; then
		bf "$slug" init --slug "$slug" --name "$name" --country "$country" \
			--region "$region" --endpoint "tls+tcp://127.0.0.1:$2" --coordinator >/dev/null
	else
		bf "$slug" init --slug "$slug" --name "$name" --country "$country" \
			--region "$region" --endpoint "tls+tcp://127.0.0.1:$2" \
			--coordinator-key "$3" >/dev/null
	fi
	sed -i 's/^level = .*/level = debug/' "$DIR/$slug/biofed.conf"
	echo "$slug" >> "$DIR/nodes"
}

# add_peers SLUG PORT...: peer lines in the node's [federation] section
# (after its coordinator_key: a second [federation] would be refused)
add_peers() {
	ap_s=$1; shift
	: > "$DIR/$ap_s/peers.tmp"
	for ap_p in "$@"; do
		printf 'peer = tls+tcp://127.0.0.1:%s\n' "$ap_p" >> "$DIR/$ap_s/peers.tmp"
	done
	sed -i "/^coordinator_key = /r $DIR/$ap_s/peers.tmp" "$DIR/$ap_s/biofed.conf"
	rm -f "$DIR/$ap_s/peers.tmp"
}

configure_peers() { # configure_peers INDEX N: the [federation] peer lines
	slug=$(nth "$1")
	ports=""
	for j in $(peers_of "$1" "$2"); do ports="$ports $(port_of "$(nth "$j")")"; done
	add_peers "$slug" $ports
}

start_node() { # start_node SLUG
	s=$1
	if [ -f "$DIR/$s/biofedd.pid" ] && ours "$(cat "$DIR/$s/biofedd.pid")" "$s"; then
		return 0 # already running
	fi
	# what this run logs starts here (wait_up reads from this offset)
	touch "$DIR/$s/biofedd.log"
	wc -c < "$DIR/$s/biofedd.log" > "$DIR/$s/biofedd.logmark"
	"$BIOFEDD" -d "$DIR/$s" </dev/null >>"$DIR/$s/biofedd.log" 2>&1 &
	echo $! > "$DIR/$s/biofedd.pid"
}

stop_node() { # stop_node SLUG [SIGNAL]: waits for the exit
	[ -f "$DIR/$1/biofedd.pid" ] || return 0
	stop_pid "$(cat "$DIR/$1/biofedd.pid")" "$1" "${2:-TERM}"
	rm -f "$DIR/$1/biofedd.pid"
}

# stop_pid PID SLUG [SIGNAL]: stops that pid if it is the daemon of
# DIR/SLUG, and waits for the exit (SIGKILL after 10 s)
stop_pid() {
	pid=$1; s=$2; sig=${3:-TERM}
	if ours "$pid" "$s"; then
		kill -s "$sig" "$pid" 2>/dev/null || true
		k=0
		while alive "$pid" && [ $k -lt 200 ]; do sleep 0.05; k=$((k + 1)); done
		if alive "$pid"; then
			echo "federation.sh: $s (pid $pid) did not stop in 10 s: SIGKILL" >&2
			kill -s KILL "$pid" 2>/dev/null || true
			while alive "$pid"; do sleep 0.05; done
		fi
	fi
}

# new_log SLUG: what the node logged since its last start
new_log() { tail -c +"$(($(cat "$DIR/$1/biofedd.logmark" 2>/dev/null || echo 0) + 1))" "$DIR/$1/biofedd.log"; }

# wait_up SLUG...: each node listens (so it has the roster) and every peer
# it dials has said hello
wait_up() {
	t0=$(now_ms)
	for s in "$@"; do
		i=$(grep -nx "$s" "$DIR/nodes" | cut -d: -f1)
		want=$(peers_of $((i - 1)) "$(count)" | wc -l)
		while :; do
			pid=$(cat "$DIR/$s/biofedd.pid")
			alive "$pid" || { new_log "$s" >&2; die "$s: biofedd exited"; }
			log=$(new_log "$s")
			up=$(printf '%s\n' "$log" | grep -c 'peer-up peer=' || true)
			if printf '%s\n' "$log" | grep -q 'info listening url=' &&
				[ "$up" -ge "$want" ]; then
				break
			fi
			[ $(($(now_ms) - t0)) -lt $((UP_TIMEOUT * 1000)) ] ||
				die "$s: not up after ${UP_TIMEOUT} s (see $DIR/$s/biofedd.log)"
			sleep 0.05
		done
	done
}

# init_nodes N [BASEPORT]: the next N partners become nodes of DIR (biofed
# init; the first node of DIR is the coordinator), on free ports unless
# BASEPORT
init_nodes() {
	todo=$1
	[ $(($(count) + todo)) -le 9 ] || die "at most 9 nodes (the Refbio partners)"
	if [ -n "${2:-}" ]; then ports=$(seq "$2" $(($2 + todo - 1))); else ports=$(free_ports "$todo"); fi
	new=$(next_partners "$todo")
	[ -f "$DIR/nodes" ] || : > "$DIR/nodes"
	for p in $ports; do
		slug=$(printf '%s\n' "$new" | head -1); new=$(printf '%s\n' "$new" | sed 1d)
		ck=""
		[ "$(count)" -eq 0 ] || ck=$(bf "$(nth 0)" roster key)
		init_node "$slug" "$p" "$ck"
	done
}

# admit_all: the coordinator admits every node (biofed roster add)
admit_all() {
	for s in $(slugs); do bf "$(nth 0)" roster add "$DIR/$s/identity.json" >/dev/null; done
}

# configure_all: every node's [federation] peer lines (see peers_of)
configure_all() {
	i=0
	for s in $(slugs); do configure_peers "$i" "$(count)"; i=$((i + 1)); done
}

# seed_roster: the coordinator's roster handed to the members as a file
seed_roster() {
	bf "$(nth 0)" changes export --origin coordinator -o "$DIR/roster.bfx" 2>/dev/null
	for s in $(slugs); do
		[ "$s" = "$(nth 0)" ] || bf "$s" changes import "$DIR/roster.bfx" >/dev/null
	done
}

cmd_start() {
	[ $# -ge 2 ] || die "usage: start N DIR [BASEPORT]"
	n=$1; DIR=$2; base=${3:-}
	case $n in [1-9]) ;; *) die "N must be 1 to 9 (the Refbio partners)" ;; esac
	mkdir -p "$DIR"
	DIR=$(cd "$DIR" && pwd)
	if [ ! -f "$DIR/nodes" ]; then
		init_nodes "$n" "$base"
		admit_all
		configure_all
		[ "$SEED_ROSTER" != 1 ] || seed_roster
	elif [ "$(count)" -ne "$n" ]; then
		die "$DIR holds $(count) nodes, not $n"
	fi
	for s in $(slugs); do start_node "$s"; done
	wait_up $(slugs)
	echo "federation of $n nodes up in $DIR"
}

cmd_add() {
	[ $# -eq 1 ] || die "usage: add DIR"
	DIR=$(cd "$1" && pwd)
	n=$(count)
	init_nodes 1
	s=$(nth "$n")
	bf "$(nth 0)" roster add "$DIR/$s/identity.json" >/dev/null
	# it dials the coordinator and the node half way round
	ports=$(port_of "$(nth 0)")
	[ "$n" -ge 3 ] && ports="$ports $(port_of "$(nth $((n / 2)))")"
	add_peers "$s" $ports
	start_node "$s"
	echo "$s added, empty, started"
}

cmd_stop() {
	[ $# -eq 1 ] || die "usage: stop DIR"
	DIR=$(cd "$1" && pwd)
	[ -f "$DIR/nodes" ] || return 0
	# SIGTERM to all at once, then wait for each
	for s in $(slugs); do
		[ -f "$DIR/$s/biofedd.pid" ] || continue
		pid=$(cat "$DIR/$s/biofedd.pid")
		ours "$pid" "$s" && kill -s TERM "$pid" 2>/dev/null || true
	done
	for s in $(slugs); do stop_node "$s"; done
}

# seq_at SLUG ORIGIN: ORIGIN's highest seq in SLUG's replica (0: none)
seq_at() {
	bf "$1" changes vector 2>/dev/null | tr -d ' \n' |
		sed -n "s/.*\"$2\":{\"hash\":\"[0-9a-f]*\",\"seq\":\([0-9]*\)}.*/\1/p" | grep . || echo 0
}

# vectors and digests of every node, one line each
vectors() { for s in $(slugs); do bf "$s" changes vector 2>&1 | tr -d ' \n'; echo; done; }
digests() { for s in $(slugs); do bf "$s" verify 2>&1 | sed -n 's/^digest: //p'; done; }

cmd_wait_converged() {
	[ $# -ge 1 ] || die "usage: wait-converged DIR [TIMEOUT_S]"
	DIR=$(cd "$1" && pwd); timeout=${2:-60}
	t0=$(now_ms)
	while :; do
		# vectors are cheap to compare; digests (a full verify) only
		# when the vectors agree
		if [ "$(vectors | sort -u | wc -l)" -eq 1 ]; then
			d=$(digests | sort -u)
			if [ "$(printf '%s\n' "$d" | wc -l)" -eq 1 ] && [ -n "$d" ]; then
				echo "converged in $(($(now_ms) - t0)) ms: digest $d"
				return 0
			fi
		fi
		if [ $(($(now_ms) - t0)) -ge $((timeout * 1000)) ]; then
			echo "not converged after ${timeout} s:" >&2
			for s in $(slugs); do
				printf '%s %s\n' "$s" "$(bf "$s" changes vector 2>&1 | tr -d ' \n')" >&2
			done
			return 1
		fi
		sleep 0.02
	done
}

cmd_status() {
	DIR=$(cd "$1" && pwd)
	for s in $(slugs); do
		pid=$(cat "$DIR/$s/biofedd.pid" 2>/dev/null || echo -)
		state=stopped
		[ "$pid" != - ] && ours "$pid" "$s" && state=running
		printf '%-16s %-8s pid %-7s port %-6s %s\n' "$s" "$state" "$pid" \
			"$(port_of "$s")" "$(bf "$s" changes vector 2>&1 | tr -d ' \n')"
	done
}

[ "${FED_LIB:-}" != 1 ] || return 0

cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
start) cmd_start "$@" ;;
stop) cmd_stop "$@" ;;
wait-converged) cmd_wait_converged "$@" ;;
start-node)
	[ $# -eq 2 ] || die "usage: start-node DIR SLUG"
	DIR=$(cd "$1" && pwd); start_node "$2"; wait_up "$2" ;;
stop-node)
	[ $# -ge 2 ] || die "usage: stop-node DIR SLUG [SIGNAL]"
	DIR=$(cd "$1" && pwd); stop_node "$2" "${3:-TERM}" ;;
add) cmd_add "$@" ;;
status) [ $# -eq 1 ] || die "usage: status DIR"; cmd_status "$1" ;;
*)
	sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2 ;;
esac
