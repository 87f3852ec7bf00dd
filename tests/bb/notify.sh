#!/bin/sh
# biofedd's start-up, black-box, under a stand-in for systemd's
# notification socket (NOTIFY_SOCKET, a Unix datagram socket held by a
# small python3 listener): a node that cannot listen, or lacks a key, or
# whose biofed.conf is refused, exits non-zero without ever sending
# READY=1, and says why; a good node sends READY=1 once it listens.  A
# second biofedd on a running node's directory is refused too.  Every
# process is stopped by its pid.
. "$(dirname "$0")/lib.sh"
BIOFEDD="$ROOT/$BUILD/biofedd"
PY=$(python3 -c 'import sys; print(sys.executable)')

cleanup() {
	for f in "$T"/*.pid; do
		[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
	done
	[ -n "$BB_KEEP" ] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# wait_for FILE PATTERN MS: until FILE has a line matching PATTERN
wait_for() {
	t0=$(now_ms)
	until grep -Eq -- "$2" "$1" 2>/dev/null; do
		[ $(($(now_ms) - t0)) -gt "$3" ] && return 1
		sleep 0.05
	done
}

# the stand-in for systemd: every datagram, one line each
"$PY" -S -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("listening", flush=True)
while True:
    for line in s.recv(4096).decode().splitlines():
        print(line, flush=True)' "$T/notify.sock" > "$T/notify.out" 2>&1 &
echo $! > "$T/notify.pid"
wait_for "$T/notify.out" '^listening$' 10000 || { fail "the notification listener starts" "$(cat "$T/notify.out")"; exit 1; }

PORT=$(free_port)
A=navarrabiomed
bf a init --slug $A --name "Navarrabiomed" --country ES \
	--endpoint "tls+tcp://127.0.0.1:$PORT" --coordinator >/dev/null &&
	bf a roster add "$T/a/identity.json" >/dev/null || { fail "a node is set up"; exit 1; }
CONF="$T/a/biofed.conf"
cp -p "$CONF" "$T/a.conf"

# start_daemon NAME: biofedd on node a in the background, notifying the
# stand-in; its pid in $T/NAME.pid, its log in $T/NAME.log; the notify
# output from here on is what it said
start_daemon() {
	wc -c < "$T/notify.out" > "$T/$1.mark"
	NOTIFY_SOCKET="$T/notify.sock" LD_PRELOAD="${BIND_SHIM:-}" "$BIOFEDD" -d "$T/a" \
		</dev/null >"$T/$1.log" 2>&1 &
	echo $! > "$T/$1.pid"
}
# said NAME: what the daemon NAME sent to the notification socket
said() { tail -c +"$(($(cat "$T/$1.mark") + 1))" "$T/notify.out"; }
# exits NAME MS: waits for it to exit (at most MS); sets rc (124: did not)
exits() {
	pid=$(cat "$T/$1.pid"); t0=$(now_ms)
	while kill -0 "$pid" 2>/dev/null; do
		if [ $(($(now_ms) - t0)) -gt "$2" ]; then rc=124; return 1; fi
		sleep 0.05
	done
	wait "$pid"; rc=$?
	rm -f "$T/$1.pid"
}
# refused_start "description" NAME LOGPATTERN: the daemon exits 1, logs
# LOGPATTERN, and never sends READY=1
refused_start() {
	start_daemon "$2"
	exits "$2" 15000
	sleep 0.2 # a datagram in flight reaches the listener
	if [ "$rc" -ne 1 ]; then
		fail "$1: exit status 1 (got $rc)" "$(cat "$T/$2.log")"
		[ "$rc" = 124 ] && kill "$(cat "$T/$2.pid")" 2>/dev/null && rm -f "$T/$2.pid"
	elif said "$2" | grep -q '^READY=1'; then
		fail "$1: no READY=1" "$(said "$2")"
	elif ! grep -Eq -- "$3" "$T/$2.log"; then
		fail "$1: the log says why" "$(cat "$T/$2.log")"
	else
		ok "$1: exit 1, no READY=1, $(grep -Eo -- "$3" "$T/$2.log" | head -1)"
	fi
}

# --- refused starts -----------------------------------------------------------
"$PY" -S -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen()
print("bound", flush=True); time.sleep(60)' "$PORT" > "$T/blocker.out" 2>&1 &
echo $! > "$T/blocker.pid"
wait_for "$T/blocker.out" '^bound$' 10000 || fail "a process holds the port" "$(cat "$T/blocker.out")"
refused_start "the port in use" inuse \
	"listen-failed reason=\".*node.endpoint tls\+tcp://127.0.0.1:$PORT: cannot listen: the port is in use"
grep_out "  ... and systemd's status line says why" "^STATUS=.*refused to start" said inuse
kill "$(cat "$T/blocker.pid")" 2>/dev/null; wait "$(cat "$T/blocker.pid")" 2>/dev/null; rm -f "$T/blocker.pid"

mv "$T/a/tls.key" "$T/tls.key.bak"
refused_start "tls.key missing" nokey "startup-refused reason=\"$T/a/tls.key: No such file or directory"
mv "$T/tls.key.bak" "$T/a/tls.key"

printf '\n[node]\nslug = other\n' >> "$CONF"
refused_start "a second [node] section" dupnode \
	"startup-refused reason=\"$CONF:[0-9]+: duplicate section \[node\]"
cp -p "$T/a.conf" "$CONF"

chmod o+w "$CONF"
refused_start "biofed.conf writable by others" confmode \
	"startup-refused reason=\"$CONF: writable by group or others"
chmod o-w "$CONF"

# The listener itself fails after the checks passed (the port taken in
# between): a bind() shim lets the check's bind through and fails nng's.
# (Without a C compiler, or under the sanitizers, whose runtime must come
# first, the shim is not loaded and this case is skipped.)
cat > "$T/bindfail.c" <<'EOF'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <sys/socket.h>
/* TCP binds after the first fail with EADDRINUSE */
int bind(int fd, const struct sockaddr *sa, socklen_t len)
{
	static int (*real)(int, const struct sockaddr *, socklen_t);
	static int tcp;
	if (!real)
		real = (int (*)(int, const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "bind");
	if ((sa->sa_family == AF_INET || sa->sa_family == AF_INET6) && tcp++ > 0) {
		errno = EADDRINUSE;
		return -1;
	}
	return real(fd, sa, len);
}
EOF
case $BUILD in *san*) shim="" ;; *) shim=$T/bindfail.so ;; esac
if [ -n "$shim" ] && cc -shared -fPIC -o "$shim" "$T/bindfail.c" -ldl 2>/dev/null; then
	BIND_SHIM=$shim
	refused_start "nng cannot listen after the checks passed" nnglisten \
		"listen-failed url=tls\+tcp://127.0.0.1:$PORT reason=\"Address in use\""
	BIND_SHIM=
	grep_out "  ... and systemd's status line names the endpoint" \
		"^STATUS=cannot listen on tls\+tcp://127.0.0.1:$PORT: Address in use" said nnglisten
	grep_out "  ... it stopped what it had started" "stopped applied=0 rejected=0 status=1" \
		cat "$T/nnglisten.log"
	[ -e "$T/a/control.sock" ] && fail "  ... and left no control socket" ||
		ok "  ... and left no control socket"
