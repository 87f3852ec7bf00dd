# Shared by the black-box tests: TAP-like "ok N - what" / "not ok N - what"
# lines (tests/run.sh counts them), a private temporary directory removed at
# exit, and helpers that run the real biofed binary.
: "${BIOFED:?BIOFED must name the biofed binary}"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
TOOLS="$ROOT/$BUILD/tools"
DATA="$ROOT/tests/bb/data"
T=$(mktemp -d /tmp/biofed-bb.XXXXXX)
[ -n "$BB_KEEP" ] || trap 'rm -rf "$T"' EXIT
n=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
fail() { n=$((n + 1)); echo "not ok $n - $1"; [ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/#   /'; }
check() { # check "description" command...
	desc=$1; shift
	if out=$("$@" 2>&1); then ok "$desc"; else fail "$desc" "$out"; fi
}
check_fails() { # the command must fail
	desc=$1; shift
	if out=$("$@" 2>&1); then fail "$desc (succeeded)" "$out"; else ok "$desc"; fi
}
# grep_out "description" PATTERN command...: runs, output must match
grep_out() {
	desc=$1; pat=$2; shift 2
	out=$("$@" 2>&1)
	if printf '%s\n' "$out" | grep -Eq -- "$pat"; then ok "$desc"; else fail "$desc" "$out"; fi
}
bf() { d=$1; shift; "$BIOFED" --dir "$T/$d" "$@"; }
digest() { bf "$1" verify | sed -n 's/^digest: //p'; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# seq_of NODE_DIR ORIGIN: the origin's seq in that replica (0 when none)
seq_of() {
	"$BIOFED" --dir "$1" changes vector 2>/dev/null | tr -d ' \n' |
		sed -n "s/.*\"$2\":{\"hash\":\"[0-9a-f]*\",\"seq\":\([0-9]*\)}.*/\1/p" | grep . || echo 0
}
# free_port: a port 127.0.0.1 can bind now, below the ephemeral range (so
# that an outgoing connection does not take it before the test binds it)
free_port() {
	python3 -S -c '
import random, socket
while True:
    p = random.randint(20000, 32000)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p)); print(p); break
    except OSError:
        pass
    finally:
        s.close()'
}
# until_ok SECONDS COMMAND...: runs COMMAND every 0.2 s until it succeeds
# (0) or SECONDS have passed (1)
until_ok() {
	t_end=$(($(now_ms) + $1 * 1000)); shift
	until "$@"; do
		[ "$(now_ms)" -lt "$t_end" ] || return 1
		sleep 0.2
	done
}
