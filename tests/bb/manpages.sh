#!/bin/sh
# The man pages and the bash completion keep up with the code: every
# command, sub-command and option of biofed (their getopt tables), every
# option of biofedd, every key of `biofed config` and every log event word
# is in the page that documents it, and the completion offers every
# command, sub-command and option.  With scdoc at hand, the pages also
# render without a groff warning.
. "$(dirname "$0")/lib.sh"

B1=$ROOT/man/biofed.1.scd
B8=$ROOT/man/biofedd.8.scd
B5=$ROOT/man/biofed.conf.5.scd
COMP=$ROOT/deploy/biofed.bash-completion

# names NAME... that FILE lacks, by the extended regexp PATTERN with the
# name in place of @: "missing_in FILE PATTERN NAME..."
missing_in() {
	f=$1; pat=$2; shift 2
	for w in "$@"; do
		p=$(printf '%s' "$pat" | sed "s|@|$w|")
		grep -Eq -- "$p" "$f" || printf ' %s' "$w"
	done
}
# check_none "description" MISSING: ok when MISSING is empty
check_none() {
	if [ -z "$2" ]; then ok "$1"; else fail "$1" "missing:$2"; fi
}

cli_src="$ROOT/src/biofed.c $ROOT/src/cli.h $(ls "$ROOT"/src/cmd_*.c)"
long_opts=$(cat $cli_src | grep -o '{"[a-z][a-z-]*", *\(required\|no\|optional\)_argument' |
	sed 's/{"\([^"]*\)".*/\1/' | sort -u)
# the commands and sub-commands as `biofed help` lists them, from the one
# table the dispatcher reads: "  roster add      admit a member..."
listed=$("$BIOFED" help | sed -n 's/^  \([a-z][a-z-]*\( [a-z][a-z-]*\)\{0,1\}\)  .*/\1/p')
commands=$(printf '%s\n' "$listed" | cut -d' ' -f1 | sort -u)
subcommands=$(printf '%s\n' "$listed" | sed -n 's/^[a-z-]* //p' | sort -u)
short_of() { # the letters of a file's getopt string
	grep -o 'getopt[_long]*(argc, argv, "[^"]*"' "$1" | sed 's/.*"\(.*\)"/\1/' |
		tr -d '+:' | fold -w1 | sort -u
}

[ -n "$long_opts" ] && [ -n "$commands" ] && [ -n "$subcommands" ] &&
	ok "options, commands and sub-commands found in the sources" ||
	fail "options, commands and sub-commands found in the sources"

check_none "biofed(1) documents every long option" \
	"$(missing_in "$B1" '(^|[^a-z-])--@([^a-z-]|$)' $long_opts)"
check_none "biofed(1) documents every short option" \
	"$(missing_in "$B1" '\*-@\*' $(short_of "$ROOT/src/biofed.c"))"
check_none "biofed(1) documents every command" \
	"$(missing_in "$B1" '^\*@[ *]' $commands)"
check_none "biofed(1) documents every sub-command" \
	"$(missing_in "$B1" '^\*[a-z]+ @\*' $subcommands)"

daemon_long=$(grep -o '{"[a-z][a-z-]*", *\(required\|no\|optional\)_argument' \
	"$ROOT"/daemon/*.c | sed 's/.*{"\([^"]*\)".*/\1/' | sort -u)
check_none "biofedd(8) documents every option" \
	"$(missing_in "$B8" '\*-@\*' $(short_of "$ROOT/daemon/biofedd.c"))$(missing_in "$B8" '(^|[^a-z-])--@([^a-z-]|$)' $daemon_long)"

# "node.slug (string)", "source NAME.map.FIELD (string)": section, key
keys=$("$BIOFED" config | sed -n 's/^\([^ ].*\) (.*/\1/p')
sections=$(printf '%s\n' "$keys" | sed 's/\.[^.]*$//; s/\.map$//; s/^source NAME$/source NAME/' | sort -u)
miss=
for s in $(printf '%s\n' "$sections" | tr ' ' '#'); do
	s=$(printf '%s' "$s" | tr '#' ' ')
	grep -qxF "# [$s]" "$B5" || miss="$miss [$s]"
done
check_none "biofed.conf(5) has a section for every section of biofed config" "$miss"
miss=
for k in $(printf '%s\n' "$keys" | sed 's/^source NAME\./source./; s/^[a-z]*\.//; s/^source\.//'); do
	case $k in
	map.FIELD) grep -qF '*map.*_FIELD_' "$B5" || miss="$miss $k" ;;
	*) grep -q "^\*$k\* (" "$B5" || miss="$miss $k" ;;
	esac
done
check_none "biofed.conf(5) documents every key of biofed config" "$miss"

events=$(cat "$ROOT"/daemon/*.c "$ROOT"/src/*.c | tr '\n\t' '  ' |
	grep -o 'log_msg( *[A-Za-z_>.()-]*, *"[a-z-]*"\|say([^,;]*, *[01], *"[a-z-]*"' |
	sed 's/.*"\([a-z-]*\)"$/\1/' | sort -u)
[ -n "$events" ] && ok "log event words found in the sources" ||
	fail "log event words found in the sources"
check_none "biofedd(8) lists every log event" \
	"$(missing_in "$B8" '\*@\*' $events)"

check_none "the completion offers every command" \
	"$(missing_in "$COMP" '(^|[[:space:]"])@([[:space:]"]|$)' $commands)"
check_none "the completion offers every sub-command" \
	"$(missing_in "$COMP" '(^|[[:space:]"])@([[:space:]"]|$)' $subcommands)"
check_none "the completion offers every option" \
	"$(missing_in "$COMP" '(^|[[:space:]"])--@([[:space:]"]|$)' $long_opts)"

if command -v scdoc >/dev/null 2>&1 && command -v groff >/dev/null 2>&1; then
	for p in "$B1" "$B5" "$B8"; do
		w=$(scdoc <"$p" 2>&1 | groff -man -ww -z 2>&1)
		[ -z "$w" ] && ok "$(basename "$p") renders without warnings" ||
			fail "$(basename "$p") renders without warnings" "$w"
	done
else
	echo "# scdoc or groff missing: rendering not checked (tests/pkg/deb.sh does)"
fi
