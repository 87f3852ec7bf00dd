#!/bin/sh
# biofedd -n, black-box: it checks what start-up needs, and refuses each
# problem with an error line that names the file (and the line, for
# biofed.conf): missing or unparsable keys, keys others may read, a
# configuration or directory others may write, endpoints that are not
# tls+tcp://HOST:PORT with a port from 1 to 65535, a port in use,
# duplicate sections and options.  With everything fine it says what it
# checked.  Also biofedd --help, --version and usage errors.
. "$(dirname "$0")/lib.sh"
BIOFEDD="$ROOT/$BUILD/biofedd"
# python without site packages starts ten times faster
PY=$(python3 -c 'import sys; print(sys.executable)')

cleanup() {
	[ -f "$T/blocker.pid" ] && kill "$(cat "$T/blocker.pid")" 2>/dev/null
	[ -n "$BB_KEEP" ] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP


PORT=$(free_port)
A=navarrabiomed
bf a init --slug $A --name "Navarrabiomed" --country ES \
	--endpoint "tls+tcp://127.0.0.1:$PORT" --coordinator >/dev/null || { fail "init a"; exit 1; }
bf b init --slug biocruces --name "Biocruces Bizkaia" --country ES \
	--endpoint "tls+tcp://127.0.0.1:$(free_port)" --coordinator-key "$(bf a roster key)" >/dev/null ||
	{ fail "init b"; exit 1; }
bf a roster add "$T/a/identity.json" >/dev/null && bf a roster add "$T/b/identity.json" >/dev/null ||
	{ fail "roster add"; exit 1; }
CONF="$T/a/biofed.conf"
cp -p "$CONF" "$T/a.conf"
restore() { cp -p "$T/a.conf" "$CONF"; }

# nodecheck: biofedd -n on node a; sets out and rc
nodecheck() { out=$("$BIOFEDD" -n -d "$T/a" 2>&1); rc=$?; }
# refused "description" PATTERN: -n exits 1 with an error line matching
# PATTERN (an extended regular expression)
refused() {
	nodecheck
	if [ $rc -eq 1 ] && printf '%s\n' "$out" | grep -Eq -- "^biofedd: error: .*$2"; then
		ok "$1"
	else
		fail "$1 (exit $rc)" "$out"
	fi
}
# line_of REGEX: the line number of the first line of biofed.conf matching
line_of() { grep -n -- "$1" "$CONF" | head -1 | cut -d: -f1; }
# set_conf KEY VALUE: replaces the KEY = ... line
set_conf() { sed -i "s|^$1 = .*|$1 = $2|" "$CONF"; }

# --- everything fine -------------------------------------------------------
nodecheck
if [ $rc -eq 0 ] && printf '%s\n' "$out" | grep -q "ready to start (node $A)"; then
	ok "a good node: biofedd -n exits 0, ready to start"
else
	fail "a good node: biofedd -n exits 0" "$out"
fi
for pat in "ok .*$T/a: this user's, writable by nobody else" \
	"ok .*biofed.conf: node $A; each section and option given once" \
	"ok .*sign.key: Ed25519 key, owner-only" \
	"ok .*tls.key, .*tls.crt: ECDSA P-256 key \(owner-only\) and its certificate, valid until" \
	"ok .*replica.db: opens for writing" \
	"ok .*sign.key: the roster's key for $A" \
	"ok .*tls.crt: the roster's certificate for $A" \
	"ok .*node.endpoint tls\+tcp://127.0.0.1:$PORT: port $PORT free to listen on"; do
	printf '%s\n' "$out" | grep -Eq -- "$pat" && ok "  it says what it checked: $pat" ||
		fail "  it says what it checked: $pat" "$out"
done

# --- keys ---------------------------------------------------------------------
mv "$T/a/tls.key" "$T/tls.key.bak"
refused "a missing tls.key is refused, naming the file" "$T/a/tls.key: No such file or directory"
mv "$T/tls.key.bak" "$T/a/tls.key"

cp -p "$T/a/sign.key" "$T/sign.key.bak"
printf 'this is not a key\n' > "$T/a/sign.key"
refused "an unparsable sign.key is refused, naming the file" "$T/a/sign.key: "
cp -p "$T/sign.key.bak" "$T/a/sign.key"

cp -p "$T/a/tls.key" "$T/tls.key.bak"
printf -- '-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n' > "$T/a/tls.key"
refused "an unparsable tls.key is refused, naming the file" "$T/a/tls.key: "
cp -p "$T/tls.key.bak" "$T/a/tls.key"

cp -p "$T/a/tls.crt" "$T/tls.crt.bak"
cp "$T/b/tls.crt" "$T/a/tls.crt"
refused "a tls.crt of another key is refused" "$T/a/tls.crt is not the certificate of the key in $T/a/tls.key"
cp -p "$T/tls.crt.bak" "$T/a/tls.crt"

cp -p "$T/b/sign.key" "$T/a/sign.key"
refused "a sign.key that is not the roster's key for the node is refused" \
	"$T/a/sign.key holds key [0-9a-f]+\.\.\., but the roster gives $A the key"
cp -p "$T/sign.key.bak" "$T/a/sign.key"

chmod 644 "$T/a/tls.key"
refused "a tls.key readable by others is refused" \
	"$T/a/tls.key: private key is accessible by group or others \(mode 0644\)"
chmod 600 "$T/a/tls.key"
chmod 640 "$T/a/sign.key"
refused "a sign.key readable by its group is refused" \
	"$T/a/sign.key: private key is accessible by group or others \(mode 0640\)"
chmod 600 "$T/a/sign.key"

# --- files others may write -----------------------------------------------------
chmod o+w "$CONF"
refused "a biofed.conf others may write is refused" "$CONF: writable by group or others \(mode 0646\)"
if printf '%s\n' "$out" | grep -q "ok .*$CONF: .*writable by nobody else"; then
	fail "the report does not also call that biofed.conf writable by nobody else" "$out"
else
	ok "the report does not also call that biofed.conf writable by nobody else"
fi
chmod o-w "$CONF"
chmod g+w "$T/a"
refused "a node directory its group may write is refused" "$T/a: writable by group or others \(mode 0720\)"
chmod g-w "$T/a"

# --- endpoints and ports -----------------------------------------------------------
set_conf listen "tcp://127.0.0.1:$PORT"
refused "an endpoint that is not tls+tcp:// is refused with file:line" \
	"$CONF:$(line_of '^listen = '): node.listen: \"tcp://127.0.0.1:$PORT\" is not tls\+tcp://HOST:PORT"
restore
sed -i "s|^;peer = .*|peer = tls+tcp://127.0.0.1|" "$CONF"
refused "a peer without a port is refused with file:line" \
	"$CONF:$(line_of '^peer = '): federation.peer: \"tls\+tcp://127.0.0.1\" has no port"
restore
for p in 0 70000; do
	set_conf listen "tls+tcp://127.0.0.1:$p"
	refused "listen port $p is refused with file:line" \
		"$CONF:$(line_of '^listen = '): node.listen: \"tls\+tcp://127.0.0.1:$p\": port $p is out of range \(1-65535\)"
	restore
done
set_conf endpoint "tls+tcp://127.0.0.1:65536"
refused "endpoint port 65536 is refused with file:line" \
	"$CONF:$(line_of '^endpoint = '): node.endpoint: .*port 65536 is out of range"
restore

# a port in use: bound and listened on by another process
"$PY" -S -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen()
print("bound", flush=True); time.sleep(60)' "$PORT" > "$T/blocker.out" 2>&1 &
echo $! > "$T/blocker.pid"
t0=$(now_ms)
until grep -q bound "$T/blocker.out" || [ $(($(now_ms) - t0)) -gt 10000 ]; do sleep 0.05; done
refused "a port in use is refused, naming the endpoint and the reason" \
	"$CONF: node.endpoint tls\+tcp://127.0.0.1:$PORT: cannot listen: the port is in use"
kill "$(cat "$T/blocker.pid")" 2>/dev/null; wait "$(cat "$T/blocker.pid")" 2>/dev/null; rm -f "$T/blocker.pid"

set_conf endpoint ""
set_conf listen none
refused "listen = none without a peer to dial is refused" \
	"$CONF: node.listen = none and no federation.peer: this node would reach nobody"
restore
set_conf listen none
refused "listen = none beside an endpoint is refused with file:line" \
	"$CONF:$(line_of '^endpoint = '): node.endpoint is set, but node.listen = none \(line $(line_of '^listen = ')\)"
restore
set_conf endpoint ""
refused "neither an endpoint nor listen = none is refused" \
	"$CONF: neither node.listen nor node.endpoint is set"
restore

# --- duplicate sections and options ---------------------------------------------------
printf '\n[node]\nslug = other\n' >> "$CONF"
dup=$(($(wc -l < "$CONF") - 1))
refused "a second [node] section is refused with file:line" \
	"$CONF:$dup: duplicate section \[node\] \(first at line $(line_of '^\[node\]')\)"
grep_out "  ... and biofed refuses it too (every reader of biofed.conf)" \
	"$CONF:$dup: duplicate section \[node\]" bf a roster list
restore
first=$(line_of '^slug = ')
sed -i "s|^slug = .*|&\nslug = other|" "$CONF"
refused "a second slug = line is refused with file:line" \
	"$CONF:$((first + 1)): duplicate option node.slug \(first set at line $first\)"
restore
first=$(line_of '^level = ')
sed -i "s|^level = .*|&\nlevel = debug|" "$CONF"
refused "a second log level is refused with file:line" \
	"$CONF:$((first + 1)): duplicate option log.level \(first set at line $first\)"
restore
sed -i "s|^;peer = .*|peer = tls+tcp://127.0.0.1:1\npeer = tls+tcp://127.0.0.1:2|" "$CONF"
nodecheck
[ $rc -eq 0 ] && printf '%s\n' "$out" | grep -q "federation.peer: 2 to dial" &&
	ok "peer lines repeat: two peers to dial" || fail "peer lines repeat" "$out"
restore

nodecheck
[ $rc -eq 0 ] && ok "restored, the node checks out again" || fail "restored, the node checks out again" "$out"

# --- the command line ------------------------------------------------------------------
out=$("$BIOFEDD" --help 2>/dev/null); rc=$?
[ $rc -eq 0 ] && printf '%s\n' "$out" | grep -q '^usage: biofedd ' &&
	printf '%s\n' "$out" | grep -q -- '--check' &&
	ok "biofedd --help: usage on stdout, exit 0" || fail "biofedd --help (exit $rc)" "$out"
want=$("$BIOFED" --version | sed 's/^biofed //')
out=$("$BIOFEDD" --version 2>/dev/null); rc=$?
[ $rc -eq 0 ] && [ "$out" = "biofedd $want" ] &&
	ok "biofedd --version: \"$out\", the project's version, exit 0" || fail "biofedd --version (exit $rc)" "$out"
"$BIOFEDD" --frobnicate >"$T/u.out" 2>"$T/u.err"; rc=$?
[ $rc -eq 2 ] && grep -q '^usage: biofedd' "$T/u.err" && [ ! -s "$T/u.out" ] &&
	ok "an unknown option: usage on stderr, exit 2" || fail "an unknown option (exit $rc)" "$(cat "$T/u.err")"
"$BIOFEDD" -d "$T/a" extra >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] && ok "an extra argument: exit 2" || fail "an extra argument (exit $rc)"
grep -Eq '^ExecStartPre=.*/biofedd -n -d /var/lib/biofed$' "$ROOT/deploy/biofedd.service" &&
	ok "the unit runs biofedd -n before it starts the node" ||
	fail "the unit runs biofedd -n before it starts the node"
