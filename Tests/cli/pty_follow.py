"""Runs `asgard deployment follow ID` in a pseudo-terminal of a given width, as a person's
terminal would show it, then `echo EXIT=$?` in the same terminal, and checks the screen a
terminal emulator (pyte) renders from everything written:

- the header ("Deployment ID of …") is on the screen once: the redraws went back over the whole
  last frame, rows wrapped by long lines included;
- the EXIT line stands alone: nothing of a longer earlier frame was left below the last one;
- every step line shows a duration in ms, s or min, never a cumulative count of milliseconds.

Usage: python3 pty_follow.py ASGARD_BINARY SERVER_URL TOKEN DEPLOYMENT_ID COLUMNS
Prints the screen, then "PASS …" (exit 0) or "FAIL …" (exit 1).
"""
import fcntl
import os
import pty
import re
import struct
import sys
import termios
import time

import pyte


def main(binary, server, token, deployment, columns):
    rows = 60
    pid, fd = pty.fork()
    if pid == 0:
        os.environ.update({"ASGARD_URL": server, "ASGARD_TOKEN": token, "TERM": "xterm", "COLUMNS": str(columns)})
        os.execv("/bin/sh", ["sh", "-c", f'"{binary}" deployment follow {deployment}; echo EXIT=$?'])
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    screen = pyte.Screen(columns, rows)
    stream = pyte.ByteStream(screen)
    deadline = time.time() + 180
    output = b""
    while time.time() < deadline:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
        stream.feed(chunk)
    os.waitpid(pid, 0)
    lines = [line.rstrip() for line in screen.display]
    print("\n".join(line for line in lines if line))
    problems = []
    headers = [line for line in lines if line.startswith(f"Deployment {deployment} of ")]
    if len(headers) != 1:
        problems.append(f"{len(headers)} header rows on the screen; want 1")
    exits = [line for line in lines if "EXIT=" in line]
    if len(exits) != 1 or not re.fullmatch(r"EXIT=\d+", exits[0]):
        problems.append(f"the EXIT row is not alone: {exits}")
    steps = [line for line in lines if re.match(r"^  . \d+\. ", line)]
    if not steps:
        problems.append("no step lines")
    for line in steps:
        if re.search(r"\d{5,} ms", line):
            problems.append(f"a cumulative duration: {line}")
    if output.count(b"\x1b[") < 4:
        problems.append("the view was not redrawn in place")
    if problems:
        print("FAIL " + "; ".join(problems))
        return 1
    print(f"PASS {columns} columns: one header, the EXIT row alone, {len(steps)} step rows")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])))
