"""Catalog maintenance: `python -m server.i18n_tools extract` (make messages).

Extracts every marked string from server/ (_, N_, gettext, ngettext) and web/templates
(Jinja {{ _() }}), and adds the missing ones to the domain's catalog
web/locale/<lang>/LC_MESSAGES/<domain>.po. English msgids are filled in for `en`;
Japanese entries are added empty, and tests/foundation/test_i18n.py fails until someone
translates them.
"""
from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po, write_po

from server.config import ROOT, WEB
from server.i18n import LOCALE_DIR, LOCALES

KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}
JINJA_OPTS = {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true"}


def domain_of(path: Path) -> str:
    """server/<domain>/... and web/templates/<domain>/... share the <domain>.po catalog."""
    rel = path.relative_to(ROOT).parts
    if rel[0] == "server" and len(rel) > 2:
        return rel[1]
    if rel[:2] == ("web", "templates") and len(rel) > 3 and not rel[2].startswith("_"):
        return rel[2]
    return "core"


def extract() -> dict[str, dict[str | tuple[str, str], list[str]]]:
    found: dict[str, dict[str | tuple[str, str], list[str]]] = defaultdict(dict)
    for path in sorted((ROOT / "server").rglob("*.py")):
        if path.name == "i18n_tools.py":
            continue
        for lineno, msg, _comments, _ctx in extract_from_file("python", str(path), keywords=KEYWORDS):
            found[domain_of(path)].setdefault(msg, []).append(f"{path.relative_to(ROOT)}:{lineno}")
    for path in sorted((WEB / "templates").rglob("*.html")):
        for lineno, msg, _comments, _ctx in extract_from_file(
                "jinja2.ext:babel_extract", str(path), keywords=KEYWORDS, options=JINJA_OPTS):
            found[domain_of(path)].setdefault(msg, []).append(f"{path.relative_to(ROOT)}:{lineno}")
    return found


def all_msgids() -> set[str]:
    return {m if isinstance(m, str) else m[0] for msgs in extract().values() for m in msgs}


def update(only: str | None = None) -> int:
    added = 0
    for domain, messages in extract().items():
        if only and domain != only:
            continue
        for lang in LOCALES:
            po = LOCALE_DIR / lang / "LC_MESSAGES" / f"{domain}.po"
            if po.exists():
                with po.open("rb") as fh:
                    cat = read_po(fh, locale=lang)
            else:
                cat = Catalog(locale=lang, project="Tsunagu", charset="utf-8")
            for msg, locations in messages.items():
                key = msg if isinstance(msg, str) else msg[0]
                if key in cat:
                    continue
                if lang == "en":
                    string = msg if isinstance(msg, str) else tuple(msg)
                else:
                    string = "" if isinstance(msg, str) else ("",)
                cat.add(msg, string, locations=[(loc.rsplit(":", 1)[0], int(loc.rsplit(":", 1)[1]))
                                                 for loc in locations[:3]])
                added += 1
            po.parent.mkdir(parents=True, exist_ok=True)
            with po.open("wb") as fh:
                write_po(fh, cat, width=0, omit_header=False, sort_output=True)
    return added


def missing() -> list[str]:
    """Marked strings with no non-fuzzy translation, per language."""
    problems = []
    ids = all_msgids()
    for lang in LOCALES:
        have: dict[str, bool] = {}
        for po in (LOCALE_DIR / lang / "LC_MESSAGES").glob("*.po"):
            with po.open("rb") as fh:
                for m in read_po(fh, locale=lang):
                    if not m.id:
                        continue
                    key = m.id if isinstance(m.id, str) else m.id[0]
                    ok = not m.fuzzy and (all(m.string) if isinstance(m.string, tuple) else bool(m.string))
                    have[key] = have.get(key, False) or ok
        for msg in sorted(ids):
            if not have.get(msg):
                problems.append(f"{lang}: {msg!r}")
    return problems


def fill(lang: str, mapping: dict[str, str]) -> int:
    """Set translations (msgid -> text) wherever those msgids stand in the language's catalogs."""
    done = 0
    for po in (LOCALE_DIR / lang / "LC_MESSAGES").glob("*.po"):
        with po.open("rb") as fh:
            cat = read_po(fh, locale=lang)
        changed = False
        for m in cat:
            key = m.id if isinstance(m.id, str) else (m.id[0] if m.id else None)
            if key in mapping:
                m.string = mapping[key] if isinstance(m.id, str) else tuple(mapping[key] for _ in m.id)
                m.flags.discard("fuzzy")
                changed = True
                done += 1
        if changed:
            with po.open("wb") as fh:
                write_po(fh, cat, width=0, sort_output=True)
    return done


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "fill":
        # python -m server.i18n_tools fill ja < mapping.tsv   (msgid<TAB>translation per line)
        pairs = dict(line.rstrip("\n").split("\t", 1) for line in sys.stdin if "\t" in line)
        print(f"filled {fill(sys.argv[2], pairs)} entries")
        raise SystemExit(0)
    if len(sys.argv) > 1 and sys.argv[1] == "extract":
        # extract [DOMAIN]: only that domain's catalogs are rewritten (several people can work at once).
        print(f"added {update(sys.argv[2] if len(sys.argv) > 2 else None)} entries")
        gaps = missing()
        print(f"{len(gaps)} untranslated")
        for g in gaps[:200]:
            print("  ", g)
    elif len(sys.argv) > 1 and sys.argv[1] == "missing":
        for g in missing():
            print(g)
    else:
        print("usage: python -m server.i18n_tools extract|missing")
