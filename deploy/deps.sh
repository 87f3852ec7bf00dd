#!/bin/sh
# What building, testing and CI need on Debian 12: checked, mapped to the
# Debian packages that provide it, and installed when run as root.  The one
# list used by `make demo`, `make check` and .ci/run.
#
#   deploy/deps.sh [--no-install] PROFILE...   check (and, as root, install)
#   deploy/deps.sh --list PROFILE...           print the profiles' packages
#
# Profiles (each includes build):
#   build     compile biofed and biofedd, run the demo (make, make demo)
#   check     build + what make check runs: cmocka, sqlite3, openssl, python3
#             with the Prometheus text parser
#   ci        check + what .ci/run adds: make itself, clang with its runtime
#             (sanitizers, libFuzzer for make fuzz), debootstrap (the bare
#             Debian root of tests/pkg/bare.sh), git and clang-format
#             (tests/tools/format-check.sh)
#   package   build + the tools of the Debian package build
#
# Silent, exit 0, when everything is there: it runs before every
# make check.  Otherwise, as root, it runs apt-get install -y
# --no-install-recommends with exactly the missing packages (apt-get update
# first when the package lists do not know one of them) and checks again.
# As any other user, under fakeroot or with --no-install it prints the
# apt-get install line that names exactly the missing packages and exits 1.
# Exit 2: usage error.
set -eu

# One line per need: profile, how it is checked, what is checked, the
# Debian package that provides it.  How:
#   cmd    an executable on PATH (command -v)
#   pc     a pkg-config module (pkg-config --exists)
#   probe  a small program compiled and linked with the C compiler (see
#          probe() below): Debian 12's libnng-dev ships only a CMake
#          config and libcsv-dev only a header and the library, no .pc
#          file, so asking the compiler is what proves that the header
#          is found and the library links.
#   py     a module of Debian's own python3 (/usr/bin/python3 -c 'import
#          M'): the tests that need one run that interpreter, not
#          whichever python3 comes first on PATH
# When the checking tool itself is missing (no pkg-config, no working
# compiler), the package is looked up in dpkg's database instead.
NEEDS='
build    cmd    CC                   gcc
build    probe  libc                 libc6-dev
build    cmd    ar                   binutils
build    cmd    pkg-config           pkg-config
build    pc     sqlite3              libsqlite3-dev
build    pc     libssl               libssl-dev
build    pc     libcrypto            libssl-dev
build    pc     jansson              libjansson-dev
build    pc     libcurl              libcurl4-openssl-dev
build    pc     inih                 libinih-dev
build    pc     libsystemd           libsystemd-dev
build    probe  nng                  libnng-dev
build    probe  csv                  libcsv-dev
check    pc     cmocka               libcmocka-dev
check    cmd    sqlite3              sqlite3
check    cmd    openssl              openssl
check    cmd    python3              python3
check    py     prometheus_client    python3-prometheus-client
ci       cmd    make                 make
ci       cmd    clang                clang
ci       probe  libfuzzer            libclang-rt-14-dev
ci       cmd    debootstrap          debootstrap
ci       cmd    git                  git
ci       cmd    git-clang-format     clang-format
package  cmd    scdoc                scdoc
package  cmd    dh                   debhelper
package  cmd    dpkg-buildpackage    dpkg-dev
package  cmd    lintian              lintian
package  cmd    fakeroot             fakeroot
package  cmd    systemd-analyze      systemd
'

me=deploy/deps.sh
usage() {
	echo "usage: $me [--no-install | --list] build|check|ci|package..." >&2
	exit 2
}

# The C compiler the Makefile uses ($CC, else cc); its first word when
# CC carries options.
CC=${CC:-cc}
cc_cmd=${CC%% *}
cc_package() {
	case ${cc_cmd##*/} in
	clang*) echo clang ;;
	*) echo gcc ;; # cc, gcc, gcc-12: Debian's gcc provides cc
	esac
}

# installed PACKAGE: dpkg says it is installed (the fallback check)
installed() {
	[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

# probe NAME: compiles and links NAME's test program; 0 if it builds
probe() {
	case $1 in
	libc)
		compiler=$CC libs=""
		prog='#include <stdio.h>
int main(void) { return puts("") < 0; }' ;;
	nng)
		compiler=$CC libs=-lnng
		prog='#include <nng/nng.h>
int main(void) { return nng_version()[0] == 0; }' ;;
	csv)
		compiler=$CC libs=-lcsv
		prog='#include <csv.h>
int main(void) { struct csv_parser p; return csv_init(&p, 0); }' ;;
	libfuzzer)
		compiler="clang -fsanitize=fuzzer,address,undefined" libs=""
		prog='#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }' ;;
	*) echo "$me: no probe named $1" >&2; exit 2 ;;
	esac
	# $compiler unquoted on purpose: a command and its options
	printf '%s\n' "$prog" | $compiler -x c - -o /dev/null $libs >/dev/null 2>&1
}