else
	ok "nng cannot listen after the checks passed # skip: no bind() shim here"
fi

# --- a good start -------------------------------------------------------------
start_daemon good
if wait_for "$T/notify.out" '^READY=1$' 15000 && said good | grep -q '^READY=1$'; then
	ok "a good node sends READY=1"
else
	fail "a good node sends READY=1" "$(said good; cat "$T/good.log")"
fi
pre=$(grep -n 'info listening url=' "$T/good.log" | head -1 | cut -d: -f1)
st=$(grep -n 'info started node=' "$T/good.log" | head -1 | cut -d: -f1)
[ -n "$pre" ] && [ -n "$st" ] && [ "$pre" -lt "$st" ] &&
	ok "  ... after it listens on tls+tcp://127.0.0.1:$PORT" || fail "  ... after it listens" "$(cat "$T/good.log")"
grep_out "  ... and biofed status reaches it" "listener listening tls\+tcp://127.0.0.1:$PORT" bf a status
out=$("$BIOFEDD" -n -d "$T/a" 2>&1); rc=$?
if [ $rc -eq 0 ] && printf '%s\n' "$out" | grep -q "held by the running biofedd (pid $(cat "$T/good.pid"))"; then
	ok "biofedd -n beside the running node: its port is held by it, not a problem"
else
	fail "biofedd -n beside the running node (exit $rc)" "$out"
fi
refused_start "a second biofedd on the running node's directory" second \
	"startup-refused reason=\"another biofedd \(pid $(cat "$T/good.pid")\) already runs for $T/a"
kill -0 "$(cat "$T/good.pid")" 2>/dev/null && ok "  ... and the first one still runs" ||
	fail "  ... and the first one still runs"
grep_out "  ... its control socket untouched" "node $A \(pid $(cat "$T/good.pid")" bf a status
kill -TERM "$(cat "$T/good.pid")"
exits good 15000
[ "$rc" -eq 0 ] && ok "SIGTERM: exit 0" || fail "SIGTERM: exit 0 (got $rc)" "$(cat "$T/good.log")"
seen=$(said good | tr '\n' ' ')
case $seen in
*READY=1*STOPPING=1*) ok "  ... STOPPING=1 after READY=1" ;;
*) fail "  ... STOPPING=1 after READY=1" "$seen" ;;
esac
