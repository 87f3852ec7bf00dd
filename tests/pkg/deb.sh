#!/bin/sh
# The Debian package, built and installed as a machine would have it:
#
#   1. dpkg-buildpackage -us -uc -b in a copy of the tree (nothing lands in
#      the tree's top level); the .deb, .changes, build log and lintian
#      report go to $BUILD/deb;
#   2. lintian on the .changes and the .deb: no error;
#   3. dpkg --root into an empty root whose dpkg database holds only the
#      packages the .deb depends on, copied from this machine's database
#      (so Depends is checked, not forced).  The maintainer scripts run for
#      real, outside a chroot (--force-script-chrootless: the root has no
#      shell), with DPKG_ROOT pointing at the root, as debhelper's snippets
#      and systemd-sysusers, systemd-tmpfiles and deb-systemd-helper
#      support;
#   4. what the postinst did: the user biofed (a system user, home
#      /var/lib/biofed), then /var/lib/biofed 0700 biofed:biofed, and the
#      service neither enabled nor started;
#   5. every path the FILES sections of the installed man pages name is
#      there, and every file the package installs is named by one (docs
#      and the pages themselves aside); the pages render without warnings;
#   6. systemd-analyze verify of the installed unit, in a copy of the root
#      that also holds what a Debian machine has and the unit names
#      (systemd's own units, /bin/kill of procps), with the installed man
#      pages for its Documentation=;
#   7. the node set up as the manual says, as the service user (its uid
#      from the root's passwd): biofed init in /var/lib/biofed, the
#      coordinator's roster add of itself, then biofedd -n; init creates
#      only files biofed(1) lists;
#   8. purge removes the package's files and keeps the node's directory.
#
# Runs as root (dpkg --root, chown, setpriv), offline, in about a minute
# on two cores (the package build is most of it): too long for make check,
# so CI runs it on its own.  Needs: debhelper scdoc lintian man-db systemd
# and the build dependencies (debian/control).
#
#   tests/pkg/deb.sh                 everything above; "ok"/"not ok" lines
#   tests/pkg/deb.sh --build-only    steps 1 and 2 (make deb)
set -u
mode=${1:-all}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
OUT=$ROOT/$BUILD/deb
W=$(mktemp -d /tmp/biofed-deb.XXXXXX)
[ -n "${BB_KEEP:-}" ] || trap 'rm -rf "$W"' EXIT
n=0
failed=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
fail() {
	n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"
	[ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/#   /'
	return 0
}
# a step the rest depends on: stop here when it fails
must() { fail "$@"; echo "# stopping: the next steps need this one"; exit 1; }
# pass "description" command...: ok when the command succeeds
pass() {
	desc=$1; shift
	if out=$("$@" 2>&1); then ok "$desc"; else fail "$desc" "$out"; fi
}

if [ "$mode" != --build-only ] && [ "$(id -u)" -ne 0 ]; then
	echo "# tests/pkg/deb.sh must run as root (dpkg --root, chown, setpriv)"
	exit 1
fi
missing=
for t in dpkg-buildpackage dh scdoc lintian man groff systemd-analyze \
	systemd-sysusers systemd-tmpfiles setpriv; do
	command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
done
[ -z "$missing" ] || must "tools present" "missing:$missing"

# --- 1. build in a copy ------------------------------------------------------
version=$(sed -n 's/^#define BF_VERSION "\(.*\)"$/\1/p' "$ROOT/src/util.h")
debver=$(dpkg-parsechangelog -l "$ROOT/debian/changelog" -S Version)
[ "$version" = "$debver" ] && ok "debian/changelog is at the version biofed prints ($version)" ||
	fail "debian/changelog is at the version biofed prints" \
		"src/util.h: $version, debian/changelog: $debver"

mkdir -p "$W/biofed-$version" "$OUT"
rm -f "$OUT"/*.deb "$OUT"/*.changes "$OUT"/*.buildinfo
if git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
	# what git knows of, with the working tree's edits, without builds
	(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard |
		tar --null --ignore-failed-read -T - -cf -) |
		tar -C "$W/biofed-$version" -xf -
else
	tar -C "$ROOT" --exclude=./build --exclude='./build-*' -cf - . |
		tar -C "$W/biofed-$version" -xf -
fi
if (cd "$W/biofed-$version" &&
	DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:-parallel=$(nproc)}" \
		dpkg-buildpackage -us -uc -b) >"$OUT/build.log" 2>&1; then
	ok "dpkg-buildpackage -us -uc -b builds in a copy of the tree"
else
	must "dpkg-buildpackage -us -uc -b" "$(tail -20 "$OUT/build.log")"
fi
mv "$W"/*.deb "$W"/*.changes "$W"/*.buildinfo "$OUT"/
deb=$(ls "$OUT"/biofed_"$version"_*.deb)
changes=$(ls "$OUT"/biofed_"$version"_*.changes)
[ -f "$deb" ] && ok "the package is $(basename "$deb")" || must "biofed .deb built"

# --- 2. lintian ------------------------------------------------------------
# the .changes takes in every .deb it lists; tags down to info go to the
# report, and only errors fail
lintian --fail-on error --display-info "$changes" >"$OUT/lintian.txt" 2>&1
rc=$?
sed -i '/running with root privileges is not recommended/d' "$OUT/lintian.txt"
if [ $rc -eq 0 ]; then
	ok "lintian: no error ($(grep -c '^W:' "$OUT/lintian.txt") warnings, $(grep -c '^I:' "$OUT/lintian.txt") info)"
else
	fail "lintian: no error" "$(grep -v '^N:' "$OUT/lintian.txt")"
fi
sed 's/^/# lintian: /' "$OUT/lintian.txt"
if [ "$mode" = --build-only ]; then
	echo "# $OUT: $(cd "$OUT" && ls | tr '\n' ' ')"
	[ $failed -eq 0 ]
	exit
fi

# --- 3. install into an empty root ------------------------------------------
R=$W/root
mkdir -p "$R/etc" "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" \
	"$R/var/lib/dpkg/triggers"
: >"$R/var/lib/dpkg/status"
: >"$R/var/lib/dpkg/available"
# the packages of Depends (each alternative this machine has), as installed
for p in $(dpkg-deb -f "$deb" Depends | tr ',|' '\n\n' |
	sed 's/(.*//; s/[[:space:]]//g' | sort -u); do
	st=$(dpkg-query -s "$p" 2>/dev/null) || continue
	printf '%s\n\n' "$st" >>"$R/var/lib/dpkg/status"
	set -- $(dpkg-query -W -f='${Architecture} ${Multi-Arch}' "$p")
	[ "${2:-}" = same ] && p="$p:$1"
	: >"$R/var/lib/dpkg/info/$p.list"
done
# the service user must reach the root's /var/lib/biofed (step 7)
chmod 0755 "$W" "$R"
dpkg_root() {
	dpkg --root="$R" --force-script-chrootless --log="$W/dpkg.log" "$@"
}
if out=$(dpkg_root -i "$deb" 2>&1); then
	ok "dpkg --root -i: unpacked, Depends met, postinst run"
	printf '%s\n' "$out" | sed 's/^/#   /'
else
	must "dpkg --root -i" "$out"
fi

# --- 4. what the maintainer scripts did ---------------------------------------
pw=$(grep '^biofed:' "$R/etc/passwd")
uid=$(echo "$pw" | cut -d: -f3)
gid=$(echo "$pw" | cut -d: -f4)
case $pw in
biofed:x:*:*:*:/var/lib/biofed:/usr/sbin/nologin)
	[ "$uid" -lt 1000 ] && ok "user biofed: system uid $uid, home /var/lib/biofed, no login" ||
		fail "user biofed has a system uid" "$pw" ;;
