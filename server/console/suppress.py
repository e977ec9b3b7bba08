"""Small-count suppression for figures that leave the municipality (pure: no database, no request).

A table is a cube of cells keyed (area, dim, t): `dim` is a category or TOTAL (the category margin),
`t` a month or ALL (the period margin). Three kinds of additive groups hold: a parent area equals the
sum of its children (the fixed hierarchy neighbourhood → district → municipality → prefecture), a
TOTAL equals the sum of its categories, ALL equals the sum of the months of one fiscal year.

Primary suppression hides every count from 1 to 9. Secondary suppression then makes sure no group
holds exactly one hidden cell (else subtracting the others from the margin recovers it): while a
group has one, the group's smallest other member is hidden too (a child or category before the
margin; a positive count before a zero). Hiding a parent cell makes it count in its own parent's
group, so the loop runs until nothing changes. Zeros are shown as 0.

The guarantee tested in tests/console/test_suppression.py: an attacker who repeatedly subtracts
known cells of any one group from its margin (siblings from parent, categories from total, months
from year), adding what they recover to what they know, recovers no hidden cell. Publication is one
granularity at a time: the months and the year are one cube (one pattern), never two.
"""
from __future__ import annotations

from collections.abc import Hashable, Iterable

TOTAL = "_total"
ALL = "_all"
SMALL = range(1, 10)

Key = tuple[Hashable, str, Hashable]  # (area, dim, t)
Group = tuple[Key, tuple[Key, ...]]  # (margin, members)


def groups_for(parent_of: dict, dims: Iterable[str], times: Iterable, *, margins: bool = True) -> list[Group]:
    """Every additive group of the cube: hierarchy × dims × times, categories, months."""
    dims = list(dims)
    times = list(times)
    all_dims = dims + [TOTAL] if margins and len(dims) > 1 else dims
    all_times = times + [ALL] if margins and len(times) > 1 else times
    children: dict = {}
    for area, parent in parent_of.items():
        if parent is not None:
            children.setdefault(parent, []).append(area)
    areas = set(parent_of) | set(children)
    out: list[Group] = []
    for parent, kids in children.items():
        for d in all_dims:
            for t in all_times:
                out.append(((parent, d, t), tuple((k, d, t) for k in sorted(kids, key=str))))
    for a in areas:
        if len(all_dims) > len(dims):
            for t in all_times:
                out.append(((a, TOTAL, t), tuple((a, d, t) for d in dims)))
        if len(all_times) > len(times):
            for d in all_dims:
                out.append(((a, d, ALL), tuple((a, d, t) for t in times)))
    return out


class Cube:
    """The shape of a cube: the area tree, the categories and the months. Groups are made on demand
    for the cells that need looking at, so a prefecture's cube (thousands of areas × categories ×
    13 periods, mostly zeros or large) costs about what its small cells cost."""

    def __init__(self, parent_of: dict, dims: Iterable[str], times: Iterable) -> None:
        self.parent_of = parent_of
        self.dims = list(dims)
        self.times = list(times)
        self.children: dict = {}
        for area, parent in parent_of.items():
            if parent is not None:
                self.children.setdefault(parent, []).append(area)
        for kids in self.children.values():
            kids.sort(key=str)
        self.categories = len(self.dims) > 1
        self.months = len(self.times) > 1

    def groups_of(self, key: Key) -> list[Group]:
        a, d, t = key
        out: list[Group] = []
        parent = self.parent_of.get(a)
        if parent is not None:
            out.append(((parent, d, t), tuple((k, d, t) for k in self.children[parent])))
        if a in self.children:
            out.append(((a, d, t), tuple((k, d, t) for k in self.children[a])))
        if self.categories:
            out.append(((a, TOTAL, t), tuple((a, x, t) for x in self.dims)))
        if self.months:
            out.append(((a, d, ALL), tuple((a, d, x) for x in self.times)))
        return out


def suppress(cells: dict[Key, int], cube: Cube) -> set[Key]:
    """The cells to hide (primary and secondary). Missing cells count as 0.

    A worklist: a group is looked at only when one of its cells was hidden, so the cost follows
    the number of small cells, not the size of the cube."""
    hidden = {k for k, v in cells.items() if v in SMALL}
    todo = [g for k in sorted(hidden, key=str) for g in cube.groups_of(k)]
    while todo:
        margin, members = todo.pop()
        count = (margin in hidden) + sum(1 for k in members if k in hidden)
        if count != 1:
            continue
        pick = _pick(cells, hidden, members) or (margin if margin not in hidden else None)
        if pick is None:
            continue
        hidden.add(pick)
        todo.extend(cube.groups_of(pick))
    return hidden


def with_margins(cells: dict[Key, int], cube: Cube) -> dict[Key, int]:
    """Adds TOTAL over the categories and ALL over the months, from the non-zero cells only."""
    out = dict(cells)
    for (a, d, t), n in cells.items():
        if not n:
            continue
        if cube.categories:
            out[(a, TOTAL, t)] = out.get((a, TOTAL, t), 0) + n
        if cube.months:
            out[(a, d, ALL)] = out.get((a, d, ALL), 0) + n
            if cube.categories:
                out[(a, TOTAL, ALL)] = out.get((a, TOTAL, ALL), 0) + n
    return out


class Published:
    """A suppressed cube: get() answers None for a hidden cell, the count otherwise (0 if absent)."""

    def __init__(self, cells: dict[Key, int], hidden: set[Key]) -> None:
        self.cells, self.hidden = cells, hidden

    def get(self, key: Key, default: int = 0) -> int | None:
        return None if key in self.hidden else self.cells.get(key, default)


def _pick(cells: dict[Key, int], hidden: set[Key], members: tuple[Key, ...]) -> Key | None:
    candidates = [k for k in members if k not in hidden]
    if not candidates:
        return None
    positive = [k for k in candidates if cells.get(k, 0) > 0]
    pool = positive or candidates
    return min(pool, key=lambda k: (cells.get(k, 0), str(k)))


def recoverable(shown: dict[Key, int | None], groups: list[Group]) -> set[Key]:
    """The attacker: repeatedly subtract known members from a known margin (or members from the
    margin) in any group with exactly one unknown; returns every hidden cell so recovered."""
    known = {k: v for k, v in shown.items() if v is not None}
    recovered: set[Key] = set()
    changed = True
    while changed:
        changed = False
        for margin, members in groups:
            keys = (margin, *members)
            unknown = [k for k in keys if k not in known and (k in shown)]
            missing = [k for k in keys if k not in shown]
            for k in missing:  # absent cells are published zeros
                known[k] = 0
            if len(unknown) != 1:
                continue
            k = unknown[0]
            if k == margin:
                known[k] = sum(known[m] for m in members)
            else:
                known[k] = known[margin] - sum(known[m] for m in members if m != k)
            recovered.add(k)
            changed = True
    return recovered


def apply(cells: dict[Key, int], hidden: set[Key]) -> dict[Key, int | None]:
    """The published cube: hidden cells as None (shown as "<10")."""
    return {k: (None if k in hidden else v) for k, v in cells.items()}


def complete(cells: dict[Key, int], groups: list[Group]) -> dict[Key, int]:
    """Adds the zero cells and the margins a cube needs (sums computed from the members)."""
    out = dict(cells)
    for margin, members in groups:
        for k in members:
            out.setdefault(k, 0)
        out.setdefault(margin, 0)
    return out
