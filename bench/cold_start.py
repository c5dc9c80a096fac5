"""Cold start: the import time of app.py against `import chalice, boto3` (target: at most 1.3x).

Each import runs in a fresh interpreter (as a new Lambda execution environment does),
alternating app / baseline so drifting machine load hits both alike; medians of N runs
(default 15) and the peak RSS after import (ru_maxrss). Over target, it lists what
`python -X importtime` says app.py adds on top of the baseline: candidates to import lazily.
Run: ``python -m bench.cold_start [--runs N]``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_RATIO = 1.3
APP = "import app"
BASELINE = "import chalice, boto3"

PROBE = """
import resource, time
start = time.perf_counter()
{statement}
elapsed = time.perf_counter() - start
print(__import__("json").dumps({{"seconds": elapsed, "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}}))
"""


def environment() -> dict[str, str]:
    """The settings a deployed function has, with dummy credentials: importing must not call AWS."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOOKING_", "AWS_", "POWERTOOLS_"))}
    env.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "eu-central-1",
            "BOOKING_STAGE": "dev",
            "POWERTOOLS_SERVICE_NAME": "booking",
            "POWERTOOLS_METRICS_NAMESPACE": "BookingPlatform",
            "PYTHONDONTWRITEBYTECODE": "1",  # bytecode is cached after the first run either way
        }
    )
    return env


def measure(statement: str) -> tuple[float, int]:
    """Seconds to run ``statement`` in a fresh interpreter, and its peak RSS in KiB."""
    out = subprocess.run(  # noqa: S603 - our own interpreter and a fixed statement
        [sys.executable, "-c", PROBE.format(statement=statement)],
        cwd=ROOT,
        env=environment(),
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return float(result["seconds"]), int(result["maxrss_kb"])


def heaviest_additions(limit: int = 12) -> list[tuple[str, float]]:
    """What app.py imports beyond the baseline: self import time (ms) summed per package.

    chalicelib is split by sub-package (chalicelib.schemas, chalicelib.store, ...), so the
    list says both which libraries and which of our layers cost the time.
    """
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-X", "importtime", "-c", f"{BASELINE}; {APP}"],
        cwd=ROOT,
        env=environment(),
        capture_output=True,
        text=True,
        check=True,
    )
    pattern = re.compile(r"import time:\s+(\d+) \|\s+\d+ \|(\s*)(\S+)")
    baseline_done = False
    totals: dict[str, float] = {}
    for line in out.stderr.splitlines():
        match = pattern.match(line)
        if not match:
            continue
        self_us, indent, module = int(match.group(1)), len(match.group(2)), match.group(3)
        if not baseline_done:  # importtime lists a module when it finishes: boto3 ends the baseline
            baseline_done = indent == 1 and module == "boto3"
            continue
        parts = module.split(".")
        key = ".".join(parts[:2]) if parts[0] == "chalicelib" else parts[0]
        totals[key] = totals.get(key, 0.0) + self_us / 1000
    return sorted(totals.items(), key=lambda item: item[1], reverse=True)[:limit]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args(sys.argv[1:])

    measure(APP)  # warm the bytecode caches and the page cache for both sides
    measure(BASELINE)
    app_runs: list[tuple[float, int]] = []
    base_runs: list[tuple[float, int]] = []
    for _ in range(max(args.runs, 1)):
        app_runs.append(measure(APP))
        base_runs.append(measure(BASELINE))

    app_s = statistics.median(s for s, _ in app_runs)
    base_s = statistics.median(s for s, _ in base_runs)
    app_rss = statistics.median(r for _, r in app_runs)
    base_rss = statistics.median(r for _, r in base_runs)
    ratio = app_s / base_s
    verdict = "meets" if ratio <= TARGET_RATIO else "MISSES"
    print(f"cold start, {len(app_runs)} alternating runs each, fresh interpreter per run (medians):")
    print(f"  {APP:<24} {app_s * 1000:8.1f} ms   peak RSS {app_rss / 1024:6.1f} MiB")
    print(f"  {BASELINE:<24} {base_s * 1000:8.1f} ms   peak RSS {base_rss / 1024:6.1f} MiB")
    print(f"  ratio {ratio:.2f}x ({verdict} the target of at most {TARGET_RATIO}x)")
    if ratio > TARGET_RATIO:
        print("  what app.py adds on top of chalice+boto3 (self ms per package, one -X importtime run):")
        for name, ms in heaviest_additions():
            print(f"    {ms:8.1f}  {name}")


if __name__ == "__main__":
    main()