*) must "user biofed created with home /var/lib/biofed" "$pw" ;;
esac
st=$(stat -c '%a %u %g %F' "$R/var/lib/biofed" 2>&1)
[ "$st" = "700 $uid $gid directory" ] && ok "/var/lib/biofed: 0700 biofed:biofed" ||
	must "/var/lib/biofed: 0700 biofed:biofed" "$st"
post=$R/var/lib/dpkg/info/biofed.postinst
u=$(grep -n 'systemd-sysusers' "$post" | head -1 | cut -d: -f1)
d=$(grep -n 'systemd-tmpfiles' "$post" | head -1 | cut -d: -f1)
[ -n "$u" ] && [ -n "$d" ] && [ "$u" -lt "$d" ] &&
	ok "postinst creates the user (line $u) before the directory (line $d)" ||
	fail "postinst creates the user before the directory" "$(cat "$post")"
wants=$(find "$R/etc/systemd" -name 'biofedd.service' 2>/dev/null)
grep -q 'deb-systemd-invoke \(start\|restart\)\|enable biofedd\|systemctl .*start' "$post"
started=$?
[ -z "$wants" ] && [ $started -ne 0 ] &&
	ok "biofedd.service neither enabled nor started on installation" ||
	fail "biofedd.service neither enabled nor started" "$wants$(grep -n 'start\|enable' "$post")"

