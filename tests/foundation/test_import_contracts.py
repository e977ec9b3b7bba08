"""The import contracts in pyproject.toml name the domains and the shared pieces one by one
(import-linter has no "every package but these"). These tests keep the lists whole: a new domain
or a new shared module that is not placed in a layer fails here, not silently outside the rules."""
from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOP = {"server.app", "server.cli", "server.models", "server.scope", "server.deps", "server.access", "server.health"}


def _contracts() -> dict[str, dict]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    return {c["name"]: c for c in config["contracts"]}


def _server() -> tuple[set[str], set[str]]:
    packages = {f"server.{p.name}" for p in (ROOT / "server").iterdir() if (p / "__init__.py").exists()}
    modules = {f"server.{p.stem}" for p in (ROOT / "server").glob("*.py") if p.stem != "__init__"}
    return packages, modules


def test_every_domain_is_inside_the_domain_contracts():
    packages, _ = _server()
    by_name = _contracts()
    layered = set(by_name["Within a domain: routes on top, the service in the middle, models at the bottom"]["containers"])
    no_app = set(by_name["Nothing imports the app or the command line"]["source_modules"])
    shared = by_name["Shared pieces sit at the bottom: they never import a domain, the scope gate or the app"]
    assert packages == layered
    assert packages <= no_app
    assert packages <= set(shared["forbidden_modules"])


def test_every_top_level_module_is_shared_or_named_at_the_top():
    _, modules = _server()
    shared = set(_contracts()["Shared pieces sit at the bottom: they never import a domain, the scope gate or the app"]
                 ["source_modules"])
    assert modules - shared - TOP == set(), "place the new module in a layer (pyproject.toml, README 'Layers')"
    assert shared | TOP <= modules
