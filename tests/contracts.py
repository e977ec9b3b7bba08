"""Two import-linter contract types the stock ones do not cover (configured in pyproject.toml,
checked by `make lint`):

- `modules_acyclic`: no import loop between the modules of a package, counting imports made
  inside functions too (a function-level import hides a loop from Python, not from the reader).
  Stock `acyclic_siblings` squashes packages, so it would forbid any two domains importing each
  other's modules in opposite directions even when the modules themselves form no loop.
- `no_private_names`: a module never uses another package's private (`_name`) functions or
  constants, whether imported by name or read through a module alias. "Package" means the top
  level under the root (a domain such as server.contacts, or a shared module such as server.db).
"""
from __future__ import annotations

import ast
import importlib.util
from collections import defaultdict
from pathlib import Path

import grimp
from importlinter.application import output
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck


def _loops(graph: grimp.ImportGraph, modules: set[str]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    adjacency = {m: sorted(graph.find_modules_directly_imported_by(m) & modules) for m in sorted(modules)}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in adjacency:
        if root in index:
            continue
        work = [(root, iter(adjacency[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(adjacency[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


class ModulesAcyclicContract(Contract):
    type_name = "modules_acyclic"

    root = fields.StringField()

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        modules = {m for m in graph.modules if m == self.root or m.startswith(self.root + ".")}
        loops = _loops(graph, modules)
        details = []
        for loop in loops:
            members = set(loop)
            links = []
            for importer in loop:
                for imported in sorted(graph.find_modules_directly_imported_by(importer) & members):
                    for d in graph.get_import_details(importer=importer, imported=imported):
                        links.append(f"{importer}:{d['line_number']}  {d['line_contents']}")
            details.append((loop, links))
        return ContractCheck(kept=not loops, metadata={"loops": details})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for loop, links in check.metadata["loops"]:
            output.print_error(f"A loop of {len(loop)} modules: {', '.join(loop)}")
            for link in links:
                output.print(f"    {link}")
            output.new_line()


def _package_of(module: str, root: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if module.startswith(root + ".") else module


def _private(name: str) -> bool:
    # `_` is gettext (server.i18n), public by convention; dunders are Python's own.
    return name.startswith("_") and name != "_" and not (name.startswith("__") and name.endswith("__"))


def _source(module: str, modules: set[str]) -> Path:
    """The module's file, found from the root package's folder without importing the module."""
    root = module.split(".")[0]
    base = Path(importlib.util.find_spec(root).origin).parent
    rel = Path(*module.split(".")[1:])
    return base / rel / "__init__.py" if any(m.startswith(module + ".") for m in modules) else base / f"{rel}.py"


def _private_uses(module: str, root: str, modules: set[str]) -> list[str]:
    path = _source(module, modules)
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    mine = _package_of(module, root)
    aliases: dict[str, str] = {}  # local name -> the root module it stands for
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and node.module.startswith(root):
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                if full in modules:
                    aliases[alias.asname or alias.name] = full
                elif _private(alias.name) and _package_of(node.module, root) != mine:
                    found.append(f"{module}:{node.lineno}  imports {alias.name} from {node.module}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(root + ".") and alias.asname:
                    aliases[alias.asname] = alias.name
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
                and _private(node.attr) and _package_of(aliases[node.value.id], root) != mine):
            found.append(f"{module}:{node.lineno}  reads {node.attr} of {aliases[node.value.id]}")
    return found


class NoPrivateNamesContract(Contract):
    type_name = "no_private_names"

    root = fields.StringField()

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        uses: dict[str, list[str]] = defaultdict(list)
        modules = set(graph.modules)
        for module in sorted(m for m in modules if m.startswith(self.root + ".")):
            for use in _private_uses(module, self.root, modules):
                uses[module].append(use)
        return ContractCheck(kept=not uses, metadata={"uses": dict(uses)})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for found in check.metadata["uses"].values():
            for use in found:
                output.print_error(use)
        output.new_line()
        output.print("Make the name public (and keep it where it belongs), or move it down into a shared module.")
