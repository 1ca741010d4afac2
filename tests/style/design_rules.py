#!/usr/bin/env python3
"""docs/design.md's table "Where each rule lives" must stay true: every
function named in its second column (`src/<file>`: `f`, `g`) is defined in
that file. Usage: design_rules.py [SOURCE_DIR]; exit 1 lists the rows that
are wrong."""
import os
import re
import sys

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
doc = open(os.path.join(root, "docs", "design.md"), encoding="utf-8").read()
start = doc.find("## Where each rule lives")
if start < 0:
    print("docs/design.md: no section 'Where each rule lives'")
    sys.exit(1)
end = doc.find("\n## ", start + 1)
section = doc[start:end if end > 0 else len(doc)]
rows = [l for l in section.splitlines() if l.startswith("| ") and not l.startswith("| SPEC rule")]
errors, checked = [], 0
for row in rows:
    cells = [c.strip() for c in row.strip("|").split("|")]
    if len(cells) < 2 or set(cells[1]) <= set("- "):
        continue
    m = re.match(r"^`(src/[^`]+)`:\s*(.+)$", cells[1])
    if not m:
        errors.append(f"row '{cells[0]}': second column is not `src/file`: `function`")
        continue
    path, funcs = m.group(1), re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)`", m.group(2))
    full = os.path.join(root, path)
    if not os.path.exists(full) or not funcs:
        errors.append(f"row '{cells[0]}': {path} missing or no function named")
        continue
    text = open(full, encoding="utf-8").read()
    for f in funcs:
        # a definition: at the start of a line, a return type then f( ... ) {
        if not re.search(r"^[A-Za-z][^;\n]*\b" + f + r"\([^;]*?\)\s*\{", text, re.M | re.S):
            errors.append(f"row '{cells[0]}': {f} is not defined in {path}")
        checked += 1
for e in errors:
    print(e)
print(f"{checked} functions in {len(rows)} rows checked, {len(errors)} wrong")
sys.exit(1 if errors or not checked else 0)
