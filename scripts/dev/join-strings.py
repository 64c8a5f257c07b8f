#!/usr/bin/env python3
"""join-strings.py: join C string literals that split one message.

A message split across adjacent literals ("cannot open the " "file") cannot
be found by grepping for its text.  This script joins every pair of adjacent
literals (only white space between them) unless the first ends a line of
output ("\\n") or joining could change the bytes:

  * a prefixed literal (L"", u"", U"", u8"", R"()") on either side;
  * a hex escape ending the first when the second starts with a hex digit,
    an octal escape when it starts with an octal digit (the escape would
    swallow the character);
  * a "??" formed across the seam (a trigraph under -std=c11);
  * anything else where the joined literal would not decode to the same
    values as the two (each join is checked that way).

Literals separated by anything else (PRIu64 and other macros, a comment, a
backslash-newline) are left alone, so format strings keep their meaning.
The compiler concatenates adjacent literals, so a join never changes the
program.  Running it again changes nothing (idempotent).

  scripts/dev/join-strings.py [FILE...]          join in place
  scripts/dev/join-strings.py --check [FILE...]  list the pairs; exit 1 if any

With no FILE: the .c and .h files git tracks (generated code lives in the
build tree and is never touched).
"""
import re
import subprocess
import sys

HEX = "0123456789abcdefABCDEF"
OCT = "01234567"


def literals(text):
    """(start, end) of each plain string literal, skipping comments and
    character constants; prefixed literals are reported with start = -1."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
        elif c == "'":
            j = i + 1
            while j < n and text[j] != "'" and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            i = j + 1
        elif c == '"':
            prefixed = i > 0 and (text[i - 1].isalnum() or text[i - 1] == "_")
            if prefixed and text[i - 1] == "R" and text[i + 1:i + 2] != "\\":
                # A raw literal R"delim( ... )delim": skip it whole.
                m = re.match(r'"([^()\\ ]{0,16})\(', text[i:])
                if m:
                    end = text.find(")" + m.group(1) + '"', i)
                    j = n if end < 0 else end + len(m.group(1)) + 2
                    out.append((-1, j))
                    i = j
                    continue
            j = i + 1
            while j < n and text[j] != '"' and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append((-1 if prefixed else i, j + 1))
            i = j + 1
        else:
            i += 1
    return out


def trailing_escape(body):
    """The kind of escape body ends with: 'x' (hex), 'o' (octal) or None."""
    m = re.search(r"(\\+)(x[0-9a-fA-F]+|[0-7]{1,3})$", body)
    if not m or len(m.group(1)) % 2 == 0:
        return None
    return "x" if m.group(2)[0] == "x" else "o"


def ends_newline(body):
    m = re.search(r"(\\+)n$", body)
    return m is not None and len(m.group(1)) % 2 == 1


def joinable(text, a, b):
    """Whether literal a (start, end) may be joined with the next, b."""
    if a[0] < 0 or b[0] < 0:
        return False
    between = text[a[1]:b[0]]
    if between.strip() != "":
        return False
    first = text[a[0] + 1:a[1] - 1]
    second = text[b[0] + 1:b[1] - 1]
    if ends_newline(first):
        return False  # a list of output lines, not a split message
    if first == "" or second == "":
        return True
    esc = trailing_escape(first)
    if esc == "x" and second[0] in HEX:
        return False
    if esc == "o" and second[0] in OCT:
        return False
    if first.endswith("?") and second.startswith("?"):
        return False
    if first.endswith("??") and second[0] in "=/'()!<>-":
        return False
    # Last, the proof: the joined literal decodes to the same values.
    return same_bytes(first, second)


SIMPLE = {"n": 10, "t": 9, "r": 13, "a": 7, "b": 8, "f": 12, "v": 11,
          "\\": 92, '"': 34, "'": 39, "?": 63}


def decode(body):
    """The values a C literal's body stands for, escapes resolved as the
    compiler resolves them (hex escapes are greedy, octal ones take up
    to three digits); None when it holds an escape this does not know."""
    out, i, n = [], 0, len(body)
    while i < n:
        c = body[i]
        if c != "\\":
            out.append(ord(c))
            i += 1
            continue
        e = body[i + 1] if i + 1 < n else ""
        if e in SIMPLE:
            out.append(SIMPLE[e])
            i += 2
        elif e == "x":
            j = i + 2
            while j < n and body[j] in HEX:
                j += 1
            if j == i + 2:
                return None
            out.append(int(body[i + 2:j], 16))
            i = j
        elif e in OCT:
            j = i + 1
            while j < n and j < i + 4 and body[j] in OCT:
                j += 1
            out.append(int(body[i + 1:j], 8))
            i = j
        elif e in "uU":
            k = 4 if e == "u" else 8
            out.append(int(body[i + 2:i + 2 + k], 16))
            i += 2 + k
        else:
            return None
    return out


def same_bytes(first, second):
    """Whether "first" "second" and "first second" hold the same values."""
    a, b, ab = decode(first), decode(second), decode(first + second)
    return a is not None and b is not None and a + b == ab


def pairs(text):
    lits = literals(text)
    return [(a, b) for a, b in zip(lits, lits[1:]) if joinable(text, a, b)]


def join(text):
    """text with every joinable run of literals made one literal."""
    lits = literals(text)
    out, pos, k = [], 0, 0
    while k < len(lits):
        run = [lits[k]]
        while k + 1 < len(lits) and joinable(text, run[-1], lits[k + 1]):
            k += 1
            run.append(lits[k])
        k += 1
        if len(run) == 1:
            continue
        body = "".join(text[s + 1:e - 1] for s, e in run)
        out.append(text[pos:run[0][0]])
        out.append('"' + body + '"')
        pos = run[-1][1]
    out.append(text[pos:])
    return "".join(out)


def line_of(text, off):
    return text.count("\n", 0, off) + 1


def tracked():
    r = subprocess.run(["git", "ls-files", "*.c", "*.h"],
                       capture_output=True, text=True, check=True)
    return [f for f in r.stdout.split("\n") if f]


def main(argv):
    check = "--check" in argv
    files = [a for a in argv if a != "--check"] or tracked()
    found = 0
    for path in files:
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            text = f.read()
        ps = pairs(text)
        if not ps:
            continue
        found += len(ps)
        if check:
            for a, _ in ps:
                print("%s:%d: a message split across string literals"
                      % (path, line_of(text, a[0])))
            continue
        new = join(text)
        with open(path, "w", encoding="utf-8", errors="surrogateescape") as f:
            f.write(new)
        print("%s: %d joined" % (path, len(ps)))
    if check and found:
        print("%d split messages; join them with scripts/dev/join-strings.py"
              % found, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