# --- 5. the man pages' FILES sections ----------------------------------------
# An entry is a line indented 7 columns that holds paths; descriptions are
# indented further.
man_files() {
	MANWIDTH=250 man -l "$1" 2>/dev/null | sed -n '/^FILES$/,/^[A-Z]/p' |
		grep -E '^ {7}/' | tr ',' '\n' | sed 's/^[[:space:]]*//; s/[[:space:]]*$//'
}
: >"$W/named"
for page in "$R"/usr/share/man/man*/*; do
	man_files "$page" >>"$W/named"
	name=$(basename "$page")
	warn=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$page" 2>&1 >/dev/null)
	warn=$warn$(zcat -f "$page" | groff -man -ww -z 2>&1)
	[ -z "$warn" ] && ok "$name renders without warnings" || fail "$name renders without warnings" "$warn"
done
sort -u -o "$W/named" "$W/named"
[ -s "$W/named" ] && ok "the man pages name $(wc -l <"$W/named") files" ||
	must "the man pages have FILES sections"
missing=
for f in $(grep -v '^/var/lib/biofed/' "$W/named"); do
	[ -e "$R$f" ] || [ -L "$R$f" ] || missing="$missing $f"
done
[ -z "$missing" ] && ok "every installed path the man pages name is in the root" ||
	fail "every installed path the man pages name is in the root" "missing:$missing"
unnamed=
for f in $(dpkg_root -L biofed); do
	[ -d "$R$f" ] && [ ! -L "$R$f" ] && continue
	case $f in
	/usr/share/man/*) continue ;;            # the pages themselves
	/usr/share/doc/biofed/copyright | /usr/share/doc/biofed/changelog*) continue ;;
	esac
	grep -qxF "$f" "$W/named" || unnamed="$unnamed $f"
done
[ -z "$unnamed" ] && ok "every file the package installs is in a FILES section" ||
	fail "every file the package installs is in a FILES section" "not named:$unnamed"

# --- 6. systemd-analyze verify ----------------------------------------------
V=$W/verify
cp -a "$R" "$V"
mkdir -p "$V/usr/lib/systemd"
cp -a /usr/lib/systemd/system "$V/usr/lib/systemd/"
unit=$(dpkg_root -L biofed | grep '/systemd/system/biofedd.service$')
# the programs of Exec*= lines that other packages provide (/bin/kill),
# as this machine has them; the package's own must be in the root already
for p in $(sed -n 's/^Exec[A-Za-z]*=[-@:+!]*\([^ ]*\).*/\1/p' "$R$unit" | sort -u); do
	dpkg_root -L biofed | grep -qxF "$p" && continue
	mkdir -p "$V$(dirname "$p")"
	cp "$p" "$V$p" 2>/dev/null # verify says so when it is missing
