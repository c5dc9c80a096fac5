"""`make bench`: run every bench/*.py module that exposes ``main()``, one after another.

Add a benchmark by adding a module with a ``main()``; it runs with no arguments here.
`python -m bench cold_start availability` runs only the named ones. A failing benchmark
is reported and the others still run; the exit code says whether any failed.
"""

from __future__ import annotations

import importlib
import sys
import time
import traceback
from pathlib import Path


def available() -> list[str]:
    here = Path(__file__).parent
    return sorted(p.stem for p in here.glob("*.py") if not p.stem.startswith("_"))


def main() -> int:
    names = sys.argv[1:] or available()
    unknown = sorted(set(names) - set(available()))
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(available())}")
        return 2
    failed = []
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        entry = getattr(module, "main", None)
        if not callable(entry):
            continue
        print(f"\n=== bench.{name} ===", flush=True)
        started = time.perf_counter()
        sys.argv = [f"bench.{name}"]  # each main() parses its own (empty) arguments
        try:
            entry()
        except SystemExit as exit_:
            if exit_.code not in (None, 0):
                failed.append(name)
        except Exception:
            traceback.print_exc()
            failed.append(name)
        print(f"(bench.{name}: {time.perf_counter() - started:.1f} s)", flush=True)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
