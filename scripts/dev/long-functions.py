#!/usr/bin/env python3
"""long-functions.py: list C functions longer than a limit.

A function is counted from its opening brace to its closing brace, both
in column 0 (the project's style: the return type and name on lines of
their own, then "{" and "}" at the start of a line).  A function whose
header comment (the lines between the previous top-level item and its
"{") holds "/* long: REASON */" is allowed to be longer; it is listed
with "(long: ok)" but does not count.

  scripts/dev/long-functions.py [--max N] [FILE...]

With no FILE: the .c files git tracks.  Exit status 1 when a function
over N lines (default 120) has no such comment.
"""
import subprocess
import sys


def functions(path):
    """(name, first line, length, allowed) of each function in path."""
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = f.read().split("\n")
    out = []
    start = None
    prev_end = 0
    for i, line in enumerate(lines):
        if start is None and line.startswith("{"):
            j = i - 1
            while j > prev_end and "(" not in lines[j]:
                j -= 1
            head = lines[j].split("(")[0].split()
            name = head[-1].lstrip("*") if head else "?"
            header = "\n".join(lines[prev_end:i + 1])
            start = (i, name, "/* long:" in header)
        elif start is not None and line.startswith("}"):
            i0, name, allowed = start
            out.append((name, i0 + 1, i - i0 + 1, allowed))
            start = None
            prev_end = i + 1
        elif start is None and (line.startswith("}") or line.endswith(";")
                                and not line.startswith((" ", "\t"))):
            prev_end = i + 1
    return out


def main(argv):
    limit = 120
    if argv[:1] == ["--max"]:
        limit = int(argv[1])
        argv = argv[2:]
    files = argv
    if not files:
        r = subprocess.run(["git", "ls-files", "*.c"], capture_output=True,
                           text=True, check=True)
        files = [f for f in r.stdout.split("\n") if f]
    bad = 0
    for path in files:
        for name, line, n, allowed in functions(path):
            if n <= limit:
                continue
            print("%s:%d: %s is %d lines%s" % (path, line, name, n,
                  " (long: ok)" if allowed else ""))
            bad += not allowed
    if bad:
        print("%d functions over %d lines; split them or say why in a "
              "/* long: REASON */ comment" % (bad, limit), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
