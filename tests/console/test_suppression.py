"""Brute-forcing the subtraction attacks on suppressed cubes: siblings from parent, categories from
total, months from year, repeated until nothing new is learnt."""
from __future__ import annotations

import random

import pytest

from server.console import suppress as s
from server.console.suppress import (
    ALL,
    SMALL,
    TOTAL,
    Cube,
    groups_for,
    recoverable,
    suppress,
)


def random_cube(rng: random.Random, dims: list[str], months: list[int]):
    parent_of = {"P": None}
    leaves = []
    for i in range(rng.randint(2, 4)):
        m = f"M{i}"
        parent_of[m] = "P"
        for j in range(rng.randint(1, 3)):
            d = f"{m}D{j}"
            parent_of[d] = m
            for k in range(rng.randint(1, 4)):
                parent_of[f"{d}N{k}"] = d
                leaves.append(f"{d}N{k}")
    cells = {}
    for leaf in leaves:
        for d in dims:
            for t in months:
                cells[(leaf, d, t)] = rng.choice([0, 0, 1, 2, 3, 5, 8, 9, 10, 12, 15, 30, rng.randint(0, 60)])
    # Parents, then the category and month margins, all as sums.
    order = sorted(parent_of, key=lambda a: -a.count("D") - a.count("N") - (a != "P"))
    for area in order:
        kids = [a for a, p in parent_of.items() if p == area]
        if kids:
            for d in dims:
                for t in months:
                    cells[(area, d, t)] = sum(cells[(k, d, t)] for k in kids)
    for area in parent_of:
        for t in months:
            cells[(area, TOTAL, t)] = sum(cells[(area, d, t)] for d in dims)
        for d in [*dims, TOTAL]:
            cells[(area, d, ALL)] = sum(cells[(area, d, t)] for t in months)
    return parent_of, cells


@pytest.mark.parametrize("seed", range(40))
def test_no_suppressed_cell_is_recoverable_by_subtraction(seed):
    rng = random.Random(seed)
    dims = ["a", "b", "c"][: rng.randint(2, 3)]
    months = list(range(1, rng.choice([3, 12]) + 1))
    parent_of, cells = random_cube(rng, dims, months)
    groups = groups_for(parent_of, dims, months)  # the attacker's equations, enumerated in full
    hidden = suppress(cells, Cube(parent_of, dims, months))
    shown = s.apply(cells, hidden)
    assert all(shown[k] is None for k, v in cells.items() if v in SMALL)  # every 1–9 is hidden
    assert recoverable(shown, groups) == set()
    assert any(v is not None for v in shown.values())  # not everything hidden


def test_the_attacker_does_recover_what_primary_suppression_alone_leaves_open():
    rng = random.Random(7)
    parent_of, cells = random_cube(rng, ["a", "b"], [1, 2, 3])
    groups = groups_for(parent_of, ["a", "b"], [1, 2, 3])
    primary = {k for k, v in cells.items() if v in SMALL}
    found = recoverable(s.apply(cells, primary), groups)
    assert found and all(k in primary for k in found)


def test_a_single_small_child_forces_a_sibling_to_be_hidden():
    parent_of = {"P": None, "A": "P", "B": "P", "C": "P"}
    cells = {("A", "x", 1): 3, ("B", "x", 1): 40, ("C", "x", 1): 12, ("P", "x", 1): 55}
    hidden = suppress(cells, Cube(parent_of, ["x"], [1]))
    assert hidden == {("A", "x", 1), ("C", "x", 1)}


def test_margins_are_sums_and_the_published_cube_hides_exactly_the_hidden_cells():
    parent_of = {"P": None, "A": "P", "B": "P"}
    cube = Cube(parent_of, ["x", "y"], [1, 2])
    cells = s.with_margins({("A", "x", 1): 3, ("A", "y", 1): 20, ("B", "x", 1): 30, ("B", "y", 2): 40,
                            ("P", "x", 1): 33, ("P", "y", 1): 20, ("P", "y", 2): 40}, cube)
    assert cells[("A", TOTAL, 1)] == 23 and cells[("P", TOTAL, ALL)] == 93 and cells[("B", "y", ALL)] == 40
    hidden = suppress(cells, cube)
    published = s.Published(cells, hidden)
    assert ("A", "x", 1) in hidden and ("A", "x", 1) not in cells or published.get(("A", "x", 1)) is None
    assert all((published.get(k) is None) == (k in hidden) for k in cells)
    assert all(published.get(k) == v for k, v in cells.items() if k not in hidden)
    full = {k: published.get(k) for k in s.complete(cells, groups_for(parent_of, ["x", "y"], [1, 2]))}
    assert recoverable(full, groups_for(parent_of, ["x", "y"], [1, 2])) == set()
