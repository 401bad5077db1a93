#!/usr/bin/python3
"""The package import graph of src/main/java: each io.equilibria package and the project packages it names (imports
and fully qualified names in code; comments and strings ignored), listed bottom-up, or as Graphviz with --dot:

    python3 scripts/package_graph.py            # text, lowest layer first
    python3 scripts/package_graph.py --dot | dot -Tsvg > packages.svg

ArchitectureTest (mvn test) enforces that the graph has no cycle; this only shows it."""
import os, re, sys

ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src", "main", "java")
BASE = "io.equilibria."
edges = {}
for d, _, files in os.walk(ROOT):
    for f in files:
        if not f.endswith(".java"):
            continue
        pkg = os.path.relpath(d, ROOT).replace(os.sep, ".")[len(BASE):]
        text = open(os.path.join(d, f), encoding="utf-8").read()
        text = re.sub(r"/\*.*?\*/|//[^\n]*|\"(?:\\.|[^\"\\\n])*\"", "", text, flags=re.S)
        out = edges.setdefault(pkg, set())
        for m in re.finditer(r"\bio\.equilibria\.((?:[a-z]\w*\.)*[a-z]\w*)\.[A-Z]", text):
            if m.group(1) != pkg:
                out.add(m.group(1))
for targets in list(edges.values()):
    for t in targets:
        edges.setdefault(t, set())
# bottom-up: a package after everything it depends on (the graph is acyclic; a cycle is printed last, unordered)
order, seen = [], set()
def visit(p, path=()):
    if p in seen or p in path:
        return
    for q in sorted(edges[p]):
        visit(q, path + (p,))
    seen.add(p)
    order.append(p)
for p in sorted(edges):
    visit(p)
if "--dot" in sys.argv:
    print("digraph packages {\n  rankdir=BT; node [shape=box, fontname=Helvetica];")
    for p in order:
        for q in sorted(edges[p]):
            print(f'  "{p}" -> "{q}";')
    print("}")
else:
    width = max(map(len, order))
    for p in order:
        print(f"{p:{width}s} -> {', '.join(sorted(edges[p])) or '-'}")
