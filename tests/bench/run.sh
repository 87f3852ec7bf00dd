#!/bin/sh
# Runs every benchmark; each prints what it measured.
BUILD=${BUILD:-build}
set -e
for b in "$BUILD"/bench/*; do
	[ -x "$b" ] || continue
	echo "== $(basename "$b")"
	"$b"
done
