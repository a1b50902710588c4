"""``python -m bench``: run every ``bench/bench_*.py`` module, or those named on the line.

Each module exposes ``main() -> None`` and prints its own table of ratios.
"""

from __future__ import annotations

import importlib
import pathlib
import sys


def main(argv: list[str]) -> int:
    here = pathlib.Path(__file__).parent
    names = argv or sorted(p.stem for p in here.glob("bench_*.py"))
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        print(f"\n== {name} ==", flush=True)
        module.main()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
