#!/bin/sh
# bash completion of biofed and biofedd (deploy/biofed.bash-completion):
# what it offers for a command line, compared exactly.
. "$(dirname "$0")/lib.sh"

if ! command -v bash >/dev/null 2>&1; then
	echo "# no bash: completion not checked"
	exit 0
fi
mkdir -p "$T/node" "$T/files"
printf '[node]\nslug = x\n\n[source cordis]\nurl = https://a.example/p.csv\n[ source interreg ]\n' \
	>"$T/node/biofed.conf"
: >"$T/files/Collections.csv"
: >"$T/files/Biobanks.csv"

# completes "expected words" WORD...: the candidates for the last WORD of
# the command line WORD..., sorted (C locale), must be exactly the expected
# ones
completes() {
	want=$1; shift
	got=$(LC_ALL=C BIOFED_DIR= HOME="$T/home" XDG_DATA_HOME= bash -c '
		. "$0"
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=()
		"_${1}"
		printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' \
		"$ROOT/deploy/biofed.bash-completion" "$@" 2>&1 | sed 's/ $//')
	if [ "$got" = "$want" ]; then ok "[$*] completes to: $want"; else
		fail "[$*] completes to: $want" "got: $got"; fi
}

completes "roster" biofed ro
completes "samples search sql status" biofed s
completes "roster" biofed --dir /tmp ro
completes "--dir --help --version" biofed -
completes "add key list revoke" biofed roster ""
completes "derive import" biofed samples ""
completes "export import vector" biofed changes ""
completes "biobanks collections facts groups networks projects samples services studies" biofed query ""
completes "--disease" biofed query collections --dis
completes "csv json table" biofed query facts --format ""
completes "json table" biofed status --format ""
completes "csv json" biofed publish --input-format ""
completes "comma pipe semicolon tab" biofed samples import x.csv --delimiter ""
completes "collection collection_fact" biofed publish --table coll
completes "collections" biofed search --table coll
completes "country institution institution-country material" biofed query facts --count-by ""
completes "$T/files/Biobanks.csv $T/files/Collections.csv" biofed publish --table collection "$T/files/"
completes "$T/files/Collections.csv" biofed publish --dry-run "$T/files/C"
completes "--clear-missing" biofed publish x.csv --cl
completes "--no-facts" biofed samples import --no
completes "" biofed publish --table collection x.csv ""
completes "cordis interreg" biofed --dir "$T/node" fetch ""
completes "interreg" biofed --dir "$T/node" fetch --force i
completes "query" biofed help q
completes "" biofed init --slug ""
completes "--coordinator --coordinator-key" biofed init --coord
completes "--check --dir --help --version -V -d -h -n" biofedd ""
completes "$T/node" biofedd -d "$T/no"
