#!/bin/sh
# The README's two commands on a bare Debian 12, for real: debootstrap
# makes a minimal bookworm root (no compiler, no make, no -dev package),
# and in a chroot there, as root:
#
#   1. apt-get install make (all the README asks for), then `make demo`
#      and `make check` exactly as written: the dependency step must
#      install everything else;
#   2. when tests/pkg/deb.sh has built the package ($BUILD/deb/*.deb),
#      apt-get installs it into that root, which resolves its Depends from
#      the Debian mirror: both programs answer --version, the user biofed
#      and /var/lib/biofed (0700) exist, and the man pages are there.
#
# Needs root, debootstrap and Debian's mirror ($BARE_MIRROR, default
# http://deb.debian.org/debian); about four minutes on two cores, most of
# it make check.  CI runs it after deb.sh; prints "ok"/"not ok" lines and
# exits 1 when one failed.
#
#   tests/pkg/bare.sh            everything above
#   KEEP=1 tests/pkg/bare.sh     keeps the root (its path is printed)
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
MIRROR=${BARE_MIRROR:-http://deb.debian.org/debian}
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
fail() {
	n=$((n + 1)); failed=1; echo "not ok $n - $1"
	[ -n "${2:-}" ] && printf '%s\n' "$2" | tail -n 30 | sed 's/^/#   /'
}

[ "$(id -u)" = 0 ] || { echo "bare.sh: needs root (debootstrap, chroot)" >&2; exit 2; }
command -v debootstrap >/dev/null ||
	{ echo "bare.sh: needs debootstrap (apt-get install debootstrap)" >&2; exit 2; }

R=$(mktemp -d /var/tmp/biofed-bare.XXXXXX)
mounted=""
cleanup() {
	for m in $mounted; do umount -l "$R/$m" 2>/dev/null; done
	if [ -n "${KEEP:-}" ]; then echo "kept $R"; else rm -rf "$R"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
# in ARGS...: a command in the chroot, with a clean environment
in_root() {
	chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}

if ! out=$(debootstrap --variant=minbase bookworm "$R" "$MIRROR" 2>&1); then
	fail "debootstrap of a minimal bookworm from $MIRROR" "$out"
	exit 1
fi
for m in proc dev dev/pts; do
	mount --bind "/$m" "$R/$m" && mounted="$m $mounted"
done
mount -t tmpfs tmpfs "$R/tmp" && mounted="tmp $mounted"
cp /etc/resolv.conf "$R/etc/resolv.conf" 2>/dev/null
if in_root sh -c 'command -v make || command -v cc || command -v pkg-config' >/dev/null; then
	fail "the new root is bare (no make, cc or pkg-config)"
else
	ok "a minimal bookworm root without make, a compiler or pkg-config"
fi

# the tree as committed (a clean clone in CI), else as it is
mkdir -p "$R/root/biofed"
if [ -d "$ROOT/.git" ]; then
	git -C "$ROOT" archive HEAD | tar -x -C "$R/root/biofed"
else
	(cd "$ROOT" && tar -c --exclude='./build*' .) | tar -x -C "$R/root/biofed"
fi

if out=$(in_root sh -c 'apt-get update -qq && apt-get install -y -qq make' 2>&1); then
	ok "apt-get install make: the one thing the README asks for"
else
	fail "apt-get install make" "$out"
	exit 1
fi
out=$(in_root sh -c 'cd /root/biofed && make demo' 2>&1)
rc=$?
if [ $rc = 0 ] && printf '%s\n' "$out" | grep -q "deploy/deps.sh: apt-get install" &&
	printf '%s\n' "$out" | grep -q "^demo done in"; then
	ok "make demo: the dependency step installed what it lacked, and the demo ran"
else
	fail "make demo on the bare root (exit $rc)" "$out"
fi
out=$(in_root sh -c 'cd /root/biofed && make check' 2>&1)
rc=$?
last=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -1)
if [ $rc = 0 ] && [ -n "$last" ] && [ "${last#* passed, }" = "0 failed" ]; then
	ok "make check on the bare root: $last"
else
	fail "make check on the bare root (exit $rc): ${last:-no summary}" \
		"$(printf '%s\n' "$out" | grep -A3 '^not ok\|^failing\|rror')"
fi

# the package, installed the way an administrator installs a local .deb
deb=$(ls "$ROOT/$BUILD"/deb/biofed_*.deb 2>/dev/null | grep -v dbgsym | tail -1)
if [ -z "$deb" ]; then
	echo "# no $BUILD/deb/biofed_*.deb (tests/pkg/deb.sh builds it): package steps not run"
else
	cp "$deb" "$R/tmp/"
	if out=$(in_root sh -c "apt-get install -y -qq /tmp/$(basename "$deb")" 2>&1); then
		ok "apt-get install of $(basename "$deb") into the root"
	else
		fail "apt-get install of the package" "$out"
	fi
	v1=$(in_root /usr/bin/biofed --version 2>&1)
	v2=$(in_root /usr/sbin/biofedd --version 2>&1)
	case "$v1|$v2" in
	biofed\ *\|biofedd\ *) ok "the installed biofed and biofedd run: $v1, $v2" ;;
	*) fail "the installed programs run" "$v1
$v2" ;;
	esac
	st=$(in_root stat -c '%a %U %G' /var/lib/biofed 2>&1)
	sh_=$(in_root getent passwd biofed | cut -d: -f6)
	[ "$st" = "700 biofed biofed" ] && [ "$sh_" = /var/lib/biofed ] &&
		ok "user biofed (home /var/lib/biofed) and /var/lib/biofed 0700 biofed:biofed" ||
		fail "user and node directory" "stat: $st; home: $sh_"
	miss=""
	for p in man1/biofed.1 man5/biofed.conf.5 man8/biofedd.8; do
		ls "$R/usr/share/man/$p"* >/dev/null 2>&1 || miss="$miss $p"
	done
	[ -z "$miss" ] && ok "the man pages are installed" || fail "man pages missing:$miss"
fi
exit $failed
