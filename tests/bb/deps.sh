#!/bin/sh
# deploy/deps.sh, black-box: in a private mount namespace (unshare -m) a
# few -dev headers, .pc files and a command are hidden, so the machine
# looks as if those packages were not installed.  As nobody the script
# must fail and print the apt-get install line naming exactly them; as
# root it must call apt-get install with exactly them (a fake apt-get that
# records its arguments: nothing is ever installed).  With nothing hidden
# it must say nothing and exit 0.
. "$(dirname "$0")/lib.sh"
DEPS="$ROOT/deploy/deps.sh"

# What is hidden and the packages that must be named for it
HIDDEN="libcmocka-dev libcsv-dev libjansson-dev libnng-dev sqlite3"

skip_all() { ok "deps.sh with packages hidden in a mount namespace # skip $1"; exit 0; }
[ "$(id -u)" -eq 0 ] || skip_all "needs root"
command -v unshare >/dev/null 2>&1 && unshare -m true 2>/dev/null ||
	skip_all "unshare -m is unavailable"
command -v setpriv >/dev/null 2>&1 || skip_all "setpriv is unavailable"
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

# a fake apt-get: records the frontend and its arguments, installs nothing
mkdir "$T/bin"
cat > "$T/bin/apt-get" <<EOF
#!/bin/sh
echo "DEBIAN_FRONTEND=\${DEBIAN_FRONTEND:-} \$*" >> "$T/apt-get.log"
EOF
chmod 755 "$T/bin/apt-get"
FAKE_PATH="$T/bin:$PATH"

# words PKG...: one sorted line, to compare sets of packages
words() { printf '%s\n' "$@" | sort | tr '\n' ' ' | sed 's/ $//'; }
# packages_of LINE: the package names on an apt-get install line
packages_of() {
	# shellcheck disable=SC2046 # one word per package, on purpose
	words $(printf '%s\n' "$1" | sed 's/.* install //' |
		tr ' ' '\n' | grep -v '^-' | grep .)
}

# --- nothing hidden -------------------------------------------------------------
out=$(PATH=$FAKE_PATH "$DEPS" check 2>&1); rc=$?
if [ $rc -eq 0 ] && [ -z "$out" ] && [ ! -e "$T/apt-get.log" ]; then
	ok "with every package installed, as root: exit 0, no output, no apt-get"
else
	fail "with every package installed, as root: exit 0, no output, no apt-get (rc=$rc)" \
		"$out$(cat "$T/apt-get.log" 2>/dev/null)"
fi
out=$(nobody "$DEPS" check 2>&1); rc=$?
[ $rc -eq 0 ] && [ -z "$out" ] && ok "with every package installed, as nobody: exit 0, no output" ||
	fail "with every package installed, as nobody: exit 0, no output (rc=$rc)" "$out"

# --- hidden ---------------------------------------------------------------------
# hide.sh COMMAND...: runs COMMAND in this mount namespace with the
# packages of HIDDEN made invisible; run under unshare -m, so the mounts
# end with it
: > "$T/empty"
chmod 644 "$T/empty"
# the pkg-config directory as it would be without jansson's and cmocka's
PCDIR=$(pkg-config --variable=pcfiledir jansson)
mkdir "$T/pc"
cp -a "$PCDIR/." "$T/pc/"
rm -f "$T/pc/jansson.pc" "$T/pc/cmocka.pc"
# exit 99: the hiding failed (no later check may count that as deps.sh's)
cat > "$T/hide.sh" <<EOF
# libnng-dev: nng ships no .pc file; deps.sh compiles against its header
mount -t tmpfs -o mode=755 none /usr/include/nng || exit 99
# libcsv-dev: its one header, empty
mount --bind "$T/empty" /usr/include/csv.h || exit 99
# libjansson-dev and libcmocka-dev: their .pc files (and jansson's header)
mount --bind "$T/empty" /usr/include/jansson.h || exit 99
mount --bind "$T/pc" "$PCDIR" || exit 99
# sqlite3: the command, replaced by an empty file that is not executable
mount --bind "$T/empty" "\$(command -v sqlite3)" || exit 99
# whatever PATH says, the real apt-get is not reachable in here
[ ! -e /usr/bin/apt-get ] || mount --bind "$T/bin/apt-get" /usr/bin/apt-get || exit 99
[ ! -e /usr/include/nng/nng.h ] && ! pkg-config --exists jansson &&
	! pkg-config --exists cmocka && ! command -v sqlite3 >/dev/null || exit 99
