#!/usr/bin/env python3
"""Lists the calls of banned functions in C files: banned.py NAMES FILE...

NAMES is a space-separated list.  Comments, string and character literals
are blanked first (line numbers stay), so that a name in a comment or a
message is not a call.  Prints FILE:LINE: NAME() per call."""
import re
import sys


def calls(names, path):
    call = re.compile(r"(?<![\w.>])(" + "|".join(names) + r")\s*\(")
    strip = re.compile(r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"'
                       r"|'(?:\\.|[^'\\\n])*'", re.S)
    with open(path, encoding="utf-8", errors="replace") as f:
        text = strip.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)),
                         f.read())
    for n, line in enumerate(text.split("\n"), 1):
        for m in call.finditer(line):
            yield "%s:%d: %s()" % (path, n, m.group(1))


def main():
    names = sys.argv[1].split()
    for path in sys.argv[2:]:
        for c in calls(names, path):
            print(c)


if __name__ == "__main__":
    main()
