#!/usr/bin/env python3
"""pty_run: runs a command with a terminal as its stdin, stdout and
stderr, the way a person at a terminal runs it, and writes everything the
terminal showed (\\r and all) to stdout.  Exits with the command's status.

    pty_run.py COMMAND [ARGS...]

For tests of what a command shows only on a terminal (biofed's progress
line).  The terminal is 80 columns by 24 lines.
"""
import errno
import fcntl
import os
import pty
import struct
import sys
import termios


def main():
    if len(sys.argv) < 2:
        sys.stderr.write("usage: pty_run.py COMMAND [ARGS...]\n")
        return 2
    pid, fd = pty.fork()
    if pid == 0:
        try:
            os.execvp(sys.argv[1], sys.argv[1:])
        finally:
            os._exit(127)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    out = sys.stdout.buffer
    while True:
        try:
            data = os.read(fd, 65536)
        except OSError as e:  # EIO: the child closed the terminal
            if e.errno != errno.EIO:
                raise
            break
        if not data:
            break
        out.write(data)
    out.flush()
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main())