exec "\$@"
EOF
hidden() { unshare -m sh "$T/hide.sh" "$@"; }

if ! out=$(hidden true 2>&1); then
	fail "packages can be hidden in a mount namespace" "$out"
	exit 1
fi

out=$(hidden setpriv --reuid=65534 --regid=65534 --clear-groups "$DEPS" check 2>&1); rc=$?
line=$(printf '%s\n' "$out" | grep 'apt-get install' | tail -1)
[ $rc -ne 0 ] && [ $rc -ne 99 ] && ok "as nobody, with packages missing: exit status $rc" ||
	fail "as nobody, with packages missing: non-zero exit status" "$out"
[ "$(packages_of "$line")" = "$HIDDEN" ] &&
	ok "as nobody: it prints the line that installs exactly the missing packages ($(packages_of "$line"))" ||
	fail "as nobody: it prints the line that installs exactly $HIDDEN" "$out"
grep_out "as nobody: it says what is missing" \
	'missing: .*jansson.*nng.*csv.*cmocka.*sqlite3' printf '%s\n' "$out"
[ ! -e "$T/apt-get.log" ] && ok "as nobody: it runs no apt-get" ||
	fail "as nobody: it runs no apt-get" "$(cat "$T/apt-get.log")"

out=$(hidden env PATH="$FAKE_PATH" "$DEPS" check 2>&1); rc=$?
inst=$(grep ' install ' "$T/apt-get.log" 2>/dev/null | head -1)
if [ "$(packages_of "$inst")" = "$HIDDEN" ] &&
	printf '%s\n' "$inst" | grep -q '^DEBIAN_FRONTEND=noninteractive install -y --no-install-recommends '; then
	ok "as root: apt-get install -y --no-install-recommends with exactly the missing packages, noninteractive"
else
	fail "as root: apt-get install -y --no-install-recommends $HIDDEN" \
		"apt-get calls: $(cat "$T/apt-get.log" 2>/dev/null)
$out"
fi
# the fake installed nothing: deps.sh must notice and fail
[ $rc -eq 1 ] && printf '%s\n' "$out" | grep -q 'still missing after apt-get install' &&
	ok "as root: still missing after apt-get install is an error" ||
	fail "as root: still missing after apt-get install is an error (rc=$rc)" "$out"

rm -f "$T/apt-get.log"
out=$(hidden env PATH="$FAKE_PATH" FAKEROOTKEY=1 "$DEPS" check 2>&1); rc=$?
if [ $rc -eq 1 ] && [ ! -e "$T/apt-get.log" ] &&
	[ "$(packages_of "$(printf '%s\n' "$out" | grep 'apt-get install' | tail -1)")" = "$HIDDEN" ]; then
	ok "under fakeroot: it prints the apt-get line and installs nothing"
else
	fail "under fakeroot: it prints the apt-get line and installs nothing (rc=$rc)" \
		"$out$(cat "$T/apt-get.log" 2>/dev/null)"
fi

out=$(hidden env PATH="$FAKE_PATH" "$DEPS" build 2>&1); rc=$?
inst=$(grep ' install ' "$T/apt-get.log" 2>/dev/null | head -1)
[ "$(packages_of "$inst")" = "libcsv-dev libjansson-dev libnng-dev" ] &&
	ok "profile build: only the build's packages ($(packages_of "$inst"))" ||
	fail "profile build: only libcsv-dev libjansson-dev libnng-dev" "$inst
$out"
