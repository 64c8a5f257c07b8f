#!/usr/bin/env bash
# layers.sh — the folders are the layer graph, and this test holds every
# file to it.  The graph is cmake/layers.txt (the build links the targets
# from the same table).  It fails, one line per finding, when
#   - a line of the table lists a folder that is not on a line above it
#     (so the graph has no cycle), or a source folder is missing from it;
#   - a file includes one of our headers without its folder ("crn.h"
#     instead of "base/crn.h"), or a header that does not exist;
#   - a file includes a header of a folder its folder's line does not list
#     (a layer above its own, or one it does not depend on); tests under
#     tests/unit/<folder>/ follow <folder>'s line;
#   - a header's guard is not CRN_<FOLDER>_<NAME>_H (folder as included:
#     core/base/crn.h is CRN_BASE_CRN_H);
#   - a layer's library needs a crn_/cairn_ symbol that only a layer it may
#     not use defines (nm over <build>/lib/libcairn_*.a).
# CAIRN_TEST_TIMEOUT: 60
# CAIRN_TEST_LABELS: unit
set -euo pipefail

src=${CAIRN_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${CAIRN_BUILD:-}
command -v python3 >/dev/null || {
	echo "FAIL: python3 is needed (scripts/setup.sh installs it)" >&2
	exit 1
}

exec python3 - "$src" "$build" <<'EOF'
import os, re, subprocess, sys

src, build = sys.argv[1], sys.argv[2]
bad = []
table_path = os.path.join(src, "cmake/layers.txt")

# ---- the table ---------------------------------------------------------
deps, target, order = {}, {}, []
with open(table_path) as f:
    for n, line in enumerate(f, 1):
        if not re.match(r"[a-z]", line):
            continue
        folder, tgt, *ds = line.split()
        for d in ds:
            if d not in deps:
                bad.append(f"cmake/layers.txt:{n}: {folder} lists {d}, "
                           f"which is not on a line above it")
        if not os.path.isdir(os.path.join(src, folder)):
            bad.append(f"cmake/layers.txt:{n}: no folder {folder}")
        deps[folder], target[folder] = set(ds), tgt
        order.append(folder)

# Include prefix of a folder: its path below its include root (core/,
# nodes/ or the repository root), i.e. its last component.
prefix = {}
for folder in order:
    p = folder.rsplit("/", 1)[-1]
    if p in prefix:
        bad.append(f"cmake/layers.txt: {folder} and {prefix[p]} would "
                   f"both be included as \"{p}/...\"")
    prefix[p] = folder

# ---- every source folder is in the table -------------------------------
def sources(top):
    for root, dirs, files in os.walk(os.path.join(src, top)):
        dirs.sort()
        for name in sorted(files):
            if name.endswith((".c", ".h")):
                yield os.path.relpath(os.path.join(root, name), src)

code = [p for top in ("core", "crypto", "proto", "nodes")
        for p in sources(top)]
for path in code:
    if os.path.dirname(path) not in deps:
        bad.append(f"{path}: its folder {os.path.dirname(path)} is not in "
                   f"cmake/layers.txt")

# ---- includes ----------------------------------------------------------
HARNESS = {"cairn_test.h", "vectors.h", "secagg_play.h", "query_fix.h"}
inc_re = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')

def folder_of_test(path):
    """tests/unit/<folder>/..._test.c follows <folder>'s line."""
    rest = os.path.dirname(path)[len("tests/unit/"):]
    return rest if rest in deps else None

def check_file(path, folder):
    with open(os.path.join(src, path), errors="replace") as f:
        lines = f.read().split("\n")
    for n, line in enumerate(lines, 1):
        m = inc_re.match(line)
        if not m:
            continue
        quote, name = m.groups()
        shown = f'{quote}{name}{">" if quote == "<" else quote}'
        head = name.split("/", 1)[0]
        if quote == "<" and head not in prefix:
            continue  # a system or outside library header
        if quote == '"' and name in HARNESS and path.startswith("tests/"):
            continue
        if "/" not in name or head not in prefix:
            bad.append(f"{path}:{n}: #include {shown}: name the "
                       f"folder, e.g. \"base/crn.h\" (cmake/layers.txt)")
            continue
        to = prefix[head]
        leaf = name.split("/", 1)[1]
        generated = to == "proto" and leaf.endswith(".pb-c.h")
        if not generated and not os.path.isfile(os.path.join(src, to, leaf)):
            bad.append(f"{path}:{n}: #include {shown}: no such header "
                       f"{to}/{leaf}")
        if folder is None or to == folder or to in deps[folder]:
            continue
        allowed = " ".join(sorted(deps[folder])) or "nothing"
        bad.append(f"{path}:{n}: #include {shown}: {folder} may not "
                   f"include {to} (it may include {allowed}; "
                   f"cmake/layers.txt)")

for path in code:
    check_file(path, os.path.dirname(path))
for path in sources("tests"):
    if path.startswith("tests/unit/"):
        folder = folder_of_test(path)
        if folder is None:
            bad.append(f"{path}: tests/unit/ mirrors the source tree, but "
                       f"{os.path.dirname(path)[len('tests/unit/'):]} is "
                       f"not a folder of cmake/layers.txt")
        check_file(path, folder)
    else:
        check_file(path, None)  # fuzz, bench, harness: above every layer

# ---- header names and guards --------------------------------------------
for path in code + [p for p in sources("tests") if p.endswith(".h")]:
    if not path.endswith(".h"):
        continue
    folder, name = os.path.split(path)
    if not re.fullmatch(r"[a-z0-9_]+\.h", name):
        bad.append(f"{path}: header names are lower_case.h")
    want = f"CRN_{folder.rsplit('/', 1)[-1]}_{name[:-2]}_H".upper()
    with open(os.path.join(src, path)) as f:
        text = f.read()
    if not re.search(rf"^#ifndef {want}\n#define {want}\n", text, re.M) or \
            not text.rstrip().endswith(f"#endif /* {want} */"):
        bad.append(f"{path}: include guard must be {want} "
                   f"(#ifndef, #define, and #endif /* {want} */)")

# ---- symbols: a library only needs what its allowed layers define -------
libs = {}
if build:
    for folder in order:
        t = target[folder]
        a = os.path.join(build, "lib", f"lib{t}.a")
        if t != "cairn_cli" and os.path.isfile(a):
            libs[t] = a
if build and not libs:
    bad.append(f"no layer libraries under {build}/lib: build first")

def nm(archive, undefined):
    flag = ["-u"] if undefined else ["--defined-only"]
    out = subprocess.run(["nm", "-g", *flag, archive], check=True,
                         capture_output=True, text=True).stdout
    syms = set()
    for line in out.split("\n"):
        parts = line.split()
        if not parts or line.endswith(":"):
            continue
        if undefined or (len(parts) == 3 and parts[1] in "TDBRCVW"):
            syms.add(parts[-1])
    return {s for s in syms if s.startswith(("crn_", "cairn_"))}

defined = {t: nm(a, False) for t, a in libs.items()}
where = {}
for t, syms in defined.items():
    for s in syms:
        where.setdefault(s, set()).add(t)
for t, a in libs.items():
    may = {t} | {target[d] for f in order if target[f] == t
                 for d in deps[f]}
    for s in sorted(nm(a, True) - defined[t]):
        owners = where.get(s, set())
        if owners and not owners & may:
            bad.append(f"lib{t}.a needs {s}, defined only in "
                       f"{' '.join(sorted(owners))}, which {t} may not use "
                       f"(cmake/layers.txt)")

for b in bad:
    print("FAIL:", b, file=sys.stderr)
if bad:
    sys.exit(1)
print(f"layers: {len(order)} folders, {len(code)} source files and the "
      f"tests follow cmake/layers.txt; {len(libs)} libraries checked")
EOF
