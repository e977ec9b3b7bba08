"""`python -m bench [name ...]`: run the registered benchmarks (all by default)."""
from __future__ import annotations

import importlib
import sys

BENCHES = {
    "watchover": "bench.watchover",  # 100,000-person city: round, household page, quick log vs bare insert
    "offline": "bench.offline",  # bytes for the round page, precache and bundle; replay of 500 entries
    "activity": "bench.activity",  # a 4,000-commissioner prefecture's table: live vs municipal snapshots
    # Console at prefecture scale (needs `python -m bench.prefecture` first: ~10M contacts, var/bench/)
    "console": "bench.console",
    # Lighthouse mobile for /signin and /round (installs lighthouse into var/bench; not run by default)
    "lighthouse": "bench.lighthouse",
}


def main(argv: list[str]) -> int:
    names = [a for a in argv if not a.startswith("-")] or [b for b in BENCHES if b != "lighthouse"]
    for name in names:
        importlib.import_module(BENCHES[name]).main([a for a in argv if a.startswith("-")])
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