# probe_what NAME: what that probe proves, for messages
probe_what() {
	case $1 in
	libc) echo "the C library's headers (stdio.h)" ;;
	nng) echo "nng (nng/nng.h, -lnng)" ;;
	csv) echo "libcsv (csv.h, -lcsv)" ;;
	libfuzzer) echo "clang's libFuzzer and sanitizer runtime" ;;
	esac
}

# The compiler works only with the C library's headers; until then a
# failed probe says nothing about nng or libcsv.
cc_ok=
compiler_works() {
	if [ -z "$cc_ok" ]; then
		cc_ok=no
		command -v "$cc_cmd" >/dev/null 2>&1 && probe libc && cc_ok=yes
	fi
	[ "$cc_ok" = yes ]
}

# present HOW WHAT PACKAGE: 0 when that need is met
present() {
	case $1 in
	cmd)
		[ "$2" = CC ] && set -- cmd "$cc_cmd" "$3"
		command -v "$2" >/dev/null 2>&1 ;;
	py)
		[ -x /usr/bin/python3 ] && /usr/bin/python3 -c "import $2" >/dev/null 2>&1 ;;
	pc)
		if command -v pkg-config >/dev/null 2>&1; then
			pkg-config --exists "$2"
		else
			installed "$3"
		fi ;;
	probe)
		case $2 in
		libc)
			if command -v "$cc_cmd" >/dev/null 2>&1; then probe libc; else installed "$3"; fi ;;
		libfuzzer)
			# clang finds the same C headers as cc
			if command -v clang >/dev/null 2>&1 && compiler_works; then
				probe libfuzzer
			else
				installed "$3"
			fi ;;
		*)
			if compiler_works; then probe "$2"; else installed "$3"; fi ;;
		esac ;;
	esac
}

# profiles_of PROFILE: the profiles whose needs PROFILE includes
profiles_of() {
	case $1 in
	build) echo build ;;
	check) echo build check ;;
	ci) echo build check ci ;;
	package) echo build package ;;
	esac
}

mode=install
case ${1:-} in
--no-install) mode=print; shift ;;
--list) mode=list; shift ;;
-*) usage ;;
esac
[ $# -ge 1 ] || usage
wanted=" "
for p in "$@"; do
	case $p in
	build | check | ci | package) ;;
	*) echo "$me: unknown profile \"$p\"" >&2; usage ;;
	esac
	for q in $(profiles_of "$p"); do
		case $wanted in *" $q "*) ;; *) wanted="$wanted$q " ;; esac
	done
done
# only root installs; under fakeroot the uid is 0 but apt-get would fail
if [ "$mode" = install ] && { [ "$(id -u)" -ne 0 ] || [ -n "${FAKEROOTKEY:-}" ]; }; then
	mode=print
fi

# missing: two lines, the packages for the needs not met (in table order,
# each once) and what those needs are, for the message.  With --list:
# every package of the profiles.
missing() {
	pkgs=" " what=""
	printf '%s\n' "$NEEDS" | {
		while read -r prof how name pkg; do
			[ -n "$prof" ] || continue
			case $wanted in *" $prof "*) ;; *) continue ;; esac
			[ "$name" = CC ] && pkg=$(cc_package)
			if [ "$mode" = list ] || ! present "$how" "$name" "$pkg"; then
				[ "$name" = CC ] && name=$cc_cmd
				case $how in
				cmd) what="$what, command $name" ;;
				pc) what="$what, pkg-config module $name" ;;
				probe) what="$what, $(probe_what "$name")" ;;
				esac
				case $pkgs in *" $pkg "*) ;; *) pkgs="$pkgs$pkg " ;; esac
			fi
		done
		printf '%s\n%s\n' "${pkgs# }" "${what#, }"
	}
}

result=$(missing)
pkgs=$(printf '%s\n' "$result" | sed -n 1p)
what=$(printf '%s\n' "$result" | sed -n 2p)
pkgs=${pkgs% }
if [ "$mode" = list ]; then
	echo "$pkgs"
	exit 0
fi
[ -n "$pkgs" ] || exit 0

if [ "$mode" = print ]; then
	echo "$me: missing: $what" >&2
	echo "$me: install the Debian packages as root:" >&2
	echo "    apt-get install --no-install-recommends $pkgs" >&2
	echo "$me: (run as root, it installs them itself)" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "$me: missing: $what" >&2
# package lists that do not know one of them (a fresh machine has none):
# apt-cache exits non-zero when any name is unknown
if ! apt-cache show --no-all-versions $pkgs >/dev/null 2>&1; then
	echo "$me: apt-get update" >&2
	apt-get update
fi
echo "$me: apt-get install -y --no-install-recommends $pkgs" >&2
# $pkgs unquoted on purpose: one argument per package
if ! apt-get install -y --no-install-recommends $pkgs; then
	# lists older than the archive name files that are gone: once more
	apt-get update
	apt-get install -y --no-install-recommends $pkgs
fi
result=$(missing)
pkgs=$(printf '%s\n' "$result" | sed -n 1p)
if [ -n "${pkgs% }" ]; then
	echo "$me: still missing after apt-get install: $(printf '%s\n' "$result" | sed -n 2p)" >&2
	exit 1
fi