done
pass "systemd-analyze verify $unit (binaries, man pages of Documentation=)" \
	env MANPATH="$R/usr/share/man" systemd-analyze verify --root="$V" "$unit"
docs=$(sed -n 's/^Documentation=//p' "$R$unit" | tr ' ' '\n' | sed -n 's|^file:||p')
missing=
for f in $docs; do [ -f "$R$f" ] || missing="$missing $f"; done
[ -n "$docs" ] && [ -z "$missing" ] && ok "the unit's Documentation= files are installed ($docs)" ||
	fail "the unit's Documentation= files are installed" "missing:$missing"
pass "the unit runs biofedd from the package as the user biofed in /var/lib/biofed" \
	sh -c "grep -qx 'ExecStart=/usr/sbin/biofedd -d /var/lib/biofed' '$R$unit' &&
		grep -qx 'User=biofed' '$R$unit' && grep -qx 'StateDirectory=biofed' '$R$unit'"

# --- 7. the node set up as the manual says, as the service user --------------
as_biofed() { setpriv --reuid="$uid" --regid="$gid" --clear-groups -- "$@"; }
node=$R/var/lib/biofed
pass "the installed biofed prints version $version" \
	sh -c "'$R/usr/bin/biofed' --version | grep -qx 'biofed $version'"
if out=$(as_biofed "$R/usr/bin/biofed" --dir "$node" init --slug pkgtest \
	--name "Package test" --country ES --coordinator \
	--endpoint tls+tcp://127.0.0.1:7499 2>&1); then
	ok "as biofed: biofed --dir /var/lib/biofed init"
else
	must "as biofed: biofed --dir /var/lib/biofed init" "$out"
fi
unnamed=
for f in $(cd "$node" && ls -A); do
	# SQLite's write-ahead log and index sit beside the replica
	g=/var/lib/biofed/${f%-wal}
	g=${g%-shm}
	grep -qxF "$g" "$W/named" || unnamed="$unnamed $f"
done
[ -z "$unnamed" ] && ok "init creates only files biofed(1) lists" ||
	fail "init creates only files biofed(1) lists" "not named:$unnamed"
owners=$(find "$node" ! -uid "$uid" | head -3)
[ -z "$owners" ] && ok "the node's files belong to biofed" || fail "the node's files belong to biofed" "$owners"
# biofedd -n is what start-up checks: a coordinator's node listens once
# the roster has a member to accept, itself
pass "as biofed: the coordinator admits its own node" \
	as_biofed "$R/usr/bin/biofed" --dir "$node" roster add "$node/identity.json"
pass "as biofed: biofedd -n -d /var/lib/biofed passes its checks" \
	as_biofed "$R/usr/sbin/biofedd" -n -d "$node"
pass "the completion defines biofed and biofedd" \
	bash -c ". '$R/usr/share/bash-completion/completions/biofedd' &&
		complete -p biofed && complete -p biofedd"

# --- 8. purge -------------------------------------------------------------
dpkg_root -L biofed >"$W/files"
if out=$(dpkg_root -P biofed 2>&1); then ok "dpkg --root -P biofed"; else fail "dpkg --root -P biofed" "$out"; fi
left=
while read -r f; do
	[ -d "$R$f" ] && [ ! -L "$R$f" ] && continue
	[ -e "$R$f" ] || [ -L "$R$f" ] && left="$left $f"
done <"$W/files"
[ -z "$left" ] && ok "purge removes every file of the package" || fail "purge removes every file" "left:$left"
[ -f "$node/sign.key" ] && ok "purge keeps /var/lib/biofed (the node's keys and replica)" ||
	fail "purge keeps /var/lib/biofed"

echo "# $n checks, $failed failed; artefacts in $OUT"
[ $failed -eq 0 ]
