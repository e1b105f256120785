"""Counts of the import graph for the layout's note: upward imports, imports between siblings, and cycles.

Run from the repository root: `PYTHONPATH=. .venv/bin/python scripts/import_graph.py`. The layers are the ones
import-linter checks (pyproject.toml); this script only counts, `make lint` is what enforces them.
"""

import sys

import grimp

RANK = {
    "config": 0,
    "seed": 0,
    "selfservice": 1,
    "reform": 2,
    "indicators": 3,
    "welfare": 4,
    "training": 5,
    "mediation": 5,
    "workers": 6,
    "portal": 7,
}


def cycles(graph) -> list[list[str]]:
    """Strongly connected sets of more than one module (Tarjan)."""
    sys.setrecursionlimit(20_000)
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]

    def visit(module: str) -> None:
        index[module] = low[module] = counter[0]
        counter[0] += 1
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def main() -> None:
    import importlib.util

    packages = [name for name in RANK if importlib.util.find_spec(name) is not None]
    for type_checking in (False, True):
        graph = grimp.build_graph(*packages, cache_dir=None, exclude_type_checking_imports=type_checking)
        upward, siblings = [], []
        for module in graph.modules:
            for imported in graph.find_modules_directly_imported_by(module):
                a, b = module.split(".")[0], imported.split(".")[0]
                if a != b and RANK[b] < RANK[a]:
                    upward.append((module, imported))
                elif a != b and RANK[b] == RANK[a]:
                    siblings.append((module, imported))
        label = "run-time imports only" if type_checking else "all imports (with TYPE_CHECKING)"
        print(
            f"{label}: {len(graph.modules)} modules, {len(upward)} upward, {len(siblings)} between siblings"
        )
        for pair in upward + siblings:
            print("   ", " -> ".join(pair))
        for component in cycles(graph):
            print("    cycle:", ", ".join(component))


if __name__ == "__main__":
    main()
