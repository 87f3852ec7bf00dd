#!/bin/sh
# Functions the project does not call, checked in every C file of the tree
# (comments and string literals aside, by tests/tools/banned.py): each
# has a bounded or checked replacement that the code already uses.
#   strcpy, strcat, strncat, sprintf, vsprintf  -> snprintf, bf_buf
#   gets                                         -> fgets / getline
#   atoi, atol, atoll, atof                      -> strtol & co., with
#                                                   the end and range checked
#   strtok                                       -> strtok_r / strsep
#   mktemp, tmpnam, tempnam                      -> mkstemp / mkdtemp
. "$(dirname "$0")/lib.sh"
BANNED="strcpy strcat strncat sprintf vsprintf gets atoi atol atoll atof strtok mktemp tmpnam tempnam"
SCAN="$ROOT/tests/tools/banned.py"

out=$(cd "$ROOT" && python3 -S "$SCAN" "$BANNED" $(find src daemon tests -name '*.[ch]' | sort))
if [ -z "$out" ]; then
	ok "no banned function is called ($(echo $BANNED | wc -w) names, every C file)"
else
	fail "banned functions called" "$out"
fi

# the scan finds a real call, and none in a comment or a string
printf '/* strcpy(a, b) in a comment */\nstatic const char *s = "sprintf(x)";\nint f(char *d) { return atoi(d); }\nint g(struct p *q) { return q->atoi(1); }\n' >"$T/probe.c"
found=$(cd "$T" && python3 -S "$SCAN" "$BANNED" probe.c)
[ "$found" = "probe.c:3: atoi()" ] &&
	ok "the scan finds a real call and skips comments, strings and members" ||
	fail "the scan on a probe file" "$found"
