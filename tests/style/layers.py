#!/usr/bin/env python3
"""The folders of src/ are layers, and every dependency points down
(docs/design.md, "Layers"):

    core < json, parquet, io, dist, gen < delta < lake < etl, sinks < build < cli

Checked here, for every .c and .h under src/:
  - an #include "x/..." names a known folder x at the same layer only when x
    is the file's own folder, else a lower layer (never sideways or up);
  - another folder is reached only through its public header x/x.h: the
    rest of a folder's headers are private to it (tests/ may include them);
  - every folder a library includes from is declared in its CMake
    target_link_libraries, and no library links a higher layer;
  - quoted includes name their folder ("etl/etl.h", not "etl.h").

Usage: layers.py [SOURCE_DIR]   (exit 0: clean; 1: each violation on a line)
       layers.py --self-test    (the checker finds an injected violation)
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

LAYERS = [
    ["core"],
    ["json", "parquet", "io", "dist", "gen"],
    ["delta"],
    ["lake"],
    ["etl", "sinks"],
    ["build"],
    ["cli"],
]
RANK = {m: i for i, ms in enumerate(LAYERS) for m in ms}
# the CMake target of each folder
TARGET = {m: "sl_" + m for m in RANK}
TARGET["cli"] = "songlake"
SYSTEM_LIBS = re.compile(r"^(PkgConfig::|MPI::|Threads::|m$|PUBLIC$|PRIVATE$|INTERFACE$)")

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def link_deps(cmake_text, target):
    """Targets named in target_link_libraries(<target> ...) calls."""
    deps = set()
    pat = re.compile(r"target_link_libraries\(\s*" + re.escape(target) + r"\b([^)]*)\)", re.S)
    for m in pat.finditer(cmake_text):
        for tok in m.group(1).split():
            if not SYSTEM_LIBS.match(tok):
                deps.add(tok)
    return deps


def check(root):
    src = os.path.join(root, "src")
    errors = []
    folders = sorted(d for d in os.listdir(src) if os.path.isdir(os.path.join(src, d)))
    for d in folders:
        if d not in RANK:
            errors.append(f"src/{d}/: folder not in the layer table of tests/style/layers.py")
    by_target = {t: m for m, t in TARGET.items()}
    for m in folders:
        if m not in RANK:
            continue
        included = set()
        for name in sorted(os.listdir(os.path.join(src, m))):
            if not name.endswith((".c", ".h")):
                continue
            rel = f"src/{m}/{name}"
            with open(os.path.join(src, m, name), encoding="utf-8", errors="replace") as f:
                text = f.read()
            for inc in INCLUDE.findall(text):
                where = f"{rel}: #include \"{inc}\""
                if "/" not in inc:
                    errors.append(f"{where}: name the folder (\"{m}/{inc}\")")
                    continue
                x, header = inc.split("/", 1)
                if x not in RANK:
                    errors.append(f"{where}: unknown folder {x}")
                    continue
                if x == m:
                    continue
                included.add(x)
                if RANK[x] >= RANK[m]:
                    side = "sideways" if RANK[x] == RANK[m] else "upward"
                    errors.append(f"{where}: {side} ({m} is layer {RANK[m]}, {x} is {RANK[x]})")
                if header != f"{x}.h":
                    errors.append(f"{where}: private to {x}/ (use {x}/{x}.h)")
        cm = os.path.join(src, m, "CMakeLists.txt")
        cmake_text = open(cm, encoding="utf-8").read() if os.path.exists(cm) else ""
        deps = link_deps(cmake_text, TARGET[m])
        for x in sorted(included):
            if TARGET[x] not in deps:
                errors.append(f"src/{m}/CMakeLists.txt: {TARGET[m]} includes {x}/ "
                              f"but does not link {TARGET[x]}")
        for t in sorted(deps):
            x = by_target.get(t)
            if x is None:
                errors.append(f"src/{m}/CMakeLists.txt: {TARGET[m]} links unknown target {t}")
            elif x != m and RANK[x] >= RANK[m]:
                errors.append(f"src/{m}/CMakeLists.txt: {TARGET[m]} links {t}, not below {m}")
    return errors


def self_test():
    """Copies src/ and injects one violation of each kind: each is found."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    tmp = tempfile.mkdtemp(prefix="songlake-layers-")
    try:
        shutil.copytree(os.path.join(root, "src"), os.path.join(tmp, "src"))
        if check(tmp):
            print("self-test: the copy of src/ is not clean to start with")
            return 1
        cases = [
            ("src/json/json_scan.c", '#include "etl/etl.h"\n', "upward"),
            ("src/etl/etl.c", '#include "sinks/sinks.h"\n', "sideways"),
            ("src/etl/etl.c", '#include "json/json_internal.h"\n', "private to json/"),
            ("src/etl/etl.c", '#include "delta/delta.h"\n', "does not link sl_delta"),
            ("src/etl/etl.c", '#include "etl_internal.h"\n', "name the folder"),
        ]
        failed = 0
        for path, line, want in cases:
            p = os.path.join(tmp, path)
            orig = open(p).read()
            open(p, "w").write(line + orig)
            found = [e for e in check(tmp) if want in e]
            open(p, "w").write(orig)
            if not found:
                print(f"self-test: {line.strip()} in {path} not reported as {want}")
                failed = 1
        return failed
    finally:
        shutil.rmtree(tmp)


def main():
    if sys.argv[1:] == ["--self-test"]:
        rc = self_test()
        print("layers self-test: " + ("ok" if rc == 0 else "FAILED"))
        return rc
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
    errors = check(root)
    for e in errors:
        print(e)
    if errors:
        print(f"{len(errors)} layer violation(s); see docs/design.md, Layers")
        return 1
    print("layers: every include points down")
    return 0


if __name__ == "__main__":
    sys.exit(main())
